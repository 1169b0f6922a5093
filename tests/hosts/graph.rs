//! `bindery graph` drawn for real: the Mermaid text of two fixtures (the gitops repository, one
//! subgraph per overlay, and a fixture whose bindings collide, highlighted as errors) is
//! rendered to SVG by `@mermaid-js/mermaid-cli` (npm, installed under target/) in Debian's
//! headless Chromium (`/usr/bin/chromium`, through a puppeteer config: no browser download).
//! Mermaid refuses text it cannot parse, so a rendered SVG proves the syntax. The picture in the
//! README (`docs/graph-gitops-repo.svg`) is the rendering of `docs/graph-gitops-repo.mmd`,
//! which must equal what `bindery graph` prints today.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;

/// mermaid-cli from npm, without puppeteer's own browser (cached under target/integration-tools).
fn mmdc() -> PathBuf {
    let dir = tools_dir().join("mermaid-cli");
    let bin = dir.join("node_modules/.bin/mmdc");
    if !bin.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let npm = require_tool("npm", "npm installs @mermaid-js/mermaid-cli");
        run(
            Command::new(npm)
                .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
                .arg(&dir)
                .arg("@mermaid-js/mermaid-cli@11")
                .env("PUPPETEER_SKIP_DOWNLOAD", "1"),
            Duration::from_secs(600),
        )
        .ok();
    }
    assert!(bin.exists(), "npm did not install {}", bin.display());
    bin
}

/// Render Mermaid text to SVG with Debian's Chromium.
fn render_svg(mermaid: &str, dir: &Path, name: &str) -> String {
    let chromium = Path::new("/usr/bin/chromium");
    assert!(chromium.exists(), "Debian's chromium is needed (apt-get install chromium; .ci/run installs it)");
    let config = dir.join("puppeteer.json");
    let args = [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    std::fs::write(&config, serde_json::json!({"executablePath": chromium, "args": args}).to_string()).unwrap();
    let input = dir.join(format!("{name}.mmd"));
    let output = dir.join(format!("{name}.svg"));
    std::fs::write(&input, mermaid).unwrap();
    run(
        Command::new(mmdc()).arg("-p").arg(&config).arg("-i").arg(&input).arg("-o").arg(&output).env("HOME", dir),
        Duration::from_secs(180),
    )
    .ok();
    let svg = std::fs::read_to_string(&output).unwrap_or_else(|e| panic!("no SVG for {name}: {e}"));
    assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{name}: not an SVG");
    assert!(!svg.contains("Syntax error"), "{name}: mermaid could not parse the graph:\n{mermaid}");
    svg
}

fn graph(args: &[&str]) -> String {
    let out = run(bindery_command(args).current_dir(repo()), Duration::from_secs(120));
    assert_eq!(out.code, Some(0), "{}", out.all());
    out.stdout
}

#[test]
fn graphs_of_two_fixtures_render_to_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let repository = graph(&["graph", "fixtures/gitops-repo"]);
    let svg = render_svg(&repository, tmp.path(), "gitops-repo");
    for label in [
        "overlays/staging",
        "ServiceBinding shop-staging/orders-db",
        "Cluster orders-pg",
        "files at /bindings/orders-db",
        "run time: SealedSecret orders-smtp",
    ] {
        assert!(svg.contains(label), "the SVG lacks {label:?}");
    }
    let collision = graph(&["graph", "fixtures/checks/binding-name-collision"]);
    assert!(collision.contains("class n0 error"), "{collision}");
    let svg = render_svg(&collision, tmp.path(), "collision");
    assert!(svg.contains("error: BindingNameCollision"), "the problem is in the picture");
}

#[test]
fn the_readme_picture_is_the_graph_bindery_draws_today() {
    let now = graph(&["graph", "--kustomize-root", "fixtures/gitops-repo/overlays/production-resolved"]);
    let committed = std::fs::read_to_string(repo().join("docs/graph-gitops-repo.mmd")).unwrap();
    assert_eq!(committed, now, "regenerate docs/graph-gitops-repo.mmd and .svg (README \"bindery graph\")");
    let svg = std::fs::read_to_string(repo().join("docs/graph-gitops-repo.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("ServiceBinding shop/orders-db"), "docs/graph-gitops-repo.svg");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("](docs/graph-gitops-repo.svg)"), "the README shows the picture");
}
