//! The directory's equality for text attributes (Unicode String syntax: `servicePrincipalName`,
//! `cn`, `sAMAccountName`, `dNSHostName`), as the DC applies it: case folded beyond ASCII,
//! leading and trailing spaces ignored, a run of spaces equal to one space. Samba's
//! `ldb_handler_fold` and Windows agree on these; the live DC is the oracle in the tests.

/// Appends the folded form of `text` to `out` (upper case, spaces normalised): two values are
/// equal for the directory exactly when their folded forms are equal.
pub fn fold_into(text: &str, out: &mut String) {
    if is_plain(text) {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_uppercase();
        return;
    }
    let text = text.trim_matches(' ');
    let mut previous_space = false;
    for c in text.chars() {
        if c == ' ' {
            if !previous_space {
                out.push(' ');
            }
            previous_space = true;
            continue;
        }
        previous_space = false;
        push_upper(out, c);
    }
}

/// A character's simple upper case: one character, as the directory's case table maps it
/// (`ß` stays `ß`, where full case mapping would give `SS`). The DC's table is older than
/// Unicode's and covers the Basic Multilingual Plane only (`super::dc_case`).
fn push_upper(out: &mut String, c: char) {
    let code = u32::from(c);
    if code > 0xFFFF
        || u16::try_from(code)
            .is_ok_and(|code| super::dc_case::DC_KEEPS_CASE.binary_search(&code).is_ok())
    {
        out.push(c);
        return;
    }
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(single), None) => out.push(single),
        _ => out.push(c),
    }
}

/// The folded form of `text`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// Whether folding leaves `text` as it is but for ASCII case (no space, nothing beyond ASCII).
#[inline]
fn is_plain(text: &str) -> bool {
    text.is_ascii() && memchr::memchr(b' ', text.as_bytes()).is_none()
}

/// Whether the directory considers `a` and `b` the same value.
pub fn same(a: &str, b: &str) -> bool {
    Prepared::new(a).same(Prepared::new(b))
}

/// A value prepared for many comparisons: whether it is plain (see `is_plain`) is found once,
/// so comparing two plain values is a length check and an ASCII case-insensitive compare.
#[derive(Debug, Clone, Copy)]
pub struct Prepared<'a> {
    text: &'a str,
    plain: bool,
}

impl<'a> Prepared<'a> {
    #[inline]
    pub fn new(text: &'a str) -> Prepared<'a> {
        Prepared {
            text,
            plain: is_plain(text),
        }
    }

    /// A constant, its plainness found at compile time.
    pub const fn constant(text: &'static str) -> Prepared<'static> {
        let bytes = text.as_bytes();
        let mut plain = true;
        let mut at = 0;
        while at < bytes.len() {
            plain &= bytes[at].is_ascii() && bytes[at] != b' ';
            at += 1;
        }
        Prepared { text, plain }
    }

    /// A part of a value already known to be plain (or not).
    pub fn part(text: &'a str, whole_is_plain: bool) -> Prepared<'a> {
        Prepared {
            text,
            plain: whole_is_plain || is_plain(text),
        }
    }

    /// Whether `text` is plain, for `part`.
    pub fn is_plain(text: &str) -> bool {
        is_plain(text)
    }

    pub fn text(self) -> &'a str {
        self.text
    }

    #[inline]
    pub fn same(self, other: Prepared<'_>) -> bool {
        if self.text.len() == other.text.len() && self.text.eq_ignore_ascii_case(other.text) {
            return true;
        }
        if self.plain && other.plain {
            return false;
        }
        fold(self.text) == fold(other.text)
    }
}

/// How reports spell a folded value: lower case, as admins read SPNs.
pub fn display(folded: &str) -> String {
    if folded.is_ascii() {
        folded.to_ascii_lowercase()
    } else {
        folded.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_folds_beyond_ascii() {
        assert!(same("HOST/büro-pc", "host/BÜRO-PC"));
        assert!(same("Σίσυφος", "ΣΊΣΥΦΟΣ"));
        assert!(same("пк-01", "ПК-01"));
        assert!(!same("host/a", "host/b"));
        assert_eq!(
            fold("straße"),
            "STRAßE",
            "simple case mapping: ß has no single upper case"
        );
    }

    #[test]
    fn only_the_dcs_case_table_folds() {
        // Pairs a live Samba DC accepts as two values (and its KDC keeps apart).
        for (a, b) in [
            ("HTTP/\u{1C5}x", "HTTP/\u{1C6}x"),
            ("HOST/\u{17F}x", "HOST/sx"),
            ("HOST/\u{131}x", "HOST/Ix"),
            ("HOST/\u{10428}x", "HOST/\u{10400}x"),
            ("HOST/\u{10D0}x", "HOST/\u{1C90}x"),
        ] {
            assert!(!same(a, b), "{a:?} / {b:?}");
        }
        assert!(
            same("HTTP/\u{1C4}x", "HTTP/\u{1C6}x"),
            "the DC folds \u{1C6}"
        );
        assert!(
            super::super::dc_case::DC_KEEPS_CASE
                .windows(2)
                .all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
    }

    #[test]
    fn spaces_are_insignificant_at_the_ends_and_in_runs() {
        assert!(same("HOST/x ", "HOST/x"));
        assert!(same("  HOST/x", "host/X"));
        assert!(same("HOST/a  b", "HOST/a b"));
        assert!(!same("HOST/ab", "HOST/a b"));
        assert!(!same("HOST/x\t", "HOST/x"), "only U+0020 is a space here");
        assert_eq!(fold(" a   b  "), "A B");
    }

    #[test]
    fn display_is_lower_case() {
        assert_eq!(display(&fold("HOST/PC01.Corp")), "host/pc01.corp");
        assert_eq!(display(&fold("HOST/BÜRO")), "host/büro");
    }
}
