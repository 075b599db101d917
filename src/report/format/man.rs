//! The man page, adcomputer(1): NAME, SYNOPSIS, DESCRIPTION and OPTIONS from the command-line
//! definition (so they never drift from `--help`), one COMMANDS section with every subcommand's
//! own options and examples, then EXIT STATUS, ENVIRONMENT and FILES as docs/reference.md says.

use std::io::{self, Write};

use clap::{Arg, Command};
use roff::{Roff, bold, italic, roman};

/// Writes the whole page for the built-in command definition `cli`.
pub(crate) fn write(mut cli: Command, out: &mut dyn Write) -> io::Result<()> {
    cli.build();
    let man = clap_mangen::Man::new(cli.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    let mut page = Roff::new();
    page.control("SH", ["COMMANDS"]);
    page.text([roman(
        "Options above apply to every command; each command's own options follow it.",
    )]);
    for command in leaf_commands(&cli) {
        command_section(&mut page, command);
    }
    closing_sections(&mut page);
    page.to_writer(out)?;
    man.render_version_section(out)
}

/// Every command a user runs (`spn check`, not `spn`), in the order `--help` lists them.
fn leaf_commands(cli: &Command) -> Vec<&Command> {
    let mut leaves = Vec::new();
    for command in cli.get_subcommands().filter(|c| c.get_name() != "help") {
        if command.has_subcommands() {
            leaves.extend(leaf_commands(command));
        } else {
            leaves.push(command);
        }
    }
    leaves
}

fn command_section(page: &mut Roff, command: &Command) {
    let usage = command.clone().render_usage().to_string();
    let usage = usage.trim_start_matches("Usage:").trim();
    page.control("SS", [usage]);
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        page.text([roman(about.to_string())]);
    }
    for arg in command
        .get_arguments()
        .filter(|arg| !arg.is_global_set() && !arg.is_hide_set() && arg.get_id() != "help")
    {
        page.control("TP", []);
        page.text(tag(arg));
        if let Some(help) = arg.get_long_help().or(arg.get_help()) {
            page.text([roman(help.to_string())]);
        }
    }
    if let Some(after) = command.get_after_long_help().or(command.get_after_help()) {
        // Prose is filled to the reader's width; the examples keep their lines.
        let after = after.to_string();
        let (prose, examples) = after.split_once("Examples:").unwrap_or((&after, ""));
        if !prose.trim().is_empty() {
            page.control("PP", []);
            page.text([roman(prose.trim())]);
        }
        if !examples.trim().is_empty() {
            page.control("PP", []);
            page.text([roman("Examples:")]);
            page.control("nf", []);
            page.control("RS", []);
            page.text([roman(
                examples.trim_matches('\n').replace("\n  ", "\n").trim(),
            )]);
            page.control("RE", []);
            page.control("fi", []);
        }
    }
}

/// `--days <N>`, `-y, --yes` or `<NAME>...` in man-page type faces.
fn tag(arg: &Arg) -> Vec<roff::Inline> {
    let value = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map(ToString::to_string)
        .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
    if arg.is_positional() {
        return vec![italic(format!("<{value}>..."))];
    }
    let mut tag = Vec::new();
    if let Some(short) = arg.get_short() {
        tag.push(bold(format!("-{short}")));
        tag.push(roman(", "));
    }
    if let Some(long) = arg.get_long() {
        tag.push(bold(format!("--{long}")));
    }
    if arg.get_action().takes_values() {
        tag.push(roman(" "));
        tag.push(italic(format!("<{value}>")));
    }
    tag
}

/// Definitions (`.TP`) of one closing section.
fn definitions(page: &mut Roff, title: &str, items: &[(&str, &str)]) {
    page.control("SH", [title]);
    for (term, meaning) in items {
        page.control("TP", []);
        page.text([bold(*term)]);
        page.text([roman(*meaning)]);
    }
}

