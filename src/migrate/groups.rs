//! Independent groups: the proof of one candidate at a time, without rendering the whole input
//! per candidate.
//!
//! Bindings that share a document (a workload, a service, a Secret, a ConfigMap: by id, or by
//! namespace and name) are one group; a candidate can change what only its group's containers
//! see. A group is proven on its own input: its documents, plus every document no binding
//! touches and that could matter to any binding (mappings, CRDs, operator metadata: anything
//! but untouched workloads, Services, ConfigMaps and Secrets). The grouping is checked, not
//! trusted: each group's own input must render without errors to exactly the original view of
//! its containers, and the accepted set as a whole must keep the original view; otherwise the
//! caller proves one candidate at a time on the whole input, as before.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::bindings::sbo::collect::{Collected, ItemSource};
use crate::doc::document::{DocId, Document, SourceFile};
use crate::doc::value::Value;
use crate::load::Loaded;
use crate::resolve::resolution::{Resolved, ServiceSource};
use crate::resolve::Options;
use crate::write::ResourceName;
use crate::Rendered;

use super::{container_views, ContainerViews};

/// Kinds that matter to a render only through a binding that names them (or selects them).
const BOUND_ONLY_KINDS: &[&str] =
    &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Service", "ConfigMap", "Secret"];

/// Union-find over binding indices.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, i: usize) -> usize {
        let mut r = i;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut i = i;
        while self.0[i] != r {
            let next = self.0[i];
            self.0[i] = r;
            i = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// One group: its documents (input order) and its candidates (binding document ids).
pub(super) struct Group {
    pub docs: Vec<DocId>,
    pub candidates: Vec<DocId>,
}

fn collected_names<'a>(data: &'a Collected, out: &mut Vec<(&'a str, &'a str)>) {
    for item in &data.items {
        match &item.source {
            ItemSource::SecretKey { namespace, name, .. } | ItemSource::ConfigMapKey { namespace, name, .. } => out.push((namespace, name)),
            _ => {}
        }
    }
}

/// What one binding touches: document ids and `(namespace, name)` pairs.
type Touched<'a> = (BTreeSet<DocId>, BTreeSet<(&'a str, &'a str)>);

/// What each binding of `renders` touches.
fn touched<'a>(renders: &[&'a Rendered]) -> BTreeMap<DocId, Touched<'a>> {
    let mut out: BTreeMap<DocId, Touched<'a>> = BTreeMap::new();
    for rendered in renders {
        for rb in &rendered.resolution.bindings {
            let (ids, names) = out.entry(rb.doc).or_default();
            ids.insert(rb.doc);
            ids.extend(&rb.workloads);
            let mut n: Vec<(&str, &str)> = Vec::new();
            match &rb.resolved {
                Resolved::Spec(s) => {
                    n.push((&s.binding.namespace, &s.binding.service.name));
                    if let Some(secret) = &s.secret {
                        n.push((&secret.namespace, &secret.name));
                    }
                    if let Some(ServiceSource::Provisioned { doc } | ServiceSource::Annotated { doc }) = &s.source {
                        ids.insert(*doc);
                    }
                    if let Some(c) = &s.collected {
                        collected_names(&c.data, &mut n);
                    }
                }
                Resolved::Operator(o) => {
                    for s in &o.binding.services {
                        n.push((&s.namespace, &s.name));
                    }
                    if let Some(data) = &o.data {
                        collected_names(data, &mut n);
                    }
                }
            }
            names.extend(n);
        }
    }
    out
}

