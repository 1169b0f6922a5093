//! One host run over a list of documents: each document's role (a resource to render, a
//! local-config binding the resolver reads, or something passed through untouched), the one
//! render, the output set in input order, where kpt should write created documents, and the
//! messages a host prints about problems.
//!
//! Items are sorted into three roles. *Pass-through* items (anything without `apiVersion` and
//! `kind`, `kind: List`, bindery's own configuration, a Kptfile or kustomization, and every
//! `config.kubernetes.io/local-config: "true"` item) come out byte-for-byte as they went in and
//! are not seen by the resolver. A local-config *binding* (a ServiceBinding or
//! ClusterWorkloadResourceMapping marked local-config) is read by the resolver but also comes
//! out untouched: that is how a kpt package keeps its ServiceBindings without ever applying them.
//! Everything else is a *resource*: rendered, and ServiceBindings are consumed unless
//! `keepBindings` is set (as with `bindery render`).

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::bindings::classify;
use crate::doc::document::{DocId, Document, SourceFile};
use crate::doc::value::Value;
use crate::json;
use crate::kube::group_of;
use crate::load::Loaded;
use crate::model::problem::{Problem, Severity};
use crate::project::rendered::Rendered;
use crate::write::escape;

use super::config::{
    FailOn, Settings, CONFIG_GROUP, INDEX_ANNOTATION, INTERNAL_INDEX_ANNOTATION, INTERNAL_PATH_ANNOTATION, LOCAL_CONFIG, PATH_ANNOTATION,
};

/// How one input item takes part in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not a resource, or configuration: untouched, not seen by the resolver.
    Pass,
    /// A local-config binding or mapping: read by the resolver, untouched in the output.
    LocalInput,
    /// A resource: rendered.
    Input,
}

pub fn annotation<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.pointer("/metadata/annotations").and_then(|a| a.get(key))
}

