//! One module per subcommand; `execute` opens the source, runs the task, closes the source.

mod check;
mod reset;
mod show;
mod spn_fix;

use time::OffsetDateTime;

use crate::config::{Config, Task};
use crate::exit::Outcome;
use crate::report::Format;
use crate::source::Source;

/// What every command needs to know besides its own arguments.
pub struct RunContext {
    pub command: &'static str,
    pub format: Format,
    pub as_of: OffsetDateTime,
    pub source: String,
}

pub async fn execute(config: &Config) -> anyhow::Result<Outcome> {
    let mut source = Source::open(&config.source, config.base.as_deref()).await?;
    let context = RunContext {
        command: config.command_name(),
        format: config.format,
        as_of: config.as_of.unwrap_or_else(OffsetDateTime::now_utc),
        source: source.describe(),
    };
    let outcome = match &config.task {
        Task::Show { names } => show::run(&context, &mut source, names).await,
        Task::Reset(settings) => reset::run(&context, &mut source, settings).await,
        Task::SpnFix {
            names,
            settings,
            apply,
            journal,
        } => {
            let request = spn_fix::FixRequest {
                names,
                settings,
                apply: *apply,
                journal: journal.as_deref(),
            };
            spn_fix::fix(&context, &mut source, &request).await
        }
        Task::Undo { journal, apply } => {
            spn_fix::undo(&context, &mut source, journal, *apply).await
        }
        Task::Check {
            settings, forest, ..
        } => check::run(&context, &mut source, settings, *forest).await,
    };
    source.close().await;
    outcome
}
