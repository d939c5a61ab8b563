//! `metadata-value-not-string`: Label or annotation value is not a string

use super::{Context, Rule};
use crate::edit::Op;
use crate::finding::{Finding, Fix};
use crate::manifest::tree::{Node, Value, escape};
use crate::manifest::{Object, Target};

declare_rule! {
    id: "metadata-value-not-string",
    severity: Error,
    fix: Safe,
    params: [],
    check: Some(&MetadataValueNotString),
}

pub struct MetadataValueNotString;
impl Rule for MetadataValueNotString {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        walk(obj, &obj.root, &mut String::new(), &mut out);
        if matches!(obj.kind.as_str(), "Service" | "ReplicationController")
            && let Some(sel) = obj.root.pointer("/spec/selector")
        {
            check_map(obj, sel, "/spec/selector", "selector", &mut out);
        }
        out
    }
}

fn walk(obj: &Object, node: &Node, ptr: &mut String, out: &mut Vec<Finding>) {
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let Some(k) = e.key.as_str() else { continue };
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&escape(k));
                match k {
                    "metadata" => {
                        for what in ["labels", "annotations"] {
                            if let Some(m) = e.value.get(what) {
                                check_map(obj, m, &format!("{ptr}/{what}"), &what[..what.len() - 1], out);
                            }
                        }
                    }
                    "matchLabels" => check_map(obj, &e.value, ptr, "selector", out),
                    _ => {}
                }
                walk(obj, &e.value, ptr, out);
                ptr.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk(obj, n, ptr, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

fn check_map(obj: &Object, map: &Node, ptr: &str, what: &str, out: &mut Vec<Finding>) {
    for e in map.as_map().unwrap_or_default() {
        if matches!(e.value.value, Value::Str(_) | Value::Map(_) | Value::Seq(_)) {
            continue;
        }
        let key = e.key.scalar_text().unwrap_or_default();
        let text = e.value.scalar_text().unwrap_or_default();
        let shown = if matches!(e.value.value, Value::Null) { String::new() } else { text };
        let at = format!("{ptr}/{}", escape(&key));
        let f = finding(obj, format!("{what} \"{key}\" has a {} value; Kubernetes requires a string", e.value.type_name()))
            .at(&at, Target::Value)
            .help(format!("quote it: {key}: \"{shown}\""))
            // The API server rejects the object as it is; the string is what was evidently meant.
            .fix(Fix::safe("quote the value", vec![Op::Quote { ptr: obj.doc_ptr(&at) }]));
        out.push(f);
    }
}
