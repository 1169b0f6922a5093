//! Text for terminals and CI logs: control characters that came from the input are escaped, so a
//! resource name, file name or message can neither rewrite the terminal (ESC and OSC sequences,
//! `\r`) nor start a line of its own (`\n`, which a CI log would read as a new line, e.g. a GitHub
//! Actions workflow command).
//!
//! Escaped are the C0 controls except TAB, DEL, the C1 controls, the Unicode line and paragraph
//! separators and the bidirectional embedding, override and isolate characters: `\n`, `\r` as
//! written here, everything else as `\u{1b}` (the form of Rust's `escape_debug`). Everything else —
//! TAB, other Unicode text, backslashes — is printed as it is. JSON and SARIF output escape in
//! their own syntax and need none of this.

use std::borrow::Cow;

/// Must `c` be escaped before it is printed for a human?
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character escaped (see the module documentation); borrowed when there
/// is none.
pub fn controls(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// [`controls`], but CR and LF are kept: for the GitHub workflow-command format, whose own
/// escaping encodes them (`%0D`, `%0A`).
pub fn controls_but_newlines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_unsafe(c) && !(keep_newlines && (c == '\n' || c == '\r'));
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Each line of `text` escaped, the line breaks between them kept: for text that is several
/// lines on purpose (a source snippet).
pub fn lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.split('\n').map(controls).collect::<Vec<_>>().join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_and_line_breaks_are_escaped() {
        assert_eq!(controls("db\u{1b}[2K\rall good"), "db\\u{1b}[2K\\rall good");
        assert_eq!(controls("x\u{1b}]52;c;aGk=\u{7}"), "x\\u{1b}]52;c;aGk=\\u{7}");
        assert_eq!(controls("a\n::warning::b"), "a\\n::warning::b");
        assert_eq!(controls("c1\u{85}\u{9b}31m del\u{7f}"), "c1\\u{85}\\u{9b}31m del\\u{7f}");
        assert_eq!(controls("rtl\u{202e}txt.yaml\u{2028}"), "rtl\\u{202e}txt.yaml\\u{2028}");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in ["plain", "tab\tkept", "café ✓ 日本", "back\\slash", ""] {
            assert!(matches!(controls(s), Cow::Borrowed(t) if t == s), "{s:?}");
        }
    }

    #[test]
    fn github_keeps_newlines_for_its_own_encoding() {
        assert_eq!(controls_but_newlines("a\r\nb\u{1b}[1m"), "a\r\nb\\u{1b}[1m");
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(lines("a: 1\nb: \u{1b}[2J\n"), "a: 1\nb: \\u{1b}[2J\n");
        assert!(matches!(lines("a\nb\n"), Cow::Borrowed(_)));
    }
}
