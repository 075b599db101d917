//! `adcomputer spn fix`: scans the domain once, plans (`rules::spn_plan`), and with `--apply`
//! (asking first on a terminal) writes one value-level modify per object: each addition is
//! first checked live against every holder of a colliding form, then the change goes out under
//! the journal's protocol (`apply::spns::send_journaled`). A failed journal write or a DC that
//! stopped answering ends the sending: what is left is reported as not sent.

use std::path::Path;

use super::RunContext;
use crate::apply::journal::{Journal, Outcome as JournalOutcome};
use crate::apply::spns::{hold_back_taken, mark_refused_changes, send_journaled};
use crate::config::FixRequest;
use crate::exit::Outcome;
use crate::ldap::Directory;
use crate::report::present::changes::{
    ChangeItem, ChangeReport, ChangeReportItem, ChangeStatus, Other,
};
use crate::source::{NeedsDc, Source};
use adcomputer_core::model::account::Account;
use adcomputer_core::model::spn::SpnAliases;
use adcomputer_core::rules::spn_plan::{SpnChange, plan};
use adcomputer_core::rules::{Finding, SpnIndex};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    request: &FixRequest,
) -> anyhow::Result<Outcome> {
    if request.write.apply {
        source.live(NeedsDc::Write("spn fix --apply"))?;
    }
    let (accounts, aliases, warnings) = source.read_domain().await?;
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
    let mut plan = plan(&all, &scope, &index, &request.settings);
    if let Ok(live) = source.live(NeedsDc::Read("spn fix")) {
        mark_refused_changes(live, &mut plan.changes, &scope).await?;
    }
    let blocked = plan
        .changes
        .iter()
        .filter(|change| change.blocked.is_some())
        .count();
    let writes = plan
        .changes
        .iter()
        .filter(|change| change.writes() && change.blocked.is_none())
        .count();
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

    let mut writer = Writer {
        journal: None,
        journal_path: request.journal.as_deref(),
        stop: None,
        aliases: &aliases,
    };
    let mut items = Vec::new();
    for change in plan.changes {
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
    let mut warnings = warnings;
    warnings.extend(
        writer
            .stop
            .map(|why| format!("stopped sending changes: {why}")),
    );
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
    let journal_path = writer
        .journal
        .map(|journal: Journal| journal.path.display().to_string());
    let mut report = ChangeReport::new(items, journal_path, !apply);
    report.summary.unchanged += unchanged;
    context.emit(&context.envelope(warnings, None), &report)?;
    let s = &report.summary;
    let problems = s.not_found
        + s.ambiguous
        + blocked
        + if apply {
            s.skipped + s.failed + s.unknown + s.conflicts
        } else {
            0
        };
    Ok(Outcome::from_problems(problems > 0))
}

/// Sends the changes of one run: the journal (created with the first change), and why the run
/// stopped sending, once it has.
struct Writer<'a> {
    journal: Option<Journal>,
    journal_path: Option<&'a Path>,
    stop: Option<String>,
    aliases: &'a SpnAliases,
}

impl Writer<'_> {
    /// Checks the additions live, then sends the change under the journal's protocol; after a
    /// failed journal write or a DC that stopped answering, nothing more is sent.
    async fn write(
        &mut self,
        directory: &mut Directory,
        mut change: SpnChange,
        short: Option<&str>,
    ) -> anyhow::Result<ChangeItem> {
        if let Some(why) = &self.stop {
            return Ok(not_sent(change, why));
        }
        if let Err(err) =
            hold_back_taken(directory, std::slice::from_mut(&mut change), self.aliases).await
        {
            if err.no_answer() {
                self.stop = Some(format!("the DC stopped answering ({err})"));
            }
            let mut item = ChangeItem::from_change(change, ChangeStatus::Failed);
            item.reason = Some(err.to_string());
            return Ok(item);
        }
        if !change.writes() {
            return Ok(ChangeItem::from_change(change, ChangeStatus::Skipped));
        }
        let journal = match &mut self.journal {
            Some(journal) => journal,
            None => self.journal.insert(Journal::create(
                self.journal_path,
                &directory.root_dse.default_naming_context,
            )?),
        };
        match send_journaled(directory, journal, &change, short).await {
            Ok(sent) => {
                self.stop = sent.stop;
                let status = match sent.outcome {
                    _ if sent.already_done => ChangeStatus::Unchanged,
                    JournalOutcome::Applied => ChangeStatus::Applied,
                    JournalOutcome::Failed => ChangeStatus::Failed,
                    JournalOutcome::Unknown => ChangeStatus::Unknown,
                };
                let mut item = ChangeItem::from_change(change, status);
                item.reason = sent.reason.or(item.reason);
                Ok(item)
            }
            Err(err) => {
                let why = err.to_string();
                let item = not_sent(change, &why);
                self.stop = Some(why);
                Ok(item)
            }
        }
    }
}

/// A change the run did not send, and why.
fn not_sent(change: SpnChange, why: &str) -> ChangeItem {
    let mut item = ChangeItem::from_change(change, ChangeStatus::Skipped);
    item.reason = Some(format!("not sent: {why}"));
    item
}
