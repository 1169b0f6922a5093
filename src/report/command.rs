//! The command-line shell of the review commands (`diff`, `check`, `explain`, `materialize`):
//! their arguments, and for each one run of the pipeline whose result a writer prints.
//!
//! Exit status as for `render`: 0 success; 1 a binding could not be resolved (or `check` found
//! errors, or `diff --exit-code` found changes); 2 bad input or usage. Reports go to stdout,
//! diagnostics to stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::binding::{classify, BindingDocKind};
use crate::cli::{InputArgs, EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::diagnostics::{render_load_error, render_problem};
use crate::load::load_paths;
use crate::report::check::{self, CheckReport};
use crate::report::diff::{self, DiffOptions};
use crate::report::explain::{self, Reveal};
use crate::report::materialize::{self, Selection};
use crate::Rendered;

/// When to colour terminal output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self) -> bool {
        match self {
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified diff, resource by resource.
    #[default]
    Unified,
    /// Collapsible per-resource diffs for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// The machine form (schema in the README).
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: DiffFormat,
    /// Exit with 1 when rendering changes anything (as `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    /// Colour the unified diff.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
    /// Lines of context around each change.
    #[arg(short = 'U', long = "unified", value_name = "N", default_value_t = 3)]
    pub context: usize,
    /// Compare with a render that keeps the ServiceBindings (`render --keep-bindings`).
    #[arg(long)]
    pub keep_bindings: bool,
    /// Compare with a render that consumes ClusterWorkloadResourceMappings (`render --drop-mappings`).
    #[arg(long)]
    pub drop_mappings: bool,
    /// Show the documents render consumes (ServiceBindings, dropped mappings) as removed.
    #[arg(long)]
    pub show_consumed: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Diagnostics with the source snippet (Secret values masked).
    #[default]
    Human,
    /// The stable JSON schema documented in the README.
    Json,
    /// GitHub Actions workflow commands (::error / ::warning annotations).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: CheckFormat,
    /// Warnings fail the check too.
    #[arg(long)]
    pub strict: bool,
    /// Colour human diagnostics.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: ExplainFormat,
    /// Show values that are not secret (binding overrides, ConfigMap entries, literals).
    #[arg(long)]
    pub show_values: bool,
    /// Show Secret values too (implies --show-values).
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct MaterializeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Directory to write the binding directories into (created if missing); run the
    /// application with SERVICE_BINDING_ROOT set to it.
    #[arg(long, value_name = "DIR")]
    pub root: PathBuf,
    /// The workload, as KIND/NAME or KIND/NAMESPACE/NAME (needed when several are bound).
    #[arg(long, value_name = "KIND/NAME")]
    pub workload: Option<String>,
    /// The container (needed when the workload has several bound containers).
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Write files whose content is a Secret value (without it they are skipped).
    #[arg(long)]
    pub show_secrets: bool,
}

fn eprint(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Print a report; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprint(&format!("bindery: cannot write to stdout: {e}\n"));
            Err(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

/// The run's options; a bad config file is reported on stderr (exit 2).
pub(crate) fn options(input: &InputArgs) -> Result<crate::resolve::Options, ExitCode> {
    input.options().map_err(|e| {
        eprint(&format!("bindery: {e}\n"));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

/// Load the inputs and read the options; load errors go to stderr as diagnostics (exit 2).
pub(crate) fn loaded(input: &InputArgs) -> Result<(crate::load::Loaded, crate::resolve::Options), ExitCode> {
    let loaded = load_paths(&input.paths).map_err(|errors| {
        for e in &errors {
            eprint(&render_load_error(e));
        }
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
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
pub(crate) fn rendered(input: &InputArgs, what: &str) -> Result<Rendered, ExitCode> {
    let (loaded, options) = loaded(input)?;
    let rendered = crate::render(loaded, &options);
    report_problems(&rendered, what)?;
    Ok(rendered)
}

/// `bindery diff`.
pub fn diff(args: &DiffArgs) -> ExitCode {
    let rendered = match rendered(&args.input, "diff") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let opts = DiffOptions {
        keep_bindings: args.keep_bindings,
        drop_mappings: args.drop_mappings,
        show_consumed: args.show_consumed,
        context: args.context,
        namespace: args.input.namespace.clone(),
    };
    let diffs = diff::compute(&rendered, &opts);
    let text = match args.format {
        DiffFormat::Unified => diff::unified(&diffs, args.context, args.color.enabled()),
        DiffFormat::Markdown => diff::markdown(&diffs, args.context),
        DiffFormat::Json => diff::json(&diffs, args.context),
    };
    if let Err(code) = print(&text) {
        return code;
    }
    if args.exit_code && !diffs.is_empty() {
        ExitCode::from(EXIT_UNRESOLVED)
    } else {
        ExitCode::SUCCESS
    }
}

/// `bindery check`.
pub fn check(args: &CheckArgs) -> ExitCode {
    let color = args.color.enabled();
    let format = |report: &CheckReport<'_>, documents: &[crate::load::Document]| match args.format {
        CheckFormat::Human => check::to_human(report, documents, color),
        CheckFormat::Json => check::to_json(report),
        CheckFormat::Github => check::to_github(report),
        CheckFormat::Sarif => check::to_sarif(report),
    };
    let loaded = match load_paths(&args.input.paths) {
        Ok(l) => l,
        Err(errors) => {
            let report = CheckReport::from_load_errors(&errors);
            if let Err(code) = print(&format(&report, &[])) {
                return code;
            }
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let options = match options(&args.input) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let rendered = crate::render(loaded, &options);
    let documents = &rendered.loaded.documents;
    let bindings = documents
        .iter()
        .filter(|d| matches!(classify(d), Some(BindingDocKind::ServiceBinding(_) | BindingDocKind::OperatorServiceBinding)))
        .count();
    let report = CheckReport::from_problems(rendered.problems(), documents.len(), bindings);
    if let Err(code) = print(&format(&report, documents)) {
        return code;
    }
    if report.fails(args.strict) {
        ExitCode::from(EXIT_UNRESOLVED)
    } else {
        ExitCode::SUCCESS
    }
}

/// `bindery explain`.
pub fn explain(args: &ExplainArgs) -> ExitCode {
    let rendered = match rendered(&args.input, "explain") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reveal = match (args.show_secrets, args.show_values) {
        (true, _) => Reveal::All,
        (false, true) => Reveal::NonSecret,
        (false, false) => Reveal::Nothing,
    };
    let report = explain::build(&rendered, &args.input.namespace, reveal);
    let text = match args.format {
        ExplainFormat::Human => explain::to_text(&report),
        ExplainFormat::Json => explain::to_json(&report),
    };
    match print(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// `bindery materialize`.
pub fn materialize(args: &MaterializeArgs) -> ExitCode {
    let rendered = match rendered(&args.input, "materialize") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reveal = if args.show_secrets { Reveal::All } else { Reveal::NonSecret };
    let report = explain::build(&rendered, &args.input.namespace, reveal);
    let selection = Selection { workload: args.workload.clone(), container: args.container.clone() };
    let (workload, container) = match materialize::select(&report, &selection) {
        Ok(found) => found,
        Err(e) => {
            eprint(&format!("bindery: {e}\n"));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let done = match materialize::write(&args.root, container) {
        Ok(done) => done,
        Err(e) => {
            eprint(&format!("bindery: cannot write {}: {e}\n", args.root.display()));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match print(&materialize::summary(&args.root, workload, container, &done)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
