//! `--state DIR`: what a scan of a DC read, kept for the next run, which asks that DC only for
//! what changed since (`uSNChanged` above the kept mark, and what was deleted or left the scan
//! meanwhile — or, for a reader who cannot see deleted objects, the GUIDs still there) and
//! judges the kept objects with the changes applied: the same findings as a full read. One file
//! per DC (`DNSHOSTNAME.state`), written atomically, private to its owner, with a SHA-256
//! digest; whenever the file or the DC cannot vouch for it — another DC, a restored
//! database, older than the tombstone lifetime, another reader or fewer attributes, corrupt —
//! the run reads in full and says why in `warnings`. Only what the checks read is kept: never a
//! password, never a constructed attribute.
//!
//! The file: the line `adcomputer-state 1`, a JSON header line (the mark, the attribute names,
//! the object count), then per object its 16-byte `objectGUID`, its DN and its attributes
//! (index into the header's names, values), lengths as little-endian integers, and last the
//! SHA-256 of everything before it.

use std::path::{Path, PathBuf};

use super::LiveSource;
use crate::ldap::queries;
use adcomputer_core::model::account::{Attr, AttrSet};
use adcomputer_core::model::entry::{Attribute, Entry};
use adcomputer_core::model::partition::Part;
use adcomputer_core::model::snapshot::{Guid, Mark, Snapshot, StateRead, guid_of, unusable};

const MAGIC: &[u8] = b"adcomputer-state 1\n";
const DIGEST_LEN: usize = 32;

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    dc: String,
    invocation_id: String,
    usn: u64,
    taken: i64,
    root: String,
    reader: String,
    attributes: Vec<String>,
    objects: usize,
}

impl LiveSource {
    /// The objects of the scan under `root` as the DC holds them now: the kept snapshot with
    /// the changes since applied, or a full read (`keep` it for the next run). How they were
    /// read.
    pub(super) async fn current_snapshot(
        &mut self,
        dir: &Path,
        root: &str,
        attributes: AttrSet,
        warnings: &mut Vec<String>,
    ) -> anyhow::Result<(Snapshot, StateRead)> {
        let file = self.state_file(dir);
        let life = queries::dc_life(&mut self.directory).await?;
        let now = match (
            self.directory.root_dse.ds_service_name.clone(),
            life.invocation_id,
            self.directory.root_dse.highest_committed_usn,
        ) {
            (Some(dc), Some(invocation_id), Some(usn)) => Some(Mark {
                dc,
                invocation_id,
                usn,
                taken: unix_now(),
                root: root.to_string(),
                reader: self.bound_as().to_string(),
                attributes,
            }),
            _ => None,
        };
        let Some(now) = now else {
            warnings.push(format!(
                "--state {}: the DC does not say its dsServiceName, invocationId and highestCommittedUSN: read in full, nothing kept",
                dir.display()
            ));
            let (snapshot, _) = self.read_snapshot(root, attributes, None, warnings).await?;
            let read = full_read(&snapshot, None);
            return Ok((snapshot, read));
        };
        let kept = match load(&file) {
            Ok(Some(kept)) => match unusable(&kept.mark, &now, life.lifetime_days) {
                None => Some(kept),
                Some(why) => {
                    warnings.push(format!("--state {}: {why}: read in full", file.display()));
                    None
                }
            },
            Ok(None) => {
                if let Some(other) = other_state(dir, &file) {
                    warnings.push(format!(
                        "--state {}: nothing kept of this DC yet ({} is another DC's): read in full",
                        dir.display(),
                        other.display()
                    ));
                }
                None
            }
            Err(why) => {
                warnings.push(format!("--state {}: {why}: read in full", file.display()));
                None
            }
        };
        let caught_up = match kept {
            Some(kept) => match self.catch_up(kept, &now, root).await? {
                Ok(caught_up) => Some(caught_up),
                Err(why) => {
                    warnings.push(format!("--state {}: {why}: read in full", dir.display()));
                    None
                }
            },
            None => None,
        };
        let (snapshot, read) = match caught_up {
            Some(caught_up) => caught_up,
            None => {
                let (snapshot, keyed) = self
                    .read_snapshot(root, attributes, Some(&now), warnings)
                    .await?;
                let read = full_read(&snapshot, keyed.then_some(now.usn));
                (snapshot, read)
            }
        };
        Ok((snapshot, read))
    }

