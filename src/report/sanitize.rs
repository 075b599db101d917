//! Directory data is hostile input: anyone with delegated write on a computer can put escape
//! sequences in its `dNSHostName`, SPNs or CN, or a spreadsheet formula. This is the one place
//! that neutralises them on output: for terminals (and CSV, which is read with `cat` too),
//! control and bidirectional-override characters become visible escapes; a CSV cell that a
//! spreadsheet would run as a formula gets a leading `'`. JSON needs nothing: its encoder
//! escapes controls and stays exact.

use std::borrow::Cow;

/// Characters a terminal would act on, or that reorder what it shows.
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` safe to print on a terminal: every dangerous character as `\xNN` or `\u{NNNN}`.
pub(crate) fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_dangerous(c) {
            let code = u32::from(c);
            if code < 0x100 {
                safe.push_str(&format!("\\x{code:02x}"));
            } else {
                safe.push_str(&format!("\\u{{{code:04x}}}"));
            }
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

/// `text` safe as a CSV cell opened in a spreadsheet or printed with `cat`: a cell starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (OWASP's advice),
/// so it stays text, and dangerous characters become visible escapes as on a terminal.
pub(crate) fn for_csv(text: &str) -> Cow<'_, str> {
    let visible = for_terminal(text);
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{visible}")),
        _ => visible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_become_visible() {
        assert_eq!(for_terminal("HOST/pc01"), "HOST/pc01");
        assert_eq!(
            for_terminal("ansi01\u{1b}]0;PWNED\u{7}.x"),
            "ansi01\\x1b]0;PWNED\\x07.x"
        );
        assert_eq!(for_terminal("a\u{9b}31mb"), "a\\x9b31mb", "C1 CSI");
        assert_eq!(for_terminal("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(for_terminal("line\nbreak\r"), "line\\x0abreak\\x0d");
        assert_eq!(for_terminal("Büro-PC ✓"), "Büro-PC ✓");
    }

    #[test]
    fn formulas_stay_text() {
        assert_eq!(
            for_csv("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for risky in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(for_csv(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(for_csv("CN=PC01,DC=x"), "CN=PC01,DC=x");
        assert_eq!(for_csv("HTTP/\u{1b}[31mred"), "HTTP/\\x1b[31mred");
        assert_eq!(for_csv("=1\u{7}"), "'=1\\x07");
        assert_eq!(for_csv(""), "");
    }
}
