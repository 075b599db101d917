//! `krbtgt` without AES keys: every ticket of the domain is RC4. Its own binary, because it
//! gives the test domain's krbtgt an RC4-only password (as a domain raised from 2003 whose
//! krbtgt was never reset has), which the next binary's pristine domain undoes.

use crate::common;

use std::process::Command;

use common::{live, test_dc};

/// Sets krbtgt's password while the domain object says level 2003 (SAMBA-NOTES, "Accounts
/// without AES keys"): Samba then writes RC4 keys only. The level is put back after.
fn krbtgt_with_rc4_keys_only() {
    let dc = test_dc();
    let level = |version: &str| {
        common::raw_modify(&format!(
            "dn: {}\nchangetype: modify\nreplace: msDS-Behavior-Version\nmsDS-Behavior-Version: {version}\n",
            dc.base
        ));
    };
    level("2");
    let output = Command::new("samba-tool")
        .args(["user", "setpassword", "krbtgt", "--random-password", "-H"])
        .arg(format!("{}/private/sam.ldb", dc.dir))
        .output()
        .expect("samba-tool");
    level("4");
    assert!(output.status.success(), "{output:?}");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn krbtgt_without_aes_keys_is_a_domain_wide_finding() {
    let _domain = common::pristine_domain();
    let krbtgt = |run: &common::Run| -> Vec<String> {
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "weak_encryption" && f["account"] == "krbtgt")
            .map(|f| f["class"].as_str().unwrap().to_string())
            .collect()
    };
    let before = live(&[
        "audit",
        "--checks",
        "weak_encryption",
        "--probe-keys",
        "-o",
        "json",
    ]);
    assert!(before.code <= 1, "{}", before.stderr);
    assert!(krbtgt(&before).is_empty(), "{}", before.stdout);
    krbtgt_with_rc4_keys_only();
    let after = live(&[
        "audit",
        "--checks",
        "weak_encryption",
        "--probe-keys",
        "-o",
        "json",
    ]);
    assert_eq!(after.code, 1, "{}", after.stderr);
    assert_eq!(krbtgt(&after), ["no_aes_keys"], "{}", after.stdout);
    let table = live(&["audit", "--checks", "weak_encryption", "--probe-keys"]);
    assert!(table.stdout.contains("krbtgt"), "{}", table.stdout);
}
