//! Kubernetes knowledge that knows nothing of bindings: API group/version, object references,
//! label selectors, name syntax, `path.Join`, JSONPath ([`jsonpath`]), workload resource mappings
//! ([`mapping`]), pod-spec editing ([`podspec`]), the kubelet's `$(VAR)` expansion of env values
//! ([`envvar`]) and hints for typical mistakes ([`hints`]).

pub mod envvar;
pub mod hints;
pub mod jsonpath;
pub mod mapping;
pub mod podspec;

use std::collections::BTreeMap;

use crate::doc::value::Value;

/// The group of an `apiVersion` (`""` for the core group `v1`).
/// A reference to a Kubernetes object by apiVersion, kind and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

impl ObjectRef {
    /// `v1`/`Secret` exactly: a Direct Secret Reference (spec-semantics §3).
    pub fn is_direct_secret(&self) -> bool {
        self.api_version == "v1" && self.kind == "Secret"
    }
}

pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The version of an `apiVersion`.
pub fn version_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or(api_version, |(_, v)| v)
}

/// A label selector operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: Vec<String>,
}

/// `metav1.LabelSelector`: `matchLabels` AND every `matchExpressions` entry. Empty matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
}

impl LabelSelector {
    /// Parse and validate a selector object. Errors are `(field suffix, message)`.
    pub fn parse(v: &Value) -> Result<Self, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut sel = LabelSelector::default();
        let Some(obj) = v.as_object() else {
            return Err(vec![(String::new(), format!("must be an object, got {}", type_name(v)))]);
        };
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let val = match v {
                        Value::String(s) => s.to_string(),
                        Value::Null => String::new(),
                        other => {
                            errors.push((format!(".matchLabels.{k}"), format!("must be a string, got {}", type_name(other))));
                            continue;
                        }
                    };
                    if let Err(e) = validate_label_key(k) {
                        errors.push((format!(".matchLabels.{k}"), e.to_string()));
                    }
                    if let Err(e) = validate_label_value(&val) {
                        errors.push((format!(".matchLabels.{k}"), e.to_string()));
                    }
                    sel.match_labels.insert(k.to_string(), val);
                }
            }
            Some(other) => errors.push((".matchLabels".into(), format!("must be a map of strings, got {}", type_name(other)))),
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let at = format!(".matchExpressions[{i}]");
                    let Some(e) = item.as_object() else {
                        errors.push((at, format!("must be an object, got {}", type_name(item))));
                        continue;
                    };
                    let key = e.get("key").and_then(Value::as_str).unwrap_or("").to_string();
                    if let Err(e) = validate_label_key(&key) {
                        errors.push((format!("{at}.key"), e.to_string()));
                    }
                    let op = e.get("operator").and_then(Value::as_str).unwrap_or("");
                    let operator = match op {
                        "In" => Operator::In,
                        "NotIn" => Operator::NotIn,
                        "Exists" => Operator::Exists,
                        "DoesNotExist" => Operator::DoesNotExist,
                        other => {
                            errors.push((
                                format!("{at}.operator"),
                                format!("{other:?} is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)"),
                            ));
                            continue;
                        }
                    };
                    let values: Vec<String> = match e.get("values") {
                        None | Some(Value::Null) => Vec::new(),
                        Some(Value::Array(vs)) => {
                            vs.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect()
                        }
                        Some(other) => {
                            errors.push((format!("{at}.values"), format!("must be a list of strings, got {}", type_name(other))));
                            continue;
                        }
                    };
                    match operator {
                        Operator::In | Operator::NotIn if values.is_empty() => {
                            errors.push((format!("{at}.values"), "for 'In', 'NotIn' operators, values set can't be empty".into()))
                        }
                        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                            errors.push((format!("{at}.values"), "values set must be empty for exists and does not exist".into()))
                        }
                        _ => {}
                    }
                    for v in &values {
                        if let Err(e) = validate_label_value(v) {
                            errors.push((format!("{at}.values"), e.to_string()));
                        }
                    }
                    sel.match_expressions.push(Requirement { key, operator, values });
                }
            }
            Some(other) => errors.push((".matchExpressions".into(), format!("must be a list, got {}", type_name(other)))),
        }
        if errors.is_empty() {
            Ok(sel)
        } else {
            Err(errors)
        }
    }

    pub fn matches(&self, labels: Option<&crate::doc::value::Map>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.match_labels.iter().all(|(k, v)| get(k) == Some(v.as_str()))
            && self.match_expressions.iter().all(|r| match r.operator {
                Operator::In => get(&r.key).is_some_and(|v| r.values.iter().any(|x| x == v)),
                Operator::NotIn => get(&r.key).is_none_or(|v| !r.values.iter().any(|x| x == v)),
                Operator::Exists => get(&r.key).is_some(),
                Operator::DoesNotExist => get(&r.key).is_none(),
            })
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// A label name part: at most 63 chars, alphanumerics, '-', '_', '.', starting and ending alphanumeric.
fn valid_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(is_alnum)
        && s.ends_with(is_alnum)
        && s.chars().all(|c| is_alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// DNS-1123 label: at most 63 lower-case alphanumerics or '-', alphanumeric at both ends.
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// DNS-1123 subdomain: at most 253 chars, dot-separated DNS-1123 labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// Why a label key or value is not valid (the label-selector library's rules).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("label key {key:?}: prefix must be a DNS-1123 subdomain")]
    KeyPrefix { key: String },
    #[error(
        "label key {key:?}: name part must consist of alphanumeric characters, '-', '_' or '.', start and end with an alphanumeric character, and be at most 63 characters"
    )]
    KeyName { key: String },
    #[error(
        "label value {value:?} must be 63 characters or less, and consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character"
    )]
    Value { value: String },
}

