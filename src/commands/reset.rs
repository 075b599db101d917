//! `adcomputer reset NAME...`: ADUC's "Reset Account". Resolves every name with each object's
//! security in the same searches, plans each item (`rules::reset_plan`: refusals, the right, the
//! advice per client), and with `--apply` (asking first on a terminal) per account: notes who
//! may rejoin it, sets the password (`apply::password`), and optionally logs on as the
//! computer at the KDCs. A failed item never stops the batch; a DC that stops answering does.

use std::collections::HashMap;

use super::RunContext;
use crate::apply::kerberos::Kdc;
use crate::apply::password::set_default_password;
use crate::apply::verify::{Proof, Verifier};
use crate::config::{ResetSettings, VerifyAt};
use crate::exit::Outcome;
use crate::ldap::{Directory, queries};
use crate::report::present::reset_report::{ResetReport, ResetSummary};
use crate::source::{LiveSource, NeedsDc, Source};
use adcomputer_core::model::account::Account;
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::model::security::{ObjectSecurity, is_admin_group};
use adcomputer_core::rules::reset_plan::{
    ResetItem, Status, default_password, plan, realm_of, rejoin_note,
};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &ResetSettings,
) -> anyhow::Result<Outcome> {
    let live = source.live(NeedsDc::Write("reset"))?;
    let (candidates, security) = targets(live, &settings.names).await?;
    let user = live.bind_user().map(str::to_string);
    let token = queries::token_sids(&mut live.directory, user.as_deref())
        .await
        .ok();
    let mut items: Vec<ResetItem> = Vec::new();
    for name in &settings.names {
        let mut item = plan(name, &candidates, &items, settings.whole_name);
        if let Some(target) = &item.target {
            let dn = target.dn.clone();
            item.judge_right(security.get(&dn), token.as_deref());
        }
        items.push(item);
    }
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
        let verifier = verifier(live, settings).await?;
        let directory = &mut live.directory;
        let mut batch = Batch {
            realm: realm_of(&directory.root_dse.default_naming_context),
            verifier,
            domain_sid: queries::domain_sid(directory).await,
            sid_names: HashMap::new(),
            security,
            stop: None,
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
        adcomputer_core::rules::reset_plan::next_steps(settings.whole_name)
    } else {
        Vec::new()
    };
    let report = ResetReport {
        items,
        summary,
        next_steps,
    };
    context.emit(&context.envelope(Vec::new(), None), &report)?;
    Ok(Outcome::from_problems(!all_done))
}

/// Where to prove the new passwords: `--kdc`, else the written DC's KDC (`--verify`), else
/// every DC of the domain, each with its own connection (`--verify-all-dcs`).
async fn verifier(live: &mut LiveSource, settings: &ResetSettings) -> anyhow::Result<Verifier> {
    Ok(match settings.verify {
        VerifyAt::Nowhere => Verifier::Nowhere,
        _ if !settings.kdcs.is_empty() => Verifier::Kdcs(
            settings
                .kdcs
                .iter()
                .map(|kdc| (None, kdc.clone()))
                .collect(),
        ),
        VerifyAt::WrittenDc => Verifier::Kdcs(vec![(
            live.directory.root_dse.dns_host_name.clone(),
            Kdc::for_host(live.directory.host()),
        )]),
        VerifyAt::AllDcs => {
            let dcs = live.domain_dcs().await?;
            let links = live.connect_each(&dcs).await;
            Verifier::Dcs(dcs.into_iter().zip(links).collect())
        }
    })
}

/// Every candidate for `names` under the scope, each once, with its security by DN.
async fn targets(
    live: &mut LiveSource,
    names: &[NameQuery],
) -> anyhow::Result<(Vec<Account>, HashMap<String, ObjectSecurity>)> {
    let base = live.base().to_string();
    let mut candidates: Vec<Account> = Vec::new();
    let mut security = HashMap::new();
    queries::named_with_security(&mut live.directory, &base, names, |account, found| {
        if security.insert(account.dn.clone(), found).is_none() {
            candidates.push(account.clone());
        }
    })
    .await?;
    Ok((candidates, security))
}

/// What every item of a batch shares.
struct Batch {
    realm: String,
    /// Where new passwords are proven.
    verifier: Verifier,
    domain_sid: Option<String>,
    /// `name (SID)` of owners and creators already looked up: most objects share an owner.
    sid_names: HashMap<String, String>,
    security: HashMap<String, ObjectSecurity>,
    /// Why nothing more is sent: the DC stopped answering.
    stop: Option<String>,
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
    if let Some(why) = &batch.stop {
        return item.fail(format!("not sent: {why}"));
    }
    let note = rejoin_warning(directory, &account.dn, batch).await;
    item.warnings.extend(note);
    let password = default_password(&sam, settings.whole_name);
    if let Some(stop) = set_default_password(directory, item, &account, &password).await {
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
        wait: settings.wait,
    };
    item.verification = batch.verifier.verify(&proof).await;
    item.note_lagging_dcs();
}

/// The rejoin hardening note (KB5020276) from the object's owner and creator.
async fn rejoin_warning(directory: &mut Directory, dn: &str, batch: &mut Batch) -> Option<String> {
    let security = batch.security.get(dn)?.clone();
    let owner_sid = security.owner.as_deref()?;
    let owner = account_name(directory, owner_sid, &mut batch.sid_names).await;
    let creator = match &security.creator {
        Some(sid) => Some(account_name(directory, sid, &mut batch.sid_names).await),
        None => None,
    };
    let admin_owned = batch
        .domain_sid
        .as_deref()
        .is_some_and(|domain| is_admin_group(owner_sid, domain));
    let creator_owns = security.creator.as_deref() == Some(owner_sid);
    Some(rejoin_note(
        &owner,
        creator.as_deref(),
        admin_owned,
        creator_owns,
    ))
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
