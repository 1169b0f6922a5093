//! The one configuration every route reads: the `bindery.dev/v1alpha1` `BindingResolver`, whose
//! `spec` holds every option (README "Configuration"). It arrives as a kustomize transformer
//! config, a KRM functionConfig (or kpt's `function-input` ConfigMap), a document in the input
//! (the Argo CD app's or the kpt package's `bindery.yaml`), the project file `.bindery.yaml`
//! (a `BindingResolver`, or its bare `spec` as today's plain format), Argo CD's parameters and
//! `ARGOCD_ENV_BINDERY_*`, or command-line flags.
//!
//! One schema and one validation ([`schema`]: unknown fields are errors; errors name the field
//! and the type, never a value, which may be a Secret someone pasted), one place where the
//! configuration found with the input is looked up ([`found`]), and one precedence rule
//! ([`Layers`]): flags > the given configuration (functionConfig, transformer config, Argo CD
//! parameters and env, `--config FILE`) > the configuration found with the input > defaults.

pub mod found;
pub mod schema;

use std::collections::BTreeMap;

use clap::ValueEnum;

use crate::index::runtime_secrets::{Convention, DeclaredSecret, RuntimeConfig};
use crate::resolve::Options;

pub use schema::{ConfigError, NamespaceError};

/// API group of bindery's configuration kinds.
pub const CONFIG_GROUP: &str = "bindery.dev";
/// `apiVersion` of [`CONFIG_KIND`].
pub const CONFIG_API_VERSION: &str = "bindery.dev/v1alpha1";
/// The configuration kind: kustomize transformer config, KRM functionConfig, Argo CD app file.
pub const CONFIG_KIND: &str = "BindingResolver";
/// Items carrying this annotation with value `"true"` are configuration, never resources.
pub const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";
/// Where kpt writes an item back (relative to the package).
pub const PATH_ANNOTATION: &str = "config.kubernetes.io/path";
/// The item's position in its file.
pub const INDEX_ANNOTATION: &str = "config.kubernetes.io/index";
pub const INTERNAL_PATH_ANNOTATION: &str = "internal.config.kubernetes.io/path";
pub const INTERNAL_INDEX_ANNOTATION: &str = "internal.config.kubernetes.io/index";
/// The accepted configuration keys (canonical spelling), for messages.
pub const CONFIG_KEYS: &str =
    "namespace, keepBindings, dropMappings, defaultMappings, denySecretCopies, allowMissingSecrets, failOn, conventions, secrets";

/// What makes a host run fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    /// Fail when a binding cannot be resolved (the default, as `bindery render`).
    #[default]
    Error,
    /// Also fail on warnings (e.g. `WorkloadVersionMismatch`).
    Warning,
}

/// Every option of a run; each is optional so that sources can be layered (see [`Layers`]).
/// The lists (`conventions`, `secrets`) are merged, entries of the higher-precedence source
/// first (the first matching entry wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Namespace of resources that do not set one.
    pub namespace: Option<String>,
    /// Emit the ServiceBinding documents instead of consuming them.
    pub keep_bindings: Option<bool>,
    /// Consume ClusterWorkloadResourceMapping documents instead of emitting them.
    pub drop_mappings: Option<bool>,
    /// Assume the runtime's `cronjobs.batch` mapping when the input has none.
    pub default_mappings: Option<bool>,
    /// Make copying Secret values into a generated Secret (SBO bindings) an error.
    pub deny_secret_copies: Option<bool>,
    /// Project binding Secrets that nothing declares by name, with a warning.
    pub allow_missing_secrets: Option<bool>,
    pub fail_on: Option<FailOn>,
    /// Operator conventions (before the built-in table).
    pub conventions: Vec<Convention>,
    /// Secrets created at run time by something outside the input.
    pub secrets: Vec<DeclaredSecret>,
}

/// The effective options of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub options: Options,
    pub keep_bindings: bool,
    pub drop_mappings: bool,
    pub fail_on: FailOn,
}

impl Default for Settings {
    fn default() -> Self {
        Config::default().settings()
    }
}

