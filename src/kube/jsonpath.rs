//! Kubernetes JSONPath as used by ClusterWorkloadResourceMappings: the restricted "Fixed
//! JSONPath" (field names only) evaluated by hand, and the full container `path` translated
//! into RFC 9535 syntax and evaluated with jsonpath-rust.

use crate::doc::value::{Map, Value};
use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::query::queryable::Queryable;

/// Why a JSONPath expression or template cannot be used, or what it could not find.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonPathError {
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A Fixed JSONPath holds something other than field names (upstream: "unsupported node").
    #[error("unsupported node: {what} in {expr:?}")]
    Unsupported { what: &'static str, expr: String },
    #[error("unsupported node: only field names are allowed in a fixed JSONPath, got {expr:?}")]
    NotFieldNames { expr: String },
    #[error("unsupported node: unexpected {found:?} in fixed JSONPath {expr:?}")]
    UnexpectedInFixed { found: char, expr: String },
    #[error("too many root nodes in {expr:?}")]
    TooManyRoots { expr: String },
    #[error("empty field name in {expr:?}")]
    EmptyFieldName { expr: String },
    #[error("unterminated [ in {expr:?}")]
    UnterminatedBracket { expr: String },
    #[error("unexpected {found:?} in {expr:?}")]
    UnexpectedInSubscript { found: char, expr: String },
    #[error("unsupported subscript [{subscript}] in {expr:?}")]
    UnsupportedSubscript { subscript: String, expr: String },
    #[error("unexpected {found:?} in JSONPath {expr:?}")]
    Unexpected { found: char, expr: String },
    /// jsonpath-rust refused the translated expression.
    #[error("invalid JSONPath {expr:?}: {reason}")]
    Invalid { expr: String, reason: String },
    #[error("unclosed action in {template:?}")]
    UnclosedAction { template: String },
    /// A definite path found nothing (client-go: "`<name>` is not found").
    #[error("{field} is not found")]
    NotFound { field: String },
    /// A fixed path meets a non-map before its last key.
    #[error("expected an object at .{at}, found {found}")]
    NotAnObject { at: String, found: &'static str },
    /// A template's expression would find too much or visit too much ([`MAX_RESULTS`],
    /// [`MAX_WORK`]).
    #[error("JSONPath {expr:?} exceeds the evaluation bounds (at most {MAX_RESULTS} results and {MAX_WORK} nodes visited per expression)")]
    TooExpensive { expr: String },
    /// Recursive descent inside a filter is not evaluated (its cost cannot be bounded).
    #[error("unsupported node: recursive descent inside a filter in {expr:?}")]
    DescentInFilter { expr: String },
    /// A filter reading the root (`$`) in an expression with recursive descent or a union.
    #[error("unsupported node: a filter reading the root ($) together with recursive descent or a union in {expr:?}")]
    RootInFilter { expr: String },
    /// The expression parsed but its evaluation failed (the library's reason is not shown: it
    /// may print the data).
    #[error("JSONPath {expr:?} cannot be evaluated")]
    Unevaluable { expr: String },
}

/// At most this many values per template expression, after each of its steps.
pub const MAX_RESULTS: usize = 10_000;
/// At most this many nodes visited per template expression (a step over a node visits the
/// node, or its children for `*` and slices, or its whole subtree for `..` and filters; each
/// result copied counts its nodes and every 64 bytes of its strings).
pub const MAX_WORK: usize = 1_000_000;

/// Read a field name after `.`: it runs until a delimiter; a backslash escapes (and is removed).
fn read_name(chars: &[char], mut i: usize) -> (String, usize) {
    let mut name = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            name.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}') {
            break;
        }
        name.push(c);
        i += 1;
    }
    (name, i)
}

