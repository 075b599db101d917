//! Delegation on computer accounts (docs/reference.md, "Migration hygiene"): who may act as
//! any user towards which services. Unconstrained delegation on a computer that is not a DC,
//! protocol transition, constrained delegation to krbtgt or a DC's services, and
//! resource-based delegation (the principals `msDS-AllowedToActOnBehalfOfOtherIdentity`
//! allows, by SID). The DC targets are judged once the scan has seen the DCs.

use serde::Serialize;

use super::Finding;
use super::dc_inventory::DcEntry;
use crate::model::account::Account;
use crate::model::security::{AceKind, dacl_of};
use crate::model::spn::{Spn, same_host};
use crate::model::uac::Uac;

/// What kind of delegation it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegationClass {
    /// TRUSTED_FOR_DELEGATION on a computer that is not a DC: it gets every user's TGT.
    Unconstrained,
    /// TRUSTED_TO_AUTH_FOR_DELEGATION: it may get tickets for any user, without their password.
    ProtocolTransition,
    /// `msDS-AllowedToDelegateTo` names krbtgt or a service on a DC.
    ConstrainedToDc,
    /// `msDS-AllowedToActOnBehalfOfOtherIdentity` lets the principals named act as any user
    /// towards this computer.
    ResourceBased,
}

impl DelegationClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DelegationClass::Unconstrained => "unconstrained",
            DelegationClass::ProtocolTransition => "protocol_transition",
            DelegationClass::ConstrainedToDc => "constrained_to_dc",
            DelegationClass::ResourceBased => "resource_based",
        }
    }
}

/// Coverage's note when the source is not known to hold the delegation attributes (an export
/// made without them): unconstrained and protocol transition are judged (from
/// userAccountControl), constrained and resource-based only where an object carries them.
pub const PARTIAL: &str = "the source is not known to hold msDS-AllowedToDelegateTo and msDS-AllowedToActOnBehalfOfOtherIdentity: constrained and resource-based delegation judged only where an object carries them";

/// An enabled computer's constrained delegation, judged once the DCs are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constrained {
    pub account: Option<String>,
    pub dn: String,
    pub targets: Vec<String>,
}

/// Whether the check looks at `account`: an enabled computer.
pub fn examines(account: &Account) -> bool {
    account.is_computer() && account.is_disabled() == Some(false)
}

fn finding(account: &Account, class: DelegationClass, targets: Vec<String>) -> Finding {
    Finding::Delegation {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        class,
        targets,
    }
}

/// The findings `account` gives on its own, and its constrained delegation to judge later.
pub fn judge(account: &Account) -> (Vec<Finding>, Option<Constrained>) {
    let mut findings = Vec::new();
    let uac = account.uac.map_or(0, |uac| uac.0);
    let dc = account.uac.is_some_and(|uac| uac.is_domain_controller());
    if uac & Uac::TRUSTED_FOR_DELEGATION != 0 && !dc {
        findings.push(finding(account, DelegationClass::Unconstrained, Vec::new()));
    }
    if uac & Uac::TRUSTED_TO_AUTH_FOR_DELEGATION != 0 {
        let targets = account.delegate_to.clone();
        findings.push(finding(
            account,
            DelegationClass::ProtocolTransition,
            targets,
        ));
    }
    if let Some(descriptor) = &account.act_on_behalf {
        // Who may delegate to it: the allowed SIDs of its DACL (a descriptor that does not
        // parse is named as such, never read as "nobody").
        let principals = match dacl_of(descriptor) {
            Some(aces) => {
                let mut sids: Vec<String> = aces
                    .into_iter()
                    .filter(|ace| ace.kind == AceKind::Allow && !ace.inherit_only)
                    .map(|ace| ace.sid)
                    .collect();
                sids.sort();
                sids.dedup();
                sids
            }
            None => vec!["(a security descriptor that does not parse)".into()],
        };
        if !principals.is_empty() {
            findings.push(finding(account, DelegationClass::ResourceBased, principals));
        }
    }
    let constrained = (!account.delegate_to.is_empty()).then(|| Constrained {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        targets: account.delegate_to.clone(),
    });
    (findings, constrained)
}

