//! Findings as a report: tables grouped by kind with counts (for people), one JSON document
//! (SPEC §7), or CSV with one row per finding and the JSON field names as columns.

use std::io::Write;

use serde::Serialize;

use super::{Envelope, Format, new_table, write_csv, write_json};
use crate::checks::{Finding, StaleClass, Summary};

#[derive(Serialize)]
struct Body<'a> {
    findings: &'a [Finding],
    summary: &'a Summary,
}

/// One CSV row: every field any finding kind has.
#[derive(Default, Serialize)]
struct Row<'a> {
    kind: &'static str,
    account: Option<&'a str>,
    dn: Option<&'a str>,
    class: Option<StaleClass>,
    pwd_last_set: Option<&'a str>,
    last_logon: Option<&'a str>,
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
            account: Some(account),
            dn: Some(dn),
            class: Some(*class),
            pwd_last_set: pwd_last_set.as_deref(),
            last_logon: last_logon.as_deref(),
            password_age_days: *password_age_days,
            disabled: Some(*disabled),
            domain_controller: Some(*domain_controller),
            note: note.as_deref(),
            ..Row::default()
        },
        Finding::MissingSpn { account, dn, spn } => Row {
            kind,
            account: Some(account),
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
            account: Some(account),
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
                    .map(|h| format!("{}|{}|{}", h.account, h.dn, h.spn))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ..Row::default()
        },
        Finding::DefaultPassword { account, dn } => Row {
            kind,
            account: Some(account),
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
            candidates: Some(candidates.join(";")),
            ..Row::default()
        },
    }
}

pub fn write_findings(
    format: Format,
    envelope: &Envelope,
    findings: &[Finding],
    summary: &Summary,
) -> anyhow::Result<()> {
    match format {
        Format::Json => write_json(envelope, &Body { findings, summary }),
        Format::Csv => write_csv(findings.iter().map(row)),
        Format::Table => Ok(write_tables(findings, summary)?),
    }
}

fn of_kind<'a>(findings: &'a [Finding], kind: &'a str) -> impl Iterator<Item = &'a Finding> {
    findings
        .iter()
        .filter(move |finding| finding.kind() == kind)
}

fn write_tables(findings: &[Finding], summary: &Summary) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if summary.stale_password > 0 {
        writeln!(
            out,
            "Stale machine passwords: {} (never set {}, rotation failing {}, inactive {})",
            summary.stale_password, summary.never_set, summary.rotation_failing, summary.inactive
        )?;
        let mut table = new_table();
        table.set_header(vec![
            "Account",
            "Class",
            "Password age",
            "Last logon",
            "Notes",
        ]);
        for finding in of_kind(findings, "stale_password") {
            if let Finding::StalePassword {
                account,
                class,
                password_age_days,
                last_logon,
                disabled,
                domain_controller,
                note,
                ..
            } = finding
            {
                let notes: Vec<&str> = [
                    disabled.then_some("disabled"),
                    domain_controller.then_some("domain controller"),
                    note.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                table.add_row(vec![
                    account.clone(),
                    class.as_str().to_string(),
                    password_age_days.map_or("never set".into(), |d| format!("{d} days")),
                    last_logon.clone().unwrap_or_else(|| "-".into()),
                    notes.join("; "),
                ]);
            }
        }
        writeln!(out, "{table}\n")?;
    }
    if summary.missing_spn > 0 {
        writeln!(out, "Missing SPNs: {}", summary.missing_spn)?;
        let mut table = new_table();
        table.set_header(vec!["Account", "Missing SPN"]);
        for finding in of_kind(findings, "missing_spn") {
            if let Finding::MissingSpn { account, spn, .. } = finding {
                table.add_row(vec![account, spn]);
            }
        }
        writeln!(out, "{table}\n")?;
    }
    if summary.stale_spn > 0 {
        writeln!(out, "Stale SPNs (old DNS names): {}", summary.stale_spn)?;
        let mut table = new_table();
        table.set_header(vec!["Account", "SPN", "Replacement"]);
        for finding in of_kind(findings, "stale_spn") {
            if let Finding::StaleSpn {
                account,
                spn,
                replacement,
                ..
            } = finding
            {
                let replacement = replacement.as_deref().unwrap_or("(no dNSHostName)");
                table.add_row(vec![account.as_str(), spn, replacement]);
            }
        }
        writeln!(out, "{table}\n")?;
    }
    if summary.duplicate_spn > 0 {
        writeln!(out, "Duplicate SPNs: {}", summary.duplicate_spn)?;
        let mut table = new_table();
        table.set_header(vec!["Key", "Held by", "Via alias"]);
        for finding in of_kind(findings, "duplicate_spn") {
            if let Finding::DuplicateSpn {
                key,
                via_alias,
                holders,
            } = finding
            {
                let held_by: Vec<String> = holders
                    .iter()
                    .map(|h| format!("{} as {}", h.account, h.spn))
                    .collect();
                let alias = if *via_alias {
                    "yes (sPNMappings)"
                } else {
                    "no"
                };
                table.add_row(vec![key.clone(), held_by.join("\n"), alias.into()]);
            }
        }
        writeln!(out, "{table}\n")?;
    }
    if summary.default_password > 0 {
        writeln!(
            out,
            "Default passwords (anyone who knows the name can take these over): {}",
            summary.default_password
        )?;
        let mut table = new_table();
        table.set_header(vec!["Account", "DN"]);
        for finding in of_kind(findings, "default_password") {
            if let Finding::DefaultPassword { account, dn } = finding {
                table.add_row(vec![account, dn]);
            }
        }
        writeln!(out, "{table}\n")?;
    }
    if summary.not_found + summary.ambiguous > 0 {
        let mut table = new_table();
        table.set_header(vec!["Name", "Not checked because"]);
        for finding in findings {
            match finding {
                Finding::NotFound { name } => {
                    table.add_row(vec![name.clone(), "not found".into()]);
                }
                Finding::Ambiguous { name, candidates } => {
                    let why = format!("ambiguous: {}", candidates.join("; "));
                    table.add_row(vec![name.clone(), why]);
                }
                _ => {}
            }
        }
        writeln!(out, "{table}\n")?;
    }
    writeln!(
        out,
        "{} objects read ({} computers): {}",
        summary.accounts_read,
        summary.computers,
        match summary.findings {
            0 => "no findings".to_string(),
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        }
    )?;
    Ok(())
}
