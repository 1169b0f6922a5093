//! Installing a released bindery:
//!
//! * the release layout (`scripts/release-assets.sh`), and that the release workflow, the
//!   Dockerfile and the Action agree on it;
//! * the Action's download path, run step by step by `tests/hosts/scripts/run_composite.py` against a
//!   local release server (`python3 -m http.server` on 127.0.0.1) that serves a release made
//!   from the binary under test: the archive is downloaded, its SHA-256 checked and the binary
//!   installed; a checksum mismatch fails the step, naming the mismatch, and installs nothing;
//!   a bindery of the wanted version on PATH is used without a download; cargo builds bindery
//!   only where no archive fits the runner;
//! * the images: both Dockerfile targets built for real with buildah (Debian's package, vfs
//!   storage, chroot isolation) from a static musl build of bindery, then run: the KRM function
//!   as `nobody` on a ResourceList, the Argo CD sidecar's `bindery argocd-cmp` as user 999;
//! * the crate's package (only what it builds from) and one repository slug everywhere.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(300);
const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

fn assets_script() -> PathBuf {
    repo().join("scripts/release-assets.sh")
}

/// `scripts/release-assets.sh ARGS…`, its stdout trimmed.
fn assets(args: &[&str]) -> String {
    let out = run(Command::new("bash").arg(assets_script()).args(args), T);
    out.ok();
    out.stdout.trim().to_string()
}

/// The runner this machine stands in for: (RUNNER_ARCH, release target, image architecture).
fn this_runner() -> (&'static str, &'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("X64", "x86_64-unknown-linux-musl", "amd64"),
        "aarch64" => ("ARM64", "aarch64-unknown-linux-musl", "arm64"),
        other => panic!("no release target for a {other} Linux machine"),
    }
}

fn write_script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A release `VERSION` of the binary under test for this machine's target, as the release
/// workflow lays it out: `<root>/<tag>/{archive, SHA256SUMS}`.
fn release_root(tmp: &Path) -> PathBuf {
    let root = tmp.join("releases");
    let dir = root.join(VERSION);
    let (_, target, _) = this_runner();
    assets(&["package", VERSION, target, BIN, dir.to_str().unwrap()]);
    assets(&["sums", dir.to_str().unwrap()]);
    root
}

/// `python3 -m http.server` on a free port of 127.0.0.1, serving `root`; stopped when dropped.
struct ReleaseServer {
    child: Child,
    url: String,
}

impl ReleaseServer {
    fn start(root: &Path) -> Self {
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
            .arg(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("http.server did not start")
        });
        let port: u16 = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        ReleaseServer { child, url: format!("http://127.0.0.1:{port}") }
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A checked-out deployment repository whose `deploy/web` binds.
fn workspace(tmp: &Path) -> PathBuf {
    let web = tmp.join("ws/deploy/web");
    std::fs::create_dir_all(&web).unwrap();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        std::fs::copy(repo().join("kustomize-plugin/example/app").join(f), web.join(f)).unwrap();
    }
    tmp.join("ws")
}

/// PATH for the runner: `first`, then the system directories, with no bindery in any of them
/// (and no cargo unless `first` brings one).
fn runner_path(first: &[&Path]) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = first.iter().map(|d| d.to_path_buf()).collect();
    let mut system: Vec<PathBuf> = ["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from).to_vec();
    for tool in ["python3", "curl", "tar", "sha256sum"] {
        system.push(require_tool(tool, "the runner and the installer need it").parent().unwrap().to_path_buf());
    }
    dirs.extend(system.into_iter().filter(|d| !d.join("bindery").exists() && !d.join("cargo").exists()));
    std::env::join_paths(dirs).unwrap()
}

struct ActionRun {
    out: Out,
    report: Value,
}

