//! `--kerberos`: a GSSAPI bind with the caller's ticket cache, sealed on ldap:// (so `reset`
//! may write unicodePwd) and with channel bindings on ldaps://, and a clear error without one.

mod common;

use std::process::{Command, Stdio};

use common::{Run, test_dc};

/// Runs adcomputer with `--kerberos` and the ticket cache `cache`, no user or password at all.
fn with_ticket(cache: &str, url: &str, args: &[&str]) -> Run {
    let dc = test_dc();
    let output = Command::new(env!("CARGO_BIN_EXE_adcomputer"))
        .args(["--kerberos", "-H", url])
        .args(args)
        .env_remove("ADCOMPUTER_BIND_DN")
        .env_remove("ADCOMPUTER_PASSWORD")
        .env("ADCOMPUTER_CA_CERT", &dc.ca_cert)
        .env("KRB5CCNAME", format!("FILE:{cache}"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

fn kinit_admin(cache: &str) {
    use std::io::Write;
    let dc = test_dc();
    let mut kinit = Command::new("kinit")
        .arg(&dc.bind_dn)
        .env("KRB5CCNAME", format!("FILE:{cache}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(kinit.stdin.take().unwrap(), "{}", dc.password).unwrap();
    assert!(kinit.wait().unwrap().success(), "kinit Administrator");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn kerberos_bind_reads_and_resets_over_sealed_ldap_and_ldaps() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cc").display().to_string();
    kinit_admin(&cache);
    for url in ["ldap://dc1.adc.test", "ldaps://dc1.adc.test"] {
        let run = with_ticket(&cache, url, &["show", "-o", "json", "WS-HEALTHY01"]);
        assert_eq!(run.code, 0, "{url}: {}", run.stderr);
        assert_eq!(run.json()["accounts"][0]["account"], "WS-HEALTHY01$");
    }
    // unicodePwd may only be written on an encrypted connection: Kerberos sealing is one.
    let run = with_ticket(
        &cache,
        "ldap://dc1.adc.test",
        &[
            "reset",
            "SRV-RDS01",
            "--apply",
            "--yes",
            "--verify",
            "-o",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let item = &run.json()["findings"][0];
    assert_eq!(item["status"], "reset");
    assert_eq!(item["verification"][0]["result"], "accepted");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn no_ticket_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-such-cache").display().to_string();
    with_ticket(&empty, "ldap://dc1.adc.test", &["show", "WS-HEALTHY01"])
        .assert_one_line_error("Kerberos bind failed: no Kerberos ticket: run kinit first");
}
