//! A minimal evaluator of Go's text/template (and html/template's text-context escaping) over
//! JSON values: what the Service Binding Operator's `namingStrategy` and `spec.mappings`
//! templates use (sbo-semantics §9, §10). The `gtmpl` crate prints maps and lists in Rust's
//! Debug form rather than Go's `map[k:v]`/`[a b]`, so this small evaluator is ours.
//!
//! Supported: text and `{{ }}` actions with `{{-`/`-}}` trimming and comments; pipelines with
//! `|`; field chains on `.` and `$`; string, number, boolean and nil literals; parenthesised
//! pipelines; `if`/`else if`/`else`, `with`/`else`, `range`/`else` (lists and maps, sorted
//! keys); the built-ins `upper`, `lower`, `title`, `json`, `index`, `len`, `printf`, `print`,
//! `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `and`, `or`, `not`, `html`, `js`, `urlquery`.
//! Not supported: variables (`$x :=`), `define`/`template`/`block`, method calls.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::doc::value::{Map, Value};

/// How action output is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// text/template.
    None,
    /// html/template in text context.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Parse,
    Exec,
}

/// Why a template does not parse or cannot be evaluated. The message names the action, key
/// names and types, never a value of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub kind: ErrorKind,
    pub message: String,
}

impl TemplateError {
    /// The error as raised in action `src` (`at <{{range .x}}>: …`, as Go says it), unless it
    /// already names an action.
    fn at(mut self, src: &str) -> Self {
        if !self.message.starts_with("at <{{") {
            self.message = format!("at <{{{{{src}}}}}>: {}", self.message);
        }
        self
    }
}

fn parse_err(m: impl Into<String>) -> TemplateError {
    TemplateError { kind: ErrorKind::Parse, message: m.into() }
}
fn exec_err(m: impl Into<String>) -> TemplateError {
    TemplateError { kind: ErrorKind::Exec, message: m.into() }
}

/// The output, and the top-level data keys the template read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub keys_read: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    /// `.a.b` (`root`: starts at `$`).
    Field {
        root: bool,
        chain: Vec<String>,
    },
    Literal(Value),
    Func(String),
    Pipe(Box<Pipeline>),
}

type Command = Vec<Arg>;
type Pipeline = Vec<Command>;

/// A pipeline and the text of the action it was written in (`range .items`), for messages.
#[derive(Debug, Clone, PartialEq)]
struct Action {
    pipeline: Pipeline,
    src: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Action(Action),
    If(Action, Vec<Node>, Vec<Node>),
    With(Action, Vec<Node>, Vec<Node>),
    Range(Action, Vec<Node>, Vec<Node>),
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
}

const FUNCS: &[&str] = &[
    "upper", "lower", "title", "json", "index", "len", "printf", "print", "println", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
    "not", "html", "js", "urlquery",
];

// ------------------------------------------------------------------ lexing and parsing

/// Split into text and action pieces, applying trim markers and dropping comments.
fn pieces(text: &str) -> Result<Vec<(bool, String)>, TemplateError> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let mut before = rest[..start].to_string();
        let after = &rest[start + 2..];
        let trim_left = after.starts_with("- ") || after.starts_with("-\t") || after.starts_with("-\n");
        let end = after.find("}}").ok_or_else(|| parse_err("unclosed action"))?;
        let mut inner = &after[..end];
        let trim_right = inner.ends_with(" -") || inner.ends_with("\t-") || inner.ends_with("\n-");
        if trim_left {
            inner = &inner[1..];
            before = before.trim_end().to_string();
        }
        if trim_right {
            inner = &inner[..inner.len() - 1];
        }
        if !before.is_empty() {
            out.push((false, before));
        }
        let inner = inner.trim();
        if !(inner.starts_with("/*") && inner.ends_with("*/")) {
            out.push((true, inner.to_string()));
        }
        rest = &after[end + 2..];
        if trim_right {
            rest = rest.trim_start();
        }
    }
    if !rest.is_empty() {
        out.push((false, rest.to_string()));
    }
    Ok(out)
}

fn tokens(action: &str) -> Result<Vec<String>, TemplateError> {
    let chars: Vec<char> = action.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '`' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != c {
                if c == '"' && chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            if j >= chars.len() {
                return Err(parse_err("unterminated quoted string"));
            }
            out.push(chars[i..=j].iter().collect());
            i = j + 1;
        } else if matches!(c, '(' | ')' | '|') {
            out.push(c.to_string());
            i += 1;
        } else {
            let mut j = i;
            while j < chars.len() && !chars[j].is_whitespace() && !matches!(chars[j], '(' | ')' | '|') {
                j += 1;
            }
            out.push(chars[i..j].iter().collect());
            i = j;
        }
    }
    Ok(out)
}

