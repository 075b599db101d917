//! The habits of OpenLDAP's tools, against the Samba test DC: `LDAPTLS_CACERT` alone trusts
//! the DC's CA, `~/.ldaprc` (`URI`, `BASE`, `TLS_CACERT`) is the lowest layer of settings, a
//! list of URLs in `-H` is tried in order (but a refused bind is not retried elsewhere), `-y
//! FILE` is the password file and `-w` is refused with the reason.

use crate::common;

use common::{live_without, test_dc, write_private};

/// The test DC's own settings this file takes away, to give them the OpenLDAP way.
const OPENLDAP_WAY: &[&str] = &[
    "ADCOMPUTER_CA_CERT",
    "ADCOMPUTER_URL",
    "ADCOMPUTER_BASE",
    "LDAPNOINIT",
];

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn ldaptls_cacert_alone_trusts_the_test_ca() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let home = tempfile::tempdir().unwrap();
    let home = home.path().to_str().unwrap();
    let args = ["-H", dc.url.as_str(), "show", "-o", "json", "WS-HEALTHY01"];
    let run = live_without(
        &args,
        OPENLDAP_WAY,
        &[("HOME", home), ("LDAPTLS_CACERT", dc.ca_cert.as_str())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["accounts"][0]["account"], "WS-HEALTHY01$");
    // Without it, the same run does not trust the DC (this machine's ldap.conf, Debian's
    // default, names the system bundle, expired roots and all: they are left out, not fatal).
    live_without(&args, OPENLDAP_WAY, &[("HOME", home)])
        .assert_one_line_error("is not signed by a trusted CA");
    // OpenSSL's variable for the system store works the same way.
    let run = live_without(
        &args,
        OPENLDAP_WAY,
        &[("HOME", home), ("SSL_CERT_FILE", dc.ca_cert.as_str())],
    );
    assert_eq!(run.code, 0, "SSL_CERT_FILE: {}", run.stderr);
    // A bundle with an expired CA besides the DC's: the good one is trusted.
    let bundle = std::path::Path::new(home).join("bundle.pem");
    let expired =
        std::fs::read_to_string(common::repo_path("fixtures/tls/expired-ca.pem")).unwrap();
    let ca = std::fs::read_to_string(&dc.ca_cert).unwrap();
    std::fs::write(&bundle, format!("{expired}{ca}")).unwrap();
    let run = live_without(
        &args,
        OPENLDAP_WAY,
        &[("HOME", home), ("LDAPTLS_CACERT", bundle.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn ldaprc_gives_the_uri_list_the_base_and_the_ca() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let home = tempfile::tempdir().unwrap();
    // 127.0.0.9 has no DC: the next URL of the list is tried.
    std::fs::write(
        home.path().join(".ldaprc"),
        format!(
            "# as for ldapsearch\nURI ldaps://127.0.0.9 {}\nBASE OU=Workstations,{}\nTLS_CACERT {}\n",
            dc.url, dc.base, dc.ca_cert
        ),
    )
    .unwrap();
    let home = home.path().to_str().unwrap();
    let run = live_without(
        &["spn", "check", "-o", "json"],
        OPENLDAP_WAY,
        &[("HOME", home)],
    );
    assert!(run.code <= 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["source"], format!("{}:636", dc.url));
    let dns: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|finding| finding["dn"].as_str())
        .collect();
    assert!(!dns.is_empty());
    assert!(
        dns.iter()
            .all(|dn| dn.ends_with(&format!("OU=Workstations,{}", dc.base))),
        "BASE narrows the report: {dns:?}"
    );
    // The command line still wins over ldaprc.
    let run = live_without(
        &["-b", &dc.base, "spn", "check", "-o", "json"],
        OPENLDAP_WAY,
        &[("HOME", home)],
    );
    assert!(
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["dn"]
                .as_str()
                .is_some_and(|dn| dn.contains("OU=Servers"))),
        "-b beats BASE"
    );
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_url_list_fails_over_only_when_a_dc_does_not_answer() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let list = format!("ldaps://127.0.0.9 {}", dc.url);
    let run = live_without(
        &["-H", &list, "show", "-o", "json", "WS-HEALTHY01"],
        &[],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["source"], format!("{}:636", dc.url));
    // A wrong password is wrong at every DC: said at once, not retried elsewhere.
    let list = format!("{},ldaps://127.0.0.9", dc.url);
    live_without(
        &["-H", &list, "show", "WS-HEALTHY01"],
        &[],
        &[("ADCOMPUTER_PASSWORD", "Not-The-Password-1")],
    )
    .assert_one_line_error("bad credentials");
    // A typo anywhere in the list is an error before any DC is tried.
    let list = format!("{} ldapz://dc2", dc.url);
    live_without(&["-H", &list, "show", "WS-HEALTHY01"], &[], &[])
        .assert_one_line_error("bad URL ldapz://dc2");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn dash_y_reads_the_password_file_and_dash_w_is_refused_with_the_reason() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bind.pass");
    write_private(&file, &dc.password);
    let run = live_without(
        &[
            "-y",
            file.to_str().unwrap(),
            "show",
            "-o",
            "json",
            "WS-HEALTHY01",
        ],
        &["ADCOMPUTER_PASSWORD"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = live_without(
        &["-w", &dc.password, "show", "WS-HEALTHY01"],
        &["ADCOMPUTER_PASSWORD"],
        &[],
    );
    run.assert_one_line_error(
        "-w is not accepted: a password on the command line is visible to every user",
    );
    assert!(
        !run.stderr.contains(&dc.password),
        "the password is never repeated"
    );
}

/// `BINDDN` in `~/.ldaprc` is the bind user (as for ldapsearch), below `-D` and the
/// environment; `-Z`/`-ZZ` are accepted (StartTLS is always required on ldap://); a bare host
/// in `-H` gets the URL to write instead.
#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn binddn_from_ldaprc_and_starttls_flags_as_ldapsearch_takes_them() {
    let _domain = common::pristine_domain();
    let dc = test_dc();
    let home = tempfile::tempdir().unwrap();
    write_private(
        &home.path().join(".ldaprc"),
        &format!("BINDDN {}\n", dc.bind_dn),
    );
    let home = home.path().to_str().unwrap();
    let args = ["show", "-o", "json", "WS-HEALTHY01"];
    let run = live_without(
        &args,
        &["ADCOMPUTER_BIND_DN", "LDAPNOINIT"],
        &[("HOME", home)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["accounts"][0]["account"], "WS-HEALTHY01$");
    for flag in ["-Z", "-ZZ"] {
        let url = "ldap://dc1.adc.test";
        let run = common::live(&[flag, "-H", url, "show", "-o", "json", "WS-HEALTHY01"]);
        assert_eq!(run.code, 0, "{flag}: {}", run.stderr);
    }
    let bare = common::live(&["-H", "dc1.adc.test", "show", "WS-HEALTHY01"]);
    bare.assert_one_line_error("use ldaps://dc1.adc.test");
}
