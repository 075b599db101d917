//! Reports: every output format lives here, and every command reports through `emit`. A
//! command hands over a presenter (`present/`, a `Present`: its items, their CSV rows, its
//! summary, its tables) and the run's `Envelope`; `emit` writes one JSON document, JSON Lines,
//! or through `format/` CSV, tables for people, or for check commands Prometheus metrics, one
//! HTML page or a monitoring plugin's status line, buffered and streamed, to stdout or
//! atomically to `--output FILE` (`format/output.rs`). Only reports go to stdout; warnings and
//! progress go to stderr. Directory data is neutralised on the way out (`model::sanitize`).

pub(crate) mod format;
pub(crate) mod present;

use std::io::{BufWriter, Write};

use serde::Serialize;

pub(crate) use crate::atomic::write_atomically;
use adcomputer_core::rules::coverage::Coverage;
pub(crate) use format::table::{Layout, TextOut};

/// Output format chosen with `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Tables for people.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object a line, one line a finding (log pipelines).
    Jsonl,
    /// One row a finding, the JSON field names as columns.
    Csv,
    /// Metrics for Prometheus' text-file collector (check commands).
    Prometheus,
    /// One self-contained HTML page: summary, charts, sortable tables (check commands).
    Html,
    /// One status line with performance data and the plugin exit codes, for Nagios and
    /// Icinga (check commands).
    Nagios,
}

impl Format {
    /// Formats only the check commands' findings can fill.
    pub(crate) fn is_for_checks_only(self) -> bool {
        matches!(self, Format::Prometheus | Format::Html | Format::Nagios)
    }

    /// The format's name on the command line (clap's).
    pub(crate) fn name(self) -> String {
        use clap::ValueEnum;
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_else(|| format!("{self:?}"))
    }
}

/// Where a report goes, and in which format: standard output, or a file written atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    pub(crate) format: Format,
    pub(crate) file: Option<std::path::PathBuf>,
}

impl Destination {
    /// `--output [FORMAT:]FILE`: a leading format name and colon choose the format, else
    /// `default` (`-o`). A format with no file after it is a mistake, not a file named `json:`.
    pub(crate) fn parse(text: &str, default: Format) -> anyhow::Result<Destination> {
        use clap::ValueEnum;
        let named = text
            .split_once(':')
            .and_then(|(name, file)| Some((Format::from_str(name, false).ok()?, file)));
        match named {
            Some((_, "")) => anyhow::bail!("--output {text}: no file name after the format"),
            Some((format, file)) => Ok(Destination {
                format,
                file: Some(file.into()),
            }),
            None => Ok(Destination {
                format: default,
                file: Some(text.into()),
            }),
        }
    }
}

/// What every report says about its run.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    pub(crate) command: &'static str,
    pub(crate) as_of: String,
    pub(crate) source: String,
    /// `-b`: the reported scope (the whole domain or export when `None`).
    pub(crate) base: Option<String>,
    /// Things the reader must know (in table mode they go to stderr).
    pub(crate) warnings: Vec<String>,
    /// What the checks could examine (check commands only).
    pub(crate) coverage: Option<Coverage>,
    /// When the run started (for its duration).
    pub(crate) started: std::time::Instant,
}

/// A report: the items a command reports, and how each format shows them.
pub(crate) trait Present: Sync {
    /// One finding, as its JSON object.
    type Item: Serialize + Sync;
    type Summary: Serialize;
    /// A CSV row: a flat struct whose field names are the columns.
    type Row<'a>: Serialize
    where
        Self: 'a;

    fn items(&self) -> &[Self::Item];
    fn summary(&self) -> &Self::Summary;
    /// How many CSV rows there are (one an item, unless the presenter says otherwise).
    fn csv_len(&self) -> usize {
        self.items().len()
    }
    fn csv_row(&self, index: usize) -> Self::Row<'_>;
    /// Appends item `index` as one JSON object to `buffer`.
    fn write_item(&self, index: usize, buffer: &mut Vec<u8>) -> std::io::Result<()> {
        Ok(serde_json::to_writer(buffer, &self.items()[index])?)
    }
    /// Fields a JSON document carries besides `findings` and `summary` (`accounts`, `journal`).
    fn extra_fields(&self, _fields: &mut JsonFields<'_>) -> std::io::Result<()> {
        Ok(())
    }
    /// JSON Lines after the items' (a baseline's resolved findings).
    fn extra_lines(&self, _out: &mut dyn Write) -> std::io::Result<()> {
        Ok(())
    }
    /// The check commands' findings, for the formats only they have.
    fn as_findings(&self) -> Option<&present::findings::FindingsReport<'_>> {
        None
    }
    /// Tables and lines for people, the summary line last.
    fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()>;
}

