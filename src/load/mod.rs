//! Load: turn paths (files, directories, `-` for stdin) into Kubernetes documents that remember
//! the file and line they came from.
//!
//! Reading is deterministic (sorted paths, then document order), `.gitignore`-aware, and refuses
//! what is not text: binary files, non-UTF-8 files and unparseable YAML are a [`LoadError`]
//! naming the file and line. Documents without `apiVersion`/`kind` (kustomization files, Helm
//! values, CI files) are skipped; `kind: List` documents are flattened into their items.

pub mod exclude;
pub mod source_comments;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::doc::value::{Map, Value};

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

/// Read every path. `-` reads standard input. Directories are walked recursively for
/// `*.yaml`, `*.yml` and `*.json`, skipping `.git` and what `.gitignore` ignores.
///
/// Files are read and parsed in parallel (rayon, one thread per core), then concatenated in
/// sorted path order: the result does not depend on scheduling.
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded, Vec<LoadError>> {
    load_paths_excluding(paths, &exclude::Exclusions::default()).map(|(loaded, _)| loaded)
}

/// [`load_paths`] that also leaves out what `exclusions` and `.binderyignore` files name, and
/// returns what it skipped as not bindery's input (Helm charts, Go templates; see [`exclude`]).
pub fn load_paths_excluding(
    paths: &[PathBuf],
    exclusions: &exclude::Exclusions,
) -> Result<(Loaded, Vec<exclude::Skipped>), Vec<LoadError>> {
    use rayon::prelude::*;

    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    let skipped = exclude::SkipLog::default();
    for root in paths {
        let parsed: Vec<Parsed> = if root.as_os_str() == "-" {
            match read_stdin() {
                Ok(bytes) => vec![parse_file(PathBuf::from("<stdin>"), PathBuf::from("stdin.yaml"), bytes)],
                Err(e) => {
                    errors.push(err(Path::new("<stdin>"), format!("cannot read standard input: {e}")));
                    continue;
                }
            }
        } else {
            match discover(root, exclusions, &skipped) {
                // An indexed parallel iterator keeps the input order in `collect`.
                Ok(found) => found
                    .into_par_iter()
                    .map(|(path, rel)| match read_limited(&path) {
                        Ok(bytes) => parse_disk_file(path, rel, bytes),
                        Err(e) => Err(err(&path, e.to_string())),
                    })
                    .collect(),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            }
        };
        loaded.documents.reserve_exact(parsed.iter().map(|p| p.as_ref().map_or(0, |(_, docs)| docs.len())).sum());
        for result in parsed {
            match result {
                Ok((file, docs)) => {
                    loaded.files.push(file);
                    loaded.documents.extend(docs);
                }
                Err(e) => match exclude_template(&e) {
                    Some(s) => skipped.push(s),
                    None => errors.push(e),
                },
            }
        }
    }
    if errors.is_empty() {
        Ok((loaded, skipped.take()))
    } else {
        Err(errors)
    }
}

/// A file that failed to parse because it is a Go template is skipped, not an error.
fn exclude_template(e: &LoadError) -> Option<exclude::Skipped> {
    let file = e.file.as_ref().filter(|f| f.path != Path::new("<stdin>"))?;
    exclude::is_go_template(file.text()).then(|| exclude::Skipped { path: file.path.clone(), reason: exclude::SkipReason::GoTemplate })
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

fn is_manifest_name(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("yaml" | "yml" | "json"))
}

/// The files under one root, sorted by path, with their path relative to the root.
fn discover(root: &Path, exclusions: &exclude::Exclusions, skipped: &exclude::SkipLog) -> Result<Vec<(PathBuf, PathBuf)>, LoadError> {
    let meta = std::fs::metadata(root).map_err(|e| err(root, format!("cannot read path: {e}")))?;
    if meta.is_file() {
        let rel = root.file_name().map(PathBuf::from).unwrap_or_else(|| root.to_path_buf());
        return Ok(vec![(root.to_path_buf(), rel)]);
    }
    let mut found = Vec::new();
    if exclude::is_helm_chart(root) {
        skipped.push(exclude::Skipped { path: root.to_path_buf(), reason: exclude::SkipReason::HelmChart });
        return Ok(found);
    }
    let mut builder = ignore::WalkBuilder::new(root);
    exclude::configure(&mut builder, root, exclusions, skipped).map_err(|e| err(root, e.to_string()))?;
    let walker = builder
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(false)
        .parents(true)
        .require_git(false)
        .follow_links(true)
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = walk_error_path(&e).unwrap_or_else(|| root.to_path_buf());
            err(&path, format!("cannot walk directory: {e}"))
        })?;
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        if is_file && is_manifest_name(entry.path()) {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path()).to_path_buf();
            found.push((entry.path().to_path_buf(), rel));
        }
    }
    found.sort();
    Ok(found)
}

fn walk_error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_error_path(err),
        _ => None,
    }
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
        let value: Value = serde_json::from_str(text).map_err(|e| LoadError {
            path: file.display(),
            line: Some(e.line()),
            column: Some(e.column()),
            message: format!("invalid JSON: {e}"),
            file: Some(file.clone()),
        })?;
        let end_line = text.matches('\n').count() + 1;
        push_resource(file, 1, end_line, value, &mut docs);
        return Ok(docs);
    }
    let parsed = crate::doc::yaml_split::parse_stream_parallel(text).map_err(|e| LoadError {
        path: file.display(),
        line: Some(e.line),
        column: Some(e.column),
        message: format!("invalid YAML: {}", e.message),
        file: Some(file.clone()),
    })?;
    for doc in parsed {
        push_resource(file, doc.line, doc.end_line, doc.value, &mut docs);
    }
    Ok(docs)
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
