//! Resolve: for every binding, find its service, its binding Secret (and that Secret's keys),
//! its workloads and their mapping — once, into a plain [`Resolution`] that every command
//! prints from. All problems are collected; none stops the others.
//!
//! [`spec`] resolves servicebinding.io bindings as the reference runtime does, [`operator`]
//! Service Binding Operator bindings as SBO does; both add to the one [`Resolution`].

pub mod annotated;
pub mod duplicates;
pub mod operator;
pub mod resolution;
pub mod spec;

pub use resolution::*;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::doc::value::Value;
use base64::Engine;

use crate::bindings::spec::{parse_binding, Binding};
use crate::bindings::{classify, BindingDocKind};
use crate::doc::document::{DocId, Document};
use crate::index::runtime_secrets::RuntimeSecrets;
use crate::index::Index;
use crate::kube::mapping::MappingSpec;
use crate::kube::type_name;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

/// How a run resolves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Namespace of resources that do not set one.
    pub default_namespace: String,
    /// Behave as if the runtime's `cronjobs.batch` mapping were installed.
    pub builtin_mappings: bool,
    /// Make copying Secret values into a generated Secret an error instead of a warning.
    pub deny_secret_copies: bool,
    /// Binding Secrets that are neither in the input nor declared are projected by name with a
    /// warning instead of failing (`--allow-missing-secrets`: Secrets live outside Git).
    pub allow_missing_secrets: bool,
    /// The project configuration for run-time Secrets (`.bindery.yaml`, `--config FILE`).
    pub runtime: crate::index::runtime_secrets::RuntimeConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            default_namespace: "default".into(),
            builtin_mappings: true,
            deny_secret_copies: false,
            allow_missing_secrets: false,
            runtime: crate::index::runtime_secrets::RuntimeConfig::default(),
        }
    }
}

/// Why an entry of a Secret cannot be read (named by key, never by value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretEntryError {
    #[error("data.{key} is not valid base64")]
    NotBase64 { key: String },
    #[error("data.{key} must be a base64 string, got {found}")]
    NotAString { key: String, found: &'static str },
    #[error("{field} must be a map, got {found}")]
    NotAMap { field: &'static str, found: &'static str },
}

/// Entry names of a Secret document; an undecodable `data` value is reported by key, never
/// by value.
pub fn secret_keys(doc: &Document) -> Result<BTreeSet<String>, Vec<SecretEntryError>> {
    let mut keys = BTreeSet::new();
    let mut errors = Vec::new();
    for field in ["data", "stringData"] {
        match doc.value.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    if field == "data" {
                        match v {
                            Value::String(s) => {
                                let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                                if base64::engine::general_purpose::STANDARD.decode(compact).is_err() {
                                    errors.push(SecretEntryError::NotBase64 { key: k.to_string() });
                                }
                            }
                            Value::Null => {}
                            other => errors.push(SecretEntryError::NotAString { key: k.to_string(), found: type_name(other) }),
                        }
                    }
                    keys.insert(k.to_string());
                }
            }
            Some(other) => errors.push(SecretEntryError::NotAMap { field, found: type_name(other) }),
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

pub(crate) struct Resolver<'a> {
    pub(crate) docs: &'a [Document],
    pub(crate) index: &'a Index<'a>,
    pub(crate) opts: &'a Options,
    /// Resolved mapping per workload (group, kind).
    pub(crate) mappings: HashMap<(String, String), ResolvedMapping>,
    /// Every valid ClusterWorkloadResourceMapping document, parsed and defaulted.
    pub(crate) mapping_docs: HashMap<DocId, Arc<MappingSpec>>,
    /// Producers, declarations and conventions for Secrets that are not in the input.
    pub(crate) runtime: RuntimeSecrets,
    pub(crate) out: Resolution,
    /// `namespace/name` of every SBO binding: what an earlier render generated for them is
    /// generated again.
    pub(crate) regenerated: BTreeSet<String>,
}

