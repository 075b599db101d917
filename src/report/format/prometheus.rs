//! `-o prometheus`: a check command's summary as metrics in Prometheus' text exposition format,
//! for node_exporter's text-file collector (`--output /var/lib/node_exporter/adcomputer.prom`).
//! Gauges per finding kind and stale class, new/resolved/ignored/failing counts, coverage per
//! check, password ages, the run's duration, time and whether it looked at everything. Every
//! series carries `command`, so that several commands' files can sit side by side.

use std::io::Write;

use crate::report::Envelope;
use hashbrown::HashMap;

use crate::report::present::findings::{FindingsReport, json_text};
use adcomputer_core::rules::coverage::Check;
use adcomputer_core::rules::kinds;
use adcomputer_core::rules::triage::Mark;

/// One metric family being written: its help and type once, then its samples.
struct Family<'a> {
    out: &'a mut dyn Write,
    command: &'a str,
}

impl Family<'_> {
    fn start(&mut self, name: &str, help: &str) -> std::io::Result<()> {
        writeln!(self.out, "# HELP adcomputer_{name} {help}")?;
        writeln!(self.out, "# TYPE adcomputer_{name} gauge")
    }

    /// A sample: `labels` besides `command`.
    fn sample(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        value: impl std::fmt::Display,
    ) -> std::io::Result<()> {
        write!(
            self.out,
            "adcomputer_{name}{{command=\"{}\"",
            escape(self.command)
        )?;
        for (label, text) in labels {
            write!(self.out, ",{label}=\"{}\"", escape(text))?;
        }
        writeln!(self.out, "}} {value}")
    }

    /// A family with one sample.
    fn single(
        &mut self,
        name: &str,
        help: &str,
        value: impl std::fmt::Display,
    ) -> std::io::Result<()> {
        self.start(name, help)?;
        self.sample(name, &[], value)
    }
}

/// A label value as the exposition format wants it.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub(crate) fn write(
    envelope: &Envelope,
    report: &FindingsReport<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let summary = report.summary.counts;
    let triage = report.triage;
    let kinds = &triage.checked;
    let mut family = Family {
        out,
        command: envelope.command,
    };
    family.start(
        "findings",
        "Findings of the last run by kind, after the ignore list (only kinds the run looked for).",
    )?;
    for kind in kinds {
        if let Some(count) = summary.count_of(kind) {
            family.sample("findings", &[("kind", kind)], count)?;
        }
    }
    if kinds.contains(&kinds::STALE_PASSWORD.name) {
        let series = format!("{}s", kinds::STALE_PASSWORD.name);
        family.start(&series, "Stale machine passwords of the last run by class.")?;
        for class in kinds::STALE_PASSWORD.classes.iter().copied() {
            if let Some(count) = summary.count_of(class) {
                family.sample(&series, &[("class", class)], count)?;
            }
        }
    }
    if let Some(marks) = &triage.marks {
        // New and resolved findings by kind, each counted in one pass.
        let mut new: HashMap<&str, usize> = HashMap::new();
        for (finding, mark) in report.findings.iter().zip(marks) {
            if *mark == Mark::New {
                *new.entry(finding.kind()).or_default() += 1;
            }
        }
        let mut resolved: HashMap<&str, usize> = HashMap::new();
        for finding in report.resolved() {
            if let Some(kind) = json_text(finding, "kind") {
                *resolved.entry(kind).or_default() += 1;
            }
        }
        for (name, help, counts) in [
            (
                "findings_new",
                "Findings not in the baseline, by kind.",
                &new,
            ),
            (
                "findings_resolved",
                "Findings of the baseline not found again, by kind.",
                &resolved,
            ),
        ] {
            family.start(name, help)?;
            for kind in kinds {
                family.sample(
                    name,
                    &[("kind", kind)],
                    counts.get(kind).copied().unwrap_or(0),
                )?;
            }
        }
    }
    if let Some(ignored) = triage.counts.ignored {
        family.single(
            "findings_ignored",
            "Findings the ignore list accepted (left out of the report).",
            ignored,
        )?;
    }
    family.single(
        "findings_failing",
        "Findings that made the run exit 1 (new ones with a baseline, of the --fail-on kinds).",
        triage.counts.failing,
    )?;
    family.single(
        "objects_read",
        "Objects in the reported scope.",
        summary.accounts_read,
    )?;
    family.single(
        "computers",
        "Computer accounts in the reported scope.",
        summary.computers,
    )?;
    if let Some(coverage) = &envelope.coverage {
        for (name, help, not_checked) in [
            ("coverage_examined", "Objects each check examined.", false),
            (
                "coverage_not_checked",
                "Objects each check could not judge (attributes missing); above 0 means the run is incomplete.",
                true,
            ),
        ] {
            family.start(name, help)?;
            for check in Check::all() {
                if let Some(counts) = coverage.get(check) {
                    let value = if not_checked {
                        counts.not_checked
                    } else {
                        counts.examined
                    };
                    family.sample(name, &[("check", check.name())], value)?;
                }
            }
        }
    }
    if let Some(ages) = &summary.password_ages {
        family.start(
            "password_age_computers",
            "Examined computers by days since their password was set.",
        )?;
        for (label, count) in ages.buckets() {
            family.sample("password_age_computers", &[("age_days", label)], count)?;
        }
    }
    family.single(
        "warnings",
        "Warnings the run gave (see its JSON report).",
        envelope.warnings.len(),
    )?;
    family.single(
        "run_success",
        "1 when the run looked at everything it was asked to (exit 0 or 1), 0 when it could not (exit 2).",
        u8::from(report.incomplete.is_none()),
    )?;
    family.single(
        "run_duration_seconds",
        "How long the run took.",
        format!("{:.3}", envelope.started.elapsed().as_secs_f64()),
    )?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    family.single(
        "run_timestamp_seconds",
        "When the run ended (Unix time): alert when it grows old, a failed run writes no file.",
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
