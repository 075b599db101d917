//! `ambiguous`: a name given that matches several objects.

use std::borrow::Cow;

use super::{Kind, Severity, Text};
use crate::rules::Finding;
use crate::rules::causes::{no_cause, no_cause_kind};

pub static AMBIGUOUS: Kind = Kind {
    name: "ambiguous",
    meaning: "a name given matches several objects; nothing was done to any",
    severity: Severity::Warning,
    identity: &["name"],
    classes: &[],
    title: "Ambiguous names",
    columns: &["Name", "Not checked because"],
    remediation: "name the object by its DN",
    needs: None,
    fields: &["name", "candidates"],
    cells,
    field,
    cause: no_cause,
    cause_kind: no_cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::Ambiguous { name, candidates } = finding else {
        return Vec::new();
    };
    let dns = candidates.iter().map(|c| Cow::Borrowed(c.dn.as_str()));
    let lines = std::iter::once(Cow::Borrowed("ambiguous:"))
        .chain(dns)
        .collect();
    vec![Text::of(name.as_str()), Text::Lines(lines)]
}

/// `candidates` as their DNs separated by `;`.
fn field<'a>(finding: &'a Finding, field: &str) -> Option<Cow<'a, str>> {
    let Finding::Ambiguous { name, candidates } = finding else {
        return None;
    };
    match field {
        "name" => Some(Cow::Borrowed(name)),
        "candidates" => Some(Cow::Owned(
            candidates
                .iter()
                .map(|candidate| candidate.dn.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        )),
        _ => None,
    }
}
