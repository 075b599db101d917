//! Scheduled runs against the Samba test DC: a nightly `--baseline` run marks only what is new,
//! and the next night is quiet; the examples in `examples/` (a systemd unit's ExecStart under
//! `env -i`, a crontab line as cron runs it) and the export command of docs/reference.md work
//! as written.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{Seeded, live, raw_modify, repo_path, test_dc, write_private};

const OU: &str = "OU=Nightly,DC=adc,DC=test";

/// The tests here compare runs before and after: one at a time, so that none sees another's
/// change to the domain.
static DOMAIN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    DOMAIN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_new_duplicate_is_the_only_new_finding_and_the_next_night_is_quiet() {
    let _domain = common::pristine_domain();
    let _domain = one_at_a_time();
    let _seeded = Seeded::add(
        &[OU],
        &format!(
            "dn: {OU}\nobjectClass: organizationalUnit\n\n\
             dn: CN=NIGHTLY01,{OU}\nobjectClass: computer\nsAMAccountName: NIGHTLY01$\n\
             userAccountControl: 4096\ndNSHostName: nightly01.adc.test\n\
             servicePrincipalName: HOST/NIGHTLY01\nservicePrincipalName: HOST/nightly01.adc.test\n"
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("spn-check.json");
    let path = baseline.to_str().unwrap();
    let nightly = || {
        live(&[
            "spn",
            "check",
            "-o",
            "json",
            "--baseline",
            path,
            "--output",
            path,
        ])
    };
    // The first night has no baseline: the domain's known findings are all new.
    let first = nightly();
    assert_eq!(first.code, 1, "{}", first.stderr);
    // The second night, nothing changed: exit 0.
    let second = nightly();
    assert_eq!(second.code, 0, "{}", second.stderr);
    // Someone (an older DC, a migration) leaves a duplicate the DC would refuse today.
    raw_modify(&format!(
        "dn: CN=NIGHTLY01,{OU}\nchangetype: modify\nadd: servicePrincipalName\n\
         servicePrincipalName: host/WS-HEALTHY01.adc.test\n-\n"
    ));
    let third = nightly();
    assert_eq!(third.code, 1, "{}", third.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let new: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["baseline"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["kind"], "duplicate_spn");
    assert_eq!(new[0]["key"], "host/ws-healthy01.adc.test");
    assert_eq!(report["summary"]["new"], 1);
    assert_eq!(report["summary"]["failing"], 1);
    assert!(
        report["summary"]["unchanged"].as_u64().unwrap() > 0,
        "{}",
        report["summary"]
    );
    // The night after, the duplicate is known: quiet again.
    let fourth = nightly();
    assert_eq!(fourth.code, 0, "{}", fourth.stderr);
    // Mended: it is listed as resolved, and nothing fails.
    raw_modify(&format!(
        "dn: CN=NIGHTLY01,{OU}\nchangetype: modify\ndelete: servicePrincipalName\n\
         servicePrincipalName: host/WS-HEALTHY01.adc.test\n-\n"
    ));
    let fifth = live(&["spn", "check", "-o", "json", "--baseline", path]);
    assert_eq!(fifth.code, 0, "{}", fifth.stderr);
    let report = fifth.json();
    assert_eq!(report["resolved"][0]["key"], "host/ws-healthy01.adc.test");
    assert_eq!(report["summary"]["resolved"], 1);
}

/// `KEY=value` lines of an example, with the example's placeholders for the domain replaced by
/// the test DC's (the only lines a site edits), in the example's order.
fn site_settings(lines: &[(String, String)]) -> Vec<(String, String)> {
    let dc = test_dc();
    lines
        .iter()
        .map(|(key, value)| {
            let value = match key.as_str() {
                "ADCOMPUTER_URL" => dc.url.clone(),
                "ADCOMPUTER_BIND_DN" => dc.bind_dn.clone(),
                "ADCOMPUTER_CA_CERT" => dc.ca_cert.clone(),
                _ => value.clone(),
            };
            (key.clone(), value)
        })
        .collect()
}

/// Runs `program` with `args` under `env -i`, with only `env` set.
fn under_env_i(program: &Path, args: &[String], env: &[(String, String)]) -> common::Run {
    let output = Command::new("env")
        .arg("-i")
        .args(env.iter().map(|(key, value)| format!("{key}={value}")))
        .arg(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    common::Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn the_systemd_unit_runs_as_written_under_env_i() {
    let _domain = common::pristine_domain();
    let _domain = one_at_a_time();
    let unit =
        std::fs::read_to_string(repo_path("examples/systemd/adcomputer-audit.service")).unwrap();
    let service: Vec<&str> = unit
        .lines()
        .skip_while(|line| *line != "[Service]")
        .take_while(|line| !line.starts_with('[') || *line == "[Service]")
        .collect();
    let value_of = |key: &str| -> Vec<&str> {
        service
            .iter()
            .filter_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .collect()
    };
    let environment: Vec<(String, String)> = value_of("Environment")
        .iter()
        .map(|assignment| {
            let (key, value) = assignment.split_once('=').unwrap();
            (key.to_string(), value.to_string())
        })
        .collect();
    let exec_start = value_of("ExecStart");
    assert_eq!(exec_start.len(), 1, "{exec_start:?}");
    let credential = value_of("LoadCredential")[0];
    let (credential_name, _source) = credential.split_once(':').unwrap();
    assert_eq!(value_of("StateDirectory"), ["adcomputer"]);
    // What systemd gives the service: its credential as a private file, its state directory,
    // its default PATH, and Environment=; nothing else.
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    let state = dir.path().join("state");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::create_dir(&state).unwrap();
    let password_file = credentials.join(credential_name);
    write_private(&password_file, &test_dc().password);
    std::fs::set_permissions(
        &password_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o400),
    )
    .unwrap();
    let mut env = vec![
        (
            "PATH".to_string(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin".to_string(),
        ),
        (
            "CREDENTIALS_DIRECTORY".to_string(),
            credentials.display().to_string(),
        ),
        ("STATE_DIRECTORY".to_string(), state.display().to_string()),
    ];
    env.extend(site_settings(&environment));
    // systemd replaces ${NAME} with the variable's value, one word staying one word.
    let words: Vec<String> = exec_start[0]
        .split_whitespace()
        .map(|word| {
            env.iter().fold(word.to_string(), |word, (key, value)| {
                word.replace(&format!("${{{key}}}"), value)
            })
        })
        .collect();
    assert_eq!(
        words[0], "/usr/bin/adcomputer",
        "the unit runs the packaged binary"
    );
    let binary = Path::new(env!("CARGO_BIN_EXE_adcomputer"));
    let first = under_env_i(binary, &words[1..], &env);
    assert_eq!(
        first.code, 1,
        "the test domain has findings: {}",
        first.stderr
    );
    // The journal shows what broke, not only `status=1`: a summary on stderr, with the file.
    assert!(
        first.stderr.contains("adcomputer audit: ")
            && first.stderr.contains("fail the run (")
            && first.stderr.contains("; new: ")
            && first
                .stderr
                .contains(&format!("report: {}", state.join("audit.json").display())),
        "{}",
        first.stderr
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("audit.json")).unwrap()).unwrap();
    assert_eq!(report["command"], "audit");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|finding| finding["baseline"] == "new"),
        "the first night, everything is new"
    );
    // The next night, nothing changed: the unit succeeds.
    let second = under_env_i(binary, &words[1..], &env);
    assert_eq!(second.code, 0, "{}", second.stderr);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn the_crontab_line_runs_as_cron_runs_it() {
    let _domain = common::pristine_domain();
    let _domain = one_at_a_time();
    let crontab = std::fs::read_to_string(repo_path("examples/crontab")).unwrap();
    let mut variables = Vec::new();
    let mut jobs = Vec::new();
    for line in crontab.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap();
        match first.split_once('=') {
            Some((key, _)) if !first.starts_with(|c: char| c.is_ascii_digit() || c == '*') => {
                let value = line.split_once('=').unwrap().1.trim();
                variables.push((key.to_string(), value.to_string()));
            }
            _ => jobs.push(line),
        }
    }
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let command = jobs[0]
        .split_whitespace()
        .skip(5)
        .collect::<Vec<_>>()
        .join(" ");
    // cron: an unescaped % ends the command (the rest is its input); \% is a %.
    assert!(
        !command.replace("\\%", "").contains('%'),
        "an unescaped % in {command}"
    );
    let command = command.replace("\\%", "%");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("var-lib-adcomputer");
    std::fs::create_dir(&state).unwrap();
    let password_file = dir.path().join("bind.pass");
    write_private(&password_file, &test_dc().password);
    let command = command
        .replace("/etc/adcomputer/bind.pass", password_file.to_str().unwrap())
        .replace("/var/lib/adcomputer", state.to_str().unwrap());
    // cron's environment: SHELL, HOME, LOGNAME, a short PATH (with adcomputer where a package
    // puts it: here, the test build), and the crontab's variables.
    let binary_dir = Path::new(env!("CARGO_BIN_EXE_adcomputer"))
        .parent()
        .unwrap();
    let mut env = vec![
        ("SHELL".to_string(), "/bin/sh".to_string()),
        ("HOME".to_string(), dir.path().display().to_string()),
        ("LOGNAME".to_string(), "root".to_string()),
        (
            "PATH".to_string(),
            format!("{}:/usr/bin:/bin", binary_dir.display()),
        ),
    ];
    env.extend(site_settings(&variables));
    let shell = Path::new("/bin/sh");
    let args = ["-c".to_string(), command];
    let first = under_env_i(shell, &args, &env);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.starts_with("adcomputer audit: exit 1 on 20"),
        "cron mails this: {}",
        first.stdout
    );
    let second = under_env_i(shell, &args, &env);
    assert_eq!(
        (second.stdout.as_str(), second.stderr.as_str()),
        ("", ""),
        "nothing new: nothing to mail"
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn the_documented_export_command_gives_a_complete_export() {
    let _domain = common::pristine_domain();
    let _domain = one_at_a_time();
    let reference = common::reference();
    let block = reference
        .split("<!-- export-command -->")
        .nth(1)
        .expect("the export command in docs/reference.md");
    let command = block
        .lines()
        .find(|line| line.starts_with("ldapsearch "))
        .unwrap();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("pw");
    write_private(&password_file, &dc.password);
    let export = dir.path().join("export.ldif");
    // The example's domain is replaced by the test DC's, and -W (a prompt) by a password file.
    let command = command
        .replace("ldaps://dc1.corp.example.com", &dc.url)
        .replace("admin@CORP.EXAMPLE.COM", &dc.bind_dn)
        .replace("DC=corp,DC=example,DC=com", &dc.base)
        .replace(" -W ", &format!(" -y {} ", password_file.display()))
        .replace("> export.ldif", &format!("> {}", export.display()));
    let status = Command::new("/bin/sh")
        .args(["-c", &command])
        .env("LDAPTLS_CACERT", &dc.ca_cert)
        .status()
        .unwrap();
    assert!(status.success(), "{command}");
    let sysvol = format!("{}/state/sysvol", dc.dir);
    let offline = common::offline(&[
        "audit",
        "--from-ldif",
        export.to_str().unwrap(),
        "--sysvol",
        &sysvol,
        "-o",
        "json",
    ]);
    assert_eq!(
        offline.code, 1,
        "complete, with the domain's findings: {}",
        offline.stderr
    );
    let offline = offline.json();
    for (check, coverage) in offline["coverage"].as_object().unwrap() {
        assert_eq!(coverage["not_checked"], 0, "{check}: {coverage}");
    }
    let online = live(&["audit", "-o", "json"]).json();
    let ids = |report: &serde_json::Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["kind"] != "deleted_computer")
            .map(|finding| finding["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&offline),
        ids(&online),
        "the export finds what the DC finds"
    );
}
