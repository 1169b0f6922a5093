//! `graph`: the one [`Rendered`] result as a picture — services → binding Secrets → bindings →
//! workloads and their containers, each edge labelled with how the data is delivered (files at
//! a path, environment variables, by reference, copied into a generated Secret, a Secret
//! created at run time and by whom), bindings with problems highlighted — as Mermaid (GitHub
//! renders it in Markdown) or Graphviz DOT. Only names and key counts appear, never a value.

use std::collections::BTreeMap;

use crate::bindings::sbo::collect::ItemSource;
use crate::bindings::sbo::delivery::GENERATED_FOR;
use crate::doc::value::Value;
use crate::index::runtime_secrets::{Declaration, SecretSource};
use crate::model::problem::Severity;
use crate::project::rendered::Rendered;
use crate::resolve::{Resolved, ResolvedBinding};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Service,
    Secret,
    Binding,
    Container,
    Workload,
}

/// How a node is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Error,
    Warning,
    /// Created at run time: not in the repository.
    Runtime,
}

impl Mark {
    fn class(self) -> &'static str {
        match self {
            Mark::Error => "error",
            Mark::Warning => "warning",
            Mark::Runtime => "runtime",
        }
    }
}

#[derive(Debug, Clone)]
struct Node {
    id: String,
    label: Vec<String>,
    shape: Shape,
    mark: Option<Mark>,
}

/// A workload: a box around its containers.
#[derive(Debug, Clone)]
struct Group {
    id: String,
    label: String,
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    label: String,
    error: bool,
}

/// One run's graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    groups: Vec<Group>,
    edges: Vec<Edge>,
}

/// `ExternalSecret "x" (at a.yaml:3)` → `ExternalSecret "x"`: labels name, files are for reports.
fn without_place(text: &str) -> String {
    text.split(" (at ").next().unwrap_or(text).replace('"', "")
}

/// The words of a label line that names who creates a Secret at run time.
fn created_by(source: &SecretSource, rendered: &Rendered) -> Option<String> {
    let docs = &rendered.loaded.documents;
    Some(match source {
        SecretSource::InInput { .. } => return None,
        SecretSource::Sops { .. } => "SOPS-encrypted in the repository".into(),
        SecretSource::Producer { kind, doc } => format!("run time: {} {}", kind.kind(), docs[*doc].name()),
        SecretSource::Convention { creator, .. } => format!("run time: {creator}"),
        SecretSource::Declared { by: Declaration::ConfigFile { created_by: Some(c), .. } } => format!("run time: {c}"),
        SecretSource::Declared { .. } => "run time (declared)".into(),
        SecretSource::Assumed => "assumed to exist (not in the input)".into(),
    })
}

struct Builder<'a> {
    rendered: &'a Rendered,
    default_ns: &'a str,
    graph: Graph,
    ids: BTreeMap<String, String>,
}

