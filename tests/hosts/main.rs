//! bindery inside the real host tools (kubectl kustomize, standalone kustomize, kpt, helm,
//! pre-commit), inside emulators of the hosts that cannot run offline (the GitHub Actions
//! runner, the Argo CD repo-server; the emulators are Python scripts in `tests/hosts/scripts/`),
//! and installed from a release (`release`). These are the slow tests: they install tools under
//! `target/` on first use. `parity` runs one configuration through every host.

#[path = "../common/mod.rs"]
mod common;

mod action;
mod argocd;
mod graph;
mod helm;
mod kpt;
mod kustomize;
mod parity;
mod precommit;
mod release;
