//! The finding kinds, each declared once: its name as JSON writes it, what it means, how
//! severe it is, the fields that make its identity, its classes, its table's title and
//! columns, and what mends it. The list of kinds, the summary's counts, `--fail-on`'s values,
//! the identities of a baseline's findings, the order of findings and the tables of every
//! format are derived from [`KINDS`]; `docs/reference.md` lists them all (a test checks).
//!
//! Adding a kind: declare its `Kind` here, add it to `KINDS`, add its `Finding` variant with
//! the rule that finds it, and its row in `report::present::findings`.

use serde::Serialize;

/// How much a finding of a kind matters to the lead who reads the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Kerberos fails today, or the account can be taken over.
    Critical,
    /// Something will fail, or an admin must decide.
    Warning,
    /// Worth knowing; nothing fails because of it.
    Notice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

/// One finding kind's declaration.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// As JSON's `kind` writes it.
    pub name: &'static str,
    /// One line: what the finding says about the account.
    pub meaning: &'static str,
    pub severity: Severity,
    /// The JSON fields whose folded values, after the kind, make a finding's identity.
    pub identity: &'static [&'static str],
    /// The values of its `class` field, each counted in the summary.
    pub classes: &'static [&'static str],
    /// The title of its table.
    pub title: &'static str,
    /// The header of its table.
    pub columns: &'static [&'static str],
    /// What mends it.
    pub remediation: &'static str,
}

pub static STALE_PASSWORD: Kind = Kind {
    name: "stale_password",
    meaning: "the machine password is older than the rotation period, or was never set",
    severity: Severity::Warning,
    identity: &["dn"],
    classes: &["never_set", "rotation_failing", "inactive"],
    title: "Stale machine passwords",
    columns: &["Account", "Class", "Password age", "Last logon", "Notes"],
    remediation: "a machine that still logs on repairs itself (Test-ComputerSecureChannel -Repair on it); \
                  one never joined or abandoned: `adcomputer reset NAME --apply` and a rejoin, or delete it",
};

pub static MISSING_SPN: Kind = Kind {
    name: "missing_spn",
    meaning: "an SPN every computer holds (HOST/, RestrictedKrbHost/, TERMSRV/ where used) is absent: Kerberos to that name fails",
    severity: Severity::Warning,
    identity: &["dn", "spn"],
    classes: &[],
    title: "Missing SPNs",
    columns: &["Account", "Missing SPN"],
    remediation: "`adcomputer spn fix NAME --apply` adds it",
};

pub static STALE_SPN: Kind = Kind {
    name: "stale_spn",
    meaning: "an SPN names an old DNS name of the computer",
    severity: Severity::Notice,
    identity: &["dn", "spn"],
    classes: &[],
    title: "Stale SPNs (old DNS names)",
    columns: &["Account", "SPN", "Replacement"],
    remediation: "`adcomputer spn fix NAME --apply` moves it to the current dNSHostName",
};

pub static INVALID_HOST_NAME: Kind = Kind {
    name: "invalid_host_name",
    meaning: "sAMAccountName or dNSHostName is not a valid host name, so no SPN is built from it",
    severity: Severity::Warning,
    identity: &["dn", "attribute"],
    classes: &[],
    title: "Names no SPN is built from (not valid host names)",
    columns: &["Account", "Attribute", "Value", "Why"],
    remediation: "correct the attribute (ADUC's Attribute Editor, or ldapmodify); the SPN rules then apply",
};

pub static DUPLICATE_SPN: Kind = Kind {
    name: "duplicate_spn",
    meaning: "two objects hold the same SPN (or an alias of it): the KDC cannot tell whose key to use, and Kerberos to that name fails",
    severity: Severity::Critical,
    identity: &["key"],
    classes: &[],
    title: "Duplicate SPNs",
    columns: &["Key", "Held by", "Via alias"],
    remediation: "between computers: `adcomputer spn fix NAME --dedupe --apply`; held by a user or \
                  service account: `setspn -D SPN ACCOUNT` on the holder that should not have it",
};

pub static DEFAULT_PASSWORD: Kind = Kind {
    name: "default_password",
    meaning: "the KDC accepts the computer's default password: anyone who knows its name can take the account over",
    severity: Severity::Critical,
    identity: &["dn"],
    classes: &[],
    title: "Default passwords (anyone who knows the name can take these over)",
    columns: &["Account", "DN"],
    remediation: "join the machine now (its join sets a random password), or disable or delete the account",
};

