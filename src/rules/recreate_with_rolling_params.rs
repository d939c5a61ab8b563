//! `recreate-with-rolling-params`: rollingUpdate settings with the Recreate or OnDelete strategy

use super::{Context, Rule};
use crate::edit::Op;
use crate::finding::{Finding, Fix};
use crate::manifest::tree::{Node, Value};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "recreate-with-rolling-params",
    severity: Error,
    fix: Safe,
    reads_other_objects: false,
    params: [],
    check: Some(&RecreateWithRollingParams),
}

pub struct RecreateWithRollingParams;
impl Rule for RecreateWithRollingParams {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let (block, forbidden_type) = match w.kind {
            WorkloadKind::Deployment => ("/spec/strategy", "Recreate"),
            WorkloadKind::DaemonSet | WorkloadKind::StatefulSet => ("/spec/updateStrategy", "OnDelete"),
            _ => return Vec::new(),
        };
        let Some(b) = obj.root.pointer(block) else {
            return Vec::new();
        };
        // `rollingUpdate: null` is the same as unset.
        let rolling = b.get("rollingUpdate").filter(|n| !matches!(n.value, Value::Null));
        if b.get("type").and_then(Node::as_str) != Some(forbidden_type) || rolling.is_none() {
            return Vec::new();
        }
        let at = format!("{block}/rollingUpdate");
        let f =
            finding(obj, format!("{} uses type {forbidden_type} together with rollingUpdate; the API server rejects this", obj.label()))
                .at(&at, Target::Key)
                .help(format!(
                    "remove rollingUpdate, or change type to RollingUpdate if a rolling update was meant (type {forbidden_type} ignores it)"
                ));
        // Safe: the API server rejects the object as it is, and type wins: rollingUpdate never had an effect.
        vec![f.fix(Fix::safe("remove rollingUpdate", vec![Op::remove(obj.doc_ptr(&at))]))]
    }
}