/// The scalar options by their canonical key, as comparable text (for conflicts).
fn scalars(c: &Config) -> [(&'static str, Option<String>); 7] {
    let b = |v: Option<bool>| v.map(|b| b.to_string());
    [
        ("namespace", c.namespace.clone()),
        ("keepBindings", b(c.keep_bindings)),
        ("dropMappings", b(c.drop_mappings)),
        ("defaultMappings", b(c.default_mappings)),
        ("denySecretCopies", b(c.deny_secret_copies)),
        ("allowMissingSecrets", b(c.allow_missing_secrets)),
        ("failOn", c.fail_on.map(|f| format!("{f:?}"))),
    ]
}

impl Config {
    /// `self`, with every scalar that `over` sets replaced and `over`'s list entries first.
    pub fn then(self, over: Config) -> Config {
        fn list<T>(mut first: Vec<T>, rest: Vec<T>) -> Vec<T> {
            first.extend(rest);
            first
        }
        Config {
            namespace: over.namespace.or(self.namespace),
            keep_bindings: over.keep_bindings.or(self.keep_bindings),
            drop_mappings: over.drop_mappings.or(self.drop_mappings),
            default_mappings: over.default_mappings.or(self.default_mappings),
            deny_secret_copies: over.deny_secret_copies.or(self.deny_secret_copies),
            allow_missing_secrets: over.allow_missing_secrets.or(self.allow_missing_secrets),
            fail_on: over.fail_on.or(self.fail_on),
            conventions: list(over.conventions, self.conventions),
            secrets: list(over.secrets, self.secrets),
        }
    }

    pub fn settings(&self) -> Settings {
        let allow_missing_secrets = self.allow_missing_secrets.unwrap_or(false);
        Settings {
            options: Options {
                default_namespace: self.namespace.clone().unwrap_or_else(|| "default".into()),
                builtin_mappings: self.default_mappings.unwrap_or(true),
                deny_secret_copies: self.deny_secret_copies.unwrap_or(false),
                allow_missing_secrets,
                runtime: RuntimeConfig {
                    path: None,
                    conventions: self.conventions.clone(),
                    secrets: self.secrets.clone(),
                    allow_missing_secrets,
                },
            },
            keep_bindings: self.keep_bindings.unwrap_or(false),
            drop_mappings: self.drop_mappings.unwrap_or(false),
            fail_on: self.fail_on.unwrap_or_default(),
        }
    }

    /// The options of a `bindery.dev/v1alpha1` `BindingResolver` document (see
    /// [`schema::from_resolver`]).
    pub fn from_resolver(doc: &crate::doc::value::Value) -> Result<Config, ConfigError> {
        schema::from_resolver(doc, CONFIG_KIND)
    }

    /// A KRM `functionConfig` (see [`schema::from_function_config`]).
    pub fn from_function_config(fc: &crate::doc::value::Value) -> Result<Config, ConfigError> {
        schema::from_function_config(fc)
    }

    /// Set one option from a configuration key (any of `keepBindings`, `keep-bindings`,
    /// `KEEP_BINDINGS`) and a YAML value (strings `"true"`/`"false"` are booleans).
    pub fn set(&mut self, key: &str, value: &crate::doc::value::Value) -> Result<(), ConfigError> {
        schema::set_named(self, key, key, value)
    }
}

/// The configuration found with the input: every source merged in the order found. Lists are
/// concatenated; a scalar two sources set differently is a conflict, an error unless a
/// higher-precedence layer sets that option ([`Layers::effective`]).
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub config: Config,
    /// Where each scalar was set first (canonical key → source label).
    origins: BTreeMap<&'static str, String>,
    conflicts: Vec<(&'static str, String, String)>,
}

impl Found {
    /// Add the configuration of one more source, labelled for messages.
    pub fn add(&mut self, label: &str, config: Config) {
        for ((key, mine), (_, theirs)) in scalars(&self.config).into_iter().zip(scalars(&config)) {
            match (mine, theirs) {
                (Some(a), Some(b)) if a != b => self.conflicts.push((key, self.origins[key].clone(), label.to_string())),
                (None, Some(_)) => {
                    self.origins.insert(key, label.to_string());
                }
                _ => {}
            }
        }
        // The earlier source's scalars stay (a difference is a conflict) and its entries come
        // first: `then` keeps its argument's scalars and puts its argument's entries first.
        self.config = config.then(std::mem::take(&mut self.config));
    }
}

/// The layers of one run, lowest precedence first.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    /// What the host knows as a default (Argo CD: the destination namespace).
    pub defaults: Config,
    /// Found with the input (`.bindery.yaml`, `BindingResolver` documents).
    pub found: Found,
    /// Given by the host for this run (functionConfig, transformer config, Argo CD env and
    /// parameters, `--config FILE`), in increasing precedence.
    pub given: Vec<Config>,
    /// Command-line flags.
    pub flags: Config,
}

