//! Text for people: lines and tables, every cell neutralised for the terminal. A table never
//! splits a token (an SPN, a DN, a timestamp): on a terminal it wraps only between words, and
//! when even that does not fit it falls back to one value per line; in a pipe or a file it
//! does not wrap at all. A terminal that reports zero columns counts as no terminal.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};
use smallvec::SmallVec;
use unicode_width::UnicodeWidthStr;

use adcomputer_core::model::sanitize::for_terminal;
use adcomputer_core::rules::kinds::Severity;

/// How text output is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The terminal's width; `None` when output is not a terminal.
    pub(crate) width: Option<usize>,
    /// Box drawing (a terminal, and NO_COLOR unset).
    pub(crate) fancy: bool,
}

impl Layout {
    /// Plain text without wrapping: files and pipes.
    pub(crate) const PLAIN: Layout = Layout {
        width: None,
        fancy: false,
    };

    /// The layout for standard output.
    pub(crate) fn for_stdout() -> Layout {
        if !std::io::stdout().is_terminal() {
            return Layout::PLAIN;
        }
        let width = terminal_columns().filter(|columns| *columns > 0);
        Layout {
            width,
            fancy: width.is_some() && std::env::var_os("NO_COLOR").is_none(),
        }
    }
}

/// The columns of the terminal on standard output, as the kernel reports them.
fn terminal_columns() -> Option<usize> {
    // SAFETY: TIOCGWINSZ fills a `winsize` and touches nothing else; the struct is ours.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let status = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (status == 0).then_some(usize::from(size.ws_col))
}

/// Text output with a layout.
pub(crate) struct TextOut<'a> {
    pub(crate) out: &'a mut dyn Write,
    pub(crate) layout: Layout,
}