fn unquote(tok: &str) -> Result<String, TemplateError> {
    if let Some(raw) = tok.strip_prefix('`') {
        return Ok(raw.trim_end_matches('`').to_string());
    }
    serde_json::from_str::<String>(tok).map_err(|_| parse_err(format!("bad string literal {tok}")))
}

fn parse_pipeline(toks: &[String], pos: &mut usize, depth: usize) -> Result<Pipeline, TemplateError> {
    if depth > 100 {
        return Err(parse_err("template nested too deeply"));
    }
    let mut pipeline = Vec::new();
    let mut cmd: Command = Vec::new();
    while *pos < toks.len() {
        let t = toks[*pos].as_str();
        *pos += 1;
        match t {
            "|" => {
                if cmd.is_empty() {
                    return Err(parse_err("missing command before |"));
                }
                pipeline.push(std::mem::take(&mut cmd));
            }
            "(" => cmd.push(Arg::Pipe(Box::new(parse_pipeline(toks, pos, depth + 1)?))),
            ")" => {
                if depth == 0 {
                    return Err(parse_err("unexpected )"));
                }
                if !cmd.is_empty() {
                    pipeline.push(cmd);
                }
                return Ok(pipeline);
            }
            _ => cmd.push(parse_operand(t)?),
        }
    }
    if depth > 0 {
        return Err(parse_err("unclosed ("));
    }
    if !cmd.is_empty() {
        pipeline.push(cmd);
    }
    if pipeline.is_empty() {
        return Err(parse_err("missing value for command"));
    }
    Ok(pipeline)
}

fn parse_operand(t: &str) -> Result<Arg, TemplateError> {
    if t.starts_with('"') || t.starts_with('`') {
        return Ok(Arg::Literal(Value::from(unquote(t)?)));
    }
    if t == "." {
        return Ok(Arg::Field { root: false, chain: Vec::new() });
    }
    if let Some(rest) = t.strip_prefix('$') {
        if rest.is_empty() {
            return Ok(Arg::Field { root: true, chain: Vec::new() });
        }
        if let Some(chain) = rest.strip_prefix('.') {
            return Ok(Arg::Field { root: true, chain: chain.split('.').map(str::to_string).collect() });
        }
        return Err(parse_err(format!("undefined variable: {t} (variables are not supported)")));
    }
    if let Some(chain) = t.strip_prefix('.') {
        if chain.split('.').any(str::is_empty) {
            return Err(parse_err(format!("bad field {t}")));
        }
        return Ok(Arg::Field { root: false, chain: chain.split('.').map(str::to_string).collect() });
    }
    match t {
        "true" => return Ok(Arg::Literal(Value::Bool(true))),
        "false" => return Ok(Arg::Literal(Value::Bool(false))),
        "nil" => return Ok(Arg::Literal(Value::Null)),
        _ => {}
    }
    if t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') {
        if let Ok(i) = t.parse::<i64>() {
            return Ok(Arg::Literal(Value::from(i)));
        }
        if let Some(n) = t.parse::<f64>().ok().and_then(crate::doc::value::Number::from_f64) {
            return Ok(Arg::Literal(Value::Number(n)));
        }
        return Err(parse_err(format!("bad number syntax: {t:?}")));
    }
    if FUNCS.contains(&t) {
        return Ok(Arg::Func(t.to_string()));
    }
    Err(parse_err(format!("function {t:?} not defined")))
}

