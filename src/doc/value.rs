//! The document model: a JSON-like tree, compact for Kubernetes manifests.
//!
//! A large render holds every input document in memory, so the tree's size decides peak memory.
//! `serde_json::Value` with insertion order costs 80 bytes per node and an `IndexMap` (a hash
//! table plus 112-byte entries) per mapping. Kubernetes mappings are small, so this model keeps
//! a mapping as a vector of `(key, value)` pairs in input order (32 bytes per node, 56 per entry)
//! and finds keys by a linear scan. Keys and strings are [`Str`]s: up to 24 bytes (nearly every
//! key and most scalars of a manifest) live inside the node, without an allocation of their own. The API follows `serde_json::Value` (indexing, `get`,
//! `pointer`, `as_*`, `json!`), so code reads the same; maps compare as maps (order does not
//! matter), as `serde_json`'s do.

use std::fmt;
use std::ops::{Index, IndexMut};

pub use serde_json::Number;

/// A key or string scalar: inline up to 24 bytes, on the heap beyond.
pub type Str = compact_str::CompactString;

/// A manifest node.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Str),
    Array(Vec<Value>),
    Object(Map),
}

/// `json!` for this model: the `serde_json` literal, converted.
#[macro_export]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::doc::value::Value::from(::serde_json::json!($($t)+))
    };
}
pub use crate::json;

/// A mapping in insertion order.
#[derive(Clone, Debug, Default)]
pub struct Map {
    entries: Vec<(Str, Value)>,
}

impl Map {
    pub fn new() -> Self {
        Map { entries: Vec::new() }
    }

    pub fn with_capacity(n: usize) -> Self {
        Map { entries: Vec::with_capacity(n) }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Set `key`; an existing entry keeps its place. Returns the previous value.
    pub fn insert(&mut self, key: impl Into<Str>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Append an entry whose key the caller knows is new (the YAML reader checks duplicates).
    pub(crate) fn push_unique(&mut self, key: Str, value: Value) {
        self.entries.push((key, value));
    }

    /// Remove `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.shift_remove(key)
    }

    pub fn shift_remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).map(|i| self.entries.remove(i).1)
    }

    pub fn entry(&mut self, key: impl Into<Str>) -> Entry<'_> {
        let key = key.into();
        match self.position(&key) {
            Some(index) => Entry::Occupied(OccupiedEntry { map: self, index }),
            None => Entry::Vacant(VacantEntry { map: self, key }),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn clear(&mut self) {
        self.entries.clear()
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&Str, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v))
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(self.entries.iter_mut())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Str> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit()
    }
}

impl PartialEq for Map {
    /// Maps are equal when they hold the same entries, in any order.
    fn eq(&self, other: &Map) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.entries.iter().zip(&other.entries).all(|((a, x), (b, y))| a == b && x == y) {
            return true;
        }
        self.entries.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

/// An object of these entries, in this order; the keys are distinct. What `json!` builds for a
/// literal object, without going through `serde_json` (for the projection's hot paths).
pub fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (k, v) in entries {
        debug_assert!(!map.contains_key(k), "duplicate key {k:?}");
        map.push_unique(Str::from(k), v);
    }
    Value::Object(map)
}

impl<K: Into<Str>> Extend<(K, Value)> for Map {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<K: Into<Str>> FromIterator<(K, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        let mut m = Map::new();
        m.extend(iter);
        m
    }
}

pub struct Iter<'a>(std::slice::Iter<'a, (Str, Value)>);
impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Str, &'a Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}
impl ExactSizeIterator for Iter<'_> {}

