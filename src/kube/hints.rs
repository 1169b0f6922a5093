//! Hints for the typical mistakes of hand-written bindings: a kind written in lower case or
//! misspelled, a resource in the wrong API group (`apps`/`jobs`), a reference to something the
//! input does not hold because a controller creates it at run time.
//!
//! Hints only ever name kinds, groups, resource names and labels, never a value.
//!
//! Hints cost time linear in the input overall: the kinds and names they compare against come
//! from the index, and names one or two edits away are found through [`NearNames`] (built once
//! per type and namespace, when a hint needs it), not by comparing with every resource for
//! every binding.

use std::collections::HashMap;

use crate::doc::document::Document;
use crate::kube::{group_of, ObjectRef};

/// Kinds every cluster serves, with their API group, for suggestions.
const WELL_KNOWN: &[(&str, &str)] = &[
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("", "Pod"),
    ("", "Secret"),
    ("", "ConfigMap"),
    ("", "Service"),
    ("", "ReplicationController"),
    ("apps.openshift.io", "DeploymentConfig"),
    ("serving.knative.dev", "Service"),
    ("serving.knative.dev", "Configuration"),
];

/// Resource (plural) names of the well-known kinds, for `group`/`resource` references.
const WELL_KNOWN_RESOURCES: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
    ("", "pods"),
    ("", "secrets"),
    ("", "configmaps"),
    ("", "services"),
];

/// The kind of a well-known resource (plural), e.g. `secrets` → `Secret`.
pub fn kind_for_resource(resource: &str) -> Option<&'static str> {
    let (group, _) = WELL_KNOWN_RESOURCES.iter().find(|(_, r)| r.eq_ignore_ascii_case(resource))?;
    let singular = resource.strip_suffix('s').unwrap_or(resource);
    WELL_KNOWN.iter().find(|(g, k)| g == group && k.eq_ignore_ascii_case(singular)).map(|(_, k)| *k)
}

/// Help for an SBO application reference that finds nothing: wrong group, lower-case kind.
/// `input_kinds`: the kinds of the input (see `Index::kinds`).
pub fn application_not_found(input_kinds: &[String], group: &str, kind: &str, resource: &str) -> Option<String> {
    let what = if resource.is_empty() { kind } else { resource };
    let mut hints = Vec::new();
    if let Some(g) = right_group(group, what) {
        let what = if resource.is_empty() { format!("kind {kind} is") } else { format!("{resource} are") };
        hints.push(format!("{what} served by {}, not {}", group_words(g), group_words(group)));
    }
    if resource.is_empty() {
        if let Some(k) = suggest_kind(input_kinds, kind) {
            hints.push(format!("kinds are case-sensitive CamelCase: did you mean kind: {k}?"));
        }
    }
    (!hints.is_empty()).then(|| hints.join("; "))
}

/// Levenshtein distance, ASCII case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The kind that `kind` was probably meant to be, among the input's kinds (`input_kinds`, see
/// `Index::kinds`) and the well-known ones: the same letters in another case, or at most two
/// edits away. `None` when `kind` is itself known.
pub fn suggest_kind(input_kinds: &[String], kind: &str) -> Option<String> {
    let mut known: Vec<&str> = WELL_KNOWN.iter().map(|(_, k)| *k).collect();
    known.extend(input_kinds.iter().map(String::as_str));
    if known.contains(&kind) || kind.is_empty() {
        return None;
    }
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        return Some(k.to_string());
    }
    let limit = if kind.len() <= 4 { 1 } else { 2 };
    known.iter().map(|k| (distance(k, kind), *k)).filter(|(d, _)| *d <= limit).min().map(|(_, k)| k.to_string())
}

/// The group a well-known resource (plural) or kind is served by, when `group` is not it
/// (`apps` + `jobs` → `batch`).
pub fn right_group(group: &str, kind_or_resource: &str) -> Option<&'static str> {
    let by_resource = WELL_KNOWN_RESOURCES.iter().find(|(_, r)| r.eq_ignore_ascii_case(kind_or_resource)).map(|(g, _)| *g);
    let by_kind = WELL_KNOWN
        .iter()
        .filter(|(g, _)| g.is_empty() || *g == "apps" || *g == "batch")
        .find(|(_, k)| k.eq_ignore_ascii_case(kind_or_resource))
        .map(|(g, _)| *g);
    by_resource.or(by_kind).filter(|g| *g != group)
}

