//! Issue 17's files that are not what they seem, offline: `--output` to devices, FIFOs and
//! links; endless inputs; settings and password files that others could have written; small
//! usage mistakes that must be one clear line.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use common::{offline, repo_path, with_env, write_private};

fn demo() -> String {
    repo_path("fixtures/demo-domain.ldif").display().to_string()
}

/// `audit -o json` of the demo export, and `extra`.
fn demo_audit(extra: &[&str]) -> common::Run {
    let demo = demo();
    let args = [
        &[
            "audit",
            "--from-ldif",
            &demo,
            "--as-of",
            "2026-11-21",
            "-o",
            "json",
        ][..],
        extra,
    ]
    .concat();
    offline(&args)
}

fn audit_to(output: &str) -> common::Run {
    demo_audit(&["--output", output])
}

#[test]
fn output_to_a_device_a_fifo_or_a_link_is_a_stream_never_a_replacement() {
    use std::os::unix::fs::FileTypeExt;
    let run = audit_to("/dev/null");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let meta = std::fs::metadata("/dev/null").unwrap();
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::read_to_string(fifo).unwrap()
    });
    let run = audit_to(fifo.to_str().unwrap());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let streamed = reader.join().unwrap();
    let report: serde_json::Value = serde_json::from_str(&streamed).unwrap();
    assert_eq!(report["command"], "audit");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    // /dev/stdout: a link to the pipe the harness reads.
    let run = audit_to("/dev/stdout");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["command"], "audit");

    // A link to a regular file stays a link; the file it names gets the report.
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_eq!(audit_to(link.to_str().unwrap()).code, 1);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .contains("\"audit\"")
    );
}

