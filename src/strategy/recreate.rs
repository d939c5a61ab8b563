//! Recreate: stop every old pod, then start the new ones (downtime, but never two versions at once).

use super::{Planner, R, Target, Wait, Workspace, err};
use crate::edit::Yaml;

/// `spec.strategy.type: Recreate`.
pub struct Recreate;

impl super::Strategy for Recreate {
    fn plan(&self, ws: Workspace, target: &Target) -> R<super::Plan> {
        if target.kind == super::TargetKind::Rollout {
            return err(format!(
                "rollout/{}: an Argo Rollout's spec.strategy is canary or blueGreen; Recreate is a Deployment strategy",
                target.name
            ));
        }
        plan(ws, target)
    }
    fn tracks(&self, _: &Target) -> Vec<String> {
        Vec::new()
    }
    fn finish(&self, _: Workspace, target: &Target, how: super::Finish) -> R<super::Plan> {
        err(format!("nothing to {}: a Recreate Deployment ({}) has no tracks", how.verb(), target.name))
    }
}

fn plan(ws: Workspace, target: &Target) -> R<super::Plan> {
    let Some(d) = ws.find("Deployment", &target.name)? else {
        return err(missing(&ws, target));
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
pub fn missing(ws: &Workspace, target: &Target) -> String {
    let candidates: Vec<String> = ws
        .objects()
        .into_iter()
        .filter(|f| f.obj.kind == "Deployment")
        .map(|f| format!("  deployment/{} ({})", f.obj.name.as_deref().unwrap_or("?"), f.file))
        .collect();
    let mut msg = if candidates.is_empty() {
        format!("deployment/{} not found: there are no Deployments in the given paths", target.name)
    } else {
        format!("deployment/{} not found; Deployments in the given paths:\n{}", target.name, candidates.join("\n"))
    };
    let unparsed = ws.unparsed();
    if !unparsed.is_empty() {
        msg.push_str(&format!("\nthese documents do not parse (one may hold it):\n  {}", unparsed.join("\n  ")));
    }
    msg
}
