//! The read-only checks of SPEC §4 and §5 as pure code over accounts, and `Finding`, what they
//! report. `Auditor` runs the selected checks while accounts stream by, keeping only the SPN
//! index that duplicate detection needs.

mod auditor;
mod duplicates;
mod spn_rules;
mod staleness;

use serde::Serialize;

pub use auditor::{AuditSettings, Auditor, ProbeScope, Summary};
pub use duplicates::{SpnIndex, duplicates_in};
pub use spn_rules::{SpnReview, SpnSettings, review_spns};
pub use staleness::{StaleClass, StaleSettings, classify_password};

/// One holder of a duplicated SPN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub struct Holder {
    pub account: String,
    pub dn: String,
    pub spn: String,
}

/// A finding (SPEC §7). Field names are public API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    StalePassword {
        account: String,
        dn: String,
        class: StaleClass,
        pwd_last_set: Option<String>,
        last_logon: Option<String>,
        password_age_days: Option<i64>,
        disabled: bool,
        domain_controller: bool,
        /// Set when something was ignored, e.g. a last logon after `as_of`.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    MissingSpn {
        account: String,
        dn: String,
        spn: String,
    },
    StaleSpn {
        account: String,
        dn: String,
        spn: String,
        /// The same SPN on the current dNSHostName; null when the account has none.
        replacement: Option<String>,
    },
    DuplicateSpn {
        key: String,
        via_alias: bool,
        holders: Vec<Holder>,
    },
    /// The KDC accepted the computer's default password (`audit --probe-default-passwords`):
    /// anyone who knows its name can take the account over.
    DefaultPassword { account: String, dn: String },
    /// A NAME given on the command line that matches nothing.
    NotFound { name: String },
    /// A NAME that matches several objects; never acted on.
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
}

impl Finding {
    /// The `kind` as JSON writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::StalePassword { .. } => "stale_password",
            Finding::MissingSpn { .. } => "missing_spn",
            Finding::StaleSpn { .. } => "stale_spn",
            Finding::DuplicateSpn { .. } => "duplicate_spn",
            Finding::DefaultPassword { .. } => "default_password",
            Finding::NotFound { .. } => "not_found",
            Finding::Ambiguous { .. } => "ambiguous",
        }
    }

    /// Sort key: kind order, then account (or key or name), then SPN.
    fn sort_key(&self) -> (u8, String, String) {
        let lower = |text: &str| text.to_lowercase();
        match self {
            Finding::StalePassword { account, .. } => (0, lower(account), String::new()),
            Finding::MissingSpn { account, spn, .. } => (1, lower(account), lower(spn)),
            Finding::StaleSpn { account, spn, .. } => (2, lower(account), lower(spn)),
            Finding::DuplicateSpn { key, .. } => (3, key.clone(), String::new()),
            Finding::DefaultPassword { account, .. } => (6, lower(account), String::new()),
            Finding::NotFound { name } => (4, lower(name), String::new()),
            Finding::Ambiguous { name, .. } => (5, lower(name), String::new()),
        }
    }
}

/// Puts findings in the one order every source and format shares.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by_cached_key(Finding::sort_key);
}
