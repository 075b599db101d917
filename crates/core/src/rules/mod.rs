//! The rules: pure code over accounts, no I/O. The read-only checks (password staleness,
//! SPN rules, duplicates) and `Finding`, what they report; `Auditor` runs the selected checks
//! while accounts stream by, and `coverage` says what they could examine. The planners decide
//! what the write commands do: `reset` (what may be reset, and to what), `spn_plan`, `undo`
//! (what reversing a journaled change means now), and `readback` (what a lost answer was).
//! `triage` judges a scheduled run's findings: new since a baseline, accepted, failing.

pub mod access_check;
mod auditor;
pub mod coverage;
mod duplicates;
pub mod encryption;
pub mod kinds;
mod readback;
pub mod replication_lag;
pub mod reset_plan;
pub mod restore_plan;
pub mod shown;
pub mod spn_plan;
mod spn_rules;
mod staleness;
pub mod triage;
pub mod undo_plan;

use serde::Serialize;

use crate::model::account::{Account, AccountKind};
use crate::model::filetime::Timestamp;
use crate::model::names::{NameQuery, Resolution};
use kinds::Kind;

pub use auditor::{Audit, AuditSettings, Auditor, KeyProbeScope, ProbeScope, Summary};
pub use duplicates::SpnIndex;
pub use readback::{PasswordState, reset_made, spn_change_made};
pub use spn_rules::{SpnSettings, expected_spns, review_spns};
pub use staleness::{StaleClass, StaleSettings, classify_password};

/// One holder of a duplicated SPN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Holder {
    /// sAMAccountName, when the source has one (else the DN names the holder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub dn: String,
    pub spn: String,
    #[serde(skip)]
    pub kind: Option<AccountKind>,
}

impl Holder {
    /// How tables name the holder.
    pub fn label(&self) -> &str {
        self.account.as_deref().unwrap_or(&self.dn)
    }
}

/// One of the objects an ambiguous name matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub dn: String,
}

/// A finding (docs/reference.md, "JSON"). Field names are public API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    StalePassword {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: StaleClass,
        pwd_last_set: Option<Timestamp>,
        last_logon: Option<Timestamp>,
        password_age_days: Option<i64>,
        disabled: bool,
        domain_controller: bool,
        /// Set when something was ignored, e.g. a last logon after `as_of`.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    MissingSpn {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        spn: String,
    },
    StaleSpn {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        spn: String,
        /// The same SPN on the current dNSHostName; null when the account has none.
        replacement: Option<String>,
    },
    /// A name no SPN can be built from (control characters, spaces, …): the rules expect
    /// no SPN on it, and `spn fix` writes none.
    InvalidHostName {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        /// `sAMAccountName` or `dNSHostName`.
        attribute: &'static str,
        value: String,
        reason: String,
    },
    DuplicateSpn {
        key: String,
        via_alias: bool,
        holders: Vec<Holder>,
    },
    /// The KDC accepted the computer's default password (`audit --probe-default-passwords`):
    /// anyone who knows its name can take the account over.
    DefaultPassword {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
    },
    /// A computer the AES-only KDC locks out, or will (`encryption`).
    WeakEncryption {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        class: encryption::EncClass,
        /// `msDS-SupportedEncryptionTypes`, absent when the attribute is.
        #[serde(skip_serializing_if = "Option::is_none")]
        supported_encryption_types: Option<crate::model::enctypes::SupportedTypes>,
        /// The AES keys the KDC has for it (when probed; empty: none).
        #[serde(skip_serializing_if = "Option::is_none")]
        keys: Option<Vec<String>>,
        /// The KDC probed.
        #[serde(skip_serializing_if = "Option::is_none")]
        probed_at: Option<String>,
    },
    /// A computer deleted within the staleness period (`audit`, from a DC): `restore` brings
    /// it back.
    DeletedComputer {
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        dn: String,
        last_known_parent: Option<String>,
        deleted_at: Option<Timestamp>,
    },
    /// A NAME given on the command line that matches nothing.
    NotFound { name: String },
    /// A NAME that matches several objects; never acted on.
    Ambiguous {
        name: String,
        candidates: Vec<Candidate>,
    },
}

