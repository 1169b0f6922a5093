//! One run of the pipeline for a command: load the inputs, read the options, render once, and
//! report the problems on stderr. Every command prints from that one result.

use std::process::ExitCode;

use super::input::{ExcludeArgs, InputArgs};
use crate::hosts::config::{Config, FailOn, Settings};
use crate::hosts::output;
use crate::hosts::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::{load_paths_excluding, Loaded};
use crate::model::problem::Severity;
use crate::project::rendered::Rendered;
use crate::write::diagnostics::{render_load_error, render_problem};

pub(crate) use crate::hosts::output::eprint;

/// Print a report; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) -> Result<(), ExitCode> {
    output::print(text).map_err(ExitCode::from)
}

/// The run's configuration; a bad one is reported on stderr (exit 2).
pub(crate) fn settings(input: &InputArgs, loaded: &mut Loaded, extra: Config) -> Result<Settings, ExitCode> {
    match input.configuration(loaded, extra) {
        Ok(config) => Ok(config.settings()),
        Err(e) => {
            eprint(&format!("bindery: error: {e}\n"));
            Err(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

/// Load the inputs (without what `exclude` and `.binderyignore` leave out) and read the
/// configuration; load errors go to stderr as diagnostics (exit 2), and so do notices of what was
/// skipped (Helm charts, Go templates).
pub(crate) fn loaded(input: &InputArgs, exclude: &ExcludeArgs, extra: Config) -> Result<(Loaded, Settings), ExitCode> {
    let exclusions = exclude.checked()?;
    let (mut loaded, skipped) = load_paths_excluding(&input.paths, &exclusions).map_err(|errors| {
        for e in &errors {
            eprint(&render_load_error(e));
        }
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    for s in &skipped {
        eprint(&format!("bindery: notice: {}\n", s.message()));
    }
    let settings = settings(input, &mut loaded, extra)?;
    Ok((loaded, settings))
}

/// Whether a render fails under `failOn`: on errors (nothing rendered), or with
/// `failOn: warning` on warnings too.
pub(crate) fn fails(rendered: &Rendered, fail_on: FailOn) -> bool {
    rendered.output.is_none() || (fail_on == FailOn::Warning && rendered.problems().iter().any(|p| p.severity != Severity::Notice))
}

/// Print every problem of a render; when it rendered nothing (or `failOn: warning` and there
/// are warnings), say so (`nothing to {what}`) and return exit 1.
pub(crate) fn report_problems(rendered: &Rendered, fail_on: FailOn, what: &str) -> Result<(), ExitCode> {
    for p in rendered.problems() {
        eprint(&render_problem(p, &rendered.loaded.documents));
    }
    if fails(rendered, fail_on) {
        let errors = rendered.problems().iter().filter(|p| p.is_error()).count();
        if errors > 0 {
            eprint(&format!("bindery: {errors} error(s); nothing to {what}\n"));
        } else {
            let warnings = rendered.problems().iter().filter(|p| p.severity == Severity::Warning).count();
            eprint(&format!("bindery: {warnings} warning(s) and failOn is warning; nothing to {what}\n"));
        }
        return Err(ExitCode::from(EXIT_UNRESOLVED));
    }
    Ok(())
}

/// Load and render once; diagnostics go to stderr. `Err` when nothing was rendered.
pub(crate) fn rendered(input: &InputArgs, exclude: &ExcludeArgs, extra: Config, what: &str) -> Result<(Rendered, Settings), ExitCode> {
    let (loaded, settings) = loaded(input, exclude, extra)?;
    let rendered = crate::project::rendered::render(loaded, &settings.options);
    report_problems(&rendered, settings.fail_on, what)?;
    Ok((rendered, settings))
}
