//! bindery resolves Kubernetes Service Bindings offline.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`load`]: files, directories and stdin → [`load::Document`]s that remember file and line;
//! 2. [`index`]: documents by (group, kind, namespace, name) and by label;
//! 3. [`binding`] + [`resolve`]: every binding → its service, binding Secret, workloads and
//!    mapping, with every problem found, as one [`resolve::Resolution`];
//! 4. [`project`]: the resolution written into workloads as the reference runtime would;
//! 5. [`emit`]: the result as a YAML stream or a directory.
//!
//! The command-line shell ([`cli`]) only chooses inputs and prints.
//!
//! ```
//! let yaml = r#"
//! apiVersion: v1
//! kind: Secret
//! metadata: {name: db}
//! stringData: {type: postgresql, host: db.internal, port: "5432", database: app, username: app, password: s3cret}
//! ---
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: app}
//! spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
//! ---
//! apiVersion: servicebinding.io/v1
//! kind: ServiceBinding
//! metadata: {name: db}
//! spec:
//!   service: {apiVersion: v1, kind: Secret, name: db}
//!   workload: {apiVersion: apps/v1, kind: Deployment, name: app}
//!   env: [{name: DB_HOST, key: host}]
//! "#;
//! let (file, documents) = bindery::load::parse_file("app.yaml".into(), "app.yaml".into(), yaml.into()).unwrap();
//! let loaded = bindery::load::Loaded { files: vec![file], documents };
//! let rendered = bindery::render(loaded, &bindery::resolve::Options::default());
//! assert!(rendered.problems().is_empty());
//! let deployment = rendered.output_value(1).unwrap();
//! let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
//! assert_eq!(env[0]["name"], "SERVICE_BINDING_ROOT");
//! assert_eq!(env[1]["valueFrom"]["secretKeyRef"]["key"], "host");
//! ```

pub mod argocd;
pub mod binding;
pub mod checks;
pub mod cli;
pub mod diagnostics;
pub mod emit;
pub mod gotemplate;
pub mod hints;
pub mod index;
pub mod jsonpath;
pub mod k8s;
pub mod krm;
pub mod load;
pub mod mapping;
pub mod migrate;
pub mod problem;
pub mod project;
pub mod report;
pub mod resolve;
pub mod runtime_secrets;
pub mod sbo;
pub mod source_map;
pub mod value;
pub mod yaml_in;
pub mod yaml_out;

use crate::value::Value;

use crate::load::Loaded;
use crate::problem::Problem;
use crate::resolve::{Options, Resolution};

/// The inputs, their resolution, and (when resolution succeeded) the rendered documents.
pub struct Rendered {
    pub loaded: Loaded,
    pub resolution: Resolution,
    /// The documents projection rewrote (same indices as `loaded.documents`: `Some` for a
    /// rewritten document, `None` for one that comes out as it came in); `None` when
    /// resolution or projection failed. Read it through [`Rendered::output_value`].
    pub output: Option<Vec<Option<Value>>>,
    /// What each bound container received, binding by binding (empty when rendering failed).
    pub bound: Vec<project::BoundContainer>,
    /// The same for Service Binding Operator bindings (`binding` indexes
    /// `resolution.operator_bindings`).
    pub operator_bound: Vec<project::BoundContainer>,
}

impl Rendered {
    pub fn problems(&self) -> &[Problem] {
        &self.resolution.problems
    }

    /// The rendered value of input document `id`: its rewritten value, or its input value when
    /// nothing changed it. `None` when rendering failed.
    pub fn output_value(&self, id: load::DocId) -> Option<&Value> {
        let rewritten = self.output.as_ref()?;
        Some(rewritten.get(id)?.as_ref().unwrap_or(&self.loaded.documents.get(id)?.value))
    }

    /// Whether input document `id` is part of the output set.
    pub fn is_emitted(&self, id: load::DocId, keep_bindings: bool, drop_mappings: bool) -> bool {
        let r = &self.resolution;
        let dropped =
            r.replaced.contains(&id) || (!keep_bindings && r.consumed.contains(&id)) || (drop_mappings && r.mappings.contains(&id));
        !dropped
    }

    /// The output set, in order: every input resource (rewritten), except consumed
    /// ServiceBindings (unless `keep_bindings`), ClusterWorkloadResourceMappings when
    /// `drop_mappings`, and resources an earlier render generated; then every generated
    /// resource, filed under its binding's file. Empty when rendering failed.
    pub fn emitted(&self, keep_bindings: bool, drop_mappings: bool) -> Vec<emit::Emitted<'_>> {
        if self.output.is_none() {
            return Vec::new();
        }
        let r = &self.resolution;
        let docs = &self.loaded.documents;
        let inputs = docs.iter().enumerate().filter(|(id, _)| self.is_emitted(*id, keep_bindings, drop_mappings));
        let mut out: Vec<emit::Emitted<'_>> =
            inputs.filter_map(|(id, d)| Some(emit::Emitted { relative: &d.file.relative, value: self.output_value(id)? })).collect();
        out.extend(r.generated.iter().map(|(binding, value)| emit::Emitted { relative: &docs[*binding].file.relative, value }));
        out
    }
}

/// Index, resolve and project loaded documents.
pub fn render(loaded: Loaded, opts: &Options) -> Rendered {
    let index = index::Index::build(&loaded.documents, &opts.default_namespace);
    let mut resolution = resolve::resolve(&loaded.documents, &index, opts);
    let (mut output, mut bound, mut operator_bound) = (None, Vec::new(), Vec::new());
    if !resolution.has_errors() {
        // Copy on write: only the workloads projection touches are copied.
        let mut values = project::Rewrites::new(&loaded.documents);
        let spec = project::project_all(&mut values, &resolution);
        let operator = project::project_operator_all(&mut values, &resolution);
        let values = values.into_inner();
        let mut failures = Vec::new();
        match spec {
            Ok(b) => bound = b,
            Err(errors) => failures.extend(errors.into_iter().map(|(b, msg)| {
                let rb = &resolution.bindings[b];
                (rb.doc, rb.binding.namespace.clone(), rb.binding.name.clone(), msg)
            })),
        }
        match operator {
            Ok((b, shadowed)) => {
                operator_bound = b;
                for (ob, var) in shadowed {
                    let rb = &resolution.operator_bindings[ob];
                    let msg = format!(
                        "container variable {var} is already set in the workload and keeps its value (as it would over SBO's envFrom)"
                    );
                    let p = Problem::warning("EnvVarShadowed", msg)
                        .binding(&rb.binding.namespace, &rb.binding.name)
                        .at(problem::Location::of(&loaded.documents[rb.doc]));
                    resolution.problems.push(p);
                }
            }
            Err(errors) => failures.extend(errors.into_iter().map(|(b, msg)| {
                let rb = &resolution.operator_bindings[b];
                (rb.doc, rb.binding.namespace.clone(), rb.binding.name.clone(), msg)
            })),
        }
        resolution.problems.extend(checks::consumer_problems(&loaded.documents, &resolution));
        resolution.problems.extend(checks::collision_problems(&loaded.documents, &resolution, &bound, &operator_bound));
        if failures.is_empty() && !resolution.has_errors() {
            output = Some(values);
        } else {
            bound.clear();
            operator_bound.clear();
            for (doc, namespace, name, msg) in failures {
                let p =
                    Problem::error("ProjectionFailed", msg).binding(&namespace, &name).at(problem::Location::of(&loaded.documents[doc]));
                resolution.problems.push(p);
            }
        }
    }
    Rendered { loaded, resolution, output, bound, operator_bound }
}
