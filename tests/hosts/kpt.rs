//! bindery as a KRM exec function under the real `kpt` (1.0 beta, on the machine image):
//! `kpt fn eval --exec` and `kpt fn render --allow-exec` on a copy of the example package in
//! `kustomize-plugin/example/app`, checking the files kpt wrote back, the results kpt recorded,
//! and (when the conformance kit is next to the repository) the kit's `spec-` cases through kpt.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::Value;

const T: Duration = Duration::from_secs(120);

pub(crate) fn kpt() -> PathBuf {
    require_tool("kpt", "kpt is part of the machine image (google-cloud-cli-kpt)")
}

/// A copy of the example package in a temporary directory.
fn package(tmp: &Path) -> PathBuf {
    let pkg = tmp.join("app");
    copy_dir(&repo().join("kustomize-plugin/example/app"), &pkg);
    pkg
}

pub(crate) fn kpt_cmd(tmp: &Path) -> Command {
    let mut cmd = Command::new(kpt());
    cmd.env("PATH", path_with(&[&bin_dir(tmp)])).env("HOME", tmp);
    cmd
}

fn docs_in(pkg: &Path, file: &str) -> Vec<Value> {
    parse_stream(&std::fs::read_to_string(pkg.join(file)).unwrap_or_else(|e| panic!("{file}: {e}")))
}

#[track_caller]
fn assert_bound_on_disk(pkg: &Path) {
    let deployment = std::fs::read_to_string(pkg.join("deployment.yaml")).unwrap();
    assert!(deployment.starts_with("# The workload"), "kpt keeps the file's comments:\n{deployment}");
    let docs = parse_stream(&deployment);
    let web = find(&docs, "Deployment", "web").expect("web Deployment in deployment.yaml");
    let c = container(web, "web");
    assert_eq!(secret_ref(c, "DATABASE_HOST"), Some(("orders-db-credentials".into(), "host".into())));
    assert_eq!(projected_secrets(web), ["orders-db-credentials"]);
    // kpt's bookkeeping annotations are not leaked into the files.
    assert!(!deployment.contains("config.kubernetes.io/"), "{deployment}");
    // Items bindery does not touch are written back unchanged in meaning.
    let db = docs_in(pkg, "database.yaml");
    assert_eq!(find(&db, "Secret", "orders-db-credentials").unwrap()["stringData"]["port"], "5432");
    assert!(pkg.join("kustomization.yaml").exists() && pkg.join("Kptfile").exists());
}

#[test]
fn kpt_fn_eval_exec_binds_the_package_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = package(tmp.path());
    let out = run(kpt_cmd(tmp.path()).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN), T);
    out.ok();
    assert!(out.stderr.contains("[PASS]"), "{}", out.stderr);
    assert_bound_on_disk(&pkg);
    assert!(!pkg.join("binding.yaml").exists(), "the consumed ServiceBinding's file is removed");
    let kustomization = std::fs::read_to_string(pkg.join("kustomization.yaml")).unwrap();
    assert!(kustomization.contains("- deployment.yaml"), "non-resources pass through:\n{kustomization}");
}

#[test]
fn kpt_fn_eval_options_from_key_values_and_from_a_binding_resolver_fn_config() {
    let tmp = tempfile::tempdir().unwrap();
    // `-- key=value` arrives as a ConfigMap named function-input.
    let pkg = package(tmp.path());
    let out = run(kpt_cmd(tmp.path()).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN).args(["--", "keepBindings=true"]), T);
    out.ok();
    assert_bound_on_disk(&pkg);
    assert!(find(&docs_in(&pkg, "binding.yaml"), "ServiceBinding", "web-orders-db").is_some(), "kept");

    // --fn-config: a BindingResolver (here outside the package).
    let tmp2 = tempfile::tempdir().unwrap();
    let pkg2 = package(tmp2.path());
    let fn_config = tmp2.path().join("resolver.yaml");
    std::fs::write(
        &fn_config,
        "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: r}\nspec: {keepBindings: true, namespace: default}\n",
    )
    .unwrap();
    let out = run(kpt_cmd(tmp2.path()).args(["fn", "eval"]).arg(&pkg2).arg("--exec").arg(BIN).arg("--fn-config").arg(&fn_config), T);
    out.ok();
    assert!(pkg2.join("binding.yaml").exists());

    // An unknown option fails loudly, and nothing is written.
    let tmp3 = tempfile::tempdir().unwrap();
    let pkg3 = package(tmp3.path());
    let before = read_tree(&pkg3);
    let out = run(kpt_cmd(tmp3.path()).args(["fn", "eval"]).arg(&pkg3).arg("--exec").arg(BIN).args(["--", "keepBinding=true"]), T);
    out.fails();
    assert!(out.all().contains("keepBinding"), "{}", out.all());
    assert_eq!(read_tree(&pkg3), before);
}