impl ActionRun {
    fn step(&self, id_or_name: &str) -> &Value {
        self.report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id_or_name || s["name"] == id_or_name)
            .unwrap_or_else(|| panic!("no step {id_or_name}: {}", self.report))
    }
    /// The install root the plan chose (the cache step's `path`).
    fn install_dir(&self) -> PathBuf {
        PathBuf::from(self.step("Cache bindery")["with"]["path"].as_str().expect("the cache step ran"))
    }
    fn errors(&self) -> Vec<String> {
        let anns = self.report["annotations"].as_array().unwrap();
        anns.iter().filter(|a| a["level"] == "error").map(|a| a["message"].as_str().unwrap().to_string()).collect()
    }
}

fn run_action(tmp: &Path, path: &std::ffi::OsStr, args: &[&str], env: &[(&str, &str)]) -> ActionRun {
    let ws = tmp.join("ws");
    let mut cmd = Command::new("python3");
    cmd.arg(host_script("run_composite.py")).arg(repo()).arg(&ws).args(["--with", "path=deploy"]).args(args);
    cmd.env("PATH", path).env("TMPDIR", tmp).env_remove("BINDERY_RELEASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd, T);
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("runner report: {e}\n{}", out.all()));
    ActionRun { out, report }
}

fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_release_layout_names_one_archive_per_target_and_checksums_them() {
    assert_eq!(
        assets(&["targets"]).lines().collect::<Vec<_>>(),
        ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl", "x86_64-apple-darwin", "aarch64-apple-darwin"]
    );
    for (os, arch, target) in [
        ("Linux", "X64", "x86_64-unknown-linux-musl"),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macOS", "X64", "x86_64-apple-darwin"),
        ("macOS", "ARM64", "aarch64-apple-darwin"),
    ] {
        assert_eq!(assets(&["target", os, arch]), target);
    }
    for (os, arch) in [("Windows", "X64"), ("Linux", "ARM"), ("Linux", "X86")] {
        let out = run(Command::new("bash").arg(assets_script()).args(["target", os, arch]), T);
        assert_eq!(out.code, Some(1), "no archive for {os}/{arch}: {}", out.all());
    }
    assert_eq!(assets(&["version", "0.1.0"]), "v0.1.0");
    assert_eq!(assets(&["version", "v1.2.3-rc.1"]), "v1.2.3-rc.1");
    run(Command::new("bash").arg(assets_script()).args(["version", "main"]), T).fails();
    assert_eq!(assets(&["name", "0.1.0", "aarch64-apple-darwin"]), "bindery-v0.1.0-aarch64-apple-darwin.tar.gz");

    // The archive: one directory holding the binary (executable), LICENSE and README.md; the
    // same bytes when packaged twice; SHA256SUMS verifies with sha256sum.
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let target = "x86_64-unknown-linux-musl";
    let archive = PathBuf::from(assets(&["package", "0.1.0", target, BIN, a.to_str().unwrap()]));
    assets(&["package", "v0.1.0", target, BIN, b.to_str().unwrap()]);
    let name = "bindery-v0.1.0-x86_64-unknown-linux-musl.tar.gz";
    assert_eq!(archive, a.join(name));
    assert_eq!(std::fs::read(&archive).unwrap(), std::fs::read(b.join(name)).unwrap(), "reproducible archives");
    let listing = run(Command::new("tar").arg("-tvzf").arg(&archive), T);
    listing.ok();
    let entries: Vec<(String, String)> = listing
        .stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[f.len() - 1].to_string())
        })
        .collect();
    let dir = "bindery-v0.1.0-x86_64-unknown-linux-musl/";
    let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, [dir.to_string(), format!("{dir}LICENSE"), format!("{dir}README.md"), format!("{dir}bindery")]);
    assert_eq!(entries[3].0, "-rwxr-xr-x", "the binary is executable");
    let sums = PathBuf::from(assets(&["sums", a.to_str().unwrap()]));
    assert_eq!(std::fs::read_to_string(&sums).unwrap(), format!("{}  {name}\n", sha256_hex(&archive)));
    run(Command::new("sha256sum").args(["--check", "SHA256SUMS"]).current_dir(&a), T).ok();
}

