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
use crate::apply::spn_writer::undo_one;
use crate::apply::spns::objects_held_to_rules;
use crate::config::UndoRequest;
use crate::exit::Outcome;
use crate::report::present::changes::{ChangeReport, ChangeReportItem};
use crate::source::{NeedsDc, Source};
use adcomputer_core::model::dn::NormalDn;

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
    // The plan: each change reversed (what was added is removed, and the other way round).
    let plan: Vec<String> = recorded
        .iter()
        .rev()
        .map(|c| crate::report::present::changes::plan_line(&c.account, &c.remove, &c.add))
        .collect();
    let question = format!(
        "Reverse the {} change(s) of {}?",
        recorded.len(),
        request.journal.display()
    );
    let apply =
        request.write.apply && crate::interact::may_write(request.write.yes, &plan, &question)?;
    if request.write.apply && !apply {
        return Ok(super::declined("changed"));
    }
    let mut items = Vec::new();
    let mut stop: Option<String> = None;
    for (change, account) in recorded.iter().rev().zip(current) {
        let item = undo_one(directory, change, account, apply, &mut stop).await;
        items.push(ChangeReportItem::Change(item));
    }
    let report = ChangeReport::new(items, None, !apply);
    let mut warnings = journal.warnings;
    warnings.extend(stop.map(|why| format!("stopped sending changes: {why}")));
    context.emit(&context.envelope(warnings, None), &report)?;
    let s = &report.summary;
    Ok(Outcome::from_problems(s.skipped + s.failed + s.unknown > 0))
}
