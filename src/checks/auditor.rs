//! `Auditor`: runs the selected checks over a stream of accounts. Per-account rules run as each
//! account arrives; only the SPN index (for duplicates) and the candidates of named computers
//! are kept until `finish`.

use serde::Serialize;

use super::{
    Finding, SpnIndex, SpnSettings, StaleClass, StaleSettings, classify_password, duplicates_in,
    review_spns, sort_findings,
};
use crate::account::Account;
use crate::names::{NameQuery, Resolution};
use crate::spn::SpnAliases;

/// Which computers `--probe-default-passwords` tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeScope {
    /// Enabled computers that never logged on (pre-created, or reset and never rejoined).
    NeverLoggedOn,
    /// Every enabled computer (`--probe-all`).
    All,
}

/// Which checks to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSettings {
    /// Collect the accounts whose default password should be tried.
    pub probe: Option<ProbeScope>,
    pub stale: Option<StaleSettings>,
    /// Missing and stale SPN rules.
    pub spn_rules: Option<SpnSettings>,
    pub duplicates: bool,
    /// Narrow the per-computer SPN rules to these computers (duplicates keep the whole scope).
    pub names: Vec<NameQuery>,
}

/// Counts for the report's `summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub accounts_read: usize,
    pub computers: usize,
    pub findings: usize,
    pub stale_password: usize,
    pub never_set: usize,
    pub rotation_failing: usize,
    pub inactive: usize,
    pub missing_spn: usize,
    pub stale_spn: usize,
    pub duplicate_spn: usize,
    pub default_password: usize,
    pub not_found: usize,
    pub ambiguous: usize,
}

pub struct Auditor {
    settings: AuditSettings,
    /// The scope's own sPNMappings, once seen.
    aliases: Option<SpnAliases>,
    findings: Vec<Finding>,
    index: Option<SpnIndex>,
    named: Vec<Account>,
    /// The duplicate indexes of other parts of the scope (`merge`), queried together.
    other_parts: Vec<SpnIndex>,
    probe_targets: Vec<(String, String)>,
    accounts_read: usize,
    computers: usize,
}

impl Auditor {
    /// `source_bytes`, when known, sizes the duplicate index up front.
    pub fn new(settings: AuditSettings, source_bytes: Option<u64>) -> Auditor {
        let index = settings
            .duplicates
            .then(|| SpnIndex::with_size_hint(SpnAliases::default(), source_bytes.unwrap_or(0)));
        Auditor {
            settings,
            aliases: None,
            findings: Vec::new(),
            index,
            named: Vec::new(),
            other_parts: Vec::new(),
            probe_targets: Vec::new(),
            accounts_read: 0,
            computers: 0,
        }
    }

    /// Uses these aliases instead of Windows' defaults.
    pub fn set_aliases(&mut self, aliases: SpnAliases) {
        if let Some(index) = &mut self.index {
            index.set_aliases(aliases.clone());
        }
        self.aliases = Some(aliases);
    }

    /// Gets the duplicate index ready for queries (sorting it): worth doing on each worker's
    /// own thread before `merge`.
    pub fn prepare(&mut self) {
        if let Some(index) = &mut self.index {
            index.prepare();
        }
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
        self.named.append(&mut other.named);
        self.probe_targets.append(&mut other.probe_targets);
        self.accounts_read += other.accounts_read;
        self.computers += other.computers;
        self.other_parts.extend(other.index);
        self.other_parts.append(&mut other.other_parts);
    }

    /// Examines one account; `index_spns` is false when duplicates come from another scan
    /// (the global catalog, with `--forest`).
    pub fn observe(&mut self, account: &Account, index_spns: bool) {
        self.accounts_read += 1;
        if account.is_computer() {
            self.computers += 1;
        }
        if let Some(stale) = &self.settings.stale
            && let Some(finding) = classify_password(account, stale)
        {
            self.findings.push(finding);
        }
        if let Some(rules) = &self.settings.spn_rules
            && rules.examines(account)
        {
            if self.settings.names.is_empty() {
                push_spn_rules(&mut self.findings, account, rules);
            } else if self.settings.names.iter().any(|name| name.matches(account)) {
                self.named.push(account.clone());
            }
        }
        if let Some(scope) = self.settings.probe
            && crate::reset::refusal(account).is_none()
            && !account.uac.is_disabled()
            && (scope == ProbeScope::All || account.last_logon_timestamp.is_none())
        {
            self.probe_targets
                .push((account.sam_account_name.clone(), account.dn.clone()));
        }
        if index_spns {
            self.index_only(account);
        }
    }

