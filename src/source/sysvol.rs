//! SYSVOL: each GPO's `GptTmpl.inf`, read over SMB from the connected DC's `sysvol` share
//! with the LDAP bind's credentials — a simple bind's user and password through the `smb`
//! crate (SMB 2/3, NTLM, signing), `--kerberos`'s ticket through `smb2` — with the domain's
//! Group Policy objects over LDAP; or from a copy of SYSVOL (`--sysvol DIR`) with the
//! objects an export holds. A GPO without the file sets nothing; a file that
//! cannot be read is that GPO's "not read: why", never "nothing set".

use std::path::{Path, PathBuf};
use std::time::Duration;

use smb::{
    Connection, ConnectionConfig, FileAccessMask, FileCreateArgs, GetLen, Guid, ReadAt, Session,
    Tree, UncPath,
};

use super::LiveSource;
use crate::ldap::queries;
use adcomputer_core::model::gpo::{Gpo, MAX_TEMPLATE_BYTES, NetlogonOptions, parse_template};
use adcomputer_core::rules::group_policy::{self, Policies};
use adcomputer_core::rules::kinds::STALE_PASSWORD;
use adcomputer_core::rules::{Audit, AuditSettings};

const OBJECT_NAME_NOT_FOUND: u32 = 0xC000_0034;
const OBJECT_PATH_NOT_FOUND: u32 = 0xC000_003A;

impl super::Source {
    /// The domain's Group Policy when `wanted`: from the DC, or from an export's GPO objects
    /// (`facts`) and a copy of SYSVOL (`sysvol`); `None` when not wanted or not available.
    pub(crate) async fn policies(
        &mut self,
        wanted: bool,
        facts: &mut super::SourceFacts,
        sysvol: Option<&Path>,
    ) -> anyhow::Result<Option<Policies>> {
        Ok(match (wanted, self, sysvol) {
            (true, super::Source::Live(live), _) => Some(live.group_policy().await?),
            (true, super::Source::Ldif { .. }, Some(dir)) => {
                let objects = std::mem::take(&mut facts.group_policy);
                Some(from_folder(objects, dir))
            }
            _ => None,
        })
    }
}

impl super::Source {
    /// Live: what Group Policy says of an audit's stale passwords (under a never-rotate GPO
    /// they are `rotation_suppressed`), read only when there is a stale password to explain;
    /// what of the policy could not be read.
    pub(crate) async fn explain_stale(
        &mut self,
        settings: &AuditSettings,
        audit: &mut Audit,
    ) -> anyhow::Result<Vec<String>> {
        let stale = audit
            .findings
            .iter()
            .any(|f| f.kind() == STALE_PASSWORD.name);
        let (true, super::Source::Live(live)) = (stale, self) else {
            return Ok(Vec::new());
        };
        let policies = live.group_policy().await?;
        Ok(group_policy::judge(&policies, audit, settings))
    }
}

impl LiveSource {
    /// The domain's Group Policy: containers and GPOs over LDAP, each linked GPO's Netlogon
    /// options from SYSVOL.
    pub(crate) async fn group_policy(&mut self) -> anyhow::Result<Policies> {
        let (containers, gpos, warnings) = queries::group_policy(&mut self.directory).await?;
        let mut policies = Policies {
            containers,
            templates: vec![Ok(NetlogonOptions::default()); gpos.len()],
            gpos,
            warnings,
        };
        let linked: Vec<usize> = (0..policies.gpos.len())
            .filter(|index| {
                let gpo = &policies.gpos[*index];
                gpo.computer_settings_enabled()
                    && policies.containers.iter().any(|c| {
                        c.links
                            .iter()
                            .any(|link| !link.disabled && gpo.is(&link.gpo_dn))
                    })
            })
            .collect();
        if linked.is_empty() {
            return Ok(policies);
        }
        let read = self.templates(&policies.gpos, &linked).await;
        for (index, template) in linked.into_iter().zip(read) {
            policies.templates[index] = template;
        }
        Ok(policies)
    }

