//! Compact JSON for findings: what `serde_json` writes, byte for byte (a test compares every
//! kind, hostile text included), with a string copied whole when nothing in it needs escaping
//! — most of what a report of a million findings writes, where `serde_json` looks at each byte
//! in turn. Other documents (summaries, baselines' raw findings) stay with `serde_json`.

use serde::ser::{self, Serialize};

/// Why a value could not be written (a map key that is no string or number).
#[derive(Debug)]
pub(crate) struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(message: T) -> Error {
        Error(message.to_string())
    }
}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        std::io::Error::other(error.0)
    }
}

/// Appends `value` to `out` as compact JSON.
pub(crate) fn append<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Json { out })
}

/// Appends `text` to `out` as a JSON string.
pub(crate) fn string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.push(b'"');
    if needs_escape(bytes) {
        escape_into(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
    out.push(b'"');
}

/// Whether `bytes` hold a quote, a backslash or a control character: eight bytes at a time,
/// the last eight overlapping what came before (no byte-by-byte tail: most strings are short).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // A byte's high bit is set where it is below `n` (n <= 0x80); a borrow only ever marks
    // bytes above one that is, so "any marked" is exact.
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let marked = |word: u64| {
        below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1)
    };
    let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
    if bytes.len() < 8 {
        let mut padded = [b'a'; 8];
        padded[..bytes.len()].copy_from_slice(bytes);
        return marked(u64::from_le_bytes(padded)) != 0;
    }
    let chunks = bytes.chunks_exact(8);
    let last = marked(word(&bytes[bytes.len() - 8..]));
    chunks.fold(last, |any, chunk| any | marked(word(chunk))) != 0
}

/// `bytes` with quotes, backslashes and control characters escaped as `serde_json` does.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let short: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..at]);
        out.extend_from_slice(short);
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

struct Json<'a> {
    out: &'a mut Vec<u8>,
}

impl Json<'_> {
    fn integer(&mut self, value: impl itoa::Integer) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// Floats as `serde_json` writes them (its shortest round-trip form; NaN as `null`).
    fn float<T: Serialize>(&mut self, value: T) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &value).map_err(ser::Error::custom)
    }

    /// Opens `{"variant":` and a compound closed by `close`.
    fn variant<'s>(&'s mut self, variant: &str, open: u8, close: &'static [u8]) -> Compound<'s> {
        self.out.push(b'{');
        string(self.out, variant);
        self.out.push(b':');
        self.out.push(open);
        Compound {
            out: self.out,
            first: true,
            close,
        }
    }

    fn compound(&mut self, open: u8, close: &'static [u8]) -> Compound<'_> {
        self.out.push(open);
        Compound {
            out: self.out,
            first: true,
            close,
        }
    }
}

/// `serialize_*` for each integer type: the number's digits.
macro_rules! integers {
    ($($method:ident: $type:ty,)*) => {
        $(fn $method(self, value: $type) -> Result<(), Error> {
            self.integer(value);
            Ok(())
        })*
    };
}

/// `{"variant":[…]}` and `{"variant":{…}}`: the variant's name, then what opens its values.
macro_rules! variants {
    ($($method:ident: $open:literal $close:literal,)*) => {
        $(fn $method(
            self,
            _name: &'static str,
            _index: u32,
            variant: &'static str,
            _len: usize,
        ) -> Result<Compound<'s>, Error> {
            Ok(self.variant(variant, $open, $close))
        })*
    };
}

