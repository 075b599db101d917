//! Test harness: runs the real `adcomputer` binary, offline or against the Samba test DC that
//! `samba-testenv/up` started (its settings arrive in ADCOMPUTER_* variables).

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// How a run ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {}", self.stdout))
    }

    /// Asserts the run failed with exit 2 and exactly one stderr line containing `needle`.
    pub fn assert_one_line_error(&self, needle: &str) {
        assert_eq!(self.code, 2, "stderr: {}", self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "stderr: {}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "want {needle:?} in: {}",
            self.stderr
        );
        assert!(self.stdout.is_empty(), "stdout: {}", self.stdout);
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A command for the binary with no ADCOMPUTER_* or OpenLDAP settings inherited (LDAPNOINIT:
/// this machine's ldap.conf and ldaprc files are not read either).
fn bare_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_adcomputer"));
    command.args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("ADCOMPUTER_") || key.starts_with("LDAP") {
            command.env_remove(key);
        }
    }
    command.env("LDAPNOINIT", "1");
    command
}

fn finish(mut command: Command) -> Run {
    into_run(command.output().expect("run adcomputer"))
}

fn into_run(output: std::process::Output) -> Run {
    Run {
        code: output.status.code().expect("exit code"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Runs offline: no connection settings at all.
pub fn offline(args: &[&str]) -> Run {
    finish(bare_command(args))
}

/// Runs with no ADCOMPUTER_* settings but `env`.
pub fn with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = bare_command(args);
    command.envs(env.iter().copied());
    finish(command)
}

/// Writes `text` to `path` with mode 0600, as a password file must be.
pub fn write_private(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Runs offline with `input` on standard input.
pub fn offline_with_stdin(args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut command = bare_command(args);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run adcomputer");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    into_run(child.wait_with_output().expect("wait for adcomputer"))
}

/// The module whose tests are using the test domain, and how many of them are running.
struct Suite {
    module: Option<&'static str>,
    running: usize,
}

static SUITE: std::sync::Mutex<Suite> = std::sync::Mutex::new(Suite {
    module: None,
    running: 0,
});
static SUITE_FREE: std::sync::Condvar = std::sync::Condvar::new();

/// Held by a live test while it runs: its module's claim on the test domain.
pub struct Domain;

impl Drop for Domain {
    fn drop(&mut self) {
        let mut suite = SUITE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        suite.running -= 1;
        SUITE_FREE.notify_all();
    }
}

/// The seeded test domain for the calling module's tests (they may run at once): the first
/// of a module waits until another module's tests are done, then puts the seeded domain back
/// (`samba-testenv/reset`), so that no module sees what another did. Hold the guard for the
/// whole test.
#[track_caller]
pub fn pristine_domain() -> Domain {
    let module = std::panic::Location::caller().file();
    let mut suite = SUITE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    while suite.module != Some(module) && suite.running > 0 {
        suite = SUITE_FREE
            .wait(suite)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
    if suite.module != Some(module) {
        let reset = Command::new(repo_path("samba-testenv/reset"))
            .stdin(Stdio::null())
            .output()
            .expect("run samba-testenv/reset");
        assert!(
            reset.status.success(),
            "samba-testenv/reset: {}",
            String::from_utf8_lossy(&reset.stderr)
        );
        suite.module = Some(module);
    }
    suite.running += 1;
    Domain
}

/// The test DC's settings, as `samba-testenv/up` exports them.
pub struct TestDc {
    pub url: String,
    pub ca_cert: String,
    pub bind_dn: String,
    pub password: String,
    pub base: String,
    pub dir: String,
}

pub fn test_dc() -> TestDc {
    let get = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: live tests need the Samba test DC; run samba-testenv/test")
        })
    };
    TestDc {
        url: get("ADCOMPUTER_URL"),
        ca_cert: get("ADCOMPUTER_CA_CERT"),
        bind_dn: get("ADCOMPUTER_BIND_DN"),
        password: get("ADCOMPUTER_PASSWORD"),
        base: get("ADCOMPUTER_BASE"),
        dir: get("ADC_TESTENV_DIR"),
    }
}

/// Runs against the test DC with its settings, `overrides` replacing or adding variables.
pub fn live_with(args: &[&str], overrides: &[(&str, &str)]) -> Run {
    live_without(args, &[], overrides)
}

/// The command `live` runs, to spawn and watch while it runs.
pub fn live_command(args: &[&str]) -> Command {
    let dc = test_dc();
    let mut command = bare_command(args);
    command
        .env("ADCOMPUTER_URL", &dc.url)
        .env("ADCOMPUTER_CA_CERT", &dc.ca_cert)
        .env("ADCOMPUTER_BIND_DN", &dc.bind_dn)
        .env("ADCOMPUTER_PASSWORD", &dc.password)
        .env("ADCOMPUTER_BASE", &dc.base);
    command
}

/// As `live_with`, with the variables `removed` not set at all (`LDAPNOINIT` among them: then
/// OpenLDAP's files and variables are read, as on an admin's machine).
pub fn live_without(args: &[&str], removed: &[&str], overrides: &[(&str, &str)]) -> Run {
    let mut command = live_command(args);
    for key in removed {
        command.env_remove(key);
    }
    for (key, value) in overrides {
        command.env(key, value);
    }
    finish(command)
}

pub fn live(args: &[&str]) -> Run {
    live_with(args, &[])
}

/// Fixture computers seeded by samba-testenv (fixtures/seed-ldap.ldif), plus the two DCs.
pub const FIXTURE_COMPUTERS: &[&str] = &[
    "WS-HEALTHY01$",
    "SRV-RDS01$",
    "SRV-WEB01$",
    "FINANCE-LAPTOP7$",
    "HR-WORKSTATION$",
    "PC-NOSPN$",
    "PC-HOSTONLY$",
    "RDS-GW01$",
    "PC-MIGRATED$",
    "PC-DUPA$",
    "PC-DUPB$",
    "SQL01$",
    "SRV-FILES02$",
    "PC-INACTIVE$",
    "PC-ROTFAIL$",
    "PC-PRESTAGED$",
    "PC-DISABLED$",
    "KIOSK$",
    "KIOSK-OLD$",
    "KIOSK-SPARE$",
    "DC1$",
    "DC2$",
];

/// Runs an LDAP tool (ldapsearch, ldapmodify) as the test DC's admin over verified LDAPS,
/// against `url` (the DC's LDAPS URL when `None`); its exit code, stdout and stderr.
pub fn ldap_tool_at(tool: &str, url: Option<&str>, args: &[&str], input: Option<&str>) -> Run {
    let dc = test_dc();
    ldap_tool_bound(
        tool,
        url.unwrap_or(&dc.url),
        (&dc.bind_dn, &dc.password),
        args,
        input.unwrap_or(""),
    )
}

/// Runs an LDAP tool at `url`, bound as (user, password) with the password in a file.
fn ldap_tool_bound(tool: &str, url: &str, bind: (&str, &str), args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("pw");
    std::fs::write(&password_file, bind.1).unwrap();
    let mut child = Command::new(tool)
        .env("LDAPTLS_CACERT", &dc.ca_cert)
        .args(["-H", url, "-x", "-D", bind.0, "-y"])
        .arg(&password_file)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("run {tool}: {err}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    into_run(child.wait_with_output().unwrap())
}

/// Runs an LDAP tool as the test DC's admin and insists that it succeeds; its stdout.
pub fn ldap_tool(tool: &str, args: &[&str], input: Option<&str>) -> String {
    let run = ldap_tool_at(tool, None, args, input);
    assert_eq!(run.code, 0, "{tool}: {}", run.stderr);
    run.stdout
}

/// Every (DN, SPN) pair of the domain, sorted: what `undo` must restore exactly.
pub fn spn_snapshot() -> Vec<String> {
    let dc = test_dc();
    let text = ldap_tool(
        "ldapsearch",
        &[
            "-LLL",
            "-o",
            "ldif-wrap=no",
            "-b",
            &dc.base,
            "(servicePrincipalName=*)",
            "servicePrincipalName",
        ],
        None,
    );
    let mut pairs = Vec::new();
    let mut dn = String::new();
    for line in text.lines() {
        if let Some(value) = line.strip_prefix("dn: ") {
            dn = value.to_string();
        } else if let Some(value) = line.strip_prefix("servicePrincipalName: ") {
            pairs.push(format!("{dn} {value}"));
        }
    }
    pairs.sort();
    pairs
}

/// Adds (`add`) or deletes (`delete`) one SPN as "another client" would.
pub fn change_spn(dn: &str, operation: &str, spn: &str) {
    let ldif = format!(
        "dn: {dn}\nchangetype: modify\n{operation}: servicePrincipalName\nservicePrincipalName: {spn}\n-\n"
    );
    ldap_tool("ldapmodify", &[], Some(&ldif));
}

/// An `ldapsearch` export of the whole test domain (paged, referrals included) with
/// `attributes`, written to `path`: the input of the live-equals-offline tests.
pub fn export_domain(path: &std::path::Path, attributes: &[&str]) {
    let dc = test_dc();
    let args = [
        &[
            "-b",
            dc.base.as_str(),
            "-E",
            "pr=1000/noprompt",
            "(objectClass=*)",
        ],
        attributes,
    ]
    .concat();
    std::fs::write(path, ldap_tool("ldapsearch", &args, None)).unwrap();
}

/// docs/reference.md, the user's reference.
pub fn reference() -> String {
    std::fs::read_to_string(repo_path("docs/reference.md")).expect("docs/reference.md")
}

/// Asserts that every field name of a JSON report, and every `kind`, `status` and `class`
/// value in it, is written in docs/reference.md as `` `name` ``.
pub fn assert_documented(report: &serde_json::Value) {
    fn walk(value: &serde_json::Value, words: &mut std::collections::BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    words.insert(key.clone());
                    if matches!(key.as_str(), "kind" | "status" | "class" | "cause") {
                        if let Some(word) = value.as_str() {
                            words.insert(word.to_string());
                        }
                    }
                    walk(value, words);
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| walk(item, words)),
            _ => {}
        }
    }
    let mut words = std::collections::BTreeSet::new();
    walk(report, &mut words);
    let reference = reference();
    let missing: Vec<&String> = words
        .iter()
        .filter(|word| !reference.contains(&format!("`{word}`")))
        .collect();
    assert!(missing.is_empty(), "not in docs/reference.md: {missing:?}");
}

