//! servicebinding.io bindings to services that only carry Service Binding Operator binding
//! definitions (no `.status.binding.name`; `service.binding…` annotations on the resource or its
//! CRD, or an entry of SBO's built-in registry). SBO serves servicebinding.io bindings too and
//! collects their binding data as for its own API (sbo-semantics §16: no owned resources, no
//! mappings, no naming; `spec.type`/`spec.provider` win over the service's items). bindery does
//! the same with the one SBO collection ([`Collector`]) and delivers every item by reference, as
//! for SBO bindings: the projection reads the service's Secrets and ConfigMaps entry by entry.
//!
//! Which path a service without `.status.binding.name` takes: bindery's own
//! `bindery.dev/binding-secret` annotation first, then definitions the service or its CRD declare,
//! then an operator convention (the built-in table, `.bindery.yaml`), then SBO's registry.

use crate::bindings::sbo::collect::{definition_sources, Collector};
use crate::bindings::sbo::{ApplicationRef, OperatorBinding, ServiceRef, TypeRef};
use crate::bindings::spec::{Binding, WorkloadSelection};
use crate::doc::document::DocId;
use crate::doc::value::Value;
use crate::kube::{group_of, version_of};
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

use super::{CollectedData, Resolver};

/// The binding as SBO's servicebinding.io flow sees it: one service in the binding's namespace,
/// files, no naming strategy (names unchanged), no mappings, no owned resources.
fn as_operator_binding(b: &Binding) -> OperatorBinding {
    let type_ref = |api_version: &str, kind: &str| TypeRef {
        group: group_of(api_version).to_string(),
        version: version_of(api_version).to_string(),
        kind: kind.to_string(),
        resource: String::new(),
    };
    let name = match &b.workload.selection {
        WorkloadSelection::Name(n) => Some(n.clone()),
        WorkloadSelection::Selector(_) => None,
    };
    OperatorBinding {
        namespace: b.namespace.clone(),
        name: b.name.clone(),
        uid: b.uid.clone(),
        binding_name: b.directory.clone(),
        naming_strategy: String::new(),
        bind_as_files: true,
        detect_binding_resources: false,
        services: vec![ServiceRef {
            type_ref: type_ref(&b.service.api_version, &b.service.kind),
            name: b.service.name.clone(),
            namespace: b.namespace.clone(),
            id: None,
        }],
        application: ApplicationRef {
            type_ref: type_ref(&b.workload.api_version, &b.workload.kind),
            name,
            match_labels: None,
            containers_path: None,
            secret_path: None,
        },
        mappings: Vec::new(),
    }
}

