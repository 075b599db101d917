//! `reset`: one row per name (what happened, key version and password time before and after,
//! the Kerberos results), the warnings, a summary line, and what the machine must do next.

use serde::Serialize;

use crate::report::format::table::Cell;
use crate::report::{Present, TextOut};
use adcomputer_core::rules::reset_plan::{self, ResetItem, Status};

#[derive(Debug, Default, Serialize)]
pub(crate) struct ResetSummary {
    pub(crate) reset: usize,
    /// `restore`.
    pub(crate) restored: usize,
    pub(crate) planned: usize,
    pub(crate) refused: usize,
    pub(crate) not_found: usize,
    pub(crate) ambiguous: usize,
    pub(crate) failed: usize,
    pub(crate) unknown: usize,
    pub(crate) verified: usize,
    pub(crate) not_verified: usize,
}

impl ResetSummary {
    pub(crate) fn of(items: &[ResetItem]) -> ResetSummary {
        let mut summary = ResetSummary::default();
        for item in items {
            match item.status {
                Status::Reset => summary.reset += 1,
                Status::Restored => summary.restored += 1,
                Status::Planned => summary.planned += 1,
                Status::Refused => summary.refused += 1,
                Status::NotFound => summary.not_found += 1,
                Status::Ambiguous => summary.ambiguous += 1,
                Status::Failed => summary.failed += 1,
                Status::Unknown => summary.unknown += 1,
            }
            if !item.verification.is_empty() {
                if item
                    .verification
                    .iter()
                    .all(|verification| verification.accepted)
                {
                    summary.verified += 1;
                } else {
                    summary.not_verified += 1;
                }
            }
        }
        summary
    }
}

/// What `reset` reports.
pub(crate) struct ResetReport {
    pub(crate) items: Vec<ResetItem>,
    pub(crate) summary: ResetSummary,
    /// What the machines must do next (table output).
    pub(crate) next_steps: Vec<String>,
}

impl ResetReport {
    /// The report of `reset` or `restore`: the items (their targets dropped), their summary,
    /// and what the machines must do next when something was (or would be) set.
    pub(crate) fn new(
        mut items: Vec<ResetItem>,
        whole_name: bool,
        dc: &str,
        base: &str,
    ) -> ResetReport {
        for item in &mut items {
            item.target = None;
        }
        let summary = ResetSummary::of(&items);
        let names: Vec<&str> = items
            .iter()
            .filter(|item| {
                matches!(
                    item.status,
                    Status::Reset | Status::Restored | Status::Planned
                )
            })
            .filter_map(|item| item.account.as_deref())
            .collect();
        let domain = reset_plan::dns_domain_of(base);
        let on = reset_plan::StepsFor {
            dc,
            domain: &domain,
            names: &names,
            done: summary.planned == 0,
        };
        let next_steps = match summary.reset + summary.restored + summary.planned {
            0 => Vec::new(),
            _ => reset_plan::next_steps(whole_name, &on),
        };
        ResetReport {
            items,
            summary,
            next_steps,
        }
    }

    /// Whether every item ended as asked.
    pub(crate) fn all_done(&self) -> bool {
        self.items.iter().all(ResetItem::done)
    }
}

#[derive(Serialize)]
pub(crate) struct Row<'a> {
    kind: &'static str,
    name: &'a str,
    account: Option<&'a str>,
    dn: Option<&'a str>,
    status: Status,
    reason: Option<&'a str>,
    kvno_before: Option<u32>,
    kvno_after: Option<u32>,
    pwd_last_set_before: Option<&'a str>,
    pwd_last_set_after: Option<&'a str>,
    /// `kdc=result` separated by `;`.
    verification: String,
    warnings: String,
}

/// `dc2.example.com: wrong password (…); holds key version 1 (not yet)`.
fn verification_line(verification: &adcomputer_core::rules::reset_plan::Verification) -> String {
    let place = verification.dc.as_deref().unwrap_or(&verification.kdc);
    let held = match (verification.holds_new_password, verification.key_version) {
        (Some(true), Some(kvno)) => format!("; holds key version {kvno}"),
        (Some(false), Some(kvno)) => format!("; holds key version {kvno} (not replicated yet)"),
        _ => String::new(),
    };
    format!("{place}: {}{held}", verification.result)
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Reset => "reset",
        Status::Restored => "restored",
        Status::Planned => "planned (add --apply)",
        Status::Refused => "refused",
        Status::NotFound => "not found",
        Status::Ambiguous => "ambiguous",
        Status::Failed => "failed",
        Status::Unknown => "unknown",
    }
}

