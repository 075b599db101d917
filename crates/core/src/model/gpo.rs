//! Group Policy as the directory and SYSVOL hold it: a container's `gPLink` (the GPOs linked to
//! it, each link disabled or enforced) and `gPOptions` (blocked inheritance), a
//! `groupPolicyContainer` (name, GUID, `flags`, version, path in SYSVOL), and the three Netlogon
//! options of a GPO's `GptTmpl.inf` that govern machine-password rotation. Pure: parsing only.

use crate::model::dn::same_dn;

/// A link in `gPLink`: `[LDAP://cn={GUID},cn=policies,cn=system,DC=…;OPTIONS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpLink {
    /// The GPO's DN, as the link names it.
    pub gpo_dn: String,
    /// Option 1: the link is disabled.
    pub disabled: bool,
    /// Option 2: the link is enforced ("No Override"): blocked inheritance does not stop it,
    /// and it wins over links below.
    pub enforced: bool,
}

/// Parses `gPLink`, in its own order: the first link has the lowest precedence (a new link is
/// put first), the last has link order 1. An entry that is not a link is an error.
pub fn parse_gplink(text: &str) -> Result<Vec<GpLink>, String> {
    let mut links = Vec::new();
    for entry in text.split(']') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let body = entry
            .strip_prefix('[')
            .and_then(|rest| {
                let prefix = rest.get(..7)?;
                prefix.eq_ignore_ascii_case("LDAP://").then(|| &rest[7..])
            })
            .ok_or_else(|| format!("not a GPO link: {entry:?}"))?;
        let (dn, options) = body
            .rsplit_once(';')
            .ok_or_else(|| format!("a link without options: {entry:?}"))?;
        let options: u32 = options
            .trim()
            .parse()
            .map_err(|_| format!("link options are not a number: {entry:?}"))?;
        links.push(GpLink {
            gpo_dn: dn.to_string(),
            disabled: options & 1 != 0,
            enforced: options & 2 != 0,
        });
    }
    Ok(links)
}

/// What a GPO's own entry carries that the rotation policy reads (besides its DN).
pub const GPO_ATTRIBUTES: [&str; 6] = [
    "cn",
    "displayName",
    "flags",
    "versionNumber",
    "whenChanged",
    "gPCFileSysPath",
];

/// What a container (domain head, OU) carries of Group Policy.
pub const CONTAINER_ATTRIBUTES: [&str; 2] = ["gPLink", "gPOptions"];

/// A GPO (`groupPolicyContainer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpo {
    pub dn: String,
    /// `{GUID}`, its `cn`.
    pub guid: String,
    pub name: Option<String>,
    /// `flags`: 1 user settings disabled, 2 computer settings disabled.
    pub flags: u32,
    pub version: Option<u32>,
    /// `whenChanged`, as the DC wrote it (generalized time).
    pub when_changed: Option<String>,
    /// `gPCFileSysPath`: `\\domain\sysvol\domain\Policies\{GUID}`.
    pub file_sys_path: Option<String>,
}

impl Gpo {
    /// A GPO from its entry's values (`value`: an attribute's first value, by name; live or
    /// from an export alike). Its GUID is its `cn`, else its DN's first RDN (the same text);
    /// absent `flags` are AD's default, 0 (every setting enabled). A `flags` or
    /// `versionNumber` that is not a number is an error naming it: never taken for 0.
    pub fn read(dn: &str, value: impl Fn(&str) -> Option<String>) -> Result<Gpo, String> {
        let number = |name: &str| -> Result<Option<u32>, String> {
            value(name)
                .map(|text| {
                    text.trim()
                        .parse()
                        .map_err(|_| format!("{dn}: {name} {text:?} is not a number"))
                })
                .transpose()
        };
        let guid = value("cn").or_else(|| {
            let first = dn.split(',').next()?;
            let (_, guid) = first.split_once('=')?;
            Some(guid.trim().to_string())
        });
        Ok(Gpo {
            dn: dn.to_string(),
            guid: guid.ok_or_else(|| format!("{dn}: no GUID (cn)"))?,
            name: value("displayName"),
            flags: number("flags")?.unwrap_or(0),
            version: number("versionNumber")?,
            when_changed: value("whenChanged"),
            file_sys_path: value("gPCFileSysPath"),
        })
    }