/// Parse nodes until one of `stop` keywords; returns the nodes and the keyword met.
fn parse_nodes(ps: &[(bool, String)], i: &mut usize, stop: &[&str], depth: usize) -> Result<(Vec<Node>, Option<String>), TemplateError> {
    if depth > 100 {
        return Err(parse_err("template nested too deeply"));
    }
    let mut nodes = Vec::new();
    while *i < ps.len() {
        let (action, text) = &ps[*i];
        *i += 1;
        if !action {
            nodes.push(Node::Text(text.clone()));
            continue;
        }
        let word = text.split_whitespace().next().unwrap_or("");
        if stop.contains(&word) {
            return Ok((nodes, Some(text.clone())));
        }
        match word {
            "if" | "with" | "range" => {
                let toks = tokens(&text[word.len()..])?;
                let cond = Action { pipeline: parse_pipeline(&toks, &mut 0, 0)?, src: text.clone() };
                let (body, end) = parse_nodes(ps, i, &["else", "end"], depth + 1)?;
                let mut alt = Vec::new();
                match end.as_deref() {
                    Some("end") => {}
                    Some(e) if e.starts_with("else") => {
                        let rest = e["else".len()..].trim();
                        if word == "if" && rest.starts_with("if ") {
                            // `else if`: a nested if that shares this if's `end`.
                            let toks = tokens(&rest[2..])?;
                            let cond2 = Action { pipeline: parse_pipeline(&toks, &mut 0, 0)?, src: rest.to_string() };
                            let (body2, end2) = parse_nodes(ps, i, &["else", "end"], depth + 1)?;
                            let mut alt2 = Vec::new();
                            if end2.as_deref().is_some_and(|e| e.starts_with("else")) {
                                let (a, e3) = parse_nodes(ps, i, &["end"], depth + 1)?;
                                if e3.is_none() {
                                    return Err(parse_err("unexpected EOF: missing {{end}}"));
                                }
                                alt2 = a;
                            } else if end2.is_none() {
                                return Err(parse_err("unexpected EOF: missing {{end}}"));
                            }
                            alt.push(Node::If(cond2, body2, alt2));
                        } else {
                            let (a, e2) = parse_nodes(ps, i, &["end"], depth + 1)?;
                            if e2.is_none() {
                                return Err(parse_err("unexpected EOF: missing {{end}}"));
                            }
                            alt = a;
                        }
                    }
                    _ => return Err(parse_err(format!("unexpected EOF: {{{{{word}}}}} without {{{{end}}}}"))),
                }
                nodes.push(match word {
                    "if" => Node::If(cond, body, alt),
                    "with" => Node::With(cond, body, alt),
                    _ => Node::Range(cond, body, alt),
                });
            }
            "end" | "else" => return Err(parse_err(format!("unexpected {{{{{word}}}}}"))),
            "define" | "template" | "block" => return Err(parse_err(format!("{{{{{word}}}}} is not supported"))),
            _ => {
                let toks = tokens(text)?;
                nodes.push(Node::Action(Action { pipeline: parse_pipeline(&toks, &mut 0, 0)?, src: text.clone() }));
            }
        }
    }
    Ok((nodes, None))
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let ps = pieces(text)?;
        let mut i = 0;
        let (nodes, end) = parse_nodes(&ps, &mut i, &[], 0)?;
        if end.is_some() {
            return Err(parse_err("unexpected end"));
        }
        Ok(Template { nodes })
    }

    /// Evaluate over `data`. Errors never hold a value of `data` (only its key names, types and
    /// the template's own text), and evaluation is bounded ([`MAX_OUTPUT`], [`MAX_STEPS`]).
    pub fn render(&self, data: &Value, escape: Escape) -> Result<Rendered, TemplateError> {
        let mut st = State { root: data, nested: 0, escape, out: String::new(), keys: BTreeSet::new(), whole: false, steps: 0 };
        st.nodes(&self.nodes, &Val::V(Cow::Borrowed(data)))?;
        let mut keys = st.keys;
        if st.whole {
            // The whole data was reachable (`.` at the top, `$`): every key counts as read.
            keys.extend(data.as_object().into_iter().flat_map(|m| m.keys().map(|k| k.to_string())));
        }
        Ok(Rendered { text: st.out, keys_read: keys })
    }
}

// ------------------------------------------------------------------ evaluation

/// A value (borrowed from the data where it comes from there), or the "no value" of a missing
/// map key.
#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Missing,
    V(Cow<'a, Value>),
}

static NULL: Value = Value::Null;

impl<'a> Val<'a> {
    fn value(&self) -> &Value {
        match self {
            Val::Missing => &NULL,
            Val::V(v) => v,
        }
    }
    fn owned(v: Value) -> Self {
        Val::V(Cow::Owned(v))
    }
    fn truthy(&self) -> bool {
        match self {
            Val::Missing => false,
            Val::V(v) => match v.as_ref() {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(m) => !m.is_empty(),
            },
        }
    }

