//! Exclusions: what a directory walk leaves out besides `.git` and what `.gitignore` ignores —
//! `--exclude GLOB` patterns and `.binderyignore` files (both gitignore syntax) — and what is
//! not bindery's input at all: Helm chart directories (a `Chart.yaml` next to `templates/`) and
//! Go template files (text with `{{` that does not parse as YAML). Those are [`Skipped`] with a
//! reason that commands report as a notice; they are never an error.
//!
//! `--exclude` patterns are matched as lines of a `.gitignore` at the root of each input
//! directory: `charts/` leaves out every directory named `charts`, `/legacy` only the top-level
//! one, `*.tmpl.yaml` every such file. `.binderyignore` files are read wherever they are in the
//! tree, and in the parents of an input directory, exactly like `.gitignore` files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

/// What one directory walk skipped with a notice, in the order found (sorted by the caller).
#[derive(Debug, Clone, Default)]
pub struct SkipLog(Arc<Mutex<Vec<Skipped>>>);

impl SkipLog {
    pub fn push(&self, skipped: Skipped) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(skipped);
    }

    /// Everything skipped, sorted by path.
    pub fn take(&self) -> Vec<Skipped> {
        let mut all = std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        all.sort_by(|a, b| a.path.cmp(&b.path));
        all.dedup();
        all
    }
}

/// Set up a directory walk under `root`: read `.binderyignore` files, and leave out `.git`,
/// what `--exclude` matches, and Helm chart directories (logged in `skipped`).
pub fn configure(builder: &mut ignore::WalkBuilder, root: &Path, exclusions: &Exclusions, skipped: &SkipLog) -> Result<(), PatternError> {
    let matcher = exclusions.matcher(root)?;
    let log = skipped.clone();
    builder.add_custom_ignore_filename(IGNORE_FILE).filter_entry(move |e| {
        if e.file_name() == ".git" {
            return false;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        if e.depth() > 0 && matcher.matched(e.path(), is_dir).is_ignore() {
            return false;
        }
        if is_dir && is_helm_chart(e.path()) {
            log.push(Skipped { path: e.path().to_path_buf(), reason: SkipReason::HelmChart });
            return false;
        }
        true
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(root: &Path, exclusions: &Exclusions) -> (Vec<String>, Vec<Skipped>) {
        let mut builder = ignore::WalkBuilder::new(root);
        builder.hidden(false).require_git(false);
        let log = SkipLog::default();
        configure(&mut builder, root, exclusions, &log).unwrap();
        let mut files: Vec<String> = builder
            .build()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(|e| e.path().strip_prefix(root).unwrap().display().to_string())
            .collect();
        files.sort();
        (files, log.take())
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
    fn a_bad_pattern_is_an_error() {
        let e = Exclusions { patterns: vec!["{a,b".into()] }.validate().unwrap_err();
        assert!(e.to_string().starts_with("invalid --exclude pattern \"{a,b\""), "{e}");
    }
}
