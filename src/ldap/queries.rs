//! Named directory operations: every LDAP filter adcomputer sends lives here, next to the
//! attributes it asks for. Commands call these by name; none of them builds a filter.

use super::connection::Directory;
use super::error::OperationError;
use super::filter::{batch_filters, escape_filter_value};
use crate::model::account::{ACCOUNT_ATTRIBUTES, Account, AccountBuilder, ModelError};
use crate::model::entry::Entry;
use crate::model::names::NameQuery;
use crate::model::spn::{DIRECTORY_SERVICE_RDNS, SpnAliases};

/// Every computer, and every object of any class that holds an SPN (LDIF scans apply the same
/// rule: `Account::in_scan_scope`).
const SCAN_FILTER: &str = "(|(objectClass=computer)(servicePrincipalName=*))";

/// At most this many SPN alternatives in one filter.
const SPNS_PER_FILTER: usize = 200;

/// An error of a named operation: the DC's, or an entry the model cannot read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum QueryError {
    #[error(transparent)]
    Ldap(#[from] OperationError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("-b {0}: no such object on the DC")]
    NoSuchBase(String),
}

/// Runs a paged search and hands out the accounts among the entries; the first unreadable
/// entry ends the run with its error. One builder for the whole search: its strings are reused
/// entry after entry.
async fn search_accounts(
    directory: &mut Directory,
    base: &str,
    filter: &str,
    mut each: impl FnMut(&Account),
) -> Result<(), QueryError> {
    let mut failure: Option<ModelError> = None;
    let mut builder = AccountBuilder::default();
    directory
        .search_each(base, filter, ACCOUNT_ATTRIBUTES, |entry| {
            if failure.is_some() {
                return;
            }
            match builder.read_entry(&entry) {
                Ok(account) => each(account),
                Err(err) => failure = Some(err),
            }
        })
        .await?;
    failure.map_or(Ok(()), |err| Err(err.into()))
}

/// Fails with a plain sentence when `base` does not exist on the DC.
pub(crate) async fn check_base(directory: &mut Directory, base: &str) -> Result<(), QueryError> {
    match directory.read_object(base, &["objectClass"], false).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(QueryError::NoSuchBase(base.to_string())),
        // An unparsable DN: the DC says invalidDNSyntax (34).
        Err(OperationError::Refused { rc: 34, .. }) => {
            Err(QueryError::NoSuchBase(base.to_string()))
        }
        Err(err) => Err(err.into()),
    }
}

/// Every account under `base` that one of `names` could match, in bounded filters.
pub(crate) async fn accounts_named(
    directory: &mut Directory,
    base: &str,
    names: &[NameQuery],
    mut each: impl FnMut(&Account),
) -> Result<(), QueryError> {
    for alternatives in batch_filters(names) {
        let filter = format!("(&(sAMAccountName=*){alternatives})");
        search_accounts(directory, base, &filter, &mut each).await?;
    }
    Ok(())
}

/// Every computer and SPN holder under `root`.
pub(crate) async fn scan_accounts(
    directory: &mut Directory,
    root: &str,
    each: impl FnMut(&Account),
) -> Result<(), QueryError> {
    search_accounts(directory, root, SCAN_FILTER, each).await
}

/// Every SPN holder of the forest, from a global catalog connection.
pub(crate) async fn spn_holders_in_forest(
    catalog: &mut Directory,
    each: impl FnMut(&Account),
) -> Result<(), QueryError> {
    search_accounts(catalog, "", "(servicePrincipalName=*)", each).await
}

/// Every object of the domain holding one of `spns` (each as the directory compares them), in
/// bounded filters.
pub(crate) async fn holders_of(
    directory: &mut Directory,
    spns: &[String],
    mut each: impl FnMut(&Account),
) -> Result<(), QueryError> {
    let domain = directory.root_dse.default_naming_context.clone();
    for chunk in spns.chunks(SPNS_PER_FILTER) {
        let terms: String = chunk
            .iter()
            .map(|spn| format!("(servicePrincipalName={})", escape_filter_value(spn)))
            .collect();
        search_accounts(directory, &domain, &format!("(|{terms})"), &mut each).await?;
    }
    Ok(())
}

