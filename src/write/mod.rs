//! Writers: each prints the one [`Rendered`](crate::Rendered) result of a run — [`emit`] as a
//! YAML stream or a directory; for a reviewer, [`diff`] compares it with the input, [`check`]
//! reports its problems (human, JSON, GitHub, SARIF), [`explain`] and [`materialize`] show what
//! each container receives; [`diagnostics`] renders problems with miette.
//!
//! Secret values never leave this module unless the user asked for them: [`redact`] masks
//! Secret documents, and [`secret_values`] is the only code that reads a Secret's values.
//! The command-line shells of these commands are in [`crate::cli`].

pub mod check;
pub mod diagnostics;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod graph;
pub mod materialize;
pub mod redact;
pub mod secret_values;

use std::path::{Component, Path};

use crate::doc::value::Value;
use serde::Serialize;

/// A report as pretty-printed JSON, ending with a line break.
pub fn json_text(report: &impl Serialize) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("reports serialize");
    text.push('\n');
    text
}

/// Format version of every JSON document these writers print; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Kinds that have no namespace, for titles (`CustomResourceDefinition pipelines.example.com`).
const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "APIService",
    "CSIDriver",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterWorkloadResourceMapping",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingWebhookConfiguration",
];

/// A resource as reports name it: apiVersion, kind, namespace (absent for cluster-scoped kinds
/// that do not set one) and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceName {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ResourceName {
    pub fn of(value: &Value, default_namespace: &str) -> Self {
        let s = |p: &str| value.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
        let kind = s("/kind");
        let namespace = match value.pointer("/metadata/namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() => Some(ns.to_string()),
            _ if CLUSTER_SCOPED_KINDS.contains(&kind.as_str()) => None,
            _ => Some(default_namespace.to_string()),
        };
        ResourceName { api_version: s("/apiVersion"), kind, namespace, name: s("/metadata/name") }
    }

    /// `Deployment default/app`, or `CustomResourceDefinition pipelines.example.com`.
    pub fn title(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A path as reports print it: relative to the working directory when it is under it, with
/// `/` separators and no leading `./` (GitHub resolves annotation and SARIF paths against the
/// repository root, where CI runs bindery).
pub fn report_path(path: &Path) -> String {
    let relative = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf())
    } else {
        path.to_path_buf()
    };
    let mut out = String::new();
    for c in relative.components() {
        match c {
            Component::CurDir => {}
            Component::RootDir => out.push('/'),
            Component::Prefix(p) => out.push_str(&p.as_os_str().to_string_lossy()),
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn titles_name_kind_namespace_and_name() {
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"}});
        assert_eq!(ResourceName::of(&deployment, "team-a").title(), "Deployment team-a/app");
        let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "pipelines.example.com"}});
        assert_eq!(ResourceName::of(&crd, "default").title(), "CustomResourceDefinition pipelines.example.com");
    }

    #[test]
    fn report_paths_are_relative_with_forward_slashes() {
        assert_eq!(report_path(Path::new("./deploy/app.yaml")), "deploy/app.yaml");
        assert_eq!(report_path(Path::new("deploy/app.yaml")), "deploy/app.yaml");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(report_path(&cwd.join("deploy").join("app.yaml")), "deploy/app.yaml");
        assert_eq!(report_path(Path::new("/elsewhere/app.yaml")), "/elsewhere/app.yaml");
    }
}
