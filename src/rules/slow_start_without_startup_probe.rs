//! `slow-start-without-startup-probe`: Long liveness initialDelaySeconds instead of a startupProbe

use super::shared::long_running_containers;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "slow-start-without-startup-probe",
    severity: Warning,
    fix: Unsafe,
    reads_other_objects: false,
    params: [
        /// The liveness `initialDelaySeconds` from which a startupProbe is due.
        MIN_INITIAL_DELAY_SECONDS: u32 = { name: "min-initial-delay-seconds", default: || 60 },
    ],
    check: Some(&SlowStartWithoutStartupProbe),
}

pub struct SlowStartWithoutStartupProbe;
impl Rule for SlowStartWithoutStartupProbe {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let min = i32::try_from(MIN_INITIAL_DELAY_SECONDS.get(ctx.settings)).unwrap_or(i32::MAX);
        let mut out = Vec::new();
        for (ptr, c) in long_running_containers(obj) {
            let Some(delay) = c.liveness_probe.as_ref().and_then(|l| l.initial_delay_seconds) else {
                continue;
            };
            if delay >= min && c.startup_probe.is_none() {
                let at = format!("{ptr}/livenessProbe/initialDelaySeconds");
                let f =
                    finding(obj, format!("container \"{}\" delays its livenessProbe by {delay}s instead of using a startupProbe", c.name))
                        .at(&at, Target::Value)
                        .help(
                            "add a startupProbe (failureThreshold × periodSeconds ≥ the slowest start) and drop initialDelaySeconds: \
                         a fixed delay is too long for fast starts and too short for slow ones",
                        );
                out.push(match startup_from_liveness(obj, &ptr.to_string(), delay) {
                    Some(fix) => f.fix(fix),
                    None => f,
                });
            }
        }
        out
    }
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
