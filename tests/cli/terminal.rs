//! What reaches a terminal or a CI log: control characters from the input are escaped in every
//! human output (names, file names, messages, snippets), syntax errors point at the mistake and
//! mask only what may be a Secret, diagnostics are wrapped at the terminal's width on a terminal
//! and not at all in a pipe, and rendering them is linear in the number of problems.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

use common::{tempdir, write};

/// `bindery ARGS` (from the repository root, `NO_COLOR=1`), optionally with stdin.
fn bindery<I, S>(args: I, stdin: Option<&[u8]>) -> common::Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = common::bindery_command(args);
    match stdin {
        None => common::run(&mut cmd, common::TIMEOUT),
        Some(input) => {
            let raw = common::run_raw(&mut cmd, Some(input), common::TIMEOUT);
            common::Out { command: format!("{cmd:?}"), code: raw.code, stdout: raw.stdout_utf8(), stderr: raw.stderr_utf8() }
        }
    }
}

/// Characters that must never reach a terminal or a log raw.
fn unsafe_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

#[track_caller]
fn assert_printable(what: &str, text: &str) {
    let found = unsafe_chars(text);
    assert!(found.is_empty(), "{what} prints raw control characters {found:?}:\n{}", text.escape_debug());
    for line in text.lines() {
        assert!(!line.starts_with("::"), "{what} starts a line that a CI log would run as a workflow command:\n{line}");
    }
}

