//! `bindery render` end to end: the binary is run on the example folders in `fixtures/` and on
//! small inputs written to temporary directories, and its exit status, output and diagnostics
//! are checked as a user (or a GitOps tool) would see them.
//!
//! Output is compared as parsed YAML, never as text, except in the insta snapshots
//! (`tests/cli/snapshots/`) and where two outputs of bindery are compared with each other.

use std::ffi::OsStr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use base64::Engine;
use serde_json::Value;

use crate::common;

/// A render that takes longer than this is a hang (or an exponential blow-up): kill it and fail.
const TIMEOUT: Duration = Duration::from_secs(20);

use common::{tempdir, try_parse_stream, write, INVALID_FIXTURES, VALID_FIXTURES};

// ---------------------------------------------------------------------------------------------
// Running bindery
// ---------------------------------------------------------------------------------------------

/// One finished run of `bindery render …`.
struct Run {
    command: String,
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout(&self) -> &str {
        std::str::from_utf8(&self.stdout).expect("stdout is UTF-8")
    }

    /// The output stream, one JSON value per YAML document.
    fn docs(&self) -> Vec<Value> {
        try_parse_stream(self.stdout()).unwrap_or_else(|e| panic!("`{}` printed invalid YAML: {e}", self.command))
    }

    #[track_caller]
    fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "`{}` should succeed; stderr:\n{}", self.command, self.stderr);
        assert!(!self.stdout.is_empty(), "`{}` printed nothing", self.command);
        self.assert_no_panic();
        self
    }

    /// Fail closed: the exit status is `code`, nothing at all is printed on stdout, and the
    /// failure is a diagnostic, not a crash.
    #[track_caller]
    fn assert_fails(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "`{}` should exit {code}; stderr:\n{}", self.command, self.stderr);
        assert!(self.stdout.is_empty(), "`{}` failed but printed to stdout:\n{}", self.command, String::from_utf8_lossy(&self.stdout));
        assert!(!self.stderr.trim().is_empty(), "`{}` failed without a diagnostic", self.command);
        self.assert_no_panic();
        self
    }

    #[track_caller]
    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "`{}` panicked:\n{}",
            self.command,
            self.stderr
        );
    }

    #[track_caller]
    fn assert_stderr_names(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(self.stderr.contains(needle), "stderr of `{}` should name {needle:?}:\n{}", self.command, self.stderr);
        }
        self
    }

    /// The diagnostics point at `file` (as given on the command line) at some line in `lines`.
    #[track_caller]
    fn assert_points_into(&self, file: &str, lines: RangeInclusive<usize>) -> &Self {
        let found = locations_in(&self.stderr, file);
        assert!(
            found.iter().any(|l| lines.contains(l)),
            "stderr of `{}` should point at {file}:{lines:?}, found {found:?}:\n{}",
            self.command,
            self.stderr
        );
        self
    }
}

/// Run `bindery render ARGS` from the crate root.
fn render<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(args, None)
}

/// Run `bindery render ARGS` with `input` on standard input.
fn render_stdin<I, S>(args: I, input: &[u8]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(args, Some(input))
}

fn run<I, S>(args: I, stdin: Option<&[u8]>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = common::bindery_command(["render"]);
    cmd.args(args);
    let out = common::run_raw(&mut cmd, stdin, TIMEOUT);
    Run { command: out.command, code: out.code, stdout: out.stdout, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

// ---------------------------------------------------------------------------------------------
// Reading inputs and outputs
// ---------------------------------------------------------------------------------------------

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A Kubernetes resource: string `apiVersion` and `kind`.
fn is_resource(v: &Value) -> bool {
    !str_at(v, "/apiVersion").is_empty() && !str_at(v, "/kind").is_empty()
}

fn kind(v: &Value) -> &str {
    str_at(v, "/kind")
}

/// `apiVersion kind namespace/name`, for comparing document lists and for messages.
fn identity(v: &Value) -> String {
    format!("{} {} {}/{}", str_at(v, "/apiVersion"), kind(v), str_at(v, "/metadata/namespace"), str_at(v, "/metadata/name"))
}

/// `*.yaml` and `*.yml` files under `dir`, relative to it, in bindery's order (sorted paths).
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    common::files_under(dir, &["yaml", "yml"]).into_iter().map(|p| p.strip_prefix(dir).expect("under dir").to_path_buf()).collect()
}

/// Every Kubernetes resource in a folder, in input order, with the file it came from.
fn input_resources(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    for rel in yaml_files(dir) {
        let text = std::fs::read_to_string(dir.join(&rel)).expect("read fixture");
        let docs = try_parse_stream(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", rel.display()));
        out.extend(docs.into_iter().filter(is_resource).map(|d| (rel.clone(), d)));
    }
    out
}

#[track_caller]
fn find<'a>(docs: &'a [Value], kind_: &str, name: &str) -> &'a Value {
    docs.iter().find(|d| kind(d) == kind_ && str_at(d, "/metadata/name") == name).unwrap_or_else(|| {
        let have: Vec<String> = docs.iter().map(identity).collect();
        panic!("no {kind_} {name:?} in the output; it has {have:#?}")
    })
}

/// The entry named `name` in the list at `pointer`.
#[track_caller]
fn item<'a>(v: &'a Value, pointer: &str, name: &str) -> &'a Value {
    let list = v.pointer(pointer).and_then(Value::as_array).unwrap_or_else(|| panic!("no list at {pointer} in {}", identity(v)));
    list.iter().find(|c| str_at(c, "/name") == name).unwrap_or_else(|| panic!("no {name:?} in {pointer} of {}", identity(v)))
}

fn list<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn env_named<'a>(container: &'a Value, name: &str) -> Vec<&'a Value> {
    list(container, "/env").iter().filter(|e| str_at(e, "/name") == name).collect()
}

/// The pod-template annotation a downward-API `fieldPath` reads.
#[track_caller]
fn annotation_read_by(field_path: &str) -> &str {
    field_path
        .strip_prefix("metadata.annotations['")
        .and_then(|s| s.strip_suffix("']"))
        .unwrap_or_else(|| panic!("{field_path:?} does not read a pod annotation"))
}

