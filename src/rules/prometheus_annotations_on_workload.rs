//! `prometheus-annotations-on-workload`: prometheus.io annotations on the workload instead of its pod template

use super::{Context, Rule};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix};
use crate::manifest::tree::{Node, Value, escape};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "prometheus-annotations-on-workload",
    severity: Warning,
    fix: Safe,
    reads_other_objects: false,
    params: [],
    check: Some(&PrometheusAnnotationsOnWorkload),
}

pub struct PrometheusAnnotationsOnWorkload;
impl Rule for PrometheusAnnotationsOnWorkload {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if w.kind == WorkloadKind::Pod {
            return Vec::new();
        }
        let Some(ann) = obj.root.pointer("/metadata/annotations") else {
            return Vec::new();
        };
        let template = obj.root.pointer(&format!("{}/annotations", w.meta_ptr()));
        ann.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.key.as_str().filter(|k| k.starts_with("prometheus.io/")))
            .map(|k| {
                let at = format!("/metadata/annotations/{}", escape(k));
                let f = finding(
                    obj,
                    format!("annotation {k} is on the {} itself; Prometheus discovers pods, so it has no effect here", obj.kind),
                )
                .at(&at, Target::Key)
                .help(format!("move it to {}/annotations", w.meta_ptr().trim_start_matches('/').replace('/', ".")));
                match move_prometheus(obj, ann, template, &w.meta_ptr()) {
                    Some(fix) => f.fix(fix),
                    None => f,
                }
            })
            .collect()
    }
}

/// Move every `prometheus.io/*` annotation of a workload to its pod template
/// (removing the workload's `annotations` when nothing else is left). Safe:
/// Prometheus never read them where they were; the pod template is where
/// they were meant to go. `None` when the template already has one of them
/// with another value (which one is meant is the user's call).
fn move_prometheus(obj: &Object, ann: &Node, template: Option<&Node>, meta_ptr: &str) -> Option<Fix> {
    let entries = ann.as_map().unwrap_or_default();
    let prom: Vec<(&str, &Node)> =
        entries.iter().filter_map(|e| e.key.as_str().filter(|k| k.starts_with("prometheus.io/")).map(|k| (k, &e.value))).collect();
    let mut edits = Vec::new();
    for (k, value) in &prom {
        if !value.is_scalar() {
            return None;
        }
        let text = if matches!(value.value, Value::Null) { String::new() } else { value.scalar_text().unwrap_or_default() };
        match template.and_then(|t| t.get(k)) {
            Some(there) if there.scalar_text().unwrap_or_default() != text => return None,
            Some(_) => {}
            None => edits.push(Op::set(obj.doc_ptr(&format!("{meta_ptr}/annotations/{}", escape(k))), Yaml::str(text))),
        }
    }
    if prom.len() == entries.len() {
        edits.push(Op::remove(obj.doc_ptr("/metadata/annotations")));
    } else {
        edits.extend(prom.iter().map(|(k, _)| Op::remove(obj.doc_ptr(&format!("/metadata/annotations/{}", escape(k))))));
    }
    Some(Fix::safe("move the prometheus.io annotations to the pod template", edits))
}
