//! Parallel reading of one large stream (stdin, a KRM ResourceList): the text is cut into
//! documents — and a top-level `items:` list into its items — by a line scan, without a
//! parse, and the pieces are parsed in parallel (rayon), in order.
//!
//! A cut is made only where it is certain: at a `---` marker line or after a `...` line in
//! column 0 (YAML forbids both inside any scalar; inside a quoted scalar or a flow collection
//! the piece before the cut does not parse), and between the entries of a block sequence under
//! a column-0 `items:` key. Whenever a piece does not parse, or anything else is not plainly
//! certain (directives, a lone carriage return, a byte-order mark inside the stream, aliases
//! expanding past the stream's limit), the whole text is read by the sequential
//! [`parse_stream`], so results and errors (with their lines) are exactly its own.

use rayon::prelude::*;

use crate::doc::value::Value;
use crate::doc::yaml_in::{parse_counted, parse_stream, ParsedDoc, YamlError, MAX_ALIAS_NODES, MAX_DEPTH};

/// Below this size a stream is parsed sequentially (splitting would not pay).
const PARALLEL_BYTES: usize = 64 * 1024;

/// Parse a whole stream, in parallel pieces when it is large and the cuts are certain; the
/// result is always [`parse_stream`]'s.
pub fn parse_stream_parallel(text: &str) -> Result<Vec<ParsedDoc>, YamlError> {
    if text.len() < PARALLEL_BYTES {
        return parse_stream(text);
    }
    match parse_pieces(text) {
        Some(docs) => Ok(docs),
        None => parse_stream(text),
    }
}

/// One document's text: its byte range and the 1-based line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    start: usize,
    end: usize,
    line: usize,
}

/// `---` or `...` followed by a blank, or alone on its line.
fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// The documents of a stream by a line scan; `None` when a cut would not be certain.
fn split_documents(text: &str) -> Option<Vec<Piece>> {
    if text.contains(['\r', '\u{feff}']) {
        return None;
    }
    let mut pieces = Vec::new();
    let (mut start, mut start_line) = (0, 1);
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let content = line.strip_suffix('\n').unwrap_or(line);
        if content.starts_with('%') {
            return None; // a directive (or text that looks like one): read it in one piece
        }
        if is_marker(content, "---") && offset > start {
            pieces.push(Piece { start, end: offset, line: start_line });
            (start, start_line) = (offset, i + 1);
        }
        offset += line.len();
        if is_marker(content, "...") {
            pieces.push(Piece { start, end: offset, line: start_line });
            (start, start_line) = (offset, i + 2);
        }
    }
    if offset > start || pieces.is_empty() {
        pieces.push(Piece { start, end: offset, line: start_line });
    }
    Some(pieces)
}

/// A document's column-0 `items:` block sequence, cut into its entries: the document's text
/// with the entries' lines left blank (so that its lines stay where they are) and each entry's
/// text. `None` when there is no such list or its cut is not certain.
fn split_items(doc: &str) -> Option<(String, Vec<&str>)> {
    let lines: Vec<&str> = doc.split_inclusive('\n').collect();
    let content = |l: &str| l.strip_suffix('\n').unwrap_or(l).to_string();
    let is_items_key = |l: &str| {
        let c = content(l);
        c.strip_prefix("items:").is_some_and(|rest| {
            let rest = rest.trim_start_matches([' ', '\t']);
            rest.is_empty() || rest.starts_with('#')
        })
    };
    let mut keys = lines.iter().enumerate().filter(|(_, l)| is_items_key(l));
    let (key, _) = keys.next()?;
    if keys.next().is_some() {
        return None; // a duplicate key: the sequential reader reports it
    }
    let blank_or_comment = |l: &str| {
        let t = l.trim_start_matches([' ', '\t']).trim_end_matches('\n');
        t.is_empty() || t.starts_with('#')
    };
    let first = (key + 1..lines.len()).find(|&i| !blank_or_comment(lines[i]))?;
    let indent = lines[first].len() - lines[first].trim_start_matches(' ').len();
    let is_entry = |l: &str| {
        let c = content(l);
        c.get(indent..).is_some_and(|r| c[..indent].bytes().all(|b| b == b' ') && (r == "-" || r.starts_with("- ")))
    };
    if !is_entry(lines[first]) {
        return None;
    }
    let mut entries: Vec<(usize, usize)> = Vec::new(); // line ranges
    let mut end = lines.len();
    for (i, l) in lines.iter().enumerate().skip(first) {
        if blank_or_comment(l) {
            continue;
        }
        let spaces = l.len() - l.trim_start_matches(' ').len();
        if is_entry(l) {
            if let Some(last) = entries.last_mut() {
                last.1 = i;
            }
            entries.push((i, lines.len()));
        } else if spaces > indent {
            continue; // inside the current entry
        } else if spaces == 0 && !l.starts_with(['-', '\t']) {
            end = i; // the next key of the document
            if let Some(last) = entries.last_mut() {
                last.1 = i;
            }
            break;
        } else {
            return None;
        }
    }
    // Trailing blank and comment lines of the last entry stay with it (as the parser sees them).
    let mut offsets = Vec::with_capacity(lines.len() + 1);
    let mut o = 0;
    for l in &lines {
        offsets.push(o);
        o += l.len();
    }
    offsets.push(o);
    let texts: Vec<&str> = entries.iter().map(|&(a, b)| &doc[offsets[a]..offsets[b]]).collect();
    let mut rest = String::with_capacity(offsets[first] + (end - first) + (o - offsets[end]));
    rest.push_str(&doc[..offsets[first]]);
    rest.extend(std::iter::repeat_n('\n', end - first));
    rest.push_str(&doc[offsets[end]..]);
    Some((rest, texts))
}

