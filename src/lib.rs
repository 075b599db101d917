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
