//! OpenLDAP's client configuration (`ldap.conf(5)`) as the lowest layer of the connection
//! settings, so that a machine set up for `ldapsearch` needs nothing more: `URI`, `BASE`,
//! `TLS_CACERT` and (in a user's own files only, as OpenLDAP reads it) `BINDDN`, read in
//! OpenLDAP's order, a later one winning — the system file (`/etc/ldap/ldap.conf`, or
//! `/etc/openldap/ldap.conf`), `~/ldaprc`, `~/.ldaprc`, the file `$LDAPCONF`, `~/$LDAPRC` and
//! `~/.$LDAPRC`, then the variables `LDAPURI`, `LDAPBASE`, `LDAPBINDDN` and `LDAPTLS_CACERT`. `LDAPNOINIT` turns it all off. Unlike OpenLDAP, rc files in the current
//! directory are not read (a directory someone else can write to must not choose the DC that
//! receives the password), and no other option is used: `TLS_REQCERT` in particular never
//! weakens certificate checks.

use std::path::{Path, PathBuf};

/// The settings found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LdapConf {
    /// `URI`: one URL or a list, as `-H` takes it.
    pub(crate) uri: Option<String>,
    pub(crate) base: Option<String>,
    pub(crate) tls_cacert: Option<PathBuf>,
    /// `BINDDN`, from a user's rc file or `LDAPBINDDN` (never the system file).
    pub(crate) binddn: Option<String>,
}

/// The system-wide files, the first that exists being read (Debian's, then other systems').
const SYSTEM_FILES: [&str; 2] = ["/etc/ldap/ldap.conf", "/etc/openldap/ldap.conf"];

impl LdapConf {
    /// Reads the files and variables in OpenLDAP's order; `env` looks up variables and `read`
    /// reads a file (`None` when it is missing or unreadable: OpenLDAP skips those too; an
    /// error when it is there but others could have written it).
    pub(crate) fn load(
        env: &impl Fn(&str) -> Option<String>,
        read: &impl Fn(&Path) -> anyhow::Result<Option<String>>,
    ) -> anyhow::Result<LdapConf> {
        let mut conf = LdapConf::default();
        if env("LDAPNOINIT").is_some() {
            return Ok(conf);
        }
        for file in SYSTEM_FILES {
            if let Some(text) = read(Path::new(file))? {
                conf.apply(&text, false);
                break;
            }
        }
        let home = env("HOME").map(PathBuf::from);
        let user_files = |name: &str| -> Vec<PathBuf> {
            home.iter()
                .flat_map(|home| [home.join(name), home.join(format!(".{name}"))])
                .collect()
        };
        for file in user_files("ldaprc") {
            if let Some(text) = read(&file)? {
                conf.apply(&text, true);
            }
        }
        if let Some(file) = env("LDAPCONF")
            && let Some(text) = read(Path::new(&file))?
        {
            conf.apply(&text, false);
        }
        if let Some(name) = env("LDAPRC") {
            for file in user_files(&name) {
                if let Some(text) = read(&file)? {
                    conf.apply(&text, true);
                }
            }
        }
        if let Some(binddn) = env("LDAPBINDDN") {
            conf.binddn = Some(binddn);
        }
        if let Some(uri) = env("LDAPURI") {
            conf.uri = Some(uri);
        }
        if let Some(base) = env("LDAPBASE") {
            conf.base = Some(base);
        }
        if let Some(file) = env("LDAPTLS_CACERT") {
            conf.tls_cacert = Some(PathBuf::from(file));
        }
        Ok(conf)
    }

    /// Takes the options of one file: `KEYWORD value` lines, keywords in any case, `#`
    /// comment lines; `BINDDN` only from a user's own file (`user`), as ldap.conf(5) says.
    fn apply(&mut self, text: &str, user: bool) {
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((keyword, value)) = line.split_once(char::is_whitespace) else {
                continue;
            };
            let value = value.trim().to_string();
            match keyword.to_ascii_uppercase().as_str() {
                "URI" => self.uri = Some(value),
                "BASE" => self.base = Some(value),
                "TLS_CACERT" => self.tls_cacert = Some(PathBuf::from(value)),
                "BINDDN" if user => self.binddn = Some(value),
                _ => {}
            }
        }
    }
}

