//! `show` against LDIF files: the bundled demo domain and malformed exports.

use crate::common;

use common::{offline, offline_with_stdin, repo_path};

/// `show -o FORMAT NAMES...` on the bundled demo domain.
fn show_demo(format: &str, names: &[&str]) -> common::Run {
    let demo = repo_path("fixtures/demo-domain.ldif").display().to_string();
    offline(&[&["show", "--from-ldif", &demo, "-o", format], names].concat())
}

#[test]
fn shows_a_demo_computer_as_json() {
    let run = show_demo("json", &["finance-laptop7$"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["tool"], "adcomputer");
    assert_eq!(json["command"], "show");
    assert!(json["source"].as_str().unwrap().starts_with("ldif:"));
    let account = &json["accounts"][0];
    assert_eq!(account["account"], "FINANCE-LAPTOP7$");
    assert_eq!(account["kind"], "computer");
    assert_eq!(account["spns"].as_array().unwrap().len(), 4);
    assert_eq!(json["summary"]["found"], 1);
}

#[test]
fn unknown_and_ambiguous_names_exit_1() {
    let run = show_demo("json", &["KIOSK", "NOPE"]);
    assert_eq!(run.code, 1);
    let json = run.json();
    assert_eq!(json["findings"][0]["kind"], "ambiguous");
    assert_eq!(
        json["findings"][0]["candidates"].as_array().unwrap().len(),
        2
    );
    assert_eq!(json["findings"][1]["kind"], "not_found");
    assert_eq!(json["accounts"].as_array().unwrap().len(), 0);
}

#[test]
fn csv_has_one_row_per_name() {
    let run = show_demo("csv", &["PC-PRESTAGED", "NOPE"]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("name,status,account,dn,"));
    assert!(lines[1].starts_with("PC-PRESTAGED,found,PC-PRESTAGED$,"));
    assert!(lines[2].starts_with("NOPE,not_found,"));
}

#[test]
fn reads_standard_input() {
    let ldif = b"dn: CN=PC01,DC=x\nsAMAccountName: PC01$\nobjectClass: computer\nuserAccountControl: 4096\npwdLastSet: 134000000000000000\ndNSHostName: pc01.x\nservicePrincipalName: HOST/PC01\nservicePrincipalName: HOST/pc01.x\nservicePrincipalName: RestrictedKrbHost/PC01\nservicePrincipalName: RestrictedKrbHost/pc01.x\nmsDS-SupportedEncryptionTypes: 28\n";
    let args = [
        "show",
        "--from-ldif",
        "-",
        "-o",
        "json",
        "--as-of",
        "2025-08-18",
        "PC01",
    ];
    let run = offline_with_stdin(&args, ldif);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["accounts"][0]["account"], "PC01$");
}

#[test]
fn an_export_that_cannot_show_the_state_is_no_clean_bill() {
    // Only the name and class: nothing the checks need.
    let ldif = b"dn: CN=PC01,DC=x\nsAMAccountName: PC01$\nobjectClass: computer\n";
    let run = offline_with_stdin(&["show", "--from-ldif", "-", "-o", "json", "PC01"], ldif);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.json()["accounts"][0]["account"],
        "PC01$",
        "the report is still written"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("pwdLastSet"), "{}", run.stderr);
}

#[test]
fn malformed_ldif_is_one_line_with_the_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ldif");
    std::fs::write(
        &bad,
        "dn: CN=A,DC=x\nsAMAccountName: A$\nobjectSid:: AQUAAAAAAAUVAAA\n",
    )
    .unwrap();
    offline(&["show", "--from-ldif", bad.to_str().unwrap(), "A"])
        .assert_one_line_error("bad.ldif: line 3: invalid base64 in 'objectSid'");
    std::fs::write(&bad, "").unwrap();
    offline(&["show", "--from-ldif", bad.to_str().unwrap(), "A"])
        .assert_one_line_error("no entries (empty file?)");
    offline(&["show", "--from-ldif", "/no/such.ldif", "A"]).assert_one_line_error("cannot open");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(offline(&["show"]).code, 2);
    offline(&["show", "PC01"]).assert_one_line_error("no directory given");
    let run = offline(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:"));
}

#[test]
fn completions_load_in_bash_and_the_man_page_renders() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("adcomputer.bash");
    // As the completions' --help says: straight into the file, with --output.
    let run = offline(&["completions", "bash", "--output", script.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&script).unwrap(),
        offline(&["completions", "bash"]).stdout
    );
    let bash = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p adcomputer",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        bash.status.success(),
        "{}",
        String::from_utf8_lossy(&bash.stderr)
    );
    assert!(String::from_utf8_lossy(&bash.stdout).contains("_adcomputer"));

    let man = offline(&["man"]);
    assert_eq!(man.code, 0);
    let page = dir.path().join("adcomputer.1");
    std::fs::write(&page, &man.stdout).unwrap();
    let rendered = std::process::Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
        .expect("run man (man-db)");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        text.contains("adcomputer") && text.contains("reset"),
        "{text}"
    );
}

#[test]
fn every_command_help_ends_with_examples() {
    for command in [
        "show",
        "stale",
        "audit",
        "reset",
        "undo",
        "completions",
        "man",
    ] {
        let run = offline(&[command, "--help"]);
        assert_eq!(run.code, 0, "{command}");
        assert!(
            run.stdout.contains("Examples:"),
            "{command} --help has no examples"
        );
    }
    for command in ["check", "fix"] {
        let run = offline(&["spn", command, "--help"]);
        assert!(
            run.stdout.contains("Examples:"),
            "spn {command} --help has no examples"
        );
    }
}

/// `spn fix` on a disabled computer plans nothing, and says why and what to add.
#[test]
fn spn_fix_names_the_disabled_computer_it_leaves_alone() {
    let demo = repo_path("fixtures/demo-domain.ldif");
    let args = [
        "spn",
        "fix",
        "PC-DISABLED",
        "--from-ldif",
        demo.to_str().unwrap(),
        "-o",
        "json",
    ];
    let run = offline(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let warnings = run.json()["warnings"].to_string();
    assert!(
        warnings.contains("PC-DISABLED$: disabled") && warnings.contains("--include-disabled"),
        "{warnings}"
    );
    let table = offline(&args[..5]);
    assert!(
        table.stderr.contains("--include-disabled"),
        "{}",
        table.stderr
    );
}
