//! Environment variable values as the kubelet reads them: a container `env[].value` is expanded
//! before the process starts (`$$` becomes `$`, `$(VAR)` the value of a variable defined earlier,
//! or stays as written when there is none). [`escape_literal`] writes a value so that the
//! container sees exactly that text; [`expand`] is the kubelet's expansion
//! (`k8s.io/kubernetes/third_party/forked/golang/expansion`), to check it.

/// The `env[].value` that makes the container see exactly `value`: every `$` doubled, so no
/// `$(VAR)` reference and no `$$` escape is left for the kubelet to expand.
pub fn escape_literal(value: &str) -> String {
    value.replace('$', "$$")
}

/// Expand `input` as the kubelet does: `$$` → `$`; `$(NAME)` → `lookup(NAME)`, or `$(NAME)`
/// itself when `lookup` gives `None`; a `$` that starts neither (before another character, an
/// unclosed `$(`, or at the end) is kept. (After a `$`, Go's code converts the next *byte* to a
/// rune, which garbles a non-ASCII character there; this keeps the character. Escaped literals
/// never have one: every `$` is followed by another.)
pub fn expand(input: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        out.push_str(&lookup(name).unwrap_or_else(|| format!("$({name})")));
                        close + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // The operator and the character after it, unchanged.
                    let c = rest.chars().next().expect("not empty");
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    out.push_str(&input[checkpoint.min(input.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "VAR_A" => Some("A".into()),
            "VAR_B" => Some("B".into()),
            "API_TOKEN" => Some("s3cr3t-token".into()),
            "VAR_EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    /// The cases of expansion's own tests (`expand_test.go`).
    #[test]
    fn expands_as_the_kubelet() {
        for (input, want) in [
            ("$(VAR_A)", "A"),
            ("___$(VAR_B)___", "___B___"),
            ("$(VAR_A)-$(VAR_B)", "A-B"),
            ("f000-$$VAR_A", "f000-$VAR_A"),
            ("foo\\$(VAR_A)", "foo\\A"),
            ("$(VAR_DNE)", "$(VAR_DNE)"),
            ("$(VAR_EMPTY)", ""),
            ("$$$(VAR_A)", "$A"),
            ("$$$$(VAR_A)", "$$(VAR_A)"),
            ("$$(VAR_A)", "$(VAR_A)"),
            ("$(VAR_A", "$(VAR_A"),
            ("$$", "$"),
            ("$", "$"),
            ("foo$", "foo$"),
            ("$foo", "$foo"),
            ("$é", "$é"),
            ("()", "()"),
        ] {
            assert_eq!(expand(input, env), want, "{input}");
        }
    }

    /// Whatever the value, the container sees it exactly (issue 19 item 4).
    #[test]
    fn escaped_literals_reach_the_container_unchanged() {
        for value in ["US$$5", "$$$(API_TOKEN)", "$(API_TOKEN)", "$(X)", "trailing$", "$", "$$", "a$b", "no dollar", "$é$(", ""] {
            assert_eq!(expand(&escape_literal(value), env), value, "{value}");
        }
        assert_eq!(escape_literal("US$$5"), "US$$$$5");
    }
}
