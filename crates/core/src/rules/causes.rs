//! Why a computer loses trust, and what to do (docs/reference.md, "Causes and the next step"):
//! the causes the directory and the KDC show for one account, most likely first, each with its
//! evidence and one next step from the decision table below — a command of this tool that,
//! run as written, removes the finding, or a manual step that says exactly what to run. No
//! step resets from the DC side a machine that still logs on without saying it cuts that
//! machine off until it rejoins; DCs, RODCs and cluster name objects get their own procedures.

use serde::Serialize;

use super::Finding;
use super::group_policy::PolicyClass;
use super::replication_lag::DcView;
use crate::model::account::Account;
use crate::model::deleted::Tombstone;
use crate::model::filetime::FileTime;
use crate::model::roles::AccountClass;

/// The causes, in the order they are most likely to be why a machine fails (most likely first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// The account is deleted (a tombstone): `restore` brings it back.
    Deleted,
    /// Deleted and created again under the same name: the machine holds the old account's
    /// secret ("the security database on the server does not have a computer account for this
    /// workstation trust relationship").
    Recreated,
    /// The account is disabled.
    Disabled,
    /// The DCs do not hold the same password yet (replication).
    PasswordDiffers,
    /// The AES-only KDC refuses it.
    AesRefused,
    /// Group Policy stops its password changes.
    GpoStopsRotation,
    /// Its password is old although it keeps logging on.
    RotationFailing,
    /// The KDC accepts its default password: it never joined.
    KnownPassword,
    /// A service account holds one of its SPNs (or an alias).
    SpnHeldByServiceAccount,
    /// Another computer holds one of its SPNs.
    SpnHeldElsewhere,
    /// An SPN every computer holds is absent.
    SpnAbsent,
    /// An SPN names an old DNS name.
    SpnOnOldName,
    /// A name no SPN can be built from.
    UnusableHostName,
    /// Neither its password nor its logons are recent.
    Inactive,
    /// Its password was never set: it never joined.
    NeverSet,
}

/// One cause, with what shows it and the step the decision table gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    pub cause: CauseKind,
    pub evidence: String,
    pub next_step: String,
    /// The step is for a person (on the machine, or a command of another tool); else it is a
    /// command of this tool that removes the finding when run as written.
    pub manual: bool,
}

/// What the causes are judged with, besides the account and its findings.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    pub as_of: FileTime,
    /// Logons within this many days count as "still logs on" (the staleness period).
    pub recent_days: i64,
    /// The deleted computers, when they could be listed.
    pub tombstones: Option<&'a [Tombstone]>,
    /// Each DC's view of the account (`--all-dcs`).
    pub dcs: Option<&'a [DcView]>,
}

/// The account a finding's cause is about (none for a name only a tombstone has), and whether
/// it logged on within the staleness period: what each kind's declaration decides its step by.
pub struct Subject<'a> {
    pub account: Option<&'a Account>,
    pub logs_on: bool,
}

impl Subject<'_> {
    /// The account's name as a shell word (`'PC01$'`).
    pub fn word(&self) -> Option<String> {
        Some(shell_word(self.account?.label()))
    }

    /// Its short name as a shell word (`PC01`).
    pub fn short(&self) -> Option<String> {
        let account = self.account?;
        Some(shell_word(account.short_name().unwrap_or(account.label())))
    }

    /// The DC-side reset, as a command line.
    pub fn reset(&self) -> Option<String> {
        Some(format!(
            "adcomputer reset {} --apply --verify",
            self.word()?
        ))
    }
}

impl Cause {
    /// A cause, as the kinds' declarations make them.
    pub fn of(
        cause: CauseKind,
        evidence: String,
        next_step: String,
        manual: bool,
    ) -> Option<Cause> {
        Some(Cause {
            cause,
            evidence,
            next_step,
            manual,
        })
    }
}

/// For kinds that are no cause of lost trust (hygiene, names).
pub fn no_cause(_: &Finding, _: &Subject<'_>) -> Option<Cause> {
    None
}

