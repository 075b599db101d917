//! Local administrator passwords (`laps`, docs/reference.md "Migration hygiene"): an enabled
//! Windows computer that is not a DC should have a LAPS expiration time, legacy
//! (`ms-Mcs-AdmPwdExpirationTime`) or Windows LAPS (`msLAPS-PasswordExpirationTime`), and not
//! one long past. Only the expiration times are read: the passwords never are.

use serde::Serialize;

use super::Finding;
use crate::model::account::Account;
use crate::model::filetime::{FileTime, Timestamp};

/// What is wrong with its LAPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LapsClass {
    /// Neither expiration time: its local administrator password is not managed.
    None,
    /// The newest expiration time is more than the staleness period past: the machine no
    /// longer rotates it (offline, or its LAPS client broken).
    Expired,
}

impl LapsClass {
    pub fn as_str(self) -> &'static str {
        match self {
            LapsClass::None => "none",
            LapsClass::Expired => "expired",
        }
    }
}

/// Coverage's note when the source is not known to hold either expiration time (an export
/// made without them).
pub const NOT_IN_SOURCE: &str = "the source holds neither ms-Mcs-AdmPwdExpirationTime nor msLAPS-PasswordExpirationTime: LAPS not judged; export them (see docs/reference.md)";

/// Coverage's note when the DC's schema defines neither attribute.
pub const NO_SCHEMA: &str = "the schema defines neither LAPS attribute (ms-Mcs-AdmPwdExpirationTime, msLAPS-PasswordExpirationTime): no computer can have a LAPS password yet";

/// Whether the check looks at `account`: an enabled computer that says it runs Windows and is
/// not a DC (a DC has no local accounts).
pub fn examines(account: &Account) -> bool {
    account.is_computer()
        && account.is_disabled() == Some(false)
        && !account
            .uac
            .is_some_and(|uac| uac.is_domain_controller() || uac.is_read_only_dc())
        && account.operating_system.as_deref().is_some_and(|os| {
            os.get(..7)
                .is_some_and(|w| w.eq_ignore_ascii_case("windows"))
        })
}

/// The finding `account` gives as of `as_of`, with `days` the staleness period.
pub fn judge(account: &Account, as_of: FileTime, days: i64) -> Option<Finding> {
    let newest = account.legacy_laps_expiry.max(account.laps_expiry);
    let class = match newest {
        None => LapsClass::None,
        Some(expiry) if expiry.days_until(as_of) > days => LapsClass::Expired,
        Some(_) => return None,
    };
    Some(Finding::Laps {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        class,
        operating_system: account.operating_system.clone().unwrap_or_default(),
        expires: newest.map(Timestamp),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(legacy: Option<i64>, windows_laps: Option<i64>) -> Account {
        Account {
            operating_system: Some("Windows 11 Enterprise".into()),
            legacy_laps_expiry: legacy.map(FileTime),
            laps_expiry: windows_laps.map(FileTime),
            ..Account::test("PC$")
        }
    }

    #[test]
    fn the_newest_expiration_time_of_either_laps_counts() {
        let day = 864_000_000_000;
        let as_of = FileTime(200 * day);
        let class = |account: &Account| match judge(account, as_of, 45) {
            Some(Finding::Laps { class, .. }) => Some(class),
            _ => None,
        };
        assert_eq!(class(&windows(None, None)), Some(LapsClass::None));
        assert_eq!(
            class(&windows(Some(100 * day), None)),
            Some(LapsClass::Expired)
        );
        assert_eq!(class(&windows(Some(100 * day), Some(190 * day))), None);
        assert_eq!(class(&windows(None, Some(230 * day))), None);
        assert_eq!(class(&windows(Some(160 * day), None)), None);
    }

    #[test]
    fn only_enabled_windows_members_are_examined() {
        assert!(examines(&windows(None, None)));
        let linux = Account {
            operating_system: Some("Linux".into()),
            ..windows(None, None)
        };
        assert!(!examines(&linux));
        assert!(!examines(&Account::test("PC$")));
        let dc = Account {
            uac: Some(crate::model::uac::Uac(
                crate::model::uac::Uac::SERVER_TRUST_ACCOUNT,
            )),
            ..windows(None, None)
        };
        assert!(!examines(&dc));
    }
}
