//! The schema of bindery's configuration and its one validation: a `BindingResolver` document,
//! its `spec` (which is also the plain format of `.bindery.yaml`), a kpt `function-input`
//! ConfigMap, and single `key=value` options (flags, Argo CD parameters and env).
//!
//! Unknown fields are errors. Every error names where the configuration came from, the field
//! and the type it expected and found — never the value: a configuration value may be a
//! Secret someone pasted in the wrong place, and these messages reach Argo CD's UI, kpt's
//! results and CI logs.

use crate::doc::value::{Map, Value};
use crate::index::runtime_secrets::{Candidate, Convention, DeclaredSecret};
use crate::kube::{group_of, type_name, version_of};

use super::{Config, FailOn, CONFIG_API_VERSION, CONFIG_GROUP, CONFIG_KEYS, CONFIG_KIND};

/// Why a namespace name is not a DNS-1123 label (described without repeating it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamespaceError {
    #[error("is {0} characters long")]
    TooLong(usize),
    #[error("has a character other than a-z, 0-9 and '-' at position {0}")]
    BadCharacter(usize),
    #[error("starts or ends with '-'")]
    BadEdge,
}

/// A namespace option: `Ok(None)` for the empty string (the default namespace).
pub fn check_namespace(s: &str) -> Result<Option<String>, NamespaceError> {
    if s.is_empty() {
        return Ok(None);
    }
    if let Some(i) = s.chars().position(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')) {
        return Err(NamespaceError::BadCharacter(i + 1));
    }
    if s.len() > 63 {
        return Err(NamespaceError::TooLong(s.len()));
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err(NamespaceError::BadEdge);
    }
    Ok(Some(s.to_string()))
}

/// The rule, for messages.
pub const NAMESPACE_RULE: &str = "a namespace must be a DNS-1123 label: at most 63 characters, lower-case letters, digits and '-', \
     starting and ending with a letter or digit (empty: the default namespace)";

/// Why a configuration cannot be used. `at` names the source and the field (`bindery.yaml:1:
/// spec.keepBindings`, `--namespace`, `ARGOCD_ENV_BINDERY_FAIL_ON`); no message holds a value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    #[error("{at}: expected {expected}, got {found}")]
    WrongType { at: String, expected: &'static str, found: &'static str },
    #[error("{at}: not a valid namespace name: it {reason} ({NAMESPACE_RULE})")]
    BadNamespace { at: String, reason: NamespaceError },
    #[error("{at}: unknown option (accepted: {CONFIG_KEYS})")]
    UnknownOption { at: String },
    #[error("{at}: unknown field {field:?} (expected one of: {expected})")]
    UnknownField { at: String, field: String, expected: String },
    #[error("{at}: {field} is required")]
    Missing { at: String, field: &'static str },
    #[error(
        "{at}: {option} cannot be given as a single value here; put it in a {CONFIG_KIND} (a bindery.yaml with the input, \
         kpt --fn-config, a kustomize transformer config, or --config FILE)"
    )]
    NotExpressible { at: String, option: &'static str },
    #[error("{at}: unsupported apiVersion (expected {CONFIG_API_VERSION})")]
    ApiVersion { at: String },
    #[error("{at}: unknown kind in group {CONFIG_GROUP} (expected {CONFIG_KIND})")]
    UnknownKind { at: String },
    #[error(
        "{at}: unsupported functionConfig (expected a {CONFIG_API_VERSION} {CONFIG_KIND} or a v1 ConfigMap such as kpt's function-input)"
    )]
    UnsupportedFunctionConfig { at: String },
    #[error("{at}: expected a {CONFIG_API_VERSION} {CONFIG_KIND} or a map of its spec fields ({CONFIG_KEYS}), got {found}")]
    NotAConfiguration { at: String, found: &'static str },
    #[error("{at}: expected one {CONFIG_API_VERSION} {CONFIG_KIND} document")]
    NotOneResolver { at: String },
    #[error("{at}:{line}:{column}: invalid YAML: {message}")]
    Syntax { at: String, line: usize, column: usize, message: String },
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("kustomize-plugin: no config file given and KUSTOMIZE_PLUGIN_CONFIG_STRING is not set")]
    NoPluginConfig,
    #[error("{option} is set differently in {first} and in {second}; set it in one place, or pass it as a flag")]
    Conflict { option: &'static str, first: String, second: String },
    /// Every problem of one source, reported together.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<ConfigError>),
}

