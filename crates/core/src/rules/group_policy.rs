//! Rotation policy (docs/reference.md, "Rotation policy"): the Netlogon options that stop
//! machine-password changes, resolved for each container of computers as Group Policy applies
//! them — links from the domain down to the nearest OU, each container's links in link order,
//! disabled links and GPOs whose computer settings are disabled skipped, inheritance blocked
//! below an OU that blocks it except for enforced links, which apply last and win from the top.
//! Security and WMI filters are not evaluated. Then the rotation-policy findings (per GPO and
//! class) and the stale passwords they explain (`rotation_suppressed`).

use hashbrown::HashMap;
use serde::Serialize;

use super::{Audit, AuditSettings, Finding, StaleClass, sort_findings};
use crate::model::dn::NormalDn;
use crate::model::gpo::{GpLink, Gpo, NetlogonOptions, parse_gplink};

/// A container that links GPOs or blocks inheritance (the domain head, an OU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub dn: String,
    pub links: Vec<GpLink>,
    /// `gPOptions` 1: links from above do not apply below, except enforced ones.
    pub blocks_inheritance: bool,
}

impl Container {
    /// A container from its `gPLink` and `gPOptions` values. Absent, each is AD's default (no
    /// links; inheritance not blocked); a value that does not parse is an error naming it,
    /// never read as "no links" or "not blocked".
    pub fn read(
        dn: &str,
        gp_link: Option<&str>,
        gp_options: Option<&str>,
    ) -> Result<Container, String> {
        let links = match gp_link {
            Some(text) => parse_gplink(text).map_err(|why| format!("{dn}: gPLink: {why}"))?,
            None => Vec::new(),
        };
        let options: u32 = match gp_options {
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("{dn}: gPOptions {text:?} is not a number"))?,
            None => 0,
        };
        Ok(Container {
            dn: dn.to_string(),
            links,
            blocks_inheritance: options & 1 != 0,
        })
    }
}

/// What is known of the domain's Group Policy.
#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub containers: Vec<Container>,
    pub gpos: Vec<Gpo>,
    /// Each GPO's Netlogon options by its index in `gpos`, or why its `GptTmpl.inf` could not
    /// be read (a GPO without one sets none: `Ok(default)`).
    pub templates: Vec<Result<NetlogonOptions, String>>,
    /// What could not be read of it (a `gPLink` that does not parse).
    pub warnings: Vec<String>,
}

/// One effective option and the GPO (index in `Policies::gpos`) that set it.
pub type SetBy<T> = Option<(T, usize)>;

/// The options in force in one container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effective {
    pub refuse_password_change: SetBy<bool>,
    pub disable_password_change: SetBy<bool>,
    pub maximum_password_age: SetBy<u32>,
}

/// The computers of one container, as the scan saw them (their sAMAccountNames).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Members {
    pub computers: Names,
    pub domain_controllers: Names,
}

/// Names kept end to end in one string: a million computers' names are one allocation (and
/// its growth), not a million.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    text: String,
    ends: Vec<usize>,
}

impl Names {
    pub fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len());
    }

    pub fn append(&mut self, other: &Names) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| offset + end));
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, end)| &self.text[start..*end])
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl<'a> FromIterator<&'a str> for Names {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> Names {
        let mut all = Names::default();
        names.into_iter().for_each(|name| all.push(name));
        all
    }
}

/// Why a computer's machine password does not rotate, or rotates late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyClass {
    /// DCs refuse machine-password changes.
    DcsRefuseChanges,
    /// Members never change their password (changes disabled, or maximum age 0).
    MembersNeverRotate,
    /// Members change it after more than 30 days.
    LongMaxAge,
}

impl PolicyClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyClass::DcsRefuseChanges => "dcs_refuse_changes",
            PolicyClass::MembersNeverRotate => "members_never_rotate",
            PolicyClass::LongMaxAge => "long_max_age",
        }
    }
}

/// The GPO a finding names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpoRef {
    pub name: Option<String>,
    pub guid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `whenChanged`: unchanged since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// The default maximum machine-password age, in days.
pub const DEFAULT_MAXIMUM_AGE: u32 = 30;

impl Policies {
    fn gpo_index(&self, dn: &str) -> Option<usize> {
        self.gpos.iter().position(|gpo| gpo.is(dn))
    }

