//! `bindery check`: every problem of one run — resolution problems and unreadable input alike —
//! for humans, as JSON, as GitHub workflow commands or as SARIF; exit 1 on errors.
//!
//! In repository mode each built kustomization (and the files outside every one) is checked on
//! its own and the reports are merged: every finding names its root, the totals add up, and
//! the exit code is the worst of the sets'.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::ExcludeArgs;
use super::input::{ColorChoice, InputArgs};
use super::repo::{heading, settings as repo_settings, skipped_problem, worst, KustomizeArgs};
use super::run::{print, settings};
use crate::bindings::{classify, BindingDocKind};
use crate::doc::document::Document;
use crate::hosts::config::{Config, FailOn};
use crate::hosts::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::LoadError;
use crate::model::problem::Problem;
use crate::model::rules::Rule;
use crate::project::rendered::Rendered;
use crate::write::check::{self, CheckReport, Origin};
use crate::write::diagnostics::{render_load_error_for, render_problem_for};

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
    #[command(flatten)]
    pub exclude: ExcludeArgs,
    #[command(flatten)]
    pub kustomize: KustomizeArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: CheckFormat,
    /// Warnings fail the check too.
    #[arg(long)]
    pub strict: bool,
    /// Colour human diagnostics.
    #[arg(long, value_enum, default_value_t)]
    pub color: ColorChoice,
}

/// One set of the run, resolved (or why it could not be read).
struct Checked {
    name: String,
    builder: Option<String>,
    rendered: Result<Rendered, Vec<LoadError>>,
}

impl Checked {
    fn report(&self) -> CheckReport<'_> {
        match &self.rendered {
            Ok(rendered) => {
                let documents = &rendered.loaded.documents;
                let bindings = documents
                    .iter()
                    .filter(|d| matches!(classify(d), Some(BindingDocKind::ServiceBinding(_) | BindingDocKind::OperatorServiceBinding)))
                    .count();
                CheckReport::from_problems(rendered.problems(), documents.len(), bindings)
            }
            Err(errors) => CheckReport::from_load_errors(errors),
        }
    }

    fn documents(&self) -> &[Document] {
        self.rendered.as_ref().map_or(&[], |r| &r.loaded.documents)
    }
}

/// `bindery check`.
pub fn check(args: &CheckArgs) -> ExitCode {
    let repo_settings = match repo_settings(&args.exclude, args.kustomize.mode(), &args.kustomize) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let repo = match crate::repo::load(&args.input.paths, &repo_settings) {
        Ok(r) => r,
        Err(errors) => {
            let report = CheckReport::from_load_errors(&errors);
            if let Err(code) = print(&format(args, &report, &[])) {
                return code;
            }
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let mut notices: Vec<Problem> = repo.skipped.iter().map(skipped_problem).collect();
    notices.extend(repo.covered.iter().map(|c| Problem::notice(Rule::SkippedInput, c.clone())));
    let kustomize = repo.builder.clone();
    // Every set with the configuration found with the input (README "Configuration");
    // `failOn: warning` in it makes the check strict.
    let mut strict = args.strict;
    let mut checked: Vec<Checked> = Vec::with_capacity(repo.sets.len());
    for set in repo.sets {
        let rendered = match set.loaded {
            Ok(mut loaded) => {
                let settings = match settings(&args.input, &mut loaded, Config::default()) {
                    Ok(s) => s,
                    Err(code) => return code,
                };
                strict |= settings.fail_on == FailOn::Warning;
                Ok(crate::render(loaded, &settings.options))
            }
            Err(errors) => Err(errors),
        };
        checked.push(Checked { name: set.name, builder: set.builder, rendered });
    }
    let notice_findings = CheckReport::from_problems(&notices, 0, 0).findings;
    let reports: Vec<CheckReport<'_>> = checked.iter().map(Checked::report).collect();
    let unreadable = reports.iter().any(|r| r.unreadable);
    let report = match &kustomize {
        None => reports[0].clone().with_notices(notice_findings),
        Some(_) => CheckReport::merge(
            notice_findings,
            checked.iter().zip(reports.iter().cloned()).map(|(c, r)| (c.name.clone(), c.builder.clone(), r)).collect(),
        ),
    };
    let text = match (args.format, &kustomize) {
        (CheckFormat::Human, Some(builder)) => human(&report, &checked, &reports, builder, args.color.enabled()),
        _ => format(args, &report, checked.first().map_or(&[], Checked::documents)),
    };
    if let Err(code) = print(&text) {
        return code;
    }
    let code = if report.fails(strict) { EXIT_UNRESOLVED } else { 0 };
    ExitCode::from(worst(code, if unreadable { EXIT_BAD_INPUT } else { 0 }))
}

fn format(args: &CheckArgs, report: &CheckReport<'_>, documents: &[Document]) -> String {
    match args.format {
        CheckFormat::Human => check::to_human(report, documents, args.color.enabled()),
        CheckFormat::Json => check::to_json(report),
        CheckFormat::Github => check::to_github(report),
        CheckFormat::Sarif => check::to_sarif(report),
    }
}

/// Each finding as a diagnostic (quoting `documents`' files with Secret lines masked).
fn diagnostics(findings: &[check::Finding<'_>], documents: &[Document], color: bool) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&match f.origin {
            Origin::Problem(p) => render_problem_for(p, documents, color),
            Origin::Load(e) => render_load_error_for(e, color),
        });
        out.push('\n');
    }
    out
}

/// Repository mode for humans: the notices, then one section per set (no heading when there is
/// one), then the totals.
fn human(report: &CheckReport<'_>, checked: &[Checked], reports: &[CheckReport<'_>], builder: &str, color: bool) -> String {
    let notices = report.findings.iter().filter(|f| f.root.is_none()).cloned().collect::<Vec<_>>();
    let mut out = diagnostics(&notices, &[], color);
    let several = checked.len() > 1;
    for (c, r) in checked.iter().zip(reports) {
        if several {
            out.push_str(&format!("== {} ==\n", heading(&c.name, c.builder.as_deref())));
        }
        out.push_str(&diagnostics(&r.findings, c.documents(), color));
        if several {
            out.push_str(&format!("{}: {}\n", c.name, check::summary(r)));
        }
    }
    let built = checked.iter().filter(|c| c.builder.is_some()).count();
    let sets = if built == 1 {
        format!("{} built with {builder}", checked.iter().find(|c| c.builder.is_some()).map_or("", |c| c.name.as_str()))
    } else {
        format!("{built} kustomizations built with {builder}")
    };
    out.push_str(&format!("bindery check: {}; {sets}\n", check::summary(report)));
    out
}
