//! Project: rewrite workloads as the servicebinding.io reference runtime does (spec-semantics
//! §8): unproject any earlier projection of a binding, then project it again — a projected
//! volume of the binding Secret (with downward-API `type`/`provider` overrides), read-only
//! mounts under `$SERVICE_BINDING_ROOT`, and `secretKeyRef` env mappings.

use crate::doc::value::{object, Value};
use crate::json;

use crate::bindings::spec::Binding;
use crate::doc::document::DocId;
use crate::index::MAPPING_ANNOTATION_PREFIX;
use crate::kube::jsonpath::{get_fixed, remove_fixed, ContainerPath};
use crate::kube::mapping::{CompiledContainer, CompiledTemplate, MappingSpec};
use crate::kube::podspec::{
    binding_root, container_mut, containers, json_annotation, list_at, map_at_mut, name_of, set_list, PodSpecError,
};
use crate::kube::{path_join, version_of};
use crate::model::bound::{BoundContainer, Entries, ValueSource};
use crate::resolve::{BindingSecret, CollectedData, ResolvedMapping, SpecResolved, Step};

use super::StepOutcome;

pub const ANNOTATION_PREFIX: &str = "projector.servicebinding.io/";
pub const SECRET_ANNOTATION_PREFIX: &str = "projector.servicebinding.io/secret-";
pub const VOLUME_PREFIX: &str = "servicebinding-";
/// Workload annotation recording the variables `spec.env` injected from collected binding data
/// (one per binding UID, a JSON list of names): they may reference Secrets the container also
/// reads itself, so unprojection removes exactly these.
pub const ENV_RECORD_PREFIX: &str = "bindery.dev/spec-env-";

/// The names a binding's projection uses, all derived from its stable UID.
pub struct Names {
    pub volume: String,
    pub secret_annotation: String,
    pub type_annotation: String,
    pub provider_annotation: String,
    pub mapping_annotation: String,
    pub env_record: String,
}

impl Names {
    pub fn of(uid: &str) -> Self {
        Names {
            volume: format!("{VOLUME_PREFIX}{uid}"),
            secret_annotation: format!("{SECRET_ANNOTATION_PREFIX}{uid}"),
            type_annotation: format!("{ANNOTATION_PREFIX}type-{uid}"),
            provider_annotation: format!("{ANNOTATION_PREFIX}provider-{uid}"),
            mapping_annotation: format!("{MAPPING_ANNOTATION_PREFIX}{uid}"),
            env_record: format!("{ENV_RECORD_PREFIX}{uid}"),
        }
    }
}

pub fn field_ref(annotation: &str) -> String {
    format!("metadata.annotations['{annotation}']")
}

/// The source of entry `key` of binding `b` whose Secret is `secret`.
pub fn entry_source(b: &Binding, key: &str, secret: &str) -> ValueSource {
    match (key, &b.type_override, &b.provider_override) {
        ("type", Some(t), _) => {
            ValueSource::Override { field: "spec.type", value: t.clone(), annotation: Names::of(&b.uid).type_annotation }
        }
        ("provider", _, Some(p)) => {
            ValueSource::Override { field: "spec.provider", value: p.clone(), annotation: Names::of(&b.uid).provider_annotation }
        }
        _ => ValueSource::SecretKey { secret: secret.to_string(), key: key.to_string() },
    }
}

/// Project servicebinding.io binding `binding` (plan step `step`) into workload `wid`, whose
/// current value is `value` (copied from `input` on first write); `Err` names the cause.
pub fn project_step(
    value: &mut Option<Value>,
    input: &Value,
    mapping: &ResolvedMapping,
    binding: &SpecResolved,
    step: Step,
    wid: DocId,
) -> Result<StepOutcome, PodSpecError> {
    if let Some(collected) = &binding.collected {
        return project_collected_step(value, input, mapping, binding, collected, step, wid);
    }
    let secret = if step.project { binding.secret.as_ref() } else { None };
    let workload = value.get_or_insert_with(|| input.clone());
    let containers = apply(workload, &mapping.spec, &binding.binding, secret.map(|s| s.name.as_str()))?;
    let Some(secret) = secret else { return Ok(StepOutcome::default()) };
    Ok(StepOutcome { bound: bound_records(binding, secret, step, wid, containers), shadowed: Vec::new() })
}

