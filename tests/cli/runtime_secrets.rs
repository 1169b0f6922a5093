//! Run-time Secrets (binding Secrets created by producers, operators or declared by the user),
//! the `--allow-missing-secrets` policy, the project config file, the namespace templates see,
//! and the hints for typical mistakes — end to end through the binary: `render` (the container
//! view), `explain`, and `check`'s exact diagnostics.

use serde_json::Value;

use crate::common::{parse_stream, repo, tempdir, views};

use views::bindery;

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter().find(|d| d["kind"] == kind && d["metadata"]["name"] == name).unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// `(variable, secret, key)` of every `secretKeyRef` variable of the first container.
fn secret_env(workload: &Value) -> Vec<(String, String, String)> {
    let c = &workload["spec"]["template"]["spec"]["containers"][0];
    c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let r = e.pointer("/valueFrom/secretKeyRef")?;
            Some((e["name"].as_str()?.into(), r["name"].as_str()?.into(), r["key"].as_str()?.into()))
        })
        .collect()
}

/// Names of the Secrets the workload's volumes project (projected sources and plain secret volumes).
fn volume_secrets(workload: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for v in workload["spec"]["template"]["spec"]["volumes"].as_array().into_iter().flatten() {
        if let Some(n) = v.pointer("/secret/secretName").and_then(Value::as_str) {
            out.push(n.to_string());
        }
        for s in v.pointer("/projected/sources").and_then(Value::as_array).into_iter().flatten() {
            if let Some(n) = s.pointer("/secret/name").and_then(Value::as_str) {
                out.push(n.to_string());
            }
        }
    }
    out.sort();
    out
}

fn check_json(args: &[&str], stdin: Option<&str>) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let run = bindery(&all, stdin);
    (run.code, serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr)))
}

fn problems(report: &Value) -> Vec<(String, String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["severity"].as_str().unwrap().into(), p["rule"].as_str().unwrap().into(), p["message"].as_str().unwrap().into()))
        .collect()
}

fn p(sev: &str, rule: &str, msg: &str) -> (String, String, String) {
    (sev.into(), rule.into(), msg.into())
}

const GITOPS: &str = "fixtures/runtime-secrets";

#[test]
fn gitops_repository_renders_every_run_time_secret_by_reference() {
    let run = bindery(&["render", GITOPS], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = parse_stream(&run.stdout);
    let orders = find(&out, "Deployment", "orders");
    assert_eq!(
        secret_env(orders),
        [
            ("DATABASE_URL".into(), "orders-pg-app".into(), "uri".into()),
            ("REDIS_HOST".into(), "orders-redis".into(), "host".into()),
            ("SMTP_HOST".into(), "orders-smtp".into(), "host".into()),
        ]
    );
    assert_eq!(volume_secrets(orders), ["events-default-user", "orders-pg-app", "orders-redis", "orders-smtp"]);
    let payments = find(&out, "Deployment", "payments");
    assert_eq!(
        secret_env(payments),
        [
            ("LEDGER_DB_HOST".into(), "ledger-conn".into(), "host".into()),
            ("STRIPE_API_KEY".into(), "payments-stripe".into(), "api-key".into()),
            ("VAULT_TOKEN".into(), "payments-vault".into(), "token".into()),
        ]
    );
    assert_eq!(volume_secrets(payments), ["ledger-api-token", "ledger-conn", "payments-stripe", "payments-vault", "sessions-memcached"]);
    // Producers and the SOPS Secret pass through untouched; no Secret is generated.
    assert_eq!(find(&out, "Secret", "orders-smtp")["sops"]["version"], "3.9.0");
    assert_eq!(out.iter().filter(|d| d["kind"] == "Secret").count(), 1);
    assert!(find(&out, "SealedSecret", "payments-stripe").is_object());
    // Idempotent: rendering the output again (with the bindings) changes nothing.
    let mut again = run.stdout.clone();
    again.push_str("---\n");
    again.push_str(&std::fs::read_to_string(repo().join(GITOPS).join("bindings.yaml")).unwrap());
    let second = bindery(&["render", "--config", &format!("{GITOPS}/.bindery.yaml"), "-"], Some(&again));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.stdout, run.stdout);
}

