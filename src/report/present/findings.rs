//! The findings of the checks (`stale`, `spn check`, `audit`, and `show`'s diagnosis): tables
//! grouped by kind with counts, a CSV row per finding with the JSON field names as columns,
//! each finding's `id`, and with a baseline its mark (`new`, `unchanged`) and the resolved ones.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;

use crate::report::format::json;
use crate::report::format::table::Cell;
use crate::report::{JsonFields, Present, TextOut, count};
use adcomputer_core::model::snapshot::StateRead;
use adcomputer_core::rules::causes::{AccountCauses, CauseKind};
use adcomputer_core::rules::dc_inventory::{self, DcEntry};
use adcomputer_core::rules::kinds::{self, Text};
use adcomputer_core::rules::triage::{Mark, Triage, TriageCounts};
use adcomputer_core::rules::{Finding, Summary};

/// The report of a check command.
pub(crate) struct FindingsReport<'a> {
    pub(crate) findings: &'a [Finding],
    pub(crate) summary: FindingsSummary<'a>,
    pub(crate) triage: &'a Triage,
    /// Why the run could not look at everything it was asked to, if it could not.
    pub(crate) incomplete: Option<&'a str>,
    /// `audit`: the DCs in scope with their operating systems.
    pub(crate) dcs: Option<&'a [DcEntry]>,
    /// `audit`: each finding's account's most likely cause.
    pub(crate) causes: Option<AccountCauses>,
    /// `--state`: how the DC was read.
    pub(crate) state: Option<&'a StateRead>,
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
            dcs: None,
            causes: None,
            state: None,
        }
    }

    /// With the DCs in scope listed (`audit`), and the note their systems call for.
    pub(crate) fn with_state(mut self, state: Option<&'a StateRead>) -> Self {
        self.state = state;
        self
    }

    pub(crate) fn with_dcs(mut self, dcs: Option<&'a Vec<DcEntry>>) -> Self {
        if let Some(dcs) = dcs {
            self.dcs = Some(dcs);
            self.causes = Some(AccountCauses::of(self.findings));
        }
        self
    }

    /// One line for stderr when findings fail the run: how many, by kind, the first new ids
    /// (with a baseline), where the report went.
    pub(crate) fn failing_summary(&self, command: &str, files: &[String]) -> Option<String> {
        let failing = self.triage.counts.failing;
        if failing == 0 {
            return None;
        }
        let counts = self.summary.counts;
        let kinds: Vec<String> = self
            .triage
            .checked
            .iter()
            .filter_map(|kind| Some((*kind, counts.count_of(kind)?)))
            .filter(|(_, count)| *count > 0)
            .map(|(kind, count)| format!("{kind} {count}"))
            .collect();
        let mut line = format!(
            "adcomputer {command}: {failing} finding(s) fail the run ({})",
            kinds.join(", ")
        );
        if let Some(marks) = &self.triage.marks {
            let new: Vec<String> = marks
                .iter()
                .enumerate()
                .filter(|(_, mark)| **mark == Mark::New)
                .map(|(index, _)| self.id(index).into_owned())
                .collect();
            let shown: Vec<&str> = new.iter().take(3).map(String::as_str).collect();
            line.push_str(&format!("; new: {}", shown.join(", ")));
            if new.len() > shown.len() {
                line.push_str(&format!(" and {} more", new.len() - shown.len()));
            }
        }
        if !files.is_empty() {
            line.push_str(&format!("; report: {}", files.join(", ")));
        }
        Some(line)
    }

    /// The finding's account's most likely cause (`audit`).
    fn cause(&self, index: usize) -> Option<&'static str> {
        let cause = self.causes.as_ref()?.of_finding(&self.findings[index]);
        cause.map(CauseKind::as_str)
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
            finding: &self.findings[index],
            id: self.id(index).into_owned(),
            baseline: self.mark(index).map(mark_name),
            cause: self.cause(index),
        }
    }

    /// The finding's own object, then its `id` and, with a baseline, its mark.
    fn write_item(&self, index: usize, buffer: &mut Vec<u8>) -> std::io::Result<()> {
        let finding = &self.findings[index];
        let start = buffer.len();
        json::append(buffer, finding)?;
        // Every test that reports a finding checks the fast writer against serde_json.
        debug_assert_eq!(
            buffer[start..],
            serde_json::to_vec(finding).expect("a finding serializes")
        );
        // Every finding is a JSON object: reopen it for the fields that are not its own.
        debug_assert_eq!(buffer.last(), Some(&b'}'));
        buffer.pop();
        buffer.extend_from_slice(b",\"id\":");
        json::string(buffer, &self.id(index));
        if let Some(mark) = self.mark(index) {
            write!(buffer, ",\"baseline\":\"{}\"", mark_name(mark))?;
        }
        if let Some(cause) = self.cause(index) {
            write!(buffer, ",\"cause\":\"{cause}\"")?;
        }
        buffer.push(b'}');
        Ok(())
    }

    fn extra_fields(&self, fields: &mut JsonFields<'_>) -> std::io::Result<()> {
        if let Some(state) = self.state {
            fields.field("state", state)?;
        }
        if self.triage.marks.is_some() {
            fields.field("resolved", self.resolved())?;
        }
        if self.triage.counts.ignored.is_some() {
            fields.field("ignored", &Accepted(&self.triage.accepted))?;
        }
        if let Some(dcs) = self.dcs {
            fields.field("domain_controllers", dcs)?;
            fields.field(
                "notes",
                &dc_inventory::note(dcs).into_iter().collect::<Vec<_>>(),
            )?;
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
        if let Some(dcs) = self.dcs.filter(|dcs| !dcs.is_empty()) {
            let rows: Vec<Vec<&str>> = dcs
                .iter()
                .map(|dc| {
                    vec![
                        dc.account.as_str(),
                        dc.operating_system
                            .as_deref()
                            .unwrap_or("(not in the directory)"),
                        if dc.read_only { "yes" } else { "no" },
                    ]
                })
                .collect();
            out.line(&format!("Domain controllers: {}", dcs.len()))?;
            out.table(&["DC", "Operating system", "Read-only"], &rows)?;
            if let Some(note) = dc_inventory::note(dcs) {
                out.line(&format!("Note: {note}"))?;
            }
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

/// The findings an ignore list accepted, each with its `id`: still there, never resolved.
struct Accepted<'a>(&'a [(Finding, String)]);

impl Serialize for Accepted<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut list = serializer.serialize_seq(Some(self.0.len()))?;
        for (finding, id) in self.0 {
            let mut object = serde_json::to_value(finding).map_err(S::Error::custom)?;
            if let Some(map) = object.as_object_mut() {
                map.insert("id".into(), id.clone().into());
            }
            list.serialize_element(&object)?;
        }
        list.end()
    }
}

