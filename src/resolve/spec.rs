//! servicebinding.io bindings, resolved as the reference runtime does (spec-semantics §2–§7),
//! with bindery's stricter static checks: the service and its binding Secret (in the input, or
//! declared as created at run time), the Secret's entries against `type` and `spec.env`, and the
//! workloads the binding selects.

use std::collections::{BTreeMap, BTreeSet};

use crate::bindings::spec::{Binding, WorkloadSelection};
use crate::doc::document::DocId;
use crate::doc::value::Value;
use crate::index::runtime_secrets::{is_sops, sops_keys, KnownSecret, SecretSource};
use crate::kube::{group_of, type_name, version_of};
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

use super::{secret_keys, BindingSecret, Resolved, ResolvedBinding, Resolver, ServiceSource, SpecResolved, Step};

/// Annotation on a servicebinding.io ServiceBinding whose workloads are created at run time:
/// `"true"` leaves the binding to the cluster's runtime (see [`Rule::BoundAtRunTime`]).
pub const BIND_AT_RUN_TIME: &str = "bindery.dev/bind-at-run-time";

/// Whether the binding document is annotated [`BIND_AT_RUN_TIME`]` = "true"`.
pub fn bound_at_run_time(doc: &crate::doc::document::Document) -> bool {
    doc.value.pointer("/metadata/annotations").and_then(|a| a.get(BIND_AT_RUN_TIME)).and_then(Value::as_str) == Some("true")
}

