//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) found crashes with, replayed with the same
//! checks as the targets: `tests/fuzz-regressions/load/*` through the loader and a writer/reader
//! round trip, `tests/fuzz-regressions/render/*` appended to a valid application and rendered,
//! `tests/fuzz-regressions/templates/*` as Go template, JSONPath and service shape (the target's
//! own checks, `fuzz/fuzz_targets/templates_check.rs`).

use std::path::PathBuf;

fn inputs(dir: &str) -> Vec<PathBuf> {
    let dir = crate::common::repo().join("tests/fuzz-regressions").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).map(|d| d.map(|e| e.expect("entry").path()).collect()).unwrap_or_default();
    files.sort();
    files
}

/// What `fuzz_targets/load.rs` checks.
fn check_load(data: &[u8]) {
    let (name, bytes) = match data.split_first() {
        Some((b, rest)) if b % 8 == 0 => ("f.json", rest),
        Some((_, rest)) => ("f.yaml", rest),
        None => ("f.yaml", data),
    };
    let Ok((_, docs)) = bindery::load::parse_file(name.into(), name.into(), bytes.to_vec()) else { return };
    for doc in docs {
        let text = bindery::doc::yaml_out::to_string(&doc.value);
        let back = bindery::doc::yaml_in::parse_stream(&text).unwrap_or_else(|e| panic!("writer output does not parse: {e:?}\n{text}"));
        assert_eq!(back.len(), 1, "{text}");
        assert_eq!(back[0].value, doc.value, "round trip changed the value:\n{text}");
    }
}

const BASE: &str = include_str!("../fuzz-regressions/render-base.yaml");

/// What `fuzz_targets/render.rs` checks.
fn check_render(data: &[u8]) {
    let Ok(extra) = std::str::from_utf8(data) else { return };
    let text = format!("{BASE}{extra}");
    let Ok((file, documents)) = bindery::load::parse_file("f.yaml".into(), "f.yaml".into(), text.into_bytes()) else { return };
    let loaded = bindery::load::Loaded { files: vec![file], documents };
    let rendered = bindery::render(loaded, &bindery::resolve::Options::default());
    let _ = bindery::write::emit::stream(&rendered.emitted(false, false));
}

#[test]
fn load_regressions() {
    let files = inputs("load");
    assert!(!files.is_empty());
    for f in files {
        eprintln!("{}", f.display());
        check_load(&std::fs::read(&f).expect("read"));
    }
}

#[test]
fn render_regressions() {
    for f in inputs("render") {
        eprintln!("{}", f.display());
        check_render(&std::fs::read(&f).expect("read"));
    }
}

mod templates {
    include!("../../fuzz/fuzz_targets/templates_check.rs");
}

#[test]
fn templates_regressions() {
    let files = inputs("templates");
    assert!(!files.is_empty());
    for f in files {
        eprintln!("{}", f.display());
        templates::check_templates(&templates::FuzzInput::from_bytes(&std::fs::read(&f).expect("read")));
    }
}
