//! The finding kinds, each declared once, in a file of its own: its name as JSON writes it,
//! what it means, how severe it is, its fields and those that make its identity, its classes,
//! its table (title, columns, each finding's cells), what mends it and the next step for one
//! account. The list of kinds, the summary's counts, `--fail-on`'s values, the identities of a
//! baseline's findings, the order of findings, CSV columns, the tables of every format and
//! `show`'s next steps are derived from [`KINDS`]; `docs/reference.md` lists them all (a test
//! checks).
//!
//! Adding a kind: a file here with its `Kind` (see `default_password.rs` for a small one), a
//! line in `KINDS`, its `Finding` variant (below) and the rule that finds it.

mod ambiguous;
mod confusable_spn;
mod default_password;
mod delegation;
mod deleted_computer;
mod duplicate_spn;
mod invalid_host_name;
mod laps;
mod missing_spn;
mod not_found;
mod ownership;
mod rotation_policy;
mod stale_password;
mod stale_spn;
mod unsupported_os;
mod weak_encryption;

use std::borrow::Cow;

use serde::Serialize;

use super::causes::{Cause, CauseKind, Subject};
use super::encryption;
use super::staleness::StaleClass;
use crate::model::account::{Account, AccountKind, Attr};
use crate::model::filetime::Timestamp;
use crate::model::names::{NameQuery, Resolution};

pub use ambiguous::AMBIGUOUS;
pub use confusable_spn::CONFUSABLE_SPN;
pub use default_password::DEFAULT_PASSWORD;
pub use delegation::DELEGATION;
pub use deleted_computer::DELETED_COMPUTER;
pub use duplicate_spn::DUPLICATE_SPN;
pub use invalid_host_name::INVALID_HOST_NAME;
pub use laps::LAPS;
pub use missing_spn::MISSING_SPN;
pub use not_found::NOT_FOUND;
pub use ownership::OWNERSHIP;
pub use rotation_policy::ROTATION_POLICY;
pub use stale_password::STALE_PASSWORD;
pub use stale_spn::STALE_SPN;
pub use unsupported_os::UNSUPPORTED_OS;
pub use weak_encryption::WEAK_ENCRYPTION;

/// One holder of a duplicated SPN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Holder {
    /// sAMAccountName, when the source has one (else the DN names the holder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub dn: String,
    pub spn: String,
    #[serde(skip)]
    pub kind: Option<AccountKind>,
}

/// Holders as CSV writes them: `account|dn|spn` of each, separated by `;`.
pub fn holders_text(holders: &[Holder]) -> String {
    holders
        .iter()
        .map(|h| format!("{}|{}|{}", h.account.as_deref().unwrap_or(""), h.dn, h.spn))
        .collect::<Vec<_>>()
        .join(";")
}

impl Holder {
    /// How tables name the holder.
    pub fn label(&self) -> &str {
        self.account.as_deref().unwrap_or(&self.dn)
    }
}

/// One of the objects an ambiguous name matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub dn: String,
}

