//! Orchestration: one module per subcommand, each calling named directory operations
//! (`ldap::queries`), the pure rules and planners (`rules`), the appliers (`apply`) and one
//! presenter (`report`). `execute` opens the source, runs the task, closes the source.

mod check;
pub(crate) mod docs;
mod reset;
mod restore;
mod show;
mod spn_fix;
mod undo;

use std::time::Instant;

use time::OffsetDateTime;

use crate::config::{Config, Task};
use crate::exit::Outcome;
use crate::report::present::findings::FindingsReport;
use crate::report::{Destination, Envelope, Present};
use crate::source::{NeedsDc, Source};
use adcomputer_core::rules::coverage::Coverage;

/// What every command needs to know besides its own arguments.
pub(crate) struct RunContext {
    pub(crate) command: &'static str,
    /// Where the report goes (`-o`, `--output`).
    pub(crate) outputs: Vec<Destination>,
    pub(crate) as_of: OffsetDateTime,
    pub(crate) source: String,
    /// `-b`, when given.
    pub(crate) base: Option<String>,
    pub(crate) started: Instant,
    /// `-q`: no summary on stderr.
    pub(crate) quiet: bool,
}

impl RunContext {
    /// The report's envelope for this run.
    pub(crate) fn envelope(&self, warnings: Vec<String>, coverage: Option<Coverage>) -> Envelope {
        Envelope {
            command: self.command,
            as_of: adcomputer_core::model::filetime::rfc3339(self.as_of),
            source: self.source.clone(),
            base: self.base.clone(),
            warnings,
            coverage,
            started: self.started,
        }
    }

    /// Writes the command's report where and as the user asked.
    pub(crate) fn emit<P: Present>(&self, envelope: &Envelope, report: &P) -> anyhow::Result<()> {
        crate::report::emit(&self.outputs, envelope, report)
    }

    /// For a check that exits 1 with its report where nobody reads it as it runs (a file, or
    /// JSON, CSV… on stdout): one short summary on stderr, so that a nightly job's log says
    /// what broke. Not with `-q`, nor when stdout carries the report's tables.
    pub(crate) fn tell_failing(&self, report: &FindingsReport<'_>) {
        let tables = self
            .outputs
            .iter()
            .any(|out| out.file.is_none() && out.format == crate::report::Format::Table);
        if self.quiet || tables {
            return;
        }
        let files: Vec<String> = self
            .outputs
            .iter()
            .filter_map(|out| out.file.as_ref().map(|file| file.display().to_string()))
            .collect();
        if let Some(line) = report.failing_summary(self.command, &files) {
            eprintln!("{}", adcomputer_core::model::sanitize::for_terminal(&line));
        }
    }
}

/// A write the user declined at the prompt: said on stderr, exit 1 ("not done").
pub(crate) fn declined(done: &str) -> Outcome {
    eprintln!("adcomputer: nothing {done}: not confirmed");
    Outcome::Findings
}

pub(crate) async fn execute(config: &Config) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let mut source = Source::open(&config.source, config.base.as_deref()).await?;
    let context = RunContext {
        command: config.command_name(),
        outputs: config.outputs.clone(),
        as_of: config.as_of,
        source: source.describe(),
        base: config.base.clone(),
        started,
        quiet: config.quiet,
    };
    let outcome = match &config.task {
        Task::Show(settings) => show::run(&context, &mut source, settings).await,
        Task::Reset(settings) => reset::run(&context, &mut source, settings).await,
        Task::Restore(settings) => restore::run(&context, &mut source, settings).await,
        Task::SpnFix(request) => spn_fix::run(&context, &mut source, request).await,
        Task::Undo(request) => undo::run(&context, &mut source, request).await,
        Task::Check {
            settings,
            forest,
            triage,
            sysvol,
            state,
            ..
        } => {
            if let Some(dir) = state {
                source.live(NeedsDc::Read("--state"))?.state = Some(dir.clone());
            }
            let sysvol = sysvol.as_deref();
            check::run(&context, &mut source, settings, *forest, triage, sysvol).await
        }
    };
    source.close().await;
    outcome
}
