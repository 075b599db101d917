//! The change journal (JSON Lines; docs/reference.md, "Files"): an `intent` line is written and synced to disk
//! before a change is sent to the DC, a `result` line after. `undo` reads it back. It holds SPNs
//! and DNs only: no secret ever goes into it.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

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
    /// What happened to the intent just before it (`applied` or `failed`).
    Result {
        time: String,
        dn: String,
        status: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        error: Option<String>,
        /// The SPNs read back after an applied change.
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
    /// `None`: no result line (the run was killed after the intent).
    pub(crate) status: Option<String>,
    pub(crate) spns_after: Option<Vec<String>>,
}

/// A journal being written.
pub(crate) struct Journal {
    file: File,
    pub(crate) path: PathBuf,
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
        Ok(Journal { file, path })
    }

    /// Appends `entry` and makes it durable before returning.
    pub(crate) fn write(&mut self, entry: &Entry) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(entry)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write journal {}", self.path.display()))
    }
}

/// The changes a journal records, in the order they were made.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<Recorded>> {
    let file =
        File::open(path).with_context(|| format!("cannot open journal {}", path.display()))?;
    let mut recorded: Vec<Recorded> = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {}", path.display(), number + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}: line {}: not a journal entry",
                path.display(),
                number + 1
            )
        })?;
        match entry {
            Entry::Intent {
                account,
                dn,
                spns_before,
                add,
                remove,
                ..
            } => recorded.push(Recorded {
                account,
                dn,
                spns_before,
                add,
                remove,
                status: None,
                spns_after: None,
            }),
            Entry::Result {
                dn,
                status,
                spns_after,
                ..
            } => {
                let intent = recorded
                    .last_mut()
                    .filter(|last| last.dn == dn && last.status.is_none())
                    .with_context(|| {
                        format!(
                            "{}: line {}: a result without its intent",
                            path.display(),
                            number + 1
                        )
                    })?;
                intent.status = Some(status);
                intent.spns_after = spns_after;
            }
        }
    }
    Ok(recorded)
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
                status: "applied".into(),
                error: None,
                spns_after: Some(vec!["HOST/PC".into(), "HOST/pc.x".into()]),
            })
            .unwrap();
        journal.write(&intent("CN=B")).unwrap();
        let recorded = read(&path).unwrap();
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[0].status.as_deref(), Some("applied"));
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
}
