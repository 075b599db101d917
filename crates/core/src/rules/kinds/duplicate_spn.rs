//! `duplicate_spn`: two objects hold the same SPN, or an alias of it.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text};
use crate::model::account::Attr;
use crate::model::account::{Account, AccountKind};
use crate::model::spn::{Spn, same_host};
use crate::rules::Finding;
use crate::rules::Holder;
use crate::rules::causes::{Cause, CauseKind, Subject, shell_word};
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
        reads: &[],
        every_object: true,
        commands: &["spn check"],
        aliases: &["duplicates", "duplicate"],
    }),
    fields: &["key", "via_alias", "holders"],
    cells,
    field,
    cause,
    cause_kind,
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
        "holders" => Some(Cow::Owned(super::holders_text(holders))),
        _ => None,
    }
}

fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::DuplicateSpn { key, holders, .. } = finding else {
        return None;
    };
    duplicate(on.account?, key, holders)
}

fn cause_kind(_: &Finding) -> Option<CauseKind> {
    None
}

/// A duplicate's cause for `account`: with a service account, a manual `setspn -D` naming the
/// account to keep when the directory shows it; between computers, `spn fix --dedupe` on the
/// computer that does not own the SPN's host (the one dedupe changes).
fn duplicate(account: &Account, key: &str, holders: &[Holder]) -> Option<Cause> {
    let others: Vec<&Holder> = holders.iter().filter(|h| h.dn != account.dn).collect();
    let held = others
        .iter()
        .map(|h| format!("{} as {}", h.label(), h.spn))
        .collect::<Vec<_>>()
        .join(", ");
    let services: Vec<&&Holder> = others
        .iter()
        .filter(|h| h.kind.is_none_or(AccountKind::is_service_account))
        .collect();
    let mine = holders.iter().find(|h| h.dn == account.dn)?;
    let host = Spn::parse(&mine.spn).map_or("", |spn| spn.host);
    let owns = account
        .short_name()
        .is_some_and(|short| same_host(host, short))
        || account
            .dns_host_name
            .iter()
            .chain(&account.additional_dns_host_names)
            .any(|name| same_host(host, name));
    if !services.is_empty() {
        let delete = |spn: &str, holder: &str| {
            format!(
                "setspn -D {} {} (Samba: samba-tool spn delete {} {})",
                shell_word(spn),
                shell_word(holder),
                shell_word(spn),
                shell_word(holder)
            )
        };
        let service = services[0];
        let is_host_class = Spn::parse(&mine.spn).is_some_and(|spn| {
            ["host", "restrictedkrbhost"]
                .iter()
                .any(|c| spn.class.eq_ignore_ascii_case(c))
        });
        let step = if owns && is_host_class {
            // The computer's own HOST SPN (or an alias of it on the service account): the
            // directory shows whose name it is.
            format!(
                "keep it on {}: {}",
                account.label(),
                delete(&service.spn, service.label())
            )
        } else {
            format!(
                "keep it on the account the service runs as — if {svc}: {}; if the computer (Local System, Network Service): {}",
                delete(&mine.spn, account.short_name().unwrap_or(account.label())),
                delete(&service.spn, service.label()),
                svc = service.label(),
            )
        };
        return Some(Cause {
            cause: CauseKind::SpnHeldByServiceAccount,
            evidence: format!("{key} is also held by {held}: the KDC cannot tell whose key to use"),
            next_step: step,
            manual: true,
        });
    }
    // Between computers: dedupe removes it from the holders that do not own the host.
    let target = if owns {
        others.first().map_or(account.label(), |h| h.label())
    } else {
        account.label()
    };
    Some(Cause {
        cause: CauseKind::SpnHeldElsewhere,
        evidence: format!("{key} is also held by {held}"),
        next_step: format!(
            "adcomputer spn fix {} --dedupe --apply   # removes it from the computer whose name it is not; journaled, undoable",
            shell_word(target)
        ),
        manual: false,
    })
}

impl Check {
    pub const DUPLICATE_SPN: Check = Check(&DUPLICATE_SPN);
}
