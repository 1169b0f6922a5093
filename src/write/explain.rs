//! `explain`: the container view — for every bound workload and container, each binding, the
//! files under `$SERVICE_BINDING_ROOT` and the injected variables, each with where its content
//! comes from. Built from what projection recorded ([`BoundContainer`]), never re-derived.
//!
//! Values are masked unless asked for: [`Reveal::NonSecret`] shows values that are not secret
//! (binding overrides, ConfigMap entries, literals); only [`Reveal::All`] reads Secret values.

use crate::doc::value::Value;
use serde::Serialize;

use crate::doc::document::DocId;
use crate::model::bound::{BoundContainer, ValueSource};
use crate::resolve::Resolved;
use crate::write::redact::MASK;
use crate::write::secret_values::secret_entry;
use crate::write::{report_path, ResourceName, SCHEMA_VERSION};
use crate::Rendered;

/// Which values a view contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reveal {
    /// None: every value is masked.
    Nothing,
    /// Values that are not secret (`--show-values`).
    NonSecret,
    /// Secret values too (`--show-secrets`).
    All,
}

/// One file or variable, its source, and its value when revealed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub source: ValueSource,
    /// The content; `None` when masked (or when the source could not be read).
    pub value: Option<Vec<u8>>,
}

impl Entry {
    /// Does the content come from a Secret?
    pub fn is_secret(&self) -> bool {
        matches!(self.source, ValueSource::SecretKey { .. })
    }

    /// The value for a terminal: masked, a quoted string, or a size for binary content.
    pub fn shown(&self) -> String {
        match &self.value {
            None => MASK.to_string(),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => serde_json::to_string(s).expect("strings serialize"),
                Err(_) => format!("<{} bytes of binary data>", bytes.len()),
            },
        }
    }
}

/// Where a value comes from, in words.
pub fn describe_source(source: &ValueSource) -> String {
    match source {
        ValueSource::SecretKey { secret, key } => format!("Secret {secret}, key {key}"),
        ValueSource::ConfigMapKey { configmap, key } => format!("ConfigMap {configmap}, key {key}"),
        ValueSource::Override { field, annotation, .. } => {
            format!("the binding's {field}, through pod annotation {annotation}")
        }
        ValueSource::Literal { .. } => "a literal value in the workload".to_string(),
    }
}

/// What one binding gives one container.
#[derive(Debug, Clone)]
pub struct BindingView {
    /// `namespace/name` of the ServiceBinding.
    pub binding: String,
    pub file: String,
    pub line: usize,
    /// Where the binding directory is mounted (`$SERVICE_BINDING_ROOT/<name>`).
    pub mount_path: String,
    /// The files in it, sorted by name (none when the binding delivers variables only).
    pub files: Vec<Entry>,
    /// The variables it injects.
    pub env: Vec<Entry>,
    /// When the Secret it projects is not readable in the input: who creates it at run time
    /// (or that it is encrypted).
    pub secret_source: Option<String>,
}

impl BindingView {
    /// The binding's directory name under the root.
    pub fn directory(&self) -> &str {
        self.mount_path.rsplit('/').next().unwrap_or(&self.mount_path)
    }

    /// `$SERVICE_BINDING_ROOT` of the container, as the mount path implies it.
    pub fn root(&self) -> &str {
        match self.mount_path.rsplit_once('/') {
            Some(("", _)) => "/",
            Some((root, _)) => root,
            None => "",
        }
    }
}

/// Everything bindings give one container.
#[derive(Debug, Clone)]
pub struct ContainerView {
    /// The container's name (empty when the workload's mapping gives none).
    pub name: String,
    pub bindings: Vec<BindingView>,
}

impl ContainerView {
    /// `$SERVICE_BINDING_ROOT` (the root of the first binding with files).
    pub fn binding_root(&self) -> Option<&str> {
        self.bindings.iter().find(|b| !b.files.is_empty()).map(BindingView::root)
    }
}

/// One bound workload.
#[derive(Debug, Clone)]
pub struct WorkloadView {
    pub doc: DocId,
    pub resource: ResourceName,
    pub file: String,
    pub line: usize,
    pub containers: Vec<ContainerView>,
}

/// A binding that reaches no container, and why.
#[derive(Debug, Clone)]
pub struct IdleBinding {
    pub binding: String,
    pub file: String,
    pub line: usize,
    pub reason: &'static str,
}

