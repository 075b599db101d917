//! Named directory operations: every LDAP filter adcomputer sends lives here, next to the
//! attributes it asks for. Commands call these by name; none of them builds a filter.

use super::connection::Directory;
use super::error::OperationError;
use super::filter::{batch_filters, escape_filter_value};
use adcomputer_core::model::account::{
    ACCOUNT_ATTRIBUTES, Account, AccountBuilder, Attr, ModelError,
};
use adcomputer_core::model::entry::Entry;
use adcomputer_core::model::gpo::{CONTAINER_ATTRIBUTES, GPO_ATTRIBUTES, Gpo};
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::model::partition::{Part, PartKey};
use adcomputer_core::model::security::ObjectSecurity;
use adcomputer_core::model::snapshot::{Guid, guid_of};
use adcomputer_core::model::spn::{DIRECTORY_SERVICE_RDNS, SpnAliases};
use adcomputer_core::rules::group_policy::Container;
use adcomputer_core::rules::takeover::MACHINE_ACCOUNT_QUOTA;
use adcomputer_core::rules::{DomainFacts, Quota};

/// Every computer, and every object of any class that holds an SPN (LDIF scans apply the same
/// rule: `Account::in_scan_scope`).
pub(crate) const SCAN_FILTER: &str = "(|(objectClass=computer)(servicePrincipalName=*))";

/// GUID_DELETED_OBJECTS_CONTAINER_W (MS-ADTS 6.1.1.4): the domain's Deleted Objects.
const DELETED_OBJECTS_WKGUID: &str = "18E2EA80684F11D2B9AA00C04F79F805";

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

impl QueryError {
    /// Whether the DC's answer never came (see `OperationError::no_answer`).
    pub(crate) fn no_answer(&self) -> bool {
        matches!(self, QueryError::Ldap(err) if err.no_answer())
    }
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
    search_accounts_with(directory, base, filter, ACCOUNT_ATTRIBUTES, &mut each).await
}

