//! Run-time Secrets: binding Secrets that are not in the input but that something declares will
//! exist when the workload runs.
//!
//! Sources of that knowledge, in the order they are consulted:
//!
//! 1. the Secret itself in the input ([`SecretSource::InInput`]; a SOPS-encrypted Secret counts,
//!    its key names are readable, its values are never decrypted);
//! 2. a Secret producer in the input ([`SecretSource::Producer`]): a bitnami `SealedSecret`
//!    (always its own name, keys from `spec.encryptedData` and `spec.template.data`) or an external-secrets.io `ExternalSecret`
//!    (`spec.target.name`, default its own name; keys from `spec.data[].secretKey`, unknown when
//!    `spec.dataFrom` is used);
//! 3. the user's declaration ([`SecretSource::Declared`]): a `secrets:` entry of the project
//!    config file, or the annotations `bindery.dev/binding-secret` / `bindery.dev/binding-keys`
//!    on the service resource;
//! 4. an operator convention ([`SecretSource::Convention`]): a built-in, data-driven table
//!    ([`BUILTIN_CONVENTIONS`]) plus the config file's `conventions:` entries, which derive the
//!    binding Secret's name (and where known its keys) from a service's committed spec. Used only
//!    when the service has no `.status.binding.name` (a committed status always wins);
//! 5. the policy `--allow-missing-secrets` ([`SecretSource::Assumed`]): the Secret is projected
//!    by name with a warning.
//!
//! Everything here works from names and key names only: no Secret value is ever read.

use std::collections::{BTreeSet, HashMap};

use crate::doc::value::Value;

use crate::doc::document::{DocId, Document};
use crate::kube::group_of;
use crate::kube::jsonpath::{eval_template, print_jsonpath_value, TemplateResult};

/// The annotation on a service resource naming its binding Secret.
pub const SECRET_ANNOTATION: &str = "bindery.dev/binding-secret";
/// The annotation on a service resource listing the binding Secret's keys (comma-separated).
pub const KEYS_ANNOTATION: &str = "bindery.dev/binding-keys";
/// The project config file, looked up next to each input path (README "Configuration").
pub const CONFIG_FILE: &str = ".bindery.yaml";

/// A kind of resource that creates a Secret of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerKind {
    SealedSecret,
    ExternalSecret,
}

impl ProducerKind {
    pub fn kind(self) -> &'static str {
        match self {
            ProducerKind::SealedSecret => "SealedSecret",
            ProducerKind::ExternalSecret => "ExternalSecret",
        }
    }
}

/// Who declared a run-time Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declaration {
    /// A `secrets:` entry of a config file (its path as given).
    ConfigFile { path: String, created_by: Option<String> },
    /// The `bindery.dev/binding-secret` annotation on the service resource.
    Annotation { service: DocId },
}

/// Where a binding Secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The Secret is in the input.
    InInput { doc: DocId },
    /// The Secret is in the input, SOPS-encrypted: key names readable, values never decrypted.
    Sops { doc: DocId },
    /// A SealedSecret or ExternalSecret in the input creates it.
    Producer { kind: ProducerKind, doc: DocId },
    /// An operator creates it, by the convention `rule` names (an index into the conventions in
    /// effect), for the service `service`.
    Convention { rule: String, creator: String, service: DocId },
    /// The user declared it.
    Declared { by: Declaration },
    /// Not declared anywhere; assumed to exist because of `--allow-missing-secrets`.
    Assumed,
}

impl SecretSource {
    /// Whether the Secret's values can be read from the input (plain Secret in the input).
    pub fn has_values(&self) -> bool {
        matches!(self, SecretSource::InInput { .. })
    }

    /// Who creates the Secret, for messages: `SealedSecret "db" (at deploy/db.yaml:1)`.
    pub fn creator(&self, docs: &[Document]) -> String {
        match self {
            SecretSource::InInput { doc } => format!("the Secret in the input (at {})", docs[*doc].location()),
            SecretSource::Sops { doc } => format!("the SOPS-encrypted Secret (at {})", docs[*doc].location()),
            SecretSource::Producer { kind, doc } => {
                format!("{} {:?} (at {})", kind.kind(), docs[*doc].name(), docs[*doc].location())
            }
            SecretSource::Convention { rule, creator, service } => format!(
                "{creator} (convention for {} {:?} at {}: {rule})",
                docs[*service].kind(),
                docs[*service].name(),
                docs[*service].location(),
            ),
            SecretSource::Declared { by: Declaration::ConfigFile { path, created_by } } => match created_by {
                Some(c) => format!("{c} (declared in {path})"),
                None => format!("a declaration in {path}"),
            },
            SecretSource::Declared { by: Declaration::Annotation { service } } => format!(
                "whoever the service's bindery.dev/binding-* annotations declare (on {} {:?} at {})",
                docs[*service].kind(),
                docs[*service].name(),
                docs[*service].location()
            ),
            SecretSource::Assumed => "nobody bindery knows of (assumed to exist: --allow-missing-secrets)".into(),
        }
    }
}

