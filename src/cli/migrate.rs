//! `bindery migrate`: Service Binding Operator bindings rewritten as servicebinding.io/v1 where
//! the containers provably see the same; the manifests go to stdout, the report to stderr.

use std::process::ExitCode;

use clap::Args;

use super::input::InputArgs;
use super::run::{eprint, loaded, print, report_problems};
use crate::hosts::config::Config;
use crate::hosts::EXIT_UNRESOLVED;
use crate::project::rendered::{Doc, Emitted};
use crate::write::emit;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum MigrateFormat {
    /// One block per binding: migrated, or not migrated with the reasons.
    #[default]
    Human,
    /// The JSON schema documented in the README.
    Json,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub exclude: super::input::ExcludeArgs,
    /// Format of the report.
    #[arg(long, value_enum, default_value_t)]
    pub format: MigrateFormat,
    /// Exit with 1 (and print no manifests) when a binding cannot be migrated.
    #[arg(long)]
    pub check: bool,
    /// Print the report on stdout instead of the manifests.
    #[arg(long)]
    pub report_only: bool,
}

/// `bindery migrate`.
pub fn migrate(args: &MigrateArgs) -> ExitCode {
    let (loaded, settings) = match loaded(&args.input, &args.exclude, Config::default()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    // A progress line for long runs, on a terminal only (never in a pipe or a log).
    let started = std::time::Instant::now();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let shown = std::sync::atomic::AtomicBool::new(false);
    let progress = |done: usize, total: usize| {
        if terminal && (done == total || started.elapsed().as_secs() >= 1) {
            shown.store(true, std::sync::atomic::Ordering::Relaxed);
            eprint!("\rbindery migrate: proving candidates, group {done} of {total}\x1b[K");
        }
    };
    let result = crate::migrate::migrate_with_progress(loaded, &settings.options, &progress);
    if shown.load(std::sync::atomic::Ordering::Relaxed) {
        eprint!("\r\x1b[K");
    }
    let migration = match result {
        Ok(m) => m,
        Err(crate::migrate::Unrenderable(rendered)) => {
            return report_problems(&rendered, settings.fail_on, "migrate (the input does not render, so no migration can be proven)")
                .err()
                .unwrap_or(ExitCode::from(EXIT_UNRESOLVED));
        }
    };
    let report = match args.format {
        MigrateFormat::Human => crate::migrate::to_text(&migration),
        MigrateFormat::Json => crate::migrate::to_json(&migration),
    };
    let failed = args.check && !migration.all_migrated();
    let stdout_text = if args.report_only {
        report
    } else {
        eprint(&report);
        if failed {
            return ExitCode::from(EXIT_UNRESOLVED);
        }
        // `loaded` went into the migration; documents keep their input files for `-o`-style use.
        let docs: Vec<Emitted<'_>> =
            migration.documents.iter().map(|value| Emitted { relative: std::path::Path::new(""), doc: Doc::Value(value) }).collect();
        emit::stream(&docs)
    };
    if let Err(code) = print(&stdout_text) {
        return code;
    }
    if failed {
        ExitCode::from(EXIT_UNRESOLVED)
    } else {
        ExitCode::SUCCESS
    }
}