    /// This DC's state file in `dir`.
    fn state_file(&self, dir: &Path) -> PathBuf {
        dir.join(file_name(self.directory.root_dse.dns_host_name.as_deref()))
    }

    /// Keeps `snapshot` for the next run when `read` says it is complete up to a mark, on a
    /// thread of its own while the run goes on (`state_kept` waits for it).
    pub(super) fn keep(&mut self, dir: &Path, snapshot: Snapshot, read: &StateRead) {
        if read.usn.is_none() {
            return;
        }
        let file = self.state_file(dir);
        let dir = dir.to_path_buf();
        self.keeping = Some(std::thread::spawn(move || {
            let saved = save(&dir, &file, &snapshot);
            // The run ends soon: freeing every value one by one would cost more than keeping.
            std::mem::forget(snapshot);
            saved.map_err(|why| {
                format!(
                    "--state {}: {why:#}: the next run reads in full",
                    file.display()
                )
            })
        }));
    }

    /// Waits until the snapshot is kept: why it could not be, if it could not.
    pub(super) fn state_kept(&mut self) -> Option<String> {
        let keeping = self.keeping.take()?;
        match keeping.join() {
            Ok(kept) => kept.err(),
            Err(_) => Some("--state: keeping the state failed: the next run reads in full".into()),
        }
    }

    /// `kept` with what changed on the DC since its mark: changed objects read again (with the
    /// attributes kept, which may be more than this run asks), deleted ones and those no longer
    /// scanned forgotten; marked `now`. `Err` says why it cannot be brought up to date.
    async fn catch_up(
        &mut self,
        mut kept: Snapshot,
        now: &Mark,
        root: &str,
    ) -> anyhow::Result<Result<(Snapshot, StateRead), String>> {
        let since = kept.mark.usn;
        // `None`: deleted objects are hidden from this reader; what is still there will say
        // what is not.
        let gone = queries::gone_since(&mut self.directory, root, since).await?;
        let mut names = kept.mark.attributes.names();
        names.push("objectGUID");
        let mut unnamed = None;
        let (mut changed, started) = (0usize, std::time::Instant::now());
        queries::changed_since(&mut self.directory, root, &names, since, |entry| {
            changed += 1;
            match guid_of(&entry) {
                Some(guid) => kept.put(guid, entry),
                None => unnamed = Some(entry.dn),
            }
        })
        .await?;
        if let Some(dn) = unnamed {
            return Ok(Err(format!("{dn} has no readable objectGUID")));
        }
        let before = kept.len();
        match &gone {
            Some(gone) => gone.iter().for_each(|guid| kept.forget(guid)),
            None => {
                // Listed after the changes were read: an object deleted in between is gone.
                let mut listed = hashbrown::HashSet::new();
                let names = ["objectGUID"];
                queries::scan_entries(&mut self.directory, root, &names, Part::ALL, |entry| {
                    listed.extend(guid_of(&entry));
                })
                .await?;
                kept.retain(|guid| listed.contains(guid));
            }
        }
        let forgotten = before - kept.len();
        tracing::info!(since, changed, forgotten, elapsed = ?started.elapsed(), "caught up");
        kept.mark = Mark {
            attributes: kept.mark.attributes,
            ..now.clone()
        };
        let read = StateRead {
            read: "changes",
            since_usn: Some(since),
            usn: Some(now.usn),
            received: changed,
            gone: forgotten,
            gone_from: Some(match gone {
                Some(_) => "deleted_objects",
                None => "listing",
            }),
            objects: kept.len(),
        };
        Ok(Ok((kept, read)))
    }

