//! Load: turn paths (files, directories, `-` for stdin) into Kubernetes documents that remember
//! the file and line they came from.
//!
//! Which files a directory stands for is [`discover`]'s business (git-tracked files, ignore
//! files, links that stay inside the input); a path that is neither a file nor a directory (a
//! FIFO, `<(…)`) is read as a file.
//!
//! Reading is deterministic (sorted paths, then document order), and refuses
//! what is not text: binary files, non-UTF-8 files and unparseable YAML are a [`LoadError`]
//! naming the file and line. Documents without `apiVersion`/`kind` (kustomization files, Helm
//! values, CI files) are skipped; `kind: List` documents are flattened into their items.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::doc::value::{Map, Value};

pub mod discover;
pub mod exclude;
pub mod source_comments;
pub mod syntax;

pub use discover::{InputKind, SkipReason, Skipped};

/// Files larger than this are refused rather than parsed (hostile or accidental input).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// Input that cannot be read or parsed. Exit code 2.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.path, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.path, l, self.message),
            _ => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

fn err(path: &Path, message: impl Into<String>) -> LoadError {
    LoadError { path: path.display().to_string(), line: None, column: None, message: message.into(), file: None }
}

/// Everything read from the inputs, in deterministic order.
#[derive(Debug, Default)]
pub struct Loaded {
    pub files: Vec<Arc<SourceFile>>,
    pub documents: Vec<Document>,
}

/// One file's outcome: its documents, or why it cannot be used.
type Parsed = Result<(Arc<SourceFile>, Vec<Document>), LoadError>;

/// How to load. The default is what the command line does: an input path without resources is
/// an error, ignored files are not listed.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// An input path that holds no Kubernetes resource is accepted (else it is an error: an
    /// empty set, given to `kubectl apply --prune`, prunes everything).
    pub allow_empty: bool,
    /// List the files that ignore rules left out in [`InputReport`] (a second listing).
    pub list_ignored: bool,
    /// What `--exclude` leaves out of input directories (besides `.binderyignore` files).
    pub exclusions: exclude::Exclusions,
}

/// What one input path gave, and what it left out.
#[derive(Debug, Clone, Default)]
pub struct InputReport {
    pub roots: Vec<RootReport>,
}

impl InputReport {
    /// Every file left out, in input order.
    pub fn skipped(&self) -> impl Iterator<Item = &Skipped> {
        self.roots.iter().flat_map(|r| r.skipped.iter())
    }

    /// What always deserves a notice: links that lead out of the input, and notes (git could
    /// not be run), one line each.
    pub fn notices(&self) -> Vec<String> {
        let links = self.skipped().filter(|s| matches!(s.reason, SkipReason::LinkLeavesInput { .. })).map(ToString::to_string);
        links.chain(self.roots.iter().flat_map(|r| r.notes.iter().cloned())).collect()
    }

    /// What was left out as not bindery's input (Helm charts, Go templates), sorted by path:
    /// each deserves a notice.
    pub fn excluded(&self) -> Vec<exclude::Skipped> {
        let mut all: Vec<exclude::Skipped> = self.roots.iter().flat_map(|r| r.excluded.iter().cloned()).collect();
        all.sort_by(|a, b| a.path.cmp(&b.path));
        all.dedup();
        all
    }
}

/// One input path: how many resources it gave, and what it left out.
#[derive(Debug, Clone, Default)]
pub struct RootReport {
    pub path: PathBuf,
    pub resources: usize,
    pub skipped: Vec<Skipped>,
    pub notes: Vec<String>,
    /// Helm charts and Go templates (see [`exclude`]).
    pub excluded: Vec<exclude::Skipped>,
}

/// Read every path. `-` reads standard input; a directory is read as [`discover`] says; any
/// other path (a file, a FIFO, `/dev/stdin`) as one file.
///
/// Files are read and parsed in parallel (rayon, one thread per core), then concatenated in
/// sorted path order: the result does not depend on scheduling. Lenient: an input path without
/// resources is no error (see [`load`]).
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded, Vec<LoadError>> {
    load(paths, &LoadOptions { allow_empty: true, ..LoadOptions::default() }).map(|(loaded, _)| loaded)
}

/// [`load_paths`] that also leaves out what `exclusions` and `.binderyignore` files name, and
/// returns what it skipped as not bindery's input (Helm charts, Go templates; see [`exclude`]).
pub fn load_paths_excluding(
    paths: &[PathBuf],
    exclusions: &exclude::Exclusions,
) -> Result<(Loaded, Vec<exclude::Skipped>), Vec<LoadError>> {
    let options = LoadOptions { allow_empty: true, exclusions: exclusions.clone(), ..LoadOptions::default() };
    load(paths, &options).map(|(loaded, report)| (loaded, report.excluded()))
}

