//! Profiles: named domains in `$XDG_CONFIG_HOME/adcomputer/config.toml` (else
//! `~/.config/adcomputer/config.toml`), so a daily command needs no flags. Never a password:
//! only the path of a password file, which must not be readable by others.
//!
//! ```toml
//! default_profile = "corp"
//!
//! [profiles.corp]
//! url = "ldaps://dc1.corp.example.com"   # or: domain = "corp.example.com"
//! bind_dn = "admin@CORP.EXAMPLE.COM"
//! password_file = "/home/me/.config/adcomputer/corp.pass"
//! ca_cert = "/etc/ssl/corp-ca.pem"
//! base = "DC=corp,DC=example,DC=com"
//! kerberos = false
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// One profile's settings; each is overridden by the environment and the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    pub(crate) url: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) base: Option<String>,
    pub(crate) bind_dn: Option<String>,
    pub(crate) ca_cert: Option<PathBuf>,
    pub(crate) password_file: Option<PathBuf>,
    #[serde(default)]
    pub(crate) kerberos: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// The config file's path, from `XDG_CONFIG_HOME` or `HOME`.
pub(crate) fn config_path(env: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".config")))?;
    Some(base.join("adcomputer").join("config.toml"))
}

/// The profile `name`, or the file's `default_profile` when `name` is `None`. No file and no
/// name is no profile; a name that is not in the file is an error.
pub(crate) fn load(name: Option<&str>, path: Option<&Path>) -> anyhow::Result<Profile> {
    let read = |path: &Path| {
        crate::files::check_trusted(path, "config file")?;
        crate::files::read_text(path, crate::files::SETTINGS_LIMIT, "config file")
    };
    let text = match path.map(|path| (path, path.exists())) {
        Some((path, true)) => read(path)?,
        Some((_, false)) if name.is_none() => return Ok(Profile::default()),
        Some((path, false)) => bail!("cannot read {}: no such file", path.display()),
        None if name.is_none() => return Ok(Profile::default()),
        None => bail!(
            "profile {} asked for, but neither XDG_CONFIG_HOME nor HOME is set",
            name.unwrap_or_default()
        ),
    };
    let path = path.expect("read from it").display().to_string();
    if text.lines().any(|line| {
        line.trim_start().starts_with("password ") || line.trim_start().starts_with("password=")
    }) {
        bail!(
            "{path}: a password is never stored in the config file; use password_file (chmod 600)"
        );
    }
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|err| anyhow::anyhow!("{path}: {}", err.message()))
        .with_context(|| "bad config file".to_string())?;
    let Some(name) = name.map(str::to_string).or(file.default_profile) else {
        return Ok(Profile::default());
    };
    file.profiles
        .get(&name)
        .cloned()
        .with_context(|| format!("{path}: no profile named {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn named_and_default_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "default_profile = \"lab\"\n[profiles.lab]\nurl = \"ldaps://dc1.lab\"\n[profiles.corp]\ndomain = \"corp.test\"\nkerberos = true\n",
        );
        assert_eq!(
            load(None, Some(&path)).unwrap().url.as_deref(),
            Some("ldaps://dc1.lab")
        );
        let corp = load(Some("corp"), Some(&path)).unwrap();
        assert_eq!(corp.domain.as_deref(), Some("corp.test"));
        assert!(corp.kerberos);
        let err = load(Some("nope"), Some(&path)).unwrap_err();
        assert!(err.to_string().contains("no profile named nope"), "{err}");
    }

    #[test]
    fn no_file_means_no_profile_unless_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.toml");
        assert_eq!(load(None, Some(&missing)).unwrap(), Profile::default());
        let err = load(Some("corp"), Some(&missing)).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }

    #[test]
    fn passwords_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "[profiles.x]\npassword = \"hunter2\"\n");
        let err = load(Some("x"), Some(&path)).unwrap_err().to_string();
        assert!(
            err.contains("never stored") && !err.contains("hunter2"),
            "{err}"
        );
        let path = write(dir.path(), "[profiles.x]\nurll = \"typo\"\n");
        assert!(
            format!("{:#}", load(Some("x"), Some(&path)).unwrap_err()).contains("unknown field")
        );
    }

    #[test]
    fn config_path_follows_xdg() {
        let env = |name: &str| match name {
            "XDG_CONFIG_HOME" => Some("/xdg".to_string()),
            "HOME" => Some("/home/me".to_string()),
            _ => None,
        };
        assert_eq!(
            config_path(&env),
            Some(PathBuf::from("/xdg/adcomputer/config.toml"))
        );
        let home_only = |name: &str| (name == "HOME").then(|| "/home/me".to_string());
        assert_eq!(
            config_path(&home_only),
            Some(PathBuf::from("/home/me/.config/adcomputer/config.toml"))
        );
    }
}
