//! The GitHub Action (`action.yml`, composite):
//!
//! * validated with `check-jsonschema --builtin-schema vendor.github-actions` (PyPI, installed
//!   into `target/integration-tools/venv`), and the README's example workflow with
//!   `vendor.github-workflows`;
//! * run step by step by `tests/hosts/scripts/run_composite.py`, an emulator of the Actions
//!   runner for composite actions (inputs, `env:`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`,
//!   `GITHUB_PATH`, workflow-command annotations, `if:`), with a fake `gh`
//!   (`tests/hosts/scripts/fake_gh.py`) standing in for the GitHub API. GitHub's runner itself
//!   cannot run offline.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

const T: Duration = Duration::from_secs(300);

fn python() -> PathBuf {
    venv_python(&["check-jsonschema", "pyyaml"])
}

/// A checked-out deployment repository: `deploy/web` binds; with `broken`, `deploy/bad` holds a
/// binding whose Secret does not exist.
fn workspace(tmp: &Path, broken: bool) -> PathBuf {
    let ws = tmp.join("ws");
    let web = ws.join("deploy/web");
    std::fs::create_dir_all(&web).unwrap();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        std::fs::copy(repo().join("kustomize-plugin/example/app").join(f), web.join(f)).unwrap();
    }
    if broken {
        let bad = ws.join("deploy/bad");
        std::fs::create_dir_all(&bad).unwrap();
        std::fs::write(
            bad.join("binding.yaml"),
            "apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata:\n  name: web-cache\nspec:\n  service:\n    apiVersion: v1\n    kind: Secret\n    name: cache-credentials\n  workload:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n",
        )
        .unwrap();
    }
    ws
}

/// `bindery` and a fake `gh` on PATH.
pub(crate) fn fake_bin(tmp: &Path) -> PathBuf {
    let dir = bin_dir(tmp);
    let gh = dir.join("gh");
    std::fs::write(&gh, format!("#!/bin/sh\nexec python3 {} \"$@\"\n", host_script("fake_gh.py").display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

pub(crate) struct ActionRun {
    pub(crate) out: Out,
    pub(crate) report: Value,
}

impl ActionRun {
    pub(crate) fn output(&self, name: &str) -> &str {
        self.report["outputs"][name].as_str().unwrap_or_else(|| panic!("no output {name}: {}", self.report))
    }
    fn summary(&self) -> &str {
        self.report["summary"].as_str().unwrap()
    }
    pub(crate) fn annotations(&self) -> &[Value] {
        self.report["annotations"].as_array().unwrap()
    }
}

pub(crate) fn run_action(tmp: &Path, ws: &Path, path: &std::ffi::OsStr, with: &[&str], env: &[(&str, &str)]) -> ActionRun {
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("run_composite.py")).arg(repo()).arg(ws);
    for w in with {
        cmd.args(["--with", w]);
    }
    cmd.env("PATH", path).env("FAKE_GH_STATE", tmp.join("gh-state.json")).env("TMPDIR", tmp);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd, T);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("runner report: {e}\n{}", out.all()));
    ActionRun { out, report }
}

fn gh_state(tmp: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(tmp.join("gh-state.json")).unwrap()).unwrap()
}

