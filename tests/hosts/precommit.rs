//! bindery's pre-commit hooks (`.pre-commit-hooks.yaml`) under the real pre-commit, installed
//! from PyPI into `target/integration-tools/venv`: the manifest validates, and
//! `pre-commit try-repo` of this repository on a sample deployment repository passes while every
//! binding resolves and fails, naming the binding, once one does not. The `language: rust` hook
//! builds bindery with `cargo install` exactly as a user's pre-commit does (opt-level 0 and a
//! target directory under `target/` keep that fast in tests); the `language: system` hook uses
//! the bindery on PATH.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

pub(crate) fn pre_commit() -> PathBuf {
    venv_python(&["pre-commit"])
}

/// A git repository with one resolvable binding (`deploy/web`).
fn consumer(tmp: &Path) -> PathBuf {
    let dir = tmp.join("consumer");
    let web = dir.join("deploy/web");
    std::fs::create_dir_all(&web).unwrap();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        std::fs::copy(repo().join("kustomize-plugin/example/app").join(f), web.join(f)).unwrap();
    }
    std::fs::write(dir.join("README.md"), "deployment repository\n").unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    dir
}

pub(crate) fn git(dir: &Path, args: &[&str]) {
    run(
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com"),
        Duration::from_secs(60),
    )
    .ok();
}

/// Add a second binding whose Secret does not exist, staged.
fn break_it(dir: &Path) {
    let bad = dir.join("deploy/bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("binding.yaml"),
        "apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata:\n  name: web-cache\nspec:\n  service:\n    apiVersion: v1\n    kind: Secret\n    name: cache-credentials\n  workload:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n",
    )
    .unwrap();
    git(dir, &["add", "-A"]);
}

/// The hook repository as pre-commit fetches it: this working tree (without `target/`),
/// committed to a fresh git repository (`try-repo` on a dirty checkout would leave out files
/// that are not tracked yet).
pub(crate) fn hook_repo(tmp: &Path) -> PathBuf {
    let dir = tmp.join("bindery-hooks");
    if dir.exists() {
        return dir;
    }
    copy_tree(&repo(), &dir, &["target", ".git"]);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "hooks"]);
    dir
}

pub(crate) fn try_repo(python: &Path, consumer: &Path, hook: &str, path: &std::ffi::OsStr) -> Out {
    let tools = tools_dir();
    let hooks = hook_repo(consumer.parent().unwrap());
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pre_commit", "try-repo"])
        .arg(&hooks)
        .arg(hook)
        .args(["--all-files", "--verbose", "--color", "never"])
        .current_dir(consumer)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", tools.join("pre-commit-home"))
        // What pre-commit's `cargo install` builds: cached between runs, unoptimised for speed.
        .env("CARGO_TARGET_DIR", tools.join("pre-commit-cargo-target"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_LTO", "false");
    run(&mut cmd, Duration::from_secs(1500))
}

#[test]
fn the_hook_manifest_validates() {
    let python = pre_commit();
    let out = run(
        Command::new(&python).args(["-m", "pre_commit", "validate-manifest"]).arg(repo().join(".pre-commit-hooks.yaml")),
        Duration::from_secs(120),
    );
    out.ok();
}

#[test]
fn the_rust_hook_builds_bindery_and_checks_the_whole_tree() {
    let python = pre_commit();
    let tmp = tempfile::tempdir().unwrap();
    let dir = consumer(tmp.path());
    // No bindery on PATH: the hook must build its own.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let out = try_repo(&python, &dir, "bindery-check", &path);
    out.ok();
    assert!(out.stdout.contains("bindery check") && out.stdout.contains("Passed"), "{}", out.all());

    break_it(&dir);
    let out = try_repo(&python, &dir, "bindery-check", &path);
    out.fails();
    assert!(out.stdout.contains("Failed"), "{}", out.all());
    assert!(out.all().contains("web-cache") && out.all().contains("cache-credentials"), "{}", out.all());
    assert!(!out.all().contains("example-only-not-a-secret"), "no Secret values");
}

#[test]
fn the_system_hook_uses_bindery_from_path() {
    let python = pre_commit();
    let tmp = tempfile::tempdir().unwrap();
    let dir = consumer(tmp.path());
    let with_bindery = path_with(&[&bin_dir(tmp.path())]);
    let out = try_repo(&python, &dir, "bindery-check-system", &with_bindery);
    out.ok();
    assert!(out.stdout.contains("Passed"), "{}", out.all());
    break_it(&dir);
    let out = try_repo(&python, &dir, "bindery-check-system", &with_bindery);
    out.fails();
    assert!(out.all().contains("web-cache"), "{}", out.all());

    // Without bindery on PATH the system hook says so.
    let bare = tmp.path().join("empty-bin");
    std::fs::create_dir_all(&bare).unwrap();
    let git_dir = require_tool("git", "git is needed by pre-commit");
    std::os::unix::fs::symlink(&git_dir, bare.join("git")).unwrap();
    let out = try_repo(&python, &dir, "bindery-check-system", &path_with(&[&bare, Path::new("/usr/bin"), Path::new("/bin")]));
    out.fails();
    assert!(out.all().contains("bindery"), "{}", out.all());
}

/// `fixtures/gitops-repo` as a deployment repository (base, overlays, bindery as a transformer).
fn gitops_consumer(tmp: &Path) -> PathBuf {
    let dir = tmp.join("consumer");
    copy_tree(&repo().join("fixtures/gitops-repo"), &dir, &[]);
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    dir
}

/// A binding whose Secret exists nowhere, added to the staging overlay only.
pub(crate) fn break_staging(dir: &Path) {
    let staging = dir.join("overlays/staging");
    std::fs::write(
        staging.join("cache-binding.yaml"),
        "# the cache: its Secret is in no overlay\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata:\n  name: orders-cache\nspec:\n  service:\n    apiVersion: v1\n    kind: Secret\n    name: orders-cache\n  workload:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: orders\n",
    )
    .unwrap();
    let k = std::fs::read_to_string(staging.join("kustomization.yaml")).unwrap();
    std::fs::write(
        staging.join("kustomization.yaml"),
        k.replace("- sealed-orders-smtp.yaml\n", "- sealed-orders-smtp.yaml\n- cache-binding.yaml\n"),
    )
    .unwrap();
}

#[test]
fn a_kustomize_repository_is_checked_per_overlay_through_try_repo() {
    let python = pre_commit();
    let tmp = tempfile::tempdir().unwrap();
    let dir = gitops_consumer(tmp.path());
    // kubectl (for kubectl kustomize) is on PATH with bindery.
    let with_bindery = path_with(&[&bin_dir(tmp.path())]);
    let out = try_repo(&python, &dir, "bindery-check-system", &with_bindery);
    out.ok();
    assert!(out.stdout.contains("Passed"), "{}", out.all());
    assert!(out.all().contains("2 kustomizations built with kubectl kustomize"), "{}", out.all());
    assert!(!out.all().contains("SecretInOtherNamespace"), "{}", out.all());

    break_staging(&dir);
    git(&dir, &["add", "-A"]);
    let out = try_repo(&python, &dir, "bindery-check-system", &with_bindery);
    out.fails();
    assert!(out.stdout.contains("Failed"), "{}", out.all());
    assert!(out.all().contains("== overlays/staging (kubectl kustomize) =="), "{}", out.all());
    assert!(out.all().contains("overlays/staging/cache-binding.yaml:7"), "{}", out.all());
    assert!(out.all().contains("overlays/staging: 1 error"), "{}", out.all());
    assert!(out.all().contains("overlays/production-resolved: 0 errors"), "{}", out.all());
}
