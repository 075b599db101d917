//! Per-computer SPN rules (docs/reference.md, "SPN rules"): SPNs a computer must hold
//! (`missing_spn`) and SPNs left over from an old DNS name (`stale_spn`, with the replacement on
//! the current name). The caller has made sure the account carries what this needs (coverage).

use super::Finding;
use super::auditor::AuditSettings;
use super::coverage::{Check, Coverage};
use smallvec::SmallVec;

use crate::model::account::Account;
use crate::model::spn::{Spn, invalid_host};
use crate::model::text::Prepared;

/// Classes every computer must hold on its short and DNS names.
const REQUIRED_CLASSES: [&str; 2] = ["HOST", "RestrictedKrbHost"];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpnSettings {
    /// Extra required classes (`--expect`).
    pub expect: Vec<String>,
    pub include_disabled: bool,
}

impl SpnSettings {
    /// Whether the per-computer rules look at this account: an enabled computer with a name
    /// (disabled ones when asked). Unknown flags are never taken for "enabled".
    pub fn examines(&self, account: &Account) -> bool {
        account.is_computer()
            && account.sam_account_name.is_some()
            && account
                .is_disabled()
                .is_some_and(|disabled| self.include_disabled || !disabled)
    }
}

/// What the per-computer SPN rules say about one account.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SpnReview {
    /// SPNs it should hold and does not, in rule order.
    pub missing: Vec<String>,
    /// SPNs on its short name under a DNS name it no longer has, each with its replacement on
    /// the current dNSHostName (`None` without one).
    pub stale: Vec<(String, Option<String>)>,
    /// Names no SPN can be built from: (attribute, value, why).
    pub invalid: Vec<InvalidName>,
}

/// The `missing_spn` and `stale_spn` checks on one account in scope, as `settings` asks: their
/// coverage, and their findings (one review serves both).
pub fn check_spns(
    account: &Account,
    settings: &AuditSettings,
    coverage: &mut Coverage,
    findings: &mut Vec<Finding>,
) {
    let mut review = None;
    for check in [Check::MISSING_SPN, Check::STALE_SPN] {
        let Some(missing) = settings
            .wants(check)
            .then(|| check.missing_on(account))
            .flatten()
        else {
            continue;
        };
        if !missing.is_empty() {
            coverage.not_checked(check, missing);
            continue;
        }
        if !settings.spn.examines(account) {
            continue;
        }
        coverage.examined(check);
        let review = review.get_or_insert_with(|| review_spns(account, &settings.spn));
        if check == Check::MISSING_SPN {
            findings.extend(review.missing_findings(account));
        } else {
            findings.extend(review.stale_findings(account));
        }
    }
}

impl SpnReview {
    /// The `missing_spn` check's findings on `account`: names no SPN is built from, then the
    /// SPNs it lacks.
    pub fn missing_findings<'a>(
        &'a self,
        account: &'a Account,
    ) -> impl Iterator<Item = Finding> + 'a {
        let invalid = self.invalid.iter().map(|invalid| Finding::InvalidHostName {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            attribute: invalid.attribute,
            value: invalid.value.clone(),
            reason: invalid.reason.clone(),
        });
        let missing = self.missing.iter().map(|spn| Finding::MissingSpn {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            spn: spn.clone(),
        });
        invalid.chain(missing)
    }

    /// The `stale_spn` check's findings on `account`.
    pub fn stale_findings<'a>(
        &'a self,
        account: &'a Account,
    ) -> impl Iterator<Item = Finding> + 'a {
        self.stale
            .iter()
            .map(|(spn, replacement)| Finding::StaleSpn {
                account: account.sam_account_name.clone(),
                dn: account.dn.clone(),
                spn: spn.clone(),
                replacement: replacement.clone(),
            })
    }
}

const SAM_ACCOUNT_NAME: &str = "sAMAccountName";
const DNS_HOST_NAME: &str = "dNSHostName";

/// A name of the account that is no valid host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidName {
    /// `sAMAccountName` or `dNSHostName`.
    pub attribute: &'static str,
    pub value: String,
    pub reason: String,
}

