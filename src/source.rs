//! Where accounts come from: a live DC (one paged search) or an LDIF export (one streaming
//! read). Both hand out the same `Account` model, and the `sPNMappings` aliases where the source
//! has them; name filters narrow the live search and are applied by the same rule to LDIF, so
//! both sources answer identically.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::account::{ACCOUNT_ATTRIBUTES, Account, AccountBuilder, ModelError};
use crate::config::SourceSpec;
use crate::entry::Entry;
use crate::ldap::{Bind, DcAddress, Directory, LdapSettings};
use crate::ldif::{LdifError, LdifReader, RecordSink, Value};
use crate::names::{NameQuery, batch_filter};
use crate::report::Progress;
use crate::secret::Secret;
use crate::spn::{DIRECTORY_SERVICE_RDNS, SpnAliases};

/// Every computer, and every object of any class that holds an SPN (LDIF scans apply the same
/// rule: `Account::in_scan_scope`).
const SCAN_FILTER: &str = "(|(objectClass=computer)(servicePrincipalName=*))";

/// What a scan hands out. Accounts are lent: a worker keeps what it needs.
pub enum Scanned<'a> {
    Account(&'a Account),
    /// The forest's `sPNMappings` (live: before any account; LDIF: where the export has them).
    SpnAliases(SpnAliases),
}

/// A bound DC connection and what is needed to open another (the global catalog).
pub struct LiveSource {
    directory: Directory,
    base: String,
    settings: LdapSettings,
    /// The simple bind's password (`None` with Kerberos).
    secret: Option<Secret>,
}

pub enum Source {
    Live(Box<LiveSource>),
    Ldif { path: PathBuf, base: Option<String> },
}

impl Source {
    /// Opens the source: for a DC, connects, binds and reads the rootDSE.
    pub async fn open(spec: &SourceSpec, base: Option<&str>) -> anyhow::Result<Source> {
        match spec {
            SourceSpec::Ldif(path) => Ok(Source::Ldif {
                path: path.clone(),
                base: base.map(str::to_string),
            }),
            SourceSpec::Live(settings) => {
                let secret = match &settings.bind {
                    Bind::Simple { user, password } => Some(password.read(user)?),
                    Bind::Kerberos => None,
                };
                let directory = Directory::connect(settings, secret.as_ref()).await?;
                let base = base
                    .map(str::to_string)
                    .unwrap_or_else(|| directory.root_dse.default_naming_context.clone());
                Ok(Source::Live(Box::new(LiveSource {
                    directory,
                    base,
                    settings: settings.clone(),
                    secret,
                })))
            }
        }
    }

    /// How the DC was named: a URL, or a domain found through DNS.
    pub fn dc_address(&self) -> Option<&DcAddress> {
        match self {
            Source::Live(live) => Some(&live.settings.address),
            Source::Ldif { .. } => None,
        }
    }

    /// The DC connection, for commands that write.
    pub fn directory(&mut self) -> Option<&mut Directory> {
        match self {
            Source::Live(live) => Some(&mut live.directory),
            Source::Ldif { .. } => None,
        }
    }

    /// The size of an LDIF file in bytes (not known for a DC or standard input).
    pub fn size_hint(&self) -> Option<u64> {
        match self {
            Source::Ldif { path, .. } => std::fs::metadata(path).ok().map(|meta| meta.len()),
            Source::Live(_) => None,
        }
    }

    /// How reports name this source: the DC's URL, or `ldif:PATH`.
    pub fn describe(&self) -> String {
        match self {
            Source::Live(live) => live.directory.target().to_string(),
            Source::Ldif { path, .. } => format!("ldif:{}", path.display()),
        }
    }

    /// Every account that any of `names` could match (the candidates for `NameQuery::resolve`).
    pub async fn candidates(&mut self, names: &[NameQuery]) -> anyhow::Result<Vec<Account>> {
        let mut found = Vec::new();
        match self {
            Source::Live(live) => {
                let LiveSource {
                    directory, base, ..
                } = live.as_mut();
                search_accounts(directory, base, &batch_filter(names), |account| {
                    found.push(account.clone())
                })
                .await?;
            }
            Source::Ldif { path, base } => {
                let input = open_ldif(path)?;
                read_ldif_items(input, base.as_deref(), &mut |item| {
                    if let Scanned::Account(account) = item
                        && names.iter().any(|name| name.matches(account))
                    {
                        found.push(account.clone());
                    }
                })
                .with_context(|| path.display().to_string())?;
            }
        }
        Ok(found)
    }

