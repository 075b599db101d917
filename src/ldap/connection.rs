//! Opening a directory connection: URL checks, TLS (LDAPS, or StartTLS on `ldap://` — never a
//! clear-text bind), the simple bind, and the rootDSE; every failure classified into one line.

use std::sync::Arc;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};

use super::TlsSettings;
use super::error::{ConnectError, OperationError, account_problem, result_text};
use super::tls::{WitnessingVerifier, client_config};
use crate::secret::{PasswordSource, Secret};

/// How to authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    /// A simple bind as this user (`user@realm`, `DOMAIN\user` or a DN), over TLS only.
    Simple {
        user: String,
        password: PasswordSource,
    },
    /// SASL GSSAPI with the caller's Kerberos ticket cache: sealed on `ldap://`, with TLS
    /// channel bindings on `ldaps://`. No password is involved.
    Kerberos,
}

/// Which DC to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DcAddress {
    /// `ldaps://host[:port]` or `ldap://host[:port]`; several, separated by spaces or
    /// commas (OpenLDAP's `-H` and `URI`), are tried in order.
    Url(String),
    /// Any DC of this domain, found through DNS SRV records (over LDAPS).
    Domain {
        name: String,
        dns_server: Option<std::net::IpAddr>,
    },
}

/// Everything needed to open a live connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LdapSettings {
    pub(crate) address: DcAddress,
    pub(crate) tls: TlsSettings,
    pub(crate) bind: Bind,
    /// Limit for connecting and for each operation.
    pub(crate) timeout: Duration,
    /// Entries per page of paged searches.
    pub(crate) page_size: i32,
    /// Connections a scan reads its parts over at once (`--connections`).
    pub(crate) connections: usize,
    /// `--dns-server`: the domain's DNS, asked first for DCs' addresses.
    pub(crate) dns_server: Option<std::net::IpAddr>,
}

/// What the rootDSE says about the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RootDse {
    pub(crate) default_naming_context: String,
    pub(crate) configuration_naming_context: Option<String>,
    pub(crate) dns_host_name: Option<String>,
    /// The DN of this DC's NTDS Settings object: which of the domain's DCs this is.
    pub(crate) ds_service_name: Option<String>,
    /// The highest update sequence number this DC has committed (`highestCommittedUSN`).
    pub(crate) highest_committed_usn: Option<u64>,
}

/// An open, bound connection to a DC.
pub(crate) struct Directory {
    pub(super) ldap: Ldap,
    target: String,
    host: String,
    pub(crate) root_dse: RootDse,
    pub(super) timeout: Duration,
    pub(super) page_size: i32,
}

/// `scheme://host:port` of a checked LDAP URL, and whether it needs StartTLS.
struct Target {
    url: url::Url,
    display: String,
    host: String,
    starttls: bool,
}

fn parse_target(raw: &str, kerberos: bool) -> Result<Target, ConnectError> {
    let bad = |reason: &str| ConnectError::BadUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    if !raw.contains("://") {
        return Err(bad(&format!(
            "a host, not a URL: use ldaps://{raw} (or ldap://{raw}, upgraded with StartTLS)"
        )));
    }
    let url = url::Url::parse(raw).map_err(|err| bad(&err.to_string()))?;
    let (starttls, default_port) = match url.scheme() {
        "ldaps" => (false, 636),
        // Kerberos seals a plain connection itself; a simple bind only ever goes over TLS.
        "ldap" => (!kerberos, 389),
        _ => {
            return Err(bad(
                "use ldaps://host[:port] or ldap://host[:port] (StartTLS)",
            ));
        }
    };
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| bad("no host"))?
        .to_string();
    let display = format!(
        "{}://{host}:{}",
        url.scheme(),
        url.port().unwrap_or(default_port)
    );
    Ok(Target {
        url,
        display,
        host,
        starttls,
    })
}

/// The hosts of a URL list (those that parse).
pub(crate) fn url_hosts(list: &str) -> Vec<String> {
    url_list(list)
        .iter()
        .filter_map(|url| parse_target(url, false).ok())
        .map(|target| target.host)
        .collect()
}

/// The URLs of a list as OpenLDAP takes them: separated by spaces or commas.
fn url_list(list: &str) -> Vec<String> {
    list.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|url| !url.is_empty())
        .map(str::to_string)
        .collect()
}