#[test]
fn check_reports_notices_naming_who_creates_each_secret() {
    let (code, report) = check_json(&[GITOPS], None);
    assert_eq!(code, 0);
    assert_eq!(report["summary"], serde_json::json!({"errors": 0, "warnings": 2, "notices": 9, "resources": 19, "bindings": 9}));
    let got = problems(&report);
    let f = "fixtures/runtime-secrets";
    assert_eq!(
        got,
        [
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"orders-pg-app\" (Cluster \"orders-pg\" has no .status.binding.name) is not in the input: it is \
                     created at run time by the CloudNativePG operator (convention for Cluster \"orders-pg\" at {f}/platform/databases.yaml:2: \
                     Secret name {{.metadata.name}}-app), with keys dbname, host, jdbc-uri, password, pgpass, port, uri, user, username; \
                     projected by reference"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"orders-redis\" is not in the input: it is created at run time by ExternalSecret \"orders-cache\" \
                     (at {f}/platform/secrets.yaml:13), with keys host, password, type; projected by reference"
                )
            ),
            p(
                "notice",
                "EncryptedSecret",
                &format!(
                    "the binding Secret \"orders-smtp\" (at {f}/platform/secrets.yaml:32) is SOPS-encrypted: it is projected by reference \
                     with its key names; its values are never decrypted"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"payments-stripe\" is not in the input: it is created at run time by SealedSecret \"payments-stripe\" \
                     (at {f}/platform/secrets.yaml:2), with keys api-key, type; projected by reference"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"ledger-conn\" (Database \"ledger\" has no .status.binding.name) is not in the input: it is created \
                     at run time by the in-house database operator (convention for Database \"ledger\" at {f}/platform/databases.yaml:21: \
                     Secret name {{.metadata.name}}-conn, declared in {f}/.bindery.yaml), with keys host, password, port, type, username; \
                     projected by reference"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"ledger-api-token\" is not in the input: it is created at run time by the Vault Secrets Operator \
                     (declared in {f}/.bindery.yaml), with keys token, type; projected by reference"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"sessions-memcached\" (Memcached \"sessions\" has no .status.binding.name) is not in the input: it is \
                     created at run time by whoever the service's bindery.dev/binding-* annotations declare (on Memcached \"sessions\" \
                     at {f}/platform/databases.yaml:30), with keys host, port, type; projected by reference"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"events-default-user\" is not in the input: it is created at run time by the RabbitMQ cluster \
                     operator (convention for RabbitmqCluster \"events\" at {f}/platform/databases.yaml:12: Secret name \
                     {{.metadata.name}}-default-user), with keys connection_string, default_user.conf, host, password, port, provider, \
                     type, username; delivered by reference"
                )
            ),
            p(
                "notice",
                "RuntimeSecret",
                &format!(
                    "the binding Secret \"payments-vault\" is not in the input: it is created at run time by ExternalSecret \"payments-vault\" \
                     (at {f}/platform/secrets.yaml:54), with keys not known offline; projected by reference"
                )
            ),
            p(
                "warning",
                "SecretKeysUnknown",
                "the key names of the binding Secret \"payments-vault\" are not known (ExternalSecret \"payments-vault\" uses spec.dataFrom, \
                 whose keys are only known at run time); bindery cannot check that it has the keys spec.env maps (token)"
            ),
            // CloudNativePG's app Secret names the database `dbname` and the JDBC URL `jdbc-uri`:
            // consumers that read `database` or `jdbc-url` (Spring Cloud Bindings) miss them.
            p(
                "warning",
                "ConsumerMissingEntries",
                "a binding of type \"postgresql\" usually needs one of jdbc-url or host+port+database (Spring Cloud Bindings, Quarkus, \
                 kube-service-bindings); the Secret \"orders-pg-app\" has: dbname, host, jdbc-uri, password, pgpass, port, type, uri, user, username"
            ),
        ]
    );
    // Notices never fail a check, not even under --strict (the warning does).
    assert_eq!(bindery(&["check", GITOPS], None).code, 0);
    assert_eq!(bindery(&["check", "--strict", GITOPS], None).code, 1);
    let github = bindery(&["check", "--format", "github", GITOPS], None).stdout;
    assert!(github.starts_with("::notice file=fixtures/runtime-secrets/bindings.yaml,line=9,title=bindery/RuntimeSecret::"), "{github}");
    let sarif: Value = serde_json::from_str(&bindery(&["check", "--format", "sarif", GITOPS], None).stdout).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "note");
}