#[test]
fn the_release_workflow_builds_what_the_layout_names_and_the_images_take() {
    let text = std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap();
    let wf = &parse_stream(&text)[0];
    let jobs = &wf["jobs"];
    // Every target of the layout is built, under the artifact name the packaging step reads.
    let matrix: Vec<&str> =
        jobs["binaries"]["strategy"]["matrix"]["include"].as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(matrix, assets(&["targets"]).lines().collect::<Vec<_>>());
    let uses =
        |job: &str| -> Vec<Value> { jobs[job]["steps"].as_array().unwrap().iter().filter(|s| s["uses"].is_string()).cloned().collect() };
    let upload = uses("binaries").into_iter().find(|s| s["uses"].as_str().unwrap().starts_with("actions/upload-artifact@")).unwrap();
    assert_eq!(upload["with"]["name"], "bin-${{ matrix.target }}");
    let scripts: String = jobs["release"]["steps"].as_array().unwrap().iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(scripts.contains("scripts/release-assets.sh package \"$GITHUB_REF_NAME\" \"$target\" \"artifacts/bin-$target/bindery\""));
    assert!(scripts.contains("scripts/release-assets.sh sums dist/release") && scripts.contains("gh release create"));
    // The images take the released Linux binaries where the Dockerfile's prebuilt stage reads them.
    let downloads: Vec<(String, String)> = uses("images")
        .iter()
        .filter(|s| s["uses"].as_str().unwrap().starts_with("actions/download-artifact@"))
        .map(|s| (s["with"]["name"].as_str().unwrap().to_string(), s["with"]["path"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        downloads,
        [
            ("bin-x86_64-unknown-linux-musl".to_string(), "dist/linux-amd64".to_string()),
            ("bin-aarch64-unknown-linux-musl".to_string(), "dist/linux-arm64".to_string())
        ]
    );
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("COPY dist/linux-${TARGETARCH}/bindery /out/bindery"), "{dockerfile}");
    let builds: Vec<Value> =
        uses("images").into_iter().filter(|s| s["uses"].as_str().unwrap().starts_with("docker/build-push-action@")).collect();
    let targets: Vec<&str> = builds.iter().map(|b| b["with"]["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["krm", "cmp"]);
    for b in &builds {
        assert_eq!(b["with"]["platforms"], "linux/amd64,linux/arm64");
        assert_eq!(b["with"]["build-args"], "BINDERY_BINARY=prebuilt");
        let stage = format!(" AS {}\n", b["with"]["target"].as_str().unwrap());
        assert!(dockerfile.contains(&stage), "the Dockerfile has a stage{stage}");
    }
    // Every action is pinned to a version.
    for (name, job) in jobs.as_object().unwrap() {
        for s in job["steps"].as_array().unwrap() {
            if let Some(u) = s["uses"].as_str() {
                assert!(u.contains('@'), "{name}: {u} is not pinned");
            }
        }
    }
    // The GitHub schema accepts the workflow (actionlint runs in .ci/run: .ci/lint-release).
    let python = venv_python(&["check-jsonschema", "pyyaml"]);
    run(
        Command::new(&python)
            .args(["-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"])
            .arg(repo().join(".github/workflows/release.yml")),
        T,
    )
    .ok();
}

#[test]
fn the_action_downloads_verifies_and_installs_the_release_of_its_own_tag() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    let server = ReleaseServer::start(&release_root(tmp.path()));
    // An older bindery on PATH is not the wanted version: the release is installed ahead of it.
    let old = tmp.path().join("old-bin");
    write_script(&old, "bindery", "#!/bin/sh\necho 'bindery 0.0.1'\n");
    let path = runner_path(&[&old]);
    let (arch, target, _) = this_runner();
    let r = run_action(tmp.path(), &path, &["--action-ref", VERSION, "--runner-arch", arch], &[("BINDERY_RELEASE_URL", &server.url)]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    let archive = format!("bindery-{VERSION}-{target}.tar.gz");
    let stderr = &r.out.stderr;
    assert!(stderr.contains(&format!("method download, version {VERSION}, target {target}")), "{stderr}");
    assert!(stderr.contains(&format!("downloading {}/{VERSION}/{archive}", server.url)), "{stderr}");
    let sum = sha256_hex(&tmp.path().join("releases").join(VERSION).join(&archive));
    assert!(stderr.contains(&format!("verified SHA-256 {sum}")), "{stderr}");
    assert!(stderr.contains(&format!("installed bindery {}", env!("CARGO_PKG_VERSION"))), "{stderr}");
    // Cached by version and target (the emulator's cache always misses).
    let cache = r.step("Cache bindery");
    assert_eq!(cache["uses"].as_str().unwrap().split('@').next(), Some("actions/cache"));
    assert_eq!(cache["with"]["key"], format!("bindery-{VERSION}-{target}"));
    // The installed binary is the released one, and the check ran with it.
    let installed = r.install_dir().join("bin/bindery");
    assert_eq!(std::fs::read(&installed).unwrap(), std::fs::read(BIN).unwrap());
    assert_eq!(r.step("install")["outcome"], "success");
    assert_eq!(r.step("check")["outcome"], "success");
    assert_eq!(r.report["outputs"]["changed"], "true", "{}", r.out.all());

    // The input `version` names the release as well (with or without the v).
    let r = run_action(
        tmp.path(),
        &path,
        &["--with", &format!("version={}", env!("CARGO_PKG_VERSION")), "--runner-arch", arch],
        &[("BINDERY_RELEASE_URL", &server.url)],
    );
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert!(r.out.stderr.contains(&format!("method download, version {VERSION}")), "{}", r.out.stderr);
}

#[test]
fn a_checksum_mismatch_fails_the_install_step_and_installs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    let root = release_root(tmp.path());
    let server = ReleaseServer::start(&root);
    let (arch, target, _) = this_runner();
    let archive_name = format!("bindery-{VERSION}-{target}.tar.gz");
    let archive = root.join(VERSION).join(&archive_name);
    let good = sha256_hex(&archive);
    let path = runner_path(&[]);
    let expect_mismatch = |r: &ActionRun, listed: &str, got: &str| {
        assert_eq!(r.report["rc"], 1, "{}", r.out.all());
        assert_eq!(r.step("install")["outcome"], "failure");
        assert_eq!(r.step("check")["outcome"], "skipped", "nothing runs after a failed install");
        let errors = r.errors();
        let expected = format!("checksum mismatch for {archive_name}: SHA256SUMS says {listed}, the download is {got}; not installed");
        assert_eq!(errors, [expected], "{}", r.out.all());
        assert!(!r.install_dir().join("bin/bindery").exists(), "nothing installed");
    };

    // SHA256SUMS names another checksum.
    let sums = root.join(VERSION).join("SHA256SUMS");
    let wrong = "0".repeat(64);
    std::fs::write(&sums, format!("{wrong}  {archive_name}\n")).unwrap();
    let r = run_action(tmp.path(), &path, &["--action-ref", VERSION, "--runner-arch", arch], &[("BINDERY_RELEASE_URL", &server.url)]);
    expect_mismatch(&r, &wrong, &good);

    // The archive is corrupted (one byte changed), SHA256SUMS is right.
    std::fs::write(&sums, format!("{good}  {archive_name}\n")).unwrap();
    let mut bytes = std::fs::read(&archive).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&archive, &bytes).unwrap();
    let bad = sha256_hex(&archive);
    let r = run_action(tmp.path(), &path, &["--action-ref", VERSION, "--runner-arch", arch], &[("BINDERY_RELEASE_URL", &server.url)]);
    expect_mismatch(&r, &good, &bad);

    // No line for the archive.
    std::fs::write(&sums, "").unwrap();
    let r = run_action(tmp.path(), &path, &["--action-ref", VERSION, "--runner-arch", arch], &[("BINDERY_RELEASE_URL", &server.url)]);
    assert_eq!(r.report["rc"], 1);
    assert_eq!(r.errors(), [format!("SHA256SUMS of {VERSION} has no line for {archive_name}")], "{}", r.out.all());

    // A release that does not exist; a version that is not one.
    let r = run_action(tmp.path(), &path, &["--with", "version=v9.9.9", "--runner-arch", arch], &[("BINDERY_RELEASE_URL", &server.url)]);
    assert_eq!(r.report["rc"], 1);
    let errors = r.errors();
    assert!(errors.len() == 1 && errors[0].starts_with("cannot download ") && errors[0].contains("is v9.9.9 released"), "{errors:?}");
    let r = run_action(tmp.path(), &path, &["--with", "version=latest"], &[("BINDERY_RELEASE_URL", &server.url)]);
    assert_eq!(r.report["rc"], 1);
    assert!(r.errors()[0].contains("version must be a release such as v0.1.0"), "{}", r.out.all());
}

#[test]
fn a_bindery_of_the_wanted_version_on_path_is_used_without_a_download() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    let bin = bin_dir(tmp.path());
    let path = runner_path(&[&bin]);
    // Nothing listens on port 9: any download would fail.
    let r = run_action(tmp.path(), &path, &["--action-ref", VERSION], &[("BINDERY_RELEASE_URL", "http://127.0.0.1:9")]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert!(r.out.stderr.contains("bindery: method path") && !r.out.stderr.contains("downloading"), "{}", r.out.stderr);
    assert_eq!(r.step("Cache bindery")["outcome"], "skipped");
    assert_eq!(r.report["outputs"]["changed"], "true");
}

#[test]
fn where_no_release_archive_fits_the_runner_cargo_installs_the_release() {
    let tmp = tempfile::tempdir().unwrap();
    workspace(tmp.path());
    // A stand-in cargo: records its arguments and "builds" the binary under test.
    let fake = tmp.path().join("fake-cargo");
    let log = tmp.path().join("cargo-args.txt");
    write_script(
        &fake,
        "cargo",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nroot=\nprev=\nfor a in \"$@\"; do [ \"$prev\" = --root ] && root=\"$a\"; prev=\"$a\"; done\nmkdir -p \"$root/bin\" && ln -sf '{BIN}' \"$root/bin/bindery\"\n",
            log.display()
        ),
    );
    let path = runner_path(&[&fake]);
    // 32-bit ARM Linux: no archive.
    let r =
        run_action(tmp.path(), &path, &["--action-ref", VERSION, "--runner-arch", "ARM"], &[("BINDERY_RELEASE_URL", "http://127.0.0.1:9")]);
    assert_eq!(r.report["rc"], 0, "{}", r.out.all());
    assert!(r.out.stderr.contains(&format!("method cargo, version {VERSION}")), "{}", r.out.stderr);
    assert!(r.out.stderr.contains("no release archive for Linux/ARM"), "{}", r.out.stderr);
    assert_eq!(r.step("Cache bindery")["with"]["key"], format!("bindery-{VERSION}-cargo-Linux-ARM"));
    let dir = r.install_dir();
    let args: Vec<String> = std::fs::read_to_string(&log).unwrap().lines().map(String::from).collect();
    assert_eq!(
        args,
        ["install", "--locked", "--quiet", "--root", dir.to_str().unwrap(), "bindery", "--version", env!("CARGO_PKG_VERSION")]
    );
    assert_eq!(r.report["outputs"]["changed"], "true");
}

