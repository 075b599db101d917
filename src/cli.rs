//! The command line (clap derive). Parsed once, then turned into an immutable `Config`;
//! environment variables are read by `Config`, not by clap, so that the precedence (command
//! line, environment, profile, ldap.conf) is one piece of code and testable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;
use adcomputer_core::rules::kinds;

const CONNECTION: &str = "Connection (live commands)";

#[derive(Debug, Parser)]
#[command(
    name = "adcomputer",
    version,
    about = "Repair and audit Active Directory computer accounts from the domain-controller side",
    long_about = "Repair and audit Active Directory computer accounts from the domain-controller \
side, over LDAPS (or StartTLS) and Kerberos. Reads a live DC, or an LDIF export with --from-ldif.\n\n\
The bind password comes from ADCOMPUTER_PASSWORD, --password-file, or a no-echo prompt; it is \
never a command-line value. Write commands (reset, restore, spn fix, undo) show their plan and \
write only with --apply. Reference: /usr/share/doc/adcomputer/reference.md (docs/reference.md in \
the source).",
    after_help = "Examples:\n  \
adcomputer -H ldaps://dc1.corp.example.com -D admin@CORP.EXAMPLE.COM show PC01\n  \
ADCOMPUTER_URL=ldaps://dc1 ADCOMPUTER_BIND_DN=admin@CORP adcomputer show -o json PC01 PC02\n  \
adcomputer audit --from-ldif /usr/share/doc/adcomputer/examples/demo-domain.ldif --as-of 2026-11-21"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) connection: ConnectionArgs,

    /// Log LDAP, DNS and Kerberos operations with timings to stderr (-vv: more detail).
    /// Passwords and unicodePwd values are never logged.
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    /// No summary on stderr when a check exits 1 with its report elsewhere (a file, JSON on
    /// stdout); warnings and errors are still printed.
    #[arg(short = 'q', long, global = true)]
    pub(crate) quiet: bool,

    /// Output: a table for people; json, jsonl or csv for machines; for stale, spn check and
    /// audit also prometheus (a text-file collector's metrics), nagios (a monitoring plugin's
    /// status line and exit codes) or html (one self-contained page).
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table, global = true)]
    pub(crate) format: Format,

    /// Write the report to FILE instead of standard output, atomically: a temporary file in
    /// the same directory is renamed over FILE once the report is whole, so FILE is never
    /// empty or cut short, and a run that fails (or is interrupted) leaves it as it was.
    /// Repeatable, with a format each: --output json:audit.json --output prometheus:audit.prom
    /// writes both from one run.
    #[arg(long, value_name = "[FORMAT:]FILE", global = true)]
    pub(crate) output: Vec<String>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// ldaps://host[:port] (LDAPS), or ldap://host[:port] (always upgraded with StartTLS); a
    /// list separated by spaces or commas is tried in order [env: ADCOMPUTER_URL]
    #[arg(short = 'H', long = "url", value_name = "URL", global = true, help_heading = CONNECTION)]
    pub(crate) url: Option<String>,

    /// As ldapsearch's -Z / -ZZ (StartTLS, required): accepted out of habit; adcomputer always
    /// requires StartTLS on ldap:// (LDAPS on ldaps://) before a password is sent.
    #[arg(short = 'Z', action = clap::ArgAction::Count, global = true, help_heading = CONNECTION)]
    pub(crate) starttls: u8,

    /// Use the named profile of ~/.config/adcomputer/config.toml (command line and environment
    /// still win) [env: ADCOMPUTER_PROFILE]
    #[arg(long, value_name = "NAME", global = true, help_heading = CONNECTION)]
    pub(crate) profile: Option<String>,

    /// Find a DC of this domain through DNS (_ldap._tcp.dc._msdcs.DNSNAME) when no URL is
    /// given [env: ADCOMPUTER_DOMAIN]
    #[arg(long, value_name = "DNSNAME", global = true, help_heading = CONNECTION)]
    pub(crate) domain: Option<String>,

    /// The domain's DNS server: asked for the DCs of --domain, and for every DC's address
    /// (--verify-all-dcs, --all-dcs) before the DC connected to and the system's DNS.
    #[arg(long, value_name = "IP", global = true, help_heading = CONNECTION)]
    pub(crate) dns_server: Option<std::net::IpAddr>,

    /// Bind as user@realm, DOMAIN\user or a DN (simple bind over TLS) [env: ADCOMPUTER_BIND_DN]
    #[arg(short = 'D', long = "bind-dn", value_name = "USER", global = true, help_heading = CONNECTION)]
    pub(crate) bind_dn: Option<String>,

    /// Read the bind password from the first line of FILE (else ADCOMPUTER_PASSWORD, else a
    /// prompt). -y as in ldapsearch.
    #[arg(short = 'y', long, value_name = "FILE", global = true, help_heading = CONNECTION)]
    pub(crate) password_file: Option<PathBuf>,

    /// Prompt for the bind password (the default when no password is given; as in ldapsearch).
    #[arg(short = 'W', global = true, help_heading = CONNECTION)]
    pub(crate) prompt: bool,

    /// Simple authentication, as ldapsearch's -x: the default (accepted for habit's sake).
    #[arg(short = 'x', global = true, hide = true)]
    pub(crate) simple: bool,

    /// PEM file of CA certificates to trust in addition to the system store (repeatable)
    /// [env: ADCOMPUTER_CA_CERT]
    #[arg(long = "ca-cert", value_name = "FILE", global = true, help_heading = CONNECTION)]
    pub(crate) ca_cert: Vec<PathBuf>,

    /// Bind with your Kerberos ticket (SASL GSSAPI; `kinit` first) instead of a password.
    /// On ldap:// Kerberos seals the connection; on ldaps:// channel bindings are sent.
    #[arg(long, global = true, help_heading = CONNECTION)]
    pub(crate) kerberos: bool,

    /// Do not verify the DC's certificate (warns on every run). For lab use only.
    #[arg(long, global = true, help_heading = CONNECTION)]
    pub(crate) insecure: bool,

    /// Search base: what is reported [default: defaultNamingContext from the rootDSE]; the
    /// search for other holders of the same SPNs still covers the domain [env: ADCOMPUTER_BASE]
    #[arg(short = 'b', long = "base", value_name = "DN", global = true, help_heading = CONNECTION)]
    pub(crate) base: Option<String>,

    /// Seconds allowed for connecting and for each LDAP operation [default: 30]
    /// [env: ADCOMPUTER_TIMEOUT]
    #[arg(long, value_name = "SECS", global = true, help_heading = CONNECTION)]
    pub(crate) timeout: Option<u64>,

    /// Connections a scan of the domain reads over at once, each a part of it (by uSNCreated);
    /// 1 reads it in one search. With several DCs in -H, or --domain, the connections go to
    /// them in turn and the parts are whenCreated ranges.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONNECTIONS, global = true, help_heading = CONNECTION, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub(crate) connections: u16,

    /// Entries per page of paged searches (AD's MaxPageSize is 1000).
    #[arg(long, value_name = "N", default_value_t = 1000, global = true, help_heading = CONNECTION, value_parser = clap::value_parser!(i32).range(1..))]
    pub(crate) page_size: i32,

    /// Read an LDIF export (ldifde, ldifde -u, ldapsearch, ldbsearch) instead of a DC; "-"
    /// reads standard input. Wins over -H and ADCOMPUTER_URL.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) from_ldif: Option<PathBuf>,
}

