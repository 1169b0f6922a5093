//! The binding APIs, each parsed and validated into its normalized model: servicebinding.io
//! ([`spec`]) and the Service Binding Operator's ([`sbo`]).

pub mod sbo;
pub mod spec;

use crate::doc::document::Document;
use crate::kube::group_of;

/// The API a binding document was written against (kept for messages only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingApi {
    /// `servicebinding.io/v1`, `v1beta1`, `v1alpha3`.
    ServiceBindingIo,
    /// The seed's `service.binding/v1alpha2` (spec 1.0.0-rc2), read as v1alpha3.
    LegacyV1alpha2,
}

/// What kind of binding-related document this is, by API group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingDocKind {
    ServiceBinding(BindingApi),
    /// `binding.operators.coreos.com` ServiceBinding (the Service Binding Operator's API).
    OperatorServiceBinding,
    WorkloadResourceMapping,
}

/// Classify a document: `None` for everything that is not ours (including `ServiceBinding`
/// kinds of other API groups, such as SAP BTP's `services.cloud.sap.com`).
pub fn classify(doc: &Document) -> Option<BindingDocKind> {
    match (group_of(doc.api_version()), doc.kind()) {
        ("servicebinding.io", "ServiceBinding") => Some(BindingDocKind::ServiceBinding(BindingApi::ServiceBindingIo)),
        ("service.binding", "ServiceBinding") => Some(BindingDocKind::ServiceBinding(BindingApi::LegacyV1alpha2)),
        ("binding.operators.coreos.com", "ServiceBinding") => Some(BindingDocKind::OperatorServiceBinding),
        ("servicebinding.io", "ClusterWorkloadResourceMapping") => Some(BindingDocKind::WorkloadResourceMapping),
        _ => None,
    }
}

/// Fixed namespace for the UUIDv5 identifiers of bindings without `metadata.uid`.
const UID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6b69_6e64_6572_5f62_696e_6465_7279_0001);

/// The identifier a binding's projection is named after: its `metadata.uid` when it has a
/// usable one (so a manifest exported from a cluster unprojects what the runtime wrote), else
/// a UUIDv5 of `<namespace>/<name>`: stable across runs, and always short enough that
/// `servicebinding-<uid>` is a valid DNS-1123 label.
pub fn stable_uid(namespace: &str, name: &str, metadata_uid: Option<&str>) -> String {
    if let Some(uid) = metadata_uid {
        if !uid.is_empty()
            && uid.len() <= 48
            && uid.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !uid.ends_with('-')
        {
            return uid.to_string();
        }
    }
    uuid::Uuid::new_v5(&UID_NAMESPACE, format!("{namespace}/{name}").as_bytes()).to_string()
}
