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
    reads_other_objects: false,
    params: [],
    check: Some(&MetadataValueNotString),
}

pub struct MetadataValueNotString;
impl Rule for MetadataValueNotString {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        walk(obj, &obj.root, &mut Vec::new(), &mut out);
        if crate::manifest::kinds::selects_by_map(&obj.kind)
            && let Some(sel) = obj.root.pointer("/spec/selector")
        {
            check_map(obj, sel, "/spec/selector", "selector", &mut out);
        }
        out
    }
}

/// One step of the path from the document's root to a node.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON pointer of a path, built only when a map holds a value to report.
fn pointer(path: &[Step<'_>]) -> String {
    let mut ptr = String::new();
    for step in path {
        ptr.push('/');
        match step {
            Step::Key(k) => ptr.push_str(&escape(k)),
            Step::Index(i) => ptr.push_str(&i.to_string()),
        }
    }
    ptr
}

fn collection(node: &Node) -> bool {
    matches!(node.value, Value::Map(_) | Value::Seq(_))
}

/// Does a label/annotation/selector map hold a value that is not a string?
fn has_non_string(map: &Node) -> bool {
    map.as_map().unwrap_or_default().iter().any(|e| !matches!(e.value.value, Value::Str(_)) && !collection(&e.value))
}

fn walk<'a>(obj: &Object, node: &'a Node, path: &mut Vec<Step<'a>>, out: &mut Vec<Finding>) {
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                // Scalars hold no metadata below them.
                let (Some(k), true) = (e.key.as_str(), collection(&e.value)) else { continue };
                path.push(Step::Key(k));
                match k {
                    "metadata" => {
                        for what in ["labels", "annotations"] {
                            if let Some(m) = e.value.get(what).filter(|m| has_non_string(m)) {
                                check_map(obj, m, &format!("{}/{what}", pointer(path)), &what[..what.len() - 1], out);
                            }
                        }
                    }
                    "matchLabels" if has_non_string(&e.value) => check_map(obj, &e.value, &pointer(path), "selector", out),
                    _ => {}
                }
                walk(obj, &e.value, path, out);
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, n) in items.iter().enumerate().filter(|(_, n)| collection(n)) {
                path.push(Step::Index(i));
                walk(obj, n, path, out);
                path.pop();
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
