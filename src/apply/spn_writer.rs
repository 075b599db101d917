//! Sending one run's SPN changes (`spn fix --apply`): each addition checked live against every
//! holder of a colliding form, then the change sent under the journal's protocol (the journal
//! made with the first change); after a failed journal write or a DC that stopped answering,
//! nothing more is sent and what is left is reported as not sent. And taking one back
//! (`undo`): each recorded change judged against the object as it is now, then reversed.

use std::path::Path;

use super::journal::{Journal, Outcome as JournalOutcome, Recorded};
use super::spns::{hold_back_taken, refusal_reason, reverse, send_journaled};
use crate::ldap::Directory;
use adcomputer_core::model::account::Account;
use adcomputer_core::model::spn::SpnAliases;
use adcomputer_core::rules::spn_plan::{ChangeItem, ChangeStatus, SpnChange};
use adcomputer_core::rules::undo_plan::{UndoStep, undo_step};

/// Sends the changes of one run: the journal (created with the first change), and why the run
/// stopped sending, once it has.
pub(crate) struct Writer<'a> {
    pub(crate) journal: Option<Journal>,
    journal_path: Option<&'a Path>,
    /// Why nothing more is sent, once something stopped the run.
    pub(crate) stop: Option<String>,
    aliases: &'a SpnAliases,
}

impl<'a> Writer<'a> {
    /// A writer whose journal goes to `journal_path` (or the default place), made with the
    /// first change sent.
    pub(crate) fn new(journal_path: Option<&'a Path>, aliases: &'a SpnAliases) -> Self {
        Writer {
            journal: None,
            journal_path,
            stop: None,
            aliases,
        }
    }

    /// Checks the additions live, then sends the change under the journal's protocol; after a
    /// failed journal write or a DC that stopped answering, nothing more is sent.
    pub(crate) async fn write(
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

/// `undo`: one recorded change judged against the object as it is now (`account`, `None`
/// when it is gone) and, with `apply`, reversed. After the DC stopped answering (`stop`),
/// nothing more is sent; a lost answer is `unknown`, settled by running undo again.
pub(crate) async fn undo_one(
    directory: &mut Directory,
    change: &Recorded,
    account: Option<Account>,
    apply: bool,
    stop: &mut Option<String>,
) -> ChangeItem {
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
    let skipped = |mut item: ChangeItem, why: String| {
        item.status = ChangeStatus::Skipped;
        item.reason = Some(why);
        item
    };
    if let Some(why) = stop {
        return skipped(item, format!("not sent: {why}"));
    }
    let Some(account) = account else {
        return skipped(item, "no such object now: nothing to reverse".into());
    };
    let (delete, add) = match undo_step(
        &change.spns_before,
        &change.add,
        &change.remove,
        &account.spns,
    ) {
        UndoStep::Reverted => {
            item.status = ChangeStatus::Reverted;
            item.reason = Some("already back in its old state".into());
            return item;
        }
        UndoStep::ChangedSince => {
            return skipped(item, "its SPNs changed since: left as they are".into());
        }
        UndoStep::Reverse { delete, add } => (delete, add),
    };
    item.remove = delete.clone();
    item.add = add.clone();
    if !apply {
        return item;
    }
    let short = account.short_name();
    match reverse(directory, &change.dn, short, &delete, &add).await {
        Ok(reversal) if reversal.not_restored.is_empty() => item.status = ChangeStatus::Applied,
        Ok(reversal) => {
            item.status = ChangeStatus::Failed;
            let refused: Vec<String> = reversal
                .not_restored
                .iter()
                .map(|(spn, why)| match why.contains("conflict") {
                    true => format!(
                        "{spn} (another object holds it: the DC refuses a duplicate SPN; {why})"
                    ),
                    false => format!("{spn} ({why})"),
                })
                .collect();
            // Say only what happened: a change that only removed has nothing to take off.
            let removed = match delete.is_empty() {
                true => String::new(),
                false => format!("removed what the fix added ({}); ", delete.join(", ")),
            };
            item.reason = Some(format!(
                "{removed}the DC would not take back {}",
                refused.join(", ")
            ));
        }
        Err(err) if err.no_answer() => {
            // `undo` again reads the object and picks up where this stopped.
            item.status = ChangeStatus::Unknown;
            item.reason = Some(format!("{err}: run undo again to settle it"));
            *stop = Some(format!("the DC stopped answering ({err})"));
        }
        Err(err) => {
            item.status = ChangeStatus::Failed;
            item.reason = Some(refusal_reason(&err));
        }
    }
    item
}
