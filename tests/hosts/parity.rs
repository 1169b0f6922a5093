//! One configuration, every host: each case of `fixtures/configuration/` needs its
//! `bindery.yaml` (a `BindingResolver`) to bind as intended — run-time Secrets declared in
//! `secrets:`, a `conventions:` entry that renames an operator's Secret, `allowMissingSecrets`,
//! a custom `namespace`, `keepBindings` — and every host, given that same file the way it takes
//! configuration, gives the same container view as `bindery render` of the folder:
//!
//! * the file in the input: the kpt package (`kpt fn eval --exec`, `kpt fn render` with a
//!   Kptfile), the Argo CD app folder (`tests/hosts/scripts/cmp_sim.py`);
//! * the file as the kustomize transformer config: `kubectl kustomize` with the legacy plugin,
//!   standalone kustomize 4.5.4 with the KRM exec function;
//! * the file as `--config FILE` in the Helm post-renderer's arguments (Helm 3 and Helm 4);
//! * the check-only hosts (pre-commit `try-repo`, and `pre-commit run` with `args:`; the
//!   composite Action with its `config` and `allow-missing-secrets` inputs): the same verdict
//!   and findings as `bindery check`, and the Action's diff equal to `bindery diff`'s.
//!
//! The view (`common::views::render_view`, plus the kinds and names of the resources to apply)
//! names Secrets and keys, never values; it is compared, not the text. A control proves each
//! case needs its configuration: without it the CLI fails or gives another view.

use crate::common;
use crate::{action, helm, kpt, kustomize, precommit};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::views::render_view;
use common::*;
use serde_json::Value;

const T: Duration = Duration::from_secs(180);
const CASES: [&str; 3] = ["runtime-secrets", "namespace", "keep-bindings"];

fn case_dir(case: &str) -> PathBuf {
    repo().join("fixtures/configuration").join(case)
}

/// The case's manifests (every YAML file but its `bindery.yaml`).
fn manifests(case: &str) -> Vec<PathBuf> {
    files_under(&case_dir(case), &["yaml"]).into_iter().filter(|p| !p.ends_with("bindery.yaml")).collect()
}

/// bindery's and the tools' own documents, which are never applied.
fn is_config(d: &Value) -> bool {
    matches!(d["kind"].as_str(), Some("BindingResolver" | "Kptfile" | "Kustomization"))
        || d["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"
}

/// The container view of a host's output, then the resources it would apply.
fn view(docs: &[Value]) -> String {
    let resources: Vec<&Value> = docs.iter().filter(|d| !is_config(d)).collect();
    let stream: String = resources.iter().map(|d| format!("---\n{}", serde_norway::to_string(d).unwrap())).collect();
    let mut names: Vec<String> = resources
        .iter()
        .map(|d| format!("{} {}", d["kind"].as_str().unwrap_or("-"), d["metadata"]["name"].as_str().unwrap_or("-")))
        .collect();
    names.sort();
    format!("{}\n-- resources: {}", render_view(&stream), names.join(", "))
}

#[track_caller]
fn docs_of(out: &Out) -> Vec<Value> {
    out.ok();
    parse_stream(&out.stdout)
}

fn cli(case: &Path) -> Out {
    run(&mut bindery_command(["render".as_ref(), case.as_os_str()]), T)
}

/// A kustomization over the case's manifests with `transformer` as its transformer config.
fn kustomization(dir: &Path, case: &str, transformer: &str) {
    for f in manifests(case) {
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    let resources: Vec<String> = manifests(case).iter().map(|f| format!("- {}\n", f.file_name().unwrap().to_string_lossy())).collect();
    write(
        dir,
        "kustomization.yaml",
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n{}transformers:\n- {transformer}\n",
            resources.concat()
        ),
    );
}

fn kubectl_legacy_plugin(case: &str, tmp: &Path) -> Vec<Value> {
    let dir = tmp.join("kubectl");
    std::fs::create_dir_all(&dir).unwrap();
    kustomization(&dir, case, "bindery.yaml");
    std::fs::copy(case_dir(case).join("bindery.yaml"), dir.join("bindery.yaml")).unwrap();
    let mut cmd = Command::new(require_tool("kubectl", "kubectl is part of the machine image"));
    cmd.args(["kustomize", "--enable-alpha-plugins"])
        .arg(&dir)
        .env("PATH", path_with(&[&bin_dir(tmp)]))
        .env("KUSTOMIZE_PLUGIN_HOME", repo().join("kustomize-plugin/plugin"));
    docs_of(&run(&mut cmd, T))
}

fn standalone_krm_function(case: &str, tmp: &Path) -> Vec<Value> {
    let dir = tmp.join("kustomize");
    std::fs::create_dir_all(&dir).unwrap();
    kustomization(&dir, case, "fn.yaml");
    // The same BindingResolver, annotated so that kustomize runs it as an exec KRM function.
    let mut fn_config = parse_stream(&std::fs::read_to_string(case_dir(case).join("bindery.yaml")).unwrap()).remove(0);
    fn_config["metadata"]["annotations"]["config.kubernetes.io/function"] = Value::String(format!("exec:\n  path: {BIN}\n"));
    write(&dir, "fn.yaml", serde_norway::to_string(&fn_config).unwrap());
    let mut cmd = Command::new(kustomize::standalone_kustomize());
    cmd.args(["build", "--enable-alpha-plugins", "--enable-exec"]).arg(&dir);
    docs_of(&run(&mut cmd, T))
}

fn kpt_package(case: &str, tmp: &Path, name: &str) -> PathBuf {
    let pkg = tmp.join(name);
    copy_dir(&case_dir(case), &pkg);
    pkg
}

fn package_docs(pkg: &Path) -> Vec<Value> {
    read_tree(pkg).into_iter().map(|(_, v)| v).collect()
}

fn kpt_fn_eval(case: &str, tmp: &Path) -> Vec<Value> {
    let pkg = kpt_package(case, tmp, "eval");
    run(kpt::kpt_cmd(tmp).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN), T).ok();
    package_docs(&pkg)
}