    /// A full read under `mark` (none: a mark that is never kept), and whether every object
    /// had a GUID to be kept by.
    async fn read_snapshot(
        &mut self,
        root: &str,
        attributes: AttrSet,
        mark: Option<&Mark>,
        warnings: &mut Vec<String>,
    ) -> anyhow::Result<(Snapshot, bool)> {
        let mut names = attributes.names();
        names.push("objectGUID");
        let parts = self
            .read_parts(
                root,
                &names,
                // What is kept is one DC's view under its own mark: never spread.
                (Vec::new(), false),
                &Vec::new,
                &|read: &mut Vec<Entry>, entry| read.push(entry),
            )
            .await?;
        let mut snapshot = Snapshot::new(mark.cloned().unwrap_or_else(|| Mark {
            dc: String::new(),
            invocation_id: Guid::default(),
            usn: 0,
            taken: 0,
            root: root.to_string(),
            reader: String::new(),
            attributes,
        }));
        let mut unnamed = 0u64;
        for entry in parts.into_iter().flatten() {
            match guid_of(&entry) {
                Some(guid) => snapshot.put(guid, entry),
                None => {
                    if unnamed == 0 && mark.is_some() {
                        warnings.push(format!(
                            "--state: {} has no readable objectGUID: nothing kept",
                            entry.dn
                        ));
                    }
                    // Judged all the same, under a key no object has; nothing is kept.
                    unnamed += 1;
                    let mut key = [0xff; 16];
                    key[..8].copy_from_slice(&unnamed.to_le_bytes());
                    snapshot.put(key, entry);
                }
            }
        }
        Ok((snapshot, unnamed == 0))
    }
}

/// How a full read of `snapshot` is reported; `usn`: the mark it is kept under (`None`:
/// nothing kept).
fn full_read(snapshot: &Snapshot, usn: Option<u64>) -> StateRead {
    StateRead {
        read: "full",
        since_usn: None,
        usn,
        received: snapshot.len(),
        gone: 0,
        gone_from: None,
        objects: snapshot.len(),
    }
}

/// Seconds since 1970 now.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// The state file of the DC named `dns_host_name` (its rootDSE's `dnsHostName`).
fn file_name(dns_host_name: Option<&str>) -> String {
    let name = dns_host_name
        .filter(|name| {
            !name.is_empty()
                && !name.starts_with('.')
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-')
        })
        .unwrap_or("dc");
    format!("{}.state", name.to_ascii_lowercase())
}

/// Another DC's state file in `dir`, if any.
fn other_state(dir: &Path, file: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|found| Some(found.ok()?.path()))
        .find(|path| path != file && path.extension().is_some_and(|ext| ext == "state"))
}

/// The kept snapshot (`None`: there is none), or why it cannot be trusted.
fn load(file: &Path) -> Result<Option<Snapshot>, String> {
    if !file.exists() {
        return Ok(None);
    }
    crate::files::check_trusted(file, "state file").map_err(|why| format!("{why:#}"))?;
    let bytes = std::fs::read(file).map_err(|err| format!("cannot read it: {err}"))?;
    decode(&bytes)
        .map(Some)
        .map_err(|why| format!("corrupt ({why})"))
}

/// Writes `snapshot` to `file` in `dir` (made if missing, private to its owner), atomically.
fn save(dir: &Path, file: &Path, snapshot: &Snapshot) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    crate::atomic::write_private(file, "--state", |out| out.write_all(&encode(snapshot)))
}

