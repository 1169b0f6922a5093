//! `bindery explain`: what each bound container will see — binding files and variables, with
//! their sources (values only on request).

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::InputArgs;
use super::run::{print, rendered};
use crate::hosts::config::Config;
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
    let (rendered, settings) = match rendered(&args.input, Config::default(), "explain") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reveal = match (args.show_secrets, args.show_values) {
        (true, _) => Reveal::All,
        (false, true) => Reveal::NonSecret,
        (false, false) => Reveal::Nothing,
    };
    let report = explain::build(&rendered, &settings.options.default_namespace, reveal);
    let text = match args.format {
        ExplainFormat::Human => explain::to_text(&report),
        ExplainFormat::Json => explain::to_json(&report),
    };
    match print(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