/// A finding (docs/reference.md, "JSON"). Field names are public API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    StalePassword {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: StaleClass,
        pwd_last_set: Option<Timestamp>,
        last_logon: Option<Timestamp>,
        password_age_days: Option<i64>,
        disabled: bool,
        domain_controller: bool,
        /// What the account is for, which decides its rotation rule.
        account_class: crate::model::roles::AccountClass,
        /// Set when something was ignored, e.g. a last logon after `as_of`.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    MissingSpn {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        spn: String,
    },
    StaleSpn {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        spn: String,
        /// The same SPN on the current dNSHostName; null when the account has none.
        replacement: Option<String>,
    },
    /// A name no SPN can be built from (control characters, spaces, …): the rules expect
    /// no SPN on it, and `spn fix` writes none.
    InvalidHostName {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        /// `sAMAccountName` or `dNSHostName`.
        attribute: &'static str,
        value: String,
        reason: String,
    },
    DuplicateSpn {
        key: String,
        via_alias: bool,
        holders: Vec<Holder>,
    },
    /// SPNs the DC holds as different that are the same after NFKC and removing invisible
    /// and bidirectional characters (`confusable_spn`).
    ConfusableSpn {
        /// The normalized form they share.
        key: String,
        holders: Vec<Holder>,
    },
    /// The KDC accepted the computer's default password (`audit --probe-default-passwords`):
    /// anyone who knows its name can take the account over.
    DefaultPassword {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
    },
    /// A computer the AES-only KDC locks out, or will (`encryption`).
    WeakEncryption {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: encryption::EncClass,
        /// `msDS-SupportedEncryptionTypes`, absent when the attribute is.
        #[serde(skip_serializing_if = "Option::is_none")]
        supported_encryption_types: Option<crate::model::enctypes::SupportedTypes>,
        /// The AES keys the KDC has for it (when probed; empty: none).
        #[serde(skip_serializing_if = "Option::is_none")]
        keys: Option<Vec<String>>,
        /// The KDC probed.
        #[serde(skip_serializing_if = "Option::is_none")]
        probed_at: Option<String>,
    },
    /// Group Policy stops (or slows) machine-password changes for these computers
    /// (`rotation_policy`): one finding per GPO and class.
    RotationPolicy {
        class: super::group_policy::PolicyClass,
        gpo: super::group_policy::GpoRef,
        /// The containers the GPO is linked to (enabled links).
        linked_to: Vec<String>,
        /// How many computers it covers.
        computers: usize,
        /// Their sAMAccountNames.
        accounts: Vec<String>,
    },
    /// A system past the end of support (`unsupported_os`).
    UnsupportedOs {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        operating_system: String,
        operating_system_version: String,
        /// The product as the table names it.
        product: &'static str,
        /// Its last day of support, `YYYY-MM-DD`.
        support_ended: &'static str,
    },
    /// Who can take a computer over, or a domain where anyone may add one (`ownership`).
    Ownership {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: super::takeover::OwnershipClass,
        /// The owner's SID (or SDDL alias); `None` for the domain's quota.
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        /// `mS-DS-CreatorSID`, when a user created it.
        #[serde(skip_serializing_if = "Option::is_none")]
        creator: Option<String>,
        /// Their sAMAccountNames, where the DC named them (live).
        #[serde(skip_serializing_if = "Option::is_none")]
        owner_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        creator_name: Option<String>,
        /// The domain's `ms-DS-MachineAccountQuota` (class `machine_account_quota`).
        #[serde(skip_serializing_if = "Option::is_none")]
        quota: Option<i64>,
    },
    /// A Windows computer without a managed local administrator password (`laps`).
    Laps {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: super::local_admin::LapsClass,
        operating_system: String,
        /// The newest LAPS expiration time, if it has one.
        expires: Option<Timestamp>,
    },
    /// A computer that may act as other users (`delegation`).
    Delegation {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: super::acting_for::DelegationClass,
        /// The services it may delegate to, or (resource-based) the SIDs allowed to act
        /// through it.
        targets: Vec<String>,
    },
    /// A computer deleted within the staleness period (`audit`, from a DC): `restore` brings
    /// it back.
    DeletedComputer {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        last_known_parent: Option<String>,
        deleted_at: Option<Timestamp>,
    },
    /// A NAME given on the command line that matches nothing.
    NotFound { name: String },
    /// A NAME that matches several objects; never acted on.
    Ambiguous {
        name: String,
        candidates: Vec<Candidate>,
    },
}

/// The ranges of `findings` that hold one kind each. Findings come grouped by kind (in order),
/// so each range's end is found by halving, not by looking at every finding: a million of one
/// kind cost twenty comparisons.
pub fn kind_ranges(findings: &[Finding]) -> Vec<std::ops::Range<usize>> {
    // A kind is a variant: comparing variants reads a tag, not a name.
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < findings.len() {
        let kind = std::mem::discriminant(&findings[start]);
        let end = start
            + findings[start..].partition_point(|finding| std::mem::discriminant(finding) == kind);
        ranges.push(start..end);
        start = end;
    }
    debug_assert!(
        ranges.iter().all(|range| findings[range.clone()]
            .iter()
            .all(|finding| std::mem::discriminant(finding)
                == std::mem::discriminant(&findings[range.start]))),
        "findings grouped by kind"
    );
    ranges
}

