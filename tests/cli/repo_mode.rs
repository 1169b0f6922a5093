//! Repository mode: `check`, `diff`, `explain` and `graph` on a directory with kustomizations
//! build every root (the kustomizations no other one includes) with the real `kubectl
//! kustomize` and check each built set on its own, naming the root and the repository file and
//! line; `--exclude`, `.binderyignore`, Helm charts and Go templates; duplicate bindings.

use crate::common::{self, copy_tree, repo, run, Out};

use std::path::{Path, PathBuf};

use serde_json::Value;

fn bindery_in(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = common::bindery_command(args);
    cmd.current_dir(dir);
    run(&mut cmd, std::time::Duration::from_secs(120))
}

fn bindery(args: &[&str]) -> Out {
    bindery_in(&repo(), args)
}

/// A copy of `fixtures/gitops-repo` to change.
fn gitops_copy(tmp: &Path) -> PathBuf {
    let dir = tmp.join("gitops-repo");
    copy_tree(&repo().join("fixtures/gitops-repo"), &dir, &[]);
    dir
}

fn json(out: &Out) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", out.all()))
}

#[test]
fn the_gitops_repo_checks_cleanly_per_overlay() {
    let out = bindery(&["check", "fixtures/gitops-repo", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let report = json(&out);
    let roots: Vec<(&str, &str, u64, u64)> = report["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["root"].as_str().unwrap(), r["builder"].as_str().unwrap(), r["errors"].as_u64().unwrap(), r["warnings"].as_u64().unwrap())
        })
        .collect();
    // production is included by production-resolved (bindery as its transformer): built there.
    assert_eq!(
        roots,
        [
            ("fixtures/gitops-repo/overlays/production-resolved", "kubectl kustomize", 0, 1),
            ("fixtures/gitops-repo/overlays/staging", "kubectl kustomize", 0, 1)
        ]
    );
    // No false SecretInOtherNamespace from merging the base with both overlays.
    let rules: Vec<&str> = report["problems"].as_array().unwrap().iter().map(|p| p["rule"].as_str().unwrap()).collect();
    assert!(!rules.contains(&"SecretInOtherNamespace"), "{rules:?}");
    // Every finding names its root and a repository file (never <stdin> or the build).
    for p in report["problems"].as_array().unwrap() {
        assert!(p["root"].as_str().unwrap().starts_with("fixtures/gitops-repo/overlays/"), "{p}");
        let file = p["location"]["file"].as_str().unwrap();
        assert!(file.starts_with("fixtures/gitops-repo/") && file.ends_with(".yaml"), "{p}");
    }
    let warning = report["problems"].as_array().unwrap().iter().find(|p| p["rule"] == "ConsumerMissingEntries").unwrap();
    assert_eq!(warning["location"]["file"], "fixtures/gitops-repo/base/bindings/orders.yaml");
    assert_eq!(warning["location"]["line"], 3);

    // The plain directory run (--no-kustomize) is the merged set the issue reported.
    let merged = bindery(&["check", "fixtures/gitops-repo", "--no-kustomize", "--format", "json"]);
    assert_eq!(merged.code, Some(1), "{}", merged.all());
    assert!(json(&merged).get("roots").is_none());
}

#[test]
fn an_error_injected_in_one_overlay_names_that_overlay_and_the_repository_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = gitops_copy(tmp.path());
    let staging = dir.join("overlays/staging");
    std::fs::write(
        staging.join("cache-binding.yaml"),
        "# the cache: its Secret is in no overlay\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata:\n  name: orders-cache\nspec:\n  service:\n    apiVersion: v1\n    kind: Secret\n    name: orders-cache\n  workload:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: orders\n",
    )
    .unwrap();
    let kustomization = std::fs::read_to_string(staging.join("kustomization.yaml")).unwrap();
    std::fs::write(
        staging.join("kustomization.yaml"),
        kustomization.replace("- sealed-orders-smtp.yaml\n", "- sealed-orders-smtp.yaml\n- cache-binding.yaml\n"),
    )
    .unwrap();

    let out = bindery_in(&dir, &["check", "--format", "github"]);
    assert_eq!(out.code, Some(1), "{}", out.all());
    let errors: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 1, "{}", out.stdout);
    assert!(
        errors[0].starts_with("::error file=overlays/staging/cache-binding.yaml,line=7,title=bindery/SecretNotFound::[overlays/staging] ServiceBinding shop-staging/orders-cache: "),
        "{}",
        errors[0]
    );
    // The other overlay is unaffected.
    let report = json(&bindery_in(&dir, &["check", "--format", "json"]));
    let by_root: Vec<(&str, u64)> =
        report["roots"].as_array().unwrap().iter().map(|r| (r["root"].as_str().unwrap(), r["errors"].as_u64().unwrap())).collect();
    assert_eq!(by_root, [("overlays/production-resolved", 0), ("overlays/staging", 1)]);
    // Humans get a section per overlay and the source snippet of the repository file.
    let human = bindery_in(&dir, &["check"]);
    assert!(human.stdout.contains("== overlays/staging (kubectl kustomize) ==\n"), "{}", human.stdout);
    assert!(human.stdout.contains("overlays/staging/cache-binding.yaml:7:1]"), "{}", human.stdout);
    assert!(human.stdout.contains("overlays/staging: 1 error, 0 warnings, 3 notices in 11 resources (4 bindings)\n"), "{}", human.stdout);
    // SARIF names the repository file too.
    let sarif = json(&bindery_in(&dir, &["check", "--format", "sarif"]));
    let result = sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["level"] == "error").unwrap();
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "overlays/staging/cache-binding.yaml");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 7);
    // --kustomize-root picks one root: production-resolved alone passes.
    assert_eq!(bindery_in(&dir, &["check", "--kustomize-root", "overlays/production-resolved"]).code, Some(0));
}

