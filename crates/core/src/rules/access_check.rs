//! Whether the bound account holds a right on an object (docs/reference.md, "Rights"), pure: the
//! access check of MS-DTYP 2.5.3.2 for one right, over the object's DACL and the account's
//! token (its own SID and every group SID, from the rootDSE's `tokenGroups`). ACEs are read in
//! order and the first that names the right for a SID of the token decides: a deny before an
//! allow wins, as the DC decides. The live DC is the oracle: the rights test compares this
//! with what the DC then allows.

use crate::model::rights::Right;
use crate::model::security::{Ace, AceKind};

/// GENERIC_ALL and GENERIC_WRITE, should a stored ACE still carry them (AD maps them when it
/// stores a descriptor; a tool that writes raw descriptors may not).
const GENERIC_ALL: u32 = 0x1000_0000;
const GENERIC_WRITE: u32 = 0x4000_0000;
/// What GENERIC_WRITE means on a directory object: write properties and validated writes.
const GENERIC_WRITE_MAPPED: u32 = 0x20 | 0x08;

/// What the DACL says about one right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Granted,
    /// An ACE denies it.
    Denied,
    /// No ACE grants it.
    NotGranted,
}

/// Whether an ACE speaks of `right`.
fn names(ace: &Ace, right: Right) -> bool {
    let mask = if ace.mask & GENERIC_ALL != 0 {
        u32::MAX
    } else if ace.mask & GENERIC_WRITE != 0 {
        ace.mask | GENERIC_WRITE_MAPPED
    } else {
        ace.mask
    };
    mask & right.mask() != 0
        && ace
            .object_type
            .as_deref()
            .is_none_or(|object| right.object_types().contains(&object))
}

/// The access check for `right`, for an account whose token holds `token` (SIDs as text).
pub fn access(dacl: &[Ace], token: &[String], right: Right) -> Access {
    dacl.iter()
        .filter(|ace| !ace.inherit_only && token.contains(&ace.sid) && names(ace, right))
        .map(|ace| match ace.kind {
            AceKind::Allow => Access::Granted,
            AceKind::Deny => Access::Denied,
        })
        .next()
        .unwrap_or(Access::NotGranted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELPDESK: &str = "S-1-5-21-1-2-3-1180";
    const ADMINS: &str = "S-1-5-21-1-2-3-512";
    const RESET: &str = "00299570-246d-11d0-a768-00aa006e0529";

    fn ace(kind: AceKind, mask: u32, object: Option<&str>, sid: &str) -> Ace {
        Ace {
            kind,
            inherit_only: false,
            mask,
            object_type: object.map(str::to_string),
            sid: sid.to_string(),
        }
    }

    fn token(sids: &[&str]) -> Vec<String> {
        sids.iter().map(|sid| sid.to_string()).collect()
    }

    #[test]
    fn an_extended_right_needs_its_guid_or_all_rights() {
        let dacl = [
            ace(AceKind::Allow, 0xF01FF, None, ADMINS),
            ace(AceKind::Allow, 0x100, Some(RESET), HELPDESK),
            ace(
                AceKind::Allow,
                0x100,
                Some("ab721a53-1e2f-11d0-9819-00aa0040529b"),
                "S-1-1-0",
            ),
        ];
        assert_eq!(
            access(&dacl, &token(&[ADMINS]), Right::ResetPassword),
            Access::Granted
        );
        assert_eq!(
            access(&dacl, &token(&[HELPDESK, "S-1-1-0"]), Right::ResetPassword),
            Access::Granted
        );
        // Everyone's Change Password is not Reset Password.
        assert_eq!(
            access(
                &dacl,
                &token(&["S-1-5-21-1-2-3-1182", "S-1-1-0"]),
                Right::ResetPassword
            ),
            Access::NotGranted
        );
        assert_eq!(
            access(&dacl, &token(&[HELPDESK]), Right::WriteSpn),
            Access::NotGranted
        );
    }

    #[test]
    fn the_first_ace_decides_and_inherit_only_aces_do_not_count() {
        let mut dacl = vec![
            ace(AceKind::Deny, 0x100, Some(RESET), HELPDESK),
            ace(AceKind::Allow, 0xF01FF, None, HELPDESK),
        ];
        assert_eq!(
            access(&dacl, &token(&[HELPDESK]), Right::ResetPassword),
            Access::Denied
        );
        dacl[0].inherit_only = true;
        assert_eq!(
            access(&dacl, &token(&[HELPDESK]), Right::ResetPassword),
            Access::Granted
        );
    }

    #[test]
    fn spn_writes_come_validated_or_through_the_property_set() {
        use crate::model::rights::{PUBLIC_INFORMATION, SPN_ATTRIBUTE};
        let helpdesk = token(&[HELPDESK]);
        let validated = [ace(AceKind::Allow, 0x08, Some(SPN_ATTRIBUTE), HELPDESK)];
        assert_eq!(
            access(&validated, &helpdesk, Right::ValidatedSpn),
            Access::Granted
        );
        assert_eq!(
            access(&validated, &helpdesk, Right::WriteSpn),
            Access::NotGranted
        );
        let property_set = [ace(
            AceKind::Allow,
            0x20,
            Some(PUBLIC_INFORMATION),
            HELPDESK,
        )];
        assert_eq!(
            access(&property_set, &helpdesk, Right::WriteSpn),
            Access::Granted
        );
        let generic = [ace(AceKind::Allow, GENERIC_WRITE, None, HELPDESK)];
        assert_eq!(
            access(&generic, &helpdesk, Right::WriteSpn),
            Access::Granted
        );
        assert_eq!(
            access(&generic, &token(&[ADMINS]), Right::WriteSpn),
            Access::NotGranted
        );
    }
}
