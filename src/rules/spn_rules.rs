//! Per-computer SPN rules (docs/reference.md, "SPN rules"): SPNs a computer must hold
//! (`missing_spn`) and SPNs left over from an old DNS name (`stale_spn`, with the replacement on
//! the current name). The caller has made sure the account carries what this needs (coverage).

use crate::model::account::Account;
use crate::model::spn::{Spn, same_host};

/// Classes every computer must hold on its short and DNS names.
const REQUIRED_CLASSES: [&str; 2] = ["HOST", "RestrictedKrbHost"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SpnSettings {
    /// Extra required classes (`--expect`).
    pub(crate) expect: Vec<String>,
    pub(crate) include_disabled: bool,
}

impl SpnSettings {
    /// Whether the per-computer rules look at this account: an enabled computer with a name
    /// (disabled ones when asked). Unknown flags are never taken for "enabled".
    pub(crate) fn examines(&self, account: &Account) -> bool {
        account.is_computer()
            && account.sam_account_name.is_some()
            && account
                .is_disabled()
                .is_some_and(|disabled| self.include_disabled || !disabled)
    }
}

/// Whether one of `held` is exactly `class/host` (case-insensitive, trailing dot ignored).
fn holds(held: &[Spn], class: &str, host: &str) -> bool {
    held.iter().any(|spn| {
        spn.port.is_none()
            && spn.name.is_none()
            && crate::model::text::same(spn.class, class)
            && same_host(spn.host, host)
    })
}

/// What the per-computer SPN rules say about one account.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SpnReview {
    /// SPNs it should hold and does not, in rule order.
    pub(crate) missing: Vec<String>,
    /// SPNs on its short name under a DNS name it no longer has, each with its replacement on
    /// the current dNSHostName (`None` without one).
    pub(crate) stale: Vec<(String, Option<String>)>,
}

/// Applies both rules, parsing each SPN once.
pub(crate) fn review_spns(account: &Account, settings: &SpnSettings) -> SpnReview {
    let held: Vec<(&str, Spn)> = account
        .spns
        .iter()
        .filter_map(|text| Some((text.as_str(), Spn::parse(text)?)))
        .collect();
    let parsed: Vec<Spn> = held.iter().map(|(_, spn)| *spn).collect();
    SpnReview {
        missing: missing_spns(account, &parsed, settings),
        stale: stale_spns(account, &held),
    }
}

/// The SPNs a computer should hold (SPEC's `missing_spn` rule), in rule order.
pub(crate) fn expected_spns(account: &Account, settings: &SpnSettings) -> Vec<String> {
    let held: Vec<Spn> = account
        .spns
        .iter()
        .filter_map(|text| Spn::parse(text))
        .collect();
    expected(account, &held, settings)
}

fn expected(account: &Account, held: &[Spn], settings: &SpnSettings) -> Vec<String> {
    let Some(short) = account.short_name() else {
        return Vec::new();
    };
    let fqdn = account
        .dns_host_name
        .as_deref()
        .map(|host| host.strip_suffix('.').unwrap_or(host))
        .filter(|host| !host.is_empty());
    let has_termsrv = held
        .iter()
        .any(|spn| crate::model::text::same(spn.class, "TERMSRV"));
    let classes = REQUIRED_CLASSES
        .into_iter()
        .chain(settings.expect.iter().map(String::as_str))
        .chain(has_termsrv.then_some("TERMSRV"));
    let mut expected: Vec<String> = Vec::new();
    for class in classes {
        for host in std::iter::once(short).chain(fqdn) {
            let wanted = format!("{class}/{host}");
            if !expected
                .iter()
                .any(|m| crate::model::text::same(m, &wanted))
            {
                expected.push(wanted);
            }
        }
    }
    expected
}

fn missing_spns(account: &Account, held: &[Spn], settings: &SpnSettings) -> Vec<String> {
    expected(account, held, settings)
        .into_iter()
        .filter(|wanted| Spn::parse(wanted).is_none_or(|spn| !holds(held, spn.class, spn.host)))
        .collect()
}

