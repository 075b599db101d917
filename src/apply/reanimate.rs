//! Bringing a deleted computer back: one reanimation modify that also sets its default password
//! (a tombstone keeps none), its outcome on the DC's word or read back; then its `dNSHostName`
//! where the tombstone lost it, and its default SPNs, each addition checked against every
//! holder of a colliding form first (as `spn fix` does), written value by value. Before that,
//! the plan is held against the live directory (`judge_against_live`, `check_destination`).

use crate::ldap::{Directory, OperationError, queries};
use anyhow::Context;

use crate::source::LiveSource;
use adcomputer_core::model::deleted::Tombstone;
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::model::spn::SpnAliases;
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, default_machine_password, realm_of, refusal_reason, time_text, unicode_pwd,
};
use adcomputer_core::rules::restore_plan::{already_restored, default_dns_host_name, refuse_taken};
use adcomputer_core::rules::spn_plan::SpnChange;
use adcomputer_core::rules::{SpnSettings, expected_spns};

use super::kerberos::Kdc;
use super::spns::{change_spns, hold_back_taken};
use super::verify::{Proof, Verifier};

/// Restores `deleted` to `target` with `password`, recording on `item` what happened; returns
/// why nothing more should be sent when the DC stopped answering.
pub(crate) async fn restore_computer(
    directory: &mut Directory,
    item: &mut ResetItem,
    deleted: &Tombstone,
    target: &str,
    password: &str,
    aliases: &SpnAliases,
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
    put_back_names(directory, item, target, aliases).await;
    None
}

