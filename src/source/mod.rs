//! Where objects come from: a live DC (paged searches) or an LDIF export (one streaming read,
//! split across two workers when large). Both hand out the same `Account` model, the
//! `sPNMappings` aliases where the source has them, and `SourceFacts`: which attributes the
//! source is known to hold and whether it is complete. Every object of the domain reaches the
//! duplicate index; only those under `-b` are marked in scope for their own checks.

mod dcs;
pub(crate) mod diagnose;
pub(crate) mod encoding;
pub(crate) mod gaps;
#[cfg(feature = "kerberos-bind")]
mod gss;
pub(crate) mod ldif;
mod parts;
#[cfg(feature = "kerberos-bind")]
mod smb2;
mod smb_tcp;
mod state;
pub(crate) mod sysvol;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::ldap::{Bind, DcAddress, Directory, LdapSettings, queries};
use crate::progress::Progress;
use crate::secret::Secret;
use adcomputer_core::model::account::{Account, AccountBuilder, Attr, AttrSet};
use adcomputer_core::model::dn::NormalDn;
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::model::security::ObjectSecurity;
use adcomputer_core::model::spn::{DIRECTORY_SERVICE_RDNS, SpnAliases};
use adcomputer_core::rules::coverage::Check;
use adcomputer_core::rules::kinds::COMMON_ATTRIBUTES;
use adcomputer_core::rules::takeover::MACHINE_ACCOUNT_QUOTA;
use adcomputer_core::rules::{AuditSettings, Auditor, SpnTexts};
pub(crate) use dcs::{DomainDc, join_all};
use encoding::Encoding;
use ldif::{LdifError, LdifReader, RecordSink, Value};

/// Where accounts are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceSpec {
    /// An LDIF export; `-` is standard input.
    Ldif(PathBuf),
    Live(crate::ldap::LdapSettings),
}

/// What a scan hands out. Accounts are lent: a worker keeps what it needs.
pub(crate) enum Scanned<'a> {
    /// An object, whether it is in the reported scope (under `-b`), and where an export in
    /// memory holds it (its offset: `Source::reread` reads it there again).
    Account(&'a Account, bool, Option<u64>),
    /// The forest's `sPNMappings` (live: before any account; LDIF: where the export has them).
    SpnAliases(SpnAliases),
}

/// What is known about the source as a whole once it has been read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SourceFacts {
    /// Attributes the source is known to hold: asked for, or seen on some object.
    pub(crate) evidence: AttrSet,
    /// Why the source is incomplete, or must be read with care.
    pub(crate) warnings: Vec<String>,
    /// False when the export says its search ended early (`result:` other than 0).
    pub(crate) complete: bool,
    /// What an ldapsearch export's header and trailers said, judged once the whole export
    /// (both halves of a large one) is read.
    trailer: Trailer,
    /// The Group Policy objects of an export (containers with `gPLink`/`gPOptions`, GPOs).
    pub(crate) group_policy: PolicyObjects,
    /// An export's domain head with `ms-DS-MachineAccountQuota`: its DN and value.
    machine_account_quota: Option<(String, i64)>,
    /// With `--state`: how the DC was read.
    pub(crate) state: Option<adcomputer_core::model::snapshot::StateRead>,
}

/// Group Policy objects an export holds: what `--sysvol` completes into `Policies`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PolicyObjects {
    pub(crate) containers: Vec<adcomputer_core::rules::group_policy::Container>,
    pub(crate) gpos: Vec<adcomputer_core::model::gpo::Gpo>,
    pub(crate) warnings: Vec<String>,
}

/// An ldapsearch export's header and trailers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Trailer {
    /// `# extended LDIF`: ldapsearch wrote it, and ends its search with a `result:` line.
    header: bool,
    result: bool,
    /// The last `pagedresults:` line's cookie was not empty (`None`: no such line).
    more_pages: Option<bool>,
}

impl SourceFacts {
    fn merge(&mut self, other: SourceFacts) {
        self.evidence = self.evidence.union(other.evidence);
        self.machine_account_quota = self
            .machine_account_quota
            .take()
            .or(other.machine_account_quota);
        self.warnings.extend(other.warnings);
        let policy = other.group_policy;
        self.group_policy.containers.extend(policy.containers);
        self.group_policy.gpos.extend(policy.gpos);
        self.group_policy.warnings.extend(policy.warnings);
        self.complete &= other.complete;
        self.trailer = Trailer {
            header: self.trailer.header || other.trailer.header,
            result: self.trailer.result || other.trailer.result,
            // The later part's last page is the export's last.
            more_pages: other.trailer.more_pages.or(self.trailer.more_pages),
        };
    }

