//! Exclusions: what discovery ([`super::discover`]) leaves out of an input directory besides
//! `.git` and what git or `.gitignore` ignore — `--exclude GLOB` patterns and `.binderyignore`
//! files (both gitignore syntax) — and what is not bindery's input at all: Helm chart
//! directories (a `Chart.yaml` next to `templates/`) and Go template files (text with `{{` that
//! does not parse as YAML). Those are [`Skipped`] with a reason that commands report as a
//! notice; they are never a parse error (a path left with no resource at all is still refused
//! unless `--allow-empty`).
//!
//! The [`Filter`] applies to every file discovery found, whether git listed it (tracked files
//! too: an exclusion is the user's choice, unlike a `.gitignore` written for git) or a walk did.
//! `--exclude` patterns are matched as lines of a `.gitignore` at the root of each input
//! directory: `charts/` leaves out every directory named `charts`, `/legacy` only the top-level
//! one, `*.tmpl.yaml` every such file. `.binderyignore` files are read wherever they are in the
//! tree, and in the parents of an input directory, like `.gitignore` files (the nearest one
//! with a matching line decides).

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

/// The name of bindery's own ignore file (gitignore syntax).
pub const IGNORE_FILE: &str = ".binderyignore";

/// What the user excludes, beyond `.gitignore` and `.binderyignore`.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    /// `--exclude GLOB` patterns, gitignore syntax, relative to each input directory.
    pub patterns: Vec<String>,
}

/// Why a path was left out with a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A Helm chart directory: `Chart.yaml` next to `templates/`.
    HelmChart,
    /// A file with `{{` that does not parse as YAML.
    GoTemplate,
}

/// A path that is not bindery's input, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The directory (a chart) or file (a template), as found under its input root.
    pub path: PathBuf,
    pub reason: SkipReason,
}

impl Skipped {
    /// `skipped charts/shop: a Helm chart (Chart.yaml next to templates/), not Kubernetes YAML`.
    pub fn message(&self) -> String {
        let why = match self.reason {
            SkipReason::HelmChart => "a Helm chart (Chart.yaml next to templates/); check `helm template` output instead",
            SkipReason::GoTemplate => "a Go template ({{ … }}), not YAML",
        };
        let shown: PathBuf = self.path.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect();
        format!("skipped {}: {why}", shown.display())
    }

    /// The file a report points at: the chart's `Chart.yaml`, or the template itself.
    pub fn file(&self) -> PathBuf {
        match self.reason {
            SkipReason::HelmChart => self.path.join("Chart.yaml"),
            SkipReason::GoTemplate => self.path.clone(),
        }
    }
}

/// An invalid `--exclude` pattern.
#[derive(Debug, thiserror::Error)]
#[error("invalid --exclude pattern {pattern:?}: {source}")]
pub struct PatternError {
    pattern: String,
    source: ignore::Error,
}

impl Exclusions {
    /// Check every pattern once (a bad glob is a usage error, exit 2).
    pub fn validate(&self) -> Result<(), PatternError> {
        self.matcher(Path::new(".")).map(|_| ())
    }

    fn matcher(&self, root: &Path) -> Result<Gitignore, PatternError> {
        let mut builder = GitignoreBuilder::new(root);
        for pattern in &self.patterns {
            builder.add_line(None, pattern).map_err(|source| PatternError { pattern: pattern.clone(), source })?;
        }
        builder.build().map_err(|source| PatternError { pattern: self.patterns.join(" "), source })
    }
}

/// Is this directory a Helm chart (`Chart.yaml` next to `templates/`)?
pub fn is_helm_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file() && dir.join("templates").is_dir()
}

/// Does this text look like a Go template (`{{`)? Asked only of files that do not parse.
pub fn is_go_template(text: &str) -> bool {
    text.contains("{{")
}

/// Whether discovery keeps a file it found under an input directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Left out by `--exclude` or a `.binderyignore` file (silently, as `.gitignore` does).
    Excluded,
    /// Inside a Helm chart directory (this one, as the input path names it): a notice.
    InChart(PathBuf),
}

/// The exclusions of one input directory, applied to the files discovery found there (whether
/// git listed them or a walk did): `--exclude` patterns (relative to the input directory),
/// `.binderyignore` files in the file's directory, any directory above it inside the input, and
/// the input's parents, and Helm chart directories. Each directory is looked at once.
#[derive(Debug)]
pub struct Filter {
    /// The input directory as given (what reports name).
    shown: PathBuf,
    /// The input directory, canonical (what matching is relative to).
    canonical: PathBuf,
    patterns: Gitignore,
    /// What holds for each directory (relative to the input directory) a file was found in.
    dirs: std::collections::HashMap<PathBuf, DirState>,
}