impl ConfigError {
    /// One error for a list of them (`None` when empty).
    pub fn all(mut errors: Vec<ConfigError>) -> Option<ConfigError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(ConfigError::Several(errors)),
        }
    }
}

/// `keepBindings`, `keep-bindings`, `KEEP_BINDINGS` → `keepbindings`.
fn normalize_key(key: &str) -> String {
    key.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect()
}

fn wrong(at: &str, expected: &'static str, v: &Value) -> ConfigError {
    ConfigError::WrongType { at: at.to_string(), expected, found: type_name(v) }
}

fn parse_bool(at: &str, v: &Value) -> Result<bool, ConfigError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        Value::String(_) => Err(ConfigError::WrongType { at: at.to_string(), expected: "true or false", found: "another string" }),
        other => Err(wrong(at, "true or false", other)),
    }
}

fn parse_string<'v>(at: &str, v: &'v Value) -> Result<&'v str, ConfigError> {
    v.as_str().ok_or_else(|| wrong(at, "a string", v))
}

/// A namespace option (`Ok(None)`: empty, the default).
pub fn parse_namespace(at: &str, v: &Value) -> Result<Option<String>, ConfigError> {
    check_namespace(parse_string(at, v)?).map_err(|reason| ConfigError::BadNamespace { at: at.to_string(), reason })
}

/// Set one option named `key` from a single-value source (a flag, an Argo CD parameter or env
/// entry, kpt's `key=value`); `at` names it in errors.
pub fn set_named(c: &mut Config, at: &str, key: &str, value: &Value) -> Result<(), ConfigError> {
    set_option(c, at, at, key, value)
}

/// Set one option. `origin` labels the source (for list entries' messages), `at` the field.
pub(super) fn set_option(c: &mut Config, origin: &str, at: &str, key: &str, value: &Value) -> Result<(), ConfigError> {
    match normalize_key(key).as_str() {
        "namespace" => c.namespace = parse_namespace(at, value)?,
        "keepbindings" => c.keep_bindings = Some(parse_bool(at, value)?),
        "dropmappings" => c.drop_mappings = Some(parse_bool(at, value)?),
        "defaultmappings" => c.default_mappings = Some(parse_bool(at, value)?),
        "nodefaultmappings" => c.default_mappings = Some(!parse_bool(at, value)?),
        "denysecretcopies" => c.deny_secret_copies = Some(parse_bool(at, value)?),
        "allowmissingsecrets" => c.allow_missing_secrets = Some(parse_bool(at, value)?),
        "failon" => {
            let bad = || ConfigError::WrongType { at: at.to_string(), expected: "error or warning", found: "another string" };
            let s = value.as_str().ok_or_else(|| wrong(at, "error or warning", value))?;
            c.fail_on = Some(<FailOn as clap::ValueEnum>::from_str(s, true).map_err(|_| bad())?);
        }
        "conventions" => c.conventions.extend(entries(origin, at, "conventions", value, convention)?),
        "secrets" => c.secrets.extend(entries(origin, at, "secrets", value, declared_secret)?),
        _ => return Err(ConfigError::UnknownOption { at: at.to_string() }),
    }
    Ok(())
}

/// A list option: a YAML list of entries; a single string (a `key=value` source) cannot hold one.
fn entries<T>(
    origin: &str,
    at: &str,
    option: &'static str,
    value: &Value,
    parse: fn(&str, &str, &Value) -> Result<T, ConfigError>,
) -> Result<Vec<T>, ConfigError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => {
            let mut out = Vec::new();
            let mut errors = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match parse(origin, &format!("{at}[{i}]"), item) {
                    Ok(t) => out.push(t),
                    Err(e) => errors.push(e),
                }
            }
            match ConfigError::all(errors) {
                None => Ok(out),
                Some(e) => Err(e),
            }
        }
        Value::String(_) => Err(ConfigError::NotExpressible { at: at.to_string(), option }),
        other => Err(wrong(at, "a list", other)),
    }
}

