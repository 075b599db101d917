//! `adcomputer spn fix`: scans the domain once, plans (`rules::spn_plan`), marks what the DC
//! would refuse, and with `--apply` (asking first on a terminal) sends one value-level modify
//! per object through `apply::spn_writer` (each addition checked live, then journaled). A
//! failed journal write or a DC that stopped answering ends the sending: what is left is
//! reported as not sent.

use super::RunContext;
use crate::apply::spn_writer::Writer;
use crate::apply::spns::mark_refused_changes;
use crate::config::FixRequest;
use crate::exit::Outcome;
use crate::report::present::changes::{
    ChangeItem, ChangeReport, ChangeReportItem, ChangeStatus, Other,
};
use crate::source::{NeedsDc, Source};
use adcomputer_core::model::account::Account;
use adcomputer_core::rules::spn_plan::{SpnChange, disabled_left_alone, plan};
use adcomputer_core::rules::{Finding, SpnIndex};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    request: &FixRequest,
) -> anyhow::Result<Outcome> {
    if request.write.apply {
        source.live(NeedsDc::Write("spn fix --apply"))?;
    }
    let (accounts, aliases, mut warnings) = source.read_domain().await?;
    let index = SpnIndex::of(&accounts, aliases.clone());
    let (all, in_base) = all_and_in_base(accounts);
    let (scope, others) = match request.names.is_empty() {
        true => (in_base.iter().collect(), Vec::new()),
        false => Finding::resolve_each(&request.names, &in_base),
    };
    let examined = scope
        .iter()
        .filter(|a| request.settings.rules.examines(a))
        .count();
    if !request.names.is_empty() {
        warnings.extend(disabled_left_alone(&request.settings, &scope));
    }
    let mut plan = plan(&all, &scope, &index, &request.settings);
    if let Ok(live) = source.live(NeedsDc::Read("spn fix")) {
        mark_refused_changes(live, &mut plan.changes, &scope).await?;
    }
    let blocked = plan.changes.iter().filter(|c| c.blocked.is_some()).count();
    let Some(apply) = confirmed(request, &plan.changes)? else {
        return Ok(super::declined("changed"));
    };
    let mut writer = Writer::new(request.journal.as_deref(), &aliases);
    let mut items = send(source, &mut writer, plan.changes, &scope, apply).await?;
    let stopped = writer
        .stop
        .map(|why| format!("stopped sending changes: {why}"));
    warnings.extend(stopped);
    let unchanged = examined.saturating_sub(items.len());
    let unresolved = plan.unresolved_duplicates.into_iter();
    let others = others.into_iter().map(|finding| (finding, None));
    for (finding, reason) in unresolved.map(|(f, why)| (f, Some(why))).chain(others) {
        items.push(ChangeReportItem::Other(Other { finding, reason }));
    }
    let journal = writer
        .journal
        .map(|journal| journal.path.display().to_string());
    let mut report = ChangeReport::new(items, journal, !apply);
    report.summary.unchanged += unchanged;
    context.emit(&context.envelope(warnings, None), &report)?;
    Ok(Outcome::from_problems(
        blocked + report.summary.problems(apply) > 0,
    ))
}

/// Every account read, and those under `-b`.
fn all_and_in_base(accounts: Vec<(Account, bool)>) -> (Vec<Account>, Vec<Account>) {
    let all = accounts
        .iter()
        .map(|(account, _)| account.clone())
        .collect();
    let in_base = accounts
        .into_iter()
        .filter_map(|(account, in_scope)| in_scope.then_some(account))
        .collect();
    (all, in_base)
}

/// Whether to write: `--apply`, something to write, and (on a terminal, without `--yes`) the
/// user said yes after seeing the plan; `None` when `--apply` was asked and declined.
fn confirmed(request: &FixRequest, changes: &[SpnChange]) -> anyhow::Result<Option<bool>> {
    let writing: Vec<&SpnChange> = changes
        .iter()
        .filter(|change| change.writes() && change.blocked.is_none())
        .collect();
    if !request.write.apply || writing.is_empty() {
        return Ok(Some(false));
    }
    let plan: Vec<String> = writing
        .iter()
        .map(|c| {
            crate::report::present::changes::plan_line(
                c.account.as_deref().unwrap_or(&c.dn),
                &c.add,
                &c.remove,
            )
        })
        .collect();
    let question = format!("Change the SPNs of {} object(s)?", writing.len());
    Ok(crate::interact::may_write(request.write.yes, &plan, &question)?.then_some(true))
}

/// Each change as planned, skipped, or (with `apply`) sent by `writer`.
async fn send(
    source: &mut Source,
    writer: &mut Writer<'_>,
    changes: Vec<SpnChange>,
    scope: &[&Account],
    apply: bool,
) -> anyhow::Result<Vec<ChangeReportItem>> {
    let mut items = Vec::new();
    for change in changes {
        let item = if let Some(why) = change.blocked.clone() {
            let mut item = ChangeItem::from_change(change, ChangeStatus::Skipped);
            item.reason = Some(why);
            item
        } else if !change.writes() {
            ChangeItem::from_change(change, ChangeStatus::Skipped)
        } else if !apply {
            ChangeItem::from_change(change, ChangeStatus::Planned)
        } else {
            let live = source.live(NeedsDc::Write("spn fix --apply"))?;
            let short = scope
                .iter()
                .find(|account| account.dn == change.dn)
                .and_then(|account| account.short_name())
                .map(str::to_string);
            writer
                .write(&mut live.directory, change, short.as_deref())
                .await?
        };
        items.push(ChangeReportItem::Change(item));
    }
    Ok(items)
}
