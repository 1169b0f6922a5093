//! The Service Binding Operator's API, `binding.operators.coreos.com/v1alpha1` ServiceBinding
//! (sbo-semantics.md): its model and validation ([`OperatorBinding`]), binding data collection
//! from every SBO source ([`collect`], [`definitions`], [`registry`], [`olm`], with Go templates
//! evaluated by [`gotemplate`]), and the delivery plan ([`delivery`]); the projection itself is
//! [`crate::project::sbo`].

pub mod collect;
pub mod definitions;
pub mod delivery;
pub mod gotemplate;
pub mod olm;
pub mod registry;

use std::collections::BTreeMap;

use crate::doc::value::Value;

use crate::bindings::stable_uid;
use crate::doc::document::Document;
use crate::kube::type_name;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

/// A reference by group/version and kind or resource (`resource` wins when both are set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub resource: String,
}

#[derive(Debug, Clone)]
pub struct ServiceRef {
    pub type_ref: TypeRef,
    pub name: String,
    /// Defaults to the binding's namespace.
    pub namespace: String,
    /// The name the service object has in mapping templates.
    pub id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApplicationRef {
    pub type_ref: TypeRef,
    pub name: Option<String>,
    /// `labelSelector.matchLabels` (SBO ignores `matchExpressions`); `Some` when a selector is set.
    pub match_labels: Option<BTreeMap<String, String>>,
    pub containers_path: Option<String>,
    pub secret_path: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Mapping {
    pub name: String,
    pub value: String,
}

/// A `binding.operators.coreos.com/v1alpha1` ServiceBinding.
#[derive(Debug, Clone)]
pub struct OperatorBinding {
    pub namespace: String,
    /// `metadata.name` (generated Secrets are named after it).
    pub name: String,
    pub uid: String,
    /// `spec.name`, else `metadata.name`: the volume name and directory.
    pub binding_name: String,
    pub naming_strategy: String,
    pub bind_as_files: bool,
    pub detect_binding_resources: bool,
    pub services: Vec<ServiceRef>,
    pub application: ApplicationRef,
    pub mappings: Vec<Mapping>,
}

impl OperatorBinding {
    /// The naming template text: a predefined strategy or the value itself (sbo-semantics §10).
    pub fn naming_template(&self) -> String {
        let strategy = if self.naming_strategy.is_empty() {
            if self.bind_as_files {
                "none"
            } else {
                "uppercase"
            }
        } else {
            self.naming_strategy.as_str()
        };
        match strategy {
            "none" => "{{ .name }}".into(),
            "uppercase" => "{{ .service.kind | upper }}_{{ .name | upper }}".into(),
            "lowercase" => "{{ .name | lower }}".into(),
            custom => custom.into(),
        }
    }
}

struct Checker<'a> {
    doc: &'a Document,
    namespace: String,
    name: String,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, field: &str, message: impl Into<String>) {
        let loc = Location::of_field(self.doc, field);
        let p = Problem::error(Rule::InvalidBinding, format!("{field}: {}", message.into())).binding(&self.namespace, &self.name).at(loc);
        self.problems.push(p);
    }
    fn string(&mut self, obj: &Value, key: &str, field: &str) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.to_string()),
            Some(other) => {
                self.report(field, format!("must be a string, got {}", type_name(other)));
                None
            }
        }
    }
    fn type_ref(&mut self, obj: &Value, field: &str) -> TypeRef {
        let group = self.string(obj, "group", &format!("{field}.group"));
        if group.is_none() {
            self.report(&format!("{field}.group"), "Required value");
        }
        let version = self.string(obj, "version", &format!("{field}.version")).unwrap_or_default();
        if version.is_empty() {
            self.report(&format!("{field}.version"), "Required value");
        }
        let kind = self.string(obj, "kind", &format!("{field}.kind")).unwrap_or_default();
        let resource = self.string(obj, "resource", &format!("{field}.resource")).unwrap_or_default();
        if kind.is_empty() && resource.is_empty() {
            self.report(field, "Kind undefined: set kind or resource");
        }
        TypeRef { group: group.unwrap_or_default(), version, kind, resource }
    }
    fn bool(&mut self, obj: &Value, key: &str, default: bool) -> bool {
        match obj.get(key) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                self.report(&format!("spec.{key}"), format!("must be a boolean, got {}", type_name(other)));
                default
            }
        }
    }

    /// `spec.services`: every entry, with hints for a service named by resource.
    fn services(&mut self, spec: &Value) -> Vec<ServiceRef> {
        let mut services = Vec::new();
        match spec.get("services") {
            Some(Value::Array(items)) if !items.is_empty() => {
                for (i, s) in items.iter().enumerate() {
                    let field = format!("spec.services[{i}]");
                    if !s.is_object() {
                        self.report(&field, format!("must be an object, got {}", type_name(s)));
                        continue;
                    }
                    let type_ref = self.type_ref(s, &field);
                    let sname = self.string(s, "name", &format!("{field}.name")).unwrap_or_default();
                    if sname.is_empty() {
                        self.report(&format!("{field}.name"), "Required value");
                    }
                    let ns = self
                        .string(s, "namespace", &format!("{field}.namespace"))
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| self.namespace.clone());
                    let id = self.string(s, "id", &format!("{field}.id")).filter(|i| !i.is_empty());
                    if type_ref.kind.is_empty() && !type_ref.resource.is_empty() {
                        let hint =
                            crate::kube::hints::kind_for_resource(&type_ref.resource).map_or_else(String::new, |k| format!(" (kind: {k})"));
                        let p = Problem::warning(
                            Rule::ServiceByResource,
                            format!(
                                "{field} names the service by resource: {}; the Service Binding Operator's services take a kind{hint}",
                                type_ref.resource
                            ),
                        )
                        .binding(&self.namespace, &self.name)
                        .at(Location::of_field(self.doc, &format!("{field}.resource")));
                        self.problems.push(p);
                    }
                    services.push(ServiceRef { type_ref, name: sname, namespace: ns, id });
                }
                self.split_service_help(items);
            }
            Some(Value::Array(_)) => self.report("spec.services", "must have at least 1 item"),
            None | Some(Value::Null) => self.report("spec.services", "Required value: a binding needs at least one service"),
            Some(other) => self.report("spec.services", format!("must be a list, got {}", type_name(other))),
        }
        services
    }

    /// Help for a service split into two entries by a stray '-' (a list entry holding group and
    /// version only, followed by one holding kind and name only).
    fn split_service_help(&mut self, items: &[Value]) {
        // A stray '-' splits one service into two entries: the first has group and version
        // but no kind or name, the next kind and name but no group or version.
        for i in 1..items.len() {
            let has = |v: &Value, k: &str| v.get(k).is_some_and(|x| !x.is_null());
            let (a, b) = (&items[i - 1], &items[i]);
            let a_head = (has(a, "group") || has(a, "version")) && !has(a, "kind") && !has(a, "resource") && !has(a, "name");
            let b_tail = (has(b, "kind") || has(b, "name")) && !has(b, "group") && !has(b, "version");
            if a_head && b_tail {
                let help = format!(
                    "spec.services[{}] has group/version and spec.services[{i}] kind/name: they look like one service split by a stray '-' \
                     (or mis-indented); write them as one list entry",
                    i - 1
                );
                let prefixes = [format!("spec.services[{}]", i - 1), format!("spec.services[{i}]")];
                for p in self.problems.iter_mut().filter(|p| prefixes.iter().any(|pre| p.message.starts_with(pre.as_str()))) {
                    p.add_help(help.clone());
                }
            }
        }
    }

    /// `spec.application`: the type, name or `matchLabels`, and the binding path.
    fn application(&mut self, spec: &Value) -> ApplicationRef {
        let mut application = ApplicationRef {
            type_ref: TypeRef { group: String::new(), version: String::new(), kind: String::new(), resource: String::new() },
            name: None,
            match_labels: None,
            containers_path: None,
            secret_path: None,
        };
        match spec.get("application") {
            Some(a @ Value::Object(_)) => {
                application.type_ref = self.type_ref(a, "spec.application");
                application.name = self.string(a, "name", "spec.application.name").filter(|n| !n.is_empty());
                match a.get("labelSelector") {
                    None | Some(Value::Null) => {}
                    Some(Value::Object(sel)) => {
                        // Only matchLabels is used; a selector without it lists every object.
                        let mut labels = BTreeMap::new();
                        match sel.get("matchLabels") {
                            None | Some(Value::Null) => {}
                            Some(Value::Object(m)) => {
                                labels = m
                                    .iter()
                                    .map(|(k, v)| (k.to_string(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                                    .collect();
                                if application.name.is_some() {
                                    self.report(
                                        "spec.application.labelSelector",
                                        "name and selector MUST NOT be defined in the application reference",
                                    );
                                }
                            }
                            Some(other) => self
                                .report("spec.application.labelSelector.matchLabels", format!("must be a map, got {}", type_name(other))),
                        }
                        application.match_labels = Some(labels);
                    }
                    Some(other) => self.report("spec.application.labelSelector", format!("must be an object, got {}", type_name(other))),
                }
                if let Some(bp) = a.get("bindingPath").filter(|v| !v.is_null()) {
                    application.containers_path =
                        self.string(bp, "containersPath", "spec.application.bindingPath.containersPath").filter(|p| !p.is_empty());
                    application.secret_path =
                        self.string(bp, "secretPath", "spec.application.bindingPath.secretPath").filter(|p| !p.is_empty());
                }
            }
            None | Some(Value::Null) => self.report("spec.application", "Required value"),
            Some(other) => self.report("spec.application", format!("must be an object, got {}", type_name(other))),
        }
        application
    }

    /// `spec.mappings`.
    fn mappings(&mut self, spec: &Value) -> Vec<Mapping> {
        let mut mappings = Vec::new();
        match spec.get("mappings") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, m) in items.iter().enumerate() {
                    let field = format!("spec.mappings[{i}]");
                    let n = self.string(m, "name", &format!("{field}.name")).unwrap_or_default();
                    let v = self.string(m, "value", &format!("{field}.value"));
                    if n.is_empty() {
                        self.report(&format!("{field}.name"), "Required value");
                    }
                    if v.is_none() {
                        self.report(&format!("{field}.value"), "Required value");
                    }
                    mappings.push(Mapping { name: n, value: v.unwrap_or_default() });
                }
            }
            Some(other) => self.report("spec.mappings", format!("must be a list, got {}", type_name(other))),
        }
        mappings
    }

    /// Fields of older SBO APIs: ignored, with a warning.
    fn legacy_fields(&mut self, spec: &Value) {
        for legacy in ["mountPath", "namePrefix", "envVarPrefix"] {
            if spec.get(legacy).is_some() {
                let loc = Location::of_field(self.doc, &format!("spec.{legacy}"));
                self.problems.push(
                    Problem::warning(Rule::LegacyField, format!("spec.{legacy} does not exist in the current SBO API and is ignored"))
                        .binding(&self.namespace, &self.name)
                        .at(loc),
                );
            }
        }
    }
}

