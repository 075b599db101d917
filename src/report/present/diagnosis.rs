//! `show`: one table per account (names, flags, password, last logon, SPNs and the SPNs it
//! should hold), then every finding that concerns it and its causes, most likely first, each
//! with its evidence and next step (`rules::causes`). JSON carries the accounts (with their
//! `causes`) in `accounts`, their findings in `findings`, and the causes of names only a deleted
//! computer has in `deleted`; CSV has one row per name.

use serde::Serialize;

use adcomputer_core::model::filetime::Timestamp;
use adcomputer_core::rules::replication_lag::DcView;

use crate::report::format::table::Cell;
use crate::report::present::findings::finding_tables;
use crate::report::{Present, TextOut, days_ago};
use adcomputer_core::model::account::{Account, AccountKind};
use adcomputer_core::model::filetime::FileTime;
use adcomputer_core::model::text;
use adcomputer_core::rules::Finding;
use adcomputer_core::rules::causes::{self, Cause};

/// An SPN the account should hold, and whether it does.
#[derive(Debug, Serialize)]
pub(crate) struct ExpectedSpn {
    pub(crate) spn: String,
    pub(crate) present: bool,
}

/// An account as `show` prints it (JSON field names are public API).
#[derive(Debug, Serialize)]
pub(crate) struct AccountView {
    account: Option<String>,
    dn: String,
    cn: Option<String>,
    kind: Option<AccountKind>,
    dns_host_name: Option<String>,
    additional_dns_host_names: Vec<String>,
    user_account_control: Option<u32>,
    uac_flags: Vec<String>,
    disabled: Option<bool>,
    domain_controller: Option<bool>,
    /// RFC 3339, or null when never set (`pwdLastSet = 0`) or absent.
    pwd_last_set: Option<String>,
    password_never_set: bool,
    password_age_days: Option<i64>,
    last_logon: Option<String>,
    last_logon_days: Option<i64>,
    key_version: Option<u32>,
    operating_system: Option<String>,
    spns: Vec<String>,
    expected_spns: Vec<ExpectedSpn>,
    /// Why it fails, most likely first, each with its evidence and next step.
    causes: Vec<Cause>,
    /// The causes' next steps, in the same order (each once).
    next_steps: Vec<String>,
    /// `--all-dcs`: each DC's view of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    dcs: Option<Vec<DcView>>,
    /// `--all-dcs`: the newest `lastLogon` over all DCs, the true last logon.
    #[serde(skip_serializing_if = "Option::is_none")]
    newest_last_logon: Option<String>,
}

impl AccountView {
    pub(crate) fn new(
        account: &Account,
        as_of: FileTime,
        expected: Vec<String>,
        findings: &[Finding],
        evidence: &causes::Evidence<'_>,
    ) -> AccountView {
        let causes = causes::of_account(account, findings, evidence);
        let mut next_steps: Vec<String> = Vec::new();
        for cause in &causes {
            if !next_steps.contains(&cause.next_step) {
                next_steps.push(cause.next_step.clone());
            }
        }
        let set = account.pwd_last_set.filter(|time| !time.is_zero());
        let expected_spns = expected
            .into_iter()
            .map(|spn| ExpectedSpn {
                present: account.spns.iter().any(|held| text::same(held, &spn)),
                spn,
            })
            .collect();
        AccountView {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            cn: account.cn.clone(),
            kind: account.kind,
            dns_host_name: account.dns_host_name.clone(),
            additional_dns_host_names: account.additional_dns_host_names.clone(),
            user_account_control: account.uac.map(|uac| uac.0),
            uac_flags: account.uac.map(|uac| uac.flag_names()).unwrap_or_default(),
            disabled: account.uac.map(|uac| uac.is_disabled()),
            domain_controller: account.uac.map(|uac| uac.is_domain_controller()),
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
            expected_spns,
            causes,
            next_steps,
            dcs: None,
            newest_last_logon: None,
        }
    }

    /// Adds each DC's view (`--all-dcs`) and the newest last logon among them.
    pub(crate) fn with_dcs(mut self, views: Vec<DcView>, newest: Option<FileTime>) -> AccountView {
        self.dcs = Some(views);
        self.newest_last_logon = newest.and_then(FileTime::to_rfc3339);
        self
    }

