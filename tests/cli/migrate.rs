//! `bindery migrate`: Service Binding Operator bindings rewritten as servicebinding.io/v1 only
//! where every container sees the same, proven by rendering both sets.
//!
//! The round trip runs over every SBO input the project has (fixtures/sbo-*, fixtures/runtime-secrets,
//! and the sboa-*/sbob-* cases of the conformance kit), as they are and with a `type` entry added
//! to every Secret (the spec API requires one, so without it almost nothing can migrate): each
//! binding either migrates and the container views of the original and migrated sets are equal
//! (checked here again, independently of the command's own proof), or it is reported with a reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bindery::doc::value::Value;
use bindery::json;
use bindery::load::{load_paths, Loaded};
use bindery::migrate::{compare, container_views, migrate, render_with, Migration, TARGET_API_VERSION};
use bindery::resolve::Options;

use crate::common;

fn options(dir: &Path) -> Options {
    // The configuration `bindery migrate DIR` reads: the `.bindery.yaml` next to DIR.
    let mut found = bindery::hosts::config::Found::default();
    bindery::hosts::config::found::add_config_files(&mut found, &[dir.to_path_buf()], &[]).unwrap();
    bindery::hosts::config::Layers { found, ..Default::default() }.effective().unwrap().settings().options
}

fn load_dir(dir: &Path) -> Loaded {
    load_paths(&[dir.to_path_buf()]).unwrap_or_else(|e| panic!("{}: {} load error(s)", dir.display(), e.len()))
}

fn load_text(text: &str) -> Loaded {
    let (file, documents) = bindery::load::parse_file("test.yaml".into(), "test.yaml".into(), text.as_bytes().to_vec()).unwrap();
    Loaded { files: vec![file], documents }
}

/// The same input with a `type` entry in every readable Secret that has none.
fn with_types(mut loaded: Loaded) -> Loaded {
    for d in &mut loaded.documents {
        let v = &mut d.value;
        if v["apiVersion"] != "v1" || v["kind"] != "Secret" || v.get("sops").is_some() {
            continue;
        }
        let has = |f: &str| v.get(f).and_then(Value::as_object).is_some_and(|m| m.contains_key("type"));
        if !has("data") && !has("stringData") {
            if !v.get("stringData").is_some_and(Value::is_object) {
                v["stringData"] = json!({});
            }
            v["stringData"]["type"] = json!("example");
        }
    }
    loaded
}

/// Every SBO input: fixture folders and conformance case inputs.
fn corpus() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = common::example_fixtures()
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("sbo-") || n == "runtime-secrets"
        })
        .collect();
    if let Some(kit) = common::conformance_kit() {
        dirs.extend(
            std::fs::read_dir(kit.join("cases"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    let n = p.file_name().unwrap().to_string_lossy();
                    n.starts_with("sboa-") || n.starts_with("sbob-")
                })
                .map(|p| p.join("input")),
        );
    }
    dirs.sort();
    dirs
}

/// Render the original and the migrated documents and compare their container views.
fn assert_views_equal(loaded: &Loaded, m: &Migration, opts: &Options, what: &str) {
    let original = render_with(loaded, &BTreeMap::new(), opts);
    let all: BTreeMap<usize, Value> = m.documents.iter().cloned().enumerate().collect();
    let migrated = render_with(loaded, &all, opts);
    assert!(migrated.output.is_some(), "{what}: the migrated set does not render: {:?}", migrated.problems());
    let before = container_views(&original, &opts.default_namespace);
    let after = container_views(&migrated, &opts.default_namespace);
    assert!(!before.containers.is_empty() || m.migrated() == 0, "{what}: a migrated set with no bound container proves nothing");
    let differences = compare(&before, &after);
    assert!(differences.is_empty(), "{what}: {differences:?}");
}

