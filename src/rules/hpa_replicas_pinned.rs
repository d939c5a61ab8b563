//! `hpa-replicas-pinned`: An HPA targets a workload that also sets spec.replicas

use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "hpa-replicas-pinned",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&HpaReplicasPinned),
}

pub struct HpaReplicasPinned;
impl Rule for HpaReplicasPinned {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let (Some(hpa), Some(_)) = (ctx.hpa(), obj.root.pointer("/spec/replicas")) else {
            return Vec::new();
        };
        let f = finding(
            obj,
            format!("{} sets spec.replicas although {} scales it: every apply resets the scale to this value", obj.label(), ctx.cite(hpa)),
        )
        .at("/spec/replicas", Target::Entry)
        .help("remove spec.replicas from the manifest and let the HorizontalPodAutoscaler own it")
        .join([hpa.joined()]);
        vec![f]
    }
}
