//! Reset rules (docs/reference.md, "adcomputer reset"), as ADUC's "Reset Account" applies
//! them: which objects may be reset, whether the bound account holds the right, the default
//! computer password and the `unicodePwd` value that sets it, the realm the new password is
//! verified in, and what each client needs to rejoin.

use serde::Serialize;

use super::access_check::{Access, access};
use crate::model::account::{Account, AccountKind};
use crate::model::filetime::FileTime;
use crate::model::names::{NameQuery, Resolution};
use crate::model::rights::Right;
use crate::model::security::ObjectSecurity;

/// The longest default password Windows derives from a computer name.
const DEFAULT_PASSWORD_CHARS: usize = 14;

/// Why an object must not be reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    DomainController,
    ReadOnlyDomainController,
    TrustAccount,
    ManagedServiceAccount,
    NotAComputer,
    /// The source does not say the object's class or flags: never guessed.
    Unknown(&'static str),
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::DomainController => {
                "a domain controller (SERVER_TRUST_ACCOUNT): resetting it breaks replication"
            }
            Refusal::ReadOnlyDomainController => {
                "a read-only domain controller (PARTIAL_SECRETS_ACCOUNT)"
            }
            Refusal::TrustAccount => "an interdomain trust account: reset the trust instead",
            Refusal::ManagedServiceAccount => {
                "a managed service account: its password is managed by the domain"
            }
            Refusal::NotAComputer => "not a computer account",
            Refusal::Unknown(what) => what,
        }
    }
}

/// Whether `account` may be reset, and if not, why.
pub fn refusal(account: &Account) -> Option<Refusal> {
    let Some(kind) = account.kind else {
        return Some(Refusal::Unknown("its object class is unknown (not read)"));
    };
    let Some(uac) = account.uac else {
        return Some(Refusal::Unknown(
            "its userAccountControl is unknown (not read)",
        ));
    };
    if account.sam_account_name.is_none() {
        return Some(Refusal::Unknown("it has no sAMAccountName"));
    }
    Some(match kind {
        AccountKind::ManagedServiceAccount | AccountKind::GroupManagedServiceAccount => {
            Refusal::ManagedServiceAccount
        }
        AccountKind::User | AccountKind::Other => Refusal::NotAComputer,
        AccountKind::Computer if uac.is_read_only_dc() => Refusal::ReadOnlyDomainController,
        AccountKind::Computer if uac.is_domain_controller() => Refusal::DomainController,
        AccountKind::Computer if uac.is_trust_account() => Refusal::TrustAccount,
        AccountKind::Computer => return None,
    })
}

/// The default computer password: sAMAccountName without `$`, lower-cased, its first 14
/// characters unless `whole_name` (what adcli's `--login-type=computer` expects).
pub fn default_machine_password(sam_account_name: &str, whole_name: bool) -> String {
    let name = sam_account_name
        .strip_suffix('$')
        .unwrap_or(sam_account_name)
        .to_lowercase();
    if whole_name {
        name
    } else {
        name.chars().take(DEFAULT_PASSWORD_CHARS).collect()
    }
}

/// The `unicodePwd` value for `password`: the password in double quotes, UTF-16LE.
pub fn unicode_pwd(password: &str) -> Vec<u8> {
    format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// The Kerberos realm of a domain: `DC=corp,DC=example,DC=com` → `CORP.EXAMPLE.COM`.
pub fn realm_of(naming_context: &str) -> String {
    naming_context
        .split(',')
        .filter_map(|rdn| rdn.trim().split_once('='))
        .filter(|(attribute, _)| attribute.eq_ignore_ascii_case("DC"))
        .map(|(_, value)| value.to_uppercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// What happened to one named computer (public JSON: a `reset` finding).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Reset,
    Planned,
    Refused,
    NotFound,
    Ambiguous,
    Failed,
    /// The DC's answer was lost and reading the account back did not settle it.
    Unknown,
    /// `restore`: the deleted computer is back.
    Restored,
}

/// Whether the bound account holds *Reset Password* on the object, as its DACL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RightCheck {
    Held,
    /// No ACE grants it to the account or its groups.
    NotHeld,
    /// An ACE denies it.
    Denied,
    /// The DACL or the account's groups could not be read.
    Unknown,
}

/// One DC's (or KDC's) word on the new password: whether its directory holds it yet, and
/// what its KDC said to a logon with it.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The DC's DNS name; `None` for a KDC given with `--kdc`.
    pub dc: Option<String>,
    pub kdc: String,
    pub result: String,
    /// Whether the DC's own copy of the account has the new password (its key version); `None`
    /// where it was not read.
    pub holds_new_password: Option<bool>,
    /// The key version that DC holds.
    pub key_version: Option<u32>,
    /// The AES keys that KDC holds for the account after the reset (asked once it accepted
    /// the new password; empty: none, as in a domain below functional level 2008).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aes_keys: Option<Vec<String>>,
    #[serde(skip)]
    pub accepted: bool,
}

