//! `service-selects-nothing`: Service selector matches no pod template

use super::{Context, Rule, Summary};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target, Typed};

declare_rule! {
    id: "service-selects-nothing",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&ServiceSelectsNothing),
}

pub struct ServiceSelectsNothing;
impl Rule for ServiceSelectsNothing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Typed::Service(spec) = &obj.typed else {
            return Vec::new();
        };
        let Some(sel) = spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            return Vec::new();
        };
        // A Service of kube-system selects the cluster's own pods (DNS, the
        // control plane), for a monitoring stack to scrape: none of a repository's.
        if !ctx.has_workloads() || ctx.service_matches_pods() || obj.namespace.as_deref() == Some("kube-system") {
            return Vec::new();
        }
        // The apex of an SMI TrafficSplit selects nothing on purpose: the
        // mesh sends its traffic to the split's backends.
        if ctx.traffic_split_apex_of().is_some() {
            return Vec::new();
        }
        let text = sel.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        // A custom resource in the namespace (an operator's database, a
        // LeaderWorkerSet) may create the pods: say so, at a lower severity.
        let cited: Vec<&Summary> = ctx.pod_creating_resources().take(3).collect();
        let crs: Vec<String> = cited.iter().map(|s| ctx.cite(s)).collect();
        let elsewhere = if crs.is_empty() { ctx.selected_elsewhere() } else { None };
        let (severity, message) = if let Some(w) = elsewhere {
            (
                Severity::Info,
                format!(
                    "{} selects {text}: no pod template deployed with it matches, but the pods of {} in another folder do (fine when the two folders are applied together)",
                    obj.label(),
                    ctx.cite(w)
                ),
            )
        } else if crs.is_empty() {
            (SEVERITY, format!("{} selects {text}, which matches no pod template among the linted objects", obj.label()))
        } else {
            (
                Severity::Info,
                format!(
                    "{} selects {text}, which matches no built-in pod template; the pods may come from a custom resource ({})",
                    obj.label(),
                    crs.join(", ")
                ),
            )
        };
        let f = finding(obj, message).severity(severity).at("/spec/selector", Target::Key).help(
            "a Service whose selector matches no pods has no endpoints: check the selector against the workload's pod template labels",
        );
        // The resources it cites, and (an absence) the workloads applied with it that could have matched.
        let f = f.join(cited.into_iter().chain(elsewhere).chain(ctx.workloads_nearby()).map(Summary::joined));
        vec![f]
    }
}