pub struct IterMut<'a>(std::slice::IterMut<'a, (Str, Value)>);
impl<'a> Iterator for IterMut<'a> {
    type Item = (&'a Str, &'a mut Value);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (&*k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl ExactSizeIterator for IterMut<'_> {}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a Str, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Map {
    type Item = (&'a Str, &'a mut Value);
    type IntoIter = IterMut<'a>;
    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl IntoIterator for Map {
    type Item = (Str, Value);
    type IntoIter = std::vec::IntoIter<(Str, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl Index<&str> for Map {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

/// An entry of a [`Map`], as `serde_json::map::Entry`.
pub enum Entry<'a> {
    Vacant(VacantEntry<'a>),
    Occupied(OccupiedEntry<'a>),
}

pub struct VacantEntry<'a> {
    map: &'a mut Map,
    key: Str,
}

pub struct OccupiedEntry<'a> {
    map: &'a mut Map,
    index: usize,
}

impl<'a> VacantEntry<'a> {
    pub fn key(&self) -> &Str {
        &self.key
    }
    pub fn insert(self, value: Value) -> &'a mut Value {
        self.map.entries.push((self.key, value));
        &mut self.map.entries.last_mut().expect("just pushed").1
    }
}

impl<'a> OccupiedEntry<'a> {
    pub fn key(&self) -> &Str {
        &self.map.entries[self.index].0
    }
    pub fn get(&self) -> &Value {
        &self.map.entries[self.index].1
    }
    pub fn get_mut(&mut self) -> &mut Value {
        &mut self.map.entries[self.index].1
    }
    pub fn into_mut(self) -> &'a mut Value {
        &mut self.map.entries[self.index].1
    }
    pub fn insert(&mut self, value: Value) -> Value {
        std::mem::replace(self.get_mut(), value)
    }
    pub fn remove(self) -> Value {
        self.map.entries.remove(self.index).1
    }
}

impl<'a> Entry<'a> {
    pub fn or_insert(self, default: Value) -> &'a mut Value {
        match self {
            Entry::Vacant(v) => v.insert(default),
            Entry::Occupied(o) => o.into_mut(),
        }
    }
    pub fn or_insert_with(self, default: impl FnOnce() -> Value) -> &'a mut Value {
        match self {
            Entry::Vacant(v) => v.insert(default()),
            Entry::Occupied(o) => o.into_mut(),
        }
    }
}

static NULL: Value = Value::Null;

/// What can index a [`Value`]: a key (`&str`, `String`) or a position (`usize`).
pub trait ValueIndex {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value>;
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value>;
    /// `v[self]` for assignment: a missing key is inserted (a null becomes a mapping).
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value;
}

impl ValueIndex for str {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_object()?.get(self)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_object_mut()?.get_mut(self)
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        if v.is_null() {
            *v = Value::Object(Map::new());
        }
        match v {
            Value::Object(m) => m.entry(self).or_insert(Value::Null),
            other => panic!("cannot index {} with key {self:?}", other.type_name()),
        }
    }
}

/// Owned keys index as the `&str` they hold.
macro_rules! index_as_str {
    ($($t:ty),*) => {$(
        impl ValueIndex for $t {
            fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
                self.as_str().index_into(v)
            }
            fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
                self.as_str().index_into_mut(v)
            }
            fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
                self.as_str().index_or_insert(v)
            }
        }
    )*};
}
index_as_str!(String, Str);

impl ValueIndex for usize {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        v.as_array()?.get(*self)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        v.as_array_mut()?.get_mut(*self)
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        match v {
            Value::Array(a) => {
                let len = a.len();
                a.get_mut(*self).unwrap_or_else(|| panic!("index {self} out of bounds for a list of {len}"))
            }
            other => panic!("cannot index {} with {self}", other.type_name()),
        }
    }
}

impl<T: ValueIndex + ?Sized> ValueIndex for &T {
    fn index_into<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        (**self).index_into(v)
    }
    fn index_into_mut<'v>(&self, v: &'v mut Value) -> Option<&'v mut Value> {
        (**self).index_into_mut(v)
    }
    fn index_or_insert<'v>(&self, v: &'v mut Value) -> &'v mut Value {
        (**self).index_or_insert(v)
    }
}

impl<I: ValueIndex> Index<I> for Value {
    type Output = Value;
    fn index(&self, i: I) -> &Value {
        i.index_into(self).unwrap_or(&NULL)
    }
}

