//! `userAccountControl` flags: decoded once here, named as Microsoft names them.

/// The `userAccountControl` bit field of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Uac(pub u32);

impl Uac {
    pub const ACCOUNTDISABLE: u32 = 0x0002;
    pub const PASSWD_NOTREQD: u32 = 0x0020;
    pub const NORMAL_ACCOUNT: u32 = 0x0200;
    pub const INTERDOMAIN_TRUST_ACCOUNT: u32 = 0x0800;
    pub const WORKSTATION_TRUST_ACCOUNT: u32 = 0x1000;
    pub const SERVER_TRUST_ACCOUNT: u32 = 0x2000;
    pub const DONT_EXPIRE_PASSWORD: u32 = 0x0001_0000;
    pub const TRUSTED_FOR_DELEGATION: u32 = 0x0008_0000;
    pub const NOT_DELEGATED: u32 = 0x0010_0000;
    pub const USE_DES_KEY_ONLY: u32 = 0x0020_0000;
    pub const DONT_REQ_PREAUTH: u32 = 0x0040_0000;
    pub const TRUSTED_TO_AUTH_FOR_DELEGATION: u32 = 0x0100_0000;
    pub const PARTIAL_SECRETS_ACCOUNT: u32 = 0x0400_0000;

    const NAMES: [(u32, &'static str); 13] = [
        (Self::ACCOUNTDISABLE, "ACCOUNTDISABLE"),
        (Self::PASSWD_NOTREQD, "PASSWD_NOTREQD"),
        (Self::NORMAL_ACCOUNT, "NORMAL_ACCOUNT"),
        (Self::INTERDOMAIN_TRUST_ACCOUNT, "INTERDOMAIN_TRUST_ACCOUNT"),
        (Self::WORKSTATION_TRUST_ACCOUNT, "WORKSTATION_TRUST_ACCOUNT"),
        (Self::SERVER_TRUST_ACCOUNT, "SERVER_TRUST_ACCOUNT"),
        (Self::DONT_EXPIRE_PASSWORD, "DONT_EXPIRE_PASSWORD"),
        (Self::TRUSTED_FOR_DELEGATION, "TRUSTED_FOR_DELEGATION"),
        (Self::NOT_DELEGATED, "NOT_DELEGATED"),
        (Self::USE_DES_KEY_ONLY, "USE_DES_KEY_ONLY"),
        (Self::DONT_REQ_PREAUTH, "DONT_REQ_PREAUTH"),
        (
            Self::TRUSTED_TO_AUTH_FOR_DELEGATION,
            "TRUSTED_TO_AUTH_FOR_DELEGATION",
        ),
        (Self::PARTIAL_SECRETS_ACCOUNT, "PARTIAL_SECRETS_ACCOUNT"),
    ];

    fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }

    pub fn is_disabled(self) -> bool {
        self.has(Self::ACCOUNTDISABLE)
    }

    /// A writable domain controller (`SERVER_TRUST_ACCOUNT`).
    pub fn is_domain_controller(self) -> bool {
        self.has(Self::SERVER_TRUST_ACCOUNT)
    }

    /// A read-only domain controller (`PARTIAL_SECRETS_ACCOUNT`).
    pub fn is_read_only_dc(self) -> bool {
        self.has(Self::PARTIAL_SECRETS_ACCOUNT)
    }

    pub fn is_trust_account(self) -> bool {
        self.has(Self::INTERDOMAIN_TRUST_ACCOUNT)
    }

    /// Names of the flags that are set, in bit order; unknown bits as hex.
    pub fn flag_names(self) -> Vec<String> {
        let mut names: Vec<String> = Self::NAMES
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| (*name).to_string())
            .collect();
        let known = Self::NAMES.iter().fold(0, |all, (bit, _)| all | bit);
        if self.0 & !known != 0 {
            names.push(format!("0x{:x}", self.0 & !known));
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_domain_controller() {
        let dc = Uac(532_480); // SERVER_TRUST_ACCOUNT | TRUSTED_FOR_DELEGATION
        assert!(dc.is_domain_controller());
        assert!(!dc.is_disabled());
        assert_eq!(
            dc.flag_names(),
            ["SERVER_TRUST_ACCOUNT", "TRUSTED_FOR_DELEGATION"]
        );
    }

    #[test]
    fn disabled_workstation_and_unknown_bits() {
        let uac = Uac(0x1002 | 0x8000_0000);
        assert!(uac.is_disabled());
        assert_eq!(
            uac.flag_names(),
            ["ACCOUNTDISABLE", "WORKSTATION_TRUST_ACCOUNT", "0x80000000"]
        );
    }

    #[test]
    fn rodc_and_trust_flags() {
        assert!(Uac(0x0400_1000).is_read_only_dc());
        assert!(Uac(0x0800).is_trust_account());
    }
}
