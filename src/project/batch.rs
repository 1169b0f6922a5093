//! Many bindings on one workload in one pass (issue 19 item 15). Projecting binding after
//! binding ([`super::spec::apply`], [`super::sbo::project_binding`]) copies, scans and sorts the
//! workload's whole `volumes`, `env` and `volumeMounts` lists and annotation maps at every step:
//! quadratic in the number of bindings. Here the lists and maps are taken out once into
//! [`EditList`]s and [`EditMap`]s (entries in insertion order, found by name through hash
//! indexes), every step edits them in O(its own entries), and they are written back once.
//!
//! The result is the one the step-by-step projection gives, byte for byte (a test compares
//! both over random workloads): the runtime's sorts are stable, so one sort at the end, with the
//! last step's notion of "projected", gives their order (see [`spec_steps`]). Inputs whose
//! step-by-step result depends on more history than that (a changed stashed mapping, a
//! collection emptied between steps, duplicate variable names, overlapping paths, a container
//! path with a filter) are left to the step-by-step projection: `None`.

use std::collections::HashMap;

use crate::doc::document::DocId;
use crate::doc::value::{Map, Value};
use crate::json;
use crate::kube::jsonpath::{get_fixed, ContainerPath};
use crate::kube::mapping::{CompiledTemplate, MappingSpec, MappingTemplate};
use crate::kube::podspec::{containers, containers_expanding_lists, map_at_mut, name_of, set_list, BINDING_ROOT_ENV, DEFAULT_BINDING_ROOT};
use crate::kube::{path_join, version_of};
use crate::resolve::{Resolution, Resolved, Step};

use super::spec::{bound_records, field_ref, BoundInto, Names, SECRET_ANNOTATION_PREFIX, VOLUME_PREFIX};
use super::StepOutcome;

/// Below this many steps the step-by-step projection is as fast.
pub const MIN_STEPS: usize = 8;

/// A list edited by many steps: entries in insertion order (removed ones are `None`), the live
/// ones by name and by a secondary key.
struct EditList {
    items: Vec<Option<Value>>,
    by_name: HashMap<String, Vec<usize>>,
    by_key: HashMap<String, Vec<usize>>,
    key_of: fn(&Value) -> Vec<String>,
    live: usize,
    /// A step sorted it (the runtime's `sort_projected`).
    sorted: bool,
    /// Written by a step (created when it was absent).
    touched: bool,
    /// It has held an entry.
    held: bool,
    /// It is in the workload (a list, possibly empty), not absent or null.
    present: bool,
}

fn no_keys(_: &Value) -> Vec<String> {
    Vec::new()
}

/// What an `env` entry of a binding is recognised by: its Secret and its fieldRef.
fn env_keys(e: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(s) = e.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str) {
        keys.push(format!("s:{s}"));
    }
    if let Some(f) = e.pointer("/valueFrom/fieldRef/fieldPath").and_then(Value::as_str) {
        keys.push(format!("f:{f}"));
    }
    keys
}

impl EditList {
    /// The list at `path` of `holder` (empty when absent or null); `None` when it is not a list.
    fn load(holder: &Value, path: &[String], key_of: fn(&Value) -> Vec<String>) -> Option<Self> {
        let (items, present) = match get_fixed(holder, path).ok()? {
            None => (Vec::new(), false),
            Some(Value::Array(items)) => (items.clone(), true),
            Some(_) => return None,
        };
        let mut list = EditList {
            items: Vec::new(),
            by_name: HashMap::new(),
            by_key: HashMap::new(),
            key_of,
            live: 0,
            sorted: false,
            touched: false,
            held: false,
            present,
        };
        for v in items {
            list.push(v);
        }
        Some(list)
    }

    fn push(&mut self, v: Value) {
        let i = self.items.len();
        self.by_name.entry(name_of(&v).to_string()).or_default().push(i);
        for k in (self.key_of)(&v) {
            self.by_key.entry(k).or_default().push(i);
        }
        self.items.push(Some(v));
        self.live += 1;
        self.held = true;
    }

    fn emptied(&self) -> bool {
        self.held && self.live == 0
    }

    fn remove_at(&mut self, indices: Vec<usize>) -> bool {
        let mut changed = false;
        for i in indices {
            if self.items[i].take().is_some() {
                self.live -= 1;
                changed = true;
            }
        }
        self.touched |= changed;
        changed
    }

    /// Remove every entry named `name`; whether one was.
    fn remove_named(&mut self, name: &str) -> bool {
        let indices = self.by_name.remove(name).unwrap_or_default();
        self.remove_at(indices)
    }

    /// Remove every entry with secondary key `key`.
    fn remove_keyed(&mut self, key: &str) -> bool {
        let indices = self.by_key.remove(key).unwrap_or_default();
        self.remove_at(indices)
    }

    /// The first live entry named `name` (in list order: no step reorders before the end).
    fn named(&self, name: &str) -> Option<&Value> {
        self.by_name.get(name)?.iter().find_map(|&i| self.items[i].as_ref())
    }

    /// Replace the first entry named like `v`, or append it (`upsert_named`).
    fn upsert(&mut self, v: Value) {
        let at = self.by_name.get(name_of(&v)).and_then(|ix| ix.iter().copied().find(|&i| self.items[i].is_some()));
        match at {
            Some(i) => {
                for k in (self.key_of)(&v) {
                    self.by_key.entry(k).or_default().push(i);
                }
                self.items[i] = Some(v);
            }
            None => self.push(v),
        }
    }

    fn into_live(self) -> Vec<Value> {
        self.items.into_iter().flatten().collect()
    }
}