/// Reads a configuration file, `None` when it is missing or cannot be read; refused when
/// someone else could have written it (it chooses the DC that gets the password).
pub(crate) fn read_file(path: &Path) -> anyhow::Result<Option<String>> {
    if !path.exists() {
        return Ok(None);
    }
    crate::files::check_trusted(path, "OpenLDAP configuration")?;
    Ok(crate::files::read_text(path, crate::files::SETTINGS_LIMIT, "OpenLDAP configuration").ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(env: &[(&str, &str)], files: &[(&str, &str)]) -> LdapConf {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(k, v)| (PathBuf::from(k), v.to_string()))
            .collect();
        LdapConf::load(&|name| env.get(name).cloned(), &|path| {
            Ok(files.get(path).cloned())
        })
        .unwrap()
    }

    #[test]
    fn later_files_and_variables_win_as_in_openldap() {
        let system = "# Debian's default\nBASE dc=system\nURI ldaps://system-dc\nTLS_CACERT /etc/ssl/certs/ca-certificates.crt\nTLS_REQCERT never\n";
        let conf = load(
            &[("HOME", "/home/me")],
            &[
                ("/etc/ldap/ldap.conf", system),
                (
                    "/home/me/.ldaprc",
                    "uri   ldaps://dc1.corp ldaps://dc2.corp\n",
                ),
            ],
        );
        assert_eq!(
            conf.uri.as_deref(),
            Some("ldaps://dc1.corp ldaps://dc2.corp")
        );
        assert_eq!(conf.base.as_deref(), Some("dc=system"));
        assert_eq!(
            conf.tls_cacert,
            Some(PathBuf::from("/etc/ssl/certs/ca-certificates.crt"))
        );
        let conf = load(
            &[
                ("HOME", "/home/me"),
                ("LDAPCONF", "/srv/corp.conf"),
                ("LDAPRC", "corprc"),
                ("LDAPTLS_CACERT", "/env/ca.pem"),
            ],
            &[
                ("/etc/openldap/ldap.conf", system),
                ("/srv/corp.conf", "BASE dc=ldapconf\n"),
                ("/home/me/.corprc", "URI ldaps://rc-dc\n"),
            ],
        );
        assert_eq!(conf.uri.as_deref(), Some("ldaps://rc-dc"));
        assert_eq!(conf.base.as_deref(), Some("dc=ldapconf"));
        assert_eq!(conf.tls_cacert, Some(PathBuf::from("/env/ca.pem")));
    }

    #[test]
    fn binddn_comes_from_a_users_own_files_only() {
        let system = "BINDDN cn=system\n";
        let conf = load(&[("HOME", "/home/me")], &[("/etc/ldap/ldap.conf", system)]);
        assert_eq!(conf.binddn, None, "ldap.conf(5): user-only");
        let conf = load(
            &[("HOME", "/home/me")],
            &[
                ("/etc/ldap/ldap.conf", system),
                ("/home/me/.ldaprc", "BINDDN admin@CORP.EXAMPLE.COM\n"),
            ],
        );
        assert_eq!(conf.binddn.as_deref(), Some("admin@CORP.EXAMPLE.COM"));
        let conf = load(
            &[("HOME", "/home/me"), ("LDAPBINDDN", "env@CORP")],
            &[("/home/me/.ldaprc", "BINDDN admin@CORP\n")],
        );
        assert_eq!(conf.binddn.as_deref(), Some("env@CORP"));
    }

    #[test]
    fn ldapnoinit_turns_it_off() {
        let conf = load(
            &[("LDAPNOINIT", "1"), ("LDAPURI", "ldaps://x")],
            &[("/etc/ldap/ldap.conf", "URI ldaps://y\n")],
        );
        assert_eq!(conf, LdapConf::default());
    }
}