impl Directory {
    /// Connects and binds; `password` is the simple bind's password (`None` for Kerberos).
    /// With a domain, tries its DCs in SRV order and moves on when one does not answer.
    pub(crate) async fn connect(
        settings: &LdapSettings,
        password: Option<&Secret>,
    ) -> Result<Directory, ConnectError> {
        let urls: Vec<String> = match &settings.address {
            DcAddress::Url(list) => {
                let urls = url_list(list);
                if urls.is_empty() {
                    return Err(ConnectError::BadUrl {
                        url: list.clone(),
                        reason: "no URL".into(),
                    });
                }
                // Every URL is checked before any is tried: a typo is never skipped over.
                for url in &urls {
                    parse_target(url, settings.bind == Bind::Kerberos)?;
                }
                urls
            }
            DcAddress::Domain { name, dns_server } => {
                super::discovery::locate_dcs(name, *dns_server)
                    .await?
                    .into_iter()
                    .map(|dc| {
                        tracing::info!(domain = %name, dc = %dc.host, priority = dc.priority, "a DC found in DNS");
                        format!("ldaps://{}", dc.host)
                    })
                    .collect()
            }
        };
        let mut last_error = None;
        for url in &urls {
            if last_error.is_some() {
                tracing::info!(dc = %url, "trying the next DC");
            }
            // The next DC only when this one did not answer: a refused bind or a TLS failure
            // would be the same at every DC, and is for the admin to see.
            match Directory::connect_url(settings, url, password).await {
                Err(err @ (ConnectError::Unreachable { .. } | ConnectError::Timeout { .. })) => {
                    tracing::info!("{err}");
                    last_error = Some(err);
                }
                other => return other,
            }
        }
        Err(last_error.expect("at least one DC is tried"))
    }

    async fn connect_url(
        settings: &LdapSettings,
        url: &str,
        password: Option<&Secret>,
    ) -> Result<Directory, ConnectError> {
        let target = parse_target(url, settings.bind == Bind::Kerberos)?;
        let started = std::time::Instant::now();
        let (tls_config, verifier) = client_config(&settings.tls)?;
        let conn_settings = LdapConnSettings::new()
            .set_conn_timeout(settings.timeout)
            .set_starttls(target.starttls)
            .set_config(tls_config);
        let (conn, mut ldap) = LdapConnAsync::from_url_with_settings(conn_settings, &target.url)
            .await
            .map_err(|err| classify_connect_error(&target, &verifier, settings.timeout, err))?;
        tokio::spawn(async move {
            // The connection task ends when the Ldap handle is dropped or the DC goes away;
            // operations then fail with ConnectionLost, which is where it is reported.
            let _ = conn.drive().await;
        });

        tracing::info!(dc = %target.display, elapsed = ?started.elapsed(), "connected");
        let secs = settings.timeout.as_secs();
        let bind_started = std::time::Instant::now();
        match (&settings.bind, password) {
            (Bind::Simple { user, .. }, Some(password)) => {
                let bind = ldap
                    .with_timeout(settings.timeout)
                    .simple_bind(user, password.expose())
                    .await
                    .map_err(|err| OperationError::from_ldap("bind", secs, err))?;
                check_bind(user, &bind)?;
                tracing::info!(user = %user, elapsed = ?bind_started.elapsed(), "simple bind");
            }
            (Bind::Simple { user, .. }, None) => {
                return Err(ConnectError::BindRefused {
                    user: user.clone(),
                    rc: 0,
                    text: "no password given".into(),
                });
            }
            #[cfg(feature = "kerberos-bind")]
            (Bind::Kerberos, _) => {
                let bind = ldap
                    .with_timeout(settings.timeout)
                    .sasl_gssapi_bind(&target.host)
                    .await
                    .map_err(|err| kerberos_error(&target.host, &err))?;
                if target.url.scheme() == "ldaps" && refuses_sasl_over_tls(&bind) {
                    return Err(ConnectError::KerberosOverLdaps {
                        target: target.display,
                        host: target.host,
                    });
                }
                check_bind("your Kerberos ticket's principal", &bind)?;
                tracing::info!(elapsed = ?bind_started.elapsed(), "Kerberos (GSSAPI) bind");
            }
            #[cfg(not(feature = "kerberos-bind"))]
            (Bind::Kerberos, _) => {
                return Err(ConnectError::Kerberos {
                    reason: "this adcomputer was built without the kerberos-bind feature".into(),
                });
            }
        }

        let mut directory = Directory {
            ldap,
            target: target.display,
            host: target.host,
            root_dse: RootDse {
                default_naming_context: String::new(),
                configuration_naming_context: None,
                dns_host_name: None,
                ds_service_name: None,
                highest_committed_usn: None,
            },
            timeout: settings.timeout,
            page_size: settings.page_size,
        };
        directory.root_dse = directory.read_root_dse().await?;
        Ok(directory)
    }