fn encode(snapshot: &Snapshot) -> Vec<u8> {
    let mark = &snapshot.mark;
    let names = mark.attributes.names();
    let header = Header {
        dc: mark.dc.clone(),
        invocation_id: mark
            .invocation_id
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect(),
        usn: mark.usn,
        taken: mark.taken,
        root: mark.root.clone(),
        reader: mark.reader.clone(),
        attributes: names.iter().map(|name| name.to_string()).collect(),
        objects: snapshot.len(),
    };
    let mut out = MAGIC.to_vec();
    out.extend(serde_json::to_vec(&header).expect("a header serializes"));
    out.push(b'\n');
    for (guid, entry) in snapshot.objects() {
        out.extend(guid);
        put_bytes(&mut out, entry.dn.as_bytes());
        let kept: Vec<(u8, &Attribute)> = entry
            .attributes
            .iter()
            .filter_map(|attribute| {
                let index = names
                    .iter()
                    .position(|name| name.eq_ignore_ascii_case(&attribute.name))?;
                Some((u8::try_from(index).ok()?, attribute))
            })
            .collect();
        out.push(u8::try_from(kept.len()).expect("fewer than 256 attributes"));
        for (index, attribute) in kept {
            out.push(index);
            put_len(&mut out, attribute.values.len());
            for value in &attribute.values {
                put_bytes(&mut out, value);
            }
        }
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, &out);
    out.extend(digest.as_ref());
    out
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend(u32::try_from(len).expect("under 4 GiB").to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend(bytes);
}

/// Reads a state file's bytes; every length is checked against what is left.
fn decode(bytes: &[u8]) -> Result<Snapshot, String> {
    let body = bytes
        .len()
        .checked_sub(DIGEST_LEN)
        .map(|end| &bytes[..end])
        .ok_or("shorter than its digest")?;
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    if digest.as_ref() != &bytes[body.len()..] {
        return Err("its digest does not match".into());
    }
    let rest = body.strip_prefix(MAGIC).ok_or("not a state file")?;
    let end = rest
        .iter()
        .position(|byte| *byte == b'\n')
        .ok_or("no header")?;
    let header: Header =
        serde_json::from_slice(&rest[..end]).map_err(|err| format!("header: {err}"))?;
    let attrs: Vec<Attr> = header
        .attributes
        .iter()
        .map(|name| Attr::of(name.as_bytes()).ok_or(format!("unknown attribute {name}")))
        .collect::<Result<_, _>>()?;
    let names: Vec<&'static str> = attrs.iter().map(|attr| attr.name()).collect();
    let mut invocation_id = Guid::default();
    if header.invocation_id.len() != 32 {
        return Err("invocationId".into());
    }
    for (byte, pair) in invocation_id
        .iter_mut()
        .zip(header.invocation_id.as_bytes().chunks(2))
    {
        let text = std::str::from_utf8(pair).map_err(|_| "invocationId")?;
        *byte = u8::from_str_radix(text, 16).map_err(|_| "invocationId")?;
    }
    let mut snapshot = Snapshot::new(Mark {
        dc: header.dc,
        invocation_id,
        usn: header.usn,
        taken: header.taken,
        root: header.root,
        reader: header.reader,
        attributes: AttrSet::of(&attrs),
    });
    let mut cursor = Cursor(&rest[end + 1..]);
    for _ in 0..header.objects {
        let guid = Guid::try_from(cursor.take(16)?).map_err(|_| "GUID")?;
        let dn = String::from_utf8(cursor.bytes()?.to_vec()).map_err(|_| "DN not UTF-8")?;
        let mut entry = Entry::new(dn);
        for _ in 0..cursor.take(1)?[0] {
            let name = *names
                .get(usize::from(cursor.take(1)?[0]))
                .ok_or("attribute index")?;
            let count = cursor.len()?;
            // Each value takes at least its length's four bytes: a count beyond what is left
            // is a lie, not an allocation.
            if count > cursor.0.len() / 4 {
                return Err("cut short".into());
            }
            let mut values = Vec::with_capacity(count);
            for _ in 0..count {
                values.push(cursor.bytes()?.to_vec());
            }
            entry.attributes.push(Attribute {
                name: name.to_string(),
                values,
            });
        }
        snapshot.put(guid, entry);
    }
    if !cursor.0.is_empty() || snapshot.len() != header.objects {
        return Err("its object count does not match".into());
    }
    Ok(snapshot)
}

/// What is left of a state file's records.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], String> {
        if count > self.0.len() {
            return Err("cut short".into());
        }
        let (taken, rest) = self.0.split_at(count);
        self.0 = rest;
        Ok(taken)
    }

    fn len(&mut self) -> Result<usize, String> {
        let bytes = self.take(4)?;
        let len = u32::from_le_bytes(bytes.try_into().map_err(|_| "length")?);
        usize::try_from(len).map_err(|_| "length".into())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.len()?;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let mut snapshot = Snapshot::new(Mark {
            dc: "CN=NTDS Settings,CN=DC1,CN=Servers,CN=S,CN=Sites,CN=Configuration,DC=x".into(),
            invocation_id: [0xab; 16],
            usn: 4242,
            taken: 1_795_305_600,
            root: "DC=x".into(),
            reader: "helpdesk@X".into(),
            attributes: AttrSet::of(&[
                Attr::Cn,
                Attr::ServicePrincipalName,
                Attr::SecurityDescriptor,
            ]),
        });
        for n in 0..3u8 {
            let mut entry = Entry::new(format!("CN=PC{n},DC=x"));
            entry.push_value("cn", format!("PC{n}").into_bytes());
            entry.push_value("servicePrincipalName", b"HOST/a".to_vec());
            entry.push_value("servicePrincipalName", b"HOST/b".to_vec());
            entry.push_value("nTSecurityDescriptor", vec![0, 1, 2, 255]);
            entry.push_value("objectGUID", vec![n; 16]);
            snapshot.put([n; 16], entry);
        }
        snapshot
    }

    /// An object as a state file keeps it: GUID, DN, the kept attributes with their values.
    type Kept = (Guid, String, Vec<(String, Vec<Vec<u8>>)>);

    /// The entries as a state file keeps them, in a fixed order.
    fn kept(snapshot: &Snapshot) -> Vec<Kept> {
        let mut all: Vec<_> = snapshot
            .objects()
            .map(|(guid, entry)| {
                let mut attributes: Vec<_> = entry
                    .attributes
                    .iter()
                    .filter(|attribute| Attr::of(attribute.name.as_bytes()).is_some())
                    .map(|attribute| (attribute.name.to_lowercase(), attribute.values.clone()))
                    .collect();
                attributes.sort();
                (*guid, entry.dn.clone(), attributes)
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn a_state_reads_back_as_written() {
        let snapshot = snapshot();
        let read = decode(&encode(&snapshot)).expect("reads back");
        assert_eq!(read.mark, snapshot.mark);
        assert_eq!(kept(&read), kept(&snapshot));
    }

    #[test]
    fn every_changed_or_cut_byte_is_refused() {
        let bytes = encode(&snapshot());
        for at in (0..bytes.len()).step_by(7) {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            assert!(decode(&changed).is_err(), "byte {at} changed");
        }
        for len in (0..bytes.len()).step_by(5) {
            assert!(decode(&bytes[..len]).is_err(), "cut at {len}");
        }
    }

    #[test]
    fn a_forged_state_with_a_right_digest_but_wrong_lengths_is_refused() {
        let mut body = MAGIC.to_vec();
        body.extend(br#"{"dc":"d","invocation_id":"00000000000000000000000000000000","usn":1,"taken":1,"root":"DC=x","reader":"r","attributes":["cn"],"objects":1}"#);
        body.push(b'\n');
        body.extend([0u8; 16]);
        body.extend(u32::MAX.to_le_bytes());
        let digest = ring::digest::digest(&ring::digest::SHA256, &body);
        body.extend(digest.as_ref());
        assert_eq!(decode(&body).err().as_deref(), Some("cut short"));
    }

    #[test]
    fn state_files_are_named_by_the_dc_and_nothing_else() {
        assert_eq!(file_name(Some("DC1.adc.test")), "dc1.adc.test.state");
        for hostile in [
            Some("../etc/passwd"),
            Some("a/b"),
            Some(""),
            Some(".hidden"),
            None,
        ] {
            assert_eq!(file_name(hostile), "dc.state", "{hostile:?}");
        }
    }
}
