//! Every DC of the domain, reached at once: the configuration partition lists them (each DC
//! once, by its NTDS Settings object), the domain's DNS gives their addresses (`--dns-server`,
//! then the DC already connected to, then the system's DNS servers — never `/etc/hosts`
//! alone), and each gets its own connection, made and used in parallel, so a run over all DCs
//! takes about as long as the slowest one.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::Poll;

use super::LiveSource;
use crate::ldap::{Bind, DcAddress, Directory, LdapSettings, queries, resolve_dc};
use adcomputer_core::model::filetime::FileTime;

/// One DC of the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DomainDc {
    /// Its DNS host name (what its certificate and its Kerberos name say).
    pub(crate) host: String,
    /// The invocation ID replication metadata names it by.
    pub(crate) invocation_id: Option<String>,
    /// The DC this run is connected to: the one a write goes to.
    pub(crate) current: bool,
    /// Its address in the domain's DNS, or why it has none.
    pub(crate) address: Result<IpAddr, String>,
}

impl DomainDc {
    /// Its KDC (port 88 at its address); `None` without an address.
    pub(crate) fn kdc(&self) -> Option<adcomputer_core::model::kdc::Kdc> {
        self.address
            .as_ref()
            .ok()
            .map(|address| adcomputer_core::model::kdc::Kdc::for_host(&address.to_string()))
    }
}

/// Runs `futures` concurrently on this thread and returns their outputs in order.
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(context) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|output| output.expect("polled to completion"))
        .collect()
}

impl LiveSource {
    /// The domain's DCs, each once, with their addresses from the domain's DNS.
    pub(crate) async fn domain_dcs(&mut self) -> anyhow::Result<Vec<DomainDc>> {
        let entries = queries::domain_controllers(&mut self.directory).await?;
        let current_dsa = self.directory.root_dse.ds_service_name.clone();
        let current_address = self.current_address().await;
        let mut dns_servers: Vec<IpAddr> = self.settings.dns_server.into_iter().collect();
        dns_servers.extend(current_address);
        let lookups = entries.iter().map(|entry| {
            let current = current_dsa
                .as_deref()
                .is_some_and(|dsa| adcomputer_core::model::dn::same_dn(dsa, &entry.dsa));
            let dns_servers = &dns_servers;
            async move {
                let address = match current_address.filter(|_| current) {
                    Some(address) => Ok(address),
                    None => resolve_dc(&entry.host, dns_servers).await,
                };
                DomainDc {
                    host: entry.host.clone(),
                    invocation_id: entry.invocation_id.clone(),
                    current,
                    address,
                }
            }
        });
        Ok(join_all(lookups.collect()).await)
    }

    /// The address this run's connection goes to.
    async fn current_address(&self) -> Option<IpAddr> {
        let host = self.directory.host().trim_matches(['[', ']']).to_string();
        if let Ok(address) = host.parse() {
            return Some(address);
        }
        tokio::net::lookup_host((host.as_str(), 0))
            .await
            .ok()?
            .next()
            .map(|socket| socket.ip())
    }

    /// Connects to each of `dcs` at once, as this run is bound: by address, the certificate
    /// checked for the DC's name (a Kerberos bind needs the name itself).
    pub(crate) async fn connect_each(&self, dcs: &[DomainDc]) -> Vec<Result<Directory, String>> {
        let attempts = dcs.iter().map(|dc| async move {
            let settings = self.settings_for(dc)?;
            Directory::connect(&settings, self.secret.as_ref())
                .await
                .map_err(|err| err.to_string())
        });
        join_all(attempts.collect()).await
    }

    pub(super) fn settings_for(&self, dc: &DomainDc) -> Result<LdapSettings, String> {
        let address = dc.address.as_ref().map_err(Clone::clone)?;
        let mut url = url::Url::parse(self.directory.target()).map_err(|err| err.to_string())?;
        let kerberos = self.settings.bind == Bind::Kerberos;
        let host = if kerberos {
            dc.host.clone()
        } else {
            match address {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            }
        };
        url.set_host(Some(&host)).map_err(|err| err.to_string())?;
        let mut settings = self.settings.clone();
        settings.address = DcAddress::Url(url.to_string());
        if !kerberos {
            settings.tls.server_name = Some(dc.host.clone());
        }
        Ok(settings)
    }
}

impl LiveSource {
    /// The newest `lastLogon` of every computer over all DCs (each DC read at once), by lower-cased
    /// DN, and a warning for each DC that could not be read.
    pub(crate) async fn newest_logons(
        &mut self,
    ) -> anyhow::Result<(std::collections::HashMap<String, FileTime>, Vec<String>)> {
        let dcs = self.domain_dcs().await?;
        let mut links = self.connect_each(&dcs).await;
        let reads = links.iter_mut().map(|link| async {
            match link {
                Ok(directory) => queries::last_logons(directory)
                    .await
                    .map_err(|err| err.to_string()),
                Err(why) => Err(why.clone()),
            }
        });
        let mut newest = std::collections::HashMap::new();
        let mut unread = Vec::new();
        for (dc, read) in dcs.iter().zip(join_all(reads.collect()).await) {
            match read {
                Ok(logons) => {
                    for (dn, logon) in logons {
                        let slot = newest.entry(dn.to_ascii_lowercase()).or_insert(logon);
                        *slot = (*slot).max(logon);
                    }
                }
                Err(why) => unread.push(format!(
                    "--precise-logon: lastLogon of {} not read ({why}): its logons are not counted",
                    dc.host
                )),
            }
        }
        Ok((newest, unread))
    }
}
