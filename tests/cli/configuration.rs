//! The configuration as the command line reads it (README "Configuration"): the
//! `BindingResolver` documents in the input and the `.bindery.yaml` next to each input path
//! (the current directory for `-`), under `--config FILE` and the flags; bindery's own
//! configuration, Kptfiles and kustomizations are never output; an invalid configuration is
//! bad input whose message names the field and the type, never the value.

use std::path::Path;

use crate::common::{self, find, parse_stream, repo, tempdir, write, TIMEOUT};

/// `bindery ARGS` run in `cwd` with `stdin`.
fn bindery_in(cwd: &Path, args: &[&str], stdin: Option<&str>) -> common::RawOut {
    common::run_raw(common::bindery_command(args).current_dir(cwd), stdin.map(str::as_bytes), TIMEOUT)
}

fn bindery(args: &[&str]) -> common::RawOut {
    bindery_in(&repo(), args, None)
}

const RUNTIME: &str = "fixtures/configuration/runtime-secrets";

const APP: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: app, image: app:1}]}}}\n---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: app-queue}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: queue}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n  env: [{name: AMQP_URL, key: uri}]\n";
const DECLARES_QUEUE: &str = "secrets:\n- {name: queue, keys: [type, uri]}\n";

#[test]
fn a_binding_resolver_in_the_input_configures_render_and_is_never_output_nor_a_kustomization_or_kptfile() {
    let out = bindery(&["render", RUNTIME]);
    assert_eq!(out.code, Some(0), "{}", out.stderr_utf8());
    let docs = parse_stream(&out.stdout_utf8());
    assert!(!docs.iter().any(|d| d["kind"] == "BindingResolver"), "configuration is not a resource");
    let web = find(&docs, "Deployment", "web").unwrap();
    assert_eq!(common::projected_secrets(web), ["ledger-api-token", "orders-pg-orders-app", "cache-credentials"]);

    let tmp = tempdir();
    common::copy_dir(&repo().join(RUNTIME), tmp.path());
    write(tmp.path(), "kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n");
    write(tmp.path(), "Kptfile", "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: app}\n");
    write(tmp.path(), "Kptfile.yaml", "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: {name: app}\n");
    let out = bindery(&["render", tmp.path().to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr_utf8());
    let kinds: Vec<String> = parse_stream(&out.stdout_utf8()).iter().map(|d| d["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["Deployment", "Cluster"], "only resources to apply");
    // Every command reads it: check finds the run-time Secrets declared there.
    let out = bindery(&["check", "--format", "json", RUNTIME]);
    assert_eq!(out.code, Some(0), "{}", out.stdout_utf8());
    // Another kind of bindery's group is an error, not a resource.
    let bad = tempdir();
    write(bad.path(), "x.yaml", "apiVersion: bindery.dev/v1alpha1\nkind: Binder\nmetadata: {name: x}\n");
    let out = bindery(&["render", bad.path().to_str().unwrap()]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr_utf8().contains("unknown kind in group bindery.dev"), "{}", out.stderr_utf8());
}

#[test]
fn the_config_file_is_found_next_to_each_input_path_and_in_the_current_directory_for_stdin() {
    let tmp = tempdir();
    let t = tmp.path();
    write(t, "a/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    write(t, "b/app.yaml", APP);
    // Without a declaration the Secret is missing.
    assert_eq!(bindery_in(t, &["render", "a", "b"], None).code, Some(1));
    // Next to the second input directory (not only the first).
    write(t, "b/.bindery.yaml", DECLARES_QUEUE);
    let out = bindery_in(t, &["render", "a", "b"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr_utf8());
    assert!(out.stderr_utf8().contains("declaration in b/.bindery.yaml"), "{}", out.stderr_utf8());
    // Next to a file input: its directory.
    assert_eq!(bindery_in(t, &["render", "b/app.yaml"], None).code, Some(0));
    // Standard input: the current directory.
    assert_eq!(bindery_in(&t.join("b"), &["render", "-"], Some(APP)).code, Some(0));
    assert_eq!(bindery_in(&t.join("a"), &["render", "-"], Some(APP)).code, Some(1));
    // --config FILE replaces the files found.
    write(t, "other.yaml", "allowMissingSecrets: false\n");
    assert_eq!(bindery_in(t, &["render", "--config", "other.yaml", "b"], None).code, Some(1));
    // A .bindery.yaml may hold a BindingResolver instead of the plain format.
    write(
        t,
        "b/.bindery.yaml",
        format!(
            "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {{name: b}}\nspec:\n  {}",
            DECLARES_QUEUE.replace('\n', "\n  ")
        ),
    );
    let out = bindery_in(t, &["render", "b"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr_utf8());
    assert!(!out.stdout_utf8().contains("BindingResolver"));
}

#[test]
fn flags_beat_the_config_file_which_beats_the_configuration_found_and_found_sources_must_agree() {
    let tmp = tempdir();
    let t = tmp.path();
    write(t, "app/app.yaml", APP);
    write(
        t,
        "app/queue.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: queue, namespace: team-a}\nstringData: {type: rabbitmq, uri: amqp://q}\n",
    );
    write(
        t,
        "app/bindery.yaml",
        "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: b}\nspec: {namespace: team-a}\n",
    );
    assert_eq!(bindery_in(t, &["render", "app"], None).code, Some(0), "found: team-a");
    write(t, "team-b.yaml", "namespace: team-b\n");
    assert_eq!(bindery_in(t, &["render", "--config", "team-b.yaml", "app"], None).code, Some(1), "--config over found");
    assert_eq!(bindery_in(t, &["render", "--config", "team-b.yaml", "-n", "team-a", "app"], None).code, Some(0), "flag over --config");
    // Two found sources that disagree: an error naming both, unless a flag decides.
    write(t, "app/.bindery.yaml", "namespace: team-c\n");
    let out = bindery_in(t, &["render", "app"], None);
    assert_eq!(out.code, Some(2));
    let err = out.stderr_utf8();
    assert!(err.contains("namespace is set differently in app/.bindery.yaml and in app/bindery.yaml:1"), "{err}");
    assert_eq!(bindery_in(t, &["render", "-n", "team-a", "app"], None).code, Some(0));
}

#[test]
fn fail_on_warning_fails_render_and_makes_check_strict() {
    let tmp = tempdir();
    common::copy_dir(&repo().join(RUNTIME), tmp.path());
    let file = tmp.path().join("bindery.yaml");
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap().replace("spec:\n", "spec:\n  failOn: warning\n")).unwrap();
    let dir = tmp.path().to_str().unwrap();
    let out = bindery(&["render", dir]);
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.is_empty());
    assert!(out.stderr_utf8().contains("warning(s) and failOn is warning; nothing to render"), "{}", out.stderr_utf8());
    assert_eq!(bindery(&["check", dir]).code, Some(1));
    assert_eq!(bindery(&["check", RUNTIME]).code, Some(0));
}

#[test]
fn the_namespace_flag_follows_the_dns_label_rule_on_every_command_and_empty_is_the_default() {
    for cmd in ["render", "check", "diff", "explain", "migrate"] {
        let out = bindery(&[cmd, "--namespace", "Shop_1", RUNTIME]);
        assert_eq!(out.code, Some(2), "{cmd}");
        let err = out.stderr_utf8();
        assert!(
            err.contains("--namespace: not a valid namespace name") && err.contains("DNS-1123 label") && !err.contains("Shop_1"),
            "{cmd}: {err}"
        );
    }
    let dflt = bindery(&["render", RUNTIME]);
    let empty = bindery(&["render", "--namespace", "", RUNTIME]);
    assert_eq!((empty.code, empty.stdout), (Some(0), dflt.stdout));
}

#[test]
fn a_malformed_configuration_never_shows_a_value_on_any_command() {
    const PASTED: &str = "Sup3r_S3cret_Token";
    let configs = [
        (".bindery.yaml", format!("secrets:\n- {{name: queue, keys: {{uri: {PASTED}}}}}\n")),
        (".bindery.yaml", format!("namespace: {PASTED}\n")),
        (".bindery.yaml", format!("{PASTED}\n")),
        (".bindery.yaml", format!("allowMissingSecrets: {PASTED}\n")),
        ("bindery.yaml", format!("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {{name: b}}\nspec: {{failOn: [{PASTED}]}}\n")),
        ("bindery.yaml", format!("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {{name: b}}\nspec: {{conventions: [{{kind: X, group: g, secretName: {{a: {PASTED}}}}}]}}\n")),
        ("bindery.yaml", format!("apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {{name: b}}\nspec: {PASTED}\n")),
    ];
    let commands: [&[&str]; 9] = [
        &["render"],
        &["check"],
        &["check", "--format", "json"],
        &["check", "--format", "github"],
        &["check", "--format", "sarif"],
        &["diff"],
        &["explain", "--show-secrets"],
        &["migrate"],
        &["materialize", "--root", "out"],
    ];
    for (file, text) in &configs {
        let tmp = tempdir();
        write(tmp.path(), "app/app.yaml", APP);
        write(tmp.path(), &format!("app/{file}"), text);
        for cmd in commands {
            let mut args = cmd.to_vec();
            args.push("app");
            let out = bindery_in(tmp.path(), &args, None);
            let (stdout, stderr) = (out.stdout_utf8(), out.stderr_utf8());
            assert_eq!(out.code, Some(2), "{args:?} with {file}:\n{stderr}");
            assert!(!stdout.contains(PASTED) && !stderr.contains(PASTED), "{args:?} with {file} shows the value:\n{stdout}\n{stderr}");
            assert!(stderr.contains(file.trim_start_matches('.')), "{args:?}: names the file:\n{stderr}");
        }
    }
}