/// Where the findings of `kind` are in `findings` (grouped by kind, as [`kind_ranges`]
/// needs): found by halving, not by a pass over a million findings of other kinds.
fn range_of(findings: &[Finding], kind: &Kind) -> Option<std::ops::Range<usize>> {
    kind_ranges(findings)
        .into_iter()
        .find(|range| std::ptr::eq(findings[range.start].spec(), kind))
}

/// Takes every finding of `kind` out of `findings` (grouped by kind).
pub fn remove_kind(findings: &mut Vec<Finding>, kind: &Kind) {
    if let Some(range) = range_of(findings, kind) {
        findings.drain(range);
    }
}

/// The findings of `kind` in `findings` (grouped by kind): an empty slice when there are none.
pub fn of_kind<'a>(findings: &'a mut [Finding], kind: &Kind) -> &'a mut [Finding] {
    let range = range_of(findings, kind).unwrap_or(0..0);
    &mut findings[range]
}

/// Findings counted per class name, the names told apart by where they lie (each is a static
/// text: a pointer compared, not its letters, for a million findings); the same name kept in
/// two places has an entry for each, and [`ClassTally::of`] sums them.
#[derive(Debug, Default)]
pub struct ClassTally(Vec<(&'static str, usize)>);

impl ClassTally {
    pub fn add(&mut self, class: &'static str) {
        match (self.0.iter_mut()).find(|(name, _)| std::ptr::eq(*name, class)) {
            Some((_, count)) => *count += 1,
            None => self.0.push((class, 1)),
        }
    }

    /// How many findings of class `name` were counted.
    pub fn of(&self, name: &str) -> usize {
        (self.0.iter())
            .filter(|(class, _)| *class == name)
            .map(|(_, count)| count)
            .sum()
    }

    /// Each class name counted, and its count (a name may come more than once).
    pub fn counts(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.0.iter().copied()
    }
}

impl Finding {
    /// The declaration of its kind.
    pub fn spec(&self) -> &'static Kind {
        match self {
            Finding::StalePassword { .. } => &STALE_PASSWORD,
            Finding::MissingSpn { .. } => &MISSING_SPN,
            Finding::StaleSpn { .. } => &STALE_SPN,
            Finding::InvalidHostName { .. } => &INVALID_HOST_NAME,
            Finding::DuplicateSpn { .. } => &DUPLICATE_SPN,
            Finding::ConfusableSpn { .. } => &CONFUSABLE_SPN,
            Finding::DefaultPassword { .. } => &DEFAULT_PASSWORD,
            Finding::WeakEncryption { .. } => &WEAK_ENCRYPTION,
            Finding::RotationPolicy { .. } => &ROTATION_POLICY,
            Finding::Delegation { .. } => &DELEGATION,
            Finding::UnsupportedOs { .. } => &UNSUPPORTED_OS,
            Finding::Ownership { .. } => &OWNERSHIP,
            Finding::Laps { .. } => &LAPS,
            Finding::DeletedComputer { .. } => &DELETED_COMPUTER,
            Finding::NotFound { .. } => &NOT_FOUND,
            Finding::Ambiguous { .. } => &AMBIGUOUS,
        }
    }

    /// The `kind` as JSON writes it.
    pub fn kind(&self) -> &'static str {
        self.spec().name
    }

    /// Its `class`, for the kinds that have classes.
    pub fn class(&self) -> Option<&'static str> {
        match self {
            Finding::StalePassword { class, .. } => Some(class.as_str()),
            Finding::WeakEncryption { class, .. } => Some(class.as_str()),
            Finding::RotationPolicy { class, .. } => Some(class.as_str()),
            Finding::Delegation { class, .. } => Some(class.as_str()),
            Finding::Ownership { class, .. } => Some(class.as_str()),
            Finding::Laps { class, .. } => Some(class.as_str()),
            _ => None,
        }
    }

    /// The finding for a name that did not resolve to one object, if it did not.
    pub fn unresolved(name: &str, resolution: &Resolution<'_>) -> Option<Finding> {
        match resolution {
            Resolution::Found(_) => None,
            Resolution::NotFound => Some(Finding::NotFound {
                name: name.to_string(),
            }),
            Resolution::Ambiguous(matches) => Some(Finding::Ambiguous {
                name: name.to_string(),
                candidates: matches
                    .iter()
                    .map(|account: &&Account| Candidate {
                        account: account.sam_account_name.clone(),
                        dn: account.dn.clone(),
                    })
                    .collect(),
            }),
        }
    }

    /// Resolves each of `names` among `candidates`: the accounts found, and a `not_found` or
    /// `ambiguous` finding for each other name.
    pub fn resolve_each<'a>(
        names: &[NameQuery],
        candidates: &'a [Account],
    ) -> (Vec<&'a Account>, Vec<Finding>) {
        let mut found = Vec::new();
        let mut unresolved = Vec::new();
        for name in names {
            match name.resolve(candidates) {
                Resolution::Found(account) => found.push(account),
                other => unresolved.extend(Finding::unresolved(name.as_str(), &other)),
            }
        }
        (found, unresolved)
    }

    /// The account the finding is about, by DN (`None` for duplicates and names).
    pub fn dn(&self) -> Option<&str> {
        match self {
            Finding::StalePassword { dn, .. }
            | Finding::MissingSpn { dn, .. }
            | Finding::StaleSpn { dn, .. }
            | Finding::InvalidHostName { dn, .. }
            | Finding::DefaultPassword { dn, .. }
            | Finding::WeakEncryption { dn, .. }
            | Finding::Delegation { dn, .. }
            | Finding::UnsupportedOs { dn, .. }
            | Finding::Ownership { dn, .. }
            | Finding::Laps { dn, .. }
            | Finding::DeletedComputer { dn, .. } => Some(dn),
            _ => None,
        }
    }

    /// A duplicate's key and holders.
    pub fn duplicate(&self) -> Option<(&str, &[Holder])> {
        match self {
            Finding::DuplicateSpn { key, holders, .. } => Some((key, holders)),
            _ => None,
        }
    }

    /// Whether the finding concerns the object `dn`: it is about it, or (a duplicate) the
    /// object holds one of its SPNs. Names not found or ambiguous concern no object.
    pub fn concerns(&self, dn: &str) -> bool {
        match self {
            Finding::DuplicateSpn { holders, .. } | Finding::ConfusableSpn { holders, .. } => {
                holders.iter().any(|holder| holder.dn == dn)
            }
            other => other.dn() == Some(dn),
        }
    }

    /// Sort position within its kind: account (or key or name), then what about it.
    pub(crate) fn sort_parts(&self) -> (&str, &str) {
        let (subject, detail) = match self {
            Finding::StalePassword { account, dn, .. }
            | Finding::DefaultPassword { account, dn }
            | Finding::WeakEncryption { account, dn, .. }
            | Finding::UnsupportedOs { account, dn, .. }
            | Finding::DeletedComputer { account, dn, .. } => {
                (account.as_deref().unwrap_or(dn), "")
            }
            Finding::MissingSpn { account, dn, spn }
            | Finding::StaleSpn {
                account, dn, spn, ..
            } => (account.as_deref().unwrap_or(dn), spn.as_str()),
            Finding::InvalidHostName {
                account,
                dn,
                attribute,
                ..
            } => (account.as_deref().unwrap_or(dn), *attribute),
            Finding::DuplicateSpn { key, .. } | Finding::ConfusableSpn { key, .. } => {
                (key.as_str(), "")
            }
            Finding::NotFound { name } | Finding::Ambiguous { name, .. } => (name.as_str(), ""),
            Finding::RotationPolicy { gpo, class, .. } => {
                (gpo.name.as_deref().unwrap_or(&gpo.guid), class.as_str())
            }
            Finding::Delegation {
                account, dn, class, ..
            } => (account.as_deref().unwrap_or(dn), class.as_str()),
            Finding::Ownership {
                account, dn, class, ..
            } => (account.as_deref().unwrap_or(dn), class.as_str()),
            Finding::Laps { account, dn, .. } => (account.as_deref().unwrap_or(dn), ""),
        };
        (subject, detail)
    }
}

