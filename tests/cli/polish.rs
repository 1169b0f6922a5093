//! What users expect of a command-line tool: `--version` names the commit, shell completions
//! and man pages are generated from the command line itself, and `diff --exit-code` tells
//! "changes" (1) from "cannot resolve" (3).

use std::process::Command;

use crate::common::{bindery_command, repo, run, TIMEOUT};

fn bindery(args: &[&str]) -> crate::common::Out {
    run(&mut bindery_command(args), TIMEOUT)
}

#[test]
fn version_names_the_commit_of_a_git_checkout() {
    let out = bindery(&["--version"]);
    out.ok();
    let line = out.stdout.trim();
    let head = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).current_dir(repo()).output().ok();
    match head.filter(|h| h.status.success()) {
        Some(h) => {
            let commit = String::from_utf8_lossy(&h.stdout).trim().to_string();
            assert_eq!(line, format!("bindery {} (commit {commit})", env!("CARGO_PKG_VERSION")));
        }
        None => assert_eq!(line, format!("bindery {}", env!("CARGO_PKG_VERSION"))),
    }
}

#[test]
fn completions_for_every_shell_and_bash_parses_them() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = bindery(&["completions", shell]);
        out.ok();
        for sub in ["render", "diff", "check", "explain", "migrate"] {
            assert!(out.stdout.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), bindery(&["completions", "bash"]).stdout).unwrap();
    let syntax = Command::new("bash").arg("-n").arg(script.path()).status().unwrap();
    assert!(syntax.success(), "the bash completion script does not parse");
    bindery(&["completions", "tcsh"]).assert_code(2);
}

#[test]
fn man_pages_for_the_tool_and_every_command() {
    let page = bindery(&["man"]);
    page.ok();
    assert!(page.stdout.contains(".TH bindery 1"), "{}", &page.stdout[..page.stdout.len().min(300)]);
    let dir = tempfile::tempdir().unwrap();
    bindery(&["man", "--dir", dir.path().to_str().unwrap()]).ok();
    for cmd in ["render", "diff", "check", "explain", "materialize", "migrate", "krm", "kustomize-plugin", "argocd-cmp"] {
        let text = std::fs::read_to_string(dir.path().join(format!("bindery-{cmd}.1"))).unwrap();
        assert!(text.contains(&format!(".TH bindery-{cmd} 1")), "bindery-{cmd}.1");
    }
    // Rendered by man itself where it is installed (groff reads the roff strictly).
    if Command::new("man").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let out = Command::new("man").arg("-l").arg(dir.path().join("bindery-diff.1")).env("MANWIDTH", "100").output().unwrap();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("--exit-code"));
    }
}

#[test]
fn diff_exit_code_tells_changes_from_unresolved() {
    bindery(&["diff", "fixtures/direct-secret-selector", "--exit-code"]).assert_code(1);
    let unresolved = bindery(&["diff", "fixtures/invalid/missing-secret", "--exit-code"]);
    unresolved.assert_code(3);
    assert!(unresolved.stdout.is_empty());
    bindery(&["diff", "fixtures/invalid/bad-yaml", "--exit-code"]).assert_code(2);
}
