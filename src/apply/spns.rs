//! Writing SPN changes so that they work on Samba and Windows alike, for accounts with only
//! validated write to SPN too. The plain value-level modify goes first. Samba (4.17) checks the
//! uniqueness of the first `servicePrincipalName` change of a modify even when it deletes, so a
//! removal-only modify that deletes a duplicate is refused (constraint violation); then, and
//! only then, the removal is sent again bracketed by a throwaway value added and deleted in the
//! same atomic modify — `adcomputer-<random>/<its own short name>`, a value validated write
//! accepts on the account itself.

use crate::ldap::{Directory, OperationError};

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
        (Err(OperationError::Refused { rc: 19, .. }), Some(short))
            if add.is_empty() && !remove.is_empty() =>
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