#[test]
fn explain_shows_the_container_view_and_who_creates_each_secret() {
    let run = bindery(&["explain", GITOPS], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = "fixtures/runtime-secrets";
    for line in [
        "    ├── orders-db/  ← ServiceBinding shop/orders-db (fixtures/runtime-secrets/bindings.yaml:2)".to_string(),
        format!(
            "    │       (Secret orders-pg-app is created at run time by the CloudNativePG operator (convention for Cluster \"orders-pg\" at \
             {f}/platform/databases.yaml:2: Secret name {{.metadata.name}}-app))"
        ),
        "    │   ├── jdbc-uri = ***  ← Secret orders-pg-app, key jdbc-uri".to_string(),
        "    │       (Secret orders-smtp is SOPS-encrypted (values never decrypted))".to_string(),
        "    │   ├── api-key = ***  ← Secret payments-stripe, key api-key".to_string(),
        "        ├── default_user.conf = ***  ← Secret events-default-user, key default_user.conf".to_string(),
        "      LEDGER_DB_HOST = ***                ← Secret ledger-conn, key host (ServiceBinding shop/payments-ledger)".to_string(),
    ] {
        assert!(run.stdout.lines().any(|l| l == line), "missing line {line:?} in\n{}", run.stdout);
    }
    // --show-secrets never shows a SOPS ciphertext as a value, nor invents run-time values.
    let shown = bindery(&["explain", "--show-secrets", GITOPS], None);
    assert_eq!(shown.code, 0);
    assert!(!shown.stdout.contains("ENC["), "{}", shown.stdout);
    let json: Value = serde_json::from_str(&bindery(&["explain", "--format", "json", GITOPS], None).stdout).unwrap();
    let orders = &json["workloads"][0]["containers"][0]["bindings"];
    assert!(orders[0]["secretSource"].as_str().unwrap().starts_with("Secret orders-pg-app is created at run time by the CloudNativePG"));
}

const UNDECLARED: &str = "fixtures/invalid/runtime-secret-undeclared";

#[test]
fn an_undeclared_secret_is_an_error_naming_it_and_the_ways_to_declare_it() {
    let (code, report) = check_json(&[UNDECLARED], None);
    assert_eq!(code, 1);
    let all = report["problems"].as_array().unwrap();
    assert_eq!(all.len(), 2, "{report:#}");
    assert_eq!(all[0]["rule"], "ServiceMissingBinding");
    assert_eq!(
        all[0]["help"],
        "commit the Provisioned Service's .status.binding.name, bind the Secret directly (apiVersion: v1, kind: Secret), annotate the \
         service with bindery.dev/binding-secret (and bindery.dev/binding-keys), or add a convention for ManagedDatabase to .bindery.yaml"
    );
    assert_eq!(all[1]["rule"], "SecretNotFound");
    assert_eq!(all[1]["message"], "the binding Secret \"checkout-queue-credentials\" was not found in namespace \"store\" of the input");
    assert_eq!(
        all[1]["help"],
        "a binding can only use a Secret in its own namespace; add that Secret to the input, or declare who creates it at run time: a \
         SealedSecret or ExternalSecret for \"checkout-queue-credentials\" in the input, a `secrets:` entry (name, namespace, keys) in \
         .bindery.yaml, the annotations bindery.dev/binding-secret and bindery.dev/binding-keys on the service resource; or pass \
         --allow-missing-secrets when Secrets live outside Git"
    );
    let render = bindery(&["render", UNDECLARED], None);
    assert_eq!((render.code, render.stdout.as_str()), (1, ""));
}

/// The Helm-created queue Secret alone (the service without status stays an error under any policy).
const QUEUE_ONLY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: store}
spec: {template: {spec: {containers: [{name: api, image: checkout:3}]}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: checkout-queue, namespace: store}
spec:
  type: amqp
  service: {apiVersion: v1, kind: Secret, name: checkout-queue-credentials}
  workload: {apiVersion: apps/v1, kind: Deployment, name: checkout}
  env:
  - {name: AMQP_URL, key: uri}
"#;

#[test]
fn the_policy_flag_projects_missing_secrets_by_name_with_a_warning() {
    assert_eq!(bindery(&["render", "-"], Some(QUEUE_ONLY)).code, 1);
    let run = bindery(&["render", "--allow-missing-secrets", "-"], Some(QUEUE_ONLY));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = parse_stream(&run.stdout);
    let w = find(&out, "Deployment", "checkout");
    assert_eq!(secret_env(w), [("AMQP_URL".into(), "checkout-queue-credentials".into(), "uri".into())]);
    assert_eq!(volume_secrets(w), ["checkout-queue-credentials"]);
    let (code, report) = check_json(&["--allow-missing-secrets", "-"], Some(QUEUE_ONLY));
    assert_eq!(code, 0);
    assert_eq!(
        problems(&report),
        [p(
            "warning",
            "SecretNotInInput",
            "the binding Secret \"checkout-queue-credentials\" is not in namespace \"store\" of the input and nothing declares who creates \
             it; projected by name (--allow-missing-secrets); its keys (type, the keys spec.env maps) are not checked"
        )]
    );
    // With the policy, the undeclared fixture still fails on the service that names no Secret.
    assert_eq!(bindery(&["render", "--allow-missing-secrets", UNDECLARED], None).code, 1);
}

#[test]
fn a_config_file_declares_secrets_and_its_keys_are_checked() {
    let tmp = tempdir();
    let dir = tmp.path();
    std::fs::write(dir.join("app.yaml"), QUEUE_ONLY).unwrap();
    let write_config = |keys: &str| {
        std::fs::write(
            dir.join(".bindery.yaml"),
            format!("secrets:\n- name: checkout-queue-credentials\n  namespace: store\n  keys: [{keys}]\n  createdBy: the checkout Helm chart\n"),
        )
        .unwrap()
    };
    write_config("uri, type");
    let d = dir.to_str().unwrap();
    let (code, report) = check_json(&[d], None);
    assert_eq!(code, 0, "{report:#}");
    let msg = format!(
        "the binding Secret \"checkout-queue-credentials\" is not in the input: it is created at run time by the checkout Helm chart \
         (declared in {d}/.bindery.yaml), with keys type, uri; projected by reference"
    );
    assert_eq!(problems(&report), [p("notice", "RuntimeSecret", &msg)]);
    // Declared keys are checked like a Secret's.
    write_config("url, type");
    let (code, report) = check_json(&[d], None);
    assert_eq!(code, 1);
    let errors: Vec<_> = problems(&report).into_iter().filter(|p| p.0 == "error").collect();
    assert_eq!(
        errors,
        [p(
            "error",
            "EnvKeyNotFound",
            "spec.env[0] maps AMQP_URL to key \"uri\", which the binding Secret \"checkout-queue-credentials\" does not contain (it has: type, url)"
        )]
    );
    // --config FILE: from stdin too; an invalid file is bad input (exit 2).
    write_config("uri");
    let cfg = dir.join(".bindery.yaml");
    let run = bindery(&["render", "--config", cfg.to_str().unwrap(), "-"], Some(QUEUE_ONLY));
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(&cfg, "secrets:\n- {name: x, keyz: [a]}\n").unwrap();
    let run = bindery(&["render", d], None);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(run.stderr.contains("secrets[0]: unknown field \"keyz\""), "{}", run.stderr);
}

/// One service resource without status, the Secret its operator creates, and a binding to it.
fn convention_case(service: &str, kind: &str, api_version: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec: {{template: {{spec: {{containers: [{{name: app, image: app:1}}]}}}}}}
---
{service}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {{name: app-svc}}
spec:
  type: generic
  service: {{apiVersion: {api_version}, kind: {kind}, name: svc}}
  workload: {{apiVersion: apps/v1, kind: Deployment, name: app}}
"#
    )
}

