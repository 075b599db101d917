//! A live scan: one paged search, or — with `--connections N` and a DC that says its
//! `highestCommittedUSN` — N parts read at once over N connections, each the objects of one
//! `uSNCreated` range (`model::partition`: every object in exactly one). Each part has its own
//! worker; the caller merges them as it merges the halves of a large export.

use super::{LiveSource, Scanned, dcs::join_all};
use crate::ldap::{Directory, queries};
use adcomputer_core::model::account::{Account, AttrSet};
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::model::partition::usn_ranges;

impl LiveSource {
    /// Streams every computer and SPN holder of the domain (the aliases first) to workers made
    /// by `new_worker`, with whether each is under `-b`.
    pub(super) async fn scan<W>(
        &mut self,
        attributes: AttrSet,
        new_worker: &(impl Fn() -> W + Sync),
        each: &(impl Fn(&mut W, Scanned<'_>) + Sync),
    ) -> anyhow::Result<Vec<W>> {
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
        let in_scope = |account: &Account| {
            scope.as_ref().is_none_or(|scope| {
                NormalDn::parse(&account.dn).is_some_and(|dn| dn.is_under(scope))
            })
        };
        let in_scope = &in_scope;
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
                    queries::lowest_usn_created(directory, &root, highest),
                    join_all(connects)
                );
                let others = connected.into_iter().collect::<Result<Vec<_>, _>>()?;
                (lowest?, others)
            }
            _ => (None, Vec::new()),
        };
        let parts = match (lowest, highest) {
            (Some(lowest), Some(highest)) => usn_ranges(lowest, highest, others.len() + 1),
            _ => {
                for directory in others {
                    directory.close().await;
                }
                queries::scan_accounts(&mut self.directory, &root, attributes, |account| {
                    each(&mut first, Scanned::Account(account, in_scope(account)));
                })
                .await?;
                return Ok(vec![first]);
            }
        };
        // Fewer parts than connections when the span is narrow: close what is not needed.
        for directory in others.split_off(parts.len() - 1) {
            directory.close().await;
        }
        let mut workers: Vec<W> = std::iter::once(first)
            .chain((1..parts.len()).map(|_| new_worker()))
            .collect();
        let reads: Vec<_> = std::iter::once(&mut self.directory)
            .chain(others.iter_mut())
            .zip(workers.iter_mut())
            .zip(&parts)
            .map(|((directory, worker), part)| {
                queries::scan_part(directory, &root, attributes, *part, move |account| {
                    each(worker, Scanned::Account(account, in_scope(account)));
                })
            })
            .collect();
        for read in join_all(reads).await {
            read?;
        }
        for directory in others {
            directory.close().await;
        }
        Ok(workers)
    }
}
