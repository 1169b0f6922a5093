//! YAML reader: a multi-document stream → JSON-model values, resolving plain scalars the way
//! kubectl does (sigs.k8s.io/yaml, YAML 1.1): `0644` is the octal integer 420, `yes`/`on` are
//! booleans, `1_000` is 1000. Quoted and block scalars are always strings. Anchors, aliases and
//! merge keys (`<<`) are supported; duplicate keys, nesting deeper than [`MAX_DEPTH`] and
//! alias expansion beyond [`MAX_ALIAS_NODES`] (a "billion laughs" file) are errors.
//!
//! Built on saphyr-parser's event stream, which keeps each scalar's style and position (the
//! serde_yaml family resolves scalars before we can see how they were written).

use std::collections::{HashMap, HashSet};

use crate::doc::value::{Map, Number, Str, Value};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

pub const MAX_DEPTH: usize = 512;
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// One document of a stream.
#[derive(Debug)]
pub struct ParsedDoc {
    pub value: Value,
    /// 1-based line of the document's root node.
    pub line: usize,
    /// 1-based line where the document's content ends.
    pub end_line: usize,
}

/// A syntax or structure error, with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

enum Frame {
    Seq { items: Vec<Value>, anchor: usize },
    Map { map: Map, key: Option<(Str, bool)>, merges: Vec<Value>, anchor: usize, seen: Option<HashSet<Str>> },
}

/// Up to this many keys a mapping finds duplicates by scanning its entries; a larger one keeps
/// a hash set of its keys while it is read (so a hostile 100,000-key mapping stays linear).
const SCAN_KEYS: usize = 32;

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    alias_nodes: usize,
    docs: Vec<ParsedDoc>,
    doc_line: usize,
}

fn err(span: &Span, message: impl Into<String>) -> YamlError {
    YamlError { line: span.start.line(), column: span.start.col() + 1, message: message.into() }
}

/// The text a non-string key is written as.
fn key_text(v: &Value) -> Str {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string().into(),
    }
}

impl Builder {
    /// Attach a finished node to its parent (or finish the document).
    fn push(&mut self, value: Value, anchor: usize, span: &Span, is_plain_merge_key: bool) -> Result<(), YamlError> {
        if anchor != 0 {
            let n = count_nodes(&value);
            self.anchors.insert(anchor, (value.clone(), n));
        }
        match self.stack.last_mut() {
            None => self.docs.push(ParsedDoc { value, line: self.doc_line, end_line: span.end.line().max(self.doc_line) }),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map { map, key, merges, seen, .. }) => match key.take() {
                None => {
                    let text = match value {
                        Value::String(s) => s,
                        // Kubernetes objects have string keys (the API server's JSON has no
                        // other kind). Writing a mapping key as JSON text would also double its
                        // escapes at every level of nesting: exponential output.
                        Value::Object(_) | Value::Array(_) => {
                            return Err(err(span, "a mapping or a list used as a mapping key (Kubernetes manifests have scalar keys)"))
                        }
                        other => key_text(&other),
                    };
                    *key = Some((text, is_plain_merge_key));
                }
                Some((_, true)) => match value {
                    Value::Object(_) => merges.push(value),
                    Value::Array(items) if items.iter().all(Value::is_object) => merges.extend(items),
                    _ => return Err(err(span, "merge key << needs a mapping or a list of mappings")),
                },
                Some((k, false)) => {
                    let duplicate = match seen {
                        Some(keys) => !keys.insert(k.clone()),
                        None if map.len() < SCAN_KEYS => map.contains_key(&k),
                        None => {
                            let mut keys: HashSet<Str> = map.keys().cloned().collect();
                            let duplicate = !keys.insert(k.clone());
                            *seen = Some(keys);
                            duplicate
                        }
                    };
                    if duplicate {
                        return Err(err(span, format!("duplicate mapping key {k:?}")));
                    }
                    map.push_unique(k, value);
                }
            },
        }
        Ok(())
    }
}

/// The scalar's text as a [`Str`]: inline when short, else an exact-size copy (a
/// scanner-built `String` may carry spare capacity, which adds up over a large input).
fn owned(text: std::borrow::Cow<'_, str>) -> Str {
    Str::from(text.as_ref())
}

/// Resolve a plain scalar as YAML 1.1 (go-yaml v2, which kubectl uses) would.
pub fn resolve_plain(s: &str) -> Value {
    resolve_plain_owned(std::borrow::Cow::Borrowed(s))
}

