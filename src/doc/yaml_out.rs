//! YAML writer for Kubernetes manifests: block style as kubectl prints it, key order kept,
//! multi-line strings as literal blocks, and quoting that is safe for YAML 1.1 readers
//! (kubectl, sigs.k8s.io/yaml) as well as YAML 1.2 ones: a string is written plain only when
//! no reader could take it for anything but that string (`yes`, `on`, `0644`, `1_000`,
//! `2001-12-14`, `~` are quoted).

use crate::doc::value::{Map, Value};

/// One document, without a `---` line.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

/// Append one document (without a `---` line) to `out`.
pub fn write_document(out: &mut String, value: &Value) {
    match value {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0, false),
        Value::Array(a) if !a.is_empty() => write_seq(out, a, 0, false),
        other => {
            write_scalar(out, other, 0);
            out.push('\n');
        }
    }
}

/// Append `items` as the entries of a block sequence at indentation 0 (as [`write_document`] writes
/// a non-empty list that is the value of a top-level key).
pub fn write_sequence_entries(out: &mut String, items: &[Value]) {
    write_seq(out, items, 0, false);
}

/// Longest key written as an implicit (`key: value`) key; YAML allows 1024 characters.
const MAX_IMPLICIT_KEY: usize = 1000;

fn pad(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Write a map's entries at `indent`; when `lead_written`, the caller already wrote the first
/// line's prefix (`- ` of a sequence item) in place of the padding.
fn write_map(out: &mut String, m: &Map, indent: usize, mut lead_written: bool) {
    for (k, v) in m {
        if !std::mem::take(&mut lead_written) {
            pad(out, indent);
        }
        if k.len() > MAX_IMPLICIT_KEY / 6 {
            // Maybe too long for an implicit key: YAML readers refuse those beyond 1024
            // characters; an explicit `? key` entry has no limit.
            let mut written = String::new();
            write_key(&mut written, k);
            if written.chars().count() > MAX_IMPLICIT_KEY {
                out.push_str("? ");
                out.push_str(&written);
                out.push('\n');
                pad(out, indent);
            } else {
                out.push_str(&written);
            }
        } else {
            write_key(out, k);
        }
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, indent + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, indent, false);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize, mut lead_written: bool) {
    for v in items {
        if !std::mem::take(&mut lead_written) {
            pad(out, indent);
        }
        out.push_str("- ");
        match v {
            Value::Object(m) if !m.is_empty() => write_map(out, m, indent + 2, true),
            Value::Array(a) if !a.is_empty() => write_seq(out, a, indent + 2, true),
            scalar => {
                write_scalar(out, scalar, indent + 2);
                out.push('\n');
            }
        }
    }
}

fn write_key(out: &mut String, k: &str) {
    if k.contains('\n') || !is_plain_safe(k) {
        write_quoted(out, k);
    } else {
        out.push_str(k);
    }
}

/// A scalar (or an empty collection) on the current line; block scalars continue at `indent`.
fn write_scalar(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::String(s) => {
            if s.contains('\n') && literal_ok(s) {
                write_literal(out, s, indent);
            } else if is_plain_safe(s) {
                out.push_str(s);
            } else {
                write_quoted(out, s);
            }
        }
    }
}

/// Characters written only as escapes in double quotes: control characters (CR, NEL, …), the
/// BOM, and the line and paragraph separators, which YAML 1.1 readers (go-yaml, so kubectl)
/// take for line breaks and fold, while YAML 1.2 readers keep them.
fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// A literal block keeps text readable; it cannot carry characters that need an escape, and a
/// string of only line breaks or blanks is clearer quoted.
fn literal_ok(s: &str) -> bool {
    !s.trim().is_empty() && !s.chars().any(|c| needs_escape(c) && c != '\n' && c != '\t')
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
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Single quotes when that is enough, double quotes (with escapes) for control characters.
#[cfg(test)]
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    write_quoted(&mut q, s);
    q
}

fn write_quoted(q: &mut String, s: &str) {
    if s.chars().any(needs_escape) {
        q.push('"');
        for c in s.chars() {
            match c {
                '"' => q.push_str("\\\""),
                '\\' => q.push_str("\\\\"),
                '\n' => q.push_str("\\n"),
                '\r' => q.push_str("\\r"),
                '\t' => q.push_str("\\t"),
                '\0' => q.push_str("\\0"),
                c if needs_escape(c) => {
                    use std::fmt::Write as _;
                    let _ = write!(q, "\\u{:04x}", c as u32);
                }
                c => q.push(c),
            }
        }
        q.push('"');
    } else {
        q.push('\'');
        for c in s.chars() {
            if c == '\'' {
                q.push('\'');
            }
            q.push(c);
        }
        q.push('\'');
    }
}