/// Connections a scan reads over at once unless `--connections` says otherwise: parts pay only
/// on a DC that works in parallel and indexes USN ranges (BENCHMARKS.md, "Speed at scale").
const DEFAULT_CONNECTIONS: u16 = 1;

/// Options of the password-rotation rule.
#[derive(Debug, Args)]
pub(crate) struct StaleArgs {
    /// A password older than this many days is stale.
    #[arg(long, value_name = "N", default_value_t = 45)]
    pub(crate) days: i64,

    /// Judge ages as of this time instead of now (2026-11-21 or 2026-11-21T05:00:00Z).
    #[arg(long, value_name = "DATE")]
    pub(crate) as_of: Option<String>,

    /// Examine disabled computers too.
    #[arg(long)]
    pub(crate) include_disabled: bool,
}

/// Options of the SPN rules.
#[derive(Debug, Args)]
pub(crate) struct SpnCheckArgs {
    /// Find duplicates in the whole forest through the global catalog (port 3269/3268).
    #[arg(long)]
    pub(crate) forest: bool,

    /// Also require CLASS/short and CLASS/fqdn on every computer (repeatable), e.g. WSMAN.
    #[arg(long, value_name = "CLASS")]
    pub(crate) expect: Vec<String>,
}

/// Which checks a check command runs.
#[derive(Debug, Args)]
pub(crate) struct ChecksArg {
    /// Run only these checks (comma-separated) of the command's own, e.g. only the duplicates
    /// for an `ldifde -l servicePrincipalName` export.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = CheckNames)]
    pub(crate) checks: Vec<String>,
}

