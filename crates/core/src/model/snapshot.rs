//! What one DC's scan read, kept between nightly runs (`--state`): the objects by `objectGUID`
//! with their raw values, and the mark saying whose they are — which DC, which life of its
//! database (`invocationId`), up to which of its updates (`highestCommittedUSN`), read as whom,
//! when, with which attributes. The rules for when a snapshot may stand in for a full read and
//! how a DC's changes apply to it live here; the file is the source's.

use hashbrown::HashMap;
use serde::Serialize;

use super::account::AttrSet;
use super::entry::Entry;

/// An object's `objectGUID`: what names it across renames and moves.
pub type Guid = [u8; 16];

/// Whose a snapshot is, and up to where it is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The DC's `dsServiceName` (its NTDS Settings object).
    pub dc: String,
    /// The DC's `invocationId`: a new one after a restore of its database.
    pub invocation_id: Guid,
    /// The DC's `highestCommittedUSN` when the read began: every change up to it is in.
    pub usn: u64,
    /// When the read began (seconds since 1970).
    pub taken: i64,
    /// Where the scan read (the domain).
    pub root: String,
    /// Whom the DC answered: what it shows depends on who asks.
    pub reader: String,
    /// The attributes every object was read with.
    pub attributes: AttrSet,
}

/// Why a snapshot cannot stand in for a full read now, or `None` when it can. `now` is what the
/// DC says at this run's start; `lifetime_days` how long it keeps deleted objects (after that a
/// deletion leaves no trace a later run could find).
pub fn unusable(stored: &Mark, now: &Mark, lifetime_days: u32) -> Option<String> {
    let age = now.taken - stored.taken;
    if stored.dc != now.dc {
        Some(format!("it was made on another DC ({})", stored.dc))
    } else if stored.invocation_id != now.invocation_id {
        Some("the DC's invocationId changed since (its database was restored)".into())
    } else if now.usn < stored.usn {
        Some(format!(
            "the DC's highestCommittedUSN {} is below the state's {} (its database went back)",
            now.usn, stored.usn
        ))
    } else if stored.root != now.root {
        Some(format!("it covers {}, this run {}", stored.root, now.root))
    } else if stored.reader != now.reader {
        Some(format!(
            "it was read as {}, this run as {}",
            stored.reader, now.reader
        ))
    } else if !now.attributes.without(stored.attributes).is_empty() {
        let missing = now.attributes.without(stored.attributes).names().join(", ");
        Some(format!("it was read without {missing}"))
    } else if age < 0 {
        Some("it is dated in the future (this machine's clock went back)".into())
    } else if age >= i64::from(lifetime_days) * 86_400 {
        Some(format!(
            "it is {} days old, not younger than the domain's tombstone lifetime of {lifetime_days} days (deletions since may have left no trace)",
            age / 86_400
        ))
    } else {
        None
    }
}

/// How a run with `--state` read the DC, for its report (`state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateRead {
    /// `changes`: the kept objects with what changed since `since_usn`; `full`: all of them.
    pub read: &'static str,
    pub since_usn: Option<u64>,
    /// The DC's `highestCommittedUSN` the objects are complete up to: the next run's mark
    /// (`None`: nothing kept).
    pub usn: Option<u64>,
    /// Objects the DC sent.
    pub received: usize,
    /// Kept objects forgotten: deleted, or no longer computers nor SPN holders.
    pub gone: usize,
    /// How they were found (`changes` only): `deleted_objects` (changed objects seen with the
    /// Show Deleted control), or `listing` (for a reader who cannot see deleted objects: every
    /// scanned object's GUID listed, and what is not listed any more forgotten).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gone_from: Option<&'static str>,
    /// Objects judged.
    pub objects: usize,
}

/// The objects a scan read, by `objectGUID`, and the mark they are complete up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub mark: Mark,
    objects: HashMap<Guid, Entry>,
}

impl Snapshot {
    pub fn new(mark: Mark) -> Snapshot {
        Snapshot {
            mark,
            objects: HashMap::new(),
        }
    }

    /// Adds an object read by the scan, or replaces what was kept of it (renamed or moved, it
    /// keeps its GUID and comes back under its new DN).
    pub fn put(&mut self, guid: Guid, entry: Entry) {
        self.objects.insert(guid, entry);
    }

    /// Forgets an object: deleted, or no longer one the scan reads.
    pub fn forget(&mut self, guid: &Guid) {
        self.objects.remove(guid);
    }

