//! Writing SPN changes so that they work on Samba and Windows alike, for accounts with only
//! validated write to SPN too. The plain value-level modify goes first. Samba (4.17) checks the
//! uniqueness of the first `servicePrincipalName` change of a modify even when it deletes, so a
//! removal-only modify that deletes a duplicate is refused (constraint violation); then, and
//! only then, the removal is sent again bracketed by a throwaway value added and deleted in the
//! same atomic modify — `adcomputer-<random>/<its own short name>`, a value validated write
//! accepts on the account itself. `send_journaled` wraps a change in the journal's protocol.

use super::journal::{Entry, Journal, JournalError, Outcome, ReadJournal};
use crate::ldap::{Directory, OperationError, queries};
use adcomputer_core::model::account::Account;
use adcomputer_core::model::dn::{NormalDn, same_dn};
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::model::rights::Right;
use adcomputer_core::model::spn::SpnAliases;
use adcomputer_core::rules::spn_change_made;
use adcomputer_core::rules::spn_plan::SpnChange;
use adcomputer_core::rules::spn_plan::right_refusal;
use adcomputer_core::rules::undo_plan::undo_refusal;

use crate::source::LiveSource;

/// A change sent under the journal's protocol, and what became of it.
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) outcome: Outcome,
    /// Why it failed, or why its outcome is what it is.
    pub(crate) reason: Option<String>,
    /// Why nothing more may be sent: the DC stopped answering, or the journal failed.
    pub(crate) stop: Option<String>,
    /// The DC refused it because the object already was as planned: another run (or admin)
    /// made the same change meanwhile.
    pub(crate) already_done: bool,
}

/// Journals `change`, sends it, settles a lost answer by reading the object back, and
/// journals the outcome. `Err`: the intent could not be journaled, so nothing was sent.
pub(crate) async fn send_journaled(
    directory: &mut Directory,
    journal: &mut Journal,
    change: &SpnChange,
    short: Option<&str>,
) -> Result<Sent, JournalError> {
    journal.write(&Entry::Intent {
        time: now(),
        account: change.account.clone().unwrap_or_default(),
        dn: change.dn.clone(),
        spns_before: change.spns_before.clone(),
        add: change.add.clone(),
        remove: change.remove.clone(),
    })?;
    let sent = change_spns(directory, &change.dn, short, &change.add, &change.remove).await;
    let mut result = match sent {
        Ok(()) => Sent {
            outcome: Outcome::Applied,
            reason: None,
            stop: None,
            already_done: false,
        },
        Err(err) if err.no_answer() => settle(directory, change, &err).await,
        // "Attribute or value exists" / "no such attribute": was someone quicker?
        Err(err @ OperationError::Refused { rc: 20 | 16, .. })
            if made_by_another(directory, change).await =>
        {
            Sent {
                outcome: Outcome::Failed,
                reason: Some(format!(
                    "already as planned: another writer made this change ({err})"
                )),
                stop: None,
                already_done: true,
            }
        }
        Err(err) => Sent {
            outcome: Outcome::Failed,
            reason: Some(refusal_reason(&err)),
            stop: None,
            already_done: false,
        },
    };
    let spns_after = match result.outcome {
        Outcome::Applied => queries::read_spns(directory, &change.dn).await.ok(),
        _ => None,
    };
    if let Err(err) = journal.write(&Entry::Result {
        time: now(),
        dn: change.dn.clone(),
        status: result.outcome,
        error: result.reason.clone(),
        spns_after,
    }) {
        result.stop = Some(format!("{err} (the outcome above is not in it)"));
    }
    Ok(result)
}

/// Whether the object read back holds every planned addition and none of the removals.
async fn made_by_another(directory: &mut Directory, change: &SpnChange) -> bool {
    queries::read_spns(directory, &change.dn)
        .await
        .is_ok_and(|now| spn_change_made(&change.add, &change.remove, &now) == Some(true))
}