/// The account's names that SPNs are built from and are no valid host names. Directory data
/// is untrusted: a `dNSHostName` may hold escape sequences, and must never reach an SPN.
pub fn invalid_names(account: &Account) -> Vec<InvalidName> {
    let names = [
        (SAM_ACCOUNT_NAME, account.short_name()),
        (DNS_HOST_NAME, account.dns_host_name.as_deref()),
    ];
    names
        .into_iter()
        .filter_map(|(attribute, value)| {
            let value = value?;
            let reason = invalid_host(value)?;
            Some(InvalidName {
                attribute,
                value: value.to_string(),
                reason,
            })
        })
        .collect()
}

/// A host name prepared for comparison, without its trailing dot.
fn host(name: &str) -> Prepared<'_> {
    Prepared::new(name.strip_suffix('.').unwrap_or(name))
}

/// The names and classes one account is judged by, prepared once.
struct Expectation<'a> {
    short: Prepared<'a>,
    /// The dNSHostName (without a trailing dot), unless empty or the short name itself.
    fqdn: Option<Prepared<'a>>,
    /// Further names the account answers to: msDS-AdditionalDnsHostName, and a dNSHostName
    /// no SPN is built from (an SPN on it is not stale, only unexpected).
    extra: SmallVec<[Prepared<'a>; 2]>,
    /// The required classes, each once, in rule order; TERMSRV last.
    classes: SmallVec<[Prepared<'a>; 4]>,
    /// Whether the last class is TERMSRV added by the rule (required only where held), not
    /// asked for with `--expect`.
    termsrv_by_rule: bool,
    /// Whether SPNs may be built on the dNSHostName.
    fqdn_valid: bool,
}

impl<'a> Expectation<'a> {
    /// `None` when the short name is no valid host name; an invalid dNSHostName is left out.
    /// `invalid`: the account's `invalid_names`.
    fn of(
        account: &'a Account,
        settings: &'a SpnSettings,
        invalid: &[InvalidName],
    ) -> Option<Expectation<'a>> {
        let bad = |attribute: &str| invalid.iter().any(|name| name.attribute == attribute);
        if bad(SAM_ACCOUNT_NAME) {
            return None;
        }
        let short = Prepared::new(account.short_name()?);
        let (valid, invalid): (Option<&str>, Option<&str>) = match account.dns_host_name.as_deref()
        {
            Some(fqdn) if bad(DNS_HOST_NAME) => (None, Some(fqdn)),
            fqdn => (fqdn, None),
        };
        let fqdn = valid
            .map(host)
            .filter(|fqdn| !fqdn.text().is_empty() && !fqdn.same(short));
        let (classes, termsrv_by_rule) = required_classes(settings);
        Some(Expectation {
            short,
            fqdn,
            extra: account
                .additional_dns_host_names
                .iter()
                .map(String::as_str)
                .chain(invalid)
                .map(host)
                .collect(),
            classes,
            termsrv_by_rule,
            fqdn_valid: invalid.is_none(),
        })
    }

    /// Which of the account's names `held` is: its short name, its DNS name, or neither.
    fn host_of(&self, held: Prepared<'_>) -> HostIs {
        if held.same(self.short) {
            HostIs::Short
        } else if self.fqdn.is_some_and(|fqdn| held.same(fqdn)) {
            HostIs::Fqdn
        } else {
            HostIs::Other
        }
    }

    /// Whether the class is TERMSRV, from its place among the required classes (each of
    /// which is another class, so a class is the same as one of them at most).
    fn is_termsrv(&self, number: Option<usize>) -> bool {
        number.is_some_and(|number| self.classes[number].same(TERMSRV_CLASS))
    }

    /// Calls `each(class, host)` for every SPN the computer should hold, in rule order;
    /// TERMSRV only when `termsrv`. `index` numbers them for a bit mask.
    fn each(&self, termsrv: bool, mut each: impl FnMut(usize, Prepared<'a>, Prepared<'a>)) {
        let classes = self.classes.len() - usize::from(self.termsrv_by_rule && !termsrv);
        for (number, class) in self.classes[..classes].iter().enumerate() {
            each(2 * number, *class, self.short);
            if let Some(fqdn) = self.fqdn {
                each(2 * number + 1, *class, fqdn);
            }
        }
    }

    /// Whether `spns` are exactly the SPNs expected (TERMSRV only where asked for), each
    /// written as expected but for ASCII case: what most computers hold, told without parsing
    /// an SPN. `false` leaves the account to the rules, also whenever a class or name could
    /// read otherwise inside an SPN (not ASCII, empty, with `/` or `:`, a trailing dot).
    fn held_exactly(&self, spns: &[String]) -> bool {
        // Each byte looked at without a branch: these are short, and looked at for every
        // computer.
        let simple = |text: Prepared<'_>| {
            let bytes = text.text().as_bytes();
            let plain = (bytes.iter()).fold(true, |plain, &byte| {
                plain & byte.is_ascii() & (byte != b'/') & (byte != b':')
            });
            plain && !bytes.is_empty() && bytes.last() != Some(&b'.')
        };
        let names_simple = simple(self.short) && self.fqdn.is_none_or(simple);
        if !(names_simple && self.classes.iter().all(|class| simple(*class))) {
            return false;
        }
        let mut expected: SmallVec<[(u64, &str, &str); 8]> = SmallVec::new();
        self.each(false, |number, class, host| {
            expected.push((1 << number.min(63), class.text(), host.text()));
        });
        let is = |spn: &[u8], class: &str, host: &str| {
            spn.len() == class.len() + 1 + host.len()
                && spn[class.len()] == b'/'
                && spn[..class.len()].eq_ignore_ascii_case(class.as_bytes())
                && spn[class.len() + 1..].eq_ignore_ascii_case(host.as_bytes())
        };
        let mut held = 0;
        for spn in spns {
            let found = expected
                .iter()
                .find(|(_, class, host)| is(spn.as_bytes(), class, host));
            match found {
                Some((bit, _, _)) => held |= bit,
                None => return false,
            }
        }
        held == expected.iter().fold(0, |all, (bit, _, _)| all | bit)
    }
}