/// A binding Secret and what is known of it without reading a value.
#[derive(Debug, Clone)]
pub struct KnownSecret {
    pub name: String,
    pub namespace: String,
    pub source: SecretSource,
    /// Its key names, when known.
    pub keys: Option<BTreeSet<String>>,
    /// Why the keys are unknown (e.g. `ExternalSecret "db" uses spec.dataFrom`).
    pub unknown_keys: Option<String>,
}

/// One operator convention: how an operator names the binding Secret of a resource it manages.
/// Built-in entries and config-file entries have the same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Convention {
    /// API group of the service resource (`*`: any).
    pub group: String,
    /// Kind of the service resource (`*`: any).
    pub kind: String,
    /// Candidate Secret names as Kubernetes JSONPath templates over the service resource, tried
    /// in order; the first whose fields all exist wins. Each candidate may carry its key names.
    pub secret: Vec<Candidate>,
    /// The Secret's namespace as a JSONPath template (default: the service's namespace).
    pub namespace: Option<String>,
    /// Who creates the Secret, for messages.
    pub creator: String,
    /// The config file that declares it (`None`: built in).
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub keys: Option<Vec<String>>,
}

/// One built-in row: group, kind, candidates (template, keys), namespace template, creator.
type Row = (&'static str, &'static str, &'static [(&'static str, Option<&'static [&'static str]>)], Option<&'static str>, &'static str);

const PG_CNPG_KEYS: &[&str] = &["dbname", "host", "jdbc-uri", "password", "pgpass", "port", "uri", "user", "username"];
const PG_CRUNCHY_KEYS: &[&str] = &["dbname", "host", "jdbc-uri", "password", "port", "uri", "user", "verifier"];
const RABBIT_KEYS: &[&str] = &["connection_string", "default_user.conf", "host", "password", "port", "provider", "type", "username"];
const MONGO_KEYS: &[&str] = &["connectionString.standard", "connectionString.standardSrv", "password", "username"];
const BASIC_AUTH_KEYS: &[&str] = &["password", "username"];

/// The built-in convention table (documented in the README, "Run-time Secrets").
pub const BUILTIN_CONVENTIONS: &[Row] = &[
    // With `bootstrap.initdb.secret` CloudNativePG reads the application user's credentials
    // from a Secret the team provides; otherwise it creates `<name>-app`.
    (
        "postgresql.cnpg.io",
        "Cluster",
        &[("{.spec.bootstrap.initdb.secret.name}", Some(BASIC_AUTH_KEYS))],
        None,
        "the team (CloudNativePG reads spec.bootstrap.initdb.secret, it does not create it)",
    ),
    ("postgresql.cnpg.io", "Cluster", &[("{.metadata.name}-app", Some(PG_CNPG_KEYS))], None, "the CloudNativePG operator"),
    (
        "postgres-operator.crunchydata.com",
        "PostgresCluster",
        &[
            ("{.metadata.name}-pguser-{.spec.users[0].name}", Some(PG_CRUNCHY_KEYS)),
            ("{.metadata.name}-pguser-{.metadata.name}", Some(PG_CRUNCHY_KEYS)),
        ],
        None,
        "the Crunchy Postgres operator (PGO)",
    ),
    (
        "postgres-operator.crunchydata.com",
        "PostgresCluster",
        &[("{.metadata.name}-cluster-cert", Some(&["ca.crt", "tls.crt", "tls.key"]))],
        None,
        "the Crunchy Postgres operator (PGO)",
    ),
    ("rabbitmq.com", "RabbitmqCluster", &[("{.metadata.name}-default-user", Some(RABBIT_KEYS))], None, "the RabbitMQ cluster operator"),
    ("kafka.strimzi.io", "KafkaUser", &[("{.metadata.name}", None)], None, "the Strimzi user operator"),
    ("access.strimzi.io", "KafkaAccess", &[("{.metadata.name}", None)], None, "the Strimzi access operator"),
    (
        "mongodbcommunity.mongodb.com",
        "MongoDBCommunity",
        &[
            ("{.spec.users[0].connectionStringSecretName}", Some(MONGO_KEYS)),
            ("{.metadata.name}-{.spec.users[0].db}-{.spec.users[0].name}", Some(MONGO_KEYS)),
        ],
        None,
        "the MongoDB Community operator",
    ),
    (
        "services.cloud.sap.com",
        "ServiceBinding",
        &[("{.spec.secretName}", None), ("{.metadata.name}", None)],
        None,
        "the SAP BTP service operator",
    ),
    (
        "*",
        "*",
        &[("{.spec.writeConnectionSecretToRef.name}", None)],
        Some("{.spec.writeConnectionSecretToRef.namespace}"),
        "Crossplane (spec.writeConnectionSecretToRef)",
    ),
];