fn kpt_fn_render(case: &str, tmp: &Path) -> Vec<Value> {
    let pkg = kpt_package(case, tmp, "render");
    write(
        &pkg,
        "Kptfile",
        format!("apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: app\n  annotations: {{config.kubernetes.io/local-config: \"true\"}}\npipeline:\n  mutators:\n  - exec: {BIN}\n"),
    );
    run(kpt::kpt_cmd(tmp).args(["fn", "render", "--allow-exec"]).arg(&pkg), T).ok();
    package_docs(&pkg)
}

fn helm_post_renderer(case: &str, tmp: &Path, helm: &Path) -> Vec<Value> {
    let chart = helm::chart(tmp, &manifests(case));
    let config = format!("--post-renderer-args=--config={}", case_dir(case).join("bindery.yaml").display());
    docs_of(&run(helm::helm_cmd(helm, tmp).args(["template", "web"]).arg(&chart).args(["--post-renderer", "bindery"]).arg(config), T))
}

/// The Argo CD plugin on the case as an app folder. The Application's destination namespace is
/// `default` (`bindery render`'s), except for the `namespace` case, where `prod` shows that the
/// folder's configuration beats that default.
fn argocd(case: &str, tmp: &Path, extra: &[&str]) -> Out {
    let destination = if case == "namespace" { "prod" } else { "default" };
    let repo_dir = tmp.join("repo");
    copy_dir(&case_dir(case), &repo_dir.join("apps").join(case));
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("cmp_sim.py"))
        .arg(repo().join("argocd-cmp/plugin.yaml"))
        .arg(&repo_dir)
        .arg(format!("apps/{case}"))
        .args(["--app", "web", "--ns", destination])
        .args(extra)
        .env("PATH", path_with(&[&bin_dir(tmp)]))
        .env("TMPDIR", tmp);
    run(&mut cmd, T)
}

fn argocd_docs(case: &str, tmp: &Path) -> Vec<Value> {
    let out = argocd(case, tmp, &[]);
    out.ok();
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}

/// The case without its configuration gives another result: the configuration is what the
/// hosts must agree on.
#[track_caller]
fn assert_needs_its_configuration(case: &str, expected: &str, tmp: &Path) {
    let bare = tmp.join("without-config");
    copy_tree(&case_dir(case), &bare, &["bindery.yaml"]);
    let out = cli(&bare);
    if out.code == Some(0) {
        assert_ne!(view(&parse_stream(&out.stdout)), expected, "{case}: the configuration changes nothing");
    } else {
        assert_eq!(out.code, Some(1), "{case}: {}", out.all());
    }
}

