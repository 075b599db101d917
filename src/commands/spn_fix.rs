//! `adcomputer spn fix` and `adcomputer undo` (SPEC §6). `spn fix` scans the scope once, plans
//! with `spn_fix::plan`, and with `--apply` writes one value-level modify per object: each
//! addition is first checked live against every holder of the SPN and its aliases, the change
//! is journaled before it is sent and its outcome after. `undo` reverses a journal's applied
//! changes, newest first, unless the object's SPNs changed since.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::RunContext;
use crate::account::Account;
use crate::checks::{Finding, SpnIndex};
use crate::exit::Outcome;
use crate::journal::{self, Entry, Journal};
use crate::ldap::Directory;
use crate::names::{NameQuery, Resolution, escape_filter_value};
use crate::report::{self, Envelope, Format};
use crate::source::{Scanned, Source};
use crate::spn::SpnAliases;
use crate::spn_fix::{Conflict, FixSettings, SpnChange, apply_delta, plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Planned,
    Applied,
    Skipped,
    Failed,
    Unchanged,
}

/// One `spn_change` finding (SPEC §7).
#[derive(Debug, Serialize)]
struct ChangeItem {
    kind: &'static str,
    account: String,
    dn: String,
    add: Vec<String>,
    remove: Vec<String>,
    conflicts: Vec<Conflict>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl ChangeItem {
    fn from_change(change: SpnChange, status: Status) -> ChangeItem {
        ChangeItem {
            kind: "spn_change",
            account: change.account,
            dn: change.dn,
            add: change.add,
            remove: change.remove,
            conflicts: change.conflicts,
            status,
            reason: None,
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    planned: usize,
    applied: usize,
    skipped: usize,
    failed: usize,
    unchanged: usize,
    conflicts: usize,
    unresolved_duplicates: usize,
    not_found: usize,
    ambiguous: usize,
}

#[derive(Serialize)]
struct Body<'a> {
    findings: Vec<serde_json::Value>,
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    journal: Option<String>,
}

/// What `spn fix` was asked.
pub struct FixRequest<'a> {
    pub names: &'a [NameQuery],
    pub settings: &'a FixSettings,
    pub apply: bool,
    pub journal: Option<&'a Path>,
}

pub async fn fix(
    context: &RunContext,
    source: &mut Source,
    request: &FixRequest<'_>,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        !request.apply || source.directory().is_some(),
        "--apply writes to a DC: give -H URL, not --from-ldif"
    );
    let mut accounts = Vec::new();
    let mut aliases = SpnAliases::default();
    let workers = source
        .scan(
            || (Vec::new(), None),
            |(accounts, aliases): &mut (Vec<Account>, Option<SpnAliases>), item| match item {
                Scanned::Account(account) => accounts.push(account.clone()),
                Scanned::SpnAliases(found) => *aliases = Some(found),
            },
        )
        .await?;
    for (found, found_aliases) in workers {
        accounts.extend(found);
        if let Some(found_aliases) = found_aliases {
            aliases = found_aliases;
        }
    }
    let mut index = SpnIndex::new(aliases.clone());
    accounts.iter().for_each(|account| index.add(account));
    index.prepare();

    let mut name_findings = Vec::new();
    let scope: Vec<&Account> = if request.names.is_empty() {
        accounts.iter().collect()
    } else {
        let mut scope = Vec::new();
        for name in request.names {
            match name.resolve(&accounts) {
                Resolution::Found(account) => scope.push(account),
                Resolution::NotFound => name_findings.push(Finding::NotFound {
                    name: name.as_str().into(),
                }),
                Resolution::Ambiguous(matches) => name_findings.push(Finding::Ambiguous {
                    name: name.as_str().into(),
                    candidates: matches.iter().map(|a| a.dn.clone()).collect(),
                }),
            }
        }
        scope
    };
    let examined = scope
        .iter()
        .filter(|account| request.settings.rules.examines(account))
        .count();
    let plan = plan(&accounts, &scope, &index, request.settings);