/// Writes the report to each destination: standard output, or a file written atomically. A
/// reader that goes away (`| head`) ends the output quietly: the exit code still tells the
/// run's outcome. Warnings go to stderr when a table is written (JSON and the other formats
/// carry them).
pub(crate) fn emit<P: Present>(
    destinations: &[Destination],
    envelope: &Envelope,
    report: &P,
) -> anyhow::Result<()> {
    let mut written = Ok(());
    for destination in destinations {
        let format = destination.format;
        written = match &destination.file {
            Some(path) => crate::atomic::write_atomically(path, |out| {
                write(format, Layout::PLAIN, envelope, report, out)
            }),
            None => {
                let stdout = std::io::stdout();
                let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
                match write(format, Layout::for_stdout(), envelope, report, &mut out)
                    .and_then(|()| out.flush())
                {
                    Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    other => other.map_err(anyhow::Error::from),
                }
            }
        };
        if written.is_err() {
            break;
        }
    }
    if destinations.iter().any(|d| d.format == Format::Table) {
        for warning in &envelope.warnings {
            eprintln!(
                "adcomputer: warning: {}",
                adcomputer_core::model::sanitize::for_terminal(warning)
            );
        }
    }
    written
}

fn write<P: Present>(
    format: Format,
    layout: Layout,
    envelope: &Envelope,
    report: &P,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => write_json(envelope, report, out),
        Format::Jsonl => {
            write_blocks(report.items().len(), out, |range, buffer| {
                for index in range {
                    report.write_item(index, buffer)?;
                    buffer.push(b'\n');
                }
                Ok(())
            })?;
            report.extra_lines(out)
        }
        Format::Prometheus | Format::Html | Format::Nagios => {
            let findings = report.as_findings().ok_or_else(|| {
                std::io::Error::other(format!(
                    "-o {} is for stale, spn check and audit",
                    format.name()
                ))
            })?;
            match format {
                Format::Html => format::html::write(envelope, findings, out),
                Format::Nagios => format::nagios::write(envelope, findings, out),
                _ => format::prometheus::write(envelope, findings, out),
            }
        }
        Format::Csv => {
            if report.csv_len() == 0 {
                return Ok(());
            }
            let mut header = Vec::new();
            format::csv::header(&mut header, &report.csv_row(0))?;
            out.write_all(&header)?;
            write_blocks(report.csv_len(), out, |range, buffer| {
                format::csv::rows(buffer, range.map(|index| report.csv_row(index)))
            })
        }
        Format::Table => {
            let mut text = TextOut { out, layout };
            report.tables(&mut text)?;
            if let Some(coverage) = &envelope.coverage {
                text.prose("", &coverage.note())?;
            }
            Ok(())
        }
    }
}

/// Writes one JSON document: the envelope's fields, the presenter's own fields, the findings
/// (one a line), then the summary.
fn write_json<P: Present>(
    envelope: &Envelope,
    report: &P,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut fields = JsonFields { out, first: true };
    fields.field("tool", &"adcomputer")?;
    fields.field("version", &env!("CARGO_PKG_VERSION"))?;
    fields.field("command", &envelope.command)?;
    fields.field("as_of", &envelope.as_of)?;
    fields.field("source", &envelope.source)?;
    fields.field("base", &envelope.base)?;
    fields.field("warnings", &envelope.warnings)?;
    if let Some(coverage) = &envelope.coverage {
        fields.field("coverage", coverage)?;
    }
    report.extra_fields(&mut fields)?;
    let out = fields.out;
    out.write_all(b",\n\"findings\":[")?;
    let items = report.items();
    write_blocks(items.len(), out, |range, buffer| {
        for index in range {
            buffer.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
            report.write_item(index, buffer)?;
        }
        Ok(())
    })?;
    out.write_all(b"\n],\n\"summary\":")?;
    serde_json::to_writer(&mut *out, report.summary())?;
    out.write_all(b"}\n")
}