fn closing_sections(page: &mut Roff) {
    definitions(
        page,
        "EXIT STATUS",
        &[
            (
                "0",
                "Looked at everything asked and found nothing; or did everything asked; or \
                 showed a plan.",
            ),
            (
                "1",
                "Findings (check commands, show; with --baseline only new ones, with \
                 --fail-on only those kinds, never ones --ignore accepts), a name not found or \
                 ambiguous, or items refused, skipped, failed or left unknown (write commands).",
            ),
            (
                "2",
                "Nothing trustworthy was done: a usage, connection, TLS or authentication \
                 error, or a check that could not look at everything it was asked to (an \
                 export without the attributes it needs, an incomplete export). One line on \
                 standard error says why.",
            ),
            (
                "3",
                "With -o nagios on standard output, in place of 2: UNKNOWN, as monitoring \
                 plugins say it (0 is OK, 1 WARNING).",
            ),
        ],
    );
    definitions(
        page,
        "ENVIRONMENT",
        &[
            ("ADCOMPUTER_URL", "As -H."),
            ("ADCOMPUTER_DOMAIN", "As --domain."),
            ("ADCOMPUTER_BIND_DN", "As -D."),
            (
                "ADCOMPUTER_PASSWORD",
                "The bind password, when there is no --password-file.",
            ),
            ("ADCOMPUTER_CA_CERT", "As --ca-cert."),
            ("ADCOMPUTER_BASE", "As -b."),
            ("ADCOMPUTER_TIMEOUT", "As --timeout."),
            ("ADCOMPUTER_PROFILE", "As --profile."),
            ("XDG_CONFIG_HOME, HOME", "Where the configuration file is."),
            ("NO_COLOR", "Plain tables and messages."),
            (
                "KRB5CCNAME, KRB5_CONFIG",
                "The ticket cache and Kerberos configuration --kerberos uses.",
            ),
            (
                "LDAPURI, LDAPBASE, LDAPTLS_CACERT",
                "OpenLDAP's, as URI, BASE and TLS_CACERT in ldap.conf: the lowest layer.",
            ),
            (
                "LDAPCONF, LDAPRC, LDAPNOINIT",
                "OpenLDAP's: another configuration file, another rc file name, none at all.",
            ),
            (
                "SSL_CERT_FILE, SSL_CERT_DIR",
                "The system trust store, as for OpenSSL.",
            ),
        ],
    );
    page.control("PP", []);
    page.text([roman(
        "The command line beats the environment, which beats the profile, which beats \
         OpenLDAP's ldap.conf and ldaprc (URI, BASE, TLS_CACERT; not TLS_REQCERT, and never \
         an rc file of the current directory). An empty variable counts as unset.",
    )]);
    definitions(
        page,
        "FILES",
        &[
            (
                "$XDG_CONFIG_HOME/adcomputer/config.toml (else ~/.config/adcomputer/config.toml)",
                "Profiles: url or domain, bind_dn or kerberos, password_file, ca_cert, base. \
                 Never a password; read only by live commands.",
            ),
            (
                "password files",
                "The first line is the password. A file others may read is refused.",
            ),
            (
                "/etc/ldap/ldap.conf, ~/ldaprc, ~/.ldaprc",
                "OpenLDAP's client configuration: URI, BASE and TLS_CACERT are read.",
            ),
            (
                "adcomputer-journal-<UTC timestamp>.jsonl",
                "The journal of spn fix --apply (or --journal FILE): created new, mode 0600, \
                 an intent line synced before each change is sent and a result line after. \
                 Input of undo. No secret is ever written to it.",
            ),
        ],
    );
    page.control("SH", ["SEE ALSO"]);
    page.text([roman(
        "ldapsearch(1), kinit(1), adcli(8), msktutil(1), samba-tool(8); \
         /usr/share/doc/adcomputer/reference.md (docs/reference.md in the source): every \
         command, finding kind, JSON field and exit code.",
    )]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn page() -> String {
        let mut out = Vec::new();
        write(crate::cli::Cli::command(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn has_the_sections_admins_look_for_and_no_pages_that_do_not_exist() {
        let page = page();
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH OPTIONS",
            ".SH COMMANDS",
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(page.contains(section), "{section} missing");
        }
        assert!(!page.contains("adcomputer\\-show(1)"), "{page}");
        assert!(!page.contains("SUBCOMMANDS"));
    }

    #[test]
    fn every_command_has_its_own_options() {
        let page = page();
        for (command, option) in [
            ("adcomputer spn fix", "\\-\\-dedupe"),
            ("adcomputer reset", "\\-\\-no\\-truncate"),
            ("adcomputer stale", "\\-\\-include\\-disabled"),
            ("adcomputer undo", "JOURNAL"),
        ] {
            let section = page
                .split(".SS ")
                .find(|section| section.starts_with(&format!("\"{command} ")))
                .unwrap_or_else(|| panic!("no section for {command}"));
            assert!(section.contains(option), "{command}: {section}");
        }
    }

    #[test]
    fn every_environment_variable_of_the_options_is_listed() {
        let page = page();
        let environment = page.split(".SH ENVIRONMENT").nth(1).unwrap();
        let cli = crate::cli::Cli::command();
        for arg in cli.get_arguments() {
            if let Some(variable) = arg.get_env() {
                let variable = variable.to_string_lossy();
                assert!(environment.contains(&*variable), "{variable}");
            }
        }
    }
}
