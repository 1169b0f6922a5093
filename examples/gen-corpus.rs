//! Benchmark corpus generator (issue 7).
//!
//! `cargo run --release --example gen-corpus -- DIR N` writes N apps under `DIR`, one folder
//! each (`app-00000/`…), spread over 20 namespaces. Each app has a Deployment (two containers
//! and an init container), a Service, a ConfigMap, a Provisioned Service custom resource with
//! `status.binding.name`, its Secret, and a `servicebinding.io/v1` ServiceBinding: a third of
//! the bindings select the workload by label, half map env variables, a fifth override
//! `type`/`provider`. N = 2000 is 12,000 documents, about 5 MB. The output is a pure function
//! of N (a fixed-seed generator), so every run writes the same bytes.
//!
//! Options (after DIR N): `--operator` writes Service Binding Operator bindings
//! (`binding.operators.coreos.com/v1alpha1`) instead, for `bindery migrate`: most migrate, every
//! seventh cannot (`spec.mountPath`), and every seventh other is a candidate that fails the
//! proof (`bindAsFiles: false`); `--stream FILE` also writes every document as one `---`
//! stream (for `bindery render -`), `--resource-list FILE` as one KRM `ResourceList` with kpt's
//! path and index annotations (for the KRM function); `--repo OVERLAYS` writes a kustomize
//! GitOps repository instead (for repository mode, `bindery check DIR`): `base/` holds the N
//! apps and a kustomization listing their files, and `overlays/env-000/`… each build
//! `../../base` into a namespace of their own (`env-NNN`) with an instance label, a replica
//! count, a strategic-merge patch of one Deployment and an extra app of their own.

use std::fmt::Write as _;
use std::path::PathBuf;

/// SplitMix64: tiny, seeded, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            write!(s, "{:016x}", self.next()).unwrap();
        }
        s.truncate(len);
        s
    }
}

const KINDS: &[(&str, &str, &str, &str)] = &[
    ("postgres.example.com/v1alpha1", "PostgresInstance", "postgresql", "5432"),
    ("redis.example.com/v1", "RedisCluster", "redis", "6379"),
    ("mysql.example.com/v1beta1", "MySQLDatabase", "mysql", "3306"),
    ("kafka.example.com/v1", "KafkaTopic", "kafka", "9092"),
];

