//! Migration hygiene against the Samba test DC (issue 24): look-alike SPNs, which the DC takes
//! as different (its uniqueness check compares them as written) though a person, and software
//! that normalizes, reads them as one — seeded as the DC accepts them, found live and in an
//! export, and nothing on the healthy domain; delegation, systems past their support, owners
//! and creators who are not admins, and LAPS.

use serde_json::Value;

use crate::common::{self, Seeded, base64, export_domain, live, offline, test_dc};

/// `args` run on an export of the test DC (ldapsearch, every attribute adcomputer reads): its
/// JSON report, which must have findings (exit 1).
fn from_export(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("domain.ldif");
    let mut attributes: Vec<&str> = adcomputer::ACCOUNT_ATTRIBUTES.to_vec();
    attributes.push("ms-DS-MachineAccountQuota");
    export_domain(&export, &attributes);
    let source = ["--from-ldif", export.to_str().unwrap(), "-o", "json"];
    let run = offline(&[args, &source].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.json()
}

/// (key, holders as `account as spn`) of each confusable_spn finding.
fn confusables(report: &Value) -> Vec<(String, Vec<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "confusable_spn")
        .map(|f| {
            let holders = f["holders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    format!(
                        "{} as {}",
                        h["account"].as_str().unwrap(),
                        h["spn"].as_str().unwrap()
                    )
                })
                .collect();
            (f["key"].as_str().unwrap().to_string(), holders)
        })
        .collect()
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn look_alike_spns_the_dc_accepts_are_found_live_and_offline() {
    let _domain = common::pristine_domain();
    let healthy = live(&["spn", "check", "--checks", "confusable_spn", "-o", "json"]);
    assert_eq!(healthy.code, 0, "{}", healthy.stderr);
    assert!(confusables(&healthy.json()).is_empty());

    let dc = test_dc();
    let ou = format!("OU=Workstations,{}", dc.base);
    let dn = format!("CN=LOOKALIKE,{ou}");
    let fullwidth = "HOST/\u{ff50}\u{ff43}-rotfail.adc.test";
    let hidden = "HOST/pc-rot\u{200b}fail.adc.test";
    let _seeded = Seeded::add(
        &[&dn],
        &format!(
            "dn: {dn}\nobjectClass: computer\nsAMAccountName: LOOKALIKE$\nuserAccountControl: 4096\nservicePrincipalName:: {}\nservicePrincipalName:: {}\n",
            base64(fullwidth),
            base64(hidden)
        ),
    );
    let expected = vec![(
        "host/pc-rotfail.adc.test".to_string(),
        vec![
            format!("LOOKALIKE$ as {hidden}"),
            format!("LOOKALIKE$ as {fullwidth}"),
            "PC-ROTFAIL$ as HOST/pc-rotfail.adc.test".to_string(),
        ],
    )];
    let run = live(&["spn", "check", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    let mut found = confusables(&report);
    found.iter_mut().for_each(|(_, holders)| holders.sort());
    let mut want = expected.clone();
    want.iter_mut().for_each(|(_, holders)| holders.sort());
    assert_eq!(found, want);
    // The DC took them as different: no duplicate_spn about them (its equality is the DC's).
    assert!(
        !report["findings"]
            .to_string()
            .contains("\"duplicate_spn\",\"key\":\"host/pc-rotfail"),
        "{report}"
    );
    // The same from an export of the DC.
    let mut offline_found = confusables(&from_export(&[
        "spn",
        "check",
        "--checks",
        "confusable_spn",
    ]));
    offline_found
        .iter_mut()
        .for_each(|(_, holders)| holders.sort());
    assert_eq!(offline_found, want);
}

/// `sid` (`S-1-5-21-…`) in its binary form.
fn sid_bytes(sid: &str) -> Vec<u8> {
    let parts: Vec<u64> = sid
        .trim_start_matches("S-")
        .split('-')
        .map(|part| part.parse().unwrap())
        .collect();
    let mut bytes = vec![parts[0] as u8, (parts.len() - 2) as u8];
    bytes.extend(&parts[1].to_be_bytes()[2..]);
    for sub in &parts[2..] {
        bytes.extend((*sub as u32).to_le_bytes());
    }
    bytes
}

/// A self-relative security descriptor whose DACL allows `sid` full control, as
/// `msDS-AllowedToActOnBehalfOfOtherIdentity` holds it (what `Set-ADComputer
/// -PrincipalsAllowedToDelegateToAccount` writes).
fn allowing(sid: &str) -> Vec<u8> {
    let sid = sid_bytes(sid);
    let owner = sid_bytes("S-1-5-32-544");
    let ace_size = 8 + sid.len();
    let dacl_offset = 20 + owner.len();
    let mut bytes = vec![1, 0, 0x04, 0x80];
    bytes.extend(20u32.to_le_bytes()); // owner
    bytes.extend(0u32.to_le_bytes()); // group
    bytes.extend(0u32.to_le_bytes()); // SACL
    bytes.extend((dacl_offset as u32).to_le_bytes());
    bytes.extend(&owner);
    bytes.extend([2, 0]);
    bytes.extend(((8 + ace_size) as u16).to_le_bytes());
    bytes.extend([1, 0, 0, 0]);
    bytes.extend([0, 0]);
    bytes.extend((ace_size as u16).to_le_bytes());
    bytes.extend(0x000f_01ffu32.to_le_bytes());
    bytes.extend(&sid);
    bytes
}

/// (account, class, targets) of each delegation finding.
fn delegations(report: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut found: Vec<(String, String, Vec<String>)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "delegation")
        .map(|f| {
            (
                f["account"].as_str().unwrap().to_string(),
                f["class"].as_str().unwrap().to_string(),
                f["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn each_kind_of_delegation_is_found_live_and_offline_and_dcs_are_not() {
    let _domain = common::pristine_domain();
    let healthy = live(&["audit", "--checks", "delegation", "-o", "json"]);
    assert_eq!(healthy.code, 0, "{}", healthy.stderr);
    assert!(
        delegations(&healthy.json()).is_empty(),
        "the DCs' own delegation is by design"
    );

    let dc = test_dc();
    let ou = format!("OU=Delegation,{}", dc.base);
    let helpdesk = {
        let run = common::ldap_tool(
            "ldapsearch",
            &[
                "-LLL",
                "-b",
                &dc.base,
                "(sAMAccountName=helpdesk)",
                "objectSid",
            ],
            None,
        );
        let encoded = run
            .lines()
            .find_map(|line| line.strip_prefix("objectSid:: "))
            .expect("helpdesk's SID")
            .to_string();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        // Its text form, read back from the binary.
        let count = bytes[1] as usize;
        let authority = u64::from_be_bytes([
            0, 0, bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
        let subs: Vec<String> = (0..count)
            .map(|i| {
                u32::from_le_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().unwrap()).to_string()
            })
            .collect();
        format!("S-{}-{authority}-{}", bytes[0], subs.join("-"))
    };
    let entry = |name: &str, uac: u32, extra: &str| {
        format!(
            "dn: CN={name},{ou}\nobjectClass: computer\nsAMAccountName: {name}$\nuserAccountControl: {uac}\ndNSHostName: {}.adc.test\n{extra}\n",
            name.to_lowercase()
        )
    };
    let ldif = format!(
        "dn: {ou}\nobjectClass: organizationalUnit\n\n{}{}{}{}",
        entry("DELEG-UNC", 4096 | 0x80000, ""),
        entry(
            "DELEG-PT",
            4096 | 0x0100_0000,
            "msDS-AllowedToDelegateTo: cifs/dc1.adc.test\nmsDS-AllowedToDelegateTo: http/app.adc.test\n"
        ),
        entry(
            "DELEG-KRB",
            4096,
            "msDS-AllowedToDelegateTo: krbtgt/ADC.TEST\n"
        ),
        entry(
            "DELEG-RBCD",
            4096,
            &format!(
                "msDS-AllowedToActOnBehalfOfOtherIdentity:: {}\n",
                common::base64_bytes(&allowing(&helpdesk))
            )
        ),
    );
    let _seeded = Seeded::add(&[&ou], &ldif);
    let s = |text: &str| text.to_string();
    let expected = vec![
        (
            s("DELEG-KRB$"),
            s("constrained_to_dc"),
            vec![s("krbtgt/ADC.TEST")],
        ),
        (
            s("DELEG-PT$"),
            s("constrained_to_dc"),
            vec![s("cifs/dc1.adc.test")],
        ),
        (
            s("DELEG-PT$"),
            s("protocol_transition"),
            vec![s("cifs/dc1.adc.test"), s("http/app.adc.test")],
        ),
        (
            s("DELEG-RBCD$"),
            s("resource_based"),
            vec![helpdesk.clone()],
        ),
        (s("DELEG-UNC$"), s("unconstrained"), vec![]),
    ];
    let run = live(&["audit", "--checks", "delegation", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    assert_eq!(delegations(&report), expected);
    assert!(
        report["coverage"]["delegation"]["note"].is_null(),
        "live, the attributes are read"
    );
    // The same from an export that asked for the attributes.
    assert_eq!(
        delegations(&from_export(&["audit", "--checks", "delegation"])),
        expected
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn systems_past_their_end_of_support_are_found_and_unknown_ones_not_guessed() {
    let _domain = common::pristine_domain();
    let run_on = |args: &[&str]| {
        let run = live(
            &[
                &["audit", "--checks", "unsupported_os", "-o", "json"][..],
                args,
            ]
            .concat(),
        );
        assert!(run.code <= 1, "{}", run.stderr);
        run.json()
    };
    let systems = |report: &Value| -> Vec<(String, String)> {
        let mut found: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "unsupported_os")
            .map(|f| {
                (
                    f["account"].as_str().unwrap().to_string(),
                    f["support_ended"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort();
        found
    };
    assert!(
        systems(&run_on(&[])).is_empty(),
        "the Samba DCs are not guessed at"
    );
    let dc = test_dc();
    let ou = format!("OU=Systems,{}", dc.base);
    let entry = |name: &str, os: &str, version: &str| {
        format!(
            "dn: CN={name},{ou}\nobjectClass: computer\nsAMAccountName: {name}$\nuserAccountControl: 4096\noperatingSystem: {os}\noperatingSystemVersion: {version}\n\n"
        )
    };
    let ldif = format!(
        "dn: {ou}\nobjectClass: organizationalUnit\n\n{}{}{}{}{}",
        entry("OLD-WIN7", "Windows 7 Professional", "6.1 (7601)"),
        entry(
            "OLD-2012R2",
            "Windows Server 2012 R2 Standard",
            "6.3 (9600)"
        ),
        entry("NEW-WIN11", "Windows 11 Enterprise", "10.0 (26100)"),
        entry("IOT-LTSC", "Windows 10 IoT Enterprise LTSC", "10.0 (19044)"),
        entry("LINUX01", "Ubuntu", "22.04"),
    );
    let _seeded = Seeded::add(&[&ou], &ldif);
    let expected = vec![
        ("OLD-2012R2$".to_string(), "2023-10-10".to_string()),
        ("OLD-WIN7$".to_string(), "2020-01-14".to_string()),
    ];
    let report = run_on(&["--as-of", "2026-12-06"]);
    common::assert_documented(&report);
    assert_eq!(systems(&report), expected);
    // Before Windows 11 24H2 Enterprise's end (2027-10-12) it is supported; after, not.
    let later = run_on(&["--as-of", "2027-10-13"]);
    assert!(systems(&later).contains(&("NEW-WIN11$".to_string(), "2027-10-12".to_string())));
    // The same from an export that asked for the attributes.
    let args = [
        "audit",
        "--checks",
        "unsupported_os",
        "--as-of",
        "2026-12-06",
    ];
    assert_eq!(systems(&from_export(&args)), expected);
}

/// An LDIF entry of an enabled computer `name` in `ou`, with `extra` attribute lines.
fn enabled_computer(ou: &str, name: &str, extra: &str) -> String {
    format!(
        "dn: CN={name},{ou}\nobjectClass: computer\nsAMAccountName: {name}$\nuserAccountControl: 4096\n{extra}\n"
    )
}

/// `audit --checks check` of the export at `path`, as JSON.
fn audit_export(check: &str, path: &std::path::Path, extra: &[&str]) -> common::Run {
    let args = ["audit", "--checks", check, "-o", "json", "--from-ldif"];
    offline(&[&args[..], &[path.to_str().unwrap()], extra].concat())
}

/// (account or DN, class) of each `kind` finding, sorted.
fn classes_of(report: &Value, kind: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| {
            let who = f["account"].as_str().or(f["dn"].as_str()).unwrap();
            (who.to_string(), f["class"].as_str().unwrap().to_string())
        })
        .collect();
    found.sort();
    found
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn owners_and_creators_who_are_not_admins_and_the_quota_are_found_live_and_offline() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let quota = (dc.base.clone(), "machine_account_quota".to_string());
    // The seeded domain: every computer owned by Domain Admins; Samba's quota is 10.
    let run = live(&["audit", "--checks", "ownership", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(classes_of(&run.json(), "ownership"), vec![quota.clone()]);
    assert!(run.json()["coverage"]["ownership"]["examined"].as_u64() > Some(20));

    // nobody may create computers in OU=Owned and creates OWNED-PC: the DC makes nobody its
    // owner. CREATED-PC, an admin's, gets nobody as mS-DS-CreatorSID (the machine account
    // quota's mark, which the DC writes itself: raw), ADMIN-PC stays an admin's.
    let ou = format!("OU=Owned,{}", dc.base);
    let computer = |name: &str| enabled_computer(&ou, name, "");
    let ldif = format!(
        "dn: {ou}\nobjectClass: organizationalUnit\n\n{}{}",
        computer("CREATED-PC"),
        computer("ADMIN-PC")
    );
    let _seeded = Seeded::add(&[&ou], &ldif);
    let sid = std::process::Command::new("samba-tool")
        .args(["user", "show", "nobody", "--attributes", "objectSid", "-H"])
        .arg(format!("{}/private/sam.ldb", dc.dir))
        .output()
        .expect("samba-tool");
    let sid = String::from_utf8(sid.stdout).unwrap();
    let sid = sid
        .lines()
        .find_map(|line| line.strip_prefix("objectSid: "))
        .expect("nobody's SID")
        .to_string();
    let granted = std::process::Command::new("samba-tool")
        .args(["dsacl", "set", "--action=allow", "-H"])
        .arg(format!("{}/private/sam.ldb", dc.dir))
        .arg(format!("--objectdn={ou}"))
        .arg(format!(
            "--sddl=(OA;CI;CC;bf967a86-0de6-11d0-a285-00aa003049e2;;{sid})"
        ))
        .output()
        .expect("samba-tool");
    assert!(granted.status.success(), "{granted:?}");
    let added = common::ldap_tool_as("nobody", "ldapadd", &computer("OWNED-PC"));
    assert_eq!(added.code, 0, "{}", added.stderr);
    common::raw_modify(&format!(
        "dn: CN=CREATED-PC,{ou}\nchangetype: modify\nadd: mS-DS-CreatorSID\nmS-DS-CreatorSID: {sid}\n"
    ));

    let s = |text: &str| text.to_string();
    let expected = vec![
        (s("CREATED-PC$"), s("creator")),
        quota.clone(),
        (s("OWNED-PC$"), s("owner")),
    ];
    let run = live(&["audit", "--checks", "ownership", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    assert_eq!(classes_of(&report, "ownership"), expected);
    let owned = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["account"] == "OWNED-PC$")
        .unwrap();
    assert_eq!(owned["owner"], sid.as_str(), "{owned}");
    assert_eq!(owned["owner_name"], "nobody", "named by the DC: {owned}");
    // A reset says who may reuse the account in one line, and points to this finding.
    let reset = live(&["reset", "OWNED-PC", "--apply", "--yes", "-o", "json"]);
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    let warnings = reset.json()["findings"][0]["warnings"].to_string();
    assert!(
        warnings.contains("KB5020276: owned by nobody, not an admin")
            && warnings.contains("audit --checks ownership"),
        "{warnings}"
    );
    // An operator without rights reads the owners too (any reader may: the SD-flags control).
    let operator = common::as_operator("nobody", &["audit", "--checks", "ownership", "-o", "json"]);
    assert_eq!(classes_of(&operator.json(), "ownership"), expected);
    assert_eq!(operator.json()["coverage"]["ownership"]["not_checked"], 0);
    // Below the domain, the domain's quota is not the scope's.
    let scoped = live(&["audit", "--checks", "ownership", "-b", &ou, "-o", "json"]);
    assert_eq!(
        classes_of(&scoped.json(), "ownership"),
        vec![expected[0].clone(), expected[2].clone()]
    );
    // The same from an export that asked for the owner and the quota.
    let exported = from_export(&["audit", "--checks", "ownership"]);
    assert_eq!(classes_of(&exported, "ownership"), expected);
    assert!(exported["coverage"]["ownership"]["note"].is_null());
    // An export without nTSecurityDescriptor judges creators only, and says so.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("no-owners.ldif");
    export_domain(
        &export,
        &["objectClass", "sAMAccountName", "mS-DS-CreatorSID"],
    );
    let run = audit_export("ownership", &export, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        classes_of(&run.json(), "ownership"),
        vec![(s("CREATED-PC$"), s("creator"))]
    );
    let note = run.json()["coverage"]["ownership"]["note"].to_string();
    assert!(note.contains("owners and the quota not judged"), "{note}");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn windows_computers_without_laps_or_with_laps_long_expired_are_found() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let ou = format!("OU=Laps,{}", dc.base);
    let computer =
        |name: &str, os: &str| enabled_computer(&ou, name, &format!("operatingSystem: {os}\n"));
    let ldif = format!(
        "dn: {ou}\nobjectClass: organizationalUnit\n\n{}{}{}{}",
        computer("LAPS-NONE", "Windows 11 Enterprise"),
        computer("LAPS-OLD", "Windows Server 2022 Standard"),
        computer("LAPS-OK", "Windows 11 Pro"),
        computer("LAPS-LINUX", "Ubuntu"),
    );
    let _seeded = Seeded::add(&[&ou], &ldif);
    // Samba's schema has neither LAPS attribute: live, every Windows computer is unmanaged,
    // and coverage says why.
    let run = live(&["audit", "--checks", "laps", "-b", &ou, "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    let s = |text: &str| text.to_string();
    assert_eq!(
        classes_of(&report, "laps"),
        vec![
            (s("LAPS-NONE$"), s("none")),
            (s("LAPS-OK$"), s("none")),
            (s("LAPS-OLD$"), s("none"))
        ]
    );
    let note = report["coverage"]["laps"]["note"].to_string();
    assert!(note.contains("schema defines neither"), "{note}");
    // A domain with Windows LAPS, as its export shows it (the DC's export with the values a
    // LAPS domain holds added: the Samba schema cannot hold them): judged from the times.
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("laps.ldif");
    let mut attributes: Vec<&str> = adcomputer::ACCOUNT_ATTRIBUTES.to_vec();
    attributes.retain(|name| !name.contains("LAPS") && !name.contains("AdmPwd"));
    export_domain(&export, &attributes);
    // --as-of 2026-11-21 below.
    let filetime = |days_before_as_of: i64| common::filetime(1_795_305_600, days_before_as_of);
    let mut text = std::fs::read_to_string(&export).unwrap();
    for (name, line) in [
        (
            "LAPS-OLD",
            format!("ms-Mcs-AdmPwdExpirationTime: {}", filetime(90)),
        ),
        (
            "LAPS-OK",
            format!("msLAPS-PasswordExpirationTime: {}", filetime(-20)),
        ),
    ] {
        let dn = format!("dn: CN={name},{ou}\n");
        text = text.replacen(&dn, &format!("{dn}{line}\n"), 1);
    }
    std::fs::write(&export, text).unwrap();
    let run = audit_export("laps", &export, &["--as-of", "2026-11-21"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        classes_of(&run.json(), "laps"),
        vec![(s("LAPS-NONE$"), s("none")), (s("LAPS-OLD$"), s("expired"))]
    );
    // An export without either attribute cannot tell: a gap (exit 2), never a list of all.
    let bare = dir.path().join("bare.ldif");
    export_domain(
        &bare,
        &[
            "objectClass",
            "sAMAccountName",
            "userAccountControl",
            "operatingSystem",
        ],
    );
    let run = audit_export("laps", &bare, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(classes_of(&run.json(), "laps").is_empty());
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn each_account_class_is_judged_by_its_own_rotation_rule_live_and_offline() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let ou = format!("OU=Classes,{}", dc.base);
    let computer = |name: &str, spn: &str| enabled_computer(&ou, name, spn);
    let ldif = format!(
        "dn: {ou}\nobjectClass: organizationalUnit\n\n{}{}{}{}{}",
        computer(
            "CLU-RECENT",
            "servicePrincipalName: MSClusterVirtualServer/CLU-RECENT\n"
        ),
        computer(
            "CLU-OLD",
            "servicePrincipalName: MSClusterVirtualServer/CLU-OLD\n"
        ),
        computer("AZUREADSSOACC", ""),
        computer("RODC-OLD", ""),
        computer("MEMBER-OLD", ""),
    );
    let _seeded = Seeded::add(&[&ou], &ldif);
    // Passwords as old as each rule judges differently; each still logs on (yesterday), but
    // the SSO account, which never does.
    let mut raw = String::new();
    for (name, age, logon) in [
        ("CLU-RECENT", 400, true),
        ("CLU-OLD", 1200, true),
        ("AZUREADSSOACC", 60, false),
        ("RODC-OLD", 400, true),
        ("MEMBER-OLD", 400, true),
    ] {
        raw.push_str(&format!(
            "dn: CN={name},{ou}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: {}\n",
            common::days_ago(age)
        ));
        if logon {
            raw.push_str(&format!(
                "-\nreplace: lastLogonTimestamp\nlastLogonTimestamp: {}\n",
                common::days_ago(1)
            ));
        }
        if name == "RODC-OLD" {
            // WORKSTATION_TRUST_ACCOUNT | PARTIAL_SECRETS_ACCOUNT: what an RODC's account is.
            raw.push_str("-\nreplace: userAccountControl\nuserAccountControl: 67112960\n");
        }
        raw.push('\n');
    }
    common::raw_modify(&raw);
    let judged = |report: &Value| -> Vec<(String, String, String)> {
        let mut found: Vec<_> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "stale_password")
            .map(|f| {
                let text = |name: &str| f[name].as_str().unwrap().to_string();
                (text("account"), text("class"), text("account_class"))
            })
            .collect();
        found.sort();
        found
    };
    let s = |text: &str| text.to_string();
    let expected = vec![
        (s("AZUREADSSOACC$"), s("manual_rotation"), s("azure_ad_sso")),
        (s("CLU-OLD$"), s("rotation_failing"), s("cluster_name")),
        (s("MEMBER-OLD$"), s("rotation_failing"), s("member")),
        (s("RODC-OLD$"), s("rotation_failing"), s("read_only_dc")),
    ];
    let run = live(&["stale", "-b", &ou, "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    common::assert_documented(&run.json());
    assert_eq!(judged(&run.json()), expected);
    // The same from an export.
    assert_eq!(judged(&from_export(&["stale", "-b", &ou])), expected);
    // Each class's own procedure: the RODC and the cluster are never advised a reset here.
    let show = live(&["show", "RODC-OLD", "CLU-OLD", "-o", "json"]);
    let text = show.json().to_string();
    assert!(text.contains("netdom resetpwd"), "{text}");
    assert!(text.contains("Repair Active Directory Object"), "{text}");
    assert!(!text.contains("adcomputer reset"), "{text}");
}
