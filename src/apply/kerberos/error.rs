//! Why a Kerberos exchange gave no verdict: the network, the KDC's bytes, or a KDC error we
//! have no plain words for. Every variant displays as one line an admin can act on.

use std::time::Duration;

/// A failed AS exchange, by cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KerberosError {
    /// Neither UDP nor TCP brought an answer in time.
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
    /// A socket operation failed (`during` says which): refused, unreachable, not resolved.
    #[error("{during}: {detail}")]
    Network {
        during: &'static str,
        detail: String,
    },
    /// The KDC closed the TCP connection before the whole reply arrived.
    #[error("connection closed ({0})")]
    Closed(String),
    /// A request or reply beyond what Kerberos over TCP carries here.
    #[error("{what} of {bytes} bytes is too large")]
    TooLarge { what: &'static str, bytes: usize },
    /// The reply is neither an AS-REP nor a KRB-ERROR.
    #[error("the KDC's reply is neither an AS-REP nor a KRB-ERROR")]
    NotKerberos,
    /// A Kerberos message that does not decode.
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
    /// An encryption type `kerberos_crypto` cannot use.
    #[error("the KDC answered with unsupported etype {0}")]
    UnsupportedEtype(i32),
    /// The AS-REP decrypts but carries another request's nonce.
    #[error("the AS-REP answers another request (nonce mismatch)")]
    NonceMismatch,
    /// A KRB-ERROR without a plainer meaning.
    #[error("KDC error {code}{}", .text.as_deref().map(|text| format!(": {text}")).unwrap_or_default())]
    Kdc { code: i32, text: Option<String> },
}

impl KerberosError {
    /// A socket error during `during`.
    pub(crate) fn network(during: &'static str) -> impl FnOnce(std::io::Error) -> KerberosError {
        move |err| KerberosError::Network {
            during,
            detail: err.to_string(),
        }
    }
}
