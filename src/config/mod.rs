//! `Config`: the command line and environment turned, once, into a plain-data description of
//! the run — what to do (`tasks`), where the accounts come from (`connection`, built from
//! layers: command line, environment, profile, OpenLDAP's `ldap.conf` (`ldaprc`)), how to print. Nothing here does I/O beyond
//! reading the files the user named (profile, names list).

mod ldaprc;
pub(crate) mod profile;
mod tasks;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use time::OffsetDateTime;

use crate::cli::Cli;
use crate::ldap::{Bind, DcAddress, LdapSettings, TlsSettings};
use crate::report::{Destination, Format};
use crate::secret::{PasswordSource, Secret};
pub(crate) use tasks::{
    FixRequest, ResetSettings, RestoreSettings, ShowSettings, Task, UndoRequest, VerifyAt,
};

pub(crate) use crate::source::SourceSpec;

const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The whole run, decided before anything is read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// What to do.
    pub(crate) task: Task,
    /// Where the accounts come from.
    pub(crate) source: SourceSpec,
    /// `-b`: what is reported (the domain when `None`).
    pub(crate) base: Option<String>,
    /// Where the report goes, in which format: `-o` to standard output, or each `--output`.
    pub(crate) outputs: Vec<Destination>,
    /// "Now" for every age in the report: `--as-of`, else the time the run started.
    pub(crate) as_of: OffsetDateTime,
    /// `-q`: no summary on stderr for a run that exits 1.
    pub(crate) quiet: bool,
}

impl Config {
    /// Builds the config; `env` looks up environment variables (so tests can supply their own).
    pub(crate) fn new(cli: Cli, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let now = OffsetDateTime::now_utc();
        let quiet = cli.quiet;
        let (task, as_of) = tasks::task_of(cli.command, now)?;
        let outputs = destinations(cli.format, &cli.output)?;
        if let Some(only) = outputs
            .iter()
            .find(|output| output.format.is_for_checks_only())
            .filter(|_| !matches!(task, Task::Check { .. }))
        {
            bail!(
                "-o {}: only stale, spn check and audit have this format (use json, jsonl, csv or table)",
                only.format.name()
            );
        }
        let connection = cli.connection;
        let base = connection.base.clone().or_else(|| env("ADCOMPUTER_BASE"));
        if let (
            Task::Check {
                sysvol: Some(dir), ..
            },
            None,
        ) = (&task, &connection.from_ldif)
        {
            bail!(
                "--sysvol {}: a copy of SYSVOL completes an export (--from-ldif); from a DC, SYSVOL is read over SMB",
                dir.display()
            );
        }
        if let (
            Task::Check {
                state: Some(dir), ..
            },
            Some(_),
        ) = (&task, &connection.from_ldif)
        {
            bail!(
                "--state {}: keeps what a DC's scan read, to ask it only for changes next time; an export (--from-ldif) is read whole",
                dir.display()
            );
        }
        let (source, base) = match connection.from_ldif.clone() {
            // An export needs no connection settings, nor a profile that might be broken.
            Some(path) => (SourceSpec::Ldif(path), base),
            None => {
                let (settings, profile_base) = live_settings(connection, &env)?;
                (SourceSpec::Live(settings), base.or(profile_base))
            }
        };
        same_scope_as_baseline(&task, base.as_deref())?;
        Ok(Config {
            task,
            source,
            base,
            outputs,
            as_of: as_of.unwrap_or(now),
            quiet,
        })
    }

    pub(crate) fn command_name(&self) -> &'static str {
        self.task.name()
    }

    pub(crate) fn insecure(&self) -> bool {
        matches!(&self.source, SourceSpec::Live(settings) if settings.tls.insecure)
    }
}

/// A baseline of another scope (`-b`) would call everything outside this run's scope
/// resolved, or everything in it new: refused, when the baseline says its scope.
fn same_scope_as_baseline(task: &Task, base: Option<&str>) -> anyhow::Result<()> {
    let Task::Check { triage, .. } = task else {
        return Ok(());
    };
    let Some(theirs) = triage
        .baseline
        .as_ref()
        .and_then(|baseline| baseline.base.as_ref())
    else {
        return Ok(());
    };
    let same = match (theirs.as_deref(), base) {
        (None, None) => true,
        (Some(theirs), Some(ours)) => adcomputer_core::model::dn::same_dn(theirs, ours),
        _ => false,
    };
    let scope =
        |base: Option<&str>| base.map_or("the whole domain".to_string(), |b| format!("-b {b}"));
    anyhow::ensure!(
        same,
        "--baseline: that report covers {}, this run {}: compare reports of the same scope",
        scope(theirs.as_deref()),
        scope(base)
    );
    Ok(())
}

