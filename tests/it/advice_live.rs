//! Advice is a claim, tested: for each kind of broken account in the seeded domain, `show`
//! names the cause first, and its next step — run as written, by `sh`, with this build's
//! `adcomputer` first in PATH — removes the finding; or the step is marked manual and holds the
//! exact command (where that command is Samba's, it is run too, against the test DC).

use std::process::Command;

use serde_json::Value;

use crate::common::{self, Run, Seeded, ldap_tool, live, test_dc};

/// `show NAME -o json` (with `extra` options): the report.
fn show(name: &str, extra: &[&str]) -> Value {
    let run = live(&[&["show", "-o", "json", name][..], extra].concat());
    assert!(run.code <= 1, "show {name}: {} {}", run.code, run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    report
}

/// The account's causes, most likely first.
fn causes(report: &Value) -> Vec<Value> {
    report["accounts"][0]["causes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Kinds of the findings about the shown account.
fn kinds(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Runs a next step exactly as printed, with `sh -c`, against the test DC, in a directory of
/// its own (an admin's working directory: a write's journal lands there, not in the checkout).
fn run_as_written(step: &str) -> Run {
    run_in(step, &tempfile::tempdir().unwrap()).0
}

/// Runs `step` as [`run_as_written`] does, in `dir`; with the journals it left there.
fn run_in(step: &str, dir: &tempfile::TempDir) -> (Run, Vec<String>) {
    let template = common::live_command(&[]);
    let mut command = Command::new("sh");
    for (key, value) in template.get_envs() {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_adcomputer"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = command
        .env("PATH", path)
        .current_dir(dir.path())
        .args(["-c", step])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let journals = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("adcomputer-journal-"))
        .collect();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (run, journals)
}

/// The first cause of `name` is `expected`, and its step is a command of this tool; run as
/// written, it removes every finding of `gone`.
fn command_mends(name: &str, extra: &[&str], expected: &str, gone: &[&str]) {
    let before = show(name, extra);
    let first = &causes(&before)[0];
    assert_eq!(first["cause"], expected, "{name}: {first}");
    assert_eq!(first["manual"], false, "{name}: {first}");
    let step = first["next_step"].as_str().unwrap();
    assert!(step.starts_with("adcomputer "), "{step}");
    let dir = tempfile::tempdir().unwrap();
    let (run, journals) = run_in(step, &dir);
    assert_eq!(run.code, 0, "{step}: {} {}", run.stdout, run.stderr);
    // An SPN repair keeps its journal where the admin ran it (a reset keeps none).
    let journaled = usize::from(step.starts_with("adcomputer spn fix "));
    assert_eq!(journals.len(), journaled, "{step}: {journals:?}");
    let after = kinds(&show(name, extra));
    for kind in gone {
        assert!(
            !after.contains(&kind.to_string()),
            "{name} after `{step}`: {after:?}"
        );
    }
}

/// The first cause of `name` is `expected`, marked manual, its step holding each of `exact`;
/// and never a DC-side reset as the step itself.
fn manual_step(name: &str, extra: &[&str], expected: &str, exact: &[&str]) -> String {
    let report = show(name, extra);
    let first = &causes(&report)[0];
    assert_eq!(first["cause"], expected, "{name}: {first}");
    assert_eq!(first["manual"], true, "{name}: {first}");
    let step = first["next_step"].as_str().unwrap().to_string();
    for part in exact {
        assert!(step.contains(part), "{name}: {step} lacks {part}");
    }
    assert!(!step.starts_with("adcomputer reset"), "{step}");
    step
}

/// Samba's half of a manual step (`Samba: samba-tool …`), run against dc1's database.
fn samba_half(step: &str) -> Run {
    let samba = step
        .split("Samba: ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no Samba command in {step}"));
    run_as_written(&format!("{samba} -H {}/private/sam.ldb", test_dc().dir))
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn each_broken_account_gets_its_cause_and_a_step_that_mends_it() {
    let _domain = common::pristine_domain();
    // `spn fix NAME --dedupe` is about NAME: a duplicate it does not hold is not listed.
    let fix = live(&["spn", "fix", "PC-DUPB$", "--dedupe"]);
    assert_eq!(fix.code, 0, "{}", fix.stderr);
    assert!(fix.stdout.contains("PC-DUPA.ADC.TEST"), "{}", fix.stdout);
    for other in ["sql01", "files.adc.test"] {
        assert!(!fix.stdout.contains(other), "{}", fix.stdout);
    }
    // Stale and missing SPNs: spn fix, as written.
    command_mends(
        "PC-MIGRATED",
        &[],
        "spn_absent",
        &["missing_spn", "stale_spn"],
    );
    // A duplicate between computers, shown on the computer whose name it is: the step names
    // the other holder, the one dedupe changes.
    let dupa = show("PC-DUPA", &[]);
    assert!(
        causes(&dupa)[0]["next_step"]
            .as_str()
            .unwrap()
            .starts_with("adcomputer spn fix 'PC-DUPB$' --dedupe --apply"),
        "{dupa}"
    );
    command_mends("PC-DUPA", &[], "spn_held_elsewhere", &["duplicate_spn"]);
    // No AES keys and no logons: a reset makes AES keys (the KDC says so afterwards).
    command_mends("ENC-NOAES", &[], "aes_refused", &["weak_encryption"]);

    // A duplicate with a service account: setspn naming the holder to drop, both ways.
    manual_step(
        "SQL01",
        &[],
        "spn_held_by_service_account",
        &[
            "setspn -D MSSQLSvc/sql01.adc.test:1433 svc-sql",
            "setspn -D MSSQLSvc/sql01.adc.test:1433 SQL01",
        ],
    );
    // Rotation failing on a machine that still logs on: on the machine, never a DC reset.
    manual_step(
        "PC-ROTFAIL",
        &[],
        "rotation_failing",
        &["Test-ComputerSecureChannel -Repair"],
    );
    // Under a never-rotate GPO: its rollback, naming it.
    manual_step(
        "KIOSK-NR01",
        &[],
        "gpo_stops_rotation",
        &["Kiosks never rotate", "test OU first"],
    );
    // Inactive for 190 days: disable, not a reset that hides it for 45 more days.
    manual_step(
        "PC-INACTIVE",
        &[],
        "inactive",
        &["Disable-ADComputer PC-INACTIVE"],
    );
    // Disabled: enable it if by mistake; Samba's command, run, clears the cause.
    let step = manual_step(
        "PC-DISABLED",
        &[],
        "disabled",
        &["samba-tool user enable 'PC-DISABLED$'"],
    );
    assert_eq!(samba_half(&step).code, 0);
    let enabled = show("PC-DISABLED", &[]);
    assert!(
        causes(&enabled).iter().all(|c| c["cause"] != "disabled"),
        "{enabled}"
    );
    // Never joined, default password accepted: disable it; Samba's command, run, ends it.
    let probe = ["--probe-default-password"];
    let step = manual_step(
        "KIOSK-SPARE",
        &probe,
        "known_password",
        &["samba-tool user disable 'KIOSK-SPARE$'"],
    );
    assert_eq!(samba_half(&step).code, 0);
    assert!(!kinds(&show("KIOSK-SPARE", &probe)).contains(&"default_password".to_string()));
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn deleted_and_recreated_computers_are_told_apart() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let entry = |name: &str| {
        format!(
            "dn: CN={name},OU=Workstations,{base}\nobjectClass: computer\ncn: {name}\nsAMAccountName: {name}$\nuserAccountControl: 4096\ndNSHostName: {lower}.adc.test\n",
            base = dc.base,
            lower = name.to_lowercase()
        )
    };
    let dn = |name: &str| format!("CN={name},OU=Workstations,{}", dc.base);

    // Deleted: `restore`, as written, brings it back.
    let gone = Seeded::add(&[&dn("PC-GONE")], &entry("PC-GONE"));
    ldap_tool("ldapdelete", &[&dn("PC-GONE")], None);
    let report = show("PC-GONE$", &[]);
    let deleted = &report["deleted"][0];
    assert_eq!(deleted["cause"], "deleted", "{report}");
    let step = deleted["next_step"].as_str().unwrap();
    assert!(
        step.starts_with("adcomputer restore 'PC-GONE$' --apply"),
        "{step}"
    );
    let run = run_as_written(step);
    assert_eq!(run.code, 0, "{step}: {} {}", run.stdout, run.stderr);
    let back = show("PC-GONE$", &[]);
    assert_eq!(back["accounts"][0]["account"], "PC-GONE$", "{back}");
    assert!(!kinds(&back).contains(&"deleted_computer".to_string()));
    drop(gone);

    // Deleted and created again under the same name: the machine holds the old secret.
    let first = Seeded::add(&[&dn("PC-REBORN")], &entry("PC-REBORN"));
    ldap_tool("ldapdelete", &[&dn("PC-REBORN")], None);
    let again = Seeded::add(&[&dn("PC-REBORN")], &entry("PC-REBORN"));
    let step = manual_step(
        "PC-REBORN$",
        &[],
        "recreated",
        &["rejoin the machine", "Add-Computer"],
    );
    let report = show("PC-REBORN$", &[]);
    let evidence = causes(&report)[0]["evidence"].as_str().unwrap().to_string();
    assert!(evidence.contains("objectGUID"), "{evidence}");
    assert!(!step.is_empty());
    drop(again);
    drop(first);
}
