//! Project: write the resolution into workloads, one workload at a time — the servicebinding.io
//! reference runtime's projection ([`spec`]) and the Service Binding Operator's ([`sbo`]), then
//! the checks over what each container received ([`checks`]). [`rendered`] runs the pipeline and
//! holds its one result.

pub mod checks;
pub mod rendered;
pub mod sbo;
pub mod spec;

use crate::doc::document::DocId;
use crate::doc::value::Value;
use crate::json;
use crate::kube::version_of;
use crate::model::bound::{BoundContainer, Entries, ValueSource};
use crate::resolve::{Resolution, Step};

use self::spec::{apply, entry_source, BoundInto};

/// The env entry delivering `source` as variable `name`.
pub fn env_entry(name: &str, source: &ValueSource) -> Value {
    match source {
        ValueSource::SecretKey { secret, key } => json!({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}),
        ValueSource::Override { annotation, .. } => {
            json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": spec::field_ref(annotation)}}})
        }
        ValueSource::ConfigMapKey { configmap, key } => {
            json!({"name": name, "valueFrom": {"configMapKeyRef": {"name": configmap, "key": key}}})
        }
        // `$(` would be expanded by the kubelet; `$$(` keeps it literal.
        ValueSource::Literal { value } => json!({"name": name, "value": value.replace("$(", "$$(")}),
    }
}

/// What projecting one workload gives.
#[derive(Debug, Default)]
pub struct Projected {
    /// The rewritten workload; `None` when no binding wrote to it (copy on write).
    pub value: Option<Value>,
    /// What each servicebinding.io binding gave each container.
    pub bound: Vec<BoundContainer>,
    /// The same for Service Binding Operator bindings (`binding` indexes
    /// [`Resolution::operator_bindings`]).
    pub operator_bound: Vec<BoundContainer>,
    /// Variables the workload already defined that an SBO binding would set:
    /// (operator binding index, `container/VAR`).
    pub shadowed: Vec<(usize, String)>,
    /// servicebinding.io bindings that could not be projected: (binding index, message).
    pub errors: Vec<(usize, String)>,
    /// SBO bindings that could not be projected: (operator binding index, message).
    pub operator_errors: Vec<(usize, String)>,
}

/// Every workload a binding (of either API) touches, in document order.
pub fn workloads(resolution: &Resolution) -> Vec<DocId> {
    let mut ids: Vec<DocId> = resolution.workloads.keys().chain(resolution.operator_workloads.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Whether projection can change document `id`.
pub fn touches(resolution: &Resolution, id: DocId) -> bool {
    resolution.workloads.contains_key(&id) || resolution.operator_workloads.contains_key(&id)
}

/// Project every binding that reaches workload `wid`: the servicebinding.io steps in plan order
/// (unproject, then project), then the Service Binding Operator bindings. A pure function of
/// the inputs and the resolution, so a render can project a workload again when it writes it
/// instead of holding every rewritten workload.
pub fn project_workload(inputs: &[crate::doc::document::Document], wid: DocId, resolution: &Resolution) -> Projected {
    let input = &inputs[wid].value;
    let mut out = Projected::default();
    let mut value: Option<Value> = None;
    if let Some(plan) = resolution.workloads.get(&wid) {
        for &Step { binding, project } in &plan.steps {
            let rb = &resolution.bindings[binding];
            let secret = if project { rb.secret.as_ref() } else { None };
            let workload = value.get_or_insert_with(|| input.clone());
            match apply(workload, &plan.mapping.spec, &rb.binding, secret.map(|s| s.name.as_str())) {
                Ok(containers) => {
                    let Some(secret) = secret else { continue };
                    let b = &rb.binding;
                    let mut keys = secret.keys.clone();
                    keys.extend(b.type_override.as_ref().map(|_| "type".to_string()));
                    keys.extend(b.provider_override.as_ref().map(|_| "provider".to_string()));
                    let files: Entries = keys.iter().map(|k| (k.clone(), entry_source(b, k, &secret.name))).collect();
                    let env: Entries = b.env.iter().map(|m| (m.name.clone(), entry_source(b, &m.key, &secret.name))).collect();
                    for BoundInto { container, mount_path, replaced_env } in containers {
                        out.bound.push(BoundContainer {
                            workload: wid,
                            binding,
                            container,
                            mount_path,
                            files: files.clone(),
                            env: env.clone(),
                            replaced_env,
                        });
                    }
                }
                Err(e) => out.errors.push((binding, format!("cannot project into {}: {e}", describe(workload)))),
            }
        }
    }
    if let Some(bindings) = resolution.operator_workloads.get(&wid) {
        use self::sbo::{project, sbo_template, unproject};
        for &ob in bindings {
            let rob = &resolution.operator_bindings[ob];
            let (Some(delivery), b) = (&rob.delivery, &rob.binding) else { continue };
            let current = value.as_ref().unwrap_or(input);
            let version = version_of(current.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string();
            let tmpl = sbo_template(rob.mapping.as_deref(), &version, b.application.containers_path.as_deref());
            let result = tmpl.compile().and_then(|t| {
                let workload = value.get_or_insert_with(|| input.clone());
                unproject(workload, &t, b)?;
                project(workload, &t, b, delivery)
            });
            match result {
                Ok(projected) => {
                    out.shadowed.extend(projected.shadowed.into_iter().map(|v| (ob, v)));
                    let sources: Entries = delivery.entries.iter().map(|(name, via)| (name.clone(), via.source())).collect();
                    let none: Entries = Entries::from([]);
                    for (container, mount_path) in projected.containers {
                        let (files, env) = if b.bind_as_files { (sources.clone(), none.clone()) } else { (none.clone(), sources.clone()) };
                        out.operator_bound.push(BoundContainer {
                            workload: wid,
                            binding: ob,
                            container,
                            mount_path,
                            files,
                            env,
                            replaced_env: Vec::new(),
                        });
                    }
                }
                Err(e) => {
                    let msg = format!("cannot project into {}: {e}", describe(value.as_ref().unwrap_or(input)));
                    out.operator_errors.push((ob, msg));
                }
            }
        }
    }
    out.value = value;
    out
}

fn describe(v: &Value) -> String {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("?");
    let name = v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
    format!("{kind} {name:?}")
}
