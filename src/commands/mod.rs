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

use time::OffsetDateTime;

use crate::config::{Config, Task};
use crate::exit::Outcome;
use crate::report::{Envelope, Format};
use crate::rules::coverage::Coverage;
use crate::source::Source;

/// What every command needs to know besides its own arguments.
pub(crate) struct RunContext {
    pub(crate) command: &'static str,
    pub(crate) format: Format,
    pub(crate) as_of: OffsetDateTime,
    pub(crate) source: String,
}

impl RunContext {
    /// The report's envelope for this run.
    pub(crate) fn envelope(&self, warnings: Vec<String>, coverage: Option<Coverage>) -> Envelope {
        Envelope {
            command: self.command,
            as_of: crate::model::filetime::rfc3339(self.as_of),
            source: self.source.clone(),
            warnings,
            coverage,
        }
    }
}

pub(crate) async fn execute(config: &Config) -> anyhow::Result<Outcome> {
    let mut source = Source::open(&config.source, config.base.as_deref()).await?;
    let context = RunContext {
        command: config.command_name(),
        format: config.format,
        as_of: config.as_of,
        source: source.describe(),
    };
    let outcome = match &config.task {
        Task::Show(settings) => show::run(&context, &mut source, settings).await,
        Task::Reset(settings) => reset::run(&context, &mut source, settings).await,
        Task::Restore(settings) => restore::run(&context, &mut source, settings).await,
        Task::SpnFix(request) => spn_fix::run(&context, &mut source, request).await,
        Task::Undo(request) => undo::run(&context, &mut source, request).await,
        Task::Check {
            settings, forest, ..
        } => check::run(&context, &mut source, settings, *forest).await,
    };
    source.close().await;
    outcome
}