/// Parse and validate as SBO's CRD schema and admission webhook do (sbo-semantics §1.2).
/// Returns the binding (unless there were errors) and every problem found, warnings included.
pub fn parse(doc: &Document, default_ns: &str) -> (Option<OperatorBinding>, Vec<Problem>) {
    let namespace = doc.namespace(default_ns).to_string();
    let name = doc.name().to_string();
    let mut c = Checker { doc, namespace: namespace.clone(), name: name.clone(), problems: Vec::new() };
    if name.is_empty() {
        c.report("metadata.name", "Required value");
    } else if !crate::kube::is_dns1123_subdomain(&name) {
        // It names the generated Secret and ConfigMap (and, under kpt, their file).
        c.report(
            "metadata.name",
            format!(
                "{name:?} must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters), \
                 as the API server requires: it names the resources generated for the binding"
            ),
        );
    }
    let empty = Value::Object(Default::default());
    let spec = match doc.value.get("spec") {
        Some(s @ Value::Object(_)) => s,
        Some(other) if !other.is_null() => {
            c.report("spec", format!("must be an object, got {}", type_name(other)));
            &empty
        }
        _ => {
            c.report("spec", "Required value");
            &empty
        }
    };
    let spec_name = c.string(spec, "name", "spec.name").unwrap_or_default();
    if spec_name.len() > 253 || !spec_name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '.') {
        c.report("spec.name", format!("{spec_name:?} must match ^[a-z0-9\\-\\.]*$ and be at most 253 characters"));
    }
    let binding_name = if spec_name.is_empty() { name.clone() } else { spec_name };
    let naming_strategy = c.string(spec, "namingStrategy", "spec.namingStrategy").unwrap_or_default();
    let bind_as_files = c.bool(spec, "bindAsFiles", true);
    let detect_binding_resources = c.bool(spec, "detectBindingResources", false);
    let services = c.services(spec);
    let application = c.application(spec);
    let mappings = c.mappings(spec);
    c.legacy_fields(spec);
    if c.problems.iter().any(Problem::is_error) {
        return (None, c.problems);
    }
    let uid = stable_uid(&namespace, &name, doc.value.pointer("/metadata/uid").and_then(Value::as_str));
    let binding = OperatorBinding {
        namespace,
        name,
        uid,
        binding_name,
        naming_strategy,
        bind_as_files,
        detect_binding_resources,
        services,
        application,
        mappings,
    };
    (Some(binding), c.problems)
}
