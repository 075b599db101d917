//! Password staleness (docs/reference.md, "Password staleness"): `never_set`,
//! `rotation_failing`, `inactive`, from `pwdLastSet` and `lastLogonTimestamp` against `as_of` and
//! a number of days. The caller has made sure the account carries what this needs (coverage).

use serde::Serialize;

use super::Finding;
use crate::model::account::Account;
use crate::model::filetime::{FileTime, Timestamp};
use crate::model::roles::AccountClass;

const TICKS_PER_DAY: i64 = 864_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleClass {
    /// `pwdLastSet = 0`: pre-created, or "must change" and never joined.
    NeverSet,
    /// Logged on long after its password was due: the machine cannot rotate it.
    RotationFailing,
    /// Offline, abandoned, or rolled back.
    Inactive,
    /// Logged on long after its password was due, under a Group Policy that stops its
    /// password changes (Group Policy): the policy, not the machine.
    RotationSuppressed,
    /// A password only an admin changes (`AZUREADSSOACC$`), older than the period.
    ManualRotation,
}

impl StaleClass {
    pub const ALL: [StaleClass; 5] = [
        StaleClass::NeverSet,
        StaleClass::RotationFailing,
        StaleClass::Inactive,
        StaleClass::RotationSuppressed,
        StaleClass::ManualRotation,
    ];

    /// The name JSON and CSV use.
    pub fn as_str(self) -> &'static str {
        match self {
            StaleClass::NeverSet => "never_set",
            StaleClass::RotationFailing => "rotation_failing",
            StaleClass::Inactive => "inactive",
            StaleClass::RotationSuppressed => "rotation_suppressed",
            StaleClass::ManualRotation => "manual_rotation",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleSettings {
    pub days: i64,
    pub as_of: FileTime,
    pub include_disabled: bool,
}

impl StaleSettings {
    /// Whether the rule looks at this account: an enabled computer (disabled ones when asked).
    /// Unknown flags are never taken for "enabled".
    pub fn examines(&self, account: &Account) -> bool {
        account.is_computer()
            && account
                .is_disabled()
                .is_some_and(|disabled| self.include_disabled || !disabled)
    }
}

/// The staleness finding for a computer, or `None` when healthy, not examined
/// (`StaleSettings::examines`), or its `pwdLastSet` is unknown.
/// Without `lastLogonTimestamp` in the source, an inactive computer may as well be one whose
/// rotation fails: each such finding says so in its note. Returns how many.
pub(crate) fn unsure_inactive(findings: &mut [Finding]) -> usize {
    let mut marked = 0;
    for finding in findings {
        if let Finding::StalePassword {
            class: StaleClass::Inactive,
            note,
            ..
        } = finding
        {
            note.get_or_insert_with(|| {
                "no lastLogonTimestamp in the source: may be rotation_failing".into()
            });
            marked += 1;
        }
    }
    marked
}

pub fn classify_password(account: &Account, settings: &StaleSettings) -> Option<Finding> {
    let (Some(uac), Some(pwd_last_set)) = (account.uac, account.pwd_last_set) else {
        return None;
    };
    if !settings.examines(account) {
        return None;
    }
    let role = AccountClass::of(account);
    let limit = role
        .stale_after_days(settings.days)
        .saturating_mul(TICKS_PER_DAY);
    let as_of = settings.as_of;
    let (last_logon, note) = match account.last_logon_timestamp {
        Some(logon) if logon > as_of => (
            None,
            Some(format!(
                "lastLogonTimestamp {} is after as_of and was ignored",
                logon.to_rfc3339().unwrap_or_else(|| logon.0.to_string())
            )),
        ),
        other => (other, None),
    };
    let class = if pwd_last_set.is_zero() {
        StaleClass::NeverSet
    } else if as_of.0 - pwd_last_set.0 <= limit {
        return None;
    } else if role.rotated_by_hand() {
        StaleClass::ManualRotation
    } else if last_logon.is_some_and(|logon| logon.0 - pwd_last_set.0 > limit) {
        StaleClass::RotationFailing
    } else {
        StaleClass::Inactive
    };
    let set = Some(pwd_last_set).filter(|time| !time.is_zero());
    Some(Finding::StalePassword {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        class,
        pwd_last_set: set.map(Timestamp),
        last_logon: last_logon.map(Timestamp),
        password_age_days: set.map(|time| time.days_until(as_of)),
        disabled: uac.is_disabled(),
        domain_controller: uac.is_domain_controller(),
        account_class: role,
        note,
    })
}

/// How many examined computers have a password of each age (`summary.password_ages`, the
/// HTML report's chart): days since `pwdLastSet`, in fixed buckets, and `never_set`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PasswordAges([usize; PasswordAges::LABELS.len()]);

impl PasswordAges {
    /// The buckets, youngest first: each up to (not including) the next one's lower bound.
    pub const LABELS: [&'static str; 7] = [
        "0-29",
        "30-59",
        "60-89",
        "90-179",
        "180-364",
        "365+",
        "never_set",
    ];
    const LOWER_BOUNDS: [i64; 6] = [0, 30, 60, 90, 180, 365];

    /// Counts one examined computer whose `pwdLastSet` is known (a future one counts as 0 days).
    pub fn add(&mut self, pwd_last_set: FileTime, as_of: FileTime) {
        let bucket = if pwd_last_set.is_zero() {
            Self::LABELS.len() - 1
        } else {
            let age = pwd_last_set.days_until(as_of).max(0);
            Self::LOWER_BOUNDS
                .iter()
                .rposition(|bound| age >= *bound)
                .unwrap_or(0)
        };
        self.0[bucket] += 1;
    }

    pub fn merge(&mut self, other: &PasswordAges) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine += theirs;
        }
    }

