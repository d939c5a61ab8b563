//! `liveness-probe-missing`: Container has no livenessProbe

use super::shared::long_running_containers;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "liveness-probe-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&LivenessProbeMissing),
}

pub struct LivenessProbeMissing;
impl Rule for LivenessProbeMissing {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        long_running_containers(obj)
            .into_iter()
            .filter(|(_, c)| c.liveness_probe.is_none())
            .map(|(ptr, c)| {
                finding(obj, format!("container \"{}\" of {} has no livenessProbe", c.name, obj.label()))
                    .at(&format!("{ptr}/name"), Target::Entry)
                    .help("add a livenessProbe so the kubelet restarts the container when it hangs")
            })
            .collect()
    }
}
