//! SBO binding definitions: the `service.binding…` annotation grammar (sbo-semantics §4) and
//! the flattening of definition results into binding items (§5.7).

use crate::doc::value::{Map, Value};

/// Where a referenced resource's data comes from (`objectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Secret,
    ConfigMap,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionKind {
    /// A constant value.
    Constant(String),
    /// D1: one value at a path.
    String { path: String },
    /// D2: one entry of a Secret/ConfigMap named at a path. Upstream names the item `""` (a
    /// bug); bindery names it after the annotation, as intended (documented deviation).
    Entry { path: String, object: RefKind, source_key: String },
    /// D3: all (or the `sourceValue`) entries of a Secret/ConfigMap named at a path.
    Resource { path: String, object: RefKind, source_value: String },
    /// D4: a map at a path.
    MapAtPath { path: String },
    /// D5: `sliceOfMaps`.
    SliceOfMaps { path: String, source_key: String, source_value: String },
    /// D6: `sliceOfStrings`.
    SliceOfStrings { path: String, source_value: String },
}

/// One parsed binding annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// The output name (`service.binding/<name>`), possibly empty.
    pub name: String,
    pub kind: DefinitionKind,
    pub optional: bool,
}

/// Why a binding annotation cannot be used (upstream: `InvalidAnnotation`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("can't process annotation with name {key:?}")]
    InvalidName { key: String },
    #[error("path not found: {value:?}")]
    NoPath { value: String },
    #[error("not implemented")]
    Empty,
    #[error("path has invalid syntax: {path:?}")]
    PathSyntax { path: String },
    #[error("sliceOfMaps elementType requires sourceKey and sourceValue to be present")]
    SliceOfMapsKeys,
    #[error("Annotation {name:?}: {value} not implemented! (elementType={element}, objectType={object})")]
    NotImplemented { name: String, value: String, element: String, object: String },
}

/// A null inside a nested map of a definition's result (upstream: `ValueNotFound`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Value for key {key} not found")]
pub struct ValueNotFound {
    pub key: String,
}

/// `Some(name)` for a binding annotation key, `None` for keys that are not binding annotations,
/// an error for keys that look like one but are not valid (sbo-semantics §4.2).
pub fn annotation_name(key: &str) -> Option<Result<String, DefinitionError>> {
    if key == "servicebinding.io/provisioned-service" {
        return None;
    }
    if key == "service.binding" {
        return Some(Ok(String::new()));
    }
    if let Some(name) = key.strip_prefix("service.binding/") {
        return Some(Ok(name.to_string()));
    }
    if key.starts_with("service.binding") {
        return Some(Err(DefinitionError::InvalidName { key: key.to_string() }));
    }
    None
}

/// Parse an annotation value (sbo-semantics §4.3) into a definition.
pub fn parse_definition(name: &str, value: &str) -> Result<Definition, DefinitionError> {
    let (mut path, mut object, mut element, mut source_key, mut source_value, mut optional) = (None, None, None, None, None, false);
    let mut recognised = false;
    for piece in value.split(',') {
        let set = |prefix: &str, slot: &mut Option<String>| -> bool {
            match piece.strip_prefix(prefix) {
                Some(v) => {
                    *slot = Some(v.to_string());
                    true
                }
                None => false,
            }
        };
        let mut opt = None;
        let hit = set("path=", &mut path)
            || set("objectType=", &mut object)
            || set("elementType=", &mut element)
            || set("sourceKey=", &mut source_key)
            || set("sourceValue=", &mut source_value)
            || set("optional=", &mut opt);
        if let Some(o) = opt {
            optional = o == "true";
        }
        recognised |= hit;
    }
    let Some(path) = path else {
        if recognised {
            return Err(DefinitionError::NoPath { value: value.to_string() });
        }
        if value.is_empty() {
            return Err(DefinitionError::Empty);
        }
        return Ok(Definition { name: name.to_string(), kind: DefinitionKind::Constant(value.to_string()), optional });
    };
    if !path.contains('{') || path.matches('{').count() != path.matches('}').count() {
        return Err(DefinitionError::PathSyntax { path });
    }
    let object = object.filter(|o| !o.is_empty()).unwrap_or_else(|| "string".into());
    let element = element.unwrap_or_else(|| if object == "Secret" || object == "ConfigMap" { "map".into() } else { "string".into() });
    let source_key = source_key.unwrap_or_default();
    let source_value = source_value.unwrap_or_else(|| source_key.clone());
    let ref_kind = match object.as_str() {
        "Secret" => Some(RefKind::Secret),
        "ConfigMap" => Some(RefKind::ConfigMap),
        _ => None,
    };
    let kind = match (element.as_str(), object.as_str(), ref_kind) {
        ("string", "string", _) => DefinitionKind::String { path },
        ("string", _, Some(object)) => DefinitionKind::Entry { path, object, source_key },
        ("map", _, Some(object)) => DefinitionKind::Resource { path, object, source_value },
        ("map", "string", _) => DefinitionKind::MapAtPath { path },
        ("sliceOfMaps", _, _) => {
            if source_key.is_empty() || source_value.is_empty() {
                return Err(DefinitionError::SliceOfMapsKeys);
            }
            DefinitionKind::SliceOfMaps { path, source_key, source_value }
        }
        ("sliceOfStrings", _, _) => DefinitionKind::SliceOfStrings { path, source_value },
        _ => {
            return Err(DefinitionError::NotImplemented {
                name: name.to_string(),
                value: value.to_string(),
                element: element.clone(),
                object: object.clone(),
            })
        }
    };
    Ok(Definition { name: name.to_string(), kind, optional })
}

