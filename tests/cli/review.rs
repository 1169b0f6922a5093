//! The review commands end to end — `diff`, `check` (human, json, github, sarif), `explain` and
//! `materialize` — run on the example folders in `fixtures/`, on small inputs written to
//! temporary directories, and (for redaction) on the public conformance cases.
//!
//! Machine formats are parsed, never compared as text; the SARIF output is validated against
//! the vendored SARIF 2.1.0 schema (`tests/schemas/`).

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::common;

use common::{copy_dir, tempdir, write};

/// A run that takes longer than this is a hang: kill it and fail.
const TIMEOUT: Duration = Duration::from_secs(20);

use common::{INVALID_FIXTURES, VALID_FIXTURES};

// ---------------------------------------------------------------------------------------------
// Running bindery
// ---------------------------------------------------------------------------------------------

/// One finished run of `bindery …`.
struct Run {
    command: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "`{}` should exit {code}; stdout:\n{}\nstderr:\n{}", self.command, self.stdout, self.stderr);
        self.assert_no_panic();
        self
    }

    #[track_caller]
    fn assert_no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "`{}` panicked:\n{}",
            self.command,
            self.stderr
        );
    }

    /// Fail closed: nothing on stdout, a diagnostic on stderr.
    #[track_caller]
    fn assert_fails_closed(&self, code: i32) -> &Self {
        self.assert_code(code);
        assert!(self.stdout.is_empty(), "`{}` failed but printed:\n{}", self.command, self.stdout);
        assert!(!self.stderr.trim().is_empty(), "`{}` failed without a diagnostic", self.command);
        self
    }

    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("`{}` printed invalid JSON: {e}\n{}", self.command, self.stdout))
    }

    #[track_caller]
    fn stdout_has(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(self.stdout.contains(needle), "stdout of `{}` should contain {needle:?}:\n{}", self.command, self.stdout);
        }
        self
    }
}

/// Run `bindery ARGS` from the crate root.
fn bindery<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = common::run(&mut common::bindery_command(args), TIMEOUT);
    Run { command: out.command, code: out.code, stdout: out.stdout, stderr: out.stderr }
}

/// A Secret, a Deployment and a binding between them, namespace `default`.
const SMALL_APP: &str = r#"apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {type: postgresql, host: db.internal, port: "5432", database: app, username: web, password: s3cr3t-Pa55word}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: app, image: app:1}, {name: proxy, image: envoy:1}]}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: web-db}
spec:
  service: {apiVersion: v1, kind: Secret, name: db}
  workload: {apiVersion: apps/v1, kind: Deployment, name: web, containers: [app]}
  env: [{name: DB_PASSWORD, key: password}]
"#;

// ---------------------------------------------------------------------------------------------
// diff
// ---------------------------------------------------------------------------------------------

#[test]
fn diff_shows_each_changed_resource_under_a_header_naming_file_kind_namespace_and_name() {
    let run = bindery(["diff", "fixtures/postgres-provisioned"]);
    run.assert_code(0).stdout_has(&[
        "--- fixtures/postgres-provisioned/app/deployment.yaml:1\tDeployment shop/orders\n",
        "+++ fixtures/postgres-provisioned/app/deployment.yaml:1\tDeployment shop/orders (rendered)\n",
        "+          mountPath: /bindings/orders-db\n",
        "+              key: password\n",
    ]);
    assert!(run.stdout.lines().any(|l| l.starts_with("@@ -")), "{}", run.stdout);
    // Only the workload changes; the consumed ServiceBinding is not listed by default.
    assert_eq!(run.stdout.matches("\n+++ ").count() + usize::from(run.stdout.starts_with("+++ ")), 1, "{}", run.stdout);
    assert!(!run.stdout.contains("ServiceBinding"), "{}", run.stdout);
    assert!(!run.stdout.contains('\x1b'), "piped output must be plain:\n{}", run.stdout);
}

#[test]
fn diff_shows_consumed_bindings_as_removed_only_when_asked_and_not_kept() {
    let removed = "+++ /dev/null\t(not in the rendered output)";
    let run = bindery(["diff", "fixtures/postgres-provisioned", "--show-consumed"]);
    run.assert_code(0).stdout_has(&[
        "--- fixtures/postgres-provisioned/binding.yaml:3\tServiceBinding shop/orders-db\n",
        removed,
        "-kind: ServiceBinding\n",
    ]);
    let kept = bindery(["diff", "fixtures/postgres-provisioned", "--show-consumed", "--keep-bindings"]);
    assert!(!kept.assert_code(0).stdout.contains(removed), "{}", kept.stdout);
}

