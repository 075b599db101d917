//! Name matching (docs/reference.md, "Names"): a NAME given on the command line is a DN, or is
//! compared, as the DC compares text, with sAMAccountName (with or without `$`), CN and
//! dNSHostName. Names reach LDAP filters escaped (RFC 4515), a bounded number per filter; the
//! same rule then decides locally, so live and LDIF sources resolve names identically.

use super::account::Account;
use super::{dn, text};

/// The longest NAME accepted: longer than any DN a directory holds in practice, short enough
/// that a filter stays small.
const MAX_NAME_CHARS: usize = 2048;
/// At most this many bytes of name alternatives go into one LDAP filter.
const MAX_FILTER_BYTES: usize = 16 * 1024;

/// A name as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameQuery {
    /// A distinguished name (it contains `=`, which no sAMAccountName or host name may).
    Dn(String),
    Name(String),
}

/// What a name resolved to among the candidates.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resolution<'a> {
    Found(&'a Account),
    NotFound,
    Ambiguous(Vec<&'a Account>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum BadName {
    #[error("empty name")]
    Empty,
    #[error("a name of {0} characters (at most {MAX_NAME_CHARS})")]
    TooLong(usize),
}

impl NameQuery {
    pub(crate) fn parse(raw: &str) -> Result<NameQuery, BadName> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if trimmed.is_empty() {
            Err(BadName::Empty)
        } else if chars > MAX_NAME_CHARS {
            Err(BadName::TooLong(chars))
        } else if trimmed.contains('=') {
            Ok(NameQuery::Dn(trimmed.to_string()))
        } else {
            // A fully qualified host name may end in the root's dot: pc01.corp.example.com.
            let name = trimmed.strip_suffix('.').unwrap_or(trimmed);
            Ok(NameQuery::Name(name.to_string()))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            NameQuery::Dn(text) | NameQuery::Name(text) => text,
        }
    }

    /// The LDAP filter that selects every object this name could match.
    fn ldap_filter(&self) -> String {
        match self {
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

    pub(crate) fn matches(&self, account: &Account) -> bool {
        match self {
            NameQuery::Dn(wanted) => dn::same_dn(wanted, &account.dn),
            NameQuery::Name(name) => {
                let bare = name.strip_suffix('$').unwrap_or(name);
                let sam_matches = account.sam_account_name.as_deref().is_some_and(|sam| {
                    text::same(sam, name) || text::same(sam.strip_suffix('$').unwrap_or(sam), bare)
                });
                sam_matches
                    || account.cn.as_deref().is_some_and(|cn| text::same(cn, name))
                    || account.dns_host_name.as_deref().is_some_and(|host| {
                        text::same(host.strip_suffix('.').unwrap_or(host), name)
                    })
            }
        }
    }

    pub(crate) fn resolve<'a>(&self, candidates: &'a [Account]) -> Resolution<'a> {
        let mut found: Vec<&Account> = candidates.iter().filter(|a| self.matches(a)).collect();
        found.dedup_by(|a, b| a.dn == b.dn);
        match found.len() {
            0 => Resolution::NotFound,
            1 => Resolution::Found(found.remove(0)),
            _ => Resolution::Ambiguous(found),
        }
    }
}

/// Filters selecting the candidates of every name in a batch, each of bounded size (a DC
/// drops a connection whose filter is too large).
pub(crate) fn batch_filters(queries: &[NameQuery]) -> Vec<String> {
    let mut filters = Vec::new();
    let mut alternatives = String::new();
    for query in queries {
        let filter = query.ldap_filter();
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

    fn computer(dn: &str, sam: &str, cn: &str, dns: Option<&str>) -> Account {
        Account {
            dn: dn.into(),
            cn: Some(cn.into()),
            dns_host_name: dns.map(Into::into),
            ..Account::test(sam)
        }
    }

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
            name("PC01$").ldap_filter(),
            "(|(sAMAccountName=PC01)(sAMAccountName=PC01$)(cn=PC01$)(dNSHostName=PC01$))"
        );
        let filter = name("*)(objectClass=*").ldap_filter();
        assert!(!filter.contains("*)("), "{filter}");
        assert!(name("CN=a\\2c b,DC=x").ldap_filter().contains("\\5c2c"));
    }

    #[test]
    fn matches_every_name_form_as_the_directory_does() {
        let pc = computer("CN=PC01,OU=W,DC=x", "PC01$", "PC01", Some("pc01.x.test"));
        for raw in [
            "pc01",
            "PC01$",
            "Pc01.X.Test",
            "cn=pc01, ou=w,DC=X",
            "pc01.x.test.",
        ] {
            assert!(name(raw).matches(&pc), "{raw}");
        }
        for raw in ["pc0", "PC01$$", "CN=PC01,DC=x", "*"] {
            assert!(!name(raw).matches(&pc), "{raw}");
        }
        let buro = computer("CN=Büro-PC,DC=x", "BÜRO-PC$", "Büro-PC", None);
        for raw in [
            "BÜRO-PC",
            "büro-pc$",
            "CN=B\\C3\\BCro-PC,DC=x",
            "cn=BÜRO-PC,dc=x",
        ] {
            assert!(name(raw).matches(&buro), "{raw}");
        }
        let plus = computer("CN=A\\+B,DC=x", "AB$", "A+B", None);
        assert!(name("CN=A\\2BB,DC=x").matches(&plus));
    }

    #[test]
    fn resolution_is_found_not_found_or_ambiguous() {
        let accounts = [
            computer("CN=KIOSK,OU=A,DC=x", "KIOSK$", "KIOSK", None),
            computer("CN=KIOSK,OU=B,DC=x", "KIOSK-OLD$", "KIOSK", None),
        ];
        assert_eq!(
            name("kiosk-old").resolve(&accounts),
            Resolution::Found(&accounts[1])
        );
        assert_eq!(name("nope").resolve(&accounts), Resolution::NotFound);
        assert!(
            matches!(name("KIOSK").resolve(&accounts), Resolution::Ambiguous(v) if v.len() == 2)
        );
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(NameQuery::parse("  "), Err(BadName::Empty));
        assert_eq!(
            NameQuery::parse(&"x".repeat(100_000)),
            Err(BadName::TooLong(100_000))
        );
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