pub static WEAK_ENCRYPTION: Kind = Kind {
    name: "weak_encryption",
    meaning: "the AES-only KDC of 2026 (KB5073381) refuses it Kerberos: it has no AES keys, or is configured for RC4 or DES only",
    severity: Severity::Critical,
    identity: &["dn"],
    classes: &["no_aes_keys", "rc4_only", "des_enabled"],
    title: "Weak Kerberos encryption (the AES-only KDC refuses these)",
    columns: &[
        "Account",
        "Class",
        "msDS-SupportedEncryptionTypes",
        "AES keys (KDC)",
    ],
    remediation: "no AES keys: a new password makes them (on the machine while it has trust: \
                  Reset-ComputerMachinePassword, `adcli update`, `msktutil --auto-update`; \
                  once it lost trust: `adcomputer reset NAME --apply` and a rejoin); RC4 or DES \
                  only: let the machine write msDS-SupportedEncryptionTypes itself, or set \
                  AES (24) once it can do AES; krbtgt: at functional level 2008 or higher, reset \
                  its password twice, replication between",
};

pub static DELETED_COMPUTER: Kind = Kind {
    name: "deleted_computer",
    meaning: "a computer deleted within the staleness period: its machine cannot log on",
    severity: Severity::Notice,
    identity: &["dn"],
    classes: &[],
    title: "Deleted computers (`adcomputer restore NAME` brings one back)",
    columns: &["Account", "Deleted", "Last known parent"],
    remediation: "`adcomputer restore NAME --apply` brings it back with its SID and group memberships",
};

pub static NOT_FOUND: Kind = Kind {
    name: "not_found",
    meaning: "a name given matches no object",
    severity: Severity::Warning,
    identity: &["name"],
    classes: &[],
    title: "Names not found",
    columns: &["Name", "Not checked because"],
    remediation: "check the name (sAMAccountName with or without $, dNSHostName or DN) and -b",
};

pub static AMBIGUOUS: Kind = Kind {
    name: "ambiguous",
    meaning: "a name given matches several objects; nothing was done to any",
    severity: Severity::Warning,
    identity: &["name"],
    classes: &[],
    title: "Ambiguous names",
    columns: &["Name", "Not checked because"],
    remediation: "name the object by its DN",
};

/// How many kinds there are.
pub const KIND_COUNT: usize = 10;

/// Every kind, in the order reports list them.
pub static KINDS: [&Kind; KIND_COUNT] = [
    &STALE_PASSWORD,
    &MISSING_SPN,
    &STALE_SPN,
    &INVALID_HOST_NAME,
    &DUPLICATE_SPN,
    &DEFAULT_PASSWORD,
    &WEAK_ENCRYPTION,
    &DELETED_COMPUTER,
    &NOT_FOUND,
    &AMBIGUOUS,
];

impl Kind {
    /// The kind named `name` as JSON writes it.
    pub fn named(name: &str) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.name == name)
    }

    /// Its position in [`KINDS`]: the order of reports.
    pub fn position(&self) -> usize {
        KINDS
            .iter()
            .position(|kind| std::ptr::eq(*kind, self))
            .expect("every kind is in KINDS")
    }

    /// The kind one of whose classes is `class`.
    pub fn of_class(class: &str) -> Option<&'static Kind> {
        KINDS.into_iter().find(|kind| kind.classes.contains(&class))
    }
}

/// Every kind's name, in report order.
pub fn names() -> impl Iterator<Item = &'static str> {
    KINDS.into_iter().map(|kind| kind.name)
}

/// Every class of every kind, in report order.
pub fn classes() -> impl Iterator<Item = &'static str> {
    KINDS
        .into_iter()
        .flat_map(|kind| kind.classes.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_classes_are_unique_and_snake_case() {
        let all: Vec<&str> = names().chain(classes()).collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "{all:?}");
        for name in all {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
        for (index, kind) in KINDS.iter().enumerate() {
            assert_eq!(kind.position(), index);
            assert!(!kind.identity.is_empty() && !kind.columns.is_empty());
            assert!(!kind.meaning.is_empty() && !kind.remediation.is_empty());
        }
        assert_eq!(Kind::of_class("inactive"), Some(&STALE_PASSWORD));
        assert_eq!(Kind::named("nope"), None);
    }

    /// The reference's table of kinds, as the declarations make it.
    fn reference_table() -> String {
        let mut table = String::from(
            "| kind | severity | what it means | what mends it |\n|---|---|---|---|\n",
        );
        for kind in KINDS {
            table.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                kind.name,
                kind.severity.as_str(),
                kind.meaning,
                kind.remediation
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        table
    }

    #[test]
    fn the_reference_lists_every_kind_as_declared() {
        let reference = include_str!("../../../../docs/reference.md");
        let table = reference_table();
        assert!(
            reference.contains(&table),
            "docs/reference.md lacks this table (or it differs), under \"Finding kinds\":\n{table}"
        );
    }
}
