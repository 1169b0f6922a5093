//! SBO binding data: collect items from every source of every service (provisioned Secret,
//! direct Secret, annotations on the CRD, the registry and the resource, owned resources),
//! evaluate `spec.mappings`, apply the naming strategy and merge (sbo-semantics §3–§11).
//!
//! Items remember where their value lives, so projection can deliver Secret entries by
//! reference instead of copying them.

use std::collections::{BTreeMap, BTreeSet};

use crate::doc::value::{Map, Value};
use crate::json;
use base64::Engine;

use super::definitions::{annotation_name, flatten, parse_definition, Definition, DefinitionKind, RefKind};
use super::{registry, OperatorBinding};
use crate::bindings::sbo::gotemplate::{print_value, Escape, Template};
use crate::doc::document::{DocId, Document};
use crate::index::Index;
use crate::kube::jsonpath::{eval_template, JsonPathError, TemplateResult};
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;

/// Where an item's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemSource {
    /// An entry of a Secret (deliverable by reference when in the workload's namespace).
    SecretKey { namespace: String, name: String, key: String },
    /// An entry of a ConfigMap.
    ConfigMapKey { namespace: String, name: String, key: String },
    /// A value read from a resource field, or a constant. `secret`: it was read out of a Secret
    /// object (an annotated Secret used as a service), so it must stay in a Secret.
    Literal { secret: bool },
    /// A `spec.mappings` template result; `secret` when it used secret values.
    Mapping { secret: bool },
}

impl ItemSource {
    /// Whether the value is secret (must never appear in plain output).
    pub fn is_secret(&self) -> bool {
        matches!(self, ItemSource::SecretKey { .. } | ItemSource::Literal { secret: true } | ItemSource::Mapping { secret: true })
    }
}

/// One binding item.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    /// The value as SBO would write it into the binding Secret (Go `%v`).
    pub value: String,
    /// The value before printing, for mapping templates.
    pub raw: Value,
    pub source: ItemSource,
    /// Index of the service it came from (`None` for mappings).
    pub service: Option<usize>,
    /// `Some(creator)`: the value lives in a Secret that is not readable offline (created at run
    /// time, or SOPS-encrypted): deliverable by reference only, `value` is empty.
    pub runtime: Option<String>,
}

/// The binding data of one SBO binding, after naming and merging, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    pub items: Vec<Item>,
    /// A Secret SBO would mount as it is (one Secret-backed source, names unchanged, in the
    /// binding's namespace, nothing else).
    pub reuse: Option<String>,
}

/// A resolved service object.
struct Service<'a> {
    id: DocId,
    doc: &'a Document,
    namespace: String,
    /// A Secret service that is not in the input but created at run time (a SealedSecret or
    /// ExternalSecret in the input, a config-file declaration): `doc` is then its producer (or
    /// the binding) and is not read as the service.
    run_time: Option<crate::index::runtime_secrets::KnownSecret>,
    /// The version the binding reads the service at (`spec.services[i].version`): SBO fetches
    /// the resource at that version, whichever version its manifest is written at, and looks
    /// the registry and OLM descriptors up by it. Empty: the manifest's own.
    version: String,
}

impl Service<'_> {
    fn kind(&self) -> &str {
        if self.run_time.is_some() {
            "Secret"
        } else {
            self.doc.kind()
        }
    }

    fn name(&self) -> &str {
        match &self.run_time {
            Some(k) => &k.name,
            None => self.doc.name(),
        }
    }

    /// The object templates see: `metadata.namespace` is the resolved namespace (`--namespace`
    /// or `default`) when the manifest sets none, as it would be on the cluster.
    fn value(&self) -> std::borrow::Cow<'_, Value> {
        if let Some(k) = &self.run_time {
            return std::borrow::Cow::Owned(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": k.name, "namespace": k.namespace}}),
            );
        }
        let set = self.doc.value.pointer("/metadata/namespace").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
        if set {
            return std::borrow::Cow::Borrowed(&self.doc.value);
        }
        let mut v = self.doc.value.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace", Value::from(&self.namespace));
        }
        std::borrow::Cow::Owned(v)
    }
}

pub struct Collector<'a> {
    pub docs: &'a [Document],
    pub index: &'a Index<'a>,
    pub default_ns: &'a str,
    pub binding_doc: &'a Document,
    pub binding: &'a OperatorBinding,
    /// Producers, declarations and conventions for Secrets that are not in the input.
    pub runtime: &'a crate::index::runtime_secrets::RuntimeSecrets,
    pub problems: Vec<Problem>,
}

/// Why the entries of a Secret or ConfigMap cannot be read (never with a value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceDataError {
    #[error("not found: the {kind} has no data")]
    NoData { kind: &'static str },
    #[error("data.{key} is not valid base64")]
    NotBase64 { key: String },
}

/// Decoded entries of a Secret (`data` base64, `stringData` winning) or a ConfigMap (`data`).
pub fn resource_data(doc: &Document, kind: RefKind) -> Result<BTreeMap<String, String>, ResourceDataError> {
    let mut out = BTreeMap::new();
    let data = doc.value.get("data").and_then(Value::as_object);
    match kind {
        RefKind::Secret => {
            let string_data = doc.value.get("stringData").and_then(Value::as_object);
            if data.is_none() && string_data.is_none() {
                return Err(ResourceDataError::NoData { kind: "Secret" });
            }
            for (k, v) in data.into_iter().flatten() {
                let text = v.as_str().unwrap_or_default();
                let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| ResourceDataError::NotBase64 { key: k.to_string() })?;
                out.insert(k.to_string(), String::from_utf8_lossy(&bytes).into_owned());
            }
            for (k, v) in string_data.into_iter().flatten() {
                out.insert(k.to_string(), v.as_str().map(str::to_string).unwrap_or_else(|| print_value(v)));
            }
        }
        RefKind::ConfigMap => {
            let Some(data) = data else { return Err(ResourceDataError::NoData { kind: "ConfigMap" }) };
            for (k, v) in data {
                out.insert(k.to_string(), v.as_str().map(str::to_string).unwrap_or_else(|| print_value(v)));
            }
        }
    }
    Ok(out)
}

