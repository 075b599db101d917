//! TLS client configuration: the system trust store plus `--ca-cert` files, hostname checks by
//! webpki, and a verifier that remembers the certificate a failed handshake presented, so the
//! error can name its subject. `--insecure` accepts any certificate (and says so on stderr).
//! The `--ca-cert` CAs are tried first; the system store (hundreds of files to read and parse)
//! is read only when they do not vouch for the DC.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::error::ConnectError;

/// How to trust the server's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsSettings {
    /// PEM files of CAs trusted in addition to the system store.
    pub(crate) ca_files: Vec<PathBuf>,
    /// Accept any certificate: no chain or hostname check.
    pub(crate) insecure: bool,
    /// The name the certificate must be valid for, when the connection goes to an address
    /// (a DC whose address came from DNS): else the URL's host.
    pub(crate) server_name: Option<String>,
}

/// Why the last handshake's certificate was refused, and what it said of itself.
#[derive(Debug, Clone)]
pub(crate) struct RefusedCertificate {
    pub(crate) error: rustls::Error,
    pub(crate) subject: String,
    pub(crate) names: Vec<String>,
}

/// Verifies with webpki and keeps what it refused.
#[derive(Debug)]
pub(crate) struct WitnessingVerifier {
    /// The `--ca-cert` CAs alone (`None`: none given).
    given: Option<Arc<WebPkiServerVerifier>>,
    given_roots: RootCertStore,
    /// The system store with them, read the first time the given CAs do not vouch.
    every: OnceLock<Result<Arc<WebPkiServerVerifier>, String>>,
    provider: Arc<CryptoProvider>,
    insecure: bool,
    /// Checked instead of the name the connection was made with.
    expected: Option<ServerName<'static>>,
    refused: Mutex<Option<RefusedCertificate>>,
}

impl WitnessingVerifier {
    pub(crate) fn refused(&self) -> Option<RefusedCertificate> {
        self.refused.lock().ok()?.clone()
    }

    /// The verifier of the system store and the given CAs, made once.
    fn every(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.every
            .get_or_init(|| {
                let mut roots = system_roots();
                roots.roots.extend(self.given_roots.roots.iter().cloned());
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                    .build()
                    .map_err(|err| format!("no usable trust anchors: {err}"))
            })
            .as_ref()
            .map_err(|why| rustls::Error::General(why.clone()))
    }
}

impl ServerCertVerifier for WitnessingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = self.expected.as_ref().unwrap_or(server_name);
        let given = self.given.as_ref().map(|given| {
            given.verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
        });
        let verdict = match given {
            Some(Ok(verified)) => Ok(verified),
            _ => self.every().and_then(|every| {
                every.verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
            }),
        };
        match verdict {
            Err(_) if self.insecure => Ok(ServerCertVerified::assertion()),
            Err(error) => {
                let (subject, names) = describe_certificate(end_entity);
                if let Ok(mut slot) = self.refused.lock() {
                    *slot = Some(RefusedCertificate {
                        error: error.clone(),
                        subject,
                        names,
                    });
                }
                Err(error)
            }
            ok => ok,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificate's subject and the DNS names and addresses it is valid for.
fn describe_certificate(der: &CertificateDer<'_>) -> (String, Vec<String>) {
    use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
    let Ok((_, cert)) = X509Certificate::from_der(der.as_ref()) else {
        return ("(unparsable certificate)".into(), Vec::new());
    };
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(dns.to_string()),
                    GeneralName::IPAddress(ip) => ip_to_string(ip),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    (cert.subject().to_string(), names)
}

/// Refuses a trust anchor that is not a CA now, as OpenSSL does (webpki looks at neither a
/// trust anchor's dates nor its constraints): one outside its validity period, or one whose
/// basic constraints say `CA:FALSE` (or whose key usage excludes signing certificates). The
/// same rule for every source of anchors: `--ca-cert`, `TLS_CACERT`, `SSL_CERT_FILE`,
/// `SSL_CERT_DIR` and the system store.
fn check_anchor(der: &CertificateDer<'_>) -> Result<(), String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der.as_ref())
        .map_err(|err| format!("unparsable certificate: {err}"))?;
    if let Ok(Some(constraints)) = cert.basic_constraints()
        && !constraints.value.ca
    {
        return Err(format!(
            "the certificate {} is not a CA (CA:FALSE): it cannot vouch for a DC",
            cert.subject()
        ));
    }
    if let Ok(Some(usage)) = cert.key_usage()
        && !usage.value.key_cert_sign()
    {
        return Err(format!(
            "the certificate {} may not sign certificates (key usage): not a CA",
            cert.subject()
        ));
    }
    let validity = cert.validity();
    if validity.is_valid() {
        return Ok(());
    }
    let now = x509_parser::time::ASN1Time::now();
    Err(if validity.not_after < now {
        format!(
            "the CA certificate {} expired on {}",
            cert.subject(),
            validity.not_after
        )
    } else {
        format!(
            "the CA certificate {} is not valid before {}",
            cert.subject(),
            validity.not_before
        )
    })
}

fn ip_to_string(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string()),
        _ => None,
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// The largest CA file read (the system bundle is about 200 KB).
const CA_FILE_LIMIT: u64 = 16 << 20;

/// The system's trust store. Unreadable system certificates are not fatal: `--ca-cert` may be
/// all that is needed.
fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(
        system
            .certs
            .into_iter()
            .filter(|cert| check_anchor(cert).is_ok()),
    );
    roots
}