fn stale_spns(account: &Account, held: &[(&str, Spn)]) -> Vec<(String, Option<String>)> {
    let Some(short) = account.short_name() else {
        return Vec::new();
    };
    let fqdn = account
        .dns_host_name
        .as_deref()
        .filter(|host| !host.is_empty());
    let current = |host: &str| {
        same_host(host, short)
            || fqdn.is_some_and(|fqdn| same_host(host, fqdn))
            || account
                .additional_dns_host_names
                .iter()
                .any(|extra| same_host(host, extra))
    };
    held.iter()
        .filter(|(_, spn)| same_host(spn.first_label(), short) && !current(spn.host))
        .map(|(text, spn)| (text.to_string(), fqdn.map(|fqdn| spn.on_host(fqdn))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn computer(sam: &str, dns: Option<&str>, spns: &[&str]) -> Account {
        Account {
            dns_host_name: dns.map(Into::into),
            spns: spns.iter().map(|s| s.to_string()).collect(),
            ..Account::test(sam)
        }
    }

    const FULL: [&str; 4] = [
        "HOST/PC01",
        "HOST/pc01.x.test",
        "RestrictedKrbHost/PC01",
        "RestrictedKrbHost/pc01.x.test",
    ];

    #[test]
    fn a_healthy_computer_misses_nothing_in_any_case() {
        let pc = computer("PC01$", Some("pc01.x.test"), &FULL);
        assert!(review_spns(&pc, &SpnSettings::default()).missing.is_empty());
        let mixed = computer(
            "PC01$",
            Some("PC01.X.TEST"),
            &[
                "host/pc01",
                "HOST/Pc01.x.test.",
                "restrictedkrbhost/PC01",
                "RESTRICTEDKRBHOST/pc01.x.test",
            ],
        );
        assert!(
            review_spns(&mixed, &SpnSettings::default())
                .missing
                .is_empty()
        );
    }

    #[test]
    fn no_spns_and_no_dns_name() {
        let bare = computer("PC02$", None, &[]);
        assert_eq!(
            review_spns(&bare, &SpnSettings::default()).missing,
            ["HOST/PC02", "RestrictedKrbHost/PC02"]
        );
        let with_dns = computer("PC02$", Some("pc02.x.test"), &[]);
        assert_eq!(
            review_spns(&with_dns, &SpnSettings::default())
                .missing
                .len(),
            4
        );
    }

    #[test]
    fn termsrv_only_when_already_present_and_expect_adds_classes() {
        let rds = computer(
            "RDS$",
            Some("rds.x.test"),
            &[
                "HOST/RDS",
                "HOST/rds.x.test",
                "RestrictedKrbHost/RDS",
                "RestrictedKrbHost/rds.x.test",
                "TERMSRV/RDS",
            ],
        );
        assert_eq!(
            review_spns(&rds, &SpnSettings::default()).missing,
            ["TERMSRV/rds.x.test"]
        );
        let pc = computer("PC01$", Some("pc01.x.test"), &FULL);
        let settings = SpnSettings {
            expect: vec!["WSMAN".into()],
            include_disabled: false,
        };
        assert_eq!(
            review_spns(&pc, &settings).missing,
            ["WSMAN/PC01", "WSMAN/pc01.x.test"]
        );
    }

    #[test]
    fn ports_and_service_names_do_not_satisfy_a_plain_spn() {
        let pc = computer(
            "PC01$",
            None,
            &["HOST/PC01:8080", "RestrictedKrbHost/PC01/svc"],
        );
        assert_eq!(
            review_spns(&pc, &SpnSettings::default()).missing,
            ["HOST/PC01", "RestrictedKrbHost/PC01"]
        );
    }

    #[test]
    fn stale_spns_keep_port_and_name_and_skip_aliases() {
        let pc = computer(
            "PC01$",
            Some("pc01.new.test"),
            &[
                "HOST/pc01.old.test",
                "MSSQLSvc/PC01.OLD.TEST:1433",
                "ldap/pc01.old.test/old.test",
                "HOST/pc01.new.test.",
                "HTTP/intranet.new.test",
                "HOST/pc011.old.test",
                "HOST/PC01",
            ],
        );
        assert_eq!(
            review_spns(&pc, &SpnSettings::default()).stale,
            [
                (
                    "HOST/pc01.old.test".to_string(),
                    Some("HOST/pc01.new.test".to_string())
                ),
                (
                    "MSSQLSvc/PC01.OLD.TEST:1433".to_string(),
                    Some("MSSQLSvc/pc01.new.test:1433".to_string())
                ),
                (
                    "ldap/pc01.old.test/old.test".to_string(),
                    Some("ldap/pc01.new.test/old.test".to_string())
                ),
            ]
        );
    }

    #[test]
    fn additional_dns_names_are_current_and_no_fqdn_means_no_replacement() {
        let mut pc = computer(
            "PC01$",
            None,
            &["HOST/pc01.alias.test", "HOST/pc01.old.test"],
        );
        pc.additional_dns_host_names = vec!["PC01.alias.test".into()];
        assert_eq!(
            review_spns(&pc, &SpnSettings::default()).stale,
            [("HOST/pc01.old.test".to_string(), None)]
        );
    }

    #[test]
    fn an_empty_dns_host_name_counts_as_none() {
        let pc = computer("PC01$", Some(""), &["HOST/pc01.old.test"]);
        let review = review_spns(&pc, &SpnSettings::default());
        assert_eq!(review.missing, ["HOST/PC01", "RestrictedKrbHost/PC01"]);
        assert_eq!(review.stale, [("HOST/pc01.old.test".to_string(), None)]);
    }

    #[test]
    fn numeric_labels_are_just_labels() {
        let pc = computer("10$", Some("10.x.test"), &["HOST/10.0.0.5"]);
        assert_eq!(review_spns(&pc, &SpnSettings::default()).stale.len(), 1);
    }
}
