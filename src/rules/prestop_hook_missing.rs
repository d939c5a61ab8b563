//! `prestop-hook-missing`: Serving container has no preStop hook

use super::{Context, Rule, Summary};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix};
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
        let selected = ctx.is_service_selected();
        let containers: Vec<_> = w.containers().collect();
        let single = containers.len() == 1;
        containers
            .into_iter()
            .filter(|(_, c)| {
                let serving = c.ports.as_ref().is_some_and(|p| !p.is_empty()) || (selected && single);
                serving && c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).is_none()
            })
            .map(|(ptr, c)| {
                let f = finding(obj, format!(
                        "serving container \"{}\" of {} has no preStop hook; add `lifecycle: {{preStop: {{sleep: {{seconds: 5}}}}}}` to it",
                        c.name,
                        obj.label()
                    )).at(&format!("{ptr}/name"), Target::Entry);
                let f = f.help(
                    "the sleep keeps the pod serving while endpoints and load balancers stop sending it traffic, before the app \
                     receives SIGTERM (the sleep action needs Kubernetes 1.30; older clusters: exec [\"sleep\", \"5\"] if the image has sleep)",
                );
                // Unsafe: every shutdown then takes 5 s longer.
                let sleep = Yaml::Map(vec![("sleep".into(), Yaml::Map(vec![("seconds".into(), Yaml::Int(PRESTOP_SLEEP))]))]);
                // A container without ports serves because a Service selects it.
                let by_service = c.ports.as_ref().is_none_or(|p| p.is_empty());
                let f = if by_service { f.join(ctx.services_selecting().map(Summary::joined)) } else { f };
                f.fix(Fix::unsafe_(
                    format!("add a preStop sleep of {PRESTOP_SLEEP}s"),
                    vec![Op::set(obj.doc_ptr(&format!("{ptr}/lifecycle/preStop")), sleep)],
                ))
            })
            .collect()
    }
}

/// The preStop sleep the fix of `prestop-hook-missing` adds, in seconds.
const PRESTOP_SLEEP: i64 = 5;
