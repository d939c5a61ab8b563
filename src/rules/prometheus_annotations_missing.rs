//! `prometheus-annotations-missing`: Serving pods have no prometheus.io/scrape annotation and no ServiceMonitor or PodMonitor

use super::shared::{is_hook, metrics_name};
use super::{Context, Rule, Summary, View, levenshtein};
use crate::finding::{Finding, Severity};
use crate::manifest::tree::escape;
use crate::manifest::{Object, Target, Workload, WorkloadKind};

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
        if !w.long_running() || is_hook(obj) || !serving(obj, ctx) {
            return Vec::new();
        }
        let policy = POLICY.get(ctx.settings);
        let what = if w.kind == WorkloadKind::Pod { obj.label() } else { format!("the pod template of {}", obj.label()) };
        let pod = w.template_annotations();
        // Misspelt keys of the pod template and of the Services in front.
        let (pod_typos, service_typos) = if policy == PrometheusPolicy::Operator {
            (Vec::new(), Vec::new())
        } else {
            let of_services = ctx
                .services_selecting()
                .flat_map(|s| match &s.view {
                    View::Service { annotations, .. } => misspellings(annotations.keys()).into_iter().map(|t| (s, t)).collect(),
                    _ => Vec::new(),
                })
                .collect::<Vec<_>>();
            (misspellings(pod.keys()), of_services)
        };
        let mut out: Vec<Finding> = pod_typos
            .iter()
            .map(|t| {
                let (severity, help) = if t.read_by_prometheus {
                    (Severity::Info, format!("rename it to {}", t.meant))
                } else {
                    (SEVERITY, format!("rename it to {}: annotation keys are matched exactly", t.meant))
                };
                finding(obj, t.message(&what))
                    .severity(severity)
                    .at(&format!("{}/annotations/{}", w.meta_ptr(), escape(&t.key)), Target::Key)
                    .help(help)
            })
            .collect();
        // The pods job reads the pod's key; the service-endpoints job reads
        // the key on a Service in front of the pods.
        let on_service = ctx.services_selecting().any(|s| match &s.view {
            View::Service { annotations, .. } => reads_scrape(annotations.keys()),
            _ => false,
        });
        let annotated = reads_scrape(pod.keys()) || on_service;
        let ok = match policy {
            PrometheusPolicy::Annotations => annotated,
            PrometheusPolicy::Operator => ctx.is_monitored(),
            PrometheusPolicy::Either => annotated || ctx.is_monitored(),
        };
        // A misspelt scrape key on the pods is their finding: not "missing".
        if ok || pod_typos.iter().any(|t| t.meant == SCRAPE) {
            return out;
        }
        let how = match policy {
            PrometheusPolicy::Annotations => "has no prometheus.io/scrape annotation",
            PrometheusPolicy::Operator => "is not selected by a ServiceMonitor or PodMonitor",
            PrometheusPolicy::Either => "has no prometheus.io/scrape annotation and no ServiceMonitor or PodMonitor selects it",
        };
        let typo = service_typos
            .iter()
            .find(|(_, t)| t.meant == SCRAPE)
            .map(|(s, t)| format!("; {} has \"{}\", a misspelling of \"{}\" that Prometheus ignores", ctx.cite(s), t.key, t.meant))
            .unwrap_or_default();
        // The Services that make it serving, and (an absence) the monitors
        // that could have selected it.
        let monitors = if policy == PrometheusPolicy::Annotations { Vec::new() } else { ctx.monitors_nearby() };
        // A pod that shows no sign of serving metrics may have none to scrape.
        let (severity, unseen) = if typo.is_empty() && !shows_metrics(w, pod.keys(), ctx) {
            (
                Severity::Info,
                "; nothing shows it serves metrics (no port named for metrics, no prometheus.io/port or /path, no metrics flag or variable)",
            )
        } else {
            (SEVERITY, "")
        };
        let f = finding(obj, format!("{what} {how}{typo}{unseen}"))
            .severity(severity)
            .at(&format!("{}/annotations", w.meta_ptr()), Target::Key)
            .help(
                "add prometheus.io/scrape: \"true\" and prometheus.io/port to the pod template's annotations, or a ServiceMonitor/PodMonitor",
            )
            .join(ctx.services_selecting().chain(monitors).map(Summary::joined));
        out.push(f);
        out
    }
}

/// Do these annotations set `prometheus.io/scrape` as Prometheus reads it,
/// or a scrape key of the project's own Prometheus configuration
/// (`sourcegraph.prometheus/scrape`: a prefix naming Prometheus, then `/scrape`)?
fn reads_scrape<'k>(mut keys: impl Iterator<Item = &'k String>) -> bool {
    keys.any(|k| k == SCRAPE || own_scrape_key(k) || misspelling(k).is_some_and(|t| t.meant == SCRAPE && t.read_by_prometheus))
}

/// A scrape annotation of a project's own Prometheus configuration, which
/// relabels on it as the example config does on `prometheus.io/scrape`.
fn own_scrape_key(key: &str) -> bool {
    key.split_once('/')
        .is_some_and(|(prefix, name)| name == "scrape" && prefix != "prometheus.io" && prefix.to_ascii_lowercase().contains("prometheus"))
}

