//! Reading files of a share over SMB 2.1 with a Kerberos ticket (`--kerberos`): the `smb`
//! crate authenticates with a password only (its SSPI wants one; a ticket cache it cannot
//! use), so this is the small part of SMB2 that reading GptTmpl.inf takes — NEGOTIATE (2.0.2
//! or 2.1), SESSION_SETUP with the SPNEGO tokens of `gss`, TREE_CONNECT, CREATE, READ, CLOSE
//! — every request after the session signed (HMAC-SHA256 with the Kerberos session key, as
//! DCs require) and every response's signature checked. Replies are bounded in size.

use std::time::Duration;

use ring::hmac;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::gss::ClientContext;

const NEGOTIATE: u16 = 0;
const SESSION_SETUP: u16 = 1;
const TREE_CONNECT: u16 = 3;
const CREATE: u16 = 5;
const CLOSE: u16 = 6;
const READ: u16 = 8;

const STATUS_SUCCESS: u32 = 0;
const STATUS_PENDING: u32 = 0x0000_0103;
const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC000_0016;
const STATUS_END_OF_FILE: u32 = 0xC000_0011;
const STATUS_OBJECT_NAME_NOT_FOUND: u32 = 0xC000_0034;
const STATUS_OBJECT_PATH_NOT_FOUND: u32 = 0xC000_003A;
const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;
const STATUS_LOGON_FAILURE: u32 = 0xC000_006D;

const FLAG_RESPONSE: u32 = 0x1;
const FLAG_ASYNC: u32 = 0x2;
const FLAG_SIGNED: u32 = 0x8;
const HEADER: usize = 64;
/// Largest reply accepted: a READ of `CHUNK` and its header, with room to spare.
const MAX_REPLY: usize = 256 * 1024;
const CHUNK: u32 = 64 * 1024;

/// An authenticated, signed connection to one share.
pub(crate) struct Share {
    stream: TcpStream,
    limit: Duration,
    message_id: u64,
    session_id: u64,
    tree_id: u32,
    signing: Option<hmac::Key>,
}

/// One reply: its status, header flags, session and tree, and body (from the header's start).
struct Reply {
    status: u32,
    session_id: u64,
    tree_id: u32,
    bytes: Vec<u8>,
}

impl Reply {
    fn u16_at(&self, body_offset: usize) -> Result<u16, String> {
        let at = HEADER + body_offset;
        self.bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or_else(|| "a reply shorter than its kind".into())
    }

    fn u32_at(&self, body_offset: usize) -> Result<u32, String> {
        let at = HEADER + body_offset;
        self.bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "a reply shorter than its kind".into())
    }

    /// `length` bytes at `offset` from the header's start.
    fn slice(&self, offset: usize, length: usize) -> Result<&[u8], String> {
        self.bytes
            .get(offset..offset.saturating_add(length))
            .ok_or_else(|| "a reply's buffer lies outside it".into())
    }
}

impl Share {
    /// Connects to `\\host\share` on port 445 with the ticket for `cifs/host`.
    pub(crate) async fn connect(host: &str, share: &str, limit: Duration) -> Result<Share, String> {
        let stream = tokio::time::timeout(limit, TcpStream::connect((host, 445)))
            .await
            .map_err(|_| format!("no answer within {} s", limit.as_secs()))?
            .map_err(|err| format!("port 445: {err}"))?;
        let mut smb = Share {
            stream,
            limit,
            message_id: 0,
            session_id: 0,
            tree_id: 0,
            signing: None,
        };
        smb.negotiate().await?;
        smb.session_setup(host).await?;
        let path = utf16(&format!("\\\\{host}\\{share}"));
        let mut body = Vec::with_capacity(8 + path.len());
        body.extend(9u16.to_le_bytes());
        body.extend(0u16.to_le_bytes());
        body.extend(((HEADER + 8) as u16).to_le_bytes());
        body.extend((path.len() as u16).to_le_bytes());
        body.extend(&path);
        let reply = smb.call(TREE_CONNECT, &body).await?;
        check(&reply, &format!("\\\\{host}\\{share}"))?;
        smb.tree_id = reply.tree_id;
        Ok(smb)
    }

