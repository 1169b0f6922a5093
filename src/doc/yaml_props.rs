//! Property tests of the YAML reader and writer against an independent reader (serde_norway,
//! built on libyaml, as kubectl's go-yaml is): every generated string survives parse → emit →
//! parse unchanged under both readers, and block scalars as people write them (SAP BTP
//! `secretTemplate` samples end a file inside a `|` block, without a final newline) read as
//! libyaml reads them.
//!
//! The generator is a deterministic SplitMix64 over fragments chosen for what YAML treats
//! specially (indentation, line breaks of YAML 1.1 and 1.2, comments, indicators, quotes,
//! chomping), so a failure reproduces exactly and names its input.

use crate::doc::value::{Map, Value};
use crate::doc::{yaml_in, yaml_out};

/// SplitMix64: small, deterministic, good enough to pick fragments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What YAML treats specially: blanks and tabs, line breaks (LF, CR, CRLF; NEL, LS and PS are
/// line breaks in YAML 1.1 and content in 1.2), comments, `: `, indicators, quotes, document
/// markers, words YAML 1.1 resolves, and other control characters.
const FRAGMENTS: &[&str] = &[
    "", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}", "#", " #", "# c", ": ", ":", "- ", "-", "? ", "a",
    "text", "k: v", "'", "\"", "\\", "|", ">", "|-", "---", "...", "yes", "0644", "~", "null", "[", "{", "&a", "*a", "!x", "%", "@", "`",
    ",", "é", "\u{a0}", "\u{feff}", "\u{7f}", "\u{1}", "\u{1b}", "\0", "$(VAR)",
];

/// Strings people put into manifests: certificates, scripts, JSON, templates.
const REALISTIC: &[&str] = &[
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "#!/bin/sh\nset -e\necho \"$HOME\"\n",
    "{\n  \"a\": 1\n}",
    "{{ .Values.x }}",
    "line1\n  indented\nline3",
    "\n\nleading newlines",
    "trailing newlines\n\n\n",
    "\n",
    "\n\n",
    " ",
    "  two\n",
    "tab\tinside\n",
    "ends with spaces   \nnext",
    "a\r\nb\r\n",
    "x\u{2028}y",
    "x\u{85}y\n",
    "",
];

fn generated_strings() -> Vec<String> {
    let mut out: Vec<String> = REALISTIC.iter().map(|s| s.to_string()).collect();
    // Every fragment alone and every pair: short strings where each special case stands out.
    for a in FRAGMENTS {
        out.push(a.to_string());
        for b in FRAGMENTS {
            out.push(format!("{a}{b}"));
        }
    }
    // Longer random combinations, with text between the special fragments.
    let mut rng = Rng(0x5eed_b10c);
    for _ in 0..4000 {
        let n = 1 + rng.below(8);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(rng.pick(FRAGMENTS));
            if rng.below(3) == 0 {
                s.push_str(rng.pick(&["x", "word", "two words", "1", "-", " "]));
            }
        }
        out.push(s);
    }
    out
}

/// The document a string is tested in: as a value at the top level, nested in a map and a
/// sequence, and as a mapping key.
fn document_for(s: &str) -> Value {
    let mut inner = Map::new();
    inner.insert("nested", Value::from(s));
    let mut root = Map::new();
    root.insert("value", Value::from(s));
    root.insert("map", Value::Object(inner));
    root.insert("list", Value::Array(vec![Value::from(s), Value::from("after")]));
    root.insert(s, Value::from(1));
    root.insert("last", Value::from(s));
    Value::Object(root)
}

fn norway(text: &str) -> Result<Value, String> {
    serde_norway::from_str::<Value>(text).map_err(|e| e.to_string())
}

fn bindery(text: &str) -> Result<Value, String> {
    let mut docs = yaml_in::parse_stream(text).map_err(|e| format!("{}:{}: {}", e.line, e.column, e.message))?;
    match docs.len() {
        1 => Ok(docs.remove(0).value),
        n => Err(format!("{n} documents")),
    }
}

