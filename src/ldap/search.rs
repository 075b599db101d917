//! Reads: paged, streaming subtree searches (entries handed over one at a time as pages arrive,
//! memory flat, referrals and continuation references skipped, only the named attributes
//! requested), and single-object reads by DN.

use ldap3::controls::{Control, ControlType, PagedResults, RawControl};
use ldap3::{Scope, SearchEntry, SearchStream};

use super::connection::Directory;
use super::error::OperationError;
use adcomputer_core::model::entry::Entry;

impl Directory {
    /// Calls `each` for every entry under `base` matching `filter`, with `attributes` only;
    /// `nTSecurityDescriptor`, when asked for, holds only the owner.
    ///
    /// Pages by hand rather than with ldap3's adapter: a page's entries are read off the wire
    /// first, the next page is asked for at once, and only then are the entries handed to
    /// `each`, so the DC prepares the next page while this one is processed.
    pub(crate) async fn search_each(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
        each: impl FnMut(Entry),
    ) -> Result<(), OperationError> {
        let owner = attributes
            .iter()
            .any(|name| name.eq_ignore_ascii_case("nTSecurityDescriptor"));
        let extra = if owner {
            vec![sd_flags(OWNER)]
        } else {
            Vec::new()
        };
        self.search_paged(base, filter, attributes, &extra, each)
            .await
    }

    /// As `search_each`, with `nTSecurityDescriptor` (when asked for) holding the owner and
    /// the DACL: what a delegated account may read, no SACL.
    pub(crate) async fn search_each_with_security(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
        each: impl FnMut(Entry),
    ) -> Result<(), OperationError> {
        self.search_paged(base, filter, attributes, &[sd_flags(OWNER | DACL)], each)
            .await
    }

    /// As `search_each`, deleted objects (tombstones) included: the Show Deleted control.
    pub(crate) async fn search_each_deleted(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
        each: impl FnMut(Entry),
    ) -> Result<(), OperationError> {
        self.search_paged(base, filter, attributes, &[show_deleted()], each)
            .await
    }

    async fn search_paged(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
        extra: &[RawControl],
        mut each: impl FnMut(Entry),
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("search", secs, err);
        let started = std::time::Instant::now();
        let attributes: Vec<String> = attributes.iter().map(|name| name.to_string()).collect();
        let (mut entries, mut pages) = (0usize, 1usize);
        let mut page = self
            .request_page(base, filter, &attributes, extra, Vec::new())
            .await
            .map_err(failed)?;
        loop {
            let mut received = Vec::with_capacity(usize::try_from(self.page_size).unwrap_or(0));
            while let Some(result_entry) = page.next().await.map_err(failed)? {
                if !result_entry.is_ref() && !result_entry.is_intermediate() {
                    received.push(result_entry);
                }
            }
            let result = page.finish().await.success().map_err(failed)?;
            let cookie = result.ctrls.iter().find_map(|control| match control {
                Control(Some(ControlType::PagedResults), raw) => {
                    Some(raw.parse::<PagedResults>().cookie)
                }
                _ => None,
            });
            let next = match cookie.filter(|cookie| !cookie.is_empty()) {
                Some(cookie) => Some(
                    self.request_page(base, filter, &attributes, extra, cookie)
                        .await
                        .map_err(failed)?,
                ),
                None => None,
            };
            entries += received.len();
            for result_entry in received {
                each(into_entry(SearchEntry::construct(result_entry)));
            }
            match next {
                Some(next) => {
                    page = next;
                    pages += 1;
                }
                None => break,
            }
        }
        tracing::info!(base, filter, attributes = attributes.len(), entries, pages, elapsed = ?started.elapsed(), dc = %self.target(), "search");
        Ok(())
    }

    /// Sends the request for one page (`cookie` empty for the first) and returns its stream.
    async fn request_page(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[String],
        extra: &[RawControl],
        cookie: Vec<u8>,
    ) -> ldap3::result::Result<SearchStream<'static, String, Vec<String>>> {
        let control = PagedResults {
            size: self.page_size,
            cookie,
        };
        let mut controls = vec![RawControl::from(control)];
        controls.extend(extra.iter().cloned());
        self.ldap
            .with_timeout(self.timeout)
            .with_controls(controls)
            .streaming_search(base, Scope::Subtree, filter, attributes.to_vec())
            .await
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

/// LDAP_SERVER_SHOW_DELETED_OID: deleted objects too.
pub(super) fn show_deleted() -> RawControl {
    RawControl {
        ctype: "1.2.840.113556.1.4.417".to_string(),
        crit: true,
        val: None,
    }
}

/// OWNER_SECURITY_INFORMATION.
const OWNER: u8 = 1;
/// DACL_SECURITY_INFORMATION.
const DACL: u8 = 4;

/// LDAP_SERVER_SD_FLAGS_OID: read only these parts of `nTSecurityDescriptor` — the owner and
/// the DACL, which a non-admin may read, never the SACL, which needs a privilege.
fn sd_flags(parts: u8) -> RawControl {
    RawControl {
        ctype: "1.2.840.113556.1.4.801".to_string(),
        crit: true,
        // BER: SEQUENCE { INTEGER parts }
        val: Some(vec![0x30, 0x03, 0x02, 0x01, parts]),
    }
}

impl Directory {
    /// Whether any object under `base` matches `filter`: one entry asked for, none of its
    /// attributes.
    pub(crate) async fn any(&mut self, base: &str, filter: &str) -> Result<bool, OperationError> {
        Ok(self.first(base, filter, &["1.1"]).await?.is_some())
    }

    /// One object under `base` that matches `filter` (whichever the DC sends first), with
    /// `attributes`.
    pub(crate) async fn first(
        &mut self,
        base: &str,
        filter: &str,
        attributes: &[&str],
    ) -> Result<Option<Entry>, OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("search", secs, err);
        let attributes: Vec<String> = attributes.iter().map(|name| name.to_string()).collect();
        let result = self
            .ldap
            .with_timeout(self.timeout)
            .with_search_options(ldap3::SearchOptions::new().sizelimit(1))
            .search(base, Scope::Subtree, filter, attributes)
            .await
            .map_err(failed)?;
        let ldap3::SearchResult(entries, outcome) = result;
        // sizeLimitExceeded (4): there were more.
        if !matches!(outcome.rc, 0 | 4) {
            outcome.success().map_err(failed)?;
        }
        Ok(entries
            .into_iter()
            .find(|entry| !entry.is_ref() && !entry.is_intermediate())
            .map(|found| into_entry(SearchEntry::construct(found))))
    }

    /// One object by DN (base scope), with `attributes` only; `None` when it does not exist.
    pub(crate) async fn read_object(
        &mut self,
        dn: &str,
        attributes: &[&str],
    ) -> Result<Option<Entry>, OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("read", secs, err);
        let ldap = self.ldap.with_timeout(self.timeout);
        tracing::debug!(dn, ?attributes, "read");
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
