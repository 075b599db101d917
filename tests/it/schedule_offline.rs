//! Scheduled runs on the demo export: `--output` written whole or not at all (failures,
//! Ctrl-C), `--baseline` on files adcomputer wrote, `--ignore` and `--fail-on` making a
//! nightly job quiet on purpose, Prometheus metrics read by the Python client's parser, and the
//! status line and exit codes of a monitoring plugin (`-o nagios`).

use crate::common;

use common::{offline, repo_path};

fn demo() -> String {
    repo_path("fixtures/demo-domain.ldif").display().to_string()
}

fn audit(extra: &[&str]) -> common::Run {
    let demo = demo();
    let mut args = vec![
        "audit",
        "--from-ldif",
        demo.as_str(),
        "--as-of",
        "2026-11-21",
    ];
    args.extend_from_slice(extra);
    offline(&args)
}

/// `audit -o FORMAT` of an export that holds SPNs and nothing else the checks need.
fn audit_of_spns_only(format: &str) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("spns-only.ldif");
    std::fs::write(
        &export,
        "dn: CN=PC01,DC=adc,DC=test\nservicePrincipalName: HOST/PC01\n\n",
    )
    .unwrap();
    offline(&[
        "audit",
        "--from-ldif",
        export.to_str().unwrap(),
        "-o",
        format,
    ])
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn output_is_written_whole_and_a_failed_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("audit.json");
    let path = report.to_str().unwrap();
    let run = audit(&["-o", "json", "--output", path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "the report went to the file");
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["command"], "audit");
    // A run that fails (an export that cannot be read) leaves the previous report alone, and
    // a first run that fails leaves no file at all.
    let before = std::fs::read(&report).unwrap();
    let run = offline(&[
        "audit",
        "--from-ldif",
        "/nonexistent.ldif",
        "-o",
        "json",
        "--output",
        path,
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(std::fs::read(&report).unwrap(), before);
    let fresh = dir.path().join("never.json");
    let run = offline(&[
        "audit",
        "--from-ldif",
        "/nonexistent.ldif",
        "--output",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(
        files_in(dir.path()),
        ["audit.json"],
        "no file, no temporary"
    );
    // A directory that cannot take the file is one line, exit 2.
    offline(&[
        "audit",
        "--from-ldif",
        &demo(),
        "--output",
        "/nonexistent-dir/x.json",
    ])
    .assert_one_line_error("--output /nonexistent-dir/x.json");
}

/// An export of `computers` computers that were never joined: a finding each.
fn never_joined_export(computers: usize) -> String {
    let mut text = String::with_capacity(computers * 300);
    for i in 0..computers {
        text.push_str(&format!(
            "dn: CN=PRE-{i:06},OU=Staging,DC=adc,DC=test\nobjectClass: computer\ncn: PRE-{i:06}\nsAMAccountName: PRE-{i:06}$\nuserAccountControl: 4096\npwdLastSet: 0\nlastLogonTimestamp: 0\n\n"
        ));
    }
    text
}

#[test]
fn ctrl_c_while_the_report_is_written_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("stale.json");
    for computers in [60_000, 200_000, 600_000] {
        let export = dir.path().join("export.ldif");
        std::fs::write(&export, never_joined_export(computers)).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_adcomputer"))
            .args(["stale", "--checks", "stale_password", "--from-ldif"])
            .arg(&export)
            .args(["-o", "json", "--output"])
            .arg(&target)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the temporary file, then interrupt the run as Ctrl-C would.
        let mut interrupted = false;
        while child.try_wait().unwrap().is_none() {
            if !files_in(&out_dir).is_empty() {
                // SAFETY: signalling our own child.
                unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
                interrupted = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let status = child.wait().unwrap();
        if !interrupted || status.code() == Some(1) {
            // Too fast to catch (it ended before the signal): the report is whole; try a
            // larger one. A run that ignored Ctrl-C ends here too, every time, and fails below.
            assert!(status.code() == Some(1), "{status:?}");
            std::fs::remove_file(&target).unwrap();
            continue;
        }
        // Interrupted: the run died of the signal (its handler removes the temporary file,
        // then lets SIGINT end the process), whether before or after the rename.
        assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
        match files_in(&out_dir).as_slice() {
            [] => eprintln!("interrupted while writing a report of {computers} findings"),
            [whole] if whole == "stale.json" => {
                // The signal came as the file was put in place: then it is whole.
                serde_json::from_str::<serde_json::Value>(
                    &std::fs::read_to_string(&target).unwrap(),
                )
                .expect("a whole report");
            }
            left => panic!("left behind: {left:?}"),
        }
        return;
    }
    panic!("never caught the report being written");
}

#[test]
fn a_baseline_turns_old_findings_quiet_and_new_ones_loud() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("last.json");
    let path = baseline.to_str().unwrap();
    // The first night: no baseline yet, every finding is new, and the report becomes it.
    let run = audit(&["-o", "json", "--baseline", path, "--output", path]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert!(
        first["warnings"][0]
            .as_str()
            .unwrap()
            .contains("does not exist yet"),
        "{}",
        first["warnings"]
    );
    let findings = first["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["baseline"] == "new"));
    assert_eq!(first["summary"]["new"], findings.len());
    // The next night, nothing changed: exit 0, everything unchanged, nothing resolved.
    let run = audit(&["-o", "json", "--baseline", path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let second = run.json();
    assert_eq!(second["summary"]["new"], 0);
    assert_eq!(second["summary"]["failing"], 0);
    assert_eq!(second["summary"]["unchanged"], findings.len());
    assert_eq!(second["resolved"], serde_json::json!([]));
    // A baseline that had one more finding: it is resolved now. One fewer: one is new.
    let mut edited = first.clone();
    let extra = serde_json::json!({"kind": "missing_spn", "dn": "CN=GONE,DC=adc,DC=test", "spn": "HOST/GONE"});
    let dropped = edited["findings"].as_array_mut().unwrap().remove(0);
    edited["findings"].as_array_mut().unwrap().push(extra);
    std::fs::write(&baseline, edited.to_string()).unwrap();
    let run = audit(&["-o", "json", "--baseline", path]);
    assert_eq!(run.code, 1);
    let third = run.json();
    let new: Vec<&serde_json::Value> = third["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["id"], dropped["id"]);
    assert_eq!(third["resolved"][0]["dn"], "CN=GONE,DC=adc,DC=test");
    assert_eq!(third["resolved"][0]["baseline"], "resolved");
    // JSON Lines carries the same marks, the resolved finding last.
    let run = audit(&["-o", "jsonl", "--baseline", path]);
    let last = run.stdout.lines().last().unwrap();
    assert!(last.contains("\"baseline\":\"resolved\""), "{last}");
    // A report of another scope is no baseline for this one (the earlier report covered the
    // whole export).
    audit(&["-b", "OU=Workstations,DC=adc,DC=test", "--baseline", path])
        .assert_one_line_error("that report covers the whole domain, this run -b OU=Workstations");
    // A report of another command is no baseline for this one.
    let run = offline(&["stale", "--from-ldif", &demo(), "--baseline", path]);
    run.assert_one_line_error("a report of `audit`, not of `stale`");
    std::fs::write(&baseline, "garbage").unwrap();
    audit(&["--baseline", path]).assert_one_line_error("--baseline");
}

#[test]
fn an_ignore_list_and_fail_on_make_a_nightly_job_quiet_on_purpose() {
    let all = audit(&["-o", "json"]).json();
    let findings = all["findings"].as_array().unwrap();
    let duplicates: Vec<&str> = findings
        .iter()
        .filter(|f| f["kind"] == "duplicate_spn")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(!duplicates.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("accepted.txt");
    let mut text = "# reviewed 2026-12-01 by the AD team: intentional aliases\n".to_string();
    for id in &duplicates {
        text.push_str(&id.to_uppercase());
        text.push('\n');
    }
    text.push_str("missing_spn|cn=long-gone,dc=adc,dc=test|host/long-gone\n");
    std::fs::write(&list, text).unwrap();
    let list = list.to_str().unwrap();
    let run = audit(&["-o", "json", "--ignore", list]);
    assert_eq!(run.code, 1, "other findings still count");
    let quiet = run.json();
    assert_eq!(quiet["summary"]["duplicate_spn"], 0);
    assert_eq!(quiet["summary"]["ignored"], duplicates.len());
    // Listed apart as ignored, each with its id: still there, not gone.
    let ignored: Vec<&str> = quiet["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ignored, duplicates);
    assert_eq!(
        quiet["summary"]["findings"].as_u64().unwrap() as usize,
        findings.len() - duplicates.len()
    );
    assert!(
        quiet["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains(&format!("line {}", duplicates.len() + 2))),
        "a stale entry is named: {}",
        quiet["warnings"]
    );
    // Only the kinds asked for fail the run; the others are still reported.
    let run = audit(&["-o", "json", "--ignore", list, "--fail-on", "duplicate_spn"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.json()["summary"]["findings"].as_u64().unwrap() > 0);
    assert_eq!(audit(&["--fail-on", "rotation_failing"]).code, 1);
    audit(&["--fail-on", "everything"]).assert_one_line_error("--fail-on everything");
    // A kind this run does not look for could never fail it: refused, not a silent exit 0.
    audit(&["--fail-on", "default_password"])
        .assert_one_line_error("audit does not look for default_password here");
    audit(&["--ignore", "/nonexistent"]).assert_one_line_error("--ignore /nonexistent");
}

#[test]
fn prometheus_metrics_parse_with_the_python_client() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = dir.path().join("adcomputer.prom");
    let run = audit(&["-o", "prometheus", "--output", metrics.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The parser of the official Python client (Debian's python3-prometheus-client).
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
values = {}
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert family.type == "gauge", family
    for sample in family.samples:
        assert sample.labels["command"] == "audit", sample
        key = sample.name + "".join("/%s" % sample.labels[k] for k in sorted(sample.labels) if k != "command")
        values[key] = sample.value
for key in sorted(values):
    print(key, values[key])
"#;
    let output = std::process::Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(&metrics)
        .output()
        .expect("python3 with prometheus_client (Debian: python3-prometheus-client)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed = String::from_utf8(output.stdout).unwrap();
    let value = |key: &str| -> f64 {
        parsed
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key} ")))
            .unwrap_or_else(|| panic!("{key} not in {parsed}"))
            .parse()
            .unwrap()
    };
    let summary = &audit(&["-o", "json"]).json()["summary"];
    for kind in [
        "stale_password",
        "missing_spn",
        "stale_spn",
        "duplicate_spn",
    ] {
        assert_eq!(
            value(&format!("adcomputer_findings/{kind}")),
            summary[kind].as_f64().unwrap(),
            "{kind}"
        );
    }
    assert_eq!(
        value("adcomputer_stale_passwords/never_set"),
        summary["never_set"].as_f64().unwrap()
    );
    assert_eq!(value("adcomputer_run_success"), 1.0);
    assert_eq!(value("adcomputer_coverage_not_checked/stale_password"), 0.0);
    assert!(value("adcomputer_run_timestamp_seconds") > 1.7e9);
    assert!(value("adcomputer_password_age_computers/0-29") > 0.0);
    // An export without the attributes a check needs: the run says it did not look.
    let run = audit_of_spns_only("prometheus");
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("adcomputer_run_success{command=\"audit\"} 0")
    );
    // Formats only check commands have are refused elsewhere, before anything runs.
    offline(&["spn", "fix", "--from-ldif", &demo(), "-o", "html"])
        .assert_one_line_error("-o html: only stale, spn check and audit");
}

#[test]
fn one_run_writes_several_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let run = audit(&[
        "-o",
        "csv",
        "--output",
        &format!("json:{}", path("audit.json")),
        "--output",
        &format!("prometheus:{}", path("audit.prom")),
        "--output",
        &format!("html:{}", path("audit.html")),
        "--output",
        &path("audit.csv"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path("audit.json")).unwrap()).unwrap();
    let findings = json["summary"]["findings"].as_u64().unwrap();
    let prom = std::fs::read_to_string(path("audit.prom")).unwrap();
    assert!(prom.contains("adcomputer_findings_failing{command=\"audit\"} "));
    let html = std::fs::read_to_string(path("audit.html")).unwrap();
    assert!(html.contains(&format!("<b id=\"count-findings\">{findings}</b>")));
    let csv = std::fs::read_to_string(path("audit.csv")).unwrap();
    assert_eq!(
        csv.lines().count() as u64,
        findings + 1,
        "a header and a row a finding"
    );
    audit(&["--output", &path("a.json"), "--output", &path("a.json")])
        .assert_one_line_error("named twice");
}

/// A plugin's output as the Nagios plugin guidelines define it: one line, `TEXT | PERFDATA`,
/// each performance datum `label=value[unit]`. Returns (status word, perfdata by label).
fn plugin_line(stdout: &str) -> (String, std::collections::HashMap<String, String>) {
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    let (text, perfdata) = stdout
        .trim_end()
        .split_once(" | ")
        .expect("text | perfdata");
    assert!(!text.contains('|'), "{text}");
    let status = text.split_whitespace().nth(2).unwrap().to_string();
    let data = perfdata
        .split(' ')
        .map(|datum| {
            let (label, value) = datum.split_once('=').expect("label=value");
            let number = value.trim_end_matches('s');
            assert!(number.parse::<f64>().is_ok(), "{datum}");
            (label.to_string(), number.to_string())
        })
        .collect();
    (status, data)
}

#[test]
fn as_a_monitoring_plugin_it_speaks_the_plugin_language() {
    let run = audit(&["-o", "nagios"]);
    assert_eq!(run.code, 1, "WARNING");
    let (status, data) = plugin_line(&run.stdout);
    assert_eq!(status, "WARNING");
    assert!(
        run.stdout
            .starts_with("ADCOMPUTER AUDIT WARNING - 28 of 28 findings"),
        "{}",
        run.stdout
    );
    assert_eq!(data["findings"], "28");
    assert_eq!(data["duplicate_spn"], "4");
    // The next night, nothing new: OK, exit 0.
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("last.json");
    audit(&["-o", "json", "--output", baseline.to_str().unwrap()]);
    let run = audit(&["-o", "nagios", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!((run.code, plugin_line(&run.stdout).0.as_str()), (0, "OK"));
    assert!(
        run.stdout.contains("28 findings, none failing the run"),
        "{}",
        run.stdout
    );
    // A run that could not look at everything, and one that could not run: UNKNOWN, exit 3.
    let run = audit_of_spns_only("nagios");
    assert_eq!(
        (run.code, plugin_line(&run.stdout).0.as_str()),
        (3, "UNKNOWN")
    );
    let run = offline(&["audit", "--from-ldif", "/nonexistent.ldif", "-o", "nagios"]);
    assert_eq!(run.code, 3);
    assert!(
        run.stdout
            .starts_with("ADCOMPUTER AUDIT UNKNOWN - cannot open /nonexistent.ldif"),
        "{}",
        run.stdout
    );
    // A bad option is UNKNOWN too, with its status line (the guidelines' 3, not 2).
    let run = offline(&["audit", "-o", "nagios", "--no-such-option"]);
    assert_eq!(run.code, 3, "{} {}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("ADCOMPUTER AUDIT UNKNOWN - unexpected argument"),
        "{}",
        run.stdout
    );
    // --critical-on: duplicates make the check CRITICAL (exit 2); others stay WARNING.
    let run = audit(&["-o", "nagios", "--critical-on", "duplicate_spn"]);
    let (status, data) = plugin_line(&run.stdout);
    assert_eq!(
        (run.code, status.as_str()),
        (2, "CRITICAL"),
        "{}",
        run.stdout
    );
    assert_eq!(data["critical"], "4");
    let json = audit(&["-o", "json", "--critical-on", "duplicate_spn"]);
    assert_eq!(json.code, 1, "other formats keep exit 1");
    assert_eq!(json.json()["summary"]["critical"], 4);
}

/// A run that exits 1 with its report in a file (or as JSON) says what broke on stderr, in one
/// line: counts by kind, the first new ids with a baseline, the file; `-q` silences it, and a
/// table on stdout needs no summary.
#[test]
fn a_run_that_exits_1_says_what_broke_on_stderr_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.json");
    let output = format!("json:{}", file.display());
    let run = audit(&["--output", &output]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    let line = run.stderr.trim_end();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("adcomputer audit: 28 finding(s) fail the run (")
            && line.contains("duplicate_spn 4")
            && line.ends_with(&format!("report: {}", file.display())),
        "{line}"
    );
    // With a baseline: the new ones' ids, the first few.
    let empty = dir.path().join("empty.json");
    let run = audit(&["-o", "json", "--baseline", empty.to_str().unwrap()]);
    assert!(
        run.stderr.contains("; new: ") && run.stderr.contains(" and 25 more"),
        "{}",
        run.stderr
    );
    let quiet = audit(&["--output", &output, "-q"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (1, ""));
    let table = audit(&[]);
    assert!(!table.stderr.contains("fail the run"), "{}", table.stderr);
}
