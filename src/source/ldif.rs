//! A streaming reader for LDIF exports (RFC 2849) as `ldifde`, `ldapsearch` and `ldbsearch`
//! write them: `version:` lines (also between concatenated exports), comments, folded lines,
//! `::` base64 values, CRLF line ends, `changetype: add`, and the referral and result records of
//! `ldapsearch` (a `result:` other than 0 reaches the sink: the export is incomplete). Every
//! malformed input is a `LdifError` that names its line, a line may be at most
//! `MAX_LINE_BYTES` long, and the reader never panics. Byte-order marks and UTF-16 are
//! `encoding`'s business, before this reader.
//!
//! Built for exports of millions of objects: lines are found with `memchr` in a large buffer and
//! handed to a `RecordSink` as borrowed slices; only folded lines and base64 values are copied,
//! into scratch buffers reused for the whole file.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum LdifError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("no entries (empty file?)")]
    Empty,
    #[error("read error: {0}")]
    Io(String),
}

/// One attribute value's bytes: inline text (checked to be UTF-8) or decoded base64.
pub(crate) type Value<'a> = &'a [u8];

/// Receives the entries of an LDIF file, one attribute value at a time.
pub(crate) trait RecordSink {
    /// A new entry begins.
    fn start(&mut self, dn: &str);
    /// One value of the current entry: `name` is ASCII without options (`;binary` removed),
    /// base64 is already decoded.
    fn value(&mut self, name: &[u8], value: Value<'_>);
    /// One value written inline, hence already checked to be UTF-8 text.
    fn text_value(&mut self, name: &[u8], text: &str) {
        self.value(name, text.as_bytes());
    }
    /// A comment line, without its `#` (ldapsearch says what it asked for in them).
    fn comment(&mut self, _text: &[u8]) {}
    /// An ldapsearch `result:` line: the search's result code and text.
    fn result(&mut self, _code: u32, _text: &str) {}
    /// An ldapsearch `pagedresults:` line: whether its cookie says more pages follow.
    fn paged(&mut self, _more: bool) {}
}

const BUFFER_SIZE: usize = 4 << 20;
/// The most one `read` asks for.
const READ_CHUNK: usize = 64 << 10;
/// The longest logical line accepted: far beyond any real attribute value, and a bound on the
/// memory a file without line ends (`/dev/zero`) can take.
pub(crate) const MAX_LINE_BYTES: usize = 16 << 20;
/// The largest record accepted: an account is a few KiB; this bounds the memory one record of
/// endless values can take.
pub(crate) const MAX_RECORD_BYTES: usize = 64 << 20;

/// Where the reader's bytes are: its own buffer, refilled from a stream, or a whole file
/// mapped into memory (parsed where it lies, never copied).
enum Buffer<'a> {
    Owned(Vec<u8>),
    Mapped(&'a [u8]),
}

impl std::ops::Deref for Buffer<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Buffer::Owned(bytes) => bytes,
            Buffer::Mapped(bytes) => bytes,
        }
    }
}

/// Reads LDIF records from any byte stream, or from bytes already in memory.
pub(crate) struct LdifReader<'a, R> {
    input: R,
    buf: Buffer<'a>,
    /// Start of the unread data in `buf`.
    pos: usize,
    /// End of the valid data in `buf`.
    end: usize,
    eof: bool,
    /// Where `pos` moves once the line last returned has been used.
    next_pos: usize,
    /// Number of the last physical line read.
    line_no: usize,
    /// A folded logical line, joined.
    folded: Vec<u8>,
    /// A decoded base64 value.
    decoded: Vec<u8>,
    saw_content: bool,
    /// Mapped bytes before this offset have been handed back to the kernel.
    released: usize,
    /// Where the last record read starts in bytes in memory (`None` for a stream, or a
    /// record whose first line is folded).
    record_at: Option<usize>,
}

/// Mapped pages already parsed are handed back in steps of this many bytes, so that a large
/// export does not count in full toward the process's resident memory.
const RELEASE_STEP: usize = 32 << 20;

