//! `adcomputer restore NAME...`: brings deleted computers back. Reads the domain's deleted
//! computers once, plans each name (`rules::restore_plan`: which one, where to, or why not), and
//! with `--apply` (asking first on a terminal) restores each (`apply::reanimate`), optionally
//! logging on as it at the DC that was written. A failed item never stops the batch; a DC
//! that stops answering does.

use super::RunContext;
use crate::apply::reanimate::{Batch, aliases_or_default, check_destination, judge_against_live};
use crate::config::RestoreSettings;
use crate::exit::Outcome;
use crate::ldap::queries;
use crate::report::present::reset_report::ResetReport;
use crate::source::{NeedsDc, Source};
use adcomputer_core::rules::reset_plan::ResetItem;
use adcomputer_core::rules::restore_plan::plan;

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &RestoreSettings,
) -> anyhow::Result<Outcome> {
    let live = source.live(NeedsDc::Write("restore"))?;
    let listing = queries::tombstones(&mut live.directory).await?;
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
        let what = format!("Restore {} deleted computer(s)", planned.len());
        if !crate::interact::confirm_each(settings.write.yes, &what, &planned)? {
            return Ok(super::declined("restored"));
        }
        let batch = Batch {
            aliases: &aliases,
            whole_name: settings.whole_name,
            verify: settings.verify,
        };
        batch
            .restore(&mut live.directory, &mut items, &targets, &resumes)
            .await;
    }
    let report = ResetReport::new(
        items,
        settings.whole_name,
        live.directory.host(),
        live.base(),
    );
    context.emit(
        &context.envelope(unread_aliases.into_iter().collect(), None),
        &report,
    )?;
    Ok(Outcome::from_problems(!report.all_done()))
}
