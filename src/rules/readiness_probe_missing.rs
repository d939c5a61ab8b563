//! `readiness-probe-missing`: Container has no readinessProbe

use super::shared::{Traffic, long_running_containers, port_text, traffic};
use super::{Context, Rule, Summary};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target};

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