/// [`resolve_plain`] that moves the text into the string it returns (no copy).
fn resolve_plain_owned(text: std::borrow::Cow<'_, str>) -> Value {
    let s: &str = &text;
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => return Value::Bool(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Value::String(owned(text));
    }
    if let Some(i) = parse_int(s) {
        if let Ok(i) = i64::try_from(i) {
            return Value::Number(i.into());
        }
        if let Ok(u) = u64::try_from(i) {
            return Value::Number(u.into());
        }
    }
    if is_float(s) {
        if let Some(n) = s.replace('_', "").parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(owned(text))
}

/// Go's `strconv.ParseInt`/`ParseUint(s, 0, 64)` after removing `_`, as go-yaml v2 does:
/// `0x` hex, `0o`/leading-`0` octal, `0b` binary, else decimal.
fn parse_int(s: &str) -> Option<i128> {
    let plain = s.replace('_', "");
    let (neg, body) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    if body.is_empty() || !body.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let (digits, radix) = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
        (b, 2)
    } else if let Some(o) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
        (o, 8)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else {
        (body, 10)
    };
    if digits.is_empty() {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -magnitude } else { magnitude })
}

/// go-yaml v2's float pattern: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_float(s: &str) -> bool {
    let s = s.replace('_', "");
    let b = s.strip_prefix(['-', '+']).unwrap_or(&s);
    let (mantissa, exp) = match b.find(['e', 'E']) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() && !frac.is_empty() || !int.is_empty())
                && int.bytes().all(|c| c.is_ascii_digit())
                && frac.bytes().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|c| c.is_ascii_digit()),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

fn scalar(text: std::borrow::Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag.filter(|t| t.is_yaml_core_schema()) {
        match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => return Value::String(owned(text)),
            "null" => return Value::Null,
            // A string result is the text itself.
            "bool" | "int" | "float" => return resolve_plain_owned(text),
            _ => {}
        }
    }
    match style {
        ScalarStyle::Plain => resolve_plain_owned(text),
        _ => Value::String(owned(text)),
    }
}

/// A block scalar whose last line ends the input without a line break has no final line break
/// in its value (YAML 1.2's `b-chomped-last` allows the end of input in its place; libyaml and
/// go-yaml, and so kubectl, read it so). saphyr-parser adds one when that last line reaches the
/// block's indentation: remove it. `span` is the scalar's (from its first content line, whose
/// column is the block's indentation, to where the scanner stopped), `chars` the input's length
/// in characters. A block without content lines (only line breaks) is read right already.
fn clip_final_break_at_end_of_input(text: &mut std::borrow::Cow<'_, str>, span: &Span, chars: usize) {
    let at_end = span.end.index() == chars;
    let has_content = text.bytes().any(|b| b != b'\n');
    if at_end && has_content && span.end.col() >= span.start.col().max(1) && text.ends_with('\n') {
        text.to_mut().pop();
    }
}

/// Parse a whole stream.
pub fn parse_stream(text: &str) -> Result<Vec<ParsedDoc>, YamlError> {
    parse_counted(text, MAX_DEPTH).map(|(docs, _)| docs)
}

