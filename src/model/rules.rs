//! The rule catalogue: every problem's rule id with a one-line and a full description and what
//! to do about it, for SARIF's `tool.driver.rules` and the README. A rule id, once published,
//! never changes meaning; a rule that resolution reports but this table lacks still gets a
//! generic entry, so reports never break (add it here when adding the problem).

use crate::model::problem::Severity;

/// One rule: what a problem of this kind means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub short: &'static str,
    pub full: &'static str,
    pub help: &'static str,
}

const fn rule(id: &'static str, severity: Severity, short: &'static str, full: &'static str, help: &'static str) -> Rule {
    Rule { id, severity, short, full, help }
}

use Severity::{Error, Notice, Warning};

/// Every rule bindery reports, in a fixed order (SARIF rule indices follow it).
pub const RULES: &[Rule] = &[
    rule(
        "InvalidInput",
        Error,
        "Input cannot be read or parsed",
        "A file is not readable, not UTF-8 text, or not valid YAML/JSON (duplicate keys, tabs in indentation, \
         excessive nesting or alias expansion). Nothing is rendered from an unreadable input.",
        "Fix the file at the reported line; `kubectl apply --dry-run=client -f FILE` parses it the same way.",
    ),
    rule(
        "InvalidBinding",
        Error,
        "ServiceBinding is invalid",
        "The ServiceBinding violates the rules the runtime's admission webhook enforces: a required field is \
         missing, a field has the wrong type, spec.name is not a valid directory name, or the workload has both \
         name and selector.",
        "Correct the field named in the message; the cluster would reject this ServiceBinding.",
    ),
    rule(
        "UnsupportedBinding",
        Error,
        "ServiceBinding API is not supported",
        "The binding is written against an API bindery does not resolve yet. Rendering without it would silently \
         drop the binding, so the run fails instead.",
        "Use a supported ServiceBinding API version, or leave this binding to the in-cluster operator and keep it \
         out of bindery's input.",
    ),
    rule(
        "ServiceNotFound",
        Error,
        "Backing service not found",
        "The ServiceBinding's spec.service names a resource that is not in the input, in the binding's namespace.",
        "Add the service resource (with its .status.binding.name) to the input, or point spec.service at one \
         that is.",
    ),
    rule(
        "InvalidService",
        Error,
        "Backing service is malformed",
        "The backing service's .status.binding.name is present but is not a string.",
        "Set .status.binding.name to the name of the binding Secret.",
    ),
    rule(
        "ServiceMissingBinding",
        Error,
        "Backing service has no binding Secret",
        "The backing service was found but has no .status.binding.name, so it does not say which Secret holds \
         its binding data. A controller would wait; an offline render cannot.",
        "Commit the Provisioned Service's .status.binding.name, or bind the Secret directly (apiVersion: v1, \
         kind: Secret).",
    ),
    rule(
        "SecretNotFound",
        Error,
        "Binding Secret not found",
        "The binding Secret (named directly, or by the service's .status.binding.name) is not in the input in \
         the binding's namespace. bindery requires it so it can check the projected keys.",
        "Add the Secret to the input in the binding's namespace; a binding cannot use a Secret of another \
         namespace.",
    ),
    rule(
        "RuntimeSecret",
        Notice,
        "Binding Secret is created at run time",
        "The binding Secret is not in the input, but something declares that it will exist: a SealedSecret or \
         ExternalSecret in the input, an operator convention, a declaration in .bindery.yaml or the service's \
         bindery.dev/binding-secret annotation. It is projected by reference, by name; its key names come from \
         that declaration. The message names who creates it.",
        "Nothing to do; make sure the named creator really runs before the workload starts.",
    ),
    rule(
        "BindingSecretByConvention",
        Notice,
        "Binding Secret named by an operator convention",
        "The service has no committed .status.binding.name, so its binding Secret's name is derived from its spec \
         by the convention of the operator that manages it (built-in table or .bindery.yaml), or from its \
         bindery.dev/binding-secret annotation.",
        "Commit .status.binding.name to make the name explicit, or keep the convention.",
    ),
    rule(
        "EncryptedSecret",
        Notice,
        "Binding Secret is SOPS-encrypted",
        "The binding Secret carries a sops: key: its key names are read, its values are never decrypted. It is \
         projected by reference; anything that needs a value is an error.",
        "Nothing to do; decrypt it in the deployment pipeline as usual.",
    ),
    rule(
        "SecretNotInInput",
        Warning,
        "Binding Secret assumed to exist",
        "With --allow-missing-secrets (or allowMissingSecrets: true in .bindery.yaml), a binding Secret that is \
         neither in the input nor declared is projected by name; its keys cannot be checked.",
        "Declare the Secret (a secrets: entry in .bindery.yaml, or annotations on the service) to have its keys \
         checked.",
    ),
    rule(
        "SecretKeysUnknown",
        Warning,
        "Binding Secret's keys are not known",
        "The binding Secret is created at run time and its key names are not known offline (an ExternalSecret with \
         dataFrom, a convention without a key list, an undeclared Secret), so the type entry and the env \
         mappings' keys cannot be checked.",
        "List the keys in .bindery.yaml or in the service's bindery.dev/binding-keys annotation.",
    ),
    rule(
        "RuntimeSecretKeysUnknown",
        Error,
        "Run-time Secret's keys are needed",
        "A Service Binding Operator binding builds its binding data from key names, and the run-time Secret it \
         reads has none declared.",
        "List the keys in .bindery.yaml or in the service's bindery.dev/binding-keys annotation.",
    ),
    rule(
        "RuntimeSecretValue",
        Error,
        "A value of a run-time Secret is needed",
        "A mapping template reads, or a copy into a generated Secret needs, the value of a Secret that is created at \
         run time or encrypted: bindery cannot read it offline. The message names who creates it.",
        "Deliver the entry by reference (no mapping over it, a Secret in the binding's namespace), or commit a \
         readable Secret.",
    ),
    rule(
        "SelectorMatchesNothing",
        Notice,
        "Label selector matches no workload",
        "The binding selects workloads by label and none in the input matches; nothing is bound. Workloads created \
         at run time are bound by the in-cluster runtime, if one runs. The message lists the workloads looked at.",
        "Check the selector against the workloads' own metadata.labels, and the kind and apiVersion.",
    ),
    rule(
        "ServiceByResource",
        Warning,
        "Service named by resource instead of kind",
        "A Service Binding Operator binding names a service by resource (a plural such as secrets); the operator's \
         services take group, version and kind. bindery resolves the resource, the operator may not.",
        "Replace resource: with the kind the message suggests.",
    ),
    rule(
        "InvalidSecret",
        Error,
        "Binding Secret is malformed",
        "An entry of the binding Secret cannot be projected: data values must be base64 strings and data and \
         stringData must be maps. The message names the key, never the value.",
        "Encode the entry with base64 under data, or move it to stringData.",
    ),
    rule(
        "MissingType",
        Error,
        "Binding has no type",
        "A servicebinding.io binding's projection must contain a type entry, from the binding Secret or from \
         spec.type; applications select their binding by it.",
        "Add a type entry to the Secret, or set spec.type on the ServiceBinding.",
    ),
    rule(
        "EnvKeyNotFound",
        Error,
        "Environment mapping names a missing key",
        "A spec.env entry maps a variable to a key the binding Secret does not contain; the pod would fail to \
         start with CreateContainerConfigError.",
        "Use one of the keys the message lists, or add the key to the Secret.",
    ),
    rule(
        "WorkloadNotFound",
        Error,
        "Workload not found",
        "The ServiceBinding names a workload by name that is not in the input, in the binding's namespace.",
        "Add the workload to the input, fix spec.workload.name, or select workloads by label instead.",
    ),
    rule(
        "WorkloadVersionMismatch",
        Warning,
        "Workload written at another API version",
        "A selected workload is written at a different version of its API group than the binding names. The \
         workload is bound; a cluster would serve it at the binding's version.",
        "Write the workload and spec.workload.apiVersion at the same version.",
    ),
    rule(
        "InvalidMapping",
        Error,
        "ClusterWorkloadResourceMapping is invalid",
        "A ClusterWorkloadResourceMapping violates the rules the runtime's admission webhook enforces (paths \
         must be valid JSONPath, non-container paths Fixed JSONPath). Every mapping in the input is checked, \
         used or not.",
        "Correct the path named in the message.",
    ),
    rule(
        "ProjectionFailed",
        Error,
        "Binding cannot be projected into the workload",
        "The workload's structure does not allow the projection, e.g. a field the mapping points at is not a \
         list or an object.",
        "Fix the workload's field named in the message, or the ClusterWorkloadResourceMapping that points \
         at it.",
    ),
    // The Service Binding Operator's API (binding.operators.coreos.com); SBO's reason words.
    rule(
        "ApplicationNotFound",
        Error,
        "Application not found",
        "The Service Binding Operator binding's spec.application names a resource, kind or label selector that \
         matches nothing in the input, in the binding's namespace.",
        "Add the application to the input, or fix spec.application (group, version, kind or resource, name, \
         labelSelector).",
    ),
    rule(
        "EmptyApplication",
        Warning,
        "Application reference selects nothing",
        "spec.application has neither a name nor a label selector, so the binding is bound to no workload.",
        "Set spec.application.name or spec.application.labelSelector.",
    ),
    rule(
        "InvalidBindingName",
        Error,
        "Binding name is not a valid volume name",
        "With bindAsFiles the binding's name becomes the projected volume's name, which must be a DNS-1123 label; \
         the Service Binding Operator would fail to update the application.",
        "Rename the binding (spec.name or metadata.name) to at most 63 lower-case alphanumerics or '-'.",
    ),
    rule(
        "SecretValuesCopied",
        Warning,
        "Secret values copied into a generated Secret",
        "Some binding data cannot be referenced where it lives (a Secret in another namespace, a mapping over \
         secret values, bindingPath.secretPath), so its values are copied into a Secret bindery generates, as the \
         operator does. The rendered manifests then contain secret values.",
        "Reference Secrets in the binding's namespace and avoid mappings over secret values; \
         --deny-secret-copies makes this an error.",
    ),
    rule(
        "LegacyField",
        Warning,
        "Field of an older API is ignored",
        "The binding sets a field that the current Service Binding Operator API no longer has; it is ignored, as \
         the operator ignores it.",
        "Remove the field, or move it to its current equivalent.",
    ),
    rule(
        "NoBindingData",
        Error,
        "Services expose no binding data",
        "None of the binding's services exposes binding data: no .status.binding.name, no binding annotations, \
         nothing owned that carries it.",
        "Give the service a .status.binding.name or binding annotations, or list the Secret itself as a service.",
    ),
    rule(
        "ErrorReadingBinding",
        Error,
        "Binding data cannot be read from a service",
        "A binding annotation or definition of a service points at data that is missing or of the wrong shape \
         (a missing resource or key, a list where a map is expected).",
        "Fix the service's binding annotation, or the resource it points at.",
    ),
    rule(
        "ErrorReadingSecret",
        Error,
        "A service's Secret cannot be read",
        "A Secret that a service exposes as binding data is missing from the input or malformed.",
        "Add the Secret to the input, or fix its data (base64 strings under data).",
    ),
    rule(
        "ValueNotFound",
        Error,
        "Mapping refers to a missing value",
        "A spec.mappings template refers to binding data that does not exist.",
        "Use a key the services expose, or add it to the service.",
    ),
    rule(
        "SecretInOtherNamespace",
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
    rule(
        "ConsumerMissingEntries",
        Warning,
        "Binding lacks entries its consumers need",
        "For a well-known type (postgresql, mysql, mongodb, redis, kafka, rabbitmq, elasticsearch, ...), the binding \
         directory lacks the entries Spring Cloud Bindings, Quarkus and kube-service-bindings read (e.g. PostgreSQL: \
         jdbc-url or host+port+database, plus username and password). The application would start without its \
         connection settings.",
        "Add the entries to the Secret (an ExternalSecret template, the operator's options), or map what the Secret \
         has with spec.env / SBO mappings.",
    ),
    rule(
        "WellKnownEntryFormat",
        Warning,
        "Well-known entry has the wrong format",
        "An entry the spec defines (host, port, uri, certificates, private-key) does not have the format the spec \
         requires. The message names the entry, never its value.",
        "Fix the entry's value in the Secret.",
    ),
    rule(
        "BindingNameCollision",
        Error,
        "Two bindings mounted at one path",
        "Two bindings project into one container under the same name, so both would be mounted at the same \
         $SERVICE_BINDING_ROOT/<name>; the spec leaves the result undefined.",
        "Give the bindings different names (spec.name, or metadata.name for SBO).",
    ),
    rule(
        "EnvVarCollision",
        Warning,
        "One variable injected by two bindings",
        "Two bindings inject a variable of the same name into one container; the later binding's value wins.",
        "Rename one of the variables (spec.env, SBO naming strategy or mappings).",
    ),
    rule(
        "EnvVarShadowed",
        Warning,
        "Container variable keeps its value over a binding's",
        "A Service Binding Operator binding in environment mode produces a variable the container already sets; the \
         container's own value wins, as it would over SBO's envFrom.",
        "Remove the container's own variable, or rename the binding's with a naming strategy or mapping.",
    ),
    rule(
        "EnvVarReplaced",
        Warning,
        "Binding replaces a variable the container sets",
        "A servicebinding.io binding's spec.env maps a variable the container already sets with its own value; the \
         binding's variable replaces it (the runtime would append a second variable of the same name).",
        "Remove the container's own variable, or map the binding's value to another name.",
    ),
];

/// The rule with this id; a generic entry for ids the catalogue does not know yet.
pub fn rule_for(id: &str) -> Rule {
    RULES.iter().copied().find(|r| r.id == id).unwrap_or(Rule {
        id: "Unknown",
        severity: Error,
        short: "Binding problem",
        full: "A problem bindery found while resolving the input's Service Bindings.",
        help: "See the message for the cause; `bindery explain` shows what each container would receive.",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_identifiers_with_full_text() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        for r in RULES {
            assert!(r.id.chars().all(|c| c.is_ascii_alphanumeric()), "{}", r.id);
            assert!(!r.short.is_empty() && !r.full.is_empty() && !r.help.is_empty(), "{}", r.id);
            assert!(!r.full.contains("  "), "{}: stray spaces in a continued line", r.id);
        }
    }

    #[test]
    fn unknown_rules_get_a_generic_entry() {
        assert_eq!(rule_for("SecretNotFound").short, "Binding Secret not found");
        assert!(!rule_for("SomethingNew").help.is_empty());
    }
}