/// `buildah` with storage of its own under `root` (vfs: no overlay or fuse needed).
fn buildah(root: &Path) -> Command {
    let mut cmd = Command::new(require_tool("buildah", "Debian's buildah builds the images (.ci/run installs it)"));
    cmd.arg("--root").arg(root.join("storage")).arg("--runroot").arg(root.join("run")).args(["--storage-driver", "vfs"]);
    cmd
}

/// A static (musl) bindery of this checkout, built once into `target/integration-tools`.
fn static_bindery() -> PathBuf {
    let (_, target, _) = this_runner();
    let dir = tools_dir().join("musl-target");
    let cargo = std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("cargo"));
    let out = run(
        Command::new(cargo)
            .args(["build", "--locked", "--bin", "bindery", "--target", target, "--target-dir"])
            .arg(&dir)
            .env("CARGO_PROFILE_DEV_DEBUG", "false")
            .current_dir(repo()),
        Duration::from_secs(1200),
    );
    assert_eq!(
        out.code,
        Some(0),
        "the musl build needs `rustup target add {target}` and musl-tools (.ci/run installs both):\n{}",
        out.stderr
    );
    let bin = dir.join(target).join("debug/bindery");
    let file = run(Command::new("file").arg(&bin), T);
    assert!(file.stdout.contains("statically linked") || file.stdout.contains("static-pie linked"), "{}", file.stdout);
    bin
}

