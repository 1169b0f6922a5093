//! Index: every loaded resource by (group, kind, namespace, name) and by label, so resolving
//! all bindings costs time linear in the number of documents; and the Secrets the input says
//! will exist at run time ([`runtime_secrets`]).

pub mod runtime_secrets;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::doc::value::Value;

use crate::doc::document::{DocId, Document};
use crate::kube::hints::NearNames;
use crate::kube::{group_of, LabelSelector};

/// Annotation prefix the projection stashes its mapping under, one per binding UID.
pub const MAPPING_ANNOTATION_PREFIX: &str = "projector.servicebinding.io/mapping-";

type TypeKey = (String, String, String); // group, kind, namespace

#[derive(Debug, Default)]
pub struct Index {
    by_name: HashMap<TypeKey, HashMap<String, Vec<DocId>>>,
    by_type: HashMap<TypeKey, Vec<DocId>>,
    by_label: HashMap<TypeKey, HashMap<(String, String), Vec<DocId>>>,
    plurals: HashMap<(String, String), String>,
    crds: HashMap<(String, String), DocId>,
    kinds: HashMap<(String, String), String>,
    owned_by_uid: HashMap<String, Vec<DocId>>,
    owned_by_name: HashMap<(String, String, String), Vec<DocId>>,
    mappings: HashMap<String, DocId>,
    projected_by: HashMap<String, Vec<DocId>>,
    /// For hints: the namespaces holding (group, kind, name); every document by (namespace,
    /// name); the input's kinds, sorted; names and `key=value` labels of one type and
    /// namespace one or two edits from a query (built when a hint first needs them).
    namespaces_of: HashMap<(String, String, String), Vec<String>>,
    by_ns_name: HashMap<(String, String), Vec<DocId>>,
    kinds_sorted: Vec<String>,
    near: Mutex<HashMap<(TypeKey, NearOf), Arc<NearNames>>>,
}

/// What a [`NearNames`] of one type and namespace holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NearOf {
    Names,
    Labels,
}

