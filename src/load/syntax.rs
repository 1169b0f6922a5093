//! Syntax errors that point at the mistake. A YAML (or JSON) parser notices an unclosed `[` or
//! `{`, or a Helm template's `{{`, only lines later, where the text stops making sense; this
//! module reads the document up to where the parser stopped and, when it finds one of these
//! mistakes before it, names its line and column instead (the parser's own words stay in the
//! message).
//!
//! It is a light scan, not a parser: it knows comments, quoted strings (also over several
//! lines), block scalars (`|`, `>`), flow collections, and where a YAML node starts (a `{{`
//! inside a plain scalar such as `image: app:{{ .Values.tag }}` is valid YAML and is left alone).

/// A syntax error, where the mistake is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    /// 1-based line and column (in characters).
    pub line: usize,
    pub column: usize,
    /// What is wrong, in words (without the `invalid YAML:` prefix).
    pub message: String,
}

/// Where the mistake behind a parse error at 1-based `line`/`column` (with the parser's
/// `message`) is, when it is earlier than where the parser stopped; `None` when the parser's
/// place is the best there is.
pub fn locate(text: &str, line: usize, column: usize, message: &str) -> Option<Mistake> {
    let lines: Vec<&str> = text.split('\n').collect();
    let line = line.clamp(1, lines.len());
    let start = document_start(&lines, line);
    let scan = Scanner::scan(&lines[start - 1..line], start, column);
    let stopped = format!("the parser stopped at line {line}: {message}");
    if let Some((l, c)) = scan.template {
        return Some(Mistake {
            line: l,
            column: c,
            message: format!(
                "`{{{{` starts a Go template (a Helm chart's template?), which is not YAML: render it first (`helm template …`) and give bindery the result ({stopped})"
            ),
        });
    }
    if let Some(q) = scan.quote.filter(|q| q.line < line) {
        return Some(Mistake {
            line: q.line,
            column: q.column,
            message: format!("the quoted string that starts here is never closed ({stopped})"),
        });
    }
    // An open flow collection explains the error when the text went back to block structure
    // after it: a `key: value` or `- item` line indented no deeper than the line that opened it.
    let open = scan.flow.last().filter(|o| o.line < line)?;
    let back_to_block = lines[open.line..line].iter().any(|l| {
        let body = l.trim_start();
        let block_like = body.starts_with("- ") || body.contains(": ") || body.ends_with(':');
        block_like && !body.starts_with('#') && indent(l) <= open.indent
    });
    // …or when the document ended with it open.
    let at_end = is_separator(lines[line - 1]) || lines[line - 1..].iter().all(|l| l.trim().is_empty());
    let back_to_block = back_to_block || at_end;
    back_to_block.then(|| Mistake {
        line: open.line,
        column: open.column,
        message: format!("this `{}` is never closed ({stopped})", open.bracket),
    })
}

/// The 1-based first line of the document that holds `line` (after the last `---` before it).
fn document_start(lines: &[&str], line: usize) -> usize {
    (1..line).rev().find(|&n| is_separator(lines[n - 1])).map_or(1, |n| n + 1)
}

fn is_separator(line: &str) -> bool {
    (line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace)) || line.trim_end() == "..."
}

