//! `diff`: what render changes, resource by resource — each input resource against its rendered
//! form, generated resources as added, consumed ones as removed (on request) — printed as a
//! unified diff (coloured on a terminal), as Markdown for a pull-request comment, or as JSON.
//!
//! Both sides are written by bindery's own YAML emitter, so only real changes show, never
//! formatting; both sides go through [`redact`](crate::write::redact) first, so Secret values
//! never appear (a Secret whose values alone changed says so, without them).

use crate::doc::value::Value;
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::doc::document::DocId;
use crate::write::redact::redacted;
use crate::write::{report_path, ResourceName, SCHEMA_VERSION};
use crate::Rendered;

/// Which documents the compared render emits (the `render` flags of the same name), and what
/// the diff shows.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// ServiceBindings stay in the output (so they are unchanged, not removed).
    pub keep_bindings: bool,
    /// ClusterWorkloadResourceMappings are consumed too.
    pub drop_mappings: bool,
    /// Show consumed documents (bindings, dropped mappings) as removed; hidden by default,
    /// since consuming them is what render always does.
    pub show_consumed: bool,
    /// Lines of context around each change.
    pub context: usize,
    /// The namespace of resources that do not set one (`--namespace`), for titles.
    pub namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Changed,
    Added,
    Removed,
}

/// One resource render changes.
#[derive(Debug, Clone)]
pub struct ResourceDiff {
    pub status: Status,
    pub resource: ResourceName,
    /// The input file it comes from (for a generated resource: the binding's file).
    pub file: String,
    pub line: usize,
    /// For a generated resource: `ServiceBinding ns/name` it was generated for.
    pub generated_for: Option<String>,
    /// Redacted YAML of both sides (empty for the side that does not exist).
    pub before: String,
    pub after: String,
}

impl ResourceDiff {
    /// Only Secret values changed: both redacted sides are the same text.
    pub fn masked_only(&self) -> bool {
        self.status == Status::Changed && self.before == self.after
    }

    /// Hunks of the unified diff (`@@ … @@` and the lines), without file headers.
    pub fn hunks(&self, context: usize) -> Vec<Hunk> {
        let diff = TextDiff::from_lines(&self.before, &self.after);
        let mut unified = diff.unified_diff();
        unified.context_radius(context);
        let mut out = Vec::new();
        for hunk in unified.iter_hunks() {
            let mut lines = Vec::new();
            for change in hunk.iter_changes() {
                let tag = match change.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => ' ',
                };
                lines.push((tag, change.value().trim_end_matches('\n').to_string()));
            }
            out.push(Hunk { header: hunk.header().to_string(), lines });
        }
        out
    }

    /// (lines added, lines removed).
    pub fn stats(&self) -> (usize, usize) {
        let diff = TextDiff::from_lines(&self.before, &self.after);
        diff.iter_all_changes().fold((0, 0), |(a, r), c| match c.tag() {
            ChangeTag::Insert => (a + 1, r),
            ChangeTag::Delete => (a, r + 1),
            ChangeTag::Equal => (a, r),
        })
    }

    /// `--- ` and `+++ ` header lines: file and line, kind, namespace and name (their control
    /// characters escaped: they come from the input).
    fn headers(&self) -> (String, String) {
        let at = crate::write::escape::controls(&format!("{}:{}", self.file, self.line)).into_owned();
        let title = crate::write::escape::controls(&self.resource.title()).into_owned();
        match self.status {
            Status::Changed => (format!("--- {at}\t{title}"), format!("+++ {at}\t{title} (rendered)")),
            Status::Removed => (format!("--- {at}\t{title}"), "+++ /dev/null\t(not in the rendered output)".to_string()),
            Status::Added => {
                let why = self.generated_for.as_deref().map_or("generated".to_string(), |b| format!("generated for {b}"));
                ("--- /dev/null".to_string(), format!("+++ {at}\t{title} ({})", crate::write::escape::controls(&why)))
            }
        }
    }
}

/// One hunk: its `@@ -a,b +c,d @@` header and its lines, each with `-`, `+` or ` `.
#[derive(Debug, Clone)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<(char, String)>,
}

const MASKED_NOTE: &str = "# only Secret values changed; they are not shown";

