//! Typed deserialization straight from a positioned tree, without building a
//! `serde_json::Value` first.
//!
//! It reads a tree exactly as [`super::json::to_json`] would convert it and
//! as `serde_json`'s `&Value` deserializer would then hand it to a visitor
//! (same coercions, same type checks). It may refuse more than that path
//! (enums, integer map keys), never less: callers fall back to the JSON path
//! on any error, which also names the offending field.

use super::json::is_string_map_key;
use super::tree::{Entry, Node, Value};
use serde::de::value::Error;
use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};
use std::borrow::Cow;

/// Deserialize a node as `T`, or `None` when the JSON path has to decide.
pub fn typed<T: DeserializeOwned>(node: &Node) -> Option<T> {
    T::deserialize(NodeDe { node, mode: Mode::Plain }).ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    /// A mapping under `labels`, `annotations` or `matchLabels`: its values are strings.
    StringMap,
    /// A value of such a mapping: a scalar reads as its text (null as "").
    AsString,
}

/// What the JSON conversion would make of a node.
enum View<'a> {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
    Seq(&'a [Node]),
    Map(&'a [Entry], bool),
}

#[derive(Clone, Copy)]
struct NodeDe<'a> {
    node: &'a Node,
    mode: Mode,
}

impl<'a> NodeDe<'a> {
    fn view(self) -> View<'a> {
        let n = self.node;
        match (&n.value, self.mode) {
            (Value::Seq(items), _) => View::Seq(items),
            (Value::Map(entries), m) => View::Map(entries, m == Mode::StringMap),
            (Value::Null, Mode::AsString) => View::Str(Cow::Borrowed("")),
            (Value::Str(s), _) => View::Str(Cow::Borrowed(s)),
            (_, Mode::AsString) => View::Str(Cow::Owned(n.scalar_text().unwrap_or_default())),
            (Value::Null, _) => View::Null,
            (Value::Bool(b), _) => View::Bool(*b),
            (Value::Int(i), _) if *i >= 0 => View::U64(*i as u64),
            (Value::Int(i), _) => View::I64(*i),
            (Value::Float(f), _) if f.is_finite() => View::F64(*f),
            (Value::Float(_), _) => View::Null,
        }
    }
}

fn invalid<'de, V: Visitor<'de>>(visitor: &V) -> Error {
    de::Error::custom(format_args!("invalid type, expected {}", Expecting(visitor)))
}

struct Expecting<'v, V>(&'v V);

impl<'de, V: Visitor<'de>> std::fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)
    }
}

fn visit<'de, V: Visitor<'de>>(view: View<'de>, visitor: V) -> Result<V::Value, Error> {
    match view {
        View::Null => visitor.visit_unit(),
        View::Bool(b) => visitor.visit_bool(b),
        View::U64(u) => visitor.visit_u64(u),
        View::I64(i) => visitor.visit_i64(i),
        View::F64(f) => visitor.visit_f64(f),
        View::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
        View::Str(Cow::Owned(s)) => visitor.visit_string(s),
        View::Seq(items) => {
            let mut seq = SeqDe { items: items.iter() };
            let v = visitor.visit_seq(&mut seq)?;
            if seq.items.len() == 0 { Ok(v) } else { Err(de::Error::custom("trailing items")) }
        }
        View::Map(entries, string_map) => {
            let mut map = MapDe { entries: entries.iter(), string_map, value: None };
            let v = visitor.visit_map(&mut map)?;
            if map.entries.len() == 0 { Ok(v) } else { Err(de::Error::custom("trailing entries")) }
        }
    }
}

/// serde_json's typed entry points: visit only values of the asked kind.
macro_rules! only {
    ($($method:ident: [$($pat:pat_param)|+]),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                match self.view() {
                    v if matches!(v, $($pat)|+) => visit(v, visitor),
                    _ => Err(invalid(&visitor)),
                }
            }
        )*
    };
}