    /// Whether its computer settings apply at all.
    pub fn computer_settings_enabled(&self) -> bool {
        self.flags & 2 == 0
    }

    pub fn is(&self, dn: &str) -> bool {
        same_dn(&self.dn, dn)
    }

    /// How reports name it: its display name, else its GUID.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.guid)
    }

    /// The path of its `GptTmpl.inf` below the `sysvol` share, `\`-separated
    /// (`adc.test\Policies\{GUID}\Machine\…`), from `gPCFileSysPath`.
    pub fn template_path(&self) -> Option<String> {
        let path = self.file_sys_path.as_deref()?;
        let lower = path.to_ascii_lowercase();
        let at = lower.find("\\sysvol\\")? + "\\sysvol\\".len();
        Some(format!("{}\\{TEMPLATE}", path[at..].trim_end_matches('\\')))
    }
}

/// The file every GPO's folder holds: without it, the folder itself is missing or not the GPO's.
pub const GPT_INI: &str = "GPT.INI";

impl Gpo {
    /// The path of its `GPT.INI` below the `sysvol` share (see `template_path`).
    pub fn gpt_ini_path(&self) -> Option<String> {
        let template = self.template_path()?;
        let folder = template.strip_suffix(TEMPLATE)?;
        Some(format!("{folder}{GPT_INI}"))
    }
}

/// Where a GPO's security settings are, below its folder.
pub const TEMPLATE: &str = "Machine\\Microsoft\\Windows NT\\SecEdit\\GptTmpl.inf";

/// The largest `GptTmpl.inf` read (real ones are a few KiB).
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// The Netlogon options a GPO sets (`None`: it does not set that one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetlogonOptions {
    /// "Domain controller: Refuse machine account password changes".
    pub refuse_password_change: Option<bool>,
    /// "Domain member: Disable machine account password changes".
    pub disable_password_change: Option<bool>,
    /// "Domain member: Maximum machine account password age", in days.
    pub maximum_password_age: Option<u32>,
}

impl NetlogonOptions {
    pub fn is_empty(&self) -> bool {
        *self == NetlogonOptions::default()
    }
}

const NETLOGON: &str = "machine\\system\\currentcontrolset\\services\\netlogon\\parameters\\";

/// The Netlogon options of a `GptTmpl.inf`: UTF-16LE with a byte-order mark (as Windows and
/// Samba write it), else UTF-8 (with or without a BOM); lines of its `[Registry Values]`
/// section, `KEY=TYPE,VALUE`. Text that is neither encoding, or a value that is not a number,
/// is an error naming the line.
pub fn parse_template(bytes: &[u8]) -> Result<NetlogonOptions, String> {
    if bytes.len() > MAX_TEMPLATE_BYTES {
        return Err(format!(
            "{} bytes is too large for a GptTmpl.inf",
            bytes.len()
        ));
    }
    let text = decode(bytes)?;
    let mut options = NetlogonOptions::default();
    let mut in_registry = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_registry = line.eq_ignore_ascii_case("[Registry Values]");
            continue;
        }
        if !in_registry || line.is_empty() || line.starts_with(';') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let Some(name) = key.strip_prefix(NETLOGON) else {
            continue;
        };
        let number_of = || -> Result<u32, String> {
            let (_, data) = value.split_once(',').unwrap_or(("", value));
            data.trim()
                .trim_matches('"')
                .parse()
                .map_err(|_| format!("line {}: not a number: {line}", number + 1))
        };
        match name {
            "refusepasswordchange" => options.refuse_password_change = Some(number_of()? != 0),
            "disablepasswordchange" => options.disable_password_change = Some(number_of()? != 0),
            "maximumpasswordage" => options.maximum_password_age = Some(number_of()?),
            _ => {}
        }
    }
    Ok(options)
}

