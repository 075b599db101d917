//! The rules: pure code over accounts, no I/O. The read-only checks (password staleness,
//! SPN rules, duplicates) and `Finding`, what they report; `Auditor` runs the selected checks
//! while accounts stream by, and `coverage` says what they could examine. The planners decide
//! what the write commands do: `reset` (what may be reset, and to what), `spn_plan`, `undo`
//! (what reversing a journaled change means now), and `readback` (what a lost answer was).
//! `triage` judges a scheduled run's findings: new since a baseline, accepted, failing.

pub mod access_check;
pub mod acting_for;
mod auditor;
pub mod causes;
pub mod coverage;
pub mod dc_inventory;
mod duplicates;
pub mod encryption;
pub mod group_policy;
pub mod kinds;
pub mod local_admin;
mod readback;
pub mod replication_lag;
pub mod reset_plan;
pub mod restore_plan;
pub mod shown;
pub mod spn_plan;
mod spn_rules;
mod staleness;
pub mod support;
pub mod takeover;
pub mod triage;
pub mod undo_plan;

pub use kinds::{Candidate, Finding, Holder};

pub use auditor::{
    Audit, AuditSettings, Auditor, DomainFacts, KeyProbeScope, ProbeScope, Quota, Summary,
};
pub use duplicates::{Reread, SpnIndex, SpnTexts};
pub use readback::{PasswordState, reset_made, spn_change_made};
pub use spn_rules::{SpnSettings, expected_spns, review_spns};
pub use staleness::{StaleClass, StaleSettings, classify_password};

/// Compares case-insensitively (as the report orders names) without allocating: as the
/// strings' characters, each lower-cased, compare. Bytes are compared until the first that
/// differ; only where one of those is not ASCII are characters compared, from there.
fn cmp_folded(a: &str, b: &str) -> std::cmp::Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    for (at, (&p, &q)) in x.iter().zip(y).enumerate() {
        if p == q {
            continue;
        }
        if !p.is_ascii() || !q.is_ascii() {
            // What precedes differs in ASCII case at most: a character starts at the same
            // byte in both, and the characters before it lower-case alike.
            let start = (0..=at)
                .rev()
                .find(|&start| a.is_char_boundary(start))
                .unwrap_or(0);
            return a[start..]
                .chars()
                .flat_map(char::to_lowercase)
                .cmp(b[start..].chars().flat_map(char::to_lowercase));
        }
        let (p, q) = (p.to_ascii_lowercase(), q.to_ascii_lowercase());
        if p != q {
            return p.cmp(&q);
        }
    }
    // One is the other's start, but for ASCII case; what follows lower-cases to something.
    x.len().cmp(&y.len())
}

/// The one order every source and format shares: kind order, then within a kind account (or
/// key or name), then what about it.
pub fn compare_findings(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    if std::mem::discriminant(a) != std::mem::discriminant(b) {
        // Each variant is a kind of its own.
        return a.spec().position().cmp(&b.spec().position());
    }
    let (a, b) = (a.sort_parts(), b.sort_parts());
    cmp_folded(a.0, b.0).then_with(|| cmp_folded(a.1, b.1))
}

/// Puts findings in the one order every source and format shares. A stable merge sort: the
/// sorted runs of several workers merge in one pass.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(compare_findings);
}

/// Puts findings in order, each once. Findings often come in order already (a worker's of one
/// kind, a million stale passwords): one pass finds that and drops repeats; out of order, they
/// are sorted first.
pub(crate) fn sort_and_dedup(findings: &mut Vec<Finding>) {
    let mut in_order = true;
    // `earlier` is the last finding kept.
    findings.dedup_by(|later, earlier| match compare_findings(earlier, later) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => earlier == later,
        std::cmp::Ordering::Greater => {
            in_order = false;
            false
        }
    });
    if !in_order {
        sort_findings(findings);
        findings.dedup();
    }
}

