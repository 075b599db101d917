//! Who can take a computer account over (`ownership`, docs/reference.md "Migration hygiene"):
//! an owner in `nTSecurityDescriptor`, or a creator in `mS-DS-CreatorSID`, that is not an
//! admin. The owner may always rewrite the object's ACL, so reset its password and write its
//! SPNs; under Windows' rejoin hardening (KB5020276) the same owner may reuse the account for a
//! join. And the domain's `ms-DS-MachineAccountQuota`: above 0, any user may create computers
//! (and owns what they create).

use serde::Serialize;

use super::Finding;
use crate::model::account::Account;
use crate::model::security::rid;

/// The domain object's attribute that lets users add computers.
pub const MACHINE_ACCOUNT_QUOTA: &str = "ms-DS-MachineAccountQuota";

/// Why the account can be taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnershipClass {
    /// Its owner is not an admin.
    Owner,
    /// A user created it (`mS-DS-CreatorSID`); its owner is an admin now.
    Creator,
    /// The domain lets any user create computer accounts.
    MachineAccountQuota,
}

impl OwnershipClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnershipClass::Owner => "owner",
            OwnershipClass::Creator => "creator",
            OwnershipClass::MachineAccountQuota => "machine_account_quota",
        }
    }
}

/// Coverage's note on what `ownership` could not judge: owners, when the source holds no
/// `nTSecurityDescriptor` (an export made without it; creators are still judged); the
/// domain's quota, when the source does not show it.
pub fn note(no_owners: bool, no_quota: bool) -> Option<&'static str> {
    match (no_owners, no_quota) {
        (true, true) => Some(
            "the source holds no nTSecurityDescriptor and no domain object with ms-DS-MachineAccountQuota: owners and the quota not judged, only creators (mS-DS-CreatorSID); see docs/reference.md for the export",
        ),
        (true, false) => Some(
            "the source holds no nTSecurityDescriptor: owners not judged, only creators (mS-DS-CreatorSID); see docs/reference.md for the export",
        ),
        (false, true) => Some(
            "the source does not show the domain's ms-DS-MachineAccountQuota: the quota not judged",
        ),
        (false, false) => None,
    }
}

/// Whether an owner or creator is an admin: SYSTEM, BUILTIN\Administrators, a domain's Domain
/// Admins (RID 512) or Enterprise Admins (519), or their SDDL aliases (as ldbsearch writes an
/// owner). Enterprise Admins live in the forest root's domain, so any domain's RID counts.
pub fn is_admin(principal: &str) -> bool {
    matches!(
        principal,
        "S-1-5-18" | "S-1-5-32-544" | "SY" | "BA" | "DA" | "EA"
    ) || (principal.starts_with("S-1-5-21-") && matches!(rid(principal), Some(512 | 519)))
}

/// Whether the check looks at `account`: a computer (disabled ones too: an owner can enable
/// it again).
pub fn examines(account: &Account) -> bool {
    account.is_computer()
}

/// The finding `account` gives, if its owner or creator is not an admin.
pub fn judge(account: &Account) -> Option<Finding> {
    let foreign = |principal: &Option<String>| principal.as_deref().is_some_and(|p| !is_admin(p));
    let class = if foreign(&account.owner) {
        OwnershipClass::Owner
    } else if foreign(&account.creator) {
        OwnershipClass::Creator
    } else {
        return None;
    };
    Some(Finding::Ownership {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        class,
        owner: account.owner.clone(),
        creator: account.creator.clone(),
        owner_name: None,
        creator_name: None,
        quota: None,
    })
}

/// The SIDs the `ownership` findings name (owners and creators; not SDDL aliases), each once:
/// what to ask the DC the names of.
pub fn principals(findings: &[Finding]) -> Vec<String> {
    let mut sids: Vec<String> = findings
        .iter()
        .filter_map(|finding| match finding {
            Finding::Ownership { owner, creator, .. } => Some([owner, creator]),
            _ => None,
        })
        .flatten()
        .flatten()
        .filter(|sid| sid.starts_with("S-"))
        .cloned()
        .collect();
    sids.sort();
    sids.dedup();
    sids
}

/// Names each `ownership` finding's owner and creator from `names` (SID to sAMAccountName).
pub fn name_principals(findings: &mut [Finding], names: &hashbrown::HashMap<String, String>) {
    for finding in findings {
        if let Finding::Ownership {
            owner,
            creator,
            owner_name,
            creator_name,
            ..
        } = finding
        {
            *owner_name = owner.as_ref().and_then(|sid| names.get(sid).cloned());
            *creator_name = creator.as_ref().and_then(|sid| names.get(sid).cloned());
        }
    }
}

/// The domain's finding when `ms-DS-MachineAccountQuota` is above 0.
pub fn quota(domain: &str, quota: i64) -> Option<Finding> {
    (quota > 0).then(|| Finding::Ownership {
        account: None,
        dn: domain.to_string(),
        class: OwnershipClass::MachineAccountQuota,
        owner: None,
        creator: None,
        owner_name: None,
        creator_name: None,
        quota: Some(quota),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_are_the_built_in_groups_and_any_domains_admins() {
        for admin in [
            "S-1-5-18",
            "S-1-5-32-544",
            "S-1-5-21-1-2-3-512",
            "S-1-5-21-9-9-9-519",
            "DA",
        ] {
            assert!(is_admin(admin), "{admin}");
        }
        for user in [
            "S-1-5-21-1-2-3-1105",
            "S-1-5-21-1-2-3-513",
            "S-1-5-11",
            "AO",
            "S-1-5-32-548",
        ] {
            assert!(!is_admin(user), "{user}");
        }
    }

    #[test]
    fn a_users_owner_is_found_before_its_creator() {
        let mut pc = Account::test("PC$");
        assert_eq!(judge(&pc), None);
        pc.owner = Some("S-1-5-21-1-2-3-512".into());
        pc.creator = Some("S-1-5-21-1-2-3-1105".into());
        let Some(Finding::Ownership { class, .. }) = judge(&pc) else {
            panic!("a user's creation is found");
        };
        assert_eq!(class, OwnershipClass::Creator);
        pc.owner = pc.creator.clone();
        let Some(Finding::Ownership { class, owner, .. }) = judge(&pc) else {
            panic!("a user's ownership is found");
        };
        assert_eq!(
            (class, owner.as_deref()),
            (OwnershipClass::Owner, Some("S-1-5-21-1-2-3-1105"))
        );
    }

    #[test]
    fn a_quota_of_zero_is_no_finding() {
        assert_eq!(quota("DC=x", 0), None);
        assert!(quota("DC=x", 10).is_some());
    }
}