/// `config.kubernetes.io/local-config: "true"` (or a YAML boolean true).
pub fn is_local_config(v: &Value) -> bool {
    match annotation(v, LOCAL_CONFIG) {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

/// bindery's own configuration, a Kptfile, a kustomization: configuration of the tools, never
/// cluster resources, whatever their annotations say.
pub fn is_tool_config(v: &Value) -> bool {
    let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    matches!(
        (group_of(api_version), kind),
        (CONFIG_GROUP, _) | ("kpt.dev", "Kptfile") | ("kustomize.config.k8s.io", _) | ("config.kubernetes.io", _)
    )
}

/// Which pass-through documents a run's output keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every one (a ResourceList: kpt writes items back to their files).
    All,
    /// Every one but bindery's own configuration (the kustomize plugin's stream: kustomize
    /// drops local-config items itself, but would output a `BindingResolver`).
    AllButOwnConfig,
    /// None: only resources to apply (Argo CD, Helm, a pipe, like `bindery render`).
    Resources,
}

/// The role of a document (see the module documentation).
pub fn role_of(doc: &Document) -> Role {
    let v = &doc.value;
    let is_resource = v.as_object().is_some_and(|m| {
        let s = |k: &str| m.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        s("apiVersion") && s("kind")
    });
    if !is_resource || doc.kind() == "List" || is_tool_config(v) {
        return Role::Pass;
    }
    if is_local_config(v) {
        return if classify(doc).is_some() { Role::LocalInput } else { Role::Pass };
    }
    Role::Input
}

/// Take the documents that are not resources to render out of `loaded` (bindery's own
/// configuration, Kptfiles, kustomizations, non-binding local-config documents: every
/// [`Role::Pass`] document); they are returned, in order. What `bindery render` and Argo CD
/// never output.
pub fn take_configuration(loaded: &mut Loaded) -> Vec<Document> {
    let (pass, keep): (Vec<Document>, Vec<Document>) =
        std::mem::take(&mut loaded.documents).into_iter().partition(|d| role_of(d) == Role::Pass);
    loaded.documents = keep;
    pass
}

/// One document of a run's output, before it is projected.
#[derive(Debug, Clone, Copy)]
pub enum Pick<'a> {
    /// Passed through as it was given.
    Original(&'a Value),
    /// A resolver input, as rendered.
    Rendered(DocId),
}

/// One run over a list of documents: which ones the resolver saw, and its result.
pub struct HostRun {
    /// The pass-through documents (the resolver's inputs stay in `rendered`), by slot.
    passed: Vec<Option<Value>>,
    /// Per original document: its role and, for resolver inputs, its [`DocId`] in `rendered`.
    pub slots: Vec<(Role, Option<DocId>)>,
    pub rendered: Rendered,
    pub settings: Settings,
}

impl HostRun {
    /// Render `documents` (in order) with `settings`; pass-through documents are set aside.
    pub fn new(files: Vec<Arc<SourceFile>>, documents: Vec<Document>, settings: Settings) -> Self {
        let mut inputs = Vec::new();
        let mut slots = Vec::with_capacity(documents.len());
        let mut passed = Vec::with_capacity(documents.len());
        for doc in documents {
            let role = role_of(&doc);
            if role == Role::Pass {
                slots.push((role, None));
                passed.push(Some(doc.value));
            } else {
                passed.push(None);
                slots.push((role, Some(inputs.len())));
                inputs.push(doc);
            }
        }
        let rendered = crate::render(Loaded { files, documents: inputs }, &settings.options);
        HostRun { passed, slots, rendered, settings }
    }

    /// Original document `slot`, as it was given.
    pub fn original(&self, slot: usize) -> &Value {
        match (&self.passed[slot], self.slots[slot].1) {
            (Some(v), _) => v,
            (None, Some(id)) => &self.rendered.loaded.documents[id].value,
            (None, None) => unreachable!("a document is passed through or an input"),
        }
    }

    pub fn has_errors(&self) -> bool {
        self.rendered.problems().iter().any(Problem::is_error)
    }

    /// Errors, or warnings when `failOn: warning`, or no output.
    pub fn failed(&self) -> bool {
        self.rendered.output.is_none()
            || self.has_errors()
            || (self.settings.fail_on == FailOn::Warning && self.rendered.problems().iter().any(|p| p.severity != Severity::Notice))
    }

    /// The output documents, in input order, followed by documents the render created.
    /// Pass-through and local-config documents are kept as `keep` says (kpt and kustomize need
    /// them back; Argo CD and Helm apply everything they are given). With `place_new`, created
    /// documents get kpt path annotations (ResourceList runs only). `None` when the run failed.
    pub fn output(&self, keep: Keep, place_new: bool) -> Option<Vec<Value>> {
        let (picks, created) = self.output_parts(keep, place_new)?;
        use rayon::prelude::*;
        let values: Vec<Option<Value>> = picks.par_iter().map(|p| self.pick_value(p).map(Cow::into_owned)).collect();
        let mut out: Vec<Value> = values.into_iter().flatten().collect();
        out.extend(created);
        Some(out)
    }

    /// A pick of [`HostRun::output_parts`] as it comes out (`None`: it does not).
    pub fn pick_value<'s>(&'s self, pick: &Pick<'s>) -> Option<Cow<'s, Value>> {
        match pick {
            Pick::Original(v) => Some(Cow::Borrowed(*v)),
            Pick::Rendered(id) => self.rendered.output_value(*id),
        }
    }

    /// [`HostRun::output`] before anything is projected: which documents come out, in order,
    /// and the documents the render created (to follow them). Nothing is held projected: a
    /// caller writing the output can project and write a piece at a time.
    pub fn output_parts(&self, keep: Keep, place_new: bool) -> Option<(Vec<Pick<'_>>, Vec<Value>)> {
        if self.failed() {
            return None;
        }
        self.rendered.output.as_ref()?;
        let res = &self.rendered.resolution;
        let docs = &self.rendered.loaded.documents;
        let mut picks = Vec::with_capacity(self.slots.len());
        for (slot, (role, id)) in self.slots.iter().enumerate() {
            let original = self.original(slot);
            match (role, id) {
                (Role::Pass | Role::LocalInput, _) => {
                    let own = super::config::schema::is_config_group(original);
                    if keep == Keep::All || (keep == Keep::AllButOwnConfig && !own) {
                        picks.push(Pick::Original(original));
                    }
                }
                (Role::Input, Some(id)) => {
                    if res.replaced.contains(id)
                        || (res.consumed.contains(id) && !self.settings.keep_bindings)
                        || (res.mappings.contains(id) && self.settings.drop_mappings)
                    {
                        continue;
                    }
                    picks.push(Pick::Rendered(*id));
                }
                (Role::Input, None) => unreachable!("inputs have an id"),
            }
        }
        // A rendered input is the same value whenever it is projected.
        let rendered = |id: DocId| self.rendered.output_value(id);
        let mut created = Vec::new();
        for (binding, generated) in &res.generated {
            let mut new = generated.clone();
            // Generated again with the same identity as an input an earlier run generated:
            // keep that input's place (kpt path, index and ids).
            let same = res.replaced.iter().map(|&id| &docs[id]).find(|d| same_identity(&d.value, generated));
            if let Some(old) = same {
                copy_host_annotations(&old.value, &mut new);
            }
            if place_new {
                place_new_item(&mut new, &self.anchors(*binding), rendered);
            }
            created.push(new);
        }
        Some((picks, created))
    }

    /// For a document generated for `binding`: the kpt paths of the bound workloads, then of
    /// the binding itself; it is written next to the first workload that refers to it.
    fn anchors(&self, binding: DocId) -> Vec<(DocId, String)> {
        let docs = &self.rendered.loaded.documents;
        let res = &self.rendered.resolution;
        let path_of = |id: DocId| annotation(&docs[id].value, PATH_ANNOTATION).and_then(Value::as_str).map(str::to_string);
        let mut anchors: Vec<(DocId, String)> = res.workloads.keys().filter_map(|&id| path_of(id).map(|p| (id, p))).collect();
        anchors.extend(path_of(binding).map(|p| (binding, p)));
        anchors
    }
}

fn same_identity(a: &Value, b: &Value) -> bool {
    ["/apiVersion", "/kind", "/metadata/namespace", "/metadata/name"].iter().all(|p| a.pointer(p) == b.pointer(p))
}

/// Copy the host's bookkeeping annotations (`config.kubernetes.io/*`,
/// `internal.config.kubernetes.io/*`, `config.k8s.io/id`, `kustomize.config.k8s.io/*`).
fn copy_host_annotations(from: &Value, to: &mut Value) {
    let Some(Value::Object(src)) = from.pointer("/metadata/annotations") else { return };
    let host: Vec<(String, Value)> = src
        .iter()
        .filter(|(k, _)| {
            k.starts_with("config.kubernetes.io/")
                || k.starts_with("internal.config.kubernetes.io/")
                || k.starts_with("kustomize.config.k8s.io/")
                || *k == "config.k8s.io/id"
        })
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if host.is_empty() {
        return;
    }
    let Some(obj) = to.as_object_mut() else { return };
    let Some(meta) = obj.entry("metadata").or_insert_with(|| json!({})).as_object_mut() else { return };
    let Some(ann) = meta.entry("annotations").or_insert_with(|| json!({})).as_object_mut() else { return };
    for (k, v) in host {
        ann.entry(k).or_insert(v);
    }
}

fn mentions(v: &Value, name: &str) -> bool {
    match v {
        Value::String(s) => s == name,
        Value::Array(a) => a.iter().any(|x| mentions(x, name)),
        Value::Object(m) => m.values().any(|x| mentions(x, name)),
        _ => false,
    }
}

/// Give a created item the path annotations kpt needs to write it (unless it has them): in the
/// directory of the first anchor whose rendered value names it (else of the first anchor, else
/// the package root), in `<kind>_<name>.yaml` as kpt names files itself.
pub fn place_new_item<'a>(item: &mut Value, anchors: &[(DocId, String)], rendered: impl Fn(DocId) -> Option<Cow<'a, Value>>) {
    if annotation(item, PATH_ANNOTATION).is_some() {
        return;
    }
    let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let kind = item.get("kind").and_then(Value::as_str).unwrap_or("resource").to_ascii_lowercase();
    // Only anchors inside the package: kpt writes the item wherever its path says.
    let anchors: Vec<(DocId, &Path)> = anchors.iter().filter_map(|(id, p)| package_dir(p).map(|d| (*id, d))).collect();
    let anchor = anchors.iter().find(|(id, _)| !name.is_empty() && rendered(*id).is_some_and(|v| mentions(&v, &name))).or(anchors.first());
    let dir = anchor.map(|(_, d)| d.to_string_lossy().into_owned()).unwrap_or_default();
    let file = file_name_part(&format!("{kind}_{name}.yaml"));
    let path = if dir.is_empty() { file } else { format!("{dir}/{file}") };
    let Some(obj) = item.as_object_mut() else { return };
    let meta = obj.entry("metadata").or_insert_with(|| json!({}));
    let Some(meta) = meta.as_object_mut() else { return };
    let ann = meta.entry("annotations").or_insert_with(|| json!({}));
    let Some(ann) = ann.as_object_mut() else { return };
    for (k, v) in [
        (PATH_ANNOTATION, path.as_str()),
        (INTERNAL_PATH_ANNOTATION, path.as_str()),
        (INDEX_ANNOTATION, "0"),
        (INTERNAL_INDEX_ANNOTATION, "0"),
    ] {
        ann.entry(k).or_insert_with(|| Value::from(v));
    }
}

