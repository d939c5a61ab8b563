//! `rolling-update-downtime`: maxUnavailable reaches the replica count

use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::tree::{Node, Value};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "rolling-update-downtime",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&RollingUpdateDowntime),
}

pub struct RollingUpdateDowntime;
impl Rule for RollingUpdateDowntime {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if w.kind != WorkloadKind::Deployment {
            return Vec::new();
        }
        // An HPA's minReplicas is the floor, not spec.replicas.
        let Some(replicas) = ctx.min_replicas() else {
            return Vec::new();
        };
        if replicas <= 0 || obj.root.pointer("/spec/strategy/type").and_then(Node::as_str) == Some("Recreate") {
            return Vec::new();
        }
        let ptr = "/spec/strategy/rollingUpdate/maxUnavailable";
        let Some(node) = obj.root.pointer(ptr) else {
            return Vec::new();
        };
        let unavailable = match &node.value {
            Value::Int(n) => *n,
            Value::Str(s) => match s.trim().strip_suffix('%').and_then(|p| p.trim().parse::<i64>().ok()) {
                Some(p) => replicas * p / 100,
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        if unavailable < replicas {
            return Vec::new();
        }
        let f = finding(obj, format!(
                "maxUnavailable lets the rollout take down {unavailable} of {replicas} replica{} at once: the service is down until new pods are ready",
                if replicas == 1 { "" } else { "s" }
            )).at(ptr, Target::Value).help("use maxUnavailable: 0 with maxSurge: 1 (or more replicas) so old pods serve until new ones are ready")
            .join(ctx.hpa().map(|h| h.joined()));
        vec![f]
    }
}