    /// The elements `range` visits: a list's items, a map's values in sorted key order.
    fn elements(self) -> Result<Vec<Val<'a>>, TemplateError> {
        let sorted_values = |m: &Map| {
            let mut keys: Vec<&crate::doc::value::Str> = m.keys().collect();
            keys.sort();
            keys.into_iter().map(|k| m[k].clone()).collect::<Vec<Value>>()
        };
        Ok(match self {
            Val::Missing => Vec::new(),
            Val::V(Cow::Borrowed(v)) => match v {
                Value::Array(a) => a.iter().map(|x| Val::V(Cow::Borrowed(x))).collect(),
                Value::Object(m) => {
                    let mut keys: Vec<&crate::doc::value::Str> = m.keys().collect();
                    keys.sort();
                    keys.into_iter().map(|k| Val::V(Cow::Borrowed(&m[k]))).collect()
                }
                Value::Null => Vec::new(),
                other => return Err(exec_err(format!("range can't iterate over {}", go_type(other)))),
            },
            Val::V(Cow::Owned(v)) => match v {
                Value::Array(a) => a.into_iter().map(Val::owned).collect(),
                Value::Object(m) => sorted_values(&m).into_iter().map(Val::owned).collect(),
                Value::Null => Vec::new(),
                other => return Err(exec_err(format!("range can't iterate over {}", go_type(&other)))),
            },
        })
    }

    /// The value under `key` of a map (`Missing` when it has none).
    fn field(self, key: &str) -> Result<Val<'a>, &'static str> {
        match self {
            Val::V(Cow::Borrowed(Value::Object(m))) => Ok(m.get(key).map_or(Val::Missing, |v| Val::V(Cow::Borrowed(v)))),
            Val::V(Cow::Owned(Value::Object(mut m))) => Ok(m.shift_remove(key).map_or(Val::Missing, Val::owned)),
            Val::Missing => Err("nil"),
            Val::V(v) if v.is_null() => Err("nil"),
            Val::V(v) => Err(go_type(&v)),
        }
    }
}

/// At most this much output.
pub const MAX_OUTPUT: usize = 1 << 20;
/// At most this many evaluation steps (a node, a command, a `range` iteration, or 16 bytes of a
/// string a function builds): a `range` nested over large values fails instead of running on.
pub const MAX_STEPS: usize = 1_000_000;

struct State<'a> {
    root: &'a Value,
    /// How many `with`/`range` bodies we are in (`.` is the root only at 0).
    nested: usize,
    escape: Escape,
    out: String,
    /// The top-level keys of the data read so far.
    keys: BTreeSet<String>,
    /// The whole data was reachable (`.` outside `with`/`range`, or `$`).
    whole: bool,
    steps: usize,
}

impl<'a> State<'a> {
    fn spend(&mut self, steps: usize) -> Result<(), TemplateError> {
        self.steps = self.steps.saturating_add(steps);
        if self.steps > MAX_STEPS {
            return Err(exec_err(format!("template evaluation exceeds {MAX_STEPS} steps")));
        }
        Ok(())
    }