#[test]
fn two_bindings_with_one_name_in_one_overlay_are_an_error_naming_both_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = gitops_copy(tmp.path());
    let staging = dir.join("overlays/staging");
    let copy = std::fs::read_to_string(dir.join("base/bindings/payments.yaml"))
        .unwrap()
        .replace("name: payments-stripe\nspec:", "name: payments-stripe\n  namespace: shop-staging\nspec:");
    std::fs::write(staging.join("payments-again.yaml"), copy).unwrap();
    // kustomize itself refuses two resources with one identity; a second file with another
    // apiVersion of the same API is one object for the cluster but two for kustomize.
    let again = std::fs::read_to_string(staging.join("payments-again.yaml"))
        .unwrap()
        .replace("binding.operators.coreos.com/v1alpha1", "binding.operators.coreos.com/v1beta1");
    std::fs::write(staging.join("payments-again.yaml"), again).unwrap();
    let kustomization = std::fs::read_to_string(staging.join("kustomization.yaml")).unwrap();
    std::fs::write(
        staging.join("kustomization.yaml"),
        kustomization.replace("- sealed-orders-smtp.yaml\n", "- sealed-orders-smtp.yaml\n- payments-again.yaml\n"),
    )
    .unwrap();
    let report = json(&bindery_in(&dir, &["check", "--format", "json"]));
    let dup: Vec<&Value> = report["problems"].as_array().unwrap().iter().filter(|p| p["rule"] == "DuplicateBinding").collect();
    assert_eq!(dup.len(), 1, "{report}");
    assert_eq!(dup[0]["root"], "overlays/staging");
    let message = dup[0]["message"].as_str().unwrap();
    assert!(message.contains("base/bindings/payments.yaml:2") && message.contains("overlays/staging/payments-again.yaml:2"), "{message}");
}

#[test]
fn without_kustomize_on_path_repository_mode_says_so() {
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = common::bindery_command(["check", "fixtures/gitops-repo"]);
    cmd.current_dir(repo()).env("PATH", empty.path());
    let out = run(&mut cmd, std::time::Duration::from_secs(60));
    assert_eq!(out.code, Some(2), "{}", out.all());
    assert!(out.all().contains("neither kubectl nor kustomize is on PATH") && out.all().contains("--no-kustomize"), "{}", out.all());
    // Named explicitly, the program must exist.
    let out = bindery(&["check", "fixtures/gitops-repo", "--kustomize-command", "/nonexistent/kustomize"]);
    assert_eq!(out.code, Some(2), "{}", out.all());
    // A plain directory needs no kustomize.
    let mut cmd = common::bindery_command(["check", "fixtures/direct-secret-selector"]);
    cmd.current_dir(repo()).env("PATH", empty.path());
    assert_eq!(run(&mut cmd, std::time::Duration::from_secs(60)).code, Some(0));
}

