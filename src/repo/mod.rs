//! Repository mode: a repository is checked as it will be applied. The kustomizations no other
//! kustomization includes (the overlays and standalone apps a GitOps tool applies; see
//! [`roots`]) are each built with the real kustomize ([`kustomize`]), their documents traced
//! back to the repository files they came from ([`origin`]), and each built set is one
//! ordinary run of its own; the files outside every kustomization are one more set. A
//! directory without kustomizations is one set, as it always was.
//!
//! The repository is read once ([`crate::load::load_paths_excluding`]), whatever the number of
//! roots; each build is separate, so a base that many overlays share is built once per overlay.

pub mod kustomize;
pub mod origin;
pub mod roots;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::load::exclude::{Exclusions, Skipped};
use crate::load::{load_paths_excluding, LoadError, Loaded};
use crate::write::report_path;

use kustomize::{BuildError, Builder};
use roots::Kustomization;

/// Whether and how kustomizations are built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mode {
    /// Find the roots among the input's kustomizations (none: a plain directory run).
    #[default]
    Auto,
    /// Never build: every file is read as it is, all in one set.
    Off,
    /// Build exactly these kustomization directories, nothing else.
    Roots(Vec<PathBuf>),
}

/// How a repository run reads its input.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub exclusions: Exclusions,
    pub mode: Mode,
    /// The program that builds kustomizations (default: `kubectl`, else `kustomize`, on PATH).
    pub kustomize_command: Option<String>,
    /// Keep each build's documents in kustomize's output order (for `render`, whose output is
    /// applied) instead of repository order: by file path, then line, as a directory run
    /// orders them (for the reports).
    pub kustomize_order: bool,
}

/// One set of documents that is resolved on its own.
#[derive(Debug)]
pub struct InputSet {
    /// The kustomization directory, or the input paths for plain files.
    pub name: String,
    /// `kubectl kustomize` / `kustomize build`, or `None` for files read as they are.
    pub builder: Option<String>,
    /// The documents, or why the set could not be built (exit 2 for this set).
    pub loaded: Result<Loaded, Vec<LoadError>>,
}

/// What a repository run checks.
#[derive(Debug, Default)]
pub struct Repository {
    pub sets: Vec<InputSet>,
    /// Paths that are not bindery's input (Helm charts, Go templates).
    pub skipped: Vec<Skipped>,
    /// Kustomizations not built on their own, and why.
    pub covered: Vec<String>,
    /// The builder, when kustomizations were built.
    pub builder: Option<String>,
}

impl Repository {
    /// Kustomizations were built (more than a plain directory run).
    pub fn is_kustomize(&self) -> bool {
        self.builder.is_some()
    }
}

fn load_error(path: &Path, message: String) -> LoadError {
    LoadError { path: report_path(path), line: None, column: None, message, file: None }
}

fn names(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| report_path(p)).collect::<Vec<_>>().join(" ")
}

/// Read the input as `settings` says. `Err`: the input itself cannot be read (exit 2); a root
/// that does not build is an `Err` of its own set only.
pub fn load(paths: &[PathBuf], settings: &Settings) -> Result<Repository, Vec<LoadError>> {
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    match &settings.mode {
        Mode::Roots(dirs) => explicit_roots(dirs, settings),
        Mode::Off => plain(paths, settings),
        Mode::Auto if stdin => plain(paths, settings),
        Mode::Auto => discovered(paths, settings),
    }
}

fn plain(paths: &[PathBuf], settings: &Settings) -> Result<Repository, Vec<LoadError>> {
    let (loaded, skipped) = load_paths_excluding(paths, &settings.exclusions)?;
    Ok(Repository { sets: vec![InputSet { name: names(paths), builder: None, loaded: Ok(loaded) }], skipped, ..Repository::default() })
}

fn builder(settings: &Settings, roots: &[&Kustomization]) -> Result<Builder, LoadError> {
    let first = roots.first().map_or_else(|| PathBuf::from("."), |k| k.dir.clone());
    match Builder::find(settings.kustomize_command.as_deref()) {
        Ok(Some(b)) => Ok(b),
        Ok(None) => Err(load_error(&first, BuildError::NoKustomize { roots: roots.len(), first: report_path(&first) }.to_string())),
        Err(e) => Err(load_error(&first, e.to_string())),
    }
}

/// `--kustomize-root DIR…`: each must hold a kustomization file.
fn explicit_roots(dirs: &[PathBuf], settings: &Settings) -> Result<Repository, Vec<LoadError>> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        let file = roots::KUSTOMIZATION_FILES.iter().map(|n| dir.join(n)).find(|p| p.is_file());
        let parsed = file.and_then(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            roots::discover(&[Arc::new(SourceFile::new(path.clone(), PathBuf::from(path.file_name()?), text))]).pop()
        });
        match parsed {
            Some(k) => found.push(k),
            None => errors.push(load_error(dir, "--kustomize-root: not a directory with a kustomization file".into())),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let refs: Vec<&Kustomization> = found.iter().collect();
    let builder = builder(settings, &refs).map_err(|e| vec![e])?;
    let mut files = origin::RepoFiles::new(&Loaded::default());
    let sets = build_all(&builder, &refs, &mut files, settings.kustomize_order);
    Ok(Repository { sets, builder: Some(builder.name()), ..Repository::default() })
}

