//! Talking to a KDC on port 88: UDP first, TCP (4-byte big-endian length prefix) when UDP gets no
//! answer or the KDC says KRB_ERR_RESPONSE_TOO_BIG.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use super::error::KerberosError;
pub(crate) use adcomputer_core::model::kdc::Kdc;

/// The largest reply read over TCP.
const MAX_TCP_REPLY: usize = 1 << 20;

/// Sends `request` and returns the reply.
pub(crate) async fn exchange(
    kdc: &Kdc,
    request: &[u8],
    limit: Duration,
) -> Result<Vec<u8>, KerberosError> {
    match timeout(limit, over_udp(kdc, request)).await {
        Ok(Ok(reply)) if !is_response_too_big(&reply) => return Ok(reply),
        // Too big, no answer in time, or UDP refused: TCP is the fallback KDCs all serve.
        _ => {}
    }
    timeout(limit, over_tcp(kdc, request))
        .await
        .map_err(|_| KerberosError::Timeout(limit))?
}

async fn over_udp(kdc: &Kdc, request: &[u8]) -> Result<Vec<u8>, KerberosError> {
    let socket = UdpSocket::bind(("0.0.0.0", 0))
        .await
        .map_err(KerberosError::network("UDP socket"))?;
    socket
        .connect((kdc.host.as_str(), kdc.port))
        .await
        .map_err(KerberosError::network("UDP connect"))?;
    socket
        .send(request)
        .await
        .map_err(KerberosError::network("UDP send"))?;
    let mut buf = vec![0; 65_536];
    let read = socket
        .recv(&mut buf)
        .await
        .map_err(KerberosError::network("UDP receive"))?;
    buf.truncate(read);
    Ok(buf)
}

async fn over_tcp(kdc: &Kdc, request: &[u8]) -> Result<Vec<u8>, KerberosError> {
    let mut stream = TcpStream::connect((kdc.host.as_str(), kdc.port))
        .await
        .map_err(KerberosError::network("TCP connect"))?;
    let length = u32::try_from(request.len()).map_err(|_| KerberosError::TooLarge {
        what: "request",
        bytes: request.len(),
    })?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(request);
    stream
        .write_all(&framed)
        .await
        .map_err(KerberosError::network("TCP send"))?;
    let mut header = [0u8; 4];
    stream
        .read_exact(&mut header)
        .await
        .map_err(|err| KerberosError::Closed(err.to_string()))?;
    let length = usize::try_from(u32::from_be_bytes(header)).unwrap_or(usize::MAX);
    if length > MAX_TCP_REPLY {
        return Err(KerberosError::TooLarge {
            what: "reply",
            bytes: length,
        });
    }
    let mut reply = vec![0; length];
    stream
        .read_exact(&mut reply)
        .await
        .map_err(|err| KerberosError::Closed(err.to_string()))?;
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
    use kerberos_asn1::{Asn1Object, KrbError};

    /// A KDC on loopback that answers UDP with KRB_ERR_RESPONSE_TOO_BIG and TCP with `reply`.
    async fn too_big_over_udp(reply: Vec<u8>) -> Kdc {
        let recorded = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/kerberos/preauth-failed.der"
        ))
        .unwrap();
        let (_, mut too_big) = KrbError::parse(&recorded).unwrap();
        too_big.error_code = kerberos_constants::error_codes::KRB_ERR_RESPONSE_TOO_BIG;
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        let udp = UdpSocket::bind(("127.0.0.1", port)).await.unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            let (_, client) = udp.recv_from(&mut buf).await.unwrap();
            udp.send_to(&too_big.build(), client).await.unwrap();
        });
        tokio::spawn(async move {
            let (mut stream, _) = tcp.accept().await.unwrap();
            let mut length = [0u8; 4];
            stream.read_exact(&mut length).await.unwrap();
            let mut request = vec![0; u32::from_be_bytes(length) as usize];
            stream.read_exact(&mut request).await.unwrap();
            let mut framed = (reply.len() as u32).to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            stream.write_all(&framed).await.unwrap();
        });
        Kdc {
            host: "127.0.0.1".into(),
            port,
        }
    }

    #[tokio::test]
    async fn response_too_big_over_udp_falls_back_to_tcp() {
        let kdc = too_big_over_udp(b"the whole reply".to_vec()).await;
        let reply = exchange(&kdc, b"request", Duration::from_secs(5)).await;
        assert_eq!(reply.unwrap(), b"the whole reply");
    }

    #[tokio::test]
    async fn nothing_listening_is_a_one_line_reason() {
        let kdc = Kdc::parse("127.0.0.1:9").unwrap();
        let err = exchange(&kdc, b"request", Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                KerberosError::Network { .. } | KerberosError::Timeout(_)
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains('\n'), "{err}");
    }

    #[test]
    fn kdc_addresses() {
        assert_eq!(
            Kdc::parse("dc1.x.test").unwrap().to_string(),
            "dc1.x.test:88"
        );
        assert_eq!(
            Kdc::parse("dc1.x.test:8888").unwrap().to_string(),
            "dc1.x.test:8888"
        );
        assert_eq!(Kdc::parse("10.0.0.1:88").unwrap().host, "10.0.0.1");
        assert_eq!(Kdc::parse("[::1]:88").unwrap().host, "::1");
        for bad in ["dc1:99999", "dc1:0", "dc1:x", ":88", ""] {
            assert!(Kdc::parse(bad).is_err(), "{bad}");
        }
    }
}