#[test]
fn diff_exit_code_reports_changes_like_git_diff() {
    bindery(["diff", "fixtures/direct-secret-selector", "--exit-code"]).assert_code(1);
    bindery(["diff", "fixtures/direct-secret-selector"]).assert_code(0);
    // Rendered output, rendered again with the same bindings, changes nothing.
    let out = tempdir();
    bindery([
        OsStr::new("render"),
        OsStr::new("fixtures/direct-secret-selector"),
        OsStr::new("--keep-bindings"),
        OsStr::new("-o"),
        out.path().as_os_str(),
    ])
    .assert_code(0);
    let again = bindery([OsStr::new("diff"), out.path().as_os_str(), OsStr::new("--keep-bindings"), OsStr::new("--exit-code")]);
    again.assert_code(0);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    let json = bindery([OsStr::new("diff"), out.path().as_os_str(), OsStr::new("--keep-bindings"), OsStr::new("--format=json")]);
    assert_eq!(json.assert_code(0).json()["changed"], false);
}

/// A Service Binding Operator binding to a service whose Secret is in another namespace: the
/// values must be copied into a generated Secret (with a `SecretValuesCopied` warning).
const COPIED_SECRET_APP: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: backends.stable.example.com
  annotations: {service.binding: "path={.status.credentials},objectType=Secret"}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: backends, singular: backend, kind: Backend}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: v1
kind: Secret
metadata: {name: backend-credentials, namespace: services}
stringData: {username: AzureDiamond, password: Hunter2-Copied-Pa55}
---
apiVersion: stable.example.com/v1
kind: Backend
metadata: {name: backend, namespace: services}
status: {credentials: backend-credentials}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: app-backend}
spec:
  bindAsFiles: false
  services: [{group: stable.example.com, version: v1, kind: Backend, name: backend, namespace: services}]
  application: {name: app, group: apps, version: v1, resource: deployments}
"#;

#[test]
fn diff_shows_generated_resources_as_added_masked_and_unchanged_when_rendered_again() {
    let dir = tempdir();
    write(dir.path(), "app.yaml", COPIED_SECRET_APP);
    let run = bindery([OsStr::new("diff"), dir.path().as_os_str()]);
    run.assert_code(0).stdout_has(&[
        "--- /dev/null\n",
        "\tSecret default/app-backend-",
        "(generated for ServiceBinding default/app-backend)\n",
        "+  BACKEND_PASSWORD: '***'\n",
    ]);
    assert!(!run.stdout.contains("Hunter2-Copied-Pa55") && !run.stdout.contains("SHVudGVy"), "{}", run.stdout);
    assert!(run.stderr.contains("SecretValuesCopied"), "{}", run.stderr);
    // Rendered again (with the binding), the generated Secret replaces itself: no change.
    let out = tempdir();
    bindery([OsStr::new("render"), dir.path().as_os_str(), OsStr::new("--keep-bindings"), OsStr::new("-o"), out.path().as_os_str()])
        .assert_code(0);
    let again = bindery([OsStr::new("diff"), out.path().as_os_str(), OsStr::new("--keep-bindings"), OsStr::new("--exit-code")]);
    again.assert_code(0);
    assert!(again.stdout.is_empty(), "{}", again.stdout);
    let explained = bindery([OsStr::new("explain"), dir.path().as_os_str(), OsStr::new("--show-values")]);
    explained.assert_code(0).stdout_has(&["BACKEND_PASSWORD = ***", "Secret app-backend-"]);
    assert!(!explained.stdout.contains("Hunter2-Copied-Pa55"));
    let revealed = bindery([OsStr::new("explain"), dir.path().as_os_str(), OsStr::new("--show-secrets")]);
    revealed.assert_code(0).stdout_has(&["BACKEND_PASSWORD = \"Hunter2-Copied-Pa55\""]);
}

#[test]
fn diff_is_coloured_only_on_request_when_piped() {
    let run = bindery(["diff", "fixtures/direct-secret-selector", "--color", "always"]);
    run.assert_code(0).stdout_has(&["\x1b[32m+", "\x1b[1m--- "]);
    let never = bindery(["diff", "fixtures/direct-secret-selector", "--color", "never"]);
    assert!(!never.stdout.contains('\x1b'));
}

#[test]
fn diff_context_lines_follow_the_unified_flag() {
    let wide = bindery(["diff", "fixtures/direct-secret-selector", "-U", "10"]);
    let narrow = bindery(["diff", "fixtures/direct-secret-selector", "-U", "0"]);
    assert!(wide.assert_code(0).stdout.lines().count() > narrow.assert_code(0).stdout.lines().count());
    assert!(narrow.stdout.lines().all(|l| !l.starts_with(' ')), "{}", narrow.stdout);
}