impl Index {
    pub fn build(docs: &[Document], default_ns: &str) -> Self {
        let mut ix = Index::default();
        for (id, doc) in docs.iter().enumerate() {
            let group = group_of(doc.api_version()).to_string();
            let key: TypeKey = (group.clone(), doc.kind().to_string(), doc.namespace(default_ns).to_string());
            ix.by_name.entry(key.clone()).or_default().entry(doc.name().to_string()).or_default().push(id);
            if let Some(Value::Object(labels)) = doc.value.pointer("/metadata/labels") {
                let by_label = ix.by_label.entry(key.clone()).or_default();
                for (k, v) in labels {
                    if let Some(v) = v.as_str() {
                        by_label.entry((k.to_string(), v.to_string())).or_default().push(id);
                    }
                }
            }
            if let Some(Value::Object(annotations)) = doc.value.pointer("/metadata/annotations") {
                for k in annotations.keys() {
                    if let Some(uid) = k.strip_prefix(MAPPING_ANNOTATION_PREFIX) {
                        ix.projected_by.entry(uid.to_string()).or_default().push(id);
                    }
                }
            }
            match (group.as_str(), doc.kind()) {
                ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                    let g = doc.value.pointer("/spec/group").and_then(Value::as_str);
                    let k = doc.value.pointer("/spec/names/kind").and_then(Value::as_str);
                    let p = doc.value.pointer("/spec/names/plural").and_then(Value::as_str);
                    if let (Some(g), Some(k), Some(p)) = (g, k, p) {
                        ix.plurals.entry((g.to_string(), k.to_string())).or_insert_with(|| p.to_string());
                        ix.kinds.entry((g.to_string(), p.to_string())).or_insert_with(|| k.to_string());
                        ix.crds.entry((g.to_string(), k.to_string())).or_insert(id);
                    }
                }
                ("servicebinding.io", "ClusterWorkloadResourceMapping") => {
                    ix.mappings.entry(doc.name().to_string()).or_insert(id);
                }
                _ => {}
            }
            if let Some(Value::Array(owners)) = doc.value.pointer("/metadata/ownerReferences") {
                for o in owners {
                    if let Some(uid) = o.get("uid").and_then(Value::as_str) {
                        ix.owned_by_uid.entry(uid.to_string()).or_default().push(id);
                    }
                    if let (Some(k), Some(n)) = (o.get("kind").and_then(Value::as_str), o.get("name").and_then(Value::as_str)) {
                        let ns = doc.namespace(default_ns).to_string();
                        ix.owned_by_name.entry((ns, k.to_string(), n.to_string())).or_default().push(id);
                    }
                }
            }
            let namespaces = ix.namespaces_of.entry((group.clone(), doc.kind().to_string(), doc.name().to_string())).or_default();
            if !namespaces.iter().any(|n| n == &key.2) {
                namespaces.push(key.2.clone());
            }
            ix.by_ns_name.entry((key.2.clone(), doc.name().to_string())).or_default().push(id);
            ix.by_type.entry(key).or_default().push(id);
        }
        let mut kinds: Vec<String> = ix.by_type.keys().map(|(_, k, _)| k.clone()).filter(|k| !k.is_empty()).collect();
        kinds.sort();
        kinds.dedup();
        ix.kinds_sorted = kinds;
        ix
    }

    /// Every kind in the input, sorted (for kind suggestions).
    pub fn kinds(&self) -> &[String] {
        &self.kinds_sorted
    }

    /// Every document named `name` in `namespace`, of any kind.
    pub fn named(&self, namespace: &str, name: &str) -> &[DocId] {
        self.by_ns_name.get(&(namespace.to_string(), name.to_string())).map_or(&[], Vec::as_slice)
    }

    /// The namespaces other than `namespace` that hold a resource of this group, kind and name,
    /// sorted.
    pub fn other_namespaces(&self, group: &str, kind: &str, name: &str, namespace: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .namespaces_of
            .get(&(group.to_string(), kind.to_string(), name.to_string()))
            .map(|ns| ns.iter().filter(|n| *n != namespace).cloned().collect())
            .unwrap_or_default();
        out.sort();
        out
    }

    fn near_names(&self, key: TypeKey, of: NearOf) -> Arc<NearNames> {
        let mut cache = self.near.lock().unwrap_or_else(|e| e.into_inner());
        let near = cache.entry((key.clone(), of)).or_insert_with(|| {
            Arc::new(match of {
                NearOf::Names => NearNames::new(self.by_name.get(&key).into_iter().flat_map(|m| m.keys().cloned())),
                NearOf::Labels => {
                    NearNames::new(self.by_label.get(&key).into_iter().flat_map(|m| m.keys().map(|(k, v)| format!("{k}={v}"))))
                }
            })
        });
        near.clone()
    }

    /// The name of a resource of this type in `namespace` one or two edits from `name` (a typo),
    /// if any.
    pub fn near_name(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Option<String> {
        let key = (group.to_string(), kind.to_string(), namespace.to_string());
        self.by_name.get(&key)?;
        self.near_names(key, NearOf::Names).nearest(name).map(str::to_string)
    }

    /// Whether some resource of this type in `namespace` has the label `key: value`.
    pub fn has_label(&self, group: &str, kind: &str, namespace: &str, key: &str, value: &str) -> bool {
        let type_key = (group.to_string(), kind.to_string(), namespace.to_string());
        self.by_label.get(&type_key).is_some_and(|m| m.contains_key(&(key.to_string(), value.to_string())))
    }

    /// The label (`key`, `value`) of a resource of this type in `namespace` nearest to
    /// `key: value` (one or two edits in the key or the value), if any.
    pub fn near_label(&self, group: &str, kind: &str, namespace: &str, key: &str, value: &str) -> Option<(String, String)> {
        let type_key = (group.to_string(), kind.to_string(), namespace.to_string());
        self.by_label.get(&type_key)?;
        let near = self.near_names(type_key, NearOf::Labels);
        let found = near.nearest(&format!("{key}={value}"))?;
        let (k, v) = found.split_once('=')?;
        Some((k.to_string(), v.to_string()))
    }

    /// What to say about a resource named `name` that the input does not have in `namespace`:
    /// `did you mean <kind> "<near>"?` for a name one or two edits from an existing one, and
    /// `<kind> "<name>" exists in namespace "<ns>"` when it is elsewhere.
    pub fn name_hints(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(near) = self.near_name(group, kind, namespace, name) {
            out.push(format!("did you mean {kind} {near:?}?"));
        }
        let elsewhere = self.other_namespaces(group, kind, name, namespace);
        if !elsewhere.is_empty() {
            let list: Vec<String> = elsewhere.iter().map(|n| format!("{n:?}")).collect();
            let (word, these) = if list.len() == 1 { ("namespace", list[0].clone()) } else { ("namespaces", list.join(", ")) };
            out.push(format!("{kind} {name:?} exists in {word} {these}, not in {namespace:?}"));
        }
        out
    }

    /// The REST resource (plural) that `resource` was probably meant to be in `group`: a singular
    /// (`deployment` → `deployments`) or a name one or two edits from a resource the group
    /// serves (the input's CRDs and kinds, and the built-in table).
    pub fn suggest_resource(&self, group: &str, resource: &str) -> Option<String> {
        let mut known: Vec<String> = self.kinds.keys().filter(|(g, _)| g == group).map(|(_, p)| p.clone()).collect();
        known.extend(self.by_type.keys().filter(|(g, _, _)| g == group).map(|(g, k, _)| self.plural(g, k)));
        known.extend(BUILTIN_KINDS.iter().filter(|(g, _, _)| *g == group).map(|(_, _, p)| p.to_string()));
        known.sort();
        known.dedup();
        if known.iter().any(|k| k == resource) {
            return None;
        }
        let lower = resource.to_ascii_lowercase();
        let plural = naive_plural(&lower);
        if let Some(k) = known.iter().find(|k| **k == lower || **k == plural) {
            return Some(k.clone());
        }
        NearNames::new(known).nearest(resource).map(str::to_string)
    }

    /// The CustomResourceDefinition of a group and kind, if in the input.
    pub fn crd(&self, group: &str, kind: &str) -> Option<DocId> {
        self.crds.get(&(group.to_string(), kind.to_string())).copied()
    }

    /// The kind served as `resource` (a REST plural) in `group`: from a CRD in the input, the
    /// built-in table, or any loaded kind of that group whose plural it is.
    pub fn kind_for_resource(&self, group: &str, resource: &str) -> Option<String> {
        if let Some(k) = self.kinds.get(&(group.to_string(), resource.to_string())) {
            return Some(k.clone());
        }
        let mut kinds: Vec<&String> = self.by_type.keys().filter(|(g, _, _)| g == group).map(|(_, k, _)| k).collect();
        kinds.sort();
        kinds.into_iter().find(|k| self.plural(group, k) == resource).cloned().or_else(|| builtin_kind(group, resource).map(str::to_string))
    }

    /// Documents whose `ownerReferences` name the owner: by UID when the owner has one, else
    /// by the owner's kind and name in the namespace.
    pub fn owned_by(&self, namespace: &str, kind: &str, name: &str, uid: Option<&str>) -> Vec<DocId> {
        let found = match uid {
            Some(uid) => self.owned_by_uid.get(uid),
            None => self.owned_by_name.get(&(namespace.to_string(), kind.to_string(), name.to_string())),
        };
        found.cloned().unwrap_or_default()
    }

    /// Every document of that group, kind, namespace and name (usually one).
    pub fn get(&self, group: &str, kind: &str, namespace: &str, name: &str) -> &[DocId] {
        self.by_name.get(&(group.to_string(), kind.to_string(), namespace.to_string())).and_then(|m| m.get(name)).map_or(&[], Vec::as_slice)
    }

    /// Every document of that group and kind in the namespace.
    pub fn of_type(&self, group: &str, kind: &str, namespace: &str) -> &[DocId] {
        self.by_type.get(&(group.to_string(), kind.to_string(), namespace.to_string())).map_or(&[], Vec::as_slice)
    }

    /// Documents of that type whose own `metadata.labels` match the selector, in input order.
    /// Uses the smallest `matchLabels` posting list as candidates.
    pub fn select(&self, docs: &[Document], group: &str, kind: &str, namespace: &str, selector: &LabelSelector) -> Vec<DocId> {
        let key = (group.to_string(), kind.to_string(), namespace.to_string());
        let candidates: &[DocId] = if selector.match_labels.is_empty() {
            self.of_type(group, kind, namespace)
        } else {
            let postings = self.by_label.get(&key);
            let smallest = selector
                .match_labels
                .iter()
                .map(|(k, v)| postings.and_then(|p| p.get(&(k.clone(), v.clone()))).map_or(&[][..], Vec::as_slice))
                .min_by_key(|l| l.len());
            smallest.unwrap_or(&[])
        };
        candidates
            .iter()
            .copied()
            .filter(|&id| {
                let labels = docs[id].value.pointer("/metadata/labels").and_then(Value::as_object);
                selector.matches(labels)
            })
            .collect()
    }

    /// Documents carrying this binding UID's stashed-mapping annotation (projected earlier).
    pub fn projected_by(&self, uid: &str) -> &[DocId] {
        self.projected_by.get(uid).map_or(&[], Vec::as_slice)
    }

    /// The ClusterWorkloadResourceMapping document named `name`, if in the input.
    pub fn mapping(&self, name: &str) -> Option<DocId> {
        self.mappings.get(name).copied()
    }

    /// The REST plural of a kind: from a CRD in the input, the built-in table of core workload
    /// kinds, or else the lower-cased kind with an English plural ending.
    pub fn plural(&self, group: &str, kind: &str) -> String {
        if let Some(p) = self.plurals.get(&(group.to_string(), kind.to_string())) {
            return p.clone();
        }
        let builtin = builtin_plural(group, kind);
        builtin.map(str::to_string).unwrap_or_else(|| naive_plural(&kind.to_ascii_lowercase()))
    }
}

