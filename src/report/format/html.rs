//! `-o html`: one self-contained page for people who read reports in a browser (PingCastle's
//! habit): the summary, a chart of findings by kind and one of password ages (inline SVG),
//! coverage, warnings, and sortable tables of the findings and of what the baseline had that
//! is gone. Nothing is fetched: no network, no external file; a Content-Security-Policy allows
//! only the page's own style and script (by hash), so even a value that escaped escaping could
//! not run. Directory data is escaped for HTML, after control and bidirectional characters
//! are made visible as on a terminal.

use std::fmt::Write as _;
use std::io::Write;

use crate::report::Envelope;
use crate::report::present::findings::{FindingsReport, json_text};
use adcomputer_core::model::sanitize::for_terminal;
use adcomputer_core::rules::coverage::Check;
use adcomputer_core::rules::triage::Mark;
use adcomputer_core::rules::{Finding, kinds};

/// Rows shown per kind: a page stays readable and light; the JSON report has them all.
const MAX_ROWS: usize = 5000;

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--card:#f4f6fa;--line:#d9dee8;--bar:#2f6fdb;--new:#c2410c;--ok:#15803d}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#a3abba;--bg:#14171d;--card:#1d2129;--line:#333a47;--bar:#5b93f0;--new:#fb923c;--ok:#4ade80}}
*{box-sizing:border-box}body{margin:0 auto;max-width:1200px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.muted{color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:24px}.status{padding:10px 14px;border-radius:8px;border:1px solid var(--line);background:var(--card)}
.status.bad{border-color:var(--new)}.status.good{border-color:var(--ok)}
.charts{display:flex;flex-wrap:wrap;gap:24px}.chart{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}
svg text{fill:var(--fg);font-size:12px}svg rect.bar{fill:var(--bar)}
table{border-collapse:collapse;width:100%;margin:6px 0 4px}th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
td.nowrap{white-space:nowrap}th{cursor:pointer;user-select:none;background:var(--card);position:sticky;top:0}table.sortable th:not([aria-sort])::after{content:" \2195";color:var(--muted)}th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.new{color:var(--new);font-weight:600}ul.warnings li{margin:4px 0}code{font-size:13px}
"#;

/// Sorts a table by the clicked header: numbers by `data-value`, text by its content.
const SCRIPT: &str = r#"
"use strict";
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) {
        var cell = row.cells[column];
        var value = cell.getAttribute("data-value");
        return value !== null ? Number(value) : cell.textContent.toLowerCase();
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
document.documentElement.setAttribute("data-ready", "1");
"#;

/// `text` for HTML text and attribute values, with dangerous characters made visible first.
fn escape(text: &str) -> String {
    let visible = for_terminal(text);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Prose from a kind's declaration: escaped, its `commands` in code.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for (index, part) in escape(text).split('`').enumerate() {
        if index % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The CSP source for an inline element's content.
fn sha256_source(content: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// A horizontal bar chart: one labelled bar per (label, value), each bar carrying its data.
fn bar_chart(title: &str, id: &str, bars: &[(String, usize)]) -> String {
    let max = bars
        .iter()
        .map(|(_, value)| *value)
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_width, bar_width, row) = (150, 260, 24);
    let height = row * bars.len().max(1) + 8;
    let mut svg = format!(
        r#"<div class="chart"><h3>{}</h3><svg id="{id}" role="img" aria-label="{}" width="{}" height="{height}" viewBox="0 0 {} {height}">"#,
        escape(title),
        escape(title),
        label_width + bar_width + 70,
        label_width + bar_width + 70
    );
    for (index, (label, value)) in bars.iter().enumerate() {
        let y = index * row + 4;
        // Bars are at least a pixel wide when not zero, so that a one is never invisible.
        let width = if *value == 0 {
            0
        } else {
            (bar_width * value / max).max(2)
        };
        let _ = write!(
            svg,
            r#"<g data-label="{label}" data-count="{value}"><title>{label}: {value}</title><text x="{}" y="{}" text-anchor="end">{label}</text><rect class="bar" x="{label_width}" y="{y}" width="{width}" height="{}" rx="3"></rect><text x="{}" y="{}">{value}</text></g>"#,
            label_width - 8,
            y + 15,
            row - 6,
            label_width + width + 6,
            y + 15,
            label = escape(label),
        );
    }
    svg.push_str("</svg></div>");
    svg
}

/// The cells of one finding's row: account (or key, or name), what (each other column of its
/// kind's table, named), DN, and the age of a stale password.
fn cells(finding: &Finding) -> (String, String, String, Option<i64>) {
    let spec = finding.spec();
    let cells = spec.cells_of(finding);
    let first = cells
        .first()
        .map_or_else(String::new, |cell| cell.joined(", ").into_owned());
    let what: Vec<String> = spec.columns[1..]
        .iter()
        .zip(cells.iter().skip(1))
        .map(|(column, cell)| (column, cell.joined(", ")))
        .filter(|(_, text)| !text.is_empty())
        .map(|(column, text)| format!("{column}: {text}"))
        .collect();
    let field = |name| (spec.field)(finding, name);
    let dn = field("dn").map_or_else(String::new, |dn| dn.into_owned());
    let age = field("password_age_days").and_then(|days| days.parse().ok());
    (first, what.join("; "), dn, age)
}

fn card(page: &mut String, id: &str, label: &str, value: impl std::fmt::Display) {
    let _ = write!(
        page,
        r#"<div class="card"><span class="muted">{label}</span><b id="{id}">{value}</b></div>"#
    );
}

pub(crate) fn write(
    envelope: &Envelope,
    report: &FindingsReport<'_>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let summary = report.summary.counts;
    let triage = report.triage;
    let title = format!("adcomputer {} — {}", envelope.command, envelope.source);
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src {}; script-src {}; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="adcomputer {}">
<title>{}</title><style>{STYLE}</style></head><body>
<h1>{}</h1><p class="muted">as of {} · adcomputer {} · {} read, {}</p>
"#,
        sha256_source(STYLE),
        sha256_source(SCRIPT),
        env!("CARGO_PKG_VERSION"),
        escape(&title),
        escape(&title),
        escape(&envelope.as_of),
        env!("CARGO_PKG_VERSION"),
        crate::report::count(summary.accounts_read, "object", "objects"),
        crate::report::count(summary.computers, "computer", "computers"),
    );
    let failing = triage.counts.failing;
    let groups = kind_groups(report.findings);
    let how_bad = how_bad(report.findings, &groups);
    let (class, verdict) = match (failing, report.incomplete) {
        (0, None) if summary.findings == 0 => (
            "good",
            "Looked at everything asked: no findings.".to_string(),
        ),
        (0, None) => (
            "good",
            format!("Nothing new needs action ({how_bad}; known before, or not selected)."),
        ),
        (0, Some(why)) => ("bad", format!("This is no clean bill: {why}.")),
        (_, Some(why)) => (
            "bad",
            format!("{how_bad}; and not everything was checked: {why}."),
        ),
        (_, None) => ("bad", format!("{how_bad}.")),
    };
    let _ = write!(
        page,
        r#"<p class="status {class}" id="verdict">{}</p><div class="cards">"#,
        escape(&verdict)
    );
    card(&mut page, "count-findings", "findings", summary.findings);
    card(&mut page, "count-failing", "need action", failing);
    if let (Some(new), Some(resolved)) = (triage.counts.new, triage.counts.resolved) {
        card(&mut page, "count-new", "new since the baseline", new);
        card(&mut page, "count-resolved", "resolved", resolved);
    }
    if let Some(ignored) = triage.counts.ignored {
        card(
            &mut page,
            "count-ignored",
            "accepted (ignore list)",
            ignored,
        );
    }
    card(&mut page, "count-computers", "computers", summary.computers);
    page.push_str("</div>");
    top_actions(&mut page, report.findings, &groups);
    if triage.marks.is_some() {
        new_since_baseline(&mut page, report);
    }
    page.push_str("<h2>Charts</h2><div class=\"charts\">");
    let mut by_kind: Vec<(String, usize)> = triage
        .checked
        .iter()
        .filter_map(|kind| Some((kind.to_string(), summary.count_of(kind)?)))
        .collect();
    for kind in kinds::KINDS {
        if triage.checked.contains(&kind.name) {
            by_kind.extend(
                kind.classes
                    .iter()
                    .filter_map(|class| Some((format!("↳ {class}"), summary.count_of(class)?))),
            );
        }
    }
    page.push_str(&bar_chart("Findings by kind", "chart-kinds", &by_kind));
    if let Some(ages) = &summary.password_ages {
        let bars: Vec<(String, usize)> = ages
            .buckets()
            .map(|(label, computers)| {
                let label = if label == "never_set" {
                    "never set".to_string()
                } else {
                    format!("{label} days")
                };
                (label, computers)
            })
            .collect();
        page.push_str(&bar_chart("Computers by password age", "chart-ages", &bars));
    }
    page.push_str("</div>");
    if let Some(coverage) = &envelope.coverage {
        page.push_str(
            "<h2>Coverage</h2><table class=\"sortable\" id=\"coverage\"><thead><tr><th>Check</th><th class=\"num\">Examined</th><th class=\"num\">Not checked</th><th>Missing attributes</th></tr></thead><tbody>",
        );
        for check in Check::all() {
            if let Some(c) = coverage.get(check) {
                let _ = write!(
                    page,
                    r#"<tr><td>{}</td><td class="num" data-value="{}">{}</td><td class="num" data-value="{}">{}</td><td>{}</td></tr>"#,
                    check.name(),
                    c.examined,
                    c.examined,
                    c.not_checked,
                    c.not_checked,
                    escape(&c.missing.names().join(", "))
                );
            }
        }
        page.push_str("</tbody></table>");
    }
    if !envelope.warnings.is_empty() {
        page.push_str("<h2>Warnings</h2><ul class=\"warnings\">");
        for warning in &envelope.warnings {
            let _ = write!(page, "<li>{}</li>", escape(warning));
        }
        page.push_str("</ul>");
    }
    out.write_all(page.as_bytes())?;
    page.clear();
    write_finding_tables(report, &groups, &mut page, out)?;
    if triage.counts.ignored.is_some() {
        accepted(&mut page, &triage.accepted);
    }
    if triage.marks.is_some() {
        let resolved = report.resolved();
        let _ = write!(
            page,
            "<h2>Resolved since the baseline ({})</h2>",
            resolved.len()
        );
        if !resolved.is_empty() {
            page.push_str("<table class=\"sortable\" id=\"resolved\"><thead><tr><th>Kind</th><th>About</th><th>SPN</th><th>DN</th></tr></thead><tbody>");
            for finding in resolved.iter().take(MAX_ROWS) {
                let text = |name| escape(json_text(finding, name).unwrap_or("-"));
                let about = ["account", "key", "name"]
                    .iter()
                    .find_map(|name| json_text(finding, name))
                    .map_or_else(|| "-".to_string(), escape);
                let _ = write!(
                    page,
                    "<tr><td>{}</td><td>{about}</td><td>{}</td><td>{}</td></tr>",
                    text("kind"),
                    text("spn"),
                    text("dn")
                );
            }
            page.push_str("</tbody></table>");
        }
    }
    let _ = writeln!(page, "<script>{SCRIPT}</script></body></html>");
    out.write_all(page.as_bytes())
}

/// The report's findings by kind (each kind's range), most severe kinds first, then by count.
fn kind_groups(findings: &[Finding]) -> Vec<std::ops::Range<usize>> {
    let mut groups = kinds::kind_ranges(findings);
    groups.sort_by_key(|range| {
        (
            findings[range.start].spec().severity,
            std::cmp::Reverse(range.len()),
        )
    });
    groups
}

/// "3 critical findings (Kerberos fails today or an account can be taken over), 12 warnings,
/// 21 notices": how bad, in one phrase.
fn how_bad(findings: &[Finding], groups: &[std::ops::Range<usize>]) -> String {
    use kinds::Severity;
    let count = |severity: Severity| -> usize {
        groups
            .iter()
            .filter(|range| findings[range.start].spec().severity == severity)
            .map(|range| range.len())
            .sum()
    };
    let mut parts = Vec::new();
    for (severity, what) in [
        (
            Severity::Critical,
            "critical (Kerberos fails today, or an account can be taken over)",
        ),
        (
            Severity::Warning,
            "warnings (something will fail, or an admin must decide)",
        ),
        (Severity::Notice, "notices"),
    ] {
        let n = count(severity);
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// What to do first: one line per kind, most severe first, with its fix.
fn top_actions(page: &mut String, findings: &[Finding], groups: &[std::ops::Range<usize>]) {
    if groups.is_empty() {
        return;
    }
    page.push_str("<h2>Top actions</h2><ol id=\"actions\">");
    for range in groups {
        let spec = findings[range.start].spec();
        let _ = write!(
            page,
            r#"<li data-kind="{}"><b>{}</b> ({}, {}): {}</li>"#,
            spec.name,
            escape(spec.title),
            range.len(),
            spec.severity.as_str(),
            prose(spec.remediation)
        );
    }
    page.push_str("</ol>");
}

/// The findings new since the baseline, first: what changed is what a lead acts on.
fn new_since_baseline(page: &mut String, report: &FindingsReport<'_>) {
    let new: Vec<usize> = (0..report.findings.len())
        .filter(|index| report.mark(*index) == Some(Mark::New))
        .collect();
    let _ = write!(page, "<h2>New since the baseline ({})</h2>", new.len());
    if new.is_empty() {
        page.push_str("<p class=\"muted\">Nothing new.</p>");
        return;
    }
    page.push_str("<table class=\"sortable\" id=\"new\"><thead><tr><th>Kind</th><th>Severity</th><th>About</th><th>What</th></tr></thead><tbody>");
    for index in new.into_iter().take(MAX_ROWS) {
        let finding = &report.findings[index];
        let (about, what, _, _) = cells(finding);
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td></tr>",
            finding.kind(),
            finding.spec().severity.as_str(),
            escape(&about),
            escape(&what)
        );
    }
    page.push_str("</tbody></table>");
}

/// The findings the ignore list accepted, apart: still there, and who accepted them is in
/// the list's comments.
fn accepted(page: &mut String, accepted: &[(Finding, String)]) {
    let _ = write!(
        page,
        "<h2>Accepted in the ignore list ({})</h2>",
        accepted.len()
    );
    if accepted.is_empty() {
        return;
    }
    page.push_str("<table class=\"sortable\" id=\"accepted\"><thead><tr><th>Kind</th><th>About</th><th>What</th><th>id</th></tr></thead><tbody>");
    for (finding, id) in accepted.iter().take(MAX_ROWS) {
        let (about, what, _, _) = cells(finding);
        let _ = write!(
            page,
            "<tr><td>{}</td><td class=\"nowrap\">{}</td><td>{}</td><td><code>{}</code></td></tr>",
            finding.kind(),
            escape(&about),
            escape(&what),
            escape(id)
        );
    }
    page.push_str("</tbody></table>");
}

/// One sortable table per kind, most severe first; a kind's rows are capped at `MAX_ROWS`.
fn write_finding_tables(
    report: &FindingsReport<'_>,
    groups: &[std::ops::Range<usize>],
    page: &mut String,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    page.push_str("<h2>Findings</h2>");
    if report.findings.is_empty() {
        page.push_str("<p id=\"no-findings\">No findings.</p>");
    }
    let baseline = report.triage.marks.is_some();
    for range in groups {
        let (start, end) = (range.start, range.end);
        let spec = report.findings[start].spec();
        let kind = spec.name;
        let ages = spec.fields.contains(&"password_age_days");
        let first = spec.columns[0];
        let _ = write!(
            page,
            r#"<h3>{} ({}) <code>{kind}</code> <span class="severity">{}</span></h3><p class="meaning">{}. <b>Fix:</b> {}.</p><table class="sortable" id="findings-{kind}" data-kind="{kind}"><thead><tr><th>{first}</th><th>What</th>{}<th>DN</th>{}</tr></thead><tbody>"#,
            escape(spec.title),
            end - start,
            spec.severity.as_str(),
            escape(spec.meaning),
            prose(spec.remediation),
            if ages {
                "<th>Password age (days)</th>"
            } else {
                ""
            },
            if baseline { "<th>Baseline</th>" } else { "" },
        );
        for index in start..end.min(start + MAX_ROWS) {
            let (account, what, dn, age) = cells(&report.findings[index]);
            let _ = write!(
                page,
                "<tr><td class=\"nowrap\">{}</td><td>{}</td>",
                escape(&account),
                escape(&what)
            );
            if ages {
                match age {
                    Some(days) => {
                        let _ = write!(page, r#"<td class="num" data-value="{days}">{days}</td>"#);
                    }
                    None => page.push_str(r#"<td class="num" data-value="-1">never set</td>"#),
                }
            }
            // A DN may wrap after each comma, never inside a name.
            let _ = write!(page, "<td>{}</td>", escape(&dn).replace(',', ",<wbr>"));
            match report.mark(index) {
                Some(Mark::New) => page.push_str("<td class=\"new nowrap\">new</td>"),
                Some(Mark::Unchanged) => page.push_str("<td class=\"nowrap\">unchanged</td>"),
                None => {}
            }
            page.push_str("</tr>");
            if page.len() > 1 << 16 {
                out.write_all(page.as_bytes())?;
                page.clear();
            }
        }
        page.push_str("</tbody></table>");
        if end - start > MAX_ROWS {
            let _ = write!(
                page,
                "<p class=\"muted\">The first {MAX_ROWS} of {}: the JSON report has them all.</p>",
                end - start
            );
        }
    }
    out.write_all(page.as_bytes())?;
    page.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_data_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script>&\u{1b}[31m\u{202e}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;\\x1b[31m\\u{202e}"
        );
    }

    #[test]
    fn commands_in_a_kinds_prose_are_code_and_still_escaped() {
        assert_eq!(
            prose("run `spn fix <NAME>` now"),
            "run <code>spn fix &lt;NAME&gt;</code> now"
        );
    }

    #[test]
    fn the_policy_names_the_page_script_by_its_hash() {
        let source = sha256_source("x");
        assert!(
            source.starts_with("'sha256-") && source.ends_with('\''),
            "{source}"
        );
        assert_ne!(sha256_source(SCRIPT), sha256_source(STYLE));
    }
}
