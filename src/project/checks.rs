//! Checks on the resolved and projected result that no upstream implementation makes:
//! what the major binding consumers (Spring Cloud Bindings, Quarkus, Node
//! `kube-service-bindings`) need from a binding directory, the spec's formats for well-known
//! entries (warnings; messages name keys, never values), and collisions in one container (an
//! error: two bindings mounted at one path, which the spec leaves undefined; warnings: one
//! variable injected twice, or replacing one the container sets itself).

use std::collections::{BTreeMap, BTreeSet};

use crate::doc::document::Document;
use crate::model::bound::BoundContainer;
use crate::model::problem::{Location, Problem};
use crate::model::rules::Rule;
use crate::resolve::Resolution;

/// Entries a consumer of a well-known `type` needs: every group of `all`, and (when given) one
/// of the alternatives of `any`.
struct Need {
    types: &'static [&'static str],
    any: &'static [&'static [&'static str]],
    all: &'static [&'static str],
}

const NEEDS: &[Need] = &[
    Need {
        types: &["postgresql", "mysql", "mariadb", "sqlserver", "oracle", "db2"],
        any: &[&["jdbc-url"], &["host", "port", "database"]],
        all: &["username", "password"],
    },
    Need { types: &["mongodb"], any: &[&["uri"], &["host"]], all: &[] },
    Need { types: &["redis"], any: &[&["host"], &["uri"]], all: &[] },
    Need { types: &["kafka"], any: &[&["bootstrap-servers"]], all: &[] },
    Need { types: &["rabbitmq"], any: &[&["addresses"], &["host"], &["uri"]], all: &[] },
    Need { types: &["elasticsearch"], any: &[&["uris"], &["host"]], all: &[] },
];

