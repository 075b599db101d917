//! `confusable_spn`: SPNs the DC holds as different that are the same to a person (and to
//! software that normalizes): equal after Unicode NFKC and removing invisible and
//! bidirectional characters (CVE-2026-25177).

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{Cause, CauseKind, Subject, shell_word};
use crate::rules::coverage::Check;

pub static CONFUSABLE_SPN: Kind = Kind {
    name: "confusable_spn",
    meaning: "SPNs the DC holds as different become the same after Unicode NFKC and removing invisible and bidirectional characters: a look-alike slips past the DC's uniqueness check (CVE-2026-25177)",
    severity: Severity::Critical,
    identity: &["key"],
    classes: &[],
    title: "Look-alike SPNs (confusable)",
    columns: &["Normalized SPN", "Held by"],
    remediation: "remove the look-alike from the account that should not hold it: `setspn -D SPN ACCOUNT` (the SPN as the account holds it, escapes and all); find out who wrote it",
    needs: Some(Needs {
        on_object: &[],
        in_source: &[Attr::ServicePrincipalName],
        reads: &[],
        every_object: true,
        commands: &["spn check"],
        aliases: &["confusables", "confusable"],
    }),
    fields: &["key", "holders"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::ConfusableSpn { key, holders } = finding else {
        return Vec::new();
    };
    let held_by = holders
        .iter()
        .map(|h| Cow::Owned(format!("{} as {}", h.label(), h.spn)))
        .collect();
    vec![Text::of(key.as_str()), Text::Lines(held_by)]
}

/// `holders` as CSV writes them: `account|dn|spn` of each, separated by `;`.
fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::ConfusableSpn { key, holders } = finding else {
        return None;
    };
    match name {
        "key" => Some(Cow::Borrowed(key)),
        "holders" => Some(Cow::Owned(super::holders_text(holders))),
        _ => None,
    }
}

/// A look-alike: removed by hand from the holder that should not have it.
fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::ConfusableSpn { key, holders } = finding else {
        return None;
    };
    let account = on.account?;
    let others: Vec<String> = holders
        .iter()
        .filter(|h| h.dn != account.dn)
        .map(|h| format!("{} as {}", h.label(), h.spn))
        .collect();
    let mine = holders.iter().find(|h| h.dn == account.dn)?;
    let spn = shell_word(&mine.spn);
    Cause::of(
        CauseKind::SpnHeldElsewhere,
        format!(
            "{} looks like {key}, also held by {}",
            mine.spn,
            others.join(", ")
        ),
        format!(
            "remove the look-alike from the account that should not hold it: setspn -D {spn} {} (Samba: samba-tool spn delete {spn} {}) if it is this one",
            on.short()?,
            on.word()?
        ),
        true,
    )
}

fn cause_kind(_: &Finding) -> Option<CauseKind> {
    None
}

impl Check {
    pub const CONFUSABLE_SPN: Check = Check(&CONFUSABLE_SPN);
}