/// How much a finding of a kind matters to the lead who reads the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Kerberos fails today, or the account can be taken over.
    Critical,
    /// Something will fail, or an admin must decide.
    Warning,
    /// Worth knowing; nothing fails because of it.
    Notice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

/// A table cell's text: one value, or several shown one a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text<'a> {
    One(Cow<'a, str>),
    Lines(Vec<Cow<'a, str>>),
}

impl<'a> Text<'a> {
    pub fn of(text: impl Into<Cow<'a, str>>) -> Text<'a> {
        Text::One(text.into())
    }

    /// The values joined with `separator`, for one-line formats.
    pub fn joined(&self, separator: &str) -> Cow<'a, str> {
        match self {
            Text::One(text) => text.clone(),
            Text::Lines(lines) => Cow::Owned(lines.join(separator)),
        }
    }
}

/// What a kind's check needs to look (coverage): a kind without it is made outside the
/// checks (a probe's result, a name given).
#[derive(Debug)]
pub struct Needs {
    /// What every object the check applies to must carry.
    pub on_object: &'static [Attr],
    /// What the source as a whole must be known to hold (absent on an object is then "none").
    pub in_source: &'static [Attr],
    /// What it reads besides `COMMON_ATTRIBUTES`: a scan asks for these only when it runs
    /// (docs/reference.md, "Coverage").
    pub reads: &'static [Attr],
    /// Every object (SPN holders of any class), else computers and objects of unknown class.
    pub every_object: bool,
    /// Other names `--checks` accepts.
    pub aliases: &'static [&'static str],
    /// The commands that run the check besides `audit` (which runs every check).
    pub commands: &'static [&'static str],
}

