//! `adcomputer reset NAME...`: ADUC's "Reset Account" (SPEC §3). Resolves every name with one
//! search, refuses what must not be reset, asks once, then per account: reads its owner and
//! creator (KB5020276 pre-flight), writes `unicodePwd` alone, reads `pwdLastSet` and the key
//! version back, and optionally logs on as the computer at the KDCs. A failed item never stops
//! the batch; the report says what happened to each.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::RunContext;
use crate::account::{ACCOUNT_ATTRIBUTES, Account};
use crate::config::{ResetSettings, VerifyAt};
use crate::exit::Outcome;
use crate::filetime::FileTime;
use crate::kerberos::{Kdc, verify_password};
use crate::ldap::{DcAddress, Directory, locate_dcs};
use crate::names::Resolution;
use crate::report::{self, Envelope, Format};
use crate::reset::{default_password, realm_of, refusal, unicode_pwd};
use crate::security::{is_admin_group, owner_of, sid_to_string};
use crate::source::Source;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Reset,
    Planned,
    Refused,
    NotFound,
    Ambiguous,
    Failed,
}

#[derive(Debug, Serialize)]
struct Verification {
    kdc: String,
    result: String,
    #[serde(skip)]
    accepted: bool,
}

/// One `reset` finding (SPEC §7).
#[derive(Debug, Serialize)]
struct ResetItem {
    kind: &'static str,
    name: String,
    account: Option<String>,
    dn: Option<String>,
    status: Status,
    reason: Option<String>,
    kvno_before: Option<u32>,
    kvno_after: Option<u32>,
    pwd_last_set_before: Option<String>,
    pwd_last_set_after: Option<String>,
    verification: Vec<Verification>,
    warnings: Vec<String>,
    /// The account, while it is being worked on; not reported.
    #[serde(skip)]
    target: Option<Account>,
}

impl ResetItem {
    fn new(name: &str, status: Status) -> ResetItem {
        ResetItem {
            kind: "reset",
            name: name.to_string(),
            account: None,
            dn: None,
            status,
            reason: None,
            kvno_before: None,
            kvno_after: None,
            pwd_last_set_before: None,
            pwd_last_set_after: None,
            verification: Vec::new(),
            warnings: Vec::new(),
            target: None,
        }
    }

    fn fail(&mut self, reason: impl std::fmt::Display) {
        self.status = Status::Failed;
        self.reason = Some(reason.to_string());
    }
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    reset: usize,
    planned: usize,
    refused: usize,
    not_found: usize,
    ambiguous: usize,
    failed: usize,
    verified: usize,
    not_verified: usize,
}

#[derive(Serialize)]
struct Body<'a> {
    findings: &'a [ResetItem],
    summary: &'a Summary,
}

fn time_text(time: Option<FileTime>) -> Option<String> {
    time.and_then(FileTime::to_rfc3339)
}

/// The item for one name: planned, or why not.
fn plan(name: &crate::names::NameQuery, candidates: &[Account], items: &[ResetItem]) -> ResetItem {
    let account = match name.resolve(candidates) {
        Resolution::Found(account) => account,
        Resolution::NotFound => return ResetItem::new(name.as_str(), Status::NotFound),
        Resolution::Ambiguous(matches) => {
            let mut item = ResetItem::new(name.as_str(), Status::Ambiguous);
            let dns: Vec<&str> = matches.iter().map(|a| a.dn.as_str()).collect();
            item.reason = Some(format!("matches {}: give the DN", dns.join("; ")));
            return item;
        }
    };
    let mut item = ResetItem::new(name.as_str(), Status::Planned);
    item.account = Some(account.sam_account_name.clone());
    item.dn = Some(account.dn.clone());
    item.kvno_before = account.key_version;
    item.pwd_last_set_before = time_text(account.pwd_last_set);
    if let Some(refused) = refusal(account) {
        item.status = Status::Refused;
        item.reason = Some(refused.reason().to_string());
    } else if items
        .iter()
        .any(|other| other.dn == item.dn && other.target.is_some())
    {
        item.status = Status::Refused;
        item.reason = Some("named twice in this batch".into());
    } else {
        if account.uac.is_disabled() {
            item.warnings.push(
                "the account is disabled: it is reset, but the machine cannot use it until it is enabled"
                    .into(),
            );
        }
        item.target = Some(account.clone());
    }
    item
}

