//! `adcomputer show NAME...`: the diagnosis of each account. Resolves each name among the
//! candidates, runs every check on the named accounts, looks for other holders of their SPNs
//! domain-wide (live: one search for every colliding form; LDIF: the whole export), and reports
//! the accounts, their findings and the next command to run.

use super::RunContext;
use crate::apply::keys;
use crate::apply::password::accepted_defaults;
use crate::config::ShowSettings;
use crate::exit::Outcome;
use crate::report::present::diagnosis::{AccountView, ShowReport, ShowSummary};
use crate::source::{NeedsDc, Source, diagnose};
use adcomputer_core::model::account::Account;
use adcomputer_core::model::filetime::FileTime;
use adcomputer_core::rules::causes::Evidence;
use adcomputer_core::rules::replication_lag::DcView;
use adcomputer_core::rules::reset_plan::refusal;
use adcomputer_core::rules::shown::Shown;
use adcomputer_core::rules::{Audit, AuditSettings, expected_spns};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &ShowSettings,
) -> anyhow::Result<Outcome> {
    // Live, the KDC is asked below; offline the attributes alone judge.
    let mut audit_settings =
        AuditSettings::every_check_on(settings.stale, settings.spn.clone(), settings.names.clone());
    audit_settings.group_policy = matches!(source, Source::Live(_));
    let (candidates, mut audit, mut warnings) = match source {
        Source::Live(_) => diagnose::diagnose_live(source, audit_settings.clone()).await?,
        Source::Ldif { .. } => diagnose::diagnose_ldif(source, audit_settings.clone()).await?,
    };
    warnings.extend(source.explain_stale(&audit_settings, &mut audit).await?);
    let as_of = FileTime::from_datetime(context.as_of);
    let mut shown = Shown::resolve(&settings.names, &candidates);
    probe(source, settings, &shown.accounts, &mut audit, &mut warnings).await?;
    let tombstones = source.tombstones_if_listed(&mut warnings).await?;
    // A name not found may be a computer deleted since: restore brings it back.
    shown.deleted(tombstones.as_deref().unwrap_or_default());
    audit.findings = shown.findings(std::mem::take(&mut audit.findings));
    let summary = ShowSummary {
        found: shown.found(),
        not_found: shown.not_found,
        ambiguous: shown.ambiguous,
        findings: audit.findings.len(),
    };
    let per_dc = match settings.all_dcs {
        true => every_dc(source, &shown.accounts).await?,
        false => Vec::new(),
    };
    let report = ShowReport {
        accounts: views(
            settings,
            &shown.accounts,
            &audit.findings,
            tombstones,
            per_dc,
            as_of,
        ),
        findings: audit.findings,
        names: shown.names,
        summary,
    };
    let envelope = context.envelope(warnings, Some(audit.coverage.clone()));
    context.emit(&envelope, &report)?;
    let gaps = audit.coverage.gaps();
    Ok(Outcome::judged(
        !report.findings.is_empty(),
        gaps.map(|gaps| format!("not everything was checked: {gaps}")),
    ))
}

/// Each shown account as the report shows it: its causes judged with the deleted computers
/// and (`--all-dcs`) each DC's view.
fn views(
    settings: &ShowSettings,
    shown: &[&Account],
    findings: &[adcomputer_core::rules::Finding],
    tombstones: Option<Vec<adcomputer_core::model::deleted::Tombstone>>,
    per_dc: Vec<(Vec<DcView>, Option<FileTime>)>,
    as_of: FileTime,
) -> Vec<AccountView> {
    let mut per_dc = per_dc.into_iter();
    shown
        .iter()
        .map(|account| {
            let expected = expected_spns(account, &settings.spn);
            let dcs = per_dc.next();
            let evidence = Evidence {
                as_of,
                recent_days: settings.stale.days,
                tombstones: tombstones.as_deref(),
                dcs: dcs.as_ref().map(|(views, _)| views.as_slice()),
            };
            let view = AccountView::new(account, as_of, expected, findings, &evidence);
            match dcs {
                Some((views, newest)) => view.with_dcs(views, newest),
                None => view,
            }
        })
        .collect()
}

/// What the DC's KDC says of the shown accounts: their default passwords (when asked), their
/// keys (unless `--no-probe-keys`; live only).
async fn probe(
    source: &mut Source,
    settings: &ShowSettings,
    shown: &[&Account],
    audit: &mut Audit,
    warnings: &mut Vec<String>,
) -> anyhow::Result<()> {
    if settings.probe {
        let live = source.live(NeedsDc::Read("--probe-default-password (a KDC logon)"))?;
        let targets = shown
            .iter()
            .filter(|account| refusal(account).is_none())
            .filter_map(|account| Some((account.sam_account_name.clone()?, account.dn.clone())))
            .collect();
        let accepted = accepted_defaults(&live.directory, targets).await;
        audit.findings.extend(accepted);
    }
    if let (true, Source::Live(live)) = (settings.probe_keys, source) {
        let directory = &live.directory;
        let (findings, coverage) = (&mut audit.findings, &mut audit.coverage);
        warnings.extend(keys::judge_with_kdc(directory, shown, findings, coverage).await);
    }
    Ok(())
}

/// Each DC's view of each shown account (`--all-dcs`), with the AES keys each DC's KDC holds
/// for it (keys replicate with the password).
async fn every_dc(
    source: &mut Source,
    shown: &[&Account],
) -> anyhow::Result<Vec<(Vec<DcView>, Option<FileTime>)>> {
    let live = source.live(NeedsDc::Read("--all-dcs"))?;
    let (mut views, dcs) = diagnose::views_on_every_dc(live, shown).await?;
    for (account, (per_dc, _)) in shown.iter().zip(&mut views) {
        if keys::asked_about(account) {
            let keys = keys::aes_keys_at_each(&dcs, &live.directory, account).await;
            for (view, keys) in per_dc.iter_mut().zip(keys) {
                view.aes_keys = keys;
            }
        }
    }
    Ok(views)
}