/// The container view of a whole run.
#[derive(Debug, Clone)]
pub struct ExplainReport {
    pub workloads: Vec<WorkloadView>,
    pub idle: Vec<IdleBinding>,
}

/// The binding behind a [`BoundContainer`]: `namespace/name`, its namespace and its document.
struct BindingRef {
    title: String,
    namespace: String,
    doc: DocId,
    secret_source: Option<String>,
}

/// The binding behind record `index`: its title, namespace and document, and who creates a
/// binding Secret that is not readable offline.
fn binding_ref(rendered: &Rendered, index: usize) -> BindingRef {
    let rb = &rendered.resolution.bindings[index];
    let docs = &rendered.loaded.documents;
    let secret_source = match &rb.resolved {
        Resolved::Spec(spec) if spec.collected.is_some() => unreadable_items(spec.collected.iter().map(|c| &c.data)),
        Resolved::Spec(spec) => spec.secret.as_ref().filter(|s| !s.source.has_values()).map(|s| match &s.source {
            crate::index::runtime_secrets::SecretSource::Sops { .. } => {
                format!("Secret {} is SOPS-encrypted (values never decrypted)", s.name)
            }
            other => format!("Secret {} is created at run time by {}", s.name, other.creator(docs)),
        }),
        Resolved::Operator(operator) => unreadable_items(operator.data.iter()),
    };
    BindingRef { title: rb.title(), namespace: rb.namespace().to_string(), doc: rb.doc, secret_source }
}

/// Who creates the Secrets of collected binding data that are not readable offline.
fn unreadable_items<'a>(data: impl Iterator<Item = &'a crate::bindings::sbo::collect::Collected>) -> Option<String> {
    let mut creators: Vec<String> = Vec::new();
    for item in data.flat_map(|d| &d.items) {
        if let (Some(c), crate::bindings::sbo::collect::ItemSource::SecretKey { name, .. }) = (&item.runtime, &item.source) {
            let line = format!("Secret {name}: {c}");
            if !creators.contains(&line) {
                creators.push(line);
            }
        }
    }
    (!creators.is_empty()).then(|| format!("not readable offline: {}", creators.join("; ")))
}

/// Secrets and ConfigMaps by (kind, namespace, name): the first of each in input order, then
/// generated ones (as resolution picks them). Built once per report: a scan of every document
/// per value made a report quadratic in the input.
struct Resources<'a>(std::collections::HashMap<(&'a str, &'a str, &'a str), &'a Value>);

impl<'a> Resources<'a> {
    fn new(rendered: &'a Rendered, default_ns: &'a str) -> Self {
        let mut map = std::collections::HashMap::new();
        let values = rendered.loaded.documents.iter().map(|d| &d.value).chain(rendered.resolution.generated.iter().map(|(_, v)| v));
        for v in values {
            let Some(kind) = v.get("kind").and_then(Value::as_str).filter(|k| matches!(*k, "Secret" | "ConfigMap")) else { continue };
            let Some(name) = v.pointer("/metadata/name").and_then(Value::as_str) else { continue };
            let namespace = v.pointer("/metadata/namespace").and_then(Value::as_str).filter(|n| !n.is_empty()).unwrap_or(default_ns);
            map.entry((kind, namespace, name)).or_insert(v);
        }
        Resources(map)
    }
}

/// The first document of `kind` named `name` in `namespace`.
fn find_resource<'a>(resources: &Resources<'a>, kind: &str, namespace: &str, name: &str) -> Option<&'a Value> {
    resources.0.get(&(kind, namespace, name)).copied()
}

/// The content of a source, when `reveal` allows it.
fn read_value(resources: &Resources<'_>, source: &ValueSource, namespace: &str, reveal: Reveal) -> Option<Vec<u8>> {
    match source {
        ValueSource::SecretKey { secret, key } if reveal == Reveal::All => {
            // A SOPS-encrypted Secret's values are ciphertext: never shown as values.
            find_resource(resources, "Secret", namespace, secret)
                .filter(|s| s.get("sops").is_none())
                .and_then(|s| secret_entry(s, key))
        }
        ValueSource::SecretKey { .. } => None,
        _ if reveal == Reveal::Nothing => None,
        ValueSource::Override { value, .. } | ValueSource::Literal { value } => Some(value.clone().into_bytes()),
        ValueSource::ConfigMapKey { configmap, key } => {
            let cm = find_resource(resources, "ConfigMap", namespace, configmap)?;
            if let Some(v) = cm.get("data").and_then(|d| d.get(key)).and_then(Value::as_str) {
                return Some(v.as_bytes().to_vec());
            }
            let encoded = cm.get("binaryData")?.get(key)?.as_str()?;
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(encoded).ok()
        }
    }
}

