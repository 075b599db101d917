//! A streaming reader for LDIF exports (RFC 2849) as `ldifde` and `ldapsearch` write them:
//! `version:`, comments, folded lines, `::` base64 values, CRLF line ends, `changetype: add`, and
//! the referral and result records of `ldapsearch`. Every malformed input is a `LdifError` that
//! names its line; the reader never panics and reads one record at a time.

use std::io::BufRead;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::entry::Entry;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LdifError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("no entries (empty file?)")]
    Empty,
    #[error("read error: {0}")]
    Io(String),
}

/// Reads `Entry` records one at a time from LDIF text.
pub struct LdifReader<R> {
    input: R,
    /// Number of the last physical line read.
    line_no: usize,
    /// A physical line read ahead while looking for continuation lines, with its number.
    lookahead: Option<(usize, Vec<u8>)>,
    /// Attributes to keep (lower case); all when `None`.
    wanted: Option<Vec<String>>,
    /// Whether any record (entry, version line or referral) has been read.
    saw_content: bool,
    finished: bool,
}

/// One logical (unfolded) line and the number of its first physical line.
struct LogicalLine {
    line: usize,
    text: Vec<u8>,
}

fn syntax(line: usize, message: impl Into<String>) -> LdifError {
    LdifError::Syntax {
        line,
        message: message.into(),
    }
}

impl<R: BufRead> LdifReader<R> {
    pub fn new(input: R) -> LdifReader<R> {
        LdifReader {
            input,
            line_no: 0,
            lookahead: None,
            wanted: None,
            saw_content: false,
            finished: false,
        }
    }

    /// Keeps only these attributes (case-insensitive); the rest are checked, then dropped.
    pub fn with_attributes(mut self, names: &[&str]) -> LdifReader<R> {
        self.wanted = Some(names.iter().map(|name| name.to_ascii_lowercase()).collect());
        self
    }