pub fn validate_label_key(key: &str) -> Result<(), LabelError> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !is_dns1123_subdomain(p)) {
        return Err(LabelError::KeyPrefix { key: key.to_string() });
    }
    if !valid_name_part(name) {
        return Err(LabelError::KeyName { key: key.to_string() });
    }
    Ok(())
}

pub fn validate_label_value(v: &str) -> Result<(), LabelError> {
    if v.is_empty() || valid_name_part(v) {
        Ok(())
    } else {
        Err(LabelError::Value { value: v.to_string() })
    }
}

/// Go's `path.Join`: join non-empty elements with '/', then `Clean`.
pub fn path_join(a: &str, b: &str) -> String {
    let joined = match (a.is_empty(), b.is_empty()) {
        (true, true) => return String::new(),
        (true, false) => b.to_string(),
        (false, true) => a.to_string(),
        (false, false) => format!("{a}/{b}"),
    };
    path_clean(&joined)
}

/// Go's `path.Clean`.
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn groups_and_versions() {
        assert_eq!((group_of("v1"), version_of("v1")), ("", "v1"));
        assert_eq!((group_of("apps/v1"), version_of("apps/v1")), ("apps", "v1"));
    }

    #[test]
    fn selectors_match_labels_and_expressions() {
        let s = LabelSelector::parse(&json!({"matchLabels": {"a": "1"}, "matchExpressions": [
            {"key": "b", "operator": "In", "values": ["x", "y"]}, {"key": "c", "operator": "DoesNotExist"}]}))
        .unwrap();
        let l = json!({"a": "1", "b": "y"});
        assert!(s.matches(l.as_object()));
        let l = json!({"a": "1", "b": "y", "c": ""});
        assert!(!s.matches(l.as_object()));
        assert!(LabelSelector::default().matches(None));
    }

    #[test]
    fn selector_errors() {
        let e = LabelSelector::parse(&json!({"matchExpressions": [{"key": "a", "operator": "Near"}]})).unwrap_err();
        assert!(e[0].1.contains("Near"));
        assert!(LabelSelector::parse(&json!({"matchExpressions": [{"key": "a", "operator": "In"}]})).is_err());
        assert!(LabelSelector::parse(&json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})).is_err());
        assert!(LabelSelector::parse(&json!("app=x")).is_err());
    }

    #[test]
    fn go_path_join() {
        assert_eq!(path_join("/bindings", "db"), "/bindings/db");
        assert_eq!(path_join("/bindings/", "db/"), "/bindings/db");
        assert_eq!(path_join("", "db"), "db");
        assert_eq!(path_join("/b", "../x"), "/x");
    }

    #[test]
    fn dns_names() {
        assert!(is_dns1123_label("servicebinding-abc"));
        assert!(!is_dns1123_label("-a"));
        assert!(is_dns1123_subdomain("a.b-c"));
    }
}
