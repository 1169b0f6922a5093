//! The configuration every route reads: a `bindery.dev/v1alpha1` `BindingResolver` (a kustomize
//! transformer config, a KRM functionConfig, the Argo CD app's file) or a kpt `function-input`
//! ConfigMap, layered over defaults and under command-line flags.

use clap::ValueEnum;

use crate::doc::value::{Map, Value};
use crate::kube::{group_of, is_dns1123_label, version_of};
use crate::resolve::Options;

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
pub const CONFIG_KEYS: &str = "namespace, keepBindings, dropMappings, defaultMappings, denySecretCopies, failOn";

/// What makes a host run fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    /// Fail when a binding cannot be resolved (the default, as `bindery render`).
    #[default]
    Error,
    /// Also fail on warnings (e.g. `WorkloadVersionMismatch`).
    Warning,
}

/// Options a host run can be given; every field is optional so that sources can be layered
/// (defaults < functionConfig < command-line flags; see [`Config::then`]).
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
    pub fail_on: Option<FailOn>,
}

/// The effective options of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub options: Options,
    pub keep_bindings: bool,
    pub drop_mappings: bool,
    pub fail_on: FailOn,
}

/// Why a configuration cannot be used. Messages name the option and the value's place.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("{key}: expected true or false, got {value}")]
    NotABool { key: String, value: String },
    #[error("{key}: expected a string, got {value}")]
    NotAString { key: String, value: String },
    #[error("{key}: {value:?} is not a valid namespace name")]
    BadNamespace { key: String, value: String },
    #[error("{key}: expected error or warning, got {value}")]
    BadFailOn { key: String, value: String },
    #[error("unknown option {key:?} (accepted: {CONFIG_KEYS})")]
    UnknownOption { key: String },
    /// Every problem of one map, reported together.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<ConfigError>),
    #[error("{CONFIG_KIND}: unsupported apiVersion {api_version:?} (expected {CONFIG_API_VERSION})")]
    ApiVersion { api_version: String },
    #[error("{CONFIG_KIND} spec: {0}")]
    Spec(Box<ConfigError>),
    #[error("{CONFIG_KIND}: spec must be a map, got {value}")]
    SpecNotAMap { value: String },
    #[error("functionConfig must be a map, got {value}")]
    FunctionConfigNotAMap { value: String },
    #[error("functionConfig ConfigMap data: {0}")]
    ConfigMapData(Box<ConfigError>),
    #[error("functionConfig ConfigMap data must be a map, got {value}")]
    ConfigMapDataNotAMap { value: String },
    #[error("unsupported functionConfig {api_version}/{kind} (expected {CONFIG_API_VERSION} {CONFIG_KIND} or a v1 ConfigMap)")]
    UnsupportedFunctionConfig { api_version: String, kind: String },
    #[error("cannot read plugin config {path}: {reason}")]
    ReadPluginConfig { path: String, reason: String },
    #[error("kustomize-plugin: no config file given and KUSTOMIZE_PLUGIN_CONFIG_STRING is not set")]
    NoPluginConfig,
    #[error("{0}")]
    Parse(crate::load::LoadError),
    /// A problem of the configuration found in `label`.
    #[error("{label}: {source}")]
    In { label: String, source: Box<ConfigError> },
    #[error("{label}: expected one {CONFIG_API_VERSION} {CONFIG_KIND} document")]
    NotOneResolver { label: String },
}

/// `keepBindings`, `keep-bindings`, `KEEP_BINDINGS` → `keepbindings`.
fn normalize_key(key: &str) -> String {
    key.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect()
}

fn parse_bool(key: &str, v: &Value) -> Result<bool, ConfigError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(ConfigError::NotABool { key: key.to_string(), value: other.to_string() }),
    }
}

