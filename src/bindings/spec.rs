//! servicebinding.io bindings: parse every supported version into one normalized [`Binding`]
//! and validate it as the reference runtime's admission webhook does (spec-semantics §5.3).
//!
//! Nothing after this module branches on `apiVersion`.

use crate::doc::value::Value;

use crate::doc::document::Document;
use crate::kube::ObjectRef;
use crate::kube::{type_name, LabelSelector};
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

use super::{stable_uid, BindingApi};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadSelection {
    Name(String),
    Selector(LabelSelector),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRef {
    pub api_version: String,
    pub kind: String,
    pub selection: WorkloadSelection,
    /// Container-name filter; empty binds every container.
    pub containers: Vec<String>,
}

/// One `spec.env` entry: a variable fed from a binding Secret entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvMapping {
    pub name: String,
    pub key: String,
}

/// A ServiceBinding, whatever its API version.
#[derive(Debug, Clone)]
pub struct Binding {
    pub api: BindingApi,
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// Stable identifier used in place of the cluster UID for volume and annotation names.
    pub uid: String,
    /// `spec.name` defaulted to `metadata.name`: the directory under `$SERVICE_BINDING_ROOT`.
    pub directory: String,
    pub type_override: Option<String>,
    pub provider_override: Option<String>,
    pub service: ObjectRef,
    pub workload: WorkloadRef,
    pub env: Vec<EnvMapping>,
}

