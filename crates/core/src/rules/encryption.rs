//! Kerberos encryption readiness (docs/reference.md, "Encryption"): which computers the
//! AES-only KDC of 2026 (KB5073381) locks out. From the directory alone: an account configured
//! for RC4 only, or with DES (`rc4_only`, `des_enabled`); from the KDC's answer to an AS-REQ
//! without pre-authentication that offers only AES (`no_aes_keys`), which no attribute shows.

use serde::Serialize;

use super::Finding;
use crate::model::account::Account;
use crate::model::enctypes::{self, SupportedTypes};
use crate::model::uac::Uac;

/// Why an account fails, or will fail, Kerberos under the AES-only KDC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EncClass {
    /// The KDC has no AES key for it (proven by a probe).
    NoAesKeys,
    /// `msDS-SupportedEncryptionTypes` allows neither AES type.
    Rc4Only,
    /// DES is allowed (a DES bit, or USE_DES_KEY_ONLY).
    DesEnabled,
}

impl EncClass {
    pub fn as_str(self) -> &'static str {
        match self {
            EncClass::NoAesKeys => "no_aes_keys",
            EncClass::Rc4Only => "rc4_only",
            EncClass::DesEnabled => "des_enabled",
        }
    }
}

/// What an AS-REQ without pre-authentication, offering only AES, learnt of an account's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProbe {
    /// The KDC answered with these AES key types (etype numbers).
    AesKeys(Vec<i32>),
    /// No AES key: KDC_ERR_ETYPE_NOSUPP, or PREAUTH_REQUIRED naming only these other keys.
    NoAesKeys(Vec<i32>),
    /// No verdict, and why (the KDC did not answer, the account is disabled, …).
    NotProbed(String),
}

/// Coverage's note for a run that did not ask the KDC.
pub const ATTRIBUTES_ONLY: &str =
    "from the attributes only: no_aes_keys needs the KDC (live: --probe-keys)";

impl KeyProbe {
    /// The AES keys named, as `klist -e` names them (empty: none; `None`: no verdict).
    pub fn aes_key_names(&self) -> Option<Vec<String>> {
        match self {
            KeyProbe::AesKeys(keys) => {
                Some(keys.iter().map(|e| enctypes::etype_name(*e)).collect())
            }
            KeyProbe::NoAesKeys(_) => Some(Vec::new()),
            KeyProbe::NotProbed(_) => None,
        }
    }
}

/// Whether the account is one the check looks at: an enabled computer.
pub fn examines(account: &Account) -> bool {
    account.is_computer() && account.is_disabled() == Some(false)
}

/// The class the directory alone gives: DES before RC4-only (DES is the worse).
pub fn configured_class(account: &Account) -> Option<EncClass> {
    let des_only = account
        .uac
        .is_some_and(|uac| uac.0 & Uac::USE_DES_KEY_ONLY != 0);
    let types = account.supported_enctypes;
    if des_only || types.is_some_and(|types| types & enctypes::DES != 0) {
        return Some(EncClass::DesEnabled);
    }
    // 0 and absent both mean "the KDC's default", AES-only since 2026.
    if types.is_some_and(|types| types != 0 && types & enctypes::AES == 0) {
        return Some(EncClass::Rc4Only);
    }
    None
}

/// The finding for `account`, from its attributes and, when probed, the KDC's answer
/// (`probed_at`: the KDC asked). The attributes' class names the cause and wins (the KDC
/// refuses AES to a USE_DES_KEY_ONLY account, which a new password does not mend); a probe
/// proving no AES key gives the others `no_aes_keys`.
/// Replaces `account`'s finding of this kind in `findings` with the one the KDC's answer
/// (`probe`, at `kdc`) gives.
pub fn rejudge(findings: &mut Vec<Finding>, account: &Account, probe: &KeyProbe, kdc: &str) {
    findings.retain(|finding| {
        !(matches!(finding, Finding::WeakEncryption { .. })
            && finding.dn() == Some(account.dn.as_str()))
    });
    findings.extend(finding(account, Some((probe, kdc))));
}