/// The directory of a package-relative path, when the path stays inside the package: no root,
/// no `..`, no `.`, no empty component (`None` otherwise).
fn package_dir(path: &str) -> Option<&Path> {
    use std::path::Component;
    let p = Path::new(path);
    let inside = !path.is_empty() && !path.contains('\\') && p.components().all(|c| matches!(c, Component::Normal(_)));
    inside.then(|| p.parent()).flatten()
}

/// A file name that cannot leave its directory: characters other than ASCII letters, digits,
/// `-`, `_` and `.` become `_`, and a name of dots only is prefixed with `_`.
fn file_name_part(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if out.chars().all(|c| c == '.') {
        out.insert(0, '_');
    }
    out
}

pub fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "info",
    }
}

/// The message of a problem without its location: `[Rule] ServiceBinding ns/name: cause`
/// (control characters escaped).
pub fn problem_message(p: &Problem) -> String {
    let mut s = format!("[{}] ", p.rule);
    if let Some(b) = &p.binding {
        s.push_str(&format!("ServiceBinding {b}: "));
    }
    s.push_str(&p.message);
    escape::controls(&s).into_owned()
}

/// `  help: …` for a problem that has help (control characters escaped), else nothing.
pub fn help_line(p: &Problem) -> String {
    p.help.as_ref().map(|h| format!("  help: {}\n", escape::controls(h))).unwrap_or_default()
}

