//! Exit codes (SPEC §2), in one place: 0 clean, 1 findings or refused/failed items, 2 nothing
//! was done (usage, connection, TLS or authentication error).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Ran and found nothing, or did everything asked.
    Clean,
    /// Ran and has findings, or some items were refused, skipped, not found or failed.
    Findings,
}

/// Exit code for errors that stopped the run before it did anything.
pub const FAILURE: u8 = 2;

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
        }
    }
}

impl Outcome {
    pub fn from_problems(any: bool) -> Outcome {
        if any {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}