#[test]
fn the_built_in_conventions_name_each_operators_secret() {
    let cases = [
        ("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: svc}\nspec: {bootstrap: {initdb: {secret: {name: svc-owner}}}}", "Cluster", "postgresql.cnpg.io/v1", "svc-owner"),
        ("apiVersion: postgres-operator.crunchydata.com/v1beta1\nkind: PostgresCluster\nmetadata: {name: svc}\nspec: {postgresVersion: 16}", "PostgresCluster", "postgres-operator.crunchydata.com/v1beta1", "svc-pguser-svc"),
        ("apiVersion: postgres-operator.crunchydata.com/v1beta1\nkind: PostgresCluster\nmetadata: {name: svc}\nspec: {users: [{name: shop}]}", "PostgresCluster", "postgres-operator.crunchydata.com/v1beta1", "svc-pguser-shop"),
        ("apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaUser\nmetadata: {name: svc}\nspec: {authentication: {type: tls}}", "KafkaUser", "kafka.strimzi.io/v1beta2", "svc"),
        ("apiVersion: mongodbcommunity.mongodb.com/v1\nkind: MongoDBCommunity\nmetadata: {name: svc}\nspec: {users: [{name: app, db: admin}]}", "MongoDBCommunity", "mongodbcommunity.mongodb.com/v1", "svc-admin-app"),
        ("apiVersion: database.example.org/v1alpha1\nkind: PostgreSQLInstance\nmetadata: {name: svc}\nspec: {writeConnectionSecretToRef: {name: svc-conn}}", "PostgreSQLInstance", "database.example.org/v1alpha1", "svc-conn"),
        ("apiVersion: services.cloud.sap.com/v1\nkind: ServiceBinding\nmetadata: {name: svc}\nspec: {serviceInstanceName: xsuaa, secretName: svc-xsuaa}", "ServiceBinding", "services.cloud.sap.com/v1", "svc-xsuaa"),
    ];
    for (service, kind, api_version, secret) in cases {
        let input = convention_case(service, kind, api_version);
        let run = bindery(&["render", "-"], Some(&input));
        assert_eq!(run.code, 0, "{kind}: {}", run.stderr);
        let out = parse_stream(&run.stdout);
        assert_eq!(volume_secrets(find(&out, "Deployment", "app")), [secret], "{kind}");
        // A foreign ServiceBinding kind passes through untouched.
        if api_version.starts_with("services.cloud.sap.com") {
            assert_eq!(find(&out, "ServiceBinding", "svc")["spec"]["secretName"], "svc-xsuaa");
        }
    }
    // A committed status always wins over the convention.
    let with_status = convention_case(
        "apiVersion: rabbitmq.com/v1beta1\nkind: RabbitmqCluster\nmetadata: {name: svc}\nstatus: {binding: {name: svc-custom}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: svc-custom}\nstringData: {host: h}",
        "RabbitmqCluster",
        "rabbitmq.com/v1beta1",
    );
    let run = bindery(&["render", "-"], Some(&with_status));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(volume_secrets(find(&parse_stream(&run.stdout), "Deployment", "app")), ["svc-custom"]);
    // The convention's Secret in the input is used with its keys, and reported as named by convention.
    let in_input = convention_case(
        "apiVersion: rabbitmq.com/v1beta1\nkind: RabbitmqCluster\nmetadata: {name: svc}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: svc-default-user}\nstringData: {host: h}",
        "RabbitmqCluster",
        "rabbitmq.com/v1beta1",
    );
    let (code, report) = check_json(&["-"], Some(&in_input));
    assert_eq!(code, 0);
    assert_eq!(problems(&report)[0].1, "BindingSecretByConvention");
}

