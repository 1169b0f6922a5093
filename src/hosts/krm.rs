//! The KRM function (functions-spec v1), as kpt and kustomize run it: a `config.kubernetes.io/v1`
//! `ResourceList` on stdin; the same list on stdout with its `items` rendered and one `results`
//! entry per problem. Every annotation bindery did not set (`config.kubernetes.io/path`,
//! `…/index`, `internal.*`, `kustomize.config.k8s.io/id`) survives, because items are kept as
//! insertion-ordered values. A plain YAML stream on stdin (kustomize's legacy plugin, a bare
//! `bindery` in a pipe) is answered with a plain stream.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::doc::value::{Map, Value};
use crate::json;
use crate::kube::{group_of, type_name};
use crate::load;
use crate::model::problem::Problem;
use crate::write::escape;

use super::config::schema::{self, is_config_group};
use super::config::{found, Config, ConfigError, Found, Layers, INDEX_ANNOTATION, PATH_ANNOTATION};
use super::run::{annotation, failure_summary, help_line, problem_line, problem_message, severity_word, stream, HostRun, Keep};
use super::{Outcome, EXIT_BAD_INPUT, EXIT_UNRESOLVED};

/// Who sends a plain stream: a pipe or a Helm post-renderer (only resources come back, like
/// `bindery render -`), or kustomize's legacy plugin protocol (pass-through items come back,
/// and diagnostics name resources: line numbers in kustomize's internal stream mean nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamHost {
    Pipe,
    KustomizePlugin,
}

/// Process stdin: a ResourceList or a plain stream. `given` is the configuration the host gave
/// besides a functionConfig (the kustomize plugin's transformer config, `--config FILE`),
/// `flags` the command line; the configuration found with the input is read here (README
/// "Configuration").
pub fn filter(bytes: Vec<u8>, given: &Config, flags: &Config, host: StreamHost) -> Outcome {
    let (file, mut docs) = match load::parse_file(PathBuf::from("<stdin>"), PathBuf::from("stdin.yaml"), bytes) {
        Ok(parsed) => parsed,
        Err(e) => return Outcome::bad_input(e.to_string()),
    };
    let lists = docs.iter().filter(|d| is_resource_list(&d.value)).count();
    match (lists, docs.len()) {
        (0, _) => process_stream(file, docs, given, flags, host),
        (1, 1) => {
            // The list's text is not quoted by anything (items get texts of their own): let
            // it go before the run.
            let list = docs.pop().expect("one document").value;
            drop((file, docs));
            process_resource_list(list, given, flags)
        }
        _ => Outcome::bad_input("standard input holds a ResourceList and other documents; expected exactly one ResourceList"),
    }
}

fn is_resource_list(v: &Value) -> bool {
    let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    group_of(api_version) == "config.kubernetes.io" && v.get("kind").and_then(Value::as_str) == Some("ResourceList")
}

/// The configuration of a run over stdin: `.bindery.yaml` of the current directory and the
/// `BindingResolver` documents among the input (README "Configuration"), under `given`
/// (lowest first) and `flags`.
fn stdin_config<'a>(
    documents: impl IntoIterator<Item = (String, &'a Value)>,
    skip: Option<&Value>,
    given: Vec<Config>,
    flags: &Config,
) -> Result<Config, ConfigError> {
    let mut found = Found::default();
    let cwd = found::add_config_files(&mut found, &[PathBuf::from("-")], &[]);
    let docs = found::add_documents(&mut found, documents, skip);
    let errors: Vec<ConfigError> = [cwd, docs].into_iter().filter_map(Result::err).collect();
    if let Some(e) = ConfigError::all(errors) {
        return Err(e);
    }
    Layers { found, given, flags: flags.clone(), ..Layers::default() }.effective()
}

