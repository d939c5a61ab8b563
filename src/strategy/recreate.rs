//! Recreate: stop every old pod, then start the new ones (downtime, but never two versions at once).

use super::{PlanError, Planner, R, Wait, WorkloadRef, Workspace};
use crate::edit::Yaml;

/// `spec.strategy.type: Recreate`.
pub struct Recreate;

impl super::Strategy for Recreate {
    fn plan(&self, ws: Workspace, target: &WorkloadRef) -> R<super::Plan> {
        if target.kind == super::TargetKind::Rollout {
            return Err(PlanError::RolloutStrategy { target: target.name.clone(), strategy: "Recreate" });
        }
        plan(ws, target)
    }
    fn tracks(&self, _: &WorkloadRef) -> Vec<String> {
        Vec::new()
    }
    fn finish(&self, _: Workspace, target: &WorkloadRef, how: super::Finish) -> R<super::Plan> {
        Err(PlanError::NoTracks { target: target.name.clone(), how, strategy: "canary or blue/green tracks", tracks: Vec::new() })
    }
}

fn plan(ws: Workspace, target: &WorkloadRef) -> R<super::Plan> {
    let Some(d) = ws.find("Deployment", &target.name)? else {
        return Err(missing(&ws, target));
    };
    let mut p = Planner::new(ws, format!("Plan: Deployment/{} to Recreate ({})", target.name, d.file));
    p.app(&target.name);
    p.step(
        format!(
            "set spec.strategy of Deployment/{} to {{type: Recreate}}: the next rollout stops all pods before starting new ones",
            target.name
        ),
        Wait::NextImageChange { downtime: true },
        |ws| {
            ws.set("Deployment", &target.name, "/spec/strategy/type", Yaml::str("Recreate"))?;
            ws.remove("Deployment", &target.name, "/spec/strategy/rollingUpdate")
        },
    )?;
    Ok(p.plan)
}

/// "not found" with the Deployments that do exist.
pub fn missing(ws: &Workspace, target: &WorkloadRef) -> PlanError {
    let candidates: Vec<String> = ws
        .objects()
        .into_iter()
        .filter(|f| f.obj.kind == "Deployment")
        .map(|f| format!("deployment/{} ({})", f.obj.name.as_deref().unwrap_or("?"), f.file))
        .collect();
    PlanError::NotFound { kind: "Deployment".into(), name: target.name.clone(), candidates, unparsed: ws.unparsed() }
}
