//! `fixtures/gitops-repo/`: a deployment repository as teams keep them (a kustomize base and
//! staging/production overlays setting namespace, images, replicas and patches), with no
//! binding Secret and no operator status committed: a CloudNativePG `Cluster`, an
//! `ExternalSecret`, a `SealedSecret` per overlay, two servicebinding.io bindings and one
//! Service Binding Operator binding. Built for real with `kubectl kustomize` and piped into
//! bindery, and once more with bindery as the overlay's kustomize transformer.

use crate::common::{self, parse_stream, repo, views};

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;
use views::*;

/// `kubectl kustomize DIR` (kustomize v5 inside kubectl); `None` when kubectl is absent.
fn kustomize(dir: &str, plugins: bool) -> Option<String> {
    let Some(kubectl) = common::find_tool("kubectl") else {
        eprintln!("SKIPPED: kubectl is not installed");
        return None;
    };
    let mut cmd = std::process::Command::new(kubectl);
    cmd.arg("kustomize");
    if plugins {
        // The legacy exec plugin shipped in kustomize-plugin/, which runs `bindery` from PATH.
        let bin = std::path::Path::new(common::BIN).parent().unwrap();
        let path = common::path_with(&[bin]);
        cmd.arg("--enable-alpha-plugins").env("KUSTOMIZE_PLUGIN_HOME", repo().join("kustomize-plugin/plugin")).env("PATH", path);
    }
    let out = common::run_raw(cmd.arg(repo().join(dir)), None, Duration::from_secs(120));
    assert_eq!(out.code, Some(0), "kubectl kustomize {dir}: {}", String::from_utf8_lossy(&out.stderr));
    Some(out.stdout_utf8())
}