/// What every scan asks for: the checks' common ground (identity, flags, password times, SPNs,
/// the system the DC inventory names). A check's own `Needs::reads` come on top.
pub const COMMON_ATTRIBUTES: &[Attr] = &[
    Attr::ObjectClass,
    Attr::Cn,
    Attr::SamAccountName,
    Attr::UserAccountControl,
    Attr::DnsHostName,
    Attr::ServicePrincipalName,
    Attr::PwdLastSet,
    Attr::LastLogonTimestamp,
    Attr::OperatingSystem,
];

/// One finding kind's declaration.
#[derive(Debug)]
pub struct Kind {
    /// As JSON's `kind` writes it.
    pub name: &'static str,
    /// One line: what the finding says about the account.
    pub meaning: &'static str,
    pub severity: Severity,
    /// The JSON fields whose folded values, after the kind, make a finding's identity.
    pub identity: &'static [&'static str],
    /// The values of its `class` field, each counted in the summary.
    pub classes: &'static [&'static str],
    /// The title of its table.
    pub title: &'static str,
    /// The header of its table.
    pub columns: &'static [&'static str],
    /// What mends it.
    pub remediation: &'static str,
    /// What its check needs, when a check finds it.
    pub needs: Option<Needs>,
    /// Its JSON fields besides `kind`, in order: its CSV columns.
    pub fields: &'static [&'static str],
    /// A finding's table row, under `columns`.
    pub cells: for<'a> fn(&'a Finding) -> Vec<Text<'a>>,
    /// A field's value as text (CSV, identities); `None` when the finding has none.
    pub field: for<'a> fn(&'a Finding, &str) -> Option<Cow<'a, str>>,
    /// The cause of lost trust a finding of this kind shows about its account, with the
    /// decision table's next step for it (docs/reference.md, "Causes and the next step");
    /// `None` for hygiene kinds.
    pub cause: fn(&Finding, &Subject<'_>) -> Option<Cause>,
    /// That cause's kind alone (an audit's `cause` field, no account at hand).
    pub cause_kind: fn(&Finding) -> Option<CauseKind>,
}

