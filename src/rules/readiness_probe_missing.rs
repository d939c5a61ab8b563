//! `readiness-probe-missing`: Container has no readinessProbe

use super::shared::long_running_containers;
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
        let service = ctx.services_selecting().next();
        long_running_containers(obj)
            .into_iter()
            .filter(|(_, c)| c.readiness_probe.is_none())
            .map(|(ptr, c)| {
                let (severity, why) = match service {
                    Some(s) => {
                        (Severity::Error, format!("; Service/{} sends it traffic before it is ready", s.name.as_deref().unwrap_or("?")))
                    }
                    None => (SEVERITY, String::new()),
                };

                finding(obj, format!("container \"{}\" of {} has no readinessProbe{why}", c.name, obj.label()))
                    .severity(severity)
                    .at(&format!("{ptr}/name"), Target::Entry)
                    .help("add a readinessProbe that fails while the app starts and after it receives SIGTERM")
                    .join(ctx.services_selecting().map(Summary::joined))
            })
            .collect()
    }
}