/// Items a block: large enough to amortise a hand-over, small enough to bound the memory.
pub(crate) const BLOCK: usize = 4096;
/// Blocks encoded ahead of the one to write next, at most, on the writing thread.
const AHEAD: usize = 4;

/// Writes `len` items encoded by `encode` (a range of indexes, into a buffer), in order. Large
/// reports are encoded on two cores in blocks: both threads take the next block not yet taken,
/// and this one also writes them in order (so it takes fewer), while memory stays at a few
/// blocks.
pub(crate) fn write_blocks(
    len: usize,
    out: &mut dyn Write,
    encode: impl Fn(std::ops::Range<usize>, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let encode_block = |number: usize, buffer: &mut Vec<u8>| -> std::io::Result<()> {
        buffer.clear();
        encode(number * BLOCK..((number + 1) * BLOCK).min(len), buffer)
    };
    let blocks = len.div_ceil(BLOCK);
    let mut buffer = Vec::new();
    if blocks < 4 {
        for number in 0..blocks {
            encode_block(number, &mut buffer)?;
            out.write_all(&buffer)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    // Written blocks' buffers, used again: a fresh one of a few MiB is page faults all over.
    let spare = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let take = || {
        spare
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default()
    };
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<(usize, std::io::Result<Vec<u8>>)>(2);
        let (encode_block, next, take) = (&encode_block, &next, &take);
        scope.spawn(move || {
            loop {
                let number = next.fetch_add(1, Ordering::Relaxed);
                if number >= blocks {
                    return;
                }
                let mut buffer = take();
                let encoded = encode_block(number, &mut buffer).map(|()| buffer);
                if send.send((number, encoded)).is_err() {
                    return; // the writer stopped
                }
            }
        });
        // Blocks encoded but not yet written, by number.
        let mut waiting = std::collections::BTreeMap::new();
        for number in 0..blocks {
            let block = loop {
                if let Some(block) = waiting.remove(&number) {
                    break block;
                }
                // Encode one here while the other thread's is not ready, if any is left and
                // not too many wait already (the other thread may be held up).
                let received = receive.try_recv().ok();
                let mine = (received.is_none() && waiting.len() < AHEAD)
                    .then(|| next.fetch_add(1, Ordering::Relaxed))
                    .filter(|mine| *mine < blocks);
                let theirs = match (received, mine) {
                    (Some(theirs), _) => Some(theirs),
                    (None, Some(mine)) => {
                        let mut buffer = take();
                        encode_block(mine, &mut buffer)?;
                        waiting.insert(mine, buffer);
                        None
                    }
                    (None, None) => Some(
                        receive
                            .recv()
                            .map_err(|_| std::io::Error::other("the report encoder stopped"))?,
                    ),
                };
                if let Some((at, encoded)) = theirs {
                    waiting.insert(at, encoded?);
                }
            };
            out.write_all(&block)?;
            if let Ok(mut spare) = spare.lock() {
                spare.push(block);
            }
        }
        Ok(())
    })
}

/// The fields of a JSON object being written.
pub(crate) struct JsonFields<'a> {
    out: &'a mut dyn Write,
    first: bool,
}

impl JsonFields<'_> {
    pub(crate) fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &str,
        value: &T,
    ) -> std::io::Result<()> {
        self.out.write_all(if self.first { b"{" } else { b"," })?;
        self.first = false;
        serde_json::to_writer(&mut *self.out, name)?;
        self.out.write_all(b":")?;
        serde_json::to_writer(&mut *self.out, value)?;
        Ok(())
    }
}

/// "3 days ago", "in 2 days", "today".
pub(crate) fn days_ago(days: i64) -> String {
    match days {
        0 => "today".into(),
        1 => "1 day ago".into(),
        -1 => "in 1 day".into(),
        d if d < 0 => format!("in {} days", -d),
        d => format!("{d} days ago"),
    }
}

