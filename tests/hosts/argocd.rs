//! bindery as an Argo CD config-management plugin: the real `argocd-cmp/plugin.yaml`, run by an
//! emulator of the repo-server/cmp-server contract (`tests/hosts/scripts/cmp_sim.py`: repository
//! copy with file modes reset, discovery, environment with `ARGOCD_ENV_*` and parameters, cwd =
//! app path, stdout decoded as Argo CD decodes it). Argo CD itself needs a cluster (or the
//! `argocd` multi-call binary, which no registry reachable here provides), so this is the
//! nearest host.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

const T: Duration = Duration::from_secs(120);

/// A Git-like repository: `apps/web` (bindery.yaml + manifests, the Secret in the destination
/// namespace `prod` while the rest sets none), `apps/plain` (no bindery.yaml).
fn repository(tmp: &Path) -> PathBuf {
    let repo_dir = tmp.join("repo");
    let web = repo_dir.join("apps/web");
    copy_dir(&repo().join("kustomize-plugin/example/app"), &web);
    let db = std::fs::read_to_string(web.join("database.yaml"))
        .unwrap()
        .replace("  name: orders-db-credentials\ntype:", "  name: orders-db-credentials\n  namespace: prod\ntype:");
    std::fs::write(web.join("database.yaml"), db).unwrap();
    std::fs::write(
        web.join("bindery.yaml"),
        "# Marks the folder for the bindery plugin; may set options.\napiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata:\n  name: bindery\nspec:\n  failOn: error\n",
    )
    .unwrap();
    let plain = repo_dir.join("apps/plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").unwrap();
    repo_dir
}

fn cmp(tmp: &Path, repo_dir: &Path, app: &str, extra: &[&str]) -> Out {
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("cmp_sim.py"))
        .arg(repo().join("argocd-cmp/plugin.yaml"))
        .arg(repo_dir)
        .arg(app)
        .args(["--app", "web", "--ns", "prod"])
        .args(extra)
        .env("PATH", path_with(&[&bin_dir(tmp)]))
        .env("TMPDIR", tmp);
    run(&mut cmd, T)
}

fn manifests(out: &Out) -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}

#[test]
fn the_plugin_renders_the_app_directory_with_only_manifests_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = repository(tmp.path());
    let out = cmp(tmp.path(), &repo_dir, "apps/web", &[]);
    out.ok();
    assert!(out.stderr.contains("[cmp] discover: match"), "{}", out.stderr);
    let docs = manifests(&out);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PostgresInstance", "Secret", "Deployment"], "no BindingResolver, Kptfile, ServiceBinding");
    let web = find(&docs, "Deployment", "web").unwrap();
    // Resolved in the destination namespace: the Secret (namespace prod) was found.
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_PASSWORD"), Some(("orders-db-credentials".into(), "password".into())));
    assert_eq!(projected_secrets(web), ["orders-db-credentials"]);
}

#[test]
fn env_and_parameters_set_bindery_options() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = repository(tmp.path());
    let out = cmp(tmp.path(), &repo_dir, "apps/web", &["--param-json", r#"[{"name":"keep-bindings","string":"true"}]"#]);
    out.ok();
    assert!(find(&manifests(&out), "ServiceBinding", "web-orders-db").is_some(), "parameter applied");

    let out = cmp(tmp.path(), &repo_dir, "apps/web", &["--env", "BINDERY_KEEP_BINDINGS=true"]);
    out.ok();
    assert!(find(&manifests(&out), "ServiceBinding", "web-orders-db").is_some(), "ARGOCD_ENV_ applied");

    // A misspelt option is an error Argo CD shows, not a silently ignored setting.
    let out = cmp(tmp.path(), &repo_dir, "apps/web", &["--param-json", r#"[{"name":"keep-binding","string":"true"}]"#]);
    out.fails();
    assert!(out.stderr.contains("error generating manifests in cmp") && out.stderr.contains("keep-binding"), "{}", out.stderr);
}

#[test]
fn an_unresolvable_binding_fails_the_sync_with_the_reason_and_no_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = repository(tmp.path());
    let binding = repo_dir.join("apps/web/binding.yaml");
    let text = std::fs::read_to_string(&binding).unwrap().replace("key: password", "key: passwd");
    std::fs::write(&binding, text).unwrap();
    let out = cmp(tmp.path(), &repo_dir, "apps/web", &[]);
    out.fails();
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    for needle in ["error generating manifests in cmp", "failed exit status 1", "web-orders-db", "passwd"] {
        assert!(out.stderr.contains(needle), "{needle:?} missing:\n{}", out.stderr);
    }
    assert!(!out.stderr.contains("example-only-not-a-secret"), "no Secret values in the UI");

    // Without the Secret's namespace matching the destination, resolution fails too (proves the
    // destination namespace is used).
    let tmp2 = tempfile::tempdir().unwrap();
    let repo2 = repository(tmp2.path());
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("cmp_sim.py"))
        .arg(repo().join("argocd-cmp/plugin.yaml"))
        .arg(&repo2)
        .arg("apps/web")
        .args(["--app", "web", "--ns", "staging"])
        .env("PATH", path_with(&[&bin_dir(tmp2.path())]))
        .env("TMPDIR", tmp2.path());
    let out = run(&mut cmd, T);
    out.fails();
    assert!(out.stderr.contains("orders-db-credentials"), "{}", out.stderr);
}

#[test]
fn discovery_matches_only_folders_with_bindery_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_dir = repository(tmp.path());
    let out = cmp(tmp.path(), &repo_dir, "apps/plain", &[]);
    assert_eq!(out.code, Some(3), "{}", out.all());
    assert!(out.stderr.contains("discover: no match"));
}

#[test]
fn plugin_yaml_is_a_valid_v2_plugin() {
    let text = std::fs::read_to_string(repo().join("argocd-cmp/plugin.yaml")).unwrap();
    let v = &parse_stream(&text)[0];
    assert_eq!(v["kind"], "ConfigManagementPlugin");
    assert_eq!(v["metadata"]["name"], "bindery");
    let cmd: Vec<&str> = v["spec"]["generate"]["command"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(cmd, ["bindery", "argocd-cmp", "."], "bindery reads the directory itself: no shell pipe");
    assert_eq!(v["spec"]["discover"]["fileName"], "./bindery.yaml");
    // Every announced parameter is one bindery accepts.
    for p in v["spec"]["parameters"]["static"].as_array().unwrap() {
        let mut c = bindery::hosts::config::Config::default();
        let name = p["name"].as_str().unwrap();
        let sample = if name == "namespace" {
            "prod"
        } else if name == "fail-on" {
            "error"
        } else {
            "true"
        };
        c.set(name, &bindery::doc::value::Value::String(sample.into())).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