    fn is_about(&self, finding: &Finding) -> bool {
        finding.concerns(&self.dn)
    }
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct ShowSummary {
    pub(crate) found: usize,
    pub(crate) not_found: usize,
    pub(crate) ambiguous: usize,
    pub(crate) findings: usize,
}

/// What `show` reports.
pub(crate) struct ShowReport {
    pub(crate) accounts: Vec<AccountView>,
    pub(crate) findings: Vec<Finding>,
    /// Each name as given, and the index of its account in `accounts` (or why none).
    pub(crate) names: Vec<(String, Result<usize, &'static str>)>,
    pub(crate) summary: ShowSummary,
}

/// One CSV row a name.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Row<'a> {
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
    findings: Option<usize>,
}

impl Present for ShowReport {
    type Item = Finding;
    type Summary = ShowSummary;
    type Row<'a> = Row<'a>;

    fn items(&self) -> &[Finding] {
        &self.findings
    }

    fn summary(&self) -> &ShowSummary {
        &self.summary
    }

    fn extra_fields(&self, fields: &mut crate::report::JsonFields<'_>) -> std::io::Result<()> {
        fields.field("accounts", &self.accounts)?;
        let deleted: Vec<Cause> = self
            .findings
            .iter()
            .filter_map(causes::of_deleted)
            .collect();
        fields.field("deleted", &deleted)
    }

    fn csv_len(&self) -> usize {
        self.names.len()
    }

    fn csv_row(&self, index: usize) -> Row<'_> {
        let (name, item) = &self.names[index];
        match item {
            Ok(index) => {
                let view = &self.accounts[*index];
                Row {
                    name,
                    status: "found",
                    account: view.account.as_deref(),
                    dn: Some(&view.dn),
                    kind: view.kind,
                    dns_host_name: view.dns_host_name.as_deref(),
                    user_account_control: view.user_account_control,
                    disabled: view.disabled,
                    domain_controller: view.domain_controller,
                    pwd_last_set: view.pwd_last_set.as_deref(),
                    password_age_days: view.password_age_days,
                    last_logon: view.last_logon.as_deref(),
                    last_logon_days: view.last_logon_days,
                    key_version: view.key_version,
                    spns: Some(view.spns.join(" ")),
                    findings: Some(self.findings.iter().filter(|f| view.is_about(f)).count()),
                }
            }
            Err(status) => Row {
                name,
                status,
                ..Row::default()
            },
        }
    }

    fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
        for view in &self.accounts {
            account_table(out, view)?;
            if let Some(dcs) = &view.dcs {
                dc_table(out, dcs, view.newest_last_logon.as_deref())?;
            }
            let mine: Vec<Finding> = self
                .findings
                .iter()
                .filter(|finding| view.is_about(finding))
                .cloned()
                .collect();
            if mine.is_empty() {
                out.line("No findings.")?;
            } else {
                finding_tables(out, &mine, None)?;
            }
            causes_text(out, &view.causes)?;
            out.blank()?;
        }
        // Names not found, ambiguous, or of a deleted computer: about no account shown.
        let unresolved: Vec<Finding> = self
            .findings
            .iter()
            .filter(|f| !self.accounts.iter().any(|view| view.is_about(f)))
            .cloned()
            .collect();
        finding_tables(out, &unresolved, None)?;
        let deleted: Vec<Cause> = unresolved.iter().filter_map(causes::of_deleted).collect();
        causes_text(out, &deleted)
    }
}

/// The causes, most likely first, each with its evidence and next step.
fn causes_text(out: &mut TextOut<'_>, causes: &[Cause]) -> std::io::Result<()> {
    if causes.is_empty() {
        return Ok(());
    }
    out.line("Causes, most likely first:")?;
    for (number, cause) in causes.iter().enumerate() {
        let name = serde_json::to_value(cause.cause).unwrap_or_default();
        let label = format!("{:>2}. {}: ", number + 1, name.as_str().unwrap_or_default());
        out.prose(&label, &cause.evidence)?;
        // A command stays on one line, to copy whole; the comment after it is prose.
        let (step, comment) = match cause.next_step.split_once("   # ") {
            Some((step, comment)) if !cause.manual => (step, Some(comment)),
            _ => (cause.next_step.as_str(), None),
        };
        if cause.manual {
            out.prose("    Next (by hand): ", step)?;
        } else {
            out.line(&format!("    Next: {step}"))?;
        }
        if let Some(comment) = comment {
            out.prose("          # ", comment)?;
        }
    }
    Ok(())
}

