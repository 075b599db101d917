//! Paged, streaming subtree searches: entries are handed over one at a time as pages arrive
//! (memory stays flat), referrals and continuation references are skipped, and only the named
//! attributes are requested.

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Scope, SearchEntry};

use super::connection::Directory;
use super::error::OperationError;
use crate::entry::Entry;

/// AD's default MaxPageSize.
const PAGE_SIZE: i32 = 1000;

impl Directory {
    /// Calls `each` for every entry under `base` matching `filter`, with `attributes` only.
    pub async fn search_each(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
        mut each: impl FnMut(Entry),
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("search", secs, err);
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(PAGE_SIZE)),
        ];
        let attributes: Vec<String> = attributes.iter().map(|name| name.to_string()).collect();
        let mut stream = self
            .ldap
            .with_timeout(self.timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attributes)
            .await
            .map_err(failed)?;
        while let Some(result_entry) = stream.next().await.map_err(failed)? {
            each(into_entry(SearchEntry::construct(result_entry)));
        }
        stream.finish().await.success().map_err(failed)?;
        Ok(())
    }
}

fn into_entry(found: SearchEntry) -> Entry {
    let mut entry = Entry::new(found.dn);
    for (name, values) in found.attrs {
        for value in values {
            entry.push_value(&name, value.into_bytes());
        }
    }
    for (name, values) in found.bin_attrs {
        for value in values {
            entry.push_value(&name, value);
        }
    }
    entry
}
