//! The terminal, when a person sits at it: the confirmation a write asks for. Without a
//! terminal there is nobody to ask: an explicit `--apply` in a script goes ahead.

use std::io::{IsTerminal, Write};

/// Whether a write may go ahead: `--yes`, or no terminal to ask on, or a yes at the prompt.
pub(crate) fn may_write(yes: bool, question: &str) -> anyhow::Result<bool> {
    if yes || !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "{} [y/N] ",
        crate::report::sanitize::for_terminal(question)
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