/// Where the last logical line is: in the buffer, or joined in `folded`.
#[derive(Clone, Copy)]
enum LineAt {
    Buffer { start: usize, end: usize },
    Folded,
}

/// A logical line and the number of its first physical line.
#[derive(Clone, Copy)]
struct Line {
    number: usize,
    at: LineAt,
}

fn too_long(line: usize) -> LdifError {
    syntax(
        line,
        format!(
            "longer than {} MiB (not an LDIF export?)",
            MAX_LINE_BYTES >> 20
        ),
    )
}

fn syntax(line: usize, message: impl Into<String>) -> LdifError {
    LdifError::Syntax {
        line,
        message: message.into(),
    }
}

/// Hands the whole pages of `bytes`, part of a read-only file mapping already parsed, back to
/// the kernel: they stay in the page cache, but no longer in this process's resident memory.
fn release(bytes: &[u8]) {
    let page = 4096;
    let start = bytes.as_ptr() as usize;
    let from = start.next_multiple_of(page);
    let to = (start + bytes.len()) / page * page;
    if to > from {
        // SAFETY: [from, to) lies inside `bytes`, part of a read-only file mapping;
        // MADV_DONTNEED on a file mapping only drops the pages from this process (a later
        // read faults them in again, unchanged).
        unsafe {
            libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED);
        }
    }
}

impl<'a> LdifReader<'a, std::io::Empty> {
    /// A reader of bytes in memory (a mapped file): nothing is copied.
    pub(crate) fn from_slice(bytes: &'a [u8]) -> LdifReader<'a, std::io::Empty> {
        LdifReader {
            input: std::io::empty(),
            buf: Buffer::Mapped(bytes),
            pos: 0,
            end: bytes.len(),
            eof: true,
            next_pos: 0,
            line_no: 0,
            folded: Vec::new(),
            decoded: Vec::new(),
            saw_content: false,
            released: 0,
            record_at: None,
        }
    }
}

impl<R: Read> LdifReader<'_, R> {
    pub(crate) fn new(input: R) -> Self {
        LdifReader {
            input,
            buf: Buffer::Owned(vec![0; BUFFER_SIZE]),
            pos: 0,
            end: 0,
            eof: false,
            next_pos: 0,
            line_no: 0,
            folded: Vec::new(),
            decoded: Vec::new(),
            saw_content: false,
            released: 0,
            record_at: None,
        }
    }

    /// Hands the mapped pages before `pos` back to the kernel once a step's worth is parsed:
    /// they stay in the page cache, but no longer in this process's resident memory.
    fn release_parsed(&mut self) {
        let Buffer::Mapped(bytes) = &self.buf else {
            return;
        };
        if self.pos < self.released + RELEASE_STEP {
            return;
        }
        release(&bytes[self.released..self.pos]);
        self.released = self.pos;
    }

