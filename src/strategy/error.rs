//! Why a plan is refused: one variant per cause, its facts as fields, its
//! message beside it. Callers (the CLI, the corpus harness) tell causes apart
//! by variant or [`PlanError::kind`], never by the words of a message.

use super::Finish;
use crate::edit::EditError;
use crate::text::one_or_many;
use std::fmt;

/// An error that stops planning (exit 2).
///
/// Its `[kind]` ([`PlanError::kind`]) is the variant's name in kebab-case
/// (`NotATrack` is `not-a-track`); an edit error keeps its own kind.
#[derive(Debug, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum PlanError {
    /// The target is not `KIND/NAME`.
    #[error("target `{target}` must look like deployment/NAME")]
    TargetSyntax { target: String },
    /// The target names a kind no strategy works on.
    #[error("unsupported target kind `{kind}`; use deployment/NAME (or deploy/NAME) or rollout/NAME")]
    TargetKind { kind: String },
    /// `deployment/` without a name.
    #[error("the target has no name")]
    TargetUnnamed,
    /// The target (or an object the plan needs) is not in the given paths.
    #[error(fmt = not_found)]
    NotFound { kind: String, name: String, candidates: Vec<String>, unparsed: Vec<String> },
    /// Several objects of that kind and name: `-n` or narrower paths pick one.
    #[error("{kind}/{name} is ambiguous; pick one with -n NAMESPACE or narrower paths:{}", lines(places))]
    Ambiguous { kind: String, name: String, places: Vec<String> },
    /// The object has fields the API server rejects.
    #[error("{kind}/{name} has invalid fields that the API server rejects; fix them first:{}", lines(invalid))]
    InvalidFields { kind: String, name: String, invalid: Vec<String> },
    /// `-` (stdin) cannot be rewritten.
    #[error("apply works on files: stdin cannot be rewritten")]
    Stdin,
    /// A file cannot be read or decoded.
    #[error("{file}: {message}")]
    Unreadable { file: String, message: String },
    /// A comment-preserving edit failed.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// Recreate/RollingUpdate asked of an Argo Rollout.
    #[error("rollout/{target}: an Argo Rollout's spec.strategy is canary or blueGreen; {strategy} is a Deployment strategy")]
    RolloutStrategy { target: String, strategy: &'static str },
    /// promote/rollback of a target that never had a canary or tracks.
    #[error(
        "cannot {} deployment/{target}: no {strategy} found{}; it was never put under a canary or blue/green strategy \
         (`kubectl strategy apply canary|blue-green deployment/{target}`)",
        how.verb(),
        if tracks.is_empty() { String::new() } else { format!(" (no {})", tracks.join(", ")) }
    )]
    NoTracks { target: String, how: Finish, strategy: &'static str, tracks: Vec<String> },
    /// A workload with a track's name that is not a track of the target.
    #[error("deployment/{track} exists but is not a {strategy} of deployment/{target} ({why}); rename it")]
    NotATrack { track: String, target: String, strategy: &'static str, why: String },
    /// Blue and green tracks that differ in more than the slot label.
    #[error("deployment/{target}-blue and deployment/{target}-green differ in more than one selector label")]
    TracksDiverge { target: String },
    /// No Service selects the target's pods.
    #[error("no Service selects the pods of {target}; {hint}")]
    NoService { target: String, hint: &'static str },
    /// The only Services of the target also select other workloads' pods.
    #[error(
        "{} also select{} other workloads' pods: switching {} to one track would cut them off; \
         give deployment/{target} a Service of its own and name it with --service",
        services.join(", "),
        one_or_many(services.len(), "s", ""),
        one_or_many(services.len(), "it", "them")
    )]
    SharedServices { target: String, services: Vec<String> },
    /// A Service shared with other workloads selects on the canary's track key.
    #[error(
        "a canary of deployment/{target} is refused; nothing was written: Service/{service} also selects other workloads' pods and \
         selects on {key}, which the canary's pods change ({key}: {value}); it would send the canary no traffic; give \
         --track-label with a key Service/{service} does not select on"
    )]
    SharedServiceTrackKey { target: String, service: String, key: String, value: String },
    /// `--service` names something that is not a Service.
    #[error("--service {name} must name a Service")]
    NotAService { name: String },
    /// No Service selects either blue/green track.
    #[error(
        "no Service selects one of deployment/{target}'s tracks ({}, {}); run `kubectl strategy apply blue-green deployment/{target}` first",
        tracks[0],
        tracks[1]
    )]
    NoActiveTrack { target: String, tracks: [String; 2] },
    /// The track to switch to runs no pods.
    #[error("cannot {}: deployment/{track} has 0 replicas, the Service would select no pods; scale it up first", how.verb())]
    TrackScaledToZero { how: Finish, track: String },
    /// The target runs no pods and `--replicas` was not given.
    #[error("deployment/{target} has replicas: 0 (scaled to zero): a canary needs running pods; give --replicas N for stable + canary")]
    ScaledToZero { target: String },
    /// maxSurge and maxUnavailable would both be 0: `--max-surge 0 --max-unavailable 0`,
    /// or a flag 0 beside a 0 the manifest keeps (`kept`: that field, and the flag that changes it).
    #[error("{}", both_zero(*kept))]
    BothZero { kept: Option<(&'static str, &'static str)> },
    /// `--replicas 0`.
    #[error("--replicas must be at least 1")]
    ReplicasFlagZero,
    /// A weight outside 1..=100.
    #[error("weight {weight} is out of range: give 1 to 100 (percent of traffic to the canary)")]
    WeightOutOfRange { weight: u32 },
    /// `--steps` that do not increase (or leave 1..=100 for a Rollout).
    #[error("--steps must increase, {}", if *rollout { "each 1 to 100, e.g. 25,50" } else { "e.g. 25,50,100" })]
    StepsNotIncreasing { rollout: bool },
    /// A canary without a new image.
    #[error("a canary needs a new version: give --image [CONTAINER=]IMAGE for deployment/{canary}")]
    NeedsImage { canary: String },
    /// A replica split that is no canary: the arithmetic, and what would do.
    #[error(
        "{total} replica{} at {weight} %: stable {stable} + canary {canary} = {} % canary, not a canary; {}--traffic gateway-api|istio|… for exact weights",
        one_or_many(*total as usize, "", "s"),
        canary * 100 / total,
        replicas_advice.map(|n| format!("use --replicas {n} or ")).unwrap_or_default()
    )]
    NotACanary { total: i32, weight: u32, stable: i32, canary: i32, replicas_advice: Option<i32> },
    /// Objects the tracks would escape or fight (HPA, PDB, NetworkPolicy, monitors);
    /// `target` as `deployment/NAME` or `rollout/NAME`.
    #[error(
        "{strategy} for {target} is refused; nothing was written:{}",
        blockers.iter().map(|b| format!("\n  {}", b.describe(target))).collect::<String>()
    )]
    Blocked { target: String, strategy: &'static str, blockers: Vec<Blocker> },
    /// `--traffic` with no Service to route to.
    #[error("--traffic {traffic} needs a Service that selects {target}'s pods")]
    TrafficNeedsService { traffic: String, target: String },
    /// `--traffic nginx` without an Ingress to the Service.
    #[error("--traffic nginx needs an Ingress that routes to Service/{service}")]
    TrafficNeedsIngress { service: String },
    /// `--traffic gateway-api` without `--gateway`.
    #[error("--traffic gateway-api needs --gateway NAME[/NAMESPACE] (the Gateway the HTTPRoute attaches to)")]
    TrafficNeedsGateway,
    /// A generated object's name is taken by an object the user made.
    #[error("{kind}/{name} exists and was not made by kubectl-strategy (no {} annotation); rename or remove it", super::traffic::MANAGED)]
    NameTaken { kind: String, name: String },
    /// The workload has no pod template.
    #[error("{object} has no pod template")]
    NoPodTemplate { object: String },
    /// `--image C=…` names no container.
    #[error("{object} has no container `{container}` (it has: {})", containers.join(", "))]
    NoSuchContainer { object: String, container: String, containers: Vec<String> },
    /// `--image IMAGE` on a workload with several containers.
    #[error("{object} has several containers ({}); name one: --image CONTAINER=IMAGE", containers.join(", "))]
    SeveralContainers { object: String, containers: Vec<String> },
    /// `--track-label`/`--slot-label` names no selector key.
    #[error(
        "{flag} {key}: not a key of {object}'s selector ({}); a new track's pods must differ from the original's in a selector label",
        keys.join(", ")
    )]
    NotASelectorKey { flag: String, key: String, object: String, keys: Vec<String> },
    /// The workload has no matchLabels: no label tells tracks apart.
    #[error("{object} has no matchLabels selector: there is no label to tell its tracks apart")]
    NoMatchLabels { object: String },
    /// matchExpressions selectors are not migrated.
    #[error(
        "{object} selects its pods with matchExpressions; kubectl-strategy only migrates matchLabels selectors, \
         whose new tracks it can keep disjoint from the original"
    )]
    MatchExpressions { object: String },
    /// A label the plan would add is already in use.
    #[error(
        "the label `{label}` is already used by {object}'s selector or as its identity label; pick another with --slot-label/--track-label"
    )]
    LabelInUse { label: String, object: String },
    /// A workload to copy uses YAML aliases.
    #[error("{file}: {object} uses YAML aliases; expand them before copying it")]
    Aliases { file: String, object: String },
    /// The planned step would add lint errors.
    #[error("the planned step would introduce errors; nothing was written:{}", lines(findings))]
    IntroducesErrors { findings: Vec<String> },
    /// The planned step would leave Services selecting no pods.
    #[error(
        "the planned step would leave Service {} selecting no pods; nothing was written (name every Service of the app, or move it first)",
        services.join(", ")
    )]
    StrandsServices { services: Vec<String> },
    /// `--step N` beyond the plan.
    #[error("--step {step}: the plan has {steps} steps")]
    NoSuchStep { step: usize, steps: usize },
    /// `--step N` while an earlier step is pending.
    #[error("step {pending} is still pending; perform it before step {step}")]
    StepPending { pending: usize, step: usize },
    /// A file changed between reading and writing.
    #[error("{file} changed since it was read; nothing was written")]
    Stale { file: String },
    /// A file could not be written (the others were put back).
    #[error("{file}: {source}; nothing was written (files written before it were put back)")]
    Write { file: String, source: std::io::Error },
    /// The target exists only in what a kustomization or chart renders (an
    /// edit there is lost on the next render): `tool` is `kustomize` or `helm`.
    #[error(
        "{target} exists only in what {tool} renders from {} {root}; change the {} instead (edits to rendered output are lost on the next render)",
        if *chart { "the chart" } else { "the kustomization" },
        if *chart { "chart's templates or values" } else { "kustomization (a patch)" }
    )]
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
        match self {
            PlanError::Edit(e) => e.kind(),
            e => e.into(),
        }
    }

    /// `NotFound` for `kind/name` without a list of candidates.
    pub fn not_found(kind: &str, name: &str) -> PlanError {
        PlanError::NotFound { kind: kind.to_string(), name: name.to_string(), candidates: Vec::new(), unparsed: Vec::new() }
    }
}

