//! A plan: ordered steps, each a title, what to wait for, and the edits.

use super::{R, Workspace};
use std::collections::BTreeMap;

/// What to wait for after a step, as data: the text shown is derived from it,
/// and a live run decides from it whether to stop for a person's judgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Nothing happens until the workload's next image change; `downtime`: it
    /// stops every pod first (Recreate).
    NextImageChange { downtime: bool },
    /// The workloads have rolled out (`kubectl rollout status`); none named: every changed one.
    RolledOut(Vec<String>),
    /// A person judges a workload's health before the plan goes on.
    Healthy { workload: String, then: Then },
    /// A Service's endpoints list only one workload's pods.
    Endpoints { workload: String, service: String, then: Option<Then> },
    /// Nothing to wait for.
    Nothing(Then),
}

/// What comes after a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Then {
    /// The next step of the same plan.
    NextStep,
    /// `kubectl strategy promote TARGET` (switches traffic to the checked workload).
    Promote { app: String },
    /// `kubectl strategy promote TARGET` again, after a rollback.
    PromoteAgain { app: String },
    /// `kubectl strategy rollback TARGET` (switches back).
    Rollback { app: String },
    /// New versions go to the idle blue/green track.
    DeployToIdle { app: String },
    /// The plan is over: the stable workload serves all traffic.
    StableServes,
    /// A `kubectl argo rollouts` command moves the controller on.
    Argo { command: String },
}

impl Wait {
    /// The step ends with a human judgement (a canary's health): a live run stops after it.
    pub fn is_gate(&self) -> bool {
        matches!(self, Wait::Healthy { .. })
    }

    /// The condition alone, without what to do next.
    pub fn condition(&self) -> String {
        match self {
            Wait::Healthy { workload, then: Then::NextStep } => {
                format!("{workload} is available and its error rate and latency are healthy")
            }
            other => other.to_string(),
        }
    }
}

impl std::fmt::Display for Wait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wait::NextImageChange { downtime: true } => f.write_str("the next image change (expect downtime while the new pods start)"),
            Wait::NextImageChange { downtime: false } => f.write_str("the next image change rolls pods over a few at a time"),
            Wait::RolledOut(names) => match names.as_slice() {
                [] => f.write_str("the Deployments have rolled out"),
                [one] => write!(f, "kubectl rollout status deployment/{one}"),
                [first, rest @ ..] => {
                    let rest: Vec<String> = rest.iter().map(|n| format!("deployment/{n}")).collect();
                    write!(f, "both are available: kubectl rollout status deployment/{first} and {}", rest.join(" and "))
                }
            },
            Wait::Healthy { then: Then::NextStep, .. } => write!(f, "{}; then run the next step", self.condition()),
            Wait::Healthy { workload, then } => write!(f, "{workload} is available; then {then}"),
            Wait::Endpoints { workload, service, then: None } => {
                write!(f, "the endpoints list only {workload} pods: kubectl get endpointslices -l kubernetes.io/service-name={service}")
            }
            Wait::Endpoints { workload, then: Some(then), .. } => write!(f, "the endpoints list only {workload} pods; {then}"),
            Wait::Nothing(then @ Then::DeployToIdle { .. }) => write!(f, "nothing; {then}"),
            Wait::Nothing(then) => write!(f, "nothing: {then}"),
        }
    }
}

impl std::fmt::Display for Then {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Then::NextStep => f.write_str("run the next step"),
            Then::Promote { app } => write!(f, "`kubectl strategy promote deployment/{app}` switches traffic to it"),
            Then::PromoteAgain { app } => write!(f, "`kubectl strategy promote deployment/{app}` switches forward again"),
            Then::Rollback { app } => write!(f, "`kubectl strategy rollback deployment/{app}` switches back"),
            Then::DeployToIdle { app } => {
                write!(f, "deploy new versions to the idle track with `kubectl strategy apply blue-green deployment/{app} --image …`")
            }
            Then::StableServes => f.write_str("the stable Deployment serves all traffic"),
            Then::Argo { command } => write!(f, "`{command}` moves it past each pause"),
        }
    }
}

/// The workloads a strategy adds beside the original one, named `<app>-<suffix>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Track {
    Blue,
    Green,
    Canary,
    /// Not a workload: the Service that selects the stable pods of a weighted canary.
    Stable,
}

impl Track {
    /// The tracks that are workloads, in the order plans create them.
    pub const WORKLOADS: [Track; 3] = [Track::Blue, Track::Green, Track::Canary];

    pub const fn suffix(self) -> &'static str {
        match self {
            Track::Blue => "blue",
            Track::Green => "green",
            Track::Canary => "canary",
            Track::Stable => "stable",
        }
    }

    /// `<app>-<suffix>`.
    pub fn of(self, app: &str) -> String {
        format!("{app}-{}", self.suffix())
    }
}

/// One step of a plan: a value (what it does, what to wait for, the edits).
#[derive(Clone, Debug)]
pub struct Step {
    pub title: String,
    /// What to wait for before the next step.
    pub wait: Wait,
    /// File -> (text before, text after); `None` before: a new file.
    pub changes: BTreeMap<String, (Option<String>, String)>,
}

impl Step {
    pub fn is_done(&self) -> bool {
        self.changes.is_empty()
    }

    /// The step ends with a human judgement: a live run stops after it.
    pub fn gate(&self) -> bool {
        self.wait.is_gate()
    }

    pub fn diff(&self) -> String {
        self.changes.iter().map(|(name, (before, after))| crate::edit::diff::unified(name, before.as_deref(), Some(after))).collect()
    }
}

/// An ordered plan.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Names of the app's workloads (the target and its tracks): the copies a
    /// plan makes may carry their source's existing findings.
    pub app: Vec<String>,
    pub summary: String,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
}

impl Plan {
    /// The first step with changes.
    pub fn next_pending(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.is_done())
    }

    pub fn render(&self, chosen: Option<usize>) -> String {
        let mut s = format!("{}\n", self.summary);
        let next = self.next_pending();
        for (i, step) in self.steps.iter().enumerate() {
            let mark = if step.is_done() {
                "done"
            } else if Some(i) == chosen {
                "this"
            } else if Some(i) == next {
                "next"
            } else {
                "todo"
            };
            s.push_str(&format!("  {}. [{mark}] {}\n       then: {}\n", i + 1, step.title, step.wait));
        }
        s
    }
}

/// Builds a plan step by step against a simulated workspace.
pub struct Planner {
    pub ws: Workspace,
    pub plan: Plan,
}

impl Planner {
    pub fn new(ws: Workspace, summary: String) -> Planner {
        Planner { ws, plan: Plan { summary, ..Plan::default() } }
    }

    /// Name the app's workloads (see `Plan::app`).
    pub fn app(&mut self, name: &str) {
        self.plan.app = std::iter::once(name.to_string()).chain(Track::WORKLOADS.iter().map(|t| t.of(name))).collect();
    }

    /// Record a step: run `f` on the workspace, keep what it changed.
    pub fn step(&mut self, title: impl Into<String>, wait: Wait, f: impl FnOnce(&mut Workspace) -> R<()>) -> R<()> {
        let before = self.ws.texts();
        f(&mut self.ws)?;
        let mut changes = BTreeMap::new();
        for (name, e) in &self.ws.files {
            let old = before.get(name);
            if old != Some(&e.text) {
                changes.insert(name.clone(), (old.cloned(), e.text.clone()));
            }
        }
        self.plan.steps.push(Step { title: title.into(), wait, changes });
        Ok(())
    }

    pub fn warn(&mut self, w: impl Into<String>) {
        self.plan.warnings.push(w.into());
    }
}
