//! `adcomputer reset NAME...`: ADUC's "Reset Account". Resolves every name, plans each item
//! (`rules::reset::plan`), and with `--apply` (asking first on a terminal) per account: reads
//! its owner and creator (KB5020276), writes `unicodePwd` alone, reads the key version back,
//! and optionally logs on as the computer at the KDCs. A failed item never stops the batch.

use std::collections::HashMap;

use super::RunContext;
use crate::apply::kerberos::{Kdc, verify_password};
use crate::config::{ResetSettings, VerifyAt};
use crate::exit::Outcome;
use crate::ldap::{DcAddress, Directory, OperationError, locate_dcs, queries};
use crate::model::security::is_admin_group;
use crate::report::emit;
use crate::report::reset::{ResetReport, ResetSummary};
use crate::rules::reset::{
    ResetItem, Status, Verification, default_password, plan, realm_of, time_text, unicode_pwd,
};
use crate::source::{NeedsDc, Source};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &ResetSettings,
) -> anyhow::Result<Outcome> {
    source.live(NeedsDc::Write("reset"))?;
    let candidates = source.candidates(&settings.names).await?;
    let mut items: Vec<ResetItem> = Vec::new();
    for name in &settings.names {
        let item = plan(name, &candidates, &items);
        items.push(item);
    }
    let address = source.dc_address().cloned();
    let directory = &mut source.live(NeedsDc::Write("reset"))?.directory;
    let targets: Vec<&str> = items
        .iter()
        .filter(|item| item.target.is_some())
        .filter_map(|item| item.account.as_deref())
        .collect();
    let question = format!(
        "Reset {} computer account(s) to the default password: {}?",
        targets.len(),
        targets.join(", ")
    );
    if settings.write.apply && !targets.is_empty() {
        anyhow::ensure!(
            crate::interact::may_write(settings.write.yes, &question)?,
            "nothing reset: not confirmed"
        );
        let mut batch = Batch {
            realm: realm_of(&directory.root_dse.default_naming_context),
            kdcs: kdcs_to_verify(directory, address.as_ref(), settings).await,
            domain_sid: queries::domain_sid(directory).await,
            sid_names: HashMap::new(),
        };
        for item in items.iter_mut().filter(|item| item.target.is_some()) {
            reset_one(directory, item, settings, &mut batch).await;
        }
    }
    for item in &mut items {
        item.target = None;
    }
    let all_done = items.iter().all(ResetItem::done);
    let summary = ResetSummary::of(&items);
    let next_steps = if summary.reset + summary.planned > 0 {
        crate::rules::reset::next_steps(settings.whole_name)
    } else {
        Vec::new()
    };
    let report = ResetReport {
        items,
        summary,
        next_steps,
    };
    emit(context.format, &context.envelope(Vec::new(), None), &report)?;
    Ok(Outcome::from_problems(!all_done))
}

/// Where to log on: `--kdc`, else the written DC (`--verify`) or every DC (`--verify-all-dcs`:
/// the domain's SRV records when the DC was found through DNS, else the DCs LDAP lists).
async fn kdcs_to_verify(
    directory: &mut Directory,
    address: Option<&DcAddress>,
    settings: &ResetSettings,
) -> Vec<Kdc> {
    if settings.verify == VerifyAt::Nowhere {
        return Vec::new();
    }
    if !settings.kdcs.is_empty() {
        return settings.kdcs.clone();
    }
    let mut kdcs = vec![Kdc::for_host(directory.host())];
    if settings.verify == VerifyAt::WrittenDc {
        return kdcs;
    }
    let hosts = match address {
        Some(DcAddress::Domain { name, dns_server }) => locate_dcs(name, *dns_server)
            .await
            .map(|found| found.into_iter().map(|dc| dc.host).collect())
            .unwrap_or_default(),
        _ => queries::dc_host_names(directory).await.unwrap_or_default(),
    };
    for host in hosts {
        if !kdcs.iter().any(|kdc| kdc.host.eq_ignore_ascii_case(&host)) {
            kdcs.push(Kdc::for_host(&host));
        }
    }
    kdcs
}