impl Builder<'_> {
    /// The node for `key`, made on first use.
    fn node(&mut self, key: String, shape: Shape, label: Vec<String>, mark: Option<Mark>) -> String {
        if let Some(id) = self.ids.get(&key) {
            return id.clone();
        }
        let id = format!("n{}", self.ids.len());
        self.ids.insert(key, id.clone());
        self.graph.nodes.push(Node { id: id.clone(), label, shape, mark });
        id
    }

    fn edge(&mut self, from: &str, to: &str, label: impl Into<String>, error: bool) {
        let label = label.into();
        if !self.graph.edges.iter().any(|e| e.from == from && e.to == to && e.label == label) {
            self.graph.edges.push(Edge { from: from.into(), to: to.into(), label, error });
        }
    }

    fn secret(&mut self, namespace: &str, name: &str, runtime: Option<String>) -> String {
        let mark = runtime.as_ref().map(|_| Mark::Runtime);
        let mut label = vec![format!("Secret {name}")];
        label.extend(runtime);
        self.node(format!("Secret/{namespace}/{name}"), Shape::Secret, label, mark)
    }

    /// The binding's node, marked by its worst problem.
    fn binding(&mut self, rb: &ResolvedBinding) -> (String, bool) {
        let title = rb.title();
        let problems: Vec<_> = self.rendered.problems().iter().filter(|p| p.binding.as_deref() == Some(title.as_str())).collect();
        let rules = |s: Severity| {
            let mut r: Vec<&str> = problems.iter().filter(|p| p.severity == s).map(|p| p.rule.id()).collect();
            r.dedup();
            r.join(", ")
        };
        let (errors, warnings) = (rules(Severity::Error), rules(Severity::Warning));
        let api = if rb.is_operator() { "ServiceBinding (SBO)" } else { "ServiceBinding" };
        let mut label = vec![format!("{api} {title}")];
        let mark = if !errors.is_empty() {
            label.push(format!("error: {errors}"));
            Some(Mark::Error)
        } else if !warnings.is_empty() {
            label.push(format!("warning: {warnings}"));
            Some(Mark::Warning)
        } else {
            None
        };
        (self.node(format!("Binding/{}/{title}", rb.is_operator()), Shape::Binding, label, mark), !errors.is_empty())
    }

    /// Services and Secrets → binding.
    fn sources(&mut self, rb: &ResolvedBinding, binding: &str, failed: bool) {
        let ns = rb.namespace().to_string();
        match &rb.resolved {
            Resolved::Spec(spec) => {
                let service = &spec.binding.service;
                let secret = spec.secret.as_ref().map(|s| self.secret(&s.namespace, &s.name, created_by(&s.source, self.rendered)));
                match (service.is_direct_secret(), secret) {
                    (true, Some(secret)) => self.edge(&secret, binding, "by reference", failed),
                    (true, None) => {
                        let secret = self.secret(&ns, &service.name, None);
                        self.edge(&secret, binding, "not found", true);
                    }
                    (false, secret) => {
                        let label = vec![format!("{} {}", service.kind, service.name)];
                        let svc = self.node(format!("{}/{ns}/{}", service.kind, service.name), Shape::Service, label, None);
                        match secret {
                            Some(secret) => {
                                self.edge(&svc, &secret, "binding Secret", false);
                                self.edge(&secret, binding, "by reference", failed);
                            }
                            None => self.edge(&svc, binding, "no binding Secret", true),
                        }
                    }
                }
            }
            Resolved::Operator(op) => {
                for (si, s) in op.binding.services.iter().enumerate() {
                    let items: Vec<_> = op.data.iter().flat_map(|d| &d.items).filter(|i| i.service == Some(si)).collect();
                    let svc = if s.type_ref.kind == "Secret" && s.type_ref.group.is_empty() {
                        let runtime = items.iter().find_map(|i| i.runtime.clone()).map(|c| format!("run time: {}", without_place(&c)));
                        self.secret(&s.namespace, &s.name, runtime)
                    } else {
                        let label = vec![format!("{} {}", s.type_ref.kind, s.name)];
                        self.node(format!("{}/{}/{}", s.type_ref.kind, s.namespace, s.name), Shape::Service, label, None)
                    };
                    let mut secrets: BTreeMap<(String, String), (usize, Option<String>)> = BTreeMap::new();
                    let mut values = 0;
                    for item in &items {
                        match &item.source {
                            ItemSource::SecretKey { namespace, name, .. } => {
                                let e = secrets.entry((namespace.clone(), name.clone())).or_insert((0, None));
                                e.0 += 1;
                                e.1 = e.1.take().or_else(|| item.runtime.as_deref().map(|c| format!("run time: {}", without_place(c))));
                            }
                            _ => values += 1,
                        }
                    }
                    for ((namespace, name), (n, runtime)) in secrets {
                        let secret = self.secret(&namespace, &name, runtime);
                        if secret != svc {
                            self.edge(&svc, &secret, "binding data", false);
                        }
                        self.edge(&secret, binding, format!("{n} key(s) by reference"), failed);
                    }
                    if values > 0 || items.is_empty() {
                        self.edge(
                            &svc,
                            binding,
                            if items.is_empty() { "no binding data".to_string() } else { format!("{values} value(s)") },
                            failed || items.is_empty(),
                        );
                    }
                }
                self.copies(rb, binding);
            }
        }
    }

    /// Secrets bindery generates for a binding: values copied (SBO only).
    fn copies(&mut self, rb: &ResolvedBinding, binding: &str) {
        let title = rb.title();
        for (_, value) in &self.rendered.resolution.generated {
            let s = |p: &str| value.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
            if s("/kind") == "Secret"
                && value.pointer("/metadata/annotations").and_then(|a| a.get(GENERATED_FOR)).and_then(Value::as_str) == Some(title.as_str())
            {
                let id = self.node(
                    format!("Secret/{}/{}", s("/metadata/namespace"), s("/metadata/name")),
                    Shape::Secret,
                    vec![format!("Secret {} (generated)", s("/metadata/name"))],
                    Some(Mark::Warning),
                );
                self.edge(binding, &id, "values copied", false);
            }
        }
    }

    /// Binding → containers (what each receives), or → workload when nothing was projected.
    fn targets(&mut self, index: usize, rb: &ResolvedBinding, binding: &str, failed: bool) {
        let docs = &self.rendered.loaded.documents;
        for &w in &rb.workloads {
            let doc = &docs[w];
            let title = format!("{} {}/{}", doc.kind(), doc.namespace(self.default_ns), doc.name());
            let records: Vec<_> = self.rendered.bound.iter().filter(|b| b.workload == w && b.binding == index).collect();
            if records.is_empty() {
                let id = self.node(format!("Workload/{w}"), Shape::Workload, vec![title], None);
                let why = match (failed, self.rendered.output.is_some()) {
                    (true, _) => "not projected",
                    (false, false) => "not rendered (other errors)",
                    (false, true) => "bound",
                };
                self.edge(binding, &id, why, failed);
                continue;
            }
            let group = match self.graph.groups.iter().position(|g| g.label == title) {
                Some(g) => g,
                None => {
                    self.graph.groups.push(Group { id: format!("w{w}"), label: title.clone(), nodes: Vec::new() });
                    self.graph.groups.len() - 1
                }
            };
            for r in records {
                let key = format!("Container/{w}/{}", r.container);
                let id = match self.ids.get(&key) {
                    Some(id) => id.clone(),
                    None => {
                        let id = format!("n{}", self.ids.len());
                        self.ids.insert(key, id.clone());
                        let name = if r.container.is_empty() { "(unnamed)".to_string() } else { r.container.clone() };
                        self.graph.groups[group].nodes.push(Node {
                            id: id.clone(),
                            label: vec![name],
                            shape: Shape::Container,
                            mark: None,
                        });
                        id
                    }
                };
                let mut how = Vec::new();
                if !r.files.is_empty() {
                    how.push(format!("files at {}", r.mount_path));
                }
                if !r.env.is_empty() {
                    let names: Vec<&str> = r.env.iter().take(3).map(|(n, _)| n.as_str()).collect();
                    let more = r.env.len().saturating_sub(3);
                    how.push(format!("env {}{}", names.join(", "), if more > 0 { format!(" +{more}") } else { String::new() }));
                }
                self.edge(binding, &id, how.join("; "), false);
            }
        }
    }
}