fn str_item(name: String, value: String, source: ItemSource, service: Option<usize>) -> Item {
    Item { name, raw: Value::from(&value), value, source, service, runtime: None }
}

/// The items of a binding's services, by source, before naming and merging.
#[derive(Default)]
struct Gathered {
    /// One group per provisioned service's binding Secret.
    provisioned: Vec<Vec<Item>>,
    /// One group per service that is a Secret.
    direct: Vec<Vec<Item>>,
    /// Items the binding annotations define.
    individual: Vec<Item>,
    /// Items of resources the services own (`detectBindingResources`).
    owned: Vec<Item>,
}

impl Gathered {
    /// Every item, in SBO's order.
    fn items(&self) -> impl Iterator<Item = &Item> {
        self.items_but_owned().chain(&self.owned)
    }

    fn items_but_owned(&self) -> impl Iterator<Item = &Item> {
        self.provisioned.iter().flatten().chain(self.direct.iter().flatten()).chain(&self.individual)
    }

    fn items_mut(&mut self) -> impl Iterator<Item = &mut Item> {
        let groups = self.provisioned.iter_mut().flatten().chain(self.direct.iter_mut().flatten());
        groups.chain(self.individual.iter_mut()).chain(self.owned.iter_mut())
    }
}

/// One definition being evaluated against its service.
struct Eval<'v> {
    /// `service <Kind> "<name>" annotation "<key>"`, for messages.
    what: String,
    /// The service object the definition's paths read.
    value: std::borrow::Cow<'v, Value>,
    def: &'v Definition,
}

/// How evaluating a definition ends early.
enum Stop {
    /// An optional definition's path failed: no items, no problem.
    Skip,
    /// A problem was reported.
    Reported,
}

/// The elements of nested lists, in order (a value that is not a list is its own element).
fn flat_elements(values: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    let mut stack: Vec<Value> = values.into_iter().rev().collect();
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items.into_iter().rev()),
            other => out.push(other),
        }
    }
    out
}

/// `map` under the definition's name, or the map itself for the generic `service.binding`.
fn named_or_flat(name: &str, map: Map) -> Map {
    if name.is_empty() {
        return map;
    }
    let mut m = Map::new();
    m.insert(name, Value::Object(map));
    m
}

/// Why the naming strategy cannot name an item (upstream: `NamingStrategyError`).
#[derive(Debug, thiserror::Error)]
enum NamingError {
    #[error("namingStrategy {template:?} does not parse: {message}")]
    Parse { template: String, message: String },
    #[error("please check the namingStrategy template provided ({template:?}) for binding item {item:?}: {message}")]
    Render { template: String, item: String, message: String },
}

/// What a Secret lookup found.
enum SecretLookup {
    /// Items by reference (values only when the Secret is readable).
    Items(Vec<Item>),
    /// A problem was reported.
    Failed,
    /// Neither in the input nor declared.
    Missing,
}

impl<'a> Collector<'a> {
    fn problem(&mut self, rule: Rule, message: String) {
        let loc = Location::of(self.binding_doc);
        self.problems.push(Problem::error(rule, message).binding(&self.binding.namespace, &self.binding.name).at(loc));
    }
    fn warn(&mut self, rule: Rule, message: String) {
        let loc = Location::of(self.binding_doc);
        self.problems.push(Problem::warning(rule, message).binding(&self.binding.namespace, &self.binding.name).at(loc));
    }

    fn notice(&mut self, rule: Rule, message: String) {
        if self.problems.iter().any(|p| p.rule == rule && p.message == message) {
            return; // several annotations reading one Secret: one notice
        }
        let loc = Location::of(self.binding_doc);
        self.problems.push(Problem::notice(rule, message).binding(&self.binding.namespace, &self.binding.name).at(loc));
    }

    /// The entries of Secret `namespace/name` as items by reference: read from the input, or
    /// (SOPS-encrypted, or declared as created at run time) by key name only.
    fn secret_items(&mut self, i: usize, namespace: &str, name: &str) -> SecretLookup {
        use crate::index::runtime_secrets::{is_sops, sops_keys};
        let by_ref = |keys: &BTreeSet<String>, creator: &str| -> Vec<Item> {
            keys.iter()
                .map(|k| Item {
                    name: k.clone(),
                    value: String::new(),
                    raw: Value::from(""),
                    source: ItemSource::SecretKey { namespace: namespace.to_string(), name: name.to_string(), key: k.clone() },
                    service: Some(i),
                    runtime: Some(creator.to_string()),
                })
                .collect()
        };
        if let Some(secret) = self.find("", "Secret", namespace, name) {
            if is_sops(secret) {
                let creator = format!("the SOPS-encrypted Secret {name:?} (at {})", secret.location());
                self.notice(
                    Rule::EncryptedSecret,
                    format!("{creator} is delivered by reference with its key names; its values are never decrypted"),
                );
                return SecretLookup::Items(by_ref(&sops_keys(secret), &creator));
            }
            return match resource_data(secret, RefKind::Secret) {
                Ok(data) => SecretLookup::Items(
                    data.into_iter()
                        .map(|(k, v)| {
                            let src = ItemSource::SecretKey { namespace: namespace.to_string(), name: name.to_string(), key: k.clone() };
                            str_item(k, v, src, Some(i))
                        })
                        .collect(),
                ),
                Err(e) => {
                    self.problem(Rule::ErrorReadingSecret, format!("Secret {name:?}: {e}"));
                    SecretLookup::Failed
                }
            };
        }
        let Some(known) = self.runtime.declared(self.docs, namespace, name) else { return SecretLookup::Missing };
        self.known_items(i, known)
    }

