//! Deployment strategies: plans of ordered steps, each a set of
//! comment-preserving edits shown as a unified diff.
//!
//! Every step is an idempotent "make it so" computed against the state the
//! previous steps leave, so a step that is already done has no changes, and
//! re-running `apply … --write` converges.

pub mod bluegreen;
pub mod canary;
pub mod recreate;
pub mod rolling;
pub mod rollout;
pub mod traffic;

mod execute;
pub mod index;
mod options;
mod plan;
pub mod rendered;
mod workload;
mod workspace;

pub use execute::{ObjectFormat, Outcome, Output, execute, validate};
pub use plan::{Plan, Planner, Step, Then, Track, Wait};
pub use workload::*;
pub use workspace::{Found, Workspace};

mod error;
pub use error::{Blocker, BlockerCause, PlanError};

pub type R<T> = Result<T, PlanError>;

/// promote or rollback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finish {
    Promote,
    Rollback,
}

impl Finish {
    pub fn verb(self) -> &'static str {
        match self {
            Finish::Promote => "promote",
            Finish::Rollback => "roll back",
        }
    }
}

/// A deployment strategy: one type per strategy, its options its fields.
pub trait Strategy {
    /// The plan that puts the target under this strategy, or deploys its next version.
    fn plan(&self, ws: Workspace, target: &WorkloadRef) -> R<Plan>;
    /// The workloads this strategy runs beside the target (`<name>-canary`, …).
    fn tracks(&self, target: &WorkloadRef) -> Vec<String>;
    /// Whether the manifests hold this strategy's tracks for the target.
    fn detect(&self, ws: &Workspace, target: &WorkloadRef) -> R<bool> {
        for t in self.tracks(target) {
            if ws.find("Deployment", &t)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }
    /// promote or rollback; a strategy without tracks has nothing to finish.
    fn finish(&self, ws: Workspace, target: &WorkloadRef, how: Finish) -> R<Plan>;
}

/// promote/rollback with whichever strategy the manifests show for the target.
pub fn finish(ws: Workspace, target: &WorkloadRef, candidates: &[&dyn Strategy], how: Finish) -> R<Plan> {
    if target.kind == TargetKind::Rollout {
        return rollout::finish(&ws, target, how);
    }
    for s in candidates {
        if s.detect(&ws, target)? {
            return s.finish(ws, target, how);
        }
    }
    // No tracks: done (exit 0, also with --exit-code) when the Deployment
    // records a finished canary, else it never had one (an error).
    canary::finished(ws, target, how)
}

/// `deployment/NAME` (kubectl's syntax).
#[derive(Clone, Debug)]
pub struct WorkloadRef {
    pub name: String,
    /// `-n`: objects without a namespace count as `default`.
    pub namespace: Option<String>,
    pub kind: TargetKind,
}

/// What the target names: a Deployment, or an Argo Rollout whose controller
/// carries out a strategy declared in its `spec.strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Deployment,
    Rollout,
}

impl WorkloadRef {
    pub fn parse(s: &str, namespace: Option<String>) -> R<WorkloadRef> {
        let (kind, name) = s.split_once('/').ok_or_else(|| PlanError::TargetSyntax { target: s.to_string() })?;
        let kind = match kind.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" | "deployment.apps" | "deployments.apps" => TargetKind::Deployment,
            "rollout" | "rollouts" | "ro" | "rollout.argoproj.io" | "rollouts.argoproj.io" => TargetKind::Rollout,
            other => return Err(PlanError::TargetKind { kind: other.to_string() }),
        };
        if name.is_empty() {
            return Err(PlanError::TargetUnnamed);
        }
        Ok(WorkloadRef { name: name.to_string(), namespace, kind })
    }
}
