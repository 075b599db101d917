//! Reads: paged, streaming subtree searches (entries handed over one at a time as pages arrive,
//! memory flat, referrals and continuation references skipped, only the named attributes
//! requested), and single-object reads by DN.

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::controls::RawControl;
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
        let started = std::time::Instant::now();
        let mut entries = 0usize;
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(PAGE_SIZE)),
        ];
        let requested = attributes.len();
        let attributes: Vec<String> = attributes.iter().map(|name| name.to_string()).collect();
        let mut stream = self
            .ldap
            .with_timeout(self.timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attributes)
            .await
            .map_err(failed)?;
        while let Some(result_entry) = stream.next().await.map_err(failed)? {
            entries += 1;
            each(into_entry(SearchEntry::construct(result_entry)));
        }
        stream.finish().await.success().map_err(failed)?;
        tracing::info!(base, filter, attributes = requested, entries, elapsed = ?started.elapsed(), "search");
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

/// LDAP_SERVER_SD_FLAGS_OID with OWNER_SECURITY_INFORMATION: read only the owner part of
/// `nTSecurityDescriptor`, which a non-admin may read and which needs no SACL rights.
fn sd_flags_owner() -> RawControl {
    RawControl {
        ctype: "1.2.840.113556.1.4.801".to_string(),
        crit: true,
        // BER: SEQUENCE { INTEGER 1 }
        val: Some(vec![0x30, 0x03, 0x02, 0x01, 0x01]),
    }
}

impl Directory {
    /// One object by DN (base scope), with `attributes` only; `None` when it does not exist.
    /// `owner_only_sd` asks for `nTSecurityDescriptor`'s owner through the SD-flags control.
    pub async fn read_object(
        &mut self,
        dn: &str,
        attributes: &[&str],
        owner_only_sd: bool,
    ) -> Result<Option<Entry>, OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("read", secs, err);
        let ldap = self.ldap.with_timeout(self.timeout);
        if owner_only_sd {
            ldap.with_controls(sd_flags_owner());
        }
        tracing::debug!(dn, ?attributes, owner_only_sd, "read");
        let attributes: Vec<String> = attributes.iter().map(|name| name.to_string()).collect();
        let result = ldap
            .search(dn, Scope::Base, "(objectClass=*)", attributes)
            .await
            .map_err(failed)?;
        match result.success() {
            Ok((entries, _)) => Ok(entries
                .into_iter()
                .next()
                .map(|found| into_entry(SearchEntry::construct(found)))),
            // noSuchObject: the object is gone.
            Err(ldap3::LdapError::LdapResult { result }) if result.rc == 32 => Ok(None),
            Err(err) => Err(failed(err)),
        }
    }
}
