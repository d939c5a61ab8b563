//! Why a plan is refused: one variant per cause, its facts as fields.
//! Callers (the CLI, the corpus harness) tell causes apart by variant or
//! [`PlanError::kind`], never by the words of a message.

use super::Finish;
use crate::edit::EditError;
use crate::text::one_or_many;
use std::fmt;

/// An error that stops planning (exit 2).
#[derive(Debug)]
pub enum PlanError {
    /// The target is not `KIND/NAME`.
    TargetSyntax { target: String },
    /// The target names a kind no strategy works on.
    TargetKind { kind: String },
    /// `deployment/` without a name.
    TargetUnnamed,
    /// The target (or an object the plan needs) is not in the given paths.
    NotFound { kind: String, name: String, candidates: Vec<String>, unparsed: Vec<String> },
    /// Several objects of that kind and name: `-n` or narrower paths pick one.
    Ambiguous { kind: String, name: String, places: Vec<String> },
    /// The object has fields the API server rejects.
    InvalidFields { kind: String, name: String, invalid: Vec<String> },
    /// `-` (stdin) cannot be rewritten.
    Stdin,
    /// A file cannot be read or decoded.
    Unreadable { file: String, message: String },
    /// A comment-preserving edit failed.
    Edit(EditError),
    /// Recreate/RollingUpdate asked of an Argo Rollout.
    RolloutStrategy { target: String, strategy: &'static str },
    /// promote/rollback of a target that never had a canary or tracks.
    NoTracks { target: String, how: Finish, strategy: &'static str, tracks: Vec<String> },
    /// A workload with a track's name that is not a track of the target.
    NotATrack { track: String, target: String, strategy: &'static str, why: String },
    /// Blue and green tracks that differ in more than the slot label.
    TracksDiverge { target: String },
    /// No Service selects the target's pods.
    NoService { target: String, hint: &'static str },
    /// The only Services of the target also select other workloads' pods.
    SharedServices { target: String, services: Vec<String> },
    /// A Service shared with other workloads selects on the canary's track key.
    SharedServiceTrackKey { target: String, service: String, key: String, value: String },
    /// `--service` names something that is not a Service.
    NotAService { name: String },
    /// No Service selects either blue/green track.
    NoActiveTrack { target: String, tracks: [String; 2] },
    /// The track to switch to runs no pods.
    TrackScaledToZero { how: Finish, track: String },
    /// The target runs no pods and `--replicas` was not given.
    ScaledToZero { target: String },
    /// `--max-surge 0 --max-unavailable 0`.
    BothZero,
    /// `--replicas 0`.
    ReplicasFlagZero,
    /// A weight outside 1..=100.
    WeightOutOfRange { weight: u32 },
    /// `--steps` that do not increase (or leave 1..=100 for a Rollout).
    StepsNotIncreasing { rollout: bool },
    /// A canary without a new image.
    NeedsImage { canary: String },
    /// A replica split that is no canary: the arithmetic, and what would do.
    NotACanary { total: i32, weight: u32, stable: i32, canary: i32, replicas_advice: Option<i32> },
    /// Objects the tracks would escape or fight (HPA, PDB, NetworkPolicy, monitors);
    /// `target` as `deployment/NAME` or `rollout/NAME`.
    Blocked { target: String, strategy: &'static str, blockers: Vec<Blocker> },
    /// `--traffic` with no Service to route to.
    TrafficNeedsService { traffic: String, target: String },
    /// `--traffic nginx` without an Ingress to the Service.
    TrafficNeedsIngress { service: String },
    /// `--traffic gateway-api` without `--gateway`.
    TrafficNeedsGateway,
    /// A generated object's name is taken by an object the user made.
    NameTaken { kind: String, name: String },
    /// The workload has no pod template.
    NoPodTemplate { object: String },
    /// `--image C=…` names no container.
    NoSuchContainer { object: String, container: String, containers: Vec<String> },
    /// `--image IMAGE` on a workload with several containers.
    SeveralContainers { object: String, containers: Vec<String> },
    /// `--track-label`/`--slot-label` names no selector key.
    NotASelectorKey { flag: String, key: String, object: String, keys: Vec<String> },
    /// The workload has no matchLabels: no label tells tracks apart.
    NoMatchLabels { object: String },
    /// matchExpressions selectors are not migrated.
    MatchExpressions { object: String },
    /// A label the plan would add is already in use.
    LabelInUse { label: String, object: String },
    /// A workload to copy uses YAML aliases.
    Aliases { file: String, object: String },
    /// The planned step would add lint errors.
    IntroducesErrors { findings: Vec<String> },
    /// The planned step would leave Services selecting no pods.
    StrandsServices { services: Vec<String> },
    /// `--step N` beyond the plan.
    NoSuchStep { step: usize, steps: usize },
    /// `--step N` while an earlier step is pending.
    StepPending { pending: usize, step: usize },
    /// A file changed between reading and writing.
    Stale { file: String },
    /// A file could not be written (the others were put back).
    Write { file: String, message: String },
    /// The target exists only in what a kustomization or chart renders (an
    /// edit there is lost on the next render): `tool` is `kustomize` or `helm`.
    RenderedOnly { target: String, tool: &'static str, chart: bool, root: String },
}

/// An object that selects or scales the target and that the plan would leave behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// `HorizontalPodAutoscaler/web`.
    pub object: String,
    pub file: String,
    pub cause: BlockerCause,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockerCause {
    /// An HPA scales the target by name: it would fight the plan's replica counts.
    Scales,
    /// A PDB/NetworkPolicy/PodMonitor selects the pods by labels the new pods lose.
    Escapes,
    /// A PodMonitor whose selector cannot be widened to the new pods without selecting others.
    MonitorCannotFollow { key: String },
    /// A ServiceMonitor would select a Service the plan adds that selects the same pods.
    DoubleScrape { service: String, via: String },
}

impl PlanError {
    /// The cause as a stable name (for grouping and tests).
    pub fn kind(&self) -> &'static str {
        use PlanError::*;
        match self {
            TargetSyntax { .. } => "target-syntax",
            TargetKind { .. } => "target-kind",
            TargetUnnamed => "target-unnamed",
            RenderedOnly { .. } => "rendered-only",
            NotFound { .. } => "not-found",
            Ambiguous { .. } => "ambiguous",
            InvalidFields { .. } => "invalid-fields",
            Stdin => "stdin",
            Unreadable { .. } => "unreadable",
            Edit(e) => e.kind(),
            RolloutStrategy { .. } => "rollout-strategy",
            NoTracks { .. } => "no-tracks",
            NotATrack { .. } => "not-a-track",
            TracksDiverge { .. } => "tracks-diverge",
            NoService { .. } => "no-service",
            SharedServices { .. } => "shared-services",
            SharedServiceTrackKey { .. } => "shared-service-track-key",
            NotAService { .. } => "not-a-service",
            NoActiveTrack { .. } => "no-active-track",
            TrackScaledToZero { .. } => "track-scaled-to-zero",
            ScaledToZero { .. } => "scaled-to-zero",
            ReplicasFlagZero => "replicas-flag-zero",
            BothZero => "both-zero",
            WeightOutOfRange { .. } => "weight-out-of-range",
            StepsNotIncreasing { .. } => "steps-not-increasing",
            NeedsImage { .. } => "needs-image",
            NotACanary { .. } => "not-a-canary",
            Blocked { .. } => "blocked",
            TrafficNeedsService { .. } => "traffic-needs-service",
            TrafficNeedsIngress { .. } => "traffic-needs-ingress",
            TrafficNeedsGateway => "traffic-needs-gateway",
            NameTaken { .. } => "name-taken",
            NoPodTemplate { .. } => "no-pod-template",
            NoSuchContainer { .. } => "no-such-container",
            SeveralContainers { .. } => "several-containers",
            NotASelectorKey { .. } => "not-a-selector-key",
            NoMatchLabels { .. } => "no-match-labels",
            MatchExpressions { .. } => "match-expressions",
            LabelInUse { .. } => "label-in-use",
            Aliases { .. } => "aliases",
            IntroducesErrors { .. } => "introduces-errors",
            StrandsServices { .. } => "strands-services",
            NoSuchStep { .. } => "no-such-step",
            StepPending { .. } => "step-pending",
            Stale { .. } => "stale",
            Write { .. } => "write",
        }
    }

    /// `NotFound` for `kind/name` without a list of candidates.
    pub fn not_found(kind: &str, name: &str) -> PlanError {
        PlanError::NotFound { kind: kind.to_string(), name: name.to_string(), candidates: Vec::new(), unparsed: Vec::new() }
    }
}

impl Blocker {
    /// One line: the object, why it blocks the plan, what to do, and its file.
    pub fn describe(&self, target: &str) -> String {
        let (o, f) = (&self.object, &self.file);
        match &self.cause {
            BlockerCause::Scales => {
                format!("{o} scales {target}; it will fight the plan's replica counts: point it at the new workloads or pause it ({f})")
            }
            BlockerCause::Escapes => format!(
                "{o} selects {target}'s pods by labels the new pods do not carry; it will not cover them: select the pods by labels every track keeps ({f})"
            ),
            BlockerCause::MonitorCannotFollow { key } => format!(
                "{o} selects {target}'s pods on {key}, which the new pods change, and without {key} its selector would select other workloads' pods (or every pod); select the pods by labels every track keeps ({f})"
            ),
            BlockerCause::DoubleScrape { service, via } => format!(
                "{o} selects Service/{service} (the plan adds it, with the labels of Service/{via}) as well as Service/{via}: the same pods would be scraped twice; narrow its selector to Service/{via}'s labels that the plan's Services do not copy ({f})"
            ),
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PlanError::*;
        match self {
            TargetSyntax { target } => write!(f, "target `{target}` must look like deployment/NAME"),
            TargetKind { kind } => write!(f, "unsupported target kind `{kind}`; use deployment/NAME (or deploy/NAME) or rollout/NAME"),
            TargetUnnamed => f.write_str("the target has no name"),
            NotFound { kind, name, candidates, unparsed } => {
                let kind = kind.to_ascii_lowercase();
                if kind == "deployment" && candidates.is_empty() {
                    write!(f, "deployment/{name} not found: there are no Deployments in the given paths")?;
                } else if candidates.is_empty() {
                    write!(f, "{kind}/{name} not found in the given paths")?;
                } else {
                    write!(f, "{kind}/{name} not found; {}s in the given paths:", capitalise(&kind))?;
                    for c in candidates {
                        write!(f, "\n  {c}")?;
                    }
                }
                if !unparsed.is_empty() {
                    write!(f, "\nthese documents do not parse (one may hold it):\n  {}", unparsed.join("\n  "))?;
                }
                Ok(())
            }
            Ambiguous { kind, name, places } => {
                write!(f, "{kind}/{name} is ambiguous; pick one with -n NAMESPACE or narrower paths:")?;
                for p in places {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            InvalidFields { kind, name, invalid } => {
                write!(f, "{kind}/{name} has invalid fields that the API server rejects; fix them first:\n  {}", invalid.join("\n  "))
            }
            Stdin => f.write_str("apply works on files: stdin cannot be rewritten"),
            RenderedOnly { target, tool, chart, root } => write!(
                f,
                "{target} exists only in what {tool} renders from {} {root}; change the {} instead (edits to rendered output are lost on the next render)",
                if *chart { "the chart" } else { "the kustomization" },
                if *chart { "chart's templates or values" } else { "kustomization (a patch)" },
            ),
            Unreadable { file, message } => write!(f, "{file}: {message}"),
            Edit(e) => write!(f, "{e}"),
            RolloutStrategy { target, strategy } => {
                write!(f, "rollout/{target}: an Argo Rollout's spec.strategy is canary or blueGreen; {strategy} is a Deployment strategy")
            }
            NoTracks { target, how, strategy, tracks } => {
                write!(f, "cannot {} deployment/{target}: no {strategy} found", how.verb())?;
                if !tracks.is_empty() {
                    write!(f, " (no {})", tracks.join(", "))?;
                }
                write!(
                    f,
                    "; it was never put under a canary or blue/green strategy (`kubectl strategy apply canary|blue-green deployment/{target}`)"
                )
            }
            NotATrack { track, target, strategy, why } => {
                write!(f, "deployment/{track} exists but is not a {strategy} of deployment/{target} ({why}); rename it")
            }
            TracksDiverge { target } => {
                write!(f, "deployment/{target}-blue and deployment/{target}-green differ in more than one selector label")
            }
            NoService { target, hint } => write!(f, "no Service selects the pods of {target}; {hint}"),
            SharedServices { target, services } => write!(
                f,
                "{} also select{} other workloads' pods: switching {} to one track would cut them off; \
                 give deployment/{target} a Service of its own and name it with --service",
                services.join(", "),
                one_or_many(services.len(), "s", ""),
                one_or_many(services.len(), "it", "them")
            ),
            SharedServiceTrackKey { target, service, key, value } => write!(
                f,
                "a canary of deployment/{target} is refused; nothing was written: Service/{service} also selects other workloads' pods and \
                 selects on {key}, which the canary's pods change ({key}: {value}); it would send the canary no traffic; give \
                 --track-label with a key Service/{service} does not select on"
            ),
            NotAService { name } => write!(f, "--service {name} must name a Service"),
            NoActiveTrack { target, tracks } => write!(
                f,
                "no Service selects one of deployment/{target}'s tracks ({}, {}); run `kubectl strategy apply blue-green deployment/{target}` first",
                tracks[0], tracks[1]
            ),
            TrackScaledToZero { how, track } => {
                write!(f, "cannot {}: deployment/{track} has 0 replicas, the Service would select no pods; scale it up first", how.verb())
            }
            ScaledToZero { target } => write!(
                f,
                "deployment/{target} has replicas: 0 (scaled to zero): a canary needs running pods; give --replicas N for stable + canary"
            ),
            ReplicasFlagZero => f.write_str("--replicas must be at least 1"),
            BothZero => f.write_str("--max-surge and --max-unavailable cannot both be 0: the rollout could neither add nor remove a pod"),
            WeightOutOfRange { weight } => {
                write!(f, "weight {weight} is out of range: give 1 to 100 (percent of traffic to the canary)")
            }
            StepsNotIncreasing { rollout: false } => f.write_str("--steps must increase, e.g. 25,50,100"),
            StepsNotIncreasing { rollout: true } => f.write_str("--steps must increase, each 1 to 100, e.g. 25,50"),
            NeedsImage { canary } => write!(f, "a canary needs a new version: give --image [CONTAINER=]IMAGE for deployment/{canary}"),
            NotACanary { total, weight, stable, canary, replicas_advice } => write!(
                f,
                "{total} replica{} at {weight} %: stable {stable} + canary {canary} = {} % canary, not a canary; {}--traffic gateway-api|istio|… for exact weights",
                if *total == 1 { "" } else { "s" },
                canary * 100 / total,
                replicas_advice.map(|n| format!("use --replicas {n} or ")).unwrap_or_default()
            ),
            Blocked { target, strategy, blockers } => {
                write!(f, "{strategy} for {target} is refused; nothing was written:")?;
                for b in blockers {
                    write!(f, "\n  {}", b.describe(target))?;
                }
                Ok(())
            }
            TrafficNeedsService { traffic, target } => write!(f, "--traffic {traffic} needs a Service that selects {target}'s pods"),
            TrafficNeedsIngress { service } => write!(f, "--traffic nginx needs an Ingress that routes to Service/{service}"),
            TrafficNeedsGateway => {
                f.write_str("--traffic gateway-api needs --gateway NAME[/NAMESPACE] (the Gateway the HTTPRoute attaches to)")
            }
            NameTaken { kind, name } => write!(
                f,
                "{kind}/{name} exists and was not made by kubectl-strategy (no {} annotation); rename or remove it",
                super::traffic::MANAGED
            ),
            NoPodTemplate { object } => write!(f, "{object} has no pod template"),
            NoSuchContainer { object, container, containers } => {
                write!(f, "{object} has no container `{container}` (it has: {})", containers.join(", "))
            }
            SeveralContainers { object, containers } => {
                write!(f, "{object} has several containers ({}); name one: --image CONTAINER=IMAGE", containers.join(", "))
            }
            NotASelectorKey { flag, key, object, keys } => write!(
                f,
                "{flag} {key}: not a key of {object}'s selector ({}); a new track's pods must differ from the original's in a selector label",
                keys.join(", ")
            ),
            NoMatchLabels { object } => write!(f, "{object} has no matchLabels selector: there is no label to tell its tracks apart"),
            MatchExpressions { object } => write!(
                f,
                "{object} selects its pods with matchExpressions; kubectl-strategy only migrates matchLabels selectors, \
                 whose new tracks it can keep disjoint from the original"
            ),
            LabelInUse { label, object } => write!(
                f,
                "the label `{label}` is already used by {object}'s selector or as its identity label; pick another with --slot-label/--track-label"
            ),
            Aliases { file, object } => write!(f, "{file}: {object} uses YAML aliases; expand them before copying it"),
            IntroducesErrors { findings } => {
                write!(f, "the planned step would introduce errors; nothing was written:\n  {}", findings.join("\n  "))
            }
            StrandsServices { services } => write!(
                f,
                "the planned step would leave Service {} selecting no pods; nothing was written (name every Service of the app, or move it first)",
                services.join(", ")
            ),
            NoSuchStep { step, steps } => write!(f, "--step {step}: the plan has {steps} steps"),
            StepPending { pending, step } => write!(f, "step {pending} is still pending; perform it before step {step}"),
            Stale { file } => write!(f, "{file} changed since it was read; nothing was written"),
            Write { file, message } => write!(f, "{file}: {message}; nothing was written (files written before it were put back)"),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|h| h.to_uppercase().chain(c).collect()).unwrap_or_default()
}

impl std::error::Error for PlanError {}

impl From<EditError> for PlanError {
    fn from(e: EditError) -> Self {
        PlanError::Edit(e)
    }
}
