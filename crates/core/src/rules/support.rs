//! Operating systems past the end of Microsoft's support (`unsupported_os`), from
//! `operatingSystem` and `operatingSystemVersion` (`10.0 (19045)`), against a table shipped with
//! adcomputer that states its own date. What the table does not know is not guessed: a
//! version it lacks, another vendor's system (Samba, Linux), an unreadable version — no
//! finding. Extended Security Updates bought for a machine are not in the directory: the
//! finding says so.

use serde::Serialize;

use crate::model::account::Account;

/// The day the table was last checked against Microsoft's lifecycle pages.
pub const TABLE_DATE: &str = "2026-12-01";

/// What a computer's system is, and when its support ended (or ends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Support {
    pub product: &'static str,
    /// The last day of support (extended support for servers, servicing for clients),
    /// `YYYY-MM-DD`.
    pub ended: &'static str,
}

/// (name, major.minor, build or 0 for any, ended) for systems identified by version alone.
const BY_VERSION: &[(&str, &str, bool, &str)] = &[
    // (product, "major.minor", server, end of extended support)
    ("Windows XP", "5.1", false, "2014-04-08"),
    ("Windows Server 2003", "5.2", true, "2015-07-14"),
    ("Windows Vista", "6.0", false, "2017-04-11"),
    ("Windows Server 2008", "6.0", true, "2020-01-14"),
    ("Windows 7", "6.1", false, "2020-01-14"),
    ("Windows Server 2008 R2", "6.1", true, "2020-01-14"),
    ("Windows 8", "6.2", false, "2016-01-12"),
    ("Windows Server 2012", "6.2", true, "2023-10-10"),
    ("Windows 8.1", "6.3", false, "2023-01-10"),
    ("Windows Server 2012 R2", "6.3", true, "2023-10-10"),
];

/// Windows Server on the 10.0 kernel, by build.
const SERVERS: &[(u32, &str, &str)] = &[
    (14393, "Windows Server 2016", "2027-01-12"),
    (17763, "Windows Server 2019", "2029-01-09"),
    (20348, "Windows Server 2022", "2031-10-14"),
    (26100, "Windows Server 2025", "2034-10-10"),
];

/// Windows 10 and 11 by build: (build, product, end for Home/Pro, end for Enterprise and
/// Education).
const CLIENTS: &[(u32, &str, &str, &str)] = &[
    (19045, "Windows 10 22H2", "2025-10-14", "2025-10-14"),
    (22000, "Windows 11 21H2", "2023-10-10", "2024-10-08"),
    (22621, "Windows 11 22H2", "2024-10-08", "2025-10-14"),
    (22631, "Windows 11 23H2", "2025-11-11", "2026-11-10"),
    (26100, "Windows 11 24H2", "2026-10-13", "2027-10-12"),
    (26200, "Windows 11 25H2", "2027-10-12", "2028-10-10"),
];

/// Windows 10 long-term servicing editions, by build.
const LONG_TERM: &[(u32, &str, &str)] = &[
    (10240, "Windows 10 Enterprise 2015 LTSB", "2025-10-14"),
    (14393, "Windows 10 Enterprise 2016 LTSB", "2026-10-13"),
    (17763, "Windows 10 Enterprise LTSC 2019", "2029-01-09"),
    (19044, "Windows 10 Enterprise LTSC 2021", "2027-01-12"),
];

/// "10.0 (19045)" → (10, 0, Some(19045)).
fn version(text: &str) -> Option<(u32, u32, Option<u32>)> {
    let (number, build) = match text.split_once('(') {
        Some((number, rest)) => (
            number.trim(),
            rest.trim_end_matches(')').trim().parse().ok(),
        ),
        None => (text.trim(), None),
    };
    let (major, minor) = number.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?, build))
}