pub async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &ResetSettings,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        source.directory().is_some(),
        "reset writes to a DC: give -H URL, not --from-ldif"
    );
    let candidates = source.candidates(&settings.names).await?;
    let mut items: Vec<ResetItem> = Vec::new();
    for name in &settings.names {
        let item = plan(name, &candidates, &items);
        items.push(item);
    }
    let address = source.dc_address().cloned();
    let directory = source.directory().expect("checked above");

    let planned = items.iter().filter(|item| item.target.is_some()).count();
    if planned > 0 && !settings.dry_run && !settings.yes && !confirm(&items)? {
        anyhow::bail!("nothing reset: not confirmed");
    }
    if !settings.dry_run {
        let mut batch = Batch {
            realm: realm_of(&directory.root_dse.default_naming_context),
            kdcs: kdcs_to_verify(directory, address.as_ref(), settings).await,
            domain_sid: domain_sid(directory).await,
            sid_names: HashMap::new(),
        };
        for item in items.iter_mut().filter(|item| item.target.is_some()) {
            reset_one(directory, item, settings, &mut batch).await;
        }
    }
    for item in &mut items {
        item.target = None;
    }
    report(context, &items, settings)
}

/// Asks on the terminal; refuses to guess without one.
fn confirm(items: &[ResetItem]) -> anyhow::Result<bool> {
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "refusing to reset without confirmation: pass --yes (scripts) or run on a terminal"
    );
    let accounts: Vec<&str> = items
        .iter()
        .filter(|item| item.target.is_some())
        .filter_map(|item| item.account.as_deref())
        .collect();
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "Reset {} computer account(s) to the default password: {}? [y/N] ",
        accounts.len(),
        accounts.join(", ")
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Where to log on: `--kdc`, else the written DC (`--verify`) or every DC (`--verify-all-dcs`:
/// the domain's SRV records when the DC was found through DNS, else the DCs LDAP lists).
async fn kdcs_to_verify(
    directory: &mut Directory,
    address: Option<&DcAddress>,
    settings: &ResetSettings,
) -> Vec<Kdc> {
    if settings.verify == VerifyAt::Nowhere {
        return Vec::new();
    }
    if !settings.kdcs.is_empty() {
        return settings.kdcs.clone();
    }
    let written = Kdc::parse(directory.host());
    if settings.verify == VerifyAt::WrittenDc {
        return vec![written];
    }
    let mut kdcs = vec![written];
    if let Some(DcAddress::Domain { name, dns_server }) = address
        && let Ok(located) = locate_dcs(name, *dns_server).await
    {
        for dc in located {
            if !kdcs
                .iter()
                .any(|kdc| kdc.host.eq_ignore_ascii_case(&dc.host))
            {
                kdcs.push(Kdc::parse(&dc.host));
            }
        }
        return kdcs;
    }
    let base = directory.root_dse.default_naming_context.clone();
    // Writable DCs and RODCs, by their userAccountControl bits.
    let filter = "(|(userAccountControl:1.2.840.113556.1.4.803:=8192)(userAccountControl:1.2.840.113556.1.4.803:=67108864))";
    let _ = directory
        .search_each(&base, filter, &["dNSHostName"], |entry| {
            if let Some(host) = entry
                .values("dNSHostName")
                .first()
                .and_then(|value| std::str::from_utf8(value).ok())
                && !kdcs.iter().any(|kdc| kdc.host.eq_ignore_ascii_case(host))
            {
                kdcs.push(Kdc::parse(host));
            }
        })
        .await;
    kdcs
}

/// The domain's SID, from the naming context head's `objectSid`.
async fn domain_sid(directory: &mut Directory) -> Option<String> {
    let base = directory.root_dse.default_naming_context.clone();
    let entry = directory
        .read_object(&base, &["objectSid"], false)
        .await
        .ok()??;
    sid_to_string(entry.values("objectSid").first()?)
}

/// What every item of a batch shares.
struct Batch {
    realm: String,
    /// Where to verify new passwords (empty: no verification).
    kdcs: Vec<Kdc>,
    domain_sid: Option<String>,
    /// `name (SID)` of owners and creators already looked up: most objects share an owner.
    sid_names: HashMap<String, String>,
}

async fn reset_one(
    directory: &mut Directory,
    item: &mut ResetItem,
    settings: &ResetSettings,
    batch: &mut Batch,
) {
    let account = item.target.clone().expect("only planned items are reset");
    match rejoin_preflight(directory, &account.dn, batch).await {
        Ok(warnings) => item.warnings.extend(warnings),
        Err(err) => return item.fail(err),
    }
    let password = default_password(&account.sam_account_name, settings.whole_name);
    if let Err(err) = directory
        .set_password(&account.dn, unicode_pwd(&password))
        .await
    {
        return item.fail(err);
    }
    item.status = Status::Reset;
    if account.short_name().chars().count() > 14 && !settings.whole_name {
        item.warnings.push(
            "15-character name: the password is the first 14 characters; `adcli join --login-type=computer` expects all 15 (reset with --no-truncate for an adcli rejoin)"
                .to_string(),
        );
    }
    match directory
        .read_object(&account.dn, ACCOUNT_ATTRIBUTES, false)
        .await
    {
        Ok(Some(entry)) => {
            if let Ok(Some(after)) = Account::from_entry(&entry) {
                item.kvno_after = after.key_version;
                item.pwd_last_set_after = time_text(after.pwd_last_set);
            }
        }
        Ok(None) => item
            .warnings
            .push("the object vanished right after the reset".into()),
        Err(err) => item
            .warnings
            .push(format!("could not read the account back: {err}")),
    }
    for kdc in &batch.kdcs {
        let verdict = verify_password(
            kdc,
            &batch.realm,
            &account.sam_account_name,
            &password,
            directory.timeout(),
        )
        .await;
        item.verification.push(Verification {
            kdc: kdc.to_string(),
            result: verdict.describe(),
            accepted: verdict.accepted(),
        });
    }
}

/// KB5020276: a rejoin that reuses an existing computer account is blocked unless the joining
/// user is a domain admin, or created and owns the account, or its owner is allow-listed on
/// the DCs. Says who may rejoin.
async fn rejoin_preflight(
    directory: &mut Directory,
    dn: &str,
    batch: &mut Batch,
) -> Result<Vec<String>, crate::ldap::OperationError> {
    let entry = directory
        .read_object(dn, &["nTSecurityDescriptor", "mS-DS-CreatorSID"], true)
        .await?;
    let Some(entry) = entry else {
        return Ok(vec!["the object vanished before the reset".into()]);
    };
    let owner = entry
        .values("nTSecurityDescriptor")
        .first()
        .and_then(|sd| owner_of(sd));
    let creator = entry
        .values("mS-DS-CreatorSID")
        .first()
        .and_then(|sid| sid_to_string(sid));
    let owner_text = match &owner {
        Some(sid) => account_name(directory, sid, &mut batch.sid_names).await,
        None => "unknown".into(),
    };
    let creator_text = match &creator {
        Some(sid) => account_name(directory, sid, &mut batch.sid_names).await,
        None => "none recorded (created by an admin)".into(),
    };
    let admin_owned = match (&owner, &batch.domain_sid) {
        (Some(owner), Some(domain)) => is_admin_group(owner, domain),
        _ => false,
    };
    let advice = if admin_owned {
        "only a domain admin, or an account on the DCs' computer-account re-use allow-list, can rejoin it"
    } else {
        "only a domain admin, or its creator if it also owns it, or an allow-listed owner can rejoin it"
    };
    Ok(vec![format!(
        "rejoin hardening (KB5020276): owner {owner_text}, creator {creator_text}; {advice}"
    )])
}

/// `name (SID)` for a SID found in the directory, else the SID; each SID is looked up once.
async fn account_name(
    directory: &mut Directory,
    sid: &str,
    known: &mut HashMap<String, String>,
) -> String {
    if let Some(name) = known.get(sid) {
        return name.clone();
    }
    let base = directory.root_dse.default_naming_context.clone();
    let filter = format!("(objectSid={})", crate::names::escape_filter_value(sid));
    let mut name = None;
    let _ = directory
        .search_each(&base, &filter, &["sAMAccountName"], |entry| {
            name = entry
                .values("sAMAccountName")
                .first()
                .map(|value| String::from_utf8_lossy(value).into_owned());
        })
        .await;
    let text = match name {
        Some(name) => format!("{name} ({sid})"),
        None => sid.to_string(),
    };
    known.insert(sid.to_string(), text.clone());
    text
}

fn report(
    context: &RunContext,
    items: &[ResetItem],
    settings: &ResetSettings,
) -> anyhow::Result<Outcome> {
    let mut summary = Summary::default();
    for item in items {
        match item.status {
            Status::Reset => summary.reset += 1,
            Status::Planned => summary.planned += 1,
            Status::Refused => summary.refused += 1,
            Status::NotFound => summary.not_found += 1,
            Status::Ambiguous => summary.ambiguous += 1,
            Status::Failed => summary.failed += 1,
        }
        if let Some(first) = item.verification.first() {
            if first.accepted {
                summary.verified += 1;
            } else {
                summary.not_verified += 1;
            }
        }
    }
    match context.format {
        Format::Json => {
            let as_of = crate::filetime::rfc3339(context.as_of);
            let envelope = Envelope::new(context.command, as_of, &context.source);
            report::write_json(
                &envelope,
                &Body {
                    findings: items,
                    summary: &summary,
                },
            )?;
        }
        Format::Csv => report::write_csv(items.iter().map(csv_row))?,
        Format::Table => write_table(items, &summary, settings)?,
    }
    let all_done = items.iter().all(|item| {
        matches!(item.status, Status::Reset | Status::Planned)
            && item.verification.first().is_none_or(|first| first.accepted)
    });
    Ok(Outcome::from_problems(!all_done))
}

#[derive(Serialize)]
struct CsvRow<'a> {
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

fn csv_row(item: &ResetItem) -> CsvRow<'_> {
    CsvRow {
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
            .map(|v| format!("{}={}", v.kdc, v.result))
            .collect::<Vec<_>>()
            .join(";"),
        warnings: item.warnings.join("; "),
    }
}

