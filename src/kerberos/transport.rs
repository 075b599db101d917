//! Talking to a KDC on port 88: UDP first, TCP (4-byte big-endian length prefix) when UDP gets no
//! answer or the KDC says KRB_ERR_RESPONSE_TOO_BIG.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

/// A KDC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kdc {
    pub host: String,
    pub port: u16,
}

impl Kdc {
    /// `host` or `host:port` (default port 88).
    pub fn parse(text: &str) -> Kdc {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') || host.starts_with('[') => Kdc {
                host: host.trim_matches(['[', ']']).to_string(),
                port: port.parse().unwrap_or(88),
            },
            _ => Kdc {
                host: text.to_string(),
                port: 88,
            },
        }
    }
}

impl std::fmt::Display for Kdc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// The largest reply read over TCP.
const MAX_TCP_REPLY: usize = 1 << 20;

/// Sends `request` and returns the reply; errors are one-line reasons.
pub async fn exchange(kdc: &Kdc, request: &[u8], limit: Duration) -> Result<Vec<u8>, String> {
    match timeout(limit, over_udp(kdc, request)).await {
        Ok(Ok(reply)) if !is_response_too_big(&reply) => return Ok(reply),
        // Too big, no answer in time, or UDP refused: TCP is the fallback KDCs all serve.
        _ => {}
    }
    timeout(limit, over_tcp(kdc, request))
        .await
        .map_err(|_| format!("no answer within {} s", limit.as_secs()))?
}

async fn over_udp(kdc: &Kdc, request: &[u8]) -> Result<Vec<u8>, String> {
    let socket = UdpSocket::bind(("0.0.0.0", 0))
        .await
        .map_err(|err| err.to_string())?;
    socket
        .connect((kdc.host.as_str(), kdc.port))
        .await
        .map_err(|err| err.to_string())?;
    socket.send(request).await.map_err(|err| err.to_string())?;
    let mut buf = vec![0; 65_536];
    let read = socket.recv(&mut buf).await.map_err(|err| err.to_string())?;
    buf.truncate(read);
    Ok(buf)
}

async fn over_tcp(kdc: &Kdc, request: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect((kdc.host.as_str(), kdc.port))
        .await
        .map_err(|err| err.to_string())?;
    let length = u32::try_from(request.len()).map_err(|_| "request too large".to_string())?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(request);
    stream
        .write_all(&framed)
        .await
        .map_err(|err| err.to_string())?;
    let mut header = [0u8; 4];
    stream
        .read_exact(&mut header)
        .await
        .map_err(|err| format!("connection closed ({err})"))?;
    let length = u32::from_be_bytes(header) as usize;
    if length > MAX_TCP_REPLY {
        return Err(format!("reply of {length} bytes is too large"));
    }
    let mut reply = vec![0; length];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(|err| format!("connection closed ({err})"))?;
    Ok(reply)
}

/// Whether a UDP reply is KRB-ERROR KRB_ERR_RESPONSE_TOO_BIG.
fn is_response_too_big(reply: &[u8]) -> bool {
    matches!(
        super::messages::parse_reply(reply),
        Ok(super::messages::Reply::Error(error))
            if error.error_code == kerberos_constants::error_codes::KRB_ERR_RESPONSE_TOO_BIG
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdc_addresses() {
        assert_eq!(Kdc::parse("dc1.x.test").to_string(), "dc1.x.test:88");
        assert_eq!(Kdc::parse("dc1.x.test:8888").to_string(), "dc1.x.test:8888");
        assert_eq!(Kdc::parse("10.0.0.1:88").host, "10.0.0.1");
    }
}
