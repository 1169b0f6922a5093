//! bindery resolves Kubernetes Service Bindings offline.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`load`]: files, directories and stdin → [`load::Document`]s that remember file and line;
//! 2. [`index`]: documents by (group, kind, namespace, name) and by label;
//! 3. [`binding`] + [`resolve`]: every binding → its service, binding Secret, workloads and
//!    mapping, with every problem found, as one [`resolve::Resolution`];
//! 4. [`project`]: the resolution written into workloads as the reference runtime would, one
//!    workload at a time (a pure function, so the rewritten workloads are projected again as
//!    they are written rather than held all at once);
//! 5. [`emit`]: the result as a YAML stream or a directory.
//!
//! The command-line shell ([`cli`]) only chooses inputs and prints.
//!
//! ```
//! let yaml = r#"
//! apiVersion: v1
//! kind: Secret
//! metadata: {name: db}
//! stringData: {type: postgresql, host: db.internal, port: "5432", database: app, username: app, password: s3cret}
//! ---
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: app}
//! spec: {template: {spec: {containers: [{name: web, image: app:1}]}}}
//! ---
//! apiVersion: servicebinding.io/v1
//! kind: ServiceBinding
//! metadata: {name: db}
//! spec:
//!   service: {apiVersion: v1, kind: Secret, name: db}
//!   workload: {apiVersion: apps/v1, kind: Deployment, name: app}
//!   env: [{name: DB_HOST, key: host}]
//! "#;
//! let (file, documents) = bindery::load::parse_file("app.yaml".into(), "app.yaml".into(), yaml.into()).unwrap();
//! let loaded = bindery::load::Loaded { files: vec![file], documents };
//! let rendered = bindery::render(loaded, &bindery::resolve::Options::default());
//! assert!(rendered.problems().is_empty());
//! let deployment = rendered.output_value(1).unwrap();
//! let env = &deployment["spec"]["template"]["spec"]["containers"][0]["env"];
//! assert_eq!(env[0]["name"], "SERVICE_BINDING_ROOT");
//! assert_eq!(env[1]["valueFrom"]["secretKeyRef"]["key"], "host");
//! ```

pub mod bindings;
pub mod cli;
pub mod doc;
pub mod hosts;
pub mod index;
pub mod kube;
pub mod load;
pub mod migrate;
pub mod model;
pub mod project;
pub mod resolve;
pub mod write;

pub use project::rendered::{render, Output, Rendered};