    fn nodes(&mut self, nodes: &[Node], dot: &Val<'a>) -> Result<(), TemplateError> {
        for n in nodes {
            self.spend(1)?;
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(a) => {
                    let v = self.action(a, dot)?;
                    let text = match (&v, self.escape) {
                        (Val::Missing, Escape::Html) => String::new(),
                        (Val::Missing, Escape::None) => "<no value>".into(),
                        (Val::V(v), _) => print_value(v),
                    };
                    match self.escape {
                        Escape::None => self.out.push_str(&text),
                        Escape::Html => self.out.push_str(&html_escape(&text)),
                    }
                }
                Node::If(c, body, alt) => {
                    let v = self.action(c, dot)?;
                    self.nodes(if v.truthy() { body } else { alt }, dot)?;
                }
                Node::With(c, body, alt) => {
                    let v = self.action(c, dot)?;
                    if v.truthy() {
                        self.nested += 1;
                        let r = self.nodes(body, &v);
                        self.nested -= 1;
                        r?;
                    } else {
                        self.nodes(alt, dot)?;
                    }
                }
                Node::Range(c, body, alt) => {
                    let items = self.action(c, dot)?.elements().map_err(|e| e.at(&c.src))?;
                    if items.is_empty() {
                        self.nodes(alt, dot)?;
                    }
                    self.nested += 1;
                    let r = items.iter().try_for_each(|item| {
                        self.spend(1)?;
                        self.nodes(body, item)
                    });
                    self.nested -= 1;
                    r?;
                }
            }
            if self.out.len() > MAX_OUTPUT {
                return Err(exec_err(format!("template output exceeds {} MiB", MAX_OUTPUT >> 20)));
            }
        }
        Ok(())
    }

    /// An action's pipeline; an error names the action.
    fn action(&mut self, a: &Action, dot: &Val<'a>) -> Result<Val<'a>, TemplateError> {
        self.pipeline(&a.pipeline, dot).map_err(|e| e.at(&a.src))
    }

    fn pipeline(&mut self, p: &Pipeline, dot: &Val<'a>) -> Result<Val<'a>, TemplateError> {
        let mut piped: Option<Val<'a>> = None;
        for cmd in p {
            self.spend(1)?;
            piped = Some(self.command(cmd, dot, piped)?);
        }
        Ok(piped.unwrap_or(Val::Missing))
    }

    fn arg(&mut self, a: &Arg, dot: &Val<'a>) -> Result<Val<'a>, TemplateError> {
        match a {
            Arg::Literal(v) => Ok(Val::owned(v.clone())),
            Arg::Pipe(p) => self.pipeline(p, dot),
            Arg::Func(f) => self.call(f, Vec::new()),
            Arg::Field { root, chain } => {
                let start = if *root { Val::V(Cow::Borrowed(self.root)) } else { dot.clone() };
                if *root || self.nested == 0 {
                    match chain.first() {
                        Some(first) => {
                            self.keys.insert(first.clone());
                        }
                        // `.` or `$`: everything the data holds can be reached.
                        None => self.whole = true,
                    }
                }
                let mut cur = start;
                for (n, key) in chain.iter().enumerate() {
                    cur = cur.field(key).map_err(|found| {
                        let at = chain[..=n].join(".");
                        match found {
                            "nil" => exec_err(format!("nil pointer evaluating interface {{}}.{key} (at .{at})")),
                            found => exec_err(format!("can't evaluate field {key} in type {found} (at .{at})")),
                        }
                    })?;
                }
                Ok(cur)
            }
        }
    }

    fn command(&mut self, cmd: &Command, dot: &Val<'a>, piped: Option<Val<'a>>) -> Result<Val<'a>, TemplateError> {
        match cmd.first() {
            Some(Arg::Func(f)) => {
                let mut args = Vec::new();
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot)?);
                }
                args.extend(piped);
                self.call(f, args)
            }
            Some(a) if cmd.len() == 1 && piped.is_none() => self.arg(a, dot),
            Some(_) => Err(exec_err("can't give argument to non-function")),
            None => Err(exec_err("empty command")),
        }
    }

    /// A function's result; the strings it builds are paid for in steps.
    fn call(&mut self, f: &str, args: Vec<Val<'a>>) -> Result<Val<'a>, TemplateError> {
        let v = self.call_function(f, args)?;
        if let Val::V(Cow::Owned(Value::String(s))) = &v {
            self.spend(s.len() / 16)?;
        }
        Ok(v)
    }

    fn call_function(&mut self, f: &str, mut args: Vec<Val<'a>>) -> Result<Val<'a>, TemplateError> {
        let want = |n: usize| -> Result<(), TemplateError> {
            if args.len() != n {
                return Err(exec_err(format!("wrong number of args for {f}: want {n} got {}", args.len())));
            }
            Ok(())
        };
        let s = |v: &Val| match v.value() {
            Value::String(s) => s.to_string(),
            other => print_value(other),
        };
        let v = match f {
            "upper" => {
                want(1)?;
                Value::from(s(&args[0]).to_uppercase())
            }
            "lower" => {
                want(1)?;
                Value::from(s(&args[0]).to_lowercase())
            }
            "title" => {
                want(1)?;
                Value::from(title(&s(&args[0])))
            }
            "json" => {
                want(1)?;
                Value::from(go_json(args[0].value()))
            }
            "len" => {
                want(1)?;
                let n = match args[0].value() {
                    Value::String(s) => s.len(),
                    Value::Array(a) => a.len(),
                    Value::Object(m) => m.len(),
                    other => return Err(exec_err(format!("len of {}", go_type(other)))),
                };
                Value::from(n as u64)
            }
            "index" => {
                if args.is_empty() {
                    return Err(exec_err("index of nothing"));
                }
                let rest = args.split_off(1);
                let mut cur = args.pop().expect("one argument");
                for k in rest {
                    cur = index(cur, k.value())?;
                }
                return Ok(cur);
            }
            "print" | "println" => {
                let mut text = String::new();
                for (i, a) in args.iter().enumerate() {
                    let both_strings = i > 0 && matches!(args[i - 1].value(), Value::String(_)) && matches!(a.value(), Value::String(_));
                    if i > 0 && (f == "println" || !both_strings) {
                        text.push(' ');
                    }
                    text.push_str(&print_value(a.value()));
                }
                if f == "println" {
                    text.push('\n');
                }
                Value::from(text)
            }
            "printf" => {
                let Some((fmt, rest)) = args.split_first() else { return Err(exec_err("printf needs a format")) };
                Value::from(sprintf(&s(fmt), &rest.iter().map(|a| a.value().clone()).collect::<Vec<_>>()))
            }
            "eq" | "ne" | "lt" | "le" | "gt" | "ge" => Value::Bool(comparison(f, &args)?),
            "and" => return Ok(pick(args, |a| !a.truthy())),
            "or" => return Ok(pick(args, Val::truthy)),
            "not" => {
                want(1)?;
                Value::Bool(!args[0].truthy())
            }
            "html" => Value::from(html_escape(&args.iter().map(s).collect::<String>())),
            "js" => Value::from(args.iter().map(s).collect::<String>().replace('\\', "\\\\").replace('\'', "\\'").replace('"', "\\\"")),
            "urlquery" => Value::from(urlquery(&args.iter().map(s).collect::<String>())),
            other => return Err(exec_err(format!("function {other:?} not defined"))),
        };
        Ok(Val::owned(v))
    }
}

/// `and`/`or`: the first argument `stop` holds for, else the last.
fn pick<'a>(args: Vec<Val<'a>>, stop: impl Fn(&Val<'a>) -> bool) -> Val<'a> {
    let at = args.iter().position(stop).unwrap_or(args.len().saturating_sub(1));
    args.into_iter().nth(at).unwrap_or(Val::Missing)
}

/// One step of `index`. The messages name types, never the index or a value.
fn index<'a>(cur: Val<'a>, key: &Value) -> Result<Val<'a>, TemplateError> {
    match (cur, key) {
        (Val::V(Cow::Borrowed(Value::Object(m))), Value::String(k)) => Ok(m.get(k).map_or(Val::Missing, |v| Val::V(Cow::Borrowed(v)))),
        (Val::V(Cow::Owned(Value::Object(mut m))), Value::String(k)) => Ok(m.shift_remove(k).map_or(Val::Missing, Val::owned)),
        (cur @ Val::V(_), Value::Number(n)) if cur.value().is_array() => {
            let i = n.as_u64().ok_or_else(|| exec_err("index out of range"))? as usize;
            match cur {
                Val::V(Cow::Borrowed(Value::Array(a))) => a.get(i).map(|v| Val::V(Cow::Borrowed(v))),
                Val::V(Cow::Owned(Value::Array(mut a))) if i < a.len() => Some(Val::owned(a.swap_remove(i))),
                _ => None,
            }
            .ok_or_else(|| exec_err("index out of range"))
        }
        (Val::Missing, _) => Err(exec_err("index of untyped nil")),
        (cur, _) if cur.value().is_null() => Err(exec_err("index of untyped nil")),
        (cur, key) => Err(exec_err(format!("can't index item of type {} with {}", go_type(cur.value()), go_type(key)))),
    }
}