fn decode(bytes: &[u8]) -> Result<String, String> {
    if let Some(utf16) = bytes.strip_prefix(&[0xff, 0xfe]) {
        if utf16.len() % 2 != 0 {
            return Err("UTF-16 text of an odd length".into());
        }
        let units = utf16
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
        return char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| "not UTF-16 text".to_string());
    }
    let bytes = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes);
    String::from_utf8(bytes.to_vec())
        .map_err(|_| "neither UTF-16 with a byte-order mark nor UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn gplink_keeps_its_order_and_options() {
        let links = parse_gplink(
            "[LDAP://cn={A},cn=policies,cn=system,DC=x;0][LDAP://CN={B},CN=Policies,CN=System,DC=x;1][ldap://cn={C},cn=policies,cn=system,DC=x;2]",
        )
        .unwrap();
        assert_eq!(links.len(), 3);
        assert_eq!(links[0].gpo_dn, "cn={A},cn=policies,cn=system,DC=x");
        assert!(!links[0].disabled && !links[0].enforced);
        assert!(links[1].disabled && !links[1].enforced);
        assert!(links[2].enforced);
        assert_eq!(parse_gplink(" ").unwrap(), []);
        assert!(parse_gplink("[LDAP://cn={A};x]").is_err());
        assert!(parse_gplink("garbage").is_err());
    }

    #[test]
    fn templates_in_either_encoding_give_the_netlogon_options() {
        let text = "[Unicode]\r\nUnicode=yes\r\n[Registry Values]\r\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\RefusePasswordChange=4,1\r\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\MaximumPasswordAge=4,0\r\nMACHINE\\Software\\Other=4,1\r\n[Version]\r\nsignature=\"$CHICAGO$\"\r\n";
        let expected = NetlogonOptions {
            refuse_password_change: Some(true),
            disable_password_change: None,
            maximum_password_age: Some(0),
        };
        assert_eq!(parse_template(&utf16(text)).unwrap(), expected);
        assert_eq!(parse_template(text.as_bytes()).unwrap(), expected);
        let disable = "[Registry Values]\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\DisablePasswordChange=4,0\n";
        assert_eq!(
            parse_template(disable.as_bytes())
                .unwrap()
                .disable_password_change,
            Some(false)
        );
        let bad = "[Registry Values]\nMACHINE\\System\\CurrentControlSet\\Services\\Netlogon\\Parameters\\MaximumPasswordAge=4,lots\n";
        assert!(
            parse_template(bad.as_bytes())
                .unwrap_err()
                .contains("line 2")
        );
        assert!(parse_template(&[0xff, 0xfe, 0x41]).is_err(), "odd UTF-16");
        assert!(parse_template(&[0xc3, 0x28]).is_err(), "not UTF-8");
        assert!(parse_template(&vec![b' '; MAX_TEMPLATE_BYTES + 1]).is_err());
        assert!(parse_template(b"").unwrap().is_empty());
    }

    #[test]
    fn a_gpo_is_read_the_same_from_any_source_and_never_guessed() {
        let dn = "CN={A1},CN=Policies,CN=System,DC=x";
        let values = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let gpo = Gpo::read(dn, values(&[("displayName", "P"), ("flags", "2")])).unwrap();
        assert_eq!(
            (gpo.guid.as_str(), gpo.flags),
            ("{A1}", 2),
            "the GUID from the DN"
        );
        assert!(!gpo.computer_settings_enabled());
        let default = Gpo::read(dn, values(&[])).unwrap();
        assert!(default.computer_settings_enabled(), "absent flags: AD's 0");
        let bad = Gpo::read(dn, values(&[("flags", "lots")])).unwrap_err();
        assert!(bad.contains("flags"), "{bad}");
    }

    #[test]
    fn the_template_path_is_below_the_sysvol_share() {
        let gpo = Gpo {
            dn: "CN={A},CN=Policies,CN=System,DC=adc,DC=test".into(),
            guid: "{A}".into(),
            name: None,
            flags: 0,
            version: None,
            when_changed: None,
            file_sys_path: Some("\\\\adc.test\\SysVol\\adc.test\\Policies\\{A}".into()),
        };
        assert_eq!(
            gpo.template_path().unwrap(),
            "adc.test\\Policies\\{A}\\Machine\\Microsoft\\Windows NT\\SecEdit\\GptTmpl.inf"
        );
        assert_eq!(
            gpo.gpt_ini_path().unwrap(),
            "adc.test\\Policies\\{A}\\GPT.INI"
        );
    }
}
