//! Bringing a deleted computer back: one reanimation modify that also sets its default password
//! (a tombstone keeps none), its outcome on the DC's word or read back; then its `dNSHostName`
//! where the tombstone lost it, and its default SPNs, each addition checked against every
//! holder of a colliding form first (as `spn fix` does), written value by value.

use crate::ldap::{Directory, OperationError, queries};
use adcomputer_core::model::deleted::DeletedComputer;
use adcomputer_core::model::spn::SpnAliases;
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, refusal_reason, time_text, unicode_pwd,
};
use adcomputer_core::rules::restore_plan::default_dns_host_name;
use adcomputer_core::rules::spn_plan::SpnChange;
use adcomputer_core::rules::{SpnSettings, expected_spns};

use super::spns::change_spns;

/// Restores `deleted` to `target` with `password`, recording on `item` what happened; returns
/// why nothing more should be sent when the DC stopped answering.
pub(crate) async fn restore_computer(
    directory: &mut Directory,
    item: &mut ResetItem,
    deleted: &DeletedComputer,
    target: &str,
    password: &str,
) -> Option<String> {
    match directory
        .reanimate(&deleted.dn, target, unicode_pwd(password))
        .await
    {
        Ok(()) => item.status = Status::Restored,
        Err(err) if err.no_answer() => {
            let stop = Some(format!("the DC stopped answering ({err})"));
            match queries::read_account(directory, target).await {
                Ok(Some(_)) => {
                    item.status = Status::Restored;
                    item.reason = Some(format!("{err}; read back: restored"));
                }
                Ok(None) => item.fail(format!("{err}; read back: not restored")),
                Err(read) => {
                    item.status = Status::Unknown;
                    item.reason = Some(format!(
                        "{err}; could not read it back ({read}): `adcomputer show {target}` tells"
                    ));
                }
            }
            if item.status != Status::Restored {
                return stop;
            }
        }
        Err(OperationError::Refused { rc, text, .. }) => {
            item.fail(refusal_reason(rc, &text));
            return None;
        }
        Err(err) => {
            item.fail(err);
            return None;
        }
    }
    item.dn = Some(target.to_string());
    put_back_names(directory, item, target).await;
    None
}

/// The account as restored: its `dNSHostName` (the default one, when the tombstone kept none)
/// and its default SPNs, those another object holds left out and said. Also what a run that
/// stopped after the reanimation left undone (`restore` again: "already restored").
pub(crate) async fn put_back_names(directory: &mut Directory, item: &mut ResetItem, target: &str) {
    let mut account = match queries::read_account(directory, target).await {
        Ok(Some(account)) => account,
        Ok(None) => return item.warnings.push("the restored object vanished".into()),
        Err(err) => return item.warnings.push(format!("could not read it back: {err}")),
    };
    item.kvno_after = account.key_version;
    item.pwd_last_set_after = time_text(account.pwd_last_set);
    if account.dns_host_name.is_none()
        && let Some(short) = account.short_name()
    {
        let host = default_dns_host_name(short, &directory.root_dse.default_naming_context);
        match directory.set_dns_host_name(target, &host).await {
            Ok(()) => {
                item.warnings
                    .push(format!("dNSHostName was gone: set to {host}"));
                account.dns_host_name = Some(host);
            }
            Err(err) => item.warnings.push(format!("dNSHostName not set: {err}")),
        }
    }
    let mut change = SpnChange::new(&account);
    change.add = expected_spns(&account, &SpnSettings::default())
        .into_iter()
        .filter(|spn| !adcomputer_core::rules::spn_plan::contains(&account.spns, spn))
        .collect();
    let aliases = queries::spn_aliases(directory)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    if let Err(err) = hold_back_taken(directory, &mut change, &aliases).await {
        return item.warnings.push(format!("SPNs not put back: {err}"));
    }
    for conflict in &change.conflicts {
        item.warnings.push(format!(
            "{} not put back: {} holds it (`adcomputer spn check` shows the duplicate)",
            conflict.spn,
            conflict.held_by.join(", ")
        ));
    }
    if change.add.is_empty() {
        return;
    }
    match change_spns(directory, target, account.short_name(), &change.add, &[]).await {
        Ok(()) => item.spns_added = change.add,
        Err(err) => item.warnings.push(format!("SPNs not put back: {err}")),
    }
}

/// Moves the additions another object holds (directly or as an alias) to the conflicts.
async fn hold_back_taken(
    directory: &mut Directory,
    change: &mut SpnChange,
    aliases: &SpnAliases,
) -> Result<(), queries::QueryError> {
    let forms: Vec<String> = change
        .add
        .iter()
        .flat_map(|spn| aliases.colliding_forms(spn))
        .collect();
    let mut holders = Vec::new();
    queries::holders_of(directory, &forms, |holder| holders.push(holder.clone())).await?;
    change.hold_back_taken(&holders, aliases);
    Ok(())
}
