//! The public conformance kit (`../shared/conformance`), run against this build of bindery:
//! every case of the families bindery implements must pass, and rendering each output again
//! must change nothing.
//!
//! The kit lives outside the repository. When it is not found the test is skipped with a
//! message, except in CI (`CI` set), where a missing kit is a failure.

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Case families (case-id prefixes) bindery implements; each of their cases must pass.
const REQUIRED_PREFIXES: &[&str] = &["spec-", "sboa-", "sbob-"];

#[test]
fn conformance_kit_required_families_pass_and_are_idempotent() {
    let Some(kit) = common::conformance_kit() else { return };
    // Copy the required cases into one folder so the oracle runs on exactly those.
    let cases = common::tempdir();
    let mut n = 0;
    for entry in std::fs::read_dir(kit.join("cases")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if REQUIRED_PREFIXES.iter().any(|p| name.starts_with(p)) {
            common::copy_dir(&entry.path(), &cases.path().join(&name));
            n += 1;
        }
    }
    assert!(n > 0, "no required cases found in {}", kit.display());
    run_oracle(&kit, cases.path(), n);
}

/// bindery's own cases (tests/cases, over fixtures/), checked by the same oracle.
#[test]
fn project_cases_pass_and_are_idempotent() {
    let Some(kit) = common::conformance_kit() else { return };
    let dir = common::repo().join("tests/cases");
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
