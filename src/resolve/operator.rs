//! Service Binding Operator bindings, resolved as SBO does (sbo-semantics): the binding data
//! collected from every source, the applications by name and label selector, the workload
//! kind's mapping as SBO reads it, and the delivery plan.

use std::sync::Arc;

use crate::bindings::sbo::OperatorBinding;
use crate::doc::document::DocId;
use crate::doc::value::Value;
use crate::kube::mapping::MappingSpec;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

use super::{OperatorResolved, Resolved, ResolvedBinding, Resolver, Step};

impl Resolver<'_> {
    /// A Service Binding Operator binding: data, workloads, mapping, delivery plan.
    pub(crate) fn operator_binding(&mut self, doc: DocId, b: OperatorBinding) {
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

        let (kind, workloads) = self.applications(doc, &b);
        if b.bind_as_files && !workloads.is_empty() && !crate::kube::is_dns1123_label(&b.binding_name) {
            self.out.problems.push(
                Problem::error(Rule::InvalidBindingName, format!("binding name {:?} becomes the volume name, which must be a DNS-1123 label (at most 63 characters, no dots); SBO would fail to update the application", b.binding_name))
                    .binding(&b.namespace, &b.name)
                    .at(at("spec.name")),
            );
        }

        let mapping = kind.as_ref().and_then(|k| self.operator_mapping(&b, k));

        let delivery = data.as_ref().map(|data| crate::bindings::sbo::delivery::plan(&b, data));
        if let Some(delivery) = &delivery {
            if !delivery.copies.is_empty() && !workloads.is_empty() {
                let msg = format!("binding data copied into a generated Secret because {}", delivery.copies.join("; "));
                let p = if self.opts.deny_secret_copies {
                    Problem::error(Rule::SecretValuesCopied, msg)
                } else {
                    Problem::warning(Rule::SecretValuesCopied, msg)
                };
                self.out.problems.push(p.binding(&b.namespace, &b.name).at(Location::of(d)));
            }
        }
        let failed = self.failed_since(binding_start);
        let index = self.out.bindings.len();
        self.regenerated.insert(format!("{}/{}", b.namespace, b.name));
        if !failed {
            for &w in &workloads {
                self.out.workloads.entry(w).or_default().steps.push(Step { binding: index, project: true });
            }
            if let Some(delivery) = &delivery {
                if !workloads.is_empty() || b.application.secret_path.is_some() {
                    self.out.generated.extend(delivery.generated.iter().map(|g| (doc, g.clone())));
                }
            }
        }
        let resolved = Resolved::Operator(OperatorResolved { binding: b, data, delivery, mapping });
        self.out.bindings.push(ResolvedBinding { doc, workloads, resolved });
    }

    /// The applications of an SBO binding (by name, by `matchLabels`, or both: SBO binds both
    /// sets) and their kind; what finds nothing is reported with help.
    fn applications(&mut self, doc: DocId, b: &OperatorBinding) -> (Option<String>, Vec<DocId>) {
        let d = &self.docs[doc];
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
                    Rule::ApplicationNotFound,
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
                            Problem::error(Rule::ApplicationNotFound, format!("cannot find application resources for the given reference: {kind} {name:?} ({group}/{}) not found in namespace {:?}", app.type_ref.version, b.namespace))
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
                            Problem::error(Rule::ApplicationNotFound, format!("cannot find application resources for the given reference: no {kind} in namespace {:?} matches the label selector", b.namespace))
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
                            Rule::EmptyApplication,
                            "the application reference has neither a name nor a label selector: nothing is bound",
                        )
                        .binding(&b.namespace, &b.name)
                        .at(at("spec.application")),
                    );
                }
            }
        }
        let unhelped = |p: &Problem| p.rule == "ApplicationNotFound" && p.help.is_none();
        // The hints look names up: only when there is a problem to help (issue 19 item 15).
        if self.out.problems[problems_before..].iter().any(unhelped) {
            let help = self.application_hints(b, kind.as_deref());
            for p in self.out.problems[problems_before..].iter_mut().filter(|p| unhelped(p)) {
                p.add_help(help.clone());
            }
        }
        (kind, workloads)
    }

    /// Help for an application that is not found: a resource's plural, a name one or two edits
    /// away or in another namespace, the right group or kind, else where it may come from.
    fn application_hints(&self, b: &OperatorBinding, kind: Option<&str>) -> String {
        let app = &b.application;
        let group = &app.type_ref.group;
        let mut hints = Vec::new();
        if kind.is_none() && !app.type_ref.resource.is_empty() {
            if let Some(r) = self.index.suggest_resource(group, &app.type_ref.resource) {
                hints.push(format!("did you mean resource: {r}? (resources are lower-case plurals)"));
            }
        }
        if let (Some(kind), Some(name)) = (kind, &app.name) {
            hints.extend(self.index.name_hints(group, kind, &b.namespace, name));
        }
        hints.extend(crate::kube::hints::application_not_found(self.index.kinds(), group, &app.type_ref.kind, &app.type_ref.resource));
        if hints.is_empty() {
            hints.push(
                "the application may be created at run time by a controller (an operator, a Knative Configuration), so it is not in the \
                 input; add it to the input or fix spec.application"
                    .into(),
            );
        }
        hints.join("; ")
    }

    /// The workload kind's ClusterWorkloadResourceMapping, looked up as SBO does:
    /// `<resource>.<group>` or `<resource>`, and used only when it is valid.
    fn operator_mapping(&self, b: &OperatorBinding, kind: &str) -> Option<Arc<MappingSpec>> {
        let app = &b.application;
        let group = &app.type_ref.group;
        let plural = if app.type_ref.resource.is_empty() { self.index.plural(group, kind) } else { app.type_ref.resource.clone() };
        let name = if group.is_empty() { plural } else { format!("{plural}.{group}") };
        let mid = self.index.mapping(&name)?;
        self.mapping_docs.get(&mid)?;
        MappingSpec::parse_raw(self.docs[mid].value.get("spec").unwrap_or(&Value::Null)).ok().map(Arc::new)
    }
}
