//! Name matching (SPEC §2): a NAME given on the command line is a DN, or is compared
//! case-insensitively with sAMAccountName (with or without `$`), CN and dNSHostName. One LDAP
//! filter, RFC 4515-escaped, asks for every candidate of a batch at once; the same rule then
//! decides locally, so live and LDIF sources resolve names identically.

use crate::account::Account;

/// A name as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameQuery {
    /// A distinguished name (it contains `=`, which no sAMAccountName or host name may).
    Dn(String),
    Name(String),
}

/// What a name resolved to among the candidates.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolution<'a> {
    Found(&'a Account),
    NotFound,
    Ambiguous(Vec<&'a Account>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("empty name")]
pub struct EmptyName;

impl NameQuery {
    pub fn parse(raw: &str) -> Result<NameQuery, EmptyName> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            Err(EmptyName)
        } else if trimmed.contains('=') {
            Ok(NameQuery::Dn(trimmed.to_string()))
        } else {
            // A fully qualified host name may end in the root's dot: pc01.corp.example.com.
            let name = trimmed.strip_suffix('.').unwrap_or(trimmed);
            Ok(NameQuery::Name(name.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            NameQuery::Dn(text) | NameQuery::Name(text) => text,
        }
    }

    /// The LDAP filter that selects every object this name could match.
    pub fn ldap_filter(&self) -> String {
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

    pub fn matches(&self, account: &Account) -> bool {
        match self {
            NameQuery::Dn(dn) => normalize_dn(dn) == normalize_dn(&account.dn),
            NameQuery::Name(name) => {
                let same = |other: &str| other.eq_ignore_ascii_case(name);
                let bare = name.strip_suffix('$').unwrap_or(name);
                account.short_name().eq_ignore_ascii_case(bare)
                    || same(&account.sam_account_name)
                    || account.cn.as_deref().is_some_and(same)
                    || account
                        .dns_host_name
                        .as_deref()
                        .is_some_and(|host| same(host.strip_suffix('.').unwrap_or(host)))
            }
        }
    }

    pub fn resolve<'a>(&self, candidates: &'a [Account]) -> Resolution<'a> {
        let mut found: Vec<&Account> = candidates.iter().filter(|a| self.matches(a)).collect();
        match found.len() {
            0 => Resolution::NotFound,
            1 => Resolution::Found(found.remove(0)),
            _ => Resolution::Ambiguous(found),
        }
    }
}

/// One filter selecting the candidates of every name in a batch.
pub fn batch_filter(queries: &[NameQuery]) -> String {
    let alternatives: String = queries.iter().map(NameQuery::ldap_filter).collect();
    format!("(&(sAMAccountName=*)(|{alternatives}))")
}

/// Escapes a value for an LDAP filter (RFC 4515 §3): `*`, `(`, `)`, `\`, NUL, and every byte
/// outside printable ASCII, as `\XX`.
pub fn escape_filter_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'*' | b'(' | b')' | b'\\' | 0 | 0x80.. => escaped.push_str(&format!("\\{byte:02x}")),
            _ => escaped.push(byte as char),
        }
    }
    escaped
}

/// Lower-cases a DN and drops the spaces allowed around `,` and `=`.
fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| {
            rdn.split('=')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("=")
                .to_lowercase()
        })
        .collect::<Vec<_>>()
        .join(",")
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
        assert!(
            NameQuery::parse("CN=a\\2c b,DC=x")
                .unwrap()
                .ldap_filter()
                .contains("\\5c2c")
        );
    }

    #[test]
    fn matches_every_name_form_case_insensitively() {
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
    fn empty_names_are_refused() {
        assert_eq!(NameQuery::parse("  "), Err(EmptyName));
    }
}