    /// Keeps only the objects `keep` says are still there.
    pub fn retain(&mut self, keep: impl Fn(&Guid) -> bool) {
        self.objects.retain(|guid, _| keep(guid));
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The objects, in no particular order.
    pub fn objects(&self) -> impl Iterator<Item = (&Guid, &Entry)> {
        self.objects.iter()
    }
}

/// An entry's `objectGUID` when it holds exactly one of 16 bytes.
pub fn guid_of(entry: &Entry) -> Option<Guid> {
    match entry.values("objectGUID") {
        [only] => Guid::try_from(only.as_slice()).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::account::Attr;

    fn mark() -> Mark {
        Mark {
            dc: "CN=NTDS Settings,CN=DC1,CN=Servers,CN=Site,CN=Sites,CN=Configuration,DC=x".into(),
            invocation_id: [7; 16],
            usn: 5000,
            taken: 1_795_305_600,
            root: "DC=x".into(),
            reader: "helpdesk@X".into(),
            attributes: AttrSet::of(&[Attr::Cn, Attr::PwdLastSet]),
        }
    }

    #[test]
    fn a_snapshot_stands_in_only_for_the_same_dc_life_reader_and_attributes() {
        let stored = mark();
        let later = Mark {
            usn: 5100,
            taken: stored.taken + 86_400,
            attributes: AttrSet::of(&[Attr::Cn]),
            ..mark()
        };
        assert_eq!(unusable(&stored, &later, 180), None);
        let cases: [(Mark, &str); 8] = [
            (
                Mark {
                    dc: "CN=NTDS Settings,CN=DC2".into(),
                    ..later.clone()
                },
                "another DC",
            ),
            (
                Mark {
                    invocation_id: [8; 16],
                    ..later.clone()
                },
                "invocationId",
            ),
            (
                Mark {
                    usn: 4999,
                    ..later.clone()
                },
                "went back",
            ),
            (
                Mark {
                    root: "DC=y".into(),
                    ..later.clone()
                },
                "covers DC=x",
            ),
            (
                Mark {
                    reader: "Administrator@X".into(),
                    ..later.clone()
                },
                "read as helpdesk@X",
            ),
            (
                Mark {
                    attributes: AttrSet::of(&[Attr::Cn, Attr::OperatingSystem]),
                    ..later.clone()
                },
                "without operatingSystem",
            ),
            (
                Mark {
                    taken: stored.taken - 1,
                    ..later.clone()
                },
                "future",
            ),
            (
                Mark {
                    taken: stored.taken + 180 * 86_400,
                    ..later.clone()
                },
                "tombstone lifetime of 180 days",
            ),
        ];
        for (now, why) in cases {
            let said = unusable(&stored, &now, 180).expect(why);
            assert!(said.contains(why), "{said} / {why}");
        }
        // One second short of the lifetime is still usable.
        let young = Mark {
            taken: stored.taken + 180 * 86_400 - 1,
            ..later
        };
        assert_eq!(unusable(&stored, &young, 180), None);
    }

    #[test]
    fn objects_are_kept_by_guid_across_renames_and_forgotten_once() {
        let mut snapshot = Snapshot::new(mark());
        let entry = |dn: &str| {
            let mut entry = Entry::new(dn.into());
            entry.push_value("objectGUID", vec![1; 16]);
            entry
        };
        let old = entry("CN=PC1,OU=A,DC=x");
        let guid = guid_of(&old).expect("16 bytes");
        snapshot.put(guid, old);
        snapshot.put(guid, entry("CN=PC1,OU=B,DC=x"));
        assert_eq!(snapshot.len(), 1);
        let kept: Vec<&str> = snapshot.objects().map(|(_, e)| e.dn.as_str()).collect();
        assert_eq!(kept, ["CN=PC1,OU=B,DC=x"]);
        snapshot.forget(&guid);
        snapshot.forget(&guid);
        assert!(snapshot.is_empty());
        snapshot.put([2; 16], entry("CN=PC2,DC=x"));
        snapshot.put([3; 16], entry("CN=PC3,DC=x"));
        snapshot.retain(|guid| *guid == [3; 16]);
        let kept: Vec<&str> = snapshot.objects().map(|(_, e)| e.dn.as_str()).collect();
        assert_eq!(kept, ["CN=PC3,DC=x"]);
        let mut short = Entry::new("CN=PC2,DC=x".into());
        short.push_value("objectGUID", vec![1; 15]);
        assert_eq!(guid_of(&short), None);
        assert_eq!(guid_of(&Entry::new("CN=PC3,DC=x".into())), None);
    }
}
