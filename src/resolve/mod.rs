//! Resolve: for every binding, find its service, its binding Secret (and that Secret's keys),
//! its workloads and their mapping — once, into a plain [`Resolution`] that every command
//! prints from. All problems are collected; none stops the others.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::doc::value::Value;
use base64::Engine;

use crate::bindings::spec::{classify, parse_binding, Binding, BindingDocKind, WorkloadSelection};
use crate::doc::document::{DocId, Document};
use crate::index::runtime_secrets::{is_sops, sops_keys, KnownSecret, RuntimeSecrets, SecretSource};
use crate::index::Index;
use crate::kube::mapping::MappingSpec;
use crate::kube::{group_of, type_name, version_of};
use crate::model::problem::{Location, Problem};

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

/// Where a binding's Secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceSource {
    /// `v1`/`Secret` named directly by the binding.
    DirectSecret,
    /// A Provisioned Service: a resource with `.status.binding.name`.
    Provisioned { doc: DocId },
}

/// The Secret a binding projects, and what is known of it.
#[derive(Debug, Clone)]
pub struct BindingSecret {
    pub name: String,
    pub namespace: String,
    /// The Secret in the input, or who creates it at run time.
    pub source: SecretSource,
    /// Entry names (from `data` and `stringData`, or what the creator declares); values are
    /// never copied here. Empty when unknown.
    pub keys: BTreeSet<String>,
    /// Why the key names are unknown (`None`: `keys` is complete).
    pub unknown_keys: Option<String>,
}

/// Where a workload kind's containers, volumes and annotations are.
#[derive(Debug, Clone)]
pub struct ResolvedMapping {
    pub spec: Arc<MappingSpec>,
    /// The ClusterWorkloadResourceMapping document it came from, if any.
    pub doc: Option<DocId>,
}

/// One binding applied to one workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Index into [`Resolution::bindings`].
    pub binding: usize,
    /// `false`: only remove an earlier projection (the workload no longer matches).
    pub project: bool,
}

/// Everything the projection of one workload document needs.
#[derive(Debug, Clone)]
pub struct WorkloadPlan {
    pub mapping: ResolvedMapping,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct ResolvedBinding {
    pub binding: Binding,
    pub doc: DocId,
    pub source: Option<ServiceSource>,
    pub secret: Option<BindingSecret>,
    /// Workloads the binding projects into, in input order.
    pub workloads: Vec<DocId>,
}

/// The one result of resolution.
#[derive(Debug, Default)]
pub struct Resolution {
    pub bindings: Vec<ResolvedBinding>,
    pub workloads: BTreeMap<DocId, WorkloadPlan>,
    /// ServiceBinding documents: instructions the resolver carried out, not emitted by default.
    pub consumed: BTreeSet<DocId>,
    /// ClusterWorkloadResourceMapping documents: cluster configuration, emitted by default.
    pub mappings: BTreeSet<DocId>,
    /// Input documents an earlier render generated for a binding of this input: replaced by
    /// the freshly generated ones, never emitted.
    pub replaced: BTreeSet<DocId>,
    /// `binding.operators.coreos.com` bindings (the Service Binding Operator's API).
    pub operator_bindings: Vec<ResolvedOperatorBinding>,
    /// Workloads and the operator bindings (indices) projected into them, in binding order.
    pub operator_workloads: BTreeMap<DocId, Vec<usize>>,
    /// Documents generated for bindings (ConfigMaps and Secrets), with the binding document
    /// they were generated for; emitted after the input documents.
    pub generated: Vec<(DocId, Value)>,
    pub problems: Vec<Problem>,
}

/// A resolved Service Binding Operator binding.
#[derive(Debug, Clone)]
pub struct ResolvedOperatorBinding {
    pub binding: crate::bindings::sbo::OperatorBinding,
    pub doc: DocId,
    /// The binding data (names, sources; values kept for generated resources only).
    pub data: Option<crate::bindings::sbo::collect::Collected>,
    pub delivery: Option<crate::bindings::sbo::delivery::Delivery>,
    pub workloads: Vec<DocId>,
    /// The workload kind's ClusterWorkloadResourceMapping, as SBO reads it (not defaulted).
    pub mapping: Option<Arc<MappingSpec>>,
}

impl Resolution {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }
}

