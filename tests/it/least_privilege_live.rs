//! Least privilege is the normal user, against the Samba test DC and the delegated operators
//! samba-testenv/seed made: helpdesk (*Reset Password* on OU=Workstations' computers),
//! spn-writer (*Validated write to SPN* there), nobody (no right). The DC is the oracle: what
//! the plan says about a right is what the DC then allows, and a refusal names the right.

use crate::common;

use common::{Seeded, as_operator, key_version, raw_modify};
use serde_json::Value;

const WS: &str = "CN=RIGHTS-WS01,OU=Workstations,DC=adc,DC=test";
const SRV: &str = "CN=RIGHTS-SRV01,OU=Servers,DC=adc,DC=test";
const SPN1: &str = "CN=RIGHTS-SPN01,OU=Workstations,DC=adc,DC=test";
const SPN2: &str = "CN=RIGHTS-SPN02,OU=Workstations,DC=adc,DC=test";
const SPN3: &str = "CN=RIGHTS-SPN03,OU=Servers,DC=adc,DC=test";

fn computer(dn: &str, name: &str, spns: &[&str]) -> String {
    let mut ldif = format!(
        "dn: {dn}\nobjectClass: computer\nsAMAccountName: {name}$\nuserAccountControl: 4096\n\
         dNSHostName: {}.adc.test\n",
        name.to_lowercase()
    );
    for spn in spns {
        ldif.push_str(&format!("servicePrincipalName: {spn}\n"));
    }
    ldif + "\n"
}

