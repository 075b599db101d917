//! `Config`: the command line and environment turned, once, into an immutable description of
//! the run: what to do, where the accounts come from, how to print.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use time::OffsetDateTime;

use crate::checks::{AuditSettings, ProbeScope, SpnSettings, StaleSettings};
use crate::cli::{Cli, Command, ResetArgs, SpnCheckArgs, SpnCommand, StaleArgs};
use crate::filetime::FileTime;
use crate::kerberos::Kdc;
use crate::ldap::{Bind, DcAddress, LdapSettings, TlsSettings};
use crate::names::NameQuery;
use crate::profile::config_path;
use crate::report::Format;
use crate::secret::{PasswordSource, Secret};
use crate::spn_fix::FixSettings;

/// Where accounts are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// An LDIF export; `-` is standard input.
    Ldif(PathBuf),
    Live(LdapSettings),
}

const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    Show {
        names: Vec<NameQuery>,
    },
    Reset(ResetSettings),
    SpnFix {
        names: Vec<NameQuery>,
        settings: FixSettings,
        apply: bool,
        journal: Option<PathBuf>,
    },
    Undo {
        journal: PathBuf,
        apply: bool,
    },
    /// `stale`, `spn check` or `audit`: the checks in `settings`.
    Check {
        name: &'static str,
        settings: AuditSettings,
        /// Duplicates from the global catalog.
        forest: bool,
    },
}

/// Where `reset` verifies new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyAt {
    Nowhere,
    /// The DC that was written (`--verify`).
    WrittenDc,
    /// Every DC of the domain (`--verify-all-dcs`).
    AllDcs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetSettings {
    pub names: Vec<NameQuery>,
    pub yes: bool,
    pub dry_run: bool,
    pub verify: VerifyAt,
    /// `--kdc`: used instead of the DCs' own KDCs.
    pub kdcs: Vec<Kdc>,
    pub whole_name: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub task: Task,
    pub source: SourceSpec,
    pub base: Option<String>,
    pub format: Format,
    /// `--as-of`, else now.
    pub as_of: Option<OffsetDateTime>,
}

impl Config {
    /// Builds the config; `env` looks up environment variables (so tests can supply their own).
    pub fn new(cli: Cli, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let connection = cli.connection;
        let (task, as_of) = task_of(cli.command)?;
        let profile_name = connection
            .profile
            .clone()
            .or_else(|| env("ADCOMPUTER_PROFILE"));
        let profile = crate::profile::load(profile_name.as_deref(), config_path(&env).as_deref())?;
        let ca_files = if !connection.ca_cert.is_empty() {
            connection.ca_cert
        } else if let Some(file) = env("ADCOMPUTER_CA_CERT") {
            vec![PathBuf::from(file)]
        } else {
            profile.ca_cert.clone().into_iter().collect()
        };
        let base = connection
            .base
            .or_else(|| env("ADCOMPUTER_BASE"))
            .or(profile.base.clone());
        let source = match connection.from_ldif {
            Some(path) => SourceSpec::Ldif(path),
            None => {
                let timeout = match connection.timeout {
                    Some(secs) => secs,
                    None => match env("ADCOMPUTER_TIMEOUT") {
                        Some(text) => text.parse().with_context(|| {
                            format!("ADCOMPUTER_TIMEOUT={text}: not a number of seconds")
                        })?,
                        None => DEFAULT_TIMEOUT_SECS,
                    },
                };
                // The first layer that names a DC wins; within a layer, a URL beats a domain.
                let layers = [
                    (connection.url, connection.domain),
                    (env("ADCOMPUTER_URL"), env("ADCOMPUTER_DOMAIN")),
                    (profile.url.clone(), profile.domain.clone()),
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
                        "no directory given: use -H ldaps://DC, --domain DNSNAME (or ADCOMPUTER_URL, ADCOMPUTER_DOMAIN, a profile), or --from-ldif FILE"
                    ),
                };
                let bind = if connection.kerberos || profile.kerberos {
                    Bind::Kerberos
                } else {
                    let user = connection
                        .bind_dn
                        .or_else(|| env("ADCOMPUTER_BIND_DN"))
                        .or(profile.bind_dn.clone())
                        .context(
                            "no bind user: use -D user@REALM (or ADCOMPUTER_BIND_DN, a profile), or --kerberos",
                        )?;
                    let password = match (connection.password_file, env("ADCOMPUTER_PASSWORD")) {
                        (Some(file), _) => PasswordSource::File(file),
                        (None, Some(password)) => PasswordSource::Environment(
                            Secret::new(password).context("ADCOMPUTER_PASSWORD")?,
                        ),
                        (None, None) => match profile.password_file.clone() {
                            Some(file) => PasswordSource::File(file),
                            None => PasswordSource::Prompt,
                        },
                    };
                    Bind::Simple { user, password }
                };
                SourceSpec::Live(LdapSettings {
                    address,
                    tls: TlsSettings {
                        ca_files,
                        insecure: connection.insecure,
                    },
                    bind,
                    timeout: Duration::from_secs(timeout.max(1)),
                    page_size: connection.page_size,
                })
            }
        };
        Ok(Config {
            task,
            source,
            base,
            format: cli.format,
            as_of,
        })
    }

    pub fn command_name(&self) -> &'static str {
        match self.task {
            Task::Show { .. } => "show",
            Task::Reset(_) => "reset",
            Task::SpnFix { .. } => "spn fix",
            Task::Undo { .. } => "undo",
            Task::Check { name, .. } => name,
        }
    }

    pub fn insecure(&self) -> bool {
        matches!(&self.source, SourceSpec::Live(settings) if settings.tls.insecure)
    }
}

