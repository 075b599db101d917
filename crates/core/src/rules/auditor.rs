//! `Auditor`: runs the requested checks over a stream of accounts and keeps their coverage.
//! Per-account rules run as each account in the reported scope arrives; only the SPN index
//! (for duplicates, over the whole domain) and the candidates of named computers are kept until
//! `finish`, which also withdraws what a check could not judge because the source as a whole
//! lacks an attribute.

use hashbrown::HashMap;

use super::acting_for::Constrained;
use super::dc_inventory::DcEntry;
use super::duplicates::{Reread, SpnTexts};
use super::encryption::KeyProbe;
use super::group_policy::Members;
use super::kinds::{self, Kind};
use super::triage::Seen;
use serde::Serialize;

use super::coverage::{Check, Coverage};
use super::staleness::PasswordAges;
use super::{Finding, SpnIndex, SpnSettings, StaleSettings, classify_password, sort_findings};
use crate::model::account::{Account, Attr, AttrSet};
use crate::model::filetime::{FileTime, Timestamp};
use crate::model::names::NameQuery;
use crate::model::spn::SpnAliases;

/// Which computers `--probe-default-passwords` tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeScope {
    /// Enabled computers that never logged on (pre-created, or reset and never rejoined).
    NeverLoggedOn,
    /// Every enabled computer (`--probe-all`).
    All,
}

/// Which computers `--probe-keys` asks the KDC about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProbeScope {
    /// Those the attributes do not already find (`--probe-keys`).
    Unsettled,
    /// Every enabled computer (`--probe-keys=all`).
    All,
}

/// Which checks to run, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditSettings {
    /// The requested checks.
    pub checks: Vec<Check>,
    pub stale: StaleSettings,
    pub spn: SpnSettings,
    /// Narrow the per-computer rules to these computers (duplicates keep the whole scope).
    pub names: Vec<NameQuery>,
    /// Collect the accounts whose default password should be tried.
    pub probe: Option<ProbeScope>,
    /// Collect the computers whose keys the KDC is asked about (encryption readiness).
    pub key_probe: Option<KeyProbeScope>,
    /// Key probes in flight at once per KDC.
    pub probe_in_flight: usize,
    /// `--kdc`: the KDC asked instead of the connected DC's.
    pub key_kdc: Option<crate::model::kdc::Kdc>,
    /// List the computers deleted within the staleness period (`audit`, from a DC).
    pub deleted: bool,
    /// List the DCs in scope with their operating systems (`audit`).
    pub inventory: bool,
    /// Collect the enabled computers of each container, for the rotation policy (from a DC).
    pub group_policy: bool,
    /// Report the rotation-policy findings (`audit`), not only explain stale passwords.
    pub policy_findings: bool,
    /// `stale --precise-logon`: read every DC's `lastLogon` before the checks.
    pub precise_logon: bool,
    /// The newest `lastLogon` over all DCs, by lower-cased DN (read at run time when
    /// `precise_logon`); used where it is newer than `lastLogonTimestamp`, which lags by design.
    pub precise_logons: Option<std::sync::Arc<std::collections::HashMap<String, FileTime>>>,
}

impl AuditSettings {
    /// Every check on the accounts `names` find (`show`): no probes, no other DC.
    pub fn every_check_on(stale: StaleSettings, spn: SpnSettings, names: Vec<NameQuery>) -> Self {
        AuditSettings::new(Check::all(), stale, spn, names)
    }

    /// `checks` with these settings, on the accounts `names` find (all: none given); no probes,
    /// no deleted computers, no other DC.
    pub fn new(
        checks: Vec<Check>,
        stale: StaleSettings,
        spn: SpnSettings,
        names: Vec<NameQuery>,
    ) -> Self {
        AuditSettings {
            checks,
            stale,
            spn,
            names,
            probe: None,
            key_probe: None,
            probe_in_flight: 1,
            key_kdc: None,
            deleted: false,
            inventory: false,
            group_policy: false,
            policy_findings: false,
            precise_logon: false,
            precise_logons: None,
        }
    }

    pub fn wants(&self, check: Check) -> bool {
        self.checks.contains(&check)
    }

    /// What a scan for these checks asks the DC for: the common attributes and each wanted
    /// check's own (never `msDS-KeyVersionNumber`, which the DC computes for every object and
    /// only `show` and `reset` use).
    pub fn scan_attributes(&self) -> AttrSet {
        self.checks
            .iter()
            .fold(AttrSet::of(kinds::COMMON_ATTRIBUTES), |all, check| {
                all.union(check.reads())
            })
    }

    pub fn wants_any(&self, checks: &[Check]) -> bool {
        checks.iter().any(|check| self.wants(*check))
    }

