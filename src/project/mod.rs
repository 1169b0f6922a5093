//! Project: write the resolution into workloads, one workload at a time — the servicebinding.io
//! reference runtime's projection ([`spec`]) and the Service Binding Operator's ([`sbo`]), then
//! the checks over what each container received ([`checks`]). [`rendered`] runs the pipeline and
//! holds its one result.

pub mod batch;
pub mod checks;
pub mod rendered;
pub mod sbo;
pub mod spec;

use crate::doc::document::DocId;
use crate::doc::document::Document;
use crate::doc::value::{object, Value};
use crate::kube::jsonpath::JsonPathError;
use crate::kube::podspec::PodSpecError;
use crate::model::bound::{BoundContainer, ValueSource};
use crate::resolve::{Resolution, Resolved, Step};

/// The env entry delivering `source` as variable `name`.
pub fn env_entry(name: &str, source: &ValueSource) -> Value {
    match source {
        ValueSource::SecretKey { secret, key } => value_from(name, "secretKeyRef", object([("name", secret.into()), ("key", key.into())])),
        ValueSource::Override { annotation, .. } => {
            value_from(name, "fieldRef", object([("fieldPath", spec::field_ref(annotation).into())]))
        }
        ValueSource::ConfigMapKey { configmap, key } => {
            value_from(name, "configMapKeyRef", object([("name", configmap.into()), ("key", key.into())]))
        }
        // The kubelet expands `$(VAR)` and `$$`: every `$` doubled, the container sees `value`.
        ValueSource::Literal { value } => object([("name", name.into()), ("value", crate::kube::envvar::escape_literal(value).into())]),
    }
}

/// `{name, valueFrom: {<via>: <reference>}}`.
fn value_from(name: &str, via: &str, reference: Value) -> Value {
    object([("name", name.into()), ("valueFrom", object([(via, reference)]))])
}

/// Why a binding cannot be projected into a workload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    PodSpec(#[from] PodSpecError),
    /// SBO's `bindingPath.secretPath` cannot be set.
    #[error("secretPath {path:?}: {source}")]
    SecretPath { path: String, source: JsonPathError },
    /// An SBO application without containers and without `secretPath`.
    #[error("no containers found in application resource")]
    NoContainers,
}

impl From<JsonPathError> for ProjectionError {
    fn from(e: JsonPathError) -> Self {
        ProjectionError::PodSpec(PodSpecError::Path(e))
    }
}

/// What projecting one workload gives.
#[derive(Debug, Default)]
pub struct Projected {
    /// The rewritten workload; `None` when no binding wrote to it (copy on write).
    pub value: Option<Value>,
    /// What each binding gave each container, in projection order.
    pub bound: Vec<BoundContainer>,
    /// Variables the workload already defined that an SBO binding would set:
    /// (binding index, `container/VAR`).
    pub shadowed: Vec<(usize, String)>,
    /// Bindings that could not be projected: (binding index, message).
    pub errors: Vec<(usize, String)>,
}

/// What one binding's projection into one workload gave.
#[derive(Debug, Default)]
pub struct StepOutcome {
    pub bound: Vec<BoundContainer>,
    /// `container/VAR` the workload already defined (they keep their value, as over SBO's envFrom).
    pub shadowed: Vec<String>,
}

/// Every workload a binding touches, in document order.
pub fn workloads(resolution: &Resolution) -> Vec<DocId> {
    resolution.workloads.keys().copied().collect()
}

/// Whether projection can change document `id`.
pub fn touches(resolution: &Resolution, id: DocId) -> bool {
    resolution.workloads.contains_key(&id)
}

/// Project every binding that reaches workload `wid`: the servicebinding.io steps in plan order
/// (unproject, then project), then the Service Binding Operator bindings. A pure function of
/// the inputs and the resolution, so a render can project a workload again when it writes it
/// instead of holding every rewritten workload.
pub fn project_workload(inputs: &[Document], wid: DocId, resolution: &Resolution) -> Projected {
    project_workload_with(inputs, wid, resolution, true)
}

/// [`project_workload`]; `batch`: many bindings of one API in one pass ([`batch`]) where that
/// gives the same result (tests compare both ways).
pub(crate) fn project_workload_with(inputs: &[Document], wid: DocId, resolution: &Resolution, batch: bool) -> Projected {
    let input = &inputs[wid].value;
    let mut out = Projected::default();
    let Some(plan) = resolution.workloads.get(&wid) else { return out };
    let mut value: Option<Value> = None;
    // The reference runtime's projections first, then SBO's (as an operator would rewrite a
    // workload the runtime already projected).
    let (runtime, operator): (Vec<&Step>, Vec<&Step>) = plan.steps.iter().partition(|s| !resolution.bindings[s.binding].is_operator());
    // Many bindings of one API on one workload: in one pass, where that gives the same.
    let (spec_batch, operator_batch): (Batch, Batch) = (batch::spec_steps, batch::operator_steps);
    let ctx = StepContext { input, plan, resolution, wid };
    ctx.project_steps(&mut out, &mut value, &runtime, batch.then_some(spec_batch));
    ctx.project_steps(&mut out, &mut value, &operator, batch.then_some(operator_batch));
    out.value = value;
    out
}

/// Project many steps of one API in one pass ([`batch`]); `None` when that would differ.
pub(crate) type Batch = fn(&mut Option<Value>, &Value, &Resolution, &[&Step], DocId) -> Option<Vec<StepOutcome>>;

/// What every step of one workload reads.
struct StepContext<'a> {
    input: &'a Value,
    plan: &'a crate::resolve::WorkloadPlan,
    resolution: &'a Resolution,
    wid: DocId,
}

impl StepContext<'_> {
    /// Project `steps` in order: in one pass with `batch` when there are many and it applies.
    fn project_steps(&self, out: &mut Projected, value: &mut Option<Value>, steps: &[&Step], batch: Option<Batch>) {
        if steps.len() >= batch::MIN_STEPS {
            if let Some(outcomes) = batch.and_then(|f| f(value, self.input, self.resolution, steps, self.wid)) {
                record(out, steps, outcomes);
                return;
            }
        }
        for step in steps {
            self.run_step(out, value, step);
        }
    }

    /// Project one step into `value` and keep what it gave (or why it failed).
    fn run_step(&self, out: &mut Projected, value: &mut Option<Value>, step: &Step) {
        let (input, wid) = (self.input, self.wid);
        let result = match &self.resolution.bindings[step.binding].resolved {
            Resolved::Spec(binding) => {
                // Resolution gives a workload its mapping with its first servicebinding.io step.
                let Some(mapping) = &self.plan.mapping else { return };
                spec::project_step(value, input, mapping, binding, *step, wid).map_err(ProjectionError::from)
            }
            Resolved::Operator(binding) => sbo::project_binding(value, input, binding, step.binding, wid),
        };
        match result {
            Ok(done) => record(out, &[step], vec![done]),
            Err(e) => out.errors.push((step.binding, format!("cannot project into {}: {e}", describe(value.as_ref().unwrap_or(input))))),
        }
    }
}

/// Keep what the steps gave.
fn record(out: &mut Projected, steps: &[&Step], outcomes: Vec<StepOutcome>) {
    for (step, done) in steps.iter().zip(outcomes) {
        out.bound.extend(done.bound);
        out.shadowed.extend(done.shadowed.into_iter().map(|v| (step.binding, v)));
    }
}

fn describe(v: &Value) -> String {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("?");
    let name = v.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("?");
    format!("{kind} {name:?}")
}
