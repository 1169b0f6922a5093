//! bindery's command line end to end, one module per concern: the binary is run on the
//! example folders in `fixtures/` and on small inputs, and what a user (or a GitOps tool) sees
//! is checked. `migrate` and `fuzz_regressions` also call the library directly.
//!
//! Helpers (the one process runner, fixture lists, YAML readers, container views) are in
//! `tests/common/`, shared with the `hosts` and `conformance` test binaries.

#[path = "../common/mod.rs"]
mod common;

mod checks;
mod conventions;
mod fuzz_regressions;
mod gitops_repo;
mod migrate;
mod quirks;
mod render;
mod review;
mod runtime_secrets;
mod safety;
mod sbo;