fn app(i: usize, rng: &mut Rng, operator: bool) -> Vec<(&'static str, String)> {
    let ns = format!("team-{:02}", i % 20);
    let name = format!("svc-{i:05}");
    let (api, kind, ty, port) = KINDS[i % KINDS.len()];
    let replicas = 1 + rng.below(5);
    let version = format!("{}.{}.{}", rng.below(4), rng.below(20), rng.below(100));
    let tier = ["frontend", "backend", "worker"][i % 3];
    let by_selector = i % 3 == 0;
    let with_env = i % 2 == 0;
    let with_overrides = i % 5 == 0;

    let deployment = format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: shop
    tier: {tier}
  annotations:
    deployment.kubernetes.io/revision: "{rev}"
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
        tier: {tier}
    spec:
      initContainers:
      - name: migrate
        image: ghcr.io/example/{name}-migrate:{version}
        command: ["/bin/migrate", "--wait", "--timeout=60s"]
      containers:
      - name: app
        image: ghcr.io/example/{name}:{version}
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: LOG_LEVEL
          value: info
        - name: FEATURE_FLAGS
          value: "checkout,search"
        envFrom:
        - configMapRef:
            name: {name}-config
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            memory: 256Mi
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          periodSeconds: 10
      - name: sidecar
        image: ghcr.io/example/proxy:1.{minor}
        args:
        - --upstream=127.0.0.1:8080
        - --listen=:9090
        ports:
        - containerPort: 9090
          name: proxy
"#,
        rev = 1 + rng.below(40),
        minor = rng.below(30),
    );
    let service = format!(
        r#"apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
spec:
  selector:
    app.kubernetes.io/name: {name}
  ports:
  - name: http
    port: 80
    targetPort: http
"#
    );
    let configmap = format!(
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {ns}
data:
  REGION: eu-west-{region}
  CACHE_TTL: "{ttl}"
  settings.json: |
    {{"name": "{name}", "retries": {retries}, "timeoutMs": {timeout}}}
"#,
        region = 1 + rng.below(3),
        ttl = 30 + rng.below(600),
        retries = rng.below(8),
        timeout = 100 * (1 + rng.below(50)),
    );
    let password = rng.hex(24);
    let service_cr = format!(
        r#"# Provisioned Service: its operator publishes the binding Secret's name.
apiVersion: {api}
kind: {kind}
metadata:
  name: {name}-db
  namespace: {ns}
spec:
  version: "{major}"
  storage: {storage}Gi
status:
  binding:
    name: {name}-db-credentials
---
apiVersion: v1
kind: Secret
metadata:
  name: {name}-db-credentials
  namespace: {ns}
type: servicebinding.io/{ty}
stringData:
  type: {ty}
  provider: example-operator
  host: {name}-db.{ns}.svc.cluster.local
  port: "{port}"
  username: u_{user}
  password: {password}
  database: db_{i}{extra}
"#,
        // What consumers of the type expect (bindery warns otherwise): Kafka clients read
        // bootstrap-servers.
        extra = if ty == "kafka" { format!("\n  bootstrap-servers: {name}-db.{ns}.svc:{port}") } else { String::new() },
        major = 10 + rng.below(7),
        storage = 1 + rng.below(100),
        user = rng.hex(8),
    );
    let mut binding = format!(
        r#"apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata:
  name: {name}-db
  namespace: {ns}
spec:
  service:
    apiVersion: {api}
    kind: {kind}
    name: {name}-db
  workload:
    apiVersion: apps/v1
    kind: Deployment
"#
    );
    if by_selector {
        writeln!(binding, "    selector:\n      matchLabels:\n        app.kubernetes.io/name: {name}").unwrap();
    } else {
        writeln!(binding, "    name: {name}").unwrap();
    }
    if with_overrides {
        writeln!(binding, "  type: {ty}-override\n  provider: bench-provider").unwrap();
    }
    if with_env {
        binding.push_str(
            "  env:\n  - name: DB_HOST\n    key: host\n  - name: DB_PORT\n    key: port\n  - name: DB_PASSWORD\n    key: password\n",
        );
    }
    if operator {
        binding = operator_binding(i, &name, &ns, api, kind);
    }
    vec![
        ("deployment.yaml", deployment),
        ("service.yaml", service),
        ("configmap.yaml", configmap),
        ("database.yaml", service_cr),
        ("binding.yaml", binding),
    ]
}

/// The app's binding as a Service Binding Operator binding (see the module documentation).
fn operator_binding(i: usize, name: &str, ns: &str, api: &str, kind: &str) -> String {
    let (group, version) = api.split_once('/').expect("group/version");
    let mut b = format!(
        r#"apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata:
  name: {name}-db
  namespace: {ns}
spec:
  services:
  - group: {group}
    version: {version}
    kind: {kind}
    name: {name}-db
  application:
    group: apps
    version: v1
    resource: deployments
    name: {name}
"#
    );
    match i % 7 {
        3 => b.push_str("  bindAsFiles: false\n"),
        5 => b.push_str("  mountPath: /var/run/db\n"),
        _ => {}
    }
    b
}

