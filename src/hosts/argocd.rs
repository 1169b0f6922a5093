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
//! Options (README "Configuration"), lowest precedence first: defaults, with the
//! Application's destination namespace (`ARGOCD_APP_NAMESPACE`) as the namespace of
//! namespace-less resources; the configuration found with the app (`.bindery.yaml` at its root,
//! the `bindery.yaml` `BindingResolver` that plugin discovery looks for); the Application's
//! `plugin.env` (`ARGOCD_ENV_BINDERY_<OPTION>`), then its `plugin.parameters`
//! (`ARGOCD_APP_PARAMETERS`); flags in `plugin.yaml`. Every invalid value is refused, a
//! namespace by the DNS-1123 label rule.

use std::path::PathBuf;

use crate::doc::value::Value;

use super::config::schema::parse_namespace;
use super::config::{found, Config, ConfigError, Layers};
use super::run::{failure_summary, stream, take_configuration, HostRun, Keep};
use super::{Outcome, EXIT_BAD_INPUT, EXIT_UNRESOLVED};
use crate::load::load_paths;

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
    Outcome { stdout: String::new(), stderr: errors.iter().map(|e| format!("bindery: error: {e}\n")).collect(), code: EXIT_BAD_INPUT }
}

/// The options Argo CD passes: `ARGOCD_ENV_BINDERY_*` and `ARGOCD_APP_PARAMETERS`.
fn from_env(env: &[(String, String)], errors: &mut Vec<ConfigError>) -> (Config, Config) {
    let mut from_env = Config::default();
    let mut from_params = Config::default();
    for (k, v) in env {
        if let Some(option) = k.strip_prefix(ENV_PREFIX) {
            errors.extend(super::config::schema::set_named(&mut from_env, k, option, &Value::from(v.clone())).err());
        }
    }
    if let Some((_, json)) = env.iter().find(|(k, _)| k == "ARGOCD_APP_PARAMETERS") {
        let not_a_list = || ConfigError::WrongType {
            at: "ARGOCD_APP_PARAMETERS".into(),
            expected: "a JSON list of parameters",
            found: "something else",
        };
        match serde_json::from_str::<Value>(json) {
            Ok(Value::Array(params)) => {
                for (i, p) in params.iter().enumerate() {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                    let at = format!("parameter {name:?}");
                    match p.get("string") {
                        Some(v @ Value::String(_)) => errors.extend(super::config::schema::set_named(&mut from_params, &at, name, v).err()),
                        Some(other) => {
                            errors.push(ConfigError::WrongType { at, expected: "a string value", found: crate::kube::type_name(other) })
                        }
                        None => errors.push(ConfigError::WrongType {
                            at: format!("ARGOCD_APP_PARAMETERS[{i}] ({at})"),
                            expected: "a string value",
                            found: "an array or a map",
                        }),
                    }
                }
            }
            Ok(Value::Null) => {}
            Ok(_) | Err(_) => errors.push(not_a_list()),
        }
    }
    (from_env, from_params)
}

/// Render the application directory for Argo CD. `env` is the process environment.
pub fn generate(args: &App, env: &[(String, String)]) -> Outcome {
    let mut loaded = match load_paths(&args.paths) {
        Ok(l) => l,
        Err(errors) => return bad(&errors.iter().map(ToString::to_string).collect::<Vec<_>>()),
    };
    let config_docs = take_configuration(&mut loaded);
    let mut errors = Vec::new();
    let mut defaults = Config::default();
    if let Some((_, ns)) = env.iter().find(|(k, _)| k == "ARGOCD_APP_NAMESPACE") {
        match parse_namespace("ARGOCD_APP_NAMESPACE", &Value::from(ns.clone())) {
            Ok(ns) => defaults.namespace = ns,
            Err(e) => errors.push(e),
        }
    }
    let found = found::for_paths(&args.paths, &loaded.files, &config_docs, false).map_err(|e| errors.push(e)).unwrap_or_default();
    let (from_env, from_params) = from_env(env, &mut errors);
    let layers = Layers { defaults, found, given: vec![from_env, from_params], flags: args.flags.clone() };
    let config = match errors.is_empty().then(|| layers.effective()) {
        Some(Ok(c)) => c,
        Some(Err(e)) => return bad(&[e.to_string()]),
        None => return bad(&errors.iter().map(ToString::to_string).collect::<Vec<_>>()),
    };
    let run = HostRun::new(loaded.files, loaded.documents, config.settings());
    let mut stderr = String::new();
    for p in run.rendered.problems() {
        stderr.push_str(&p.one_line());
        stderr.push('\n');
        if let Some(h) = &p.help {
            stderr.push_str(&format!("  help: {h}\n"));
        }
    }
    match run.output(Keep::Resources, false) {
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

    #[test]
    fn an_invalid_destination_namespace_is_refused_not_dropped() {
        let dir = app(&[("all.yaml", RESOURCES)]);
        let o = generate(&args(&dir), &env(&[("ARGOCD_APP_NAMESPACE", "Prod_Env")]));
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stdout.is_empty());
        assert!(o.stderr.contains("ARGOCD_APP_NAMESPACE: not a valid namespace name") && o.stderr.contains("DNS-1123"), "{}", o.stderr);
        assert!(!o.stderr.contains("Prod_Env"), "{}", o.stderr);
        let o = generate(&args(&dir), &env(&[("ARGOCD_APP_PARAMETERS", r#"[{"name":"namespace","string":""}]"#)]));
        assert_eq!(o.code, 0, "an empty namespace is the default: {}", o.stderr);
    }

    #[test]
    fn the_app_s_configuration_declares_run_time_secrets_and_errors_never_show_a_value() {
        let app_text = RESOURCES.replace("apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: pg, host: h}\n---\n", "");
        let dir = app(&[
            ("all.yaml", &app_text),
            ("bindery.yaml", "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: b}\n"),
        ]);
        assert_eq!(generate(&args(&dir), &[]).code, EXIT_UNRESOLVED, "the Secret is missing");
        std::fs::write(dir.path().join(".bindery.yaml"), "secrets:\n- {name: db, keys: [type, host]}\n").unwrap();
        let o = generate(&args(&dir), &[]);
        assert_eq!(o.code, 0, "declared in .bindery.yaml: {}", o.stderr);
        assert!(o.stderr.contains("RuntimeSecret"), "{}", o.stderr);
        std::fs::write(dir.path().join(".bindery.yaml"), "").unwrap();
        let o = generate(&args(&dir), &env(&[("ARGOCD_ENV_BINDERY_ALLOW_MISSING_SECRETS", "true")]));
        assert_eq!(o.code, 0, "{}", o.stderr);
        let o = generate(&args(&dir), &env(&[("ARGOCD_ENV_BINDERY_SECRETS", "[{name: db}]")]));
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stderr.contains("put it in a BindingResolver"), "{}", o.stderr);
        std::fs::write(
            dir.path().join("bindery.yaml"),
            "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata: {name: b}\nspec: {secrets: [{name: db, keys: {password: Sup3r_S3cret}}]}\n",
        )
        .unwrap();
        let o = generate(&args(&dir), &[]);
        assert_eq!(o.code, EXIT_BAD_INPUT);
        assert!(o.stderr.contains("spec.secrets[0].keys: expected a string or a list of strings, got an object"), "{}", o.stderr);
        assert!(!o.stderr.contains("Sup3r_S3cret"), "{}", o.stderr);
    }
}