    /// The finding kinds a run with these settings looks for; `deleted_listed`: the deleted
    /// computers were listed (from a DC, by an account that may see them); `policy_read`: the
    /// domain's Group Policy was read (from a DC).
    pub fn kinds_checked(&self, deleted_listed: bool, policy_read: bool) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        for check in &self.checks {
            kinds.push(check.name());
            if *check == Check::MISSING_SPN {
                kinds.push(kinds::INVALID_HOST_NAME.name);
            }
        }
        if self.probe.is_some() {
            kinds.push(kinds::DEFAULT_PASSWORD.name);
        }
        if self.deleted && deleted_listed {
            kinds.push(kinds::DELETED_COMPUTER.name);
        }
        if self.policy_findings && policy_read {
            kinds.push(kinds::ROTATION_POLICY.name);
        }
        if !self.names.is_empty() {
            kinds.extend([kinds::NOT_FOUND.name, kinds::AMBIGUOUS.name]);
        }
        kinds
    }
}

/// The DN of the container of `dn` (after its first RDN), if it has one.
fn parent_dn(dn: &str) -> Option<&str> {
    let bytes = dn.as_bytes();
    let mut escaped = false;
    for (at, byte) in bytes.iter().enumerate() {
        match byte {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b',' => return Some(dn[at + 1..].trim_start()),
            _ => {}
        }
    }
    None
}

/// Counts for the report's `summary`: what was read, then a count per finding kind and per
/// class of one, in the order and with the names of [`kinds::KINDS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub accounts_read: usize,
    pub computers: usize,
    pub findings: usize,
    /// Per kind, by position in `KINDS`.
    by_kind: [usize; kinds::KIND_COUNT],
    /// Per class, by position in `kinds::classes()` (empty: none counted yet).
    by_class: Vec<usize>,
    /// Examined computers by password age (when the staleness check ran).
    pub password_ages: Option<PasswordAges>,
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("accounts_read", &self.accounts_read)?;
        map.serialize_entry("computers", &self.computers)?;
        map.serialize_entry("findings", &self.findings)?;
        for kind in kinds::KINDS {
            map.serialize_entry(kind.name, &self.count_of(kind.name).unwrap_or(0))?;
            for class in kind.classes {
                map.serialize_entry(class, &self.count_of(class).unwrap_or(0))?;
            }
        }
        if let Some(ages) = &self.password_ages {
            map.serialize_entry("password_ages", ages)?;
        }
        map.end()
    }
}

/// What the domain object and the schema say, where the source shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainFacts {
    /// The domain's `ms-DS-MachineAccountQuota`.
    pub machine_account_quota: Quota,
    /// Whether the schema defines either LAPS expiration attribute (`None`: not known).
    pub laps_in_schema: Option<bool>,
}

/// The domain's `ms-DS-MachineAccountQuota`, as far as the source shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Quota {
    /// The domain head is not in the audit's scope (`-b` below it).
    #[default]
    OutOfScope,
    /// Not shown: an export without the domain head, or a value the reader may not read.
    Unknown,
    /// The domain head's DN and value.
    Known(String, i64),
}

/// What an audit found and what it could look at.
pub struct Audit {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub coverage: Coverage,
    pub warnings: Vec<String>,
    /// The duplicate index, owned (never read) so that it is freed with the audit — or not at
    /// all by a caller about to exit.
    _index: Vec<SpnIndex>,
    /// What was read in scope, when asked for (a baseline is compared).
    pub seen: Option<Seen>,
    /// The enabled computers in scope by their container's DN (for Group Policy).
    pub members: HashMap<String, Members>,
    /// The DCs in scope, by name.
    pub dcs: Vec<DcEntry>,
}

pub struct Auditor {
    settings: AuditSettings,
    /// The scope's own sPNMappings, once seen.
    aliases: Option<SpnAliases>,
    findings: Vec<Finding>,
    coverage: Coverage,
    index: Option<SpnIndex>,
    named: Vec<Account>,
    /// The duplicate indexes of other parts of the scope (`merge`), queried together.
    other_parts: Vec<SpnIndex>,
    /// The duplicate index's runs held by several holders, found by `recall` (`None`: not
    /// looked for, or the index has changed since).
    shared_runs: Option<Vec<u64>>,
    probe_targets: Vec<(Option<String>, String)>,
    key_targets: Vec<Account>,
    members: HashMap<String, Members>,
    dcs: Vec<DcEntry>,
    /// The audit's day, `YYYY-MM-DD` (support ended on or before it).
    today: String,
    /// What computers may act towards as other users (msDS-AllowedToDelegateTo), judged
    /// against the DCs once all are seen.
    constrained: Vec<Constrained>,
    /// Computers examined for `ownership` without an owner: a gap when the source holds
    /// owners (the reader could not read these), else the note that it holds none.
    unowned: u64,
    /// The domain's machine account quota could not be judged (coverage's note).
    quota_unknown: bool,
    accounts_read: usize,
    computers: usize,
    ages: PasswordAges,
    seen: Option<Seen>,
}