/// Flatten a definition's result map into `(item name, value)` pairs (sbo-semantics §5.7).
/// A null inside a nested map is `ValueNotFound`.
pub fn flatten(result: &Map) -> Result<Vec<(String, Value)>, ValueNotFound> {
    fn walk(prefix: &str, key: &str, v: &Value, out: &mut Vec<(String, Value)>) -> Result<(), ValueNotFound> {
        match v {
            Value::Object(m) => {
                let mut child_prefix = format!("{prefix}{key}_");
                if child_prefix == "_" {
                    child_prefix.clear();
                }
                for (c, cv) in m {
                    if cv.is_null() {
                        return Err(ValueNotFound { key: format!("{prefix}{key}_{c}") });
                    }
                    walk(&child_prefix, c, cv, out)?;
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    out.push((format!("{prefix}{key}_{i}"), item.clone()));
                }
            }
            other => out.push((format!("{prefix}{key}"), other.clone())),
        }
        Ok(())
    }
    let mut out = Vec::new();
    for (k, v) in result {
        walk("", k, v, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn key_grammar() {
        assert_eq!(annotation_name("service.binding"), Some(Ok(String::new())));
        assert_eq!(annotation_name("service.binding/host"), Some(Ok("host".into())));
        assert!(annotation_name("service.bindings").unwrap().is_err());
        assert_eq!(annotation_name("servicebinding.io/provisioned-service"), None);
        assert_eq!(annotation_name("app.kubernetes.io/name"), None);
    }

    #[test]
    fn value_grammar() {
        assert_eq!(parse_definition("t", "postgresql").unwrap().kind, DefinitionKind::Constant("postgresql".into()));
        assert_eq!(parse_definition("t", "a,b").unwrap().kind, DefinitionKind::Constant("a,b".into()));
        assert_eq!(parse_definition("h", "path={.status.host}").unwrap().kind, DefinitionKind::String { path: "{.status.host}".into() });
        let d = parse_definition("username", "path={.status.s},objectType=Secret,sourceKey=user").unwrap();
        assert_eq!(d.kind, DefinitionKind::Resource { path: "{.status.s}".into(), object: RefKind::Secret, source_value: "user".into() });
        assert!(parse_definition("x", "path=.status.host").unwrap_err().to_string().contains("invalid syntax"));
        assert!(parse_definition("x", "objectType=Secret").unwrap_err().to_string().contains("path not found"));
        assert!(parse_definition("x", "path={.a},elementType=asdf").unwrap_err().to_string().contains("not implemented"));
        assert!(parse_definition("x", "path={.a},objectType=secret").unwrap_err().to_string().contains("not implemented"));
        assert!(parse_definition("x", "path={.a},elementType=sliceOfMaps").unwrap_err().to_string().contains("sourceKey"));
        assert!(parse_definition("x", "path={.a},optional=true").unwrap().optional);
        assert!(!parse_definition("x", "path={.a},optional=yes").unwrap().optional);
        assert!(parse_definition("x", "").is_err());
        assert_eq!(
            parse_definition("x", "path={.a},bindAs=envVar,elementType=map").unwrap().kind,
            DefinitionKind::MapAtPath { path: "{.a}".into() }
        );
    }

    #[test]
    fn flattening() {
        let m = json!({"spec": {"image": "x", "tags": ["a", "b"], "nested": {"k": 1}}, "top": true});
        let items = flatten(m.as_object().unwrap()).unwrap();
        let names: Vec<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["spec_image", "spec_tags_0", "spec_tags_1", "spec_nested_k", "top"]);
        let bad = json!({"creds": {"user": null}});
        assert_eq!(flatten(bad.as_object().unwrap()).unwrap_err().to_string(), "Value for key creds_user not found");
        let generic = json!({"": {"a": 1}});
        assert_eq!(flatten(generic.as_object().unwrap()).unwrap()[0].0, "a");
    }
}