/// Each DC's view, and which are behind.
fn dc_table(out: &mut TextOut<'_>, dcs: &[DcView], newest: Option<&str>) -> std::io::Result<()> {
    let text = |time: Option<Timestamp>| time.map_or_else(|| "-".to_string(), |t| t.to_string());
    let rows: Vec<Vec<String>> = dcs
        .iter()
        .map(|dc| {
            let changed = match (&dc.password_changed_at, &dc.password_changed_on) {
                (Some(at), Some(on)) => format!("{at} on {on}"),
                _ => "-".into(),
            };
            let note = match (&dc.error, dc.behind) {
                (Some(why), _) => why.clone(),
                (None, true) => "behind: an older password than another DC holds".into(),
                (None, false) => String::new(),
            };
            vec![
                dc.dc.clone(),
                dc.key_version
                    .map_or_else(|| "-".into(), |kvno| kvno.to_string()),
                text(dc.pwd_last_set),
                changed,
                text(dc.last_logon),
                match &dc.aes_keys {
                    None => "-".into(),
                    Some(keys) if keys.is_empty() => "none".into(),
                    Some(keys) => keys.join(", "),
                },
                note,
            ]
        })
        .collect();
    out.table(
        &[
            "DC",
            "Key version",
            "Password set",
            "Password last changed",
            "Last logon here",
            "AES keys (KDC)",
            "Note",
        ],
        &rows,
    )?;
    out.line(&format!(
        "Last logon over all DCs: {}",
        newest.unwrap_or("never (no DC recorded one)")
    ))
}

fn when(time: Option<&str>, days: Option<i64>, otherwise: &str) -> String {
    match (time, days) {
        (Some(time), Some(days)) => format!("{time} ({})", days_ago(days)),
        _ => otherwise.to_string(),
    }
}

fn account_table(out: &mut TextOut<'_>, view: &AccountView) -> std::io::Result<()> {
    let unknown = || "unknown (not in the source)".to_string();
    let mut rows: Vec<(&str, Cell<'static>)> = Vec::new();
    let mut add = |label: &'static str, value: Cell<'static>| rows.push((label, value));
    add(
        "sAMAccountName",
        Cell::from(view.account.clone().unwrap_or_else(unknown)),
    );
    add("distinguishedName", Cell::from(view.dn.clone()));
    add(
        "objectClass",
        Cell::from(
            view.kind
                .map_or_else(unknown, |kind| format!("{kind:?}").to_lowercase()),
        ),
    );
    add(
        "dNSHostName",
        Cell::from(view.dns_host_name.clone().unwrap_or_else(|| "-".into())),
    );
    if !view.additional_dns_host_names.is_empty() {
        add(
            "msDS-AdditionalDnsHostName",
            Cell::lines(view.additional_dns_host_names.clone()),
        );
    }
    add(
        "userAccountControl",
        Cell::from(view.user_account_control.map_or_else(unknown, |uac| {
            let state = match view.disabled {
                Some(true) => "disabled",
                _ => "enabled",
            };
            format!("{uac}: {} ({state})", view.uac_flags.join(" | "))
        })),
    );
    let password_never = if view.password_never_set {
        "never set (pwdLastSet = 0)"
    } else {
        "unknown (not in the source)"
    };
    add(
        "pwdLastSet",
        Cell::from(when(
            view.pwd_last_set.as_deref(),
            view.password_age_days,
            password_never,
        )),
    );
    add(
        "lastLogonTimestamp",
        Cell::from(when(
            view.last_logon.as_deref(),
            view.last_logon_days,
            "never (no lastLogonTimestamp)",
        )),
    );
    add(
        "msDS-KeyVersionNumber",
        Cell::from(
            view.key_version
                .map_or_else(|| "-".into(), |kvno| kvno.to_string()),
        ),
    );
    if let Some(os) = &view.operating_system {
        add("operatingSystem", Cell::from(os.clone()));
    }
    add(
        "servicePrincipalName",
        if view.spns.is_empty() {
            Cell::from("(none)")
        } else {
            Cell::lines(view.spns.clone())
        },
    );
    if !view.expected_spns.is_empty() {
        let expected: Vec<String> = view
            .expected_spns
            .iter()
            .map(|e| format!("{} {}", if e.present { "ok" } else { "MISSING" }, e.spn))
            .collect();
        add("(expected SPNs)", Cell::lines(expected));
    }
    out.pairs(&rows)
}