/// One `reset` finding (docs/reference.md, "JSON").
#[derive(Debug, Clone, Serialize)]
pub struct ResetItem {
    pub kind: &'static str,
    pub name: String,
    pub account: Option<String>,
    pub dn: Option<String>,
    pub status: Status,
    pub reason: Option<String>,
    pub kvno_before: Option<u32>,
    pub kvno_after: Option<u32>,
    pub pwd_last_set_before: Option<String>,
    pub pwd_last_set_after: Option<String>,
    /// For planned items: whether the bound account holds *Reset Password* on the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_right: Option<RightCheck>,
    /// `restore`: when the computer was deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    /// `restore`: the DN it is (or would be) restored to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_to: Option<String>,
    /// `restore`: the SPNs put back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spns_added: Vec<String>,
    pub verification: Vec<Verification>,
    pub warnings: Vec<String>,
    /// The account, while it is being worked on; not reported.
    #[serde(skip)]
    pub target: Option<Account>,
}

impl ResetItem {
    pub fn new(name: &str, status: Status) -> ResetItem {
        ResetItem {
            kind: "reset",
            name: name.to_string(),
            account: None,
            dn: None,
            status,
            reason: None,
            kvno_before: None,
            kvno_after: None,
            pwd_last_set_before: None,
            pwd_last_set_after: None,
            reset_right: None,
            deleted_at: None,
            restored_to: None,
            spns_added: Vec::new(),
            verification: Vec::new(),
            warnings: Vec::new(),
            target: None,
        }
    }

    pub fn fail(&mut self, reason: impl std::fmt::Display) {
        self.status = Status::Failed;
        self.reason = Some(reason.to_string());
    }

    /// Whether the item ended as asked: reset, or planned with the right held (or not known
    /// to be missing), and, when verified, accepted everywhere it was asked.
    pub fn done(&self) -> bool {
        let can = match self.status {
            Status::Reset | Status::Restored => true,
            Status::Planned => !matches!(
                self.reset_right,
                Some(RightCheck::NotHeld | RightCheck::Denied)
            ),
            _ => false,
        };
        can && self
            .verification
            .iter()
            .all(|verification| verification.accepted)
    }

    /// Says which DCs do not hold the new password yet: a logon there fails until they do.
    pub fn note_lagging_dcs(&mut self) {
        let lagging: Vec<&str> = self
            .verification
            .iter()
            .filter(|verification| verification.holds_new_password == Some(false))
            .filter_map(|verification| verification.dc.as_deref())
            .collect();
        if !lagging.is_empty() {
            self.warnings.push(format!(
                "not replicated yet to {}: the machine's logon fails at {} until it is (--wait SECS waits for it)",
                lagging.join(", "),
                if lagging.len() == 1 { "that DC" } else { "those DCs" }
            ));
        }
    }

    /// Records whether the bound account (its token: `token`) holds *Reset Password* on the
    /// target, from the object's DACL; says so when it does not: the DC would refuse.
    pub fn judge_right(&mut self, security: Option<&ObjectSecurity>, token: Option<&[String]>) {
        let dacl = security.and_then(|security| security.dacl.as_deref());
        let check = match (dacl, token) {
            (Some(dacl), Some(token)) => match access(dacl, token, Right::ResetPassword) {
                Access::Granted => RightCheck::Held,
                Access::NotGranted => RightCheck::NotHeld,
                Access::Denied => RightCheck::Denied,
            },
            _ => RightCheck::Unknown,
        };
        match check {
            RightCheck::NotHeld => self.warnings.push(format!(
                "the bound account lacks the {} right on this object: the DC will refuse the reset (delegate it, or use an account that has it)",
                Right::ResetPassword.name()
            )),
            RightCheck::Denied => self.warnings.push(format!(
                "the {} right is denied to the bound account on this object: the DC will refuse the reset",
                Right::ResetPassword.name()
            )),
            RightCheck::Unknown => self.warnings.push(format!(
                "could not read whether the bound account holds the {} right here",
                Right::ResetPassword.name()
            )),
            RightCheck::Held => {}
        }
        self.reset_right = Some(check);
    }
}