/// A map edited by many steps: entries in insertion order, by key.
struct EditMap {
    items: Vec<Option<(String, Value)>>,
    index: HashMap<String, usize>,
    live: usize,
    touched: bool,
}

impl EditMap {
    fn emptied(&self) -> bool {
        !self.items.is_empty() && self.live == 0
    }

    /// The map at `path` (empty when absent or null); `None` when it is not a map.
    fn load(root: &Value, path: &[String]) -> Option<Self> {
        let mut m = EditMap { items: Vec::new(), index: HashMap::new(), live: 0, touched: false };
        match get_fixed(root, path).ok()? {
            None => {}
            Some(Value::Object(map)) => {
                for (k, v) in map {
                    m.insert(k, v.clone());
                }
            }
            Some(_) => return None,
        }
        m.touched = false;
        Some(m)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.items[*self.index.get(key)?].as_ref().map(|(_, v)| v)
    }

    /// Set `key` (in place when present); returns the previous value.
    fn insert(&mut self, key: &str, value: Value) -> Option<Value> {
        self.touched = true;
        if let Some(&i) = self.index.get(key) {
            return self.items[i].replace((key.to_string(), value)).map(|(_, v)| v);
        }
        self.index.insert(key.to_string(), self.items.len());
        self.items.push(Some((key.to_string(), value)));
        self.live += 1;
        None
    }

    fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.index.remove(key)?;
        self.live -= 1;
        self.touched = true;
        self.items[i].take().map(|(_, v)| v)
    }

    fn into_map(self) -> Map {
        // Keys are unique here: appended as they are (`Map::insert` would scan for each).
        let mut map = Map::with_capacity(self.live);
        for (k, v) in self.items.into_iter().flatten() {
            map.push_unique(k.into(), v);
        }
        map
    }
}

/// The Secrets that bindings project into the workload (values of `secret-` annotations): how
/// many annotations name each, and from which step on it has been named without a break.
#[derive(Default)]
struct BoundSecrets(HashMap<String, (usize, usize)>);

impl BoundSecrets {
    fn update(&mut self, key: &str, old: Option<&Value>, new: Option<&Value>, step: usize) {
        if !key.starts_with(SECRET_ANNOTATION_PREFIX) {
            return;
        }
        let (old, new) = (old.and_then(Value::as_str), new.and_then(Value::as_str));
        if old.is_some() && old == new {
            return;
        }
        if let Some(s) = old {
            if let Some((n, _)) = self.0.get_mut(s) {
                *n -= 1;
                if *n == 0 {
                    self.0.remove(s);
                }
            }
        }
        if let Some(s) = new {
            self.0.entry(s.to_string()).or_insert((0, step)).0 += 1;
        }
    }

    /// Whether `s` is bound now (`at: None`) or was already bound at step `at` and still is.
    /// An entry of Secret `s` lives only while `s` stays bound: unprojecting the binding that
    /// names `s` removes the entries of `s` (`spec::unproject`), so "bound at that step" is
    /// "bound now, since that step or earlier".
    fn contains(&self, s: &str, at: Option<usize>) -> bool {
        self.0.get(s).is_some_and(|&(_, since)| at.is_none_or(|at| since <= at))
    }
}

/// The runtime's test for an env entry that a binding projected, given the bound Secrets.
fn env_projected(e: &Value, bound: &BoundSecrets, at: Option<usize>) -> bool {
    let from_secret = e.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str);
    let field = e.pointer("/valueFrom/fieldRef/fieldPath").and_then(Value::as_str).unwrap_or("");
    from_secret.is_some_and(|s| bound.contains(s, at)) || field.starts_with("metadata.annotations['projector.servicebinding.io")
}

/// One container the template reaches.
struct Container {
    path: String,
    /// Index of its template entry.
    entry: usize,
    name: String,
    mounts: EditList,
    env: EditList,
    /// The step that last sorted its `env` (the runtime sorts with the Secrets bound then).
    env_sorted_at: Option<usize>,
}

/// The workload's lists and maps while the servicebinding.io steps edit them.
struct SpecSession<'t> {
    tmpl: &'t CompiledTemplate,
    annotations: EditMap,
    metadata: EditMap,
    bound: BoundSecrets,
    volumes: EditList,
    containers: Vec<Container>,
    /// The step being projected.
    step: usize,
}

