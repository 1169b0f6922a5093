//! Resolution as examples: YAML documents in, [`Resolution`] out — which binding resolved to
//! which service and Secret (name, keys, where it comes from), which workloads each binding
//! reaches and with which plan, and which problems (rule and severity) were found.

use super::*;
use crate::index::runtime_secrets::{Declaration, DeclaredSecret, ProducerKind, RuntimeConfig, SecretSource};
use crate::model::problem::Severity;

/// The documents of one YAML stream, as the loader reads a file.
fn documents(yaml: &str) -> Vec<Document> {
    let (_, documents) = crate::load::parse_file("test.yaml".into(), "test.yaml".into(), yaml.into()).expect("valid YAML");
    documents
}

/// Index and resolve a YAML stream.
fn resolve_with(yaml: &str, opts: &Options) -> (Vec<Document>, Resolution) {
    let docs = documents(yaml);
    let index = Index::build(&docs, &opts.default_namespace);
    let resolution = resolve(&docs, &index, opts);
    drop(index);
    (docs, resolution)
}

fn resolve_yaml(yaml: &str) -> (Vec<Document>, Resolution) {
    resolve_with(yaml, &Options::default())
}

/// The document of `kind` named `name`.
#[track_caller]
fn id(docs: &[Document], kind: &str, name: &str) -> DocId {
    docs.iter().position(|d| d.kind() == kind && d.name() == name).unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// The problems are exactly `expected` (rule id, severity), in order.
#[track_caller]
fn assert_problems(r: &Resolution, expected: &[(&str, Severity)]) {
    assert_eq!(r.problems.len(), expected.len(), "{:#?}", r.problems);
    for (p, (rule, severity)) in r.problems.iter().zip(expected) {
        assert!(p.rule == *rule && p.severity == *severity, "expected {rule} ({severity:?}), got {p:#?}");
    }
}

/// The one servicebinding.io binding of the resolution.
#[track_caller]
fn only_spec(r: &Resolution) -> &SpecResolved {
    assert_eq!(r.bindings.len(), 1, "{:#?}", r.bindings);
    r.bindings[0].spec().expect("a servicebinding.io binding")
}

fn keys(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|k| k.to_string()).collect()
}

const APP: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
"#;

const DB_SECRET: &str = r#"
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {type: postgresql, host: db.internal, password: s3cret}
"#;

/// A servicebinding.io binding `db` of `service` (a flow mapping) to Deployment `app`.
fn spec_binding(service: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: db}}\nspec:\n  service: {service}\n  workload: {{apiVersion: apps/v1, kind: Deployment, name: app}}\n{extra}"
    )
}

const DIRECT: &str = "{apiVersion: v1, kind: Secret, name: db}";

#[test]
fn a_direct_secret_reference_resolves_to_the_secret_in_the_input_and_plans_one_step() {
    let yaml = format!("{APP}{DB_SECRET}{}", spec_binding(DIRECT, "  env: [{name: DB_HOST, key: host}]\n"));
    let (docs, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[]);
    let (app, secret, binding) = (id(&docs, "Deployment", "app"), id(&docs, "Secret", "db"), id(&docs, "ServiceBinding", "db"));
    let s = only_spec(&r);
    assert_eq!(s.source, Some(ServiceSource::DirectSecret));
    let bs = s.secret.as_ref().expect("the binding Secret");
    assert_eq!((bs.name.as_str(), bs.namespace.as_str()), ("db", "default"));
    assert_eq!(bs.source, SecretSource::InInput { doc: secret });
    assert_eq!(bs.keys, keys(&["host", "password", "type"]));
    assert_eq!(bs.unknown_keys, None);
    assert_eq!(
        (r.bindings[0].doc, r.bindings[0].workloads.as_slice(), r.bindings[0].title()),
        (binding, &[app][..], "default/db".to_string())
    );
    // One plan, for the Deployment: the PodSpec-able default mapping and one projecting step.
    assert_eq!(r.workloads.keys().copied().collect::<Vec<_>>(), [app]);
    let plan = &r.workloads[&app];
    let mapping = plan.mapping.as_ref().expect("a mapping");
    assert_eq!((mapping.spec.as_ref(), mapping.doc), (&MappingSpec::podspecable(), None));
    assert_eq!(plan.steps, [Step { binding: 0, project: true }]);
    // The binding is consumed; nothing is generated for a servicebinding.io binding.
    assert_eq!(r.consumed, BTreeSet::from([binding]));
    assert!(r.generated.is_empty() && r.replaced.is_empty() && r.mappings.is_empty());
}

