//! Triage for schedulers (docs/reference.md, "Scheduled runs"): each finding's stable identity,
//! which findings are new since a baseline report and which it lists that are gone, which a
//! reviewed ignore list accepts, and which of the rest make the run exit 1 (`--fail-on`).
//! Pure: `config` reads the files, this decides.

use hashbrown::{HashMap, HashSet};

use crate::model::dn::NormalDn;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::Finding;
use super::kinds::{self, Kind};
use crate::model::text;

/// The identity of a finding: its kind, the account's DN (or the duplicated SPN's key, or the
/// name given), and what about the account (the SPN, the attribute), folded as the directory
/// compares them and lower-cased, joined with `|`. Stable from run to run while the finding
/// stays: a stale password that changes class, or a duplicate that gains a holder, is the same
/// finding.
pub fn identity(kind: &str, subject: &str, detail: Option<&str>) -> String {
    let mut id = String::with_capacity(kind.len() + subject.len() + 32);
    id.push_str(kind);
    for part in std::iter::once(subject).chain(detail) {
        id.push('|');
        let start = id.len();
        if text::Prepared::is_plain(part) {
            // Folded, then lower case: for plain ASCII, its lower case (one pass, not three).
            id.push_str(part);
            id[start..].make_ascii_lowercase();
            continue;
        }
        text::fold_into(part, &mut id);
        // Lower case reads better in a list of ids; for ASCII, without a copy.
        if id[start..].is_ascii() {
            id[start..].make_ascii_lowercase();
        } else {
            let lower = id[start..].to_lowercase();
            id.truncate(start);
            id.push_str(&lower);
        }
    }
    id
}

impl Finding {
    /// The finding's identity (see [`identity`]): its kind's identity fields.
    pub fn id(&self) -> String {
        let spec = self.spec();
        let value = |name| (spec.field)(self, name).unwrap_or_default();
        match spec.identity {
            [subject, detail, ..] => identity(spec.name, &value(subject), Some(&value(detail))),
            [subject] => identity(spec.name, &value(subject), None),
            [] => identity(spec.name, "", None),
        }
    }
}

/// The fields of a finding's JSON that may make its identity.
#[derive(Deserialize)]
struct IdentityFields<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    dn: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    spn: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    key: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    attribute: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    class: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    gpo: Option<GpoIdentity<'a>>,
}

/// A GPO as a finding names it: by its GUID.
#[derive(Deserialize)]
struct GpoIdentity<'a> {
    #[serde(borrow)]
    guid: std::borrow::Cow<'a, str>,
}

impl IdentityFields<'_> {
    /// The non-empty value of the identity field `field`.
    fn get(&self, field: &str) -> Option<&str> {
        match field {
            "dn" => self.dn.as_deref(),
            "spn" => self.spn.as_deref(),
            "key" => self.key.as_deref(),
            "attribute" => self.attribute.as_deref(),
            "name" => self.name.as_deref(),
            "class" => self.class.as_deref(),
            "gpo" => self.gpo.as_ref().map(|gpo| gpo.guid.as_ref()),
            _ => None,
        }
    }
}

/// The identity of a finding as an earlier report wrote it (its kind's identity fields);
/// `None` for a kind this version does not know, or a finding without the fields its kind has.
fn identity_of_json(raw: &RawValue) -> Option<String> {
    // A struct would also be read from an array: a finding is an object.
    if !raw.get().starts_with('{') {
        return None;
    }
    let fields: IdentityFields<'_> = serde_json::from_str(raw.get()).ok()?;
    let kind = Kind::named(&fields.kind)?;
    let (subject, detail) = match kind.identity {
        [subject] => (fields.get(subject)?, None),
        [subject, detail] => (fields.get(subject)?, Some(fields.get(detail)?)),
        _ => return None,
    };
    Some(identity(kind.name, subject, detail))
}

