//! `readiness-probe-missing`: Container has no readinessProbe

use super::shared::long_running_containers;
use super::{Context, Rule, Summary, View};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target, Workload};
use k8s_openapi::api::core::v1::{Container, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

declare_rule! {
    id: "readiness-probe-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&ReadinessProbeMissing),
}

pub struct ReadinessProbeMissing;
impl Rule for ReadinessProbeMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let services: Vec<&Summary> = ctx.services_selecting().collect();
        long_running_containers(obj)
            .into_iter()
            .filter(|(_, c)| c.readiness_probe.is_none())
            .map(|(ptr, c)| {
                let (severity, why) = if services.is_empty() {
                    (SEVERITY, String::new())
                } else {
                    match traffic(w, c, &services) {
                        Traffic::Serves(s, port) => (
                            Severity::Error,
                            format!(
                                "; {} sends it traffic{} before it is ready",
                                ctx.cite(s),
                                port.map(|p| format!(" on {}", port_text(p))).unwrap_or_default()
                            ),
                        ),
                        Traffic::Metrics(s, port) => (
                            Severity::Info,
                            format!(
                                "; {} reaches it only on metrics {}, and readiness gates requests, not scrapes",
                                ctx.cite(s),
                                port_text(port)
                            ),
                        ),
                        Traffic::Nothing(s) => {
                            (Severity::Info, format!("; no port of {} targets it, so readiness gates no traffic to it", ctx.cite(s)))
                        }
                    }
                };

                finding(obj, format!("container \"{}\" of {} has no readinessProbe{why}", c.name, obj.label()))
                    .severity(severity)
                    .at(&format!("{ptr}/name"), Target::Entry)
                    .help("add a readinessProbe that fails while the app starts and after it receives SIGTERM")
                    .join(services.iter().map(|s| s.joined()))
            })
            .collect()
    }
}

/// `port 80 ("web", targetPort http)`, for a message.
fn port_text(p: &ServicePort) -> String {
    let target = match &p.target_port {
        Some(IntOrString::Int(n)) if *n != p.port => Some(format!("targetPort {n}")),
        Some(IntOrString::String(s)) => Some(format!("targetPort {s}")),
        _ => None,
    };
    let details: Vec<String> = p.name.as_deref().map(|n| format!("\"{n}\"")).into_iter().chain(target).collect();
    if details.is_empty() { format!("port {}", p.port) } else { format!("port {} ({})", p.port, details.join(", ")) }
}

/// How the Services in front of a pod reach one of its containers.
enum Traffic<'a> {
    /// A Service port sends it requests (`None`: a Service without ports, whose traffic we cannot place).
    Serves(&'a Summary, Option<&'a ServicePort>),
    /// Only ports that serve metrics reach it.
    Metrics(&'a Summary, &'a ServicePort),
    /// No Service port reaches it (the first Service, for the message).
    Nothing(&'a Summary),
}

fn traffic<'a>(w: &Workload, c: &Container, services: &[&'a Summary]) -> Traffic<'a> {
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
fn metrics_name(name: &str) -> bool {
    name.to_ascii_lowercase().contains("metrics")
}

/// A port name that says it serves requests (`http`, `grpc`, `web`, …).
fn serving_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["http", "grpc", "web", "api", "tls", "app"].iter().any(|w| name.contains(w))
}
