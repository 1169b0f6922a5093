//! Issue 19, the Service Binding Operator's templates and the values they reach: a template or
//! JSONPath error never prints a value, through any output; a mapping that can reach a Secret
//! value through the whole dot is secret; generated Secret names hold no value; env literals
//! reach the container exactly; binding names cannot name a file outside the package; and
//! template and JSONPath evaluation is bounded.

use std::path::Path;

use base64::Engine;
use serde_json::Value;

use crate::common::{self, parse_stream, run_raw, views::bindery, TIMEOUT};

/// The password every test hides; it must never appear in any output.
const SECRET: &str = "Pa55-in-a-Range-7x";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A Secret `creds` (user, password), a Deployment `app` and an SBO binding in env mode whose
/// one mapping `DSN` is `template`; the Secret service has the id `c`.
fn app(template: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Secret
metadata: {{name: creds}}
stringData: {{user: admin, password: {SECRET}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec: {{template: {{spec: {{containers: [{{name: app, image: app:1}}]}}}}}}
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {{name: app-creds}}
spec:
  bindAsFiles: false
  services: [{{group: "", version: v1, kind: Secret, name: creds, id: c}}]
  mappings: [{{name: DSN, value: '{template}'}}]
  application: {{group: apps, version: v1, kind: Deployment, name: app}}
"#
    )
}

fn folder(text: &str) -> tempfile::TempDir {
    let dir = common::tempdir();
    common::write(dir.path(), "all.yaml", text);
    dir
}

/// `items` of a ResourceList holding the documents of `text`, each with a kpt path.
fn resource_list(text: &str) -> String {
    let items: String = parse_stream(text)
        .into_iter()
        .enumerate()
        .map(|(i, mut d)| {
            d["metadata"]["annotations"]["config.kubernetes.io/path"] = Value::from(format!("app/doc{i}.yaml"));
            format!("- {}\n", serde_json::to_string(&d).unwrap())
        })
        .collect();
    format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{items}")
}

/// Every output a user or a host shows: render's stderr, check in every format, diff, explain,
/// migrate, materialize, the Argo CD plugin and the KRM function. (command, exit code, stdout
/// and stderr).
fn every_output(dir: &Path, text: &str) -> Vec<(String, i32, String)> {
    let path = dir.to_str().unwrap();
    let root = dir.join("materialized");
    let mut runs: Vec<Vec<String>> = vec![
        vec!["render".into(), path.into()],
        vec!["diff".into(), path.into()],
        vec!["explain".into(), path.into(), "--show-values".into(), "--show-secrets".into()],
        vec!["explain".into(), path.into(), "--format".into(), "json".into(), "--show-values".into()],
        vec!["migrate".into(), path.into()],
        vec!["migrate".into(), path.into(), "--format".into(), "json".into()],
        vec!["materialize".into(), "--root".into(), root.to_str().unwrap().into(), path.into(), "--show-secrets".into()],
    ];
    for format in ["human", "json", "github", "sarif"] {
        runs.push(vec!["check".into(), path.into(), "--format".into(), format.into()]);
    }
    let mut out: Vec<(String, i32, String)> = runs
        .iter()
        .map(|args| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = bindery(&args, None);
            (args.join(" "), r.code, format!("{}\n{}", r.stdout, r.stderr))
        })
        .collect();
    let cmp = run_raw(common::bindery_command(["argocd-cmp", "."]).current_dir(dir), None, TIMEOUT);
    out.push(("argocd-cmp .".into(), cmp.code.unwrap_or(-1), format!("{}\n{}", cmp.stdout_utf8(), cmp.stderr_utf8())));
    // The KRM function hands its input items back (kpt writes them where they came from); what
    // it says of them is `results` and stderr.
    let krm = run_raw(&mut common::bindery_command(["krm"]), Some(resource_list(text).as_bytes()), TIMEOUT);
    let results = parse_stream(&krm.stdout_utf8()).first().map(|l| l["results"].to_string()).unwrap_or_default();
    out.push(("krm".into(), krm.code.unwrap_or(-1), format!("{results}\n{}", krm.stderr_utf8())));
    out
}