/// [`load_paths`], with what each path gave and left out; with `options.allow_empty` false, an
/// input path that holds no Kubernetes resource is an error.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Result<(Loaded, InputReport), Vec<LoadError>> {
    let mut loaded = Loaded::default();
    let mut report = InputReport::default();
    let mut errors = Vec::new();
    for root in paths {
        let mut root_report = RootReport { path: root.clone(), ..RootReport::default() };
        let parsed = match read_root(root, options, &mut root_report) {
            Ok(parsed) => parsed,
            Err(e) => {
                errors.push(e);
                report.roots.push(root_report);
                continue;
            }
        };
        let before = (loaded.documents.len(), errors.len());
        loaded.documents.reserve_exact(parsed.iter().map(|p| p.as_ref().map_or(0, |(_, docs)| docs.len())).sum());
        for result in parsed {
            match result {
                Ok((file, docs)) => {
                    loaded.files.push(file);
                    loaded.documents.extend(docs);
                }
                Err(e) => match exclude_template(&e) {
                    Some(s) => root_report.excluded.push(s),
                    None => errors.push(e),
                },
            }
        }
        root_report.resources = loaded.documents.len() - before.0;
        if root_report.resources == 0 && errors.len() == before.1 && !options.allow_empty {
            errors.push(empty_input(root, &root_report));
        }
        report.roots.push(root_report);
    }
    if errors.is_empty() {
        Ok((loaded, report))
    } else {
        Err(errors)
    }
}

/// The files of one input path, read and parsed.
fn read_root(root: &Path, options: &LoadOptions, report: &mut RootReport) -> Result<Vec<Parsed>, LoadError> {
    use rayon::prelude::*;
    let kind = discover::classify(root).map_err(|e| err(root, format!("cannot read path: {e}")))?;
    match kind {
        InputKind::Stdin => match read_stdin() {
            Ok(bytes) => Ok(vec![parse_file(PathBuf::from("<stdin>"), PathBuf::from("stdin.yaml"), bytes)]),
            Err(e) => Err(err(Path::new("<stdin>"), format!("cannot read standard input: {e}"))),
        },
        // Read once and kept: a stream cannot be read again for a diagnostic.
        InputKind::Stream => match read_limited(root) {
            Ok(bytes) => Ok(vec![parse_file(root.to_path_buf(), stream_relative(root), bytes)]),
            Err(e) => Err(err(root, e.to_string())),
        },
        InputKind::File => {
            let rel = root.file_name().map(PathBuf::from).unwrap_or_else(|| root.to_path_buf());
            Ok(vec![read_disk_file(root.to_path_buf(), rel)])
        }
        InputKind::Directory => {
            let found = discover::directory(root, options.list_ignored).map_err(|e| err(&e.path, e.message))?;
            report.notes = found.notes;
            let files = excluding(root, found.files, found.skipped, options, report)?;
            // An indexed parallel iterator keeps the input order in `collect`.
            Ok(files.into_par_iter().map(|f| read_disk_file(f.path, f.relative)).collect())
        }
    }
}

/// The files of input directory `root` that `--exclude`, `.binderyignore` files and Helm
/// charts leave in ([`exclude::Filter`]); what they leave out is recorded in `report` (a link
/// leaving the input that is excluded anyway needs no notice).
fn excluding(
    root: &Path,
    files: Vec<discover::Found>,
    skipped: Vec<Skipped>,
    options: &LoadOptions,
    report: &mut RootReport,
) -> Result<Vec<discover::Found>, LoadError> {
    let canonical = std::fs::canonicalize(root).map_err(|e| err(root, format!("cannot read path: {e}")))?;
    let mut filter = exclude::Filter::new(root, &canonical, &options.exclusions).map_err(|e| err(root, e.to_string()))?;
    let mut verdict = |path: &Path, relative: &Path, report: &mut RootReport| match filter.verdict(relative) {
        exclude::Verdict::Keep => true,
        exclude::Verdict::Excluded => {
            if options.list_ignored {
                report.skipped.push(Skipped { path: path.to_path_buf(), reason: SkipReason::Excluded });
            }
            false
        }
        exclude::Verdict::InChart(chart) => {
            report.excluded.push(exclude::Skipped { path: chart, reason: exclude::SkipReason::HelmChart });
            false
        }
    };
    for s in skipped {
        let relative = s.path.strip_prefix(root).unwrap_or(&s.path).to_path_buf();
        if !matches!(s.reason, SkipReason::LinkLeavesInput { .. }) || verdict(&s.path, &relative, report) {
            report.skipped.push(s);
        }
    }
    Ok(files.into_iter().filter(|f| verdict(&f.path, &f.relative, report)).collect())
}