#[test]
fn every_sbo_binding_migrates_with_the_same_container_view_or_is_reported_with_a_reason() {
    let (mut migrated, mut reported, mut unrenderable, mut inputs) = (0, 0, 0, 0);
    let mut codes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for dir in corpus() {
        let opts = options(&dir);
        for (variant, loaded) in [("as is", load_dir(&dir)), ("with types", with_types(load_dir(&dir)))] {
            let what = format!("{} ({variant})", dir.display());
            let originals: Vec<Value> = loaded.documents.iter().map(|d| d.value.clone()).collect();
            let Ok(m) = migrate(Loaded { files: loaded.files.clone(), documents: loaded.documents.clone() }, &opts) else {
                unrenderable += 1; // an input that fails to render has nothing to prove (exit 1)
                continue;
            };
            inputs += 1;
            assert_eq!(m.documents.len(), originals.len(), "{what}");
            for o in &m.outcomes {
                let doc = &m.documents[o.doc];
                if o.migrated {
                    migrated += 1;
                    assert_eq!(doc["apiVersion"], TARGET_API_VERSION, "{what}: {}", o.binding);
                    assert!(o.reasons.is_empty(), "{what}: {}", o.binding);
                } else {
                    reported += 1;
                    assert!(!o.reasons.is_empty(), "{what}: {} is not migrated without a reason", o.binding);
                    assert_eq!(doc, &originals[o.doc], "{what}: an unmigrated binding is kept as it is");
                    for r in &o.reasons {
                        *codes.entry(r.code).or_default() += 1;
                    }
                }
            }
            // Every other document passes through untouched.
            for (i, v) in m.documents.iter().enumerate() {
                if !m.outcomes.iter().any(|o| o.doc == i) {
                    assert_eq!(v, &originals[i], "{what}: document {i} changed");
                }
            }
            assert_views_equal(&loaded, &m, &opts, &what);
        }
    }
    eprintln!("{inputs} inputs ({unrenderable} unrenderable): {migrated} migrated, {reported} reported: {codes:?}");
    assert!(inputs >= 8, "only {inputs} inputs rendered");
    assert!(migrated >= 8, "only {migrated} bindings migrated");
    assert!(reported >= 10, "only {reported} bindings reported");
    for code in ["MissingType", "GeneratedBindingData", "CustomMappings", "MultipleServices", "EnvOnlyProjection", "ViewDiffers"] {
        assert!(codes.contains_key(code), "no binding of the corpus is reported with {code}: {codes:?}");
    }
}

#[test]
fn the_migration_fixture_migrates_three_bindings_and_explains_two() {
    let dir = common::repo().join("fixtures/sbo-migration");
    let loaded = load_dir(&dir);
    let m = migrate(Loaded { files: loaded.files.clone(), documents: loaded.documents.clone() }, &options(&dir)).ok().unwrap();
    let status: Vec<(&str, bool)> = m.outcomes.iter().map(|o| (o.binding.as_str(), o.migrated)).collect();
    assert_eq!(
        status,
        [
            ("shop/orders-db", true),
            ("shop/backend-cache", true),
            ("shop/ledger-db", true),
            ("shop/ledger-cache-env", false),
            ("shop/orders-queue", false)
        ]
    );
    let by_name = |n: &str| m.outcomes.iter().find(|o| o.binding == n).unwrap();
    let env = by_name("shop/ledger-cache-env");
    assert!(env.has_reason("EnvOnlyProjection") && env.has_reason("ViewDiffers"), "{env:?}");
    assert_eq!(
        env.differences[0].files_added,
        ["/bindings/ledger-cache-env/host", "/bindings/ledger-cache-env/password", "/bindings/ledger-cache-env/type"]
    );
    assert!(by_name("shop/orders-queue").has_reason("MissingType"));
    // The migrated documents are what a reviewer expects.
    let orders = &m.documents[by_name("shop/orders-db").doc];
    assert_eq!(orders["spec"]["service"], json!({"apiVersion": "db.example.com/v1", "kind": "Database", "name": "orders-db"}));
    assert_eq!(orders["spec"]["workload"], json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders"}));
    let cache = &m.documents[by_name("shop/backend-cache").doc];
    assert_eq!(cache["spec"]["name"], "cache");
    assert_eq!(cache["spec"]["service"], json!({"apiVersion": "v1", "kind": "Secret", "name": "cache-credentials"}));
    assert_eq!(cache["spec"]["workload"]["selector"], json!({"matchLabels": {"tier": "backend"}}));
    let ledger = &m.documents[by_name("shop/ledger-db").doc];
    assert_eq!(ledger["spec"]["workload"]["kind"], "StatefulSet");
    assert!(ledger["spec"].get("application").is_none());
    assert_views_equal(&loaded, &m, &options(&dir), "sbo-migration");
}

#[test]
fn the_proof_detects_a_different_view() {
    let dir = common::repo().join("fixtures/sbo-migration");
    let loaded = load_dir(&dir);
    let opts = options(&dir);
    let m = migrate(Loaded { files: loaded.files.clone(), documents: loaded.documents.clone() }, &opts).ok().unwrap();
    let before = container_views(&render_with(&loaded, &BTreeMap::new(), &opts), "default");
    let orders = m.outcomes.iter().find(|o| o.binding == "shop/orders-db").unwrap().doc;

    // Another directory name: every file moves.
    let mut renamed = m.documents[orders].clone();
    renamed["spec"]["name"] = json!("elsewhere");
    let after = container_views(&render_with(&loaded, &[(orders, renamed)].into(), &opts), "default");
    let d = compare(&before, &after);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].workload.as_str(), d[0].container.as_str()), ("Deployment shop/orders", "app"));
    assert!(d[0].files_removed.contains(&"/bindings/orders-db/password".to_string()), "{d:?}");
    assert!(d[0].files_added.contains(&"/bindings/elsewhere/password".to_string()), "{d:?}");

    // Another Secret value: the file's content changes, and only its name is reported.
    let secret = loaded.documents.iter().position(|d| d.name() == "orders-db-binding").unwrap();
    let mut changed = loaded.documents[secret].value.clone();
    changed["stringData"]["password"] = json!("Another-Pa55w0rd");
    let after =
        container_views(&render_with(&loaded, &[(orders, m.documents[orders].clone()), (secret, changed)].into(), &opts), "default");
    let d = compare(&before, &after);
    assert_eq!(d[0].files_changed, ["/bindings/orders-db/password"], "{d:?}");
    let text = format!("{} {:?}", d[0].describe(), after);
    assert!(!text.contains("Pa55w0rd"), "{text}");

    // The migrated set itself has no difference.
    let all: BTreeMap<usize, Value> = m.documents.iter().cloned().enumerate().collect();
    assert!(compare(&before, &container_views(&render_with(&loaded, &all, &opts), "default")).is_empty());
}

