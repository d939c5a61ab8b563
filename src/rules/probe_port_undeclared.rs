//! `probe-port-undeclared`: Probe port is not one of the container's ports

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target};
use k8s_openapi::api::core::v1::ContainerPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

declare_rule! {
    id: "probe-port-undeclared",
    severity: Error,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&ProbePortUndeclared),
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
                    let at = || format!("{ptr}/{pname}/{handler}/port");
                    // Probes connect over TCP: a UDP or SCTP port cannot answer them.
                    let tcp = |p: &ContainerPort| p.protocol.as_deref().is_none_or(|proto| proto == "TCP");
                    let (severity, message) = match &port {
                        IntOrString::String(name) => match ports.iter().find(|p| p.name.as_deref() == Some(name.as_str())) {
                            Some(p) if tcp(p) => continue,
                            Some(p) => (
                                SEVERITY,
                                format!(
                                    "{pname} of container \"{}\" uses port \"{name}\", which is declared as {}; probes connect over TCP",
                                    c.name,
                                    p.protocol.as_deref().unwrap_or_default()
                                ),
                            ),
                            None => (
                                SEVERITY,
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
                    let f = finding(obj, message)
                        .severity(severity)
                        .at(&at(), Target::Value)
                        .help("declare the port under the container's ports (with a name) and probe it by that name");
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
