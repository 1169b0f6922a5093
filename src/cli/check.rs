//! `bindery check`: every problem of one run — resolution problems and unreadable input alike —
//! for humans, as JSON, as GitHub workflow commands or as SARIF; exit 1 on errors.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::{ColorChoice, InputArgs};
use super::run::{print, settings};
use crate::bindings::{classify, BindingDocKind};
use crate::hosts::config::{Config, FailOn};
use crate::hosts::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::load_paths;
use crate::write::check::{self, CheckReport};

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

/// `bindery check`.
pub fn check(args: &CheckArgs) -> ExitCode {
    let color = args.color.enabled();
    let format = |report: &CheckReport<'_>, documents: &[crate::doc::document::Document]| match args.format {
        CheckFormat::Human => check::to_human(report, documents, color),
        CheckFormat::Json => check::to_json(report),
        CheckFormat::Github => check::to_github(report),
        CheckFormat::Sarif => check::to_sarif(report),
    };
    let mut loaded = match load_paths(&args.input.paths) {
        Ok(l) => l,
        Err(errors) => {
            let report = CheckReport::from_load_errors(&errors);
            if let Err(code) = print(&format(&report, &[])) {
                return code;
            }
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let settings = match settings(&args.input, &mut loaded, Config::default()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let rendered = crate::render(loaded, &settings.options);
    let documents = &rendered.loaded.documents;
    let bindings = documents
        .iter()
        .filter(|d| matches!(classify(d), Some(BindingDocKind::ServiceBinding(_) | BindingDocKind::OperatorServiceBinding)))
        .count();
    let report = CheckReport::from_problems(rendered.problems(), documents.len(), bindings);
    if let Err(code) = print(&format(&report, documents)) {
        return code;
    }
    if report.fails(args.strict || settings.fail_on == FailOn::Warning) {
        ExitCode::from(EXIT_UNRESOLVED)
    } else {
        ExitCode::SUCCESS
    }
}