/// The build context: this checkout (without target/, .git and dist/), plus the static binary at
/// dist/linux-<arch>/bindery as the release workflow puts it.
fn build_context(tmp: &Path, binary: &Path, arch: &str) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "target" || name == ".git" || name == "dist" {
                continue;
            }
            let ty = entry.file_type().unwrap();
            if ty.is_dir() {
                copy(&entry.path(), &to.join(&name));
            } else if ty.is_file() {
                std::fs::copy(entry.path(), to.join(&name)).unwrap();
            }
        }
    }
    let ctx = tmp.join("context");
    copy(&repo(), &ctx);
    let dist = ctx.join("dist").join(format!("linux-{arch}"));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::copy(binary, dist.join("bindery")).unwrap();
    ctx
}

#[test]
fn both_images_build_from_one_dockerfile_and_run_as_non_root() {
    let binary = static_bindery();
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, arch) = this_runner();
    let ctx = build_context(tmp.path(), &binary, arch);
    let b = || buildah(tmp.path());
    for (target, tag) in [("krm", "localhost/bindery:test"), ("cmp", "localhost/bindery-cmp:test")] {
        run(
            b().args(["bud", "--isolation", "chroot", "--build-arg", "BINDERY_BINARY=prebuilt", "--target", target, "-t", tag]).arg(&ctx),
            T,
        )
        .ok();
    }
    let config = |tag: &str| -> Value {
        let out = run(b().args(["inspect", "--type", "image", tag]), T);
        out.ok();
        serde_json::from_str::<Value>(&out.stdout).unwrap()["OCIv1"]["config"].clone()
    };
    let krm = config("localhost/bindery:test");
    assert_eq!(krm["User"], "65532:65532", "{krm}");
    assert_eq!(krm["Entrypoint"], json!(["/usr/local/bin/bindery"]));
    let cmp = config("localhost/bindery-cmp:test");
    assert_eq!(cmp["User"], "999:999", "{cmp}");

    // The KRM function, as kustomize and kpt run it (`--user nobody`): a ResourceList in, the
    // ResourceList with the workload bound out.
    let app = repo().join("kustomize-plugin/example/app");
    let mut items = Vec::new();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        items.extend(parse_stream(&std::fs::read_to_string(app.join(f)).unwrap()));
    }
    let list = json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items});
    let ctr = run(b().args(["from", "localhost/bindery:test"]), T);
    ctr.ok();
    let ctr = ctr.stdout.trim().to_string();
    let out = run_raw(
        b().args(["run", "--isolation", "chroot", "--user", "nobody", &ctr, "--", "/usr/local/bin/bindery"]),
        Some(list.to_string().as_bytes()),
        T,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.code, Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let result = &parse_stream(&stdout)[0];
    assert_eq!(result["kind"], "ResourceList");
    let web = find(result["items"].as_array().unwrap(), "Deployment", "web").expect("the Deployment");
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_HOST"), Some(("orders-db-credentials".into(), "host".into())));
    // Nothing but bindery, passwd and group: no shell to run.
    let sh = run(b().args(["run", "--isolation", "chroot", &ctr, "--", "/bin/sh", "-c", "true"]), T);
    assert_ne!(sh.code, Some(0), "the image has no shell");

    // The Argo CD sidecar: plugin.yaml where the cmp-server reads it; bindery argocd-cmp in an
    // application directory, as user 999.
    let ctr = run(b().args(["from", "localhost/bindery-cmp:test"]), T);
    ctr.ok();
    let ctr = ctr.stdout.trim().to_string();
    let mount = run(b().args(["mount", &ctr]), T);
    mount.ok();
    let rootfs = PathBuf::from(mount.stdout.trim());
    assert_eq!(
        std::fs::read(rootfs.join("home/argocd/cmp-server/config/plugin.yaml")).unwrap(),
        std::fs::read(repo().join("argocd-cmp/plugin.yaml")).unwrap()
    );
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap();
    assert!(passwd.contains("nobody:x:65534:") && passwd.contains(":999:"), "{passwd}");
    run(b().args(["umount", &ctr]), T).ok();
    let appdir = tmp.path().join("app");
    std::fs::create_dir_all(&appdir).unwrap();
    for f in ["deployment.yaml", "database.yaml", "binding.yaml"] {
        std::fs::copy(app.join(f), appdir.join(f)).unwrap();
    }
    std::fs::write(appdir.join("bindery.yaml"), "apiVersion: bindery.dev/v1alpha1\nkind: BindingResolver\nmetadata:\n  name: bindery\n")
        .unwrap();
    run(b().args(["copy", &ctr]).arg(&appdir).arg("/app"), T).ok();
    let out = run(
        b().args(["run", "--isolation", "chroot", "--user", "999", "--workingdir", "/app", &ctr, "--", "bindery", "argocd-cmp", "."]),
        T,
    );
    out.ok();
    let manifests = parse_stream(&out.stdout);
    let web = find(&manifests, "Deployment", "web").expect("the Deployment");
    assert_eq!(secret_ref(container(web, "web"), "DATABASE_HOST"), Some(("orders-db-credentials".into(), "host".into())));
    assert!(find(&manifests, "BindingResolver", "bindery").is_none(), "bindery.yaml is not a manifest");
}