#[test]
fn a_provisioned_service_names_its_binding_secret_in_status() {
    let service = r#"
---
apiVersion: example.com/v1
kind: Database
metadata: {name: orders}
status: {binding: {name: db}}
"#;
    let yaml = format!("{APP}{DB_SECRET}{service}{}", spec_binding("{apiVersion: example.com/v1, kind: Database, name: orders}", ""));
    let (docs, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[]);
    let s = only_spec(&r);
    assert_eq!(s.source, Some(ServiceSource::Provisioned { doc: id(&docs, "Database", "orders") }));
    let bs = s.secret.as_ref().expect("the binding Secret");
    assert_eq!(bs.name, "db");
    assert_eq!(bs.source, SecretSource::InInput { doc: id(&docs, "Secret", "db") });
    assert_eq!(r.workloads[&id(&docs, "Deployment", "app")].steps, [Step { binding: 0, project: true }]);
}

#[test]
fn a_missing_service_is_service_not_found_and_nothing_is_planned() {
    let yaml = format!("{APP}{}", spec_binding("{apiVersion: example.com/v1, kind: Database, name: orders}", ""));
    let (docs, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[("ServiceNotFound", Severity::Error)]);
    assert!(r.has_errors());
    assert_eq!(r.problems[0].binding.as_deref(), Some("default/db"));
    let s = only_spec(&r);
    assert_eq!((s.source.as_ref(), s.secret.is_none()), (None, true));
    // The workload is found, but a failed binding plans no step.
    assert_eq!(r.bindings[0].workloads, [id(&docs, "Deployment", "app")]);
    assert!(r.workloads.is_empty(), "{:#?}", r.workloads);
}

#[test]
fn a_provisioned_service_without_status_is_service_missing_binding() {
    let service = "---\napiVersion: example.com/v1\nkind: Database\nmetadata: {name: orders}\n";
    let yaml = format!("{APP}{service}{}", spec_binding("{apiVersion: example.com/v1, kind: Database, name: orders}", ""));
    let (_, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[("ServiceMissingBinding", Severity::Error)]);
    let s = only_spec(&r);
    assert!(s.source.is_none() && s.secret.is_none());
}

#[test]
fn a_missing_secret_is_secret_not_found_or_assumed_with_allow_missing_secrets() {
    let yaml = format!("{APP}{}", spec_binding(DIRECT, "  type: postgresql\n"));
    let (_, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[("SecretNotFound", Severity::Error)]);
    let s = only_spec(&r);
    assert_eq!((s.source.as_ref(), s.secret.is_none()), (Some(&ServiceSource::DirectSecret), true));
    assert!(r.workloads.is_empty());

    let opts = Options { allow_missing_secrets: true, ..Options::default() };
    let (docs, r) = resolve_with(&yaml, &opts);
    assert_problems(&r, &[("SecretNotInInput", Severity::Warning)]);
    let bs = only_spec(&r).secret.as_ref().expect("projected by name");
    assert_eq!((bs.name.as_str(), &bs.source, bs.keys.is_empty()), ("db", &SecretSource::Assumed, true));
    assert!(bs.unknown_keys.is_some());
    assert_eq!(r.workloads[&id(&docs, "Deployment", "app")].steps, [Step { binding: 0, project: true }]);
}

#[test]
fn an_env_mapping_to_an_absent_key_is_env_key_not_found() {
    let env = "  env: [{name: DB_HOST, key: host}, {name: DB_PORT, key: port}]\n";
    let (_, r) = resolve_yaml(&format!("{APP}{DB_SECRET}{}", spec_binding(DIRECT, env)));
    assert_problems(&r, &[("EnvKeyNotFound", Severity::Error)]);
    assert!(r.problems[0].message.contains("spec.env[1]") && r.problems[0].message.contains("\"port\""), "{}", r.problems[0].message);
    assert!(r.workloads.is_empty());
}

#[test]
fn a_secret_without_type_needs_spec_type() {
    let untyped = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {host: h}\n";
    let (_, r) = resolve_yaml(&format!("{APP}{untyped}{}", spec_binding(DIRECT, "")));
    assert_problems(&r, &[("MissingType", Severity::Error)]);
    // spec.type supplies it; spec.env may then map `type` although the Secret lacks it.
    let (_, r) = resolve_yaml(&format!("{APP}{untyped}{}", spec_binding(DIRECT, "  type: mysql\n  env: [{name: KIND, key: type}]\n")));
    assert_problems(&r, &[]);
    assert_eq!(only_spec(&r).binding.type_override.as_deref(), Some("mysql"));
}

