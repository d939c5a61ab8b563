//! `prometheus-port-undeclared`: prometheus.io/port is not a declared container port

use super::{Context, Rule};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix};
use crate::manifest::{Object, Target};

declare_rule! {
    id: "prometheus-port-undeclared",
    severity: Warning,
    fix: Unsafe,
    reads_other_objects: false,
    params: [],
    check: Some(&PrometheusPortUndeclared),
}

pub struct PrometheusPortUndeclared;
impl Rule for PrometheusPortUndeclared {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let Some(port) = w.template_annotations().get("prometheus.io/port") else {
            return Vec::new();
        };
        let declared: Vec<i32> =
            w.containers().chain(w.init_containers()).flat_map(|(_, c)| c.ports.iter().flatten().map(|p| p.container_port)).collect();
        let at = format!("{}/annotations/prometheus.io~1port", w.meta_ptr());
        let message = match port.trim().parse::<i32>() {
            Err(_) => format!("prometheus.io/port is \"{port}\", not a port number"),
            Ok(n) if declared.contains(&n) => return Vec::new(),
            Ok(n) if declared.is_empty() => {
                format!("prometheus.io/port is {n} but no container declares any port")
            }
            Ok(n) => format!(
                "prometheus.io/port is {n} but the containers declare {}",
                declared.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
            ),
        };
        let f = finding(obj, message).at(&at, Target::Value).help("point prometheus.io/port at the containerPort that serves /metrics");
        // Exactly one port named for metrics: that is where the metrics are. Unsafe: Prometheus then scrapes another port.
        let metrics: Vec<(i32, &str)> = w
            .containers()
            .flat_map(|(_, c)| c.ports.iter().flatten())
            .filter_map(|p| {
                p.name.as_deref().filter(|n| n.contains("metrics") || *n == "prom" || *n == "prometheus").map(|n| (p.container_port, n))
            })
            .collect();
        match metrics.as_slice() {
            [(port, name)] => vec![f.fix(Fix::unsafe_(
                format!("point prometheus.io/port at port {port} (\"{name}\")"),
                vec![Op::set(obj.doc_ptr(&at), Yaml::str(port.to_string()))],
            ))],
            _ => vec![f],
        }
    }
}
