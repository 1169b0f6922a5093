//! The arguments every command that reads input shares: paths, namespace, resolution options,
//! and the colour choice of the human reports.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::resolve::Options;

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
    /// Accept an input path that holds no Kubernetes resource (by default that is an error: an
    /// empty set given to `kubectl apply --prune` prunes everything).
    #[arg(long)]
    pub allow_empty: bool,
    /// List on stderr every file the input's ignore rules left out.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

impl InputArgs {
    /// How to load the paths.
    pub fn load_options(&self) -> crate::load::LoadOptions {
        crate::load::LoadOptions { allow_empty: self.allow_empty, list_ignored: self.verbose }
    }

    /// The run's options; `Err` when the config file cannot be read or is invalid (exit 2).
    pub fn options(&self) -> Result<Options, String> {
        let runtime = crate::index::runtime_secrets::RuntimeConfig::load(self.config.as_deref(), &self.paths)?;
        Ok(Options {
            default_namespace: self.namespace.clone(),
            builtin_mappings: !self.no_default_mappings,
            deny_secret_copies: self.deny_secret_copies,
            allow_missing_secrets: self.allow_missing_secrets,
            runtime,
        })
    }
}

/// When to colour terminal output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        }
    }
}
