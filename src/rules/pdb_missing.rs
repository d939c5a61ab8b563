//! `pdb-missing`: Two or more replicas behind a Service and no PodDisruptionBudget selecting them

use super::shared::{floor, service_of};
use super::{Context, Rule, Summary};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "pdb-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&PdbMissing),
}

pub struct PdbMissing;
impl Rule for PdbMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(n) = ctx.min_replicas().filter(|&n| n >= 2) else {
            return Vec::new();
        };
        let Some(svc) = service_of(ctx) else {
            return Vec::new();
        };
        if ctx.disruption_budgets().next().is_some() {
            return Vec::new();
        }
        let labels = obj.workload().map(|w| w.selector.as_ref().and_then(|s| s.match_labels.clone()).unwrap_or_default());
        let sel = labels.unwrap_or_default().iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
        let f = finding(
            obj,
            format!(
                "{} runs {} replicas behind {} and no PodDisruptionBudget selects its pods: a node drain may evict them all at once",
                obj.label(),
                floor(ctx, n),
                ctx.cite(svc)
            ),
        )
        .at("/metadata/name", Target::Entry)
        .help(format!(
            "add a PodDisruptionBudget (policy/v1) with maxUnavailable: 1 and selector.matchLabels {{{sel}}} in the same namespace"
        ))
        // The Services and the autoscaler it depends on, and (an absence) the
        // budgets applied with it that could have selected it.
        .join(ctx.services_selecting().chain(ctx.hpa()).chain(ctx.budgets_nearby()).map(Summary::joined));
        vec![f]
    }
}