/// Where an offline run finds Group Policy's files.
#[derive(Debug, Args)]
pub(crate) struct PolicyArg {
    /// With --from-ldif: a copy of SYSVOL (the sysvol share's root, or a domain's folder; e.g.
    /// mount -t cifs //dc/sysvol) whose GptTmpl.inf files complete the export's GPO objects,
    /// for the rotation policy.
    #[arg(long, value_name = "DIR")]
    pub(crate) sysvol: Option<PathBuf>,
}

/// What a scheduled run compares with, accepts, and fails on.
#[derive(Debug, Args)]
pub(crate) struct ScheduleArgs {
    /// Compare with an earlier JSON or JSONL report of the same command: each finding is
    /// marked new or unchanged, the baseline's findings now gone are listed as resolved, and
    /// only new findings make the exit code 1. A FILE that does not exist yet (the first run)
    /// is an empty baseline.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,

    /// Keep what this run reads from the DC in DIR (one file per DC), and next time ask that
    /// DC only for what changed since: the same findings, from a fraction of the reading. A
    /// restored DC, another bind user, more attributes or a state older than the tombstone
    /// lifetime means a full read (said in warnings).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,

    /// Leave out the accepted findings listed in FILE: one finding `id` a line (as reports
    /// write it), `#` comment lines to say who accepted it and why.
    #[arg(long, value_name = "FILE")]
    pub(crate) ignore: Option<PathBuf>,

    /// Only findings of these kinds or classes make the exit code 1 (comma-separated; the
    /// kinds and classes of docs/reference.md); the others are still reported.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = KindNames)]
    pub(crate) fail_on: Vec<String>,

    /// Failing findings of these kinds or classes are critical (comma-separated): with
    /// -o nagios the check is CRITICAL (exit 2) instead of WARNING; the summary counts them.
    #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = KindNames)]
    pub(crate) critical_on: Vec<String>,
}

/// How a write command writes.
#[derive(Debug, Args)]
pub(crate) struct WriteArgs {
    /// Make the changes (default: only show the plan).
    #[arg(long)]
    pub(crate) apply: bool,

    /// With --apply: do not ask for confirmation on a terminal.
    #[arg(long)]
    pub(crate) yes: bool,