#[test]
fn kpt_fn_render_runs_the_kptfile_pipeline_and_a_second_render_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = package(tmp.path());
    // Without --allow-exec kpt refuses exec functions.
    let out = run(kpt_cmd(tmp.path()).args(["fn", "render"]).arg(&pkg), T);
    out.fails();
    assert!(out.all().contains("allow-exec"), "{}", out.all());

    // Keep the ServiceBinding in the package as local-config: read by bindery, never applied.
    let binding = pkg.join("binding.yaml");
    let text = std::fs::read_to_string(&binding)
        .unwrap()
        .replace("  name: web-orders-db\n", "  name: web-orders-db\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n");
    std::fs::write(&binding, text).unwrap();

    let out = run(kpt_cmd(tmp.path()).args(["fn", "render", "--allow-exec"]).arg(&pkg), T);
    out.ok();
    assert_bound_on_disk(&pkg);
    assert!(find(&docs_in(&pkg, "binding.yaml"), "ServiceBinding", "web-orders-db").is_some());
    let first: Vec<(PathBuf, Vec<u8>)> = files(&pkg);
    let out = run(kpt_cmd(tmp.path()).args(["fn", "render", "--allow-exec"]).arg(&pkg), T);
    out.ok();
    assert_eq!(files(&pkg), first, "rendering the rendered package again changes nothing");
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn kpt_failure_keeps_the_files_and_records_results_with_resource_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = package(tmp.path());
    let binding = pkg.join("binding.yaml");
    let text = std::fs::read_to_string(&binding).unwrap().replace("key: password", "key: passwd");
    std::fs::write(&binding, text).unwrap();
    let before = read_tree(&pkg);
    let results = tmp.path().join("results");
    let out = run(kpt_cmd(tmp.path()).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN).arg("--results-dir").arg(&results), T);
    out.fails();
    assert!(out.stderr.contains("[FAIL]") && out.stderr.contains("EnvKeyNotFound"), "{}", out.stderr);
    assert!(!out.all().contains("example-only-not-a-secret"), "no Secret value in diagnostics");
    assert_eq!(read_tree(&pkg), before, "nothing written on failure");
    let list = parse_stream(&std::fs::read_to_string(results.join("results.yaml")).unwrap());
    let item = &list[0]["items"][0];
    assert_eq!(item["exitCode"], 1, "{item}");
    let r = &item["results"][0];
    assert_eq!(r["severity"], "error");
    assert_eq!(r["resourceRef"]["kind"], "ServiceBinding");
    assert_eq!(r["resourceRef"]["name"], "web-orders-db");
    assert_eq!(r["file"]["path"], "binding.yaml");
    assert!(r["message"].as_str().unwrap().contains("passwd"), "{r}");
}

#[test]
fn kpt_fn_eval_from_stdin_prints_the_rendered_stream() {
    // `kpt fn eval -` reads a stream and, with -o unwrap, prints plain YAML: a one-off render.
    let tmp = tempfile::tempdir().unwrap();
    let mut input = String::new();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        input.push_str("---\n");
        input.push_str(&std::fs::read_to_string(repo().join("kustomize-plugin/example/app").join(f)).unwrap());
    }
    let input_file = tmp.path().join("in.yaml");
    std::fs::write(&input_file, input).unwrap();
    let out = run(
        Command::new("sh")
            .arg("-c")
            .arg(format!("\"$KPT\" fn eval - --exec \"$BINDERY --namespace default\" -o unwrap < {}", input_file.display()))
            .env("KPT", kpt())
            .env("BINDERY", BIN),
        T,
    );
    out.ok();
    let docs = parse_stream(&out.stdout);
    let web = find(&docs, "Deployment", "web").unwrap();
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_HOST"), Some(("orders-db-credentials".into(), "host".into())));
}