impl Auditor {
    /// `source_bytes`, when known, sizes the duplicate index up front.
    pub fn new(settings: AuditSettings, source_bytes: Option<u64>) -> Auditor {
        let index = settings
            .wants_any(&[Check::DUPLICATE_SPN, Check::CONFUSABLE_SPN])
            .then(|| SpnIndex::with_size_hint(SpnAliases::default(), source_bytes.unwrap_or(0)));
        // An export spends at least ~600 bytes a computer: room for a finding each, reserved
        // (capacity never written is never resident), so that a million are never copied.
        let findings = usize::try_from(source_bytes.unwrap_or(0) / 600).unwrap_or(0);
        let today = settings
            .stale
            .as_of
            .to_rfc3339()
            .map(|time| time[..10].to_string())
            .unwrap_or_default();
        Auditor {
            coverage: Coverage::new(&settings.checks),
            settings,
            aliases: None,
            findings: Vec::with_capacity(findings),
            index,
            named: Vec::new(),
            other_parts: Vec::new(),
            shared_runs: None,
            probe_targets: Vec::new(),
            key_targets: Vec::new(),
            members: HashMap::new(),
            dcs: Vec::new(),
            today,
            constrained: Vec::new(),
            unowned: 0,
            quota_unknown: false,
            accounts_read: 0,
            computers: 0,
            ages: PasswordAges::default(),
            seen: None,
        }
    }

    /// Remembers every object read in scope (for a baseline: resolved only where looked).
    pub fn remember_seen(&mut self) {
        self.seen = Some(Seen::default());
    }

    /// Uses these aliases instead of Windows' defaults.
    pub fn set_aliases(&mut self, aliases: SpnAliases) {
        self.shared_runs = None;
        if let Some(index) = &mut self.index {
            index.set_aliases(aliases.clone());
        }
        self.aliases = Some(aliases);
    }

    /// Gets the duplicate index ready for queries and sorts the findings so far: worth doing
    /// on each worker's own thread before `merge`.
    pub fn prepare(&mut self) {
        if let Some(index) = &mut self.index {
            index.prepare();
        }
        sort_findings(&mut self.findings);
    }

    /// Takes in what the other workers' auditors saw of other parts of the same scope, then
    /// reads again, with `reread`, the duplicate index's holders that findings may name and
    /// that it did not keep (`SpnTexts::At`): due before `finish`. Their findings are joined
    /// to these on another core meanwhile (a copy of up to a million findings).
    pub fn join(mut self, others: Vec<Auditor>, reread: &Reread) -> Result<Auditor, String> {
        let mut theirs = Vec::new();
        for mut other in others {
            theirs.push(std::mem::take(&mut other.findings));
            self.merge(other);
        }
        let mut findings = std::mem::take(&mut self.findings);
        let recalled = std::thread::scope(|scope| {
            scope.spawn(|| {
                for mut part in theirs {
                    findings.append(&mut part);
                }
            });
            self.recall(reread)
        });
        self.findings = findings;
        recalled.map(|()| self)
    }

    /// Reads again, with `reread`, the duplicate index's holders that findings may name and
    /// that it did not keep (`SpnTexts::At`).
    fn recall(&mut self, reread: &Reread) -> Result<(), String> {
        let Some(index) = self.index.take() else {
            return Ok(());
        };
        let mut parts = vec![index];
        parts.append(&mut self.other_parts);
        let recalled = super::duplicates::recall(&mut parts, reread);
        let mut parts = parts.into_iter();
        self.index = parts.next();
        self.other_parts.extend(parts);
        self.shared_runs = recalled?;
        Ok(())
    }

    /// Takes in what another auditor saw of another part of the same scope.
    pub fn merge(&mut self, mut other: Auditor) {
        match (&self.aliases, other.aliases.take()) {
            (None, Some(aliases)) => {
                self.set_aliases(aliases.clone());
                self.other_parts
                    .iter_mut()
                    .for_each(|part| part.set_aliases(aliases.clone()));
            }
            (Some(aliases), None) => other.set_aliases(aliases.clone()),
            _ => {}
        }
        self.findings.append(&mut other.findings);
        self.coverage.merge(&other.coverage);
        self.named.append(&mut other.named);
        self.probe_targets.append(&mut other.probe_targets);
        self.key_targets.append(&mut other.key_targets);
        for (container, theirs) in other.members.drain() {
            let ours = self.members.entry(container).or_default();
            ours.computers.append(&theirs.computers);
            ours.domain_controllers.append(&theirs.domain_controllers);
        }
        self.dcs.append(&mut other.dcs);
        self.constrained.append(&mut other.constrained);
        self.unowned += other.unowned;
        self.accounts_read += other.accounts_read;
        self.computers += other.computers;
        self.ages.merge(&other.ages);
        if let (Some(seen), Some(other)) = (&mut self.seen, other.seen.take()) {
            seen.merge(other);
        }
        self.other_parts.extend(other.index);
        self.other_parts.append(&mut other.other_parts);
    }

