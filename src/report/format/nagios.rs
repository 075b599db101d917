//! `-o nagios`: a check command's verdict as a monitoring plugin's one status line (Nagios,
//! Icinga, and the agents that run their plugins): `ADCOMPUTER AUDIT OK|WARNING|CRITICAL|UNKNOWN -
//! text | perfdata`, with the plugin exit codes (0, 1, 2 with `--critical-on`, 3; see `exit`). The text holds counts and
//! adcomputer's own words only, never directory data; perfdata are the summary's counts.

use std::io::Write;

use crate::report::Envelope;
use crate::report::present::findings::FindingsReport;

pub(crate) fn write(
    envelope: &Envelope,
    report: &FindingsReport<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let summary = report.summary.counts;
    let triage = report.triage;
    // (kind, count) of each kind looked for.
    let counts: Vec<(&str, usize)> = triage
        .checked
        .iter()
        .filter_map(|kind| Some((*kind, summary.count_of(kind)?)))
        .collect();
    let kinds: Vec<String> = counts
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| format!("{kind} {count}"))
        .collect();
    let failing = triage.counts.failing;
    // `None`: --critical-on was not given, so nothing is critical.
    let critical = triage.counts.critical.is_some_and(|critical| critical > 0);
    let (status, text) = match report.incomplete {
        incomplete if failing > 0 => (
            if critical { "CRITICAL" } else { "WARNING" },
            format!(
                "{failing} of {} findings fail the run{} ({}){}",
                summary.findings,
                if triage.marks.is_some() {
                    " (new since the baseline)"
                } else {
                    ""
                },
                kinds.join(", "),
                incomplete
                    .map(|why| format!("; and not everything was checked: {why}"))
                    .unwrap_or_default()
            ),
        ),
        Some(why) => ("UNKNOWN", why.to_string()),
        None if summary.findings == 0 => (
            "OK",
            format!("no findings in {} computers", summary.computers),
        ),
        None => (
            "OK",
            format!(
                "{} findings, none failing the run ({})",
                summary.findings,
                kinds.join(", ")
            ),
        ),
    };
    // `|` starts the performance data: it must not appear in the text (a broken bar instead).
    let text = adcomputer_core::model::sanitize::for_terminal(&text).replace('|', "¦");
    write!(
        out,
        "ADCOMPUTER {} {status} - {text} | findings={} failing={failing}",
        envelope.command.to_uppercase().replace(' ', "_"),
        summary.findings,
    )?;
    for (name, value) in [
        ("new", triage.counts.new),
        ("resolved", triage.counts.resolved),
        ("ignored", triage.counts.ignored),
        ("critical", triage.counts.critical),
    ] {
        if let Some(value) = value {
            write!(out, " {name}={value}")?;
        }
    }
    for (kind, count) in &counts {
        write!(out, " {kind}={count}")?;
    }
    writeln!(
        out,
        " computers={} objects={} duration={:.3}s",
        summary.computers,
        summary.accounts_read,
        envelope.started.elapsed().as_secs_f64()
    )
}
