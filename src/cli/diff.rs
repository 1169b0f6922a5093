//! `bindery diff`: what render would change, as a unified diff, Markdown or JSON (Secret values
//! masked).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::ExcludeArgs;
use super::input::{ColorChoice, InputArgs};
use super::repo::{render_sets, worst, KustomizeArgs, SetRun};
use super::run::print;
use crate::hosts::config::{Config, Settings};
use crate::hosts::EXIT_UNRESOLVED;
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
    #[command(flatten)]
    pub exclude: ExcludeArgs,
    #[command(flatten)]
    pub kustomize: KustomizeArgs,
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
    let runs = match render_sets(&args.input, &args.exclude, args.kustomize.mode(), &args.kustomize, extra, "diff") {
        Ok(runs) => runs,
        Err(code) => return code,
    };
    let opts = |settings: &Settings| DiffOptions {
        keep_bindings: settings.keep_bindings,
        drop_mappings: settings.drop_mappings,
        show_consumed: args.show_consumed,
        context: args.context,
        namespace: settings.options.default_namespace.clone(),
    };
    let (mut code, mut changed) = (0, false);
    for run in &runs {
        code = worst(code, if run.code == EXIT_UNRESOLVED && args.exit_code { EXIT_DIFF_UNRESOLVED } else { run.code });
    }
    let diffs: Vec<Option<Vec<diff::ResourceDiff>>> =
        runs.iter().map(|r| Some(diff::compute(r.ok()?, &opts(r.settings.as_ref()?)))).collect();
    changed |= diffs.iter().flatten().any(|d| !d.is_empty());
    let text = if runs.len() == 1 { diffs[0].as_ref().map_or_else(String::new, |d| one(args, d)) } else { several(args, &runs, &diffs) };
    if let Err(c) = print(&text) {
        return c;
    }
    if args.exit_code && changed {
        code = worst(code, EXIT_CHANGES);
    }
    ExitCode::from(code)
}

/// One set's diff in the chosen format.
fn one(args: &DiffArgs, diffs: &[diff::ResourceDiff]) -> String {
    match args.format {
        DiffFormat::Unified => diff::unified(diffs, args.context, args.color.enabled()),
        DiffFormat::Markdown => diff::markdown(diffs, args.context),
        DiffFormat::Json => diff::json(diffs, args.context),
    }
}

/// Several sets: a heading per set (unified: a `# ` line; Markdown: one report with a section
/// per set), or one JSON document with every set's report.
fn several(args: &DiffArgs, runs: &[SetRun], diffs: &[Option<Vec<diff::ResourceDiff>>]) -> String {
    match args.format {
        DiffFormat::Json => {
            let roots: Vec<serde_json::Value> = runs
                .iter()
                .zip(diffs)
                .map(|(r, d)| {
                    let report = d
                        .as_ref()
                        .map(|d| serde_json::from_str::<serde_json::Value>(&diff::json(d, args.context)).expect("a report is JSON"));
                    serde_json::json!({"root": r.name, "builder": r.builder, "report": report})
                })
                .collect();
            crate::write::json_text(&serde_json::json!({"schemaVersion": crate::write::SCHEMA_VERSION, "roots": roots}))
        }
        DiffFormat::Unified => {
            let mut out = String::new();
            for (run, d) in runs.iter().zip(diffs) {
                out.push_str(&format!("# {}\n", run.heading()));
                match d {
                    Some(d) if d.is_empty() => out.push_str("# no changes\n"),
                    Some(d) => out.push_str(&diff::unified(d, args.context, args.color.enabled())),
                    None => out.push_str("# not rendered: a binding cannot be resolved or the build failed (see the errors)\n"),
                }
            }
            out
        }
        DiffFormat::Markdown => {
            let head = format!("{}\n### bindery diff\n\n", diff::MARKDOWN_MARKER);
            let mut out = head.clone();
            for (run, d) in runs.iter().zip(diffs) {
                out.push_str(&format!("#### `{}`\n\n", run.heading()));
                match d {
                    Some(d) => {
                        let text = diff::markdown(d, args.context);
                        out.push_str(text.strip_prefix(&head).unwrap_or(&text));
                    }
                    None => out.push_str("Not rendered: a binding cannot be resolved or the build failed (see the check).\n"),
                }
                out.push('\n');
            }
            out
        }
    }
}