// ---------------------------------------------------------------------------------------------
// one test per reason
// ---------------------------------------------------------------------------------------------

const BASE: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {type: postgresql, host: db.internal, password: Base-Pa55word}
---
apiVersion: v1
kind: Secret
metadata: {name: other}
stringData: {type: redis, token: Other-T0ken-Value}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, labels: {app: web}}
spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
---
"#;

/// The outcome of the one binding in `BASE` + `binding`.
fn outcome(binding: &str) -> bindery::migrate::Outcome {
    let loaded = load_text(&format!("{BASE}{binding}"));
    match migrate(loaded, &Options::default()) {
        Ok(m) => m.outcomes.into_iter().next().expect("one binding"),
        Err(bindery::migrate::Unrenderable(r)) => panic!("does not render: {:?}", r.problems()),
    }
}

fn sbo(spec: &str) -> String {
    format!("apiVersion: binding.operators.coreos.com/v1alpha1\nkind: ServiceBinding\nmetadata: {{name: b}}\nspec:\n{spec}")
}

const SERVICE: &str = "  services: [{group: '', version: v1, kind: Secret, name: db}]\n";
const APP: &str = "  application: {group: apps, version: v1, kind: Deployment, name: app}\n";

fn assert_reason(spec: &str, code: &str) {
    let o = outcome(&sbo(spec));
    assert!(!o.migrated && o.has_reason(code), "expected {code}: {o:?}");
}

#[test]
fn the_plain_binding_migrates() {
    let o = outcome(&sbo(&format!("{SERVICE}{APP}")));
    assert!(o.migrated, "{o:?}");
}

#[test]
fn multiple_services_are_not_migrated() {
    assert_reason(
        &format!("  services: [{{group: '', version: v1, kind: Secret, name: db}}, {{group: '', version: v1, kind: Secret, name: other}}]\n{APP}"),
        "MultipleServices",
    );
}

#[test]
fn custom_mappings_are_not_migrated() {
    assert_reason(&format!("{SERVICE}{APP}  mappings: [{{name: url, value: 'postgres://{{{{ .host }}}}'}}]\n"), "CustomMappings");
}

