//! `duplicate_spn`: two objects hold the same SPN, or an alias of it.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::coverage::Check;

pub static DUPLICATE_SPN: Kind = Kind {
    name: "duplicate_spn",
    meaning: "two objects hold the same SPN (or an alias of it): the KDC cannot tell whose key to use, and Kerberos to that name fails",
    severity: Severity::Critical,
    identity: &["key"],
    classes: &[],
    title: "Duplicate SPNs",
    columns: &["SPN", "Held by", "Via alias"],
    remediation: "between computers: `adcomputer spn fix NAME --dedupe --apply`; held by a user or \
                  service account: `setspn -D SPN ACCOUNT` on the holder that should not have it",
    needs: Some(Needs {
        on_object: &[],
        in_source: &[Attr::ServicePrincipalName],
        every_object: true,
        commands: &["spn check"],
        aliases: &["duplicates", "duplicate"],
    }),
    fields: &["key", "via_alias", "holders"],
    cells,
    field,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::DuplicateSpn {
        key,
        via_alias,
        holders,
    } = finding
    else {
        return Vec::new();
    };
    let held_by = holders
        .iter()
        .map(|h| Cow::Owned(format!("{} as {}", h.label(), h.spn)))
        .collect();
    let alias = if *via_alias {
        "yes (sPNMappings)"
    } else {
        "no"
    };
    vec![
        Text::of(key.as_str()),
        Text::Lines(held_by),
        Text::of(alias),
    ]
}

/// `holders` as CSV writes them: `account|dn|spn` of each, separated by `;`.
fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::DuplicateSpn {
        key,
        via_alias,
        holders,
    } = finding
    else {
        return None;
    };
    match name {
        "key" => Some(Cow::Borrowed(key)),
        "via_alias" => Some(Cow::Borrowed(if *via_alias { "true" } else { "false" })),
        "holders" => Some(Cow::Owned(
            holders
                .iter()
                .map(|h| format!("{}|{}|{}", h.account.as_deref().unwrap_or(""), h.dn, h.spn))
                .collect::<Vec<_>>()
                .join(";"),
        )),
        _ => None,
    }
}

impl Check {
    pub const DUPLICATE_SPN: Check = Check(&DUPLICATE_SPN);
}
