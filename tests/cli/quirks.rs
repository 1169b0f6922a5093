//! How people really write manifests (issue: real repositories): a license header before `---`,
//! `---` followed by spaces, a file without a trailing newline, `kind` before `apiVersion`,
//! `metadata` after `data`, multi-line plain scalars, `.yml` files, YAML and `{{ }}` inside block
//! scalars, a kustomization without `kind`. fixtures/format-quirks has them all: it must bind,
//! keep every value as written, and render again to the same bytes.

use serde_json::Value;

use crate::common;

const FIXTURE: &str = "fixtures/format-quirks";

fn render(path: &str) -> String {
    let out = common::run_raw(&mut common::bindery_command(["render", path]), None, common::TIMEOUT);
    assert_eq!(out.code, Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout_utf8()
}

fn find<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn every_quirk_parses_binds_and_keeps_its_values() {
    let docs = common::parse_stream(&render(FIXTURE));
    assert_eq!(docs.iter().map(|d| d["kind"].as_str().unwrap()).collect::<Vec<_>>(), ["Deployment", "Secret", "ConfigMap"]);
    let api = &find(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(api["args"][0], "--greeting=hello world across lines", "multi-line plain scalar");
    let env: Vec<&str> = api["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(env, ["SERVICE_BINDING_ROOT", "DB_HOST"], "bound although kind came before apiVersion and metadata last");

    // Block scalars stay the strings they were, YAML and template braces included.
    let input = std::fs::read_to_string(common::repo().join(FIXTURE).join("config.yaml")).unwrap();
    let written = &common::parse_stream(&input)[0]["data"];
    assert_eq!(&find(&docs, "ConfigMap")["data"], written);
    assert!(written["template.tpl"].as_str().unwrap().contains("{{ .Values.url }}\n---\n"));
}

#[test]
fn the_quirky_output_renders_again_to_the_same_bytes() {
    let first = render(FIXTURE);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("out.yaml"), &first).unwrap();
    std::fs::copy(common::repo().join(FIXTURE).join("binding.yaml"), dir.path().join("zz-binding.yaml")).unwrap();
    assert_eq!(render(dir.path().to_str().unwrap()), first);
}
