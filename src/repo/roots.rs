//! Kustomize roots: the kustomizations of a repository that a GitOps tool applies — those no
//! other kustomization includes — found among the files one load already read.
//!
//! A kustomization includes the local directories its `resources`, `bases` and `components`
//! name. `kind: Component` is never a root. A kustomization that runs bindery itself as a
//! transformer (a `transformers` entry whose file holds a `bindery.dev` `BindingResolver`) is
//! where binding happens, so it is a root of its own, and the kustomizations above it are
//! covered by it (they see its already bound output).

use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::doc::document::SourceFile;
use crate::doc::value::Value;

/// The file names kustomize reads, in its order of preference.
pub const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// One kustomization of the repository.
#[derive(Debug, Clone)]
pub struct Kustomization {
    /// Its directory, as found under the input path (for reports).
    pub dir: PathBuf,
    /// Its directory, absolute and with symbolic links resolved (for identity).
    pub abs: PathBuf,
    /// The kustomization file.
    pub file: Arc<SourceFile>,
    /// The local directories it includes (absolute, resolved), in file order.
    pub includes: Vec<PathBuf>,
    /// `kind: Component`: applied only inside another kustomization.
    pub component: bool,
    /// The apiVersions of the bindery `BindingResolver` transformers it runs (empty: none).
    pub resolvers: Vec<String>,
    /// It inflates Helm charts (`helmCharts`): kustomize needs `--enable-helm` and helm.
    pub helm: bool,
    /// The kustomization file lists `originAnnotations` under `buildMetadata` itself.
    pub origin_annotations: bool,
}

/// Is this path a kustomization file?
pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| KUSTOMIZATION_FILES.contains(&n))
}

/// `a/./b/../c` → `a/c`, without asking the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| {
        let joined = std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf());
        normalize(&joined)
    })
}

/// A `resources` entry that kustomize fetches (a URL or a git reference), not a local path.
fn is_remote(entry: &str) -> bool {
    entry.contains("://") || entry.starts_with("git@") || entry.starts_with("github.com/") || entry.starts_with("gitlab.com/")
}

fn strings<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    value.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// The apiVersion of a bindery `BindingResolver` document.
fn resolver_api(doc: &Value) -> Option<String> {
    let api = doc.get("apiVersion").and_then(Value::as_str)?;
    (doc.get("kind").and_then(Value::as_str) == Some("BindingResolver") && api.starts_with("bindery.dev/")).then(|| api.to_string())
}

/// The BindingResolver apiVersions among a kustomization's `transformers` (files or inline).
fn resolvers(value: &Value, dir: &Path) -> Vec<String> {
    let mut found = BTreeSet::new();
    for entry in value.get("transformers").and_then(Value::as_array).into_iter().flatten() {
        match entry {
            Value::String(file) if !is_remote(file) => {
                let path = dir.join(file.as_str());
                let Ok(text) = std::fs::read_to_string(&path) else { continue };
                let Ok(docs) = crate::doc::yaml_in::parse_stream(&text) else { continue };
                found.extend(docs.iter().filter_map(|d| resolver_api(&d.value)));
            }
            inline => found.extend(resolver_api(inline)),
        }
    }
    found.into_iter().collect()
}

/// Parse one kustomization file (`None` when it is not YAML: kustomize reports it when built).
fn parse(file: &Arc<SourceFile>) -> Option<Kustomization> {
    let dir = file.path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let docs = crate::doc::yaml_in::parse_stream(file.text()).ok()?;
    let value = docs.into_iter().next().map(|d| d.value).unwrap_or(Value::Null);
    let includes = ["resources", "bases", "components"]
        .iter()
        .flat_map(|key| strings(&value, key))
        .filter(|entry| !is_remote(entry))
        .map(|entry| dir.join(entry))
        .filter(|path| path.is_dir())
        .map(|path| absolute(&path))
        .collect();
    let build_metadata = strings(&value, "buildMetadata").any(|m| m == "originAnnotations");
    Some(Kustomization {
        abs: absolute(&dir),
        file: file.clone(),
        includes,
        component: value.get("kind").and_then(Value::as_str) == Some("Component"),
        resolvers: resolvers(&value, &dir),
        helm: value.get("helmCharts").and_then(Value::as_array).is_some_and(|c| !c.is_empty()),
        origin_annotations: build_metadata,
        dir,
    })
}

/// Every kustomization among the files read, one per directory (kustomize's file-name
/// preference), sorted by directory.
pub fn discover(files: &[Arc<SourceFile>]) -> Vec<Kustomization> {
    let mut by_dir: HashMap<PathBuf, (usize, Kustomization)> = HashMap::new();
    for file in files.iter().filter(|f| is_kustomization_file(&f.path)) {
        let Some(k) = parse(file) else { continue };
        let rank = KUSTOMIZATION_FILES.iter().position(|n| file.path.file_name().is_some_and(|f| f == *n)).unwrap_or(0);
        match by_dir.get(&k.abs) {
            Some((r, _)) if *r <= rank => {}
            _ => {
                by_dir.insert(k.abs.clone(), (rank, k));
            }
        }
    }
    let mut all: Vec<Kustomization> = by_dir.into_values().map(|(_, k)| k).collect();
    all.sort_by(|a, b| a.dir.cmp(&b.dir));
    all
}

