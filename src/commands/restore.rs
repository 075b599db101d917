//! `adcomputer restore NAME...`: brings deleted computers back. Reads the domain's deleted
//! computers once, plans each name (`rules::restore_plan`: which one, where to, or why not), and
//! with `--apply` (asking first on a terminal) restores each (`apply::reanimate`), optionally
//! logging on as it at the DC that was written. A failed item never stops the batch; a DC
//! that stops answering does.

use anyhow::Context;

use super::RunContext;
use crate::apply::kerberos::Kdc;
use crate::apply::reanimate::put_back_names;
use crate::apply::reanimate::restore_computer;
use crate::apply::verify::{Proof, Verifier};
use crate::config::RestoreSettings;
use crate::exit::Outcome;
use crate::ldap::{Directory, queries};
use crate::report::present::reset_report::{ResetReport, ResetSummary};
use crate::source::{LiveSource, NeedsDc, Source};
use adcomputer_core::model::deleted::DeletedComputer;
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, default_password, next_steps, realm_of,
};
use adcomputer_core::rules::restore_plan::{
    already_restored, default_dns_host_name, plan, refuse_taken,
};
use adcomputer_core::rules::spn_plan::contains;
use adcomputer_core::rules::{SpnSettings, expected_spns};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &RestoreSettings,
) -> anyhow::Result<Outcome> {
    let live = source.live(NeedsDc::Write("restore"))?;
    let listing = queries::deleted_computers(&mut live.directory).await?;
    anyhow::ensure!(
        listing.readable,
        "{} cannot see deleted objects (CN=Deleted Objects,{}; by default only Domain Admins may read it): every name would look not found; restore with an account that may read and reanimate them",
        live.bound_as(),
        live.directory.root_dse.default_naming_context
    );
    if let Some(to) = &settings.to {
        check_destination(&mut live.directory, to).await?;
    }
    let deleted = listing.computers;
    let mut items: Vec<ResetItem> = Vec::new();
    let mut targets = Vec::new();
    for name in &settings.names {
        let (item, target) = plan(name, &deleted, settings.to.as_deref(), &items);
        items.push(item);
        targets.push(target);
    }
    let resumes = judge_against_live(live, settings, &mut items, &mut targets).await?;
    let planned: Vec<&str> = items
        .iter()
        .zip(&targets)
        .zip(&resumes)
        .filter(|((_, target), resume)| target.is_some() || resume.is_some())
        .filter_map(|((item, _), _)| item.account.as_deref())
        .collect();
    if settings.write.apply && !planned.is_empty() {
        let question = format!(
            "Restore {} deleted computer(s): {}?",
            planned.len(),
            planned.join(", ")
        );
        anyhow::ensure!(
            crate::interact::may_write(settings.write.yes, &question)?,
            "nothing restored: not confirmed"
        );
        let directory = &mut live.directory;
        let realm = realm_of(&directory.root_dse.default_naming_context);
        let mut verifier = if settings.verify {
            Verifier::Kdcs(vec![(
                directory.root_dse.dns_host_name.clone(),
                Kdc::for_host(directory.host()),
            )])
        } else {
            Verifier::Nowhere
        };
        let mut stop: Option<String> = None;
        for (item, resume) in items.iter_mut().zip(&resumes) {
            if let Some(dn) = resume
                && stop.is_none()
            {
                put_back_names(directory, item, dn).await;
            }
        }
        for (item, target) in items.iter_mut().zip(&targets) {
            let Some((deleted, dn)) = target else {
                continue;
            };
            if let Some(why) = &stop {
                item.fail(format!("not sent: {why}"));
                continue;
            }
            let Some(sam) = deleted.sam_account_name.clone() else {
                item.fail("no sAMAccountName");
                continue;
            };
            let password = default_password(&sam, settings.whole_name);
            stop = restore_computer(directory, item, deleted, dn, &password).await;
            if item.status == Status::Restored {
                let proof = Proof {
                    realm: &realm,
                    principal: &sam,
                    password: &password,
                    dn,
                    key_version: item.kvno_after,
                    timeout: directory.timeout(),
                    wait: std::time::Duration::ZERO,
                };
                item.verification = verifier.verify(&proof).await;
            }
        }
    }
    let all_done = items.iter().all(ResetItem::done);
    let summary = ResetSummary::of(&items);
    let report = ResetReport {
        next_steps: if summary.restored + summary.planned > 0 {
            next_steps(settings.whole_name)
        } else {
            Vec::new()
        },
        items,
        summary,
    };
    context.emit(&context.envelope(Vec::new(), None), &report)?;
    Ok(Outcome::from_problems(!all_done))
}