/// An earlier report of the same command (`--baseline`): its findings by identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The command that wrote it (`None` for JSON Lines, which does not say).
    pub command: Option<String>,
    /// Its `-b` (`Some(None)`: the whole domain; `None`: it does not say).
    pub base: Option<Option<String>>,
    /// The report as read: the findings below are ranges of it, not copies (a baseline may
    /// hold a million).
    text: String,
    /// Each finding's identity and where the report wrote it, in the report's order.
    findings: Vec<(String, std::ops::Range<usize>)>,
    /// The path of a baseline that does not exist yet (a first run), for the warning.
    missing: Option<String>,
}

#[derive(Deserialize)]
struct ReportDocument<'a> {
    #[serde(default)]
    tool: Option<String>,
    #[serde(default)]
    command: Option<String>,
    /// `Some(None)`: the whole domain; `None`: a report that does not say.
    #[serde(default, deserialize_with = "present")]
    base: Option<Option<String>>,
    #[serde(borrow)]
    findings: Vec<&'a RawValue>,
}

/// A field that is there, `null` or not (`Some(None)` for `null`).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

impl Baseline {
    /// The baseline in `text`: an adcomputer JSON report (`-o json`), or JSON Lines (`-o jsonl`).
    pub fn parse(whole: String) -> anyhow::Result<Baseline> {
        let text = whole.strip_prefix('\u{feff}').unwrap_or(&whole);
        type Parts<'t> = (Option<String>, Option<Option<String>>, Vec<&'t RawValue>);
        let (command, base, raws): Parts<'_> = match serde_json::from_str::<ReportDocument<'_>>(
            text,
        ) {
            Ok(document) => {
                if document.tool.as_deref() != Some("adcomputer") {
                    bail!("not an adcomputer report (no \"tool\": \"adcomputer\")");
                }
                (document.command, document.base, document.findings)
            }
            Err(as_report) => {
                let mut lines = Vec::new();
                for (number, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let raw: &RawValue = serde_json::from_str(line).map_err(|_| {
                            anyhow::anyhow!(
                                "neither an adcomputer JSON report ({as_report}) nor JSON Lines (line {} is not JSON)",
                                number + 1
                            )
                        })?;
                    lines.push(raw);
                }
                (None, None, lines)
            }
        };
        // Each finding parsed again for its identity.
        let ids = on_two_cores(&raws, |raw| identity_of_json(raw));
        let mut findings = Vec::with_capacity(raws.len());
        for (index, (raw, id)) in raws.iter().zip(ids).enumerate() {
            let id = id.with_context(|| {
                format!(
                    "finding {} is not one adcomputer writes (no known kind, or its fields are missing)",
                    index + 1
                )
            })?;
            let start = raw.get().as_ptr() as usize - whole.as_ptr() as usize;
            findings.push((id, start..start + raw.get().len()));
        }
        Ok(Baseline {
            command,
            base,
            text: whole,
            findings,
            missing: None,
        })
    }

    /// The finding the report wrote at `range` (a JSON object: `parse` checked it), marked
    /// `"baseline": "resolved"`.
    fn finding(&self, range: std::ops::Range<usize>) -> serde_json::Map<String, serde_json::Value> {
        let mut finding: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&self.text[range])
                .expect("parse kept only findings that are JSON objects");
        finding.insert("baseline".into(), "resolved".into());
        finding
    }

    /// The baseline of a first run: `path` does not exist yet, so every finding is new.
    pub fn missing(path: &std::path::Path) -> Baseline {
        Baseline {
            command: None,
            base: None,
            text: String::new(),
            findings: Vec::new(),
            missing: Some(path.display().to_string()),
        }
    }
}

/// A reviewed list of accepted findings (`--ignore FILE`): one identity a line, as the `id`
/// field of a report gives it; lines starting with `#` and blank lines are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IgnoreList {
    /// (identity, line number).
    entries: Vec<(String, usize)>,
}