    /// Examines one account. `in_scope`: it is in the reported scope (`-b`), so its own checks
    /// run; `index`: how its SPNs go into the duplicate index (`None` when duplicates come from
    /// another scan, the global catalog with `--forest`).
    pub fn observe(&mut self, account: &Account, in_scope: bool, index: Option<SpnTexts>) {
        if let (Some(texts), Some(spn_index)) = (index, &mut self.index) {
            spn_index.add(account, in_scope, texts);
        }
        if !in_scope {
            return;
        }
        self.accounts_read += 1;
        if account.is_computer() {
            self.computers += 1;
        }
        if let Some(seen) = &mut self.seen {
            seen.add(&account.dn);
        }
        for check in [Check::DUPLICATE_SPN, Check::CONFUSABLE_SPN] {
            if self.settings.wants(check) {
                self.coverage.examined(check);
            }
        }
        if account.uac.is_some_and(|uac| uac.is_domain_controller()) {
            self.dcs.extend(DcEntry::of(account));
        }
        if self.settings.group_policy
            && account.is_computer()
            && account.is_disabled() == Some(false)
            && let (Some(sam), Some(container)) =
                (&account.sam_account_name, parent_dn(&account.dn))
        {
            let members = self.members.entry_ref(container).or_default();
            match account.uac.is_some_and(|uac| uac.is_domain_controller()) {
                true => members.domain_controllers.push(sam),
                false => members.computers.push(sam),
            }
        }
        if self.settings.names.is_empty() {
            self.examine(account);
        } else if self.settings.names.iter().any(|name| name.matches(account)) {
            self.named.push(account.clone());
        }
    }

    /// Whether `check` is asked for and looks at `account` (`applies`), counted as examined;
    /// an account lacking what the check needs is counted as not checked instead.
    fn examines(&mut self, check: Check, account: &Account, applies: fn(&Account) -> bool) -> bool {
        let Some(missing) = self
            .settings
            .wants(check)
            .then(|| check.missing_on(account))
            .flatten()
        else {
            return false;
        };
        if !missing.is_empty() {
            self.coverage.not_checked(check, missing);
            return false;
        }
        let applies = applies(account);
        if applies {
            self.coverage.examined(check);
        }
        applies
    }

    /// The per-account checks of one account in scope.
    fn examine(&mut self, account: &Account) {
        let settings = &self.settings;
        if settings.wants(Check::STALE_PASSWORD)
            && let Some(missing) = Check::STALE_PASSWORD.missing_on(account)
        {
            if !missing.is_empty() {
                self.coverage.not_checked(Check::STALE_PASSWORD, missing);
            } else if settings.stale.examines(account) {
                self.coverage.examined(Check::STALE_PASSWORD);
                if let Some(pwd_last_set) = account.pwd_last_set {
                    self.ages.add(pwd_last_set, settings.stale.as_of);
                }
                let newer = settings.precise_logons.as_ref().and_then(|logons| {
                    let logon = *logons.get(&account.dn.to_ascii_lowercase())?;
                    (Some(logon) > account.last_logon_timestamp).then_some(logon)
                });
                let finding = match newer {
                    Some(logon) => classify_password(
                        &Account {
                            last_logon_timestamp: Some(logon),
                            ..account.clone()
                        },
                        &settings.stale,
                    ),
                    None => classify_password(account, &settings.stale),
                };
                self.findings.extend(finding);
            }
        }
        super::spn_rules::check_spns(account, settings, &mut self.coverage, &mut self.findings);
        if settings.wants(Check::WEAK_ENCRYPTION)
            && let Some(missing) = Check::WEAK_ENCRYPTION.missing_on(account)
        {
            if !missing.is_empty() {
                self.coverage.not_checked(Check::WEAK_ENCRYPTION, missing);
            } else if super::encryption::examines(account) {
                let configured = super::encryption::configured_class(account);
                match settings.key_probe {
                    Some(scope)
                        if account.sam_account_name.is_some()
                            && (scope == KeyProbeScope::All || configured.is_none()) =>
                    {
                        // Judged when the KDC has answered (`keys_probed`).
                        self.key_targets.push(account.clone());
                    }
                    _ => {
                        self.coverage.examined(Check::WEAK_ENCRYPTION);
                        self.findings
                            .extend(super::encryption::finding(account, None));
                    }
                }
            }
        }
        if self.examines(Check::DELEGATION, account, super::acting_for::examines) {
            let (findings, constrained) = super::acting_for::judge(account);
            self.findings.extend(findings);
            self.constrained.extend(constrained);
        }
        if self.examines(Check::UNSUPPORTED_OS, account, super::acting_for::examines) {
            self.findings
                .extend(super::support::finding(account, &self.today));
        }
        if self.examines(Check::OWNERSHIP, account, super::takeover::examines) {
            self.unowned += u64::from(account.owner.is_none());
            self.findings.extend(super::takeover::judge(account));
        }
        if self.examines(Check::LAPS, account, super::local_admin::examines) {
            let (as_of, days) = (self.settings.stale.as_of, self.settings.stale.days);
            self.findings
                .extend(super::local_admin::judge(account, as_of, days));
        }
        let settings = &self.settings;
        if let Some(scope) = settings.probe
            && crate::rules::reset_plan::refusal(account).is_none()
            && account.is_disabled() == Some(false)
            && (scope == ProbeScope::All || account.last_logon_timestamp.is_none())
        {
            self.probe_targets
                .push((account.sam_account_name.clone(), account.dn.clone()));
        }
    }