#[test]
fn every_generated_string_survives_emit_and_parse_under_both_readers() {
    let mut failures = Vec::new();
    for s in generated_strings() {
        let doc = document_for(&s);
        let text = yaml_out::to_string(&doc);
        for (reader, back) in [("bindery", bindery(&text)), ("serde_norway", norway(&text))] {
            if back.as_ref() != Ok(&doc) {
                failures.push(format!("{reader}: {s:?}\n--- emitted:\n{text}--- read back: {back:?}"));
            }
        }
        // Emitting what was read gives the same text again (the writer is a fixed point).
        if let Ok(back) = bindery(&text) {
            assert_eq!(yaml_out::to_string(&back), text, "{s:?}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the strings changed; the first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

/// Block scalars as written by hand: every header, bodies with blank, more-indented and
/// trailing-space lines, at the end of a file with and without a final line break, followed by
/// blank lines or another key. bindery's reader must read what libyaml reads, and the value must
/// survive emit → parse.
#[test]
fn block_scalars_read_as_libyaml_reads_them() {
    let headers = ["|", "|-", "|+", "|2", "|2-", "|2+", "|-2", "|+2", ">", ">-", ">+", ">2"];
    let lines = ["abc", "", "  more", "def ", "# not a comment", "k: v", "\t tab", "x"];
    let tails = ["", "\n", "\n\n", "\n  \n", "\n   ", "\n  ", "\nnext: 1\n", "\n\nnext: 1\n", "\n# comment\n"];
    let mut rng = Rng(0xb10c_5ca1);
    let mut failures = Vec::new();
    let mut cases = 0;
    for header in headers {
        for tail in tails {
            for _ in 0..24 {
                let n = 1 + rng.below(4);
                let mut body: Vec<String> = Vec::new();
                for _ in 0..n {
                    body.push(rng.pick(&lines).to_string());
                }
                // The first line sets the indentation unless the header gives it.
                if !header.contains('2') && body[0].trim().is_empty() || body[0].starts_with([' ', '\t']) && !header.contains('2') {
                    body[0] = "first".into();
                }
                let indented: Vec<String> = body.iter().map(|l| if l.is_empty() { String::new() } else { format!("    {l}") }).collect();
                for prefix in ["key: ", "outer:\n  key: ", "- "] {
                    let text = format!("{prefix}{header}\n{}{tail}", indented.join("\n"));
                    let expected = match norway(&text) {
                        Ok(v) => v,
                        Err(_) => continue, // not YAML (e.g. a tab where indentation is read)
                    };
                    cases += 1;
                    match bindery(&text) {
                        Ok(v) if v == expected => {
                            let emitted = yaml_out::to_string(&v);
                            if bindery(&emitted).as_ref() != Ok(&v) || norway(&emitted).as_ref() != Ok(&v) {
                                failures.push(format!("round trip of {text:?}: emitted {emitted:?}"));
                            }
                        }
                        other => failures.push(format!("{text:?}: libyaml reads {expected:?}, bindery {other:?}")),
                    }
                }
            }
        }
    }
    assert!(cases > 1000, "only {cases} cases were YAML");
    assert!(failures.is_empty(), "{} of {cases} differ; the first ones:\n{}", failures.len(), failures[..failures.len().min(8)].join("\n"));
}

/// The SAP BTP sample shape, exactly: a `|` block that ends the file without a line break keeps
/// no final newline (libyaml, go-yaml and so kubectl read it so), and comes out as `|-`.
#[test]
fn a_literal_block_ending_the_file_keeps_its_value() {
    let text = "apiVersion: services.cloud.sap.com/v1\nkind: ServiceBinding\nspec:\n  secretTemplate: |\n    apiVersion: v1\n    kind: Secret\n    stringData:\n      url: {{ .credentials.url }}";
    let v = bindery(text).unwrap();
    let template = v["spec"]["secretTemplate"].as_str().unwrap();
    assert!(template.ends_with("{{ .credentials.url }}"), "{template:?}");
    assert_eq!(Ok(&v), norway(text).as_ref());
    let out = yaml_out::to_string(&v);
    assert!(out.contains("secretTemplate: |-\n"), "{out}");
    assert_eq!(bindery(&out), Ok(v));
}