    /// The templates of `gpos[indexes]`, over one SMB session: every template at once, then
    /// the `GPT.INI` of those without one (no template sets nothing, if the GPO's folder is
    /// there at all).
    async fn templates(
        &self,
        gpos: &[Gpo],
        indexes: &[usize],
    ) -> Vec<Result<NetlogonOptions, String>> {
        let mut reader = match self.sysvol().await {
            Ok(reader) => reader,
            Err(why) => return indexes.iter().map(|_| Err(why.clone())).collect(),
        };
        let paths: Vec<Option<(String, String)>> = indexes
            .iter()
            .map(|index| {
                let gpo = &gpos[*index];
                gpo.template_path().zip(gpo.gpt_ini_path())
            })
            .collect();
        let templates: Vec<String> = paths.iter().flatten().map(|(t, _)| t.clone()).collect();
        let mut found = reader.files(&templates).await.into_iter();
        let mut read: Vec<Result<Option<Vec<u8>>, String>> = paths
            .iter()
            .map(|paths| match paths {
                Some(_) => found.next().unwrap_or(Ok(None)),
                None => Err("its gPCFileSysPath does not name a folder of sysvol".into()),
            })
            .collect();
        let without: Vec<usize> = (0..read.len())
            .filter(|at| matches!(read[*at], Ok(None)))
            .collect();
        let gpts: Vec<String> = without
            .iter()
            .filter_map(|at| paths[*at].as_ref().map(|(_, gpt)| gpt.clone()))
            .collect();
        let folders = reader.files(&gpts).await;
        if let Sysvol::Password {
            connection,
            session,
            tree,
            ..
        } = reader
        {
            let _ = tree.disconnect().await;
            let _ = session.logoff().await;
            let _ = connection.close().await;
        }
        let mut folders = folders.into_iter();
        let mut options: Vec<Result<NetlogonOptions, String>> = Vec::new();
        for (at, file) in read.iter_mut().enumerate() {
            let template = paths[at].as_ref().map_or("", |(t, _)| t.as_str());
            options.push(match std::mem::replace(file, Ok(None)) {
                Ok(Some(bytes)) => {
                    parse_template(&bytes).map_err(|why| format!("{template}: {why}"))
                }
                Ok(None) => match folders.next() {
                    Some(Ok(Some(_))) => Ok(NetlogonOptions::default()),
                    Some(Ok(None)) | None => {
                        let gpt = paths[at].as_ref().map_or("", |(_, g)| g.as_str());
                        Err(format!("its folder in sysvol is missing ({gpt} not found)"))
                    }
                    Some(Err(why)) => Err(why),
                },
                Err(why) => Err(why),
            });
        }
        options
    }

    /// The `sysvol` share of the connected DC, with the LDAP bind's credentials.
    async fn sysvol(&self) -> Result<Sysvol, String> {
        let host = self.directory.host().to_string();
        let limit = self.directory.timeout();
        let Some(user) = self.bind_user() else {
            return kerberos_share(&host, limit).await;
        };
        let Some(secret) = &self.secret else {
            return Err(format!("SMB to \\\\{host}\\sysvol as {user}: no password"));
        };
        let share = UncPath::new(&host)
            .and_then(|unc| unc.with_share("sysvol"))
            .map_err(|err| format!("\\\\{host}\\sysvol: {err}"))?;
        let identity = sspi::AuthIdentity {
            username: sspi::Username::parse(user).map_err(|err| format!("{user}: {err}"))?,
            password: secret.expose().to_string().into(),
        };
        let connect = async {
            let tcp = super::smb_tcp::Tcp::connect(&host, limit)
                .await
                .map_err(|err| err.to_string())?;
            let config = ConnectionConfig {
                timeout: Some(limit),
                ..ConnectionConfig::default()
            };
            let connection =
                Connection::from_transport(Box::new(tcp), &host, Guid::generate(), config)
                    .await
                    .map_err(|err| err.to_string())?;
            let session = within(limit, connection.authenticate(identity)).await?;
            let tree = within(limit, session.tree_connect(&share)).await?;
            Ok::<_, String>(Sysvol::Password {
                connection,
                session,
                tree,
                limit,
            })
        };
        within_time(limit, connect)
            .await
            .map_err(|why| format!("SMB to \\\\{host}\\sysvol as {user}: {why}"))
    }
}

/// A connected `sysvol` share.
enum Sysvol {
    /// Through the `smb` crate (over `smb_tcp`), with a user and password.
    Password {
        connection: Connection,
        session: Session,
        tree: Tree,
        limit: Duration,
    },
    /// With the Kerberos ticket (`--kerberos`).
    #[cfg(feature = "kerberos-bind")]
    Ticket(super::smb2::Share),
}

impl Sysvol {
    /// Files of GPOs' folders, bounded, each `None` when it does not exist. The `smb` crate's
    /// requests each wait on the network (it writes a request in pieces, so Nagle's algorithm
    /// holds each for the server's delayed acknowledgement): they are sent at once.
    async fn files(&mut self, paths: &[String]) -> Vec<Result<Option<Vec<u8>>, String>> {
        match self {
            Sysvol::Password { tree, limit, .. } => {
                let (tree, limit) = (&*tree, *limit);
                let reads = paths
                    .iter()
                    .map(|path| read_gpo_file(tree, path, limit))
                    .collect();
                super::dcs::join_all(reads).await
            }
            #[cfg(feature = "kerberos-bind")]
            Sysvol::Ticket(share) => {
                let mut read = Vec::with_capacity(paths.len());
                for path in paths {
                    read.push(share.read(path, MAX_TEMPLATE_BYTES).await);
                }
                read
            }
        }
    }
}

