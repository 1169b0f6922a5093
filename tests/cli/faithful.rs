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

// Round-trip fidelity: output changes nothing but the binding.

/// A document's identity: apiVersion, kind, namespace as written, name.
fn identity(v: &Value) -> (String, String, String, String) {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    (s("/apiVersion"), s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

/// The names a projection writes into `workload`, as the output itself records them:
/// (volume and mount names, variable names).
fn projected_names(workload: &Value) -> (Vec<String>, Vec<String>) {
    let mut volumes = Vec::new();
    let mut env = vec!["SERVICE_BINDING_ROOT".to_string()];
    let mut secrets = Vec::new();
    let mut visit = vec![workload];
    while let Some(v) = visit.pop() {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "annotations" {
                        for (a, value) in x.as_object().into_iter().flatten() {
                            let text = value.as_str().unwrap_or("");
                            if a.starts_with("projector.servicebinding.io/secret-") {
                                secrets.push(text.to_string());
                            }
                            if a.starts_with("bindery.dev/sbo-") || a.starts_with("bindery.dev/spec-env-") {
                                let record: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                                volumes.extend(record["volume"].as_str().map(str::to_string));
                                let names = if record.is_array() { &record } else { &record["env"] };
                                env.extend(names.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
                            }
                        }
                    }
                    // Volumes and mounts of the runtime's projection, in whatever list a mapping
                    // names.
                    for entry in x.as_array().into_iter().flatten() {
                        let name = entry["name"].as_str().unwrap_or("");
                        if name.starts_with("servicebinding-") {
                            volumes.push(name.to_string());
                        }
                    }
                    visit.push(x);
                }
            }
            Value::Array(a) => visit.extend(a),
            _ => {}
        }
    }
    // Variables the runtime projection maps: from the binding Secret, or a pod annotation.
    let mut visit = vec![workload];
    while let Some(v) = visit.pop() {
        match v {
            Value::Object(m) => {
                for list in m.values().filter_map(Value::as_array) {
                    for e in list {
                        let from_secret = e.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str);
                        let field = e.pointer("/valueFrom/fieldRef/fieldPath").and_then(Value::as_str).unwrap_or("");
                        if from_secret.is_some_and(|s| secrets.iter().any(|b| b == s)) || field.contains("projector.servicebinding.io/") {
                            env.extend(e["name"].as_str().map(str::to_string));
                        }
                    }
                }
                visit.extend(m.values());
            }
            Value::Array(a) => visit.extend(a),
            _ => {}
        }
    }
    (volumes, env)
}

/// `v` without what a projection writes: keys of the projection's annotation prefixes (in any
/// map: a mapping may put annotations anywhere), and list entries named in `names` (volumes,
/// mounts, variables; in any list of named entries but containers: mappings name the lists as
/// they like); collections left empty by that are removed (the projection removes the ones it
/// empties, and creates the ones it needs).
fn strip_projection(v: &Value, names: &(Vec<String>, Vec<String>)) -> Value {
    fn ours(k: &str) -> bool {
        ["projector.servicebinding.io/", "bindery.dev/sbo-", "bindery.dev/spec-env-"].iter().any(|p| k.starts_with(p))
    }
    fn projected(e: &Value, names: &(Vec<String>, Vec<String>)) -> bool {
        let Some(name) = e.get("name").and_then(Value::as_str) else { return false };
        e.get("image").is_none() && names.0.iter().chain(&names.1).any(|n| n == name)
    }
    /// `None`: a collection that had entries and has none left.
    fn strip(v: &Value, names: &(Vec<String>, Vec<String>)) -> Option<Value> {
        match v {
            Value::Object(m) => {
                let out: serde_json::Map<String, Value> =
                    m.iter().filter(|(k, _)| !ours(k)).filter_map(|(k, x)| strip(x, names).map(|x| (k.clone(), x))).collect();
                (!out.is_empty() || m.is_empty()).then_some(Value::Object(out))
            }
            Value::Array(items) => {
                let out: Vec<Value> = items.iter().filter(|e| !projected(e, names)).filter_map(|x| strip(x, names)).collect();
                (!out.is_empty() || items.is_empty()).then_some(Value::Array(out))
            }
            other => Some(other.clone()),
        }
    }
    strip(v, names).unwrap_or(Value::Null)
}

/// Whether every string both readers read at the same place is the same string (YAML 1.1 and
/// 1.2 may type a plain scalar differently: `yes`, `0644`).
fn strings_agree(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Object(x), Value::Object(y)) => x.iter().all(|(k, v)| y.get(k).is_none_or(|w| strings_agree(v, w))),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| strings_agree(v, w)),
        _ => true,
    }
}

/// bindery reads every input file of `dir` as libyaml (serde_norway; go-yaml, and so kubectl,
/// is a port of it) reads it: the same documents and the same strings.
fn assert_reads_as_libyaml(dir: &std::path::Path) {
    for file in crate::common::files_under(dir, &["yaml", "yml"]) {
        let text = std::fs::read_to_string(&file).unwrap();
        let Ok(libyaml) = crate::common::try_parse_stream(&text) else { continue }; // a key serde_json cannot hold
        let Ok(ours) = bindery::doc::yaml_in::parse_stream(&text) else { continue };
        let ours: Vec<Value> = ours.into_iter().map(|d| serde_json::to_value(&d.value).unwrap()).filter(|v| !v.is_null()).collect();
        let libyaml: Vec<Value> = libyaml.into_iter().filter(|v| !v.is_null()).collect();
        assert_eq!(ours.len(), libyaml.len(), "{}: documents", file.display());
        for (a, b) in ours.iter().zip(&libyaml) {
            assert!(strings_agree(a, b), "{}: bindery reads {a}\nlibyaml reads {b}", file.display());
        }
    }
}