const TERMSRV: &str = "TERMSRV";
const TERMSRV_CLASS: Prepared<'static> = Prepared::constant(TERMSRV);

/// The classes every computer must hold, TERMSRV last: without `--expect`, the same for
/// every account.
const DEFAULT_CLASSES: [Prepared<'static>; 3] = [
    Prepared::constant(REQUIRED_CLASSES[0]),
    Prepared::constant(REQUIRED_CLASSES[1]),
    TERMSRV_CLASS,
];

/// The required classes, each once, in rule order, TERMSRV last unless `--expect` names it;
/// and whether TERMSRV is there by the rule (required only where held).
fn required_classes(settings: &SpnSettings) -> (SmallVec<[Prepared<'_>; 4]>, bool) {
    if settings.expect.is_empty() {
        return (SmallVec::from_slice(&DEFAULT_CLASSES), true);
    }
    let mut classes: SmallVec<[Prepared<'_>; 4]> = SmallVec::new();
    let wanted = REQUIRED_CLASSES
        .into_iter()
        .chain(settings.expect.iter().map(String::as_str));
    for class in wanted.map(Prepared::new) {
        if !classes.iter().any(|known| known.same(class)) {
            classes.push(class);
        }
    }
    let termsrv_by_rule = !classes.iter().any(|known| known.same(TERMSRV_CLASS));
    if termsrv_by_rule {
        classes.push(TERMSRV_CLASS);
    }
    (classes, termsrv_by_rule)
}

/// Which of an account's names an SPN's host is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HostIs {
    Short,
    Fqdn,
    Other,
}

/// Applies both rules in one pass over the account's SPNs.
pub fn review_spns(account: &Account, settings: &SpnSettings) -> SpnReview {
    review_with(account, settings, true)
}

/// `review_spns`; `at_a_glance`: an account holding exactly what is expected is told by
/// comparing texts (`Expectation::held_exactly`), not by the rules SPN by SPN.
fn review_with(account: &Account, settings: &SpnSettings, at_a_glance: bool) -> SpnReview {
    let mut review = SpnReview {
        invalid: invalid_names(account),
        ..SpnReview::default()
    };
    let Some(expectation) = Expectation::of(account, settings, &review.invalid) else {
        return review;
    };
    if at_a_glance && expectation.held_exactly(&account.spns) {
        debug_assert_eq!(
            review_with(account, settings, false),
            review,
            "the rules find nothing on {account:?}"
        );
        return review;
    }
    let fqdn = account
        .dns_host_name
        .as_deref()
        .filter(|host| !host.is_empty() && expectation.fqdn_valid);
    let mut held_mask: u64 = 0;
    let mut has_termsrv = false;
    for text in &account.spns {
        let Some(spn) = Spn::parse(text) else {
            continue;
        };
        let plain = Prepared::is_plain(text);
        let class = Prepared::part(spn.class, plain);
        let number = expectation.classes.iter().position(|c| c.same(class));
        has_termsrv |= expectation.is_termsrv(number);
        let held_host = Prepared::part(spn.bare_host(), plain);
        let host = expectation.host_of(held_host);
        if let Some(number) = number.filter(|_| spn.port.is_none() && spn.name.is_none()) {
            match host {
                HostIs::Short => held_mask |= 1 << (2 * number).min(63),
                HostIs::Fqdn => held_mask |= 1 << (2 * number + 1).min(63),
                HostIs::Other => {}
            }
        }
        // On the short name under a DNS name the account no longer answers to: stale.
        if host == HostIs::Other
            && Prepared::part(spn.first_label(), plain).same(expectation.short)
            && !expectation.extra.iter().any(|extra| held_host.same(*extra))
        {
            review
                .stale
                .push((text.clone(), fqdn.map(|fqdn| spn.on_host(fqdn))));
        }
    }
    expectation.each(has_termsrv, |number, class, host| {
        if held_mask & (1 << number.min(63)) == 0 {
            review
                .missing
                .push(format!("{}/{}", class.text(), host.text()));
        }
    });
    review
}

/// The SPNs a computer should hold (the `missing_spn` rule), in rule order.
pub fn expected_spns(account: &Account, settings: &SpnSettings) -> Vec<String> {
    // The rules are a computer's: a user or service account is expected to hold none.
    if !account.may_be_computer() {
        return Vec::new();
    }
    let invalid = invalid_names(account);
    let Some(expectation) = Expectation::of(account, settings, &invalid) else {
        return Vec::new();
    };
    let has_termsrv = account
        .spns
        .iter()
        .filter_map(|text| Spn::parse(text))
        .any(|spn| Prepared::new(spn.class).same(TERMSRV_CLASS));
    let mut expected = Vec::new();
    expectation.each(has_termsrv, |_, class, host| {
        expected.push(format!("{}/{}", class.text(), host.text()));
    });
    expected
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
    fn what_is_told_at_a_glance_is_what_the_rules_say() {
        let with = |expect: &[&str]| SpnSettings {
            expect: expect.iter().map(|class| class.to_string()).collect(),
            ..SpnSettings::default()
        };
        let all_settings = [
            SpnSettings::default(),
            with(&["WSMAN"]),
            with(&["termsrv"]),
            with(&["a/b", "c:d", ""]),
        ];
        let mixed = [
            "host/pc01",
            "HOST/PC01.X.TEST",
            "restrictedkrbhost/PC01",
            "RESTRICTEDKRBHOST/pc01.x.test",
        ];
        let and = |more: &[&'static str]| FULL.iter().chain(more).copied().collect::<Vec<_>>();
        let (termsrv, ports) = (
            and(&["TERMSRV/PC01"]),
            and(&["HOST/PC01:80", "HOST/PC01/x"]),
        );
        let (wsman, odd) = (
            and(&["WSMAN/PC01", "WSMAN/pc01.x.test"]),
            and(&["a/b/PC01"]),
        );
        let (stale, twice) = (
            and(&["HOST/OLD01", "HOST/old01.x.test"]),
            and(&["host/PC01"]),
        );
        let dotted = ["HOST/PC01", "HOST/pc01.x.test.", "RestrictedKrbHost/PC01"];
        let short_only = ["HOST/PC01", "RestrictedKrbHost/PC01"];
        let cases: [(&str, Option<&str>, &[&str]); 16] = [
            ("PC01$", Some("pc01.x.test"), &FULL),
            ("PC01$", Some("PC01.X.TEST"), &mixed),
            ("PC01$", Some("pc01.x.test"), &FULL[..3]),
            ("PC01$", Some("pc01.x.test"), &termsrv),
            ("PC01$", Some("pc01.x.test"), &ports),
            ("PC01$", Some("pc01.x.test"), &wsman),
            ("PC01$", Some("pc01.x.test"), &odd),
            ("PC01$", Some("pc01.x.test"), &stale),
            ("PC01$", Some("pc01.x.test"), &twice),
            ("PC01$", Some("pc01.x.test"), &[]),
            ("PC01$", Some("pc01.x.test."), &FULL),
            ("PC01$", Some("pc01.x.test.."), &dotted),
            ("PC01$", Some("pc01"), &short_only),
            ("PC01$", None, &short_only),
            ("PC01$", Some("bad name.x.test"), &short_only),
            (
                "PÇ01$",
                Some("pç01.x.test"),
                &["HOST/PÇ01", "HOST/pç01.x.test"],
            ),
        ];
        for settings in &all_settings {
            for (sam, dns, spns) in cases {
                let pc = computer(sam, dns, spns);
                assert_eq!(
                    review_with(&pc, settings, true),
                    review_with(&pc, settings, false),
                    "{sam} {dns:?} {spns:?} {:?}",
                    settings.expect
                );
            }
        }
        // Taken where it should be, and only there.
        let glance = |dns: &str, spns: &[&str]| {
            let pc = computer("PC01$", Some(dns), spns);
            let settings = SpnSettings::default();
            let invalid = invalid_names(&pc);
            Expectation::of(&pc, &settings, &invalid)
                .expect("a valid name")
                .held_exactly(&pc.spns)
        };
        assert!(glance("pc01.x.test", &FULL) && glance("PC01.X.TEST", &mixed));
        assert!(!glance("pc01.x.test", &termsrv) && !glance("pc01.x.test", &FULL[..3]));
        assert!(!glance("pc01.x.test.", &dotted) && !glance("pc01.x.test", &twice[..1]));
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
    fn termsrv_asked_for_is_required_everywhere_in_any_case() {
        let settings = SpnSettings {
            expect: vec!["termsrv".into(), "Host".into()],
            include_disabled: false,
        };
        let pc = computer("PC01$", Some("pc01.x.test"), &FULL);
        assert_eq!(
            review_spns(&pc, &settings).missing,
            ["termsrv/PC01", "termsrv/pc01.x.test"]
        );
        // Held in another case: a TERMSRV SPN on one name asks for it on the other only by
        // the rule, and here it is asked for anyway.
        let held = computer(
            "PC01$",
            Some("pc01.x.test"),
            &[&FULL[..], &["TermSrv/pc01"]].concat(),
        );
        assert_eq!(
            review_spns(&held, &settings).missing,
            ["termsrv/pc01.x.test"]
        );
        assert_eq!(
            review_spns(&held, &SpnSettings::default()).missing,
            ["TERMSRV/pc01.x.test"]
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

    #[test]
    fn a_hostile_dns_name_is_reported_and_no_spn_is_expected_on_it() {
        let evil = "pc01\u{1b}]0;PWNED\u{7}.x.test";
        let held = format!("HOST/{evil}");
        let pc = computer("PC01$", Some(evil), &["HOST/PC01", &held]);
        let review = review_spns(&pc, &SpnSettings::default());
        assert_eq!(review.missing, ["RestrictedKrbHost/PC01"]);
        assert!(review.stale.is_empty(), "{:?}", review.stale);
        assert_eq!(review.invalid.len(), 1);
        assert_eq!(review.invalid[0].attribute, "dNSHostName");
        assert!(review.invalid[0].reason.contains("U+001B"));
        assert_eq!(
            expected_spns(&pc, &SpnSettings::default()),
            ["HOST/PC01", "RestrictedKrbHost/PC01"]
        );
    }
}