    /// (sAMAccountName, DN) of the computers to try default passwords on. Domain controllers,
    /// trust and managed accounts are never tried: they are never reset to a default.
    pub fn probe_targets(&self) -> &[(Option<String>, String)] {
        &self.probe_targets
    }

    /// The computers whose keys the KDC is to be asked about.
    pub fn key_targets(&self) -> &[Account] {
        &self.key_targets
    }

    /// Judges each key target with the KDC's answer (`None`: not asked), in `key_targets`
    /// order; `kdc` names the KDC. An unanswered probe leaves the account not checked when
    /// its attributes find nothing.
    pub fn keys_probed(&mut self, probes: &[KeyProbe], kdc: &str) {
        for (account, probe) in std::mem::take(&mut self.key_targets).iter().zip(probes) {
            let finding = super::encryption::finding(account, Some((probe, kdc)));
            if matches!(probe, KeyProbe::NotProbed(_)) && finding.is_none() {
                self.coverage
                    .not_checked(Check::WEAK_ENCRYPTION, AttrSet::default());
            } else {
                self.coverage.examined(Check::WEAK_ENCRYPTION);
            }
            self.findings.extend(finding);
        }
    }

    /// Adds a `deleted_computer` finding for each of `deleted` removed within the staleness
    /// period (`--days` before `as_of`): what `restore` can bring back.
    pub fn deleted(&mut self, deleted: &[crate::model::deleted::Tombstone]) {
        let period = self.settings.stale.days * 86_400 * 10_000_000;
        let since = self.settings.stale.as_of.0.saturating_sub(period);
        for computer in deleted {
            if computer.deleted_at.is_some_and(|at| at.0 >= since) {
                self.findings.push(Finding::DeletedComputer {
                    account: computer.sam_account_name.clone(),
                    dn: computer.dn.clone(),
                    last_known_parent: computer.last_known_parent.clone(),
                    deleted_at: computer.deleted_at.map(Timestamp),
                });
            }
        }
    }

    /// What the domain object and the schema say (`DomainFacts`): the machine account quota
    /// (an `ownership` finding when above 0), and a LAPS schema that defines neither
    /// attribute (coverage's note).
    pub fn domain(&mut self, facts: &DomainFacts) {
        if self.settings.wants(Check::OWNERSHIP) {
            match &facts.machine_account_quota {
                Quota::Known(dn, quota) => self.findings.extend(super::takeover::quota(dn, *quota)),
                Quota::Unknown => self.quota_unknown = true,
                Quota::OutOfScope => {}
            }
        }
        if self.settings.wants(Check::LAPS) && facts.laps_in_schema == Some(false) {
            self.coverage
                .set_note(Check::LAPS, Some(super::local_admin::NO_SCHEMA));
        }
    }

    /// The SIDs its `ownership` findings name, each once.
    pub fn principals(&self) -> Vec<String> {
        super::takeover::principals(&self.findings)
    }

    /// Names the owners and creators of its `ownership` findings (SID to sAMAccountName).
    pub fn name_principals(&mut self, names: &HashMap<String, String>) {
        super::takeover::name_principals(&mut self.findings, names);
    }