/// Objects a test adds to the test DC (as admin, from LDIF) and deletes again when dropped,
/// even when the test fails: each of `roots` and everything below it.
pub struct Seeded {
    roots: Vec<String>,
}

impl Seeded {
    /// Adds `ldif`, whose entries are `roots` or lie below them; leftovers of an earlier,
    /// interrupted run are removed first.
    pub fn add(roots: &[&str], ldif: &str) -> Seeded {
        let seeded = Seeded {
            roots: roots.iter().map(|root| root.to_string()).collect(),
        };
        seeded.delete();
        ldap_tool("ldapadd", &[], Some(ldif));
        seeded
    }

    fn delete(&self) {
        for root in &self.roots {
            let _ = ldap_tool_at("ldapdelete", None, &["-r", root], None);
        }
    }
}

impl Drop for Seeded {
    fn drop(&mut self) {
        self.delete();
    }
}

/// Writes `ldif` straight into the domain partition, as samba-testenv/seed does for states
/// the DC refuses over LDAP (duplicate SPNs).
pub fn raw_modify(ldif: &str) {
    use std::io::Write;
    let dc = test_dc();
    let partition = format!("{}/private/sam.ldb.d/DC=ADC,DC=TEST.ldb", dc.dir);
    let mut child = Command::new("ldbmodify")
        .args(["-H", &partition])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ldbmodify (ldb-tools)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ldif.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "ldbmodify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The key version of the account `name`, read as the admin.
pub fn key_version(name: &str) -> u64 {
    live(&["show", "-o", "json", name]).json()["accounts"][0]["key_version"]
        .as_u64()
        .unwrap_or_else(|| panic!("no key version for {name}"))
}

/// Runs as the delegated operator `user` (samba-testenv/seed: helpdesk, spn-writer, nobody).
pub fn as_operator(user: &str, args: &[&str]) -> Run {
    let bind = format!("{user}@ADC.TEST");
    live_with(
        args,
        &[
            ("ADCOMPUTER_BIND_DN", bind.as_str()),
            ("ADCOMPUTER_PASSWORD", OPERATOR_PASSWORD),
        ],
    )
}

/// The delegated operators' password (fixtures/seed-ldap.ldif).
pub const OPERATOR_PASSWORD: &str = "Operator-Pass-1";

/// `text` base64-encoded, for LDIF `attr:: value` lines.
pub fn base64(text: &str) -> String {
    base64_bytes(text.as_bytes())
}

/// `bytes` base64-encoded, for binary LDIF values.
pub fn base64_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// As `with_env`, with OpenLDAP's files and variables read (no `LDAPNOINIT`), as on an admin's
/// machine.
pub fn with_env_openldap(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = bare_command(args);
    command.env_remove("LDAPNOINIT");
    command.envs(env.iter().copied());
    finish(command)
}

/// Runs an LDAP tool as one of the delegated operators (`user@ADC.TEST`), `input` on stdin.
pub fn ldap_tool_as(user: &str, tool: &str, input: &str) -> Run {
    let dc = test_dc();
    let bind = format!("{user}@ADC.TEST");
    ldap_tool_bound(tool, &dc.url, (&bind, OPERATOR_PASSWORD), &[], input)
}

/// One test of this binary at a time: for tests that change the domain for everyone (pause
/// replication, freeze the DC) or compare it before and after.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A live audit's report as an export of the same domain would give it: Group Policy is read
/// from a DC (LDAP and SYSVOL) and an export has none, so its findings and counts go.
pub fn without_group_policy(mut report: serde_json::Value) -> serde_json::Value {
    let findings = report["findings"].as_array_mut().unwrap();
    let before = findings.len();
    findings.retain(|finding| finding["kind"] != "rotation_policy");
    let gone = (before - findings.len()) as u64;
    let summary = report["summary"].as_object_mut().unwrap();
    for count in [
        "rotation_policy",
        "dcs_refuse_changes",
        "members_never_rotate",
        "long_max_age",
    ] {
        summary.insert(count.into(), 0.into());
    }
    for total in ["findings", "failing"] {
        let left = summary[total].as_u64().unwrap() - gone;
        summary.insert(total.into(), left.into());
    }
    report
}

/// The FILETIME (100 ns since 1601) `days` before the Unix time `unix`.
pub fn filetime(unix: i64, days: i64) -> i64 {
    (unix - days * 86_400 + 11_644_473_600) * 10_000_000
}

/// The FILETIME `days` before now: for raw writes of pwdLastSet and lastLogonTimestamp.
pub fn days_ago(days: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    filetime(i64::try_from(now).unwrap(), days)
}
