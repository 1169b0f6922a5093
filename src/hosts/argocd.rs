//! Argo CD config-management plugin (v2 sidecar): `bindery argocd-cmp [PATH...]`.
//!
//! Argo CD runs the plugin's `generate` command with the application's directory as cwd and
//! applies every object printed on stdout. bindery therefore reads the directory itself (no
//! shell pipe that could hide a failure), prints nothing but manifests, and fails closed:
//!
//! * its own configuration (`bindery.dev` kinds, e.g. the `bindery.yaml` `BindingResolver` that
//!   plugin discovery looks for), Kptfiles, kustomizations and every
//!   `config.kubernetes.io/local-config: "true"` document are dropped from the output (Argo CD
//!   does not honour local-config);
//! * on an unresolved binding, bad input, a bad option, or an app that renders to nothing,
//!   stdout stays empty and the exit status is non-zero (Argo CD shows stderr as the
//!   ComparisonError; it never contains Secret values).
//!
//! Options, lowest precedence first: defaults; the Application's destination namespace
//! (`ARGOCD_APP_NAMESPACE`) as the namespace of namespace-less resources; flags in `plugin.yaml`;
//! the `BindingResolver` document in the app directory; `ARGOCD_ENV_BINDERY_<OPTION>` from the
//! Application's `plugin.env`; the Application's `plugin.parameters` (`ARGOCD_APP_PARAMETERS`).

use std::path::PathBuf;

use crate::doc::value::Value;

use super::config::{Config, CONFIG_GROUP, CONFIG_KIND};
use super::run::{failure_summary, help_line, stream, HostRun};
use super::{Outcome, EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::kube::{group_of, is_dns1123_label};
use crate::load::{load, LoadOptions};

/// Prefix of the Application's `plugin.env` entries bindery reads (Argo CD adds `ARGOCD_ENV_`).
pub const ENV_PREFIX: &str = "ARGOCD_ENV_BINDERY_";

/// What Argo CD asks the plugin to render: the application directory and the flags written in
/// `plugin.yaml`.
#[derive(Debug, Clone, Default)]
pub struct App {
    pub paths: Vec<PathBuf>,
    pub flags: Config,
}

fn bad(errors: &[String]) -> Outcome {
    let stderr = errors.iter().map(|e| format!("bindery: error: {}\n", crate::write::escape::controls(e))).collect();
    Outcome { stdout: String::new(), stderr, code: EXIT_BAD_INPUT }
}

/// The options Argo CD passes: `ARGOCD_ENV_BINDERY_*` and `ARGOCD_APP_PARAMETERS`.
fn from_env(env: &[(String, String)], errors: &mut Vec<String>) -> (Config, Config) {
    let mut from_env = Config::default();
    let mut from_params = Config::default();
    for (k, v) in env {
        if let Some(option) = k.strip_prefix(ENV_PREFIX) {
            if let Err(e) = from_env.set(option, &Value::from(v.clone())) {
                errors.push(format!("{k}: {e}"));
            }
        }
    }
    if let Some((_, json)) = env.iter().find(|(k, _)| k == "ARGOCD_APP_PARAMETERS") {
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Array(params)) => {
                for p in params {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    match p.get("string") {
                        Some(v @ Value::String(_)) => {
                            if let Err(e) = from_params.set(name, v) {
                                errors.push(format!("parameter {e}"));
                            }
                        }
                        _ => errors.push(format!("parameter {name:?}: expected a string value")),
                    }
                }
            }
            Ok(Value::Null) => {}
            Ok(_) | Err(_) => errors.push("ARGOCD_APP_PARAMETERS is not a JSON list of parameters".into()),
        }
    }
    (from_env, from_params)
}

