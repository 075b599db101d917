//! Service principal names (docs/reference.md, "SPN rules"): parsing `class/host[:port][/name]`, validity,
//! and the `sPNMappings` aliases under which `cifs/x`, `http/x`, … mean `HOST/x`. Aliases are
//! resolved as the DC resolves them (Samba's samldb.c, Windows alike): the first mapping that
//! names a class decides it, and aliases link only to their target, never to each other.

use hashbrown::HashMap;

use super::text;

/// DN (below the configuration NC) of the object whose `sPNMappings` lists the aliases.
pub const DIRECTORY_SERVICE_RDNS: &str = "CN=Directory Service,CN=Windows NT,CN=Services";

/// Windows' default `sPNMappings` value (also what Samba provisions).
const WINDOWS_DEFAULT_MAPPINGS: &str = "host=alerter,appmgmt,cisvc,clipsrv,browser,dhcp,\
dnscache,replicator,eventlog,eventsystem,policyagent,oakley,dmserver,dns,mcsvc,fax,msiserver,ias,\
messenger,netlogon,netman,netdde,netddedsm,nmagent,plugplay,protectedstorage,rasman,rpclocator,\
rpc,rpcss,remoteaccess,rsvp,samss,scardsvr,scesrv,seclogon,scm,dcom,cifs,spooler,snmp,schedule,\
tapisrv,trksvr,trkwks,ups,time,wins,www,http,w3svc,iisadmin,msdtc";

/// An SPN split into its parts, borrowing from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spn<'a> {
    pub class: &'a str,
    pub host: &'a str,
    pub port: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl<'a> Spn<'a> {
    /// `None` when there is no `class/host`.
    pub fn parse(text: &'a str) -> Option<Spn<'a>> {
        let (class, rest) = split_at_byte(text, b'/')?;
        let (host_port, name) = match split_at_byte(rest, b'/') {
            Some((host_port, name)) => (host_port, Some(name)),
            None => (rest, None),
        };
        let (host, port) = match host_port.bytes().rposition(|b| b == b':') {
            Some(colon) => (&host_port[..colon], Some(&host_port[colon + 1..])),
            None => (host_port, None),
        };
        if class.is_empty() || host.is_empty() {
            return None;
        }
        Some(Spn {
            class,
            host,
            port,
            name,
        })
    }

    /// The host without a trailing root dot.
    pub fn bare_host(&self) -> &'a str {
        self.host.strip_suffix('.').unwrap_or(self.host)
    }

    /// The host's first DNS label.
    pub fn first_label(&self) -> &'a str {
        self.bare_host().split('.').next().unwrap_or("")
    }

    /// The same class, port and name on another host.
    pub fn on_host(&self, host: &str) -> String {
        let mut text = format!("{}/{host}", self.class);
        if let Some(port) = self.port {
            text.push(':');
            text.push_str(port);
        }
        if let Some(name) = self.name {
            text.push('/');
            text.push_str(name);
        }
        text
    }
}

/// Whether two host names are the same, as the directory compares them, ignoring a trailing dot.
pub fn same_host(a: &str, b: &str) -> bool {
    fn bare(host: &str) -> &str {
        host.strip_suffix('.').unwrap_or(host)
    }
    text::same(bare(a), bare(b))
}

