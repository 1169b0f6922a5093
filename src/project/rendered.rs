//! The one result of a run: the inputs, their resolution, and (when it succeeded) the rendered
//! documents, which every command prints. [`render`] runs index → resolve → project → checks.

use std::borrow::Cow;
use std::path::Path;

use crate::doc::document::DocId;
use crate::doc::value::Value;

use crate::load::Loaded;
use crate::model::bound::BoundContainer;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;
use crate::project::checks;
use crate::resolve::{Options, Resolution};
use crate::{index, project, resolve};

/// The inputs, their resolution, and (when resolution succeeded) the rendered documents.
pub struct Rendered {
    pub loaded: Loaded,
    pub resolution: Resolution,
    /// The rendered documents; `None` when resolution or projection failed. Read them through
    /// [`Rendered::output_value`].
    pub output: Option<Output>,
    /// What each bound container received from each binding, workload by workload in
    /// projection order (empty when rendering failed).
    pub bound: Vec<BoundContainer>,
}

/// How a successful render holds its rewritten workloads.
#[derive(Debug)]
pub enum Output {
    /// Not at all: a workload is projected again (the same pure function) each time its
    /// rendered value is read, so a render never holds every rewritten workload at once — they
    /// are larger than the whole input (README "Performance").
    Deferred,
    /// In memory, indexed like the inputs (`None`: comes out as it came in). See
    /// [`Rendered::materialize`].
    Kept(Vec<Option<Value>>),
}

impl Rendered {
    pub fn problems(&self) -> &[Problem] {
        &self.resolution.problems
    }

    /// The rendered value of input document `id`: its rewritten value, or its input value when
    /// nothing changed it. `None` when rendering failed.
    pub fn output_value(&self, id: DocId) -> Option<Cow<'_, Value>> {
        Some(self.output_doc(id)?.value())
    }

    /// Input document `id` as it comes out, without projecting it yet.
    fn output_doc(&self, id: DocId) -> Option<Doc<'_>> {
        let input = &self.loaded.documents.get(id)?.value;
        Some(match self.output.as_ref()? {
            Output::Kept(rewritten) => Doc::Value(rewritten.get(id)?.as_ref().unwrap_or(input)),
            Output::Deferred if project::touches(&self.resolution, id) => Doc::Projected(self, id),
            Output::Deferred => Doc::Value(input),
        })
    }

    /// Project every rewritten workload once and keep them (for callers that read rendered
    /// values many times, or change them).
    pub fn materialize(&mut self) {
        if let Some(Output::Deferred) = self.output {
            let docs = &self.loaded.documents;
            let mut rewritten = vec![None; docs.len()];
            for id in project::workloads(&self.resolution) {
                rewritten[id] = project::project_workload(docs, id, &self.resolution).value;
            }
            self.output = Some(Output::Kept(rewritten));
        }
    }

    /// Whether input document `id` is part of the output set.
    pub fn is_emitted(&self, id: DocId, keep_bindings: bool, drop_mappings: bool) -> bool {
        let r = &self.resolution;
        let dropped =
            r.replaced.contains(&id) || (!keep_bindings && r.consumed.contains(&id)) || (drop_mappings && r.mappings.contains(&id));
        !dropped
    }

    /// The output set, in order: every input resource (rewritten), except consumed
    /// ServiceBindings (unless `keep_bindings`), ClusterWorkloadResourceMappings when
    /// `drop_mappings`, and resources an earlier render generated; then every generated
    /// resource, filed under its binding's file. Empty when rendering failed. Rewritten
    /// workloads are projected when they are written.
    pub fn emitted(&self, keep_bindings: bool, drop_mappings: bool) -> Vec<Emitted<'_>> {
        if self.output.is_none() {
            return Vec::new();
        }
        let r = &self.resolution;
        let docs = &self.loaded.documents;
        let inputs = docs.iter().enumerate().filter(|(id, _)| self.is_emitted(*id, keep_bindings, drop_mappings));
        let mut out: Vec<Emitted<'_>> =
            inputs.filter_map(|(id, d)| Some(Emitted { relative: &d.file.relative, doc: self.output_doc(id)? })).collect();
        out.extend(r.generated.iter().map(|(binding, value)| Emitted { relative: &docs[*binding].file.relative, doc: Doc::Value(value) }));
        out
    }
}