    let mut journal = None;
    let mut items = Vec::new();
    for change in plan.changes {
        if !change.writes() {
            items.push(ChangeItem::from_change(change, Status::Skipped));
        } else if !request.apply {
            items.push(ChangeItem::from_change(change, Status::Planned));
        } else {
            let directory = source.directory().expect("checked above");
            items.push(apply(directory, change, &aliases, &mut journal, request.journal).await?);
        }
    }
    let mut summary = summarize(&items);
    summary.unchanged = examined.saturating_sub(items.len());
    summary.unresolved_duplicates = plan.unresolved_duplicates.len();
    let mut others = plan.unresolved_duplicates;
    others.extend(name_findings);
    for finding in &others {
        match finding {
            Finding::NotFound { .. } => summary.not_found += 1,
            Finding::Ambiguous { .. } => summary.ambiguous += 1,
            _ => {}
        }
    }
    let journal_path = journal.map(|journal: Journal| journal.path.display().to_string());
    write_report(context, &items, &others, &summary, journal_path)?;
    let problems = if request.apply {
        summary.skipped + summary.failed + summary.conflicts + summary.not_found + summary.ambiguous
            > 0
    } else {
        summary.not_found + summary.ambiguous > 0
    };
    Ok(Outcome::from_problems(problems))
}

/// Checks the additions live, journals, writes, reads back, journals the outcome.
async fn apply(
    directory: &mut Directory,
    mut change: SpnChange,
    aliases: &SpnAliases,
    journal: &mut Option<Journal>,
    journal_path: Option<&Path>,
) -> anyhow::Result<ChangeItem> {
    let holders = match held_elsewhere(directory, &change, aliases).await {
        Ok(holders) => holders,
        Err(err) => {
            let mut item = ChangeItem::from_change(change, Status::Failed);
            item.reason = Some(err.to_string());
            return Ok(item);
        }
    };
    for (spn, held_by) in holders {
        change.add.retain(|added| !added.eq_ignore_ascii_case(&spn));
        change.conflicts.push(Conflict { spn, held_by });
    }
    if !change.writes() {
        return Ok(ChangeItem::from_change(change, Status::Skipped));
    }
    let journal = match journal {
        Some(journal) => journal,
        None => journal.insert(Journal::create(journal_path)?),
    };
    journal.write(&Entry::Intent {
        time: now(),
        account: change.account.clone(),
        dn: change.dn.clone(),
        spns_before: change.spns_before.clone(),
        add: change.add.clone(),
        remove: change.remove.clone(),
    })?;
    let outcome = directory
        .modify_spns(&change.dn, &change.add, &change.remove)
        .await;
    let (status, error, spns_after) = match outcome {
        Ok(()) => (
            Status::Applied,
            None,
            read_spns(directory, &change.dn).await.ok(),
        ),
        Err(err) => (Status::Failed, Some(err.to_string()), None),
    };
    journal.write(&Entry::Result {
        time: now(),
        dn: change.dn.clone(),
        status: if status == Status::Applied {
            "applied"
        } else {
            "failed"
        }
        .into(),
        error: error.clone(),
        spns_after,
    })?;
    let mut item = ChangeItem::from_change(change, status);
    item.reason = error;
    Ok(item)
}

/// Additions of `change` that another object holds now (directly or through an alias), with
/// who holds them: one search for all of them.
async fn held_elsewhere(
    directory: &mut Directory,
    change: &SpnChange,
    aliases: &SpnAliases,
) -> Result<Vec<(String, Vec<String>)>, crate::ldap::OperationError> {
    if change.add.is_empty() {
        return Ok(Vec::new());
    }
    let terms: String = change
        .add
        .iter()
        .flat_map(|spn| aliases.variants(spn))
        .map(|variant| format!("(servicePrincipalName={})", escape_filter_value(&variant)))
        .collect();
    let base = directory.root_dse.default_naming_context.clone();
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    directory
        .search_each(
            &base,
            &format!("(|{terms})"),
            &["sAMAccountName", "servicePrincipalName"],
            |entry| {
                if entry.dn.eq_ignore_ascii_case(&change.dn) {
                    return;
                }
                let account = entry
                    .values("sAMAccountName")
                    .first()
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_else(|| entry.dn.clone());
                for value in entry.values("servicePrincipalName") {
                    let held = String::from_utf8_lossy(value);
                    for spn in change
                        .add
                        .iter()
                        .filter(|spn| aliases.key(spn) == aliases.key(&held))
                    {
                        let holder = format!("{account} ({held})");
                        match found.iter_mut().find(|(added, _)| added == spn) {
                            Some((_, holders)) => holders.push(holder),
                            None => found.push((spn.clone(), vec![holder])),
                        }
                    }
                }
            },
        )
        .await?;
    Ok(found)
}