#[test]
fn diff_markdown_has_one_collapsible_block_per_resource() {
    let run = bindery(["diff", "fixtures/direct-secret-selector", "--format", "markdown"]);
    run.assert_code(0).stdout_has(&[
        "<!-- bindery-diff -->",
        "2 changed, 0 added, 0 removed.",
        "<summary><code>Deployment default/storefront-web</code> in <code>fixtures/direct-secret-selector/deployments.yaml:4</code>",
        "```diff\n@@ ",
    ]);
    assert_eq!(run.stdout.matches("<details>").count(), 2);
    assert_eq!(run.stdout.matches("</details>").count(), 2);
    assert!(!run.stdout.contains("storefront-web-canary"), "the unbound canary is unchanged");
    let none = bindery(["diff", "fixtures/invalid/../direct-secret-selector/configmap.yaml", "--format", "markdown"]);
    none.assert_code(0).stdout_has(&["No changes"]);
}

#[test]
fn diff_json_lists_resources_with_identity_place_and_hunks() {
    let doc = bindery(["diff", "fixtures/cronjob-and-custom-workload", "--format", "json"]).json();
    assert_eq!(doc["schemaVersion"], 1);
    assert_eq!(doc["changed"], true);
    let resources = doc["resources"].as_array().unwrap();
    assert_eq!(doc["summary"]["changed"].as_u64().unwrap() as usize, resources.len());
    let kinds: Vec<&str> = resources.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["CronJob", "Pipeline"]);
    for r in resources {
        assert_eq!(r["status"], "changed");
        for key in ["apiVersion", "namespace", "name", "file", "line", "additions", "deletions", "diff"] {
            assert!(!r[key].is_null(), "{key} missing in {r}");
        }
        assert!(r["diff"].as_str().unwrap().starts_with("@@ -"), "{r}");
        assert!(r["additions"].as_u64().unwrap() > 0);
    }
}

#[test]
fn diff_fails_closed_when_a_binding_cannot_be_resolved() {
    // With --exit-code, 1 means "changes"; a binding that cannot be resolved is 3.
    let run = bindery(["diff", "fixtures/invalid/missing-secret", "--exit-code"]);
    run.assert_fails_closed(3);
    assert!(run.stderr.contains("SecretNotFound"), "{}", run.stderr);
    let run = bindery(["diff", "fixtures/invalid/missing-secret"]);
    run.assert_fails_closed(1);
    assert!(run.stderr.contains("SecretNotFound"), "{}", run.stderr);
    bindery(["diff", "fixtures/invalid/bad-yaml"]).assert_fails_closed(2);
}

// ---------------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------------

const FORMATS: [&str; 4] = ["human", "json", "github", "sarif"];

#[test]
fn check_passes_valid_fixtures_in_every_format() {
    for fixture in VALID_FIXTURES {
        for format in FORMATS {
            let run = bindery(["check", fixture, "--format", format]);
            run.assert_code(0);
            match format {
                "human" => {
                    run.stdout_has(&["bindery check: 0 errors, 0 warnings in "]);
                }
                "json" => assert_eq!(run.json()["problems"], serde_json::json!([])),
                "github" => assert!(run.stdout.is_empty(), "{}", run.stdout),
                _ => assert_eq!(run.json()["runs"][0]["results"], serde_json::json!([])),
            }
        }
    }
}

#[test]
fn check_fails_invalid_fixtures_in_every_format_with_rule_and_place() {
    let expected = [
        ("fixtures/invalid/missing-secret", 1, "SecretNotFound"),
        ("fixtures/invalid/workload-not-found", 1, "WorkloadNotFound"),
        ("fixtures/invalid/env-key-missing", 1, "EnvKeyNotFound"),
        ("fixtures/invalid/invalid-binding", 1, "InvalidBinding"),
        ("fixtures/invalid/bad-yaml", 2, "InvalidInput"),
        ("fixtures/invalid/secret-missing-type", 1, "MissingType"),
        ("fixtures/invalid/two-broken-bindings", 1, "SecretNotFound"),
    ];
    assert_eq!(expected.len(), INVALID_FIXTURES.len());
    for (fixture, code, rule) in expected {
        let human = bindery(["check", fixture]);
        human.assert_code(code).stdout_has(&[&format!("bindery::{rule}"), fixture]);
        let json = bindery(["check", fixture, "--format", "json"]);
        let doc = json.assert_code(code).json();
        let problems = doc["problems"].as_array().unwrap();
        assert!(problems.iter().any(|p| p["rule"] == rule), "{fixture}: {doc:#}");
        assert_eq!(doc["summary"]["errors"].as_u64().unwrap() as usize, problems.len());
        for p in problems {
            assert_eq!(p["severity"], "error");
            assert!(p["location"]["file"].as_str().unwrap().starts_with(fixture), "{p}");
            assert!(p["location"]["line"].as_u64().unwrap() >= 1, "{p}");
        }
        let github = bindery(["check", fixture, "--format", "github"]);
        github.assert_code(code);
        for line in github.stdout.lines() {
            assert!(line.starts_with("::error file=fixtures/invalid/"), "{line}");
            assert!(line.contains(",line=") && line.contains(",title=bindery/"), "{line}");
        }
        assert_eq!(github.stdout.lines().count(), problems.len());
        let sarif = bindery(["check", fixture, "--format", "sarif"]);
        let results = sarif.assert_code(code).json()["runs"][0]["results"].clone();
        assert_eq!(results.as_array().unwrap().len(), problems.len());
    }
}