#[test]
fn action_yml_and_the_readme_workflow_pass_the_github_schemas() {
    let python = python();
    let out = run(
        Command::new(&python).args(["-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions"]).arg(repo().join("action.yml")),
        T,
    );
    out.ok();
    // The example workflow in the README, as a user would copy it.
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = &readme[readme.find("## GitHub Action").expect("README has a GitHub Action section")..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let workflow = &section[start..start + section[start..].find("```").unwrap()];
    assert!(workflow.contains("uses:") && workflow.contains("bindery"), "{workflow}");
    let tmp = tempfile::tempdir().unwrap();
    let wf = tmp.path().join("bindery.yml");
    std::fs::write(&wf, workflow).unwrap();
    let out = run(Command::new(&python).args(["-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]).arg(&wf), T);
    out.ok();
}

#[test]
fn inputs_reach_scripts_only_through_env() {
    let text = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    let action = &parse_stream(&text)[0];
    for step in action["runs"]["steps"].as_array().unwrap() {
        if let Some(uses) = step["uses"].as_str() {
            // An action step (actions/cache) runs no script of ours; it is pinned to a version.
            assert!(step.get("run").is_none() && uses.contains('@'), "{step}");
            continue;
        }
        let script = step["run"].as_str().unwrap();
        assert!(!script.contains("${{"), "expression pasted into a script: {}", step["name"]);
        assert_eq!(step["shell"], "bash");
    }
}

#[test]
fn a_failing_pull_request_is_annotated_summarized_commented_once_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path(), true);
    let path = path_with(&[&fake_bin(tmp.path())]);
    let sarif = ws.join("bindery.sarif");
    let with = ["path=deploy", "comment=true", "sarif-file=bindery.sarif"];
    let r = run_action(tmp.path(), &ws, &path, &with, &[]);
    assert_eq!(r.report["rc"], 1, "fail-on error fails the job:\n{}", r.out.all());
    assert_eq!(r.output("changed"), "false", "nothing is rendered while a binding fails");
    assert!(r.output("errors").parse::<u32>().unwrap() >= 1);
    assert_eq!(r.output("findings"), r.output("errors"));
    let errors: Vec<&Value> = r.annotations().iter().filter(|a| a["level"] == "error").collect();
    assert!(!errors.is_empty(), "{}", r.report);
    let e = errors.iter().find(|a| a["message"].as_str().unwrap().contains("web-cache")).expect("annotation names the binding");
    assert_eq!(e["file"], "deploy/bad/binding.yaml", "file relative to the repository root");
    assert!(e["line"].as_str().is_some_and(|l| l.parse::<u32>().is_ok()), "{e}");
    assert!(r.summary().contains("<!-- bindery-report -->") && r.summary().contains("error"), "{}", r.summary());
    // SARIF written for upload-sarif.
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(r.output("sarif-file"), "bindery.sarif");
    // One PR comment carrying the marker, posted with the token.
    let state = gh_state(tmp.path());
    let comments = state["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1, "{state}");
    assert!(comments[0]["body"].as_str().unwrap().contains("<!-- bindery-report -->"));
    assert!(state["calls"].as_array().unwrap().iter().all(|c| c["token"] == true));
    assert!(!r.out.all().contains("example-only-not-a-secret"), "no Secret values");

    // The next push: the same comment is edited, no second one.
    let r2 = run_action(tmp.path(), &ws, &path, &with, &[]);
    assert_eq!(r2.report["rc"], 1);
    let state = gh_state(tmp.path());
    assert_eq!(state["comments"].as_array().unwrap().len(), 1, "updated in place: {state}");
    assert!(state["calls"].as_array().unwrap().iter().any(|c| c["argv"].to_string().contains("PATCH")));

    // fail-on: never reports but does not fail.
    let r3 = run_action(tmp.path(), &ws, &path, &["path=deploy", "fail-on=never"], &[]);
    assert_eq!(r3.report["rc"], 0, "{}", r3.out.all());
}

#[test]
fn a_passing_pull_request_shows_the_rendered_diff_and_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path(), false);
    let path = path_with(&[&fake_bin(tmp.path())]);
    let r = run_action(tmp.path(), &ws, &path, &["path=deploy", "comment=true"], &[]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert_eq!(r.output("changed"), "true");
    assert_eq!(r.output("findings"), "0");
    assert!(r.annotations().iter().all(|a| a["level"] != "error"));
    let diff = std::fs::read_to_string(r.output("diff-file")).unwrap();
    assert!(diff.contains("DATABASE_HOST"), "{diff}");
    assert!(r.summary().contains("DATABASE_HOST"), "the diff is in the job summary:\n{}", r.summary());
    assert!(!diff.contains("example-only-not-a-secret") && !r.summary().contains("example-only-not-a-secret"));

    // A fork's read-only token: the comment fails softly, the check still passes.
    let r = run_action(tmp.path(), &ws, &path, &["path=deploy", "comment=true"], &[("FAKE_GH_READONLY", "1")]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert!(r.annotations().iter().any(|a| a["level"] == "warning" && a["message"].as_str().unwrap().contains("comment")));
}

#[test]
fn without_bindery_on_path_the_action_builds_it_from_its_own_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = workspace(tmp.path(), false);
    // PATH without bindery (cargo stays reachable).
    let cargo = require_tool("cargo", "cargo builds bindery in the action's install step");
    let mut dirs: Vec<PathBuf> = vec![cargo.parent().unwrap().to_path_buf()];
    dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from));
    for tool in ["python3", "jq", "git"] {
        if let Some(parent) = Some(require_tool(tool, "needed by the runner")).as_deref().and_then(Path::parent) {
            dirs.push(parent.to_path_buf());
        }
    }
    let dirs: Vec<PathBuf> = dirs.into_iter().filter(|d| !d.join("bindery").exists()).collect();
    let path = std::env::join_paths(&dirs).unwrap();
    let target = tools_dir().join("action-cargo-target");
    let target_s = target.to_string_lossy().into_owned();
    let r = run_action(
        tmp.path(),
        &ws,
        &path,
        &["path=deploy"],
        &[("CARGO_TARGET_DIR", &target_s), ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"), ("CARGO_PROFILE_RELEASE_DEBUG", "false")],
    );
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    let install = r.report["steps"].as_array().unwrap().iter().find(|s| s["id"] == "install").expect("an install step");
    assert_eq!(install["outcome"], "success");
    assert!(r.out.stderr.contains("built bindery"), "{}", r.out.stderr);
    assert_eq!(r.output("changed"), "true");
}

#[test]
fn a_kustomize_repository_is_checked_per_overlay_with_a_graph_per_overlay() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    copy_tree(&repo().join("fixtures/gitops-repo"), &ws, &[]);
    let path = path_with(&[&fake_bin(tmp.path())]);
    let r = run_action(tmp.path(), &ws, &path, &["comment=true"], &[]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert_eq!(r.output("errors"), "0");
    assert_eq!(r.output("changed"), "true");
    let summary = r.summary();
    assert_eq!(summary.matches("```mermaid\n").count(), 2, "one graph per overlay:\n{summary}");
    assert!(summary.contains("#### `overlays/staging (kubectl kustomize)`"), "{summary}");
    assert!(summary.contains("ServiceBinding shop-staging/orders-db"), "{summary}");
    let state = gh_state(tmp.path());
    assert!(state["comments"][0]["body"].as_str().unwrap().contains("```mermaid"), "the PR comment embeds the graph");
    assert!(r.annotations().iter().all(|a| !a["file"].as_str().unwrap_or("").contains("stdin")), "{}", r.report);

    // An error injected in one overlay: annotated at the repository file and line, with the overlay.
    crate::precommit::break_staging(&ws);
    let r = run_action(tmp.path(), &ws, &path, &[], &[]);
    assert_eq!(r.report["rc"], 1, "{}", r.out.all());
    let errors: Vec<&Value> = r.annotations().iter().filter(|a| a["level"] == "error").collect();
    assert_eq!(errors.len(), 1, "{}", r.report);
    assert_eq!(errors[0]["file"], "overlays/staging/cache-binding.yaml");
    assert_eq!(errors[0]["line"], "7");
    assert!(
        errors[0]["message"].as_str().unwrap().starts_with("[overlays/staging] ServiceBinding shop-staging/orders-cache"),
        "{}",
        errors[0]
    );
    // The graph still shows the failing overlay, with the problem highlighted.
    assert!(r.summary().contains("error: SecretNotFound"), "{}", r.summary());
}