    /// The options in force in the container `dn` (a computer's parent), and the GPOs whose
    /// templates could not be read although they apply there.
    pub fn effective(&self, dn: &str) -> (Effective, Vec<usize>) {
        let Some(target) = NormalDn::parse(dn) else {
            return (Effective::default(), Vec::new());
        };
        // The containers above (or at) it, nearest first: ancestors nest, so the longer
        // normalized DN is the nearer.
        let mut chain: Vec<(usize, &Container)> = self
            .containers
            .iter()
            .filter_map(|container| {
                let normal = NormalDn::parse(&container.dn)?;
                target
                    .is_under(&normal)
                    .then(|| (normal.key().len(), container))
            })
            .collect();
        chain.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
        let chain = chain.into_iter().map(|(_, container)| container);
        let mut inherit = true;
        let mut normal: Vec<Vec<&GpLink>> = Vec::new();
        let mut enforced: Vec<Vec<&GpLink>> = Vec::new();
        for container in chain {
            let usable = |link: &&GpLink| !link.disabled && (inherit || link.enforced);
            let links: Vec<&GpLink> = container.links.iter().filter(usable).collect();
            normal.push(links.iter().copied().filter(|l| !l.enforced).collect());
            enforced.push(links.into_iter().filter(|l| l.enforced).collect());
            if container.blocks_inheritance {
                inherit = false;
            }
        }
        // Applied first to last: normal links from the top down, then enforced ones from the
        // bottom up; within a container in gPLink order (its last link has link order 1).
        let order = normal.iter().rev().chain(enforced.iter()).flatten();
        let mut effective = Effective::default();
        let mut unread = Vec::new();
        for link in order {
            let Some(index) = self.gpo_index(&link.gpo_dn) else {
                continue;
            };
            if !self.gpos[index].computer_settings_enabled() {
                continue;
            }
            match &self.templates[index] {
                Ok(options) => {
                    let set = |value: Option<bool>| value.map(|value| (value, index));
                    if let Some(value) = set(options.refuse_password_change) {
                        effective.refuse_password_change = Some(value);
                    }
                    if let Some(value) = set(options.disable_password_change) {
                        effective.disable_password_change = Some(value);
                    }
                    if let Some(age) = options.maximum_password_age {
                        effective.maximum_password_age = Some((age, index));
                    }
                }
                Err(_) => unread.push(index),
            }
        }
        (effective, unread)
    }

    /// Links that name a GPO the domain does not have: (container, GPO DN).
    pub fn dangling_links(&self) -> Vec<(&str, &str)> {
        self.containers
            .iter()
            .flat_map(|c| c.links.iter().map(move |link| (c.dn.as_str(), link)))
            .filter(|(_, link)| self.gpo_index(&link.gpo_dn).is_none())
            .map(|(dn, link)| (dn, link.gpo_dn.as_str()))
            .collect()
    }

    fn gpo_ref(&self, index: usize) -> GpoRef {
        let gpo = &self.gpos[index];
        GpoRef {
            name: gpo.name.clone(),
            guid: gpo.guid.clone(),
            path: gpo.file_sys_path.clone(),
            changed: gpo.when_changed.clone(),
            version: gpo.version,
        }
    }

    /// Where the GPO is linked (enabled links).
    fn linked_to(&self, index: usize) -> Vec<String> {
        self.containers
            .iter()
            .filter(|c| {
                c.links
                    .iter()
                    .any(|link| !link.disabled && self.gpos[index].is(&link.gpo_dn))
            })
            .map(|c| c.dn.clone())
            .collect()
    }
}

/// The class a container's effective options give its members (DCs: `dcs`), and the GPO that
/// decided it.
pub fn classify(effective: &Effective, dcs: bool) -> Option<(PolicyClass, usize)> {
    if dcs {
        return match effective.refuse_password_change {
            Some((true, gpo)) => Some((PolicyClass::DcsRefuseChanges, gpo)),
            _ => None,
        };
    }
    if let Some((true, gpo)) = effective.disable_password_change {
        return Some((PolicyClass::MembersNeverRotate, gpo));
    }
    match effective.maximum_password_age {
        Some((0, gpo)) => Some((PolicyClass::MembersNeverRotate, gpo)),
        Some((age, gpo)) if age > DEFAULT_MAXIMUM_AGE => Some((PolicyClass::LongMaxAge, gpo)),
        _ => None,
    }
}