/// The parse of one document piece and how many nodes its aliases expanded to; `None` when
/// it must be read in one piece with the rest of the stream.
fn parse_piece(text: &str) -> Option<(Vec<ParsedDoc>, usize)> {
    let Some((rest, entries)) = split_items(text).filter(|(_, e)| e.len() > 1) else {
        return parse_counted(text, MAX_DEPTH).ok();
    };
    // An entry is read as a one-entry sequence of its own: one level less deep than in place.
    let parsed: Vec<Option<(Value, usize)>> = entries
        .par_iter()
        .map(|entry| {
            let (mut docs, aliases) = parse_counted(entry, MAX_DEPTH - 1).ok()?;
            match (docs.len(), docs.pop()) {
                (1, Some(ParsedDoc { value: Value::Array(mut items), .. })) if items.len() == 1 => Some((items.pop()?, aliases)),
                _ => None,
            }
        })
        .collect();
    let (mut docs, mut aliases) = parse_counted(&rest, MAX_DEPTH).ok()?;
    let [ParsedDoc { value: Value::Object(map), .. }] = docs.as_mut_slice() else { return None };
    if !map.get("items").is_some_and(Value::is_null) {
        return None;
    }
    let mut items = Vec::with_capacity(parsed.len());
    for p in parsed {
        let (item, n) = p?;
        items.push(item);
        aliases += n;
    }
    *map.get_mut("items")? = Value::Array(items);
    Some((docs, aliases))
}