#[test]
fn a_naming_strategy_that_renames_files_is_not_migrated() {
    assert_reason(&format!("{SERVICE}{APP}  namingStrategy: 'db_{{{{ .name }}}}'\n"), "NamingStrategy");
    assert_reason(&format!("{SERVICE}{APP}  namingStrategy: uppercase\n"), "NamingStrategy");
}

#[test]
fn annotation_derived_data_is_not_migrated() {
    let o = outcome(&format!(
        "apiVersion: example.com/v1\nkind: Cache\nmetadata:\n  name: c\n  annotations:\n    service.binding/host: path={{.status.host}}\n    service.binding/type: redis\nstatus: {{host: c.internal}}\n---\n{}",
        sbo(&format!("  services: [{{group: example.com, version: v1, kind: Cache, name: c}}]\n{APP}"))
    ));
    assert!(!o.migrated && o.has_reason("GeneratedBindingData"), "{o:?}");
}

#[test]
fn one_annotated_secret_entry_is_a_partial_secret() {
    let o = outcome(&format!(
        "apiVersion: example.com/v1\nkind: Cache\nmetadata:\n  name: c\n  annotations:\n    service.binding/token: path={{.status.secret}},objectType=Secret,sourceKey=token\nstatus: {{secret: other}}\n---\n{}",
        sbo(&format!("  services: [{{group: example.com, version: v1, kind: Cache, name: c}}]\n{APP}"))
    ));
    assert!(!o.migrated && o.has_reason("PartialSecret"), "{o:?}");
}

#[test]
fn a_whole_annotated_secret_migrates_as_a_direct_reference_with_a_note() {
    let o = outcome(&format!(
        "apiVersion: example.com/v1\nkind: Cache\nmetadata:\n  name: c\n  annotations:\n    service.binding: path={{.status.secret}},objectType=Secret\nstatus: {{secret: other}}\n---\n{}",
        sbo(&format!("  services: [{{group: example.com, version: v1, kind: Cache, name: c}}]\n{APP}"))
    ));
    assert!(o.migrated, "{o:?}");
    assert!(o.notes.iter().any(|n| n.contains("names that Secret directly")), "{o:?}");
}

#[test]
fn detect_binding_resources_is_not_migrated() {
    assert_reason(&format!("{SERVICE}{APP}  detectBindingResources: true\n"), "DetectBindingResources");
}

#[test]
fn env_only_bindings_are_proven_different() {
    let o = outcome(&sbo(&format!("{SERVICE}{APP}  bindAsFiles: false\n  namingStrategy: none\n")));
    assert!(!o.migrated && o.has_reason("EnvOnlyProjection") && o.has_reason("ViewDiffers"), "{o:?}");
    let d = &o.differences[0];
    assert_eq!(d.variables_added, ["SERVICE_BINDING_ROOT"]);
    assert_eq!(d.files_added, ["/bindings/b/host", "/bindings/b/password", "/bindings/b/type"]);
}

#[test]
fn legacy_mount_path_and_binding_paths_are_not_migrated() {
    assert_reason(&format!("{SERVICE}{APP}  mountPath: /var/creds\n"), "MountPath");
    assert_reason(&format!("{SERVICE}  namePrefix: db\n{APP}"), "LegacyField");
    assert_reason(
        &format!("{SERVICE}  application: {{group: apps, version: v1, kind: Deployment, name: app, bindingPath: {{containersPath: spec.containers}}}}\n"),
        "ContainersPath",
    );
    assert_reason(
        &format!(
            "{SERVICE}  application: {{group: apps, version: v1, kind: Deployment, name: app, bindingPath: {{secretPath: spec.secret}}}}\n"
        ),
        "SecretPath",
    );
}

#[test]
fn selectors_sbo_reads_differently_are_not_migrated() {
    let expressions = "  application:\n    group: apps\n    version: v1\n    kind: Deployment\n    labelSelector:\n      matchLabels: {app: web}\n      matchExpressions: [{key: app, operator: Exists}]\n";
    assert_reason(&format!("{SERVICE}{expressions}"), "SelectorExpressions");
    let both = "  application:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: app\n    labelSelector:\n      matchExpressions: [{key: app, operator: Exists}]\n";
    assert_reason(&format!("{SERVICE}{both}"), "NameAndSelector");
    let labels = "  application:\n    group: apps\n    version: v1\n    kind: Deployment\n    labelSelector: {matchLabels: {app: web}}\n";
    assert!(outcome(&sbo(&format!("{SERVICE}{labels}"))).migrated);
}

