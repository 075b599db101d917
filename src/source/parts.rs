//! A live scan: one paged search, or — with `--connections N` and a DC that says its
//! `highestCommittedUSN` — N parts read at once over N connections, each the objects of one
//! `uSNCreated` range (`model::partition`: every object in exactly one). Each part has its own
//! worker; the caller merges them as it merges the halves of a large export. With `--state`
//! the kept snapshot, brought up to date, stands in for the read (`state`).

use super::{LiveSource, Scanned, dcs::join_all};
use crate::ldap::{Directory, queries};
use adcomputer_core::model::account::{Account, AccountBuilder, Attr, AttrSet, ModelError};
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::model::entry::Entry;
use adcomputer_core::model::partition::{UsnRange, usn_ranges};
use adcomputer_core::model::snapshot::StateRead;

/// A worker reading a part: the accounts model's builder (its strings reused entry after
/// entry) and the first entry it could not read.
struct Reader<W> {
    worker: W,
    builder: AccountBuilder,
    failure: Option<ModelError>,
}

impl LiveSource {
    /// Streams every computer and SPN holder of the domain (the aliases first) to workers made
    /// by `new_worker`, with whether each is under `-b`; with `--state`, how it was read and
    /// what the run should know about it.
    pub(super) async fn scan<W>(
        &mut self,
        attributes: AttrSet,
        new_worker: &(impl Fn() -> W + Sync),
        each: &(impl Fn(&mut W, Scanned<'_>) + Sync),
    ) -> anyhow::Result<(Vec<W>, Option<StateRead>, Vec<String>)> {
        let mut first = new_worker();
        if let Some(aliases) = queries::spn_aliases(&mut self.directory).await? {
            each(&mut first, Scanned::SpnAliases(aliases));
        }
        let domain = self.directory.root_dse.default_naming_context.clone();
        let scope = NormalDn::parse(&self.base);
        // Holders of duplicates are searched domain-wide, whatever -b reports.
        let root = match (&scope, NormalDn::parse(&domain)) {
            (Some(scope), Some(domain_dn)) if scope.is_under(&domain_dn) => domain,
            _ => self.base.clone(),
        };
        // Reporting the whole root, every object read (all under it) is in scope.
        let whole = scope.is_none() || scope == NormalDn::parse(&root);
        let in_scope = |account: &Account| {
            whole
                || scope.as_ref().is_some_and(|scope| {
                    NormalDn::parse(&account.dn).is_some_and(|dn| dn.is_under(scope))
                })
        };
        if let Some(dir) = self.state.clone() {
            let mut warnings = Vec::new();
            let (snapshot, read) = self
                .current_snapshot(&dir, &root, attributes, &mut warnings)
                .await?;
            let mut builder = AccountBuilder::default();
            // A snapshot kept by a command that reads more holds more than this run judges.
            let more = snapshot.mark.attributes != attributes;
            for (_, entry) in snapshot.objects() {
                let account = match more {
                    true => read_as_asked(&mut builder, entry, attributes)?,
                    false => builder.read_entry(entry)?,
                };
                each(&mut first, Scanned::Account(account, in_scope(account)));
            }
            self.keep(&dir, snapshot, &read);
            return Ok((vec![first], Some(read), warnings));
        }
        let first = Reader {
            worker: first,
            builder: AccountBuilder::default(),
            failure: None,
        };
        let readers = self
            .read_parts(
                &root,
                &attributes.names(),
                first,
                &|| Reader {
                    worker: new_worker(),
                    builder: AccountBuilder::default(),
                    failure: None,
                },
                &|reader, entry| {
                    if reader.failure.is_some() {
                        return;
                    }
                    match reader.builder.read_entry(&entry) {
                        Ok(account) => each(
                            &mut reader.worker,
                            Scanned::Account(account, in_scope(account)),
                        ),
                        Err(err) => reader.failure = Some(err),
                    }
                },
            )
            .await?;
        let mut workers = Vec::with_capacity(readers.len());
        for reader in readers {
            if let Some(err) = reader.failure {
                return Err(err.into());
            }
            workers.push(reader.worker);
        }
        Ok((workers, None, Vec::new()))
    }

    /// Every computer and SPN holder under `root` with `names`, as the DC sends them: in one
    /// search to `first`, or in parts over `--connections` connections, each to its own reader
    /// (`first` and more made by `new_reader`).
    pub(super) async fn read_parts<R>(
        &mut self,
        root: &str,
        names: &[&str],
        first: R,
        new_reader: &(impl Fn() -> R + Sync),
        each: &(impl Fn(&mut R, Entry) + Sync),
    ) -> anyhow::Result<Vec<R>> {
        let highest = self.directory.root_dse.highest_committed_usn;
        let wanted = self.settings.connections;
        let (lowest, mut others) = match highest {
            Some(highest) if wanted > 1 => {
                // The other connections open while the first finds where the parts start.
                let LiveSource {
                    directory,
                    settings,
                    secret,
                    ..
                } = self;
                let connects = (1..wanted)
                    .map(|_| Directory::connect(settings, secret.as_ref()))
                    .collect();
                let (lowest, connected) = tokio::join!(
                    queries::lowest_usn_created(directory, root, highest),
                    join_all(connects)
                );
                let others = connected.into_iter().collect::<Result<Vec<_>, _>>()?;
                (lowest?, others)
            }
            _ => (None, Vec::new()),
        };
        let parts = match (lowest, highest) {
            (Some(lowest), Some(highest)) => usn_ranges(lowest, highest, others.len() + 1),
            _ => vec![UsnRange::ALL],
        };
        // Fewer parts than connections when the span is narrow: close what is not needed.
        for directory in others.split_off(parts.len() - 1) {
            directory.close().await;
        }
        let mut readers: Vec<R> = std::iter::once(first)
            .chain((1..parts.len()).map(|_| new_reader()))
            .collect();
        let reads: Vec<_> = std::iter::once(&mut self.directory)
            .chain(others.iter_mut())
            .zip(readers.iter_mut())
            .zip(&parts)
            .map(|((directory, reader), part)| {
                queries::scan_entries(directory, root, names, *part, move |entry| {
                    each(reader, entry)
                })
            })
            .collect();
        for read in join_all(reads).await {
            read?;
        }
        for directory in others {
            directory.close().await;
        }
        Ok(readers)
    }
}

/// The account of a kept entry with only the attributes this run asked for: a snapshot may
/// hold more (another command's), which must not change what this run judges.
fn read_as_asked<'b>(
    builder: &'b mut AccountBuilder,
    entry: &Entry,
    asked: AttrSet,
) -> Result<&'b Account, ModelError> {
    builder.start(&entry.dn);
    for attribute in &entry.attributes {
        let name = attribute.name.as_bytes();
        if Attr::of(name).is_some_and(|attr| asked.contains(attr)) {
            for value in &attribute.values {
                builder.value(name, value);
            }
        }
    }
    builder.finished()
}