#[test]
fn the_dockerignore_admits_only_what_the_dockerfile_copies() {
    let text = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(patterns.first(), Some(&"*"), "everything is excluded first (target/ alone is hundreds of MB)");
    let admitted: Vec<&str> = patterns[1..].iter().map(|p| p.strip_prefix('!').expect("then only exceptions")).collect();
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    // Every source of a COPY from the context is admitted, and every exception is copied.
    let mut sources = Vec::new();
    for line in dockerfile.lines() {
        let Some(rest) = line.strip_prefix("COPY ") else { continue };
        if rest.starts_with("--from") {
            continue;
        }
        let words: Vec<&str> = rest.split_whitespace().collect();
        sources.extend(words[..words.len() - 1].iter().map(|s| s.replace("${TARGETARCH}", "*").trim_end_matches('/').to_string()));
    }
    let norm = |p: &str| p.trim_end_matches('/').to_string();
    let mut a: Vec<String> = admitted.iter().map(|p| norm(p)).collect();
    let mut s = sources.clone();
    a.sort();
    s.sort();
    s.dedup();
    assert_eq!(a, s, "{dockerfile}");
    // The cmp image bakes in the Argo CD plugin configuration that lives in argocd-cmp/.
    assert!(repo().join("argocd-cmp/plugin.yaml").exists() && !repo().join("argocd-cmp/Dockerfile").exists());
}

