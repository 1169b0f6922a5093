//! The arguments every command that reads input shares: paths, namespace, resolution options,
//! and the colour choice of the human reports.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use std::process::ExitCode;

use crate::load::exclude::Exclusions;

use crate::doc::value::Value;
use crate::hosts::config::schema::parse_namespace;
use crate::hosts::config::{found, Config, ConfigError, Layers};
use crate::hosts::run::take_configuration;
use crate::load::Loaded;

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, directories (recursive) or '-' for standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Namespace of resources that do not set one [default: default; empty: the default].
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
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
    /// A configuration file (a BindingResolver, or the plain format of .bindery.yaml) instead of
    /// the .bindery.yaml next to each input path; see README "Configuration".
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl InputArgs {
    /// The flags of this command line (`extra`: the command's own, such as `--keep-bindings`).
    pub fn flags(&self, extra: Config) -> Result<Config, ConfigError> {
        let namespace = match &self.namespace {
            Some(ns) => parse_namespace("--namespace", &Value::from(ns.clone()))?,
            None => None,
        };
        let flags = Config {
            namespace,
            default_mappings: self.no_default_mappings.then_some(false),
            deny_secret_copies: self.deny_secret_copies.then_some(true),
            allow_missing_secrets: self.allow_missing_secrets.then_some(true),
            ..Config::default()
        };
        Ok(flags.then(extra))
    }

    /// The run's configuration (README "Configuration"): the flags, over the `--config` file,
    /// over what is found with the input (`.bindery.yaml` next to each path, the
    /// `BindingResolver` documents in it). Bindery's configuration and the other documents that
    /// are not resources to render are taken out of `loaded`.
    pub fn configuration(&self, loaded: &mut Loaded, extra: Config) -> Result<Config, ConfigError> {
        let config_docs = take_configuration(loaded);
        let flags = self.flags(extra)?;
        let found = found::for_paths(&self.paths, &loaded.files, &config_docs, self.config.is_some())?;
        let given = self.config.as_deref().map(found::given_file).transpose()?.into_iter().collect();
        Layers { found, given, flags, ..Layers::default() }.effective()
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

/// `--exclude`, on every command that reads files.
#[derive(Debug, Clone, Default, Args)]
pub struct ExcludeArgs {
    /// Leave out paths matching GLOB (gitignore syntax, relative to each input directory;
    /// repeatable). `.binderyignore` files (gitignore syntax) are read as well.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
}

impl ExcludeArgs {
    pub fn exclusions(&self) -> Exclusions {
        Exclusions { patterns: self.exclude.clone() }
    }

    /// The exclusions, every pattern checked (a bad one is a usage error on stderr, exit 2).
    pub fn checked(&self) -> Result<Exclusions, ExitCode> {
        let exclusions = self.exclusions();
        if let Err(e) = exclusions.validate() {
            crate::hosts::output::eprint(&format!("bindery: {e}\n"));
            return Err(ExitCode::from(crate::hosts::EXIT_BAD_INPUT));
        }
        Ok(exclusions)
    }
}
