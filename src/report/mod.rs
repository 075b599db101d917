//! Reports: the JSON envelope of SPEC §7, CSV, and comfy-table tables. Only reports go to
//! stdout; everything else (warnings, progress) goes to stderr.

mod findings;
mod progress;

use std::io::{IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

pub use findings::write_findings;
pub use progress::Progress;

/// Output format chosen with `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// The fields every JSON document starts with.
#[derive(Debug, Serialize)]
pub struct Envelope<'a> {
    pub tool: &'static str,
    pub version: &'static str,
    pub command: &'a str,
    pub as_of: String,
    pub source: &'a str,
}

impl<'a> Envelope<'a> {
    pub fn new(command: &'a str, as_of: String, source: &'a str) -> Envelope<'a> {
        Envelope {
            tool: "adcomputer",
            version: env!("CARGO_PKG_VERSION"),
            command,
            as_of,
            source,
        }
    }
}

#[derive(Serialize)]
struct Document<'a, B: Serialize> {
    #[serde(flatten)]
    envelope: &'a Envelope<'a>,
    #[serde(flatten)]
    body: &'a B,
}

/// Writes one JSON document: the envelope's fields, then the body's.
pub fn write_json<B: Serialize>(envelope: &Envelope, body: &B) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &Document { envelope, body })?;
    writeln!(out)?;
    Ok(())
}

/// Writes CSV rows (a header from the first row's field names).
pub fn write_csv<R: Serialize>(rows: impl IntoIterator<Item = R>) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(std::io::stdout().lock());
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// A table styled for where it goes: box drawing on a terminal, plain ASCII elsewhere or
/// when NO_COLOR is set.
pub fn new_table() -> Table {
    let mut table = Table::new();
    let fancy = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    table
        .load_style(if fancy {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        })
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

/// "3 days ago", "in 2 days", "today".
pub fn days_ago(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        -1 => "in 1 day".into(),
        d if d < 0 => format!("in {} days", -d),
        d => format!("{d} days ago"),
    }
}
