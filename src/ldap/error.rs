//! Errors of the LDAP layer, each one line that names its cause.

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("bad URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot use CA file {file}: {reason}")]
    CaFile { file: String, reason: String },
    #[error("cannot find a DC through DNS ({name}): {reason}")]
    Discovery { name: String, reason: String },
    #[error("cannot reach {target}: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("no answer from {target} within {secs} s")]
    Timeout { target: String, secs: u64 },
    #[error(
        "TLS failure with {target}: certificate \"{subject}\" is not signed by a trusted CA (give its CA with --ca-cert, ADCOMPUTER_CA_CERT or LDAPTLS_CACERT)"
    )]
    UntrustedCertificate { target: String, subject: String },
    #[error(
        "TLS failure with {target}: certificate \"{subject}\" is not valid for {host} (it names {names})"
    )]
    NameMismatch {
        target: String,
        host: String,
        subject: String,
        names: String,
    },
    #[error("TLS failure with {target}: certificate \"{subject}\" refused: {reason}")]
    CertificateRefused {
        target: String,
        subject: String,
        reason: String,
    },
    #[error("TLS failure: {0}")]
    Tls(String),
    #[error(
        "{target} refused StartTLS ({reason}); a password is never sent in clear: use ldaps:// or fix TLS on the DC"
    )]
    StartTlsRefused { target: String, reason: String },
    #[error("bind as {user} refused: bad credentials (wrong password or unknown user)")]
    BadCredentials { user: String },
    #[error("bind as {user} refused: {problem}")]
    AccountProblem { user: String, problem: &'static str },
    #[error("Kerberos bind failed: {reason}")]
    Kerberos { reason: String },
    #[cfg(feature = "kerberos-bind")]
    #[error(
        "{target} refuses a Kerberos bind over LDAPS (a Samba DC's default, `ldap server require strong auth = yes`): use --kerberos with ldap://{host}, which Kerberos seals, or allow it on the DC with `ldap server require strong auth = allow_sasl_over_tls`"
    )]
    KerberosOverLdaps { target: String, host: String },
    #[error("bind as {user} refused: {text} (LDAP result {rc})")]
    BindRefused { user: String, rc: u32, text: String },
    #[error("{0}")]
    Operation(#[from] OperationError),
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum OperationError {
    #[error("{operation} failed: {text} (LDAP result {rc})")]
    Refused {
        operation: String,
        rc: u32,
        text: String,
    },
    #[error("{operation}: no answer within {secs} s")]
    Timeout { operation: String, secs: u64 },
    #[error("{operation}: connection to the DC lost ({reason})")]
    ConnectionLost { operation: String, reason: String },
    /// The connection was gone before the request could leave: nothing reached the DC.
    #[error("{operation}: not sent, the connection to the DC is closed")]
    NotSent { operation: String },
}

impl OperationError {
    /// Whether the DC's answer never came (timeout, lost connection): the operation may or
    /// may not have been carried out.
    pub(crate) fn no_answer(&self) -> bool {
        matches!(
            self,
            OperationError::Timeout { .. } | OperationError::ConnectionLost { .. }
        )
    }

    pub(crate) fn from_ldap(operation: &str, secs: u64, error: ldap3::LdapError) -> OperationError {
        let operation = operation.to_string();
        match error {
            ldap3::LdapError::LdapResult { result } => OperationError::Refused {
                operation,
                rc: result.rc,
                text: result_text(&result),
            },
            ldap3::LdapError::Timeout { .. } => OperationError::Timeout { operation, secs },
            // The connection's task had ended: the request never went out.
            ldap3::LdapError::OpSend { .. } => OperationError::NotSent { operation },
            other => OperationError::ConnectionLost {
                operation,
                reason: other.to_string(),
            },
        }
    }
}

/// The diagnostic text of a result, or its code's name when the server sent none.
pub(crate) fn result_text(result: &ldap3::LdapResult) -> String {
    let text = result.text.trim().trim_end_matches('\0');
    if text.is_empty() {
        format!("result code {}", result.rc)
    } else {
        text.to_string()
    }
}

/// What AD's `data NNN` sub-code of an invalidCredentials (49) bind result means.
pub(crate) fn account_problem(diagnostic: &str) -> Option<&'static str> {
    let code = diagnostic
        .split("data ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_hexdigit())
        .next()?;
    Some(match code.to_ascii_lowercase().as_str() {
        "530" => "logon not permitted at this time",
        "531" => "logon not permitted from this workstation",
        "532" => "password expired",
        "533" => "account disabled",
        "701" => "account expired",
        "773" => "password must be changed before first logon",
        "775" => "account locked out",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_ad_bind_subcodes() {
        let text = "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563";
        assert_eq!(account_problem(text), Some("account locked out"));
        assert_eq!(account_problem("data 52e, v4563"), None);
        assert_eq!(account_problem("no sub-code"), None);
    }
}