/// Render `dir` (with `args`) and check that every input document comes out as the input read
/// it (bindery's reader, which reads as kubectl does), except what a projection writes; that the
/// output means the same to an independent YAML reader; and that ServiceBindings are consumed
/// or kept as a whole. `None` when the render fails (nothing is written then).
fn check_fidelity(dir: &std::path::Path, args: &[String]) -> Option<(usize, usize)> {
    let mut all: Vec<String> = vec!["render".into(), dir.to_str().unwrap().into()];
    all.extend(args.iter().cloned());
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = bindery(&refs, None);
    if run.code != 0 {
        assert!(run.stdout.is_empty(), "{}: fail closed", dir.display());
        return None;
    }
    let read_by_bindery: Vec<Value> = bindery::doc::yaml_in::parse_stream(&run.stdout)
        .unwrap_or_else(|e| panic!("{}: bindery cannot read its own output: {e:?}", dir.display()))
        .into_iter()
        .map(|d| serde_json::to_value(&d.value).unwrap())
        .collect();
    let out = parse_stream(&run.stdout);
    assert_eq!(read_by_bindery, out, "{}: the output reads differently under serde_norway", dir.display());
    assert_reads_as_libyaml(dir);
    let loaded = bindery::load::load_paths(&[dir.to_path_buf()]).unwrap();
    let mut inputs: Vec<(Value, bool)> = loaded
        .documents
        .iter()
        .filter(|d| !d.kind().is_empty() && !d.api_version().is_empty())
        .map(|d| (serde_json::to_value(&d.value).unwrap(), false))
        .collect();
    let (mut untouched, mut bound) = (0, 0);
    for o in &out {
        if o.pointer("/metadata/annotations/bindery.dev~1generated-for").is_some() {
            continue; // generated for a binding, not an input document
        }
        let key = identity(o);
        let Some((input, used)) = inputs.iter_mut().find(|(i, used)| !*used && identity(i) == key) else {
            panic!("{}: {key:?} is in the output but not in the input", dir.display());
        };
        *used = true;
        if input == o {
            untouched += 1;
            continue;
        }
        let names = projected_names(o);
        assert_eq!(
            strip_projection(o, &names),
            strip_projection(input, &names),
            "{}: {key:?} differs in more than what the projection writes",
            dir.display()
        );
        bound += 1;
    }
    // What is not in the output was consumed: ServiceBindings (and mappings with --drop-mappings),
    // what an earlier render generated, and the tools' own configuration, which is never a
    // resource to apply (bindery's BindingResolver, Kustomizations, Kptfiles, local-config
    // documents; README "Configuration").
    for (input, used) in &inputs {
        let group = input["apiVersion"].as_str().unwrap_or("").split('/').next().unwrap_or("");
        let tool_config = matches!(group, "bindery.dev" | "kustomize.config.k8s.io" | "config.kubernetes.io")
            || (group == "kpt.dev" && input["kind"] == "Kptfile")
            || input.pointer("/metadata/annotations/config.kubernetes.io~1local-config").is_some_and(|v| v == "true" || v == true);
        let consumed =
            input["kind"] == "ServiceBinding" || input.pointer("/metadata/annotations/bindery.dev~1generated-for").is_some() || tool_config;
        assert!(*used || consumed, "{}: {:?} is missing from the output", dir.display(), identity(input));
    }
    Some((untouched, bound))
}

#[test]
fn output_changes_nothing_but_the_binding_for_every_fixture_and_conformance_input() {
    let mut inputs: Vec<(std::path::PathBuf, Vec<String>)> = crate::common::all_fixtures().into_iter().map(|d| (d, Vec::new())).collect();
    if let Some(kit) = crate::common::conformance_kit() {
        let mut cases: Vec<std::path::PathBuf> = std::fs::read_dir(kit.join("cases")).unwrap().map(|e| e.unwrap().path()).collect();
        cases.sort();
        for case in cases {
            let spec: Value = serde_norway::from_str(&std::fs::read_to_string(case.join("case.yaml")).unwrap()).unwrap();
            let args = spec["args"].as_array().into_iter().flatten().map(|a| a.as_str().unwrap().to_string()).collect();
            inputs.push((case.join("input"), args));
        }
    }
    let (mut rendered, mut untouched, mut bound) = (0, 0, 0);
    for (dir, args) in &inputs {
        if let Some((u, b)) = check_fidelity(dir, args) {
            rendered += 1;
            untouched += u;
            bound += b;
        }
    }
    assert!(
        rendered >= 40 && untouched >= 100 && bound >= 50,
        "{rendered} inputs rendered, {untouched} untouched and {bound} bound documents"
    );
}

#[test]
fn fidelity_catches_a_changed_value() {
    // The check itself: a block scalar at the end of a file (a SAP BTP secretTemplate) that came
    // out with a newline added would be a difference outside the projection.
    let tmp = crate::common::tempdir();
    crate::common::write(
        tmp.path(),
        "btp.yaml",
        "apiVersion: services.cloud.sap.com/v1\nkind: ServiceBinding\nmetadata: {name: x}\nspec:\n  secretTemplate: |\n    url: {{ .credentials.url }}",
    );
    let (untouched, bound) = check_fidelity(tmp.path(), &[]).expect("renders");
    assert_eq!((untouched, bound), (1, 0));
}
