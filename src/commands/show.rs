//! `adcomputer show NAME...`: the diagnosis of each account. Resolves each name among the
//! candidates, runs every check on the named accounts, looks for other holders of their SPNs
//! domain-wide (live: one search for every colliding form; LDIF: the whole export), and reports
//! the accounts, their findings and the next command to run.

use super::RunContext;
use crate::apply::keys;
use crate::apply::password::probe_default_passwords;
use crate::config::ShowSettings;
use crate::exit::Outcome;
use crate::ldap::queries;
use crate::report::present::diagnosis::{AccountView, ShowReport, ShowSummary};
use crate::source::{NeedsDc, Scanned, Source, join_all};
use adcomputer_core::model::account::{Account, AttrSet};
use adcomputer_core::model::filetime::FileTime;
use adcomputer_core::model::names::Resolution;
use adcomputer_core::rules::coverage::Check;
use adcomputer_core::rules::replication_lag::{DcName, DcView, dc_views};
use adcomputer_core::rules::reset_plan::refusal;
use adcomputer_core::rules::{Audit, AuditSettings, Auditor, Finding, expected_spns};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &ShowSettings,
) -> anyhow::Result<Outcome> {
    let audit_settings = AuditSettings {
        checks: Check::ALL.to_vec(),
        stale: settings.stale,
        spn: settings.spn.clone(),
        names: settings.names.clone(),
        probe: None,
        // Live, the KDC is asked below; offline the attributes alone judge.
        key_probe: None,
        probe_in_flight: 1,
        key_kdc: None,
        deleted: false,
        precise_logon: false,
        precise_logons: None,
    };
    let (candidates, mut audit, mut warnings) = match source {
        Source::Live(_) => diagnose_live(source, audit_settings).await?,
        Source::Ldif { .. } => diagnose_ldif(source, audit_settings).await?,
    };
    let as_of = FileTime::from_datetime(context.as_of);
    let mut summary = ShowSummary::default();
    let mut shown: Vec<&Account> = Vec::new();
    let mut names = Vec::new();
    let mut unresolved = Vec::new();
    for name in &settings.names {
        let resolution = name.resolve(&candidates);
        unresolved.extend(Finding::unresolved(name.as_str(), &resolution));
        let index = match resolution {
            Resolution::Found(account) => {
                summary.found += 1;
                Ok(match shown.iter().position(|a| a.dn == account.dn) {
                    Some(index) => index,
                    None => {
                        shown.push(account);
                        shown.len() - 1
                    }
                })
            }
            Resolution::NotFound => {
                summary.not_found += 1;
                Err("not_found")
            }
            Resolution::Ambiguous(_) => {
                summary.ambiguous += 1;
                Err("ambiguous")
            }
        };
        names.push((name.as_str().to_string(), index));
    }
    if settings.probe {
        probe(source, &shown, &mut audit.findings).await?;
    }
    if let (true, Source::Live(live)) = (settings.probe_keys, &mut *source) {
        let probed = keys::judge_with_kdc(
            &live.directory,
            &shown,
            &mut audit.findings,
            &mut audit.coverage,
        )
        .await;
        warnings.extend(probed);
    }
    // Names that did not resolve come first, in the order they were given.
    audit.findings.retain(|finding| match finding {
        Finding::NotFound { .. } | Finding::Ambiguous { .. } => false,
        Finding::DuplicateSpn { holders, .. } => holders
            .iter()
            .any(|holder| shown.iter().any(|account| account.dn == holder.dn)),
        other => shown
            .iter()
            .any(|account| other.dn() == Some(account.dn.as_str())),
    });
    unresolved.append(&mut audit.findings);
    audit.findings = unresolved;
    summary.findings = audit.findings.len();
    let mut per_dc = if settings.all_dcs {
        views_on_every_dc(source, &shown).await?
    } else {
        Vec::new()
    }
    .into_iter();
    let accounts = shown
        .iter()
        .map(|account| {
            let expected = expected_spns(account, &settings.spn);
            let view = AccountView::new(account, as_of, expected, &audit.findings);
            match per_dc.next() {
                Some((views, newest)) => view.with_dcs(views, newest),
                None => view,
            }
        })
        .collect();
    let report = ShowReport {
        accounts,
        findings: audit.findings,
        names,
        summary,
    };
    let envelope = context.envelope(warnings, Some(audit.coverage.clone()));
    context.emit(&envelope, &report)?;
    if !report.findings.is_empty() {
        return Ok(Outcome::Findings);
    }
    Ok(match audit.coverage.gaps() {
        Some(gaps) => Outcome::Incomplete(format!("not everything was checked: {gaps}")),
        None => Outcome::Clean,
    })
}

