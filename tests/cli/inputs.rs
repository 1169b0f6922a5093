//! What an input path stands for: a FIFO or `<(…)` is read as a file, an input without resources
//! is an error (not an empty set that `kubectl apply --prune` would prune everything to), links
//! are not followed out of the input, and in a git work tree every tracked file is read whatever
//! the ignore files say (outside one, only the input's own ignore files count).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::common;

use common::{tempdir, write};

fn bindery<I, S>(args: I) -> common::Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    common::run(&mut common::bindery_command(args), common::TIMEOUT)
}

fn render(path: &Path, extra: &[&str]) -> common::Out {
    let mut args = vec![OsStr::new("render"), path.as_os_str()];
    args.extend(extra.iter().map(OsStr::new));
    bindery(args)
}

/// The `metadata.name`s of what `out` printed.
fn names(out: &common::Out) -> Vec<String> {
    common::parse_stream(&out.stdout).iter().filter_map(|d| d["metadata"]["name"].as_str().map(String::from)).collect()
}

fn config_map(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{k: v}}\n")
}

#[track_caller]
fn assert_refused_as_empty(out: &common::Out) {
    assert_eq!(out.code, Some(2), "`{}`: {}", out.command, out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("no Kubernetes resource") && out.stderr.contains("--allow-empty"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// Path kinds and empty sets
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_fifo_and_process_substitution_are_read_as_files() {
    let tmp = tempdir();
    let fifo = tmp.path().join("manifests");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let written = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (fifo, written) = (fifo.clone(), written.clone());
        std::thread::spawn(move || {
            std::fs::write(fifo, config_map("from-fifo")).expect("write the FIFO");
            written.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    let out = render(&fifo, &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !written.load(std::sync::atomic::Ordering::SeqCst) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let read_by_bindery = written.load(std::sync::atomic::Ordering::SeqCst);
    if !read_by_bindery {
        let _ = std::fs::read(&fifo); // unblock the writer
    }
    writer.join().unwrap();
    assert!(read_by_bindery, "bindery never opened the FIFO: {}", out.stderr);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(names(&out), ["from-fifo"]);

    let file = write(tmp.path(), "cm.yaml", config_map("substituted"));
    let script = format!("'{}' render <(cat '{}')", common::BIN, file.display());
    let sub = Command::new("bash").args(["-c", &script]).env("NO_COLOR", "1").output().expect("bash");
    assert!(sub.status.success(), "{}", String::from_utf8_lossy(&sub.stderr));
    assert!(String::from_utf8_lossy(&sub.stdout).contains("name: substituted"));

    let mut cmd = common::bindery_command(["render", "/dev/stdin"]);
    let raw = common::run_raw(&mut cmd, Some(config_map("via-dev-stdin").as_bytes()), common::TIMEOUT);
    assert_eq!(raw.code, Some(0), "{}", raw.stderr_utf8());
    assert!(raw.stdout_utf8().contains("name: via-dev-stdin"));
}

#[cfg(unix)]
#[test]
fn an_input_that_yields_no_resource_is_an_error_unless_allowed() {
    // `bindery render <(kustomize build …)` when kustomize failed: nothing arrives.
    let script = format!("'{}' render <(true)", common::BIN);
    let sub = Command::new("bash").args(["-c", &script]).env("NO_COLOR", "1").output().expect("bash");
    assert_eq!(sub.status.code(), Some(2), "{}", String::from_utf8_lossy(&sub.stderr));
    assert!(sub.stdout.is_empty());

    let mut cmd = common::bindery_command(["render", "-"]);
    let raw = common::run_raw(&mut cmd, Some(b""), common::TIMEOUT);
    assert_eq!(raw.code, Some(2), "{}", raw.stderr_utf8());
    assert!(raw.stdout.is_empty());

    let tmp = tempdir();
    write(tmp.path(), "kustomization.yaml", "resources: [deploy.yaml]\n");
    let out = render(tmp.path(), &[]);
    assert_refused_as_empty(&out);
    assert!(out.stderr.contains(&tmp.path().display().to_string()), "names the path: {}", out.stderr);
    // One empty path among others is refused too.
    let full = tempdir();
    write(full.path(), "cm.yaml", config_map("a"));
    let both = bindery([OsStr::new("render"), full.path().as_os_str(), tmp.path().as_os_str()]);
    assert_refused_as_empty(&both);
    let check = bindery([OsStr::new("check"), tmp.path().as_os_str(), OsStr::new("--format"), OsStr::new("json")]);
    assert_eq!(check.code, Some(2), "{}", check.stdout);
    assert!(check.stdout.contains("no Kubernetes resource"), "{}", check.stdout);
    // Allowed: an empty set, exit 0.
    let allowed = render(tmp.path(), &["--allow-empty"]);
    assert_eq!((allowed.code, allowed.stdout.as_str()), (Some(0), ""), "{}", allowed.stderr);
}

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn links_are_not_followed_out_of_the_input() {
    let tmp = tempdir();
    let home = tmp.path().join("home");
    write(&home, ".kube/config.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: kubeconfig}\nstringData: {token: TOKEN-0f9e8d}\n");
    let input = tmp.path().join("app");
    write(&input, "deploy/cm.yaml", config_map("app"));
    std::os::unix::fs::symlink(home.join(".kube/config.yaml"), input.join("deploy/config.yaml")).unwrap();
    std::os::unix::fs::symlink(home.join(".kube"), input.join("kube")).unwrap();
    std::os::unix::fs::symlink("/", input.join("root")).unwrap();
    // A link that stays inside the input is read.
    std::os::unix::fs::symlink("cm.yaml", input.join("deploy/alias.yaml")).unwrap();
    let out = render(&input, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!out.stdout.contains("TOKEN-0f9e8d") && !out.stdout.contains("kubeconfig"), "{}", out.stdout);
    assert_eq!(names(&out), ["app", "app"]);
    for link in ["deploy/config.yaml", "kube", "root"] {
        let shown = input.join(link).display().to_string();
        assert!(out.stderr.lines().any(|l| l.contains("notice") && l.contains(&shown)), "no notice for {link}:\n{}", out.stderr);
    }
    // The Argo CD plugin reads the same way.
    let argocd = bindery([OsStr::new("argocd-cmp"), input.as_os_str()]);
    assert_eq!(argocd.code, Some(0), "{}", argocd.stderr);
    assert!(!argocd.stdout.contains("TOKEN-0f9e8d"));
    assert!(argocd.stderr.contains("outside the input"), "{}", argocd.stderr);
}

// ---------------------------------------------------------------------------------------------
// git and ignore files
// ---------------------------------------------------------------------------------------------

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new(common::require_tool("git", "the git tests make a repository"))
        .current_dir(dir)
        .args(["-c", "user.name=bindery", "-c", "user.email=bindery@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn in_a_git_work_tree_tracked_files_are_always_read() {
    let tmp = tempdir();
    // A .gitignore above the repository ignores everything: it does not count.
    write(tmp.path(), ".gitignore", "*\n");
    let repo = tmp.path().join("repo");
    write(&repo, ".gitignore", "generated/\n*.local.yaml\n");
    write(&repo, "app/cm.yaml", config_map("plain"));
    write(&repo, "generated/secret.yaml", config_map("committed-though-ignored"));
    write(&repo, "generated/scratch.yaml", config_map("untracked-and-ignored"));
    write(&repo, "app/dev.local.yaml", config_map("ignored-local"));
    write(&repo, "app/new.yaml", config_map("untracked-new"));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", ".gitignore", "app/cm.yaml"]);
    git(&repo, &["add", "-f", "generated/secret.yaml"]);
    git(&repo, &["commit", "-q", "-m", "manifests"]);
    let out = render(&repo, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut got = names(&out);
    got.sort();
    assert_eq!(got, ["committed-though-ignored", "plain", "untracked-new"]);
    // --verbose lists what was left out.
    let verbose = render(&repo, &["--verbose"]);
    for skipped in ["generated/scratch.yaml", "app/dev.local.yaml"] {
        assert!(verbose.stderr.contains(skipped) && verbose.stderr.contains("ignored by git"), "{skipped}: {}", verbose.stderr);
    }
    assert!(!out.stderr.contains("scratch"), "without --verbose ignored files are not listed: {}", out.stderr);
    // A sub-directory of the repository: the same rules.
    let sub = render(&repo.join("generated"), &[]);
    assert_eq!(names(&sub), ["committed-though-ignored"], "{}", sub.stderr);
}

#[test]
fn outside_a_work_tree_only_the_inputs_own_ignore_files_count() {
    let tmp = tempdir();
    write(tmp.path(), ".gitignore", "*\n");
    let input = tmp.path().join("deploy");
    write(&input, ".gitignore", "skip/\n");
    write(&input, "cm.yaml", config_map("kept"));
    write(&input, "skip/x.yaml", config_map("skipped"));
    let out = render(&input, &[]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(names(&out), ["kept"]);
    let verbose = render(&input, &["-v"]);
    assert!(verbose.stderr.contains("skip/x.yaml") && verbose.stderr.contains("ignore file"), "{}", verbose.stderr);
}

/// `--exclude`, `.binderyignore` and Helm-chart skipping apply to what git lists as well
/// (tracked files too: an exclusion is the user's choice), on every command; `--verbose` lists
/// what they left out, and a link leaving the input inside an excluded directory needs no notice.
#[cfg(unix)]
#[test]
fn exclusions_and_helm_charts_apply_in_a_git_work_tree() {
    let tmp = tempdir();
    let repo = tmp.path().join("repo");
    write(&repo, ".gitignore", "generated/\n");
    write(&repo, ".binderyignore", "legacy/\n");
    write(&repo, "app/cm.yaml", config_map("plain"));
    write(&repo, "generated/cm.yaml", config_map("committed-though-gitignored"));
    write(&repo, "legacy/cm.yaml", config_map("tracked-but-binderyignored"));
    write(&repo, "drafts/cm.yaml", config_map("tracked-but-excluded"));
    write(&repo, "charts/shop/Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n");
    write(&repo, "charts/shop/templates/cm.yaml", config_map("in-a-chart"));
    std::os::unix::fs::symlink("/etc/passwd", repo.join("legacy/passwd.yaml")).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["add", "-f", "generated/cm.yaml"]);
    git(&repo, &["commit", "-q", "-m", "manifests"]);
    let out = render(&repo, &["--exclude", "drafts/"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut got = names(&out);
    got.sort();
    assert_eq!(got, ["committed-though-gitignored", "plain"]);
    assert!(out.stderr.contains("skipped") && out.stderr.contains("charts/shop") && out.stderr.contains("Helm chart"), "{}", out.stderr);
    assert!(!out.stderr.contains("passwd"), "a link in an excluded directory needs no notice: {}", out.stderr);
    let verbose = render(&repo, &["--exclude", "drafts/", "--verbose"]);
    for excluded in ["legacy/cm.yaml", "drafts/cm.yaml"] {
        assert!(verbose.stderr.contains(excluded) && verbose.stderr.contains("excluded"), "{excluded}: {}", verbose.stderr);
    }
    // check reads the same set (repository mode without kustomizations), with the chart's notice.
    let check = bindery([OsStr::new("check"), repo.as_os_str(), OsStr::new("--exclude"), OsStr::new("drafts/")]);
    assert_eq!(check.code, Some(0), "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("charts/shop") && !check.stdout.contains("tracked-but"), "{}", check.stdout);
    // Only what the exclusions leave: the path is refused as empty.
    let only_excluded = render(&repo.join("legacy"), &["--exclude", "*.yaml"]);
    assert_refused_as_empty(&only_excluded);
}