impl Resolver<'_> {
    pub(crate) fn binding(&mut self, doc: DocId, b: Binding) {
        let problems_before = self.out.problems.len();
        let (source, secret, collected) = match self.sbo_annotated_service(&b) {
            Some(svc) => {
                let collected = self.collect_as_sbo(doc, &b, svc);
                (Some(ServiceSource::Annotated { doc: svc }), None, collected)
            }
            None => {
                let (source, secret) = self.service(doc, &b);
                (source, secret, None)
            }
        };
        if let Some(secret) = &secret {
            self.check_secret_entries(doc, &b, secret);
        }
        let workloads = if bound_at_run_time(&self.docs[doc]) { self.leave_to_runtime(doc, &b) } else { self.workloads(doc, &b) };
        if let Some(c) = &collected {
            self.check_collected(doc, &b, c, !workloads.is_empty());
        }
        if workloads.is_empty() {
            self.type_needed_only_where_projected(problems_before);
        }
        let failed = self.failed_since(problems_before);
        if let Some(c) = &collected {
            self.regenerated.insert(format!("{}/{}", b.namespace, b.name));
            if !failed && !workloads.is_empty() {
                self.out.generated.extend(c.delivery.generated.iter().map(|g| (doc, g.clone())));
            }
        }
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
                    let plan = self.out.workloads.entry(w).or_default();
                    plan.mapping.get_or_insert_with(|| mapping.clone());
                    plan.steps.push(Step { binding: index, project });
                }
            }
        }
        let resolved = Resolved::Spec(SpecResolved { binding: b, source, secret, collected });
        self.out.bindings.push(ResolvedBinding { doc, workloads, resolved });
    }

    /// The binding Secret: direct, or through the Provisioned Service duck type; in the input,
    /// or declared as created at run time (see [`crate::index::runtime_secrets`]).
    fn service(&mut self, doc: DocId, b: &Binding) -> (Option<ServiceSource>, Option<BindingSecret>) {
        let Some((source, secret_name, convention)) = self.secret_name(doc, b) else { return (None, None) };
        let secret_ns = convention.as_ref().map_or_else(|| b.namespace.clone(), |k| k.namespace.clone());
        if secret_ns != b.namespace {
            let msg = format!(
                "the binding Secret {secret_name:?} is written to namespace {secret_ns:?} by {}, not to the binding's namespace {:?}",
                convention.as_ref().map(|k| k.source.creator(self.docs)).unwrap_or_default(),
                b.namespace
            );
            self.problem(doc, b, Rule::SecretInOtherNamespace, "spec.service", msg).add_help(format!(
                "a pod can only reference Secrets in its own namespace, and a servicebinding.io binding projects its Secret by \
                 reference into workloads of the binding's namespace; have the Secret written to namespace {:?} (for Crossplane: \
                 spec.writeConnectionSecretToRef.namespace), or bind a copy of it that lives there",
                b.namespace
            ));
            return (Some(source), None);
        }
        let by_convention = |this: &Self| -> Option<String> {
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
                self.notice(doc, b, Rule::BindingSecretByConvention, "spec.service", msg);
            }
            return (Some(source), self.secret_in_input(doc, b, sid, secret_name));
        }
        let secret = self.secret_at_run_time(doc, b, &source, secret_name, convention);
        (Some(source), secret)
    }

    /// The name of the binding Secret and where it comes from: the Secret itself (a Direct
    /// Secret Reference), or the service's `.status.binding.name`, or what an operator
    /// convention or the service's annotations name (`KnownSecret`). `None` when reported.
    fn secret_name(&mut self, doc: DocId, b: &Binding) -> Option<(ServiceSource, String, Option<KnownSecret>)> {
        if b.service.is_direct_secret() {
            return Some((ServiceSource::DirectSecret, b.service.name.clone(), None));
        }
        let group = group_of(&b.service.api_version);
        let Some(&svc) = self.index.get(group, &b.service.kind, &b.namespace, &b.service.name).first() else {
            let msg = format!(
                "the service was not found: no {} {:?} ({}) in namespace {:?}",
                b.service.kind, b.service.name, b.service.api_version, b.namespace
            );
            let same_name: Vec<&crate::doc::document::Document> =
                self.index.named(&b.namespace, &b.service.name).iter().map(|&d| &self.docs[d]).collect();
            let mut hints = self.index.name_hints(group, &b.service.kind, &b.namespace, &b.service.name);
            hints.extend(crate::kube::hints::service_not_found(&same_name, self.index.kinds(), &b.service));
            if hints.is_empty() {
                hints.push("add the service resource to the input, or point spec.service at one that is".into());
            }
            let help = hints.join("; ");
            self.problem(doc, b, Rule::ServiceNotFound, "spec.service.name", msg).add_help(help);
            return None;
        };
        let svc_doc = &self.docs[svc];
        match svc_doc.value.pointer("/status/binding/name") {
            Some(Value::String(s)) if !s.is_empty() => Some((ServiceSource::Provisioned { doc: svc }, s.to_string(), None)),
            Some(v) if !v.is_null() && !v.is_string() => {
                let msg = format!(
                    "{} {:?} has .status.binding.name of type {}, not a string (at {})",
                    b.service.kind,
                    b.service.name,
                    type_name(v),
                    svc_doc.location()
                );
                self.problem(doc, b, Rule::InvalidService, "spec.service", msg);
                None
            }
            _ => match self.runtime.for_service(self.docs, svc) {
                Some(known) => Some((ServiceSource::Provisioned { doc: svc }, known.name.clone(), Some(known))),
                None => {
                    let msg = format!(
                        "the service was found, but did not contain a binding secret: {} {:?} (at {}) has no .status.binding.name",
                        b.service.kind,
                        b.service.name,
                        svc_doc.location()
                    );
                    self.problem(doc, b, Rule::ServiceMissingBinding, "spec.service", msg).add_help(format!(
                        "commit the Provisioned Service's .status.binding.name, bind the Secret directly (apiVersion: v1, kind: Secret), \
                         annotate the service with {} (and {}), or add a convention for {} to {}",
                        crate::index::runtime_secrets::SECRET_ANNOTATION,
                        crate::index::runtime_secrets::KEYS_ANNOTATION,
                        b.service.kind,
                        crate::index::runtime_secrets::CONFIG_FILE
                    ));
                    None
                }
            },
        }
    }

    /// The binding Secret `secret_name`, document `sid` of the input: its key names (a
    /// SOPS-encrypted Secret's are readable, its values never decrypted).
    fn secret_in_input(&mut self, doc: DocId, b: &Binding, sid: DocId, secret_name: String) -> Option<BindingSecret> {
        if is_sops(&self.docs[sid]) {
            let msg = format!(
                "the binding Secret {secret_name:?} (at {}) is SOPS-encrypted: it is projected by reference with its key names; its values are never decrypted",
                self.docs[sid].location()
            );
            self.notice(doc, b, Rule::EncryptedSecret, "spec.service", msg);
            let keys = sops_keys(&self.docs[sid]);
            let secret = BindingSecret {
                name: secret_name,
                namespace: b.namespace.clone(),
                source: SecretSource::Sops { doc: sid },
                keys,
                unknown_keys: None,
            };
            return Some(secret);
        }
        match secret_keys(&self.docs[sid]) {
            Ok(keys) => {
                let secret = BindingSecret {
                    name: secret_name,
                    namespace: b.namespace.clone(),
                    source: SecretSource::InInput { doc: sid },
                    keys,
                    unknown_keys: None,
                };
                Some(secret)
            }
            Err(errors) => {
                let at = self.docs[sid].location();
                for e in errors {
                    self.problem(doc, b, Rule::InvalidSecret, "spec.service", format!("binding Secret {secret_name:?} (at {at}): {e}"));
                }
                None
            }
        }
    }

    /// A binding Secret that is not in the input: declared (a producer, the config file, the
    /// service's annotations, a convention), found only in another namespace, assumed
    /// (`--allow-missing-secrets`), or missing.
    fn secret_at_run_time(
        &mut self,
        doc: DocId,
        b: &Binding,
        source: &ServiceSource,
        secret_name: String,
        convention: Option<KnownSecret>,
    ) -> Option<BindingSecret> {
        // Not in the input: a producer or a declaration for this very name wins over the
        // convention that derived it (a CNPG initdb Secret delivered by an ExternalSecret).
        let via = match source {
            // Never a single binding Secret (resolved in `annotated`).
            ServiceSource::DirectSecret | ServiceSource::Annotated { .. } => String::new(),
            ServiceSource::Provisioned { .. } if convention.is_some() => {
                format!(" ({} {:?} has no .status.binding.name)", b.service.kind, b.service.name)
            }
            ServiceSource::Provisioned { .. } => format!(" (named by {} {:?} .status.binding.name)", b.service.kind, b.service.name),
        };
        let annotated = match source {
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
                self.problem(doc, b, Rule::SecretInOtherNamespace, "spec.service", msg).add_help(format!(
                    "a pod can only reference Secrets in its own namespace; move the Secret (or what creates it) to namespace {:?}, \
                     or move the binding and its workloads to {ns:?} (with kustomize: check the overlay's `namespace:`)",
                    b.namespace
                ));
                return None;
            }
            None if self.runtime.allow_missing(self.opts.allow_missing_secrets) => {
                let msg = format!(
                    "the binding Secret {secret_name:?}{via} is not in namespace {:?} of the input and nothing declares who creates it; \
                     projected by name (--allow-missing-secrets); its keys (type, the keys spec.env maps) are not checked",
                    b.namespace
                );
                let loc = Location::of_field(&self.docs[doc], "spec.service");
                self.out.problems.push(Problem::warning(Rule::SecretNotInInput, msg).binding(&b.namespace, &b.name).at(loc));
                let secret = BindingSecret {
                    name: secret_name,
                    namespace: b.namespace.clone(),
                    source: SecretSource::Assumed,
                    keys: BTreeSet::new(),
                    unknown_keys: Some("nothing declares the Secret (--allow-missing-secrets)".into()),
                };
                return Some(secret);
            }
            None => {
                let msg = format!("the binding Secret {secret_name:?}{via} was not found in namespace {:?} of the input", b.namespace);
                let mut hints = self.index.name_hints("", "Secret", &b.namespace, &secret_name);
                hints.push(format!(
                    "a binding can only use a Secret in its own namespace; add that Secret to the input, or declare who creates it at run time: \
                     a SealedSecret or ExternalSecret for {secret_name:?} in the input, a `secrets:` entry (name, namespace, keys) in {}, \
                     the annotations {} and {} on the service resource; or pass --allow-missing-secrets when Secrets live outside Git",
                    crate::index::runtime_secrets::CONFIG_FILE,
                    crate::index::runtime_secrets::SECRET_ANNOTATION,
                    crate::index::runtime_secrets::KEYS_ANNOTATION,
                ));
                let help = hints.join("; ");
                self.problem(doc, b, Rule::SecretNotFound, "spec.service", msg).add_help(help);
                return None;
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
        self.notice(doc, b, Rule::RuntimeSecret, "spec.service", msg);
        let secret = BindingSecret {
            name: secret_name,
            namespace: b.namespace.clone(),
            source: known.source,
            keys: known.keys.unwrap_or_default(),
            unknown_keys: known.unknown_keys,
        };
        Some(secret)
    }

    fn notice(&mut self, doc: DocId, b: &Binding, rule: Rule, field: &str, message: String) {
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
                self.out.problems.push(Problem::warning(Rule::SecretKeysUnknown, msg).binding(&b.namespace, &b.name).at(loc));
            }
            return;
        }
        if b.type_override.is_none() && !secret.keys.contains("type") {
            let msg = format!(
                "the binding Secret {:?} has no \"type\" entry and spec.type is not set; the projected binding must contain type",
                secret.name
            );
            self.problem(doc, b, Rule::MissingType, "spec.service", msg)
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
                self.problem(doc, b, Rule::EnvKeyNotFound, &format!("spec.env[{i}].key"), msg);
            }
        }
    }

    /// `did you mean` for a label selector that matches nothing: for each `matchLabels` entry no
    /// workload of the type has, the nearest label one or two edits away (in its key or value);
    /// when every entry exists but on different workloads, that.
    fn selector_hints(&self, group: &str, kind: &str, namespace: &str, sel: &crate::kube::LabelSelector) -> Vec<String> {
        let mut hints = Vec::new();
        let mut all_exist = !sel.match_labels.is_empty();
        for (k, v) in &sel.match_labels {
            if self.index.has_label(group, kind, namespace, k, v) {
                continue;
            }
            all_exist = false;
            if let Some((nk, nv)) = self.index.near_label(group, kind, namespace, k, v) {
                hints.push(format!("did you mean {nk}: {nv}? (instead of {k}: {v})"));
            }
        }
        if all_exist && sel.match_expressions.is_empty() {
            hints.push(format!("each of the matchLabels is on some {kind}, but no single {kind} has them all"));
        }
        hints
    }

    /// A binding annotated [`BIND_AT_RUN_TIME`]: its workloads are created at run time, so it is
    /// left to the cluster's runtime — emitted (not consumed), projected into nothing; its service
    /// and Secret were checked as any binding's.
    fn leave_to_runtime(&mut self, doc: DocId, b: &Binding) -> Vec<DocId> {
        self.out.consumed.remove(&doc);
        let group = group_of(&b.workload.api_version);
        let in_input = match &b.workload.selection {
            WorkloadSelection::Name(name) => self.index.get(group, &b.workload.kind, &b.namespace, name).len(),
            WorkloadSelection::Selector(sel) => self.index.select(self.docs, group, &b.workload.kind, &b.namespace, sel).len(),
        };
        let also = match in_input {
            0 => String::new(),
            n => format!("; the {n} {} of the input it selects are left to the runtime too, and come out unbound", b.workload.kind),
        };
        let msg = format!(
            "annotated {BIND_AT_RUN_TIME}: \"true\": the binding is emitted for the cluster's servicebinding.io runtime, which binds the \
             workloads created at run time; bindery projects nothing{also}"
        );
        self.notice(doc, b, Rule::BoundAtRunTime, "metadata.annotations", msg);
        Vec::new()
    }

    /// A binding that selects no workload in the input projects nothing, so a missing `type` (a
    /// requirement on what is projected) is a warning for it, not a failed render: the
    /// reference runtime's own samples bind workloads that are created at run time this way.
    fn type_needed_only_where_projected(&mut self, problems_before: usize) {
        for p in self.out.problems[problems_before..].iter_mut().filter(|p| p.rule == Rule::MissingType && p.is_error()) {
            p.severity = crate::model::problem::Severity::Warning;
            p.message.push_str(
                "; the binding selects no workload in the input, so nothing is projected here (a warning, not an error: \
                 the type is needed where the cluster's runtime projects it)",
            );
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
                    let mut hints = self.index.name_hints(group, &b.workload.kind, &b.namespace, name);
                    hints.push(crate::kube::hints::workload_not_found(self.index.kinds(), &b.workload.kind, &b.workload.api_version));
                    let help = hints.join("; ");
                    self.problem(doc, b, Rule::WorkloadNotFound, "spec.workload.name", msg).add_help(help);
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
                    let mut msg = format!(
                        "the label selector matches no workload ({seen}); nothing is bound, and the binding is consumed, so no runtime binds it later"
                    );
                    let mut hints = self.selector_hints(group, &b.workload.kind, &b.namespace, sel);
                    if let Some(k) = crate::kube::hints::suggest_kind(self.index.kinds(), &b.workload.kind) {
                        msg.push_str(&format!("; did you mean kind: {k}?"));
                        hints.insert(0, format!("did you mean kind: {k}?"));
                    }
                    hints.push(format!(
                        "if the workloads are created at run time (a Knative Revision, an operator's Deployment), annotate the binding \
                         with {BIND_AT_RUN_TIME}: \"true\" to leave it to the cluster's runtime"
                    ));
                    let loc = Location::of_field(&self.docs[doc], "spec.workload.selector");
                    let p = Problem::warning(Rule::SelectorMatchesNothing, msg).binding(&b.namespace, &b.name).at(loc);
                    self.out.problems.push(p.help(hints.join("; ")));
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
                self.out.problems.push(Problem::warning(Rule::WorkloadVersionMismatch, msg).binding(&b.namespace, &b.name).at(loc));
            }
        }
        found
    }
}
