//! `deleted_computer`: a computer deleted within the staleness period.

use std::borrow::Cow;

use super::{Kind, Severity, Text, account_field, label, time_or_dash};
use crate::rules::Finding;
use crate::rules::causes::{Cause, CauseKind, Subject, shell_word};

pub static DELETED_COMPUTER: Kind = Kind {
    name: "deleted_computer",
    meaning: "a computer deleted within the staleness period: its machine cannot log on",
    severity: Severity::Notice,
    identity: &["dn"],
    classes: &[],
    title: "Deleted computers (`adcomputer restore NAME` brings one back)",
    columns: &["Account", "Deleted", "Last known parent"],
    remediation: "`adcomputer restore NAME --apply` brings it back with its SID and group memberships",
    needs: None,
    fields: &["account", "dn", "last_known_parent", "deleted_at"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::DeletedComputer {
        account,
        dn,
        last_known_parent,
        deleted_at,
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::One(time_or_dash(deleted_at)),
        Text::of(last_known_parent.as_deref().unwrap_or("-")),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::DeletedComputer {
        account,
        dn,
        last_known_parent,
        deleted_at,
    } = finding
    else {
        return None;
    };
    match name {
        "last_known_parent" => last_known_parent.as_deref().map(Cow::Borrowed),
        "deleted_at" => deleted_at.and_then(|at| at.0.to_rfc3339()).map(Cow::Owned),
        other => account_field(account, dn, other),
    }
}

/// Deleted: `restore` brings it back (`show` of a name only a tombstone has).
fn cause(finding: &Finding, _: &Subject<'_>) -> Option<Cause> {
    let Finding::DeletedComputer {
        account,
        dn,
        last_known_parent,
        deleted_at,
    } = finding
    else {
        return None;
    };
    let name = account.as_deref().unwrap_or(dn);
    Some(Cause {
        cause: CauseKind::Deleted,
        evidence: format!(
            "deleted {} from {}; a tombstone keeps it until the tombstone lifetime ends",
            deleted_at.map_or_else(|| "at an unknown time".into(), |at| format!("on {at}")),
            last_known_parent
                .as_deref()
                .unwrap_or("an unknown container")
        ),
        next_step: format!(
            "adcomputer restore {} --apply   # back where it was, with its SPNs rebuilt and a new password the machine must rejoin with",
            shell_word(name)
        ),
        manual: false,
    })
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    matches!(finding, Finding::DeletedComputer { .. }).then_some(CauseKind::Deleted)
}
