//! `statefulset-service-not-headless`: A StatefulSet's serviceName names a Service that is not headless

use super::{Context, Rule, View};
use crate::finding::Finding;
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "statefulset-service-not-headless",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&StatefulSetServiceNotHeadless),
}

pub struct StatefulSetServiceNotHeadless;
impl Rule for StatefulSetServiceNotHeadless {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        if obj.workload().is_none_or(|w| w.kind != WorkloadKind::StatefulSet) {
            return Vec::new();
        }
        let Some(svc) = ctx.governing_service() else {
            return Vec::new();
        };
        if matches!(svc.view, View::Service { headless: true, .. }) {
            return Vec::new();
        }
        let name = svc.name.as_deref().unwrap_or_default();
        let pod = format!("{}-0", obj.name.as_deref().unwrap_or("<unnamed>"));
        let f = finding(
            obj,
            format!(
                "{} names {} as its serviceName, but that Service is not headless: its pods get no DNS names of their own ({pod}.{name})",
                obj.label(),
                ctx.cite(svc)
            ),
        )
        .at("/spec/serviceName", Target::Value)
        .help(format!(
            "set clusterIP: None on {} (a new Service: clusterIP cannot change), or point serviceName at a headless Service selecting the same pods",
            svc.label()
        ))
        .join([svc.joined()]);
        vec![f]
    }
}