impl TextOut<'_> {
    /// One line, neutralised.
    pub(crate) fn line(&mut self, text: &str) -> std::io::Result<()> {
        writeln!(self.out, "{}", for_terminal(text))
    }

    pub(crate) fn blank(&mut self) -> std::io::Result<()> {
        writeln!(self.out)
    }

    /// A table's title, coloured by `severity` on a terminal (never with NO_COLOR, nor in a
    /// pipe or a file): critical red, warning yellow, notice bold.
    pub(crate) fn heading(&mut self, text: &str, severity: Severity) -> std::io::Result<()> {
        if !self.layout.fancy {
            return self.line(text);
        }
        let colour = match severity {
            Severity::Critical => "1;31",
            Severity::Warning => "1;33",
            Severity::Notice => "1",
        };
        writeln!(self.out, "\x1b[{colour}m{}\x1b[0m", for_terminal(text))
    }

    /// Prose after `label`, wrapped between words to the terminal's width, continuation lines
    /// indented under the text (unwrapped in a pipe or a file). A word longer than the line
    /// (an SPN, a DN) stays whole.
    pub(crate) fn prose(&mut self, label: &str, text: &str) -> std::io::Result<()> {
        let text = for_terminal(text);
        let Some(width) = self.layout.width else {
            return writeln!(self.out, "{label}{text}");
        };
        let indent = label.width();
        let mut line = String::from(label);
        let mut used = indent;
        for word in text.split(' ').filter(|word| !word.is_empty()) {
            let wide = word.width();
            if used > indent && used + 1 + wide > width {
                writeln!(self.out, "{line}")?;
                line = " ".repeat(indent);
                used = indent;
            }
            if used > indent {
                line.push(' ');
                used += 1;
            }
            line.push_str(word);
            used += wide;
        }
        writeln!(self.out, "{line}")
    }

    /// Labelled values, one a row: a two-column table with the labels as its first column;
    /// too narrow for that, `label: value` lines.
    pub(crate) fn pairs(&mut self, rows: &[(&str, Cell<'_>)]) -> std::io::Result<()> {
        let as_rows: Vec<Vec<Cell<'_>>> = rows
            .iter()
            .map(|(label, value)| vec![Cell::from(label.to_string()), value.clone()])
            .collect();
        let widest = |cell: &Cell<'_>| {
            cell.neutralised()
                .split_whitespace()
                .map(UnicodeWidthStr::width)
                .max()
                .unwrap_or(0)
        };
        let label_width = rows
            .iter()
            .map(|(label, _)| label.width())
            .max()
            .unwrap_or(0);
        let value_width = rows
            .iter()
            .map(|(_, value)| widest(value))
            .max()
            .unwrap_or(0);
        match self.layout.width {
            Some(width) if label_width + value_width + 7 > width => {
                for (label, value) in rows {
                    let text = value.neutralised();
                    let mut lines = text.lines();
                    writeln!(self.out, "{label}: {}", lines.next().unwrap_or(""))?;
                    for line in lines {
                        writeln!(self.out, "  {line}")?;
                    }
                }
                Ok(())
            }
            _ => self.table(&["Attribute", "Value"], &as_rows),
        }
    }

    /// A table of cells (`Cell`: one value a cell, or several one a line).
    pub(crate) fn table<C: CellText>(
        &mut self,
        header: &[&str],
        rows: &[Vec<C>],
    ) -> std::io::Result<()> {
        let rows: Vec<Vec<Cow<'_, str>>> = rows
            .iter()
            .map(|row| row.iter().map(CellText::neutralised).collect())
            .collect();
        let Some(width) = self.layout.width else {
            return plain_table(self.out, header, &rows);
        };
        let floors: Vec<usize> = (0..header.len())
            .map(|column| {
                std::iter::once(header[column])
                    .chain(
                        rows.iter()
                            .filter_map(|row| row.get(column).map(|cell| cell.as_ref())),
                    )
                    .flat_map(str::split_whitespace)
                    .map(UnicodeWidthStr::width)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Each column: its cells, a space of padding on each side and a border; one more border.
        let needed: usize = floors.iter().map(|floor| floor + 3).sum::<usize>() + 1;
        if needed > width {
            return self.records(header, &rows);
        }
        let mut table = new_table(self.layout, header);
        table
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(width).unwrap_or(u16::MAX))
            // comfy-table's widths include a column's padding (a space each side).
            .set_constraints(floors.iter().map(|floor| {
                ColumnConstraint::LowerBoundary(Width::Fixed(
                    u16::try_from(*floor + 2).unwrap_or(u16::MAX),
                ))
            }));
        rows.iter().for_each(|row| {
            table.add_row(row.iter().map(|cell| cell.to_string()));
        });
        writeln!(self.out, "{table}")
    }

    /// A table of `len` rows, row `n` made by `row(n)`, which is asked twice in a pipe or a
    /// file (the widths, then the lines) so that no row is kept: a report may list a million.
    /// There both passes run on two cores, the lines in blocks written in order.
    pub(crate) fn table_of<C: CellText>(
        &mut self,
        header: &[&str],
        len: usize,
        row: impl Fn(usize) -> Vec<C> + Sync,
    ) -> std::io::Result<()> {
        if self.layout.width.is_some() {
            let kept: Vec<Vec<C>> = (0..len).map(&row).collect();
            return self.table(header, &kept);
        }
        let cell_widths = |range: std::ops::Range<usize>| {
            let mut widths = plain_widths(header, std::iter::empty());
            for n in range {
                for (width, cell) in widths.iter_mut().zip(row(n)) {
                    *width = (*width).max(widest_line(&cell.neutralised()));
                }
            }
            widths
        };
        let widths = match len < 2 * crate::report::BLOCK {
            true => cell_widths(0..len),
            false => std::thread::scope(|scope| {
                let second = scope.spawn(|| cell_widths(len / 2..len));
                let first = cell_widths(0..len / 2);
                let second = second
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                first
                    .into_iter()
                    .zip(second)
                    .map(|(a, b)| a.max(b))
                    .collect()
            }),
        };
        let writer = PlainTable::start(self.out, header, widths)?;
        let (widths, spaces) = (&writer.widths, &writer.spaces);
        crate::report::write_blocks(len, writer.out, |range, buffer| {
            for n in range {
                let made = row(n);
                let cells: SmallVec<[Cow<'_, str>; 8]> =
                    made.iter().map(CellText::neutralised).collect();
                write_row(buffer, widths, spaces, &cells)?;
            }
            Ok(())
        })?;
        writer.end()
    }

    /// One value per line: for terminals too narrow for the table.
    fn records(&mut self, header: &[&str], rows: &[Vec<Cow<'_, str>>]) -> std::io::Result<()> {
        for row in rows {
            for (name, cell) in header.iter().zip(row) {
                let mut lines = cell.lines();
                writeln!(self.out, "{name}: {}", lines.next().unwrap_or(""))?;
                for line in lines {
                    writeln!(self.out, "  {line}")?;
                }
            }
            writeln!(self.out)?;
        }
        Ok(())
    }
}

/// A table without wrapping, for files and pipes: ASCII borders, each column as wide as its
/// widest value.
fn plain_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<Cow<'_, str>>],
) -> std::io::Result<()> {
    let widths = plain_widths(
        header,
        rows.iter()
            .map(|row| row.iter().map(|cell| widest_line(cell)).collect()),
    );
    let mut writer = PlainTable::start(out, header, widths)?;
    for row in rows {
        writer.row(row)?;
    }
    writer.end()
}

/// The widest line of a cell's text (most cells are one line).
fn widest_line(cell: &str) -> usize {
    if !cell.as_bytes().contains(&b'\n') {
        return columns(cell);
    }
    cell.split('\n').map(columns).fold(0, usize::max)
}

/// How many columns `text` takes on a terminal: a column a byte when all are printable ASCII
/// (most cells: found without an early exit, many bytes at once), else as Unicode says.
fn columns(text: &str) -> usize {
    let printable = text
        .bytes()
        .fold(true, |all, byte| all & (0x20..0x7f).contains(&byte));
    if printable { text.len() } else { text.width() }
}

/// Each column's width: its header's or its widest value's, from each row's cell widths.
fn plain_widths(header: &[&str], rows: impl Iterator<Item = Vec<usize>>) -> Vec<usize> {
    let mut widths: Vec<usize> = header
        .iter()
        .map(|name| columns(&for_terminal(name)))
        .collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell);
        }
    }
    widths
}

