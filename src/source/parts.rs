//! A live scan: one paged search, or — with `--connections N` — N parts read at once over N
//! connections, each the objects of one `uSNCreated` range of this DC, or, when several DCs are
//! named (`-H` list, `--domain`), of one `whenCreated` range, the connections going to the DCs
//! in turn (`model::partition`: every object in exactly one part). Each part has its own
//! worker; the caller merges them as it merges the halves of a large export. With `--state`
//! the kept snapshot, brought up to date, stands in for the read (`state`): kept from one DC.

use super::dcs::{DomainDc, join_all};
use super::{LiveSource, Scanned};
use crate::ldap::{ConnectError, DcAddress, Directory, LdapSettings, queries, url_hosts};
use adcomputer_core::model::account::{Account, AccountBuilder, Attr, AttrSet, ModelError};
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::model::dn::same_dn;
use adcomputer_core::model::entry::Entry;
use adcomputer_core::model::partition::{Part, PartKey, between, ranges};
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
                each(
                    &mut first,
                    Scanned::Account(account, in_scope(account), None),
                );
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
                (first, true),
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
                            Scanned::Account(account, in_scope(account), None),
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

    /// Every computer and SPN holder under `root` with `names`, as the DCs send them: in one
    /// search to `first`, or in parts over `--connections` connections, each to its own reader
    /// (`first` and more made by `new_reader`). With `spread` and several DCs named (`-H` list,
    /// `--domain`), the connections go to them in turn and the parts are creation-time ranges.
    pub(super) async fn read_parts<R>(
        &mut self,
        root: &str,
        names: &[&str],
        (first, spread): (R, bool),
        new_reader: &(impl Fn() -> R + Sync),
        each: &(impl Fn(&mut R, Entry) + Sync),
    ) -> anyhow::Result<Vec<R>> {
        let wanted = self.settings.connections;
        let highest = self.directory.root_dse.highest_committed_usn;
        let (parts, mut connections) = match highest.filter(|_| wanted > 1) {
            None => (vec![Part::ALL], Vec::new()),
            Some(highest) => {
                let others = match spread {
                    true => self.named_dcs().await?,
                    false => Vec::new(),
                };
                // Connection n goes to the n-th DC in turn (the 0th: this one).
                let slots: Vec<Option<LdapSettings>> = (1..wanted)
                    .map(|n| match n % (others.len() + 1) {
                        0 => None,
                        at => self
                            .settings_for(&others[at - 1])
                            .inspect_err(|why| tracing::info!("{}: {why}", others[at - 1].host))
                            .ok(),
                    })
                    .collect();
                let LiveSource {
                    directory,
                    settings,
                    secret,
                    ..
                } = self;
                let connects = slots
                    .iter()
                    .map(|slot| {
                        Directory::connect(slot.as_ref().unwrap_or(settings), secret.as_ref())
                    })
                    .collect();
                // One DC's own USNs part it; parts read from several need what every DC
                // holds alike.
                let spread = !others.is_empty();
                let parts = async {
                    let Some(lowest) =
                        queries::lowest_usn_created(directory, root, highest).await?
                    else {
                        return anyhow::Ok(vec![Part::ALL]);
                    };
                    let parts = ranges(PartKey::UsnCreated, lowest, highest, wanted);
                    match spread {
                        false => Ok(parts),
                        true => Ok(creation_times(directory, root, &parts, highest).await?),
                    }
                };
                let (parts, connected) = tokio::join!(parts, join_all(connects));
                let mut connections = Vec::new();
                for (slot, connected) in slots.iter().zip(connected) {
                    connections.push(self.same_domain(slot.is_some(), connected).await?);
                }
                (parts?, connections)
            }
        };
        // Fewer parts than connections when the span is narrow: close what is not needed.
        for directory in connections.split_off(parts.len() - 1) {
            directory.close().await;
        }
        let mut readers: Vec<R> = std::iter::once(first)
            .chain((1..parts.len()).map(|_| new_reader()))
            .collect();
        let reads: Vec<_> = std::iter::once(&mut self.directory)
            .chain(connections.iter_mut())
            .zip(readers.iter_mut())
            .zip(&parts)
            .map(|((directory, reader), part)| {
                tracing::info!(dc = %directory.target(), ?part, "reading a part");
                queries::scan_entries(directory, root, names, *part, move |entry| {
                    each(reader, entry)
                })
            })
            .collect();
        for read in join_all(reads).await {
            read?;
        }
        for directory in connections {
            directory.close().await;
        }
        Ok(readers)
    }

    /// The other DCs the admin named, to spread a scan's parts over: every other DC of the
    /// domain with `--domain`, the other DCs of a `-H` list (by name or address); none for
    /// one URL.
    async fn named_dcs(&mut self) -> anyhow::Result<Vec<DomainDc>> {
        let named = match &self.settings.address {
            DcAddress::Domain { .. } => None,
            DcAddress::Url(list) => match url_hosts(list) {
                hosts if hosts.len() > 1 => Some(hosts),
                _ => return Ok(Vec::new()),
            },
        };
        let dcs: Vec<DomainDc> = self.domain_dcs().await?;
        Ok(dcs
            .into_iter()
            .filter(|dc| !dc.current && named.as_deref().is_none_or(|hosts| is_named(hosts, dc)))
            .collect())
    }

    /// A connection to another DC when it holds this run's domain; else (it did not answer,
    /// or holds another domain) one more to this DC, said at `-v`.
    async fn same_domain(
        &self,
        other: bool,
        connected: Result<Directory, ConnectError>,
    ) -> anyhow::Result<Directory> {
        let ours = &self.directory.root_dse.default_naming_context;
        let why = match connected {
            Ok(directory)
                if same_dn(&directory.root_dse.default_naming_context, ours) || !other =>
            {
                return Ok(directory);
            }
            Ok(directory) => {
                let why = format!("{} holds another domain", directory.target());
                directory.close().await;
                why
            }
            Err(err) if other => err.to_string(),
            Err(err) => return Err(err.into()),
        };
        tracing::info!(
            "a part is read from {} instead: {why}",
            self.directory.target()
        );
        Ok(Directory::connect(&self.settings, self.secret.as_ref()).await?)
    }
}