#[test]
fn the_crate_package_holds_only_what_it_builds_from() {
    let cargo = std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("cargo"));
    let out = run(Command::new(cargo).args(["package", "--list", "--locked", "--allow-dirty", "--offline"]).current_dir(repo()), T);
    out.ok();
    let files: Vec<&str> = out.stdout.lines().collect();
    for f in &files {
        let allowed = f.starts_with("src/") && f.ends_with(".rs")
            || [".cargo_vcs_info.json", "Cargo.toml", "Cargo.toml.orig", "Cargo.lock", "README.md", "LICENSE", "build.rs"].contains(f);
        assert!(allowed, "the package holds {f}: {files:?}");
    }
    for needed in ["LICENSE", "README.md", "Cargo.lock", "build.rs", "src/main.rs", "src/lib.rs"] {
        assert!(files.contains(&needed), "no {needed} in {files:?}");
    }
    let license = std::fs::read_to_string(repo().join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004") && license.len() > 10_000);
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
    for key in ["repository", "homepage", "keywords", "categories", "include"] {
        assert!(manifest.lines().any(|l| l.starts_with(&format!("{key} = "))), "Cargo.toml sets {key}");
    }
}

/// `owner/name` of Cargo.toml's `repository`.
fn slug() -> String {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let line = manifest.lines().find(|l| l.starts_with("repository = ")).expect("Cargo.toml names its repository");
    let url = line.trim_start_matches("repository = ").trim_matches('"');
    url.strip_prefix("https://github.com/").expect("a GitHub repository").trim_end_matches('/').to_string()
}

