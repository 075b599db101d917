//! Directory data is hostile input: anyone with delegated write on a computer can put escape
//! sequences in its `dNSHostName`, SPNs or CN, or a spreadsheet formula. This is the one place
//! that neutralises them on output: for terminals (and CSV, which is read with `cat` too),
//! control and bidirectional-override characters become visible escapes; a CSV cell that a
//! spreadsheet would run as a formula gets a leading `'`. JSON needs nothing: its encoder
//! escapes controls and stays exact.

use std::borrow::Cow;

/// Characters a terminal would act on, that break a line, or that hide or reorder what it
/// shows: controls, the line and paragraph separators, and Unicode's invisible formatting
/// characters (zero-width spaces and joiners, bidirectional marks, overrides and isolates, the
/// word joiner and invisible operators, the byte order mark, interlinear annotations).
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `text` safe to print on a terminal: every dangerous character as `\xNN` or `\u{NNNN}`.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let safe = if text.is_ascii() {
        // Of ASCII only the controls are: looked for without an early exit, many bytes at once.
        !text
            .bytes()
            .fold(false, |any, byte| any | (byte < 0x20) | (byte == 0x7f))
    } else {
        !text.chars().any(is_dangerous)
    };
    if safe {
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
pub fn for_csv(text: &str) -> Cow<'_, str> {
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
        assert_eq!(
            for_terminal("pc\u{200B}01"),
            "pc\\u{200b}01",
            "zero-width space"
        );
        assert_eq!(for_terminal("a\u{2028}b"), "a\\u{2028}b", "line separator");
        assert_eq!(for_terminal("x\u{2067}y\u{FEFF}"), "x\\u{2067}y\\u{feff}");
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