/// Why a name cannot be the host of an SPN we build, or `None` when it can: DNS host names
/// (RFC 1123 labels: letters, digits, `-`, `_` as AD allows in NetBIOS names, at most 63
/// characters a label, 255 in all) and nothing else — no controls, spaces or escapes.
pub fn invalid_host(host: &str) -> Option<String> {
    if plainly_valid(host.as_bytes()) {
        return None;
    }
    if host.is_empty() {
        return Some("it is empty".into());
    }
    if host.len() > 255 {
        return Some("it is longer than 255 characters".into());
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
    {
        return Some(if bad.is_control() {
            format!("it holds the control character U+{:04X}", u32::from(bad))
        } else {
            format!("it holds {bad:?}, which a host name cannot")
        });
    }
    let bare = host.strip_suffix('.').unwrap_or(host);
    if bare
        .split('.')
        .any(|label| label.is_empty() || label.len() > 63)
    {
        return Some("it has an empty or over-long label".into());
    }
    if bare.starts_with('-')
        || bare
            .split('.')
            .any(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return Some("a label starts or ends with '-'".into());
    }
    None
}

/// Why `text` is not an SPN adcomputer may write, or `None` when it is: `class/host[:port][/name]`
/// where the class is 1 to 64 ASCII letters, digits, `-`, `_` or `.`; the host a valid host name
/// (`invalid_host`); the port a number from 1 to 65535 or an instance name (SQL Server's
/// `MSSQLSvc/host:INSTANCE`: letters, digits, `_`, `-`, `$`, at most 32); the service name a
/// host name or domain name of ASCII letters, digits, `-`, `_` and `.`. Nothing else: no
/// controls, spaces or escapes in any part.
pub fn invalid_spn(text: &str) -> Option<String> {
    let Some(spn) = Spn::parse(text) else {
        return Some("it is not of the form class/host".into());
    };
    let word = |part: &str, extra: &[char], longest: usize| {
        !part.is_empty()
            && part.len() <= longest
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    };
    if !word(spn.class, &['-', '_', '.'], 64) {
        return Some(format!(
            "its service class {:?} is not a plain name",
            spn.class
        ));
    }
    if let Some(why) = invalid_host(spn.host) {
        return Some(format!("its host is not a valid host name: {why}"));
    }
    if let Some(port) = spn.port {
        let number = port.bytes().all(|b| b.is_ascii_digit());
        let valid = if number {
            port.parse::<u32>()
                .is_ok_and(|port| (1..=65535).contains(&port))
        } else {
            word(port, &['_', '-', '$'], 32)
        };
        if !valid {
            return Some(format!(
                "its port {port:?} is neither a port number nor an instance name"
            ));
        }
    }
    if let Some(name) = spn.name
        && !word(name, &['-', '_', '.'], 255)
    {
        return Some(format!(
            "its service name {name:?} is not a plain host or domain name"
        ));
    }
    None
}

/// The common case in one pass over the bytes: ASCII letters, digits, `-` and `_` in labels of
/// 1 to 63 characters that neither start nor end with `-`, an optional root dot, at most 255
/// bytes. Anything else goes the slow way, which says why.
fn plainly_valid(host: &[u8]) -> bool {
    let bare = host.strip_suffix(b".").unwrap_or(host);
    if bare.is_empty() || host.len() > 255 {
        return false;
    }
    let (mut label, mut previous) = (0usize, b'.');
    for &byte in bare {
        match byte {
            b'.' if label > 0 && previous != b'-' => label = 0,
            b'-' if label > 0 => label += 1,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => label += 1,
            _ => return false,
        }
        if label > 63 {
            return false;
        }
        previous = byte;
    }
    label > 0 && previous != b'-'
}

/// How a class resolves in the `sPNMappings`, as the DC reads them: the first value naming it
/// decides whether it is a target (with that value's aliases) or an alias of that value's target.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolution {
    /// Its aliases, folded.
    Target(Vec<String>),
    /// Its target, folded.
    Alias(String),
}

/// The part a class plays in one alias group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassRole {
    /// Not in any group (most classes).
    Plain,
    /// The group's target (`host`).
    Target,
    /// An alias in the group (`cifs`).
    Alias,
}

/// The forest's `sPNMappings`: which service classes are aliases of which.
///
/// Two SPNs with the same host part collide when the DC refuses one beside the other: the DC
/// checks a target's aliases (`host/x` is refused while another object holds `cifs/x`) and an
/// alias's target (`cifs/x` beside `host/x`, refused unless the writer may change that other
/// object). Each class therefore belongs to alias groups — named by their target, with the
/// class's role in each — and SPNs collide when one is the target and the other an alias in a
/// group they share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpnAliases {
    /// Folded class → the groups it belongs to, (target, role), its primary group first.
    groups: HashMap<String, Vec<(String, ClassRole)>>,
}

impl Default for SpnAliases {
    fn default() -> Self {
        SpnAliases::from_mappings([WINDOWS_DEFAULT_MAPPINGS])
    }
}