/// Every tracked file (`git ls-files`), as text.
fn tracked_texts() -> Vec<(String, String)> {
    let out = run(Command::new("git").args(["ls-files", "-z"]).current_dir(repo()), T);
    out.ok();
    out.stdout
        .split('\0')
        .filter(|f| !f.is_empty())
        .filter_map(|f| std::fs::read(repo().join(f)).ok().map(|b| (f.to_string(), String::from_utf8_lossy(&b).into_owned())))
        .collect()
}

#[test]
fn one_repository_slug_everywhere_and_no_placeholder_left() {
    let slug = slug();
    let (owner, name) = slug.split_once('/').unwrap();
    assert_eq!(name, "bindery");
    let placeholder = ["OWN", "ER"].concat();
    let mut problems = Vec::new();
    for (file, text) in tracked_texts() {
        if text.contains(&format!("{placeholder}/")) || text.contains(&format!("/{placeholder}")) {
            problems.push(format!("{file}: an {placeholder} placeholder"));
        }
        // github.com/<owner>/bindery…, ghcr.io/<owner>/bindery…, uses: <owner>/bindery@…
        for prefix in ["github.com/", "ghcr.io/", "uses: "] {
            for (i, _) in text.match_indices(prefix) {
                let rest = &text[i + prefix.len()..];
                let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_./".contains(c))).unwrap_or(rest.len());
                let mut parts = rest[..end].split('/');
                let (Some(o), Some(n)) = (parts.next(), parts.next()) else { continue };
                let repo_name = n.split('@').next().unwrap();
                if (repo_name == "bindery" || repo_name.starts_with("bindery-") || repo_name.starts_with("bindery.")) && o != owner {
                    problems.push(format!("{file}: {prefix}{o}/{n} (Cargo.toml: {slug})"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The places a user copies the repository from name it.
    for file in ["README.md", ".pre-commit-hooks.yaml", "argocd-cmp/repo-server-patch.yaml", "Dockerfile"] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        assert!(text.contains(&slug), "{file} does not name {slug}");
    }
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for needed in [
        format!("uses: {slug}@v"),
        format!("repo: https://github.com/{slug}"),
        format!("ghcr.io/{slug}:v"),
        format!("ghcr.io/{slug}-cmp:v"),
    ] {
        assert!(readme.contains(&needed), "README.md lacks {needed}");
    }
}

#[test]
fn the_readme_starts_with_install_then_check_in_under_five_lines() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("## Quick start").expect("a quick start");
    let first_section = readme.find("\n## ").unwrap() + 1;
    assert_eq!(start, first_section, "the quick start is the first section");
    let block = &readme[start..];
    let code = &block[block.find("```sh\n").unwrap() + 6..];
    let code = &code[..code.find("```").unwrap()];
    let lines: Vec<&str> = code.lines().collect();
    assert!(lines.len() < 5, "{lines:?}");
    assert!(lines[0].starts_with("cargo install bindery --locked"), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("bindery check .")), "{lines:?}");
    // Then the contributors' two commands, the second being what .ci/run ends with.
    let two = &readme[readme.find("## Two commands").expect("the contributor commands")..];
    assert!(two.contains("cargo run --release -- render fixtures/") && two.contains("cargo test --locked"));
    let ci = std::fs::read_to_string(repo().join(".ci/run")).unwrap();
    assert_eq!(ci.lines().rfind(|l| !l.trim().is_empty()), Some("cargo test --locked"));
    // No prose sends a user to files outside the repository.
    assert!(!readme.contains("../shared"), "README.md names a file outside the repository");
}