/// Does a token start at `i` (a quote there opens a quoted scalar)?
fn starts_token(chars: &[char], i: usize) -> bool {
    chars[..i].iter().rev().find(|c| **c != ' ').is_none_or(|c| matches!(c, '[' | '{' | ',' | ':' | '-' | '?'))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

#[derive(Debug, Clone, Copy)]
struct Open {
    line: usize,
    column: usize,
    bracket: char,
    /// Indentation of the line it opened on.
    indent: usize,
}

#[derive(Debug, Default)]
struct Scanner {
    /// Open flow collections, innermost last.
    flow: Vec<Open>,
    /// An open quoted string.
    quote: Option<Open>,
    /// Inside a block scalar whose content is indented more than this.
    block_scalar: Option<usize>,
    /// The first `{{` where a node starts.
    template: Option<(usize, usize)>,
}

impl Scanner {
    /// Scan `lines` (the first is 1-based line `first`), the last only before `column`.
    fn scan(lines: &[&str], first: usize, column: usize) -> Scanner {
        let mut s = Scanner::default();
        for (i, text) in lines.iter().enumerate() {
            let chars: Vec<char> = text.chars().collect();
            let end = if i + 1 == lines.len() { column.saturating_sub(1).min(chars.len()) } else { chars.len() };
            s.line(first + i, &chars[..end], indent(text));
            if s.template.is_some() {
                break;
            }
        }
        s
    }

    fn line(&mut self, n: usize, chars: &[char], indent: usize) {
        if let Some(parent) = self.block_scalar {
            let blank = chars.iter().all(|c| *c == ' ');
            if blank || indent > parent {
                return;
            }
            self.block_scalar = None;
        }
        let mut i = 0;
        if self.quote.is_some() {
            i = match self.close_quote(chars, 0) {
                Some(after) => after,
                None => return,
            };
        }
        if self.flow.is_empty() && self.quote.is_none() && i == 0 {
            i = self.block_line(n, chars, indent);
        }
        self.flow_from(n, chars, i, indent);
    }

    /// A line in block context: skip `- ` indicators and a key, look at where the value starts.
    /// Returns where flow scanning goes on (the line's end when there is no flow collection).
    fn block_line(&mut self, n: usize, chars: &[char], indent: usize) -> usize {
        let mut i = indent;
        let mut parent = indent;
        while chars.get(i) == Some(&'-') && chars.get(i + 1).is_none_or(|c| *c == ' ') {
            parent = i;
            i += 1;
            while chars.get(i) == Some(&' ') {
                i += 1;
            }
        }
        if self.node_start(n, chars, i, parent) {
            return i;
        }
        // A key: up to `: ` or a final `:` (outside quotes); then the value.
        let mut j = i;
        let mut quote: Option<char> = None;
        while j < chars.len() {
            let c = chars[j];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if j == i && (c == '"' || c == '\'') => quote = Some(c),
                None if c == '#' && j > 0 && chars[j - 1] == ' ' => return chars.len(),
                None if c == ':' && chars.get(j + 1).is_none_or(|c| *c == ' ') => {
                    let mut k = j + 1;
                    while chars.get(k) == Some(&' ') {
                        k += 1;
                    }
                    return if self.node_start(n, chars, k, i) { k } else { chars.len() };
                }
                None => {}
            }
            j += 1;
        }
        chars.len()
    }

    /// At `i` a node starts: note a template, a flow collection, a quote or a block scalar.
    /// `true` when flow scanning must go on from `i`.
    fn node_start(&mut self, n: usize, chars: &[char], i: usize, parent: usize) -> bool {
        match chars.get(i) {
            Some('{') if chars.get(i + 1) == Some(&'{') => {
                self.template.get_or_insert((n, i + 1));
                false
            }
            Some('[' | '{' | '"' | '\'') => true,
            Some('|' | '>') => {
                self.block_scalar = Some(parent);
                false
            }
            _ => false,
        }
    }

    /// Flow context from `i`: brackets, quotes, comments.
    fn flow_from(&mut self, n: usize, chars: &[char], mut i: usize, indent: usize) {
        while i < chars.len() {
            let c = chars[i];
            let in_flow = !self.flow.is_empty();
            match c {
                '{' if chars.get(i + 1) == Some(&'{') => {
                    self.template.get_or_insert((n, i + 1));
                    return;
                }
                '[' | '{' => self.flow.push(Open { line: n, column: i + 1, bracket: c, indent }),
                ']' | '}' if in_flow => {
                    self.flow.pop();
                }
                '"' | '\'' if starts_token(chars, i) => {
                    self.quote = Some(Open { line: n, column: i + 1, bracket: c, indent });
                    match self.close_quote(chars, i + 1) {
                        Some(after) => {
                            i = after;
                            continue;
                        }
                        None => return,
                    }
                }
                '#' if i == 0 || chars[i - 1] == ' ' => return,
                _ => {}
            }
            if self.flow.is_empty() {
                return; // the collection closed; the rest of the line is no node start
            }
            i += 1;
        }
    }

    /// The open quote closes at or after `from`: the index after it, or `None` (still open).
    fn close_quote(&mut self, chars: &[char], from: usize) -> Option<usize> {
        let q = self.quote?.bracket;
        let mut i = from;
        while i < chars.len() {
            match chars[i] {
                '\\' if q == '"' => i += 1,
                '\'' if q == '\'' && chars.get(i + 1) == Some(&'\'') => i += 1,
                c if c == q => {
                    self.quote = None;
                    return Some(i + 1);
                }
                _ => {}
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, line: usize, column: usize) -> Option<(usize, usize)> {
        locate(text, line, column, "parser words").map(|m| (m.line, m.column))
    }

    #[test]
    fn an_unclosed_bracket_is_named_where_it_opens() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  list: [a, b\n  other: x\n  more: y\n";
        assert_eq!(at(text, 5, 8), Some((4, 9)));
        let m = locate(text, 5, 8, "illegal placement of ':' indicator").unwrap();
        assert_eq!(m.message, "this `[` is never closed (the parser stopped at line 5: illegal placement of ':' indicator)");
        let brace = "kind: ConfigMap\ndata:\n  m: {a: 1, b: 2\n  other: x\n";
        assert_eq!(at(brace, 4, 8), Some((3, 6)));
        assert_eq!(at("kind: A\nlist: [a, b\n", 3, 1), Some((2, 7)));
        assert_eq!(at("kind: A\nlist: [a, b\n---\nkind: B\n", 3, 1), Some((2, 7)));
        let json = "{\n  \"kind\": \"ConfigMap\",\n  \"data\": [1, 2,\n  \"b\": 3\n}\n";
        assert_eq!(at(json, 4, 6), Some((3, 11)));
    }

    #[test]
    fn a_multi_line_flow_collection_with_a_later_mistake_keeps_the_parsers_place() {
        assert_eq!(at("kind: A\nargs: [a, b,\n    c d: [x\n    e]\n", 4, 5), None);
        assert_eq!(at("kind: A\nargs: [a, b,\n  c: d,\n  e f\n", 4, 5), None);
        // JSON with a missing comma: the error is where the parser says.
        assert_eq!(at("{\n  \"a\": 1\n  \"b\": 2\n}\n", 3, 3), None);
        // Brackets in comments, quotes and plain scalars are not collections.
        assert_eq!(at("kind: A # [\nx: \"[\"\ny: a[0]\nz: '{'\n bad: 1\n", 5, 5), None);
    }

    #[test]
    fn a_template_is_named_where_it_starts() {
        let helm = "kind: ConfigMap\nmetadata:\n  name: a\n  labels:\n{{ include \"x\" . | indent 4 }}\ndata:\n  a: b\n";
        let m = locate(helm, 6, 1, "simple key expect ':'").unwrap();
        assert_eq!((m.line, m.column), (5, 1));
        assert!(m.message.starts_with("`{{` starts a Go template"), "{}", m.message);
        assert_eq!(at("kind: A\nmetadata:\n  name: {{ .Values.name }}\n", 3, 25), Some((3, 9)));
        assert_eq!(at("kind: A\nargs: [{{ .Values.x }}]\nb: [\n", 4, 1), Some((2, 8)));
        // Inside a plain scalar, a block scalar or a quoted string a `{{` is text.
        assert_eq!(at("image: app:{{ .Values.tag }}\nscript: |\n  {{ x }}\nq: \"{{ y }}\"\n bad: 1\n", 5, 5), None);
    }

    #[test]
    fn an_unclosed_quote_is_named_where_it_opens() {
        let text = "kind: A\ndata:\n  q: \"unclosed\n    text\n  other: x\n";
        assert_eq!(at(text, 5, 3), Some((3, 6)));
        assert_eq!(at("kind: A\nq: 'it''s\n  fine'\n bad: [\n", 4, 6), None);
    }

    #[test]
    fn only_the_document_of_the_error_is_read() {
        let text = "kind: A\nlist: [a\n---\nkind: B\nx: 1\n y: 2\n";
        assert_eq!(at(text, 6, 3), None);
    }
}