impl SpnAliases {
    /// Reads `sPNMappings` values (`target=alias1,alias2,…`) in their order.
    pub fn from_mappings<'a>(values: impl IntoIterator<Item = &'a str>) -> SpnAliases {
        let mut resolutions: HashMap<String, Resolution> = HashMap::new();
        for value in values {
            let Some((target, aliases)) = value.split_once('=') else {
                continue;
            };
            let target = text::fold(target);
            let aliases: Vec<String> = aliases
                .split(',')
                .map(text::fold)
                .filter(|alias| !alias.is_empty() && *alias != target)
                .collect();
            resolutions
                .entry(target.clone())
                .or_insert_with(|| Resolution::Target(aliases.clone()));
            for alias in aliases {
                resolutions
                    .entry(alias)
                    .or_insert_with(|| Resolution::Alias(target.clone()));
            }
        }
        let mut groups: HashMap<String, Vec<(String, ClassRole)>> = HashMap::new();
        let mut join = |class: &str, target: &str, role: ClassRole| {
            let list = groups.entry(class.to_string()).or_default();
            if !list.iter().any(|(known, r)| known == target && *r == role) {
                list.push((target.to_string(), role));
            }
        };
        // Primary groups first: an alias's target's group, else the class's own.
        for (class, resolution) in &resolutions {
            match resolution {
                Resolution::Alias(target) => join(class, target, ClassRole::Alias),
                Resolution::Target(_) => join(class, class, ClassRole::Target),
            }
        }
        for (class, resolution) in &resolutions {
            match resolution {
                Resolution::Alias(target) => join(target, target, ClassRole::Target),
                Resolution::Target(aliases) => {
                    for alias in aliases {
                        join(alias, class, ClassRole::Alias);
                    }
                }
            }
        }
        SpnAliases { groups }
    }

    /// Hands each of the SPN's group keys (its folded form with the class replaced by the
    /// group's target) to `each` with the class's role there; an SPN outside every group has one
    /// key, itself folded, `Plain`. `key` is the buffer they are written in (cleared first):
    /// hot loops reuse it, and nothing is allocated once it is large enough.
    pub fn group_keys(&self, spn: &str, key: &mut String, mut each: impl FnMut(&str, ClassRole)) {
        key.clear();
        text::fold_into(spn, key);
        let groups = memchr::memchr(b'/', key.as_bytes())
            .and_then(|slash| Some((slash, self.groups.get(&key[..slash])?)));
        let Some((slash, groups)) = groups else {
            each(key, ClassRole::Plain);
            return;
        };
        // Each target in turn replaces the class (or the target before it) in place.
        let mut class_end = slash;
        for (target, role) in groups {
            key.replace_range(..class_end, target);
            class_end = target.len();
            each(key, *role);
        }
    }

    /// Every SPN that would collide with `spn` on another object, in either order: the forms
    /// of each group it belongs to, for a search.
    pub fn colliding_forms(&self, spn: &str) -> Vec<String> {
        let mut forms = vec![spn.to_string()];
        let Some((class, tail)) = split_at_byte(spn, b'/') else {
            return forms;
        };
        let Some(groups) = self.groups.get(&text::fold(class)) else {
            return forms;
        };
        for (target, role) in groups {
            for (other, other_groups) in &self.groups {
                let opposite = other_groups.iter().any(|(t, r)| t == target && *r != *role);
                if opposite {
                    forms.push(format!("{other}/{tail}"));
                }
            }
        }
        forms.sort();
        forms.dedup();
        forms
    }

    /// Whether `spn` and `held`, on two objects, collide: the same SPN, or a target and an
    /// alias of one group.
    pub fn collide(&self, spn: &str, held: &str) -> bool {
        if text::fold(spn) == text::fold(held) {
            return true;
        }
        let mut scratch = String::new();
        let mut mine: Vec<(String, ClassRole)> = Vec::new();
        self.group_keys(spn, &mut scratch, |key, role| {
            mine.push((key.to_string(), role))
        });
        let mut collide = false;
        self.group_keys(held, &mut scratch, |key, role| {
            collide |= mine.iter().any(|(k, r)| {
                k == key
                    && matches!(
                        (r, role),
                        (ClassRole::Target, ClassRole::Alias)
                            | (ClassRole::Alias, ClassRole::Target)
                    )
            });
        });
        collide
    }
}

