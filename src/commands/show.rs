//! `adcomputer show NAME...`: resolves each name (SPEC §2) among the candidates of one search
//! and shows each account's whole state; names that match nothing or several objects are
//! reported as `not_found` / `ambiguous` findings (exit 1).

use std::io::Write;

use comfy_table::Cell;
use serde::Serialize;

use super::RunContext;
use crate::account::{Account, AccountKind};
use crate::exit::Outcome;
use crate::filetime::FileTime;
use crate::names::{NameQuery, Resolution};
use crate::report::{self, Envelope, Format};
use crate::source::Source;

/// An account as `show` prints it (JSON field names are public API).
#[derive(Debug, Serialize)]
struct AccountView {
    account: String,
    dn: String,
    cn: Option<String>,
    kind: AccountKind,
    dns_host_name: Option<String>,
    additional_dns_host_names: Vec<String>,
    user_account_control: u32,
    uac_flags: Vec<String>,
    disabled: bool,
    domain_controller: bool,
    /// RFC 3339, or null when never set (`pwdLastSet = 0`) or absent.
    pwd_last_set: Option<String>,
    password_never_set: bool,
    password_age_days: Option<i64>,
    last_logon: Option<String>,
    last_logon_days: Option<i64>,
    key_version: Option<u32>,
    operating_system: Option<String>,
    spns: Vec<String>,
}

