//! Exports admins actually make, offline: the classic `ldifde` SPN hunt (files in
//! fixtures/exports, written once to ldifde's documented output format; their README quotes the
//! documentation: CRLF line ends, `changetype: add` in every record, long lines folded with a
//! leading space, non-ASCII values in base64, `-u` for UTF-16 with a byte-order mark), UTF-8
//! files with a byte-order mark, ldapsearch's result trailer, several exports in
//! one file, and exports lacking attributes the checks need. Never "no findings, exit 0" when
//! the audit could not look.

use crate::common;

use common::{Run, offline_with_stdin};
use serde_json::Value;

/// An ldifde record line, folded as ldifde folds it: at most 79 characters a physical line,
/// each continuation starting with one space.
fn ldifde_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= 79 {
        return format!("{line}\r\n");
    }
    let mut out: String = chars[..79].iter().collect();
    out.push_str("\r\n");
    for chunk in chars[79..].chunks(78) {
        out.push(' ');
        out.extend(chunk);
        out.push_str("\r\n");
    }
    out
}

/// `ldifde -f SPNList.txt -l servicePrincipalName -r "(servicePrincipalName=*)"`: each record
/// is its DN, `changetype: add` and the SPNs, nothing else; a blank line before each record.
fn ldifde_spn_export(records: &[(&str, &[&str])]) -> String {
    let mut text = String::new();
    for (dn, spns) in records {
        text.push_str("\r\n");
        if dn.is_ascii() {
            text.push_str(&ldifde_line(&format!("dn: {dn}")));
        } else {
            use base64::Engine;
            let encoded = base64::engine::general_purpose::STANDARD.encode(dn);
            text.push_str(&ldifde_line(&format!("dn:: {encoded}")));
        }
        text.push_str("changetype: add\r\n");
        for spn in *spns {
            text.push_str(&ldifde_line(&format!("servicePrincipalName: {spn}")));
        }
    }
    text.push_str("\r\n");
    text
}

const LONG_SPN: &str =
    "MSSQLSvc/sql-cluster-listener-with-a-very-long-name.databases.corp.example.com:1433";

/// `ldifde -f … -l servicePrincipalName -r "(servicePrincipalName=*)"` of four objects
/// (fixtures/exports/README.md): SQL01 and svc_sql hold one SQL SPN in different case, SQL01
/// and Büro-PC the long one.
fn spn_list_with_duplicates() -> Vec<u8> {
    std::fs::read(common::repo_path("fixtures/exports/ldifde-spnlist.ldf")).unwrap()
}

fn spn_check(export: &[u8], extra: &[&str]) -> Run {
    let args = [&["spn", "check", "--from-ldif", "-", "-o", "json"], extra].concat();
    offline_with_stdin(&args, export)
}