/// Why the DC refused a reset, naming the right when it is one.
pub fn refusal_reason(rc: u32, detail: &str) -> String {
    if rc == 50 {
        format!(
            "refused: the bound account lacks the {} right on this object ({detail})",
            Right::ResetPassword.name()
        )
    } else {
        format!("refused: {detail}")
    }
}

/// What a `pwdLastSet` of 0 after a reset means.
pub fn zero_pwd_last_set_note() -> String {
    format!(
        "pwdLastSet is 0 after the reset: the DC set the password but marked it as expired, as AD does when the writer lacks {} on the domain; the machine can still log on with it and will change it",
        Right::UnexpirePassword.name()
    )
}

/// Who may reuse the account in a rejoin by a *user* account (Windows' hardening, KB5020276),
/// in one short line: `owner` as `name (SID)`; `admin_owned` when the owner is an admin group.
/// Who else could take it over is the `ownership` finding's (`audit --checks ownership`).
pub fn rejoin_note(owner: &str, admin_owned: bool) -> String {
    let name = owner.split(" (S-").next().unwrap_or(owner);
    match admin_owned {
        true => format!(
            "KB5020276: owned by {name}: a user-account rejoin needs an admin; one as the computer (adcli, msktutil) does not"
        ),
        false => format!(
            "KB5020276: owned by {name}, not an admin, who may reuse or take it over: see audit --checks ownership"
        ),
    }
}

pub fn time_text(time: Option<FileTime>) -> Option<String> {
    time.and_then(FileTime::to_rfc3339)
}

/// The item for one name: planned, or why not. `earlier` are the items of the batch so far (a
/// computer named twice is reset once).
pub fn plan(
    name: &NameQuery,
    candidates: &[Account],
    earlier: &[ResetItem],
    whole_name: bool,
) -> ResetItem {
    let account = match name.resolve(candidates) {
        Resolution::Found(account) => account,
        Resolution::NotFound => return ResetItem::new(name.as_str(), Status::NotFound),
        Resolution::Ambiguous(matches) => {
            let mut item = ResetItem::new(name.as_str(), Status::Ambiguous);
            let dns: Vec<&str> = matches.iter().map(|a| a.dn.as_str()).collect();
            item.reason = Some(format!("matches {}: give the DN", dns.join("; ")));
            return item;
        }
    };
    let mut item = ResetItem::new(name.as_str(), Status::Planned);
    item.account = account.sam_account_name.clone();
    item.dn = Some(account.dn.clone());
    item.kvno_before = account.key_version;
    item.pwd_last_set_before = time_text(account.pwd_last_set);
    if let Some(refused) = refusal(account) {
        item.status = Status::Refused;
        item.reason = Some(refused.reason().to_string());
    } else if earlier
        .iter()
        .any(|other| other.dn == item.dn && other.target.is_some())
    {
        item.status = Status::Refused;
        item.reason = Some("named twice in this batch".into());
    } else {
        if account.is_disabled() == Some(true) {
            item.warnings.push(
                "the account is disabled: it is reset, but the machine cannot use it until it is enabled"
                    .into(),
            );
        }
        if account
            .short_name()
            .is_some_and(|short| short.chars().count() > DEFAULT_PASSWORD_CHARS)
        {
            item.warnings.push(long_name_warning(whole_name));
        }
        item.target = Some(account.clone());
    }
    item
}

/// A name longer than 14 characters: which clients the new password suits.
fn long_name_warning(whole_name: bool) -> String {
    if whole_name {
        "15-character name, --no-truncate: the password is the whole name, as `adcli join --login-type=computer` expects; Windows and msktutil expect its first 14 characters".into()
    } else {
        "15-character name: the password is its first 14 characters, as Windows and msktutil expect; an `adcli join --login-type=computer` rejoin expects the whole name: reset with --no-truncate for that machine".into()
    }
}

