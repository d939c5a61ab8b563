//! Helpers that several rules share.

use super::{Context, Summary};
use crate::manifest::Object;
use k8s_openapi::api::core::v1::Container;

/// The Service in front of a workload, for messages.
pub(super) fn service_of<'a>(ctx: &Context<'a>) -> Option<&'a Summary> {
    ctx.services_selecting().next()
}

/// How the floor of replicas was decided, for messages.
pub(super) fn floor(ctx: &Context<'_>, n: i64) -> String {
    match ctx.hpa() {
        Some(h) => match ctx.user_place(h) {
            Some(at) => format!("{n} (the minReplicas of {} at {at})", h.label()),
            None => format!("{n} (the minReplicas of {})", h.label()),
        },
        None => n.to_string(),
    }
}

/// The containers of a long-running workload (not Jobs), with their pointers.
pub(super) fn long_running_containers(obj: &Object) -> Vec<(crate::manifest::ContainerPtr, &Container)> {
    match obj.workload() {
        Some(w) if w.long_running() => w.containers().collect(),
        _ => Vec::new(),
    }
}