/// "1 finding", "3 findings".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo {
        items: Vec<serde_json::Value>,
        summary: serde_json::Value,
    }

    #[derive(Serialize)]
    struct DemoRow<'a> {
        kind: &'a str,
    }

    impl Present for Demo {
        type Item = serde_json::Value;
        type Summary = serde_json::Value;
        type Row<'a> = DemoRow<'a>;
        fn items(&self) -> &[serde_json::Value] {
            &self.items
        }
        fn csv_row(&self, index: usize) -> DemoRow<'_> {
            DemoRow {
                kind: self.items[index]["kind"].as_str().unwrap_or_default(),
            }
        }
        fn summary(&self) -> &serde_json::Value {
            &self.summary
        }
        fn tables(&self, out: &mut TextOut<'_>) -> std::io::Result<()> {
            out.line("no findings")
        }
    }

    fn envelope() -> Envelope {
        Envelope {
            command: "audit",
            as_of: "2026-11-21T00:00:00Z".into(),
            source: "ldif:x".into(),
            base: None,
            warnings: vec!["careful".into()],
            coverage: Some(Coverage::new(&[])),
            started: std::time::Instant::now(),
        }
    }

    fn render(format: Format, demo: &Demo) -> String {
        let mut out = Vec::new();
        write(format, Layout::PLAIN, &envelope(), demo, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_json_document_parses_and_has_the_envelope_first() {
        let demo = Demo {
            items: vec![
                serde_json::json!({"kind": "a"}),
                serde_json::json!({"kind": "b\u{1b}"}),
            ],
            summary: serde_json::json!({"findings": 2}),
        };
        let text = render(Format::Json, &demo);
        assert!(text.starts_with("{\"tool\":\"adcomputer\""), "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["findings"][1]["kind"], "b\u{1b}", "JSON stays exact");
        assert_eq!(json["warnings"][0], "careful");
        assert_eq!(json["summary"]["findings"], 2);
        let empty = Demo {
            items: Vec::new(),
            summary: serde_json::json!({}),
        };
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json, &empty)).unwrap();
        assert_eq!(json["findings"], serde_json::json!([]));
    }

    #[test]
    fn an_output_may_name_its_format() {
        let parse = |text| Destination::parse(text, Format::Json).unwrap();
        assert_eq!(parse("prometheus:/x/a.prom").format, Format::Prometheus);
        assert_eq!(parse("html:r.html").file, Some("r.html".into()));
        assert_eq!(parse("/var/lib/a.json").format, Format::Json);
        assert_eq!(
            parse("weird:name.json").file,
            Some("weird:name.json".into()),
            "not a format: part of the file name"
        );
        let err = Destination::parse("json:", Format::Json).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--output json:: no file name after the format"
        );
    }

    #[test]
    fn blocks_encoded_on_two_threads_are_written_in_order_and_a_failure_stops_them() {
        let len = 10 * BLOCK + 7;
        let encode = |range: std::ops::Range<usize>, buffer: &mut Vec<u8>| {
            for index in range {
                writeln!(buffer, "{index}")?;
            }
            Ok(())
        };
        let mut out = Vec::new();
        write_blocks(len, &mut out, encode).unwrap();
        let expected: String = (0..len).map(|index| format!("{index}\n")).collect();
        assert!(out == expected.as_bytes(), "blocks out of order or missing");
        let failing = |range: std::ops::Range<usize>, buffer: &mut Vec<u8>| {
            if range.contains(&(7 * BLOCK)) {
                return Err(std::io::Error::other("disk full"));
            }
            encode(range, buffer)
        };
        let err = write_blocks(len, &mut Vec::new(), failing).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
    }

    #[test]
    fn jsonl_is_one_finding_a_line() {
        let demo = Demo {
            items: vec![
                serde_json::json!({"kind": "a"}),
                serde_json::json!({"kind": "b"}),
            ],
            summary: serde_json::json!({}),
        };
        let text = render(Format::Jsonl, &demo);
        assert_eq!(text, "{\"kind\":\"a\"}\n{\"kind\":\"b\"}\n");
    }
}