/// The container view of a rendered run (empty when rendering failed).
pub fn build(rendered: &Rendered, default_ns: &str, reveal: Reveal) -> ExplainReport {
    let docs = &rendered.loaded.documents;
    let records = rendered.bound.iter().map(|bc| (bc, binding_ref(rendered, bc.binding)));
    let resources = Resources::new(rendered, default_ns);
    let mut workloads: Vec<WorkloadView> = Vec::new();
    // Where each workload's view is in `workloads` (a scan per record was quadratic too).
    let mut view_of: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (bc, b) in records {
        let BoundContainer { workload, container, mount_path, files, env, .. } = bc;
        let entries = |list: &[(String, ValueSource)]| -> Vec<Entry> {
            list.iter()
                .map(|(name, source)| Entry {
                    name: name.clone(),
                    source: source.clone(),
                    value: read_value(&resources, source, &b.namespace, reveal),
                })
                .collect()
        };
        let doc = &docs[b.doc];
        let view = BindingView {
            binding: b.title.clone(),
            file: report_path(&doc.file.path),
            line: doc.line,
            mount_path: mount_path.clone(),
            files: entries(files),
            env: entries(env),
            secret_source: b.secret_source.clone(),
        };
        let w = match view_of.get(workload) {
            Some(&i) => &mut workloads[i],
            None => {
                view_of.insert(*workload, workloads.len());
                let d = &docs[*workload];
                workloads.push(WorkloadView {
                    doc: *workload,
                    resource: ResourceName::of(&d.value, default_ns),
                    file: report_path(&d.file.path),
                    line: d.line,
                    containers: Vec::new(),
                });
                workloads.last_mut().expect("just pushed")
            }
        };
        let c = match w.containers.iter().position(|c| c.name == *container) {
            Some(i) => &mut w.containers[i],
            None => {
                w.containers.push(ContainerView { name: container.clone(), bindings: Vec::new() });
                w.containers.last_mut().expect("just pushed")
            }
        };
        c.bindings.push(view);
    }
    workloads.sort_by_key(|w| w.doc);

    let mut idle = Vec::new();
    if rendered.output.is_some() {
        let mut reached = vec![false; rendered.resolution.bindings.len()];
        for bc in &rendered.bound {
            reached[bc.binding] = true;
        }
        // servicebinding.io bindings first, then SBO's, each in document order.
        let mut order: Vec<usize> = (0..reached.len()).collect();
        order.sort_by_key(|&i| rendered.resolution.bindings[i].is_operator());
        for i in order {
            let rb = &rendered.resolution.bindings[i];
            if !reached[i] {
                let doc = &docs[rb.doc];
                let reason = match &rb.resolved {
                    Resolved::Spec(_) if rb.workloads.is_empty() => "no workload matches it",
                    Resolved::Spec(_) => "its container filter matches no container of the workloads it selects",
                    Resolved::Operator(_) => "it reaches no container of the workloads it selects",
                };
                idle.push(IdleBinding { binding: rb.title(), file: report_path(&doc.file.path), line: doc.line, reason });
            }
        }
    }
    ExplainReport { workloads, idle }
}

// ---------------------------------------------------------------------------------------------
// text
// ---------------------------------------------------------------------------------------------

/// Names padded to one column (capped, so one long name does not push everything right).
fn aligned(items: &[(String, String)]) -> Vec<String> {
    let width = items.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0).min(48);
    items
        .iter()
        .map(|(left, right)| {
            let pad = width.saturating_sub(left.chars().count());
            format!("{left}{}  ← {right}", " ".repeat(pad))
        })
        .collect()
}