fn task_of(command: Command) -> anyhow::Result<(Task, Option<OffsetDateTime>)> {
    Ok(match command {
        Command::Show { names } => (
            Task::Show {
                names: parse_names(&names)?,
            },
            None,
        ),
        Command::Reset(args) => (Task::Reset(reset_settings(args)?), None),
        Command::Spn(SpnCommand::Fix {
            names,
            dedupe,
            apply,
            journal,
            expect,
            include_disabled,
        }) => (
            Task::SpnFix {
                names: parse_names(&names)?,
                settings: FixSettings {
                    rules: SpnSettings {
                        expect,
                        include_disabled,
                    },
                    dedupe,
                },
                apply,
                journal,
            },
            None,
        ),
        Command::Undo { journal, apply } => (Task::Undo { journal, apply }, None),
        Command::Completions { .. } | Command::Man => {
            bail!("completions and man need no configuration")
        }
        Command::Stale { stale } => {
            let (stale, as_of) = stale_settings(&stale)?;
            let settings = AuditSettings {
                stale: Some(stale),
                ..AuditSettings::default()
            };
            (check("stale", settings, false), as_of)
        }
        Command::Spn(SpnCommand::Check {
            spn,
            include_disabled,
            names,
        }) => {
            let settings = AuditSettings {
                spn_rules: Some(spn_settings(&spn, include_disabled)),
                duplicates: true,
                names: parse_names(&names)?,
                ..AuditSettings::default()
            };
            (check("spn check", settings, spn.forest), None)
        }
        Command::Audit {
            stale,
            spn,
            probe_default_passwords,
            probe_all,
        } => {
            let (stale_settings, as_of) = stale_settings(&stale)?;
            let settings = AuditSettings {
                stale: Some(stale_settings),
                spn_rules: Some(spn_settings(&spn, stale.include_disabled)),
                duplicates: true,
                names: Vec::new(),
                probe: probe_default_passwords.then_some(if probe_all {
                    ProbeScope::All
                } else {
                    ProbeScope::NeverLoggedOn
                }),
            };
            (check("audit", settings, spn.forest), as_of)
        }
    })
}

fn reset_settings(args: ResetArgs) -> anyhow::Result<ResetSettings> {
    let mut raw = args.names;
    if let Some(file) = &args.from_file {
        let text = if file.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(file)
        }
        .with_context(|| format!("cannot read names from {}", file.display()))?;
        raw.extend(names_in(&text));
    }
    anyhow::ensure!(
        !raw.is_empty(),
        "no computers to reset: give NAME... or --from-file FILE"
    );
    Ok(ResetSettings {
        names: parse_names(&raw)?,
        yes: args.yes,
        dry_run: args.dry_run,
        verify: if args.verify_all_dcs {
            VerifyAt::AllDcs
        } else if args.verify {
            VerifyAt::WrittenDc
        } else {
            VerifyAt::Nowhere
        },
        kdcs: args.kdcs.iter().map(|kdc| Kdc::parse(kdc)).collect(),
        whole_name: args.no_truncate,
    })
}

/// Names in a `--from-file` list: one a line, blank lines and `#` comments skipped.
fn names_in(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(str::to_string)
}

