//! Render over arbitrary documents: a fixed valid application plus fuzzer-chosen YAML appended
//! as further documents (bindings with wrong types, odd selectors, strange workloads…). The
//! pipeline (index, resolve, project, emit) must report problems, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The same base the regression test (`tests/cli/fuzz_regressions.rs`) uses.
const BASE: &str = include_str!("../../tests/fuzz-regressions/render-base.yaml");

fuzz_target!(|data: &[u8]| {
    let Ok(extra) = std::str::from_utf8(data) else { return };
    let text = format!("{BASE}{extra}");
    let Ok((file, documents)) = bindery::load::parse_file("f.yaml".into(), "f.yaml".into(), text.into_bytes()) else { return };
    let loaded = bindery::load::Loaded { files: vec![file], documents };
    let rendered = bindery::render(loaded, &bindery::resolve::Options::default());
    let emitted = rendered.emitted(false, false);
    let _ = bindery::write::emit::stream(&emitted);
});
