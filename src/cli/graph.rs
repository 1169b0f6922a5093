//! `bindery graph`: services → bindings → workloads and containers, as Mermaid, Graphviz DOT
//! or Markdown (a Mermaid block per root, for a pull request). Problems are highlighted, not
//! fatal: the graph of a run whose bindings fail is printed too (exit 0; `check` is the gate),
//! and only unreadable input exits 2.

use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::input::ExcludeArgs;
use super::input::InputArgs;
use super::repo::{render_sets, worst, KustomizeArgs};
use super::run::print;
use crate::hosts::config::Config;
use crate::hosts::EXIT_BAD_INPUT;
use crate::write::graph;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (one subgraph per root in repository mode).
    #[default]
    Mermaid,
    /// A Graphviz digraph (one cluster per root).
    Dot,
    /// Markdown with one ```mermaid block per root (GitHub renders it).
    Markdown,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
    #[command(flatten)]
    pub kustomize: KustomizeArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: GraphFormat,
}

/// `bindery graph`.
pub fn graph(args: &GraphArgs) -> ExitCode {
    let runs = match render_sets(&args.input, &args.exclude, args.kustomize.mode(), &args.kustomize, Config::default(), "render") {
        Ok(runs) => runs,
        Err(code) => return code,
    };
    let code = runs.iter().map(|r| if r.code == EXIT_BAD_INPUT { r.code } else { 0 }).fold(0, worst);
    let several = runs.len() > 1;
    let graphs: Vec<(Option<String>, graph::Graph)> = runs
        .iter()
        .filter_map(|r| {
            let (rendered, settings) = r.rendered.as_ref().zip(r.settings.as_ref())?;
            Some((several.then(|| r.heading()), graph::build(rendered, &settings.options.default_namespace)))
        })
        .collect();
    if graphs.is_empty() {
        return ExitCode::from(code);
    }
    let text = match args.format {
        GraphFormat::Mermaid => graph::to_mermaid(&graphs),
        GraphFormat::Dot => graph::to_dot(&graphs),
        GraphFormat::Markdown => graph::to_markdown(&graphs),
    };
    match print(&text) {
        Ok(()) => ExitCode::from(code),
        Err(code) => code,
    }
}