/// Whether two fixed paths overlap (one is a prefix of the other).
fn overlap(a: &[String], b: &[String]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// A fixed path as the prefix of a normalized JSONPath (`$['a']['b']`).
fn normalized(keys: &[String]) -> String {
    let mut s = String::from("$");
    for k in keys {
        s.push_str(&format!("['{}']", k.replace('\\', "\\\\").replace('\'', "\\'")));
    }
    s
}

/// Why a step-by-step run could differ from this one: the session gives up (`None`).
fn simple_template(source: &MappingTemplate, t: &CompiledTemplate) -> bool {
    let meta = ["metadata".to_string(), "annotations".to_string()];
    !source.containers.iter().any(|c| c.path.contains('?'))
        && !overlap(&t.annotations, &meta)
        && !overlap(&t.annotations, &t.volumes)
        && !t.containers.iter().any(|c| overlap(&c.env, &c.volume_mounts))
}

impl<'t> SpecSession<'t> {
    fn load(root: &Value, source: &MappingTemplate, tmpl: &'t CompiledTemplate) -> Option<Self> {
        if !simple_template(source, tmpl) {
            return None;
        }
        let annotations = EditMap::load(root, &tmpl.annotations)?;
        let metadata = EditMap::load(root, &["metadata".into(), "annotations".into()])?;
        let mut bound = BoundSecrets::default();
        for (k, v) in annotations.items.iter().flatten() {
            bound.update(k, None, Some(v), 0);
        }
        let volumes = EditList::load(root, &tmpl.volumes, no_keys)?;
        let fixed = [normalized(&tmpl.volumes), normalized(&tmpl.annotations)];
        let mut out: Vec<Container> = Vec::new();
        for (entry, path) in containers(root, tmpl) {
            let e = &tmpl.containers[entry];
            let c = ContainerPath::get(root, &path)?;
            let clash = |p: &str| p.starts_with(&path) || path.starts_with(p);
            if !c.is_object() || fixed.iter().any(|f| clash(f)) || out.iter().any(|o| clash(&o.path)) {
                return None;
            }
            let name = match &e.name {
                Some(p) => get_fixed(c, p).ok()?.and_then(Value::as_str).unwrap_or("").to_string(),
                None => String::new(),
            };
            let env = EditList::load(c, &e.env, env_keys)?;
            if env.by_name.values().any(|ix| ix.len() > 1) {
                return None; // duplicate variable names: the runtime's order depends on history
            }
            let mounts = EditList::load(c, &e.volume_mounts, no_keys)?;
            out.push(Container { path, entry, name, mounts, env, env_sorted_at: None });
        }
        Some(SpecSession { tmpl, annotations, metadata, bound, volumes, containers: out, step: 0 })
    }

    fn set_annotation(&mut self, key: &str, value: Value) {
        let new = Some(value.clone());
        let old = self.annotations.insert(key, value);
        self.bound.update(key, old.as_ref(), new.as_ref(), self.step);
    }

    fn remove_annotation(&mut self, key: &str) {
        let old = self.annotations.remove(key);
        self.bound.update(key, old.as_ref(), None, self.step);
    }

    /// `spec::unproject`.
    fn unproject(&mut self, names: &Names) {
        let secret = self.annotations.get(&names.secret_annotation).and_then(Value::as_str).unwrap_or("").to_string();
        let (type_ref, provider_ref) = (field_ref(&names.type_annotation), field_ref(&names.provider_annotation));
        self.volumes.remove_named(&names.volume);
        for c in &mut self.containers {
            c.mounts.remove_named(&names.volume);
            if !secret.is_empty() {
                c.env.remove_keyed(&format!("s:{secret}"));
            }
            c.env.remove_keyed(&format!("f:{type_ref}"));
            c.env.remove_keyed(&format!("f:{provider_ref}"));
        }
        for key in [&names.secret_annotation, &names.type_annotation, &names.provider_annotation] {
            self.remove_annotation(key);
        }
        self.metadata.remove(&names.mapping_annotation);
    }

    /// Whether a list or map that held entries is empty: the runtime removes a collection that
    /// a step empties, and writes it again at the end of its parent when a later step fills it.
    fn emptied(&self) -> bool {
        self.volumes.emptied()
            || self.annotations.emptied()
            || self.metadata.emptied()
            || self.containers.iter().any(|c| c.mounts.emptied() || c.env.emptied())
    }

    /// `spec::project`: annotations, the volume, and every container the binding selects.
    fn project(&mut self, b: &crate::bindings::spec::Binding, secret: &str, names: &Names, mapping_json: &str) -> Vec<BoundInto> {
        self.set_annotation(&names.secret_annotation, json!(secret));
        if let Some(t) = &b.type_override {
            self.set_annotation(&names.type_annotation, json!(t));
        }
        if let Some(p) = &b.provider_override {
            self.set_annotation(&names.provider_annotation, json!(p));
        }
        let mut sources = vec![json!({"secret": {"name": secret}})];
        for (set, file, annotation) in
            [(&b.type_override, "type", &names.type_annotation), (&b.provider_override, "provider", &names.provider_annotation)]
        {
            if set.is_some() {
                sources.push(json!({"downwardAPI": {"items": [{"path": file, "fieldRef": {"fieldPath": field_ref(annotation)}}]}}));
            }
        }
        self.volumes.push(json!({"name": names.volume, "projected": {"defaultMode": 420, "sources": sources}}));
        self.volumes.sorted = true;
        self.volumes.touched = true;
        let mut bound = Vec::new();
        for c in &mut self.containers {
            let filtered = self.tmpl.containers[c.entry].name.is_some() && !b.workload.containers.is_empty();
            if filtered && !b.workload.containers.contains(&c.name) {
                continue;
            }
            bound.push(project_container(c, b, secret, names, &self.bound, self.step));
        }
        self.metadata.insert(&names.mapping_annotation, Value::from(mapping_json));
        bound
    }

    /// Write every list and map back, in the order the step-by-step projection creates them.
    fn write_back(self, root: &mut Value) -> Option<()> {
        let SpecSession { tmpl, annotations, metadata, bound, volumes, containers, step: _ } = self;
        if annotations.touched {
            *map_at_mut(root, &tmpl.annotations).ok()? = annotations.into_map();
        }
        if volumes.touched {
            let sorted = volumes.sorted;
            let mut items = volumes.into_live();
            if sorted {
                sort_static(&mut items);
            }
            set_list(root, &tmpl.volumes, items).ok()?;
        }
        for c in containers {
            let e = &tmpl.containers[c.entry];
            let holder = ContainerPath::get_mut(root, &c.path)?;
            if c.mounts.touched {
                let sorted = c.mounts.sorted;
                let mut items = c.mounts.into_live();
                if sorted {
                    sort_static(&mut items);
                }
                set_list(holder, &e.volume_mounts, items).ok()?;
            }
            if c.env.touched {
                let items = c.env.into_live();
                let items = match c.env_sorted_at {
                    // Not projected at that step: in front, in their order; projected: by name.
                    Some(at) => {
                        let (mut projected, plain): (Vec<Value>, Vec<Value>) =
                            items.into_iter().partition(|e| env_projected(e, &bound, Some(at)));
                        projected.sort_by(|a, b| name_of(a).as_bytes().cmp(name_of(b).as_bytes()));
                        plain.into_iter().chain(projected).collect()
                    }
                    None => items,
                };
                set_list(holder, &e.env, items).ok()?;
            }
        }
        if metadata.touched {
            *map_at_mut(root, &["metadata".into(), "annotations".into()]).ok()? = metadata.into_map();
        }
        Some(())
    }
}

/// `sort_projected` with the static test of volumes and mounts (stable: ties keep their order).
fn sort_static(items: &mut [Value]) {
    let projected = |v: &Value| name_of(v).starts_with(VOLUME_PREFIX);
    items.sort_by(|a, b| match (projected(a), projected(b)) {
        (false, false) => std::cmp::Ordering::Equal,
        (false, true) => std::cmp::Ordering::Less,
        (true, false) => std::cmp::Ordering::Greater,
        (true, true) => name_of(a).as_bytes().cmp(name_of(b).as_bytes()),
    });
}

/// A container's `SERVICE_BINDING_ROOT` (from its `env`), set to the default first when it has none.
fn binding_root(env: &mut EditList) -> String {
    match env.named(BINDING_ROOT_ENV) {
        Some(e) => e.get("value").and_then(Value::as_str).unwrap_or("").to_string(),
        None => {
            env.push(json!({"name": BINDING_ROOT_ENV, "value": DEFAULT_BINDING_ROOT}));
            DEFAULT_BINDING_ROOT.to_string()
        }
    }
}

/// `spec::project_container` on a session's container.
fn project_container(
    c: &mut Container,
    b: &crate::bindings::spec::Binding,
    secret: &str,
    names: &Names,
    bound: &BoundSecrets,
    step: usize,
) -> BoundInto {
    let mount_path = path_join(&binding_root(&mut c.env), &b.directory);
    c.mounts.push(json!({"name": names.volume, "mountPath": mount_path.clone(), "readOnly": true}));
    c.mounts.sorted = true;
    c.mounts.touched = true;
    let mut replaced_env = Vec::new();
    for m in &b.env {
        if c.env.named(&m.name).is_some_and(|e| !env_projected(e, bound, None)) && !replaced_env.contains(&m.name) {
            replaced_env.push(m.name.clone());
        }
        c.env.remove_named(&m.name);
        c.env.push(super::env_entry(&m.name, &super::spec::entry_source(b, &m.key, secret)));
    }
    c.env.touched = true;
    c.env_sorted_at = Some(step);
    BoundInto { container: c.name.clone(), mount_path, replaced_env }
}

/// Every servicebinding.io step of workload `wid` in one session; `None` when the input needs
/// the step-by-step projection (see the module documentation).
pub fn spec_steps(
    value: &mut Option<Value>,
    input: &Value,
    resolution: &Resolution,
    steps: &[&Step],
    wid: DocId,
) -> Option<Vec<StepOutcome>> {
    let plan = resolution.workloads.get(&wid)?;
    let mapping: &MappingSpec = &plan.mapping.as_ref()?.spec;
    let current = value.as_ref().unwrap_or(input);
    let version = version_of(current.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string();
    let source = mapping.template_for(&version);
    let tmpl = source.compile().ok()?;
    let mapping_json = mapping.to_go_json();
    let mut session = SpecSession::load(current, &source, &tmpl)?;
    let mut uids = std::collections::HashSet::new();
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        let Resolved::Spec(binding) = &resolution.bindings[step.binding].resolved else { return None };
        let b = &binding.binding;
        let names = Names::of(&b.uid);
        // A stash of another mapping, or one binding twice: step by step.
        let stash = session.metadata.get(&names.mapping_annotation).and_then(Value::as_str);
        if stash.is_some_and(|s| s != mapping_json) || !uids.insert(b.uid.clone()) {
            return None;
        }
        session.step += 1;
        session.unproject(&names);
        let secret = if step.project { binding.secret.as_ref() } else { None };
        let into = secret.map(|s| session.project(b, &s.name, &names, &mapping_json)).unwrap_or_default();
        if session.emptied() {
            return None;
        }
        outcomes.push(StepOutcome {
            bound: secret.map(|s| bound_records(binding, s, **step, wid, into)).unwrap_or_default(),
            shadowed: Vec::new(),
        });
    }
    let mut out = current.clone();
    session.write_back(&mut out)?;
    *value = Some(out);
    Some(outcomes)
}

/// One container an SBO template reaches.
struct OperatorContainer {
    path: String,
    entry: usize,
    name: String,
    mounts: EditList,
    env: EditList,
}

/// The workload's lists and maps while the Service Binding Operator steps edit them.
struct OperatorSession<'t> {
    tmpl: &'t CompiledTemplate,
    metadata: EditMap,
    volumes: EditList,
    containers: Vec<OperatorContainer>,
}

