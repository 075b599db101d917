//! `show` and the connection layer against the Samba AD test DC (samba-testenv/test runs these).

use crate::common;

use common::{FIXTURE_COMPUTERS, live, live_with, test_dc};

const LIVE: &str = "needs the Samba test DC: samba-testenv/test runs it";

/// The one account `show` found; it may have findings (exit 1), never an error.
fn shown_account(args: &[&str]) -> serde_json::Value {
    let run = live(&[&["show", "-o", "json"], args].concat());
    assert!(
        run.code <= 1 && run.stderr.is_empty(),
        "{} {}",
        run.stdout,
        run.stderr
    );
    let json = run.json();
    assert_eq!(json["accounts"].as_array().unwrap().len(), 1, "{json}");
    json["accounts"][0].clone()
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn finds_a_computer_by_every_name_form() {
    let _domain = common::pristine_domain();
    let dn = "CN=FINANCE-LAPTOP7,OU=Workstations,DC=adc,DC=test";
    for name in [
        "FINANCE-LAPTOP7$",
        "finance-laptop7",
        "Finance-Laptop7",
        "finance-laptop7.adc.test",
        "cn=finance-laptop7,ou=workstations,dc=adc,dc=test",
    ] {
        let account = shown_account(&[name]);
        assert_eq!(account["dn"], dn, "{name}");
        assert_eq!(account["account"], "FINANCE-LAPTOP7$");
    }
    let account = shown_account(&["PC-PRESTAGED"]);
    assert_eq!(account["password_never_set"], true);
    assert_eq!(account["dns_host_name"], serde_json::Value::Null);
    let dc = shown_account(&["DC1"]);
    assert_eq!(dc["domain_controller"], true);
    let _ = LIVE;
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn not_found_and_ambiguous_exit_1() {
    let _domain = common::pristine_domain();
    let run = live(&["show", "-o", "json", "NO-SUCH-PC", "KIOSK"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["findings"][0]["kind"], "not_found");
    assert_eq!(json["findings"][1]["kind"], "ambiguous");
    let dns: Vec<&str> = json["findings"][1]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["dn"].as_str().unwrap())
        .collect();
    assert!(
        dns.contains(&"CN=KIOSK,OU=Workstations,DC=adc,DC=test"),
        "{dns:?}"
    );
    assert!(
        dns.contains(&"CN=KIOSK,OU=Legacy,DC=adc,DC=test"),
        "{dns:?}"
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn filter_metacharacters_find_nothing_and_harm_nothing() {
    let _domain = common::pristine_domain();
    for hostile in ["*)(objectClass=*", "*", "PC-DUPA)(|(cn=*", "\\2a"] {
        let run = live(&["show", "-o", "json", hostile]);
        assert_eq!(run.code, 1, "{hostile}: {}", run.stderr);
        assert_eq!(run.json()["findings"][0]["kind"], "not_found", "{hostile}");
    }
    // The directory still answers normally afterwards.
    assert_eq!(shown_account(&["PC-DUPA"])["account"], "PC-DUPA$");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn wrong_password_is_one_line_and_never_echoed() {
    let _domain = common::pristine_domain();
    let secret = "Wrong-Pass-7x!";
    let run = live_with(
        &["show", "WS-HEALTHY01"],
        &[("ADCOMPUTER_PASSWORD", secret)],
    );
    run.assert_one_line_error("bind as Administrator@ADC.TEST refused: bad credentials");
    assert!(!run.stderr.contains(secret));
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn password_file_works() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    common::write_private(&file, &format!("{}\n", dc.password));
    let run = live_with(
        &[
            "show",
            "--password-file",
            file.to_str().unwrap(),
            "WS-HEALTHY01",
        ],
        &[("ADCOMPUTER_PASSWORD", "not-this-one")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains(&dc.password) && !run.stderr.contains(&dc.password));
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn untrusted_ca_names_the_certificate() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let other = format!("{}/tls/other-ca.pem", dc.dir);
    live_with(&["show", "WS-HEALTHY01"], &[("ADCOMPUTER_CA_CERT", &other)])
        .assert_one_line_error("certificate \"CN=dc1.adc.test\" is not signed by a trusted CA");
    live_with(
        &["show", "WS-HEALTHY01"],
        &[("ADCOMPUTER_CA_CERT", "/no/such/ca.pem")],
    )
    .assert_one_line_error("cannot use CA file /no/such/ca.pem");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn hostname_mismatch_is_refused_and_insecure_warns() {
    let _domain = common::pristine_domain();
    let address = std::env::var("ADC_TESTENV_ADDR").unwrap_or_else(|_| "127.0.0.2".into());
    let url = format!("ldaps://{address}");
    live_with(&["show", "WS-HEALTHY01"], &[("ADCOMPUTER_URL", &url)]).assert_one_line_error(
        &format!("is not valid for {address} (it names dc1.adc.test"),
    );
    let run = live_with(
        &["show", "--insecure", "WS-HEALTHY01"],
        &[("ADCOMPUTER_URL", &url)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("warning: --insecure"), "{}", run.stderr);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn unreachable_dc_is_one_line() {
    let _domain = common::pristine_domain();
    live_with(
        &["show", "--timeout", "3", "WS-HEALTHY01"],
        &[("ADCOMPUTER_URL", "ldaps://127.0.0.9")],
    )
    .assert_one_line_error("cannot reach ldaps://127.0.0.9:636");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn starttls_on_ldap_url_works() {
    let _domain = common::pristine_domain();
    let run = live_with(
        &["show", "-o", "json", "WS-HEALTHY01"],
        &[("ADCOMPUTER_URL", "ldap://dc1.adc.test")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["source"], "ldap://dc1.adc.test:389");
    // StartTLS to the LDAPS port is refused, never downgraded to a clear bind.
    live_with(
        &["show", "WS-HEALTHY01"],
        &[("ADCOMPUTER_URL", "ldap://dc1.adc.test:636")],
    )
    .assert_one_line_error("refused StartTLS");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn live_and_ldif_models_of_the_seeded_objects_are_equal() {
    let _domain = common::pristine_domain();
    let dir = tempfile::tempdir().unwrap();
    let ldif = dir.path().join("export.ldif");
    common::export_domain(&ldif, &["*", "msDS-KeyVersionNumber"]);

    // Offline, no KDC says which keys an account has: the live run does not ask either.
    let args = [
        &["show", "-o", "json", "--no-probe-keys"],
        FIXTURE_COMPUTERS,
    ]
    .concat();
    let live_run = live(&args);
    let ldif_args = [&args[..], &["--from-ldif", ldif.to_str().unwrap()]].concat();
    let ldif_run = live(&ldif_args);
    assert_eq!(live_run.code, 1, "findings: {}", live_run.stderr);
    assert_eq!(ldif_run.code, live_run.code, "{}", ldif_run.stderr);
    let (live_json, ldif_json) = (live_run.json(), ldif_run.json());
    // The two runs read different sources (--from-ldif wins over the URL in the environment):
    // else this would compare the DC with itself.
    assert_eq!(live_json["source"], "ldaps://dc1.adc.test:636");
    assert_eq!(
        ldif_json["source"],
        format!("ldif:{}", ldif.display()),
        "the LDIF run read the export"
    );
    assert_eq!(
        live_json["accounts"].as_array().unwrap().len(),
        FIXTURE_COMPUTERS.len()
    );
    assert_eq!(live_json["accounts"], ldif_json["accounts"]);
    assert_eq!(live_json["findings"], ldif_json["findings"]);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn domain_discovery_finds_the_dc_through_its_own_dns() {
    let _domain = common::pristine_domain();
    let address = std::env::var("ADC_TESTENV_ADDR").unwrap_or_else(|_| "127.0.0.2".into());
    let no_url = [("ADCOMPUTER_URL", "")];
    let args = [
        "-v",
        "--domain",
        "adc.test",
        "--dns-server",
        &address,
        "audit",
        "-o",
        "json",
    ];
    let run = live_with(&args, &no_url);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    // The seeded DNS lists a DC that does not exist first (priority 0): it is tried, then dc1.
    let gone = run
        .stderr
        .find("dc=gone-dc.adc.test")
        .expect("the dead DC was tried first");
    let live_dc = run.stderr.find("dc=dc1.adc.test").expect("then dc1");
    assert!(gone < live_dc, "{}", run.stderr);
    assert_eq!(json["source"], "ldaps://dc1.adc.test:636");
    assert!(json["summary"]["findings"].as_u64().unwrap() > 0);
    let args = [
        "--domain",
        "no-such.test",
        "--dns-server",
        &address,
        "show",
        "PC01",
    ];
    live_with(&args, &no_url).assert_one_line_error("cannot find a DC through DNS");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_profile_drives_a_run_with_no_flags() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("lab.pass");
    common::write_private(&password_file, &dc.password);
    std::fs::create_dir_all(dir.path().join("adcomputer")).unwrap();
    let profile = format!(
        "default_profile = \"lab\"\n[profiles.lab]\nurl = \"{}\"\nbind_dn = \"{}\"\nca_cert = \"{}\"\npassword_file = \"{}\"\n",
        dc.url,
        dc.bind_dn,
        dc.ca_cert,
        password_file.display()
    );
    std::fs::write(dir.path().join("adcomputer/config.toml"), profile).unwrap();
    let xdg = dir.path().display().to_string();
    let run = common::with_env(
        &["show", "-o", "json", "WS-HEALTHY01"],
        &[("XDG_CONFIG_HOME", &xdg)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["accounts"][0]["account"], "WS-HEALTHY01$");

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&password_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    common::with_env(&["show", "WS-HEALTHY01"], &[("XDG_CONFIG_HOME", &xdg)])
        .assert_one_line_error("is readable by others (mode 644): chmod 600 it");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn names_match_as_the_dc_matches_them() {
    let _domain = common::pristine_domain();
    let ou = "OU=Names,DC=adc,DC=test";
    let _ = common::ldap_tool_at("ldapdelete", None, &["-r", ou], None);
    common::ldap_tool(
        "ldapadd",
        &[],
        Some(&format!(
            "dn: {ou}\nobjectClass: organizationalUnit\nou: Names\n\n\
dn: CN=Büro-PC,{ou}\nobjectClass: computer\nsAMAccountName: BÜRO-PC$\n\n\
dn: CN=A\\+B,{ou}\nobjectClass: computer\nsAMAccountName: APLUSB$\n"
        )),
    );
    for name in [
        "BÜRO-PC",
        "büro-pc$",
        "cn=büro-pc,ou=names,dc=adc,dc=test",
        "CN=B\\C3\\BCro-PC,OU=Names,DC=adc,DC=test",
    ] {
        assert_eq!(shown_account(&[name])["account"], "BÜRO-PC$", "{name}");
    }
    assert_eq!(
        shown_account(&["CN=A\\2BB,OU=Names,DC=adc,DC=test"])["account"],
        "APLUSB$"
    );
    common::ldap_tool("ldapdelete", &["-r", ou], None);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn show_is_the_whole_diagnosis_of_an_account() {
    let _domain = common::pristine_domain();
    let run = live(&["show", "-o", "json", "PC-MIGRATED", "SRV-FILES02", "SQL01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let about = |dn_part: &str| -> Vec<String> {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f.to_string().contains(dn_part))
            .map(|f| {
                format!(
                    "{} {}",
                    f["kind"].as_str().unwrap(),
                    f["spn"].as_str().or(f["key"].as_str()).unwrap_or("")
                )
            })
            .collect()
    };
    let migrated = about("CN=PC-MIGRATED");
    assert!(
        migrated.contains(&"stale_spn HOST/pc-migrated.olddomain.test".to_string()),
        "{migrated:?}"
    );
    assert!(
        migrated.contains(&"missing_spn HOST/pc-migrated.adc.test".to_string()),
        "{migrated:?}"
    );
    // Duplicates of its SPNs are searched domain-wide: svc-files and svc-sql are not shown.
    assert!(about("CN=SRV-FILES02").contains(&"duplicate_spn host/files.adc.test".to_string()));
    assert!(about("CN=SQL01").contains(&"duplicate_spn mssqlsvc/sql01.adc.test:1433".to_string()));
    let accounts = json["accounts"].as_array().unwrap();
    let expected = &accounts[0]["expected_spns"];
    assert!(
        expected
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"spn": "HOST/pc-migrated.adc.test", "present": false})),
        "{expected}"
    );
    assert!(
        accounts[0]["next_steps"][0]
            .as_str()
            .unwrap()
            .starts_with("adcomputer spn fix 'PC-MIGRATED$' --apply")
    );
    // Held with a service account: `spn fix --dedupe` would leave it, so the step is the
    // manual command.
    for (index, spn) in [
        (1, "cifs/files.adc.test svc-files"),
        (2, "MSSQLSvc/sql01.adc.test:1433"),
    ] {
        let cause = &accounts[index]["causes"][0];
        assert_eq!(cause["manual"], true, "{cause}");
        assert!(
            cause["next_step"]
                .as_str()
                .unwrap()
                .contains(&format!("setspn -D {spn}")),
            "{cause}"
        );
    }
    let table = live(&["show", "PC-ROTFAIL"]);
    assert_eq!(table.code, 1);
    assert!(
        table.stdout.contains("rotation_failing"),
        "{}",
        table.stdout
    );
    // It still logs on: the repair is on the machine, and the DC-side reset's cost is said.
    assert!(
        table.stdout.contains(
            "Next (by hand): on the machine, which still logs on: Test-ComputerSecureChannel -Repair"
        ) && table
            .stdout
            .contains("would break its working secure channel"),
        "{}",
        table.stdout
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn show_probes_the_default_password_when_asked() {
    let _domain = common::pristine_domain();
    let run = live(&[
        "show",
        "-o",
        "json",
        "--probe-default-password",
        "KIOSK-SPARE",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("counts toward lockout"),
        "{}",
        run.stderr
    );
    let json = run.json();
    let kinds: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"default_password"), "{kinds:?}");
    assert!(
        json["accounts"][0]["next_steps"]
            .to_string()
            .contains("Disable-ADComputer KIOSK-SPARE"),
        "{}",
        json["accounts"][0]["next_steps"]
    );
    // Without asking, no logon is tried.
    let quiet = live(&["show", "-o", "json", "KIOSK-SPARE"]);
    assert!(
        !quiet.json()["findings"]
            .to_string()
            .contains("default_password")
    );
}

/// A user whose name is a computer's without the `$`: `show 'NAME$'` names the computer (as
/// samba-tool resolves it), `show NAME` is ambiguous and says so.
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_trailing_dollar_names_the_computer_beside_a_user_of_the_same_name() {
    // HR-WORKSTATION: no other test of this module names it (they run beside this one).
    let _domain = common::pristine_domain();
    let base = common::test_dc().base;
    common::ldap_tool(
        "ldapadd",
        &[],
        Some(&format!(
            "dn: CN=hr-workstation,CN=Users,{base}\nobjectClass: user\nsAMAccountName: hr-workstation\n"
        )),
    );
    let run = live(&["show", "-o", "json", "HR-WORKSTATION$"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["accounts"][0]["account"], "HR-WORKSTATION$");
    let bare = live(&["show", "-o", "json", "hr-workstation"]);
    assert_eq!(bare.code, 1, "{}", bare.stderr);
    assert_eq!(bare.json()["findings"][0]["kind"], "ambiguous");
    // A user service account is expected to hold none of a computer's SPNs.
    let service = live(&["show", "-o", "json", "svc-sql"]).json();
    assert_eq!(service["accounts"][0]["kind"], "user", "{service}");
    assert_eq!(
        service["accounts"][0]["expected_spns"],
        serde_json::json!([])
    );
}

/// A computer deleted since: `show` names it as deleted (restore brings it back), not "not
/// found", as `audit` does.
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_deleted_computer_is_shown_as_deleted_not_as_missing() {
    let _domain = common::pristine_domain();
    let base = common::test_dc().base;
    let dn = format!("CN=SHOW-GONE01,OU=Workstations,{base}");
    common::ldap_tool(
        "ldapadd",
        &[],
        Some(&format!(
            "dn: {dn}\nobjectClass: computer\nsAMAccountName: SHOW-GONE01$\nuserAccountControl: 4096\n"
        )),
    );
    common::ldap_tool("ldapdelete", &[&dn], None);
    let run = live(&["show", "-o", "json", "SHOW-GONE01"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(
        report["findings"][0]["kind"], "deleted_computer",
        "{report}"
    );
    assert_eq!(report["findings"][0]["account"], "SHOW-GONE01$");
    assert_eq!(report["summary"]["not_found"], 0);
    let table = live(&["show", "SHOW-GONE01"]);
    assert!(
        table.stdout.contains("adcomputer restore"),
        "{}",
        table.stdout
    );
    // A name that never existed is still not found.
    let nothing = live(&["show", "-o", "json", "NEVER-EXISTED01"]).json();
    assert_eq!(nothing["findings"][0]["kind"], "not_found");
}
