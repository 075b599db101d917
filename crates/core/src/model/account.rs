//! The accounts model: an `Account` is one object of the source (computer, user, managed
//! service account, or an object whose class the source does not tell) with the attributes the
//! rules need, decoded once from a live entry or straight from an LDIF reader. Every attribute
//! the source did not give is unknown (`None`), never a default, and `present` records which
//! attributes the record carried.

use serde::Serialize;

use super::entry::Entry;
use super::filetime::FileTime;
use super::uac::Uac;

/// The attributes an account is read with, declared once: each variant of `Attr` with its LDAP
/// name, in the order `ACCOUNT_ATTRIBUTES` (what a live read asks for, and what an export for
/// `--from-ldif` needs) lists them.
macro_rules! account_attributes {
    ($($variant:ident = $name:literal,)*) => {
        /// An attribute of `ACCOUNT_ATTRIBUTES`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Attr {
            $($variant,)*
        }

        /// Attributes every account read asks for; nothing else is fetched.
        pub const ACCOUNT_ATTRIBUTES: &[&str] = &[$($name,)*];

        impl Attr {
            pub const ALL: [Attr; ACCOUNT_ATTRIBUTES.len()] = [$(Attr::$variant,)*];

            /// Its LDAP name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Attr::$variant => $name,)*
                }
            }
        }
    };
}

account_attributes! {
    ObjectClass = "objectClass",
    Cn = "cn",
    SamAccountName = "sAMAccountName",
    UserAccountControl = "userAccountControl",
    DnsHostName = "dNSHostName",
    AdditionalDnsHostName = "msDS-AdditionalDnsHostName",
    ServicePrincipalName = "servicePrincipalName",
    PwdLastSet = "pwdLastSet",
    LastLogonTimestamp = "lastLogonTimestamp",
    KeyVersionNumber = "msDS-KeyVersionNumber",
    OperatingSystem = "operatingSystem",
    OperatingSystemVersion = "operatingSystemVersion",
    SupportedEncryptionTypes = "msDS-SupportedEncryptionTypes",
    AllowedToDelegateTo = "msDS-AllowedToDelegateTo",
    AllowedToActOnBehalf = "msDS-AllowedToActOnBehalfOfOtherIdentity",
    SecurityDescriptor = "nTSecurityDescriptor",
    CreatorSid = "mS-DS-CreatorSID",
    LegacyLapsExpiry = "ms-Mcs-AdmPwdExpirationTime",
    LapsExpiry = "msLAPS-PasswordExpirationTime",
}

impl Attr {
    /// The attribute an LDAP attribute name denotes (case-insensitive), if one we read. This
    /// runs for every attribute line of an export: dispatched on the length first, each arm
    /// naming its attribute (`name()` is the one spelling; a test checks they agree).
    pub fn of(name: &[u8]) -> Option<Attr> {
        let is = |attr: Attr| name.eq_ignore_ascii_case(attr.name().as_bytes());
        let candidates: &[Attr] = match name.len() {
            2 => &[Attr::Cn],
            10 => &[Attr::PwdLastSet],
            11 => &[Attr::ObjectClass, Attr::DnsHostName],
            14 => &[Attr::SamAccountName],
            15 => &[Attr::OperatingSystem],
            16 => &[Attr::CreatorSid],
            18 => &[Attr::UserAccountControl, Attr::LastLogonTimestamp],
            20 => &[Attr::ServicePrincipalName, Attr::SecurityDescriptor],
            21 => &[Attr::KeyVersionNumber],
            22 => &[Attr::OperatingSystemVersion],
            26 => &[Attr::AdditionalDnsHostName],
            27 => &[Attr::LegacyLapsExpiry],
            24 => &[Attr::AllowedToDelegateTo],
            29 => &[Attr::SupportedEncryptionTypes, Attr::LapsExpiry],
            40 => &[Attr::AllowedToActOnBehalf],
            _ => return None,
        };
        candidates.iter().copied().find(|attr| is(*attr))
    }
}

/// A set of attributes (a bit each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttrSet(u32);

impl AttrSet {
    pub const EVERY: AttrSet = AttrSet((1 << Attr::ALL.len()) - 1);

    pub fn of(attrs: &[Attr]) -> AttrSet {
        AttrSet(
            attrs
                .iter()
                .fold(0, |bits, attr| bits | (1 << *attr as u32)),
        )
    }

    pub fn insert(&mut self, attr: Attr) {
        self.0 |= 1 << attr as u32;
    }

    pub fn contains(self, attr: Attr) -> bool {
        self.0 & (1 << attr as u32) != 0
    }