/// Read a quoted string starting at the quote at `i`; returns the content and the index after
/// the closing quote.
fn read_quoted(chars: &[char], i: usize) -> Result<(String, usize), JsonPathError> {
    let q = chars[i];
    let mut j = i + 1;
    let mut s = String::new();
    while j < chars.len() && chars[j] != q {
        if chars[j] == '\\' && j + 1 < chars.len() {
            j += 1;
        }
        s.push(chars[j]);
        j += 1;
    }
    if j >= chars.len() {
        return Err(JsonPathError::UnterminatedQuote);
    }
    Ok((s, j + 1))
}

/// Parse a Fixed JSONPath (`.a.b`, `['a']['b']`, mixed; `\.` escapes a dot) into its keys.
/// Anything else (wildcards, indices, filters, recursive descent, literals) is refused with the
/// upstream wording ("unsupported node: …"). The empty expression is the object itself.
pub fn parse_fixed(expr: &str) -> Result<Vec<String>, JsonPathError> {
    let chars: Vec<char> = expr.trim().chars().collect();
    let mut keys = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '$' | '@' if i == 0 => i += 1,
            '.' => {
                if chars.get(i + 1) == Some(&'.') {
                    return Err(JsonPathError::Unsupported { what: "recursive descent", expr: expr.to_string() });
                }
                if chars.get(i + 1) == Some(&'*') {
                    return Err(JsonPathError::Unsupported { what: "wildcard", expr: expr.to_string() });
                }
                let (name, next) = read_name(&chars, i + 1);
                if name.is_empty() {
                    return Err(JsonPathError::Unsupported { what: "empty field name", expr: expr.to_string() });
                }
                keys.push(name);
                i = next;
            }
            '[' => {
                let inner = chars.get(i + 1).copied();
                if !matches!(inner, Some('\'' | '"')) {
                    return Err(JsonPathError::NotFieldNames { expr: expr.to_string() });
                }
                let (content, next) = read_quoted(&chars, i + 1)?;
                if chars.get(next) != Some(&']') {
                    return Err(JsonPathError::NotFieldNames { expr: expr.to_string() });
                }
                // The Kubernetes parser re-parses the bracket text as `.content`.
                keys.extend(parse_fixed(&format!(".{content}"))?);
                i = next + 1;
            }
            '{' | '}' => return Err(JsonPathError::TooManyRoots { expr: expr.to_string() }),
            found => return Err(JsonPathError::UnexpectedInFixed { found, expr: expr.to_string() }),
        }
    }
    Ok(keys)
}

/// Read the value at a fixed path: `Ok(None)` when a key is missing or null on the way,
/// an error when a non-map is met before the last key.
pub fn get_fixed<'v>(root: &'v Value, keys: &[String]) -> Result<Option<&'v Value>, JsonPathError> {
    let mut cur = root;
    for (n, key) in keys.iter().enumerate() {
        match cur {
            Value::Object(m) => match m.get(key) {
                None | Some(Value::Null) => return Ok(None),
                Some(v) => cur = v,
            },
            Value::Null => return Ok(None),
            _ => return Err(JsonPathError::NotAnObject { at: keys[..n].join("."), found: crate::kube::type_name(cur) }),
        }
    }
    Ok(Some(cur))
}

/// The slot at a fixed path, creating missing or null maps on the way. The last key's value
/// is returned for the caller to replace. Errors when a non-map is met on the way.
pub fn slot_fixed<'v>(root: &'v mut Value, keys: &[String]) -> Result<&'v mut Value, JsonPathError> {
    let mut cur = root;
    for (n, key) in keys.iter().enumerate() {
        if cur.is_null() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else {
            return Err(JsonPathError::NotAnObject { at: keys[..n].join("."), found: crate::kube::type_name(cur) });
        };
        cur = m.entry(key.clone()).or_insert(Value::Null);
    }
    Ok(cur)
}