/// Collects validation problems for one binding document.
struct Checker<'a> {
    doc: &'a Document,
    namespace: String,
    name: String,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, rule: Rule, field: &str, message: String) {
        let loc = Location::of_field(self.doc, field);
        let p = Problem::error(rule, format!("{field}: {message}")).binding(&self.namespace, &self.name).at(loc);
        self.problems.push(p);
    }
    fn required(&mut self, field: &str) {
        self.report(Rule::InvalidBinding, field, "Required value".into());
    }

    /// An optional string field; wrong types are reported.
    fn string(&mut self, obj: Option<&Value>, key: &str, field: &str) -> Option<String> {
        match obj.and_then(|o| o.get(key)) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.to_string()),
            Some(other) => {
                self.report(Rule::InvalidBinding, field, format!("must be a string, got {}", type_name(other)));
                None
            }
        }
    }
    /// A required non-empty string.
    fn required_string(&mut self, obj: Option<&Value>, key: &str, field: &str) -> String {
        match self.string(obj, key, field) {
            Some(s) if !s.is_empty() => s,
            Some(_) => {
                self.required(field);
                String::new()
            }
            None => {
                if obj.and_then(|o| o.get(key)).is_none_or(Value::is_null) {
                    self.required(field);
                }
                String::new()
            }
        }
    }
    /// An object-valued field: `None` when absent, reported when of another type.
    fn object<'v>(&mut self, obj: Option<&'v Value>, key: &str, field: &str) -> Option<&'v Value> {
        match obj.and_then(|o| o.get(key)) {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v),
            Some(other) => {
                self.report(Rule::InvalidBinding, field, format!("must be an object, got {}", type_name(other)));
                None
            }
        }
    }

    /// `spec.workload` (`spec.application` in `service.binding/v1alpha2`): type, exactly one of
    /// name and selector, and the container filter.
    fn workload(&mut self, spec: Option<&Value>, api: BindingApi) -> WorkloadRef {
        let wl_key = if api == BindingApi::LegacyV1alpha2 { "application" } else { "workload" };
        let wl_field = format!("spec.{wl_key}");
        let wl_obj = self.object(spec, wl_key, &wl_field);
        if wl_obj.is_none() && spec.is_some_and(|s| s.get(wl_key).is_none_or(Value::is_null)) {
            self.required(&wl_field);
        }
        let mut workload = WorkloadRef {
            api_version: String::new(),
            kind: String::new(),
            selection: WorkloadSelection::Name(String::new()),
            containers: Vec::new(),
        };
        if let Some(w) = wl_obj {
            workload.api_version = self.required_string(Some(w), "apiVersion", &format!("{wl_field}.apiVersion"));
            workload.kind = self.required_string(Some(w), "kind", &format!("{wl_field}.kind"));
            let wname = self.string(Some(w), "name", &format!("{wl_field}.name")).filter(|s| !s.is_empty());
            let selector = match w.get("selector") {
                None | Some(Value::Null) => None,
                Some(v) => match LabelSelector::parse(v) {
                    Ok(s) => Some(Some(s)),
                    Err(errs) => {
                        for (sub, msg) in errs {
                            self.report(Rule::InvalidBinding, &format!("{wl_field}.selector{sub}"), msg);
                        }
                        Some(None)
                    }
                },
            };
            match (wname, selector) {
                (Some(_), Some(_)) => {
                    self.report(Rule::InvalidBinding, &format!("{wl_field}.[name, selector]"), "expected exactly one, got both".into())
                }
                (None, None) => {
                    self.report(Rule::InvalidBinding, &format!("{wl_field}.[name, selector]"), "expected exactly one, got neither".into())
                }
                (Some(n), None) => workload.selection = WorkloadSelection::Name(n),
                (None, Some(Some(s))) => workload.selection = WorkloadSelection::Selector(s),
                (None, Some(None)) => {}
            }
            match w.get("containers") {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        match item {
                            Value::String(s) => workload.containers.push(s.to_string()),
                            other => self.report(
                                Rule::InvalidBinding,
                                &format!("{wl_field}.containers[{i}]"),
                                format!("must be a string, got {}", type_name(other)),
                            ),
                        }
                    }
                }
                Some(other) => self.report(
                    Rule::InvalidBinding,
                    &format!("{wl_field}.containers"),
                    format!("must be a list of strings, got {}", type_name(other)),
                ),
            }
        }
        workload
    }

    /// `spec.env`: variable name and Secret key of every mapping.
    fn env(&mut self, spec: Option<&Value>) -> Vec<EnvMapping> {
        let mut env = Vec::new();
        match spec.and_then(|s| s.get("env")) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        self.report(
                            Rule::InvalidBinding,
                            &format!("spec.env[{i}]"),
                            format!("must be an object with name and key, got {}", type_name(item)),
                        );
                        continue;
                    }
                    let name = self.required_string(Some(item), "name", &format!("spec.env[{i}].name"));
                    let key = self.required_string(Some(item), "key", &format!("spec.env[{i}].key"));
                    env.push(EnvMapping { name, key });
                }
            }
            Some(other) => {
                self.report(Rule::InvalidBinding, "spec.env", format!("must be a list of {{name, key}} entries, got {}", type_name(other)))
            }
        }
        env
    }
}

