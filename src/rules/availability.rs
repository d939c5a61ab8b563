//! Availability: enough replicas, spread, and disruption budgets that let a
//! rollout or a node drain proceed without downtime.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::manifest::{Object, Target, Typed};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The Service in front of a workload, for messages.
fn service_of<'a>(obj: &Object, ctx: &'a Context<'_>) -> Option<&'a Object> {
    ctx.services_selecting(obj).next()
}

/// Where a finding about the replica count goes: the value, or `spec` when unset.
fn replicas_at(obj: &Object) -> (&'static str, Target) {
    if obj.root.pointer("/spec/replicas").is_some() { ("/spec/replicas", Target::Entry) } else { ("/spec", Target::Key) }
}

/// How the floor was decided, for messages.
fn floor(obj: &Object, ctx: &Context<'_>, n: i64) -> String {
    match ctx.hpa(obj) {
        Some(h) => format!("{n} (the minReplicas of {})", h.label()),
        None => n.to_string(),
    }
}

pub struct PdbMissing;
impl Rule for PdbMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(n) = ctx.min_replicas(obj).filter(|&n| n >= 2) else {
            return Vec::new();
        };
        let Some(svc) = service_of(obj, ctx) else {
            return Vec::new();
        };
        if ctx.disruption_budgets(obj).next().is_some() {
            return Vec::new();
        }
        let mut f = obj.finding(
            "pdb-missing",
            Severity::Warning,
            "/metadata/name",
            Target::Entry,
            format!(
                "{} runs {} replicas behind {} and no PodDisruptionBudget selects its pods: a node drain may evict them all at once",
                obj.label(),
                floor(obj, ctx, n),
                svc.label()
            ),
        );
        let labels = obj.workload().map(|w| w.selector.as_ref().and_then(|s| s.match_labels.clone()).unwrap_or_default());
        let sel = labels.unwrap_or_default().iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
        f.help = Some(format!(
            "add a PodDisruptionBudget (policy/v1) with maxUnavailable: 1 and selector.matchLabels {{{sel}}} in the same namespace"
        ));
        vec![f]
    }
}

pub struct PdbBlocksEviction;
impl Rule for PdbBlocksEviction {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Typed::Pdb(p) = &obj.typed else {
            return Vec::new();
        };
        let zero = |v: &IntOrString| matches!(v, IntOrString::Int(0)) || matches!(v, IntOrString::String(s) if s.trim() == "0%");
        let (at, why) = if p.max_unavailable.as_ref().is_some_and(zero) {
            ("/spec/maxUnavailable", "maxUnavailable is 0".to_string())
        } else {
            // The pods it selects, when every selected workload has a known count.
            let counts: Option<Vec<i64>> = ctx.disruption_budgets(obj).map(|w| ctx.min_replicas(w)).collect();
            let pods = counts.filter(|c| !c.is_empty()).map(|c| c.iter().sum::<i64>());
            match (&p.min_available, pods) {
                (Some(IntOrString::String(s)), _) if s.trim() == "100%" => ("/spec/minAvailable", "minAvailable is 100%".to_string()),
                (Some(IntOrString::Int(m)), Some(pods)) if i64::from(*m) >= pods => (
                    "/spec/minAvailable",
                    format!("minAvailable {m} is not below the {pods} pod{} it selects", if pods == 1 { "" } else { "s" }),
                ),
                _ => return Vec::new(),
            }
        };
        let mut f = obj.finding(
            "pdb-blocks-eviction",
            Severity::Warning,
            at,
            Target::Value,
            format!("{} allows no voluntary disruption ({why}): node drains and cluster upgrades stall on its pods", obj.label()),
        );
        f.help = Some("allow at least one pod to go: maxUnavailable: 1 (or minAvailable below the replica count)".into());
        vec![f]
    }
}

pub struct HpaReplicasPinned;
impl Rule for HpaReplicasPinned {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let (Some(hpa), Some(_)) = (ctx.hpa(obj), obj.root.pointer("/spec/replicas")) else {
            return Vec::new();
        };
        let mut f = obj.finding(
            "hpa-replicas-pinned",
            Severity::Warning,
            "/spec/replicas",
            Target::Entry,
            format!(
                "{} sets spec.replicas although {} ({}) scales it: every apply resets the scale to this value",
                obj.label(),
                hpa.label(),
                ctx.place(hpa)
            ),
        );
        f.help = Some("remove spec.replicas from the manifest and let the HorizontalPodAutoscaler own it".into());
        vec![f]
    }
}

pub struct SingleReplica;
impl Rule for SingleReplica {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        if ctx.min_replicas(obj) != Some(1) {
            return Vec::new();
        }
        let Some(svc) = service_of(obj, ctx) else {
            return Vec::new();
        };
        let (at, target) = replicas_at(obj);
        let mut f = obj.finding(
            "single-replica",
            Severity::Warning,
            at,
            target,
            format!(
                "{} runs {} replica behind {}: each rollout, node drain or eviction takes the service down",
                obj.label(),
                floor(obj, ctx, 1),
                svc.label()
            ),
        );
        f.help = Some("set replicas: 2 or more (with a PodDisruptionBudget), or an HPA with minReplicas: 2".into());
        vec![f]
    }
}

pub struct TopologySpreadMissing;
impl Rule for TopologySpreadMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let (Some(w), Some(n)) = (obj.workload(), ctx.min_replicas(obj).filter(|&n| n >= 2)) else {
            return Vec::new();
        };
        let Some(spec) = w.pod_spec() else {
            return Vec::new();
        };
        let spread = spec.topology_spread_constraints.as_ref().is_some_and(|t| !t.is_empty());
        let anti = spec.affinity.as_ref().and_then(|a| a.pod_anti_affinity.as_ref()).is_some();
        if spread || anti {
            return Vec::new();
        }
        let mut f = obj.finding(
            "topology-spread-missing",
            Severity::Info,
            &w.spec_ptr(),
            Target::Key,
            format!(
                "{} runs {} replicas with neither topologySpreadConstraints nor pod anti-affinity: they may all land on one node",
                obj.label(),
                floor(obj, ctx, n)
            ),
        );
        f.help = Some(
            "add topologySpreadConstraints with topologyKey: kubernetes.io/hostname, maxSkew: 1, whenUnsatisfiable: ScheduleAnyway \
             and a labelSelector matching the pod labels"
                .into(),
        );
        vec![f]
    }
}