/// Item 1: a `range` over a Secret value fails with a message naming the mapping, its action
/// and the type, never the value (decoded or base64), in every output.
#[test]
fn template_errors_name_the_mapping_never_the_value() {
    // The Secret's values as `data` (base64): `.c.data.password` is the encoded value.
    let encoded = |template: &str| {
        app(template).replace(
            &format!("stringData: {{user: admin, password: {SECRET}}}"),
            &format!("data: {{user: YWRtaW4=, password: {}}}", b64(SECRET)),
        )
    };
    for (template, text) in [
        ("{{ range .password }}x{{ end }}", encoded("{{ range .password }}x{{ end }}")),
        ("{{ range .c.data.password }}x{{ end }}", encoded("{{ range .c.data.password }}x{{ end }}")),
        ("{{ range .c.stringData }}{{ range . }}{{ end }}{{ end }}", app("{{ range .c.stringData }}{{ range . }}{{ end }}{{ end }}")),
    ] {
        assert!(text.contains(&b64(SECRET)) || text.contains(SECRET));
        let dir = folder(&text);
        for (command, code, output) in every_output(dir.path(), &text) {
            assert_ne!(code, 0, "{template}: `{command}` must fail:\n{output}");
            assert!(output.contains("ProcessingError"), "{template}: `{command}` names the rule:\n{output}");
            assert!(!output.contains(SECRET) && !output.contains(&b64(SECRET)), "{template}: `{command}` prints the value:\n{output}");
        }
        let r = bindery(&["render", dir.path().to_str().unwrap()], None);
        assert!(r.stderr.contains("spec.mappings[0] (DSN)") && r.stderr.contains("at <{{range"), "{}", r.stderr);
    }
}