/// The constrained delegations whose targets include krbtgt or a service on one of `dcs`.
pub fn to_dcs(pending: &[Constrained], dcs: &[DcEntry]) -> Vec<Finding> {
    let on_dc = |target: &str| {
        let Some(spn) = Spn::parse(target) else {
            return false;
        };
        spn.class.eq_ignore_ascii_case("krbtgt")
            || dcs.iter().any(|dc| {
                let short = dc.account.strip_suffix('$').unwrap_or(&dc.account);
                same_host(spn.host, short)
                    || dc
                        .dns_host_name
                        .as_deref()
                        .is_some_and(|fqdn| same_host(spn.host, fqdn))
            })
    };
    pending
        .iter()
        .filter_map(|constrained| {
            let targets: Vec<String> = constrained
                .targets
                .iter()
                .filter(|target| on_dc(target))
                .cloned()
                .collect();
            (!targets.is_empty()).then(|| Finding::Delegation {
                account: constrained.account.clone(),
                dn: constrained.dn.clone(),
                class: DelegationClass::ConstrainedToDc,
                targets,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn computer(uac: u32) -> Account {
        let mut account = Account::test("PC$");
        account.uac = Some(Uac(Uac::WORKSTATION_TRUST_ACCOUNT | uac));
        account
    }

    fn classes(findings: &[Finding]) -> Vec<&'static str> {
        findings
            .iter()
            .map(|f| match f {
                Finding::Delegation { class, .. } => class.as_str(),
                _ => "other",
            })
            .collect()
    }

    /// A self-relative descriptor whose DACL allows `sid` (S-1-5-21-1-2-3-1105) everything.
    fn descriptor() -> Vec<u8> {
        let sid: [u8; 28] = [
            1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x51, 4, 0, 0,
        ];
        let ace_size = 8 + sid.len();
        let mut bytes = vec![
            1, 0, 0x04, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
        ];
        bytes.extend([2, 0, (8 + ace_size) as u8, 0, 1, 0, 0, 0]);
        bytes.extend([0, 0, ace_size as u8, 0, 0xff, 0x01, 0x0f, 0x00]);
        bytes.extend(sid);
        bytes
    }

    #[test]
    fn each_kind_of_delegation_is_named_and_dcs_may_be_trusted() {
        assert!(judge(&computer(0)).0.is_empty());
        assert_eq!(
            classes(&judge(&computer(Uac::TRUSTED_FOR_DELEGATION)).0),
            ["unconstrained"]
        );
        let mut dc = computer(Uac::TRUSTED_FOR_DELEGATION);
        dc.uac = Some(Uac(Uac::SERVER_TRUST_ACCOUNT | Uac::TRUSTED_FOR_DELEGATION));
        assert!(
            judge(&dc).0.is_empty(),
            "a DC is trusted for delegation by design"
        );
        let mut transition = computer(Uac::TRUSTED_TO_AUTH_FOR_DELEGATION);
        transition.delegate_to = vec!["cifs/dc1.x.test".into()];
        let (findings, constrained) = judge(&transition);
        assert_eq!(classes(&findings), ["protocol_transition"]);
        let dcs = [DcEntry {
            account: "DC1$".into(),
            dn: "CN=DC1,DC=x".into(),
            dns_host_name: Some("dc1.x.test".into()),
            operating_system: None,
            read_only: false,
        }];
        let to_dc = to_dcs(&[constrained.unwrap()], &dcs);
        assert_eq!(classes(&to_dc), ["constrained_to_dc"]);
        let harmless = Constrained {
            account: None,
            dn: "CN=WEB,DC=x".into(),
            targets: vec!["http/app.x.test".into(), "krbtgt/X.TEST".into()],
        };
        let Finding::Delegation { targets, .. } = &to_dcs(&[harmless], &dcs)[0] else {
            panic!()
        };
        assert_eq!(targets, &["krbtgt/X.TEST"], "only the targets that matter");
        let mut rbcd = computer(0);
        rbcd.act_on_behalf = Some(descriptor());
        let Finding::Delegation { class, targets, .. } = &judge(&rbcd).0[0] else {
            panic!()
        };
        assert_eq!(
            (class.as_str(), targets.as_slice()),
            ("resource_based", &["S-1-5-21-1-2-3-1105".to_string()][..])
        );
        rbcd.act_on_behalf = Some(vec![1, 2, 3]);
        let Finding::Delegation { targets, .. } = &judge(&rbcd).0[0] else {
            panic!()
        };
        assert!(targets[0].contains("does not parse"));
    }
}