/// The built-in table as [`Convention`]s.
pub fn builtin_conventions() -> Vec<Convention> {
    BUILTIN_CONVENTIONS
        .iter()
        .map(|(group, kind, candidates, namespace, creator)| Convention {
            group: group.to_string(),
            kind: kind.to_string(),
            secret: candidates
                .iter()
                .map(|(name, keys)| Candidate { name: name.to_string(), keys: keys.map(|k| k.iter().map(|s| s.to_string()).collect()) })
                .collect(),
            namespace: namespace.map(str::to_string),
            creator: creator.to_string(),
            origin: None,
        })
        .collect()
}

/// A Secret the user declared in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredSecret {
    pub name: String,
    /// `None`: the namespace of resources that set none.
    pub namespace: Option<String>,
    pub keys: Option<Vec<String>>,
    pub created_by: Option<String>,
    /// The configuration that declares it, for messages (`None`: [`RuntimeConfig::path`]).
    pub origin: Option<String>,
}

/// The configuration for run-time Secrets, from bindery's one configuration (README
/// "Configuration": every source merged before the run).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// The file it was read from, for messages.
    pub path: Option<String>,
    /// Conventions from the file; they win over the built-in table.
    pub conventions: Vec<Convention>,
    pub secrets: Vec<DeclaredSecret>,
    /// `allowMissingSecrets: true` in the file.
    pub allow_missing_secrets: bool,
}

/// Whether a Secret document is SOPS-encrypted (a top-level `sops:` key).
pub fn is_sops(doc: &Document) -> bool {
    doc.value.get("sops").is_some_and(Value::is_object)
}

/// Key names of a SOPS-encrypted Secret (`data` and `stringData`), never its values.
pub fn sops_keys(doc: &Document) -> BTreeSet<String> {
    ["data", "stringData"]
        .iter()
        .filter_map(|f| doc.value.get(*f).and_then(Value::as_object))
        .flat_map(|m| m.keys().map(|k| k.to_string()))
        .collect()
}

/// Everything the input and the configuration say about Secrets that are not in the input.
/// Built once per run, linear in the number of documents.
#[derive(Debug, Default)]
pub struct RuntimeSecrets {
    /// (namespace, Secret name) → producer documents, in input order.
    producers: HashMap<(String, String), Vec<(ProducerKind, DocId)>>,
    conventions: Vec<Convention>,
    config: RuntimeConfig,
    default_ns: String,
}

impl RuntimeSecrets {
    pub fn build(docs: &[Document], config: &RuntimeConfig, default_ns: &str) -> Self {
        let mut producers: HashMap<(String, String), Vec<(ProducerKind, DocId)>> = HashMap::new();
        for (id, d) in docs.iter().enumerate() {
            let (kind, name) = match (group_of(d.api_version()), d.kind()) {
                // The controller always names the Secret after the SealedSecret (it overwrites
                // any `spec.template.metadata.name`: sealed-secrets' `Unseal`).
                ("bitnami.com", "SealedSecret") => (ProducerKind::SealedSecret, d.name()),
                ("external-secrets.io", "ExternalSecret") => {
                    let name = d.value.pointer("/spec/target/name").and_then(Value::as_str).filter(|n| !n.is_empty()).unwrap_or(d.name());
                    (ProducerKind::ExternalSecret, name)
                }
                _ => continue,
            };
            producers.entry((d.namespace(default_ns).to_string(), name.to_string())).or_default().push((kind, id));
        }
        let mut conventions = config.conventions.clone();
        conventions.extend(builtin_conventions());
        RuntimeSecrets { producers, conventions, config: config.clone(), default_ns: default_ns.to_string() }
    }

