//! `stale`, `spn check` and `audit`: one scan of the source through the `Auditor` with the
//! checks each command selects, then the findings report. Exit 1 when anything was found.

use super::RunContext;
use crate::checks::{AuditSettings, Auditor};
use crate::exit::Outcome;
use crate::report::{Envelope, write_findings};
use crate::source::{Scanned, Source};

pub async fn run(
    context: &RunContext,
    source: &mut Source,
    settings: &AuditSettings,
    forest: bool,
) -> anyhow::Result<Outcome> {
    let mut auditor = Auditor::new(settings.clone(), source.size_hint());
    source
        .scan(|item| match item {
            Scanned::Account(account) => auditor.observe(&account, !forest),
            Scanned::SpnAliases(aliases) => auditor.set_aliases(aliases),
        })
        .await?;
    if forest && settings.duplicates {
        source
            .scan_global_catalog(|account| auditor.index_only(&account))
            .await?;
    }
    let (findings, summary) = auditor.finish();
    let as_of = crate::filetime::rfc3339(context.as_of);
    let envelope = Envelope::new(context.command, as_of, &context.source);
    write_findings(context.format, &envelope, &findings, &summary)?;
    Ok(Outcome::from_problems(!findings.is_empty()))
}
