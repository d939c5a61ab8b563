//! `prestop-hook-missing`: Serving container has no preStop hook

use super::shared::{Traffic, port_text, traffic};
use super::{Context, Rule, Summary};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix, Severity};
use crate::manifest::{Object, Target};

declare_rule! {
    id: "prestop-hook-missing",
    severity: Warning,
    fix: Unsafe,
    reads_other_objects: true,
    params: [],
    check: Some(&PrestopHookMissing),
}

pub struct PrestopHookMissing;
impl Rule for PrestopHookMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if !w.long_running() {
            return Vec::new();
        }
        let services: Vec<&Summary> = ctx.services_selecting().collect();
        let mut out = Vec::new();
        for (ptr, c) in w.containers() {
            if c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).is_some() {
                continue;
            }
            let ports = c.ports.as_ref().is_some_and(|p| !p.is_empty());
            // The sleep matters where a Service's endpoints send the container
            // requests: it keeps serving until they stop. Scrapes of a metrics
            // port, and ports no Service targets, lose nothing when it stops.
            let (severity, why) = if services.is_empty() {
                if !ports {
                    continue;
                }
                (Severity::Info, "; no Service deployed with it selects its pods (if one elsewhere does, it needs the hook)".to_string())
            } else {
                match traffic(w, c, &services) {
                    Traffic::Serves(s, port) => (
                        SEVERITY,
                        format!("; {} sends it traffic{}", ctx.cite(s), port.map(|p| format!(" on {}", port_text(p))).unwrap_or_default()),
                    ),
                    Traffic::Metrics(..) | Traffic::Nothing(_) => continue,
                }
            };
            let f = finding(
                obj,
                format!(
                    "serving container \"{}\" of {} has no preStop hook{why}; add `lifecycle: {{preStop: {{sleep: {{seconds: 5}}}}}}` to it",
                    c.name,
                    obj.label()
                ),
            )
            .severity(severity)
            .at(&format!("{ptr}/name"), Target::Entry)
            .help(
                "the sleep keeps the pod serving while endpoints and load balancers stop sending it traffic, before the app \
                 receives SIGTERM (the sleep action needs Kubernetes 1.30; older clusters: exec [\"sleep\", \"5\"] if the image has sleep)",
            )
            .join(services.iter().map(|s| s.joined()));
            // Unsafe: every shutdown then takes 5 s longer.
            let sleep = Yaml::Map(vec![("sleep".into(), Yaml::Map(vec![("seconds".into(), Yaml::Int(PRESTOP_SLEEP))]))]);
            out.push(f.fix(Fix::unsafe_(
                format!("add a preStop sleep of {PRESTOP_SLEEP}s"),
                vec![Op::set(obj.doc_ptr(&format!("{ptr}/lifecycle/preStop")), sleep)],
            )));
        }
        out
    }
}

/// The preStop sleep the fix of `prestop-hook-missing` adds, in seconds.
const PRESTOP_SLEEP: i64 = 5;