/// Every document of the stream from pieces parsed in parallel, lines as in the whole text;
/// `None` when the stream must be read in one piece.
fn parse_pieces(text: &str) -> Option<Vec<ParsedDoc>> {
    let pieces = split_documents(text)?;
    let parsed: Vec<Option<(Vec<ParsedDoc>, usize)>> = pieces.par_iter().map(|p| parse_piece(&text[p.start..p.end])).collect();
    let mut docs = Vec::with_capacity(pieces.len());
    let mut aliases = 0usize;
    for (piece, p) in pieces.iter().zip(parsed) {
        let (piece_docs, n) = p?;
        aliases += n;
        for mut d in piece_docs {
            d.line += piece.line - 1;
            d.end_line += piece.line - 1;
            docs.push(d);
        }
    }
    (aliases <= MAX_ALIAS_NODES).then_some(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces' parse must be the sequential one, document for document and line for line.
    fn same(text: &str) {
        let whole = parse_stream(text);
        let split = parse_pieces(text);
        match (&whole, split) {
            (Ok(w), Some(s)) => {
                assert_eq!(w.len(), s.len(), "{text:?}");
                for (a, b) in w.iter().zip(&s) {
                    assert_eq!((&a.value, a.line, a.end_line), (&b.value, b.line, b.end_line), "{text:?}");
                }
            }
            (_, None) => {} // read in one piece: the sequential result by definition
            (Err(e), Some(_)) => panic!("the pieces parse but the stream does not ({e:?}): {text:?}"),
        }
        assert_eq!(format!("{:?}", parse_stream_parallel(text).map(|d| d.len())), format!("{:?}", whole.map(|d| d.len())));
    }

    #[test]
    fn cuts_at_markers_and_keeps_lines() {
        let text = "# license\n---\napiVersion: v1\nkind: A\n---   \n\n# c\napiVersion: v1\nkind: B\n...\n# after\nc: 1\n--- !!map\nd: 2\n";
        assert_eq!(split_documents(text).unwrap().len(), 5);
        assert!(parse_pieces(text).is_some());
        same(text);
        same("a: 1\n---\n---\nb: 2\n---\n");
        same("---\n");
        same("");
        same("a: 1\n...\n...\n---\nb: |\n  x\n...");
    }

    #[test]
    fn markers_inside_scalars_and_flows() {
        for text in [
            "a: |\n  x\n---\n  y\nb: 1\n",
            "--- |\ntext\n---\nmore\n",
            "--- |\ntext\n...\nmore\n",
            "a: \"x\n---\n y\"\n",
            "a: 'x\n---\n y'\n",
            "a: [1,\n---\n 2]\n",
            "a: {b: 1,\n---\n}\n",
            "--- plain\ntext\n---\nmore\n",
            "a: |\n  x\n---\tb: 1\n",
            "a: >\n\n---\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n%YAML 1.2\n---\nb: 2\n",
            "a: &x 1\n---\nb: *x\n",
            "a: 1\r---\rb: 2\r",
            "a: 1\n---\n\u{feff}b: 2\n",
            "a: |\n  x\n---",
            "a: |-\n  x\n---\nb: |\n  y",
        ] {
            same(text);
        }
    }

    #[test]
    fn cuts_a_resource_list_into_items() {
        let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: A\n  data: |\n    x\n- apiVersion: v1 # c\n  kind: B\n\n# between\n- {apiVersion: v1, kind: C}\n-\n  apiVersion: v1\n  kind: D\nfunctionConfig:\n  a: 1\n";
        let (rest, items) = split_items(list).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(rest.lines().count(), list.lines().count());
        same(list);
        same(
            &list
                .replace("\n- ", "\n  - ")
                .replace("\n-\n", "\n  -\n")
                .replace("\n  apiVersion: v1\n  kind: D", "\n    apiVersion: v1\n    kind: D")
                .replace("\n  kind: A\n  data: |\n    x", "\n    kind: A\n    data: |\n      x")
                .replace("\n  kind: B", "\n    kind: B"),
        );
        for text in [
            // not certain: the sequential reader decides
            "items:\n- a: &x 1\n- b: *x\n",
            "items:\n- a\n- b\nitems:\n- c\n",
            "items:\n  - a\n - b\n",
            "items:\n- a: \"x\n- y\"\n- c\n",
            "items:\n- a: [1,\n- 2]\n- c\n",
            "k: &x 1\nitems:\n- a: *x\n- b\n",
            "items:\n- a: &x 1\n- b\nlast: *x\n",
            "items:\n- a\n- b\n  c: 1\n",
            "items:\n- a: |\n   x\n- b\n",
            "items: # c\n- a\n- b\n...\n",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: A\n- apiVersion: v1\n  kind: B\n",
        ] {
            same(text);
        }
    }

    #[test]
    fn large_streams_are_parsed_in_pieces() {
        let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n    ---\n    b\n";
        let text = format!("---\n{doc}").repeat(2000);
        let docs = parse_stream_parallel(&text).unwrap();
        assert_eq!(docs.len(), 2000);
        assert_eq!((docs[1999].line, docs[1999].end_line), (1999 * 9 + 2, 2000 * 9 + 1));
        same(&text);
        let items =
            format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{}", "- apiVersion: v1\n  kind: A\n".repeat(5000));
        same(&items);
        assert_eq!(parse_stream_parallel(&items).unwrap()[0].value["items"].as_array().unwrap().len(), 5000);
    }

    #[test]
    fn an_alias_bomb_over_pieces_is_refused_as_in_one_piece() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..5u8 {
            let p = (b'a' + i - 1) as char;
            doc.push_str(&format!(
                "{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                (b'a' + i) as char,
                (b'a' + i) as char
            ));
        }
        // Each document expands aliases to 123,440 nodes: ten are over the limit together.
        let text = format!("---\n{doc}").repeat(10);
        assert!(parse_stream(&text).is_err());
        assert!(parse_pieces(&text).is_none());
        assert!(parse_stream_parallel(&text).unwrap_err().message.contains("alias"));
    }
}
