//! Documents: one Kubernetes resource's value and the source file and lines it came from.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::doc::value::Value;

/// One input file (or stdin). Its text is what diagnostics quote; a file read from disk does not
/// keep it after parsing (a large render would hold the whole input twice) and reads it again
/// the first time a diagnostic needs it. Text given in memory (stdin) is kept. The text of a
/// file that holds one document given as a value (a KRM item) is that document's YAML, written
/// the first time a position in it is asked for ([`SourceFile::of_document`]).
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user can find it (relative to where bindery runs when given so).
    pub path: PathBuf,
    /// Path relative to the input root it was found under; mirrors the layout for `-o DIR`.
    pub relative: PathBuf,
    /// The text and the offset of each line start, once known.
    text: OnceLock<Text>,
    /// How to read the text again (a file on disk); `None` when the text is kept or written
    /// from its document.
    reread: Option<fn(&Path) -> Option<String>>,
}

#[derive(Debug)]
struct Text {
    /// After BOM removal and CRLF normalisation.
    text: String,
    /// Offsets of the line starts, counted when a line is first asked for (a clean run never
    /// asks: on a large stream they would take a third of the text's size).
    line_starts: OnceLock<Vec<usize>>,
}

impl Text {
    fn new(text: String) -> Self {
        Text { text, line_starts: OnceLock::new() }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| std::iter::once(0).chain(self.text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }
}

impl SourceFile {
    /// A file whose text is kept.
    pub fn new(path: PathBuf, relative: PathBuf, text: String) -> Self {
        SourceFile { path, relative, text: OnceLock::from(Text::new(text)), reread: None }
    }

    /// A file on disk whose text is read again when a diagnostic needs it.
    pub fn on_disk(path: PathBuf, relative: PathBuf, reread: fn(&Path) -> Option<String>) -> Self {
        SourceFile { path, relative, text: OnceLock::new(), reread: Some(reread) }
    }

    /// The file of one document given as a value, whose text is that value's YAML: written by
    /// [`SourceFile::text_of`] when a position in it is first asked for (a clean run never
    /// writes it). Its document's `end_line` is [`Document::TO_END`].
    pub fn of_document(path: PathBuf, relative: PathBuf) -> Self {
        SourceFile { path, relative, text: OnceLock::new(), reread: None }
    }

    /// The text, for the file's only document `doc`: a file made by [`SourceFile::of_document`]
    /// gets `doc`'s YAML as its text, the first time.
    pub fn text_of(&self, doc: &Value) -> &str {
        if self.reread.is_none() {
            self.text.get_or_init(|| Text::new(crate::doc::yaml_out::to_string(doc)));
        }
        self.text()
    }

    /// Number of lines of the text.
    pub fn line_count(&self) -> usize {
        self.loaded().line_starts().len()
    }

    fn loaded(&self) -> &Text {
        self.text.get_or_init(|| {
            // The file was read and decoded once already; if it changed or vanished since,
            // diagnostics quote what is there now, or nothing.
            let text = self.reread.and_then(|read| read(&self.path)).unwrap_or_default();
            Text::new(text)
        })
    }

    /// The file's text (after BOM removal and CRLF normalisation).
    pub fn text(&self) -> &str {
        &self.loaded().text
    }

    /// Byte offset of the start of a 1-based line (clamped to the text).
    pub fn offset_of_line(&self, line: usize) -> usize {
        let starts = self.loaded().line_starts();
        starts[line.saturating_sub(1).min(starts.len() - 1)]
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let text = self.text();
        let start = self.offset_of_line(line);
        let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
        &text[start..end]
    }

    pub fn display(&self) -> String {
        self.path.display().to_string()
    }
}

/// Index of a document in the loaded set; stable for one run.
pub type DocId = usize;

/// One Kubernetes resource from the input.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: Arc<SourceFile>,
    /// 1-based line of the document's first content line in `file`.
    pub line: usize,
    /// 1-based last line of the document's text in `file`.
    pub end_line: usize,
    pub value: Value,
}

impl Document {
    /// `end_line` of a document that runs to the end of its file, whose length is not known
    /// until its text is written ([`SourceFile::of_document`]).
    pub const TO_END: usize = u32::MAX as usize;

    pub fn api_version(&self) -> &str {
        self.value.get("apiVersion").and_then(Value::as_str).unwrap_or("")
    }
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")
    }
    /// `metadata.namespace`, or `default_ns` when absent or empty.
    pub fn namespace<'a>(&'a self, default_ns: &'a str) -> &'a str {
        match self.value.pointer("/metadata/namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() => ns,
            _ => default_ns,
        }
    }
    /// "file:line" for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}
