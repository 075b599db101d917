//! SPN repair planning (docs/reference.md, "spn fix"), pure: per computer, add its missing
//! SPNs and replace stale ones by their replacement; with dedupe, remove a duplicate from the
//! computers that do not own its host name when exactly one holder does and every holder is a
//! computer. An addition another object already holds (directly or through an `sPNMappings`
//! alias) is never planned: it is reported as a conflict. SPNs are built only from valid host
//! names: a hostile `dNSHostName` yields a note, never an SPN.

use serde::Serialize;

use crate::model::account::Account;
use crate::model::rights::Right;
use crate::model::security::Ace;
use crate::model::spn::{Spn, SpnAliases, invalid_spn, same_host};
use crate::model::text;
use crate::rules::access_check::{Access, access};
use crate::rules::{Finding, SpnIndex, SpnSettings, review_spns};

/// An addition that was not planned because others hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub spn: String,
    /// `account (its SPN)` of each other holder.
    pub held_by: Vec<String>,
}

/// The planned change of one object's SPNs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpnChange {
    pub account: Option<String>,
    pub dn: String,
    #[serde(skip)]
    pub spns_before: Vec<String>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub conflicts: Vec<Conflict>,
    /// Why something the rules want is not planned (an invalid host name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the DC will refuse this change (the bound account lacks the right): not sent.
    #[serde(skip)]
    pub blocked: Option<String>,
}

impl SpnChange {
    pub fn new(account: &Account) -> SpnChange {
        SpnChange {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            spns_before: account.spns.clone(),
            add: Vec::new(),
            remove: Vec::new(),
            conflicts: Vec::new(),
            notes: Vec::new(),
            blocked: None,
        }
    }

    /// Whether there is anything to write.
    pub fn writes(&self) -> bool {
        !self.add.is_empty() || !self.remove.is_empty()
    }

    /// Just before writing: every addition another object among `holders` holds now (the same
    /// SPN or a form the DC counts against it) moves from `add` to `conflicts`.
    pub fn hold_back_taken(&mut self, holders: &[Account], aliases: &SpnAliases) {
        for holder in holders.iter().filter(|holder| holder.dn != self.dn) {
            for held in &holder.spns {
                let label = format!("{} ({held})", holder.label());
                for spn in self.add.iter().filter(|spn| aliases.collide(spn, held)) {
                    match self.conflicts.iter_mut().find(|c| text::same(&c.spn, spn)) {
                        Some(conflict) => conflict.held_by.push(label.clone()),
                        None => self.conflicts.push(Conflict {
                            spn: spn.clone(),
                            held_by: vec![label.clone()],
                        }),
                    }
                }
            }
        }
        let conflicts = &self.conflicts;
        self.add
            .retain(|spn| !conflicts.iter().any(|c| text::same(&c.spn, spn)));
    }
}

/// Whether `list` holds `spn`, as the directory compares them.
pub fn contains(list: &[String], spn: &str) -> bool {
    list.iter().any(|held| text::same(held, spn))
}

/// What `spn fix` should do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixSettings {
    pub rules: SpnSettings,
    pub dedupe: bool,
}

/// A hint for each named computer the rules leave alone because it is disabled.
pub fn disabled_left_alone(settings: &FixSettings, scope: &[&Account]) -> Vec<String> {
    if settings.rules.include_disabled {
        return Vec::new();
    }
    scope
        .iter()
        .filter(|a| a.is_computer() && a.is_disabled() == Some(true))
        .map(|account| {
            let name = account.label();
            format!("{name}: disabled, left alone: add --include-disabled to plan its SPNs")
        })
        .collect()
}

/// The plan: one change per object with something to do or to report, and the duplicates no
/// rule can settle (left for a person, each with the reason).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<SpnChange>,
    pub unresolved_duplicates: Vec<(Finding, String)>,
}

/// Why `spn fix` may not change `account`'s SPNs, or `None` when it may. It changes computer
/// accounts only (never users, managed service accounts, krbtgt or an admin), and never the
/// SPNs of a domain controller, a read-only DC or a trust account, which the DCs' own
/// services and replication depend on. `undo` holds a journal to the same rule.
pub fn refusal(account: &Account) -> Option<&'static str> {
    if !account.is_computer() {
        return Some("not a computer account: spn fix changes computers only");
    }
    let Some(uac) = account.uac else {
        return Some("its userAccountControl is unknown");
    };
    if uac.is_domain_controller() {
        Some("a domain controller: its SPNs are its own services' (left as they are)")
    } else if uac.is_read_only_dc() {
        Some("a read-only domain controller: its SPNs are its own services' (left as they are)")
    } else if uac.is_trust_account() {
        Some("a trust account: not a computer's SPNs")
    } else {
        None
    }
}