/// Parts by creation time, which every DC holds alike, as even as `parts` (this DC's
/// `uSNCreated` ranges, whose updates follow creation): each boundary the creation time of an
/// object created near the start of a range (the first sixteenth of it, else the first
/// eighth, and so on). A range without objects gives no boundary (one part fewer).
async fn creation_times(
    directory: &mut Directory,
    root: &str,
    parts: &[Part],
    highest: u64,
) -> Result<Vec<Part>, queries::QueryError> {
    let mut times = Vec::new();
    // Every part but the first starts at a USN.
    for part in parts.iter().skip(1) {
        let Some(from) = part.from else { continue };
        // The last range ends where the DC's updates do.
        let width = part
            .below
            .unwrap_or(highest.saturating_add(1))
            .saturating_sub(from);
        for share in [16, 8, 4, 2, 1] {
            let near = Part {
                below: Some(from + (width / share).max(1)),
                ..*part
            };
            if let Some(time) = queries::created_within(directory, root, near).await? {
                times.push(time);
                break;
            }
        }
    }
    // Objects created within the same second as the one found fall after the boundary: when
    // that leaves nothing before it, the boundary moves a second on.
    times.sort_unstable();
    let mut from = None;
    for time in &mut times {
        let before = Part {
            key: PartKey::WhenCreated,
            from,
            below: Some(*time),
        };
        if !queries::holds_any(directory, root, before).await? {
            *time += 1;
        }
        from = Some(*time);
    }
    Ok(between(PartKey::WhenCreated, times))
}

/// Whether `dc` is one of the hosts of a `-H` list: by its DNS name (any case, a final dot or
/// not) or by its address.
fn is_named(hosts: &[String], dc: &DomainDc) -> bool {
    hosts.iter().any(|host| {
        host.trim_end_matches('.')
            .eq_ignore_ascii_case(dc.host.trim_end_matches('.'))
            || dc
                .address
                .as_ref()
                .is_ok_and(|address| host.trim_matches(['[', ']']).parse() == Ok(*address))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dc_is_named_by_its_name_or_its_address() {
        let dc = |host: &str, address: &str| DomainDc {
            host: host.into(),
            invocation_id: None,
            current: false,
            address: address.parse().map_err(|_| "no address".to_string()),
        };
        let hosts: Vec<String> = ["DC2.adc.test.", "127.0.0.4", "[::5]"]
            .iter()
            .map(|host| host.to_string())
            .collect();
        assert!(is_named(&hosts, &dc("dc2.adc.test", "127.0.0.3")));
        assert!(is_named(&hosts, &dc("dc3.adc.test", "127.0.0.4")));
        assert!(is_named(&hosts, &dc("dc5.adc.test", "::5")));
        assert!(!is_named(&hosts, &dc("dc4.adc.test", "127.0.0.3")));
        assert!(!is_named(&hosts, &dc("dc2.adc.test.evil", "unknown")));
        assert!(!is_named(&hosts, &dc("dc4.adc.test", "unknown")));
    }
}