#[test]
fn check_json_has_the_documented_schema() {
    let doc = bindery(["check", "fixtures/invalid/env-key-missing", "--format", "json"]).json();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&doc), ["schemaVersion", "tool", "summary", "problems"]);
    assert_eq!(doc["schemaVersion"], 1);
    assert_eq!(doc["tool"]["name"], "bindery");
    assert_eq!(keys(&doc["summary"]), ["errors", "warnings", "notices", "resources", "bindings"]);
    let p = &doc["problems"][0];
    assert_eq!(keys(p), ["rule", "severity", "binding", "message", "help", "location", "fingerprint"]);
    assert_eq!(keys(&p["location"]), ["file", "line", "column"]);
    assert_eq!(p["rule"], "EnvKeyNotFound");
    assert!(p["binding"].as_str().unwrap().contains('/'));
}

#[test]
fn check_warnings_fail_only_with_strict() {
    let dir = tempdir();
    let input =
        SMALL_APP.replace("workload: {apiVersion: apps/v1, kind: Deployment", "workload: {apiVersion: apps/v1beta2, kind: Deployment");
    write(dir.path(), "app.yaml", &input);
    let run = bindery([OsStr::new("check"), dir.path().as_os_str(), OsStr::new("--format=json")]);
    let doc = run.assert_code(0).json();
    assert_eq!(doc["summary"]["warnings"], 1, "{doc:#}");
    assert_eq!(doc["problems"][0]["rule"], "WorkloadVersionMismatch");
    assert_eq!(doc["problems"][0]["severity"], "warning");
    bindery([OsStr::new("check"), dir.path().as_os_str(), OsStr::new("--strict")]).assert_code(1);
    let github = bindery([OsStr::new("check"), dir.path().as_os_str(), OsStr::new("--format=github")]);
    assert!(github.assert_code(0).stdout.starts_with("::warning file="), "{}", github.stdout);
}