impl<I: ValueIndex> IndexMut<I> for Value {
    fn index_mut(&mut self, i: I) -> &mut Value {
        i.index_or_insert(self)
    }
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "a mapping",
        }
    }

    pub fn get<I: ValueIndex>(&self, i: I) -> Option<&Value> {
        i.index_into(self)
    }

    pub fn get_mut<I: ValueIndex>(&mut self, i: I) -> Option<&mut Value> {
        i.index_into_mut(self)
    }

    /// Look up a JSON pointer (`/a/0/b`, `~0` and `~1` escapes), as `serde_json::Value::pointer`.
    pub fn pointer(&self, pointer: &str) -> Option<&Value> {
        let mut node = self;
        for token in pointer_tokens(pointer)? {
            node = match node {
                Value::Object(m) => m.get(&token)?,
                Value::Array(a) => a.get(parse_index(&token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    pub fn pointer_mut(&mut self, pointer: &str) -> Option<&mut Value> {
        let mut node = self;
        for token in pointer_tokens(pointer)? {
            node = match node {
                Value::Object(m) => m.get_mut(&token)?,
                Value::Array(a) => a.get_mut(parse_index(&token)?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }
    pub fn is_f64(&self) -> bool {
        matches!(self, Value::Number(n) if n.is_f64())
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_array_mut(&mut self) -> Option<&mut Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
}

/// The unescaped tokens of a JSON pointer (none for `""`); `None` when it does not start with `/`.
fn pointer_tokens(pointer: &str) -> Option<impl Iterator<Item = std::borrow::Cow<'_, str>>> {
    let rest = if pointer.is_empty() { None } else { Some(pointer.strip_prefix('/')?) };
    Some(rest.into_iter().flat_map(|r| r.split('/')).map(unescape_token))
}

fn unescape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// A JSON pointer array index: digits, no leading zero.
fn parse_index(token: &str) -> Option<usize> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Value {}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}
impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}
impl PartialEq<String> for Value {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}
impl PartialEq<Value> for str {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}
impl PartialEq<Value> for &str {
    fn eq(&self, other: &Value) -> bool {
        other == *self
    }
}
impl PartialEq<Value> for String {
    fn eq(&self, other: &Value) -> bool {
        other == self
    }
}
impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}
macro_rules! eq_int {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Value {
            fn eq(&self, other: &$t) -> bool {
                match self {
                    Value::Number(n) => i128::try_from(*other).ok().is_some_and(|o| {
                        n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) == Some(o)
                    }),
                    _ => false,
                }
            }
        }
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(Number::from(n))
            }
        }
    )*};
}
eq_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
impl PartialEq<f64> for Value {
    fn eq(&self, other: &f64) -> bool {
        self.as_f64() == Some(*other)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}
impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s.into())
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.into())
    }
}
impl From<Str> for Value {
    fn from(s: Str) -> Value {
        Value::String(s)
    }
}
impl From<&Str> for Value {
    fn from(s: &Str) -> Value {
        Value::String(s.clone())
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Null, Into::into)
    }
}
impl<T: Into<Value>> FromIterator<T> for Value {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Value {
        Value::Array(iter.into_iter().map(Into::into).collect())
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s.into()),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(m) => {
                let mut out = Map::with_capacity(m.len());
                for (k, v) in m {
                    out.push_unique(k.into(), Value::from(v));
                }
                Value::Object(out)
            }
        }
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Number(n) => serde_json::Value::Number(n),
            Value::String(s) => serde_json::Value::String(s.into()),
            Value::Array(a) => serde_json::Value::Array(a.into_iter().map(serde_json::Value::from).collect()),
            Value::Object(m) => serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.into(), serde_json::Value::from(v))).collect()),
        }
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => n.serialize(s),
            Value::String(v) => s.serialize_str(v),
            Value::Array(a) => a.serialize(s),
            Value::Object(m) => m.serialize(s),
        }
    }
}

impl serde::Serialize for Map {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        serde_json::Value::deserialize(d).map(Value::from)
    }
}

