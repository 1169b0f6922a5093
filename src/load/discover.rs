//! Discovery: which files one input path stands for, and which it leaves out (and why).
//!
//! * A path that is neither a regular file nor a directory — a FIFO, `<(kustomize build …)`,
//!   `/dev/stdin` — is read as one file (never walked as an empty directory).
//! * A directory inside a git work tree is what git says it holds: every tracked file, whatever
//!   the ignore files say, and every untracked file that git does not ignore (the repository's
//!   `.gitignore` files and `.git/info/exclude`; never the user's global excludes file, so the
//!   result does not depend on who runs it). git is asked with `git ls-files` (the `git` binary
//!   on PATH, with `core.fsmonitor` off so that nothing in the repository's configuration runs).
//!   A directory that git itself ignores is read as outside a work tree, its tracked files
//!   included.
//! * A directory outside a work tree (or when git cannot be run) is walked, and only its own
//!   ignore files count: `.gitignore` files inside it, never one above it.
//! * Symbolic links are followed only while they stay inside the input path: a link that leads
//!   out of it (to `~/.kube/config`, to `/`) is not read, and is reported.
//!
//! Only `*.yaml`, `*.yml` and `*.json` files are found in directories; `.git` is never entered.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// What kind of thing an input path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `-`: standard input.
    Stdin,
    /// A regular file (or a link to one).
    File,
    /// A directory (or a link to one): walked.
    Directory,
    /// Neither (a FIFO, a character device, a socket): read once, as a file.
    Stream,
}

/// The kind of `path`; `Err` when it cannot be read at all.
pub fn classify(path: &Path) -> std::io::Result<InputKind> {
    if path.as_os_str() == "-" {
        return Ok(InputKind::Stdin);
    }
    let meta = std::fs::metadata(path)?;
    Ok(if meta.is_dir() {
        InputKind::Directory
    } else if meta.is_file() {
        InputKind::File
    } else {
        InputKind::Stream
    })
}

/// One file to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Where to read it.
    pub path: PathBuf,
    /// Its path relative to the input path (what `-o DIR` mirrors).
    pub relative: PathBuf,
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// A symbolic link whose target is outside the input path.
    LinkLeavesInput { target: PathBuf },
    /// Untracked, and ignored by git.
    IgnoredByGit,
    /// Ignored by an ignore file of the input tree (outside a git work tree).
    IgnoredByIgnoreFile,
    /// Tracked by git, but not in the work tree (deleted and not committed yet).
    TrackedButMissing,
    /// Left out by `--exclude` or a `.binderyignore` file.
    Excluded,
}

/// A file the input path holds that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: SkipReason,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        match &self.reason {
            SkipReason::LinkLeavesInput { target } => {
                write!(f, "{path}: a symbolic link to {}, outside the input; not read", target.display())
            }
            SkipReason::IgnoredByGit => write!(f, "{path}: untracked and ignored by git; not read"),
            SkipReason::IgnoredByIgnoreFile => write!(f, "{path}: ignored by an ignore file of the input; not read"),
            SkipReason::TrackedButMissing => write!(f, "{path}: tracked by git but deleted from the work tree; not read"),
            SkipReason::Excluded => write!(f, "{path}: excluded (--exclude or a .binderyignore file); not read"),
        }
    }
}

/// What one directory holds.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Sorted by path.
    pub files: Vec<Found>,
    /// What was left out: links leaving the input always; ignored files when asked for.
    pub skipped: Vec<Skipped>,
    /// Things worth telling (git could not be run, …).
    pub notes: Vec<String>,
}

/// Why a directory cannot be walked.
#[derive(Debug, Clone)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// The files of directory `root`. With `list_ignored`, the ignored files are listed in
/// [`Discovered::skipped`] too (that costs a second listing).
pub fn directory(root: &Path, list_ignored: bool) -> Result<Discovered, WalkError> {
    let canonical =
        std::fs::canonicalize(root).map_err(|e| WalkError { path: root.to_path_buf(), message: format!("cannot read path: {e}") })?;
    let mut found = Discovered::default();
    if in_work_tree(&canonical) {
        match git_files(root, &canonical, list_ignored, &mut found) {
            Ok(()) => {
                found.files.sort();
                found.files.dedup();
                return Ok(found);
            }
            Err(ListError::Walk(e)) => return Err(e),
            Err(ListError::Git(GitFailed(why))) => {
                found = Discovered::default();
                found.notes.push(format!(
                    "{} is in a git work tree, but git could not list its files ({why}); read as outside one (only its own ignore files count)",
                    root.display()
                ));
            }
        }
    }
    walk(root, root, &canonical, Rules::OwnIgnoreFiles, list_ignored, &mut found)?;
    found.files.sort();
    Ok(found)
}

