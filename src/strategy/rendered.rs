//! A target that exists only in what a kustomization or chart renders cannot
//! be rewritten (the next render would undo it): the refusal names the root.

use super::error::PlanError;
use super::{TargetKind, WorkloadRef, Workspace};
use crate::render::{self, By};

/// `Err(RenderedOnly)` when the target is not in the files but a Kustomize root or
/// Helm chart among `paths` renders it; `Ok` when it is in the files (or nowhere:
/// planning then says it is not found).
pub fn refuse_rendered(ws: &Workspace, target: &WorkloadRef, paths: &[String]) -> Result<(), PlanError> {
    let kind = match target.kind {
        TargetKind::Deployment => "Deployment",
        TargetKind::Rollout => "Rollout",
    };
    if ws.find(kind, &target.name)?.is_some() {
        return Ok(());
    }
    match render::who_renders(paths, kind, &target.name, &render::RenderOptions::default()) {
        Some(root) => Err(PlanError::RenderedOnly {
            target: format!("{}/{}", kind.to_ascii_lowercase(), target.name),
            tool: root.by.as_str(),
            chart: root.by == By::Helm,
            root: root.display,
        }),
        None => Ok(()),
    }
}
