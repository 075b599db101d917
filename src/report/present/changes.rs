//! `spn fix` and `undo`: one `spn_change` per object (what is added and removed, what was not
//! added because others hold it, and what happened), the duplicates left for a person with
//! why, names that did not resolve, a summary line, and the journal to undo it with.

use serde::Serialize;

use crate::report::format::table::Cell;
use crate::report::{Present, TextOut};
use adcomputer_core::rules::Finding;
pub(crate) use adcomputer_core::rules::spn_plan::{ChangeItem, ChangeStatus};

/// A finding beside the changes: a duplicate left for a person (with why), or a name.
#[derive(Debug, Serialize)]
pub(crate) struct Other {
    #[serde(flatten)]
    pub(crate) finding: Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
}

/// What a report of changes lists.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum ChangeReportItem {
    Change(ChangeItem),
    Other(Other),
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct ChangeSummary {
    pub(crate) planned: usize,
    pub(crate) applied: usize,
    pub(crate) skipped: usize,
    pub(crate) failed: usize,
    pub(crate) unknown: usize,
    pub(crate) unchanged: usize,
    pub(crate) reverted: usize,
    pub(crate) conflicts: usize,
    pub(crate) unresolved_duplicates: usize,
    pub(crate) not_found: usize,
    pub(crate) ambiguous: usize,
}

impl ChangeSummary {
    /// What makes `spn fix` exit 1: names not found or ambiguous, and, when it wrote, changes
    /// skipped, failed, unknown or with conflicts.
    pub(crate) fn problems(&self, applied: bool) -> usize {
        let sent_badly = self.skipped + self.failed + self.unknown + self.conflicts;
        self.not_found + self.ambiguous + if applied { sent_badly } else { 0 }
    }
}

/// What `spn fix` and `undo` report.
pub(crate) struct ChangeReport {
    pub(crate) items: Vec<ChangeReportItem>,
    pub(crate) summary: ChangeSummary,
    /// The journal written, if any.
    pub(crate) journal: Option<String>,
    /// Whether this was a plan (nothing written).
    pub(crate) plan_only: bool,
}

impl ChangeReport {
    pub(crate) fn new(
        items: Vec<ChangeReportItem>,
        journal: Option<String>,
        plan_only: bool,
    ) -> Self {
        let mut summary = ChangeSummary::default();
        for item in &items {
            match item {
                ChangeReportItem::Change(change) => {
                    match change.status {
                        ChangeStatus::Planned => summary.planned += 1,
                        ChangeStatus::Applied => summary.applied += 1,
                        ChangeStatus::Skipped => summary.skipped += 1,
                        ChangeStatus::Failed => summary.failed += 1,
                        ChangeStatus::Unknown => summary.unknown += 1,
                        ChangeStatus::Reverted => summary.reverted += 1,
                        ChangeStatus::Unchanged => summary.unchanged += 1,
                    }
                    summary.conflicts += change.conflicts.len();
                }
                ChangeReportItem::Other(other) => match &other.finding {
                    finding if finding.duplicate().is_some() => summary.unresolved_duplicates += 1,
                    Finding::NotFound { .. } => summary.not_found += 1,
                    Finding::Ambiguous { .. } => summary.ambiguous += 1,
                    _ => {}
                },
            }
        }
        ChangeReport {
            items,
            summary,
            journal,
            plan_only,
        }
    }
}

#[derive(Serialize)]
pub(crate) struct Row<'a> {
    kind: &'static str,
    account: Option<&'a str>,
    dn: Option<&'a str>,
    add: String,
    remove: String,
    conflicts: String,
    status: Option<ChangeStatus>,
    reason: Option<&'a str>,
    key: Option<&'a str>,
    name: Option<&'a str>,
}

impl Present for ChangeReport {
    type Item = ChangeReportItem;
    type Summary = ChangeSummary;
    type Row<'a> = Row<'a>;

    fn items(&self) -> &[ChangeReportItem] {
        &self.items
    }

    fn summary(&self) -> &ChangeSummary {
        &self.summary
    }

    fn extra_fields(&self, fields: &mut crate::report::JsonFields<'_>) -> std::io::Result<()> {
        match &self.journal {
            Some(journal) => fields.field("journal", journal),
            None => Ok(()),
        }
    }

