//! SBO projection (sbo-semantics §13, §14), delivering what SBO would deliver without copying
//! Secret values: files mode mounts a volume at `$SERVICE_BINDING_ROOT/<binding name>` whose
//! sources reference the original Secrets and ConfigMaps (`items` key → file name); env mode
//! adds one `secretKeyRef`/`configMapKeyRef`/literal variable per item. Non-secret values with no
//! resource to reference go into a generated ConfigMap; only values that cannot be referenced
//! (a Secret in another namespace, a mapping template over secret values, `secretPath`) go into
//! a generated Secret, with a warning.

use std::collections::BTreeMap;

use crate::json;
use crate::value::{Map, Value};
use base64::Engine;

use super::collect::{Collected, ItemSource};
use super::OperatorBinding;
use crate::jsonpath::{get_fixed, slot_fixed, ContainerPath};
use crate::k8s::path_join;
use crate::mapping::{MappingContainer, MappingSpec, MappingTemplate};

/// Annotation on the workload recording what bindery projected for an SBO binding, so that
/// rendering again replaces it instead of adding to it.
pub const MARKER_PREFIX: &str = "bindery.dev/sbo-";
/// Annotation on generated ConfigMaps and Secrets: the binding they were generated for.
pub const GENERATED_FOR: &str = "bindery.dev/generated-for";

/// How one item reaches the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    SecretRef {
        name: String,
        key: String,
    },
    ConfigMapRef {
        name: String,
        key: String,
    },
    /// A literal env value (env mode, non-secret values only).
    Value(String),
}

impl Via {
    /// The same, as the source record `explain` prints.
    pub fn source(&self) -> crate::project::ValueSource {
        use crate::project::ValueSource;
        match self {
            Via::SecretRef { name, key } => ValueSource::SecretKey { secret: name.clone(), key: key.clone() },
            Via::ConfigMapRef { name, key } => ValueSource::ConfigMapKey { configmap: name.clone(), key: key.clone() },
            Via::Value(v) => ValueSource::Literal { value: v.clone() },
        }
    }
}

/// How a binding's items are delivered, and what must be generated for that.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Final item name → how it is delivered, sorted by name.
    pub entries: Vec<(String, Via)>,
    /// Files mode: the volume (without its name).
    pub volume: Value,
    /// Generated ConfigMap / Secret documents.
    pub generated: Vec<Value>,
    /// The one Secret holding all the data (reused or generated), when one exists.
    pub secret_name: Option<String>,
    /// Why values had to be copied into a generated Secret.
    pub copies: Vec<String>,
}