const LABELLED: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {tier: front}}
spec: {template: {spec: {containers: [{name: c, image: i:1}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, labels: {tier: back}}
spec: {template: {spec: {containers: [{name: c, image: i:1}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: admin, labels: {tier: front}}
spec: {template: {spec: {containers: [{name: c, image: i:1}]}}}
"#;

#[test]
fn a_selector_binds_every_matching_workload_in_input_order() {
    let binding = "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, selector: {matchLabels: {tier: TIER}}}\n";
    let (docs, r) = resolve_yaml(&format!("{LABELLED}{DB_SECRET}{}", binding.replace("TIER", "front")));
    assert_problems(&r, &[]);
    let (web, admin) = (id(&docs, "Deployment", "web"), id(&docs, "Deployment", "admin"));
    assert_eq!(r.bindings[0].workloads, [web, admin]);
    assert_eq!(r.workloads.keys().copied().collect::<Vec<_>>(), [web, admin]);
    for w in [web, admin] {
        assert_eq!(r.workloads[&w].steps, [Step { binding: 0, project: true }]);
    }
    // A selector that matches nothing is a warning (`--strict` fails on it), not an error, and
    // plans nothing.
    let (_, r) = resolve_yaml(&format!("{LABELLED}{DB_SECRET}{}", binding.replace("TIER", "none")));
    assert_problems(&r, &[("SelectorMatchesNothing", Severity::Warning)]);
    assert!(r.bindings[0].workloads.is_empty() && r.workloads.is_empty());
}

#[test]
fn an_absent_workload_is_workload_not_found_and_another_version_a_warning() {
    let (_, r) = resolve_yaml(&format!("{DB_SECRET}{}", spec_binding(DIRECT, "")));
    assert_problems(&r, &[("WorkloadNotFound", Severity::Error)]);
    let older = APP.replace("apps/v1", "apps/v1beta2");
    let (docs, r) = resolve_yaml(&format!("{older}{DB_SECRET}{}", spec_binding(DIRECT, "")));
    assert_problems(&r, &[("WorkloadVersionMismatch", Severity::Warning)]);
    assert_eq!(r.bindings[0].workloads, [id(&docs, "Deployment", "app")]);
}

const UID: &str = "6a1c1f5e-6f4e-4e38-9a51-0f8e8e3c9b11";

/// A Deployment `name` that a binding with [`UID`] projected earlier (its stashed mapping).
fn projected_earlier(name: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, annotations: {{projector.servicebinding.io/mapping-{UID}: '{{}}'}}}}\nspec: {{template: {{spec: {{containers: [{{name: c, image: i:1}}]}}}}}}\n"
    )
}

#[test]
fn an_earlier_projection_is_removed_where_the_binding_no_longer_reaches_and_replaced_where_it_does() {
    let binding = format!(
        "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: db, uid: {UID}}}\nspec:\n  service: {DIRECT}\n  workload: {{apiVersion: apps/v1, kind: Deployment, name: app}}\n"
    );
    let yaml = format!("{}{}{DB_SECRET}{binding}", projected_earlier("app"), projected_earlier("old"));
    let (docs, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[]);
    assert_eq!(only_spec(&r).binding.uid, UID);
    let (app, old) = (id(&docs, "Deployment", "app"), id(&docs, "Deployment", "old"));
    // Still selected: one step that unprojects and projects again; no longer selected: unproject only.
    assert_eq!(r.workloads[&app].steps, [Step { binding: 0, project: true }]);
    assert_eq!(r.workloads[&old].steps, [Step { binding: 0, project: false }]);
    assert_eq!(r.bindings[0].workloads, [app], "the binding projects into the selected workload only");
}

#[test]
fn a_cronjob_gets_the_runtime_s_built_in_mapping_unless_turned_off() {
    let cronjob = r#"
apiVersion: batch/v1
kind: CronJob
metadata: {name: app}
spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: i:1}]}}}}}
"#;
    let binding = spec_binding(DIRECT, "")
        .replace("{apiVersion: apps/v1, kind: Deployment, name: app}", "{apiVersion: batch/v1, kind: CronJob, name: app}");
    let yaml = format!("{cronjob}{DB_SECRET}{binding}");
    let (docs, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[]);
    let plan = &r.workloads[&id(&docs, "CronJob", "app")];
    assert_eq!(plan.mapping.as_ref().map(|m| m.spec.as_ref()), Some(&MappingSpec::builtin_cronjob()));
    let (docs, r) = resolve_with(&yaml, &Options { builtin_mappings: false, ..Options::default() });
    assert_eq!(r.workloads[&id(&docs, "CronJob", "app")].mapping.as_ref().map(|m| m.spec.as_ref()), Some(&MappingSpec::podspecable()));
}

