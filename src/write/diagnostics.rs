//! Diagnostics for humans: problems and load errors rendered by miette with a source snippet.
//!
//! Snippets never show Secret values: the lines of Secret documents are shown with their values
//! masked; in a file that failed to parse, so are the lines of every document that may be a
//! Secret (its kind is `Secret`, a `…List`, or cannot be read). Names, paths, messages and
//! snippet lines are printed with their control characters escaped ([`escape`]).
//!
//! Rendering is linear in the number of problems plus the input: a snippet is cut from the
//! lines around its problem (the file's line index finds them), and only those lines are
//! masked. Text is wrapped at the terminal's width when it goes to a terminal, and not wrapped
//! at all otherwise (a CI log keeps every name on one line, so grep finds it).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::ops::Range;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, MietteError, MietteSpanContents, NamedSource, Report,
    SourceCode, SourceSpan, SpanContents,
};

use crate::doc::document::{Document, SourceFile};
use crate::load::LoadError;
use crate::model::problem::{Problem, Severity};
use crate::write::escape;

pub const MASK: &str = "***";

/// Lines of context miette shows before and after the line of a problem.
const CONTEXT_LINES: usize = 2;

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

/// How wide diagnostics may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// Wrap at this many columns (a terminal).
    Wrap(usize),
    /// Never wrap (a pipe, a file, a CI log).
    Unwrapped,
}

impl Width {
    /// The width of the terminal `stream` is, or [`Width::Unwrapped`] when it is not one.
    /// `COLUMNS`, when set to a number, wins over what the terminal reports.
    fn of(stream: &(impl IsTerminal + std::os::fd::AsFd)) -> Width {
        if !stream.is_terminal() {
            return Width::Unwrapped;
        }
        let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0);
        let reported = || terminal_size::terminal_size_of(stream).map(|(w, _)| usize::from(w.0)).filter(|&c| c > 0);
        Width::Wrap(columns.or_else(reported).unwrap_or(80))
    }

    /// For diagnostics on stderr.
    pub fn stderr() -> Width {
        Width::of(&std::io::stderr())
    }

    /// For a report on stdout (`check` in the human format).
    pub fn stdout() -> Width {
        Width::of(&std::io::stdout())
    }
}

/// How diagnostics look: colour and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub width: Width,
}

impl Style {
    /// Plain and unwrapped: what a pipe or a file gets.
    pub const PLAIN: Style = Style { color: false, width: Width::Unwrapped };

    /// For stderr: colour when it is a terminal and `NO_COLOR` is unset; its width.
    pub fn stderr() -> Style {
        Style { color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(), width: Width::stderr() }
    }

    fn handler(self) -> GraphicalReportHandler {
        let theme = if self.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(CONTEXT_LINES);
        match self.width {
            Width::Wrap(columns) => handler.with_width(columns),
            // Without wrapping the width bounds nothing; it is set high for good measure.
            Width::Unwrapped => handler.with_width(1 << 16).with_wrap_lines(false),
        }
    }

    fn render(self, report: Report) -> String {
        let mut out = String::new();
        if self.handler().render_report(&mut out, report.as_ref()).is_err() {
            out = format!("{}\n", escape::controls(&report.to_string()));
        }
        out
    }
}

/// Renders the diagnostics of one run. Built once from the run's documents (which lines of
/// which file are Secret documents), then asked for each problem.
pub struct Diagnostics {
    /// Per source file, the 1-based line ranges of its Secret documents.
    secret_lines: HashMap<*const SourceFile, Vec<Range<usize>>>,
    style: Style,
}

impl Diagnostics {
    pub fn new(documents: &[Document], style: Style) -> Self {
        let mut secret_lines: HashMap<*const SourceFile, Vec<Range<usize>>> = HashMap::new();
        for d in documents.iter().filter(|d| d.kind() == "Secret") {
            secret_lines.entry(std::sync::Arc::as_ptr(&d.file)).or_default().push(d.line..d.end_line + 1);
        }
        Diagnostics { secret_lines, style }
    }