/// The view as an indented tree, one workload after the other.
pub fn to_text(report: &ExplainReport) -> String {
    let mut out = String::new();
    if report.workloads.is_empty() {
        out.push_str("No binding reaches any container.\n");
    }
    for w in &report.workloads {
        out.push_str(&format!("{}  ({}:{})\n", w.resource.title(), w.file, w.line));
        for c in &w.containers {
            let name = if c.name.is_empty() { "(unnamed)" } else { c.name.as_str() };
            out.push_str(&format!("  container {name}\n"));
            if let Some(root) = c.binding_root() {
                out.push_str(&format!("    {root}  ($SERVICE_BINDING_ROOT)\n"));
                let with_files: Vec<&BindingView> = c.bindings.iter().filter(|b| !b.files.is_empty()).collect();
                for (i, b) in with_files.iter().enumerate() {
                    let last_dir = i + 1 == with_files.len();
                    let (branch, indent) = if last_dir { ("└── ", "    ") } else { ("├── ", "│   ") };
                    let dir = if b.root() == root { format!("{}/", b.directory()) } else { format!("{}/", b.mount_path) };
                    out.push_str(&format!("    {branch}{dir}  ← ServiceBinding {} ({}:{})\n", b.binding, b.file, b.line));
                    if let Some(source) = &b.secret_source {
                        out.push_str(&format!("    {indent}    ({source})\n"));
                    }
                    let rows: Vec<(String, String)> =
                        b.files.iter().map(|e| (format!("{} = {}", e.name, e.shown()), describe_source(&e.source))).collect();
                    for (j, row) in aligned(&rows).into_iter().enumerate() {
                        let leaf = if j + 1 == rows.len() { "└── " } else { "├── " };
                        out.push_str(&format!("    {indent}{leaf}{row}\n"));
                    }
                }
            }
            let mut rows: Vec<(String, String)> = Vec::new();
            if let Some(root) = c.binding_root() {
                rows.push((
                    format!("SERVICE_BINDING_ROOT = {}", serde_json::to_string(root).expect("strings serialize")),
                    "the binding root (added when the container does not set it)".to_string(),
                ));
            }
            for b in &c.bindings {
                for e in &b.env {
                    rows.push((
                        format!("{} = {}", e.name, e.shown()),
                        format!("{} (ServiceBinding {})", describe_source(&e.source), b.binding),
                    ));
                }
            }
            if !rows.is_empty() {
                out.push_str("    environment\n");
                for row in aligned(&rows) {
                    out.push_str(&format!("      {row}\n"));
                }
            }
        }
        out.push('\n');
    }
    for b in &report.idle {
        out.push_str(&format!("ServiceBinding {} ({}:{}) binds no container: {}\n", b.binding, b.file, b.line, b.reason));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// json
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExplain<'a> {
    schema_version: u32,
    workloads: Vec<JsonWorkload<'a>>,
    idle_bindings: Vec<JsonIdle<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonWorkload<'a> {
    #[serde(flatten)]
    resource: &'a ResourceName,
    file: &'a str,
    line: usize,
    containers: Vec<JsonContainer<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonContainer<'a> {
    name: &'a str,
    binding_root: Option<&'a str>,
    bindings: Vec<JsonBinding<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonBinding<'a> {
    binding: &'a str,
    file: &'a str,
    line: usize,
    mount_path: &'a str,
    files: Vec<JsonEntry<'a>>,
    env: Vec<JsonEntry<'a>>,
    /// Who creates the Secret at run time (absent when it is in the input).
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_source: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonEntry<'a> {
    name: &'a str,
    source: JsonSource<'a>,
    /// Present only when revealed; UTF-8 text, or base64 for binary content.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value_base64: Option<String>,
    masked: bool,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum JsonSource<'a> {
    Secret { name: &'a str, key: &'a str },
    ConfigMap { name: &'a str, key: &'a str },
    Override { field: &'a str, annotation: &'a str },
    Literal,
}

#[derive(Serialize)]
struct JsonIdle<'a> {
    binding: &'a str,
    file: &'a str,
    line: usize,
    reason: &'a str,
}

fn json_entry(e: &Entry) -> JsonEntry<'_> {
    let source = match &e.source {
        ValueSource::SecretKey { secret, key } => JsonSource::Secret { name: secret, key },
        ValueSource::ConfigMapKey { configmap, key } => JsonSource::ConfigMap { name: configmap, key },
        ValueSource::Override { field, annotation, .. } => JsonSource::Override { field, annotation },
        ValueSource::Literal { .. } => JsonSource::Literal,
    };
    let (value, value_base64) = match &e.value {
        None => (None, None),
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(s) => (Some(s.to_string()), None),
            Err(_) => {
                use base64::Engine;
                (None, Some(base64::engine::general_purpose::STANDARD.encode(bytes)))
            }
        },
    };
    JsonEntry { name: &e.name, source, value, value_base64, masked: e.value.is_none() }
}