/// `text` split around the first `byte` (an ASCII separator), without it.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let spn = Spn::parse("MSSQLSvc/sql01.corp.example.com:1433").unwrap();
        assert_eq!(
            (spn.class, spn.host, spn.port, spn.name),
            ("MSSQLSvc", "sql01.corp.example.com", Some("1433"), None)
        );
        let spn = Spn::parse("ldap/dc1.corp.example.com/ForestDnsZones.corp.example.com").unwrap();
        assert_eq!(spn.host, "dc1.corp.example.com");
        assert_eq!(spn.name, Some("ForestDnsZones.corp.example.com"));
        let spn = Spn::parse("HTTP/web.example.com:8443/app").unwrap();
        assert_eq!((spn.port, spn.name), (Some("8443"), Some("app")));
        assert_eq!(
            spn.on_host("web.new.example"),
            "HTTP/web.new.example:8443/app"
        );
        for bad in ["", "HOST", "HOST/", "/host"] {
            assert_eq!(Spn::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn hosts_compare_as_the_directory_does() {
        let spn = Spn::parse("HOST/PC01.Corp.Example.com.").unwrap();
        assert_eq!(spn.first_label(), "PC01");
        assert!(same_host(spn.host, "pc01.corp.example.com"));
        assert!(same_host("BÜRO-PC", "büro-pc"));
        assert_eq!(Spn::parse("HOST/10.0.0.5").unwrap().first_label(), "10");
    }

    fn keys(aliases: &SpnAliases, spn: &str) -> Vec<(String, ClassRole)> {
        let mut found = Vec::new();
        aliases.group_keys(spn, &mut String::new(), |key, role| {
            found.push((key.to_string(), role));
        });
        found
    }

    #[test]
    fn group_keys_fold_case_spaces_and_aliases() {
        let aliases = SpnAliases::default();
        assert_eq!(
            keys(&aliases, "CIFS/Files.Example.COM"),
            [("HOST/FILES.EXAMPLE.COM".into(), ClassRole::Alias)]
        );
        assert_eq!(
            keys(&aliases, "host/files.example.com "),
            [("HOST/FILES.EXAMPLE.COM".into(), ClassRole::Target)]
        );
        assert_eq!(
            keys(&aliases, "MSSQLSvc/SQL01:1433"),
            [("MSSQLSVC/SQL01:1433".into(), ClassRole::Plain)]
        );
        assert_eq!(
            keys(&aliases, "NoSlash"),
            [("NOSLASH".into(), ClassRole::Plain)]
        );
    }

    #[test]
    fn aliases_collide_with_their_target_only() {
        let aliases = SpnAliases::default();
        assert!(aliases.collide("cifs/x", "HOST/x"));
        assert!(aliases.collide("host/X", "http/x"));
        assert!(aliases.collide("HOST/x ", "host/x"));
        assert!(
            !aliases.collide("cifs/web.x", "http/web.x"),
            "two aliases never collide"
        );
        assert!(aliases.collide("cifs/web.x", "CIFS/web.x"));
        assert!(!aliases.collide("HOST/x:80", "HOST/x"));
        assert!(!aliases.collide("HOST/x.", "HOST/x"));
    }

    #[test]
    fn the_first_mapping_of_a_class_wins() {
        let aliases = SpnAliases::from_mappings(["host=cifs", "http=cifs,www"]);
        assert!(aliases.collide("cifs/x", "host/x"));
        assert_eq!(
            aliases.colliding_forms("cifs/x"),
            ["HOST/x", "HTTP/x", "cifs/x"]
        );
        // http lists cifs: the DC checks cifs/x before it adds http/x.
        assert!(aliases.collide("http/x", "cifs/x"));
        assert!(aliases.collide("www/x", "http/x"));
        assert!(!aliases.collide("www/x", "cifs/x"));
        let aliases = SpnAliases::from_mappings(["cifs=alerter", "host=cifs"]);
        assert_eq!(
            keys(&aliases, "cifs/x")[0],
            ("CIFS/X".into(), ClassRole::Target),
            "cifs is first a target"
        );
        assert!(aliases.collide("host/x", "cifs/x"), "host lists cifs");
        assert!(aliases.collide("alerter/x", "cifs/x"));
        assert!(!aliases.collide("alerter/x", "host/x"));
    }

    #[test]
    fn colliding_forms_cover_both_orders() {
        let aliases = SpnAliases::from_mappings(["host=cifs,http"]);
        assert_eq!(aliases.colliding_forms("cifs/x"), ["HOST/x", "cifs/x"]);
        assert_eq!(
            aliases.colliding_forms("HOST/x"),
            ["CIFS/x", "HOST/x", "HTTP/x"]
        );
    }

    #[test]
    fn only_plain_parts_make_spns_we_write() {
        for good in [
            "HOST/pc01",
            "RestrictedKrbHost/pc01.adc.test",
            "MSSQLSvc/sql01.adc.test:1433",
            "MSSQLSvc/sql01.adc.test:SQLEXPRESS",
            "ldap/dc1.adc.test/ForestDnsZones.adc.test",
            "E3514235-4B06-11D1-AB04-00C04FC2DCD2/guid/adc.test",
        ] {
            assert_eq!(invalid_spn(good), None, "{good}");
        }
        for bad in [
            "HTTP\u{1b}[31m/pc.adc.test",
            "HOST/pc.adc.test/\u{1b}]0;x\u{7}",
            "HOST/pc.adc.test:99999",
            "HOST/pc.adc.test:0",
            "HOST/pc adc",
            "=cmd/pc",
            "HOST/pc/a b",
            "HOST",
            "HOST/pc:ins\u{200b}t",
        ] {
            assert!(invalid_spn(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn only_host_names_make_spns() {
        assert_eq!(invalid_host("pc01.corp.example.com"), None);
        assert_eq!(invalid_host("PC_01"), None);
        for bad in [
            "ansi01\u{1b}]0;PWNED\u{7}",
            "a b",
            "",
            "x..y",
            "-x",
            "a/b",
            "=cmd",
        ] {
            assert!(invalid_host(bad).is_some(), "{bad:?}");
        }
        assert!(invalid_host("a\u{7}").unwrap().contains("U+0007"));
    }
}