#[test]
fn conformance_kit_spec_cases_pass_through_kpt() {
    let Some(kit) = conformance_kit() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        Command::new("python3")
            .arg(kit.join("oracle.py"))
            .args(["run", "--via", "kpt", "--only", "spec-", "--bin", BIN, "--cases"])
            .arg(kit.join("cases"))
            .env("PATH", path_with(&[&bin_dir(tmp.path())])),
        Duration::from_secs(600),
    );
    out.ok();
    let last = out.stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with(" passed, 0 failed") && !last.starts_with("0 passed"), "{}", out.stdout);
}

/// `bindery` with input on stdin and no subcommand: what kpt and kustomize run.
fn bare(args: &[&str], stdin: &str) -> (Option<i32>, String, String) {
    let out = run_raw(&mut bindery_command(args), Some(stdin.as_bytes()), TIMEOUT);
    (out.code, out.stdout_utf8(), out.stderr_utf8())
}

#[test]
fn bare_bindery_answers_in_kind_and_refuses_empty_input() {
    let app = repo().join("kustomize-plugin/example/app");
    let stream: String = ["deployment.yaml", "database.yaml", "binding.yaml"]
        .iter()
        .map(|f| format!("---\n{}", std::fs::read_to_string(app.join(f)).unwrap()))
        .collect();
    // A plain stream in, a plain stream out.
    let (code, stdout, stderr) = bare(&["--namespace", "default"], &stream);
    assert_eq!(code, Some(0), "{stderr}");
    let docs = parse_stream(&stdout);
    assert!(docs.iter().all(|d| d["kind"] != "ResourceList" && d["kind"] != "ServiceBinding"));
    assert!(secret_ref(container(find(&docs, "Deployment", "web").unwrap(), "web"), "DATABASE_HOST").is_some());
    // A ResourceList in, a ResourceList out (items indented under `items:`).
    let items: String = parse_stream(&stream).iter().map(|d| format!("- {}\n", serde_json::to_string(d).unwrap())).collect();
    let list = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{items}");
    let (code, stdout, stderr) = bare(&[], &list);
    assert_eq!(code, Some(0), "{stderr}");
    let out = &parse_stream(&stdout)[0];
    assert_eq!(out["kind"], "ResourceList");
    assert_eq!(out["items"].as_array().unwrap().len(), 3, "binding consumed");
    // `bindery krm` is the same function by name.
    let (code, stdout, _) = bare(&["krm"], &list);
    assert_eq!(code, Some(0));
    assert_eq!(parse_stream(&stdout)[0]["kind"], "ResourceList");
    // Nothing on stdin is a usage error, not an empty success.
    let (code, stdout, stderr) = bare(&[], "");
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty() && stderr.contains("nothing on standard input"), "{stderr}");
}

#[test]
fn kpt_writes_generated_resources_next_to_their_workload_and_a_rerun_changes_nothing() {
    // A Service Binding Operator binding whose non-secret values bindery delivers through a
    // generated ConfigMap. The workload is moved into a sub-folder: the ConfigMap must follow it.
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("pkg");
    copy_dir(&repo().join("fixtures/sbo-annotated-crd"), &pkg);
    std::fs::create_dir_all(pkg.join("apps")).unwrap();
    std::fs::rename(pkg.join("app.yaml"), pkg.join("apps/app.yaml")).unwrap();
    let eval = |tmp: &Path| run(kpt_cmd(tmp).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN).args(["--", "keepBindings=true"]), T);
    eval(tmp.path()).ok();
    let tree = read_tree(&pkg);
    let generated: Vec<&(String, Value)> =
        tree.iter().filter(|(_, v)| v["metadata"]["annotations"]["bindery.dev/generated-for"].is_string()).collect();
    assert!(!generated.is_empty(), "the fixture generates a resource: {tree:?}");
    for (file, v) in &generated {
        let name = v["metadata"]["name"].as_str().unwrap();
        let kind = v["kind"].as_str().unwrap().to_ascii_lowercase();
        assert_eq!(file, &format!("apps/{kind}_{name}.yaml"), "written next to the workload");
        assert!(!std::fs::read_to_string(pkg.join(file)).unwrap().contains("config.kubernetes.io/"));
    }
    let first = read_tree(&pkg);
    eval(tmp.path()).ok();
    assert_eq!(read_tree(&pkg), first, "the generated resource is regenerated in place");
}