    pub fn union(self, other: AttrSet) -> AttrSet {
        AttrSet(self.0 | other.0)
    }

    /// The members of `self` that `other` lacks.
    pub fn without(self, other: AttrSet) -> AttrSet {
        AttrSet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Attribute names, in `ACCOUNT_ATTRIBUTES` order.
    pub fn names(self) -> Vec<&'static str> {
        Attr::ALL
            .iter()
            .filter(|attr| self.contains(**attr))
            .map(|attr| attr.name())
            .collect()
    }
}

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
        // By length first: every object has several classes, every export millions of them.
        match class.len() {
            31 if is("msDS-GroupManagedServiceAccount") => AccountKind::GroupManagedServiceAccount,
            26 if is("msDS-ManagedServiceAccount") => AccountKind::ManagedServiceAccount,
            8 if is("computer") => AccountKind::Computer,
            4 if is("user") => AccountKind::User,
            _ => AccountKind::Other,
        }
    }

    /// Whether objects of this kind log on as services (users, managed service accounts).
    pub fn is_service_account(self) -> bool {
        matches!(
            self,
            AccountKind::User
                | AccountKind::ManagedServiceAccount
                | AccountKind::GroupManagedServiceAccount
        )
    }
}

/// One object as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub dn: String,
    pub sam_account_name: Option<String>,
    pub cn: Option<String>,
    /// `None` when the source gave no `objectClass`.
    pub kind: Option<AccountKind>,
    /// `None` when the source gave no `userAccountControl`.
    pub uac: Option<Uac>,
    pub dns_host_name: Option<String>,
    pub additional_dns_host_names: Vec<String>,
    pub spns: Vec<String>,
    /// `None` when absent; `Some(FileTime(0))` when never set.
    pub pwd_last_set: Option<FileTime>,
    /// `None` when absent or zero (never logged on).
    pub last_logon_timestamp: Option<FileTime>,
    pub key_version: Option<u32>,
    pub operating_system: Option<String>,
    /// `operatingSystemVersion`, e.g. `10.0 (19045)`.
    pub operating_system_version: Option<String>,
    /// `msDS-SupportedEncryptionTypes`; `None` when absent (the KDC's default applies).
    pub supported_enctypes: Option<u32>,
    /// `msDS-AllowedToDelegateTo`: the services it may act towards as other users.
    pub delegate_to: Vec<String>,
    /// `msDS-AllowedToActOnBehalfOfOtherIdentity`: a security descriptor naming who may
    /// act as other users towards it, as stored.
    pub act_on_behalf: Option<Vec<u8>>,
    /// The owner in `nTSecurityDescriptor`: a SID, or an SDDL alias (`DA`) as ldbsearch
    /// writes a descriptor; `None` when not read.
    pub owner: Option<String>,
    /// `mS-DS-CreatorSID`: who created it with the machine account quota, if a user did.
    pub creator: Option<String>,
    /// `ms-Mcs-AdmPwdExpirationTime` (legacy LAPS).
    pub legacy_laps_expiry: Option<FileTime>,
    /// `msLAPS-PasswordExpirationTime` (Windows LAPS).
    pub laps_expiry: Option<FileTime>,
    /// The attributes the record carried.
    pub present: AttrSet,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{dn}: attribute {attribute} has an unreadable value {value:?}")]
pub struct ModelError {
    pub dn: String,
    pub attribute: &'static str,
    pub value: String,
}

impl Account {
    /// Reads an account from a live entry.
    pub fn from_entry(entry: &Entry) -> Result<Account, ModelError> {
        AccountBuilder::default().read_entry(entry).cloned()
    }

    /// sAMAccountName without the trailing `$`: the machine's NetBIOS name.
    pub fn short_name(&self) -> Option<&str> {
        let sam = self.sam_account_name.as_deref()?;
        Some(sam.strip_suffix('$').unwrap_or(sam))
    }

    /// How reports name the object: its sAMAccountName, else its DN.
    pub fn label(&self) -> &str {
        self.sam_account_name.as_deref().unwrap_or(&self.dn)
    }

    pub fn is_computer(&self) -> bool {
        self.kind == Some(AccountKind::Computer)
    }

    /// Whether the object may be a computer: it is one, or the source does not say its class.
    pub fn may_be_computer(&self) -> bool {
        matches!(self.kind, None | Some(AccountKind::Computer))
    }

    pub fn is_disabled(&self) -> Option<bool> {
        self.uac.map(Uac::is_disabled)
    }

