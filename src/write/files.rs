//! Files on disk, written safely: `render -o` and `materialize --root`.
//!
//! * `render -o DIR` builds the whole tree in a new directory beside `DIR` (created by bindery,
//!   so nothing in it can be a link) and then puts it in place of `DIR` with two renames: the old
//!   tree moves aside, the new one takes its name, the old one is removed. A failure anywhere
//!   leaves `DIR` as it was, and the message names the file that could not be written. `DIR`
//!   must be missing, empty, or a tree bindery wrote before (it holds [`MARKER`]); any other
//!   directory is refused rather than replaced. `DIR` itself may be a link to a directory (the
//!   user named it); nothing below it is ever followed.
//! * `render -o FILE.yaml` writes a new file beside `FILE.yaml` and renames it over: a link
//!   there is replaced, not written through.
//! * `materialize --root DIR` writes into `DIR`; every directory on the way below it is checked
//!   (a link is removed and replaced by a directory, never followed), and a directory that the
//!   group or others may write to is made private first (a Secret file is only as safe as the
//!   directory that holds it).

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The file that marks a directory as written by `render -o` (so that the next run may replace
/// it as a whole). Not a manifest name: kubectl, kustomize, Argo CD and bindery skip it.
pub const MARKER: &str = ".bindery-output";

const MARKER_TEXT: &str = "This directory was written by `bindery render -o`; the next run replaces it as a whole.\n";

/// Why an output could not be written. Exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "{} is a directory bindery did not write (it has no {MARKER} file) and is not empty: refusing to replace it; remove it or choose another -o",
        .0.display()
    )]
    NotOurs(PathBuf),
    #[error("{} exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot write {}: not a relative path inside the output", .0.display())]
    Outside(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// A name beside `path` for a temporary entry, unique to this process and call.
fn beside(path: &Path, what: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_of(path).join(format!(".{name}.bindery-{what}-{}-{nanos:x}{n}", std::process::id()))
}

/// The directory `path` is in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Is `rel` a plain relative path (no `..`, no root, not empty)?
fn is_plain_relative(rel: &Path) -> bool {
    rel.components().next().is_some() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// A new file holding `bytes`; fails when anything (a link too) is already at `path`. A
/// `private` file gets mode 0600 and is synced to disk.
fn create_new(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = private;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    if private {
        file.sync_all()?;
    }
    Ok(())
}

/// The directory `-o` writes: `out`, or the directory it links to.
fn output_directory(out: &Path) -> Result<(PathBuf, bool), OutputError> {
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((out.to_path_buf(), false)),
        Err(e) => return Err(io(out)(e)),
    };
    let real = if meta.file_type().is_symlink() { std::fs::canonicalize(out).map_err(io(out))? } else { out.to_path_buf() };
    let meta = std::fs::metadata(&real).map_err(io(&real))?;
    if !meta.is_dir() {
        return Err(OutputError::NotADirectory(out.to_path_buf()));
    }
    let mut entries = std::fs::read_dir(&real).map_err(io(&real))?;
    let empty = entries.next().is_none();
    let ours = std::fs::symlink_metadata(real.join(MARKER)).is_ok_and(|m| m.is_file());
    if !empty && !ours {
        return Err(OutputError::NotOurs(out.to_path_buf()));
    }
    Ok((real, true))
}

/// Replace the directory `out` with exactly `files` (relative path, content), as the module
/// documentation says. Returns the paths written, under `out`.
pub fn replace_dir(out: &Path, files: &[(PathBuf, String)]) -> Result<Vec<PathBuf>, OutputError> {
    let (real, exists) = output_directory(out)?;
    let parent = parent_of(&real).to_path_buf();
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = beside(&real, "new");
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    let written = match fill(&staging, out, files) {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if !exists {
        return match std::fs::rename(&staging, &real) {
            Ok(()) => Ok(written),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                Err(io(out)(e))
            }
        };
    }
    let old = beside(&real, "old");
    if let Err(e) = std::fs::rename(&real, &old) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(io(out)(e));
    }
    if let Err(e) = std::fs::rename(&staging, &real) {
        let _ = std::fs::rename(&old, &real);
        let _ = std::fs::remove_dir_all(&staging);
        return Err(io(out)(e));
    }
    // The new tree is in place. Removing the old one never follows the links in it; should it
    // fail, the old tree stays beside, hidden, and the output is still complete.
    let _ = std::fs::remove_dir_all(&old);
    Ok(written)
}

/// Write `files` and the marker into the new directory `staging`; errors name the file under
/// `out`, where the user will look for it.
fn fill(staging: &Path, out: &Path, files: &[(PathBuf, String)]) -> Result<Vec<PathBuf>, OutputError> {
    let mut written = Vec::with_capacity(files.len());
    for (rel, text) in files {
        if !is_plain_relative(rel) {
            return Err(OutputError::Outside(out.join(rel)));
        }
        let path = staging.join(rel);
        let shown = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(&shown))?;
        }
        create_new(&path, text.as_bytes(), false).map_err(io(&shown))?;
        written.push(shown);
    }
    create_new(&staging.join(MARKER), MARKER_TEXT.as_bytes(), false).map_err(io(&out.join(MARKER)))?;
    Ok(written)
}

/// Replace the file `out` with `bytes`: a new file beside it, renamed over it.
pub fn replace_file(out: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let parent = parent_of(out);
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    if std::fs::symlink_metadata(out).is_ok_and(|m| m.is_dir()) {
        return Err(OutputError::Io { path: out.to_path_buf(), source: std::io::Error::other("is a directory") });
    }
    let staging = beside(out, "new");
    let result = create_new(&staging, bytes, false).and_then(|()| std::fs::rename(&staging, out));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&staging);
        io(out)(e)
    })
}

