//! A computer's default password: setting it (one replace of `unicodePwd`, its outcome on the
//! DC's word, or, when the answer is lost, on the key version read back (`rules::reset_made`);
//! then the account read back for the report), and probing whether the KDC accepts it.

use std::collections::HashMap;

use super::verify::{Proof, Verifier};
use crate::ldap::{Directory, OperationError, queries};
use adcomputer_core::model::account::Account;
use adcomputer_core::model::security::is_admin_group;
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, refusal_reason, time_text, unicode_pwd, zero_pwd_last_set_note,
};
use adcomputer_core::rules::reset_plan::{default_machine_password, realm_of, rejoin_note};
use adcomputer_core::rules::{Finding, PasswordState, reset_made};

use super::kerberos::{Kdc, verify_password};

/// Tries the default password of each `(sAMAccountName, DN)` once at the KDC of `directory`'s
/// DC (a failed try counts toward lockout, so the user is told first; a success is a logon),
/// and returns a `default_password` finding for each it accepted.
pub(crate) async fn accepted_defaults(
    directory: &Directory,
    targets: Vec<(String, String)>,
) -> Vec<Finding> {
    match targets.as_slice() {
        [] => {}
        [(sam, _)] => eprintln!(
            "adcomputer: warning: trying {sam}'s default password once; a failed attempt counts toward lockout (badPwdCount)"
        ),
        many => eprintln!(
            "adcomputer: warning: trying the default password of {} computer account(s), once each; every failed attempt counts toward lockout (badPwdCount)",
            many.len()
        ),
    }
    let kdc = Kdc::for_host(directory.host());
    let realm = realm_of(&directory.root_dse.default_naming_context);
    let mut accepted = Vec::new();
    for (account, dn) in targets {
        let password = default_machine_password(&account, false);
        let verdict = verify_password(&kdc, &realm, &account, &password, directory.timeout()).await;
        tracing::info!(
            account,
            accepted = verdict.accepted(),
            "default password probe"
        );
        if verdict.accepted() {
            accepted.push(Finding::DefaultPassword {
                account: Some(account),
                dn,
            });
        }
    }
    accepted
}

/// Sets `password` on `account` and records on `item` what happened. Returns why nothing
/// more should be sent when the DC stopped answering.
pub(crate) async fn set_machine_default(
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

/// A batch of resets with `--apply`: what every item shares, and the reset of one.
pub(crate) struct ResetBatch {
    realm: String,
    /// Where new passwords are proven.
    verifier: Verifier,
    domain_sid: Option<String>,
    /// `name (SID)` of owners already looked up: most objects share an owner.
    sid_names: HashMap<String, String>,
    /// Why nothing more is sent: the DC stopped answering.
    stop: Option<String>,
    /// The whole name as the password (`--no-truncate`).
    whole_name: bool,
    /// How long to wait for replication when verifying at every DC (`--wait`).
    pub(crate) wait: std::time::Duration,
}

impl ResetBatch {
    pub(crate) async fn new(
        directory: &mut Directory,
        verifier: Verifier,
        whole_name: bool,
    ) -> ResetBatch {
        ResetBatch {
            realm: realm_of(&directory.root_dse.default_naming_context),
            verifier,
            domain_sid: queries::domain_sid(directory).await,
            sid_names: HashMap::new(),
            stop: None,
            whole_name,
            wait: std::time::Duration::ZERO,
        }
    }

    /// Notes who may rejoin the account, sets its default password, and proves it where asked.
    pub(crate) async fn reset_one(&mut self, directory: &mut Directory, item: &mut ResetItem) {
        reset_one(directory, item, self).await;
    }
}

async fn reset_one(directory: &mut Directory, item: &mut ResetItem, batch: &mut ResetBatch) {
    let account = item.target.clone().expect("only planned items are reset");
    let Some(sam) = account.sam_account_name.clone() else {
        return item.fail("no sAMAccountName");
    };
    if let Some(why) = &batch.stop {
        return item.fail(format!("not sent: {why}"));
    }
    let note = rejoin_warning(directory, account.owner.as_deref(), batch).await;
    item.warnings.extend(note);
    let password = default_machine_password(&sam, batch.whole_name);
    if let Some(stop) = set_machine_default(directory, item, &account, &password).await {
        batch.stop = Some(stop);
    }
    if item.status != Status::Reset {
        return;
    }
    let proof = Proof {
        realm: &batch.realm,
        principal: &sam,
        password: &password,
        dn: &account.dn,
        key_version: item.kvno_after,
        timeout: directory.timeout(),
        wait: batch.wait,
    };
    item.verification = batch.verifier.verify(&proof).await;
    item.note_lagging_dcs();
}

/// The rejoin hardening note (KB5020276) from the object's owner (`None`: not read).
async fn rejoin_warning(
    directory: &mut Directory,
    owner_sid: Option<&str>,
    batch: &mut ResetBatch,
) -> Option<String> {
    let owner_sid = owner_sid?;
    let owner = account_name(directory, owner_sid, &mut batch.sid_names).await;
    let admin_owned = batch
        .domain_sid
        .as_deref()
        .is_some_and(|domain| is_admin_group(owner_sid, domain));
    Some(rejoin_note(&owner, admin_owned))
}

/// `name (SID)` for a SID found in the directory, else the SID; each SID is looked up once.
async fn account_name(
    directory: &mut Directory,
    sid: &str,
    known: &mut HashMap<String, String>,
) -> String {
    if let Some(name) = known.get(sid) {
        return name.clone();
    }
    let text = match queries::name_of_sid(directory, sid).await {
        Some(name) => format!("{name} ({sid})"),
        None => sid.to_string(),
    };
    known.insert(sid.to_string(), text.clone());
    text
}