fn check(name: &'static str, settings: AuditSettings, forest: bool) -> Task {
    Task::Check {
        name,
        settings,
        forest,
    }
}

fn stale_settings(args: &StaleArgs) -> anyhow::Result<(StaleSettings, Option<OffsetDateTime>)> {
    anyhow::ensure!(args.days >= 0, "--days must not be negative");
    let as_of = args.as_of.as_deref().map(parse_as_of).transpose()?;
    let settings = StaleSettings {
        days: args.days,
        as_of: FileTime::from_datetime(as_of.unwrap_or_else(OffsetDateTime::now_utc)),
        include_disabled: args.include_disabled,
    };
    Ok((settings, as_of))
}

fn spn_settings(args: &SpnCheckArgs, include_disabled: bool) -> SpnSettings {
    SpnSettings {
        expect: args.expect.clone(),
        include_disabled,
    }
}

/// `2026-11-21` (midnight UTC) or an RFC 3339 time.
fn parse_as_of(text: &str) -> anyhow::Result<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .map(|date| date.midnight().assume_utc())
        .with_context(|| format!("--as-of {text}: use 2026-11-21 or 2026-11-21T05:00:00Z"))
}

fn parse_names(raw: &[String]) -> anyhow::Result<Vec<NameQuery>> {
    raw.iter()
        .map(|name| NameQuery::parse(name).map_err(anyhow::Error::from))
        .collect::<anyhow::Result<Vec<_>>>()
        .or_else(|err| bail!("{err}: every NAME must be non-empty"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Config> {
        let cli = Cli::try_parse_from(args)?;
        Config::new(cli, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn password_file_beats_environment_and_prompt_is_last() {
        let live = |config: Config| match config.source {
            SourceSpec::Live(LdapSettings {
                bind: Bind::Simple { password, .. },
                ..
            }) => password,
            other => panic!("{other:?}"),
        };
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
        let bad = [("ADCOMPUTER_TIMEOUT", "soon")];
        assert!(
            config(
                &["adcomputer", "-H", "ldaps://x", "-D", "u", "show", "a"],
                &bad
            )
            .is_err()
        );
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
        assert!(config(&["adcomputer", "show", "a"], &env).is_err());
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
    fn as_of_takes_a_date_or_a_timestamp() {
        assert_eq!(
            parse_as_of("2026-11-21").unwrap(),
            time::macros::datetime!(2026-11-21 0:00 UTC)
        );
        assert_eq!(
            parse_as_of("2026-11-21T05:00:00+01:00").unwrap(),
            time::macros::datetime!(2026-11-21 4:00 UTC)
        );
        assert!(parse_as_of("yesterday").is_err());
    }

    #[test]
    fn audit_selects_every_check_and_stale_only_its_own() {
        let audit = config(
            &["adcomputer", "audit", "--from-ldif", "x", "--days", "10"],
            &[],
        )
        .unwrap();
        let Task::Check {
            name,
            settings,
            forest,
        } = audit.task
        else {
            panic!()
        };
        assert_eq!((name, forest), ("audit", false));
        assert_eq!(settings.stale.unwrap().days, 10);
        assert!(settings.spn_rules.is_some() && settings.duplicates);
        let stale = config(&["adcomputer", "stale", "--from-ldif", "x"], &[]).unwrap();
        let Task::Check { settings, .. } = stale.task else {
            panic!()
        };
        assert!(settings.spn_rules.is_none() && !settings.duplicates);
    }

    #[test]
    fn reset_names_come_from_arguments_and_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("names.txt");
        std::fs::write(
            &file,
            "# broken after the storm\nPC02\n\n  PC03   # lobby\n#PC04\n",
        )
        .unwrap();
        let args = [
            "adcomputer",
            "-H",
            "ldaps://x",
            "-D",
            "u",
            "reset",
            "PC01",
            "--from-file",
        ];
        let parsed = config(&[&args[..], &[file.to_str().unwrap()]].concat(), &[]).unwrap();
        let Task::Reset(settings) = parsed.task else {
            panic!()
        };
        let names: Vec<&str> = settings.names.iter().map(NameQuery::as_str).collect();
        assert_eq!(names, ["PC01", "PC02", "PC03"]);
        assert_eq!(settings.verify, VerifyAt::Nowhere);
        let err = config(&["adcomputer", "-H", "ldaps://x", "-D", "u", "reset"], &[]).unwrap_err();
        assert!(
            err.to_string().starts_with("no computers to reset"),
            "{err}"
        );
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