/// Words some YAML reader (1.1 or 1.2) resolves to null or a boolean.
const RESERVED: &[&str] = &[
    "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
    "FALSE", "on", "On", "ON", "off", "Off", "OFF", "<<", "=",
];

/// Whether `s` reads back as this same string, plain, under YAML 1.1 and 1.2.
pub fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else { return false };
    if s.len() <= 5 && RESERVED.contains(&s) {
        return false;
    }
    // Numbers in any notation (decimal, octal, hex, floats, .inf, sexagesimal, timestamps)
    // start with a digit, a sign or a dot: quote them all.
    if first.is_ascii_digit() || matches!(first, b'+' | b'.') {
        return false;
    }
    if first == b'-' && bytes.get(1).is_none_or(|&c| c.is_ascii_digit() || c == b'.' || c == b' ') {
        return false;
    }
    if matches!(
        first,
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`'
    ) {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if s.ends_with([' ', '\t', ':']) || s.starts_with([' ', '\t']) {
        return false;
    }
    // One pass: `: `, ` #`, `:\t`, `\t#`, and control characters (ASCII ones here, the rest
    // below when the string is not ASCII).
    let mut prev = 0u8;
    let mut ascii = true;
    for &b in bytes {
        match (prev, b) {
            (b':', b' ' | b'\t') | (b' ' | b'\t', b'#') => return false,
            _ => {}
        }
        if b < 0x20 || b == 0x7f {
            return false;
        }
        ascii &= b < 0x80;
        prev = b;
    }
    ascii || !s.chars().any(|c| c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

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

    /// The straightforward form of [`is_plain_safe`] (several scans), kept as the oracle for
    /// the one-pass version.
    fn is_plain_safe_reference(s: &str) -> bool {
        let Some(first) = s.chars().next() else { return false };
        if RESERVED.contains(&s) {
            return false;
        }
        if first.is_ascii_digit() || matches!(first, '+' | '.') {
            return false;
        }
        if first == '-' && s.chars().nth(1).is_none_or(|c| c.is_ascii_digit() || c == '.' || c == ' ') {
            return false;
        }
        if matches!(first, '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`') {
            return false;
        }
        if s.starts_with("---") || s.starts_with("...") || s.ends_with([' ', '\t', ':']) || s.starts_with([' ', '\t']) {
            return false;
        }
        if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains("\t#") {
            return false;
        }
        !s.chars().any(|c| c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}')
    }

    #[test]
    fn one_pass_plain_check_agrees_with_the_reference() {
        let alphabet = [
            ' ', '\t', ':', '#', '-', '.', '+', '0', 'a', 'y', 'N', '\'', '"', '\n', '\u{7f}', '\u{85}', '\u{2028}', '\u{feff}', 'é', '~',
            '<', '=', '[', '/',
        ];
        let mut cases: Vec<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        cases.push(String::new());
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    cases.push([a, b, c].iter().collect());
                    cases.push(format!("x{a}{b}{c}x"));
                }
                cases.push([a, b].iter().collect());
            }
            cases.push(a.to_string());
        }
        for s in &cases {
            assert_eq!(is_plain_safe(s), is_plain_safe_reference(s), "{s:?}");
        }
    }

    #[test]
    fn keys_too_long_for_an_implicit_key_are_explicit() {
        // Found by the `load` fuzz target: a 1,100-character key was written as `key: value`,
        // which YAML readers refuse (implicit keys end within 1024 characters).
        let long = format!("matchLa{}ls", "\u{1e}".repeat(200));
        let plain = "k".repeat(1500);
        let v = json!({"a": {&long: {"ap:p keeper": null}, &plain: [1, {"b": "c"}], "s": [{&plain: "x", "t": 1}]}, "z": 1});
        let text = to_string(&v);
        assert!(text.contains(&format!("? {plain}\n")), "{text}");
        assert_eq!(crate::doc::yaml_in::parse_stream(&text).unwrap()[0].value, v, "{text}");
        let back: crate::doc::value::Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
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
        let back: crate::doc::value::Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
    }
}
