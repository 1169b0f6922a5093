//! The public conformance kit (`../shared/conformance`), run against this build of bindery:
//! every case of the families bindery implements must pass, and rendering each output again
//! must change nothing.
//!
//! The kit lives outside the repository. When it is not found the test is skipped with a
//! message, except in CI (`CI` set), where a missing kit is a failure.

#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Case families (case-id prefixes) bindery implements; each of their cases must pass.
const REQUIRED_PREFIXES: &[&str] = &["spec-", "sboa-", "sbob-"];

fn kit_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("BINDERY_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    dir.join("oracle.py").is_file().then_some(dir)
}

#[test]
fn conformance_kit_required_families_pass_and_are_idempotent() {
    let Some(kit) = kit_dir() else {
        assert!(std::env::var_os("CI").is_none(), "conformance kit not found (set BINDERY_CONFORMANCE_DIR)");
        eprintln!("SKIPPED: conformance kit not found at ../shared/conformance (set BINDERY_CONFORMANCE_DIR)");
        return;
    };
    // Copy the required cases into one folder so the oracle runs on exactly those.
    let cases = tempfile::tempdir().unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(kit.join("cases")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if REQUIRED_PREFIXES.iter().any(|p| name.starts_with(p)) {
            copy_dir(&entry.path(), &cases.path().join(&name));
            n += 1;
        }
    }
    assert!(n > 0, "no required cases found in {}", kit.display());
    run_oracle(&kit, cases.path(), n);
}

/// bindery's own cases (tests/cases, over fixtures/), checked by the same oracle.
#[test]
fn project_cases_pass_and_are_idempotent() {
    let Some(kit) = kit_dir() else {
        assert!(std::env::var_os("CI").is_none(), "conformance kit not found (set BINDERY_CONFORMANCE_DIR)");
        eprintln!("SKIPPED: conformance kit not found at ../shared/conformance (set BINDERY_CONFORMANCE_DIR)");
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let n = std::fs::read_dir(&dir).unwrap().count();
    run_oracle(&kit, &dir, n);
}

fn run_oracle(kit: &Path, cases: &Path, n: usize) {
    let mut oracle = Command::new("python3");
    oracle.arg(kit.join("oracle.py")).args(["run", "--idempotence", "-v", "--bin", common::BIN, "--cases"]).arg(cases);
    let out = common::run(&mut oracle, Duration::from_secs(600));
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    assert_eq!(out.code, Some(0), "conformance failures:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("{n} passed, 0 failed")), "{stdout}");
    let idem = stdout.lines().find(|l| l.starts_with("idempotent:")).expect("idempotence summary");
    let (ok, total) = idem["idempotent:".len()..].trim().split_once('/').unwrap();
    assert_eq!(ok, total, "not idempotent:\n{stdout}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if std::fs::metadata(entry.path()).unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