/// A plain table being written, row by row, once its widths are known.
struct PlainTable<'o> {
    out: &'o mut dyn Write,
    widths: Vec<usize>,
    spaces: Vec<u8>,
}

impl<'o> PlainTable<'o> {
    /// Writes the header between its rules.
    fn start(
        out: &'o mut dyn Write,
        header: &[&str],
        widths: Vec<usize>,
    ) -> std::io::Result<PlainTable<'o>> {
        let spaces = vec![b' '; widths.iter().copied().max().unwrap_or(0) + 1];
        let mut table = PlainTable {
            out,
            widths,
            spaces,
        };
        let header: Vec<Cow<'_, str>> = header.iter().map(|name| for_terminal(name)).collect();
        table.rule(b'-')?;
        table.row(&header)?;
        table.rule(b'=')?;
        Ok(table)
    }

    fn rule(&mut self, fill: u8) -> std::io::Result<()> {
        let mut line = vec![b'+'];
        for width in &self.widths {
            line.extend(std::iter::repeat_n(fill, width + 2));
            line.push(b'+');
        }
        line.push(b'\n');
        self.out.write_all(&line)
    }

    fn row(&mut self, cells: &[Cow<'_, str>]) -> std::io::Result<()> {
        write_row(self.out, &self.widths, &self.spaces, cells)
    }

    fn end(mut self) -> std::io::Result<()> {
        self.rule(b'-')
    }
}

