//! `stale`, `spn check` and `audit`: one scan of the source through the `Auditor` with the
//! checks asked for, optionally default-password probes at the DC's KDC, triage (baseline,
//! ignore list, `--fail-on`), then the findings report. Exit 1 with failing findings; 2 when
//! there are none but something asked for could not be looked at.

use super::RunContext;
use crate::apply::keys;
use crate::apply::password::probe_default_passwords;
use crate::exit::Outcome;
use crate::report::present::findings::FindingsReport;
use crate::source::{NeedsDc, Scanned, Source, SourceFacts, join_all};
use adcomputer_core::model::account::{ACCOUNT_ATTRIBUTES, Account, AttrSet};
use adcomputer_core::model::filetime::FileTime;
use adcomputer_core::model::kdc::Kdc;
use adcomputer_core::rules::coverage::{Check, Coverage};
use adcomputer_core::rules::encryption;
use adcomputer_core::rules::triage::{TriageSettings, triage};
use adcomputer_core::rules::{AuditSettings, Auditor, Finding};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &AuditSettings,
    forest: bool,
    triage_settings: &TriageSettings,
) -> anyhow::Result<Outcome> {
    if forest {
        source.live(NeedsDc::Read("--forest"))?;
    }
    if settings.probe.is_some() {
        source.live(NeedsDc::Read("--probe-default-passwords (a KDC logon)"))?;
    }
    if settings.key_probe.is_some() {
        source.live(NeedsDc::Read("--probe-keys (asks the KDC)"))?;
    }
    let started = std::time::Instant::now();
    let mut settings = settings.clone();
    let mut warnings = Vec::new();
    if settings.precise_logon {
        let live = source.live(NeedsDc::Read("--precise-logon"))?;
        let (logons, unread) = newest_logons(live).await?;
        warnings.extend(unread);
        settings.precise_logons = Some(std::sync::Arc::new(logons));
    }
    let settings = &settings;
    let size_hint = source.size_hint();
    let (mut workers, facts) = source
        .scan(
            || {
                let mut auditor = Auditor::new(settings.clone(), size_hint);
                if triage_settings.baseline.is_some() {
                    auditor.remember_seen();
                }
                auditor
            },
            |auditor, item| match item {
                Scanned::Account(account, in_scope) => auditor.observe(account, in_scope, !forest),
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
    if forest && settings.wants(Check::DuplicateSpn) {
        source
            .scan_global_catalog(|account, in_scope| auditor.index_only(account, in_scope))
            .await?;
    }
    if settings.probe.is_some() {
        probe(source, &mut auditor).await?;
    }
    let unprobed = match settings.key_probe {
        Some(_) => {
            let kdc = settings.key_kdc.as_ref();
            probe_keys(source, &mut auditor, kdc, settings.probe_in_flight).await?
        }
        None => None,
    };
    warnings.extend(unprobed.clone());
    // Whether deleted computers were looked for and could be seen; why not, when they could not.
    let mut deleted_listed = false;
    let mut unlisted = None;
    if settings.deleted
        && let Source::Live(live) = source
    {
        let listing = crate::ldap::queries::deleted_computers(&mut live.directory).await?;
        if listing.readable {
            auditor.deleted(&listing.computers);
            deleted_listed = true;
        } else {
            let why = format!(
                "deleted computers not listed: {} cannot see deleted objects (CN=Deleted Objects; by default only Domain Admins may read it)",
                live.bound_as()
            );
            warnings.push(why.clone());
            unlisted = Some(why);
        }
    }
    tracing::info!(elapsed = ?started.elapsed(), "scanned");
    let mut audit = auditor.finish(facts.evidence);
    if let (Some(baseline), Some(seen)) = (&triage_settings.baseline, &audit.seen)
        && let Some(why) = baseline.foreign(seen)
    {
        anyhow::bail!("--baseline: {why}: compare reports of the same domain");
    }
    let triage = triage(
        &mut audit.findings,
        triage_settings,
        &settings.kinds_checked(deleted_listed),
        // A complete source shows the whole scope: what it lacks is gone. An incomplete one
        // resolves only what it read.
        audit.seen.as_ref().filter(|_| !facts.complete),
    );
    if triage_settings.ignore.is_some() {
        audit.summary.count(&audit.findings);
    }
    tracing::info!(elapsed = ?started.elapsed(), findings = audit.findings.len(), failing = triage.counts.failing, "checked");
    warnings.extend(facts.warnings.iter().cloned());
    warnings.extend(audit.warnings.iter().cloned());
    warnings.extend(triage.warnings.iter().cloned());
    let envelope = context.envelope(warnings, Some(audit.coverage.clone()));
    let gaps = incomplete(
        &audit.coverage,
        &facts,
        source,
        audit.summary.accounts_read,
        unlisted.into_iter().chain(unprobed).collect(),
    );
    let report = FindingsReport::new(&audit.findings, &audit.summary, &triage, gaps.as_deref());
    context.emit(&envelope, &report)?;
    tracing::info!(elapsed = ?started.elapsed(), "reported");
    let outcome = match gaps {
        _ if triage.counts.failing > 0 => Outcome::Findings,
        Some(why) => Outcome::Incomplete(why),
        None => Outcome::Clean,
    };
    // The process ends now: freeing millions of strings one by one would cost a tenth of a
    // second at the scale of a million computers, for nothing.
    std::mem::forget(audit);
    std::mem::forget(triage);
    Ok(outcome)
}

/// Why a run without findings is no clean bill, in one line with what would mend it.
/// `unlisted`: why deleted computers could not be listed, and why keys were not probed.
fn incomplete(
    coverage: &Coverage,
    facts: &SourceFacts,
    source: &Source,
    examined: usize,
    unlisted: Vec<String>,
) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(gaps) = coverage.gaps() {
        reasons.push(gaps);
    }
    for why in unlisted {
        if why.starts_with("weak_encryption") {
            reasons.push(why);
            continue;
        }
        reasons.push(format!(
            "{why}: bind as an account that may, or leave them out with --checks {}",
            Check::ALL.map(Check::name).join(",")
        ));
    }
    if !facts.complete {
        reasons.push("the export is incomplete (its search ended early)".to_string());
    }
    if let Source::Ldif {
        base: Some(base), ..
    } = source
        && examined == 0
    {
        reasons.push(format!("no object of the export is under -b {base}"));
    }
    if reasons.is_empty() {
        return None;
    }
    let missing = coverage.missing();
    let advice = match source {
        _ if missing.is_empty() => String::new(),
        Source::Live(_) => {
            "; the bound account may not read them: bind as an account that can".to_string()
        }
        Source::Ldif { .. } => {
            let complete: Vec<&str> = Check::ALL
                .iter()
                .filter(|check| coverage.get(**check).is_some_and(|c| c.not_checked == 0))
                .map(|check| check.name())
                .collect();
            let narrower = if complete.is_empty() {
                String::new()
            } else {
                format!(
                    ", or ask only for what it holds: --checks {}",
                    complete.join(",")
                )
            };
            format!("; export them too: {}{narrower}", export_recipe(missing))
        }
    };
    Some(format!(
        "not everything was checked: {}{advice}",
        reasons.join("; ")
    ))
}

/// The ldapsearch command that exports what the checks need.
fn export_recipe(_missing: AttrSet) -> String {
    format!(
        "ldapsearch -o ldif-wrap=no -H ldaps://DC -x -D USER -W -b BASE -E pr=1000/noprompt '(|(objectClass=computer)(servicePrincipalName=*))' {} > export.ldif",
        ACCOUNT_ATTRIBUTES.join(" ")
    )
}

/// One AS-REQ without pre-authentication per selected computer at the DC's KDC; why some
/// were not probed, if some were not.
async fn probe_keys(
    source: &mut Source,
    auditor: &mut Auditor,
    kdc: Option<&Kdc>,
    in_flight: usize,
) -> anyhow::Result<Option<String>> {
    let live = source.live(NeedsDc::Read("--probe-keys (asks the KDC)"))?;
    let targets = auditor.key_targets().to_vec();
    let accounts: Vec<&Account> = targets.iter().collect();
    let (address, kdc) = match kdc {
        Some(kdc) => (kdc.clone(), kdc.to_string()),
        None => keys::kdc_of(&live.directory),
    };
    let probes = keys::probe_accounts(&live.directory, &address, &accounts, in_flight).await;
    auditor.keys_probed(&probes, &kdc);
    let mut unprobed = keys::unprobed(&accounts, &probes, &kdc);
    // The domain's own: without AES keys on krbtgt, every ticket is RC4.
    match crate::ldap::queries::krbtgt(&mut live.directory).await {
        Some(krbtgt) => {
            let probe = keys::probe_accounts(&live.directory, &address, &[&krbtgt], 1).await;
            auditor.record_all(encryption::finding(&krbtgt, Some((&probe[0], &kdc))));
            unprobed = unprobed.or_else(|| keys::unprobed(&[&krbtgt], &probe, &kdc));
        }
        None => {
            unprobed = unprobed.or(Some(format!(
                "weak_encryption: the keys of krbtgt were not probed at {kdc} (its account could not be read)"
            )))
        }
    }
    Ok(unprobed)
}

/// One Kerberos logon per selected computer with its default password, at the DC's KDC.
async fn probe(source: &mut Source, auditor: &mut Auditor) -> anyhow::Result<()> {
    let live = source.live(NeedsDc::Read("--probe-default-passwords (a KDC logon)"))?;
    let directory = &live.directory;
    let targets: Vec<(String, String)> = auditor
        .probe_targets()
        .iter()
        .filter_map(|(sam, dn)| Some((sam.clone()?, dn.clone())))
        .collect();
    eprintln!(
        "adcomputer: warning: trying the default password of {} computer account(s), once each; every failed attempt counts toward lockout (badPwdCount)",
        targets.len()
    );
    for (account, dn) in probe_default_passwords(directory, targets).await {
        auditor.record(Finding::DefaultPassword {
            account: Some(account),
            dn,
        });
    }
    Ok(())
}

/// The newest `lastLogon` of every computer over all DCs (each DC read at once), by lower-cased
/// DN, and a warning for each DC that could not be read.
async fn newest_logons(
    live: &mut crate::source::LiveSource,
) -> anyhow::Result<(std::collections::HashMap<String, FileTime>, Vec<String>)> {
    let dcs = live.domain_dcs().await?;
    let mut links = live.connect_each(&dcs).await;
    let reads = links.iter_mut().map(|link| async {
        match link {
            Ok(directory) => crate::ldap::queries::last_logons(directory)
                .await
                .map_err(|err| err.to_string()),
            Err(why) => Err(why.clone()),
        }
    });
    let mut newest = std::collections::HashMap::new();
    let mut unread = Vec::new();
    for (dc, read) in dcs.iter().zip(join_all(reads.collect()).await) {
        match read {
            Ok(logons) => {
                for (dn, logon) in logons {
                    let slot = newest.entry(dn.to_ascii_lowercase()).or_insert(logon);
                    *slot = (*slot).max(logon);
                }
            }
            Err(why) => unread.push(format!(
                "--precise-logon: lastLogon of {} not read ({why}): its logons are not counted",
                dc.host
            )),
        }
    }
    Ok((newest, unread))
}
