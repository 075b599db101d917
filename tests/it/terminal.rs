//! The password prompt on a real (pseudo-)terminal: echo is off while it waits, and on again
//! however it ends — Enter, or Ctrl-C, which under shells like dash would otherwise leave the
//! admin typing blind.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A new pseudo-terminal: (master, slave).
fn pty() -> (std::fs::File, OwnedFd) {
    sized_pty(0)
}

/// A new pseudo-terminal of `columns` columns (0: the size a fresh pty reports).
fn sized_pty(columns: u16) -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 50,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty fills two descriptors we then own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            if columns == 0 {
                std::ptr::null()
            } else {
                &size
            },
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: fresh descriptors from openpty.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}

fn echo_on(terminal: &OwnedFd) -> bool {
    // SAFETY: tcgetattr on an open terminal into a zeroed struct.
    unsafe {
        let mut settings: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(terminal.as_raw_fd(), &mut settings), 0);
        settings.c_lflag & libc::ECHO != 0
    }
}

/// `adcomputer show PC01` on the terminal `slave` (its controlling terminal), asking for a
/// password because none is configured.
fn prompting(slave: &OwnedFd) -> std::process::Child {
    let io = || Stdio::from(slave.try_clone().unwrap());
    let mut command = Command::new(env!("CARGO_BIN_EXE_adcomputer"));
    command
        .args(["show", "PC01"])
        .env_clear()
        .env("ADCOMPUTER_URL", "ldaps://127.0.0.1:9")
        .env("ADCOMPUTER_BIND_DN", "admin@EXAMPLE.TEST")
        .stdin(io())
        .stdout(io())
        .stderr(io());
    // SAFETY: setsid and TIOCSCTTY are async-signal-safe: a new session whose controlling
    // terminal is the pty, so that Ctrl-C on it reaches the child.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            libc::ioctl(0, libc::TIOCSCTTY, 0);
            Ok(())
        });
    }
    command.spawn().expect("run adcomputer")
}

