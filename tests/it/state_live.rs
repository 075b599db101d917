//! Nightly runs with `--state DIR` against the Samba test DC (issue 25): after ten changes made
//! over LDAP (an added computer, a deleted one, a moved one, a renamed one, an SPN holder that
//! is no longer one, attributes each check reads), a run that asks the DC only for what changed
//! finds exactly what a full read finds; every state the DC or the file cannot vouch for —
//! corrupt, forged from another DC or a restored one, older than the tombstone lifetime, read
//! as someone else or with fewer attributes, writable by others — is a full read said in
//! `warnings`, never wrong findings. A reader who cannot see deleted objects (helpdesk) still
//! reads only the changes, and forgets what the DC no longer lists.

use serde_json::Value;

use crate::common::{self, Seeded, as_operator, ldap_tool, live, offline, test_dc};

/// A fixed "now" for every run, so that ages cannot move between the runs compared.
const AS_OF: &str = "2026-12-07T00:00:00Z";

/// `command` (audit by default) against the test DC, with `--state dir`: its JSON report.
fn with_state(dir: &std::path::Path, command: &[&str]) -> Value {
    let args = [command, &["-o", "json", "--as-of", AS_OF, "--state"]].concat();
    let run = live(&[&args[..], &[dir.to_str().unwrap()]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.json()
}

/// The same without `--state`: a full read.
fn full(command: &[&str]) -> Value {
    let run = live(&[command, &["-o", "json", "--as-of", AS_OF]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.json()
}

/// A report's findings, sorted by id: what two reads must agree on.
fn findings(report: &Value) -> Vec<Value> {
    let mut all = report["findings"].as_array().unwrap().clone();
    all.sort_by_key(|finding| finding["id"].as_str().unwrap().to_string());
    all
}

/// The one state file of the test DC in `dir`.
fn state_file(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("dc1.adc.test.state")
}

/// Rewrites the state file's JSON header with `change`, its digest made again (the file's
/// documented layout: a magic line, a header line, the records, SHA-256 of all before it).
fn forge(dir: &std::path::Path, change: impl Fn(&mut Value)) {
    let path = state_file(dir);
    let bytes = std::fs::read(&path).unwrap();
    let body = &bytes[..bytes.len() - 32];
    let magic = body.iter().position(|byte| *byte == b'\n').unwrap() + 1;
    let header_end = magic + body[magic..].iter().position(|b| *b == b'\n').unwrap();
    let mut header: Value = serde_json::from_slice(&body[magic..header_end]).unwrap();
    change(&mut header);
    let mut forged = body[..magic].to_vec();
    forged.extend(serde_json::to_vec(&header).unwrap());
    forged.extend(&body[header_end..]);
    let digest = ring::digest::digest(&ring::digest::SHA256, &forged);
    forged.extend(digest.as_ref());
    std::fs::write(&path, forged).unwrap();
}

/// The warnings of a report that name `--state`.
fn state_warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str().filter(|w| w.starts_with("--state")))
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn after_ten_changes_a_run_reading_only_them_finds_what_a_full_read_finds() {
    let _domain = common::pristine_domain();
    // One at a time: the other test compares reads that this one's changes would move.
    let _serial = common::serial();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let first = with_state(&state, &["audit"]);
    assert_eq!(first["state"]["read"], "full", "{}", first["state"]);
    assert!(state_warnings(&first).is_empty(), "{}", first["warnings"]);
    assert_eq!(findings(&first), findings(&full(&["audit"])));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&state_file(&state)), 0o600);
    }
    let unchanged = with_state(&state, &["audit"]);
    assert_eq!(unchanged["state"]["read"], "changes");
    assert_eq!(unchanged["state"]["received"], 0, "{}", unchanged["state"]);
    assert_eq!(findings(&unchanged), findings(&first));

    // Ten changes, over LDAP as an admin makes them (so the DC stamps each with a USN).
    let base = &dc.base;
    let new = format!("CN=STATE-NEW,OU=Workstations,{base}");
    let _added = Seeded::add(
        &[&new],
        &format!(
            "dn: {new}\nobjectClass: computer\ncn: STATE-NEW\nsAMAccountName: STATE-NEW$\nuserAccountControl: 4096\ndNSHostName: state-new.adc.test\nservicePrincipalName: HOST/STATE-NEW\nservicePrincipalName: HOST/state-new.adc.test\noperatingSystem: Windows 7 Professional\n"
        ),
    );
    let modify = |dn: &str, change: &str| {
        ldap_tool(
            "ldapmodify",
            &[],
            Some(&format!("dn: {dn}\nchangetype: modify\n{change}\n")),
        );
    };
    let workstations = format!("OU=Workstations,{base}");
    modify(
        &format!("CN=WS-HEALTHY01,{workstations}"),
        "replace: dNSHostName\ndNSHostName: ws-renamed.adc.test\n-",
    );
    modify(
        &format!("CN=SRV-WEB01,OU=Servers,{base}"),
        "replace: operatingSystem\noperatingSystem: Windows Server 2008 R2 Standard\n-",
    );
    modify(
        &format!("CN=KIOSK-SPARE,OU=Staging,{base}"),
        "replace: userAccountControl\nuserAccountControl: 4098\n-",
    );
    modify(
        &format!("CN=FINANCE-LAPTOP7,{workstations}"),
        "replace: msDS-SupportedEncryptionTypes\nmsDS-SupportedEncryptionTypes: 4\n-",
    );
    modify(
        &format!("CN=svc-sql,OU=Service Accounts,{base}"),
        "delete: servicePrincipalName\n-",
    );
    ldap_tool("ldapdelete", &[&format!("CN=PC-DUPB,{workstations}")], None);
    ldap_tool(
        "ldapmodrdn",
        &[
            "-r",
            "-s",
            &format!("OU=Legacy,{base}"),
            &format!("CN=PC-MIGRATED,{workstations}"),
            "CN=PC-MIGRATED",
        ],
        None,
    );
    ldap_tool(
        "ldapmodrdn",
        &[
            "-r",
            &format!("CN=PC-INACTIVE,OU=Legacy,{base}"),
            "CN=PC-INACTIVE2",
        ],
        None,
    );
    modify(
        &format!("CN=PC-HOSTONLY,{workstations}"),
        "replace: description\ndescription: kiosk in hall B (an attribute no check reads)\n-",
    );

    let caught_up = with_state(&state, &["audit"]);
    let full_read = full(&["audit"]);
    let read = &caught_up["state"];
    assert_eq!(read["read"], "changes", "{read}");
    assert!(
        state_warnings(&caught_up).is_empty(),
        "{}",
        caught_up["warnings"]
    );
    // Nine objects changed that a scan reads (svc-sql no longer is one); PC-DUPB deleted and
    // svc-sql gone from the scan are forgotten.
    assert_eq!(read["received"], 8, "{read}");
    assert_eq!(read["gone"], 2, "{read}");
    assert_eq!(read["gone_from"], "deleted_objects", "{read}");
    assert_eq!(
        read["objects"], full_read["summary"]["accounts_read"],
        "{read}"
    );
    assert_eq!(findings(&caught_up), findings(&full_read));
    assert_eq!(caught_up["summary"], full_read["summary"]);
    assert_eq!(caught_up["coverage"], full_read["coverage"]);
    // The changes show: what a kept state without them would have missed.
    let ids: Vec<String> = findings(&caught_up)
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_ne!(findings(&caught_up), findings(&first));
    for (changed, account) in [
        ("laps", "STATE-NEW$"),
        ("laps", "SRV-WEB01$"),
        ("weak_encryption", "FINANCE-LAPTOP7$"),
    ] {
        assert!(
            findings(&caught_up)
                .iter()
                .any(|f| f["kind"] == changed && f["account"] == account),
            "{changed} {account}: {ids:?}"
        );
    }
    assert!(
        !findings(&caught_up)
            .iter()
            .any(|f| f["account"] == "PC-DUPB$" && f["kind"] != "deleted_computer"),
        "{ids:?}"
    );
    // A command reading fewer attributes than kept reads the changes too, and judges only
    // what it asks for.
    let stale = with_state(&state, &["stale"]);
    assert_eq!(stale["state"]["read"], "changes", "{}", stale["state"]);
    assert_eq!(findings(&stale), findings(&full(&["stale"])));
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_state_nobody_can_vouch_for_is_a_full_read_said_in_warnings() {
    let _domain = common::pristine_domain();
    // One at a time: the other test compares reads that this one's changes would move.
    let _serial = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path();
    let first = with_state(state, &["audit"]);
    assert_eq!(first["state"]["read"], "full");
    let expected = findings(&first);
    let full_with = |why: &str| {
        let report = with_state(state, &["audit"]);
        assert_eq!(
            report["state"]["read"], "full",
            "{why}: {}",
            report["state"]
        );
        let said = state_warnings(&report);
        assert!(
            said.len() == 1 && said[0].contains(why) && said[0].ends_with("read in full"),
            "{why}: {said:?}"
        );
        assert_eq!(findings(&report), expected, "{why}");
        // Read in full, kept again: the next run reads only the changes.
        let next = with_state(state, &["audit"]);
        assert_eq!(next["state"]["read"], "changes", "after {why}");
        assert!(state_warnings(&next).is_empty(), "{:?}", next["warnings"]);
    };

    let file = state_file(state);
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    full_with("corrupt (its digest does not match)");

    std::fs::write(&file, &bytes[..100]).unwrap();
    full_with("corrupt");

    forge(state, |header| {
        header["invocation_id"] = "00112233445566778899aabbccddeeff".into()
    });
    full_with("the DC's invocationId changed since (its database was restored)");

    forge(state, |header| {
        header["dc"] = "CN=NTDS Settings,CN=DC2,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=adc,DC=test".into()
    });
    full_with("it was made on another DC (CN=NTDS Settings,CN=DC2,");

    forge(state, |header| {
        let taken = header["taken"].as_i64().unwrap();
        header["taken"] = (taken - 200 * 86_400).into();
    });
    full_with("not younger than the domain's tombstone lifetime of 180 days");

    forge(state, |header| {
        let usn = header["usn"].as_u64().unwrap();
        header["usn"] = (usn + 1_000_000).into();
    });
    full_with("below the state's");

    // Kept by `stale` (fewer attributes): `audit` needs more.
    let stale_only = tempfile::tempdir().unwrap();
    with_state(stale_only.path(), &["stale"]);
    std::fs::copy(state_file(stale_only.path()), &file).unwrap();
    full_with("it was read without msDS-AdditionalDnsHostName");

    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    full_with("may be written by others");

    // Another reader sees other things: a helpdesk run does not take the admin's state.
    // Unable to see deleted objects, it lists what is still there instead: a computer deleted
    // between its runs is forgotten all the same.
    let helpdesk = |state_dir: Option<&std::path::Path>| {
        let mut args = vec!["audit", "-o", "json", "--as-of", AS_OF];
        if let Some(dir) = state_dir {
            args.extend(["--state", dir.to_str().unwrap()]);
        }
        let run = as_operator("helpdesk", &args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.json()
    };
    let gone = format!("CN=STATE-GONE,OU=Workstations,{}", test_dc().base);
    let seeded = Seeded::add(
        &[&gone],
        &format!(
            "dn: {gone}\nobjectClass: computer\ncn: STATE-GONE\nsAMAccountName: STATE-GONE$\nuserAccountControl: 4096\nservicePrincipalName: HOST/STATE-GONE\n"
        ),
    );
    let taken_over = helpdesk(Some(state));
    assert_eq!(taken_over["state"]["read"], "full");
    let said = state_warnings(&taken_over);
    let why = "it was read as Administrator@ADC.TEST, this run as helpdesk@ADC.TEST";
    assert!(said.len() == 1 && said[0].contains(why), "{said:?}");
    drop(seeded);
    let listed = helpdesk(Some(state));
    let read = &listed["state"];
    assert_eq!(read["read"], "changes", "{read}");
    assert_eq!(read["gone_from"], "listing", "{read}");
    assert_eq!(read["gone"], 1, "{read}");
    assert!(state_warnings(&listed).is_empty(), "{}", listed["warnings"]);
    assert_eq!(findings(&listed), findings(&helpdesk(None)));

    let export = dir.path().join("x.ldif");
    std::fs::write(&export, "").unwrap();
    let run = offline(&[
        "audit",
        "--from-ldif",
        export.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);
    run.assert_one_line_error("--state");
}
