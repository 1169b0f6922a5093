//! YAML writer for Kubernetes manifests: block style as kubectl prints it, key order kept,
//! multi-line strings as literal blocks, and quoting that is safe for YAML 1.1 readers
//! (kubectl, sigs.k8s.io/yaml) as well as YAML 1.2 ones: a string is written plain only when
//! no reader could take it for anything but that string (`yes`, `on`, `0644`, `1_000`,
//! `2001-12-14`, `~` are quoted).

use serde_json::{Map, Value};

/// One document, without a `---` line.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0, None),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0, None),
        other => {
            write_scalar(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// Write a map's entries at `indent`; the first line starts with `first` instead of padding.
fn write_map(out: &mut String, m: &Map<String, Value>, indent: usize, mut first: Option<String>) {
    for (k, v) in m {
        out.push_str(&first.take().unwrap_or_else(|| pad(indent)));
        out.push_str(&key(k));
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, indent + 2, None);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, indent, None);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize, mut first: Option<String>) {
    for v in items {
        let lead = first.take().unwrap_or_else(|| pad(indent));
        let dash = format!("{lead}- ");
        match v {
            Value::Object(m) if !m.is_empty() => write_map(out, m, indent + 2, Some(dash)),
            Value::Array(a) if !a.is_empty() => write_seq(out, a, indent + 2, Some(format!("{lead}- "))),
            scalar => {
                out.push_str(&dash);
                write_scalar(out, scalar, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn key(k: &str) -> String {
    if k.contains('\n') || !is_plain_safe(k) {
        quote(k)
    } else {
        k.to_string()
    }
}

/// A scalar (or an empty collection) on the current line; block scalars continue at `indent`.
fn write_scalar(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::String(s) => {
            if s.contains('\n') && literal_ok(s) {
                write_literal(out, s, indent);
            } else if is_plain_safe(s) {
                out.push_str(s);
            } else {
                out.push_str(&quote(s));
            }
        }
    }
}

/// A literal block keeps text readable; it cannot carry other control characters, and a
/// string of only line breaks or blanks is clearer quoted.
fn literal_ok(s: &str) -> bool {
    !s.trim().is_empty() && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') && !s.contains('\u{feff}')
}

fn write_literal(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push('|');
    if body.starts_with([' ', '\t']) || body.starts_with('\n') {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let p = pad(indent);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&p);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Single quotes when that is enough, double quotes (with escapes) for control characters.
fn quote(s: &str) -> String {
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') || s.contains('\n') {
        let mut q = String::with_capacity(s.len() + 2);
        q.push('"');
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\r' => q.push_str("\\r"),
                '\t' => q.push_str("\\t"),
                '\0' => q.push_str("\\0"),
                c if c.is_control() || c == '\u{feff}' => q.push_str(&format!("\\u{:04x}", c as u32)),
                c => q.push(c),
            }
        }
        q.push('"');
        q
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// Words some YAML reader (1.1 or 1.2) resolves to null or a boolean.
const RESERVED: &[&str] = &[
    "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
    "FALSE", "on", "On", "ON", "off", "Off", "OFF", "<<", "=",
];

/// Whether `s` reads back as this same string, plain, under YAML 1.1 and 1.2.
pub fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else { return false };
    if RESERVED.contains(&s) {
        return false;
    }
    // Numbers in any notation (decimal, octal, hex, floats, .inf, sexagesimal, timestamps)
    // start with a digit, a sign or a dot: quote them all.
    if first.is_ascii_digit() || matches!(first, '+' | '.') {
        return false;
    }
    if first == '-' && s.chars().nth(1).is_none_or(|c| c.is_ascii_digit() || c == '.' || c == ' ') {
        return false;
    }
    if matches!(first, '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`') {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if s.ends_with([' ', '\t', ':']) || s.starts_with([' ', '\t']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains("\t#") {
        return false;
    }
    !s.chars().any(|c| c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_like_layout() {
        let v = json!({"a": {"b": [{"c": 1, "d": [1, "x"]}, "s"], "e": {}, "f": []}, "g": null});
        assert_eq!(to_string(&v), "a:\n  b:\n  - c: 1\n    d:\n    - 1\n    - x\n  - s\n  e: {}\n  f: []\ng: null\n");
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in
            ["yes", "on", "N", "0644", "1_000", "1:20", "2001-12-14", "~", "", " lead", "a: b", "-1", ".5", "<<", "#c", "{\"a\":1}", "true"]
        {
            assert!(!is_plain_safe(s), "{s:?} must be quoted");
        }
        for s in ["app", "app.kubernetes.io/name", "ghcr.io/x:1.0", "/bindings", "a-b", "metadata.annotations['x']", "-x"] {
            assert!(is_plain_safe(s), "{s:?} can be plain");
        }
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("a\u{1}"), "\"a\\u0001\"");
    }

    #[test]
    fn literal_blocks() {
        let v = json!({"k": "line1\nline2\n", "m": "x\ny", "p": "a\n\n\n", "o": "  indented\nz\n"});
        assert_eq!(to_string(&v), "k: |\n  line1\n  line2\nm: |-\n  x\n  y\np: |+\n  a\n\n\no: |2\n    indented\n  z\n");
    }

    #[test]
    fn round_trips_through_a_yaml_parser() {
        let v = json!({"a": ["yes", "0644", "x\ny\n", "tab\there", "q'uote", "ctl\u{7}", "  \n", "- dash", "k: v"], "n": 1.5, "i": -3,
                       "nested": [[1, 2], [{"a": "b"}]], "weird key: x": "v", "multi\nkey": 1});
        let text = to_string(&v);
        let back: serde_json::Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }
}