    /// The file at `path` (backslashes, relative to the share), at most `max` bytes; `None`
    /// when it does not exist.
    pub(crate) async fn read(&mut self, path: &str, max: usize) -> Result<Option<Vec<u8>>, String> {
        let name = utf16(path);
        let mut body = Vec::with_capacity(56 + name.len().max(1));
        body.extend(57u16.to_le_bytes());
        body.extend([0, 0]); // security flags, no oplock
        body.extend(2u32.to_le_bytes()); // impersonation
        body.extend([0; 16]); // create flags, reserved
        body.extend(0x0012_0089u32.to_le_bytes()); // FILE_GENERIC_READ
        body.extend(0u32.to_le_bytes()); // attributes
        body.extend(7u32.to_le_bytes()); // share read, write, delete
        body.extend(1u32.to_le_bytes()); // FILE_OPEN
        body.extend(0x40u32.to_le_bytes()); // FILE_NON_DIRECTORY_FILE
        body.extend(((HEADER + 56) as u16).to_le_bytes());
        body.extend((name.len() as u16).to_le_bytes());
        body.extend([0; 8]); // no create contexts
        body.extend(if name.is_empty() { vec![0] } else { name });
        let reply = self.call(CREATE, &body).await?;
        if matches!(
            reply.status,
            STATUS_OBJECT_NAME_NOT_FOUND | STATUS_OBJECT_PATH_NOT_FOUND
        ) {
            return Ok(None);
        }
        check(&reply, path)?;
        let size = u64::from(reply.u32_at(48)?) | (u64::from(reply.u32_at(52)?) << 32);
        let file_id = reply.slice(HEADER + 64, 16)?.to_vec();
        let contents = self.read_open(&file_id, size, max, path).await;
        let mut close = Vec::with_capacity(24);
        close.extend(24u16.to_le_bytes());
        close.extend([0; 6]);
        close.extend(&file_id);
        let _ = self.call(CLOSE, &close).await;
        contents.map(Some)
    }

    async fn read_open(
        &mut self,
        file_id: &[u8],
        size: u64,
        max: usize,
        path: &str,
    ) -> Result<Vec<u8>, String> {
        if size > max as u64 {
            return Err(format!(
                "{path}: {size} bytes is too large for a GptTmpl.inf"
            ));
        }
        let mut contents = Vec::with_capacity(size as usize);
        while (contents.len() as u64) < size {
            let mut body = Vec::with_capacity(49);
            body.extend(49u16.to_le_bytes());
            body.extend([0x50, 0]);
            body.extend(CHUNK.to_le_bytes());
            body.extend((contents.len() as u64).to_le_bytes());
            body.extend(file_id);
            body.extend([0; 16]); // minimum count, channel, remaining, channel info
            body.push(0);
            let reply = self.call(READ, &body).await?;
            if reply.status == STATUS_END_OF_FILE {
                break;
            }
            check(&reply, path)?;
            // DataOffset counts from the header's start and lies past it; a reply too short
            // to hold it is an error, never data from offset 0.
            let offset = reply
                .bytes
                .get(HEADER + 2)
                .map(|offset| usize::from(*offset))
                .filter(|offset| *offset >= HEADER)
                .ok_or_else(|| format!("{path}: a READ reply without a valid data offset"))?;
            let length = reply.u32_at(4)? as usize;
            let data = reply.slice(offset, length)?;
            if data.is_empty() {
                break;
            }
            contents.extend_from_slice(data);
            if contents.len() > max {
                return Err(format!("{path}: larger than {max} bytes"));
            }
        }
        Ok(contents)
    }

    async fn negotiate(&mut self) -> Result<(), String> {
        let mut body = Vec::with_capacity(40);
        body.extend(36u16.to_le_bytes());
        body.extend(2u16.to_le_bytes()); // two dialects
        body.extend(1u16.to_le_bytes()); // signing enabled
        body.extend([0; 2]);
        body.extend(0u32.to_le_bytes()); // no capabilities
        body.extend((0..4).flat_map(|_| crate::random::u32().to_le_bytes()));
        body.extend([0; 8]);
        body.extend(0x0202u16.to_le_bytes());
        body.extend(0x0210u16.to_le_bytes());
        let reply = self.call(NEGOTIATE, &body).await?;
        check(&reply, "NEGOTIATE")?;
        match reply.u16_at(4)? {
            0x0202 | 0x0210 => Ok(()),
            other => Err(format!("the server chose SMB dialect {other:#06x}")),
        }
    }

