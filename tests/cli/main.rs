//! bindery's command line end to end, one module per concern: the binary is run on the
//! example folders in `fixtures/` and on small inputs, and what a user (or a GitOps tool) sees
//! is checked. `migrate` and `fuzz_regressions` also call the library directly.
//!
//! Helpers (the one process runner, fixture lists, YAML readers, container views) are in
//! `tests/common/`, shared with the `hosts` and `conformance` test binaries.

#[path = "../common/mod.rs"]
mod common;

mod checks;
mod configuration;
mod conventions;
mod diagnosis;
mod faithful;
mod fuzz_regressions;
mod gitops_repo;
mod inputs;
mod migrate;
mod output_files;
mod polish;
mod quirks;
mod render;
mod repo_mode;
mod review;
mod runtime_secrets;
mod safety;
mod sbo;
mod terminal;
