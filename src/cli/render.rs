//! `bindery render`: the rendered manifest set, as one YAML stream on stdout, a file, or a
//! directory mirroring the input layout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::input::ExcludeArgs;
use super::input::InputArgs;
use super::repo::{render_sets, KustomizeArgs};
use super::run::eprint;
use crate::hosts::config::Config;
use crate::hosts::{output, EXIT_BAD_INPUT};
use crate::project::rendered::Emitted;
use crate::repo::Mode;
use crate::write::emit;

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub exclude: ExcludeArgs,
    #[command(flatten)]
    pub kustomize: KustomizeArgs,
    /// Write files mirroring the input layout into this directory (or, for a path ending in
    /// .yaml/.yml, the stream into that file) instead of printing to stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Also emit the ServiceBinding documents (by default they are consumed, so an in-cluster
    /// operator does not bind a second time).
    #[arg(long)]
    pub keep_bindings: bool,
    /// Also consume ClusterWorkloadResourceMapping documents (by default they are emitted:
    /// they are cluster configuration, and a GitOps tool would otherwise prune them).
    #[arg(long)]
    pub drop_mappings: bool,
}

/// `bindery render`.
pub fn render(args: &RenderArgs) -> ExitCode {
    let extra = Config {
        keep_bindings: args.keep_bindings.then_some(true),
        drop_mappings: args.drop_mappings.then_some(true),
        ..Config::default()
    };
    let mode = match args.kustomize.kustomize_roots.as_slice() {
        [] => Mode::Off,
        [_] => Mode::Roots(args.kustomize.kustomize_roots.clone()),
        _ => {
            eprint("bindery: render builds one kustomization at a time: give --kustomize-root once\n");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let kustomize = KustomizeArgs { kustomize_order: true, ..args.kustomize.clone() };
    let (rendered, settings) = match render_sets(&args.input, &args.exclude, mode, &kustomize, extra, "render") {
        Ok(runs) => match runs.into_iter().next() {
            Some(crate::cli::repo::SetRun { rendered: Some(rendered), settings: Some(settings), code: 0, .. }) => (rendered, settings),
            Some(run) => return ExitCode::from(run.code),
            None => return ExitCode::from(EXIT_BAD_INPUT),
        },
        Err(code) => return code,
    };
    let docs: Vec<Emitted<'_>> = rendered.emitted(settings.keep_bindings, settings.drop_mappings);
    match &args.output {
        None => {
            if let Err(code) = output::write_stdout(|out| emit::write_stream(out, &docs)) {
                return ExitCode::from(code);
            }
        }
        Some(out) => {
            let is_file = out.extension().is_some_and(|e| e == "yaml" || e == "yml") && !out.is_dir();
            let result = if is_file {
                out.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(out, emit::stream(&docs)))
            } else {
                emit::write_dir(out, &docs).map(|_| ())
            };
            if let Err(e) = result {
                eprint(&format!("bindery: cannot write {}: {e}\n", out.display()));
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        }
    }
    // The process ends here: freeing every document one by one would cost a tenth of a large
    // render for nothing.
    drop(docs);
    std::mem::forget(rendered);
    ExitCode::SUCCESS
}
