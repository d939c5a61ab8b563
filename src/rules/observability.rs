//! Prometheus discovers pods by their annotations; metadata values must be strings.

use super::{Context, Rule};
use crate::config::PrometheusPolicy;
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix, Severity};
use crate::manifest::tree::{Node, Value, escape};
use crate::manifest::{Object, Target, WorkloadKind};

pub struct MetadataValueNotString;
impl Rule for MetadataValueNotString {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let mut out = Vec::new();
        walk(obj, &obj.root, &mut String::new(), &mut out);
        if matches!(obj.kind.as_str(), "Service" | "ReplicationController")
            && let Some(sel) = obj.root.pointer("/spec/selector")
        {
            check_map(obj, sel, "/spec/selector", "selector", &mut out);
        }
        out
    }
}

fn walk(obj: &Object, node: &Node, ptr: &mut String, out: &mut Vec<Finding>) {
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                let Some(k) = e.key.as_str() else { continue };
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&escape(k));
                match k {
                    "metadata" => {
                        for what in ["labels", "annotations"] {
                            if let Some(m) = e.value.get(what) {
                                check_map(obj, m, &format!("{ptr}/{what}"), &what[..what.len() - 1], out);
                            }
                        }
                    }
                    "matchLabels" => check_map(obj, &e.value, ptr, "selector", out),
                    _ => {}
                }
                walk(obj, &e.value, ptr, out);
                ptr.truncate(len);
            }
        }
        Value::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk(obj, n, ptr, out);
                ptr.truncate(len);
            }
        }
        _ => {}
    }
}

fn check_map(obj: &Object, map: &Node, ptr: &str, what: &str, out: &mut Vec<Finding>) {
    for e in map.as_map().unwrap_or_default() {
        if matches!(e.value.value, Value::Str(_) | Value::Map(_) | Value::Seq(_)) {
            continue;
        }
        let key = e.key.scalar_text().unwrap_or_default();
        let text = e.value.scalar_text().unwrap_or_default();
        let shown = if matches!(e.value.value, Value::Null) { String::new() } else { text };
        let at = format!("{ptr}/{}", escape(&key));
        let f = obj
            .finding(
                "metadata-value-not-string",
                Severity::Error,
                &at,
                Target::Value,
                format!("{what} \"{key}\" has a {} value; Kubernetes requires a string", e.value.type_name()),
            )
            .help(format!("quote it: {key}: \"{shown}\""))
            // The API server rejects the object as it is; the string is what was evidently meant.
            .fix(Fix::safe("quote the value", vec![Op::Quote { ptr: obj.doc_ptr(&at) }]));
        out.push(f);
    }
}

/// Does the pod template serve traffic (declares ports or is behind a Service)?
fn serving(obj: &Object, ctx: &Context<'_>) -> bool {
    let Some(w) = obj.workload() else {
        return false;
    };
    w.containers().any(|(_, c)| c.ports.as_ref().is_some_and(|p| !p.is_empty())) || ctx.is_service_selected(obj)
}

pub struct PrometheusAnnotationsMissing;
impl Rule for PrometheusAnnotationsMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "prometheus-annotations-missing";
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if !w.long_running() || !serving(obj, ctx) {
            return Vec::new();
        }
        let policy = ctx.config.param(ID, "policy", PrometheusPolicy::Either);
        let annotated = w.template_annotations().contains_key("prometheus.io/scrape");
        let ok = match policy {
            PrometheusPolicy::Annotations => annotated,
            PrometheusPolicy::Operator => ctx.is_monitored(obj),
            PrometheusPolicy::Either => annotated || ctx.is_monitored(obj),
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
        let mut f = obj.finding(ID, Severity::Warning, &format!("{}/annotations", w.meta_ptr()), Target::Key, format!("{what} {how}"));
        f.help = Some(
            "add prometheus.io/scrape: \"true\" and prometheus.io/port to the pod template's annotations, or a ServiceMonitor/PodMonitor"
                .into(),
        );
        vec![f]
    }
}

pub struct PrometheusAnnotationsOnWorkload;
impl Rule for PrometheusAnnotationsOnWorkload {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if w.kind == WorkloadKind::Pod {
            return Vec::new();
        }
        let Some(ann) = obj.root.pointer("/metadata/annotations") else {
            return Vec::new();
        };
        let template = obj.root.pointer(&format!("{}/annotations", w.meta_ptr()));
        ann.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e.key.as_str().filter(|k| k.starts_with("prometheus.io/")))
            .map(|k| {
                let at = format!("/metadata/annotations/{}", escape(k));
                let f = obj
                    .finding(
                        "prometheus-annotations-on-workload",
                        Severity::Warning,
                        &at,
                        Target::Key,
                        format!("annotation {k} is on the {} itself; Prometheus discovers pods, so it has no effect here", obj.kind),
                    )
                    .help(format!("move it to {}/annotations", w.meta_ptr().trim_start_matches('/').replace('/', ".")));
                match move_prometheus(obj, ann, template, &w.meta_ptr()) {
                    Some(fix) => f.fix(fix),
                    None => f,
                }
            })
            .collect()
    }
}

/// Move every `prometheus.io/*` annotation of a workload to its pod template
/// (removing the workload's `annotations` when nothing else is left). Safe:
/// Prometheus never read them where they were; the pod template is where
/// they were meant to go. `None` when the template already has one of them
/// with another value (which one is meant is the user's call).
fn move_prometheus(obj: &Object, ann: &Node, template: Option<&Node>, meta_ptr: &str) -> Option<Fix> {
    let entries = ann.as_map().unwrap_or_default();
    let prom: Vec<(&str, &Node)> =
        entries.iter().filter_map(|e| e.key.as_str().filter(|k| k.starts_with("prometheus.io/")).map(|k| (k, &e.value))).collect();
    let mut edits = Vec::new();
    for (k, value) in &prom {
        if !value.is_scalar() {
            return None;
        }
        let text = if matches!(value.value, Value::Null) { String::new() } else { value.scalar_text().unwrap_or_default() };
        match template.and_then(|t| t.get(k)) {
            Some(there) if there.scalar_text().unwrap_or_default() != text => return None,
            Some(_) => {}
            None => edits.push(Op::set(obj.doc_ptr(&format!("{meta_ptr}/annotations/{}", escape(k))), Yaml::str(text))),
        }
    }
    if prom.len() == entries.len() {
        edits.push(Op::remove(obj.doc_ptr("/metadata/annotations")));
    } else {
        edits.extend(prom.iter().map(|(k, _)| Op::remove(obj.doc_ptr(&format!("/metadata/annotations/{}", escape(k))))));
    }
    Some(Fix::safe("move the prometheus.io annotations to the pod template", edits))
}

pub struct PrometheusPortUndeclared;
impl Rule for PrometheusPortUndeclared {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "prometheus-port-undeclared";
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
        let f = obj
            .finding(ID, Severity::Warning, &at, Target::Value, message)
            .help("point prometheus.io/port at the containerPort that serves /metrics");
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