/// For kinds that are no cause of lost trust.
pub fn no_cause_kind(_: &Finding) -> Option<CauseKind> {
    None
}

/// `text` as one shell word: as is when plainly safe, else single-quoted (a name from the
/// directory may hold anything).
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@/:=,".contains(&b));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The causes of `account`'s trouble, most likely first. `findings` may hold findings about
/// other accounts (they are skipped).
pub fn of_account(account: &Account, findings: &[Finding], evidence: &Evidence<'_>) -> Vec<Cause> {
    let name = account.label();
    let word = shell_word(name);
    let short = account.short_name().unwrap_or(name);
    let logs_on = logs_on_recently(account, evidence);
    let mut causes = Vec::new();
    if let Some(tombstone) = recreated_from(account, evidence.tombstones) {
        causes.push(recreated(account, tombstone));
    }
    if account.uac.is_some_and(|uac| uac.is_disabled()) {
        causes.push(Cause {
            cause: CauseKind::Disabled,
            evidence: "userAccountControl has ACCOUNTDISABLE: the DC refuses its logons".into(),
            next_step: format!(
                "if it was disabled by mistake: Enable-ADComputer {} (Samba: samba-tool user enable {word})",
                shell_word(short)
            ),
            manual: true,
        });
    }
    if let Some(cause) = evidence.dcs.and_then(|dcs| password_differs(dcs, &word)) {
        causes.push(cause);
    }
    let subject = Subject {
        account: Some(account),
        logs_on,
    };
    for finding in findings.iter().filter(|f| f.concerns(&account.dn)) {
        causes.extend((finding.spec().cause)(finding, &subject));
    }
    if let Some(procedure) = own_procedure(account) {
        // A DC, RODC, cluster name object or the SSO account is never reset with this tool,
        // nor repaired as a member repairs itself: its procedure replaces every password step.
        for cause in &mut causes {
            let password = matches!(
                cause.cause,
                CauseKind::AesRefused
                    | CauseKind::RotationFailing
                    | CauseKind::PasswordDiffers
                    | CauseKind::Inactive
                    | CauseKind::NeverSet
                    | CauseKind::KnownPassword
            );
            if password || cause.next_step.starts_with("adcomputer reset") {
                cause.next_step = procedure.clone();
                cause.manual = true;
            }
        }
    }
    causes.sort_by_key(|cause| cause.cause);
    // One cause a step: several missing SPNs are one `spn fix`, their evidence joined.
    let mut merged: Vec<Cause> = Vec::with_capacity(causes.len());
    for cause in causes {
        match merged
            .iter_mut()
            .find(|c| c.cause == cause.cause && c.next_step == cause.next_step)
        {
            Some(same) => {
                same.evidence.push_str("; ");
                same.evidence.push_str(&cause.evidence);
            }
            None => merged.push(cause),
        }
    }
    merged
}

impl CauseKind {
    /// As JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CauseKind::Deleted => "deleted",
            CauseKind::Recreated => "recreated",
            CauseKind::Disabled => "disabled",
            CauseKind::PasswordDiffers => "password_differs",
            CauseKind::AesRefused => "aes_refused",
            CauseKind::GpoStopsRotation => "gpo_stops_rotation",
            CauseKind::RotationFailing => "rotation_failing",
            CauseKind::KnownPassword => "known_password",
            CauseKind::SpnHeldByServiceAccount => "spn_held_by_service_account",
            CauseKind::SpnHeldElsewhere => "spn_held_elsewhere",
            CauseKind::SpnAbsent => "spn_absent",
            CauseKind::SpnOnOldName => "spn_on_old_name",
            CauseKind::UnusableHostName => "unusable_host_name",
            CauseKind::Inactive => "inactive",
            CauseKind::NeverSet => "never_set",
        }
    }
}