/// (name, status, reset_right, reason) of each reset item.
fn items(json: &Value) -> Vec<(String, String, String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let text = |field: &str| item[field].as_str().unwrap_or("").to_string();
            (
                text("name"),
                text("status"),
                text("reset_right"),
                text("reason"),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs the Samba test DC (samba-testenv/test)"]
fn the_reset_plan_says_what_the_dc_then_allows_and_refusals_name_the_right() {
    let _domain = common::pristine_domain();
    // Its tests add computers the others must not see: one at a time.
    let _turn = common::serial();
    let _seeded = Seeded::add(
        &[WS, SRV],
        &(computer(WS, "RIGHTS-WS01", &[]) + &computer(SRV, "RIGHTS-SRV01", &[])),
    );
    let names = ["RIGHTS-WS01", "RIGHTS-SRV01"];
    let expected = [
        ("nobody", ["not_held", "not_held"]),
        ("helpdesk", ["held", "not_held"]),
    ];
    for (operator, rights) in expected {
        let plan = as_operator(operator, &[&["reset", "-o", "json"][..], &names].concat());
        assert_eq!(
            plan.code, 1,
            "{operator}: a plan the DC would refuse: {}",
            plan.stderr
        );
        let planned = items(&plan.json());
        assert_eq!(planned.len(), names.len(), "{operator}: an item per name");
        for ((name, status, right, _), expected) in planned.iter().zip(rights) {
            assert_eq!(status, "planned", "{operator} {name}");
            assert_eq!(right, expected, "{operator} {name}");
        }
        common::assert_documented(&plan.json());

        // The oracle: the same operator writes; the DC allows exactly what the plan said.
        let before = names.map(key_version);
        let run = as_operator(
            operator,
            &[&["reset", "--apply", "--yes", "-o", "json"][..], &names].concat(),
        );
        let done = items(&run.json());
        assert_eq!(done.len(), names.len(), "{operator}: an item per name");
        for (index, (name, status, _, reason)) in done.iter().enumerate() {
            let held = rights[index] == "held";
            let after = key_version(names[index]);
            if held {
                assert_eq!(status, "reset", "{operator} {name}: {reason}");
                assert_eq!(after, before[index] + 1, "{operator} {name}");
            } else {
                assert_eq!(status, "failed", "{operator} {name}");
                assert!(
                    reason.contains("Reset Password"),
                    "{operator} {name}: {reason}"
                );
                assert_eq!(after, before[index], "{operator} {name}: nothing changed");
            }
        }
        assert_eq!(run.code, 1, "{operator}: {}", run.stderr);
    }
    let admin = common::live(&[&["reset", "-o", "json"][..], &names].concat());
    assert_eq!(admin.code, 0, "{}", admin.stderr);
    let judged = items(&admin.json());
    assert_eq!(judged.len(), names.len());
    assert!(judged.iter().all(|item| item.2 == "held"), "{judged:?}");
}

#[test]
#[ignore = "needs the Samba test DC (samba-testenv/test)"]
fn validated_write_repairs_spns_by_the_plain_and_the_bracketed_path() {
    let _domain = common::pristine_domain();
    // Its tests add computers the others must not see: one at a time.
    let _turn = common::serial();
    let _seeded = Seeded::add(
        &[SPN1, SPN2, SPN3],
        &(computer(
            SPN1,
            "RIGHTS-SPN01",
            &["HOST/RIGHTS-SPN01", "HOST/rights-spn01.adc.test"],
        ) + &computer(
            SPN2,
            "RIGHTS-SPN02",
            &[
                "HOST/RIGHTS-SPN02",
                "HOST/rights-spn02.adc.test",
                "RestrictedKrbHost/RIGHTS-SPN02",
                "RestrictedKrbHost/rights-spn02.adc.test",
            ],
        ) + &computer(SPN3, "RIGHTS-SPN03", &[])),
    );
    // A duplicate the DC would refuse to create: written raw. RIGHTS-SPN01 owns the name.
    raw_modify(&format!(
        "dn: {SPN2}\nchangetype: modify\nadd: servicePrincipalName\n\
         servicePrincipalName: HOST/rights-spn01.adc.test\n-\n"
    ));
    let spns = |name: &str| -> Vec<String> {
        let json = common::live(&["show", "-o", "json", name]).json();
        let mut spns: Vec<String> = json["accounts"][0]["spns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|spn| spn.as_str().unwrap().to_string())
            .collect();
        spns.sort();
        spns
    };
    let dir = tempfile::tempdir().unwrap();
    let journal = |name: &str| dir.path().join(name).to_str().unwrap().to_string();

    // The plain path: additions on the computer's own names.
    let added = as_operator(
        "spn-writer",
        &[
            "-v",
            "spn",
            "fix",
            "RIGHTS-SPN01",
            "--apply",
            "--yes",
            "--journal",
            &journal("a"),
            "-o",
            "json",
        ],
    );
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stderr.contains("modify: servicePrincipalName")
            && !added.stderr.contains("retrying bracketed"),
        "{}",
        added.stderr
    );
    assert_eq!(
        spns("RIGHTS-SPN01"),
        [
            "HOST/RIGHTS-SPN01",
            "HOST/rights-spn01.adc.test",
            "RestrictedKrbHost/RIGHTS-SPN01",
            "RestrictedKrbHost/rights-spn01.adc.test"
        ]
    );

    // The bracketed path: Samba refuses the plain removal of a duplicate; the retry brackets
    // it with a value on RIGHTS-SPN02's own name, which validated write accepts.
    let removed = as_operator(
        "spn-writer",
        &[
            "-v",
            "spn",
            "fix",
            "RIGHTS-SPN02",
            "--dedupe",
            "--apply",
            "--yes",
            "--journal",
            &journal("b"),
            "-o",
            "json",
        ],
    );
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(
        removed.stderr.contains("retrying bracketed"),
        "{}",
        removed.stderr
    );
    assert!(!spns("RIGHTS-SPN02").contains(&"HOST/rights-spn01.adc.test".to_string()));
    assert!(
        spns("RIGHTS-SPN02")
            .iter()
            .all(|spn| !spn.starts_with("adcomputer-"))
    );

    // No right on OU=Servers: the plan says so before anything is sent (exit 1), the right
    // named; and the DC agrees: the same addition sent as spn-writer is refused.
    let plan = as_operator("spn-writer", &["spn", "fix", "RIGHTS-SPN03", "-o", "json"]);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    let planned = &plan.json()["findings"][0];
    assert_eq!(planned["status"], "skipped", "{planned}");
    assert!(
        planned["reason"]
            .as_str()
            .unwrap()
            .contains("the bound account lacks Validated write to service principal name"),
        "{planned}"
    );
    let dc_says = common::ldap_tool_as(
        "spn-writer",
        "ldapmodify",
        &format!(
            "dn: {SPN3}\nchangetype: modify\nadd: servicePrincipalName\nservicePrincipalName: HOST/RIGHTS-SPN03\n-\n"
        ),
    );
    assert_ne!(
        dc_says.code, 0,
        "the DC accepted what the plan called refused"
    );
    assert!(
        dc_says.stderr.contains("Insufficient access"),
        "{}",
        dc_says.stderr
    );
    let refused = as_operator(
        "spn-writer",
        &[
            "spn",
            "fix",
            "RIGHTS-SPN03",
            "--apply",
            "--yes",
            "--journal",
            &journal("c"),
            "-o",
            "json",
        ],
    );
    assert_eq!(refused.code, 1);
    let item = &refused.json()["findings"][0];
    assert_eq!(item["status"], "skipped", "not sent: {item}");
    assert!(
        !std::path::Path::new(&journal("c")).exists(),
        "nothing was journaled: nothing was sent"
    );
    assert!(
        item["reason"]
            .as_str()
            .unwrap()
            .contains("Validated write to service principal name"),
        "{item}"
    );
    assert!(spns("RIGHTS-SPN03").is_empty());
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn an_account_that_cannot_see_deleted_objects_is_told_not_shown_none() {
    let _domain = common::pristine_domain();
    // Its tests add computers the others must not see: one at a time.
    let _turn = common::serial();
    // A computer deleted now, so that there is one to see.
    const GONE: &str = "CN=RIGHTS-GONE01,OU=Workstations,DC=adc,DC=test";
    drop(Seeded::add(&[GONE], &computer(GONE, "RIGHTS-GONE01", &[])));
    // The DC hides deleted objects from the helpdesk without a word: the admin sees them.
    let admin = common::live(&["audit", "-o", "json"]).json();
    assert!(
        admin["summary"]["deleted_computer"].as_u64().unwrap() > 0,
        "the test domain has deleted computers by now: {}",
        admin["summary"]
    );
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("helpdesk.json");
    let path = baseline.to_str().unwrap();
    let first = as_operator("helpdesk", &["audit", "-o", "json", "--output", path]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert!(
        report["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("helpdesk@ADC.TEST cannot see deleted objects")),
        "{}",
        report["warnings"]
    );
    // Nothing new, but the deleted computers were not looked at: no clean bill (exit 2) ...
    let second = as_operator("helpdesk", &["audit", "-o", "json", "--baseline", path]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second.stderr.contains("leave them out with --checks"),
        "{}",
        second.stderr
    );
    let metrics = as_operator("helpdesk", &["audit", "-o", "prometheus"]).stdout;
    assert!(
        !metrics.contains("kind=\"deleted_computer\""),
        "not reported as 0 when not looked at"
    );
    // ... unless the run asks only for what the account can look at.
    let checks = "stale_password,missing_spn,stale_spn,duplicate_spn";
    let third = as_operator(
        "helpdesk",
        &[
            "audit",
            "-o",
            "json",
            "--baseline",
            path,
            "--checks",
            checks,
        ],
    );
    assert_eq!(third.code, 0, "{}", third.stderr);
    // restore cannot find anything it cannot see: it says why instead of "not found".
    as_operator("helpdesk", &["restore", "RIGHTS-WS01"])
        .assert_one_line_error("helpdesk@ADC.TEST cannot see deleted objects");
}
