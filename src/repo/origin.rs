//! Origins: a document kustomize built, traced back to the repository file and line it came
//! from, so that every report names that file (never `<stdin>` or the build).
//!
//! kustomize's `config.kubernetes.io/origin` annotation (asked for with `buildMetadata:
//! [originAnnotations]`) gives, relative to the kustomization that was built, the `path` of
//! the resource's file — or, for a generated resource, the kustomization it is `configuredIn`
//! and the generator — and `repo`/`ref` for a remote one. Lines are not in the annotation: the
//! resource is found in that file by kind and name (a `namePrefix`/`nameSuffix` changes the
//! name, so then by kind and the name it contains, then by kind alone); a generated resource
//! is found at its generator entry (`configMapGenerator: - name: …`), whose lines it spans so
//! that diagnostics mask them like any Secret's. A remote file has no text here: line 1.
//! Repository files are read once per repository run, whatever the number of roots.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::roots::normalize;
use crate::doc::document::{Document, SourceFile};
use crate::doc::value::Value;
use crate::load::Loaded;

/// The annotation kustomize writes with `buildMetadata: [originAnnotations]`.
pub const ORIGIN: &str = "config.kubernetes.io/origin";

/// What an origin annotation says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub path: Option<String>,
    pub configured_in: Option<String>,
    /// The generator's kind (`ConfigMapGenerator`, `SecretGenerator`, …).
    pub configured_by: Option<String>,
    pub repo: Option<String>,
    pub git_ref: Option<String>,
}

/// The origin annotation of a built document.
pub fn read(value: &Value) -> Option<Origin> {
    let text = value.pointer("/metadata/annotations")?.get(ORIGIN)?.as_str()?;
    let parsed = crate::doc::yaml_in::parse_stream(text).ok()?.into_iter().next()?.value;
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    Some(Origin {
        path: s(parsed.get("path")),
        configured_in: s(parsed.get("configuredIn")),
        configured_by: s(parsed.get("configuredBy").and_then(|b| b.get("kind"))),
        repo: s(parsed.get("repo")),
        git_ref: s(parsed.get("ref")),
    })
}

/// Remove the origin annotation (and `annotations` when it held nothing else).
pub fn strip(value: &mut Value) {
    let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) else { return };
    let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut) else { return };
    annotations.remove(ORIGIN);
    if annotations.is_empty() {
        metadata.remove("annotations");
    }
}

/// Where one resource is in its file.
#[derive(Debug, Clone)]
struct Place {
    kind: String,
    name: String,
    line: usize,
    end_line: usize,
}

#[derive(Debug)]
struct FileEntry {
    file: Arc<SourceFile>,
    places: Vec<Place>,
    by_identity: HashMap<(String, String), usize>,
}

impl FileEntry {
    fn new(file: Arc<SourceFile>, places: Vec<Place>) -> Self {
        let mut by_identity = HashMap::with_capacity(places.len());
        for (i, p) in places.iter().enumerate() {
            by_identity.entry((p.kind.clone(), p.name.clone())).or_insert(i);
        }
        FileEntry { file, places, by_identity }
    }

    /// The lines of the resource of `kind` built as `name`.
    fn find(&self, kind: &str, name: &str) -> (usize, usize) {
        if let Some(&i) = self.by_identity.get(&(kind.to_string(), name.to_string())) {
            return (self.places[i].line, self.places[i].end_line);
        }
        let same_kind: Vec<&Place> = self.places.iter().filter(|p| p.kind == kind).collect();
        let renamed = same_kind.iter().filter(|p| !p.name.is_empty() && name.contains(p.name.as_str())).max_by_key(|p| p.name.len());
        match renamed.or(same_kind.first()) {
            Some(p) => (p.line, p.end_line),
            None => (1, self.file.text().matches('\n').count().max(1)),
        }
    }
}

/// The repository's files, by resolved absolute path: those the run loaded, and any other a
/// build names (read once, when first named).
#[derive(Debug, Default)]
pub struct RepoFiles {
    by_path: HashMap<PathBuf, Option<FileEntry>>,
    cwd: Option<PathBuf>,
}

fn resolved(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
}

impl RepoFiles {
    /// Index what one load read (every file and the resources in it).
    pub fn new(loaded: &Loaded) -> Self {
        let mut places: HashMap<*const SourceFile, Vec<Place>> = HashMap::new();
        for d in &loaded.documents {
            let place = Place { kind: d.kind().to_string(), name: d.name().to_string(), line: d.line, end_line: d.end_line };
            places.entry(Arc::as_ptr(&d.file)).or_default().push(place);
        }
        let mut by_path = HashMap::with_capacity(loaded.files.len());
        for file in &loaded.files {
            let entry = FileEntry::new(file.clone(), places.remove(&Arc::as_ptr(file)).unwrap_or_default());
            by_path.insert(resolved(&absolute(&file.path)), Some(entry));
        }
        RepoFiles { by_path, cwd: std::env::current_dir().ok().and_then(|c| std::fs::canonicalize(c).ok()) }
    }