    /// (sAMAccountName, DN) of the computers to try default passwords on. Domain controllers,
    /// trust and managed accounts are never tried: they are never reset to a default.
    pub fn probe_targets(&self) -> &[(String, String)] {
        &self.probe_targets
    }

    /// Adds a finding made outside the pure checks (a probe's result).
    pub fn record(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Adds an account's SPNs to the duplicate index and nothing else.
    pub fn index_only(&mut self, account: &Account) {
        if let Some(index) = &mut self.index {
            index.add(account);
        }
    }

    pub fn finish(mut self) -> (Vec<Finding>, Summary) {
        if let Some(rules) = &self.settings.spn_rules {
            for name in &self.settings.names {
                match name.resolve(&self.named) {
                    Resolution::Found(account) => {
                        push_spn_rules(&mut self.findings, account, rules);
                    }
                    Resolution::NotFound => self.findings.push(Finding::NotFound {
                        name: name.as_str().to_string(),
                    }),
                    Resolution::Ambiguous(matches) => self.findings.push(Finding::Ambiguous {
                        name: name.as_str().to_string(),
                        candidates: matches.iter().map(|a| a.dn.clone()).collect(),
                    }),
                }
            }
        }
        if let Some(index) = self.index.take() {
            let mut parts = vec![index];
            parts.append(&mut self.other_parts);
            parts.iter_mut().for_each(SpnIndex::prepare);
            self.findings.extend(duplicates_in(&parts));
        }
        sort_findings(&mut self.findings);
        self.findings.dedup();
        let mut summary = Summary {
            accounts_read: self.accounts_read,
            computers: self.computers,
            findings: self.findings.len(),
            ..Summary::default()
        };
        for finding in &self.findings {
            match finding {
                Finding::StalePassword { class, .. } => {
                    summary.stale_password += 1;
                    match class {
                        StaleClass::NeverSet => summary.never_set += 1,
                        StaleClass::RotationFailing => summary.rotation_failing += 1,
                        StaleClass::Inactive => summary.inactive += 1,
                    }
                }
                Finding::MissingSpn { .. } => summary.missing_spn += 1,
                Finding::StaleSpn { .. } => summary.stale_spn += 1,
                Finding::DuplicateSpn { .. } => summary.duplicate_spn += 1,
                Finding::DefaultPassword { .. } => summary.default_password += 1,
                Finding::NotFound { .. } => summary.not_found += 1,
                Finding::Ambiguous { .. } => summary.ambiguous += 1,
            }
        }
        (self.findings, summary)
    }
}

fn push_spn_rules(findings: &mut Vec<Finding>, account: &Account, rules: &SpnSettings) {
    let review = review_spns(account, rules);
    for spn in review.missing {
        findings.push(Finding::MissingSpn {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            spn,
        });
    }
    for (spn, replacement) in review.stale {
        findings.push(Finding::StaleSpn {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            spn,
            replacement,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filetime::FileTime;
    use crate::uac::Uac;

    fn computer(sam: &str, uac: u32, logged_on: bool) -> Account {
        Account {
            uac: Uac(uac),
            pwd_last_set: Some(FileTime(1)),
            last_logon_timestamp: logged_on.then_some(FileTime(2)),
            ..Account::test(sam)
        }
    }

    fn probed(scope: ProbeScope) -> Vec<String> {
        let mut auditor = Auditor::new(
            AuditSettings {
                probe: Some(scope),
                ..AuditSettings::default()
            },
            None,
        );
        for account in [
            computer("NEW$", 0x1000, false),
            computer("USED$", 0x1000, true),
            computer("OFF$", 0x1002, false),
            computer("DC$", 0x2000, false),
        ] {
            auditor.observe(&account, true);
        }
        auditor
            .probe_targets()
            .iter()
            .map(|(sam, _)| sam.clone())
            .collect()
    }

    #[test]
    fn probes_only_enabled_resettable_computers() {
        assert_eq!(probed(ProbeScope::NeverLoggedOn), ["NEW$"]);
        assert_eq!(probed(ProbeScope::All), ["NEW$", "USED$"]);
    }
}