    /// Adds a finding made outside the pure checks (a probe's result).
    pub fn record(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Adds the findings made outside the pure checks, if any.
    pub fn record_all(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
    }

    /// Adds an account's SPNs to the duplicate index and nothing else (`--forest`).
    pub fn index_only(&mut self, account: &Account, in_scope: bool) {
        self.shared_runs = None;
        if let Some(index) = &mut self.index {
            index.add(account, in_scope, SpnTexts::Kept);
        }
    }

    /// The findings, their coverage, and what the reader should know. `evidence`: the
    /// attributes the source is known to hold (asked for, or seen on some object).
    pub fn finish(mut self, evidence: AttrSet) -> Audit {
        for name in std::mem::take(&mut self.settings.names) {
            let named = std::mem::take(&mut self.named);
            let resolution = name.resolve(&named);
            match &resolution {
                crate::model::names::Resolution::Found(account) => self.examine(account),
                other => self
                    .findings
                    .extend(Finding::unresolved(name.as_str(), other)),
            }
            self.named = named;
        }
        let mut parts = Vec::new();
        if let Some(index) = self.index.take() {
            parts.push(index);
            parts.append(&mut self.other_parts);
            parts.iter_mut().for_each(SpnIndex::prepare);
        }
        // The findings so far are put in order on this core while another walks the
        // duplicate index; what that finds is merged in after.
        let across = std::thread::scope(|scope| {
            let parts = &parts;
            let settings = &self.settings;
            let shared = self.shared_runs.as_deref();
            let across = scope.spawn(move || {
                let mut across = Vec::new();
                if parts.is_empty() {
                    return across;
                }
                if settings.wants(Check::DUPLICATE_SPN) {
                    across.extend(super::duplicates::duplicates_in(parts, shared));
                }
                if settings.wants(Check::CONFUSABLE_SPN) {
                    across.extend(super::duplicates::confusables_in(parts));
                }
                across
            });
            super::sort_and_dedup(&mut self.findings);
            across
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        let sorted = self.findings.len();
        self.findings.extend(across);
        self.findings
            .extend(super::acting_for::to_dcs(&self.constrained, &self.dcs));
        super::sort_appended(&mut self.findings, sorted);
        let system = [Attr::OperatingSystem, Attr::OperatingSystemVersion];
        if self.settings.wants(Check::UNSUPPORTED_OS)
            && !system.iter().all(|attr| evidence.contains(*attr))
        {
            self.coverage
                .set_note(Check::UNSUPPORTED_OS, Some(super::support::PARTIAL));
        }
        let attributes = [Attr::AllowedToDelegateTo, Attr::AllowedToActOnBehalf];
        if self.settings.wants(Check::DELEGATION)
            && !attributes.iter().all(|attr| evidence.contains(*attr))
        {
            self.coverage
                .set_note(Check::DELEGATION, Some(super::acting_for::PARTIAL));
        }
        if self.settings.wants(Check::OWNERSHIP) {
            let owner = Attr::SecurityDescriptor;
            let no_owners = !evidence.contains(owner) && self.unowned > 0;
            if evidence.contains(owner) {
                let missing = AttrSet::of(&[owner]);
                (self.coverage).examined_without(Check::OWNERSHIP, self.unowned, missing);
            }
            let note = super::takeover::note(no_owners, self.quota_unknown);
            self.coverage.set_note(Check::OWNERSHIP, note);
        }
        let laps = [Attr::LegacyLapsExpiry, Attr::LapsExpiry];
        if self.settings.wants(Check::LAPS) && !laps.iter().any(|attr| evidence.contains(*attr)) {
            // Without either expiration time every Windows computer would look unmanaged.
            self.coverage.source_lacks(Check::LAPS, AttrSet::of(&laps));
            self.coverage
                .set_note(Check::LAPS, Some(super::local_admin::NOT_IN_SOURCE));
            kinds::remove_kind(&mut self.findings, Check::LAPS.0);
        }
        if self.settings.key_probe.is_none() {
            self.coverage.set_note(
                Check::WEAK_ENCRYPTION,
                Some(super::encryption::ATTRIBUTES_ONLY),
            );
        }
        let mut warnings = Vec::new();
        for check in self.settings.checks.clone() {
            let lacking = check.needs_in_source().without(evidence);
            if lacking.is_empty() {
                continue;
            }
            // The source holds none of these at all: what the check saw is not a verdict.
            self.coverage.source_lacks(check, lacking);
            kinds::remove_kind(&mut self.findings, check.0);
        }
        if self.settings.wants(Check::STALE_PASSWORD)
            && !evidence.contains(Attr::LastLogonTimestamp)
        {
            let marked = super::staleness::unsure_inactive(kinds::of_kind(
                &mut self.findings,
                Check::STALE_PASSWORD.0,
            ));
            if marked > 0 {
                warnings.push(format!(
                    "the source has no lastLogonTimestamp: {marked} stale password(s) shown as inactive may be rotation_failing"
                ));
            }
        }
        let summary = self.summary();
        Audit {
            findings: self.findings,
            summary,
            coverage: self.coverage,
            warnings,
            _index: parts,
            seen: self.seen,
            members: self.members,
            dcs: {
                let mut dcs = self.dcs;
                dcs.sort_by(|a, b| a.account.cmp(&b.account));
                dcs
            },
        }
    }

    fn summary(&self) -> Summary {
        let mut summary = Summary {
            accounts_read: self.accounts_read,
            computers: self.computers,
            password_ages: self
                .settings
                .wants(Check::STALE_PASSWORD)
                .then_some(self.ages),
            ..Summary::default()
        };
        summary.count(&self.findings);
        summary
    }
}

impl Summary {
    /// The count of a finding kind or a class of one by the name JSON gives it; `None` for a
    /// name that is neither.
    pub fn count_of(&self, name: &str) -> Option<usize> {
        if let Some(kind) = Kind::named(name) {
            return Some(self.by_kind[kind.position()]);
        }
        let class = kinds::classes().position(|class| class == name)?;
        Some(self.by_class.get(class).copied().unwrap_or(0))
    }

    /// Counts one more finding of `kind` (and of its class).
    pub fn add(&mut self, kind: &Kind, class: Option<&str>) {
        self.by_kind[kind.position()] += 1;
        if let Some(class) = class {
            self.add_class(class, 1);
        }
    }

    fn add_class(&mut self, class: &str, count: usize) {
        if let Some(class) = kinds::classes().position(|c| c == class) {
            if self.by_class.is_empty() {
                self.by_class = vec![0; kinds::classes().count()];
            }
            self.by_class[class] += count;
        }
    }

    /// Sets `findings` and the counts per kind and class from `findings` (again, after an
    /// ignore list took some out).
    pub fn count(&mut self, findings: &[Finding]) {
        *self = Summary {
            accounts_read: self.accounts_read,
            computers: self.computers,
            password_ages: self.password_ages,
            findings: findings.len(),
            ..Summary::default()
        };
        // Findings come grouped by kind: counted a kind's range at a time, the classes of
        // those kinds that have them one by one, then by name.
        for range in kinds::kind_ranges(findings) {
            let kind = findings[range.start].spec();
            self.by_kind[kind.position()] += range.len();
            if kind.classes.is_empty() {
                continue;
            }
            let mut tally = kinds::ClassTally::default();
            findings[range]
                .iter()
                .filter_map(Finding::class)
                .for_each(|class| tally.add(class));
            for (class, count) in tally.counts() {
                self.add_class(class, count);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::filetime::FileTime;
    use crate::model::uac::Uac;

    const EVERYTHING: AttrSet = AttrSet::EVERY;

    #[test]
    fn a_scan_asks_for_the_common_attributes_and_the_checks_own() {
        let stale = settings(&[Check::STALE_PASSWORD]).scan_attributes();
        assert_eq!(stale, AttrSet::of(kinds::COMMON_ATTRIBUTES));
        let owners = settings(&[Check::OWNERSHIP]).scan_attributes();
        assert!(owners.contains(Attr::SecurityDescriptor) && owners.contains(Attr::CreatorSid));
        assert!(!owners.contains(Attr::LapsExpiry));
        // Every check: everything adcomputer reads but the key version, which the DC computes
        // for each object and only show and reset use.
        let all = settings(&Check::all()).scan_attributes();
        assert_eq!(
            all,
            AttrSet::EVERY.without(AttrSet::of(&[Attr::KeyVersionNumber]))
        );
    }

    fn settings(checks: &[Check]) -> AuditSettings {
        let stale = StaleSettings {
            days: 45,
            as_of: FileTime(134_000_000_000_000_000),
            include_disabled: false,
        };
        AuditSettings::new(checks.to_vec(), stale, SpnSettings::default(), Vec::new())
    }

    fn computer(sam: &str, uac: u32, logged_on: bool) -> Account {
        Account {
            uac: Some(Uac(uac)),
            pwd_last_set: Some(FileTime(1)),
            last_logon_timestamp: logged_on.then_some(FileTime(2)),
            ..Account::test(sam)
        }
    }

    fn probed(scope: ProbeScope) -> Vec<Option<String>> {
        let mut auditor = Auditor::new(
            AuditSettings {
                probe: Some(scope),
                ..settings(&[])
            },
            None,
        );
        for account in [
            computer("NEW$", 0x1000, false),
            computer("USED$", 0x1000, true),
            computer("OFF$", 0x1002, false),
            computer("DC$", 0x2000, false),
        ] {
            auditor.observe(&account, true, Some(SpnTexts::Kept));
        }
        auditor
            .probe_targets()
            .iter()
            .map(|(sam, _)| sam.clone())
            .collect()
    }

    #[test]
    fn probes_only_enabled_resettable_computers() {
        assert_eq!(
            probed(ProbeScope::NeverLoggedOn),
            [Some("NEW$".to_string())]
        );
        assert_eq!(
            probed(ProbeScope::All),
            [Some("NEW$".to_string()), Some("USED$".to_string())],
            "never a disabled computer or a DC"
        );
    }

    /// An `ldifde -l servicePrincipalName` record: a DN and SPNs, nothing else.
    fn bare_holder(dn: &str, spn: &str) -> Account {
        Account {
            dn: dn.into(),
            sam_account_name: None,
            kind: None,
            uac: None,
            pwd_last_set: None,
            spns: vec![spn.into()],
            present: AttrSet::of(&[Attr::ServicePrincipalName]),
            ..Account::test("X$")
        }
    }

    #[test]
    fn a_minimal_spn_export_finds_duplicates_and_says_what_it_could_not_check() {
        let all = [Check::MISSING_SPN, Check::STALE_SPN, Check::DUPLICATE_SPN];
        let mut auditor = Auditor::new(settings(&all), None);
        auditor.observe(
            &bare_holder("CN=A,DC=x", "HOST/web"),
            true,
            Some(SpnTexts::Kept),
        );
        auditor.observe(
            &bare_holder("CN=B,DC=x", "host/WEB"),
            true,
            Some(SpnTexts::Kept),
        );
        let audit = auditor.finish(AttrSet::of(&[Attr::ServicePrincipalName]));
        assert_eq!(audit.summary.count_of("duplicate_spn"), Some(1));
        assert_eq!(audit.summary.accounts_read, 2);
        let missing = audit.coverage.get(Check::MISSING_SPN).unwrap();
        assert_eq!((missing.examined, missing.not_checked), (0, 2));
        assert_eq!(
            missing.missing.names(),
            [
                "objectClass",
                "sAMAccountName",
                "userAccountControl",
                "dNSHostName"
            ]
        );
        assert_eq!(
            audit.coverage.get(Check::DUPLICATE_SPN).unwrap().examined,
            2
        );
        let only_duplicates = Auditor::new(settings(&[Check::DUPLICATE_SPN]), None);
        assert!(
            only_duplicates
                .finish(AttrSet::of(&[Attr::ServicePrincipalName]))
                .coverage
                .gaps()
                .is_none()
        );
    }

    #[test]
    fn absent_attributes_are_gaps_not_verdicts() {
        let mut auditor = Auditor::new(settings(&[Check::STALE_PASSWORD]), None);
        let no_pwd = Account {
            pwd_last_set: None,
            present: EVERYTHING.without(AttrSet::of(&[Attr::PwdLastSet])),
            ..computer("A$", 0x1000, true)
        };
        let no_uac = Account {
            uac: None,
            present: EVERYTHING.without(AttrSet::of(&[Attr::UserAccountControl])),
            ..computer("B$", 0x1002, true)
        };
        auditor.observe(&no_pwd, true, Some(SpnTexts::Kept));
        auditor.observe(&no_uac, true, Some(SpnTexts::Kept));
        let audit = auditor.finish(EVERYTHING);
        assert!(audit.findings.is_empty());
        let stale = audit.coverage.get(Check::STALE_PASSWORD).unwrap();
        assert_eq!(stale.not_checked, 2);
        assert_eq!(stale.missing.names(), ["userAccountControl", "pwdLastSet"]);
    }

    #[test]
    fn a_source_without_dns_names_withdraws_the_spn_rule_verdicts() {
        let mut auditor = Auditor::new(settings(&[Check::MISSING_SPN, Check::STALE_SPN]), None);
        auditor.observe(&computer("A$", 0x1000, true), true, Some(SpnTexts::Kept));
        let audit = auditor.finish(EVERYTHING.without(AttrSet::of(&[Attr::DnsHostName])));
        assert!(audit.findings.is_empty(), "{:?}", audit.findings);
        assert_eq!(
            audit.coverage.get(Check::MISSING_SPN).unwrap().not_checked,
            1
        );
    }

    #[test]
    fn objects_outside_the_scope_are_indexed_but_not_reported() {
        let mut auditor = Auditor::new(settings(&[Check::DUPLICATE_SPN, Check::MISSING_SPN]), None);
        let inside = Account {
            spns: vec!["HOST/shared".into()],
            ..computer("IN$", 0x1000, true)
        };
        let outside = Account {
            spns: vec!["host/SHARED".into()],
            ..computer("OUT$", 0x1000, true)
        };
        auditor.observe(&inside, true, Some(SpnTexts::Kept));
        auditor.observe(&outside, false, Some(SpnTexts::Kept));
        let audit = auditor.finish(EVERYTHING);
        let kinds: Vec<(&str, Option<&str>)> =
            audit.findings.iter().map(|f| (f.kind(), f.dn())).collect();
        assert!(kinds.contains(&("duplicate_spn", None)), "{kinds:?}");
        assert!(
            !kinds.iter().any(|(_, dn)| *dn == Some("CN=OUT,DC=x")),
            "{kinds:?}"
        );
        assert_eq!(audit.summary.accounts_read, 1);
    }

    #[test]
    fn every_kind_and_class_has_its_count_by_name() {
        // Every count different, so that two names mapped to each other's count show.
        let mut summary = Summary::default();
        for (n, kind) in kinds::KINDS.iter().enumerate() {
            for _ in 0..=n {
                summary.add(kind, None);
            }
            for (c, class) in kind.classes.iter().enumerate() {
                for _ in 0..=(10 + c) {
                    summary.add(kind, Some(class));
                }
            }
        }
        let json = serde_json::to_value(&summary).unwrap();
        for kind in kinds::names().chain(kinds::classes()) {
            let count = summary.count_of(kind);
            assert!(count.is_some_and(|n| n > 0), "{kind}");
            assert_eq!(count, json[kind].as_u64().map(|n| n as usize), "{kind}");
        }
        assert_eq!(summary.count_of("duplicate_spn"), Some(5));
        assert_eq!(summary.count_of("rotation_failing"), Some(12));
        assert_eq!(summary.count_of("nonsense"), None);
    }
}
