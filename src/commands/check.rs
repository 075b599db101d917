//! `stale`, `spn check` and `audit`: one scan of the source through the `Auditor` with the
//! checks asked for; what only a DC can add (default-password and key probes at its KDC, the
//! deleted computers); triage (baseline, ignore list, `--fail-on`); then the findings report.
//! Exit 1 with failing findings; 2 when there are none but something asked for could not be
//! looked at.

use super::RunContext;
use crate::apply::keys;
use crate::apply::password::accepted_defaults;
use crate::exit::Outcome;
use crate::report::present::findings::FindingsReport;
use crate::source::gaps::Unseen;
use crate::source::{NeedsDc, Source};
use adcomputer_core::rules::group_policy;
use adcomputer_core::rules::triage::{TriageSettings, triage};
use adcomputer_core::rules::{AuditSettings, Auditor};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &AuditSettings,
    forest: bool,
    triage_settings: &TriageSettings,
    sysvol: Option<&std::path::Path>,
) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let mut warnings = Vec::new();
    let settings = &with_precise_logons(source, settings, forest, &mut warnings).await?;
    let remember = triage_settings.baseline.is_some();
    let (mut auditor, mut facts) = source.audit(settings, forest, remember).await?;
    let (mut unseen, deleted_listed) = ask_the_dc(source, settings, &mut auditor).await?;
    let policies = source
        .policies(settings.group_policy, &mut facts, sysvol)
        .await?;
    tracing::info!(elapsed = ?started.elapsed(), "scanned");
    let mut audit = auditor.finish(facts.evidence);
    if let Some(policies) = &policies {
        let gaps = group_policy::judge(policies, &mut audit, settings);
        unseen.extend(gaps.into_iter().map(Unseen::Policy));
    }
    if let (Some(baseline), Some(seen)) = (&triage_settings.baseline, &audit.seen)
        && let Some(why) = baseline.foreign(seen)
    {
        anyhow::bail!("--baseline: {why}: compare reports of the same domain");
    }
    let triage = triage(
        &mut audit.findings,
        triage_settings,
        &settings.kinds_checked(deleted_listed, policies.is_some()),
        // A complete source shows the whole scope: what it lacks is gone. An incomplete one
        // resolves only what it read.
        audit.seen.as_ref().filter(|_| !facts.complete),
    );
    if triage_settings.ignore.is_some() {
        audit.summary.count(&audit.findings);
    }
    tracing::info!(elapsed = ?started.elapsed(), findings = audit.findings.len(), failing = triage.counts.failing, "checked");
    let unread = unseen.iter().map(|unseen| unseen.why().to_string());
    warnings.extend(unread.chain(source.state_kept()));
    for more in [&facts.warnings, &audit.warnings, &triage.warnings] {
        warnings.extend(more.iter().cloned());
    }
    let envelope = context.envelope(warnings, Some(audit.coverage.clone()));
    let gaps = source.gaps(&audit.coverage, &facts, audit.summary.accounts_read, unseen);
    let report = FindingsReport::new(&audit.findings, &audit.summary, &triage, gaps.as_deref())
        .with_dcs(settings.inventory.then_some(&audit.dcs))
        .with_state(facts.state.as_ref());
    context.emit(&envelope, &report)?;
    context.tell_failing(&report);
    tracing::info!(elapsed = ?started.elapsed(), "reported");
    let critical = triage.counts.critical.is_some_and(|critical| critical > 0);
    let outcome = Outcome::judged(triage.counts.failing > 0, gaps).critical_if(critical);
    // The process ends now: freeing a million findings' strings one by one is time for nothing.
    std::mem::forget(audit);
    std::mem::forget(triage);
    Ok(outcome)
}

/// The settings, with every DC's `lastLogon` when `--precise-logon` asks for them; refuses an
/// export for what needs a DC before anything is read.
async fn with_precise_logons(
    source: &mut Source,
    settings: &AuditSettings,
    forest: bool,
    warnings: &mut Vec<String>,
) -> anyhow::Result<AuditSettings> {
    for (wanted, what) in [
        (forest, "--forest"),
        (
            settings.probe.is_some(),
            "--probe-default-passwords (a KDC logon)",
        ),
        (settings.key_probe.is_some(), "--probe-keys (asks the KDC)"),
        (settings.precise_logon, "--precise-logon"),
    ] {
        if wanted {
            source.live(NeedsDc::Read(what))?;
        }
    }
    let mut settings = settings.clone();
    if settings.precise_logon {
        let (logons, unread) = source
            .live(NeedsDc::Read("--precise-logon"))?
            .newest_logons()
            .await?;
        warnings.extend(unread);
        settings.precise_logons = Some(std::sync::Arc::new(logons));
    }
    Ok(settings)
}

/// What only a DC adds, when asked: default-password and key probes at its KDC, the computers
/// deleted within the period. What it could not show, and whether deleted computers were listed.
async fn ask_the_dc(
    source: &mut Source,
    settings: &AuditSettings,
    auditor: &mut Auditor,
) -> anyhow::Result<(Vec<Unseen>, bool)> {
    let Source::Live(live) = source else {
        return Ok((Vec::new(), false));
    };
    let mut unseen = Vec::new();
    if settings.probe.is_some() {
        let targets = auditor
            .probe_targets()
            .iter()
            .filter_map(|(sam, dn)| Some((sam.clone()?, dn.clone())))
            .collect();
        let accepted = accepted_defaults(&live.directory, targets).await;
        auditor.record_all(accepted);
    }
    if settings.key_probe.is_some() {
        let kdc = settings.key_kdc.as_ref();
        let in_flight = settings.probe_in_flight;
        let why = keys::probe_for_audit(&mut live.directory, auditor, kdc, in_flight).await;
        unseen.extend(why.map(Unseen::Keys));
    }
    let mut listed = false;
    if settings.deleted {
        match live.tombstones().await? {
            Ok(computers) => {
                auditor.deleted(&computers);
                listed = true;
            }
            Err(why) => unseen.push(Unseen::Deleted(why)),
        }
    }
    Ok((unseen, listed))
}
