//! `resources-missing`: Container has no cpu and memory requests

use super::shared::is_helm_test;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "resources-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&ResourcesMissing),
}

pub struct ResourcesMissing;
impl Rule for ResourcesMissing {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        // A Helm test runs by hand (`helm test`), outside any rollout.
        let Some(w) = obj.workload().filter(|_| !is_helm_test(obj)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ptr, c) in w.containers().chain(w.init_containers()) {
            let res = c.resources.as_ref();
            let has = |r: &str| {
                res.is_some_and(|res| {
                    res.requests.as_ref().is_some_and(|m| m.contains_key(r)) || res.limits.as_ref().is_some_and(|m| m.contains_key(r))
                })
            };
            let missing: Vec<&str> = ["cpu", "memory"].into_iter().filter(|r| !has(r)).collect();
            if missing.is_empty() {
                continue;
            }
            let (at, target) =
                if res.is_some() { (format!("{ptr}/resources"), Target::Key) } else { (format!("{ptr}/name"), Target::Entry) };
            let f = finding(obj, format!("container \"{}\" of {} has no {} request", c.name, obj.label(), missing.join(" and ")))
                .at(&at, target)
                .help("set resources.requests.cpu and resources.requests.memory to what the container needs at steady load");
            out.push(f);
        }
        out
    }
}
