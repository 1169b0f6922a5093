//! Source map: find the line of a field (`spec.env[1].key`) inside a document's text, so that a
//! diagnostic points at the field rather than at the document. Best effort over block-style
//! YAML; falls back to the deepest field it could find.

use crate::doc::document::Document;

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if part.starts_with('[') {
            break; // `[name, selector]`-style alternatives: stop at the parent
        }
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

/// Column of `key:` on this line (after any `- ` list markers), if the line holds that key.
fn key_column(line: &str, key: &str) -> Option<usize> {
    let mut col = indent(line);
    let mut rest = &line[col..];
    while let Some(r) = rest.strip_prefix("- ") {
        let trimmed = r.trim_start_matches(' ');
        col += rest.len() - trimmed.len();
        rest = trimmed;
    }
    for quoted in [format!("{key}:"), format!("\"{key}\":"), format!("'{key}':")] {
        if let Some(after) = rest.strip_prefix(quoted.as_str()) {
            if after.is_empty() || after.starts_with([' ', '\t']) {
                return Some(col);
            }
        }
    }
    None
}

/// The 1-based line of `field` in `doc`, if it can be found.
pub fn locate(doc: &Document, field: &str) -> Option<usize> {
    let file = &doc.file;
    file.text_of(&doc.value);
    let (mut start, end) = (doc.line, doc.end_line.max(doc.line).min(file.line_count()));
    let mut parent_col: Option<usize> = None;
    let mut found = None;
    for seg in segments(field) {
        let mut hit = None;
        match seg {
            Segment::Key(key) => {
                for n in start..=end {
                    let line = file.line_text(n);
                    if !is_content(line) {
                        continue;
                    }
                    if parent_col.is_some_and(|p| n > start && indent(line) <= p) {
                        break;
                    }
                    if let Some(col) = key_column(line, key) {
                        if parent_col.is_none_or(|p| col > p) {
                            hit = Some((n, col));
                            break;
                        }
                    }
                }
            }
            Segment::Index(i) => {
                let mut seen = 0;
                let mut item_col = None;
                for n in start + 1..=end {
                    let line = file.line_text(n);
                    if !is_content(line) {
                        continue;
                    }
                    let col = indent(line);
                    if parent_col.is_some_and(|p| col < p || (col == p && !line[col..].starts_with("- "))) {
                        break;
                    }
                    if line[col..].starts_with("- ") || line[col..].trim_end() == "-" {
                        if item_col.is_none() {
                            item_col = Some(col);
                        }
                        if item_col == Some(col) {
                            if seen == i {
                                hit = Some((n, col + 1));
                                break;
                            }
                            seen += 1;
                        }
                    }
                }
            }
        }
        match hit {
            Some((n, col)) => {
                found = Some(n);
                start = n;
                parent_col = Some(col);
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_file;

    #[test]
    fn finds_nested_fields_and_list_items() {
        let text = "apiVersion: v1\nkind: X\nmetadata:\n  name: a\nspec:\n  name: b\n  env:\n  - name: A\n    key: a\n  - key: b\n";
        let (_, docs) = parse_file("f.yaml".into(), "f.yaml".into(), text.as_bytes().to_vec()).unwrap();
        let d = &docs[0];
        assert_eq!(locate(d, "spec.name"), Some(6));
        assert_eq!(locate(d, "spec.env[1].key"), Some(10));
        assert_eq!(locate(d, "spec.env[0].key"), Some(9));
        assert_eq!(locate(d, "spec.env[1].name"), Some(10));
        assert_eq!(locate(d, "spec.workload.name"), Some(5), "falls back to the deepest field found");
        assert_eq!(locate(d, "status.x"), None);
    }
}