impl<'de> Deserializer<'de> for NodeDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit(self.view(), visitor)
    }

    only! {
        deserialize_bool: [View::Bool(_)],
        deserialize_i8: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_i16: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_i32: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_i64: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_i128: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_u8: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_u16: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_u32: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_u64: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_u128: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_f32: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_f64: [View::U64(_) | View::I64(_) | View::F64(_)],
        deserialize_char: [View::Str(_)],
        deserialize_str: [View::Str(_)],
        deserialize_string: [View::Str(_)],
        deserialize_identifier: [View::Str(_)],
        deserialize_bytes: [View::Str(_) | View::Seq(_)],
        deserialize_byte_buf: [View::Str(_) | View::Seq(_)],
        deserialize_unit: [View::Null],
        deserialize_seq: [View::Seq(_)],
        deserialize_map: [View::Map(..)],
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.view() {
            View::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.view() {
            v @ (View::Seq(_) | View::Map(..)) => visit(v, visitor),
            _ => Err(invalid(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        // Not needed by the Kubernetes types; the JSON path handles them.
        Err(de::Error::custom("enum"))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'de> {
    type Error = Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed.deserialize(NodeDe { node, mode: Mode::Plain }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'a> {
    entries: std::slice::Iter<'a, Entry>,
    string_map: bool,
    value: Option<NodeDe<'a>>,
}

impl<'de> de::MapAccess<'de> for MapDe<'de> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(e) = self.entries.next() else { return Ok(None) };
        let key: Cow<'de, str> = match e.key.as_str() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(e.key.scalar_text().unwrap_or_default()),
        };
        let mode = if self.string_map {
            Mode::AsString
        } else if matches!(e.value.value, Value::Map(_)) && is_string_map_key(&key) {
            Mode::StringMap
        } else {
            Mode::Plain
        };
        self.value = Some(NodeDe { node: &e.value, mode });
        match key {
            Cow::Borrowed(s) => seed.deserialize(de::value::BorrowedStrDeserializer::new(s)).map(Some),
            Cow::Owned(s) => seed.deserialize(s.into_deserializer()).map(Some),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(self.value.take().ok_or_else(|| de::Error::custom("value before key"))?)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{json::to_json, parse::parse_stream};
    use k8s_openapi::api::apps::v1::DeploymentSpec;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn node(text: &str) -> Node {
        parse_stream(text).remove(0).result.unwrap()
    }

    /// The tree path gives what the JSON path gives, or nothing.
    fn same<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) -> Option<T> {
        let n = node(text);
        let slow = serde_json::from_value::<T>(to_json(&n)).ok();
        let fast = typed::<T>(&n);
        if fast.is_some() {
            assert_eq!(fast, slow, "{text}");
        }
        fast
    }

    #[test]
    fn reads_what_the_json_path_reads() {
        let meta = same::<ObjectMeta>("name: a\nlabels: {app: 1, on: yes, z: null, f: 1.50}\nannotations: {x: 0x1F}\ngeneration: 3\n");
        let meta = meta.unwrap();
        assert_eq!(meta.annotations.unwrap()["x"], "31");
        let labels = meta.labels.unwrap();
        assert_eq!(labels["app"], "1");
        assert_eq!(labels["true"], "true"); // `on` is a boolean, also as a key
        assert_eq!(labels["z"], "");
        assert_eq!(labels["f"], "1.5");
        let spec = "selector: {matchLabels: {app: a}}\nreplicas: 2\ntemplate:\n  spec:\n    containers:\n      - {name: a, image: a, ports: [{containerPort: 80}], resources: {limits: {cpu: 1, memory: 1Gi}}}\n      - {name: b, image: b, livenessProbe: {httpGet: {port: http, path: /}}, readinessProbe: {tcpSocket: {port: 8080}}}\n";
        assert!(same::<DeploymentSpec>(spec).is_some());
    }

    #[test]
    fn refuses_what_the_json_path_refuses() {
        assert!(same::<ObjectMeta>("name: 1\n").is_none());
        assert!(same::<ObjectMeta>("generation: '3'\n").is_none());
        assert!(same::<ObjectMeta>("generation: 1.5\n").is_none());
        // Not a JSON number: null, as an absent field.
        assert_eq!(same::<ObjectMeta>("generation: .inf\n").unwrap().generation, None);
        assert!(same::<ObjectMeta>("labels: [a]\n").is_none());
        assert!(same::<DeploymentSpec>("replicas: true\nselector: {}\ntemplate: {}\n").is_none());
    }
}
