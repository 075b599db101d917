//! Files written whole or not at all: a report's `--output FILE`, a `--state` file. Each is
//! written to a temporary file beside FILE, synced, and renamed over FILE only when it is
//! whole; a failure or a signal (Ctrl-C, `kill`, a closed terminal) removes the temporary file,
//! so FILE is either the previous one or the new one, never empty or cut short.

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};

use anyhow::Context;

use crate::interact::FatalSignals;

/// The temporary file a signal handler must remove (null: none).
static PENDING: AtomicPtr<libc::c_char> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn remove_and_resend(signal: libc::c_int) {
    let path = PENDING.swap(std::ptr::null_mut(), Ordering::SeqCst);
    // SAFETY: unlink, signal and raise are async-signal-safe; `path` is a NUL-terminated
    // string leaked by `Pending::new` and not freed while published.
    unsafe {
        if !path.is_null() {
            libc::unlink(path);
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// The temporary file while it is being written: removed unless committed, also on a signal.
struct Pending {
    path: PathBuf,
    published: *mut libc::c_char,
    committed: bool,
    _signals: FatalSignals,
}

impl Pending {
    fn new(path: PathBuf) -> anyhow::Result<Pending> {
        let published = CString::new(path.as_os_str().as_bytes())
            .context("a path with a NUL byte")?
            .into_raw();
        PENDING.store(published, Ordering::SeqCst);
        Ok(Pending {
            path,
            published,
            committed: false,
            _signals: FatalSignals::catch(remove_and_resend),
        })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // Unpublish first, so that a signal now finds nothing to remove.
        let _ = PENDING.compare_exchange(
            self.published,
            std::ptr::null_mut(),
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        // SAFETY: made by `CString::into_raw` in `new`, no longer reachable from the handler.
        drop(unsafe { CString::from_raw(self.published) });
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `target` atomically with what `write` produces. An existing `target` keeps its
/// permissions; a new one gets the usual `0666` less the umask, as a shell redirection would.
/// Only regular files are replaced: a device, a FIFO or a socket (`/dev/null`, `/dev/stdout`,
/// a named pipe) is written to as a stream, and a symbolic link to a regular file keeps the
/// link and replaces the file it names.
pub(crate) fn write_atomically(
    target: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    write_file(target, "--output", None, write)
}

/// As `write_atomically`, readable and writable by its owner alone whether new or not: what
/// `what` (the option that names it) keeps of the directory is nobody else's to read or change.
pub(crate) fn write_private(
    target: &Path,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    write_file(target, what, Some(0o600), write)
}

/// Writes `target` atomically, with `mode` (`None`: an existing file's, else 0666 less the
/// umask); errors name `what`.
fn write_file(
    target: &Path,
    what: &str,
    mode: Option<u32>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let shown = target.display();
    if let Ok(meta) = std::fs::metadata(target)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(target)
            .with_context(|| format!("{what} {shown}: cannot open it"))?;
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
        return write(&mut buffered)
            .and_then(|()| buffered.flush())
            .with_context(|| format!("{what} {shown}: writing it failed"));
    }
    let linked;
    let target = match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            linked = std::fs::canonicalize(target)
                .with_context(|| format!("{what} {shown}: a link to nowhere"))?;
            linked.as_path()
        }
        _ => target,
    };
    let name = target
        .file_name()
        .with_context(|| format!("{what} {shown}: not a file name"))?;
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mode = match (std::fs::metadata(target), mode) {
        (Ok(meta), _) if meta.is_dir() => anyhow::bail!("{what} {shown}: is a directory"),
        (_, Some(mode)) => mode,
        (Ok(meta), None) => meta.permissions().mode() & 0o7777,
        (Err(_), None) => 0o666,
    };
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(
        ".{}-{:08x}.tmp",
        std::process::id(),
        crate::random::u32()
    ));
    let temporary = directory.join(temporary_name);
    let mut pending = Pending::new(temporary.clone())?;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary)
        .with_context(|| {
            format!(
                "{what} {shown}: cannot create a file in {}",
                directory.display()
            )
        })?;
    // `mode` is subject to the umask on creation; an existing file's mode is kept exactly.
    if mode != 0o666 {
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, file);
    let file = write(&mut buffered)
        .and_then(|()| {
            buffered
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)
        })
        .with_context(|| format!("{what} {shown}: writing it failed"))?;
    file.sync_all()
        .with_context(|| format!("{what} {shown}: writing it failed"))?;
    std::fs::rename(&temporary, target)
        .with_context(|| format!("{what} {shown}: cannot put it in place"))?;
    pending.committed = true;
    // The rename itself survives a crash once the directory is synced.
    if let Ok(dir) = std::fs::File::open(directory) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        write_atomically(&target, |out| out.write_all(b"first")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "first");
        let err = write_atomically(&target, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("the DC went away"))
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("the DC went away"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "first");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn an_existing_file_keeps_its_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.prom");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&target, |out| out.write_all(b"new")).unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert!(write_atomically(dir.path(), |_| Ok(())).is_err());
    }

    #[test]
    fn devices_and_pipes_are_streams_and_links_stay_links() {
        write_atomically(Path::new("/dev/null"), |out| out.write_all(b"gone")).unwrap();
        let meta = std::fs::metadata("/dev/null").unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(
            meta.file_type().is_char_device(),
            "/dev/null is still a device"
        );
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, |out| out.write_all(b"new")).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        let fifo = dir.path().join("fifo");
        let name = CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a NUL-terminated path; mkfifo touches nothing else.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let reader = std::thread::spawn({
            let fifo = fifo.clone();
            move || std::fs::read_to_string(fifo).unwrap()
        });
        write_atomically(&fifo, |out| out.write_all(b"streamed")).unwrap();
        assert_eq!(reader.join().unwrap(), "streamed");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}
