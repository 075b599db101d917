//! CSV: one row per finding, the JSON field names as columns. Rows are flat `Serialize` structs
//! turned into cells by a small serializer, so that every text cell passes `for_csv` (formula
//! defusing) and numbers and flags do not.

use serde::Serialize;
use serde::ser::{self, Impossible};

use adcomputer_core::model::sanitize::for_csv;

/// The header: the field names of a row.
pub(crate) fn header<R: Serialize>(out: &mut Vec<u8>, row: &R) -> std::io::Result<()> {
    let mut cells = Row::default();
    row.serialize(&mut cells).map_err(std::io::Error::other)?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&cells.names)?;
    writer.flush()
}

/// Appends `rows` to `out`, one record each (no header).
pub(crate) fn rows<R: Serialize>(
    out: &mut Vec<u8>,
    rows: impl IntoIterator<Item = R>,
) -> std::io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    let mut cells = Row::default();
    for row in rows {
        cells.clear();
        row.serialize(&mut cells).map_err(std::io::Error::other)?;
        writer.write_record(&cells.cells[..cells.filled])?;
    }
    writer.flush()
}

/// One row being flattened; its buffers are reused row after row.
#[derive(Default)]
struct Row {
    names: Vec<&'static str>,
    cells: Vec<String>,
    /// How many of `cells` the current row fills.
    filled: usize,
}

impl Row {
    fn clear(&mut self) {
        self.names.clear();
        self.filled = 0;
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct FlatError(String);

impl ser::Error for FlatError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        FlatError(message.to_string())
    }
}

fn unsupported(what: &str) -> FlatError {
    FlatError(format!(
        "a CSV row holds {what}: only flat structs are rows"
    ))
}

/// Serializes a row: a struct whose fields become cells.
impl ser::Serializer for &mut Row {
    type Ok = ();
    type Error = FlatError;
    type SerializeSeq = Impossible<(), FlatError>;
    type SerializeTuple = Impossible<(), FlatError>;
    type SerializeTupleStruct = Impossible<(), FlatError>;
    type SerializeTupleVariant = Impossible<(), FlatError>;
    type SerializeMap = Impossible<(), FlatError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), FlatError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, FlatError> {
        Ok(self)
    }

    fn serialize_bool(self, _: bool) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_i8(self, _: i8) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_i16(self, _: i16) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_i32(self, _: i32) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_i64(self, _: i64) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_u8(self, _: u8) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_u16(self, _: u16) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_u32(self, _: u32) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_u64(self, _: u64) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_f32(self, _: f32) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_f64(self, _: f64) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_char(self, _: char) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_str(self, _: &str) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), FlatError> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_unit(self) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), FlatError> {
        Err(unsupported("a bare value"))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), FlatError> {
        Err(unsupported("a newtype"))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), FlatError> {
        Err(unsupported("a variant"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, FlatError> {
        Err(unsupported("a list"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, FlatError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, FlatError> {
        Err(unsupported("a tuple"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlatError> {
        Err(unsupported("a variant"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlatError> {
        Err(unsupported("a map"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlatError> {
        Err(unsupported("a variant"))
    }
}

impl ser::SerializeStruct for &mut Row {
    type Ok = ();
    type Error = FlatError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), FlatError> {
        self.names.push(name);
        if self.filled == self.cells.len() {
            self.cells.push(String::new());
        }
        let cell = &mut self.cells[self.filled];
        cell.clear();
        value.serialize(Cell(cell))?;
        self.filled += 1;
        Ok(())
    }

    fn end(self) -> Result<(), FlatError> {
        Ok(())
    }
}

/// Serializes one cell's value into its text.
struct Cell<'a>(&'a mut String);

impl Cell<'_> {
    fn number(self, value: impl std::fmt::Display) -> Result<(), FlatError> {
        use std::fmt::Write as _;
        let _ = write!(self.0, "{value}");
        Ok(())
    }
}

impl ser::Serializer for Cell<'_> {
    type Ok = ();
    type Error = FlatError;
    type SerializeSeq = Impossible<(), FlatError>;
    type SerializeTuple = Impossible<(), FlatError>;
    type SerializeTupleStruct = Impossible<(), FlatError>;
    type SerializeTupleVariant = Impossible<(), FlatError>;
    type SerializeMap = Impossible<(), FlatError>;
    type SerializeStruct = Impossible<(), FlatError>;
    type SerializeStructVariant = Impossible<(), FlatError>;

    fn serialize_bool(self, value: bool) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_i8(self, value: i8) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_i16(self, value: i16) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_i32(self, value: i32) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_i64(self, value: i64) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_u8(self, value: u8) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_u16(self, value: u16) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_u32(self, value: u32) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_u64(self, value: u64) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_f32(self, value: f32) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_f64(self, value: f64) -> Result<(), FlatError> {
        self.number(value)
    }
    fn serialize_char(self, value: char) -> Result<(), FlatError> {
        self.serialize_str(value.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, value: &str) -> Result<(), FlatError> {
        self.0.push_str(&for_csv(value));
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), FlatError> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<(), FlatError> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), FlatError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), FlatError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), FlatError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), FlatError> {
        self.0.push_str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), FlatError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), FlatError> {
        Err(unsupported("a variant with data"))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, FlatError> {
        Err(unsupported("a list in a cell"))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, FlatError> {
        Err(unsupported("a tuple in a cell"))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, FlatError> {
        Err(unsupported("a tuple in a cell"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlatError> {
        Err(unsupported("a variant in a cell"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlatError> {
        Err(unsupported("a map in a cell"))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, FlatError> {
        Err(unsupported("a struct in a cell"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlatError> {
        Err(unsupported("a variant in a cell"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        NeverSet,
    }

    #[derive(Serialize)]
    struct Example<'a> {
        kind: &'static str,
        account: Option<&'a str>,
        spn: &'a str,
        age: Option<i64>,
        disabled: bool,
        class: Status,
    }

    #[test]
    fn rows_flatten_and_formulas_are_defused() {
        let rows = [
            Example {
                kind: "stale_password",
                account: Some("=HYPERLINK(\"http://x\",\"click\")"),
                spn: "HOST/a,b",
                age: Some(-3),
                disabled: false,
                class: Status::NeverSet,
            },
            Example {
                kind: "stale_password",
                account: None,
                spn: "@x",
                age: None,
                disabled: true,
                class: Status::NeverSet,
            },
        ];
        let mut out = Vec::new();
        header(&mut out, &rows[0]).unwrap();
        super::rows(&mut out, rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "kind,account,spn,age,disabled,class\n\
stale_password,\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\",\"HOST/a,b\",-3,false,never_set\n\
stale_password,,'@x,,true,never_set\n"
        );
    }
}