#[test]
fn a_mapping_over_a_run_time_secret_fails_naming_the_producer() {
    let (code, report) = check_json(&["fixtures/invalid/runtime-secret-value"], None);
    assert_eq!(code, 1);
    let errors: Vec<_> = problems(&report).into_iter().filter(|p| p.0 == "error").collect();
    assert_eq!(
        errors,
        [p(
            "error",
            "RuntimeSecretValue",
            "spec.mappings[0] (url) reads binding item \"host\", \"password\", whose value is in a Secret bindery cannot read offline \
             (created at run time by SealedSecret \"queue-credentials\" (at fixtures/invalid/runtime-secret-value/all.yaml:29)); a \
             mapping needs the value"
        )]
    );
}

#[test]
fn sbo_bindings_deliver_run_time_secret_keys_by_reference() {
    // Without the mapping, the same SBO binding projects the SealedSecret's keys as secretKeyRefs.
    let text = std::fs::read_to_string(repo().join("fixtures/invalid/runtime-secret-value/all.yaml")).unwrap();
    let input = text.split("  mappings:").next().unwrap();
    let run = bindery(&["render", "-"], Some(input));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = parse_stream(&run.stdout);
    let env = secret_env(find(&out, "Deployment", "worker"));
    assert_eq!(
        env,
        [
            ("VALKEY_HOST".into(), "queue-credentials".into(), "host".into()),
            ("VALKEY_PASSWORD".into(), "queue-credentials".into(), "password".into())
        ]
    );
}