/// The identity two documents share when one replaces the other.
fn identity(v: &Value) -> (String, String, String, String) {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    (s("/apiVersion"), s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

/// Every resource the render changes, in input order, then the generated ones. Empty when
/// rendering failed (`rendered.output` is `None`).
pub fn compute(rendered: &Rendered, opts: &DiffOptions) -> Vec<ResourceDiff> {
    if rendered.output.is_none() {
        return Vec::new();
    }
    let docs = &rendered.loaded.documents;
    let resolution = &rendered.resolution;
    let emitted = |id: DocId| rendered.is_emitted(id, opts.keep_bindings, opts.drop_mappings);

    // A generated resource replaces the input document an earlier render generated with the
    // same identity (a change, not a removal and an addition); the others are new.
    let mut replaced_by: Vec<Option<usize>> = vec![None; docs.len()];
    let mut added = Vec::new();
    for (g, (_, value)) in resolution.generated.iter().enumerate() {
        let id = identity(value);
        let earlier = resolution.replaced.iter().copied().find(|&d| replaced_by[d].is_none() && identity(&docs[d].value) == id);
        match earlier {
            Some(d) => replaced_by[d] = Some(g),
            None => added.push(g),
        }
    }

    let namespace = &opts.namespace;
    let yaml = |v: &Value| crate::write::emit::to_yaml(&redacted(v));
    let mut diffs = Vec::new();
    for (id, doc) in docs.iter().enumerate() {
        let after = match replaced_by[id] {
            Some(g) => Some(std::borrow::Cow::Borrowed(&resolution.generated[g].1)),
            None if emitted(id) => rendered.output_value(id),
            None => None,
        };
        // A resource an earlier render generated and this one does not is always shown as
        // removed (it leaves the cluster); consumed instructions only on request.
        let show_removed = opts.show_consumed || resolution.replaced.contains(&id);
        let (status, after_text) = match after {
            Some(v) if *v == doc.value => continue,
            Some(v) => (Status::Changed, yaml(&v)),
            None if show_removed => (Status::Removed, String::new()),
            None => continue,
        };
        diffs.push(ResourceDiff {
            status,
            resource: ResourceName::of(&doc.value, namespace),
            file: report_path(&doc.file.path),
            line: doc.line,
            generated_for: None,
            before: yaml(&doc.value),
            after: after_text,
        });
    }
    for g in added {
        let (for_doc, value) = &resolution.generated[g];
        let binding = &docs[*for_doc];
        let binding_name = ResourceName::of(&binding.value, namespace);
        diffs.push(ResourceDiff {
            status: Status::Added,
            resource: ResourceName::of(value, namespace),
            file: report_path(&binding.file.path),
            line: binding.line,
            generated_for: Some(binding_name.title()),
            before: String::new(),
            after: yaml(value),
        });
    }
    diffs
}

// ---------------------------------------------------------------------------------------------
// unified
// ---------------------------------------------------------------------------------------------

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// A unified diff of every resource, one `---`/`+++` header pair each; ANSI colours when asked.
pub fn unified(diffs: &[ResourceDiff], context: usize, color: bool) -> String {
    let paint = |code: &str, line: &str| {
        if color {
            format!("{code}{line}{RESET}\n")
        } else {
            format!("{line}\n")
        }
    };
    let mut out = String::new();
    for d in diffs {
        let (old, new) = d.headers();
        out.push_str(&paint(BOLD, &old));
        out.push_str(&paint(BOLD, &new));
        if d.masked_only() {
            out.push_str(&paint(CYAN, MASKED_NOTE));
            continue;
        }
        for hunk in d.hunks(context) {
            out.push_str(&paint(CYAN, &hunk.header));
            for (tag, line) in &hunk.lines {
                let text = format!("{tag}{line}");
                match tag {
                    '-' => out.push_str(&paint(RED, &text)),
                    '+' => out.push_str(&paint(GREEN, &text)),
                    _ => {
                        out.push_str(&text);
                        out.push('\n');
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// markdown
// ---------------------------------------------------------------------------------------------

/// The hidden marker that starts every Markdown diff, so a CI job can find and update its own
/// pull-request comment.
pub const MARKDOWN_MARKER: &str = "<!-- bindery-diff -->";

/// GitHub refuses comments longer than 65,536 characters; stay well under it.
pub const MARKDOWN_LIMIT: usize = 60_000;

fn html_escape(s: &str) -> String {
    crate::write::escape::controls(s).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A fence longer than any run of backticks in the text.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

/// `2 changed, 1 added, 0 removed`.
fn totals(diffs: &[ResourceDiff]) -> String {
    let n = |s: Status| diffs.iter().filter(|d| d.status == s).count();
    format!("{} changed, {} added, {} removed", n(Status::Changed), n(Status::Added), n(Status::Removed))
}

/// One collapsible `<details>` block per resource, ready for a pull-request comment or
/// `$GITHUB_STEP_SUMMARY`; past [`MARKDOWN_LIMIT`] the remaining resources are listed by name.
pub fn markdown(diffs: &[ResourceDiff], context: usize) -> String {
    let mut out = format!("{MARKDOWN_MARKER}\n### bindery diff\n\n");
    if diffs.is_empty() {
        out.push_str("No changes: rendering leaves every resource as it is.\n");
        return out;
    }
    out.push_str(&format!("{}.\n\n", totals(diffs)));
    let mut omitted = Vec::new();
    for d in diffs {
        let (added, removed) = d.stats();
        let mut body = String::new();
        if d.masked_only() {
            body.push_str(MASKED_NOTE);
            body.push('\n');
        } else {
            for hunk in d.hunks(context) {
                body.push_str(&hunk.header);
                body.push('\n');
                for (tag, line) in &hunk.lines {
                    body.push(*tag);
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
        let fence = fence_for(&body);
        let what = match (d.status, &d.generated_for) {
            (Status::Added, Some(b)) => format!("added, generated for {b}"),
            (Status::Added, None) => "added".to_string(),
            (Status::Removed, _) => "removed".to_string(),
            (Status::Changed, _) => format!("+{added} −{removed}"),
        };
        let block = format!(
            "<details>\n<summary><code>{}</code> in <code>{}:{}</code> ({})</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n",
            html_escape(&d.resource.title()),
            html_escape(&d.file),
            d.line,
            html_escape(&what)
        );
        if out.len() + block.len() > MARKDOWN_LIMIT {
            omitted.push(d);
        } else {
            out.push_str(&block);
        }
    }
    if !omitted.is_empty() {
        out.push_str(&format!(
            "\n{} more resources are not shown (comment size limit); run `bindery diff` locally to see them:\n\n",
            omitted.len()
        ));
        for d in omitted {
            out.push_str(&format!(
                "- <code>{}</code> in <code>{}:{}</code>\n",
                html_escape(&d.resource.title()),
                html_escape(&d.file),
                d.line
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// json
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiff<'a> {
    schema_version: u32,
    changed: bool,
    summary: JsonTotals,
    resources: Vec<JsonResource<'a>>,
}

#[derive(Serialize)]
struct JsonTotals {
    changed: usize,
    added: usize,
    removed: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonResource<'a> {
    status: Status,
    #[serde(flatten)]
    resource: &'a ResourceName,
    file: &'a str,
    line: usize,
    generated_for: Option<&'a str>,
    additions: usize,
    deletions: usize,
    secret_values_only: bool,
    diff: String,
}

/// The machine form: totals and, per resource, its identity, place and unified hunks.
pub fn json(diffs: &[ResourceDiff], context: usize) -> String {
    let n = |s: Status| diffs.iter().filter(|d| d.status == s).count();
    let doc = JsonDiff {
        schema_version: SCHEMA_VERSION,
        changed: !diffs.is_empty(),
        summary: JsonTotals { changed: n(Status::Changed), added: n(Status::Added), removed: n(Status::Removed) },
        resources: diffs
            .iter()
            .map(|d| {
                let (additions, deletions) = d.stats();
                JsonResource {
                    status: d.status,
                    resource: &d.resource,
                    file: &d.file,
                    line: d.line,
                    generated_for: d.generated_for.as_deref(),
                    additions,
                    deletions,
                    secret_values_only: d.masked_only(),
                    diff: unified(std::slice::from_ref(d), context, false).split_inclusive('\n').skip(2).collect(),
                }
            })
            .collect(),
    };
    super::json_text(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    const INPUT: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {type: example-db, password: hunter2-Pa55}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: db}
spec:
  service: {apiVersion: v1, kind: Secret, name: db}
  workload: {apiVersion: apps/v1, kind: Deployment, name: app}
"#;

    fn rendered() -> Rendered {
        let (file, documents) = crate::load::parse_file("app.yaml".into(), "app.yaml".into(), INPUT.into()).unwrap();
        let loaded = crate::load::Loaded { files: vec![file], documents };
        let r = crate::render(loaded, &crate::resolve::Options::default());
        assert!(r.problems().is_empty());
        r
    }

    fn opts() -> DiffOptions {
        DiffOptions { context: 3, namespace: "default".into(), ..DiffOptions::default() }
    }

    #[test]
    fn only_changed_resources_are_listed_and_consumed_ones_on_request() {
        let r = rendered();
        let diffs = compute(&r, &opts());
        assert_eq!(diffs.len(), 1);
        assert_eq!((diffs[0].status, diffs[0].resource.title().as_str()), (Status::Changed, "Deployment default/app"));
        let text = unified(&diffs, 3, false);
        assert!(
            text.starts_with("--- app.yaml:7\tDeployment default/app\n+++ app.yaml:7\tDeployment default/app (rendered)\n@@ "),
            "{text}"
        );
        let shown = compute(&r, &DiffOptions { show_consumed: true, ..opts() });
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[1].status, Status::Removed);
        assert!(unified(&shown, 3, false).contains("+++ /dev/null\t(not in the rendered output)\n@@ -1,"));
        let kept = compute(&r, &DiffOptions { show_consumed: true, keep_bindings: true, ..opts() });
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn the_compared_documents_are_the_ones_render_emits() {
        let r = rendered();
        for (keep, drop) in [(false, false), (true, false), (false, true), (true, true)] {
            let inputs = (0..r.loaded.documents.len()).filter(|&id| r.is_emitted(id, keep, drop)).count();
            assert_eq!(inputs + r.resolution.generated.len(), r.emitted(keep, drop).len(), "keep={keep} drop={drop}");
        }
    }

    #[test]
    fn secrets_are_masked_on_both_sides_and_a_value_only_change_says_so() {
        let mut r = rendered();
        // A render that changed a Secret value, and one that generated a Secret.
        let mut rotated = r.loaded.documents[0].value.clone();
        rotated["stringData"]["password"] = json!("rotated-Va1ue");
        r.materialize();
        let Some(crate::Output::Kept(rewritten)) = r.output.as_mut() else { unreachable!("materialized") };
        rewritten[0] = Some(rotated);
        r.resolution.generated.push((
            2,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-copy", "namespace": "default"}, "data": {"password": "aHVudGVyMi1QYTU1"}}),
        ));
        let diffs = compute(&r, &opts());
        assert_eq!(diffs.iter().map(|d| d.status).collect::<Vec<_>>(), [Status::Changed, Status::Changed, Status::Added]);
        assert!(diffs[0].masked_only());
        assert_eq!(diffs[2].generated_for.as_deref(), Some("ServiceBinding default/db"));
        for text in [unified(&diffs, 3, true), markdown(&diffs, 3), json(&diffs, 3)] {
            for secret in ["hunter2-Pa55", "rotated-Va1ue", "aHVudGVyMi1QYTU1"] {
                assert!(!text.contains(secret), "{secret} in:\n{text}");
            }
            assert!(text.contains(MASKED_NOTE), "{text}");
            assert!(text.contains("password: '***'"), "{text}");
        }
    }

    #[test]
    fn a_regenerated_resource_replaces_the_one_an_earlier_render_generated() {
        let mut r = rendered();
        let earlier =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "gen", "namespace": "default"}, "data": {"a": "1"}});
        r.loaded.documents.push(crate::doc::document::Document { value: earlier.clone(), ..r.loaded.documents[0].clone() });
        r.materialize();
        let Some(crate::Output::Kept(rewritten)) = r.output.as_mut() else { unreachable!("materialized") };
        rewritten.push(None);
        r.resolution.consumed.insert(3);
        r.resolution.replaced.insert(3);
        let mut again = earlier.clone();
        r.resolution.generated.push((2, again.clone()));
        assert_eq!(compute(&r, &opts()).len(), 1, "unchanged: only the workload");
        again["data"]["a"] = json!("2");
        r.resolution.generated[0].1 = again;
        let diffs = compute(&r, &opts());
        assert_eq!(diffs.len(), 2);
        assert_eq!((diffs[1].status, diffs[1].resource.name.as_str()), (Status::Changed, "gen"));
    }

    #[test]
    fn markdown_fences_outgrow_backticks_and_stay_under_the_comment_limit() {
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(fence_for("plain"), "```");
        let big = ResourceDiff {
            status: Status::Added,
            resource: ResourceName {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("default".into()),
                name: "big".into(),
            },
            file: "<a&b>.yaml".into(),
            line: 1,
            generated_for: None,
            before: String::new(),
            after: "x: y\n".repeat(2_000),
        };
        let text = markdown(&vec![big; 10], 3);
        assert!(text.len() <= MARKDOWN_LIMIT + 2_000, "{}", text.len());
        assert!(text.contains("more resources are not shown"));
        assert!(text.contains("&lt;a&amp;b&gt;.yaml") && !text.contains("<a&b>"));
    }
}
