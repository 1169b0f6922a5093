//! The rule catalogue: every problem's rule as one [`Rule`] variant, with its severity, a one-line
//! and a full description and what to do about it, for SARIF's `tool.driver.rules` and the
//! README. The entry is an exhaustive match: a rule without an entry does not compile. A rule id,
//! once published, never changes meaning.

use std::fmt;

use crate::model::severity::Severity;

/// What a problem of one rule means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleEntry {
    pub severity: Severity,
    pub short: &'static str,
    pub full: &'static str,
    pub help: &'static str,
}

/// Every rule bindery reports. The names reuse the upstream reason words where upstream has one
/// (ServiceNotFound, ServiceMissingBinding, WorkloadNotFound, SBO's ErrorReadingBinding, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Input cannot be read or parsed.
    InvalidInput,
    /// ServiceBinding is invalid.
    InvalidBinding,
    /// ServiceBinding API is not supported.
    UnsupportedBinding,
    /// Backing service not found.
    ServiceNotFound,
    /// Backing service is malformed.
    InvalidService,
    /// Backing service has no binding Secret.
    ServiceMissingBinding,
    /// Binding Secret not found.
    SecretNotFound,
    /// Binding Secret is created at run time.
    RuntimeSecret,
    /// Binding Secret named by an operator convention.
    BindingSecretByConvention,
    /// Binding Secret is SOPS-encrypted.
    EncryptedSecret,
    /// Binding Secret assumed to exist.
    SecretNotInInput,
    /// Binding Secret's keys are not known.
    SecretKeysUnknown,
    /// Run-time Secret's keys are needed.
    RuntimeSecretKeysUnknown,
    /// A value of a run-time Secret is needed.
    RuntimeSecretValue,
    /// Label selector matches no workload.
    SelectorMatchesNothing,
    /// Service named by resource instead of kind.
    ServiceByResource,
    /// Binding Secret is malformed.
    InvalidSecret,
    /// Binding has no type.
    MissingType,
    /// Environment mapping names a missing key.
    EnvKeyNotFound,
    /// Workload not found.
    WorkloadNotFound,
    /// Workload written at another API version.
    WorkloadVersionMismatch,
    /// ClusterWorkloadResourceMapping is invalid.
    InvalidMapping,
    /// Binding cannot be projected into the workload.
    ProjectionFailed,
    /// Application not found.
    ApplicationNotFound,
    /// Application reference selects nothing.
    EmptyApplication,
    /// Binding name is not a valid volume name.
    InvalidBindingName,
    /// Secret values copied into a generated Secret.
    SecretValuesCopied,
    /// Field of an older API is ignored.
    LegacyField,
    /// Services expose no binding data.
    NoBindingData,
    /// Binding data cannot be read from a service.
    ErrorReadingBinding,
    /// A service's Secret cannot be read.
    ErrorReadingSecret,
    /// Mapping refers to a missing value.
    ValueNotFound,
    /// Binding Secret is in another namespace than the workload.
    SecretInOtherNamespace,
    /// Binding lacks entries its consumers need.
    ConsumerMissingEntries,
    /// Well-known entry has the wrong format.
    WellKnownEntryFormat,
    /// Two bindings mounted at one path.
    BindingNameCollision,
    /// One variable injected by two bindings.
    EnvVarCollision,
    /// Container variable keeps its value over a binding's.
    EnvVarShadowed,
    /// Binding replaces a variable the container sets.
    EnvVarReplaced,
    /// A service cannot be read.
    ErrorReadingServices,
    /// Binding annotation cannot be parsed.
    InvalidAnnotation,
    /// Naming strategy cannot name an item.
    NamingStrategyError,
    /// Mapping template fails.
    ProcessingError,
    /// One binding item produced twice.
    BindingItemCollision,
    /// Binding item name is not a valid Secret key.
    InvalidBindingKey,
    /// Binding left to the cluster's runtime.
    BoundAtRunTime,
    /// Binding data collected from SBO annotations.
    BindingDataFromAnnotations,
    /// Two ServiceBindings of one API share a namespace and name.
    DuplicateBinding,
    /// Input skipped: not bindery's input.
    SkippedInput,
}

use Severity::{Error, Notice, Warning};

