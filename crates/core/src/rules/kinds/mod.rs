//! The finding kinds, each declared once, in a file of its own: its name as JSON writes it,
//! what it means, how severe it is, its fields and those that make its identity, its classes,
//! its table (title, columns, each finding's cells), what mends it and the next step for one
//! account. The list of kinds, the summary's counts, `--fail-on`'s values, the identities of a
//! baseline's findings, the order of findings, CSV columns, the tables of every format and
//! `show`'s next steps are derived from [`KINDS`]; `docs/reference.md` lists them all (a test
//! checks).
//!
//! Adding a kind: a file here with its `Kind` (see `default_password.rs` for a small one), a
//! line in `KINDS`, its `Finding` variant (`rules/mod.rs`) and the rule that finds it.

mod ambiguous;
mod default_password;
mod deleted_computer;
mod duplicate_spn;
mod invalid_host_name;
mod missing_spn;
mod not_found;
mod stale_password;
mod stale_spn;
mod weak_encryption;

use std::borrow::Cow;

use serde::Serialize;

use super::Finding;
use crate::model::account::Attr;
use crate::model::filetime::Timestamp;

pub use ambiguous::AMBIGUOUS;
pub use default_password::DEFAULT_PASSWORD;
pub use deleted_computer::DELETED_COMPUTER;
pub use duplicate_spn::DUPLICATE_SPN;
pub use invalid_host_name::INVALID_HOST_NAME;
pub use missing_spn::MISSING_SPN;
pub use not_found::NOT_FOUND;
pub use stale_password::STALE_PASSWORD;
pub use stale_spn::STALE_SPN;
pub use weak_encryption::WEAK_ENCRYPTION;

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

/// What to do next about one account (`show`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// A command or a manual step, with why.
    Line(String),
    /// `spn fix` mends it (`--dedupe` for duplicates): one line for all such findings.
    SpnFix { dedupe: bool },
}

/// What a kind's check needs to look (coverage): a kind without it is made outside the
/// checks (a probe's result, a name given).
#[derive(Debug)]
pub struct Needs {
    /// What every object the check applies to must carry.
    pub on_object: &'static [Attr],
    /// What the source as a whole must be known to hold (absent on an object is then "none").
    pub in_source: &'static [Attr],
    /// Every object (SPN holders of any class), else computers and objects of unknown class.
    pub every_object: bool,
    /// Other names `--checks` accepts.
    pub aliases: &'static [&'static str],
    /// The commands that run the check besides `audit` (which runs every check).
    pub commands: &'static [&'static str],
}

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
    /// The next step about the account named `name` (as a command line would name it).
    pub next_step: fn(&Finding, &str) -> Option<NextStep>,
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
    time.map_or(Cow::Borrowed("-"), |time| Cow::Owned(time.to_string()))
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

/// For kinds without a next step of their own.
pub(crate) fn no_next_step(_: &Finding, _: &str) -> Option<NextStep> {
    None
}

/// How many kinds there are.
pub const KIND_COUNT: usize = 10;

/// Every kind, in the order reports list them.
pub static KINDS: [&Kind; KIND_COUNT] = [
    &STALE_PASSWORD,
    &MISSING_SPN,
    &STALE_SPN,
    &INVALID_HOST_NAME,
    &DUPLICATE_SPN,
    &DEFAULT_PASSWORD,
    &WEAK_ENCRYPTION,
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