/// The account as restored: its `dNSHostName` (the default one, when the tombstone kept none)
/// and its default SPNs, those another object holds left out and said. Also what a run that
/// stopped after the reanimation left undone (`restore` again: "already restored").
pub(crate) async fn put_back_names(
    directory: &mut Directory,
    item: &mut ResetItem,
    target: &str,
    aliases: &SpnAliases,
) {
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
    if let Err(err) = hold_back_taken(directory, std::slice::from_mut(&mut change), aliases).await {
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

/// Holds the plan against the live directory: a planned restore whose DN or sAMAccountName is
/// taken is refused; a name with no deleted computer but a live one is "already restored"
/// (its DN returned, so that `--apply` puts back what it lacks). Planned items are warned of
/// the default SPNs another object holds (they will not be put back).
pub(crate) async fn judge_against_live(
    live: &mut LiveSource,
    names: &[NameQuery],
    aliases: &SpnAliases,
    items: &mut [ResetItem],
    targets: &mut [Option<(&Tombstone, String)>],
) -> anyhow::Result<Vec<Option<String>>> {
    let domain = live.directory.root_dse.default_naming_context.clone();
    let asked = names;
    let mut names: Vec<NameQuery> = asked.to_vec();
    for (deleted, dn) in targets.iter().flatten() {
        names.push(NameQuery::Dn(dn.clone()));
        names.extend(deleted.sam_account_name.clone().map(NameQuery::Name));
    }
    let mut accounts = Vec::new();
    queries::accounts_named(&mut live.directory, &domain, &names, |account| {
        accounts.push(account.clone());
    })
    .await?;
    let mut resumes = vec![None; items.len()];
    let mut expected = Vec::new();
    for (index, (item, target)) in items.iter_mut().zip(targets.iter_mut()).enumerate() {
        match target {
            Some((deleted, dn)) if refuse_taken(item, deleted, dn, &accounts) => *target = None,
            Some((deleted, dn)) => {
                let host = deleted
                    .sam_account_name
                    .as_deref()
                    .map(|sam| default_dns_host_name(sam.trim_end_matches('$'), &domain));
                let account = deleted.as_restored(dn, host);
                let mut change = SpnChange::new(&account);
                change.add = expected_spns(&account, &SpnSettings::default());
                expected.push((index, change));
            }
            None if item.status == Status::NotFound => {
                resumes[index] = already_restored(item, &asked[index], &accounts)
                    .map(|account| account.dn.clone());
            }
            None => {}
        }
    }
    let (indexes, mut changes): (Vec<usize>, Vec<SpnChange>) = expected.into_iter().unzip();
    hold_back_taken(&mut live.directory, &mut changes, aliases).await?;
    for (index, change) in indexes.into_iter().zip(changes) {
        for conflict in change.conflicts {
            items[index].warnings.push(format!(
                "{} will not be put back: {} holds it",
                conflict.spn,
                conflict.held_by.join(", ")
            ));
        }
    }
    Ok(resumes)
}

/// `--to` must name a live OU or container of this domain, outside Deleted Objects: checked
/// before anything is planned, so that a mistake is one line, not a DC's error after the plan.
pub(crate) async fn check_destination(directory: &mut Directory, to: &str) -> anyhow::Result<()> {
    let domain_text = directory.root_dse.default_naming_context.clone();
    let dn = NormalDn::parse(to).with_context(|| format!("--to {to}: not a DN"))?;
    let domain = NormalDn::parse(&domain_text).context("the DC's domain is not a DN")?;
    anyhow::ensure!(
        dn.is_under(&domain),
        "--to {to}: not in this domain ({domain_text})"
    );
    let deleted_objects = NormalDn::parse(&format!("CN=Deleted Objects,{domain_text}"))
        .context("the DC's domain is not a DN")?;
    anyhow::ensure!(
        !dn.is_under(&deleted_objects),
        "--to {to}: inside Deleted Objects: a restored computer must go to a live OU or container"
    );
    let Some((classes, deleted)) = queries::classes_of(directory, to)
        .await
        .with_context(|| format!("--to {to}: cannot read it"))?
    else {
        anyhow::bail!("--to {to}: no such OU or container");
    };
    anyhow::ensure!(!deleted, "--to {to}: it is deleted");
    const CONTAINERS: [&str; 4] = [
        "organizationalUnit",
        "container",
        "domainDNS",
        "builtinDomain",
    ];
    anyhow::ensure!(
        classes
            .iter()
            .any(|class| CONTAINERS.iter().any(|c| c.eq_ignore_ascii_case(class))),
        "--to {to}: not an OU or container (its classes: {})",
        classes.join(", ")
    );
    Ok(())
}

/// The forest's `sPNMappings` for the SPN conflict checks, read once per run; when they
/// cannot be read, Windows' default mappings, with a warning that says so.
pub(crate) async fn aliases_or_default(directory: &mut Directory) -> (SpnAliases, Option<String>) {
    match queries::spn_aliases(directory).await {
        Ok(Some(aliases)) => (aliases, None),
        Ok(None) | Err(_) => (
            SpnAliases::default(),
            Some(
                "sPNMappings could not be read: the SPN conflict checks use Windows' default aliases"
                    .into(),
            ),
        ),
    }
}

/// One `restore --apply` run's way of restoring: the domain's aliases (for the SPNs put back),
/// the default password's form, and whether to log on as each restored computer.
pub(crate) struct Batch<'a> {
    pub(crate) aliases: &'a SpnAliases,
    pub(crate) whole_name: bool,
    pub(crate) verify: bool,
}

impl Batch<'_> {
    /// Completes the names of those already restored (`resumes`), then restores each planned
    /// target with its default password, verified when asked. A failed item never stops the
    /// batch; a DC that stops answering does (what is left: "not sent").
    pub(crate) async fn restore(
        &self,
        directory: &mut Directory,
        items: &mut [ResetItem],
        targets: &[Option<(&Tombstone, String)>],
        resumes: &[Option<String>],
    ) {
        let aliases = self.aliases;
        let realm = realm_of(&directory.root_dse.default_naming_context);
        let mut verifier = if self.verify {
            Verifier::Kdcs(vec![(
                directory.root_dse.dns_host_name.clone(),
                Kdc::for_host(directory.host()),
            )])
        } else {
            Verifier::Nowhere
        };
        let mut stop: Option<String> = None;
        for (item, resume) in items.iter_mut().zip(resumes) {
            if let Some(dn) = resume
                && stop.is_none()
            {
                put_back_names(directory, item, dn, aliases).await;
            }
        }
        for (item, target) in items.iter_mut().zip(targets) {
            let Some((deleted, dn)) = target else {
                continue;
            };
            if let Some(why) = &stop {
                item.fail(format!("not sent: {why}"));
                continue;
            }
            let Some(sam) = deleted.sam_account_name.clone() else {
                item.fail("no sAMAccountName");
                continue;
            };
            let password = default_machine_password(&sam, self.whole_name);
            stop = restore_computer(directory, item, deleted, dn, &password, aliases).await;
            if item.status == Status::Restored {
                let proof = Proof {
                    realm: &realm,
                    principal: &sam,
                    password: &password,
                    dn,
                    key_version: item.kvno_after,
                    timeout: directory.timeout(),
                    wait: std::time::Duration::ZERO,
                };
                item.verification = verifier.verify(&proof).await;
            }
        }
    }
}
