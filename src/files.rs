//! Files the user names (settings, password files, baselines, ignore lists, CA files): read
//! within a bound, so that `/dev/zero` is a one-line error and not a memory blow-up, and —
//! for the files that choose the DC or hold the password — trusted only when nobody but the
//! user or root could have written them, as ssh does with its configuration.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Context;

/// Reads at most `limit` bytes of `path`; a device, or a longer file, is refused.
pub(crate) fn read_bounded(path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let shown = path.display();
    let file =
        std::fs::File::open(path).with_context(|| format!("{what} {shown}: cannot open it"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("{what} {shown}: cannot read it"))?;
    let kind = meta.file_type();
    {
        use std::os::unix::fs::FileTypeExt;
        anyhow::ensure!(
            !kind.is_char_device() && !kind.is_block_device() && !kind.is_dir(),
            "{what} {shown}: not a regular file"
        );
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{what} {shown}: cannot read it"))?;
    anyhow::ensure!(
        bytes.len() as u64 <= limit,
        "{what} {shown}: larger than {} MiB",
        limit >> 20
    );
    Ok(bytes)
}

/// As `read_bounded`, as UTF-8 text (a byte order mark dropped).
pub(crate) fn read_text(path: &Path, limit: u64, what: &str) -> anyhow::Result<String> {
    let bytes = read_bounded(path, limit, what)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{what} {}: not UTF-8 text", path.display()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Refuses a password file that others may read or write (any group or "other" permission
/// bit), or that someone else owns or could replace (`files::check_trusted`).
pub(crate) fn check_password_file(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read password file {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        let who = match (mode & 0o044 != 0, mode & 0o022 != 0) {
            (true, true) => "readable and writable by others",
            (true, false) => "readable by others",
            _ => "writable by others",
        };
        anyhow::bail!(
            "password file {} is {who} (mode {:o}): chmod 600 it",
            path.display(),
            mode & 0o777
        );
    }
    check_trusted(path, "password file")
}

/// The largest settings or password file read.
pub(crate) const SETTINGS_LIMIT: u64 = 1 << 20;

/// Refuses a file that someone other than the user or root owns or may write, or whose
/// directory (or one above it) others may write without the sticky bit: they could put
/// another DC, CA or password there.
pub(crate) fn check_trusted(path: &Path, what: &str) -> anyhow::Result<()> {
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    let shown = path.display();
    let meta =
        std::fs::metadata(path).with_context(|| format!("{what} {shown}: cannot read it"))?;
    check_owner_and_mode(&meta, me, false)
        .map_err(|why| anyhow::anyhow!("{what} {shown} {why}: refused"))?;
    let full =
        std::fs::canonicalize(path).with_context(|| format!("{what} {shown}: cannot read it"))?;
    for directory in full.ancestors().skip(1) {
        let meta = std::fs::metadata(directory)
            .with_context(|| format!("{what} {shown}: cannot read {}", directory.display()))?;
        check_owner_and_mode(&meta, me, true).map_err(|why| {
            anyhow::anyhow!(
                "{what} {shown}: its directory {} {why}: refused",
                directory.display()
            )
        })?;
    }
    Ok(())
}

/// Why an object with `meta` is not trusted by user `me`, or `Ok`.
fn check_owner_and_mode(meta: &std::fs::Metadata, me: u32, directory: bool) -> Result<(), String> {
    let owner = meta.uid();
    if owner != me && owner != 0 {
        return Err(format!("is owned by another user (uid {owner})"));
    }
    let mode = meta.mode();
    let sticky = mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !(directory && sticky) {
        return Err(format!(
            "may be written by others (mode {:o})",
            mode & 0o7777
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn devices_and_long_files_are_refused_in_one_line() {
        let err = read_bounded(Path::new("/dev/zero"), 1 << 20, "--baseline").unwrap_err();
        assert_eq!(err.to_string(), "--baseline /dev/zero: not a regular file");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 2048]).unwrap();
        let err = read_bounded(&path, 1024, "--ignore").unwrap_err();
        assert!(err.to_string().ends_with("larger than 0 MiB"), "{err}");
        std::fs::write(&path, "\u{feff}id\n").unwrap();
        assert_eq!(read_text(&path, 1024, "--ignore").unwrap(), "id\n");
    }

    #[test]
    fn password_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            check_password_file(&file)
                .unwrap_err()
                .to_string()
                .contains("chmod 600")
        );
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(check_password_file(&file).is_ok());
    }

    #[test]
    fn files_others_may_write_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        check_trusted(&path, "config").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = check_trusted(&path, "config").unwrap_err().to_string();
        assert!(err.contains("may be written by others (mode 666)"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_trusted(&path, "config").unwrap_err().to_string();
        assert!(err.contains("its directory"), "{err}");
        // /tmp: world-writable with the sticky bit, so others cannot replace our file.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        check_trusted(&path, "config").unwrap();
    }
}