impl fmt::Display for Value {
    /// Compact JSON, as `serde_json::Value` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// `jsonpath-rust` queries this model directly.
impl jsonpath_rust::query::queryable::Queryable for Value {
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }
    fn as_array(&self) -> Option<&Vec<Self>> {
        Value::as_array(self)
    }
    fn as_object(&self) -> Option<Vec<(&str, &Self)>> {
        Value::as_object(self).map(|m| m.iter().map(|(k, v)| (k.as_str(), v)).collect())
    }
    fn as_str(&self) -> Option<&str> {
        Value::as_str(self)
    }
    fn as_i64(&self) -> Option<i64> {
        Value::as_i64(self)
    }
    fn as_f64(&self) -> Option<f64> {
        Value::as_f64(self)
    }
    fn as_bool(&self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn null() -> Self {
        Value::Null
    }
    fn reference<T>(&self, path: T) -> Option<&Self>
    where
        T: Into<jsonpath_rust::query::QueryPath>,
    {
        let path: String = path.into();
        let steps = normalized_path_steps(&path)?;
        let mut node = self;
        for step in steps {
            node = match step {
                PathStep::Key(k) => node.as_object()?.get(&k)?,
                PathStep::Index(i) => node.as_array()?.get(i)?,
            };
        }
        Some(node)
    }
    fn reference_mut<T>(&mut self, path: T) -> Option<&mut Self>
    where
        T: Into<jsonpath_rust::query::QueryPath>,
    {
        let path: String = path.into();
        let steps = normalized_path_steps(&path)?;
        let mut node = self;
        for step in steps {
            node = match step {
                PathStep::Key(k) => node.as_object_mut()?.get_mut(&k)?,
                PathStep::Index(i) => node.as_array_mut()?.get_mut(i)?,
            };
        }
        Some(node)
    }
}

impl jsonpath_rust::JsonPath for Value {}

enum PathStep {
    Key(String),
    Index(usize),
}

/// The steps of a normalized JSONPath (`$['a'][0]['b\'c']`), as `jsonpath-rust` reports them.
fn normalized_path_steps(path: &str) -> Option<Vec<PathStep>> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        rest = rest.strip_prefix('[')?;
        if let Some(quoted) = rest.strip_prefix('\'') {
            let mut key = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\\' => key.push(chars.next()?.1),
                    '\'' => break i,
                    c => key.push(c),
                }
            };
            rest = quoted[end + 1..].strip_prefix(']')?;
            steps.push(PathStep::Key(key));
        } else {
            let close = rest.find(']')?;
            steps.push(PathStep::Index(rest[..close].trim().parse().ok()?));
            rest = &rest[close + 1..];
        }
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_small() {
        assert_eq!(std::mem::size_of::<Value>(), 32);
        // A mapping entry: the key is inline up to 24 bytes.
        assert_eq!(std::mem::size_of::<(Str, Value)>(), 56);
    }

    #[test]
    fn indexing_reading_and_writing_as_serde_json() {
        let mut v = json!({"a": {"b": [1, "two"]}, "k": null});
        assert_eq!(v["a"]["b"][1], "two");
        assert_eq!(v["a"]["b"][0], 1);
        assert!(v["missing"]["deeper"].is_null());
        v["a"]["c"] = json!("new");
        v["k"]["made"] = json!(true);
        assert_eq!(v.pointer("/a/c"), Some(&json!("new")));
        assert_eq!(v.pointer("/k/made"), Some(&Value::Bool(true)));
        assert_eq!(v.pointer("/a/b/01"), None);
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["a", "k"], "insertion order");
        assert_eq!(v.to_string(), r#"{"a":{"b":[1,"two"],"c":"new"},"k":{"made":true}}"#);
    }

    #[test]
    fn maps_compare_as_maps() {
        assert_eq!(json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1}));
        assert_ne!(json!({"a": 1, "b": 2}), json!({"a": 1, "b": 3}));
        assert_ne!(json!({"a": 1}), json!({"a": 1, "b": 2}));
    }

    #[test]
    fn insert_keeps_the_place_remove_keeps_the_order() {
        let mut m = Map::new();
        for k in ["x", "y", "z"] {
            m.insert(k, json!(k));
        }
        assert_eq!(m.insert("x", json!(1)), Some(json!("x")));
        m.remove("y");
        assert_eq!(m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["x=1", "z=\"z\""]);
    }

    #[test]
    fn jsonpath_queries_and_references() {
        use jsonpath_rust::query::queryable::Queryable;
        use jsonpath_rust::JsonPath;
        let mut v = json!({"spec": {"containers": [{"name": "a"}, {"name": "b'c"}]}});
        let found: Vec<&Value> = v.query("$.spec.containers[*].name").unwrap();
        assert_eq!(found, [&json!("a"), &json!("b'c")]);
        let paths: Vec<String> = v.query_only_path("$.spec.containers[*].name").unwrap();
        assert_eq!(v.reference(paths[1].as_str()), Some(&json!("b'c")));
        *v.reference_mut("$['spec']['containers'][0]['name']").unwrap() = json!("z");
        assert_eq!(v["spec"]["containers"][0]["name"], "z");
    }
}
