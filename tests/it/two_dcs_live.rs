//! Real topologies, against the two-DC test domain: replication lag after a reset seen per DC
//! (directory read and Kerberos), waiting for replication, each DC's view of an account, the
//! true last logon over all DCs, and deleted computers restored. Its own test binary: it pauses
//! and forces replication between the DCs; its tests take turns.

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Seeded, live, repo_path, test_dc};
use serde_json::Value;

const OU: &str = "OU=TwoDcs,DC=adc,DC=test";

// The tests of this binary change replication for the whole domain: one at a time
// (common::serial).

fn replication(action: &str) {
    let status = Command::new(repo_path("samba-testenv/replication"))
        .arg(action)
        .status()
        .expect("run samba-testenv/replication");
    assert!(status.success(), "replication {action}");
}

/// Computers under `OU` (each `name` with password `password`), replicated to dc2.
fn seed(names: &[&str], password: &str) -> Seeded {
    let quoted: String = format!("\"{password}\"");
    let unicode: Vec<u8> = quoted.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let unicode = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(unicode)
    };
    let mut ldif = format!("dn: {OU}\nobjectClass: organizationalUnit\n\n");
    for name in names {
        ldif.push_str(&format!(
            "dn: CN={name},{OU}\nobjectClass: computer\nsAMAccountName: {name}$\n\
             userAccountControl: 4096\ndNSHostName: {}.adc.test\nunicodePwd:: {unicode}\n\n",
            name.to_lowercase()
        ));
    }
    let seeded = Seeded::add(&[OU], &ldif);
    replication("resume");
    replication("force");
    seeded
}

/// Whether MIT kinit gets a ticket for `principal` at dc1 or dc2 (their own krb5.conf).
fn kinit_at(dc: u8, principal: &str, password: &str) -> bool {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let env = test_dc();
    let config = match dc {
        1 => format!("{}/krb5.conf", env.dir),
        _ => format!("{}/dc2/krb5.conf", env.dir),
    };
    let mut child = Command::new("kinit")
        .arg(principal)
        .env("KRB5_CONFIG", config)
        .env("KRB5CCNAME", format!("FILE:{}/cc", dir.path().display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run kinit (krb5-user)");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait().unwrap().success()
}

/// A computer name no earlier run used: deleted objects of earlier runs stay in the domain.
fn fresh_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}{:05}", nanos % 100_000)
}

fn verification(json: &Value) -> Vec<(String, String, Value, Value)> {
    json["findings"][0]["verification"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["dc"].as_str().unwrap_or("").to_string(),
                v["result"].as_str().unwrap_or("").to_string(),
                v["holds_new_password"].clone(),
                v["key_version"].clone(),
            )
        })
        .collect()
}