#[test]
fn diff_explain_and_graph_are_per_overlay() {
    let diff = bindery(&["diff", "fixtures/gitops-repo", "--format", "markdown"]);
    assert_eq!(diff.code, Some(0), "{}", diff.all());
    assert!(diff.stdout.contains("#### `fixtures/gitops-repo/overlays/staging (kubectl kustomize)`"), "{}", diff.stdout);
    assert!(
        diff.stdout.contains("<code>Deployment shop-staging/orders</code> in <code>fixtures/gitops-repo/base/apps/orders.yaml:3</code>"),
        "{}",
        diff.stdout
    );
    let explain = json(&bindery(&["explain", "fixtures/gitops-repo", "--format", "json"]));
    let roots = explain["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 2);
    assert_eq!(roots[1]["report"]["workloads"][0]["namespace"], "shop-staging");
    let graph = bindery(&["graph", "fixtures/gitops-repo"]);
    assert_eq!(graph.code, Some(0), "{}", graph.all());
    assert!(
        graph
            .stdout
            .starts_with("flowchart LR\n  subgraph r0[\"fixtures/gitops-repo/overlays/production-resolved (kubectl kustomize)\"]\n"),
        "{}",
        graph.stdout
    );
    assert!(graph.stdout.contains("r1_n6 -->|\"env STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET\"| r1_n8"), "{}", graph.stdout);
    // render stays a plain directory render unless one root is named.
    let render = bindery(&["render", "--kustomize-root", "fixtures/gitops-repo/overlays/staging"]);
    assert_eq!(render.code, Some(0), "{}", render.all());
    assert!(!render.stdout.contains("config.kubernetes.io/origin"), "the annotation bindery asked for is not emitted");
    assert_eq!(bindery(&["render", "--kustomize-root", "a", "--kustomize-root", "b"]).code, Some(2));
}

#[test]
fn a_repository_with_a_helm_chart_and_a_binderyignore_checks_with_notices() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let deploy = dir.join("deploy");
    std::fs::create_dir_all(&deploy).unwrap();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        std::fs::copy(repo().join("kustomize-plugin/example/app").join(f), deploy.join(f)).unwrap();
    }
    let chart = dir.join("charts/shop");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: shop\nversion: 0.1.0\n").unwrap();
    std::fs::write(chart.join("values.yaml"), "replicas: 1\n").unwrap();
    std::fs::write(chart.join("templates/deployment.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- with .Values.labels }}\n  labels: {{ toYaml . | nindent 4 }}\n{{- end }}\n").unwrap();
    std::fs::write(deploy.join("extra.tmpl.yaml"), "{{- range .Values.items }}\n- {{ . }}\n{{- end }}\n").unwrap();
    std::fs::create_dir_all(dir.join("legacy")).unwrap();
    std::fs::write(dir.join("legacy/broken.yaml"), "kind: [\n").unwrap();
    let broken = bindery_in(&dir, &["check"]);
    assert_eq!(broken.code, Some(2), "unparseable YAML without {{ is still bad input:\n{}", broken.all());
    std::fs::write(dir.join(".binderyignore"), "# old manifests\nlegacy/\n").unwrap();

    let out = bindery_in(&dir, &["check", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let report = json(&out);
    let notices: Vec<(&str, &str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["rule"].as_str().unwrap(), p["location"]["file"].as_str().unwrap(), p["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        notices,
        [
            (
                "SkippedInput",
                "charts/shop/Chart.yaml",
                "skipped charts/shop: a Helm chart (Chart.yaml next to templates/); check `helm template` output instead"
            ),
            ("SkippedInput", "deploy/extra.tmpl.yaml", "skipped deploy/extra.tmpl.yaml: a Go template ({{ … }}), not YAML"),
        ]
    );
    assert_eq!(report["summary"]["resources"], 4);
    // The same through every command: render and diff skip them with a notice on stderr.
    let render = bindery_in(&dir, &["render"]);
    assert_eq!(render.code, Some(0), "{}", render.all());
    assert!(render.stderr.contains("bindery: notice: skipped charts/shop: a Helm chart"), "{}", render.stderr);
    // --exclude leaves out what .binderyignore does not.
    let out = bindery_in(&dir, &["check", "--exclude", "deploy/", "--format", "json"]);
    assert_eq!(json(&out)["summary"]["resources"], 0, "{}", out.all());
    assert_eq!(bindery_in(&dir, &["check", "--exclude", "{a,b"]).code, Some(2));
    // --no-kustomize does not turn exclusions off.
    assert_eq!(bindery_in(&dir, &["check", "--no-kustomize"]).code, Some(0));
}

#[test]
fn checked_from_inside_an_overlay_the_root_is_dot_and_the_base_is_named_relative() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = gitops_copy(tmp.path());
    let out = bindery_in(&dir.join("overlays/staging"), &["check", "--format", "json"]);
    assert_eq!(out.code, Some(0), "{}", out.all());
    let report = json(&out);
    assert_eq!(report["roots"][0]["root"], ".");
    let warning = report["problems"].as_array().unwrap().iter().find(|p| p["rule"] == "ConsumerMissingEntries").unwrap();
    assert_eq!(warning["location"]["file"], "../../base/bindings/orders.yaml", "relative, not absolute");
    let human = bindery_in(&dir.join("overlays/staging"), &["check"]);
    assert!(human.stdout.ends_with("; . built with kubectl kustomize\n"), "{}", human.stdout);
}