/// Plans the repairs of `in_scope` accounts. `all` and `index` cover the whole domain: they
/// decide conflicts and who owns a duplicated name, even when only some accounts may change.
pub fn plan(
    all: &[Account],
    in_scope: &[&Account],
    index: &SpnIndex,
    settings: &FixSettings,
) -> Plan {
    let mut plan = Plan::default();
    for account in in_scope.iter().filter(|a| settings.rules.examines(a)) {
        let mut change = SpnChange::new(account);
        let review = review_spns(account, &settings.rules);
        if let Some(why) = refusal(account) {
            if !review.missing.is_empty() || !review.stale.is_empty() {
                change.notes.push(format!("left as it is: {why}"));
                plan.changes.push(change);
            }
            continue;
        }
        for invalid in &review.invalid {
            change.notes.push(format!(
                "no SPN on its {}: not a valid host name ({})",
                invalid.attribute, invalid.reason
            ));
        }
        for (stale, replacement) in review.stale {
            if let Some(why) = replacement.as_deref().and_then(invalid_spn) {
                change.notes.push(format!(
                    "{stale} left as it is: its replacement would not be a valid SPN ({why})"
                ));
                continue;
            }
            change.remove.push(stale);
            if let Some(replacement) = replacement {
                propose(&mut change, replacement, index);
            }
        }
        for missing in review.missing {
            propose(&mut change, missing, index);
        }
        plan.changes.push(change);
    }
    if settings.dedupe {
        dedupe(&mut plan, all, in_scope, index);
    }
    plan.changes.retain(|change| {
        change.writes() || !change.conflicts.is_empty() || !change.notes.is_empty()
    });
    plan
}

/// Plans adding `spn` to the change's account unless it holds it already, it is planned, or
/// another object holds it.
fn propose(change: &mut SpnChange, spn: String, index: &SpnIndex) {
    if contains(&change.add, &spn)
        || (contains(&change.spns_before, &spn) && !contains(&change.remove, &spn))
    {
        return;
    }
    let others: Vec<String> = index
        .holders_of(&spn)
        .into_iter()
        .filter(|holder| holder.dn != change.dn)
        .map(|holder| format!("{} ({})", holder.label(), holder.spn))
        .collect();
    if others.is_empty() {
        change.add.push(spn);
    } else {
        change.conflicts.push(Conflict {
            spn,
            held_by: others,
        });
    }
}

/// Why the DC will refuse `change` to `account` for the bound account whose token is
/// `token`, from the object's DACL, or `None` when it will not (or the DACL or token could
/// not be read: then the DC decides). *Write servicePrincipalName* allows any change;
/// *Validated write to service principal name* allows removals and additions on the
/// computer's own names (its sAMAccountName, dNSHostName and additional DNS names) only.
pub fn right_refusal(
    change: &SpnChange,
    account: &Account,
    dacl: Option<&[Ace]>,
    token: Option<&[String]>,
) -> Option<String> {
    let (dacl, token) = (dacl?, token?);
    let write = access(dacl, token, Right::WriteSpn);
    if write == Access::Granted {
        return None;
    }
    let own_names_only = change.add.iter().all(|spn| {
        Spn::parse(spn).is_some_and(|spn| spn.port.is_none() && owns(account, spn.bare_host()))
    });
    let validated = access(dacl, token, Right::ValidatedSpn);
    if own_names_only && validated == Access::Granted {
        return None;
    }
    let missing = if validated == Access::Granted {
        format!(
            "{} (its additions are not all on the computer's own names, which is all {} allows)",
            Right::WriteSpn.name(),
            Right::ValidatedSpn.name()
        )
    } else {
        format!(
            "{} or {}",
            Right::ValidatedSpn.name(),
            Right::WriteSpn.name()
        )
    };
    let how = if write == Access::Denied || validated == Access::Denied {
        "is denied"
    } else {
        "lacks"
    };
    Some(format!(
        "not sent: the bound account {how} {missing} on this object: the DC would refuse it"
    ))
}

/// Whether `account` owns `host`: its short name, DNS name or an additional DNS name.
fn owns(account: &Account, host: &str) -> bool {
    account
        .short_name()
        .is_some_and(|short| same_host(host, short))
        || account
            .dns_host_name
            .as_deref()
            .is_some_and(|fqdn| same_host(host, fqdn))
        || account
            .additional_dns_host_names
            .iter()
            .any(|extra| same_host(host, extra))
}