fn check_fields(m: &Map, allowed: &[&str], at: &str) -> Result<(), ConfigError> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ConfigError::UnknownField { at: at.to_string(), field: k.to_string(), expected: allowed.join(", ") }),
        None => Ok(()),
    }
}

fn strings(at: &str, v: &Value) -> Result<Vec<String>, ConfigError> {
    match v {
        Value::String(s) => Ok(vec![s.to_string()]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| item.as_str().map(str::to_string).ok_or_else(|| wrong(&format!("{at}[{i}]"), "a string", item)))
            .collect(),
        other => Err(wrong(at, "a string or a list of strings", other)),
    }
}

fn optional_string(m: &Map, at: &str, field: &str) -> Result<Option<String>, ConfigError> {
    m.get(field).map(|v| parse_string(&format!("{at}.{field}"), v).map(str::to_string)).transpose()
}

/// One `conventions:` entry.
fn convention(origin: &str, at: &str, v: &Value) -> Result<Convention, ConfigError> {
    let Value::Object(m) = v else { return Err(wrong(at, "a map", v)) };
    check_fields(m, &["group", "apiVersion", "kind", "secretName", "keys", "namespace", "createdBy"], at)?;
    let group = match (optional_string(m, at, "group")?, optional_string(m, at, "apiVersion")?) {
        (Some(g), _) => g,
        (None, Some(av)) => group_of(&av).to_string(),
        (None, None) => return Err(ConfigError::Missing { at: at.to_string(), field: "group (or apiVersion)" }),
    };
    let kind = optional_string(m, at, "kind")?.ok_or_else(|| ConfigError::Missing { at: at.to_string(), field: "kind" })?;
    let names = strings(
        &format!("{at}.secretName"),
        m.get("secretName").ok_or_else(|| ConfigError::Missing { at: at.to_string(), field: "secretName" })?,
    )?;
    let keys = m.get("keys").map(|k| strings(&format!("{at}.keys"), k)).transpose()?;
    let namespace = optional_string(m, at, "namespace")?;
    let creator = optional_string(m, at, "createdBy")?.unwrap_or_else(|| format!("the operator of {kind}"));
    let secret = names.into_iter().map(|name| Candidate { name, keys: keys.clone() }).collect();
    Ok(Convention { group, kind, secret, namespace, creator, origin: Some(origin.to_string()) })
}

/// One `secrets:` entry.
fn declared_secret(origin: &str, at: &str, v: &Value) -> Result<DeclaredSecret, ConfigError> {
    let Value::Object(m) = v else { return Err(wrong(at, "a map", v)) };
    check_fields(m, &["name", "namespace", "keys", "createdBy"], at)?;
    let name = optional_string(m, at, "name")?.ok_or_else(|| ConfigError::Missing { at: at.to_string(), field: "name" })?;
    let namespace = m.get("namespace").map(|v| parse_namespace(&format!("{at}.namespace"), v)).transpose()?.flatten();
    Ok(DeclaredSecret {
        name,
        namespace,
        keys: m.get("keys").map(|k| strings(&format!("{at}.keys"), k)).transpose()?,
        created_by: optional_string(m, at, "createdBy")?,
        origin: Some(origin.to_string()),
    })
}

/// Every entry of a map of options (a `spec`, the plain `.bindery.yaml`, ConfigMap data); all
/// problems are reported together. `at` prefixes each field (`bindery.yaml:1: spec.`).
pub fn from_map(map: &Map, origin: &str, at: &str) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    let errors: Vec<ConfigError> =
        map.iter().filter_map(|(k, v)| set_option(&mut config, origin, &format!("{at}{k}"), k, v).err()).collect();
    match ConfigError::all(errors) {
        None => Ok(config),
        Some(e) => Err(e),
    }
}

