//! The Service Binding Operator API through the CLI: what the containers see is checked by the
//! conformance oracle (tests/conformance/, tests/cases/sbo-*); these tests check bindery's own
//! promise on top of SBO: no Secret value is copied into the output unless it cannot be
//! referenced, and then only with a warning (or an error, with --deny-secret-copies).

use std::path::Path;

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::common;

fn bindery(args: &[&str]) -> (i32, String, String) {
    let out = common::run(&mut common::bindery_command(args), common::TIMEOUT);
    (out.code.unwrap_or(-1), out.stdout, out.stderr)
}

fn documents(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text).filter_map(|d| Value::deserialize(d).ok()).filter(|v| v.get("kind").is_some()).collect()
}

/// Every value of every Secret in the input, decoded, at least 6 characters long, that does not
/// also appear in a non-Secret input document (a user name equal to an app name is no secret).
fn secret_values(dir: &Path) -> Vec<String> {
    let input = input_documents(dir);
    let public: String = input.iter().filter(|d| d["kind"] != "Secret").map(|d| serde_json::to_string(d).unwrap()).collect();
    let mut values = Vec::new();
    for d in input.iter().filter(|d| d["kind"] == "Secret") {
        for (k, v) in d.get("stringData").and_then(Value::as_object).into_iter().flatten() {
            values.extend(v.as_str().map(str::to_string).filter(|s| s.len() >= 6 && k != "type"));
        }
        for v in d.get("data").and_then(Value::as_object).into_iter().flatten().filter_map(|(_, v)| v.as_str()) {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(v) {
                values.extend(String::from_utf8(bytes).ok().filter(|s| s.len() >= 6));
            }
        }
    }
    values.retain(|v| !public.contains(v.as_str()));
    values
}

/// The input documents, read with an independent parser (not through bindery).
fn input_documents(dir: &Path) -> Vec<Value> {
    common::files_under(dir, &["yaml", "yml"]).iter().flat_map(|p| documents(&std::fs::read_to_string(p).unwrap())).collect()
}

#[test]
fn no_fixture_output_copies_a_secret_value() {
    let mut checked = 0;
    for dir in common::example_fixtures() {
        // Collections of small fixtures (some failing on purpose; not example_fixtures) and the
        // kustomize repository (rendered per overlay) have their own tests: conventions,
        // gitops_repo.
        if dir.file_name().unwrap() == "gitops-repo" {
            continue;
        }
        let values = secret_values(&dir);
        let input_secrets: Vec<String> = input_documents(&dir)
            .iter()
            .filter(|d| d["kind"] == "Secret")
            .map(|d| d["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect();
        let (code, out, err) = bindery(&["render", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", dir.display());
        assert!(!err.contains("SecretValuesCopied"), "{}: {err}", dir.display());
        for doc in documents(&out) {
            let name = doc["metadata"]["name"].as_str().unwrap_or("");
            if doc["kind"] == "Secret" && input_secrets.iter().any(|s| s == name) {
                continue; // the input's own Secrets pass through
            }
            let text = serde_json::to_string(&doc).unwrap();
            for v in &values {
                assert!(!text.contains(v.as_str()), "{}: {} {name} carries a Secret value", dir.display(), doc["kind"]);
            }
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} fixtures checked");
}

const MAPPING_OVER_SECRET: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {user: admin, password: Sup3r-Secret-Pw}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: app-creds}
spec:
  bindAsFiles: false
  services: [{group: "", version: v1, kind: Secret, name: creds, id: c}]
  mappings: [{name: DSN, value: 'postgres://{{ .user }}:{{ .password }}@db:5432/app'}]
  application: {group: apps, version: v1, resource: deployments, name: app}
"#;

#[test]
fn a_mapping_over_secret_values_is_copied_with_a_warning_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("all.yaml"), MAPPING_OVER_SECRET).unwrap();
    let path = dir.path().to_str().unwrap();
    let (code, out, err) = bindery(&["render", path]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("SecretValuesCopied") && err.contains("DSN"), "{err}");
    assert!(!err.contains("Sup3r-Secret-Pw"), "the warning must not show the value: {err}");
    let docs = documents(&out);
    let generated: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "Secret" && d["metadata"]["name"] != "creds").collect();
    assert_eq!(generated.len(), 1, "one generated Secret holds the mapping result");
    assert!(generated[0]["data"].get("DSN").is_some());
    assert!(generated[0]["data"].get("USER").is_none(), "referenced entries are not copied");
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
    let password = env.iter().find(|e| e["name"] == "SECRET_PASSWORD").expect("SECRET_PASSWORD");
    assert_eq!(password["valueFrom"]["secretKeyRef"]["name"], "creds", "Secret entries stay references");

    let (code, out, err) = bindery(&["render", path, "--deny-secret-copies"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("SecretValuesCopied"), "{err}");
}

#[test]
fn sbo_failures_name_the_binding_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let text = MAPPING_OVER_SECRET.replace("name: creds, id: c", "name: missing-creds, id: c");
    std::fs::write(dir.path().join("all.yaml"), text).unwrap();
    let (code, out, err) = bindery(&["render", dir.path().to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("ErrorReadingServices") && err.contains("default/app-creds") && err.contains("missing-creds"), "{err}");
}
