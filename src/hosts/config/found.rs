//! Where the configuration is found with the input — one rule for every host:
//!
//! * the project file `.bindery.yaml` next to each input path: at the root of each input
//!   directory, in the directory of each input file, and in the current directory for standard
//!   input (`-`, and every host that reads its input from stdin: the KRM function, the
//!   kustomize plugin, the Helm post-renderer);
//! * every `bindery.dev/v1alpha1` `BindingResolver` document among the input documents (the
//!   Argo CD app's or the kpt package's `bindery.yaml`, marked
//!   `config.kubernetes.io/local-config: "true"`). Such a document is configuration, never a
//!   resource: no route outputs it. Any other kind of the `bindery.dev` group is an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::doc::value::Value;
use crate::index::runtime_secrets::CONFIG_FILE;

use super::schema::{from_file_text, from_resolver, is_config_group, ConfigError};
use super::{Found, CONFIG_KIND};

/// `.bindery.yaml` next to each input path, in order, without repeats (whether or not it exists).
pub fn config_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let dir = if p.as_os_str() == "-" {
            PathBuf::new()
        } else if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let file = dir.join(CONFIG_FILE);
        if !out.contains(&file) {
            out.push(file);
        }
    }
    out
}

/// The same file, whatever the spelling of its path.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Read one configuration file named by the user (`--config FILE`): it must exist.
pub fn read_file(path: &Path) -> Result<Vec<(bool, super::Config)>, ConfigError> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read { path: label.clone(), reason: e.to_string() })?;
    from_file_text(&text, &label)
}

/// Add the `.bindery.yaml` files found next to `paths` to `found`. `loaded` are the files read
/// as input: a `BindingResolver` in a config file that is also input is read from the input
/// documents instead (not twice); its plain-format documents are read here.
pub fn add_config_files(found: &mut Found, paths: &[PathBuf], loaded: &[&Path]) -> Result<(), ConfigError> {
    let mut errors = Vec::new();
    for file in config_files(paths) {
        if !file.is_file() {
            continue;
        }
        let is_input = loaded.iter().any(|l| same_file(l, &file));
        match read_file(&file) {
            Ok(docs) => {
                for (is_resolver, config) in docs {
                    if !(is_resolver && is_input) {
                        found.add(&file.display().to_string(), config);
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    ConfigError::all(errors).map_or(Ok(()), Err)
}

/// Add every `BindingResolver` among `documents` (each with its label: `file:line` or the kpt
/// path) to `found`; a `bindery.dev` document of another kind is an error. `skip` leaves out a
/// document that is also the run's functionConfig (kpt lists an in-package fn-config twice).
pub fn add_documents<'a>(
    found: &mut Found,
    documents: impl IntoIterator<Item = (String, &'a Value)>,
    skip: Option<&Value>,
) -> Result<(), ConfigError> {
    let mut errors = Vec::new();
    for (label, v) in documents {
        if !is_config_group(v) {
            continue;
        }
        if v.get("kind").and_then(Value::as_str) != Some(CONFIG_KIND) {
            errors.push(ConfigError::UnknownKind { at: label });
            continue;
        }
        if skip.is_some_and(|fc| same_resolver(fc, v)) {
            continue;
        }
        match from_resolver(v, &label) {
            Ok(c) => found.add(&label, c),
            Err(e) => errors.push(e),
        }
    }
    ConfigError::all(errors).map_or(Ok(()), Err)
}

/// The configuration found with input paths (the CLI commands, Argo CD): `.bindery.yaml` next
/// to each path (unless `explicit`, the user's `--config FILE`, replaces it) and the
/// `BindingResolver`s among the configuration documents taken out of the input.
pub fn for_paths(paths: &[PathBuf], files: &[Arc<SourceFile>], config_docs: &[Document], explicit: bool) -> Result<Found, ConfigError> {
    let mut found = Found::default();
    let mut errors = Vec::new();
    if !explicit {
        let loaded: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
        errors.extend(add_config_files(&mut found, paths, &loaded).err());
    }
    errors.extend(add_documents(&mut found, config_docs.iter().map(|d| (d.location(), &d.value)), None).err());
    ConfigError::all(errors).map_or(Ok(found), Err)
}

/// The configuration in a file the user names (`--config FILE`), every document merged.
pub fn given_file(path: &Path) -> Result<super::Config, ConfigError> {
    let mut found = Found::default();
    for (_, config) in read_file(path)? {
        found.add(&path.display().to_string(), config);
    }
    super::Layers { found, ..super::Layers::default() }.effective()
}

fn same_resolver(a: &Value, b: &Value) -> bool {
    ["/apiVersion", "/kind", "/metadata/name", "/spec"].iter().all(|p| a.pointer(p) == b.pointer(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_is_next_to_each_input_path() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("apps");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("a.yaml"), "").unwrap();
        let paths = [dir.path().to_path_buf(), sub.join("a.yaml"), PathBuf::from("-"), sub.clone()];
        let files = config_files(&paths);
        assert_eq!(files, [dir.path().join(CONFIG_FILE), sub.join(CONFIG_FILE), PathBuf::from(CONFIG_FILE)]);
    }
}
