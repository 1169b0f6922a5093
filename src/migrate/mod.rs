//! Migrate: rewrite Service Binding Operator bindings (`binding.operators.coreos.com/v1alpha1`,
//! and the legacy `service.binding/v1alpha2`) as `servicebinding.io/v1` bindings, but only where
//! the result is provably the same for every container.
//!
//! A binding is migrated in two steps:
//!
//! 1. **Structure**: what the binding asks for must be expressible in the spec API (one service,
//!    one binding Secret projected as it is, a workload by name or by `matchLabels`, …). Every
//!    reason it is not is collected as a [`Reason`] with a rule-style code.
//! 2. **Proof**: the input set with the candidate in place of the original is rendered, and the
//!    resulting [`ContainerViews`] (for every bound container: each variable with its value, each
//!    binding file with its content, as the kubelet would see them) must equal the original
//!    set's. A candidate that renders differently is not migrated ([`ViewDifference`] names the
//!    variables and files that differ — never their values).
//!
//! The views hold Secret values in memory to compare them; nothing in this module prints them
//! ([`Content`]'s `Debug` masks them too).

mod groups;
mod lookup;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::doc::value::{Map, Value};
use crate::json;
use serde::Serialize;

use crate::bindings::sbo::collect::Collected;
use crate::bindings::sbo::collect::ItemSource;
use crate::bindings::sbo::{OperatorBinding, ServiceRef};
use crate::bindings::{classify, BindingApi, BindingDocKind};
use crate::doc::document::{DocId, Document};
use crate::load::Loaded;
use crate::resolve::{OperatorResolved, Options};
use crate::write::explain::{self, describe_source, Reveal};
use crate::write::{report_path, SCHEMA_VERSION};
use crate::Rendered;

use lookup::Lookup;

/// The API bindings are migrated to.
pub const TARGET_API_VERSION: &str = "servicebinding.io/v1";

// ---------------------------------------------------------------------------------------------
// container views and their comparison
// ---------------------------------------------------------------------------------------------

/// What a container reads from one variable or file.
#[derive(Clone, PartialEq, Eq)]
pub enum Content {
    /// The bytes, read from the input.
    Bytes(Vec<u8>),
    /// Not readable offline (a Secret created at run time, SOPS-encrypted): where it comes from.
    Reference(String),
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Content::Reference(r) => write!(f, "<{r}>"),
        }
    }
}

/// Everything bindings give one container: variables by name, files by absolute path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerContents {
    pub env: BTreeMap<String, Content>,
    pub files: BTreeMap<String, Content>,
}

/// `Deployment default/app` and the container name.
pub type ContainerKey = (String, String);

/// The container view of a whole run: every bound container and what it sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerViews {
    pub containers: BTreeMap<ContainerKey, ContainerContents>,
}

/// The container view of a rendered run, from the same records `explain` and `materialize`
/// print, with every value read (Secret values included). `SERVICE_BINDING_ROOT` is part of a
/// container's variables whenever it has binding files.
pub fn container_views(rendered: &Rendered, default_ns: &str) -> ContainerViews {
    let report = explain::build(rendered, default_ns, Reveal::All);
    let mut views = ContainerViews::default();
    for w in &report.workloads {
        for c in &w.containers {
            let contents = views.containers.entry((w.resource.title(), c.name.clone())).or_default();
            let content = |e: &explain::Entry| match &e.value {
                Some(bytes) => Content::Bytes(bytes.clone()),
                None => Content::Reference(describe_source(&e.source)),
            };
            for b in &c.bindings {
                for e in &b.env {
                    contents.env.insert(e.name.clone(), content(e));
                }
                for e in &b.files {
                    contents.files.insert(format!("{}/{}", b.mount_path, e.name), content(e));
                }
            }
            if let Some(root) = c.binding_root() {
                contents
                    .env
                    .entry(crate::kube::podspec::BINDING_ROOT_ENV.to_string())
                    .or_insert_with(|| Content::Bytes(root.as_bytes().to_vec()));
            }
        }
    }
    views
}

/// How one container's view differs between two runs: names only, never values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewDifference {
    pub workload: String,
    pub container: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables_removed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables_changed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files_removed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files_changed: Vec<String>,
}