/// Remove the value at a fixed path (used to drop a collection that unprojection emptied),
/// and any map on the way that this leaves empty (the document root stays).
pub fn remove_fixed(root: &mut Value, keys: &[String]) {
    fn remove(cur: &mut Value, keys: &[String]) -> bool {
        let Some((first, rest)) = keys.split_first() else { return false };
        let Value::Object(m) = cur else { return false };
        if rest.is_empty() {
            m.shift_remove(first);
        } else if let Some(child) = m.get_mut(first) {
            if remove(child, rest) {
                m.shift_remove(first);
            }
        }
        m.is_empty()
    }
    remove(root, keys);
}

fn quote_name(name: &str) -> String {
    format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Translate a Kubernetes JSONPath expression (without braces) into RFC 9535 syntax for
/// jsonpath-rust. Field names become bracketed names so that `-` and `.` inside keys survive.
pub fn translate(expr: &str) -> Result<String, JsonPathError> {
    let chars: Vec<char> = expr.trim().chars().collect();
    let mut out = String::from("$");
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '$' | '@' if i == 0 => i += 1,
            '.' => {
                let recursive = chars.get(i + 1) == Some(&'.');
                let start = if recursive { i + 2 } else { i + 1 };
                if recursive {
                    out.push_str("..");
                }
                if chars.get(start) == Some(&'*') {
                    out.push_str("[*]");
                    i = start + 1;
                    continue;
                }
                let (name, next) = read_name(&chars, start);
                if name.is_empty() {
                    return Err(JsonPathError::EmptyFieldName { expr: expr.to_string() });
                }
                out.push_str(&quote_name(&name));
                i = next;
            }
            '[' => {
                let close = find_close(&chars, i).ok_or_else(|| JsonPathError::UnterminatedBracket { expr: expr.to_string() })?;
                let inner: String = chars[i + 1..close].iter().collect();
                let inner_t = inner.trim();
                if inner_t.starts_with('\'') || inner_t.starts_with('"') {
                    // ['a'] or a union of quoted names; a single name is re-parsed as `.name`.
                    let ic: Vec<char> = inner_t.chars().collect();
                    let mut names = Vec::new();
                    let mut j = 0;
                    while j < ic.len() {
                        match ic[j] {
                            '\'' | '"' => {
                                let (s, next) = read_quoted(&ic, j)?;
                                names.push(s);
                                j = next;
                            }
                            ',' | ' ' => j += 1,
                            found => return Err(JsonPathError::UnexpectedInSubscript { found, expr: expr.to_string() }),
                        }
                    }
                    if names.len() == 1 {
                        let sub = translate(&format!(".{}", names[0]))?;
                        out.push_str(&sub[1..]);
                    } else {
                        let list: Vec<String> = names.iter().map(|n| quote_name(n)[1..quote_name(n).len() - 1].to_string()).collect();
                        out.push_str(&format!("[{}]", list.join(",")));
                    }
                } else if inner_t.starts_with('?') {
                    out.push_str(&format!("[{inner_t}]"));
                } else if inner_t == "*" || inner_t.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ':' | ',' | ' ')) {
                    out.push_str(&format!("[{}]", inner_t.replace(' ', "")));
                } else {
                    return Err(JsonPathError::UnsupportedSubscript { subscript: inner, expr: expr.to_string() });
                }
                i = close + 1;
            }
            '{' | '}' => return Err(JsonPathError::TooManyRoots { expr: expr.to_string() }),
            c if c.is_whitespace() => i += 1,
            found => return Err(JsonPathError::Unexpected { found, expr: expr.to_string() }),
        }
    }
    Ok(out)
}

