//! Hosts: bindery inside kpt and kustomize.
//!
//! * **KRM function** (functions-spec v1): a `config.kubernetes.io/v1` `ResourceList` on stdin;
//!   the same list on stdout with its `items` rendered and one `results` entry per problem. Every
//!   annotation bindery did not set (`config.kubernetes.io/path`, `…/index`, `internal.*`,
//!   `kustomize.config.k8s.io/id`) survives, because items are kept as insertion-ordered values.
//! * **kustomize legacy exec plugin**: argv\[1\] is the plugin config file, stdin and stdout are
//!   plain multi-document YAML streams.
//! * **Filter**: a bare `bindery` (what `kpt fn eval --exec` and kustomize's `exec:` run) reads
//!   stdin and answers in kind: a ResourceList for a ResourceList, a plain stream otherwise.
//!
//! All of them go through [`crate::render`], configured by a `bindery.dev/v1alpha1`
//! `BindingResolver` (or a kpt `function-input` ConfigMap), see [`Config`].
//!
//! Items are sorted into three roles. *Pass-through* items (anything without `apiVersion` and
//! `kind`, `kind: List`, bindery's own configuration, a Kptfile or kustomization, and every
//! `config.kubernetes.io/local-config: "true"` item) come out byte-for-byte as they went in and
//! are not seen by the resolver. A local-config *binding* (a ServiceBinding or
//! ClusterWorkloadResourceMapping marked local-config) is read by the resolver but also comes
//! out untouched: that is how a kpt package keeps its ServiceBindings without ever applying them.
//! Everything else is a *resource*: rendered, and ServiceBindings are consumed unless
//! `keepBindings` is set (as with `bindery render`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::json;
use crate::value::{Map, Value};
use clap::{Args, Parser, ValueEnum};

use crate::binding::classify;
use crate::cli::{EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::k8s::{group_of, is_dns1123_label, version_of};
use crate::load::{self, DocId, Document, Loaded, SourceFile};
use crate::problem::{Problem, Severity};
use crate::resolve::Options;
use crate::Rendered;

/// API group of bindery's configuration kinds.
pub const CONFIG_GROUP: &str = "bindery.dev";
/// `apiVersion` of [`CONFIG_KIND`].
pub const CONFIG_API_VERSION: &str = "bindery.dev/v1alpha1";
/// The configuration kind: kustomize transformer config, KRM functionConfig, Argo CD app file.
pub const CONFIG_KIND: &str = "BindingResolver";
/// Items carrying this annotation with value `"true"` are configuration, never resources.
pub const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";
/// Where kpt writes an item back (relative to the package).
pub const PATH_ANNOTATION: &str = "config.kubernetes.io/path";
/// The item's position in its file.
pub const INDEX_ANNOTATION: &str = "config.kubernetes.io/index";
const INTERNAL_PATH_ANNOTATION: &str = "internal.config.kubernetes.io/path";
const INTERNAL_INDEX_ANNOTATION: &str = "internal.config.kubernetes.io/index";
/// The executable name kustomize looks for: `<group>/<version>/<lowercase kind>/<Kind>`.
pub const LEGACY_PLUGIN_NAME: &str = "BindingResolver";
/// The accepted configuration keys (canonical spelling), for messages.
pub const CONFIG_KEYS: &str = "namespace, keepBindings, dropMappings, defaultMappings, denySecretCopies, failOn";

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// What makes a host run fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FailOn {
    /// Fail when a binding cannot be resolved (the default, as `bindery render`).
    #[default]
    Error,
    /// Also fail on warnings (e.g. `WorkloadVersionMismatch`).
    Warning,
}

/// Options a host run can be given; every field is optional so that sources can be layered
/// (defaults < functionConfig < command-line flags; see [`Config::then`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Namespace of resources that do not set one.
    pub namespace: Option<String>,
    /// Emit the ServiceBinding documents instead of consuming them.
    pub keep_bindings: Option<bool>,
    /// Consume ClusterWorkloadResourceMapping documents instead of emitting them.
    pub drop_mappings: Option<bool>,
    /// Assume the runtime's `cronjobs.batch` mapping when the input has none.
    pub default_mappings: Option<bool>,
    /// Make copying Secret values into a generated Secret (SBO bindings) an error.
    pub deny_secret_copies: Option<bool>,
    pub fail_on: Option<FailOn>,
}

/// The effective options of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub options: Options,
    pub keep_bindings: bool,
    pub drop_mappings: bool,
    pub fail_on: FailOn,
}

/// `keepBindings`, `keep-bindings`, `KEEP_BINDINGS` → `keepbindings`.
fn normalize_key(key: &str) -> String {
    key.chars().filter(|c| *c != '-' && *c != '_').flat_map(char::to_lowercase).collect()
}

fn parse_bool(key: &str, v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(format!("{key}: expected true or false, got {other}")),
    }
}

impl Config {
    /// `self`, with every field that `over` sets replaced.
    pub fn then(self, over: Config) -> Config {
        Config {
            namespace: over.namespace.or(self.namespace),
            keep_bindings: over.keep_bindings.or(self.keep_bindings),
            drop_mappings: over.drop_mappings.or(self.drop_mappings),
            default_mappings: over.default_mappings.or(self.default_mappings),
            deny_secret_copies: over.deny_secret_copies.or(self.deny_secret_copies),
            fail_on: over.fail_on.or(self.fail_on),
        }
    }