pub fn finding(account: &Account, probe: Option<(&KeyProbe, &str)>) -> Option<Finding> {
    let (class, keys, probed_at) = match probe {
        Some((KeyProbe::NoAesKeys(others), kdc)) => (
            configured_class(account).or(Some(EncClass::NoAesKeys)),
            Some(
                others
                    .iter()
                    .map(|etype| enctypes::etype_name(*etype))
                    .collect(),
            ),
            Some(kdc.to_string()),
        ),
        Some((KeyProbe::AesKeys(keys), kdc)) => (
            configured_class(account),
            Some(
                keys.iter()
                    .map(|etype| enctypes::etype_name(*etype))
                    .collect(),
            ),
            Some(kdc.to_string()),
        ),
        Some((KeyProbe::NotProbed(_), _)) | None => (configured_class(account), None, None),
    };
    let class = class?;
    Some(Finding::WeakEncryption {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        class,
        supported_encryption_types: account.supported_enctypes.map(SupportedTypes::of),
        keys,
        probed_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(types: Option<u32>, uac: u32) -> Account {
        Account {
            supported_enctypes: types,
            uac: Some(Uac(Uac::WORKSTATION_TRUST_ACCOUNT | uac)),
            ..Account::test("PC01$")
        }
    }

    #[test]
    fn the_attributes_give_des_and_rc4_only() {
        assert_eq!(configured_class(&with(None, 0)), None, "KDC default");
        assert_eq!(configured_class(&with(Some(0), 0)), None, "KDC default");
        assert_eq!(configured_class(&with(Some(0x1c), 0)), None);
        assert_eq!(configured_class(&with(Some(0x18), 0)), None);
        assert_eq!(configured_class(&with(Some(4), 0)), Some(EncClass::Rc4Only));
        assert_eq!(
            configured_class(&with(Some(0x24), 0)),
            Some(EncClass::Rc4Only),
            "the session-key flag is no key"
        );
        assert_eq!(
            configured_class(&with(Some(0x1f), 0)),
            Some(EncClass::DesEnabled)
        );
        assert_eq!(
            configured_class(&with(None, Uac::USE_DES_KEY_ONLY)),
            Some(EncClass::DesEnabled)
        );
    }

    #[test]
    fn a_probe_proves_what_no_attribute_shows() {
        let account = with(None, 0);
        assert_eq!(finding(&account, None), None);
        let none = finding(&account, Some((&KeyProbe::NoAesKeys(vec![23]), "dc1"))).unwrap();
        assert_eq!(none.class(), Some("no_aes_keys"));
        let Finding::WeakEncryption { keys, .. } = none else {
            panic!()
        };
        assert_eq!(keys.unwrap(), ["arcfour-hmac"], "the keys it has");
        assert_eq!(
            finding(&account, Some((&KeyProbe::AesKeys(vec![18, 17]), "dc1"))),
            None
        );
        let rc4 = with(Some(4), 0);
        let Some(Finding::WeakEncryption { class, keys, .. }) =
            finding(&rc4, Some((&KeyProbe::AesKeys(vec![18]), "dc1")))
        else {
            panic!()
        };
        assert_eq!(class, EncClass::Rc4Only);
        assert_eq!(keys.unwrap(), ["aes256-cts-hmac-sha1-96"]);
        let des = with(None, Uac::USE_DES_KEY_ONLY);
        assert_eq!(
            finding(&des, Some((&KeyProbe::NoAesKeys(vec![]), "dc1"))).and_then(|f| f.class()),
            Some("des_enabled"),
            "the cause, not the effect"
        );
        let unknown = KeyProbe::NotProbed("no answer".into());
        assert_eq!(
            finding(&rc4, Some((&unknown, "dc1"))).and_then(|f| f.class()),
            Some("rc4_only")
        );
    }
}