fn dedupe(plan: &mut Plan, all: &[Account], in_scope: &[&Account], index: &SpnIndex) {
    let by_dn: hashbrown::HashMap<&str, &Account> = all
        .iter()
        .map(|account| (account.dn.as_str(), account))
        .collect();
    for finding in index.duplicates() {
        let Finding::DuplicateSpn { holders, .. } = &finding else {
            continue;
        };
        // `spn fix NAME` is about NAME: duplicates none of the named accounts holds are not
        // listed, not even as left for a person.
        if !holders
            .iter()
            .any(|holder| in_scope.iter().any(|account| account.dn == holder.dn))
        {
            continue;
        }
        if let Some(holder) = holders
            .iter()
            .find(|holder| holder.kind.is_none_or(|kind| kind.is_service_account()))
        {
            let why = format!(
                "{} holds it: which account runs a service is not in the directory",
                holder.label()
            );
            plan.unresolved_duplicates.push((finding.clone(), why));
            continue;
        }
        let owners: Vec<&str> = holders
            .iter()
            .filter(|holder| {
                let host = Spn::parse(&holder.spn).map_or("", |spn| spn.host);
                by_dn
                    .get(holder.dn.as_str())
                    .is_some_and(|account| owns(account, host))
            })
            .map(|holder| holder.dn.as_str())
            .collect();
        let distinct_owner = owners
            .first()
            .filter(|first| owners.iter().all(|dn| dn == *first));
        let Some(owner) = distinct_owner else {
            let why = if owners.is_empty() {
                "no holder's name is the SPN's host"
            } else {
                "several holders own the SPN's host"
            };
            plan.unresolved_duplicates
                .push((finding.clone(), why.into()));
            continue;
        };
        let refused = holders
            .iter()
            .filter(|h| h.dn != *owner)
            .filter_map(|h| in_scope.iter().find(|a| a.dn == h.dn))
            .find_map(|account| refusal(account).map(|why| (account.label(), why)));
        if let Some((label, why)) = refused {
            plan.unresolved_duplicates
                .push((finding.clone(), format!("{label} holds it: {why}")));
            continue;
        }
        for holder in holders.iter().filter(|h| h.dn != *owner) {
            let Some(account) = in_scope.iter().find(|a| a.dn == holder.dn) else {
                continue; // outside the NAMEs given: not ours to change
            };
            let index_of = plan.changes.iter().position(|c| c.dn == account.dn);
            let change = match index_of {
                Some(index) => &mut plan.changes[index],
                None => {
                    plan.changes.push(SpnChange::new(account));
                    plan.changes.last_mut().expect("just pushed")
                }
            };
            if !contains(&change.remove, &holder.spn) {
                change.remove.push(holder.spn.clone());
                let keeper = holders
                    .iter()
                    .find(|h| h.dn == *owner)
                    .map_or(*owner, |h| h.label());
                change.notes.push(format!(
                    "undo cannot put {} back while {keeper} holds it: the DC refuses a duplicate SPN",
                    holder.spn
                ));
            }
        }
    }
}

/// What became of a planned change (`spn fix`, `undo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Planned,
    Applied,
    Skipped,
    Failed,
    /// The DC's answer was lost: `undo` settles it by reading the object.
    Unknown,
    /// Already back in its old state (`undo`).
    Reverted,
    /// Already as planned: another writer made the same change meanwhile.
    Unchanged,
}

