//! SBO delivery plan (sbo-semantics §12–§14, bindery's decisions): how each collected item
//! reaches the container without copying Secret values — by reference to the original Secret
//! or ConfigMap entry, as a literal (env mode, non-secret values), or, only where no reference
//! can deliver it, through a generated ConfigMap or Secret (with the reason recorded).

use std::collections::BTreeMap;

use crate::doc::value::{Map, Value};
use crate::json;
use base64::Engine;

use super::collect::{Collected, Item, ItemSource};
use super::OperatorBinding;

/// Annotation on generated ConfigMaps and Secrets: the binding they were generated for.
pub const GENERATED_FOR: &str = "bindery.dev/generated-for";

/// How one item reaches the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    SecretRef {
        name: String,
        key: String,
    },
    ConfigMapRef {
        name: String,
        key: String,
    },
    /// A literal env value (env mode, non-secret values only).
    Value(String),
}

impl Via {
    /// The same, as the source record `explain` prints.
    pub fn source(&self) -> crate::model::bound::ValueSource {
        use crate::model::bound::ValueSource;
        match self {
            Via::SecretRef { name, key } => ValueSource::SecretKey { secret: name.clone(), key: key.clone() },
            Via::ConfigMapRef { name, key } => ValueSource::ConfigMapKey { configmap: name.clone(), key: key.clone() },
            Via::Value(v) => ValueSource::Literal { value: v.clone() },
        }
    }
}

/// How a binding's items are delivered, and what must be generated for that.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// Final item name → how it is delivered, sorted by name.
    pub entries: Vec<(String, Via)>,
    /// Files mode: the volume (without its name).
    pub volume: Value,
    /// Generated ConfigMap / Secret documents.
    pub generated: Vec<Value>,
    /// The one Secret holding all the data (reused or generated), when one exists.
    pub secret_name: Option<String>,
    /// Why values had to be copied into a generated Secret.
    pub copies: Vec<String>,
}