/// For an audit's findings about one account each, the most likely cause among all the
/// findings about that account (their `cause` field), looked up a finding at a time as a
/// report is written (on every core that writes it).
pub struct AccountCauses {
    /// The best cause of each account (by its DN's hash) that a kind other than the one with
    /// the most findings names, that kind's findings about it included.
    named: hashbrown::HashMap<u64, Option<CauseKind>, foldhash::fast::FixedState>,
}

impl AccountCauses {
    /// Findings come grouped by kind, and one kind usually dwarfs the others (a million stale
    /// passwords): only the accounts the other kinds name go into the table, so that it stays
    /// small, and the big kind's findings are hashed only when it is not empty.
    pub fn of(findings: &[Finding]) -> AccountCauses {
        let big = largest_kind(findings);
        let mut named = hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::default());
        let outside = (findings.iter().enumerate()).filter(|(index, _)| !big.contains(index));
        for (_, finding) in outside {
            if let Some(hash) = dn_hash(finding) {
                let best = named.entry(hash).or_insert(None);
                *best = min_cause(*best, own_cause(finding));
            }
        }
        if !named.is_empty() {
            for finding in &findings[big] {
                if let Some(best) = dn_hash(finding).and_then(|hash| named.get_mut(&hash)) {
                    *best = min_cause(*best, own_cause(finding));
                }
            }
        }
        AccountCauses { named }
    }

    /// The cause of `finding`'s account, one of the findings `of` was given; `None` for a
    /// finding about no account.
    pub fn of_finding(&self, finding: &Finding) -> Option<CauseKind> {
        finding.dn()?;
        let named = (!self.named.is_empty())
            .then(|| dn_hash(finding).and_then(|hash| self.named.get(&hash)))
            .flatten();
        match named {
            Some(best) => *best,
            None => own_cause(finding),
        }
    }
}

fn dn_hash(finding: &Finding) -> Option<u64> {
    use std::hash::BuildHasher;
    let state = foldhash::fast::FixedState::default();
    finding.dn().map(|dn| state.hash_one(dn))
}

/// The cause a finding gives by itself.
fn own_cause(finding: &Finding) -> Option<CauseKind> {
    (finding.spec().cause_kind)(finding)
}

/// The range of the kind with the most findings.
fn largest_kind(findings: &[Finding]) -> std::ops::Range<usize> {
    super::kinds::kind_ranges(findings)
        .into_iter()
        .max_by_key(|range| range.len())
        .unwrap_or(0..0)
}

fn min_cause(a: Option<CauseKind>, b: Option<CauseKind>) -> Option<CauseKind> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The cause a finding about no account shown gives (`show` of a name only a tombstone has).
pub fn of_deleted(finding: &Finding) -> Option<Cause> {
    let subject = Subject {
        account: None,
        logs_on: false,
    };
    (finding.spec().cause)(finding, &subject)
}

/// Whether the account logged on within the staleness period.
fn logs_on_recently(account: &Account, evidence: &Evidence<'_>) -> bool {
    account.last_logon_timestamp.is_some_and(|logon| {
        !logon.is_zero() && logon.days_until(evidence.as_of) <= evidence.recent_days
    })
}

/// A deleted computer of the same sAMAccountName that this account has not logged on since.
fn recreated_from<'a>(
    account: &Account,
    tombstones: Option<&'a [Tombstone]>,
) -> Option<&'a Tombstone> {
    let sam = account.sam_account_name.as_deref()?;
    tombstones?
        .iter()
        .filter(|t| {
            t.sam_account_name
                .as_deref()
                .is_some_and(|other| other.eq_ignore_ascii_case(sam))
        })
        .filter(|t| match (t.deleted_at, account.last_logon_timestamp) {
            // A logon after the deletion: the machine joined the new account.
            (Some(deleted), Some(logon)) => logon <= deleted,
            _ => true,
        })
        .max_by_key(|t| t.deleted_at)
}

