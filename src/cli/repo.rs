//! The repository-mode options every reading command shares (`--exclude`; for check, diff,
//! explain and graph also `--kustomize-root`, `--no-kustomize`, `--kustomize-command`), and
//! the steps that turn them into input sets: read the repository once, build each root,
//! report what was skipped.
//!
//! A repository run is N ordinary runs, one per set; their exit codes combine to the worst
//! (2 over 1 over 0).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::input::{ExcludeArgs, InputArgs};
use super::run::eprint;
use crate::doc::document::SourceFile;
use crate::hosts::EXIT_BAD_INPUT;
use crate::load::exclude::Skipped;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;
use crate::repo::{Mode, Repository, Settings};
use crate::write::diagnostics::render_load_error;

/// Repository mode: which kustomizations are built.
#[derive(Debug, Clone, Default, Args)]
pub struct KustomizeArgs {
    /// Build and check exactly this kustomization directory (repeatable) instead of finding
    /// the kustomizations no other one includes.
    #[arg(long = "kustomize-root", value_name = "DIR", conflicts_with = "no_kustomize")]
    pub kustomize_roots: Vec<PathBuf>,
    /// Build no kustomization: read every file as it is, all in one set.
    #[arg(long)]
    pub no_kustomize: bool,
    /// The program that builds kustomizations: `kubectl` (run as `kubectl kustomize`) or
    /// `kustomize` (`kustomize build`), a name on PATH or a path. Default: kubectl, else kustomize.
    #[arg(long, value_name = "PROGRAM")]
    pub kustomize_command: Option<String>,
    /// Set by `render`: keep kustomize's output order (not a flag).
    #[arg(skip)]
    pub kustomize_order: bool,
}

impl KustomizeArgs {
    /// The mode for check, diff, explain and graph: roots found unless turned off or named.
    pub fn mode(&self) -> Mode {
        if self.no_kustomize {
            Mode::Off
        } else if !self.kustomize_roots.is_empty() {
            Mode::Roots(self.kustomize_roots.clone())
        } else {
            Mode::Auto
        }
    }
}