impl<'t> OperatorSession<'t> {
    fn load(root: &Value, source: &MappingTemplate, tmpl: &'t CompiledTemplate) -> Option<Self> {
        let meta = ["metadata".to_string(), "annotations".to_string()];
        if source.containers.iter().any(|c| c.path.contains('?')) || overlap(&tmpl.volumes, &meta) {
            return None;
        }
        let metadata = EditMap::load(root, &meta)?;
        let volumes = EditList::load(root, &tmpl.volumes, no_keys)?;
        let fixed = [normalized(&tmpl.volumes), normalized(&meta)];
        let mut out: Vec<OperatorContainer> = Vec::new();
        for (entry, path) in containers_expanding_lists(root, tmpl) {
            let e = &tmpl.containers[entry];
            let c = ContainerPath::get(root, &path)?;
            let clash = |p: &str| p.starts_with(&path) || path.starts_with(p);
            if !c.is_object() || overlap(&e.env, &e.volume_mounts) || fixed.iter().any(|f| clash(f)) || out.iter().any(|o| clash(&o.path)) {
                return None;
            }
            let name = e.name.as_ref().and_then(|p| get_fixed(c, p).ok().flatten()).and_then(Value::as_str).unwrap_or("").to_string();
            let env = EditList::load(c, &e.env, no_keys)?;
            let mounts = EditList::load(c, &e.volume_mounts, no_keys)?;
            out.push(OperatorContainer { path, entry, name, mounts, env });
        }
        Some(OperatorSession { tmpl, metadata, volumes, containers: out })
    }