impl Present for ResetReport {
    type Item = ResetItem;
    type Summary = ResetSummary;
    type Row<'a> = Row<'a>;

    fn items(&self) -> &[ResetItem] {
        &self.items
    }

    fn summary(&self) -> &ResetSummary {
        &self.summary
    }

    fn csv_row(&self, index: usize) -> Row<'_> {
        let item = &self.items[index];
        Row {
            kind: item.kind,
            name: &item.name,
            account: item.account.as_deref(),
            dn: item.dn.as_deref(),
            status: item.status,
            reason: item.reason.as_deref(),
            kvno_before: item.kvno_before,
            kvno_after: item.kvno_after,
            pwd_last_set_before: item.pwd_last_set_before.as_deref(),
            pwd_last_set_after: item.pwd_last_set_after.as_deref(),
            verification: item
                .verification
                .iter()
                .map(|v| format!("{}={}", v.dc.as_deref().unwrap_or(&v.kdc), v.result))
                .collect::<Vec<_>>()
                .join(";"),
            warnings: item.warnings.join("; "),
        }
    }

    fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
        let arrow = |before: Option<String>, after: Option<String>| match (before, after) {
            (before, Some(after)) => format!("{} -> {after}", before.as_deref().unwrap_or("never")),
            (Some(before), None) => before,
            (None, None) => "never".into(),
        };
        // An item without an account (not found, ambiguous) has no key or password to show.
        let shown = |item: &ResetItem, text: String| match item.account {
            Some(_) => text,
            None => "-".into(),
        };
        let rows: Vec<Vec<Cell<'_>>> = self
            .items
            .iter()
            .map(|item| {
                let result = match &item.reason {
                    Some(reason) => format!("{}: {reason}", status_word(item.status)),
                    None => status_word(item.status).to_string(),
                };
                let mut result = vec![result];
                if let Some(to) = &item.restored_to {
                    result.push(format!("to {to}"));
                }
                if !item.spns_added.is_empty() {
                    result.push(format!("SPNs put back: {}", item.spns_added.join(", ")));
                }
                let verification: Vec<String> =
                    item.verification.iter().map(verification_line).collect();
                vec![
                    Cell::from(item.name.clone()),
                    Cell::from(item.account.clone().unwrap_or_else(|| "-".into())),
                    Cell::lines(result),
                    Cell::from(shown(
                        item,
                        arrow(
                            item.kvno_before.map(|k| k.to_string()),
                            item.kvno_after.map(|k| k.to_string()),
                        ),
                    )),
                    Cell::from(shown(
                        item,
                        arrow(
                            item.pwd_last_set_before.clone(),
                            item.pwd_last_set_after.clone(),
                        ),
                    )),
                    Cell::lines(verification),
                ]
            })
            .collect();
        out.table(
            &[
                "Name",
                "Account",
                "Result",
                "Key version",
                "Password set",
                "Checked at",
            ],
            &rows,
        )?;
        for item in &self.items {
            for warning in &item.warnings {
                let who = item.account.as_deref().unwrap_or(&item.name);
                out.line(&format!("warning: {who}: {warning}"))?;
            }
        }
        let s = &self.summary;
        out.blank()?;
        let done = if s.restored > 0 {
            format!("{} restored", s.restored)
        } else {
            format!("{} reset", s.reset)
        };
        out.line(&format!(
            "{done}, {} planned, {} refused, {} not found, {} ambiguous, {} failed, {} unknown",
            s.planned, s.refused, s.not_found, s.ambiguous, s.failed, s.unknown
        ))?;
        if !self.next_steps.is_empty() {
            out.blank()?;
            for line in &self.next_steps {
                out.line(line)?;
            }
        }
        Ok(())
    }
}