/// What the policy check found: the findings, the computers whose passwords it stops from
/// rotating (by DN, with the GPO's name), and why some containers could not be judged.
pub struct PolicyAudit {
    pub findings: Vec<Finding>,
    pub never_rotate: HashMap<String, String>,
    /// The computers under a maximum age above the default, with that age in days.
    pub long_age: HashMap<String, u32>,
    pub unread: Vec<String>,
}

/// The rotation-policy findings for the computers of each container (`members`, by the
/// container's DN): one per GPO and class, with every container it covers.
pub fn audit(policies: &Policies, members: &HashMap<String, Members>) -> PolicyAudit {
    let mut groups: Vec<((usize, PolicyClass), Vec<String>)> = Vec::new();
    let mut never_rotate = HashMap::new();
    let mut long_age = HashMap::new();
    let mut unread = Vec::new();
    let mut containers: Vec<(&String, &Members)> = members.iter().collect();
    containers.sort_by(|a, b| a.0.cmp(b.0));
    for (container, members) in containers {
        let (effective, unreadable) = policies.effective(container);
        for index in unreadable {
            unread.push(format!(
                "Group Policy: {} applies to {container} but its GptTmpl.inf was not read ({})",
                policies.gpos[index].label(),
                policies.templates[index]
                    .as_ref()
                    .err()
                    .map_or("", String::as_str)
            ));
        }
        for (dcs, accounts) in [
            (false, &members.computers),
            (true, &members.domain_controllers),
        ] {
            let Some((class, gpo)) = classify(&effective, dcs).filter(|_| !accounts.is_empty())
            else {
                continue;
            };
            for account in accounts.iter() {
                let account = account.to_ascii_lowercase();
                match (class, effective.maximum_password_age) {
                    (PolicyClass::MembersNeverRotate, _) => {
                        never_rotate.insert(account, policies.gpos[gpo].label().to_string());
                    }
                    (PolicyClass::LongMaxAge, Some((age, _))) => {
                        long_age.insert(account, age);
                    }
                    _ => {}
                }
            }
            let names = accounts.iter().map(str::to_string);
            match groups.iter_mut().find(|(key, _)| *key == (gpo, class)) {
                Some((_, all)) => all.extend(names),
                None => groups.push(((gpo, class), names.collect())),
            }
        }
    }
    unread.sort();
    unread.dedup();
    let findings = groups
        .into_iter()
        .map(|((gpo, class), mut accounts)| {
            accounts.sort();
            Finding::RotationPolicy {
                class,
                gpo: policies.gpo_ref(gpo),
                linked_to: policies.linked_to(gpo),
                computers: accounts.len(),
                accounts,
            }
        })
        .collect();
    PolicyAudit {
        findings,
        never_rotate,
        long_age,
        unread,
    }
}

/// The rotation policy over an audit's computers: its findings (when `settings` asks for
/// them), the stale passwords it explains; returns what of the policy could not be read, each
/// a warning and a coverage gap.
pub fn judge(policies: &Policies, audit: &mut Audit, settings: &AuditSettings) -> Vec<String> {
    let mut judged = self::audit(policies, &audit.members);
    if settings.policy_findings {
        audit.findings.append(&mut judged.findings);
    }
    explain(&mut audit.findings, &judged, settings.stale.days);
    sort_findings(&mut audit.findings);
    audit.summary.count(&audit.findings);
    let mut gaps = policies.warnings.clone();
    for (container, gpo) in policies.dangling_links() {
        gaps.push(format!(
            "Group Policy: {container} links {gpo}, which does not exist"
        ));
    }
    gaps.append(&mut judged.unread);
    gaps
}

/// A `rotation_suppressed` finding's note, naming the GPO.
pub fn suppressed_note(gpo: &str) -> String {
    format!("GPO {gpo} stops its password changes")
}

/// The GPO a `rotation_suppressed` note names.
pub fn gpo_of_note(note: &str) -> Option<&str> {
    note.strip_prefix("GPO ")?
        .strip_suffix(" stops its password changes")
}