/// What binding `binding` (Secret `secret`, plan step `step`) gives each container it was
/// projected into.
pub fn bound_records(
    binding: &SpecResolved,
    secret: &BindingSecret,
    step: Step,
    wid: DocId,
    containers: Vec<BoundInto>,
) -> Vec<BoundContainer> {
    let b = &binding.binding;
    let mut keys = secret.keys.clone();
    keys.extend(b.type_override.as_ref().map(|_| "type".to_string()));
    keys.extend(b.provider_override.as_ref().map(|_| "provider".to_string()));
    let files: Entries = keys.iter().map(|k| (k.clone(), entry_source(b, k, &secret.name))).collect();
    let env: Entries = b.env.iter().map(|m| (m.name.clone(), entry_source(b, &m.key, &secret.name))).collect();
    containers
        .into_iter()
        .map(|BoundInto { container, mount_path, replaced_env }| BoundContainer {
            workload: wid,
            binding: step.binding,
            container,
            mount_path,
            files: files.clone(),
            env: env.clone(),
            replaced_env,
        })
        .collect()
}

/// One container a binding was projected into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundInto {
    /// The container's name (empty when the mapping gives none).
    pub container: String,
    pub mount_path: String,
    /// Variables the container set itself that a `spec.env` mapping replaced.
    pub replaced_env: Vec<String>,
}

/// Unproject `binding` from `workload`, then project it with `secret` when given. Returns the
/// bound containers.
pub fn apply(workload: &mut Value, current: &MappingSpec, binding: &Binding, secret: Option<&str>) -> Result<Vec<BoundInto>, PodSpecError> {
    apply_projection(workload, current, binding, secret.map(Projection::Secret))
}

