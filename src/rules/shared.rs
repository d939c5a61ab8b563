//! Helpers that several rules share.

use super::{Context, Summary, View};
use crate::manifest::{Object, Workload};
use k8s_openapi::api::core::v1::{Container, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The Service in front of a workload, for messages.
pub(super) fn service_of<'a>(ctx: &Context<'a>) -> Option<&'a Summary> {
    ctx.services_selecting().next()
}

/// How the floor of replicas was decided, for messages.
pub(super) fn floor(ctx: &Context<'_>, n: i64) -> String {
    match ctx.hpa() {
        Some(h) => match ctx.user_place(h) {
            Some(at) => format!("{n} (the minReplicas of {} at {at})", h.label()),
            None => format!("{n} (the minReplicas of {})", h.label()),
        },
        None => n.to_string(),
    }
}

/// A Helm hook or test, or an Argo CD hook: run at a point of a release, never selected.
pub(super) fn is_hook(obj: &Object) -> bool {
    obj.meta.annotations.as_ref().is_some_and(|a| a.contains_key("helm.sh/hook") || a.contains_key("argocd.argoproj.io/hook"))
}

/// A Helm test (`helm.sh/hook: test`): a pod `helm test` runs by hand, not part of a rollout.
pub(super) fn is_helm_test(obj: &Object) -> bool {
    obj.meta.annotations.as_ref().and_then(|a| a.get("helm.sh/hook")).is_some_and(|h| h.split(',').any(|p| p.trim().starts_with("test")))
}

/// The containers of a long-running workload (not Jobs), with their pointers.
pub(super) fn long_running_containers(obj: &Object) -> Vec<(crate::manifest::ContainerPtr, &Container)> {
    match obj.workload() {
        Some(w) if w.long_running() => w.containers().collect(),
        _ => Vec::new(),
    }
}

/// `port 80 ("web", targetPort http)`, for a message.
pub(super) fn port_text(p: &ServicePort) -> String {
    let target = match &p.target_port {
        Some(IntOrString::Int(n)) if *n != p.port => Some(format!("targetPort {n}")),
        Some(IntOrString::String(s)) => Some(format!("targetPort {s}")),
        _ => None,
    };
    let details: Vec<String> = p.name.as_deref().map(|n| format!("\"{n}\"")).into_iter().chain(target).collect();
    if details.is_empty() { format!("port {}", p.port) } else { format!("port {} ({})", p.port, details.join(", ")) }
}

/// How the Services in front of a pod reach one of its containers.
pub(super) enum Traffic<'a> {
    /// A Service port sends it requests (`None`: a Service without ports, whose traffic we cannot place).
    Serves(&'a Summary, Option<&'a ServicePort>),
    /// Only ports that serve metrics reach it.
    Metrics(&'a Summary, &'a ServicePort),
    /// No Service port reaches it (the first Service, for the message).
    Nothing(&'a Summary),
}

/// How the Services in `services` (those selecting the pods of `w`) reach container `c`.
pub(super) fn traffic<'a>(w: &Workload, c: &Container, services: &[&'a Summary]) -> Traffic<'a> {
    let mut metrics = None;
    for &s in services {
        let View::Service { ports, annotations, .. } = &s.view else { continue };
        if ports.is_empty() {
            return Traffic::Serves(s, None);
        }
        for p in ports {
            let Some(number) = reaches(w, c, p) else { continue };
            let scraped = [w.template_annotations().get("prometheus.io/port"), annotations.get("prometheus.io/port")]
                .into_iter()
                .flatten()
                .any(|a| a.trim().parse::<i32>().ok() == Some(number));
            let container_port_name = c.ports.iter().flatten().find(|cp| cp.container_port == number).and_then(|cp| cp.name.as_deref());
            let names = || [p.name.as_deref(), container_port_name].into_iter().flatten();
            // The port `prometheus.io/port` names may serve requests too (`/metrics` beside the app): its names decide.
            if names().any(metrics_name) || (scraped && !names().any(serving_name)) {
                metrics.get_or_insert((s, p));
            } else {
                return Traffic::Serves(s, Some(p));
            }
        }
    }
    match metrics {
        Some((s, p)) => Traffic::Metrics(s, p),
        None => Traffic::Nothing(services[0]),
    }
}

/// The container port (number) that a Service port sends to in container `c`:
/// `targetPort` names one of its ports or numbers one (unset: the same number
/// as `port`). A number that no container of the pod declares reaches the
/// pod's default container (`kubectl.kubernetes.io/default-container`, else the first).
fn reaches(w: &Workload, c: &Container, p: &ServicePort) -> Option<i32> {
    let declared = |c: &Container, n: i32| c.ports.iter().flatten().any(|cp| cp.container_port == n);
    match &p.target_port {
        Some(IntOrString::String(name)) if name.trim().parse::<i32>().is_err() => {
            c.ports.iter().flatten().find(|cp| cp.name.as_deref() == Some(name.as_str())).map(|cp| cp.container_port)
        }
        target => {
            let n = match target {
                Some(IntOrString::Int(n)) => *n,
                Some(IntOrString::String(s)) => s.trim().parse().ok()?,
                None => p.port,
            };
            let default = match w.template_annotations().get("kubectl.kubernetes.io/default-container") {
                Some(name) => *name == c.name,
                None => w.containers().next().is_some_and(|(_, f)| f.name == c.name),
            };
            (declared(c, n) || (default && !w.containers().any(|(_, o)| declared(o, n)))).then_some(n)
        }
    }
}

/// A port name that says it serves metrics (`metrics`, `http-metrics`); not
/// `prometheus`, the name of Prometheus' own API port.
pub(super) fn metrics_name(name: &str) -> bool {
    name.to_ascii_lowercase().contains("metrics")
}

/// A port name that says it serves requests (`http`, `grpc`, `web`, …).
fn serving_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["http", "grpc", "web", "api", "tls", "app"].iter().any(|w| name.contains(w))
}