    /// `sbo::unproject`: what the marker of an earlier render names.
    fn unproject(&mut self, b: &crate::bindings::sbo::OperatorBinding) -> Option<()> {
        let key = super::sbo::marker_key(b);
        let Some(text) = self.metadata.get(&key).and_then(Value::as_str) else { return Some(()) };
        let Ok(marker) = serde_json::from_str::<Value>(text) else { return Some(()) };
        let volume = marker.get("volume").and_then(Value::as_str).unwrap_or("").to_string();
        let env: Vec<String> = marker
            .get("env")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        if !volume.is_empty() {
            self.volumes.remove_named(&volume);
            self.volumes.touched = true; // written back even when unchanged (or absent)
        }
        for c in &mut self.containers {
            if !volume.is_empty() && c.mounts.present {
                c.mounts.remove_named(&volume);
                c.mounts.touched = true;
            }
            if !env.is_empty() && c.env.present {
                for n in &env {
                    c.env.remove_named(n);
                }
                c.env.touched = true;
            }
        }
        self.metadata.remove(&key);
        Some(())
    }

    /// `sbo::project`. Returns the bound containers and the variables the workload set itself.
    fn project(
        &mut self,
        b: &crate::bindings::sbo::OperatorBinding,
        d: &crate::bindings::sbo::delivery::Delivery,
    ) -> (Vec<(String, String)>, Vec<String>) {
        if b.bind_as_files {
            let mut volume = d.volume.clone();
            if let Value::Object(m) = &mut volume {
                let mut named = Map::new();
                named.insert("name", json!(b.binding_name));
                named.extend(std::mem::take(m));
                *m = named;
            }
            self.volumes.upsert(volume);
            self.volumes.touched = true;
        }
        let (mut bound, mut shadowed, mut injected) = (Vec::new(), Vec::new(), Vec::new());
        for c in &mut self.containers {
            let mount_path = if b.bind_as_files {
                let mount_path = path_join(&binding_root(&mut c.env), &b.binding_name);
                c.mounts.upsert(json!({"name": b.binding_name, "mountPath": mount_path}));
                c.mounts.touched = true;
                mount_path
            } else {
                for (var, via) in &d.entries {
                    if c.env.named(var).is_some() {
                        shadowed.push(format!("{}/{var}", c.name));
                        continue;
                    }
                    c.env.push(super::env_entry(var, &via.source()));
                    if !injected.contains(var) {
                        injected.push(var.clone());
                    }
                }
                String::new()
            };
            c.env.touched = true;
            bound.push((c.name.clone(), mount_path));
        }
        let marker = json!({"volume": if b.bind_as_files { json!(b.binding_name) } else { Value::Null }, "env": injected});
        self.metadata.insert(&super::sbo::marker_key(b), json!(marker.to_string()));
        (bound, shadowed)
    }

    /// Write every list and map back, in the order the step-by-step projection creates them.
    fn write_back(self, root: &mut Value) -> Option<()> {
        let OperatorSession { tmpl, metadata, volumes, containers } = self;
        if volumes.touched {
            set_list(root, &tmpl.volumes, volumes.into_live()).ok()?;
        }
        for c in containers {
            let e = &tmpl.containers[c.entry];
            let holder = ContainerPath::get_mut(root, &c.path)?;
            if c.mounts.touched {
                set_list(holder, &e.volume_mounts, c.mounts.into_live()).ok()?;
            }
            if c.env.touched {
                set_list(holder, &e.env, c.env.into_live()).ok()?;
            }
        }
        if metadata.touched {
            *map_at_mut(root, &["metadata".into(), "annotations".into()]).ok()? = metadata.into_map();
        }
        Some(())
    }
}