    /// A problem as a miette report with the snippet of its line.
    pub fn problem(&self, p: &Problem) -> String {
        let mut title = String::new();
        if let Some(b) = &p.binding {
            title.push_str(&format!("ServiceBinding {b}: "));
        }
        title.push_str(&p.message);
        let mut diag =
            MietteDiagnostic::new(escape::controls(&title)).with_code(format!("bindery::{}", p.rule)).with_severity(match p.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Notice => miette::Severity::Advice,
            });
        if let Some(h) = &p.help {
            diag = diag.with_help(escape::controls(h));
        }
        let Some(loc) = &p.location else { return self.style.render(Report::new(diag)) };
        let secret = self.secret_lines.get(&(std::sync::Arc::as_ptr(&loc.file))).map_or(&[][..], Vec::as_slice);
        let window = Window::around(&loc.file, loc.line, |n| secret.iter().any(|r| r.contains(&n)));
        let span = window.span_of(loc.line, loc.column);
        let name = escape::controls(&loc.file.display()).into_owned();
        diag = diag.with_label(LabeledSpan::new_with_span(Some(format!("{name}:{}", loc.line)), span));
        self.style.render(Report::new(diag).with_source_code(NamedSource::new(name, window)))
    }

    /// A load error as a miette report; the snippet masks every document that may be a Secret.
    pub fn load_error(&self, e: &LoadError) -> String {
        let diag = MietteDiagnostic::new(escape::controls(&e.to_string())).with_code("bindery::InvalidInput");
        match (&e.file, e.line) {
            (Some(file), Some(line)) => {
                let secret = maybe_secret_lines(file.text(), is_json(file));
                let window = Window::around(file, line, |n| secret.iter().any(|r| r.contains(&n)));
                let span = window.span_of(line, e.column);
                let diag = diag.with_label(LabeledSpan::new_with_span(Some("here".into()), span));
                let name = escape::controls(&file.display()).into_owned();
                self.style.render(Report::new(diag).with_source_code(NamedSource::new(name, window)))
            }
            _ => self.style.render(Report::new(diag)),
        }
    }
}

/// A problem as a miette report for stderr (one problem; for many, build one [`Diagnostics`]).
pub fn render_problem(p: &Problem, documents: &[Document]) -> String {
    Diagnostics::new(documents, Style::stderr()).problem(p)
}

/// A load error as a miette report for stderr.
pub fn render_load_error(e: &LoadError) -> String {
    Diagnostics::new(&[], Style::stderr()).load_error(e)
}

fn is_json(file: &SourceFile) -> bool {
    file.path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The lines of a file miette may show around one line (one more on each side than it shows,
/// so that where the window ends, the file seemingly goes on), masked where `masked(line)` says
/// and escaped. Offsets are the window's own; line numbers are the file's.
struct Window {
    text: String,
    /// 0-based file line of the window's first line.
    first_line: usize,
}

impl Window {
    fn around(file: &SourceFile, line: usize, masked: impl Fn(usize) -> bool) -> Window {
        let line = line.max(1);
        let first = line.saturating_sub(CONTEXT_LINES + 1).max(1);
        let last = line + CONTEXT_LINES + 1;
        let mut text = String::new();
        for n in first..=last {
            let start = file.offset_of_line(n);
            if n > first && start == file.offset_of_line(n - 1) {
                break; // past the last line
            }
            let raw = file.line_text(n);
            let shown = if masked(n) { mask_line(raw) } else { raw.to_string() };
            text.push_str(&escape::controls(&shown));
            let end = start + raw.len();
            if end < file.text().len() {
                text.push('\n');
            } else {
                break;
            }
        }
        Window { text, first_line: first - 1 }
    }

    /// The span of 1-based file line `line` (from `column` when given) in the window.
    fn span_of(&self, line: usize, column: Option<usize>) -> Range<usize> {
        let local = line.max(1) - 1 - self.first_line;
        let start: usize = self.text.split('\n').take(local).map(|l| l.len() + 1).sum();
        let start = start.min(self.text.len());
        let len = self.text[start..].find('\n').unwrap_or(self.text.len() - start);
        let line_text = &self.text[start..start + len];
        // Columns count characters; the span is in bytes.
        let from = column.filter(|&c| c > 0).and_then(|c| line_text.char_indices().nth(c - 1)).map(|(i, _)| i);
        match from {
            Some(i) => (start + i)..(start + len),
            None => start..start + len,
        }
    }
}

impl SourceCode for Window {
    fn read_span<'a>(&'a self, span: &SourceSpan, before: usize, after: usize) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count() + self.first_line,
        )))
    }
}