/// Whether a value is a document of bindery's configuration group.
pub fn is_config_group(v: &Value) -> bool {
    group_of(v.get("apiVersion").and_then(Value::as_str).unwrap_or_default()) == CONFIG_GROUP
}

/// The options of a `bindery.dev/v1alpha1` `BindingResolver` document; `label` says where it is.
pub fn from_resolver(doc: &Value, label: &str) -> Result<Config, ConfigError> {
    let Value::Object(top) = doc else { return Err(wrong(label, "a map", doc)) };
    if top.get("apiVersion").and_then(Value::as_str) != Some(CONFIG_API_VERSION) {
        return Err(ConfigError::ApiVersion { at: label.to_string() });
    }
    if top.get("kind").and_then(Value::as_str) != Some(CONFIG_KIND) {
        return Err(ConfigError::UnknownKind { at: label.to_string() });
    }
    check_fields(top, &["apiVersion", "kind", "metadata", "spec"], label)?;
    match top.get("spec") {
        None | Some(Value::Null) => Ok(Config::default()),
        Some(Value::Object(spec)) => from_map(spec, label, &format!("{label}: spec.")),
        Some(other) => Err(wrong(&format!("{label}: spec"), "a map", other)),
    }
}

/// A KRM `functionConfig`: absent, a `BindingResolver`, or a ConfigMap (kpt's
/// `function-input`, made from `kpt fn eval … -- key=value` or a Kptfile `configMap:`).
pub fn from_function_config(fc: &Value) -> Result<Config, ConfigError> {
    let at = "functionConfig";
    let Some(map) = fc.as_object() else {
        return match fc {
            Value::Null => Ok(Config::default()),
            other => Err(wrong(at, "a map", other)),
        };
    };
    if map.is_empty() {
        return Ok(Config::default());
    }
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
    match (group_of(api_version), kind) {
        (CONFIG_GROUP, _) => from_resolver(fc, &function_config_label(fc)),
        ("", "ConfigMap") if version_of(api_version) == "v1" => match map.get("data") {
            None | Some(Value::Null) => Ok(Config::default()),
            Some(Value::Object(data)) => from_map(data, "functionConfig ConfigMap", "functionConfig ConfigMap data."),
            Some(other) => Err(wrong("functionConfig ConfigMap data", "a map", other)),
        },
        _ => Err(ConfigError::UnsupportedFunctionConfig { at: at.to_string() }),
    }
}

/// `functionConfig BindingResolver "name"` (where kpt says it is, when it does).
pub fn function_config_label(fc: &Value) -> String {
    let path = fc.pointer("/metadata/annotations").and_then(|a| a.get(super::PATH_ANNOTATION)).and_then(Value::as_str);
    match path {
        Some(p) => format!("functionConfig {p}"),
        None => "functionConfig".to_string(),
    }
}

