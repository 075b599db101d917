//! The TCP connection the `smb` crate reads SYSVOL over. The crate's own writes each request's
//! 4-byte length and each part of it separately, so Nagle's algorithm holds every request until
//! the DC acknowledges the first piece — its delayed acknowledgement, 40 ms on Samba, up to
//! 200 ms on Windows — for each of the dozen requests reading a few files takes. This one
//! sends each request in one write, with `TCP_NODELAY`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use smb::transport::error::Result;
use smb::transport::{IoVec, SmbTransport, SmbTransportRead, SmbTransportWrite, TransportError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// An open TCP connection to port 445, both halves or one after `split`.
pub(super) struct Tcp {
    reader: Option<OwnedReadHalf>,
    writer: Option<OwnedWriteHalf>,
    peer: SocketAddr,
}

impl Tcp {
    /// Connects to `host` port 445 within `limit`, with `TCP_NODELAY`.
    pub(super) async fn connect(host: &str, limit: Duration) -> std::io::Result<Tcp> {
        let stream = tokio::time::timeout(limit, TcpStream::connect((host, 445)))
            .await
            .map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", limit.as_secs()),
                )
            })??;
        stream.set_nodelay(true)?;
        let peer = stream.peer_addr()?;
        let (reader, writer) = stream.into_split();
        Ok(Tcp {
            reader: Some(reader),
            writer: Some(writer),
            peer,
        })
    }
}

impl SmbTransport for Tcp {
    /// Connected already (`Tcp::connect`): the crate calls this only for transports it makes.
    fn connect<'a>(&'a mut self, _: &'a str, _: SocketAddr) -> Pending<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn default_port(&self) -> u16 {
        445
    }

    fn split(self: Box<Self>) -> Result<(Box<dyn SmbTransportRead>, Box<dyn SmbTransportWrite>)> {
        let reader = Tcp {
            reader: self.reader,
            writer: None,
            peer: self.peer,
        };
        let writer = Tcp {
            reader: None,
            writer: self.writer,
            peer: self.peer,
        };
        Ok((Box::new(reader), Box::new(writer)))
    }

    fn remote_address(&self) -> Result<SocketAddr> {
        Ok(self.peer)
    }
}

impl SmbTransportWrite for Tcp {
    fn send_raw<'a>(&'a mut self, buf: &'a [u8]) -> Pending<'a, ()> {
        Box::pin(async move {
            let writer = self.writer.as_mut().ok_or(TransportError::NotConnected)?;
            writer.write_all(buf).await?;
            Ok(())
        })
    }

    /// The request with its length in front (RFC 1002's session message: a zero byte, then
    /// the length in three bytes, big-endian), in one write.
    fn send<'a>(&'a mut self, data: &'a IoVec) -> Pending<'a, ()> {
        Box::pin(async move {
            let length = u32::try_from(data.total_size())
                .ok()
                .filter(|length| *length < 1 << 24)
                .ok_or(TransportError::InvalidMessage)?;
            let mut message = Vec::with_capacity(4 + data.total_size());
            message.extend(length.to_be_bytes());
            for buf in data.iter() {
                message.extend_from_slice(buf);
            }
            self.send_raw(&message).await
        })
    }
}

impl SmbTransportRead for Tcp {
    fn receive_exact<'a>(&'a mut self, out: &'a mut [u8]) -> Pending<'a, ()> {
        Box::pin(async move {
            let reader = self.reader.as_mut().ok_or(TransportError::NotConnected)?;
            match reader.read_exact(out).await {
                Ok(_) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                    Err(TransportError::NotConnected)
                }
                Err(err) => Err(err.into()),
            }
        })
    }
}
