//! `adcomputer restore NAME...`: brings deleted computers back. Reads the domain's deleted
//! computers once, plans each name (`rules::restore_plan`: which one, where to, or why not), and
//! with `--apply` (asking first on a terminal) restores each (`apply::reanimate`), optionally
//! logging on as it at the DC that was written. A failed item never stops the batch; a DC
//! that stops answering does.

use super::RunContext;
use crate::apply::kerberos::Kdc;
use crate::apply::reanimate::{
    aliases_or_default, check_destination, judge_against_live, put_back_names, restore_computer,
};
use crate::apply::verify::{Proof, Verifier};
use crate::config::RestoreSettings;
use crate::exit::Outcome;
use crate::ldap::queries;
use crate::report::present::reset_report::{ResetReport, ResetSummary};
use crate::source::{NeedsDc, Source};
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, default_password, next_steps, realm_of,
};
use adcomputer_core::rules::restore_plan::plan;

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
    let (aliases, unread_aliases) = aliases_or_default(&mut live.directory).await;
    let resumes =
        judge_against_live(live, &settings.names, &aliases, &mut items, &mut targets).await?;
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
                put_back_names(directory, item, dn, &aliases).await;
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
            stop = restore_computer(directory, item, deleted, dn, &password, &aliases).await;
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
    context.emit(
        &context.envelope(unread_aliases.into_iter().collect(), None),
        &report,
    )?;
    Ok(Outcome::from_problems(!all_done))
}
