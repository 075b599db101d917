//! Rotation policy against the seeded Group Policy (samba-testenv/seed): GPOs and links over
//! LDAP, each GptTmpl.inf over SMB from the DC's sysvol with the bind's password or Kerberos
//! ticket, resolved with link order, blocked inheritance, enforced and disabled links and GPOs
//! whose computer settings are disabled; stale passwords it explains; what it cannot read is no
//! clean bill.

use std::collections::BTreeSet;

use crate::common::{self, live, raw_modify, test_dc};
use crate::kerberos_live::{kinit_admin, kinit_as, with_ticket};
use serde_json::Value;

/// (GPO name, class, linked to, accounts) of every rotation_policy finding.
fn policies(report: &Value) -> BTreeSet<(String, String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "rotation_policy")
        .map(|f| {
            let list = |name: &str| {
                f[name]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            assert_eq!(f["computers"], f["accounts"].as_array().unwrap().len());
            (
                f["gpo"]["name"].as_str().unwrap().to_string(),
                f["class"].as_str().unwrap().to_string(),
                list("linked_to"),
                list("accounts"),
            )
        })
        .collect()
}

fn stale_class(report: &Value, account: &str) -> Option<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "stale_password" && f["account"] == account)
        .map(|f| f["class"].as_str().unwrap().to_string())
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn the_workaround_is_found_where_it_applies_and_explains_stale_passwords() {
    let _domain = common::pristine_domain();
    let run = live(&["audit", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    common::assert_documented(&report);
    let found = policies(&report);
    let row = |gpo: &str, class: &str, linked: &str, accounts: &str| {
        (
            gpo.to_string(),
            class.to_string(),
            linked.to_string(),
            accounts.to_string(),
        )
    };
    let expected: BTreeSet<_> = [
        row(
            "DCs refuse password changes",
            "dcs_refuse_changes",
            "OU=Domain Controllers,DC=adc,DC=test",
            "DC1$ DC2$",
        ),
        // OU=Lab blocks inheritance: its computer is not under "Kiosks never rotate".
        row(
            "Kiosks never rotate",
            "members_never_rotate",
            "OU=Kiosks,DC=adc,DC=test",
            "KIOSK-NR01$ KIOSK-NR02$",
        ),
        // Enforced on OU=Kiosks: it reaches OU=Lab through the block.
        row(
            "Long machine password age",
            "long_max_age",
            "OU=Kiosks,DC=adc,DC=test",
            "LAB-PC01$ LAB-PC02$",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        found, expected,
        "the disabled link and the GPO whose computer settings are disabled say nothing"
    );
    assert_eq!(
        stale_class(&report, "KIOSK-NR01$").as_deref(),
        Some("rotation_suppressed")
    );
    // Each of its findings names the account's cause: the policy, not the machine.
    let kiosk: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["account"] == "KIOSK-NR01$")
        .collect();
    assert!(!kiosk.is_empty());
    assert!(
        kiosk.iter().all(|f| f["cause"] == "gpo_stops_rotation"),
        "{kiosk:?}"
    );
    assert_eq!(
        stale_class(&report, "LAB-PC01$").as_deref(),
        Some("rotation_failing")
    );
    assert_eq!(
        stale_class(&report, "PC-ROTFAIL$").as_deref(),
        Some("rotation_failing")
    );
    let kiosk = report["accounts"].clone();
    assert!(kiosk.is_null(), "audit lists findings only");
    // stale sees the policy too, and its table says which GPO.
    let stale = live(&["stale"]);
    assert!(
        stale.stdout.contains("rotation_suppressed")
            && stale.stdout.contains("Kiosks never rotate"),
        "{}",
        stale.stdout
    );
    // The rollback advice names the GPO.
    let table = live(&["audit"]);
    assert!(table.stdout.contains("Rotation policy"), "{}", table.stdout);

    // A link to a GPO that does not exist is a warning, never a silent "nothing set".
    let dc = test_dc();
    raw_modify(&format!(
        "dn: OU=Servers,{base}\nchangetype: modify\nreplace: gPLink\ngPLink: [LDAP://cn={{00000000-0000-0000-0000-000000000000}},cn=policies,cn=system,{base};0]\n-\n",
        base = dc.base
    ));
    let dangling = live(&["audit", "-o", "json"]);
    let warnings = dangling.json()["warnings"].to_string();
    assert!(
        warnings.contains("{00000000-0000-0000-0000-000000000000}")
            && warnings.contains("does not exist"),
        "{warnings}"
    );
}

/// With `--kerberos` the ticket reads SYSVOL (SMB 2.1, signed with the Kerberos session key):
/// the same policy as with a password. An account the template's ACL denies gets a coverage
/// gap naming the GPO — with a password and with a ticket alike — never a clean report.
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn kerberos_reads_sysvol_and_an_account_denied_it_gets_a_gap() {
    let _domain = common::pristine_domain();
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cc").display().to_string();
    kinit_admin(&cache);
    let ticket = with_ticket(&cache, "ldap://dc1.adc.test", &["audit", "-o", "json"]);
    assert_eq!(ticket.code, 1, "{}", ticket.stderr);
    let password = live(&["audit", "-o", "json"]);
    let found = policies(&ticket.json());
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found, policies(&password.json()));
    let warnings = ticket.json()["warnings"].to_string();
    assert!(!warnings.contains("GptTmpl.inf"), "{warnings}");

    // The DCs' GPO's template denied to helpdesk, as an admin may lock a GPO down.
    let template = GptTmpl::of("DCs refuse password changes");
    template.deny("helpdesk");
    let scope = format!("OU=Domain Controllers,{}", test_dc().base);
    let args = [
        "-b",
        &scope,
        "audit",
        "--checks",
        "stale_password",
        "-o",
        "json",
    ];
    let helpdesk_cache = dir.path().join("helpdesk").display().to_string();
    kinit_as(
        &helpdesk_cache,
        "helpdesk@ADC.TEST",
        common::OPERATOR_PASSWORD,
    );
    for run in [
        common::as_operator("helpdesk", &args),
        with_ticket(&helpdesk_cache, "ldap://dc1.adc.test", &args),
    ] {
        assert_eq!(run.code, 2, "{} {}", run.stdout, run.stderr);
        let warnings = run.json()["warnings"].to_string().to_lowercase();
        assert!(
            warnings.contains("dcs refuse password changes") && warnings.contains("access denied"),
            "{warnings}"
        );
        assert!(
            run.stderr.contains("not everything was checked"),
            "{}",
            run.stderr
        );
    }
    // The admin still reads it: the gap is the account's, not the DC's.
    let admin = live(&args);
    assert!(!admin.json()["warnings"].to_string().contains("GptTmpl.inf"));
    template.restore();
}

/// A GPO's GptTmpl.inf in dc1's sysvol, its NT ACL changed with samba-tool and put back.
struct GptTmpl {
    path: String,
    acl: String,
}

impl GptTmpl {
    fn of(gpo: &str) -> GptTmpl {
        let dc = test_dc();
        let guid = ldb_value(
            &format!("CN=Policies,CN=System,{}", dc.base),
            &format!("(displayName={gpo})"),
            "cn",
        );
        let path = format!(
            "{}/state/sysvol/adc.test/Policies/{guid}/Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf",
            dc.dir
        );
        let acl = samba_tool(&["ntacl", "get", "--as-sddl", &path]);
        GptTmpl {
            path,
            acl: acl.trim().to_string(),
        }
    }

    /// Puts a deny-everything entry for `user` first in the file's DACL.
    fn deny(&self, user: &str) {
        let sid = ldb_value(
            &test_dc().base,
            &format!("(sAMAccountName={user})"),
            "objectSid",
        );
        let (head, aces) = self.acl.split_once("D:P").expect("a protected DACL");
        let denied = format!("{head}D:P(D;;FA;;;{sid}){aces}");
        samba_tool(&["ntacl", "set", &denied, &self.path]);
    }

    fn restore(&self) {
        samba_tool(&["ntacl", "set", &self.acl, &self.path]);
    }
}

/// One attribute's value in dc1's database, as ldbsearch shows it (SIDs as text).
fn ldb_value(base: &str, filter: &str, attribute: &str) -> String {
    let dc = test_dc();
    let output = std::process::Command::new("ldbsearch")
        .args(["-H", &format!("{}/private/sam.ldb", dc.dir), "-b", base])
        .args([filter, attribute])
        .output()
        .expect("ldbsearch");
    let prefix = format!("{attribute}: ");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()).map(str::to_string))
        .unwrap_or_else(|| panic!("no {attribute} for {filter}"))
}

