//! `stale_password`: a machine password older than the rotation period, or never set.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label, time_or_dash};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::coverage::Check;

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
    ],
    title: "Stale machine passwords",
    columns: &["Account", "Class", "Password age", "Last logon", "Notes"],
    remediation: "a machine that still logs on repairs itself (Test-ComputerSecureChannel -Repair on it); \
                  one never joined or abandoned: `adcomputer reset NAME --apply` and a rejoin, or delete it",
    needs: Some(Needs {
        on_object: &[
            Attr::ObjectClass,
            Attr::UserAccountControl,
            Attr::PwdLastSet,
        ],
        in_source: &[],
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
        "note",
    ],
    cells,
    field,
};

/// What a stale password's row notes besides its class: disabled, a DC, what was ignored.
fn notes(disabled: bool, domain_controller: bool, note: Option<&str>) -> String {
    [
        disabled.then_some("disabled"),
        domain_controller.then_some("domain controller"),
        note,
    ]
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
        domain_controller,
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
        Text::of(notes(*disabled, *domain_controller, note.as_deref())),
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
        "note" => note.as_deref().map(Cow::Borrowed),
        other => account_field(account, dn, other),
    }
}

impl Check {
    pub const STALE_PASSWORD: Check = Check(&STALE_PASSWORD);
}
