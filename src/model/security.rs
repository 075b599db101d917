//! Security identifiers and the owner of a security descriptor, as AD stores them
//! (`objectSid`, `mS-DS-CreatorSID`, `nTSecurityDescriptor` in self-relative form).

/// `S-1-5-21-…` text form of a binary SID; `None` when malformed.
pub(crate) fn sid_to_string(bytes: &[u8]) -> Option<String> {
    let (&revision, rest) = bytes.split_first()?;
    let (&count, rest) = rest.split_first()?;
    let authority = rest.get(..6)?;
    let subs = rest.get(6..6 + 4 * usize::from(count))?;
    if rest.len() != 6 + 4 * usize::from(count) {
        return None;
    }
    let authority = authority
        .iter()
        .fold(0u64, |value, &byte| (value << 8) | u64::from(byte));
    let mut text = format!("S-{revision}-{authority}");
    for sub in subs.chunks_exact(4) {
        let sub = u32::from_le_bytes(sub.try_into().ok()?);
        text.push_str(&format!("-{sub}"));
    }
    Some(text)
}

/// The length of the SID starting at `bytes` (from its sub-authority count).
fn sid_length(bytes: &[u8]) -> Option<usize> {
    Some(8 + 4 * usize::from(*bytes.get(1)?))
}

/// The owner SID of a self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6); `None` when it has
/// none or is malformed.
pub(crate) fn owner_of(descriptor: &[u8]) -> Option<String> {
    let offset = u32::from_le_bytes(descriptor.get(4..8)?.try_into().ok()?) as usize;
    if offset == 0 {
        return None;
    }
    let sid = descriptor.get(offset..)?;
    sid_to_string(sid.get(..sid_length(sid)?)?)
}

/// The RID: the last sub-authority of a SID in text form.
pub(crate) fn rid(sid: &str) -> Option<u32> {
    sid.rsplit('-').next()?.parse().ok()
}

/// The domain part of a domain account's SID (everything before the RID).
pub(crate) fn domain_of(sid: &str) -> Option<&str> {
    sid.rsplit_once('-').map(|(domain, _)| domain)
}

/// Whether `sid` is a group whose members may always reuse computer accounts: the domain's
/// Domain Admins (512) or Enterprise Admins (519), or BUILTIN\Administrators.
pub(crate) fn is_admin_group(sid: &str, domain_sid: &str) -> bool {
    sid == "S-1-5-32-544"
        || (domain_of(sid) == Some(domain_sid) && matches!(rid(sid), Some(512 | 519)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// S-1-5-21-1-2-3-512 in binary.
    fn domain_admins() -> Vec<u8> {
        let mut sid = vec![1, 5, 0, 0, 0, 0, 0, 5];
        for sub in [21u32, 1, 2, 3, 512] {
            sid.extend_from_slice(&sub.to_le_bytes());
        }
        sid
    }

    #[test]
    fn sids_format_as_text() {
        assert_eq!(
            sid_to_string(&domain_admins()).as_deref(),
            Some("S-1-5-21-1-2-3-512")
        );
        assert_eq!(
            sid_to_string(&[1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0]).as_deref(),
            Some("S-1-5-32-544")
        );
        assert_eq!(sid_to_string(&[1, 5, 0, 0]), None, "truncated");
        assert_eq!(
            sid_to_string(&[1, 1, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 9]),
            None,
            "trailing"
        );
    }

    #[test]
    fn owner_is_read_from_a_self_relative_descriptor() {
        // Header (20 bytes): revision 1, control SE_SELF_RELATIVE, owner at 20, no group/ACLs.
        let mut descriptor = vec![1, 0, 0x00, 0x80, 20, 0, 0, 0];
        descriptor.extend_from_slice(&[0; 12]);
        descriptor.extend_from_slice(&domain_admins());
        assert_eq!(owner_of(&descriptor).as_deref(), Some("S-1-5-21-1-2-3-512"));
        descriptor[4] = 0;
        assert_eq!(owner_of(&descriptor), None, "no owner");
        assert_eq!(
            owner_of(&[1, 0, 0, 0x80, 200, 0, 0, 0]),
            None,
            "offset past the end"
        );
        assert_eq!(owner_of(&[]), None);
    }

    #[test]
    fn admin_groups_are_recognized() {
        let domain = "S-1-5-21-1-2-3";
        assert!(is_admin_group("S-1-5-21-1-2-3-512", domain));
        assert!(is_admin_group("S-1-5-21-1-2-3-519", domain));
        assert!(is_admin_group("S-1-5-32-544", domain));
        assert!(!is_admin_group("S-1-5-21-1-2-3-1105", domain));
        assert!(
            !is_admin_group("S-1-5-21-9-9-9-512", domain),
            "another domain's admins"
        );
    }
}
