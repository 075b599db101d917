//! Security identifiers and security descriptors as AD stores them (`objectSid`,
//! `mS-DS-CreatorSID`, `nTSecurityDescriptor` in self-relative form, MS-DTYP 2.4.6): the owner,
//! and the DACL's access-control entries that decide delegated rights.

/// `S-1-5-21-…` text form of a binary SID; `None` when malformed.
pub fn sid_to_string(bytes: &[u8]) -> Option<String> {
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
pub fn owner_of(descriptor: &[u8]) -> Option<String> {
    let offset = usize::try_from(u32_at(descriptor, 4)?).ok()?;
    if offset == 0 {
        return None;
    }
    let sid = descriptor.get(offset..)?;
    sid_to_string(sid.get(..sid_length(sid)?)?)
}

/// The owner of a descriptor in SDDL (`O:DAG:DAD:…`, as ldbsearch writes one): its SID, or
/// its two-letter alias; `None` when it names none.
pub fn owner_of_sddl(sddl: &str) -> Option<String> {
    let rest = sddl.strip_prefix("O:")?;
    let owner = match rest.strip_prefix("S-") {
        Some(sid) => {
            let end = sid
                .find(|c: char| !(c.is_ascii_digit() || c == '-'))
                .unwrap_or(sid.len());
            format!("S-{}", &sid[..end])
        }
        None => rest.get(..2)?.to_string(),
    };
    (owner.len() >= 2 && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then_some(owner)
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AceKind {
    Allow,
    Deny,
}

/// One access-control entry of a DACL (MS-DTYP 2.4.4), the parts an access check reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    pub kind: AceKind,
    /// INHERIT_ONLY_ACE: kept for children, no effect on this object.
    pub inherit_only: bool,
    pub mask: u32,
    /// An object ACE's ObjectType (lower-case GUID); `None`: every property and right.
    pub object_type: Option<String>,
    pub sid: String,
}

/// ACCESS_ALLOWED_ACE_TYPE and friends (MS-DTYP 2.4.4.1).
const ACCESS_ALLOWED: u8 = 0x00;
const ACCESS_DENIED: u8 = 0x01;
const ACCESS_ALLOWED_OBJECT: u8 = 0x05;
const ACCESS_DENIED_OBJECT: u8 = 0x06;
const INHERIT_ONLY_ACE: u8 = 0x08;
const ACE_OBJECT_TYPE_PRESENT: u32 = 0x1;
const ACE_INHERITED_OBJECT_TYPE_PRESENT: u32 = 0x2;

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes(
        bytes.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A GUID's text form from its binary (the first three fields little-endian).
pub fn guid_to_string(bytes: &[u8]) -> Option<String> {
    let b = bytes.get(..16)?;
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3],
        b[2],
        b[1],
        b[0],
        b[5],
        b[4],
        b[7],
        b[6],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    ))
}

/// The DACL of a self-relative SECURITY_DESCRIPTOR; `None` when it has none (the SD-flags
/// control did not ask for it, or the reader may not see it) or is malformed. ACE types other
/// than (object) allow and deny are skipped: they grant nothing.
pub fn dacl_of(descriptor: &[u8]) -> Option<Vec<Ace>> {
    let offset = usize::try_from(u32_at(descriptor, 16)?).ok()?;
    if offset == 0 {
        return None;
    }
    let acl = descriptor.get(offset..)?;
    let count = u16_at(acl, 4)?;
    let mut at = 8;
    let mut aces = Vec::with_capacity(count);
    for _ in 0..count {
        let ace = acl.get(at..)?;
        let (kind_byte, flags, size) = (*ace.first()?, *ace.get(1)?, u16_at(ace, 2)?);
        let ace = ace.get(..size)?;
        at += size;
        let kind = match kind_byte {
            ACCESS_ALLOWED | ACCESS_ALLOWED_OBJECT => AceKind::Allow,
            ACCESS_DENIED | ACCESS_DENIED_OBJECT => AceKind::Deny,
            _ => continue,
        };
        let mask = u32_at(ace, 4)?;
        let (object_type, sid_at) =
            if matches!(kind_byte, ACCESS_ALLOWED_OBJECT | ACCESS_DENIED_OBJECT) {
                let present = u32_at(ace, 8)?;
                let mut at = 12;
                let mut object_type = None;
                if present & ACE_OBJECT_TYPE_PRESENT != 0 {
                    object_type = Some(guid_to_string(ace.get(at..)?)?);
                    at += 16;
                }
                // InheritedObjectType only steers inheritance: an access check ignores it.
                if present & ACE_INHERITED_OBJECT_TYPE_PRESENT != 0 {
                    at += 16;
                }
                (object_type, at)
            } else {
                (None, 8)
            };
        let sid = ace.get(sid_at..)?;
        aces.push(Ace {
            kind,
            inherit_only: flags & INHERIT_ONLY_ACE != 0,
            mask,
            object_type,
            sid: sid_to_string(sid.get(..sid_length(sid)?)?)?,
        });
    }
    Some(aces)
}

