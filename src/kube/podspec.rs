//! Pod-spec editing shared by both projection engines: named entries of lists (`env`,
//! `volumes`, `volumeMounts`), lists and maps at fixed paths, the containers a mapping template
//! reaches, the binding root variable, and JSON records kept in annotations.

use crate::doc::value::{Map, Value};
use crate::kube::jsonpath::{get_fixed, slot_fixed, ContainerPath, JsonPathError};
use crate::kube::mapping::CompiledTemplate;
use crate::kube::type_name;

/// The variable that names the root of the binding directories.
pub const BINDING_ROOT_ENV: &str = "SERVICE_BINDING_ROOT";
/// Its value when a container does not set it.
pub const DEFAULT_BINDING_ROOT: &str = "/bindings";

/// A workload whose shape does not allow an edit (a list that is not a list, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PodSpecError {
    #[error(transparent)]
    Path(#[from] JsonPathError),
    #[error("{what} at .{at} is {found}, not a list")]
    NotAList { what: &'static str, at: String, found: &'static str },
    #[error("expected an object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("container at {path} is not an object")]
    ContainerNotAnObject { path: String },
}

/// The `name` of a list entry (`""` when it has none).
pub fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

/// The list at a fixed path as owned entries (empty when absent).
pub fn list_at(root: &Value, path: &[String], what: &'static str) -> Result<Vec<Value>, PodSpecError> {
    match get_fixed(root, path)? {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(other) => Err(PodSpecError::NotAList { what, at: path.join("."), found: type_name(other) }),
    }
}

/// Write a list at a fixed path, creating the maps on the way.
pub fn set_list(root: &mut Value, path: &[String], items: Vec<Value>) -> Result<(), PodSpecError> {
    *slot_fixed(root, path)? = Value::Array(items);
    Ok(())
}

/// The map `v` holds, made an empty map when `v` is null.
pub fn map_mut(v: &mut Value) -> Result<&mut Map, PodSpecError> {
    if v.is_null() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => Ok(m),
        other => Err(PodSpecError::NotAnObject { found: type_name(other) }),
    }
}

/// The map at a fixed path, created (with the maps on the way) when missing.
pub fn map_at_mut<'v>(root: &'v mut Value, path: &[String]) -> Result<&'v mut Map, PodSpecError> {
    map_mut(slot_fixed(root, path)?)
}

/// Replace the entry of the same name in place, or append.
pub fn upsert_named(list: &mut Vec<Value>, entry: Value) {
    match list.iter_mut().find(|e| name_of(e) == name_of(&entry)) {
        Some(slot) => *slot = entry,
        None => list.push(entry),
    }
}

/// The container's binding root: the value of its first `SERVICE_BINDING_ROOT` (a `valueFrom`
/// entry counts as `""`), else the default, appended to `env`.
pub fn binding_root(env: &mut Vec<Value>) -> String {
    match env.iter().find(|e| name_of(e) == BINDING_ROOT_ENV) {
        Some(e) => e.get("value").and_then(Value::as_str).unwrap_or("").to_string(),
        None => {
            env.push(crate::json!({"name": BINDING_ROOT_ENV, "value": DEFAULT_BINDING_ROOT}));
            DEFAULT_BINDING_ROOT.to_string()
        }
    }
}

/// The workload annotation `key` read as JSON (a record an earlier projection left).
pub fn json_annotation(workload: &Value, key: &str) -> Option<Value> {
    let text = workload.pointer("/metadata/annotations")?.get(key)?.as_str()?;
    serde_json::from_str::<Value>(text).ok()
}

/// The containers a template reaches, as paths, with the template entry that reached them (as
/// the reference runtime reads a mapping: each match is one container).
pub fn containers(root: &Value, tmpl: &CompiledTemplate) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, c) in tmpl.containers.iter().enumerate() {
        for p in c.path.find(root) {
            out.push((i, p));
        }
    }
    out
}