/// What one directory under the input says about the entries in it.
#[derive(Debug, Clone)]
struct DirState {
    /// This directory or one between it and the input directory is excluded.
    excluded: bool,
    /// The topmost Helm chart directory on the way down to it (as the input path names it).
    chart: Option<PathBuf>,
    /// The `.binderyignore` files that apply to its entries: its own, then its parents' up to
    /// the file system root, nearest first.
    ignore_files: std::sync::Arc<[std::sync::Arc<Gitignore>]>,
}

impl Filter {
    pub fn new(shown: &Path, canonical: &Path, exclusions: &Exclusions) -> Result<Self, PatternError> {
        Ok(Filter {
            shown: shown.to_path_buf(),
            canonical: canonical.to_path_buf(),
            patterns: exclusions.matcher(canonical)?,
            dirs: Default::default(),
        })
    }

    /// The verdict on the file at `relative` (to the input directory). Exclusions come first:
    /// a chart under an excluded directory is left out without a notice, as a walk prunes it.
    pub fn verdict(&mut self, relative: &Path) -> Verdict {
        let path = self.canonical.join(relative);
        if !path.starts_with(&self.canonical) {
            return Verdict::Keep;
        }
        // A file whose directory is excluded cannot be taken back (as in git), so the
        // directories count first; each directory is looked at once.
        let dir = self.dir(relative.parent().unwrap_or(Path::new("")));
        if dir.excluded || self.matches(&path, false, &dir.ignore_files) {
            return Verdict::Excluded;
        }
        match dir.chart {
            Some(chart) => Verdict::InChart(chart),
            None => Verdict::Keep,
        }
    }

    /// What holds for directory `relative` (to the input directory; `""` is the input
    /// directory itself, which is never excluded by its own patterns).
    fn dir(&mut self, relative: &Path) -> DirState {
        if let Some(state) = self.dirs.get(relative) {
            return state.clone();
        }
        let abs = self.canonical.join(relative);
        let state = match relative.parent() {
            None => DirState {
                excluded: false,
                chart: is_helm_chart(&abs).then(|| self.shown.clone()),
                ignore_files: abs.ancestors().filter_map(ignore_file).map(std::sync::Arc::new).collect(),
            },
            Some(parent) => {
                let up = self.dir(parent);
                let excluded = up.excluded || self.matches(&abs, true, &up.ignore_files);
                let chart = up.chart.clone().or_else(|| is_helm_chart(&abs).then(|| self.shown.join(relative)));
                let own = ignore_file(&abs).map(std::sync::Arc::new);
                let ignore_files = match own {
                    Some(own) => std::iter::once(own).chain(up.ignore_files.iter().cloned()).collect(),
                    None => up.ignore_files.clone(),
                };
                DirState { excluded, chart, ignore_files }
            }
        };
        self.dirs.insert(relative.to_path_buf(), state.clone());
        state
    }

    /// Does `--exclude` or one of the `.binderyignore` files of the directory holding `path`
    /// leave it out? For the ignore files the nearest one with a matching line decides (a `!`
    /// line there keeps it).
    fn matches(&self, path: &Path, is_dir: bool, ignore_files: &[std::sync::Arc<Gitignore>]) -> bool {
        if self.patterns.matched(path, is_dir).is_ignore() {
            return true;
        }
        for m in ignore_files {
            let found = m.matched(path, is_dir);
            if found.is_ignore() {
                return true;
            }
            if found.is_whitelist() {
                return false;
            }
        }
        false
    }
}