    pub fn settings(&self) -> Settings {
        Settings {
            options: Options {
                default_namespace: self.namespace.clone().unwrap_or_else(|| "default".into()),
                builtin_mappings: self.default_mappings.unwrap_or(true),
                deny_secret_copies: self.deny_secret_copies.unwrap_or(false),
                ..Options::default()
            },
            keep_bindings: self.keep_bindings.unwrap_or(false),
            drop_mappings: self.drop_mappings.unwrap_or(false),
            fail_on: self.fail_on.unwrap_or_default(),
        }
    }

    /// Set one option from a configuration key (any of `keepBindings`, `keep-bindings`,
    /// `KEEP_BINDINGS`) and a YAML value (strings `"true"`/`"false"` are booleans).
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), String> {
        match normalize_key(key).as_str() {
            "namespace" => {
                let ns = value.as_str().ok_or_else(|| format!("{key}: expected a string, got {value}"))?;
                if !is_dns1123_label(ns) {
                    return Err(format!("{key}: {ns:?} is not a valid namespace name"));
                }
                self.namespace = Some(ns.to_string());
            }
            "keepbindings" => self.keep_bindings = Some(parse_bool(key, value)?),
            "dropmappings" => self.drop_mappings = Some(parse_bool(key, value)?),
            "defaultmappings" => self.default_mappings = Some(parse_bool(key, value)?),
            "nodefaultmappings" => self.default_mappings = Some(!parse_bool(key, value)?),
            "denysecretcopies" => self.deny_secret_copies = Some(parse_bool(key, value)?),
            "failon" => {
                let s = value.as_str().unwrap_or_default();
                self.fail_on = Some(FailOn::from_str(s, true).map_err(|_| format!("{key}: expected error or warning, got {value}"))?);
            }
            _ => return Err(format!("unknown option {key:?} (accepted: {CONFIG_KEYS})")),
        }
        Ok(())
    }

    /// Every entry of a map; all unknown keys and bad values are reported together.
    pub fn from_map(map: &Map) -> Result<Config, String> {
        let mut config = Config::default();
        let errors: Vec<String> = map.iter().filter_map(|(k, v)| config.set(k, v).err()).collect();
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors.join("; "))
        }
    }

    /// The options of a `bindery.dev/v1alpha1` `BindingResolver` document (its `spec`).
    pub fn from_resolver(doc: &Value) -> Result<Config, String> {
        let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        if api_version != CONFIG_API_VERSION {
            return Err(format!("{CONFIG_KIND}: unsupported apiVersion {api_version:?} (expected {CONFIG_API_VERSION})"));
        }
        match doc.get("spec") {
            None | Some(Value::Null) => Ok(Config::default()),
            Some(Value::Object(spec)) => Config::from_map(spec).map_err(|e| format!("{CONFIG_KIND} spec: {e}")),
            Some(other) => Err(format!("{CONFIG_KIND}: spec must be a map, got {other}")),
        }
    }

    /// A KRM `functionConfig`: absent, a `BindingResolver`, or a ConfigMap (kpt's
    /// `function-input`, made from `kpt fn eval … -- key=value` or a Kptfile `configMap:`).
    pub fn from_function_config(fc: &Value) -> Result<Config, String> {
        let Some(map) = fc.as_object() else {
            return match fc {
                Value::Null => Ok(Config::default()),
                other => Err(format!("functionConfig must be a map, got {other}")),
            };
        };
        if map.is_empty() {
            return Ok(Config::default());
        }
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
        match (group_of(api_version), kind) {
            (CONFIG_GROUP, CONFIG_KIND) => Config::from_resolver(fc),
            ("", "ConfigMap") if version_of(api_version) == "v1" => match map.get("data") {
                None | Some(Value::Null) => Ok(Config::default()),
                Some(Value::Object(data)) => Config::from_map(data).map_err(|e| format!("functionConfig ConfigMap data: {e}")),
                Some(other) => Err(format!("functionConfig ConfigMap data must be a map, got {other}")),
            },
            _ => Err(format!(
                "unsupported functionConfig {api_version}/{kind} (expected {CONFIG_API_VERSION} {CONFIG_KIND} or a v1 ConfigMap)"
            )),
        }
    }

    /// Command-line flags: only what was given.
    pub fn from_args(args: &FunctionArgs) -> Config {
        Config {
            namespace: args.namespace.clone(),
            keep_bindings: args.keep_bindings.then_some(true),
            drop_mappings: args.drop_mappings.then_some(true),
            default_mappings: args.no_default_mappings.then_some(false),
            deny_secret_copies: args.deny_secret_copies.then_some(true),
            fail_on: args.fail_on,
        }
    }
}

/// Flags of the host modes (same meaning as `bindery render`'s); they override the
/// functionConfig or plugin config.
#[derive(Debug, Clone, Default, Args)]
pub struct FunctionArgs {
    /// Namespace of resources that do not set one [default: default].
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Also emit the ServiceBinding documents (by default they are consumed).
    #[arg(long)]
    pub keep_bindings: bool,
    /// Also consume ClusterWorkloadResourceMapping documents.
    #[arg(long)]
    pub drop_mappings: bool,
    /// Do not assume the runtime's cronjobs.batch ClusterWorkloadResourceMapping.
    #[arg(long)]
    pub no_default_mappings: bool,
    /// Fail instead of warning when a Service Binding Operator binding forces Secret values to
    /// be copied into a generated Secret.
    #[arg(long)]
    pub deny_secret_copies: bool,
    /// Fail on warnings too, not only on errors.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

/// `bindery kustomize-plugin [CONFIG]`: the kustomize legacy exec plugin.
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// The plugin config file kustomize passes (default: $KUSTOMIZE_PLUGIN_CONFIG_STRING).
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub flags: FunctionArgs,
}