impl<'s, 'a> ser::Serializer for &'s mut Json<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s>;
    type SerializeTuple = Compound<'s>;
    type SerializeTupleStruct = Compound<'s>;
    type SerializeTupleVariant = Compound<'s>;
    type SerializeMap = Compound<'s>;
    type SerializeStruct = Compound<'s>;
    type SerializeStructVariant = Compound<'s>;

    fn serialize_bool(self, value: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
        Ok(())
    }
    integers! {
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
    }
    fn serialize_f32(self, value: f32) -> Result<(), Error> {
        self.float(value)
    }
    fn serialize_f64(self, value: f64) -> Result<(), Error> {
        self.float(value)
    }
    fn serialize_char(self, value: char) -> Result<(), Error> {
        string(self.out, value.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, value: &str) -> Result<(), Error> {
        string(self.out, value);
        Ok(())
    }
    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        let mut seq = self.compound(b'[', b"]");
        for byte in value {
            ser::SerializeSeq::serialize_element(&mut seq, byte)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        string(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        string(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'s>, Error> {
        Ok(self.compound(b'[', b"]"))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Compound<'s>, Error> {
        Ok(self.compound(b'[', b"]"))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'s>, Error> {
        Ok(self.compound(b'[', b"]"))
    }
    variants! {
        serialize_tuple_variant: b'[' b"]}",
        serialize_struct_variant: b'{' b"}}",
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'s>, Error> {
        Ok(self.compound(b'{', b"}"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'s>, Error> {
        Ok(self.compound(b'{', b"}"))
    }
}

/// An array or object being written.
struct Compound<'s> {
    out: &'s mut Vec<u8>,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        append(self.out, value)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        string(self.out, key);
        self.out.push(b':');
        append(self.out, value)
    }

    fn end(self) -> Result<(), Error> {
        self.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// The serde traits of arrays: each element through `Compound::element`.
macro_rules! arrays {
    ($($trait:ident: $method:ident,)*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

arrays! {
    SerializeSeq: serialize_element,
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field,
    SerializeTupleVariant: serialize_field,
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    /// A key is a string; a number or `true`/`false` is written as one (as `serde_json`
    /// does), anything else is refused.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        let start = self.out.len();
        append(self.out, key)?;
        match self.out.get(start) {
            Some(b'"') => Ok(()),
            Some(b'-' | b'0'..=b'9' | b't' | b'f') => {
                self.out.insert(start, b'"');
                self.out.push(b'"');
                Ok(())
            }
            _ => Err(Error("a map key must be a string or a number".into())),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.out.push(b':');
        append(self.out, value)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// The serde traits of objects with named fields: each through `Compound::field`.
macro_rules! objects {
    ($($trait:ident,)*) => {
        $(impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

objects! {
    SerializeStruct,
    SerializeStructVariant,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    fn ours<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        append(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn same_as_serde_json<T: Serialize + ?Sized + std::fmt::Debug>(value: &T) {
        assert_eq!(
            ours(value),
            serde_json::to_string(value).unwrap(),
            "{value:?}"
        );
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let every_byte: String = (0u8..0x80).map(char::from).collect();
        for text in [
            "",
            "plain CN=PC01,OU=Workstations,DC=adc,DC=test",
            "quote \" backslash \\ slash /",
            "\u{1b}[31mred\u{1b}[0m\r\n\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "=HYPERLINK(\"x\")",
            "Büro-PC ΣΊΣΥΦΟΣ \u{202e}txt.exe \u{10400}",
            &every_byte,
        ] {
            same_as_serde_json(text);
            same_as_serde_json(&text.chars().next());
        }
    }

    #[test]
    fn a_byte_to_escape_is_seen_anywhere() {
        for len in 0..40 {
            for byte in 0..=255u8 {
                for at in 0..len {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = byte;
                    let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
                    assert_eq!(needs_escape(&bytes), expected, "{len} {byte:#x} at {at}");
                }
            }
        }
    }

    #[derive(Debug, Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        Fields {
            name: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            none: Option<u8>,
            numbers: (i8, i64, u64, i128, u128, f32, f64),
            list: Vec<String>,
            map: BTreeMap<String, Vec<bool>>,
            numbered: BTreeMap<i32, ()>,
            bytes: serde_bytes_like::Bytes,
            unit: (),
        },
    }

    #[derive(Debug, Serialize)]
    enum External {
        Unit,
        Newtype(u8),
        Tuple(u8, char),
        Struct { a: f64 },
    }

    #[derive(Debug, Serialize)]
    struct Wrapper(External);

    mod serde_bytes_like {
        /// Serialized with `serialize_bytes`.
        #[derive(Debug)]
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn every_shape_is_written_as_serde_json_writes_it() {
        same_as_serde_json(&Tagged::Fields {
            name: "a\"b".into(),
            skipped: None,
            none: None,
            numbers: (
                i8::MIN,
                i64::MIN,
                u64::MAX,
                i128::MIN,
                u128::MAX,
                1.5,
                f64::NAN,
            ),
            list: vec!["x".into(), "\n".into()],
            map: BTreeMap::from([("k\u{1}".into(), vec![true, false]), ("".into(), vec![])]),
            numbered: BTreeMap::from([(-3, ()), (7, ())]),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            unit: (),
        });
        for value in [
            External::Unit,
            External::Newtype(7),
            External::Tuple(1, '"'),
            External::Struct { a: 0.1 },
        ] {
            same_as_serde_json(&value);
            same_as_serde_json(&Wrapper(value));
        }
        let empty: Vec<u8> = Vec::new();
        same_as_serde_json(&empty);
        same_as_serde_json(&BTreeMap::<String, u8>::new());
    }

    #[test]
    fn a_map_key_that_is_no_string_or_number_is_refused() {
        let map = BTreeMap::from([(vec![1u8], 1u8)]);
        let mut out = Vec::new();
        assert!(append(&mut out, &map).is_err());
        assert!(serde_json::to_string(&map).is_err());
    }
}