    /// `scheme://host:port` of the DC, as reports name their source.
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    /// The DC's host name (or address) as given in the URL.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The limit for each operation.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn read_root_dse(&mut self) -> Result<RootDse, OperationError> {
        let attributes = [
            "defaultNamingContext",
            "configurationNamingContext",
            "dnsHostName",
            "dsServiceName",
            "highestCommittedUSN",
        ];
        let secs = self.timeout.as_secs();
        let read = |err| OperationError::from_ldap("reading the rootDSE", secs, err);
        let (entries, _) = self
            .ldap
            .with_timeout(self.timeout)
            .search("", Scope::Base, "(objectClass=*)", attributes)
            .await
            .map_err(read)?
            .success()
            .map_err(read)?;
        let entry = entries.into_iter().next().map(SearchEntry::construct);
        let first = |name: &str| {
            entry
                .as_ref()
                .and_then(|entry| entry.attrs.get(name))
                .and_then(|values| values.first().cloned())
        };
        Ok(RootDse {
            default_naming_context: first("defaultNamingContext").ok_or_else(|| {
                OperationError::Refused {
                    operation: "reading the rootDSE".into(),
                    rc: 0,
                    text: "no defaultNamingContext: is this an Active Directory DC?".into(),
                }
            })?,
            configuration_naming_context: first("configurationNamingContext"),
            dns_host_name: first("dnsHostName"),
            ds_service_name: first("dsServiceName"),
            highest_committed_usn: first("highestCommittedUSN").and_then(|usn| usn.parse().ok()),
        })
    }

    /// Unbinds politely; errors are irrelevant at this point.
    pub(crate) async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }
}

#[cfg(feature = "kerberos-bind")]
/// A GSSAPI failure in one line: GSS-API messages span several; the common causes first.
fn kerberos_error(host: &str, error: &ldap3::LdapError) -> ConnectError {
    let flat = error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = flat.to_lowercase();
    let reason = if lower.contains("no credentials") || lower.contains("no kerberos credentials") {
        "no Kerberos ticket: run kinit first".to_string()
    } else if lower.contains("expired") {
        "the Kerberos ticket has expired: run kinit again".to_string()
    } else if lower.contains("server not found") {
        format!("the KDC does not know ldap/{host}: use the DC's host name in the URL")
    } else {
        flat
    };
    ConnectError::Kerberos { reason }
}

/// Whether a GSSAPI bind over LDAPS was refused for want of (or for having) a SASL security
/// layer: Samba's default `ldap server require strong auth = yes` accepts Kerberos only on
/// `ldap://`, sealed ("Sign or Seal are required" / "… are not allowed if TLS is used").
#[cfg(feature = "kerberos-bind")]
fn refuses_sasl_over_tls(result: &ldap3::LdapResult) -> bool {
    result.rc == 8 || result.text.contains("Sign or Seal")
}

fn check_bind(user: &str, result: &ldap3::LdapResult) -> Result<(), ConnectError> {
    let user = user.to_string();
    match result.rc {
        0 => Ok(()),
        49 => Err(match account_problem(&result.text) {
            Some(problem) => ConnectError::AccountProblem { user, problem },
            None => ConnectError::BadCredentials { user },
        }),
        rc => Err(ConnectError::BindRefused {
            user,
            rc,
            text: result_text(result),
        }),
    }
}

