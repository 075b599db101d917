//! `adcomputer reset NAME...`: ADUC's "Reset Account". Resolves every name with each object's
//! security in the same searches, plans each item (`rules::reset_plan`: refusals, the right, the
//! advice per client), and with `--apply` (asking first on a terminal) per account: notes who
//! may rejoin it, sets the password (`apply::password`), and optionally logs on as the
//! computer at the KDCs. A failed item never stops the batch; a DC that stops answering does.

use super::RunContext;
use crate::apply::kerberos::Kdc;
use crate::apply::password::ResetBatch;
use crate::apply::verify::Verifier;
use crate::config::{ResetSettings, VerifyAt};
use crate::exit::Outcome;
use crate::ldap::queries;
use crate::report::present::reset_report::ResetReport;
use crate::source::{LiveSource, NeedsDc, Source};
use adcomputer_core::rules::reset_plan::{ResetItem, plan};

pub(crate) async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &ResetSettings,
) -> anyhow::Result<Outcome> {
    let live = source.live(NeedsDc::Write("reset"))?;
    let (candidates, security) = live.named_with_security(&settings.names).await?;
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
    if settings.write.apply && !targets.is_empty() {
        let what = format!(
            "Reset {} computer account(s) to the default password",
            targets.len()
        );
        if !crate::interact::confirm_each(settings.write.yes, &what, &targets)? {
            return Ok(super::declined("reset"));
        }
        let verifier = verifier(live, settings).await?;
        let directory = &mut live.directory;
        let mut batch = ResetBatch::new(directory, verifier, settings.whole_name).await;
        batch.wait = settings.wait;
        for item in items.iter_mut().filter(|item| item.target.is_some()) {
            batch.reset_one(directory, item).await;
        }
    }
    let report = ResetReport::new(
        items,
        settings.whole_name,
        live.directory.host(),
        live.base(),
    );
    context.emit(&context.envelope(Vec::new(), None), &report)?;
    Ok(Outcome::from_problems(!report.all_done()))
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