/// A bare `bindery [FLAGS]`: how kpt and kustomize run an exec KRM function.
#[derive(Debug, Parser)]
#[command(name = "bindery", about = "Resolve Kubernetes Service Bindings offline (filter mode: stdin to stdout)")]
struct FilterCli {
    #[command(flatten)]
    flags: FunctionArgs,
}

/// The legacy plugin executable installed as `…/bindingresolver/BindingResolver`.
#[derive(Debug, Parser)]
#[command(name = LEGACY_PLUGIN_NAME, about = "bindery as a kustomize legacy exec plugin")]
struct PluginCli {
    #[command(flatten)]
    args: PluginArgs,
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// What a host run prints, and its exit status.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

impl Outcome {
    fn bad_input(message: impl AsRef<str>) -> Self {
        Outcome { stdout: String::new(), stderr: format!("bindery: error: {}\n", message.as_ref()), code: EXIT_BAD_INPUT }
    }

    pub fn finish(self) -> ExitCode {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(self.stderr.as_bytes());
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(self.stdout.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                let _ = err.write_all(format!("bindery: cannot write to stdout: {e}\n").as_bytes());
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        }
        ExitCode::from(self.code)
    }
}

/// Called first by [`crate::cli::main`]: runs the invocations that have no subcommand.
///
/// * argv\[0\] named `BindingResolver` (the binary installed, or symlinked, as the kustomize
///   legacy plugin): the plugin, config file in argv\[1\];
/// * no arguments with stdin not a terminal, or only flags: the filter (KRM function).
///
/// Returns `None` when the ordinary command line applies.
pub fn intercept() -> Option<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args.first().map(Path::new).and_then(Path::file_name).and_then(|n| n.to_str());
    if argv0 == Some(LEGACY_PLUGIN_NAME) {
        return Some(match PluginCli::try_parse_from(&args) {
            Ok(cli) => run_plugin(&cli.args),
            Err(e) => clap_exit(&e),
        });
    }
    match args.get(1).and_then(|a| a.to_str()) {
        None if std::io::stdin().is_terminal() => None,
        None => Some(run_filter(&FunctionArgs::default())),
        Some("-h" | "--help" | "-V" | "--version") => None,
        Some(flag) if flag.starts_with('-') && flag != "-" => Some(match FilterCli::try_parse_from(&args) {
            Ok(cli) => run_filter(&cli.flags),
            Err(e) => clap_exit(&e),
        }),
        _ => None,
    }
}

fn clap_exit(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(if e.use_stderr() { EXIT_BAD_INPUT } else { 0 })
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(load::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(bytes)
}

/// `bindery` / `bindery krm`: a ResourceList in, a ResourceList out; a plain stream in, a plain
/// stream out.
pub fn run_filter(flags: &FunctionArgs) -> ExitCode {
    match read_stdin() {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            Outcome::bad_input("nothing on standard input: expected a ResourceList or a YAML stream (see bindery --help)").finish()
        }
        Ok(bytes) => filter(bytes, &Config::default(), &Config::from_args(flags), true).finish(),
        Err(e) => Outcome::bad_input(e).finish(),
    }
}

/// `bindery kustomize-plugin CONFIG`: kustomize's legacy exec plugin protocol.
pub fn run_plugin(args: &PluginArgs) -> ExitCode {
    let config = match plugin_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return Outcome::bad_input(e).finish(),
    };
    match read_stdin() {
        // Line numbers in kustomize's internal stream mean nothing to the user: name resources.
        Ok(bytes) => filter(bytes, &config, &Config::from_args(&args.flags), false).finish(),
        Err(e) => Outcome::bad_input(e).finish(),
    }
}

/// The plugin config: the file kustomize names in argv\[1\], else the same text from
/// `KUSTOMIZE_PLUGIN_CONFIG_STRING`. It must be one `BindingResolver`.
fn plugin_config(path: Option<&Path>) -> Result<Config, String> {
    let (label, text) = match path {
        Some(p) => {
            (p.display().to_string(), std::fs::read_to_string(p).map_err(|e| format!("cannot read plugin config {}: {e}", p.display()))?)
        }
        None => match std::env::var("KUSTOMIZE_PLUGIN_CONFIG_STRING") {
            Ok(s) => ("$KUSTOMIZE_PLUGIN_CONFIG_STRING".to_string(), s),
            Err(_) => return Err("kustomize-plugin: no config file given and KUSTOMIZE_PLUGIN_CONFIG_STRING is not set".to_string()),
        },
    };
    let (_, docs) = load::parse_file(PathBuf::from(&label), PathBuf::from(&label), text.into_bytes()).map_err(|e| e.to_string())?;
    match docs.as_slice() {
        [doc] if group_of(doc.api_version()) == CONFIG_GROUP && doc.kind() == CONFIG_KIND => {
            Config::from_resolver(&doc.value).map_err(|e| format!("{label}: {e}"))
        }
        _ => Err(format!("{label}: expected one {CONFIG_API_VERSION} {CONFIG_KIND} document")),
    }
}

/// Process stdin: a ResourceList or a plain stream. `base` is the plugin config (layered under
/// a functionConfig), `flags` the command line (layered over everything). `lines`: diagnostics
/// about a plain stream give `<stdin>:LINE` (else the resource's kind and name).
pub fn filter(bytes: Vec<u8>, base: &Config, flags: &Config, lines: bool) -> Outcome {
    let (file, docs) = match load::parse_file(PathBuf::from("<stdin>"), PathBuf::from("stdin.yaml"), bytes) {
        Ok(parsed) => parsed,
        Err(e) => return Outcome::bad_input(e.to_string()),
    };
    let lists = docs.iter().filter(|d| is_resource_list(&d.value)).count();
    match (lists, docs.len()) {
        (0, _) => process_stream(file, docs, &base.clone().then(flags.clone()), lines),
        (1, 1) => process_resource_list(&docs[0].value, base, flags),
        _ => Outcome::bad_input("standard input holds a ResourceList and other documents; expected exactly one ResourceList"),
    }
}