/// The one projected binding volume in a volume list; its name is `servicebinding-<UUIDv5>`.
#[track_caller]
fn binding_volume(volumes: &[Value]) -> &Value {
    let projected: Vec<&Value> = volumes.iter().filter(|v| str_at(v, "/name").starts_with("servicebinding-")).collect();
    assert_eq!(projected.len(), 1, "expected one servicebinding volume in {volumes:#?}");
    projected[0]
}

#[track_caller]
fn assert_uuid_v5_volume(name: &str) {
    let uid = name.strip_prefix("servicebinding-").unwrap_or_else(|| panic!("{name:?} is not a binding volume"));
    let uuid = uuid::Uuid::parse_str(uid).unwrap_or_else(|e| panic!("{name:?} does not end in a UUID: {e}"));
    assert_eq!(uuid.get_version_num(), 5, "{name:?}: expected a name-based (v5) UUID");
}

/// The container sees `$SERVICE_BINDING_ROOT=/bindings` (once) and the binding volume,
/// read-only, at `mount_path`.
#[track_caller]
fn assert_bound(container: &Value, volume: &str, mount_path: &str) {
    let who = str_at(container, "/name");
    let roots = env_named(container, "SERVICE_BINDING_ROOT");
    assert_eq!(roots.len(), 1, "container {who}: SERVICE_BINDING_ROOT once, got {roots:?}");
    assert_eq!(str_at(roots[0], "/value"), "/bindings", "container {who}");
    let mounts: Vec<&Value> = list(container, "/volumeMounts").iter().filter(|m| str_at(m, "/name") == volume).collect();
    assert_eq!(mounts.len(), 1, "container {who}: one mount of {volume}, got {mounts:?}");
    assert_eq!(str_at(mounts[0], "/mountPath"), mount_path, "container {who}");
    assert_eq!(mounts[0].get("readOnly"), Some(&Value::Bool(true)), "container {who}: mount must be read-only");
}

#[track_caller]
fn assert_not_bound(container: &Value) {
    let who = str_at(container, "/name");
    assert!(env_named(container, "SERVICE_BINDING_ROOT").is_empty(), "container {who} must not be bound");
    assert!(
        !list(container, "/volumeMounts").iter().any(|m| str_at(m, "/name").starts_with("servicebinding-")),
        "container {who} must not mount a binding"
    );
}

/// `var` is defined once, from `key` of Secret `secret`.
#[track_caller]
fn assert_secret_env(container: &Value, var: &str, secret: &str, key: &str) {
    let who = str_at(container, "/name");
    let entries = env_named(container, var);
    assert_eq!(entries.len(), 1, "container {who}: {var} once, got {entries:?}");
    assert_eq!(
        entries[0].pointer("/valueFrom/secretKeyRef"),
        Some(&serde_json::json!({"name": secret, "key": key})),
        "container {who}: {var}"
    );
}

/// 1-based number of the first line of `file` that contains `needle`.
#[track_caller]
fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(common::repo().join(file)).expect("read fixture");
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not in {file}")) + 1
}

/// Lines (1-based, inclusive) of the YAML document in `file` that contains `needle`.
#[track_caller]
fn document_lines(file: &str, needle: &str) -> RangeInclusive<usize> {
    let text = std::fs::read_to_string(common::repo().join(file)).expect("read fixture");
    let mut start = 1;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if *line == "---" {
            start = i + 2;
        }
        if line.contains(needle) {
            let end = lines[i..].iter().position(|l| *l == "---").map_or(lines.len(), |p| i + p);
            return start..=end;
        }
    }
    panic!("{needle:?} not in {file}")
}

