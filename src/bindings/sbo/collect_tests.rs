//! SBO binding-data collection as examples: YAML documents in, the collected items out — each
//! item's name, where its value lives (a Secret or ConfigMap entry, a literal, a mapping), which
//! Secret SBO would mount as it is — and, through resolution, how the items are delivered and
//! which resources are generated for them.

use super::*;
use crate::bindings::sbo::delivery::Via;
use crate::index::runtime_secrets::{RuntimeConfig, RuntimeSecrets};
use crate::model::problem::Severity;
use crate::resolve::{resolve, Options, Resolution};

fn documents(yaml: &str) -> Vec<Document> {
    let (_, documents) = crate::load::parse_file("test.yaml".into(), "test.yaml".into(), yaml.into()).expect("valid YAML");
    documents
}

/// Collect the binding data of the one Service Binding Operator binding in a YAML stream.
fn collect_yaml(yaml: &str) -> (Option<Collected>, Vec<Problem>) {
    let docs = documents(yaml);
    let index = Index::build(&docs, "default");
    let runtime = RuntimeSecrets::build(&docs, &RuntimeConfig::default(), "default");
    let binding_doc = docs
        .iter()
        .find(|d| d.api_version() == "binding.operators.coreos.com/v1alpha1" && d.kind() == "ServiceBinding")
        .expect("an SBO binding");
    let (binding, problems) = super::super::parse(binding_doc, "default");
    assert!(problems.is_empty(), "{problems:#?}");
    let binding = binding.expect("a valid binding");
    let mut c = Collector {
        docs: &docs,
        index: &index,
        default_ns: "default",
        binding_doc,
        binding: &binding,
        runtime: &runtime,
        problems: Vec::new(),
    };
    let data = c.collect();
    (data, c.problems)
}

/// Collect, expecting success without problems.
#[track_caller]
fn collected(yaml: &str) -> Collected {
    let (data, problems) = collect_yaml(yaml);
    assert!(problems.is_empty(), "{problems:#?}");
    data.expect("binding data")
}

/// The problems are exactly `expected` (rule id, severity), in order.
#[track_caller]
fn assert_rules(problems: &[Problem], expected: &[(&str, Severity)]) {
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (p, (rule, severity)) in problems.iter().zip(expected) {
        assert!(p.rule == *rule && p.severity == *severity, "expected {rule} ({severity:?}), got {p:#?}");
    }
}

/// `(name, source)` of every item, in name order.
fn sources(c: &Collected) -> Vec<(&str, &ItemSource)> {
    c.items.iter().map(|i| (i.name.as_str(), &i.source)).collect()
}

fn item<'a>(c: &'a Collected, name: &str) -> &'a Item {
    c.items.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("no item {name} in {:#?}", c.items))
}

fn secret_key(namespace: &str, name: &str, key: &str) -> ItemSource {
    ItemSource::SecretKey { namespace: namespace.into(), name: name.into(), key: key.into() }
}

const LITERAL: ItemSource = ItemSource::Literal { secret: false };

const APP: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
"#;

/// A Secret `db-credentials` (`data` in base64: username `app`, password `s3cret`).
const CREDENTIALS: &str = r#"
---
apiVersion: v1
kind: Secret
metadata: {name: db-credentials}
data: {username: YXBw, password: czNjcmV0}
"#;

/// An SBO binding `db` of `services` (a flow list) to Deployment `app`, with `extra` spec lines.
fn binding(services: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: binding.operators.coreos.com/v1alpha1\nkind: ServiceBinding\nmetadata: {{name: db}}\nspec:\n  services: {services}\n  application: {{group: apps, version: v1, kind: Deployment, name: app}}\n{extra}"
    )
}

const SECRET_SERVICE: &str = r#"[{group: "", version: v1, kind: Secret, name: db-credentials}]"#;
const DATABASE_SERVICE: &str = "[{group: example.com, version: v1, kind: Database, name: orders, id: db}]";

fn database(metadata_extra: &str, rest: &str) -> String {
    format!("---\napiVersion: example.com/v1\nkind: Database\nmetadata: {{name: orders{metadata_extra}}}\n{rest}")
}