/// A file that failed to parse because it is a Go template is skipped, not an error.
fn exclude_template(e: &LoadError) -> Option<exclude::Skipped> {
    let file = e.file.as_ref().filter(|f| f.path != Path::new("<stdin>"))?;
    exclude::is_go_template(file.text()).then(|| exclude::Skipped { path: file.path.clone(), reason: exclude::SkipReason::GoTemplate })
}

fn read_disk_file(path: PathBuf, relative: PathBuf) -> Parsed {
    match read_limited(&path) {
        Ok(bytes) => parse_disk_file(path, relative, bytes),
        Err(e) => Err(err(&path, e.to_string())),
    }
}

/// The name a stream's documents get under `-o DIR`: its file name, as YAML.
fn stream_relative(path: &Path) -> PathBuf {
    let name = path.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("stream"));
    if discover::is_manifest_name(&name) {
        name
    } else {
        let mut with_extension = name.into_os_string();
        with_extension.push(".yaml");
        PathBuf::from(with_extension)
    }
}

/// An input path that gave no resource.
fn empty_input(root: &Path, report: &RootReport) -> LoadError {
    let left_out = match report.skipped.len() + report.excluded.len() {
        0 => String::new(),
        n => format!("; {n} file(s) were left out (--verbose lists them)"),
    };
    let path = if root.as_os_str() == "-" { Path::new("<stdin>") } else { root };
    err(
        path,
        format!(
            "no Kubernetes resource (no document with apiVersion and kind){left_out}: refusing an empty set, which \
             `kubectl apply --prune` would prune everything to (pass --allow-empty if an empty set is what you mean)"
        ),
    )
}

/// Standard input, up to the size limit (one byte more, so that a larger input is refused).
pub fn read_stdin() -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin().take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Read a file's text again for diagnostics: as it is now, or nothing if it changed so that it
/// no longer decodes, or vanished.
fn reread(path: &Path) -> Option<String> {
    read_limited(path).ok().and_then(|b| decode(b).ok())
}

/// Why a file's bytes cannot be used as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("file is larger than {} MiB", MAX_FILE_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("binary file (contains NUL bytes), not YAML or JSON")]
    Binary,
    #[error("not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
}

fn read_limited(path: &Path) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path)?;
    // Size the buffer from the metadata (one read instead of a series of growing ones); the
    // limit still applies to what is actually read.
    let hint = file.metadata().map_or(0, |m| m.len()).min(MAX_FILE_BYTES as u64 + 1) as usize;
    let mut bytes = Vec::with_capacity(hint + 1);
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Check and decode one file's bytes: no NUL bytes, UTF-8, BOM removed, CRLF normalised.
fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    if bytes.contains(&0) {
        return Err(ReadError::Binary);
    }
    let text = String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 { offset: e.utf8_error().valid_up_to() })?;
    let text = text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text);
    Ok(if text.contains('\r') { text.replace("\r\n", "\n") } else { text })
}

/// Decode, split and parse one file, keeping its text.
pub fn parse_file(path: PathBuf, relative: PathBuf, bytes: Vec<u8>) -> Result<(Arc<SourceFile>, Vec<Document>), LoadError> {
    let text = decode(bytes).map_err(|e| err(&path, e.to_string()))?;
    let file = Arc::new(SourceFile::new(path, relative, text));
    let docs = parse_documents(&file, file.text())?;
    Ok((file, docs))
}

/// [`parse_file`] for a file read from disk: once parsed, its text is let go (read again if a
/// diagnostic quotes it). A file that does not parse keeps its text for the error.
fn parse_disk_file(path: PathBuf, relative: PathBuf, bytes: Vec<u8>) -> Result<(Arc<SourceFile>, Vec<Document>), LoadError> {
    let text = decode(bytes).map_err(|e| err(&path, e.to_string()))?;
    let file = Arc::new(SourceFile::on_disk(path, relative, reread));
    match parse_documents(&file, &text) {
        Ok(docs) => Ok((file, docs)),
        Err(mut e) => {
            e.file = Some(Arc::new(SourceFile::new(file.path.clone(), file.relative.clone(), text)));
            Err(e)
        }
    }
}

fn parse_documents(file: &Arc<SourceFile>, text: &str) -> Result<Vec<Document>, LoadError> {
    let is_json = file.path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut docs = Vec::new();
    if is_json {
        let value: Value =
            serde_json::from_str(text).map_err(|e| syntax_error(file, text, "JSON", e.line(), e.column(), &e.to_string()))?;
        let end_line = text.matches('\n').count() + 1;
        push_resource(file, 1, end_line, value, &mut docs);
        return Ok(docs);
    }
    let parsed =
        crate::doc::yaml_split::parse_stream_parallel(text).map_err(|e| syntax_error(file, text, "YAML", e.line, e.column, &e.message))?;
    for doc in parsed {
        push_resource(file, doc.line, doc.end_line, doc.value, &mut docs);
    }
    Ok(docs)
}