async fn read_spns(
    directory: &mut Directory,
    dn: &str,
) -> Result<Vec<String>, crate::ldap::OperationError> {
    let entry = directory
        .read_object(dn, &["servicePrincipalName"], false)
        .await?;
    Ok(entry
        .map(|entry| {
            entry
                .values("servicePrincipalName")
                .iter()
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .collect()
        })
        .unwrap_or_default())
}

fn now() -> String {
    crate::filetime::rfc3339(time::OffsetDateTime::now_utc())
}

/// Whether two SPN lists hold the same values, ignoring case and order.
fn same_spns(a: &[String], b: &[String]) -> bool {
    let normalize = |list: &[String]| {
        let mut lower: Vec<String> = list.iter().map(|spn| spn.to_lowercase()).collect();
        lower.sort();
        lower.dedup();
        lower
    };
    normalize(a) == normalize(b)
}

pub async fn undo(
    context: &RunContext,
    source: &mut Source,
    path: &Path,
    apply: bool,
) -> anyhow::Result<Outcome> {
    let recorded = journal::read(path)?;
    let directory = source
        .directory()
        .context("undo reads and writes a DC: give -H URL, not --from-ldif")?;
    let mut items = Vec::new();
    for change in recorded.iter().rev() {
        let reverse = SpnChange {
            account: change.account.clone(),
            dn: change.dn.clone(),
            spns_before: Vec::new(),
            add: change.remove.clone(),
            remove: change.add.clone(),
            conflicts: Vec::new(),
        };
        let mut item = ChangeItem::from_change(reverse, Status::Planned);
        if change.status.as_deref() == Some("failed") {
            item.status = Status::Unchanged;
            item.reason = Some("the change failed: nothing to undo".into());
            items.push(item);
            continue;
        }
        let expected = change
            .spns_after
            .clone()
            .unwrap_or_else(|| apply_delta(&change.spns_before, &change.add, &change.remove));
        let current = match read_spns(directory, &change.dn).await {
            Ok(current) => current,
            Err(err) => {
                item.status = Status::Failed;
                item.reason = Some(err.to_string());
                items.push(item);
                continue;
            }
        };
        if same_spns(&current, &expected) {
            if apply {
                match directory
                    .modify_spns(&change.dn, &item.add, &item.remove)
                    .await
                {
                    Ok(()) => item.status = Status::Applied,
                    Err(err) => {
                        item.status = Status::Failed;
                        item.reason = Some(err.to_string());
                    }
                }
            }
        } else if change.status.is_none() && same_spns(&current, &change.spns_before) {
            item.status = Status::Unchanged;
            item.reason =
                Some("the run stopped before this change was sent: nothing to undo".into());
        } else {
            item.status = Status::Skipped;
            item.reason = Some("its SPNs changed since: left as they are".into());
        }
        items.push(item);
    }
    let summary = summarize(&items);
    write_report(context, &items, &[], &summary, None)?;
    Ok(Outcome::from_problems(summary.skipped + summary.failed > 0))
}

fn summarize(items: &[ChangeItem]) -> Summary {
    let mut summary = Summary::default();
    for item in items {
        match item.status {
            Status::Planned => summary.planned += 1,
            Status::Applied => summary.applied += 1,
            Status::Skipped => summary.skipped += 1,
            Status::Failed => summary.failed += 1,
            Status::Unchanged => summary.unchanged += 1,
        }
        summary.conflicts += item.conflicts.len();
    }
    summary
}

