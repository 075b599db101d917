//! The change journal (JSON Lines; docs/reference.md, "Files" and "Writes"). The protocol: an
//! `intent` line is written and synced to disk before a change is sent to the DC, and a
//! `result` line after, whose outcome is `applied` or `failed` only on the DC's word and
//! `unknown` when its answer was lost. A write that fails is cut back to the last whole line
//! and the journal refuses every later write, so the caller stops sending; `read` takes a
//! journal up to its last complete line. It holds SPNs and DNs only: never a secret.

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
    /// The length of its complete lines.
    length: u64,
    /// Set by the first failed write: every later write fails with it.
    broken: Option<JournalError>,
}

impl Journal {
    /// Creates `path`, or `adcomputer-journal-<UTC timestamp>.jsonl` here; never overwrites.
    pub(crate) fn create(path: Option<&Path>) -> anyhow::Result<Journal> {
        let path = match path {
            Some(path) => path.to_path_buf(),
            None => {
                let format =
                    time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
                let stamp = time::OffsetDateTime::now_utc().format(&format)?;
                PathBuf::from(format!("adcomputer-journal-{stamp}.jsonl"))
            }
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .with_context(|| format!("cannot create journal {}", path.display()))?;
        Ok(Journal {
            file,
            path,
            length: 0,
            broken: None,
        })
    }

    /// Appends `entry` and makes it durable before returning. On failure the partial line is
    /// cut off (as far as the file system lets us) and the journal takes nothing more.
    pub(crate) fn write(&mut self, entry: &Entry) -> Result<(), JournalError> {
        if let Some(broken) = &self.broken {
            return Err(broken.clone());
        }
        let mut line = serde_json::to_vec(entry).expect("journal entries serialize");
        line.push(b'\n');
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.length += line.len() as u64;
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

/// A journal as read: its changes in the order they were made, and what the reader should
/// know (a last line cut off by a failed write).
#[derive(Debug)]
pub(crate) struct ReadJournal {
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
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry = match serde_json::from_slice::<Entry>(line) {
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
    Ok(ReadJournal { changes, warnings })
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
        let mut journal = Journal::create(Some(&path)).unwrap();
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
        assert!(Journal::create(Some(&path)).is_err(), "never overwrites");
    }

    #[test]
    fn garbage_and_orphan_results_are_refused_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(
            &path,
            "{\"event\":\"result\",\"time\":\"t\",\"dn\":\"CN=A\",\"status\":\"applied\"}\n",
        )
        .unwrap();
        assert!(
            read(&path)
                .unwrap_err()
                .to_string()
                .contains("line 1: a result without its intent")
        );
        std::fs::write(&path, "not json\n").unwrap();
        assert!(format!("{:#}", read(&path).unwrap_err()).contains("line 1: not a journal entry"));
    }

    #[test]
    fn a_cut_last_line_ends_the_journal_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(Some(&path)).unwrap();
        journal.write(&intent("CN=A")).unwrap();
        let mut text = std::fs::read(&path).unwrap();
        let second = serde_json::to_vec(&intent("CN=B")).unwrap();
        text.extend_from_slice(&second[..second.len() / 2]);
        std::fs::write(&path, &text).unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.changes.len(), 1);
        assert!(
            read.warnings[0].contains("line 2 was cut off"),
            "{:?}",
            read.warnings
        );
        // The same bytes with a newline are no cut write: garbage.
        text.push(b'\n');
        std::fs::write(&path, &text).unwrap();
        assert!(format!("{:#}", super::read(&path).unwrap_err()).contains("line 2: not a journal"));
    }

    #[test]
    fn a_failed_write_cuts_back_and_refuses_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut journal = Journal::create(Some(&path)).unwrap();
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
