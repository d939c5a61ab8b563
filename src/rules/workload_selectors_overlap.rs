//! `workload-selectors-overlap`: Two workloads' selectors match each other's pods

use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "workload-selectors-overlap",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&WorkloadSelectorsOverlap),
}

pub struct WorkloadSelectorsOverlap;
impl Rule for WorkloadSelectorsOverlap {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(ptr) = obj.workload().and_then(|w| w.selector_ptr) else {
            return Vec::new();
        };
        ctx.overlapping()
            .map(|other| {
                finding(
                    obj,
                    format!(
                        "the selectors of {} and {} overlap: each controller may adopt or delete the other's pods",
                        obj.label(),
                        ctx.cite(other)
                    ),
                )
                .at(ptr, Target::Key)
                .help("give each workload a distinguishing label (e.g. track: canary) in its selector and pod template")
                .join([other.joined()])
            })
            .collect()
    }
}
