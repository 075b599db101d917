//! Shell completions and the man page, generated from the command-line definition so they
//! never drift from `--help`.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, Command};

/// Writes completions or the man page for `command` if it asks for them; `false` otherwise.
pub(crate) fn write(command: &Command) -> anyhow::Result<bool> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "adcomputer", &mut out);
        }
        Command::Man => crate::report::man::write(Cli::command(), &mut out)?,
        _ => return Ok(false),
    }
    out.flush()?;
    Ok(true)
}