/// One row of a plain table: as many lines as its tallest cell, each cell padded with
/// `spaces` to its column's width.
fn write_row<W: Write + ?Sized>(
    out: &mut W,
    widths: &[usize],
    spaces: &[u8],
    cells: &[Cow<'_, str>],
) -> std::io::Result<()> {
    // Most cells are one line: only those that are not are split.
    fn one_line(cell: &str) -> bool {
        !cell.as_bytes().contains(&b'\n')
    }
    fn line(cell: &str, number: usize) -> Option<&str> {
        match one_line(cell) {
            true => Some(cell).filter(|_| number == 0),
            false => cell.split('\n').nth(number),
        }
    }
    let height = cells
        .iter()
        .map(|cell| match one_line(cell) {
            true => 1,
            false => cell.split('\n').count(),
        })
        .max()
        .unwrap_or(1);
    for number in 0..height {
        out.write_all(b"|")?;
        for (column, width) in widths.iter().enumerate() {
            let value = cells
                .get(column)
                .and_then(|cell| line(cell, number))
                .unwrap_or("");
            out.write_all(b" ")?;
            out.write_all(value.as_bytes())?;
            out.write_all(&spaces[..width.saturating_sub(columns(value)) + 1])?;
            out.write_all(b"|")?;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// A cell's text as the table shows it: its values made safe, one a line. Only `Cell::Lines`
/// breaks a line: a line feed inside a value (directory data) is shown as `\x0a`, so it can
/// never start what looks like another row.
pub(crate) trait CellText {
    fn neutralised(&self) -> Cow<'_, str>;
}

impl CellText for &str {
    fn neutralised(&self) -> Cow<'_, str> {
        for_terminal(self)
    }
}

impl CellText for String {
    fn neutralised(&self) -> Cow<'_, str> {
        for_terminal(self)
    }
}

impl CellText for Cow<'_, str> {
    fn neutralised(&self) -> Cow<'_, str> {
        for_terminal(self)
    }
}