/// What the machines of a reset must do next, per client, for the table report.
/// Where and for whom the next steps are: the DC written to, the domain's DNS name, the
/// accounts (`PC01$`), and whether their passwords were set (else only planned).
pub struct StepsFor<'a> {
    pub dc: &'a str,
    pub domain: &'a str,
    pub names: &'a [&'a str],
    pub done: bool,
}

pub fn next_steps(whole_name: bool, on: &StepsFor<'_>) -> Vec<String> {
    let password = if whole_name {
        "the whole lower-cased name (--no-truncate)"
    } else {
        "its lower-cased name, first 14 characters"
    };
    let when = if on.done {
        format!("the account's password is now {password}")
    } else {
        format!("once reset with --apply, the account's password is {password}")
    };
    let dc = on.dc;
    let domain = on.domain;
    let msktutil: Vec<String> = on
        .names
        .iter()
        .map(|name| {
            format!(
                "msktutil --update --computer-name {}",
                name.trim_end_matches('$')
            )
        })
        .collect();
    vec![
        format!("Next steps, on each machine, while it can reach a DC ({when}):"),
        "  Windows: rejoin reusing the account (System Properties > Change, or Add-Computer), or, logged on locally as an administrator:".into(),
        format!("      Reset-ComputerMachinePassword -Server {dc} -Credential (Get-Credential)"),
        "      (Windows and ADUC use the first 14 characters of the name)".into(),
        format!("  Linux, adcli (realmd/sssd): adcli join --domain={domain} --login-type=computer --no-password"),
        "      (adcli logs on with the whole name: 15-character names need a reset with --no-truncate)".into(),
        format!("  Linux, msktutil: {}", msktutil.join("; ")),
        "      (msktutil uses the first 14 characters: never reset with --no-truncate for it)".into(),
        "  Rejoining as the computer itself (adcli --login-type=computer, msktutil) is not subject to KB5020276; a rejoin by a user account may be (see each account's warnings).".into(),
    ]
}