    /// What creates Secret `namespace/name` if it is not in the input: a producer in the input,
    /// then a config-file declaration. `None`: nothing declares it.
    pub fn declared(&self, docs: &[Document], namespace: &str, name: &str) -> Option<KnownSecret> {
        if let Some(&(kind, doc)) = self.producers.get(&(namespace.to_string(), name.to_string())).and_then(|p| p.first()) {
            let (keys, unknown_keys) = producer_keys(kind, &docs[doc]);
            return Some(KnownSecret {
                name: name.into(),
                namespace: namespace.into(),
                source: SecretSource::Producer { kind, doc },
                keys,
                unknown_keys,
            });
        }
        let declared =
            self.config.secrets.iter().find(|s| s.name == name && s.namespace.as_deref().unwrap_or(&self.default_ns) == namespace)?;
        let path = self.origin_of(declared);
        let keys = declared.keys.as_ref().map(|k| k.iter().cloned().collect());
        let unknown_keys = declared.keys.is_none().then(|| format!("the declaration in {path} lists no keys"));
        Some(KnownSecret {
            name: name.into(),
            namespace: namespace.into(),
            source: SecretSource::Declared { by: Declaration::ConfigFile { path, created_by: declared.created_by.clone() } },
            keys,
            unknown_keys,
        })
    }

    /// Where a Secret named `name` exists or will exist in a namespace other than `namespace`:
    /// the Secret in the input, a producer, or a config-file declaration, as (namespace, what).
    /// For the mistake of a binding Secret in another namespace than the workload.
    pub fn elsewhere(&self, docs: &[Document], namespace: &str, name: &str) -> Option<(String, String)> {
        let secret = docs.iter().find(|d| {
            d.kind() == "Secret" && group_of(d.api_version()).is_empty() && d.name() == name && d.namespace(&self.default_ns) != namespace
        });
        if let Some(d) = secret {
            return Some((d.namespace(&self.default_ns).to_string(), format!("the Secret at {}", d.location())));
        }
        // The first other namespace in sorted order, so the message does not depend on hashing.
        let produced = self.producers.iter().filter(|((ns, n), _)| n == name && ns != namespace).min_by_key(|(k, _)| *k);
        if let Some(((ns, _), p)) = produced {
            let (kind, doc) = p[0];
            return Some((ns.clone(), format!("{} {:?} at {}", kind.kind(), docs[doc].name(), docs[doc].location())));
        }
        self.config.secrets.iter().find_map(|s| {
            let ns = s.namespace.as_deref().unwrap_or(&self.default_ns);
            (s.name == name && ns != namespace).then(|| (ns.to_string(), format!("a `secrets:` entry in {}", self.origin_of(s))))
        })
    }

    /// The configuration that declares a Secret, for messages.
    fn origin_of(&self, declared: &DeclaredSecret) -> String {
        declared.origin.clone().or_else(|| self.config.path.clone()).unwrap_or_else(|| CONFIG_FILE.into())
    }

    /// The binding Secret a service without `.status.binding.name` will have: its
    /// `bindery.dev/binding-secret` annotation, else the first matching convention (config
    /// entries before built-in ones). `source` is `Declared`/`Convention`; the caller decides
    /// whether the Secret is in the input.
    pub fn for_service(&self, docs: &[Document], service: DocId) -> Option<KnownSecret> {
        let svc = &docs[service];
        let namespace = svc.namespace(&self.default_ns).to_string();
        let annotations = svc.value.pointer("/metadata/annotations").and_then(Value::as_object);
        let keys_annotation = annotations.and_then(|a| a.get(KEYS_ANNOTATION)).and_then(Value::as_str).map(parse_key_list);
        if let Some(name) = annotations.and_then(|a| a.get(SECRET_ANNOTATION)).and_then(Value::as_str).filter(|n| !n.is_empty()) {
            let unknown_keys =
                keys_annotation.is_none().then(|| format!("{} {:?} has no {KEYS_ANNOTATION} annotation", svc.kind(), svc.name()));
            return Some(KnownSecret {
                name: name.to_string(),
                namespace,
                source: SecretSource::Declared { by: Declaration::Annotation { service } },
                keys: keys_annotation,
                unknown_keys,
            });
        }
        self.by_convention(docs, service, keys_annotation).into_iter().next()
    }