#[test]
fn every_rendering_host_binds_each_case_as_bindery_render_does() {
    let (helm3, helm4) = (helm::helm3(), helm::helm4());
    for case in CASES {
        let tmp = tempdir();
        let t = tmp.path();
        let expected = view(&docs_of(&cli(&case_dir(case))));
        assert_needs_its_configuration(case, &expected, t);
        // The same spec as the plain `.bindery.yaml` next to the folder: the same view.
        let plain = t.join("plain");
        copy_tree(&case_dir(case), &plain, &["bindery.yaml"]);
        let resolver = parse_stream(&std::fs::read_to_string(case_dir(case).join("bindery.yaml")).unwrap()).remove(0);
        write(&plain, ".bindery.yaml", serde_norway::to_string(&resolver["spec"]).unwrap());
        assert_eq!(view(&docs_of(&cli(&plain))), expected, "{case}: .bindery.yaml");

        helm::install_plugin(&helm4, t);
        let hosts: [(&str, Vec<Value>); 8] = [
            ("kubectl kustomize (legacy plugin)", kubectl_legacy_plugin(case, t)),
            ("kustomize (KRM exec function)", standalone_krm_function(case, t)),
            ("kpt fn eval --exec", kpt_fn_eval(case, t)),
            ("kpt fn render", kpt_fn_render(case, t)),
            ("helm 3 --post-renderer", helm_post_renderer(case, &t.join("helm3"), &helm3)),
            ("helm 4 post-renderer plugin", helm_post_renderer(case, t, &helm4)),
            ("Argo CD", argocd_docs(case, t)),
            ("bindery render - (cwd without config, --config)", {
                let input: String = manifests(case).iter().map(|f| format!("---\n{}", std::fs::read_to_string(f).unwrap())).collect();
                let config = case_dir(case).join("bindery.yaml");
                let out = run_raw(
                    &mut bindery_command(["render".as_ref(), "--config".as_ref(), config.as_os_str(), "-".as_ref()]),
                    Some(input.as_bytes()),
                    T,
                );
                assert_eq!(out.code, Some(0), "{}", out.stderr_utf8());
                parse_stream(&out.stdout_utf8())
            }),
        ];
        for (host, docs) in hosts {
            assert_eq!(view(&docs), expected, "{case}: {host} differs from bindery render");
        }
    }
}

/// `bindery check` of a folder: exit status and (severity, rule) of every finding.
fn cli_check(dir: &Path, extra: &[&str]) -> (Option<i32>, Vec<(String, String)>) {
    let mut args: Vec<std::ffi::OsString> = vec!["check".into(), "--format".into(), "json".into(), dir.into()];
    args.extend(extra.iter().map(Into::into));
    let out = run(&mut bindery_command(args), T);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()));
    let rules = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["severity"].as_str().unwrap().into(), p["rule"].as_str().unwrap().into()))
        .collect();
    (out.code, rules)
}

/// A git repository holding the case under `deploy/` (`with_config`: its bindery.yaml too).
fn consumer(tmp: &Path, case: &str, with_config: bool) -> PathBuf {
    let dir = tmp.join("consumer");
    copy_tree(&case_dir(case), &dir.join("deploy"), if with_config { &[] } else { &["bindery.yaml"] });
    precommit::git(&dir, &["init", "-q"]);
    precommit::git(&dir, &["add", "-A"]);
    dir
}

