//! `not_found`: a name given that matches no object.

use std::borrow::Cow;

use super::{Kind, Severity, Text};
use crate::rules::Finding;
use crate::rules::causes::{no_cause, no_cause_kind};

pub static NOT_FOUND: Kind = Kind {
    name: "not_found",
    meaning: "a name given matches no object",
    severity: Severity::Warning,
    identity: &["name"],
    classes: &[],
    title: "Names not found",
    columns: &["Name", "Not checked because"],
    remediation: "check the name (sAMAccountName with or without $, dNSHostName or DN) and -b",
    needs: None,
    fields: &["name"],
    cells,
    field,
    cause: no_cause,
    cause_kind: no_cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::NotFound { name } = finding else {
        return Vec::new();
    };
    vec![Text::of(name.as_str()), Text::of("not found")]
}

fn field<'a>(finding: &'a Finding, field: &str) -> Option<Cow<'a, str>> {
    match (finding, field) {
        (Finding::NotFound { name }, "name") => Some(Cow::Borrowed(name)),
        _ => None,
    }
}