/// Every Service Binding Operator step of workload `wid` in one session; `None` when the input
/// needs the step-by-step projection (bindings with different templates or `secretPath`, one
/// binding twice, a container path with a filter, overlapping paths).
pub fn operator_steps(
    value: &mut Option<Value>,
    input: &Value,
    resolution: &Resolution,
    steps: &[&Step],
    wid: DocId,
) -> Option<Vec<StepOutcome>> {
    let operator = |s: &Step| match &resolution.bindings[s.binding].resolved {
        Resolved::Operator(o) => Some(o),
        Resolved::Spec(_) => None,
    };
    let first = operator(steps.first()?)?;
    let current = value.as_ref().unwrap_or(input);
    let version = version_of(current.get("apiVersion").and_then(Value::as_str).unwrap_or("")).to_string();
    let containers_path = first.binding.application.containers_path.as_deref();
    let source = super::sbo::sbo_template(first.mapping.as_deref(), &version, containers_path);
    let tmpl = source.compile().ok()?;
    let mut session = OperatorSession::load(current, &source, &tmpl)?;
    let mut uids = std::collections::HashSet::new();
    let mut outcomes = Vec::with_capacity(steps.len());
    for step in steps {
        let o = operator(step)?;
        let b = &o.binding;
        let same_template = o.mapping == first.mapping && b.application.containers_path.as_deref() == containers_path;
        if !same_template || b.application.secret_path.is_some() || !uids.insert(b.uid.clone()) {
            return None;
        }
        let Some(delivery) = &o.delivery else {
            outcomes.push(StepOutcome::default());
            continue;
        };
        session.unproject(b)?;
        if session.containers.is_empty() {
            return None; // NoContainers: reported step by step
        }
        let (containers, shadowed) = session.project(b, delivery);
        outcomes.push(StepOutcome { bound: super::sbo::bound_records(o, step.binding, wid, containers), shadowed });
    }
    let mut out = current.clone();
    session.write_back(&mut out)?;
    *value = Some(out);
    Some(outcomes)
}

#[cfg(test)]
mod tests {
    use crate::doc::value::Value;
    use crate::load::{parse_file, Loaded};
    use crate::resolve::Options;