    /// Streams every computer and every SPN holder in scope, with the SPN aliases, to
    /// workers made by `new_worker`: one for a DC or a small file, two for a large LDIF file
    /// (each parses and examines half of it on its own core). Returns the workers to merge.
    pub async fn scan<W: Send>(
        &mut self,
        new_worker: impl Fn() -> W + Sync,
        each: impl Fn(&mut W, Scanned<'_>) + Sync,
    ) -> anyhow::Result<Vec<W>> {
        let progress = Progress::new("reading accounts");
        let each = |worker: &mut W, item: Scanned<'_>| {
            progress.tick();
            each(worker, item);
        };
        let workers = match self {
            Source::Live(live) => {
                let LiveSource {
                    directory, base, ..
                } = live.as_mut();
                let mut worker = new_worker();
                if let Some(aliases) = read_spn_aliases(directory).await? {
                    each(&mut worker, Scanned::SpnAliases(aliases));
                }
                search_accounts(directory, base, SCAN_FILTER, |account| {
                    each(&mut worker, Scanned::Account(account))
                })
                .await?;
                vec![worker]
            }
            Source::Ldif { path, base } => {
                let in_scope = |worker: &mut W, item: Scanned<'_>| match item {
                    Scanned::Account(account) if !account.in_scan_scope() => {}
                    item => each(worker, item),
                };
                scan_ldif(path, base.as_deref(), &new_worker, &in_scope)?
            }
        };
        progress.finish();
        Ok(workers)
    }

    /// Streams every SPN holder of the forest from the global catalog (port 3269, or 3268 with
    /// StartTLS), on a second connection with the same credentials.
    pub async fn scan_global_catalog(
        &mut self,
        mut each: impl FnMut(&Account),
    ) -> anyhow::Result<()> {
        let Source::Live(live) = self else {
            anyhow::bail!("--forest needs a live DC (the global catalog), not an LDIF file");
        };
        let settings = global_catalog_settings(&live.settings, live.directory.target())?;
        let mut catalog = Directory::connect(&settings, live.secret.as_ref()).await?;
        let progress = Progress::new("reading the global catalog");
        search_accounts(&mut catalog, "", "(servicePrincipalName=*)", |account| {
            progress.tick();
            each(account)
        })
        .await?;
        progress.finish();
        catalog.close().await;
        Ok(())
    }

    pub async fn close(self) {
        if let Source::Live(live) = self {
            live.directory.close().await;
        }
    }
}

fn open_ldif(path: &Path) -> anyhow::Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(file))
}

/// Runs a paged search and hands out the accounts among the entries; the first unreadable
/// entry ends the run with its error.
async fn search_accounts(
    directory: &mut Directory,
    base: &str,
    filter: &str,
    mut each: impl FnMut(&Account),
) -> anyhow::Result<()> {
    let mut failure: Option<ModelError> = None;
    // One builder for the whole search: its strings are reused entry after entry.
    let mut builder = AccountBuilder::default();
    directory
        .search_each(base, filter, ACCOUNT_ATTRIBUTES, |entry| {
            if failure.is_some() {
                return;
            }
            match builder.read_entry(&entry) {
                Ok(Some(account)) => each(account),
                Ok(None) => {}
                Err(err) => failure = Some(err),
            }
        })
        .await?;
    failure.map_or(Ok(()), |err| Err(err.into()))
}

/// The forest's `sPNMappings`, or `None` when the DC does not let us read them.
async fn read_spn_aliases(directory: &mut Directory) -> anyhow::Result<Option<SpnAliases>> {
    let Some(configuration) = directory.root_dse.configuration_naming_context.clone() else {
        return Ok(None);
    };
    let base = format!("{DIRECTORY_SERVICE_RDNS},{configuration}");
    let mut aliases = None;
    directory
        .search_each(&base, "(sPNMappings=*)", &["sPNMappings"], |entry| {
            aliases = spn_aliases_of(&entry);
        })
        .await?;
    Ok(aliases)
}

