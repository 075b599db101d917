//! A KDC's address (`--kdc HOST[:PORT]`, or a DC's host on port 88): plain data that the
//! settings, the DC inventory and the Kerberos client share.

/// A KDC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kdc {
    pub host: String,
    pub port: u16,
}

impl Kdc {
    /// `host`, `host:port`, `[v6]:port` (default port 88); a bad port is an error, never 88.
    pub fn parse(text: &str) -> Result<Kdc, BadKdcAddress> {
        let text = text.trim();
        let (host, port) = match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') || host.starts_with('[') => {
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|port| *port > 0)
                    .ok_or_else(|| BadKdcAddress::Port(port.to_string()))?;
                (host.trim_matches(['[', ']']), port)
            }
            _ => (text, 88),
        };
        if host.is_empty() {
            return Err(BadKdcAddress::NoHost);
        }
        if host.contains(':') && host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(BadKdcAddress::Form);
        }
        Ok(Kdc {
            host: host.to_string(),
            port,
        })
    }

    /// The KDC on a DC's standard port.
    pub fn for_host(host: &str) -> Kdc {
        Kdc {
            host: host.to_string(),
            port: 88,
        }
    }
}

impl std::fmt::Display for Kdc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// A `--kdc` address that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadKdcAddress {
    #[error("port {0:?} is not a number from 1 to 65535")]
    Port(String),
    #[error("no host")]
    NoHost,
    #[error("not HOST[:PORT] (an IPv6 address with a port is written [ADDRESS]:PORT)")]
    Form,
}
