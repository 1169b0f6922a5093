//! What building the candidates looks up in the input (a document by type and name, the kind of
//! a resource), as tables built once per run: a candidate costs no scan of the documents.

use std::collections::HashMap;

use crate::bindings::sbo::TypeRef;
use crate::doc::document::{DocId, Document};
use crate::doc::value::Value;
use crate::kube::group_of;

/// FxHash: the keys are short strings borrowed from the input.
type Map<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// (group, kind, namespace, name), borrowed from the documents.
type NameKey<'a> = (&'a str, &'a str, &'a str, &'a str);

/// The input documents by what the candidates ask of them; every list is in input order, so a
/// lookup finds the document a scan in input order would.
pub(super) struct Lookup<'a> {
    docs: &'a [Document],
    by_name: Map<NameKey<'a>, Vec<DocId>>,
    /// `(spec.group, spec.names.plural)` → `spec.names.kind` of the first
    /// CustomResourceDefinition that has all three.
    crd_kinds: Map<(&'a str, &'a str), &'a str>,
    /// Per API group, the distinct non-empty kinds of its documents in order of first occurrence.
    group_kinds: Map<&'a str, Vec<&'a str>>,
}

impl<'a> Lookup<'a> {
    pub(super) fn build(docs: &'a [Document], default_ns: &'a str) -> Self {
        let mut lookup = Lookup { docs, by_name: Map::default(), crd_kinds: Map::default(), group_kinds: Map::default() };
        for (id, d) in docs.iter().enumerate() {
            let group = group_of(d.api_version());
            let kind = d.kind();
            lookup.by_name.entry((group, kind, d.namespace(default_ns), d.name())).or_default().push(id);
            if !kind.is_empty() {
                let kinds = lookup.group_kinds.entry(group).or_default();
                if !kinds.contains(&kind) {
                    kinds.push(kind);
                }
            }
            if kind == "CustomResourceDefinition" {
                let s = |p: &str| d.value.pointer(p).and_then(Value::as_str);
                if let (Some(g), Some(p), Some(k)) = (s("/spec/group"), s("/spec/names/plural"), s("/spec/names/kind")) {
                    lookup.crd_kinds.entry((g, p)).or_insert(k);
                }
            }
        }
        lookup
    }

    /// The first document (in input order) of that group, kind, namespace and name for which
    /// `pred` holds.
    pub(super) fn find(
        &self,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        pred: impl Fn(&Document) -> bool,
    ) -> Option<&'a Document> {
        let docs = self.docs;
        let ids = self.by_name.get(&(group, kind, namespace, name))?;
        ids.iter().map(|&id| &docs[id]).find(|d| pred(d))
    }

    /// The kind of an SBO type reference: `kind`, or the kind of `resource` (which wins
    /// upstream) from the well-known table, a CustomResourceDefinition of the input, or an
    /// input document of that group whose plural matches.
    pub(super) fn kind_of(&self, type_ref: &TypeRef) -> Option<String> {
        if type_ref.resource.is_empty() {
            return (!type_ref.kind.is_empty()).then(|| type_ref.kind.clone());
        }
        if let Some(k) = crate::kube::hints::kind_for_resource(&type_ref.resource) {
            return Some(k.to_string());
        }
        let plural = type_ref.resource.to_ascii_lowercase();
        if let Some(k) = self.crd_kinds.get(&(type_ref.group.as_str(), plural.as_str())) {
            return Some(k.to_string());
        }
        self.group_kinds
            .get(type_ref.group.as_str())
            .into_iter()
            .flatten()
            .find(|k| {
                let lower = k.to_ascii_lowercase();
                format!("{lower}s") == plural || format!("{lower}es") == plural || lower == plural
            })
            .map(|k| k.to_string())
    }
}