impl Config {
    /// `self`, with every field that `over` sets replaced.
    pub fn then(self, over: Config) -> Config {
        Config {
            namespace: over.namespace.or(self.namespace),
            keep_bindings: over.keep_bindings.or(self.keep_bindings),
            drop_mappings: over.drop_mappings.or(self.drop_mappings),
            default_mappings: over.default_mappings.or(self.default_mappings),
            deny_secret_copies: over.deny_secret_copies.or(self.deny_secret_copies),
            fail_on: over.fail_on.or(self.fail_on),
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            options: Options {
                default_namespace: self.namespace.clone().unwrap_or_else(|| "default".into()),
                builtin_mappings: self.default_mappings.unwrap_or(true),
                deny_secret_copies: self.deny_secret_copies.unwrap_or(false),
                ..Options::default()
            },
            keep_bindings: self.keep_bindings.unwrap_or(false),
            drop_mappings: self.drop_mappings.unwrap_or(false),
            fail_on: self.fail_on.unwrap_or_default(),
        }
    }

    /// Set one option from a configuration key (any of `keepBindings`, `keep-bindings`,
    /// `KEEP_BINDINGS`) and a YAML value (strings `"true"`/`"false"` are booleans).
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), ConfigError> {
        match normalize_key(key).as_str() {
            "namespace" => {
                let ns = value.as_str().ok_or_else(|| ConfigError::NotAString { key: key.to_string(), value: value.to_string() })?;
                if !is_dns1123_label(ns) {
                    return Err(ConfigError::BadNamespace { key: key.to_string(), value: ns.to_string() });
                }
                self.namespace = Some(ns.to_string());
            }
            "keepbindings" => self.keep_bindings = Some(parse_bool(key, value)?),
            "dropmappings" => self.drop_mappings = Some(parse_bool(key, value)?),
            "defaultmappings" => self.default_mappings = Some(parse_bool(key, value)?),
            "nodefaultmappings" => self.default_mappings = Some(!parse_bool(key, value)?),
            "denysecretcopies" => self.deny_secret_copies = Some(parse_bool(key, value)?),
            "failon" => {
                let s = value.as_str().unwrap_or_default();
                let bad = || ConfigError::BadFailOn { key: key.to_string(), value: value.to_string() };
                self.fail_on = Some(FailOn::from_str(s, true).map_err(|_| bad())?);
            }
            _ => return Err(ConfigError::UnknownOption { key: key.to_string() }),
        }
        Ok(())
    }

    /// Every entry of a map; all unknown keys and bad values are reported together.
    pub fn from_map(map: &Map) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        let errors: Vec<ConfigError> = map.iter().filter_map(|(k, v)| config.set(k, v).err()).collect();
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Several(errors))
        }
    }

    /// The options of a `bindery.dev/v1alpha1` `BindingResolver` document (its `spec`).
    pub fn from_resolver(doc: &Value) -> Result<Config, ConfigError> {
        let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        if api_version != CONFIG_API_VERSION {
            return Err(ConfigError::ApiVersion { api_version: api_version.to_string() });
        }
        match doc.get("spec") {
            None | Some(Value::Null) => Ok(Config::default()),
            Some(Value::Object(spec)) => Config::from_map(spec).map_err(|e| ConfigError::Spec(Box::new(e))),
            Some(other) => Err(ConfigError::SpecNotAMap { value: other.to_string() }),
        }
    }

    /// A KRM `functionConfig`: absent, a `BindingResolver`, or a ConfigMap (kpt's
    /// `function-input`, made from `kpt fn eval … -- key=value` or a Kptfile `configMap:`).
    pub fn from_function_config(fc: &Value) -> Result<Config, ConfigError> {
        let Some(map) = fc.as_object() else {
            return match fc {
                Value::Null => Ok(Config::default()),
                other => Err(ConfigError::FunctionConfigNotAMap { value: other.to_string() }),
            };
        };
        if map.is_empty() {
            return Ok(Config::default());
        }
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
        match (group_of(api_version), kind) {
            (CONFIG_GROUP, CONFIG_KIND) => Config::from_resolver(fc),
            ("", "ConfigMap") if version_of(api_version) == "v1" => match map.get("data") {
                None | Some(Value::Null) => Ok(Config::default()),
                Some(Value::Object(data)) => Config::from_map(data).map_err(|e| ConfigError::ConfigMapData(Box::new(e))),
                Some(other) => Err(ConfigError::ConfigMapDataNotAMap { value: other.to_string() }),
            },
            _ => Err(ConfigError::UnsupportedFunctionConfig { api_version: api_version.to_string(), kind: kind.to_string() }),
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
}
