//! Coverage (docs/reference.md, "Coverage"): never "clean" when a check could not look. Each
//! check says, per object, whether it applies and whether the object carried what the check
//! needs; attributes an object may lack legitimately (`dNSHostName`, `servicePrincipalName`)
//! count as known only when the source shows it holds them at all. The result is reported per
//! check, and decides whether a run without findings may exit 0.

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::kinds::{KINDS, Kind, Needs};
use crate::model::account::{Account, AttrSet};

/// A check whose coverage is reported: a finding kind that declares what it needs
/// (`Kind::needs`), named as the findings it makes. Each kind's file names its check
/// (`Check::STALE_PASSWORD`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check(pub(crate) &'static Kind);

impl std::hash::Hash for Check {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.name.hash(state);
    }
}

impl PartialOrd for Check {
    fn partial_cmp(&self, other: &Check) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Check {
    /// Report order.
    fn cmp(&self, other: &Check) -> std::cmp::Ordering {
        self.0.position().cmp(&other.0.position())
    }
}

impl Check {
    /// Every check, in report order.
    pub fn all() -> Vec<Check> {
        KINDS
            .into_iter()
            .filter(|kind| kind.needs.is_some())
            .map(Check)
            .collect()
    }

    /// The checks `command` runs (`audit`: every one).
    pub fn of_command(command: &str) -> Vec<Check> {
        Check::all()
            .into_iter()
            .filter(|check| command == "audit" || check.needs().commands.contains(&command))
            .collect()
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    fn needs(self) -> &'static Needs {
        self.0
            .needs
            .as_ref()
            .expect("a check's kind says what it needs")
    }

    /// A check's name as a user may write it: snake_case or with dashes, or a short form
    /// (`duplicates`).
    pub fn parse(text: &str) -> Option<Check> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Check::all().into_iter().find(|check| {
            check.name() == wanted || check.needs().aliases.contains(&wanted.as_str())
        })
    }

    /// What every object the check applies to must carry (the class tells whether it applies).
    fn needs_on_object(self) -> AttrSet {
        AttrSet::of(self.needs().on_object)
    }

    /// What the source as a whole must be known to hold (absent on an object is then "none").
    /// Everything the check reads: what it needs on objects and in the source, and its own.
    pub fn reads(self) -> AttrSet {
        let needs = self.needs();
        AttrSet::of(needs.on_object)
            .union(AttrSet::of(needs.in_source))
            .union(AttrSet::of(needs.reads))
    }

    pub fn needs_in_source(self) -> AttrSet {
        AttrSet::of(self.needs().in_source)
    }

    /// Whether the check looks at objects like this one (computers, and objects whose class
    /// the source does not tell; every object for duplicates).
    fn applies_to(self, account: &Account) -> bool {
        self.needs().every_object || account.may_be_computer()
    }

    /// The attributes `account` lacks for this check, if the check applies to it at all.
    pub fn missing_on(self, account: &Account) -> Option<AttrSet> {
        self.applies_to(account)
            .then(|| self.needs_on_object().without(account.present))
    }
}

/// One check's coverage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckCoverage {
    pub examined: u64,
    pub not_checked: u64,
    pub missing: AttrSet,
    /// What the check could judge from, when that is less than everything it knows (e.g.
    /// encryption readiness without the KDC).
    pub note: Option<&'static str>,
}

impl Serialize for CheckCoverage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("examined", &self.examined)?;
        map.serialize_entry("not_checked", &self.not_checked)?;
        map.serialize_entry("missing_attributes", &self.missing.names())?;
        if let Some(note) = self.note {
            map.serialize_entry("note", note)?;
        }
        map.end()
    }
}

/// The coverage of every requested check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    checks: Vec<(Check, CheckCoverage)>,
}

impl Serialize for Coverage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.checks.len()))?;
        for (check, coverage) in &self.checks {
            map.serialize_entry(check.name(), coverage)?;
        }
        map.end()
    }
}

impl Coverage {
    pub fn new(checks: &[Check]) -> Coverage {
        let mut checks: Vec<Check> = checks.to_vec();
        checks.sort();
        checks.dedup();
        Coverage {
            checks: checks
                .into_iter()
                .map(|check| (check, CheckCoverage::default()))
                .collect(),
        }
    }

    fn entry(&mut self, check: Check) -> Option<&mut CheckCoverage> {
        self.checks
            .iter_mut()
            .find(|(known, _)| *known == check)
            .map(|(_, coverage)| coverage)
    }

    pub fn examined(&mut self, check: Check) {
        if let Some(coverage) = self.entry(check) {
            coverage.examined += 1;
        }
    }

    pub fn not_checked(&mut self, check: Check, missing: AttrSet) {
        if let Some(coverage) = self.entry(check) {
            coverage.not_checked += 1;
            coverage.missing = coverage.missing.union(missing);
        }
    }

    /// `count` objects counted as examined were not checked after all: they lack `missing`,
    /// which the source, as it turned out, holds elsewhere.
    pub fn examined_without(&mut self, check: Check, count: u64, missing: AttrSet) {
        if let Some(coverage) = self.entry(check)
            && count > 0
        {
            coverage.examined -= count.min(coverage.examined);
            coverage.not_checked += count;
            coverage.missing = coverage.missing.union(missing);
        }
    }