fn recreated(account: &Account, tombstone: &Tombstone) -> Cause {
    let name = account.label();
    Cause {
        cause: CauseKind::Recreated,
        evidence: format!(
            "a computer named {name} (objectGUID {}) was deleted {} and this account, another object, has not logged on since: the machine still holds the deleted account's secret",
            tombstone.guid().unwrap_or("unknown"),
            tombstone
                .deleted_at
                .and_then(FileTime::to_rfc3339)
                .map_or_else(|| "at an unknown time".into(), |at| format!("on {at}"))
        ),
        next_step: format!(
            "rejoin the machine: on it, as a local administrator, Remove-Computer then Add-Computer -DomainName <domain> (or: adcomputer reset {} --apply, then on the machine Reset-ComputerMachinePassword / `adcli join --login-type=computer`)",
            shell_word(name)
        ),
        manual: true,
    }
}

/// DCs holding an older password than another (`--all-dcs`).
fn password_differs(dcs: &[DcView], word: &str) -> Option<Cause> {
    let behind: Vec<&DcView> = dcs.iter().filter(|dc| dc.behind).collect();
    if behind.is_empty() {
        return None;
    }
    let newest = dcs.iter().filter_map(|dc| dc.key_version).max()?;
    let names: Vec<String> = behind
        .iter()
        .map(|dc| match dc.key_version {
            Some(kvno) => format!("{} (key version {kvno})", dc.dc),
            None => dc.dc.clone(),
        })
        .collect();
    Some(Cause {
        cause: CauseKind::PasswordDiffers,
        evidence: format!(
            "{} hold(s) an older password than key version {newest}: a logon there fails until replication",
            names.join(", ")
        ),
        next_step: format!(
            "replicate the domain partition to {} (Windows: repadmin /syncall /AdeP; Samba: samba-tool drs replicate <DC> <source DC> <domain DN>), then adcomputer show {word} --all-dcs",
            behind
                .iter()
                .map(|dc| dc.dc.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        manual: true,
    })
}

/// The procedure for an account this tool never resets: a DC, an RODC, a cluster name object.
fn own_procedure(account: &Account) -> Option<String> {
    Some(match AccountClass::of(account) {
        AccountClass::ReadOnlyDc => "an RODC's own account: on the RODC, as a domain admin, `netdom resetpwd /server:<a writable DC> /userd:<DOMAIN>\\<admin> /passwordd:*`; or demote it and add it again".into(),
        AccountClass::DomainController => "a DC's own account, never reset with this tool: on the DC itself, Windows: stop the KDC service, `netdom resetpwd /server:<another DC> /userd:<DOMAIN>\\<admin> /passwordd:*`, start it; a Samba DC keeps its own password: demote it and join it again".into(),
        AccountClass::ClusterName => "a cluster name object: in Failover Cluster Manager, the cluster name → More Actions → Repair Active Directory Object (the cluster owns its password)".into(),
        AccountClass::AzureAdSso => "the seamless SSO account: roll its key over on the Entra Connect server (Update-AzureADSSOForest); never reset it here".into(),
        AccountClass::Member | AccountClass::ManagedServiceAccount => return None,
    })
}

/// The rotation policy's rollback (the seed article's advice).
pub fn rollback(class: PolicyClass, gpo: &str) -> String {
    let option = match class {
        PolicyClass::DcsRefuseChanges => {
            "Domain controller: Refuse machine account password changes"
        }
        PolicyClass::MembersNeverRotate | PolicyClass::LongMaxAge => {
            "Domain member: Maximum machine account password age (30) / Disable machine account password changes"
        }
    };
    format!(
        "once the Server 2025 fix is installed: in GPO {gpo} reset \"{option}\" on a test OU first, then in stages, watching one or two 30-day cycles"
    )
}

pub fn at(kdc: &Option<String>) -> String {
    kdc.as_deref()
        .map_or_else(String::new, |kdc| format!(" at {kdc}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::uac::Uac;
    use crate::rules::StaleClass;
    use crate::rules::encryption::EncClass;

    const DAY: i64 = 864_000_000_000;

    fn evidence(tombstones: Option<&[Tombstone]>) -> Evidence<'_> {
        Evidence {
            as_of: FileTime(400 * DAY),
            recent_days: 45,
            tombstones,
            dcs: None,
        }
    }

    fn stale(account: &Account, class: StaleClass) -> Finding {
        Finding::StalePassword {
            account: account.sam_account_name.clone(),
            dn: account.dn.clone(),
            class,
            pwd_last_set: None,
            last_logon: None,
            password_age_days: Some(120),
            disabled: false,
            domain_controller: false,
            account_class: crate::model::roles::AccountClass::Member,
            note: None,
        }
    }

    fn tombstone(sam: &str, deleted_day: i64) -> Tombstone {
        Tombstone {
            dn: format!(
                "CN={}\\0ADEL:0f0e0d0c-0b0a-0908-0706-050403020100,CN=Deleted Objects,DC=x",
                sam.trim_end_matches('$')
            ),
            sam_account_name: Some(sam.into()),
            uac: None,
            name: sam.trim_end_matches('$').into(),
            last_known_parent: None,
            dns_host_name: None,
            deleted_at: Some(FileTime(deleted_day * DAY)),
        }
    }

    #[test]
    fn causes_come_most_likely_first_and_one_step_once() {
        let mut pc = Account::test("PC$");
        pc.uac = Some(Uac(Uac::WORKSTATION_TRUST_ACCOUNT | Uac::ACCOUNTDISABLE));
        pc.last_logon_timestamp = Some(FileTime(399 * DAY));
        let missing = |spn: &str| Finding::MissingSpn {
            account: Some("PC$".into()),
            dn: pc.dn.clone(),
            spn: spn.into(),
        };
        let findings = [
            missing("HOST/PC"),
            stale(&pc, StaleClass::RotationFailing),
            missing("RestrictedKrbHost/PC"),
        ];
        let causes = of_account(&pc, &findings, &evidence(None));
        let order: Vec<CauseKind> = causes.iter().map(|c| c.cause).collect();
        assert_eq!(
            order,
            [
                CauseKind::Disabled,
                CauseKind::RotationFailing,
                CauseKind::SpnAbsent
            ]
        );
        assert!(causes[1].manual && causes[1].next_step.contains("Test-ComputerSecureChannel"));
        assert_eq!(
            causes[2].evidence,
            "HOST/PC is absent; RestrictedKrbHost/PC is absent"
        );
        assert_eq!(causes[2].next_step.matches("spn fix 'PC$'").count(), 1);
    }

    #[test]
    fn a_recreated_account_is_one_that_has_not_logged_on_since_the_deletion() {
        let mut pc = Account::test("PC$");
        let gone = [tombstone("pc$", 300)];
        let first = |pc: &Account| {
            of_account(pc, &[], &evidence(Some(&gone)))
                .first()
                .map(|c| c.cause)
        };
        assert_eq!(first(&pc), Some(CauseKind::Recreated), "no logon at all");
        pc.last_logon_timestamp = Some(FileTime(200 * DAY));
        assert_eq!(
            first(&pc),
            Some(CauseKind::Recreated),
            "last logon before the deletion"
        );
        pc.last_logon_timestamp = Some(FileTime(350 * DAY));
        assert_eq!(first(&pc), None, "it joined the new account");
        let other = [tombstone("OTHER$", 300)];
        assert!(of_account(&Account::test("PC$"), &[], &evidence(Some(&other))).is_empty());
        let cause = &of_account(&Account::test("PC$"), &[], &evidence(Some(&gone)))[0];
        assert!(
            cause.manual
                && cause
                    .evidence
                    .contains("0f0e0d0c-0b0a-0908-0706-050403020100")
        );
    }

    #[test]
    fn no_aes_keys_is_mended_on_the_machine_while_it_logs_on() {
        let mut pc = Account::test("PC$");
        let weak = Finding::WeakEncryption {
            account: Some("PC$".into()),
            dn: pc.dn.clone(),
            class: EncClass::NoAesKeys,
            supported_encryption_types: None,
            keys: Some(Vec::new()),
            probed_at: Some("dc1".into()),
        };
        let step =
            |pc: &Account| of_account(pc, std::slice::from_ref(&weak), &evidence(None))[0].clone();
        let idle = step(&pc);
        assert!(!idle.manual && idle.next_step.starts_with("adcomputer reset 'PC$' --apply"));
        pc.last_logon_timestamp = Some(FileTime(390 * DAY));
        let busy = step(&pc);
        assert!(busy.manual && busy.next_step.contains("Reset-ComputerMachinePassword"));
        assert!(!busy.next_step.starts_with("adcomputer reset"));
        // A DC is never reset with this tool: its procedure replaces the command.
        let mut dc = Account::test("DC1$");
        dc.uac = Some(Uac(Uac::SERVER_TRUST_ACCOUNT));
        let weak_dc = Finding::WeakEncryption {
            dn: dc.dn.clone(),
            account: Some("DC1$".into()),
            class: EncClass::NoAesKeys,
            supported_encryption_types: None,
            keys: Some(Vec::new()),
            probed_at: None,
        };
        let procedure = &of_account(&dc, &[weak_dc], &evidence(None))[0];
        assert!(
            procedure.manual && procedure.next_step.contains("netdom resetpwd"),
            "{procedure:?}"
        );
    }

    fn per_account(findings: &[Finding]) -> Vec<Option<CauseKind>> {
        let causes = AccountCauses::of(findings);
        findings
            .iter()
            .map(|finding| causes.of_finding(finding))
            .collect()
    }

    #[test]
    fn an_audit_finding_carries_its_accounts_most_likely_cause() {
        let pc = Account::test("PC$");
        let other = Account::test("OTHER$");
        let missing = Finding::MissingSpn {
            account: Some("PC$".into()),
            dn: pc.dn.clone(),
            spn: "HOST/PC".into(),
        };
        let findings = [
            missing.clone(),
            stale(&pc, StaleClass::RotationSuppressed),
            stale(&other, StaleClass::Inactive),
            Finding::NotFound { name: "X".into() },
        ];
        assert_eq!(
            per_account(&findings),
            [
                Some(CauseKind::GpoStopsRotation),
                Some(CauseKind::GpoStopsRotation),
                Some(CauseKind::Inactive),
                None
            ]
        );
        assert_eq!(per_account(&[missing]), [Some(CauseKind::SpnAbsent)]);
        // No other kind names an account: each keeps its own (the big kind is not hashed).
        let alone = [
            stale(&pc, StaleClass::RotationSuppressed),
            stale(&other, StaleClass::Inactive),
            Finding::NotFound { name: "X".into() },
        ];
        assert_eq!(
            per_account(&alone),
            [
                Some(CauseKind::GpoStopsRotation),
                Some(CauseKind::Inactive),
                None
            ]
        );
        for kind in [
            CauseKind::Deleted,
            CauseKind::Recreated,
            CauseKind::Disabled,
            CauseKind::PasswordDiffers,
            CauseKind::AesRefused,
            CauseKind::GpoStopsRotation,
            CauseKind::RotationFailing,
            CauseKind::KnownPassword,
            CauseKind::SpnHeldByServiceAccount,
            CauseKind::SpnHeldElsewhere,
            CauseKind::SpnAbsent,
            CauseKind::SpnOnOldName,
            CauseKind::UnusableHostName,
            CauseKind::Inactive,
            CauseKind::NeverSet,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn names_from_the_directory_are_one_shell_word() {
        assert_eq!(shell_word("PC01"), "PC01");
        assert_eq!(shell_word("PC01$"), "'PC01$'");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("x'; rm -rf /'"), r"'x'\''; rm -rf /'\'''");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word(""), "''");
    }
}