/// A binding and a Secret reference whose names hold terminal sequences (erase the line, OSC 52
/// to the clipboard, a C1 CSI), a line break followed by a workflow command, and a bidi override.
const HOSTILE: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
---
apiVersion: servicebinding.io/v1
kind: ServiceBinding
metadata: {name: \"db\\e[2K\\rall good\\e]52;c;aGk=\\a\"}
spec:
  service: {apiVersion: v1, kind: Secret, name: \"db\\n::warning file=x::pwned\\u009b31m\\u202e\"}
  workload: {apiVersion: apps/v1, kind: Deployment, name: web}
";

/// The hostile input in a file whose name holds an escape sequence too.
fn hostile_dir() -> tempfile::TempDir {
    let dir = tempdir();
    write(dir.path(), "app\u{1b}[31m.yaml", HOSTILE);
    dir
}

#[test]
fn control_characters_from_the_input_are_escaped_in_every_human_output() {
    let dir = hostile_dir();
    let d = dir.path().as_os_str();
    for args in [
        vec![OsStr::new("render"), d],
        vec![OsStr::new("diff"), d],
        vec![OsStr::new("explain"), d],
        vec![OsStr::new("render"), d, OsStr::new("--allow-missing-secrets")],
    ] {
        let out = bindery(&args, None);
        assert_eq!(out.code, Some(1), "{}: {}", out.command, out.stderr);
        assert!(out.stderr.contains("\\u{1b}[2K"), "{}: the name is shown, escaped:\n{}", out.command, out.stderr);
        assert_printable(&out.command, &out.stderr);
    }
    let human = bindery([OsStr::new("check"), d], None);
    assert_eq!(human.code, Some(1));
    assert!(human.stdout.contains("app\\u{1b}[31m.yaml"), "the file name is shown, escaped:\n{}", human.stdout);
    assert_printable("check", &human.stdout);
    let github = bindery([OsStr::new("check"), d, OsStr::new("--format"), OsStr::new("github")], None);
    assert_eq!(unsafe_chars(&github.stdout), Vec::<char>::new(), "{}", github.stdout.escape_debug());
    assert!(github.stdout.lines().all(|l| l.starts_with("::error ")), "{}", github.stdout);
    // The machine formats keep the text (escaped in their own syntax).
    let json = bindery([OsStr::new("check"), d, OsStr::new("--format"), OsStr::new("json")], None);
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert!(report["problems"].to_string().contains("\\u001b[2K"), "{}", json.stdout);
}

#[test]
fn control_characters_are_escaped_on_the_hosts_stderr() {
    // A plain stream to the KRM filter, and a ResourceList whose kpt path holds an escape.
    let krm = bindery(["krm"], Some(HOSTILE.as_bytes()));
    assert_eq!(krm.code, Some(1), "{}", krm.stderr);
    assert_printable("krm (stream)", &krm.stderr);
    let list = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{}",
        HOSTILE
            .split("---\n")
            .map(|doc| {
                let doc = doc.replacen("metadata: {", "metadata: {annotations: {config.kubernetes.io/path: \"a\\e[2J.yaml\"}, ", 1);
                let mut lines = doc.lines();
                let first = format!("- {}\n", lines.next().unwrap());
                first + &lines.map(|l| format!("  {l}\n")).collect::<String>()
            })
            .collect::<String>()
    );
    let krm = bindery(["krm"], Some(list.as_bytes()));
    assert_eq!(krm.code, Some(1), "{}", krm.stderr);
    assert!(krm.stderr.contains("a\\u{1b}[2J.yaml"), "{}", krm.stderr);
    assert_printable("krm (ResourceList)", &krm.stderr);
    let results: Vec<Value> = common::parse_stream(&krm.stdout)[0]["results"].as_array().cloned().unwrap_or_default();
    assert!(!results.is_empty());
    for r in &results {
        assert_printable("a KRM result message", r["message"].as_str().unwrap_or_default());
    }
    // The Argo CD plugin: its stderr is the ComparisonError in the UI.
    let dir = hostile_dir();
    let argocd = bindery([OsStr::new("argocd-cmp"), dir.path().as_os_str()], None);
    assert_eq!(argocd.code, Some(1), "{}", argocd.stderr);
    assert_printable("argocd-cmp", &argocd.stderr);
}

// ---------------------------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------------------------

/// The one finding of `bindery check FILE --format json` (or of `-` with `stdin`): (line,
/// message).
fn json_finding(file: &Path, stdin: Option<&[u8]>) -> (u64, String) {
    let out = bindery([OsStr::new("check"), file.as_os_str(), OsStr::new("--format"), OsStr::new("json")], stdin);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    let report: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let p = &report["problems"][0];
    (p["location"]["line"].as_u64().expect("a line"), p["message"].as_str().unwrap_or_default().to_string())
}

#[test]
fn syntax_errors_point_at_the_line_of_the_mistake() {
    let dir = tempdir();
    let cases = [
        ("bracket.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  list: [a, b\n  other: x\n  more: y\n", 6, "`[` is never closed"),
        ("at-end.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  m: {a: 1\n", 6, "`{` is never closed"),
        ("quote.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  q: \"unclosed\n", 6, "quoted scalar"),
        (
            "helm.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels:\n{{ include \"app.labels\" . | indent 4 }}\nspec:\n  replicas: 1\n",
            6,
            "Go template",
        ),
        ("value.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\ndata:\n  a: b\n", 4, "Go template"),
        ("list.json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"data\": [1, 2,\n  \"b\": 3\n}\n", 4, "`[` is never closed"),
    ];
    for (name, text, line, words) in cases {
        // A file with `{{` that does not parse is a Go template, skipped with a notice (README
        // "Exclusions"); on stdin it is bad input, and the error points at the `{{`.
        let template = words == "Go template";
        let file = if template { Path::new("-").to_path_buf() } else { write(dir.path(), name, text) };
        let (found, message) = json_finding(&file, template.then_some(text.as_bytes()));
        assert_eq!(found, line, "{name}: {message}");
        assert!(message.contains(words), "{name}: {message}");
    }
    let templates = tempdir();
    write(templates.path(), "app.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    for (name, text, _, words) in cases.iter().filter(|c| c.3 == "Go template") {
        write(templates.path(), name, text);
        let out = bindery([OsStr::new("check"), templates.path().as_os_str()], None);
        assert_eq!(out.code, Some(0), "{words} {name} is skipped, not an error:\n{}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains(&format!("skipped {}", templates.path().join(name).display())), "{}", out.stdout);
    }
}

#[test]
fn the_snippet_of_a_file_that_does_not_parse_masks_only_what_may_be_a_secret() {
    let dir = tempdir();
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-settings\ndata:\n  color: blue\n  list: [a, b\n  other: x\n\
                ---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: Hunter2-Pa55\n   host: db\n";
    let file = write(dir.path(), "mixed.yaml", text);
    let out = bindery([OsStr::new("check"), file.as_os_str()], None);
    assert_eq!(out.code, Some(2));
    assert!(out.stdout.contains("color: blue") && out.stdout.contains("list: [a, b"), "a ConfigMap is shown as it is:\n{}", out.stdout);
    // The same file with the mistake in the Secret: its values are masked.
    let secret_first = text.replace("  list: [a, b\n", "");
    let file = write(dir.path(), "secret.yaml", &secret_first);
    let out = bindery([OsStr::new("check"), file.as_os_str()], None);
    assert_eq!(out.code, Some(2));
    assert!(out.stdout.contains("password: ***") && !out.stdout.contains("Hunter2"), "{}", out.stdout);
    // A document whose kind cannot be read may be a Secret.
    let unknown = write(dir.path(), "unknown.yaml", "apiVersion: v1\nmetadata: {name: x}\ndata:\n  token: abc123\n   bad: 1\n");
    let out = bindery([OsStr::new("check"), unknown.as_os_str()], None);
    assert!(out.stdout.contains("token: ***") && !out.stdout.contains("abc123"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// Width
// ---------------------------------------------------------------------------------------------

/// A binding to a missing Secret whose name is long and full of hyphens.
fn long_name_app(dir: &Path) -> &'static str {
    const NAME: &str = "payments-ledger-postgresql-primary-credentials-for-the-reporting-service-in-europe-west-production";
    write(
        dir,
        "app.yaml",
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec: {{template: {{spec: {{containers: [{{name: app}}]}}}}}}\n\
             ---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: db}}\nspec:\n  service: {{apiVersion: v1, kind: Secret, name: {NAME}}}\n  \
             workload: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n"
        ),
    );
    NAME
}

#[test]
fn diagnostics_in_a_pipe_or_a_ci_log_are_not_wrapped() {
    let dir = tempdir();
    let name = long_name_app(dir.path());
    let out = bindery([OsStr::new("render"), dir.path().as_os_str()], None);
    assert_eq!(out.code, Some(1));
    // The message line (the source line in the snippet is quoted whole anyway).
    let title = |text: &str| text.lines().find(|l| l.starts_with("  × ")).unwrap_or_default().to_string();
    assert!(title(&out.stderr).contains(&format!("\"{name}\"")), "the name stays on one line (grep finds it):\n{}", out.stderr);
    assert!(!out.stderr.lines().any(|l| l.starts_with("  │ ")), "a wrapped message:\n{}", out.stderr);
    let check = bindery([OsStr::new("check"), dir.path().as_os_str()], None);
    assert!(title(&check.stdout).contains(&format!("\"{name}\"")), "{}", check.stdout);
}

#[test]
fn diagnostics_on_a_terminal_wrap_at_its_width() {
    let script = common::require_tool("script", "util-linux `script` runs bindery on a pseudo-terminal");
    let dir = tempdir();
    long_name_app(dir.path());
    let command = format!("stty rows 40 cols 60; NO_COLOR=1 '{}' render '{}'", common::BIN, dir.path().display());
    let out = Command::new(script).args(["-q", "-e", "-c", &command, "/dev/null"]).env_remove("COLUMNS").output().expect("script");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.contains("bindery::SecretNotFound"), "{text}");
    // The message lines (source lines in the snippet are quoted as they are).
    let message = |l: &&str| l.starts_with("  × ") || l.starts_with("  │ ");
    assert!(text.lines().filter(message).count() > 1, "the message is wrapped:\n{text}");
    for line in text.lines().filter(message) {
        assert!(line.chars().count() <= 60, "a line wider than the terminal ({} columns):\n{line}\n\n{text}", line.chars().count());
    }
    // COLUMNS, when set, wins.
    let command = format!("stty rows 40 cols 200; COLUMNS=50 NO_COLOR=1 '{}' render '{}'", common::BIN, dir.path().display());
    let out = Command::new(common::require_tool("script", "")).args(["-q", "-e", "-c", &command, "/dev/null"]).output().expect("script");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(text.lines().filter(message).all(|l| l.chars().count() <= 50), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Cost
// ---------------------------------------------------------------------------------------------

#[test]
fn human_diagnostics_are_linear_in_problems_and_input() {
    // One 1.5 MB file: a large ConfigMap, then 2,000 bindings to Secrets that are not there
    // (2,000 warnings with --allow-missing-secrets). Masking the whole file for every problem
    // took minutes here.
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: padding}\ndata:\n");
    for i in 0..12_000 {
        text.push_str(&format!("  k{i}: {}\n", "x".repeat(60)));
    }
    for i in 0..2_000 {
        text.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{i}}}\nspec: {{template: {{spec: {{containers: [{{name: app}}]}}}}}}\n\
             ---\napiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {{name: b{i}}}\nspec:\n  \
             service: {{apiVersion: v1, kind: Secret, name: s{i}}}\n  workload: {{apiVersion: apps/v1, kind: Deployment, name: w{i}}}\n"
        ));
    }
    let started = Instant::now();
    let out = bindery(["render", "-", "--allow-missing-secrets"], Some(text.as_bytes()));
    let took = started.elapsed();
    assert_eq!(out.code, Some(0), "{}", &out.stderr[..out.stderr.len().min(2000)]);
    assert_eq!(out.stderr.matches("bindery::SecretNotInInput").count(), 2_000);
    assert!(took < Duration::from_secs(20), "2,000 diagnostics took {took:?}");
}