    fn read_physical(&mut self) -> Result<Option<(usize, Vec<u8>)>, LdifError> {
        if let Some(line) = self.lookahead.take() {
            return Ok(Some(line));
        }
        let mut buf = Vec::new();
        let read = self
            .input
            .read_until(b'\n', &mut buf)
            .map_err(|err| LdifError::Io(err.to_string()))?;
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some((self.line_no, buf)))
    }

    /// The next logical line, continuation lines joined; `None` at end of input.
    fn read_logical(&mut self) -> Result<Option<LogicalLine>, LdifError> {
        let Some((line, mut text)) = self.read_physical()? else {
            return Ok(None);
        };
        if text.first() == Some(&b' ') {
            return Err(syntax(
                line,
                "continuation line with nothing before it to continue",
            ));
        }
        while let Some((next_no, next)) = self.read_physical()? {
            if next.first() == Some(&b' ') && !text.is_empty() {
                text.extend_from_slice(&next[1..]);
            } else {
                self.lookahead = Some((next_no, next));
                break;
            }
        }
        Ok(Some(LogicalLine { line, text }))
    }

    /// The next non-comment logical line, or `None` at a record end (blank line) or input end.
    /// `Ok(Err(()))` marks a blank line so callers can tell the two apart.
    fn read_content(&mut self) -> Result<Option<Result<LogicalLine, ()>>, LdifError> {
        loop {
            match self.read_logical()? {
                None => return Ok(None),
                Some(logical) if logical.text.is_empty() => return Ok(Some(Err(()))),
                Some(logical) if logical.text.first() == Some(&b'#') => continue,
                Some(logical) => return Ok(Some(Ok(logical))),
            }
        }
    }

    fn wants(&self, name: &str) -> bool {
        let base = name.split(';').next().unwrap_or(name);
        self.wanted
            .as_ref()
            .is_none_or(|wanted| wanted.iter().any(|w| w.eq_ignore_ascii_case(base)))
    }

    /// Reads the rest of a record whose first line was `first`; `None` for records that are not
    /// entries (ldapsearch's referrals and results, a `version:` line).
    fn read_record(&mut self, first: LogicalLine) -> Result<Option<Entry>, LdifError> {
        let (name, value) = parse_line(&first)?;
        let mut entry = match name.to_ascii_lowercase().as_str() {
            "dn" => {
                let dn = into_text(first.line, value.decode(first.line, name)?)?;
                if dn.is_empty() {
                    return Err(syntax(first.line, "empty dn"));
                }
                Entry::new(dn)
            }
            "version" if !self.saw_content => {
                if value.decode(first.line, name)? != b"1" {
                    return Err(syntax(first.line, "unsupported LDIF version (only 1 is)"));
                }
                return self.skip_record().map(|_| None);
            }
            "ref" | "search" | "result" => return self.skip_record().map(|_| None),
            _ => {
                return Err(syntax(
                    first.line,
                    format!("record starts with '{name}:' instead of 'dn:'"),
                ));
            }
        };
        while let Some(Ok(logical)) = self.read_content()? {
            let (name, value) = parse_line(&logical)?;
            if name.eq_ignore_ascii_case("changetype") {
                if !value
                    .decode(logical.line, name)?
                    .eq_ignore_ascii_case(b"add")
                {
                    return Err(syntax(
                        logical.line,
                        "change records (changetype other than add) are not an export",
                    ));
                }
            } else {
                // Decoded even when not kept: a corrupt value is an error wherever it is.
                let value = value.decode(logical.line, name)?;
                if self.wants(name) {
                    entry.push_value(name.split(';').next().unwrap_or(name), value);
                }
            }
        }
        Ok(Some(entry))
    }

    fn skip_record(&mut self) -> Result<(), LdifError> {
        while let Some(Ok(logical)) = self.read_content()? {
            parse_line(&logical)?;
        }
        Ok(())
    }

    fn next_entry(&mut self) -> Result<Option<Entry>, LdifError> {
        loop {
            match self.read_content()? {
                None if !self.saw_content => return Err(LdifError::Empty),
                None => return Ok(None),
                Some(Err(())) => continue,
                Some(Ok(first)) => {
                    let entry = self.read_record(first)?;
                    self.saw_content = true;
                    if entry.is_some() {
                        return Ok(entry);
                    }
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for LdifReader<R> {
    type Item = Result<Entry, LdifError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let item = self.next_entry().transpose();
        if !matches!(item, Some(Ok(_))) {
            self.finished = true;
        }
        item
    }
}

fn into_text(line: usize, value: Vec<u8>) -> Result<String, LdifError> {
    String::from_utf8(value).map_err(|_| syntax(line, "value is not UTF-8 text"))
}

/// A value as written: inline text, or base64 still to decode.
enum RawValue<'a> {
    Text(&'a [u8]),
    Base64(&'a [u8]),
}

impl RawValue<'_> {
    fn decode(self, line: usize, name: &str) -> Result<Vec<u8>, LdifError> {
        match self {
            RawValue::Text(text) => Ok(text.to_vec()),
            RawValue::Base64(encoded) => STANDARD
                .decode(encoded)
                .map_err(|err| syntax(line, format!("invalid base64 in '{name}': {err}"))),
        }
    }
}

/// Splits `name: value` or `name:: base64`, refusing `name:< url` and non-UTF-8 text.
fn parse_line(logical: &LogicalLine) -> Result<(&str, RawValue<'_>), LdifError> {
    let line = logical.line;
    let text = &logical.text;
    let colon = text
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(|| syntax(line, "expected 'attribute: value'"))?;
    let name = std::str::from_utf8(&text[..colon])
        .ok()
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b';' | b'.'))
        })
        .ok_or_else(|| syntax(line, "bad attribute name before ':'"))?;
    let rest = &text[colon + 1..];
    let value = match rest.first() {
        Some(b':') => RawValue::Base64(trim_leading_spaces(&rest[1..])),
        Some(b'<') => {
            return Err(syntax(
                line,
                format!("'{name}:<' (value from a URL) is not supported; export values inline"),
            ));
        }
        _ => {
            let value = trim_leading_spaces(rest);
            if std::str::from_utf8(value).is_err() {
                return Err(syntax(line, "value is not UTF-8 text (binary data?)"));
            }
            RawValue::Text(value)
        }
    };
    Ok((name, value))
}