impl IgnoreList {
    pub fn parse(text: &str) -> anyhow::Result<IgnoreList> {
        let mut entries = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (kind, rest) = line.split_once('|').unwrap_or((line, ""));
            let kind = kind.trim().to_ascii_lowercase();
            let Some(kind) = Kind::named(&kind)
                .map(|kind| kind.name)
                .filter(|_| !rest.is_empty())
            else {
                // The line as far as a person reads it: an endless one is not echoed whole.
                // (Errors are made safe for the terminal where they are printed.)
                let shown: String = line.chars().take(120).collect();
                let more = if shown.len() < line.len() { "…" } else { "" };
                bail!(
                    "line {}: not a finding's id (kind|dn[|spn], e.g. {}|http/intranet.corp.example.com): {shown}{more}",
                    number + 1,
                    kinds::DUPLICATE_SPN.name,
                );
            };
            // Fold the parts as identities are folded, so that case does not matter.
            let mut parts = rest.splitn(2, '|');
            let subject = parts.next().unwrap_or("");
            entries.push((identity(kind, subject, parts.next()), number + 1));
        }
        Ok(IgnoreList { entries })
    }
}

/// What `--fail-on` selects: a finding kind, or one class of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Kind(&'static str),
    Class(&'static str),
}

impl Selector {
    /// A kind or class as a user may write it: snake_case or with dashes.
    pub fn parse(text: &str) -> anyhow::Result<Selector> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        if let Some(kind) = Kind::named(&wanted) {
            return Ok(Selector::Kind(kind.name));
        }
        kinds::classes()
            .find(|class| *class == wanted)
            .map(Selector::Class)
            .with_context(|| {
                format!(
                    "--fail-on {text}: not a finding kind ({}) nor a class of one ({})",
                    kinds::names().collect::<Vec<_>>().join(", "),
                    kinds::classes().collect::<Vec<_>>().join(", ")
                )
            })
    }

    /// The finding kind it selects among.
    pub fn kind(self) -> &'static str {
        match self {
            Selector::Kind(kind) => kind,
            Selector::Class(class) => Kind::of_class(class).map_or("", |kind| kind.name),
        }
    }

    fn selects(self, finding: &Finding) -> bool {
        match self {
            Selector::Class(class) => finding.class() == Some(class),
            Selector::Kind(kind) => finding.kind() == kind,
        }
    }
}

/// How a scheduled run judges its findings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TriageSettings {
    pub baseline: Option<Baseline>,
    pub ignore: Option<IgnoreList>,
    /// Empty: every kind counts.
    pub fail_on: Vec<Selector>,
    /// Failing findings of these kinds or classes are critical (a plugin's CRITICAL).
    pub critical_on: Vec<Selector>,
}

/// A finding compared with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    New,
    Unchanged,
}

/// The counts triage adds to a report's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TriageCounts {
    /// With a baseline: findings it did not have, findings it had, its findings now gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<usize>,
    /// With an ignore list: findings it accepts (left out of the report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<usize>,
    /// The findings that make the run exit 1: not ignored, new (with a baseline), of a
    /// `--fail-on` kind (when given).
    pub failing: usize,
    /// With `--critical-on`: the failing findings of those kinds or classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<usize>,
}

/// The verdict on a run's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triage {
    /// Per finding left in the report (same order), with a baseline.
    pub marks: Option<Vec<Mark>>,
    /// The baseline's findings not found again, as it wrote them, marked `"baseline":
    /// "resolved"`.
    pub resolved: Vec<serde_json::Map<String, serde_json::Value>>,
    pub counts: TriageCounts,
    pub warnings: Vec<String>,
    /// The kinds the run looked for.
    pub checked: Vec<&'static str>,
    /// Each finding's identity (same order), when triage needed them.
    pub ids: Option<Vec<String>>,
    /// The findings the ignore list accepted, with their identities: left out of the
    /// findings, never resolved, listed apart.
    pub accepted: Vec<(Finding, String)>,
}

/// What a run read, for the baseline: from an incomplete source a finding is `resolved` only
/// where this run looked, so each object read in scope is remembered (as a 64-bit hash of its normalised DN: a million
/// objects take 16 MB), with the domain its DNs are in.
#[derive(Debug, Default)]
pub struct Seen {
    dns: hashbrown::HashSet<u64>,
    domain: Option<String>,
}