    /// Everything `check` examined becomes not checked: the source lacks `missing` altogether.
    pub fn source_lacks(&mut self, check: Check, missing: AttrSet) {
        if let Some(coverage) = self.entry(check) {
            coverage.not_checked += coverage.examined;
            coverage.examined = 0;
            coverage.missing = coverage.missing.union(missing);
        }
    }

    pub fn merge(&mut self, other: &Coverage) {
        for (check, theirs) in &other.checks {
            if let Some(ours) = self.entry(*check) {
                ours.examined += theirs.examined;
                ours.not_checked += theirs.not_checked;
                ours.missing = ours.missing.union(theirs.missing);
                ours.note = ours.note.or(theirs.note);
            }
        }
    }

    /// Says what `check` could judge from (see [`CheckCoverage::note`]).
    pub fn set_note(&mut self, check: Check, note: Option<&'static str>) {
        if let Some(coverage) = self.entry(check) {
            coverage.note = note;
        }
    }

    pub fn get(&self, check: Check) -> Option<CheckCoverage> {
        self.checks
            .iter()
            .find(|(known, _)| *known == check)
            .map(|(_, coverage)| *coverage)
    }

    /// One sentence naming the checks that could not look everywhere, and what they lacked.
    pub fn gaps(&self) -> Option<String> {
        let incomplete: Vec<&(Check, CheckCoverage)> = self
            .checks
            .iter()
            .filter(|(_, c)| c.not_checked > 0)
            .collect();
        if incomplete.is_empty() {
            return None;
        }
        let mut text = String::new();
        for (index, (check, coverage)) in incomplete.iter().enumerate() {
            if index > 0 {
                text.push_str("; ");
            }
            let _ = write!(
                text,
                "{} did not check {} of {} objects",
                check.name(),
                coverage.not_checked,
                coverage.not_checked + coverage.examined
            );
            if !coverage.missing.is_empty() {
                let _ = write!(text, " (no {})", coverage.missing.names().join(", "));
            }
        }
        Some(text)
    }

    /// Every attribute some check lacked.
    pub fn missing(&self) -> AttrSet {
        self.checks
            .iter()
            .fold(AttrSet::default(), |all, (_, c)| all.union(c.missing))
    }

    /// One line for people under a table: what was examined.
    pub fn note(&self) -> String {
        let parts: Vec<String> = self
            .checks
            .iter()
            .map(|(check, c)| {
                let mut part = format!("{} {}", check.name(), c.examined);
                if c.not_checked > 0 {
                    part.push_str(&format!(" (not checked {})", c.not_checked));
                }
                if let Some(note) = c.note {
                    part.push_str(&format!(" ({note})"));
                }
                part
            })
            .collect();
        format!("Coverage, objects examined: {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::account::{AccountKind, Attr};

    #[test]
    fn checks_parse_from_what_people_type() {
        assert_eq!(Check::parse("duplicate-spn"), Some(Check::DUPLICATE_SPN));
        assert_eq!(Check::parse("Duplicates"), Some(Check::DUPLICATE_SPN));
        assert_eq!(Check::parse("stale_password"), Some(Check::STALE_PASSWORD));
        assert_eq!(Check::parse("everything"), None);
    }

    #[test]
    fn an_spn_holder_without_class_is_a_gap_for_the_per_computer_checks_only() {
        let holder = Account {
            kind: None,
            sam_account_name: None,
            uac: None,
            present: AttrSet::of(&[Attr::ServicePrincipalName]),
            ..Account::test("X$")
        };
        assert_eq!(
            Check::DUPLICATE_SPN.missing_on(&holder),
            Some(AttrSet::default())
        );
        assert_eq!(
            Check::MISSING_SPN.missing_on(&holder).unwrap().names(),
            ["objectClass", "sAMAccountName", "userAccountControl"]
        );
        let user = Account {
            kind: Some(AccountKind::User),
            ..holder
        };
        assert_eq!(
            Check::STALE_PASSWORD.missing_on(&user),
            None,
            "not a computer"
        );
    }

    #[test]
    fn gaps_are_one_sentence() {
        let mut coverage = Coverage::new(&[Check::DUPLICATE_SPN, Check::MISSING_SPN]);
        coverage.examined(Check::DUPLICATE_SPN);
        coverage.not_checked(Check::MISSING_SPN, AttrSet::of(&[Attr::ObjectClass]));
        coverage.examined(Check::STALE_PASSWORD); // not requested: ignored
        assert!(coverage.gaps().is_some());
        assert_eq!(
            coverage.gaps().unwrap(),
            "missing_spn did not check 1 of 1 objects (no objectClass)"
        );
        let json = serde_json::to_value(&coverage).unwrap();
        assert_eq!(json["duplicate_spn"]["examined"], 1);
        assert_eq!(json["missing_spn"]["missing_attributes"][0], "objectClass");
        coverage.source_lacks(
            Check::DUPLICATE_SPN,
            AttrSet::of(&[Attr::ServicePrincipalName]),
        );
        assert_eq!(coverage.get(Check::DUPLICATE_SPN).unwrap().not_checked, 1);
    }
}