/// What an object's security says of delegated rights: its DACL, `None` when not readable.
/// (Its owner is the account's, `Account::owner`, read from the same descriptor.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectSecurity {
    pub dacl: Option<Vec<Ace>>,
}

impl ObjectSecurity {
    /// From the value of `nTSecurityDescriptor`.
    pub fn new(descriptor: Option<&[u8]>) -> ObjectSecurity {
        ObjectSecurity {
            dacl: descriptor.and_then(dacl_of),
        }
    }
}

/// The RID: the last sub-authority of a SID in text form.
pub fn rid(sid: &str) -> Option<u32> {
    sid.rsplit('-').next()?.parse().ok()
}

/// The domain part of a domain account's SID (everything before the RID).
pub fn domain_of(sid: &str) -> Option<&str> {
    sid.rsplit_once('-').map(|(domain, _)| domain)
}

/// Whether `sid` is a group whose members may always reuse computer accounts: the domain's
/// Domain Admins (512) or Enterprise Admins (519), or BUILTIN\Administrators.
pub fn is_admin_group(sid: &str, domain_sid: &str) -> bool {
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

    /// A computer's descriptor as Samba stores it (owner and DACL, read with the SD-flags
    /// control), in OU=Workstations where helpdesk (RID 1180) holds Reset Password and
    /// spn-writer (RID 1181) the validated write to SPN (samba-testenv/seed).
    #[test]
    fn a_real_dacl_reads_as_samba_wrote_it() {
        let descriptor = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/security/workstation.sd"
        ))
        .unwrap();
        let owner = owner_of(&descriptor).unwrap();
        assert!(owner.ends_with("-512"), "{owner}");
        let dacl = dacl_of(&descriptor).unwrap();
        assert!(dacl.len() > 20, "{}", dacl.len());
        let reset = dacl
            .iter()
            .find(|ace| ace.sid.ends_with("-1180"))
            .expect("helpdesk's ACE");
        assert_eq!(reset.kind, AceKind::Allow);
        assert_eq!(reset.mask, 0x100);
        assert_eq!(
            reset.object_type.as_deref(),
            Some("00299570-246d-11d0-a768-00aa006e0529")
        );
        assert!(!reset.inherit_only);
        let spn = dacl.iter().find(|ace| ace.sid.ends_with("-1181")).unwrap();
        assert_eq!(spn.mask, 0x08);
        assert_eq!(
            spn.object_type.as_deref(),
            Some("f3a64788-5306-11d1-a9c5-0000f80367c1")
        );
        // Inherit-only ACEs (for child objects of other classes) are kept and marked.
        assert!(dacl.iter().any(|ace| ace.inherit_only));
        // A truncated descriptor is no DACL, not a panic.
        for cut in [0, 17, 40, descriptor.len() - 1] {
            let _ = dacl_of(&descriptor[..cut]);
        }
    }
}
