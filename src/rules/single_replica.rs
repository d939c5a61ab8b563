//! `single-replica`: One replica behind a Service

use super::shared::{floor, service_of};
use super::{Context, Rule, Summary};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "single-replica",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&SingleReplica),
}

pub struct SingleReplica;
impl Rule for SingleReplica {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.min_replicas() != Some(1) {
            return Vec::new();
        }
        let Some(svc) = service_of(ctx) else {
            return Vec::new();
        };
        let (at, target) = replicas_at(obj);
        let f = finding(
            obj,
            format!(
                "{} runs {} replica behind {}: each rollout, node drain or eviction takes the service down",
                obj.label(),
                floor(ctx, 1),
                svc.label()
            ),
        )
        .at(at, target)
        .help("set replicas: 2 or more (with a PodDisruptionBudget), or an HPA with minReplicas: 2")
        .join(ctx.services_selecting().chain(ctx.hpa()).map(Summary::joined));
        vec![f]
    }
}

/// Where a finding about the replica count goes: the value, or `spec` when unset.
fn replicas_at(obj: &Object) -> (&'static str, Target) {
    if obj.root.pointer("/spec/replicas").is_some() { ("/spec/replicas", Target::Entry) } else { ("/spec", Target::Key) }
}