    /// Moves unread data to the front and reads more; false at end of input.
    fn refill(&mut self) -> Result<bool, LdifError> {
        let Buffer::Owned(buf) = &mut self.buf else {
            return Ok(false);
        };
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            // `next_pos` is not live here: `logical_line` sets it after its last refill.
            buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == buf.len() {
            // A single line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
        }
        loop {
            // Read a chunk that stays in the CPU's cache until it is parsed; a whole 4 MiB buffer
            // would be evicted before the parser reached its start.
            let chunk = (buf.len() - self.end).min(READ_CHUNK);
            match self.input.read(&mut buf[self.end..self.end + chunk]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(read) => {
                    self.end += read;
                    return Ok(true);
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(LdifError::Io(err.to_string())),
            }
        }
    }

    /// The physical line at `pos` as (content end, start of the next line), relative to `pos`;
    /// `None` at end of input. May refill (moving data, never past `pos`).
    fn physical_line(&mut self) -> Result<Option<(usize, usize)>, LdifError> {
        let mut searched = 0;
        loop {
            let window = &self.buf[self.pos + searched..self.end];
            if let Some(offset) = memchr::memchr(b'\n', window) {
                let newline = searched + offset;
                if newline > MAX_LINE_BYTES {
                    return Err(too_long(self.line_no + 1));
                }
                return Ok(Some((newline, newline + 1)));
            }
            searched = self.end - self.pos;
            if searched > MAX_LINE_BYTES {
                return Err(too_long(self.line_no + 1));
            }
            if !self.refill()? {
                if searched > MAX_LINE_BYTES {
                    return Err(too_long(self.line_no + 1));
                }
                return Ok((searched > 0).then_some((searched, searched)));
            }
        }
    }

    /// Whether the line after `offset` (relative to `pos`) starts with a space.
    fn continues_at(&mut self, offset: usize) -> Result<bool, LdifError> {
        while self.pos + offset >= self.end {
            if !self.refill()? {
                return Ok(false);
            }
        }
        Ok(self.buf[self.pos + offset] == b' ')
    }

    fn strip_cr(bytes: &[u8]) -> &[u8] {
        bytes.strip_suffix(b"\r").unwrap_or(bytes)
    }

    /// The next logical line (continuation lines joined); valid until the next call.
    #[inline]
    fn logical_line(&mut self) -> Result<Option<Line>, LdifError> {
        self.pos = self.next_pos;
        // Most lines: whole in the buffer, the next one after them, neither folded.
        let window = &self.buf[self.pos..self.end];
        if let Some(newline) = memchr::memchr(b'\n', window)
            && newline <= MAX_LINE_BYTES
            && window.get(newline + 1).is_some_and(|&next| next != b' ')
            && window[0] != b' '
        {
            self.line_no += 1;
            let start = self.pos;
            let end = start + Self::strip_cr(&window[..newline]).len();
            self.next_pos = start + newline + 1;
            return Ok(Some(Line {
                number: self.line_no,
                at: LineAt::Buffer { start, end },
            }));
        }
        let Some((content_end, next)) = self.physical_line()? else {
            return Ok(None);
        };
        self.line_no += 1;
        let number = self.line_no;
        if self.buf[self.pos] == b' ' && content_end > 0 {
            return Err(syntax(
                number,
                "continuation line with nothing before it to continue",
            ));
        }
        let is_blank = Self::strip_cr(&self.buf[self.pos..self.pos + content_end]).is_empty();
        if is_blank || !self.continues_at(next)? {
            self.next_pos = self.pos + next;
            let start = self.pos;
            let end = start + Self::strip_cr(&self.buf[start..start + content_end]).len();
            return Ok(Some(Line {
                number,
                at: LineAt::Buffer { start, end },
            }));
        }
        self.folded.clear();
        let first = Self::strip_cr(&self.buf[self.pos..self.pos + content_end]);
        self.folded.extend_from_slice(first);
        let mut offset = next;
        while self.continues_at(offset)? {
            self.pos += offset;
            let (content_end, next) = self
                .physical_line()?
                .expect("a continuation line starts with a space, so it exists");
            self.line_no += 1;
            let part = &self.buf[self.pos + 1..self.pos + content_end];
            self.folded.extend_from_slice(Self::strip_cr(part));
            if self.folded.len() > MAX_LINE_BYTES {
                return Err(too_long(number));
            }
            offset = next;
        }
        self.next_pos = self.pos + offset;
        Ok(Some(Line {
            number,
            at: LineAt::Folded,
        }))
    }

    fn text(&self, line: Line) -> &[u8] {
        line_text(&self.buf, &self.folded, line)
    }

    /// The next content line, handing comments to the sink; `Ok(None)` at a blank line or end
    /// of input (`at_end` tells which).
    fn content_line(
        &mut self,
        at_end: &mut bool,
        sink: &mut impl RecordSink,
    ) -> Result<Option<Line>, LdifError> {
        loop {
            let Some(line) = self.logical_line()? else {
                *at_end = true;
                return Ok(None);
            };
            match self.text(line).first() {
                None => return Ok(None),
                Some(b'#') => sink.comment(&self.text(line)[1..]),
                Some(_) => return Ok(Some(line)),
            }
        }
    }

    /// Where the record last read starts, for bytes in memory: reading from there again gives
    /// it again.
    pub(crate) fn record_at(&self) -> Option<usize> {
        self.record_at
    }

    /// How far into its bytes the reader has read.
    pub(crate) fn read_to(&self) -> usize {
        self.next_pos
    }

    /// Reads the next entry into `sink`; `Ok(false)` at the end of the input.
    pub(crate) fn next_record(&mut self, sink: &mut impl RecordSink) -> Result<bool, LdifError> {
        self.release_parsed();
        loop {
            let mut at_end = false;
            let Some(first) = self.content_line(&mut at_end, sink)? else {
                if !at_end {
                    continue;
                }
                return if self.saw_content {
                    Ok(false)
                } else {
                    Err(LdifError::Empty)
                };
            };
            self.record_at = match (&self.buf, first.at) {
                (Buffer::Mapped(_), LineAt::Buffer { start, .. }) => Some(start),
                _ => None,
            };
            let is_entry = self.first_line(first, sink)?;
            self.saw_content = true;
            let mut record_bytes = 0;
            while let Some(line) = self.content_line(&mut at_end, sink)? {
                record_bytes += 1 + match line.at {
                    LineAt::Buffer { start, end } => end - start,
                    LineAt::Folded => self.folded.len(),
                };
                if record_bytes > MAX_RECORD_BYTES {
                    return Err(syntax(
                        first.number,
                        format!(
                            "a record larger than {} MiB (not an LDIF export of accounts?)",
                            MAX_RECORD_BYTES >> 20
                        ),
                    ));
                }
                if is_entry {
                    self.attribute_line(line, sink)?;
                } else {
                    self.trailer_line(line, sink)?;
                }
            }
            if is_entry {
                return Ok(true);
            }
            if at_end {
                return Ok(false);
            }
        }
    }

    /// Handles a record's first line; true when it starts an entry (`dn:`), false for records
    /// that are not entries (a `version:` line, which concatenated exports repeat; the rootDSE's
    /// empty DN; ldapsearch's referrals and result).
    fn first_line(&mut self, line: Line, sink: &mut impl RecordSink) -> Result<bool, LdifError> {
        let (name, value) = split_line(line.number, line_text(&self.buf, &self.folded, line))?;
        if name.eq_ignore_ascii_case(b"dn") {
            let dn = match value {
                RawValue::Text(text) => text,
                base64 => {
                    let value = base64.decode(line.number, b"dn", &mut self.decoded)?;
                    std::str::from_utf8(value)
                        .map_err(|_| syntax(line.number, "dn is not UTF-8 text"))?
                }
            };
            if dn.trim().is_empty() {
                return Ok(false);
            }
            sink.start(dn);
            return Ok(true);
        }
        let lowered = String::from_utf8_lossy(name).to_ascii_lowercase();
        match lowered.as_str() {
            "version" => {
                if value.decode(line.number, b"version", &mut self.decoded)? != b"1" {
                    return Err(syntax(line.number, "unsupported LDIF version (only 1 is)"));
                }
                Ok(false)
            }
            "ref" | "search" | "control" => Ok(false),
            "result" => {
                self.trailer_line(line, sink)?;
                Ok(false)
            }
            _ => Err(syntax(
                line.number,
                format!("record starts with '{lowered}:' instead of 'dn:'"),
            )),
        }
    }

    /// A line of a record that is not an entry; a `result:` line goes to the sink.
    fn trailer_line(&mut self, line: Line, sink: &mut impl RecordSink) -> Result<(), LdifError> {
        let (name, value) = split_line(line.number, line_text(&self.buf, &self.folded, line))?;
        if name.eq_ignore_ascii_case(b"result") {
            let value = value.decode(line.number, b"result", &mut self.decoded)?;
            let text = String::from_utf8_lossy(value);
            let (code, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
            let code = code
                .parse()
                .map_err(|_| syntax(line.number, "a result line without a result code"))?;
            sink.result(code, rest.trim());
        } else if name.eq_ignore_ascii_case(b"pagedresults") {
            // ldapsearch -E pr=N: `pagedresults: [estimate=N ]cookie=C` after each page; a
            // cookie that is not empty means more pages follow.
            let value = value.decode(line.number, b"pagedresults", &mut self.decoded)?;
            let text = String::from_utf8_lossy(value);
            let more = text
                .split_whitespace()
                .find_map(|part| part.strip_prefix("cookie="))
                .is_some_and(|cookie| !cookie.is_empty());
            sink.paged(more);
        }
        Ok(())
    }

    fn attribute_line(&mut self, line: Line, sink: &mut impl RecordSink) -> Result<(), LdifError> {
        let number = line.number;
        let (name, raw) = split_line(number, line_text(&self.buf, &self.folded, line))?;
        if let RawValue::Text(text) = raw {
            if name.eq_ignore_ascii_case(b"changetype") {
                if !text.eq_ignore_ascii_case("add") {
                    return Err(syntax(
                        number,
                        "change records (changetype other than add) are not an export",
                    ));
                }
                return Ok(());
            }
            sink.text_value(name, text);
        } else {
            let value = raw.decode(number, name, &mut self.decoded)?;
            sink.value(name, value);
        }
        Ok(())
    }
}

fn line_text<'a>(buf: &'a [u8], folded: &'a [u8], line: Line) -> &'a [u8] {
    match line.at {
        LineAt::Buffer { start, end } => &buf[start..end],
        LineAt::Folded => folded,
    }
}

/// A value as written: inline text (checked UTF-8), or base64 still to decode.
enum RawValue<'a> {
    Text(&'a str),
    Base64(&'a [u8]),
}

impl<'a> RawValue<'a> {
    /// The value; base64 is decoded into `scratch`.
    fn decode<'b>(
        self,
        line: usize,
        name: &[u8],
        scratch: &'b mut Vec<u8>,
    ) -> Result<Value<'b>, LdifError>
    where
        'a: 'b,
    {
        match self {
            RawValue::Text(text) => Ok(text.as_bytes()),
            RawValue::Base64(encoded) => {
                scratch.clear();
                STANDARD.decode_vec(encoded, scratch).map_err(|err| {
                    let name = String::from_utf8_lossy(name);
                    syntax(line, format!("invalid base64 in '{name}': {err}"))
                })?;
                Ok(scratch)
            }
        }
    }
}

/// The bytes that make names: letters, digits, `-` and `.`.
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
        byte += 1;
    }
    table
};

