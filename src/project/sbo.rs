//! SBO projection (sbo-semantics §13, §14): write a binding's [`Delivery`] into a workload as
//! SBO would — files mode mounts a volume at `$SERVICE_BINDING_ROOT/<binding name>` whose sources
//! reference the original Secrets and ConfigMaps (`items` key → file name); env mode adds one
//! `secretKeyRef`/`configMapKeyRef`/literal variable per item — and remove it again on re-render.

use crate::doc::value::{Map, Value};
use crate::json;

use crate::bindings::sbo::delivery::Delivery;
use crate::bindings::sbo::OperatorBinding;
use crate::doc::document::DocId;
use crate::kube::jsonpath::{get_fixed, slot_fixed, ContainerPath};
use crate::kube::mapping::{MappingContainer, MappingSpec, MappingTemplate};
use crate::kube::{path_join, version_of};
use crate::model::bound::{BoundContainer, Entries};
use crate::resolve::OperatorResolved;

use super::StepOutcome;

/// Annotation on the workload recording what bindery projected for an SBO binding, so that
/// rendering again replaces it instead of adding to it.
pub const MARKER_PREFIX: &str = "bindery.dev/sbo-";

/// Project Service Binding Operator binding `binding` (index `index`) into workload `wid`, whose
/// current value is `value` (copied from `input` on first write); `Err` names the cause.
pub fn project_binding(
    value: &mut Option<Value>,
    input: &Value,
    binding: &OperatorResolved,
    index: usize,
    wid: DocId,
) -> Result<StepOutcome, String> {
    let (Some(delivery), b) = (&binding.delivery, &binding.binding) else { return Ok(StepOutcome::default()) };
    let current = value.as_ref().unwrap_or(input);
    let version = version_of(current.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string();
    let tmpl = sbo_template(binding.mapping.as_deref(), &version, b.application.containers_path.as_deref()).compile()?;
    let workload = value.get_or_insert_with(|| input.clone());
    unproject(workload, &tmpl, b)?;
    let projected = project(workload, &tmpl, b, delivery)?;
    let sources: Entries = delivery.entries.iter().map(|(name, via)| (name.clone(), via.source())).collect();
    let none: Entries = Entries::from([]);
    let bound = projected
        .containers
        .into_iter()
        .map(|(container, mount_path)| {
            let (files, env) = if b.bind_as_files { (sources.clone(), none.clone()) } else { (none.clone(), sources.clone()) };
            BoundContainer { workload: wid, binding: index, container, mount_path, files, env, replaced_env: Vec::new() }
        })
        .collect();
    Ok(StepOutcome { bound, shadowed: projected.shadowed })
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
        Some(other) => Err(format!("{what} at .{} is {}, not a list", path.join("."), crate::kube::type_name(other))),
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
fn container_paths(root: &Value, t: &crate::kube::mapping::CompiledTemplate) -> Vec<(usize, String)> {
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
pub fn unproject(workload: &mut Value, t: &crate::kube::mapping::CompiledTemplate, b: &OperatorBinding) -> Result<(), String> {
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
pub fn project(
    workload: &mut Value,
    t: &crate::kube::mapping::CompiledTemplate,
    b: &OperatorBinding,
    d: &Delivery,
) -> Result<Projected, String> {
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
    fn pointers() {
        assert_eq!(pointer_of("$['spec']['template']['spec']['containers'][0]"), "/spec/template/spec/containers/0");
    }
}