/// `*.yaml`, `*.yml` or `*.json` (any case).
pub fn is_manifest_name(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(), Some("yaml" | "yml" | "json"))
}

/// Is `dir` (canonical) inside a git work tree: does it or a parent hold `.git`?
fn in_work_tree(dir: &Path) -> bool {
    dir.ancestors().any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

// ---------------------------------------------------------------------------------------------
// Walking a directory
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// `.gitignore` files inside the walked tree.
    OwnIgnoreFiles,
    /// None: every file (to list what the ignore files left out).
    Everything,
}

/// Walk `dir` (the input `root` or a link to a directory inside it), following links that stay
/// inside `canonical_root`; found files are relative to `root`.
fn walk(dir: &Path, root: &Path, canonical_root: &Path, rules: Rules, list_ignored: bool, out: &mut Discovered) -> Result<(), WalkError> {
    let leaving: Arc<Mutex<Vec<Skipped>>> = Arc::default();
    let own_rules = rules == Rules::OwnIgnoreFiles;
    let walker = {
        let leaving = leaving.clone();
        let canonical_root = canonical_root.to_path_buf();
        ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .git_ignore(own_rules)
            .require_git(false)
            .parents(false)
            .follow_links(true)
            .filter_entry(move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                if e.depth() > 0 && e.path_is_symlink() {
                    if let Some(target) = target_outside(e.path(), &canonical_root) {
                        leaving
                            .lock()
                            .expect("not poisoned")
                            .push(Skipped { path: e.path().to_path_buf(), reason: SkipReason::LinkLeavesInput { target } });
                        return false;
                    }
                }
                true
            })
            .build_parallel()
    };
    // The walk runs on every core; what it finds is sorted afterwards, and of several errors
    // the one at the smallest path is reported, so the result does not depend on scheduling.
    let found: Mutex<(Vec<Found>, Vec<WalkError>)> = Mutex::default();
    walker.run(|| {
        let found = &found;
        Box::new(move |entry| {
            let mut found = found.lock().expect("not poisoned");
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) && is_manifest_name(entry.path()) {
                        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path()).to_path_buf();
                        found.0.push(Found { path: entry.path().to_path_buf(), relative });
                    }
                }
                Err(e) => {
                    let path = walk_error_path(&e).unwrap_or_else(|| dir.to_path_buf());
                    found.1.push(WalkError { path, message: format!("cannot walk directory: {e}") });
                }
            }
            ignore::WalkState::Continue
        })
    });
    let (mut files, errors) = found.into_inner().expect("not poisoned");
    if let Some(e) = errors.into_iter().min_by(|a, b| a.path.cmp(&b.path).then_with(|| a.message.cmp(&b.message))) {
        return Err(e);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut leaving = std::mem::take(&mut *leaving.lock().expect("not poisoned"));
    leaving.sort_by(|a, b| a.path.cmp(&b.path));
    if rules == Rules::Everything {
        out.files.extend(files);
        return Ok(());
    }
    out.skipped.extend(leaving);
    if list_ignored {
        let mut all = Discovered::default();
        walk(dir, root, canonical_root, Rules::Everything, false, &mut all)?;
        let kept: std::collections::HashSet<&PathBuf> = files.iter().map(|f| &f.path).collect();
        let ignored = all.files.into_iter().filter(|f| !kept.contains(&f.path));
        out.skipped.extend(ignored.map(|f| Skipped { path: f.path, reason: SkipReason::IgnoredByIgnoreFile }));
    }
    out.files.extend(files);
    Ok(())
}

/// Where the link at `path` leads, when that is outside `canonical_root` (`None` when it stays
/// inside, or leads nowhere: reading it then reports the broken link).
fn target_outside(path: &Path, canonical_root: &Path) -> Option<PathBuf> {
    let target = std::fs::canonicalize(path).ok()?;
    (!target.starts_with(canonical_root)).then_some(target)
}

fn walk_error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => walk_error_path(err),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Asking git
// ---------------------------------------------------------------------------------------------

/// git could not be asked (not installed, not a work tree after all, …).
struct GitFailed(String);

/// Listing a work tree failed: git could not be asked, or a directory in it cannot be walked.
enum ListError {
    Git(GitFailed),
    Walk(WalkError),
}

impl From<GitFailed> for ListError {
    fn from(e: GitFailed) -> Self {
        ListError::Git(e)
    }
}

impl From<WalkError> for ListError {
    fn from(e: WalkError) -> Self {
        ListError::Walk(e)
    }
}