/// samba-tool with dc1's smb.conf; its stdout.
fn samba_tool(args: &[&str]) -> String {
    let dc = test_dc();
    let output = std::process::Command::new("samba-tool")
        .args(args)
        .args(["-s", &format!("{}/etc/smb.conf", dc.dir)])
        .output()
        .expect("samba-tool");
    assert!(output.status.success(), "samba-tool {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Offline: an export with the GPO objects and OUs, and a copy of the DC's sysvol folder,
/// give what the DC gives; a template in the copy that is not text is named, not "nothing set".
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn an_export_and_a_copy_of_sysvol_give_the_same_policy() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("domain.ldif");
    let gpo_attributes = [
        "gPLink",
        "gPOptions",
        "displayName",
        "flags",
        "versionNumber",
        "whenChanged",
        "gPCFileSysPath",
    ];
    let attributes: Vec<&str> = adcomputer::ACCOUNT_ATTRIBUTES
        .iter()
        .copied()
        .chain(gpo_attributes)
        .collect();
    common::export_domain(&export, &attributes);
    let copy = dir.path().join("sysvol");
    let status = std::process::Command::new("cp")
        .args(["-r", &format!("{}/state/sysvol", dc.dir)])
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let offline_in = |scope: &[&str], sysvol: &std::path::Path| {
        let source = [
            "--from-ldif",
            export.to_str().unwrap(),
            "--sysvol",
            sysvol.to_str().unwrap(),
        ];
        common::offline(&[scope, &["audit", "-o", "json"], &source].concat())
    };
    let offline = |sysvol: &std::path::Path| offline_in(&[], sysvol);
    let run = offline(&copy);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let live_report = live(&["audit", "-o", "json"]).json();
    assert_eq!(policies(&run.json()), policies(&live_report));
    assert_eq!(
        stale_class(&run.json(), "KIOSK-NR01$").as_deref(),
        Some("rotation_suppressed")
    );
    // From a DC, --sysvol has no part to play: refused with one line.
    live(&["audit", "--sysvol", copy.to_str().unwrap()]).assert_one_line_error("--sysvol");
    // A template that is not text: its GPO is named, its computers not judged.
    let mut broken = 0;
    for entry in walk(&copy) {
        let text = std::fs::read(&entry).unwrap_or_default();
        let utf16: Vec<u16> = text[2.min(text.len())..]
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        if entry.ends_with("GptTmpl.inf")
            && String::from_utf16_lossy(&utf16).contains("DisablePasswordChange=4,1")
        {
            std::fs::write(&entry, [0xff, 0xfe, 0x41]).unwrap();
            broken += 1;
        }
    }
    assert_eq!(
        broken, 2,
        "Kiosks never rotate, and the GPO with computer settings off"
    );
    // A GPO whose folder is gone from the copy: named too.
    let dcs_policy = walk(&copy)
        .into_iter()
        .find(|path| {
            path.ends_with("GptTmpl.inf")
                && std::fs::read(path).is_ok_and(|bytes| {
                    let units: Vec<u16> = bytes[2.min(bytes.len())..]
                        .chunks_exact(2)
                        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                        .collect();
                    String::from_utf16_lossy(&units).contains("RefusePasswordChange=4,1")
                })
        })
        .unwrap();
    let folder = dcs_policy.ancestors().nth(5).unwrap().to_path_buf();
    assert!(folder.join("GPT.INI").exists(), "{}", folder.display());
    std::fs::remove_dir_all(&folder).unwrap();
    let run = offline(&copy);
    let report = run.json();
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("Kiosks never rotate") && warnings.contains("was not read"),
        "{warnings}"
    );
    assert!(
        !policies(&report)
            .iter()
            .any(|(gpo, ..)| gpo == "Kiosks never rotate"),
        "{report}"
    );
    assert!(
        warnings.contains("DCs refuse password changes")
            && warnings.contains("folder in the copy of sysvol is missing"),
        "{warnings}"
    );
    // A scope with nothing else to report is then no clean bill.
    let scope = format!("OU=Domain Controllers,{}", dc.base);
    let run = offline_in(&["-b", &scope], &copy);
    assert_eq!(run.code, 2, "{} {}", run.stdout, run.stderr);
}

/// Every file below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