impl Layers {
    /// The effective configuration; `Err` on a conflict among the found sources that no higher
    /// layer settles.
    pub fn effective(self) -> Result<Config, ConfigError> {
        let mut above = Config::default();
        for g in self.given {
            above = above.then(g);
        }
        above = above.then(self.flags);
        let settled: Vec<&str> = scalars(&above).iter().filter(|(_, v)| v.is_some()).map(|(k, _)| *k).collect();
        let open: Vec<ConfigError> = self
            .found
            .conflicts
            .into_iter()
            .filter(|(key, _, _)| !settled.contains(key))
            .map(|(option, first, second)| ConfigError::Conflict { option, first, second })
            .collect();
        match open.len() {
            0 => Ok(self.defaults.then(self.found.config).then(above)),
            1 => Err(open.into_iter().next().unwrap()),
            _ => Err(ConfigError::Several(open)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn config_keys_in_any_spelling_unknown_keys_refused() {
        let mut c = Config::default();
        c.set("keep-bindings", &json!("true")).unwrap();
        c.set("NO_DEFAULT_MAPPINGS", &json!("true")).unwrap();
        c.set("fail-on", &json!("warning")).unwrap();
        c.set("denySecretCopies", &json!(true)).unwrap();
        assert!(c.settings().options.deny_secret_copies);
        assert_eq!(c.keep_bindings, Some(true));
        assert_eq!(c.default_mappings, Some(false));
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert!(c.set("namespace", &json!("Not_Valid")).is_err());
        assert!(c.set("keepBindings", &json!("maybe")).is_err());
        assert!(c.set("colour", &json!("red")).unwrap_err().to_string().contains("accepted"));
    }

    fn with(f: impl FnOnce(&mut Config)) -> Config {
        let mut c = Config::default();
        f(&mut c);
        c
    }

    fn secret(name: &str) -> DeclaredSecret {
        DeclaredSecret { name: name.into(), namespace: None, keys: None, created_by: None, origin: None }
    }

    #[test]
    fn layers_flags_over_given_over_found_over_defaults() {
        let mut found = Found::default();
        found.add(
            "a/.bindery.yaml",
            with(|c| {
                c.namespace = Some("found".into());
                c.keep_bindings = Some(true);
                c.secrets = vec![secret("first")];
            }),
        );
        found.add("b/bindery.yaml:1", with(|c| c.secrets = vec![secret("second")]));
        let layers = Layers {
            defaults: with(|c| c.namespace = Some("dflt".into())),
            found,
            given: vec![with(|c| {
                c.namespace = Some("given".into());
                c.secrets = vec![secret("given")];
            })],
            flags: with(|c| c.keep_bindings = Some(false)),
        };
        let c = layers.effective().unwrap();
        assert_eq!(c.namespace.as_deref(), Some("given"));
        assert_eq!(c.keep_bindings, Some(false));
        let names: Vec<&str> = c.secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["given", "first", "second"], "higher layers first, found sources in order");
    }

    #[test]
    fn found_sources_that_disagree_conflict_unless_a_higher_layer_decides() {
        let mut found = Found::default();
        found.add("a/.bindery.yaml", with(|c| c.allow_missing_secrets = Some(true)));
        found.add("b/.bindery.yaml", with(|c| c.allow_missing_secrets = Some(true)));
        found.add("c/bindery.yaml:3", with(|c| c.allow_missing_secrets = Some(false)));
        let e = Layers { found: found.clone(), ..Layers::default() }.effective().unwrap_err().to_string();
        assert!(e.contains("allowMissingSecrets") && e.contains("a/.bindery.yaml") && e.contains("c/bindery.yaml:3"), "{e}");
        let flags = with(|c| c.allow_missing_secrets = Some(false));
        assert_eq!(Layers { found, flags, ..Layers::default() }.effective().unwrap().allow_missing_secrets, Some(false));
    }
}