#[test]
fn check_github_escapes_percent_colon_comma_and_newlines() {
    let dir = tempdir();
    // A directory name with ',' and ':' (escaped in the file property) and a workload name
    // with '%', ':' and ',' (escaped in the message); the help goes on a second line (%0A).
    let input = SMALL_APP.replace("name: web, containers", "name: \"web%20,db:1\", containers");
    write(dir.path(), "team,a:b/app.yaml", &input);
    let run = bindery([OsStr::new("check"), dir.path().as_os_str(), OsStr::new("--format"), OsStr::new("github")]);
    run.assert_code(1);
    let line = run.stdout.lines().find(|l| l.contains("WorkloadNotFound")).expect("a WorkloadNotFound annotation");
    let (props, message) = line.strip_prefix("::error ").unwrap().split_once("::").unwrap();
    assert!(props.contains("/team%2Ca%3Ab/app.yaml,line="), "{props}");
    assert!(props.ends_with(",title=bindery/WorkloadNotFound"), "{props}");
    assert!(message.contains("\"web%2520,db:1\""), "{message}");
    assert_eq!(run.stdout.lines().count(), 1, "one annotation per problem:\n{}", run.stdout);
    let unescape = |s: &str| s.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%");
    let json = bindery([OsStr::new("check"), dir.path().as_os_str(), OsStr::new("--format=json")]).json();
    let p = &json["problems"][0];
    let mut expected = format!("ServiceBinding {}: {}", p["binding"].as_str().unwrap(), p["message"].as_str().unwrap());
    if let Some(help) = p["help"].as_str() {
        expected.push_str(&format!("\nhelp: {help}"));
        assert!(message.contains("%0Ahelp: "), "{message}");
    }
    assert_eq!(unescape(message), expected);
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(common::repo().join("tests/schemas/sarif-2.1.0.json")).expect("vendored SARIF schema");
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // rtm.5 has a stray `]` in the `language` patterns (of run and toolComponent), which a
    // strict regex engine refuses; the pattern the SARIF errata settled on is used instead.
    for definition in ["run", "toolComponent"] {
        let language = &mut schema["definitions"][definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into();
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// What GitHub code scanning requires beyond the schema (the SARIF Multitool's GitHub rules).
#[track_caller]
fn assert_github_accepts(sarif: &Value) {
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        for key in ["fullDescription", "help", "shortDescription"] {
            assert!(!rule[key]["text"].as_str().unwrap_or("").is_empty(), "rule {} lacks {key}", rule["id"]);
        }
    }
    for result in run["results"].as_array().unwrap() {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri} must be relative");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(!result["partialFingerprints"]["binderyFinding/v1"].as_str().unwrap().is_empty());
    }
}

#[test]
fn check_sarif_is_valid_sarif_2_1_0_that_github_accepts() {
    let validator = sarif_validator();
    for fixture in VALID_FIXTURES.iter().chain(&INVALID_FIXTURES) {
        let run = bindery(["check", fixture, "--format", "sarif"]);
        run.assert_no_panic();
        let sarif = run.json();
        let errors: Vec<String> = validator.iter_errors(&sarif).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{fixture}: SARIF does not validate:\n{}", errors.join("\n"));
        assert_github_accepts(&sarif);
    }
    // The schema check is real: a level SARIF does not know is refused.
    let mut bad = bindery(["check", "fixtures/invalid/missing-secret", "--format", "sarif"]).json();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
    let mut bad_uri = bindery(["check", "fixtures/invalid/missing-secret", "--format", "sarif"]).json();
    bad_uri["$schema"] = "not a uri".into();
    assert!(!validator.is_valid(&bad_uri), "formats are checked");
}

#[test]
fn sarif_fingerprints_are_stable_when_lines_move() {
    let dir = tempdir();
    copy_dir(&common::repo().join("fixtures/invalid/two-broken-bindings"), dir.path());
    let sarif = |dir: &Path| bindery([OsStr::new("check"), dir.as_os_str(), OsStr::new("--format=sarif")]).json();
    let summary = |s: &Value| -> Vec<(String, u64)> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"]["binderyFinding/v1"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let before = summary(&sarif(dir.path()));
    let file = dir.path().join("bindings.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("# moved\n# down\n{text}")).unwrap();
    let after = summary(&sarif(dir.path()));
    assert_eq!(before.len(), 2);
    let unique: BTreeSet<&String> = before.iter().map(|(f, _)| f).collect();
    assert_eq!(unique.len(), 2, "fingerprints are distinct");
    for ((fb, lb), (fa, la)) in before.iter().zip(&after) {
        assert_eq!(fb, fa, "a fingerprint must survive lines moving");
        assert_eq!(lb + 2, *la);
    }
}

// ---------------------------------------------------------------------------------------------
// explain
// ---------------------------------------------------------------------------------------------

#[test]
fn explain_shows_every_bound_container_its_files_and_variables_with_sources() {
    let run = bindery(["explain", "fixtures/postgres-provisioned"]);
    run.assert_code(0).stdout_has(&[
        "Deployment shop/orders  (fixtures/postgres-provisioned/app/deployment.yaml:1)\n",
        "  container migrate\n",
        "  container api\n",
        "  container outbox-relay\n",
        "    /bindings  ($SERVICE_BINDING_ROOT)\n",
        "orders-db/  ← ServiceBinding shop/orders-db (fixtures/postgres-provisioned/binding.yaml:3)",
        "password = ***",
        "← Secret orders-db-credentials, key password",
        "SERVICE_BINDING_ROOT = \"/bindings\"",
        "DATABASE_PASSWORD = ***",
    ]);
}

#[test]
fn explain_reveals_non_secret_values_with_show_values_and_secret_ones_only_with_show_secrets() {
    let masked = bindery(["explain", "fixtures/direct-secret-selector"]);
    masked.assert_code(0).stdout_has(&["type = ***", "host = ***", "CACHE_KIND = ***"]);
    let values = bindery(["explain", "fixtures/direct-secret-selector", "--show-values"]);
    values.assert_code(0).stdout_has(&[
        "type = \"redis\"",
        "provider = \"bitnami\"",
        "CACHE_KIND = \"redis\"",
        "host = ***",
        "REDIS_PASSWORD = ***",
        "the binding's spec.type, through pod annotation projector.servicebinding.io/type-",
    ]);
    assert!(!values.stdout.contains("rds-Sf9xT2wQ-cache"));
    let secrets = bindery(["explain", "fixtures/direct-secret-selector", "--show-secrets"]);
    secrets.assert_code(0).stdout_has(&[
        "REDIS_PASSWORD = \"rds-Sf9xT2wQ-cache\"",
        "host = \"storefront-redis-master.default.svc.cluster.local\"",
        "type = \"redis\"",
    ]);
    // The container filter: log-shipper sees nothing, the canary is not bound.
    assert!(!secrets.stdout.contains("log-shipper") && !secrets.stdout.contains("canary"));
}

#[test]
fn explain_json_gives_sources_and_only_revealed_values() {
    let doc = bindery(["explain", "fixtures/direct-secret-selector", "--format=json", "--show-values"]).json();
    assert_eq!(doc["schemaVersion"], 1);
    let workloads = doc["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 2);
    let c = &workloads[0]["containers"][0];
    assert_eq!(c["name"], "app");
    assert_eq!(c["bindingRoot"], "/bindings");
    let b = &c["bindings"][0];
    assert_eq!(b["binding"], "default/storefront-cache");
    assert_eq!(b["mountPath"], "/bindings/cache");
    let file = |name: &str| b["files"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap().clone();
    assert_eq!(
        file("password"),
        serde_json::json!({"name": "password", "source": {"kind": "secret", "name": "storefront-redis", "key": "password"}, "masked": true})
    );
    assert_eq!(file("type")["value"], "redis");
    assert_eq!(file("type")["source"]["kind"], "override");
    assert_eq!(file("type")["source"]["field"], "spec.type");
    assert!(file("type")["source"].get("value").is_none(), "a source never carries the value");
    let env: Vec<&str> = b["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(env, ["REDIS_HOST", "REDIS_PASSWORD", "CACHE_KIND"]);
    assert_eq!(doc["idleBindings"], serde_json::json!([]));
}

#[test]
fn explain_names_bindings_that_reach_no_container() {
    let dir = tempdir();
    let input = SMALL_APP.replace("containers: [app]", "containers: [worker]");
    write(dir.path(), "app.yaml", &input);
    let run = bindery([OsStr::new("explain"), dir.path().as_os_str()]);
    run.assert_code(0).stdout_has(&[
        "No binding reaches any container.",
        "ServiceBinding default/web-db (",
        "binds no container: its container filter matches no container",
    ]);
}

#[test]
fn explain_fails_closed_when_a_binding_cannot_be_resolved() {
    for fixture in INVALID_FIXTURES {
        let run = bindery(["explain", fixture]);
        run.assert_fails_closed(if fixture.ends_with("bad-yaml") { 2 } else { 1 });
    }
}

// ---------------------------------------------------------------------------------------------
// materialize
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn materialize_writes_what_the_container_sees_and_secret_values_only_when_asked() {
    let root = tempdir();
    let dir = root.path().join("bindings");
    let args = |extra: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = vec!["materialize".into(), "--root".into(), dir.clone().into()];
        a.extend(["fixtures/direct-secret-selector", "--workload", "deployment/storefront-web"].map(Into::into));
        a.extend(extra.iter().map(Into::into));
        a
    };
    let run = bindery(args(&[]));
    run.assert_code(0).stdout_has(&[
        "wrote   cache/type",
        "skipped cache/password  (a Secret value; pass --show-secrets to write it)",
        "REDIS_PASSWORD=***",
        &format!("run the application with SERVICE_BINDING_ROOT={}", dir.display()),
    ]);
    assert_eq!(std::fs::read_to_string(dir.join("cache/type")).unwrap(), "redis");
    assert_eq!(std::fs::read_to_string(dir.join("cache/provider")).unwrap(), "bitnami");
    assert!(!dir.join("cache/password").exists());

    let run = bindery(args(&["--container", "app", "--show-secrets"]));
    run.assert_code(0);
    assert!(!run.stdout.contains("rds-Sf9xT2wQ-cache"), "secret values go to files, not the terminal");
    assert_eq!(std::fs::read_to_string(dir.join("cache/password")).unwrap(), "rds-Sf9xT2wQ-cache");
    assert_eq!(std::fs::read_to_string(dir.join("cache/port")).unwrap(), "6379");
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("cache")), 0o700);
        for f in ["host", "password", "port", "provider", "type"] {
            assert_eq!(mode(&dir.join("cache").join(f)), 0o600, "{f}");
        }
    }
}

#[cfg(unix)]
#[test]
fn materialize_replaces_a_symlink_instead_of_writing_through_it() {
    let root = tempdir();
    let dir = root.path().join("b");
    let outside = root.path().join("outside.txt");
    std::fs::write(&outside, "keep me").unwrap();
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("cache/type")).unwrap();
    bindery([
        OsStr::new("materialize"),
        OsStr::new("--root"),
        dir.as_os_str(),
        OsStr::new("fixtures/direct-secret-selector"),
        OsStr::new("--workload=Deployment/default/storefront-worker"),
    ])
    .assert_code(0);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
    assert!(!std::fs::symlink_metadata(dir.join("cache/type")).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(dir.join("cache/type")).unwrap(), "redis");
}

