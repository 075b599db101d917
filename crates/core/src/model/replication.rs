//! Replication metadata as AD stores it: `replPropertyMetaData` (MS-DRSR 5.160: a
//! `PROPERTY_META_DATA_EXT_VECTOR` — version 1, a count, then one 48-byte entry per attribute:
//! its ATTID, version, originating change time in whole seconds since 1601, originating DC's
//! invocation ID, originating and local USN). It says where and when an attribute last changed
//! — for `unicodePwd`, where and when the password was last set.

use super::filetime::FileTime;
use super::security::guid_to_string;

/// `unicodePwd`'s ATTID (1.2.840.113556.1.4.90 under the prefix map's index 9).
pub const UNICODE_PWD: u32 = 0x0009_005a;

const HEADER: usize = 16;
const ENTRY: usize = 48;

/// The last originating change of one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// How many originating writes the attribute has seen.
    pub version: u32,
    pub time: FileTime,
    /// The invocation ID (lower-case GUID) of the DC the change was made on.
    pub invocation_id: String,
}

/// One account as one DC holds it: what replicates lazily or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DcAccount {
    pub key_version: Option<u32>,
    pub pwd_last_set: Option<FileTime>,
    /// `lastLogon`: this DC's own, never replicated.
    pub last_logon: Option<FileTime>,
    /// Where and when the password last changed (`replPropertyMetaData` of `unicodePwd`).
    pub password_change: Option<Change>,
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The last originating change of the attribute `attid`; `None` when the blob is malformed or
/// does not name it.
pub fn last_change(blob: &[u8], attid: u32) -> Option<Change> {
    if u32_at(blob, 0)? != 1 {
        return None;
    }
    let count = usize::try_from(u32_at(blob, 8)?).ok()?;
    (0..count).find_map(|index| {
        let entry = blob.get(HEADER + index * ENTRY..HEADER + (index + 1) * ENTRY)?;
        if u32_at(entry, 0)? != attid {
            return None;
        }
        let seconds = i64::from_le_bytes(entry.get(8..16)?.try_into().ok()?);
        Some(Change {
            version: u32_at(entry, 4)?,
            time: FileTime(seconds.checked_mul(10_000_000)?),
            invocation_id: guid_to_string(entry.get(16..32)?)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WS-HEALTHY01's metadata as Samba returned it, after one reset on dc1 (invocation ID
    /// 7458756d-4701-49b6-bb05-acb76b17ae09).
    #[test]
    fn the_password_change_is_read_from_real_metadata() {
        let blob = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/replication/ws-healthy01.meta"
        ))
        .unwrap();
        let change = last_change(&blob, UNICODE_PWD).expect("unicodePwd's metadata");
        assert_eq!(change.invocation_id, "7458756d-4701-49b6-bb05-acb76b17ae09");
        assert_eq!(change.version, 2, "seeded with a password, then reset once");
        let time = change.time.to_rfc3339().unwrap();
        assert!(time.starts_with("2026-11-22T"), "{time}");
        assert_eq!(last_change(&blob, 0x7777_7777), None);
        for cut in [0, 15, 100, blob.len() - 1] {
            let _ = last_change(&blob[..cut], UNICODE_PWD);
        }
    }
}