    /// Deprecated: showing the plan is the default (write with --apply).
    #[arg(long, conflicts_with = "apply", hide = true)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// One account's diagnosis: its state, the SPNs it should hold, every finding about it,
    /// and the command that mends it.
    #[command(
        after_help = "NAME is a sAMAccountName (with or without $), CN, dNSHostName or DN, \
matched as the DC matches them (case-insensitive, also beyond ASCII). A name matching several \
objects is reported as ambiguous. Duplicates of the account's SPNs are searched domain-wide.\n\n\
Examples:\n  adcomputer show PC01\n  adcomputer show pc01.corp.example.com 'CN=PC02,OU=Kiosks,DC=corp,DC=example,DC=com'\n  \
adcomputer show -o json PC01 | jq '.findings'"
    )]
    Show {
        /// Computer names to show.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,

        #[command(flatten)]
        stale: StaleArgs,

        /// Also require CLASS/short and CLASS/fqdn (repeatable), e.g. WSMAN.
        #[arg(long, value_name = "CLASS")]
        expect: Vec<String>,

        /// Also try each shown computer's default password at the KDC (one logon each; a
        /// failed attempt counts toward lockout).
        #[arg(long = "probe-default-password")]
        probe_defaults: bool,

        /// Do not ask the KDC which keys each shown computer has (by default `show` sends one
        /// AS-REQ without pre-authentication per computer: no password, no failed logon).
        /// Without the probe, encryption readiness comes from the attributes alone.
        #[arg(long)]
        no_probe_keys: bool,

        /// Add each DC's view, read from every DC at once: its own lastLogon (not replicated),
        /// key version, pwdLastSet, and where and when the password last changed.
        #[arg(long)]
        all_dcs: bool,
    },

    /// Audit machine-password rotation: never_set, rotation_failing, inactive.
    #[command(
        after_help = "A computer is stale when its password is older than --days. It is \
rotation_failing when it kept logging on more than --days after the password was set (the machine \
cannot change its password: check its secure channel and the DCs' policy), inactive otherwise, and \
never_set when pwdLastSet is 0 (pre-created, never joined). Domain controllers are included.\n\n\
Examples:\n  adcomputer stale\n  adcomputer stale --days 90 --include-disabled -o csv > stale.csv\n  \
adcomputer stale --from-ldif export.ldif --as-of 2026-11-01"
    )]
    Stale {
        #[command(flatten)]
        stale: StaleArgs,
        #[command(flatten)]
        checks: ChecksArg,
        #[command(flatten)]
        schedule: ScheduleArgs,
        /// Judge by the newest lastLogon over all DCs (read from every DC at once) where it is
        /// newer than lastLogonTimestamp, which lags by up to two weeks by design.
        #[arg(long)]
        precise_logon: bool,
        #[command(flatten)]
        policy: PolicyArg,
    },

    /// SPN checks and repairs.
    #[command(subcommand)]
    Spn(SpnCommand),

    /// Reset computer accounts to their default password, as ADUC's "Reset Account" does.
    #[command(
        after_help = "The fix for \"the trust relationship between this workstation and \
the primary domain failed\" when nobody can log on to the machine: the account's password \
becomes the default computer password (the name without $, lower-cased, first 14 characters), \
as an LDAP replace of unicodePwd over TLS; nothing else on the object changes. Domain \
controllers, RODCs, trust accounts, managed service accounts and non-computers are refused. \
Without --apply this shows the plan. Then the machine must rejoin, or run \
Reset-ComputerMachinePassword / adcli join --login-type=computer, while it can reach a DC.\n\n\
Examples:\n  adcomputer reset PC01\n  adcomputer reset PC01 --apply --verify\n  \
adcomputer reset --from-file broken.txt --apply --yes -o json\n  \
adcomputer reset FINANCE-LAPTOP7 --no-truncate --apply --verify-all-dcs"
    )]
    Reset(ResetArgs),

    /// Bring back deleted computer accounts: reanimate, default password, SPNs, as it was.
    #[command(
        after_help = "The fix for \"the security database on the server does not have a \
computer account for this workstation trust relationship\": the deleted computer is found among \
deleted objects, brought back to its last known parent (or --to OU) with the default computer \
password set in the same write, its dNSHostName and default SPNs put back (each SPN checked \
against other holders first). A name that matches several deleted objects lists them with \
their deletion times and is never acted on: give the DN. Without --apply this shows the plan.\n\n\
Examples:\n  adcomputer restore PC01\n  adcomputer restore PC01 --apply --verify\n  \
adcomputer restore 'CN=PC01\\0ADEL:3f2c…,CN=Deleted Objects,DC=corp,DC=example,DC=com' \
--to OU=Workstations,DC=corp,DC=example,DC=com --apply"
    )]
    Restore(RestoreArgs),

    /// Reverse the changes a `spn fix --apply` journal recorded, newest first.
    #[command(
        after_help = "An object whose SPNs changed since the journal recorded them is \
skipped and reported, never overwritten; an object already back in its old state is reported \
reverted, so undo can run twice. Without --apply this only prints what it would do.\n\n\
Examples:\n  adcomputer undo adcomputer-journal-20261121T050000Z.jsonl\n  \
adcomputer undo spn-fix.jsonl --apply --yes -o json"
    )]
    Undo {
        /// The journal written by `spn fix --apply`.
        #[arg(value_name = "JOURNAL")]
        journal: PathBuf,

        #[command(flatten)]
        write: WriteArgs,
    },

    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  adcomputer completions bash --output /etc/bash_completion.d/adcomputer\n  \