/// The CAs of the `--ca-cert` files, each file checked.
fn root_store(settings: &TlsSettings) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    for file in &settings.ca_files {
        let bad = |reason: String| ConnectError::CaFile {
            file: file.display().to_string(),
            reason,
        };
        let pem = crate::files::read_bounded(file, CA_FILE_LIMIT, "--ca-cert")
            .map_err(|err| bad(format!("{err:#}")))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| bad(err.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no PEM certificate in it".into()));
        }
        // A bundle (the system's, named by ldap.conf's TLS_CACERT) may hold a few expired
        // roots among many good ones: those are left out. A file of which no certificate is
        // valid now is refused, naming the first: it can only mean a mistake.
        let mut first_invalid = None;
        let mut added = 0;
        for cert in certs {
            match check_anchor(&cert) {
                Ok(()) => {
                    roots.add(cert).map_err(|err| bad(err.to_string()))?;
                    added += 1;
                }
                Err(why) => {
                    first_invalid.get_or_insert(why);
                }
            }
        }
        if added == 0
            && let Some(why) = first_invalid
        {
            return Err(bad(why));
        }
    }
    Ok(roots)
}

/// A client configuration and the verifier inside it (to ask what it refused).
pub(crate) fn client_config(
    settings: &TlsSettings,
) -> Result<(Arc<ClientConfig>, Arc<WitnessingVerifier>), ConnectError> {
    let provider = provider();
    let given_roots = root_store(settings)?;
    let given = match given_roots.is_empty() {
        true => None,
        false => Some(
            WebPkiServerVerifier::builder_with_provider(
                Arc::new(given_roots.clone()),
                provider.clone(),
            )
            .build()
            .map_err(|err| ConnectError::Tls(format!("no usable trust anchors: {err}")))?,
        ),
    };
    let expected = match &settings.server_name {
        Some(name) => Some(
            ServerName::try_from(name.clone())
                .map_err(|err| ConnectError::Tls(format!("{name}: {err}")))?,
        ),
        None => None,
    };
    let verifier = Arc::new(WitnessingVerifier {
        given,
        given_roots,
        every: OnceLock::new(),
        provider: provider.clone(),
        insecure: settings.insecure,
        expected,
        refused: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ConnectError::Tls(err.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    Ok((Arc::new(config), verifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_certificate(path: &str) -> CertificateDer<'static> {
        let pem = std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        CertificateDer::pem_slice_iter(&pem)
            .next()
            .unwrap()
            .unwrap()
    }

    #[test]
    fn only_a_ca_valid_now_is_an_anchor() {
        let expired = check_anchor(&first_certificate("fixtures/tls/expired-ca.pem"));
        assert!(expired.unwrap_err().contains("expired"));
        // `openssl req -x509 -addext basicConstraints=critical,CA:FALSE` (fixtures/tls).
        let leaf = check_anchor(&first_certificate("fixtures/tls/not-a-ca.pem"));
        assert!(leaf.unwrap_err().contains("CA:FALSE"));
    }

    #[test]
    fn a_device_is_no_ca_file() {
        let settings = TlsSettings {
            ca_files: vec!["/dev/zero".into()],
            ..TlsSettings::default()
        };
        let err = root_store(&settings).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
