//! Where accounts come from: a live DC (one paged search) or an LDIF export (one streaming
//! read). Both hand out the same `Account` model; name filters narrow the live search and are
//! applied by the same rule to LDIF, so both sources answer identically.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::account::{ACCOUNT_ATTRIBUTES, Account};
use crate::config::SourceSpec;
use crate::entry::Entry;
use crate::ldap::Directory;
use crate::ldif::LdifReader;
use crate::names::{NameQuery, batch_filter};

pub enum Source {
    Live { directory: Directory, base: String },
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
            SourceSpec::Live { settings, password } => {
                let secret = password.read(&settings.bind_dn)?;
                let directory = Directory::connect(settings, &secret).await?;
                let base = base
                    .map(str::to_string)
                    .unwrap_or_else(|| directory.root_dse.default_naming_context.clone());
                Ok(Source::Live { directory, base })
            }
        }
    }

    /// How reports name this source: the DC's URL, or `ldif:PATH`.
    pub fn describe(&self) -> String {
        match self {
            Source::Live { directory, .. } => directory.target().to_string(),
            Source::Ldif { path, .. } => format!("ldif:{}", path.display()),
        }
    }

    /// Every account that any of `names` could match (the candidates for `NameQuery::resolve`).
    pub async fn candidates(&mut self, names: &[NameQuery]) -> anyhow::Result<Vec<Account>> {
        let mut found = Vec::new();
        match self {
            Source::Live { directory, base } => {
                let mut entries = Vec::new();
                directory
                    .search_each(base, &batch_filter(names), ACCOUNT_ATTRIBUTES, |entry| {
                        entries.push(entry)
                    })
                    .await?;
                for entry in &entries {
                    if let Some(account) = Account::from_entry(entry)? {
                        found.push(account);
                    }
                }
            }
            Source::Ldif { path, base } => {
                for_each_ldif_account(path, base.as_deref(), |account| {
                    if names.iter().any(|name| name.matches(&account)) {
                        found.push(account);
                    }
                })?;
            }
        }
        Ok(found)
    }

    pub async fn close(self) {
        if let Source::Live { directory, .. } = self {
            directory.close().await;
        }
    }
}

fn open_ldif(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(std::io::stdin().lock())));
    }
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(1 << 20, file)))
}

/// Streams the accounts of an LDIF export under `base` (all when `None`).
fn for_each_ldif_account(
    path: &Path,
    base: Option<&str>,
    mut each: impl FnMut(Account),
) -> anyhow::Result<()> {
    let reader = LdifReader::new(open_ldif(path)?).with_attributes(ACCOUNT_ATTRIBUTES);
    for entry in reader {
        let entry: Entry = entry.with_context(|| format!("{}", path.display()))?;
        if base.is_some_and(|base| !is_under(&entry.dn, base)) {
            continue;
        }
        if let Some(account) = Account::from_entry(&entry)? {
            each(account);
        }
    }
    Ok(())
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
    fn base_scoping_is_by_dn_suffix() {
        assert!(is_under("CN=A,OU=W,DC=x", "dc=x"));
        assert!(is_under("CN=A,OU=W, DC=x", "OU=W,DC=X"));
        assert!(!is_under("CN=A,OU=W,DC=xx", "DC=x"));
    }
}
