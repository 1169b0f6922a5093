//! `bindery krm`, `bindery kustomize-plugin`, and the invocations without a subcommand that kpt
//! and kustomize make: thin shells that read stdin and hand it to [`crate::hosts::krm`].

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser};

use crate::doc::value::Value;
use crate::hosts::config::schema::parse_namespace;
use crate::hosts::config::{found, Config, ConfigError, FailOn};
use crate::hosts::krm::{filter, StreamHost};
use crate::hosts::kustomize::{plugin_config, LEGACY_PLUGIN_NAME};
use crate::hosts::output::clap_exit;
use crate::hosts::Outcome;
use crate::load;

/// Flags of the host modes (same meaning as `bindery render`'s); they override the
/// functionConfig or plugin config.
#[derive(Debug, Clone, Default, Args)]
pub struct FunctionArgs {
    /// Namespace of resources that do not set one [default: default].
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Also emit the ServiceBinding documents (by default they are consumed).
    #[arg(long)]
    pub keep_bindings: bool,
    /// Also consume ClusterWorkloadResourceMapping documents.
    #[arg(long)]
    pub drop_mappings: bool,
    /// Do not assume the runtime's cronjobs.batch ClusterWorkloadResourceMapping.
    #[arg(long)]
    pub no_default_mappings: bool,
    /// Fail instead of warning when a Service Binding Operator binding forces Secret values to
    /// be copied into a generated Secret.
    #[arg(long)]
    pub deny_secret_copies: bool,
    /// Binding Secrets that are not in the input and that nothing declares are projected by
    /// name with a warning instead of failing.
    #[arg(long)]
    pub allow_missing_secrets: bool,
    /// Fail on warnings too, not only on errors.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// A configuration file (a BindingResolver, or the plain format of .bindery.yaml); it ranks
    /// above a functionConfig or plugin config, below the other flags (README "Configuration").
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `bindery kustomize-plugin [CONFIG]`: the kustomize legacy exec plugin.
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// The plugin config file kustomize passes (default: $KUSTOMIZE_PLUGIN_CONFIG_STRING).
    #[arg(value_name = "CONFIG")]
    pub plugin_config: Option<PathBuf>,
    #[command(flatten)]
    pub flags: FunctionArgs,
}

/// A bare `bindery [FLAGS]`: how kpt and kustomize run an exec KRM function.
#[derive(Debug, Parser)]
#[command(name = "bindery", about = "Resolve Kubernetes Service Bindings offline (filter mode: stdin to stdout)")]
struct FilterCli {
    #[command(flatten)]
    flags: FunctionArgs,
}

/// The legacy plugin executable installed as `…/bindingresolver/BindingResolver`.
#[derive(Debug, Parser)]
#[command(name = LEGACY_PLUGIN_NAME, about = "bindery as a kustomize legacy exec plugin")]
struct PluginCli {
    #[command(flatten)]
    args: PluginArgs,
}

impl FunctionArgs {
    /// Command-line flags: only what was given (an invalid namespace is refused).
    pub fn flags(&self) -> Result<Config, ConfigError> {
        let namespace = match &self.namespace {
            Some(ns) => parse_namespace("--namespace", &Value::from(ns.clone()))?,
            None => None,
        };
        Ok(Config {
            namespace,
            keep_bindings: self.keep_bindings.then_some(true),
            drop_mappings: self.drop_mappings.then_some(true),
            default_mappings: self.no_default_mappings.then_some(false),
            deny_secret_copies: self.deny_secret_copies.then_some(true),
            allow_missing_secrets: self.allow_missing_secrets.then_some(true),
            fail_on: self.fail_on,
            ..Config::default()
        })
    }

    /// The `--config FILE` configuration (empty without the flag).
    pub fn config_file(&self) -> Result<Config, ConfigError> {
        self.config.as_deref().map_or_else(|| Ok(Config::default()), found::given_file)
    }
}

/// Called first by [`super::main`]: runs the invocations that have no subcommand.
///
/// * argv\[0\] named `BindingResolver` (the binary installed, or symlinked, as the kustomize
///   legacy plugin): the plugin, config file in argv\[1\];
/// * no arguments with stdin not a terminal, or only flags: the filter (KRM function).
///
/// Returns `None` when the ordinary command line applies.
pub fn intercept() -> Option<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(Path::new).and_then(Path::file_name).and_then(|n| n.to_str());
    if argv0 == Some(LEGACY_PLUGIN_NAME) {
        return Some(match PluginCli::try_parse_from(&args) {
            Ok(cli) => run_plugin(&cli.args),
            Err(e) => clap_exit(&e),
        });
    }
    match args.get(1).and_then(|a| a.to_str()) {
        None if std::io::stdin().is_terminal() => None,
        None => Some(run_filter(&FunctionArgs::default())),
        Some("-h" | "--help" | "-V" | "--version") => None,
        Some(flag) if flag.starts_with('-') && flag != "-" => Some(match FilterCli::try_parse_from(&args) {
            Ok(cli) => run_filter(&cli.flags),
            Err(e) => clap_exit(&e),
        }),
        _ => None,
    }
}

/// Standard input, or the outcome that reports why it cannot be read.
fn read_stdin() -> Result<Vec<u8>, Outcome> {
    load::read_stdin().map_err(|e| Outcome::bad_input(format!("cannot read standard input: {e}")))
}

/// `bindery` / `bindery krm`: a ResourceList in, a ResourceList out; a plain stream in, a plain
/// stream out (a pipe, or Helm's post-renderer).
pub fn run_filter(flags: &FunctionArgs) -> ExitCode {
    let (given, flags) = match flags.config_file().and_then(|given| Ok((given, flags.flags()?))) {
        Ok(c) => c,
        Err(e) => return Outcome::bad_input(e).finish(),
    };
    match read_stdin() {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            Outcome::bad_input("nothing on standard input: expected a ResourceList or a YAML stream (see bindery --help)").finish()
        }
        Ok(bytes) => filter(bytes, &given, &flags, StreamHost::Pipe).finish(),
        Err(outcome) => outcome.finish(),
    }
}

/// `bindery kustomize-plugin CONFIG`: kustomize's legacy exec plugin protocol.
pub fn run_plugin(args: &PluginArgs) -> ExitCode {
    let config = plugin_config(args.plugin_config.as_deref(), std::env::var("KUSTOMIZE_PLUGIN_CONFIG_STRING").ok())
        .and_then(|plugin| Ok(plugin.then(args.flags.config_file()?)))
        .and_then(|given| Ok((given, args.flags.flags()?)));
    let (given, flags) = match config {
        Ok(c) => c,
        Err(e) => return Outcome::bad_input(e).finish(),
    };
    match read_stdin() {
        Ok(bytes) => filter(bytes, &given, &flags, StreamHost::KustomizePlugin).finish(),
        Err(outcome) => outcome.finish(),
    }
}

#[cfg(test)]
pub(super) mod tests_support {
    /// clap's checks of the command lines without a subcommand.
    pub fn debug_assert() {
        use clap::CommandFactory;
        super::FilterCli::command().debug_assert();
        super::PluginCli::command().debug_assert();
    }
}
