//! A minimal Kerberos client for two questions. Does the KDC accept this password for this
//! principal? An AS exchange (RFC 4120): an AS-REQ without pre-authentication learns the etype
//! and salt from PA-ETYPE-INFO2, an AS-REQ with PA-ENC-TIMESTAMP proves the key, and the AS-REP
//! is decrypted to be sure. One attempt per call, never a loop: failures count toward lockout.
//! Which keys does the KDC hold for this principal? One AS-REQ without pre-authentication
//! offering only AES (`probe_keys`): no password, so no failed logon.

mod error;
mod messages;
mod transport;

use std::time::Duration;

use adcomputer_core::rules::encryption::KeyProbe;
pub(crate) use messages::Verdict;
pub(crate) use transport::Kdc;

/// Asks `kdc` whether `password` is the password of `principal@realm` (e.g. `PC01$`).
pub(crate) async fn verify_password(
    kdc: &Kdc,
    realm: &str,
    principal: &str,
    password: &str,
    timeout: Duration,
) -> Verdict {
    let started = std::time::Instant::now();
    let verdict = async {
        let now = chrono::Utc::now();
        let nonce = messages::new_nonce();
        let request = messages::as_req(realm, principal, nonce, now, Vec::new(), &messages::ETYPES);
        let first = match transport::exchange(kdc, &request, timeout).await {
            Ok(reply) => reply,
            Err(reason) => return Verdict::Unreachable(reason),
        };
        let salt = match messages::parse_reply(&first) {
            Ok(messages::Reply::Error(error)) => match messages::preauth_salt(&error) {
                Some(salt) => salt,
                None => return Verdict::from_error(&error),
            },
            // No pre-authentication required: the AS-REP itself shows whether the key is right.
            Ok(messages::Reply::AsRep(reply)) => {
                return messages::check_as_rep(&reply, password, None, nonce);
            }
            Err(reason) => return Verdict::Failed(reason),
        };
        // Not the salt: for a computer it spells its name, which is its default password.
        tracing::debug!(%kdc, etype = salt.etype, "pre-authentication asked");
        let padata = match messages::enc_timestamp(&salt, password, now) {
            Ok(padata) => vec![padata],
            Err(reason) => return Verdict::Failed(reason),
        };
        let request = messages::as_req(realm, principal, nonce, now, padata, &messages::ETYPES);
        let second = match transport::exchange(kdc, &request, timeout).await {
            Ok(reply) => reply,
            Err(reason) => return Verdict::Unreachable(reason),
        };
        match messages::parse_reply(&second) {
            Ok(messages::Reply::AsRep(reply)) => {
                messages::check_as_rep(&reply, password, Some(&salt), nonce)
            }
            Ok(messages::Reply::Error(error)) => Verdict::from_error(&error),
            Err(reason) => Verdict::Failed(reason),
        }
    }
    .await;
    tracing::info!(%kdc, principal, result = %verdict.describe(), elapsed = ?started.elapsed(), "Kerberos AS exchange");
    verdict
}

/// Asks `kdc` which AES keys it holds for `principal@realm`: one AS-REQ without
/// pre-authentication offering only AES. No password is sent; nothing counts toward lockout.
pub(crate) async fn probe_keys(
    kdc: &Kdc,
    realm: &str,
    principal: &str,
    timeout: Duration,
) -> KeyProbe {
    let request =
        messages::key_probe_request(realm, principal, messages::new_nonce(), chrono::Utc::now());
    let probe = match transport::exchange(kdc, &request, timeout).await {
        Ok(reply) => messages::judge_key_probe(messages::parse_reply(&reply)),
        Err(reason) => KeyProbe::NotProbed(format!("the KDC did not answer: {reason}")),
    };
    tracing::info!(%kdc, principal, ?probe, "Kerberos key probe");
    probe
}

/// Probes the keys of every principal in `principals` at `kdc`, at most `in_flight` at once,
/// in order; `progress` is told of each answer. An account without a name is not probed.
pub(crate) async fn probe_keys_of(
    kdc: &Kdc,
    realm: &str,
    principals: &[Option<&str>],
    timeout: Duration,
    in_flight: usize,
    progress: &dyn Fn(),
) -> Vec<KeyProbe> {
    let next = std::cell::Cell::new(0);
    let results = std::cell::RefCell::new(vec![None; principals.len()]);
    let worker = || async {
        loop {
            let index = next.get();
            let Some(principal) = principals.get(index) else {
                break;
            };
            next.set(index + 1);
            let probe = match principal {
                Some(principal) => probe_keys(kdc, realm, principal, timeout).await,
                None => KeyProbe::NotProbed("it has no sAMAccountName to ask for".into()),
            };
            results.borrow_mut()[index] = Some(probe);
            progress();
        }
    };
    crate::source::join_all((0..in_flight.max(1)).map(|_| worker()).collect()).await;
    results
        .into_inner()
        .into_iter()
        .map(|probe| probe.expect("every principal is probed"))
        .collect()
}