fn is_resource_list(v: &Value) -> bool {
    let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    group_of(api_version) == "config.kubernetes.io" && v.get("kind").and_then(Value::as_str) == Some("ResourceList")
}

// ---------------------------------------------------------------------------------------------
// Roles and output
// ---------------------------------------------------------------------------------------------

/// How one input item takes part in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not a resource, or configuration: untouched, not seen by the resolver.
    Pass,
    /// A local-config binding or mapping: read by the resolver, untouched in the output.
    LocalInput,
    /// A resource: rendered.
    Input,
}

fn annotation<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.pointer("/metadata/annotations").and_then(|a| a.get(key))
}

/// `config.kubernetes.io/local-config: "true"` (or a YAML boolean true).
pub fn is_local_config(v: &Value) -> bool {
    match annotation(v, LOCAL_CONFIG) {
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

/// bindery's own configuration, a Kptfile, a kustomization: configuration of the tools, never
/// cluster resources, whatever their annotations say.
pub fn is_tool_config(v: &Value) -> bool {
    let api_version = v.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    matches!(
        (group_of(api_version), kind),
        (CONFIG_GROUP, _) | ("kpt.dev", "Kptfile") | ("kustomize.config.k8s.io", _) | ("config.kubernetes.io", _)
    )
}

/// The role of a document (see the module documentation).
pub fn role_of(doc: &Document) -> Role {
    let v = &doc.value;
    let is_resource = v.as_object().is_some_and(|m| {
        let s = |k: &str| m.get(k).and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        s("apiVersion") && s("kind")
    });
    if !is_resource || doc.kind() == "List" || is_tool_config(v) {
        return Role::Pass;
    }
    if is_local_config(v) {
        return if classify(doc).is_some() { Role::LocalInput } else { Role::Pass };
    }
    Role::Input
}

/// One run over a list of documents: which ones the resolver saw, and its result.
pub struct HostRun {
    pub originals: Vec<Value>,
    /// Per original document: its role and, for resolver inputs, its [`DocId`] in `rendered`.
    pub slots: Vec<(Role, Option<DocId>)>,
    pub rendered: Rendered,
    pub settings: Settings,
}

impl HostRun {
    /// Render `documents` (in order) with `settings`; pass-through documents are set aside.
    pub fn new(files: Vec<Arc<SourceFile>>, documents: Vec<Document>, settings: Settings) -> Self {
        let mut inputs = Vec::new();
        let mut slots = Vec::with_capacity(documents.len());
        let originals = documents.iter().map(|d| d.value.clone()).collect();
        for doc in documents {
            let role = role_of(&doc);
            if role == Role::Pass {
                slots.push((role, None));
            } else {
                slots.push((role, Some(inputs.len())));
                inputs.push(doc);
            }
        }
        let rendered = crate::render(Loaded { files, documents: inputs }, &settings.options);
        HostRun { originals, slots, rendered, settings }
    }

    pub fn has_errors(&self) -> bool {
        self.rendered.problems().iter().any(Problem::is_error)
    }

    /// Errors, or warnings when `failOn: warning`, or no output.
    pub fn failed(&self) -> bool {
        self.rendered.output.is_none()
            || self.has_errors()
            || (self.settings.fail_on == FailOn::Warning && self.rendered.problems().iter().any(|p| p.severity != Severity::Notice))
    }

    /// The output documents, in input order, followed by documents the render created. With
    /// `keep_config`, pass-through and local-config documents are kept (kpt and kustomize need
    /// them back); without, they are dropped (Argo CD applies everything it is given). With
    /// `place_new`, created documents get kpt path annotations (ResourceList runs only).
    /// `None` when the run failed.
    pub fn output(&self, keep_config: bool, place_new: bool) -> Option<Vec<Value>> {
        if self.failed() {
            return None;
        }
        self.rendered.output.as_ref()?;
        let res = &self.rendered.resolution;
        let docs = &self.rendered.loaded.documents;
        let mut out = Vec::new();
        // Where each input came out in `out` (its workloads are projected once, here).
        let mut at: Vec<Option<usize>> = vec![None; docs.len()];
        for (original, (role, id)) in self.originals.iter().zip(&self.slots) {
            match (role, id) {
                (Role::Pass | Role::LocalInput, _) => {
                    if keep_config {
                        out.push(original.clone());
                    }
                }
                (Role::Input, Some(id)) => {
                    if res.replaced.contains(id)
                        || (res.consumed.contains(id) && !self.settings.keep_bindings)
                        || (res.mappings.contains(id) && self.settings.drop_mappings)
                    {
                        continue;
                    }
                    if let Some(v) = self.rendered.output_value(*id) {
                        at[*id] = Some(out.len());
                        out.push(v.into_owned());
                    }
                }
                (Role::Input, None) => unreachable!("inputs have an id"),
            }
        }
        let rendered = |id: DocId| match at[id] {
            Some(i) => Some(Cow::Borrowed(&out[i])),
            None => self.rendered.output_value(id),
        };
        let mut created = Vec::new();
        for (binding, generated) in &res.generated {
            let mut new = generated.clone();
            // Generated again with the same identity as an input an earlier run generated:
            // keep that input's place (kpt path, index and ids).
            let same = res.replaced.iter().map(|&id| &docs[id]).find(|d| same_identity(&d.value, generated));
            if let Some(old) = same {
                copy_host_annotations(&old.value, &mut new);
            }
            if place_new {
                place_new_item(&mut new, &self.anchors(*binding), rendered);
            }
            created.push(new);
        }
        out.extend(created);
        Some(out)
    }

    /// For a document generated for `binding`: the kpt paths of the bound workloads, then of
    /// the binding itself; it is written next to the first workload that refers to it.
    fn anchors(&self, binding: DocId) -> Vec<(DocId, String)> {
        let docs = &self.rendered.loaded.documents;
        let res = &self.rendered.resolution;
        let path_of = |id: DocId| annotation(&docs[id].value, PATH_ANNOTATION).and_then(Value::as_str).map(str::to_string);
        let mut anchors: Vec<(DocId, String)> =
            res.workloads.keys().chain(res.operator_workloads.keys()).filter_map(|&id| path_of(id).map(|p| (id, p))).collect();
        anchors.extend(path_of(binding).map(|p| (binding, p)));
        anchors
    }
}

fn same_identity(a: &Value, b: &Value) -> bool {
    ["/apiVersion", "/kind", "/metadata/namespace", "/metadata/name"].iter().all(|p| a.pointer(p) == b.pointer(p))
}

/// Copy the host's bookkeeping annotations (`config.kubernetes.io/*`,
/// `internal.config.kubernetes.io/*`, `config.k8s.io/id`, `kustomize.config.k8s.io/*`).
fn copy_host_annotations(from: &Value, to: &mut Value) {
    let Some(Value::Object(src)) = from.pointer("/metadata/annotations") else { return };
    let host: Vec<(String, Value)> = src
        .iter()
        .filter(|(k, _)| {
            k.starts_with("config.kubernetes.io/")
                || k.starts_with("internal.config.kubernetes.io/")
                || k.starts_with("kustomize.config.k8s.io/")
                || *k == "config.k8s.io/id"
        })
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if host.is_empty() {
        return;
    }
    let Some(obj) = to.as_object_mut() else { return };
    let Some(meta) = obj.entry("metadata").or_insert_with(|| json!({})).as_object_mut() else { return };
    let Some(ann) = meta.entry("annotations").or_insert_with(|| json!({})).as_object_mut() else { return };
    for (k, v) in host {
        ann.entry(k).or_insert(v);
    }
}

fn mentions(v: &Value, name: &str) -> bool {
    match v {
        Value::String(s) => s == name,
        Value::Array(a) => a.iter().any(|x| mentions(x, name)),
        Value::Object(m) => m.values().any(|x| mentions(x, name)),
        _ => false,
    }
}

/// Give a created item the path annotations kpt needs to write it (unless it has them): in the
/// directory of the first anchor whose rendered value names it (else of the first anchor, else
/// the package root), in `<kind>_<name>.yaml` as kpt names files itself.
pub fn place_new_item<'a>(item: &mut Value, anchors: &[(DocId, String)], rendered: impl Fn(DocId) -> Option<Cow<'a, Value>>) {
    if annotation(item, PATH_ANNOTATION).is_some() {
        return;
    }
    let name = item.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("").to_string();
    let kind = item.get("kind").and_then(Value::as_str).unwrap_or("resource").to_ascii_lowercase();
    let anchor = anchors.iter().find(|(id, _)| !name.is_empty() && rendered(*id).is_some_and(|v| mentions(&v, &name))).or(anchors.first());
    let dir = anchor.and_then(|(_, p)| Path::new(p).parent()).map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
    let file = format!("{kind}_{name}.yaml");
    let path = if dir.is_empty() { file } else { format!("{dir}/{file}") };
    let Some(obj) = item.as_object_mut() else { return };
    let meta = obj.entry("metadata").or_insert_with(|| json!({}));
    let Some(meta) = meta.as_object_mut() else { return };
    let ann = meta.entry("annotations").or_insert_with(|| json!({}));
    let Some(ann) = ann.as_object_mut() else { return };
    for (k, v) in [
        (PATH_ANNOTATION, path.as_str()),
        (INTERNAL_PATH_ANNOTATION, path.as_str()),
        (INDEX_ANNOTATION, "0"),
        (INTERNAL_INDEX_ANNOTATION, "0"),
    ] {
        ann.entry(k).or_insert_with(|| Value::from(v));
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Notice => "info",
    }
}

/// The message of a problem without its location: `[Rule] ServiceBinding ns/name: cause`.
pub fn problem_message(p: &Problem) -> String {
    let mut s = format!("[{}] ", p.rule);
    if let Some(b) = &p.binding {
        s.push_str(&format!("ServiceBinding {b}: "));
    }
    s.push_str(&p.message);
    s
}

/// The summary line printed last on failure.
pub fn failure_summary(run: &HostRun) -> String {
    let problems = run.rendered.problems();
    let errors = problems.iter().filter(|p| p.is_error()).count();
    if errors > 0 {
        format!("bindery: {errors} error(s); nothing rendered\n")
    } else {
        format!("bindery: {} warning(s) and failOn is warning; nothing rendered\n", problems.len())
    }
}

// ---------------------------------------------------------------------------------------------
// Plain streams (legacy plugin, filter)
// ---------------------------------------------------------------------------------------------

/// One diagnostic line: `file:line: error[Rule]: …`, or without lines
/// `error[Rule]: ServiceBinding ns/name: …` (`Kind ns/name: error[Rule]: …` when the problem is
/// not about a binding).
pub fn problem_line(p: &Problem, docs: &[Document], lines: bool) -> String {
    if lines {
        return p.one_line();
    }
    let mut s = String::new();
    if p.binding.is_none() {
        let doc = p
            .location
            .as_ref()
            .and_then(|l| docs.iter().find(|d| Arc::ptr_eq(&d.file, &l.file) && (d.line..=d.end_line.max(d.line)).contains(&l.line)));
        if let Some(d) = doc {
            let ns = d.value.pointer("/metadata/namespace").and_then(Value::as_str);
            let name = ns.map_or_else(|| d.name().to_string(), |ns| format!("{ns}/{}", d.name()));
            s.push_str(&format!("{} {name}: ", d.kind()));
        }
    }
    s.push_str(&format!("{}[{}]: ", severity_word(p.severity), p.rule));
    if let Some(b) = &p.binding {
        s.push_str(&format!("ServiceBinding {b}: "));
    }
    s.push_str(&p.message);
    s
}

fn process_stream(file: Arc<SourceFile>, docs: Vec<Document>, config: &Config, lines: bool) -> Outcome {
    let run = HostRun::new(vec![file], docs, config.settings());
    let mut stderr = String::new();
    for p in run.rendered.problems() {
        stderr.push_str(&problem_line(p, &run.rendered.loaded.documents, lines));
        stderr.push('\n');
        if let Some(h) = &p.help {
            stderr.push_str(&format!("  help: {h}\n"));
        }
    }
    match run.output(true, false) {
        Some(values) => Outcome { stdout: stream(&values), stderr, code: 0 },
        None => {
            stderr.push_str(&failure_summary(&run));
            Outcome { stdout: String::new(), stderr, code: EXIT_UNRESOLVED }
        }
    }
}

/// Values as one `---`-separated YAML stream.
pub fn stream(values: &[Value]) -> String {
    let mut out = String::new();
    for v in values {
        out.push_str("---\n");
        out.push_str(&crate::emit::to_yaml(v));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// ResourceList
// ---------------------------------------------------------------------------------------------

/// Where an item came from, for messages: its kpt path (and index), else its position.
fn item_label(i: usize, item: &Value) -> String {
    let path = annotation(item, PATH_ANNOTATION).and_then(Value::as_str);
    let index = annotation(item, INDEX_ANNOTATION).and_then(|v| match v {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    match (path, index.as_deref()) {
        (Some(p), None | Some("0")) => p.to_string(),
        (Some(p), Some(ix)) => format!("{p}#{ix}"),
        (None, _) => format!("items[{i}]"),
    }
}

fn resource_ref(item: &Value) -> Value {
    let mut r = Map::new();
    for (field, pointer) in
        [("apiVersion", "/apiVersion"), ("kind", "/kind"), ("name", "/metadata/name"), ("namespace", "/metadata/namespace")]
    {
        if let Some(s) = item.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            r.insert(field, Value::from(s));
        }
    }
    Value::Object(r)
}

fn file_ref(item: &Value) -> Option<Value> {
    let path = annotation(item, PATH_ANNOTATION).and_then(Value::as_str)?;
    let mut f = Map::new();
    f.insert("path", Value::from(path));
    let index = annotation(item, INDEX_ANNOTATION).and_then(|v| match v {
        Value::String(s) => s.parse::<u64>().ok(),
        other => other.as_u64(),
    });
    if let Some(i) = index {
        f.insert("index", Value::from(i));
    }
    Some(Value::Object(f))
}

/// One functions-spec result for a problem (on `item` when the problem is about one).
pub fn result_of(p: &Problem, item: Option<&Value>) -> Value {
    let mut message = problem_message(p);
    if let Some(h) = &p.help {
        message.push_str(&format!(" (help: {h})"));
    }
    let mut r = Map::new();
    r.insert("message", Value::from(message));
    r.insert("severity", Value::String(severity_word(p.severity).into()));
    if let Some(item) = item {
        r.insert("resourceRef", resource_ref(item));
        if let Some(f) = file_ref(item) {
            r.insert("file", f);
        }
    }
    r.insert("tags", json!({ "bindery.dev/rule": p.rule }));
    Value::Object(r)
}

fn resource_list(input: &Map, items: Vec<Value>, results: Vec<Value>) -> String {
    let mut out = Map::new();
    out.insert("apiVersion", input.get("apiVersion").cloned().unwrap_or_else(|| "config.kubernetes.io/v1".into()));
    out.insert("kind", "ResourceList".into());
    out.insert("items", Value::Array(items));
    if let Some(fc) = input.get("functionConfig").filter(|v| !v.is_null()) {
        out.insert("functionConfig", fc.clone());
    }
    if !results.is_empty() {
        out.insert("results", Value::Array(results));
    }
    crate::emit::to_yaml(&Value::Object(out))
}

/// A ResourceList in, a ResourceList out (see the module documentation).
pub fn process_resource_list(list: &Value, base: &Config, flags: &Config) -> Outcome {
    let Some(input) = list.as_object() else {
        return Outcome::bad_input("ResourceList must be a map");
    };
    let items: Vec<Value> = match input.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(other) => return Outcome::bad_input(format!("ResourceList items must be a list, got {other}")),
    };
    let fc = input.get("functionConfig").cloned().unwrap_or(Value::Null);
    let config = match Config::from_function_config(&fc) {
        Ok(c) => base.clone().then(c).then(flags.clone()),
        Err(e) => {
            let result = json!({"message": format!("[InvalidConfig] {e}"), "severity": "error"});
            return Outcome {
                stdout: resource_list(input, items, vec![result]),
                stderr: format!("bindery: error: {e}\n"),
                code: EXIT_BAD_INPUT,
            };
        }
    };
    // One synthetic source file per item, so that a problem's location names its item.
    let mut files = Vec::with_capacity(items.len());
    let mut documents = Vec::with_capacity(items.len());
    let mut item_of_file: HashMap<*const SourceFile, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let label = item_label(i, item);
        let text = crate::emit::to_yaml(item);
        let end_line = text.lines().count().max(1);
        let file = Arc::new(SourceFile::new(PathBuf::from(&label), PathBuf::from(&label), text));
        item_of_file.insert(Arc::as_ptr(&file), i);
        documents.push(Document { file: file.clone(), line: 1, end_line, value: item.clone() });
        files.push(file);
    }
    let run = HostRun::new(files, documents, config.settings());
    let mut stderr = String::new();
    let mut results = Vec::new();
    for p in run.rendered.problems() {
        let item = p.location.as_ref().and_then(|l| item_of_file.get(&Arc::as_ptr(&l.file))).map(|&i| &items[i]);
        results.push(result_of(p, item));
        let place = p.location.as_ref().map(|l| format!("{}: ", l.file.display())).unwrap_or_default();
        stderr.push_str(&format!("{place}{}: {}\n", severity_word(p.severity), problem_message(p)));
        if let Some(h) = &p.help {
            stderr.push_str(&format!("  help: {h}\n"));
        }
    }
    match run.output(true, true) {
        Some(out) => Outcome { stdout: resource_list(input, out, results), stderr, code: 0 },
        None => {
            stderr.push_str(&failure_summary(&run));
            // Fail closed: the items go back unchanged; hosts discard them on a non-zero exit
            // but read the results.
            Outcome { stdout: resource_list(input, items, results), stderr, code: EXIT_UNRESOLVED }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        let (_, docs) = load::parse_file("t.yaml".into(), "t.yaml".into(), text.as_bytes().to_vec()).unwrap();
        docs[0].value.clone()
    }

    fn out_list(o: &Outcome) -> Value {
        parse(&o.stdout)
    }

    const ITEMS: &str = r#"
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: Secret
  metadata:
    name: db
    annotations: {config.kubernetes.io/path: db.yaml, config.kubernetes.io/index: '0', internal.config.kubernetes.io/seqindent: compact}
  stringData: {type: example-db, host: db.internal}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: app
    annotations: {config.kubernetes.io/path: app/deploy.yaml, config.kubernetes.io/index: '0', kustomize.config.k8s.io/id: "kind: Deployment\n"}
  spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
- apiVersion: servicebinding.io/v1
  kind: ServiceBinding
  metadata:
    name: db
    annotations: {config.kubernetes.io/path: binding.yaml, config.kubernetes.io/index: '1'}
  spec:
    service: {apiVersion: v1, kind: Secret, name: db}
    workload: {apiVersion: apps/v1, kind: Deployment, name: app}
    env: [{name: DB_HOST, key: host}]
- resources: [a.yaml]
  metadata: {annotations: {config.kubernetes.io/path: kustomization.yaml}}
- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata: {name: app, annotations: {config.kubernetes.io/local-config: "true"}}
"#;

    #[test]
    fn resource_list_round_trip_keeps_annotations_and_config_items() {
        let o = filter(ITEMS.as_bytes().to_vec(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let list = out_list(&o);
        assert_eq!(list["kind"], "ResourceList");
        let items = list["items"].as_array().unwrap();
        let kinds: Vec<_> = items.iter().map(|i| i["kind"].as_str().unwrap_or("-")).collect();
        assert_eq!(kinds, ["Secret", "Deployment", "-", "Kptfile"], "binding consumed, config kept");
        let dep = &items[1];
        assert_eq!(dep["metadata"]["annotations"]["config.kubernetes.io/path"], "app/deploy.yaml");
        assert_eq!(dep["metadata"]["annotations"]["kustomize.config.k8s.io/id"], "kind: Deployment\n");
        let env = &dep["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[1]["valueFrom"]["secretKeyRef"]["name"], "db");
        assert_eq!(items[0]["metadata"]["annotations"]["internal.config.kubernetes.io/seqindent"], "compact");
        assert_eq!(items[2]["resources"][0], "a.yaml");
        assert!(list.get("results").is_none());
    }

    #[test]
    fn function_config_options_and_flags_layer() {
        let with_fc = format!("{ITEMS}functionConfig: {{apiVersion: v1, kind: ConfigMap, metadata: {{name: function-input}}, data: {{keepBindings: 'true'}}}}\n");
        let o = filter(with_fc.into_bytes(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let list = out_list(&o);
        assert_eq!(list["items"].as_array().unwrap().len(), 5, "binding kept");
        assert_eq!(list["functionConfig"]["data"]["keepBindings"], "true", "functionConfig echoed");

        let fc = parse("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: r}\nspec: {namespace: shop, keepBindings: true, failOn: warning}\n");
        let c = Config::from_function_config(&fc).unwrap();
        assert_eq!(c.namespace.as_deref(), Some("shop"));
        let flags = Config { namespace: Some("other".into()), ..Config::default() };
        let s = c.then(flags).settings();
        assert_eq!(s.options.default_namespace, "other");
        assert!(s.keep_bindings);
        assert_eq!(s.fail_on, FailOn::Warning);
    }

    #[test]
    fn bad_function_config_is_bad_input_with_a_result() {
        let bad =
            format!("{ITEMS}functionConfig: {{apiVersion: bindery.dev/v1alpha1, kind: BindingResolver, spec: {{keepBinding: true}}}}\n");
        let o = filter(bad.into_bytes(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stderr.contains("keepBinding"), "{}", o.stderr);
        let list = out_list(&o);
        assert_eq!(list["results"][0]["severity"], "error");
        assert_eq!(list["items"].as_array().unwrap().len(), 5, "items unchanged");
        let other = Config::from_function_config(&parse("apiVersion: apps/v1\nkind: Deployment\n")).unwrap_err();
        assert!(other.contains("unsupported functionConfig"), "{other}");
    }

    #[test]
    fn errors_become_results_with_resource_ref_and_file_and_exit_1() {
        let broken = ITEMS.replace("key: host", "key: port");
        let o = filter(broken.into_bytes(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, EXIT_UNRESOLVED);
        assert!(o.stderr.contains("binding.yaml#1: error: [EnvKeyNotFound]"), "{}", o.stderr);
        assert!(!o.stderr.contains("db.internal"), "no secret values: {}", o.stderr);
        let list = out_list(&o);
        let r = &list["results"][0];
        assert_eq!(r["severity"], "error");
        assert_eq!(r["resourceRef"]["kind"], "ServiceBinding");
        assert_eq!(r["resourceRef"]["name"], "db");
        assert_eq!(r["file"]["path"], "binding.yaml");
        assert_eq!(r["file"]["index"], 1);
        assert_eq!(r["tags"]["bindery.dev/rule"], "EnvKeyNotFound");
        let items = list["items"].as_array().unwrap();
        assert!(items[1]["spec"]["template"]["spec"]["containers"][0].get("env").is_none(), "fail closed");
    }

    #[test]
    fn local_config_bindings_are_read_but_kept_untouched() {
        let local = ITEMS.replace(
            "annotations: {config.kubernetes.io/path: binding.yaml,",
            "annotations: {config.kubernetes.io/local-config: 'true', config.kubernetes.io/path: binding.yaml,",
        );
        let o = filter(local.into_bytes(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let items = out_list(&o)["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 5);
        assert_eq!(items[2]["kind"], "ServiceBinding");
        assert_eq!(items[1]["spec"]["template"]["spec"]["containers"][0]["env"][1]["name"], "DB_HOST");
    }

    #[test]
    fn plain_stream_in_plain_stream_out() {
        let text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: pg, host: h}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app, annotations: {kustomize.config.k8s.io/id: x}}\nspec: {template: {spec: {containers: [{name: web}]}}}\n---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n";
        let o = filter(text.as_bytes().to_vec(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.starts_with("---\napiVersion: v1\nkind: Secret"), "{}", o.stdout);
        assert!(!o.stdout.contains("ServiceBinding"));
        assert!(o.stdout.contains("kustomize.config.k8s.io/id: x"));
        let keep = Config { keep_bindings: Some(true), ..Config::default() };
        let o = filter(text.as_bytes().to_vec(), &keep, &Config::default(), true);
        assert!(o.stdout.contains("kind: ServiceBinding"));
        let broken = text.replace("name: db}\nspec:", "name: db}\nspec:\n  env: [{name: X, key: nope}]");
        let o = filter(broken.into_bytes(), &Config::default(), &Config::default(), true);
        assert_eq!(o.code, EXIT_UNRESOLVED);
        assert!(o.stdout.is_empty());
        assert!(o.stderr.contains("<stdin>:"), "{}", o.stderr);
    }

    #[test]
    fn new_items_are_placed_next_to_the_workload_that_names_them() {
        let rendered =
            [json!({"kind": "Deployment", "spec": {"x": [{"secretRef": {"name": "gen"}}]}}), json!({"kind": "Deployment", "spec": {}})];
        let anchors = vec![(1, "other/b.yaml".to_string()), (0, "apps/web/deploy.yaml".to_string())];
        let rendered = |id: DocId| rendered.get(id).map(Cow::Borrowed);
        let mut new = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "gen"}});
        place_new_item(&mut new, &anchors, rendered);
        assert_eq!(new["metadata"]["annotations"][PATH_ANNOTATION], "apps/web/secret_gen.yaml");
        assert_eq!(new["metadata"]["annotations"][INTERNAL_PATH_ANNOTATION], "apps/web/secret_gen.yaml");
        let mut other = json!({"kind": "ConfigMap", "metadata": {"name": "x"}});
        place_new_item(&mut other, &anchors, rendered);
        assert_eq!(other["metadata"]["annotations"][PATH_ANNOTATION], "other/configmap_x.yaml");
        let mut root = json!({"kind": "ConfigMap", "metadata": {"name": "y"}});
        place_new_item(&mut root, &[], rendered);
        assert_eq!(root["metadata"]["annotations"][PATH_ANNOTATION], "configmap_y.yaml");
    }

    #[test]
    fn config_keys_in_any_spelling_unknown_keys_refused() {
        let mut c = Config::default();
        c.set("keep-bindings", &json!("true")).unwrap();
        c.set("NO_DEFAULT_MAPPINGS", &json!("true")).unwrap();
        c.set("fail-on", &json!("warning")).unwrap();
        c.set("denySecretCopies", &json!(true)).unwrap();
        assert!(c.settings().options.deny_secret_copies);
        assert_eq!(c.keep_bindings, Some(true));
        assert_eq!(c.default_mappings, Some(false));
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert!(c.set("namespace", &json!("Not_Valid")).is_err());
        assert!(c.set("keepBindings", &json!("maybe")).is_err());
        assert!(c.set("colour", &json!("red")).unwrap_err().contains("accepted"));
    }
}