/// Line numbers in `<stdin>` follow kustomize's output order: not part of the view.
fn without_stdin_lines(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("<stdin>:") {
        out.push_str(&rest[..i + "<stdin>:".len()]);
        rest = rest[i + "<stdin>:".len()..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}

fn identities(docs: &[Value]) -> BTreeSet<(String, String, String)> {
    docs.iter()
        .map(|d| {
            let s = |p: &str| d.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
            (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
        })
        .collect()
}

const PRODUCTION_EXPLAIN: &str = r#"
Deployment shop/orders, container api
  binding shop/orders-db
    file /bindings/orders-db/dbname <- secret orders-pg-app[dbname]
    file /bindings/orders-db/host <- secret orders-pg-app[host]
    file /bindings/orders-db/jdbc-uri <- secret orders-pg-app[jdbc-uri]
    file /bindings/orders-db/password <- secret orders-pg-app[password]
    file /bindings/orders-db/pgpass <- secret orders-pg-app[pgpass]
    file /bindings/orders-db/port <- secret orders-pg-app[port]
    file /bindings/orders-db/type <- the binding's spec.type
    file /bindings/orders-db/uri <- secret orders-pg-app[uri]
    file /bindings/orders-db/user <- secret orders-pg-app[user]
    file /bindings/orders-db/username <- secret orders-pg-app[username]
    Secret orders-pg-app is created at run time by the CloudNativePG operator (convention for Cluster "orders-pg" at <stdin>:N: Secret name {.metadata.name}-app)
  binding shop/orders-smtp
    file /bindings/orders-smtp/host <- secret orders-smtp[host]
    file /bindings/orders-smtp/password <- secret orders-smtp[password]
    file /bindings/orders-smtp/port <- secret orders-smtp[port]
    file /bindings/orders-smtp/type <- secret orders-smtp[type]
    file /bindings/orders-smtp/username <- secret orders-smtp[username]
    env SMTP_HOST <- secret orders-smtp[host]
    Secret orders-smtp is created at run time by SealedSecret "orders-smtp" (at <stdin>:N)
Deployment shop/payments, container api
  binding shop/payments-stripe
    env STRIPE_API_KEY <- secret payments-stripe[api_key]
    env STRIPE_WEBHOOK_SECRET <- secret payments-stripe[webhook_secret]
    not readable offline: Secret payments-stripe: ExternalSecret "payments-stripe" (at <stdin>:N)
"#;

const PRODUCTION_RENDER: &str = r#"
Deployment shop/orders, container api
  env SERVICE_BINDING_ROOT = "/bindings"
  env SMTP_HOST <- secret orders-smtp[host]
  envFrom configMap orders-config-4f466498dg
  mount /bindings/orders-smtp <- projected: secret orders-smtp
  mount /bindings/orders-db <- projected: secret orders-pg-app; file type <- pod annotation = "postgresql"
Deployment shop/payments, container api
  env NODE_ENV = "production"
  env STRIPE_API_KEY <- secret payments-stripe[api_key]
  env STRIPE_WEBHOOK_SECRET <- secret payments-stripe[webhook_secret]
"#;

#[test]
fn production_overlay_built_by_kubectl_kustomize_renders_cleanly() {
    let Some(built) = kustomize("fixtures/gitops-repo/overlays/production", false) else { return };
    let input = parse_stream(&built);
    let render = bindery(&["render", "-"], Some(&built));
    assert_eq!(render.code, 0, "{}", render.stderr);
    let output = parse_stream(&render.stdout);

    // Every binding projected: the container view, stated in full.
    assert_eq!(render_view(&render.stdout), PRODUCTION_RENDER.trim());
    let explain = bindery(&["explain", "--format", "json", "-"], Some(&built));
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    let report: Value = serde_json::from_str(&explain.stdout).unwrap();
    assert_eq!(without_stdin_lines(&explain_view(&report)), PRODUCTION_EXPLAIN.trim());
    assert_eq!(report["idleBindings"], serde_json::json!([]));

    // Nothing lost, nothing added: every input resource but the ServiceBindings, no generated
    // Secret (every binding Secret is referenced where its creator will write it).
    let mut expected = identities(&input);
    expected.retain(|(kind, _, _)| kind != "ServiceBinding");
    assert_eq!(identities(&output), expected);
    assert_eq!(expected.len(), 7, "{expected:?}");
    assert!(!output.iter().any(|d| d["kind"] == "Secret"));
    // Non-binding parts pass through as kustomize built them.
    let orders = output.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "orders").unwrap();
    assert_eq!(orders["spec"]["replicas"], 3);
    assert_eq!(orders["spec"]["template"]["spec"]["containers"][0]["image"], "ghcr.io/example/orders:2.3.1");
    let cluster = output.iter().find(|d| d["kind"] == "Cluster").unwrap();
    assert_eq!((&cluster["spec"]["instances"], &cluster["spec"]["storage"]["size"]), (&Value::from(3), &Value::from("50Gi")));

    // Rendering the output again with the bindings changes nothing.
    let bindings: Vec<String> = built.split("\n---\n").filter(|d| d.contains("kind: ServiceBinding")).map(str::to_string).collect();
    let again = bindery(&["render", "-"], Some(&format!("{}---\n{}\n", render.stdout, bindings.join("\n---\n"))));
    assert_eq!((again.code, again.stdout.as_str()), (0, render.stdout.as_str()), "{}", again.stderr);
}

#[test]
fn check_reports_exactly_the_consumer_warning_and_who_creates_each_secret() {
    let Some(built) = kustomize("fixtures/gitops-repo/overlays/production", false) else { return };
    let run = bindery(&["check", "--format", "json", "-"], Some(&built));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let problems: Vec<(&str, &str, &str)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["severity"].as_str().unwrap(), p["rule"].as_str().unwrap(), p["binding"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            ("notice", "RuntimeSecret", "shop/payments-stripe"),
            ("notice", "RuntimeSecret", "shop/orders-db"),
            ("notice", "RuntimeSecret", "shop/orders-smtp"),
            ("warning", "ConsumerMissingEntries", "shop/orders-db"),
        ]
    );
    // The Spring Boot app reads jdbc-url or host+port+database; CloudNativePG writes jdbc-uri and dbname.
    assert_eq!(
        report["problems"][3]["message"],
        "a binding of type \"postgresql\" usually needs one of jdbc-url or host+port+database (Spring Cloud Bindings, Quarkus, \
         kube-service-bindings); the Secret \"orders-pg-app\" has: dbname, host, jdbc-uri, password, pgpass, port, type, uri, user, \
         username"
    );
    // A warning, so --strict (a CI gate) fails on it; the notices alone never would.
    assert_eq!(bindery(&["check", "--strict", "-"], Some(&built)).code, 1);
}

#[test]
fn staging_overlay_gives_the_same_view_in_its_own_namespace() {
    let Some(built) = kustomize("fixtures/gitops-repo/overlays/staging", false) else { return };
    let render = bindery(&["render", "-"], Some(&built));
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert_eq!(render_view(&render.stdout), PRODUCTION_RENDER.trim().replace(" shop/", " shop-staging/"));
    let output = parse_stream(&render.stdout);
    let orders = output.iter().find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "orders").unwrap();
    assert_eq!(orders["spec"]["template"]["spec"]["containers"][0]["image"], "ghcr.io/example/orders:2.4.0-rc.1");
    assert!(output.iter().all(|d| d["metadata"]["namespace"] == "shop-staging"));
}

#[test]
fn the_overlay_renders_the_same_through_bindery_as_a_kustomize_transformer() {
    let Some(piped) = kustomize("fixtures/gitops-repo/overlays/production", false) else { return };
    let piped = bindery(&["render", "-"], Some(&piped));
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    let Some(transformed) = kustomize("fixtures/gitops-repo/overlays/production-resolved", true) else { return };
    assert_eq!(render_view(&transformed), render_view(&piped.stdout));
    let (a, b) = (parse_stream(&transformed), parse_stream(&piped.stdout));
    assert_eq!(identities(&a), identities(&b));
    assert!(!a.iter().any(|d| d["kind"] == "BindingResolver" || d["kind"] == "ServiceBinding"));
}