/// Kinds are one each: the same name is the same kind.
impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        self.name == other.name
    }
}

impl Eq for Kind {}

/// How tables name an account: its sAMAccountName, else its DN.
pub(crate) fn label<'a>(account: &'a Option<String>, dn: &'a str) -> Cow<'a, str> {
    Cow::Borrowed(account.as_deref().unwrap_or(dn))
}

/// A time as reports write it, or `-`.
pub(crate) fn time_or_dash(time: &Option<Timestamp>) -> Cow<'static, str> {
    // As `Timestamp` shows itself: a time it cannot write is a dash too.
    match time.and_then(|time| time.0.to_rfc3339()) {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed("-"),
    }
}

/// The `account` and `dn` fields every account's finding has.
pub(crate) fn account_field<'a>(
    account: &'a Option<String>,
    dn: &'a str,
    name: &str,
) -> Option<Cow<'a, str>> {
    match name {
        "account" => account.as_deref().map(Cow::Borrowed),
        "dn" => Some(Cow::Borrowed(dn)),
        _ => None,
    }
}

/// How many kinds there are.
pub const KIND_COUNT: usize = 16;

/// Every kind, in the order reports list them.
pub static KINDS: [&Kind; KIND_COUNT] = [
    &STALE_PASSWORD,
    &MISSING_SPN,
    &STALE_SPN,
    &INVALID_HOST_NAME,
    &DUPLICATE_SPN,
    &CONFUSABLE_SPN,
    &DEFAULT_PASSWORD,
    &WEAK_ENCRYPTION,
    &ROTATION_POLICY,
    &DELEGATION,
    &OWNERSHIP,
    &LAPS,
    &UNSUPPORTED_OS,
    &DELETED_COMPUTER,
    &NOT_FOUND,
    &AMBIGUOUS,
];

impl Kind {
    /// The kind named `name` as JSON writes it.
    pub fn named(name: &str) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.name == name)
    }

    /// A finding of this kind's table cells.
    pub fn cells_of<'a>(&self, finding: &'a Finding) -> Vec<Text<'a>> {
        (self.cells)(finding)
    }

    /// Its position in [`KINDS`]: the order of reports.
    pub fn position(&self) -> usize {
        KINDS
            .iter()
            .position(|kind| std::ptr::eq(*kind, self))
            .expect("every kind is in KINDS")
    }

    /// The kind one of whose classes is `class`.
    pub fn of_class(class: &str) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.classes.contains(&class))
    }
}

/// Every kind's name, in report order.
pub fn names() -> impl Iterator<Item = &'static str> {
    KINDS.into_iter().map(|kind| kind.name)
}

/// Every CSV column: `kind`, each kind's fields once in report order.
pub fn csv_columns() -> Vec<&'static str> {
    let mut columns = vec!["kind"];
    for field in KINDS
        .into_iter()
        .flat_map(|kind| kind.fields.iter().copied())
    {
        if !columns.contains(&field) {
            columns.push(field);
        }
    }
    columns
}