/// Read the input into its sets; unreadable input and bad patterns are reported on stderr
/// (exit 2).
pub(crate) fn repository(input: &InputArgs, exclude: &ExcludeArgs, mode: Mode, kustomize: &KustomizeArgs) -> Result<Repository, ExitCode> {
    let settings = settings(exclude, mode, kustomize)?;
    crate::repo::load(&input.paths, &settings).map_err(|errors| {
        for e in &errors {
            eprint(&render_load_error(e));
        }
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// The settings, with every `--exclude` pattern checked (a bad one is a usage error, exit 2).
pub(crate) fn settings(exclude: &ExcludeArgs, mode: Mode, kustomize: &KustomizeArgs) -> Result<Settings, ExitCode> {
    let exclusions = exclude.checked()?;
    // render's output is applied: it keeps kustomize's order; reports follow the repository.
    let kustomize_order = matches!(mode, Mode::Roots(_)) && kustomize.kustomize_order;
    Ok(Settings { exclusions, mode, kustomize_command: kustomize.kustomize_command.clone(), kustomize_order })
}

/// A skipped path as a notice (rule `SkippedInput`) at the file it names.
pub(crate) fn skipped_problem(s: &Skipped) -> Problem {
    let path = s.file();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let relative = path.file_name().map(PathBuf::from).unwrap_or_default();
    let file = Arc::new(SourceFile::new(path, relative, text));
    Problem::notice(Rule::SkippedInput, s.message()).at(Location { file, line: 1, column: None })
}

/// The repository-level lines for stderr: what was skipped, what was not built on its own.
pub(crate) fn notices(repo: &Repository) -> String {
    let mut out = String::new();
    for s in &repo.skipped {
        out.push_str(&format!("bindery: notice: {}\n", s.message()));
    }
    for c in &repo.covered {
        out.push_str(&format!("bindery: notice: {c}\n"));
    }
    out
}

/// The header of one set's section when a run has several.
pub(crate) fn heading(name: &str, builder: Option<&str>) -> String {
    match builder {
        Some(b) => format!("{name} ({b})"),
        None => name.to_string(),
    }
}

/// The worst of two exit codes (2 over 1 over 0; another code, such as diff's 3, over 1).
pub(crate) fn worst(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        0 => 0,
        1 => 1,
        2 => 3,
        _ => 2,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// One set of a run and its exit code (its diagnostics are already on stderr).
pub(crate) struct SetRun {
    pub name: String,
    pub builder: Option<String>,
    /// `None` when the set could not be read or built (code 2); a render that failed (code 1)
    /// is kept for the writers that show problems (graph).
    pub rendered: Option<crate::project::rendered::Rendered>,
    /// The set's effective configuration (`None` with `rendered`).
    pub settings: Option<crate::hosts::config::Settings>,
    pub code: u8,
}

impl SetRun {
    pub fn heading(&self) -> String {
        heading(&self.name, self.builder.as_deref())
    }

    /// The render, when it succeeded.
    pub fn ok(&self) -> Option<&crate::project::rendered::Rendered> {
        self.rendered.as_ref().filter(|_| self.code == 0)
    }

    /// The render and its configuration, when it succeeded.
    pub fn ok_with_settings(&self) -> Option<(&crate::project::rendered::Rendered, &crate::hosts::config::Settings)> {
        self.ok().zip(self.settings.as_ref())
    }
}

/// Read, build and render every set of the run once; diagnostics and the repository's notices
/// go to stderr (under a heading per set when there are several). `Err`: the input itself
/// cannot be read, or the options are bad (exit 2).
pub(crate) fn render_sets(
    input: &InputArgs,
    exclude: &ExcludeArgs,
    mode: Mode,
    kustomize: &KustomizeArgs,
    extra: crate::hosts::config::Config,
    what: &str,
) -> Result<Vec<SetRun>, ExitCode> {
    let repo = repository(input, exclude, mode, kustomize)?;
    eprint(&notices(&repo));
    let several = repo.sets.len() > 1;
    let mut runs = Vec::with_capacity(repo.sets.len());
    for set in repo.sets {
        let heading = heading(&set.name, set.builder.as_deref());
        if several {
            eprint(&format!("bindery: == {heading} ==\n"));
        }
        let (rendered, settings, code) = match set.loaded {
            Ok(mut loaded) => {
                // The configuration found with the input, read for each set alike (README
                // "Configuration"); a bad one is a usage error for the whole run.
                let settings = super::run::settings(input, &mut loaded, extra.clone())?;
                let rendered = crate::render(loaded, &settings.options);
                let code = match super::run::report_problems(&rendered, settings.fail_on, what) {
                    Ok(()) => 0,
                    Err(_) => crate::hosts::EXIT_UNRESOLVED,
                };
                (Some(rendered), Some(settings), code)
            }
            Err(errors) => {
                for e in &errors {
                    eprint(&render_load_error(e));
                }
                (None, None, EXIT_BAD_INPUT)
            }
        };
        runs.push(SetRun { name: set.name, builder: set.builder, rendered, settings, code });
    }
    Ok(runs)
}

/// Several sets' JSON reports as one document: `{"schemaVersion", "roots": [{root, builder,
/// report}]}` (a set that failed has `"report": null`).
pub(crate) fn json_roots(
    runs: &[SetRun],
    report: impl Fn(&crate::project::rendered::Rendered, &crate::hosts::config::Settings) -> String,
) -> String {
    let roots: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            let report = r.ok().zip(r.settings.as_ref()).map(|(rendered, settings)| {
                serde_json::from_str::<serde_json::Value>(&report(rendered, settings)).expect("a report is JSON")
            });
            serde_json::json!({"root": r.name, "builder": r.builder, "report": report})
        })
        .collect();
    crate::write::json_text(&serde_json::json!({"schemaVersion": crate::write::SCHEMA_VERSION, "roots": roots}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_exit_code_wins() {
        assert_eq!([0, 1, 0].into_iter().fold(0, worst), 1);
        assert_eq!([1, 2, 0].into_iter().fold(0, worst), 2);
        assert_eq!([1, 3, 1].into_iter().fold(0, worst), 3);
        assert_eq!([3, 2].into_iter().fold(0, worst), 2);
    }
}