#[test]
#[ignore = "needs the two-DC Samba test domain (samba-testenv/test)"]
fn replication_lag_is_seen_per_dc_and_waited_for() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let _seeded = seed(&["TWO-LAG01", "TWO-WAIT01"], "Fixture-Machine-Pass-1");
    replication("pause");
    let run = live(&[
        "reset",
        "TWO-LAG01",
        "--apply",
        "--yes",
        "--verify-all-dcs",
        "-o",
        "json",
    ]);
    let json = run.json();
    assert_eq!(run.code, 1, "dc2 has not the new password: {}", run.stdout);
    let kvno = json["findings"][0]["kvno_after"].as_u64().unwrap();
    let seen = verification(&json);
    assert_eq!(seen.len(), 2, "each DC exactly once: {seen:?}");
    assert_eq!(seen[0].0, "dc1.adc.test");
    assert_eq!(seen[0].1, "accepted");
    assert_eq!(seen[0].2, Value::Bool(true));
    assert_eq!(seen[0].3, kvno);
    assert_eq!(seen[1].0, "dc2.adc.test");
    assert!(seen[1].1.starts_with("wrong password"), "{seen:?}");
    assert_eq!(seen[1].2, Value::Bool(false));
    assert_eq!(seen[1].3, kvno - 1);
    // The KDC that accepted the new password names the AES key it made; dc2, which rejected
    // it, is not asked.
    let verifications = &json["findings"][0]["verification"];
    assert_eq!(verifications[0]["aes_keys"][0], "aes256-cts-hmac-sha1-96");
    assert!(
        verifications[1].get("aes_keys").is_none(),
        "{verifications}"
    );
    // dc2 is only in the domain's DNS: its KDC was reached at the address DNS gave.
    assert_eq!(
        json["findings"][0]["verification"][1]["kdc"],
        "127.0.0.3:88"
    );
    assert!(
        json["findings"][0]["warnings"]
            .to_string()
            .contains("not replicated yet to dc2.adc.test")
    );

    // Each DC's view while paused: dc2 is behind.
    let shown = live(&["show", "TWO-LAG01", "--all-dcs", "-o", "json"]).json();
    let dcs = shown["accounts"][0]["dcs"].as_array().unwrap().clone();
    assert_eq!(dcs[0]["key_version"], kvno);
    assert_eq!(dcs[1]["key_version"], kvno - 1);
    assert_eq!(dcs[0]["behind"], false);
    assert_eq!(dcs[1]["behind"], true);
    assert_eq!(dcs[0]["password_changed_on"], "dc1.adc.test");
    common::assert_documented(&shown);

    // --wait: replication stays paused until the run says (-v) it is waiting for dc2; only
    // then is it resumed and forced. The run returns once dc2 holds the new password.
    let mut child = common::live_command(&[
        "-v",
        "reset",
        "TWO-WAIT01",
        "--apply",
        "--yes",
        "--verify-all-dcs",
        "--wait",
        "60",
        "-o",
        "json",
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut log = String::new();
    loop {
        let mut line = String::new();
        use std::io::BufRead;
        assert_ne!(
            stderr.read_line(&mut line).unwrap(),
            0,
            "it ended before it waited: {log}"
        );
        log.push_str(&line);
        if line.contains("waiting for replication") {
            assert!(line.contains("dc2.adc.test"), "{line}");
            break;
        }
    }
    let started = std::time::Instant::now();
    let helper = std::thread::spawn(|| {
        replication("resume");
        replication("force");
    });
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        rest
    });
    let output = child.wait_with_output().unwrap();
    let run = common::Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: rest.join().unwrap(),
    };
    helper.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let seen = verification(&run.json());
    assert!(
        seen.iter()
            .all(|v| v.1 == "accepted" && v.2 == Value::Bool(true)),
        "{seen:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
#[ignore = "needs the two-DC Samba test domain (samba-testenv/test)"]
fn the_newest_last_logon_counts_wherever_it_was_made() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let _seeded = seed(&["TWO-LOGON01"], "Fixture-Machine-Pass-1");
    // A password set 100 days ago, a replicated last logon 90 days ago: inactive, unless a DC
    // saw a logon since. dc2 sees one now.
    common::raw_modify(&format!(
        "dn: CN=TWO-LOGON01,{OU}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: {}\n-\n\
         replace: lastLogonTimestamp\nlastLogonTimestamp: {}\n-\n",
        common::days_ago(100),
        common::days_ago(90)
    ));
    assert!(kinit_at(
        2,
        "TWO-LOGON01$@ADC.TEST",
        "Fixture-Machine-Pass-1"
    ));
    let shown = live(&["show", "TWO-LOGON01", "--all-dcs", "-o", "json"]).json();
    let account = &shown["accounts"][0];
    let dcs = account["dcs"].as_array().unwrap();
    assert_eq!(dcs[0]["last_logon"], Value::Null, "dc1 saw no logon");
    assert!(dcs[1]["last_logon"].is_string(), "{dcs:?}");
    assert_eq!(account["newest_last_logon"], dcs[1]["last_logon"]);

    let class = |args: &[&str]| -> String {
        let json = live(&[&["stale", "-b", OU, "-o", "json"][..], args].concat()).json();
        json["findings"][0]["class"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(class(&[]), "inactive", "lastLogonTimestamp lags");
    assert_eq!(
        class(&["--precise-logon"]),
        "rotation_failing",
        "dc2's lastLogon is today"
    );
}

#[test]
#[ignore = "needs the two-DC Samba test domain (samba-testenv/test)"]
fn a_deleted_computer_is_restored_and_can_rejoin() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let name = fresh_name("TWO-DEL");
    let _seeded = seed(&[&name], "Fixture-Machine-Pass-1");
    let dn = format!("CN={name},{OU}");
    let lower = name.to_lowercase();
    common::ldap_tool("ldapdelete", &[&dn], None);
    let audit = live(&["audit", "-o", "json"]).json();
    assert!(
        audit["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "deleted_computer" && f["account"] == format!("{name}$").as_str()),
        "audit lists the deleted computer"
    );
    common::assert_documented(&audit);
    let plan = live(&["restore", &name, "-o", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(plan.json()["findings"][0]["restored_to"], dn.as_str());

    let run = live(&[
        "restore", &name, "--apply", "--yes", "--verify", "-o", "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let item = &run.json()["findings"][0];
    common::assert_documented(&run.json());
    assert_eq!(item["status"], "restored");
    assert_eq!(item["dn"], dn.as_str());
    assert_eq!(item["verification"][0]["result"], "accepted");
    assert_eq!(
        item["spns_added"],
        serde_json::json!([
            format!("HOST/{name}"),
            format!("HOST/{lower}.adc.test"),
            format!("RestrictedKrbHost/{name}"),
            format!("RestrictedKrbHost/{lower}.adc.test")
        ])
    );
    assert!(kinit_at(1, &format!("{name}$@ADC.TEST"), &lower));
    // The machine rejoins as itself, with no admin credentials.
    let dir = tempfile::tempdir().unwrap();
    let keytab = dir.path().join("krb5.keytab");
    let address = std::env::var("ADC_TESTENV_ADDR").unwrap_or_else(|_| "127.0.0.2".into());
    let join = Command::new("adcli")
        .args(["join", "--domain=adc.test", "--domain-realm=ADC.TEST"])
        .arg(format!("--domain-controller={address}"))
        .args(["--login-type=computer", "--no-password"])
        .arg(format!("--computer-name={name}"))
        .arg(format!("--host-fqdn={lower}.adc.test"))
        .arg(format!("--host-keytab={}", keytab.display()))
        .output()
        .expect("run adcli");
    assert!(
        join.status.success(),
        "{}",
        String::from_utf8_lossy(&join.stderr)
    );
}

#[test]
#[ignore = "needs the two-DC Samba test domain (samba-testenv/test)"]
fn a_name_several_deleted_computers_had_is_listed_not_restored() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let _seeded = seed(&[], "Fixture-Machine-Pass-1");
    let name = fresh_name("TWO-AMB");
    for ou in ["OU=Amb1", "OU=Amb2"] {
        let parent = format!("{ou},{OU}");
        common::ldap_tool(
            "ldapadd",
            &[],
            Some(&format!(
                "dn: {parent}\nobjectClass: organizationalUnit\n\n\
                 dn: CN={name},{parent}\nobjectClass: computer\nsAMAccountName: {name}$\n\
                 userAccountControl: 4096\n"
            )),
        );
        common::ldap_tool("ldapdelete", &[&format!("CN={name},{parent}")], None);
    }
    let run = live(&["restore", &name, "--apply", "--yes", "-o", "json"]);
    assert_eq!(run.code, 1);
    let item = &run.json()["findings"][0];
    assert_eq!(item["status"], "ambiguous");
    let reason = item["reason"].as_str().unwrap();
    assert!(
        reason.contains("OU=Amb1") && reason.contains("OU=Amb2") && reason.contains("deleted 20"),
        "{reason}"
    );
    // Nothing came back: show lists both deleted computers, no live one.
    let listed = live(&["show", &name, "-o", "json"]).json();
    let kinds: Vec<&str> = listed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["deleted_computer", "deleted_computer"], "{listed}");
    assert!(
        listed["accounts"].as_array().unwrap().is_empty(),
        "{listed}"
    );
    // Chosen by its old DN, one comes back.
    let old = format!("CN={name},OU=Amb2,{OU}");
    let run = live(&["restore", &old, "--apply", "--yes", "-o", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.json()["findings"][0]["dn"], old.as_str());
}

#[test]
#[ignore = "needs the two-DC Samba test domain (samba-testenv/test)"]
fn a_scan_spread_over_both_dcs_reads_each_object_once() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let names = [fresh_name("SPREAD"), fresh_name("SPREADB")];
    let _seeded = seed(&[&names[0], &names[1]], "Fixture-Machine-Pass-1");
    // Each part is read as its DC holds it, and the fixtures write some values on dc1 alone
    // (past Samba's checks: lastLogonTimestamp, one duplicate SPN). The objects scanned must
    // be the same on both: svc-sql's only SPN, which dc2 lacks, is taken off over LDAP (its
    // values may differ, as DC2's own SPNs do until dc2's changes reach dc1).
    common::ldap_tool(
        "ldapmodify",
        &[],
        Some(
            "dn: CN=svc-sql,OU=Service Accounts,DC=adc,DC=test\nchangetype: modify\n\
             delete: servicePrincipalName\n",
        ),
    );
    replication("force");
    assert_eq!(scanned_on_one_dc_only(), Vec::<String>::new());
    // Reported: what this test made, which both DCs hold alike; read: the whole domain.
    let as_of = "2026-11-21T12:00:00Z";
    // As the admin, or as a delegated operator (`Some(name)`).
    let audit = |operator: Option<&str>, more: &[&str]| {
        let mut args = vec!["audit", "-b", OU, "-o", "json", "--as-of", as_of, "-v"];
        args.extend(more);
        let run = match operator {
            None => live(&args),
            Some(user) => common::as_operator(user, &args),
        };
        assert_eq!(run.code, 1, "{}", run.stderr);
        run
    };
    let dns = std::env::var("ADC_TESTENV_ADDR").expect("ADC_TESTENV_ADDR");
    let both = "ldaps://dc1.adc.test ldaps://dc2.adc.test";
    let spread_args = ["-H", both, "--dns-server", &dns, "--connections", "2"];
    // One search's objects and report, then the same read in one part from each DC, split by
    // creation time (what both DCs hold alike): together the parts hold as many objects, and
    // the findings, counts and coverage are the one search's: every object read once.
    let one_search = |run: common::Run| {
        let whole = "filter=\"(|(objectClass=computer)(servicePrincipalName=*))\"";
        let searches = scan_searches(&run.stderr, whole);
        assert_eq!(searches.len(), 1, "{}", run.stderr);
        assert!(searches[0].1 > 30, "{searches:?}");
        (searches[0].1, run.json())
    };
    let read_from_both = |spread: common::Run, (entries, one): &(u64, Value)| {
        assert_eq!(spread.code, 1, "{}", spread.stderr);
        let parts = scan_searches(&spread.stderr, "whenCreated>=");
        let mut dcs: Vec<&str> = parts.iter().map(|(dc, _)| dc.as_str()).collect();
        dcs.sort();
        let expected = ["ldaps://127.0.0.3:636", "ldaps://dc1.adc.test:636"];
        assert_eq!(dcs, expected, "{}", spread.stderr);
        assert!(parts.iter().all(|(_, entries)| *entries > 0), "{parts:?}");
        let total: u64 = parts.iter().map(|(_, entries)| entries).sum();
        assert_eq!(total, *entries, "{parts:?}");
        let spread = spread.json();
        for field in ["findings", "summary", "coverage"] {
            assert_eq!(spread[field], one[field], "{field}");
        }
    };
    let admin = one_search(audit(None, &[]));
    // The DCs of a -H list, and every DC of the domain with --domain (found in its DNS).
    read_from_both(audit(None, &spread_args), &admin);
    let domain = [
        "audit",
        "--domain",
        "adc.test",
        "--dns-server",
        &dns,
        "--connections",
        "2",
        "-b",
        OU,
        "-o",
        "json",
        "--as-of",
        as_of,
        "-v",
    ];
    read_from_both(
        common::live_without(&domain, &["ADCOMPUTER_URL"], &[]),
        &admin,
    );
    // A delegated reader (helpdesk: Reset Password only) spreads its read the same way.
    let delegated = one_search(audit(Some("helpdesk"), &[]));
    read_from_both(audit(Some("helpdesk"), &spread_args), &delegated);
    let one = admin.1;
    assert_eq!(one["summary"]["accounts_read"], 2);
    // With one URL the parts stay on that DC, by its own USNs.
    let alone = audit(None, &["--connections", "2"]);
    assert!(alone.stderr.contains("(uSNCreated<="), "{}", alone.stderr);
    assert!(!alone.stderr.contains("127.0.0.3"), "{}", alone.stderr);
    assert_eq!(alone.json()["findings"], one["findings"]);
}

/// The (DC, entries) of each search in a `-v` log whose line holds `marker`.
fn scan_searches(log: &str, marker: &str) -> Vec<(String, u64)> {
    log.lines()
        .filter(|line| line.contains(" search ") && line.contains(marker))
        .filter_map(|line| {
            let entries = line.split(" entries=").nth(1)?.split(' ').next()?;
            Some((
                line.rsplit(" dc=").next()?.to_string(),
                entries.parse().ok()?,
            ))
        })
        .collect()
}

/// The DNs (lower-case) a scan reads from one DC and not the other (computers and SPN
/// holders), from each DC's own database with ldbsearch.
fn scanned_on_one_dc_only() -> Vec<String> {
    let env = test_dc();
    let scanned = |dir: &str| -> std::collections::BTreeSet<String> {
        let output = Command::new("ldbsearch")
            .args(["-H", &format!("{dir}/private/sam.ldb")])
            .args(["(|(objectClass=computer)(servicePrincipalName=*))", "dn"])
            .output()
            .expect("run ldbsearch");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix("dn: "))
            .map(str::to_lowercase)
            .collect()
    };
    let (dc1, dc2) = (scanned(&env.dir), scanned(&format!("{}/dc2", env.dir)));
    assert!(dc1.len() > 30, "{dc1:?}");
    dc1.symmetric_difference(&dc2).cloned().collect()
}
