//! Name matching (docs/reference.md, "Names"): a NAME given on the command line is a DN, or is
//! compared, as the DC compares text, with sAMAccountName (with or without `$`), CN and
//! dNSHostName. `ldap::filter` selects candidates on the DC; the same rule then decides locally,
//! so live and LDIF sources resolve names identically.

use super::account::Account;
use super::{dn, text};

/// The longest NAME accepted: longer than any DN a directory holds in practice, short enough
/// that a filter stays small.
const MAX_NAME_CHARS: usize = 2048;

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
pub enum BadName {
    #[error("empty name")]
    Empty,
    #[error("a name of {0} characters (at most {MAX_NAME_CHARS})")]
    TooLong(usize),
}

impl NameQuery {
    pub fn parse(raw: &str) -> Result<NameQuery, BadName> {
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

    pub fn as_str(&self) -> &str {
        match self {
            NameQuery::Dn(text) | NameQuery::Name(text) => text,
        }
    }

    pub fn matches(&self, account: &Account) -> bool {
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

    pub fn resolve<'a>(&self, candidates: &'a [Account]) -> Resolution<'a> {
        let mut found: Vec<&Account> = candidates.iter().filter(|a| self.matches(a)).collect();
        found.dedup_by(|a, b| a.dn == b.dn);
        // A name ending in `$` names a machine account: its exact sAMAccountName wins over a
        // user or CN that matches without the `$` (as samba-tool resolves it).
        if let (NameQuery::Name(name), true) = (self, found.len() > 1)
            && name.ends_with('$')
        {
            let exact: Vec<&Account> = found
                .iter()
                .copied()
                .filter(|a| {
                    a.sam_account_name
                        .as_deref()
                        .is_some_and(|sam| text::same(sam, name))
                })
                .collect();
            if exact.len() == 1 {
                found = exact;
            }
        }
        match found.len() {
            0 => Resolution::NotFound,
            1 => Resolution::Found(found.remove(0)),
            _ => Resolution::Ambiguous(found),
        }
    }
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
        // A user "pc01" beside the computer "PC01$": the `$` names the computer; without it,
        // both match.
        let user = Account {
            dn: "CN=pc01,CN=Users,DC=x".into(),
            cn: Some("pc01".into()),
            kind: Some(crate::model::account::AccountKind::User),
            ..Account::test("pc01")
        };
        let both = [computer("CN=PC01,OU=W,DC=x", "PC01$", "PC01", None), user];
        assert_eq!(name("PC01$").resolve(&both), Resolution::Found(&both[0]));
        assert!(matches!(name("pc01").resolve(&both), Resolution::Ambiguous(v) if v.len() == 2));
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(NameQuery::parse("  "), Err(BadName::Empty));
        assert_eq!(
            NameQuery::parse(&"x".repeat(100_000)),
            Err(BadName::TooLong(100_000))
        );
    }
}