/// The machine form of the view (schema in the README, "Reports").
pub fn to_json(report: &ExplainReport) -> String {
    let doc = JsonExplain {
        schema_version: SCHEMA_VERSION,
        workloads: report
            .workloads
            .iter()
            .map(|w| JsonWorkload {
                resource: &w.resource,
                file: &w.file,
                line: w.line,
                containers: w
                    .containers
                    .iter()
                    .map(|c| JsonContainer {
                        name: &c.name,
                        binding_root: c.binding_root(),
                        bindings: c
                            .bindings
                            .iter()
                            .map(|b| JsonBinding {
                                binding: &b.binding,
                                file: &b.file,
                                line: b.line,
                                mount_path: &b.mount_path,
                                files: b.files.iter().map(json_entry).collect(),
                                env: b.env.iter().map(json_entry).collect(),
                                secret_source: b.secret_source.as_deref(),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        idle_bindings: report
            .idle
            .iter()
            .map(|b| JsonIdle { binding: &b.binding, file: &b.file, line: b.line, reason: b.reason })
            .collect(),
    };
    super::json_text(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: db}
data: {host: ZGIuaW50ZXJuYWw=, password: aHVudGVyMi1QYTU1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: web, image: app:1}, {name: sidecar, image: s:1}]}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: db}
spec:
  type: example-db
  service: {apiVersion: v1, kind: Secret, name: db}
  workload: {apiVersion: apps/v1, kind: Deployment, name: app, containers: [web]}
  env: [{name: DB_PASSWORD, key: password}, {name: DB_TYPE, key: type}]
"#;

    fn view(reveal: Reveal) -> ExplainReport {
        let (file, documents) = crate::load::parse_file("app.yaml".into(), "app.yaml".into(), INPUT.into()).unwrap();
        let loaded = crate::load::Loaded { files: vec![file], documents };
        let rendered = crate::render(loaded, &crate::resolve::Options::default());
        assert!(rendered.problems().is_empty(), "{:?}", rendered.problems());
        build(&rendered, "default", reveal)
    }

    fn values(report: &ExplainReport) -> Vec<(String, String)> {
        let b = &report.workloads[0].containers[0].bindings[0];
        b.files.iter().chain(&b.env).map(|e| (e.name.clone(), e.shown())).collect()
    }

    #[test]
    fn the_view_names_each_container_binding_file_and_variable() {
        let report = view(Reveal::Nothing);
        assert_eq!(report.workloads.len(), 1);
        let w = &report.workloads[0];
        assert_eq!(w.resource.title(), "Deployment default/app");
        assert_eq!(w.containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["web"]);
        let b = &w.containers[0].bindings[0];
        assert_eq!((b.binding.as_str(), b.mount_path.as_str(), b.directory(), b.root()), ("default/db", "/bindings/db", "db", "/bindings"));
        assert_eq!(b.files.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["host", "password", "type"]);
        assert!(matches!(&b.env[0].source, ValueSource::SecretKey { secret, key } if secret == "db" && key == "password"));
        assert!(values(&report).iter().all(|(_, v)| v == MASK));
        let text = to_text(&report);
        assert!(text.contains("└── db/  ← ServiceBinding default/db (app.yaml:12)"), "{text}");
        assert!(text.contains("DB_PASSWORD = ***"), "{text}");
    }

    #[test]
    fn values_are_revealed_by_level() {
        let shown = |reveal| values(&view(reveal)).into_iter().collect::<std::collections::BTreeMap<_, _>>();
        let non_secret = shown(Reveal::NonSecret);
        assert_eq!(non_secret["type"], "\"example-db\"");
        assert_eq!(non_secret["DB_TYPE"], "\"example-db\"");
        assert_eq!(non_secret["password"], MASK);
        let all = shown(Reveal::All);
        assert_eq!(all["password"], "\"hunter2-Pa55\"");
        assert_eq!(all["host"], "\"db.internal\"");
        let json = to_json(&view(Reveal::NonSecret));
        assert!(!json.contains("hunter2") && !json.contains("aHVudGVy"), "{json}");
    }

    #[test]
    fn binary_values_are_described_not_printed() {
        let e = Entry {
            name: "cert".into(),
            source: ValueSource::SecretKey { secret: "s".into(), key: "cert".into() },
            value: Some(vec![0xff, 0xfe, 0x00]),
        };
        assert_eq!(e.shown(), "<3 bytes of binary data>");
        assert_eq!(json_entry(&e).value_base64.as_deref(), Some("//4A"));
    }
}
