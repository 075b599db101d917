//! Sending one run's SPN changes (`spn fix --apply`): each addition checked live against every
//! holder of a colliding form, then the change sent under the journal's protocol (the journal
//! made with the first change); after a failed journal write or a DC that stopped answering,
//! nothing more is sent and what is left is reported as not sent.

use std::path::Path;

use super::journal::{Journal, Outcome as JournalOutcome};
use super::spns::{hold_back_taken, send_journaled};
use crate::ldap::Directory;
use adcomputer_core::model::spn::SpnAliases;
use adcomputer_core::rules::spn_plan::{ChangeItem, ChangeStatus, SpnChange};

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