/// One CSV row: `kind`, every field any kind has (empty where this one has none), its `id`
/// and, with a baseline, its mark. Columns and values come from the kinds' declarations.
pub(crate) struct Row<'a> {
    finding: &'a Finding,
    id: String,
    baseline: Option<&'static str>,
    cause: Option<&'static str>,
}

/// The CSV columns: the kinds' fields, then `id` and `baseline`.
fn csv_columns() -> &'static [&'static str] {
    static COLUMNS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut columns = kinds::csv_columns();
        columns.extend(["id", "baseline", "cause"]);
        columns
    })
}

impl Serialize for Row<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let columns = csv_columns();
        let spec = self.finding.spec();
        let mut row = serializer.serialize_struct("Row", columns.len())?;
        for column in columns {
            let value = match *column {
                "kind" => Some(Cow::Borrowed(spec.name)),
                "id" => Some(Cow::Borrowed(self.id.as_str())),
                "baseline" => self.baseline.map(Cow::Borrowed),
                "cause" => self.cause.map(Cow::Borrowed),
                field => (spec.field)(self.finding, field),
            };
            row.serialize_field(column, &value)?;
        }
        row.end()
    }
}

/// The findings of each kind (by position in `KINDS`), with whether each is new, and each
/// kind's counts per class. Rows are made as they are written: a report may list a million.
struct Rows<'a> {
    tables: [Vec<(&'a Finding, bool)>; kinds::KIND_COUNT],
    classes: kinds::ClassTally,
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
        classes: kinds::ClassTally::default(),
    };
    for (index, finding) in findings.iter().enumerate() {
        let new = marks.is_some_and(|marks| marks[index] == Mark::New);
        rows.add(finding, new);
    }
    rows.write(out)
}

/// A finding's table row, as its kind declares it; a new one's first cell says so.
fn cells(finding: &Finding, new: bool) -> Vec<Cell<'_>> {
    let mut cells: Vec<Cell<'_>> = finding
        .spec()
        .cells_of(finding)
        .into_iter()
        .map(|text| match text {
            Text::One(text) => Cell::One(text),
            Text::Lines(lines) => Cell::Lines(lines),
        })
        .collect();
    if new && let Some(first) = cells.first_mut() {
        first.marked(" (new)");
    }
    cells
}

impl<'a> Rows<'a> {
    fn add(&mut self, finding: &'a Finding, new: bool) {
        if let Some(class) = finding.class() {
            self.classes.add(class);
        }
        self.tables[finding.spec().position()].push((finding, new));
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
                        let count = self.classes.of(class);
                        format!("{} {count}", class.replace('_', " "))
                    })
                    .collect();
                title = format!("{title} ({})", counts.join(", "));
            }
            out.heading(&title, kind.severity)?;
            out.table_of(kind.columns, rows.len(), |n| cells(rows[n].0, rows[n].1))?;
            out.blank()?;
        }
        let names: Vec<&(&Finding, bool)> = unresolved
            .iter()
            .flat_map(|kind| &self.tables[kind.position()])
            .collect();
        if !names.is_empty() {
            out.table_of(kinds::NOT_FOUND.columns, names.len(), |n| {
                cells(names[n].0, names[n].1)
            })?;
            out.blank()?;
        }
        Ok(())
    }
}
