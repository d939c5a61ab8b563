//! Rollout settings: how a new version replaces the old one.

use super::{Context, Rule};
use crate::edit::{Op, Yaml};
use crate::finding::{Finding, Fix, Severity};
use crate::manifest::tree::{Node, Value};
use crate::manifest::{Object, Target, WorkloadKind};

/// `0` or `"0%"`.
fn is_zero(n: Option<&Node>) -> bool {
    match n.map(|n| &n.value) {
        Some(Value::Int(0)) => true,
        Some(Value::Str(s)) => matches!(s.trim(), "0" | "0%"),
        _ => false,
    }
}

/// Where a kind keeps its surge/unavailable parameters, and their defaults being zero.
/// Returns (pointer of the block, surge defaults to zero, unavailable defaults to zero).
fn rolling_block(obj: &Object) -> Option<(&'static str, bool, bool)> {
    match obj.workload()?.kind {
        WorkloadKind::Deployment => {
            let ty = obj.root.pointer("/spec/strategy/type").and_then(Node::as_str);
            (ty != Some("Recreate")).then_some(("/spec/strategy/rollingUpdate", false, false))
        }
        WorkloadKind::DaemonSet => {
            let ty = obj.root.pointer("/spec/updateStrategy/type").and_then(Node::as_str);
            // DaemonSet defaults: maxSurge 0, maxUnavailable 1.
            (ty != Some("OnDelete")).then_some(("/spec/updateStrategy/rollingUpdate", true, false))
        }
        WorkloadKind::Rollout => Some(("/spec/strategy/canary", false, false)),
        _ => None,
    }
}

pub struct RollingUpdateBlocked;
impl Rule for RollingUpdateBlocked {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some((ptr, surge_default_zero, unavail_default_zero)) = rolling_block(obj) else {
            return Vec::new();
        };
        let Some(block) = obj.root.pointer(ptr) else {
            return Vec::new();
        };
        let surge = block.get("maxSurge");
        let unavail = block.get("maxUnavailable");
        let surge_zero = if surge.is_some() { is_zero(surge) } else { surge_default_zero };
        let unavail_zero = if unavail.is_some() { is_zero(unavail) } else { unavail_default_zero };
        if !(surge_zero && unavail_zero) {
            return Vec::new();
        }
        let f = obj
            .finding(
                "rolling-update-blocked",
                Severity::Error,
                ptr,
                Target::Key,
                format!("{} has maxSurge and maxUnavailable both 0: a rollout can neither add nor remove a pod", obj.label()),
            )
            .help("allow at least one: maxSurge: 1 with maxUnavailable: 0 keeps full capacity during the rollout");
        // Unsafe: the rollout then starts an extra pod (quota, scheduling), which the user did not ask for.
        // A DaemonSet surges only without host ports: it takes down one node's pod at a time instead, its default.
        let (title, surge, unavailable) = if surge_default_zero {
            ("set maxUnavailable: 1, maxSurge: 0 (one node at a time)", 0, 1)
        } else {
            ("set maxUnavailable: 0, maxSurge: 1 (one extra pod at a time)", 1, 0)
        };
        vec![f.fix(Fix::unsafe_(
            title,
            vec![
                Op::set(obj.doc_ptr(&format!("{ptr}/maxUnavailable")), Yaml::Int(unavailable)),
                Op::set(obj.doc_ptr(&format!("{ptr}/maxSurge")), Yaml::Int(surge)),
            ],
        ))]
    }
}

pub struct RecreateWithRollingParams;
impl Rule for RecreateWithRollingParams {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let (block, forbidden_type) = match w.kind {
            WorkloadKind::Deployment => ("/spec/strategy", "Recreate"),
            WorkloadKind::DaemonSet | WorkloadKind::StatefulSet => ("/spec/updateStrategy", "OnDelete"),
            _ => return Vec::new(),
        };
        let Some(b) = obj.root.pointer(block) else {
            return Vec::new();
        };
        // `rollingUpdate: null` is the same as unset.
        let rolling = b.get("rollingUpdate").filter(|n| !matches!(n.value, Value::Null));
        if b.get("type").and_then(Node::as_str) != Some(forbidden_type) || rolling.is_none() {
            return Vec::new();
        }
        let at = format!("{block}/rollingUpdate");
        let f = obj
            .finding(
                "recreate-with-rolling-params",
                Severity::Error,
                &at,
                Target::Key,
                format!("{} uses type {forbidden_type} together with rollingUpdate; the API server rejects this", obj.label()),
            )
            .help(format!(
                "remove rollingUpdate, or change type to RollingUpdate if a rolling update was meant (type {forbidden_type} ignores it)"
            ));
        // Safe: the API server rejects the object as it is, and type wins: rollingUpdate never had an effect.
        vec![f.fix(Fix::safe("remove rollingUpdate", vec![Op::remove(obj.doc_ptr(&at))]))]
    }
}

pub struct RollingUpdateDowntime;
impl Rule for RollingUpdateDowntime {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        if w.kind != WorkloadKind::Deployment {
            return Vec::new();
        }
        // An HPA's minReplicas is the floor, not spec.replicas.
        let Some(replicas) = ctx.min_replicas(obj) else {
            return Vec::new();
        };
        if replicas <= 0 || obj.root.pointer("/spec/strategy/type").and_then(Node::as_str) == Some("Recreate") {
            return Vec::new();
        }
        let ptr = "/spec/strategy/rollingUpdate/maxUnavailable";
        let Some(node) = obj.root.pointer(ptr) else {
            return Vec::new();
        };
        let unavailable = match &node.value {
            Value::Int(n) => *n,
            Value::Str(s) => match s.trim().strip_suffix('%').and_then(|p| p.trim().parse::<i64>().ok()) {
                Some(p) => replicas * p / 100,
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        if unavailable < replicas {
            return Vec::new();
        }
        let mut f = obj.finding(
            "rolling-update-downtime",
            Severity::Warning,
            ptr,
            Target::Value,
            format!(
                "maxUnavailable lets the rollout take down {unavailable} of {replicas} replica{} at once: the service is down until new pods are ready",
                if replicas == 1 { "" } else { "s" }
            ),
        );
        f.help = Some("use maxUnavailable: 0 with maxSurge: 1 (or more replicas) so old pods serve until new ones are ready".into());
        vec![f]
    }
}

/// Is an image reference mutable (no tag, or `latest`, and no digest)?
pub fn image_is_mutable(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

pub struct ImageTagMutable;
impl Rule for ImageTagMutable {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        w.containers()
            .chain(w.init_containers())
            .filter_map(|(ptr, c)| {
                let image = c.image.as_deref()?;
                image_is_mutable(image).then(|| {
                    let why = if image.ends_with(":latest") { "uses the tag latest" } else { "has no tag (so it means latest)" };
                    let mut f = obj.finding(
                        "image-tag-mutable",
                        Severity::Warning,
                        &format!("{ptr}/image"),
                        Target::Value,
                        format!("image \"{image}\" of container \"{}\" {why}: a rollout or rollback cannot tell versions apart", c.name),
                    );
                    f.help = Some("pin a version tag (app:1.4.2) or a digest (app@sha256:…)".into());
                    f
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::image_is_mutable;

    #[test]
    fn image_tags() {
        assert!(image_is_mutable("nginx"));
        assert!(image_is_mutable("nginx:latest"));
        assert!(image_is_mutable("registry:5000/team/app"));
        assert!(!image_is_mutable("registry:5000/team/app:1.2"));
        assert!(!image_is_mutable("nginx@sha256:abc"));
        assert!(!image_is_mutable("nginx:1.27"));
    }
}