fn classify_connect_error(
    target: &Target,
    verifier: &Arc<WitnessingVerifier>,
    timeout: Duration,
    error: ldap3::LdapError,
) -> ConnectError {
    let display = target.display.clone();
    if let Some(refused) = verifier.refused() {
        use rustls::CertificateError as E;
        return match refused.error {
            rustls::Error::InvalidCertificate(E::UnknownIssuer | E::BadSignature) => {
                ConnectError::UntrustedCertificate {
                    target: display,
                    subject: refused.subject,
                }
            }
            rustls::Error::InvalidCertificate(
                E::NotValidForName | E::NotValidForNameContext { .. },
            ) => ConnectError::NameMismatch {
                target: display,
                host: target.host.clone(),
                subject: refused.subject,
                names: if refused.names.is_empty() {
                    "no subjectAltName".into()
                } else {
                    refused.names.join(", ")
                },
            },
            other => ConnectError::CertificateRefused {
                target: display,
                subject: refused.subject,
                reason: other.to_string(),
            },
        };
    }
    match error {
        ldap3::LdapError::Timeout { .. } => ConnectError::Timeout {
            target: display,
            secs: timeout.as_secs(),
        },
        ldap3::LdapError::LdapResult { result } if target.starttls => {
            ConnectError::StartTlsRefused {
                target: display,
                reason: result_text(&result),
            }
        }
        ldap3::LdapError::Io { source } => {
            if let Some(tls) = source
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return ConnectError::Tls(format!(
                    "{display}: {tls} (is this an {} port?)",
                    if target.starttls { "LDAP" } else { "LDAPS" }
                ));
            }
            let reason = match source.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
                std::io::ErrorKind::TimedOut => "timed out".to_string(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof => {
                    format!(
                        "the DC dropped the TLS handshake{}",
                        wrong_port_hint(target)
                    )
                }
                _ => source.to_string(),
            };
            ConnectError::Unreachable {
                target: display,
                reason,
            }
        }
        // The connection closed while waiting for the StartTLS answer.
        ldap3::LdapError::ResultRecv { .. } if target.starttls => ConnectError::StartTlsRefused {
            target: display,
            reason: format!("connection closed{}", wrong_port_hint(target)),
        },
        other => ConnectError::Unreachable {
            target: display,
            reason: other.to_string(),
        },
    }
}

fn wrong_port_hint(target: &Target) -> &'static str {
    if target.starttls {
        "; is this an LDAPS port? use ldaps:// for it"
    } else {
        "; is this a plain LDAP port? use ldap:// (StartTLS) for it"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_normalized() {
        let ldaps = parse_target("ldaps://dc1.example.com", false).unwrap();
        assert_eq!(ldaps.display, "ldaps://dc1.example.com:636");
        assert!(!ldaps.starttls);
        let ldap = parse_target("ldap://dc1.example.com:3268", false).unwrap();
        assert_eq!(ldap.display, "ldap://dc1.example.com:3268");
        assert!(ldap.starttls, "ldap:// means StartTLS for a simple bind");
        let sealed = parse_target("ldap://dc1.example.com", true).unwrap();
        assert!(!sealed.starttls, "Kerberos seals ldap:// itself");
        for bad in [
            "http://dc1",
            "dc1.example.com",
            "ldapi:///run/ldapi",
            "ldaps://",
        ] {
            assert!(parse_target(bad, false).is_err(), "{bad}");
        }
        // A bare host, as `-H 127.0.0.23`: the error says what to write instead.
        let Err(ConnectError::BadUrl { reason, .. }) = parse_target("127.0.0.23", false) else {
            panic!("a bare host is not a URL");
        };
        assert!(reason.contains("use ldaps://127.0.0.23"), "{reason}");
    }

    #[test]
    fn a_url_list_is_split_as_openldap_splits_it() {
        assert_eq!(
            url_list(" ldaps://dc1 ldaps://dc2,ldap://dc3 ,, "),
            ["ldaps://dc1", "ldaps://dc2", "ldap://dc3"]
        );
        assert!(url_list(" , ").is_empty());
    }

    fn result(rc: u32, text: &str) -> ldap3::LdapResult {
        ldap3::LdapResult {
            rc,
            matched: String::new(),
            text: text.into(),
            refs: vec![],
            ctrls: vec![],
        }
    }

    #[cfg(feature = "kerberos-bind")]
    #[test]
    fn samba_refusing_kerberos_over_tls_is_recognised() {
        assert!(refuses_sasl_over_tls(&result(
            8,
            "SASL:[GSSAPI]: Sign or Seal are required."
        )));
        assert!(!refuses_sasl_over_tls(&result(49, "data 52e")));
    }

    #[test]
    fn bind_results_name_their_cause() {
        let err = check_bind("a@B", &result(49, "data 52e")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bind as a@B refused: bad credentials (wrong password or unknown user)"
        );
        let err = check_bind(
            "a@B",
            &result(49, "AcceptSecurityContext error, data 533, v893"),
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "bind as a@B refused: account disabled"
        );
        let err = check_bind("a@B", &result(8, "Transport encryption required.")).unwrap_err();
        assert!(err.to_string().contains("Transport encryption required"));
        assert!(check_bind("a@B", &result(0, "")).is_ok());
    }
}
