//! Emit: write the rendered manifest set as one YAML stream, or as files mirroring the input
//! layout. Output is a pure function of the rendered documents, so it is byte-identical for
//! identical input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::doc::value::Value;
use crate::project::rendered::Emitted;
use crate::write::files;

/// Serialize one document as YAML (without the `---` separator).
pub fn to_yaml(value: &Value) -> String {
    crate::doc::yaml_out::to_string(value)
}

/// The whole set as one multi-document stream.
pub fn stream(docs: &[Emitted<'_>]) -> String {
    chunks(docs).concat()
}

/// The stream of `docs` in pieces, in order: documents are projected and serialized in
/// parallel, 64 at a time.
fn chunks(docs: &[Emitted<'_>]) -> Vec<String> {
    use rayon::prelude::*;
    docs.par_chunks(64)
        .map(|chunk| {
            let mut out = String::new();
            for d in chunk {
                out.push_str("---\n");
                crate::doc::yaml_out::write_document(&mut out, &d.doc.value());
            }
            out
        })
        .collect()
}

/// Write the whole set as one multi-document stream to `out`, a batch of documents at a time,
/// so that the text of the whole set is never held at once (the bytes are the same as
/// [`stream`]'s).
pub fn write_stream(out: &mut (impl std::io::Write + ?Sized), docs: &[Emitted<'_>]) -> std::io::Result<()> {
    for batch in docs.chunks(1024) {
        for piece in chunks(batch) {
            out.write_all(piece.as_bytes())?;
        }
    }
    out.flush()
}

/// Write each input file's documents to `dir/<relative path>`, replacing `dir` as a whole
/// ([`files::replace_dir`]: built beside it and renamed into place, never through a link, never
/// half; a directory bindery did not write is refused). Everything is serialized first.
pub fn write_dir(dir: &Path, docs: &[Emitted<'_>]) -> Result<Vec<PathBuf>, files::OutputError> {
    let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
    for d in docs {
        let mut rel = d.relative.to_path_buf();
        if rel.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            rel.set_extension("yaml");
        }
        let text = texts.entry(rel).or_default();
        text.push_str("---\n");
        text.push_str(&to_yaml(&d.doc.value()));
    }
    let texts: Vec<(PathBuf, String)> = texts.into_iter().collect();
    files::replace_dir(dir, &texts)
}

/// Write the whole set as one stream to the file `path`, replacing it ([`files::replace_file`]).
pub fn write_file(path: &Path, docs: &[Emitted<'_>]) -> Result<(), files::OutputError> {
    files::replace_file(path, stream(docs).as_bytes())
}
