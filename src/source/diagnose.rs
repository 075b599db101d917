//! `show`'s reads: the named accounts and every other holder of their SPNs audited together
//! (from a DC: the candidates and one search for the colliding forms; from an export: one pass
//! over all of it), and each DC's view of each account (`--all-dcs`).

use super::{DomainDc, LiveSource, NeedsDc, Scanned, Source, join_all};
use crate::ldap::queries;
use adcomputer_core::model::account::{Account, AttrSet};
use adcomputer_core::model::filetime::FileTime;
use adcomputer_core::rules::replication_lag::{DcName, DcView, dc_views};
use adcomputer_core::rules::{Audit, AuditSettings, Auditor, SpnTexts};

/// Each DC's view of each account (`--all-dcs`): every DC connected to once, all DCs read at
/// once for each account.
pub(crate) async fn views_on_every_dc(
    live: &mut LiveSource,
    shown: &[&Account],
) -> anyhow::Result<(Vec<(Vec<DcView>, Option<FileTime>)>, Vec<DomainDc>)> {
    let dcs = live.domain_dcs().await?;
    let mut links = live.connect_each(&dcs).await;
    let names: Vec<DcName<'_>> = dcs
        .iter()
        .map(|dc| DcName {
            host: &dc.host,
            invocation_id: dc.invocation_id.as_deref(),
        })
        .collect();
    let mut views = Vec::new();
    for account in shown {
        let reads = links.iter_mut().map(|link| async {
            match link {
                Ok(directory) => queries::account_on_dc(directory, &account.dn)
                    .await
                    .map_err(|err| err.to_string()),
                Err(why) => Err(why.clone()),
            }
        });
        let reads = join_all(reads.collect()).await;
        views.push(dc_views(&names, &reads));
    }
    Ok((views, dcs))
}

/// The candidates of the names, and the audit of the named accounts, from a DC: the named
/// accounts, and every object holding one of their SPNs or a colliding form of it.
pub(crate) async fn diagnose_live(
    source: &mut Source,
    settings: AuditSettings,
) -> anyhow::Result<(Vec<Account>, Audit, Vec<String>)> {
    let candidates = source.candidates(&settings.names).await?;
    let directory = &mut source.live(NeedsDc::Read("show"))?.directory;
    let mut auditor = Auditor::new(settings, None);
    let aliases = queries::spn_aliases(directory).await?.unwrap_or_default();
    auditor.set_aliases(aliases.clone());
    for candidate in &candidates {
        auditor.observe(candidate, true, Some(SpnTexts::Kept));
    }
    let mut forms: Vec<String> = candidates
        .iter()
        .flat_map(|account| &account.spns)
        .flat_map(|spn| aliases.colliding_forms(spn))
        .collect();
    forms.sort();
    forms.dedup();
    queries::holders_of(directory, &forms, |holder| {
        if !candidates.iter().any(|candidate| candidate.dn == holder.dn) {
            auditor.observe(holder, false, Some(SpnTexts::Kept));
        }
    })
    .await?;
    let audit = auditor.finish(AttrSet::EVERY);
    let warnings = audit.warnings.clone();
    Ok((candidates, audit, warnings))
}

/// The same from an export: one pass over all of it, the named accounts in scope.
pub(crate) async fn diagnose_ldif(
    source: &mut Source,
    settings: AuditSettings,
) -> anyhow::Result<(Vec<Account>, Audit, Vec<String>)> {
    let names = settings.names.clone();
    let (workers, facts) = source
        .scan(
            settings.scan_attributes(),
            || (Auditor::new(settings.clone(), None), Vec::new()),
            |(auditor, named): &mut (Auditor, Vec<Account>), item| match item {
                Scanned::Account(account, in_scope, _) => {
                    let wanted = in_scope && names.iter().any(|name| name.matches(account));
                    if wanted {
                        named.push(account.clone());
                    }
                    auditor.observe(account, wanted, Some(SpnTexts::Kept));
                }
                Scanned::SpnAliases(aliases) => auditor.set_aliases(aliases),
            },
        )
        .await?;
    let mut workers = workers.into_iter();
    let (mut auditor, mut candidates) = workers.next().expect("a scan has a worker");
    for (other, named) in workers {
        auditor.merge(other);
        candidates.extend(named);
    }
    let audit = auditor.finish(facts.evidence);
    let mut warnings = facts.warnings;
    warnings.extend(audit.warnings.iter().cloned());
    Ok((candidates, audit, warnings))
}