#[test]
fn hints_for_typical_mistakes() {
    let (code, report) = check_json(&["fixtures/invalid/binding-mistakes"], None);
    assert_eq!(code, 1);
    let got: Vec<(String, String, Option<String>)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["rule"].as_str().unwrap().into(), p["message"].as_str().unwrap().into(), p["help"].as_str().map(str::to_string)))
        .collect();
    let split = "spec.services[0] has group/version and spec.services[1] kind/name: they look like one service split by a stray '-' (or \
                 mis-indented); write them as one list entry";
    let expected: Vec<(&str, &str, Option<&str>)> = vec![
        (
            "WorkloadNotFound",
            "the workload was not found: no deployment \"reports\" (apps/v1) in namespace \"analytics\"",
            Some(
                "kinds are case-sensitive CamelCase: did you mean kind: Deployment?; the workload may be created at run time by a controller \
                 (an operator, a Knative Configuration), so it is not in the input; add it to the input, fix spec.workload.name, or select \
                 workloads by label to bind what the input holds",
            ),
        ),
        (
            "ApplicationNotFound",
            "cannot find application resources for the given reference: unknown resource \"jobs\" in group \"apps\"",
            Some("jobs are served by group \"batch\", not group \"apps\""),
        ),
        ("InvalidBinding", "spec.services[0]: Kind undefined: set kind or resource", Some(split)),
        ("InvalidBinding", "spec.services[0].name: Required value", Some(split)),
        ("InvalidBinding", "spec.services[1].group: Required value", Some(split)),
        ("InvalidBinding", "spec.services[1].version: Required value", Some(split)),
        (
            "ServiceByResource",
            "spec.services[0] names the service by resource: secrets; the Service Binding Operator's services take a kind (kind: Secret)",
            None,
        ),
        (
            "SelectorMatchesNothing",
            "the label selector matches no workload (looked at 1 Deployment in namespace \"analytics\": reports); nothing is bound, and \
             the binding is consumed, so no runtime binds it later",
            Some(
                "if the workloads are created at run time (a Knative Revision, an operator's Deployment), annotate the binding with \
                 bindery.dev/bind-at-run-time: \"true\" to leave it to the cluster's runtime",
            ),
        ),
    ];
    let expected: Vec<(String, String, Option<String>)> =
        expected.into_iter().map(|(r, m, h)| (r.to_string(), m.to_string(), h.map(str::to_string))).collect();
    assert_eq!(got, expected);
    // The lines point at the mistakes.
    let lines: Vec<u64> = report["problems"].as_array().unwrap().iter().map(|p| p["location"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [12, 26, 40, 40, 42, 42, 60, 79]);
}

#[test]
fn jsonpath_templates_see_the_resolved_namespace() {
    let input = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: cache.example.com/v1
kind: Cache
metadata:
  name: sessions
  annotations:
    service.binding/host: "path={.metadata.name}.{.metadata.namespace}.svc.cluster.local"
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: app-cache}
spec:
  bindAsFiles: false
  services: [{group: cache.example.com, version: v1, kind: Cache, name: sessions}]
  application: {group: apps, version: v1, resource: deployments, name: app}