impl Seen {
    fn hash(dn: &NormalDn) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0).hash_one(dn.key())
    }

    pub fn add(&mut self, dn: &str) {
        if let Some(dn) = NormalDn::parse(dn) {
            if self.domain.is_none() {
                self.domain = Some(dn.domain());
            }
            self.dns.insert(Seen::hash(&dn));
        }
    }

    pub fn merge(&mut self, other: Seen) {
        self.dns.extend(other.dns);
        self.domain = self.domain.take().or(other.domain);
    }

    fn contains(&self, dn: &str) -> bool {
        NormalDn::parse(dn).is_some_and(|dn| self.dns.contains(&Seen::hash(&dn)))
    }
}

/// The DNs a finding (as a report wrote it) is about: its `dn`, or its holders'.
fn dns_of(finding: &serde_json::Map<String, serde_json::Value>) -> Vec<&str> {
    match finding.get("holders").and_then(serde_json::Value::as_array) {
        Some(holders) => holders
            .iter()
            .filter_map(|holder| holder.get("dn").and_then(serde_json::Value::as_str))
            .collect(),
        None => finding
            .get("dn")
            .and_then(serde_json::Value::as_str)
            .into_iter()
            .collect(),
    }
}

impl Baseline {
    /// Why this baseline is another domain's report, or `None`: it names objects, this run
    /// read some, and not one of its DNs is in this run's domain.
    pub fn foreign(&self, seen: &Seen) -> Option<String> {
        let domain = seen.domain.as_deref()?;
        let mut domains = self.findings.iter().filter_map(|(_, range)| {
            let finding: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&self.text[range.clone()]).ok()?;
            let dn = dns_of(&finding).first().map(|dn| dn.to_string())?;
            NormalDn::parse(&dn).map(|dn| dn.domain())
        });
        let first = domains.next()?;
        if first == domain || domains.any(|other| other == domain) {
            return None;
        }
        Some(format!(
            "its findings are about {first}, this run's objects about {domain}: a report of another domain"
        ))
    }
}