/// [`parse_stream`] with a nesting limit, also returning how many nodes aliases expanded to
/// (the limit [`MAX_ALIAS_NODES`] is on the whole stream: a caller parsing a stream in pieces
/// adds them up).
pub(crate) fn parse_counted(text: &str, max_depth: usize) -> Result<(Vec<ParsedDoc>, usize), YamlError> {
    let mut b = Builder { stack: Vec::new(), anchors: HashMap::new(), alias_nodes: 0, docs: Vec::new(), doc_line: 1 };
    let mut doc_started = false;
    let input = text;
    let ends_with_break = input.ends_with(['\n', '\r']);
    let mut total_chars: Option<usize> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) =
            event.map_err(|e| YamlError { line: e.marker().line(), column: e.marker().col() + 1, message: e.info().to_string() })?;
        if !doc_started && b.stack.is_empty() {
            if let Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..) | Event::Alias(..) = event {
                b.doc_line = span.start.line();
                doc_started = true;
            }
        }
        match event {
            Event::DocumentStart(_) => {
                doc_started = false;
                b.anchors.clear();
            }
            Event::Scalar(mut text, style, anchor, tag) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) && !ends_with_break {
                    let chars = *total_chars.get_or_insert_with(|| input.chars().count());
                    clip_final_break_at_end_of_input(&mut text, &span, chars);
                }
                // Keys stay as written: `on:` is the key "on", not "true".
                let is_key = matches!(b.stack.last(), Some(Frame::Map { key: None, .. }));
                let merge = is_key && style == ScalarStyle::Plain && text == "<<";
                let value = if is_key { Value::String(owned(text)) } else { scalar(text, style, tag.as_deref()) };
                b.push(value, anchor, &span, merge)?;
            }
            Event::Alias(id) => {
                let Some((value, nodes)) = b.anchors.get(&id).cloned() else {
                    return Err(err(&span, "alias to an unknown anchor"));
                };
                b.alias_nodes += nodes;
                if b.alias_nodes > MAX_ALIAS_NODES {
                    return Err(err(&span, format!("aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)")));
                }
                b.push(value, 0, &span, false)?;
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if b.stack.len() >= max_depth => {
                return Err(err(&span, format!("nesting deeper than {MAX_DEPTH} levels")));
            }
            Event::SequenceStart(anchor, _) => b.stack.push(Frame::Seq { items: Vec::new(), anchor }),
            Event::MappingStart(anchor, _) => {
                b.stack.push(Frame::Map { map: Map::new(), key: None, merges: Vec::new(), anchor, seen: None })
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { mut items, anchor }) = b.stack.pop() {
                    items.shrink_to_fit();
                    b.push(Value::Array(items), anchor, &span, false)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map { mut map, merges, anchor, .. }) = b.stack.pop() {
                    map.shrink_to_fit();
                    // Explicit keys win over merged ones; earlier merged maps win over later ones.
                    if !merges.is_empty() {
                        let mut keys: HashSet<Str> = map.keys().cloned().collect();
                        for merged in merges {
                            if let Value::Object(m) = merged {
                                for (k, v) in m {
                                    if keys.insert(k.clone()) {
                                        map.push_unique(k, v);
                                    }
                                }
                            }
                        }
                    }
                    b.push(Value::Object(map), anchor, &span, false)?;
                }
            }
            Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Ok((b.docs, b.alias_nodes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn one(text: &str) -> Value {
        parse_stream(text).unwrap().remove(0).value
    }

    #[test]
    fn short_keys_and_strings_need_no_allocation_of_their_own() {
        let long = "a-string-longer-than-twenty-four-bytes";
        let v = one(&format!("metadata:\n  name: svc-00000\n  '{long}': \"{long}\"\n"));
        let Value::Object(root) = &v else { panic!("a mapping") };
        let (key, meta) = root.iter().next().unwrap();
        assert!(!key.is_heap_allocated());
        let Value::Object(meta) = meta else { panic!("a mapping") };
        let entries: Vec<_> = meta.iter().collect();
        let Value::String(name) = entries[0].1 else { panic!("a string") };
        assert!(!entries[0].0.is_heap_allocated() && !name.is_heap_allocated());
        let Value::String(value) = entries[1].1 else { panic!("a string") };
        assert!(entries[1].0.is_heap_allocated() && value.is_heap_allocated());
        assert_eq!((entries[1].0.as_str(), value.as_str()), (long, long));
    }

    #[test]
    fn mapping_and_list_keys_are_refused() {
        for text in ["{[a, b]: 1}\n", "? {a: 1}\n: v\n", "[{{{{}}}}]\n"] {
            let e = parse_stream(text).unwrap_err();
            assert!(e.message.contains("scalar keys"), "{text}: {}", e.message);
        }
    }

    #[test]
    fn yaml_1_1_scalars_like_kubectl() {
        let v = one("a: 0644\nb: '0644'\nc: yes\nd: \"on\"\ne: 1_000\nf: 0x1F\ng: 1.5\nh: ~\ni: 2001-12-14\nj: -0o17\nk: 12345678901234567890\nl: .5\nm: !!str 42\nn: 1e3\n");
        assert_eq!(
            v,
            json!({"a": 420, "b": "0644", "c": true, "d": "on", "e": 1000, "f": 31, "g": 1.5, "h": null, "i": "2001-12-14", "j": -15,
                   "k": 12345678901234567890u64, "l": 0.5, "m": "42", "n": 1000.0})
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = one("base: &b {x: 1, y: 2}\nother: &o {z: 3}\nm:\n  <<: [*b, *o]\n  y: 9\nl: *b\n");
        assert_eq!(v["m"], json!({"y": 9, "x": 1, "z": 3}));
        assert_eq!(v["l"], json!({"x": 1, "y": 2}));
    }

    #[test]
    fn documents_and_lines() {
        let docs = parse_stream("# c\n---\na: 1\n---\n\nb: 2\n...\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!((docs[0].line, docs[1].line), (3, 6));
    }

    #[test]
    fn refuses_duplicates_bombs_and_depth() {
        assert!(parse_stream("a: 1\na: 2\n").unwrap_err().message.contains("duplicate"));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            bomb.push_str(&format!(
                "{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                (b'a' + i) as char,
                (b'a' + i) as char,
                p = (b'a' + i - 1) as char
            ));
        }
        assert!(parse_stream(&bomb).unwrap_err().message.contains("alias"));
        let deep = "[".repeat(100_000);
        assert!(parse_stream(&deep).is_err());
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse_stream("a: 1\nb: [\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        assert!(parse_stream("a:\n\tb: 1\n").is_err());
    }
}
