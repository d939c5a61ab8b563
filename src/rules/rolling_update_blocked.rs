//! `rolling-update-blocked`: maxSurge and maxUnavailable are both zero

use super::{Context, Rule};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix};
use crate::manifest::tree::{Node, Value};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "rolling-update-blocked",
    severity: Error,
    fix: Unsafe,
    reads_other_objects: false,
    params: [],
    check: Some(&RollingUpdateBlocked),
}

pub struct RollingUpdateBlocked;
impl Rule for RollingUpdateBlocked {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some((ptr, surge_default_zero, unavail_default_zero)) = rolling_block(obj) else {
            return Vec::new();
        };
        let Some(block) = obj.root.pointer(ptr) else {
            return Vec::new();
        };
        let surge = block.get("maxSurge");
        let unavail = block.get("maxUnavailable");
        let surge_zero = if surge.is_some() { is_zero(surge) } else { surge_default_zero };
        let unavail_zero = if unavail.is_some() { is_zero(unavail) } else { unavail_default_zero };
        if !(surge_zero && unavail_zero) {
            return Vec::new();
        }
        let f = finding(obj, format!("{} has maxSurge and maxUnavailable both 0: a rollout can neither add nor remove a pod", obj.label()))
            .at(ptr, Target::Key)
            .help("allow at least one: maxSurge: 1 with maxUnavailable: 0 keeps full capacity during the rollout");
        // Unsafe: the rollout then starts an extra pod (quota, scheduling), which the user did not ask for.
        // A DaemonSet surges only without host ports: it takes down one node's pod at a time instead, its default.
        let (title, surge, unavailable) = if surge_default_zero {
            ("set maxUnavailable: 1, maxSurge: 0 (one node at a time)", 0, 1)
        } else {
            ("set maxUnavailable: 0, maxSurge: 1 (one extra pod at a time)", 1, 0)
        };
        vec![f.fix(Fix::unsafe_(
            title,
            vec![
                Op::set(obj.doc_ptr(&format!("{ptr}/maxUnavailable")), Yaml::Int(unavailable)),
                Op::set(obj.doc_ptr(&format!("{ptr}/maxSurge")), Yaml::Int(surge)),
            ],
        ))]
    }
}

/// `0` or `"0%"`.
fn is_zero(n: Option<&Node>) -> bool {
    match n.map(|n| &n.value) {
        Some(Value::Int(0)) => true,
        Some(Value::Str(s)) => matches!(s.trim(), "0" | "0%"),
        _ => false,
    }
}

/// Where a kind keeps its surge/unavailable parameters, and their defaults being zero.
/// Returns (pointer of the block, surge defaults to zero, unavailable defaults to zero).
fn rolling_block(obj: &Object) -> Option<(&'static str, bool, bool)> {
    match obj.workload()?.kind {
        WorkloadKind::Deployment => {
            let ty = obj.root.pointer("/spec/strategy/type").and_then(Node::as_str);
            (ty != Some("Recreate")).then_some(("/spec/strategy/rollingUpdate", false, false))
        }
        WorkloadKind::DaemonSet => {
            let ty = obj.root.pointer("/spec/updateStrategy/type").and_then(Node::as_str);
            // DaemonSet defaults: maxSurge 0, maxUnavailable 1.
            (ty != Some("OnDelete")).then_some(("/spec/updateStrategy/rollingUpdate", true, false))
        }
        WorkloadKind::Rollout => Some(("/spec/strategy/canary", false, false)),
        _ => None,
    }
}
