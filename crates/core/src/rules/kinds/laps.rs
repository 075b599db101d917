//! `laps`: an enabled Windows computer whose local administrator password LAPS does not
//! manage (no expiration time), or no longer rotates (one long past).

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label, time_or_dash};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{no_cause, no_cause_kind};
use crate::rules::coverage::Check;

pub static LAPS: Kind = Kind {
    name: "laps",
    meaning: "the Windows computer's local administrator password is not managed by LAPS (no legacy or Windows LAPS expiration time), or its expiration time is long past (the machine no longer rotates it): a password shared between machines lets one compromised machine open the others",
    severity: Severity::Warning,
    identity: &["dn"],
    classes: &["none", "expired"],
    title: "LAPS (local administrator passwords)",
    columns: &["Account", "Class", "Operating system", "Expires"],
    remediation: "none: put the computer under a Windows LAPS policy (Configure password backup directory: Active Directory); expired: check that the machine is on and its LAPS policy applies (Get-LapsDiagnostics), or retire it",
    needs: Some(Needs {
        on_object: &[Attr::ObjectClass, Attr::UserAccountControl],
        // Judged only when the source is known to hold an expiration time (`local_admin`).
        in_source: &[],
        reads: &[Attr::LegacyLapsExpiry, Attr::LapsExpiry],
        every_object: false,
        commands: &[],
        aliases: &[],
    }),
    fields: &["account", "dn", "class", "operating_system", "expires"],
    cells,
    field,
    cause: no_cause,
    cause_kind: no_cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::Laps {
        account,
        dn,
        class,
        operating_system,
        expires,
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(class.as_str()),
        Text::of(operating_system.as_str()),
        Text::One(time_or_dash(expires)),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::Laps {
        account,
        dn,
        class,
        operating_system,
        expires,
    } = finding
    else {
        return None;
    };
    match name {
        "class" => Some(Cow::Borrowed(class.as_str())),
        "operating_system" => Some(Cow::Borrowed(operating_system)),
        "expires" => expires.map(|time| Cow::Owned(time.to_string())),
        other => account_field(account, dn, other),
    }
}

impl Check {
    pub const LAPS: Check = Check(&LAPS);
}
