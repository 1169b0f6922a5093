//! Checks beyond the upstream implementations: consumer needs and well-known entry formats
//! (warnings, never showing values), and two bindings mounted at one path (an error).

use crate::common;

fn bindery(args: &[&str]) -> (i32, String, String) {
    let out = common::run(&mut common::bindery_command(args), common::TIMEOUT);
    (out.code.unwrap_or(-1), out.stdout, out.stderr)
}

const APP: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: v1
kind: Secret
metadata: {name: pg}
stringData: {type: postgresql, host: "not a host!", port: "99999", password: Pg-Pa55-w0rd}
"#;

const BINDING: &str = r#"
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: NAME}
spec:
  name: db
  service: {apiVersion: v1, kind: Secret, name: pg}
  workload: {apiVersion: apps/v1, kind: Deployment, name: web}
"#;

/// A temporary directory with `text` in `all.yaml`.
fn input_dir(text: &str) -> tempfile::TempDir {
    let dir = common::tempdir();
    common::write(dir.path(), "all.yaml", text);
    dir
}

#[test]
fn consumer_and_format_warnings_name_keys_not_values() {
    let dir = input_dir(&format!("{APP}{}", BINDING.replace("NAME", "orders-db")));
    let path = dir.path().to_str().unwrap();
    let (code, _, err) = bindery(&["render", path]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("ConsumerMissingEntries") && err.contains("username"), "{err}");
    assert!(err.contains("WellKnownEntryFormat") && err.contains("\"host\"") && err.contains("\"port\""), "{err}");
    for value in ["not a host!", "99999", "Pg-Pa55-w0rd", "postgresql"] {
        assert!(!err.contains(value), "a Secret value ({value}) was printed:\n{err}");
    }
    let (code, out, _) = bindery(&["check", path, "--strict", "--format", "json"]);
    assert_eq!(code, 1, "--strict makes the warnings fail: {out}");
}

#[test]
fn two_bindings_mounted_at_one_path_are_an_error_naming_both() {
    let dir = input_dir(&format!("{APP}{}{}", BINDING.replace("NAME", "first"), BINDING.replace("NAME", "second")));
    let (code, out, err) = bindery(&["render", dir.path().to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(
        err.contains("BindingNameCollision")
            && err.contains("default/first")
            && err.contains("default/second")
            && err.contains("/bindings/db"),
        "{err}"
    );
}