    /// (label, computers), youngest first, `never_set` last.
    pub fn buckets(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        Self::LABELS.into_iter().zip(self.0)
    }
}

impl serde::Serialize for PasswordAges {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Self::LABELS.len()))?;
        for (label, count) in self.buckets() {
            map.serialize_entry(label, &count)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::account::AccountKind;
    use crate::model::uac::Uac;

    const AS_OF: FileTime = FileTime(134_000_000_000_000_000);

    fn days_before(days: i64) -> FileTime {
        FileTime(AS_OF.0 - days * TICKS_PER_DAY)
    }

    fn computer(pwd: Option<FileTime>, logon: Option<FileTime>, uac: u32) -> Account {
        Account {
            uac: Some(Uac(uac)),
            pwd_last_set: pwd,
            last_logon_timestamp: logon,
            ..Account::test("PC$")
        }
    }

    fn class_of(account: &Account, include_disabled: bool) -> Option<StaleClass> {
        let settings = StaleSettings {
            days: 45,
            as_of: AS_OF,
            include_disabled,
        };
        match classify_password(account, &settings) {
            Some(Finding::StalePassword { class, .. }) => Some(class),
            None => None,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exactly_d_days_is_healthy_one_tick_more_is_not() {
        assert_eq!(
            class_of(&computer(Some(days_before(45)), None, 4096), false),
            None
        );
        let just_over = FileTime(days_before(45).0 - 1);
        assert_eq!(
            class_of(&computer(Some(just_over), None, 4096), false),
            Some(StaleClass::Inactive)
        );
    }

    #[test]
    fn never_set_rotation_failing_and_inactive() {
        assert_eq!(
            class_of(&computer(Some(FileTime(0)), None, 4096), false),
            Some(StaleClass::NeverSet)
        );
        assert_eq!(
            class_of(&computer(None, None, 4096), false),
            None,
            "an absent pwdLastSet is unknown, not never set"
        );
        let rotation = computer(Some(days_before(120)), Some(days_before(2)), 4096);
        assert_eq!(
            class_of(&rotation, false),
            Some(StaleClass::RotationFailing)
        );
        let inactive = computer(Some(days_before(200)), Some(days_before(190)), 4096);
        assert_eq!(class_of(&inactive, false), Some(StaleClass::Inactive));
        let no_logon = computer(Some(days_before(200)), None, 4096);
        assert_eq!(class_of(&no_logon, false), Some(StaleClass::Inactive));
        // Logon exactly D days after the password: not yet failing.
        let edge = computer(Some(days_before(100)), Some(days_before(55)), 4096);
        assert_eq!(class_of(&edge, false), Some(StaleClass::Inactive));
    }

    #[test]
    fn future_logon_is_ignored_and_noted() {
        let account = computer(Some(days_before(120)), Some(FileTime(AS_OF.0 + 1)), 4096);
        let settings = StaleSettings {
            days: 45,
            as_of: AS_OF,
            include_disabled: false,
        };
        let Some(Finding::StalePassword {
            class,
            note,
            last_logon,
            ..
        }) = classify_password(&account, &settings)
        else {
            panic!("expected a finding");
        };
        assert_eq!(class, StaleClass::Inactive);
        assert_eq!(last_logon, None);
        assert!(note.unwrap().contains("after as_of"));
    }

    #[test]
    fn disabled_only_when_asked_and_dcs_are_marked() {
        let disabled = computer(Some(days_before(300)), None, 4098);
        assert_eq!(class_of(&disabled, false), None);
        assert_eq!(class_of(&disabled, true), Some(StaleClass::Inactive));
        let dc = computer(Some(days_before(300)), None, 0x2000);
        let settings = StaleSettings {
            days: 45,
            as_of: AS_OF,
            include_disabled: false,
        };
        assert!(matches!(
            classify_password(&dc, &settings),
            Some(Finding::StalePassword {
                domain_controller: true,
                ..
            })
        ));
    }

    #[test]
    fn cluster_names_get_three_years_and_the_sso_account_is_due_not_failing() {
        let cluster = |age: i64| Account {
            spns: vec!["MSClusterVirtualServer/CLU01".into()],
            ..computer(Some(days_before(age)), Some(days_before(1)), 4096)
        };
        assert_eq!(class_of(&cluster(400), false), None);
        assert_eq!(
            class_of(&cluster(1200), false),
            Some(StaleClass::RotationFailing)
        );
        let sso = Account {
            sam_account_name: Some("AZUREADSSOACC$".into()),
            ..computer(Some(days_before(60)), None, 4096)
        };
        assert_eq!(class_of(&sso, false), Some(StaleClass::ManualRotation));
        let settings = StaleSettings {
            days: 45,
            as_of: AS_OF,
            include_disabled: false,
        };
        let Some(Finding::StalePassword { account_class, .. }) = classify_password(&sso, &settings)
        else {
            panic!("stale");
        };
        assert_eq!(account_class, AccountClass::AzureAdSso);
    }

    #[test]
    fn users_are_not_examined() {
        let mut user = computer(Some(FileTime(0)), None, 512);
        user.kind = Some(AccountKind::User);
        assert_eq!(class_of(&user, true), None);
        let mut unknown = computer(Some(FileTime(0)), None, 4096);
        unknown.uac = None;
        assert_eq!(
            class_of(&unknown, true),
            None,
            "no flags: neither enabled nor disabled"
        );
    }

    #[test]
    fn password_ages_fall_into_their_buckets() {
        let mut ages = PasswordAges::default();
        for days in [0, 29, 30, 89, 90, 364, 365, 4000, -3] {
            ages.add(days_before(days), AS_OF);
        }
        ages.add(FileTime(0), AS_OF);
        let counts: Vec<usize> = ages.buckets().map(|(_, count)| count).collect();
        assert_eq!(counts, [3, 1, 1, 1, 1, 2, 1]);
        let json = serde_json::to_value(ages).unwrap();
        assert_eq!(json["365+"], 2);
        assert_eq!(json["never_set"], 1);
    }
}