#[test]
fn a_provisioned_service_s_secret_is_reused_as_it_is() {
    let yaml =
        format!("{APP}{CREDENTIALS}{}{}", database("", "status: {binding: {name: db-credentials}}\n"), binding(DATABASE_SERVICE, ""));
    let c = collected(&yaml);
    assert_eq!(
        sources(&c),
        [
            ("password", &secret_key("default", "db-credentials", "password")),
            ("username", &secret_key("default", "db-credentials", "username"))
        ]
    );
    assert_eq!((item(&c, "password").value.as_str(), item(&c, "username").value.as_str()), ("s3cret", "app"), "decoded from data");
    assert!(c.items.iter().all(|i| i.service == Some(0) && i.runtime.is_none()));
    assert_eq!(c.reuse.as_deref(), Some("db-credentials"));
}

#[test]
fn a_direct_secret_reference_is_reused_and_two_secrets_are_merged() {
    let c = collected(&format!("{APP}{CREDENTIALS}{}", binding(SECRET_SERVICE, "")));
    assert_eq!(c.reuse.as_deref(), Some("db-credentials"));
    assert_eq!(c.items.len(), 2);

    let tls = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: db-tls}\nstringData: {ca.crt: CERT}\n";
    let services =
        r#"[{group: "", version: v1, kind: Secret, name: db-credentials}, {group: "", version: v1, kind: Secret, name: db-tls}]"#;
    let c = collected(&format!("{APP}{CREDENTIALS}{tls}{}", binding(services, "")));
    assert_eq!(c.reuse, None, "two Secrets: SBO generates one Secret, bindery references both");
    assert_eq!(
        sources(&c),
        [
            ("ca.crt", &secret_key("default", "db-tls", "ca.crt")),
            ("password", &secret_key("default", "db-credentials", "password")),
            ("username", &secret_key("default", "db-credentials", "username")),
        ]
    );
    assert_eq!(item(&c, "ca.crt").service, Some(1));
}

#[test]
fn annotations_on_the_resource_read_fields_and_secret_entries() {
    let annotations = r#", annotations: {"service.binding/host": "path={.spec.host}", "service.binding/port": "path={.spec.port}", "service.binding/password": "path={.spec.secret},objectType=Secret,sourceKey=password"}"#;
    let db = database(annotations, "spec: {host: db.example.com, port: 5432, secret: db-credentials}\n");
    let c = collected(&format!("{APP}{CREDENTIALS}{db}{}", binding(DATABASE_SERVICE, "")));
    assert_eq!(sources(&c), [("host", &LITERAL), ("password", &secret_key("default", "db-credentials", "password")), ("port", &LITERAL)]);
    assert_eq!((item(&c, "host").value.as_str(), item(&c, "port").value.as_str()), ("db.example.com", "5432"));
    assert_eq!(c.reuse, None, "values read from the resource: no Secret holds everything");
}

#[test]
fn annotations_on_the_crd_apply_to_every_resource_of_the_kind() {
    let crd = r#"
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: databases.example.com
  annotations: {"service.binding/host": "path={.spec.host}", "service.binding": "path={.spec.secret},objectType=Secret"}
spec: {group: example.com, names: {kind: Database, plural: databases}, versions: [{name: v1}]}
"#;
    let db = database("", "spec: {host: db.example.com, secret: db-credentials}\n");
    let c = collected(&format!("{APP}{CREDENTIALS}{crd}{db}{}", binding(DATABASE_SERVICE, "")));
    assert_eq!(
        sources(&c),
        [
            ("host", &LITERAL),
            ("password", &secret_key("default", "db-credentials", "password")),
            ("username", &secret_key("default", "db-credentials", "username")),
        ]
    );
}

#[test]
fn a_slice_of_maps_is_flattened_into_one_item_per_entry() {
    let annotations = r#", annotations: {"service.binding/endpoints": "path={.status.endpoints},elementType=sliceOfMaps,sourceKey=role,sourceValue=url"}"#;
    let db = database(annotations, "status: {endpoints: [{role: primary, url: 'pg://a'}, {role: replica, url: 'pg://b'}]}\n");
    let c = collected(&format!("{APP}{db}{}", binding(DATABASE_SERVICE, "")));
    assert_eq!(sources(&c), [("endpoints_primary", &LITERAL), ("endpoints_replica", &LITERAL)]);
    assert_eq!(item(&c, "endpoints_replica").value, "pg://b");
}