/// Reads the terminal's output until it holds `wanted`.
fn wait_for(master: &mut std::fs::File, wanted: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains(wanted) {
        assert!(
            Instant::now() < deadline,
            "no {wanted:?} in {:?}",
            String::from_utf8_lossy(&seen)
        );
        let read = master.read(&mut buf).expect("read the terminal");
        seen.extend_from_slice(&buf[..read]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn ctrl_c_at_the_password_prompt_turns_echo_back_on() {
    let (mut master, slave) = pty();
    assert!(echo_on(&slave));
    let mut child = prompting(&slave);
    wait_for(&mut master, "Password for admin@EXAMPLE.TEST: ");
    assert!(!echo_on(&slave), "echo is off while the password is typed");
    master.write_all(b"secr").unwrap();
    master.write_all(&[3]).unwrap(); // Ctrl-C
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert!(echo_on(&slave), "Ctrl-C left the terminal without echo");
}

#[test]
fn a_typed_password_is_not_echoed_and_echo_returns() {
    let (mut master, slave) = pty();
    let mut child = prompting(&slave);
    wait_for(&mut master, "Password for admin@EXAMPLE.TEST: ");
    master.write_all(b"Hunter2-secret\n").unwrap();
    let rest = wait_for(&mut master, "adcomputer: error:");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(!rest.contains("Hunter2-secret"), "{rest}");
    assert!(echo_on(&slave));
}

/// The demo audit's tables as a terminal of `columns` columns shows them.
fn audit_on_terminal(columns: u16) -> String {
    on_terminal(columns, &["audit"], true)
}

/// What `args` on the demo domain write to a terminal of `columns` columns (`no_color`: with
/// NO_COLOR set).
fn on_terminal(columns: u16, args: &[&str], no_color: bool) -> String {
    let (mut master, slave) = sized_pty(columns);
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo-domain.ldif");
    let mut command = Command::new(env!("CARGO_BIN_EXE_adcomputer"));
    command
        .args(args)
        .args(["--from-ldif", demo, "--as-of", "2026-11-21"])
        .env_clear();
    if no_color {
        command.env("NO_COLOR", "1");
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The command holds the terminal's other end too: without both gone, no end of input.
    drop(command);
    drop(slave);
    // Read while it writes (a terminal holds a few KiB), until the terminal says no more.
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(read) = master.read(&mut buf) {
            if read == 0 {
                break;
            }
            text.extend_from_slice(&buf[..read]);
        }
        text
    });
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let text = reader.join().unwrap();
    String::from_utf8_lossy(&text).replace("\r\n", "\n")
}

/// Tokens every demo audit table holds, which no layout may split.
const TOKENS: [&str; 4] = [
    "RestrictedKrbHost/pc-hostonly.adc.test",
    "2026-05-15T06:18:00Z",
    "mssqlsvc/sql01.adc.test:1433",
    "HOST/pc-migrated.olddomain.test",
];

#[test]
fn an_80_column_terminal_wraps_between_tokens_never_inside() {
    let text = audit_on_terminal(80);
    for token in TOKENS {
        assert!(text.contains(token), "{token} split or missing:\n{text}");
    }
    // Table lines fit; prose lines are the terminal's to wrap.
    let widest = text
        .lines()
        .filter(|line| line.starts_with(['+', '|']))
        .map(|line| line.chars().count())
        .max()
        .unwrap();
    assert!(widest <= 80, "a table line of {widest} columns:\n{text}");
}

#[test]
fn a_terminal_of_zero_columns_gets_plain_unwrapped_tables() {
    let text = audit_on_terminal(0);
    for token in TOKENS {
        assert!(text.contains(token), "{token} split or missing:\n{text}");
    }
    assert!(
        !text
            .lines()
            .any(|line| line.trim_end().chars().count() == 1),
        "one-character columns:\n{text}"
    );
}

/// `show` at 80 columns: attribute names as labels (never the account and its DN), prose
/// wrapped to the width, a command kept whole on its line; headings coloured by severity, and
/// no colour with NO_COLOR.
#[test]
fn show_is_readable_at_80_columns() {
    let names = ["show", "PC-MIGRATED", "PC-DUPA", "SQL01"];
    let text = on_terminal(80, &names, false);
    let plain: String = {
        // The text without colour sequences, as the eye sees it.
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("\x1b[") {
            out.push_str(&rest[..at]);
            rest = rest[at..].split_once('m').map_or("", |(_, after)| after);
        }
        out.push_str(rest);
        out
    };
    assert!(
        plain.contains("sAMAccountName") && plain.contains("distinguishedName"),
        "{plain}"
    );
    assert!(
        !plain.lines().any(|line| line.starts_with("PC-MIGRATED$:")),
        "{plain}"
    );
    for line in plain.lines() {
        let command = line.trim_start().starts_with("Next: adcomputer ");
        assert!(
            command || unicode_width::UnicodeWidthStr::width(line) <= 80,
            "a line wider than the terminal:\n{line}\n\n{plain}"
        );
    }
    assert!(plain.contains("Causes, most likely first:"), "{plain}");
    assert!(
        text.contains("\x1b[1;31mDuplicate SPNs"),
        "critical in red:\n{text}"
    );
    let quiet = on_terminal(80, &names, true);
    assert!(!quiet.contains('\x1b'), "NO_COLOR:\n{quiet}");
}

/// A write on a terminal shows its plan, then asks; "n" changes nothing and exits 1 ("not
/// done"), not 2 (the code for usage and connection failures).
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_write_shows_its_plan_before_it_asks_and_no_exits_1() {
    let _domain = crate::common::pristine_domain();
    let (mut master, slave) = pty();
    let mut command = crate::common::live_command(&["spn", "fix", "PC-MIGRATED", "--apply"]);
    let io = || Stdio::from(slave.try_clone().unwrap());
    command.stdin(io()).stdout(io()).stderr(io());
    let mut child = command.spawn().unwrap();
    drop(command);
    drop(slave);
    let asked = wait_for(&mut master, "[y/N]");
    let plan = asked
        .find("PC-MIGRATED$: add HOST/pc-migrated.adc.test")
        .unwrap_or_else(|| panic!("no plan: {asked}"));
    let question = asked.find("Change the SPNs of 1 object(s)?").unwrap();
    assert!(plan < question, "the plan comes first: {asked}");
    master.write_all(b"n\n").unwrap();
    wait_for(&mut master, "nothing changed: not confirmed");
    assert_eq!(child.wait().unwrap().code(), Some(1));
    let after = crate::common::live(&["show", "-o", "json", "PC-MIGRATED"]).json();
    assert!(
        after["findings"].to_string().contains("missing_spn"),
        "nothing was written: {after}"
    );
}