/// The aliases an entry's `sPNMappings` define, if it has any.
fn spn_aliases_of(entry: &Entry) -> Option<SpnAliases> {
    let values = entry.values("sPNMappings");
    if values.is_empty() {
        return None;
    }
    let texts: Vec<&str> = values
        .iter()
        .filter_map(|value| std::str::from_utf8(value).ok())
        .collect();
    Some(SpnAliases::from_mappings(texts))
}

/// The same DC's global catalog: port 3269 for LDAPS, 3268 for ldap://.
fn global_catalog_settings(settings: &LdapSettings, dc: &str) -> anyhow::Result<LdapSettings> {
    let mut url = url::Url::parse(dc)?;
    let port = if url.scheme() == "ldaps" { 3269 } else { 3268 };
    url.set_port(Some(port))
        .map_err(|()| anyhow::anyhow!("cannot set the global catalog port on {url}"))?;
    Ok(LdapSettings {
        address: DcAddress::Url(url.to_string()),
        ..settings.clone()
    })
}

/// Splits an LDIF stream into accounts and the Directory Service object's `sPNMappings`.
#[derive(Default)]
struct ScanSink {
    account: AccountBuilder,
    /// `Some` while the current entry is the Directory Service object.
    mappings: Option<Vec<String>>,
}

impl RecordSink for ScanSink {
    fn start(&mut self, dn: &str) {
        if starts_with_ignore_case(dn, DIRECTORY_SERVICE_RDNS) {
            self.mappings = Some(Vec::new());
        } else {
            self.mappings = None;
            self.account.start(dn);
        }
    }

    fn value(&mut self, name: &[u8], value: Value<'_>) {
        match &mut self.mappings {
            Some(mappings) if name.eq_ignore_ascii_case(b"sPNMappings") => {
                mappings.push(String::from_utf8_lossy(value).into_owned());
            }
            Some(_) => {}
            None => self.account.value(name, value),
        }
    }
}

impl ScanSink {
    /// What the entry just read was, if anything a scan hands out.
    fn finish(&mut self, base: Option<&str>) -> anyhow::Result<Option<Scanned<'_>>> {
        if let Some(mappings) = self.mappings.take() {
            let values = mappings.iter().map(String::as_str);
            return Ok((!mappings.is_empty())
                .then(|| Scanned::SpnAliases(SpnAliases::from_mappings(values))));
        }
        Ok(self
            .account
            .finished()?
            .filter(|account| base.is_none_or(|base| is_under(&account.dn, base)))
            .map(Scanned::Account))
    }
}

/// Files at least this large are read by two workers, one for each half.
const SPLIT_AT_BYTES: u64 = 64 << 20;

/// Reads an LDIF export under `base` (all when `None`) into workers: two for a large file
/// split at a record boundary near its middle, else one on this thread.
fn scan_ldif<W: Send>(
    path: &Path,
    base: Option<&str>,
    new_worker: &(impl Fn() -> W + Sync),
    each: &(impl Fn(&mut W, Scanned<'_>) + Sync),
) -> anyhow::Result<Vec<W>> {
    let context = || path.display().to_string();
    let split = if path == Path::new("-") {
        None
    } else {
        record_boundary_near_middle(path).with_context(context)?
    };
    let Some(split) = split else {
        let mut worker = new_worker();
        read_ldif_items(open_ldif(path)?, base, &mut |item| each(&mut worker, item))
            .with_context(context)?;
        return Ok(vec![worker]);
    };
    let first = File::open(path).with_context(context)?.take(split);
    let mut second = File::open(path).with_context(context)?;
    second.seek(SeekFrom::Start(split)).with_context(context)?;
    let (first, second) = std::thread::scope(|scope| {
        let read_half = |input: Box<dyn Read + Send>| {
            scope.spawn(move || {
                let mut worker = new_worker();
                read_ldif_items(input, base, &mut |item| each(&mut worker, item)).map(|()| worker)
            })
        };
        let first = read_half(Box::new(first));
        let second = read_half(Box::new(second));
        let joined = |handle: std::thread::ScopedJoinHandle<'_, anyhow::Result<W>>| {
            handle
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("an LDIF reader thread panicked")))
        };
        (joined(first), joined(second))
    });
    let first = first.with_context(context)?;
    // The second half counts lines from the split: report them from the file's start.
    let second = second
        .map_err(|err| match err.downcast::<LdifError>() {
            Ok(LdifError::Syntax { line, message }) => {
                let before = lines_before(path, split).unwrap_or(0);
                anyhow::Error::new(LdifError::Syntax {
                    line: line + before,
                    message,
                })
            }
            Ok(other) => anyhow::Error::new(other),
            Err(other) => other,
        })
        .with_context(context)?;
    Ok(vec![first, second])
}