const BUILTIN_KINDS: &[(&str, &str, &str)] = &[
    ("apps", "Deployment", "deployments"),
    ("apps", "ReplicaSet", "replicasets"),
    ("apps", "StatefulSet", "statefulsets"),
    ("apps", "DaemonSet", "daemonsets"),
    ("batch", "Job", "jobs"),
    ("batch", "CronJob", "cronjobs"),
    ("", "ReplicationController", "replicationcontrollers"),
    ("", "Pod", "pods"),
    ("", "Secret", "secrets"),
    ("", "ConfigMap", "configmaps"),
    ("", "Service", "services"),
    ("apps.openshift.io", "DeploymentConfig", "deploymentconfigs"),
    ("route.openshift.io", "Route", "routes"),
    ("serving.knative.dev", "Service", "services"),
];

fn builtin_plural(group: &str, kind: &str) -> Option<&'static str> {
    BUILTIN_KINDS.iter().find(|(g, k, _)| *g == group && *k == kind).map(|(_, _, p)| *p)
}

fn builtin_kind(group: &str, resource: &str) -> Option<&'static str> {
    BUILTIN_KINDS.iter().find(|(g, _, p)| *g == group && *p == resource).map(|(_, k, _)| *k)
}

fn naive_plural(k: &str) -> String {
    if k.ends_with('s') || k.ends_with("x") || k.ends_with("ch") || k.ends_with("sh") {
        format!("{k}es")
    } else if k.ends_with('y') && !k.ends_with("ay") && !k.ends_with("ey") && !k.ends_with("oy") {
        format!("{}ies", &k[..k.len() - 1])
    } else {
        format!("{k}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_file;

    #[test]
    fn indexes_by_name_label_and_crd_plural() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, labels: {team: x}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: other, labels: {team: x}}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: batchapps.example.com}\nspec: {group: example.com, names: {kind: BatchApp, plural: batchapps}}\n";
        let (_, docs) = parse_file("f".into(), "f".into(), text.as_bytes().to_vec()).unwrap();
        let ix = Index::build(&docs, "default");
        assert_eq!(ix.get("apps", "Deployment", "default", "a"), &[0]);
        assert!(ix.get("apps", "Deployment", "default", "b").is_empty());
        let sel = LabelSelector::parse(&crate::json!({"matchLabels": {"team": "x"}})).unwrap();
        assert_eq!(ix.select(&docs, "apps", "Deployment", "other", &sel), vec![1]);
        assert_eq!(ix.plural("example.com", "BatchApp"), "batchapps");
        assert_eq!(ix.plural("batch", "CronJob"), "cronjobs");
        assert_eq!(ix.plural("x.io", "Policy"), "policies");
    }
}
