//! The delegated rights adcomputer's writes need, as AD names and identifies them (MS-ADTS
//! 5.1.3.2: extended rights, validated writes, property writes), so that a refusal names the
//! right an admin would delegate in ADUC's Delegation of Control wizard.

/// A right on an object (or, for `UnexpirePassword`, on the domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// The extended right User-Force-Change-Password: set a password without knowing the old.
    ResetPassword,
    /// The extended right Unexpire-Password (on the domain object): keep `pwdLastSet` set.
    UnexpirePassword,
    /// The validated write Validated-SPN: SPNs on the computer's own names only.
    ValidatedSpn,
    /// Write Property on `servicePrincipalName`: any SPN.
    WriteSpn,
}

/// `servicePrincipalName`'s schemaIDGUID, which is also Validated-SPN's rightsGuid.
pub const SPN_ATTRIBUTE: &str = "f3a64788-5306-11d1-a9c5-0000f80367c1";
/// The Public-Information property set `servicePrincipalName` belongs to.
pub const PUBLIC_INFORMATION: &str = "e48d0154-bcf8-11d1-8702-00c04fb96050";

impl Right {
    /// The name ADUC shows.
    pub fn name(self) -> &'static str {
        match self {
            Right::ResetPassword => "Reset Password",
            Right::UnexpirePassword => "Unexpire Password",
            Right::ValidatedSpn => "Validated write to service principal name",
            Right::WriteSpn => "Write servicePrincipalName",
        }
    }

    /// The access mask bit an ACE grants it with (MS-ADTS 5.1.3.2).
    pub fn mask(self) -> u32 {
        match self {
            Right::ResetPassword | Right::UnexpirePassword => CONTROL_ACCESS,
            Right::ValidatedSpn => SELF_WRITE,
            Right::WriteSpn => WRITE_PROPERTY,
        }
    }

    /// The object types an object ACE must name to grant it (lower-case GUIDs).
    pub fn object_types(self) -> &'static [&'static str] {
        match self {
            Right::ResetPassword => &["00299570-246d-11d0-a768-00aa006e0529"],
            Right::UnexpirePassword => &["ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501"],
            Right::ValidatedSpn => &[SPN_ATTRIBUTE],
            Right::WriteSpn => &[SPN_ATTRIBUTE, PUBLIC_INFORMATION],
        }
    }
}

/// ADS_RIGHT_DS_CONTROL_ACCESS: extended rights.
const CONTROL_ACCESS: u32 = 0x100;
/// ADS_RIGHT_DS_SELF: validated writes.
const SELF_WRITE: u32 = 0x08;
/// ADS_RIGHT_DS_WRITE_PROP.
const WRITE_PROPERTY: u32 = 0x20;