/// Entry names of a Secret document; an undecodable `data` value is reported by key, never
/// by value.
pub fn secret_keys(doc: &Document) -> Result<BTreeSet<String>, Vec<String>> {
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
                                    errors.push(format!("data.{k} is not valid base64"));
                                }
                            }
                            Value::Null => {}
                            other => errors.push(format!("data.{k} must be a base64 string, got {}", type_name(other))),
                        }
                    }
                    keys.insert(k.to_string());
                }
            }
            Some(other) => errors.push(format!("{field} must be a map, got {}", type_name(other))),
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(errors)
    }
}

struct Resolver<'a> {
    docs: &'a [Document],
    index: &'a Index,
    opts: &'a Options,
    /// Resolved mapping per workload (group, kind).
    mappings: HashMap<(String, String), ResolvedMapping>,
    /// Every valid ClusterWorkloadResourceMapping document, parsed and defaulted.
    mapping_docs: HashMap<DocId, Arc<MappingSpec>>,
    /// Producers, declarations and conventions for Secrets that are not in the input.
    runtime: RuntimeSecrets,
    out: Resolution,
}

/// Resolve every binding in `docs`.
pub fn resolve(docs: &[Document], index: &Index, opts: &Options) -> Resolution {
    let runtime = RuntimeSecrets::build(docs, &opts.runtime, &opts.default_namespace);
    let mut r = Resolver { docs, index, opts, mappings: HashMap::new(), mapping_docs: HashMap::new(), runtime, out: Resolution::default() };
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
    let regenerated: BTreeSet<String> =
        r.out.operator_bindings.iter().map(|ob| format!("{}/{}", ob.binding.namespace, ob.binding.name)).collect();
    for (id, doc) in docs.iter().enumerate() {
        let generated_for = doc
            .value
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(crate::bindings::sbo::delivery::GENERATED_FOR))
            .and_then(Value::as_str);
        if generated_for.is_some_and(|g| regenerated.contains(g)) {
            r.out.replaced.insert(id);
        }
    }
    r.out
}

