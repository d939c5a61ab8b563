//! `liveness-probe-missing`: Container has no livenessProbe

use super::shared::{long_running_containers, metrics_name};
use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target};
use k8s_openapi::api::core::v1::Container;

declare_rule! {
    id: "liveness-probe-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&LivenessProbeMissing),
}

pub struct LivenessProbeMissing;
impl Rule for LivenessProbeMissing {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let containers = long_running_containers(obj);
        let first = containers.first().map(|(_, c)| c.name.clone());
        containers
            .into_iter()
            .filter(|(_, c)| c.liveness_probe.is_none())
            .map(|(ptr, c)| {
                let sidecar = first.as_deref() != Some(c.name.as_str()) && exporter(c);
                let (severity, why) = if sidecar {
                    (Severity::Info, ", a metrics exporter beside the app: when it hangs, scrapes fail, not requests")
                } else {
                    (SEVERITY, "")
                };
                finding(obj, format!("container \"{}\" of {} has no livenessProbe{why}", c.name, obj.label()))
                    .severity(severity)
                    .at(&format!("{ptr}/name"), Target::Entry)
                    .help("add a livenessProbe so the kubelet restarts the container when it hangs")
            })
            .collect()
    }
}

/// A Prometheus exporter: named so (`redis-exporter`, `oliver006/redis_exporter`),
/// or every port it declares is named for metrics.
fn exporter(c: &Container) -> bool {
    let named = |s: &str| s.to_ascii_lowercase().contains("exporter");
    let ports: Vec<&str> = c.ports.iter().flatten().filter_map(|p| p.name.as_deref()).collect();
    named(&c.name) || c.image.as_deref().is_some_and(named) || (!ports.is_empty() && ports.iter().all(|p| metrics_name(p)))
}
