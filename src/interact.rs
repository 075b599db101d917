//! The terminal, when a person sits at it: the confirmation a write asks for, and the no-echo
//! password prompt. Without a terminal there is nobody to ask: an explicit `--apply` in a
//! script goes ahead, and a password must come from the environment or a file.
//!
//! The prompt turns echo off on the controlling terminal and turns it back on however the
//! prompt ends — Enter, end of input, or Ctrl-C / a signal: a handler restores the saved
//! terminal settings before the signal ends the process, so no shell is left without echo.

use std::io::{BufRead, IsTerminal, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// Whether a write may go ahead: `--yes`, or no terminal to ask on, or a yes at the prompt.
/// Asks "`what`: a, b, c?" as `may_write` does, each name its own line of the plan first.
pub(crate) fn confirm_each(yes: bool, what: &str, names: &[&str]) -> anyhow::Result<bool> {
    let plan: Vec<String> = names.iter().map(|name| format!("  {name}")).collect();
    may_write(yes, &plan, &format!("{what}?"))
}

/// Whether a write may go ahead: `--yes`, or no terminal to ask on, or a yes at the prompt —
/// asked on stderr after the `plan`'s lines, so that the question comes after what it is about.
pub(crate) fn may_write(yes: bool, plan: &[String], question: &str) -> anyhow::Result<bool> {
    if yes || !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    let mut err = std::io::stderr().lock();
    for line in plan {
        writeln!(
            err,
            "{}",
            adcomputer_core::model::sanitize::for_terminal(line)
        )?;
    }
    write!(
        err,
        "{} [y/N] ",
        adcomputer_core::model::sanitize::for_terminal(question)
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// The terminal whose settings a signal handler must restore (-1: none).
static TTY: AtomicI32 = AtomicI32::new(-1);
/// Its settings before echo went off; written before `TTY` is set, read only after.
static mut SAVED: libc::termios = unsafe { std::mem::zeroed() };
/// The signals that end a prompt: the handler restores the terminal, then lets them act.
const SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn restore_and_resend(signal: libc::c_int) {
    let fd = TTY.load(Ordering::SeqCst);
    // SAFETY: tcsetattr, write, signal and raise are async-signal-safe; SAVED was written
    // before TTY was published and is not written again while TTY is set.
    unsafe {
        if fd >= 0 {
            libc::tcsetattr(fd, libc::TCSANOW, &raw const SAVED);
            libc::write(fd, c"\n".as_ptr().cast(), 1);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// A handler for the signals that end the process (Ctrl-C, `kill`, a closed terminal) while
/// something must be undone first; the previous dispositions come back when it is dropped.
/// The handler must be async-signal-safe, and end by restoring the default and re-raising.
pub(crate) struct FatalSignals {
    previous: Vec<(libc::c_int, libc::sighandler_t)>,
}

impl FatalSignals {
    pub(crate) fn catch(handler: extern "C" fn(libc::c_int)) -> FatalSignals {
        let handler = handler as libc::sighandler_t;
        // SAFETY: installing a handler for standard signals; the old ones are kept.
        let previous = SIGNALS
            .iter()
            .map(|signal| (*signal, unsafe { libc::signal(*signal, handler) }))
            .collect();
        FatalSignals { previous }
    }
}

impl Drop for FatalSignals {
    fn drop(&mut self) {
        for (signal, handler) in &self.previous {
            // SAFETY: restoring a disposition saved by `catch`.
            unsafe { libc::signal(*signal, *handler) };
        }
    }
}

/// Restores the terminal, then the signal dispositions, when the prompt ends normally.
struct EchoOff {
    fd: i32,
    _signals: FatalSignals,
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        // SAFETY: a plain call on a descriptor we own.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &raw const SAVED);
        }
        TTY.store(-1, Ordering::SeqCst);
    }
}

/// Reads a line from the controlling terminal with echo off, after `prompt` on it.
pub(crate) fn read_password(prompt: &str) -> anyhow::Result<String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|err| anyhow::anyhow!("no terminal to ask for the password on: {err}"))?;
    let fd = tty.as_raw_fd();
    // SAFETY: termios calls on an open terminal descriptor; SAVED is written here only, while
    // no handler can read it (TTY is -1 until it is complete).
    let guard = unsafe {
        anyhow::ensure!(
            libc::tcgetattr(fd, &raw mut SAVED) == 0,
            "cannot read the terminal's settings"
        );
        let mut quiet = SAVED;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
        quiet.c_lflag |= libc::ICANON | libc::ISIG;
        TTY.store(fd, Ordering::SeqCst);
        let guard = EchoOff {
            fd,
            _signals: FatalSignals::catch(restore_and_resend),
        };
        anyhow::ensure!(
            libc::tcsetattr(fd, libc::TCSANOW, &raw const quiet) == 0,
            "cannot turn off the terminal's echo"
        );
        guard
    };
    let mut writer = &tty;
    write!(
        writer,
        "{}",
        adcomputer_core::model::sanitize::for_terminal(prompt)
    )?;
    writer.flush()?;
    let mut line = String::new();
    std::io::BufReader::new(&tty).read_line(&mut line)?;
    drop(guard);
    writeln!(writer)?;
    while line.ends_with(['\n', '\r']) {
        line.pop();
    }
    Ok(line)
}