/// SBO's generated-resource name: `<metadata.name>-<first 8 hex of sha256(k1 v1 k2 v2 …)>`.
pub fn generated_name(binding_name: &str, data: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in data {
        h.update(k.as_bytes());
        h.update(v.as_bytes());
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{binding_name}-{hex}")
}

fn generated_doc(kind: &str, b: &OperatorBinding, data: &BTreeMap<String, String>) -> Value {
    let name = generated_name(&b.name, data);
    let mut meta = json!({"name": name, "namespace": b.namespace, "annotations": {GENERATED_FOR: format!("{}/{}", b.namespace, b.name)}});
    if kind == "Secret" {
        let encoded: Map = data.iter().map(|(k, v)| (k.clone(), json!(base64::engine::general_purpose::STANDARD.encode(v)))).collect();
        meta["labels"] = json!({"app.kubernetes.io/managed-by": "bindery"});
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": encoded})
    } else {
        meta["labels"] = json!({"app.kubernetes.io/managed-by": "bindery"});
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
    }
}

/// Decide how every item is delivered.
pub fn plan(b: &OperatorBinding, data: &Collected) -> Delivery {
    let mut d = Delivery::default();
    if let Some(secret) = &data.reuse {
        d.secret_name = Some(secret.clone());
        d.volume = json!({"secret": {"secretName": secret}});
        d.entries = data.items.iter().map(|i| (i.name.clone(), Via::SecretRef { name: secret.clone(), key: i.name.clone() })).collect();
        return d;
    }
    let everything_in_one_secret = b.application.secret_path.is_some();
    let mut to_secret: BTreeMap<String, String> = BTreeMap::new();
    let mut to_configmap: BTreeMap<String, String> = BTreeMap::new();
    let mut planned: Vec<(String, Option<Via>, bool)> = Vec::new(); // (name, reference, goes to generated secret)
    for item in &data.items {
        if everything_in_one_secret {
            to_secret.insert(item.name.clone(), item.value.clone());
            planned.push((item.name.clone(), None, true));
            continue;
        }
        match &item.source {
            ItemSource::SecretKey { namespace, name, key } if *namespace == b.namespace => {
                planned.push((item.name.clone(), Some(Via::SecretRef { name: name.clone(), key: key.clone() }), false))
            }
            ItemSource::ConfigMapKey { namespace, name, key } if *namespace == b.namespace => {
                planned.push((item.name.clone(), Some(Via::ConfigMapRef { name: name.clone(), key: key.clone() }), false))
            }
            ItemSource::SecretKey { namespace, name, .. } => {
                d.copies.push(format!(
                    "{:?} comes from Secret {namespace}/{name}, which a pod in {:?} cannot reference",
                    item.name, b.namespace
                ));
                to_secret.insert(item.name.clone(), item.value.clone());
                planned.push((item.name.clone(), None, true));
            }
            ItemSource::Literal { secret: true } | ItemSource::Mapping { secret: true } => {
                if matches!(item.source, ItemSource::Mapping { .. }) {
                    d.copies.push(format!("mapping {:?} combines secret values", item.name));
                } else {
                    d.copies.push(format!("{:?} is read out of a Secret used as a service", item.name));
                }
                to_secret.insert(item.name.clone(), item.value.clone());
                planned.push((item.name.clone(), None, true));
            }
            ItemSource::ConfigMapKey { .. } | ItemSource::Literal { secret: false } | ItemSource::Mapping { secret: false } => {
                if b.bind_as_files {
                    to_configmap.insert(item.name.clone(), item.value.clone());
                    planned.push((item.name.clone(), None, false));
                } else {
                    planned.push((item.name.clone(), Some(Via::Value(item.value.clone())), false));
                }
            }
        }
    }
    if everything_in_one_secret {
        d.copies.push("bindingPath.secretPath needs one Secret holding all binding data".into());
    }
    let secret_name = (!to_secret.is_empty()).then(|| generated_name(&b.name, &to_secret));
    let configmap_name = (!to_configmap.is_empty()).then(|| generated_name(&b.name, &to_configmap));
    if !to_configmap.is_empty() {
        d.generated.push(generated_doc("ConfigMap", b, &to_configmap));
    }
    if !to_secret.is_empty() {
        d.generated.push(generated_doc("Secret", b, &to_secret));
    }
    d.secret_name = secret_name.clone();
    for (name, via, secret) in planned {
        let via = via.unwrap_or_else(|| {
            if secret {
                Via::SecretRef { name: secret_name.clone().unwrap_or_default(), key: name.clone() }
            } else {
                Via::ConfigMapRef { name: configmap_name.clone().unwrap_or_default(), key: name.clone() }
            }
        });
        d.entries.push((name, via));
    }
    // Files: one projected source per referenced resource, in order of first use.
    let mut sources: Vec<(String, String, Vec<Value>)> = Vec::new(); // (kind, name, items)
    for (file, via) in &d.entries {
        let (kind, name, key) = match via {
            Via::SecretRef { name, key } => ("secret", name, key),
            Via::ConfigMapRef { name, key } => ("configMap", name, key),
            Via::Value(_) => continue,
        };
        let item = json!({"key": key, "path": file});
        match sources.iter_mut().find(|(k, n, _)| k == kind && n == name) {
            Some((_, _, items)) => items.push(item),
            None => sources.push((kind.to_string(), name.clone(), vec![item])),
        }
    }
    let sources: Vec<Value> = sources.into_iter().map(|(kind, name, items)| json!({kind: {"name": name, "items": items}})).collect();
    d.volume = json!({"projected": {"sources": sources}});
    d
}

/// SBO's container template for a workload version (sbo-semantics §13.1).
pub fn sbo_template(cwrm: Option<&MappingSpec>, version: &str, containers_path: Option<&str>) -> MappingTemplate {
    let default_containers = || {
        vec![
            MappingContainer { path: ".spec.template.spec.containers[*]".into(), ..Default::default() },
            MappingContainer { path: ".spec.template.spec.initContainers[*]".into(), ..Default::default() },
        ]
    };
    let mut t = cwrm
        .and_then(|m| {
            m.versions.iter().find(|t| t.version == version).or_else(|| m.versions.iter().rev().find(|t| t.version == "*")).cloned()
        })
        .unwrap_or_default();
    if t.containers.is_empty() {
        t.containers = default_containers();
    }
    for c in &mut t.containers {
        for (field, default) in [(&mut c.name, ".name"), (&mut c.env, ".env"), (&mut c.volume_mounts, ".volumeMounts")] {
            if field.is_empty() {
                *field = default.into();
            }
        }
    }
    if t.volumes.is_empty() {
        t.volumes = ".spec.template.spec.volumes".into();
    }
    if t.annotations.is_empty() {
        t.annotations = ".spec.template.metadata.annotations".into();
    }
    if let Some(p) = containers_path {
        let path = format!(".{p}[*]");
        if t.containers.iter().any(|c| c.path != path) {
            t.containers.push(MappingContainer { path, name: ".name".into(), env: ".env".into(), volume_mounts: ".volumeMounts".into() });
        }
    }
    t
}

fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

fn list_at(root: &Value, path: &[String], what: &str) -> Result<Vec<Value>, String> {
    match get_fixed(root, path)? {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(other) => Err(format!("{what} at .{} is {}, not a list", path.join("."), crate::k8s::type_name(other))),
    }
}

/// Replace the entry of the same name in place, or append.
fn upsert(list: &mut Vec<Value>, entry: Value) {
    match list.iter_mut().find(|e| name_of(e) == name_of(&entry)) {
        Some(slot) => *slot = entry,
        None => list.push(entry),
    }
}

/// The container objects a template reaches, as paths (deduplicated, in template order). A
/// path whose result is a list contributes each element.
fn container_paths(root: &Value, t: &crate::mapping::CompiledTemplate) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for (i, c) in t.containers.iter().enumerate() {
        for p in c.path.find(root) {
            let paths = match root.pointer(&pointer_of(&p)) {
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

/// jsonpath-rust result path (`$['a'][0]`) → JSON pointer (`/a/0`).
fn pointer_of(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path.trim_start_matches('$');
    while let Some(r) = rest.strip_prefix('[') {
        let (seg, next) = if let Some(q) = r.strip_prefix('\'') {
            let Some(end) = q.find("']") else { break };
            (&q[..end], &q[end + 2..])
        } else {
            let Some(end) = r.find(']') else { break };
            (&r[..end], &r[end + 1..])
        };
        out.push('/');
        out.push_str(&seg.replace('~', "~0").replace('/', "~1"));
        rest = next;
    }
    out
}

/// The record bindery leaves on the workload for one SBO binding.
fn marker_key(b: &OperatorBinding) -> String {
    format!("{MARKER_PREFIX}{}", b.uid)
}

/// Remove what an earlier render projected for this binding (from the marker annotation).
pub fn unproject(workload: &mut Value, t: &crate::mapping::CompiledTemplate, b: &OperatorBinding) -> Result<(), String> {
    let key = marker_key(b);
    let Some(marker) = workload
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(&key))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    else {
        return Ok(());
    };
    let volume = marker.get("volume").and_then(Value::as_str).unwrap_or("").to_string();
    let env: Vec<String> = marker
        .get("env")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    if !volume.is_empty() {
        let mut volumes = list_at(workload, &t.volumes, "volumes")?;
        volumes.retain(|v| name_of(v) != volume);
        *slot_fixed(workload, &t.volumes)? = Value::Array(volumes);
    }
    for (i, path) in container_paths(workload, t) {
        let entry = &t.containers[i];
        let Some(c) = ContainerPath::get_mut(workload, &path) else { continue };
        if !volume.is_empty() && get_fixed(c, &entry.volume_mounts)?.is_some() {
            let mut mounts = list_at(c, &entry.volume_mounts, "volumeMounts")?;
            mounts.retain(|m| name_of(m) != volume);
            *slot_fixed(c, &entry.volume_mounts)? = Value::Array(mounts);
        }
        if !env.is_empty() && get_fixed(c, &entry.env)?.is_some() {
            let mut list = list_at(c, &entry.env, "env")?;
            list.retain(|e| !env.iter().any(|n| n == name_of(e)));
            *slot_fixed(c, &entry.env)? = Value::Array(list);
        }
    }
    if let Some(Value::Object(a)) = workload.pointer_mut("/metadata/annotations") {
        a.shift_remove(&key);
    }
    Ok(())
}

/// What projecting one binding into one workload did.
pub struct Projected {
    /// (container name, mount path or "" in env mode) per bound container.
    pub containers: Vec<(String, String)>,
    /// `container/VAR` the workload already defined: they keep their value, as over envFrom.
    pub shadowed: Vec<String>,
}

/// Project one SBO binding into one workload.
pub fn project(workload: &mut Value, t: &crate::mapping::CompiledTemplate, b: &OperatorBinding, d: &Delivery) -> Result<Projected, String> {
    let mut bound = Vec::new();
    let mut shadowed = Vec::new();
    let containers = container_paths(workload, t);
    if let Some(path) = &b.application.secret_path {
        let keys: Vec<String> = path.split('.').map(str::to_string).collect();
        *slot_fixed(workload, &keys).map_err(|e| format!("secretPath {path:?}: {e}"))? = json!(d.secret_name.clone().unwrap_or_default());
    } else if containers.is_empty() {
        return Err("no containers found in application resource".into());
    }
    let mut injected_env: Vec<String> = Vec::new();
    if b.bind_as_files && !containers.is_empty() {
        let mut volume = d.volume.clone();
        if let Value::Object(m) = &mut volume {
            let mut named = Map::new();
            named.insert("name", json!(b.binding_name));
            named.extend(std::mem::take(m));
            *m = named;
        }
        let mut volumes = list_at(workload, &t.volumes, "volumes")?;
        upsert(&mut volumes, volume);
        *slot_fixed(workload, &t.volumes)? = Value::Array(volumes);
    }
    for (i, path) in &containers {
        let entry = &t.containers[*i];
        let Some(c) = ContainerPath::get_mut(workload, path) else { continue };
        if !c.is_object() {
            return Err(format!("container at {path} is not an object"));
        }
        let name = entry.name.as_ref().and_then(|p| get_fixed(c, p).ok().flatten()).and_then(Value::as_str).unwrap_or("").to_string();
        let mut env = list_at(c, &entry.env, "env")?;
        if b.bind_as_files {
            let root = match env.iter().find(|e| name_of(e) == "SERVICE_BINDING_ROOT") {
                Some(e) => e.get("value").and_then(Value::as_str).unwrap_or("").to_string(),
                None => {
                    env.push(json!({"name": "SERVICE_BINDING_ROOT", "value": "/bindings"}));
                    "/bindings".to_string()
                }
            };
            let mount_path = path_join(&root, &b.binding_name);
            let mut mounts = list_at(c, &entry.volume_mounts, "volumeMounts")?;
            upsert(&mut mounts, json!({"name": b.binding_name, "mountPath": mount_path}));
            *slot_fixed(c, &entry.volume_mounts)? = Value::Array(mounts);
            bound.push((name, mount_path));
        } else {
            for (var, via) in &d.entries {
                if env.iter().any(|e| name_of(e) == var) {
                    shadowed.push(format!("{name}/{var}"));
                    continue;
                }
                env.push(crate::project::env_entry(var, &via.source()));
                if !injected_env.contains(var) {
                    injected_env.push(var.clone());
                }
            }
            bound.push((name, String::new()));
        }
        *slot_fixed(c, &entry.env)? = Value::Array(env);
    }
    let marker = json!({"volume": if b.bind_as_files { json!(b.binding_name) } else { Value::Null }, "env": injected_env});
    let annotations = slot_fixed(workload, &["metadata".into(), "annotations".into()])?;
    if annotations.is_null() {
        *annotations = json!({});
    }
    if let Value::Object(a) = annotations {
        a.insert(marker_key(b), json!(marker.to_string()));
    }
    Ok(Projected { containers: bound, shadowed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_match_sbo_test_vectors() {
        let data: BTreeMap<String, String> = [("host", "db.example.com"), ("password", "s3cret"), ("username", "admin")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(generated_name("app-db", &data), "app-db-89a352b6");
        let data: BTreeMap<String, String> =
            [("DATABASE_HOST", "db.example.com"), ("DATABASE_PASSWORD", "s3cret"), ("DATABASE_USERNAME", "admin")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(generated_name("app-db", &data), "app-db-ba6aedb8");
    }

    #[test]
    fn pointers() {
        assert_eq!(pointer_of("$['spec']['template']['spec']['containers'][0]"), "/spec/template/spec/containers/0");
    }
}