#[test]
fn materialize_needs_an_unambiguous_workload_and_container() {
    let root = tempdir();
    let run = |args: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = vec!["materialize".into(), "--root".into(), root.path().into()];
        a.extend(args.iter().map(Into::into));
        bindery(a)
    };
    let several = run(&["fixtures/direct-secret-selector"]);
    several.assert_fails_closed(2);
    assert!(several.stderr.contains("Deployment/default/storefront-web, Deployment/default/storefront-worker"), "{}", several.stderr);
    let containers = run(&["fixtures/postgres-provisioned"]);
    containers.assert_fails_closed(2);
    assert!(containers.stderr.contains("--container (one of: migrate, api, outbox-relay)"), "{}", containers.stderr);
    run(&["fixtures/postgres-provisioned", "--container", "nope"]).assert_fails_closed(2);
    run(&["fixtures/postgres-provisioned", "--workload", "Deployment/orders/x/y"]).assert_fails_closed(2);
    run(&["fixtures/postgres-provisioned", "--container", "api"]).assert_code(0);
    assert!(root.path().join("orders-db").is_dir());
    run(&["fixtures/invalid/missing-secret"]).assert_fails_closed(1);
}

// ---------------------------------------------------------------------------------------------
// Redaction: no command prints a Secret value unless asked
// ---------------------------------------------------------------------------------------------

