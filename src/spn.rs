//! Service principal names (SPEC §5): parsing `class/host[:port][/name]`, case-insensitive
//! comparison, and the `sPNMappings` aliases under which `cifs/x`, `http/x`, … mean `HOST/x`.

use hashbrown::HashMap;

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

/// Whether two host names are the same, ignoring case and a trailing dot.
pub fn same_host(a: &str, b: &str) -> bool {
    fn bare(host: &str) -> &str {
        host.strip_suffix('.').unwrap_or(host)
    }
    bare(a).eq_ignore_ascii_case(bare(b))
}

/// Service classes that are aliases of another (`cifs` → `host`), all lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpnAliases {
    targets: HashMap<String, String>,
}

impl Default for SpnAliases {
    fn default() -> Self {
        SpnAliases::from_mappings([WINDOWS_DEFAULT_MAPPINGS])
    }
}

impl SpnAliases {
    /// Reads `sPNMappings` values: `target=alias1,alias2,…`, one target a value.
    pub fn from_mappings<'a>(values: impl IntoIterator<Item = &'a str>) -> SpnAliases {
        let mut targets = HashMap::new();
        for value in values {
            let Some((target, aliases)) = value.split_once('=') else {
                continue;
            };
            let target = target.trim().to_ascii_lowercase();
            for alias in aliases.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                targets.insert(alias.to_ascii_lowercase(), target.clone());
            }
        }
        SpnAliases { targets }
    }

    /// The duplicate key of an SPN: lower case, its class replaced by the alias target.
    /// Writes into `key` (cleared first) so hot loops reuse one buffer.
    pub fn key_into(&self, spn: &str, key: &mut String) {
        key.clear();
        let (class, rest) = match split_at_byte(spn, b'/') {
            Some((class, rest)) => (class, Some(rest)),
            None => (spn, None),
        };
        push_lowercase(key, class);
        if let Some(target) = self.targets.get(key.as_str()) {
            key.clear();
            key.push_str(target);
        }
        if let Some(rest) = rest {
            key.push('/');
            push_lowercase(key, rest);
        }
    }

    /// Every spelling of `spn`'s class that means the same service: the alias target and all
    /// its aliases (`HOST/x` → `HOST/x`, `cifs/x`, `http/x`, …), for a directory search.
    pub fn variants(&self, spn: &str) -> Vec<String> {
        let Some((class, rest)) = split_at_byte(spn, b'/') else {
            return vec![spn.to_string()];
        };
        let lower = class.to_ascii_lowercase();
        let target = self.targets.get(&lower).cloned().unwrap_or(lower);
        let mut variants = vec![format!("{target}/{rest}")];
        variants.extend(
            self.targets
                .iter()
                .filter(|(_, to)| **to == target)
                .map(|(alias, _)| format!("{alias}/{rest}")),
        );
        variants.sort();
        variants
    }

    pub fn key(&self, spn: &str) -> String {
        let mut key = String::new();
        self.key_into(spn, &mut key);
        key
    }
}

/// `text` split around the first `byte` (an ASCII separator), without it.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

/// Appends `text` lower-cased (an ASCII fast path; full Unicode folding otherwise).
fn push_lowercase(out: &mut String, text: &str) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
    } else {
        out.extend(text.chars().flat_map(char::to_lowercase));
    }
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
    fn hosts_compare_without_case_or_trailing_dot() {
        let spn = Spn::parse("HOST/PC01.Corp.Example.com.").unwrap();
        assert_eq!(spn.first_label(), "PC01");
        assert!(same_host(spn.host, "pc01.corp.example.com"));
        assert_eq!(Spn::parse("HOST/10.0.0.5").unwrap().first_label(), "10");
    }

    #[test]
    fn keys_fold_case_and_aliases() {
        let aliases = SpnAliases::default();
        assert_eq!(
            aliases.key("CIFS/Files.Example.COM"),
            "host/files.example.com"
        );
        assert_eq!(
            aliases.key("host/files.example.com"),
            "host/files.example.com"
        );
        assert_eq!(aliases.key("MSSQLSvc/SQL01:1433"), "mssqlsvc/sql01:1433");
        assert_eq!(aliases.key("HTTP/intranet"), "host/intranet");
        assert_eq!(aliases.key("HOST/PÄC.example"), "host/päc.example");
        assert_eq!(aliases.key("NoSlash"), "noslash");
    }

    #[test]
    fn variants_cover_every_alias() {
        let aliases = SpnAliases::from_mappings(["host=cifs,http"]);
        assert_eq!(
            aliases.variants("CIFS/x.test"),
            ["cifs/x.test", "host/x.test", "http/x.test"]
        );
        assert_eq!(aliases.variants("MSSQLSvc/x:1433"), ["mssqlsvc/x:1433"]);
    }

    #[test]
    fn custom_mappings_replace_the_default() {
        let aliases = SpnAliases::from_mappings(["host=cifs", "http=www, w3svc"]);
        assert_eq!(aliases.key("www/x"), "http/x");
        assert_eq!(aliases.key("spooler/x"), "spooler/x");
        assert_eq!(aliases.key("cifs/x"), "host/x");
    }
}