impl Resolver<'_> {
    /// Whether an error was recorded since the problem list had `before` entries: linear in
    /// what this binding added, not in every problem so far.
    fn failed_since(&self, before: usize) -> bool {
        self.out.problems[before..].iter().any(Problem::is_error)
    }

    fn problem(&mut self, doc: DocId, b: &Binding, rule: &'static str, field: &str, message: String) -> &mut Problem {
        let d = &self.docs[doc];
        let loc = Location::of_field(d, field);
        self.out.problems.push(Problem::error(rule, message).binding(&b.namespace, &b.name).at(loc));
        self.out.problems.last_mut().expect("just pushed")
    }

    fn binding(&mut self, doc: DocId, b: Binding) {
        let problems_before = self.out.problems.len();
        let (source, secret) = self.service(doc, &b);
        if let Some(secret) = &secret {
            self.check_secret_entries(doc, &b, secret);
        }
        let workloads = self.workloads(doc, &b);
        let failed = self.failed_since(problems_before);
        let index = self.out.bindings.len();
        let (group, kind) = (group_of(&b.workload.api_version).to_string(), b.workload.kind.clone());
        let projected_before: Vec<DocId> = self
            .index
            .projected_by(&b.uid)
            .iter()
            .copied()
            .filter(|&w| {
                let d = &self.docs[w];
                group_of(d.api_version()) == group && d.kind() == kind && d.namespace(&self.opts.default_namespace) == b.namespace
            })
            .collect();
        let mut targets: BTreeMap<DocId, bool> = projected_before.into_iter().map(|w| (w, false)).collect();
        if !failed {
            for &w in &workloads {
                targets.insert(w, true);
            }
        }
        if !targets.is_empty() {
            if let Some(mapping) = self.mapping(&group, &kind) {
                for (w, project) in targets {
                    let plan = self.out.workloads.entry(w).or_insert_with(|| WorkloadPlan { mapping: mapping.clone(), steps: Vec::new() });
                    plan.steps.push(Step { binding: index, project });
                }
            }
        }
        self.out.bindings.push(ResolvedBinding { binding: b, doc, source, secret, workloads });
    }

    /// The binding Secret: direct, or through the Provisioned Service duck type; in the input,
    /// or declared as created at run time (see [`crate::runtime_secrets`]).
    fn service(&mut self, doc: DocId, b: &Binding) -> (Option<ServiceSource>, Option<BindingSecret>) {
        let (source, secret_name, convention) = if b.service.is_direct_secret() {
            (ServiceSource::DirectSecret, b.service.name.clone(), None)
        } else {
            let group = group_of(&b.service.api_version);
            let Some(&svc) = self.index.get(group, &b.service.kind, &b.namespace, &b.service.name).first() else {
                let msg = format!(
                    "the service was not found: no {} {:?} ({}) in namespace {:?}",
                    b.service.kind, b.service.name, b.service.api_version, b.namespace
                );
                let help = crate::kube::hints::service_not_found(self.docs, &self.opts.default_namespace, &b.namespace, &b.service)
                    .unwrap_or_else(|| "add the service resource to the input, or point spec.service at one that is".into());
                self.problem(doc, b, "ServiceNotFound", "spec.service.name", msg).add_help(help);
                return (None, None);
            };
            let svc_doc = &self.docs[svc];
            match svc_doc.value.pointer("/status/binding/name") {
                Some(Value::String(s)) if !s.is_empty() => (ServiceSource::Provisioned { doc: svc }, s.to_string(), None),
                Some(v) if !v.is_null() && !v.is_string() => {
                    let msg = format!(
                        "{} {:?} has .status.binding.name of type {}, not a string (at {})",
                        b.service.kind,
                        b.service.name,
                        type_name(v),
                        svc_doc.location()
                    );
                    self.problem(doc, b, "InvalidService", "spec.service", msg);
                    return (None, None);
                }
                _ => match self.runtime.for_service(self.docs, svc) {
                    Some(known) => (ServiceSource::Provisioned { doc: svc }, known.name.clone(), Some(known)),
                    None => {
                        let msg = format!(
                            "the service was found, but did not contain a binding secret: {} {:?} (at {}) has no .status.binding.name",
                            b.service.kind,
                            b.service.name,
                            svc_doc.location()
                        );
                        self.problem(doc, b, "ServiceMissingBinding", "spec.service", msg).add_help(format!(
                            "commit the Provisioned Service's .status.binding.name, bind the Secret directly (apiVersion: v1, kind: Secret), \
                             annotate the service with {} (and {}), or add a convention for {} to {}",
                            crate::index::runtime_secrets::SECRET_ANNOTATION,
                            crate::index::runtime_secrets::KEYS_ANNOTATION,
                            b.service.kind,
                            crate::index::runtime_secrets::CONFIG_FILE
                        ));
                        return (None, None);
                    }
                },
            }
        };
        let secret_ns = convention.as_ref().map_or_else(|| b.namespace.clone(), |k| k.namespace.clone());
        if secret_ns != b.namespace {
            let msg = format!(
                "the binding Secret {secret_name:?} is written to namespace {secret_ns:?} by {}, not to the binding's namespace {:?}",
                convention.as_ref().map(|k| k.source.creator(self.docs)).unwrap_or_default(),
                b.namespace
            );
            self.problem(doc, b, "SecretInOtherNamespace", "spec.service", msg).add_help(format!(
                "a pod can only reference Secrets in its own namespace, and a servicebinding.io binding projects its Secret by \
                 reference into workloads of the binding's namespace; have the Secret written to namespace {:?} (for Crossplane: \
                 spec.writeConnectionSecretToRef.namespace), or bind a copy of it that lives there",
                b.namespace
            ));
            return (Some(source), None);
        }
        let by_convention = |this: &Self| {
            convention.as_ref().map(|k| {
                format!(
                    "{} {:?} has no .status.binding.name; its binding Secret {secret_name:?} is named by {}",
                    b.service.kind,
                    b.service.name,
                    k.source.creator(this.docs)
                )
            })
        };
        if let Some(&sid) = self.index.get("", "Secret", &b.namespace, &secret_name).first() {
            if let Some(msg) = by_convention(self) {
                self.notice(doc, b, "BindingSecretByConvention", "spec.service", msg);
            }
            if is_sops(&self.docs[sid]) {
                let msg = format!(
                    "the binding Secret {secret_name:?} (at {}) is SOPS-encrypted: it is projected by reference with its key names; its values are never decrypted",
                    self.docs[sid].location()
                );
                self.notice(doc, b, "EncryptedSecret", "spec.service", msg);
                let keys = sops_keys(&self.docs[sid]);
                let secret = BindingSecret {
                    name: secret_name,
                    namespace: b.namespace.clone(),
                    source: SecretSource::Sops { doc: sid },
                    keys,
                    unknown_keys: None,
                };
                return (Some(source), Some(secret));
            }
            return match secret_keys(&self.docs[sid]) {
                Ok(keys) => {
                    let secret = BindingSecret {
                        name: secret_name,
                        namespace: b.namespace.clone(),
                        source: SecretSource::InInput { doc: sid },
                        keys,
                        unknown_keys: None,
                    };
                    (Some(source), Some(secret))
                }
                Err(errors) => {
                    let at = self.docs[sid].location();
                    for e in errors {
                        self.problem(doc, b, "InvalidSecret", "spec.service", format!("binding Secret {secret_name:?} (at {at}): {e}"));
                    }
                    (Some(source), None)
                }
            };
        }
        // Not in the input: a producer or a declaration for this very name wins over the
        // convention that derived it (a CNPG initdb Secret delivered by an ExternalSecret).
        let via = match &source {
            ServiceSource::DirectSecret => String::new(),
            ServiceSource::Provisioned { .. } if convention.is_some() => {
                format!(" ({} {:?} has no .status.binding.name)", b.service.kind, b.service.name)
            }
            ServiceSource::Provisioned { .. } => format!(" (named by {} {:?} .status.binding.name)", b.service.kind, b.service.name),
        };
        let annotated = match &source {
            ServiceSource::Provisioned { doc: svc } if convention.is_none() => self.runtime.annotated(self.docs, *svc, &secret_name),
            _ => None,
        };
        let known: Option<KnownSecret> = self.runtime.declared(self.docs, &b.namespace, &secret_name).or(annotated).or(convention.clone());
        // Found only in another namespace: a mistake even when missing Secrets are allowed.
        let elsewhere = if known.is_none() { self.runtime.elsewhere(self.docs, &b.namespace, &secret_name) } else { None };
        let known = match known {
            Some(k) => k,
            None if elsewhere.is_some() => {
                let (ns, what) = elsewhere.unwrap_or_default();
                let msg = format!(
                    "the binding Secret {secret_name:?}{via} is in namespace {ns:?} ({what}), not in the namespace {:?} of the binding and its workloads",
                    b.namespace
                );
                self.problem(doc, b, "SecretInOtherNamespace", "spec.service", msg).add_help(format!(
                    "a pod can only reference Secrets in its own namespace; move the Secret (or what creates it) to namespace {:?}, \
                     or move the binding and its workloads to {ns:?} (with kustomize: check the overlay's `namespace:`)",
                    b.namespace
                ));
                return (Some(source), None);
            }
            None if self.runtime.allow_missing(self.opts.allow_missing_secrets) => {
                let msg = format!(
                    "the binding Secret {secret_name:?}{via} is not in namespace {:?} of the input and nothing declares who creates it; \
                     projected by name (--allow-missing-secrets); its keys (type, the keys spec.env maps) are not checked",
                    b.namespace
                );
                let loc = Location::of_field(&self.docs[doc], "spec.service");
                self.out.problems.push(Problem::warning("SecretNotInInput", msg).binding(&b.namespace, &b.name).at(loc));
                let secret = BindingSecret {
                    name: secret_name,
                    namespace: b.namespace.clone(),
                    source: SecretSource::Assumed,
                    keys: BTreeSet::new(),
                    unknown_keys: Some("nothing declares the Secret (--allow-missing-secrets)".into()),
                };
                return (Some(source), Some(secret));
            }
            None => {
                let msg = format!("the binding Secret {secret_name:?}{via} was not found in namespace {:?} of the input", b.namespace);
                let help = format!(
                    "a binding can only use a Secret in its own namespace; add that Secret to the input, or declare who creates it at run time: \
                     a SealedSecret or ExternalSecret for {secret_name:?} in the input, a `secrets:` entry (name, namespace, keys) in {}, \
                     the annotations {} and {} on the service resource; or pass --allow-missing-secrets when Secrets live outside Git",
                    crate::index::runtime_secrets::CONFIG_FILE,
                    crate::index::runtime_secrets::SECRET_ANNOTATION,
                    crate::index::runtime_secrets::KEYS_ANNOTATION,
                );
                self.problem(doc, b, "SecretNotFound", "spec.service", msg).add_help(help);
                return (Some(source), None);
            }
        };
        let keys_text = match &known.keys {
            Some(keys) if keys.is_empty() => "with no keys".to_string(),
            Some(keys) => format!("with keys {}", keys.iter().map(String::as_str).collect::<Vec<_>>().join(", ")),
            None => "with keys not known offline".to_string(),
        };
        let msg = format!(
            "the binding Secret {secret_name:?}{via} is not in the input: it is created at run time by {}, {keys_text}; projected by reference",
            known.source.creator(self.docs)
        );
        self.notice(doc, b, "RuntimeSecret", "spec.service", msg);
        let secret = BindingSecret {
            name: secret_name,
            namespace: b.namespace.clone(),
            source: known.source,
            keys: known.keys.unwrap_or_default(),
            unknown_keys: known.unknown_keys,
        };
        (Some(source), Some(secret))
    }

    fn notice(&mut self, doc: DocId, b: &Binding, rule: &'static str, field: &str, message: String) {
        let loc = Location::of_field(&self.docs[doc], field);
        self.out.problems.push(Problem::notice(rule, message).binding(&b.namespace, &b.name).at(loc));
    }

    /// The projection must contain `type`; every env mapping's key must exist.
    fn check_secret_entries(&mut self, doc: DocId, b: &Binding, secret: &BindingSecret) {
        if let Some(why) = &secret.unknown_keys {
            if secret.source == SecretSource::Assumed {
                return; // SecretNotInInput already says that nothing is checked
            }
            let mut unchecked: Vec<String> = Vec::new();
            if b.type_override.is_none() {
                unchecked.push("that it has a type entry".into());
            }
            let env: Vec<&str> = b.env.iter().filter(|e| !secret.keys.contains(&e.key)).map(|e| e.key.as_str()).collect();
            if !env.is_empty() {
                unchecked.push(format!("that it has the keys spec.env maps ({})", env.join(", ")));
            }
            if !unchecked.is_empty() {
                let msg = format!(
                    "the key names of the binding Secret {:?} are not known ({why}); bindery cannot check {}",
                    secret.name,
                    unchecked.join(" or ")
                );
                let loc = Location::of_field(&self.docs[doc], "spec.service");
                self.out.problems.push(Problem::warning("SecretKeysUnknown", msg).binding(&b.namespace, &b.name).at(loc));
            }
            return;
        }
        if b.type_override.is_none() && !secret.keys.contains("type") {
            let msg = format!(
                "the binding Secret {:?} has no \"type\" entry and spec.type is not set; the projected binding must contain type",
                secret.name
            );
            self.problem(doc, b, "MissingType", "spec.service", msg)
                .add_help("add a type entry to the Secret, or set spec.type on the binding");
        }
        for (i, e) in b.env.iter().enumerate() {
            let overridden = (e.key == "type" && b.type_override.is_some()) || (e.key == "provider" && b.provider_override.is_some());
            if !overridden && !secret.keys.contains(&e.key) {
                let known: Vec<&str> = secret.keys.iter().map(String::as_str).collect();
                let msg = format!(
                    "spec.env[{i}] maps {} to key {:?}, which the binding Secret {:?} does not contain (it has: {})",
                    e.name,
                    e.key,
                    secret.name,
                    known.join(", ")
                );
                self.problem(doc, b, "EnvKeyNotFound", &format!("spec.env[{i}].key"), msg);
            }
        }
    }

    /// The workloads the binding selects, in input order.
    fn workloads(&mut self, doc: DocId, b: &Binding) -> Vec<DocId> {
        let group = group_of(&b.workload.api_version);
        let found: Vec<DocId> = match &b.workload.selection {
            WorkloadSelection::Name(name) => {
                let found = self.index.get(group, &b.workload.kind, &b.namespace, name).to_vec();
                if found.is_empty() {
                    let msg = format!(
                        "the workload was not found: no {} {:?} ({}) in namespace {:?}",
                        b.workload.kind, name, b.workload.api_version, b.namespace
                    );
                    let help = crate::kube::hints::workload_not_found(self.docs, &b.workload.kind, &b.workload.api_version);
                    self.problem(doc, b, "WorkloadNotFound", "spec.workload.name", msg).add_help(help);
                }
                found
            }
            WorkloadSelection::Selector(sel) => {
                let found = self.index.select(self.docs, group, &b.workload.kind, &b.namespace, sel);
                if found.is_empty() {
                    let looked_at: Vec<&str> =
                        self.index.of_type(group, &b.workload.kind, &b.namespace).iter().map(|&w| self.docs[w].name()).collect();
                    let seen = if looked_at.is_empty() {
                        format!("the input has no {} ({}) in namespace {:?}", b.workload.kind, b.workload.api_version, b.namespace)
                    } else {
                        let more = if looked_at.len() > 10 { format!(", and {} more", looked_at.len() - 10) } else { String::new() };
                        let shown: Vec<&str> = looked_at.iter().take(10).copied().collect();
                        format!(
                            "looked at {} {} in namespace {:?}: {}{more}",
                            looked_at.len(),
                            b.workload.kind,
                            b.namespace,
                            shown.join(", ")
                        )
                    };
                    let mut msg = format!("the label selector matches no workload ({seen}); nothing is bound here, workloads created at run time are bound by the cluster's runtime");
                    if let Some(k) = crate::kube::hints::suggest_kind(self.docs, &b.workload.kind) {
                        msg.push_str(&format!("; did you mean kind: {k}?"));
                    }
                    let loc = Location::of_field(&self.docs[doc], "spec.workload.selector");
                    self.out.problems.push(Problem::notice("SelectorMatchesNothing", msg).binding(&b.namespace, &b.name).at(loc));
                }
                found
            }
        };
        let want = version_of(&b.workload.api_version);
        for &w in &found {
            let have = self.docs[w].api_version().to_string();
            if version_of(&have) != want {
                let loc = Location::of(&self.docs[w]);
                let msg = format!(
                    "workload {} {:?} is written as {have} but the binding names {}; a cluster would serve it at the binding's version",
                    b.workload.kind,
                    self.docs[w].name(),
                    b.workload.api_version
                );
                self.out.problems.push(Problem::warning("WorkloadVersionMismatch", msg).binding(&b.namespace, &b.name).at(loc));
            }
        }
        found
    }

    /// A Service Binding Operator binding: data, workloads, mapping, delivery plan.
    fn operator_binding(&mut self, doc: DocId, b: crate::bindings::sbo::OperatorBinding) {
        use crate::bindings::sbo::collect::Collector;
        let d = &self.docs[doc];
        let binding_start = self.out.problems.len();
        let mut c = Collector {
            docs: self.docs,
            index: self.index,
            default_ns: &self.opts.default_namespace,
            binding_doc: d,
            binding: &b,
            runtime: &self.runtime,
            problems: Vec::new(),
        };
        let data = c.collect();
        let problems = std::mem::take(&mut c.problems);
        self.out.problems.extend(problems);
        let at = |field: &str| Location::of_field(d, field);

        // Applications: by name, by matchLabels, or both (SBO binds both sets).
        let app = &b.application;
        let group = app.type_ref.group.clone();
        let kind = if app.type_ref.resource.is_empty() {
            Some(app.type_ref.kind.clone())
        } else {
            self.index.kind_for_resource(&group, &app.type_ref.resource)
        };
        let mut workloads: Vec<DocId> = Vec::new();
        let problems_before = self.out.problems.len();
        let what = if app.type_ref.resource.is_empty() { app.type_ref.kind.clone() } else { app.type_ref.resource.clone() };
        match &kind {
            None => self.out.problems.push(
                Problem::error(
                    "ApplicationNotFound",
                    format!("cannot find application resources for the given reference: unknown resource {what:?} in group {group:?}"),
                )
                .binding(&b.namespace, &b.name)
                .at(at("spec.application")),
            ),
            Some(kind) => {
                if let Some(name) = &app.name {
                    let found = self.index.get(&group, kind, &b.namespace, name);
                    if found.is_empty() {
                        self.out.problems.push(
                            Problem::error("ApplicationNotFound", format!("cannot find application resources for the given reference: {kind} {name:?} ({group}/{}) not found in namespace {:?}", app.type_ref.version, b.namespace))
                                .binding(&b.namespace, &b.name)
                                .at(at("spec.application.name")),
                        );
                    }
                    workloads.extend_from_slice(found);
                }
                if let Some(labels) = &app.match_labels {
                    let selector = crate::kube::LabelSelector { match_labels: labels.clone(), match_expressions: Vec::new() };
                    let found = self.index.select(self.docs, &group, kind, &b.namespace, &selector);
                    if found.is_empty() {
                        self.out.problems.push(
                            Problem::error("ApplicationNotFound", format!("cannot find application resources for the given reference: no {kind} in namespace {:?} matches the label selector", b.namespace))
                                .binding(&b.namespace, &b.name)
                                .at(at("spec.application.labelSelector")),
                        );
                    }
                    for w in found {
                        if !workloads.contains(&w) {
                            workloads.push(w);
                        }
                    }
                }
                if app.name.is_none() && app.match_labels.is_none() {
                    self.out.problems.push(
                        Problem::warning(
                            "EmptyApplication",
                            "the application reference has neither a name nor a label selector: nothing is bound",
                        )
                        .binding(&b.namespace, &b.name)
                        .at(at("spec.application")),
                    );
                }
            }
        }
        let help = crate::kube::hints::application_not_found(self.docs, &group, &app.type_ref.kind, &app.type_ref.resource).unwrap_or_else(|| {
            "the application may be created at run time by a controller (an operator, a Knative Configuration), so it is not in the input; \
             add it to the input or fix spec.application"
                .into()
        });
        for p in self.out.problems[problems_before..].iter_mut().filter(|p| p.rule == "ApplicationNotFound" && p.help.is_none()) {
            p.add_help(help.clone());
        }
        if b.bind_as_files && !workloads.is_empty() && !crate::kube::is_dns1123_label(&b.binding_name) {
            self.out.problems.push(
                Problem::error("InvalidBindingName", format!("binding name {:?} becomes the volume name, which must be a DNS-1123 label (at most 63 characters, no dots); SBO would fail to update the application", b.binding_name))
                    .binding(&b.namespace, &b.name)
                    .at(at("spec.name")),
            );
        }

        // The workload kind's mapping, looked up as SBO does: `<resource>.<group>` or `<resource>`.
        let mapping = kind.as_ref().and_then(|k| {
            let plural = if app.type_ref.resource.is_empty() { self.index.plural(&group, k) } else { app.type_ref.resource.clone() };
            let name = if group.is_empty() { plural } else { format!("{plural}.{group}") };
            let mid = self.index.mapping(&name)?;
            self.mapping_docs.get(&mid)?;
            MappingSpec::parse_raw(self.docs[mid].value.get("spec").unwrap_or(&Value::Null)).ok().map(Arc::new)
        });

        let delivery = data.as_ref().map(|data| crate::bindings::sbo::delivery::plan(&b, data));
        if let Some(delivery) = &delivery {
            if !delivery.copies.is_empty() && !workloads.is_empty() {
                let msg = format!("binding data copied into a generated Secret because {}", delivery.copies.join("; "));
                let p = if self.opts.deny_secret_copies {
                    Problem::error("SecretValuesCopied", msg)
                } else {
                    Problem::warning("SecretValuesCopied", msg)
                };
                self.out.problems.push(p.binding(&b.namespace, &b.name).at(Location::of(d)));
            }
        }
        let failed = self.failed_since(binding_start);
        let index = self.out.operator_bindings.len();
        if !failed {
            for &w in &workloads {
                self.out.operator_workloads.entry(w).or_default().push(index);
            }
            if let Some(delivery) = &delivery {
                if !workloads.is_empty() || b.application.secret_path.is_some() {
                    self.out.generated.extend(delivery.generated.iter().map(|g| (doc, g.clone())));
                }
            }
        }
        self.out.operator_bindings.push(ResolvedOperatorBinding { binding: b, doc, data, delivery, workloads, mapping });
    }

    /// The mapping of a workload kind, resolved once per kind; `None` when the kind's
    /// ClusterWorkloadResourceMapping is invalid (already reported).
    fn mapping(&mut self, group: &str, kind: &str) -> Option<ResolvedMapping> {
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
    fn mapping_doc(&mut self, mid: DocId) {
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
            self.out.problems.push(Problem::error("InvalidMapping", text).at(loc));
        }
    }
}
