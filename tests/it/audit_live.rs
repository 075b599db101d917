//! `stale`, `spn check` and `audit` against the seeded Samba DC: the exact findings for every
//! fixture object, JSON and CSV agreeing, exit codes, the global catalog, and live == offline.

use crate::common;

use common::{live, test_dc};
use serde_json::Value;

/// (kind, account or key, detail): detail is the class, the SPN, or the holders' accounts.
fn digest(findings: &Value) -> Vec<(String, String, String)> {
    findings
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let text = |name: &str| f[name].as_str().unwrap_or_default().to_string();
            match f["kind"].as_str().unwrap() {
                "stale_password" => (text("kind"), text("account"), text("class")),
                "missing_spn" => (text("kind"), text("account"), text("spn")),
                "weak_encryption" => (text("kind"), text("account"), text("class")),
                "rotation_policy" => (
                    text("kind"),
                    f["gpo"]["name"].as_str().unwrap_or_default().to_string(),
                    format!("{} {}", text("class"), f["computers"]),
                ),
                "stale_spn" => (
                    text("kind"),
                    text("account"),
                    format!("{} -> {}", text("spn"), text("replacement")),
                ),
                "duplicate_spn" => {
                    let holders: Vec<String> = f["holders"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|h| {
                            format!(
                                "{}={}",
                                h["account"].as_str().unwrap(),
                                h["spn"].as_str().unwrap()
                            )
                        })
                        .collect();
                    let alias = if f["via_alias"] == true { "alias " } else { "" };
                    (
                        text("kind"),
                        text("key"),
                        format!("{alias}{}", holders.join(" ")),
                    )
                }
                "default_password" => (text("kind"), text("account"), String::new()),
                "ownership" => (
                    text("kind"),
                    text("dn"),
                    format!("{} {}", text("class"), f["quota"]),
                ),
                other => (other.to_string(), text("name"), String::new()),
            }
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

const STALE: &[(&str, &str, &str)] = &[
    // Under "Kiosks never rotate": the policy, not the machine.
    ("stale_password", "KIOSK-NR01$", "rotation_suppressed"),
    // OU=Lab blocks inheritance of that policy.
    ("stale_password", "LAB-PC01$", "rotation_failing"),
    ("stale_password", "PC-INACTIVE$", "inactive"),
    ("stale_password", "PC-PRESTAGED$", "never_set"),
    ("stale_password", "PC-ROTFAIL$", "rotation_failing"),
];

const SPN_RULES: &[(&str, &str, &str)] = &[
    (
        "missing_spn",
        "PC-HOSTONLY$",
        "RestrictedKrbHost/PC-HOSTONLY",
    ),
    (
        "missing_spn",
        "PC-HOSTONLY$",
        "RestrictedKrbHost/pc-hostonly.adc.test",
    ),
    ("missing_spn", "PC-MIGRATED$", "HOST/pc-migrated.adc.test"),
    (
        "missing_spn",
        "PC-MIGRATED$",
        "RestrictedKrbHost/pc-migrated.adc.test",
    ),
    ("missing_spn", "PC-NOSPN$", "HOST/PC-NOSPN"),
    ("missing_spn", "PC-NOSPN$", "HOST/pc-nospn.adc.test"),
    ("missing_spn", "PC-NOSPN$", "RestrictedKrbHost/PC-NOSPN"),
    (
        "missing_spn",
        "PC-NOSPN$",
        "RestrictedKrbHost/pc-nospn.adc.test",
    ),
    ("missing_spn", "PC-PRESTAGED$", "HOST/PC-PRESTAGED"),
    (
        "missing_spn",
        "PC-PRESTAGED$",
        "RestrictedKrbHost/PC-PRESTAGED",
    ),
    ("missing_spn", "RDS-GW01$", "TERMSRV/rds-gw01.adc.test"),
    (
        "stale_spn",
        "PC-MIGRATED$",
        "HOST/pc-migrated.olddomain.test -> HOST/pc-migrated.adc.test",
    ),
    (
        "stale_spn",
        "PC-MIGRATED$",
        "RestrictedKrbHost/pc-migrated.olddomain.test -> RestrictedKrbHost/pc-migrated.adc.test",
    ),
];

/// The seeded Group Policy (samba-testenv/seed): the DCs' workaround, the never-rotate OU, and
/// the enforced long maximum age that reaches OU=Lab through its blocked inheritance. The
/// disabled link (OU=Servers) and the GPO with computer settings disabled (OU=Workstations)
/// say nothing.
const POLICY: &[(&str, &str, &str)] = &[
    (
        "rotation_policy",
        "DCs refuse password changes",
        "dcs_refuse_changes 2",
    ),
    (
        "rotation_policy",
        "Kiosks never rotate",
        "members_never_rotate 2",
    ),
    (
        "rotation_policy",
        "Long machine password age",
        "long_max_age 2",
    ),
];

/// Samba's default machine account quota: any user may add ten computers.
const OWNERSHIP: &[(&str, &str, &str)] =
    &[("ownership", "DC=adc,DC=test", "machine_account_quota 10")];

/// The accounts of OU=Encryption that the directory alone finds (no KDC probe).
const ENCRYPTION: &[(&str, &str, &str)] = &[
    ("weak_encryption", "ENC-DES$", "des_enabled"),
    ("weak_encryption", "ENC-RC4CFG$", "rc4_only"),
];

const DUPLICATES: &[(&str, &str, &str)] = &[
    (
        "duplicate_spn",
        "host/files.adc.test",
        "alias SRV-FILES02$=HOST/files.adc.test svc-files=cifs/files.adc.test",
    ),
    (
        "duplicate_spn",
        "host/pc-dupa.adc.test",
        "PC-DUPA$=HOST/pc-dupa.adc.test PC-DUPB$=host/PC-DUPA.ADC.TEST",
    ),
    (
        "duplicate_spn",
        "mssqlsvc/sql01.adc.test:1433",
        "SQL01$=MSSQLSvc/sql01.adc.test:1433 svc-sql=MSSQLSvc/sql01.adc.test:1433",
    ),
];

fn json_of(args: &[&str]) -> (i32, Value) {
    // -q: the nightly summary aside, stderr must be empty (no warning).
    let run = live(&[args, &["-q"]].concat());
    assert!(run.stderr.is_empty(), "stderr: {}", run.stderr);
    (run.code, run.json())
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn audit_reports_exactly_the_seeded_problems() {
    let _domain = common::pristine_domain();
    let (code, json) = json_of(&["audit", "-o", "json"]);
    assert_eq!(code, 1);
    assert_eq!(json["command"], "audit");
    let expected = owned(&[STALE, SPN_RULES, DUPLICATES, ENCRYPTION, POLICY, OWNERSHIP].concat());
    assert_eq!(digest(&json["findings"]), expected);
    // Healthy machines, the intentional HTTP/intranet alias and the disabled PC say nothing
    // (the DCs appear only among the computers the DCs' rotation policy covers).
    let about_accounts: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] != "rotation_policy")
        .collect();
    let text = serde_json::to_string(&about_accounts).unwrap();
    for quiet in [
        "WS-HEALTHY01",
        "SRV-RDS01",
        "SRV-WEB01",
        "intranet",
        "PC-DISABLED",
        "\"KIOSK$\"",
        "KIOSK-OLD$",
        "DC1$",
        "DC2$",
    ] {
        assert!(!text.contains(quiet), "{quiet} has findings: {text}");
    }
    assert_eq!(
        json["summary"]["computers"], 32,
        "the fixtures, OU=Encryption's six, OU=Kiosks' four and both DCs"
    );
    assert_eq!(json["summary"]["findings"], expected.len());
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn stale_classifies_and_marks() {
    let _domain = common::pristine_domain();
    let (code, json) = json_of(&["stale", "-o", "json"]);
    assert_eq!(code, 1);
    assert_eq!(digest(&json["findings"]), owned(STALE));
    let rotation = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account"] == "PC-ROTFAIL$")
        .unwrap();
    assert_eq!(rotation["password_age_days"], 120);
    assert_eq!(rotation["domain_controller"], false);
    let (_, with_disabled) = json_of(&["stale", "--include-disabled", "-o", "json"]);
    let disabled: Vec<_> = digest(&with_disabled["findings"])
        .into_iter()
        .filter(|(_, account, _)| account == "PC-DISABLED$")
        .collect();
    assert_eq!(
        disabled,
        owned(&[("stale_password", "PC-DISABLED$", "inactive")])
    );
    // With a 400-day limit only the never-set account remains; DCs are examined and healthy.
    let (_, lenient) = json_of(&["stale", "--days", "400", "-o", "json"]);
    assert_eq!(
        digest(&lenient["findings"]),
        owned(&[("stale_password", "PC-PRESTAGED$", "never_set")])
    );
    // A scope without stale machines exits 0.
    let (code, servers) = json_of(&["stale", "-b", "OU=Servers,DC=adc,DC=test", "-o", "json"]);
    assert_eq!(
        (code, servers["summary"]["findings"].clone()),
        (0, 0.into())
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn spn_check_names_narrow_rules_but_not_duplicates() {
    let _domain = common::pristine_domain();
    let (code, json) = json_of(&[
        "spn", "check", "-o", "json", "--expect", "WSMAN", "PC-DUPA", "NO-SUCH",
    ]);
    assert_eq!(code, 1);
    let expected = owned(
        &[
            &[
                ("missing_spn", "PC-DUPA$", "WSMAN/PC-DUPA"),
                ("missing_spn", "PC-DUPA$", "WSMAN/pc-dupa.adc.test"),
            ][..],
            DUPLICATES,
            &[("not_found", "NO-SUCH", "")],
        ]
        .concat(),
    );
    assert_eq!(digest(&json["findings"]), expected);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn forest_duplicates_come_from_the_global_catalog() {
    let _domain = common::pristine_domain();
    let (_, domain) = json_of(&["spn", "check", "-o", "json"]);
    // -v says where each search went: with --forest, the holders come from the global catalog
    // (port 3269, the forest's root, base "") and not from the domain.
    let forest_run = live(&["-v", "spn", "check", "--forest", "-o", "json"]);
    assert!(
        forest_run
            .stderr
            .contains("connected dc=ldaps://dc1.adc.test:3269"),
        "{}",
        forest_run.stderr
    );
    assert!(
        forest_run
            .stderr
            .contains("search base=\"\" filter=\"(servicePrincipalName=*)\""),
        "{}",
        forest_run.stderr
    );
    let forest = forest_run.json();
    assert_eq!(digest(&forest["findings"]), digest(&domain["findings"]));
    assert_eq!(
        digest(&forest["findings"]),
        owned(&[SPN_RULES, DUPLICATES].concat())
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn csv_carries_the_same_findings_as_json() {
    let _domain = common::pristine_domain();
    let (_, json) = json_of(&["audit", "-o", "json"]);
    let run = live(&["audit", "-o", "csv"]);
    assert_eq!(run.code, 1);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(rows.len(), findings.len());
    for (row, finding) in rows.iter().zip(findings) {
        for (column, value) in headers.iter().zip(row.iter()) {
            let expected = match &finding[column] {
                Value::Null => String::new(),
                Value::String(text) => text.clone(),
                // supported_encryption_types: its number; gpo: its GUID.
                Value::Object(object) if object.contains_key("guid") => {
                    object["guid"].as_str().unwrap().to_string()
                }
                Value::Object(object) => object["value"].to_string(),
                // keys: the names.
                Value::Array(names) if names.iter().all(Value::is_string) => names
                    .iter()
                    .map(|name| name.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(";"),
                Value::Array(holders) => holders
                    .iter()
                    .map(|h| {
                        format!(
                            "{}|{}|{}",
                            h["account"].as_str().unwrap(),
                            h["dn"].as_str().unwrap(),
                            h["spn"].as_str().unwrap()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
                other => other.to_string(),
            };
            assert_eq!(value, expected, "column {column} of {finding}");
        }
    }
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn offline_audit_of_an_ldapsearch_export_equals_the_live_one() {
    let _domain = common::pristine_domain();
    let dir = tempfile::tempdir().unwrap();
    let ldif = dir.path().join("export.ldif");
    let mut attributes = adcomputer::ACCOUNT_ATTRIBUTES.to_vec();
    attributes.push("ms-DS-MachineAccountQuota");
    common::export_domain(&ldif, &attributes);

    let as_of = "2026-11-21T12:00:00Z";
    let (live_code, live_json) = json_of(&["audit", "-o", "json", "--as-of", as_of]);
    let offline = common::offline(&[
        "audit",
        "-o",
        "json",
        "--as-of",
        as_of,
        "--from-ldif",
        ldif.to_str().unwrap(),
    ]);
    assert_eq!(offline.code, live_code, "{}", offline.stderr);
    let offline_json = offline.json();
    let live_json = common::without_group_policy(live_json);
    assert_eq!(offline_json["findings"], live_json["findings"]);
    assert_eq!(offline_json["summary"], live_json["summary"]);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn probes_find_the_account_left_with_its_default_password() {
    let _domain = common::pristine_domain();
    // A successful probe is a logon: it sets lastLogonTimestamp. Put the fixture back to
    // "never logged on" first (the DC refuses this over LDAP; write the partition directly).
    let dc = test_dc();
    let change = "dn: CN=KIOSK-SPARE,OU=Staging,DC=adc,DC=test\nchangetype: modify\ndelete: lastLogonTimestamp\n";
    let mut ldbmodify = std::process::Command::new("ldbmodify")
        .args([
            "-H",
            &format!("{}/private/sam.ldb.d/DC=ADC,DC=TEST.ldb", dc.dir),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run ldbmodify");
    use std::io::Write;
    ldbmodify
        .stdin
        .take()
        .unwrap()
        .write_all(change.as_bytes())
        .unwrap();
    ldbmodify.wait().unwrap(); // fails harmlessly when the attribute is already absent
    let run = live(&["audit", "--probe-default-passwords", "-o", "json"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("counts toward lockout"),
        "{}",
        run.stderr
    );
    let probed: Vec<_> = digest(&run.json()["findings"])
        .into_iter()
        .filter(|(kind, _, _)| kind == "default_password")
        .collect();
    assert_eq!(probed, owned(&[("default_password", "KIOSK-SPARE$", "")]));
    // --probe-all tries computers that logged on too, but never a domain controller: -v names
    // every account tried (Samba keeps no badPwdCount without a lockout threshold, so the
    // run's own log is the witness).
    let all = live(&[
        "-v",
        "audit",
        "--probe-default-passwords",
        "--probe-all",
        "-o",
        "json",
    ]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    let text = all.json()["findings"].to_string();
    assert!(text.contains("KIOSK-SPARE$"), "{text}");
    let tried: Vec<&str> = all
        .stderr
        .lines()
        .filter(|line| line.contains("default password probe"))
        .filter_map(|line| line.split("account=").nth(1)?.split_whitespace().next())
        .map(|account| account.trim_matches('"'))
        .collect();
    assert!(tried.contains(&"WS-HEALTHY01$"), "{tried:?}");
    assert!(tried.contains(&"KIOSK-SPARE$"), "{tried:?}");
    assert!(
        !tried
            .iter()
            .any(|account| account.starts_with("DC1") || account.starts_with("DC2")),
        "a DC was tried: {tried:?}"
    );
    let plain = live(&["-v", "audit", "--probe-default-passwords", "-o", "json"]);
    assert!(
        !plain.stderr.contains("account=\"WS-HEALTHY01$\""),
        "without --probe-all only computers that never logged on are tried"
    );
    common::offline(&[
        "audit",
        "--probe-default-passwords",
        "--from-ldif",
        "/dev/null",
    ])
    .assert_one_line_error("--probe-default-passwords (a KDC logon) needs a live DC");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn small_pages_give_the_same_audit() {
    let _domain = common::pristine_domain();
    let args = [
        "-v",
        "audit",
        "-o",
        "json",
        "--as-of",
        "2026-11-21T12:00:00Z",
    ];
    let (whole_run, paged_run) = (
        live(&args),
        live(&[&args[..], &["--page-size", "5"]].concat()),
    );
    // The scan's search line: one page by default, one per 5 entries with --page-size 5.
    let pages = |stderr: &str| -> (usize, usize) {
        let line = stderr
            .lines()
            .find(|line| {
                line.contains("search base=\"DC=adc,DC=test\" filter=\"(|(objectClass=computer)")
            })
            .unwrap_or_else(|| panic!("no scan in: {stderr}"));
        let field = |name: &str| -> usize {
            line.split_whitespace()
                .find_map(|word| word.strip_prefix(&format!("{name}=")))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {line}"))
        };
        (field("entries"), field("pages"))
    };
    let (entries, one) = pages(&whole_run.stderr);
    assert_eq!(one, 1, "{}", whole_run.stderr);
    let (paged_entries, many) = pages(&paged_run.stderr);
    assert_eq!(paged_entries, entries);
    // At least one page per 5 entries (Samba may end with an empty page).
    assert!(
        many >= entries.div_ceil(5) && many > 1,
        "{}",
        paged_run.stderr
    );
    let (whole, paged) = (whole_run.json(), paged_run.json());
    assert_eq!(paged["findings"], whole["findings"]);
    assert_eq!(paged["summary"], whole["summary"]);
    assert!(
        whole["summary"]["accounts_read"].as_u64().unwrap() > 20,
        "several pages of 5"
    );
}

/// `audit` lists each DC with its operating system; when every DC runs Windows Server 2025 it
/// says to keep an earlier DC while rotation failures persist.
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn audit_lists_the_dcs_and_notes_an_all_2025_domain() {
    let _domain = common::pristine_domain();
    let dc = common::test_dc();
    let run = common::live(&["audit", "-o", "json"]);
    let report = run.json();
    common::assert_documented(&report);
    let dcs: Vec<(String, Value)> = report["domain_controllers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|dc| {
            (
                dc["account"].as_str().unwrap().to_string(),
                dc["operating_system"].clone(),
            )
        })
        .collect();
    assert_eq!(dcs.len(), 2, "{dcs:?}");
    assert_eq!(dcs[0], ("DC1$".to_string(), Value::from("Samba")));
    assert_eq!(report["notes"], serde_json::json!([]));
    let set = |os: &str| {
        for name in ["DC1", "DC2"] {
            common::raw_modify(&format!(
                "dn: CN={name},OU=Domain Controllers,{}\nchangetype: modify\nreplace: operatingSystem\noperatingSystem: {os}\n-\n",
                dc.base
            ));
        }
    };
    set("Windows Server 2025 Datacenter");
    let all_2025 = common::live(&["audit", "-o", "json"]).json();
    let notes = all_2025["notes"].to_string();
    assert!(notes.contains("earlier version"), "{notes}");
    let table = common::live(&["audit"]);
    assert!(
        table
            .stdout
            .contains("Note: every DC runs Windows Server 2025"),
        "{}",
        table.stdout
    );
    set("Samba");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn each_check_alone_asks_for_less_and_finds_what_the_whole_audit_finds() {
    let _domain = common::pristine_domain();
    let as_of = "2026-11-21T12:00:00Z";
    let (_, whole) = json_of(&["audit", "-o", "json", "--as-of", as_of]);
    let of_kind = |report: &Value, kind: &str| -> Vec<Value> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == kind)
            .map(|f| {
                // The account's most likely cause ranks every finding the run made of it.
                let mut finding = f.clone();
                finding.as_object_mut().unwrap().remove("cause");
                finding
            })
            .collect()
    };
    let mut found_some = 0;
    for check in [
        "stale_password",
        "missing_spn",
        "stale_spn",
        "duplicate_spn",
        "confusable_spn",
        "weak_encryption",
        "delegation",
        "ownership",
        "laps",
        "unsupported_os",
    ] {
        // A scan for one check asks the DC only for the common attributes and the check's own:
        // it must find exactly what the scan for every check finds of that kind.
        let (_, alone) = json_of(&["audit", "--checks", check, "-o", "json", "--as-of", as_of]);
        assert_eq!(of_kind(&alone, check), of_kind(&whole, check), "{check}");
        assert_eq!(
            alone["coverage"][check], whole["coverage"][check],
            "{check}"
        );
        found_some += usize::from(!of_kind(&alone, check).is_empty());
    }
    assert!(
        found_some >= 5,
        "the seeded domain has findings of most kinds"
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_scan_read_in_parts_over_several_connections_reads_each_object_once() {
    let _domain = common::pristine_domain();
    let as_of = "2026-11-21T12:00:00Z";
    let run = |connections: &str| {
        let args = [
            "audit",
            "-o",
            "json",
            "--as-of",
            as_of,
            "--connections",
            connections,
            "-v",
        ];
        let run = live(&args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        (run.json(), run.stderr)
    };
    let (one, log) = run("1");
    assert!(!log.contains("uSNCreated"), "one search: {log}");
    for connections in ["2", "3", "8"] {
        let (parts, log) = run(connections);
        // Each part a uSNCreated range; every object read once: the same objects, findings,
        // counts and coverage as one search.
        assert!(log.contains("(uSNCreated<="), "{log}");
        for field in ["findings", "summary", "coverage"] {
            assert_eq!(
                parts[field], one[field],
                "{field} with {connections} connections"
            );
        }
    }
    assert!(one["summary"]["accounts_read"].as_u64() > Some(30));
}
