//! The one result of resolution: every binding of either API with what it resolved to, the
//! plan of every workload a binding reaches, the documents generated for bindings, and every
//! problem found. Every command prints from it; nothing re-derives what it decided.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::bindings::sbo::collect::Collected;
use crate::bindings::sbo::delivery::Delivery;
use crate::bindings::sbo::OperatorBinding;
use crate::bindings::spec::Binding;
use crate::doc::document::DocId;
use crate::doc::value::Value;
use crate::index::runtime_secrets::SecretSource;
use crate::kube::mapping::MappingSpec;
use crate::model::problem::Problem;

/// Where a binding's Secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceSource {
    /// `v1`/`Secret` named directly by the binding.
    DirectSecret,
    /// A Provisioned Service: a resource with `.status.binding.name`.
    Provisioned { doc: DocId },
    /// A service without `.status.binding.name` whose binding data the Service Binding Operator
    /// collects from `service.binding…` annotations (its own, its CRD's, SBO's registry); SBO
    /// serves servicebinding.io bindings too. See [`SpecResolved::collected`].
    Annotated { doc: DocId },
}

/// Binding data collected as the Service Binding Operator collects it, for a servicebinding.io
/// binding to an annotated service: the items (names and where each value lives) and how each
/// reaches the container — by reference to the service's Secrets and ConfigMaps, non-secret
/// values from a generated ConfigMap, a copy only where nothing else can deliver it.
#[derive(Debug, Clone)]
pub struct CollectedData {
    pub data: Collected,
    /// Planned in files mode (servicebinding.io always projects files).
    pub delivery: Delivery,
}

impl CollectedData {
    /// How binding item `name` reaches the container, if the data has it.
    pub fn via(&self, name: &str) -> Option<&crate::bindings::sbo::delivery::Via> {
        self.delivery.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// The Secret a binding projects, and what is known of it.
#[derive(Debug, Clone)]
pub struct BindingSecret {
    pub name: String,
    pub namespace: String,
    /// The Secret in the input, or who creates it at run time.
    pub source: SecretSource,
    /// Entry names (from `data` and `stringData`, or what the creator declares); values are
    /// never copied here. Empty when unknown.
    pub keys: BTreeSet<String>,
    /// Why the key names are unknown (`None`: `keys` is complete).
    pub unknown_keys: Option<String>,
}

/// Where a workload kind's containers, volumes and annotations are.
#[derive(Debug, Clone)]
pub struct ResolvedMapping {
    pub spec: Arc<MappingSpec>,
    /// The ClusterWorkloadResourceMapping document it came from, if any.
    pub doc: Option<DocId>,
}

/// One binding applied to one workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Index into [`Resolution::bindings`].
    pub binding: usize,
    /// `false`: only remove an earlier projection (the workload no longer matches).
    pub project: bool,
}

/// Everything the projection of one workload document needs.
#[derive(Debug, Clone, Default)]
pub struct WorkloadPlan {
    /// The workload kind's mapping as the reference runtime resolves it (defaulted); `None`
    /// when only Service Binding Operator bindings reach the workload.
    pub mapping: Option<ResolvedMapping>,
    /// The bindings that reach it, in binding order.
    pub steps: Vec<Step>,
}

/// A servicebinding.io binding, resolved. At most one of `secret` and `collected` is set: the
/// one binding Secret the reference runtime projects, or binding data collected from several
/// Secrets, ConfigMaps and resource fields ([`ServiceSource::Annotated`]).
#[derive(Debug, Clone)]
pub struct SpecResolved {
    pub binding: Binding,
    pub source: Option<ServiceSource>,
    pub secret: Option<BindingSecret>,
    pub collected: Option<CollectedData>,
}

/// A Service Binding Operator binding, resolved.
#[derive(Debug, Clone)]
pub struct OperatorResolved {
    pub binding: OperatorBinding,
    /// The binding data (names, sources; values kept for generated resources only).
    pub data: Option<Collected>,
    pub delivery: Option<Delivery>,
    /// The workload kind's ClusterWorkloadResourceMapping, as SBO reads it (not defaulted).
    pub mapping: Option<Arc<MappingSpec>>,
}

/// What a binding resolved to, by the API it was written against.
#[derive(Debug, Clone)]
pub enum Resolved {
    Spec(SpecResolved),
    Operator(OperatorResolved),
}

/// One binding of either API.
#[derive(Debug, Clone)]
pub struct ResolvedBinding {
    /// The binding's document.
    pub doc: DocId,
    /// Workloads the binding projects into, in input order.
    pub workloads: Vec<DocId>,
    pub resolved: Resolved,
}

impl ResolvedBinding {
    pub fn namespace(&self) -> &str {
        match &self.resolved {
            Resolved::Spec(s) => &s.binding.namespace,
            Resolved::Operator(o) => &o.binding.namespace,
        }
    }

    pub fn name(&self) -> &str {
        match &self.resolved {
            Resolved::Spec(s) => &s.binding.name,
            Resolved::Operator(o) => &o.binding.name,
        }
    }

    /// `namespace/name`, as problems and reports name a binding.
    pub fn title(&self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }

    /// The servicebinding.io resolution, if this is such a binding.
    pub fn spec(&self) -> Option<&SpecResolved> {
        match &self.resolved {
            Resolved::Spec(s) => Some(s),
            Resolved::Operator(_) => None,
        }
    }

    /// The Service Binding Operator resolution, if this is such a binding.
    pub fn operator(&self) -> Option<&OperatorResolved> {
        match &self.resolved {
            Resolved::Operator(o) => Some(o),
            Resolved::Spec(_) => None,
        }
    }

    /// Whether it was written against the Service Binding Operator's API.
    pub fn is_operator(&self) -> bool {
        matches!(self.resolved, Resolved::Operator(_))
    }
}

/// The one result of resolution.
#[derive(Debug, Default)]
pub struct Resolution {
    /// Every binding of either API, in document order.
    pub bindings: Vec<ResolvedBinding>,
    /// Every workload a binding reaches, with its plan.
    pub workloads: BTreeMap<DocId, WorkloadPlan>,
    /// ServiceBinding documents: instructions the resolver carried out, not emitted by default.
    pub consumed: BTreeSet<DocId>,
    /// ClusterWorkloadResourceMapping documents: cluster configuration, emitted by default.
    pub mappings: BTreeSet<DocId>,
    /// Input documents an earlier render generated for a binding of this input: replaced by
    /// the freshly generated ones, never emitted.
    pub replaced: BTreeSet<DocId>,
    /// Documents generated for bindings (ConfigMaps and Secrets), with the binding document
    /// they were generated for; emitted after the input documents.
    pub generated: Vec<(DocId, Value)>,
    pub problems: Vec<Problem>,
}

impl Resolution {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_error)
    }
}
