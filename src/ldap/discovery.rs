//! Finding DCs in DNS: a domain's `_ldap._tcp.dc._msdcs.DOMAIN` SRV records (`--domain`),
//! ordered as RFC 2782 says (lowest priority first, weighted random within a priority), asked
//! of the system resolver or of `--dns-server`; and a DC's address from the domain's DNS, never
//! from `/etc/hosts` alone (a stale hosts line must not send a logon to another machine).

use std::net::IpAddr;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;

use super::error::ConnectError;

/// A DC found in DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub(crate) host: String,
    pub(crate) priority: u16,
    pub(crate) weight: u16,
}

/// The domain's DCs, in the order to try them.
pub(crate) async fn locate_dcs(
    domain: &str,
    dns_server: Option<IpAddr>,
) -> Result<Vec<Located>, ConnectError> {
    let name = format!("_ldap._tcp.dc._msdcs.{}.", domain.trim_end_matches('.'));
    let failed = |reason: String| ConnectError::Discovery {
        name: name.clone(),
        reason,
    };
    let resolver = match dns_server {
        Some(server) => {
            let servers = NameServerConfigGroup::from_ips_clear(&[server], 53, true);
            let config = ResolverConfig::from_parts(None, vec![], servers);
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default()).build()
        }
        None => TokioResolver::builder_tokio()
            .map_err(|err| failed(err.to_string()))?
            .build(),
    };
    let records = resolver.srv_lookup(name.as_str()).await.map_err(|err| {
        if err.is_no_records_found() {
            failed(
                "no such SRV records (is this the domain's DNS name, and this its DNS server?)"
                    .into(),
            )
        } else {
            failed(err.to_string())
        }
    })?;
    let found: Vec<Located> = records
        .iter()
        .map(|srv| Located {
            host: srv.target().to_utf8().trim_end_matches('.').to_string(),
            priority: srv.priority(),
            weight: srv.weight(),
        })
        .collect();
    if found.is_empty() {
        return Err(failed("no SRV records".into()));
    }
    Ok(rfc2782_order(found, &mut random_below))
}

/// The address of a DC's host name, asked of each of `dns_servers` in turn (the domain's DNS:
/// `--dns-server`, the DC already connected to), then of the system's DNS servers — never of
/// the hosts file. An address given as such is its own answer.
pub(crate) async fn resolve_dc(host: &str, dns_servers: &[IpAddr]) -> Result<IpAddr, String> {
    if let Ok(address) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(address);
    }
    let name = format!("{}.", host.trim_end_matches('.'));
    let mut reasons = Vec::new();
    for server in dns_servers {
        let servers = NameServerConfigGroup::from_ips_clear(&[*server], 53, true);
        let config = ResolverConfig::from_parts(None, vec![], servers);
        let mut builder =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
        builder.options_mut().use_hosts_file = ResolveHosts::Never;
        match builder.build().lookup_ip(name.as_str()).await {
            Ok(found) => {
                if let Some(address) = found.iter().next() {
                    return Ok(address);
                }
            }
            Err(err) => reasons.push(format!("{server}: {err}")),
        }
    }
    if let Ok(mut builder) = TokioResolver::builder_tokio() {
        builder.options_mut().use_hosts_file = ResolveHosts::Never;
        match builder.build().lookup_ip(name.as_str()).await {
            Ok(found) => {
                if let Some(address) = found.iter().next() {
                    return Ok(address);
                }
            }
            Err(err) => reasons.push(format!("system DNS: {err}")),
        }
    }
    Err(format!(
        "{host} is not in the domain's DNS ({})",
        reasons.join("; ")
    ))
}

fn random_below(bound: u32) -> u32 {
    crate::random::u32().checked_rem(bound).unwrap_or(0)
}

/// Lowest priority first; within a priority, repeatedly pick with probability proportional
/// to weight (zero-weight records keep a small chance), as RFC 2782 describes.
fn rfc2782_order(
    mut records: Vec<Located>,
    random_below: &mut dyn FnMut(u32) -> u32,
) -> Vec<Located> {
    records.sort_by_key(|record| record.priority);
    let mut ordered = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let priority = records[0].priority;
        let end = records
            .iter()
            .take_while(|r| r.priority == priority)
            .count();
        let mut group: Vec<Located> = records.drain(..end).collect();
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight) + 1).sum();
            let mut pick = random_below(total);
            let index = group
                .iter()
                .position(|r| {
                    let share = u32::from(r.weight) + 1;
                    if pick < share {
                        true
                    } else {
                        pick -= share;
                        false
                    }
                })
                .unwrap_or(0);
            ordered.push(group.remove(index));
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc(host: &str, priority: u16, weight: u16) -> Located {
        Located {
            host: host.into(),
            priority,
            weight,
        }
    }

    fn hosts(ordered: &[Located]) -> Vec<&str> {
        ordered.iter().map(|r| r.host.as_str()).collect()
    }

    #[test]
    fn lower_priority_always_comes_first() {
        let records = vec![dc("backup", 10, 100), dc("main", 0, 0)];
        let ordered = rfc2782_order(records, &mut |_| 0);
        assert_eq!(hosts(&ordered), ["main", "backup"]);
    }

    #[test]
    fn weight_decides_within_a_priority() {
        let records = || vec![dc("light", 0, 0), dc("heavy", 0, 98)];
        // Shares: light 1, heavy 99. A draw below 1 picks light, anything else heavy.
        assert_eq!(
            hosts(&rfc2782_order(records(), &mut |_| 0)),
            ["light", "heavy"]
        );
        assert_eq!(
            hosts(&rfc2782_order(records(), &mut |_| 50)),
            ["heavy", "light"]
        );
        let mut heavy_first = 0;
        for draw in 0..100 {
            if rfc2782_order(records(), &mut |bound| draw % bound)[0].host == "heavy" {
                heavy_first += 1;
            }
        }
        assert_eq!(heavy_first, 99);
    }
}
