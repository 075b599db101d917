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
    /// Findings, some of a `--critical-on` kind: exit 1, and CRITICAL for a plugin.
    Critical,
    /// No findings, but something asked for could not be looked at: why, in one line.
    Incomplete(String),
}

/// Exit code for errors that stopped the run before it did anything trustworthy.
pub(crate) const FAILURE: u8 = 2;

/// The same, for a monitoring plugin (`-o nagios`): UNKNOWN.
pub(crate) const PLUGIN_UNKNOWN: u8 = 3;

/// A monitoring plugin's CRITICAL: findings of a `--critical-on` kind.
pub(crate) const PLUGIN_CRITICAL: u8 = 2;

/// The monitoring plugin's status-line prefix for the command in `args` (`ADCOMPUTER AUDIT`),
/// or `None` when `args` do not ask for `-o nagios` on standard output.
pub(crate) fn plugin_prefix(args: &[String]) -> Option<String> {
    let mut nagios = false;
    let mut to_file = false;
    let mut command = None;
    for (index, arg) in args.iter().enumerate() {
        let next = args.get(index + 1).map(String::as_str);
        match arg.as_str() {
            "-onagios" | "--format=nagios" => nagios = true,
            "-o" | "--format" if next == Some("nagios") => nagios = true,
            arg if arg == "--output" || arg.starts_with("--output=") => to_file = true,
            "audit" | "stale" if command.is_none() => command = Some(arg.to_uppercase()),
            "spn" if command.is_none() && next == Some("check") => {
                command = Some("SPN_CHECK".into());
            }
            _ => {}
        }
    }
    (nagios && !to_file).then(|| match command {
        Some(command) => format!("ADCOMPUTER {command}"),
        None => "ADCOMPUTER".into(),
    })
}

impl From<&Outcome> for ExitCode {
    fn from(outcome: &Outcome) -> ExitCode {
        match outcome {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Findings | Outcome::Critical => ExitCode::from(1),
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
            Outcome::Critical => PLUGIN_CRITICAL,
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

    /// Findings are critical (`--critical-on`) when `critical`.
    pub(crate) fn critical_if(self, critical: bool) -> Outcome {
        match self {
            Outcome::Findings if critical => Outcome::Critical,
            other => other,
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