adcomputer completions zsh > \"${fpath[1]}/_adcomputer\"\n  adcomputer completions fish > ~/.config/fish/completions/adcomputer.fish"
    )]
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff).
    #[command(
        after_help = "Examples:\n  adcomputer man | man -l -\n  adcomputer man > /usr/local/share/man/man1/adcomputer.1"
    )]
    Man,

    /// Every read-only check in one report: stale passwords, missing, stale and duplicate SPNs.
    #[command(
        after_help = "Examples:\n  adcomputer audit\n  adcomputer audit -o json --output audit.json\n  \
adcomputer audit --from-ldif /usr/share/doc/adcomputer/examples/demo-domain.ldif --as-of 2026-11-21\n  \
adcomputer audit -o json --baseline audit.json --output audit.json  # nightly\n  \
adcomputer audit -o json --state ~/.cache/adcomputer  # next time, only what changed\n  \
adcomputer audit --output json:audit.json --output html:audit.html --output prometheus:audit.prom"
    )]
    Audit {
        #[command(flatten)]
        stale: StaleArgs,
        #[command(flatten)]
        spn: SpnCheckArgs,
        #[command(flatten)]
        checks: ChecksArg,
        #[command(flatten)]
        schedule: ScheduleArgs,

        /// Also try each enabled computer that never logged on with its default password (one
        /// Kerberos logon each): pre-created or reset accounts anyone could take over. Each
        /// failed attempt counts toward lockout; a successful one is a logon and sets the
        /// account's lastLogonTimestamp.
        #[arg(long = "probe-default-passwords")]
        probe_defaults: bool,

        /// With --probe-default-passwords: try every enabled computer, not only the unused ones.
        #[arg(long, requires = "probe_defaults")]
        probe_all: bool,

        /// Ask the DC's KDC which computers have no AES keys (class no_aes_keys): one
        /// AS-REQ without pre-authentication per computer, offering only AES. No password is
        /// sent and no failed logon counted. Probes the computers the attributes do not already
        /// find; --probe-keys=all probes every enabled computer.
        #[arg(long, value_name = "all", num_args = 0..=1, require_equals = true, default_missing_value = "unsettled", value_parser = ["unsettled", "all"])]
        probe_keys: Option<String>,

        /// With --probe-keys: ask this KDC instead of the connected DC's own (port 88 unless
        /// given).
        #[arg(long = "kdc", value_name = "HOST[:PORT]", requires = "probe_keys")]
        key_kdc: Option<String>,

        #[command(flatten)]
        policy: PolicyArg,

        /// Key probes in flight at once per KDC.
        #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
        probe_concurrency: u16,
    },
}

/// Options of `restore`.
#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// Deleted computers (their sAMAccountName, old CN, or the deleted object's DN).
    #[arg(required = true, value_name = "NAME")]
    pub(crate) names: Vec<String>,

    /// Restore into this OU instead of the last known parent.
    #[arg(long, value_name = "DN")]
    pub(crate) to: Option<String>,

    #[command(flatten)]
    pub(crate) write: WriteArgs,

    /// Log on as each restored computer with its new password at the DC that was written.
    #[arg(long)]
    pub(crate) verify: bool,

    /// The whole lower-cased name as the password, not its first 14 characters (adcli).
    #[arg(long)]
    pub(crate) no_truncate: bool,
}

/// Options of `reset`.
#[derive(Debug, Args)]
pub(crate) struct ResetArgs {
    /// Computers to reset (sAMAccountName, CN, dNSHostName or DN).
    #[arg(value_name = "NAME")]
    pub(crate) names: Vec<String>,