fn write_table(
    items: &[ResetItem],
    summary: &Summary,
    settings: &ResetSettings,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut table = report::new_table();
    table.set_header(vec![
        "Name",
        "Account",
        "Result",
        "Key version",
        "Password set",
        "Checked at KDC",
    ]);
    for item in items {
        let result = match (&item.status, &item.reason) {
            (status, Some(reason)) => format!("{}: {reason}", status_word(*status)),
            (status, None) => status_word(*status).to_string(),
        };
        let arrow = |before: &Option<String>, after: &Option<String>| match (before, after) {
            (before, Some(after)) => format!("{} → {after}", before.as_deref().unwrap_or("never")),
            (Some(before), None) => before.clone(),
            (None, None) => "never".into(),
        };
        let kvno = arrow(
            &item.kvno_before.map(|k| k.to_string()),
            &item.kvno_after.map(|k| k.to_string()),
        );
        let verification: Vec<String> = item
            .verification
            .iter()
            .map(|v| format!("{}: {}", v.kdc, v.result))
            .collect();
        table.add_row(vec![
            item.name.clone(),
            item.account.clone().unwrap_or_else(|| "-".into()),
            result,
            kvno,
            arrow(&item.pwd_last_set_before, &item.pwd_last_set_after),
            verification.join("\n"),
        ]);
    }
    writeln!(out, "{table}")?;
    for item in items.iter().filter(|item| !item.warnings.is_empty()) {
        for warning in &item.warnings {
            writeln!(
                out,
                "warning: {}: {warning}",
                item.account.as_deref().unwrap_or(&item.name)
            )?;
        }
    }
    writeln!(
        out,
        "\n{} reset, {} planned, {} refused, {} not found, {} ambiguous, {} failed",
        summary.reset,
        summary.planned,
        summary.refused,
        summary.not_found,
        summary.ambiguous,
        summary.failed
    )?;
    if summary.reset > 0 || summary.planned > 0 {
        let truncation = if settings.whole_name {
            ""
        } else {
            " (first 14 characters)"
        };
        writeln!(
            out,
            "\nNext steps, on each machine, while it can reach a DC:\n  \
- Rejoin the domain reusing the account (System Properties > Change, or Add-Computer), or\n  \
- Windows, logged on locally or with cached credentials, as an administrator:\n      \
Reset-ComputerMachinePassword -Server <DC> -Credential <DOMAIN\\admin>\n  \
- Linux (realmd/sssd/adcli): adcli join --domain=<domain> --login-type=computer --no-password\n    \
(the computer logs on with its default password: its name, lower-cased{truncation})"
        )?;
    }
    Ok(())
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Reset => "reset",
        Status::Planned => "planned (dry run)",
        Status::Refused => "refused",
        Status::NotFound => "not found",
        Status::Ambiguous => "ambiguous",
        Status::Failed => "failed",
    }
}