impl ViewDifference {
    /// One line: `Deployment default/app, container web: files added: /bindings/db/type; …`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("variables added", &self.variables_added),
            ("variables removed", &self.variables_removed),
            ("variables changed", &self.variables_changed),
            ("files added", &self.files_added),
            ("files removed", &self.files_removed),
            ("files changed", &self.files_changed),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(what, v)| format!("{what}: {}", v.join(", ")))
        .collect();
        let container = if self.container.is_empty() { "(unnamed)" } else { self.container.as_str() };
        format!("{}, container {container}: {}", self.workload, parts.join("; "))
    }
}

/// `(added, removed, changed)` names between two maps.
fn diff_names(before: &BTreeMap<String, Content>, after: &BTreeMap<String, Content>) -> (Vec<String>, Vec<String>, Vec<String>) {
    let added = after.keys().filter(|k| !before.contains_key(*k)).cloned().collect();
    let removed = before.keys().filter(|k| !after.contains_key(*k)).cloned().collect();
    let changed = before.iter().filter(|(k, v)| after.get(*k).is_some_and(|a| a != *v)).map(|(k, _)| k.clone()).collect();
    (added, removed, changed)
}

/// Every container whose view differs between `before` and `after` (empty: the same view).
pub fn compare(before: &ContainerViews, after: &ContainerViews) -> Vec<ViewDifference> {
    let empty = ContainerContents::default();
    let keys: BTreeSet<&ContainerKey> = before.containers.keys().chain(after.containers.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let b = before.containers.get(key).unwrap_or(&empty);
        let a = after.containers.get(key).unwrap_or(&empty);
        if a == b {
            continue;
        }
        let (variables_added, variables_removed, variables_changed) = diff_names(&b.env, &a.env);
        let (files_added, files_removed, files_changed) = diff_names(&b.files, &a.files);
        out.push(ViewDifference {
            workload: key.0.clone(),
            container: key.1.clone(),
            variables_added,
            variables_removed,
            variables_changed,
            files_added,
            files_removed,
            files_changed,
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// outcomes
// ---------------------------------------------------------------------------------------------

/// Why a binding is not migrated: a rule-style code and an explanation (no Secret values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: &'static str,
    pub message: String,
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason { code, message: message.into() }
}

/// What became of one binding document.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    #[serde(skip)]
    pub doc: DocId,
    /// `namespace/name`.
    pub binding: String,
    pub api_version: String,
    pub file: String,
    pub line: usize,
    pub migrated: bool,
    /// Why it is not migrated (empty when migrated).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
    /// What a reviewer should know about a migration (a service named differently, a dropped
    /// field that never had an effect).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// For a candidate that failed the proof: the containers whose view would change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<ViewDifference>,
}

impl Outcome {
    /// Whether `code` is among the reasons.
    pub fn has_reason(&self, code: &str) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// The result of a migration run.
#[derive(Debug, Clone)]
pub struct Migration {
    /// Every input document (same indices as the input), migrated bindings replaced.
    pub documents: Vec<Value>,
    /// One per SBO or legacy binding document, in input order.
    pub outcomes: Vec<Outcome>,
}

impl Migration {
    pub fn migrated(&self) -> usize {
        self.outcomes.iter().filter(|o| o.migrated).count()
    }
    pub fn all_migrated(&self) -> bool {
        self.outcomes.iter().all(|o| o.migrated)
    }
}

// ---------------------------------------------------------------------------------------------
// candidates
// ---------------------------------------------------------------------------------------------

/// A proposed `servicebinding.io/v1` document and what a reviewer should know about it.
struct Candidate {
    value: Value,
    notes: Vec<String>,
    /// Reasons to report if the proof fails (why the views are expected to differ).
    expected_differences: Vec<Reason>,
}

/// The metadata a new resource keeps: everything but what the cluster or SBO wrote.
fn clean_metadata(value: &Value) -> Value {
    let mut meta = value.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
    for field in ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp"] {
        meta.remove(field);
    }
    if let Some(Value::Array(finalizers)) = meta.get_mut("finalizers") {
        finalizers.retain(|f| f.as_str() != Some("finalizer.servicebinding.openshift.io"));
        if finalizers.is_empty() {
            meta.remove("finalizers");
        }
    }
    if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
        // SBO's unbind request: it has no meaning for the spec API.
        annotations.remove("servicebinding.io/mapping");
        if annotations.is_empty() {
            meta.remove("annotations");
        }
    }
    Value::Object(meta)
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// The candidate for an SBO binding, or every reason it has none.
fn operator_candidate(lookup: &Lookup, doc: &Document, rob: &OperatorResolved) -> Result<Candidate, Vec<Reason>> {
    let b = &rob.binding;
    let spec = doc.value.get("spec").cloned().unwrap_or(Value::Null);
    let mut notes = Vec::new();
    let mut expected_differences = Vec::new();
    let (mut reasons, workload_selection, application_kind) = structure_reasons(b, &spec, lookup);
    let service = b.services.first();
    if let Some(s) = service.filter(|s| s.namespace != b.namespace) {
        reasons.push(reason(
            "ServiceInOtherNamespace",
            format!("the service is in namespace {:?}; a servicebinding.io binding reads its service from its own namespace", s.namespace),
        ));
    }

    // The binding data must be exactly one Secret of the binding's namespace, projected whole.
    let Some(data) = &rob.data else {
        reasons.push(reason("Unresolved", "the binding's data was not collected"));
        return Err(reasons);
    };
    let secret = data_reasons(b, data, &mut reasons);
    let mut entries: Vec<(String, String)> = Vec::new(); // (item name, Secret key)
    for item in &data.items {
        if let ItemSource::SecretKey { key, .. } = &item.source {
            entries.push((item.name.clone(), key.clone()));
        }
    }
    if let Some(name) = &secret {
        reasons.extend(secret_key_reasons(b, data, lookup, name, &entries));
    }
    if b.bind_as_files {
        let renamed: Vec<&str> = entries.iter().filter(|(n, k)| n != k).map(|(n, _)| n.as_str()).collect();
        if !renamed.is_empty() && !reasons.iter().any(|r| r.code == "NamingStrategy") {
            reasons.push(reason("NamingStrategy", format!("binding files are renamed from the Secret's keys: {}", renamed.join(", "))));
        }
    } else {
        expected_differences.push(reason(
            "EnvOnlyProjection",
            "bindAsFiles: false delivers variables only; a servicebinding.io binding always mounts the binding directory as well",
        ));
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let (Some(secret), Some(service), Some(kind), Some(selection)) = (secret, service, application_kind, workload_selection) else {
        return Err(vec![reason("Unresolved", "the binding's service or workload could not be determined")]);
    };
    let service_value = service_value(lookup, service, &secret, &mut notes);
    let value = migrated_binding(doc, &spec, b, service_value, kind, selection, &entries);
    Ok(Candidate { value, notes, expected_differences })
}

/// What the binding asks for that the spec API cannot express; the workload selection and the
/// application's kind when they can be.
fn structure_reasons(b: &OperatorBinding, spec: &Value, lookup: &Lookup) -> (Vec<Reason>, Option<Value>, Option<String>) {
    let mut reasons = Vec::new();
    if b.services.len() > 1 {
        reasons.push(reason(
            "MultipleServices",
            format!("{} services are merged into one binding; a servicebinding.io binding has exactly one service", b.services.len()),
        ));
    }
    if !b.mappings.is_empty() {
        let names: Vec<&str> = b.mappings.iter().map(|m| m.name.as_str()).collect();
        reasons.push(reason(
            "CustomMappings",
            format!("spec.mappings ({}) computes binding data that only a generated Secret could hold", names.join(", ")),
        ));
    }
    if b.detect_binding_resources {
        reasons.push(reason(
            "DetectBindingResources",
            "detectBindingResources collects data from resources the service owns; the spec API has no equivalent",
        ));
    }
    if spec.get("mountPath").is_some() {
        reasons.push(reason(
            "MountPath",
            "spec.mountPath has no servicebinding.io equivalent (SBO 1.0 and later ignore it; older SBO mounted the binding there)",
        ));
    }
    for legacy in ["namePrefix", "envVarPrefix"] {
        if spec.get(legacy).is_some() {
            reasons.push(reason("LegacyField", format!("spec.{legacy} has no servicebinding.io equivalent; decide what it should mean")));
        }
    }
    if b.application.containers_path.is_some() {
        reasons.push(reason(
            "ContainersPath",
            "application.bindingPath.containersPath adds a container path; a servicebinding.io binding needs a ClusterWorkloadResourceMapping for that",
        ));
    }
    if b.application.secret_path.is_some() {
        reasons.push(reason(
            "SecretPath",
            "application.bindingPath.secretPath writes the binding Secret's name into the workload; the spec API has no equivalent",
        ));
    }
    let selector_expressions =
        spec.pointer("/application/labelSelector/matchExpressions").and_then(Value::as_array).is_some_and(|e| !e.is_empty());
    if selector_expressions {
        reasons.push(reason(
            "SelectorExpressions",
            "SBO ignores labelSelector.matchExpressions, a servicebinding.io binding applies them: the selected workloads could differ",
        ));
    }
    let workload_selection = match (&b.application.name, &b.application.match_labels) {
        (Some(_), Some(_)) => {
            reasons.push(reason(
                "NameAndSelector",
                "application has both a name and a labelSelector (SBO binds both sets); a servicebinding.io workload takes exactly one",
            ));
            None
        }
        (None, None) => {
            reasons.push(reason(
                "NoApplication",
                "application has neither a name nor a labelSelector (SBO binds nothing); a servicebinding.io workload needs one",
            ));
            None
        }
        (Some(name), None) => Some(json!({"name": name})),
        (None, Some(labels)) => {
            Some(if labels.is_empty() { json!({"selector": {}}) } else { json!({"selector": {"matchLabels": labels}}) })
        }
    };
    let application_kind = lookup.kind_of(&b.application.type_ref);
    if application_kind.is_none() {
        reasons.push(reason(
            "UnknownKind",
            format!(
                "application names resource {:?}, whose kind is unknown offline; a servicebinding.io workload needs a kind",
                b.application.type_ref.resource
            ),
        ));
    }
    // In env mode naming is expressible (spec.env names); files are named after the keys.
    if b.bind_as_files && !matches!(b.naming_strategy.as_str(), "" | "none") {
        reasons.push(reason(
            "NamingStrategy",
            format!(
                "namingStrategy {:?} renames binding files; a servicebinding.io binding names them after the Secret's keys",
                b.naming_strategy
            ),
        ));
    }
    (reasons, workload_selection, application_kind)
}

/// Where the binding data comes from: the one Secret it must be (else the reasons why not).
fn data_reasons(b: &OperatorBinding, data: &Collected, reasons: &mut Vec<Reason>) -> Option<String> {
    let mut derived: Vec<String> = Vec::new();
    let mut secrets: BTreeSet<(String, String)> = BTreeSet::new();
    for item in &data.items {
        match &item.source {
            ItemSource::SecretKey { namespace, name, .. } => {
                secrets.insert((namespace.clone(), name.clone()));
            }
            ItemSource::ConfigMapKey { .. } => derived.push(format!("{} (a ConfigMap entry)", item.name)),
            ItemSource::Literal { .. } => derived.push(format!("{} (a field value or constant)", item.name)),
            ItemSource::Mapping { .. } => {} // reported as CustomMappings
        }
    }
    if !derived.is_empty() {
        reasons.push(reason(
            "GeneratedBindingData",
            format!(
                "binding data read through annotations, the operator registry or descriptors would need a generated Secret: {}",
                derived.join(", ")
            ),
        ));
    }
    if secrets.len() > 1 {
        let names: Vec<String> = secrets.iter().map(|(ns, n)| format!("{ns}/{n}")).collect();
        reasons.push(reason(
            "SeveralSecrets",
            format!("binding data comes from several Secrets ({}); a servicebinding.io binding projects exactly one", names.join(", ")),
        ));
    }
    match (secrets.len(), secrets.iter().next()) {
        (1, Some((ns, name))) if *ns != b.namespace => {
            reasons.push(reason(
                "SecretInOtherNamespace",
                format!("the binding Secret {name:?} is in namespace {ns:?}; a pod can only reference Secrets of its own namespace"),
            ));
            None
        }
        (1, Some((_, name))) => Some(name.clone()),
        _ => None,
    }
}

/// The Secret's keys — from the input, else (created at run time) the keys SBO would read —
/// must all be projected, and one must be `type`.
fn secret_key_reasons(b: &OperatorBinding, data: &Collected, lookup: &Lookup, name: &str, entries: &[(String, String)]) -> Vec<Reason> {
    let mut reasons = Vec::new();
    let in_input = lookup.find("", "Secret", &b.namespace, name, |d| d.api_version() == "v1");
    let keys: Option<BTreeSet<String>> = match in_input {
        Some(d) if d.value.get("sops").is_none() => crate::resolve::secret_keys(d).ok(),
        _ if data.reuse.as_deref() == Some(name) => Some(entries.iter().map(|(_, k)| k.clone()).collect()),
        _ => None,
    };
    match &keys {
        None => reasons.push(reason(
            "UnknownKeys",
            format!("the keys of Secret {name:?} are not known offline, so the projection cannot be compared"),
        )),
        Some(keys) => {
            let used: BTreeSet<&String> = entries.iter().map(|(_, k)| k).collect();
            let unused: Vec<&str> = keys.iter().filter(|k| !used.contains(k)).map(String::as_str).collect();
            if !unused.is_empty() {
                reasons.push(reason(
                    "PartialSecret",
                    format!(
                        "the binding uses only some keys of Secret {name:?}; a servicebinding.io binding projects all of them (also {})",
                        unused.join(", ")
                    ),
                ));
            }
            if !keys.contains("type") {
                reasons.push(reason(
                        "MissingType",
                        format!(
                            "Secret {name:?} has no `type` entry: the servicebinding.io API requires one in the projection (SBO's API does not), \
                             and setting spec.type would add a file"
                        ),
                    ));
            }
        }
    }
    reasons
}

/// The migrated binding's service: the provisioned service whose .status.binding.name is the
/// Secret, the Secret itself when it is the service, else (annotations read it) the Secret as a
/// direct reference.
fn service_value(lookup: &Lookup, service: &ServiceRef, secret: &str, notes: &mut Vec<String>) -> Value {
    let service_kind = lookup.kind_of(&service.type_ref);
    let is_direct = service.type_ref.group.is_empty() && service_kind.as_deref() == Some("Secret") && service.name == secret;
    let service_doc =
        service_kind.as_deref().and_then(|kind| lookup.find(&service.type_ref.group, kind, &service.namespace, &service.name, |_| true));
    let provisioned = service_doc.is_some_and(|d| d.value.pointer("/status/binding/name").and_then(Value::as_str) == Some(secret));
    if is_direct {
        json!({"apiVersion": "v1", "kind": "Secret", "name": secret})
    } else if provisioned {
        json!({"apiVersion": api_version(&service.type_ref.group, &service.type_ref.version), "kind": service_kind, "name": service.name})
    } else {
        notes.push(format!(
            "{} {} exposes Secret {secret:?} through binding annotations; the migrated binding names that Secret directly",
            service_kind.as_deref().unwrap_or(&service.type_ref.resource),
            service.name
        ));
        json!({"apiVersion": "v1", "kind": "Secret", "name": secret})
    }
}

/// The servicebinding.io/v1 ServiceBinding that replaces the SBO binding.
fn migrated_binding(
    doc: &Document,
    spec: &Value,
    b: &OperatorBinding,
    service: Value,
    kind: String,
    selection: Value,
    entries: &[(String, String)],
) -> Value {
    let mut new_spec = Map::new();
    if let Some(name) = spec.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) {
        new_spec.insert("name", json!(name));
    }
    new_spec.insert("service", service);
    let mut workload = Map::new();
    workload.insert("apiVersion", json!(api_version(&b.application.type_ref.group, &b.application.type_ref.version)));
    workload.insert("kind", json!(kind));
    if let Value::Object(sel) = selection {
        workload.extend(sel);
    }
    new_spec.insert("workload", Value::Object(workload));
    if !b.bind_as_files {
        let env: Vec<Value> = entries.iter().map(|(name, key)| json!({"name": name, "key": key})).collect();
        new_spec.insert("env", Value::Array(env));
    }
    json!({
        "apiVersion": TARGET_API_VERSION,
        "kind": "ServiceBinding",
        "metadata": clean_metadata(&doc.value),
        "spec": Value::Object(new_spec),
    })
}

/// The candidate for a legacy `service.binding/v1alpha2` binding: bindery already reads it with
/// the reference runtime's semantics, so `spec.application` becomes `spec.workload`.
fn legacy_candidate(doc: &Document) -> Result<Candidate, Vec<Reason>> {
    let mut notes = Vec::new();
    let Some(spec) = doc.value.get("spec").and_then(Value::as_object) else {
        return Err(vec![reason("Unresolved", "the binding has no spec")]);
    };
    let mut new_spec = Map::new();
    for (k, v) in spec {
        match k.as_str() {
            "application" => {
                new_spec.insert("workload", v.clone());
            }
            "mappings" => notes.push("spec.mappings (spec 1.0.0-rc2) was never implemented by SBO or bindery; it is dropped".to_string()),
            _ => {
                new_spec.insert(k.clone(), v.clone());
            }
        }
    }
    let value = json!({
        "apiVersion": TARGET_API_VERSION,
        "kind": "ServiceBinding",
        "metadata": clean_metadata(&doc.value),
        "spec": Value::Object(new_spec),
    });
    Ok(Candidate { value, notes, expected_differences: Vec::new() })
}

// ---------------------------------------------------------------------------------------------
// the run
// ---------------------------------------------------------------------------------------------

/// Render `loaded` with some documents replaced.
pub fn render_with(loaded: &Loaded, replaced: &BTreeMap<DocId, Value>, opts: &Options) -> Rendered {
    let documents = loaded
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut d = d.clone();
            if let Some(v) = replaced.get(&i) {
                d.value = v.clone();
            }
            d
        })
        .collect();
    crate::render(Loaded { files: loaded.files.clone(), documents }, opts)
}

