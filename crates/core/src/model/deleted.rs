//! Deleted computers as AD keeps them (tombstones, or recycled objects without the Recycle
//! Bin): the deleted object's DN (`CN=<old name>\0ADEL:<GUID>,CN=Deleted Objects,…`), and what a
//! tombstone keeps — `sAMAccountName`, `userAccountControl`, `lastKnownParent`, often
//! `dNSHostName` — but never its password or SPNs.

use super::account::Account;
use super::entry::Entry;
use super::filetime::FileTime;
use super::uac::Uac;

/// The attributes read for each deleted computer.
pub const DELETED_ATTRIBUTES: &[&str] = &[
    "sAMAccountName",
    "userAccountControl",
    "lastKnownParent",
    "msDS-LastKnownRDN",
    "dNSHostName",
    "whenChanged",
];

/// A deleted computer account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// The deleted object's DN, as the DC names it now.
    pub dn: String,
    pub sam_account_name: Option<String>,
    pub uac: Option<Uac>,
    /// Its RDN value before deletion (`msDS-LastKnownRDN`, else the DN's, without the
    /// `\0ADEL:<GUID>` mangling).
    pub name: String,
    pub last_known_parent: Option<String>,
    pub dns_host_name: Option<String>,
    /// When it was deleted (its `whenChanged`: a tombstone changes no more).
    pub deleted_at: Option<FileTime>,
}

impl Tombstone {
    pub fn from_entry(entry: &Entry) -> Tombstone {
        let text = |name: &str| {
            entry
                .values(name)
                .first()
                .map(|value| String::from_utf8_lossy(value).into_owned())
        };
        let from_dn = entry
            .dn
            .split_once(',')
            .map_or(entry.dn.as_str(), |(rdn, _)| rdn)
            .split_once('=')
            .map_or("", |(_, value)| value);
        let unmangled = from_dn
            .split("\\0A")
            .next()
            .unwrap_or(from_dn)
            .split('\n')
            .next()
            .unwrap_or(from_dn)
            .to_string();
        Tombstone {
            dn: entry.dn.clone(),
            sam_account_name: text("sAMAccountName"),
            uac: text("userAccountControl")
                .and_then(|uac| uac.trim().parse::<i64>().ok())
                .and_then(|uac| u32::try_from(uac & 0xffff_ffff).ok())
                .map(Uac),
            name: text("msDS-LastKnownRDN").unwrap_or(unmangled),
            last_known_parent: text("lastKnownParent"),
            dns_host_name: text("dNSHostName"),
            deleted_at: text("whenChanged").and_then(|when| FileTime::from_generalized(&when)),
        }
    }

    /// The deleted object's objectGUID, as its mangled RDN names it (`\0ADEL:<GUID>`).
    pub fn guid(&self) -> Option<&str> {
        let (_, rest) = self.dn.split_once("ADEL:")?;
        let guid = rest.split(',').next()?;
        (guid.len() == 36).then_some(guid)
    }

    /// Its DN once restored under `parent`.
    /// The account as a restore brings it back to `target`: its names and flags, its
    /// `dNSHostName` (`default_host` when the tombstone kept none), no SPNs yet.
    pub fn as_restored(&self, target: &str, default_host: Option<String>) -> Account {
        use super::account::{AccountKind, Attr, AttrSet};
        Account {
            dn: target.to_string(),
            sam_account_name: self.sam_account_name.clone(),
            cn: Some(self.name.clone()),
            kind: Some(AccountKind::Computer),
            uac: self.uac,
            dns_host_name: self.dns_host_name.clone().or(default_host),
            present: AttrSet::of(&[
                Attr::ObjectClass,
                Attr::SamAccountName,
                Attr::UserAccountControl,
                Attr::DnsHostName,
                Attr::ServicePrincipalName,
            ]),
            ..super::account::blank_account()
        }
    }

    pub fn restored_dn(&self, parent: &str) -> String {
        format!("CN={},{parent}", super::dn::escape_rdn_value(&self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tombstone_reads_as_samba_returns_it() {
        let mut entry = Entry::new(
            "CN=DEL01\\0ADEL:3e3084e5-922a-44b7-8c8e-70445be7fa6c,CN=Deleted Objects,DC=adc,DC=test"
                .into(),
        );
        entry.push_value("sAMAccountName", b"DEL01$".to_vec());
        entry.push_value("userAccountControl", b"4096".to_vec());
        entry.push_value(
            "lastKnownParent",
            b"OU=Workstations,DC=adc,DC=test".to_vec(),
        );
        entry.push_value("whenChanged", b"20261122091016.0Z".to_vec());
        let deleted = Tombstone::from_entry(&entry);
        assert_eq!(deleted.name, "DEL01");
        assert_eq!(deleted.uac, Some(Uac(4096)));
        assert_eq!(
            deleted.deleted_at.and_then(FileTime::to_rfc3339).as_deref(),
            Some("2026-11-22T09:10:16Z")
        );
        assert_eq!(
            deleted.restored_dn("OU=Workstations,DC=adc,DC=test"),
            "CN=DEL01,OU=Workstations,DC=adc,DC=test"
        );
    }
}