fn process_stream(file: Arc<SourceFile>, docs: Vec<Document>, given: &Config, flags: &Config, host: StreamHost) -> Outcome {
    let config = match stdin_config(docs.iter().map(|d| (d.location(), &d.value)), None, vec![given.clone()], flags) {
        Ok(c) => c,
        Err(e) => return Outcome::bad_input(e),
    };
    let (files, docs) = match host {
        StreamHost::Pipe => super::helm::by_template(file, docs),
        StreamHost::KustomizePlugin => (vec![file], docs),
    };
    let run = HostRun::new(files, docs, config.settings());
    let mut stderr = String::new();
    for p in run.rendered.problems() {
        stderr.push_str(&problem_line(p, &run.rendered.loaded.documents, host == StreamHost::Pipe));
        stderr.push('\n');
        stderr.push_str(&help_line(p));
    }
    let keep = match host {
        StreamHost::Pipe => Keep::Resources,
        StreamHost::KustomizePlugin => Keep::AllButOwnConfig,
    };
    match run.output(keep, false) {
        Some(values) => Outcome { stdout: stream(&values), stderr, code: 0 },
        None => {
            stderr.push_str(&failure_summary(&run));
            Outcome { stdout: String::new(), stderr, code: EXIT_UNRESOLVED }
        }
    }
}

/// Where an item came from, for messages: its kpt path (and index), else its position.
fn item_label(i: usize, item: &Value) -> String {
    let path = annotation(item, PATH_ANNOTATION).and_then(Value::as_str);
    let index = annotation(item, INDEX_ANNOTATION).and_then(|v| match v {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    match (path, index.as_deref()) {
        (Some(p), None | Some("0")) => p.to_string(),
        (Some(p), Some(ix)) => format!("{p}#{ix}"),
        (None, _) => format!("items[{i}]"),
    }
}

fn resource_ref(item: &Value) -> Value {
    let mut r = Map::new();
    for (field, pointer) in
        [("apiVersion", "/apiVersion"), ("kind", "/kind"), ("name", "/metadata/name"), ("namespace", "/metadata/namespace")]
    {
        if let Some(s) = item.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            r.insert(field, Value::from(s));
        }
    }
    Value::Object(r)
}

fn file_ref(item: &Value) -> Option<Value> {
    let path = annotation(item, PATH_ANNOTATION).and_then(Value::as_str)?;
    let mut f = Map::new();
    f.insert("path", Value::from(path));
    let index = annotation(item, INDEX_ANNOTATION).and_then(|v| match v {
        Value::String(s) => s.parse::<u64>().ok(),
        other => other.as_u64(),
    });
    if let Some(i) = index {
        f.insert("index", Value::from(i));
    }
    Some(Value::Object(f))
}

/// One functions-spec result for a problem (on `item` when the problem is about one).
pub fn result_of(p: &Problem, item: Option<&Value>) -> Value {
    let mut message = problem_message(p);
    if let Some(h) = &p.help {
        message.push_str(&format!(" (help: {})", escape::controls(h)));
    }
    let mut r = Map::new();
    r.insert("message", Value::from(message));
    r.insert("severity", Value::String(severity_word(p.severity).into()));
    if let Some(item) = item {
        r.insert("resourceRef", resource_ref(item));
        if let Some(f) = file_ref(item) {
            r.insert("file", f);
        }
    }
    r.insert("tags", json!({ "bindery.dev/rule": p.rule }));
    Value::Object(r)
}

fn resource_list(input: &Map, items: Vec<Value>, results: Vec<Value>) -> String {
    resource_list_of(
        input,
        items.len(),
        |range| {
            let mut out = String::new();
            crate::doc::yaml_out::write_sequence_entries(&mut out, &items[range]);
            out
        },
        results,
    )
}

/// [`resource_list`] of `n` items whose text `entries` writes a range at a time (in parallel).
fn resource_list_of(input: &Map, n: usize, entries: impl Fn(std::ops::Range<usize>) -> String + Sync, results: Vec<Value>) -> String {
    let mut head = Map::new();
    head.insert("apiVersion", input.get("apiVersion").cloned().unwrap_or_else(|| "config.kubernetes.io/v1".into()));
    head.insert("kind", "ResourceList".into());
    let mut tail = Map::new();
    if let Some(fc) = input.get("functionConfig").filter(|v| !v.is_null()) {
        tail.insert("functionConfig", fc.clone());
    }
    if !results.is_empty() {
        tail.insert("results", Value::Array(results));
    }
    if n == 0 {
        head.insert("items", Value::Array(Vec::new()));
        head.extend(tail);
        return crate::write::emit::to_yaml(&Value::Object(head));
    }
    // The text `to_yaml` writes for the whole list, with the items written in parallel pieces.
    use rayon::prelude::*;
    let mut out = crate::write::emit::to_yaml(&Value::Object(head));
    out.push_str("items:\n");
    let pieces: Vec<String> = (0..n.div_ceil(64)).into_par_iter().map(|c| entries(c * 64..(c * 64 + 64).min(n))).collect();
    out.reserve(pieces.iter().map(String::len).sum());
    for p in pieces {
        out.push_str(&p);
    }
    if !tail.is_empty() {
        out.push_str(&crate::write::emit::to_yaml(&Value::Object(tail)));
    }
    out
}

/// A bad ResourceList: exit 2 with one error result. The functionConfig is not echoed, nor are
/// bindery's configuration items or items that are not maps: an invalid configuration may hold
/// a pasted Secret, which must not reach kpt's output (hosts discard the items on a non-zero
/// exit anyway, but read the results).
fn bad_resource_list(input: &Map, items: &[Value], e: &ConfigError) -> Outcome {
    let result = json!({"message": format!("[InvalidConfig] {e}"), "severity": "error"});
    let kept: Vec<Value> = items.iter().filter(|i| i.is_object() && !is_config_group(i)).cloned().collect();
    let mut without_config = input.clone();
    without_config.remove("functionConfig");
    Outcome {
        stdout: resource_list(&without_config, kept, vec![result]),
        stderr: format!("bindery: error: {}\n", escape::controls(&e.to_string())),
        code: EXIT_BAD_INPUT,
    }
}

/// Items that are not maps (kpt and kustomize never send them).
fn non_map_items(items: &[Value]) -> Option<ConfigError> {
    let errors: Vec<ConfigError> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| !item.is_object())
        .map(|(i, item)| ConfigError::WrongType { at: format!("ResourceList items[{i}]"), expected: "a map", found: type_name(item) })
        .collect();
    ConfigError::all(errors)
}