"#;
    for (args, host) in [
        (vec!["render", "-"], "sessions.default.svc.cluster.local"),
        (vec!["render", "-n", "team-a", "-"], "sessions.team-a.svc.cluster.local"),
    ] {
        let run = bindery(&args, Some(input));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let out = parse_stream(&run.stdout);
        let env = &find(&out, "Deployment", "app")["spec"]["template"]["spec"]["containers"][0]["env"];
        let var = env.as_array().unwrap().iter().find(|e| e["name"] == "CACHE_HOST").unwrap_or_else(|| panic!("{env}"));
        assert_eq!(var["value"], host);
    }
}

#[test]
fn secret_values_never_appear_in_reports_of_run_time_fixtures() {
    // The SOPS ciphertexts and sealed data are not values bindery may print as Secret values.
    for dir in [GITOPS, UNDECLARED, "fixtures/invalid/runtime-secret-value"] {
        for args in [vec!["check"], vec!["explain"], vec!["explain", "--show-secrets"], vec!["diff"]] {
            let mut all = args.clone();
            all.push(dir);
            let run = bindery(&all, None);
            assert!(!run.stdout.contains("ENC[AES256_GCM,data:U2VjcmV0UGFzcw"), "{all:?}");
            assert!(!run.stderr.contains("ENC[AES256_GCM,data:U2VjcmV0UGFzcw"), "{all:?}");
        }
    }
}

#[test]
fn sbo_registry_paths_read_secrets_an_operator_creates_by_reference() {
    // The Crunchy PGO fixture without its Secrets: the registry's annotations read
    // <name>-pguser-<name> and <name>-cluster-cert, which PGO creates at run time.
    let app = std::fs::read_to_string(repo().join("fixtures/sbo-registry-crunchy/app.yaml")).unwrap();
    let postgres = std::fs::read_to_string(repo().join("fixtures/sbo-registry-crunchy/postgres.yaml")).unwrap();
    let cluster = postgres.split("\n---").next().unwrap();
    let input = format!("{app}\n---\n{cluster}\n");
    let run = bindery(&["render", "-"], Some(&input));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = parse_stream(&run.stdout);
    let keeper = find(&out, "Deployment", "keeper");
    let sources = keeper["spec"]["template"]["spec"]["volumes"][0]["projected"]["sources"].as_array().unwrap();
    let items = |i: usize| -> Vec<(String, String)> {
        sources[i]["secret"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|it| (it["key"].as_str().unwrap().to_string(), it["path"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(sources[0]["secret"]["name"], "hippo-cluster-cert");
    assert_eq!(items(0).len(), 3);
    assert_eq!(sources[1]["secret"]["name"], "hippo-pguser-hippo");
    assert!(items(1).contains(&("dbname".into(), "database".into())));
    assert!(items(1).contains(&("user".into(), "username".into())));
    // No Secret is generated: nothing secret is copied.
    assert!(out.iter().all(|d| d["kind"] != "Secret"));
    let (code, report) = check_json(&["-"], Some(&input));
    assert_eq!(code, 0);
    let rules: Vec<String> = problems(&report).into_iter().map(|p| format!("{} {}", p.0, p.1)).collect();
    assert_eq!(rules, ["notice RuntimeSecret", "notice RuntimeSecret"]);
}

const SOPS_SBO: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: v1
kind: Secret
metadata: {name: mail}
data:
  host: ENC[AES256_GCM,data:aG9zdA==,iv:x,tag:y,type:str]
  password: ENC[AES256_GCM,data:cGFzc3dvcmQ=,iv:x,tag:y,type:str]
sops:
  version: 3.9.0
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: app-mail}
spec:
  bindAsFiles: false
  services: [{group: "", version: v1, kind: Secret, name: mail}]
  application: {group: apps, version: v1, resource: deployments, name: app}
"#;

#[test]
fn sbo_reads_a_sops_secret_service_by_key_name_only() {
    let run = bindery(&["render", "-"], Some(SOPS_SBO));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = parse_stream(&run.stdout);
    assert_eq!(
        secret_env(find(&out, "Deployment", "app")),
        [("SECRET_HOST".into(), "mail".into(), "host".into()), ("SECRET_PASSWORD".into(), "mail".into(), "password".into())]
    );
    let (code, report) = check_json(&["-"], Some(SOPS_SBO));
    assert_eq!(code, 0);
    assert_eq!(
        problems(&report),
        [p(
            "notice",
            "EncryptedSecret",
            "the SOPS-encrypted Secret \"mail\" (at <stdin>:7) is delivered by reference with its key names; its values are never decrypted"
        )]
    );
    // A mapping over it needs a value: an error naming the encrypted Secret, never its ciphertext.
    let with_mapping = format!("{SOPS_SBO}  mappings:\n  - {{name: url, value: 'smtp://{{{{ .host }}}}'}}\n");
    let (code, report) = check_json(&["-"], Some(&with_mapping));
    assert_eq!(code, 1);
    let text = report.to_string();
    assert!(text.contains("RuntimeSecretValue") && !text.contains("ENC["), "{text}");
}

#[test]
fn a_service_kind_in_lower_case_or_in_another_group_gets_a_hint() {
    let input = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg}
status: {binding: {name: pg-app}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: lower}
spec:
  service: {apiVersion: postgresql.cnpg.io/v1, kind: cluster, name: pg}
  workload: {apiVersion: apps/v1, kind: Deployment, name: app}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: group}
spec:
  service: {apiVersion: postgres.example.com/v1, kind: Cluster, name: pg}
  workload: {apiVersion: apps/v1, kind: Deployment, name: app}
"#;
    let (code, report) = check_json(&["-"], Some(input));
    assert_eq!(code, 1);
    let helps: Vec<&str> = report["problems"].as_array().unwrap().iter().map(|p| p["help"].as_str().unwrap()).collect();
    assert_eq!(
        helps,
        [
            "the input has Cluster \"pg\" (apiVersion: postgresql.cnpg.io/v1); did you mean spec.service kind: Cluster, apiVersion: \
             postgresql.cnpg.io/v1?",
            "the input has Cluster \"pg\" (apiVersion: postgresql.cnpg.io/v1); did you mean spec.service kind: Cluster, apiVersion: \
             postgresql.cnpg.io/v1?",
        ]
    );
}

const ANNOTATED_STATUS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: search.example.com/v1
kind: OpenSearch
metadata:
  name: logs
  annotations: {bindery.dev/binding-keys: "uri, type"}
status: {binding: {name: logs-binding}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: app-logs}
spec:
  service: {apiVersion: search.example.com/v1, kind: OpenSearch, name: logs}
  workload: {apiVersion: apps/v1, kind: Deployment, name: app}
  env: [{name: LOGS_URI, key: uri}]
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: app-logs-sbo}
spec:
  bindAsFiles: false
  services: [{group: search.example.com, version: v1, kind: OpenSearch, name: logs}]
  application: {group: apps, version: v1, resource: deployments, name: app}