fn write_report(
    context: &RunContext,
    items: &[ChangeItem],
    others: &[Finding],
    summary: &Summary,
    journal: Option<String>,
) -> anyhow::Result<()> {
    match context.format {
        Format::Json => {
            let mut findings: Vec<serde_json::Value> = items
                .iter()
                .map(serde_json::to_value)
                .collect::<Result<_, _>>()?;
            for finding in others {
                findings.push(serde_json::to_value(finding)?);
            }
            let as_of = crate::filetime::rfc3339(context.as_of);
            let envelope = Envelope::new(context.command, as_of, &context.source);
            report::write_json(
                &envelope,
                &Body {
                    findings,
                    summary,
                    journal,
                },
            )?;
        }
        Format::Csv => report::write_csv(items.iter().map(|item| {
            CsvRow {
                kind: item.kind,
                account: &item.account,
                dn: &item.dn,
                add: item.add.join(" "),
                remove: item.remove.join(" "),
                conflicts: item
                    .conflicts
                    .iter()
                    .map(|c| format!("{} held by {}", c.spn, c.held_by.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; "),
                status: item.status,
                reason: item.reason.as_deref(),
            }
        }))?,
        Format::Table => write_table(items, others, summary, journal)?,
    }
    Ok(())
}

#[derive(Serialize)]
struct CsvRow<'a> {
    kind: &'static str,
    account: &'a str,
    dn: &'a str,
    add: String,
    remove: String,
    conflicts: String,
    status: Status,
    reason: Option<&'a str>,
}

fn write_table(
    items: &[ChangeItem],
    others: &[Finding],
    summary: &Summary,
    journal: Option<String>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if !items.is_empty() {
        let mut table = report::new_table();
        table.set_header(vec![
            "Account",
            "Change",
            "Not added (held elsewhere)",
            "Status",
        ]);
        for item in items {
            let change: Vec<String> = item
                .remove
                .iter()
                .map(|spn| format!("- {spn}"))
                .chain(item.add.iter().map(|spn| format!("+ {spn}")))
                .collect();
            let conflicts: Vec<String> = item
                .conflicts
                .iter()
                .map(|c| format!("{} ({})", c.spn, c.held_by.join(", ")))
                .collect();
            let status = match &item.reason {
                Some(reason) => format!("{:?}: {reason}", item.status).to_lowercase(),
                None => format!("{:?}", item.status).to_lowercase(),
            };
            table.add_row(vec![
                item.account.clone(),
                change.join("\n"),
                conflicts.join("\n"),
                status,
            ]);
        }
        writeln!(out, "{table}")?;
    }
    for finding in others {
        match finding {
            Finding::DuplicateSpn { key, holders, .. } => {
                let held: Vec<String> = holders
                    .iter()
                    .map(|h| format!("{} ({})", h.account, h.spn))
                    .collect();
                writeln!(
                    out,
                    "left for a person: duplicate {key}, no single holder owns its host: {}",
                    held.join(", ")
                )?;
            }
            Finding::NotFound { name } => writeln!(out, "not found: {name}")?,
            Finding::Ambiguous { name, candidates } => {
                writeln!(out, "ambiguous: {name} ({})", candidates.join("; "))?
            }
            _ => {}
        }
    }
    writeln!(
        out,
        "{} planned, {} applied, {} skipped, {} failed, {} unchanged; {} additions held elsewhere",
        summary.planned,
        summary.applied,
        summary.skipped,
        summary.failed,
        summary.unchanged,
        summary.conflicts
    )?;
    if let Some(journal) = journal {
        writeln!(
            out,
            "journal: {journal} (adcomputer undo {journal} --apply reverses it)"
        )?;
    } else if summary.planned > 0 {
        writeln!(out, "nothing written: add --apply to make these changes")?;
    }
    Ok(())
}