fn find_close(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (j, &c) in chars.iter().enumerate().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// A compiled container `path`.
#[derive(Debug, Clone)]
pub struct ContainerPath {
    /// Parsed once: parsing (pest) costs far more than evaluating, and a path is evaluated
    /// on every workload the mapping reaches.
    query: jsonpath_rust::parser::model::JpQuery,
}

impl ContainerPath {
    pub fn compile(expr: &str) -> Result<Self, JsonPathError> {
        thread_local! {
            // Mappings are compiled once per workload they reach; the same few paths recur.
            static CACHE: std::cell::RefCell<std::collections::HashMap<String, jsonpath_rust::parser::model::JpQuery>> =
                Default::default();
        }
        let rfc = translate(expr)?;
        if let Some(query) = CACHE.with(|c| c.borrow().get(&rfc).cloned()) {
            return Ok(ContainerPath { query });
        }
        // Parse it now, so an invalid path is a mapping error, not a silent skip.
        let query = jsonpath_rust::parser::parse_json_path(&rfc)
            .map_err(|e| JsonPathError::Invalid { expr: expr.to_string(), reason: e.to_string() })?;
        CACHE.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= 256 {
                c.clear();
            }
            c.insert(rfc, query.clone());
        });
        Ok(ContainerPath { query })
    }

    /// Paths (for [`ContainerPath::get_mut`]) of every match, in result order.
    pub fn find(&self, root: &Value) -> Vec<String> {
        jsonpath_rust::query::js_path_process(&self.query, root)
            .map(|found| found.into_iter().map(|r| r.path).collect())
            .unwrap_or_default()
    }

    /// The node at a normalized path `find` returned (`$['a'][0]['b']`), walked directly by
    /// the document model (no JSONPath grammar).
    pub fn get<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
        root.reference(path)
    }

    /// The same, for editing.
    pub fn get_mut<'v>(root: &'v mut Value, path: &str) -> Option<&'v mut Value> {
        root.reference_mut(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn fixed_paths() {
        assert_eq!(parse_fixed(".spec.template").unwrap(), ["spec", "template"]);
        assert_eq!(parse_fixed(".spec['template'].spec").unwrap(), ["spec", "template", "spec"]);
        assert_eq!(parse_fixed("['a.b']").unwrap(), ["a", "b"]);
        assert_eq!(parse_fixed(".a\\.b").unwrap(), ["a.b"]);
        assert!(parse_fixed("").unwrap().is_empty());
        assert!(parse_fixed(".spec.containers[*]").unwrap_err().to_string().contains("unsupported node"));
        assert!(parse_fixed(".a..b").is_err());
        assert!(parse_fixed(".a[0]").is_err());
        assert!(parse_fixed(".a}{.b").is_err());
    }

    #[test]
    fn fixed_get_and_slot() {
        let mut v = json!({"a": {"b": null}});
        assert_eq!(get_fixed(&v, &["a".into(), "b".into()]).unwrap(), None);
        *slot_fixed(&mut v, &["a".into(), "b".into(), "c".into()]).unwrap() = json!(1);
        assert_eq!(v, json!({"a": {"b": {"c": 1}}}));
        assert!(get_fixed(&json!({"a": [1]}), &["a".into(), "b".into()]).is_err());
    }

    #[test]
    fn container_paths() {
        let v = json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}], "init-x": [{"name": "i"}]}}}});
        let p = ContainerPath::compile(".spec.template.spec.containers[*]").unwrap();
        assert_eq!(p.find(&v).len(), 2);
        let p = ContainerPath::compile(".spec.template.spec.init-x[*]").unwrap();
        assert_eq!(p.find(&v).len(), 1);
        let p = ContainerPath::compile(".spec.template.spec.initContainers[*]").unwrap();
        assert!(p.find(&v).is_empty());
        let p = ContainerPath::compile(".spec.template.spec.containers[?(@.name == 'b')]").unwrap();
        let found = p.find(&v);
        assert_eq!(found.len(), 1);
        let mut v2 = v.clone();
        ContainerPath::get_mut(&mut v2, &found[0]).unwrap()["env"] = json!([]);
        assert_eq!(v2["spec"]["template"]["spec"]["containers"][1]["env"], json!([]));
        assert!(ContainerPath::compile(".a}{.b").is_err());
    }
}

