//! `default_password`: the KDC accepts the computer's default password.

use std::borrow::Cow;

use super::{Kind, Severity, Text, account_field, label};
use crate::rules::Finding;
use crate::rules::causes::{Cause, CauseKind, Subject};

pub static DEFAULT_PASSWORD: Kind = Kind {
    name: "default_password",
    meaning: "the KDC accepts the computer's default password: anyone who knows its name can take the account over",
    severity: Severity::Critical,
    identity: &["dn"],
    classes: &[],
    title: "Default passwords (anyone who knows the name can take these over)",
    columns: &["Account", "DN"],
    remediation: "join the machine now (its join sets a random password), or disable or delete the account",
    needs: None,
    fields: &["account", "dn"],
    cells,
    field,
    cause,
    cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::DefaultPassword { account, dn } = finding else {
        return Vec::new();
    };
    vec![Text::One(label(account, dn)), Text::of(dn.as_str())]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::DefaultPassword { account, dn } = finding else {
        return None;
    };
    account_field(account, dn, name)
}

/// Never joined, and anyone may log on as it: disabled until it joins (a reset would set the
/// same default password).
fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    cause_kind(finding)?;
    Cause::of(
        CauseKind::KnownPassword,
        "the KDC accepted its default password (the lower-cased name): anyone who knows the name can log on as it".into(),
        format!(
            "Disable-ADComputer {} (Samba: samba-tool user disable {}) until its machine joins, or delete it   # a reset would set the same default password",
            on.short()?,
            on.word()?
        ),
        true,
    )
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    matches!(finding, Finding::DefaultPassword { .. }).then_some(CauseKind::KnownPassword)
}
