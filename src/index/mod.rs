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

/// (group, kind, namespace), borrowed from the documents.
type TypeKey<'a> = (&'a str, &'a str, &'a str);

/// A [`TypeKey`] that owns its strings (the hint cache outlives no query).
type OwnedTypeKey = (String, String, String);

/// FxHash: the keys are short strings from the input, and the index is built for every run.
/// hashbrown's map, for [`Key`] lookups.
type Map<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A tuple of strings to look a tuple key up by: the query's strings need not live as long as
/// the documents the keys borrow from. Hashes as the tuple does.
#[derive(Hash)]
struct Key<T>(T);

impl<'a, 'b> hashbrown::Equivalent<(&'a str, &'a str)> for Key<(&'b str, &'b str)> {
    fn equivalent(&self, key: &(&'a str, &'a str)) -> bool {
        self.0 .0 == key.0 && self.0 .1 == key.1
    }
}

impl<'a, 'b> hashbrown::Equivalent<(&'a str, &'a str, &'a str)> for Key<(&'b str, &'b str, &'b str)> {
    fn equivalent(&self, key: &(&'a str, &'a str, &'a str)) -> bool {
        self.0 .0 == key.0 && self.0 .1 == key.1 && self.0 .2 == key.2
    }
}

/// Every table borrows its keys from the loaded documents (and the default namespace): building
/// it copies no string.
#[derive(Debug)]
pub struct Index<'a> {
    default_ns: &'a str,
    by_name: Map<TypeKey<'a>, Map<&'a str, Vec<DocId>>>,
    by_type: Map<TypeKey<'a>, Vec<DocId>>,
    by_label: Map<TypeKey<'a>, Map<(&'a str, &'a str), Vec<DocId>>>,
    plurals: Map<(&'a str, &'a str), &'a str>,
    crds: Map<(&'a str, &'a str), DocId>,
    kinds: Map<(&'a str, &'a str), &'a str>,
    owned_by_uid: Map<&'a str, Vec<DocId>>,
    owned_by_name: Map<(&'a str, &'a str, &'a str), Vec<DocId>>,
    mappings: Map<&'a str, DocId>,
    projected_by: Map<&'a str, Vec<DocId>>,
    /// The input's kinds, sorted (for kind suggestions).
    kinds_sorted: Vec<String>,
    /// Names and `key=value` labels of one type and namespace one or two edits from a query.
    near: Mutex<HashMap<(OwnedTypeKey, NearOf), Arc<NearNames>>>,
}

/// What a [`NearNames`] of one type and namespace holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NearOf {
    Names,
    Labels,
}

impl<'a> Index<'a> {
    pub fn build(docs: &'a [Document], default_ns: &'a str) -> Self {
        let mut ix = Index {
            default_ns,
            by_name: Map::default(),
            by_type: Map::default(),
            by_label: Map::default(),
            plurals: Map::default(),
            crds: Map::default(),
            kinds: Map::default(),
            owned_by_uid: Map::default(),
            owned_by_name: Map::default(),
            mappings: Map::default(),
            projected_by: Map::default(),
            kinds_sorted: Vec::new(),
            near: Mutex::default(),
        };
        for (id, doc) in docs.iter().enumerate() {
            ix.add(id, doc);
        }
        let mut kinds: Vec<String> = ix.by_type.keys().map(|(_, k, _)| k.to_string()).filter(|k| !k.is_empty()).collect();
        kinds.sort();
        kinds.dedup();
        ix.kinds_sorted = kinds;
        ix
    }