/// One object's account attributes; `None` when it does not exist.
pub(crate) async fn read_account(
    directory: &mut Directory,
    dn: &str,
) -> Result<Option<Account>, QueryError> {
    match directory.read_object(dn, ACCOUNT_ATTRIBUTES, false).await? {
        Some(entry) => Ok(Some(Account::from_entry(&entry)?)),
        None => Ok(None),
    }
}

/// The forest's `sPNMappings`, or `None` when the DC does not let us read them.
pub(crate) async fn spn_aliases(
    directory: &mut Directory,
) -> Result<Option<SpnAliases>, QueryError> {
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

/// The domain's SID, from the naming context head's `objectSid`.
pub(crate) async fn domain_sid(directory: &mut Directory) -> Option<String> {
    let base = directory.root_dse.default_naming_context.clone();
    let entry = directory
        .read_object(&base, &["objectSid"], false)
        .await
        .ok()??;
    crate::model::security::sid_to_string(entry.values("objectSid").first()?)
}

/// The sAMAccountName of the object with this SID, if the domain has one.
pub(crate) async fn name_of_sid(directory: &mut Directory, sid: &str) -> Option<String> {
    let base = directory.root_dse.default_naming_context.clone();
    let filter = format!("(objectSid={})", escape_filter_value(sid));
    let mut name = None;
    directory
        .search_each(&base, &filter, &["sAMAccountName"], |entry| {
            name = entry
                .values("sAMAccountName")
                .first()
                .map(|value| String::from_utf8_lossy(value).into_owned());
        })
        .await
        .ok()?;
    name
}

/// An object's owner and creator SIDs (`nTSecurityDescriptor` read for its owner only, and
/// `mS-DS-CreatorSID`); `None` when the object is gone.
pub(crate) async fn owner_and_creator(
    directory: &mut Directory,
    dn: &str,
) -> Result<Option<(Option<String>, Option<String>)>, OperationError> {
    use crate::model::security::{owner_of, sid_to_string};
    let Some(entry) = directory
        .read_object(dn, &["nTSecurityDescriptor", "mS-DS-CreatorSID"], true)
        .await?
    else {
        return Ok(None);
    };
    let owner = entry
        .values("nTSecurityDescriptor")
        .first()
        .and_then(|sd| owner_of(sd));
    let creator = entry
        .values("mS-DS-CreatorSID")
        .first()
        .and_then(|sid| sid_to_string(sid));
    Ok(Some((owner, creator)))
}

/// The DNS names of the domain's DCs (writable and read-only), by their account flags.
pub(crate) async fn dc_host_names(
    directory: &mut Directory,
) -> Result<Vec<String>, OperationError> {
    let base = directory.root_dse.default_naming_context.clone();
    let filter = "(|(userAccountControl:1.2.840.113556.1.4.803:=8192)(userAccountControl:1.2.840.113556.1.4.803:=67108864))";
    let mut hosts = Vec::new();
    directory
        .search_each(&base, filter, &["dNSHostName"], |entry| {
            if let Some(host) = entry
                .values("dNSHostName")
                .first()
                .and_then(|value| std::str::from_utf8(value).ok())
            {
                hosts.push(host.to_string());
            }
        })
        .await?;
    Ok(hosts)
}

/// An object's SPNs as they are now; empty when it has none or is gone.
pub(crate) async fn read_spns(
    directory: &mut Directory,
    dn: &str,
) -> Result<Vec<String>, OperationError> {
    let entry = directory
        .read_object(dn, &["servicePrincipalName"], false)
        .await?;
    Ok(entry
        .map(|entry| {
            entry
                .values("servicePrincipalName")
                .iter()
                .map(|value| String::from_utf8_lossy(value).into_owned())
                .collect()
        })
        .unwrap_or_default())
}
