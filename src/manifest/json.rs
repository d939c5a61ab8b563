//! Convert a positioned tree to `serde_json::Value` for typed deserialization.

use super::tree::{Node, Value};
use serde_json::Value as J;

/// Convert a tree. Scalar values of string maps (labels, annotations,
/// matchLabels) become strings: a non-string there is reported by
/// `metadata-value-not-string`, and should not also break typed access.
pub fn to_json(node: &Node) -> J {
    convert(node, true)
}

/// Convert a tree exactly as the file has it (`true` stays a boolean even
/// as a label value): what is sent to an API server, which, not the client,
/// refuses a wrong type (as with kubectl).
pub fn to_json_exact(node: &Node) -> J {
    convert(node, false)
}

fn convert(node: &Node, coerce: bool) -> J {
    match &node.value {
        Value::Map(entries) => {
            let mut m = serde_json::Map::with_capacity(entries.len());
            for e in entries {
                let key = e.key.scalar_text().unwrap_or_default();
                let value = match e.value.as_map() {
                    Some(inner) if coerce && is_string_map_key(&key) => {
                        J::Object(inner.iter().map(|i| (i.key.scalar_text().unwrap_or_default(), scalar_as_string(&i.value))).collect())
                    }
                    _ => convert(&e.value, coerce),
                };
                m.insert(key, value);
            }
            J::Object(m)
        }
        Value::Seq(items) => J::Array(items.iter().map(|i| convert(i, coerce)).collect()),
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.to_string()),
    }
}

fn scalar_as_string(node: &Node) -> J {
    match &node.value {
        Value::Null => J::String(String::new()),
        Value::Map(_) | Value::Seq(_) => to_json(node),
        _ => J::String(node.scalar_text().unwrap_or_default()),
    }
}

/// Keys whose mapping values must all be strings.
pub fn is_string_map_key(key: &str) -> bool {
    matches!(key, "labels" | "annotations" | "matchLabels")
}