/// What a servicebinding.io binding projects: the one binding Secret (the reference runtime's
/// projection), or binding data collected from several sources ([`CollectedData`]).
#[derive(Clone, Copy)]
enum Projection<'a> {
    Secret(&'a str),
    Collected(&'a CollectedData),
}

/// [`apply`] for either kind of projection (`None`: unproject only).
fn apply_projection(
    workload: &mut Value,
    current: &MappingSpec,
    binding: &Binding,
    projection: Option<Projection>,
) -> Result<Vec<BoundInto>, PodSpecError> {
    let names = Names::of(&binding.uid);
    let version = version_of(workload.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string();
    let stashed = json_annotation(workload, &names.mapping_annotation)
        .and_then(|v| MappingSpec::parse(&v).ok())
        .and_then(|m| m.template_for(&version).compiled().ok());
    let current_tmpl = current.template_for(&version).compiled()?;
    let mut emptied = Vec::new();
    unproject(workload, stashed.as_ref().unwrap_or(&current_tmpl), &names, &mut emptied)?;
    let mut bound = Vec::new();
    if let Some(projection) = projection {
        bound = match projection {
            Projection::Secret(secret) => project(workload, &current_tmpl, binding, secret, &names)?,
            Projection::Collected(data) => project_collected(workload, &current_tmpl, binding, data, &names)?,
        };
        let annotations = map_at_mut(workload, &["metadata".into(), "annotations".into()])?;
        annotations.insert(names.mapping_annotation.clone(), Value::from(&*current.go_json()));
    }
    // Collections that unprojection emptied and projection did not refill were ours: drop
    // them, so no empty collection appears that the author did not write. Refilled ones kept
    // their place, so rendering the output again is byte-identical.
    for place in emptied.iter().rev() {
        let holder = match &place.container {
            Some(p) => ContainerPath::get_mut(workload, p),
            None => Some(&mut *workload),
        };
        if let Some(holder) = holder {
            if get_fixed(holder, &place.keys).ok().flatten().is_some_and(is_empty_collection) {
                remove_fixed(holder, &place.keys);
            }
        }
    }
    Ok(bound)
}

/// A collection unprojection emptied: in a container (by its path) or in the workload.
struct Emptied {
    container: Option<String>,
    keys: Vec<String>,
}

fn is_empty_collection(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Write back a list unprojection removed entries from, noting it when that emptied it.
fn put_list(
    root: &mut Value,
    path: &[String],
    items: Vec<Value>,
    container: Option<&str>,
    emptied: &mut Vec<Emptied>,
) -> Result<(), PodSpecError> {
    if items.is_empty() {
        emptied.push(Emptied { container: container.map(str::to_string), keys: path.to_vec() });
    }
    set_list(root, path, items)
}

fn unproject(root: &mut Value, tmpl: &CompiledTemplate, names: &Names, emptied: &mut Vec<Emptied>) -> Result<(), PodSpecError> {
    let secret = match get_fixed(root, &tmpl.annotations)? {
        Some(Value::Object(a)) => a.get(&names.secret_annotation).and_then(Value::as_str).unwrap_or("").to_string(),
        _ => String::new(),
    };
    let type_ref = field_ref(&names.type_annotation);
    let provider_ref = field_ref(&names.provider_annotation);
    let recorded = recorded_env(root, &names.env_record);

    if get_fixed(root, &tmpl.volumes)?.is_some() {
        let mut volumes = list_at(root, &tmpl.volumes, "volumes")?;
        let before = volumes.len();
        volumes.retain(|v| name_of(v) != names.volume);
        if volumes.len() != before {
            put_list(root, &tmpl.volumes, volumes, None, emptied)?;
        }
    }
    for (i, path) in containers(root, tmpl) {
        let entry = &tmpl.containers[i];
        let Some(container) = container_mut(root, &path)? else { continue };
        if get_fixed(container, &entry.volume_mounts)?.is_some() {
            let mut mounts = list_at(container, &entry.volume_mounts, "volumeMounts")?;
            let before = mounts.len();
            mounts.retain(|m| name_of(m) != names.volume);
            if mounts.len() != before {
                put_list(container, &entry.volume_mounts, mounts, Some(&path), emptied)?;
            }
        }
        if get_fixed(container, &entry.env)?.is_some() {
            let mut env = list_at(container, &entry.env, "env")?;
            let before = env.len();
            env.retain(|e| {
                let from_secret = e.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str);
                let field = e.pointer("/valueFrom/fieldRef/fieldPath").and_then(Value::as_str);
                let ours = (!secret.is_empty() && from_secret == Some(secret.as_str()))
                    || field == Some(type_ref.as_str())
                    || field == Some(provider_ref.as_str())
                    || recorded.iter().any(|n| n == name_of(e));
                !ours
            });
            if env.len() != before {
                put_list(container, &entry.env, env, Some(&path), emptied)?;
            }
        }
    }
    let keys = [&names.secret_annotation, &names.type_annotation, &names.provider_annotation];
    remove_keys(root, &tmpl.annotations, &keys, emptied)?;
    remove_keys(root, &["metadata".into(), "annotations".into()], &[&names.mapping_annotation, &names.env_record], emptied)?;
    Ok(())
}

/// Remove keys from the map at a fixed path, noting it when that emptied the map.
fn remove_keys(root: &mut Value, path: &[String], keys: &[&String], emptied: &mut Vec<Emptied>) -> Result<(), PodSpecError> {
    let Some(Value::Object(_)) = get_fixed(root, path)? else {
        return Ok(());
    };
    let map = map_at_mut(root, path)?;
    let before = map.len();
    for k in keys {
        map.shift_remove(k.as_str());
    }
    if map.is_empty() && before > 0 {
        emptied.push(Emptied { container: None, keys: path.to_vec() });
    }
    Ok(())
}

fn project(root: &mut Value, tmpl: &CompiledTemplate, b: &Binding, secret: &str, names: &Names) -> Result<Vec<BoundInto>, PodSpecError> {
    let bound_secrets = annotate(root, tmpl, b, Some(secret), names)?;
    add_volume(root, tmpl, b, vec![json!({"secret": {"name": secret}})], names)?;
    project_containers(root, tmpl, b, &|key| entry_source(b, key, secret), names, bound_secrets)
}

/// [`project_container`] into every container of the template, once the volume and the
/// annotations are in place.
fn project_containers(
    root: &mut Value,
    tmpl: &CompiledTemplate,
    b: &Binding,
    source_of: &dyn Fn(&str) -> ValueSource,
    names: &Names,
    bound_secrets: Vec<String>,
) -> Result<Vec<BoundInto>, PodSpecError> {
    let projected = ProjectedEnv { secrets: bound_secrets, recorded: all_recorded_env(root) };
    let mut bound = Vec::new();
    for (i, path) in containers(root, tmpl) {
        let entry = &tmpl.containers[i];
        let Some(container) = container_mut(root, &path)? else { continue };
        bound.extend(project_container(container, entry, b, source_of, names, &projected)?);
    }
    Ok(bound)
}

/// Pod-template annotations: the Secret name (when there is one) and the overrides the downward
/// API reads. Returns the names of every Secret a binding projects into this workload.
fn annotate(
    root: &mut Value,
    tmpl: &CompiledTemplate,
    b: &Binding,
    secret: Option<&str>,
    names: &Names,
) -> Result<Vec<String>, PodSpecError> {
    let bound_secrets = |annotations: &crate::doc::value::Map| -> Vec<String> {
        annotations
            .iter()
            .filter(|(k, _)| k.starts_with(SECRET_ANNOTATION_PREFIX))
            .filter_map(|(_, v)| v.as_str().map(str::to_string))
            .collect()
    };
    if secret.is_none() && b.type_override.is_none() && b.provider_override.is_none() {
        // Nothing to write: no annotations map the author did not write.
        return Ok(match get_fixed(root, &tmpl.annotations)? {
            Some(Value::Object(a)) => bound_secrets(a),
            _ => Vec::new(),
        });
    }
    let annotations = map_at_mut(root, &tmpl.annotations)?;
    if let Some(secret) = secret {
        annotations.insert(names.secret_annotation.clone(), json!(secret));
    }
    if let Some(t) = &b.type_override {
        annotations.insert(names.type_annotation.clone(), json!(t));
    }
    if let Some(p) = &b.provider_override {
        annotations.insert(names.provider_annotation.clone(), json!(p));
    }
    Ok(bound_secrets(annotations))
}

/// The volume: `sources` (the Secret, or the collected data's Secrets and ConfigMaps), then
/// downward-API items that shadow their type/provider files.
fn add_volume(root: &mut Value, tmpl: &CompiledTemplate, b: &Binding, mut sources: Vec<Value>, names: &Names) -> Result<(), PodSpecError> {
    for (set, file, annotation) in
        [(&b.type_override, "type", &names.type_annotation), (&b.provider_override, "provider", &names.provider_annotation)]
    {
        if set.is_some() {
            sources.push(json!({"downwardAPI": {"items": [{"path": file, "fieldRef": {"fieldPath": field_ref(annotation)}}]}}));
        }
    }
    let mut volumes = list_at(root, &tmpl.volumes, "volumes")?;
    volumes.push(json!({"name": names.volume, "projected": {"defaultMode": 420, "sources": sources}}));
    sort_projected(&mut volumes, |v| name_of(v).starts_with(VOLUME_PREFIX));
    set_list(root, &tmpl.volumes, volumes)
}

/// What tells the variables bindings projected from the container's own: the Secrets the
/// workload's bindings project, and the variables collected-data bindings recorded.
struct ProjectedEnv {
    secrets: Vec<String>,
    recorded: Vec<String>,
}

/// The mount and the mapped variables of one container (`None`: the container filter skips
/// it); `source_of` gives where the entry a `spec.env` key names comes from.
fn project_container(
    container: &mut Value,
    entry: &CompiledContainer,
    b: &Binding,
    source_of: &dyn Fn(&str) -> ValueSource,
    names: &Names,
    bound: &ProjectedEnv,
) -> Result<Option<BoundInto>, PodSpecError> {
    let container_name = match &entry.name {
        Some(p) => get_fixed(container, p)?.and_then(Value::as_str).unwrap_or("").to_string(),
        None => String::new(),
    };
    if entry.name.is_some() && !b.workload.containers.is_empty() && !b.workload.containers.contains(&container_name) {
        return Ok(None);
    }
    let mut env = list_at(container, &entry.env, "env")?;
    let root_dir = binding_root(&mut env);
    let mut mounts = list_at(container, &entry.volume_mounts, "volumeMounts")?;
    let mount_path = path_join(&root_dir, &b.directory);
    mounts.push(object([("name", names.volume.as_str().into()), ("mountPath", mount_path.as_str().into()), ("readOnly", true.into())]));
    sort_projected(&mut mounts, |m| name_of(m).starts_with(VOLUME_PREFIX));
    set_list(container, &entry.volume_mounts, mounts)?;

    let projected = |e: &Value| {
        let value_from = e.get("valueFrom");
        let from_secret = value_from.and_then(|v| v.get("secretKeyRef")).and_then(|r| r.get("name")).and_then(Value::as_str);
        let field = value_from.and_then(|v| v.get("fieldRef")).and_then(|r| r.get("fieldPath")).and_then(Value::as_str).unwrap_or("");
        from_secret.is_some_and(|s| bound.secrets.iter().any(|b| b == s))
            || field.starts_with("metadata.annotations['projector.servicebinding.io")
            || bound.recorded.iter().any(|n| n == name_of(e))
    };
    let mut replaced_env = Vec::new();
    for m in &b.env {
        // A mapped variable replaces any variable of the same name (no duplicates); one the
        // container set itself (not another binding's) is reported.
        if env.iter().any(|e| name_of(e) == m.name && !projected(e)) && !replaced_env.contains(&m.name) {
            replaced_env.push(m.name.clone());
        }
        env.retain(|e| name_of(e) != m.name);
        env.push(super::env_entry(&m.name, &source_of(&m.key)));
    }
    sort_projected(&mut env, projected);
    set_list(container, &entry.env, env)?;
    Ok(Some(BoundInto { container: container_name, mount_path, replaced_env }))
}

/// The runtime's stable order: other entries keep their order and come first; projected
/// entries follow, sorted by name.
fn sort_projected(items: &mut Vec<Value>, projected: impl Fn(&Value) -> bool) {
    // Each entry is asked once (not at every comparison); the sort is stable.
    let mut marked: Vec<(bool, Value)> = items.drain(..).map(|v| (projected(&v), v)).collect();
    marked.sort_by(|(pa, a), (pb, b)| match (pa, pb) {
        (false, false) => std::cmp::Ordering::Equal,
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        (true, true) => name_of(a).as_bytes().cmp(name_of(b).as_bytes()),
    });
    items.extend(marked.into_iter().map(|(_, v)| v));
}

// Collected binding data (a servicebinding.io binding to a service with SBO binding
// annotations): one projected volume whose sources are the Secrets and ConfigMaps holding the
// items (key → file), downward-API items for spec.type/spec.provider, and `spec.env` variables
// referencing the same entries, recorded on the workload for unprojection.

/// The variables collected-data binding `record` (a workload annotation) injected.
fn recorded_env(workload: &Value, record: &str) -> Vec<String> {
    let Some(Value::Array(names)) = json_annotation(workload, record) else { return Vec::new() };
    names.iter().filter_map(Value::as_str).map(str::to_string).collect()
}

/// The variables every collected-data binding of the workload recorded.
fn all_recorded_env(workload: &Value) -> Vec<String> {
    let Some(Value::Object(annotations)) = workload.pointer("/metadata/annotations") else { return Vec::new() };
    let records: Vec<String> = annotations.keys().filter(|k| k.starts_with(ENV_RECORD_PREFIX)).map(|k| k.to_string()).collect();
    records.iter().flat_map(|r| recorded_env(workload, r)).collect()
}

/// Where binding item `key` of collected data comes from: the binding's spec.type/spec.provider
/// (downward API), else the Secret or ConfigMap entry the delivery plan references.
fn collected_source(b: &Binding, data: &CollectedData, key: &str) -> ValueSource {
    match entry_source(b, key, "") {
        o @ ValueSource::Override { .. } => o,
        fallback => data.via(key).map(crate::bindings::sbo::delivery::Via::source).unwrap_or(fallback),
    }
}

/// The projected volume's sources for collected data: the one Secret SBO would mount as it is,
/// or one source per referenced Secret and ConfigMap with its items.
fn collected_sources(data: &CollectedData) -> Vec<Value> {
    match &data.data.reuse {
        Some(secret) => vec![json!({"secret": {"name": secret}})],
        None => data.delivery.volume.pointer("/projected/sources").and_then(Value::as_array).cloned().unwrap_or_default(),
    }
}

fn project_collected(
    root: &mut Value,
    tmpl: &CompiledTemplate,
    b: &Binding,
    data: &CollectedData,
    names: &Names,
) -> Result<Vec<BoundInto>, PodSpecError> {
    let bound_secrets = annotate(root, tmpl, b, None, names)?;
    add_volume(root, tmpl, b, collected_sources(data), names)?;
    if !b.env.is_empty() {
        let env: Vec<&str> = b.env.iter().map(|m| m.name.as_str()).collect();
        let annotations = map_at_mut(root, &["metadata".into(), "annotations".into()])?;
        annotations.insert(names.env_record.clone(), Value::from(json!(env).to_string()));
    }
    project_containers(root, tmpl, b, &|key| collected_source(b, data, key), names, bound_secrets)
}

/// [`project_step`] for collected binding data.
fn project_collected_step(
    value: &mut Option<Value>,
    input: &Value,
    mapping: &ResolvedMapping,
    binding: &SpecResolved,
    data: &CollectedData,
    step: Step,
    wid: DocId,
) -> Result<StepOutcome, PodSpecError> {
    let b = &binding.binding;
    let workload = value.get_or_insert_with(|| input.clone());
    let projection = step.project.then_some(Projection::Collected(data));
    let containers = apply_projection(workload, &mapping.spec, b, projection)?;
    let mut out = StepOutcome::default();
    if !step.project {
        return Ok(out);
    }
    let mut keys: Vec<String> = data.delivery.entries.iter().map(|(name, _)| name.clone()).collect();
    keys.extend(b.type_override.as_ref().map(|_| "type".to_string()));
    keys.extend(b.provider_override.as_ref().map(|_| "provider".to_string()));
    keys.sort();
    let files: Entries = keys.iter().map(|k| (k.clone(), collected_source(b, data, k))).collect();
    let env: Entries = b.env.iter().map(|m| (m.name.clone(), collected_source(b, data, &m.key))).collect();
    for BoundInto { container, mount_path, replaced_env } in containers {
        out.bound.push(BoundContainer {
            workload: wid,
            binding: step.binding,
            container,
            mount_path,
            files: files.clone(),
            env: env.clone(),
            replaced_env,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::spec::{EnvMapping, WorkloadRef, WorkloadSelection};
    use crate::bindings::BindingApi;
    use crate::kube::ObjectRef;

    fn binding(name: &str, uid: &str) -> Binding {
        Binding {
            api: BindingApi::ServiceBindingIo,
            namespace: "default".into(),
            name: name.into(),
            uid: uid.into(),
            directory: name.into(),
            type_override: None,
            provider_override: None,
            service: ObjectRef { api_version: "v1".into(), kind: "Secret".into(), name: "s".into() },
            workload: WorkloadRef {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                selection: WorkloadSelection::Name("shop".into()),
                containers: Vec::new(),
            },
            env: Vec::new(),
        }
    }

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop"},
               "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "x"}]}}}})
    }

    /// spec-semantics §8.9, with U = the binding's UID.
    #[test]
    fn worked_example() {
        let mut b = binding("db", "u1");
        b.type_override = Some("postgresql".into());
        b.env = vec![EnvMapping { name: "DB_TYPE".into(), key: "type".into() }, EnvMapping { name: "DB_HOST".into(), key: "host".into() }];
        let mut w = deployment();
        apply(&mut w, &MappingSpec::podspecable(), &b, Some("db-secret")).unwrap();
        let tmpl = &w["spec"]["template"];
        assert_eq!(
            tmpl["metadata"]["annotations"],
            json!({"projector.servicebinding.io/secret-u1": "db-secret", "projector.servicebinding.io/type-u1": "postgresql"})
        );
        assert_eq!(
            tmpl["spec"]["containers"][0]["env"],
            json!([
                {"name": "SERVICE_BINDING_ROOT", "value": "/bindings"},
                {"name": "DB_HOST", "valueFrom": {"secretKeyRef": {"name": "db-secret", "key": "host"}}},
                {"name": "DB_TYPE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['projector.servicebinding.io/type-u1']"}}}
            ])
        );
        assert_eq!(
            tmpl["spec"]["containers"][0]["volumeMounts"],
            json!([{"name": "servicebinding-u1", "mountPath": "/bindings/db", "readOnly": true}])
        );
        assert_eq!(
            tmpl["spec"]["volumes"],
            json!([{"name": "servicebinding-u1", "projected": {"defaultMode": 420, "sources": [
                {"secret": {"name": "db-secret"}},
                {"downwardAPI": {"items": [{"path": "type", "fieldRef": {"fieldPath": "metadata.annotations['projector.servicebinding.io/type-u1']"}}]}}
            ]}}])
        );
        assert_eq!(w["metadata"]["annotations"]["projector.servicebinding.io/mapping-u1"], MappingSpec::podspecable().to_go_json());
    }

    #[test]
    fn idempotent_and_order_independent() {
        let mut a = binding("a", "ua");
        a.env = vec![EnvMapping { name: "A".into(), key: "k".into() }];
        let mut b = binding("b", "ub");
        b.env = vec![EnvMapping { name: "B".into(), key: "k".into() }];
        let m = MappingSpec::podspecable();
        let mut one = deployment();
        apply(&mut one, &m, &a, Some("sa")).unwrap();
        apply(&mut one, &m, &b, Some("sb")).unwrap();
        let mut two = deployment();
        apply(&mut two, &m, &b, Some("sb")).unwrap();
        apply(&mut two, &m, &a, Some("sa")).unwrap();
        let c = |v: &Value| v["spec"]["template"]["spec"].clone();
        assert_eq!(c(&one), c(&two));
        let again = {
            let mut v = one.clone();
            apply(&mut v, &m, &a, Some("sa")).unwrap();
            apply(&mut v, &m, &b, Some("sb")).unwrap();
            v
        };
        assert_eq!(again, one);
    }

    #[test]
    fn unproject_restores_the_workload_and_keeps_the_root() {
        let b = binding("db", "u1");
        let mut w = deployment();
        apply(&mut w, &MappingSpec::podspecable(), &b, Some("s")).unwrap();
        apply(&mut w, &MappingSpec::podspecable(), &b, None).unwrap();
        let mut expected = deployment();
        expected["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "SERVICE_BINDING_ROOT", "value": "/bindings"}]);
        assert_eq!(w, expected);
    }

    #[test]
    fn rotation_removes_the_old_secrets_variables() {
        let mut b = binding("db", "u1");
        b.env = vec![EnvMapping { name: "HOST".into(), key: "host".into() }];
        let mut w = deployment();
        apply(&mut w, &MappingSpec::podspecable(), &b, Some("old")).unwrap();
        apply(&mut w, &MappingSpec::podspecable(), &b, Some("new")).unwrap();
        let env = &w["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env.as_array().unwrap().len(), 2);
        assert_eq!(env[1]["valueFrom"]["secretKeyRef"]["name"], "new");
    }

    #[test]
    fn container_filter_and_replacing_existing_variables() {
        let mut b = binding("db", "u1");
        b.workload.containers = vec!["web".into()];
        b.env = vec![EnvMapping { name: "HOST".into(), key: "host".into() }];
        let mut w = deployment();
        w["spec"]["template"]["spec"]["containers"][0]["env"] =
            json!([{"name": "HOST", "value": "localhost"}, {"name": "X", "value": "1"}]);
        w["spec"]["template"]["spec"]["containers"].as_array_mut().unwrap().push(json!({"name": "sidecar"}));
        apply(&mut w, &MappingSpec::podspecable(), &b, Some("s")).unwrap();
        let cs = &w["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs[1], json!({"name": "sidecar"}), "filtered-out containers are untouched");
        let names: Vec<&str> = cs[0]["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["X", "SERVICE_BINDING_ROOT", "HOST"]);
    }

    #[test]
    fn existing_binding_root_is_respected() {
        let b = binding("db", "u1");
        let mut w = deployment();
        w["spec"]["template"]["spec"]["containers"][0]["env"] = json!([{"name": "SERVICE_BINDING_ROOT", "value": "/custom/"}]);
        apply(&mut w, &MappingSpec::podspecable(), &b, Some("s")).unwrap();
        assert_eq!(w["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"], "/custom/db");
    }

    #[test]
    fn stashed_mapping_is_used_to_unproject() {
        let b = binding("db", "u1");
        let custom = MappingSpec::parse(
            &json!({"versions": [{"version": "*", "containers": [{"path": ".spec.template.spec.workers[*]", "name": ".name"}]}]}),
        )
        .unwrap();
        let mut w = deployment();
        w["spec"]["template"]["spec"]["workers"] = json!([{"name": "w"}]);
        apply(&mut w, &custom, &b, Some("s")).unwrap();
        assert!(w["spec"]["template"]["spec"]["workers"][0]["volumeMounts"].is_array());
        // The mapping changed since: the stash still finds the old projection.
        apply(&mut w, &MappingSpec::podspecable(), &b, None).unwrap();
        assert!(w["spec"]["template"]["spec"]["workers"][0].get("volumeMounts").is_none(), "{w}");
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        let b = binding("db", "u1");
        let mut w = deployment();
        w["spec"]["template"]["spec"]["containers"][0]["env"] = json!({"A": "b"});
        assert!(apply(&mut w, &MappingSpec::podspecable(), &b, Some("s")).unwrap_err().to_string().contains("not a list"));
        let mut w = deployment();
        w["spec"]["template"] = json!("oops");
        assert!(apply(&mut w, &MappingSpec::podspecable(), &b, Some("s")).is_err());
    }
}
