//! `probes-identical`: livenessProbe and readinessProbe are identical

use super::shared::long_running_containers;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "probes-identical",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&ProbesIdentical),
}

pub struct ProbesIdentical;
impl Rule for ProbesIdentical {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        for (ptr, c) in long_running_containers(obj) {
            let (Some(l), Some(r)) = (&c.liveness_probe, &c.readiness_probe) else {
                continue;
            };
            // The same check (handler and target), and liveness gives up no
            // later than readiness: timing alone does not make them different.
            if handler(l) == handler(r) && time_to_fail(l) <= time_to_fail(r) {
                let f = finding(obj, format!("container \"{}\" of {} has identical liveness and readiness probes", c.name, obj.label()))
                    .at(&format!("{ptr}/livenessProbe"), Target::Key)
                    .help(
                        "when the app is busy both fail together and the kubelet restarts pods that only needed a break from traffic; \
                     check a cheaper liveness endpoint or give liveness a higher failureThreshold",
                    );
                out.push(f);
            }
        }
        out
    }
}

/// What a probe checks: its handler with Kubernetes' defaults filled in,
/// without any timing (delay, period, timeout, thresholds).
fn handler(p: &k8s_openapi::api::core::v1::Probe) -> k8s_openapi::api::core::v1::Probe {
    let mut h = k8s_openapi::api::core::v1::Probe {
        exec: p.exec.clone(),
        grpc: p.grpc.clone(),
        http_get: p.http_get.clone(),
        tcp_socket: p.tcp_socket.clone(),
        ..Default::default()
    };
    if let Some(g) = &mut h.http_get {
        g.path = Some(g.path.clone().unwrap_or_else(|| "/".into()));
        g.scheme = Some(g.scheme.clone().unwrap_or_else(|| "HTTP".into()));
    }
    h
}

/// Seconds of consecutive failures before a probe gives up
/// (failureThreshold × periodSeconds, Kubernetes' defaults 3 × 10).
fn time_to_fail(p: &k8s_openapi::api::core::v1::Probe) -> i64 {
    i64::from(p.failure_threshold.unwrap_or(3)) * i64::from(p.period_seconds.unwrap_or(10))
}