    /// Judges the export's trailers once all of it is read: an ldapsearch export without its
    /// `result:` line, or whose last page says more follow, stopped before its search ended.
    fn judge_trailer(&mut self) {
        if self.trailer.more_pages == Some(true) {
            self.complete = false;
            self.warnings.push(
                "the ldapsearch export's last page says more follow (a pagedresults cookie): it stopped before its search ended: it is incomplete"
                    .into(),
            );
        }
        if self.trailer.header && !self.trailer.result {
            self.complete = false;
            self.warnings.push(
                "the ldapsearch export has no \"result:\" line: it was cut off before its search ended"
                    .into(),
            );
        }
    }

    /// A live search holds what it asked for, and fails loudly.
    fn live(asked: AttrSet) -> SourceFacts {
        SourceFacts {
            evidence: asked,
            complete: true,
            ..SourceFacts::default()
        }
    }
}

/// What needs a DC, for the one message that says so.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NeedsDc {
    Write(&'static str),
    Read(&'static str),
}

/// A bound DC connection and what is needed to open another (the global catalog).
pub(crate) struct LiveSource {
    pub(crate) directory: Directory,
    /// The reported scope (`-b`, else the domain).
    base: String,
    settings: LdapSettings,
    /// The simple bind's password (`None` with Kerberos).
    secret: Option<Secret>,
    /// `--state`: where what a scan read is kept for the next run.
    pub(crate) state: Option<PathBuf>,
    /// The thread keeping it, and why it could not.
    keeping: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl LiveSource {
    /// The reported scope (`-b`, else the domain).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Every candidate for `names` under the scope, each once, with its security by DN.
    pub(crate) async fn named_with_security(
        &mut self,
        names: &[NameQuery],
    ) -> anyhow::Result<(
        Vec<Account>,
        std::collections::HashMap<String, ObjectSecurity>,
    )> {
        let base = self.base.clone();
        let mut candidates: Vec<Account> = Vec::new();
        let mut security = std::collections::HashMap::new();
        crate::ldap::queries::named_with_security(
            &mut self.directory,
            &base,
            names,
            |account, found| {
                if security.insert(account.dn.clone(), found).is_none() {
                    candidates.push(account.clone());
                }
            },
        )
        .await?;
        Ok((candidates, security))
    }

    /// The computers in Deleted Objects, or why the bound account cannot see them (by default
    /// only Domain Admins may: to others the DC shows none, without saying so).
    pub(crate) async fn tombstones(
        &mut self,
    ) -> anyhow::Result<Result<Vec<adcomputer_core::model::deleted::Tombstone>, String>> {
        let listing = queries::tombstones(&mut self.directory).await?;
        Ok(match listing.readable {
            true => Ok(listing.computers),
            false => Err(format!(
                "deleted computers not listed: {} cannot see deleted objects (CN=Deleted Objects; by default only Domain Admins may read it)",
                self.bound_as()
            )),
        })
    }

    /// Who the connection is bound as, for messages: the simple bind's user as given, or
    /// the Kerberos ticket's principal (whose name the ticket cache holds, not adcomputer).
    pub(crate) fn bound_as(&self) -> &str {
        self.bind_user()
            .unwrap_or("your Kerberos ticket's principal")
    }

    /// The simple bind's user as given (`None` for a Kerberos bind).
    pub(crate) fn bind_user(&self) -> Option<&str> {
        match &self.settings.bind {
            crate::ldap::Bind::Simple { user, .. } => Some(user),
            crate::ldap::Bind::Kerberos => None,
        }
    }
}

pub(crate) enum Source {
    Live(Box<LiveSource>),
    Ldif {
        path: PathBuf,
        base: Option<String>,
        /// The export file the last scan mapped into memory, still open: where `reread`
        /// finds a record again.
        opened: Option<File>,
    },
}

impl Source {
    /// Live, the deleted computers when the bound account may list them; else `None`, with a
    /// warning saying what is then not judged. `None` offline.
    pub(crate) async fn tombstones_if_listed(
        &mut self,
        warnings: &mut Vec<String>,
    ) -> anyhow::Result<Option<Vec<adcomputer_core::model::deleted::Tombstone>>> {
        let Source::Live(live) = self else {
            return Ok(None);
        };
        Ok(match live.tombstones().await? {
            Ok(deleted) => Some(deleted),
            Err(why) => {
                warnings.push(format!(
                    "{why}; whether an account was deleted and created again is not judged"
                ));
                None
            }
        })
    }

    /// What the domain object and the schema say (`DomainFacts`): from the DC, or from an
    /// export's domain head (`facts`). The quota only when the domain head is in scope.
    async fn domain_facts(&mut self, facts: &SourceFacts) -> adcomputer_core::rules::DomainFacts {
        use adcomputer_core::rules::{DomainFacts, Quota};
        let (mut found, base) = match self {
            Source::Live(live) => {
                let mut found = queries::domain_facts(&mut live.directory).await;
                let domain = &live.directory.root_dse.default_naming_context;
                let in_scope = NormalDn::parse(&live.base) == NormalDn::parse(domain);
                if !in_scope {
                    found.machine_account_quota = Quota::OutOfScope;
                }
                return found;
            }
            Source::Ldif { base, .. } => {
                let quota = match &facts.machine_account_quota {
                    Some((dn, quota)) => Quota::Known(dn.clone(), *quota),
                    None => Quota::Unknown,
                };
                let found = DomainFacts {
                    machine_account_quota: quota,
                    laps_in_schema: None,
                };
                (found, base.as_deref().and_then(NormalDn::parse))
            }
        };
        // Offline, `-b` names the domain head only if the export's head has that DN.
        if let (Some(base), Quota::Known(domain, _)) = (&base, &found.machine_account_quota)
            && NormalDn::parse(domain).as_ref() != Some(base)
        {
            found.machine_account_quota = Quota::OutOfScope;
        }
        found
    }

    /// The check commands' pass over the source: an auditor per worker (remembering what it
    /// saw when a baseline is compared), their duplicate indexes and findings sorted each on
    /// its own core, then joined (the findings copied on one core while the other reads the
    /// duplicates' holders again); with `forest`, the global catalog's SPN holders too; what
    /// the domain object and the schema say.
    pub(crate) async fn audit(
        &mut self,
        settings: &AuditSettings,
        forest: bool,
        remember: bool,
    ) -> anyhow::Result<(Auditor, SourceFacts)> {
        let size_hint = self.size_hint();
        let (mut workers, facts) = self
            .scan(
                settings.scan_attributes(),
                || {
                    let mut auditor = Auditor::new(settings.clone(), size_hint);
                    if remember {
                        auditor.remember_seen();
                    }
                    auditor
                },
                |auditor, item| match item {
                    Scanned::Account(account, in_scope, at) => {
                        let texts = at.map_or(SpnTexts::Kept, SpnTexts::At);
                        auditor.observe(account, in_scope, (!forest).then_some(texts))
                    }
                    Scanned::SpnAliases(aliases) => auditor.set_aliases(aliases),
                },
            )
            .await?;
        std::thread::scope(|scope| {
            for auditor in &mut workers {
                scope.spawn(move || auditor.prepare());
            }
        });
        // The duplicate index kept where an export holds its holders, not their texts.
        let mut workers = workers.into_iter();
        let first = workers.next().expect("a scan has a worker");
        let mut auditor = first
            .join(workers.collect(), &|at| self.reread(at))
            .map_err(anyhow::Error::msg)?;
        if forest && settings.wants(Check::DUPLICATE_SPN) {
            self.scan_global_catalog(|account, in_scope| auditor.index_only(account, in_scope))
                .await?;
        }
        if settings.wants(Check::OWNERSHIP) || settings.wants(Check::LAPS) {
            auditor.domain(&self.domain_facts(&facts).await);
        }
        // Who owns or created what, by name: the DC knows (an export names SIDs only); a
        // name it does not give leaves the SID.
        if let Source::Live(live) = self
            && settings.wants(Check::OWNERSHIP)
        {
            let sids = auditor.principals();
            if !sids.is_empty()
                && let Ok(names) = queries::names_of_sids(&mut live.directory, &sids).await
            {
                auditor.name_principals(&names);
            }
        }
        Ok((auditor, facts))
    }

    /// Opens the source: for a DC, connects, binds, reads the rootDSE and checks the base.
    pub(crate) async fn open(spec: &SourceSpec, base: Option<&str>) -> anyhow::Result<Source> {
        match spec {
            SourceSpec::Ldif(path) => {
                if let Some(base) = base {
                    anyhow::ensure!(
                        NormalDn::parse(base).is_some(),
                        "-b {base}: not a distinguished name"
                    );
                }
                Ok(Source::Ldif {
                    path: path.clone(),
                    base: base.map(str::to_string),
                    opened: None,
                })
            }
            SourceSpec::Live(settings) => {
                let secret = match &settings.bind {
                    Bind::Simple { user, password } => Some(password.read(user)?),
                    Bind::Kerberos => None,
                };
                let mut directory = Directory::connect(settings, secret.as_ref()).await?;
                let base = match base {
                    Some(base) => {
                        queries::check_base(&mut directory, base).await?;
                        base.to_string()
                    }
                    None => directory.root_dse.default_naming_context.clone(),
                };
                Ok(Source::Live(Box::new(LiveSource {
                    directory,
                    base,
                    settings: settings.clone(),
                    secret,
                    state: None,
                    keeping: None,
                })))
            }
        }
    }

    /// The live DC, or the one error that says this work needs one.
    pub(crate) fn live(&mut self, needs: NeedsDc) -> anyhow::Result<&mut LiveSource> {
        match self {
            Source::Live(live) => Ok(live),
            Source::Ldif { .. } => Err(match needs {
                NeedsDc::Write(what) => {
                    anyhow::anyhow!("{what} writes to a DC: give -H URL, not --from-ldif")
                }
                NeedsDc::Read(what) => {
                    anyhow::anyhow!("{what} needs a live DC: give -H URL, not --from-ldif")
                }
            }),
        }
    }

    /// The size of an LDIF file in bytes (not known for a DC or standard input).
    pub(crate) fn size_hint(&self) -> Option<u64> {
        match self {
            Source::Ldif { path, .. } => std::fs::metadata(path).ok().map(|meta| meta.len()),
            Source::Live(_) => None,
        }
    }

    /// How reports name this source: the DC's URL, or `ldif:PATH`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Source::Live(live) => live.directory.target().to_string(),
            Source::Ldif { path, .. } => format!("ldif:{}", path.display()),
        }
    }

    /// Every object that any of `names` could match (the candidates for `NameQuery::resolve`),
    /// each once.
    pub(crate) async fn candidates(&mut self, names: &[NameQuery]) -> anyhow::Result<Vec<Account>> {
        let mut found: Vec<Account> = Vec::new();
        match self {
            Source::Live(live) => {
                let LiveSource {
                    directory, base, ..
                } = live.as_mut();
                queries::accounts_named(directory, base, names, |account| {
                    found.push(account.clone());
                })
                .await?;
            }
            Source::Ldif { path, base, .. } => {
                let base = base.as_deref().and_then(NormalDn::parse);
                let input = open_ldif(path)?;
                read_records(LdifReader::new(input), base.as_ref(), None, &mut |item| {
                    if let Scanned::Account(account, true, _) = item
                        && names.iter().any(|name| name.matches(account))
                    {
                        found.push(account.clone());
                    }
                })
                .with_context(|| path.display().to_string())?;
            }
        }
        let mut seen = hashbrown::HashSet::new();
        found.retain(|account| seen.insert(account.dn.clone()));
        Ok(found)
    }

    /// Streams every computer and every SPN holder of the domain, with the SPN aliases, to
    /// workers made by `new_worker`: one for a DC or a small file, two for a large LDIF file
    /// (each parses and examines half of it on its own core). Returns the workers to merge and
    /// what is known about the source.
    pub(crate) async fn scan<W: Send>(
        &mut self,
        attributes: AttrSet,
        new_worker: impl Fn() -> W + Sync,
        each: impl Fn(&mut W, Scanned<'_>) + Sync,
    ) -> anyhow::Result<(Vec<W>, SourceFacts)> {
        let progress = Progress::new("reading accounts");
        let each = |worker: &mut W, item: Scanned<'_>| {
            progress.tick();
            each(worker, item);
        };
        let scanned = match self {
            Source::Live(live) => {
                let (workers, state, warnings) = live.scan(attributes, &new_worker, &each).await?;
                let mut facts = SourceFacts::live(attributes);
                facts.state = state;
                facts.warnings = warnings;
                (workers, facts)
            }
            Source::Ldif { path, base, opened } => {
                let base = base.as_deref().and_then(NormalDn::parse);
                let in_scan_scope = |worker: &mut W, item: Scanned<'_>| match item {
                    Scanned::Account(account, ..) if !account.in_scan_scope() => {}
                    item => each(worker, item),
                };
                let (workers, facts, file) =
                    scan_ldif(path, base.as_ref(), &new_worker, &in_scan_scope)?;
                *opened = file;
                (workers, facts)
            }
        };
        progress.finish();
        Ok(scanned)
    }

    /// Streams every SPN holder of the forest from the global catalog (port 3269, or 3268 with
    /// StartTLS), on a second connection with the same credentials, with whether it is in the
    /// reported scope.
    pub(crate) async fn scan_global_catalog(
        &mut self,
        mut each: impl FnMut(&Account, bool),
    ) -> anyhow::Result<()> {
        let live = self.live(NeedsDc::Read("--forest"))?;
        let settings = global_catalog_settings(&live.settings, live.directory.target())?;
        let mut catalog = Directory::connect(&settings, live.secret.as_ref()).await?;
        let scope = NormalDn::parse(&live.base);
        let progress = Progress::new("reading the global catalog");
        queries::spn_holders_in_forest(&mut catalog, |account| {
            progress.tick();
            let in_scope = scope.as_ref().is_none_or(|scope| {
                NormalDn::parse(&account.dn).is_some_and(|dn| dn.is_under(scope))
            });
            each(account, in_scope);
        })
        .await?;
        progress.finish();
        catalog.close().await;
        Ok(())
    }

    /// The account whose record starts at `at` in the export the last scan mapped
    /// (`Scanned::Account`'s offset), read again.
    fn reread(&self, at: u64) -> Result<Account, String> {
        use std::os::unix::fs::FileExt;
        let Source::Ldif {
            opened: Some(file),
            path,
            ..
        } = self
        else {
            return Err("no export file open to read a record from again".into());
        };
        let again = || {
            format!(
                "{}: the record at byte {at} cannot be read again",
                path.display()
            )
        };
        // Read, not mapped: a few thousand records spread over a large export would otherwise
        // fault in (and count as resident) the pages around each, and handing them back costs
        // every core a TLB flush. A page first (most records fit), four times more while the
        // record goes on past what was read.
        let mut bytes = vec![0; 4 << 10];
        loop {
            let read = file.read_at(&mut bytes, at).map_err(|_| again())?;
            let whole = read < bytes.len();
            let mut reader = LdifReader::from_slice(&bytes[..read]);
            let mut sink = ScanSink::default();
            let parsed = reader.next_record(&mut sink);
            // A record that reaches the end of what was read may go on past it.
            if !whole && reader.read_to() >= read {
                if bytes.len() > 2 * ldif::MAX_RECORD_BYTES {
                    return Err(again());
                }
                bytes.resize(bytes.len() * 4, 0);
                continue;
            }
            return match (parsed, sink.finish(None, None)) {
                (Ok(true), Ok(Some(Scanned::Account(account, ..)))) => Ok(account.clone()),
                _ => Err(again()),
            };
        }
    }

    /// With `--state`: waits until what was read is kept; why it could not be.
    pub(crate) fn state_kept(&mut self) -> Option<String> {
        match self {
            Source::Live(live) => live.state_kept(),
            Source::Ldif { .. } => None,
        }
    }

    pub(crate) async fn close(self) {
        if let Source::Live(mut live) = self {
            // A run that ended before its report still leaves a whole state, or none.
            live.state_kept();
            live.directory.close().await;
        }
    }
}

