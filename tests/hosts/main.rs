//! bindery inside the real host tools (kubectl kustomize, standalone kustomize, kpt,
//! pre-commit) and inside emulators of the hosts that cannot run offline (the GitHub Actions
//! `tests/hosts/scripts/`. These are the slow tests: they install tools under `target/` on first use.
//! `tests/hosts/`. These are the slow tests: they install tools under `target/` on first use.

#[path = "../common/mod.rs"]
mod common;

mod action;
mod argocd;
mod kpt;
mod kustomize;
mod precommit;
