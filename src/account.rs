//! The accounts model: an `Account` is one security principal (computer, user, managed service
//! account) with the attributes the checks need, decoded once from an `Entry` of either source.

use serde::Serialize;

use crate::entry::Entry;
use crate::filetime::FileTime;
use crate::uac::Uac;

/// Attributes every account read asks for; nothing else is fetched.
pub const ACCOUNT_ATTRIBUTES: &[&str] = &[
    "objectClass",
    "cn",
    "sAMAccountName",
    "userAccountControl",
    "dNSHostName",
    "msDS-AdditionalDnsHostName",
    "servicePrincipalName",
    "pwdLastSet",
    "lastLogonTimestamp",
    "msDS-KeyVersionNumber",
    "operatingSystem",
];

/// What kind of principal an object is, from its most specific object class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Computer,
    User,
    ManagedServiceAccount,
    GroupManagedServiceAccount,
    Other,
}

impl AccountKind {
    fn from_object_classes<'a>(classes: impl Iterator<Item = &'a str> + Clone) -> AccountKind {
        let has = |wanted: &str| {
            classes
                .clone()
                .any(|class| class.eq_ignore_ascii_case(wanted))
        };
        // Managed service accounts are also `computer` objects: test them first.
        if has("msDS-GroupManagedServiceAccount") {
            AccountKind::GroupManagedServiceAccount
        } else if has("msDS-ManagedServiceAccount") {
            AccountKind::ManagedServiceAccount
        } else if has("computer") {
            AccountKind::Computer
        } else if has("user") {
            AccountKind::User
        } else {
            AccountKind::Other
        }
    }
}

/// One account as the checks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub dn: String,
    pub sam_account_name: String,
    pub cn: Option<String>,
    pub kind: AccountKind,
    pub uac: Uac,
    pub dns_host_name: Option<String>,
    pub additional_dns_host_names: Vec<String>,
    pub spns: Vec<String>,
    /// `None` when the attribute is absent; `Some(FileTime(0))` when never set.
    pub pwd_last_set: Option<FileTime>,
    pub last_logon_timestamp: Option<FileTime>,
    pub key_version: Option<u32>,
    pub operating_system: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{dn}: attribute {attribute} has an unreadable value {value:?}")]
pub struct ModelError {
    pub dn: String,
    pub attribute: &'static str,
    pub value: String,
}

impl Account {
    /// Reads an account from an entry; `Ok(None)` for objects that are not accounts (no
    /// `sAMAccountName`), such as OUs and containers.
    pub fn from_entry(entry: Entry) -> Result<Option<Account>, ModelError> {
        let mut reader = Reader { entry };
        let Some(sam_account_name) = reader.text("sAMAccountName")? else {
            return Ok(None);
        };
        let classes = reader.texts("objectClass")?;
        let kind = AccountKind::from_object_classes(classes.iter().map(String::as_str));
        let cn = reader.text("cn")?;
        let uac = Uac(reader.number::<i64>("userAccountControl")?.unwrap_or(0) as u32);
        let dns_host_name = reader.text("dNSHostName")?;
        let additional_dns_host_names = reader.texts("msDS-AdditionalDnsHostName")?;
        let spns = reader.texts("servicePrincipalName")?;
        let pwd_last_set = reader.number("pwdLastSet")?.map(FileTime);
        let last_logon_timestamp = reader
            .number("lastLogonTimestamp")?
            .map(FileTime)
            .filter(|time| !time.is_zero());
        let key_version = reader.number("msDS-KeyVersionNumber")?;
        let operating_system = reader.text("operatingSystem")?;
        Ok(Some(Account {
            // Taken last: errors above name the DN.
            dn: std::mem::take(&mut reader.entry.dn),
            sam_account_name,
            cn,
            kind,
            uac,
            dns_host_name,
            additional_dns_host_names,
            spns,
            pwd_last_set,
            last_logon_timestamp,
            key_version,
            operating_system,
        }))
    }

