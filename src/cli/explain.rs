//! `bindery explain`: what each bound container will see — binding files and variables, with
//! their sources (values only on request).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::ExcludeArgs;
use super::input::InputArgs;
use super::repo::{json_roots, render_sets, worst, KustomizeArgs};
use super::run::print;
use crate::hosts::config::{Config, Settings};
use crate::write::explain::{self, Reveal};

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
    #[command(flatten)]
    pub exclude: ExcludeArgs,
    #[command(flatten)]
    pub kustomize: KustomizeArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: ExplainFormat,
    /// Show values that are not secret (binding overrides, ConfigMap entries, literals).
    #[arg(long)]
    pub show_values: bool,
    /// Show Secret values too (implies --show-values).
    #[arg(long)]
    pub show_secrets: bool,
}

/// `bindery explain`.
pub fn explain(args: &ExplainArgs) -> ExitCode {
    let runs = match render_sets(&args.input, &args.exclude, args.kustomize.mode(), &args.kustomize, Config::default(), "explain") {
        Ok(runs) => runs,
        Err(code) => return code,
    };
    let reveal = match (args.show_secrets, args.show_values) {
        (true, _) => Reveal::All,
        (false, true) => Reveal::NonSecret,
        (false, false) => Reveal::Nothing,
    };
    let one = |rendered: &crate::Rendered, settings: &Settings| {
        let report = explain::build(rendered, &settings.options.default_namespace, reveal);
        match args.format {
            ExplainFormat::Human => explain::to_text(&report),
            ExplainFormat::Json => explain::to_json(&report),
        }
    };
    let code = runs.iter().map(|r| r.code).fold(0, worst);
    let text = match (runs.len(), args.format) {
        (1, _) => runs[0].ok_with_settings().map_or_else(String::new, |(r, s)| one(r, s)),
        (_, ExplainFormat::Json) => json_roots(&runs, one),
        (_, ExplainFormat::Human) => runs
            .iter()
            .map(|r| {
                let text = r.ok_with_settings().map_or_else(|| "not rendered (see the errors)\n".to_string(), |(r, s)| one(r, s));
                format!("== {} ==\n{text}", r.heading())
            })
            .collect::<Vec<_>>()
            .join("\n"),
    };
    match print(&text) {
        Ok(()) => ExitCode::from(code),
        Err(code) => code,
    }
}