fn group_words(group: &str) -> String {
    if group.is_empty() {
        "the core group (apiVersion: v1)".into()
    } else {
        format!("group {group:?}")
    }
}

/// Help for a servicebinding.io service that is not in the input: `same_name` are the input's
/// resources of that name in the binding's namespace (see `Index::named`), `input_kinds` its kinds.
pub fn service_not_found(same_name: &[&Document], input_kinds: &[String], service: &ObjectRef) -> Option<String> {
    let group = group_of(&service.api_version);
    if let Some(d) = same_name.iter().find(|d| d.kind() != "ServiceBinding" && !d.kind().is_empty()) {
        if d.kind() != service.kind || group_of(d.api_version()) != group {
            return Some(format!(
                "the input has {} {:?} (apiVersion: {}); did you mean spec.service kind: {}, apiVersion: {}?",
                d.kind(),
                d.name(),
                d.api_version(),
                d.kind(),
                d.api_version()
            ));
        }
    }
    if let Some(k) = suggest_kind(input_kinds, &service.kind) {
        return Some(format!("kinds are case-sensitive CamelCase: did you mean kind: {k}?"));
    }
    None
}

/// Help for a workload named by a binding that is not in the input (`input_kinds`: see
/// `Index::kinds`).
pub fn workload_not_found(input_kinds: &[String], kind: &str, api_version: &str) -> String {
    let mut hints = Vec::new();
    if let Some(k) = suggest_kind(input_kinds, kind) {
        hints.push(format!("kinds are case-sensitive CamelCase: did you mean kind: {k}?"));
    }
    if let Some(g) = right_group(group_of(api_version), kind) {
        hints.push(format!("{kind} is served by {}, not {}", group_words(g), group_words(group_of(api_version))));
    }
    hints.push(
        "the workload may be created at run time by a controller (an operator, a Knative Configuration), so it is not in the input; \
         add it to the input, fix spec.workload.name, or select workloads by label to bind what the input holds"
            .into(),
    );
    hints.join("; ")
}

/// How many edits a name of `len` characters may be from the one it was meant to be: one for
/// short names (where two edits make anything similar), else two.
pub fn edit_limit(len: usize) -> usize {
    if len <= 4 {
        1
    } else {
        2
    }
}

/// Longest name [`NearNames`] indexes: a name's deletion neighbourhood grows with the square of
/// its length (Kubernetes names are DNS-1123 labels of at most 63 characters, or subdomains).
pub const NEAR_NAMES_MAX_LEN: usize = 80;

/// Names at most two edits (Levenshtein, ASCII case-insensitive) from a query, found through
/// the deletion neighbourhood (as SymSpell does): each name is filed under every string
/// obtained by deleting at most two of its characters; two strings within k edits share a
/// string obtained from each by at most k deletions, so a query looks up its own deletions and
/// confirms each candidate by its distance.
/// Building costs O(n·L²) for n names of length L, a query O(L²) lookups, whatever n is.
#[derive(Debug, Default)]
pub struct NearNames {
    names: Vec<String>,
    by_deletion: HashMap<String, Vec<u32>>,
}

/// Every string obtained from `s` by deleting at most `k` characters (with `s` itself).
fn deletions(s: &str, k: usize) -> Vec<String> {
    let mut out = vec![s.to_string()];
    let mut frontier = vec![s.to_string()];
    for _ in 0..k {
        let mut next = Vec::new();
        for w in &frontier {
            let chars: Vec<char> = w.chars().collect();
            for i in 0..chars.len() {
                let d: String = chars[..i].iter().chain(&chars[i + 1..]).collect();
                next.push(d);
            }
        }
        next.sort();
        next.dedup();
        out.extend(next.iter().cloned());
        frontier = next;
    }
    out.sort();
    out.dedup();
    out
}