/// What a Kubernetes JSONPath template (`{.a.b}`, `{.a}-{.b}`, …) yields.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateResult {
    /// A template with one action: the values it matched.
    Values(Vec<Value>),
    /// A template with several nodes (actions and text): everything printed into one string.
    Text(String),
}

/// A node of a JSONPath template: literal text or an action `{…}`.
enum TemplateNode {
    Text(String),
    Action(String),
}

fn template_nodes(template: &str) -> Result<Vec<TemplateNode>, JsonPathError> {
    let mut nodes = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find('{') {
            None => {
                nodes.push(TemplateNode::Text(rest.to_string()));
                break;
            }
            Some(i) => {
                if i > 0 {
                    nodes.push(TemplateNode::Text(rest[..i].to_string()));
                }
                let close = rest[i..].find('}').ok_or_else(|| JsonPathError::UnclosedAction { template: template.to_string() })? + i;
                nodes.push(TemplateNode::Action(rest[i + 1..close].to_string()));
                rest = &rest[close + 1..];
            }
        }
    }
    Ok(nodes)
}

/// A definite path (fields and indices only) must find a non-null value; wildcards, filters,
/// slices and recursive descent may find nothing.
fn is_definite(expr: &str) -> bool {
    !(expr.contains('*') || expr.contains('?') || expr.contains("..") || expr.contains(':'))
}

/// The work a template expression has done so far.
struct Budget<'e> {
    expr: &'e str,
    work: usize,
}

impl Budget<'_> {
    fn spend(&mut self, n: usize) -> Result<(), JsonPathError> {
        self.work = self.work.saturating_add(n);
        if self.work > MAX_WORK {
            return Err(JsonPathError::TooExpensive { expr: self.expr.to_string() });
        }
        Ok(())
    }

    fn left(&self) -> usize {
        MAX_WORK - self.work.min(MAX_WORK)
    }
}

/// The weight of a value: its nodes and every 64 bytes of its keys and strings, counted up to
/// `cap` (then `cap + 1`).
fn weight(v: &Value, cap: usize) -> usize {
    let mut n = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        n += 1;
        match v {
            Value::String(s) => n += s.len() / 64,
            Value::Array(a) => stack.extend(a.iter()),
            Value::Object(m) => {
                for (k, c) in m {
                    n += k.len() / 64;
                    stack.push(c);
                }
            }
            _ => {}
        }
        if n > cap {
            return cap + 1;
        }
    }
    n
}

/// The nodes a step over `v` visits: the subtree for recursive descent and filters, the
/// children for wildcards and slices, else the node (counted up to `cap`).
fn step_work(segment: &Segment, v: &Value, cap: usize) -> usize {
    let children = match v {
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        _ => 0,
    };
    let whole = match segment {
        Segment::Descendant(_) => true,
        Segment::Selector(Selector::Filter(_)) => true,
        Segment::Selectors(s) => s.iter().any(|s| matches!(s, Selector::Filter(_))),
        _ => false,
    };
    let wide = matches!(segment, Segment::Selector(Selector::Wildcard | Selector::Slice(..)))
        || matches!(segment, Segment::Selectors(s) if s.iter().any(|s| matches!(s, Selector::Wildcard | Selector::Slice(..))));
    if whole {
        weight(v, cap)
    } else if wide {
        1 + children
    } else {
        1
    }
}