impl Rule {
    /// Every rule, in a fixed order (SARIF rule indices follow it).
    pub const ALL: &'static [Rule] = &[
        Rule::InvalidInput,
        Rule::InvalidBinding,
        Rule::UnsupportedBinding,
        Rule::ServiceNotFound,
        Rule::InvalidService,
        Rule::ServiceMissingBinding,
        Rule::SecretNotFound,
        Rule::RuntimeSecret,
        Rule::BindingSecretByConvention,
        Rule::EncryptedSecret,
        Rule::SecretNotInInput,
        Rule::SecretKeysUnknown,
        Rule::RuntimeSecretKeysUnknown,
        Rule::RuntimeSecretValue,
        Rule::SelectorMatchesNothing,
        Rule::ServiceByResource,
        Rule::InvalidSecret,
        Rule::MissingType,
        Rule::EnvKeyNotFound,
        Rule::WorkloadNotFound,
        Rule::WorkloadVersionMismatch,
        Rule::InvalidMapping,
        Rule::ProjectionFailed,
        Rule::ApplicationNotFound,
        Rule::EmptyApplication,
        Rule::InvalidBindingName,
        Rule::SecretValuesCopied,
        Rule::LegacyField,
        Rule::NoBindingData,
        Rule::ErrorReadingBinding,
        Rule::ErrorReadingSecret,
        Rule::ValueNotFound,
        Rule::SecretInOtherNamespace,
        Rule::ConsumerMissingEntries,
        Rule::WellKnownEntryFormat,
        Rule::BindingNameCollision,
        Rule::EnvVarCollision,
        Rule::EnvVarShadowed,
        Rule::EnvVarReplaced,
        Rule::ErrorReadingServices,
        Rule::InvalidAnnotation,
        Rule::NamingStrategyError,
        Rule::ProcessingError,
        Rule::BindingItemCollision,
        Rule::InvalidBindingKey,
        Rule::BoundAtRunTime,
        Rule::BindingDataFromAnnotations,
        Rule::DuplicateBinding,
        Rule::SkippedInput,
    ];

    /// The rule id reports print (`SecretNotFound`).
    pub const fn id(self) -> &'static str {
        match self {
            Rule::InvalidInput => "InvalidInput",
            Rule::InvalidBinding => "InvalidBinding",
            Rule::UnsupportedBinding => "UnsupportedBinding",
            Rule::ServiceNotFound => "ServiceNotFound",
            Rule::InvalidService => "InvalidService",
            Rule::ServiceMissingBinding => "ServiceMissingBinding",
            Rule::SecretNotFound => "SecretNotFound",
            Rule::RuntimeSecret => "RuntimeSecret",
            Rule::BindingSecretByConvention => "BindingSecretByConvention",
            Rule::EncryptedSecret => "EncryptedSecret",
            Rule::SecretNotInInput => "SecretNotInInput",
            Rule::SecretKeysUnknown => "SecretKeysUnknown",
            Rule::RuntimeSecretKeysUnknown => "RuntimeSecretKeysUnknown",
            Rule::RuntimeSecretValue => "RuntimeSecretValue",
            Rule::SelectorMatchesNothing => "SelectorMatchesNothing",
            Rule::ServiceByResource => "ServiceByResource",
            Rule::InvalidSecret => "InvalidSecret",
            Rule::MissingType => "MissingType",
            Rule::EnvKeyNotFound => "EnvKeyNotFound",
            Rule::WorkloadNotFound => "WorkloadNotFound",
            Rule::WorkloadVersionMismatch => "WorkloadVersionMismatch",
            Rule::InvalidMapping => "InvalidMapping",
            Rule::ProjectionFailed => "ProjectionFailed",
            Rule::ApplicationNotFound => "ApplicationNotFound",
            Rule::EmptyApplication => "EmptyApplication",
            Rule::InvalidBindingName => "InvalidBindingName",
            Rule::SecretValuesCopied => "SecretValuesCopied",
            Rule::LegacyField => "LegacyField",
            Rule::NoBindingData => "NoBindingData",
            Rule::ErrorReadingBinding => "ErrorReadingBinding",
            Rule::ErrorReadingSecret => "ErrorReadingSecret",
            Rule::ValueNotFound => "ValueNotFound",
            Rule::SecretInOtherNamespace => "SecretInOtherNamespace",
            Rule::ConsumerMissingEntries => "ConsumerMissingEntries",
            Rule::WellKnownEntryFormat => "WellKnownEntryFormat",
            Rule::BindingNameCollision => "BindingNameCollision",
            Rule::EnvVarCollision => "EnvVarCollision",
            Rule::EnvVarShadowed => "EnvVarShadowed",
            Rule::EnvVarReplaced => "EnvVarReplaced",
            Rule::ErrorReadingServices => "ErrorReadingServices",
            Rule::InvalidAnnotation => "InvalidAnnotation",
            Rule::NamingStrategyError => "NamingStrategyError",
            Rule::ProcessingError => "ProcessingError",
            Rule::BindingItemCollision => "BindingItemCollision",
            Rule::InvalidBindingKey => "InvalidBindingKey",
            Rule::BoundAtRunTime => "BoundAtRunTime",
            Rule::BindingDataFromAnnotations => "BindingDataFromAnnotations",
            Rule::DuplicateBinding => "DuplicateBinding",
            Rule::SkippedInput => "SkippedInput",
        }
    }

    /// The rule's place in [`Rule::ALL`] (its SARIF rule index).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// What the rule means: severity, titles and help.
    pub const fn entry(self) -> RuleEntry {
        const fn e(severity: Severity, short: &'static str, full: &'static str, help: &'static str) -> RuleEntry {
            RuleEntry { severity, short, full, help }
        }
        match self {
            Rule::InvalidInput => e(
                Error,
                "Input cannot be read or parsed",
                "A file is not readable, not UTF-8 text, or not valid YAML/JSON (duplicate keys, tabs in indentation, \
         excessive nesting or alias expansion). Nothing is rendered from an unreadable input.",
                "Fix the file at the reported line; `kubectl apply --dry-run=client -f FILE` parses it the same way.",
            ),
            Rule::InvalidBinding => e(
                Error,
                "ServiceBinding is invalid",
                "The ServiceBinding violates the rules the runtime's admission webhook enforces: a required field is \
         missing, a field has the wrong type, spec.name is not a valid directory name, or the workload has both \
         name and selector.",
                "Correct the field named in the message; the cluster would reject this ServiceBinding.",
            ),
            Rule::UnsupportedBinding => e(
                Error,
                "ServiceBinding API is not supported",
                "The binding is written against an API bindery does not resolve yet. Rendering without it would silently \
         drop the binding, so the run fails instead.",
                "Use a supported ServiceBinding API version, or leave this binding to the in-cluster operator and keep it \
         out of bindery's input.",
            ),
            Rule::ServiceNotFound => e(
                Error,
                "Backing service not found",
                "The ServiceBinding's spec.service names a resource that is not in the input, in the binding's namespace.",
                "Add the service resource (with its .status.binding.name) to the input, or point spec.service at one \
         that is.",
            ),
            Rule::InvalidService => e(
                Error,
                "Backing service is malformed",
                "The backing service's .status.binding.name is present but is not a string.",
                "Set .status.binding.name to the name of the binding Secret.",
            ),
            Rule::ServiceMissingBinding => e(
                Error,
                "Backing service has no binding Secret",
                "The backing service was found but has no .status.binding.name, so it does not say which Secret holds \
         its binding data. A controller would wait; an offline render cannot.",
                "Commit the Provisioned Service's .status.binding.name, or bind the Secret directly (apiVersion: v1, \
         kind: Secret).",
            ),
            Rule::SecretNotFound => e(
                Error,
                "Binding Secret not found",
                "The binding Secret (named directly, or by the service's .status.binding.name) is not in the input in \
         the binding's namespace. bindery requires it so it can check the projected keys.",
                "Add the Secret to the input in the binding's namespace; a binding cannot use a Secret of another \
         namespace.",
            ),
            Rule::RuntimeSecret => e(
                Notice,
                "Binding Secret is created at run time",
                "The binding Secret is not in the input, but something declares that it will exist: a SealedSecret or \
         ExternalSecret in the input, an operator convention, a declaration in .bindery.yaml or the service's \
         bindery.dev/binding-secret annotation. It is projected by reference, by name; its key names come from \
         that declaration. The message names who creates it.",
                "Nothing to do; make sure the named creator really runs before the workload starts.",
            ),
            Rule::BindingSecretByConvention => e(
                Notice,
                "Binding Secret named by an operator convention",
                "The service has no committed .status.binding.name, so its binding Secret's name is derived from its spec \
         by the convention of the operator that manages it (built-in table or .bindery.yaml), or from its \
         bindery.dev/binding-secret annotation.",
                "Commit .status.binding.name to make the name explicit, or keep the convention.",
            ),
            Rule::EncryptedSecret => e(
                Notice,
                "Binding Secret is SOPS-encrypted",
                "The binding Secret carries a sops: key: its key names are read, its values are never decrypted. It is \
         projected by reference; anything that needs a value is an error.",
                "Nothing to do; decrypt it in the deployment pipeline as usual.",
            ),
            Rule::SecretNotInInput => e(
                Warning,
                "Binding Secret assumed to exist",
                "With --allow-missing-secrets (or allowMissingSecrets: true in .bindery.yaml), a binding Secret that is \
         neither in the input nor declared is projected by name; its keys cannot be checked.",
                "Declare the Secret (a secrets: entry in .bindery.yaml, or annotations on the service) to have its keys \
         checked.",
            ),
            Rule::SecretKeysUnknown => e(
                Warning,
                "Binding Secret's keys are not known",
                "The binding Secret is created at run time and its key names are not known offline (an ExternalSecret with \
         dataFrom, a convention without a key list, an undeclared Secret), so the type entry and the env \
         mappings' keys cannot be checked.",
                "List the keys in .bindery.yaml or in the service's bindery.dev/binding-keys annotation.",
            ),
            Rule::RuntimeSecretKeysUnknown => e(
                Error,
                "Run-time Secret's keys are needed",
                "A Service Binding Operator binding builds its binding data from key names, and the run-time Secret it \
         reads has none declared.",
                "List the keys in .bindery.yaml or in the service's bindery.dev/binding-keys annotation.",
            ),
            Rule::RuntimeSecretValue => e(
                Error,
                "A value of a run-time Secret is needed",
                "A mapping template reads, or a copy into a generated Secret needs, the value of a Secret that is created at \
         run time or encrypted: bindery cannot read it offline. The message names who creates it.",
                "Deliver the entry by reference (no mapping over it, a Secret in the binding's namespace), or commit a \
         readable Secret.",
            ),
            Rule::SelectorMatchesNothing => e(
                Warning,
                "Label selector matches no workload",
                "The binding selects workloads by label and none in the input matches; nothing is bound, and the binding is \
         consumed like every other, so no runtime binds it later either. A typo in a label is the usual cause: the message \
         lists the workloads looked at and the nearest labels they have.",
                "Check the selector against the workloads' own metadata.labels, and the kind and apiVersion; for workloads \
         created at run time, annotate the binding with bindery.dev/bind-at-run-time: \"true\" to leave it to the \
         cluster's runtime.",
            ),
            Rule::ServiceByResource => e(
                Warning,
                "Service named by resource instead of kind",
                "A Service Binding Operator binding names a service by resource (a plural such as secrets); the operator's \
         services take group, version and kind. bindery resolves the resource, the operator may not.",
                "Replace resource: with the kind the message suggests.",
            ),
            Rule::InvalidSecret => e(
                Error,
                "Binding Secret is malformed",
                "An entry of the binding Secret cannot be projected: data values must be base64 strings and data and \
         stringData must be maps. The message names the key, never the value.",
                "Encode the entry with base64 under data, or move it to stringData.",
            ),
            Rule::MissingType => e(
                Error,
                "Binding has no type",
                "A servicebinding.io binding's projection must contain a type entry, from the binding Secret or from \
         spec.type; applications select their binding by it. A binding that selects no workload in the input projects \
         nothing: its missing type is then a warning.",
                "Add a type entry to the Secret, or set spec.type on the ServiceBinding.",
            ),
            Rule::EnvKeyNotFound => e(
                Error,
                "Environment mapping names a missing key",
                "A spec.env entry maps a variable to a key the binding Secret does not contain; the pod would fail to \
         start with CreateContainerConfigError.",
                "Use one of the keys the message lists, or add the key to the Secret.",
            ),
            Rule::WorkloadNotFound => e(
                Error,
                "Workload not found",
                "The ServiceBinding names a workload by name that is not in the input, in the binding's namespace.",
                "Add the workload to the input, fix spec.workload.name, or select workloads by label instead.",
            ),
            Rule::WorkloadVersionMismatch => e(
                Warning,
                "Workload written at another API version",
                "A selected workload is written at a different version of its API group than the binding names. The \
         workload is bound; a cluster would serve it at the binding's version.",
                "Write the workload and spec.workload.apiVersion at the same version.",
            ),
            Rule::InvalidMapping => e(
                Error,
                "ClusterWorkloadResourceMapping is invalid",
                "A ClusterWorkloadResourceMapping violates the rules the runtime's admission webhook enforces (paths \
         must be valid JSONPath, non-container paths Fixed JSONPath). Every mapping in the input is checked, \
         used or not.",
                "Correct the path named in the message.",
            ),
            Rule::ProjectionFailed => e(
                Error,
                "Binding cannot be projected into the workload",
                "The workload's structure does not allow the projection, e.g. a field the mapping points at is not a \
         list or an object.",
                "Fix the workload's field named in the message, or the ClusterWorkloadResourceMapping that points \
         at it.",
            ),
            // The Service Binding Operator's API (binding.operators.coreos.com); SBO's reason words.
            Rule::ApplicationNotFound => e(
                Error,
                "Application not found",
                "The Service Binding Operator binding's spec.application names a resource, kind or label selector that \
         matches nothing in the input, in the binding's namespace.",
                "Add the application to the input, or fix spec.application (group, version, kind or resource, name, \
         labelSelector).",
            ),
            Rule::EmptyApplication => e(
                Warning,
                "Application reference selects nothing",
                "spec.application has neither a name nor a label selector, so the binding is bound to no workload.",
                "Set spec.application.name or spec.application.labelSelector.",
            ),
            Rule::InvalidBindingName => e(
                Error,
                "Binding name is not a valid volume name",
                "With bindAsFiles the binding's name becomes the projected volume's name, which must be a DNS-1123 label; \
         the Service Binding Operator would fail to update the application.",
                "Rename the binding (spec.name or metadata.name) to at most 63 lower-case alphanumerics or '-'.",
            ),
            Rule::SecretValuesCopied => e(
                Warning,
                "Secret values copied into a generated Secret",
                "Some binding data cannot be referenced where it lives (a Secret in another namespace, a mapping over \
         secret values, bindingPath.secretPath), so its values are copied into a Secret bindery generates, as the \
         operator does. The rendered manifests then contain secret values.",
                "Reference Secrets in the binding's namespace and avoid mappings over secret values; \
         --deny-secret-copies makes this an error.",
            ),
            Rule::LegacyField => e(
                Warning,
                "Field of an older API is ignored",
                "The binding sets a field that the current Service Binding Operator API no longer has; it is ignored, as \
         the operator ignores it.",
                "Remove the field, or move it to its current equivalent.",
            ),
            Rule::NoBindingData => e(
                Error,
                "Services expose no binding data",
                "None of the binding's services exposes binding data: no .status.binding.name, no binding annotations, \
         nothing owned that carries it.",
                "Give the service a .status.binding.name or binding annotations, or list the Secret itself as a service.",
            ),
            Rule::ErrorReadingBinding => e(
                Error,
                "Binding data cannot be read from a service",
                "A binding annotation or definition of a service points at data that is missing or of the wrong shape \
         (a missing resource or key, a list where a map is expected).",
                "Fix the service's binding annotation, or the resource it points at.",
            ),
            Rule::ErrorReadingSecret => e(
                Error,
                "A service's Secret cannot be read",
                "A Secret that a service exposes as binding data is missing from the input or malformed.",
                "Add the Secret to the input, or fix its data (base64 strings under data).",
            ),
            Rule::ValueNotFound => e(
                Error,
                "Mapping refers to a missing value",
                "A spec.mappings template refers to binding data that does not exist.",
                "Use a key the services expose, or add it to the service.",
            ),
            Rule::SecretInOtherNamespace => e(
                Error,
                "Binding Secret is in another namespace than the workload",
                "A servicebinding.io binding's Secret lives (or will be written) in another namespace than the binding and its \
         workloads: an operator convention writes it there (Crossplane's writeConnectionSecretToRef.namespace), or the \
         input holds it, its producer or its declaration only in another namespace. A pod can only reference Secrets of \
         its own namespace, so the projection would never start. Service Binding Operator bindings may name a service in \
         another namespace: its values are then copied (SecretValuesCopied), or refused when created at run time \
         (RuntimeSecretValue).",
                "Have the Secret written to the workload's namespace, or move the binding and its workloads to the Secret's \
         namespace (with kustomize, check the overlay's namespace:).",
            ),
            Rule::ConsumerMissingEntries => e(
                Warning,
                "Binding lacks entries its consumers need",
                "For a well-known type (postgresql, mysql, mongodb, redis, kafka, rabbitmq, elasticsearch, ...), the binding \
         directory lacks the entries Spring Cloud Bindings, Quarkus and kube-service-bindings read (e.g. PostgreSQL: \
         jdbc-url or host+port+database, plus username and password). The application would start without its \
         connection settings.",
                "Add the entries to the Secret (an ExternalSecret template, the operator's options), or map what the Secret \
         has with spec.env / SBO mappings.",
            ),
            Rule::WellKnownEntryFormat => e(
                Warning,
                "Well-known entry has the wrong format",
                "An entry the spec defines (host, port, uri, certificates, private-key) does not have the format the spec \
         requires. The message names the entry, never its value.",
                "Fix the entry's value in the Secret.",
            ),
            Rule::BindingNameCollision => e(
                Error,
                "Two bindings mounted at one path",
                "Two bindings project into one container under the same name, so both would be mounted at the same \
         $SERVICE_BINDING_ROOT/<name>; the spec leaves the result undefined.",
                "Give the bindings different names (spec.name, or metadata.name for SBO).",
            ),
            Rule::EnvVarCollision => e(
                Warning,
                "One variable injected by two bindings",
                "Two bindings inject a variable of the same name into one container; the later binding's value wins.",
                "Rename one of the variables (spec.env, SBO naming strategy or mappings).",
            ),
            Rule::EnvVarShadowed => e(
                Warning,
                "Container variable keeps its value over a binding's",
                "A Service Binding Operator binding in environment mode produces a variable the container already sets; the \
         container's own value wins, as it would over SBO's envFrom.",
                "Remove the container's own variable, or rename the binding's with a naming strategy or mapping.",
            ),
            Rule::EnvVarReplaced => e(
                Warning,
                "Binding replaces a variable the container sets",
                "A servicebinding.io binding's spec.env maps a variable the container already sets with its own value; the \
         binding's variable replaces it (the runtime would append a second variable of the same name).",
                "Remove the container's own variable, or map the binding's value to another name.",
            ),
            Rule::ErrorReadingServices => e(
                Error,
                "A service cannot be read",
                "A Service Binding Operator binding's spec.services entry names a resource that is not in the input (in the service's namespace), or an owned resource it reads (detectBindingResources) lacks the field SBO reads.",
                "Add the service to the input, or fix the spec.services entry (group, version, kind or resource, name, namespace).",
            ),
            Rule::InvalidAnnotation => e(
                Error,
                "Binding annotation cannot be parsed",
                "A service.binding annotation on a service or its CRD does not follow SBO's grammar (path={...}, objectType, elementType, sourceKey, sourceValue, optional), or its name is not service.binding or service.binding/<name>.",
                "Fix the annotation as the message says; SBO would refuse it the same way.",
            ),
            Rule::NamingStrategyError => e(
                Error,
                "Naming strategy cannot name an item",
                "A Service Binding Operator binding's namingStrategy template does not parse or fails on an item (a Go text/template over .name and .service).",
                "Use one of none, uppercase, lowercase, or fix the template.",
            ),
            Rule::ProcessingError => e(
                Error,
                "Mapping template fails",
                "A spec.mappings template of a Service Binding Operator binding does not parse or fails when it is evaluated over the services and the binding data. The message names the mapping and the template, never a value.",
                "Fix the template; it sees the services under their ids and the binding items by name.",
            ),
            Rule::BindingItemCollision => e(
                Warning,
                "One binding item produced twice",
                "Two sources of a Service Binding Operator binding produce an item of the same name; the later source wins, in SBO's order (provisioned Secrets, direct Secrets, annotations, owned resources, mappings).",
                "Rename one of the items with a naming strategy or mapping, or drop one source.",
            ),
            Rule::InvalidBindingKey => e(
                Error,
                "Binding item name is not a valid Secret key",
                "A Service Binding Operator binding item's name (after the naming strategy) is empty or holds characters a Secret key cannot have (only alphanumerics, '-', '_' and '.'); the operator could not write it into the binding Secret.",
                "Change the naming strategy or the mapping's name so that every item name is a valid key.",
            ),
            Rule::BoundAtRunTime => e(
                Notice,
                "Binding left to the cluster's runtime",
                "A servicebinding.io binding annotated bindery.dev/bind-at-run-time: \"true\" binds workloads that are created at \
         run time (a Knative Revision, an operator's Deployment): bindery checks its service and Secret, projects nothing \
         and emits the binding, so the servicebinding.io runtime in the cluster binds those workloads.",
                "Remove the annotation to have bindery bind the workloads the input holds (the binding is then consumed).",
            ),
            Rule::BindingDataFromAnnotations => e(
                Notice,
                "Binding data collected from SBO annotations",
                "A servicebinding.io binding's service has no .status.binding.name, but service.binding annotations (on the \
         resource, its CRD, or in SBO's built-in registry) describe its binding data: it is resolved as the Service Binding \
         Operator resolves it, and projected by reference to the Secrets and ConfigMaps that hold each item (non-secret \
         values from a generated ConfigMap). The reference runtime alone would not bind it.",
                "Nothing to do; give the service a .status.binding.name to bind it through the reference runtime.",
            ),
            Rule::DuplicateBinding => e(
                Error,
                "Two ServiceBindings with one API, namespace and name",
                "Two ServiceBinding documents of the same API group have the same namespace and name in one applied set (a directory, or one built kustomization): applying the set keeps only one of them, so the other binding silently never happens.",
                "Rename one of the bindings, or remove the copy (a base and an overlay both defining it).",
            ),
            Rule::SkippedInput => e(
                Notice,
                "Input skipped: not Kubernetes YAML",
                "A Helm chart directory (Chart.yaml next to templates/) or a Go template file (text with `{{` that does not parse as YAML) is not bindery's input: it is skipped, never an error. Render the chart (helm template) and check the result to check it.",
                "Nothing to do; exclude it with --exclude or .binderyignore to silence the notice, or check `helm template` output.",
            ),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, other: &&str) -> bool {
        self.id() == *other
    }
}