impl NearNames {
    pub fn new<I: IntoIterator<Item = String>>(names: I) -> Self {
        let mut n = NearNames::default();
        let mut names: Vec<String> = names.into_iter().filter(|s| s.chars().count() <= NEAR_NAMES_MAX_LEN).collect();
        names.sort();
        names.dedup();
        for (i, name) in names.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            for d in deletions(&lower, 2) {
                n.by_deletion.entry(d).or_default().push(i as u32);
            }
        }
        n.names = names;
        n
    }

    /// The nearest other name within [`edit_limit`] edits of `query` (by the query's length;
    /// ties: the first in sorted order); `None` when `query` itself is a name, or nothing is near.
    pub fn nearest(&self, query: &str) -> Option<&str> {
        let lower = query.to_ascii_lowercase();
        let len = lower.chars().count();
        if len > NEAR_NAMES_MAX_LEN || self.names.binary_search_by(|n| n.as_str().cmp(query)).is_ok() {
            return None;
        }
        let limit = edit_limit(len);
        let mut best: Option<(usize, u32)> = None;
        for d in deletions(&lower, limit) {
            for &i in self.by_deletion.get(&d).map_or(&[][..], Vec::as_slice) {
                let name = &self.names[i as usize];
                let dist = distance(name, query);
                if name != query && dist <= limit && best.is_none_or(|(bd, bi)| (dist, i) < (bd, bi)) {
                    best = Some((dist, i));
                }
            }
        }
        best.map(|(_, i)| self.names[i as usize].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_within_two_edits() {
        let near = NearNames::new(["shop-api", "shop-web", "billing", "db", "orders-db"].map(String::from));
        assert_eq!(near.nearest("shop-apii"), Some("shop-api"), "one insertion");
        assert_eq!(near.nearest("shpo-api"), Some("shop-api"), "a transposition is two edits");
        assert_eq!(near.nearest("shop-ap"), Some("shop-api"));
        assert_eq!(near.nearest("Billing"), Some("billing"), "case");
        assert_eq!(near.nearest("ordrs-db"), Some("orders-db"));
        assert_eq!(near.nearest("shop-api"), None, "an existing name is no typo");
        assert_eq!(near.nearest("catalog"), None);
        assert_eq!(near.nearest("dbx"), Some("db"), "short names: one edit");
        assert_eq!(near.nearest("xy"), None, "db is two edits from xy, too many for a short name");
        // Agrees with comparing every name (the straightforward, quadratic form).
        let names: Vec<String> = (0..200).map(|i| format!("svc-{}-{}", i % 17, i)).collect();
        let near = NearNames::new(names.clone());
        for q in ["svc-3-20", "svc-3-2O", "sv-3-20", "svc-13-1", "svc-99-999", "xsvc-1-1x"] {
            let scan = names
                .iter()
                .filter(|_| !names.iter().any(|n| n == q))
                .filter(|n| n.as_str() != q)
                .map(|n| (distance(n, q), n.as_str()))
                .filter(|(d, _)| *d <= edit_limit(q.len()))
                .min()
                .map(|(_, n)| n);
            assert_eq!(near.nearest(q), scan, "{q}");
        }
    }

    #[test]
    fn kinds_are_suggested() {
        assert_eq!(suggest_kind(&[], "deployment").as_deref(), Some("Deployment"));
        assert_eq!(suggest_kind(&[], "Deploymnet").as_deref(), Some("Deployment"));
        assert_eq!(suggest_kind(&[], "Deployment"), None);
        assert_eq!(suggest_kind(&[], "Widget"), None);
        assert_eq!(suggest_kind(&["Widget".into()], "Widgte").as_deref(), Some("Widget"));
        assert_eq!(right_group("apps", "jobs"), Some("batch"));
        assert_eq!(right_group("batch", "jobs"), None);
        assert_eq!(right_group("apps", "Deployment"), None);
        assert_eq!(kind_for_resource("secrets"), Some("Secret"));
        assert_eq!(kind_for_resource("deployments"), Some("Deployment"));
    }
}
