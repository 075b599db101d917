//! LDAP filter text (RFC 4515): escaping values, and the bounded filters that select the
//! candidates for names given on the command line. Filter text is written here and in
//! `ldap::queries`, nowhere else.

use adcomputer_core::model::names::NameQuery;

/// At most this many bytes of name alternatives go into one LDAP filter.
const MAX_FILTER_BYTES: usize = 16 * 1024;

/// The LDAP filter that selects every object `query` could match.
fn name_filter(query: &NameQuery) -> String {
    match query {
        NameQuery::Dn(dn) => format!("(distinguishedName={})", escape_filter_value(dn)),
        NameQuery::Name(name) => {
            let value = escape_filter_value(name);
            let bare = escape_filter_value(name.strip_suffix('$').unwrap_or(name));
            format!(
                "(|(sAMAccountName={bare})(sAMAccountName={bare}$)(cn={value})(dNSHostName={value}))"
            )
        }
    }
}

/// Filters selecting the candidates of every name in a batch, each of bounded size (a DC
/// drops a connection whose filter is too large).
pub(crate) fn batch_filters(queries: &[NameQuery]) -> Vec<String> {
    let mut filters = Vec::new();
    let mut alternatives = String::new();
    for query in queries {
        let filter = name_filter(query);
        if !alternatives.is_empty() && alternatives.len() + filter.len() > MAX_FILTER_BYTES {
            filters.push(format!("(|{alternatives})"));
            alternatives.clear();
        }
        alternatives.push_str(&filter);
    }
    if !alternatives.is_empty() {
        filters.push(format!("(|{alternatives})"));
    }
    filters
}

/// Escapes a value for an LDAP filter (RFC 4515 §3): `*`, `(`, `)`, `\`, NUL, and every byte
/// outside printable ASCII, as `\XX`.
pub(crate) fn escape_filter_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'*' | b'(' | b')' | b'\\' | 0..0x20 | 0x7f.. => {
                escaped.push_str(&format!("\\{byte:02x}"));
            }
            _ => escaped.push(byte as char),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> NameQuery {
        NameQuery::parse(raw).unwrap()
    }

    #[test]
    fn escapes_metacharacters() {
        assert_eq!(
            escape_filter_value("*)(objectClass=*"),
            "\\2a\\29\\28objectClass=\\2a"
        );
        assert_eq!(escape_filter_value("a\\b\0"), "a\\5cb\\00");
        assert_eq!(escape_filter_value("Pä"), "P\\c3\\a4");
    }

    #[test]
    fn filter_has_every_form_and_no_raw_metacharacters() {
        assert_eq!(
            name_filter(&name("PC01$")),
            "(|(sAMAccountName=PC01)(sAMAccountName=PC01$)(cn=PC01$)(dNSHostName=PC01$))"
        );
        let filter = name_filter(&name("*)(objectClass=*"));
        assert!(!filter.contains("*)("), "{filter}");
        assert!(name_filter(&name("CN=a\\2c b,DC=x")).contains("\\5c2c"));
    }

    #[test]
    fn thousands_of_names_make_several_bounded_filters() {
        let names: Vec<NameQuery> = (0..3000).map(|i| name(&format!("PC-{i:05}"))).collect();
        let filters = batch_filters(&names);
        assert!(filters.len() > 5, "{}", filters.len());
        assert!(filters.iter().all(|f| f.len() <= MAX_FILTER_BYTES + 200));
        let total: usize = filters.iter().map(|f| f.matches("(cn=").count()).sum();
        assert_eq!(total, 3000);
    }
}