/// Resolve every binding in `docs`.
pub fn resolve(docs: &[Document], index: &Index, opts: &Options) -> Resolution {
    let runtime = RuntimeSecrets::build(docs, &opts.runtime, &opts.default_namespace);
    let mut r = Resolver {
        docs,
        index,
        opts,
        mappings: HashMap::new(),
        mapping_docs: HashMap::new(),
        runtime,
        out: Resolution::default(),
        regenerated: BTreeSet::new(),
    };
    r.out.problems.extend(duplicates::duplicate_bindings(docs, &opts.default_namespace));
    // Mappings first: each is validated once, as the admission webhook would, used or not.
    for (id, doc) in docs.iter().enumerate() {
        if classify(doc) == Some(BindingDocKind::WorkloadResourceMapping) {
            r.out.mappings.insert(id);
            r.mapping_doc(id);
        }
    }
    for (id, doc) in docs.iter().enumerate() {
        match classify(doc) {
            Some(BindingDocKind::ServiceBinding(api)) => {
                r.out.consumed.insert(id);
                match parse_binding(doc, api, &opts.default_namespace) {
                    Ok(b) => r.binding(id, b),
                    Err(problems) => r.out.problems.extend(problems),
                }
            }
            Some(BindingDocKind::OperatorServiceBinding) => {
                r.out.consumed.insert(id);
                let (binding, problems) = crate::bindings::sbo::parse(doc, &opts.default_namespace);
                r.out.problems.extend(problems);
                if let Some(b) = binding {
                    r.operator_binding(id, b);
                }
            }
            Some(BindingDocKind::WorkloadResourceMapping) | None => {}
        }
    }
    // Resources an earlier render generated for a binding of this input are generated again.
    for (id, doc) in docs.iter().enumerate() {
        let generated_for = doc
            .value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(crate::bindings::sbo::delivery::GENERATED_FOR))
            .and_then(Value::as_str);
        if generated_for.is_some_and(|g| r.regenerated.contains(g)) {
            r.out.replaced.insert(id);
        }
    }
    r.out
}

impl Resolver<'_> {
    /// Whether an error was recorded since the problem list had `before` entries: linear in
    /// what this binding added, not in every problem so far.
    pub(crate) fn failed_since(&self, before: usize) -> bool {
        self.out.problems[before..].iter().any(Problem::is_error)
    }

    pub(crate) fn problem(&mut self, doc: DocId, b: &Binding, rule: Rule, field: &str, message: String) -> &mut Problem {
        let d = &self.docs[doc];
        let loc = Location::of_field(d, field);
        self.out.problems.push(Problem::error(rule, message).binding(&b.namespace, &b.name).at(loc));
        self.out.problems.last_mut().expect("just pushed")
    }

    /// The mapping of a workload kind, resolved once per kind; `None` when the kind's
    /// ClusterWorkloadResourceMapping is invalid (already reported).
    pub(crate) fn mapping(&mut self, group: &str, kind: &str) -> Option<ResolvedMapping> {
        let key = (group.to_string(), kind.to_string());
        if let Some(m) = self.mappings.get(&key) {
            return Some(m.clone());
        }
        let resolved = if group.is_empty() {
            // The runtime looks up "<plural>." for core kinds, which no object can be named.
            ResolvedMapping { spec: Arc::new(MappingSpec::podspecable()), doc: None }
        } else {
            let name = format!("{}.{group}", self.index.plural(group, kind));
            match self.index.mapping(&name) {
                Some(mid) => ResolvedMapping { spec: self.mapping_docs.get(&mid)?.clone(), doc: Some(mid) },
                None if self.opts.builtin_mappings && group == "batch" && kind == "CronJob" => {
                    ResolvedMapping { spec: Arc::new(MappingSpec::builtin_cronjob()), doc: None }
                }
                None => ResolvedMapping { spec: Arc::new(MappingSpec::podspecable()), doc: None },
            }
        };
        self.mappings.insert(key, resolved.clone());
        Some(resolved)
    }

    /// Parse and validate one ClusterWorkloadResourceMapping document.
    pub(crate) fn mapping_doc(&mut self, mid: DocId) {
        let mdoc = &self.docs[mid];
        let spec = mdoc.value.get("spec").cloned().unwrap_or(Value::Null);
        let errors = match MappingSpec::parse(&spec) {
            Ok(m) => {
                let errors = m.validate();
                if errors.is_empty() {
                    self.mapping_docs.insert(mid, Arc::new(m));
                    return;
                }
                errors
            }
            Err(errors) => errors,
        };
        for (field, msg) in errors {
            let loc = Location::of_field(mdoc, &field);
            let text = format!("ClusterWorkloadResourceMapping {:?} {field}: {msg}", mdoc.name());
            self.out.problems.push(Problem::error(Rule::InvalidMapping, text).at(loc));
        }
    }
}

#[cfg(test)]
mod tests;
