//! `bindery argocd-cmp`: the Argo CD config-management plugin's `generate` command, a thin shell
//! over [`crate::hosts::argocd`] with the process environment.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::krm::FunctionArgs;
use crate::hosts::argocd::{generate, App};
use crate::hosts::Outcome;

#[derive(Debug, Args)]
pub struct CmpArgs {
    /// The application directory (Argo CD runs the plugin with it as the working directory).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub flags: FunctionArgs,
}

/// `bindery argocd-cmp`, with the process environment.
pub fn run(args: &CmpArgs) -> ExitCode {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let flags = match args.flags.flags().and_then(|flags| Ok(args.flags.config_file()?.then(flags))) {
        Ok(f) => f,
        Err(e) => return Outcome::bad_input(e).finish(),
    };
    let app = App { paths: args.paths.clone(), flags };
    generate(&app, &env).finish()
}