/// SBO's generated-resource name: `<metadata.name>-<first 8 hex of sha256(k1 v1 k2 v2 …)>`.
/// bindery names generated ConfigMaps so (their values are not secret: the ConfigMap prints
/// them anyway); a generated Secret is named by [`generated_secret_name`] instead, since this
/// hash over short values is inverted offline by trying every value.
pub fn generated_name(binding_name: &str, data: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in data {
        h.update(k.as_bytes());
        h.update(v.as_bytes());
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{binding_name}-{hex}")
}

/// The name of the Secret generated for a binding: `<metadata.name>-<first 8 hex of sha256>`
/// over the binding's namespace and name and, per key in sorted order, the key and where its
/// value comes from ([`origin`]), never the value. Deterministic, and the same whatever the
/// values are.
pub fn generated_secret_name(b: &OperatorBinding, origins: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"bindery.dev/generated-secret/v1\0");
    for part in [&b.namespace, &b.name] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    for (key, origin) in origins {
        for part in [key, origin] {
            // Length-prefixed: no two key/origin lists hash the same text.
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", b.name)
}

/// Where an item's value comes from, in words that hold no value: the Secret or ConfigMap
/// entry, the service and field kind, or the mapping's template.
pub fn origin(b: &OperatorBinding, item: &Item) -> String {
    let service = |i: Option<usize>| {
        i.and_then(|i| b.services.get(i)).map_or_else(String::new, |s| {
            format!("{}/{} {} {}/{}", s.type_ref.group, s.type_ref.version, s.type_ref.kind, s.namespace, s.name)
        })
    };
    match &item.source {
        ItemSource::SecretKey { namespace, name, key } => format!("secret {namespace}/{name} key {key}"),
        ItemSource::ConfigMapKey { namespace, name, key } => format!("configmap {namespace}/{name} key {key}"),
        ItemSource::Literal { secret } => format!("field of {} (secret: {secret})", service(item.service)),
        ItemSource::Mapping { .. } => {
            let template = b.mappings.iter().find(|m| m.name == item.name).map_or("", |m| m.value.as_str());
            format!("mapping {template}")
        }
    }
}

fn generated_doc(kind: &str, b: &OperatorBinding, name: &str, data: &BTreeMap<String, String>) -> Value {
    let mut meta = json!({"name": name, "namespace": b.namespace, "annotations": {GENERATED_FOR: format!("{}/{}", b.namespace, b.name)}});
    if kind == "Secret" {
        let encoded: Map = data.iter().map(|(k, v)| (k.clone(), json!(base64::engine::general_purpose::STANDARD.encode(v)))).collect();
        meta["labels"] = json!({"app.kubernetes.io/managed-by": "bindery"});
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": encoded})
    } else {
        meta["labels"] = json!({"app.kubernetes.io/managed-by": "bindery"});
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
    }
}

/// Decide how every item is delivered.
pub fn plan(b: &OperatorBinding, data: &Collected) -> Delivery {
    let mut d = Delivery::default();
    if let Some(secret) = &data.reuse {
        d.secret_name = Some(secret.clone());
        d.volume = json!({"secret": {"secretName": secret}});
        d.entries = data.items.iter().map(|i| (i.name.clone(), Via::SecretRef { name: secret.clone(), key: i.name.clone() })).collect();
        return d;
    }
    let everything_in_one_secret = b.application.secret_path.is_some();
    let mut to_secret: BTreeMap<String, String> = BTreeMap::new();
    let mut secret_origins: BTreeMap<String, String> = BTreeMap::new();
    let mut to_configmap: BTreeMap<String, String> = BTreeMap::new();
    let mut planned: Vec<(String, Option<Via>, bool)> = Vec::new(); // (name, reference, goes to generated secret)
    for item in &data.items {
        secret_origins.insert(item.name.clone(), origin(b, item));
        if everything_in_one_secret {
            to_secret.insert(item.name.clone(), item.value.clone());
            planned.push((item.name.clone(), None, true));
            continue;
        }
        match &item.source {
            ItemSource::SecretKey { namespace, name, key } if *namespace == b.namespace => {
                planned.push((item.name.clone(), Some(Via::SecretRef { name: name.clone(), key: key.clone() }), false))
            }
            ItemSource::ConfigMapKey { namespace, name, key } if *namespace == b.namespace => {
                planned.push((item.name.clone(), Some(Via::ConfigMapRef { name: name.clone(), key: key.clone() }), false))
            }
            ItemSource::SecretKey { namespace, name, .. } => {
                d.copies.push(format!(
                    "{:?} comes from Secret {namespace}/{name}, which a pod in {:?} cannot reference",
                    item.name, b.namespace
                ));
                to_secret.insert(item.name.clone(), item.value.clone());
                planned.push((item.name.clone(), None, true));
            }
            ItemSource::Literal { secret: true } | ItemSource::Mapping { secret: true } => {
                if matches!(item.source, ItemSource::Mapping { .. }) {
                    d.copies.push(format!("mapping {:?} combines secret values", item.name));
                } else {
                    d.copies.push(format!("{:?} is read out of a Secret used as a service", item.name));
                }
                to_secret.insert(item.name.clone(), item.value.clone());
                planned.push((item.name.clone(), None, true));
            }
            ItemSource::ConfigMapKey { .. } | ItemSource::Literal { secret: false } | ItemSource::Mapping { secret: false } => {
                if b.bind_as_files {
                    to_configmap.insert(item.name.clone(), item.value.clone());
                    planned.push((item.name.clone(), None, false));
                } else {
                    planned.push((item.name.clone(), Some(Via::Value(item.value.clone())), false));
                }
            }
        }
    }
    if everything_in_one_secret {
        d.copies.push("bindingPath.secretPath needs one Secret holding all binding data".into());
    }
    // The generated Secret's name: from the key names and origins of what it holds.
    secret_origins.retain(|k, _| to_secret.contains_key(k));
    let secret_name = (!to_secret.is_empty()).then(|| generated_secret_name(b, &secret_origins));
    let configmap_name = (!to_configmap.is_empty()).then(|| generated_name(&b.name, &to_configmap));
    if let Some(name) = &configmap_name {
        d.generated.push(generated_doc("ConfigMap", b, name, &to_configmap));
    }
    if let Some(name) = &secret_name {
        d.generated.push(generated_doc("Secret", b, name, &to_secret));
    }
    d.secret_name = secret_name.clone();
    for (name, via, secret) in planned {
        let via = via.unwrap_or_else(|| {
            if secret {
                Via::SecretRef { name: secret_name.clone().unwrap_or_default(), key: name.clone() }
            } else {
                Via::ConfigMapRef { name: configmap_name.clone().unwrap_or_default(), key: name.clone() }
            }
        });
        d.entries.push((name, via));
    }
    // Files: one projected source per referenced resource, in order of first use.
    let mut sources: Vec<(String, String, Vec<Value>)> = Vec::new(); // (kind, name, items)
    for (file, via) in &d.entries {
        let (kind, name, key) = match via {
            Via::SecretRef { name, key } => ("secret", name, key),
            Via::ConfigMapRef { name, key } => ("configMap", name, key),
            Via::Value(_) => continue,
        };
        let item = json!({"key": key, "path": file});
        match sources.iter_mut().find(|(k, n, _)| k == kind && n == name) {
            Some((_, _, items)) => items.push(item),
            None => sources.push((kind.to_string(), name.clone(), vec![item])),
        }
    }
    let sources: Vec<Value> = sources.into_iter().map(|(kind, name, items)| json!({kind: {"name": name, "items": items}})).collect();
    d.volume = json!({"projected": {"sources": sources}});
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sbo::{ApplicationRef, Mapping, ServiceRef, TypeRef};
    use std::collections::BTreeSet;

    fn binding(mappings: &[(&str, &str)]) -> OperatorBinding {
        let type_ref =
            |group: &str, kind: &str| TypeRef { group: group.into(), version: "v1".into(), kind: kind.into(), resource: String::new() };
        OperatorBinding {
            namespace: "shop".into(),
            name: "app-db".into(),
            uid: "u".into(),
            binding_name: "app-db".into(),
            naming_strategy: String::new(),
            bind_as_files: false,
            detect_binding_resources: false,
            services: vec![ServiceRef { type_ref: type_ref("", "Secret"), name: "creds".into(), namespace: "shop".into(), id: None }],
            application: ApplicationRef {
                type_ref: type_ref("apps", "Deployment"),
                name: Some("app".into()),
                match_labels: None,
                containers_path: None,
                secret_path: None,
            },
            mappings: mappings.iter().map(|(n, v)| Mapping { name: n.to_string(), value: v.to_string() }).collect(),
        }
    }

    fn item(name: &str, value: &str, source: ItemSource) -> Item {
        Item { name: name.into(), value: value.into(), raw: Value::from(value), source, service: None, runtime: None }
    }

    /// Issue 19 item 3: a generated Secret's name is made of key names and origins, so a short
    /// value (a PIN) cannot be found again by hashing every candidate as SBO's name allows.
    #[test]
    fn generated_secret_names_hold_no_value() {
        let b = binding(&[("PIN", "{{ .pin }}")]);
        let plan_for = |pin: &str| {
            let items =
                vec![item("PIN", pin, ItemSource::Mapping { secret: true }), item("HOST", "db", ItemSource::Literal { secret: false })];
            plan(&b, &Collected { items, reuse: None })
        };
        let names: BTreeSet<String> = (0..10_000).map(|p| plan_for(&format!("{p:04}")).secret_name.expect("generated")).collect();
        assert_eq!(names.len(), 1, "the name does not depend on the value");
        let name = names.into_iter().next().unwrap();
        assert!(name.starts_with("app-db-") && name.len() == "app-db-".len() + 8, "{name}");
        let d = plan_for("1234");
        assert_eq!(d.generated[0]["metadata"]["name"], name.as_str(), "the document has that name");
        assert!(d.entries.contains(&("PIN".to_string(), Via::SecretRef { name: name.clone(), key: "PIN".into() })));
        // SBO's name would tell the PIN: bindery's is not that one.
        let pin: BTreeMap<String, String> = [("PIN".to_string(), "1234".to_string())].into();
        assert_ne!(name, generated_name("app-db", &pin));
        // Other keys or another template: another name (a changed mapping rolls the workload).
        let other = binding(&[("PIN", "{{ .pin }}-x")]);
        let items = vec![item("PIN", "1234", ItemSource::Mapping { secret: true })];
        assert_ne!(plan(&other, &Collected { items, reuse: None }).secret_name.unwrap(), name);
    }

    #[test]
    fn generated_names_match_sbo_test_vectors() {
        let data: BTreeMap<String, String> = [("host", "db.example.com"), ("password", "s3cret"), ("username", "admin")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(generated_name("app-db", &data), "app-db-89a352b6");
        let data: BTreeMap<String, String> =
            [("DATABASE_HOST", "db.example.com"), ("DATABASE_PASSWORD", "s3cret"), ("DATABASE_USERNAME", "admin")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(generated_name("app-db", &data), "app-db-ba6aedb8");
    }
}