/// The summary line printed last on failure.
pub fn failure_summary(run: &HostRun) -> String {
    let problems = run.rendered.problems();
    let errors = problems.iter().filter(|p| p.is_error()).count();
    if errors > 0 {
        format!("bindery: {errors} error(s); nothing rendered\n")
    } else {
        format!("bindery: {} warning(s) and failOn is warning; nothing rendered\n", problems.len())
    }
}

/// One diagnostic line: `file:line: error[Rule]: …`, or without lines
/// `error[Rule]: ServiceBinding ns/name: …` (`Kind ns/name: error[Rule]: …` when the problem is
/// not about a binding). Control characters are escaped.
pub fn problem_line(p: &Problem, docs: &[Document], lines: bool) -> String {
    escape::controls(&raw_problem_line(p, docs, lines)).into_owned()
}

fn raw_problem_line(p: &Problem, docs: &[Document], lines: bool) -> String {
    if lines {
        return p.one_line();
    }
    let mut s = String::new();
    if p.binding.is_none() {
        let doc = p
            .location
            .as_ref()
            .and_then(|l| docs.iter().find(|d| Arc::ptr_eq(&d.file, &l.file) && (d.line..=d.end_line.max(d.line)).contains(&l.line)));
        if let Some(d) = doc {
            let ns = d.value.pointer("/metadata/namespace").and_then(Value::as_str);
            let name = ns.map_or_else(|| d.name().to_string(), |ns| format!("{ns}/{}", d.name()));
            s.push_str(&format!("{} {name}: ", d.kind()));
        }
    }
    s.push_str(&format!("{}[{}]: ", severity_word(p.severity), p.rule));
    if let Some(b) = &p.binding {
        s.push_str(&format!("ServiceBinding {b}: "));
    }
    s.push_str(&p.message);
    s
}

