//! Why a check run is no clean bill: what the checks could not look at (coverage), what the
//! source did not show (an export cut short, nothing under `-b`, deleted objects the bound
//! account may not see, keys the KDC did not say), in one line with what would mend it.

use super::{Source, SourceFacts};
use crate::ldap::queries::SCAN_FILTER;
use adcomputer_core::model::account::{Attr, AttrSet};
// (`cn`, the first GPO attribute, is an account attribute too.)
use adcomputer_core::model::gpo::{CONTAINER_ATTRIBUTES, GPO_ATTRIBUTES};
use adcomputer_core::rules::coverage::{Check, Coverage};
use adcomputer_core::rules::takeover::MACHINE_ACCOUNT_QUOTA;

/// What the source could not show besides coverage.
pub(crate) enum Unseen {
    /// Deleted computers the bound account may not see: why.
    Deleted(String),
    /// Accounts whose keys the KDC did not say: which, and why.
    Keys(String),
    /// Group Policy that applies but could not be read (a GptTmpl.inf): which, and why.
    Policy(String),
}

impl Unseen {
    /// The warning: what was not seen, and why.
    pub(crate) fn why(&self) -> &str {
        match self {
            Unseen::Deleted(why) | Unseen::Keys(why) | Unseen::Policy(why) => why,
        }
    }
}

impl Source {
    /// One line saying why a run without findings is no clean bill, if it is not one.
    /// `examined`: the accounts read in scope.
    pub(crate) fn gaps(
        &self,
        coverage: &Coverage,
        facts: &SourceFacts,
        examined: usize,
        unseen: Vec<Unseen>,
    ) -> Option<String> {
        let mut reasons: Vec<String> = coverage.gaps().into_iter().collect();
        for unseen in unseen {
            reasons.push(match unseen {
                Unseen::Keys(why) | Unseen::Policy(why) => why,
                Unseen::Deleted(why) => format!(
                    "{why}: bind as an account that may, or leave them out with --checks {}",
                    Check::all()
                        .into_iter()
                        .map(Check::name)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            });
        }
        if !facts.complete {
            reasons.push("the export is incomplete (its search ended early)".to_string());
        }
        if let Source::Ldif {
            base: Some(base), ..
        } = self
            && examined == 0
        {
            reasons.push(format!("no object of the export is under -b {base}"));
        }
        if reasons.is_empty() {
            return None;
        }
        Some(format!(
            "not everything was checked: {}{}",
            reasons.join("; "),
            self.advice(coverage)
        ))
    }

    /// What would give the checks the attributes they lacked.
    fn advice(&self, coverage: &Coverage) -> String {
        if coverage.missing().is_empty() {
            return String::new();
        }
        match self {
            Source::Live(_) => {
                "; the bound account may not read them: bind as an account that can".to_string()
            }
            Source::Ldif { .. } => {
                let complete: Vec<&str> = Check::all()
                    .iter()
                    .filter(|check| coverage.get(**check).is_some_and(|c| c.not_checked == 0))
                    .map(|check| check.name())
                    .collect();
                let narrower = if complete.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", or ask only for what it holds: --checks {}",
                        complete.join(",")
                    )
                };
                format!("; export them too: {}{narrower}", export_recipe())
            }
        }
    }
}

/// The ldapsearch command that exports what the checks need (docs/reference.md gives the
/// same): the scan's own filter and every check's attributes, the owner only (the SD-flags
/// control), the domain object and its machine account quota, and the Group Policy objects
/// (for `--sysvol`).
fn export_recipe() -> String {
    let others = "(objectClass=domainDNS)(gPLink=*)(gPOptions=*)(objectClass=groupPolicyContainer)";
    let filter = SCAN_FILTER.strip_suffix(')').unwrap_or(SCAN_FILTER);
    let scanned = AttrSet::EVERY.without(AttrSet::of(&[Attr::KeyVersionNumber]));
    format!(
        "ldapsearch -o ldif-wrap=no -H ldaps://DC -x -D USER -W -b BASE -E pr=1000/noprompt -E '!1.2.840.113556.1.4.801=::MAMCAQE=' '{filter}{others})' {} {MACHINE_ACCOUNT_QUOTA} {} > export.ldif",
        scanned.names().join(" "),
        [&CONTAINER_ATTRIBUTES[..], &GPO_ATTRIBUTES[1..]]
            .concat()
            .join(" ")
    )
}

#[cfg(test)]
mod tests {
    /// The coverage hint and docs/reference.md give one export command (the reference's is
    /// run against the test DC by schedule_live).
    #[test]
    fn the_reference_gives_the_same_export_command() {
        let reference = include_str!("../../docs/reference.md");
        let block = reference
            .split("<!-- export-command -->")
            .nth(1)
            .expect("the export command in docs/reference.md");
        let command = block
            .lines()
            .find(|line| line.starts_with("ldapsearch "))
            .expect("an ldapsearch line");
        let generic = command
            .replace("ldaps://dc1.corp.example.com", "ldaps://DC")
            .replace("admin@CORP.EXAMPLE.COM", "USER")
            .replace("DC=corp,DC=example,DC=com", "BASE");
        assert_eq!(generic, super::export_recipe());
    }
}
