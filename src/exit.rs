//! Exit codes (docs/reference.md, "Exit codes"), in one place: 0 looked at everything asked
//! and found nothing (or did everything asked), 1 findings or items refused, skipped, failed or
//! left unknown, 2 nothing trustworthy was done — a usage, connection, TLS or authentication
//! error, or a check that could not look at everything it was asked to. With `-o nagios`, the
//! monitoring plugin convention: 0 OK, 1 WARNING, 3 UNKNOWN for what is otherwise 2.

use std::process::ExitCode;

/// How a run that did not fail outright ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Looked at everything asked and found nothing, or did everything asked.
    Clean,
    /// Findings, or some items were refused, skipped, not found, failed or left unknown.
    Findings,
    /// No findings, but something asked for could not be looked at: why, in one line.
    Incomplete(String),
}

/// Exit code for errors that stopped the run before it did anything trustworthy.
pub(crate) const FAILURE: u8 = 2;

/// The same, for a monitoring plugin (`-o nagios`): UNKNOWN.
pub(crate) const PLUGIN_UNKNOWN: u8 = 3;

impl From<&Outcome> for ExitCode {
    fn from(outcome: &Outcome) -> ExitCode {
        match outcome {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
            Outcome::Incomplete(_) => ExitCode::from(FAILURE),
        }
    }
}

impl Outcome {
    /// The exit code of a monitoring plugin (Nagios, Icinga, Zabbix agents' checks).
    pub(crate) fn plugin_code(&self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Incomplete(_) => PLUGIN_UNKNOWN,
        }
    }

    /// The one policy of the check commands and `show`: findings that fail the run, else why
    /// the run could not look at everything (`gaps`), else clean.
    pub(crate) fn judged(failing: bool, gaps: Option<String>) -> Outcome {
        match gaps {
            _ if failing => Outcome::Findings,
            Some(why) => Outcome::Incomplete(why),
            None => Outcome::Clean,
        }
    }

    pub(crate) fn from_problems(any: bool) -> Outcome {
        if any {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}
