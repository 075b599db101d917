//! adcomputer: repair and audit Active Directory computer accounts from the domain-controller
//! side. Data flows one way: source (LDAP or LDIF) → accounts model → checks → report.
//!
//! `run` is the whole program; `main` only prints its error.

pub mod account;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod docs;
pub mod entry;
pub mod exit;
pub mod filetime;
pub mod journal;
pub mod kerberos;
pub mod ldap;
pub mod ldif;
pub mod names;
pub mod profile;
pub mod random;
pub mod report;
pub mod reset;
pub mod secret;
pub mod security;
pub mod source;
pub mod spn;
pub mod spn_fix;
pub mod uac;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the command, and says how it ended.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose);
    if docs::write(&cli.command)? {
        return Ok(ExitCode::SUCCESS);
    }
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
    Ok(outcome.into())
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