/// Each DC's view of each account (`--all-dcs`): every DC connected to once, all DCs read at
/// once for each account.
async fn views_on_every_dc(
    source: &mut Source,
    shown: &[&Account],
) -> anyhow::Result<Vec<(Vec<DcView>, Option<FileTime>)>> {
    let live = source.live(NeedsDc::Read("--all-dcs"))?;
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
        let (mut per_dc, newest) = dc_views(&names, &reads);
        if crate::apply::keys::asked_about(account) {
            let keys = keys::aes_keys_at_each(&dcs, &live.directory, account).await;
            for (view, keys) in per_dc.iter_mut().zip(keys) {
                view.aes_keys = keys;
            }
        }
        views.push((per_dc, newest));
    }
    Ok(views)
}

/// The candidates of the names, and the audit of the named accounts, from a DC: the named
/// accounts, and every object holding one of their SPNs or a colliding form of it.
async fn diagnose_live(
    source: &mut Source,
    settings: AuditSettings,
) -> anyhow::Result<(Vec<Account>, Audit, Vec<String>)> {
    let candidates = source.candidates(&settings.names).await?;
    let directory = &mut source.live(NeedsDc::Read("show"))?.directory;
    let mut auditor = Auditor::new(settings, None);
    let aliases = queries::spn_aliases(directory).await?.unwrap_or_default();
    auditor.set_aliases(aliases.clone());
    for candidate in &candidates {
        auditor.observe(candidate, true, true);
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
            auditor.observe(holder, false, true);
        }
    })
    .await?;
    let audit = auditor.finish(AttrSet::EVERY);
    let warnings = audit.warnings.clone();
    Ok((candidates, audit, warnings))
}

/// The same from an export: one pass over all of it, the named accounts in scope.
async fn diagnose_ldif(
    source: &mut Source,
    settings: AuditSettings,
) -> anyhow::Result<(Vec<Account>, Audit, Vec<String>)> {
    let names = settings.names.clone();
    let (workers, facts) = source
        .scan(
            || (Auditor::new(settings.clone(), None), Vec::new()),
            |(auditor, named): &mut (Auditor, Vec<Account>), item| match item {
                Scanned::Account(account, in_scope) => {
                    let wanted = in_scope && names.iter().any(|name| name.matches(account));
                    if wanted {
                        named.push(account.clone());
                    }
                    auditor.observe(account, wanted, true);
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

/// One Kerberos logon per shown computer with its default password.
async fn probe(
    source: &mut Source,
    shown: &[&Account],
    findings: &mut Vec<Finding>,
) -> anyhow::Result<()> {
    let directory = &source
        .live(NeedsDc::Read("--probe-default-password (a KDC logon)"))?
        .directory;
    let targets: Vec<(String, String)> = shown
        .iter()
        .filter(|account| refusal(account).is_none())
        .filter_map(|account| Some((account.sam_account_name.clone()?, account.dn.clone())))
        .collect();
    for (sam, _) in &targets {
        eprintln!(
            "adcomputer: warning: trying {sam}'s default password once; a failed attempt counts toward lockout"
        );
    }
    for (account, dn) in probe_default_passwords(directory, targets).await {
        findings.push(Finding::DefaultPassword {
            account: Some(account),
            dn,
        });
    }
    Ok(())
}