/// The containers a template reaches as SBO reads it: a match that is a list contributes each
/// element, a match that is neither a map nor a list none; deduplicated, in template order.
pub fn containers_expanding_lists(root: &Value, tmpl: &CompiledTemplate) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, c) in tmpl.containers.iter().enumerate() {
        for p in c.path.find(root) {
            let paths = match ContainerPath::get(root, &p) {
                Some(Value::Array(items)) => (0..items.len()).map(|j| format!("{p}[{j}]")).collect(),
                Some(Value::Object(_)) => vec![p],
                _ => Vec::new(),
            };
            for p in paths {
                if !out.iter().any(|(_, q)| *q == p) {
                    out.push((i, p));
                }
            }
        }
    }
    out
}

/// The container at a path [`containers`] returned: `None` when it vanished, an error when it
/// is not an object.
pub fn container_mut<'v>(root: &'v mut Value, path: &str) -> Result<Option<&'v mut Value>, PodSpecError> {
    match ContainerPath::get_mut(root, path) {
        None => Ok(None),
        Some(c) if c.is_object() => Ok(Some(c)),
        Some(_) => Err(PodSpecError::ContainerNotAnObject { path: path.to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn lists_and_named_entries() {
        let mut v = json!({"spec": {"env": [{"name": "A", "value": "1"}], "bad": {"x": 1}}});
        let path = vec!["spec".to_string(), "env".to_string()];
        let mut env = list_at(&v, &path, "env").unwrap();
        upsert_named(&mut env, json!({"name": "A", "value": "2"}));
        upsert_named(&mut env, json!({"name": "B", "value": "3"}));
        assert_eq!(binding_root(&mut env), DEFAULT_BINDING_ROOT);
        assert_eq!(binding_root(&mut env), DEFAULT_BINDING_ROOT, "appended once");
        set_list(&mut v, &path, env).unwrap();
        let names: Vec<&str> = v["spec"]["env"].as_array().unwrap().iter().map(name_of).collect();
        assert_eq!(names, ["A", "B", BINDING_ROOT_ENV]);
        assert_eq!(v["spec"]["env"][0]["value"], "2");
        let bad = vec!["spec".to_string(), "bad".to_string()];
        assert_eq!(list_at(&v, &bad, "volumes").unwrap_err().to_string(), "volumes at .spec.bad is an object, not a list");
        assert!(list_at(&v, &["missing".to_string()], "env").unwrap().is_empty());
    }

    #[test]
    fn containers_as_each_engine_reads_them() {
        let v = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}], "extra": [[{"name": "x"}]]}});
        let tmpl = crate::kube::mapping::MappingTemplate {
            containers: vec![
                crate::kube::mapping::MappingContainer { path: ".spec.containers[*]".into(), ..Default::default() },
                crate::kube::mapping::MappingContainer { path: ".spec.extra[*]".into(), ..Default::default() },
            ],
            ..Default::default()
        }
        .compile()
        .unwrap();
        assert_eq!(containers(&v, &tmpl).len(), 3, "each match is one container");
        let expanded = containers_expanding_lists(&v, &tmpl);
        assert_eq!(expanded.len(), 3);
        assert_eq!(expanded[2], (1, "$['spec']['extra'][0][0]".to_string()), "a list match contributes its elements");
        let mut w = v.clone();
        assert!(container_mut(&mut w, &expanded[0].1).unwrap().is_some());
        assert!(container_mut(&mut w, "$['spec']['extra'][0]").is_err(), "a list is not a container");
    }

    #[test]
    fn json_annotations() {
        let w = json!({"metadata": {"annotations": {"a": "{\"volume\": \"v\"}", "b": "not json"}}});
        assert_eq!(json_annotation(&w, "a").unwrap()["volume"], "v");
        assert!(json_annotation(&w, "b").is_none());
        assert!(json_annotation(&w, "c").is_none());
    }
}