/// Item 2: a template that can reach a Secret value through the whole dot is secret: delivered
/// through a generated Secret, hidden by `diff` and `explain --show-values`, refused by
/// `--deny-secret-copies`.
#[test]
fn templates_reaching_the_whole_dot_are_secret() {
    for template in [
        "{{ with . }}{{ .password }}{{ end }}",
        "{{ range . }}{{ . }} {{ end }}",
        r#"{{ index . "password" }}"#,
        "{{ . }}",
        "{{ with $ }}{{ .password }}{{ end }}",
    ] {
        let dir = folder(&app(template));
        let path = dir.path().to_str().unwrap();
        let r = bindery(&["render", path], None);
        assert_eq!(r.code, 0, "{template}: {}", r.stderr);
        assert!(r.stderr.contains("SecretValuesCopied") && r.stderr.contains("DSN"), "{template}: {}", r.stderr);
        let docs = parse_stream(&r.stdout);
        let dsn = common::container(common::find(&docs, "Deployment", "app").unwrap(), "app")["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "DSN")
            .cloned()
            .unwrap();
        assert!(dsn.get("value").is_none(), "{template}: a plain value: {dsn}");
        let generated = dsn["valueFrom"]["secretKeyRef"]["name"].as_str().unwrap();
        assert!(generated.starts_with("app-creds-"), "{template}: {dsn}");
        let secret = common::find(&docs, "Secret", generated).expect("the generated Secret");
        assert!(secret["data"]["DSN"].is_string(), "{template}: {secret}");
        for args in [
            vec!["diff", path],
            vec!["explain", path, "--show-values"],
            vec!["explain", path, "--show-values", "--format", "json"],
            vec!["diff", path, "--format", "markdown"],
        ] {
            let r = bindery(&args, None);
            assert_eq!(r.code, 0, "{template}: {args:?}: {}", r.stderr);
            assert!(!r.stdout.contains(SECRET) && !r.stderr.contains(SECRET), "{template}: {args:?} shows the value:\n{}", r.stdout);
        }
        let r = bindery(&["render", path, "--deny-secret-copies"], None);
        assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{template}: {}", r.stderr);
        assert!(r.stderr.contains("SecretValuesCopied"), "{template}: {}", r.stderr);
    }
}

/// A service whose status fields, read by annotations, are the env values of an SBO binding
/// in env mode; the container sets `API_TOKEN` (from a Secret) and `X` before them.
const DOLLARS: &str = r#"apiVersion: shop.example.com/v1
kind: Shop
metadata:
  name: till
  annotations:
    service.binding/price: path={.status.price}
    service.binding/token: path={.status.token}
    service.binding/ref: path={.status.ref}
    service.binding/trail: path={.status.trail}
    service.binding/plain: path={.status.plain}
status: {price: US$$5, token: $$$(API_TOKEN), ref: $(X), trail: cost$, plain: no dollars}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
        env:
        - {name: API_TOKEN, valueFrom: {secretKeyRef: {name: api, key: token}}}
        - {name: X, value: x}
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {name: till}
spec:
  bindAsFiles: false
  services: [{group: shop.example.com, version: v1, kind: Shop, name: till}]
  application: {group: apps, version: v1, kind: Deployment, name: app}
"#;

/// Item 4: every literal reaches the container exactly as the service holds it (the kubelet
/// expands `$$` and `$(VAR)` of a variable defined earlier), and `explain` shows that value.
#[test]
fn env_literals_reach_the_container_exactly() {
    let dir = folder(DOLLARS);
    let path = dir.path().to_str().unwrap();
    let r = bindery(&["render", path], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = parse_stream(&r.stdout);
    let env = common::container(common::find(&docs, "Deployment", "app").unwrap(), "app")["env"].as_array().unwrap().clone();
    let expected = [
        ("SHOP_PRICE", "US$$5"),
        ("SHOP_TOKEN", "$$$(API_TOKEN)"),
        ("SHOP_REF", "$(X)"),
        ("SHOP_TRAIL", "cost$"),
        ("SHOP_PLAIN", "no dollars"),
    ];
    for (var, value) in expected {
        let at = env.iter().position(|e| e["name"] == var).unwrap_or_else(|| panic!("{var} in {env:?}"));
        let written = env[at]["value"].as_str().unwrap();
        // What the kubelet gives the process: variables defined before this one expand.
        let earlier: Vec<String> = env[..at].iter().map(|e| e["name"].as_str().unwrap().to_string()).collect();
        let seen = bindery::kube::envvar::expand(written, |n| earlier.iter().any(|e| e == n).then(|| format!("<value of {n}>")));
        assert_eq!(seen, value, "{var}: written {written:?}");
    }
    let r = bindery(&["explain", path, "--show-values", "--format", "json"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let shown: Vec<(String, String)> = report["workloads"][0]["containers"][0]["bindings"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e["value"].as_str().unwrap().to_string()))
        .collect();
    for (var, value) in expected {
        assert!(shown.contains(&(var.to_string(), value.to_string())), "explain shows what the container gets: {var} {shown:?}");
    }
}

/// Item 12: an SBO binding whose `metadata.name` is no DNS-1123 subdomain is refused: it
/// would name the generated Secret, and through kpt its file outside the package.
#[test]
fn binding_names_cannot_leave_the_package() {
    let text = app("{{ .password }}").replace("metadata: {name: app-creds}", "metadata: {name: ../../../../x}");
    let dir = folder(&text);
    let r = bindery(&["render", dir.path().to_str().unwrap()], None);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{}", r.stderr);
    assert!(r.stderr.contains("InvalidBinding") && r.stderr.contains("metadata.name") && r.stderr.contains("DNS-1123"), "{}", r.stderr);
    let krm = run_raw(&mut common::bindery_command(["krm"]), Some(resource_list(&text).as_bytes()), TIMEOUT);
    let out = krm.stdout_utf8();
    assert_eq!(krm.code, Some(1), "{out}\n{}", krm.stderr_utf8());
    for item in parse_stream(&out).first().and_then(|l| l["items"].as_array().cloned()).unwrap_or_default() {
        let p = item["metadata"]["annotations"]["config.kubernetes.io/path"].as_str().unwrap_or("");
        assert!(!p.contains("..") && !p.starts_with('/'), "{p}");
    }
}

/// Item 3: the generated Secret's name does not depend on the values (a PIN is not found again
/// from it), is not SBO's value hash, and rendering the output again replaces it.
#[test]
fn generated_secret_names_hold_no_value() {
    let with_pin = |pin: &str| app("pin://{{ .pin }}").replace("user: admin,", &format!("user: admin, pin: \"{pin}\","));
    let name = |text: &str| {
        let dir = folder(text);
        let r = bindery(&["render", dir.path().to_str().unwrap(), "--keep-bindings"], None);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let docs = parse_stream(&r.stdout);
        let generated: Vec<&Value> =
            docs.iter().filter(|d| d["metadata"]["annotations"]["bindery.dev/generated-for"].is_string()).collect();
        assert_eq!(generated.len(), 1, "{}", r.stdout);
        (generated[0]["metadata"]["name"].as_str().unwrap().to_string(), r.stdout)
    };
    let (first, out) = name(&with_pin("4821"));
    let (second, _) = name(&with_pin("1234"));
    assert_eq!(first, second, "the name is the same whatever the PIN");
    let sbo = bindery::bindings::sbo::delivery::generated_name("app-creds", &[("DSN".to_string(), "pin://4821".to_string())].into());
    assert_ne!(first, sbo, "SBO's name is a hash over the value");
    // Rendering the output again (bindings kept) changes nothing: the Secret is replaced.
    let (again, out2) = name(&out);
    assert_eq!((again, out2), (first, out));
}

/// A Secret name read out of a Secret used as a service is one of its values: a missing one is
/// reported without it, and without the name hints (`did you mean Secret …?`, `Secret … exists
/// in namespace …`) that would print it or a name one edit from it. (The entry is read as it is
/// written, so `ref` holds the name itself here.)
#[test]
fn names_read_out_of_a_secret_are_not_hinted() {
    const NAME: &str = "hidden-name-7x";
    let text = format!(
        r#"apiVersion: v1
kind: Secret
metadata:
  name: pointer
  annotations: {{service.binding/token: "path={{.data.ref}},objectType=Secret,sourceKey=token"}}
data: {{ref: {NAME}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: {NAME}, namespace: other}}
data: {{token: eA==}}
---
apiVersion: v1
kind: Secret
metadata: {{name: hidden-name-7y}}
data: {{token: eA==}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec: {{template: {{spec: {{containers: [{{name: app, image: app:1}}]}}}}}}
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {{name: app-p}}
spec:
  bindAsFiles: false
  services: [{{group: "", version: v1, kind: Secret, name: pointer, id: p}}]
  application: {{group: apps, version: v1, kind: Deployment, name: app}}
"#
    );
    let dir = folder(&text);
    for (command, code, output) in every_output(dir.path(), &text) {
        assert_ne!(code, 0, "`{command}` must fail:\n{output}");
        assert!(!output.contains("hidden-name-7"), "`{command}` prints the name or a near one:\n{output}");
    }
    let r = bindery(&["render", dir.path().to_str().unwrap()], None);
    assert!(r.stderr.contains("ErrorReadingBinding") && r.stderr.contains("is not shown"), "{}", r.stderr);
}

/// Item 14: `{..a..a..a..a}` over a 150-deep status (1.3 KB) grew to 7 GB; a `range` nested
/// over a 200-item list ran for minutes. Both are refused, naming the annotation or mapping.
#[test]
fn jsonpath_and_template_evaluation_is_bounded() {
    let mut deep = "end".to_string();
    for _ in 0..150 {
        deep = format!("{{a: {deep}}}");
    }
    let list: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let cube = "{{ range .s.status.l }}{{ range $.s.status.l }}{{ range $.s.status.l }}{{ end }}{{ end }}{{ end }}";
    // The annotation and the mapping in two runs: a service that fails stops its binding.
    let shop = |annotation: &str, mapping: &str| {
        format!(
            r#"apiVersion: shop.example.com/v1
kind: Shop
metadata:
  name: till
  annotations: {{{annotation}}}
status: {{deep: {deep}, l: [{list}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec: {{template: {{spec: {{containers: [{{name: app, image: app:1}}]}}}}}}
---
apiVersion: binding.operators.coreos.com/v1alpha1
kind: ServiceBinding
metadata: {{name: till}}
spec:
  bindAsFiles: false
  services: [{{group: shop.example.com, version: v1, kind: Shop, name: till, id: s}}]
  mappings: [{mapping}]
  application: {{group: apps, version: v1, kind: Deployment, name: app}}
"#,
            list = list.join(", ")
        )
    };
    let annotation_only = shop("service.binding/deep: 'path={..a..a..a..a}'", "");
    let mapping_only = shop("service.binding/one: 'path={.status.l[0]}'", &format!("{{name: CUBE, value: '{cube}'}}"));
    let problems = |text: &str| {
        let dir = folder(text);
        // At most 1 GB of address space (a 7 GB blow-up fails fast instead of eating the machine).
        let script = format!("ulimit -v 1048576; exec \"{}\" check --format json \"{}\"", common::BIN, dir.path().display());
        let out = common::run(std::process::Command::new("sh").args(["-c", &script]), TIMEOUT);
        assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
        let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["rule"].as_str().unwrap().to_string(), p["message"].as_str().unwrap().to_string()))
            .collect::<Vec<(String, String)>>()
    };
    let messages = problems(&annotation_only);
    assert!(
        messages.iter().any(|(rule, m)| rule == "ErrorReadingBinding"
            && m.contains("annotation \"service.binding/deep\"")
            && m.contains("exceeds the evaluation bounds")),
        "{messages:?}"
    );
    let messages = problems(&mapping_only);
    assert!(
        messages.iter().any(|(rule, m)| rule == "ProcessingError" && m.contains("spec.mappings[0] (CUBE)") && m.contains("exceeds")),
        "{messages:?}"
    );
}