    /// Also reset the names in FILE, one a line ("#" starts a comment; "-" is standard input).
    #[arg(long, value_name = "FILE")]
    pub(crate) from_file: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) write: WriteArgs,

    /// Log on as each computer with its new password at the DC that was written (Kerberos).
    #[arg(long)]
    pub(crate) verify: bool,

    /// At every DC of the domain: read its own copy of the account (does it hold the new
    /// password yet?) and log on there (Kerberos), all DCs at once.
    #[arg(long)]
    pub(crate) verify_all_dcs: bool,

    /// With --verify-all-dcs: wait up to SECS for every DC to hold the new password (its own
    /// copy of the account read again every 2 s; one logon at each DC once it does).
    #[arg(long, value_name = "SECS", requires = "verify_all_dcs")]
    pub(crate) wait: Option<u64>,

    /// KDCs to verify at instead of the DCs found in LDAP (repeatable).
    #[arg(long = "kdc", value_name = "HOST[:PORT]")]
    pub(crate) kdcs: Vec<String>,

    /// Use the whole lower-cased name as the password, not its first 14 characters (what
    /// `adcli join --login-type=computer` expects for 15-character names; msktutil and Windows
    /// expect 14).
    #[arg(long)]
    pub(crate) no_truncate: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SpnCommand {
    /// Find duplicate, missing and stale SPNs.
    #[command(
        after_help = spn_check_help()
    )]
    Check {
        #[command(flatten)]
        spn: SpnCheckArgs,
        #[command(flatten)]
        checks: ChecksArg,
        #[command(flatten)]
        schedule: ScheduleArgs,

        /// Check disabled computers too.
        #[arg(long)]
        include_disabled: bool,

        /// Only these computers for missing and stale SPNs.
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },

    /// Plan, and with --apply make, SPN repairs: add missing SPNs, move stale ones to the
    /// current DNS name, and with --dedupe remove duplicates from holders that do not own the name.
    #[command(
        after_help = "Without --apply this only prints the plan. With --apply each object \
gets one modify of value-level deletes and adds (never a replace, so SPNs others add meanwhile \
survive); an SPN that another object holds, or an alias of it, is never added (reported as a \
conflict). Every change is journaled before it is sent; `adcomputer undo JOURNAL --apply` \
reverses it.\n\nExamples:\n  adcomputer spn fix\n  adcomputer spn fix PC01 --apply\n  \
adcomputer spn fix --dedupe --apply --yes --journal spn-fix.jsonl -o json"
    )]
    Fix {
        /// Only these computers (duplicates still consider the whole domain).
        #[arg(value_name = "NAME")]
        names: Vec<String>,

        /// Also remove duplicates from the holders that do not own the SPN's host name.
        #[arg(long)]
        dedupe: bool,

        #[command(flatten)]
        write: WriteArgs,

        /// Journal file [default: adcomputer-journal-<UTC timestamp>.jsonl].
        #[arg(long, value_name = "FILE", requires = "apply")]
        journal: Option<PathBuf>,

        /// Also require CLASS/short and CLASS/fqdn on every computer (repeatable).
        #[arg(long, value_name = "CLASS")]
        expect: Vec<String>,

        /// Repair disabled computers too.
        #[arg(long)]
        include_disabled: bool,
    },
}

/// `--checks`' values: every check, offered to completions and `--help`; any text is passed
/// on, so that a wrong one gets the command's one-line error.
#[derive(Clone)]
struct CheckNames;

impl clap::builder::TypedValueParser for CheckNames {
    type Value = String;

    fn parse_ref(
        &self,
        command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        KindNames.parse_ref(command, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let checks = adcomputer_core::rules::coverage::Check::all().into_iter();
        Some(Box::new(checks.map(|check| {
            clap::builder::PossibleValue::new(check.name())
        })))
    }
}

/// `--fail-on`'s values: every finding kind and class, offered to completions and `--help`;
/// any text is passed on, so that a wrong one gets `triage::Selector`'s one-line error.
#[derive(Clone)]
struct KindNames;

impl clap::builder::TypedValueParser for KindNames {
    type Value = String;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let names = kinds::names().chain(kinds::classes());
        Some(Box::new(names.map(clap::builder::PossibleValue::new)))
    }
}

/// `spn check --help`'s closing text: its kinds as declared, what NAMEs narrow, examples.
fn spn_check_help() -> String {
    let mut text = String::new();
    for kind in kinds::KINDS.iter().filter(|kind| {
        kind.needs
            .as_ref()
            .is_some_and(|needs| needs.commands.contains(&"spn check"))
    }) {
        text.push_str(&format!("{}: {}.\n", kind.name, kind.meaning));
    }
    let duplicate = kinds::DUPLICATE_SPN.name;
    text.push_str(&format!(
        "Duplicates are judged as the DC compares SPNs, also through sPNMappings aliases \
(cifs/x = HOST/x), across objects of any class. NAMEs narrow the missing and stale checks; \
duplicates always consider the whole domain.\n\n\
Examples:\n  adcomputer spn check\n  adcomputer spn check --expect WSMAN PC01 PC02\n  \
adcomputer spn check --from-ldif SPNList.txt --checks {duplicate}\n  \
adcomputer spn check --forest -o json | jq '.findings[] | select(.kind == \"{duplicate}\")'"
    ));
    text
}