"#;

#[test]
fn a_committed_status_with_binding_keys_annotation_declares_the_run_time_secret() {
    let run = bindery(&["render", "-"], Some(ANNOTATED_STATUS));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = parse_stream(&run.stdout);
    assert_eq!(
        secret_env(find(&out, "Deployment", "app")),
        [
            ("LOGS_URI".into(), "logs-binding".into(), "uri".into()),
            ("OPENSEARCH_TYPE".into(), "logs-binding".into(), "type".into()),
            ("OPENSEARCH_URI".into(), "logs-binding".into(), "uri".into()),
        ]
    );
    let (code, report) = check_json(&["-"], Some(ANNOTATED_STATUS));
    assert_eq!(code, 0);
    let rules: Vec<String> = problems(&report).into_iter().map(|p| format!("{} {}", p.0, p.1)).collect();
    assert_eq!(rules, ["notice RuntimeSecret", "notice RuntimeSecret"]);
    // Without the annotation the Secret is missing: an error for both APIs.
    let bare = ANNOTATED_STATUS.replace("  annotations: {bindery.dev/binding-keys: \"uri, type\"}\n", "");
    let (code, report) = check_json(&["-"], Some(&bare));
    assert_eq!(code, 1);
    let rules: Vec<String> = problems(&report).into_iter().map(|p| format!("{} {}", p.0, p.1)).collect();
    assert_eq!(rules, ["error SecretNotFound", "error ErrorReadingSecret"]);
}
