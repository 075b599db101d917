//! Kerberos encryption readiness against the test domain's seeded OU=Encryption (see
//! samba-testenv/seed): the KDC as the oracle of which computers have no AES keys (MIT kinit
//! restricted to AES agrees, account by account), the LDAP-only classes live and offline, no
//! failed logon counted by any probe, `show`'s cause and next step, and `reset --verify`
//! reporting the AES keys a new password made.

use crate::common;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use common::{export_domain, ldap_tool, live, offline, test_dc};
use serde_json::Value;

const SEEDED: [&str; 6] = [
    "ENC-NOAES$",
    "ENC-REKEY$",
    "ENC-RESET$",
    "ENC-AES$",
    "ENC-RC4CFG$",
    "ENC-DES$",
];

/// (account, class) of every weak_encryption finding of a report.
fn weak(report: &Value) -> BTreeSet<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["kind"] == "weak_encryption")
        .map(|finding| {
            (
                finding["account"].as_str().unwrap().to_string(),
                finding["class"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// MIT kinit for `principal` with a krb5.conf that permits only AES, given the fixtures'
/// machine password: `Some(false)` when the KDC has no AES key for it (kinit fails on the
/// first AS-REQ, "KDC has no support for encryption type"), `Some(true)` when the KDC used an
/// AES key (a ticket, or a password it rejected with that key). Run after the no-failed-logon
/// check: a rejected password counts.
fn kinit_aes_only(principal: &str) -> Option<bool> {
    let dir = tempfile::tempdir().unwrap();
    let base =
        std::fs::read_to_string(std::env::var("KRB5_CONFIG").expect("KRB5_CONFIG of up")).unwrap();
    let config = base.replace(
        "[libdefaults]",
        "[libdefaults]\n    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96\n    default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96",
    );
    let path = dir.path().join("krb5.conf");
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new("kinit")
        .arg(format!("{principal}@ADC.TEST"))
        .env("KRB5_CONFIG", &path)
        .env("KRB5CCNAME", format!("FILE:{}/cc", dir.path().display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kinit (krb5-user)");
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "Fixture-Machine-Pass-1").unwrap();
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    if said.contains("no support for encryption type") {
        Some(false)
    } else if output.status.success()
        || said.contains("Password incorrect")
        || said.contains("Preauthentication failed")
    {
        Some(true)
    } else {
        None
    }
}

/// `badPwdCount` of each seeded account on dc1 (the KDC probed).
fn bad_password_counts() -> Vec<String> {
    let dc = test_dc();
    SEEDED
        .iter()
        .map(|name| {
            let filter = format!("(sAMAccountName={name})");
            let text = ldap_tool(
                "ldapsearch",
                &[
                    "-LLL",
                    "-b",
                    &dc.base,
                    &filter,
                    "badPwdCount",
                    "lockoutTime",
                ],
                None,
            );
            let count = text
                .lines()
                .find_map(|line| line.strip_prefix("badPwdCount: "))
                .unwrap_or("0");
            let lockout = text
                .lines()
                .find_map(|line| line.strip_prefix("lockoutTime: "))
                .unwrap_or("0");
            format!("{name} {count} {lockout}")
        })
        .collect()
}

/// A lockout threshold, so that the DC counts failed logons at all (Samba keeps no
/// `badPwdCount` without one).
fn count_failed_logons() {
    let dc = test_dc();
    let output = Command::new("samba-tool")
        .args([
            "domain",
            "passwordsettings",
            "set",
            "--account-lockout-threshold=10",
            "-H",
        ])
        .arg(format!("{}/private/sam.ldb", dc.dir))
        .output()
        .expect("samba-tool");
    assert!(output.status.success(), "{output:?}");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn the_kdc_names_exactly_the_computers_without_aes_keys_and_counts_no_failed_logon() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    count_failed_logons();
    // The control: one wrong password is counted, so a probe that counted would show.
    let mut child = Command::new("kinit")
        .arg("ENC-AES$@ADC.TEST")
        .env("KRB5CCNAME", "FILE:/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "wrong-password").unwrap();
    child.wait().unwrap();
    let before = bad_password_counts();
    assert!(
        before.iter().any(|line| line.starts_with("ENC-AES$ 1")),
        "the DC counts failed logons: {before:?}"
    );

    let run = live(&["audit", "--probe-keys=all", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    let no_aes: BTreeSet<String> = weak(&report)
        .into_iter()
        .filter(|(_, class)| class == "no_aes_keys")
        .map(|(account, _)| account)
        .collect();
    assert!(no_aes.contains("ENC-NOAES$"), "{no_aes:?}");
    for has_aes in ["ENC-RESET$", "ENC-AES$", "ENC-RC4CFG$", "ENC-DES$", "DC1$"] {
        assert!(!no_aes.contains(has_aes), "{has_aes}: {no_aes:?}");
    }
    assert_eq!(
        bad_password_counts(),
        before,
        "a key probe counted a failed logon"
    );
    // kinit restricted to AES agrees for every enabled computer the audit probed.
    let probed: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "weak_encryption")
        .collect();
    // The accounts the KDC named no AES key for, whatever their class (the KDC refuses AES
    // to a USE_DES_KEY_ONLY account: des_enabled names the cause).
    let kdc_no_aes: BTreeSet<&str> = probed
        .iter()
        .filter(|f| {
            f["keys"]
                .as_array()
                .is_some_and(|keys| !keys.iter().any(|k| k.as_str().unwrap().starts_with("aes")))
        })
        .map(|f| f["account"].as_str().unwrap())
        .collect();
    assert!(kdc_no_aes.contains("ENC-DES$"), "{kdc_no_aes:?}");
    assert!(
        weak(&report).contains(&("ENC-DES$".into(), "des_enabled".into())),
        "{report}"
    );
    for account in SEEDED {
        let says_aes = kinit_aes_only(account);
        assert_eq!(
            says_aes,
            Some(!kdc_no_aes.contains(account)),
            "kinit and adcomputer disagree on {account}"
        );
    }
    // The RC4-configured account has AES keys all the same: the KDC named them.
    let rc4 = probed
        .iter()
        .find(|f| f["account"] == "ENC-RC4CFG$")
        .unwrap();
    assert_eq!(rc4["class"], "rc4_only");
    assert_eq!(rc4["keys"][0], "aes256-cts-hmac-sha1-96", "{rc4}");
    assert_eq!(rc4["supported_encryption_types"]["value"], 4);
    // Without =all, the computers the attributes already find are not asked about.
    let unsettled = live(&["-v", "audit", "--probe-keys", "-o", "json"]);
    assert_eq!(unsettled.code, 1, "{}", unsettled.stderr);
    assert!(
        weak(&unsettled.json()).contains(&("ENC-NOAES$".into(), "no_aes_keys".into())),
        "{}",
        unsettled.stdout
    );
    assert!(
        !unsettled.stderr.contains("principal=\"ENC-RC4CFG$\"")
            && unsettled.stderr.contains("principal=\"ENC-AES$\""),
        "{}",
        unsettled.stderr
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn the_attributes_give_the_same_classes_live_and_offline() {
    let _domain = common::pristine_domain();
    let expected = set(&[("ENC-DES$", "des_enabled"), ("ENC-RC4CFG$", "rc4_only")]);
    let run = live(&["audit", "--checks", "weak_encryption", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(weak(&run.json()), expected);
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("domain.ldif");
    export_domain(
        &export,
        &[
            "objectClass",
            "sAMAccountName",
            "userAccountControl",
            "msDS-SupportedEncryptionTypes",
        ],
    );
    let offline = offline(&[
        "audit",
        "--from-ldif",
        export.to_str().unwrap(),
        "--checks",
        "weak_encryption",
        "-o",
        "json",
    ]);
    assert_eq!(offline.code, 1, "{}", offline.stderr);
    assert_eq!(weak(&offline.json()), expected, "offline and live agree");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn show_names_the_cause_and_a_reset_makes_aes_keys() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let shown = live(&["show", "ENC-REKEY", "-o", "json"]);
    assert_eq!(shown.code, 1, "{}", shown.stderr);
    let report = shown.json();
    assert_eq!(
        weak(&report),
        set(&[("ENC-REKEY$", "no_aes_keys")]),
        "{report}"
    );
    // It does not log on: the DC-side reset makes AES keys (a machine that still logged on
    // would be told to repair on the machine instead).
    let cause = &report["accounts"][0]["causes"][0];
    assert!(
        cause["next_step"]
            .as_str()
            .unwrap()
            .starts_with("adcomputer reset 'ENC-REKEY$' --apply --verify")
            && cause["evidence"]
                .as_str()
                .unwrap()
                .contains("does not log on"),
        "{cause}"
    );
    let table = live(&["show", "ENC-REKEY"]);
    assert!(
        table.stdout.contains("no_aes_keys") && table.stdout.contains("none"),
        "{}",
        table.stdout
    );

    let reset = live(&["reset", "ENC-REKEY", "--apply", "--verify", "-o", "json"]);
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    let verification = &reset.json()["findings"][0]["verification"][0];
    assert_eq!(verification["result"], "accepted", "{verification}");
    assert_eq!(
        verification["aes_keys"][0], "aes256-cts-hmac-sha1-96",
        "{verification}"
    );
    assert_eq!(kinit_aes_only("ENC-REKEY$"), Some(true), "kinit agrees");
    let after = live(&["show", "ENC-REKEY", "-o", "json"]);
    assert!(weak(&after.json()).is_empty(), "{}", after.stdout);
    // Keys replicate with the password: dc2, which replication has not reached (the test
    // domain replicates only when a test says so), still holds the RC4 key alone.
    let per_dc = live(&["show", "ENC-REKEY", "--all-dcs", "-o", "json"]).json();
    let keys: Vec<(String, Value)> = per_dc["accounts"][0]["dcs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|dc| {
            (
                dc["dc"].as_str().unwrap().to_string(),
                dc["aes_keys"].clone(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            (
                "dc1.adc.test".to_string(),
                serde_json::json!(["aes256-cts-hmac-sha1-96"])
            ),
            ("dc2.adc.test".to_string(), serde_json::json!([])),
        ],
        "{per_dc}"
    );
}

/// A KDC that misbehaves, on 127.0.0.1 (UDP and TCP on the same port): answers nothing, or
/// garbage, or (silent on UDP, so the client goes on to TCP) a TCP length far beyond any reply. Runs until the test ends.
fn hostile_kdc(behaviour: &'static str) -> u16 {
    use std::io::{Read, Write};
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = tcp.local_addr().unwrap().port();
    let udp = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 65_536];
        while let Ok((_, from)) = udp.recv_from(&mut buffer) {
            // A KRB-ERROR tag, then nonsense.
            if behaviour == "garbage" {
                drop(udp.send_to(b"\x7e\x05\x30\x03\x02\x01\xff", from));
            }
        }
    });
    std::thread::spawn(move || {
        for stream in tcp.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut length = [0u8; 4];
                if stream.read_exact(&mut length).is_err() {
                    return;
                }
                match behaviour {
                    "oversized" => drop(stream.write_all(&u32::MAX.to_be_bytes())),
                    "garbage" => drop(stream.write_all(b"\x00\x00\x00\x03abc")),
                    // Silent: hold the connection open, answer nothing.
                    _ => std::thread::sleep(std::time::Duration::from_secs(30)),
                }
                std::thread::sleep(std::time::Duration::from_secs(30));
            });
        }
    });
    port
}

/// A KDC that is silent, answers garbage, or announces a reply of 4 GiB gives a per-account
/// "not probed: why" and a run that is no clean bill (exit 2), never a hang or a panic.
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_hostile_or_silent_kdc_leaves_accounts_not_probed() {
    let _domain = common::pristine_domain();
    let base = format!("CN=ENC-AES,OU=Encryption,{}", test_dc().base);
    for (behaviour, why) in [
        ("silent", "no answer within 2 s"),
        ("garbage", "malformed"),
        ("oversized", "too large"),
    ] {
        let kdc = format!("127.0.0.1:{}", hostile_kdc(behaviour));
        let started = std::time::Instant::now();
        let run = live(&[
            "--timeout",
            "2",
            "-b",
            &base,
            "audit",
            "--checks",
            "weak_encryption",
            "--probe-keys",
            "--kdc",
            &kdc,
            "-o",
            "json",
        ]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{behaviour}: {:?}",
            started.elapsed()
        );
        assert_eq!(run.code, 2, "{behaviour}: {} {}", run.stdout, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        let report = run.json();
        assert_eq!(
            report["coverage"]["weak_encryption"]["not_checked"], 1,
            "{behaviour}: {report}"
        );
        let warnings = report["warnings"].to_string();
        assert!(
            warnings.contains("ENC-AES$") && warnings.contains(why),
            "{behaviour}: {warnings}"
        );
    }
    // The same account at the real KDC: probed, AES keys, clean.
    let run = live(&[
        "-b",
        &base,
        "audit",
        "--checks",
        "weak_encryption",
        "--probe-keys",
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
}
