//! The task of a run, from its subcommand: the names, checks and settings each command acts
//! on, validated once (bad dates, unknown checks, empty or oversized names are usage errors).

use std::path::PathBuf;

use anyhow::{Context, bail};
use time::OffsetDateTime;

use crate::cli::{
    ChecksArg, Command, ResetArgs, ScheduleArgs, SpnCheckArgs, SpnCommand, StaleArgs, WriteArgs,
};
use adcomputer_core::model::filetime::FileTime;
use adcomputer_core::model::kdc::Kdc;
use adcomputer_core::model::names::NameQuery;
use adcomputer_core::rules::coverage::Check;
use adcomputer_core::rules::spn_plan::FixSettings;
use adcomputer_core::rules::triage::{Baseline, IgnoreList, Selector, TriageSettings};
use adcomputer_core::rules::{
    AuditSettings, KeyProbeScope, ProbeScope, SpnSettings, StaleSettings,
};

/// How a write command writes: the plan only, or the changes (asking first on a terminal
/// unless `yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WriteMode {
    pub(crate) apply: bool,
    pub(crate) yes: bool,
}

impl WriteMode {
    /// The one write model of every write command: plan by default, write with `--apply`,
    /// asking on a terminal unless `--yes`. The old spellings still work, with a note:
    /// `--dry-run` (the default now), and for `reset` and `restore`, which used to write
    /// unless `--dry-run`, `--yes` alone (it writes, as it did).
    fn of(command: &str, args: &WriteArgs, yes_used_to_write: bool) -> WriteMode {
        let mut mode = WriteMode {
            apply: args.apply,
            yes: args.yes,
        };
        if args.dry_run {
            eprintln!(
                "adcomputer: note: --dry-run is the default now ({command} writes only with --apply)"
            );
        } else if mode.yes && !mode.apply {
            if yes_used_to_write {
                // Old scripts: `reset NAME --yes` wrote. Keep them working, and say how now.
                eprintln!(
                    "adcomputer: note: `{command} --yes` without --apply is deprecated: use --apply --yes"
                );
                mode.apply = true;
            } else {
                eprintln!("adcomputer: note: --yes only matters with --apply: this is the plan");
            }
        }
        mode
    }
}

/// `show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShowSettings {
    pub(crate) names: Vec<NameQuery>,
    pub(crate) stale: StaleSettings,
    pub(crate) spn: SpnSettings,
    pub(crate) probe: bool,
    /// Ask the KDC (live) which keys each shown computer has.
    pub(crate) probe_keys: bool,
    /// `--all-dcs`: each DC's view of each account.
    pub(crate) all_dcs: bool,
}

/// Where `reset` verifies new passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VerifyAt {
    Nowhere,
    /// The DC that was written (`--verify`).
    WrittenDc,
    /// Every DC of the domain (`--verify-all-dcs`).
    AllDcs,
}

/// `reset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResetSettings {
    pub(crate) names: Vec<NameQuery>,
    pub(crate) write: WriteMode,
    pub(crate) verify: VerifyAt,
    /// `--kdc`: used instead of the DCs' own KDCs.
    pub(crate) kdcs: Vec<Kdc>,
    pub(crate) whole_name: bool,
    /// `--wait`: how long to wait for every DC to hold the new password.
    pub(crate) wait: std::time::Duration,
}

/// `restore`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestoreSettings {
    pub(crate) names: Vec<NameQuery>,
    /// `--to`: the OU to restore into instead of the last known parent.
    pub(crate) to: Option<String>,
    pub(crate) write: WriteMode,
    pub(crate) verify: bool,
    pub(crate) whole_name: bool,
}

/// `spn fix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FixRequest {
    pub(crate) names: Vec<NameQuery>,
    pub(crate) settings: FixSettings,
    pub(crate) write: WriteMode,
    pub(crate) journal: Option<PathBuf>,
}