    /// SplitMix64.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % n
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    /// A Deployment with 1 to 3 containers whose own variables may name the bindings' Secrets,
    /// and 8 to 20 servicebinding.io bindings (shared Secrets and variable names, overrides,
    /// container filters, names).
    fn scenario(rng: &mut Rng) -> String {
        let secrets = 2 + rng.below(6);
        let mut text = String::new();
        for s in 0..secrets {
            text.push_str(&format!(
                "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: sec-{s}}}\nstringData: {{type: t{s}, host: h, port: \"1\"}}\n"
            ));
        }
        let containers = 1 + rng.below(3);
        let mut cs = Vec::new();
        for c in 0..containers {
            let mut env = Vec::new();
            for v in 0..rng.below(4) {
                match rng.below(4) {
                    0 => env.push(format!("{{name: V{v}, value: x}}")),
                    1 => env.push(format!("{{name: U{v}, valueFrom: {{secretKeyRef: {{name: sec-{}, key: host}}}}}}", rng.below(secrets))),
                    2 => env.push(format!("{{name: E{}, value: y}}", rng.below(3))),
                    _ => env.push("{name: SERVICE_BINDING_ROOT, value: /custom}".to_string()),
                }
            }
            env.sort();
            env.dedup_by(|a, b| a.split(',').next() == b.split(',').next());
            let mounts = if rng.chance(30) { ", volumeMounts: [{name: data, mountPath: /data}]" } else { "" };
            let env = if env.is_empty() && rng.chance(50) { String::new() } else { format!(", env: [{}]", env.join(", ")) };
            cs.push(format!("{{name: c{c}, image: i{env}{mounts}}}"));
        }
        let volumes = if rng.chance(30) { "\n      volumes: [{name: data, emptyDir: {}}]" } else { "" };
        let annotations = if rng.chance(30) { "\n      annotations: {team: a}" } else { "" };
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  template:\n    metadata:\n      labels: {{app: web}}{annotations}\n    spec:\n      containers: [{}]{volumes}\n",
            cs.join(", ")
        ));
        let filtering = [0, 20, 80][rng.below(3) as usize];
        for b in 0..8 + rng.below(13) {
            let mut spec = format!("service: {{apiVersion: v1, kind: Secret, name: sec-{}}}", rng.below(secrets));
            let workload = if rng.chance(10) { "other" } else { "web" };
            let filter = if rng.chance(filtering) { ", containers: [c0]" } else { "" };
            spec.push_str(&format!(", workload: {{apiVersion: apps/v1, kind: Deployment, name: {workload}{filter}}}"));
            let env: Vec<String> = (0..rng.below(3))
                .map(|_| format!("{{name: E{}, key: {}}}", rng.below(5), ["host", "type", "port"][rng.below(3) as usize]))
                .collect();
            if !env.is_empty() {
                spec.push_str(&format!(", env: [{}]", env.join(", ")));
            }
            if rng.chance(20) {
                spec.push_str(", type: over");
            }
            if rng.chance(10) {
                spec.push_str(", provider: p");
            }
            if rng.chance(10) {
                spec.push_str(&format!(", name: dir-{}", rng.below(3)));
            }
            text.push_str(&format!(
                "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: b{b}}}\nspec: {{{spec}}}\n"
            ));
        }
        text
    }

    /// The batch and the step-by-step projection of every workload of `text`; the rendered
    /// stream (bindings kept) for a second round.
    fn compare(text: &str, used: &mut (usize, usize)) -> Option<String> {
        let (file, documents) = parse_file("t.yaml".into(), "t.yaml".into(), text.as_bytes().to_vec()).unwrap();
        let rendered = crate::render(Loaded { files: vec![file], documents }, &Options::default());
        let docs = &rendered.loaded.documents;
        for wid in super::super::workloads(&rendered.resolution) {
            let one = super::super::project_workload_with(docs, wid, &rendered.resolution, false);
            let all = super::super::project_workload_with(docs, wid, &rendered.resolution, true);
            assert_eq!(one.value, all.value, "{text}");
            assert_eq!(format!("{:?}", one.bound), format!("{:?}", all.bound), "{text}");
            assert_eq!((one.errors, one.shadowed), (all.errors, all.shadowed), "{text}");
            let plan = &rendered.resolution.workloads[&wid];
            let steps: Vec<&crate::resolve::Step> = plan.steps.iter().collect();
            let (spec, operator): (Vec<&crate::resolve::Step>, Vec<&crate::resolve::Step>) =
                steps.into_iter().partition(|s| !rendered.resolution.bindings[s.binding].is_operator());
            for (steps, batch) in [(spec, super::spec_steps as super::super::Batch), (operator, super::operator_steps)] {
                if steps.len() >= super::MIN_STEPS {
                    used.1 += 1;
                    used.0 += usize::from(batch(&mut None::<Value>, &docs[wid].value, &rendered.resolution, &steps, wid).is_some());
                }
            }
        }
        rendered.output.as_ref()?;
        Some(crate::write::emit::stream(&rendered.emitted(true, false)))
    }

    /// Secrets sec-0…sec-9, and a Deployment with containers c0 and c1 (`c1_env` its env).
    fn workload(c1_env: &str) -> String {
        let mut text: String = (0..10)
            .map(|s| format!("---\napiVersion: v1\nkind: Secret\nmetadata: {{name: sec-{s}}}\nstringData: {{type: t, host: h}}\n"))
            .collect();
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec: {{template: {{spec: {{containers: [{{name: c0, image: i}}, {{name: c1, image: i, env: [{c1_env}]}}]}}}}}}\n"
        ));
        text
    }

    /// Binding `b{i}` to Secret `sec-{secret}`, optionally only into container c0.
    fn binding(i: usize, secret: usize, only_c0: bool, workload: &str) -> String {
        let filter = if only_c0 { ", containers: [c0]" } else { "" };
        format!(
            "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: b{i}}}\nspec: {{service: {{apiVersion: v1, kind: Secret, name: sec-{secret}}}, workload: {{apiVersion: apps/v1, kind: Deployment, name: {workload}{filter}}}, env: [{{name: E{i}, key: host}}]}}\n"
        )
    }

    /// The cases the random ones rarely reach: collections emptied between steps (the runtime
    /// removes them), and a container variable of a Secret bound only after the container's
    /// last projection.
    #[test]
    fn one_pass_in_the_corner_cases() {
        let mut used = (0, 0);
        // b0 alone reaches c1; rendered again with b0 elsewhere, c1's mounts and env empty.
        let first: String = workload("").to_string() + &(0..9).map(|i| binding(i, i, i > 0, "web")).collect::<String>();
        let out = compare(&first, &mut used).expect("renders");
        compare(&out.replacen("name: web\n  env", "name: other\n  env", 1), &mut used);
        // Every binding elsewhere: volumes and annotations emptied step by step, each alone
        // (the others hold an entry of the user's).
        let away = out.replace("    name: web\n", "    name: other\n");
        compare(&away, &mut used);
        let pod_annotation = "      annotations:\n        team: a\n";
        let user_volume = "      volumes:\n      - name: data\n        emptyDir: {}\n";
        let top_annotation = "  name: web\n  annotations:\n    team: a\n";
        let user_mount = "        volumeMounts:\n        - name: data\n          mountPath: /d\n";
        for (pod, volume, top) in [(true, false, true), (true, true, false), (false, true, true)] {
            let mut text = away.replace("        volumeMounts:\n", user_mount);
            if pod {
                text = text.replace("      annotations:\n", pod_annotation);
            }
            if volume {
                text = text.replace("      volumes:\n", user_volume);
            }
            if top {
                text = text.replacen("  name: web\n  annotations:\n", top_annotation, 1);
            }
            compare(&text, &mut used);
        }
        // c1's own variables of sec-0 go with b0's earlier projection, emptying c1's env.
        let own = workload("{name: MINE, valueFrom: {secretKeyRef: {name: sec-0, key: host}}}");
        let all: String = (0..9).map(|i| binding(i, i, true, "web")).collect();
        let out = compare(&(own.clone() + &all), &mut used).expect("renders");
        compare(&out, &mut used);
        // c1 is last sorted at b7; sec-9 is bound later by b8, which skips c1: MINE stays first.
        let own = workload("{name: A, value: x}, {name: MINE, valueFrom: {secretKeyRef: {name: sec-9, key: host}}}");
        let all: String = (0..8).map(|i| binding(i, i, false, "web")).collect::<String>() + &binding(8, 9, true, "web");
        let out = compare(&(own + &all), &mut used).expect("renders");
        compare(&out, &mut used);
        // The user's variables named twice, one of a bound Secret.
        let twice = workload("{name: D, value: x}, {name: D, valueFrom: {secretKeyRef: {name: sec-3, key: host}}}, {name: Z, value: z}");
        compare(&(twice + &(0..9).map(|i| binding(i, i, false, "web")).collect::<String>()), &mut used);
        // A mapping whose annotations are the workload's own: two edits of one map.
        let mapping = |body: &str| {
            format!("---\napiVersion: servicebinding.io/v1\nkind: ClusterWorkloadResourceMapping\nmetadata: {{name: deployments.apps}}\nspec: {{versions: [{{version: '*', {body}}}]}}\n")
        };
        let plain: String = workload("").to_string() + &(0..9).map(|i| binding(i, i, false, "web")).collect::<String>();
        compare(&(plain.clone() + &mapping("annotations: .metadata.annotations")), &mut used);
        // Rendered again with another mapping: unprojected with the stashed one (which reaches
        // the init container).
        let init = plain.replace("containers: [{name: c0", "initContainers: [{name: i0, image: i}], containers: [{name: c0");
        let out = compare(&init, &mut used).expect("renders");
        compare(&(out + &mapping("containers: [{path: '.spec.template.spec.containers[*]', name: .name}]")), &mut used);
        assert!(used.0 >= 3, "{used:?}");
    }

    /// SBO markers of an earlier render naming a volume and variables the workload no longer
    /// has (no `volumes`, no `env`): the volumes list is written back (empty), env is not.
    #[test]
    fn one_pass_for_sbo_markers_of_what_is_gone() {
        let mut used = (0, 0);
        let markers: Vec<String> = (0..9)
            .map(|i| {
                let uid = crate::bindings::stable_uid("default", &format!("o{i}"), None);
                format!("bindery.dev/sbo-{uid}: '{{\"volume\":\"o{i}\",\"env\":[\"HOST\"]}}'")
            })
            .collect();
        let mut text = format!(
            "---\napiVersion: v1\nkind: Secret\nmetadata: {{name: sec-0}}\nstringData: {{host: h}}\n---\napiVersion: apps/v1\nkind: Deployment\n\
             metadata: {{name: web, annotations: {{{}}}}}\nspec: {{template: {{spec: {{containers: [{{name: c0, image: i}}]}}}}}}\n",
            markers.join(", ")
        );
        for i in 0..9 {
            text.push_str(&format!(
                "---\napiVersion: binding.operators.coreos.com/v1alpha1\nkind: ServiceBinding\nmetadata: {{name: o{i}}}\nspec: {{bindAsFiles: false, \
                 namingStrategy: 'V{i}_{{{{ .name }}}}', services: [{{group: '', version: v1, kind: Secret, name: sec-0}}], application: {{group: apps, version: v1, kind: Deployment, name: web}}}}\n"
            ));
        }
        compare(&text, &mut used);
        assert_eq!(used, (1, 1));
    }

    /// Service Binding Operator bindings (env and files mode, shared variable names, shared
    /// Secrets) on the workload of `base`, then rendered again changed.
    #[test]
    fn one_pass_gives_what_binding_after_binding_gives_for_sbo() {
        let mut rng = Rng(7);
        let mut used = (0, 0);
        for round in 0..120 {
            let mut text = scenario(&mut rng);
            if round % 2 == 0 {
                // SBO bindings only.
                text = text.split("---\n").filter(|d| !d.contains("kind: ServiceBinding")).collect::<Vec<_>>().join("---\n");
            }
            for b in 0..8 + rng.below(10) {
                let files = rng.chance(50);
                let naming = ["", "namingStrategy: 'X_{{ .name | upper }}', ", "namingStrategy: 'N{{ .name }}', "][rng.below(3) as usize];
                let name = if rng.chance(20) { format!("name: d{}, ", rng.below(3)) } else { String::new() };
                text.push_str(&format!(
                    "---\napiVersion: binding.operators.coreos.com/v1alpha1\nkind: ServiceBinding\nmetadata: {{name: o{b}}}\nspec: {{bindAsFiles: {files}, {naming}{name}\
                     services: [{{group: '', version: v1, kind: Secret, name: sec-{}}}], application: {{group: apps, version: v1, kind: Deployment, name: web}}}}\n",
                    rng.below(2)
                ));
            }
            let Some(out) = compare(&text, &mut used) else { continue };
            let again: Vec<String> = out
                .split("---\n")
                .map(|doc| match (doc.contains("binding.operators.coreos.com"), rng.below(5)) {
                    (true, 0) => doc
                        .replace("bindAsFiles: true", "bindAsFiles: maybe")
                        .replace("bindAsFiles: false", "bindAsFiles: true")
                        .replace("maybe", "false"),
                    (true, 1) => doc.replace("name: sec-0", "name: sec-1"),
                    (true, 2) => doc.replace("    name: web\n", "    name: other\n"),
                    _ => doc.to_string(),
                })
                .collect();
            compare(&again.join("---\n"), &mut used);
            compare(&out, &mut used);
        }
        let (used, workloads) = used;
        assert!(used * 2 > workloads, "the batch was used for {used} of {workloads} workloads");
    }

    #[test]
    fn one_pass_gives_what_binding_after_binding_gives() {
        let mut rng = Rng(19);
        let mut used = (0, 0);
        for _ in 0..200 {
            let text = scenario(&mut rng);
            let Some(out) = compare(&text, &mut used) else { continue };
            // Render the output again: unprojection from the stashed annotations, some bindings
            // now elsewhere (unproject only) or with other Secrets or variables.
            let again: Vec<String> = out
                .split("---\n")
                .map(|doc| {
                    if !doc.contains("kind: ServiceBinding") {
                        return doc.to_string();
                    }
                    match rng.below(6) {
                        0 => doc.replace("    name: web\n", "    name: other\n"),
                        1 => doc.replace("    name: sec-", "    name: sec-1").replace("sec-11", "sec-0"),
                        2 => doc.replace("  - name: E", "  - name: E9"),
                        _ => doc.to_string(),
                    }
                })
                .collect();
            let again = again.join("---\n");
            compare(&again, &mut used);
            compare(&out, &mut used);
        }
        let (used, workloads) = used;
        assert!(used * 4 > workloads * 3, "the batch was used for {used} of {workloads} workloads");
    }
}