/// What a repository run builds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roots {
    /// Indices of the kustomizations to build and check, sorted by directory.
    pub build: Vec<usize>,
    /// Top-level kustomizations not built because they include one that runs bindery itself
    /// (index of the top, index of the kustomization that binds).
    pub covered: Vec<(usize, usize)>,
}

/// The roots among `all`: every kustomization that runs bindery as a transformer, and every
/// top-level one (included by no other, not a component) that does not include such a one.
pub fn roots(all: &[Kustomization]) -> Roots {
    let index: HashMap<&Path, usize> = all.iter().enumerate().map(|(i, k)| (k.abs.as_path(), i)).collect();
    let included: BTreeSet<usize> = all.iter().flat_map(|k| &k.includes).filter_map(|p| index.get(p.as_path()).copied()).collect();
    let mut out = Roots::default();
    for (i, k) in all.iter().enumerate() {
        if !k.resolvers.is_empty() {
            out.build.push(i);
        } else if !k.component && !included.contains(&i) {
            match first_resolver(all, &index, i) {
                Some(r) => out.covered.push((i, r)),
                None => out.build.push(i),
            }
        }
    }
    out
}

/// The first kustomization reachable from `start` (itself excluded) that runs bindery.
fn first_resolver(all: &[Kustomization], index: &HashMap<&Path, usize>, start: usize) -> Option<usize> {
    let mut seen = BTreeSet::from([start]);
    let mut stack = vec![start];
    while let Some(i) = stack.pop() {
        for next in all[i].includes.iter().filter_map(|p| index.get(p.as_path()).copied()) {
            if !all[next].resolvers.is_empty() {
                return Some(next);
            }
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Kustomization>) {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = Vec::new();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            sources.push(Arc::new(SourceFile::new(p.clone(), PathBuf::from(path), text.to_string())));
        }
        let all = discover(&sources);
        (dir, all)
    }

    fn names(all: &[Kustomization], root: &Path, ids: &[usize]) -> Vec<String> {
        ids.iter().map(|&i| all[i].dir.strip_prefix(root).unwrap().display().to_string()).collect()
    }

    #[test]
    fn overlays_are_roots_bases_and_components_are_not() {
        let (dir, all) = repo(&[
            ("base/kustomization.yaml", "resources: [deploy.yaml]\n"),
            ("base/deploy.yaml", "kind: X\n"),
            ("components/tls/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"),
            ("overlays/prod/kustomization.yaml", "resources: [../../base]\ncomponents: [../../components/tls]\n"),
            ("overlays/dev/kustomization.yml", "bases: [../../base, https://github.com/x/y//z?ref=v1]\n"),
            ("apps/standalone/Kustomization", "resources: []\n"),
        ]);
        assert_eq!(all.len(), 5);
        let r = roots(&all);
        let root = dir.path();
        assert_eq!(names(&all, root, &r.build), ["apps/standalone", "overlays/dev", "overlays/prod"]);
        assert!(r.covered.is_empty());
    }

    #[test]
    fn a_kustomization_running_bindery_is_the_root_and_covers_those_above_it() {
        let (dir, all) = repo(&[
            ("app/kustomization.yaml", "resources: [deploy.yaml]\n"),
            ("base/kustomization.yaml", "resources: [../app]\ntransformers: [resolver.yaml]\n"),
            ("base/resolver.yaml", "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: r}\n"),
            ("overlays/dev/kustomization.yaml", "resources: [../../base]\nnamePrefix: dev-\n"),
            ("other/kustomization.yaml", "resources: [../app]\n"),
        ]);
        let r = roots(&all);
        let root = dir.path();
        assert_eq!(names(&all, root, &r.build), ["base", "other"]);
        let covered: Vec<(String, String)> =
            r.covered.iter().map(|&(t, b)| (names(&all, root, &[t])[0].clone(), names(&all, root, &[b])[0].clone())).collect();
        assert_eq!(covered, [("overlays/dev".to_string(), "base".to_string())]);
        let base = all.iter().find(|k| k.dir.ends_with("base")).unwrap();
        assert_eq!(base.resolvers, ["bindery.dev/v1alpha1"]);
    }

    #[test]
    fn kustomize_prefers_kustomization_yaml_in_one_directory() {
        let (_dir, all) = repo(&[("a/kustomization.yml", "resources: [x]\n"), ("a/kustomization.yaml", "resources: [y]\n")]);
        assert_eq!(all.len(), 1);
        assert!(all[0].file.path.ends_with("kustomization.yaml"));
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/t/w/../../repo/./base/a.yaml")), PathBuf::from("/repo/base/a.yaml"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }
}
