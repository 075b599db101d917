//! The domain's DCs as a scan saw them, each with its operating system (from its computer
//! object), and the note for a domain whose DCs all run Windows Server 2025: while machine
//! passwords fail to rotate on 2025 DCs, keep a DC of an earlier version (the seed article).

use serde::Serialize;

use crate::model::account::Account;

/// One DC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DcEntry {
    pub account: String,
    pub dn: String,
    pub dns_host_name: Option<String>,
    /// `operatingSystem`, null when the object has none (or the source lacks it).
    pub operating_system: Option<String>,
    pub read_only: bool,
}

impl DcEntry {
    /// The entry for `account`, if it is a DC.
    pub fn of(account: &Account) -> Option<DcEntry> {
        let uac = account.uac?;
        uac.is_domain_controller().then(|| DcEntry {
            account: account.label().to_string(),
            dn: account.dn.clone(),
            dns_host_name: account.dns_host_name.clone(),
            operating_system: account.operating_system.clone(),
            read_only: uac.is_read_only_dc(),
        })
    }
}

/// The note for DCs that all run Windows Server 2025 (none when one is of another or an
/// unknown system).
pub fn note(dcs: &[DcEntry]) -> Option<&'static str> {
    let all_2025 = !dcs.is_empty()
        && dcs.iter().all(|dc| {
            dc.operating_system
                .as_deref()
                .is_some_and(|os| os.contains("Windows Server 2025"))
        });
    all_2025.then_some(
        "every DC runs Windows Server 2025: while machine-password changes fail against 2025 DCs, keep (or add) a DC of an earlier version until Microsoft's fix is installed, and watch `stale` for rotation_failing",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::uac::Uac;

    fn dc(os: Option<&str>) -> DcEntry {
        let mut account = Account::test("DC1$");
        account.uac = Some(Uac(Uac::SERVER_TRUST_ACCOUNT));
        account.operating_system = os.map(str::to_string);
        DcEntry::of(&account).expect("a DC")
    }

    #[test]
    fn the_note_is_for_all_2025_dcs_only() {
        let new = dc(Some("Windows Server 2025 Datacenter"));
        let old = dc(Some("Windows Server 2022 Standard"));
        assert!(note(&[new.clone(), new.clone()]).is_some());
        assert!(note(&[new.clone(), old]).is_none());
        assert!(note(&[new, dc(None)]).is_none(), "unknown is not 2025");
        assert!(note(&[]).is_none());
        assert!(DcEntry::of(&Account::test("PC$")).is_none());
    }
}
