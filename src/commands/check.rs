//! `stale`, `spn check` and `audit`: one scan of the source through the `Auditor` with the
//! checks each command selects, optionally default-password probes at the DC's KDC, then the
//! findings report. Exit 1 when anything was found.

use anyhow::Context;

use super::RunContext;
use crate::checks::{AuditSettings, Auditor, Finding};
use crate::exit::Outcome;
use crate::kerberos::{Kdc, verify_password};
use crate::report::{Envelope, write_findings};
use crate::reset::{default_password, realm_of};
use crate::source::{Scanned, Source};

pub async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &AuditSettings,
    forest: bool,
) -> anyhow::Result<Outcome> {
    let size_hint = source.size_hint();
    let mut workers = source
        .scan(
            || Auditor::new(settings.clone(), size_hint),
            |auditor, item| match item {
                Scanned::Account(account) => auditor.observe(account, !forest),
                Scanned::SpnAliases(aliases) => auditor.set_aliases(aliases),
            },
        )
        .await?;
    // Sort each part's duplicate index on its own core, then merge them in one pass.
    std::thread::scope(|scope| {
        for auditor in &mut workers {
            scope.spawn(move || auditor.prepare());
        }
    });
    let mut workers = workers.into_iter();
    let mut auditor = workers.next().expect("a scan has a worker");
    workers.for_each(|other| auditor.merge(other));
    if forest && settings.duplicates {
        source
            .scan_global_catalog(|account| auditor.index_only(account))
            .await?;
    }
    if settings.probe.is_some() {
        probe_default_passwords(source, &mut auditor).await?;
    }
    let (findings, summary) = auditor.finish();
    let as_of = crate::filetime::rfc3339(context.as_of);
    let envelope = Envelope::new(context.command, as_of, &context.source);
    write_findings(context.format, &envelope, &findings, &summary)?;
    Ok(Outcome::from_problems(!findings.is_empty()))
}

/// One Kerberos logon per selected computer with its default password, at the DC's KDC.
async fn probe_default_passwords(source: &mut Source, auditor: &mut Auditor) -> anyhow::Result<()> {
    let directory = source
        .directory()
        .context("--probe-default-passwords logs on at a DC's KDC: give -H URL, not --from-ldif")?;
    let targets = auditor.probe_targets().to_vec();
    eprintln!(
        "adcomputer: warning: trying the default password of {} computer account(s), once each; every failed attempt counts toward lockout (badPwdCount)",
        targets.len()
    );
    let kdc = Kdc::parse(directory.host());
    let realm = realm_of(&directory.root_dse.default_naming_context);
    for (account, dn) in targets {
        let password = default_password(&account, false);
        let verdict = verify_password(&kdc, &realm, &account, &password, directory.timeout()).await;
        if verdict.accepted() {
            auditor.record(Finding::DefaultPassword { account, dn });
        }
    }
    Ok(())
}
