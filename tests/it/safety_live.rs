//! Issue 17's attacks, tried against the live test DC: journals written by hand (with a valid
//! chain, as an attacker who read the code would write them) are refused whole and change
//! nothing; an edited journal and one of another domain are refused with one line.

use crate::common;

use common::{ldap_tool, live, test_dc};

/// A journal line as adcomputer writes it: `entry`'s fields, keys sorted, plus `chain`, the
/// SHA-256 of the previous chain and the line without it. Returns the line and the new chain.
fn chained(entry: serde_json::Value, previous: &[u8; 32]) -> (String, [u8; 32]) {
    let bare = serde_json::to_vec(&entry).unwrap();
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(previous);
    context.update(&bare);
    let mut chain = [0; 32];
    chain.copy_from_slice(context.finish().as_ref());
    let mut entry = entry;
    let hex: String = chain.iter().map(|b| format!("{b:02x}")).collect();
    entry["chain"] = hex.into();
    (serde_json::to_string(&entry).unwrap(), chain)
}

/// A well-formed journal of `domain` claiming one applied change to `dn`.
fn forged_journal(domain: &str, dn: &str, add: &[&str], remove: &[&str]) -> String {
    let entries = [
        serde_json::json!({"event": "run", "time": "2026-12-06T00:00:00Z", "domain": domain, "version": "0.1.0"}),
        serde_json::json!({"event": "intent", "time": "2026-12-06T00:00:01Z", "account": "PC-HOSTONLY$",
            "dn": dn, "spns_before": [], "add": add, "remove": remove}),
        serde_json::json!({"event": "result", "time": "2026-12-06T00:00:02Z", "dn": dn, "status": "applied"}),
    ];
    let mut chain = [0; 32];
    let mut text = String::new();
    for entry in entries {
        let (line, next) = chained(entry, &chain);
        chain = next;
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A forged journal: what it claims (name, DN, added, removed), extra options, and the refusal.
type ForgedCase<'a> = (
    &'a str,
    String,
    Vec<&'a str>,
    Vec<&'a str>,
    &'a [&'a str],
    &'a str,
);

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn forged_journals_are_refused_whole_and_change_nothing() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let computer = format!("CN=PC-HOSTONLY,OU=Workstations,{}", dc.base);
    let cases: [ForgedCase; 6] = [
        (
            "Administrator made Kerberoastable",
            format!("CN=Administrator,CN=Users,{}", dc.base),
            vec![],
            vec!["MSSQLSvc/roast:1433"],
            &[],
            "not a computer account",
        ),
        (
            "krbtgt",
            format!("CN=krbtgt,CN=Users,{}", dc.base),
            vec![],
            vec!["MSSQLSvc/roast:1433"],
            &[],
            "not a computer account",
        ),
        (
            "a DC's own SPNs removed",
            format!("CN=DC1,OU=Domain Controllers,{}", dc.base),
            vec!["HOST/dc1.adc.test"],
            vec![],
            &[],
            "a domain controller",
        ),
        (
            "an object outside -b",
            computer.clone(),
            vec![],
            vec!["HOST/pc-hostonly-old"],
            &["-b", "OU=Servers,DC=adc,DC=test"],
            "outside the search base",
        ),
        (
            "an escape sequence written back",
            computer.clone(),
            vec![],
            vec!["HTTP/\u{1b}[31mpc-hostonly"],
            &[],
            "not a valid SPN",
        ),
        (
            "a formula written back",
            computer.clone(),
            vec![],
            vec!["=cmd/pc-hostonly"],
            &[],
            "not a valid SPN",
        ),
    ];
    let before = common::spn_snapshot();
    assert!(
        before.iter().any(|pair| pair.contains("dc1.adc.test")),
        "{before:?}"
    );
    for (name, dn, add, remove, extra, why) in cases {
        let path = dir.path().join("forged.jsonl");
        std::fs::write(&path, forged_journal(&dc.base, &dn, &add, &remove)).unwrap();
        let mut args = vec!["undo", path.to_str().unwrap(), "--apply", "--yes"];
        args.extend_from_slice(extra);
        let run = live(&args);
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(why) && run.stderr.contains(&dn),
            "{name}: want {why:?} and the DN in: {}",
            run.stderr
        );
        assert_eq!(
            common::spn_snapshot(),
            before,
            "{name}: the directory changed"
        );
    }

    // The same journal for a change spn fix could have made is accepted (plan only): the rules
    // above refuse the objects, not every journal.
    let path = dir.path().join("plausible.jsonl");
    std::fs::write(
        &path,
        forged_journal(&dc.base, &computer, &["HOST/pc-hostonly-new"], &[]),
    )
    .unwrap();
    let run = live(&["undo", path.to_str().unwrap(), "-o", "json"]);
    // Its SPNs are not what the journal says they were: left as they are (exit 1), not refused.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let item = &run.json()["findings"][0];
    assert_eq!(item["status"], "skipped", "{item}");
    assert_eq!(item["dn"], computer.as_str(), "{item}");
    assert_eq!(item["account"], "PC-HOSTONLY$", "the name read from the DC");

    // Edited after the fact: the chain no longer matches.
    let edited = forged_journal(&dc.base, &computer, &["HOST/pc-hostonly-new"], &[])
        .replace("PC-HOSTONLY,", "PC-NOSPN,");
    std::fs::write(&path, edited).unwrap();
    live(&["undo", path.to_str().unwrap(), "--apply", "--yes"])
        .assert_one_line_error("line 2 is not as adcomputer wrote it");

    // Another domain's journal.
    std::fs::write(
        &path,
        forged_journal(
            "DC=other,DC=test",
            &computer,
            &["HOST/pc-hostonly-new"],
            &[],
        ),
    )
    .unwrap();
    live(&["undo", path.to_str().unwrap(), "--apply", "--yes"])
        .assert_one_line_error("not of this DC's domain");
    assert_eq!(common::spn_snapshot(), before);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn restore_to_must_be_a_live_container_of_this_domain() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let dc = test_dc();
    let cases = [
        (
            format!("CN=Deleted Objects,{}", dc.base),
            "inside Deleted Objects",
        ),
        ("not a dn".to_string(), "not a DN"),
        (format!("OU=Nowhere,{}", dc.base), "no such OU or container"),
        ("DC=other,DC=domain".to_string(), "not in this domain"),
        (
            format!("CN=Administrator,CN=Users,{}", dc.base),
            "not an OU or container",
        ),
    ];
    for (to, why) in cases {
        live(&["restore", "PC-GONE", "--to", &to, "--apply", "--yes"]).assert_one_line_error(why);
    }
    // A real OU passes the check (and the name is then simply not found).
    let run = live(&[
        "restore",
        "PC-GONE",
        "--to",
        &format!("OU=Servers,{}", dc.base),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("not_found") || run.stdout.contains("not found"),
        "{}",
        run.stdout
    );
}

