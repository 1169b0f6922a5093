//! `materialize`: write the binding directories one container would see under
//! `$SERVICE_BINDING_ROOT` into a local directory, so an application can run on a developer's
//! machine with `SERVICE_BINDING_ROOT=DIR`. Works from the [`explain`](crate::write::explain)
//! view of the same run.
//!
//! Files are created with mode 0600 in directories with mode 0700 (on Unix); an existing file
//! is replaced, never written through (a symbolic link is removed, not followed); a link where a
//! directory goes is replaced by a directory; an existing directory the group or others may
//! write to is made private first ([`files`]). Files whose
//! content comes from a Secret are written only when the view holds Secret values
//! (`--show-secrets`); otherwise they are listed as skipped.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::write::escape::controls;
use crate::write::explain::{describe_source, ContainerView, Entry, ExplainReport, WorkloadView};
use crate::write::files::{self, OutputError};
use crate::write::redact::MASK;

/// Which container to materialize.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `kind/name` or `kind/namespace/name` (kind case-insensitive); may be omitted when
    /// exactly one workload is bound.
    pub workload: Option<String>,
    /// May be omitted when the workload has exactly one bound container.
    pub container: Option<String>,
}

/// A selection that does not name exactly one container (a usage error, exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectionError(pub String);

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn workload_ref(w: &WorkloadView) -> String {
    match &w.resource.namespace {
        Some(ns) => format!("{}/{ns}/{}", w.resource.kind, w.resource.name),
        None => format!("{}/{}", w.resource.kind, w.resource.name),
    }
}

/// The one container the selection names.
pub fn select<'a>(report: &'a ExplainReport, selection: &Selection) -> Result<(&'a WorkloadView, &'a ContainerView), SelectionError> {
    let all: Vec<String> = report.workloads.iter().map(workload_ref).collect();
    let workload = match &selection.workload {
        None => match report.workloads.as_slice() {
            [only] => only,
            [] => return Err(SelectionError("no binding reaches any container: nothing to materialize".into())),
            _ => {
                return Err(SelectionError(format!("several workloads are bound; choose one with --workload (one of: {})", all.join(", "))))
            }
        },
        Some(wanted) => {
            let parts: Vec<&str> = wanted.split('/').collect();
            let (kind, namespace, name) = match parts.as_slice() {
                [kind, name] => (*kind, None, *name),
                [kind, ns, name] => (*kind, Some(*ns), *name),
                _ => return Err(SelectionError(format!("--workload {wanted:?}: expected KIND/NAME or KIND/NAMESPACE/NAME"))),
            };
            let found: Vec<&WorkloadView> = report
                .workloads
                .iter()
                .filter(|w| {
                    w.resource.kind.eq_ignore_ascii_case(kind)
                        && w.resource.name == name
                        && namespace.is_none_or(|ns| w.resource.namespace.as_deref() == Some(ns))
                })
                .collect();
            match found.as_slice() {
                [one] => *one,
                [] => {
                    return Err(SelectionError(format!(
                        "--workload {wanted:?} names no bound workload (bound: {})",
                        if all.is_empty() { "none".to_string() } else { all.join(", ") }
                    )))
                }
                many => {
                    let names: Vec<String> = many.iter().map(|w| workload_ref(w)).collect();
                    return Err(SelectionError(format!(
                        "--workload {wanted:?} is ambiguous; add the namespace (one of: {})",
                        names.join(", ")
                    )));
                }
            }
        }
    };
    let names: Vec<&str> = workload.containers.iter().map(|c| c.name.as_str()).collect();
    let container = match &selection.container {
        None => match workload.containers.as_slice() {
            [only] => only,
            _ => {
                return Err(SelectionError(format!(
                    "{} has several bound containers; choose one with --container (one of: {})",
                    workload.resource.title(),
                    names.join(", ")
                )))
            }
        },
        Some(wanted) => workload.containers.iter().find(|c| c.name == *wanted).ok_or_else(|| {
            SelectionError(format!("{} has no bound container {wanted:?} (bound: {})", workload.resource.title(), names.join(", ")))
        })?,
    };
    Ok((workload, container))
}

/// A directory path under the root, refusing anything that could leave it.
fn safe_directory(dir: &str) -> Option<&Path> {
    let path = Path::new(dir);
    let ok = !dir.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then_some(path)
}