    async fn session_setup(&mut self, host: &str) -> Result<(), String> {
        let mut context = ClientContext::new("cifs", host)?;
        let (mut token, mut done) = context.step(None)?;
        loop {
            let mut body = Vec::with_capacity(24 + token.len());
            body.extend(25u16.to_le_bytes());
            body.extend([0, 1]); // flags, signing enabled
            body.extend([0; 8]); // capabilities, channel
            body.extend(((HEADER + 24) as u16).to_le_bytes());
            body.extend((token.len() as u16).to_le_bytes());
            body.extend([0; 8]); // previous session
            body.extend(&token);
            let reply = self.call(SESSION_SETUP, &body).await?;
            self.session_id = reply.session_id;
            if reply.status != STATUS_SUCCESS && reply.status != STATUS_MORE_PROCESSING_REQUIRED {
                return check(&reply, "SESSION_SETUP");
            }
            let offset = usize::from(reply.u16_at(4)?);
            let length = usize::from(reply.u16_at(6)?);
            let answer = reply.slice(offset, length)?.to_vec();
            if !answer.is_empty() && !done {
                (token, done) = context.step(Some(&answer))?;
            }
            if reply.status == STATUS_SUCCESS {
                if !done {
                    return Err("the server ended SESSION_SETUP before Kerberos did".into());
                }
                let key = context.session_key()?;
                let mut signing = [0u8; 16];
                let n = key.len().min(16);
                signing[..n].copy_from_slice(&key[..n]);
                self.signing = Some(hmac::Key::new(hmac::HMAC_SHA256, &signing));
                // A signed final reply proves the server holds the session's key too (SMB 2.x
                // servers may leave it unsigned; every later reply is checked).
                let flags = u32::from_le_bytes(reply.bytes[16..20].try_into().unwrap_or_default());
                return if flags & FLAG_SIGNED != 0 {
                    self.verify(&reply.bytes)
                } else {
                    Ok(())
                };
            }
            if token.is_empty() {
                return Err("Kerberos had nothing more to send".into());
            }
        }
    }

    /// Sends one request and returns its reply (interim "pending" replies skipped).
    async fn call(&mut self, command: u16, body: &[u8]) -> Result<Reply, String> {
        let id = self.message_id;
        self.message_id += 1;
        let mut message = Vec::with_capacity(4 + HEADER + body.len());
        message.extend([0; 4]); // the transport's length, below
        message.extend(b"\xfeSMB");
        message.extend((HEADER as u16).to_le_bytes());
        message.extend(0u16.to_le_bytes()); // credit charge
        message.extend(0u32.to_le_bytes()); // status
        message.extend(command.to_le_bytes());
        message.extend(8u16.to_le_bytes()); // credits requested
        let flags = if self.signing.is_some() {
            FLAG_SIGNED
        } else {
            0
        };
        message.extend(flags.to_le_bytes());
        message.extend(0u32.to_le_bytes()); // next command
        message.extend(id.to_le_bytes());
        message.extend(0u32.to_le_bytes()); // process id
        message.extend(self.tree_id.to_le_bytes());
        message.extend(self.session_id.to_le_bytes());
        message.extend([0; 16]); // signature
        message.extend(body);
        if let Some(key) = &self.signing {
            sign(key, &mut message[4..]);
        }
        let length = (message.len() - 4) as u32;
        message[..4].copy_from_slice(&length.to_be_bytes());
        let limit = self.limit;
        tokio::time::timeout(limit, self.stream.write_all(&message))
            .await
            .map_err(|_| format!("no answer within {} s", limit.as_secs()))?
            .map_err(|err| err.to_string())?;
        loop {
            let reply = tokio::time::timeout(limit, self.receive())
                .await
                .map_err(|_| format!("no answer within {} s", limit.as_secs()))??;
            let flags = u32::from_le_bytes(reply[16..20].try_into().unwrap_or_default());
            let status = u32::from_le_bytes(reply[8..12].try_into().unwrap_or_default());
            let reply_id = u64::from_le_bytes(reply[24..32].try_into().unwrap_or_default());
            if flags & FLAG_RESPONSE == 0 || reply_id != id {
                return Err("the server's reply does not answer the request".into());
            }
            if status == STATUS_PENDING && flags & FLAG_ASYNC != 0 {
                continue;
            }
            if self.signing.is_some() && command != SESSION_SETUP {
                self.verify(&reply)?;
            }
            return Ok(Reply {
                status,
                session_id: u64::from_le_bytes(reply[40..48].try_into().unwrap_or_default()),
                tree_id: u32::from_le_bytes(reply[36..40].try_into().unwrap_or_default()),
                bytes: reply,
            });
        }
    }

    /// One SMB2 message from the stream (Direct TCP framing), bounded.
    async fn receive(&mut self) -> Result<Vec<u8>, String> {
        let mut frame = [0u8; 4];
        self.stream
            .read_exact(&mut frame)
            .await
            .map_err(|err| format!("the connection ended: {err}"))?;
        let length = u32::from_be_bytes(frame) as usize;
        if !(HEADER..=MAX_REPLY).contains(&length) {
            return Err(format!("a reply of {length} bytes is not an SMB2 message"));
        }
        let mut reply = vec![0; length];
        self.stream
            .read_exact(&mut reply)
            .await
            .map_err(|err| format!("the connection ended: {err}"))?;
        if &reply[..4] != b"\xfeSMB" {
            return Err("the reply is not SMB2".into());
        }
        Ok(reply)
    }

