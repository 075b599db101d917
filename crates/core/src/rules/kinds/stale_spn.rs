//! `stale_spn`: an SPN that names an old DNS name of the computer.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{Cause, CauseKind, Subject};
use crate::rules::coverage::Check;

pub static STALE_SPN: Kind = Kind {
    name: "stale_spn",
    meaning: "an SPN names an old DNS name of the computer",
    severity: Severity::Notice,
    identity: &["dn", "spn"],
    classes: &[],
    title: "Stale SPNs (old DNS names)",
    columns: &["Account", "SPN", "Replacement"],
    remediation: "`adcomputer spn fix NAME --apply` moves it to the current dNSHostName",
    needs: Some(Needs {
        on_object: &[
            Attr::ObjectClass,
            Attr::SamAccountName,
            Attr::UserAccountControl,
        ],
        in_source: &[Attr::ServicePrincipalName, Attr::DnsHostName],
        reads: &[Attr::AdditionalDnsHostName],
        every_object: false,
        commands: &["spn check"],
        aliases: &[],
    }),
    fields: &["account", "dn", "spn", "replacement"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::StaleSpn {
        account,
        dn,
        spn,
        replacement,
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(spn.as_str()),
        Text::of(replacement.as_deref().unwrap_or("(no dNSHostName)")),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::StaleSpn {
        account,
        dn,
        spn,
        replacement,
    } = finding
    else {
        return None;
    };
    match name {
        "spn" => Some(Cow::Borrowed(spn)),
        "replacement" => replacement.as_deref().map(Cow::Borrowed),
        other => account_field(account, dn, other),
    }
}

fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::StaleSpn { spn, .. } = finding else {
        return None;
    };
    Cause::of(
        CauseKind::SpnOnOldName,
        format!("{spn} names an old DNS name"),
        format!(
            "adcomputer spn fix {} --apply   # journaled; adcomputer undo JOURNAL --apply reverses it",
            on.word()?
        ),
        false,
    )
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    matches!(finding, Finding::StaleSpn { .. }).then_some(CauseKind::SpnOnOldName)
}

impl Check {
    pub const STALE_SPN: Check = Check(&STALE_SPN);
}
