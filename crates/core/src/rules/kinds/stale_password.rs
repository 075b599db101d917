//! `stale_password`: a machine password older than the rotation period, or never set.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label, time_or_dash};
use crate::model::account::Attr;
use crate::model::roles::AccountClass;
use crate::rules::causes::{self, Cause, CauseKind, Subject};
use crate::rules::coverage::Check;
use crate::rules::group_policy::{self, PolicyClass};
use crate::rules::{Finding, StaleClass};

pub static STALE_PASSWORD: Kind = Kind {
    name: "stale_password",
    meaning: "the machine password is older than the rotation period, or was never set",
    severity: Severity::Warning,
    identity: &["dn"],
    classes: &[
        "never_set",
        "rotation_failing",
        "inactive",
        "rotation_suppressed",
        "manual_rotation",
    ],
    title: "Stale machine passwords",
    columns: &["Account", "Class", "Password age", "Last logon", "Notes"],
    remediation: "a machine that still logs on repairs itself (Test-ComputerSecureChannel -Repair on it); \
                  one never joined or abandoned: `adcomputer reset NAME --apply` and a rejoin, or delete it; \
                  AZUREADSSOACC$ (manual_rotation): roll its key over on the Entra Connect server (Update-AzureADSSOForest)",
    needs: Some(Needs {
        on_object: &[
            Attr::ObjectClass,
            Attr::UserAccountControl,
            Attr::PwdLastSet,
        ],
        in_source: &[],
        reads: &[],
        every_object: false,
        commands: &["stale"],
        aliases: &["stale", "password", "passwords"],
    }),
    fields: &[
        "account",
        "dn",
        "class",
        "pwd_last_set",
        "last_logon",
        "password_age_days",
        "disabled",
        "domain_controller",
        "account_class",
        "note",
    ],
    cells,
    field,
    cause,
    cause_kind,
};

/// What a stale password's row notes besides its class: disabled, what the account is for
/// unless a member, what was ignored.
fn notes(disabled: bool, role: AccountClass, note: Option<&str>) -> String {
    let role = match role {
        AccountClass::Member => None,
        AccountClass::DomainController => Some("domain controller"),
        other => Some(other.as_str()),
    };
    [disabled.then_some("disabled"), role, note]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
}

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::StalePassword {
        account,
        dn,
        class,
        password_age_days,
        last_logon,
        disabled,
        account_class,
        note,
        ..
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(class.as_str()),
        Text::of(password_age_days.map_or(Cow::Borrowed("never set"), |d| {
            Cow::Owned(format!("{d} days"))
        })),
        Text::One(time_or_dash(last_logon)),
        Text::of(notes(*disabled, *account_class, note.as_deref())),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::StalePassword {
        account,
        dn,
        class,
        pwd_last_set,
        last_logon,
        password_age_days,
        disabled,
        domain_controller,
        account_class,
        note,
    } = finding
    else {
        return None;
    };
    let time = |time: &Option<crate::model::filetime::Timestamp>| {
        time.and_then(|t| t.0.to_rfc3339()).map(Cow::Owned)
    };
    match name {
        "class" => Some(Cow::Borrowed(class.as_str())),
        "pwd_last_set" => time(pwd_last_set),
        "last_logon" => time(last_logon),
        "password_age_days" => password_age_days.map(|days| Cow::Owned(days.to_string())),
        "disabled" => Some(Cow::Borrowed(if *disabled { "true" } else { "false" })),
        "domain_controller" => Some(Cow::Borrowed(if *domain_controller {
            "true"
        } else {
            "false"
        })),
        "account_class" => Some(Cow::Borrowed(account_class.as_str())),
        "note" => note.as_deref().map(Cow::Borrowed),
        other => account_field(account, dn, other),
    }
}

/// Why it loses trust, by class: a rotation that fails while it logs on is mended on the
/// machine (never a DC-side reset, which cuts it off); an inactive one is disabled.
fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::StalePassword {
        class,
        password_age_days,
        last_logon,
        note,
        ..
    } = finding
    else {
        return None;
    };
    let (word, short, reset) = (on.word()?, on.short()?, on.reset()?);
    let age =
        password_age_days.map_or_else(|| "of unknown age".into(), |d| format!("{d} days old"));
    let logon =
        last_logon.map_or_else(|| "no logon recorded".into(), |t| format!("last logon {t}"));
    let evidence = format!("password {age}, {logon}");
    match class {
        StaleClass::RotationFailing => Cause::of(
            CauseKind::RotationFailing,
            evidence,
            "on the machine, which still logs on: Test-ComputerSecureChannel -Repair (or Reset-ComputerMachinePassword; Linux: `adcli update`)   # no outage; a DC-side reset would break its working secure channel until it rejoins".into(),
            true,
        ),
        StaleClass::RotationSuppressed => Cause::of(
            CauseKind::GpoStopsRotation,
            format!("{evidence}; {}", note.as_deref().unwrap_or("Group Policy stops its password changes")),
            match note.as_deref().and_then(group_policy::gpo_of_note) {
                Some(gpo) => format!(
                    "nothing on the machine: {}",
                    causes::rollback(PolicyClass::MembersNeverRotate, gpo)
                ),
                None => "nothing on the machine: roll back the GPO that stops its password changes (adcomputer audit names it)".into(),
            },
            true,
        ),
        StaleClass::Inactive => Cause::of(
            CauseKind::Inactive,
            evidence,
            format!(
                "if nobody claims it: Disable-ADComputer {short} (Samba: samba-tool user disable {word}), delete it after your retention period; if the machine exists and reports a broken trust: {reset}, then rejoin it"
            ),
            true,
        ),
        // Not a machine's trust: the key of single sign-on, rolled over by an admin.
        StaleClass::ManualRotation => None,
        StaleClass::NeverSet => Cause::of(
            CauseKind::NeverSet,
            "pwdLastSet is 0: no machine ever joined under this account".into(),
            format!(
                "if no machine is to join under this name: Remove-ADComputer {short} (Samba: samba-tool computer delete {short}); a join sets its password"
            ),
            true,
        ),
    }
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    let Finding::StalePassword {
        class, disabled, ..
    } = finding
    else {
        return None;
    };
    Some(match (disabled, class) {
        (_, StaleClass::ManualRotation) => return None,
        (true, _) => CauseKind::Disabled,
        (_, StaleClass::RotationFailing) => CauseKind::RotationFailing,
        (_, StaleClass::RotationSuppressed) => CauseKind::GpoStopsRotation,
        (_, StaleClass::Inactive) => CauseKind::Inactive,
        (_, StaleClass::NeverSet) => CauseKind::NeverSet,
    })
}

impl Check {
    pub const STALE_PASSWORD: Check = Check(&STALE_PASSWORD);
}
