//! `--kerberos`: a GSSAPI bind with the caller's ticket cache, sealed on ldap:// (so `reset`
//! may write unicodePwd) and with channel bindings on ldaps://, a clear error without one, and
//! the advice to use ldap:// from a DC with Samba's default settings (dc2), which refuses
//! Kerberos over LDAPS.

use crate::common;

use std::process::{Command, Stdio};

use common::{Run, test_dc};

/// Runs adcomputer with `--kerberos` and the ticket cache `cache`, no user or password at all.
pub(crate) fn with_ticket(cache: &str, url: &str, args: &[&str]) -> Run {
    in_command(
        Command::new(env!("CARGO_BIN_EXE_adcomputer")),
        cache,
        url,
        args,
    )
}

/// As `with_ticket`, with `command` running adcomputer (it may wrap it).
fn in_command(mut command: Command, cache: &str, url: &str, args: &[&str]) -> Run {
    let dc = test_dc();
    let output = command
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

pub(crate) fn kinit_admin(cache: &str) {
    let dc = test_dc();
    kinit_as(cache, &dc.bind_dn, &dc.password);
}

/// A ticket for `principal` in the cache file `cache`.
pub(crate) fn kinit_as(cache: &str, principal: &str, password: &str) {
    use std::io::Write;
    let mut kinit = Command::new("kinit")
        .arg(principal)
        .env("KRB5CCNAME", format!("FILE:{cache}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(kinit.stdin.take().unwrap(), "{password}").unwrap();
    assert!(kinit.wait().unwrap().success(), "kinit {principal}");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn kerberos_bind_reads_and_resets_over_sealed_ldap_and_ldaps() {
    let _domain = common::pristine_domain();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cc").display().to_string();
    kinit_admin(&cache);
    for url in ["ldap://dc1.adc.test", "ldaps://dc1.adc.test"] {
        let run = with_ticket(&cache, url, &["show", "-o", "json", "WS-HEALTHY01"]);
        assert_eq!(run.code, 0, "{url}: {}", run.stderr);
        assert_eq!(run.json()["accounts"][0]["account"], "WS-HEALTHY01$");
    }
    // unicodePwd may only be written on an encrypted connection: Kerberos sealing is one on
    // ldap://, TLS (with channel bindings) on ldaps://. Each reset is proved by the key version
    // moving and the KDC accepting the new password.
    for (url, name) in [
        ("ldap://dc1.adc.test", "SRV-RDS01"),
        ("ldaps://dc1.adc.test", "SRV-WEB01"),
    ] {
        let before = common::key_version(name);
        let run = with_ticket(
            &cache,
            url,
            &["reset", name, "--apply", "--yes", "--verify", "-o", "json"],
        );
        assert_eq!(run.code, 0, "{url}: {}", run.stderr);
        assert_eq!(
            run.json()["source"],
            format!("{url}:{}", if url.starts_with("ldaps") { 636 } else { 389 })
        );
        let item = &run.json()["findings"][0];
        assert_eq!(item["status"], "reset", "{url}: {item}");
        assert_eq!(
            item["verification"][0]["result"], "accepted",
            "{url}: {item}"
        );
        assert_eq!(common::key_version(name), before + 1, "{url}: written");
    }
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn no_ticket_is_one_line_and_exit_2() {
    let _domain = common::pristine_domain();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-such-cache").display().to_string();
    with_ticket(&empty, "ldap://dc1.adc.test", &["show", "WS-HEALTHY01"])
        .assert_one_line_error("Kerberos bind failed: no Kerberos ticket: run kinit first");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_default_samba_dc_refusing_kerberos_over_ldaps_gets_the_advice_to_use_ldap() {
    let _domain = common::pristine_domain();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cc").display().to_string();
    kinit_admin(&cache);
    // dc2 is in the domain's DNS only; the Kerberos service name must be its DNS name, so this
    // run sees an /etc/hosts that names it (in its own mount namespace: nothing else does).
    let hosts = dir.path().join("hosts");
    let mut text = std::fs::read_to_string("/etc/hosts").unwrap();
    text.push_str(&format!(
        "\n{} dc2.adc.test\n",
        std::env::var("ADC_TESTENV_ADDR2").unwrap_or_else(|_| "127.0.0.3".into())
    ));
    std::fs::write(&hosts, text).unwrap();
    let in_namespace = || {
        let mut command = Command::new("unshare");
        command
            .args([
                "--mount",
                "sh",
                "-c",
                "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
            ])
            .arg(&hosts)
            .arg(env!("CARGO_BIN_EXE_adcomputer"));
        command
    };
    let args = ["show", "-o", "json", "WS-HEALTHY01"];
    in_command(in_namespace(), &cache, "ldaps://dc2.adc.test", &args).assert_one_line_error(
        "refuses a Kerberos bind over LDAPS (a Samba DC's default, `ldap server require strong auth = yes`): use --kerberos with ldap://dc2.adc.test",
    );
    // The advice works: sealed ldap:// to the same DC.
    let run = in_command(in_namespace(), &cache, "ldap://dc2.adc.test", &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["source"], "ldap://dc2.adc.test:389");
}