/// `undo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UndoRequest {
    pub(crate) journal: PathBuf,
    pub(crate) write: WriteMode,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Task {
    Show(ShowSettings),
    Reset(ResetSettings),
    Restore(RestoreSettings),
    SpnFix(FixRequest),
    Undo(UndoRequest),
    /// `stale`, `spn check` or `audit`: the checks in `settings`.
    Check {
        name: &'static str,
        settings: AuditSettings,
        /// Duplicates from the global catalog.
        forest: bool,
        /// Baseline, ignore list, `--fail-on`.
        triage: Box<TriageSettings>,
        /// `--sysvol`: a copy of SYSVOL for an export's Group Policy.
        sysvol: Option<PathBuf>,
        /// `--state`: where a DC's scan is kept for the next run.
        state: Option<PathBuf>,
    },
}

impl Task {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Task::Show(_) => "show",
            Task::Reset(_) => "reset",
            Task::Restore(_) => "restore",
            Task::SpnFix(_) => "spn fix",
            Task::Undo(_) => "undo",
            Task::Check { name, .. } => name,
        }
    }
}

/// The task, and `--as-of` when given.
pub(super) fn task_of(
    command: Command,
    now: OffsetDateTime,
) -> anyhow::Result<(Task, Option<OffsetDateTime>)> {
    Ok(match command {
        Command::Show {
            names,
            stale,
            expect,
            probe_defaults,
            no_probe_keys,
            all_dcs,
        } => {
            let (stale, as_of) = stale_settings(&stale, now)?;
            let settings = ShowSettings {
                names: parse_names(&names)?,
                stale,
                spn: SpnSettings {
                    expect,
                    include_disabled: true,
                },
                probe: probe_defaults,
                probe_keys: !no_probe_keys,
                all_dcs,
            };
            (Task::Show(settings), as_of)
        }
        Command::Reset(args) => (Task::Reset(reset_settings(args)?), None),
        Command::Restore(args) => (
            Task::Restore(RestoreSettings {
                names: parse_names(&args.names)?,
                to: args.to,
                write: WriteMode::of("restore", &args.write, true),
                verify: args.verify,
                whole_name: args.no_truncate,
            }),
            None,
        ),
        Command::Spn(SpnCommand::Fix {
            names,
            dedupe,
            write,
            journal,
            expect,
            include_disabled,
        }) => (
            Task::SpnFix(FixRequest {
                names: parse_names(&names)?,
                settings: FixSettings {
                    rules: SpnSettings {
                        expect,
                        include_disabled,
                    },
                    dedupe,
                },
                write: WriteMode::of("spn fix", &write, false),
                journal,
            }),
            None,
        ),
        Command::Undo { journal, write } => (
            Task::Undo(UndoRequest {
                journal,
                write: WriteMode::of("undo", &write, false),
            }),
            None,
        ),
        Command::Completions { .. } | Command::Man => {
            bail!("completions and man need no configuration")
        }
        command @ (Command::Stale { .. }
        | Command::Spn(SpnCommand::Check { .. })
        | Command::Audit { .. }) => check_task(command, now)?,
    })
}

/// The task of a read-only check command (`stale`, `spn check`, `audit`).
fn check_task(
    command: Command,
    now: OffsetDateTime,
) -> anyhow::Result<(Task, Option<OffsetDateTime>)> {
    Ok(match command {
        Command::Stale {
            stale,
            checks,
            schedule,
            precise_logon,
            policy,
        } => {
            let (stale_settings, as_of) = stale_settings(&stale, now)?;
            let checks = checks_of("stale", &checks)?;
            let spn = SpnSettings::default();
            let settings = AuditSettings {
                precise_logon,
                group_policy: true,
                ..AuditSettings::new(checks, stale_settings, spn, Vec::new())
            };
            (
                check("stale", settings, false, &schedule, policy.sysvol)?,
                as_of,
            )
        }
        Command::Spn(SpnCommand::Check {
            spn,
            checks,
            schedule,
            include_disabled,
            names,
        }) => {
            let (stale, _) = stale_settings(&default_stale(), now)?;
            let checks = checks_of("spn check", &checks)?;
            let spn_rules = spn_settings(&spn, include_disabled);
            let settings = AuditSettings::new(checks, stale, spn_rules, parse_names(&names)?);
            (
                check("spn check", settings, spn.forest, &schedule, None)?,
                None,
            )
        }
        Command::Audit {
            stale,
            spn,
            checks,
            schedule,
            probe_defaults,
            probe_all,
            probe_keys,
            key_kdc,
            policy,
            probe_concurrency,
        } => {
            let (stale_settings, as_of) = stale_settings(&stale, now)?;
            let spn_rules = spn_settings(&spn, stale.include_disabled);
            let own = checks_of("audit", &checks)?;
            let settings = AuditSettings {
                probe: probe_defaults.then_some(if probe_all {
                    ProbeScope::All
                } else {
                    ProbeScope::NeverLoggedOn
                }),
                key_probe: probe_keys.map(|scope| match scope.as_str() {
                    "all" => KeyProbeScope::All,
                    _ => KeyProbeScope::Unsettled,
                }),
                probe_in_flight: usize::from(probe_concurrency),
                key_kdc: key_kdc
                    .map(|kdc| {
                        Kdc::parse(&kdc).map_err(|err| anyhow::anyhow!("--kdc {kdc}: {err}"))
                    })
                    .transpose()?,
                // Deleted computers are listed when every check is asked for: `--checks` says
                // which, and leaves them out.
                deleted: checks.checks.is_empty(),
                inventory: true,
                // So are the rotation policy's findings; the policy is read whenever stale
                // passwords are judged: it explains them.
                group_policy: own.contains(&Check::STALE_PASSWORD),
                policy_findings: checks.checks.is_empty(),
                ..AuditSettings::new(own, stale_settings, spn_rules, Vec::new())
            };
            (
                check("audit", settings, spn.forest, &schedule, policy.sysvol)?,
                as_of,
            )
        }
        _ => bail!("not a check command"),
    })
}

