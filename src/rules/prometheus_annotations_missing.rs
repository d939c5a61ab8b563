//! `prometheus-annotations-missing`: Serving pods have no prometheus.io/scrape annotation and no ServiceMonitor or PodMonitor

use super::{Context, Rule, Summary};
use crate::finding::Finding;
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "prometheus-annotations-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [
        /// Which kind of scrape configuration counts.
        POLICY: PrometheusPolicy = { name: "policy", default: || PrometheusPolicy::Either },
    ],
    check: Some(&PrometheusAnnotationsMissing),
}

/// How `prometheus-annotations-missing` accepts a pod as scraped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrometheusPolicy {
    /// Only `prometheus.io/scrape` annotations count.
    Annotations,
    /// Only prometheus-operator ServiceMonitor/PodMonitor objects count.
    Operator,
    /// Either counts.
    Either,
}

pub struct PrometheusAnnotationsMissing;
impl Rule for PrometheusAnnotationsMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if !w.long_running() || !serving(obj, ctx) {
            return Vec::new();
        }
        let policy = POLICY.get(ctx.settings);
        let annotated = w.template_annotations().contains_key("prometheus.io/scrape");
        let ok = match policy {
            PrometheusPolicy::Annotations => annotated,
            PrometheusPolicy::Operator => ctx.is_monitored(),
            PrometheusPolicy::Either => annotated || ctx.is_monitored(),
        };
        if ok {
            return Vec::new();
        }
        let how = match policy {
            PrometheusPolicy::Annotations => "has no prometheus.io/scrape annotation",
            PrometheusPolicy::Operator => "is not selected by a ServiceMonitor or PodMonitor",
            PrometheusPolicy::Either => "has no prometheus.io/scrape annotation and no ServiceMonitor or PodMonitor selects it",
        };
        let what = if w.kind == WorkloadKind::Pod { obj.label() } else { format!("the pod template of {}", obj.label()) };
        // The Services that make it serving, and (an absence) the monitors
        // that could have selected it.
        let monitors = if policy == PrometheusPolicy::Annotations { Vec::new() } else { ctx.monitors_nearby() };
        let f = finding(obj, format!("{what} {how}"))
            .at(&format!("{}/annotations", w.meta_ptr()), Target::Key)
            .help(
                "add prometheus.io/scrape: \"true\" and prometheus.io/port to the pod template's annotations, or a ServiceMonitor/PodMonitor",
            )
            .join(ctx.services_selecting().chain(monitors).map(Summary::joined));
        vec![f]
    }
}

/// Does the pod template serve traffic (declares ports or is behind a Service)?
fn serving(obj: &Object, ctx: &Context<'_>) -> bool {
    let Some(w) = obj.workload() else {
        return false;
    };
    w.containers().any(|(_, c)| c.ports.as_ref().is_some_and(|p| !p.is_empty())) || ctx.is_service_selected()
}