#[test]
fn the_migrate_report_escapes_what_came_from_the_input() {
    let dir = tempdir();
    common::copy_dir(&common::repo().join("fixtures/sbo-migration"), dir.path());
    std::fs::rename(dir.path().join("bindings.yaml"), dir.path().join("bind\u{1b}[2J\nings.yaml")).unwrap();
    let d = dir.path().as_os_str();
    let report = bindery([OsStr::new("migrate"), d, OsStr::new("--report-only")], None);
    assert_eq!(report.code, Some(0), "{}", report.stderr);
    assert!(report.stdout.contains("bind\\u{1b}[2J\\nings.yaml"), "{}", report.stdout);
    assert_printable("migrate --report-only", &report.stdout);
    let migrate = bindery([OsStr::new("migrate"), d], None);
    assert_eq!(migrate.code, Some(0), "{}", migrate.stderr);
    assert_printable("migrate (report on stderr)", &migrate.stderr);
}

#[test]
fn explain_and_diff_escape_what_came_from_the_input() {
    let dir = tempdir();
    write(
        dir.path(),
        "app.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: postgresql, host: h}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: \"web\\e[2J\\n::warning::x\"}\n\
         spec: {template: {spec: {containers: [{name: \"app\\e]52;c;aGk=\\a\"}]}}}\n---\n\
         apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  \
         service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: \"web\\e[2J\\n::warning::x\"}\n  \
         env: [{name: DB_HOST, key: host}]\n",
    );
    let out = bindery([OsStr::new("explain"), dir.path().as_os_str()], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("web\\u{1b}[2J\\n::warning::x"), "{}", out.stdout);
    assert_printable("explain", &out.stdout);
    for format in ["unified", "markdown"] {
        let diff = bindery([OsStr::new("diff"), dir.path().as_os_str(), OsStr::new("--format"), OsStr::new(format)], None);
        assert_eq!(diff.code, Some(0), "{}", diff.stderr);
        assert!(diff.stdout.contains("web\\u{1b}[2J\\n::warning::x"), "{}", diff.stdout);
        assert_printable(&format!("diff --format {format}"), &diff.stdout);
    }
}