#[test]
fn a_secret_without_type_is_not_migrated() {
    let o = outcome(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: plain}}\nstringData: {{user: u}}\n---\n{}",
        sbo(&format!("  services: [{{group: '', version: v1, kind: Secret, name: plain}}]\n{APP}"))
    ));
    assert!(!o.migrated && o.has_reason("MissingType"), "{o:?}");
}

#[test]
fn a_service_in_another_namespace_is_not_migrated() {
    let o = outcome(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: far, namespace: elsewhere}}\nstringData: {{type: t}}\n---\n{}",
        sbo(&format!("  services: [{{group: '', version: v1, kind: Secret, name: far, namespace: elsewhere}}]\n{APP}"))
    ));
    assert!(!o.migrated && o.has_reason("ServiceInOtherNamespace") && o.has_reason("SecretInOtherNamespace"), "{o:?}");
}

#[test]
fn an_application_named_by_resource_takes_its_kind_from_the_crd() {
    // The application is found by the CRD's plural; a plural the CRD does not declare is not.
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: geese.example.com}\nspec:\n  group: example.com\n  names: {kind: Goose, plural: geese}\n---\napiVersion: example.com/v1\nkind: Goose\nmetadata: {name: g}\nspec: {template: {spec: {containers: [{name: web, image: g:1}]}}}\n---\n";
    let o = outcome(&format!(
        "{crd}{}",
        sbo(&format!("{SERVICE}  application: {{group: example.com, version: v1, resource: geese, name: g}}\n"))
    ));
    assert!(o.migrated, "the CRD names the kind: {o:?}");
}

#[test]
fn a_name_a_servicebinding_io_binding_has_is_not_taken_twice() {
    let spec_binding = "apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: b}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: other}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n---\n";
    let o = outcome(&format!("{spec_binding}{}", sbo(&format!("{SERVICE}{APP}"))));
    assert!(!o.migrated && o.has_reason("NameTaken"), "{o:?}");
}

#[test]
fn legacy_v1alpha2_bindings_migrate() {
    let o = outcome("apiVersion: service.binding/v1alpha2\nkind: ServiceBinding\nmetadata: {name: b}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  application: {apiVersion: apps/v1, kind: Deployment, name: app}\n  env: [{name: DB_HOST, key: host}]\n");
    assert!(o.migrated, "{o:?}");
}

// ---------------------------------------------------------------------------------------------
// the command
// ---------------------------------------------------------------------------------------------

fn run(args: &[&str]) -> (i32, String, String) {
    let out = common::run_raw(&mut common::bindery_command(args), None, common::TIMEOUT);
    (out.code.unwrap_or(-1), out.stdout_utf8(), out.stderr_utf8())
}

