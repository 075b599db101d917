//! adcomputer: repair and audit Active Directory computer accounts from the domain-controller
//! side. Data flows one way, and the folders say so:
//!
//! - `source/` reads objects from a DC (`ldap/` is the connection) or from an LDIF export,
//! - `model` turns them into accounts (names, SPNs, flags, times, security descriptors) and
//!   `rules` holds the pure checks and planners (what is wrong, what to change): both in the
//!   `adcomputer-core` crate (crates/core), which has no I/O and cannot use this crate,
//! - `apply/` makes changes happen and proves them (journal, Kerberos),
//! - `report/` owns every output format,
//! - `commands/` orchestrates one subcommand each.
//!
//! Each layer uses only the ones below it (README, "Layout"; `tests/layers.rs` checks it).
//!
//! `run` is the whole program; `main` only prints its error. The reference for users is
//! `docs/` in the repository.

mod apply;
mod atomic;
mod cli;
mod commands;
mod config;
mod exit;
mod files;
mod interact;
mod ldap;
mod progress;
mod random;
mod report;
mod secret;
mod source;

/// The attributes adcomputer reads for each account (what an export for `--from-ldif` needs).
pub use adcomputer_core::model::account::ACCOUNT_ATTRIBUTES;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the command, and says how it ended. As a monitoring plugin
/// (`-o nagios` on standard output), it says so in the plugin's terms: a status line on
/// stdout even when the run fails, and the plugin exit codes.
pub fn run() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    // ldapsearch's -w PASSWORD is refused before anything else: not an option at all (so no
    // completion offers it), but a habit that deserves its reason.
    if args.iter().skip(1).any(|arg| is_password_flag(arg)) {
        anyhow::bail!(
            "-w is not accepted: a password on the command line is visible to every user of this machine (ps, /proc): use -y FILE (--password-file), ADCOMPUTER_PASSWORD, or the prompt (-W)"
        );
    }
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // --help, --version, and the help shown for a missing subcommand.
        Err(err)
            if !err.use_stderr()
                || err.kind()
                    == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            err.exit()
        }
        Err(err) => {
            // One line, as every other error: clap's usage block and tips are for --help.
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("bad usage");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            let line = format!("{first} (adcomputer --help shows the usage)");
            eprintln!("adcomputer: error: {line}");
            // A monitoring plugin says UNKNOWN with a status line, even for a bad option.
            if let Some(prefix) = exit::plugin_prefix(&args) {
                println!("{prefix} UNKNOWN - {}", plugin_text(&line));
                return Ok(ExitCode::from(exit::PLUGIN_UNKNOWN));
            }
            return Ok(ExitCode::from(exit::FAILURE));
        }
    };
    init_logging(cli.verbose);
    if commands::docs::write(&cli)? {
        return Ok(ExitCode::SUCCESS);
    }
    let plugin = cli.format == report::Format::Nagios && cli.output.is_empty();
    match run_command(cli) {
        Ok(outcome) if plugin => Ok(ExitCode::from(outcome.plugin_code())),
        Ok(outcome) => Ok((&outcome).into()),
        Err(err) if plugin => {
            let line = one_line(&err);
            let prefix = exit::plugin_prefix(&args).unwrap_or_else(|| "ADCOMPUTER".into());
            println!("{prefix} UNKNOWN - {}", plugin_text(&line));
            eprintln!("adcomputer: error: {line}");
            Ok(ExitCode::from(exit::PLUGIN_UNKNOWN))
        }
        Err(err) => Err(err),
    }
}

/// `-w`, `-wSECRET` or a cluster of short flags holding `w` (`-xw`).
fn is_password_flag(arg: &str) -> bool {
    arg.strip_prefix('-')
        .filter(|flags| !flags.starts_with('-'))
        .is_some_and(|flags| {
            flags.starts_with('w')
                || flags
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .any(|c| c == 'w')
        })
}

/// Text for a plugin's status line: safe for a terminal, and without `|` (which starts the
/// performance data).
fn plugin_text(text: &str) -> String {
    adcomputer_core::model::sanitize::for_terminal(text).replace('|', "¦")
}

/// The run after the command line is parsed: configuration, the command, its outcome.
fn run_command(cli: cli::Cli) -> anyhow::Result<exit::Outcome> {
    // An empty variable counts as unset, as shells and systemd units expect.
    let config = config::Config::new(cli, |name| {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    })?;
    if config.insecure() {
        eprintln!(
            "adcomputer: warning: --insecure: the DC's certificate is not verified; anyone on the path can read the bind password"
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(commands::execute(&config))?;
    if let exit::Outcome::Incomplete(why) = &outcome {
        eprintln!(
            "adcomputer: {}",
            adcomputer_core::model::sanitize::for_terminal(why)
        );
    }
    Ok(outcome)
}

/// Prints why the run failed, as one line on stderr that a terminal shows as it is (the
/// message may quote directory data: a DN, a server's text), and returns exit code 2.
pub fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("adcomputer: error: {}", one_line(err));
    ExitCode::from(exit::FAILURE)
}

/// An error and its causes as one line a terminal shows as it is; a cause that the message
/// already says is not said again.
fn one_line(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    let flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
    adcomputer_core::model::sanitize::for_terminal(&flat).into_owned()
}

/// Diagnostics on stderr: warnings by default, `-v` operations and timings, `-vv` details.
/// Plain text when stderr is not a terminal or NO_COLOR is set.
fn init_logging(verbose: u8) {
    use std::io::IsTerminal;
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_is_said_once() {
        let err = anyhow::anyhow!("bind: no answer from dc1 within 30 s")
            .context("bind: no answer from dc1 within 30 s")
            .context("cannot connect to ldaps://dc1");
        assert_eq!(
            super::one_line(&err),
            "cannot connect to ldaps://dc1: bind: no answer from dc1 within 30 s"
        );
    }
}