/// Evaluate a parsed query as jsonpath-rust does (segment by segment, in the same result
/// order), node by node, within [`MAX_RESULTS`] and [`MAX_WORK`].
fn bounded_query<'a>(query: &JpQuery, root: &'a Value, budget: &mut Budget) -> Result<Vec<&'a Value>, JsonPathError> {
    let too_much = |budget: &Budget| JsonPathError::TooExpensive { expr: budget.expr.to_string() };
    let mut current: Vec<&'a Value> = vec![root];
    for segment in &query.segments {
        // A union applies each selector to every node in turn; recursive descent into a union
        // likewise (jsonpath-rust's order).
        let parts: Vec<Segment> = match segment {
            Segment::Selectors(list) => list.iter().map(|s| Segment::Selector(s.clone())).collect(),
            Segment::Descendant(inner) => match inner.as_ref() {
                Segment::Selectors(list) => list.iter().map(|s| Segment::Descendant(Box::new(Segment::Selector(s.clone())))).collect(),
                _ => vec![segment.clone()],
            },
            _ => vec![segment.clone()],
        };
        let mut next: Vec<&'a Value> = Vec::new();
        for part in parts {
            let step = JpQuery::new(vec![part]);
            for &node in &current {
                apply_step(&step, node, &mut next, budget)?;
                if next.len() > MAX_RESULTS {
                    return Err(too_much(budget));
                }
            }
        }
        current = next;
    }
    Ok(current)
}

/// One step of a query (`step` holds one segment) applied to `node`, as jsonpath-rust applies
/// it, its results appended to `out`. Names, wildcards and recursive descent are walked here
/// (jsonpath-rust builds a path string for every node it visits: quadratic in the depth); other
/// selectors go to jsonpath-rust node by node.
fn apply_step<'a>(step: &JpQuery, node: &'a Value, out: &mut Vec<&'a Value>, budget: &mut Budget) -> Result<(), JsonPathError> {
    match &step.segments[0] {
        Segment::Selector(sel @ (Selector::Name(_) | Selector::Wildcard)) => {
            budget.spend(step_work(&step.segments[0], node, 0))?;
            select(sel, node, out);
            Ok(())
        }
        Segment::Descendant(inner) => {
            let Segment::Selector(sel) = inner.as_ref() else { return delegate(step, node, out, budget) };
            // jsonpath-rust's descendants: every map and list under `node` (itself included), in
            // pre-order; scalars are not descendants.
            let inner_step = JpQuery::new(vec![Segment::Selector(sel.clone())]);
            let mut stack = vec![node];
            while let Some(d) = stack.pop() {
                budget.spend(1)?;
                let children: Vec<&'a Value> = match d {
                    Value::Array(a) => a.iter().collect(),
                    Value::Object(m) => m.values().collect(),
                    _ => continue,
                };
                match sel {
                    Selector::Name(_) | Selector::Wildcard => {
                        budget.spend(step_work(&inner_step.segments[0], d, 0))?;
                        select(sel, d, out);
                    }
                    _ => delegate(&inner_step, d, out, budget)?,
                }
                if out.len() > MAX_RESULTS {
                    return Err(JsonPathError::TooExpensive { expr: budget.expr.to_string() });
                }
                stack.extend(children.into_iter().rev());
            }
            Ok(())
        }
        _ => delegate(step, node, out, budget),
    }
}

/// A name or wildcard selector on one node.
fn select<'a>(sel: &Selector, node: &'a Value, out: &mut Vec<&'a Value>) {
    match (sel, node) {
        (Selector::Name(k), Value::Object(m)) => out.extend(m.get(k)),
        (Selector::Wildcard, Value::Array(a)) => out.extend(a.iter()),
        (Selector::Wildcard, Value::Object(m)) => out.extend(m.values()),
        _ => {}
    }
}

/// A step jsonpath-rust evaluates on one node.
fn delegate<'a>(step: &JpQuery, node: &'a Value, out: &mut Vec<&'a Value>, budget: &mut Budget) -> Result<(), JsonPathError> {
    let cap = budget.left();
    budget.spend(step_work(&step.segments[0], node, cap))?;
    let found =
        jsonpath_rust::query::js_path_process(step, node).map_err(|_| JsonPathError::Unevaluable { expr: budget.expr.to_string() })?;
    out.extend(found.into_iter().map(|r| r.val));
    Ok(())
}

