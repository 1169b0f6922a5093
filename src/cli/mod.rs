//! The command-line shell: parse arguments, run the pipeline once, print its result. One file
//! per command; the hosts' own entry points (`krm`, `kustomize-plugin`, `argocd-cmp`) are thin
//! shells over [`crate::hosts`].
//!
//! Exit status: 0 success; 1 a binding could not be resolved; 2 bad input or usage
//! ([`crate::hosts::EXIT_UNRESOLVED`], [`crate::hosts::EXIT_BAD_INPUT`]). On failure nothing is
//! written to stdout (fail closed).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod argocd;
pub mod check;
pub mod completions;
pub mod diff;
pub mod explain;
pub mod graph;
pub mod input;
pub mod krm;
pub mod materialize;
pub mod migrate;
pub mod render;
pub mod repo;
pub mod run;

#[derive(Debug, Parser)]
#[command(name = "bindery", version = env!("BINDERY_VERSION"), about = "Resolve Kubernetes Service Bindings offline", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the complete rendered manifest set as one multi-document YAML stream.
    Render(render::RenderArgs),
    /// Show what render would change, as a unified diff (Secret values masked).
    Diff(diff::DiffArgs),
    /// Resolve everything and report problems; exit 1 on errors.
    Check(check::CheckArgs),
    /// Show what each bound container will see: binding files and variables, with their sources.
    Explain(explain::ExplainArgs),
    /// Draw services → bindings → workloads and containers, with how data is delivered and
    /// problems highlighted (Mermaid, Graphviz DOT, or Markdown for a pull request).
    Graph(graph::GraphArgs),
    /// Write the binding directories one container would get into a local directory.
    Materialize(materialize::MaterializeArgs),
    /// Rewrite Service Binding Operator bindings as servicebinding.io/v1 where the containers
    /// provably see the same; the manifests go to stdout, the report to stderr.
    Migrate(migrate::MigrateArgs),
    /// KRM function for kpt and kustomize: a ResourceList on stdin, the rendered list on stdout
    /// (a plain YAML stream is answered with a plain stream). A bare `bindery` does the same.
    Krm(krm::FunctionArgs),
    /// kustomize legacy exec plugin: CONFIG is the BindingResolver file kustomize passes, plain
    /// YAML streams on stdin and stdout.
    KustomizePlugin(krm::PluginArgs),
    /// Argo CD config-management plugin: render the app directory, print only manifests.
    ArgocdCmp(argocd::CmpArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page (or write one per command with --dir).
    Man(completions::ManArgs),
}

/// Run bindery with the process arguments.
pub fn main() -> ExitCode {
    if let Some(code) = krm::intercept() {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return crate::hosts::output::clap_exit(&e),
    };
    match cli.command {
        Command::Render(args) => render::render(&args),
        Command::Diff(args) => diff::diff(&args),
        Command::Check(args) => check::check(&args),
        Command::Explain(args) => explain::explain(&args),
        Command::Graph(args) => graph::graph(&args),
        Command::Materialize(args) => materialize::materialize(&args),
        Command::Migrate(args) => migrate::migrate(&args),
        Command::Krm(args) => krm::run_filter(&args),
        Command::KustomizePlugin(args) => krm::run_plugin(&args),
        Command::ArgocdCmp(args) => argocd::run(&args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
        super::krm::tests_support::debug_assert();
    }
}
