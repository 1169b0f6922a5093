//! Build script: records the git commit bindery is built from, for `bindery --version`
//! (`BINDERY_GIT_COMMIT` overrides it, e.g. in a release build from a source archive; a build
//! outside a git checkout, such as from crates.io, reports no commit).

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    println!("cargo:rerun-if-env-changed=BINDERY_GIT_COMMIT");
    let commit = std::env::var("BINDERY_GIT_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
        // Only the repository this crate is the root of: a crate unpacked inside some other
        // checkout must not report that checkout's commit.
        let root = git(&["rev-parse", "--show-toplevel"])?;
        let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").ok()?);
        if PathBuf::from(&root).canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
            return None;
        }
        // Rebuild when HEAD moves (a checkout, a commit on the current branch).
        for file in ["HEAD", "logs/HEAD"] {
            if let Some(path) = git(&["rev-parse", "--git-path", file]) {
                println!("cargo:rerun-if-changed={path}");
            }
        }
        git(&["rev-parse", "--short=12", "HEAD"])
    });
    let version = match commit {
        Some(c) => format!("{} (commit {c})", std::env::var("CARGO_PKG_VERSION").unwrap_or_default()),
        None => std::env::var("CARGO_PKG_VERSION").unwrap_or_default(),
    };
    println!("cargo:rustc-env=BINDERY_VERSION={version}");
}