/// The documents of a configuration file (`.bindery.yaml`, `--config FILE`, the kustomize
/// plugin's config): each a `BindingResolver` or the plain format (the map of its spec fields).
/// Returns each document's configuration and whether it was a `BindingResolver`.
pub fn from_file_text(text: &str, label: &str) -> Result<Vec<(bool, Config)>, ConfigError> {
    let docs = crate::doc::yaml_in::parse_stream(text).map_err(|e| ConfigError::Syntax {
        at: label.to_string(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    let mut out = Vec::new();
    for doc in docs {
        match &doc.value {
            Value::Null => {}
            Value::Object(m) if m.contains_key("apiVersion") || m.contains_key("kind") => {
                let at = format!("{label}:{}", doc.line);
                out.push((true, from_resolver(&doc.value, &at)?));
            }
            Value::Object(m) => out.push((false, from_map(m, label, &format!("{label}: "))?)),
            other => return Err(ConfigError::NotAConfiguration { at: label.to_string(), found: type_name(other) }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn config_file_parses_and_rejects_unknown_fields() {
        let text = "conventions:\n- apiVersion: db.example.com/v1\n  kind: Database\n  secretName: '{.metadata.name}-conn'\n  keys: [host, password]\n  createdBy: the example operator\nsecrets:\n- {name: orders, keys: [uri]}\nallowMissingSecrets: true\n";
        let c = from_file_text(text, ".bindery.yaml").unwrap().remove(0).1;
        assert_eq!(c.conventions[0].group, "db.example.com");
        assert_eq!(c.conventions[0].secret[0].name, "{.metadata.name}-conn");
        assert_eq!(c.secrets[0].keys.as_deref(), Some(&["uri".to_string()][..]));
        assert_eq!(c.allow_missing_secrets, Some(true));
        let err = from_file_text("secrets:\n- {name: x, key: [a]}\n", "c.yaml").unwrap_err().to_string();
        assert!(err.contains("unknown field \"key\""), "{err}");
    }

    #[test]
    fn a_resolver_and_the_plain_format_share_one_schema() {
        let plain = from_file_text("namespace: shop\nkeepBindings: true\nsecrets: [{name: a}]\n", "p").unwrap();
        let resolver = from_file_text(
            "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: r}\nspec: {namespace: shop, keepBindings: true, secrets: [{name: a}]}\n",
            "p",
        )
        .unwrap();
        assert!(!plain[0].0 && resolver[0].0);
        let strip = |mut c: Config| {
            c.secrets.iter_mut().for_each(|s| s.origin = None);
            c
        };
        assert_eq!(strip(plain[0].1.clone()), strip(resolver[0].1.clone()));
        let e = from_file_text("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nspec: {}\nstatus: {}\n", "p").unwrap_err();
        assert!(e.to_string().contains("unknown field \"status\""), "{e}");
    }

    #[test]
    fn errors_name_the_field_and_the_type_never_the_value() {
        let secret = "S3cr3t_Hunter2";
        let cases = [
            json!({"namespace": secret}),
            json!({"namespace": {"password": secret}}),
            json!({"keepBindings": secret}),
            json!({"failOn": secret}),
            json!({"secrets": secret}),
            json!({"secrets": [secret]}),
            json!({"secrets": [{"name": {"v": secret}}]}),
            json!({"conventions": [{"kind": "X", "group": "g", "secretName": [{"x": secret}]}]}),
            json!({"allowMissingSecrets": [secret]}),
        ];
        for spec in cases {
            let doc = json!({"apiVersion": CONFIG_API_VERSION, "kind": CONFIG_KIND, "spec": spec});
            let e = from_resolver(&doc, "bindery.yaml:1").unwrap_err().to_string();
            assert!(!e.contains(secret), "{e}");
            assert!(e.starts_with("bindery.yaml:1: spec."), "{e}");
        }
        let e = from_function_config(&json!(secret)).unwrap_err().to_string();
        assert_eq!(e, "functionConfig: expected a map, got a string");
        let e = from_function_config(&json!({"apiVersion": secret, "kind": secret})).unwrap_err().to_string();
        assert!(!e.contains(secret) && e.contains("unsupported functionConfig"), "{e}");
    }

    #[test]
    fn namespaces_follow_the_dns_label_rule_and_empty_means_the_default() {
        assert_eq!(check_namespace(""), Ok(None));
        assert_eq!(check_namespace("team-a"), Ok(Some("team-a".into())));
        assert_eq!(check_namespace("Team"), Err(NamespaceError::BadCharacter(1)));
        assert_eq!(check_namespace("-a"), Err(NamespaceError::BadEdge));
        assert_eq!(check_namespace(&"a".repeat(64)), Err(NamespaceError::TooLong(64)));
        let e = parse_namespace("--namespace", &json!("Not_Valid")).unwrap_err().to_string();
        assert!(e.starts_with("--namespace: not a valid namespace name") && e.contains("DNS-1123") && !e.contains("Not_Valid"), "{e}");
    }

    #[test]
    fn lists_cannot_come_from_a_single_string() {
        let mut c = Config::default();
        let e = set_option(&mut c, "kpt", "functionConfig ConfigMap data.secrets", "secrets", &json!("[{name: x}]")).unwrap_err();
        assert!(e.to_string().contains("put it in a BindingResolver"), "{e}");
    }
}
