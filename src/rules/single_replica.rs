//! `single-replica`: One replica behind a Service

use super::shared::{floor, service_of};
use super::{Context, Rule, Summary};
use crate::finding::{Finding, Severity};
use crate::manifest::tree::{Node, Value};
use crate::manifest::{Object, Target, WorkloadKind};

declare_rule! {
    id: "single-replica",
    severity: Warning,
    fix: None,
    reads_other_objects: true,
    params: [],
    check: Some(&SingleReplica),
}

pub struct SingleReplica;
impl Rule for SingleReplica {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.min_replicas() != Some(1) {
            return Vec::new();
        }
        let Some(svc) = service_of(ctx) else {
            return Vec::new();
        };
        let (at, target) = replicas_at(obj);
        let head = format!("{} runs {} replica behind {}", obj.label(), floor(ctx, 1), ctx.cite(svc));
        let message = match rollout(obj) {
            Rollout::KeepsServing(how) => format!(
                "{head}: a node drain, eviction or node failure takes the only pod down, and a rollout keeps serving only if the new pod becomes ready ({how} starts it before the old one stops)"
            ),
            Rollout::TakesDown(how) => {
                format!("{head}: each rollout ({how}), node drain, eviction or node failure takes the only pod down")
            }
            Rollout::Unknown => format!("{head}: a node drain, eviction or node failure takes the only pod down"),
        };
        // A store: pods with a persistent volume (a claim template of a
        // StatefulSet, or a claim). A second replica is a second empty store,
        // or cannot mount a ReadWriteOnce claim, unless the application
        // replicates: the number alone does not fix it, so it is advice.
        let claims = |ptr: &str| obj.root.pointer(ptr).and_then(Node::as_seq).is_some_and(|v| !v.is_empty());
        let template_claim = obj.workload().is_some_and(|w| {
            w.pod_spec().and_then(|p| p.volumes.as_ref()).is_some_and(|v| v.iter().any(|v| v.persistent_volume_claim.is_some()))
        });
        let stateful = claims("/spec/volumeClaimTemplates") || template_claim;
        let (severity, message) = if stateful {
            (
                Severity::Info,
                format!("{message}; its pods keep data on a persistent volume, so more replicas need the application's own replication"),
            )
        } else {
            (SEVERITY, message)
        };
        let f = finding(obj, message)
            .severity(severity)
            .at(at, target)
            .help("set replicas: 2 or more (with a PodDisruptionBudget), or an HPA with minReplicas: 2")
            .join(ctx.services_selecting().chain(ctx.hpa()).map(Summary::joined));
        vec![f]
    }
}

/// Where a finding about the replica count goes: the value, or `spec` when unset.
fn replicas_at(obj: &Object) -> (&'static str, Target) {
    if obj.root.pointer("/spec/replicas").is_some() { ("/spec/replicas", Target::Entry) } else { ("/spec", Target::Key) }
}

/// What a rollout does to a workload's only pod.
enum Rollout {
    /// A new pod starts first (how: `maxSurge 25%`, `blueGreen`).
    KeepsServing(String),
    /// The old pod stops first (how).
    TakesDown(String),
    /// No rollout by itself (`OnDelete`), or a kind or value we do not read.
    Unknown,
}

/// How the rollout of a workload with one replica goes, by its strategy.
fn rollout(obj: &Object) -> Rollout {
    let Some(w) = obj.workload() else {
        return Rollout::Unknown;
    };
    let text = |ptr: &str| obj.root.pointer(ptr).and_then(Node::as_str);
    match w.kind {
        WorkloadKind::Deployment if text("/spec/strategy/type") == Some("Recreate") => {
            Rollout::TakesDown("Recreate stops the old pod first".into())
        }
        WorkloadKind::Deployment => surge(obj, "/spec/strategy/rollingUpdate"),
        WorkloadKind::StatefulSet if text("/spec/updateStrategy/type") != Some("OnDelete") => {
            Rollout::TakesDown("a StatefulSet deletes the old pod before it starts the new one".into())
        }
        WorkloadKind::Rollout if obj.root.pointer("/spec/strategy/blueGreen").is_some() => Rollout::KeepsServing("blueGreen".into()),
        WorkloadKind::Rollout if obj.root.pointer("/spec/strategy/canary").is_some() => surge(obj, "/spec/strategy/canary"),
        _ => Rollout::Unknown,
    }
}

/// A rolling update of one pod by its `maxSurge` and `maxUnavailable` (both
/// 25% by default: a surge of 1 pod, rounded up, and 0 unavailable, rounded down).
fn surge(obj: &Object, block: &str) -> Rollout {
    let value = |key: &str| -> Option<(i64, String)> {
        let Some(node) = obj.root.pointer(&format!("{block}/{key}")) else {
            return Some((if key == "maxSurge" { 1 } else { 0 }, "25% (the default)".into()));
        };
        match &node.value {
            Value::Int(n) => Some((*n, n.to_string())),
            Value::Str(s) => {
                let p = s.trim().strip_suffix('%')?.trim().parse::<i64>().ok()?;
                // Of one pod: a surge rounds up, unavailability down.
                Some((if key == "maxSurge" { i64::from(p > 0) } else { p / 100 }, s.trim().to_string()))
            }
            _ => None,
        }
    };
    match (value("maxSurge"), value("maxUnavailable")) {
        (_, Some((u, text))) if u >= 1 => Rollout::TakesDown(format!("maxUnavailable {text} stops the old pod first")),
        (Some((s, text)), Some(_)) if s >= 1 => Rollout::KeepsServing(format!("maxSurge {text}")),
        _ => Rollout::Unknown,
    }
}
