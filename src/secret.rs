//! `Secret`: a password held in memory that never prints (Debug shows `<redacted>`, no Display),
//! and where passwords may come from: `ADCOMPUTER_PASSWORD`, a password file, or a no-echo prompt.

use std::io::IsTerminal;
use std::path::Path;

/// A password. It has no `Display`, and `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Refuses the empty password: a simple bind with it is an anonymous bind.
    pub(crate) fn new(password: String) -> anyhow::Result<Secret> {
        anyhow::ensure!(
            !password.is_empty(),
            "empty password: refusing what would be an anonymous bind"
        );
        Ok(Secret(password))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the bind password comes from, in order of precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PasswordSource {
    File(std::path::PathBuf),
    Environment(Secret),
    Prompt,
}

impl PasswordSource {
    pub(crate) fn read(&self, bind_dn: &str) -> anyhow::Result<Secret> {
        match self {
            PasswordSource::File(path) => read_password_file(path),
            PasswordSource::Environment(secret) => Ok(secret.clone()),
            PasswordSource::Prompt => {
                anyhow::ensure!(
                    std::io::stdin().is_terminal(),
                    "no password: set ADCOMPUTER_PASSWORD or --password-file (no terminal to ask on)"
                );
                let password =
                    crate::interact::read_password(&format!("Password for {bind_dn}: "))?;
                Secret::new(password)
            }
        }
    }
}

/// The file's first line, without its line end; refused when others may read the file.
fn read_password_file(path: &Path) -> anyhow::Result<Secret> {
    crate::files::check_password_file(path)?;
    let text = crate::files::read_text(path, crate::files::SETTINGS_LIMIT, "password file")?;
    let first = text.lines().next().unwrap_or("");
    Secret::new(first.to_string())
        .map_err(|err| anyhow::anyhow!("password file {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let secret = Secret::new("hunter2".into()).unwrap();
        assert_eq!(format!("{secret:?}"), "<redacted>");
        let source = PasswordSource::Environment(secret);
        assert!(!format!("{source:?}").contains("hunter2"));
    }

    #[test]
    fn password_file_drops_the_line_end_and_refuses_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\r\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let secret = PasswordSource::File(path.clone()).read("x").unwrap();
        assert_eq!(secret.expose(), "s3cret");
        std::fs::write(&path, "\n").unwrap();
        let err = PasswordSource::File(path).read("x").unwrap_err();
        assert!(err.to_string().contains("empty password"), "{err}");
    }
}
