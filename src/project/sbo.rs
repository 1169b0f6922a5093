//! SBO projection (sbo-semantics §13, §14): write a binding's [`Delivery`] into a workload as
//! SBO would — files mode mounts a volume at `$SERVICE_BINDING_ROOT/<binding name>` whose sources
//! reference the original Secrets and ConfigMaps (`items` key → file name); env mode adds one
//! `secretKeyRef`/`configMapKeyRef`/literal variable per item — and remove it again on re-render.

use crate::doc::value::{Map, Value};
use crate::json;

use crate::bindings::sbo::delivery::Delivery;
use crate::bindings::sbo::OperatorBinding;
use crate::doc::document::DocId;
use crate::kube::jsonpath::{get_fixed, slot_fixed};
use crate::kube::mapping::{CompiledContainer, CompiledTemplate, MappingContainer, MappingSpec, MappingTemplate};
use crate::kube::podspec::{
    binding_root, container_mut, containers_expanding_lists, json_annotation, list_at, map_at_mut, name_of, set_list, upsert_named,
    PodSpecError,
};
use crate::kube::{path_join, version_of};
use crate::model::bound::{BoundContainer, Entries};
use crate::resolve::OperatorResolved;

use super::{ProjectionError, StepOutcome};

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
) -> Result<StepOutcome, ProjectionError> {
    let (Some(delivery), b) = (&binding.delivery, &binding.binding) else { return Ok(StepOutcome::default()) };
    let current = value.as_ref().unwrap_or(input);
    let version = version_of(current.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string();
    let tmpl = sbo_template(binding.mapping.as_deref(), &version, b.application.containers_path.as_deref()).compile()?;
    let workload = value.get_or_insert_with(|| input.clone());
    unproject(workload, &tmpl, b)?;
    let projected = project(workload, &tmpl, b, delivery)?;
    Ok(StepOutcome { bound: bound_records(binding, index, wid, projected.containers), shadowed: projected.shadowed })
}

/// What SBO binding `binding` (index `index`) gives each container (name, mount path) it was
/// projected into.
pub fn bound_records(binding: &OperatorResolved, index: usize, wid: DocId, containers: Vec<(String, String)>) -> Vec<BoundContainer> {
    let (Some(delivery), b) = (&binding.delivery, &binding.binding) else { return Vec::new() };
    let sources: Entries = delivery.entries.iter().map(|(name, via)| (name.clone(), via.source())).collect();
    let none: Entries = Entries::from([]);
    containers
        .into_iter()
        .map(|(container, mount_path)| {
            let (files, env) = if b.bind_as_files { (sources.clone(), none.clone()) } else { (none.clone(), sources.clone()) };
            BoundContainer { workload: wid, binding: index, container, mount_path, files, env, replaced_env: Vec::new() }
        })
        .collect()
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

/// The record bindery leaves on the workload for one SBO binding.
pub fn marker_key(b: &OperatorBinding) -> String {
    format!("{MARKER_PREFIX}{}", b.uid)
}

/// Remove what an earlier render projected for this binding (from the marker annotation).
pub fn unproject(workload: &mut Value, t: &CompiledTemplate, b: &OperatorBinding) -> Result<(), ProjectionError> {
    let key = marker_key(b);
    let Some(marker) = json_annotation(workload, &key) else {
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
        set_list(workload, &t.volumes, volumes)?;
    }
    for (i, path) in containers_expanding_lists(workload, t) {
        let entry = &t.containers[i];
        let Some(c) = container_mut(workload, &path)? else { continue };
        if !volume.is_empty() && get_fixed(c, &entry.volume_mounts)?.is_some() {
            let mut mounts = list_at(c, &entry.volume_mounts, "volumeMounts")?;
            mounts.retain(|m| name_of(m) != volume);
            set_list(c, &entry.volume_mounts, mounts)?;
        }
        if !env.is_empty() && get_fixed(c, &entry.env)?.is_some() {
            let mut list = list_at(c, &entry.env, "env")?;
            list.retain(|e| !env.iter().any(|n| n == name_of(e)));
            set_list(c, &entry.env, list)?;
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
pub fn project(workload: &mut Value, t: &CompiledTemplate, b: &OperatorBinding, d: &Delivery) -> Result<Projected, ProjectionError> {
    let containers = containers_expanding_lists(workload, t);
    if let Some(path) = &b.application.secret_path {
        let keys: Vec<String> = path.split('.').map(str::to_string).collect();
        let slot = slot_fixed(workload, &keys).map_err(|source| ProjectionError::SecretPath { path: path.clone(), source })?;
        *slot = json!(d.secret_name.clone().unwrap_or_default());
    } else if containers.is_empty() {
        return Err(ProjectionError::NoContainers);
    }
    if b.bind_as_files && !containers.is_empty() {
        add_volume(workload, t, b, d)?;
    }
    let mut out = Projected { containers: Vec::new(), shadowed: Vec::new() };
    let mut injected_env: Vec<String> = Vec::new();
    for (i, path) in &containers {
        let Some(c) = container_mut(workload, path)? else { continue };
        out.containers.push(project_container(c, &t.containers[*i], b, d, &mut injected_env, &mut out.shadowed)?);
    }
    let marker = json!({"volume": if b.bind_as_files { json!(b.binding_name) } else { Value::Null }, "env": injected_env});
    map_at_mut(workload, &["metadata".into(), "annotations".into()])?.insert(marker_key(b), json!(marker.to_string()));
    Ok(out)
}

/// Files mode: the binding's volume, named after the binding (replacing one of that name).
fn add_volume(workload: &mut Value, t: &CompiledTemplate, b: &OperatorBinding, d: &Delivery) -> Result<(), PodSpecError> {
    let mut volume = d.volume.clone();
    if let Value::Object(m) = &mut volume {
        let mut named = Map::new();
        named.insert("name", json!(b.binding_name));
        named.extend(std::mem::take(m));
        *m = named;
    }
    let mut volumes = list_at(workload, &t.volumes, "volumes")?;
    upsert_named(&mut volumes, volume);
    set_list(workload, &t.volumes, volumes)
}

/// One container: the mount (files mode) or one variable per item (env mode; a variable the
/// container already sets keeps its value and is noted in `shadowed`). Returns the container's
/// name and mount path (`""` in env mode).
fn project_container(
    c: &mut Value,
    entry: &CompiledContainer,
    b: &OperatorBinding,
    d: &Delivery,
    injected_env: &mut Vec<String>,
    shadowed: &mut Vec<String>,
) -> Result<(String, String), PodSpecError> {
    let name = entry.name.as_ref().and_then(|p| get_fixed(c, p).ok().flatten()).and_then(Value::as_str).unwrap_or("").to_string();
    let mut env = list_at(c, &entry.env, "env")?;
    let mount_path = if b.bind_as_files {
        let mount_path = path_join(&binding_root(&mut env), &b.binding_name);
        let mut mounts = list_at(c, &entry.volume_mounts, "volumeMounts")?;
        upsert_named(&mut mounts, json!({"name": b.binding_name, "mountPath": mount_path}));
        set_list(c, &entry.volume_mounts, mounts)?;
        mount_path
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
        String::new()
    };
    set_list(c, &entry.env, env)?;
    Ok((name, mount_path))
}

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::kube::jsonpath::ContainerPath;

    /// Container paths from jsonpath-rust are walked as the document model reads them (an
    /// earlier re-parse into a JSON pointer did not unescape `\'`).
    #[test]
    fn container_paths_are_walked_exactly() {
        let v = json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}, "it's": [{"name": "q"}]});
        assert_eq!(ContainerPath::get(&v, "$['spec']['template']['spec']['containers'][0]").unwrap()["name"], "a");
        assert_eq!(ContainerPath::get(&v, "$['it\\'s'][0]").unwrap()["name"], "q");
    }
}