#[test]
fn an_invalid_workload_resource_mapping_is_reported_whether_used_or_not() {
    let mapping = r#"
---
apiVersion: servicebinding.io/v1
kind: ClusterWorkloadResourceMapping
metadata: {name: things.example.com}
spec: {versions: [{version: "*", volumes: "not a path"}]}
"#;
    let (docs, r) = resolve_yaml(&format!("{APP}{mapping}"));
    assert!(
        !r.problems.is_empty() && r.problems.iter().all(|p| p.rule == "InvalidMapping" && p.severity == Severity::Error),
        "{:#?}",
        r.problems
    );
    assert_eq!(r.mappings, BTreeSet::from([id(&docs, "ClusterWorkloadResourceMapping", "things.example.com")]));
    assert!(r.bindings.is_empty() && r.consumed.is_empty());
}

#[test]
fn a_sealed_secret_creates_the_binding_secret_at_run_time() {
    let sealed = r#"
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: db}
spec: {encryptedData: {host: AgBy3i4OJSWK, password: AgBy3i4OJSWL}, template: {data: {type: postgresql}}}
"#;
    let (docs, r) = resolve_yaml(&format!("{APP}{sealed}{}", spec_binding(DIRECT, "  env: [{name: DB_HOST, key: host}]\n")));
    assert_problems(&r, &[("RuntimeSecret", Severity::Notice)]);
    let bs = only_spec(&r).secret.as_ref().expect("bound by reference");
    assert_eq!(bs.source, SecretSource::Producer { kind: ProducerKind::SealedSecret, doc: id(&docs, "SealedSecret", "db") });
    assert_eq!(bs.keys, keys(&["host", "password", "type"]));
    assert!(!r.has_errors());
    assert_eq!(r.workloads[&id(&docs, "Deployment", "app")].steps, [Step { binding: 0, project: true }]);
}

#[test]
fn a_secret_declared_in_the_config_file_is_bound_with_its_declared_keys() {
    // What `secrets: [{name: db, keys: [type, host], createdBy: the db chart}]` in .bindery.yaml
    // gives (the configuration's own parsing is tested with it, in hosts::config).
    let declared = DeclaredSecret {
        name: "db".into(),
        namespace: None,
        keys: Some(vec!["type".into(), "host".into()]),
        created_by: Some("the db chart".into()),
        origin: None,
    };
    let runtime = RuntimeConfig { path: Some(".bindery.yaml".into()), secrets: vec![declared], ..RuntimeConfig::default() };
    let opts = Options { runtime, ..Options::default() };
    let (_, r) = resolve_with(&format!("{APP}{}", spec_binding(DIRECT, "  env: [{name: DB_HOST, key: host}]\n")), &opts);
    assert_problems(&r, &[("RuntimeSecret", Severity::Notice)]);
    let bs = only_spec(&r).secret.as_ref().expect("declared");
    assert!(
        matches!(&bs.source, SecretSource::Declared { by: Declaration::ConfigFile { path, created_by } } if path == ".bindery.yaml" && created_by.as_deref() == Some("the db chart")),
        "{:?}",
        bs.source
    );
    assert_eq!(bs.keys, keys(&["host", "type"]));
    // Declared keys are checked as a Secret's are.
    let (_, r) = resolve_with(&format!("{APP}{}", spec_binding(DIRECT, "  env: [{name: DB_PORT, key: port}]\n")), &opts);
    assert_problems(&r, &[("RuntimeSecret", Severity::Notice), ("EnvKeyNotFound", Severity::Error)]);
}

const SBO_SECRET_BINDING: &str = r#"
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: cache}
spec:
  services: [{group: "", version: v1, kind: Secret, name: cache}]
  application: {group: apps, version: v1, kind: Deployment, name: app}
"#;

