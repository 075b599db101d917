//! The findings of the checks (`stale`, `spn check`, `audit`, and `show`'s diagnosis): tables
//! grouped by kind with counts, a CSV row per finding with the JSON field names as columns.

use std::io::Write;

use serde::Serialize;

use super::{Present, TextOut, count, csv};
use crate::model::filetime::Timestamp;
use crate::rules::{Finding, StaleClass, Summary};

/// The report of a check command.
pub(crate) struct FindingsReport<'a> {
    pub(crate) findings: &'a [Finding],
    pub(crate) summary: &'a Summary,
}

impl Present for FindingsReport<'_> {
    type Item = Finding;
    type Summary = Summary;

    fn items(&self) -> &[Finding] {
        self.findings
    }

    fn summary(&self) -> &Summary {
        self.summary
    }

    fn csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        csv::write_rows(out, self.findings.iter().map(row))
    }

    fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
        finding_tables(out, self.findings)?;
        let summary = self.summary;
        out.line(&format!(
            "{} read ({}): {}",
            count(summary.accounts_read, "object", "objects"),
            count(summary.computers, "computer", "computers"),
            match summary.findings {
                0 => "no findings".to_string(),
                n => count(n, "finding", "findings"),
            }
        ))
    }
}

/// One CSV row: every field any finding kind has.
#[derive(Default, Serialize)]
struct Row<'a> {
    kind: &'static str,
    account: Option<&'a str>,
    dn: Option<&'a str>,
    class: Option<StaleClass>,
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
            class: Some(*class),
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

fn label<'a>(account: &'a Option<String>, dn: &'a str) -> &'a str {
    account.as_deref().unwrap_or(dn)
}

/// The findings as tables, one per kind, each with its count.
pub(crate) fn finding_tables(out: &mut TextOut<'_>, findings: &[Finding]) -> std::io::Result<()> {
    let mut stale = Vec::new();
    let mut classes = [0usize; 3];
    let mut missing = Vec::new();
    let mut stale_spns = Vec::new();
    let mut duplicates = Vec::new();
    let mut defaults = Vec::new();
    let mut unresolved = Vec::new();
    for finding in findings {
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
            } => {
                classes[*class as usize] += 1;
                let notes: Vec<&str> = [
                    disabled.then_some("disabled"),
                    domain_controller.then_some("domain controller"),
                    note.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                stale.push(vec![
                    label(account, dn).to_string(),
                    class.as_str().to_string(),
                    password_age_days.map_or("never set".into(), |d| format!("{d} days")),
                    last_logon.map_or_else(|| "-".into(), |time| time.to_string()),
                    notes.join("; "),
                ]);
            }
            Finding::MissingSpn { account, dn, spn } => {
                missing.push(vec![label(account, dn).to_string(), spn.clone()]);
            }
            Finding::StaleSpn {
                account,
                dn,
                spn,
                replacement,
            } => stale_spns.push(vec![
                label(account, dn).to_string(),
                spn.clone(),
                replacement
                    .clone()
                    .unwrap_or_else(|| "(no dNSHostName)".into()),
            ]),
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
                duplicates.push(vec![key.clone(), held_by.join("\n"), alias.into()]);
            }
            Finding::DefaultPassword { account, dn } => {
                defaults.push(vec![label(account, dn).to_string(), dn.clone()]);
            }
            Finding::NotFound { name } => unresolved.push(vec![name.clone(), "not found".into()]),
            Finding::Ambiguous { name, candidates } => {
                let dns: Vec<&str> = candidates.iter().map(|c| c.dn.as_str()).collect();
                unresolved.push(vec![name.clone(), format!("ambiguous: {}", dns.join("\n"))]);
            }
        }
    }
    if !stale.is_empty() {
        out.line(&format!(
            "Stale machine passwords: {} (never set {}, rotation failing {}, inactive {})",
            stale.len(),
            classes[StaleClass::NeverSet as usize],
            classes[StaleClass::RotationFailing as usize],
            classes[StaleClass::Inactive as usize]
        ))?;
        out.table(
            &["Account", "Class", "Password age", "Last logon", "Notes"],
            &stale,
        )?;
        out.blank()?;
    }
    type Section<'a> = (&'a str, &'a [&'a str], &'a Vec<Vec<String>>);
    let sections: [Section<'_>; 4] = [
        ("Missing SPNs", &["Account", "Missing SPN"], &missing),
        (
            "Stale SPNs (old DNS names)",
            &["Account", "SPN", "Replacement"],
            &stale_spns,
        ),
        (
            "Duplicate SPNs",
            &["Key", "Held by", "Via alias"],
            &duplicates,
        ),
        (
            "Default passwords (anyone who knows the name can take these over)",
            &["Account", "DN"],
            &defaults,
        ),
    ];
    for (title, header, rows) in sections {
        if !rows.is_empty() {
            out.line(&format!("{title}: {}", rows.len()))?;
            out.table(header, rows)?;
            out.blank()?;
        }
    }
    if !unresolved.is_empty() {
        out.table(&["Name", "Not checked because"], &unresolved)?;
        out.blank()?;
    }
    Ok(())
}