/// `git ARGS` in `dir`: its stdout, or why it failed. Nothing in the repository's configuration
/// may run a program (`core.fsmonitor`), the user's global excludes file does not count, and
/// git finds the repository from `dir` (not from variables a hook may have set).
fn git(dir: &Path, args: &[&str]) -> Result<(bool, Vec<u8>), GitFailed> {
    let mut cmd = Command::new("git");
    cmd.arg("-c").arg("core.fsmonitor=false").arg("-c").arg("core.excludesFile=").arg("-C").arg(dir).args(args);
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM"] {
        cmd.env_remove(var);
    }
    // A hook may run bindery with a relative GIT_INDEX_FILE; git, run in `dir`, needs it absolute.
    if let Some(index) = std::env::var_os("GIT_INDEX_FILE").map(PathBuf::from).filter(|p| p.is_relative()) {
        match std::env::current_dir() {
            Ok(cwd) => cmd.env("GIT_INDEX_FILE", cwd.join(index)),
            Err(_) => cmd.env_remove("GIT_INDEX_FILE"),
        };
    }
    let output = cmd.stdin(Stdio::null()).stderr(Stdio::piped()).output().map_err(|e| GitFailed(format!("cannot run git: {e}")))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => Ok((true, output.stdout)),
        Some(1) if args.first() == Some(&"check-ignore") => Ok((false, output.stdout)),
        _ => Err(GitFailed(format!("git {} failed: {}", args.join(" "), stderr.lines().next().unwrap_or("").trim()))),
    }
}

/// The paths of a `-z` listing, relative to where git ran.
fn paths(listing: &[u8]) -> impl Iterator<Item = &OsStr> {
    use std::os::unix::ffi::OsStrExt;
    listing.split(|b| *b == 0).filter(|p| !p.is_empty()).map(OsStr::from_bytes)
}

/// The files of `root` (in a git work tree) as git lists them.
fn git_files(root: &Path, canonical: &Path, list_ignored: bool, out: &mut Discovered) -> Result<(), ListError> {
    let (ignored_root, _) = git(root, &["check-ignore", "-q", "."])?;
    if ignored_root {
        // git ignores the whole directory: read it as outside a work tree, tracked files too.
        let (_, tracked) = git(root, &["ls-files", "-z", "--cached"])?;
        walk(root, root, canonical, Rules::OwnIgnoreFiles, list_ignored, out)?;
        for rel in paths(&tracked) {
            add_listed(root, canonical, Path::new(rel), list_ignored, out)?;
        }
        return Ok(());
    }
    let (_, listing) = git(root, &["ls-files", "-z", "--cached", "--others", "--exclude-standard"])?;
    for rel in paths(&listing) {
        add_listed(root, canonical, Path::new(rel), list_ignored, out)?;
    }
    if list_ignored {
        let (_, ignored) = git(root, &["ls-files", "-z", "--others", "--ignored", "--exclude-standard"])?;
        for rel in paths(&ignored).map(Path::new).filter(|p| is_manifest_name(p)) {
            out.skipped.push(Skipped { path: root.join(rel), reason: SkipReason::IgnoredByGit });
        }
    }
    Ok(())
}

/// One path git listed: a file, a link, or a directory (a submodule or a nested repository).
fn add_listed(root: &Path, canonical: &Path, rel: &Path, list_ignored: bool, out: &mut Discovered) -> Result<(), ListError> {
    let path = root.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        if list_ignored && is_manifest_name(rel) {
            out.skipped.push(Skipped { path, reason: SkipReason::TrackedButMissing });
        }
        return Ok(());
    };
    if meta.file_type().is_symlink() {
        if let Some(target) = target_outside(&path, canonical) {
            if is_manifest_name(rel) || target.is_dir() {
                out.skipped.push(Skipped { path, reason: SkipReason::LinkLeavesInput { target } });
            }
            return Ok(());
        }
        if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Ok(walk(&path, root, canonical, Rules::OwnIgnoreFiles, list_ignored, out)?);
        }
    }
    if meta.is_dir() {
        // A submodule or a nested repository: what its own git says.
        let inner = directory(&path, list_ignored)?;
        let rebase = |p: PathBuf| p.strip_prefix(root).map(|r| r.to_path_buf()).unwrap_or(p);
        out.files.extend(inner.files.into_iter().map(|f| Found { relative: rebase(f.path.clone()), path: f.path }));
        out.skipped.extend(inner.skipped);
        out.notes.extend(inner.notes);
        return Ok(());
    }
    if is_manifest_name(rel) {
        out.files.push(Found { path, relative: rel.to_path_buf() });
    }
    Ok(())
}
