//! `default_password`: the KDC accepts the computer's default password.

use std::borrow::Cow;

use super::{Kind, Severity, Text, account_field, label};
use crate::rules::Finding;

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
