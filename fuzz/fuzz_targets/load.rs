//! The loader on arbitrary bytes: `load::parse_file` (decode, YAML reader, `List` flattening)
//! must return documents or a `LoadError`, never panic, hang or exhaust memory. Whatever it
//! accepts, the YAML writer must write and the reader read back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the file type, so JSON input is fuzzed too.
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
});
