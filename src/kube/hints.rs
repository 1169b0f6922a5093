//! Hints for the typical mistakes of hand-written bindings: a kind written in lower case or
//! misspelled, a resource in the wrong API group (`apps`/`jobs`), a reference to something the
//! input does not hold because a controller creates it at run time.
//!
//! Hints only ever name kinds, groups and resource names, never a value.

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
pub fn application_not_found(docs: &[Document], group: &str, kind: &str, resource: &str) -> Option<String> {
    let what = if resource.is_empty() { kind } else { resource };
    let mut hints = Vec::new();
    if let Some(g) = right_group(group, what) {
        let what = if resource.is_empty() { format!("kind {kind} is") } else { format!("{resource} are") };
        hints.push(format!("{what} served by {}, not {}", group_words(g), group_words(group)));
    }
    if resource.is_empty() {
        if let Some(k) = suggest_kind(docs, kind) {
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

/// The kind that `kind` was probably meant to be, among the input's kinds and the well-known
/// ones: the same letters in another case, or at most two edits away. `None` when `kind` is
/// itself known.
pub fn suggest_kind(docs: &[Document], kind: &str) -> Option<String> {
    let mut known: Vec<&str> = WELL_KNOWN.iter().map(|(_, k)| *k).collect();
    known.extend(docs.iter().map(Document::kind));
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

/// Help for a servicebinding.io service that is not in the input.
pub fn service_not_found(docs: &[Document], default_ns: &str, namespace: &str, service: &ObjectRef) -> Option<String> {
    let group = group_of(&service.api_version);
    let same_name: Vec<&Document> =
        docs.iter().filter(|d| d.name() == service.name && d.namespace(default_ns) == namespace && !d.kind().is_empty()).collect();
    if let Some(d) = same_name.iter().find(|d| d.kind() != "ServiceBinding") {
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
    if let Some(k) = suggest_kind(docs, &service.kind) {
        return Some(format!("kinds are case-sensitive CamelCase: did you mean kind: {k}?"));
    }
    None
}

/// Help for a workload named by a binding that is not in the input.
pub fn workload_not_found(docs: &[Document], kind: &str, api_version: &str) -> String {
    let mut hints = Vec::new();
    if let Some(k) = suggest_kind(docs, kind) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_suggested() {
        assert_eq!(suggest_kind(&[], "deployment").as_deref(), Some("Deployment"));
        assert_eq!(suggest_kind(&[], "Deploymnet").as_deref(), Some("Deployment"));
        assert_eq!(suggest_kind(&[], "Deployment"), None);
        assert_eq!(suggest_kind(&[], "Widget"), None);
        assert_eq!(right_group("apps", "jobs"), Some("batch"));
        assert_eq!(right_group("batch", "jobs"), None);
        assert_eq!(right_group("apps", "Deployment"), None);
        assert_eq!(kind_for_resource("secrets"), Some("Secret"));
        assert_eq!(kind_for_resource("deployments"), Some("Deployment"));
    }
}