/// Repository mode: kustomization roots named with terminal sequences are escaped in every
/// section heading and summary (check, diff, explain, render's stderr).
#[test]
fn repository_mode_headings_escape_what_came_from_the_input() {
    let dir = tempdir();
    for root in ["ov\u{1b}[2Jerlay\n::warning::x", "plain"] {
        write(&dir.path().join(root), "kustomization.yaml", "resources: [cm.yaml]\n");
        write(&dir.path().join(root), "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {k: v}\n");
    }
    let d = dir.path().as_os_str();
    for command in ["check", "diff", "explain"] {
        let out = bindery([OsStr::new(command), d], None);
        assert_eq!(out.code, Some(0), "{command}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("ov\\u{1b}[2Jerlay\\n::warning::x"), "{command}: {}", out.stdout);
        assert_printable(&format!("{command} stdout"), &out.stdout);
        assert_printable(&format!("{command} stderr"), &out.stderr);
    }
}

/// `bindery graph` in every format: names from the input are escaped in the labels.
#[test]
fn graph_labels_escape_what_came_from_the_input() {
    let dir = tempdir();
    write(
        dir.path(),
        "app.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {type: postgresql, host: h}\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: \"web\\e[2J\\n::warning::x\"}\n\
         spec: {template: {spec: {containers: [{name: \"app\\e]52;c;aGk=\\a\"}]}}}\n---\n\
         apiVersion: servicebinding.io/v1\nkind: ServiceBinding\nmetadata: {name: db}\nspec:\n  \
         service: {apiVersion: v1, kind: Secret, name: db}\n  workload: {apiVersion: apps/v1, kind: Deployment, name: \"web\\e[2J\\n::warning::x\"}\n  \
         env: [{name: DB_HOST, key: host}]\n",
    );
    for format in ["mermaid", "dot", "markdown"] {
        let out = bindery([OsStr::new("graph"), dir.path().as_os_str(), OsStr::new("--format"), OsStr::new(format)], None);
        assert_eq!(out.code, Some(0), "{format}: {}", out.stderr);
        assert!(out.stdout.contains("web\\u{1b}[2J") || out.stdout.contains("web\\\\u{1b}[2J"), "{format}: {}", out.stdout);
        assert_printable(&format!("graph --format {format}"), &out.stdout);
        assert_printable(&format!("graph --format {format} (stderr)"), &out.stderr);
    }
}
