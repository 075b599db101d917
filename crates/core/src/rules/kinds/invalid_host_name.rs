//! `invalid_host_name`: a name no SPN is built from.

use std::borrow::Cow;

use super::{Kind, Severity, Text, account_field, label};
use crate::rules::Finding;
use crate::rules::causes::{Cause, CauseKind, Subject};

pub static INVALID_HOST_NAME: Kind = Kind {
    name: "invalid_host_name",
    meaning: "sAMAccountName or dNSHostName is not a valid host name, so no SPN is built from it",
    severity: Severity::Warning,
    identity: &["dn", "attribute"],
    classes: &[],
    title: "Names no SPN is built from (not valid host names)",
    columns: &["Account", "Attribute", "Value", "Why"],
    remediation: "correct the attribute (ADUC's Attribute Editor, or ldapmodify); the SPN rules then apply",
    needs: None,
    fields: &["account", "dn", "attribute", "value", "reason"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::InvalidHostName {
        account,
        dn,
        attribute,
        value,
        reason,
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(*attribute),
        Text::of(value.as_str()),
        Text::of(reason.as_str()),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::InvalidHostName {
        account,
        dn,
        attribute,
        value,
        reason,
    } = finding
    else {
        return None;
    };
    match name {
        "attribute" => Some(Cow::Borrowed(*attribute)),
        "value" => Some(Cow::Borrowed(value)),
        "reason" => Some(Cow::Borrowed(reason)),
        other => account_field(account, dn, other),
    }
}

fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::InvalidHostName {
        attribute, reason, ..
    } = finding
    else {
        return None;
    };
    on.account?;
    Cause::of(
        CauseKind::UnusableHostName,
        format!("its {attribute} {reason}"),
        format!(
            "correct its {attribute} (anyone with write access may have set it); no SPN is built from it until then"
        ),
        true,
    )
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    matches!(finding, Finding::InvalidHostName { .. }).then_some(CauseKind::UnusableHostName)
}