impl PartialEq<Rule> for &str {
    fn eq(&self, other: &Rule) -> bool {
        *self == other.id()
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_identifiers_with_full_text() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
        for r in Rule::ALL {
            let e = r.entry();
            assert!(r.id().chars().all(|c| c.is_ascii_alphanumeric()), "{r}");
            assert_eq!(format!("{r:?}"), r.id(), "the id is the variant's name");
            assert!(!e.short.is_empty() && !e.full.is_empty() && !e.help.is_empty(), "{r}");
            assert!(!e.full.contains("  "), "{r}: stray spaces in a continued line");
        }
    }

    #[test]
    fn all_lists_every_rule_in_declaration_order() {
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(r.index(), i, "{r}");
        }
        assert_eq!(Rule::ALL.last().map(|r| r.index()), Some(Rule::ALL.len() - 1));
    }

    /// README "Rules" lists every rule with its severity and title, in catalogue order.
    #[test]
    fn every_rule_is_documented_in_the_readme() {
        let readme = include_str!("../../README.md");
        let start = readme.find("#### Rules").expect("README has a Rules section");
        let table = readme[start..].lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|'));
        let rows: Vec<&str> = table.filter(|l| l.starts_with("| `")).collect();
        let expected: Vec<String> = Rule::ALL
            .iter()
            .map(|r| {
                let e = r.entry();
                format!("| `{r}` | {} | {} |", e.severity.word(), e.short)
            })
            .collect();
        assert_eq!(rows, expected, "README's rule table differs from the catalogue");
    }

    #[test]
    fn rules_by_id() {
        assert_eq!(Rule::from_id("SecretNotFound").unwrap().entry().short, "Binding Secret not found");
        assert_eq!(Rule::from_id("SomethingNew"), None);
        assert!(Rule::SecretNotFound == "SecretNotFound");
    }
}
