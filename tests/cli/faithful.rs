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
        for (kind, src) in s.as_object().unwrap().iter().filter(|(k, _)| *k == "secret" || *k == "configMap") {
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

const ANNOTATED_CRD: &str = "fixtures/sbo-annotated-crd";

/// The annotated-CRD fixture's Database, bound by a servicebinding.io binding.
fn spec_binding_to_annotated_crd(extra_spec: &str) -> String {
    let crd = std::fs::read_to_string(repo().join(ANNOTATED_CRD).join("crd.yaml")).unwrap();
    let database = std::fs::read_to_string(repo().join(ANNOTATED_CRD).join("database.yaml")).unwrap();
    format!(
        r#"{crd}
---
{database}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: orders, namespace: shop}}
spec: {{template: {{spec: {{containers: [{{name: api, image: x, env: [{{name: OWN, value: "1"}}]}}]}}}}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {{name: orders-db, namespace: shop}}
spec:
  service: {{apiVersion: db.example.com/v1, kind: Database, name: orders-db}}
  workload: {{apiVersion: apps/v1, kind: Deployment, name: orders}}
  env:
  - {{name: DB_HOST, key: host}}
  - {{name: DB_PASSWORD, key: password}}
{extra_spec}"#
    )
}

fn volume_name(workload: &Value) -> String {
    let volumes = workload["spec"]["template"]["spec"]["volumes"].as_array().unwrap();
    assert_eq!(volumes.len(), 1, "{workload}");
    volumes[0]["name"].as_str().unwrap().to_string()
}

#[test]
fn a_servicebinding_io_binding_to_an_sbo_annotated_service_resolves_as_sbo_does_by_reference() {
    let input = spec_binding_to_annotated_crd("");
    let (code, out, stderr) = render(&input);
    assert_eq!(code, 0, "{stderr}");
    let orders = find(&out, "Deployment", "orders").unwrap();
    let configmap = out.iter().find(|d| d["kind"] == "ConfigMap").expect("a generated ConfigMap for the non-secret values");
    let cm = format!("configMap {}", configmap["metadata"]["name"].as_str().unwrap());
    let secret = "secret orders-db-credentials".to_string();
    let items = projected_items(orders, &volume_name(orders));
    let expected: Vec<(String, String, String)> = [
        ("host", &cm, "host"),
        ("password", &secret, "password"),
        ("port", &cm, "port"),
        ("type", &cm, "type"),
        ("username", &secret, "user"),
    ]
    .iter()
    .map(|(f, s, k)| (f.to_string(), s.to_string(), k.to_string()))
    .collect();
    assert_eq!(items, expected, "every item by reference: Secret entries from the service's Secret");
    assert_eq!(configmap["data"], serde_json::json!({"host": "orders-db.shop.svc.cluster.local", "port": "5432", "type": "postgresql"}));
    let env = crate::common::container(orders, "api")["env"].clone();
    assert_eq!(env[0], serde_json::json!({"name": "OWN", "value": "1"}), "the container's own variable first");
    assert_eq!(
        crate::common::secret_ref(crate::common::container(orders, "api"), "DB_PASSWORD"),
        Some(("orders-db-credentials".into(), "password".into()))
    );
    assert_eq!(env.as_array().unwrap().iter().find(|e| e["name"] == "DB_HOST").unwrap()["valueFrom"]["configMapKeyRef"]["key"], "host");
    // No Secret value is copied: the only Secret out is the input's, and no other document
    // holds its password.
    assert_eq!(out.iter().filter(|d| d["kind"] == "Secret").count(), 1);
    for d in out.iter().filter(|d| d["kind"] != "Secret") {
        assert!(!d.to_string().contains("Ord3rs-Db-Pa55"), "{d}");
    }
    // check: a notice saying how it was resolved, nothing else.
    let run = bindery(&["check", "--format", "json", "-"], Some(&input));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let rules: Vec<(&str, &str)> =
        report["problems"].as_array().unwrap().iter().map(|p| (p["severity"].as_str().unwrap(), p["rule"].as_str().unwrap())).collect();
    assert_eq!(rules, [("notice", "BindingDataFromAnnotations")]);
    // Rendering the output again changes nothing.
    let rendered = bindery(&["render", "-"], Some(&input)).stdout;
    assert_eq!(bindery(&["render", "-"], Some(&rendered)).stdout, rendered);
    // explain names every file's source.
    let run = bindery(&["explain", "--format", "json", "-"], Some(&input));
    let view = crate::common::views::explain_view(&serde_json::from_str(&run.stdout).unwrap());
    assert!(view.contains("file /bindings/orders-db/username <- secret orders-db-credentials[user]"), "{view}");
    assert!(view.contains("env DB_PASSWORD <- secret orders-db-credentials[password]"), "{view}");
}

#[test]
fn spec_type_wins_and_missing_keys_are_reported_for_collected_data() {
    // spec.type is an item that wins over the service's (SBO §16), delivered as the runtime
    // delivers it: through the downward API.
    let (code, out, stderr) = render(&spec_binding_to_annotated_crd("  type: postgres-custom\n"));
    assert_eq!(code, 0, "{stderr}");
    let orders = find(&out, "Deployment", "orders").unwrap();
    let volume = &orders["spec"]["template"]["spec"]["volumes"][0];
    let sources = volume["projected"]["sources"].as_array().unwrap();
    let downward = sources.iter().find(|s| s.get("downwardAPI").is_some()).expect("a downward API source");
    assert_eq!(downward["downwardAPI"]["items"][0]["path"], "type");
    assert!(!projected_items(orders, &volume_name(orders)).iter().any(|(f, _, _)| f == "type"), "no second type file");
    let annotations = &orders["spec"]["template"]["metadata"]["annotations"];
    assert!(annotations.as_object().unwrap().values().any(|v| v == "postgres-custom"), "{annotations}");
    // A mapped key the binding data lacks fails, naming the items it has.
    let (code, _, stderr) = render(&spec_binding_to_annotated_crd("  type: x\n").replace("key: host}", "key: hostname}"));
    assert_eq!(code, 1);
    assert!(stderr.contains("EnvKeyNotFound") && stderr.contains("hostname"), "{stderr}");
}

#[test]
fn sbo_registry_services_bind_through_servicebinding_io_too() {
    // EDB Postgres for Kubernetes: no status.binding.name, no annotations, no bindery convention;
    // SBO's registry knows its binding data.
    let input = r#"
apiVersion: postgresql.k8s.enterprisedb.io/v1
kind: Cluster
metadata: {name: pg, namespace: shop}
spec: {bootstrap: {initdb: {owner: app, database: appdb}}}
status: {writeService: pg-rw}
---
apiVersion: v1
kind: Secret
metadata: {name: pg-app, namespace: shop}
stringData: {username: app, password: Edb-Pa55}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: shop}
spec: {template: {spec: {containers: [{name: api, image: x}]}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: pg, namespace: shop}
spec:
  service: {apiVersion: postgresql.k8s.enterprisedb.io/v1, kind: Cluster, name: pg}
  workload: {apiVersion: apps/v1, kind: Deployment, name: orders}
"#;
    let (code, out, stderr) = render(input);
    assert_eq!(code, 0, "{stderr}");
    let orders = find(&out, "Deployment", "orders").unwrap();
    let files: Vec<(String, String)> = projected_items(orders, &volume_name(orders)).into_iter().map(|(f, s, _)| (f, s)).collect();
    let names: Vec<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["database", "host", "password", "provider", "type", "username"]);
    assert!(files.contains(&("password".into(), "secret pg-app".into())), "{files:?}");
    assert!(files.contains(&("username".into(), "secret pg-app".into())), "{files:?}");
}
