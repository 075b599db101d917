//! `rotation_policy`: Group Policy stops or slows machine-password changes (the workaround for
//! Server 2025 rotation failures, left in force).

use std::borrow::Cow;

use super::{Kind, Severity, Text};
use crate::rules::Finding;
use crate::rules::causes::{self, Cause, CauseKind, Subject};

pub static ROTATION_POLICY: Kind = Kind {
    name: "rotation_policy",
    meaning: "a GPO stops machine-password changes (DCs refuse them, or members never change theirs) or lets them wait more than 30 days",
    severity: Severity::Warning,
    identity: &["gpo", "class"],
    classes: &["dcs_refuse_changes", "members_never_rotate", "long_max_age"],
    title: "Rotation policy (Group Policy stops or slows machine-password changes)",
    columns: &["GPO", "Class", "Linked to", "Computers"],
    remediation: "roll the workaround back once the fix is installed: unlink or reset the option \
                  on a test OU first, then in stages, watching one or two 30-day cycles \
                  (`adcomputer stale` each time) before the next",
    needs: None,
    fields: &["class", "gpo", "linked_to", "computers", "accounts"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::RotationPolicy {
        class,
        gpo,
        linked_to,
        computers,
        ..
    } = finding
    else {
        return Vec::new();
    };
    let name = match &gpo.name {
        Some(name) => format!("{name} {}", gpo.guid),
        None => gpo.guid.clone(),
    };
    vec![
        Text::of(name),
        Text::of(class.as_str()),
        Text::Lines(
            linked_to
                .iter()
                .map(|dn| Cow::Borrowed(dn.as_str()))
                .collect(),
        ),
        Text::of(computers.to_string()),
    ]
}

/// `gpo` as its GUID, `linked_to` and `accounts` separated by `;`.
fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::RotationPolicy {
        class,
        gpo,
        linked_to,
        computers,
        accounts,
    } = finding
    else {
        return None;
    };
    match name {
        "class" => Some(Cow::Borrowed(class.as_str())),
        "gpo" => Some(Cow::Borrowed(&gpo.guid)),
        "linked_to" => Some(Cow::Owned(linked_to.join(";"))),
        "computers" => Some(Cow::Owned(computers.to_string())),
        "accounts" => Some(Cow::Owned(accounts.join(";"))),
        _ => None,
    }
}

/// The GPO's rollback (the seed article's advice).
fn cause(finding: &Finding, _: &Subject<'_>) -> Option<Cause> {
    let Finding::RotationPolicy { class, gpo, .. } = finding else {
        return None;
    };
    let name = gpo.name.as_deref().unwrap_or(&gpo.guid);
    Cause::of(
        CauseKind::GpoStopsRotation,
        format!("GPO {name} ({})", class.as_str()),
        causes::rollback(*class, name),
        true,
    )
}

fn cause_kind(_: &Finding) -> Option<CauseKind> {
    None
}