/// The offset just after the first blank line at or past the middle of a large file (a record
/// boundary), or `None` for a small file or one without such a line there.
fn record_boundary_near_middle(path: &Path) -> std::io::Result<Option<u64>> {
    let size = std::fs::metadata(path)?.len();
    if size < SPLIT_AT_BYTES {
        return Ok(None);
    }
    let mut file = File::open(path)?;
    let middle = size / 2;
    file.seek(SeekFrom::Start(middle))?;
    let mut window = vec![0u8; 1 << 20];
    let read = file.read(&mut window)?;
    let window = &window[..read];
    // "\n\n", or "\n\r\n" in a CRLF export.
    Ok(memchr::memmem::find(window, b"\n\n")
        .map(|at| at + 2)
        .or_else(|| memchr::memmem::find(window, b"\n\r\n").map(|at| at + 3))
        .map(|after| middle + after as u64))
}

/// How many lines the first `bytes` of the file hold.
fn lines_before(path: &Path, bytes: u64) -> std::io::Result<usize> {
    let mut reader = std::io::BufReader::new(File::open(path)?.take(bytes));
    let mut lines = 0;
    loop {
        let buffer = std::io::BufRead::fill_buf(&mut reader)?;
        if buffer.is_empty() {
            return Ok(lines);
        }
        lines += memchr::memchr_iter(b'\n', buffer).count();
        let consumed = buffer.len();
        std::io::BufRead::consume(&mut reader, consumed);
    }
}

/// Reads LDIF records from `input` and hands out its accounts and `sPNMappings`.
fn read_ldif_items(
    input: Box<dyn Read + Send>,
    base: Option<&str>,
    each: &mut dyn FnMut(Scanned<'_>),
) -> anyhow::Result<()> {
    let mut reader = LdifReader::new(input);
    let mut sink = ScanSink::default();
    while reader.next_record(&mut sink)? {
        if let Some(item) = sink.finish(base)? {
            each(item);
        }
    }
    Ok(())
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether `dn` is `base` or below it (case-insensitive, spaces after commas ignored).
fn is_under(dn: &str, base: &str) -> bool {
    let normalize = |text: &str| text.to_lowercase().replace(", ", ",");
    let (dn, base) = (normalize(dn), normalize(base));
    dn == base || dn.ends_with(&format!(",{base}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_catalog_uses_its_own_ports() {
        let settings = LdapSettings {
            address: DcAddress::Domain {
                name: "x.test".into(),
                dns_server: None,
            },
            tls: Default::default(),
            bind: Bind::Kerberos,
            timeout: std::time::Duration::from_secs(1),
            page_size: 1000,
        };
        let gc = |dc: &str| global_catalog_settings(&settings, dc).unwrap().address;
        let url = |text: &str| DcAddress::Url(text.into());
        assert_eq!(gc("ldaps://dc1.x.test:636"), url("ldaps://dc1.x.test:3269"));
        assert_eq!(gc("ldap://dc1.x.test:389"), url("ldap://dc1.x.test:3268"));
    }

    #[test]
    fn base_scoping_is_by_dn_suffix() {
        assert!(is_under("CN=A,OU=W,DC=x", "dc=x"));
        assert!(is_under("CN=A,OU=W, DC=x", "OU=W,DC=X"));
        assert!(!is_under("CN=A,OU=W,DC=xx", "DC=x"));
    }
}