/// Holds the plan against the live directory: a planned restore whose DN or sAMAccountName is
/// taken is refused; a name with no deleted computer but a live one is "already restored"
/// (its DN returned, so that `--apply` puts back what it lacks). Planned items are warned of
/// the default SPNs another object holds (they will not be put back).
async fn judge_against_live(
    live: &mut LiveSource,
    settings: &RestoreSettings,
    items: &mut [ResetItem],
    targets: &mut [Option<(&DeletedComputer, String)>],
) -> anyhow::Result<Vec<Option<String>>> {
    let domain = live.directory.root_dse.default_naming_context.clone();
    let mut names: Vec<NameQuery> = settings.names.clone();
    for (deleted, dn) in targets.iter().flatten() {
        names.push(NameQuery::Dn(dn.clone()));
        names.extend(deleted.sam_account_name.clone().map(NameQuery::Name));
    }
    let mut accounts = Vec::new();
    queries::accounts_named(&mut live.directory, &domain, &names, |account| {
        accounts.push(account.clone());
    })
    .await?;
    let mut resumes = vec![None; items.len()];
    let mut expected = Vec::new();
    for (index, (item, target)) in items.iter_mut().zip(targets.iter_mut()).enumerate() {
        match target {
            Some((deleted, dn)) if refuse_taken(item, deleted, dn, &accounts) => *target = None,
            Some((deleted, dn)) => {
                let host = deleted
                    .sam_account_name
                    .as_deref()
                    .map(|sam| default_dns_host_name(sam.trim_end_matches('$'), &domain));
                let account = deleted.as_restored(dn, host);
                expected.push((index, expected_spns(&account, &SpnSettings::default())));
            }
            None if item.status == Status::NotFound => {
                resumes[index] = already_restored(item, &settings.names[index], &accounts)
                    .map(|account| account.dn.clone());
            }
            None => {}
        }
    }
    let spns: Vec<String> = expected.iter().flat_map(|(_, spns)| spns.clone()).collect();
    let mut holders = Vec::new();
    if !spns.is_empty() {
        queries::holders_of(&mut live.directory, &spns, |holder| {
            holders.push(holder.clone());
        })
        .await?;
    }
    for (index, spns) in expected {
        for spn in spns {
            for holder in holders.iter().filter(|h| contains(&h.spns, &spn)) {
                items[index].warnings.push(format!(
                    "{spn} will not be put back: {} holds it",
                    holder.label()
                ));
            }
        }
    }
    Ok(resumes)
}

/// `--to` must name a live OU or container of this domain, outside Deleted Objects: checked
/// before anything is planned, so that a mistake is one line, not a DC's error after the plan.
async fn check_destination(directory: &mut Directory, to: &str) -> anyhow::Result<()> {
    let domain_text = directory.root_dse.default_naming_context.clone();
    let dn = NormalDn::parse(to).with_context(|| format!("--to {to}: not a DN"))?;
    let domain = NormalDn::parse(&domain_text).context("the DC's domain is not a DN")?;
    anyhow::ensure!(
        dn.is_under(&domain),
        "--to {to}: not in this domain ({domain_text})"
    );
    let deleted_objects = NormalDn::parse(&format!("CN=Deleted Objects,{domain_text}"))
        .context("the DC's domain is not a DN")?;
    anyhow::ensure!(
        !dn.is_under(&deleted_objects),
        "--to {to}: inside Deleted Objects: a restored computer must go to a live OU or container"
    );
    let Some((classes, deleted)) = queries::classes_of(directory, to)
        .await
        .with_context(|| format!("--to {to}: cannot read it"))?
    else {
        anyhow::bail!("--to {to}: no such OU or container");
    };
    anyhow::ensure!(!deleted, "--to {to}: it is deleted");
    const CONTAINERS: [&str; 4] = [
        "organizationalUnit",
        "container",
        "domainDNS",
        "builtinDomain",
    ];
    anyhow::ensure!(
        classes
            .iter()
            .any(|class| CONTAINERS.iter().any(|c| c.eq_ignore_ascii_case(class))),
        "--to {to}: not an OU or container (its classes: {})",
        classes.join(", ")
    );
    Ok(())
}
