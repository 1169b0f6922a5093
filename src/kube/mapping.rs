//! Workload resource mappings (ClusterWorkloadResourceMapping): where a workload kind keeps its
//! pod-template annotations, containers and volumes. Defaults, version selection, validation,
//! and the JSON form stashed on projected workloads (spec-semantics §7, §8.2).

use crate::doc::value::Value;

use crate::kube::jsonpath::{parse_fixed, ContainerPath, JsonPathError};
use crate::kube::type_name;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MappingContainer {
    pub path: String,
    pub name: String,
    pub env: String,
    pub volume_mounts: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MappingTemplate {
    pub version: String,
    pub annotations: String,
    pub containers: Vec<MappingContainer>,
    pub volumes: String,
}

/// `ClusterWorkloadResourceMapping.spec`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MappingSpec {
    pub versions: Vec<MappingTemplate>,
}

impl MappingTemplate {
    /// The runtime's `Default()`: PodSpec-able locations for every empty field.
    pub fn defaulted(mut self) -> Self {
        if self.annotations.is_empty() {
            self.annotations = ".spec.template.metadata.annotations".into();
        }
        if self.containers.is_empty() {
            self.containers = vec![
                MappingContainer { path: ".spec.template.spec.initContainers[*]".into(), name: ".name".into(), ..Default::default() },
                MappingContainer { path: ".spec.template.spec.containers[*]".into(), name: ".name".into(), ..Default::default() },
            ];
        }
        for c in &mut self.containers {
            if c.env.is_empty() {
                c.env = ".env".into();
            }
            if c.volume_mounts.is_empty() {
                c.volume_mounts = ".volumeMounts".into();
            }
        }
        if self.volumes.is_empty() {
            self.volumes = ".spec.template.spec.volumes".into();
        }
        self
    }
}

impl MappingSpec {
    /// The mapping used when a kind has no ClusterWorkloadResourceMapping: PodSpec-able.
    pub fn podspecable() -> Self {
        MappingSpec { versions: vec![MappingTemplate { version: "*".into(), ..Default::default() }.defaulted()] }
    }

    /// The `cronjobs.batch` mapping the runtime ships; used when the input has none.
    pub fn builtin_cronjob() -> Self {
        let jt = ".spec.jobTemplate.spec.template";
        MappingSpec {
            versions: vec![MappingTemplate {
                version: "*".into(),
                annotations: format!("{jt}.metadata.annotations"),
                containers: vec![
                    MappingContainer { path: format!("{jt}.spec.containers[*]"), name: ".name".into(), ..Default::default() },
                    MappingContainer { path: format!("{jt}.spec.initContainers[*]"), name: ".name".into(), ..Default::default() },
                ],
                volumes: format!("{jt}.spec.volumes"),
            }
            .defaulted()],
        }
    }

    /// Parse a mapping spec (from a CWRM document's `.spec` or a stashed annotation) and
    /// default every version as the runtime does. Errors are `(field, message)`.
    pub fn parse(spec: &Value) -> Result<Self, Vec<(String, String)>> {
        let raw = Self::parse_raw(spec)?;
        Ok(MappingSpec { versions: raw.versions.into_iter().map(MappingTemplate::defaulted).collect() })
    }

