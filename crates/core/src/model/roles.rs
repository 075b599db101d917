//! What an account is for, as far as its password's rotation goes (docs/reference.md,
//! "Account classes"): a member computer changes its own password every 30 days; a DC and an
//! RODC do too, but are repaired on themselves; a cluster name object's password is the
//! cluster's, changed rarely; `AZUREADSSOACC$` (Microsoft Entra seamless SSO) never changes its
//! own, an admin rolls it over; a managed service account's is the DC's to change.

use serde::Serialize;

use super::account::{Account, AccountKind};

/// The role of an account, from its flags, class, name and SPNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountClass {
    Member,
    DomainController,
    ReadOnlyDc,
    /// A failover cluster's name object (or a clustered role's): `MSClusterVirtualServer/` SPNs.
    ClusterName,
    /// `AZUREADSSOACC$`: the Kerberos key of Microsoft Entra seamless single sign-on.
    AzureAdSso,
    /// A (group) managed service account.
    ManagedServiceAccount,
}

/// The SPN class a cluster gives its name objects.
const CLUSTER_SPN_CLASS: &str = "MSClusterVirtualServer/";

impl AccountClass {
    pub fn of(account: &Account) -> AccountClass {
        if let Some(uac) = account.uac {
            if uac.is_read_only_dc() {
                return AccountClass::ReadOnlyDc;
            }
            if uac.is_domain_controller() {
                return AccountClass::DomainController;
            }
        }
        if matches!(
            account.kind,
            Some(AccountKind::ManagedServiceAccount | AccountKind::GroupManagedServiceAccount)
        ) {
            return AccountClass::ManagedServiceAccount;
        }
        if account
            .sam_account_name
            .as_deref()
            .is_some_and(|sam| sam.eq_ignore_ascii_case("AZUREADSSOACC$"))
        {
            return AccountClass::AzureAdSso;
        }
        let cluster = account.spns.iter().any(|spn| {
            spn.get(..CLUSTER_SPN_CLASS.len())
                .is_some_and(|class| class.eq_ignore_ascii_case(CLUSTER_SPN_CLASS))
        });
        match cluster {
            true => AccountClass::ClusterName,
            false => AccountClass::Member,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountClass::Member => "member",
            AccountClass::DomainController => "domain_controller",
            AccountClass::ReadOnlyDc => "read_only_dc",
            AccountClass::ClusterName => "cluster_name",
            AccountClass::AzureAdSso => "azure_ad_sso",
            AccountClass::ManagedServiceAccount => "managed_service_account",
        }
    }

    /// The longest a password of this class may go unchanged before it is stale, with `days`
    /// the staleness period asked for: a cluster's name objects get three years (the cluster
    /// changes them rarely; PingCastle's threshold), the rest the period.
    pub fn stale_after_days(self, days: i64) -> i64 {
        match self {
            AccountClass::ClusterName => days.max(3 * 365),
            _ => days,
        }
    }

    /// Whether its password is changed by hand only, so it is due, never failing or inactive.
    pub fn rotated_by_hand(self) -> bool {
        self == AccountClass::AzureAdSso
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::uac::Uac;

    #[test]
    fn roles_come_from_flags_class_name_and_spns() {
        let class = |edit: fn(&mut Account)| {
            let mut account = Account::test("PC$");
            edit(&mut account);
            AccountClass::of(&account)
        };
        assert_eq!(class(|_| {}), AccountClass::Member);
        assert_eq!(
            class(|a| a.uac = Some(Uac(Uac::SERVER_TRUST_ACCOUNT))),
            AccountClass::DomainController
        );
        assert_eq!(
            class(|a| a.uac = Some(Uac(
                Uac::WORKSTATION_TRUST_ACCOUNT | Uac::PARTIAL_SECRETS_ACCOUNT
            ))),
            AccountClass::ReadOnlyDc
        );
        assert_eq!(
            class(|a| a.spns = vec!["msclustervirtualserver/CLU01".into()]),
            AccountClass::ClusterName
        );
        assert_eq!(
            class(|a| a.sam_account_name = Some("AzureADSSOAcc$".into())),
            AccountClass::AzureAdSso
        );
        assert_eq!(
            class(|a| a.kind = Some(AccountKind::GroupManagedServiceAccount)),
            AccountClass::ManagedServiceAccount
        );
        assert_eq!(AccountClass::ClusterName.stale_after_days(45), 1095);
        assert_eq!(AccountClass::Member.stale_after_days(45), 45);
    }
}
