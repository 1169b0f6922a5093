//! One run of the pipeline for a command: load the inputs, read the options, render once, and
//! report the problems on stderr. Every command prints from that one result.

use std::process::ExitCode;

use super::input::InputArgs;
use crate::hosts::output;
use crate::hosts::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::load_paths_excluding;
use crate::project::rendered::Rendered;
use crate::write::diagnostics::{render_load_error, render_problem};

pub(crate) use crate::hosts::output::eprint;

/// Print a report; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) -> Result<(), ExitCode> {
    output::print(text).map_err(ExitCode::from)
}

/// The run's options; a bad config file is reported on stderr (exit 2).
pub(crate) fn options(input: &InputArgs) -> Result<crate::resolve::Options, ExitCode> {
    input.options().map_err(|e| {
        eprint(&format!("bindery: {e}\n"));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Load the inputs (without what `exclude` and `.binderyignore` leave out) and read the
/// options; load errors go to stderr as diagnostics (exit 2), and so do notices of what was
/// skipped (Helm charts, Go templates).
pub(crate) fn loaded(
    input: &InputArgs,
    exclude: &super::repo::ExcludeArgs,
) -> Result<(crate::load::Loaded, crate::resolve::Options), ExitCode> {
    let settings = super::repo::settings(exclude, crate::repo::Mode::Off, &Default::default())?;
    let (loaded, skipped) = load_paths_excluding(&input.paths, &settings.exclusions).map_err(|errors| {
        for e in &errors {
            eprint(&render_load_error(e));
        }
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    for s in &skipped {
        eprint(&format!("bindery: notice: {}\n", s.message()));
    }
    Ok((loaded, options(input)?))
}

/// Print every problem of a render; when it rendered nothing, say so (`nothing to {what}`)
/// and return exit 1.
pub(crate) fn report_problems(rendered: &Rendered, what: &str) -> Result<(), ExitCode> {
    for p in rendered.problems() {
        eprint(&render_problem(p, &rendered.loaded.documents));
    }
    if rendered.output.is_none() {
        let n = rendered.problems().iter().filter(|p| p.is_error()).count();
        eprint(&format!("bindery: {n} error(s); nothing to {what}\n"));
        return Err(ExitCode::from(EXIT_UNRESOLVED));
    }
    Ok(())
}

/// Load and render once; diagnostics go to stderr. `Err` when nothing was rendered.
pub(crate) fn rendered(input: &InputArgs, exclude: &super::repo::ExcludeArgs, what: &str) -> Result<Rendered, ExitCode> {
    let (loaded, options) = loaded(input, exclude)?;
    let rendered = crate::project::rendered::render(loaded, &options);
    report_problems(&rendered, what)?;
    Ok(rendered)
}
