//! `Entry`: one directory object as its DN and raw attribute values, the common currency of
//! both sources (a live LDAP search or an LDIF export) before the accounts model reads it.

/// One attribute and its values, raw bytes (text attributes are UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub values: Vec<Vec<u8>>,
}

/// One directory object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub dn: String,
    pub attributes: Vec<Attribute>,
}

impl Entry {
    pub fn new(dn: String) -> Entry {
        Entry {
            dn,
            attributes: Vec::new(),
        }
    }

    /// Appends a value; attribute names compare case-insensitively, as LDAP's do.
    pub fn push_value(&mut self, name: &str, value: Vec<u8>) {
        match self
            .attributes
            .iter_mut()
            .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
        {
            Some(attribute) => attribute.values.push(value),
            None => self.attributes.push(Attribute {
                name: name.to_string(),
                values: vec![value],
            }),
        }
    }

    /// The values of `name` (case-insensitive); empty when the attribute is absent.
    pub fn values(&self, name: &str) -> &[Vec<u8>] {
        self.attributes
            .iter()
            .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
            .map_or(&[], |attribute| attribute.values.as_slice())
    }
}
