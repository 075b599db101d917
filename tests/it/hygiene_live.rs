//! Migration hygiene against the Samba test DC (issue 24): look-alike SPNs, which the DC takes
//! as different (its uniqueness check compares them as written) though a person, and software
//! that normalizes, reads them as one — seeded as the DC accepts them, found live and in an
//! export, and nothing on the healthy domain.

use serde_json::Value;

use crate::common::{self, Seeded, base64, export_domain, live, offline, test_dc};

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
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("domain.ldif");
    let attributes: Vec<&str> = adcomputer::ACCOUNT_ATTRIBUTES.to_vec();
    export_domain(&export, &attributes);
    let offline_run = offline(&[
        "spn",
        "check",
        "--checks",
        "confusable_spn",
        "--from-ldif",
        export.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(offline_run.code, 1, "{}", offline_run.stderr);
    let mut offline_found = confusables(&offline_run.json());
    offline_found
        .iter_mut()
        .for_each(|(_, holders)| holders.sort());
    assert_eq!(offline_found, want);
}