/// Find the roots under the input paths; none: a plain directory run of what was read.
fn discovered(paths: &[PathBuf], settings: &Settings) -> Result<Repository, Vec<LoadError>> {
    let (loaded, skipped) = load_paths_excluding(paths, &settings.exclusions)?;
    let all = roots::discover(&loaded.files);
    if all.is_empty() {
        return Ok(Repository {
            sets: vec![InputSet { name: names(paths), builder: None, loaded: Ok(loaded) }],
            skipped,
            ..Repository::default()
        });
    }
    let found = roots::roots(&all);
    let build: Vec<&Kustomization> = found.build.iter().map(|&i| &all[i]).collect();
    let builder = builder(settings, &build).map_err(|e| vec![e])?;
    let covered = found
        .covered
        .iter()
        .map(|&(top, by)| {
            format!(
                "{}: not built on its own: it includes {}, which runs bindery as a kustomize transformer (checked there)",
                report_path(&all[top].dir),
                report_path(&all[by].dir)
            )
        })
        .collect();
    let mut files = origin::RepoFiles::new(&loaded);
    let mut sets = build_all(&builder, &build, &mut files, settings.kustomize_order);
    let outside = outside_kustomizations(loaded, &all);
    if !outside.documents.is_empty() {
        sets.push(InputSet { name: format!("{} (files outside kustomizations)", names(paths)), builder: None, loaded: Ok(outside) });
    }
    Ok(Repository { sets, skipped, covered, builder: Some(builder.name()) })
}

/// The documents of files under no kustomization directory (a GitOps tool applies those as
/// plain files).
fn outside_kustomizations(loaded: Loaded, all: &[Kustomization]) -> Loaded {
    let dirs: Vec<&Path> = all.iter().map(|k| k.abs.as_path()).collect();
    let inside = |file: &SourceFile| {
        let abs = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
        dirs.iter().any(|d| abs.starts_with(d))
    };
    let mut verdicts: std::collections::HashMap<*const SourceFile, bool> = std::collections::HashMap::new();
    let Loaded { files, documents } = loaded;
    let documents: Vec<Document> =
        documents.into_iter().filter(|d| !*verdicts.entry(Arc::as_ptr(&d.file)).or_insert_with(|| inside(&d.file))).collect();
    let files = files.into_iter().filter(|f| verdicts.get(&Arc::as_ptr(f)) == Some(&false)).collect();
    Loaded { files, documents }
}

/// Build every root (in parallel: each is its own process), then trace each built document to
/// its repository file (in order, reading each repository file at most once).
fn build_all(builder: &Builder, build: &[&Kustomization], files: &mut origin::RepoFiles, kustomize_order: bool) -> Vec<InputSet> {
    use rayon::prelude::*;
    let built: Vec<Result<(String, tempfile::TempDir), BuildError>> = build.par_iter().map(|k| builder.build(k)).collect();
    build
        .iter()
        .zip(built)
        .map(|(k, result)| {
            let name = match report_path(&k.dir) {
                name if name.is_empty() => ".".to_string(),
                name => name,
            };
            let loaded = result
                .map_err(|e| vec![load_error(&k.dir, e.to_string())])
                .and_then(|(text, wrapper)| built_set(&name, builder, k, text, wrapper.path(), files))
                .map(|mut loaded| {
                    if !kustomize_order {
                        let built = loaded.files.first().cloned();
                        in_repository_order(&mut loaded.documents, built.as_ref());
                    }
                    loaded
                });
            InputSet { name, builder: Some(builder.name()), loaded }
        })
        .collect()
}

/// Sort built documents as a directory run orders its input: by repository file path, then
/// line (documents that kept no origin last, in build order).
fn in_repository_order(documents: &mut [Document], built: Option<&Arc<SourceFile>>) {
    documents.sort_by_cached_key(|d| {
        let unmapped = built.is_some_and(|b| Arc::ptr_eq(b, &d.file));
        (unmapped, if unmapped { PathBuf::new() } else { d.file.path.clone() }, if unmapped { 0 } else { d.line })
    });
}

/// One root's build as documents of the repository files they came from.
fn built_set(
    name: &str,
    builder: &Builder,
    k: &Kustomization,
    text: String,
    wrapper: &Path,
    files: &mut origin::RepoFiles,
) -> Result<Loaded, Vec<LoadError>> {
    let path = PathBuf::from(format!("{name} ({})", builder.name()));
    let (built, mut documents) =
        crate::load::parse_file(path, PathBuf::from("kustomize-build.yaml"), text.into_bytes()).map_err(|e| vec![e])?;
    let base = std::fs::canonicalize(wrapper).unwrap_or_else(|_| wrapper.to_path_buf());
    let mut seen = std::collections::HashSet::from([Arc::as_ptr(&built)]);
    let mut used: Vec<Arc<SourceFile>> = vec![built];
    for doc in &mut documents {
        origin::map_document(doc, &base, files, !k.origin_annotations);
        if seen.insert(Arc::as_ptr(&doc.file)) {
            used.push(doc.file.clone());
        }
    }
    Ok(Loaded { files: used, documents })
}
