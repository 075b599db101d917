//! `delegation`: a computer that may act as other users (unconstrained, protocol transition,
//! constrained to krbtgt or a DC, resource-based).

use std::borrow::Cow;

use super::{Kind, Needs, Severity, Text, account_field, label};
use crate::model::account::Attr;
use crate::rules::Finding;
use crate::rules::causes::{no_cause, no_cause_kind};
use crate::rules::coverage::Check;

pub static DELEGATION: Kind = Kind {
    name: "delegation",
    meaning: "the computer may act as other users: unconstrained delegation (not a DC), protocol transition, constrained delegation to krbtgt or a DC, or resource-based delegation that lets other principals act as any user towards it",
    severity: Severity::Critical,
    identity: &["dn", "class"],
    classes: &[
        "unconstrained",
        "protocol_transition",
        "constrained_to_dc",
        "resource_based",
    ],
    title: "Delegation (computers that may act as other users)",
    columns: &["Account", "Class", "Targets or principals"],
    remediation: "unconstrained or protocol transition: replace by constrained delegation to the services it needs (ADUC, Delegation tab), or none; to krbtgt or a DC: remove that target; resource-based: clear msDS-AllowedToActOnBehalfOfOtherIdentity unless each principal named needs it",
    needs: Some(Needs {
        on_object: &[Attr::ObjectClass, Attr::UserAccountControl],
        // Absent on nearly every object even in a full export: where the source is not known
        // to hold them, coverage says so in a note (`delegation::PARTIAL`), not as a gap.
        in_source: &[],
        reads: &[Attr::AllowedToDelegateTo, Attr::AllowedToActOnBehalf],
        every_object: false,
        commands: &[],
        aliases: &[],
    }),
    fields: &["account", "dn", "class", "targets"],
    cells,
    field,
    cause: no_cause,
    cause_kind: no_cause_kind,
};

fn cells(finding: &Finding) -> Vec<Text<'_>> {
    let Finding::Delegation {
        account,
        dn,
        class,
        targets,
    } = finding
    else {
        return Vec::new();
    };
    vec![
        Text::One(label(account, dn)),
        Text::of(class.as_str()),
        Text::Lines(targets.iter().map(|t| Cow::Borrowed(t.as_str())).collect()),
    ]
}

fn field<'a>(finding: &'a Finding, name: &str) -> Option<Cow<'a, str>> {
    let Finding::Delegation {
        account,
        dn,
        class,
        targets,
    } = finding
    else {
        return None;
    };
    match name {
        "class" => Some(Cow::Borrowed(class.as_str())),
        "targets" => Some(Cow::Owned(targets.join(";"))),
        other => account_field(account, dn, other),
    }
}

impl Check {
    pub const DELEGATION: Check = Check(&DELEGATION);
}