#[test]
fn env_mode_names_items_upper_case_after_the_service_kind_and_reuses_nothing() {
    let c = collected(&format!("{APP}{CREDENTIALS}{}", binding(SECRET_SERVICE, "  bindAsFiles: false\n")));
    assert_eq!(
        sources(&c),
        [
            ("SECRET_PASSWORD", &secret_key("default", "db-credentials", "password")),
            ("SECRET_USERNAME", &secret_key("default", "db-credentials", "username")),
        ]
    );
    assert_eq!(c.reuse, None, "renamed items are not the Secret's keys");
}

#[test]
fn naming_strategies_rename_every_service_item_but_not_mappings() {
    let extra = "  namingStrategy: '{{ .service.name }}_{{ .name | upper }}'\n  mappings: [{name: user, value: '{{ .username }}'}]\n";
    let c = collected(&format!("{APP}{CREDENTIALS}{}", binding(SECRET_SERVICE, extra)));
    assert_eq!(c.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["db-credentials_PASSWORD", "db-credentials_USERNAME", "user"]);
    let c = collected(&format!("{APP}{CREDENTIALS}{}", binding(SECRET_SERVICE, "  bindAsFiles: false\n  namingStrategy: lowercase\n")));
    assert_eq!(c.items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), ["password", "username"]);
    assert_eq!(c.reuse.as_deref(), Some("db-credentials"), "names unchanged: the Secret is mounted as it is");

    let (data, problems) = collect_yaml(&format!("{APP}{CREDENTIALS}{}", binding(SECRET_SERVICE, "  namingStrategy: '{{ .name'\n")));
    assert!(data.is_none());
    assert_rules(&problems, &[("NamingStrategyError", Severity::Error)]);
}

#[test]
fn mappings_are_secret_when_they_read_secret_values() {
    let annotations = r#", annotations: {"service.binding/host": "path={.spec.host}"}"#;
    let db = database(annotations, "spec: {host: db.example.com, secret: db-credentials}\n");
    let services = r#"[{group: example.com, version: v1, kind: Database, name: orders, id: db}, {group: "", version: v1, kind: Secret, name: db-credentials, id: creds}]"#;
    let mappings = "  mappings:\n  - {name: url, value: 'https://{{ .host }}/'}\n  - {name: dsn, value: 'pg://{{ .username }}:{{ .password }}@{{ .db.spec.host }}'}\n  - {name: user, value: '{{ .creds.data.username }}'}\n";
    let c = collected(&format!("{APP}{CREDENTIALS}{db}{}", binding(services, mappings)));
    assert_eq!(item(&c, "url").source, ItemSource::Mapping { secret: false });
    assert_eq!(item(&c, "url").value, "https://db.example.com/");
    assert_eq!(item(&c, "dsn").source, ItemSource::Mapping { secret: true });
    assert_eq!(item(&c, "dsn").value, "pg://app:s3cret@db.example.com");
    assert_eq!(item(&c, "user").source, ItemSource::Mapping { secret: true }, "a Secret service object is secret");
    assert!(item(&c, "dsn").service.is_none());
    assert_eq!(c.reuse, None);
}

#[test]
fn a_missing_service_or_binding_secret_stops_collection() {
    let (data, problems) = collect_yaml(&format!("{APP}{}", binding(DATABASE_SERVICE, "")));
    assert!(data.is_none());
    assert_rules(&problems, &[("ErrorReadingServices", Severity::Error)]);

    let db = database("", "status: {binding: {name: db-credentials}}\n");
    let (data, problems) = collect_yaml(&format!("{APP}{db}{}", binding(DATABASE_SERVICE, "")));
    assert!(data.is_none());
    assert_rules(&problems, &[("ErrorReadingSecret", Severity::Error)]);
    assert!(problems[0].help.is_some(), "names the ways to declare the Secret");

    let (data, problems) = collect_yaml(&format!("{APP}{}{}", database("", "spec: {}\n"), binding(DATABASE_SERVICE, "")));
    assert!(data.is_none());
    assert_rules(&problems, &[("NoBindingData", Severity::Error)]);
}

#[test]
fn an_invalid_annotation_is_reported() {
    let annotations = r#", annotations: {"service.binding/host": "path={.spec.host},elementType=nonsense"}"#;
    let (data, problems) = collect_yaml(&format!("{APP}{}{}", database(annotations, "spec: {host: h}\n"), binding(DATABASE_SERVICE, "")));
    assert!(data.is_none());
    assert_rules(&problems, &[("InvalidAnnotation", Severity::Error)]);
}