/// Evaluate in one go a query whose filters read the root (`$`): node by node, the root would
/// be the node. Without recursive descent and unions each step finds distinct children, so the
/// results are at most the nodes of `root`.
fn whole_query<'a>(query: &JpQuery, root: &'a Value, budget: &mut Budget) -> Result<Vec<&'a Value>, JsonPathError> {
    let multiplies = query.segments.iter().any(|s| matches!(s, Segment::Descendant(_) | Segment::Selectors(_)));
    if multiplies {
        return Err(JsonPathError::RootInFilter { expr: budget.expr.to_string() });
    }
    let found =
        jsonpath_rust::query::js_path_process(query, root).map_err(|_| JsonPathError::Unevaluable { expr: budget.expr.to_string() })?;
    if found.len() > MAX_RESULTS {
        return Err(JsonPathError::TooExpensive { expr: budget.expr.to_string() });
    }
    Ok(found.into_iter().map(|r| r.val).collect())
}

/// The filters of a query, as text.
fn filters(query: &JpQuery) -> Vec<String> {
    let selectors = query.segments.iter().flat_map(|s| {
        let selectors: Vec<&Selector> = match s {
            Segment::Selector(sel) => vec![sel],
            Segment::Selectors(list) => list.iter().collect(),
            Segment::Descendant(inner) => match inner.as_ref() {
                Segment::Selector(sel) => vec![sel],
                Segment::Selectors(list) => list.iter().collect(),
                Segment::Descendant(_) => Vec::new(),
            },
        };
        selectors
    });
    selectors.filter(|sel| matches!(sel, Selector::Filter(_))).map(ToString::to_string).collect()
}

fn eval_action(expr: &str, root: &Value) -> Result<Vec<Value>, JsonPathError> {
    let rfc = translate(expr)?;
    let query = jsonpath_rust::parser::parse_json_path(&rfc)
        .map_err(|e| JsonPathError::Invalid { expr: expr.to_string(), reason: e.to_string() })?;
    let filters = filters(&query);
    if filters.iter().any(|f| f.contains("..")) {
        return Err(JsonPathError::DescentInFilter { expr: expr.to_string() });
    }
    let mut budget = Budget { expr, work: 0 };
    let found = if filters.iter().any(|f| f.contains('$')) {
        whole_query(&query, root, &mut budget)?
    } else {
        bounded_query(&query, root, &mut budget)?
    };
    for v in &found {
        let cap = budget.left();
        budget.spend(weight(v, cap))?;
    }
    let found: Vec<Value> = found.into_iter().cloned().collect();
    if is_definite(expr) && (found.is_empty() || found.iter().all(Value::is_null)) {
        let last = expr.trim().rsplit(['.', '[']).next().unwrap_or(expr).trim_end_matches(']').trim_matches(['\'', '"']);
        return Err(JsonPathError::NotFound { field: last.to_string() });
    }
    Ok(found)
}

/// Print a value as the Kubernetes JSONPath printer does: strings raw, scalars Go-style,
/// maps and lists as compact JSON.
pub fn print_jsonpath_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Null => String::new(),
        Value::Object(_) | Value::Array(_) => serde_json::to_string(v).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Evaluate a template against `root` as client-go's `FindResults` does. A missing field or a
/// null value on a definite path is an error (`<name> is not found`).
pub fn eval_template(template: &str, root: &Value) -> Result<TemplateResult, JsonPathError> {
    let nodes = template_nodes(template)?;
    if let [TemplateNode::Action(expr)] = nodes.as_slice() {
        return eval_action(expr, root).map(TemplateResult::Values);
    }
    let mut out = String::new();
    for node in &nodes {
        match node {
            TemplateNode::Text(t) => out.push_str(t),
            TemplateNode::Action(expr) => {
                let values = eval_action(expr, root)?;
                out.push_str(&values.iter().map(print_jsonpath_value).collect::<Vec<_>>().join(" "));
            }
        }
    }
    Ok(TemplateResult::Text(out))
}

#[cfg(test)]
mod template_tests {
    use super::*;
    use crate::json;

