//! The container view of a fixture, as two independent readers see it: `bindery explain
//! --format json` (what bindery says each container gets) and `bindery render` (what the
//! rendered manifests really reference). Both views name Secrets and keys, never a value.

#![allow(dead_code)]

use serde_json::Value;

use super::parse_stream;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run the bindery binary from the repository root (through [`super::run_raw`]).
pub fn bindery(args: &[&str], stdin: Option<&str>) -> Run {
    let out = super::run_raw(&mut super::bindery_command(args), stdin.map(str::as_bytes), super::TIMEOUT);
    Run { code: out.code.unwrap_or(-1), stdout: out.stdout_utf8(), stderr: out.stderr_utf8() }
}

fn source(s: &Value) -> String {
    match s["kind"].as_str().unwrap_or("") {
        "secret" => format!("secret {}[{}]", s["name"].as_str().unwrap(), s["key"].as_str().unwrap()),
        "configMap" => format!("configMap {}[{}]", s["name"].as_str().unwrap(), s["key"].as_str().unwrap()),
        "override" => format!("the binding's {}", s["field"].as_str().unwrap()),
        other => other.to_string(),
    }
}

/// `bindery explain --format json` as lines: per workload and container, every file of every
/// binding directory and every injected variable with its source, and who creates a Secret
/// that is not in the input.
pub fn explain_view(report: &Value) -> String {
    let mut out = Vec::new();
    for w in report["workloads"].as_array().unwrap() {
        for c in w["containers"].as_array().unwrap() {
            out.push(format!(
                "{} {}/{}, container {}",
                w["kind"].as_str().unwrap(),
                w["namespace"].as_str().unwrap(),
                w["name"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            ));
            for b in c["bindings"].as_array().unwrap() {
                out.push(format!("  binding {}", b["binding"].as_str().unwrap()));
                let mount = b["mountPath"].as_str().unwrap_or("");
                for f in b["files"].as_array().into_iter().flatten() {
                    out.push(format!("    file {mount}/{} <- {}", f["name"].as_str().unwrap(), source(&f["source"])));
                }
                for e in b["env"].as_array().into_iter().flatten() {
                    out.push(format!("    env {} <- {}", e["name"].as_str().unwrap(), source(&e["source"])));
                }
                if let Some(s) = b["secretSource"].as_str() {
                    out.push(format!("    {s}"));
                }
            }
        }
    }
    for i in report["idleBindings"].as_array().into_iter().flatten() {
        out.push(format!("idle {}: {}", i["binding"].as_str().unwrap(), i["reason"].as_str().unwrap()));
    }
    out.join("\n")
}

fn pod_spec(w: &Value) -> Option<&Value> {
    [w.pointer("/spec/template/spec"), w.pointer("/spec/jobTemplate/spec/template/spec")].into_iter().flatten().find(|s| s.is_object())
}

fn pod_annotations(w: &Value) -> &Value {
    [w.pointer("/spec/template/metadata/annotations"), w.pointer("/spec/jobTemplate/spec/template/metadata/annotations")]
        .into_iter()
        .flatten()
        .next()
        .unwrap_or(&Value::Null)
}

/// A `metadata.annotations['…']` field reference as the (non-secret) value it reads.
fn field(annotations: &Value, path: &str) -> String {
    match path.strip_prefix("metadata.annotations['").and_then(|p| p.strip_suffix("']")) {
        Some(a) => format!("pod annotation = {}", annotations[a]),
        None => format!("field {path}"),
    }
}

fn items(v: &Value) -> String {
    let list: Vec<String> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| format!("{}->{}", i["key"].as_str().unwrap_or(""), i["path"].as_str().unwrap_or("")))
        .collect();
    if list.is_empty() {
        String::new()
    } else {
        format!(" [{}]", list.join(", "))
    }
}