/// Missing entries for a binding of type `t` with entries `keys`, as a sentence, if any.
pub fn missing_for_type(t: &str, keys: &BTreeSet<String>) -> Option<String> {
    let need = NEEDS.iter().find(|n| n.types.contains(&t))?;
    let mut missing = Vec::new();
    if !need.any.is_empty() && !need.any.iter().any(|alt| alt.iter().all(|k| keys.contains(*k))) {
        let alts: Vec<String> = need.any.iter().map(|alt| alt.join("+")).collect();
        missing.push(format!("one of {}", alts.join(" or ")));
    }
    for k in need.all.iter().filter(|k| !keys.contains(**k)) {
        missing.push(k.to_string());
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

fn is_host(v: &str) -> bool {
    let v = v.trim();
    if v.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    !v.is_empty()
        && v.len() <= 253
        && v.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_uri(v: &str) -> bool {
    match v.split_once(':') {
        Some((scheme, rest)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !rest.is_empty()
                && !v.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Why the value of a well-known entry does not meet the spec's format, if it does not.
/// The reason never contains the value.
pub fn format_problem(key: &str, value: &str) -> Option<&'static str> {
    match key {
        "host" if !is_host(value) => Some("is not a DNS-resolvable host name or IP address"),
        "port" if value.trim().parse::<u16>().map_or(true, |p| p == 0) => Some("is not a valid port number (1-65535)"),
        "uri" if !is_uri(value) => Some("is not a valid RFC 3986 URI"),
        "certificates" if !value.contains("-----BEGIN CERTIFICATE-----") => Some("is not PEM-encoded X.509 certificates"),
        "private-key" if !(value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----")) => Some("is not a PEM-encoded private key"),
        _ => None,
    }
}

/// Consumer and format warnings for every servicebinding.io binding whose Secret is in the input.
pub fn consumer_problems(docs: &[Document], resolution: &Resolution) -> Vec<Problem> {
    let mut out = Vec::new();
    for rb in &resolution.bindings {
        let Some(spec) = rb.spec() else { continue };
        let (Some(secret), false) = (&spec.secret, rb.workloads.is_empty()) else { continue };
        let b = &spec.binding;
        let values: BTreeMap<String, String> = match &secret.source {
            crate::index::runtime_secrets::SecretSource::InInput { doc } => {
                crate::bindings::sbo::collect::resource_data(&docs[*doc], crate::bindings::sbo::definitions::RefKind::Secret)
                    .unwrap_or_default()
            }
            _ => BTreeMap::new(),
        };
        let mut keys = secret.keys.clone();
        keys.extend(b.type_override.iter().map(|_| "type".to_string()));
        keys.extend(b.provider_override.iter().map(|_| "provider".to_string()));
        // The type names itself in the message only when it is the binding's own (not secret).
        let (t, shown) = match (&b.type_override, values.get("type")) {
            (Some(t), _) => (Some(t.clone()), format!("of type {t:?}")),
            (None, Some(t)) => (Some(t.clone()), "of the type in its Secret's type entry".to_string()),
            (None, None) => (None, String::new()),
        };
        let at = Location::of(&docs[rb.doc]);
        if let (Some(t), None) = (&t, &secret.unknown_keys) {
            if let Some(missing) = missing_for_type(t.trim(), &keys) {
                let msg = format!("a binding {shown} usually needs {missing} (Spring Cloud Bindings, Quarkus, kube-service-bindings); the Secret {:?} has: {}", secret.name, keys.iter().cloned().collect::<Vec<_>>().join(", "));
                out.push(Problem::warning(Rule::ConsumerMissingEntries, msg).binding(&b.namespace, &b.name).at(at.clone()));
            }
        }
        for (key, value) in &values {
            if let Some(reason) = format_problem(key, value) {
                let msg = format!("entry {key:?} of the Secret {:?} {reason}, as the spec requires of this well-known entry", secret.name);
                out.push(Problem::warning(Rule::WellKnownEntryFormat, msg).binding(&b.namespace, &b.name).at(at.clone()));
            }
        }
    }
    out
}

/// Two bindings mounted at one path of one container (an error), one variable injected by
/// two bindings (a warning: the later binding's wins), and a variable the container set itself
/// that a binding's `spec.env` replaced (a warning).
pub fn collision_problems(docs: &[Document], resolution: &Resolution, bound: &[BoundContainer]) -> Vec<Problem> {
    struct Use<'a> {
        binding: String,
        doc: &'a Document,
    }
    let name_of = |i: usize| -> (String, &Document) {
        let rb = &resolution.bindings[i];
        (rb.title(), &docs[rb.doc])
    };
    // (workload, container, path or variable) and who uses it, borrowing the records. Keys
    // never span workloads, so the uses are gathered one workload at a time (two small buffers)
    // instead of for the whole render at once.
    type Uses<'a> = Vec<((usize, &'a str, &'a str), usize)>;
    type Named<'d> = Vec<((usize, String, String), Vec<Use<'d>>)>;
    // Only keys used more than once need the bindings' names. The sort is stable: a key's
    // uses stay in record order.
    fn named<'d>(uses: &mut Uses<'_>, name_of: &impl Fn(usize) -> (String, &'d Document), out: &mut Named<'d>) {
        uses.sort_by(|a, b| a.0.cmp(&b.0));
        for group in uses.chunk_by(|a, b| a.0 == b.0).filter(|group| group.len() > 1) {
            let (w, c, k) = group[0].0;
            let uses = group.iter().map(|&(_, i)| name_of(i)).map(|(binding, doc)| Use { binding, doc }).collect();
            out.push(((w, c.to_string(), k.to_string()), uses));
        }
        uses.clear();
    }
    // The records come workload by workload, each workload's in projection order
    // (servicebinding.io bindings, then SBO's).
    let (mut mount_uses, mut var_uses): (Uses, Uses) = (Vec::new(), Vec::new());
    let (mut mounts, mut vars) = (Vec::new(), Vec::new());
    for group in bound.chunk_by(|a, b| a.workload == b.workload) {
        for r in group {
            if !r.mount_path.is_empty() {
                mount_uses.push(((r.workload, &r.container, &r.mount_path), r.binding));
            }
            var_uses.extend(r.env.iter().map(|(var, _)| ((r.workload, r.container.as_str(), var.as_str()), r.binding)));
        }
        named(&mut mount_uses, &name_of, &mut mounts);
        named(&mut var_uses, &name_of, &mut vars);
    }
    let mut out = Vec::new();
    let workload = |w: usize| format!("{} {:?}", docs[w].kind(), docs[w].name());
    for r in bound {
        let rb = &resolution.bindings[r.binding];
        for var in &r.replaced_env {
            let msg = format!(
                "spec.env maps {var}, which container {:?} of {} already sets itself: the binding's variable replaces the container's",
                r.container,
                workload(r.workload)
            );
            out.push(Problem::warning(Rule::EnvVarReplaced, msg).binding(rb.namespace(), rb.name()).at(Location::of(&docs[rb.doc])));
        }
    }
    for ((w, container, path), uses) in mounts {
        let names: BTreeSet<&str> = uses.iter().map(|u| u.binding.as_str()).collect();
        if names.len() > 1 {
            let list: Vec<&str> = names.into_iter().collect();
            let msg = format!(
                "bindings {} are all mounted at {path} in container {container:?} of {}; give them different names (spec.name)",
                list.join(" and "),
                workload(w)
            );
            let (ns, name) = uses[0].binding.split_once('/').unwrap_or(("", ""));
            out.push(Problem::error(Rule::BindingNameCollision, msg).binding(ns, name).at(Location::of(uses[1].doc)));
        }
    }
    for ((w, container, var), uses) in vars {
        let names: BTreeSet<&str> = uses.iter().map(|u| u.binding.as_str()).collect();
        if names.len() > 1 {
            let list: Vec<&str> = names.into_iter().collect();
            let msg = format!(
                "variable {var} in container {container:?} of {} is injected by {}; the later binding's value wins",
                workload(w),
                list.join(" and ")
            );
            let (ns, name) = uses[0].binding.split_once('/').unwrap_or(("", ""));
            out.push(Problem::warning(Rule::EnvVarCollision, msg).binding(ns, name).at(Location::of(uses[1].doc)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(k: &[&str]) -> BTreeSet<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn consumer_needs() {
        assert_eq!(missing_for_type("postgresql", &keys(&["type", "host", "port", "database", "username", "password"])), None);
        assert_eq!(missing_for_type("postgresql", &keys(&["jdbc-url", "username", "password"])), None);
        assert_eq!(
            missing_for_type("postgresql", &keys(&["host", "username"])).unwrap(),
            "one of jdbc-url or host+port+database, password"
        );
        assert_eq!(missing_for_type("custom-thing", &keys(&[])), None);
    }

    #[test]
    fn well_known_formats() {
        assert_eq!(format_problem("host", "db.shop.svc.cluster.local"), None);
        assert_eq!(format_problem("host", "10.0.0.1"), None);
        assert!(format_problem("host", "not a host").is_some());
        assert_eq!(format_problem("port", "5432"), None);
        assert!(format_problem("port", "70000").is_some());
        assert_eq!(format_problem("uri", "postgresql://u@h:5432/db"), None);
        assert!(format_problem("uri", "h:5432 x").is_some());
        assert!(format_problem("certificates", "abc").is_some());
        assert_eq!(format_problem("username", "anything"), None);
    }
}