    /// A Secret the service's committed `.status.binding.name` names, declared by the service's
    /// own annotations: `bindery.dev/binding-keys` (and `bindery.dev/binding-secret`, when set,
    /// naming the same Secret).
    pub fn annotated(&self, docs: &[Document], service: DocId, name: &str) -> Option<KnownSecret> {
        let svc = &docs[service];
        let annotations = svc.value.pointer("/metadata/annotations").and_then(Value::as_object)?;
        let keys = annotations.get(KEYS_ANNOTATION).and_then(Value::as_str).map(parse_key_list)?;
        if annotations.get(SECRET_ANNOTATION).and_then(Value::as_str).is_some_and(|n| !n.is_empty() && n != name) {
            return None;
        }
        Some(KnownSecret {
            name: name.to_string(),
            namespace: svc.namespace(&self.default_ns).to_string(),
            source: SecretSource::Declared { by: Declaration::Annotation { service } },
            keys: Some(keys),
            unknown_keys: None,
        })
    }

    /// The Secret named `name` when a convention for the service names it (an SBO registry path
    /// that reads one of the Secrets an operator creates, e.g. PGO's `<name>-cluster-cert`).
    pub fn named_by_convention(&self, docs: &[Document], service: DocId, name: &str) -> Option<KnownSecret> {
        self.by_convention(docs, service, None).into_iter().find(|k| k.name == name)
    }

    /// Every Secret the conventions matching the service name, in order (config entries first,
    /// then built-in rows; within an entry, candidates in order).
    fn by_convention(&self, docs: &[Document], service: DocId, keys_annotation: Option<BTreeSet<String>>) -> Vec<KnownSecret> {
        let svc = &docs[service];
        let namespace = svc.namespace(&self.default_ns).to_string();
        let group = group_of(svc.api_version());
        // Templates see the resolved namespace when the manifest sets none.
        let mut value = svc.value.clone();
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.entry("namespace").or_insert_with(|| Value::from(&namespace));
        }
        let mut out = Vec::new();
        for c in &self.conventions {
            if (c.group != "*" && c.group != group) || (c.kind != "*" && c.kind != svc.kind()) {
                continue;
            }
            for candidate in &c.secret {
                let Some(name) = template_string(&candidate.name, &value) else { continue };
                let ns = c.namespace.as_deref().and_then(|t| template_string(t, &value)).unwrap_or_else(|| namespace.clone());
                let keys = keys_annotation.clone().or_else(|| candidate.keys.as_ref().map(|k| k.iter().cloned().collect()));
                let unknown_keys = keys.is_none().then(|| format!("the convention for {} does not know the key names", svc.kind()));
                let rule = match &c.origin {
                    Some(path) => format!("Secret name {}, declared in {path}", candidate.name),
                    None => format!("Secret name {}", candidate.name),
                };
                out.push(KnownSecret {
                    name,
                    namespace: ns,
                    source: SecretSource::Convention { rule, creator: c.creator.clone(), service },
                    keys,
                    unknown_keys,
                });
            }
        }
        out
    }

    /// The policy `--allow-missing-secrets` (flag or config file).
    pub fn allow_missing(&self, flag: bool) -> bool {
        flag || self.config.allow_missing_secrets
    }
}

/// `a, b,c` → {a, b, c}.
pub fn parse_key_list(s: &str) -> BTreeSet<String> {
    s.split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_string).collect()
}

/// A template that yields one non-empty string.
fn template_string(template: &str, value: &Value) -> Option<String> {
    let text = match eval_template(template, value).ok()? {
        TemplateResult::Values(v) if v.len() == 1 => print_jsonpath_value(&v[0]),
        TemplateResult::Values(_) => return None,
        TemplateResult::Text(t) => t,
    };
    (!text.is_empty()).then_some(text)
}