/// One `spn_change` finding (docs/reference.md, "JSON"): a change and what became of it.
#[derive(Debug, Serialize)]
pub struct ChangeItem {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub dn: String,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub conflicts: Vec<Conflict>,
    pub status: ChangeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ChangeItem {
    pub fn from_change(change: SpnChange, status: ChangeStatus) -> ChangeItem {
        let reason = (!change.notes.is_empty()).then(|| change.notes.join("; "));
        ChangeItem {
            kind: "spn_change",
            account: change.account,
            dn: change.dn,
            add: change.add,
            remove: change.remove,
            conflicts: change.conflicts,
            status,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::account::AccountKind;
    use crate::rules::SpnTexts;

    fn account(sam: &str, kind: AccountKind, dns: Option<&str>, spns: &[&str]) -> Account {
        Account {
            kind: Some(kind),
            dns_host_name: dns.map(Into::into),
            spns: spns.iter().map(|s| s.to_string()).collect(),
            ..Account::test(sam)
        }
    }

    fn plan_for(accounts: &[Account], dedupe: bool) -> Plan {
        let mut index = SpnIndex::new(SpnAliases::default());
        accounts
            .iter()
            .for_each(|a| index.add(a, true, SpnTexts::Kept));
        index.prepare();
        let scope: Vec<&Account> = accounts.iter().collect();
        let settings = FixSettings {
            rules: SpnSettings::default(),
            dedupe,
        };
        plan(accounts, &scope, &index, &settings)
    }

    /// The plan for one computer `PC$` named `pc.x.test`, holding `spns`.
    fn pc_plan(spns: &[&str]) -> Plan {
        plan_for(
            &[account(
                "PC$",
                AccountKind::Computer,
                Some("pc.x.test"),
                spns,
            )],
            false,
        )
    }

    const FULL: [&str; 4] = [
        "HOST/PC",
        "HOST/pc.x.test",
        "RestrictedKrbHost/PC",
        "RestrictedKrbHost/pc.x.test",
    ];

    #[test]
    fn no_dns_host_name_plans_only_short_names() {
        let plan = plan_for(&[account("PC$", AccountKind::Computer, None, &[])], false);
        assert_eq!(plan.changes[0].add, ["HOST/PC", "RestrictedKrbHost/PC"]);
        assert!(plan.changes[0].remove.is_empty());
    }

    #[test]
    fn healthy_computers_need_nothing() {
        let plan = plan_for(
            &[account(
                "PC$",
                AccountKind::Computer,
                Some("pc.x.test"),
                &FULL,
            )],
            true,
        );
        assert_eq!(plan, Plan::default());
    }

    #[test]
    fn stale_spns_with_ports_and_names_are_replaced_on_the_new_name() {
        let spns = [
            &FULL[..],
            &["MSSQLSvc/pc.old.test:1433", "ldap/pc.old.test/old.test"],
        ]
        .concat();
        let plan = pc_plan(&spns);
        let change = &plan.changes[0];
        assert_eq!(
            change.remove,
            ["MSSQLSvc/pc.old.test:1433", "ldap/pc.old.test/old.test"]
        );
        assert_eq!(
            change.add,
            ["MSSQLSvc/pc.x.test:1433", "ldap/pc.x.test/old.test"]
        );
    }

    #[test]
    fn hostile_parts_of_a_stale_spn_are_never_written() {
        for hostile in [
            "HTTP\u{1b}[31m/pc.old.test",
            "HOST/pc.old.test/\u{1b}]0;x\u{7}",
            "HOST/pc.old.test:99999",
        ] {
            let plan = pc_plan(&[&FULL[..], &[hostile]].concat());
            let change = &plan.changes[0];
            assert!(!change.writes(), "{hostile:?}: {change:?}");
            assert!(
                change.notes[0].contains("not be a valid SPN"),
                "{:?}",
                change.notes
            );
        }
    }

    #[test]
    fn the_plan_knows_which_spn_right_a_change_needs() {
        use crate::model::rights::SPN_ATTRIBUTE;
        use crate::model::security::{Ace, AceKind};
        const ME: &str = "S-1-5-21-1-2-3-1105";
        let ace = |mask: u32| Ace {
            kind: AceKind::Allow,
            sid: ME.into(),
            mask,
            object_type: Some(SPN_ATTRIBUTE.into()),
            inherit_only: false,
        };
        let token = vec![ME.to_string()];
        let pc = account("PC$", AccountKind::Computer, Some("pc.x.test"), &[]);
        let own = SpnChange {
            add: vec!["HOST/PC".into(), "RestrictedKrbHost/pc.x.test".into()],
            ..SpnChange::new(&pc)
        };
        let alias = SpnChange {
            add: vec!["HTTP/intranet.x.test".into()],
            ..SpnChange::new(&pc)
        };
        let validated = [ace(0x08)];
        let write = [ace(0x20)];
        let judge =
            |change: &SpnChange, dacl: &[Ace]| right_refusal(change, &pc, Some(dacl), Some(&token));
        assert_eq!(judge(&own, &validated), None);
        assert!(judge(&alias, &validated).is_some_and(|why| why.contains("own names")));
        assert_eq!(judge(&alias, &write), None);
        assert!(judge(&own, &[]).is_some_and(|why| why.contains("lacks")));
        assert_eq!(
            right_refusal(&own, &pc, None, Some(&token)),
            None,
            "an unreadable DACL: the DC decides"
        );
    }

    #[test]
    fn domain_controllers_and_trusts_are_never_changed() {
        use crate::model::uac::Uac;
        for flags in [
            Uac::SERVER_TRUST_ACCOUNT,
            Uac::WORKSTATION_TRUST_ACCOUNT | Uac::PARTIAL_SECRETS_ACCOUNT,
            Uac::INTERDOMAIN_TRUST_ACCOUNT,
        ] {
            let dc = Account {
                uac: Some(Uac(flags)),
                ..account("DC$", AccountKind::Computer, Some("dc.x.test"), &[])
            };
            let plan = plan_for(&[dc], false);
            assert_eq!(plan.changes.len(), 1, "{flags:#x}");
            assert!(!plan.changes[0].writes(), "{flags:#x}");
            assert!(plan.changes[0].notes[0].starts_with("left as it is"));
        }
        let dc = Account {
            uac: Some(Uac(Uac::SERVER_TRUST_ACCOUNT)),
            ..account(
                "DC$",
                AccountKind::Computer,
                Some("dc.x.test"),
                &["HOST/pc"],
            )
        };
        let pc = account("PC$", AccountKind::Computer, Some("pc.x.test"), &FULL);
        let plan = plan_for(&[dc, pc], true);
        assert!(
            plan.changes.iter().all(|change| !change.writes()),
            "{plan:?}"
        );
        assert!(
            plan.unresolved_duplicates[0]
                .1
                .contains("a domain controller"),
            "{:?}",
            plan.unresolved_duplicates
        );
    }

    #[test]
    fn a_stale_spn_whose_replacement_exists_is_only_removed() {
        let spns = [&FULL[..], &["HOST/pc.old.test"]].concat();
        let plan = pc_plan(&spns);
        assert_eq!(plan.changes[0].remove, ["HOST/pc.old.test"]);
        assert!(
            plan.changes[0].add.is_empty(),
            "HOST/pc.x.test is already there"
        );
    }

    #[test]
    fn an_addition_held_elsewhere_is_a_conflict_through_aliases_too() {
        let pc = account("PC$", AccountKind::Computer, Some("pc.x.test"), &FULL[..3]);
        let svc = account(
            "svc",
            AccountKind::User,
            None,
            &["RestrictedKrbHost/PC.X.TEST"],
        );
        let plan = plan_for(&[pc.clone(), svc], false);
        assert!(plan.changes[0].add.is_empty());
        assert_eq!(
            plan.changes[0].conflicts[0].spn,
            "RestrictedKrbHost/pc.x.test"
        );
        assert_eq!(
            plan.changes[0].conflicts[0].held_by,
            ["svc (RestrictedKrbHost/PC.X.TEST)"]
        );
        let web = account("WEB$", AccountKind::Computer, None, &["HTTP/PC"]);
        let bare = account(
            "PC$",
            AccountKind::Computer,
            None,
            &["RestrictedKrbHost/PC"],
        );
        let plan = plan_for(&[bare, web], false);
        assert_eq!(
            plan.changes[0].conflicts[0].spn, "HOST/PC",
            "http/ is an alias of HOST/"
        );
    }

    #[test]
    fn dedupe_removes_from_holders_that_do_not_own_the_name() {
        let owner = account(
            "A$",
            AccountKind::Computer,
            Some("a.x.test"),
            &[
                "HOST/A",
                "HOST/a.x.test",
                "RestrictedKrbHost/A",
                "RestrictedKrbHost/a.x.test",
            ],
        );
        let other = account(
            "B$",
            AccountKind::Computer,
            Some("b.x.test"),
            &[
                "HOST/B",
                "HOST/b.x.test",
                "RestrictedKrbHost/B",
                "RestrictedKrbHost/b.x.test",
                "host/A.X.TEST",
            ],
        );
        let files = account(
            "F$",
            AccountKind::Computer,
            Some("f.x.test"),
            &[
                "HOST/F",
                "HOST/f.x.test",
                "RestrictedKrbHost/F",
                "RestrictedKrbHost/f.x.test",
                "HOST/files.x.test",
            ],
        );
        let svc = account("svc", AccountKind::User, None, &["cifs/files.x.test"]);
        let all = [owner, other, files, svc];
        let plan = plan_for(&all, true);
        assert_eq!(plan.changes.len(), 1);
        assert_eq!(plan.changes[0].account.as_deref(), Some("B$"));
        assert_eq!(plan.changes[0].remove, ["host/A.X.TEST"]);
        assert_eq!(plan.unresolved_duplicates.len(), 1);
        assert!(
            plan.unresolved_duplicates[0].1.contains("svc holds it"),
            "a user holds cifs/files: left for a person"
        );
        // `spn fix B$ --dedupe` is about B$ alone: F$'s duplicate with svc is not its to list.
        let mut index = SpnIndex::new(SpnAliases::default());
        all.iter().for_each(|a| index.add(a, true, SpnTexts::Kept));
        index.prepare();
        let settings = FixSettings {
            rules: SpnSettings::default(),
            dedupe: true,
        };
        let only_b = super::plan(&all, &[&all[1]], &index, &settings);
        assert_eq!(only_b.changes.len(), 1);
        assert!(
            only_b.unresolved_duplicates.is_empty(),
            "{:?}",
            only_b.unresolved_duplicates
        );
    }

    #[test]
    fn service_account_spns_are_left_for_a_person() {
        let sql = account(
            "SQL01$",
            AccountKind::Computer,
            Some("sql01.x.test"),
            &[&FULL_SQL[..], &["MSSQLSvc/sql01.x.test:1433"]].concat(),
        );
        let svc = account(
            "svc_sql",
            AccountKind::User,
            None,
            &["MSSQLSvc/sql01.x.test:1433"],
        );
        let plan = plan_for(&[sql, svc], true);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        assert!(plan.unresolved_duplicates[0].1.contains("svc_sql"));
    }

    const FULL_SQL: [&str; 4] = [
        "HOST/SQL01",
        "HOST/sql01.x.test",
        "RestrictedKrbHost/SQL01",
        "RestrictedKrbHost/sql01.x.test",
    ];

    #[test]
    fn hostile_host_names_make_no_spn() {
        let evil = account(
            "ANSI01$",
            AccountKind::Computer,
            Some("ansi01\u{1b}]0;PWNED\u{7}.x.test"),
            &[],
        );
        let plan = plan_for(&[evil], false);
        // The short name is a host name: its SPNs are planned; nothing names the DNS name.
        assert_eq!(
            plan.changes[0].add,
            ["HOST/ANSI01", "RestrictedKrbHost/ANSI01"]
        );
        assert!(
            plan.changes[0].notes[0].contains("dNSHostName")
                && plan.changes[0].notes[0].contains("U+001B"),
            "{:?}",
            plan.changes[0].notes
        );
        let evil_short = account("BAD NAME$", AccountKind::Computer, Some("bad.x.test"), &[]);
        let plan = plan_for(&[evil_short], false);
        assert!(plan.changes[0].add.is_empty(), "{:?}", plan.changes[0].add);
        assert!(plan.changes[0].notes[0].contains("sAMAccountName"));
    }

    #[test]
    fn a_duplicate_within_one_object_is_left_alone() {
        let pc = account(
            "PC$",
            AccountKind::Computer,
            Some("pc.x.test"),
            &[&FULL[..], &["host/PC"]].concat(),
        );
        assert_eq!(plan_for(&[pc], true), Plan::default());
    }

    #[test]
    fn additions_taken_meanwhile_are_held_back_with_their_holders() {
        let pc = account("PC$", AccountKind::Computer, Some("pc.x.test"), &[]);
        let mut change = SpnChange::new(&pc);
        change.add = vec![
            "HOST/pc".into(),
            "HOST/pc.x.test".into(),
            "TERMSRV/pc".into(),
        ];
        let holders = [
            // The object itself is never a conflict.
            account("PC$", AccountKind::Computer, None, &["TERMSRV/PC"]),
            account("OLD$", AccountKind::Computer, None, &["host/PC"]),
            account(
                "svc",
                AccountKind::User,
                None,
                &["HOST/pc", "HOST/PC.X.TEST"],
            ),
        ];
        let holders: Vec<Account> = holders
            .into_iter()
            .enumerate()
            .map(|(i, mut a)| {
                if i > 0 {
                    a.dn = format!("CN={},DC=x", a.label());
                }
                a
            })
            .collect();
        change.hold_back_taken(&holders, &SpnAliases::default());
        assert_eq!(change.add, ["TERMSRV/pc"]);
        assert_eq!(change.conflicts.len(), 2);
        assert_eq!(
            change.conflicts[0].held_by,
            ["OLD$ (host/PC)", "svc (HOST/pc)"]
        );
        assert_eq!(change.conflicts[1].held_by, ["svc (HOST/PC.X.TEST)"]);
    }
}
