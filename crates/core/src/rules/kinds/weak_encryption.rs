//! `weak_encryption`: the AES-only KDC of 2026 refuses the account Kerberos.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{self, Cause, CauseKind, Subject};
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
        reads: &[Attr::SupportedEncryptionTypes],
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
    cause,
    cause_kind,
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

/// No AES keys: mended on the machine while it logs on, by a DC-side reset once it does not;
/// configured without AES: the attribute, once the machine can do AES.
fn cause(finding: &Finding, on: &Subject<'_>) -> Option<Cause> {
    let Finding::WeakEncryption {
        class,
        supported_encryption_types,
        probed_at,
        ..
    } = finding
    else {
        return None;
    };
    let account = on.account?;
    let at = causes::at(probed_at);
    match class {
        EncClass::NoAesKeys if on.logs_on => Cause::of(
            CauseKind::AesRefused,
            format!("the KDC{at} has no AES key for it; it still logs on"),
            "on the machine, while it has trust: Reset-ComputerMachinePassword (Linux: `adcli update`, `msktutil --auto-update`) makes AES keys   # a DC-side reset would cut it off until it rejoins".into(),
            true,
        ),
        EncClass::NoAesKeys => Cause::of(
            CauseKind::AesRefused,
            format!("the KDC{at} has no AES key for it, and it does not log on"),
            format!("{}   # new keys, AES included; then rejoin the machine (it no longer has the new password)", on.reset()?),
            false,
        ),
        EncClass::Rc4Only | EncClass::DesEnabled => Cause::of(
            CauseKind::AesRefused,
            format!(
                "msDS-SupportedEncryptionTypes {}",
                supported_encryption_types
                    .as_ref()
                    .map_or_else(|| "absent, with USE_DES_KEY_ONLY".into(), |types| types.value.to_string())
            ),
            format!(
                "once the machine can do AES: Set-ADComputer {} -KerberosEncryptionType AES128,AES256 (or ldapmodify: replace msDS-SupportedEncryptionTypes: 24 on {})   # forcing AES on a device that cannot do AES breaks it",
                on.short()?,
                account.dn
            ),
            true,
        ),
    }
}

fn cause_kind(finding: &Finding) -> Option<CauseKind> {
    matches!(finding, Finding::WeakEncryption { .. }).then_some(CauseKind::AesRefused)
}

impl Check {
    pub const WEAK_ENCRYPTION: Check = Check(&WEAK_ENCRYPTION);
}
