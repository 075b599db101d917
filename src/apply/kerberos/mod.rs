//! A minimal Kerberos client for one question: does the KDC accept this password for this
//! principal? An AS exchange (RFC 4120): an AS-REQ without pre-authentication learns the etype
//! and salt from PA-ETYPE-INFO2, an AS-REQ with PA-ENC-TIMESTAMP proves the key, and the AS-REP
//! is decrypted to be sure. One attempt per call, never a loop: failures count toward lockout.

mod error;
mod messages;
mod transport;

use std::time::Duration;

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
        let request = messages::as_req(realm, principal, nonce, now, Vec::new());
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
        let request = messages::as_req(realm, principal, nonce, now, padata);
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