/// Parse and validate a servicebinding.io (or legacy `service.binding`) ServiceBinding.
/// Every violation is reported, not only the first.
pub fn parse_binding(doc: &Document, api: BindingApi, default_ns: &str) -> Result<Binding, Vec<Problem>> {
    let namespace = doc.namespace(default_ns).to_string();
    let name = doc.name().to_string();
    let mut c = Checker { doc, namespace: namespace.clone(), name: name.clone(), problems: Vec::new() };
    if name.is_empty() {
        c.required("metadata.name");
    }
    let root = Some(&doc.value);
    let spec = c.object(root, "spec", "spec");
    if spec.is_none() && doc.value.get("spec").is_none_or(Value::is_null) {
        c.required("spec");
    }

    let directory = c.string(spec, "name", "spec.name").filter(|s| !s.is_empty()).unwrap_or_else(|| name.clone());
    if directory.is_empty() {
        c.required("spec.name");
    } else if directory.len() > 253 || !directory.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '.')
    {
        c.report(
            Rule::InvalidBinding,
            "spec.name",
            format!(
                "{directory:?}: must consist of lower case alphanumeric characters, '-' or '.', and must be no more than 253 characters"
            ),
        );
    } else if directory == "." || directory == ".." {
        c.report(Rule::InvalidBinding, "spec.name", format!("{directory:?}: must not be \".\" or \"..\""));
    }
    let type_override = c.string(spec, "type", "spec.type").filter(|s| !s.is_empty());
    let provider_override = c.string(spec, "provider", "spec.provider").filter(|s| !s.is_empty());

    let service_obj = c.object(spec, "service", "spec.service");
    if service_obj.is_none() && spec.is_some_and(|s| s.get("service").is_none_or(Value::is_null)) {
        c.required("spec.service");
    }
    let service = match service_obj {
        Some(s) => ObjectRef {
            api_version: c.required_string(Some(s), "apiVersion", "spec.service.apiVersion"),
            kind: c.required_string(Some(s), "kind", "spec.service.kind"),
            name: c.required_string(Some(s), "name", "spec.service.name"),
        },
        None => ObjectRef { api_version: String::new(), kind: String::new(), name: String::new() },
    };
    let workload = c.workload(spec, api);
    let env = c.env(spec);

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let uid = stable_uid(&namespace, &name, doc.value.pointer("/metadata/uid").and_then(Value::as_str));
    Ok(Binding { api, namespace, name, uid, directory, type_override, provider_override, service, workload, env })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::{classify, BindingDocKind};
    use crate::load::parse_file;

    fn parse(text: &str) -> Result<Binding, Vec<Problem>> {
        let (_, docs) = parse_file("b.yaml".into(), "b.yaml".into(), text.as_bytes().to_vec()).unwrap();
        let BindingDocKind::ServiceBinding(api) = classify(&docs[0]).unwrap() else { panic!() };
        parse_binding(&docs[0], api, "default")
    }

    const OK: &str = "apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: s}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n";

    #[test]
    fn defaults_name_and_derives_a_stable_uid() {
        let b = parse(OK).unwrap();
        assert_eq!(b.directory, "db");
        assert_eq!(b.uid, parse(OK).unwrap().uid);
        assert_eq!(b.uid.len(), 36);
        assert!(b.service.is_direct_secret());
    }

    #[test]
    fn legacy_v1alpha2_reads_application() {
        let t = OK.replace("servicebinding.io/v1", "service.binding/v1alpha2").replace("workload:", "application:");
        let b = parse(&t).unwrap();
        assert_eq!(b.api, BindingApi::LegacyV1alpha2);
        assert_eq!(b.workload.selection, WorkloadSelection::Name("app".into()));
    }

    #[test]
    fn reports_every_violation() {
        let t = "apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: Bad_Name}\nspec:\n  service: {kind: Secret}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: a, selector: {}}\n  env:\n  - key: password\n";
        let errs = parse(t).unwrap_err();
        let text: Vec<String> = errs.iter().map(|p| p.message.clone()).collect();
        assert!(text.iter().any(|m| m.starts_with("spec.name")), "{text:?}");
        assert!(text.iter().any(|m| m.starts_with("spec.service.apiVersion")), "{text:?}");
        assert!(text.iter().any(|m| m.starts_with("spec.service.name")), "{text:?}");
        assert!(text.iter().any(|m| m.contains("got both")), "{text:?}");
        assert!(text.iter().any(|m| m.starts_with("spec.env[0].name")), "{text:?}");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let t = OK.replace("workload: {apiVersion: apps/v1, kind: Deployment, name: app}", "workload: app");
        let errs = parse(&t).unwrap_err();
        assert!(errs[0].message.contains("spec.workload") && errs[0].message.contains("object"), "{errs:?}");
    }

    #[test]
    fn uid_falls_back_when_unusable() {
        assert_eq!(stable_uid("ns", "n", Some("abc-123")), "abc-123");
        assert_eq!(stable_uid("ns", "n", Some("NOT OK")).len(), 36);
    }
}