/// Line numbers that stderr gives for `file` (as `file:LINE`).
fn locations_in(stderr: &str, file: &str) -> Vec<usize> {
    let pattern = format!("{file}:");
    stderr
        .match_indices(&pattern)
        .filter_map(|(i, _)| {
            let digits: String = stderr[i + pattern.len()..].chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// Copy a fixture into `to`, creating its files in the given order with the given mtimes.
fn copy_fixture(from: &Path, to: &Path, files: &[PathBuf], mtime: impl Fn(usize) -> SystemTime) {
    for (i, rel) in files.iter().enumerate() {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("create dir");
        std::fs::write(&dest, std::fs::read(from.join(rel)).expect("read fixture")).expect("write copy");
        let file = std::fs::File::options().write(true).open(&dest).expect("open copy");
        file.set_modified(mtime(i)).expect("set mtime");
    }
}

// ---------------------------------------------------------------------------------------------
// The valid fixtures render
// ---------------------------------------------------------------------------------------------

#[test]
fn postgres_provisioned_renders() {
    let run = render(["fixtures/postgres-provisioned"]);
    run.assert_ok();
    insta::assert_snapshot!("postgres_provisioned", run.stdout());
}

#[test]
fn direct_secret_selector_renders() {
    let run = render(["fixtures/direct-secret-selector"]);
    run.assert_ok();
    insta::assert_snapshot!("direct_secret_selector", run.stdout());
}

#[test]
fn cronjob_and_custom_workload_renders() {
    let run = render(["fixtures/cronjob-and-custom-workload"]);
    run.assert_ok();
    insta::assert_snapshot!("cronjob_and_custom_workload", run.stdout());
}

#[test]
fn valid_fixtures_render_without_diagnostics() {
    for fixture in VALID_FIXTURES {
        let run = render([fixture]);
        run.assert_ok();
        assert_eq!(run.stderr, "", "{fixture} should render silently");
    }
}

// ---------------------------------------------------------------------------------------------
// What the projection looks like
// ---------------------------------------------------------------------------------------------

#[test]
fn provisioned_service_is_projected_into_every_container_and_init_container() {
    let docs = render(["fixtures/postgres-provisioned"]).assert_ok().docs();
    let orders = find(&docs, "Deployment", "orders");
    let pod = orders.pointer("/spec/template").expect("pod template");

    // One projected volume of the Secret that the PostgresInstance names in .status.binding.name.
    let volume = binding_volume(list(pod, "/spec/volumes"));
    let volume_name = str_at(volume, "/name");
    assert_uuid_v5_volume(volume_name);
    assert_eq!(volume.pointer("/projected/sources"), Some(&serde_json::json!([{"secret": {"name": "orders-db-credentials"}}])));
    // The volume the Deployment already had is still there.
    assert_eq!(item(pod, "/spec/volumes", "tmp").get("emptyDir"), Some(&serde_json::json!({})));

    let env = [
        ("DATABASE_HOST", "host"),
        ("DATABASE_PORT", "port"),
        ("DATABASE_NAME", "database"),
        ("DATABASE_USER", "username"),
        ("DATABASE_PASSWORD", "password"),
    ];
    for (list_path, name) in [("/spec/initContainers", "migrate"), ("/spec/containers", "api"), ("/spec/containers", "outbox-relay")] {
        let container = item(pod, list_path, name);
        // spec.name is not set, so the directory is the binding's metadata.name.
        assert_bound(container, volume_name, "/bindings/orders-db");
        for (var, key) in env {
            assert_secret_env(container, var, "orders-db-credentials", key);
        }
    }

    // What the api container had before is kept.
    let api = item(pod, "/spec/containers", "api");
    assert_eq!(env_named(api, "LOG_LEVEL"), [&serde_json::json!({"name": "LOG_LEVEL", "value": "info"})]);
    assert_eq!(str_at(item(api, "/volumeMounts", "tmp"), "/mountPath"), "/tmp");
    assert_eq!(str_at(pod, "/metadata/annotations/prometheus.io~1scrape"), "true");
}

#[test]
fn service_bindings_are_consumed_and_non_resources_are_skipped() {
    for fixture in VALID_FIXTURES {
        let docs = render([fixture]).assert_ok().docs();
        for doc in &docs {
            assert!(is_resource(doc), "{fixture}: emitted a document that is not a resource: {doc}");
            assert_ne!(kind(doc), "ServiceBinding", "{fixture}: emitted {}", identity(doc));
        }
    }
    // kustomization.yaml has no kind: it is neither an error nor emitted.
    let docs = render(["fixtures/postgres-provisioned"]).assert_ok().docs();
    assert!(docs.iter().all(|d| d.get("resources").is_none()), "kustomization.yaml was emitted");
}

#[test]
fn every_other_input_document_is_emitted_in_input_order() {
    for fixture in VALID_FIXTURES {
        let inputs = input_resources(&common::repo().join(fixture));
        let expected: Vec<String> = inputs.iter().map(|(_, d)| d).filter(|d| kind(d) != "ServiceBinding").map(identity).collect();
        let docs = render([fixture]).assert_ok().docs();
        // Resources generated for a binding (SBO's non-secret values) come after the inputs.
        let generated = |d: &Value| d.pointer("/metadata/annotations/bindery.dev~1generated-for").is_some();
        let first_generated = docs.iter().position(generated).unwrap_or(docs.len());
        assert!(docs[first_generated..].iter().all(generated), "{fixture}: generated resources come last");
        let emitted: Vec<String> = docs[..first_generated].iter().map(identity).collect();
        assert_eq!(emitted, expected, "{fixture}: every input resource, in input order");

        // Everything that is not a workload (Secrets, ConfigMaps, services, CRDs, mappings)
        // comes out as it went in.
        for (_, input) in &inputs {
            if !matches!(kind(input), "ServiceBinding" | "Deployment" | "CronJob" | "Pipeline") {
                let output = docs.iter().find(|d| identity(d) == identity(input)).expect("emitted");
                assert_eq!(output, input, "{fixture}: {} must not change", identity(input));
            }
        }
    }
}

#[test]
fn keep_bindings_emits_the_service_bindings_where_they_were() {
    let fixture = "fixtures/cronjob-and-custom-workload";
    let expected: Vec<String> = input_resources(&common::repo().join(fixture)).iter().map(|(_, d)| identity(d)).collect();
    let docs = render([fixture, "--keep-bindings"]).assert_ok().docs();
    assert_eq!(docs.iter().map(identity).collect::<Vec<_>>(), expected);
    let binding = find(&docs, "ServiceBinding", "invoice-archive");
    assert_eq!(str_at(binding, "/spec/workload/name"), "invoice-export");
}

#[test]
fn selector_binds_matching_deployments_only_and_container_filter_limits_containers() {
    let fixture = "fixtures/direct-secret-selector";
    let docs = render([fixture]).assert_ok().docs();
    let inputs = input_resources(&common::repo().join(fixture));
    let input = |name: &str| {
        &inputs.iter().find(|(_, d)| kind(d) == "Deployment" && str_at(d, "/metadata/name") == name).expect("input deployment").1
    };

    let mut volume_names = Vec::new();
    for name in ["storefront-web", "storefront-worker"] {
        let deployment = find(&docs, "Deployment", name);
        let pod = deployment.pointer("/spec/template").expect("pod template");
        let volume = binding_volume(list(pod, "/spec/volumes"));
        let volume_name = str_at(volume, "/name");
        assert_uuid_v5_volume(volume_name);
        volume_names.push(volume_name.to_string());

        // Only `app` is bound; spec.name puts the files under /bindings/cache.
        let app = item(pod, "/spec/containers", "app");
        assert_bound(app, volume_name, "/bindings/cache");
        assert_secret_env(app, "REDIS_HOST", "storefront-redis", "host");
        assert_secret_env(app, "REDIS_PASSWORD", "storefront-redis", "password");

        // The sidecar is filtered out: exactly as it was written.
        let shipper = item(pod, "/spec/containers", "log-shipper");
        assert_not_bound(shipper);
        assert_eq!(shipper, item(input(name).pointer("/spec/template").expect("input pod"), "/spec/containers", "log-shipper"));

        // spec.type / spec.provider: the projected files `type` and `provider`, and CACHE_KIND
        // (mapped from key `type`), read pod annotations holding the override values.
        let annotations = pod.pointer("/metadata/annotations").expect("pod annotations");
        let sources = list(volume, "/projected/sources");
        assert_eq!(sources.first(), Some(&serde_json::json!({"secret": {"name": "storefront-redis"}})));
        for (file, value) in [("type", "redis"), ("provider", "bitnami")] {
            let downward = sources
                .iter()
                .flat_map(|s| list(s, "/downwardAPI/items"))
                .find(|i| str_at(i, "/path") == file)
                .unwrap_or_else(|| panic!("{name}: no downward-API file {file:?} in {sources:#?}"));
            let key = annotation_read_by(str_at(downward, "/fieldRef/fieldPath"));
            assert_eq!(annotations.get(key), Some(&Value::from(value)), "{name}: {file}");
        }
        let kind_var = env_named(app, "CACHE_KIND");
        assert_eq!(kind_var.len(), 1);
        let key = annotation_read_by(str_at(kind_var[0], "/valueFrom/fieldRef/fieldPath"));
        assert_eq!(annotations.get(key), Some(&Value::from("redis")), "{name}: CACHE_KIND");
    }
    // One binding, one identifier: both Deployments use the same volume name.
    assert_eq!(volume_names[0], volume_names[1]);

    // The canary is excluded by `track NotIn [canary]` and comes out unchanged.
    assert_eq!(find(&docs, "Deployment", "storefront-web-canary"), input("storefront-web-canary"));
}

#[test]
fn cronjob_is_bound_inside_its_job_template() {
    let docs = render(["fixtures/cronjob-and-custom-workload"]).assert_ok().docs();
    let cronjob = find(&docs, "CronJob", "invoice-export");
    assert!(cronjob.pointer("/spec/template").is_none(), "a CronJob has no .spec.template; nothing may be written there: {cronjob:#}");
    let pod = cronjob.pointer("/spec/jobTemplate/spec/template").expect("job pod template");
    let volume = binding_volume(list(pod, "/spec/volumes"));
    let volume_name = str_at(volume, "/name");
    assert_eq!(volume.pointer("/projected/sources"), Some(&serde_json::json!([{"secret": {"name": "invoice-archive-s3"}}])));
    for (list_path, name) in [("/spec/initContainers", "fetch-templates"), ("/spec/containers", "export")] {
        let container = item(pod, list_path, name);
        assert_bound(container, volume_name, "/bindings/invoice-archive");
        assert_secret_env(container, "ARCHIVE_BUCKET", "invoice-archive-s3", "bucket");
        assert_secret_env(container, "AWS_ACCESS_KEY_ID", "invoice-archive-s3", "access-key-id");
        assert_secret_env(container, "AWS_SECRET_ACCESS_KEY", "invoice-archive-s3", "secret-access-key");
    }
}

#[test]
fn without_default_mappings_the_cronjob_job_template_is_not_bound() {
    let docs = render(["fixtures/cronjob-and-custom-workload", "--no-default-mappings"]).assert_ok().docs();
    let cronjob = find(&docs, "CronJob", "invoice-export");
    let pod = cronjob.pointer("/spec/jobTemplate/spec/template").expect("job pod template");
    assert_not_bound(item(pod, "/spec/containers", "export"));
    assert_not_bound(item(pod, "/spec/initContainers", "fetch-templates"));
}

#[test]
fn custom_workload_is_bound_where_its_mapping_says() {
    let docs = render(["fixtures/cronjob-and-custom-workload"]).assert_ok().docs();
    let pipeline = find(&docs, "Pipeline", "clickstream-rollup");
    let runner = pipeline.pointer("/spec/runner").expect("runner");
    let volume = binding_volume(list(runner, "/volumes"));
    let volume_name = str_at(volume, "/name");
    assert_uuid_v5_volume(volume_name);
    assert_eq!(volume.pointer("/projected/sources"), Some(&serde_json::json!([{"secret": {"name": "clickstream-warehouse"}}])));
    for (list_path, name) in [("/steps", "extract"), ("/steps", "load"), ("/sidecars", "statsd")] {
        assert_bound(item(runner, list_path, name), volume_name, "/bindings/clickstream-warehouse");
    }
    assert_eq!(env_named(item(runner, "/steps", "load"), "BATCH_SIZE"), [&serde_json::json!({"name": "BATCH_SIZE", "value": "5000"})]);
    // The pod annotations are where the mapping puts them, and nowhere PodSpec-like.
    let annotations = runner.pointer("/metadata/annotations").and_then(Value::as_object).expect("runner annotations");
    assert!(annotations.values().any(|v| v == "clickstream-warehouse"), "{annotations:?}");
    assert!(pipeline.pointer("/spec/template").is_none(), "{pipeline:#}");

    // The ClusterWorkloadResourceMapping and the CRD are cluster configuration: emitted...
    find(&docs, "ClusterWorkloadResourceMapping", "pipelines.dataflow.example.com");
    find(&docs, "CustomResourceDefinition", "pipelines.dataflow.example.com");
    // ...unless asked otherwise.
    let dropped = render(["fixtures/cronjob-and-custom-workload", "--drop-mappings"]).assert_ok().docs();
    assert!(dropped.iter().all(|d| kind(d) != "ClusterWorkloadResourceMapping"));
    assert_eq!(dropped.len(), docs.len() - 1);
}

#[test]
fn namespace_flag_applies_to_namespace_less_bindings_and_changes_their_identifiers() {
    let fixture = "fixtures/direct-secret-selector";
    let volume_of = |docs: &[Value]| {
        let pod = find(docs, "Deployment", "storefront-web").pointer("/spec/template").expect("pod").clone();
        str_at(binding_volume(list(&pod, "/spec/volumes")), "/name").to_string()
    };
    let default = volume_of(&render([fixture]).assert_ok().docs());
    let explicit = volume_of(&render([fixture, "--namespace", "default"]).assert_ok().docs());
    let staging = volume_of(&render([fixture, "-n", "staging"]).assert_ok().docs());
    assert_eq!(default, explicit, "the default namespace is `default`");
    assert_ne!(default, staging, "the identifier derives from <namespace>/<name>");
    assert_uuid_v5_volume(&staging);
}

#[test]
fn a_binding_with_metadata_uid_is_named_after_it() {
    let dir = tempdir();
    write(
        dir.path(),
        "all.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: queue}\nstringData: {type: rabbitmq, host: mq.svc}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker}\n\
         spec: {template: {spec: {containers: [{name: worker, image: w}]}}}\n---\n\
         apiVersion: servicebinding.io/v1\nkind: ServiceBinding\n\
         metadata: {name: queue, uid: 0b8a7c3e-5f1d-4c2a-9e6b-3d4f5a6b7c8d}\n\
         spec:\n  service: {apiVersion: v1, kind: Secret, name: queue}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: worker}\n",
    );
    let docs = render([dir.path()]).assert_ok().docs();
    let pod = find(&docs, "Deployment", "worker").pointer("/spec/template").expect("pod");
    let volume = binding_volume(list(pod, "/spec/volumes"));
    assert_eq!(str_at(volume, "/name"), "servicebinding-0b8a7c3e-5f1d-4c2a-9e6b-3d4f5a6b7c8d");
    assert_bound(item(pod, "/spec/containers", "worker"), "servicebinding-0b8a7c3e-5f1d-4c2a-9e6b-3d4f5a6b7c8d", "/bindings/queue");
}

// ---------------------------------------------------------------------------------------------
// Idempotence and determinism
// ---------------------------------------------------------------------------------------------

/// Render `fixture`, then render that output again together with the fixture's ServiceBindings
/// (a file after it), as a CI job re-running on already-rendered manifests would.
fn render_twice(fixture: &str) -> (Run, Run) {
    let first = render([fixture]);
    first.assert_ok();
    let bindings: String = render([fixture, "--keep-bindings"])
        .assert_ok()
        .docs()
        .iter()
        .filter(|d| kind(d) == "ServiceBinding")
        .map(|d| format!("---\n{}", serde_norway::to_string(d).expect("serialize binding")))
        .collect();
    assert!(!bindings.is_empty(), "{fixture} has bindings");
    let dir = tempdir();
    write(dir.path(), "0-rendered.yaml", &first.stdout);
    write(dir.path(), "1-bindings.yaml", bindings);
    let second = render([dir.path()]);
    second.assert_ok();
    (first, second)
}

/// Where two texts first differ, with a few lines of context; `None` when they are equal.
fn first_difference(a: &str, b: &str) -> Option<String> {
    if a == b {
        return None;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let at = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let from = at.saturating_sub(3);
    let show = |lines: &[&str]| lines[from.min(lines.len())..(at + 4).min(lines.len())].join("\n");
    Some(format!("first difference at line {}\n--- first render:\n{}\n--- second render:\n{}", at + 1, show(&a), show(&b)))
}

#[test]
fn rendering_the_output_again_changes_nothing() {
    for fixture in VALID_FIXTURES {
        let (first, second) = render_twice(fixture);
        assert_eq!(second.docs(), first.docs(), "{fixture}: re-projection must replace, never duplicate");
    }
}

#[test]
fn rendering_the_output_again_is_byte_identical() {
    for fixture in VALID_FIXTURES {
        let (first, second) = render_twice(fixture);
        if let Some(diff) = first_difference(first.stdout(), second.stdout()) {
            panic!("{fixture}: a second render must change nothing, but it did:\n{diff}");
        }
    }
}

#[test]
fn output_does_not_depend_on_file_creation_order_or_modification_times() {
    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    for fixture in VALID_FIXTURES {
        let source = common::repo().join(fixture);
        let files = yaml_files(&source);
        let reversed: Vec<PathBuf> = files.iter().rev().cloned().collect();
        let (a, b) = (tempdir(), tempdir());
        copy_fixture(&source, a.path(), &files, |i| epoch + Duration::from_secs(3600 * i as u64));
        copy_fixture(&source, b.path(), &reversed, |i| epoch - Duration::from_secs(7200 * i as u64));

        let original = render([fixture]);
        let from_a = render([a.path()]);
        let from_b = render([b.path()]);
        original.assert_ok();
        assert_eq!(from_a.stdout(), original.stdout(), "{fixture}: copy A differs");
        assert_eq!(from_b.stdout(), original.stdout(), "{fixture}: copy B differs");
        assert_eq!(render([fixture]).stdout(), original.stdout(), "{fixture}: two runs differ");
    }
}

// ---------------------------------------------------------------------------------------------
// Where output goes, where input comes from
// ---------------------------------------------------------------------------------------------

#[test]
fn output_dir_mirrors_the_input_layout() {
    let fixture = "fixtures/postgres-provisioned";
    let source = common::repo().join(fixture);
    let dir = tempdir();
    let out = dir.path().join("rendered");
    let run = render([OsStr::new(fixture), OsStr::new("-o"), out.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "with -o nothing goes to stdout");

    let written = yaml_files(&out);
    assert!(written.contains(&PathBuf::from("app/deployment.yaml")), "{written:?}");
    assert!(written.contains(&PathBuf::from("database.yaml")), "{written:?}");
    assert!(!written.contains(&PathBuf::from("kustomization.yaml")), "{written:?}");

    // Each written file holds the rendered documents of the input file of the same name.
    let inputs = input_resources(&source);
    let mut all = Vec::new();
    for rel in &written {
        assert!(source.join(rel).is_file(), "{} has no input counterpart", rel.display());
        let docs = try_parse_stream(&std::fs::read_to_string(out.join(rel)).expect("read output")).expect("YAML");
        let expected: Vec<String> =
            inputs.iter().filter(|(file, d)| file == rel && kind(d) != "ServiceBinding").map(|(_, d)| identity(d)).collect();
        assert_eq!(docs.iter().map(identity).collect::<Vec<_>>(), expected, "{}", rel.display());
        all.extend(docs);
    }
    // A file that held only ServiceBindings has nothing left to write.
    if written.contains(&PathBuf::from("binding.yaml")) {
        let text = std::fs::read_to_string(out.join("binding.yaml")).expect("read");
        assert!(try_parse_stream(&text).expect("YAML").iter().all(|d| !is_resource(d)));
    }
    // Together they are exactly what stdout would have been.
    assert_eq!(all, render([fixture]).assert_ok().docs());
}

#[test]
fn output_file_receives_the_whole_stream() {
    let fixture = "fixtures/direct-secret-selector";
    let dir = tempdir();
    let out = dir.path().join("nested/all.yaml");
    let run = render([OsStr::new(fixture), OsStr::new("-o"), out.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(std::fs::read(&out).expect("output file"), render([fixture]).assert_ok().stdout);
}

#[test]
fn stdin_renders_like_the_directory() {
    let fixture = "fixtures/postgres-provisioned";
    let source = common::repo().join(fixture);
    let mut stream = Vec::new();
    for rel in yaml_files(&source) {
        stream.extend(b"---\n");
        stream.extend(std::fs::read(source.join(rel)).expect("read fixture"));
    }
    let from_stdin = render_stdin(["-"], &stream);
    from_stdin.assert_ok();
    assert_eq!(from_stdin.stdout(), render([fixture]).stdout());
}

#[test]
fn bad_yaml_on_stdin_names_stdin() {
    let run = render_stdin(["-"], b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n");
    run.assert_fails(2).assert_stderr_names(&["stdin"]);
}

// ---------------------------------------------------------------------------------------------
// Every failure class: exit status, empty stdout, file:line, binding and cause
// ---------------------------------------------------------------------------------------------

#[test]
fn a_missing_binding_secret_is_secret_not_found() {
    let file = "fixtures/invalid/missing-secret/binding.yaml";
    render(["fixtures/invalid/missing-secret"])
        .assert_fails(1)
        .assert_stderr_names(&["SecretNotFound", "default/billing-db", "billing-db-credentials"])
        .assert_points_into(file, document_lines(file, "kind: ServiceBinding"));
}

#[test]
fn an_absent_workload_is_workload_not_found() {
    let file = "fixtures/invalid/workload-not-found/all.yaml";
    render(["fixtures/invalid/workload-not-found"])
        .assert_fails(1)
        .assert_stderr_names(&["WorkloadNotFound", "default/search-index", "search-api"])
        .assert_points_into(file, line_of(file, "name: search-api")..=line_of(file, "name: search-api"));
}

#[test]
fn an_env_mapping_to_a_key_the_secret_lacks_is_env_key_not_found() {
    let file = "fixtures/invalid/env-key-missing/inventory-db.yaml";
    render(["fixtures/invalid/env-key-missing"])
        .assert_fails(1)
        .assert_stderr_names(&["EnvKeyNotFound", "default/inventory-db", "database", "DB_NAME"])
        .assert_points_into(file, line_of(file, "key: database")..=line_of(file, "key: database"));
}

#[test]
fn a_diagnostic_quotes_the_file_on_disk() {
    // The loader lets go of a file's text once parsed; the snippet is read back from disk.
    let file = "fixtures/invalid/env-key-missing/inventory-db.yaml";
    let line = line_of(file, "key: database");
    render(["fixtures/invalid/env-key-missing"]).assert_fails(1).assert_stderr_names(&[
        &format!("{file}:{line}:1]"),
        &format!("{} │   - name: DB_NAME", line - 1),
        &format!("{line} │     key: database"),
    ]);
}

#[test]
fn an_invalid_binding_reports_every_violation() {
    let file = "fixtures/invalid/invalid-binding/binding.yaml";
    render(["fixtures/invalid/invalid-binding"])
        .assert_fails(1)
        .assert_stderr_names(&["InvalidBinding", "default/payments-db", "spec.name", "Payments_DB", "got both"])
        .assert_points_into(file, line_of(file, "name: Payments_DB")..=line_of(file, "name: Payments_DB"))
        .assert_points_into(file, line_of(file, "workload:")..=line_of(file, "matchLabels:"));
}

#[test]
fn unparseable_yaml_is_bad_input() {
    let file = "fixtures/invalid/bad-yaml/secret.yaml";
    let bad_line = line_of(file, "   host:");
    render(["fixtures/invalid/bad-yaml"]).assert_fails(2).assert_stderr_names(&["YAML"]).assert_points_into(file, bad_line..=bad_line);
}

#[test]
fn a_secret_without_type_is_missing_type() {
    let file = "fixtures/invalid/secret-missing-type/all.yaml";
    render(["fixtures/invalid/secret-missing-type"])
        .assert_fails(1)
        .assert_stderr_names(&["MissingType", "default/mail-relay", "type"])
        .assert_points_into(file, document_lines(file, "kind: ServiceBinding"));
}

#[test]
fn all_problems_are_reported_not_just_the_first() {
    let file = "fixtures/invalid/two-broken-bindings/bindings.yaml";
    render(["fixtures/invalid/two-broken-bindings"])
        .assert_fails(1)
        .assert_stderr_names(&["SecretNotFound", "default/audit-log-db", "EnvKeyNotFound", "default/notifications-queue", "uri"])
        .assert_points_into(file, document_lines(file, "name: audit-log-db"))
        .assert_points_into(file, document_lines(file, "name: notifications-queue"));
}

#[test]
fn one_bad_file_among_good_ones_renders_nothing() {
    let dir = tempdir();
    copy_fixture(
        &common::repo().join("fixtures/postgres-provisioned"),
        dir.path(),
        &yaml_files(&common::repo().join("fixtures/postgres-provisioned")),
        |_| SystemTime::now(),
    );
    write(dir.path(), "zz-broken.yaml", "apiVersion: v1\nkind: ConfigMap\ndata: {a: b\n");
    render([dir.path()]).assert_fails(2).assert_stderr_names(&["zz-broken.yaml"]);
}

// ---------------------------------------------------------------------------------------------
// Secret values never reach stderr
// ---------------------------------------------------------------------------------------------

/// Every value of every Secret under `dir` (stringData values; data values decoded, and as
/// written), at least 6 characters long. Files that are not YAML are scanned line by line.
fn secret_values(dir: &Path) -> Vec<String> {
    let mut values = Vec::new();
    let mut add = |v: &str, encoded: bool| {
        let mut candidates = vec![v.to_string()];
        if encoded {
            let compact: String = v.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_else(|e| panic!("fixture data value {v:?} is not base64: {e}"));
            candidates.push(String::from_utf8(decoded).expect("UTF-8 secret value"));
        }
        values.extend(candidates.into_iter().filter(|c| c.trim().len() >= 6));
    };
    for rel in yaml_files(dir) {
        let text = std::fs::read_to_string(dir.join(&rel)).expect("read fixture");
        match try_parse_stream(&text) {
            Ok(docs) => {
                for doc in docs.iter().filter(|d| kind(d) == "Secret") {
                    for (field, encoded) in [("stringData", false), ("data", true)] {
                        if let Some(map) = doc.get(field).and_then(Value::as_object) {
                            for v in map.values().filter_map(Value::as_str) {
                                add(v, encoded);
                            }
                        }
                    }
                }
            }
            Err(_) => {
                let mut encoded = None;
                for line in text.lines() {
                    if !line.starts_with(' ') {
                        encoded = match line.trim_end() {
                            "stringData:" => Some(false),
                            "data:" => Some(true),
                            _ => None,
                        };
                    } else if let (Some(enc), Some((_, v))) = (encoded, line.split_once(": ")) {
                        add(v.trim().trim_matches('"'), enc);
                    }
                }
            }
        }
    }
    assert!(!values.is_empty(), "{} has Secret values to look for", dir.display());
    values
}

#[track_caller]
fn assert_no_secret_values(run: &Run, values: &[String]) {
    for v in values {
        assert!(!run.stderr.contains(v.as_str()), "`{}` printed the Secret value {v:?} on stderr:\n{}", run.command, run.stderr);
    }
}

#[test]
fn diagnostics_never_print_secret_values() {
    for fixture in VALID_FIXTURES.iter().chain(INVALID_FIXTURES.iter()) {
        let values = secret_values(&common::repo().join(fixture));
        let run = render([fixture]);
        run.assert_no_panic();
        assert_no_secret_values(&run, &values);
    }
}

#[test]
fn secret_lines_shown_around_a_broken_binding_are_masked() {
    let dir = tempdir();
    write(
        dir.path(),
        "app.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  type: postgresql\n\
         \x20 config.yaml: |\n    user: app\n    password: Block-Scalar-Pw-1\n    - Listed-Secret-Item\n\
         \x20 url: postgres://app:Inline-Url-Pw-2@db:5432/app\n---\n\
         apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata:\n  name: db\n",
    );
    let values = secret_values(dir.path());
    let run = render([dir.path()]);
    run.assert_fails(1).assert_stderr_names(&["InvalidBinding", "default/db"]);
    assert_no_secret_values(&run, &values);
    for v in ["Block-Scalar-Pw-1", "Listed-Secret-Item", "Inline-Url-Pw-2"] {
        assert!(!run.stderr.contains(v), "{v} leaked:\n{}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input: refused with exit 2, the file named, quickly, without a panic
// ---------------------------------------------------------------------------------------------

/// `contents` written to `name` next to a valid ConfigMap must be refused as bad input.
#[track_caller]
fn assert_refused(name: &str, contents: impl AsRef<[u8]>) {
    let dir = tempdir();
    write(dir.path(), "0-ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n");
    write(dir.path(), name, contents);
    let run = render([dir.path()]);
    run.assert_fails(2).assert_stderr_names(&[name]);
}

#[test]
fn an_alias_bomb_is_refused() {
    // Billion laughs: 9 levels of 10 aliases each expand to 10^9 strings.
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  l0: &l0 \"lol\"\n");
    for level in 1..=9 {
        let refs = vec![format!("*l{}", level - 1); 10].join(", ");
        text.push_str(&format!("  l{level}: &l{level} [{refs}]\n"));
    }
    assert_refused("bomb.yaml", text);
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}\n", "[".repeat(100_000));
    assert_refused("deep.yaml", text);
}

#[test]
fn a_binary_file_is_refused() {
    assert_refused("x.yaml", b"apiVersion: v1\nkind: ConfigMap\n\x00\x01\x02\x7fELF\x00\x00");
}

#[test]
fn a_non_utf8_file_is_refused() {
    // "café" in Latin-1.
    assert_refused("latin1.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_refused() {
    let dir = tempdir();
    write(dir.path(), "app/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n");
    std::os::unix::fs::symlink("..", dir.path().join("app/loop-to-parent")).expect("symlink");
    render([dir.path()]).assert_fails(2).assert_stderr_names(&["loop-to-parent"]);
}

#[test]
fn a_nonexistent_path_is_refused() {
    let dir = tempdir();
    let missing = dir.path().join("no-such-dir");
    render([&missing]).assert_fails(2).assert_stderr_names(&[missing.to_str().expect("UTF-8 path")]);
}

#[test]
fn tab_indentation_is_refused() {
    assert_refused("tabs.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\n");
}

#[test]
fn an_unterminated_quoted_string_is_refused() {
    assert_refused("unterminated.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: \"hello\n");
}

#[test]
fn duplicate_mapping_keys_are_refused() {
    assert_refused("duplicate.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n  name: second\ndata: {}\n");
}

#[test]
fn a_duplicate_key_late_in_a_large_mapping_is_refused() {
    // Beyond 32 keys the reader checks duplicates with a hash set instead of a scan.
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n");
    for i in 0..100_000 {
        text.push_str(&format!("  key-{i}: v\n"));
    }
    text.push_str("  key-77777: again\n");
    assert_refused("wide.yaml", &text);
}

#[test]
fn an_eight_megabyte_scalar_renders_or_is_refused_cleanly() {
    const SIZE: usize = 8 * 1024 * 1024;
    let dir = tempdir();
    write(
        dir.path(),
        "big.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: {}\n", "x".repeat(SIZE)),
    );
    let run = render([dir.path()]);
    match run.code {
        Some(0) => {
            run.assert_ok();
            let docs = run.docs();
            let blob = str_at(find(&docs, "ConfigMap", "big"), "/data/blob");
            assert_eq!(blob.len(), SIZE, "the value must come out whole");
        }
        Some(2) => {
            run.assert_fails(2).assert_stderr_names(&["big.yaml"]);
        }
        other => panic!("expected exit 0 or 2, got {other:?}:\n{}", run.stderr),
    }
}

/// A ServiceBinding with a field of the wrong type: exit 1 with a diagnostic naming the binding
/// and the field (never a panic, never a silent skip).
#[track_caller]
fn assert_wrong_type(name: &str, spec: &str, needles: &[&str]) {
    let dir = tempdir();
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData: {{type: postgresql, host: h}}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app, labels: {{app: web}}}}\n\
         spec: {{template: {{spec: {{containers: [{{name: web, image: x}}]}}}}}}\n---\n\
         apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: {name}}}\nspec:\n{spec}"
    );
    write(dir.path(), "binding.yaml", text);
    let run = render([dir.path()]);
    run.assert_fails(1).assert_stderr_names(&[&format!("default/{name}")]).assert_stderr_names(needles);
}

#[test]
fn wrong_types_inside_a_service_binding_name_the_binding_and_the_field() {
    let workload = "  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n";
    let service = "  service: {apiVersion: v1, kind: Secret, name: db}\n";
    // A string where an object belongs.
    assert_wrong_type("string-service", &format!("  service: \"db\"\n{workload}"), &["spec.service", "must be an object"]);
    // A map where a list belongs.
    assert_wrong_type("map-env", &format!("{service}{workload}  env: {{name: DB_HOST, key: host}}\n"), &["spec.env", "list"]);
    // An unknown label selector operator.
    assert_wrong_type(
        "unknown-operator",
        &format!(
            "{service}  workload:\n    apiVersion: apps/v1\n    kind: Deployment\n    selector:\n      \
             matchExpressions: [{{key: app, operator: Near, values: [web]}}]\n"
        ),
        &["spec.workload.selector.matchExpressions[0].operator", "Near"],
    );
}

// ---------------------------------------------------------------------------------------------
// Generated names are valid for the API server
// ---------------------------------------------------------------------------------------------

/// RFC 1123 label, as Kubernetes requires for volume names.
fn is_dns_label(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty() && s.len() <= 63 && s.chars().all(|c| alnum(c) || c == '-') && s.starts_with(alnum) && s.ends_with(alnum)
}

/// Annotation key: optional DNS-subdomain prefix, then a name of at most 63 characters.
fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
        && name.starts_with(alnum)
        && name.ends_with(alnum);
    let prefix_ok = prefix.len() <= 253 && prefix.split('.').all(|label| prefix.is_empty() || is_dns_label(label));
    name_ok && prefix_ok
}

/// Every volume and volume-mount name and every annotation key anywhere in `v`.
fn invalid_names(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let here = format!("{at}.{k}");
                match (k.as_str(), child) {
                    ("volumes" | "volumeMounts", Value::Array(items)) => {
                        for i in items {
                            let name = str_at(i, "/name");
                            if !is_dns_label(name) {
                                out.push(format!("{here}: volume name {name:?}"));
                            }
                        }
                    }
                    ("annotations", Value::Object(a)) => {
                        for key in a.keys().filter(|key| !is_qualified_name(key)) {
                            out.push(format!("{here}: annotation key {key:?}"));
                        }
                    }
                    _ => {}
                }
                invalid_names(child, &here, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                invalid_names(child, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[track_caller]
fn assert_generated_names_valid(docs: &[Value]) {
    let mut bad = Vec::new();
    for doc in docs {
        invalid_names(doc, &identity(doc), &mut bad);
    }
    assert!(bad.is_empty(), "invalid generated names:\n{}", bad.join("\n"));
}

#[test]
fn generated_names_in_every_fixture_are_valid() {
    for fixture in VALID_FIXTURES {
        assert_generated_names_valid(&render([fixture]).assert_ok().docs());
    }
}

#[test]
fn a_binding_name_of_253_characters_renders_with_valid_names() {
    // The longest name the spec allows: DNS-subdomain style, dots included.
    let mut name = String::from("orders-primary-database-binding-for-the-checkout-service-v2.eu-west-1");
    while name.len() < 253 {
        let room = 253 - name.len() - 1;
        name.push('.');
        name.push_str(&"a1b2c3d4e5".repeat(7)[..room.min(63)]);
    }
    assert_eq!(name.len(), 253);

    // Also bindings whose metadata.uid cannot be used verbatim in a volume name.
    let odd_uids = ["Not-A-DNS-Label_UID", &"u".repeat(60), "ends-with-dash-"];
    let mut text = String::from("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: postgresql, host: db.svc}\n");
    let workload = |n: &str| {
        format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {n}}}\nspec: {{template: {{spec: {{containers: [{{name: app, image: x}}]}}}}}}\n")
    };
    let binding = |n: &str, uid: Option<&str>, to: &str| {
        let uid = uid.map(|u| format!(", uid: \"{u}\"")).unwrap_or_default();
        format!(
            "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: {n}{uid}}}\nspec:\n  service: {{apiVersion: v1, kind: Secret, name: db}}\n  workload: {{apiVersion: apps/v1, kind: Deployment, name: {to}}}\n"
        )
    };
    text.push_str(&workload("long"));
    text.push_str(&binding(&name, None, "long"));
    for (i, uid) in odd_uids.iter().enumerate() {
        let w = format!("odd-{i}");
        text.push_str(&workload(&w));
        text.push_str(&binding(&format!("odd-binding-{i}"), Some(uid), &w));
    }
    let dir = tempdir();
    write(dir.path(), "all.yaml", text);

    let docs = render([dir.path()]).assert_ok().docs();
    assert_generated_names_valid(&docs);
    let pod = find(&docs, "Deployment", "long").pointer("/spec/template").expect("pod");
    let volume = str_at(binding_volume(list(pod, "/spec/volumes")), "/name").to_string();
    assert_bound(item(pod, "/spec/containers", "app"), &volume, &format!("/bindings/{name}"));
    for i in 0..odd_uids.len() {
        let pod = find(&docs, "Deployment", &format!("odd-{i}")).pointer("/spec/template").expect("pod");
        let volume = str_at(binding_volume(list(pod, "/spec/volumes")), "/name").to_string();
        assert_bound(item(pod, "/spec/containers", "app"), &volume, &format!("/bindings/odd-binding-{i}"));
    }
}