/// What every item of a batch shares.
struct Batch {
    realm: String,
    /// Where to verify new passwords (empty: no verification).
    kdcs: Vec<Kdc>,
    domain_sid: Option<String>,
    /// `name (SID)` of owners and creators already looked up: most objects share an owner.
    sid_names: HashMap<String, String>,
}

async fn reset_one(
    directory: &mut Directory,
    item: &mut ResetItem,
    settings: &ResetSettings,
    batch: &mut Batch,
) {
    let account = item.target.clone().expect("only planned items are reset");
    let Some(sam) = account.sam_account_name.clone() else {
        return item.fail("no sAMAccountName");
    };
    match rejoin_preflight(directory, &account.dn, batch).await {
        Ok(warnings) => item.warnings.extend(warnings),
        Err(err) => return item.fail(err),
    }
    let password = default_password(&sam, settings.whole_name);
    match directory
        .set_password(&account.dn, unicode_pwd(&password))
        .await
    {
        Ok(()) => {}
        Err(err @ (OperationError::Timeout { .. } | OperationError::ConnectionLost { .. })) => {
            item.status = Status::Unknown;
            item.reason = Some(format!("{err}: the DC may have reset it"));
            return;
        }
        Err(err) => return item.fail(err),
    }
    item.status = Status::Reset;
    if account
        .short_name()
        .is_some_and(|short| short.chars().count() > 14)
        && !settings.whole_name
    {
        item.warnings.push(
            "15-character name: the password is the first 14 characters; `adcli join --login-type=computer` expects all 15 (reset with --no-truncate for an adcli rejoin)"
                .to_string(),
        );
    }
    match queries::read_account(directory, &account.dn).await {
        Ok(Some(after)) => {
            item.kvno_after = after.key_version;
            item.pwd_last_set_after = time_text(after.pwd_last_set);
        }
        Ok(None) => item
            .warnings
            .push("the object vanished right after the reset".into()),
        Err(err) => item
            .warnings
            .push(format!("could not read the account back: {err}")),
    }
    for kdc in &batch.kdcs {
        let verdict =
            verify_password(kdc, &batch.realm, &sam, &password, directory.timeout()).await;
        item.verification.push(Verification {
            kdc: kdc.to_string(),
            result: verdict.describe(),
            accepted: verdict.accepted(),
        });
    }
}

/// KB5020276: a rejoin that reuses an existing computer account is blocked unless the joining
/// user is a domain admin, or created and owns the account, or its owner is allow-listed on
/// the DCs. Says who may rejoin.
async fn rejoin_preflight(
    directory: &mut Directory,
    dn: &str,
    batch: &mut Batch,
) -> Result<Vec<String>, crate::ldap::OperationError> {
    let Some((owner, creator)) = queries::owner_and_creator(directory, dn).await? else {
        return Ok(vec!["the object vanished before the reset".into()]);
    };
    let owner_text = match &owner {
        Some(sid) => account_name(directory, sid, &mut batch.sid_names).await,
        None => "unknown".into(),
    };
    let creator_text = match &creator {
        Some(sid) => account_name(directory, sid, &mut batch.sid_names).await,
        None => "none recorded (created by an admin)".into(),
    };
    let admin_owned = match (&owner, &batch.domain_sid) {
        (Some(owner), Some(domain)) => is_admin_group(owner, domain),
        _ => false,
    };
    let advice = if admin_owned {
        "only a domain admin, or an account on the DCs' computer-account re-use allow-list, can rejoin it"
    } else {
        "only a domain admin, or its creator if it also owns it, or an allow-listed owner can rejoin it"
    };
    Ok(vec![format!(
        "rejoin hardening (KB5020276): owner {owner_text}, creator {creator_text}; {advice}"
    )])
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
