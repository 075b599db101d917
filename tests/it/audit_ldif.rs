//! `audit`, `stale` and `spn check` on LDIF: the bundled demo domain (README's main command),
//! an export's own sPNMappings, and usage errors.

use crate::common;

use common::{offline, offline_with_stdin, repo_path};

fn demo() -> String {
    repo_path("fixtures/demo-domain.ldif").display().to_string()
}

fn kinds_and_subjects(json: &serde_json::Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let subject = f["account"]
                .as_str()
                .or(f["key"].as_str())
                .unwrap_or_default();
            (f["kind"].as_str().unwrap().to_string(), subject.to_string())
        })
        .collect()
}

#[test]
fn demo_domain_audit_finds_the_seeded_problems() {
    let run = offline(&[
        "audit",
        "--from-ldif",
        &demo(),
        "--as-of",
        "2026-11-21",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["as_of"], "2026-11-21T00:00:00Z");
    let found = kinds_and_subjects(&json);
    for expected in [
        ("stale_password", "PC-ROTFAIL$"),
        ("stale_password", "PC-INACTIVE$"),
        ("stale_password", "PC-PRESTAGED$"),
        ("missing_spn", "PC-NOSPN$"),
        ("stale_spn", "PC-MIGRATED$"),
        ("duplicate_spn", "host/files.adc.test"),
        ("duplicate_spn", "host/pc-dupa.adc.test"),
        ("duplicate_spn", "mssqlsvc/sql01.adc.test:1433"),
    ] {
        let expected = (expected.0.to_string(), expected.1.to_string());
        assert!(
            found.contains(&expected),
            "{expected:?} missing from {found:?}"
        );
    }
    assert!(
        !found
            .iter()
            .any(|(_, subject)| subject.starts_with("WS-HEALTHY01"))
    );
    assert_eq!(json["summary"]["computers"], 321);
}

#[test]
fn demo_domain_table_is_grouped_with_counts() {
    let run = offline(&["audit", "--from-ldif", &demo(), "--as-of", "2026-11-21"]);
    assert_eq!(run.code, 1);
    for heading in [
        "Stale machine passwords:",
        "Missing SPNs:",
        "Stale SPNs",
        "Duplicate SPNs:",
    ] {
        assert!(run.stdout.contains(heading), "{heading} in {}", run.stdout);
    }
    assert!(run.stdout.contains("321 computers"), "{}", run.stdout);
    assert!(
        run.stderr.is_empty(),
        "nothing but the report on stdout: {}",
        run.stderr
    );
}

#[test]
fn an_exports_own_spn_mappings_win() {
    let ldif = b"dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,DC=x\n\
sPNMappings: host=custom\n\n\
dn: CN=A,DC=x\nobjectClass: computer\nsAMAccountName: A$\nservicePrincipalName: HOST/a.x\n\n\
dn: CN=B,DC=x\nobjectClass: user\nsAMAccountName: b\nservicePrincipalName: custom/a.x\n\n\
dn: CN=C,DC=x\nobjectClass: user\nsAMAccountName: c\nservicePrincipalName: cifs/a.x\n";
    let run = offline_with_stdin(&["spn", "check", "--from-ldif", "-", "-o", "json"], ldif);
    let duplicates: Vec<_> = kinds_and_subjects(&run.json())
        .into_iter()
        .filter(|(kind, _)| kind == "duplicate_spn")
        .collect();
    // custom/ maps to HOST/ here; cifs/ no longer does.
    assert_eq!(
        duplicates,
        [("duplicate_spn".to_string(), "host/a.x".to_string())]
    );
}

#[test]
fn a_clean_scope_exits_0_and_bad_dates_exit_2() {
    let ldif = b"dn: CN=A,DC=x\nobjectClass: computer\nsAMAccountName: A$\nuserAccountControl: 4096\npwdLastSet: 134000000000000000\n";
    let run = offline_with_stdin(
        &["stale", "--from-ldif", "-", "--as-of", "2025-08-18"],
        ldif,
    );
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no findings"), "{}", run.stdout);
    offline(&["stale", "--from-ldif", &demo(), "--as-of", "last tuesday"])
        .assert_one_line_error("--as-of last tuesday: use 2026-11-21");
    offline(&["spn", "check", "--forest", "--from-ldif", &demo()])
        .assert_one_line_error("--forest needs a live DC");
}
