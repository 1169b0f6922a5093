//! One run of the pipeline for a command: load the inputs, read the options, render once, and
//! report the problems on stderr. Every command prints from that one result.

use std::process::ExitCode;

use super::input::InputArgs;
use crate::hosts::output;
use crate::hosts::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::{load, InputReport, SkipReason};
use crate::project::rendered::Rendered;
use crate::write::diagnostics::{Diagnostics, Style};
use crate::write::escape;

pub(crate) use crate::hosts::output::eprint;

/// Print a report; a closed pipe (`| head`) is not an error.
pub(crate) fn print(text: &str) -> Result<(), ExitCode> {
    output::print(text).map_err(ExitCode::from)
}

/// The run's options; a bad config file is reported on stderr (exit 2).
pub(crate) fn options(input: &InputArgs) -> Result<crate::resolve::Options, ExitCode> {
    input.options().map_err(|e| {
        eprint(&format!("bindery: {}\n", crate::write::escape::controls(&e.to_string())));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Load the inputs and read the options; load errors go to stderr as diagnostics (exit 2).
pub(crate) fn loaded(input: &InputArgs) -> Result<(crate::load::Loaded, crate::resolve::Options), ExitCode> {
    let loaded = load_input(input).map_err(|errors| {
        let diagnostics = Diagnostics::new(&[], Style::stderr());
        for e in &errors {
            eprint(&diagnostics.load_error(e));
        }
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    Ok((loaded, options(input)?))
}

/// Load the inputs; what discovery left out goes to stderr (links out of the input always, the
/// ignored files with `--verbose`).
pub(crate) fn load_input(input: &InputArgs) -> Result<crate::load::Loaded, Vec<crate::load::LoadError>> {
    let (loaded, report) = load(&input.paths, &input.load_options())?;
    print_discovery(&report, input.verbose);
    Ok(loaded)
}

fn print_discovery(report: &InputReport, verbose: bool) {
    let mut text = String::new();
    for notice in report.notices() {
        text.push_str(&format!("bindery: notice: {}\n", escape::controls(&notice)));
    }
    if verbose {
        for s in report.skipped().filter(|s| !matches!(s.reason, SkipReason::LinkLeavesInput { .. })) {
            text.push_str(&format!("bindery: {}\n", escape::controls(&s.to_string())));
        }
    }
    eprint(&text);
}

/// Print every problem of a render; when it rendered nothing, say so (`nothing to {what}`)
/// and return exit 1.
pub(crate) fn report_problems(rendered: &Rendered, what: &str) -> Result<(), ExitCode> {
    let diagnostics = Diagnostics::new(&rendered.loaded.documents, Style::stderr());
    for p in rendered.problems() {
        eprint(&diagnostics.problem(p));
    }
    if rendered.output.is_none() {
        let n = rendered.problems().iter().filter(|p| p.is_error()).count();
        eprint(&format!("bindery: {n} error(s); nothing to {what}\n"));
        return Err(ExitCode::from(EXIT_UNRESOLVED));
    }
    Ok(())
}

/// Load and render once; diagnostics go to stderr. `Err` when nothing was rendered.
pub(crate) fn rendered(input: &InputArgs, what: &str) -> Result<Rendered, ExitCode> {
    let (loaded, options) = loaded(input)?;
    let rendered = crate::project::rendered::render(loaded, &options);
    report_problems(&rendered, what)?;
    Ok(rendered)
}
