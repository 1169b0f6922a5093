//! Diagnostics for humans: problems and load errors rendered by miette with a source snippet.
//! Snippets never show Secret values: lines of Secret documents (and every line of a file that
//! failed to parse) are shown with their values masked.

use std::io::IsTerminal;
use std::ops::Range;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report};

use crate::doc::document::{Document, SourceFile};
use crate::load::LoadError;
use crate::model::problem::{Problem, Severity};

pub const MASK: &str = "***";

/// `key: value` → `key: ***`; a line without a key (a continuation or list scalar) → `***`.
pub fn mask_line(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let body = &line[indent..];
    if body.is_empty() || body.starts_with('#') || body == "---" {
        return line.to_string();
    }
    let dash = if body.starts_with("- ") { 2 } else { 0 };
    let rest = &body[dash..];
    if let Some(i) = rest.find(": ").or_else(|| rest.ends_with(':').then(|| rest.len() - 1)) {
        let key = &rest[..i];
        let value = rest[i + 1..].trim();
        if value.is_empty() {
            return line.to_string();
        }
        return format!("{}{}{key}: {MASK}", &line[..indent], &body[..dash]);
    }
    format!("{}{}{MASK}", &line[..indent], &body[..dash])
}

/// The file's text with the lines of Secret documents masked.
fn redacted_text(file: &SourceFile, documents: &[Document], mask_all: bool) -> String {
    let secret_ranges: Vec<Range<usize>> =
        documents.iter().filter(|d| std::ptr::eq(d.file.as_ref(), file) && d.kind() == "Secret").map(|d| d.line..d.end_line + 1).collect();
    let mut out = String::with_capacity(file.text().len());
    for (i, line) in file.text().split('\n').enumerate() {
        let n = i + 1;
        if i > 0 {
            out.push('\n');
        }
        if mask_all || secret_ranges.iter().any(|r| r.contains(&n)) {
            out.push_str(&mask_line(line));
        } else {
            out.push_str(line);
        }
    }
    out
}

fn line_span(text: &str, line: usize, column: Option<usize>) -> Range<usize> {
    let start: usize = text.split('\n').take(line.saturating_sub(1)).map(|l| l.len() + 1).sum();
    let start = start.min(text.len());
    let len = text[start..].find('\n').unwrap_or(text.len() - start);
    match column {
        Some(c) if c > 0 && c - 1 < len => (start + c - 1)..(start + len),
        _ => start..start + len,
    }
}

/// Colour for diagnostics on stderr: a terminal, and `NO_COLOR` unset.
fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    GraphicalReportHandler::new_themed(theme).with_context_lines(2).with_width(120)
}

fn render(report: Report, color: bool) -> String {
    let mut out = String::new();
    if handler(color).render_report(&mut out, report.as_ref()).is_err() {
        out = format!("{report}\n");
    }
    out
}

/// A problem as a miette report, coloured when stderr is a terminal.
pub fn render_problem(p: &Problem, documents: &[Document]) -> String {
    render_problem_for(p, documents, stderr_color())
}

/// A problem as a miette report, coloured or not.
pub fn render_problem_for(p: &Problem, documents: &[Document], color: bool) -> String {
    let mut title = String::new();
    if let Some(b) = &p.binding {
        title.push_str(&format!("ServiceBinding {b}: "));
    }
    title.push_str(&p.message);
    let mut diag = MietteDiagnostic::new(title).with_code(format!("bindery::{}", p.rule)).with_severity(match p.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Notice => miette::Severity::Advice,
    });
    if let Some(h) = &p.help {
        diag = diag.with_help(h.clone());
    }
    let Some(loc) = &p.location else { return render(Report::new(diag), color) };
    let text = redacted_text(&loc.file, documents, false);
    let span = line_span(&text, loc.line, loc.column);
    diag = diag.with_label(LabeledSpan::new_with_span(Some(format!("{}:{}", loc.file.display(), loc.line)), span));
    render(Report::new(diag).with_source_code(NamedSource::new(loc.file.display(), text)), color)
}

/// A load error as a miette report, coloured when stderr is a terminal.
pub fn render_load_error(e: &LoadError) -> String {
    render_load_error_for(e, stderr_color())
}

/// A load error as a miette report, coloured or not.
pub fn render_load_error_for(e: &LoadError, color: bool) -> String {
    let mut diag = MietteDiagnostic::new(e.to_string()).with_code("bindery::InvalidInput");
    match (&e.file, e.line) {
        (Some(file), Some(line)) => {
            let text = redacted_text(file, &[], true);
            let span = line_span(&text, line, e.column);
            diag = diag.with_label(LabeledSpan::new_with_span(Some("here".into()), span));
            render(Report::new(diag).with_source_code(NamedSource::new(file.display(), text)), color)
        }
        _ => render(Report::new(diag), color),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_keeps_keys() {
        assert_eq!(mask_line("  password: hunter2"), "  password: ***");
        assert_eq!(mask_line("stringData:"), "stringData:");
        assert_eq!(mask_line("  - secret-item"), "  - ***");
        assert_eq!(mask_line("    continued text"), "    ***");
        assert_eq!(mask_line("# comment"), "# comment");
    }
}
