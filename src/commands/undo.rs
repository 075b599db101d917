//! `adcomputer undo JOURNAL`: reverses what a `spn fix --apply` journal recorded, newest first.
//! The journal must be this domain's and as written (its chain); then every object is read
//! and each change held to what `spn fix` could have done (`rules::undo_plan::undo_refusal`) before
//! anything is sent: one change outside those rules refuses the whole journal. Each object is
//! judged as it is, whatever the journal says happened: already back is `reverted`, changed by
//! someone else is `skipped`, otherwise the change is reversed (with `--apply`), re-adding
//! what the DC still accepts.

use anyhow::Context;

use super::RunContext;
use crate::apply::journal;
use crate::apply::spns::{objects_held_to_rules, refusal_reason, reverse};
use crate::config::UndoRequest;
use crate::exit::Outcome;
use crate::report::present::changes::{ChangeItem, ChangeReport, ChangeReportItem, ChangeStatus};
use crate::source::{NeedsDc, Source};
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::rules::spn_plan::SpnChange;
use adcomputer_core::rules::undo_plan::{UndoStep, undo_step};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    request: &UndoRequest,
) -> anyhow::Result<Outcome> {
    let journal = journal::read(&request.journal)?;
    let live = source.live(NeedsDc::Read("undo"))?;
    let base = NormalDn::parse(live.base()).context("the search base is not a DN")?;
    let directory = &mut live.directory;
    let current = objects_held_to_rules(directory, &base, &request.journal, &journal).await?;
    let recorded = journal.changes;
    let apply = request.write.apply
        && crate::interact::may_write(
            request.write.yes,
            &format!(
                "Reverse the {} change(s) of {}?",
                recorded.len(),
                request.journal.display()
            ),
        )?;
    anyhow::ensure!(
        apply || !request.write.apply,
        "nothing changed: not confirmed"
    );
    let mut items = Vec::new();
    let mut stop: Option<String> = None;
    for (change, account) in recorded.iter().rev().zip(current) {
        let reverse_change = SpnChange {
            account: account
                .as_ref()
                .and_then(|account| account.sam_account_name.clone()),
            dn: change.dn.clone(),
            spns_before: Vec::new(),
            add: change.remove.clone(),
            remove: change.add.clone(),
            conflicts: Vec::new(),
            notes: Vec::new(),
            blocked: None,
        };
        let mut item = ChangeItem::from_change(reverse_change, ChangeStatus::Planned);
        if let Some(why) = &stop {
            item.status = ChangeStatus::Skipped;
            item.reason = Some(format!("not sent: {why}"));
            items.push(ChangeReportItem::Change(item));
            continue;
        }
        let Some(account) = account else {
            item.status = ChangeStatus::Skipped;
            item.reason = Some("no such object now: nothing to reverse".into());
            items.push(ChangeReportItem::Change(item));
            continue;
        };
        let now = account.spns;
        match undo_step(&change.spns_before, &change.add, &change.remove, &now) {
            UndoStep::Reverted => {
                item.status = ChangeStatus::Reverted;
                item.reason = Some("already back in its old state".into());
            }
            UndoStep::ChangedSince => {
                item.status = ChangeStatus::Skipped;
                item.reason = Some("its SPNs changed since: left as they are".into());
            }
            UndoStep::Reverse { delete, add } => {
                item.remove = delete.clone();
                item.add = add.clone();
                if apply {
                    let short = account
                        .sam_account_name
                        .as_deref()
                        .map(|sam| sam.strip_suffix('$').unwrap_or(sam));
                    match reverse(directory, &change.dn, short, &delete, &add).await {
                        Ok(reversal) if reversal.not_restored.is_empty() => {
                            item.status = ChangeStatus::Applied;
                        }
                        Ok(reversal) => {
                            item.status = ChangeStatus::Failed;
                            let refused: Vec<String> = reversal
                                .not_restored
                                .iter()
                                .map(|(spn, why)| format!("{spn} ({why})"))
                                .collect();
                            item.reason = Some(format!(
                                "removed what the fix added; the DC would not take back: {}",
                                refused.join(", ")
                            ));
                        }
                        Err(err) if err.no_answer() => {
                            // `undo` again reads the object and picks up where this stopped.
                            item.status = ChangeStatus::Unknown;
                            item.reason = Some(format!("{err}: run undo again to settle it"));
                            stop = Some(format!("the DC stopped answering ({err})"));
                        }
                        Err(err) => {
                            item.status = ChangeStatus::Failed;
                            item.reason = Some(refusal_reason(&err));
                        }
                    }
                }
            }
        }
        items.push(ChangeReportItem::Change(item));
    }
    let report = ChangeReport::new(items, None, !apply);
    let mut warnings = journal.warnings;
    warnings.extend(stop.map(|why| format!("stopped sending changes: {why}")));
    context.emit(&context.envelope(warnings, None), &report)?;
    let s = &report.summary;
    Ok(Outcome::from_problems(s.skipped + s.failed + s.unknown > 0))
}