/// The answer to a modify was lost: the object read back says whether it was made.
async fn settle(directory: &mut Directory, change: &SpnChange, lost: &OperationError) -> Sent {
    let stop = Some(format!("the DC stopped answering ({lost})"));
    match queries::read_spns(directory, &change.dn).await {
        Ok(now) => match spn_change_made(&change.add, &change.remove, &now) {
            Some(true) => Sent {
                outcome: Outcome::Applied,
                reason: Some(format!("{lost}; read back: applied")),
                stop,
                already_done: false,
            },
            Some(false) => Sent {
                outcome: Outcome::Failed,
                reason: Some(format!("{lost}; read back: not applied")),
                stop,
                already_done: false,
            },
            None => Sent {
                outcome: Outcome::Unknown,
                reason: Some(format!(
                    "{lost}; read back: neither applied nor untouched (another writer?)"
                )),
                stop,
                already_done: false,
            },
        },
        Err(err) => Sent {
            outcome: Outcome::Unknown,
            reason: Some(format!(
                "{lost}; could not read it back ({err}): `adcomputer undo` settles it"
            )),
            stop,
            already_done: false,
        },
    }
}

/// A refusal in words that name the right to delegate.
pub(crate) fn refusal_reason(err: &OperationError) -> String {
    match err {
        OperationError::Refused { rc: 50, .. } => format!(
            "refused: the bound account lacks {} (or {}) on this object ({err})",
            Right::ValidatedSpn.name(),
            Right::WriteSpn.name()
        ),
        OperationError::Refused { rc: 19, text, .. } if text.contains("spn validation") => {
            format!(
                "refused: {} allows only SPNs on the computer's own names (sAMAccountName, \
                 dNSHostName); others need {} ({err})",
                Right::ValidatedSpn.name(),
                Right::WriteSpn.name()
            )
        }
        other => other.to_string(),
    }
}

fn now() -> String {
    adcomputer_core::model::filetime::rfc3339(time::OffsetDateTime::now_utc())
}

/// Sends `add` and `remove` for the object `dn` whose short name is `short`.
pub(crate) async fn change_spns(
    directory: &mut Directory,
    dn: &str,
    short: Option<&str>,
    add: &[String],
    remove: &[String],
) -> Result<(), OperationError> {
    let plain = directory.modify_spns(dn, add, remove, None).await;
    match (&plain, short) {
        // Samba's uniqueness check answers "error in module samldb: Constraint violation"
        // (a validated-write refusal comes from module acl and is not retried).
        (Err(OperationError::Refused { rc: 19, text, .. }), Some(short))
            if add.is_empty() && !remove.is_empty() && text.contains("samldb") =>
        {
            tracing::info!(
                dn,
                "removal refused as a conflict: retrying bracketed (Samba)"
            );
            let throwaway = format!("adcomputer-{:08x}/{short}", crate::random::u32());
            directory
                .modify_spns(dn, add, remove, Some(&throwaway))
                .await
        }
        _ => plain,
    }
}

/// What undoing one change managed.
#[derive(Debug, Default)]
pub(crate) struct Reversal {
    /// SPNs the DC would not take back, each with its reason (a duplicate it now refuses).
    pub(crate) not_restored: Vec<(String, String)>,
}

/// Reverses a change: deletes what it added, then adds back what it removed — all at once,
/// else one at a time, so that a value the DC refuses (a duplicate it will not re-create)
/// leaves the others restored.
pub(crate) async fn reverse(
    directory: &mut Directory,
    dn: &str,
    short: Option<&str>,
    delete: &[String],
    add_back: &[String],
) -> Result<Reversal, OperationError> {
    if !delete.is_empty() {
        change_spns(directory, dn, short, &[], delete).await?;
    }
    let mut reversal = Reversal::default();
    if add_back.is_empty() {
        return Ok(reversal);
    }
    match change_spns(directory, dn, short, add_back, &[]).await {
        Ok(()) => return Ok(reversal),
        Err(OperationError::Refused { .. }) if add_back.len() > 1 => {}
        Err(OperationError::Refused { text, .. }) => {
            reversal.not_restored.push((add_back[0].clone(), text));
            return Ok(reversal);
        }
        Err(other) => return Err(other),
    }
    for spn in add_back {
        match change_spns(directory, dn, short, std::slice::from_ref(spn), &[]).await {
            Ok(()) => {}
            Err(OperationError::Refused { text, .. }) => {
                reversal.not_restored.push((spn.clone(), text));
            }
            Err(other) => return Err(other),
        }
    }
    Ok(reversal)
}

