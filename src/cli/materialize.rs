//! `bindery materialize`: write the binding directories one container would get into a local
//! directory, to run the application against them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::input::InputArgs;
use super::run::{eprint, print, rendered};
use crate::hosts::config::Config;
use crate::hosts::EXIT_BAD_INPUT;
use crate::write::explain::{self, Reveal};
use crate::write::materialize::{self, Selection};

#[derive(Debug, Args)]
pub struct MaterializeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub exclude: super::input::ExcludeArgs,
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

/// `bindery materialize`.
pub fn materialize(args: &MaterializeArgs) -> ExitCode {
    let (rendered, settings) = match rendered(&args.input, &args.exclude, Config::default(), "materialize") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let reveal = if args.show_secrets { Reveal::All } else { Reveal::NonSecret };
    let report = explain::build(&rendered, &settings.options.default_namespace, reveal);
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