/// The graph of one run (`default_ns`: the namespace of resources that set none).
pub fn build(rendered: &Rendered, default_ns: &str) -> Graph {
    let mut b = Builder { rendered, default_ns, graph: Graph::default(), ids: BTreeMap::new() };
    for (i, rb) in rendered.resolution.bindings.iter().enumerate() {
        let (binding, failed) = b.binding(rb);
        b.sources(rb, &binding, failed);
        b.targets(i, rb, &binding, failed);
    }
    b.graph
}

// ---------------------------------------------------------------------------------------------
// Mermaid
// ---------------------------------------------------------------------------------------------

fn mermaid_text(lines: &[String]) -> String {
    lines.iter().map(|l| l.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")).collect::<Vec<_>>().join("<br/>")
}

fn mermaid_node(out: &mut String, prefix: &str, n: &Node, indent: &str) {
    let text = mermaid_text(&n.label);
    let (open, close) = match n.shape {
        Shape::Service => ("([\"", "\"])"),
        Shape::Secret => ("[(\"", "\")]"),
        Shape::Binding => ("{{\"", "\"}}"),
        Shape::Container | Shape::Workload => ("[\"", "\"]"),
    };
    out.push_str(&format!("{indent}{prefix}{}{open}{text}{close}\n", n.id));
    if let Some(m) = n.mark {
        out.push_str(&format!("{indent}class {prefix}{} {}\n", n.id, m.class()));
    }
}

fn mermaid_body(out: &mut String, prefix: &str, g: &Graph, indent: &str) {
    for n in &g.nodes {
        mermaid_node(out, prefix, n, indent);
    }
    for group in &g.groups {
        out.push_str(&format!("{indent}subgraph {prefix}{}[\"{}\"]\n", group.id, mermaid_text(std::slice::from_ref(&group.label))));
        for n in &group.nodes {
            mermaid_node(out, prefix, n, &format!("{indent}  "));
        }
        out.push_str(&format!("{indent}end\n"));
    }
    for e in &g.edges {
        let arrow = if e.error { "-.->" } else { "-->" };
        out.push_str(&format!(
            "{indent}{prefix}{} {arrow}|\"{}\"| {prefix}{}\n",
            e.from,
            mermaid_text(std::slice::from_ref(&e.label)),
            e.to
        ));
    }
}

const MERMAID_CLASSES: &str = "  classDef error fill:#fde2e2,stroke:#c62828,stroke-width:2px,color:#5f0000\n  classDef warning fill:#fff4ce,stroke:#b58900,color:#4a3800\n  classDef runtime stroke-dasharray:5 3\n";

/// A Mermaid flowchart; several runs (repository mode) are one subgraph each.
pub fn to_mermaid(graphs: &[(Option<String>, Graph)]) -> String {
    let mut out = String::from("flowchart LR\n");
    match graphs {
        [(None, g)] => mermaid_body(&mut out, "", g, "  "),
        _ => {
            for (i, (name, g)) in graphs.iter().enumerate() {
                let prefix = format!("r{i}_");
                out.push_str(&format!("  subgraph r{i}[\"{}\"]\n", mermaid_text(&[name.clone().unwrap_or_default()])));
                if g.nodes.is_empty() {
                    out.push_str(&format!("    r{i}_empty[\"no ServiceBinding\"]\n"));
                }
                mermaid_body(&mut out, &prefix, g, "    ");
                out.push_str("  end\n");
            }
        }
    }
    if graphs.iter().all(|(_, g)| g.nodes.is_empty()) && graphs.len() == 1 {
        out.push_str("  empty[\"no ServiceBinding\"]\n");
    }
    out.push_str(MERMAID_CLASSES);
    out
}

/// Markdown for a pull request: one fenced Mermaid block per run, under its root's name.
pub fn to_markdown(graphs: &[(Option<String>, Graph)]) -> String {
    let mut out = String::from("### bindery graph\n\n");
    for (name, g) in graphs {
        if let Some(name) = name {
            out.push_str(&format!("#### `{name}`\n\n"));
        }
        out.push_str("```mermaid\n");
        out.push_str(&to_mermaid(&[(None, g.clone())]));
        out.push_str("```\n\n");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Graphviz DOT
// ---------------------------------------------------------------------------------------------

fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_node(out: &mut String, prefix: &str, n: &Node, indent: &str) {
    let shape = match n.shape {
        Shape::Service => "ellipse",
        Shape::Secret => "cylinder",
        Shape::Binding => "hexagon",
        Shape::Container | Shape::Workload => "box",
    };
    let label = n.label.iter().map(|l| dot_text(l)).collect::<Vec<_>>().join("\\n");
    let style = match n.mark {
        Some(Mark::Error) => ", style=filled, fillcolor=\"#fde2e2\", color=\"#c62828\", penwidth=2",
        Some(Mark::Warning) => ", style=filled, fillcolor=\"#fff4ce\", color=\"#b58900\"",
        Some(Mark::Runtime) => ", style=dashed",
        None => "",
    };
    out.push_str(&format!("{indent}{prefix}{} [label=\"{label}\", shape={shape}{style}];\n", n.id));
}

fn dot_body(out: &mut String, prefix: &str, g: &Graph, indent: &str) {
    for n in &g.nodes {
        dot_node(out, prefix, n, indent);
    }
    for group in &g.groups {
        out.push_str(&format!("{indent}subgraph cluster_{prefix}{} {{\n{indent}  label=\"{}\";\n", group.id, dot_text(&group.label)));
        for n in &group.nodes {
            dot_node(out, prefix, n, &format!("{indent}  "));
        }
        out.push_str(&format!("{indent}}}\n"));
    }
    for e in &g.edges {
        let style = if e.error { ", style=dashed, color=\"#c62828\"" } else { "" };
        out.push_str(&format!("{indent}{prefix}{} -> {prefix}{} [label=\"{}\"{style}];\n", e.from, e.to, dot_text(&e.label)));
    }
}

/// A Graphviz digraph; several runs are one cluster each.
pub fn to_dot(graphs: &[(Option<String>, Graph)]) -> String {
    let mut out = String::from(
        "digraph bindery {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    match graphs {
        [(None, g)] => dot_body(&mut out, "", g, "  "),
        _ => {
            for (i, (name, g)) in graphs.iter().enumerate() {
                out.push_str(&format!("  subgraph cluster_r{i} {{\n    label=\"{}\";\n", dot_text(name.as_deref().unwrap_or(""))));
                dot_body(&mut out, &format!("r{i}_"), g, "    ");
                out.push_str("  }\n");
            }
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(yaml: &str) -> Rendered {
        let (file, documents) = crate::load::parse_file("app.yaml".into(), "app.yaml".into(), yaml.as_bytes().to_vec()).unwrap();
        crate::render(crate::load::Loaded { files: vec![file], documents }, &crate::resolve::Options::default())
    }

    const APP: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: postgresql, host: h, port: \"5432\", database: d, username: u, password: p}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: web, image: x}]}}}\n---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n  env: [{name: DB_HOST, key: host}]\n";

    #[test]
    fn a_direct_secret_binding_as_mermaid_and_dot() {
        let g = build(&rendered(APP), "default");
        let mermaid = to_mermaid(&[(None, g.clone())]);
        assert_eq!(
            mermaid,
            "flowchart LR\n  n0{{\"ServiceBinding default/db\"}}\n  n1[(\"Secret db\")]\n  subgraph w1[\"Deployment default/app\"]\n    n2[\"web\"]\n  end\n  n1 -->|\"by reference\"| n0\n  n0 -->|\"files at /bindings/db; env DB_HOST\"| n2\n".to_string() + MERMAID_CLASSES
        );
        let dot = to_dot(&[(None, g)]);
        assert!(
            dot.contains("  subgraph cluster_w1 {\n    label=\"Deployment default/app\";\n    n2 [label=\"web\", shape=box];\n  }\n"),
            "{dot}"
        );
        assert!(dot.contains("n0 -> n2 [label=\"files at /bindings/db; env DB_HOST\"];"), "{dot}");
        assert!(!mermaid.contains("5432") && !dot.contains("5432"), "no values");
    }

    #[test]
    fn a_failing_binding_is_highlighted_with_its_rules() {
        let broken = APP.replace("key: host", "key: hostname");
        let g = build(&rendered(&broken), "default");
        let mermaid = to_mermaid(&[(None, g.clone())]);
        assert!(mermaid.contains("n0{{\"ServiceBinding default/db<br/>error: EnvKeyNotFound\"}}\n  class n0 error\n"), "{mermaid}");
        assert!(mermaid.contains("n0 -.->|\"not projected\"| n2"), "{mermaid}");
        let dot = to_dot(&[(None, g)]);
        assert!(dot.contains("fillcolor=\"#fde2e2\""), "{dot}");
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(mermaid_text(&["a \"b\" <c>".to_string(), "d".to_string()]), "a #quot;b#quot; #lt;c#gt;<br/>d");
        assert_eq!(dot_text("a \"b\" \\"), "a \\\"b\\\" \\\\");
    }
}