#[test]
fn owned_resources_are_collected_with_detect_binding_resources() {
    let owned = r#"
---
apiVersion: v1
kind: ConfigMap
metadata: {name: orders-config, ownerReferences: [{apiVersion: example.com/v1, kind: Database, name: orders, uid: 0b7a}]}
data: {database: orders}
---
apiVersion: v1
kind: Service
metadata: {name: orders, ownerReferences: [{apiVersion: example.com/v1, kind: Database, name: orders, uid: 0b7a}]}
spec: {clusterIP: 10.0.0.7}
"#;
    let db = database(", uid: 0b7a", "spec: {}\n");
    let c = collected(&format!("{APP}{db}{owned}{}", binding(DATABASE_SERVICE, "  detectBindingResources: true\n")));
    assert_eq!(
        sources(&c),
        [
            ("clusterIP", &LITERAL),
            ("database", &ItemSource::ConfigMapKey { namespace: "default".into(), name: "orders-config".into(), key: "database".into() }),
        ]
    );
    assert_eq!(item(&c, "clusterIP").value, "10.0.0.7");
    // Without the flag nothing is owned, so there is nothing to bind.
    let (data, problems) = collect_yaml(&format!("{APP}{db}{owned}{}", binding(DATABASE_SERVICE, "")));
    assert!(data.is_none());
    assert_rules(&problems, &[("NoBindingData", Severity::Error)]);
}

#[test]
fn an_item_produced_twice_is_a_collision_and_the_later_source_wins() {
    let other = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: other}\nstringData: {password: other-pw}\n";
    let services = r#"[{group: "", version: v1, kind: Secret, name: db-credentials}, {group: "", version: v1, kind: Secret, name: other}]"#;
    let (data, problems) = collect_yaml(&format!("{APP}{CREDENTIALS}{other}{}", binding(services, "")));
    assert_rules(&problems, &[("BindingItemCollision", Severity::Warning)]);
    let c = data.expect("a collision is not fatal");
    assert_eq!(item(&c, "password").source, secret_key("default", "other", "password"));
}

#[test]
fn a_sealed_secret_service_is_delivered_by_key_name_and_a_mapping_over_it_is_refused() {
    let sealed = r#"
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: db-credentials}
spec: {encryptedData: {username: AgBy3i4OJSWK, password: AgBy3i4OJSWL}}
"#;
    let (data, problems) = collect_yaml(&format!("{APP}{sealed}{}", binding(SECRET_SERVICE, "")));
    assert_rules(&problems, &[("RuntimeSecret", Severity::Notice)]);
    let c = data.expect("binding data by key name");
    assert_eq!(
        sources(&c),
        [
            ("password", &secret_key("default", "db-credentials", "password")),
            ("username", &secret_key("default", "db-credentials", "username"))
        ]
    );
    assert!(c.items.iter().all(|i| i.value.is_empty() && i.runtime.as_deref().is_some_and(|r| r.contains("SealedSecret"))));
    assert_eq!(c.reuse.as_deref(), Some("db-credentials"));

    let mapping = "  mappings: [{name: dsn, value: 'pg://{{ .username }}@db'}]\n";
    let (data, problems) = collect_yaml(&format!("{APP}{sealed}{}", binding(SECRET_SERVICE, mapping)));
    assert!(data.is_none());
    assert_rules(&problems, &[("RuntimeSecret", Severity::Notice), ("RuntimeSecretValue", Severity::Error)]);
}

// Delivery and generated resources, through resolution.

fn resolve_yaml(yaml: &str, opts: &Options) -> Resolution {
    let docs = documents(yaml);
    let index = Index::build(&docs, &opts.default_namespace);
    resolve(&docs, &index, opts)
}

#[track_caller]
fn only_operator(r: &Resolution) -> &crate::resolve::OperatorResolved {
    assert_eq!(r.bindings.len(), 1, "{:#?}", r.bindings);
    r.bindings[0].operator().expect("an Operator binding")
}

