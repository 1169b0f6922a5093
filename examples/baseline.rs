//! Benchmark floor (issue 7): read, parse and re-serialize every YAML document under the given
//! paths single-threaded with a serde_yaml-family crate (serde_norway), and print the stream.
//! No resolution, no line tracking, no checks: `bindery render` must be no slower than this.
//!
//! `cargo run --release --example baseline -- DIR... > /dev/null`

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path).expect("read dir").map(|e| e.expect("dir entry").path()).collect();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        collect(Path::new(&arg), &mut files);
    }
    let mut out = String::new();
    let mut docs = 0usize;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read file");
        for doc in serde_norway::Deserializer::from_str(&text) {
            let value = serde_norway::Value::deserialize(doc).expect("parse");
            if value.is_null() {
                continue;
            }
            out.push_str("---\n");
            out.push_str(&serde_norway::to_string(&value).expect("serialize"));
            docs += 1;
        }
    }
    std::io::stdout().lock().write_all(out.as_bytes()).expect("write");
    eprintln!("baseline: {} files, {docs} documents", files.len());
}