/// What the table knows of `account`'s system, if anything.
pub fn support_of(account: &Account) -> Option<Support> {
    let name = account.operating_system.as_deref()?;
    if !name.starts_with("Windows") {
        return None;
    }
    let (major, minor, build) = version(account.operating_system_version.as_deref()?)?;
    let server = name.contains("Server");
    if major < 10 {
        let wanted = format!("{major}.{minor}");
        return BY_VERSION
            .iter()
            .find(|(_, v, is_server, _)| *v == wanted && *is_server == server)
            .map(|(product, _, _, ended)| Support { product, ended });
    }
    let build = build?;
    if server {
        return SERVERS
            .iter()
            .find(|(b, _, _)| *b == build)
            .map(|(_, product, ended)| Support { product, ended });
    }
    if name.contains("LTSC") || name.contains("LTSB") {
        // IoT editions of the same builds are supported longer: not guessed.
        if name.contains("IoT") {
            return None;
        }
        return LONG_TERM
            .iter()
            .find(|(b, _, _)| *b == build)
            .map(|(_, product, ended)| Support { product, ended });
    }
    let enterprise = name.contains("Enterprise") || name.contains("Education");
    if (10240..19045).contains(&build) && name.starts_with("Windows 10") {
        // Every Windows 10 release before 22H2 ended before it did.
        return Some(Support {
            product: "Windows 10 (before 22H2)",
            ended: "2025-10-14",
        });
    }
    CLIENTS
        .iter()
        .find(|(b, _, _, _)| *b == build)
        .map(|(_, product, home, business)| Support {
            product,
            ended: if enterprise { business } else { home },
        })
}

/// Coverage's note when the source is not known to hold `operatingSystem` and
/// `operatingSystemVersion` (an export made without them).
pub const PARTIAL: &str = "the source is not known to hold operatingSystem and operatingSystemVersion: judged only where an object carries them";

/// The finding for `account` when its system's support ended on or before `today`.
pub fn finding(account: &Account, today: &str) -> Option<crate::rules::Finding> {
    let support = support_of(account).filter(|support| ended(support, today))?;
    Some(crate::rules::Finding::UnsupportedOs {
        account: account.sam_account_name.clone(),
        dn: account.dn.clone(),
        operating_system: account.operating_system.clone().unwrap_or_default(),
        operating_system_version: account.operating_system_version.clone().unwrap_or_default(),
        product: support.product,
        support_ended: support.ended,
    })
}

/// Whether support ended on or before `today` (`YYYY-MM-DD`).
pub fn ended(support: &Support, today: &str) -> bool {
    support.ended <= today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn computer(os: &str, version: &str) -> Account {
        let mut account = Account::test("PC$");
        account.operating_system = Some(os.into());
        account.operating_system_version = Some(version.into());
        account
    }

    #[test]
    fn known_systems_have_dates_and_unknown_ones_are_not_guessed() {
        let of = |os: &str, version: &str| support_of(&computer(os, version)).map(|s| s.ended);
        assert_eq!(
            of("Windows 7 Professional", "6.1 (7601)"),
            Some("2020-01-14")
        );
        assert_eq!(
            of("Windows Server 2008 R2 Standard", "6.1 (7601)"),
            Some("2020-01-14")
        );
        assert_eq!(
            of("Windows Server 2016 Datacenter", "10.0 (14393)"),
            Some("2027-01-12")
        );
        assert_eq!(of("Windows 10 Pro", "10.0 (19045)"), Some("2025-10-14"));
        assert_eq!(
            of("Windows 10 Enterprise", "10.0 (18363)"),
            Some("2025-10-14")
        );
        assert_eq!(
            of("Windows 10 Enterprise LTSC", "10.0 (17763)"),
            Some("2029-01-09")
        );
        assert_eq!(of("Windows 11 Pro", "10.0 (22631)"), Some("2025-11-11"));
        assert_eq!(
            of("Windows 11 Enterprise", "10.0 (22631)"),
            Some("2026-11-10")
        );
        for (os, version) in [
            ("Samba", "4.17.12-Debian"),
            ("Windows 11 Pro", "10.0 (99999)"),
            ("Windows 10 IoT Enterprise LTSC", "10.0 (19044)"),
            ("Windows 10 Pro", "garbage"),
            ("Windows Server 2016", "10.0"),
        ] {
            assert_eq!(of(os, version), None, "{os} {version}");
        }
        let seven = support_of(&computer("Windows 7 Enterprise", "6.1 (7601)")).unwrap();
        assert!(ended(&seven, TABLE_DATE));
        let eleven = support_of(&computer("Windows 11 Enterprise", "10.0 (26100)")).unwrap();
        assert!(!ended(&eleven, "2026-12-06"));
    }
}