#[test]
fn a_reused_secret_is_the_volume_and_nothing_is_generated() {
    let r = resolve_yaml(&format!("{APP}{CREDENTIALS}{}", binding(SECRET_SERVICE, "")), &Options::default());
    assert_rules(&r.problems, &[]);
    let d = only_operator(&r).delivery.as_ref().expect("delivery");
    assert_eq!(d.volume, crate::json!({"secret": {"secretName": "db-credentials"}}));
    assert_eq!(d.secret_name.as_deref(), Some("db-credentials"));
    assert_eq!(
        d.entries,
        [
            ("password".to_string(), Via::SecretRef { name: "db-credentials".into(), key: "password".into() }),
            ("username".to_string(), Via::SecretRef { name: "db-credentials".into(), key: "username".into() }),
        ]
    );
    assert!(d.generated.is_empty() && r.generated.is_empty());
}

#[test]
fn non_secret_values_go_into_a_generated_config_map_in_files_mode_and_literals_in_env_mode() {
    let annotations = r#", annotations: {"service.binding/host": "path={.spec.host}", "service.binding/password": "path={.spec.secret},objectType=Secret,sourceKey=password"}"#;
    let db = database(annotations, "spec: {host: db.example.com, secret: db-credentials}\n");
    let yaml = format!("{APP}{CREDENTIALS}{db}{}", binding(DATABASE_SERVICE, ""));
    let r = resolve_yaml(&yaml, &Options::default());
    assert_rules(&r.problems, &[]);
    let d = only_operator(&r).delivery.as_ref().expect("delivery");
    assert_eq!(r.generated.len(), 1, "{:#?}", r.generated);
    let cm = &r.generated[0].1;
    let name = cm["metadata"]["name"].as_str().expect("a name").to_string();
    assert_eq!((cm["kind"].as_str(), cm["data"]["host"].as_str()), (Some("ConfigMap"), Some("db.example.com")));
    assert!(name.starts_with("db-") && name.len() == "db-".len() + 8, "{name}");
    assert!(cm["data"].get("password").is_none(), "the Secret entry is referenced, not copied");
    assert_eq!(
        d.entries,
        [
            ("host".to_string(), Via::ConfigMapRef { name: name.clone(), key: "host".into() }),
            ("password".to_string(), Via::SecretRef { name: "db-credentials".into(), key: "password".into() }),
        ]
    );
    assert!(d.copies.is_empty() && d.secret_name.is_none());

    let r = resolve_yaml(
        &yaml.replace("kind: Deployment, name: app}\n", "kind: Deployment, name: app}\n  bindAsFiles: false\n"),
        &Options::default(),
    );
    assert_rules(&r.problems, &[]);
    let d = only_operator(&r).delivery.as_ref().expect("delivery");
    assert!(r.generated.is_empty(), "{:#?}", r.generated);
    assert_eq!(
        d.entries,
        [
            ("DATABASE_HOST".to_string(), Via::Value("db.example.com".into())),
            ("DATABASE_PASSWORD".to_string(), Via::SecretRef { name: "db-credentials".into(), key: "password".into() }),
        ]
    );
}

#[test]
fn a_secret_in_another_namespace_is_copied_into_a_generated_secret_with_a_warning_or_refused() {
    let elsewhere = CREDENTIALS.replace("metadata: {name: db-credentials}", "metadata: {name: db-credentials, namespace: shared}");
    let services = r#"[{group: "", version: v1, kind: Secret, name: db-credentials, namespace: shared}]"#;
    let yaml = format!("{APP}{elsewhere}{}", binding(services, ""));
    let c = collected(&yaml);
    assert_eq!(item(&c, "password").source, secret_key("shared", "db-credentials", "password"));
    assert_eq!(c.reuse, None, "a pod cannot mount a Secret of another namespace");

    let r = resolve_yaml(&yaml, &Options::default());
    assert_rules(&r.problems, &[("SecretValuesCopied", Severity::Warning)]);
    let d = only_operator(&r).delivery.as_ref().expect("delivery");
    assert_eq!(d.copies.len(), 2, "{:?}", d.copies);
    assert_eq!(r.generated.len(), 1);
    let secret = &r.generated[0].1;
    assert_eq!((secret["kind"].as_str(), secret["metadata"]["namespace"].as_str()), (Some("Secret"), Some("default")));
    assert_eq!(d.secret_name.as_deref(), secret["metadata"]["name"].as_str());

    let r = resolve_yaml(&yaml, &Options { deny_secret_copies: true, ..Options::default() });
    assert_rules(&r.problems, &[("SecretValuesCopied", Severity::Error)]);
    assert!(r.generated.is_empty() && r.workloads.is_empty());
}
