//! Shell completions and the man page, generated from the command-line definition so they
//! never drift from `--help`.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, Command};

/// Writes completions or the man page if `cli` asks for them, to standard output or (the
/// last) `--output FILE`, atomically; `false` when it asks for something else.
pub(crate) fn write(cli: &Cli) -> anyhow::Result<bool> {
    let generate = |out: &mut dyn Write| -> std::io::Result<()> {
        match &cli.command {
            Command::Completions { shell } => {
                let mut buffer = Vec::new();
                clap_complete::generate(*shell, &mut Cli::command(), "adcomputer", &mut buffer);
                out.write_all(&buffer)
            }
            _ => crate::report::format::man::write(Cli::command(), out),
        }
    };
    if !matches!(cli.command, Command::Completions { .. } | Command::Man) {
        return Ok(false);
    }
    // `--output [FORMAT:]FILE` as for reports; the format is the script's or the page's own.
    let file = match cli.output.last() {
        Some(text) => crate::report::Destination::parse(text, cli.format)?.file,
        None => None,
    };
    match file {
        Some(file) => crate::report::write_atomically(&file, generate)?,
        None => {
            let mut out = std::io::stdout().lock();
            generate(&mut out)?;
            out.flush()?;
        }
    }
    Ok(true)
}