    /// Whether `reply` carries the session key's signature.
    fn verify(&self, reply: &[u8]) -> Result<(), String> {
        match &self.signing {
            Some(key) if !signed_by(key, reply) => {
                Err("a reply's signature does not match the session key".into())
            }
            _ => Ok(()),
        }
    }
}

/// Whether `message` (an SMB2 header and body) is flagged signed and its signature is
/// HMAC-SHA256 under `key` of the message with the signature zeroed (SMB 2.x).
fn signed_by(key: &hmac::Key, message: &[u8]) -> bool {
    if message.len() < HEADER {
        return false;
    }
    let flags = u32::from_le_bytes(message[16..20].try_into().unwrap_or_default());
    let mut copy = message.to_vec();
    copy[48..64].fill(0);
    let tag = hmac::sign(key, &copy);
    flags & FLAG_SIGNED != 0 && tag.as_ref()[..16] == message[48..64]
}

/// A reply's failure as a sentence naming `what`.
fn check(reply: &Reply, what: &str) -> Result<(), String> {
    match reply.status {
        STATUS_SUCCESS => Ok(()),
        STATUS_ACCESS_DENIED => Err(format!("{what}: access denied")),
        STATUS_LOGON_FAILURE => Err(format!("{what}: the server refused the Kerberos logon")),
        other => Err(format!(
            "{what}: the server answered NTSTATUS {other:#010x}"
        )),
    }
}

/// Signs `message` (flagged signed, signature zero) in place.
fn sign(key: &hmac::Key, message: &mut [u8]) {
    let tag = hmac::sign(key, message);
    message[48..64].copy_from_slice(&tag.as_ref()[..16]);
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Vec<u8> {
        let mut message = vec![0u8; HEADER + 8];
        message[..4].copy_from_slice(b"\xfeSMB");
        message[16..20].copy_from_slice(&(FLAG_RESPONSE | FLAG_SIGNED).to_le_bytes());
        message[HEADER..].copy_from_slice(b"contents");
        message
    }

    #[test]
    fn a_signature_is_checked_over_the_whole_message() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[7; 16]);
        let mut signed = message();
        sign(&key, &mut signed);
        assert!(signed_by(&key, &signed));
        let mut altered = signed.clone();
        altered[HEADER + 1] ^= 1;
        assert!(!signed_by(&key, &altered), "a changed body");
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[8; 16]);
        assert!(!signed_by(&other, &signed), "another key");
        let mut unflagged = signed.clone();
        unflagged[16..20].copy_from_slice(&FLAG_RESPONSE.to_le_bytes());
        assert!(!signed_by(&key, &unflagged), "not flagged signed");
        assert!(
            !signed_by(&key, &signed[..HEADER - 1]),
            "shorter than a header"
        );
    }

    /// A READ reply whose data offset points into the header (or is missing) is an error,
    /// never the header's bytes read as the file.
    #[tokio::test]
    async fn a_read_reply_must_place_its_data_past_the_header() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 4 + HEADER + 49];
            socket.read_exact(&mut request).await.unwrap();
            let mut reply = vec![0u8; HEADER + 16];
            reply[..4].copy_from_slice(b"\xfeSMB");
            reply[16..20].copy_from_slice(&FLAG_RESPONSE.to_le_bytes());
            reply[HEADER] = 17; // structure size; DataOffset (HEADER + 2) left 0
            reply[HEADER + 4] = 8; // DataLength
            let mut frame = (reply.len() as u32).to_be_bytes().to_vec();
            frame.extend(reply);
            socket.write_all(&frame).await.unwrap();
        });
        let mut share = Share {
            stream: TcpStream::connect(address).await.unwrap(),
            limit: Duration::from_secs(5),
            message_id: 0,
            session_id: 0,
            tree_id: 0,
            signing: None,
        };
        let error = share.read_open(&[0; 16], 8, 1024, "x").await.unwrap_err();
        assert!(error.contains("valid data offset"), "{error}");
        server.await.unwrap();
    }

    /// A server on 445 is needed for `connect`; `receive`'s bounds are tested on a socket pair.
    #[tokio::test]
    async fn hostile_replies_are_refused_never_allocated_or_waited_for() {
        for (reply, expected) in [
            (&[0u8, 0xff, 0xff, 0xff][..], "is not an SMB2 message"),
            (
                &[0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8][..],
                "is not an SMB2 message",
            ),
            (&[0, 0, 0, 70][..], "the connection ended"),
        ] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let server = tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                socket.write_all(reply).await.unwrap();
            });
            let mut share = Share {
                stream: TcpStream::connect(address).await.unwrap(),
                limit: Duration::from_secs(5),
                message_id: 0,
                session_id: 0,
                tree_id: 0,
                signing: None,
            };
            server.await.unwrap();
            let error = share.receive().await.unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
    }
}