/// A computer made over LDAP under OU=Servers, then deleted: its tombstone's name.
fn deleted_computer(name: &str) -> String {
    let dn = format!("CN={name},OU=Servers,DC=adc,DC=test");
    let _ = common::ldap_tool_at("ldapdelete", None, &[&dn], None);
    ldap_tool(
        "ldapadd",
        &[],
        Some(&format!(
            "dn: {dn}\nobjectClass: computer\nsAMAccountName: {name}$\nuserAccountControl: 4096\n"
        )),
    );
    ldap_tool("ldapdelete", &[&dn], None);
    dn
}

/// A name no earlier run of this test used (the tombstones stay).
fn fresh(prefix: &str) -> String {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 1_000_000;
    format!("{prefix}{stamp}")
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn restore_plans_what_the_dc_allows_and_resumes_an_interrupted_run() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    // Interrupted after the reanimation (SPNs never put back): run again, "already restored",
    // the rest done; a third run changes nothing.
    let name = fresh("RS1-");
    let dn = deleted_computer(&name);
    let first = live(&["restore", &name, "--apply", "--yes", "-o", "json"]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(
        first.json()["findings"][0]["spns_added"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    ldap_tool(
        "ldapmodify",
        &[],
        Some(&format!(
            "dn: {dn}\nchangetype: modify\ndelete: servicePrincipalName\n-\n"
        )),
    );
    let again = live(&["restore", &name, "--apply", "--yes", "-o", "json"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    let item = &again.json()["findings"][0];
    assert_eq!(item["status"], "restored", "{item}");
    assert!(
        item["reason"]
            .as_str()
            .unwrap()
            .contains("already restored"),
        "{item}"
    );
    assert_eq!(item["spns_added"].as_array().unwrap().len(), 4, "{item}");
    let third = live(&["restore", &name, "--apply", "--yes", "-o", "json"]);
    assert_eq!(third.code, 0);
    assert!(
        third.json()["findings"][0]["spns_added"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );

    // Re-created under the same sAMAccountName: the DC would refuse; the plan says why.
    let name = fresh("RS2-");
    deleted_computer(&name);
    let twin = format!("CN={name}-NEW,OU=Servers,DC=adc,DC=test");
    ldap_tool(
        "ldapadd",
        &[],
        Some(&format!(
            "dn: {twin}\nobjectClass: computer\nsAMAccountName: {name}$\n"
        )),
    );
    let plan = live(&["restore", &name, "-o", "json"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    let item = &plan.json()["findings"][0];
    assert_eq!(item["status"], "refused", "{item}");
    assert!(
        item["reason"].as_str().unwrap().contains("taken by"),
        "{item}"
    );
    ldap_tool("ldapdelete", &[&twin], None);

    // Its DN taken by another object.
    let name = fresh("RS3-");
    let dn = deleted_computer(&name);
    ldap_tool(
        "ldapadd",
        &[],
        Some(&format!(
            "dn: {dn}\nobjectClass: computer\nsAMAccountName: {name}B$\n"
        )),
    );
    let plan = live(&["restore", &name, "-o", "json"]);
    let item = &plan.json()["findings"][0];
    assert_eq!(item["status"], "refused", "{item}");
    assert!(
        item["reason"].as_str().unwrap().contains("already exists"),
        "{item}"
    );
    ldap_tool("ldapdelete", &[&dn], None);

    // A default SPN held elsewhere: said in the plan.
    let name = fresh("RS4-");
    deleted_computer(&name);
    let user = "CN=svc-sql,OU=Service Accounts,DC=adc,DC=test";
    // Held as it is (HOST/x), and through an sPNMappings alias (cifs/x counts against HOST/x):
    // the plan uses the same conflict check as the restore itself.
    for (held, blocked) in [
        (format!("HOST/{name}"), format!("HOST/{name}")),
        (
            format!("cifs/{name}.adc.test"),
            format!("HOST/{}.adc.test", name.to_lowercase()),
        ),
    ] {
        let change = |op: &str| {
            ldap_tool(
                "ldapmodify",
                &[],
                Some(&format!(
                    "dn: {user}\nchangetype: modify\n{op}: servicePrincipalName\nservicePrincipalName: {held}\n-\n"
                )),
            )
        };
        change("add");
        let plan = live(&["restore", &name, "-o", "json"]);
        change("delete");
        let item = &plan.json()["findings"][0];
        assert_eq!(item["status"], "planned", "{item}");
        let warnings = item["warnings"].to_string();
        assert!(
            warnings.contains(&format!("{blocked} will not be put back: svc-sql")),
            "{held}: {warnings}"
        );
    }
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn an_ldapsearch_export_cut_after_a_page_is_incomplete() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let dc = test_dc();
    // ldapsearch's own output, paged by 5: each page ends in a trailer whose cookie says
    // whether more follow. Cut after the first page, as `| head` or Ctrl-C leaves it.
    let whole = ldap_tool(
        "ldapsearch",
        &[
            "-b",
            &dc.base,
            "-E",
            "pr=5/noprompt",
            "(objectClass=computer)",
            "objectClass",
            "sAMAccountName",
            "servicePrincipalName",
        ],
        None,
    );
    let first_page_end = whole
        .lines()
        .position(|line| line.starts_with("pagedresults:") && !line.ends_with("cookie="))
        .expect("a multi-page export");
    let cut: String = whole
        .lines()
        .take(first_page_end + 1)
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(cut.contains("result: 0 Success"), "{cut}");
    let dir = tempfile::tempdir().unwrap();
    let (full_path, cut_path) = (dir.path().join("full.ldif"), dir.path().join("cut.ldif"));
    std::fs::write(&full_path, &whole).unwrap();
    std::fs::write(&cut_path, &cut).unwrap();
    let audit = |path: &std::path::Path, format: &str| {
        common::offline(&[
            "spn",
            "check",
            "--checks",
            "duplicate_spn",
            "--from-ldif",
            path.to_str().unwrap(),
            "-o",
            format,
        ])
    };
    let full = audit(&full_path, "json");
    assert!(full.code <= 1, "{}", full.stderr);
    assert!(
        !full.stdout.contains("pagedresults cookie"),
        "{}",
        full.stdout
    );
    let run = audit(&cut_path, "json");
    let warnings = run.json()["warnings"].to_string();
    assert!(
        warnings.contains("last page says more follow"),
        "{warnings}"
    );
    assert!(run.code == 2 || run.code == 1, "{}", run.stderr);
    let nagios = audit(&cut_path, "nagios");
    assert!(
        nagios.stdout.starts_with("ADCOMPUTER SPN_CHECK UNKNOWN")
            || nagios.stdout.contains("not everything was checked"),
        "{}",
        nagios.stdout
    );
}

/// A copy of the test CA (its subject and key, so it vouches for the DC's certificate) with
/// other dates or constraints: `openssl x509 -signkey` over a certificate of our fixtures.
fn test_ca_copy(dir: &std::path::Path, name: &str, options: &[&str]) -> String {
    let dc = test_dc();
    let path = dir.join(name);
    let key = format!("{}/tls/ca.key", dc.dir);
    let made = std::process::Command::new("openssl")
        .args(["x509", "-in"])
        .arg(common::repo_path("fixtures/tls/expired-ca.pem"))
        .args(["-signkey", &key, "-subj", "/CN=adcomputer test CA", "-out"])
        .arg(&path)
        .args(options)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    path.to_str().unwrap().to_string()
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn trust_anchors_are_cas_valid_now_on_every_path() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    let dir = tempfile::tempdir().unwrap();
    let valid = test_ca_copy(dir.path(), "valid.pem", &["-days", "30"]);
    let expired = test_ca_copy(dir.path(), "expired.pem", &["-preserve_dates"]);
    let constraints = dir.path().join("leaf.ext");
    std::fs::write(&constraints, "basicConstraints=critical,CA:FALSE\n").unwrap();
    let not_a_ca = test_ca_copy(
        dir.path(),
        "not-a-ca.pem",
        &[
            "-days",
            "30",
            "-clrext",
            "-extfile",
            constraints.to_str().unwrap(),
        ],
    );
    let show = ["show", "-o", "json", "PC-NOSPN"];
    // Through SSL_CERT_FILE (the system store's path): the valid copy is trusted, the
    // expired one is not.
    let through_system = |file: &str| {
        common::live_without(
            &show,
            &["ADCOMPUTER_CA_CERT"],
            &[("SSL_CERT_FILE", file), ("LDAPNOINIT", "1")],
        )
    };
    // Connected and read (exit 0 or 1 by its findings), not refused (2).
    let trusted = through_system(&valid);
    assert!(trusted.code < 2, "{}", trusted.stderr);
    assert_eq!(trusted.json()["accounts"][0]["account"], "PC-NOSPN$");
    through_system(&expired).assert_one_line_error("not signed by a trusted CA");
    // Through --ca-cert: CA:FALSE is refused, by name.
    common::live(&[&show[..], &["--ca-cert", &not_a_ca]].concat())
        .assert_one_line_error("is not a CA (CA:FALSE)");
    assert!(common::live(&[&show[..], &["--ca-cert", &valid]].concat()).code < 2);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn two_runs_that_mend_the_same_objects_at_once_never_call_each_other_failed() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    const OU: &str = "OU=Concurrent,DC=adc,DC=test";
    let mut ldif = format!("dn: {OU}\nobjectClass: organizationalUnit\nou: Concurrent\n\n");
    for n in 0..12 {
        ldif.push_str(&format!(
            "dn: CN=CC-PC{n:02},{OU}\nobjectClass: computer\nsAMAccountName: CC-PC{n:02}$\n\
             userAccountControl: 4096\ndNSHostName: cc-pc{n:02}.adc.test\n\n"
        ));
    }
    let _seeded = common::Seeded::add(&[OU], &ldif);
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<common::Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["a", "b"]
            .iter()
            .map(|name| {
                let journal = dir.path().join(format!("{name}.jsonl"));
                scope.spawn(move || {
                    live(&[
                        "spn",
                        "fix",
                        "-b",
                        OU,
                        "--apply",
                        "--yes",
                        "--journal",
                        journal.to_str().unwrap(),
                        "-o",
                        "json",
                    ])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // A run that reads after the other has mended an object plans fewer: what matters is that
    // every object is applied by exactly one run and the other, if it planned it, finds it done.
    let mut applied = std::collections::BTreeMap::<String, usize>::new();
    for run in &runs {
        assert!(run.code < 2, "{}", run.stderr);
        let report = run.json();
        let items = report["findings"].as_array().unwrap();
        assert!(items.len() <= 12, "{report}");
        for item in items {
            let status = item["status"].as_str().unwrap();
            assert!(
                ["applied", "unchanged"].contains(&status),
                "neither applied nor found done: {item}"
            );
            *applied
                .entry(item["dn"].as_str().unwrap().to_string())
                .or_default() += usize::from(status == "applied");
        }
    }
    assert_eq!(
        applied.len(),
        12,
        "every object planned by a run: {applied:?}"
    );
    assert!(applied.values().all(|&n| n == 1), "{applied:?}");
    // Every object mended once: four SPNs each.
    let after = ldap_tool(
        "ldapsearch",
        &[
            "-LLL",
            "-b",
            OU,
            "(objectClass=computer)",
            "servicePrincipalName",
        ],
        None,
    );
    assert_eq!(
        after.matches("servicePrincipalName:").count(),
        48,
        "{after}"
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn spn_fix_never_writes_the_hostile_parts_of_a_stale_spn() {
    let _domain = common::pristine_domain();
    let _turn = common::serial();
    const DN: &str = "CN=HOSTILE-ST,OU=Servers,DC=adc,DC=test";
    let hostile = [
        "HTTP\u{1b}[31m/hostile-st.old.local",
        "HOST/hostile-st.old.local/\u{1b}]0;x\u{7}",
        "HOST/hostile-st.old.local:99999",
    ];
    let spns: String = hostile
        .iter()
        .map(|spn| format!("servicePrincipalName:: {}\n", common::base64(spn)))
        .collect();
    let _seeded = common::Seeded::add(
        &[DN],
        &format!(
            "dn: {DN}\nobjectClass: computer\nsAMAccountName: HOSTILE-ST$\nuserAccountControl: 4096\n\
             dNSHostName: hostile-st.adc.test\n{spns}"
        ),
    );
    let plan = live(&["spn", "fix", "HOSTILE-ST", "-o", "json"]);
    assert!(plan.code < 2, "{}", plan.stderr);
    let item = &plan.json()["findings"][0];
    let written: Vec<&str> = item["add"]
        .as_array()
        .unwrap()
        .iter()
        .chain(item["remove"].as_array().unwrap())
        .map(|spn| spn.as_str().unwrap())
        .collect();
    assert!(
        !written.is_empty(),
        "its missing SPNs are still planned: {item}"
    );
    for spn in &written {
        assert!(
            spn.chars().all(|c| c.is_ascii_graphic()) && !spn.contains(":99999"),
            "{spn:?} in {item}"
        );
    }
    let reason = item["reason"].as_str().unwrap();
    assert_eq!(reason.matches("not be a valid SPN").count(), 3, "{reason}");
}