/// One file's text as ResourceList entries: each document indented under `- `, with kpt's
/// path and index annotations.
fn list_items(out: &mut String, path: &str, text: &str) {
    for (index, doc) in text.split("---\n").filter(|d| d.contains("kind:")).enumerate() {
        let mut first = true;
        let mut annotated = false;
        for line in doc.lines().filter(|l| !l.starts_with('#')) {
            out.push_str(if first { "- " } else { "  " });
            first = false;
            out.push_str(line);
            out.push('\n');
            if !annotated && (line == "  annotations:" || line == "metadata:") {
                if line == "metadata:" && doc.contains("\n  annotations:") {
                    continue;
                }
                if line == "metadata:" {
                    out.push_str("    annotations:\n");
                }
                writeln!(out, "      config.kubernetes.io/path: '{path}'\n      config.kubernetes.io/index: '{index}'").unwrap();
                annotated = true;
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, n) = match args.get(..2) {
        Some([dir, n]) => match n.parse::<usize>() {
            Ok(n) => (PathBuf::from(dir), n),
            Err(_) => usage(),
        },
        _ => usage(),
    };
    let (mut operator, mut stream, mut list, mut overlays) = (false, None, None, None);
    let mut rest = args[2..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--operator" => operator = true,
            "--stream" => stream = Some(PathBuf::from(rest.next().unwrap_or_else(|| usage()))),
            "--resource-list" => list = Some(PathBuf::from(rest.next().unwrap_or_else(|| usage()))),
            "--repo" => overlays = Some(rest.next().and_then(|o| o.parse::<usize>().ok()).unwrap_or_else(|| usage())),
            _ => usage(),
        }
    }
    let mut rng = Rng(0x05ee_db1d_e7a9);
    if let Some(overlays) = overlays {
        return repo(&dir, n, overlays, &mut rng);
    }
    let mut bytes = 0usize;
    let mut stream_text = String::new();
    let mut list_text = String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for i in 0..n {
        let folder = dir.join(format!("app-{i:05}"));
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| fail(&folder, e));
        for (file, text) in app(i, &mut rng, operator) {
            let path = folder.join(file);
            std::fs::write(&path, &text).unwrap_or_else(|e| fail(&path, e));
            bytes += text.len();
            if stream.is_some() {
                stream_text.push_str("---\n");
                stream_text.push_str(&text);
            }
            if list.is_some() {
                list_items(&mut list_text, &format!("app-{i:05}/{file}"), &text);
            }
        }
    }
    for (path, text) in [(stream, stream_text), (list, list_text)] {
        if let Some(path) = path {
            std::fs::write(&path, text).unwrap_or_else(|e| fail(&path, e));
        }
    }
    eprintln!("gen-corpus: {n} apps, {} documents, {bytes} bytes in {}", n * 6, dir.display());
}

/// Write `text` to `dir/file`, creating `dir`; its length.
fn write(dir: &std::path::Path, file: &str, text: &str) -> usize {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(dir, e));
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap_or_else(|e| fail(&path, e));
    text.len()
}

/// `--repo OVERLAYS`: the GitOps repository (see the module documentation).
fn repo(dir: &std::path::Path, n: usize, overlays: usize, rng: &mut Rng) {
    let mut bytes = 0;
    let mut base = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
    for i in 0..n {
        let folder = format!("app-{i:05}");
        for (file, text) in app(i, rng, false) {
            bytes += write(&dir.join("base").join(&folder), file, &text);
            writeln!(base, "- {folder}/{file}").unwrap();
        }
    }
    bytes += write(&dir.join("base"), "kustomization.yaml", &base);
    for o in 0..overlays {
        let env = format!("env-{o:03}");
        let overlay = dir.join("overlays").join(&env);
        let extra = n + o;
        let mut k = format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {env}\nlabels:\n- pairs:\n    \
             app.kubernetes.io/instance: {env}\nresources:\n- ../../base\n"
        );
        for (file, text) in app(extra, rng, false) {
            bytes += write(&overlay.join("app"), file, &text);
            writeln!(k, "- app/{file}").unwrap();
        }
        let patched = o % n.max(1);
        let scaled = format!("svc-{:05}", (o * 7 + 1) % n.max(1));
        write!(k, "replicas:\n- name: {scaled}\n  count: {}\npatches:\n- path: patch.yaml\n", 2 + o % 4).unwrap();
        bytes += write(&overlay, "kustomization.yaml", &k);
        let patch = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{patched:05}\n  namespace: team-{:02}\nspec:\n  template:\n    spec:\n      containers:\n      \
             - name: app\n        env:\n        - name: ENVIRONMENT\n          value: {env}\n        resources:\n          limits:\n            \
             memory: {}Mi\n",
            patched % 20,
            256 * (1 + o % 4)
        );
        bytes += write(&overlay, "patch.yaml", &patch);
    }
    eprintln!("gen-corpus: a repository of {n} base apps and {overlays} overlays (one app each), {bytes} bytes in {}", dir.display());
}

fn usage() -> ! {
    eprintln!("usage: gen-corpus DIR N [--operator] [--stream FILE] [--resource-list FILE] [--repo OVERLAYS]");
    std::process::exit(2)
}

fn fail(path: &std::path::Path, e: std::io::Error) -> ! {
    eprintln!("gen-corpus: {}: {e}", path.display());
    std::process::exit(2)
}
