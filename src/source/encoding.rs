//! How an export's bytes are encoded, before the LDIF reader sees them: a UTF-8 byte-order mark
//! (Notepad, PowerShell) is dropped, and UTF-16 with a byte-order mark (`ldifde -u`) is
//! transcoded to UTF-8 as it streams.

use std::io::Read;

/// Bytes of UTF-16 read at a time.
const READ_CHUNK: usize = 64 * 1024;

/// The encoding a file's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// The encoding announced by `head` (the file's first bytes) and the mark's length.
    pub(crate) fn sniff(head: &[u8]) -> (Encoding, usize) {
        match head {
            [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
            [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
            [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
            _ => (Encoding::Utf8, 0),
        }
    }
}

/// `input` as UTF-8, whatever its byte-order mark says; the encoding found.
pub(crate) fn decoded(
    mut input: Box<dyn Read + Send>,
) -> std::io::Result<(Box<dyn Read + Send>, Encoding)> {
    let mut head = [0u8; 3];
    let mut filled = 0;
    while filled < head.len() {
        match input.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    let (encoding, mark) = Encoding::sniff(&head[..filled]);
    let rest = std::io::Cursor::new(head[mark..filled].to_vec()).chain(input);
    let reader: Box<dyn Read + Send> = match encoding {
        Encoding::Utf8 => Box::new(rest),
        Encoding::Utf16Le | Encoding::Utf16Be => Box::new(Utf16ToUtf8::new(rest, encoding)),
    };
    Ok((reader, encoding))
}

/// Transcodes a UTF-16 stream to UTF-8 (unpaired surrogates become U+FFFD).
struct Utf16ToUtf8<R> {
    input: R,
    big_endian: bool,
    /// Raw bytes read but not yet decoded (an odd byte, a high surrogate waiting).
    raw: Vec<u8>,
    /// UTF-8 ready to hand out, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> Utf16ToUtf8<R> {
    fn new(input: R, encoding: Encoding) -> Self {
        Utf16ToUtf8 {
            input,
            big_endian: encoding == Encoding::Utf16Be,
            raw: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    /// Decodes what `raw` holds, keeping an incomplete unit or surrogate pair for later.
    fn decode(&mut self) {
        let units = self.raw.len() / 2;
        let unit = |i: usize| {
            let pair = [self.raw[2 * i], self.raw[2 * i + 1]];
            if self.big_endian {
                u16::from_be_bytes(pair)
            } else {
                u16::from_le_bytes(pair)
            }
        };
        let mut complete = units;
        // A high surrogate at the very end waits for its partner unless the input ended.
        if !self.eof && units > 0 && (0xD800..0xDC00).contains(&unit(units - 1)) {
            complete -= 1;
        }
        self.out.clear();
        self.out_pos = 0;
        let decoded = char::decode_utf16((0..complete).map(unit))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER));
        let mut buf = [0u8; 4];
        for c in decoded {
            self.out
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        self.raw.drain(..2 * complete);
        if self.eof && !self.raw.is_empty() {
            // An odd trailing byte: not UTF-16.
            self.out.extend_from_slice("\u{FFFD}".as_bytes());
            self.raw.clear();
        }
    }
}

impl<R: Read> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos == self.out.len() {
            if self.eof && self.raw.is_empty() {
                return Ok(0);
            }
            // Read straight behind what is left over: no second buffer, nothing on the stack.
            let start = self.raw.len();
            self.raw.resize(start + READ_CHUNK, 0);
            let read = self.input.read(&mut self.raw[start..]);
            self.raw.truncate(start + *read.as_ref().unwrap_or(&0));
            if read? == 0 {
                self.eof = true;
            }
            self.decode();
        }
        let available = &self.out[self.out_pos..];
        let count = available.len().min(buf.len());
        buf[..count].copy_from_slice(&available[..count]);
        self.out_pos += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(bytes: Vec<u8>) -> (String, Encoding) {
        let (mut reader, encoding) = decoded(Box::new(std::io::Cursor::new(bytes))).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        (text, encoding)
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        bytes
    }

    #[test]
    fn utf16_with_a_mark_becomes_utf8() {
        let text = "\r\ndn: CN=Büro-PC,DC=x\r\nservicePrincipalName: HOST/büro 😀\r\n";
        assert_eq!(
            through(utf16(text, false)),
            (text.to_string(), Encoding::Utf16Le)
        );
        assert_eq!(
            through(utf16(text, true)),
            (text.to_string(), Encoding::Utf16Be)
        );
    }

    #[test]
    fn a_utf8_mark_is_dropped_and_plain_text_passes() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(b"dn: CN=A\n");
        assert_eq!(through(bytes).0, "dn: CN=A\n");
        assert_eq!(
            through(b"dn: CN=A\n".to_vec()),
            ("dn: CN=A\n".into(), Encoding::Utf8)
        );
        assert_eq!(through(b"d".to_vec()).0, "d");
        assert_eq!(through(Vec::new()).0, "");
    }

    #[test]
    fn surrogate_pairs_split_across_reads_survive() {
        /// Hands out one byte a read.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let end = buf.len().min(1);
                self.0.read(&mut buf[..end])
            }
        }
        let bytes = utf16("a😀b", false)[2..].to_vec();
        let mut reader = Utf16ToUtf8::new(Trickle(std::io::Cursor::new(bytes)), Encoding::Utf16Le);
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "a😀b");
    }
}