/// Where the report goes: standard output in `format`, or each `--output [FORMAT:]FILE`.
fn destinations(format: Format, outputs: &[String]) -> anyhow::Result<Vec<Destination>> {
    if outputs.is_empty() {
        return Ok(vec![Destination { format, file: None }]);
    }
    let destinations: Vec<Destination> = outputs
        .iter()
        .map(|text| Destination::parse(text, format))
        .collect::<anyhow::Result<_>>()?;
    let mut seen = std::collections::HashSet::new();
    for file in destinations.iter().filter_map(|d| d.file.as_deref()) {
        anyhow::ensure!(
            seen.insert(file),
            "--output {}: named twice",
            file.display()
        );
    }
    Ok(destinations)
}

/// The live connection from its layers: the first layer that names a DC wins (within a layer,
/// a URL beats a domain); every other setting comes from the first layer that has it. Returns
/// the profile's base as well (the lowest layer for `-b`).
fn live_settings(
    connection: crate::cli::ConnectionArgs,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<(LdapSettings, Option<String>)> {
    let profile_name = connection
        .profile
        .clone()
        .or_else(|| env("ADCOMPUTER_PROFILE"));
    let profile = profile::load(
        profile_name.as_deref(),
        profile::config_path(env).as_deref(),
    )?;
    let openldap = ldaprc::LdapConf::load(env, &ldaprc::read_file)?;
    // -Z / -ZZ ask for StartTLS, which every ldap:// simple bind gets anyway: nothing to change.
    let _ = connection.starttls;
    let ca_files = if !connection.ca_cert.is_empty() {
        connection.ca_cert
    } else if let Some(file) = env("ADCOMPUTER_CA_CERT") {
        vec![PathBuf::from(file)]
    } else {
        profile
            .ca_cert
            .clone()
            .or(openldap.tls_cacert)
            .into_iter()
            .collect()
    };
    let timeout = match connection.timeout {
        Some(secs) => secs,
        None => match env("ADCOMPUTER_TIMEOUT") {
            Some(text) => text
                .parse()
                .with_context(|| format!("ADCOMPUTER_TIMEOUT={text}: not a number of seconds"))?,
            None => DEFAULT_TIMEOUT_SECS,
        },
    };
    let layers = [
        (connection.url, connection.domain),
        (env("ADCOMPUTER_URL"), env("ADCOMPUTER_DOMAIN")),
        (profile.url.clone(), profile.domain.clone()),
        (openldap.uri, None),
    ];
    let address = match layers
        .into_iter()
        .find(|(url, domain)| url.is_some() || domain.is_some())
    {
        Some((Some(url), _)) => DcAddress::Url(url),
        Some((None, Some(name))) => DcAddress::Domain {
            name,
            dns_server: connection.dns_server,
        },
        _ => bail!(
            "no directory given: use -H ldaps://DC, --domain DNSNAME (or ADCOMPUTER_URL, ADCOMPUTER_DOMAIN, a profile, URI in ldap.conf), or --from-ldif FILE"
        ),
    };
    let bind = if connection.kerberos || profile.kerberos {
        Bind::Kerberos
    } else {
        let user = connection
            .bind_dn
            .or_else(|| env("ADCOMPUTER_BIND_DN"))
            .or(profile.bind_dn.clone())
            .or(openldap.binddn.clone())
            .context(
                "no bind user: use -D user@REALM (or ADCOMPUTER_BIND_DN, a profile, BINDDN in ~/.ldaprc), or --kerberos",
            )?;
        let password = match (connection.password_file, env("ADCOMPUTER_PASSWORD")) {
            (Some(file), _) => PasswordSource::File(file),
            (None, _) if connection.prompt => PasswordSource::Prompt,
            (None, Some(password)) => {
                PasswordSource::Environment(Secret::new(password).context("ADCOMPUTER_PASSWORD")?)
            }
            (None, None) => match profile.password_file.clone() {
                Some(file) => PasswordSource::File(file),
                None => PasswordSource::Prompt,
            },
        };
        Bind::Simple { user, password }
    };
    let settings = LdapSettings {
        address,
        tls: TlsSettings {
            ca_files,
            insecure: connection.insecure,
            server_name: None,
        },
        bind,
        timeout: Duration::from_secs(timeout.max(1)),
        page_size: connection.page_size,
        connections: usize::from(connection.connections),
        dns_server: connection.dns_server,
    };
    Ok((settings, profile.base.or(openldap.base)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The config of `args` with only `env` set: this machine's ldap.conf is not read (but
    /// where `env` sets the `LDAP*` variables that ask for it).
    fn config(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let cli = Cli::try_parse_from(args)?;
        let openldap = env.iter().any(|(key, _)| key.starts_with("LDAP"));
        Config::new(cli, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
                .or_else(|| (name == "LDAPNOINIT" && !openldap).then(|| "1".to_string()))
        })
    }

    /// Where a simple bind's password comes from.
    fn password_of(config: Config) -> PasswordSource {
        match config.source {
            SourceSpec::Live(LdapSettings {
                bind: Bind::Simple { password, .. },
                ..
            }) => password,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn password_file_beats_environment_and_prompt_is_last() {
        let live = password_of;
        let base = [
            "adcomputer",
            "-H",
            "ldaps://dc1",
            "-D",
            "a@B",
            "show",
            "PC01",
        ];
        let with_file = [&base[..], &["--password-file", "/pw"]].concat();
        assert_eq!(
            live(config(&with_file, &[("ADCOMPUTER_PASSWORD", "x")]).unwrap()),
            PasswordSource::File("/pw".into())
        );
        assert!(matches!(
            live(config(&base, &[("ADCOMPUTER_PASSWORD", "x")]).unwrap()),
            PasswordSource::Environment(_)
        ));
        assert_eq!(live(config(&base, &[]).unwrap()), PasswordSource::Prompt);
    }

    #[test]
    fn a_live_run_needs_a_url_and_a_user() {
        let err = config(&["adcomputer", "show", "PC01"], &[]).unwrap_err();
        assert!(err.to_string().starts_with("no directory given"), "{err}");
        let err = config(&["adcomputer", "-H", "ldaps://dc1", "show", "PC01"], &[]).unwrap_err();
        assert!(err.to_string().starts_with("no bind user"), "{err}");
    }

    #[test]
    fn command_line_beats_environment() {
        let env = [
            ("ADCOMPUTER_URL", "ldaps://env-dc"),
            ("ADCOMPUTER_BIND_DN", "env@B"),
            ("ADCOMPUTER_CA_CERT", "/env-ca.pem"),
            ("ADCOMPUTER_TIMEOUT", "7"),
            ("ADCOMPUTER_BASE", "DC=env"),
        ];
        let settings = |config: Config| match config.source {
            SourceSpec::Live(settings) => (settings, config.base),
            other => panic!("{other:?}"),
        };
        let user = |settings: &LdapSettings| match &settings.bind {
            Bind::Simple { user, .. } => user.clone(),
            Bind::Kerberos => "kerberos".into(),
        };
        let (from_env, base) = settings(config(&["adcomputer", "show", "a"], &env).unwrap());
        assert_eq!(from_env.address, DcAddress::Url("ldaps://env-dc".into()));
        assert_eq!(user(&from_env), "env@B");
        assert_eq!(from_env.tls.ca_files, [PathBuf::from("/env-ca.pem")]);
        assert_eq!(from_env.timeout, Duration::from_secs(7));
        assert_eq!(base.as_deref(), Some("DC=env"));
        let args = [
            "adcomputer",
            "-H",
            "ldaps://cli-dc",
            "-D",
            "cli@B",
            "--ca-cert",
            "/cli.pem",
            "--timeout",
            "9",
            "-b",
            "DC=cli",
            "show",
            "a",
        ];
        let (from_cli, base) = settings(config(&args, &env).unwrap());
        assert_eq!(from_cli.address, DcAddress::Url("ldaps://cli-dc".into()));
        assert_eq!(user(&from_cli), "cli@B");
        assert_eq!(from_cli.tls.ca_files, [PathBuf::from("/cli.pem")]);
        assert_eq!(from_cli.timeout, Duration::from_secs(9));
        assert_eq!(base.as_deref(), Some("DC=cli"));
    }

    #[test]
    fn a_profile_fills_what_the_command_line_and_environment_leave_out() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().display().to_string();
        std::fs::create_dir_all(dir.path().join("adcomputer")).unwrap();
        std::fs::write(
            dir.path().join("adcomputer/config.toml"),
            "default_profile = \"lab\"\n[profiles.lab]\nurl = \"ldaps://profile-dc\"\nbind_dn = \"profile@LAB\"\nbase = \"DC=profile\"\npassword_file = \"/p/pw\"\n",
        )
        .unwrap();
        let env = [("XDG_CONFIG_HOME", home.as_str())];
        let parsed = config(&["adcomputer", "show", "a"], &env).unwrap();
        let SourceSpec::Live(settings) = &parsed.source else {
            panic!()
        };
        assert_eq!(
            settings.address,
            DcAddress::Url("ldaps://profile-dc".into())
        );
        assert_eq!(parsed.base.as_deref(), Some("DC=profile"));
        assert!(
            matches!(&settings.bind, Bind::Simple { user, password: PasswordSource::File(file) }
            if user == "profile@LAB" && file == &PathBuf::from("/p/pw"))
        );
        let env = [
            ("XDG_CONFIG_HOME", home.as_str()),
            ("ADCOMPUTER_URL", "ldaps://env-dc"),
        ];
        let parsed = config(&["adcomputer", "-D", "cli@LAB", "show", "a"], &env).unwrap();
        let SourceSpec::Live(settings) = &parsed.source else {
            panic!()
        };
        assert_eq!(settings.address, DcAddress::Url("ldaps://env-dc".into()));
        assert!(matches!(&settings.bind, Bind::Simple { user, .. } if user == "cli@LAB"));
        let env = [
            ("XDG_CONFIG_HOME", home.as_str()),
            ("ADCOMPUTER_PROFILE", "other"),
        ];
        let err = config(&["adcomputer", "show", "a"], &env).unwrap_err();
        assert!(
            format!("{err:#}").contains("no profile named other"),
            "{err:#}"
        );
    }

    #[test]
    fn a_broken_profile_does_not_block_an_offline_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("adcomputer")).unwrap();
        std::fs::write(
            dir.path().join("adcomputer/config.toml"),
            "this is [not toml",
        )
        .unwrap();
        let home = dir.path().display().to_string();
        let env = [("XDG_CONFIG_HOME", home.as_str())];
        assert!(config(&["adcomputer", "audit", "--from-ldif", "x.ldif"], &env).is_ok());
        let err = config(&["adcomputer", "show", "a"], &env).unwrap_err();
        assert!(format!("{err:#}").contains("bad config file"), "{err:#}");
    }

    #[test]
    fn openldap_settings_are_the_lowest_layer() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("ldap.conf");
        std::fs::write(
            &conf,
            "URI ldaps://conf-dc ldaps://conf-dc2\nBASE dc=conf\nTLS_CACERT /conf/ca.pem\n",
        )
        .unwrap();
        let conf = conf.display().to_string();
        let settings = |config: Config| match config.source {
            SourceSpec::Live(settings) => (settings, config.base),
            other => panic!("{other:?}"),
        };
        let env = [("LDAPCONF", conf.as_str()), ("ADCOMPUTER_BIND_DN", "a@B")];
        let (live, base) = settings(config(&["adcomputer", "show", "a"], &env).unwrap());
        assert_eq!(
            live.address,
            DcAddress::Url("ldaps://conf-dc ldaps://conf-dc2".into())
        );
        assert_eq!(base.as_deref(), Some("dc=conf"));
        assert_eq!(live.tls.ca_files, [PathBuf::from("/conf/ca.pem")]);
        let env = [
            ("LDAPCONF", conf.as_str()),
            ("LDAPTLS_CACERT", "/ldap-env/ca.pem"),
            ("ADCOMPUTER_URL", "ldaps://mine"),
            ("ADCOMPUTER_BASE", "dc=mine"),
            ("ADCOMPUTER_BIND_DN", "a@B"),
        ];
        let (live, base) = settings(config(&["adcomputer", "show", "a"], &env).unwrap());
        assert_eq!(live.address, DcAddress::Url("ldaps://mine".into()));
        assert_eq!(base.as_deref(), Some("dc=mine"));
        assert_eq!(live.tls.ca_files, [PathBuf::from("/ldap-env/ca.pem")]);
    }

    #[test]
    fn w_prompts_and_y_reads_a_file() {
        // `show a` against dc1 as a@B, with `flags` before the command.
        let show = |flags: &[&str], env: &[(&str, &str)]| {
            let args = [
                &["adcomputer", "-H", "ldaps://dc1", "-D", "a@B"][..],
                flags,
                &["show", "a"],
            ]
            .concat();
            config(&args, env)
        };
        // -w is no option at all: `run` refuses it, with the reason, before parsing.
        assert!(show(&["-w", "Secret-1"], &[]).is_err());
        assert_eq!(
            password_of(show(&["-W", "-x"], &[("ADCOMPUTER_PASSWORD", "from-env")]).unwrap()),
            PasswordSource::Prompt
        );
        assert_eq!(
            password_of(show(&["-y", "/pw"], &[]).unwrap()),
            PasswordSource::File("/pw".into())
        );
    }

    #[test]
    fn kerberos_needs_no_user_or_password() {
        let args = ["adcomputer", "-H", "ldap://dc1", "--kerberos", "show", "a"];
        let parsed = config(&args, &[]).unwrap();
        assert!(matches!(
            parsed.source,
            SourceSpec::Live(LdapSettings {
                bind: Bind::Kerberos,
                ..
            })
        ));
    }

    #[test]
    fn there_is_no_password_flag() {
        assert!(Cli::try_parse_from(["adcomputer", "--password", "x", "show", "a"]).is_err());
    }

    #[test]
    fn ldif_needs_no_connection() {
        let config = config(
            &["adcomputer", "show", "--from-ldif", "x.ldif", "PC01"],
            &[],
        )
        .unwrap();
        assert_eq!(config.source, SourceSpec::Ldif("x.ldif".into()));
    }
}
