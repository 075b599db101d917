//! `adcomputer spn fix`: scans the domain once, plans (`rules::spn_plan`), and with `--apply`
//! (asking first on a terminal) writes one value-level modify per object: each addition is
//! first checked live against every holder of a colliding form, the change is journaled before
//! it is sent and its outcome after.

use std::path::Path;

use super::RunContext;
use crate::apply::journal::{Entry, Journal};
use crate::apply::spns::change_spns;
use crate::config::FixRequest;
use crate::exit::Outcome;
use crate::ldap::{Directory, OperationError, queries};
use crate::model::account::Account;
use crate::model::spn::SpnAliases;
use crate::report::changes::{ChangeItem, ChangeReport, ChangeReportItem, ChangeStatus, Other};
use crate::report::emit;
use crate::rules::spn_plan::{SpnChange, plan};
use crate::rules::{Finding, SpnIndex};
use crate::source::{NeedsDc, Scanned, Source};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    request: &FixRequest,
) -> anyhow::Result<Outcome> {
    if request.write.apply {
        source.live(NeedsDc::Write("spn fix --apply"))?;
    }
    let (accounts, aliases, warnings) = read_domain(source).await?;
    let mut index = SpnIndex::new(aliases.clone());
    accounts
        .iter()
        .for_each(|(account, _)| index.add(account, true));
    index.prepare();
    let all: Vec<Account> = accounts
        .iter()
        .map(|(account, _)| account.clone())
        .collect();
    let in_base: Vec<Account> = accounts
        .into_iter()
        .filter_map(|(account, in_scope)| in_scope.then_some(account))
        .collect();

    let (scope, others) = if request.names.is_empty() {
        (in_base.iter().collect(), Vec::new())
    } else {
        Finding::resolve_each(&request.names, &in_base)
    };
    let examined = scope
        .iter()
        .filter(|account| request.settings.rules.examines(account))
        .count();
    let plan = plan(&all, &scope, &index, &request.settings);
    let writes = plan.changes.iter().filter(|change| change.writes()).count();
    let apply = request.write.apply
        && writes > 0
        && crate::interact::may_write(
            request.write.yes,
            &format!("Change the SPNs of {writes} object(s)?"),
        )?;
    anyhow::ensure!(
        apply || !request.write.apply || writes == 0,
        "nothing changed: not confirmed"
    );

    let mut journal = None;
    let mut items = Vec::new();
    for change in plan.changes {
        let item = if !change.writes() {
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
            apply_change(
                &mut live.directory,
                change,
                short.as_deref(),
                &aliases,
                &mut journal,
                request.journal.as_deref(),
            )
            .await?
        };
        items.push(ChangeReportItem::Change(item));
    }
    let unchanged = examined.saturating_sub(items.len());
    for (finding, reason) in plan.unresolved_duplicates {
        items.push(ChangeReportItem::Other(Other {
            finding,
            reason: Some(reason),
        }));
    }
    items.extend(others.into_iter().map(|finding| {
        ChangeReportItem::Other(Other {
            finding,
            reason: None,
        })
    }));
    let journal_path = journal.map(|journal: Journal| journal.path.display().to_string());
    let mut report = ChangeReport::new(items, journal_path, !apply);
    report.summary.unchanged = unchanged;
    emit(context.format, &context.envelope(warnings, None), &report)?;
    let s = &report.summary;
    let problems = s.not_found
        + s.ambiguous
        + if apply {
            s.skipped + s.failed + s.unknown + s.conflicts
        } else {
            0
        };
    Ok(Outcome::from_problems(problems > 0))
}

/// Every computer and SPN holder of the domain, with whether it is under `-b`, and the aliases.
async fn read_domain(
    source: &mut Source,
) -> anyhow::Result<(Vec<(Account, bool)>, SpnAliases, Vec<String>)> {
    type Worker = (Vec<(Account, bool)>, Option<SpnAliases>);
    let (workers, facts) = source
        .scan(
            || (Vec::new(), None),
            |(accounts, aliases): &mut Worker, item| match item {
                Scanned::Account(account, in_scope) => accounts.push((account.clone(), in_scope)),
                Scanned::SpnAliases(found) => *aliases = Some(found),
            },
        )
        .await?;
    let mut accounts = Vec::new();
    let mut aliases = SpnAliases::default();
    for (found, found_aliases) in workers {
        accounts.extend(found);
        if let Some(found_aliases) = found_aliases {
            aliases = found_aliases;
        }
    }
    Ok((accounts, aliases, facts.warnings))
}

/// Checks the additions live, journals, writes, reads back, journals the outcome.
async fn apply_change(
    directory: &mut Directory,
    mut change: SpnChange,
    short: Option<&str>,
    aliases: &SpnAliases,
    journal: &mut Option<Journal>,
    journal_path: Option<&Path>,
) -> anyhow::Result<ChangeItem> {
    let forms: Vec<String> = change
        .add
        .iter()
        .flat_map(|spn| aliases.colliding_forms(spn))
        .collect();
    let mut holders = Vec::new();
    if let Err(err) =
        queries::holders_of(directory, &forms, |holder| holders.push(holder.clone())).await
    {
        let mut item = ChangeItem::from_change(change, ChangeStatus::Failed);
        item.reason = Some(err.to_string());
        return Ok(item);
    }
    change.hold_back_taken(&holders, aliases);
    if !change.writes() {
        return Ok(ChangeItem::from_change(change, ChangeStatus::Skipped));
    }
    let journal = match journal {
        Some(journal) => journal,
        None => journal.insert(Journal::create(journal_path)?),
    };
    journal.write(&Entry::Intent {
        time: now(),
        account: change.account.clone().unwrap_or_default(),
        dn: change.dn.clone(),
        spns_before: change.spns_before.clone(),
        add: change.add.clone(),
        remove: change.remove.clone(),
    })?;
    let outcome = change_spns(directory, &change.dn, short, &change.add, &change.remove).await;
    let (status, error, spns_after) = match outcome {
        Ok(()) => (
            ChangeStatus::Applied,
            None,
            queries::read_spns(directory, &change.dn).await.ok(),
        ),
        // No answer: the DC may have applied it. `undo` settles it by reading the object.
        Err(err @ (OperationError::Timeout { .. } | OperationError::ConnectionLost { .. })) => {
            (ChangeStatus::Unknown, Some(err.to_string()), None)
        }
        Err(err) => (ChangeStatus::Failed, Some(err.to_string()), None),
    };
    journal.write(&Entry::Result {
        time: now(),
        dn: change.dn.clone(),
        status: match status {
            ChangeStatus::Applied => "applied",
            ChangeStatus::Unknown => "unknown",
            _ => "failed",
        }
        .into(),
        error: error.clone(),
        spns_after,
    })?;
    let mut item = ChangeItem::from_change(change, status);
    item.reason = error;
    Ok(item)
}

fn now() -> String {
    crate::model::filetime::rfc3339(time::OffsetDateTime::now_utc())
}
