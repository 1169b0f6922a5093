//! Mistakes do not pass silently, and diagnostics find the real mistake: a label selector that
//! matches nothing is a warning `--strict` fails on, with the nearest labels; a binding for
//! workloads created at run time is left to the cluster's runtime only when it says so; a
//! missing `type` fails only where something is projected; names one or two edits from an
//! existing one, and resources in another namespace, are named in the help; an SBO service typo
//! points at its `spec.services[i]` entry.

use serde_json::Value;

use crate::common::views::bindery;
use crate::common::{parse_stream, tempdir, write};

/// `check --format json [--strict] DIR` → (exit code, problems).
fn check(dir: &std::path::Path, strict: bool) -> (i32, Vec<Value>) {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["check", "--format", "json", dir];
    if strict {
        args.push("--strict");
    }
    let run = bindery(&args, None);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    (run.code, report["problems"].as_array().unwrap().clone())
}

fn problem<'a>(problems: &'a [Value], rule: &str, binding: &str) -> &'a Value {
    problems
        .iter()
        .find(|p| p["rule"] == rule && p["binding"] == binding)
        .unwrap_or_else(|| panic!("no {rule} for {binding} in {}", serde_json::to_string_pretty(problems).unwrap()))
}

const SHOP: &str = r#"
apiVersion: v1
kind: Secret
metadata: {name: shop-db, namespace: shop}
stringData: {type: postgresql, host: db.internal, port: "5432", database: shop, username: shop, password: pw}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-api, namespace: shop, labels: {app: shop-api, tier: backend}}
spec: {template: {spec: {containers: [{name: web, image: x}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web, namespace: shop, labels: {app: shop-web, tier: frontend}}
spec: {template: {spec: {containers: [{name: web, image: x}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mailer, namespace: ops}
spec: {template: {spec: {containers: [{name: mailer, image: x}]}}}
"#;

fn binding(name: &str, service: &str, workload: &str) -> String {
    format!(
        "---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  service: {service}\n  workload: {workload}\n"
    )
}

const DB: &str = "{apiVersion: v1, kind: Secret, name: shop-db}";

#[test]
fn a_selector_typo_is_a_warning_that_strict_fails_on_with_the_nearest_label() {
    let tmp = tempdir();
    let typo = binding("typo", DB, "{apiVersion: apps/v1, kind: Deployment, selector: {matchLabels: {app: shop-apii}}}");
    let key_typo = binding("key-typo", DB, "{apiVersion: apps/v1, kind: Deployment, selector: {matchLabels: {tire: frontend}}}");
    let apart = binding("apart", DB, "{apiVersion: apps/v1, kind: Deployment, selector: {matchLabels: {app: shop-api, tier: frontend}}}");
    write(tmp.path(), "all.yaml", format!("{SHOP}{typo}{key_typo}{apart}"));
    let (code, problems) = check(tmp.path(), false);
    assert_eq!(code, 0, "a warning does not fail a plain check: {problems:?}");
    let p = problem(&problems, "SelectorMatchesNothing", "shop/typo");
    assert_eq!(p["severity"], "warning");
    let help = p["help"].as_str().unwrap();
    assert!(help.contains("did you mean app: shop-api?"), "{help}");
    assert!(help.contains("bindery.dev/bind-at-run-time"), "{help}");
    assert!(p["message"].as_str().unwrap().contains("consumed"), "{p}");
    let help = problem(&problems, "SelectorMatchesNothing", "shop/key-typo")["help"].as_str().unwrap().to_string();
    assert!(help.contains("did you mean tier: frontend?"), "{help}");
    let help = problem(&problems, "SelectorMatchesNothing", "shop/apart")["help"].as_str().unwrap().to_string();
    assert!(help.contains("no single Deployment has them all"), "{help}");
    let (code, _) = check(tmp.path(), true);
    assert_eq!(code, 1, "check --strict fails on a selector that matches nothing");
    // The binding is consumed: render does not emit it, and binds nothing.
    let render = bindery(&["render", tmp.path().to_str().unwrap()], None);
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert!(!parse_stream(&render.stdout).iter().any(|d| d["kind"] == "ServiceBinding"), "{}", render.stdout);
}

#[test]
fn a_binding_for_workloads_created_at_run_time_is_left_to_the_runtime_when_it_says_so() {
    let tmp = tempdir();
    let runtime =
        binding("knative", DB, "{apiVersion: apps/v1, kind: Deployment, selector: {matchLabels: {serving.knative.dev/service: shop}}}")
            .replace(
                "metadata: {name: knative, namespace: shop}",
                "metadata:\n  name: knative\n  namespace: shop\n  annotations: {bindery.dev/bind-at-run-time: \"true\"}",
            );
    write(tmp.path(), "all.yaml", format!("{SHOP}{runtime}"));
    let (code, problems) = check(tmp.path(), true);
    assert_eq!(code, 0, "{problems:?}");
    let rules: Vec<&str> = problems.iter().map(|p| p["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["BoundAtRunTime"], "a notice, no SelectorMatchesNothing");
    assert_eq!(problems[0]["severity"], "notice");
    let render = bindery(&["render", tmp.path().to_str().unwrap()], None);
    assert_eq!(render.code, 0, "{}", render.stderr);
    let out = parse_stream(&render.stdout);
    let kept: Vec<&Value> = out.iter().filter(|d| d["kind"] == "ServiceBinding").collect();
    assert_eq!(kept.len(), 1, "emitted for the cluster's runtime");
    assert_eq!(kept[0]["metadata"]["name"], "knative");
    let input = parse_stream(SHOP);
    for d in out.iter().filter(|d| d["kind"] == "Deployment") {
        assert!(input.contains(d), "nothing projected: {d}");
    }
    // Rendering the output again changes nothing.
    write(tmp.path(), "all.yaml", &render.stdout);
    let again = bindery(&["render", tmp.path().to_str().unwrap()], None);
    assert_eq!(again.stdout, render.stdout);
    // Without the annotation the same binding is a warning and consumed.
    write(tmp.path(), "all.yaml", format!("{SHOP}{}", runtime.replace("bindery.dev/bind-at-run-time", "x.example.com/other")));
    let (_, problems) = check(tmp.path(), false);
    assert_eq!(problem(&problems, "SelectorMatchesNothing", "shop/knative")["severity"], "warning");
}

#[test]
fn a_missing_type_is_a_warning_when_nothing_is_projected() {
    let tmp = tempdir();
    let untyped = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: untyped, namespace: shop}\nstringData: {host: h}\n";
    let svc = "{apiVersion: v1, kind: Secret, name: untyped}";
    let idle = binding("idle", svc, "{apiVersion: apps/v1, kind: Deployment, selector: {matchLabels: {app: created-later}}}");
    write(tmp.path(), "all.yaml", format!("{SHOP}{untyped}{idle}"));
    let (code, problems) = check(tmp.path(), false);
    assert_eq!(code, 0, "{problems:?}");
    let p = problem(&problems, "MissingType", "shop/idle");
    assert_eq!(p["severity"], "warning");
    assert!(p["message"].as_str().unwrap().contains("selects no workload"), "{p}");
    let render = bindery(&["render", tmp.path().to_str().unwrap()], None);
    assert_eq!(render.code, 0, "render succeeds: {}", render.stderr);
    // Where something is projected, a missing type still fails.
    let bound = binding("bound", svc, "{apiVersion: apps/v1, kind: Deployment, name: shop-api}");
    write(tmp.path(), "all.yaml", format!("{SHOP}{untyped}{bound}"));
    let (code, problems) = check(tmp.path(), false);
    assert_eq!(code, 1);
    assert_eq!(problem(&problems, "MissingType", "shop/bound")["severity"], "error");
}

#[test]
fn names_one_or_two_edits_away_and_other_namespaces_are_named() {
    let tmp = tempdir();
    let svc = "---\napiVersion: db.example.com/v1\nkind: Database\nmetadata: {name: orders-db, namespace: shop}\nstatus: {binding: {name: shop-db}}\n";
    let bindings = [
        binding("workload-typo", DB, "{apiVersion: apps/v1, kind: Deployment, name: shop-apj}"),
        binding("workload-elsewhere", DB, "{apiVersion: apps/v1, kind: Deployment, name: mailer}"),
        binding("secret-typo", "{apiVersion: v1, kind: Secret, name: shop-bd}", "{apiVersion: apps/v1, kind: Deployment, name: shop-api}"),
        binding(
            "service-typo",
            "{apiVersion: db.example.com/v1, kind: Database, name: order-db}",
            "{apiVersion: apps/v1, kind: Deployment, name: shop-api}",
        ),
    ]
    .concat();
    let sbo = r#"---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: sbo-typo, namespace: shop}
spec:
  application:
    group: apps
    version: v1
    resource: deployment
    name: shop-api
  services:
  - group: db.example.com
    version: v1
    kind: Database
    name: orders-db
  - group: ""
    version: v1
    kind: Secret
    name: shop-dbb
"#;
    write(tmp.path(), "all.yaml", format!("{SHOP}{svc}{bindings}{sbo}"));
    let (code, problems) = check(tmp.path(), false);
    assert_eq!(code, 1);
    let help = |rule: &str, binding: &str| problem(&problems, rule, binding)["help"].as_str().unwrap_or("").to_string();
    assert!(help("WorkloadNotFound", "shop/workload-typo").starts_with("did you mean Deployment \"shop-api\"?"));
    let h = help("WorkloadNotFound", "shop/workload-elsewhere");
    assert!(h.contains("Deployment \"mailer\" exists in namespace \"ops\", not in \"shop\""), "{h}");
    assert!(help("SecretNotFound", "shop/secret-typo").starts_with("did you mean Secret \"shop-db\"?"));
    assert!(help("ServiceNotFound", "shop/service-typo").starts_with("did you mean Database \"orders-db\"?"));
    // SBO: the service typo is reported at its entry (spec.services[1]), not at the binding's
    // first line, with the same help; `resource: deployment` → `deployments`.
    let p = problem(&problems, "ErrorReadingServices", "shop/sbo-typo");
    let text = std::fs::read_to_string(tmp.path().join("all.yaml")).unwrap();
    let line = p["location"]["line"].as_u64().unwrap() as usize;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[line - 1], "  - group: \"\"", "line {line}");
    assert_eq!(lines[line + 2], "    name: shop-dbb");
    assert!(p["help"].as_str().unwrap().starts_with("did you mean Secret \"shop-db\"?"), "{p}");
    assert!(help("ApplicationNotFound", "shop/sbo-typo").starts_with("did you mean resource: deployments?"));
}