/// The file (or standard input) decoded to UTF-8, and the encoding it announced.
fn open_decoded(path: &Path) -> anyhow::Result<(Box<dyn Read + Send>, Encoding)> {
    let raw: Box<dyn Read + Send> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?)
    };
    encoding::decoded(raw).with_context(|| format!("cannot read {}", path.display()))
}

fn open_ldif(path: &Path) -> anyhow::Result<Box<dyn Read + Send>> {
    Ok(open_decoded(path)?.0)
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

/// Splits an LDIF stream into accounts and the Directory Service object's `sPNMappings`, and
/// learns what the export holds from its values, ldapsearch's `# requesting:` header and its
/// `result:` lines.
struct ScanSink {
    account: AccountBuilder,
    /// `Some` while the current entry is the Directory Service object.
    mappings: Option<Vec<String>>,
    /// The current entry's Group Policy values (`gPLink`, `gPOptions`, a GPO's own) and the
    /// domain head's machine account quota.
    policy: PolicyValues,
    facts: SourceFacts,
}

/// The Group Policy values of the entry being read.
#[derive(Default)]
struct PolicyValues {
    dn: String,
    /// The entry is a `groupPolicyContainer` (by its DN under CN=Policies,CN=System).
    is_gpo: bool,
    gp_link: Option<String>,
    gp_options: Option<String>,
    gpo: Vec<(&'static str, String)>,
    /// The domain head's `ms-DS-MachineAccountQuota`.
    quota: Option<String>,
}

impl PolicyValues {
    fn start(&mut self, dn: &str) {
        self.gp_link = None;
        self.gp_options = None;
        self.quota = None;
        self.gpo.clear();
        // Cheap for the millions of accounts: only a DN that starts like a GPO's is lowered.
        self.is_gpo = dn
            .get(..4)
            .is_some_and(|start| start.eq_ignore_ascii_case("cn={"))
            && dn.to_ascii_lowercase().contains(",cn=policies,cn=system,");
        if self.is_gpo {
            dn.clone_into(&mut self.dn);
        }
    }

    /// Keeps a value when it is one of Group Policy's; cheap for every other.
    fn value(&mut self, name: &[u8], value: &[u8]) {
        let text = || String::from_utf8_lossy(value).into_owned();
        match name.len() {
            6 if name.eq_ignore_ascii_case(b"gPLink") => self.gp_link = Some(text()),
            9 if name.eq_ignore_ascii_case(b"gPOptions") => self.gp_options = Some(text()),
            25 if name.eq_ignore_ascii_case(MACHINE_ACCOUNT_QUOTA.as_bytes()) => {
                self.quota = Some(text());
            }
            _ if self.is_gpo => {
                if let Some(known) = adcomputer_core::model::gpo::GPO_ATTRIBUTES
                    .iter()
                    .find(|known| name.eq_ignore_ascii_case(known.as_bytes()))
                {
                    self.gpo.push((known, text()));
                }
            }
            _ => {}
        }
    }

    /// The finished entry's Group Policy objects, into `found`.
    fn finish(&mut self, dn: &str, found: &mut PolicyObjects) {
        let mut not_read = |why: String| {
            found
                .warnings
                .push(format!("Group Policy: not read: {why}"))
        };
        if self.gp_link.is_some() || self.gp_options.is_some() {
            let (link, options) = (self.gp_link.as_deref(), self.gp_options.as_deref());
            match adcomputer_core::rules::group_policy::Container::read(dn, link, options) {
                Ok(container) => found.containers.push(container),
                Err(why) => not_read(why),
            }
        }
        if self.is_gpo {
            let value = |name: &str| {
                self.gpo
                    .iter()
                    .find(|(known, _)| *known == name)
                    .map(|(_, value)| value.clone())
            };
            match adcomputer_core::model::gpo::Gpo::read(&self.dn, value) {
                Ok(gpo) => found.gpos.push(gpo),
                Err(why) => not_read(why),
            }
        }
    }
}

impl Default for ScanSink {
    fn default() -> Self {
        ScanSink {
            account: AccountBuilder::default(),
            mappings: None,
            policy: PolicyValues::default(),
            facts: SourceFacts {
                complete: true,
                ..SourceFacts::default()
            },
        }
    }
}

impl RecordSink for ScanSink {
    fn start(&mut self, dn: &str) {
        self.policy.start(dn);
        if starts_with_ignore_case(dn, DIRECTORY_SERVICE_RDNS) {
            self.mappings = Some(Vec::new());
        } else {
            self.mappings = None;
            self.account.start(dn);
        }
    }

    fn value(&mut self, name: &[u8], value: Value<'_>) {
        self.policy.value(name, value);
        match &mut self.mappings {
            Some(mappings) if name.eq_ignore_ascii_case(b"sPNMappings") => {
                mappings.push(String::from_utf8_lossy(value).into_owned());
            }
            Some(_) => {}
            None => self.account.value(name, value),
        }
    }

    fn text_value(&mut self, name: &[u8], text: &str) {
        if self.mappings.is_none() {
            self.policy.value(name, text.as_bytes());
        }
        match &mut self.mappings {
            Some(_) => self.value(name, text.as_bytes()),
            None => self.account.text_value(name, text),
        }
    }

    fn comment(&mut self, text: &[u8]) {
        // ldapsearch's header comes first; every entry has a comment line too, so be quick.
        let text = text.trim_ascii();
        if text == b"extended LDIF" {
            self.facts.trailer.header = true;
        } else if let Some(asked) = text.strip_prefix(b"requesting:") {
            let asked = String::from_utf8_lossy(asked);
            self.facts.evidence = self.facts.evidence.union(requested(&asked));
        }
    }

    fn paged(&mut self, more: bool) {
        self.facts.trailer.more_pages = Some(more);
    }

    fn result(&mut self, code: u32, text: &str) {
        self.facts.trailer.result = true;
        if code != 0 {
            self.facts.complete = false;
            self.facts.warnings.push(format!(
                "the export ends in \"result: {code} {text}\": it is incomplete"
            ));
        }
    }
}

/// The attributes an ldapsearch `# requesting:` line names (`ALL` and `*`: every ordinary
/// attribute, which leaves out the constructed key version).
fn requested(asked: &str) -> AttrSet {
    let mut set = AttrSet::default();
    for word in asked.split_whitespace() {
        if word == "ALL" || word == "*" {
            // `*` is every stored attribute a reader may see: not the constructed key version,
            // nor the security descriptor, which a DC returns only when named.
            let not_in_all = AttrSet::of(&[Attr::KeyVersionNumber, Attr::SecurityDescriptor]);
            set = set.union(AttrSet::EVERY.without(not_in_all));
        } else if let Some(attr) = Attr::of(word.as_bytes()) {
            set.insert(attr);
        }
    }
    set
}

impl ScanSink {
    /// What the export as a whole says, once read: an ldapsearch export without its result
    /// line was cut off.
    fn into_facts(self) -> SourceFacts {
        self.facts
    }

    /// What the entry just read was, if anything a scan hands out.
    fn finish(
        &mut self,
        base: Option<&NormalDn>,
        at: Option<u64>,
    ) -> anyhow::Result<Option<Scanned<'_>>> {
        if let Some(mappings) = self.mappings.take() {
            let values = mappings.iter().map(String::as_str);
            return Ok((!mappings.is_empty())
                .then(|| Scanned::SpnAliases(SpnAliases::from_mappings(values))));
        }
        let account = self.account.finished()?;
        self.policy
            .finish(&account.dn, &mut self.facts.group_policy);
        if let Some(quota) = self.policy.quota.take() {
            match quota.trim().parse::<i64>() {
                Ok(quota) => self.facts.machine_account_quota = Some((account.dn.clone(), quota)),
                Err(_) => self.facts.warnings.push(format!(
                    "{}: ms-DS-MachineAccountQuota {quota:?} is not a number: not judged",
                    account.dn
                )),
            }
        }
        self.facts.evidence = self.facts.evidence.union(account.present);
        let in_scope = base
            .is_none_or(|base| NormalDn::parse(&account.dn).is_some_and(|dn| dn.is_under(base)));
        Ok(Some(Scanned::Account(account, in_scope, at)))
    }
}

/// Files at least this large are read by two workers, one for each half.
const SPLIT_AT_BYTES: usize = 64 << 20;

/// Reads an LDIF export into workers. A regular UTF-8 file is mapped into memory and parsed
/// where it lies; when large, it is split at a record boundary near its middle and each half
/// parsed by its own worker; the file is handed back with the workers (accounts come with their
/// records' offsets in it). Standard input and UTF-16 are read as streams by one worker.
fn scan_ldif<W: Send>(
    path: &Path,
    base: Option<&NormalDn>,
    new_worker: &(impl Fn() -> W + Sync),
    each: &(impl Fn(&mut W, Scanned<'_>) + Sync),
) -> anyhow::Result<(Vec<W>, SourceFacts, Option<File>)> {
    let context = || path.display().to_string();
    if path != Path::new("-") {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let metadata = file.metadata().with_context(context)?;
        if metadata.is_file() && metadata.len() > 0 {
            // SAFETY: the mapping is read only, and an export is not rewritten while it is
            // audited; were it truncated meanwhile, the process would stop (SIGBUS), never
            // report wrong findings.
            let map = unsafe { memmap2::Mmap::map(&file) }.with_context(context)?;
            let (encoding, mark) = Encoding::sniff(&map[..map.len().min(3)]);
            if encoding == Encoding::Utf8 {
                let (workers, mut facts) =
                    scan_mapped(&map, mark, base, new_worker, each).with_context(context)?;
                facts.judge_trailer();
                return Ok((workers, facts, Some(file)));
            }
        }
    }
    let (input, _) = open_decoded(path)?;
    let mut worker = new_worker();
    let mut facts = read_records(LdifReader::new(input), base, None, &mut |item| {
        each(&mut worker, item)
    })
    .with_context(context)?;
    facts.judge_trailer();
    Ok((vec![worker], facts, None))
}

/// Parses an export in memory, from byte `start` (after a byte-order mark): two workers for a
/// large one, else one.
fn scan_mapped<W: Send>(
    map: &[u8],
    start: usize,
    base: Option<&NormalDn>,
    new_worker: &(impl Fn() -> W + Sync),
    each: &(impl Fn(&mut W, Scanned<'_>) + Sync),
) -> anyhow::Result<(Vec<W>, SourceFacts)> {
    let bytes = &map[start..];
    let read = |part: &[u8], origin: usize| -> anyhow::Result<(W, SourceFacts)> {
        let mut worker = new_worker();
        let reader = LdifReader::from_slice(part);
        let facts = read_records(reader, base, Some(origin as u64), &mut |item| {
            each(&mut worker, item)
        })?;
        Ok((worker, facts))
    };
    let Some(split) = record_boundary_near_middle(bytes) else {
        let (worker, facts) = read(bytes, start)?;
        return Ok((vec![worker], facts));
    };
    let (first, second) = bytes.split_at(split);
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| read(second, start + split));
        let first = read(first, start);
        let second = second
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("an LDIF reader thread panicked")));
        (first, second)
    });
    let (first, mut facts) = first?;
    // The second half counts lines from the split: report them from the start.
    let (second, second_facts) = second.map_err(|err| match err.downcast::<LdifError>() {
        Ok(LdifError::Syntax { line, message }) => anyhow::Error::new(LdifError::Syntax {
            line: line + memchr::memchr_iter(b'\n', &bytes[..split]).count(),
            message,
        }),
        Ok(other) => anyhow::Error::new(other),
        Err(other) => other,
    })?;
    facts.merge(second_facts);
    Ok((vec![first, second], facts))
}

