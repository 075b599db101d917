//! Restore rules (docs/reference.md, "adcomputer restore"), pure: which deleted computer a name
//! means (its sAMAccountName with or without `$`, its old name, or the deleted object's DN or
//! its old DN), where it goes back to (`--to`, else its last known parent), and what may not be
//! restored (a DC or trust account; a name that matches several deleted objects: they are
//! listed with their deletion times, never chosen between).

use crate::model::account::Account;
use crate::model::deleted::Tombstone;
use crate::model::dn::same_dn;
use crate::model::filetime::FileTime;
use crate::model::names::NameQuery;
use crate::model::text;

use super::reset_plan::{ResetItem, Status};

/// Whether `name` means the deleted computer `deleted`.
fn means(name: &NameQuery, deleted: &Tombstone) -> bool {
    match name {
        NameQuery::Dn(dn) => {
            same_dn(dn, &deleted.dn)
                || deleted
                    .last_known_parent
                    .as_deref()
                    .is_some_and(|parent| same_dn(dn, &deleted.restored_dn(parent)))
        }
        NameQuery::Name(name) => {
            let bare = name.strip_suffix('$').unwrap_or(name);
            let sam = deleted.sam_account_name.as_deref().is_some_and(|sam| {
                text::same(sam, name) || text::same(sam.strip_suffix('$').unwrap_or(sam), bare)
            });
            sam || text::same(&deleted.name, name)
        }
    }
}

fn deleted_text(deleted: &Tombstone) -> String {
    format!(
        "{} (deleted {}, from {})",
        deleted.dn,
        deleted
            .deleted_at
            .and_then(FileTime::to_rfc3339)
            .unwrap_or_else(|| "at an unknown time".into()),
        deleted
            .last_known_parent
            .as_deref()
            .unwrap_or("an unknown parent")
    )
}

