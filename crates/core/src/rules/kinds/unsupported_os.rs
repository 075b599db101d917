//! `unsupported_os`: an enabled computer whose system is past the end of Microsoft's support,
//! as the table shipped with adcomputer (`rules::support`, dated) knows it.

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{no_cause, no_cause_kind};
use crate::rules::coverage::Check;

pub static UNSUPPORTED_OS: Kind = Kind {
    name: "unsupported_os",
    meaning: "the computer runs a system past the end of Microsoft's support (no security updates, unless Extended Security Updates were bought, which the directory does not show)",
    severity: Severity::Warning,
    identity: &["dn"],
    classes: &[],
    title: "Systems past the end of support",
    columns: &["Account", "Operating system", "Version", "Support ended"],
    remediation: "upgrade or retire the machine before the migration (or record its Extended Security Updates in the ignore list)",
    needs: Some(Needs {
        on_object: &[Attr::ObjectClass, Attr::UserAccountControl],
        // Absent on many objects (pre-created accounts, other systems): where the source is not
        // known to hold them, coverage says so in a note, not as a gap.
        in_source: &[],
        reads: &[Attr::OperatingSystemVersion],
        every_object: false,
        commands: &[],
        aliases: &[],
    }),
    fields: &[
        "account",
        "dn",
        "operating_system",
        "operating_system_version",
        "product",
        "support_ended",
    ],
    cells,
    field,
    cause: no_cause,
    cause_kind: no_cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::UnsupportedOs {
        account,
        dn,
        operating_system,
        operating_system_version,
        product,
        support_ended,
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(format!("{operating_system} ({product})")),
        Text::of(operating_system_version.as_str()),
        Text::of(*support_ended),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::UnsupportedOs {
        account,
        dn,
        operating_system,
        operating_system_version,
        product,
        support_ended,
    } = finding
    else {
        return None;
    };
    match name {
        "operating_system" => Some(Cow::Borrowed(operating_system)),
        "operating_system_version" => Some(Cow::Borrowed(operating_system_version)),
        "product" => Some(Cow::Borrowed(product)),
        "support_ended" => Some(Cow::Borrowed(support_ended)),
        other => account_field(account, dn, other),
    }
}

impl Check {
    pub const UNSUPPORTED_OS: Check = Check(&UNSUPPORTED_OS);
}