/// `eq`, `ne`, `lt`, `le`, `gt`, `ge` over basic values (as Go's: maps and lists cannot be
/// compared).
fn comparison(f: &str, args: &[Val]) -> Result<bool, TemplateError> {
    if args.len() < 2 {
        return Err(exec_err(format!("missing argument for {f}")));
    }
    if let Some(bad) = args.iter().map(Val::value).find(|v| v.is_array() || v.is_object()) {
        return Err(exec_err(format!("{f}: non-comparable type {}", go_type(bad))));
    }
    let a = args[0].value();
    Ok(match f {
        "eq" => args[1..].iter().any(|b| loosely_equal(a, b.value())),
        "ne" => !loosely_equal(a, args[1].value()),
        _ => {
            let ord = compare(a, args[1].value()).ok_or_else(|| exec_err(format!("incompatible types for comparison in {f}")))?;
            match f {
                "lt" => ord.is_lt(),
                "le" => ord.is_le(),
                "gt" => ord.is_gt(),
                _ => ord.is_ge(),
            }
        }
    })
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nil",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Go `strings.Title`.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let starts_word = match prev {
            None => true,
            Some(p) if p.is_ascii() => !(p.is_ascii_alphanumeric() || p == '_'),
            Some(p) => p.is_whitespace(),
        };
        if starts_word {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '+' => out.push_str("&#43;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn urlquery(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Go `encoding/json.Marshal`: compact, map keys sorted, `<`, `>`, `&` escaped.
pub fn go_json(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&crate::doc::value::Str> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sorted(v)).unwrap_or_default().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

/// Go's `%v` of a float64: shortest representation, `%g` style exponents.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    let exp = if f == 0.0 { 0 } else { f.abs().log10().floor() as i32 };
    if (-4..21).contains(&exp) {
        let s = format!("{f}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    } else {
        let s = format!("{f:e}");
        let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    }
}

/// Print a value as Go's `fmt.Print` does for the decoded JSON (`%v`): strings raw, numbers,
/// `true`/`false`, `<nil>`, `map[k:v …]` with sorted keys, `[a b …]`.
pub fn print_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => s.to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(print_value).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&crate::doc::value::Str> = m.keys().collect();
            keys.sort();
            format!("map[{}]", keys.into_iter().map(|k| format!("{k}:{}", print_value(&m[k]))).collect::<Vec<_>>().join(" "))
        }
    }
}