/// A naming context's DNS name: `DC=corp,DC=example,DC=com` → `corp.example.com`.
pub fn dns_domain_of(base: &str) -> String {
    realm_of(base).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_comes_from_the_naming_context() {
        assert_eq!(realm_of("DC=corp,DC=example,DC=com"), "CORP.EXAMPLE.COM");
        assert_eq!(realm_of("dc=adc, dc=test"), "ADC.TEST");
    }
    use crate::model::uac::Uac;

    #[test]
    fn default_password_follows_aduc() {
        assert_eq!(default_machine_password("PC01$", false), "pc01");
        assert_eq!(
            default_machine_password("HR-WORKSTATION$", false),
            "hr-workstation"
        );
        assert_eq!(
            default_machine_password("FINANCE-LAPTOP7$", false),
            "finance-laptop"
        );
        assert_eq!(
            default_machine_password("FINANCE-LAPTOP7$", true),
            "finance-laptop7"
        );
        assert_eq!(
            default_machine_password("Mixed-Case-PC$", false),
            "mixed-case-pc"
        );
        assert_eq!(default_machine_password("NOSUFFIX", false), "nosuffix");
        // Characters, not bytes: a 15-character name with non-ASCII letters keeps 14 letters.
        assert_eq!(
            default_machine_password("ÅRHUS-KONTOR-ØST$", false),
            "århus-kontor-ø"
        );
        assert_eq!(
            default_machine_password("ÅRHUS-KONTOR-ØST$", false)
                .chars()
                .count(),
            14
        );
    }

    #[test]
    fn unicode_pwd_is_quoted_utf16le() {
        assert_eq!(unicode_pwd("ab"), [b'"', 0, b'a', 0, b'b', 0, b'"', 0]);
        assert_eq!(unicode_pwd("é"), [b'"', 0, 0xe9, 0, b'"', 0]);
    }

    fn account(kind: AccountKind, uac: u32) -> Account {
        Account {
            kind: Some(kind),
            uac: Some(Uac(uac)),
            ..Account::test("X$")
        }
    }

    #[test]
    fn only_ordinary_computers_may_be_reset() {
        assert_eq!(refusal(&account(AccountKind::Computer, 0x1000)), None);
        assert_eq!(
            refusal(&account(AccountKind::Computer, 0x1002)),
            None,
            "disabled is allowed"
        );
        let cases = [
            (AccountKind::Computer, 0x82000, Refusal::DomainController),
            (
                AccountKind::Computer,
                0x0400_1000,
                Refusal::ReadOnlyDomainController,
            ),
            (AccountKind::Computer, 0x0800, Refusal::TrustAccount),
            (
                AccountKind::GroupManagedServiceAccount,
                0x1000,
                Refusal::ManagedServiceAccount,
            ),
            (
                AccountKind::ManagedServiceAccount,
                0x1000,
                Refusal::ManagedServiceAccount,
            ),
            (AccountKind::User, 0x200, Refusal::NotAComputer),
        ];
        let unknown = Account {
            uac: None,
            ..account(AccountKind::Computer, 0)
        };
        assert!(matches!(refusal(&unknown), Some(Refusal::Unknown(_))));
        for (kind, uac, expected) in cases {
            assert_eq!(
                refusal(&account(kind, uac)),
                Some(expected),
                "{kind:?} {uac:#x}"
            );
        }
    }

    #[test]
    fn the_rejoin_note_is_one_short_line_naming_the_owner() {
        let admin = rejoin_note("Domain Admins (S-1-5-21-1-2-3-512)", true);
        assert!(
            admin.starts_with("KB5020276: owned by Domain Admins:"),
            "{admin}"
        );
        assert!(
            admin.contains("one as the computer (adcli, msktutil) does not"),
            "{admin}"
        );
        let joiner = rejoin_note("jo (S-1-5-21-1-2-3-1105)", false);
        assert!(joiner.contains("owned by jo, not an admin"), "{joiner}");
        assert!(joiner.contains("audit --checks ownership"), "{joiner}");
        for note in [admin, joiner] {
            assert!(!note.contains("S-1-5") && note.len() <= 120, "{note}");
        }
    }

    #[test]
    fn a_plan_without_the_right_is_not_done() {
        use crate::model::security::{Ace, AceKind};
        let computer = account(AccountKind::Computer, 0x1000);
        let name = NameQuery::parse("X").unwrap();
        let mut item = plan(&name, std::slice::from_ref(&computer), &[], false);
        let security = ObjectSecurity {
            dacl: Some(vec![Ace {
                kind: AceKind::Allow,
                inherit_only: false,
                mask: 0x100,
                object_type: Some("00299570-246d-11d0-a768-00aa006e0529".into()),
                sid: "S-1-5-21-1-2-3-1180".into(),
            }]),
        };
        let helpdesk = ["S-1-5-21-1-2-3-1180".to_string()];
        item.judge_right(Some(&security), Some(&helpdesk));
        assert_eq!(item.reset_right, Some(RightCheck::Held));
        assert!(item.done());
        let mut item = plan(&name, std::slice::from_ref(&computer), &[], false);
        item.judge_right(Some(&security), Some(&["S-1-5-21-1-2-3-1182".to_string()]));
        assert_eq!(item.reset_right, Some(RightCheck::NotHeld));
        assert!(!item.done());
        assert!(item.warnings[0].contains("lacks the Reset Password right"));
        let mut item = plan(&name, std::slice::from_ref(&computer), &[], false);
        item.judge_right(None, Some(&helpdesk));
        assert_eq!(item.reset_right, Some(RightCheck::Unknown));
        assert!(item.done(), "unknown is no reason to stop: the DC decides");
    }

    #[test]
    fn fifteen_characters_warn_in_the_plan_for_the_client_that_differs() {
        let long = Account {
            kind: Some(AccountKind::Computer),
            uac: Some(Uac(0x1000)),
            ..Account::test("FINANCE-LAPTOP7$")
        };
        let name = NameQuery::parse("FINANCE-LAPTOP7").unwrap();
        let truncated = plan(&name, std::slice::from_ref(&long), &[], false);
        assert!(truncated.warnings[0].contains("reset with --no-truncate for that machine"));
        let whole = plan(&name, std::slice::from_ref(&long), &[], true);
        assert!(whole.warnings[0].contains("Windows and msktutil expect its first 14"));
    }
}