    fn add(&mut self, id: DocId, doc: &'a Document) {
        let group = group_of(doc.api_version());
        let key: TypeKey<'a> = (group, doc.kind(), doc.namespace(self.default_ns));
        self.by_name.entry(key).or_default().entry(doc.name()).or_default().push(id);
        let metadata = doc.value.get("metadata");
        if let Some(Value::Object(labels)) = metadata.and_then(|m| m.get("labels")) {
            let by_label = self.by_label.entry(key).or_default();
            for (k, v) in labels {
                if let Some(v) = v.as_str() {
                    by_label.entry((k.as_str(), v)).or_default().push(id);
                }
            }
        }
        if let Some(Value::Object(annotations)) = metadata.and_then(|m| m.get("annotations")) {
            for k in annotations.keys() {
                if let Some(uid) = k.strip_prefix(MAPPING_ANNOTATION_PREFIX) {
                    self.projected_by.entry(uid).or_default().push(id);
                }
            }
        }
        match (group, doc.kind()) {
            ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                let g = doc.value.pointer("/spec/group").and_then(Value::as_str);
                let k = doc.value.pointer("/spec/names/kind").and_then(Value::as_str);
                let p = doc.value.pointer("/spec/names/plural").and_then(Value::as_str);
                if let (Some(g), Some(k), Some(p)) = (g, k, p) {
                    self.plurals.entry((g, k)).or_insert(p);
                    self.kinds.entry((g, p)).or_insert(k);
                    self.crds.entry((g, k)).or_insert(id);
                }
            }
            ("servicebinding.io", "ClusterWorkloadResourceMapping") => {
                self.mappings.entry(doc.name()).or_insert(id);
            }
            _ => {}
        }
        if let Some(Value::Array(owners)) = metadata.and_then(|m| m.get("ownerReferences")) {
            for o in owners {
                if let Some(uid) = o.get("uid").and_then(Value::as_str) {
                    self.owned_by_uid.entry(uid).or_default().push(id);
                }
                if let (Some(k), Some(n)) = (o.get("kind").and_then(Value::as_str), o.get("name").and_then(Value::as_str)) {
                    self.owned_by_name.entry((key.2, k, n)).or_default().push(id);
                }
            }
        }
        self.by_type.entry(key).or_default().push(id);
    }

    /// Every kind in the input, sorted (for kind suggestions).
    pub fn kinds(&self) -> &[String] {
        &self.kinds_sorted
    }

    /// Every document named `name` in `namespace`, of any kind, in input order (for hints: a
    /// walk over the input's types).
    pub fn named(&self, namespace: &str, name: &str) -> Vec<DocId> {
        let mut out: Vec<DocId> = self
            .by_name
            .iter()
            .filter(|((_, _, ns), _)| *ns == namespace)
            .filter_map(|(_, names)| names.get(name))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out
    }

    /// The namespaces other than `namespace` that hold a resource of this group, kind and name,
    /// sorted (for hints: a walk over the input's types).
    pub fn other_namespaces(&self, group: &str, kind: &str, name: &str, namespace: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .by_name
            .iter()
            .filter(|((g, k, ns), names)| *g == group && *k == kind && *ns != namespace && names.contains_key(name))
            .map(|((_, _, ns), _)| ns.to_string())
            .collect();
        out.sort();
        out
    }

    fn near_names(&self, key: TypeKey<'_>, of: NearOf) -> Arc<NearNames> {
        let mut cache = self.near.lock().unwrap_or_else(|e| e.into_inner());
        let owned = (key.0.to_string(), key.1.to_string(), key.2.to_string());
        let near = cache.entry((owned, of)).or_insert_with(|| {
            Arc::new(match of {
                NearOf::Names => NearNames::new(self.by_name.get(&Key(key)).into_iter().flat_map(|m| m.keys().map(|k| k.to_string()))),
                NearOf::Labels => {
                    NearNames::new(self.by_label.get(&Key(key)).into_iter().flat_map(|m| m.keys().map(|(k, v)| format!("{k}={v}"))))
                }
            })
        });
        near.clone()
    }

    /// The name of a resource of this type in `namespace` one or two edits from `name` (a typo),
    /// if any.
    pub fn near_name(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Option<String> {
        let key = (group, kind, namespace);
        self.by_name.get(&Key(key))?;
        self.near_names(key, NearOf::Names).nearest(name).map(str::to_string)
    }

    /// Whether some resource of this type in `namespace` has the label `key: value`.
    pub fn has_label(&self, group: &str, kind: &str, namespace: &str, key: &str, value: &str) -> bool {
        self.by_label.get(&Key((group, kind, namespace))).is_some_and(|m| m.contains_key(&Key((key, value))))
    }

    /// The label (`key`, `value`) of a resource of this type in `namespace` nearest to
    /// `key: value` (one or two edits in the key or the value), if any.
    pub fn near_label(&self, group: &str, kind: &str, namespace: &str, key: &str, value: &str) -> Option<(String, String)> {
        let type_key = (group, kind, namespace);
        self.by_label.get(&Key(type_key))?;
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
        let mut known: Vec<String> = self.kinds.keys().filter(|(g, _)| *g == group).map(|(_, p)| p.to_string()).collect();
        known.extend(self.by_type.keys().filter(|(g, _, _)| *g == group).map(|(g, k, _)| self.plural(g, k)));
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
        self.crds.get(&Key((group, kind))).copied()
    }

    /// The kind served as `resource` (a REST plural) in `group`: from a CRD in the input, the
    /// built-in table, or any loaded kind of that group whose plural it is.
    pub fn kind_for_resource(&self, group: &str, resource: &str) -> Option<String> {
        if let Some(k) = self.kinds.get(&Key((group, resource))) {
            return Some(k.to_string());
        }
        let mut kinds: Vec<&str> = self.by_type.keys().filter(|(g, _, _)| *g == group).map(|(_, k, _)| *k).collect();
        kinds.sort();
        kinds.dedup();
        kinds
            .into_iter()
            .find(|k| self.plural(group, k) == resource)
            .map(str::to_string)
            .or_else(|| builtin_kind(group, resource).map(str::to_string))
    }

    /// Documents whose `ownerReferences` name the owner: by UID when the owner has one, else
    /// by the owner's kind and name in the namespace.
    pub fn owned_by(&self, namespace: &str, kind: &str, name: &str, uid: Option<&str>) -> Vec<DocId> {
        let found = match uid {
            Some(uid) => self.owned_by_uid.get(uid),
            None => self.owned_by_name.get(&Key((namespace, kind, name))),
        };
        found.cloned().unwrap_or_default()
    }

    /// Every document of that group, kind, namespace and name (usually one).
    pub fn get(&self, group: &str, kind: &str, namespace: &str, name: &str) -> &[DocId] {
        self.by_name.get(&Key((group, kind, namespace))).and_then(|m| m.get(name)).map_or(&[], Vec::as_slice)
    }

    /// Every document of that group and kind in the namespace.
    pub fn of_type(&self, group: &str, kind: &str, namespace: &str) -> &[DocId] {
        self.by_type.get(&Key((group, kind, namespace))).map_or(&[], Vec::as_slice)
    }

    /// Documents of that type whose own `metadata.labels` match the selector, in input order.
    /// Uses the smallest `matchLabels` posting list as candidates.
    pub fn select(&self, docs: &[Document], group: &str, kind: &str, namespace: &str, selector: &LabelSelector) -> Vec<DocId> {
        let candidates: &[DocId] = if selector.match_labels.is_empty() {
            self.of_type(group, kind, namespace)
        } else {
            let postings = self.by_label.get(&Key((group, kind, namespace)));
            let smallest = selector
                .match_labels
                .iter()
                .map(|(k, v)| postings.and_then(|p| p.get(&Key((k.as_str(), v.as_str())))).map_or(&[][..], Vec::as_slice))
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
        if let Some(p) = self.plurals.get(&Key((group, kind))) {
            return p.to_string();
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
