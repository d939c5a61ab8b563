//! `termination-grace-period-too-short`: terminationGracePeriodSeconds does not cover the preStop sleep plus a margin

use super::{Context, Rule};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix};
use crate::manifest::{Object, Target};
use k8s_openapi::api::core::v1::LifecycleHandler;
use std::sync::OnceLock;

declare_rule! {
    id: "termination-grace-period-too-short",
    severity: Error,
    fix: Unsafe,
    reads_other_objects: false,
    params: [
        /// Seconds the grace period must exceed the longest preStop sleep by.
        MARGIN_SECONDS: u32 = { name: "margin-seconds", default: || 5 },
    ],
    check: Some(&TerminationGracePeriodTooShort),
}

pub struct TerminationGracePeriodTooShort;
impl Rule for TerminationGracePeriodTooShort {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let Some(spec) = w.pod_spec() else {
            return Vec::new();
        };
        let margin = i64::from(MARGIN_SECONDS.get(ctx.settings));
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
        let f = finding(obj, message).at(&ptr, Target::Value).help(format!(
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
