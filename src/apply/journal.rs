//! The change journal (JSON Lines; docs/reference.md, "Files" and "Writes"). The protocol: an
//! `intent` line is written and synced to disk before a change is sent to the DC, and a
//! `result` line after, whose outcome is `applied` or `failed` only on the DC's word and
//! `unknown` when its answer was lost. A write that fails is cut back to the last whole line
//! and the journal refuses every later write, so the caller stops sending; `read` takes a
//! journal up to its last complete line. It holds SPNs and DNs only: never a secret.
//!
//! A journal is bound to its run: its first line names the domain it was written against, and
//! every line carries `chain`, the SHA-256 of the previous line's chain and of the line itself
//! without it, so a line edited, added or removed by hand is found and the journal refused.
//! Anyone can compute such a chain, so this guards against mistakes and careless edits; what
//! makes a forged journal harmless is that `undo` holds every change to `spn fix`'s rules.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// What the DC did with a sent change, as far as anyone knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// The DC said it was done, or reading the object back showed it.
    Applied,
    /// The DC refused it, or reading the object back showed it was not made.
    Failed,
    /// No answer, and the object could not be read back to settle it.
    Unknown,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Entry {
    /// The first line: the run's domain (the DC's default naming context).
    Run {
        time: String,
        domain: String,
        version: String,
    },
    /// About to send: the object's SPNs as read, and the value-level delta.
    Intent {
        time: String,
        account: String,
        dn: String,
        spns_before: Vec<String>,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// What happened to the intent just before it.
    Result {
        time: String,
        dn: String,
        status: Outcome,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        error: Option<String>,
        /// The SPNs read back after the change.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        spns_after: Option<Vec<String>>,
    },
}

/// An intent and, unless the run died between them, its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) account: String,
    pub(crate) dn: String,
    pub(crate) spns_before: Vec<String>,
    pub(crate) add: Vec<String>,
    pub(crate) remove: Vec<String>,
    /// `None`: no result line (the run was killed, or the journal failed, after the intent).
    pub(crate) status: Option<Outcome>,
}

/// Why the journal took no more lines.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot write journal {path}: {reason}")]
pub(crate) struct JournalError {
    path: String,
    reason: String,
}

/// A journal being written.
pub(crate) struct Journal {
    file: File,
    pub(crate) path: PathBuf,
    /// The last line's chain digest.
    chain: [u8; 32],
    /// The length of its complete lines.
    length: u64,
    /// Set by the first failed write: every later write fails with it.
    broken: Option<JournalError>,
}

impl Journal {
    /// Creates `path`, or `adcomputer-journal-<UTC timestamp>.jsonl` here (never overwrites:
    /// runs started at the same moment get `-2`, `-3`, …), and writes its run line.
    pub(crate) fn create(path: Option<&Path>, domain: &str) -> anyhow::Result<Journal> {
        Journal::create_in(Path::new(""), path, domain)
    }

    /// As `create`, a default name made in `directory`.
    fn create_in(directory: &Path, path: Option<&Path>, domain: &str) -> anyhow::Result<Journal> {
        let (file, path) = match path {
            Some(path) => (create_new(path)?, path.to_path_buf()),
            None => {
                let format = time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second].[subsecond digits:6]Z"
                );
                let stamp = time::OffsetDateTime::now_utc().format(&format)?;
                let mut attempt = 1;
                loop {
                    let path = directory.join(match attempt {
                        1 => format!("adcomputer-journal-{stamp}.jsonl"),
                        n => format!("adcomputer-journal-{stamp}-{n}.jsonl"),
                    });
                    match create_new(&path) {
                        Ok(file) => break (file, path),
                        Err(_) if attempt < 100 && path.exists() => attempt += 1,
                        Err(err) => return Err(err),
                    }
                }
            }
        };
        let mut journal = Journal {
            file,
            path,
            chain: CHAIN_SEED,
            length: 0,
            broken: None,
        };
        journal.write(&Entry::Run {
            time: adcomputer_core::model::filetime::rfc3339(time::OffsetDateTime::now_utc()),
            domain: domain.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        })?;
        Ok(journal)
    }

    /// Appends `entry` and makes it durable before returning. On failure the partial line is
    /// cut off (as far as the file system lets us) and the journal takes nothing more.
    pub(crate) fn write(&mut self, entry: &Entry) -> Result<(), JournalError> {
        if let Some(broken) = &self.broken {
            return Err(broken.clone());
        }
        let (mut line, chain) = chained(entry, &self.chain);
        line.push(b'\n');
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.length += line.len() as u64;
                self.chain = chain;
                Ok(())
            }
            Err(err) => {
                // Best effort: a full disk still lets a file shrink.
                let _ = self.file.set_len(self.length);
                let _ = self.file.sync_data();
                let broken = JournalError {
                    path: self.path.display().to_string(),
                    reason: err.to_string(),
                };
                self.broken = Some(broken.clone());
                Err(broken)
            }
        }
    }
}