    fn entry(&mut self, abs: &Path) -> Option<&FileEntry> {
        let abs = resolved(abs);
        if !self.by_path.contains_key(&abs) {
            let loaded = self.read(&abs);
            self.by_path.insert(abs.clone(), loaded);
        }
        self.by_path.get(&abs).and_then(Option::as_ref)
    }

    /// A file outside the load: read and parsed once, named relative to the working directory.
    fn read(&self, abs: &Path) -> Option<FileEntry> {
        let bytes = std::fs::read(abs).ok()?;
        // Relative to the working directory (`../base/a.yaml` for a base outside the input).
        let shown = self.cwd.as_ref().map_or_else(|| abs.to_path_buf(), |c| PathBuf::from(super::kustomize::relative_from(c, abs)));
        let relative = abs.file_name().map(PathBuf::from).unwrap_or_default();
        match crate::load::parse_file(shown.clone(), relative.clone(), bytes) {
            Ok((file, docs)) => {
                let places = docs
                    .iter()
                    .map(|d| Place { kind: d.kind().to_string(), name: d.name().to_string(), line: d.line, end_line: d.end_line })
                    .collect();
                Some(FileEntry::new(file, places))
            }
            Err(_) => Some(FileEntry::new(Arc::new(SourceFile::new(shown, relative, String::new())), Vec::new())),
        }
    }

