//! `weak_encryption`: the AES-only KDC of 2026 refuses the account Kerberos.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::coverage::Check;
use crate::rules::encryption::EncClass;

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
    needs: Some(Needs {
        on_object: &[Attr::ObjectClass, Attr::UserAccountControl],
        in_source: &[Attr::SupportedEncryptionTypes],
        every_object: false,
        commands: &[],
        aliases: &["encryption", "enctypes"],
    }),
    fields: &[
        "account",
        "dn",
        "class",
        "supported_encryption_types",
        "keys",
        "probed_at",
    ],
    cells,
    field,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::WeakEncryption {
        account,
        dn,
        class,
        supported_encryption_types,
        keys,
        ..
    } = finding
    else {
        return Vec::new();
    };
    let types = supported_encryption_types.as_ref().map_or_else(
        || "(absent: the KDC's default)".to_string(),
        |types| format!("{} ({})", types.value, types.names.join(", ")),
    );
    let keys = match keys {
        None => "(not probed)".to_string(),
        Some(keys) if *class == EncClass::NoAesKeys => match keys.is_empty() {
            true => "none".to_string(),
            false => format!("none (has {})", keys.join(", ")),
        },
        Some(keys) => keys.join(", "),
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(class.as_str()),
        Text::of(types),
        Text::of(keys),
    ]
}

/// `supported_encryption_types` as its number, `keys` separated by `;`.
fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::WeakEncryption {
        account,
        dn,
        class,
        supported_encryption_types,
        keys,
        probed_at,
    } = finding
    else {
        return None;
    };
    match name {
        "class" => Some(Cow::Borrowed(class.as_str())),
        "supported_encryption_types" => supported_encryption_types
            .as_ref()
            .map(|types| Cow::Owned(types.value.to_string())),
        "keys" => keys.as_ref().map(|keys| Cow::Owned(keys.join(";"))),
        "probed_at" => probed_at.as_deref().map(Cow::Borrowed),
        other => account_field(account, dn, other),
    }
}

impl Check {
    pub const WEAK_ENCRYPTION: Check = Check(&WEAK_ENCRYPTION);
}