/// The item for one name, and what to restore where when it is planned.
pub fn plan<'a>(
    name: &NameQuery,
    deleted: &'a [Tombstone],
    to: Option<&str>,
    earlier: &[ResetItem],
) -> (ResetItem, Option<(&'a Tombstone, String)>) {
    let matches: Vec<&Tombstone> = deleted.iter().filter(|d| means(name, d)).collect();
    let mut item = ResetItem::new(name.as_str(), Status::Planned);
    item.kind = "restore";
    let found = match matches.as_slice() {
        [] => {
            item.status = Status::NotFound;
            item.reason = Some("no deleted computer of that name".into());
            return (item, None);
        }
        [one] => *one,
        several => {
            item.status = Status::Ambiguous;
            let listed: Vec<String> = several.iter().map(|d| deleted_text(d)).collect();
            item.reason = Some(format!("matches {}: give the DN", listed.join("; ")));
            return (item, None);
        }
    };
    item.account = found.sam_account_name.clone();
    item.dn = Some(found.dn.clone());
    item.deleted_at = found.deleted_at.and_then(FileTime::to_rfc3339);
    let Some(parent) = to.or(found.last_known_parent.as_deref()) else {
        item.status = Status::Refused;
        item.reason = Some("its last known parent is unknown: give --to OU".into());
        return (item, None);
    };
    if parent.contains("\\0ADEL:") {
        item.status = Status::Refused;
        item.reason = Some(format!(
            "its last known parent {parent} is deleted too: give --to OU"
        ));
        return (item, None);
    }
    let target = found.restored_dn(parent);
    item.restored_to = Some(target.clone());
    let refused = match found.uac {
        Some(uac) if uac.is_domain_controller() || uac.is_read_only_dc() => {
            Some("a domain controller's account: restore it with the DC's own procedure")
        }
        Some(uac) if uac.is_trust_account() => Some("an interdomain trust account"),
        Some(_) => None,
        None => Some("its userAccountControl is unknown (not read)"),
    };
    if let Some(why) = refused {
        item.status = Status::Refused;
        item.reason = Some(why.into());
        return (item, None);
    }
    if earlier.iter().any(|other| other.dn == item.dn) {
        item.status = Status::Refused;
        item.reason = Some("named twice in this batch".into());
        return (item, None);
    }
    (item, Some((found, target)))
}

/// The `dNSHostName` a restored computer gets when its tombstone kept none: its short name,
/// lower-cased, in the domain of `default_naming_context`.
pub fn default_dns_host_name(short: &str, default_naming_context: &str) -> String {
    let domain = super::reset_plan::realm_of(default_naming_context).to_lowercase();
    format!("{}.{domain}", short.to_lowercase())
}

/// Refuses a planned restore whose place is taken among the `live` accounts: an object at its
/// target DN, or another account with its sAMAccountName (the computer was re-created: the
/// DC would refuse the restore). Returns whether it refused.
pub fn refuse_taken(
    item: &mut ResetItem,
    deleted: &Tombstone,
    target: &str,
    live: &[Account],
) -> bool {
    let why = if let Some(there) = live.iter().find(|account| same_dn(&account.dn, target)) {
        format!(
            "{target} already exists ({}): give --to another OU",
            there.label()
        )
    } else if let Some(other) =
        live.iter().find(
            |account| match (&account.sam_account_name, &deleted.sam_account_name) {
                (Some(a), Some(b)) => text::same(a, b),
                _ => false,
            },
        )
    {
        format!(
            "its sAMAccountName is taken by {}: the computer was re-created; rejoin the machine to that account (or delete it first)",
            other.dn
        )
    } else {
        return false;
    };
    item.status = Status::Refused;
    item.reason = Some(why);
    true
}

/// A name with no deleted computer but one live computer: restored already (perhaps by a run
/// that stopped before putting back its SPNs). Marks `item` and returns that account.
pub fn already_restored<'a>(
    item: &mut ResetItem,
    name: &NameQuery,
    live: &'a [Account],
) -> Option<&'a Account> {
    let mut computers = live
        .iter()
        .filter(|account| account.is_computer() && name.matches(account));
    let (Some(account), None) = (computers.next(), computers.next()) else {
        return None;
    };
    item.status = Status::Restored;
    item.account = account.sam_account_name.clone();
    item.dn = Some(account.dn.clone());
    item.reason = Some(format!(
        "already restored: it is live at {} (what a restore puts back is checked again)",
        account.dn
    ));
    Some(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::uac::Uac;

    fn deleted(guid: &str, sam: &str, parent: &str) -> Tombstone {
        Tombstone {
            dn: format!(
                "CN={}\\0ADEL:{guid},CN=Deleted Objects,DC=x",
                sam.trim_end_matches('$')
            ),
            sam_account_name: Some(sam.into()),
            uac: Some(Uac(0x1000)),
            name: sam.trim_end_matches('$').into(),
            last_known_parent: Some(parent.into()),
            dns_host_name: None,
            deleted_at: FileTime::from_generalized("20261122091016.0Z"),
        }
    }

    fn name(raw: &str) -> NameQuery {
        NameQuery::parse(raw).unwrap()
    }

    #[test]
    fn one_match_is_planned_back_into_its_parent_or_to() {
        let all = [
            deleted("1", "PC01$", "OU=W,DC=x"),
            deleted("2", "PC02$", "OU=W,DC=x"),
        ];
        for raw in [
            "pc01",
            "PC01$",
            "CN=PC01,OU=W,DC=x",
            "CN=PC01\\0ADEL:1,CN=Deleted Objects,DC=x",
        ] {
            let (item, target) = plan(&name(raw), &all, None, &[]);
            assert_eq!(item.status, Status::Planned, "{raw}");
            assert_eq!(target.unwrap().1, "CN=PC01,OU=W,DC=x");
        }
        let (item, _) = plan(&name("PC01"), &all, Some("OU=Back,DC=x"), &[]);
        assert_eq!(item.restored_to.as_deref(), Some("CN=PC01,OU=Back,DC=x"));
        assert_eq!(item.deleted_at.as_deref(), Some("2026-11-22T09:10:16Z"));
    }

    #[test]
    fn several_deleted_objects_of_one_name_are_listed_not_chosen() {
        let all = [
            deleted("1", "PC01$", "OU=A,DC=x"),
            deleted("2", "PC01$", "OU=B,DC=x"),
        ];
        let (item, target) = plan(&name("PC01"), &all, None, &[]);
        assert_eq!(item.status, Status::Ambiguous);
        assert!(target.is_none());
        let reason = item.reason.unwrap();
        assert!(
            reason.contains("DEL:1") && reason.contains("DEL:2") && reason.contains("from OU=B"),
            "{reason}"
        );
        let (item, _) = plan(&name("nope"), &all, None, &[]);
        assert_eq!(item.status, Status::NotFound);
    }

    #[test]
    fn domain_controllers_are_not_restored_this_way() {
        let mut dc = deleted("1", "DC9$", "OU=Domain Controllers,DC=x");
        dc.uac = Some(Uac(0x82000));
        let all = [dc];
        let (item, target) = plan(&name("DC9"), &all, None, &[]);
        assert_eq!(item.status, Status::Refused);
        assert!(target.is_none());
    }
}
