//! The command-line shell: parse arguments, run the pipeline once, print its result.
//!
//! Exit status: 0 success; 1 a binding could not be resolved; 2 bad input or usage.
//! On failure nothing is written to stdout (fail closed).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::emit::{self, Emitted};
use crate::resolve::Options;

pub const EXIT_UNRESOLVED: u8 = 1;
pub const EXIT_BAD_INPUT: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "bindery", version, about = "Resolve Kubernetes Service Bindings offline", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the complete rendered manifest set as one multi-document YAML stream.
    Render(RenderArgs),
    /// Show what render would change, as a unified diff (Secret values masked).
    Diff(crate::report::command::DiffArgs),
    /// Resolve everything and report problems; exit 1 on errors.
    Check(crate::report::command::CheckArgs),
    /// Show what each bound container will see: binding files and variables, with their sources.
    Explain(crate::report::command::ExplainArgs),
    /// Write the binding directories one container would get into a local directory.
    Materialize(crate::report::command::MaterializeArgs),
    /// Rewrite Service Binding Operator bindings as servicebinding.io/v1 where the containers
    /// provably see the same; the manifests go to stdout, the report to stderr.
    Migrate(MigrateArgs),
    /// KRM function for kpt and kustomize: a ResourceList on stdin, the rendered list on stdout
    /// (a plain YAML stream is answered with a plain stream). A bare `bindery` does the same.
    Krm(crate::krm::FunctionArgs),
    /// kustomize legacy exec plugin: CONFIG is the BindingResolver file kustomize passes, plain
    /// YAML streams on stdin and stdout.
    KustomizePlugin(crate::krm::PluginArgs),
    /// Argo CD config-management plugin: render the app directory, print only manifests.
    ArgocdCmp(crate::argocd::CmpArgs),
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories (recursive) or '-' for standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Namespace of resources that do not set one.
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// Do not assume the runtime's cronjobs.batch ClusterWorkloadResourceMapping when the input
    /// has none (CronJobs are then treated as PodSpec-able, as on a cluster without it).
    #[arg(long)]
    pub no_default_mappings: bool,
    /// Fail instead of warning when a Service Binding Operator binding forces Secret values to be
    /// copied into a generated Secret (a mapping over secret values, a Secret in another
    /// namespace, bindingPath.secretPath).
    #[arg(long)]
    pub deny_secret_copies: bool,
    /// Binding Secrets that are not in the input and that nothing declares are projected by
    /// name with a warning instead of failing (for repositories whose Secrets live outside Git).
    #[arg(long)]
    pub allow_missing_secrets: bool,
    /// Run-time Secret configuration (conventions, declared Secrets); default: `.bindery.yaml`
    /// at the root of the first input directory.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl InputArgs {
    /// The run's options; `Err` when the config file cannot be read or is invalid (exit 2).
    pub fn options(&self) -> Result<Options, String> {
        let runtime = crate::runtime_secrets::RuntimeConfig::load(self.config.as_deref(), &self.paths)?;
        Ok(Options {
            default_namespace: self.namespace.clone(),
            builtin_mappings: !self.no_default_mappings,
            deny_secret_copies: self.deny_secret_copies,
            allow_missing_secrets: self.allow_missing_secrets,
            runtime,
        })
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
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

/// Run bindery with the process arguments.
pub fn main() -> ExitCode {
    if let Some(code) = crate::krm::intercept() {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_BAD_INPUT } else { 0 });
        }
    };
    match cli.command {
        Command::Render(args) => render(&args),
        Command::Diff(args) => crate::report::command::diff(&args),
        Command::Check(args) => crate::report::command::check(&args),
        Command::Explain(args) => crate::report::command::explain(&args),
        Command::Materialize(args) => crate::report::command::materialize(&args),
        Command::Migrate(args) => migrate(&args),
        Command::Krm(args) => crate::krm::run_filter(&args),
        Command::KustomizePlugin(args) => crate::krm::run_plugin(&args),
        Command::ArgocdCmp(args) => crate::argocd::run(&args),
    }
}

fn eprint(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

fn render(args: &RenderArgs) -> ExitCode {
    let rendered = match crate::report::command::rendered(&args.input, "render") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let docs: Vec<Emitted<'_>> = rendered.emitted(args.keep_bindings, args.drop_mappings);
    match &args.output {
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            if let Err(e) = emit::write_stream(&mut out, &docs) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    eprint(&format!("bindery: cannot write to stdout: {e}\n"));
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
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

fn migrate(args: &MigrateArgs) -> ExitCode {
    use crate::report::command::{loaded, report_problems};
    let (loaded, options) = match loaded(&args.input) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let migration = match crate::migrate::migrate(loaded, &options) {
        Ok(m) => m,
        Err(crate::migrate::Unrenderable(rendered)) => {
            return report_problems(&rendered, "migrate (the input does not render, so no migration can be proven)")
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
            migration.documents.iter().map(|value| Emitted { relative: std::path::Path::new(""), doc: emit::Doc::Value(value) }).collect();
        emit::stream(&docs)
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(stdout_text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprint(&format!("bindery: cannot write to stdout: {e}\n"));
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    }
    if failed {
        ExitCode::from(EXIT_UNRESOLVED)
    } else {
        ExitCode::SUCCESS
    }
}