/// The independent groups of the bindings `renders` resolved, with their candidates; `None`
/// when they are not worth it (one group).
pub(super) fn groups(loaded: &Loaded, renders: &[&Rendered], candidates: &[DocId], default_ns: &str) -> Option<Vec<Group>> {
    let touched = touched(renders);
    let bindings: Vec<DocId> = touched.keys().copied().collect();
    let mut sets = Sets((0..bindings.len()).collect());
    let mut by_doc: HashMap<DocId, usize> = HashMap::new();
    let mut by_name: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, (ids, names)) in touched.values().enumerate() {
        for id in ids {
            if let Some(&j) = by_doc.get(id) {
                sets.union(i, j);
            }
            by_doc.entry(*id).or_insert(i);
        }
        for name in names {
            if let Some(&j) = by_name.get(name) {
                sets.union(i, j);
            }
            by_name.entry(*name).or_insert(i);
        }
    }
    // A document one binding names and another reaches by id joins the two.
    for (id, doc) in loaded.documents.iter().enumerate() {
        if let (Some(&i), Some(&j)) = (by_doc.get(&id), by_name.get(&(doc.namespace(default_ns), doc.name()))) {
            sets.union(i, j);
        }
    }
    let mut root_of: Vec<usize> = (0..bindings.len()).map(|i| sets.find(i)).collect();
    let mut index: BTreeMap<usize, usize> = BTreeMap::new();
    for r in &mut root_of {
        let next = index.len();
        *r = *index.entry(*r).or_insert(next);
    }
    if index.len() < 2 {
        return None;
    }
    let mut groups: Vec<Group> = (0..index.len()).map(|_| Group { docs: Vec::new(), candidates: Vec::new() }).collect();
    let group_of_binding: HashMap<DocId, usize> = bindings.iter().zip(&root_of).map(|(&b, &g)| (b, g)).collect();
    for &c in candidates {
        groups[*group_of_binding.get(&c)?].candidates.push(c);
    }
    for (id, doc) in loaded.documents.iter().enumerate() {
        let owner = by_doc.get(&id).or_else(|| by_name.get(&(doc.namespace(default_ns), doc.name()))).map(|&b| root_of[b]);
        match owner {
            Some(g) => groups[g].docs.push(id),
            None if BOUND_ONLY_KINDS.contains(&doc.kind()) => {}
            None => groups.iter_mut().for_each(|g| g.docs.push(id)),
        }
    }
    groups.retain(|g| !g.candidates.is_empty());
    Some(groups)
}

/// A group's input, with some documents replaced.
pub(super) fn render_group(loaded: &Loaded, group: &Group, replaced: &BTreeMap<DocId, Value>, opts: &Options) -> Rendered {
    let mut files: Vec<Arc<SourceFile>> = Vec::new();
    let mut seen: BTreeSet<*const SourceFile> = BTreeSet::new();
    let documents: Vec<Document> = group
        .docs
        .iter()
        .map(|&id| {
            let mut d = loaded.documents[id].clone();
            if let Some(v) = replaced.get(&id) {
                d.value = v.clone();
            }
            if seen.insert(Arc::as_ptr(&d.file)) {
                files.push(d.file.clone());
            }
            d
        })
        .collect();
    // Documents are in input order, so their files are too.
    crate::render(Loaded { files, documents }, opts)
}

/// The part of `view` that the containers of `group`'s documents have.
pub(super) fn restricted(view: &ContainerViews, loaded: &Loaded, group: &Group, default_ns: &str) -> ContainerViews {
    let mut out = ContainerViews::default();
    let titles: BTreeSet<String> = group.docs.iter().map(|&id| ResourceName::of(&loaded.documents[id].value, default_ns).title()).collect();
    for title in titles {
        for (key, contents) in view.containers.range((title.clone(), String::new())..).take_while(|(k, _)| k.0 == title) {
            out.containers.insert(key.clone(), contents.clone());
        }
    }
    out
}

/// Whether a group's own input renders without errors to the original view of its containers
/// (else the grouping missed something the group depends on).
pub(super) fn faithful(loaded: &Loaded, group: &Group, original: &ContainerViews, opts: &Options) -> bool {
    let rendered = render_group(loaded, group, &BTreeMap::new(), opts);
    rendered.output.is_some()
        && !rendered.resolution.has_errors()
        && container_views(&rendered, &opts.default_namespace) == restricted(original, loaded, group, &opts.default_namespace)
}

/// Progress over groups, for a caller that shows it.
pub(super) struct Progress<'a> {
    pub done: AtomicUsize,
    pub total: usize,
    pub report: &'a (dyn Fn(usize, usize) + Sync),
}

impl Progress<'_> {
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.report)(done, self.total);
    }
}
