//! Each DC's view of one account (docs/reference.md, "adcomputer show"), pure: what every DC
//! holds, which DCs are behind (an older key version than the newest any DC holds), the true
//! last logon (the newest `lastLogon` over all DCs: it is not replicated), and where the
//! password last changed, the originating DC named by its invocation ID.

use serde::Serialize;

use crate::model::filetime::{FileTime, Timestamp};
use crate::model::replication::DcAccount;

/// One DC of the domain, as the views name it.
pub struct DcName<'a> {
    pub host: &'a str,
    pub invocation_id: Option<&'a str>,
}

/// One DC's view of the account (public JSON: `accounts[].dcs[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DcView {
    pub dc: String,
    pub key_version: Option<u32>,
    pub pwd_last_set: Option<Timestamp>,
    /// This DC's own `lastLogon` (never replicated).
    pub last_logon: Option<Timestamp>,
    /// When the password was last set, as replication metadata says.
    pub password_changed_at: Option<Timestamp>,
    /// The DC it was set on.
    pub password_changed_on: Option<String>,
    /// An older key version than another DC holds: replication has not reached it.
    pub behind: bool,
    /// Why this DC could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The AES keys this DC's KDC holds for the account (empty: none), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aes_keys: Option<Vec<String>>,
}

/// Every DC's view, and the newest last logon over all of them.
pub fn dc_views(
    dcs: &[DcName<'_>],
    reads: &[Result<Option<DcAccount>, String>],
) -> (Vec<DcView>, Option<FileTime>) {
    let newest_key = reads
        .iter()
        .filter_map(|read| read.as_ref().ok()?.as_ref()?.key_version)
        .max();
    let newest_logon = reads
        .iter()
        .filter_map(|read| read.as_ref().ok()?.as_ref()?.last_logon)
        .max();
    let name_of = |invocation: &str| {
        dcs.iter()
            .find(|dc| dc.invocation_id == Some(invocation))
            .map_or_else(
                || format!("invocation {invocation}"),
                |dc| dc.host.to_string(),
            )
    };
    let views = dcs
        .iter()
        .zip(reads)
        .map(|(dc, read)| {
            let (account, error) = match read {
                Ok(Some(account)) => (account.clone(), None),
                Ok(None) => (DcAccount::default(), Some("not on this DC".to_string())),
                Err(why) => (DcAccount::default(), Some(why.clone())),
            };
            let change = account.password_change.as_ref();
            DcView {
                dc: dc.host.to_string(),
                key_version: account.key_version,
                pwd_last_set: account.pwd_last_set.map(Timestamp),
                last_logon: account.last_logon.map(Timestamp),
                password_changed_at: change.map(|change| Timestamp(change.time)),
                password_changed_on: change.map(|change| name_of(&change.invocation_id)),
                behind: error.is_some()
                    || matches!((account.key_version, newest_key), (Some(here), Some(newest)) if here < newest),
                error,
                aes_keys: None,
            }
        })
        .collect();
    (views, newest_logon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::replication::Change;

    fn read(kvno: u32, logon: i64, origin: &str) -> Result<Option<DcAccount>, String> {
        Ok(Some(DcAccount {
            key_version: Some(kvno),
            pwd_last_set: Some(FileTime(1)),
            last_logon: Some(FileTime(logon)).filter(|time| time.0 > 0),
            password_change: Some(Change {
                version: kvno,
                time: FileTime(5),
                invocation_id: origin.into(),
            }),
        }))
    }

    #[test]
    fn a_dc_with_an_older_key_version_is_behind_and_the_newest_logon_wins() {
        let dcs = [
            DcName {
                host: "dc1.x.test",
                invocation_id: Some("aaaa"),
            },
            DcName {
                host: "dc2.x.test",
                invocation_id: Some("bbbb"),
            },
            DcName {
                host: "dc3.x.test",
                invocation_id: None,
            },
        ];
        let reads = [
            read(3, 100, "aaaa"),
            read(2, 900, "aaaa"),
            Err("no answer within 30 s".to_string()),
        ];
        let (views, newest) = dc_views(&dcs, &reads);
        assert_eq!(newest, Some(FileTime(900)));
        assert!(!views[0].behind);
        assert!(views[1].behind);
        assert!(views[2].behind && views[2].error.is_some());
        assert_eq!(views[1].password_changed_on.as_deref(), Some("dc1.x.test"));
    }
}
