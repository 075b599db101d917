//! The findings of the checks (`stale`, `spn check`, `audit`, and `show`'s diagnosis): tables
//! grouped by kind with counts, a CSV row per finding with the JSON field names as columns,
//! each finding's `id`, and with a baseline its mark (`new`, `unchanged`) and the resolved ones.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;

use crate::report::format::table::Cell;
use crate::report::{JsonFields, Present, TextOut, count};
use adcomputer_core::model::filetime::Timestamp;
use adcomputer_core::rules::encryption::EncClass;
use adcomputer_core::rules::kinds;
use adcomputer_core::rules::triage::{Mark, Triage, TriageCounts};
use adcomputer_core::rules::{Finding, Summary};

/// The report of a check command.
pub(crate) struct FindingsReport<'a> {
    pub(crate) findings: &'a [Finding],
    pub(crate) summary: FindingsSummary<'a>,
    pub(crate) triage: &'a Triage,
    /// Why the run could not look at everything it was asked to, if it could not.
    pub(crate) incomplete: Option<&'a str>,
}

impl<'a> FindingsReport<'a> {
    pub(crate) fn new(
        findings: &'a [Finding],
        summary: &'a Summary,
        triage: &'a Triage,
        incomplete: Option<&'a str>,
    ) -> Self {
        FindingsReport {
            findings,
            summary: FindingsSummary {
                counts: summary,
                triage: &triage.counts,
            },
            triage,
            incomplete,
        }
    }

    /// The finding's mark against the baseline (none without one).
    pub(crate) fn mark(&self, index: usize) -> Option<Mark> {
        self.triage.marks.as_ref().map(|marks| marks[index])
    }

    /// Finding `index`'s identity: as triage found it, else made now.
    pub(crate) fn id(&self, index: usize) -> Cow<'_, str> {
        match &self.triage.ids {
            Some(ids) => Cow::Borrowed(&ids[index]),
            None => Cow::Owned(self.findings[index].id()),
        }
    }

    /// The baseline's resolved findings, each marked `"baseline": "resolved"`.
    pub(crate) fn resolved(&self) -> &[serde_json::Map<String, serde_json::Value>] {
        &self.triage.resolved
    }
}

/// The summary: the checks' counts, and triage's.
#[derive(Serialize)]
pub(crate) struct FindingsSummary<'a> {
    #[serde(flatten)]
    pub(crate) counts: &'a Summary,
    #[serde(flatten)]
    pub(crate) triage: &'a TriageCounts,
}

/// A text field of a finding as an earlier report wrote it (`None` when it has none).
pub(crate) fn json_text<'v>(
    finding: &'v serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'v str> {
    finding.get(name)?.as_str().filter(|text| !text.is_empty())
}

fn mark_name(mark: Mark) -> &'static str {
    match mark {
        Mark::New => "new",
        Mark::Unchanged => "unchanged",
    }
}

impl<'r> Present for FindingsReport<'r> {
    type Item = Finding;
    type Summary = FindingsSummary<'r>;
    type Row<'a>
        = Row<'a>
    where
        Self: 'a;

    fn items(&self) -> &[Finding] {
        self.findings
    }