/// The objects a journal's changes concern, as they are now, newest change first — once the
/// journal is held to `spn fix`'s rules: refused whole, with why, when it is another domain's,
/// or when one change is not one `spn fix` could have made (`rules::undo_plan::undo_refusal`).
/// Nothing is sent before this has read every object.
pub(crate) async fn objects_held_to_rules(
    directory: &mut Directory,
    base: &NormalDn,
    path: &std::path::Path,
    journal: &ReadJournal,
) -> anyhow::Result<Vec<Option<Account>>> {
    use anyhow::Context;
    let domain = &directory.root_dse.default_naming_context;
    anyhow::ensure!(
        same_dn(&journal.domain, domain),
        "{}: a journal of {}, not of this DC's domain {domain}: refused",
        path.display(),
        journal.domain
    );
    let mut current = Vec::with_capacity(journal.changes.len());
    for change in journal.changes.iter().rev() {
        let account = queries::read_account(directory, &change.dn)
            .await
            .with_context(|| format!("cannot read {}", change.dn))?;
        if let Some(account) = &account
            && let Some(why) = undo_refusal(account, base, &change.add, &change.remove)
        {
            anyhow::bail!(
                "{}: its change to {} is not one spn fix could have made ({why}): nothing undone",
                path.display(),
                change.dn
            );
        }
        current.push(account);
    }
    Ok(current)
}

/// Marks the changes the DC would refuse (`blocked`): the security of the objects the plan
/// writes and the bound account's token, judged by the planner's rule
/// (`rules::spn_plan::right_refusal`).
pub(crate) async fn mark_refused_changes(
    live: &mut LiveSource,
    changes: &mut [SpnChange],
    accounts: &[&Account],
) -> anyhow::Result<()> {
    let names: Vec<NameQuery> = changes
        .iter()
        .filter(|change| change.writes())
        .map(|change| NameQuery::Dn(change.dn.clone()))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let (_, security) = live.named_with_security(&names).await?;
    let user = live.bind_user().map(str::to_string);
    let token = queries::token_sids(&mut live.directory, user.as_deref())
        .await
        .ok();
    for change in changes.iter_mut().filter(|change| change.writes()) {
        let Some(account) = accounts.iter().find(|account| account.dn == change.dn) else {
            continue;
        };
        let dacl = security
            .get(&change.dn)
            .and_then(|found| found.dacl.as_deref());
        change.blocked = right_refusal(change, account, dacl, token.as_deref());
    }
    Ok(())
}

/// Just before writing (or planning): moves, in each change, the additions another object
/// holds now — the same SPN or a form the DC counts against it (`aliases`) — to its conflicts.
/// One search for all the changes.
pub(crate) async fn hold_back_taken(
    directory: &mut Directory,
    changes: &mut [SpnChange],
    aliases: &SpnAliases,
) -> Result<(), queries::QueryError> {
    let forms: Vec<String> = changes
        .iter()
        .flat_map(|change| change.add.iter())
        .flat_map(|spn| aliases.colliding_forms(spn))
        .collect();
    if forms.is_empty() {
        return Ok(());
    }
    let mut holders = Vec::new();
    queries::holders_of(directory, &forms, |holder| holders.push(holder.clone())).await?;
    for change in changes {
        change.hold_back_taken(&holders, aliases);
    }
    Ok(())
}