/// Splits `name: value` or `name:: base64`, refusing `name:< url` and non-UTF-8 text. The
/// name is found and checked (letters, digits, `-`, `;`, `.`) in one pass, which also drops
/// its options (`userCertificate;binary` is `userCertificate`).
fn split_line(line: usize, text: &[u8]) -> Result<(&[u8], RawValue<'_>), LdifError> {
    // Name bytes in a tight loop (a table lookup and a predictable branch each), then options.
    let name_bytes = |from: usize| {
        from + text[from..]
            .iter()
            .take_while(|&&byte| NAME_BYTES[usize::from(byte)])
            .count()
    };
    let name_end = name_bytes(0);
    let mut at = name_end;
    while text.get(at) == Some(&b';') {
        at = name_bytes(at + 1);
    }
    let colon = (text.get(at) == Some(&b':')).then_some(at);
    let Some(colon) = colon.filter(|&colon| colon > 0) else {
        return Err(if text.contains(&b':') {
            syntax(line, "bad attribute name before ':'")
        } else {
            syntax(line, "expected 'attribute: value'")
        });
    };
    let name = &text[..name_end];
    let rest = &text[colon + 1..];
    let value = match rest.first() {
        Some(b':') => RawValue::Base64(trim_leading_spaces(&rest[1..])),
        Some(b'<') => {
            let name = String::from_utf8_lossy(name);
            return Err(syntax(
                line,
                format!("'{name}:<' (value from a URL) is not supported; export values inline"),
            ));
        }
        _ => {
            let value = trim_leading_spaces(rest);
            let value = if value.is_ascii() {
                // SAFETY: ASCII is UTF-8 (`is_ascii` is far cheaper than full validation).
                unsafe { std::str::from_utf8_unchecked(value) }
            } else {
                std::str::from_utf8(value)
                    .map_err(|_| syntax(line, "value is not UTF-8 text (binary data?)"))?
            };
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

    /// One record: its DN and its (name, value) pairs.
    type Record = (String, Vec<(String, Vec<u8>)>);

    #[derive(Default, Debug, PartialEq)]
    struct Records(Vec<Record>);

    impl RecordSink for Records {
        fn start(&mut self, dn: &str) {
            self.0.push((dn.to_string(), Vec::new()));
        }
        fn value(&mut self, name: &[u8], value: Value<'_>) {
            let record = self.0.last_mut().expect("a record");
            let name = String::from_utf8(name.to_vec()).expect("ASCII name");
            record.1.push((name, value.to_vec()));
        }
    }

    fn read_with(text: &[u8], buffer: usize) -> Result<Records, LdifError> {
        let mut reader = LdifReader::new(text);
        reader.buf = Buffer::Owned(vec![0; buffer]);
        let mut records = Records::default();
        while reader.next_record(&mut records)? {}
        Ok(records)
    }

    /// The records of `text` read as a stream, after checking that read where they lie in
    /// memory (as a mapped export is) they are the same, errors too.
    fn read(text: &[u8]) -> Result<Records, LdifError> {
        let streamed = read_with(text, BUFFER_SIZE);
        let mut reader = LdifReader::from_slice(text);
        let mut records = Records::default();
        let in_memory = loop {
            match reader.next_record(&mut records) {
                Ok(true) => {}
                Ok(false) => break Ok(records),
                Err(err) => break Err(err),
            }
        };
        assert_eq!(in_memory, streamed, "in memory and streamed");
        streamed
    }

    fn error_of(text: &[u8]) -> String {
        read(text).expect_err("an error").to_string()
    }

    fn values<'a>(records: &'a Records, index: usize, name: &str) -> Vec<&'a [u8]> {
        records.0[index]
            .1
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    const EXPORT: &[u8] = b"# extended LDIF\nversion: 1\n\n# PC01, Computers\ndn: CN=PC01,CN=Comp\r\n uters,DC=x\r\nsAMAccountName: PC01$\nservicePrincipalName: HOST/pc01\nservicePrinci\n palName: HOST/pc01.x\nobjectSid:: AQUAAAAAAAUVAAAA\n\n# search reference\nref: ldaps://x/CN=Configuration,DC=x\n\n# search result\nsearch: 2\nresult: 0 Success\n";

    #[test]
    fn reads_an_ldapsearch_export() {
        let records = read(EXPORT).unwrap();
        assert_eq!(records.0.len(), 1);
        assert_eq!(records.0[0].0, "CN=PC01,CN=Computers,DC=x");
        assert_eq!(values(&records, 0, "samaccountname"), [b"PC01$"]);
        assert_eq!(
            values(&records, 0, "servicePrincipalName"),
            [&b"HOST/pc01"[..], b"HOST/pc01.x"]
        );
        assert_eq!(
            values(&records, 0, "objectSid"),
            [&[1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0][..]]
        );
    }

    #[test]
    fn tiny_buffers_give_the_same_records() {
        let whole = read(EXPORT).unwrap();
        for size in [1, 2, 3, 7, 16, 64] {
            let small = read_with(EXPORT, size).unwrap();
            assert_eq!(small.0, whole.0, "buffer of {size}");
        }
    }

    #[test]
    fn reads_ldifde_changetype_add_and_base64_dn() {
        let text =
            b"dn:: Q049UMOkYyxEQz14\nchangetype: add\ncn: P\n\ndn: CN=Q,DC=x\ncn;binary: Q\n";
        let records = read(text).unwrap();
        assert_eq!(records.0[0].0, "CN=P\u{e4}c,DC=x");
        assert!(values(&records, 0, "changetype").is_empty());
        assert_eq!(records.0[1].0, "CN=Q,DC=x");
        assert_eq!(values(&records, 1, "cn"), [b"Q"]);
    }

    #[test]
    fn empty_input_is_an_error() {
        assert_eq!(read(b"").err(), Some(LdifError::Empty));
        assert_eq!(
            read(b"\n\n# only a comment\n").err(),
            Some(LdifError::Empty)
        );
        assert!(read(b"version: 1\n").unwrap().0.is_empty());
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
        let records = read(b"dn: CN=A,DC=x\r\ncn: A").unwrap();
        assert_eq!(values(&records, 0, "cn"), [b"A"]);
    }

    #[test]
    fn folded_comments_are_skipped_whole() {
        let records = read(b"# a comment that\n  goes on\ndn: CN=A,DC=x\ncn: A\n").unwrap();
        assert_eq!(records.0.len(), 1);
    }

    /// Records comments and results besides the entries.
    #[derive(Default)]
    struct Trailers {
        records: Records,
        comments: Vec<String>,
        results: Vec<(u32, String)>,
    }

    impl RecordSink for Trailers {
        fn start(&mut self, dn: &str) {
            self.records.start(dn);
        }
        fn value(&mut self, name: &[u8], value: Value<'_>) {
            self.records.value(name, value);
        }
        fn comment(&mut self, text: &[u8]) {
            self.comments
                .push(String::from_utf8_lossy(text).into_owned());
        }
        fn result(&mut self, code: u32, text: &str) {
            self.results.push((code, text.to_string()));
        }
    }

    fn trailers(text: &[u8]) -> Result<Trailers, LdifError> {
        let mut reader = LdifReader::new(text);
        let mut sink = Trailers::default();
        while reader.next_record(&mut sink)? {}
        Ok(sink)
    }

    #[test]
    fn comments_and_results_reach_the_sink() {
        let text = b"# filter: (objectClass=*)\n# requesting: cn sAMAccountName\n\ndn: CN=A,DC=x\ncn: A\n\n# search result\nsearch: 2\nresult: 4 Size limit exceeded\n";
        let sink = trailers(text).unwrap();
        assert_eq!(sink.records.0.len(), 1);
        assert!(
            sink.comments
                .contains(&" requesting: cn sAMAccountName".to_string())
        );
        assert_eq!(sink.results, [(4, "Size limit exceeded".to_string())]);
        assert!(trailers(b"dn: CN=A,DC=x\n\nresult: x\n").is_err());
    }

    #[test]
    fn concatenated_exports_repeat_version_and_the_root_dse_is_skipped() {
        let text = b"version: 1\n\ndn: CN=A,DC=x\ncn: A\n\nversion: 1\n\ndn:\nnamingContexts: DC=x\n\ndn: CN=B,CN=Configuration,DC=x\ncn: B\n";
        let records = read(text).unwrap();
        let dns: Vec<&str> = records.0.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(dns, ["CN=A,DC=x", "CN=B,CN=Configuration,DC=x"]);
        assert!(error_of(b"version: 2\n").contains("unsupported LDIF version"));
    }

    #[test]
    fn a_line_without_end_is_refused_at_the_limit() {
        let zeros = std::io::repeat(0).take((MAX_LINE_BYTES + 10) as u64);
        let mut reader = LdifReader::new(zeros);
        let mut records = Records::default();
        let err = reader.next_record(&mut records).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: longer than 16 MiB (not an LDIF export?)"
        );
    }

    #[test]
    fn a_record_of_endless_values_is_refused_at_the_limit() {
        let mut text = b"dn: CN=A,DC=x\n".to_vec();
        let value = b"servicePrincipalName: HOST/abcdefghijklmnopqrstuvwxyz\n";
        while text.len() <= MAX_RECORD_BYTES + value.len() {
            text.extend_from_slice(value);
        }
        let err = error_of(&text);
        assert!(
            err.starts_with("line 1: a record larger than 64 MiB"),
            "{err}"
        );
    }
}