    /// Parse without defaulting (SBO defaults differently from the runtime).
    pub fn parse_raw(spec: &Value) -> Result<Self, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut out = MappingSpec::default();
        let versions = match spec.get("versions") {
            Some(Value::Array(v)) => v.as_slice(),
            None | Some(Value::Null) => &[],
            Some(other) => return Err(vec![("spec.versions".into(), format!("must be a list, got {}", type_name(other)))]),
        };
        let s = |v: &Value, key: &str, at: &str, errors: &mut Vec<(String, String)>| match v.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.to_string(),
            Some(other) => {
                errors.push((format!("{at}.{key}"), format!("must be a string, got {}", type_name(other))));
                String::new()
            }
        };
        for (i, v) in versions.iter().enumerate() {
            let at = format!("spec.versions[{i}]");
            if !v.is_object() {
                errors.push((at, format!("must be an object, got {}", type_name(v))));
                continue;
            }
            let mut t = MappingTemplate {
                version: s(v, "version", &at, &mut errors),
                annotations: s(v, "annotations", &at, &mut errors),
                volumes: s(v, "volumes", &at, &mut errors),
                containers: Vec::new(),
            };
            match v.get("containers") {
                None | Some(Value::Null) => {}
                Some(Value::Array(cs)) => {
                    for (j, c) in cs.iter().enumerate() {
                        let cat = format!("{at}.containers[{j}]");
                        if !c.is_object() {
                            errors.push((cat, format!("must be an object, got {}", type_name(c))));
                            continue;
                        }
                        t.containers.push(MappingContainer {
                            path: s(c, "path", &cat, &mut errors),
                            name: s(c, "name", &cat, &mut errors),
                            env: s(c, "env", &cat, &mut errors),
                            volume_mounts: s(c, "volumeMounts", &cat, &mut errors),
                        });
                    }
                }
                Some(other) => errors.push((format!("{at}.containers"), format!("must be a list, got {}", type_name(other)))),
            }
            out.versions.push(t);
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The webhook's checks, after defaulting: fixed paths are fixed, container paths parse,
    /// versions are set and unique.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        let mut fixed = |at: String, expr: &str| {
            if let Err(e) = parse_fixed(expr) {
                errors.push((at, e.to_string()));
            }
        };
        for (i, t) in self.versions.iter().enumerate() {
            let at = format!("spec.versions[{i}]");
            fixed(format!("{at}.annotations"), &t.annotations);
            fixed(format!("{at}.volumes"), &t.volumes);
            for (j, c) in t.containers.iter().enumerate() {
                let cat = format!("{at}.containers[{j}]");
                fixed(format!("{cat}.env"), &c.env);
                fixed(format!("{cat}.volumeMounts"), &c.volume_mounts);
                if !c.name.is_empty() {
                    fixed(format!("{cat}.name"), &c.name);
                }
            }
        }
        for (i, t) in self.versions.iter().enumerate() {
            for (j, c) in t.containers.iter().enumerate() {
                if let Err(e) = ContainerPath::compile(&c.path) {
                    errors.push((format!("spec.versions[{i}].containers[{j}].path"), e.to_string()));
                }
            }
            if t.version.is_empty() {
                errors.push((format!("spec.versions[{i}].version"), "Required value".into()));
            } else if let Some(first) = self.versions[..i].iter().position(|o| o.version == t.version) {
                errors.push((format!("spec.versions[{first}, {i}].version"), format!("Duplicate value: {:?}", t.version)));
            }
        }
        errors
    }

    /// The template for a workload version: an exact entry, else the last `*`, else defaults.
    pub fn template_for(&self, version: &str) -> MappingTemplate {
        self.versions
            .iter()
            .rev()
            .find(|t| t.version == version)
            .or_else(|| self.versions.iter().rev().find(|t| t.version == "*"))
            .cloned()
            .unwrap_or_else(|| MappingTemplate { version: "*".into(), ..Default::default() }.defaulted())
    }

    /// Go `encoding/json` of the spec as the runtime stashes it: fixed field order, empty
    /// optional fields omitted, `<`, `>` and `&` escaped.
    pub fn to_go_json(&self) -> String {
        let q = |s: &str| go_escape(&serde_json::to_string(s).unwrap_or_default());
        let mut out = String::from("{\"versions\":[");
        for (i, t) in self.versions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("{{\"version\":{}", q(&t.version)));
            if !t.annotations.is_empty() {
                out.push_str(&format!(",\"annotations\":{}", q(&t.annotations)));
            }
            if !t.containers.is_empty() {
                out.push_str(",\"containers\":[");
                for (j, c) in t.containers.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("{{\"path\":{}", q(&c.path)));
                    for (k, v) in [("name", &c.name), ("env", &c.env), ("volumeMounts", &c.volume_mounts)] {
                        if !v.is_empty() {
                            out.push_str(&format!(",\"{k}\":{}", q(v)));
                        }
                    }
                    out.push('}');
                }
                out.push(']');
            }
            if !t.volumes.is_empty() {
                out.push_str(&format!(",\"volumes\":{}", q(&t.volumes)));
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

fn go_escape(json: &str) -> String {
    json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// A mapping template with every path parsed, ready for projection.
#[derive(Debug, Clone)]
pub struct CompiledTemplate {
    pub annotations: Vec<String>,
    pub volumes: Vec<String>,
    pub containers: Vec<CompiledContainer>,
}

#[derive(Debug, Clone)]
pub struct CompiledContainer {
    pub path: ContainerPath,
    /// `None`: no name expression, the container is never filtered out.
    pub name: Option<Vec<String>>,
    pub env: Vec<String>,
    pub volume_mounts: Vec<String>,
}

thread_local! {
    /// Templates compiled on this thread, and specs written as the runtime stashes them: a
    /// render projects one mapping into many workloads.
    static COMPILED: std::cell::RefCell<std::collections::HashMap<MappingTemplate, std::rc::Rc<CompiledTemplate>>> = Default::default();
    static GO_JSON: std::cell::RefCell<std::collections::HashMap<MappingSpec, std::rc::Rc<str>>> = Default::default();
}

/// Memo tables hold at most this many entries per thread (an input has a handful of mappings).
const MEMO_LIMIT: usize = 256;

impl MappingSpec {
    /// [`MappingSpec::to_go_json`], computed once per spec and thread.
    pub fn go_json(&self) -> std::rc::Rc<str> {
        GO_JSON.with(|memo| {
            if let Some(json) = memo.borrow().get(self) {
                return json.clone();
            }
            let json: std::rc::Rc<str> = self.to_go_json().into();
            let mut memo = memo.borrow_mut();
            if memo.len() >= MEMO_LIMIT {
                memo.clear();
            }
            memo.insert(self.clone(), json.clone());
            json
        })
    }
}

impl MappingTemplate {
    /// [`MappingTemplate::compile`], compiled once per template and thread.
    pub fn compiled(&self) -> Result<std::rc::Rc<CompiledTemplate>, JsonPathError> {
        COMPILED.with(|memo| {
            if let Some(t) = memo.borrow().get(self) {
                return Ok(t.clone());
            }
            let t = std::rc::Rc::new(self.compile()?);
            let mut memo = memo.borrow_mut();
            if memo.len() >= MEMO_LIMIT {
                memo.clear();
            }
            memo.insert(self.clone(), t.clone());
            Ok(t)
        })
    }

    pub fn compile(&self) -> Result<CompiledTemplate, JsonPathError> {
        let mut containers = Vec::new();
        for c in &self.containers {
            containers.push(CompiledContainer {
                path: ContainerPath::compile(&c.path)?,
                name: if c.name.is_empty() { None } else { Some(parse_fixed(&c.name)?) },
                env: parse_fixed(&c.env)?,
                volume_mounts: parse_fixed(&c.volume_mounts)?,
            });
        }
        Ok(CompiledTemplate { annotations: parse_fixed(&self.annotations)?, volumes: parse_fixed(&self.volumes)?, containers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn podspecable_stash_matches_the_runtime_byte_for_byte() {
        assert_eq!(
            MappingSpec::podspecable().to_go_json(),
            r#"{"versions":[{"version":"*","annotations":".spec.template.metadata.annotations","containers":[{"path":".spec.template.spec.initContainers[*]","name":".name","env":".env","volumeMounts":".volumeMounts"},{"path":".spec.template.spec.containers[*]","name":".name","env":".env","volumeMounts":".volumeMounts"}],"volumes":".spec.template.spec.volumes"}]}"#
        );
    }

    #[test]
    fn stash_round_trips() {
        let m = MappingSpec::builtin_cronjob();
        let back: Value = serde_json::from_str(&m.to_go_json()).unwrap();
        assert_eq!(MappingSpec::parse(&back).unwrap(), m);
    }

    #[test]
    fn exact_version_beats_star() {
        let m = MappingSpec::parse(
            &json!({"versions": [{"version": "*"}, {"version": "v2", "containers": [{"path": ".spec.w[*]", "name": ".name"}]}]}),
        )
        .unwrap();
        assert_eq!(m.template_for("v2").containers[0].path, ".spec.w[*]");
        assert_eq!(m.template_for("v1").containers.len(), 2);
        let only_v3 = MappingSpec::parse(&json!({"versions": [{"version": "v3", "volumes": ".x"}]})).unwrap();
        assert_eq!(only_v3.template_for("v1").volumes, ".spec.template.spec.volumes");
    }

    #[test]
    fn validation() {
        let m = MappingSpec::parse(&json!({"versions": [{"version": "*", "volumes": ".spec.volumes[*]"}, {"version": "*"}, {}]})).unwrap();
        let errs = m.validate();
        assert!(errs.iter().any(|(f, e)| f == "spec.versions[0].volumes" && e.contains("unsupported node")), "{errs:?}");
        assert!(errs.iter().any(|(f, _)| f == "spec.versions[0, 1].version"), "{errs:?}");
        assert!(errs.iter().any(|(f, _)| f == "spec.versions[2].version"), "{errs:?}");
    }

    #[test]
    fn go_escaping() {
        assert_eq!(go_escape("\"a<b>&\""), "\"a\\u003cb\\u003e\\u0026\"");
    }
}