/// Stale passwords the policy explains. Under a never-rotate GPO, `rotation_failing` becomes
/// `rotation_suppressed`, its note naming the GPO. Under a maximum age `M` above 30 days, the
/// staleness limit follows it: a password is stale after `M + (days - 30)` days (`days`: the
/// run's limit, whose grace over the default 30 carries over), and younger ones are not stale.
pub fn explain(findings: &mut Vec<Finding>, policy: &PolicyAudit, days: i64) {
    let grace = (days - i64::from(DEFAULT_MAXIMUM_AGE)).max(0);
    findings.retain(|finding| match finding {
        Finding::StalePassword {
            account: Some(account),
            class: StaleClass::RotationFailing | StaleClass::Inactive,
            password_age_days: Some(age),
            ..
        } => policy
            .long_age
            .get(&account.to_ascii_lowercase())
            .is_none_or(|limit| *age > i64::from(*limit) + grace),
        _ => true,
    });
    for finding in findings {
        if let Finding::StalePassword {
            account: Some(account),
            class: class @ StaleClass::RotationFailing,
            note,
            ..
        } = finding
            && let Some(gpo) = policy.never_rotate.get(&account.to_ascii_lowercase())
        {
            *class = StaleClass::RotationSuppressed;
            *note = Some(suppressed_note(gpo));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpo(guid: &str, flags: u32) -> Gpo {
        Gpo {
            dn: format!("CN={guid},CN=Policies,CN=System,DC=x"),
            guid: guid.into(),
            name: Some(format!("GPO {guid}")),
            flags,
            version: Some(1),
            when_changed: None,
            file_sys_path: None,
        }
    }

    fn link(guid: &str, options: u32) -> GpLink {
        GpLink {
            gpo_dn: format!("cn={guid},cn=policies,cn=system,DC=x"),
            disabled: options & 1 != 0,
            enforced: options & 2 != 0,
        }
    }

    fn age(days: u32) -> Result<NetlogonOptions, String> {
        Ok(NetlogonOptions {
            maximum_password_age: Some(days),
            ..NetlogonOptions::default()
        })
    }

    /// The domain links A (age 60); OU=Top links B (age 0) and, disabled, C (age 0); OU=Low
    /// below it blocks inheritance and links D (age 45); the domain's E (age 90) is enforced
    /// in the second scenario.
    fn domain(e_enforced: bool) -> Policies {
        Policies {
            containers: vec![
                Container {
                    dn: "DC=x".into(),
                    links: vec![link("E", if e_enforced { 2 } else { 0 }), link("A", 0)],
                    blocks_inheritance: false,
                },
                Container {
                    dn: "OU=Top,DC=x".into(),
                    links: vec![link("C", 1), link("B", 0)],
                    blocks_inheritance: false,
                },
                Container {
                    dn: "OU=Low,OU=Top,DC=x".into(),
                    links: vec![link("D", 0)],
                    blocks_inheritance: true,
                },
            ],
            gpos: ["A", "B", "C", "D", "E"].map(|g| gpo(g, 0)).to_vec(),
            templates: vec![age(60), age(0), age(0), age(45), age(90)],
            warnings: Vec::new(),
        }
    }

    fn age_in(policies: &Policies, dn: &str) -> Option<(u32, String)> {
        let (effective, _) = policies.effective(dn);
        effective
            .maximum_password_age
            .map(|(age, gpo)| (age, policies.gpos[gpo].guid.clone()))
    }

    #[test]
    fn a_container_is_never_guessed() {
        let blocked = Container::read("OU=A,DC=x", None, Some("1")).unwrap();
        assert!(blocked.blocks_inheritance && blocked.links.is_empty());
        assert!(
            !Container::read("OU=A,DC=x", Some(""), None)
                .unwrap()
                .blocks_inheritance
        );
        let bad = Container::read("OU=A,DC=x", None, Some("x")).unwrap_err();
        assert!(bad.contains("gPOptions"), "{bad}");
        assert!(Container::read("OU=A,DC=x", Some("junk"), None).is_err());
    }

    #[test]
    fn link_order_inheritance_blocking_and_enforcement() {
        let plain = domain(false);
        // In the domain: the last link of gPLink (A) has link order 1 and wins over E.
        assert_eq!(age_in(&plain, "DC=x"), Some((60, "A".into())));
        // Below OU=Top, its own B wins over the domain's; the disabled C is skipped.
        assert_eq!(age_in(&plain, "OU=Top,DC=x"), Some((0, "B".into())));
        // OU=Low blocks inheritance: only its own D.
        assert_eq!(age_in(&plain, "OU=Low,OU=Top,DC=x"), Some((45, "D".into())));
        // Enforced from the top: E wins everywhere, blocked inheritance or not.
        let enforced = domain(true);
        assert_eq!(age_in(&enforced, "OU=Top,DC=x"), Some((90, "E".into())));
        assert_eq!(
            age_in(&enforced, "OU=Low,OU=Top,DC=x"),
            Some((90, "E".into()))
        );
        // A GPO whose computer settings are disabled sets nothing.
        let mut off = domain(false);
        off.gpos[1].flags = 2;
        assert_eq!(age_in(&off, "OU=Top,DC=x"), Some((60, "A".into())));
        // A template that could not be read is reported, never taken as "nothing set".
        let mut unread = domain(false);
        unread.templates[3] = Err("access denied".into());
        assert_eq!(unread.policies_unread("OU=Low,OU=Top,DC=x"), vec![3]);
    }

    impl Policies {
        fn policies_unread(&self, dn: &str) -> Vec<usize> {
            self.effective(dn).1
        }
    }

    fn stale(account: &str, class: StaleClass, age: i64) -> Finding {
        Finding::StalePassword {
            account: Some(account.into()),
            dn: format!("CN={account},DC=x"),
            class,
            pwd_last_set: None,
            last_logon: None,
            password_age_days: Some(age),
            disabled: false,
            domain_controller: false,
            account_class: crate::model::roles::AccountClass::Member,
            note: None,
        }
    }

    #[test]
    fn the_policy_explains_stale_passwords() {
        let policy = PolicyAudit {
            findings: Vec::new(),
            never_rotate: [("kiosk$".to_string(), "Never".to_string())]
                .into_iter()
                .collect(),
            long_age: [("lab1$".to_string(), 60), ("lab2$".to_string(), 60)]
                .into_iter()
                .collect(),
            unread: Vec::new(),
        };
        let mut findings = vec![
            stale("KIOSK$", StaleClass::RotationFailing, 120),
            // Under a 60-day maximum and the default 45-day limit: stale after 75 days.
            stale("LAB1$", StaleClass::RotationFailing, 120),
            stale("LAB2$", StaleClass::RotationFailing, 70),
            stale("OTHER$", StaleClass::RotationFailing, 70),
        ];
        explain(&mut findings, &policy, 45);
        let left: Vec<(Option<&str>, Option<&str>)> = findings
            .iter()
            .map(|f| match f {
                Finding::StalePassword { account, .. } => (account.as_deref(), f.class()),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            left,
            [
                (Some("KIOSK$"), Some("rotation_suppressed")),
                (Some("LAB1$"), Some("rotation_failing")),
                (Some("OTHER$"), Some("rotation_failing")),
            ]
        );
    }

    #[test]
    fn names_kept_end_to_end_come_back_as_given() {
        let mut names: Names = ["PC1$", "", "B\u{dc}RO$"].into_iter().collect();
        names.append(&["PC9$"].into_iter().collect());
        assert_eq!(
            names.iter().collect::<Vec<_>>(),
            ["PC1$", "", "B\u{dc}RO$", "PC9$"]
        );
        assert!(!names.is_empty() && Names::default().is_empty());
    }

    #[test]
    fn findings_group_computers_by_gpo_and_class() {
        let policies = domain(false);
        let mut members = HashMap::new();
        members.insert(
            "OU=Top,DC=x".to_string(),
            Members {
                computers: ["PC2$", "PC1$"].into_iter().collect(),
                domain_controllers: Names::default(),
            },
        );
        members.insert(
            "OU=Low,OU=Top,DC=x".to_string(),
            Members {
                computers: ["PC3$"].into_iter().collect(),
                domain_controllers: Names::default(),
            },
        );
        let audit = audit(&policies, &members);
        let summary: Vec<(&str, String, usize)> = audit
            .findings
            .iter()
            .map(|finding| match finding {
                Finding::RotationPolicy {
                    class,
                    gpo,
                    computers,
                    ..
                } => (class.as_str(), gpo.guid.clone(), *computers),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("long_max_age", "D".to_string(), 1),
                ("members_never_rotate", "B".to_string(), 2)
            ]
        );
        assert_eq!(
            audit.never_rotate.get("pc1$").map(String::as_str),
            Some("GPO B")
        );
        assert!(!audit.never_rotate.contains_key("pc3$"));
        assert!(
            classify(
                &Effective {
                    refuse_password_change: Some((true, 0)),
                    ..Effective::default()
                },
                true
            )
            .is_some()
        );
    }
}
