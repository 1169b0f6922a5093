//! Semantics real repositories need: SBO's registry applies by the version a binding reads the
//! service at, whatever version its manifest is written at; servicebinding.io bindings to
//! services that only carry SBO binding annotations resolve as SBO resolves them, by reference.

use serde_json::Value;

use crate::common::views::bindery;
use crate::common::{find, parse_stream, repo};

fn render(input: &str) -> (i32, Vec<Value>, String) {
    let run = bindery(&["render", "-"], Some(input));
    (run.code, parse_stream(&run.stdout), run.stderr)
}

/// The `(file, Secret, key)` items of a workload's projected volume named `volume`.
fn projected_items(workload: &Value, volume: &str) -> Vec<(String, String, String)> {
    let volumes = workload["spec"]["template"]["spec"]["volumes"].as_array().cloned().unwrap_or_default();
    let v = volumes.iter().find(|v| v["name"] == volume).unwrap_or_else(|| panic!("no volume {volume}: {workload}"));
    if let Some(name) = v["secret"]["secretName"].as_str() {
        return vec![("*".into(), format!("secret {name}"), "*".into())]; // the whole Secret, as SBO mounts it
    }
    let mut out = Vec::new();
    for s in v["projected"]["sources"].as_array().unwrap() {
        for (kind, src) in s.as_object().unwrap() {
            for item in src["items"].as_array().cloned().unwrap_or_default() {
                out.push((
                    item["path"].as_str().unwrap().to_string(),
                    format!("{kind} {}", src["name"].as_str().unwrap()),
                    item["key"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_sbo_registry_applies_by_the_version_the_binding_reads_the_service_at() {
    let app = std::fs::read_to_string(repo().join("fixtures/sbo-registry-crunchy/app.yaml")).unwrap();
    let postgres = std::fs::read_to_string(repo().join("fixtures/sbo-registry-crunchy/postgres.yaml")).unwrap();
    // The manifest is written at another served version (PGO 5.8 serves v1 too); the binding
    // reads it at v1beta1, the version SBO's registry knows: SBO's client fetches it at v1beta1.
    let written_at_v1 =
        postgres.replace("apiVersion: postgres-operator.crunchydata.com/v1beta1", "apiVersion: postgres-operator.crunchydata.com/v1");
    assert_ne!(written_at_v1, postgres);
    let (code, out, stderr) = render(&format!("{app}\n---\n{written_at_v1}"));
    assert_eq!(code, 0, "{stderr}");
    let keeper = find(&out, "Deployment", "keeper").unwrap();
    let items = projected_items(keeper, "keeper-hippo");
    let (code, reference, stderr) = render(&format!("{app}\n---\n{postgres}"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(items, projected_items(find(&reference, "Deployment", "keeper").unwrap(), "keeper-hippo"), "the same binding data");
    assert!(items.iter().any(|(file, _, _)| file == "type"), "{items:?}");
    // Read at a version the registry does not know, the registry does not apply (as in SBO),
    // whichever version the manifest is written at: only bindery's PGO convention (the
    // `<name>-pguser-<name>` Secret, no `type`) is left.
    let (code, out, stderr) = render(&format!("{}\n---\n{postgres}", app.replace("version: v1beta1", "version: v1")));
    assert_eq!(code, 0, "{stderr}");
    let items = projected_items(find(&out, "Deployment", "keeper").unwrap(), "keeper-hippo");
    assert!(!items.iter().any(|(file, _, _)| file == "type" || file == "provider"), "{items:?}");
    assert!(items.iter().all(|(_, source, _)| source == "secret hippo-pguser-hippo"), "{items:?}");
}