/// The offset just after the first blank line at or past the middle of a large export (a
/// record boundary), or `None` for a small one or one without such a line there.
fn record_boundary_near_middle(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < SPLIT_AT_BYTES {
        return None;
    }
    let middle = bytes.len() / 2;
    let window = &bytes[middle..(middle + (1 << 20)).min(bytes.len())];
    // "\n\n", or "\n\r\n" in a CRLF export.
    memchr::memmem::find(window, b"\n\n")
        .map(|at| at + 2)
        .or_else(|| memchr::memmem::find(window, b"\n\r\n").map(|at| at + 3))
        .map(|at| middle + at)
}

/// Reads LDIF records, hands out their accounts and `sPNMappings`, and says what the export
/// holds. `origin`: where the reader's bytes start in a mapped export (accounts then come with
/// their records' offsets in it).
fn read_records<R: Read>(
    mut reader: LdifReader<'_, R>,
    base: Option<&NormalDn>,
    origin: Option<u64>,
    each: &mut dyn FnMut(Scanned<'_>),
) -> anyhow::Result<SourceFacts> {
    let mut sink = ScanSink::default();
    while reader.next_record(&mut sink)? {
        let at = origin.zip(reader.record_at()).map(|(o, at)| o + at as u64);
        if let Some(item) = sink.finish(base, at)? {
            each(item);
        }
    }
    Ok(sink.into_facts())
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

impl Source {
    /// Every computer and SPN holder of the domain, with whether it is under `-b`, the
    /// aliases (`sPNMappings`), and the source's warnings: what `spn fix` plans from.
    pub(crate) async fn read_domain(
        &mut self,
    ) -> anyhow::Result<(Vec<(Account, bool)>, SpnAliases, Vec<String>)> {
        type Worker = (Vec<(Account, bool)>, Option<SpnAliases>);
        let (workers, facts) = self
            .scan(
                // What spn fix plans from: the SPN checks' attributes.
                [Check::MISSING_SPN, Check::STALE_SPN, Check::DUPLICATE_SPN]
                    .iter()
                    .fold(AttrSet::of(COMMON_ATTRIBUTES), |all, check| {
                        all.union(check.reads())
                    }),
                || (Vec::new(), None),
                |(accounts, aliases): &mut Worker, item| match item {
                    Scanned::Account(account, in_scope, _) => {
                        accounts.push((account.clone(), in_scope));
                    }
                    Scanned::SpnAliases(found) => *aliases = Some(found),
                },
            )
            .await?;
        let mut accounts = Vec::new();
        let mut aliases = SpnAliases::default();
        for (found, found_aliases) in workers {
            accounts.extend(found);
            if let Some(found_aliases) = found_aliases {
                aliases = found_aliases;
            }
        }
        Ok((accounts, aliases, facts.warnings))
    }
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
            connections: 1,
            dns_server: None,
        };
        let gc = |dc: &str| global_catalog_settings(&settings, dc).unwrap().address;
        let url = |text: &str| DcAddress::Url(text.into());
        assert_eq!(gc("ldaps://dc1.x.test:636"), url("ldaps://dc1.x.test:3269"));
        assert_eq!(gc("ldap://dc1.x.test:389"), url("ldap://dc1.x.test:3268"));
    }

    #[test]
    fn ldapsearch_headers_say_what_was_asked() {
        assert_eq!(requested(" ALL").names().len(), 17);
        assert!(!requested(" ALL").contains(Attr::SecurityDescriptor));
        assert!(!requested(" ALL").contains(Attr::KeyVersionNumber));
        assert_eq!(
            requested(" servicePrincipalName sAMAccountName x").names(),
            ["sAMAccountName", "servicePrincipalName"]
        );
    }
}