/// The `.binderyignore` file of `dir`, if it has one (a line that does not parse is skipped, as
/// git skips it).
fn ignore_file(dir: &Path) -> Option<Gitignore> {
    let file = dir.join(IGNORE_FILE);
    if !file.is_file() {
        return None;
    }
    let mut builder = GitignoreBuilder::new(dir);
    let _partial = builder.add(&file);
    builder.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `root`, relative to it, sorted.
    fn all_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                all_files(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }

    /// What the [`Filter`] of `root` keeps of every file under it, and the charts it skipped.
    fn walk(root: &Path, exclusions: &Exclusions) -> (Vec<String>, Vec<Skipped>) {
        let mut filter = Filter::new(root, &std::fs::canonicalize(root).unwrap(), exclusions).unwrap();
        let mut all = Vec::new();
        all_files(root, root, &mut all);
        all.sort();
        let mut files = Vec::new();
        let mut log = Vec::new();
        for relative in all {
            match filter.verdict(&relative) {
                Verdict::Keep => files.push(relative.display().to_string()),
                Verdict::Excluded => {}
                Verdict::InChart(path) => log.push(Skipped { path, reason: SkipReason::HelmChart }),
            }
        }
        log.dedup();
        (files, log)
    }

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "a: 1\n").unwrap();
        }
        dir
    }

    #[test]
    fn patterns_follow_gitignore_syntax() {
        let dir = tree(&["app.yaml", "legacy/a.yaml", "apps/legacy/b.yaml", "x.tmpl.yaml", "apps/y.tmpl.yaml"]);
        let ex = |p: &[&str]| Exclusions { patterns: p.iter().map(|s| s.to_string()).collect() };
        assert_eq!(walk(dir.path(), &ex(&["legacy/"])).0, ["app.yaml", "apps/y.tmpl.yaml", "x.tmpl.yaml"]);
        assert_eq!(walk(dir.path(), &ex(&["/legacy"])).0, ["app.yaml", "apps/legacy/b.yaml", "apps/y.tmpl.yaml", "x.tmpl.yaml"]);
        assert_eq!(
            walk(dir.path(), &ex(&["*.tmpl.yaml", "!apps/y.tmpl.yaml"])).0,
            ["app.yaml", "apps/legacy/b.yaml", "apps/y.tmpl.yaml", "legacy/a.yaml"]
        );
    }

    #[test]
    fn binderyignore_files_apply_where_they_are() {
        let dir = tree(&["app.yaml", "apps/gen/a.yaml", "apps/b.yaml", "other/gen/c.yaml"]);
        std::fs::write(dir.path().join("apps").join(IGNORE_FILE), "gen/\n").unwrap();
        let (files, skipped) = walk(dir.path(), &Exclusions::default());
        assert_eq!(files, ["app.yaml", "apps/.binderyignore", "apps/b.yaml", "other/gen/c.yaml"]);
        assert!(skipped.is_empty());
    }

    #[test]
    fn helm_charts_are_skipped_and_logged() {
        let dir =
            tree(&["app.yaml", "charts/shop/Chart.yaml", "charts/shop/values.yaml", "charts/shop/templates/d.yaml", "lib/Chart.yaml"]);
        let (files, skipped) = walk(dir.path(), &Exclusions::default());
        assert_eq!(files, ["app.yaml", "lib/Chart.yaml"], "a Chart.yaml without templates/ is not a chart to skip");
        assert_eq!(skipped, [Skipped { path: dir.path().join("charts/shop"), reason: SkipReason::HelmChart }]);
        assert_eq!(skipped[0].file(), dir.path().join("charts/shop/Chart.yaml"));
    }

    #[test]
    fn go_templates_that_do_not_parse_are_skipped_not_errors() {
        let dir = tree(&[]);
        let write = |f: &str, text: &str| std::fs::write(dir.path().join(f), text).unwrap();
        write("app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        write(
            "tmpl.yaml",
            "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n{{- end }}\n",
        );
        let (loaded, skipped) = super::super::load_paths_excluding(&[dir.path().to_path_buf()], &Exclusions::default()).unwrap();
        assert_eq!(loaded.documents.len(), 1);
        assert_eq!(skipped, [Skipped { path: dir.path().join("tmpl.yaml"), reason: SkipReason::GoTemplate }]);
        // Broken YAML without `{{` stays an error (exit 2).
        write("broken.yaml", "kind: [\n");
        let errors = super::super::load_paths_excluding(&[dir.path().to_path_buf()], &Exclusions::default()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].path.ends_with("broken.yaml"), "{}", errors[0]);
    }

    #[test]
    fn an_input_directory_that_is_a_chart_is_skipped() {
        let dir = tree(&["Chart.yaml", "templates/d.yaml", "values.yaml"]);
        let (loaded, skipped) = super::super::load_paths_excluding(&[dir.path().to_path_buf()], &Exclusions::default()).unwrap();
        assert!(loaded.files.is_empty());
        assert_eq!(skipped, [Skipped { path: dir.path().to_path_buf(), reason: SkipReason::HelmChart }]);
    }

    #[test]
    fn binderyignore_files_above_the_input_count_and_the_nearest_decides() {
        let dir = tree(&[
            "input/app.yaml",
            "input/gen/a.yaml",
            "input/x.tmp.yaml",
            "input/sub/keep.tmp.yaml",
            "input/sub/y.tmp.yaml",
            "input/old/b.yaml",
        ]);
        std::fs::write(dir.path().join(IGNORE_FILE), "gen/\n*.tmp.yaml\nold/\n").unwrap();
        std::fs::write(dir.path().join("input/sub").join(IGNORE_FILE), "!keep.tmp.yaml\n").unwrap();
        // A file under an excluded directory cannot be taken back (as in git).
        std::fs::write(dir.path().join("input/old").join(IGNORE_FILE), "!b.yaml\n").unwrap();
        let (files, _) = walk(&dir.path().join("input"), &Exclusions::default());
        assert_eq!(files, ["app.yaml", "sub/.binderyignore", "sub/keep.tmp.yaml"]);
    }

    #[test]
    fn a_bad_pattern_is_an_error() {
        let e = Exclusions { patterns: vec!["{a,b".into()] }.validate().unwrap_err();
        assert!(e.to_string().starts_with("invalid --exclude pattern \"{a,b\""), "{e}");
    }
}