fn both_zero(kept: Option<(&str, &str)>) -> String {
    const WHY: &str = "the rollout could neither add nor remove a pod";
    match kept {
        None => format!("--max-surge and --max-unavailable cannot both be 0: {WHY}"),
        Some((field, flag)) => format!(
            "maxSurge and maxUnavailable would both be 0 ({field}: 0 is kept from the manifest, as only the values asked for change): {WHY}; give {flag} above 0"
        ),
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

/// Each item on a line of its own, indented (after a line that ends in `:`).
fn lines(items: &[String]) -> String {
    items.iter().map(|i| format!("\n  {i}")).collect()
}

/// The message of [`PlanError::NotFound`]: the candidates of that kind, and
/// the documents that do not parse (one may hold the target).
fn not_found(kind: &str, name: &str, candidates: &[String], unparsed: &[String], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let kind = kind.to_ascii_lowercase();
    if kind == "deployment" && candidates.is_empty() {
        write!(f, "deployment/{name} not found: there are no Deployments in the given paths")?;
    } else if candidates.is_empty() {
        write!(f, "{kind}/{name} not found in the given paths")?;
    } else {
        write!(f, "{kind}/{name} not found; {}s in the given paths:{}", capitalise(&kind), lines(candidates))?;
    }
    if !unparsed.is_empty() {
        write!(f, "\nthese documents do not parse (one may hold it):\n  {}", unparsed.join("\n  "))?;
    }
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|h| h.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    /// One value of every variant and the `[kind]` it prints: these names are
    /// stable (scripts, snapshots and docs match on them).
    fn every_kind() -> Vec<(PlanError, &'static str)> {
        use PlanError::*;
        let edit = |e: EditError| Edit(e);
        vec![
            (TargetSyntax { target: s("x") }, "target-syntax"),
            (TargetKind { kind: s("x") }, "target-kind"),
            (TargetUnnamed, "target-unnamed"),
            (PlanError::not_found("Deployment", "web"), "not-found"),
            (Ambiguous { kind: s("Deployment"), name: s("web"), places: vec![s("a.yaml:1"), s("b.yaml:3")] }, "ambiguous"),
            (InvalidFields { kind: s("Deployment"), name: s("web"), invalid: vec![s("spec.replicas"), s("spec.x")] }, "invalid-fields"),
            (Stdin, "stdin"),
            (Unreadable { file: s("f"), message: s("m") }, "unreadable"),
            (RolloutStrategy { target: s("t"), strategy: "Recreate" }, "rollout-strategy"),
            (NoTracks { target: s("t"), how: Finish::Promote, strategy: "canary", tracks: vec![s("t-canary")] }, "no-tracks"),
            (NotATrack { track: s("a"), target: s("t"), strategy: "canary", why: s("w") }, "not-a-track"),
            (TracksDiverge { target: s("t") }, "tracks-diverge"),
            (NoService { target: s("t"), hint: "h" }, "no-service"),
            (SharedServices { target: s("t"), services: vec![s("a")] }, "shared-services"),
            (SharedServiceTrackKey { target: s("t"), service: s("a"), key: s("k"), value: s("v") }, "shared-service-track-key"),
            (NotAService { name: s("n") }, "not-a-service"),
            (NoActiveTrack { target: s("t"), tracks: [s("a"), s("b")] }, "no-active-track"),
            (TrackScaledToZero { how: Finish::Rollback, track: s("a") }, "track-scaled-to-zero"),
            (ScaledToZero { target: s("t") }, "scaled-to-zero"),
            (BothZero { kept: None }, "both-zero"),
            (ReplicasFlagZero, "replicas-flag-zero"),
            (WeightOutOfRange { weight: 0 }, "weight-out-of-range"),
            (StepsNotIncreasing { rollout: true }, "steps-not-increasing"),
            (NeedsImage { canary: s("c") }, "needs-image"),
            (NotACanary { total: 2, weight: 10, stable: 1, canary: 1, replicas_advice: Some(10) }, "not-a-canary"),
            (Blocked { target: s("deployment/t"), strategy: "canary", blockers: blockers() }, "blocked"),
            (TrafficNeedsService { traffic: s("nginx"), target: s("t") }, "traffic-needs-service"),
            (TrafficNeedsIngress { service: s("a") }, "traffic-needs-ingress"),
            (TrafficNeedsGateway, "traffic-needs-gateway"),
            (NameTaken { kind: s("Service"), name: s("a") }, "name-taken"),
            (NoPodTemplate { object: s("o") }, "no-pod-template"),
            (NoSuchContainer { object: s("o"), container: s("c"), containers: vec![s("a"), s("b")] }, "no-such-container"),
            (SeveralContainers { object: s("o"), containers: vec![s("a"), s("b")] }, "several-containers"),
            (
                NotASelectorKey { flag: s("--track-label"), key: s("k"), object: s("o"), keys: vec![s("app"), s("tier")] },
                "not-a-selector-key",
            ),
            (NoMatchLabels { object: s("o") }, "no-match-labels"),
            (MatchExpressions { object: s("o") }, "match-expressions"),
            (LabelInUse { label: s("l"), object: s("o") }, "label-in-use"),
            (Aliases { file: s("f"), object: s("o") }, "aliases"),
            (IntroducesErrors { findings: vec![s("a.yaml:1:1: x"), s("a.yaml:2:1: y")] }, "introduces-errors"),
            (StrandsServices { services: vec![s("a"), s("b")] }, "strands-services"),
            (NoSuchStep { step: 3, steps: 2 }, "no-such-step"),
            (StepPending { pending: 1, step: 2 }, "step-pending"),
            (Stale { file: s("f") }, "stale"),
            (Write { file: s("f"), source: std::io::Error::other("m") }, "write"),
            (RenderedOnly { target: s("t"), tool: "helm", chart: true, root: s("r") }, "rendered-only"),
            // An edit error keeps the edit's own kind.
            (edit(EditError::NoDocument { file: s("f"), index: 1 }), "edit-no-document"),
            (edit(EditError::Aliases { file: s("f"), document: 0 }), "aliases"),
            (edit(EditError::Unparsable { file: s("f"), line: 1, message: s("m") }), "edit-unparsable"),
            (edit(EditError::ReplaceCollection { file: s("f"), ptr: s("/a") }), "edit-replace-collection"),
            (edit(EditError::NoParent { file: s("f"), ptr: s("") }), "edit-no-parent"),
            (edit(EditError::UnclosedMapping { file: s("f"), ptr: s("/a") }), "edit-unclosed-mapping"),
            (edit(EditError::NotAMapping { file: s("f"), ptr: s("/a") }), "edit-not-a-mapping"),
            (edit(EditError::NoColon { file: s("f") }), "edit-no-colon"),
            (edit(EditError::Missing { file: s("f"), ptr: s("/a") }), "edit-missing"),
            (edit(EditError::NotAScalar { file: s("f"), ptr: s("/a") }), "edit-not-a-scalar"),
            (edit(EditError::NotAnEntry { file: s("f"), ptr: s("/a") }), "edit-not-an-entry"),
            (edit(EditError::SharedLine { file: s("f"), ptr: s("/a") }), "edit-shared-line"),
        ]
    }

    fn blockers() -> Vec<Blocker> {
        let b = |object: &str, cause| Blocker { object: s(object), file: s("f.yaml"), cause };
        vec![
            b("HorizontalPodAutoscaler/web", BlockerCause::Scales),
            b("PodDisruptionBudget/web", BlockerCause::Escapes),
            b("PodMonitor/web", BlockerCause::MonitorCannotFollow { key: s("app") }),
            b("ServiceMonitor/web", BlockerCause::DoubleScrape { service: s("web-canary"), via: s("web") }),
        ]
    }

    /// The variants and branches a message has beyond `every_kind`.
    fn more_messages() -> Vec<PlanError> {
        use PlanError::*;
        vec![
            NotFound { kind: s("Deployment"), name: s("web"), candidates: vec![], unparsed: vec![s("a.yaml:3")] },
            NotFound { kind: s("Rollout"), name: s("web"), candidates: vec![], unparsed: vec![] },
            NotFound { kind: s("Deployment"), name: s("web"), candidates: vec![s("api"), s("db")], unparsed: vec![s("a.yaml:3")] },
            NoTracks { target: s("t"), how: Finish::Rollback, strategy: "blue/green", tracks: vec![] },
            SharedServices { target: s("t"), services: vec![s("Service/a"), s("Service/b")] },
            StepsNotIncreasing { rollout: false },
            NotACanary { total: 1, weight: 10, stable: 1, canary: 0, replicas_advice: None },
            RenderedOnly { target: s("deployment/t"), tool: "kustomize", chart: false, root: s("overlays/prod") },
        ]
    }

    /// Every message, byte for byte (the CLI prints them after `[kind]`).
    #[test]
    fn messages_are_stable() {
        let all: Vec<String> =
            every_kind().into_iter().map(|(e, _)| e).chain(more_messages()).map(|e| format!("[{}] {e}", e.kind())).collect();
        insta::assert_snapshot!(all.join("\n"));
    }

    #[test]
    fn kinds_are_stable() {
        let all = every_kind();
        // 45 causes of its own and 12 of an edit.
        assert_eq!(all.len(), 45 + 12);
        for (e, kind) in &all {
            assert_eq!(e.kind(), *kind, "{e:?}");
        }
    }
}