/// Every class of every kind, in report order.
pub fn classes() -> impl Iterator<Item = &'static str> {
    KINDS
        .into_iter()
        .flat_map(|kind| kind.classes.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_ranges_are_each_kinds_run() {
        let not_found = |name: &str| Finding::NotFound { name: name.into() };
        let missing = |spn: &str| Finding::MissingSpn {
            account: None,
            dn: "CN=A,DC=x".into(),
            spn: spn.into(),
        };
        for (stale, other) in [(0, 0), (1, 0), (0, 1), (5, 2), (1000, 3)] {
            let findings: Vec<Finding> = (0..stale)
                .map(|n| missing(&format!("HOST/{n}")))
                .chain((0..other).map(|n| not_found(&n.to_string())))
                .collect();
            let expected: Vec<std::ops::Range<usize>> = [0..stale, stale..stale + other]
                .into_iter()
                .filter(|range| !range.is_empty())
                .collect();
            assert_eq!(kind_ranges(&findings), expected, "{stale} {other}");
        }
    }

    #[test]
    fn a_kind_is_taken_out_or_found_whole_and_only_it() {
        let default = |dn: &str| Finding::DefaultPassword {
            account: None,
            dn: dn.into(),
        };
        let missing = |spn: &str| Finding::MissingSpn {
            account: None,
            dn: "CN=A,DC=x".into(),
            spn: spn.into(),
        };
        let not_found = |name: &str| Finding::NotFound { name: name.into() };
        let mut findings = vec![missing("HOST/A"), missing("HOST/B"), not_found("C")];
        findings.insert(2, default("CN=D"));
        findings.sort_by_key(|finding| finding.spec().position());
        let kinds = |findings: &[Finding]| findings.iter().map(Finding::kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(of_kind(&mut findings, &MISSING_SPN)),
            ["missing_spn"; 2]
        );
        assert!(of_kind(&mut findings, &STALE_PASSWORD).is_empty());
        let before = findings.clone();
        remove_kind(&mut findings, &STALE_PASSWORD);
        assert_eq!(findings, before, "no finding of the kind: none taken");
        for kind in [&MISSING_SPN, &DEFAULT_PASSWORD, &NOT_FOUND] {
            let mut left = before.clone();
            remove_kind(&mut left, kind);
            let expected: Vec<Finding> = (before.iter())
                .filter(|finding| finding.kind() != kind.name)
                .cloned()
                .collect();
            assert_eq!(left, expected, "{}", kind.name);
        }
    }

    #[test]
    fn a_class_tally_counts_a_name_kept_in_two_places_once() {
        let inactive = "inactive";
        let elsewhere: &'static str = String::from("inactive").leak();
        assert!(!std::ptr::eq(inactive, elsewhere));
        let mut tally = ClassTally::default();
        for class in [inactive, "never_set", elsewhere, inactive] {
            tally.add(class);
        }
        assert_eq!(
            (tally.of("inactive"), tally.of("never_set"), tally.of("x")),
            (3, 1, 0)
        );
        assert_eq!(tally.counts().map(|(_, count)| count).sum::<usize>(), 4);
    }

    #[test]
    fn names_and_classes_are_unique_and_snake_case() {
        let all: Vec<&str> = names().chain(classes()).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "{all:?}");
        for name in all {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
        for (index, kind) in KINDS.iter().enumerate() {
            assert_eq!(kind.position(), index);
            assert!(!kind.identity.is_empty() && !kind.columns.is_empty());
            assert!(!kind.meaning.is_empty() && !kind.remediation.is_empty());
        }
        assert_eq!(Kind::of_class("inactive"), Some(&STALE_PASSWORD));
        assert_eq!(Kind::named("nope"), None);
    }

    /// The reference's table of kinds, as the declarations make it.
    fn reference_table() -> String {
        let mut table = String::from(
            "| kind | severity | what it means | what mends it |\n|---|---|---|---|\n",
        );
        for kind in KINDS {
            table.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                kind.name,
                kind.severity.as_str(),
                kind.meaning,
                kind.remediation
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        table
    }

    #[test]
    fn the_reference_lists_every_kind_as_declared() {
        let reference = include_str!("../../../../../docs/reference.md");
        let table = reference_table();
        assert!(
            reference.contains(&table),
            "docs/reference.md lacks this table (or it differs), under \"Finding kinds\":\n{table}"
        );
    }
}
