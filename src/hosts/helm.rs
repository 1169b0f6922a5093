//! Helm as a host: `helm template|install|upgrade … --post-renderer bindery` (Helm 3: an
//! executable given the rendered manifests on stdin, printing them on stdout; Helm 4: the
//! post-renderer plugin in `helm-plugin/`, which runs the same). bindery answers the stream as
//! the bare filter does ([`super::krm::filter`]), with its configuration in the post-renderer's
//! arguments (flags, `--config FILE`). Diagnostics name the chart template each document came
//! from, read from helm's `# Source:` comments.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::doc::document::{Document, SourceFile};
use crate::load::source_comments::source_of_documents;

/// The documents of a stream, each moved into a file named by its `# Source:` template (lines
/// counted within that template's rendered documents); a stream without such comments comes
/// back as it is.
pub fn by_template(file: Arc<SourceFile>, docs: Vec<Document>) -> (Vec<Arc<SourceFile>>, Vec<Document>) {
    let text = file.text();
    let sources = source_of_documents(text, &docs.iter().map(|d| d.line).collect::<Vec<_>>());
    if sources.iter().all(Option::is_none) {
        return (vec![file], docs);
    }
    let lines: Vec<&str> = text.lines().collect();
    // Per template: its text so far, and (document index, first line) of each of its documents.
    let mut templates: BTreeMap<String, (String, Vec<(usize, usize)>)> = BTreeMap::new();
    for (i, (doc, source)) in docs.iter().zip(&sources).enumerate() {
        let Some(source) = source else { continue };
        let (body, at) = templates.entry(source.clone()).or_default();
        let first = body.lines().count() + 1;
        let end = doc.end_line.max(doc.line).min(lines.len());
        for line in lines.get(doc.line.saturating_sub(1)..end).unwrap_or_default() {
            body.push_str(line);
            body.push('\n');
        }
        at.push((i, first));
    }
    let mut docs: Vec<Option<Document>> = docs.into_iter().map(Some).collect();
    let mut files = vec![file.clone()];
    let mut out: Vec<Option<Document>> = (0..docs.len()).map(|_| None).collect();
    for (source, (body, at)) in templates {
        let template = Arc::new(SourceFile::new(PathBuf::from(&source), PathBuf::from(&source), body));
        for (i, first) in at {
            let doc = docs[i].take().expect("each document once");
            let length = doc.end_line.saturating_sub(doc.line);
            out[i] = Some(Document { file: template.clone(), line: first, end_line: first + length, value: doc.value });
        }
        files.push(template);
    }
    let docs = out.into_iter().zip(docs).map(|(moved, kept)| moved.or(kept).expect("every document")).collect();
    (files, docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_named_by_their_template() {
        let text = "---\n# Source: shop/templates/db.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: db}\n---\n# Source: shop/templates/app.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n";
        let (file, docs) = crate::load::parse_file("<stdin>".into(), "stdin.yaml".into(), text.as_bytes().to_vec()).unwrap();
        let (files, docs) = by_template(file, docs);
        assert_eq!(files.len(), 3);
        assert_eq!(docs[1].location(), "shop/templates/app.yaml:1");
        assert_eq!(docs[1].file.line_text(3), "metadata: {name: app}");
        assert_eq!(docs[0].location(), "shop/templates/db.yaml:1");
    }
}
