//! Graceful shutdown: on SIGTERM a pod leaves the endpoints, drains and exits within its grace period.

use super::{Context, Rule};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix, Severity};
use crate::manifest::{Object, Target};
use k8s_openapi::api::core::v1::LifecycleHandler;
use std::sync::OnceLock;

pub struct PrestopHookMissing;
impl Rule for PrestopHookMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if !w.long_running() {
            return Vec::new();
        }
        let selected = ctx.is_service_selected(obj);
        let containers: Vec<_> = w.containers().collect();
        let single = containers.len() == 1;
        containers
            .into_iter()
            .filter(|(_, c)| {
                let serving = c.ports.as_ref().is_some_and(|p| !p.is_empty()) || (selected && single);
                serving && c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()).is_none()
            })
            .map(|(ptr, c)| {
                let f = obj.finding(
                    "prestop-hook-missing",
                    Severity::Warning,
                    &format!("{ptr}/name"),
                    Target::Entry,
                    format!(
                        "serving container \"{}\" of {} has no preStop hook; add `lifecycle: {{preStop: {{sleep: {{seconds: 5}}}}}}` to it",
                        c.name,
                        obj.label()
                    ),
                );
                let f = f.help(
                    "the sleep keeps the pod serving while endpoints and load balancers stop sending it traffic, before the app \
                     receives SIGTERM (the sleep action needs Kubernetes 1.30; older clusters: exec [\"sleep\", \"5\"] if the image has sleep)",
                );
                // Unsafe: every shutdown then takes 5 s longer.
                let sleep = Yaml::Map(vec![("sleep".into(), Yaml::Map(vec![("seconds".into(), Yaml::Int(PRESTOP_SLEEP))]))]);
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

/// Seconds a preStop hook sleeps, if it is a sleep.
pub fn prestop_sleep(h: &LifecycleHandler) -> Option<(i64, &'static str)> {
    if let Some(s) = &h.sleep {
        return Some((s.seconds, "sleep/seconds"));
    }
    let cmd = h.exec.as_ref()?.command.as_ref()?.join(" ");
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"(?:^|[\s;&|(/])sleep\s+(\d+)(?:s\b|\b)").expect("valid regex"));
    re.captures_iter(&cmd).filter_map(|c| c[1].parse::<i64>().ok()).max().map(|n| (n, "exec/command"))
}

pub struct TerminationGracePeriodTooShort;
impl Rule for TerminationGracePeriodTooShort {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "termination-grace-period-too-short";
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let Some(spec) = w.pod_spec() else {
            return Vec::new();
        };
        let margin: i64 = ctx.config.param(ID, "margin-seconds", 5);
        let longest = w
            .containers()
            .filter_map(|(ptr, c)| {
                let h = c.lifecycle.as_ref()?.pre_stop.as_ref()?;
                let (secs, at) = prestop_sleep(h)?;
                Some((secs, format!("{ptr}/lifecycle/preStop/{at}"), c.name.clone()))
            })
            .max_by_key(|(s, _, _)| *s);
        let Some((sleep, sleep_ptr, container)) = longest else {
            return Vec::new();
        };
        let grace = spec.termination_grace_period_seconds;
        let effective = grace.unwrap_or(30);
        if effective > sleep + margin {
            return Vec::new();
        }
        let (ptr, message) = match grace {
            Some(g) => (
                format!("{}/terminationGracePeriodSeconds", w.spec_ptr()),
                format!(
                    "terminationGracePeriodSeconds is {g}s but container \"{container}\" sleeps {sleep}s in preStop; \
                     the app gets {}s to drain (less than the {margin}s margin) before SIGKILL",
                    (g - sleep).max(0)
                ),
            ),
            None => (
                sleep_ptr,
                format!(
                    "preStop of container \"{container}\" sleeps {sleep}s but terminationGracePeriodSeconds is unset (30s); \
                     the app gets {}s to drain (less than the {margin}s margin) before SIGKILL",
                    (30 - sleep).max(0)
                ),
            ),
        };
        let f = obj.finding(ID, Severity::Error, &ptr, Target::Value, message).help(format!(
            "set terminationGracePeriodSeconds above the preStop sleep plus the app's drain time (here at least {})",
            sleep + margin + 1
        ));
        // The next multiple of 5 above the sleep plus the margin. Unsafe: a hung pod then takes longer to be killed.
        let raised = (sleep + margin) / 5 * 5 + 5;
        vec![f.fix(Fix::unsafe_(
            format!("set terminationGracePeriodSeconds: {raised}"),
            vec![Op::set(obj.doc_ptr(&format!("{}/terminationGracePeriodSeconds", w.spec_ptr())), Yaml::Int(raised))],
        ))]
    }
}