    fn summary(&self) -> &FindingsSummary<'r> {
        &self.summary
    }

    fn csv_row(&self, index: usize) -> Row<'_> {
        Row {
            id: Some(self.id(index).into_owned()),
            baseline: self.mark(index).map(mark_name),
            ..row(&self.findings[index])
        }
    }

    /// The finding's own object, then its `id` and, with a baseline, its mark.
    fn write_item(&self, index: usize, buffer: &mut Vec<u8>) -> std::io::Result<()> {
        let finding = &self.findings[index];
        serde_json::to_writer(&mut *buffer, finding)?;
        // Every finding is a JSON object: reopen it for the fields that are not its own.
        debug_assert_eq!(buffer.last(), Some(&b'}'));
        buffer.pop();
        buffer.extend_from_slice(b",\"id\":");
        serde_json::to_writer(&mut *buffer, &self.id(index))?;
        if let Some(mark) = self.mark(index) {
            write!(buffer, ",\"baseline\":\"{}\"", mark_name(mark))?;
        }
        buffer.push(b'}');
        Ok(())
    }

    fn extra_fields(&self, fields: &mut JsonFields<'_>) -> std::io::Result<()> {
        if self.triage.marks.is_some() {
            fields.field("resolved", self.resolved())?;
        }
        Ok(())
    }

    fn extra_lines(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for resolved in self.resolved() {
            serde_json::to_writer(&mut *out, resolved)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn as_findings(&self) -> Option<&FindingsReport<'_>> {
        Some(self)
    }

    fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
        let marks = self.triage.marks.as_deref();
        finding_tables(out, self.findings, marks)?;
        if marks.is_some() && !self.triage.resolved.is_empty() {
            let rows: Vec<Vec<&str>> = self
                .resolved()
                .iter()
                .map(|finding| {
                    let about = ["account", "key", "name", "dn"]
                        .iter()
                        .find_map(|name| json_text(finding, name))
                        .unwrap_or("-");
                    let text = |name| json_text(finding, name).unwrap_or("-");
                    vec![text("kind"), about, text("spn")]
                })
                .collect();
            out.line(&format!("Resolved since the baseline: {}", rows.len()))?;
            out.table(&["Kind", "About", "SPN"], &rows)?;
            out.blank()?;
        }
        let summary = self.summary.counts;
        let triage = self.summary.triage;
        let mut line = format!(
            "{} read ({}): {}",
            count(summary.accounts_read, "object", "objects"),
            count(summary.computers, "computer", "computers"),
            match summary.findings {
                0 => "no findings".to_string(),
                n => count(n, "finding", "findings"),
            }
        );
        if let (Some(new), Some(resolved)) = (triage.new, triage.resolved) {
            line.push_str(&format!(
                " ({new} new since the baseline, marked \"(new)\"; {resolved} resolved)"
            ));
        }
        if let Some(ignored) = triage.ignored {
            line.push_str(&format!("; {ignored} accepted in the ignore list"));
        }
        out.line(&line)
    }
}

/// One CSV row: every field any finding kind has.
#[derive(Default, Serialize)]
pub(crate) struct Row<'a> {
    kind: &'static str,
    account: Option<&'a str>,
    dn: Option<&'a str>,
    class: Option<&'static str>,
    pwd_last_set: Option<Timestamp>,
    last_logon: Option<Timestamp>,
    password_age_days: Option<i64>,
    disabled: Option<bool>,
    domain_controller: Option<bool>,
    note: Option<&'a str>,
    spn: Option<&'a str>,
    replacement: Option<&'a str>,
    key: Option<&'a str>,
    via_alias: Option<bool>,
    /// `account|dn|spn` of each holder, separated by `;`.
    holders: Option<String>,
    name: Option<&'a str>,
    /// DNs separated by `;`.
    candidates: Option<String>,
    attribute: Option<&'static str>,
    value: Option<&'a str>,
    reason: Option<&'a str>,
    last_known_parent: Option<&'a str>,
    deleted_at: Option<Timestamp>,
    supported_encryption_types: Option<u32>,
    /// The key types the KDC named, separated by `;` (empty: none).
    keys: Option<String>,
    probed_at: Option<&'a str>,
    id: Option<String>,
    baseline: Option<&'static str>,
}