/// A table cell: one value, or several values shown one a line.
#[derive(Debug, Clone)]
pub(crate) enum Cell<'a> {
    One(Cow<'a, str>),
    Lines(Vec<Cow<'a, str>>),
}

impl<'a> Cell<'a> {
    /// The cell with `suffix` after its (first) value.
    pub(crate) fn marked(&mut self, suffix: &str) {
        let first = match self {
            Cell::One(value) => value,
            Cell::Lines(values) if !values.is_empty() => &mut values[0],
            Cell::Lines(values) => {
                values.push(Cow::Borrowed(""));
                &mut values[0]
            }
        };
        first.to_mut().push_str(suffix);
    }

    pub(crate) fn lines<S: Into<Cow<'a, str>>>(values: impl IntoIterator<Item = S>) -> Cell<'a> {
        Cell::Lines(values.into_iter().map(Into::into).collect())
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(value: &'a str) -> Cell<'a> {
        Cell::One(Cow::Borrowed(value))
    }
}

impl From<String> for Cell<'_> {
    fn from(value: String) -> Self {
        Cell::One(Cow::Owned(value))
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(value: &'a String) -> Cell<'a> {
        Cell::One(Cow::Borrowed(value))
    }
}

impl<'a> From<&&'a str> for Cell<'a> {
    fn from(value: &&'a str) -> Cell<'a> {
        Cell::One(Cow::Borrowed(value))
    }
}

impl<'a> From<Cow<'a, str>> for Cell<'a> {
    fn from(value: Cow<'a, str>) -> Cell<'a> {
        Cell::One(value)
    }
}

impl CellText for Cell<'_> {
    fn neutralised(&self) -> Cow<'_, str> {
        match self {
            Cell::One(value) => for_terminal(value),
            Cell::Lines(values) => Cow::Owned(
                values
                    .iter()
                    .map(|value| for_terminal(value))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        }
    }
}

fn new_table(layout: Layout, header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .force_no_tty()
        .load_style(if layout.fancy {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        })
        .set_header(header.iter().map(|name| for_terminal(name).into_owned()));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(layout: Layout, header: &[&str], rows: &[Vec<Cell<'_>>]) -> String {
        let mut bytes = Vec::new();
        TextOut {
            out: &mut bytes,
            layout,
        }
        .table(header, rows)
        .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn tokens_intact(text: &str, tokens: &[&str]) {
        for token in tokens {
            assert!(text.contains(token), "{token} split in:\n{text}");
        }
    }

    const SPNS: [&str; 2] = [
        "RestrictedKrbHost/finance-laptop7.corp.example.com",
        "MSSQLSvc/sql-cluster-node01.databases.corp.example.com:1433",
    ];

    fn rows() -> Vec<Vec<Cell<'static>>> {
        vec![vec![
            "FINANCE-LAPTOP7$".into(),
            Cell::lines(SPNS),
            "2026-11-21T05:00:00Z (3 days ago)".into(),
        ]]
    }

    #[test]
    fn columns_are_unicode_widths() {
        let printable: String = (0x20u8..0x7f).map(char::from).collect();
        for text in [
            &printable[..],
            "",
            "Büro-PC",
            "東京-pc",
            "e\u{301}",
            "a\u{1b}b",
            "\u{7f}",
        ] {
            assert_eq!(columns(text), text.width(), "{text:?}");
        }
    }

    #[test]
    fn a_large_table_made_on_two_cores_is_the_table_made_from_kept_rows() {
        // Enough rows for blocks on both cores; the widest cell late, a tall row in between.
        let len = 5 * crate::report::BLOCK + 17;
        let row = |n: usize| -> Vec<Cell<'static>> {
            let name = if n == len - 3 {
                "W".repeat(40)
            } else {
                format!("PC{n}$")
            };
            let spns = match n % 1000 {
                7 => Cell::lines(SPNS),
                _ => Cell::from(format!("HOST/pc{n}")),
            };
            vec![name.into(), spns]
        };
        let header = ["Account", "SPNs"];
        let kept: Vec<Vec<Cell<'_>>> = (0..len).map(row).collect();
        let mut streamed = Vec::new();
        TextOut {
            out: &mut streamed,
            layout: Layout::PLAIN,
        }
        .table_of(&header, len, row)
        .unwrap();
        let streamed = String::from_utf8(streamed).unwrap();
        assert_eq!(streamed, render(Layout::PLAIN, &header, &kept));
        assert!(streamed.lines().nth(3).unwrap().starts_with("| PC0$ "));
    }

    #[test]
    fn a_line_feed_in_a_value_never_starts_a_row() {
        let layout = Layout {
            width: None,
            fancy: false,
        };
        let hostile = "pc01.adc.test\n| FAKE$ | admin |";
        let text = render(
            layout,
            &["Account", "DNS name"],
            &[vec!["PC01$".into(), hostile.into()]],
        );
        assert_eq!(text.lines().count(), 5, "{text}");
        assert!(text.contains("pc01.adc.test\\x0a| FAKE$"), "{text}");
    }

    #[test]
    fn eighty_columns_never_split_a_token() {
        let layout = Layout {
            width: Some(80),
            fancy: false,
        };
        let text = render(layout, &["Account", "SPNs", "Password set"], &rows());
        tokens_intact(&text, &SPNS);
        tokens_intact(&text, &["2026-11-21T05:00:00Z"]);
        assert!(text.lines().all(|line| line.width() <= 80), "{text}");
    }

    #[test]
    fn too_narrow_becomes_one_value_a_line() {
        let layout = Layout {
            width: Some(40),
            fancy: true,
        };
        let text = render(layout, &["Account", "SPNs", "Password set"], &rows());
        assert!(
            text.starts_with("Account: FINANCE-LAPTOP7$\nSPNs: RestrictedKrbHost"),
            "{text}"
        );
        tokens_intact(&text, &SPNS);
    }

    #[test]
    fn plain_output_never_wraps_and_neutralises() {
        let text = render(
            Layout::PLAIN,
            &["Account", "DNS"],
            &[vec!["X$".into(), "evil\u{1b}[2J.example".into()]],
        );
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("evil\\x1b[2J.example"), "{text}");
        tokens_intact(&render(Layout::PLAIN, &["A", "B", "C"], &rows()), &SPNS);
    }
}