fn default_stale() -> StaleArgs {
    StaleArgs {
        days: 45,
        as_of: None,
        include_disabled: false,
    }
}

/// The checks asked for: `--checks`, which must be among the command's own, else all of them.
fn checks_of(command: &str, args: &ChecksArg) -> anyhow::Result<Vec<Check>> {
    let own = &Check::of_command(command);
    if args.checks.is_empty() {
        return Ok(own.to_vec());
    }
    let names: Vec<&str> = own.iter().map(|check| check.name()).collect();
    args.checks
        .iter()
        .map(|text| {
            Check::parse(text)
                .filter(|check| own.contains(check))
                .with_context(|| {
                    format!(
                        "--checks {text}: not a check of {command} (it has {})",
                        names.join(", ")
                    )
                })
        })
        .collect()
}

fn reset_settings(args: ResetArgs) -> anyhow::Result<ResetSettings> {
    let mut raw = args.names;
    if let Some(file) = &args.from_file {
        raw.extend(names_in_file(file)?);
    }
    anyhow::ensure!(
        !raw.is_empty(),
        "no computers to reset: give NAME... or --from-file FILE"
    );
    anyhow::ensure!(
        args.kdcs.is_empty() || args.verify || args.verify_all_dcs,
        "--kdc names the KDCs that verify the new password: add --verify or --verify-all-dcs"
    );
    Ok(ResetSettings {
        names: parse_names(&raw)?,
        write: WriteMode::of("reset", &args.write, true),
        verify: if args.verify_all_dcs {
            VerifyAt::AllDcs
        } else if args.verify {
            VerifyAt::WrittenDc
        } else {
            VerifyAt::Nowhere
        },
        kdcs: args
            .kdcs
            .iter()
            .map(|kdc| Kdc::parse(kdc).map_err(|err| anyhow::anyhow!("--kdc {kdc}: {err}")))
            .collect::<anyhow::Result<_>>()?,
        whole_name: args.no_truncate,
        wait: std::time::Duration::from_secs(args.wait.unwrap_or(0)),
    })
}

/// The largest baseline report or ignore list read (a million findings take about 400 MB).
const REPORT_LIMIT: u64 = 2 << 30;

/// The longest names file read, and the longest line in it.
const MAX_NAMES_FILE_BYTES: u64 = 64 << 20;
const MAX_NAME_LINE_BYTES: usize = 4096;

