//! `missing_spn`: an SPN every computer holds is absent.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{Cause, CauseKind, Subject};
use crate::rules::coverage::Check;

pub static MISSING_SPN: Kind = Kind {
    name: "missing_spn",
    meaning: "an SPN every computer holds (HOST/, RestrictedKrbHost/, TERMSRV/ where used) is absent: Kerberos to that name fails",
    severity: Severity::Warning,
    identity: &["dn", "spn"],
    classes: &[],
    title: "Missing SPNs",
    columns: &["Account", "Missing SPN"],
    remediation: "`adcomputer spn fix NAME --apply` adds it",
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
    fields: &["account", "dn", "spn"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::MissingSpn { account, dn, spn } = finding else {
        return Vec::new();
    };
    vec![Text::One(label(account, dn)), Text::of(spn.as_str())]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::MissingSpn { account, dn, spn } = finding else {
        return None;
    };
    match name {
        "spn" => Some(Cow::Borrowed(spn)),
        other => account_field(account, dn, other),
    }
}

fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::MissingSpn { spn, .. } = finding else {
        return None;
    };
    Cause::of(
        CauseKind::SpnAbsent,
        format!("{spn} is absent"),
        format!(
            "adcomputer spn fix {} --apply   # journaled; adcomputer undo JOURNAL --apply reverses it",
            on.word()?
        ),
        false,
    )
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    matches!(finding, Finding::MissingSpn { .. }).then_some(CauseKind::SpnAbsent)
}

impl Check {
    pub const MISSING_SPN: Check = Check(&MISSING_SPN);
}