#[test]
fn pre_commit_hooks_read_the_configuration_in_the_repository_and_in_their_args() {
    let python = precommit::pre_commit();
    let tmp = tempdir();
    let with_bindery = path_with(&[&bin_dir(tmp.path())]);
    // The same verdict as `bindery check`: passes with the file in the repository ...
    let (code, rules) = cli_check(&case_dir("runtime-secrets"), &[]);
    assert_eq!(code, Some(0));
    let dir = consumer(tmp.path(), "runtime-secrets", true);
    let out = precommit::try_repo(&python, &dir, "bindery-check-system", &with_bindery);
    out.ok();
    for (severity, rule) in &rules {
        let shown = if severity == "notice" { format!("[{rule}]") } else { format!("{severity}[{rule}]") };
        assert!(out.all().contains(rule), "{shown} missing from the hook's output:\n{}", out.all());
    }
    // ... and fails without it, as `bindery check` does.
    let tmp2 = tempdir();
    let bare = consumer(tmp2.path(), "runtime-secrets", false);
    assert_eq!(cli_check(&bare.join("deploy"), &[]).0, Some(1));
    precommit::try_repo(&python, &bare, "bindery-check-system", &path_with(&[&bin_dir(tmp2.path())])).fails();

    // The configuration as the hook's args (`pre-commit run`, .pre-commit-config.yaml).
    let hooks = precommit::hook_repo(tmp2.path());
    let rev = run(Command::new("git").args(["rev-parse", "HEAD"]).current_dir(&hooks), T).stdout.trim().to_string();
    std::fs::copy(case_dir("runtime-secrets").join("bindery.yaml"), bare.join("bindery-config.yaml")).unwrap();
    write(
        &bare,
        ".pre-commit-config.yaml",
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: bindery-check-system\n    args: [--config, bindery-config.yaml]\n",
            hooks.display()
        ),
    );
    precommit::git(&bare, &["add", "-A"]);
    let mut cmd = Command::new(&python);
    cmd.args(["-m", "pre_commit", "run", "--all-files", "--verbose", "--color", "never"])
        .current_dir(&bare)
        .env("PATH", path_with(&[&bin_dir(tmp2.path())]))
        .env("PRE_COMMIT_HOME", tools_dir().join("pre-commit-home"));
    let out = run(&mut cmd, Duration::from_secs(600));
    out.ok();
    assert!(out.all().contains("SecretNotInInput") && out.all().contains("Passed"), "{}", out.all());
}