/// A ResourceList in, a ResourceList out (see the module documentation).
pub fn process_resource_list(list: Value, given: &Config, flags: &Config) -> Outcome {
    let Value::Object(mut input) = list else {
        return Outcome::bad_input("ResourceList must be a map");
    };
    // The items are moved out (the output list is written from `input` without them).
    let items: Vec<Value> = match input.get_mut("items").map(std::mem::take) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(other) => {
            let e = ConfigError::WrongType { at: "ResourceList items".into(), expected: "a list", found: type_name(&other) };
            return Outcome::bad_input(e);
        }
    };
    if let Some(e) = non_map_items(&items) {
        return bad_resource_list(&input, &items, &e);
    }
    let fc = input.get("functionConfig").cloned().unwrap_or(Value::Null);
    let config = schema::from_function_config(&fc).and_then(|from_fc| {
        let labelled = items.iter().enumerate().map(|(i, item)| (item_label(i, item), item));
        stdin_config(labelled, Some(&fc), vec![from_fc, given.clone()], flags)
    });
    let config = match config {
        Ok(c) => c,
        Err(e) => return bad_resource_list(&input, &items, &e),
    };
    // One synthetic source file per item, so that a problem's location names its item.
    let mut files = Vec::with_capacity(items.len());
    let mut documents = Vec::with_capacity(items.len());
    let mut item_of_file: HashMap<*const SourceFile, usize> = HashMap::new();
    // Each item's text (what a diagnostic quotes) is its YAML, written only if a problem points
    // into it.
    for (i, item) in items.into_iter().enumerate() {
        let label = item_label(i, &item);
        let file = Arc::new(SourceFile::of_document(PathBuf::from(&label), PathBuf::from(&label)));
        item_of_file.insert(Arc::as_ptr(&file), i);
        documents.push(Document { file: file.clone(), line: 1, end_line: Document::TO_END, value: item });
        files.push(file);
    }
    let run = HostRun::new(files, documents, config.settings());
    let mut stderr = String::new();
    let mut results = Vec::new();
    for p in run.rendered.problems() {
        let item = p.location.as_ref().and_then(|l| item_of_file.get(&Arc::as_ptr(&l.file))).map(|&i| run.original(i));
        results.push(result_of(p, item));
        let place = p.location.as_ref().map(|l| format!("{}: ", escape::controls(&l.file.display()))).unwrap_or_default();
        stderr.push_str(&format!("{place}{}: {}\n", severity_word(p.severity), problem_message(p)));
        stderr.push_str(&help_line(p));
    }
    match run.output_parts(Keep::All, true) {
        Some((picks, created)) => {
            // Projected and written a piece at a time: the rendered items are never all held.
            let entries = |range: std::ops::Range<usize>| {
                let mut out = String::new();
                for i in range {
                    if let Some(p) = picks.get(i) {
                        if let Some(v) = run.pick_value(p) {
                            crate::doc::yaml_out::write_sequence_entries(&mut out, std::slice::from_ref(v.as_ref()));
                        }
                    } else {
                        crate::doc::yaml_out::write_sequence_entries(&mut out, std::slice::from_ref(&created[i - picks.len()]));
                    }
                }
                out
            };
            Outcome { stdout: resource_list_of(&input, picks.len() + created.len(), entries, results), stderr, code: 0 }
        }
        None => {
            stderr.push_str(&failure_summary(&run));
            // Fail closed: the items go back unchanged; hosts discard them on a non-zero exit
            // but read the results.
            let items = (0..run.slots.len()).map(|i| run.original(i).clone()).collect();
            Outcome { stdout: resource_list(&input, items, results), stderr, code: EXIT_UNRESOLVED }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::config::FailOn;

    fn parse(text: &str) -> Value {
        let (_, docs) = load::parse_file("t.yaml".into(), "t.yaml".into(), text.as_bytes().to_vec()).unwrap();
        docs[0].value.clone()
    }

    fn out_list(o: &Outcome) -> Value {
        parse(&o.stdout)
    }

    const ITEMS: &str = r#"
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Secret
  metadata:
    name: db
    annotations: {config.kubernetes.io/path: db.yaml, config.kubernetes.io/index: '0', internal.config.kubernetes.io/seqindent: compact}
  stringData: {type: example-db, host: db.internal}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app
    annotations: {config.kubernetes.io/path: app/deploy.yaml, config.kubernetes.io/index: '0', kustomize.config.k8s.io/id: "kind: Deployment\n"}
  spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
- apiVersion: servicebinding.io/v1
  kind: ServiceBinding
  metadata:
    name: db
    annotations: {config.kubernetes.io/path: binding.yaml, config.kubernetes.io/index: '1'}
  spec:
    service: {apiVersion: v1, kind: Secret, name: db}
    workload: {apiVersion: apps/v1, kind: Deployment, name: app}
    env: [{name: DB_HOST, key: host}]
- resources: [a.yaml]
  metadata: {annotations: {config.kubernetes.io/path: kustomization.yaml}}
- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata: {name: app, annotations: {config.kubernetes.io/local-config: "true"}}
"#;

    #[test]
    fn resource_list_round_trip_keeps_annotations_and_config_items() {
        let o = filter(ITEMS.as_bytes().to_vec(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let list = out_list(&o);
        assert_eq!(list["kind"], "ResourceList");
        let items = list["items"].as_array().unwrap();
        let kinds: Vec<_> = items.iter().map(|i| i["kind"].as_str().unwrap_or("-")).collect();
        assert_eq!(kinds, ["Secret", "Deployment", "-", "Kptfile"], "binding consumed, config kept");
        let dep = &items[1];
        assert_eq!(dep["metadata"]["annotations"]["config.kubernetes.io/path"], "app/deploy.yaml");
        assert_eq!(dep["metadata"]["annotations"]["kustomize.config.k8s.io/id"], "kind: Deployment\n");
        let env = &dep["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[1]["valueFrom"]["secretKeyRef"]["name"], "db");
        assert_eq!(items[0]["metadata"]["annotations"]["internal.config.kubernetes.io/seqindent"], "compact");
        assert_eq!(items[2]["resources"][0], "a.yaml");
        assert!(list.get("results").is_none());
    }

    #[test]
    fn function_config_options_and_flags_layer() {
        let with_fc = format!("{ITEMS}functionConfig: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: function-input}}, data: {{keepBindings: 'true'}}}}\n");
        let o = filter(with_fc.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let list = out_list(&o);
        assert_eq!(list["items"].as_array().unwrap().len(), 5, "binding kept");
        assert_eq!(list["functionConfig"]["data"]["keepBindings"], "true", "functionConfig echoed");

        let fc = parse("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: r}\nspec: {namespace: shop, keepBindings: true, failOn: warning}\n");
        let c = Config::from_function_config(&fc).unwrap();
        assert_eq!(c.namespace.as_deref(), Some("shop"));
        let flags = Config { namespace: Some("other".into()), ..Config::default() };
        let s = c.then(flags).settings();
        assert_eq!(s.options.default_namespace, "other");
        assert!(s.keep_bindings);
        assert_eq!(s.fail_on, FailOn::Warning);
    }

    #[test]
    fn bad_function_config_is_bad_input_with_a_result() {
        let bad =
            format!("{ITEMS}functionConfig: {{apiVersion: bindery.dev/v1alpha1, kind: BindingResolver, spec: {{keepBinding: true}}}}\n");
        let o = filter(bad.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stderr.contains("keepBinding"), "{}", o.stderr);
        let list = out_list(&o);
        assert_eq!(list["results"][0]["severity"], "error");
        assert_eq!(list["items"].as_array().unwrap().len(), 5, "items unchanged");
        let other = Config::from_function_config(&parse("apiVersion: apps/v1\nkind: Deployment\n")).unwrap_err();
        assert!(other.to_string().contains("unsupported functionConfig"), "{other}");
    }

    #[test]
    fn errors_become_results_with_resource_ref_and_file_and_exit_1() {
        let broken = ITEMS.replace("key: host", "key: port");
        let o = filter(broken.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, EXIT_UNRESOLVED);
        assert!(o.stderr.contains("binding.yaml#1: error: [EnvKeyNotFound]"), "{}", o.stderr);
        assert!(!o.stderr.contains("db.internal"), "no secret values: {}", o.stderr);
        let list = out_list(&o);
        let r = &list["results"][0];
        assert_eq!(r["severity"], "error");
        assert_eq!(r["resourceRef"]["kind"], "ServiceBinding");
        assert_eq!(r["resourceRef"]["name"], "db");
        assert_eq!(r["file"]["path"], "binding.yaml");
        assert_eq!(r["file"]["index"], 1);
        assert_eq!(r["tags"]["bindery.dev/rule"], "EnvKeyNotFound");
        let items = list["items"].as_array().unwrap();
        assert!(items[1]["spec"]["template"]["spec"]["containers"][0].get("env").is_none(), "fail closed");
    }

    #[test]
    fn local_config_bindings_are_read_but_kept_untouched() {
        let local = ITEMS.replace(
            "annotations: {config.kubernetes.io/path: binding.yaml,",
            "annotations: {config.kubernetes.io/local-config: 'true', config.kubernetes.io/path: binding.yaml,",
        );
        let o = filter(local.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let items = out_list(&o)["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 5);
        assert_eq!(items[2]["kind"], "ServiceBinding");
        assert_eq!(items[1]["spec"]["template"]["spec"]["containers"][0]["env"][1]["name"], "DB_HOST");
    }

    #[test]
    fn plain_stream_in_plain_stream_out() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: pg, host: h}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, annotations: {kustomize.config.k8s.io/id: x}}\nspec: {template: {spec: {containers: [{name: web}]}}}\n---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n";
        let o = filter(text.as_bytes().to_vec(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.starts_with("---\napiVersion: v1\nkind: Secret"), "{}", o.stdout);
        assert!(!o.stdout.contains("ServiceBinding"));
        assert!(o.stdout.contains("kustomize.config.k8s.io/id: x"));
        let keep = Config { keep_bindings: Some(true), ..Config::default() };
        let o = filter(text.as_bytes().to_vec(), &keep, &Config::default(), StreamHost::Pipe);
        assert!(o.stdout.contains("kind: ServiceBinding"));
        let broken = text.replace("name: db}\nspec:", "name: db}\nspec:\n  env: [{name: X, key: nope}]");
        let o = filter(broken.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, EXIT_UNRESOLVED);
        assert!(o.stdout.is_empty());
        assert!(o.stderr.contains("<stdin>:"), "{}", o.stderr);
    }

    const PASTED: &str = "Sup3r_S3cret_Token";

    #[track_caller]
    fn assert_never_shown(o: &Outcome) {
        assert_eq!(o.code, EXIT_BAD_INPUT, "{}", o.stderr);
        assert!(!o.stdout.contains(PASTED) && !o.stderr.contains(PASTED), "stdout:\n{}\nstderr:\n{}", o.stdout, o.stderr);
    }

    #[test]
    fn a_malformed_configuration_is_described_never_echoed() {
        let bad_fc = [
            format!("{{apiVersion: bindery.dev/v1alpha1, kind: BindingResolver, spec: {{namespace: {{password: {PASTED}}}}}}}"),
            format!(
                "{{apiVersion: bindery.dev/v1alpha1, kind: BindingResolver, spec: {{secrets: [{{name: x, keys: {{token: {PASTED}}}}}]}}}}"
            ),
            format!("{{apiVersion: v1, kind: ConfigMap, metadata: {{name: function-input}}, data: {{namespace: {PASTED}}}}}"),
            format!("{{apiVersion: v1, kind: ConfigMap, data: {PASTED}}}"),
            PASTED.to_string(),
        ];
        for fc in bad_fc {
            let o = filter(format!("{ITEMS}functionConfig: {fc}\n").into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
            assert_never_shown(&o);
            let list = out_list(&o);
            assert!(list.get("functionConfig").is_none(), "not echoed");
            assert_eq!(list["results"][0]["severity"], "error");
        }
        // A BindingResolver among the items (a kpt package's bindery.yaml) and malformed items.
        let resolver = format!(
            "- apiVersion: bindery.dev/v1alpha1\n  kind: BindingResolver\n  metadata: {{name: b, annotations: {{config.kubernetes.io/local-config: 'true'}}}}\n  spec: {{allowMissingSecrets: {PASTED}}}\n"
        );
        for extra in [resolver, format!("- {PASTED}\n"), format!("- [{PASTED}]\n")] {
            let with = ITEMS.replacen("items:\n", &format!("items:\n{extra}"), 1);
            let o = filter(with.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
            assert_never_shown(&o);
            assert_eq!(out_list(&o)["items"].as_array().unwrap().len(), 5, "the well-formed items only");
        }
        let o = filter(
            format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {PASTED}\n").into_bytes(),
            &Config::default(),
            &Config::default(),
            StreamHost::Pipe,
        );
        assert_never_shown(&o);
        assert!(o.stdout.is_empty() && o.stderr.contains("ResourceList items: expected a list, got a string"), "{}", o.stderr);
        // A plain stream with a malformed BindingResolver.
        let stream =
            format!("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {{name: b}}\nspec: {{failOn: {PASTED}}}\n");
        let o = filter(stream.into_bytes(), &Config::default(), &Config::default(), StreamHost::KustomizePlugin);
        assert_never_shown(&o);
        assert!(o.stdout.is_empty() && o.stderr.contains("spec.failOn: expected error or warning"), "{}", o.stderr);
    }

    #[test]
    fn a_binding_resolver_among_the_items_configures_the_run_and_stays_in_the_package() {
        let resolver = "- apiVersion: bindery.dev/v1alpha1\n  kind: BindingResolver\n  metadata: {name: b, annotations: {config.kubernetes.io/local-config: 'true', config.kubernetes.io/path: bindery.yaml}}\n  spec: {keepBindings: true}\n";
        let with = ITEMS.replacen("items:\n", &format!("items:\n{resolver}"), 1);
        let o = filter(with.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let kinds: Vec<String> =
            out_list(&o)["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap_or("-").to_string()).collect();
        assert_eq!(
            kinds,
            ["BindingResolver", "Secret", "Deployment", "ServiceBinding", "-", "Kptfile"],
            "binding kept, resolver written back"
        );
        // In a plain stream (a pipe, Helm) it configures the run and is not output.
        let stream = "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: b}\nspec: {keepBindings: true}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: pg, host: h}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: web}]}}}\n---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n";
        let o = filter(stream.as_bytes().to_vec(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.contains("kind: ServiceBinding") && !o.stdout.contains("BindingResolver"), "{}", o.stdout);
        let o = filter(stream.as_bytes().to_vec(), &Config::default(), &Config::default(), StreamHost::KustomizePlugin);
        assert!(o.stdout.contains("kind: ServiceBinding") && !o.stdout.contains("BindingResolver"), "{}", o.stdout);
        // Another kind of bindery's group is refused.
        let other = stream.replace("kind: BindingResolver", "kind: BindingResolvers");
        let o = filter(other.into_bytes(), &Config::default(), &Config::default(), StreamHost::Pipe);
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stderr.contains("unknown kind in group bindery.dev"), "{}", o.stderr);
    }
}