/// Creates a journal file that did not exist, readable by its owner only.
fn create_new(path: &Path) -> anyhow::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot create journal {}", path.display()))
}

/// The chain before the first line.
const CHAIN_SEED: [u8; 32] = [0; 32];

/// The digest chained after `previous` by a line whose text, without `chain`, is `bare`.
fn chain_after(previous: &[u8; 32], bare: &[u8]) -> [u8; 32] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(previous);
    context.update(bare);
    let mut chain = [0; 32];
    chain.copy_from_slice(context.finish().as_ref());
    chain
}

/// The line for `entry` (its fields and `chain`, keys sorted) and its chain digest.
fn chained(entry: &Entry, previous: &[u8; 32]) -> (Vec<u8>, [u8; 32]) {
    let mut value = serde_json::to_value(entry).expect("journal entries serialize");
    let bare = serde_json::to_vec(&value).expect("a JSON value serializes");
    let chain = chain_after(previous, &bare);
    if let serde_json::Value::Object(fields) = &mut value {
        fields.insert("chain".into(), hex(&chain).into());
    }
    (
        serde_json::to_vec(&value).expect("a JSON value serializes"),
        chain,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A journal as read: the domain its run wrote to, its changes in the order they were made,
/// and what the reader should know (a last line cut off by a failed write).
#[derive(Debug)]
pub(crate) struct ReadJournal {
    pub(crate) domain: String,
    pub(crate) changes: Vec<Recorded>,
    pub(crate) warnings: Vec<String>,
}

/// The largest journal read (one line per change: far beyond any real run).
const MAX_JOURNAL_BYTES: u64 = 256 << 20;

/// Reads the changes a journal records, up to its last complete line.
pub(crate) fn read(path: &Path) -> anyhow::Result<ReadJournal> {
    let file =
        File::open(path).with_context(|| format!("cannot open journal {}", path.display()))?;
    let mut text = Vec::new();
    file.take(MAX_JOURNAL_BYTES + 1)
        .read_to_end(&mut text)
        .with_context(|| format!("cannot read journal {}", path.display()))?;
    anyhow::ensure!(
        text.len() as u64 <= MAX_JOURNAL_BYTES,
        "{}: larger than {} MiB: not a journal",
        path.display(),
        MAX_JOURNAL_BYTES >> 20
    );
    // Every line adcomputer writes ends in a newline: one that does not was cut off.
    let cut = !text.is_empty() && !text.ends_with(b"\n");
    let lines: Vec<&[u8]> = text.split(|byte| *byte == b'\n').collect();
    let mut changes: Vec<Recorded> = Vec::new();
    let mut warnings = Vec::new();
    let mut domain = None;
    let mut chain = CHAIN_SEED;
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry = match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(mut value) => {
                let claimed = value
                    .as_object_mut()
                    .and_then(|fields| fields.remove("chain"))
                    .and_then(|chain| chain.as_str().map(str::to_string));
                let bare = serde_json::to_vec(&value).expect("a JSON value serializes");
                chain = chain_after(&chain, &bare);
                anyhow::ensure!(
                    claimed.as_deref() == Some(hex(&chain).as_str()),
                    "{}: line {number} is not as adcomputer wrote it (its chain digest does not \
                     match): an edited journal is refused",
                    path.display()
                );
                serde_json::from_value::<Entry>(value).map_err(|_| ())
            }
            Err(_) => Err(()),
        };
        let entry = match entry {
            Ok(entry) => entry,
            Err(_) if cut && index + 1 == lines.len() && number > 1 => {
                warnings.push(format!(
                    "{}: line {number} was cut off (a write that failed): read up to line {}",
                    path.display(),
                    number - 1
                ));
                break;
            }
            Err(_) => anyhow::bail!("{}: line {number}: not a journal entry", path.display()),
        };
        match entry {
            Entry::Run { domain: run, .. } if domain.is_none() && changes.is_empty() => {
                domain = Some(run);
            }
            Entry::Run { .. } => {
                anyhow::bail!("{}: line {number}: a second run line", path.display())
            }
            _ if domain.is_none() => anyhow::bail!(
                "{}: line {number}: not a journal of this adcomputer version (it must start \
                 with its run line)",
                path.display()
            ),
            Entry::Intent {
                account,
                dn,
                spns_before,
                add,
                remove,
                ..
            } => changes.push(Recorded {
                account,
                dn,
                spns_before,
                add,
                remove,
                status: None,
            }),
            Entry::Result { dn, status, .. } => {
                let intent = changes
                    .last_mut()
                    .filter(|last| last.dn == dn && last.status.is_none())
                    .with_context(|| {
                        format!(
                            "{}: line {number}: a result without its intent",
                            path.display()
                        )
                    })?;
                intent.status = Some(status);
            }
        }
    }
    let domain = domain.with_context(|| format!("{}: an empty journal", path.display()))?;
    Ok(ReadJournal {
        domain,
        changes,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(dn: &str) -> Entry {
        Entry::Intent {
            time: "t".into(),
            account: "PC$".into(),
            dn: dn.into(),
            spns_before: vec!["HOST/PC".into()],
            add: vec!["HOST/pc.x".into()],
            remove: vec![],
        }
    }

    #[test]
    fn intents_pair_with_results_and_a_killed_run_leaves_an_open_intent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(Some(&path), "DC=x").unwrap();
        journal.write(&intent("CN=A")).unwrap();
        journal
            .write(&Entry::Result {
                time: "t".into(),
                dn: "CN=A".into(),
                status: Outcome::Applied,
                error: None,
                spns_after: Some(vec!["HOST/PC".into(), "HOST/pc.x".into()]),
            })
            .unwrap();
        journal.write(&intent("CN=B")).unwrap();
        let recorded = read(&path).unwrap().changes;
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0].status, Some(Outcome::Applied));
        assert_eq!(recorded[1].status, None);
        assert!(
            Journal::create(Some(&path), "DC=x").is_err(),
            "never overwrites"
        );
    }

    #[test]
    fn garbage_orphan_results_and_edits_are_refused_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(Some(&path), "DC=x").unwrap();
        journal
            .write(&Entry::Result {
                time: "t".into(),
                dn: "CN=A".into(),
                status: Outcome::Applied,
                error: None,
                spns_after: None,
            })
            .unwrap();
        assert!(
            read(&path)
                .unwrap_err()
                .to_string()
                .contains("line 2: a result without its intent")
        );
        std::fs::write(&path, "not json\n").unwrap();
        assert!(format!("{:#}", read(&path).unwrap_err()).contains("line 1: not a journal entry"));
        // A line as an older version (or a person) wrote it: no run line, no chain.
        std::fs::write(
            &path,
            "{\"event\":\"intent\",\"time\":\"t\",\"account\":\"PC$\",\"dn\":\"CN=A\",\"spns_before\":[],\"add\":[],\"remove\":[]}\n",
        )
        .unwrap();
        assert!(
            format!("{:#}", read(&path).unwrap_err())
                .contains("line 1 is not as adcomputer wrote it")
        );
        // An edited value in a chained journal.
        let path = dir.path().join("k.jsonl");
        let mut journal = Journal::create(Some(&path), "DC=x").unwrap();
        journal.write(&intent("CN=A")).unwrap();
        journal.write(&intent("CN=B")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("CN=A", "CN=Administrator,CN=Users")).unwrap();
        let err = format!("{:#}", read(&path).unwrap_err());
        assert!(
            err.contains("line 2 is not as adcomputer wrote it"),
            "{err}"
        );
        // A line taken out breaks the chain of the next.
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        assert!(
            format!("{:#}", read(&path).unwrap_err())
                .contains("line 2 is not as adcomputer wrote it")
        );
        std::fs::write(&path, &text).unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.domain, "DC=x");
        assert_eq!(read.changes.len(), 2);
    }

    #[test]
    fn runs_started_in_the_same_moment_get_their_own_journals() {
        let dir = tempfile::tempdir().unwrap();
        let made: Vec<PathBuf> = (0..5)
            .map(|_| Journal::create_in(dir.path(), None, "DC=x").unwrap().path)
            .collect();
        let mut distinct = made.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 5, "{made:?}");
    }

    #[test]
    fn a_cut_last_line_ends_the_journal_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(Some(&path), "DC=x").unwrap();
        journal.write(&intent("CN=A")).unwrap();
        let mut text = std::fs::read(&path).unwrap();
        let second = serde_json::to_vec(&intent("CN=B")).unwrap();
        text.extend_from_slice(&second[..second.len() / 2]);
        std::fs::write(&path, &text).unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.changes.len(), 1);
        assert!(
            read.warnings[0].contains("line 3 was cut off"),
            "{:?}",
            read.warnings
        );
        // The same bytes with a newline are no cut write: garbage.
        text.push(b'\n');
        std::fs::write(&path, &text).unwrap();
        assert!(format!("{:#}", super::read(&path).unwrap_err()).contains("line 3: not a journal"));
    }

    #[test]
    fn a_failed_write_cuts_back_and_refuses_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(Some(&path), "DC=x").unwrap();
        journal.write(&intent("CN=A")).unwrap();
        // /dev/full: every write fails with "no space left on device".
        journal.file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let err = journal.write(&intent("CN=B")).unwrap_err();
        assert!(err.to_string().contains("No space left"), "{err}");
        journal.file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        assert!(
            journal.write(&intent("CN=C")).is_err(),
            "broken stays broken"
        );
        assert_eq!(read(&path).unwrap().changes.len(), 1);
    }
}