    fn csv_row(&self, index: usize) -> Row<'_> {
        match &self.items[index] {
            ChangeReportItem::Change(change) => Row {
                kind: change.kind,
                account: change.account.as_deref(),
                dn: Some(&change.dn),
                add: change.add.join(" "),
                remove: change.remove.join(" "),
                conflicts: change
                    .conflicts
                    .iter()
                    .map(|c| format!("{} held by {}", c.spn, c.held_by.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; "),
                status: Some(change.status),
                reason: change.reason.as_deref(),
                key: None,
                name: None,
            },
            ChangeReportItem::Other(other) => Row {
                kind: other.finding.kind(),
                account: None,
                dn: None,
                add: String::new(),
                remove: String::new(),
                conflicts: String::new(),
                status: None,
                reason: other.reason.as_deref(),
                key: other.finding.duplicate().map(|(key, _)| key),
                name: match &other.finding {
                    Finding::NotFound { name } | Finding::Ambiguous { name, .. } => Some(name),
                    _ => None,
                },
            },
        }
    }

    fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
        let rows: Vec<Vec<Cell<'_>>> = self
            .items
            .iter()
            .filter_map(|item| match item {
                ChangeReportItem::Change(change) => Some(change),
                ChangeReportItem::Other(_) => None,
            })
            .map(|change| {
                let changes: Vec<String> = change
                    .remove
                    .iter()
                    .map(|spn| format!("- {spn}"))
                    .chain(change.add.iter().map(|spn| format!("+ {spn}")))
                    .collect();
                let conflicts: Vec<String> = change
                    .conflicts
                    .iter()
                    .map(|c| format!("{} ({})", c.spn, c.held_by.join(", ")))
                    .collect();
                let status = serde_json::to_value(change.status)
                    .ok()
                    .and_then(|value| value.as_str().map(str::to_string))
                    .unwrap_or_default();
                let status = match &change.reason {
                    Some(reason) => format!("{status}: {reason}"),
                    None => status,
                };
                vec![
                    // The DN too: which object is written, whatever name it has.
                    match &change.account {
                        Some(account) => Cell::lines([account.as_str(), change.dn.as_str()]),
                        None => Cell::from(change.dn.as_str()),
                    },
                    Cell::lines(changes),
                    Cell::lines(conflicts),
                    Cell::from(status),
                ]
            })
            .collect();
        if !rows.is_empty() {
            out.table(
                &["Account", "Change", "Not added (held elsewhere)", "Status"],
                &rows,
            )?;
        }
        for item in &self.items {
            let ChangeReportItem::Other(other) = item else {
                continue;
            };
            if let Some((key, holders)) = other.finding.duplicate() {
                let held: Vec<String> = holders
                    .iter()
                    .map(|h| format!("{} ({})", h.label(), h.spn))
                    .collect();
                out.line(&format!(
                    "left for a person: duplicate {key} ({}): {}",
                    other.reason.as_deref().unwrap_or("no rule settles it"),
                    held.join(", ")
                ))?;
                continue;
            }
            match &other.finding {
                Finding::NotFound { name } => out.line(&format!("not found: {name}"))?,
                Finding::Ambiguous { name, candidates } => {
                    let dns: Vec<&str> = candidates.iter().map(|c| c.dn.as_str()).collect();
                    out.line(&format!("ambiguous: {name} ({})", dns.join("; ")))?;
                }
                _ => {}
            }
        }
        let s = &self.summary;
        out.line(&format!(
            "{} planned, {} applied, {} skipped, {} failed, {} unknown, {} unchanged, {} reverted; {} additions held elsewhere",
            s.planned, s.applied, s.skipped, s.failed, s.unknown, s.unchanged, s.reverted, s.conflicts
        ))?;
        if let Some(journal) = &self.journal {
            out.line(&format!(
                "journal: {journal} (adcomputer undo {journal} --apply reverses it)"
            ))?;
        } else if self.plan_only && s.planned > 0 {
            out.line("nothing written: add --apply to make these changes")?;
        }
        Ok(())
    }
}

/// One object's SPN change as the prompt shows it.
pub(crate) fn plan_line(name: &str, add: &[String], remove: &[String]) -> String {
    let mut line = format!("  {name}:");
    if !add.is_empty() {
        line.push_str(&format!(" add {}", add.join(", ")));
    }
    if !remove.is_empty() {
        line.push_str(&format!(
            "{} remove {}",
            if add.is_empty() { "" } else { ";" },
            remove.join(", ")
        ));
    }
    line
}