/// A file path under the root, refusing anything that could leave it.
fn safe_relative(dir: &str, name: &str) -> Option<PathBuf> {
    let ok = !name.is_empty() && !name.contains('/') && !name.contains('\\') && name != "." && name != "..";
    safe_directory(dir).filter(|_| ok).map(|d| d.join(name))
}

/// What was written, and what was not.
#[derive(Debug, Clone, Default)]
pub struct Materialized {
    /// Relative paths written, with the source of each.
    pub written: Vec<(PathBuf, String)>,
    /// Relative paths not written because their content is a Secret value not asked for.
    pub skipped_secret: Vec<PathBuf>,
    /// Relative paths not written because their source could not be read or their name is
    /// not a plain file name.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Write every binding directory of `container` under `root` ([`files`]: every directory on
/// the way made private, links replaced rather than followed, files created new with mode 0600).
pub fn write(root: &Path, container: &ContainerView) -> Result<Materialized, OutputError> {
    let mut result = Materialized::default();
    files::private_root(root)?;
    for b in &container.bindings {
        if b.files.is_empty() {
            continue;
        }
        // The directory exists even when every file in it is skipped: it shows the binding.
        if let Some(dir) = safe_directory(b.directory()) {
            files::private_dirs(root, dir)?;
        }
        for e in &b.files {
            let Some(rel) = safe_relative(b.directory(), &e.name) else {
                result.unreadable.push((PathBuf::from(b.directory()).join(&e.name), "not a plain file name".into()));
                continue;
            };
            match entry_bytes(e) {
                Content::Write(bytes) => {
                    if let Some(parent) = rel.parent().filter(|p| !p.as_os_str().is_empty()) {
                        files::private_dirs(root, parent)?;
                    }
                    files::write_private(root, &rel, bytes)?;
                    result.written.push((rel, describe_source(&e.source)));
                }
                Content::SecretNotAskedFor => result.skipped_secret.push(rel),
                Content::Unreadable => result.unreadable.push((rel, format!("{} could not be read", describe_source(&e.source)))),
            }
        }
    }
    Ok(result)
}

enum Content<'a> {
    Write(&'a [u8]),
    SecretNotAskedFor,
    Unreadable,
}

fn entry_bytes(e: &Entry) -> Content<'_> {
    match (&e.value, e.is_secret()) {
        (Some(bytes), _) => Content::Write(bytes),
        (None, true) => Content::SecretNotAskedFor,
        (None, false) => Content::Unreadable,
    }
}

/// What a developer needs to know after a run: what was written, what was not, which
/// variables the container would also get, and how to point the application at the files.
pub fn summary(root: &Path, workload: &WorkloadView, container: &ContainerView, done: &Materialized) -> String {
    let shown = |p: &Path| controls(&p.display().to_string()).into_owned();
    let mut out = format!(
        "{} for {}, container {}:\n",
        shown(root),
        controls(&workload.resource.title()),
        if container.name.is_empty() { "(unnamed)".into() } else { controls(&container.name) }
    );
    for (rel, source) in &done.written {
        out.push_str(&format!("  wrote   {}  ← {}\n", shown(rel), controls(source)));
    }
    for rel in &done.skipped_secret {
        out.push_str(&format!("  skipped {}  (a Secret value; pass --show-secrets to write it)\n", shown(rel)));
    }
    for (rel, why) in &done.unreadable {
        out.push_str(&format!("  skipped {}  ({})\n", shown(rel), controls(why)));
    }
    let env: Vec<(&str, &Entry)> = container.bindings.iter().flat_map(|b| b.env.iter().map(move |e| (b.binding.as_str(), e))).collect();
    if !env.is_empty() {
        out.push_str("the container would also get these variables (not written; `bindery explain` shows them):\n");
        for (binding, e) in env {
            // Secret values go to files only, never to the terminal.
            let value = if e.is_secret() { MASK.to_string() } else { e.shown() };
            let line = format!("{}={value}  ← {} (ServiceBinding {binding})", e.name, describe_source(&e.source));
            out.push_str(&format!("  {}\n", controls(&line)));
        }
    }
    out.push_str(&format!("run the application with SERVICE_BINDING_ROOT={}\n", shown(root)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_leave_the_root() {
        assert_eq!(safe_relative("db", "host"), Some(PathBuf::from("db/host")));
        assert_eq!(safe_relative("db", "../x"), None);
        assert_eq!(safe_relative("db", ".."), None);
        assert_eq!(safe_relative("..", "x"), None);
        assert_eq!(safe_relative("/etc", "passwd"), None);
        assert_eq!(safe_relative("db", ""), None);
    }
}
