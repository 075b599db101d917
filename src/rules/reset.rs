//! Reset rules (docs/reference.md, "reset"), as ADUC's "Reset Account" applies them: which objects may be reset,
//! the default computer password, the `unicodePwd` value that sets it, and the Kerberos realm
//! the new password is verified in.

use serde::Serialize;

use crate::model::account::{Account, AccountKind};
use crate::model::filetime::FileTime;
use crate::model::names::{NameQuery, Resolution};

/// The longest default password Windows derives from a computer name.
const DEFAULT_PASSWORD_CHARS: usize = 14;

/// Why an object must not be reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    DomainController,
    ReadOnlyDomainController,
    TrustAccount,
    ManagedServiceAccount,
    NotAComputer,
    /// The source does not say the object's class or flags: never guessed.
    Unknown(&'static str),
}

impl Refusal {
    pub(crate) fn reason(self) -> &'static str {
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
pub(crate) fn refusal(account: &Account) -> Option<Refusal> {
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
pub(crate) fn default_password(sam_account_name: &str, whole_name: bool) -> String {
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
pub(crate) fn unicode_pwd(password: &str) -> Vec<u8> {
    format!("\"{password}\"")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// The Kerberos realm of a domain: `DC=corp,DC=example,DC=com` → `CORP.EXAMPLE.COM`.
pub(crate) fn realm_of(naming_context: &str) -> String {
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
pub(crate) enum Status {
    Reset,
    Planned,
    Refused,
    NotFound,
    Ambiguous,
    Failed,
    /// The DC's answer was lost and reading the account back did not settle it.
    Unknown,
}

/// One Kerberos logon with the new password.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Verification {
    pub(crate) kdc: String,
    pub(crate) result: String,
    #[serde(skip)]
    pub(crate) accepted: bool,
}

/// One `reset` finding (docs/reference.md, "JSON").
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ResetItem {
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) account: Option<String>,
    pub(crate) dn: Option<String>,
    pub(crate) status: Status,
    pub(crate) reason: Option<String>,
    pub(crate) kvno_before: Option<u32>,
    pub(crate) kvno_after: Option<u32>,
    pub(crate) pwd_last_set_before: Option<String>,
    pub(crate) pwd_last_set_after: Option<String>,
    pub(crate) verification: Vec<Verification>,
    pub(crate) warnings: Vec<String>,
    /// The account, while it is being worked on; not reported.
    #[serde(skip)]
    pub(crate) target: Option<Account>,
}

impl ResetItem {
    pub(crate) fn new(name: &str, status: Status) -> ResetItem {
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
            verification: Vec::new(),
            warnings: Vec::new(),
            target: None,
        }
    }

    pub(crate) fn fail(&mut self, reason: impl std::fmt::Display) {
        self.status = Status::Failed;
        self.reason = Some(reason.to_string());
    }

    /// Whether the item ended as asked: reset (or planned) and, when verified, accepted.
    pub(crate) fn done(&self) -> bool {
        matches!(self.status, Status::Reset | Status::Planned)
            && self.verification.first().is_none_or(|first| first.accepted)
    }
}

pub(crate) fn time_text(time: Option<FileTime>) -> Option<String> {
    time.and_then(FileTime::to_rfc3339)
}

/// The item for one name: planned, or why not. `earlier` are the items of the batch so far (a
/// computer named twice is reset once).
pub(crate) fn plan(name: &NameQuery, candidates: &[Account], earlier: &[ResetItem]) -> ResetItem {
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
        item.target = Some(account.clone());
    }
    item
}

/// What the machines of a reset must do next, for the table report.
pub(crate) fn next_steps(whole_name: bool) -> Vec<String> {
    let truncation = if whole_name {
        ""
    } else {
        " (first 14 characters)"
    };
    vec![
        "Next steps, on each machine, while it can reach a DC:".into(),
        "  - Rejoin the domain reusing the account (System Properties > Change, or Add-Computer), or".into(),
        "  - Windows, logged on locally or with cached credentials, as an administrator:".into(),
        "      Reset-ComputerMachinePassword -Server <DC> -Credential <DOMAIN\\admin>".into(),
        "  - Linux (realmd/sssd/adcli): adcli join --domain=<domain> --login-type=computer --no-password".into(),
        format!("    (the computer logs on with its default password: its name, lower-cased{truncation})"),
    ]
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
        assert_eq!(default_password("PC01$", false), "pc01");
        assert_eq!(default_password("HR-WORKSTATION$", false), "hr-workstation");
        assert_eq!(
            default_password("FINANCE-LAPTOP7$", false),
            "finance-laptop"
        );
        assert_eq!(
            default_password("FINANCE-LAPTOP7$", true),
            "finance-laptop7"
        );
        assert_eq!(default_password("Mixed-Case-PC$", false), "mixed-case-pc");
        assert_eq!(default_password("NOSUFFIX", false), "nosuffix");
        // Characters, not bytes: a 15-character name with non-ASCII letters keeps 14 letters.
        assert_eq!(
            default_password("ÅRHUS-KONTOR-ØST$", false),
            "århus-kontor-ø"
        );
        assert_eq!(
            default_password("ÅRHUS-KONTOR-ØST$", false).chars().count(),
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
}