/// Does the pod show that it serves metrics: a container port, or a port of
/// a Service in front, named for metrics; `prometheus.io/port` or `/path`
/// set; a container flag or environment variable about metrics?
fn shows_metrics<'k>(w: &Workload, mut pod_keys: impl Iterator<Item = &'k String>, ctx: &Context<'_>) -> bool {
    let named = |n: &str| metrics_name(n) || n.to_ascii_lowercase().contains("prom");
    let ports = w.containers().flat_map(|(_, c)| c.ports.iter().flatten()).any(|p| p.name.as_deref().is_some_and(named));
    let service_ports = ctx.services_selecting().any(|s| match &s.view {
        View::Service { ports, annotations, .. } => {
            ports.iter().any(|p| p.name.as_deref().is_some_and(named)) || annotations.keys().any(|k| KEYS[1..].contains(&k.as_str()))
        }
        _ => false,
    });
    let annotated = pod_keys.any(|k| KEYS[1..].contains(&k.as_str()));
    let flags = w.containers().any(|(_, c)| {
        let words = c.args.iter().flatten().chain(c.command.iter().flatten());
        let env = c.env.iter().flatten().map(|e| &e.name);
        words.chain(env).any(|s| s.to_ascii_lowercase().contains("metrics"))
    });
    ports || service_ports || annotated || flags
}

const SCRAPE: &str = "prometheus.io/scrape";
/// The annotation keys Prometheus' example scrape configs read.
const KEYS: [&str; 3] = [SCRAPE, "prometheus.io/port", "prometheus.io/path"];

/// An annotation key that is not one of [`KEYS`] but was meant to be.
#[derive(Debug, PartialEq)]
struct Misspelling {
    key: String,
    meant: &'static str,
    /// Prometheus turns every character but letters, digits and `_` into `_`
    /// before relabeling: `prometheus.io.scrape` reads as `prometheus.io/scrape`.
    read_by_prometheus: bool,
}

impl Misspelling {
    fn message(&self, what: &str) -> String {
        if self.read_by_prometheus {
            format!(
                "annotation \"{}\" of {what} is spelt unlike \"{}\": Prometheus reads it (its relabeling sees both as {}), scrapers that match the exact key do not",
                self.key,
                self.meant,
                sanitize(self.meant)
            )
        } else {
            format!("annotation \"{}\" of {what} is a misspelling of \"{}\", which Prometheus ignores", self.key, self.meant)
        }
    }
}

/// The misspellings among annotation keys (none when the right key is there too).
fn misspellings<'k>(keys: impl Iterator<Item = &'k String> + Clone) -> Vec<Misspelling> {
    keys.clone().filter_map(|k| misspelling(k)).filter(|t| !keys.clone().any(|k| k == t.meant)).collect()
}

/// The key of [`KEYS`] that `key` misspells: the same letters and digits
/// (`prometheus_io/scrape`), or at most two edits away (`prometheus.io/scarpe`).
fn misspelling(key: &str) -> Option<Misspelling> {
    if KEYS.contains(&key) || key.len() > 40 {
        return None;
    }
    let letters = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect::<String>();
    let meant =
        KEYS.iter().copied().find(|k| letters(k) == letters(key)).or_else(|| KEYS.iter().copied().find(|k| levenshtein(key, k) <= 2))?;
    Some(Misspelling { key: key.to_string(), meant, read_by_prometheus: sanitize(key) == sanitize(meant) })
}

/// Prometheus' name for an annotation key in `__meta_kubernetes_pod_annotation_<name>`.
fn sanitize(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// Does the pod template serve traffic (declares ports or is behind a Service)?
fn serving(obj: &Object, ctx: &Context<'_>) -> bool {
    let Some(w) = obj.workload() else {
        return false;
    };
    w.containers().any(|(_, c)| c.ports.as_ref().is_some_and(|p| !p.is_empty())) || ctx.is_service_selected()
}

#[cfg(test)]
mod tests {
    use super::misspelling;

    #[test]
    fn misspelt_keys() {
        let meant = |k: &str| misspelling(k).map(|t| (t.meant, t.read_by_prometheus));
        assert_eq!(meant("prometheus.io.scrape"), Some(("prometheus.io/scrape", true)));
        assert_eq!(meant("prometheus_io/scrape"), Some(("prometheus.io/scrape", true)));
        assert_eq!(meant("prometheusio/scrape"), Some(("prometheus.io/scrape", false)));
        assert_eq!(meant("Prometheus.io/scrape"), Some(("prometheus.io/scrape", false)));
        assert_eq!(meant("prometheus.io/scrapes"), Some(("prometheus.io/scrape", false)));
        assert_eq!(meant("prometheus.io/scarpe"), Some(("prometheus.io/scrape", false)));
        assert_eq!(meant("prometheus.io/prot"), Some(("prometheus.io/port", false)));
        assert_eq!(meant("prometheus.io.path"), Some(("prometheus.io/path", true)));
        // Keys that are right, or other keys Prometheus configs read.
        for key in [
            "prometheus.io/scrape",
            "prometheus.io/port",
            "prometheus.io/path",
            "prometheus.io/scheme",
            "prometheus.io/probe",
            "prometheus.io/param",
            "prometheus.io/scrape_slow",
            "linkerd.io/inject",
        ] {
            assert_eq!(meant(key), None, "{key}");
        }
    }
}
