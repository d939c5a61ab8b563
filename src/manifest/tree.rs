//! A YAML tree with a position on every node, built from saphyr-parser events.
//!
//! Scalars are resolved the way Kubernetes' YAML decoder (sigs.k8s.io/yaml,
//! YAML 1.1 flavoured) resolves them, so `yes`, `on` and `8080` are not strings.
//!
//! The tree is compact: a node is 40 bytes, a string of up to 24 bytes (most
//! keys and values) lives inside its node, and a collection's children sit in
//! one exactly sized allocation.

use crate::input::Span;

/// A string scalar: inline up to 24 bytes, on the heap beyond.
pub type Str = compact_str::CompactString;

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Str),
    Seq(Box<[Node]>),
    Map(Box<[Entry]>),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Entry {
    /// The span of the whole entry when the value is a scalar (`name: api`),
    /// otherwise the key alone (`readinessProbe:`).
    pub fn span(&self) -> Span {
        match self.value.value {
            Value::Seq(_) | Value::Map(_) => self.key.span,
            _ if self.value.span.end > self.key.span.end => self.key.span.to(self.value.span),
            _ => self.key.span,
        }
    }

    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The entry for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key_str() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self.value, Value::Seq(_) | Value::Map(_))
    }

    /// A short name of the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// A scalar rendered as text (for messages and coercions).
    pub fn scalar_text(&self) -> Option<String> {
        Some(match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Str(s) => s.to_string(),
            _ => return None,
        })
    }

    /// Resolve an RFC 6901 JSON pointer (`/spec/template/spec/containers/0`).
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        self.locate(pointer).map(|l| l.node)
    }

    /// Resolve a pointer and also return the entry that holds the last step
    /// (so a finding can point at `key: value` rather than at the value).
    pub fn locate(&self, pointer: &str) -> Option<Located<'_>> {
        let mut node = self;
        let mut entry = None;
        if pointer.is_empty() {
            return Some(Located { node, entry });
        }
        for raw in pointer.strip_prefix('/')?.split('/') {
            let seg = unescape(raw);
            match &node.value {
                Value::Map(m) => {
                    let e = m.iter().find(|e| e.key_str() == Some(seg.as_ref()))?;
                    entry = Some(e);
                    node = &e.value;
                }
                Value::Seq(s) => {
                    node = s.get(seg.parse::<usize>().ok()?)?;
                    entry = None;
                }
                _ => return None,
            }
        }
        Some(Located { node, entry })
    }

    /// The deepest existing node along `pointer` (and the pointer to it),
    /// used to place findings about missing fields on their parent.
    pub fn deepest<'a>(&'a self, pointer: &str) -> (Located<'a>, String) {
        let mut best = Located { node: self, entry: None };
        let mut best_ptr = String::new();
        let mut cur = String::new();
        for raw in pointer.split('/').skip(1) {
            cur.push('/');
            cur.push_str(raw);
            match self.locate(&cur) {
                Some(l) => {
                    best = l;
                    best_ptr = cur.clone();
                }
                None => break,
            }
        }
        (best, best_ptr)
    }
}

#[derive(Clone, Copy)]
pub struct Located<'a> {
    pub node: &'a Node,
    pub entry: Option<&'a Entry>,
}

impl Located<'_> {
    /// Span of the key alone (or the node when it has no key).
    pub fn key_span(&self) -> Span {
        self.entry.map(|e| e.key.span).unwrap_or(self.node.span)
    }
    /// Span of `key: value` for scalar values, the key for collections.
    pub fn entry_span(&self) -> Span {
        self.entry.map(|e| e.span()).unwrap_or(self.node.span)
    }
}

fn unescape(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains('~') { seg.replace("~1", "/").replace("~0", "~").into() } else { seg.into() }
}

/// Escape one JSON-pointer segment.
pub fn escape(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains(['~', '/']) { seg.replace('~', "~0").replace('/', "~1").into() } else { seg.into() }
}

/// Resolve a plain scalar as Kubernetes' YAML decoder does (YAML 1.1 core types).
pub fn resolve_plain(s: &str) -> Value {
    resolve_non_string(s).unwrap_or_else(|| Value::Str(s.into()))
}

/// [`resolve_plain`] for a scalar that is not a string; `None` for a string
/// (so the caller can keep the text it owns).
pub fn resolve_non_string(s: &str) -> Option<Value> {
    Some(match s {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => Value::Bool(true),
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Value::Float(f64::NAN),
        _ => {
            let first = s.as_bytes()[0];
            if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
                return None;
            }
            if let Some(i) = parse_int(s) {
                return Some(Value::Int(i));
            }
            if is_float(s) {
                return s.replace('_', "").parse::<f64>().ok().map(Value::Float);
            }
            return None;
        }
    })
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let clean: std::borrow::Cow<str> = if digits.contains('_') { digits.replace('_', "").into() } else { digits.into() };
    let (radix, body) = if let Some(h) = clean.strip_prefix("0x") {
        (16, h)
    } else if let Some(bin) = clean.strip_prefix("0b") {
        (2, bin)
    } else if let Some(o) = clean.strip_prefix("0o") {
        (8, o)
    } else if clean.len() > 1 && clean.starts_with('0') {
        (8, &clean[1..])
    } else {
        (10, clean.as_ref())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(body, radix).ok()?;
    Some(if neg { -v } else { v })
}

fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_yaml11_scalars() {
        assert!(matches!(resolve_plain("yes"), Value::Bool(true)));
        assert!(matches!(resolve_plain("off"), Value::Bool(false)));
        assert!(matches!(resolve_plain("8080"), Value::Int(8080)));
        assert!(matches!(resolve_plain("0x1F"), Value::Int(31)));
        assert!(matches!(resolve_plain("1.0"), Value::Float(_)));
        assert!(matches!(resolve_plain("1e3"), Value::Float(_)));
        assert!(matches!(resolve_plain("~"), Value::Null));
        assert!(matches!(resolve_plain("1.2.3"), Value::Str(_)));
        assert!(matches!(resolve_plain("25%"), Value::Str(_)));
        assert!(matches!(resolve_plain("-"), Value::Str(_)));
        assert!(matches!(resolve_plain(".5"), Value::Float(_)));
        assert!(matches!(resolve_plain("v1"), Value::Str(_)));
        assert!(matches!(resolve_plain("1_000"), Value::Int(1000)));
        assert!(matches!(resolve_plain("1e"), Value::Str(_)));
        assert!(resolve_non_string("api").is_none());
        assert!(matches!(resolve_non_string("null"), Some(Value::Null)));
    }

    #[test]
    fn nodes_are_compact() {
        // The value's tag shares the string's spare byte: 24 bytes, not 32.
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Node>(), 40);
        assert_eq!(std::mem::size_of::<Entry>(), 80);
    }
}