/// In a file that could not be parsed: the 1-based line ranges of the documents that may be a
/// Secret — whose top-level `kind` is `Secret` or ends in `List` (a list may hold Secrets), or
/// cannot be found. A JSON file is one document; it may be a Secret unless every `"kind"` in it
/// names something else.
pub fn maybe_secret_lines(text: &str, json: bool) -> Vec<Range<usize>> {
    let lines: Vec<&str> = text.split('\n').collect();
    let risky = |kind: Option<&str>| kind.is_none_or(|k| k == "Secret" || k.ends_with("List"));
    if json {
        let kinds = json_kinds(text);
        let may_be_secret = kinds.is_empty() || kinds.iter().any(|k| risky(Some(k)));
        let whole_file = 1..lines.len() + 1;
        return if may_be_secret { vec![whole_file] } else { Vec::new() };
    }
    let mut ranges = Vec::new();
    let mut start = 1;
    let mut kind: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let separator = line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace) || line.trim_end() == "...";
        if separator {
            if risky(kind.as_deref()) {
                ranges.push(start..n);
            }
            start = n + 1;
            kind = None;
            continue;
        }
        if kind.is_none() {
            kind = top_level_kind(line);
        }
    }
    if risky(kind.as_deref()) {
        ranges.push(start..lines.len() + 1);
    }
    ranges
}

/// `kind: Deployment` at the start of a line (the value unquoted, a comment dropped).
fn top_level_kind(line: &str) -> Option<String> {
    let value = line.strip_prefix("kind:")?;
    let value = value.split(" #").next().unwrap_or("").trim();
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    let plain = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    plain.then(|| value.to_string())
}

/// The string values of every `"kind"` key in a JSON text (as far as they can be read).
fn json_kinds(text: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\"kind\"") {
        rest = &rest[i + 6..];
        let after = rest.trim_start();
        let Some(after) = after.strip_prefix(':') else { continue };
        let after = after.trim_start();
        let Some(value) = after.strip_prefix('"') else {
            kinds.push(String::new()); // not a string: unknown
            continue;
        };
        match value.find('"') {
            Some(end) => kinds.push(value[..end].to_string()),
            None => kinds.push(String::new()),
        }
    }
    kinds.into_iter().map(|k| if k.is_empty() { "Secret".to_string() } else { k }).collect()
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

    #[test]
    fn only_documents_that_may_be_secrets_are_masked_in_a_file_that_does_not_parse() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata: {a: [}\n---\napiVersion: v1\nkind: Secret\nstringData: {p: x}\n\
                    ---\n# no kind at all\nfoo: bar\n---\nkind: 'ConfigMap' # quoted\n---\nkind: SecretList\n";
        assert_eq!(maybe_secret_lines(text, false), vec![5..8, 9..11, 14..16]);
        assert_eq!(maybe_secret_lines("{\"kind\": \"ConfigMap\", \"data\": {\"a\": 1}", true), Vec::<Range<usize>>::new());
        assert_eq!(maybe_secret_lines("{\"kind\": \"List\", \"items\": [", true), vec![1..2]);
        assert_eq!(maybe_secret_lines("{\"data\": 1", true), vec![1..2]);
    }

    #[test]
    fn a_window_numbers_lines_as_the_file_does() {
        let text: String = (1..=20).map(|n| format!("line{n}: v{n}\n")).collect();
        let file = SourceFile::new("f.yaml".into(), "f.yaml".into(), text);
        let w = Window::around(&file, 10, |n| n == 9);
        assert_eq!(w.first_line, 6);
        assert_eq!(w.text, "line7: v7\nline8: v8\nline9: ***\nline10: v10\nline11: v11\nline12: v12\nline13: v13\n");
        assert_eq!(&w.text[w.span_of(10, None)], "line10: v10");
        let end = Window::around(&file, 20, |_| false);
        assert_eq!(end.text, "line17: v17\nline18: v18\nline19: v19\nline20: v20\n");
        let start = Window::around(&file, 1, |_| false);
        assert_eq!((start.first_line, &start.text[start.span_of(1, Some(8))]), (0, "v1"));
    }
}
