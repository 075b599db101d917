//! Any input gets bounded work: endless files under a 2 GB memory cap end in one line, and a
//! reader that goes away (`| head`) leaves the exit code telling the findings.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

const TWO_GB: u64 = 2 << 30;

/// The binary under an address-space cap of 2 GB, no inherited settings.
fn capped(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adcomputer"));
    command.args(args).env_clear();
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: TWO_GB,
                rlim_max: TWO_GB,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

fn assert_one_line_error(output: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "want {needle:?} in {stderr}");
}

#[test]
fn dev_zero_as_names_or_export_is_one_line_under_a_memory_cap() {
    let names = capped(&[
        "reset",
        "--from-file",
        "/dev/zero",
        "-H",
        "ldaps://127.0.0.1:9",
        "-D",
        "admin@EXAMPLE.TEST",
    ])
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert_one_line_error(&names, "/dev/zero");
    for source in ["/dev/zero", "-"] {
        let export = capped(&["audit", "--from-ldif", source])
            .stdin(std::fs::File::open("/dev/zero").unwrap())
            .output()
            .unwrap();
        assert_one_line_error(&export, "longer than 16 MiB");
    }
}

#[test]
fn one_record_of_endless_values_is_one_line_under_a_memory_cap() {
    let mut child = capped(&["audit", "--from-ldif", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(b"dn: CN=A,DC=x\nobjectClass: computer\n");
        let value =
            b"servicePrincipalName: HOST/abcdefghijklmnopqrstuvwxyz0123456789\n".repeat(1024);
        // 3 GB if nobody stops reading: more than the cap.
        for _ in 0..(3 << 30) / value.len() {
            if stdin.write_all(&value).is_err() {
                break;
            }
        }
    });
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_one_line_error(&output, "a record larger than 64 MiB");
}

/// An export of `count` computers that each lack their SPNs: a finding or more each.
fn export_with_findings(count: usize) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut out = std::io::BufWriter::new(file.as_file_mut());
    for i in 0..count {
        writeln!(
            out,
            "dn: CN=PC{i:05},DC=x,DC=test\nobjectClass: computer\nsAMAccountName: PC{i:05}$\n\
             userAccountControl: 4096\ndNSHostName: pc{i:05}.x.test\npwdLastSet: 0\n\
             lastLogonTimestamp: 0\nservicePrincipalName: HOST/PC{i:05}\n"
        )
        .unwrap();
    }
    drop(out);
    file
}

#[test]
fn a_reader_that_goes_away_leaves_the_exit_code_telling_the_findings() {
    let export = export_with_findings(20_000);
    for format in ["table", "json", "jsonl", "csv"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_adcomputer"))
            .args([
                "audit",
                "--from-ldif",
                export.path().to_str().unwrap(),
                "-o",
                format,
                "-q",
            ])
            .env_clear()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -1`: one line, then the pipe closes.
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{format}");
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}