/// Every Secret value in an input folder (each `data` value base64-encoded and decoded, each
/// `stringData` value, and every longer line of multi-line ones), less those the input also
/// shows outside Secrets (in other resources or comments), which any output may repeat.
fn secret_values(dir: &Path) -> BTreeSet<String> {
    let files = common::files_under(dir, &["yaml", "yml", "json"]);
    let mut secret = BTreeSet::new();
    let mut public = String::new();
    let add = |v: &str, set: &mut BTreeSet<String>| {
        set.insert(v.to_string());
        for line in v.lines().map(str::trim).filter(|l| l.len() >= 8) {
            set.insert(line.to_string());
        }
    };
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines().filter(|l| l.trim_start().starts_with('#')) {
            public.push_str(line);
            public.push('\n');
        }
        let docs = match common::try_parse_stream(&text) {
            Ok(docs) => docs,
            // Unparseable (the bad-yaml fixture): every `key: value` under data/stringData.
            Err(_) => {
                let mut inside: Option<usize> = None;
                for line in text.lines() {
                    let indent = line.len() - line.trim_start().len();
                    let body = line.trim();
                    if body == "data:" || body == "stringData:" {
                        inside = Some(indent);
                    } else if inside.is_some_and(|i| indent > i) {
                        if let Some((_, v)) = body.split_once(": ") {
                            add(v.trim_matches('"'), &mut secret);
                        }
                    } else if !body.is_empty() {
                        inside = None;
                    }
                }
                continue;
            }
        };
        let mut flat = Vec::new();
        for d in docs {
            match d.get("items").and_then(Value::as_array) {
                Some(items) if d["kind"] == "List" => flat.extend(items.iter().cloned()),
                _ => flat.push(d),
            }
        }
        for d in flat {
            if d["kind"] != "Secret" {
                public.push_str(&d.to_string());
                continue;
            }
            for (field, encoded) in [("data", true), ("stringData", false)] {
                let Some(map) = d.get(field).and_then(Value::as_object) else { continue };
                for v in map.values() {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => continue,
                        other => other.to_string(),
                    };
                    add(&s, &mut secret);
                    if encoded {
                        let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) {
                            if let Ok(decoded) = String::from_utf8(bytes) {
                                add(&decoded, &mut secret);
                            }
                        }
                    }
                }
            }
        }
    }
    // Values also in public text, and values too short to be told from ordinary words or
    // numbers ("db", "443"), cannot be attributed to a leak.
    secret.retain(|v| v.len() >= 4 && !public.contains(v.as_str()));
    secret
}

/// Every example folder ([`common::all_fixtures`]), the fixture lists among them.
fn fixture_dirs() -> Vec<PathBuf> {
    let out = common::all_fixtures();
    for f in VALID_FIXTURES.iter().chain(&INVALID_FIXTURES) {
        assert!(out.contains(&common::repo().join(f)), "{f} is not found by the fixture walk");
    }
    out
}

/// The input folders of the conformance kit, with each case's extra arguments.
fn conformance_inputs() -> Vec<(PathBuf, Vec<String>)> {
    let Some(kit) = common::conformance_kit() else { return Vec::new() };
    let cases = kit.join("cases");
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&cases).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for case in entries {
        if !case.join("input").is_dir() {
            continue;
        }
        let args = std::fs::read_to_string(case.join("case.yaml"))
            .ok()
            .and_then(|t| common::try_parse_stream(&t).ok())
            .and_then(|docs| docs.into_iter().next())
            .and_then(|d| d.get("args").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        out.push((case.join("input"), args));
    }
    out
}

