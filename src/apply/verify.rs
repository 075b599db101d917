//! Proving a reset: a Kerberos logon as the computer with its new password, at the KDC of the
//! DC that was written (`--verify`), at given KDCs (`--kdc`), or at every DC of the domain
//! (`--verify-all-dcs`). Over every DC, each DC's own copy of the account is read too: only
//! that read proves replication (a Windows DC forwards a failed logon to the PDC emulator, so
//! a Kerberos success alone proves nothing). With a wait, the DCs that lag are read again until
//! they hold the new key version; the logon at each DC is made once, when it holds it or the
//! wait is over: every failed logon counts toward lockout.

use std::time::{Duration, Instant};

use super::kerberos::{Kdc, probe_keys, verify_password};
use crate::ldap::{Directory, queries};
use crate::progress::Progress;
use crate::source::{DomainDc, join_all};
use adcomputer_core::rules::reset_plan::Verification;

/// Where a reset is proven.
pub(crate) enum Verifier {
    Nowhere,
    /// A logon at each KDC: the written DC's, or those given with `--kdc`.
    Kdcs(Vec<(Option<String>, Kdc)>),
    /// Every DC: a read of its directory and a logon at its KDC.
    Dcs(Vec<(DomainDc, Result<Directory, String>)>),
}

/// What is proven, for one account.
pub(crate) struct Proof<'a> {
    pub(crate) realm: &'a str,
    pub(crate) principal: &'a str,
    pub(crate) password: &'a str,
    pub(crate) dn: &'a str,
    /// The key version the written DC read back.
    pub(crate) key_version: Option<u32>,
    pub(crate) timeout: Duration,
    /// How long to wait for DCs that do not hold the new password yet.
    pub(crate) wait: Duration,
}

const POLL: Duration = Duration::from_secs(2);

impl Verifier {
    pub(crate) async fn verify(&mut self, proof: &Proof<'_>) -> Vec<Verification> {
        match self {
            Verifier::Nowhere => Vec::new(),
            Verifier::Kdcs(kdcs) => {
                let logons = kdcs.iter().map(|(dc, kdc)| async move {
                    let verdict = verify_password(
                        kdc,
                        proof.realm,
                        proof.principal,
                        proof.password,
                        proof.timeout,
                    )
                    .await;
                    let aes_keys = match verdict.accepted() {
                        true => aes_keys_at(kdc, proof).await,
                        false => None,
                    };
                    Verification {
                        dc: dc.clone(),
                        kdc: kdc.to_string(),
                        result: verdict.describe(),
                        holds_new_password: None,
                        key_version: None,
                        aes_keys,
                        accepted: verdict.accepted(),
                    }
                });
                join_all(logons.collect()).await
            }
            Verifier::Dcs(dcs) => verify_at_every_dc(dcs, proof).await,
        }
    }
}

/// The AES keys `kdc` holds for the proof's principal (`None`: it did not say).
async fn aes_keys_at(kdc: &Kdc, proof: &Proof<'_>) -> Option<Vec<String>> {
    probe_keys(kdc, proof.realm, proof.principal, proof.timeout)
        .await
        .aes_key_names()
}

/// What one DC's directory said.
struct Held {
    key_version: Option<u32>,
    holds: bool,
    /// Why it could not be read.
    error: Option<String>,
}

async fn read_dc(directory: &mut Result<Directory, String>, proof: &Proof<'_>) -> Held {
    let account = match directory {
        Ok(directory) => queries::account_on_dc(directory, proof.dn)
            .await
            .map_err(|err| err.to_string()),
        Err(why) => Err(why.clone()),
    };
    match account {
        Ok(Some(account)) => Held {
            key_version: account.key_version,
            holds: match (account.key_version, proof.key_version) {
                (Some(there), Some(written)) => there >= written,
                _ => false,
            },
            error: None,
        },
        Ok(None) => Held {
            key_version: None,
            holds: false,
            error: Some("the account is not there (yet)".into()),
        },
        Err(why) => Held {
            key_version: None,
            holds: false,
            error: Some(why),
        },
    }
}

async fn verify_at_every_dc(
    dcs: &mut [(DomainDc, Result<Directory, String>)],
    proof: &Proof<'_>,
) -> Vec<Verification> {
    let deadline = Instant::now() + proof.wait;
    let mut held: Vec<Option<Held>> = dcs.iter().map(|_| None).collect();
    let progress = Progress::status("waiting for replication");
    loop {
        let pending: Vec<bool> = held
            .iter()
            .map(|held| held.as_ref().is_none_or(|held| !held.holds))
            .collect();
        let reads = dcs
            .iter_mut()
            .zip(pending)
            .map(|((_, directory), pending)| async move {
                if pending {
                    Some(read_dc(directory, proof).await)
                } else {
                    None
                }
            });
        for (slot, read) in held.iter_mut().zip(join_all(reads.collect()).await) {
            if let Some(read) = read {
                *slot = Some(read);
            }
        }
        let lagging: Vec<&str> = dcs
            .iter()
            .zip(&held)
            .filter(|(_, held)| held.as_ref().is_none_or(|held| !held.holds))
            .map(|((dc, _), _)| dc.host.as_str())
            .collect();
        if lagging.is_empty() || Instant::now() + POLL > deadline {
            break;
        }
        tracing::info!(lagging = %lagging.join(", "), "waiting for replication");
        progress.set(&format!("not there yet: {}", lagging.join(", ")));
        tokio::time::sleep(POLL).await;
    }
    progress.finish();
    let logons = dcs.iter().map(|(dc, _)| async move {
        match dc.kdc() {
            Some(kdc) => {
                let verdict = verify_password(
                    &kdc,
                    proof.realm,
                    proof.principal,
                    proof.password,
                    proof.timeout,
                )
                .await;
                let aes_keys = match verdict.accepted() {
                    true => aes_keys_at(&kdc, proof).await,
                    false => None,
                };
                (
                    kdc.to_string(),
                    verdict.describe(),
                    verdict.accepted(),
                    aes_keys,
                )
            }
            None => (
                "-".to_string(),
                format!(
                    "no address: {}",
                    dc.address.as_ref().err().map_or("", String::as_str)
                ),
                false,
                None,
            ),
        }
    });
    let verdicts = join_all(logons.collect()).await;
    dcs.iter()
        .zip(held)
        .zip(verdicts)
        .map(|(((dc, _), held), (kdc, result, accepted, aes_keys))| {
            let held = held.expect("every DC was read");
            let result = match &held.error {
                Some(why) if !accepted => format!("{result}; directory: {why}"),
                _ => result,
            };
            Verification {
                dc: Some(dc.host.clone()),
                kdc,
                result,
                holds_new_password: held.error.is_none().then_some(held.holds),
                key_version: held.key_version,
                aes_keys,
                accepted: accepted && held.holds,
            }
        })
        .collect()
}