fn volume(v: &Value, annotations: &Value) -> String {
    if let Some(s) = v.get("secret") {
        return format!("secret {}{}", s["secretName"].as_str().unwrap(), items(s));
    }
    if let Some(c) = v.get("configMap") {
        return format!("configMap {}{}", c["name"].as_str().unwrap(), items(c));
    }
    let mut parts = Vec::new();
    for s in v.pointer("/projected/sources").and_then(Value::as_array).into_iter().flatten() {
        if let Some(sec) = s.get("secret") {
            parts.push(format!("secret {}{}", sec["name"].as_str().unwrap(), items(sec)));
        } else if let Some(cm) = s.get("configMap") {
            parts.push(format!("configMap {}{}", cm["name"].as_str().unwrap(), items(cm)));
        } else if let Some(d) = s.get("downwardAPI") {
            for i in d["items"].as_array().into_iter().flatten() {
                parts.push(format!(
                    "file {} <- {}",
                    i["path"].as_str().unwrap(),
                    field(annotations, i.pointer("/fieldRef/fieldPath").and_then(Value::as_str).unwrap_or(""))
                ));
            }
        }
    }
    format!("projected: {}", parts.join("; "))
}

/// The rendered workloads as lines: per container every variable (a Secret or ConfigMap key
/// reference, a pod annotation, or a literal) and every mount with the volume's sources; then
/// the Secrets and ConfigMaps bindery generated, with their key names only.
pub fn render_view(stream: &str) -> String {
    let mut out = Vec::new();
    let all = parse_stream(stream);
    for w in &all {
        let Some(spec) = pod_spec(w) else { continue };
        let annotations = pod_annotations(w);
        let volumes = spec["volumes"].as_array().cloned().unwrap_or_default();
        let ns = w.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("-");
        for c in ["initContainers", "containers"].iter().flat_map(|k| spec[*k].as_array().cloned().unwrap_or_default()) {
            out.push(format!(
                "{} {ns}/{}, container {}",
                w["kind"].as_str().unwrap(),
                w["metadata"]["name"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            ));
            for e in c["env"].as_array().into_iter().flatten() {
                let name = e["name"].as_str().unwrap();
                let what = if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                    format!("<- secret {}[{}]", r["name"].as_str().unwrap(), r["key"].as_str().unwrap())
                } else if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
                    format!("<- configMap {}[{}]", r["name"].as_str().unwrap(), r["key"].as_str().unwrap())
                } else if let Some(p) = e.pointer("/valueFrom/fieldRef/fieldPath").and_then(Value::as_str) {
                    format!("<- {}", field(annotations, p))
                } else {
                    format!("= {}", e["value"])
                };
                out.push(format!("  env {name} {what}"));
            }
            for e in c["envFrom"].as_array().into_iter().flatten() {
                if let Some(n) = e.pointer("/secretRef/name").and_then(Value::as_str) {
                    out.push(format!("  envFrom secret {n}"));
                } else if let Some(n) = e.pointer("/configMapRef/name").and_then(Value::as_str) {
                    out.push(format!("  envFrom configMap {n}"));
                }
            }
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let v = volumes.iter().find(|v| v["name"] == m["name"]).unwrap_or_else(|| panic!("no volume {}", m["name"]));
                out.push(format!("  mount {} <- {}", m["mountPath"].as_str().unwrap(), volume(v, annotations)));
            }
        }
    }
    for d in &all {
        if let Some(by) = d.pointer("/metadata/annotations/bindery.dev~1generated-for").and_then(Value::as_str) {
            let keys: Vec<&str> =
                ["data", "stringData"].iter().filter_map(|f| d[*f].as_object()).flat_map(|m| m.keys().map(String::as_str)).collect();
            out.push(format!(
                "generated {} {} for {by}: keys {}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap(),
                keys.join(", ")
            ));
        }
    }
    out.join("\n")
}

/// `(severity, rule)` of every problem `bindery check --format json` reports, in order.
pub fn check_rules(args: &[&str]) -> (i32, Vec<(String, String)>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = bindery(&all, None);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    let rules = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["severity"].as_str().unwrap().to_string(), p["rule"].as_str().unwrap().to_string()))
        .collect();
    (run.code, rules)
}