#[cfg(feature = "kerberos-bind")]
async fn kerberos_share(host: &str, limit: Duration) -> Result<Sysvol, String> {
    super::smb2::Share::connect(host, "sysvol", limit)
        .await
        .map(Sysvol::Ticket)
        .map_err(|why| format!("SMB to \\\\{host}\\sysvol with your Kerberos ticket: {why}"))
}

#[cfg(not(feature = "kerberos-bind"))]
async fn kerberos_share(host: &str, _: Duration) -> Result<Sysvol, String> {
    Err(format!(
        "SMB to \\\\{host}\\sysvol: this adcomputer was built without the kerberos-bind feature"
    ))
}

/// One file of a GPO's folder, bounded; `None` when it does not exist.
async fn read_gpo_file(
    tree: &Tree,
    path: &str,
    limit: Duration,
) -> Result<Option<Vec<u8>>, String> {
    let access = FileAccessMask::new().with_generic_read(true);
    let args = FileCreateArgs::make_open_existing(access);
    let resource = match tokio::time::timeout(limit, tree.create(path, &args)).await {
        Err(_) => return Err(format!("no answer within {} s", limit.as_secs())),
        Ok(Err(smb::Error::ReceivedErrorMessage(
            OBJECT_NAME_NOT_FOUND | OBJECT_PATH_NOT_FOUND,
            _,
        ))) => {
            return Ok(None);
        }
        Ok(Err(err)) => return Err(format!("{path}: {err}")),
        Ok(Ok(resource)) => resource,
    };
    let Some(file) = resource.as_file() else {
        return Err(format!("{path}: not a file"));
    };
    let length = within(limit, file.get_len()).await?;
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if length > MAX_TEMPLATE_BYTES {
        return Err(format!(
            "{path}: {length} bytes is too large for a GptTmpl.inf"
        ));
    }
    let mut bytes = vec![0; length];
    let mut filled = 0;
    while filled < length {
        let got = within(limit, file.read_at(&mut bytes[filled..], filled as u64)).await?;
        if got == 0 {
            break;
        }
        filled += got;
    }
    bytes.truncate(filled);
    let _ = file.close().await;
    Ok(Some(bytes))
}

/// `operation`, given up after `limit`; its error as a sentence.
async fn within<T>(
    limit: Duration,
    operation: impl std::future::Future<Output = smb::Result<T>>,
) -> Result<T, String> {
    within_time(limit, async {
        operation.await.map_err(|err| err.to_string())
    })
    .await
}

/// `operation`, given up after `limit`.
async fn within_time<T>(
    limit: Duration,
    operation: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(limit, operation)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", limit.as_secs())))
}

/// An export's Group Policy objects completed with the templates of a SYSVOL folder
/// (`--sysvol DIR`: the `sysvol` share's root, or one domain's folder below it).
pub(crate) fn from_folder(objects: super::PolicyObjects, dir: &Path) -> Policies {
    let templates = objects
        .gpos
        .iter()
        .map(|gpo| {
            let path = gpo
                .template_path()
                .ok_or_else(|| "its gPCFileSysPath does not name a folder of sysvol".to_string())?;
            let locate = |path: &str| {
                let parts: Vec<&str> = path.split('\\').collect();
                // The share's root holds each domain's folder; a domain's folder, Policies.
                find(dir, &parts).or_else(|| find(dir, &parts[1..]))
            };
            let gpt = gpo.gpt_ini_path().unwrap_or_default();
            match locate(&path) {
                None if locate(&gpt).is_none() => Err(format!(
                    "its folder in the copy of sysvol is missing ({gpt} not found below {})",
                    dir.display()
                )),
                None => Ok(NetlogonOptions::default()),
                Some(file) => {
                    crate::files::read_bounded(&file, MAX_TEMPLATE_BYTES as u64, "--sysvol")
                        .map_err(|err| format!("{}: {err}", file.display()))
                        .and_then(|bytes| {
                            parse_template(&bytes)
                                .map_err(|why| format!("{}: {why}", file.display()))
                        })
                }
            }
        })
        .collect();
    Policies {
        containers: objects.containers,
        gpos: objects.gpos,
        templates,
        warnings: objects.warnings,
    }
}

/// `parts` below `dir`, each matched without regard to case (a copy of SYSVOL made on another
/// system may spell `Policies` or a GUID otherwise); `None` when absent.
fn find(dir: &Path, parts: &[&str]) -> Option<PathBuf> {
    let mut at = dir.to_path_buf();
    for part in parts {
        let exact = at.join(part);
        at = if exact.exists() {
            exact
        } else {
            std::fs::read_dir(&at)
                .ok()?
                .filter_map(Result::ok)
                .find(|entry| {
                    entry
                        .file_name()
                        .to_string_lossy()
                        .eq_ignore_ascii_case(part)
                })?
                .path()
        };
    }
    at.is_file().then_some(at)
}