/// As `search_accounts`, with only `attributes`.
async fn search_accounts_with(
    directory: &mut Directory,
    base: &str,
    filter: &str,
    attributes: &[&str],
    mut each: impl FnMut(&Account),
) -> Result<(), QueryError> {
    let mut failure: Option<ModelError> = None;
    let mut builder = AccountBuilder::default();
    directory
        .search_each(base, filter, attributes, |entry| {
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
    match directory.read_object(base, &["objectClass"]).await {
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

/// About the lowest `uSNCreated` of the objects a scan of `root` reads (none: there are none),
/// to within an eighth of `0..=highest`: where a partitioned scan's parts start. Found with
/// searches for any object below rising bounds, an eighth of the span apart (one entry, no
/// attributes each): a DC answers a `uSNCreated` range from its index but gathers every match
/// before it returns one, so bounds rise from below, where the matches are few. The parts are
/// right whatever it is (the first has no lower bound); only their balance depends on it.
pub(crate) async fn lowest_usn_created(
    directory: &mut Directory,
    root: &str,
    highest: u64,
) -> Result<Option<u64>, QueryError> {
    const STEPS: u64 = 8;
    let mut previous = 0;
    for step in 1..=STEPS {
        let bound = if step == STEPS {
            highest.saturating_add(1)
        } else {
            highest / STEPS * step
        };
        let part = Part {
            key: PartKey::UsnCreated,
            from: None,
            below: Some(bound),
        };
        if directory.any(root, &scan_filter(part, None)).await? {
            return Ok(Some(previous));
        }
        previous = bound;
    }
    Ok(None)
}

/// Whether a scan of `root` reads any object within `part`.
pub(crate) async fn holds_any(
    directory: &mut Directory,
    root: &str,
    part: Part,
) -> Result<bool, OperationError> {
    directory.any(root, &scan_filter(part, None)).await
}

/// When an object a scan of `root` reads within `part` was created, in seconds since 1970
/// (any one such object; `None`: there is none, or its `whenCreated` is not readable).
pub(crate) async fn created_within(
    directory: &mut Directory,
    root: &str,
    part: Part,
) -> Result<Option<u64>, QueryError> {
    use adcomputer_core::model::filetime::FileTime;
    let found = directory
        .first(root, &scan_filter(part, None), &["whenCreated"])
        .await?;
    Ok(found
        .and_then(|entry| {
            let text = std::str::from_utf8(entry.values("whenCreated").first()?).ok()?;
            FileTime::from_generalized(text)
        })
        .and_then(FileTime::unix_seconds))
}

/// The scan's filter: every computer and SPN holder; only those created within `part`; with
/// `since`, only those changed after that USN of the DC.
fn scan_filter(part: Part, since: Option<u64>) -> String {
    if part.is_all() && since.is_none() {
        return SCAN_FILTER.to_string();
    }
    let mut filter = format!("(&{SCAN_FILTER}");
    let attribute = part.key.attribute();
    if let Some(from) = part.from {
        filter.push_str(&format!("({attribute}>={})", part.key.value(from)));
    }
    match (part.key, part.below) {
        // A DC answers `<=` on a USN from its index, a negated `>=` by reading every candidate.
        (PartKey::UsnCreated, Some(below)) if below > 0 => {
            filter.push_str(&format!("({attribute}<={})", below - 1));
        }
        // Times: below is exactly "not at or after", however the DC orders fractions.
        (_, Some(below)) => {
            filter.push_str(&format!("(!({attribute}>={}))", part.key.value(below)));
        }
        (_, None) => {}
    }
    if let Some(since) = since {
        filter.push_str(&format!("(uSNChanged>={})", since.saturating_add(1)));
    }
    filter.push(')');
    filter
}

/// Every computer and SPN holder under `root` created within `part` (`Part::ALL`: every
/// one), as the DC sends them, with `names` only (what the run's checks read).
pub(crate) async fn scan_entries(
    directory: &mut Directory,
    root: &str,
    names: &[&str],
    part: Part,
    each: impl FnMut(Entry),
) -> Result<(), OperationError> {
    directory
        .search_each(root, &scan_filter(part, None), names, each)
        .await
}

/// The computers and SPN holders under `root` changed after the DC's update `usn`.
pub(crate) async fn changed_since(
    directory: &mut Directory,
    root: &str,
    names: &[&str],
    usn: u64,
    each: impl FnMut(Entry),
) -> Result<(), OperationError> {
    directory
        .search_each(root, &scan_filter(Part::ALL, Some(usn)), names, each)
        .await
}

/// The objects under `root` changed after the DC's update `usn` that a scan no longer reads:
/// deleted (seen with the Show Deleted control), or no longer a computer nor an SPN holder.
/// `None` when the bound account cannot see deleted objects (the DC then hides them without
/// saying so): the Deleted Objects container itself, deleted and critical, is asked for too.
pub(crate) async fn gone_since(
    directory: &mut Directory,
    root: &str,
    usn: u64,
) -> Result<Option<Vec<Guid>>, OperationError> {
    let filter = format!(
        "(|(&(uSNChanged>={})(|(isDeleted=TRUE)(!{SCAN_FILTER})))(&(objectClass=container)(isCriticalSystemObject=TRUE)(isDeleted=TRUE)))",
        usn.saturating_add(1)
    );
    let (mut gone, mut readable) = (Vec::new(), false);
    directory
        .search_each_deleted(
            root,
            &filter,
            &["objectGUID", "objectClass", "isCriticalSystemObject"],
            |entry| {
                let critical = entry.values("isCriticalSystemObject") == [b"TRUE".to_vec()];
                let container = entry
                    .values("objectClass")
                    .iter()
                    .any(|class| class.eq_ignore_ascii_case(b"container"));
                readable |= critical && container;
                gone.extend(guid_of(&entry));
            },
        )
        .await?;
    Ok(readable.then_some(gone))
}

/// What says which life of its database the DC is in, and how long it keeps deletions.
pub(crate) struct DcLife {
    /// `invocationId` of the DC's NTDS Settings object (`None`: not readable).
    pub(crate) invocation_id: Option<Guid>,
    /// The forest's tombstone lifetime in days (`tombstoneLifetime`; the deleted-object
    /// lifetime when shorter; 60 when neither is set, as MS-ADTS says of a missing value).
    pub(crate) lifetime_days: u32,
}

/// The DC's `invocationId` and the forest's tombstone lifetime.
pub(crate) async fn dc_life(directory: &mut Directory) -> Result<DcLife, OperationError> {
    const UNSET_DAYS: u32 = 60;
    let invocation_id = match directory.root_dse.ds_service_name.clone() {
        Some(dc) => directory
            .read_object(&dc, &["invocationId"])
            .await?
            .and_then(|entry| match entry.values("invocationId") {
                [only] => Guid::try_from(only.as_slice()).ok(),
                _ => None,
            }),
        None => None,
    };
    let mut lifetime_days = UNSET_DAYS;
    if let Some(configuration) = directory.root_dse.configuration_naming_context.clone() {
        let service = format!("CN=Directory Service,CN=Windows NT,CN=Services,{configuration}");
        let names = ["tombstoneLifetime", "msDS-DeletedObjectLifetime"];
        if let Some(entry) = directory.read_object(&service, &names).await? {
            let days = |name: &str| -> Option<u32> {
                let value = entry.values(name).first()?;
                std::str::from_utf8(value).ok()?.trim().parse().ok()
            };
            lifetime_days = match (days(names[0]), days(names[1])) {
                (Some(tombstone), Some(deleted)) => tombstone.min(deleted),
                (Some(days), None) | (None, Some(days)) => days,
                (None, None) => UNSET_DAYS,
            };
        }
    }
    Ok(DcLife {
        invocation_id,
        lifetime_days,
    })
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
    match directory.read_object(dn, ACCOUNT_ATTRIBUTES).await? {
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
    let entry = directory.read_object(&base, &["objectSid"]).await.ok()??;
    adcomputer_core::model::security::sid_to_string(entry.values("objectSid").first()?)
}

/// The domain's `krbtgt` account (RID 502), whose keys encrypt every ticket; `None` when it
/// cannot be read.
pub(crate) async fn krbtgt(directory: &mut Directory) -> Option<Account> {
    let sid = format!("{}-502", domain_sid(directory).await?);
    let base = directory.root_dse.default_naming_context.clone();
    let filter = format!("(objectSid={})", escape_filter_value(&sid));
    let mut found = None;
    search_accounts(directory, &base, &filter, |account| {
        found = Some(account.clone());
    })
    .await
    .ok()?;
    found
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

/// The sAMAccountNames of the domain's objects with these SIDs (those it has), in bounded
/// filters.
pub(crate) async fn names_of_sids(
    directory: &mut Directory,
    sids: &[String],
) -> Result<hashbrown::HashMap<String, String>, QueryError> {
    use adcomputer_core::model::security::sid_to_string;
    let base = directory.root_dse.default_naming_context.clone();
    let mut names = hashbrown::HashMap::new();
    for chunk in sids.chunks(SPNS_PER_FILTER) {
        let terms: String = chunk
            .iter()
            .map(|sid| format!("(objectSid={})", escape_filter_value(sid)))
            .collect();
        let attributes = ["objectSid", "sAMAccountName"];
        directory
            .search_each(&base, &format!("(|{terms})"), &attributes, |entry| {
                let sid = entry
                    .values("objectSid")
                    .first()
                    .and_then(|sid| sid_to_string(sid));
                let name = entry.values("sAMAccountName").first().cloned();
                if let (Some(sid), Some(name)) = (sid, name) {
                    names.insert(sid, String::from_utf8_lossy(&name).into_owned());
                }
            })
            .await?;
    }
    Ok(names)
}

/// Every account under `base` that one of `names` could match, with its security: owner and
/// DACL (for the rights check and the rejoin hardening), in the same searches.
pub(crate) async fn named_with_security(
    directory: &mut Directory,
    base: &str,
    names: &[NameQuery],
    mut each: impl FnMut(&Account, ObjectSecurity),
) -> Result<(), QueryError> {
    let attributes = ACCOUNT_ATTRIBUTES;
    let mut failure: Option<ModelError> = None;
    let mut builder = AccountBuilder::default();
    for alternatives in batch_filters(names) {
        let filter = format!("(&(sAMAccountName=*){alternatives})");
        directory
            .search_each_with_security(base, &filter, attributes, |entry| {
                if failure.is_some() {
                    return;
                }
                match builder.read_entry(&entry) {
                    Ok(account) => each(
                        account,
                        ObjectSecurity::new(
                            entry
                                .values("nTSecurityDescriptor")
                                .first()
                                .map(Vec::as_slice),
                        ),
                    ),
                    Err(err) => failure = Some(err),
                }
            })
            .await?;
    }
    failure.map_or(Ok(()), |err| Err(err.into()))
}

/// What the domain head and the schema say for the hygiene checks: the domain's
/// `ms-DS-MachineAccountQuota` (when it may be read), and whether the schema defines either
/// LAPS expiration attribute (`None` when the schema cannot be read).
pub(crate) async fn domain_facts(directory: &mut Directory) -> DomainFacts {
    let domain = directory.root_dse.default_naming_context.clone();
    // Not readable is not known (coverage's note), never a failed audit.
    let quota = directory
        .read_object(&domain, &[MACHINE_ACCOUNT_QUOTA])
        .await
        .ok()
        .flatten()
        .and_then(|entry| {
            let value = entry.values(MACHINE_ACCOUNT_QUOTA).first()?.clone();
            std::str::from_utf8(&value).ok()?.trim().parse::<i64>().ok()
        });
    let mut laps_in_schema = None;
    if let Some(configuration) = directory.root_dse.configuration_naming_context.clone() {
        let filter = format!(
            "(|(lDAPDisplayName={})(lDAPDisplayName={}))",
            Attr::LegacyLapsExpiry.name(),
            Attr::LapsExpiry.name()
        );
        let mut found = false;
        let schema = format!("CN=Schema,{configuration}");
        let read = directory
            .search_each(&schema, &filter, &["lDAPDisplayName"], |_| found = true)
            .await;
        laps_in_schema = read.is_ok().then_some(found);
    }
    DomainFacts {
        machine_account_quota: quota.map_or(Quota::Unknown, |quota| Quota::Known(domain, quota)),
        laps_in_schema,
    }
}

/// The SIDs of the bound account's token: the rootDSE's `tokenGroups` (its groups, and on
/// Samba its own SID), and `own` (the account's `objectSid`, found by `user`, the bind name).
pub(crate) async fn token_sids(
    directory: &mut Directory,
    user: Option<&str>,
) -> Result<Vec<String>, OperationError> {
    use adcomputer_core::model::security::sid_to_string;
    let mut sids: Vec<String> = match directory.read_object("", &["tokenGroups"]).await? {
        Some(entry) => entry
            .values("tokenGroups")
            .iter()
            .filter_map(|sid| sid_to_string(sid))
            .collect(),
        None => Vec::new(),
    };
    if let Some(user) = user {
        let base = directory.root_dse.default_naming_context.clone();
        let filter = user_filter(user);
        directory
            .search_each(&base, &filter, &["objectSid"], |entry| {
                sids.extend(
                    entry
                        .values("objectSid")
                        .first()
                        .and_then(|sid| sid_to_string(sid)),
                );
            })
            .await?;
    }
    Ok(sids)
}

/// The filter for a bind name: `user@realm`, `DOMAIN\user` or a DN.
fn user_filter(user: &str) -> String {
    if user.contains('=') {
        format!("(distinguishedName={})", escape_filter_value(user))
    } else if let Some((_, name)) = user.split_once('\\') {
        format!("(sAMAccountName={})", escape_filter_value(name))
    } else {
        let name = user.split('@').next().unwrap_or(user);
        format!(
            "(|(userPrincipalName={})(sAMAccountName={}))",
            escape_filter_value(user),
            escape_filter_value(name)
        )
    }
}

/// Every computer's `lastLogon` as the DC of `directory` has it (not replicated: each DC its
/// own), those that never logged on there left out.
pub(crate) async fn last_logons(
    directory: &mut Directory,
) -> Result<Vec<(String, adcomputer_core::model::filetime::FileTime)>, OperationError> {
    use adcomputer_core::model::filetime::FileTime;
    let base = directory.root_dse.default_naming_context.clone();
    let mut found = Vec::new();
    directory
        .search_each(
            &base,
            "(&(objectClass=computer)(lastLogon>=1))",
            &["lastLogon"],
            |entry| {
                let logon = entry
                    .values("lastLogon")
                    .first()
                    .and_then(|value| std::str::from_utf8(value).ok()?.trim().parse::<i64>().ok());
                if let Some(logon) = logon.filter(|logon| *logon > 0) {
                    found.push((entry.dn, FileTime(logon)));
                }
            },
        )
        .await?;
    Ok(found)
}

/// The deleted computers of the domain, and whether the bound account could see them at all.
pub(crate) struct DeletedListing {
    pub(crate) computers: Vec<adcomputer_core::model::deleted::Tombstone>,
    /// The Deleted Objects container itself was readable. By default only Domain Admins may
    /// read it; to anyone else the DC shows no deleted object, and says nothing: an empty
    /// list from an account that cannot look is not "none deleted".
    pub(crate) readable: bool,
}

/// Every deleted computer of the domain (tombstones kept for the tombstone lifetime: few),
/// in the same search as the Deleted Objects container, whose visibility says whether the
/// account could see them.
pub(crate) async fn tombstones(
    directory: &mut Directory,
) -> Result<DeletedListing, OperationError> {
    use adcomputer_core::model::deleted::{DELETED_ATTRIBUTES, Tombstone};
    // The domain's Deleted Objects container by its well-known GUID: the DC reads what lies in
    // it, not every object of the domain for `isDeleted`.
    let base = format!(
        "<WKGUID={DELETED_OBJECTS_WKGUID},{}>",
        directory.root_dse.default_naming_context
    );
    let mut listing = DeletedListing {
        computers: Vec::new(),
        readable: false,
    };
    let attributes = [DELETED_ATTRIBUTES, &["objectClass"]].concat();
    let read = directory
        .search_each_deleted(
            &base,
            "(&(isDeleted=TRUE)(|(objectClass=computer)(&(objectClass=container)(isCriticalSystemObject=TRUE))))",
            &attributes,
            |entry| {
                let is_computer = entry
                    .values("objectClass")
                    .iter()
                    .any(|class| class.eq_ignore_ascii_case(b"computer"));
                if is_computer {
                    listing.computers.push(Tombstone::from_entry(&entry));
                } else {
                    listing.readable = true;
                }
            },
        )
        .await;
    match read {
        // Hidden from this reader: no such object (32), as if there were none.
        Ok(()) | Err(OperationError::Refused { rc: 32, .. }) => Ok(listing),
        Err(err) => Err(err),
    }
}

/// A DC of the domain, as the configuration partition lists it: a server object with an
/// NTDS Settings (DSA) child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DcEntry {
    /// Its DNS host name, or the server object's name when it has none.
    pub(crate) host: String,
    /// Its NTDS Settings' DN (the rootDSE's `dsServiceName` on that DC).
    pub(crate) dsa: String,
    /// The invocation ID replication metadata names it by (lower-case GUID).
    pub(crate) invocation_id: Option<String>,
}

/// Every DC of the domain's forest configuration, each once (by its DSA), in DN order.
pub(crate) async fn domain_controllers(
    directory: &mut Directory,
) -> Result<Vec<DcEntry>, OperationError> {
    use adcomputer_core::model::security::guid_to_string;
    let Some(configuration) = directory.root_dse.configuration_naming_context.clone() else {
        return Ok(Vec::new());
    };
    let base = format!("CN=Sites,{configuration}");
    let mut servers: Vec<(String, Option<String>)> = Vec::new();
    let mut dsas: Vec<(String, Option<String>)> = Vec::new();
    directory
        .search_each(
            &base,
            "(|(objectClass=server)(objectClass=nTDSDSA))",
            &["objectClass", "dNSHostName", "invocationId"],
            |entry| {
                let is_dsa = entry
                    .values("objectClass")
                    .iter()
                    .any(|class| class.eq_ignore_ascii_case(b"nTDSDSA"));
                if is_dsa {
                    let invocation = entry
                        .values("invocationId")
                        .first()
                        .and_then(|id| guid_to_string(id));
                    dsas.push((entry.dn.clone(), invocation));
                } else {
                    let host = entry
                        .values("dNSHostName")
                        .first()
                        .map(|name| String::from_utf8_lossy(name).into_owned());
                    servers.push((entry.dn.clone(), host));
                }
            },
        )
        .await?;
    let mut found: Vec<DcEntry> = dsas
        .into_iter()
        .filter_map(|(dsa, invocation_id)| {
            let (_, server) = dsa.split_once(',')?;
            let (server_dn, host) = servers
                .iter()
                .find(|(dn, _)| adcomputer_core::model::dn::same_dn(dn, server))?;
            let name = server_dn
                .split_once(',')
                .map_or(server_dn.as_str(), |(rdn, _)| rdn)
                .trim_start_matches("CN=")
                .to_string();
            Some(DcEntry {
                host: host.clone().unwrap_or(name),
                dsa,
                invocation_id,
            })
        })
        .collect();
    found.sort_by(|a, b| a.dsa.cmp(&b.dsa));
    Ok(found)
}

/// The account `dn` as the DC of `directory` holds it; `None` when that DC does not have it.
pub(crate) async fn account_on_dc(
    directory: &mut Directory,
    dn: &str,
) -> Result<Option<adcomputer_core::model::replication::DcAccount>, OperationError> {
    use adcomputer_core::model::filetime::FileTime;
    use adcomputer_core::model::replication::{DcAccount, UNICODE_PWD, last_change};
    let attributes = [
        "msDS-KeyVersionNumber",
        "pwdLastSet",
        "lastLogon",
        "replPropertyMetaData",
    ];
    let Some(entry) = directory.read_object(dn, &attributes).await? else {
        return Ok(None);
    };
    let number = |name: &str| -> Option<i64> {
        std::str::from_utf8(entry.values(name).first()?)
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    Ok(Some(DcAccount {
        key_version: number("msDS-KeyVersionNumber").and_then(|kvno| u32::try_from(kvno).ok()),
        pwd_last_set: number("pwdLastSet").map(FileTime),
        last_logon: number("lastLogon")
            .map(FileTime)
            .filter(|time| !time.is_zero()),
        password_change: entry
            .values("replPropertyMetaData")
            .first()
            .and_then(|blob| last_change(blob, UNICODE_PWD)),
    }))
}

/// The object classes of `dn` and whether it is deleted; `None` when it does not exist.
pub(crate) async fn classes_of(
    directory: &mut Directory,
    dn: &str,
) -> Result<Option<(Vec<String>, bool)>, OperationError> {
    let entry = directory
        .read_object(dn, &["objectClass", "isDeleted"])
        .await?;
    Ok(entry.map(|entry| {
        let classes = entry
            .values("objectClass")
            .iter()
            .map(|value| String::from_utf8_lossy(value).into_owned())
            .collect();
        let deleted = entry
            .values("isDeleted")
            .iter()
            .any(|value| value.eq_ignore_ascii_case(b"TRUE"));
        (classes, deleted)
    }))
}

/// An object's SPNs as they are now; empty when it has none or is gone.
pub(crate) async fn read_spns(
    directory: &mut Directory,
    dn: &str,
) -> Result<Vec<String>, OperationError> {
    let entry = directory.read_object(dn, &["servicePrincipalName"]).await?;
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

/// The domain's Group Policy as LDAP holds it: every container that links GPOs or blocks
/// inheritance (the domain head, OUs; sites are not read), every GPO, and a warning for each
/// `gPLink` that does not parse (its container then links nothing).
pub(crate) async fn group_policy(
    directory: &mut Directory,
) -> Result<(Vec<Container>, Vec<Gpo>, Vec<String>), QueryError> {
    let base = directory.root_dse.default_naming_context.clone();
    let text = |entry: &Entry, name: &str| {
        entry
            .values(name)
            .first()
            .map(|value| String::from_utf8_lossy(value).into_owned())
    };
    let mut containers = Vec::new();
    let mut warnings = Vec::new();
    directory
        .search_each(
            &base,
            // Only a domain and an OU may carry links (sites are the configuration's): asked by
            // class, the DC reads its few OUs, not every object, for the attributes.
            "(&(|(objectClass=domainDNS)(objectClass=organizationalUnit))(|(gPLink=*)(gPOptions=*)))",
            &CONTAINER_ATTRIBUTES,
            |entry| {
                let (link, options) = (text(&entry, "gPLink"), text(&entry, "gPOptions"));
                match Container::read(&entry.dn, link.as_deref(), options.as_deref()) {
                    Ok(container) => containers.push(container),
                    Err(why) => warnings.push(format!("Group Policy: not read: {why}")),
                }
            },
        )
        .await?;
    let mut gpos = Vec::new();
    directory
        .search_each(
            &format!("CN=Policies,CN=System,{base}"),
            "(objectClass=groupPolicyContainer)",
            &GPO_ATTRIBUTES,
            |entry| match Gpo::read(&entry.dn, |name| text(&entry, name)) {
                Ok(gpo) => gpos.push(gpo),
                Err(why) => warnings.push(format!("Group Policy: not read: {why}")),
            },
        )
        .await?;
    Ok((containers, gpos, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_filter_narrows_only_by_what_it_is_given() {
        assert_eq!(scan_filter(Part::ALL, None), SCAN_FILTER);
        let part = Part {
            key: PartKey::UsnCreated,
            from: Some(100),
            below: Some(200),
        };
        assert_eq!(
            scan_filter(part, None),
            format!("(&{SCAN_FILTER}(uSNCreated>=100)(uSNCreated<=199))")
        );
        // Below 0: nothing, never a bound of -1.
        let nothing = Part {
            key: PartKey::UsnCreated,
            from: None,
            below: Some(0),
        };
        assert_eq!(
            scan_filter(nothing, None),
            format!("(&{SCAN_FILTER}(!(uSNCreated>=0)))")
        );
        // Parts over several DCs: by creation time, as every DC holds it.
        let part = Part {
            key: PartKey::WhenCreated,
            from: None,
            below: Some(1_796_623_368),
        };
        assert_eq!(
            scan_filter(part, None),
            format!("(&{SCAN_FILTER}(!(whenCreated>=20261207060248.0Z)))")
        );
        // Changed after update 41: from 42 on.
        assert_eq!(
            scan_filter(Part::ALL, Some(41)),
            format!("(&{SCAN_FILTER}(uSNChanged>=42))")
        );
    }
}
