//! Probe rules: every long-running container tells Kubernetes when it is alive and ready.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target};
use k8s_openapi::api::core::v1::ContainerPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

fn long_running_containers(obj: &Object) -> Vec<(String, &k8s_openapi::api::core::v1::Container)> {
    match obj.workload() {
        Some(w) if w.long_running() => w.containers().collect(),
        _ => Vec::new(),
    }
}

pub struct LivenessProbeMissing;
impl Rule for LivenessProbeMissing {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        long_running_containers(obj)
            .into_iter()
            .filter(|(_, c)| c.liveness_probe.is_none())
            .map(|(ptr, c)| {
                let mut f = obj.finding(
                    "liveness-probe-missing",
                    Severity::Warning,
                    &format!("{ptr}/name"),
                    Target::Entry,
                    format!("container \"{}\" of {} has no livenessProbe", c.name, obj.label()),
                );
                f.help = Some("add a livenessProbe so the kubelet restarts the container when it hangs".into());
                f
            })
            .collect()
    }
}

pub struct ReadinessProbeMissing;
impl Rule for ReadinessProbeMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let service = ctx.services_selecting(obj).next();
        long_running_containers(obj)
            .into_iter()
            .filter(|(_, c)| c.readiness_probe.is_none())
            .map(|(ptr, c)| {
                let (severity, why) = match service {
                    Some(s) => {
                        (Severity::Error, format!("; Service/{} sends it traffic before it is ready", s.name.as_deref().unwrap_or("?")))
                    }
                    None => (Severity::Warning, String::new()),
                };
                let mut f = obj.finding(
                    "readiness-probe-missing",
                    severity,
                    &format!("{ptr}/name"),
                    Target::Entry,
                    format!("container \"{}\" of {} has no readinessProbe{why}", c.name, obj.label()),
                );
                f.help = Some("add a readinessProbe that fails while the app starts and after it receives SIGTERM".into());
                f
            })
            .collect()
    }
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
                let mut f = obj.finding(
                    "probes-identical",
                    Severity::Warning,
                    &format!("{ptr}/livenessProbe"),
                    Target::Key,
                    format!("container \"{}\" of {} has identical liveness and readiness probes", c.name, obj.label()),
                );
                f.help = Some(
                    "when the app is busy both fail together and the kubelet restarts pods that only needed a break from traffic; \
                     check a cheaper liveness endpoint or give liveness a higher failureThreshold"
                        .into(),
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

pub struct ProbePortUndeclared;
impl Rule for ProbePortUndeclared {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ptr, c) in w.containers().chain(w.init_containers()) {
            let ports = c.ports.as_deref().unwrap_or_default();
            let probes = [("livenessProbe", &c.liveness_probe), ("readinessProbe", &c.readiness_probe), ("startupProbe", &c.startup_probe)];
            for (pname, probe) in probes {
                let Some(p) = probe else { continue };
                let mut targets: Vec<(&str, IntOrString)> = Vec::new();
                if let Some(h) = &p.http_get {
                    targets.push(("httpGet", h.port.clone()));
                }
                if let Some(t) = &p.tcp_socket {
                    targets.push(("tcpSocket", t.port.clone()));
                }
                if let Some(g) = &p.grpc {
                    targets.push(("grpc", IntOrString::Int(g.port)));
                }
                for (handler, port) in targets {
                    let at = format!("{ptr}/{pname}/{handler}/port");
                    // Probes connect over TCP: a UDP or SCTP port cannot answer them.
                    let tcp = |p: &ContainerPort| p.protocol.as_deref().is_none_or(|proto| proto == "TCP");
                    let (severity, message) = match &port {
                        IntOrString::String(name) => match ports.iter().find(|p| p.name.as_deref() == Some(name.as_str())) {
                            Some(p) if tcp(p) => continue,
                            Some(p) => (
                                Severity::Error,
                                format!(
                                    "{pname} of container \"{}\" uses port \"{name}\", which is declared as {}; probes connect over TCP",
                                    c.name,
                                    p.protocol.as_deref().unwrap_or_default()
                                ),
                            ),
                            None => (
                                Severity::Error,
                                format!(
                                    "{pname} of container \"{}\" uses port \"{name}\", which the container does not declare; the probe can never succeed",
                                    c.name
                                ),
                            ),
                        },
                        // A numeric port works whether declared or not; it is
                        // wrong when another container of the pod owns it.
                        IntOrString::Int(n) if !ports.iter().any(|p| tcp(p) && p.container_port == *n) => {
                            match w
                                .containers()
                                .chain(w.init_containers())
                                .find(|(p, o)| *p != ptr && o.ports.iter().flatten().any(|p| p.container_port == *n))
                            {
                                Some((_, other)) => (
                                    Severity::Warning,
                                    format!(
                                        "{pname} of container \"{}\" checks port {n}, which container \"{}\" declares: \
                                         the probe restarts or unreadies \"{}\" for the other container's health",
                                        c.name, other.name, c.name
                                    ),
                                ),
                                None if !ports.is_empty() => (
                                    Severity::Info,
                                    format!(
                                        "{pname} of container \"{}\" uses port {n}, which is not among the container's TCP ports ({})",
                                        c.name,
                                        list_ports(ports)
                                    ),
                                ),
                                None => continue,
                            }
                        }
                        IntOrString::Int(_) => continue,
                    };
                    let mut f = obj.finding("probe-port-undeclared", severity, &at, Target::Value, message);
                    f.help = Some("declare the port under the container's ports (with a name) and probe it by that name".into());
                    out.push(f);
                }
            }
        }
        out
    }
}