#[test]
fn the_action_reads_the_configuration_in_the_repository_and_its_config_and_allow_missing_secrets_inputs() {
    let tmp = tempdir();
    let path = path_with(&[&action::fake_bin(tmp.path())]);
    let ws = tmp.path().join("ws");
    copy_dir(&case_dir("runtime-secrets"), &ws.join("deploy"));
    let (code, rules) = cli_check(&ws.join("deploy"), &[]);
    assert_eq!(code, Some(0));
    let warnings = rules.iter().filter(|(s, _)| s == "warning").count();
    let cli_diff = run(bindery_command(["diff", "--format", "unified", "deploy"]).current_dir(&ws), T);
    let r = action::run_action(tmp.path(), &ws, &path, &["path=deploy"], &[]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert_eq!((r.output("errors"), r.output("warnings")), ("0", warnings.to_string().as_str()));
    assert_eq!(r.output("changed"), "true");
    assert_eq!(std::fs::read_to_string(r.output("diff-file")).unwrap(), cli_diff.stdout, "the Action's diff is bindery diff's");
    assert!(r.annotations().iter().any(|a| a["message"].as_str().is_some_and(|m| m.contains("cache-credentials"))));

    // The file elsewhere, given by the `config` input.
    let tmp2 = tempdir();
    let path2 = path_with(&[&action::fake_bin(tmp2.path())]);
    let ws2 = tmp2.path().join("ws");
    copy_tree(&case_dir("runtime-secrets"), &ws2.join("deploy"), &["bindery.yaml"]);
    let without = action::run_action(tmp2.path(), &ws2, &path2, &["path=deploy"], &[]);
    assert_eq!(without.report["rc"], 1, "fails without its configuration:\n{}", without.out.all());
    std::fs::create_dir_all(ws2.join("ci")).unwrap();
    std::fs::copy(case_dir("runtime-secrets").join("bindery.yaml"), ws2.join("ci/bindery.yaml")).unwrap();
    let r = action::run_action(tmp2.path(), &ws2, &path2, &["path=deploy", "config=ci/bindery.yaml"], &[]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert_eq!(std::fs::read_to_string(r.output("diff-file")).unwrap(), cli_diff.stdout);

    // allow-missing-secrets as an input: the file without the policy, the input adds it.
    let text = std::fs::read_to_string(ws2.join("ci/bindery.yaml")).unwrap().replace("  allowMissingSecrets: true\n", "");
    std::fs::write(ws2.join("ci/bindery.yaml"), text).unwrap();
    let r = action::run_action(tmp2.path(), &ws2, &path2, &["path=deploy", "config=ci/bindery.yaml"], &[]);
    assert_eq!(r.report["rc"], 1, "{}", r.out.all());
    let r = action::run_action(tmp2.path(), &ws2, &path2, &["path=deploy", "config=ci/bindery.yaml", "allow-missing-secrets=true"], &[]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert_eq!(std::fs::read_to_string(r.output("diff-file")).unwrap(), cli_diff.stdout);
    // An input the action cannot express fails the step.
    let r = action::run_action(tmp2.path(), &ws2, &path2, &["path=deploy", "allow-missing-secrets=yes"], &[]);
    assert_eq!(r.report["rc"], 1);
    assert!(r.annotations().iter().any(|a| a["message"].as_str().is_some_and(|m| m.contains("allow-missing-secrets"))));
}

#[test]
fn a_host_that_cannot_express_an_option_fails_loudly() {
    // kpt's key=value options cannot carry a list.
    let tmp = tempdir();
    let pkg = kpt_package("keep-bindings", tmp.path(), "pkg");
    let before = read_tree(&pkg);
    let out = run(kpt::kpt_cmd(tmp.path()).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN).args(["--", "secrets=[{name: x}]"]), T);
    out.fails();
    assert!(out.all().contains("secrets") && out.all().contains("put it in a BindingResolver"), "{}", out.all());
    assert_eq!(read_tree(&pkg), before);
    // Nor Argo CD's env entries and parameters.
    let out = argocd("keep-bindings", tmp.path(), &["--env", "BINDERY_CONVENTIONS=[]"]);
    out.fails();
    assert!(out.stderr.contains("ARGOCD_ENV_BINDERY_CONVENTIONS") && out.stderr.contains("put it in a BindingResolver"), "{}", out.stderr);
}

#[test]
fn an_invalid_namespace_is_refused_the_same_way_everywhere_and_an_empty_one_is_the_default() {
    let tmp = tempdir();
    let t = tmp.path();
    let rule = "a namespace must be a DNS-1123 label";
    let case = case_dir("keep-bindings");
    let refused = |what: &str, out: &Out| {
        out.fails();
        assert!(out.all().contains(rule) && !out.all().contains("Team_A"), "{what}:\n{}", out.all());
    };
    refused("--namespace", &run(&mut bindery_command(["render".as_ref(), "--namespace".as_ref(), "Team_A".as_ref(), case.as_os_str()]), T));
    refused("argocd parameter", &argocd("keep-bindings", &t.join("a"), &["--param-json", r#"[{"name":"namespace","string":"Team_A"}]"#]));
    refused("ARGOCD_APP_NAMESPACE", &{
        let repo_dir = t.join("b/repo");
        copy_dir(&case, &repo_dir.join("apps/x"));
        let mut cmd = Command::new("python3");
        cmd.arg(host_script("cmp_sim.py")).arg(repo().join("argocd-cmp/plugin.yaml")).arg(&repo_dir).arg("apps/x");
        cmd.args(["--app", "x", "--ns", "Team_A"]).env("PATH", path_with(&[&bin_dir(t)])).env("TMPDIR", t);
        run(&mut cmd, T)
    });
    let pkg = kpt_package("keep-bindings", t, "pkg");
    refused(
        "kpt -- namespace=",
        &run(kpt::kpt_cmd(t).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN).args(["--", "namespace=Team_A"]), T),
    );
    let resolver = t.join("bad-ns");
    copy_dir(&case, &resolver);
    let text = std::fs::read_to_string(resolver.join("bindery.yaml")).unwrap().replace("keepBindings: true", "namespace: Team_A");
    std::fs::write(resolver.join("bindery.yaml"), text).unwrap();
    refused("BindingResolver", &cli(&resolver));
    // Empty: the default namespace.
    let out = run(&mut bindery_command(["render".as_ref(), "--namespace".as_ref(), "".as_ref(), case.as_os_str()]), T);
    assert_eq!(view(&docs_of(&out)), view(&docs_of(&cli(&case))));
}

#[test]
fn a_secret_pasted_into_the_configuration_never_reaches_a_host_s_output_or_results() {
    const PASTED: &str = "Sup3r_S3cret_Token";
    let bad = format!(
        "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata:\n  name: bindery\n  annotations: {{config.kubernetes.io/local-config: \"true\"}}\nspec:\n  secrets:\n  - name: cache\n    keys: {{password: {PASTED}}}\n"
    );
    let tmp = tempdir();
    let t = tmp.path();
    let never = |host: &str, out: &Out| {
        out.fails();
        assert!(!out.all().contains(PASTED), "{host} shows the value:\n{}", out.all());
        assert!(out.all().contains("spec.secrets[0].keys"), "{host} names the field:\n{}", out.all());
    };
    // kpt: the package's bindery.yaml, and --fn-config; neither in the results kpt records.
    let pkg = kpt_package("keep-bindings", t, "pkg");
    std::fs::write(pkg.join("bindery.yaml"), &bad).unwrap();
    let before = read_tree(&pkg);
    let results = t.join("results");
    let out = run(kpt::kpt_cmd(t).args(["fn", "eval"]).arg(&pkg).arg("--exec").arg(BIN).arg("--results-dir").arg(&results), T);
    never("kpt fn eval (package)", &out);
    let recorded = std::fs::read_to_string(results.join("results.yaml")).unwrap();
    assert!(!recorded.contains(PASTED) && recorded.contains("InvalidConfig"), "{recorded}");
    assert_eq!(read_tree(&pkg), before, "nothing written");
    let fn_config = write(t, "fn-config.yaml", &bad);
    let pkg2 = kpt_package("keep-bindings", t, "pkg2");
    std::fs::remove_file(pkg2.join("bindery.yaml")).unwrap();
    let out = run(kpt::kpt_cmd(t).args(["fn", "eval"]).arg(&pkg2).arg("--exec").arg(BIN).arg("--fn-config").arg(&fn_config), T);
    never("kpt fn eval --fn-config", &out);
    // kustomize: the transformer config.
    let dir = t.join("kubectl");
    std::fs::create_dir_all(&dir).unwrap();
    kustomization(&dir, "keep-bindings", "bindery.yaml");
    std::fs::write(dir.join("bindery.yaml"), &bad).unwrap();
    let mut cmd = Command::new(require_tool("kubectl", "kubectl is part of the machine image"));
    cmd.args(["kustomize", "--enable-alpha-plugins"])
        .arg(&dir)
        .env("PATH", path_with(&[&bin_dir(t)]))
        .env("KUSTOMIZE_PLUGIN_HOME", repo().join("kustomize-plugin/plugin"));
    never("kubectl kustomize", &run(&mut cmd, T));
    // Argo CD: the app's bindery.yaml (stderr is what the UI shows).
    let repo_dir = t.join("repo");
    copy_dir(&case_dir("keep-bindings"), &repo_dir.join("apps/x"));
    std::fs::write(repo_dir.join("apps/x/bindery.yaml"), &bad).unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("cmp_sim.py")).arg(repo().join("argocd-cmp/plugin.yaml")).arg(&repo_dir).arg("apps/x");
    cmd.env("PATH", path_with(&[&bin_dir(t)])).env("TMPDIR", t);
    never("Argo CD", &run(&mut cmd, T));
    // Helm 3: --config in the post-renderer's arguments.
    let helm = helm::helm3();
    let chart = helm::chart(&t.join("helm"), &manifests("keep-bindings"));
    let out = run(
        helm::helm_cmd(&helm, &t.join("helm"))
            .args(["template", "web"])
            .arg(&chart)
            .args(["--post-renderer", "bindery"])
            .arg(format!("--post-renderer-args=--config={}", fn_config.display())),
        T,
    );
    never("helm", &out);
}

#[test]
fn the_issue_s_repository_with_a_plain_bindery_yaml_renders_under_argo_cd_as_with_bindery_render() {
    // fixtures/runtime-secrets: Secrets created at run time, declared in a plain `.bindery.yaml`
    // beside the bindery.yaml that selects the plugin (no options of its own).
    let tmp = tempdir();
    let t = tmp.path();
    let app = repo().join("fixtures/runtime-secrets");
    let expected = view(&docs_of(&cli(&app)));
    let repo_dir = t.join("repo");
    copy_dir(&app, &repo_dir.join("apps/shop"));
    write(&repo_dir, "apps/shop/bindery.yaml", "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: bindery}\n");
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("cmp_sim.py"))
        .arg(repo().join("argocd-cmp/plugin.yaml"))
        .arg(&repo_dir)
        .arg("apps/shop")
        .args(["--app", "shop", "--ns", "default"])
        .env("PATH", path_with(&[&bin_dir(t)]))
        .env("TMPDIR", t);
    let out = run(&mut cmd, T);
    out.ok();
    let docs: Vec<Value> = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(view(&docs), expected);
}