#[test]
fn endless_inputs_are_one_line_errors() {
    for (flag, value) in [
        ("--baseline", "/dev/zero"),
        ("--baseline", "/dev/urandom"),
        ("--ignore", "/dev/zero"),
    ] {
        let run = offline(&["audit", "--from-ldif", &demo(), flag, value]);
        run.assert_one_line_error(&format!("{flag} {value}: not a regular file"));
    }
    let run = with_env(
        &[
            "show",
            "-H",
            "ldaps://127.0.0.1:9",
            "-D",
            "x@y",
            "--ca-cert",
            "/dev/zero",
            "PC01",
        ],
        &[("ADCOMPUTER_PASSWORD", "x")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    // A config file that is a link to /dev/zero.
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join(".config/adcomputer");
    std::fs::create_dir_all(&config).unwrap();
    std::os::unix::fs::symlink("/dev/zero", config.join("config.toml")).unwrap();
    let run = with_env(
        &["show", "-H", "ldaps://127.0.0.1:9", "-D", "x@y", "PC01"],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("ADCOMPUTER_PASSWORD", "x"),
        ],
    );
    // /dev/zero is a device anyone may write: refused before it is read.
    run.assert_one_line_error("config.toml may be written by others");
}

#[test]
fn settings_and_password_files_others_could_write_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().to_str().unwrap().to_string();
    let config_dir = home.path().join(".config/adcomputer");
    std::fs::create_dir_all(&config_dir).unwrap();
    let config = config_dir.join("config.toml");
    std::fs::write(
        &config,
        "default_profile = \"lab\"\n[profiles.lab]\nurl = \"ldaps://rogue.invalid:9\"\n",
    )
    .unwrap();
    // A live command: the settings choose the DC that would get the password.
    let args = ["show", "-D", "x@y", "PC01"];
    let with_home = |extra: &[(&'static str, &str)]| {
        let mut env: Vec<(&str, String)> = vec![
            ("HOME", home_path.clone()),
            ("ADCOMPUTER_PASSWORD", "x".to_string()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        env
    };
    let run_with = |openldap: bool, extra: &[(&'static str, &str)]| {
        let env = with_home(extra);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if openldap {
            common::with_env_openldap(&args, &env)
        } else {
            with_env(&args, &env)
        }
    };

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = run_with(false, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("rogue.invalid"),
        "the profile was read: {}",
        run.stderr
    );

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o666)).unwrap();
    run_with(false, &[]).assert_one_line_error("may be written by others (mode 666): refused");

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&config_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    run_with(false, &[]).assert_one_line_error("its directory");
    std::fs::set_permissions(&config_dir, std::fs::Permissions::from_mode(0o700)).unwrap();

    // OpenLDAP's files: ~/.ldaprc, and $LDAPCONF in a shared directory.
    let ldaprc = home.path().join(".ldaprc");
    std::fs::write(&ldaprc, "URI ldaps://rogue.example\n").unwrap();
    std::fs::set_permissions(&ldaprc, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::remove_file(&config).unwrap();
    let run = run_with(true, &[]);
    run.assert_one_line_error(".ldaprc may be written by others");
    std::fs::remove_file(&ldaprc).unwrap();
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let conf = shared.path().join("ldap.conf");
    std::fs::write(&conf, "URI ldaps://rogue.example\n").unwrap();
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = run_with(true, &[("LDAPCONF", conf.to_str().unwrap())]);
    run.assert_one_line_error("its directory");

    // A password file others may write is not "readable by others".
    let password = home.path().join("pw");
    write_private(&password, "secret");
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o620)).unwrap();
    let run = common::with_env(
        &[
            "show",
            "-H",
            "ldaps://127.0.0.1:9",
            "-D",
            "x@y",
            "-y",
            password.to_str().unwrap(),
            "PC01",
        ],
        &[("HOME", &home_path)],
    );
    run.assert_one_line_error("is writable by others (mode 620)");
}

#[test]
fn small_mistakes_are_one_clear_line() {
    offline(&["audit", "--from-ldif", &demo(), "--output", "json:"])
        .assert_one_line_error("--output json:: no file name after the format");
    offline(&["reset", "PC01", "--from-ldif", &demo(), "--kdc", "dc1"])
        .assert_one_line_error("add --verify");
    offline(&["reset", "PC01", "--verify", "--kdc", "h:88:88"])
        .assert_one_line_error("not HOST[:PORT]");
    offline(&["audit", "--no-such-option"]).assert_one_line_error("--no-such-option");

    // An ignore list saved with a byte order mark, and an endless line that is not echoed.
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("ignore.txt");
    std::fs::write(
        &ignore,
        "\u{feff}missing_spn|CN=PC-NOSPN,OU=Workstations,DC=adc,DC=test|HOST/PC-NOSPN\n",
    )
    .unwrap();
    let run = offline(&[
        "audit",
        "--from-ldif",
        &demo(),
        "--ignore",
        ignore.to_str().unwrap(),
    ]);
    assert!(run.code <= 1, "{}", run.stderr);
    std::fs::write(&ignore, format!("bogus{}\n", "x".repeat(1 << 20))).unwrap();
    let run = offline(&[
        "audit",
        "--from-ldif",
        &demo(),
        "--ignore",
        ignore.to_str().unwrap(),
    ]);
    run.assert_one_line_error("not a finding's id");
    assert!(run.stderr.len() < 400, "{} bytes", run.stderr.len());
}

#[test]
fn a_baseline_resolves_only_what_this_run_read_in_its_own_domain() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let full = demo_audit(&[]);
    assert_eq!(full.code, 1, "{}", full.stderr);
    let findings = full.json()["findings"].as_array().unwrap().len();
    assert!(findings > 5, "{findings}");
    std::fs::write(&baseline, &full.stdout).unwrap();

    // Half the export (ldapsearch's, cut off before its trailer: incomplete): what it did not
    // read is not "resolved", and the run says so.
    let text = std::fs::read_to_string(repo_path("fixtures/demo-domain.ldif")).unwrap();
    let first_export = &text[..text.find("# search result").unwrap()];
    let records: Vec<&str> = first_export.split("\n\n").collect();
    let half = records[..records.len() / 2].join("\n\n") + "\n";
    assert!(!half.contains("result:"), "cut before its trailer");
    let partial = dir.path().join("half.ldif");
    std::fs::write(&partial, half).unwrap();
    let args = |source: &str| {
        vec![
            "audit".to_string(),
            "--from-ldif".into(),
            source.into(),
            "--as-of".into(),
            "2026-11-21".into(),
            "-o".into(),
            "json".into(),
            "--baseline".into(),
            baseline.to_str().unwrap().into(),
        ]
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        offline(&refs)
    };
    let half_run = run(args(partial.to_str().unwrap()));
    let report = half_run.json();
    let resolved = report["resolved"].as_array().map_or(0, Vec::len);
    let gone = findings - report["findings"].as_array().unwrap().len();
    assert!(gone > 0, "the half export has fewer findings");
    assert_eq!(
        resolved, 0,
        "nothing it did not read is resolved: {}",
        report["resolved"]
    );
    assert!(
        report["warnings"]
            .to_string()
            .contains("concern objects this run did not read"),
        "{}",
        report["warnings"]
    );

    // The same report with every DN in another domain: refused, not "all resolved".
    let foreign = dir.path().join("foreign.json");
    std::fs::write(
        &foreign,
        full.stdout.replace("DC=adc,DC=test", "DC=other,DC=example"),
    )
    .unwrap();
    let mut foreign_args = args(&demo());
    *foreign_args.last_mut().unwrap() = foreign.to_str().unwrap().into();
    run(foreign_args).assert_one_line_error("a report of another domain");
}