/// Puts in order findings whose first `sorted` already are, once each (no two equal): the
/// rest are sorted and merged in from where the first of them belongs, so that a million
/// findings in order are not compared again for a few added at the end.
fn sort_appended(findings: &mut Vec<Finding>, sorted: usize) {
    findings[sorted..].sort_by(compare_findings);
    let Some(first) = findings.get(sorted) else {
        return;
    };
    let start =
        findings[..sorted].partition_point(|finding| compare_findings(finding, first).is_le());
    findings[start..].sort_by(compare_findings);
    // Only what follows `start` can repeat what precedes it.
    let mut tail = findings.split_off(start.saturating_sub(1));
    tail.dedup();
    findings.append(&mut tail);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::account::Account;
    use crate::model::names::NameQuery;

    #[test]
    fn names_compare_as_their_lower_cased_characters() {
        // What the order means: each string's characters, lower-cased, compared.
        let meaning = |a: &str, b: &str| {
            a.chars()
                .flat_map(char::to_lowercase)
                .cmp(b.chars().flat_map(char::to_lowercase))
        };
        let names = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "Ab",
            "b",
            "B",
            "a-",
            "a.",
            "a_",
            "[",
            "`",
            "Z",
            "z",
            "CN=FLEET-0000029,OU=Fleet",
            "cn=fleet-0000030,ou=fleet",
            "CN=Fleet-0000029",
            "é",
            "É",
            "éa",
            "Éb",
            "aé",
            "aÉ",
            "ae",
            "aE",
            "aß",
            "aSS",
            "İx",
            "i\u{307}x",
            "ix",
            "Σa",
            "σb",
            "ςc",
            "a\u{10400}",
            "a\u{10428}",
            "ÿ",
            "Ÿ",
            "\u{7f}",
            "\u{80}",
        ];
        for a in names {
            for b in names {
                assert_eq!(cmp_folded(a, b), meaning(a, b), "{a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn findings_in_order_or_not_end_sorted_each_once() {
        let missing = |name: &str| Finding::MissingSpn {
            account: Some(format!("{name}$")),
            dn: format!("CN={name},DC=x"),
            spn: "HOST/x".into(),
        };
        // The same account under two DNs: equal in order, not the same finding.
        let twin = Finding::MissingSpn {
            account: Some("B$".into()),
            dn: "CN=B,OU=Other,DC=x".into(),
            spn: "HOST/x".into(),
        };
        let not_found = Finding::NotFound { name: "q".into() };
        for findings in [
            vec![
                missing("A"),
                missing("A"),
                missing("B"),
                twin.clone(),
                missing("C"),
            ],
            vec![
                not_found.clone(),
                missing("C"),
                missing("A"),
                missing("C"),
                twin.clone(),
            ],
            vec![
                missing("B"),
                twin.clone(),
                missing("B"),
                not_found.clone(),
                missing("A"),
            ],
            vec![],
        ] {
            let mut whole = findings.clone();
            sort_findings(&mut whole);
            whole.dedup();
            let mut ours = findings;
            sort_and_dedup(&mut ours);
            assert_eq!(ours, whole);
        }
    }

    #[test]
    fn findings_added_after_sorted_ones_merge_in_as_a_whole_sort_would_put_them() {
        let missing = |name: &str, spn: &str| Finding::MissingSpn {
            account: Some(format!("{name}$")),
            dn: format!("CN={name},DC=x"),
            spn: spn.into(),
        };
        let not_found = |name: &str| Finding::NotFound { name: name.into() };
        let mut findings = vec![
            missing("A", "HOST/a"),
            missing("C", "HOST/c"),
            missing("E", "HOST/e"),
            not_found("q"),
        ];
        sort_findings(&mut findings);
        let sorted = findings.len();
        // Between, equal to one already there, after everything, before everything.
        findings.extend([
            missing("D", "HOST/d"),
            missing("C", "HOST/c"),
            not_found("z"),
            missing("0", "HOST/0"),
        ]);
        let mut whole = findings.clone();
        sort_findings(&mut whole);
        whole.dedup();
        sort_appended(&mut findings, sorted);
        assert_eq!(findings, whole);
        assert_eq!(findings.len(), 7, "the repeated finding is there once");
        let mut nothing_added = whole.clone();
        sort_appended(&mut nothing_added, whole.len());
        assert_eq!(nothing_added, whole);
    }

    #[test]
    fn each_name_is_found_or_reported() {
        let accounts = [
            Account::test("PC01$"),
            Account {
                dn: "CN=KIOSK,OU=A,DC=x".into(),
                ..Account::test("KIOSK$")
            },
            Account {
                dn: "CN=KIOSK,OU=B,DC=x".into(),
                cn: Some("KIOSK".into()),
                ..Account::test("KIOSK-OLD$")
            },
        ];
        let names: Vec<NameQuery> = ["pc01", "nope", "kiosk"]
            .iter()
            .map(|raw| NameQuery::parse(raw).unwrap())
            .collect();
        let (found, unresolved) = Finding::resolve_each(&names, &accounts);
        assert_eq!(found, [&accounts[0]]);
        let kinds: Vec<&str> = unresolved.iter().map(Finding::kind).collect();
        assert_eq!(kinds, ["not_found", "ambiguous"]);
    }
}
