//! `topology-spread-missing`: Two or more replicas with neither topologySpreadConstraints nor pod anti-affinity

use super::shared::floor;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "topology-spread-missing",
    severity: Info,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&TopologySpreadMissing),
}

pub struct TopologySpreadMissing;
impl Rule for TopologySpreadMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let (Some(w), Some(n)) = (obj.workload(), ctx.min_replicas().filter(|&n| n >= 2)) else {
            return Vec::new();
        };
        let Some(spec) = w.pod_spec() else {
            return Vec::new();
        };
        let spread = spec.topology_spread_constraints.as_ref().is_some_and(|t| !t.is_empty());
        let anti = spec.affinity.as_ref().and_then(|a| a.pod_anti_affinity.as_ref()).is_some();
        if spread || anti {
            return Vec::new();
        }
        let f = finding(
            obj,
            format!(
                "{} runs {} replicas with neither topologySpreadConstraints nor pod anti-affinity: they may all land on one node",
                obj.label(),
                floor(ctx, n)
            ),
        )
        .at(&w.spec_ptr(), Target::Key)
        .help(
            "add topologySpreadConstraints with topologyKey: kubernetes.io/hostname, maxSkew: 1, whenUnsatisfiable: ScheduleAnyway \
             and a labelSelector matching the pod labels",
        )
        .join(ctx.hpa().map(|h| h.joined()));
        vec![f]
    }
}
