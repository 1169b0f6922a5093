//! Helm's `# Source: chart/templates/x.yaml` comments: which template each document of a
//! `helm template` stream (or a post-renderer's stdin) came from.

/// The `# Source:` file of the document whose first content line is each of `lines` (1-based),
/// in order: the comment in the same `---`-separated segment, before that line. `None` where
/// the segment has none (a stream that is not helm's).
pub fn source_of_documents(text: &str, lines: &[usize]) -> Vec<Option<String>> {
    // (first line of the segment, its source), in order.
    let mut segments: Vec<(usize, Option<String>)> = vec![(1, None)];
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.starts_with("---") {
            segments.push((n + 1, None));
        } else if let Some(source) = line.strip_prefix("# Source: ") {
            let last = segments.last_mut().expect("one segment at least");
            if last.1.is_none() {
                last.1 = Some(source.trim().to_string());
            }
        }
    }
    lines.iter().map(|&line| segments.iter().rev().find(|(start, _)| *start <= line).and_then(|(_, source)| source.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_document_gets_the_source_comment_of_its_segment() {
        let text = "---\n# Source: shop/templates/s.yaml\napiVersion: v1\nkind: Secret\n---\n# Source: shop/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: ConfigMap\n";
        assert_eq!(
            source_of_documents(text, &[3, 7, 10]),
            [Some("shop/templates/s.yaml".to_string()), Some("shop/templates/cm.yaml".to_string()), None]
        );
        assert_eq!(source_of_documents("apiVersion: v1\nkind: A\n", &[1]), [None]);
    }
}