fn trim_leading_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<Vec<Entry>, LdifError> {
        LdifReader::new(text).collect()
    }

    fn error_of(text: &[u8]) -> String {
        read(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_an_ldapsearch_export() {
        let text = b"# extended LDIF\nversion: 1\n\n# PC01, Computers\ndn: CN=PC01,CN=Comp\r\n uters,DC=x\r\nsAMAccountName: PC01$\nservicePrincipalName: HOST/pc01\nservicePrinci\n palName: HOST/pc01.x\nobjectSid:: AQUAAAAAAAUVAAAA\n\n# search reference\nref: ldaps://x/CN=Configuration,DC=x\n\n# search result\nsearch: 2\nresult: 0 Success\n";
        let entries = read(text).unwrap();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.dn, "CN=PC01,CN=Computers,DC=x");
        assert_eq!(entry.values("samaccountname"), [b"PC01$".to_vec()]);
        assert_eq!(
            entry.values("servicePrincipalName"),
            [b"HOST/pc01".to_vec(), b"HOST/pc01.x".to_vec()]
        );
        assert_eq!(
            entry.values("objectSid"),
            [vec![1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0]]
        );
    }

    #[test]
    fn reads_ldifde_changetype_add_and_base64_dn() {
        let text = b"dn:: Q049UMOkYyxEQz14\nchangetype: add\ncn: P\n\ndn: CN=Q,DC=x\ncn: Q\n";
        let entries = read(text).unwrap();
        assert_eq!(entries[0].dn, "CN=P\u{e4}c,DC=x");
        assert_eq!(entries[0].values("changetype"), [] as [Vec<u8>; 0]);
        assert_eq!(entries[1].dn, "CN=Q,DC=x");
    }

    #[test]
    fn keeps_only_wanted_attributes() {
        let text = b"dn: CN=A,DC=x\ncn: A\nuserCertificate:: AQID\n";
        let keep_cn = |text: &'static [u8]| {
            LdifReader::new(text)
                .with_attributes(&["CN"])
                .collect::<Result<Vec<Entry>, _>>()
        };
        assert_eq!(keep_cn(text).unwrap()[0].attributes.len(), 1);
        let corrupt = b"dn: CN=A,DC=x\ncn: A\nuserCertificate:: !!notbase64!!\n";
        assert!(
            keep_cn(corrupt).is_err(),
            "dropped attributes are still checked"
        );
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(read(b""), Err(LdifError::Empty));
        assert_eq!(read(b"\n\n# only a comment\n"), Err(LdifError::Empty));
    }

    #[test]
    fn truncated_base64_names_its_line() {
        let message = error_of(b"dn: CN=A,DC=x\nobjectSid:: AQUAAAAAAAUVAAA\n");
        assert!(
            message.starts_with("line 2: invalid base64 in 'objectSid'"),
            "{message}"
        );
    }

    #[test]
    fn bad_folding_names_its_line() {
        assert_eq!(
            error_of(b" leading continuation\ndn: CN=A\n"),
            "line 1: continuation line with nothing before it to continue"
        );
        assert_eq!(
            error_of(b"dn: CN=A,DC=x\n\n continued after a blank line\n"),
            "line 3: continuation line with nothing before it to continue"
        );
    }

    #[test]
    fn binary_junk_is_refused_with_a_line() {
        let message = error_of(b"dn: CN=A,DC=x\ncn: \xff\xfe\x00\x01\n");
        assert_eq!(message, "line 2: value is not UTF-8 text (binary data?)");
        let message = error_of(b"\x7fELF\x02\x01\x01\x00\x00\x00");
        assert_eq!(message, "line 1: expected 'attribute: value'");
    }

    #[test]
    fn url_values_and_change_records_are_refused() {
        assert!(error_of(b"dn: CN=A,DC=x\njpegPhoto:< file:///etc/passwd\n").contains(":<"));
        assert!(error_of(b"dn: CN=A,DC=x\nchangetype: modify\n").contains("change records"));
    }

    #[test]
    fn a_record_must_start_with_dn() {
        assert_eq!(
            error_of(b"dn: CN=A,DC=x\n\ncn: B\n"),
            "line 3: record starts with 'cn:' instead of 'dn:'"
        );
    }

    #[test]
    fn missing_final_newline_and_crlf_are_fine() {
        let entries = read(b"dn: CN=A,DC=x\r\ncn: A").unwrap();
        assert_eq!(entries[0].values("cn"), [b"A".to_vec()]);
    }

    #[test]
    fn stops_after_the_first_error() {
        let mut reader = LdifReader::new(&b"dn: CN=A\nbad line\ndn: CN=B\n"[..]);
        assert!(matches!(reader.next(), Some(Err(_))));
        assert!(reader.next().is_none());
    }
}