impl Resolver<'_> {
    /// The service document when `b` binds a service whose binding data SBO would collect from
    /// binding definitions (see the module documentation for the precedence).
    pub(crate) fn sbo_annotated_service(&self, b: &Binding) -> Option<DocId> {
        if b.service.is_direct_secret() {
            return None;
        }
        let &svc = self.index.get(group_of(&b.service.api_version), &b.service.kind, &b.namespace, &b.service.name).first()?;
        let doc = &self.docs[svc];
        match doc.value.pointer("/status/binding/name") {
            // A binding Secret (or a malformed status, reported by the Provisioned Service path).
            Some(Value::String(s)) if !s.is_empty() => return None,
            Some(v) if !v.is_null() && !v.is_string() => return None,
            _ => {}
        }
        let annotations = doc.value.pointer("/metadata/annotations");
        if annotations
            .and_then(|a| a.get(crate::index::runtime_secrets::SECRET_ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty())
        {
            return None;
        }
        let sources = definition_sources(self.docs, self.index, &b.namespace, doc, version_of(&b.service.api_version));
        let by_registry = sources.registry && self.runtime.for_service(self.docs, svc).is_none();
        (sources.declared() || by_registry).then_some(svc)
    }

    /// Collect the binding data of service `svc` as SBO does, and plan its delivery by reference;
    /// `None` when a problem stops the binding (reported at `spec.service`).
    pub(crate) fn collect_as_sbo(&mut self, doc: DocId, b: &Binding, svc: DocId) -> Option<CollectedData> {
        let view = as_operator_binding(b);
        let d = &self.docs[doc];
        let mut collector = Collector {
            docs: self.docs,
            index: self.index,
            default_ns: &self.opts.default_namespace,
            binding_doc: d,
            binding: &view,
            runtime: &self.runtime,
            problems: Vec::new(),
        };
        let data = collector.collect();
        let at = Location::of_field(d, "spec.service");
        for mut p in std::mem::take(&mut collector.problems) {
            p.location = Some(at.clone());
            self.out.problems.push(p);
        }
        let mut data = data?;
        // spec.type and spec.provider are items that win over the service's own (SBO §16); they
        // are projected through the downward API, as the runtime projects them.
        data.items.retain(|i| !(i.name == "type" && b.type_override.is_some() || i.name == "provider" && b.provider_override.is_some()));
        let delivery = crate::bindings::sbo::delivery::plan(&view, &data);
        let svc_doc = &self.docs[svc];
        let sources = definition_sources(self.docs, self.index, &b.namespace, svc_doc, version_of(&b.service.api_version));
        let from: Vec<&str> = [(sources.resource, "the resource"), (sources.crd, "its CRD"), (sources.registry, "SBO's built-in registry")]
            .into_iter()
            .filter_map(|(set, what)| set.then_some(what))
            .collect();
        let msg = format!(
            "{} {:?} (at {}) has no .status.binding.name: its binding data ({}) is collected as the Service Binding Operator collects it, \
             from the service.binding annotations of {}, and projected by reference to the Secrets and ConfigMaps that hold it",
            b.service.kind,
            b.service.name,
            svc_doc.location(),
            data.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", "),
            from.join(" and ")
        );
        self.out.problems.push(Problem::notice(Rule::BindingDataFromAnnotations, msg).binding(&b.namespace, &b.name).at(at));
        Some(CollectedData { data, delivery })
    }

    /// The collected data must contain `type` (SBO requires it for servicebinding.io bindings,
    /// as the spec does) and every key `spec.env` maps; values that would be copied into a
    /// generated Secret follow the SBO policy (`SecretValuesCopied`, an error with
    /// `--deny-secret-copies`). `projects`: the binding selects workloads.
    pub(crate) fn check_collected(&mut self, doc: DocId, b: &Binding, c: &CollectedData, projects: bool) {
        let names: Vec<&str> = c.data.items.iter().map(|i| i.name.as_str()).collect();
        if b.type_override.is_none() && !names.contains(&"type") {
            let msg = format!(
                "the binding data of {} {:?} has no \"type\" item and spec.type is not set; the projected binding must contain type",
                b.service.kind, b.service.name
            );
            self.problem(doc, b, Rule::MissingType, "spec.service", msg)
                .add_help("add a service.binding/type annotation to the service (or its CRD), or set spec.type on the binding");
        }
        for (i, e) in b.env.iter().enumerate() {
            let overridden = (e.key == "type" && b.type_override.is_some()) || (e.key == "provider" && b.provider_override.is_some());
            if !overridden && !names.contains(&e.key.as_str()) {
                let msg = format!(
                    "spec.env[{i}] maps {} to key {:?}, which the binding data of {} {:?} does not contain (it has: {})",
                    e.name,
                    e.key,
                    b.service.kind,
                    b.service.name,
                    names.join(", ")
                );
                self.problem(doc, b, Rule::EnvKeyNotFound, &format!("spec.env[{i}].key"), msg);
            }
        }
        if projects && !c.delivery.copies.is_empty() {
            let msg = format!("binding data copied into a generated Secret because {}", c.delivery.copies.join("; "));
            let p = if self.opts.deny_secret_copies {
                Problem::error(Rule::SecretValuesCopied, msg)
            } else {
                Problem::warning(Rule::SecretValuesCopied, msg)
            };
            self.out.problems.push(p.binding(&b.namespace, &b.name).at(Location::of_field(&self.docs[doc], "spec.service")));
        }
    }
}