    /// Items of a Secret that is not in the input but declared (producer, config, annotation,
    /// convention): by reference when its key names are known.
    fn known_items(&mut self, i: usize, known: crate::index::runtime_secrets::KnownSecret) -> SecretLookup {
        let creator = known.source.creator(self.docs);
        let Some(keys) = &known.keys else {
            let why = known.unknown_keys.clone().unwrap_or_default();
            self.problem(
                Rule::RuntimeSecretKeysUnknown,
                format!(
                    "the binding Secret {:?} is created at run time by {creator}, but its key names are not known ({why}); \
                     Service Binding Operator binding data is built from key names",
                    known.name
                ),
            );
            if let Some(p) = self.problems.last_mut() {
                p.add_help(format!(
                    "list the keys with the annotation {} on the service, or keys: in {}",
                    crate::index::runtime_secrets::KEYS_ANNOTATION,
                    crate::index::runtime_secrets::CONFIG_FILE
                ));
            }
            return SecretLookup::Failed;
        };
        self.notice(
            Rule::RuntimeSecret,
            format!(
                "the binding Secret {:?} is not in the input: it is created at run time by {creator}, with keys {}; delivered by reference",
                known.name,
                keys.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
            ),
        );
        let items = keys
            .iter()
            .map(|k| Item {
                name: k.clone(),
                value: String::new(),
                raw: Value::from(""),
                source: ItemSource::SecretKey { namespace: known.namespace.clone(), name: known.name.clone(), key: k.clone() },
                service: Some(i),
                runtime: Some(creator.clone()),
            })
            .collect();
        SecretLookup::Items(items)
    }

    /// Help for a Secret that is neither in the input nor declared: the ways to declare it.
    /// `name`: the Secret's name when it may be shown (near names are hinted then), `None` when it
    /// was read out of a Secret (a hint would print it, or names one or two edits from it);
    /// `shown`: how the message names it.
    fn missing_secret_help(&mut self, namespace: &str, name: Option<&str>, shown: &str) {
        let mut hints = name.map(|name| self.index.name_hints("", "Secret", namespace, name)).unwrap_or_default();
        hints.push(format!(
            "add the Secret to the input, or declare who creates it at run time with its key names: a SealedSecret or ExternalSecret \
             for {shown} in the input, or a `secrets:` entry (name, namespace, keys) in {} (Service Binding Operator binding data \
             needs the key names, so --allow-missing-secrets does not apply)",
            crate::index::runtime_secrets::CONFIG_FILE
        ));
        let help = hints.join("; ");
        if let Some(p) = self.problems.last_mut() {
            p.add_help(help);
        }
    }

