//! Hosts: what bindery is run by — the command line, kpt and kustomize ([`krm`], [`kustomize`]),
//! Argo CD ([`argocd`]), Helm ([`helm`]) — and what every host shares: one run over a list of documents and its
//! output set ([`run`]), the configuration every route reads ([`config`]), the outcome and exit
//! status of a run, and the process output plumbing ([`output`]).
//!
//! Exit status, for every host: 0 success; 1 a binding could not be resolved; 2 bad input or
//! usage. On failure nothing goes to stdout (fail closed).

pub mod argocd;
pub mod config;
pub mod helm;
pub mod krm;
pub mod kustomize;
pub mod output;
pub mod run;

use std::process::ExitCode;

/// Exit status: a binding could not be resolved (or a check failed).
pub const EXIT_UNRESOLVED: u8 = 1;
/// Exit status: bad input or usage (unparseable YAML, unreadable path, bad option).
pub const EXIT_BAD_INPUT: u8 = 2;

/// What a host run prints, and its exit status.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Outcome {
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        Outcome { stdout: String::new(), stderr: format!("bindery: error: {message}\n"), code: EXIT_BAD_INPUT }
    }

    /// Print stderr, then stdout (a closed pipe is not an error), and exit with the code.
    pub fn finish(self) -> ExitCode {
        output::eprint(&self.stderr);
        match output::print(&self.stdout) {
            Ok(()) => ExitCode::from(self.code),
            Err(code) => ExitCode::from(code),
        }
    }
}
