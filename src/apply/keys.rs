//! The KDC as the oracle of an account's keys: each account's AES keys asked of the KDC of the
//! connected DC (encryption readiness), a few at a time, with progress on terminals.

use crate::ldap::Directory;
use crate::progress::Progress;
use adcomputer_core::model::account::Account;
use adcomputer_core::rules::coverage::{Check, Coverage};
use adcomputer_core::rules::encryption::{self, KeyProbe};
use adcomputer_core::rules::reset_plan::realm_of;
use adcomputer_core::rules::{Auditor, Finding};

use super::kerberos::{Kdc, probe_keys_of};

/// The KDC `directory`'s DC runs, as reports name it (`probed_at`).
pub(crate) fn kdc_of(directory: &Directory) -> (Kdc, String) {
    let kdc = Kdc::for_host(directory.host());
    let name = directory.host().to_string();
    (kdc, name)
}

/// Each account's AES keys, in order, at `kdc`, at most `in_flight` at once.
pub(crate) async fn probe_accounts(
    directory: &Directory,
    kdc: &Kdc,
    accounts: &[&Account],
    in_flight: usize,
) -> Vec<KeyProbe> {
    let realm = realm_of(&directory.root_dse.default_naming_context);
    let names: Vec<Option<&str>> = accounts
        .iter()
        .map(|account| account.sam_account_name.as_deref())
        .collect();
    let progress = Progress::bar("asking the KDC for keys", accounts.len());
    let probes = probe_keys_of(kdc, &realm, &names, directory.timeout(), in_flight, &|| {
        progress.tick()
    })
    .await;
    progress.finish();
    probes
}

/// One line for the report on the accounts whose keys could not be asked about, if any.
pub(crate) fn unprobed(accounts: &[&Account], probes: &[KeyProbe], kdc: &str) -> Option<String> {
    let failed: Vec<(&str, &str)> = accounts
        .iter()
        .zip(probes)
        .filter_map(|(account, probe)| match probe {
            KeyProbe::NotProbed(why) => Some((account.label(), why.as_str())),
            _ => None,
        })
        .collect();
    let (first, why) = failed.first()?;
    let others = match failed.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    Some(format!(
        "{}: the keys of {first}{others} were not probed at {kdc} ({why})",
        Check::WEAK_ENCRYPTION.name()
    ))
}

/// `show`'s probe: the keys of each of `accounts` the check examines, at `directory`'s KDC;
/// each one's encryption finding in `findings` becomes the one the KDC's answer gives.
/// Why some were not probed, if some were not.
pub(crate) async fn judge_with_kdc(
    directory: &Directory,
    accounts: &[&Account],
    findings: &mut Vec<Finding>,
    coverage: &mut Coverage,
) -> Option<String> {
    coverage.set_note(Check::WEAK_ENCRYPTION, None);
    let examined: Vec<&Account> = accounts
        .iter()
        .copied()
        .filter(|a| asked_about(a))
        .collect();
    let (address, kdc) = kdc_of(directory);
    let probes = probe_accounts(directory, &address, &examined, 4).await;
    for (account, probe) in examined.iter().zip(&probes) {
        if matches!(probe, KeyProbe::NotProbed(_)) {
            continue;
        }
        encryption::rejudge(findings, account, probe, &kdc);
    }
    adcomputer_core::rules::sort_findings(findings);
    unprobed(&examined, &probes, &kdc)
}

/// Whether a KDC is asked about the account's keys: an enabled computer with a name.
pub(crate) fn asked_about(account: &Account) -> bool {
    encryption::examines(account) && account.sam_account_name.is_some()
}

/// The AES keys each DC's KDC holds for `account` (`--all-dcs`: keys replicate with the
/// password, so a DC the new password has not reached names the old ones), all asked at once;
/// `None` where a KDC could not be asked or did not say.
pub(crate) async fn aes_keys_at_each(
    dcs: &[crate::source::DomainDc],
    directory: &Directory,
    account: &Account,
) -> Vec<Option<Vec<String>>> {
    let realm = realm_of(&directory.root_dse.default_naming_context);
    let asks = dcs.iter().map(|dc| {
        let realm = &realm;
        async move {
            let (kdc, principal) = (dc.kdc()?, account.sam_account_name.as_deref()?);
            super::kerberos::probe_keys(&kdc, realm, principal, directory.timeout())
                .await
                .aes_key_names()
        }
    });
    crate::source::join_all(asks.collect()).await
}

/// `audit --probe-keys`: the keys of every computer the auditor set aside, then krbtgt's
/// (without AES keys there, every ticket is RC4), at `kdc` or the connected DC's KDC. Why
/// some were not probed, if some were not.
pub(crate) async fn probe_for_audit(
    directory: &mut Directory,
    auditor: &mut Auditor,
    kdc: Option<&Kdc>,
    in_flight: usize,
) -> Option<String> {
    let targets = auditor.key_targets().to_vec();
    let accounts: Vec<&Account> = targets.iter().collect();
    let (address, kdc) = match kdc {
        Some(kdc) => (kdc.clone(), kdc.to_string()),
        None => kdc_of(directory),
    };
    let probes = probe_accounts(directory, &address, &accounts, in_flight).await;
    auditor.keys_probed(&probes, &kdc);
    let unprobed = unprobed(&accounts, &probes, &kdc);
    match crate::ldap::queries::krbtgt(directory).await {
        Some(krbtgt) => {
            let probe = probe_accounts(directory, &address, &[&krbtgt], 1).await;
            auditor.record_all(encryption::finding(&krbtgt, Some((&probe[0], &kdc))));
            unprobed.or_else(|| self::unprobed(&[&krbtgt], &probe, &kdc))
        }
        None => unprobed.or(Some(format!(
            "{}: the keys of krbtgt were not probed at {kdc} (its account could not be read)",
            Check::WEAK_ENCRYPTION.name()
        ))),
    }
}
