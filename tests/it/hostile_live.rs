//! Directory data is hostile input, against the Samba test DC: values anyone with write access
//! to a computer can set (escape sequences, bidirectional overrides, spreadsheet formulas) reach
//! neither the admin's terminal nor a spreadsheet raw, JSON keeps them exact, and `spn fix`
//! never builds an SPN from them.

use crate::common;

use common::{Seeded, base64, ldap_tool, live};

const OU: &str = "OU=Hostile,DC=adc,DC=test";
/// An OSC sequence that retitles the terminal, ended by BEL.
const ANSI_HOST: &str = "ansi01\u{1b}]0;PWNED\u{7}.adc.test";
/// A colour sequence in an SPN, and a right-to-left override in an SPN.
const ANSI_SPN: &str = "HTTP/\u{1b}[31mred";
const BIDI_SPN: &str = "HTTP/evil\u{202e}txt.exe";
/// What a spreadsheet would run.
const FORMULA_HOST: &str = "=HYPERLINK(\"http://evil.example/\",\"x\")";

fn seed() -> Seeded {
    let ldif = format!(
        "dn: {OU}\nobjectClass: organizationalUnit\n\n\
         dn: CN=ANSI01,{OU}\nobjectClass: computer\nsAMAccountName: ANSI01$\n\
         userAccountControl: 4096\ndNSHostName:: {}\nservicePrincipalName:: {}\n\
         servicePrincipalName:: {}\nservicePrincipalName: HOST/ANSI01\n\
         operatingSystem: =cmd|' /C calc'!A0\n\n\
         dn: CN=FORMULA01,{OU}\nobjectClass: computer\nsAMAccountName: FORMULA01$\n\
         userAccountControl: 4096\ndNSHostName: {FORMULA_HOST}\n",
        base64(ANSI_HOST),
        base64(ANSI_SPN),
        base64(BIDI_SPN),
    );
    Seeded::add(&[OU], &ldif)
}

/// Whether `text` holds anything a terminal would act on.
fn dangerous(text: &str) -> Option<char> {
    text.chars()
        .find(|c| (c.is_control() && !matches!(c, '\n')) || ('\u{202a}'..='\u{202e}').contains(c))
}

fn assert_harmless(what: &str, text: &str) {
    if let Some(c) = dangerous(text) {
        panic!("{what} prints {c:?} raw:\n{text}");
    }
}

/// The SPNs the DC holds for the hostile objects, sorted.
fn spns_on_dc() -> Vec<String> {
    let text = ldap_tool(
        "ldapsearch",
        &[
            "-LLL",
            "-o",
            "ldif-wrap=no",
            "-b",
            OU,
            "(objectClass=computer)",
            "servicePrincipalName",
        ],
        None,
    );
    let mut spns: Vec<String> = text
        .lines()
        .filter_map(|line| {
            if let Some(plain) = line.strip_prefix("servicePrincipalName: ") {
                Some(plain.to_string())
            } else {
                line.strip_prefix("servicePrincipalName:: ").map(|encoded| {
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .unwrap();
                    String::from_utf8(bytes).unwrap()
                })
            }
        })
        .collect();
    spns.sort();
    spns
}

#[test]
#[ignore = "needs the Samba test DC (samba-testenv/test)"]
fn hostile_values_reach_neither_terminal_nor_spreadsheet_nor_the_dc() {
    let _domain = common::pristine_domain();
    let _seeded = seed();
    let scope = ["-b", OU];

    // Tables: every value visible, none acted on.
    for args in [
        &["show", "ANSI01", "FORMULA01"][..],
        &[&["audit"][..], &scope].concat(),
        &[&["spn", "check"][..], &scope].concat(),
        &["spn", "fix", "ANSI01", "FORMULA01"],
    ] {
        let run = live(args);
        assert!(run.code <= 1, "{args:?}: {}", run.stderr);
        assert_harmless(&format!("{args:?} stdout"), &run.stdout);
        assert_harmless(&format!("{args:?} stderr"), &run.stderr);
    }
    let shown = live(&["show", "ANSI01"]).stdout;
    assert!(
        shown.contains("ansi01\\x1b]0;PWNED\\x07.adc.test"),
        "{shown}"
    );
    assert!(shown.contains("HTTP/evil\\u{202e}txt.exe"), "{shown}");

    // CSV: no formula cell, no raw control character.
    for args in [
        &["show", "-o", "csv", "ANSI01", "FORMULA01"][..],
        &[&["audit", "-o", "csv"][..], &scope].concat(),
    ] {
        let run = live(args);
        assert_harmless(&format!("{args:?}"), &run.stdout);
        let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                cells += 1;
                assert!(
                    !cell.starts_with(['=', '+', '@']),
                    "{args:?}: a formula cell: {cell}"
                );
            }
        }
        assert!(cells > 10, "{args:?}: {}", run.stdout);
        assert!(
            run.stdout.contains("'=HYPERLINK"),
            "{args:?}: {}",
            run.stdout
        );
    }

    // JSON: exact.
    let json = live(&["show", "-o", "json", "ANSI01", "FORMULA01"]).json();
    assert_eq!(json["accounts"][0]["dns_host_name"], ANSI_HOST);
    assert_eq!(json["accounts"][1]["dns_host_name"], FORMULA_HOST);
    let kinds: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "invalid_host_name")
        .map(|f| f["value"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, [ANSI_HOST, FORMULA_HOST]);

    // The DC: spn fix writes only SPNs on the valid short names.
    let before = spns_on_dc();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.jsonl");
    let run = live(&[
        "spn",
        "fix",
        "ANSI01",
        "FORMULA01",
        "--apply",
        "--yes",
        "--journal",
        journal.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut expected = before.clone();
    expected.extend(
        [
            "HOST/FORMULA01",
            "RestrictedKrbHost/ANSI01",
            "RestrictedKrbHost/FORMULA01",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(spns_on_dc(), expected);
}
