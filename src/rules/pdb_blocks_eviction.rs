//! `pdb-blocks-eviction`: A PodDisruptionBudget that allows no voluntary disruption

use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target, Typed};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

declare_rule! {
    id: "pdb-blocks-eviction",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&PdbBlocksEviction),
}

pub struct PdbBlocksEviction;
impl Rule for PdbBlocksEviction {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Typed::Pdb(p) = &obj.typed else {
            return Vec::new();
        };
        let zero = |v: &IntOrString| matches!(v, IntOrString::Int(0)) || matches!(v, IntOrString::String(s) if s.trim() == "0%");
        let (at, why, joined) = if p.max_unavailable.as_ref().is_some_and(zero) {
            ("/spec/maxUnavailable", "maxUnavailable is 0".to_string(), Vec::new())
        } else {
            // The pods it selects, when every selected workload has a known count.
            let selected: Vec<_> = ctx.disruption_budgets().collect();
            let counts: Option<Vec<i64>> = selected.iter().map(|w| w.min_replicas).collect();
            let pods = counts.filter(|c| !c.is_empty()).map(|c| c.iter().sum::<i64>());
            match (&p.min_available, pods) {
                (Some(IntOrString::String(s)), _) if s.trim() == "100%" => {
                    ("/spec/minAvailable", "minAvailable is 100%".to_string(), Vec::new())
                }
                (Some(IntOrString::Int(m)), Some(pods)) if i64::from(*m) >= pods => (
                    "/spec/minAvailable",
                    format!("minAvailable {m} is not below the {pods} pod{} it selects", if pods == 1 { "" } else { "s" }),
                    // The count comes from the workloads and the autoscalers that set their floor.
                    selected.iter().flat_map(|w| [Some(w.joined()), w.min_replicas_from]).flatten().collect(),
                ),
                _ => return Vec::new(),
            }
        };
        let f = finding(
            obj,
            format!("{} allows no voluntary disruption ({why}): node drains and cluster upgrades stall on its pods", obj.label()),
        )
        .at(at, Target::Value)
        .help("allow at least one pod to go: maxUnavailable: 1 (or minAvailable below the replica count)")
        .join(joined);
        vec![f]
    }
}
