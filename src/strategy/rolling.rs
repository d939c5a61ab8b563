//! RollingUpdate: replace pods a few at a time (maxSurge / maxUnavailable).

use super::{PlanError, Planner, R, Wait, WorkloadRef, Workspace};
use crate::edit::Yaml;

/// An int or a percentage (`25%`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(u32),
}

impl std::str::FromStr for IntOrPercent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let v: u32 = p.parse().map_err(|_| format!("`{s}` is not a percentage"))?;
            if v > 100 {
                return Err(format!("`{s}` is above 100%"));
            }
            return Ok(IntOrPercent::Percent(v));
        }
        let v: i64 = s.parse().map_err(|_| format!("`{s}` is neither an integer nor a percentage"))?;
        if v < 0 {
            return Err("must not be negative".into());
        }
        Ok(IntOrPercent::Int(v))
    }
}

impl IntOrPercent {
    fn yaml(&self) -> Yaml {
        match self {
            IntOrPercent::Int(i) => Yaml::Int(*i),
            IntOrPercent::Percent(p) => Yaml::str(format!("{p}%")),
        }
    }
    fn is_zero(&self) -> bool {
        matches!(self, IntOrPercent::Int(0) | IntOrPercent::Percent(0))
    }
}

/// `spec.strategy.type: RollingUpdate` with its parameters.
pub struct Rolling {
    pub max_surge: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
    pub min_ready_seconds: Option<u32>,
}

impl super::Strategy for Rolling {
    fn plan(&self, ws: Workspace, target: &WorkloadRef) -> R<super::Plan> {
        if target.kind == super::TargetKind::Rollout {
            return Err(PlanError::RolloutStrategy { target: target.name.clone(), strategy: "RollingUpdate" });
        }
        plan(ws, target, self)
    }
    fn tracks(&self, _: &WorkloadRef) -> Vec<String> {
        Vec::new()
    }
    fn finish(&self, _: Workspace, target: &WorkloadRef, how: super::Finish) -> R<super::Plan> {
        Err(PlanError::NoTracks { target: target.name.clone(), how, strategy: "canary or blue/green tracks", tracks: Vec::new() })
    }
}

fn plan(ws: Workspace, target: &WorkloadRef, o: &Rolling) -> R<super::Plan> {
    let Some(d) = ws.find("Deployment", &target.name)? else {
        return Err(super::recreate::missing(&ws, target));
    };
    let surge = o.max_surge.clone().unwrap_or(IntOrPercent::Percent(25));
    let unavailable = o.max_unavailable.clone().unwrap_or(IntOrPercent::Percent(25));
    if surge.is_zero() && unavailable.is_zero() {
        return Err(PlanError::BothZero);
    }
    let mut p = Planner::new(ws, format!("Plan: Deployment/{} to RollingUpdate ({})", target.name, d.file));
    p.app(&target.name);
    if let Some(w) = d.obj.workload() {
        let missing: Vec<String> = w.containers().filter(|(_, c)| c.readiness_probe.is_none()).map(|(_, c)| c.name.clone()).collect();
        if !missing.is_empty() {
            p.warn(format!(
                "container(s) {} have no readinessProbe: a rolling update counts a pod as available as soon as it starts, \
                 so it can replace working pods with broken ones",
                missing.join(", ")
            ));
        }
    }
    let show = |v: &IntOrPercent| match v {
        IntOrPercent::Int(i) => i.to_string(),
        IntOrPercent::Percent(p) => format!("{p}%"),
    };
    let title = format!(
        "set spec.strategy of Deployment/{} to RollingUpdate with maxSurge {} and maxUnavailable {}{}",
        target.name,
        show(&surge),
        show(&unavailable),
        o.min_ready_seconds.map(|s| format!(", minReadySeconds {s}")).unwrap_or_default()
    );
    p.step(title, Wait::NextImageChange { downtime: false }, |ws| {
        let n = &target.name;
        ws.set("Deployment", n, "/spec/strategy/type", Yaml::str("RollingUpdate"))?;
        ws.set("Deployment", n, "/spec/strategy/rollingUpdate/maxSurge", surge.yaml())?;
        ws.set("Deployment", n, "/spec/strategy/rollingUpdate/maxUnavailable", unavailable.yaml())?;
        if let Some(s) = o.min_ready_seconds {
            ws.set("Deployment", n, "/spec/minReadySeconds", Yaml::Int(s.into()))?;
        }
        Ok(())
    })?;
    Ok(p.plan)
}
