//! RollingUpdate: replace pods a few at a time (maxSurge / maxUnavailable).

use super::{PlanError, Planner, R, Wait, WorkloadRef, Workspace};
use crate::edit::Yaml;

/// An int or a percentage (`25%`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(u32),
}

/// Any percentage: the API server takes a maxSurge above 100 % (start more
/// new pods than there are old ones); `--max-unavailable` parses with
/// [`IntOrPercent::unavailable`], which stops at 100 %.
impl std::str::FromStr for IntOrPercent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let v: u32 = p.parse().map_err(|_| format!("`{s}` is not a percentage"))?;
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
    /// `--max-unavailable`: no more than all the pods (100 %).
    pub fn unavailable(s: &str) -> Result<IntOrPercent, String> {
        match s.parse()? {
            IntOrPercent::Percent(v) if v > 100 => Err(format!("`{}` is above 100%", s.trim())),
            v => Ok(v),
        }
    }
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

impl std::fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrPercent::Int(i) => write!(f, "{i}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
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
    // A value not asked for is kept: a tuned `maxUnavailable: 0` (no pod
    // down during a rollout) stays when only --max-surge is given. A
    // Recreate Deployment has no such values; the API's defaults (25%) fill in.
    let rolling = d.obj.root.pointer("/spec/strategy/type").and_then(|n| n.scalar_text()).is_none_or(|t| t != "Recreate");
    let choose = |asked: &Option<IntOrPercent>, field: &'static str| match asked {
        Some(v) => Value::Set(v.clone()),
        None => match d.obj.root.pointer(&format!("/spec/strategy/rollingUpdate/{field}")) {
            Some(n) if rolling && n.type_name() != "null" => Value::Kept(n.scalar_text().unwrap_or_default()),
            _ => Value::Set(IntOrPercent::Percent(25)),
        },
    };
    let surge = choose(&o.max_surge, "maxSurge");
    let unavailable = choose(&o.max_unavailable, "maxUnavailable");
    if surge.is_zero() && unavailable.is_zero() {
        let kept = match (&surge, &unavailable) {
            (Value::Set(_), Value::Set(_)) => None,
            (Value::Set(_), Value::Kept(_)) => Some(("maxUnavailable", "--max-unavailable")),
            (Value::Kept(_), Value::Set(_)) => Some(("maxSurge", "--max-surge")),
            (Value::Kept(_), Value::Kept(_)) => Some(("maxSurge and maxUnavailable", "--max-surge or --max-unavailable")),
        };
        return Err(PlanError::BothZero { kept });
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
    let title = format!(
        "set spec.strategy of Deployment/{} to RollingUpdate with maxSurge {surge} and maxUnavailable {unavailable}{}",
        target.name,
        o.min_ready_seconds.map(|s| format!(", minReadySeconds {s}")).unwrap_or_default()
    );
    p.step(title, Wait::NextImageChange { downtime: false }, |ws| {
        let n = &target.name;
        ws.set("Deployment", n, "/spec/strategy/type", Yaml::str("RollingUpdate"))?;
        for (field, value) in [("maxSurge", &surge), ("maxUnavailable", &unavailable)] {
            if let Value::Set(v) = value {
                ws.set("Deployment", n, &format!("/spec/strategy/rollingUpdate/{field}"), v.yaml())?;
            }
        }
        if let Some(s) = o.min_ready_seconds {
            ws.set("Deployment", n, "/spec/minReadySeconds", Yaml::Int(s.into()))?;
        }
        Ok(())
    })?;
    Ok(p.plan)
}

/// A value of the planned strategy: one the plan writes, or one it keeps (as the manifest has it).
enum Value {
    Set(IntOrPercent),
    Kept(String),
}

impl Value {
    fn is_zero(&self) -> bool {
        match self {
            Value::Set(v) => v.is_zero(),
            Value::Kept(text) => text.parse::<IntOrPercent>().is_ok_and(|v| v.is_zero()),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Set(v) => write!(f, "{v}"),
            Value::Kept(text) => write!(f, "{text} (kept)"),
        }
    }
}