fn list_ports(ports: &[ContainerPort]) -> String {
    ports.iter().map(|p| p.container_port.to_string()).collect::<Vec<_>>().join(", ")
}

/// A startupProbe with the liveness probe's handler that allows at least
/// the liveness delay plus the liveness failures before it gives up, and the
/// delay removed. Unsafe: a container that never gets healthy is now
/// restarted after the same time, but one that starts fast gets liveness
/// checks sooner than before.
fn startup_from_liveness(obj: &Object, container: &str, delay: i32) -> Option<crate::finding::Fix> {
    use crate::edit::{Op, Yaml};
    let live = obj.root.pointer(&format!("{container}/livenessProbe"))?;
    let handler: Vec<(String, Yaml)> = live
        .as_map()?
        .iter()
        .filter_map(|e| e.key.as_str().filter(|k| matches!(*k, "httpGet" | "tcpSocket" | "exec" | "grpc")).map(|k| (k, &e.value)))
        .map(|(k, v)| (k.to_string(), Yaml::from_node(v)))
        .collect();
    if handler.len() != 1 {
        return None;
    }
    let int = |k: &str, default: i64| {
        live.get(k).and_then(|n| if let crate::manifest::tree::Value::Int(i) = n.value { Some(i) } else { None }).unwrap_or(default)
    };
    let period = int("periodSeconds", 10).max(1);
    let failures = (i64::from(delay) + period - 1) / period + int("failureThreshold", 3);
    let mut probe = handler;
    probe.push(("periodSeconds".into(), Yaml::Int(period)));
    probe.push(("failureThreshold".into(), Yaml::Int(failures)));
    Some(crate::finding::Fix::unsafe_(
        format!("add a startupProbe ({failures} × {period}s) from the livenessProbe and remove initialDelaySeconds"),
        vec![
            Op::set(obj.doc_ptr(&format!("{container}/startupProbe")), Yaml::Map(probe)),
            Op::remove(obj.doc_ptr(&format!("{container}/livenessProbe/initialDelaySeconds"))),
        ],
    ))
}

pub struct SlowStartWithoutStartupProbe;
impl Rule for SlowStartWithoutStartupProbe {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "slow-start-without-startup-probe";
        let min: i32 = ctx.config.param(ID, "min-initial-delay-seconds", 60);
        let mut out = Vec::new();
        for (ptr, c) in long_running_containers(obj) {
            let Some(delay) = c.liveness_probe.as_ref().and_then(|l| l.initial_delay_seconds) else {
                continue;
            };
            if delay >= min && c.startup_probe.is_none() {
                let at = format!("{ptr}/livenessProbe/initialDelaySeconds");
                let f = obj
                    .finding(
                        ID,
                        Severity::Warning,
                        &at,
                        Target::Value,
                        format!("container \"{}\" delays its livenessProbe by {delay}s instead of using a startupProbe", c.name),
                    )
                    .help(
                        "add a startupProbe (failureThreshold × periodSeconds ≥ the slowest start) and drop initialDelaySeconds: \
                         a fixed delay is too long for fast starts and too short for slow ones",
                    );
                out.push(match startup_from_liveness(obj, &ptr, delay) {
                    Some(fix) => f.fix(fix),
                    None => f,
                });
            }
        }
        out
    }
}