    /// sAMAccountName without the trailing `$`: the machine's NetBIOS name.
    pub fn short_name(&self) -> &str {
        self.sam_account_name
            .strip_suffix('$')
            .unwrap_or(&self.sam_account_name)
    }

    pub fn is_computer(&self) -> bool {
        self.kind == AccountKind::Computer
    }

    /// Whether a scan looks at it: objects of class computer (managed service accounts
    /// included) and every SPN holder, as `SCAN_FILTER` selects them live.
    pub fn in_scan_scope(&self) -> bool {
        !matches!(self.kind, AccountKind::User | AccountKind::Other) || !self.spns.is_empty()
    }
}

/// Takes attribute values out of an entry, converting them once.
struct Reader {
    entry: Entry,
}

impl Reader {
    fn bad(&self, attribute: &'static str, value: &[u8]) -> ModelError {
        ModelError {
            dn: self.entry.dn.clone(),
            attribute,
            value: String::from_utf8_lossy(value).into_owned(),
        }
    }

    fn texts(&self, attribute: &'static str) -> Result<Vec<String>, ModelError> {
        self.entry
            .values(attribute)
            .iter()
            .map(|value| String::from_utf8(value.clone()).map_err(|_| self.bad(attribute, value)))
            .collect()
    }

    fn text(&self, attribute: &'static str) -> Result<Option<String>, ModelError> {
        Ok(self.texts(attribute)?.into_iter().next())
    }

    fn number<T: std::str::FromStr>(
        &self,
        attribute: &'static str,
    ) -> Result<Option<T>, ModelError> {
        match self.entry.values(attribute).first() {
            None => Ok(None),
            Some(value) => std::str::from_utf8(value)
                .ok()
                .and_then(|text| text.trim().parse().ok())
                .map(Some)
                .ok_or_else(|| self.bad(attribute, value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pairs: &[(&str, &str)]) -> Entry {
        let mut entry = Entry::new("CN=PC01,OU=W,DC=x".into());
        for (name, value) in pairs {
            entry.push_value(name, value.as_bytes().to_vec());
        }
        entry
    }

    #[test]
    fn reads_a_computer() {
        let account = Account::from_entry(entry(&[
            ("objectClass", "top"),
            ("objectClass", "computer"),
            ("sAMAccountName", "PC01$"),
            ("userAccountControl", "4096"),
            ("pwdLastSet", "0"),
            ("lastLogonTimestamp", "0"),
            ("servicePrincipalName", "HOST/PC01"),
            ("msDS-KeyVersionNumber", "3"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(account.kind, AccountKind::Computer);
        assert_eq!(account.short_name(), "PC01");
        assert_eq!(account.pwd_last_set, Some(FileTime(0)));
        assert_eq!(account.last_logon_timestamp, None);
        assert_eq!(account.key_version, Some(3));
        assert_eq!(account.spns, ["HOST/PC01"]);
    }

    #[test]
    fn managed_service_accounts_are_not_plain_computers() {
        let account = Account::from_entry(entry(&[
            ("objectClass", "computer"),
            ("objectClass", "msDS-GroupManagedServiceAccount"),
            ("sAMAccountName", "gmsa$"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(account.kind, AccountKind::GroupManagedServiceAccount);
        assert!(!account.is_computer());
    }

    #[test]
    fn containers_are_not_accounts() {
        assert_eq!(Account::from_entry(entry(&[("ou", "W")])), Ok(None));
    }

    #[test]
    fn a_bad_number_names_the_object_and_attribute() {
        let err = Account::from_entry(entry(&[
            ("sAMAccountName", "PC01$"),
            ("pwdLastSet", "yesterday"),
        ]))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "CN=PC01,OU=W,DC=x: attribute pwdLastSet has an unreadable value \"yesterday\""
        );
    }
}
