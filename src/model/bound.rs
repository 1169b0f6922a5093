//! What projection gives each container, as plain records: which files and variables, and
//! where each value comes from (never the value of a Secret).

use crate::doc::document::DocId;

/// Where the content of a projected file or variable comes from. Never holds a Secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueSource {
    /// An entry of the binding Secret.
    SecretKey { secret: String, key: String },
    /// `spec.type` or `spec.provider` of the binding (not secret), delivered by the downward API
    /// from a pod-template annotation.
    Override { field: &'static str, value: String, annotation: String },
    /// An entry of a ConfigMap (an input one, or one bindery generated for non-secret values).
    ConfigMapKey { configmap: String, key: String },
    /// A literal, non-secret environment value.
    Literal { value: String },
}

/// Named entries and where their values come from.
pub type Entries = std::sync::Arc<[(String, ValueSource)]>;

/// What one binding gives one container: the plain record `explain` and `materialize` print.
#[derive(Debug, Clone)]
pub struct BoundContainer {
    pub workload: DocId,
    /// Index into the resolution's bindings.
    pub binding: usize,
    /// The container's name (empty when the mapping gives none).
    pub container: String,
    /// `$SERVICE_BINDING_ROOT/<binding name>`.
    pub mount_path: String,
    /// Every file in the binding directory, sorted by name (shared by every container the
    /// binding reaches).
    pub files: Entries,
    /// Every variable the binding injects, in `spec.env` order.
    pub env: Entries,
    /// Variables the container set itself that a `spec.env` mapping replaced.
    pub replaced_env: Vec<String>,
}