/// Every printed output of every review command (and render's diagnostics) on one input.
fn outputs(input: &Path, args: &[String], scratch: &Path) -> Vec<(String, String)> {
    let run = |cmd: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = cmd.iter().map(Into::into).collect();
        a.push(input.into());
        a.extend(args.iter().map(Into::into));
        let r = bindery(a);
        r.assert_no_panic();
        r
    };
    let mut out = Vec::new();
    let render = run(&["render"]);
    let render_code = render.code;
    out.push((format!("{} (stderr)", render.command), render.stderr));
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["diff"],
        vec!["diff", "--show-consumed", "--color=always"],
        vec!["diff", "--format=markdown", "--show-consumed"],
        vec!["diff", "--format=json", "--show-consumed"],
        vec!["explain"],
        vec!["explain", "--show-values"],
        vec!["explain", "--format=json", "--show-values"],
    ];
    for format in FORMATS {
        commands.push(vec!["check", "--format", format]);
    }
    // Repository mode (kustomizations built with kustomize) checks other sets than render's
    // plain directory: those runs are compared with render as plain runs, and their own
    // outputs are checked for leaks below.
    let plain: Vec<Vec<&str>> = commands.iter().map(|c| [c.as_slice(), &["--no-kustomize"]].concat()).collect();
    if has_kustomization(input) {
        for cmd in &commands {
            let r = run(cmd);
            assert!(matches!(r.code, Some(0..=2)), "`{}` exited {:?}:\n{}", r.command, r.code, r.stderr);
            out.push((format!("{} (stdout)", r.command), r.stdout));
            out.push((format!("{} (stderr)", r.command), r.stderr));
        }
    }
    for cmd in &plain {
        let r = run(cmd);
        // Every command agrees with render on whether the input resolves.
        let expected = match (cmd[0], render_code) {
            ("check", Some(0)) => vec![Some(0)],
            (_, code) => vec![code],
        };
        assert!(expected.contains(&r.code), "`{}` exited {:?}, render {render_code:?}:\n{}", r.command, r.code, r.stderr);
        out.push((format!("{} (stdout)", r.command), r.stdout));
        out.push((format!("{} (stderr)", r.command), r.stderr));
    }
    // materialize (without --show-secrets) every bound container, and read what it wrote.
    if render_code == Some(0) {
        let explained: Value = serde_json::from_str(&run(&["explain", "--format=json", "--no-kustomize"]).stdout).unwrap();
        for w in explained["workloads"].as_array().unwrap() {
            let workload = match w["namespace"].as_str() {
                Some(ns) => format!("{}/{ns}/{}", w["kind"].as_str().unwrap(), w["name"].as_str().unwrap()),
                None => format!("{}/{}", w["kind"].as_str().unwrap(), w["name"].as_str().unwrap()),
            };
            for c in w["containers"].as_array().unwrap() {
                let root = tempfile::tempdir_in(scratch).expect("scratch directory").keep();
                let r = run(&[
                    "materialize",
                    "--root",
                    root.to_str().unwrap(),
                    "--workload",
                    &workload,
                    "--container",
                    c["name"].as_str().unwrap(),
                ]);
                r.assert_code(0);
                out.push((format!("{} (stdout)", r.command), r.stdout));
                out.push((format!("{} (stderr)", r.command), r.stderr));
                let mut written = Vec::new();
                if root.is_dir() {
                    all_files(&root, &mut written);
                }
                for f in written {
                    out.push((format!("{} wrote {}", r.command, f.display()), std::fs::read_to_string(&f).unwrap_or_default()));
                }
            }
        }
    }
    out
}

/// Whether a kustomization file is anywhere under `dir`.
fn has_kustomization(dir: &Path) -> bool {
    let mut files = Vec::new();
    if dir.is_dir() {
        all_files(dir, &mut files);
    }
    files.iter().any(|f| f.file_name().is_some_and(|n| n == "kustomization.yaml" || n == "kustomization.yml"))
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_output_contains_a_secret_value_over_all_fixtures_and_conformance_cases() {
    let mut inputs: Vec<(PathBuf, Vec<String>)> = fixture_dirs().into_iter().map(|f| (f, Vec::new())).collect();
    inputs.extend(conformance_inputs());
    let scratch = tempdir();
    // bindery's own words (every rule's descriptions, as SARIF lists them all): a Secret value
    // that is one of them ("secret") cannot be told from them.
    let empty = tempdir();
    let vocabulary = bindery([OsStr::new("check"), empty.path().as_os_str(), OsStr::new("--format=sarif")]).stdout;
    let mut checked_values = 0;
    let mut leaks = Vec::new();
    for (input, args) in &inputs {
        let mut values = secret_values(input);
        values.retain(|v| !vocabulary.contains(v.as_str()));
        checked_values += values.len();
        for (what, text) in outputs(input, args, scratch.path()) {
            for v in &values {
                if text.contains(v.as_str()) {
                    leaks.push(format!("{what} prints the Secret value {v:?}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "Secret values leaked:\n{}", leaks.join("\n"));
    assert!(inputs.len() >= VALID_FIXTURES.len() + INVALID_FIXTURES.len());
    assert!(checked_values >= 40, "only {checked_values} Secret values were checked");
    eprintln!("redaction: {} inputs, {checked_values} Secret values, none printed", inputs.len());
}

#[test]
fn redaction_test_would_notice_a_leak() {
    // The same collection run against `explain --show-secrets`, which must print them.
    let input = common::repo().join("fixtures/direct-secret-selector");
    let values = secret_values(&input);
    assert!(values.contains("rds-Sf9xT2wQ-cache") && values.contains("cmRzLVNmOXhUMndRLWNhY2hl"), "{values:?}");
    let shown = bindery([OsStr::new("explain"), input.as_os_str(), OsStr::new("--show-secrets")]);
    assert!(values.iter().any(|v| shown.stdout.contains(v.as_str())));
}