/// Whether `rendered` has the same container view as the original; `Err` says why not.
fn prove(rendered: &Rendered, original: &ContainerViews, default_ns: &str) -> Result<(), ProofFailure> {
    if rendered.output.is_none() {
        let errors: Vec<String> =
            rendered.problems().iter().filter(|p| p.is_error()).map(|p| format!("{}: {}", p.rule, p.message)).collect();
        return Err(ProofFailure::DoesNotRender(errors));
    }
    let differences = compare(original, &container_views(rendered, default_ns));
    if differences.is_empty() {
        Ok(())
    } else {
        Err(ProofFailure::ViewDiffers(differences))
    }
}

enum ProofFailure {
    DoesNotRender(Vec<String>),
    ViewDiffers(Vec<ViewDifference>),
}

/// The input renders with errors: nothing can be proven.
pub struct Unrenderable(pub Box<Rendered>);

/// Migrate every SBO and legacy binding of `loaded` whose candidate passes the proof.
///
/// All candidates are first proven together; when that fails, one at a time (each on top of the
/// ones already accepted), so every accepted set keeps the original container view.
pub fn migrate(loaded: Loaded, opts: &Options) -> Result<Migration, Unrenderable> {
    migrate_with_progress(loaded, opts, &|_, _| {})
}

/// [`migrate`], calling `progress(done, total)` as groups of candidates are proven one at a
/// time (see `groups.rs`).
pub fn migrate_with_progress(loaded: Loaded, opts: &Options, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Migration, Unrenderable> {
    let default_ns = opts.default_namespace.as_str();
    let original = crate::render(loaded, opts);
    if original.output.is_none() {
        return Err(Unrenderable(Box::new(original)));
    }
    let original_view = container_views(&original, default_ns);
    let loaded = &original.loaded;
    let (mut outcomes, candidates) = candidates(&original, default_ns);

    let all: BTreeMap<DocId, Value> = candidates.iter().map(|(id, c)| (*id, c.value.clone())).collect();
    let all_render = (!all.is_empty()).then(|| render_with(loaded, &all, opts));
    let accepted = match &all_render {
        Some(r) if prove(r, &original_view, default_ns).is_ok() => all,
        _ => {
            let grouped = all_render.as_ref().and_then(|r| grouped_proof(&original, r, &candidates, &original_view, opts, progress));
            drop(all_render);
            let (accepted, failures) = grouped.unwrap_or_else(|| one_at_a_time(loaded, &candidates, &original_view, opts));
            for (id, failure) in failures {
                // Outcomes are in document order.
                let at = outcomes.binary_search_by_key(&id, |o| o.doc).expect("every candidate has an outcome");
                record_failure(&mut outcomes[at], &candidates[&id], failure);
            }
            accepted
        }
    };
    for o in &mut outcomes {
        if accepted.contains_key(&o.doc) {
            o.migrated = true;
            o.notes = candidates.get(&o.doc).map(|c| c.notes.clone()).unwrap_or_default();
        }
    }
    let documents =
        loaded.documents.iter().enumerate().map(|(i, d)| accepted.get(&i).cloned().unwrap_or_else(|| d.value.clone())).collect();
    Ok(Migration { documents, outcomes })
}

/// One outcome per SBO or legacy binding, and the candidates of those that have one.
fn candidates(original: &Rendered, default_ns: &str) -> (Vec<Outcome>, BTreeMap<DocId, Candidate>) {
    let loaded = &original.loaded;
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut candidates: BTreeMap<DocId, Candidate> = BTreeMap::new();
    // servicebinding.io ServiceBindings by namespace/name: a migrated binding must not take a
    // name one already has (the API server would refuse the second).
    let mut taken: BTreeSet<String> = loaded
        .documents
        .iter()
        .filter(|d| classify(d) == Some(BindingDocKind::ServiceBinding(BindingApi::ServiceBindingIo)))
        .map(|d| format!("{}/{}", d.namespace(default_ns), d.name()))
        .collect();
    let operator_bindings: BTreeMap<DocId, &OperatorResolved> =
        original.resolution.bindings.iter().filter_map(|rb| Some((rb.doc, rb.operator()?))).collect();
    let lookup = Lookup::build(&loaded.documents, default_ns);
    for (id, doc) in loaded.documents.iter().enumerate() {
        let title = format!("{}/{}", doc.namespace(default_ns), doc.name());
        let candidate = match classify(doc) {
            Some(BindingDocKind::OperatorServiceBinding) => match operator_bindings.get(&id) {
                Some(rob) => operator_candidate(&lookup, doc, rob),
                None => Err(vec![reason("Unresolved", "the binding was not resolved")]),
            },
            Some(BindingDocKind::ServiceBinding(BindingApi::LegacyV1alpha2)) => legacy_candidate(doc),
            _ => continue,
        };
        let candidate = match candidate {
            Ok(_) if taken.contains(&title) => Err(vec![reason(
                "NameTaken",
                format!("a servicebinding.io ServiceBinding named {title} already exists; rename one of them first"),
            )]),
            other => other,
        };
        if candidate.is_ok() {
            taken.insert(title.clone());
        }
        let mut outcome = Outcome {
            doc: id,
            binding: title,
            api_version: doc.api_version().to_string(),
            file: report_path(&doc.file.path),
            line: doc.line,
            migrated: false,
            reasons: Vec::new(),
            notes: Vec::new(),
            differences: Vec::new(),
        };
        match candidate {
            Ok(c) => {
                candidates.insert(id, c);
            }
            Err(reasons) => outcome.reasons = reasons,
        }
        outcomes.push(outcome);
    }
    (outcomes, candidates)
}

/// What the accepted candidates are, and why each other one failed its proof.
type Proven = (BTreeMap<DocId, Value>, Vec<(DocId, ProofFailure)>);

/// Each candidate in document order, on top of the ones accepted before it, over the whole input.
fn one_at_a_time(loaded: &Loaded, candidates: &BTreeMap<DocId, Candidate>, original_view: &ContainerViews, opts: &Options) -> Proven {
    let mut accepted: BTreeMap<DocId, Value> = BTreeMap::new();
    let mut failures = Vec::new();
    for (id, c) in candidates {
        let mut trial = accepted.clone();
        trial.insert(*id, c.value.clone());
        match prove(&render_with(loaded, &trial, opts), original_view, &opts.default_namespace) {
            Ok(()) => accepted = trial,
            Err(failure) => failures.push((*id, failure)),
        }
    }
    (accepted, failures)
}

/// [`one_at_a_time`] group by group (groups in parallel), each over its own input: the same
/// result, since a candidate changes only what its group's containers see. `None` when the
/// grouping does not hold up (see `groups.rs`).
fn grouped_proof(
    original: &Rendered,
    all: &Rendered,
    candidates: &BTreeMap<DocId, Candidate>,
    original_view: &ContainerViews,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Option<Proven> {
    use rayon::prelude::*;
    let loaded = &original.loaded;
    let default_ns = opts.default_namespace.as_str();
    let ids: Vec<DocId> = candidates.keys().copied().collect();
    let groups = groups::groups(loaded, &[original, all], &ids, default_ns)?;
    let progress = groups::Progress { done: Default::default(), total: groups.len(), report: progress };
    let proven: Vec<Option<Proven>> = groups
        .par_iter()
        .map(|group| {
            let view = groups::restricted(original_view, loaded, group, default_ns);
            if !groups::faithful(loaded, group, &view, opts) {
                return None;
            }
            let mut accepted: BTreeMap<DocId, Value> = BTreeMap::new();
            let mut failures = Vec::new();
            for id in &group.candidates {
                let mut trial = accepted.clone();
                trial.insert(*id, candidates[id].value.clone());
                match prove(&groups::render_group(loaded, group, &trial, opts), &view, default_ns) {
                    Ok(()) => accepted = trial,
                    Err(failure) => failures.push((*id, failure)),
                }
            }
            progress.tick();
            Some((accepted, failures))
        })
        .collect();
    let mut accepted = BTreeMap::new();
    let mut failures = Vec::new();
    for p in proven {
        let (a, f) = p?;
        accepted.extend(a);
        failures.extend(f);
    }
    failures.sort_by_key(|(id, _)| *id);
    // The accepted set as a whole keeps the original view (else the grouping was wrong).
    prove(&render_with(loaded, &accepted, opts), original_view, default_ns).ok()?;
    Some((accepted, failures))
}

/// Why a candidate is not migrated, after its proof failed.
fn record_failure(outcome: &mut Outcome, c: &Candidate, failure: ProofFailure) {
    outcome.reasons.extend(c.expected_differences.iter().cloned());
    match failure {
        ProofFailure::DoesNotRender(errors) => {
            outcome.reasons.push(reason("MigratedRenderFails", format!("the migrated binding does not resolve: {}", errors.join("; "))));
        }
        ProofFailure::ViewDiffers(differences) => {
            let text: Vec<String> = differences.iter().map(ViewDifference::describe).collect();
            outcome.reasons.push(reason("ViewDiffers", format!("containers would see something else: {}", text.join(" | "))));
            outcome.differences = differences;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// reports
// ---------------------------------------------------------------------------------------------

/// The report for a terminal: one block per binding, then a summary line.
pub fn to_text(m: &Migration) -> String {
    let mut out = String::new();
    // One line at a time, its control characters escaped (names come from the input).
    let mut line = |text: String| {
        out.push_str(&crate::write::escape::controls(&text));
        out.push('\n');
    };
    for o in &m.outcomes {
        if o.migrated {
            line(format!("migrated      ServiceBinding {} ({}:{}): {} → {TARGET_API_VERSION}", o.binding, o.file, o.line, o.api_version));
            for n in &o.notes {
                line(format!("  note: {n}"));
            }
        } else {
            line(format!("not migrated  ServiceBinding {} ({}:{}), {}", o.binding, o.file, o.line, o.api_version));
            for r in &o.reasons {
                line(format!("  {}: {}", r.code, r.message));
            }
        }
    }
    if m.outcomes.is_empty() {
        line("no Service Binding Operator bindings to migrate".to_string());
    } else {
        line(format!("{} of {} binding(s) migrated", m.migrated(), m.outcomes.len()));
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    schema_version: u32,
    target_api_version: &'static str,
    migrated: usize,
    not_migrated: usize,
    bindings: &'a [Outcome],
}

/// The report as JSON (schema in the README).
pub fn to_json(m: &Migration) -> String {
    let report = JsonReport {
        schema_version: SCHEMA_VERSION,
        target_api_version: TARGET_API_VERSION,
        migrated: m.migrated(),
        not_migrated: m.outcomes.len() - m.migrated(),
        bindings: &m.outcomes,
    };
    crate::write::json_text(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(env: &[(&str, &str)], files: &[(&str, &str)]) -> ContainerContents {
        let map = |l: &[(&str, &str)]| l.iter().map(|(k, v)| (k.to_string(), Content::Bytes(v.as_bytes().to_vec()))).collect();
        ContainerContents { env: map(env), files: map(files) }
    }

    #[test]
    fn differences_name_variables_and_files_never_values() {
        let key = ("Deployment default/app".to_string(), "web".to_string());
        let before = ContainerViews { containers: [(key.clone(), contents(&[("A", "1")], &[("/b/db/password", "hunter2")]))].into() };
        let after = ContainerViews { containers: [(key, contents(&[("B", "1")], &[("/b/db/password", "other")]))].into() };
        let d = compare(&before, &after);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].variables_added, ["B"]);
        assert_eq!(d[0].variables_removed, ["A"]);
        assert_eq!(d[0].files_changed, ["/b/db/password"]);
        let text = d[0].describe();
        assert!(!text.contains("hunter2") && !text.contains("other"), "{text}");
        assert!(!format!("{before:?}").contains("hunter2"));
        assert!(compare(&before, &before).is_empty());
    }
}
