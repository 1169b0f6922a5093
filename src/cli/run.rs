//! One run of the pipeline for a command: load the inputs, read the options, render once, and
//! report the problems on stderr. Every command prints from that one result.

use std::process::ExitCode;

use super::input::{ExcludeArgs, InputArgs};
use crate::hosts::config::{Config, FailOn, Settings};
use crate::hosts::output;
use crate::hosts::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::exclude::Exclusions;
use crate::load::{load, InputReport, LoadOptions, Loaded, SkipReason};
use crate::model::problem::Severity;
use crate::project::rendered::Rendered;
use crate::write::diagnostics::{Diagnostics, Style};
use crate::write::escape;

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
            eprint(&format!("bindery: error: {}\n", escape::controls(&e.to_string())));
            Err(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

/// Load the inputs (without what `exclude` and `.binderyignore` leave out) and read the
/// configuration; load errors go to stderr as diagnostics (exit 2), and so do notices of what was
/// skipped (Helm charts, Go templates).
pub(crate) fn loaded(input: &InputArgs, exclude: &ExcludeArgs, extra: Config) -> Result<(Loaded, Settings), ExitCode> {
    let exclusions = exclude.checked()?;
    let mut loaded = load_input(input, exclusions).map_err(|errors| {
        let diagnostics = Diagnostics::new(&[], Style::stderr());
        for e in &errors {
            eprint(&diagnostics.load_error(e));
        }
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    let settings = settings(input, &mut loaded, extra)?;
    Ok((loaded, settings))
}

/// Load the inputs; what discovery left out goes to stderr (links out of the input always, the
/// ignored files with `--verbose`).
pub(crate) fn load_input(input: &InputArgs, exclusions: Exclusions) -> Result<Loaded, Vec<crate::load::LoadError>> {
    let options = LoadOptions { exclusions, ..input.load_options() };
    let (loaded, report) = load(&input.paths, &options)?;
    let mut text = discovery_lines(&report, input.verbose);
    for s in report.excluded() {
        text.push_str(&format!("bindery: notice: {}\n", escape::controls(&s.message())));
    }
    eprint(&text);
    Ok(loaded)
}

/// What reading left out, for stderr: links leaving the input and notes always, the files
/// ignore rules left out with `verbose` (control characters escaped).
pub(crate) fn discovery_lines(report: &InputReport, verbose: bool) -> String {
    let mut text = String::new();
    for notice in report.notices() {
        text.push_str(&format!("bindery: notice: {}\n", escape::controls(&notice)));
    }
    if verbose {
        for s in report.skipped().filter(|s| !matches!(s.reason, SkipReason::LinkLeavesInput { .. })) {
            text.push_str(&format!("bindery: {}\n", escape::controls(&s.to_string())));
        }
    }
    text
}

/// Whether a render fails under `failOn`: on errors (nothing rendered), or with
/// `failOn: warning` on warnings too.
pub(crate) fn fails(rendered: &Rendered, fail_on: FailOn) -> bool {
    rendered.output.is_none() || (fail_on == FailOn::Warning && rendered.problems().iter().any(|p| p.severity != Severity::Notice))
}

/// Print every problem of a render; when it rendered nothing (or `failOn: warning` and there
/// are warnings), say so (`nothing to {what}`) and return exit 1.
pub(crate) fn report_problems(rendered: &Rendered, fail_on: FailOn, what: &str) -> Result<(), ExitCode> {
    let diagnostics = Diagnostics::new(&rendered.loaded.documents, Style::stderr());
    for p in rendered.problems() {
        eprint(&diagnostics.problem(p));
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
