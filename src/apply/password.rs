//! A computer's default password: setting it (one replace of `unicodePwd`, its outcome on the
//! DC's word, or, when the answer is lost, on the key version read back (`rules::reset_made`);
//! then the account read back for the report), and probing whether the KDC accepts it.

use crate::ldap::{Directory, OperationError, queries};
use adcomputer_core::model::account::Account;
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, refusal_reason, time_text, unicode_pwd, zero_pwd_last_set_note,
};
use adcomputer_core::rules::reset_plan::{default_password, realm_of};
use adcomputer_core::rules::{PasswordState, reset_made};

use super::kerberos::{Kdc, verify_password};

/// Tries the default password of each `(sAMAccountName, DN)` once at the KDC of `directory`'s
/// DC (a failed try counts toward lockout; a success is a logon), and returns those it
/// accepted. `-v` logs each try.
pub(crate) async fn probe_default_passwords(
    directory: &Directory,
    targets: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let kdc = Kdc::for_host(directory.host());
    let realm = realm_of(&directory.root_dse.default_naming_context);
    let mut accepted = Vec::new();
    for (account, dn) in targets {
        let password = default_password(&account, false);
        let verdict = verify_password(&kdc, &realm, &account, &password, directory.timeout()).await;
        tracing::info!(
            account,
            accepted = verdict.accepted(),
            "default password probe"
        );
        if verdict.accepted() {
            accepted.push((account, dn));
        }
    }
    accepted
}

/// Sets `password` on `account` and records on `item` what happened. Returns why nothing
/// more should be sent when the DC stopped answering.
pub(crate) async fn set_default_password(
    directory: &mut Directory,
    item: &mut ResetItem,
    account: &Account,
    password: &str,
) -> Option<String> {
    let before = PasswordState {
        key_version: account.key_version,
        pwd_last_set: account.pwd_last_set,
    };
    let mut stop = None;
    match directory
        .set_password(&account.dn, unicode_pwd(password))
        .await
    {
        Ok(()) => item.status = Status::Reset,
        Err(err) if err.no_answer() => {
            stop = Some(format!("the DC stopped answering ({err})"));
            settle(directory, item, &account.dn, before, &err).await;
        }
        Err(OperationError::Refused { rc, text, .. }) => item.fail(refusal_reason(rc, &text)),
        Err(err) => item.fail(err),
    }
    if item.status == Status::Reset {
        read_back(directory, item, &account.dn).await;
    }
    stop
}

/// The key version and password time after the reset, and what a `pwdLastSet` of 0 means.
async fn read_back(directory: &mut Directory, item: &mut ResetItem, dn: &str) {
    match queries::read_account(directory, dn).await {
        Ok(Some(after)) => {
            item.kvno_after = after.key_version;
            item.pwd_last_set_after = time_text(after.pwd_last_set);
            if after.pwd_last_set.is_some_and(|set| set.is_zero()) {
                item.warnings.push(zero_pwd_last_set_note());
            }
        }
        Ok(None) => item
            .warnings
            .push("the object vanished right after the reset".into()),
        Err(err) => item
            .warnings
            .push(format!("could not read the account back: {err}")),
    }
}

/// The DC's answer to the reset was lost: the key version read back says whether it was made.
async fn settle(
    directory: &mut Directory,
    item: &mut ResetItem,
    dn: &str,
    before: PasswordState,
    lost: &OperationError,
) {
    let now = match queries::read_account(directory, dn).await {
        Ok(Some(now)) => now,
        Ok(None) => return item.fail(format!("{lost}; the object is gone")),
        Err(err) => {
            item.status = Status::Unknown;
            item.reason = Some(format!(
                "{lost}; could not read it back ({err}): `adcomputer show` tells (key version before: {})",
                before
                    .key_version
                    .map_or("unknown".into(), |kvno| kvno.to_string())
            ));
            return;
        }
    };
    let after = PasswordState {
        key_version: now.key_version,
        pwd_last_set: now.pwd_last_set,
    };
    match reset_made(before, after) {
        Some(true) => {
            item.status = Status::Reset;
            item.reason = Some(format!("{lost}; read back: reset"));
        }
        Some(false) => item.fail(format!("{lost}; read back: not reset")),
        None => {
            item.status = Status::Unknown;
            item.reason = Some(format!("{lost}; read back: the password changed otherwise"));
        }
    }
}