/// Names in a `--from-file` list: one a line, blank lines and `#` comments skipped; bounded,
/// so that `/dev/zero` is a one-line error, not a memory blow-up.
fn names_in_file(file: &std::path::Path) -> anyhow::Result<Vec<String>> {
    use std::io::Read;
    let cannot = || format!("cannot read names from {}", file.display());
    let input: Box<dyn Read> = if file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(file).with_context(cannot)?)
    };
    let mut bytes = Vec::new();
    input
        .take(MAX_NAMES_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(cannot)?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_NAMES_FILE_BYTES,
        "{}: longer than {} MiB: not a list of names",
        file.display(),
        MAX_NAMES_FILE_BYTES >> 20
    );
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", file.display()))?;
    let mut names = Vec::new();
    for (number, line) in text.lines().enumerate() {
        anyhow::ensure!(
            line.len() <= MAX_NAME_LINE_BYTES,
            "{}: line {}: longer than {MAX_NAME_LINE_BYTES} bytes: not a name",
            file.display(),
            number + 1
        );
        let name = line.split('#').next().unwrap_or("").trim();
        if !name.is_empty() {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

fn check(
    name: &'static str,
    settings: AuditSettings,
    forest: bool,
    schedule: &ScheduleArgs,
    sysvol: Option<PathBuf>,
) -> anyhow::Result<Task> {
    let triage = Box::new(triage_settings(name, &settings, schedule)?);
    Ok(Task::Check {
        name,
        settings,
        forest,
        triage,
        sysvol,
        state: schedule.state.clone(),
    })
}

/// `--baseline`, `--ignore` and `--fail-on`, their files read and checked. A `--fail-on`
/// kind the command does not look for could never fail the run: refused.
fn triage_settings(
    command: &str,
    settings: &AuditSettings,
    args: &ScheduleArgs,
) -> anyhow::Result<TriageSettings> {
    let read =
        |flag: &str, path: &std::path::Path| crate::files::read_text(path, REPORT_LIMIT, flag);
    let baseline = match &args.baseline {
        None => None,
        // The first run of a nightly job: nothing to compare with, every finding is new.
        Some(path) if !path.exists() => Some(Baseline::missing(path)),
        Some(path) => {
            let baseline = Baseline::parse(read("--baseline", path)?)
                .with_context(|| format!("--baseline {}", path.display()))?;
            if let Some(other) = baseline
                .command
                .as_deref()
                .filter(|other| *other != command)
            {
                bail!(
                    "--baseline {}: a report of `{other}`, not of `{command}`: compare reports of the same command",
                    path.display()
                );
            }
            Some(baseline)
        }
    };
    let ignore = match &args.ignore {
        None => None,
        Some(path) => Some(
            IgnoreList::parse(&read("--ignore", path)?)
                .with_context(|| format!("--ignore {}", path.display()))?,
        ),
    };
    let looked_for = settings.kinds_checked(settings.deleted, settings.policy_findings);
    let selectors = |option: &str, texts: &[String]| {
        texts
            .iter()
            .map(|text| {
                let selector = Selector::parse(text)?;
                anyhow::ensure!(
                    looked_for.contains(&selector.kind()),
                    "{option} {text}: {command} does not look for {} here (it looks for {}): it could never fail the run",
                    selector.kind(),
                    looked_for.join(", ")
                );
                Ok(selector)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let fail_on = selectors("--fail-on", &args.fail_on)?;
    let critical_on = selectors("--critical-on", &args.critical_on)?;
    Ok(TriageSettings {
        baseline,
        ignore,
        fail_on,
        critical_on,
    })
}

fn stale_settings(
    args: &StaleArgs,
    now: OffsetDateTime,
) -> anyhow::Result<(StaleSettings, Option<OffsetDateTime>)> {
    anyhow::ensure!(args.days >= 0, "--days must not be negative");
    let as_of = args.as_of.as_deref().map(parse_as_of).transpose()?;
    let settings = StaleSettings {
        days: args.days,
        as_of: FileTime::from_datetime(as_of.unwrap_or(now)),
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
        .map(|name| {
            NameQuery::parse(name)
                .map_err(|err| anyhow::anyhow!("{err}: every NAME must be a name"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn task(args: &[&str]) -> anyhow::Result<Task> {
        let cli = Cli::try_parse_from(args)?;
        Ok(task_of(cli.command, OffsetDateTime::now_utc())?.0)
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
        let Task::Check {
            name,
            settings,
            forest,
            ..
        } = task(&["adcomputer", "audit", "--days", "10"]).unwrap()
        else {
            panic!()
        };
        assert_eq!((name, forest), ("audit", false));
        assert_eq!(settings.stale.days, 10);
        assert_eq!(settings.checks, Check::all());
        let Task::Check { settings, .. } = task(&["adcomputer", "stale"]).unwrap() else {
            panic!()
        };
        assert_eq!(settings.checks, [Check::STALE_PASSWORD]);
    }

    #[test]
    fn checks_narrow_but_never_widen() {
        let Task::Check { settings, .. } =
            task(&["adcomputer", "spn", "check", "--checks", "duplicate-spn"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(settings.checks, [Check::DUPLICATE_SPN]);
        let err = task(&["adcomputer", "stale", "--checks", "duplicate_spn"]).unwrap_err();
        assert!(err.to_string().contains("not a check of stale"), "{err}");
    }

    #[test]
    fn fail_on_names_only_what_the_command_looks_for() {
        assert!(task(&["adcomputer", "stale", "--fail-on", "never_set"]).is_ok());
        let err = task(&["adcomputer", "stale", "--fail-on", "duplicate_spn"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("stale does not look for duplicate_spn"),
            "{err}"
        );
        let err = task(&["adcomputer", "spn", "check", "--fail-on", "inactive"]).unwrap_err();
        assert!(
            err.to_string().contains("does not look for stale_password"),
            "{err}"
        );
        assert!(task(&["adcomputer", "audit", "--fail-on", "default_password"]).is_err());
        assert!(
            task(&[
                "adcomputer",
                "audit",
                "--probe-default-passwords",
                "--fail-on",
                "default_password"
            ])
            .is_ok()
        );
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
        let args = ["adcomputer", "reset", "PC01", "--from-file"];
        let Task::Reset(settings) = task(&[&args[..], &[file.to_str().unwrap()]].concat()).unwrap()
        else {
            panic!()
        };
        let names: Vec<&str> = settings.names.iter().map(NameQuery::as_str).collect();
        assert_eq!(names, ["PC01", "PC02", "PC03"]);
        assert_eq!(settings.verify, VerifyAt::Nowhere);
        assert!(!settings.write.apply, "planning is the default");
        let err = task(&["adcomputer", "reset"]).unwrap_err();
        assert!(
            err.to_string().starts_with("no computers to reset"),
            "{err}"
        );
    }

    #[test]
    fn the_old_yes_still_writes() {
        let Task::Reset(settings) = task(&["adcomputer", "reset", "PC01", "--yes"]).unwrap() else {
            panic!()
        };
        assert!(settings.write.apply && settings.write.yes);
        let Task::Restore(settings) = task(&["adcomputer", "restore", "PC01", "--yes"]).unwrap()
        else {
            panic!()
        };
        assert!(settings.write.apply);
    }

    #[test]
    fn every_write_command_plans_by_default_and_takes_the_old_dry_run() {
        for args in [
            &["adcomputer", "reset", "PC01"][..],
            &["adcomputer", "restore", "PC01", "--dry-run"],
            &["adcomputer", "spn", "fix", "--yes"],
            &["adcomputer", "undo", "j.jsonl", "--dry-run"],
        ] {
            let write = match task(args).unwrap() {
                Task::Reset(settings) => settings.write,
                Task::Restore(settings) => settings.write,
                Task::SpnFix(request) => request.write,
                Task::Undo(request) => request.write,
                other => panic!("{other:?}"),
            };
            assert!(!write.apply, "{args:?} only plans");
        }
        assert!(task(&["adcomputer", "spn", "fix", "--apply", "--dry-run"]).is_err());
    }

    #[test]
    fn oversized_inputs_are_one_line_errors() {
        let err = task(&["adcomputer", "reset", "--from-file", "/dev/zero"]).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
        let long = "x".repeat(5000);
        assert!(task(&["adcomputer", "show", &long]).is_err());
        let err = task(&[
            "adcomputer",
            "reset",
            "PC01",
            "--verify",
            "--kdc",
            "dc1:99999",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("--kdc dc1:99999"), "{err}");
        let err = task(&[
            "adcomputer",
            "reset",
            "PC01",
            "--verify",
            "--kdc",
            "h:88:88",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("not HOST[:PORT]"), "{err}");
        let err = task(&["adcomputer", "reset", "PC01", "--kdc", "dc1"]).unwrap_err();
        assert!(err.to_string().contains("add --verify"), "{err}");
    }
}