fn row(finding: &Finding) -> Row<'_> {
    let kind = finding.kind();
    match finding {
        Finding::StalePassword {
            account,
            dn,
            class,
            pwd_last_set,
            last_logon,
            password_age_days,
            disabled,
            domain_controller,
            note,
        } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            class: Some(class.as_str()),
            pwd_last_set: *pwd_last_set,
            last_logon: *last_logon,
            password_age_days: *password_age_days,
            disabled: Some(*disabled),
            domain_controller: Some(*domain_controller),
            note: note.as_deref(),
            ..Row::default()
        },
        Finding::MissingSpn { account, dn, spn } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            spn: Some(spn),
            ..Row::default()
        },
        Finding::StaleSpn {
            account,
            dn,
            spn,
            replacement,
        } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            spn: Some(spn),
            replacement: replacement.as_deref(),
            ..Row::default()
        },
        Finding::DuplicateSpn {
            key,
            via_alias,
            holders,
        } => Row {
            kind,
            key: Some(key),
            via_alias: Some(*via_alias),
            holders: Some(
                holders
                    .iter()
                    .map(|h| format!("{}|{}|{}", h.account.as_deref().unwrap_or(""), h.dn, h.spn))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ..Row::default()
        },
        Finding::DefaultPassword { account, dn } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            ..Row::default()
        },
        Finding::DeletedComputer {
            account,
            dn,
            last_known_parent,
            deleted_at,
        } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            last_known_parent: last_known_parent.as_deref(),
            deleted_at: *deleted_at,
            ..Row::default()
        },
        Finding::InvalidHostName {
            account,
            dn,
            attribute,
            value,
            reason,
        } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            attribute: Some(attribute),
            value: Some(value),
            reason: Some(reason),
            ..Row::default()
        },
        Finding::WeakEncryption {
            account,
            dn,
            class,
            supported_encryption_types,
            keys,
            probed_at,
        } => Row {
            kind,
            account: account.as_deref(),
            dn: Some(dn),
            class: Some(class.as_str()),
            supported_encryption_types: supported_encryption_types.as_ref().map(|t| t.value),
            keys: keys.as_ref().map(|keys| keys.join(";")),
            probed_at: probed_at.as_deref(),
            ..Row::default()
        },
        Finding::NotFound { name } => Row {
            kind,
            name: Some(name),
            ..Row::default()
        },
        Finding::Ambiguous { name, candidates } => Row {
            kind,
            name: Some(name),
            candidates: Some(
                candidates
                    .iter()
                    .map(|candidate| candidate.dn.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ..Row::default()
        },
    }
}

fn label<'a>(account: Option<&'a str>, dn: &'a str) -> &'a str {
    account.unwrap_or(dn)
}

/// Table rows by kind (by position in `KINDS`), and each kind's counts per class. Cells
/// borrow where they can: a report may list a million findings.
struct Rows<'a> {
    tables: [Vec<Vec<Cell<'a>>>; kinds::KIND_COUNT],
    classes: hashbrown::HashMap<&'static str, usize>,
}

/// The findings as tables, one per kind, each with its count; with `marks`, a new finding's
/// first cell says so.
pub(crate) fn finding_tables(
    out: &mut TextOut<'_>,
    findings: &[Finding],
    marks: Option<&[Mark]>,
) -> std::io::Result<()> {
    let mut rows = Rows {
        tables: std::array::from_fn(|_| Vec::new()),
        classes: hashbrown::HashMap::new(),
    };
    for (index, finding) in findings.iter().enumerate() {
        rows.add(finding);
        if marks.is_some_and(|marks| marks[index] == Mark::New)
            && let Some(first) = rows.of(finding).last_mut().and_then(|row| row.first_mut())
        {
            first.marked(" (new)");
        }
    }
    rows.write(out)
}