impl AccountView {
    fn new(account: &Account, as_of: FileTime) -> AccountView {
        let set = account.pwd_last_set.filter(|time| !time.is_zero());
        AccountView {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            cn: account.cn.clone(),
            kind: account.kind,
            dns_host_name: account.dns_host_name.clone(),
            additional_dns_host_names: account.additional_dns_host_names.clone(),
            user_account_control: account.uac.0,
            uac_flags: account.uac.flag_names(),
            disabled: account.uac.is_disabled(),
            domain_controller: account.uac.is_domain_controller(),
            pwd_last_set: set.and_then(FileTime::to_rfc3339),
            password_never_set: account.pwd_last_set.is_some_and(FileTime::is_zero),
            password_age_days: set.map(|time| time.days_until(as_of)),
            last_logon: account.last_logon_timestamp.and_then(FileTime::to_rfc3339),
            last_logon_days: account
                .last_logon_timestamp
                .map(|time| time.days_until(as_of)),
            key_version: account.key_version,
            operating_system: account.operating_system.clone(),
            spns: account.spns.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
struct Candidate {
    account: String,
    dn: String,
}

/// A name that could not be shown.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Unresolved {
    NotFound {
        name: String,
    },
    Ambiguous {
        name: String,
        candidates: Vec<Candidate>,
    },
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    found: usize,
    not_found: usize,
    ambiguous: usize,
}

#[derive(Debug, Serialize)]
struct ShowReport {
    accounts: Vec<AccountView>,
    findings: Vec<Unresolved>,
    summary: Summary,
}

/// One CSV row a name.
#[derive(Debug, Default, Serialize)]
struct Row<'a> {
    name: &'a str,
    status: &'static str,
    account: Option<&'a str>,
    dn: Option<&'a str>,
    kind: Option<AccountKind>,
    dns_host_name: Option<&'a str>,
    user_account_control: Option<u32>,
    disabled: Option<bool>,
    domain_controller: Option<bool>,
    pwd_last_set: Option<&'a str>,
    password_age_days: Option<i64>,
    last_logon: Option<&'a str>,
    last_logon_days: Option<i64>,
    key_version: Option<u32>,
    spns: Option<String>,
}

pub async fn run(
    context: &RunContext,
    source: &mut Source,
    names: &[NameQuery],
) -> anyhow::Result<Outcome> {
    let candidates = source.candidates(names).await?;
    let as_of = FileTime::from_datetime(context.as_of);
    let mut report = ShowReport {
        accounts: Vec::new(),
        findings: Vec::new(),
        summary: Summary::default(),
    };
    // Which report item each name became, for the per-name CSV rows.
    let mut rows_by_name = Vec::new();
    for name in names {
        match name.resolve(&candidates) {
            Resolution::Found(account) => {
                report.summary.found += 1;
                let index = match report.accounts.iter().position(|a| a.dn == account.dn) {
                    Some(index) => index,
                    None => {
                        report.accounts.push(AccountView::new(account, as_of));
                        report.accounts.len() - 1
                    }
                };
                rows_by_name.push((name.as_str(), Ok(index)));
            }
            Resolution::NotFound => {
                report.summary.not_found += 1;
                report.findings.push(Unresolved::NotFound {
                    name: name.as_str().into(),
                });
                rows_by_name.push((name.as_str(), Err("not_found")));
            }
            Resolution::Ambiguous(matches) => {
                report.summary.ambiguous += 1;
                report.findings.push(Unresolved::Ambiguous {
                    name: name.as_str().into(),
                    candidates: matches
                        .iter()
                        .map(|account| Candidate {
                            account: account.sam_account_name.clone(),
                            dn: account.dn.clone(),
                        })
                        .collect(),
                });
                rows_by_name.push((name.as_str(), Err("ambiguous")));
            }
        }
    }

    match context.format {
        Format::Json => report::write_json(
            &Envelope::new(
                context.command,
                crate::filetime::rfc3339(context.as_of),
                &context.source,
            ),
            &report,
        )?,
        Format::Csv => report::write_csv(rows_by_name.iter().map(|(name, item)| match item {
            Ok(index) => row(name, &report.accounts[*index]),
            Err(status) => Row {
                name,
                status,
                ..Row::default()
            },
        }))?,
        Format::Table => print_tables(&report)?,
    }
    Ok(Outcome::from_problems(!report.findings.is_empty()))
}

fn row<'a>(name: &'a str, view: &'a AccountView) -> Row<'a> {
    Row {
        name,
        status: "found",
        account: Some(&view.account),
        dn: Some(&view.dn),
        kind: Some(view.kind),
        dns_host_name: view.dns_host_name.as_deref(),
        user_account_control: Some(view.user_account_control),
        disabled: Some(view.disabled),
        domain_controller: Some(view.domain_controller),
        pwd_last_set: view.pwd_last_set.as_deref(),
        password_age_days: view.password_age_days,
        last_logon: view.last_logon.as_deref(),
        last_logon_days: view.last_logon_days,
        key_version: view.key_version,
        spns: Some(view.spns.join(" ")),
    }
}

fn when(time: &Option<String>, days: Option<i64>, otherwise: &str) -> String {
    match (time, days) {
        (Some(time), Some(days)) => format!("{time} ({})", report::days_ago(days)),
        _ => otherwise.to_string(),
    }
}

fn print_tables(report: &ShowReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for view in &report.accounts {
        let mut table = report::new_table();
        table.set_header(vec![Cell::new(&view.account), Cell::new(&view.dn)]);
        let mut add = |label: &str, value: String| {
            table.add_row(vec![Cell::new(label), Cell::new(value)]);
        };
        add("Kind", format!("{:?}", view.kind).to_lowercase());
        let none = || "-".to_string();
        add(
            "DNS host name",
            view.dns_host_name.clone().unwrap_or_else(none),
        );
        if !view.additional_dns_host_names.is_empty() {
            add(
                "Additional DNS names",
                view.additional_dns_host_names.join("\n"),
            );
        }
        add(
            "Account control",
            format!(
                "{} ({})",
                view.uac_flags.join(" | "),
                view.user_account_control
            ),
        );
        add(
            "Enabled",
            if view.disabled {
                "no (disabled)"
            } else {
                "yes"
            }
            .into(),
        );
        let password_never = if view.password_never_set {
            "never set (pwdLastSet = 0)"
        } else {
            "-"
        };
        add(
            "Password set",
            when(&view.pwd_last_set, view.password_age_days, password_never),
        );
        add(
            "Last logon",
            when(
                &view.last_logon,
                view.last_logon_days,
                "never (no lastLogonTimestamp)",
            ),
        );
        add(
            "Key version",
            view.key_version.map_or_else(none, |kvno| kvno.to_string()),
        );
        if let Some(os) = &view.operating_system {
            add("Operating system", os.clone());
        }
        add(
            "SPNs",
            if view.spns.is_empty() {
                "(none)".into()
            } else {
                view.spns.join("\n")
            },
        );
        writeln!(out, "{table}")?;
    }
    if !report.findings.is_empty() {
        let mut table = report::new_table();
        table.set_header(vec!["Name", "Not shown because"]);
        for finding in &report.findings {
            let (name, why) = match finding {
                Unresolved::NotFound { name } => (name, "not found".to_string()),
                Unresolved::Ambiguous { name, candidates } => (
                    name,
                    format!(
                        "ambiguous: matches {}; give the sAMAccountName or DN",
                        candidates
                            .iter()
                            .map(|c| format!("{} ({})", c.account, c.dn))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            };
            table.add_row(vec![name.clone(), why]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(())
}