    /// Whether a scan looks at it: objects that are or may be computers (managed service
    /// accounts included), and every SPN holder, as the live scan's filter selects them.
    pub fn in_scan_scope(&self) -> bool {
        !matches!(self.kind, Some(AccountKind::User | AccountKind::Other)) || !self.spns.is_empty()
    }
}

#[cfg(test)]
impl Account {
    /// An enabled workstation account named `sam` (`PC01$`) with every attribute a full
    /// export carries present (values unset): tests change what they need.
    pub fn test(sam: &str) -> Account {
        Account {
            dn: format!("CN={},DC=x", sam.trim_end_matches('$')),
            sam_account_name: Some(sam.into()),
            kind: Some(AccountKind::Computer),
            uac: Some(Uac(Uac::WORKSTATION_TRUST_ACCOUNT)),
            pwd_last_set: Some(FileTime(0)),
            present: AttrSet::EVERY,
            ..blank_account()
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
    error: Option<ModelError>,
    /// Strings of earlier entries, emptied, to be filled again.
    spare: Vec<String>,
}

impl Default for AccountBuilder {
    fn default() -> Self {
        AccountBuilder {
            account: blank_account(),
            error: None,
            spare: Vec::new(),
        }
    }
}

/// An account with nothing known but its empty DN: a start for building one.
pub fn blank_account() -> Account {
    Account {
        dn: String::new(),
        sam_account_name: None,
        cn: None,
        kind: None,
        uac: None,
        dns_host_name: None,
        additional_dns_host_names: Vec::new(),
        spns: Vec::new(),
        pwd_last_set: None,
        last_logon_timestamp: None,
        key_version: None,
        operating_system: None,
        operating_system_version: None,
        supported_enctypes: None,
        delegate_to: Vec::new(),
        act_on_behalf: None,
        owner: None,
        creator: None,
        legacy_laps_expiry: None,
        laps_expiry: None,
        present: AttrSet::default(),
    }
}

/// The builder takes an entry as an LDIF reader or a live search hands it over: its DN, then
/// its values one by one.
impl AccountBuilder {
    /// A new entry begins.
    pub fn start(&mut self, dn: &str) {
        let account = &mut self.account;
        let texts = [
            account.sam_account_name.take(),
            account.cn.take(),
            account.dns_host_name.take(),
            account.operating_system.take(),
            account.operating_system_version.take(),
            account.owner.take(),
            account.creator.take(),
        ];
        self.spare.extend(texts.into_iter().flatten());
        self.spare.append(&mut account.spns);
        self.spare.append(&mut account.additional_dns_host_names);
        self.spare.append(&mut account.delegate_to);
        account.act_on_behalf = None;
        account.dn.clear();
        account.dn.push_str(dn);
        account.kind = None;
        account.uac = None;
        account.pwd_last_set = None;
        account.last_logon_timestamp = None;
        account.key_version = None;
        account.supported_enctypes = None;
        account.legacy_laps_expiry = None;
        account.laps_expiry = None;
        account.present = AttrSet::default();
        self.error = None;
    }

    /// One value of the current entry (`name` ASCII, without options; base64 decoded).
    pub fn value(&mut self, name: &[u8], value: &[u8]) {
        let Some(attr) = Attr::of(name) else {
            return;
        };
        self.account.present.insert(attr);
        let text = std::str::from_utf8(value).ok();
        if self.error.is_none()
            && let Err(err) = self.set(attr, value, text)
        {
            self.error = Some(err);
        }
    }

    /// One value known to be UTF-8 text.
    pub fn text_value(&mut self, name: &[u8], text: &str) {
        let Some(attr) = Attr::of(name) else {
            return;
        };
        self.account.present.insert(attr);
        if self.error.is_none()
            && let Err(err) = self.set(attr, text.as_bytes(), Some(text))
        {
            self.error = Some(err);
        }
    }
}

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

/// `userAccountControl` as LDAP writes it: a 32-bit flag set, sometimes as a negative number
/// (the sign bit set).
fn uac_bits(number: i64) -> Option<u32> {
    u32::try_from(number).ok().or_else(|| {
        i32::try_from(number)
            .ok()
            .map(|signed| u32::from_ne_bytes(signed.to_ne_bytes()))
    })
}

impl AccountBuilder {
    fn bad(&self, attr: Attr, value: &[u8]) -> ModelError {
        ModelError {
            dn: self.account.dn.clone(),
            attribute: attr.name(),
            value: String::from_utf8_lossy(value).into_owned(),
        }
    }

    /// The value as a string (`text`: the value, if it is UTF-8), in a recycled buffer when
    /// there is one.
    fn text(&mut self, attr: Attr, value: &[u8], text: Option<&str>) -> Result<String, ModelError> {
        let text = text.ok_or_else(|| self.bad(attr, value))?;
        let mut string = self.spare.pop().unwrap_or_default();
        string.clear();
        string.push_str(text);
        Ok(string)
    }

    /// A decimal integer, parsed from the bytes (surrounding spaces allowed).
    fn number(&self, attr: Attr, value: &[u8]) -> Result<i64, ModelError> {
        parse_decimal(value.trim_ascii()).ok_or_else(|| self.bad(attr, value))
    }

    /// Sets a single-valued text field unless it has a value already (the first one wins).
    fn set_once(&mut self, attr: Attr, value: &[u8], text: Option<&str>) -> Result<(), ModelError> {
        let text = self.text(attr, value, text)?;
        let slot = match attr {
            Attr::SamAccountName => &mut self.account.sam_account_name,
            Attr::Cn => &mut self.account.cn,
            Attr::DnsHostName => &mut self.account.dns_host_name,
            Attr::OperatingSystemVersion => &mut self.account.operating_system_version,
            _ => &mut self.account.operating_system,
        };
        match slot {
            None => *slot = Some(text),
            Some(_) => self.spare.push(text),
        }
        Ok(())
    }

    /// Takes one value; single-valued attributes keep their first value.
    fn set(&mut self, attr: Attr, value: &[u8], text: Option<&str>) -> Result<(), ModelError> {
        match attr {
            Attr::ObjectClass => {
                let kind = AccountKind::from_object_class(value);
                self.account.kind = Some(self.account.kind.map_or(kind, |known| known.max(kind)));
            }
            Attr::SamAccountName
            | Attr::Cn
            | Attr::DnsHostName
            | Attr::OperatingSystem
            | Attr::OperatingSystemVersion => {
                self.set_once(attr, value, text)?;
            }
            Attr::AdditionalDnsHostName => {
                let text = self.text(attr, value, text)?;
                self.account.additional_dns_host_names.push(text);
            }
            Attr::ServicePrincipalName => {
                let text = self.text(attr, value, text)?;
                self.account.spns.push(text);
            }
            Attr::UserAccountControl => {
                let bits =
                    uac_bits(self.number(attr, value)?).ok_or_else(|| self.bad(attr, value))?;
                self.account.uac = Some(Uac(bits));
            }
            Attr::PwdLastSet => {
                self.account.pwd_last_set = Some(FileTime(self.number(attr, value)?));
            }
            Attr::LastLogonTimestamp => {
                let time = FileTime(self.number(attr, value)?);
                self.account.last_logon_timestamp = Some(time).filter(|time| !time.is_zero());
            }
            Attr::KeyVersionNumber => {
                let number = self.number(attr, value)?;
                self.account.key_version =
                    Some(u32::try_from(number).map_err(|_| self.bad(attr, value))?);
            }
            Attr::AllowedToDelegateTo => {
                let text = self.text(attr, value, text)?;
                self.account.delegate_to.push(text);
            }
            Attr::AllowedToActOnBehalf => {
                self.account.act_on_behalf = Some(value.to_vec());
            }
            Attr::SecurityDescriptor => {
                let owner = match text.filter(|text| text.starts_with("O:")) {
                    Some(sddl) => crate::model::security::owner_of_sddl(sddl),
                    None => crate::model::security::owner_of(value),
                };
                self.account.owner = Some(owner.ok_or_else(|| self.bad(attr, value))?);
            }
            Attr::CreatorSid => {
                let sid = crate::model::security::sid_to_string(value)
                    .ok_or_else(|| self.bad(attr, value))?;
                self.account.creator = Some(sid);
            }
            Attr::LegacyLapsExpiry => {
                self.account.legacy_laps_expiry = Some(FileTime(self.number(attr, value)?));
            }
            Attr::LapsExpiry => {
                self.account.laps_expiry = Some(FileTime(self.number(attr, value)?));
            }
            Attr::SupportedEncryptionTypes => {
                // A 32-bit flag set, written signed when its top bit is set.
                let number = self.number(attr, value)?;
                self.account.supported_enctypes =
                    Some(uac_bits(number).ok_or_else(|| self.bad(attr, value))?);
            }
        }
        Ok(())
    }

    /// Reads a whole live entry and lends its account (see `finished`).
    pub fn read_entry(&mut self, entry: &Entry) -> Result<&Account, ModelError> {
        self.start(&entry.dn);
        for attribute in &entry.attributes {
            for value in &attribute.values {
                self.value(attribute.name.as_bytes(), value);
            }
        }
        self.finished()
    }

    /// The account of the entry just read, lent until the next entry starts.
    pub fn finished(&mut self) -> Result<&Account, ModelError> {
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        Ok(&self.account)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_password_is_ever_asked_for() {
        let secrets = [
            "ms-Mcs-AdmPwd",
            "msLAPS-Password",
            "msLAPS-EncryptedPassword",
            "msLAPS-EncryptedPasswordHistory",
            "msLAPS-EncryptedDSRMPassword",
            "msLAPS-EncryptedDSRMPasswordHistory",
            "unicodePwd",
        ];
        for name in super::ACCOUNT_ATTRIBUTES {
            assert!(
                !secrets
                    .iter()
                    .any(|secret| secret.eq_ignore_ascii_case(name)),
                "{name}"
            );
        }
        assert!(super::ACCOUNT_ATTRIBUTES.contains(&"msLAPS-PasswordExpirationTime"));
    }

    #[test]
    fn every_attribute_is_found_by_its_name_in_any_case() {
        for attr in super::Attr::ALL {
            assert_eq!(super::Attr::of(attr.name().as_bytes()), Some(attr));
            let upper = attr.name().to_ascii_uppercase();
            assert_eq!(super::Attr::of(upper.as_bytes()), Some(attr));
        }
        assert_eq!(super::Attr::of(b"description"), None);
    }

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
        .unwrap();
        assert_eq!(account.kind, Some(AccountKind::Computer));
        assert_eq!(account.short_name(), Some("PC01"));
        assert_eq!(account.pwd_last_set, Some(FileTime(0)));
        assert_eq!(account.last_logon_timestamp, None);
        assert!(account.present.contains(Attr::LastLogonTimestamp));
        assert!(!account.present.contains(Attr::DnsHostName));
        assert_eq!(account.key_version, Some(3));
        assert_eq!(account.spns, ["HOST/PC01"]);
    }

    #[test]
    fn missing_values_are_unknown_not_zero() {
        let holder = Account::from_entry(&entry(&[("servicePrincipalName", "HOST/x")])).unwrap();
        assert_eq!(holder.kind, None);
        assert_eq!(holder.uac, None);
        assert_eq!(holder.pwd_last_set, None);
        assert_eq!(holder.sam_account_name, None);
        assert_eq!(holder.label(), "CN=PC01,OU=W,DC=x");
        assert!(holder.may_be_computer() && holder.in_scan_scope());
        assert_eq!(holder.is_disabled(), None);
    }

    #[test]
    fn managed_service_accounts_are_not_plain_computers() {
        let account = Account::from_entry(&entry(&[
            ("objectClass", "computer"),
            ("objectClass", "msDS-GroupManagedServiceAccount"),
            ("sAMAccountName", "gmsa$"),
        ]))
        .unwrap();
        assert_eq!(account.kind, Some(AccountKind::GroupManagedServiceAccount));
        assert!(!account.is_computer());
    }

    #[test]
    fn negative_uac_is_the_sign_bit() {
        let account =
            Account::from_entry(&entry(&[("userAccountControl", "-2147479552")])).unwrap();
        assert_eq!(account.uac, Some(Uac(0x8000_1000)));
        assert!(Account::from_entry(&entry(&[("userAccountControl", "99999999999")])).is_err());
    }

    #[test]
    fn every_requested_attribute_is_read() {
        for (index, name) in ACCOUNT_ATTRIBUTES.iter().enumerate() {
            let attr = Attr::of(name.as_bytes()).unwrap_or_else(|| panic!("{name} is not read"));
            assert_eq!(attr.name(), *name);
            assert_eq!(Attr::ALL[index], attr);
            assert!(Attr::of(name.to_uppercase().as_bytes()).is_some());
        }
    }

    #[test]
    fn attribute_sets() {
        let set = AttrSet::of(&[Attr::PwdLastSet, Attr::ObjectClass]);
        assert_eq!(set.names(), ["objectClass", "pwdLastSet"]);
        assert_eq!(AttrSet::EVERY.without(set).names().len(), 17);
        assert!(set.without(AttrSet::EVERY).is_empty());
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
        assert_eq!(builder.finished().unwrap().spns, ["HOST/A"]);
        builder.start("CN=B,DC=x");
        builder.value(b"sAMAccountName", b"B$");
        let b = builder.finished().unwrap().clone();
        assert_eq!(
            (b.dn.as_str(), b.sam_account_name.as_deref()),
            ("CN=B,DC=x", Some("B$"))
        );
        assert_eq!((b.cn, b.spns.len(), b.pwd_last_set), (None, 0, None));
        assert_eq!(b.present, AttrSet::of(&[Attr::SamAccountName]));
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
