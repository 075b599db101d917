//! Reset rules (SPEC §3), as ADUC's "Reset Account" applies them: which objects may be reset,
//! the default computer password, the `unicodePwd` value that sets it, and the Kerberos realm
//! the new password is verified in.

use crate::account::{Account, AccountKind};

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
        }
    }
}

/// Whether `account` may be reset, and if not, why.
pub fn refusal(account: &Account) -> Option<Refusal> {
    let uac = account.uac;
    Some(match account.kind {
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
pub fn default_password(sam_account_name: &str, whole_name: bool) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_comes_from_the_naming_context() {
        assert_eq!(realm_of("DC=corp,DC=example,DC=com"), "CORP.EXAMPLE.COM");
        assert_eq!(realm_of("dc=adc, dc=test"), "ADC.TEST");
    }
    use crate::uac::Uac;

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
            kind,
            uac: Uac(uac),
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
        for (kind, uac, expected) in cases {
            assert_eq!(
                refusal(&account(kind, uac)),
                Some(expected),
                "{kind:?} {uac:#x}"
            );
        }
    }
}
