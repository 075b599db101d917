//! Bad settings get one clear line and do nothing: an expired CA, a KDC port out of range, a
//! broken configuration file (which must not block offline runs that never read it).

use crate::common;

use common::{offline, repo_path, with_env};

#[test]
fn an_expired_ca_certificate_is_refused_by_name() {
    let ca = repo_path("fixtures/tls/expired-ca.pem");
    let run = with_env(
        &["show", "PC01", "--ca-cert", ca.to_str().unwrap()],
        &[
            ("ADCOMPUTER_URL", "ldaps://127.0.0.1:9"),
            ("ADCOMPUTER_BIND_DN", "admin@EXAMPLE.TEST"),
            ("ADCOMPUTER_PASSWORD", "not-used"),
        ],
    );
    run.assert_one_line_error("CN=adcomputer expired test CA expired on Feb 1 00:00:00 2020");
}

#[test]
fn a_kdc_port_out_of_range_stops_the_reset_before_anything() {
    for kdc in ["dc1:99999", "dc1:0", "dc1:x", ":88"] {
        let run = with_env(
            &[
                "reset", "PC01", "--apply", "--yes", "--verify", "--kdc", kdc,
            ],
            // A DC that would answer is never asked: the option fails first.
            &[
                ("ADCOMPUTER_URL", "ldaps://127.0.0.1:9"),
                ("ADCOMPUTER_BIND_DN", "admin@EXAMPLE.TEST"),
                ("ADCOMPUTER_PASSWORD", "not-used"),
            ],
        );
        run.assert_one_line_error(&format!("--kdc {kdc}"));
    }
}

#[test]
fn a_broken_config_file_blocks_live_runs_with_its_name_and_never_offline_ones() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("adcomputer");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[profiles.corp\nurl = ").unwrap();
    let home = home.path().to_str().unwrap();
    let demo = repo_path("fixtures/demo-domain.ldif");
    let offline_run = with_env(
        &[
            "audit",
            "--from-ldif",
            demo.to_str().unwrap(),
            "--as-of",
            "2026-11-21",
        ],
        &[("XDG_CONFIG_HOME", home)],
    );
    assert_eq!(offline_run.code, 1, "{}", offline_run.stderr);
    let live_run = with_env(
        &["show", "PC01", "--profile", "corp"],
        &[("XDG_CONFIG_HOME", home)],
    );
    live_run.assert_one_line_error("config.toml");
    // Offline needs none of it: the same without any home at all.
    assert_eq!(
        offline(&[
            "audit",
            "--from-ldif",
            demo.to_str().unwrap(),
            "--as-of",
            "2026-11-21"
        ])
        .code,
        1
    );
}

#[test]
fn a_name_of_100000_characters_is_refused_before_any_search() {
    let long = "A".repeat(100_000);
    let run = with_env(
        &["reset", &long],
        &[
            ("ADCOMPUTER_URL", "ldaps://127.0.0.1:9"),
            ("ADCOMPUTER_BIND_DN", "admin@EXAMPLE.TEST"),
            ("ADCOMPUTER_PASSWORD", "not-used"),
        ],
    );
    run.assert_one_line_error("100000 characters");
}