/// Index, resolve and project loaded documents.
pub fn render(loaded: Loaded, opts: &Options) -> Rendered {
    let index = index::Index::build(&loaded.documents, &opts.default_namespace);
    let mut resolution = resolve::resolve(&loaded.documents, &index, opts);
    drop(index);
    let (mut output, mut bound) = (None, Vec::new());
    if !resolution.has_errors() {
        // Project every workload (in parallel, collected in document order) for what each
        // container receives and what fails; the rewritten values are dropped at once and
        // projected again when written (`Output::Deferred`).
        use rayon::prelude::*;
        let projected: Vec<project::Projected> = project::workloads(&resolution)
            .into_par_iter()
            .map(|wid| project::Projected { value: None, ..project::project_workload(&loaded.documents, wid, &resolution) })
            .collect();
        let (mut failures, mut shadowed) = (Vec::new(), Vec::new());
        bound.reserve_exact(projected.iter().map(|p| p.bound.len()).sum());
        for p in projected {
            bound.extend(p.bound);
            shadowed.extend(p.shadowed);
            failures.extend(p.errors);
        }
        // servicebinding.io failures are reported first, then SBO's (stable: workload order).
        let is_operator = |binding: usize| resolution.bindings[binding].is_operator();
        failures.sort_by_key(|&(b, _)| is_operator(b));
        // A binding API with a failure contributes no records to the checks below.
        let failed = |operator: bool| failures.iter().any(|&(b, _)| is_operator(b) == operator);
        let (runtime_failed, operator_failed) = (failed(false), failed(true));
        bound.retain(|r| if is_operator(r.binding) { !operator_failed } else { !runtime_failed });
        if !operator_failed {
            for (b, var) in shadowed {
                let rb = &resolution.bindings[b];
                let msg =
                    format!("container variable {var} is already set in the workload and keeps its value (as it would over SBO's envFrom)");
                let p = Problem::warning(Rule::EnvVarShadowed, msg)
                    .binding(rb.namespace(), rb.name())
                    .at(Location::of(&loaded.documents[rb.doc]));
                resolution.problems.push(p);
            }
        }
        resolution.problems.extend(checks::consumer_problems(&loaded.documents, &resolution));
        resolution.problems.extend(checks::collision_problems(&loaded.documents, &resolution, &bound));
        if failures.is_empty() && !resolution.has_errors() {
            output = Some(Output::Deferred);
        } else {
            bound.clear();
            for (b, msg) in failures {
                let rb = &resolution.bindings[b];
                let p = Problem::error(Rule::ProjectionFailed, msg)
                    .binding(rb.namespace(), rb.name())
                    .at(Location::of(&loaded.documents[rb.doc]));
                resolution.problems.push(p);
            }
        }
    }
    Rendered { loaded, resolution, output, bound }
}

/// One output document and the input file it belongs to (relative path, for `-o DIR`).
pub struct Emitted<'a> {
    pub relative: &'a Path,
    pub doc: Doc<'a>,
}

/// An output document: a value, or a workload of a render, projected when it is written.
#[derive(Clone, Copy)]
pub enum Doc<'a> {
    Value(&'a Value),
    Projected(&'a Rendered, DocId),
}

impl<'a> Doc<'a> {
    pub fn value(self) -> Cow<'a, Value> {
        match self {
            Doc::Value(v) => Cow::Borrowed(v),
            Doc::Projected(rendered, id) => {
                let docs = &rendered.loaded.documents;
                match crate::project::project_workload(docs, id, &rendered.resolution).value {
                    Some(v) => Cow::Owned(v),
                    None => Cow::Borrowed(&docs[id].value),
                }
            }
        }
    }
}
