//! `ownership`: who can take a computer account over (a non-admin owner or creator), and a
//! domain where any user may create computers (`ms-DS-MachineAccountQuota` above 0).

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{no_cause, no_cause_kind};
use crate::rules::coverage::Check;

pub static OWNERSHIP: Kind = Kind {
    name: "ownership",
    meaning: "someone who is not an admin can take the computer account over: its owner (who may reset its password, write its SPNs and, under KB5020276, reuse it for a join) or its creator is a user; or the domain lets any user create computers (ms-DS-MachineAccountQuota above 0)",
    severity: Severity::Warning,
    identity: &["dn", "class"],
    classes: &["owner", "creator", "machine_account_quota"],
    title: "Ownership (who can take a computer account over)",
    columns: &["Account", "Class", "Owner", "Creator or quota"],
    remediation: "owner or creator: make Domain Admins the owner (ADUC, Security, Advanced, Owner; or Set-Acl) unless that user should manage the machine, and rejoin it only as an admin or an account on the KB5020276 allow list; machine_account_quota: Set-ADDomain -Identity <domain> -Replace @{'ms-DS-MachineAccountQuota'=0} and delegate \"Create computer objects\" on the OUs where joins are done",
    needs: Some(Needs {
        on_object: &[Attr::ObjectClass],
        // Judged where an object carries its owner; a source that holds none gets a note
        // (`takeover::NO_OWNERS`), one that holds some a gap for each object without.
        in_source: &[],
        reads: &[Attr::SecurityDescriptor, Attr::CreatorSid],
        every_object: false,
        commands: &[],
        aliases: &["owner"],
    }),
    fields: &[
        "account",
        "dn",
        "class",
        "owner",
        "owner_name",
        "creator",
        "creator_name",
        "quota",
    ],
    cells,
    field,
    cause: no_cause,
    cause_kind: no_cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::Ownership {
        account,
        dn,
        class,
        owner,
        creator,
        owner_name,
        creator_name,
        quota,
    } = finding
    else {
        return Vec::new();
    };
    let last = match quota {
        Some(quota) => Cow::Owned(format!("quota {quota}")),
        None => named(creator, creator_name),
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(class.as_str()),
        Text::One(named(owner, owner_name)),
        Text::One(last),
    ]
}

/// A principal as a table shows it: `name (SID)` where the DC named it, the SID, or `-`.
fn named<'a>(sid: &'a Option<String>, name: &Option<String>) -> Cow<'a, str> {
    match (sid, name) {
        (Some(sid), Some(name)) => Cow::Owned(format!("{name} ({sid})")),
        (Some(sid), None) => Cow::Borrowed(sid),
        (None, _) => Cow::Borrowed("-"),
    }
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::Ownership {
        account,
        dn,
        class,
        owner,
        creator,
        owner_name,
        creator_name,
        quota,
    } = finding
    else {
        return None;
    };
    match name {
        "class" => Some(Cow::Borrowed(class.as_str())),
        "owner" => owner.as_deref().map(Cow::Borrowed),
        "creator" => creator.as_deref().map(Cow::Borrowed),
        "owner_name" => owner_name.as_deref().map(Cow::Borrowed),
        "creator_name" => creator_name.as_deref().map(Cow::Borrowed),
        "quota" => quota.map(|quota| Cow::Owned(quota.to_string())),
        other => account_field(account, dn, other),
    }
}

impl Check {
    pub const OWNERSHIP: Check = Check(&OWNERSHIP);
}