/// Judges `findings` (sorted, as the report lists them): drops what the ignore list accepts,
/// marks the rest against the baseline, and counts what fails the run. `checked`: the kinds
/// this run looked for — a baseline finding of another kind is not "resolved", it was not
/// looked at.
/// `seen`: what an incomplete source held (`None`: a complete one, in which an object that is
/// not there is gone).
pub fn triage(
    findings: &mut Vec<Finding>,
    settings: &TriageSettings,
    checked: &[&'static str],
    seen: Option<&Seen>,
) -> Triage {
    let mut triage = Triage {
        checked: checked.to_vec(),
        ..Triage::default()
    };
    let mut ids: Vec<String> = if settings.ignore.is_some() || settings.baseline.is_some() {
        on_two_cores(findings, Finding::id)
    } else {
        Vec::new()
    };
    // Findings the ignore list accepted: still there, so never "resolved" against a baseline.
    let mut accepted: HashSet<String> = HashSet::new();
    if let Some(ignore) = &settings.ignore {
        let mut used = vec![false; ignore.entries.len()];
        let by_id: HashMap<&str, usize> = ignore
            .entries
            .iter()
            .enumerate()
            .map(|(index, (id, _))| (id.as_str(), index))
            .collect();
        type Identified = Vec<(Finding, String)>;
        let (kept, left_out): (Identified, Identified) = std::mem::take(findings)
            .into_iter()
            .zip(std::mem::take(&mut ids))
            .partition(|(_, id)| match by_id.get(id.as_str()) {
                Some(index) => {
                    used[*index] = true;
                    accepted.insert(id.clone());
                    false
                }
                None => true,
            });
        (*findings, ids) = kept.into_iter().unzip();
        triage.counts.ignored = Some(left_out.len());
        triage.accepted = left_out;
        for ((id, line), used) in ignore.entries.iter().zip(used) {
            if !used && checked.contains(&kind_of(id)) {
                triage.warnings.push(format!(
                    "--ignore: line {line} ({id}) matches no finding any more: remove it from the list"
                ));
            }
        }
    }
    let counts = |finding: &Finding| {
        settings.fail_on.is_empty()
            || settings
                .fail_on
                .iter()
                .any(|selector| selector.selects(finding))
    };
    let critical = |finding: &Finding| {
        settings
            .critical_on
            .iter()
            .any(|selector| selector.selects(finding))
    };
    if !settings.critical_on.is_empty() {
        triage.counts.critical = Some(0);
    }
    let fails = |finding: &Finding, triage: &mut Triage| {
        if counts(finding) {
            triage.counts.failing += 1;
            if critical(finding)
                && let Some(count) = &mut triage.counts.critical
            {
                *count += 1;
            }
        }
    };
    match &settings.baseline {
        // Without selectors every finding fails the run and none is critical: counted, not
        // looked at one by one.
        None if settings.fail_on.is_empty() && settings.critical_on.is_empty() => {
            triage.counts.failing = findings.len();
        }
        None => findings.iter().for_each(|f| fails(f, &mut triage)),
        Some(baseline) => {
            if let Some(path) = &baseline.missing {
                triage.warnings.push(format!(
                    "--baseline {path} does not exist yet: every finding is new (a first run)"
                ));
            }
            let mut previous: HashMap<&str, bool> = baseline
                .findings
                .iter()
                .map(|(id, _)| (id.as_str(), false))
                .collect();
            let mut marks = Vec::with_capacity(findings.len());
            for (finding, id) in findings.iter().zip(&ids) {
                let mark = match previous.get_mut(id.as_str()) {
                    Some(seen) => {
                        *seen = true;
                        Mark::Unchanged
                    }
                    None => {
                        fails(finding, &mut triage);
                        Mark::New
                    }
                };
                marks.push(mark);
            }
            let mut reported: HashSet<&str> = HashSet::new();
            let mut unread = 0;
            for (id, range) in &baseline.findings {
                if !previous[id.as_str()]
                    && !accepted.contains(id.as_str())
                    && checked.contains(&kind_of(id))
                    && reported.insert(id.as_str())
                {
                    let finding = baseline.finding(range.clone());
                    // Resolved only where this run looked: every object it is about was read.
                    let looked = kind_of(id) == kinds::DELETED_COMPUTER.name
                        || seen
                            .is_none_or(|seen| dns_of(&finding).iter().all(|dn| seen.contains(dn)));
                    if looked {
                        triage.resolved.push(finding);
                    } else {
                        unread += 1;
                    }
                }
            }
            if unread > 0 {
                triage.warnings.push(format!(
                    "--baseline: {unread} earlier finding(s) concern objects this run did not read: not called resolved"
                ));
            }
            let new = marks.iter().filter(|mark| **mark == Mark::New).count();
            triage.counts.new = Some(new);
            triage.counts.unchanged = Some(marks.len() - new);
            triage.counts.resolved = Some(triage.resolved.len());
            triage.marks = Some(marks);
        }
    }
    triage.ids = (!ids.is_empty()).then_some(ids);
    triage
}

/// The kind an identity names (its first part).
fn kind_of(id: &str) -> &str {
    id.split_once('|').map_or(id, |(kind, _)| kind)
}

/// `each` of every item, in order, half of them on another core: a report or a baseline may
/// hold a million findings. A panic on the other core is a panic here.
fn on_two_cores<T: Sync, R: Send>(items: &[T], each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| second.iter().map(&each).collect::<Vec<R>>());
        let mut all: Vec<R> = first.iter().map(&each).collect();
        all.extend(
            other
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Holder, StaleClass};

    fn stale(dn: &str, class: StaleClass) -> Finding {
        Finding::StalePassword {
            account: Some("PC01$".into()),
            dn: dn.into(),
            class,
            pwd_last_set: None,
            last_logon: None,
            password_age_days: None,
            disabled: false,
            domain_controller: false,
            account_class: crate::model::roles::AccountClass::Member,
            note: None,
        }
    }

    fn duplicate(key: &str) -> Finding {
        Finding::DuplicateSpn {
            key: key.into(),
            via_alias: false,
            holders: vec![Holder {
                account: Some("A$".into()),
                dn: "CN=A,DC=x".into(),
                spn: key.into(),
                kind: None,
            }],
        }
    }

    fn every_kind() -> Vec<Finding> {
        vec![
            stale("CN=PC01,DC=x", StaleClass::NeverSet),
            Finding::MissingSpn {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                spn: "HOST/PC01".into(),
            },
            Finding::StaleSpn {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                spn: "HOST/pc01.old.example".into(),
                replacement: None,
            },
            Finding::InvalidHostName {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                attribute: "dNSHostName",
                value: "bad name".into(),
                reason: "a space".into(),
            },
            duplicate("http/intranet"),
            Finding::ConfusableSpn {
                key: "host/pc01".into(),
                holders: Vec::new(),
            },
            Finding::DefaultPassword {
                account: None,
                dn: "CN=PC01,DC=x".into(),
            },
            Finding::WeakEncryption {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                class: crate::rules::encryption::EncClass::NoAesKeys,
                supported_encryption_types: None,
                keys: Some(Vec::new()),
                probed_at: Some("dc1".into()),
            },
            Finding::RotationPolicy {
                class: crate::rules::group_policy::PolicyClass::MembersNeverRotate,
                gpo: crate::rules::group_policy::GpoRef {
                    name: Some("Never rotate".into()),
                    guid: "{ABC}".into(),
                    path: None,
                    changed: None,
                    version: None,
                },
                linked_to: vec!["OU=Kiosks,DC=x".into()],
                computers: 1,
                accounts: vec!["KIOSK1$".into()],
            },
            Finding::Delegation {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                class: crate::rules::acting_for::DelegationClass::Unconstrained,
                targets: Vec::new(),
            },
            Finding::Ownership {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                class: crate::rules::takeover::OwnershipClass::Owner,
                owner: Some("S-1-5-21-1-2-3-1105".into()),
                creator: None,
                owner_name: Some("jo".into()),
                creator_name: None,
                quota: None,
            },
            Finding::Laps {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                class: crate::rules::local_admin::LapsClass::None,
                operating_system: "Windows 11 Pro".into(),
                expires: None,
            },
            Finding::UnsupportedOs {
                account: None,
                dn: "CN=PC01,DC=x".into(),
                operating_system: "Windows 7 Professional".into(),
                operating_system_version: "6.1 (7601)".into(),
                product: "Windows 7",
                support_ended: "2020-01-14",
            },
            Finding::DeletedComputer {
                account: None,
                dn: "CN=PC01\\0ADEL:1,CN=Deleted Objects,DC=x".into(),
                last_known_parent: None,
                deleted_at: None,
            },
            Finding::NotFound { name: "pc9".into() },
            Finding::Ambiguous {
                name: "kiosk".into(),
                candidates: Vec::new(),
            },
        ]
    }

    #[test]
    fn every_kind_has_the_same_identity_in_memory_and_in_json() {
        let findings = every_kind();
        let kinds: Vec<&str> = findings.iter().map(Finding::kind).collect();
        assert_eq!(
            kinds,
            kinds::names().collect::<Vec<_>>(),
            "KINDS lists every kind once"
        );
        for finding in &findings {
            let json = serde_json::to_string(finding).unwrap();
            let raw: Box<RawValue> = serde_json::from_str(&json).unwrap();
            assert_eq!(identity_of_json(&raw), Some(finding.id()), "{json}");
        }
        assert_eq!(
            findings[1].id(),
            "missing_spn|cn=pc01,dc=x|host/pc01",
            "readable"
        );
        assert_eq!(findings[4].id(), "duplicate_spn|http/intranet");
    }

    #[test]
    fn the_ascii_path_folds_as_the_directory_does() {
        // The expectations are written out, not computed with the fold under test.
        for (text, id) in [
            ("HOST/PC01", "k|host/pc01"),
            ("  a  b ", "k|a b"),
            ("CN=X, OU=Y", "k|cn=x, ou=y"),
            ("", "k|"),
            (" ", "k|"),
            ("mixed Case  Name", "k|mixed case name"),
        ] {
            assert_eq!(identity("k", text, None), id, "{text:?}");
        }
        assert_eq!(identity("k", "BÜRO-PC", None), "k|büro-pc");
    }

    #[test]
    fn identity_ignores_case_class_and_holders() {
        assert_eq!(
            stale("CN=PC01,DC=x", StaleClass::NeverSet).id(),
            stale("cn=pc01,dc=X", StaleClass::Inactive).id()
        );
        assert_eq!(
            duplicate("HTTP/Intranet").id(),
            duplicate("http/intranet").id()
        );
        assert_ne!(duplicate("http/a").id(), duplicate("http/b").id());
    }

    fn report(findings: &[Finding]) -> String {
        let items: Vec<String> = findings
            .iter()
            .map(|f| serde_json::to_string(f).unwrap())
            .collect();
        format!(
            "{{\"tool\":\"adcomputer\",\"command\":\"audit\",\"findings\":[{}],\"summary\":{{}}}}",
            items.join(",")
        )
    }

    fn all() -> Vec<&'static str> {
        kinds::names().collect()
    }

    #[test]
    fn a_new_finding_is_new_and_only_it_fails() {
        let old = vec![
            duplicate("http/a"),
            stale("CN=PC01,DC=x", StaleClass::NeverSet),
        ];
        let baseline = Baseline::parse(report(&old)).unwrap();
        assert_eq!(baseline.command.as_deref(), Some("audit"));
        let settings = TriageSettings {
            baseline: Some(baseline),
            ..TriageSettings::default()
        };
        let mut now = vec![duplicate("http/a"), duplicate("http/b")];
        let triage = triage(&mut now, &settings, &all(), None);
        assert_eq!(triage.marks, Some(vec![Mark::Unchanged, Mark::New]));
        assert_eq!(triage.counts.failing, 1);
        assert_eq!(triage.counts.new, Some(1));
        assert_eq!(triage.counts.resolved, Some(1));
        assert!(
            triage.resolved[0]["class"] == "never_set",
            "{:?}",
            triage.resolved
        );
        // The next run, nothing changed: nothing fails.
        let settings = TriageSettings {
            baseline: Some(Baseline::parse(report(&now)).unwrap()),
            ..TriageSettings::default()
        };
        let mut again = now.clone();
        assert_eq!(
            super::triage(&mut again, &settings, &all(), None)
                .counts
                .failing,
            0
        );
    }

    /// An accepted finding is still there: never listed as resolved against a baseline that
    /// had it (issue 23).
    #[test]
    fn an_accepted_finding_is_not_resolved() {
        let old = vec![duplicate("http/a"), duplicate("http/b")];
        let settings = TriageSettings {
            baseline: Some(Baseline::parse(report(&old)).unwrap()),
            ignore: Some(IgnoreList::parse("duplicate_spn|http/a\n").unwrap()),
            ..TriageSettings::default()
        };
        let mut now = vec![duplicate("http/a")];
        let triage = triage(&mut now, &settings, &all(), None);
        assert!(now.is_empty(), "accepted: left out");
        assert_eq!(triage.counts.ignored, Some(1));
        let resolved: Vec<&str> = triage
            .resolved
            .iter()
            .map(|finding| finding["key"].as_str().unwrap())
            .collect();
        assert_eq!(resolved, ["http/b"], "only what is really gone");
        assert_eq!(triage.counts.resolved, Some(1));
    }

    #[test]
    fn what_was_not_looked_at_is_not_resolved() {
        let old = vec![
            duplicate("http/a"),
            stale("CN=PC01,DC=x", StaleClass::NeverSet),
        ];
        let settings = TriageSettings {
            baseline: Some(Baseline::parse(report(&old)).unwrap()),
            ..TriageSettings::default()
        };
        let triage = triage(&mut Vec::new(), &settings, &["duplicate_spn"], None);
        assert_eq!(triage.counts.resolved, Some(1));
        assert_eq!(triage.resolved[0]["key"], "http/a");
        assert_eq!(triage.resolved[0]["baseline"], "resolved");
    }

    #[test]
    fn jsonl_is_a_baseline_too_and_garbage_is_refused() {
        let lines = format!(
            "{}\n\n{}\n",
            serde_json::to_string(&duplicate("http/a")).unwrap(),
            serde_json::to_string(&duplicate("http/b")).unwrap()
        );
        let baseline = Baseline::parse(lines).unwrap();
        assert_eq!((baseline.findings.len(), baseline.command), (2, None));
        assert!(Baseline::parse("not json".into()).is_err());
        assert!(Baseline::parse("{\"tool\":\"other\",\"findings\":[]}".into()).is_err());
        assert!(Baseline::parse("[[\"duplicate_spn\", null, null, \"k\"]]".into()).is_err());
        let err = Baseline::parse("{\"kind\":\"weird\"}".into()).unwrap_err();
        assert!(err.to_string().contains("finding 1"), "{err}");
    }

    #[test]
    fn the_ignore_list_accepts_findings_and_names_stale_entries() {
        let list = IgnoreList::parse(
            "# reviewed 2026-12-01: the intranet alias is intentional\nduplicate_spn|HTTP/intranet\n\nmissing_spn|cn=gone,dc=x|host/gone\nstale_password|cn=other,dc=x\n",
        )
        .unwrap();
        let settings = TriageSettings {
            ignore: Some(list),
            ..TriageSettings::default()
        };
        let mut findings = vec![duplicate("http/intranet"), duplicate("http/other")];
        let triage = triage(
            &mut findings,
            &settings,
            &["duplicate_spn", "missing_spn"],
            None,
        );
        assert_eq!(findings, [duplicate("http/other")]);
        assert_eq!(triage.counts.ignored, Some(1));
        assert_eq!(triage.counts.failing, 1);
        assert_eq!(triage.warnings.len(), 1, "{:?}", triage.warnings);
        assert!(
            triage.warnings[0].contains("line 4"),
            "{:?}",
            triage.warnings
        );
        for bad in ["PC01", "nonsense|x", "duplicate_spn|"] {
            assert!(IgnoreList::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fail_on_narrows_what_counts() {
        let settings = TriageSettings {
            fail_on: vec![Selector::parse("rotation-failing").unwrap()],
            ..TriageSettings::default()
        };
        let mut findings = vec![
            stale("CN=A,DC=x", StaleClass::NeverSet),
            stale("CN=B,DC=x", StaleClass::RotationFailing),
            duplicate("http/a"),
        ];
        assert_eq!(
            triage(&mut findings, &settings, &all(), None)
                .counts
                .failing,
            1
        );
        assert_eq!(
            Selector::parse("duplicate-spn").unwrap(),
            Selector::Kind("duplicate_spn")
        );
        assert!(Selector::parse("everything").is_err());
    }

    #[test]
    fn critical_on_counts_the_failing_findings_of_its_kinds() {
        let settings = TriageSettings {
            critical_on: vec![Selector::parse("duplicate_spn").unwrap()],
            ..TriageSettings::default()
        };
        let mut findings = vec![
            stale("CN=A,DC=x", StaleClass::NeverSet),
            duplicate("http/a"),
            duplicate("http/b"),
        ];
        let counts = triage(&mut findings, &settings, &all(), None).counts;
        assert_eq!((counts.failing, counts.critical), (3, Some(2)));
        // Only failing findings are critical: --fail-on narrows both.
        let narrowed = TriageSettings {
            fail_on: vec![Selector::parse("never_set").unwrap()],
            ..settings
        };
        let counts = triage(&mut findings, &narrowed, &all(), None).counts;
        assert_eq!((counts.failing, counts.critical), (1, Some(0)));
        let none = triage(&mut findings, &TriageSettings::default(), &all(), None).counts;
        assert_eq!(none.critical, None);
    }
}