/// A small `fmt.Sprintf`: `%s %d %v %q %f %g %t %x %%`.
fn sprintf(fmt: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(a) = args.next() else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        match verb {
            'q' => out.push_str(&serde_json::to_string(&print_value(a)).unwrap_or_default()),
            'd' => match a.as_i64() {
                Some(i) => out.push_str(&i.to_string()),
                None => out.push_str(&format!("%!d({})", print_value(a))),
            },
            'f' => match a.as_f64() {
                Some(f) => out.push_str(&format!("{f:.6}")),
                None => out.push_str(&format!("%!f({})", print_value(a))),
            },
            'x' => match (a.as_i64(), a.as_str()) {
                (Some(i), _) => out.push_str(&format!("{i:x}")),
                (_, Some(s)) => out.push_str(&s.bytes().map(|b| format!("{b:02x}")).collect::<String>()),
                _ => out.push_str(&print_value(a)),
            },
            _ => out.push_str(&print_value(a)),
        }
    }
    for extra in args {
        out.push_str(&format!("%!(EXTRA {})", print_value(extra)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn render(t: &str, data: &Value, e: Escape) -> Result<String, TemplateError> {
        Template::parse(t)?.render(data, e).map(|r| r.text)
    }

    #[test]
    fn naming_strategies() {
        let data = json!({"name": "host", "service": {"kind": "Backend", "name": "b"}});
        assert_eq!(render("{{ .name }}", &data, Escape::Html).unwrap(), "host");
        assert_eq!(render("{{ .service.kind | upper }}_{{ .name | upper }}", &data, Escape::Html).unwrap(), "BACKEND_HOST");
        assert_eq!(render("{{ .name | lower }}", &data, Escape::Html).unwrap(), "host");
        assert_eq!(render("{{ .service.foo }}x", &data, Escape::Html).unwrap(), "x", "html/template drops missing values");
        let e = render("{{ .service.test.name | lower }}", &data, Escape::Html).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Exec);
        assert_eq!(render("a<{{ .v }}", &json!({"v": "b<c&d'+"}), Escape::Html).unwrap(), "a<b&lt;c&amp;d&#39;&#43;");
        assert_eq!(Template::parse("{{ .name | nosuch }}").unwrap_err().kind, ErrorKind::Parse);
    }

    #[test]
    fn title_is_go_strings_title() {
        assert_eq!(title("db_host"), "Db_host");
        assert_eq!(title("db-host.x"), "Db-Host.X");
    }

    #[test]
    fn mappings_print_like_go() {
        let data = json!({"backend": {"spec": {"userLabels": {"environment": "demo", "archive": "false"}, "tags": ["a", 1, 1.5, true]}},
                          "backendSVC": {"data": {"host": "127.0.0.1", "port": "8080"}}});
        assert_eq!(render("{{ .backend.spec.userLabels }}", &data, Escape::None).unwrap(), "map[archive:false environment:demo]");
        assert_eq!(render("{{ .backend.spec.tags }}", &data, Escape::None).unwrap(), "[a 1 1.5 true]");
        assert_eq!(render("{{ .backendSVC.data.host }}:{{ .backendSVC.data.port }}", &data, Escape::None).unwrap(), "127.0.0.1:8080");
        assert_eq!(render("{{ .nokey }}", &data, Escape::None).unwrap(), "<no value>");
        assert!(render("{{ .nokey.x }}", &data, Escape::None).is_err());
        assert_eq!(
            render("{{ json .backend.spec.userLabels }}", &data, Escape::None).unwrap(),
            r#"{"archive":"false","environment":"demo"}"#
        );
        assert_eq!(render(r#"{{ index .backend.spec.userLabels "archive" }}"#, &data, Escape::None).unwrap(), "false");
        assert_eq!(render(r#"{{ printf "%s-%d" "x" 3 }}"#, &data, Escape::None).unwrap(), "x-3");
        assert_eq!(render("{{ if eq .backendSVC.data.port \"8080\" }}yes{{ else }}no{{ end }}", &data, Escape::None).unwrap(), "yes");
        assert_eq!(render("{{ range .backend.spec.tags }}[{{ . }}]{{ end }}", &data, Escape::None).unwrap(), "[a][1][1.5][true]");
        assert_eq!(render("{{ with .backendSVC.data }}{{ .host }}{{ end }}", &data, Escape::None).unwrap(), "127.0.0.1");
        assert_eq!(render("{{- \"a\" -}}  b  {{- \"c\" }}", &data, Escape::None).unwrap(), "abc");
        let r = Template::parse("{{ .backend.spec.tags | len }}").unwrap().render(&data, Escape::None).unwrap();
        assert_eq!((r.text.as_str(), r.keys_read.iter().map(String::as_str).collect::<Vec<_>>()), ("4", vec!["backend"]));
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(print_value(&json!(3.0)), "3");
        assert_eq!(print_value(&json!(1.5)), "1.5");
        assert_eq!(print_value(&json!(1e21)), "1e+21");
        assert_eq!(print_value(&json!(1e-7)), "1e-07");
        assert_eq!(print_value(&json!(null)), "<nil>");
    }

    /// Issue 19 item 2: whatever reaches the data through the whole dot (`.` outside
    /// `with`/`range`, `$`) counts as reading every key.
    #[test]
    fn the_whole_dot_reads_every_key() {
        let data = json!({"user": "admin", "password": "Sup3r-Secret-Pw", "c": {"kind": "Secret"}});
        let read = |t: &str| Template::parse(t).unwrap().render(&data, Escape::None).unwrap().keys_read.into_iter().collect::<Vec<_>>();
        let every = ["c", "password", "user"];
        for t in [
            "{{ with . }}{{ .password }}{{ end }}",
            "{{ range . }}{{ . }}{{ end }}",
            r#"{{ index . "password" }}"#,
            "{{ . }}",
            "{{ with $ }}{{ .password }}{{ end }}",
            "{{ range .c }}{{ $ }}{{ end }}",
            "{{ json . }}",
            "{{ printf \"%v\" . }}",
            "{{ len . }}",
            "{{ if . }}x{{ end }}",
        ] {
            assert_eq!(read(t), every, "{t}");
        }
        assert_eq!(read("{{ .user }}"), ["user"]);
        assert_eq!(read("{{ with .c }}{{ .kind }}{{ end }}"), ["c"]);
        assert_eq!(read("{{ range .c }}{{ $.user }}{{ end }}"), ["c", "user"]);
    }

    /// Issue 19 item 1: errors name the action, keys and types, never a value of the data.
    #[test]
    fn errors_never_print_a_value() {
        let secret = "Sup3r-Secret-Pw";
        let data = json!({"password": secret, "n": 7, "list": [secret], "m": {"k": secret}});
        for t in [
            "{{ range .password }}{{ end }}",
            "{{ range .n }}{{ end }}",
            "{{ index .list 5 }}",
            "{{ index .list (len .password) }}",
            "{{ index .password 0 }}",
            "{{ .password.x }}",
            "{{ .list.x }}",
            "{{ len .n }}",
            "{{ lt .password 3 }}",
            "{{ eq .m .m }}",
            "{{ with .password }}{{ .x }}{{ end }}",
            "{{ .password | upper | len | index .list }}",
        ] {
            let e = render(t, &data, Escape::None).unwrap_err();
            assert!(!e.message.contains(secret) && !e.message.contains("Sup3r"), "{t}: {}", e.message);
            assert!(e.message.starts_with("at <{{"), "{t}: names the action: {}", e.message);
        }
        let e = render("{{ range .password }}{{ end }}", &data, Escape::None).unwrap_err();
        assert_eq!(e.message, "at <{{range .password}}>: range can't iterate over string");
    }

    /// Issue 19 item 14: a `range` nested over large values, and output past 1 MiB, fail.
    #[test]
    fn evaluation_is_bounded() {
        let list: Vec<Value> = (0..200).map(|i| json!(i)).collect();
        let data = json!({"l": list, "s": "x".repeat(1000)});
        let nested = "{{ range .l }}{{ range $.l }}{{ range $.l }}{{ end }}{{ end }}{{ end }}";
        let e = render(nested, &data, Escape::None).unwrap_err();
        assert!(e.message.contains("exceeds 1000000 steps"), "{}", e.message);
        let big = "{{ range .l }}{{ range $.l }}{{ $.s }}{{ end }}{{ end }}";
        assert!(render(big, &data, Escape::None).unwrap_err().message.contains("exceeds 1 MiB"));
        let built = "{{ range .l }}{{ range $.l }}{{ if printf \"%s%s%s%s\" $.s $.s $.s $.s }}{{ end }}{{ end }}{{ end }}";
        assert!(render(built, &data, Escape::None).unwrap_err().message.contains("steps"));
        // Ordinary templates stay well inside.
        assert_eq!(render("{{ range .l }}.{{ end }}", &data, Escape::None).unwrap().len(), 200);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for t in [
            "{{",
            "{{ }}",
            "{{ ( }}",
            "{{ ) }}",
            "{{ end }}",
            "{{ if }}",
            "{{ if .a }}",
            "{{ . | }}",
            "{{ \"x }}",
            "{{ $x := 1 }}",
            "{{ 1 2 }}",
            "{{ index }}",
            "{{ printf }}",
            "{{ range 5 }}{{ end }}",
        ] {
            let _ = Template::parse(t).map(|tt| tt.render(&json!({"a": 1}), Escape::None));
        }
    }
}