    #[test]
    fn single_and_multi_node_templates() {
        let obj = json!({"metadata": {"name": "pg"}, "spec": {"bootstrap": {"initdb": {"owner": "app"}}, "tags": ["a", "b"], "n": null}});
        assert_eq!(eval_template("{.metadata.name}", &obj).unwrap(), TemplateResult::Values(vec![json!("pg")]));
        assert_eq!(eval_template("{.metadata.name}-{.spec.bootstrap.initdb.owner}", &obj).unwrap(), TemplateResult::Text("pg-app".into()));
        assert_eq!(eval_template("{.metadata.name}-pguser-{.metadata.name}", &obj).unwrap(), TemplateResult::Text("pg-pguser-pg".into()));
        assert_eq!(eval_template("{.spec.tags[*]}", &obj).unwrap(), TemplateResult::Values(vec![json!("a"), json!("b")]));
        assert_eq!(eval_template("x{.spec.tags[*]}", &obj).unwrap(), TemplateResult::Text("xa b".into()));
        assert_eq!(eval_template("{.spec.missing}", &obj).unwrap_err().to_string(), "missing is not found");
        assert!(eval_template("{.spec.n}", &obj).unwrap_err().to_string().contains("n is not found"));
        assert_eq!(eval_template("{.spec.tags[5]}", &obj).unwrap_err().to_string(), "5 is not found");
    }

    /// Step by step evaluation keeps jsonpath-rust's result order (unions, descent, filters).
    #[test]
    fn results_in_jsonpath_rust_order() {
        use jsonpath_rust::JsonPath;
        let obj = json!({"a": {"x": 1, "y": 2, "b": {"x": 3, "y": 4}}, "l": [{"n": "p", "v": 1}, {"n": "q", "v": 2}, {"n": "p", "v": 3}]});
        for expr in
            ["{..x}", "{..b['x','y']}", "{.a['y','x']}", "{.l[*]['v','n']}", "{.l[?(@.n == 'p')].v}", "{..l[1:]}", "{.a.*}", "{..*}"]
        {
            let rfc = translate(&expr[1..expr.len() - 1]).unwrap();
            let direct: Vec<Value> = obj.query(&rfc).unwrap().into_iter().cloned().collect();
            assert_eq!(eval_template(expr, &obj).unwrap(), TemplateResult::Values(direct), "{expr}");
        }
        let root_filter = json!({"want": "q", "l": [{"n": "p"}, {"n": "q"}]});
        assert_eq!(eval_template("{.l[?(@.n == $.want)].n}", &root_filter).unwrap(), TemplateResult::Values(vec![json!("q")]));
    }

    /// Issue 19 item 14: `{..a..a..a..a}` over a 150-deep object (1.3 KB) grew to 7 GB.
    #[test]
    fn evaluation_is_bounded() {
        let mut deep = json!("end");
        for _ in 0..150 {
            deep = json!({"a": deep});
        }
        let e = eval_template("{..a..a..a..a}", &deep).unwrap_err();
        assert_eq!(e, JsonPathError::TooExpensive { expr: "..a..a..a..a".into() });
        assert!(e.to_string().contains("exceeds the evaluation bounds"), "{e}");
        assert!(matches!(eval_template("{..a}", &deep).unwrap(), TemplateResult::Values(v) if v.len() == 150));
        // A union repeated: 2^20 copies of one node.
        let twice = format!("{{.a['a','a']{}}}", "['a','a']".repeat(19));
        assert!(matches!(eval_template(&twice, &deep), Err(JsonPathError::TooExpensive { .. })));
        let wide = json!({"l": (0..20_000).collect::<Vec<i32>>()});
        assert!(matches!(eval_template("{.l[*]}", &wide), Err(JsonPathError::TooExpensive { .. })));
        assert!(matches!(eval_template("{.l[?(@..x)]}", &wide), Err(JsonPathError::DescentInFilter { .. })));
    }
}