/// Render the application directory for Argo CD. `env` is the process environment.
pub fn generate(args: &App, env: &[(String, String)]) -> Outcome {
    let lenient = LoadOptions { allow_empty: true, list_ignored: false };
    let (loaded, discovery) = match load(&args.paths, &lenient) {
        Ok(l) => l,
        Err(errors) => return bad(&errors.iter().map(ToString::to_string).collect::<Vec<_>>()),
    };
    let mut errors = Vec::new();
    let app_namespace = env.iter().find(|(k, _)| k == "ARGOCD_APP_NAMESPACE").map(|(_, v)| v.clone()).filter(|ns| is_dns1123_label(ns));
    let mut config = Config { namespace: app_namespace, ..Config::default() }.then(args.flags.clone());
    let own: Vec<_> = loaded.documents.iter().filter(|d| group_of(d.api_version()) == CONFIG_GROUP).collect();
    for d in &own {
        if d.kind() != CONFIG_KIND {
            errors.push(format!("{}: unknown kind {} (expected {CONFIG_KIND})", d.location(), d.kind()));
        }
    }
    match own.as_slice() {
        [] => {}
        [d] => match Config::from_resolver(&d.value) {
            Ok(c) => config = config.then(c),
            Err(e) => errors.push(format!("{}: {e}", d.location())),
        },
        many => errors.push(format!(
            "more than one {CONFIG_KIND} in the application: {}",
            many.iter().map(|d| d.location()).collect::<Vec<_>>().join(", ")
        )),
    }
    let (from_env, from_params) = from_env(env, &mut errors);
    if !errors.is_empty() {
        return bad(&errors);
    }
    let config = config.then(from_env).then(from_params);
    let run = HostRun::new(loaded.files, loaded.documents, config.settings());
    let mut stderr: String =
        discovery.notices().iter().map(|n| format!("bindery: notice: {}\n", crate::write::escape::controls(n))).collect();
    for p in run.rendered.problems() {
        stderr.push_str(&crate::write::escape::controls(&p.one_line()));
        stderr.push('\n');
        stderr.push_str(&help_line(p));
    }
    match run.output(false, false) {
        None => {
            stderr.push_str(&failure_summary(&run));
            Outcome { stdout: String::new(), stderr, code: EXIT_UNRESOLVED }
        }
        Some(values) if values.is_empty() => {
            let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
            stderr.push_str(&format!(
                "bindery: error: no Kubernetes resources to deploy under {} (refusing to print an empty set, which Argo CD would prune to)\n",
                paths.join(" ")
            ));
            Outcome { stdout: String::new(), stderr, code: EXIT_BAD_INPUT }
        }
        Some(values) => Outcome { stdout: stream(&values), stderr, code: 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    const RESOURCES: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: pg, host: h}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: web}]}}}\n---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: app}\n  env: [{name: DB_HOST, key: host}]\n";

    fn args(dir: &tempfile::TempDir) -> App {
        App { paths: vec![dir.path().to_path_buf()], flags: Config::default() }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn drops_config_and_local_config_and_uses_the_app_namespace() {
        let dir = app(&[
            ("all.yaml", RESOURCES),
            ("bindery.yaml", "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: bindery}\n"),
            (
                "local.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, annotations: {config.kubernetes.io/local-config: 'true'}}\n",
            ),
        ]);
        let o = generate(&args(&dir), &env(&[("ARGOCD_APP_NAMESPACE", "prod")]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(!o.stdout.contains("BindingResolver") && !o.stdout.contains("ConfigMap"), "{}", o.stdout);
        assert!(!o.stdout.contains("ServiceBinding"));
        assert!(o.stdout.contains("secretKeyRef"));
    }

    #[test]
    fn env_and_parameters_override_the_app_file() {
        let dir = app(&[
            ("all.yaml", RESOURCES),
            ("bindery.yaml", "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: b}\nspec: {keepBindings: true}\n"),
        ]);
        let o = generate(&args(&dir), &[]);
        assert!(o.stdout.contains("kind: ServiceBinding"), "file option applies");
        let o = generate(&args(&dir), &env(&[("ARGOCD_ENV_BINDERY_KEEP_BINDINGS", "false")]));
        assert!(!o.stdout.contains("kind: ServiceBinding"), "env overrides the file");
        let o = generate(
            &args(&dir),
            &env(&[
                ("ARGOCD_ENV_BINDERY_KEEP_BINDINGS", "false"),
                ("ARGOCD_APP_PARAMETERS", r#"[{"name":"keep-bindings","string":"true"}]"#),
            ]),
        );
        assert!(o.stdout.contains("kind: ServiceBinding"), "parameters override env");
        let o = generate(&args(&dir), &env(&[("ARGOCD_ENV_BINDERY_KEEP_BINDIGS", "true")]));
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stdout.is_empty() && o.stderr.contains("KEEP_BINDIGS"), "{}", o.stderr);
    }

    #[test]
    fn fails_closed_on_errors_and_on_an_empty_app() {
        let dir = app(&[("all.yaml", &RESOURCES.replace("key: host", "key: nope"))]);
        let o = generate(&args(&dir), &[]);
        assert_eq!(o.code, EXIT_UNRESOLVED);
        assert!(o.stdout.is_empty());
        assert!(o.stderr.contains("EnvKeyNotFound"), "{}", o.stderr);
        let empty = app(&[("values.yaml", "replicas: 2\n")]);
        let o = generate(&args(&empty), &[]);
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stdout.is_empty() && o.stderr.contains("no Kubernetes resources"), "{}", o.stderr);
    }
}