impl Finding {
    /// The declaration of its kind.
    pub fn spec(&self) -> &'static Kind {
        match self {
            Finding::StalePassword { .. } => &kinds::STALE_PASSWORD,
            Finding::MissingSpn { .. } => &kinds::MISSING_SPN,
            Finding::StaleSpn { .. } => &kinds::STALE_SPN,
            Finding::InvalidHostName { .. } => &kinds::INVALID_HOST_NAME,
            Finding::DuplicateSpn { .. } => &kinds::DUPLICATE_SPN,
            Finding::DefaultPassword { .. } => &kinds::DEFAULT_PASSWORD,
            Finding::WeakEncryption { .. } => &kinds::WEAK_ENCRYPTION,
            Finding::DeletedComputer { .. } => &kinds::DELETED_COMPUTER,
            Finding::NotFound { .. } => &kinds::NOT_FOUND,
            Finding::Ambiguous { .. } => &kinds::AMBIGUOUS,
        }
    }

    /// The `kind` as JSON writes it.
    pub fn kind(&self) -> &'static str {
        self.spec().name
    }

    /// Its `class`, for the kinds that have classes.
    pub fn class(&self) -> Option<&'static str> {
        match self {
            Finding::StalePassword { class, .. } => Some(class.as_str()),
            Finding::WeakEncryption { class, .. } => Some(class.as_str()),
            _ => None,
        }
    }

    /// The finding for a name that did not resolve to one object, if it did not.
    pub fn unresolved(name: &str, resolution: &Resolution<'_>) -> Option<Finding> {
        match resolution {
            Resolution::Found(_) => None,
            Resolution::NotFound => Some(Finding::NotFound {
                name: name.to_string(),
            }),
            Resolution::Ambiguous(matches) => Some(Finding::Ambiguous {
                name: name.to_string(),
                candidates: matches
                    .iter()
                    .map(|account: &&Account| Candidate {
                        account: account.sam_account_name.clone(),
                        dn: account.dn.clone(),
                    })
                    .collect(),
            }),
        }
    }

    /// Resolves each of `names` among `candidates`: the accounts found, and a `not_found` or
    /// `ambiguous` finding for each other name.
    pub fn resolve_each<'a>(
        names: &[NameQuery],
        candidates: &'a [Account],
    ) -> (Vec<&'a Account>, Vec<Finding>) {
        let mut found = Vec::new();
        let mut unresolved = Vec::new();
        for name in names {
            match name.resolve(candidates) {
                Resolution::Found(account) => found.push(account),
                other => unresolved.extend(Finding::unresolved(name.as_str(), &other)),
            }
        }
        (found, unresolved)
    }

    /// The account the finding is about, by DN (`None` for duplicates and names).
    pub fn dn(&self) -> Option<&str> {
        match self {
            Finding::StalePassword { dn, .. }
            | Finding::MissingSpn { dn, .. }
            | Finding::StaleSpn { dn, .. }
            | Finding::InvalidHostName { dn, .. }
            | Finding::DefaultPassword { dn, .. }
            | Finding::WeakEncryption { dn, .. }
            | Finding::DeletedComputer { dn, .. } => Some(dn),
            _ => None,
        }
    }

    /// Sort position: kind order, then account (or key or name), then what about it.
    fn sort_parts(&self) -> (usize, &str, &str) {
        let (subject, detail) = match self {
            Finding::StalePassword { account, dn, .. }
            | Finding::DefaultPassword { account, dn }
            | Finding::WeakEncryption { account, dn, .. }
            | Finding::DeletedComputer { account, dn, .. } => {
                (account.as_deref().unwrap_or(dn), "")
            }
            Finding::MissingSpn { account, dn, spn }
            | Finding::StaleSpn {
                account, dn, spn, ..
            } => (account.as_deref().unwrap_or(dn), spn.as_str()),
            Finding::InvalidHostName {
                account,
                dn,
                attribute,
                ..
            } => (account.as_deref().unwrap_or(dn), *attribute),
            Finding::DuplicateSpn { key, .. } => (key.as_str(), ""),
            Finding::NotFound { name } | Finding::Ambiguous { name, .. } => (name.as_str(), ""),
        };
        (self.spec().position(), subject, detail)
    }
}

/// Compares case-insensitively (as the report orders names) without allocating.
fn cmp_folded(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    }
}

/// The one order every source and format shares.
pub fn compare_findings(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let (a, b) = (a.sort_parts(), b.sort_parts());
    a.0.cmp(&b.0)
        .then_with(|| cmp_folded(a.1, b.1))
        .then_with(|| cmp_folded(a.2, b.2))
}

/// Puts findings in the one order every source and format shares. A stable merge sort: the
/// sorted runs of several workers merge in one pass.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(compare_findings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_found_or_reported() {
        let accounts = [
            Account::test("PC01$"),
            Account {
                dn: "CN=KIOSK,OU=A,DC=x".into(),
                ..Account::test("KIOSK$")
            },
            Account {
                dn: "CN=KIOSK,OU=B,DC=x".into(),
                cn: Some("KIOSK".into()),
                ..Account::test("KIOSK-OLD$")
            },
        ];
        let names: Vec<NameQuery> = ["pc01", "nope", "kiosk"]
            .iter()
            .map(|raw| NameQuery::parse(raw).unwrap())
            .collect();
        let (found, unresolved) = Finding::resolve_each(&names, &accounts);
        assert_eq!(found, [&accounts[0]]);
        let kinds: Vec<&str> = unresolved.iter().map(Finding::kind).collect();
        assert_eq!(kinds, ["not_found", "ambiguous"]);
    }
}