/// Key names a producer will write, or why they are unknown.
fn producer_keys(kind: ProducerKind, doc: &Document) -> (Option<BTreeSet<String>>, Option<String>) {
    match kind {
        ProducerKind::SealedSecret => {
            let mut keys: BTreeSet<String> = doc
                .value
                .pointer("/spec/encryptedData")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(k, _)| k.to_string())
                .collect();
            // A template's `data` entries are written into the Secret too; a null entry removes one.
            for (k, v) in doc.value.pointer("/spec/template/data").and_then(Value::as_object).into_iter().flatten() {
                if v.is_null() {
                    keys.remove(k.as_str());
                } else {
                    keys.insert(k.to_string());
                }
            }
            (Some(keys), None)
        }
        ProducerKind::ExternalSecret => {
            // As external-secrets' template step: no template data → the provider's data; a
            // template replaces it (mergePolicy Replace, the default) or adds to it (Merge).
            let provided: BTreeSet<String> = doc
                .value
                .pointer("/spec/data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|d| d.get("secretKey").and_then(Value::as_str).map(str::to_string))
                .collect();
            let data_from = doc.value.pointer("/spec/dataFrom").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
            let unknown =
                |what: &str| (None, Some(format!("ExternalSecret {:?} uses {what}, whose keys are only known at run time", doc.name())));
            let template = doc.value.pointer("/spec/target/template");
            let templated: BTreeSet<String> =
                template.and_then(|t| t.get("data")).and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.to_string()).collect();
            let template_from = template.and_then(|t| t.get("templateFrom")).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
            let merge = template.and_then(|t| t.get("mergePolicy")).and_then(Value::as_str) == Some("Merge");
            match (templated.is_empty() && !template_from, merge) {
                (true, _) | (false, true) if data_from => unknown("spec.dataFrom"),
                _ if template_from => unknown("spec.target.template.templateFrom"),
                (true, _) => (Some(provided), None),
                (false, true) => (Some(provided.into_iter().chain(templated).collect()), None),
                (false, false) => (Some(templated), None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        crate::load::parse_file("p.yaml".into(), "p.yaml".into(), text.as_bytes().to_vec()).unwrap().1.remove(0)
    }

    #[test]
    fn a_sealed_secret_names_its_secret_after_itself_and_null_template_data_removes_a_key() {
        let sealed = doc(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db, namespace: shop}\n\
             spec:\n  encryptedData: {password: Ag==, legacy: Ag==}\n  template:\n    metadata: {name: other}\n    data: {type: postgresql, legacy: null}\n",
        );
        let docs = vec![sealed];
        let runtime = RuntimeSecrets::build(&docs, &RuntimeConfig::default(), "default");
        assert!(runtime.declared(&docs, "shop", "other").is_none());
        let known = runtime.declared(&docs, "shop", "db").unwrap();
        assert_eq!(known.keys.unwrap().into_iter().collect::<Vec<_>>(), ["password", "type"]);
        assert_eq!(runtime.elsewhere(&docs, "web", "db").unwrap().0, "shop");
        assert!(runtime.elsewhere(&docs, "shop", "db").is_none());
    }

    #[test]
    fn external_secret_keys_follow_the_template_step() {
        let keys = |spec: &str| {
            let d = doc(&format!("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {{name: es}}\nspec: {spec}\n"));
            producer_keys(ProducerKind::ExternalSecret, &d).0.map(|k| k.into_iter().collect::<Vec<_>>().join(","))
        };
        let data = "data: [{secretKey: a}, {secretKey: b}]";
        assert_eq!(keys(&format!("{{{data}}}")).as_deref(), Some("a,b"));
        assert_eq!(keys(&format!("{{{data}, target: {{template: {{type: Opaque}}}}}}")).as_deref(), Some("a,b"));
        assert_eq!(keys(&format!("{{{data}, target: {{template: {{data: {{url: x}}}}}}}}")).as_deref(), Some("url"));
        assert_eq!(
            keys(&format!("{{{data}, target: {{template: {{mergePolicy: Merge, data: {{url: x}}}}}}}}")).as_deref(),
            Some("a,b,url")
        );
        // A replacing template makes dataFrom irrelevant; merging or no template does not.
        assert_eq!(keys("{dataFrom: [{extract: {key: k}}], target: {template: {data: {url: x}}}}").as_deref(), Some("url"));
        assert_eq!(keys("{dataFrom: [{extract: {key: k}}], target: {template: {mergePolicy: Merge, data: {url: x}}}}"), None);
        assert_eq!(keys("{dataFrom: [{extract: {key: k}}]}"), None);
        assert_eq!(keys(&format!("{{{data}, target: {{template: {{templateFrom: [{{configMap: {{name: t}}}}]}}}}}}")), None);
    }

    #[test]
    fn builtin_table_is_well_formed() {
        for c in builtin_conventions() {
            assert!(!c.secret.is_empty() && !c.creator.is_empty());
        }
        let v = crate::json!({"metadata": {"name": "pg"}, "spec": {"users": [{"name": "app", "db": "admin"}]}});
        assert_eq!(template_string("{.metadata.name}-pguser-{.spec.users[0].name}", &v).as_deref(), Some("pg-pguser-app"));
        assert_eq!(template_string("{.spec.bootstrap.initdb.secret.name}", &v), None);
    }
}
