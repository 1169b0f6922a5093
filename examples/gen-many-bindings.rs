//! Benchmark input for many bindings on one workload (issue 19 item 15).
//!
//! `cargo run --release --example gen-many-bindings -- DIR N [spec|sbo]` writes one Deployment
//! (two containers) and N Secrets and N bindings to it, each binding mapping one environment
//! variable: `servicebinding.io/v1` bindings with one `spec.env` entry (`spec`, the default), or
//! Service Binding Operator bindings in env mode to a Secret with one key (`sbo`). The output is a
//! pure function of its arguments.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: gen-many-bindings DIR N [spec|sbo]");
        std::process::exit(2);
    };
    let sbo = match args.get(2).map(String::as_str) {
        None | Some("spec") => false,
        Some("sbo") => true,
        Some(other) => {
            eprintln!("gen-many-bindings: unknown mode {other:?} (spec or sbo)");
            std::process::exit(2);
        }
    };
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("create DIR");
    let deployment = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ghcr.io/example/web:1.0
        env:
        - {name: LOG_LEVEL, value: info}
      - name: sidecar
        image: ghcr.io/example/sidecar:1.0
"#;
    let mut secrets = String::new();
    let mut bindings = String::new();
    for i in 0..n {
        // SBO binds every key of the Secret: one key, one variable.
        let ty = if sbo { "" } else { "  type: inventory\n" };
        write!(secrets, "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db-{i:05}\n  namespace: shop\nstringData:\n{ty}  host: db-{i:05}.shop.svc\n")
            .unwrap();
        if sbo {
            write!(
                bindings,
                "---\napiVersion: binding.operators.coreos.com/v1alpha1\nkind: ServiceBinding\nmetadata:\n  name: db-{i:05}\n  namespace: shop\nspec:\n  bindAsFiles: false\n  namingStrategy: 'DB{i:05}_{{{{ .name | upper }}}}'\n  services:\n  - {{group: \"\", version: v1, kind: Secret, name: db-{i:05}}}\n  application: {{group: apps, version: v1, kind: Deployment, name: web}}\n"
            )
            .unwrap();
        } else {
            write!(
                bindings,
                "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata:\n  name: db-{i:05}\n  namespace: shop\nspec:\n  service: {{apiVersion: v1, kind: Secret, name: db-{i:05}}}\n  workload: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  env:\n  - {{name: DB_{i:05}_HOST, key: host}}\n"
            )
            .unwrap();
        }
    }
    for (file, text) in [("deployment.yaml", deployment.to_string()), ("secrets.yaml", secrets), ("bindings.yaml", bindings)] {
        std::fs::write(dir.join(file), text).expect("write");
    }
}
