//! A batch `reset` whose DC goes away midway: the first account is reset, the DC stops while
//! its new password is being verified, and the second account is never reported as done. Which
//! of the two honest verdicts it gets depends on a race the test cannot order: when its request
//! went to a connection that then died, it is `unknown` (nobody can say whether the DC saw it),
//! with how to settle it; when the client already knew the connection was closed, the request
//! never left, and it is `failed` with that reason (docs/reference.md, "Writes"). Either way
//! the DC, once back, shows it was not written. Its own test binary: it stops and restarts the
//! test DC.

use crate::common;

use std::net::UdpSocket;
use std::process::Command;

use common::{live, repo_path};

fn testenv(script: &str) {
    let status = Command::new(repo_path(&format!("samba-testenv/{script}")))
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run samba-testenv");
    assert!(status.success(), "samba-testenv/{script} failed");
}

#[test]
#[ignore = "needs the Samba test DC: samba-testenv/test runs it"]
fn a_dc_that_vanishes_midway_is_reported_item_by_item() {
    let _domain = common::pristine_domain();
    let before =
        live(&["show", "-o", "json", "SQL01"]).json()["accounts"][0]["pwd_last_set"].clone();
    assert_ne!(before, serde_json::Value::Null);
    // A fake KDC: the first AS-REQ it sees stops the DC, then it answers with junk.
    let kdc = UdpSocket::bind("127.0.0.1:0").unwrap();
    let kdc_address = kdc.local_addr().unwrap().to_string();
    let fake = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let (_, client) = kdc.recv_from(&mut buf).unwrap();
        testenv("down");
        kdc.send_to(b"not kerberos", client).unwrap();
    });

    let run = live(&[
        "reset",
        "SRV-WEB01",
        "SQL01",
        "--apply",
        "--yes",
        "--verify",
        "--kdc",
        &kdc_address,
        "--timeout",
        "30",
        "-o",
        "json",
    ]);
    fake.join().unwrap();
    testenv("up");

    assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
    let json = run.json();
    let first = &json["findings"][0];
    assert_eq!(first["status"], "reset");
    // Junk or silence from the KDC: either way, not "accepted".
    let verdict = first["verification"][0]["result"].as_str().unwrap();
    assert_ne!(verdict, "accepted");
    let second = &json["findings"][1];
    let reason = second["reason"].as_str().unwrap();
    match second["status"].as_str().unwrap() {
        "unknown" => {
            assert!(
                reason.contains("connection") && reason.contains("could not read it back"),
                "{second}"
            );
            assert_eq!(json["summary"]["unknown"], 1);
        }
        "failed" => {
            assert!(
                reason.contains("not sent, the connection to the DC is closed"),
                "{second}"
            );
            assert_eq!(json["summary"]["failed"], 1);
        }
        other => panic!("{other}: {second}"),
    }
    assert_eq!(json["summary"]["reset"], 1);
    // The DC is back, and reading the account settles it: it was not written.
    let after =
        live(&["show", "-o", "json", "SQL01"]).json()["accounts"][0]["pwd_last_set"].clone();
    assert_eq!(after, before);
}