    fn find(&self, group: &str, kind: &str, namespace: &str, name: &str) -> Option<&'a Document> {
        self.index.get(group, kind, namespace, name).first().map(|&id| &self.docs[id])
    }

    /// Whether an error was recorded since the problem list had `before` entries.
    fn failed_since(&self, before: usize) -> bool {
        self.problems.iter().skip(before).any(Problem::is_error)
    }

    /// Resolve and collect everything; `None` when a problem stops the binding.
    pub fn collect(&mut self) -> Option<Collected> {
        let errors_before = self.problems.len();
        let services = self.services();
        if self.problems.len() > errors_before {
            return None;
        }
        let mut gathered = self.gather(&services);
        if self.failed_since(errors_before) {
            return None;
        }
        let mapped = self.mappings(&services, &gathered);
        let renamed_unchanged = self.rename(&services, &mut gathered);
        if self.failed_since(errors_before) {
            return None;
        }
        let (merged, reuse) = self.merge(gathered, mapped, renamed_unchanged);
        self.check_merged(&merged);
        if self.failed_since(errors_before) {
            return None;
        }
        Some(Collected { items: merged.into_values().collect(), reuse })
    }

    /// Every service of the binding, found in the input or declared as a Secret created at run
    /// time; a service that is neither is reported.
    fn services(&mut self) -> Vec<Service<'a>> {
        let b = self.binding;
        let mut services = Vec::new();
        for (i, s) in b.services.iter().enumerate() {
            let kind = if s.type_ref.resource.is_empty() {
                Some(s.type_ref.kind.clone())
            } else {
                self.index.kind_for_resource(&s.type_ref.group, &s.type_ref.resource)
            };
            let found = kind.as_deref().and_then(|k| self.index.get(&s.type_ref.group, k, &s.namespace, &s.name).first().copied());
            // A Secret service created at run time by a producer or declared in the config file.
            let run_time = match (found, s.type_ref.group.is_empty() && kind.as_deref() == Some("Secret")) {
                (None, true) => self.runtime.declared(self.docs, &s.namespace, &s.name),
                _ => None,
            };
            match (found, run_time) {
                (Some(id), _) => services.push(Service {
                    id,
                    doc: &self.docs[id],
                    namespace: s.namespace.clone(),
                    run_time: None,
                    version: s.type_ref.version.clone(),
                }),
                (None, Some(known)) => {
                    let (id, doc) = match &known.source {
                        crate::index::runtime_secrets::SecretSource::Producer { doc, .. } => (*doc, &self.docs[*doc]),
                        _ => (self.docs.iter().position(|d| std::ptr::eq(d, self.binding_doc)).unwrap_or(0), self.binding_doc),
                    };
                    services.push(Service {
                        id,
                        doc,
                        namespace: s.namespace.clone(),
                        run_time: Some(known),
                        version: s.type_ref.version.clone(),
                    });
                }
                (None, None) => self.service_not_found(i, s, kind.as_deref()),
            }
        }
        services
    }

    /// `spec.services[i]` is not in the input: reported at that entry, with what it was probably
    /// meant to be (a kind in another case, a resource's plural, a name one or two edits away, the
    /// namespace that has it). `kind`: the kind the entry names, when known.
    fn service_not_found(&mut self, i: usize, s: &super::ServiceRef, kind: Option<&str>) {
        let t = &s.type_ref;
        let what = if t.resource.is_empty() { t.kind.to_ascii_lowercase() } else { t.resource.clone() };
        let gr = if t.group.is_empty() { what } else { format!("{what}.{}", t.group) };
        let message = format!("spec.services[{i}]: {gr} {:?} not found in namespace {:?} of the input", s.name, s.namespace);
        let mut hints = Vec::new();
        if t.resource.is_empty() {
            if let Some(k) = crate::kube::hints::suggest_kind(self.index.kinds(), &t.kind) {
                hints.push(format!("kinds are case-sensitive CamelCase: did you mean kind: {k}?"));
            }
        } else if kind.is_none() {
            if let Some(r) = self.index.suggest_resource(&t.group, &t.resource) {
                hints.push(format!("did you mean resource: {r}? (resources are lower-case plurals)"));
            }
        }
        if let Some(kind) = kind {
            hints.extend(self.index.name_hints(&t.group, kind, &s.namespace, &s.name));
        }
        let loc = Location::of_field(self.binding_doc, &format!("spec.services[{i}]"));
        let mut p = Problem::error(Rule::ErrorReadingServices, message).binding(&self.binding.namespace, &self.binding.name).at(loc);
        if !hints.is_empty() {
            p.add_help(hints.join("; "));
        }
        self.problems.push(p);
    }

    /// The items of every service, by source: Secret-backed groups (provisioned, then direct),
    /// annotation-defined items and owned resources, in SBO's order.
    fn gather(&mut self, services: &[Service]) -> Gathered {
        let mut g = Gathered::default();
        let mut direct_stopped = false;
        for (i, svc) in services.iter().enumerate() {
            if let Some(known) = &svc.run_time {
                // Nothing else to read: no document of the Secret, its keys by name only.
                if !direct_stopped {
                    if let SecretLookup::Items(items) = self.known_items(i, known.clone()) {
                        g.direct.push(items);
                    }
                }
                continue;
            }
            let annotations = self.annotations(svc);
            if let Some(group) = self.provisioned(i, svc, &annotations) {
                g.provisioned.push(group);
            }
            let is_secret = svc.doc.api_version() == "v1" && svc.doc.kind() == "Secret";
            if is_secret && !direct_stopped {
                let annotated = svc
                    .doc
                    .value
                    .pointer("/metadata/annotations")
                    .and_then(Value::as_object)
                    .is_some_and(|a| a.keys().any(|k| k.starts_with("service.binding")));
                if annotated {
                    // Upstream returns here: no later service is read as a direct Secret.
                    direct_stopped = true;
                } else if let SecretLookup::Items(items) = self.secret_items(i, &svc.namespace, svc.doc.name()) {
                    // Through the same lookup as provisioned Secrets: a SOPS-encrypted Secret is
                    // delivered by key name only.
                    g.direct.push(items);
                }
            }
            for (key, value) in &annotations {
                let Some(name) = annotation_name(key) else { continue };
                match name.and_then(|n| parse_definition(&n, value)) {
                    Ok(def) => {
                        if let Some(items) = self.evaluate(i, svc, &def, key) {
                            g.individual.extend(items);
                        }
                    }
                    Err(e) => self.problem(
                        Rule::InvalidAnnotation,
                        format!(
                            "service {} {:?}: Failed to create binding definition from \"{key}: {value}\": {e}",
                            svc.doc.kind(),
                            svc.doc.name()
                        ),
                    ),
                }
            }
            if self.binding.detect_binding_resources {
                g.owned.extend(self.owned(i, svc));
            }
        }
        g
    }

    /// `spec.mappings`, evaluated over the service objects (under their ids) and the raw,
    /// un-renamed items.
    fn mappings(&mut self, services: &[Service], g: &Gathered) -> BTreeMap<String, Item> {
        let b = self.binding;
        let mut data = Map::new();
        let mut secret_keys: BTreeSet<String> = BTreeSet::new();
        for (s, svc) in b.services.iter().zip(services) {
            if let Some(id) = &s.id {
                data.insert(id.clone(), svc.value().into_owned());
                if svc.kind() == "Secret" {
                    secret_keys.insert(id.clone());
                }
            }
        }
        for item in g.items() {
            data.insert(item.name.clone(), item.raw.clone());
            if item.source.is_secret() {
                secret_keys.insert(item.name.clone());
            } else {
                secret_keys.remove(&item.name);
            }
        }
        let data = Value::Object(data);
        // Items whose values are not readable offline, and who creates them (owned resources
        // are always in the input).
        let unreadable: BTreeMap<String, String> =
            g.items_but_owned().filter_map(|it| it.runtime.clone().map(|c| (it.name.clone(), c))).collect();
        let mut mapped: BTreeMap<String, Item> = BTreeMap::new();
        for (i, m) in b.mappings.iter().enumerate() {
            let rendered = Template::parse(&m.value).and_then(|t| t.render(&data, Escape::None));
            match rendered {
                Ok(r) if r.keys_read.iter().any(|k| unreadable.contains_key(k)) => {
                    let read: Vec<String> = r.keys_read.iter().filter(|k| unreadable.contains_key(*k)).map(|k| format!("{k:?}")).collect();
                    let mut creators: Vec<&str> = r.keys_read.iter().filter_map(|k| unreadable.get(k).map(String::as_str)).collect();
                    creators.dedup();
                    self.problem(
                        Rule::RuntimeSecretValue,
                        format!(
                            "spec.mappings[{i}] ({}) reads binding item {}, whose value is in a Secret bindery cannot read offline \
                             (created at run time by {}); a mapping needs the value",
                            m.name,
                            read.join(", "),
                            creators.join("; ")
                        ),
                    );
                }
                Ok(r) => {
                    let secret = r.keys_read.iter().any(|k| secret_keys.contains(k));
                    mapped.insert(m.name.clone(), str_item(m.name.clone(), r.text, ItemSource::Mapping { secret }, None));
                }
                Err(e) => self.problem(Rule::ProcessingError, format!("spec.mappings[{i}] ({}): template error: {}", m.name, e.message)),
            }
        }
        mapped
    }

    /// Apply the naming strategy to every item that has a service (not to mappings). Returns
    /// whether every name stayed as it was; a template that fails is reported.
    fn rename(&mut self, services: &[Service], g: &mut Gathered) -> bool {
        let template = self.binding.naming_template();
        let parsed = Template::parse(&template);
        let rename = |item: &mut Item| -> Result<(), NamingError> {
            let t = parsed.as_ref().map_err(|e| NamingError::Parse { template: template.clone(), message: e.message.clone() })?;
            let svc = &services[item.service.unwrap_or(0)];
            let ctx = json!({"name": item.name, "service": {"kind": svc.kind(), "name": svc.name()}});
            let r = t.render(&ctx, Escape::Html).map_err(|e| NamingError::Render {
                template: template.clone(),
                item: item.name.clone(),
                message: e.message,
            })?;
            item.name = r.text;
            Ok(())
        };
        let mut unchanged = true;
        for item in g.items_mut() {
            let before = item.name.clone();
            if let Err(e) = rename(item) {
                self.problem(Rule::NamingStrategyError, e.to_string());
                break;
            }
            unchanged &= before == item.name;
        }
        unchanged
    }

    /// Merge the items, last write wins in SBO's order (collisions reported), and find the one
    /// Secret SBO would mount as it is, if any.
    fn merge(&mut self, g: Gathered, mapped: BTreeMap<String, Item>, renamed_unchanged: bool) -> (BTreeMap<String, Item>, Option<String>) {
        let b = self.binding;
        let groups: Vec<Vec<Item>> = g.provisioned.into_iter().chain(g.direct).collect();
        let reuse = match (groups.as_slice(), g.individual.is_empty() && g.owned.is_empty() && mapped.is_empty()) {
            ([only], true) if renamed_unchanged => match only.first().map(|i| &i.source) {
                Some(ItemSource::SecretKey { namespace, name, .. }) if *namespace == b.namespace => Some(name.clone()),
                _ => None,
            },
            _ => None,
        };
        let mut merged: BTreeMap<String, Item> = BTreeMap::new();
        for item in groups.into_iter().flatten().chain(g.individual).chain(g.owned).chain(mapped.into_values()) {
            if let Some(previous) = merged.get(&item.name) {
                if previous.source != item.source {
                    let name = item.name.clone();
                    self.warn(
                        Rule::BindingItemCollision,
                        format!("binding item {name:?} is produced twice; the later source wins, as in SBO"),
                    );
                }
            }
            merged.insert(item.name.clone(), item);
        }
        (merged, reuse)
    }

    /// The merged data must be deliverable: values that would have to be copied must be
    /// readable, something must be bound, and every name must be a valid Secret key.
    fn check_merged(&mut self, merged: &BTreeMap<String, Item>) {
        let b = self.binding;
        for item in merged.values() {
            let Some(creator) = &item.runtime else { continue };
            let copy = match &item.source {
                _ if b.application.secret_path.is_some() => {
                    Some("bindingPath.secretPath needs one Secret holding all binding data".to_string())
                }
                ItemSource::SecretKey { namespace, name, .. } if *namespace != b.namespace => {
                    Some(format!("it comes from Secret {namespace}/{name}, which a pod in {:?} cannot reference", b.namespace))
                }
                _ => None,
            };
            if let Some(why) = copy {
                let msg = format!(
                    "binding item {:?} would have to be copied into a generated Secret ({why}), but its value is not readable offline \
                     (created at run time by {creator})",
                    item.name
                );
                self.problem(Rule::RuntimeSecretValue, msg);
            }
        }
        if merged.is_empty() {
            self.problem(Rule::NoBindingData, "no binding data to project: the services expose no binding data (no .status.binding.name, no binding annotations, nothing owned)".into());
            return;
        }
        let template = b.naming_template();
        for name in merged.keys() {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
                self.problem(
                    Rule::InvalidBindingKey,
                    format!("binding item name {name:?} is not a valid Secret key (naming strategy {template:?})"),
                );
            }
        }
    }

    /// The service's binding annotations: CRD (with the registry merged over it when the CRD is
    /// not bindable itself), then the resource's own, sorted by key for a deterministic order.
    fn annotations(&self, svc: &Service) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let group = crate::kube::group_of(svc.doc.api_version());
        // The version SBO reads the resource at (the binding's), not the one its manifest is
        // written at: the API server serves a custom resource at every served version of its CRD.
        let version = if svc.version.is_empty() { crate::kube::version_of(svc.doc.api_version()) } else { svc.version.as_str() };
        let crd = self.index.crd(group, svc.doc.kind()).map(|id| &self.docs[id]);
        let mut bindable = false;
        // OLM descriptors first (lowest precedence); they make the CRD bindable, as they did.
        let crd_name = crd.map_or_else(|| format!("{}.{group}", self.index.plural(group, svc.doc.kind())), |c| c.name().to_string());
        for (k, v) in super::olm::descriptor_annotations(self.docs, self.index, &svc.namespace, &crd_name, svc.doc.kind(), version) {
            bindable = true;
            out.insert(k, v);
        }
        if let Some(crd) = crd {
            if let Some(Value::Object(a)) = crd.value.pointer("/metadata/annotations") {
                for (k, v) in a {
                    bindable |= matches!(annotation_name(k), Some(Ok(_)));
                    out.insert(k.to_string(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
                }
            }
            bindable |= crd_declares_binding_status(&crd.value);
        }
        if !bindable {
            if let Some(entries) = registry::annotations(group, version, svc.doc.kind()) {
                for (k, v) in entries {
                    out.insert(k.to_string(), v.to_string());
                }
            }
        }
        if let Some(Value::Object(a)) = svc.doc.value.pointer("/metadata/annotations") {
            for (k, v) in a {
                out.insert(k.to_string(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
            }
        }
        out
    }

    fn provisioned(&mut self, i: usize, svc: &Service, annotations: &BTreeMap<String, String>) -> Option<Vec<Item>> {
        let what = format!("{} {:?}", svc.doc.kind(), svc.doc.name());
        match svc.doc.value.pointer("/status/binding/name") {
            Some(Value::String(s)) if !s.is_empty() => match self.secret_items(i, &svc.namespace, s) {
                SecretLookup::Items(items) => Some(items),
                SecretLookup::Failed => None,
                SecretLookup::Missing if self.runtime.annotated(self.docs, svc.id, s).is_some() => {
                    let known = self.runtime.annotated(self.docs, svc.id, s)?;
                    match self.known_items(i, known) {
                        SecretLookup::Items(items) => Some(items),
                        SecretLookup::Failed | SecretLookup::Missing => None,
                    }
                }
                SecretLookup::Missing => {
                    self.problem(
                        Rule::ErrorReadingSecret,
                        format!(
                            "the binding Secret {s:?} named by {what} .status.binding.name was not found in namespace {:?} of the input",
                            svc.namespace
                        ),
                    );
                    self.missing_secret_help(&svc.namespace, Some(s), &format!("{s:?}"));
                    None
                }
            },
            Some(Value::String(_)) => None,
            None | Some(Value::Null)
                if !annotations.keys().any(|k| matches!(annotation_name(k), Some(Ok(_))))
                    && self.runtime.for_service(self.docs, svc.id).is_some() =>
            {
                // No status and no binding annotations: what an operator convention or the user
                // declares will be the binding Secret.
                let known = self.runtime.for_service(self.docs, svc.id)?;
                let creator = known.source.creator(self.docs);
                if self.find("", "Secret", &known.namespace, &known.name).is_some() {
                    self.notice(
                        Rule::BindingSecretByConvention,
                        format!("{what} has no .status.binding.name; its binding Secret {:?} is named by {creator}", known.name),
                    );
                    return match self.secret_items(i, &known.namespace.clone(), &known.name.clone()) {
                        SecretLookup::Items(items) => Some(items),
                        SecretLookup::Failed | SecretLookup::Missing => None,
                    };
                }
                let known = self.runtime.declared(self.docs, &known.namespace, &known.name).unwrap_or(known);
                match self.known_items(i, known) {
                    SecretLookup::Items(items) => Some(items),
                    SecretLookup::Failed | SecretLookup::Missing => None,
                }
            }
            None | Some(Value::Null) => {
                let provisioned = annotations.get("servicebinding.io/provisioned-service").is_some_and(|v| v == "true");
                if provisioned && svc.doc.value.pointer("/metadata/annotations/servicebinding.io~1provisioned-service").is_none() {
                    self.problem(
                        Rule::ErrorReadingBinding,
                        format!(
                            "CRD of service {}/{} indicates provisioned service, but no secret name provided under .status.binding.name",
                            svc.namespace,
                            svc.doc.name()
                        ),
                    );
                }
                None
            }
            Some(other) => {
                self.problem(
                    Rule::ErrorReadingBinding,
                    format!("{what}: .status.binding.name is {}, not a string", crate::kube::type_name(other)),
                );
                None
            }
        }
    }

    /// Evaluate one definition against the service into items; `None` when a problem was
    /// reported (an optional definition whose path fails gives no items).
    fn evaluate(&mut self, i: usize, svc: &Service, def: &Definition, key: &str) -> Option<Vec<Item>> {
        let ctx = Eval { what: format!("service {} {:?} annotation {key:?}", svc.doc.kind(), svc.doc.name()), value: svc.value(), def };
        match self.evaluate_definition(i, svc, &ctx) {
            Ok(items) => Some(items),
            Err(Stop::Skip) => Some(Vec::new()),
            Err(Stop::Reported) => None,
        }
    }

    fn evaluate_definition(&mut self, i: usize, svc: &Service, ctx: &Eval) -> Result<Vec<Item>, Stop> {
        let n = &ctx.def.name;
        let generic =
            "cannot use generic service.binding annotation for string elements, need to specify binding key like service.binding/foo";
        let result: Map = match &ctx.def.kind {
            DefinitionKind::Constant(c) => {
                if n.is_empty() {
                    return Err(self.stop(ctx, generic.to_string()));
                }
                return Ok(vec![str_item(n.clone(), c.clone(), ItemSource::Literal { secret: false }, Some(i))]);
            }
            DefinitionKind::String { path } => {
                if n.is_empty() {
                    return Err(self.stop(ctx, generic.to_string()));
                }
                let mut m = Map::new();
                m.insert(n.clone(), self.one_value(ctx, path)?);
                m
            }
            DefinitionKind::Entry { path, object, source_key } | DefinitionKind::Resource { path, object, source_value: source_key } => {
                let name = print_value(&self.one_value(ctx, path)?);
                let entry = matches!(ctx.def.kind, DefinitionKind::Entry { .. });
                return self.referenced_items(i, svc, ctx, &name, *object, source_key, entry);
            }
            DefinitionKind::MapAtPath { path } => {
                let v = self.one_value(ctx, path)?;
                let Value::Object(map) = v else {
                    return Err(
                        self.stop(ctx, format!("returned value for {path} should be map, but we got {}", crate::kube::type_name(&v)))
                    );
                };
                named_or_flat(n, map)
            }
            DefinitionKind::SliceOfMaps { path, source_key, source_value } => {
                let mut entries = Map::new();
                for v in flat_elements(self.path_values(ctx, path)?) {
                    if let Value::Object(m) = v {
                        let k = m.get(source_key).map_or_else(|| "<nil>".to_string(), print_value);
                        entries.insert(k, m.get(source_value).cloned().unwrap_or(Value::Null));
                    }
                }
                if n.is_empty() {
                    if let Some((k, _)) = entries.iter().find(|(_, v)| v.is_null()) {
                        self.problem(Rule::ValueNotFound, format!("{}: Value for key {k} not found", ctx.what));
                        return Err(Stop::Reported);
                    }
                }
                named_or_flat(n, entries)
            }
            DefinitionKind::SliceOfStrings { path, source_value } => {
                let mut out = Vec::new();
                for v in flat_elements(self.path_values(ctx, path)?) {
                    match v {
                        Value::Object(m) if !source_value.is_empty() => out.extend(m.get(source_value).cloned()),
                        Value::String(s) if source_value.is_empty() => out.push(Value::String(s)),
                        _ => {}
                    }
                }
                let mut m = Map::new();
                m.insert(n.clone(), Value::Array(out));
                m
            }
        };
        let literal = ItemSource::Literal { secret: svc.doc.kind() == "Secret" };
        match flatten(&result) {
            Ok(pairs) => Ok(pairs
                .into_iter()
                .map(|(name, raw)| Item { name, value: print_value(&raw), raw, source: literal.clone(), service: Some(i), runtime: None })
                .collect()),
            Err(e) => {
                self.problem(Rule::ValueNotFound, format!("{}: {e}", ctx.what));
                Err(Stop::Reported)
            }
        }
    }

    /// Report an `ErrorReadingBinding` for the definition being evaluated.
    fn stop(&mut self, ctx: &Eval, message: String) -> Stop {
        self.problem(Rule::ErrorReadingBinding, format!("{}: {message}", ctx.what));
        Stop::Reported
    }

    /// The values a path finds; a path that fails skips an optional definition.
    fn path_values(&mut self, ctx: &Eval, path: &str) -> Result<Vec<Value>, Stop> {
        match eval_template(path, &ctx.value) {
            Ok(TemplateResult::Values(v)) => Ok(v),
            Ok(TemplateResult::Text(t)) => Ok(vec![Value::from(t)]),
            // Bounds are refused even for an optional definition: the path is not "missing".
            Err(e @ JsonPathError::TooExpensive { .. }) => Err(self.stop(ctx, e.to_string())),
            Err(_) if ctx.def.optional => Err(Stop::Skip),
            Err(e) => Err(self.stop(ctx, e.to_string())),
        }
    }

    /// The one value a path must find.
    fn one_value(&mut self, ctx: &Eval, path: &str) -> Result<Value, Stop> {
        let v = self.path_values(ctx, path)?;
        if v.len() != 1 {
            return Err(self.stop(ctx, format!("only one value should be returned for {path} but we got {}", v.len())));
        }
        Ok(v.into_iter().next().unwrap_or(Value::Null))
    }

    /// D2/D3: the entries (one, `source_key`, when `entry`) of Secret or ConfigMap `name`.
    #[allow(clippy::too_many_arguments)]
    fn referenced_items(
        &mut self,
        i: usize,
        svc: &Service,
        ctx: &Eval,
        name: &str,
        object: RefKind,
        source_key: &str,
        entry: bool,
    ) -> Result<Vec<Item>, Stop> {
        let n = &ctx.def.name;
        let kind = if object == RefKind::Secret { "Secret" } else { "ConfigMap" };
        let rename = |key: &str| if !source_key.is_empty() && !n.is_empty() { n.clone() } else { key.to_string() };
        // A name read out of a Secret used as a service may be one of its values: never shown.
        let shown = if svc.kind() == "Secret" { "(its name, read out of a Secret, is not shown)".to_string() } else { format!("{name:?}") };
        let readable = self.find("", kind, &svc.namespace, name).is_some_and(|d| !crate::index::runtime_secrets::is_sops(d));
        if object == RefKind::Secret && !readable {
            // SOPS-encrypted, or created at run time: by reference, from key names.
            let items = match self.secret_items(i, &svc.namespace, name) {
                SecretLookup::Items(items) => items,
                SecretLookup::Failed => return Err(Stop::Reported),
                SecretLookup::Missing => match self.runtime.named_by_convention(self.docs, svc.id, name) {
                    // The registry's path names the Secret the operator's convention creates.
                    Some(known) => match self.known_items(i, known) {
                        SecretLookup::Items(items) => items,
                        _ => return Err(Stop::Reported),
                    },
                    None => {
                        let stop = self.stop(ctx, format!("{kind} {shown} not found in namespace {:?} of the input", svc.namespace));
                        self.missing_secret_help(&svc.namespace, (svc.kind() != "Secret").then_some(name), &shown);
                        return Err(stop);
                    }
                },
            };
            if entry && !items.iter().any(|it| it.name == source_key) {
                return Err(self.stop(ctx, format!("key {source_key:?} not found in {kind} {shown}")));
            }
            let wanted = items.into_iter().filter(|it| source_key.is_empty() || it.name == source_key);
            return Ok(wanted.map(|it| Item { name: rename(&it.name), ..it }).collect());
        }
        let Some(doc) = self.find("", kind, &svc.namespace, name) else {
            return Err(self.stop(ctx, format!("{kind} {shown} not found in namespace {:?} of the input", svc.namespace)));
        };
        let data = match resource_data(doc, object) {
            Ok(d) => d,
            Err(e) => return Err(self.stop(ctx, format!("{kind} {shown}: {e}"))),
        };
        if entry && !data.contains_key(source_key) {
            return Err(self.stop(ctx, format!("key {source_key:?} not found in {kind} {shown}")));
        }
        let source = |k: &str| {
            let (namespace, name, key) = (svc.namespace.clone(), name.to_string(), k.to_string());
            match object {
                RefKind::Secret => ItemSource::SecretKey { namespace, name, key },
                RefKind::ConfigMap => ItemSource::ConfigMapKey { namespace, name, key },
            }
        };
        let wanted = data.into_iter().filter(|(k, _)| source_key.is_empty() || k == source_key);
        Ok(wanted.map(|(k, v)| str_item(rename(&k), v, source(&k), Some(i))).collect())
    }

    /// `detectBindingResources`: ConfigMaps, Secrets, Services and Routes the service owns.
    fn owned(&mut self, i: usize, svc: &Service) -> Vec<Item> {
        let uid = svc.doc.value.pointer("/metadata/uid").and_then(Value::as_str);
        let mut owned: Vec<&Document> = self
            .index
            .owned_by(&svc.namespace, svc.doc.kind(), svc.doc.name(), uid)
            .into_iter()
            .map(|id: DocId| &self.docs[id])
            .filter(|d| d.namespace(self.default_ns) == svc.namespace)
            .collect();
        let rank = |d: &Document| match (d.api_version(), d.kind()) {
            ("v1", "ConfigMap") => 0,
            ("v1", "Secret") => 1,
            ("v1", "Service") => 2,
            ("route.openshift.io/v1", "Route") => 3,
            _ => 9,
        };
        owned.retain(|d| rank(d) < 9);
        owned.sort_by(|a, b| (rank(a), a.name()).cmp(&(rank(b), b.name())));
        let mut items = Vec::new();
        for d in owned {
            match rank(d) {
                0 | 1 => {
                    let kind = if rank(d) == 0 { RefKind::ConfigMap } else { RefKind::Secret };
                    match resource_data(d, kind) {
                        Ok(data) => {
                            for (k, v) in data {
                                let (namespace, name, key) = (svc.namespace.clone(), d.name().to_string(), k.clone());
                                let src = if kind == RefKind::Secret {
                                    ItemSource::SecretKey { namespace, name, key }
                                } else {
                                    ItemSource::ConfigMapKey { namespace, name, key }
                                };
                                items.push(str_item(k, v, src, Some(i)));
                            }
                        }
                        Err(e) => self.problem(Rule::ErrorReadingServices, format!("owned {} {:?}: {e}", d.kind(), d.name())),
                    }
                }
                2 | 3 => {
                    let (field, key) = if rank(d) == 2 { ("/spec/clusterIP", "clusterIP") } else { ("/spec/host", "host") };
                    match d.value.pointer(field) {
                        Some(v) if !v.is_null() => items.push(Item {
                            name: key.into(),
                            value: print_value(v),
                            raw: v.clone(),
                            source: ItemSource::Literal { secret: false },
                            service: Some(i),
                            runtime: None,
                        }),
                        _ => self.problem(
                            Rule::ErrorReadingServices,
                            format!("owned {} {:?}: {} Not found", d.kind(), d.name(), &field[1..].replace('/', ".")),
                        ),
                    }
                }
                _ => {}
            }
        }
        items
    }
}

/// Whether a CRD's schema declares `status.binding.name` as a string (a "bindable" CRD).
fn crd_declares_binding_status(crd: &Value) -> bool {
    let Some(Value::Array(versions)) = crd.pointer("/spec/versions") else { return false };
    versions.iter().any(|v| {
        v.pointer("/schema/openAPIV3Schema/properties/status/properties/binding/properties/name/type").and_then(Value::as_str)
            == Some("string")
    })
}

/// Where the Service Binding Operator would find binding definitions for a service resource
/// (without evaluating them): its own `service.binding…` annotations, its CRD's (in the input)
/// or OLM descriptors, SBO's built-in registry (used only when the CRD is not bindable itself).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefinitionSources {
    pub resource: bool,
    pub crd: bool,
    pub registry: bool,
}

impl DefinitionSources {
    /// Definitions the service or its CRD declare (not only the built-in registry).
    pub fn declared(&self) -> bool {
        self.resource || self.crd
    }

    pub fn any(&self) -> bool {
        self.declared() || self.registry
    }
}

/// [`DefinitionSources`] of `svc` (in `namespace`), read at `version` (the version the binding
/// reads it at), with the precedence [`Collector`] applies.
pub fn definition_sources(docs: &[Document], index: &Index, namespace: &str, svc: &Document, version: &str) -> DefinitionSources {
    let is_definition = |k: &str| matches!(annotation_name(k), Some(Ok(_)));
    let declares =
        |v: &Value| v.pointer("/metadata/annotations").and_then(Value::as_object).is_some_and(|a| a.keys().any(|k| is_definition(k)));
    let group = crate::kube::group_of(svc.api_version());
    let crd = index.crd(group, svc.kind()).map(|id| &docs[id]);
    let crd_name = crd.map_or_else(|| format!("{}.{group}", index.plural(group, svc.kind())), |c| c.name().to_string());
    let olm = !super::olm::descriptor_annotations(docs, index, namespace, &crd_name, svc.kind(), version).is_empty();
    let crd_annotated = crd.is_some_and(|c| declares(&c.value));
    let bindable = olm || crd_annotated || crd.is_some_and(|c| crd_declares_binding_status(&c.value));
    let registry =
        !bindable && registry::annotations(group, version, svc.kind()).is_some_and(|entries| entries.iter().any(|(k, _)| is_definition(k)));
    DefinitionSources { resource: declares(&svc.value), crd: crd_annotated || olm, registry }
}

#[cfg(test)]
#[path = "collect_tests.rs"]
mod collect_tests;