/// What a stale password's row notes besides its class: disabled, a DC, what was ignored.
pub(crate) fn stale_notes(
    disabled: bool,
    domain_controller: bool,
    note: Option<&str>,
) -> Vec<&str> {
    [
        disabled.then_some("disabled"),
        domain_controller.then_some("domain controller"),
        note,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A finding's table row: for a stale password account, class, age, last logon, notes;
/// for the other kinds, the columns of their table.
fn cells(finding: &Finding) -> Vec<Cell<'_>> {
    match finding {
        Finding::StalePassword {
            account,
            dn,
            class,
            password_age_days,
            last_logon,
            disabled,
            domain_controller,
            note,
            ..
        } => vec![
            Cell::from(label(account.as_deref(), dn)),
            Cell::from(class.as_str()),
            password_age_days.map_or(Cell::from("never set"), |d| Cell::from(format!("{d} days"))),
            last_logon.map_or(Cell::from("-"), |time| Cell::from(time.to_string())),
            Cell::from(stale_notes(*disabled, *domain_controller, note.as_deref()).join("; ")),
        ],
        Finding::MissingSpn { account, dn, spn } => {
            vec![Cell::from(label(account.as_deref(), dn)), Cell::from(spn)]
        }
        Finding::StaleSpn {
            account,
            dn,
            spn,
            replacement,
        } => vec![
            Cell::from(label(account.as_deref(), dn)),
            Cell::from(spn),
            Cell::from(replacement.as_deref().unwrap_or("(no dNSHostName)")),
        ],
        Finding::DeletedComputer {
            account,
            dn,
            last_known_parent,
            deleted_at,
        } => vec![
            Cell::from(label(account.as_deref(), dn)),
            deleted_at.map_or(Cell::from("-"), |time| Cell::from(time.to_string())),
            Cell::from(last_known_parent.as_deref().unwrap_or("-")),
        ],
        Finding::InvalidHostName {
            account,
            dn,
            attribute,
            value,
            reason,
        } => vec![
            Cell::from(label(account.as_deref(), dn)),
            Cell::from(attribute),
            Cell::from(value),
            Cell::from(reason),
        ],
        Finding::DuplicateSpn {
            key,
            via_alias,
            holders,
        } => {
            let held_by: Vec<String> = holders
                .iter()
                .map(|h| format!("{} as {}", h.label(), h.spn))
                .collect();
            let alias = if *via_alias {
                "yes (sPNMappings)"
            } else {
                "no"
            };
            vec![
                Cell::from(key.as_str()),
                Cell::lines(held_by),
                Cell::from(alias),
            ]
        }
        Finding::DefaultPassword { account, dn } => {
            vec![Cell::from(label(account.as_deref(), dn)), Cell::from(dn)]
        }
        Finding::WeakEncryption {
            account,
            dn,
            class,
            supported_encryption_types,
            keys,
            ..
        } => vec![
            Cell::from(label(account.as_deref(), dn)),
            Cell::from(class.as_str()),
            Cell::from(supported_encryption_types.as_ref().map_or_else(
                || "(absent: the KDC's default)".to_string(),
                |types| format!("{} ({})", types.value, types.names.join(", ")),
            )),
            Cell::from(match keys {
                None => "(not probed)".to_string(),
                Some(keys) if *class == EncClass::NoAesKeys => match keys.is_empty() {
                    true => "none".to_string(),
                    false => format!("none (has {})", keys.join(", ")),
                },
                Some(keys) => keys.join(", "),
            }),
        ],
        Finding::NotFound { name } => {
            vec![Cell::from(name.as_str()), Cell::from("not found")]
        }
        Finding::Ambiguous { name, candidates } => {
            let dns: Vec<&str> = candidates.iter().map(|c| c.dn.as_str()).collect();
            vec![
                Cell::from(name.as_str()),
                Cell::lines(std::iter::once("ambiguous:").chain(dns)),
            ]
        }
    }
}

impl<'a> Rows<'a> {
    /// The table a finding's row goes into.
    fn of(&mut self, finding: &Finding) -> &mut Vec<Vec<Cell<'a>>> {
        &mut self.tables[finding.spec().position()]
    }

    fn add(&mut self, finding: &'a Finding) {
        if let Some(class) = finding.class() {
            *self.classes.entry(class).or_default() += 1;
        }
        self.of(finding).push(cells(finding));
    }

    /// Each kind's table under its title and count (with its classes' counts, if it has
    /// classes); names not found or ambiguous share one table without a title.
    fn write(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
        let unresolved = [&kinds::NOT_FOUND, &kinds::AMBIGUOUS];
        for (kind, rows) in kinds::KINDS.iter().zip(&self.tables) {
            if rows.is_empty() || unresolved.contains(kind) {
                continue;
            }
            let mut title = format!("{}: {}", kind.title, rows.len());
            if !kind.classes.is_empty() {
                let counts: Vec<String> = kind
                    .classes
                    .iter()
                    .map(|class| {
                        let count = self.classes.get(class).copied().unwrap_or(0);
                        format!("{} {count}", class.replace('_', " "))
                    })
                    .collect();
                title = format!("{title} ({})", counts.join(", "));
            }
            out.line(&title)?;
            out.table(kind.columns, rows)?;
            out.blank()?;
        }
        let rows: Vec<Vec<Cell<'a>>> = unresolved
            .iter()
            .flat_map(|kind| self.tables[kind.position()].iter().cloned())
            .collect();
        if !rows.is_empty() {
            out.table(kinds::NOT_FOUND.columns, &rows)?;
            out.blank()?;
        }
        Ok(())
    }
}