/// Every Secret value (decoded) of a folder's input, long enough to be told from ordinary text.
fn secret_values(dir: &Path) -> Vec<String> {
    use base64::Engine;
    let mut out = Vec::new();
    let loaded = load_dir(dir);
    // Values that also appear outside Secrets (a user name equal to a Deployment's name) cannot
    // be attributed to a leak.
    let public: String = loaded.documents.iter().filter(|d| d.kind() != "Secret").map(|d| d.value.to_string()).collect();
    for d in loaded.documents.iter().filter(|d| d.kind() == "Secret") {
        for (k, v) in d.value.get("stringData").and_then(Value::as_object).into_iter().flatten() {
            out.push((k.clone(), v.as_str().unwrap_or("").to_string()));
        }
        for (k, v) in d.value.get("data").and_then(Value::as_object).into_iter().flatten() {
            let bytes = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or("")).unwrap_or_default();
            out.push((k.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out.into_iter().filter(|(k, v)| k != "type" && v.len() >= 6 && !public.contains(v.as_str())).map(|(_, v)| v).collect()
}

#[test]
fn no_secret_value_appears_in_the_report() {
    let mut dirs = vec![common::repo().join("fixtures/sbo-migration")];
    dirs.extend(corpus());
    let mut checked = 0;
    for dir in dirs {
        let values = secret_values(&dir);
        for format in ["human", "json"] {
            let (code, out, err) = run(&["migrate", dir.to_str().unwrap(), "--report-only", "--format", format]);
            if code != 0 {
                continue;
            }
            for v in &values {
                assert!(!out.contains(v.as_str()) && !err.contains(v.as_str()), "{}: the report shows a Secret value", dir.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} reports checked");
}

#[test]
fn the_command_prints_the_migrated_stream_and_the_report() {
    let dir = common::repo().join("fixtures/sbo-migration");
    let (code, out, err) = run(&["migrate", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("3 of 5 binding(s) migrated"), "{err}");
    assert!(err.contains("not migrated  ServiceBinding shop/orders-queue") && err.contains("MissingType"), "{err}");
    assert_eq!(out.matches("apiVersion: servicebinding.io/v1\n").count(), 3, "{out}");
    assert_eq!(out.matches("apiVersion: binding.operators.coreos.com/v1alpha1\n").count(), 2, "{out}");
    assert_eq!(out.matches("---\n").count(), 12, "every input document: {out}");

    // Rendering the migrated stream gives the containers what rendering the input gives them.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("migrated.yaml"), &out).unwrap();
    let (_, before, _) = run(&["explain", dir.to_str().unwrap(), "--format", "json", "--show-secrets"]);
    let (code, after, err) = run(&["explain", tmp.path().to_str().unwrap(), "--format", "json", "--show-secrets"]);
    assert_eq!(code, 0, "{err}");
    let files = |text: &str| -> BTreeMap<String, String> {
        let v: Value = serde_json::from_str(text).unwrap();
        let mut out = BTreeMap::new();
        for w in v["workloads"].as_array().unwrap() {
            for c in w["containers"].as_array().unwrap() {
                for b in c["bindings"].as_array().unwrap() {
                    for f in b["files"].as_array().into_iter().flatten() {
                        let key = format!("{}/{}:{}/{}", w["name"], c["name"], b["mountPath"], f["name"]);
                        out.insert(key, f["value"].to_string());
                    }
                }
            }
        }
        out
    };
    assert_eq!(files(&before), files(&after));
    assert!(!files(&before).is_empty());

    // Migrating the output again changes nothing and reports only what is left.
    let (code, again, err) = run(&["migrate", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 of 2 binding(s) migrated"), "{err}");
    assert_eq!(again.matches("apiVersion: servicebinding.io/v1\n").count(), 3);
}

#[test]
fn check_fails_closed_and_json_reports_every_binding() {
    let dir = common::repo().join("fixtures/sbo-migration");
    let (code, out, err) = run(&["migrate", dir.to_str().unwrap(), "--check"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "nothing on stdout when --check fails: {out}");
    let (code, out, _) = run(&["migrate", dir.to_str().unwrap(), "--report-only", "--format", "json"]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!((report["migrated"].as_u64(), report["notMigrated"].as_u64()), (Some(3), Some(2)));
    let env = report["bindings"].as_array().unwrap().iter().find(|b| b["binding"] == "shop/ledger-cache-env").unwrap();
    assert_eq!(env["migrated"], false);
    let codes: Vec<&str> = env["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["EnvOnlyProjection", "ViewDiffers"]);
    assert_eq!(env["differences"][0]["filesAdded"][0], "/bindings/ledger-cache-env/host");
    // Everything migrates: --check passes.
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir.join("services.yaml")).unwrap()
        + "---\n"
        + &std::fs::read_to_string(dir.join("workloads.yaml")).unwrap()
        + "---\n"
        + &sbo("  services: [{group: '', version: v1, kind: Secret, name: cache-credentials}]\n  application: {group: apps, version: v1, kind: Deployment, name: orders}\n").replace("metadata: {name: b}", "metadata: {name: b, namespace: shop}");
    std::fs::write(tmp.path().join("all.yaml"), text).unwrap();
    let (code, out, err) = run(&["migrate", tmp.path().to_str().unwrap(), "--check"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("apiVersion: servicebinding.io/v1"), "{out}");
}

#[test]
fn bad_or_unresolvable_input_prints_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.yaml"), "apiVersion: v1\nkind: [unclosed\n").unwrap();
    let (code, out, _) = run(&["migrate", tmp.path().to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (2, ""));
    let (code, out, err) = run(&["migrate", common::repo().join("fixtures/invalid/missing-secret").to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("no migration can be proven"), "{err}");
    let (code, out, _) = run(&["migrate", "/nonexistent/path"]);
    assert_eq!((code, out.as_str()), (2, ""));
}