const CACHE_SECRET: &str = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: cache}\nstringData: {url: redis://cache:6379}\n";

#[test]
fn an_operator_binding_resolves_its_data_delivery_and_workloads() {
    let (docs, r) = resolve_yaml(&format!("{APP}{CACHE_SECRET}{SBO_SECRET_BINDING}"));
    assert_problems(&r, &[]);
    assert_eq!(r.bindings.len(), 1);
    let b = &r.bindings[0];
    assert!(b.is_operator() && b.spec().is_none());
    let o = b.operator().expect("an Operator binding");
    assert_eq!((o.binding.name.as_str(), o.binding.binding_name.as_str(), o.binding.bind_as_files), ("cache", "cache", true));
    let data = o.data.as_ref().expect("binding data");
    assert_eq!(data.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["url"]);
    assert_eq!(data.reuse.as_deref(), Some("cache"), "SBO mounts the one Secret as it is");
    let delivery = o.delivery.as_ref().expect("a delivery plan");
    assert_eq!(delivery.secret_name.as_deref(), Some("cache"));
    assert!(delivery.generated.is_empty() && delivery.copies.is_empty());
    assert!(o.mapping.is_none(), "no ClusterWorkloadResourceMapping for Deployments in the input");
    let app = id(&docs, "Deployment", "app");
    assert_eq!(b.workloads, [app]);
    // SBO bindings reach a workload without the runtime's mapping.
    assert!(r.workloads[&app].mapping.is_none());
    assert_eq!(r.workloads[&app].steps, [Step { binding: 0, project: true }]);
    assert_eq!(r.consumed, BTreeSet::from([id(&docs, "ServiceBinding", "cache")]));
}

#[test]
fn an_operator_binding_to_an_absent_application_is_application_not_found() {
    let (_, r) = resolve_yaml(&format!("{CACHE_SECRET}{SBO_SECRET_BINDING}"));
    assert_problems(&r, &[("ApplicationNotFound", Severity::Error)]);
    assert!(r.problems[0].help.is_some());
    assert!(r.workloads.is_empty() && r.generated.is_empty());
}

#[test]
fn a_spec_and_an_operator_binding_on_one_workload_plan_both_and_project_the_spec_one_first() {
    // The Operator binding comes first in the input; the plan keeps binding order.
    let yaml = format!("{APP}{CACHE_SECRET}{DB_SECRET}{SBO_SECRET_BINDING}{}", spec_binding(DIRECT, ""));
    let (docs, r) = resolve_yaml(&yaml);
    assert_problems(&r, &[]);
    assert_eq!(
        r.bindings.iter().map(|b| (b.title(), b.is_operator())).collect::<Vec<_>>(),
        [("default/cache".to_string(), true), ("default/db".to_string(), false)]
    );
    let app = id(&docs, "Deployment", "app");
    let plan = &r.workloads[&app];
    assert_eq!(plan.steps, [Step { binding: 0, project: true }, Step { binding: 1, project: true }]);
    assert!(plan.mapping.is_some(), "the servicebinding.io step brings the runtime's mapping");
    // Projection applies the reference runtime's binding first, then the Operator's.
    let projected = crate::project::project_workload(&docs, app, &r);
    assert!(projected.errors.is_empty(), "{:?}", projected.errors);
    assert_eq!(projected.bound.iter().map(|c| c.binding).collect::<Vec<_>>(), [1, 0]);
    assert_eq!(projected.bound.iter().map(|c| c.mount_path.as_str()).collect::<Vec<_>>(), ["/bindings/db", "/bindings/cache"]);
}

#[test]
fn what_an_earlier_render_generated_for_an_operator_binding_is_replaced() {
    let binding = SBO_SECRET_BINDING.replace("name: cache}]", "name: cache}]\n  mappings: [{name: kind, value: redis}]");
    let stale = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cache-00000000, annotations: {bindery.dev/generated-for: default/cache}}\ndata: {kind: old}\n";
    let other = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other-00000000, annotations: {bindery.dev/generated-for: default/other}}\ndata: {a: b}\n";
    let (docs, r) = resolve_yaml(&format!("{APP}{CACHE_SECRET}{stale}{other}{binding}"));
    assert_problems(&r, &[]);
    assert_eq!(r.replaced, BTreeSet::from([id(&docs, "ConfigMap", "cache-00000000")]), "only what was generated for this input's bindings");
    let binding_doc = id(&docs, "ServiceBinding", "cache");
    assert_eq!(r.generated.len(), 1, "{:#?}", r.generated);
    let (for_doc, generated) = &r.generated[0];
    assert_eq!(*for_doc, binding_doc);
    assert_eq!(generated["kind"], "ConfigMap");
    assert_eq!(generated["metadata"]["annotations"]["bindery.dev/generated-for"], "default/cache");
    assert_eq!(generated["data"]["kind"], "redis");
}