    /// A remote file (no text here), one per address.
    fn remote(&mut self, address: String) -> Arc<SourceFile> {
        let key = PathBuf::from(&address);
        let entry = self.by_path.entry(key.clone()).or_insert_with(|| {
            let file = Arc::new(SourceFile::new(key.clone(), PathBuf::from("remote.yaml"), String::new()));
            Some(FileEntry::new(file, Vec::new()))
        });
        entry.as_ref().map(|e| e.file.clone()).expect("just inserted")
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|c| c.join(path)).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Point a built document at the repository file and lines it came from (`base` is the
/// directory the annotation's paths are relative to). Documents without an origin stay as
/// built. With `strip_annotation`, the annotation is removed (bindery asked for it, the
/// repository did not).
pub fn map_document(doc: &mut Document, base: &Path, files: &mut RepoFiles, strip_annotation: bool) {
    let Some(origin) = read(&doc.value) else { return };
    if strip_annotation {
        strip(&mut doc.value);
    }
    let (kind, name) = (doc.kind().to_string(), doc.name().to_string());
    if let Some(repo) = &origin.repo {
        let mut address = format!("{repo}//{}", origin.path.as_deref().or(origin.configured_in.as_deref()).unwrap_or(""));
        if let Some(r) = &origin.git_ref {
            address.push_str(&format!("?ref={r}"));
        }
        doc.file = files.remote(address);
        (doc.line, doc.end_line) = (1, 1);
        return;
    }
    if let Some(path) = &origin.path {
        if let Some(entry) = files.entry(&normalize(&base.join(path))) {
            (doc.line, doc.end_line) = entry.find(&kind, &name);
            doc.file = entry.file.clone();
        }
    } else if let Some(kustomization) = &origin.configured_in {
        if let Some(entry) = files.entry(&normalize(&base.join(kustomization))) {
            (doc.line, doc.end_line) = generator_lines(entry.file.text(), origin.configured_by.as_deref(), &name);
            doc.file = entry.file.clone();
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The lines of the generator entry that made `name` (`configMapGenerator:` … `- name: base`
/// where `name` is `base` plus kustomize's hash suffix), or the generator list's line, or 1.
pub fn generator_lines(text: &str, generator: Option<&str>, name: &str) -> (usize, usize) {
    let key = match generator {
        Some("ConfigMapGenerator") => "configMapGenerator:",
        Some("SecretGenerator") => "secretGenerator:",
        _ => return (1, 1),
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(start) = lines.iter().position(|l| indent(l) == 0 && l.trim_end() == key) else { return (1, 1) };
    // The list items: (first line, last line, name), all 0-based.
    let mut items: Vec<(usize, usize, String)> = Vec::new();
    let mut item_indent = None;
    for (n, line) in lines.iter().enumerate().skip(start + 1) {
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let col = indent(line);
        let is_item = body.starts_with("- ") || body == "-";
        if col == 0 && !is_item {
            break;
        }
        if is_item && item_indent.is_none_or(|i| i == col) {
            item_indent = Some(col);
            items.push((n, n, String::new()));
        } else if item_indent.is_some_and(|i| col < i) {
            break;
        }
        if let Some(item) = items.last_mut() {
            item.1 = n;
            let item_col = item_indent.unwrap_or(0);
            let field = if item.0 == n {
                body.trim_start_matches("- ").trim_start()
            } else if col == item_col + 2 {
                body
            } else {
                ""
            };
            if let (Some(v), true) = (field.strip_prefix("name:"), item.2.is_empty()) {
                item.2 = v.trim().trim_matches(['"', '\'']).to_string();
            }
        }
    }
    let best = items.iter().filter(|(_, _, n)| !n.is_empty() && name.starts_with(n.as_str())).max_by_key(|(_, _, n)| n.len());
    match best {
        Some(&(first, last, _)) => (first + 1, last + 1),
        None => (start + 1, start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KUSTOMIZATION: &str = "resources:\n- a.yaml\nconfigMapGenerator:\n- name: orders-config\n  literals:\n  - A=1\n- name: orders\n  files: [x]\nsecretGenerator:\n  - name: db\n    literals:\n    - password=x\nimages: []\n";

    #[test]
    fn generated_resources_span_their_generator_entry() {
        assert_eq!(generator_lines(KUSTOMIZATION, Some("ConfigMapGenerator"), "orders-config-4f466498dg"), (4, 6));
        assert_eq!(generator_lines(KUSTOMIZATION, Some("ConfigMapGenerator"), "orders-7c9f"), (7, 8));
        assert_eq!(generator_lines(KUSTOMIZATION, Some("SecretGenerator"), "db-abc"), (10, 12));
        assert_eq!(generator_lines(KUSTOMIZATION, Some("SecretGenerator"), "other"), (9, 9));
        assert_eq!(generator_lines(KUSTOMIZATION, Some("HelmChartInflationGenerator"), "x"), (1, 1));
    }

    #[test]
    fn a_generated_secret_spans_its_literals_so_diagnostics_mask_them() {
        let text = "resources: [app.yaml]\nsecretGenerator:\n- name: db\n  literals:\n  - host=db.internal\n  - password=hunter2-generated\nimages: []\n";
        let file = Arc::new(SourceFile::new("kustomization.yaml".into(), "kustomization.yaml".into(), text.into()));
        let (line, end_line) = generator_lines(text, Some("SecretGenerator"), "db-8h2k5m");
        assert_eq!((line, end_line), (3, 6));
        let value =
            crate::doc::yaml_in::parse_stream("apiVersion: v1\nkind: Secret\nmetadata: {name: db-8h2k5m}\n").unwrap().remove(0).value;
        let doc = Document { file, line, end_line, value };
        let problem = crate::model::problem::Problem::error(crate::model::rules::Rule::InvalidSecret, "bad")
            .at(crate::model::problem::Location::of(&doc));
        let shown = crate::write::diagnostics::render_problem_for(&problem, std::slice::from_ref(&doc), false);
        assert!(shown.contains("kustomization.yaml:3") && shown.contains("- ***"), "{shown}");
        assert!(!shown.contains("hunter2") && !shown.contains("db.internal"), "{shown}");
    }

    #[test]
    fn origins_are_read_and_stripped() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../base/a.yaml\n      repo: https://example.com/r\n      ref: v1\n";
        let mut value = crate::doc::yaml_in::parse_stream(text).unwrap().remove(0).value;
        let origin = read(&value).unwrap();
        assert_eq!(origin.path.as_deref(), Some("../base/a.yaml"));
        assert_eq!((origin.repo.as_deref(), origin.git_ref.as_deref()), (Some("https://example.com/r"), Some("v1")));
        strip(&mut value);
        assert!(value.pointer("/metadata/annotations").is_none(), "an emptied annotations map is removed");
    }

    #[test]
    fn resources_are_found_by_kind_and_name_even_when_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apps.yaml");
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web-internal}\n";
        std::fs::write(&path, text).unwrap();
        let mut files = RepoFiles::default();
        let entry = files.entry(&path).unwrap();
        assert_eq!(entry.find("Service", "web"), (5, 8), "the lines the loader gives the document");
        assert_eq!(entry.find("Service", "dev-web-internal"), (9, 12), "namePrefix: the longest contained name");
        assert_eq!(entry.find("Deployment", "dev-web"), (1, 4));
        assert_eq!(entry.find("ConfigMap", "x").0, 1);
    }
}