/// Why `-o OUT` may not be written: it is an input path, lies inside one (the next run would
/// read the output as input), or holds one (replacing it would delete the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Overlap {
    #[error("-o {} is the input {}: writing it would overwrite the input", .out.display(), .input.display())]
    Same { out: PathBuf, input: PathBuf },
    #[error("-o {} lies inside the input {}: the next run would read the output as input; write it outside", .out.display(), .input.display())]
    Inside { out: PathBuf, input: PathBuf },
    #[error("-o {} holds the input {}: replacing it would delete the input", .out.display(), .input.display())]
    Holds { out: PathBuf, input: PathBuf },
}

/// Refuse an `out` (a directory when `dir`, else a file) that is, lies inside or holds one of
/// `inputs` (`-` and streams are not on disk and never overlap).
pub fn check_overlap(out: &Path, dir: bool, inputs: &[PathBuf]) -> Result<(), Overlap> {
    let Some(out_resolved) = resolved(out) else { return Ok(()) };
    for input in inputs.iter().filter(|p| p.as_os_str() != "-") {
        let Ok(input_resolved) = std::fs::canonicalize(input) else { continue };
        let (out, input) = (out.to_path_buf(), input.clone());
        if out_resolved == input_resolved {
            return Err(Overlap::Same { out, input });
        }
        if out_resolved.starts_with(&input_resolved) {
            return Err(Overlap::Inside { out, input });
        }
        if dir && input_resolved.starts_with(&out_resolved) {
            return Err(Overlap::Holds { out, input });
        }
    }
    Ok(())
}

/// The absolute, link-free form of a path that may not exist yet: its deepest existing
/// ancestor made canonical, the missing rest appended (`None` when the rest climbs with `..`).
fn resolved(path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut missing = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(mut found) = std::fs::canonicalize(at) {
            found.extend(missing.iter().rev());
            return Some(found);
        }
        missing.push(at.file_name()?.to_os_string());
        at = at.parent()?;
    }
}

// ---------------------------------------------------------------------------------------------
// materialize
// ---------------------------------------------------------------------------------------------

/// Make `dir` a private directory that exists: created with mode 0700 if missing; a link there
/// is removed and replaced by a directory; an existing directory that the group or others may
/// write to loses those permissions. `dir` must not be a link itself unless `follow` (the root
/// the user named).
fn private_dir(dir: &Path, follow: bool) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private(dir),
        Err(e) => Err(io(dir)(e)),
        Ok(meta) if meta.file_type().is_symlink() && !follow => {
            std::fs::remove_file(dir).map_err(io(dir))?;
            create_private(dir)
        }
        Ok(_) => {
            let meta = std::fs::metadata(dir).map_err(io(dir))?;
            if !meta.is_dir() {
                return Err(OutputError::NotADirectory(dir.to_path_buf()));
            }
            tighten(dir, &meta)
        }
    }
}

fn create_private(dir: &Path) -> Result<(), OutputError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(dir))
}

/// Remove group and world write permission from `dir`.
fn tighten(dir: &Path, meta: &std::fs::Metadata) -> Result<(), OutputError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o022 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & !0o022 & 0o7777)).map_err(|e| OutputError::Io {
                path: dir.to_path_buf(),
                source: std::io::Error::new(e.kind(), format!("the group or others may write to it, and it cannot be made private: {e}")),
            })?;
        }
    }
    let _ = (dir, meta);
    Ok(())
}

/// The materialize root: created (0700) when missing, with missing parents; made private.
pub fn private_root(root: &Path) -> Result<(), OutputError> {
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    private_dir(root, true)
}

/// Every directory from `root` (exclusive) down to `root/rel` (inclusive) made private, links
/// on the way replaced (see [`private_dir`]).
pub fn private_dirs(root: &Path, rel: &Path) -> Result<(), OutputError> {
    if !is_plain_relative(rel) {
        return Err(OutputError::Outside(root.join(rel)));
    }
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        dir.push(part);
        private_dir(&dir, false)?;
    }
    Ok(())
}

/// Replace `root/rel` with a new file holding `bytes`, mode 0600: whatever is there (a link
/// too) is removed first, never written through. The directories on the way must have been
/// made private ([`private_dirs`]).
pub fn write_private(root: &Path, rel: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    if !is_plain_relative(rel) {
        return Err(OutputError::Outside(root.join(rel)));
    }
    let path = root.join(rel);
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if meta.is_dir() {
            return Err(OutputError::Io { path, source: std::io::Error::other("is a directory") });
        }
        std::fs::remove_file(&path).map_err(io(&path))?;
    }
    create_new(&path, bytes, true).map_err(io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_stay_inside() {
        assert!(is_plain_relative(Path::new("a/b.yaml")));
        for bad in ["", "../x.yaml", "/etc/passwd", "a/../../b", "./a"] {
            assert!(!is_plain_relative(Path::new(bad)), "{bad}");
        }
    }

    #[test]
    fn temporary_names_are_beside_and_hidden() {
        let t = beside(Path::new("out/rendered"), "new");
        assert_eq!(t.parent(), Some(Path::new("out")));
        assert!(t.file_name().unwrap().to_string_lossy().starts_with(".rendered.bindery-new-"));
        assert_eq!(parent_of(Path::new("rendered")), Path::new("."));
        assert_ne!(beside(Path::new("x"), "new"), beside(Path::new("x"), "new"));
    }
}
