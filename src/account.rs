//! The accounts model: an `Account` is one security principal (computer, user, managed service
//! account) with the attributes the checks need, decoded once from an `Entry` of either source.

use serde::Serialize;

use crate::entry::Entry;
use crate::ldif::{RecordSink, Value};

/// A decimal `i64` (optional leading `-`), or `None`.
fn parse_decimal(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    let mut number: i64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        number = number
            .checked_mul(10)?
            .checked_add(i64::from(digit - b'0'))?;
    }
    Some(if negative { -number } else { number })
}
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

/// What kind of principal an object is, from its most specific object class. The order
/// matters: an object is the greatest kind any of its classes names (a gMSA is also a
/// `computer` and a `user`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Other,
    User,
    Computer,
    ManagedServiceAccount,
    GroupManagedServiceAccount,
}

impl AccountKind {
    fn from_object_class(class: &[u8]) -> AccountKind {
        let is = |wanted: &str| class.eq_ignore_ascii_case(wanted.as_bytes());
        if is("msDS-GroupManagedServiceAccount") {
            AccountKind::GroupManagedServiceAccount
        } else if is("msDS-ManagedServiceAccount") {
            AccountKind::ManagedServiceAccount
        } else if is("computer") {
            AccountKind::Computer
        } else if is("user") {
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
    /// Reads an account from a live entry; `Ok(None)` for objects that are not accounts (no
    /// `sAMAccountName`), such as OUs and containers.
    pub fn from_entry(entry: &Entry) -> Result<Option<Account>, ModelError> {
        Ok(AccountBuilder::default().read_entry(entry)?.cloned())
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

#[cfg(test)]
impl Account {
    /// An enabled workstation account named `sam` (`PC01$`), with nothing else set: tests
    /// change what they need with struct-update syntax.
    pub(crate) fn test(sam: &str) -> Account {
        Account {
            dn: format!("CN={},DC=x", sam.trim_end_matches('$')),
            sam_account_name: sam.into(),
            kind: AccountKind::Computer,
            uac: Uac(Uac::WORKSTATION_TRUST_ACCOUNT),
            ..blank_account()
        }
    }
}

/// An attribute of `ACCOUNT_ATTRIBUTES`, recognized by name once per value.
#[derive(Clone, Copy)]
enum Field {
    ObjectClass,
    Cn,
    SamAccountName,
    UserAccountControl,
    DnsHostName,
    AdditionalDnsHostName,
    ServicePrincipalName,
    PwdLastSet,
    LastLogonTimestamp,
    KeyVersionNumber,
    OperatingSystem,
}

impl Field {
    fn of(name: &[u8]) -> Option<Field> {
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted.as_bytes());
        // Dispatch on length first: this runs for every attribute line of an export.
        Some(match name.len() {
            2 if is("cn") => Field::Cn,
            10 if is("pwdLastSet") => Field::PwdLastSet,
            11 if is("objectClass") => Field::ObjectClass,
            11 if is("dNSHostName") => Field::DnsHostName,
            14 if is("sAMAccountName") => Field::SamAccountName,
            15 if is("operatingSystem") => Field::OperatingSystem,
            18 if is("userAccountControl") => Field::UserAccountControl,
            18 if is("lastLogonTimestamp") => Field::LastLogonTimestamp,
            20 if is("servicePrincipalName") => Field::ServicePrincipalName,
            21 if is("msDS-KeyVersionNumber") => Field::KeyVersionNumber,
            26 if is("msDS-AdditionalDnsHostName") => Field::AdditionalDnsHostName,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Field::ObjectClass => "objectClass",
            Field::Cn => "cn",
            Field::SamAccountName => "sAMAccountName",
            Field::UserAccountControl => "userAccountControl",
            Field::DnsHostName => "dNSHostName",
            Field::AdditionalDnsHostName => "msDS-AdditionalDnsHostName",
            Field::ServicePrincipalName => "servicePrincipalName",
            Field::PwdLastSet => "pwdLastSet",
            Field::LastLogonTimestamp => "lastLogonTimestamp",
            Field::KeyVersionNumber => "msDS-KeyVersionNumber",
            Field::OperatingSystem => "operatingSystem",
        }
    }
}

/// Builds one `Account` from attribute values as they arrive, from a live entry or straight
/// from an LDIF reader. Values of other attributes are ignored; the first unreadable value is
/// reported when the entry is finished. The strings of one entry are recycled for the next, so
/// reading millions of entries allocates almost nothing.
pub struct AccountBuilder {
    /// The entry being read (its DN in `account.dn`).
    account: Account,
    has_sam_account_name: bool,
    kind: Option<AccountKind>,
    error: Option<ModelError>,
    /// Strings of earlier entries, emptied, to be filled again.
    spare: Vec<String>,
}

impl Default for AccountBuilder {
    fn default() -> Self {
        AccountBuilder {
            account: blank_account(),
            has_sam_account_name: false,
            kind: None,
            error: None,
            spare: Vec::new(),
        }
    }
}

fn blank_account() -> Account {
    Account {
        dn: String::new(),
        sam_account_name: String::new(),
        cn: None,
        kind: AccountKind::Other,
        uac: Uac(0),
        dns_host_name: None,
        additional_dns_host_names: Vec::new(),
        spns: Vec::new(),
        pwd_last_set: None,
        last_logon_timestamp: None,
        key_version: None,
        operating_system: None,
    }
}

impl RecordSink for AccountBuilder {
    fn start(&mut self, dn: &str) {
        let account = &mut self.account;
        let texts = [
            account.cn.take(),
            account.dns_host_name.take(),
            account.operating_system.take(),
        ];
        self.spare.extend(texts.into_iter().flatten());
        self.spare.append(&mut account.spns);
        self.spare.append(&mut account.additional_dns_host_names);
        account.dn.clear();
        account.dn.push_str(dn);
        account.uac = Uac(0);
        account.pwd_last_set = None;
        account.last_logon_timestamp = None;
        account.key_version = None;
        self.has_sam_account_name = false;
        self.kind = None;
        self.error = None;
    }

    fn value(&mut self, name: &[u8], value: Value<'_>) {
        let Some(field) = Field::of(name) else {
            return;
        };
        if self.error.is_none()
            && let Err(err) = self.set(field, value)
        {
            self.error = Some(err);
        }
    }
}

impl AccountBuilder {
    fn bad(&self, field: Field, value: Value<'_>) -> ModelError {
        ModelError {
            dn: self.account.dn.clone(),
            attribute: field.name(),
            value: String::from_utf8_lossy(value).into_owned(),
        }
    }

    /// The value as a string, in a recycled buffer when there is one.
    fn text(&mut self, field: Field, value: Value<'_>) -> Result<String, ModelError> {
        let text = std::str::from_utf8(value).map_err(|_| self.bad(field, value))?;
        let mut string = self.spare.pop().unwrap_or_default();
        string.clear();
        string.push_str(text);
        Ok(string)
    }

    /// A decimal integer, parsed from the bytes (surrounding spaces allowed).
    fn number<T: TryFrom<i64>>(&self, field: Field, value: Value<'_>) -> Result<T, ModelError> {
        parse_decimal(value.trim_ascii())
            .and_then(|number| T::try_from(number).ok())
            .ok_or_else(|| self.bad(field, value))
    }

    /// Sets a single-valued text field unless it has a value already (the first one wins).
    fn set_once(&mut self, field: Field, value: Value<'_>) -> Result<(), ModelError> {
        let text = self.text(field, value)?;
        let slot = match field {
            Field::Cn => &mut self.account.cn,
            Field::DnsHostName => &mut self.account.dns_host_name,
            _ => &mut self.account.operating_system,
        };
        match slot {
            None => *slot = Some(text),
            Some(_) => self.spare.push(text),
        }
        Ok(())
    }

    /// Takes one value; single-valued attributes keep their first value.
    fn set(&mut self, field: Field, value: Value<'_>) -> Result<(), ModelError> {
        match field {
            Field::ObjectClass => {
                let kind = AccountKind::from_object_class(value);
                self.kind = Some(self.kind.map_or(kind, |known| known.max(kind)));
            }
            Field::SamAccountName if !self.has_sam_account_name => {
                let text = std::str::from_utf8(value).map_err(|_| self.bad(field, value))?;
                self.account.sam_account_name.clear();
                self.account.sam_account_name.push_str(text);
                self.has_sam_account_name = true;
            }
            Field::SamAccountName => {}
            Field::Cn | Field::DnsHostName | Field::OperatingSystem => {
                self.set_once(field, value)?;
            }
            Field::AdditionalDnsHostName => {
                let text = self.text(field, value)?;
                self.account.additional_dns_host_names.push(text);
            }
            Field::ServicePrincipalName => {
                let text = self.text(field, value)?;
                self.account.spns.push(text);
            }
            Field::UserAccountControl => {
                self.account.uac = Uac(self.number::<i64>(field, value)? as u32);
            }
            Field::PwdLastSet => {
                self.account.pwd_last_set = Some(FileTime(self.number(field, value)?));
            }
            Field::LastLogonTimestamp => {
                let time = FileTime(self.number(field, value)?);
                self.account.last_logon_timestamp = Some(time).filter(|time| !time.is_zero());
            }
            Field::KeyVersionNumber => {
                self.account.key_version = Some(self.number(field, value)?);
            }
        }
        Ok(())
    }

    /// Reads a whole live entry and lends its account (see `finished`).
    pub fn read_entry(&mut self, entry: &Entry) -> Result<Option<&Account>, ModelError> {
        self.start(&entry.dn);
        for attribute in &entry.attributes {
            for value in &attribute.values {
                self.value(attribute.name.as_bytes(), value);
            }
        }
        self.finished()
    }

    /// The account of the entry just read, lent until the next entry starts; `Ok(None)` when
    /// it has no `sAMAccountName`.
    pub fn finished(&mut self) -> Result<Option<&Account>, ModelError> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        if !self.has_sam_account_name {
            return Ok(None);
        }
        self.account.kind = self.kind.unwrap_or(AccountKind::Other);
        Ok(Some(&self.account))
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
        let account = Account::from_entry(&entry(&[
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
        let account = Account::from_entry(&entry(&[
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
    fn every_requested_attribute_is_read() {
        for name in ACCOUNT_ATTRIBUTES {
            let field = Field::of(name.as_bytes()).unwrap_or_else(|| panic!("{name} is not read"));
            assert_eq!(field.name(), *name);
            assert!(Field::of(name.to_uppercase().as_bytes()).is_some());
        }
    }

    #[test]
    fn decimals_parse_from_bytes() {
        assert_eq!(
            parse_decimal(b"134000000000000000"),
            Some(134_000_000_000_000_000)
        );
        assert_eq!(parse_decimal(b"-1"), Some(-1));
        assert_eq!(parse_decimal(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-",
            b"12a",
            b"9223372036854775808",
            b"+1",
            b"1 2",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_reused_builder_forgets_the_previous_entry() {
        let mut builder = AccountBuilder::default();
        builder.start("CN=A,DC=x");
        for (name, value) in [
            ("sAMAccountName", "A$"),
            ("cn", "A"),
            ("servicePrincipalName", "HOST/A"),
            ("pwdLastSet", "5"),
        ] {
            builder.value(name.as_bytes(), value.as_bytes());
        }
        assert_eq!(builder.finished().unwrap().unwrap().spns, ["HOST/A"]);
        builder.start("CN=B,DC=x");
        builder.value(b"sAMAccountName", b"B$");
        let b = builder.finished().unwrap().unwrap().clone();
        assert_eq!(
            (b.dn.as_str(), b.sam_account_name.as_str()),
            ("CN=B,DC=x", "B$")
        );
        assert_eq!((b.cn, b.spns.len(), b.pwd_last_set), (None, 0, None));
        builder.start("OU=C,DC=x");
        assert_eq!(builder.finished().unwrap(), None);
    }

    #[test]
    fn containers_are_not_accounts() {
        assert_eq!(Account::from_entry(&entry(&[("ou", "W")])), Ok(None));
    }

    #[test]
    fn a_bad_number_names_the_object_and_attribute() {
        let err = Account::from_entry(&entry(&[
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
