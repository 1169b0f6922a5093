//! bindery resolves Kubernetes Service Bindings offline.
//!
//! The pipeline, one folder per stage; every module imports only from the stages above it in
//! this list:
//!
//! 1. [`doc`]: the document model (values, YAML reader and writer, source files and positions);
//! 2. [`load`]: files, directories and stdin → [`doc::document::Document`]s;
//! 3. [`kube`]: Kubernetes knowledge (group/version/kind, selectors, JSONPath, workload mappings,
//!    pod-spec editing);
//! 4. [`index`]: documents by (group, kind, namespace, name) and by label; Secrets created at
//!    run time;
//! 5. [`model`]: problems, rules and what containers receive, as plain data;
//! 6. [`bindings`]: the servicebinding.io and Service Binding Operator APIs, parsed and validated;
//! 7. [`resolve`]: every binding → its service, binding Secret, workloads and mapping, with every
//!    problem found, as one [`resolve::Resolution`];
//! 8. [`project`]: the resolution written into workloads, one workload at a time (a pure
//!    function, so rewritten workloads are projected again as they are written), and
//!    [`render`], which runs stages 4–8 into one [`Rendered`];
//! 9. [`write`](mod@write): the rendered set as a stream or directory, diff, check reports, explain;
//! 10. [`migrate`]: SBO bindings rewritten as servicebinding.io where provably equivalent;
//! 11. [`repo`]: repository mode — every kustomize root built with the real kustomize and
//!     checked on its own, documents traced back to their repository files;
//! 12. [`hosts`]: what every host shares (among it the one configuration), and the KRM
//!     function, kustomize plugin, Argo CD and Helm;
//! 13. [`cli`]: the command line, one file per command.
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
pub mod repo;
pub mod resolve;
pub mod write;

pub use project::rendered::{render, Output, Rendered};
