//! `bindery diff`: what render would change, as a unified diff, Markdown or JSON (Secret values
//! masked).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::{ColorChoice, InputArgs};
use super::run::{loaded, print, report_problems};
use crate::hosts::config::Config;
use crate::write::diff::{self, DiffOptions};

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
    /// Exit with 1 when rendering changes anything (as `git diff --exit-code`), and with 3
    /// (not 1) when a binding cannot be resolved.
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

/// `diff --exit-code`: rendering changes something.
pub const EXIT_CHANGES: u8 = 1;
/// `diff --exit-code`: a binding cannot be resolved (without `--exit-code` that is exit 1, as
/// for every command; with it, 1 means "changes", as for `git diff --exit-code`).
pub const EXIT_DIFF_UNRESOLVED: u8 = 3;

/// `bindery diff`.
pub fn diff(args: &DiffArgs) -> ExitCode {
    let extra = Config {
        keep_bindings: args.keep_bindings.then_some(true),
        drop_mappings: args.drop_mappings.then_some(true),
        ..Config::default()
    };
    let (loaded, settings) = match loaded(&args.input, extra) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let rendered = crate::project::rendered::render(loaded, &settings.options);
    if let Err(code) = report_problems(&rendered, settings.fail_on, "diff") {
        return if args.exit_code { ExitCode::from(EXIT_DIFF_UNRESOLVED) } else { code };
    }
    let opts = DiffOptions {
        keep_bindings: settings.keep_bindings,
        drop_mappings: settings.drop_mappings,
        show_consumed: args.show_consumed,
        context: args.context,
        namespace: settings.options.default_namespace.clone(),
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
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    }
}