/// Values as one `---`-separated YAML stream.
pub fn stream(values: &[Value]) -> String {
    let mut out = String::new();
    for v in values {
        out.push_str("---\n");
        out.push_str(&crate::write::emit::to_yaml(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_items_are_placed_next_to_the_workload_that_names_them() {
        let rendered =
            [json!({"kind": "Deployment", "spec": {"x": [{"secretRef": {"name": "gen"}}]}}), json!({"kind": "Deployment", "spec": {}})];
        let anchors = vec![(1, "other/b.yaml".to_string()), (0, "apps/web/deploy.yaml".to_string())];
        let rendered = |id: DocId| rendered.get(id).map(Cow::Borrowed);
        let mut new = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gen"}});
        place_new_item(&mut new, &anchors, rendered);
        assert_eq!(new["metadata"]["annotations"][PATH_ANNOTATION], "apps/web/secret_gen.yaml");
        assert_eq!(new["metadata"]["annotations"][INTERNAL_PATH_ANNOTATION], "apps/web/secret_gen.yaml");
        let mut other = json!({"kind": "ConfigMap", "metadata": {"name": "x"}});
        place_new_item(&mut other, &anchors, rendered);
        assert_eq!(other["metadata"]["annotations"][PATH_ANNOTATION], "other/configmap_x.yaml");
        let mut root = json!({"kind": "ConfigMap", "metadata": {"name": "y"}});
        place_new_item(&mut root, &[], rendered);
        assert_eq!(root["metadata"]["annotations"][PATH_ANNOTATION], "configmap_y.yaml");
    }

    /// Issue 19 item 12: whatever the item's name and the anchors' paths, the path stays inside
    /// the package.
    #[test]
    fn new_items_never_leave_the_package() {
        let rendered = [json!({"kind": "Deployment", "spec": {"x": [{"secretRef": {"name": "../../x"}}]}})];
        let rendered = |id: DocId| rendered.get(id).map(Cow::Borrowed);
        for (anchor, name) in [
            ("apps/web/deploy.yaml", "../../x"),
            ("../../etc/deploy.yaml", "gen"),
            ("/etc/deploy.yaml", "gen"),
            ("apps/../../deploy.yaml", "gen"),
            ("./deploy.yaml", "/abs/olute"),
            ("apps/web/deploy.yaml", ".."),
        ] {
            let mut new = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}});
            place_new_item(&mut new, &[(0, anchor.to_string())], rendered);
            let path = new["metadata"]["annotations"][PATH_ANNOTATION].as_str().unwrap().to_string();
            let p = Path::new(&path);
            assert!(p.is_relative() && p.components().all(|c| matches!(c, std::path::Component::Normal(_))), "{anchor} {name}: {path}");
            assert_eq!(p.components().count(), if anchor.starts_with("apps/web") { 3 } else { 1 }, "{anchor} {name}: {path}");
        }
    }
}