/// A parse error at the line of the mistake ([`syntax::locate`]), else where the parser stopped.
fn syntax_error(file: &Arc<SourceFile>, text: &str, language: &str, line: usize, column: usize, message: &str) -> LoadError {
    let (line, column, message) = match syntax::locate(text, line, column, message) {
        Some(m) => (m.line, m.column, m.message),
        None => (line, column, message.to_string()),
    };
    LoadError {
        path: file.display(),
        line: Some(line),
        column: Some(column),
        message: format!("invalid {language}: {message}"),
        file: Some(file.clone()),
    }
}

fn push_resource(file: &Arc<SourceFile>, line: usize, end_line: usize, value: Value, out: &mut Vec<Document>) {
    let Value::Object(map) = &value else { return };
    if !is_resource(map) {
        return;
    }
    if map.get("kind").and_then(Value::as_str) == Some("List") {
        if let Some(Value::Array(items)) = map.get("items") {
            for item in items {
                push_resource(file, line, end_line, item.clone(), out);
            }
        }
        return;
    }
    out.push(Document { file: file.clone(), line, end_line, value });
}

/// A Kubernetes resource has string `apiVersion` and `kind`.
fn is_resource(map: &Map) -> bool {
    let s = |k: &str| map.get(k).and_then(Value::as_str).is_some_and(|v| !v.is_empty());
    s("apiVersion") && s("kind")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Document> {
        parse_file("t.yaml".into(), "t.yaml".into(), text.as_bytes().to_vec()).unwrap().1
    }

    #[test]
    fn splits_streams_and_remembers_lines() {
        let d = docs("# license\n---\napiVersion: v1\nkind: A\n---   \n\n# c\napiVersion: v1\nkind: B\n...\n");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].kind(), d[0].line), ("A", 3));
        assert_eq!((d[1].kind(), d[1].line), ("B", 8));
    }

    #[test]
    fn skips_documents_without_kind_and_flattens_lists() {
        let d = docs("resources: [a.yaml]\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: X, metadata: {name: a}}\n- {apiVersion: v1, kind: Z}\n");
        assert_eq!(d.iter().map(Document::kind).collect::<Vec<_>>(), ["X", "Z"]);
    }

    #[test]
    fn bom_crlf_anchors_and_merge_keys() {
        let d = docs("\u{feff}apiVersion: v1\r\nkind: ConfigMap\r\nbase: &b {x: 1}\r\ndata:\r\n  <<: *b\r\n  y: 2\r\n");
        assert_eq!(d[0].value["data"], crate::json!({"x": 1, "y": 2}));
    }

    #[test]
    fn a_file_gone_since_loading_quotes_nothing() {
        let file = SourceFile::on_disk("/nonexistent/bindery/gone.yaml".into(), "gone.yaml".into(), reread);
        assert_eq!((file.text(), file.line_text(3), file.offset_of_line(7)), ("", "", 0));
    }

    #[test]
    fn json_files_are_one_document() {
        let (_, d) = parse_file("x.json".into(), "x.json".into(), br#"{"apiVersion":"v1","kind":"Secret"}"#.to_vec()).unwrap();
        assert_eq!(d[0].kind(), "Secret");
    }

    #[test]
    fn parse_errors_name_the_file_line() {
        let e = parse_file("bad.yaml".into(), "bad.yaml".into(), b"apiVersion: v1\nkind: A\n---\napiVersion: v1\nkind: [\n".to_vec())
            .unwrap_err();
        assert_eq!(e.path, "bad.yaml");
        assert!(e.line.unwrap() >= 5, "{e}");
    }

    #[test]
    fn refuses_binary_and_non_utf8() {
        assert!(parse_file("b".into(), "b".into(), b"a\0b".to_vec()).unwrap_err().message.contains("binary"));
        assert!(parse_file("b".into(), "b".into(), vec![b'a', 0xff]).unwrap_err().message.contains("UTF-8"));
    }

    #[test]
    fn scalars_read_as_kubectl_reads_them() {
        let d = docs("apiVersion: v1\nkind: A\nmode: 0644\nport: \"5432\"\nyes: yes\n");
        assert_eq!(d[0].value["mode"], 420);
        assert_eq!(d[0].value["port"], "5432");
        assert_eq!(d[0].value["yes"], true);
    }
}
