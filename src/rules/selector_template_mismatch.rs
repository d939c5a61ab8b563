//! `selector-template-mismatch`: Workload selector does not match its pod template labels

use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::workload::{selector_is_empty, selector_matches};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "selector-template-mismatch",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&SelectorTemplateMismatch),
}

pub struct SelectorTemplateMismatch;
impl Rule for SelectorTemplateMismatch {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let (Some(ptr), Some(sel)) = (w.selector_ptr, &w.selector) else {
            return Vec::new();
        };
        let labels = w.template_labels();
        let message = if selector_is_empty(sel) {
            if matches!(w.kind, WorkloadKind::ReplicationController | WorkloadKind::Job) {
                return Vec::new();
            }
            format!("{} has an empty selector; the API server rejects it", obj.label())
        } else if !selector_matches(sel, labels) {
            let mut diffs: Vec<String> = sel
                .match_labels
                .iter()
                .flatten()
                .filter(|(k, v)| labels.get(*k) != Some(*v))
                .map(|(k, v)| match labels.get(k) {
                    Some(t) => format!("{k}={v} (template has {k}={t})"),
                    None => format!("{k}={v} (template lacks {k})"),
                })
                .collect();
            for e in sel.match_expressions.iter().flatten() {
                let one = k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
                    match_labels: None,
                    match_expressions: Some(vec![e.clone()]),
                };
                if !selector_matches(&one, labels) {
                    diffs.push(format!("{} {} {:?}", e.key, e.operator, e.values.as_deref().unwrap_or_default()));
                }
            }
            format!("the selector of {} does not match its pod template labels: {}", obj.label(), diffs.join(", "))
        } else {
            return Vec::new();
        };
        let f = finding(obj, message)
            .at(ptr, Target::Key)
            .help("make spec.selector a subset of spec.template.metadata.labels; the API server rejects a mismatch");
        vec![f]
    }
}