fn duplicate_keys(json: &Value) -> Vec<String> {
    let mut keys: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "duplicate_spn")
        .map(|f| f["key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    keys
}

#[test]
fn the_classic_ldifde_spn_hunt_finds_its_duplicates() {
    let export = spn_list_with_duplicates();
    let run = spn_check(&export, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(
        duplicate_keys(&json),
        [
            LONG_SPN.to_lowercase(),
            "mssqlsvc/sql01.corp.com:1433".to_string()
        ]
    );
    assert_eq!(json["summary"]["accounts_read"], 4, "no record is dropped");
    // Holders without sAMAccountName are named by their DN.
    let holders = &json["findings"][0]["holders"];
    assert!(holders[0].get("account").is_none(), "{holders}");
    assert!(holders[0]["dn"].as_str().unwrap().starts_with("CN="));
    // The checks it could not run say so, with what the export lacks.
    let missing = &json["coverage"]["missing_spn"];
    assert_eq!(missing["examined"], 0);
    assert_eq!(missing["not_checked"], 4);
    let lacking = missing["missing_attributes"].to_string();
    assert!(
        lacking.contains("objectClass") && lacking.contains("sAMAccountName"),
        "{lacking}"
    );
}

#[test]
fn a_clean_spn_export_is_only_clean_for_the_checks_it_can_feed() {
    let export = ldifde_spn_export(&[
        ("CN=A,DC=corp,DC=com", &["HOST/a"]),
        ("CN=B,DC=corp,DC=com", &["HOST/b"]),
    ]);
    let run = spn_check(export.as_bytes(), &[]);
    assert_eq!(
        run.code, 2,
        "missing and stale SPNs were not checked: {}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("missing_spn did not check 2 of 2 objects"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--checks duplicate_spn"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("ldapsearch"),
        "how to export it: {}",
        run.stderr
    );
    let run = spn_check(export.as_bytes(), &["--checks", "duplicate_spn"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty());
    let table = offline_with_stdin(
        &[
            "spn",
            "check",
            "--from-ldif",
            "-",
            "--checks",
            "duplicate_spn",
        ],
        export.as_bytes(),
    );
    assert!(table.stdout.contains("no findings"), "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("Coverage, objects examined: duplicate_spn 2"),
        "{}",
        table.stdout
    );
}

#[test]
fn ldifde_unicode_and_utf8_with_a_mark_read_the_same() {
    let export = spn_list_with_duplicates();
    let plain = spn_check(&export, &[]).json();
    let unicode = spn_check(
        &std::fs::read(common::repo_path("fixtures/exports/ldifde-spnlist-u.ldf")).unwrap(),
        &[],
    );
    assert_eq!(unicode.code, 1, "ldifde -u: {}", unicode.stderr);
    assert_eq!(unicode.json()["findings"], plain["findings"]);
    let mut marked = vec![0xEF, 0xBB, 0xBF];
    marked.extend_from_slice(&export);
    let utf8 = spn_check(&marked, &[]);
    assert_eq!(utf8.code, 1, "UTF-8 with a mark: {}", utf8.stderr);
    assert_eq!(utf8.json()["findings"], plain["findings"]);
    // The non-ASCII DN came through `dn::` intact.
    assert!(plain["findings"].to_string().contains("CN=Büro-PC"));
}

/// A full computer record as ldapsearch writes it, minus the attributes in `without`.
fn computer(name: &str, uac: u32, pwd_days_ago: i64, without: &[&str]) -> String {
    // 2026-11-21T00:00:00Z as FILETIME, minus the days.
    let as_of: i64 = 134_397_792_000_000_000;
    let pwd = as_of - pwd_days_ago * 864_000_000_000;
    let lower = name.to_lowercase();
    let attributes = [
        ("objectClass", "computer".to_string()),
        ("sAMAccountName", format!("{name}$")),
        ("userAccountControl", uac.to_string()),
        ("dNSHostName", format!("{lower}.corp.com")),
        ("servicePrincipalName", format!("HOST/{name}")),
        ("servicePrincipalName", format!("HOST/{lower}.corp.com")),
        ("servicePrincipalName", format!("RestrictedKrbHost/{name}")),
        (
            "servicePrincipalName",
            format!("RestrictedKrbHost/{lower}.corp.com"),
        ),
        ("pwdLastSet", pwd.to_string()),
        ("lastLogonTimestamp", (as_of - 864_000_000_000).to_string()),
        ("msDS-SupportedEncryptionTypes", "28".to_string()),
    ];
    let mut text = format!("dn: CN={name},OU=Workstations,DC=corp,DC=com\n");
    for (attribute, value) in attributes {
        if !without.contains(&attribute) {
            text.push_str(&format!("{attribute}: {value}\n"));
        }
    }
    text + "\n"
}

fn audit(export: &str, extra: &[&str]) -> Run {
    let args = [
        &[
            "audit",
            "--from-ldif",
            "-",
            "-o",
            "json",
            "--as-of",
            "2026-11-21",
        ],
        extra,
    ]
    .concat();
    offline_with_stdin(&args, export.as_bytes())
}

#[test]
fn a_complete_export_of_healthy_computers_is_clean() {
    let export = computer("PC01", 4096, 3, &[]) + &computer("PC02", 4096, 10, &[]);
    let run = audit(&export, &[]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
}

/// An export made without msDS-SupportedEncryptionTypes cannot say which computers the AES-only
/// KDC refuses: no clean bill, and the line says what to export (or what to leave out).
#[test]
fn an_export_without_encryption_types_is_not_clean_for_weak_encryption() {
    let without = ["msDS-SupportedEncryptionTypes"];
    let export = computer("PC01", 4096, 3, &without) + &computer("PC02", 4096, 10, &without);
    let run = audit(&export, &[]);
    assert_eq!(run.code, 2, "{} {}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("weak_encryption")
            && run.stderr.contains("msDS-SupportedEncryptionTypes"),
        "{}",
        run.stderr
    );
    let rc4 = computer("PC01", 4096, 3, &without).replace(
        "lastLogonTimestamp",
        "msDS-SupportedEncryptionTypes: 4\nlastLogonTimestamp",
    );
    let run = audit(&rc4, &["--checks", "weak_encryption"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["findings"][0]["class"], "rc4_only");
    assert_eq!(
        run.json()["findings"][0]["supported_encryption_types"]["names"][0],
        "RC4-HMAC"
    );
}

#[test]
fn without_pwd_last_set_nothing_is_never_set() {
    let export = computer("PC01", 4096, 3, &["pwdLastSet"]);
    let run = audit(&export, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let json = run.json();
    assert!(
        !json["findings"].to_string().contains("never_set"),
        "{json}"
    );
    assert_eq!(json["coverage"]["stale_password"]["not_checked"], 1);
    assert!(run.stderr.contains("no pwdLastSet"), "{}", run.stderr);
}

#[test]
fn without_user_account_control_a_disabled_computer_is_not_taken_for_enabled() {
    // Disabled, with an old password: without its flags, nothing may be said of it.
    let export = computer("PC01", 4098, 300, &["userAccountControl"]);
    let run = audit(&export, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.json()["findings"], serde_json::json!([]));
    assert!(run.stderr.contains("userAccountControl"), "{}", run.stderr);
}

#[test]
fn without_object_class_the_per_computer_checks_say_they_did_not_look() {
    let export = computer("PC01", 4096, 300, &["objectClass"]);
    let run = audit(&export, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let coverage = &run.json()["coverage"];
    for check in ["stale_password", "missing_spn", "stale_spn"] {
        assert_eq!(coverage[check]["not_checked"], 1, "{check}: {coverage}");
    }
    assert_eq!(coverage["duplicate_spn"]["not_checked"], 0);
}

#[test]
fn an_ldapsearch_export_that_ended_early_is_incomplete() {
    for trailer in ["result: 4 Size limit exceeded", "result: 32 No such object"] {
        let export = format!(
            "# extended LDIF\n#\n# LDAPv3\n# base <DC=corp,DC=com> with scope subtree\n# requesting: ALL\n#\n\n{}# search result\nsearch: 2\n{trailer}\n\n# numResponses: 2\n",
            computer("PC01", 4096, 3, &[])
        );
        let run = audit(&export, &[]);
        assert_eq!(run.code, 2, "{trailer}: {}", run.stderr);
        let warnings = run.json()["warnings"].to_string();
        assert!(warnings.contains(trailer), "{warnings}");
        assert!(run.stderr.contains("incomplete"), "{}", run.stderr);
    }
}

#[test]
fn concatenated_exports_are_one_source_and_the_configuration_brings_its_mappings() {
    let domain = format!(
        "version: 1\n\n{}dn: CN=B,DC=corp,DC=com\nobjectClass: user\nsAMAccountName: b\nservicePrincipalName: custom/pc01.corp.com\n\n",
        computer("PC01", 4096, 3, &[])
    );
    let configuration = "version: 1\n\ndn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,DC=corp,DC=com\nobjectClass: nTDSService\nsPNMappings: host=custom\n\n";
    let run = audit(&format!("{domain}{configuration}"), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(duplicate_keys(&run.json()), ["host/pc01.corp.com"]);
    assert_eq!(
        audit(&domain, &[]).code,
        0,
        "without the mappings, custom/ is no alias"
    );
}

#[test]
fn base_narrows_what_is_reported_not_where_holders_are_sought() {
    let export = computer("PC01", 4096, 3, &[])
        + "dn: CN=svc,OU=Service Accounts,DC=corp,DC=com\nobjectClass: user\nsAMAccountName: svc\nservicePrincipalName: host/PC01.corp.com\n\n"
        + &computer("PC02", 4096, 300, &[]).replace("OU=Workstations", "OU=Legacy");
    let run = audit(&export, &["-b", "OU=Workstations,DC=corp,DC=com"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(
        duplicate_keys(&json),
        ["host/pc01.corp.com"],
        "the holder outside -b counts"
    );
    assert!(
        !json["findings"].to_string().contains("PC02"),
        "PC02 is outside -b"
    );
    assert_eq!(json["summary"]["accounts_read"], 1);
    let nowhere = audit(&export, &["-b", "OU=Nowhere,DC=corp,DC=com"]);
    assert_eq!(nowhere.code, 2);
    assert!(
        nowhere
            .stderr
            .contains("no object of the export is under -b"),
        "{}",
        nowhere.stderr
    );
}

#[test]
fn spn_equality_is_the_directorys() {
    let export = ldifde_spn_export(&[
        (
            "CN=A,DC=corp,DC=com",
            &["HOST/x ", "cifs/web.x", "HOST/trailing.dot."],
        ),
        (
            "CN=B,DC=corp,DC=com",
            &["HOST/x", "http/web.x", "HOST/trailing.dot"],
        ),
    ]);
    let run = spn_check(export.as_bytes(), &["--checks", "duplicate_spn"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        duplicate_keys(&run.json()),
        ["host/x"],
        "a trailing space is insignificant; two aliases and a trailing dot are not duplicates"
    );
}

#[test]
fn the_first_mapping_of_a_class_wins() {
    let export = "dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,DC=x\nsPNMappings: host=cifs\nsPNMappings: http=cifs\n\n\
dn: CN=A,DC=x\nservicePrincipalName: host/files.x\n\n\
dn: CN=B,DC=x\nservicePrincipalName: cifs/files.x\n\n";
    let run = spn_check(export.as_bytes(), &["--checks", "duplicate_spn"]);
    let json = run.json();
    assert_eq!(
        duplicate_keys(&json),
        ["host/files.x"],
        "cifs is host's alias, first"
    );
    assert_eq!(json["findings"][0]["via_alias"], true);
}

/// A duplicate's holders are read again from an export file where they lie; a record far
/// longer than the first read of it (a 100 KiB value before its SPNs, and one folded over
/// many lines) is read whole, and the findings are those the same bytes give on standard input.
#[test]
fn holders_with_long_records_are_read_again_whole() {
    let long = "x".repeat(100 << 10);
    let folded: String = long
        .as_bytes()
        .chunks(76)
        .map(|chunk| format!(" {}\n", std::str::from_utf8(chunk).unwrap()))
        .collect();
    let mut export = String::from("version: 1\n\n");
    export.push_str(&computer("ONE", 4096, 3, &[]).replacen(
        "sAMAccountName",
        &format!("description: {long}\nsAMAccountName"),
        1,
    ));
    export.push_str(
        &computer("TWO", 4096, 3, &[])
            .replacen(
                "sAMAccountName",
                &format!("description:\n{folded}sAMAccountName"),
                1,
            )
            .replace("HOST/two.corp.com", "HOST/one.corp.com"),
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &export).unwrap();
    let path = file.path().to_str().unwrap();
    let args = ["audit", "-o", "json", "--as-of", "2026-11-21"];
    let from_file = common::offline(&[&args[..], &["--from-ldif", path]].concat());
    assert_eq!(from_file.code, 1, "{}", from_file.stderr);
    let file_json = from_file.json();
    assert_eq!(
        duplicate_keys(&file_json),
        ["host/one.corp.com"],
        "{}",
        from_file.stderr
    );
    let from_stdin = audit(&export, &[]);
    assert_eq!(file_json["findings"], from_stdin.json()["findings"]);
}

/// A file export large enough to be read in two halves keeps where its SPN holders are instead
/// of their texts, and reads the few a finding may name again: the report equals the one made
/// from the same bytes on standard input (a stream: every text kept). The export holds a
/// duplicate whose holders sit in different halves, an alias duplicate that only the
/// `sPNMappings` at its end make one (so the first half's holders are keyed again), and a
/// look-alike of an SPN in the first half.
#[test]
fn a_large_file_export_reports_what_the_same_export_on_standard_input_does() {
    let mut export = String::from("version: 1\n\n");
    export.push_str(
        &computer("FIRST", 4096, 3, &[]).replace("HOST/first.corp.com", "HOST/shared.corp.com"),
    );
    export.push_str("dn: CN=svc-app,OU=Service Accounts,DC=corp,DC=com\nobjectClass: user\nsAMAccountName: svc-app\nservicePrincipalName: custom/app.corp.com\n\n");
    let mut n = 0;
    // Past 64 MiB, where a file is read by two workers.
    while export.len() < 68 << 20 {
        export.push_str(&computer(&format!("FLEET{n:06}"), 4096, 3, &[]));
        n += 1;
    }
    export.push_str(
        &computer("LAST", 4096, 3, &[]).replace("HOST/last.corp.com", "host/SHARED.corp.com"),
    );
    export.push_str(&computer("APP", 4096, 3, &[]));
    export.push_str("dn: CN=look,OU=Service Accounts,DC=corp,DC=com\nobjectClass: user\nsAMAccountName: look\nservicePrincipalName: RestrictedKrbHost/\u{ff46}irst.corp.com\n\n");
    export.push_str("dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,DC=corp,DC=com\nobjectClass: nTDSService\nsPNMappings: host=custom\n\n");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &export).unwrap();
    let path = file.path().to_str().unwrap();
    let args = ["audit", "-o", "json", "--as-of", "2026-11-21"];
    let from_file = common::offline(&[&args[..], &["--from-ldif", path]].concat());
    let from_stdin = audit(&export, &[]);
    assert_eq!(from_file.code, 1, "{}", from_file.stderr);
    let (file_json, stdin_json) = (from_file.json(), from_stdin.json());
    assert_eq!(
        duplicate_keys(&file_json),
        ["host/app.corp.com", "host/shared.corp.com"],
        "{}",
        from_file.stderr
    );
    let kinds: Vec<&str> = file_json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"confusable_spn"), "{kinds:?}");
    assert_eq!(file_json["findings"], stdin_json["findings"]);
    assert_eq!(file_json["summary"], stdin_json["summary"]);
}
