//! Agreement with peer linters on the fixtures they test their own checks with.
//!
//! Polaris, kube-score and kube-linter each encode what their checks must report
//! on a fixture (file names, Go test calls, bats assertions; see
//! `../shared/corpus/EXPECTATIONS.md`). Every case below runs our binary on one
//! such fixture and counts the findings of our matching rule(s) in the whole
//! file, in one object (YAML document) or in one container, and compares the
//! count with what the peer expects of its check.
//!
//! A case either agrees with the peer, or is a documented disagreement that
//! must still hold exactly as recorded (our count and a one-line reason), so the
//! list cannot go stale: when a rule changes and a disagreement disappears or
//! shifts, the test says so.
//!
//! Not compared: kube-linter `required-label-owner` (a configurable `owner`
//! label; our `required-labels-missing` wants `app.kubernetes.io/name` or `app`,
//! and its fixture objects have no `spec`, so we report them as invalid) and
//! Polaris `metadataAndInstanceMismatched` (compares `app.kubernetes.io/instance`
//! with the object name, which no rule of ours does).

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

const LIVENESS: &[&str] = &["liveness-probe-missing"];
const READINESS: &[&str] = &["readiness-probe-missing"];
const IDENTICAL: &[&str] = &["probes-identical"];
const PROBE_PORT: &[&str] = &["probe-port-undeclared"];
const SELECTOR: &[&str] = &["selector-template-mismatch"];
/// Our rolling-update rules, compared together with a peer's strategy check.
const STRATEGY: &[&str] = &["rolling-update-blocked", "recreate-with-rolling-params", "rolling-update-downtime"];

const PDB_MISSING: &[&str] = &["pdb-missing"];
const PDB_BLOCKS: &[&str] = &["pdb-blocks-eviction"];
const HPA_PINNED: &[&str] = &["hpa-replicas-pinned"];
const SPREAD: &[&str] = &["topology-spread-missing"];

// Reasons shared by several documented disagreements.
const DEPLOYMENT_CONFIG: &str = "kube-linter also checks OpenShift DeploymentConfig objects, which we do not lint";
const SERVICE_GATED: &str = "kube-score checks probes only when a Service in the pod's namespace selects it; \
                             we always warn (and raise it to an error when a Service selects the pods)";
const PER_POD: &str = "kube-score is satisfied by one probe of each kind anywhere in the pod; \
                       we check every long-running container, like Polaris and kube-linter";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Peer {
    Polaris,
    KubeScore,
    KubeLinter,
}
use Peer::{KubeLinter, KubeScore, Polaris};

impl Peer {
    const ALL: [Self; 3] = [Polaris, KubeScore, KubeLinter];

    fn name(self) -> &'static str {
        match self {
            Polaris => "polaris",
            KubeScore => "kube-score",
            KubeLinter => "kube-linter",
        }
    }

    /// The directory of the peer's check fixtures, relative to the corpus' `peers/`.
    fn fixtures(self) -> &'static str {
        match self {
            Polaris => "FairwindsOps__polaris/test/checks",
            KubeScore => "zegl__kube-score/score/testdata",
            KubeLinter => "stackrox__kube-linter/tests/checks",
        }
    }
}

/// What a peer's check reports, as a number of our findings in a case's scope.
#[derive(Clone, Copy, Debug)]
enum Want {
    Fires(usize),
    Silent,
}
use Want::{Fires, Silent};

impl Want {
    fn admits(self, n: usize) -> bool {
        match self {
            Fires(k) => n == k,
            Silent => n == 0,
        }
    }
}

impl fmt::Display for Want {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fires(k) => write!(f, "fires {k}"),
            Silent => f.write_str("silent"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// We report what the peer expects.
    Agree(Want),
    /// We deliberately differ: we report exactly `ours` findings where the peer expects `peer`.
    Disagree { ours: usize, peer: Want, reason: &'static str },
}
use Expect::{Agree, Disagree};

/// Where a case counts findings.
#[derive(Clone, Copy, Debug)]
enum Scope {
    File,
    /// A YAML document (0-based, empty documents skipped) holding `kind` `name`.
    Object {
        doc: usize,
        kind: &'static str,
        name: &'static str,
    },
    /// Entry `index` of `containers` (not initContainers) in a document, named `name`.
    Container {
        doc: usize,
        index: usize,
        name: &'static str,
    },
}

fn object(doc: usize, kind: &'static str, name: &'static str) -> Scope {
    Scope::Object { doc, kind, name }
}

fn container(doc: usize, index: usize, name: &'static str) -> Scope {
    Scope::Container { doc, index, name }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File => Ok(()),
            Self::Object { doc, kind, name } => write!(f, " [doc {doc} {kind}/{name}]"),
            Self::Container { doc, index, name } => {
                write!(f, " [doc {doc} container {index} {name:?}]")
            }
        }
    }
}

struct Case {
    peer: Peer,
    /// Relative to the peer's fixture directory.
    fixture: &'static str,
    rules: &'static [&'static str],
    scope: Scope,
    /// Count only findings of this severity.
    severity: Option<&'static str>,
    expect: Expect,
}

fn case(peer: Peer, fixture: &'static str, rules: &'static [&'static str], expect: Expect) -> Case {
    Case { peer, fixture, rules, scope: Scope::File, severity: None, expect }
}

impl Case {
    fn within(self, scope: Scope) -> Self {
        Self { scope, ..self }
    }

    fn severity(self, severity: &'static str) -> Self {
        Self { severity: Some(severity), ..self }
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{} {}", self.peer.fixtures(), self.fixture, self.scope, self.rules.join("|"))?;
        match self.severity {
            Some(s) => write!(f, " ({s})"),
            None => Ok(()),
        }
    }
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // Polaris: each file in test/checks/<check>/ is linted with only that check on;
        // failure*.yaml must give ≥1 danger, success*.yaml none. Both checks target
        // containers and every fixture is a Pod with one container, so ≥1 is exactly 1.
        // mutated*.yaml is `polaris fix` applied to failure.yaml: it must pass the check.
        case(Polaris, "livenessProbeMissing/failure.yaml", LIVENESS, Agree(Fires(1))),
        case(Polaris, "livenessProbeMissing/success.yaml", LIVENESS, Agree(Silent)),
        case(Polaris, "livenessProbeMissing/mutated.yaml", LIVENESS, Agree(Silent)),
        case(Polaris, "readinessProbeMissing/failure.yaml", READINESS, Agree(Fires(1))),
        case(Polaris, "readinessProbeMissing/success.yaml", READINESS, Agree(Silent)),
        case(Polaris, "readinessProbeMissing/mutated.yaml", READINESS, Agree(Silent)),

        // kube-score "Pod Probes" (score/probe_test.go): CRITICAL "missing a readinessProbe"
        // stops the evaluation; ALMOST_OK "missing a livenessProbe" only once readiness is
        // there; ALL_OK when skipped. Its CRITICAL is our error, which we raise only when a
        // Service selects the pods, so the readiness cases that fire count errors only.
        case(KubeScore, "pod-probes-all-missing.yaml", READINESS, Agree(Fires(1))).severity("error"),
        case(KubeScore, "pod-probes-all-missing.yaml", LIVENESS, Disagree { ours: 1, peer: Silent,
            reason: "kube-score reports only the first missing probe (readiness) and asks for liveness once readiness exists; we report each missing probe" }),
        case(KubeScore, "pod-probes-missing-ready.yaml", READINESS, Agree(Fires(1))).severity("error"),
        case(KubeScore, "pod-probes-missing-ready.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-targeted-by-service.yaml", READINESS, Agree(Fires(1))).severity("error"),
        case(KubeScore, "pod-probes-targeted-by-service.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-targeted-by-service-same-namespace.yaml", READINESS, Agree(Fires(1))).severity("error"),
        case(KubeScore, "pod-probes-targeted-by-service-same-namespace.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-targeted-by-service-same-namespace-multi-labels.yaml", READINESS, Agree(Fires(1))).severity("error"),
        case(KubeScore, "pod-probes-targeted-by-service-same-namespace-multi-labels.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-not-targeted-by-service.yaml", READINESS, Disagree { ours: 1, peer: Silent, reason: SERVICE_GATED }),
        case(KubeScore, "pod-probes-not-targeted-by-service.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-not-targeted-by-service-multi-labels.yaml", READINESS, Disagree { ours: 1, peer: Silent, reason: SERVICE_GATED }),
        case(KubeScore, "pod-probes-not-targeted-by-service-multi-labels.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-targeted-by-service-different-namespace.yaml", READINESS, Disagree { ours: 1, peer: Silent, reason: SERVICE_GATED }),
        case(KubeScore, "pod-probes-targeted-by-service-different-namespace.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-on-different-containers.yaml", READINESS, Disagree { ours: 1, peer: Silent, reason: PER_POD }),
        case(KubeScore, "pod-probes-on-different-containers.yaml", LIVENESS, Disagree { ours: 1, peer: Silent, reason: PER_POD }),
        case(KubeScore, "pod-probes-on-different-containers-init.yaml", READINESS, Agree(Silent)),
        case(KubeScore, "pod-probes-on-different-containers-init.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "cronjob-batchv1-deadline-not-set.yaml", READINESS, Agree(Silent)),
        case(KubeScore, "cronjob-batchv1-deadline-not-set.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "cronjob-batchv1beta1-deadline-not-set.yaml", READINESS, Agree(Silent)),
        case(KubeScore, "cronjob-batchv1beta1-deadline-not-set.yaml", LIVENESS, Agree(Silent)),
        // No kube-score test uses these two; expectations from score/probes/probes.go
        // (the pod is targeted: ALMOST_OK "missing a livenessProbe", and ALL_OK).
        case(KubeScore, "pod-probes-missing-live.yaml", LIVENESS, Agree(Fires(1))),
        case(KubeScore, "pod-probes-missing-live.yaml", READINESS, Agree(Silent)),
        case(KubeScore, "pod-probes-both.yaml", LIVENESS, Agree(Silent)),
        case(KubeScore, "pod-probes-both.yaml", READINESS, Agree(Silent)),
        case(KubeScore, "pod-probes-both.yaml", IDENTICAL, Agree(Silent)),

        // kube-score "Pod Probes Identical": CRITICAL.
        case(KubeScore, "pod-probes-identical-http.yaml", IDENTICAL, Agree(Fires(1))),
        case(KubeScore, "pod-probes-identical-tcp.yaml", IDENTICAL, Agree(Fires(1))),
        case(KubeScore, "pod-probes-identical-exec.yaml", IDENTICAL, Agree(Fires(1))),

        // kube-score "Deployment Strategy" (score/deployment_test.go): WARNING for Recreate,
        // ALL_OK for RollingUpdate or no strategy, skipped when no Service targets it.
        case(KubeScore, "service-target-deployment.yaml", STRATEGY, Agree(Silent)),
        case(KubeScore, "service-target-deployment-strategy-not-set.yaml", STRATEGY, Agree(Silent)),
        case(KubeScore, "service-not-target-deployment.yaml", STRATEGY, Agree(Silent)),
        case(KubeScore, "service-target-deployment-not-rolling.yaml", STRATEGY, Disagree { ours: 0, peer: Fires(1),
            reason: "kube-score warns on type: Recreate; Recreate is a legitimate strategy choice, we only flag rollingUpdate settings next to it" }),

        // kube-score "StatefulSet Pod Selector labels match template metadata labels": CRITICAL.
        case(KubeScore, "statefulset-different-labels.yaml", SELECTOR, Agree(Fires(1))),

        // kube-linter (e2etests/bats-tests.sh): `lint --include <check>` on tests/checks/<check>.yml
        // must give exactly the listed reports, one per object (or per container for the
        // port checks); objects meant to pass are named dont-fire*.
        case(KubeLinter, "no-liveness-probe.yml", LIVENESS, Agree(Silent)).within(object(0, "Deployment", "dont-fire")),
        case(KubeLinter, "no-liveness-probe.yml", LIVENESS, Agree(Silent)).within(object(1, "DeploymentConfig", "dont-fire")),
        case(KubeLinter, "no-liveness-probe.yml", LIVENESS, Agree(Fires(1))).within(object(2, "Deployment", "app1")),
        case(KubeLinter, "no-liveness-probe.yml", LIVENESS, Disagree { ours: 0, peer: Fires(1), reason: DEPLOYMENT_CONFIG })
            .within(object(3, "DeploymentConfig", "app2")),
        // A probe-less initContainer must not fire.
        case(KubeLinter, "no-liveness-probe.yml", LIVENESS, Agree(Silent)).within(object(4, "Deployment", "dont-fire")),

        case(KubeLinter, "no-readiness-probe.yml", READINESS, Agree(Silent)).within(object(0, "Deployment", "dont-fire")),
        case(KubeLinter, "no-readiness-probe.yml", READINESS, Agree(Silent)).within(object(1, "DeploymentConfig", "dont-fire")),
        case(KubeLinter, "no-readiness-probe.yml", READINESS, Agree(Fires(1))).within(object(2, "Deployment", "app1")),
        case(KubeLinter, "no-readiness-probe.yml", READINESS, Disagree { ours: 0, peer: Fires(1), reason: DEPLOYMENT_CONFIG })
            .within(object(3, "DeploymentConfig", "app2")),
        case(KubeLinter, "no-readiness-probe.yml", READINESS, Agree(Silent)).within(object(4, "Deployment", "dont-fire")),

        // liveness-port / readiness-port / startup-port: "container X does not expose port P
        // for the HTTPGet/TCPSocket/GRPC check". The *-udp containers probe over TCP a port
        // that is declared only with protocol UDP.
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Silent)).within(container(0, 0, "dont-fire-deployment")),
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Silent)).within(container(0, 1, "dont-fire-deployment")),
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 2, "fire-deployment-name")),
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 3, "fire-deployment-int")),
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 4, "fire-deployment-udp")),
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Silent)).within(container(1, 0, "dont-fire-stateful")),
        case(KubeLinter, "liveness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(1, 1, "fire-stateful-name")),

        case(KubeLinter, "readiness-port.yml", PROBE_PORT, Agree(Silent)).within(container(0, 0, "dont-fire-deployment-grpc")),
        case(KubeLinter, "readiness-port.yml", PROBE_PORT, Agree(Silent)).within(container(0, 1, "dont-fire-deployment")),
        case(KubeLinter, "readiness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 2, "fire-deployment-name")),
        case(KubeLinter, "readiness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 3, "fire-deployment-int")),
        case(KubeLinter, "readiness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 4, "fire-deployment-udp")),
        case(KubeLinter, "readiness-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 5, "fire-deployment-grpc")),

        case(KubeLinter, "startup-port.yml", PROBE_PORT, Agree(Silent)).within(container(0, 0, "dont-fire-deployment-grpc")),
        case(KubeLinter, "startup-port.yml", PROBE_PORT, Agree(Silent)).within(container(0, 1, "dont-fire-deployment")),
        case(KubeLinter, "startup-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 2, "fire-deployment-name")),
        case(KubeLinter, "startup-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 3, "fire-deployment-int")),
        case(KubeLinter, "startup-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 4, "fire-deployment-udp")),
        case(KubeLinter, "startup-port.yml", PROBE_PORT, Agree(Fires(1))).within(container(0, 5, "fire-deployment-grpc")),

        // mismatching-selector: "labels in pod spec (map[]) do not match labels in selector".
        case(KubeLinter, "mismatching-selector.yml", SELECTOR, Agree(Silent)).within(object(0, "Deployment", "dont-fire")),
        case(KubeLinter, "mismatching-selector.yml", SELECTOR, Agree(Silent)).within(object(1, "DeploymentConfig", "dont-fire")),
        case(KubeLinter, "mismatching-selector.yml", SELECTOR, Agree(Fires(1))).within(object(2, "Deployment", "app1")),
        case(KubeLinter, "mismatching-selector.yml", SELECTOR, Disagree { ours: 0, peer: Fires(1), reason: DEPLOYMENT_CONFIG })
            .within(object(3, "DeploymentConfig", "app2")),

        // no-rolling-update-strategy: the strategy type must match ^(RollingUpdate|Rolling)$;
        // objects without a strategy pass.
        case(KubeLinter, "no-rolling-update-strategy.yml", STRATEGY, Disagree { ours: 0, peer: Fires(1),
            reason: "kube-linter requires type RollingUpdate; we do not judge the strategy type (here `Other`, which the API server rejects anyway)" })
            .within(object(0, "Deployment", "app1")),
        case(KubeLinter, "no-rolling-update-strategy.yml", STRATEGY, Disagree { ours: 0, peer: Fires(1),
            reason: "kube-linter requires type Rolling on DeploymentConfig, which we do not lint, and we do not judge the strategy type" })
            .within(object(1, "DeploymentConfig", "app2")),
        case(KubeLinter, "no-rolling-update-strategy.yml", STRATEGY, Agree(Silent)).within(object(2, "Deployment", "app3")),
        case(KubeLinter, "no-rolling-update-strategy.yml", STRATEGY, Agree(Silent)).within(object(3, "DeploymentConfig", "app4")),

        // Availability. kube-score "Deployment targeted by HPA does not have replicas
        // configured" (CRITICAL when spec.replicas is set), "Deployment has host
        // PodAntiAffinity" (WARNING without it, skipped for one replica) and "Deployment
        // has PodDisruptionBudget" (CRITICAL without one).
        case(KubeScore, "deployment-with-hpa-has-replicas.yaml", HPA_PINNED, Agree(Fires(1))),
        case(KubeScore, "deployment-with-hpa-not-has-replicas.yaml", HPA_PINNED, Agree(Silent)),
        case(KubeScore, "deployment-host-antiaffinity-not-set.yaml", SPREAD, Agree(Fires(1))),
        case(KubeScore, "deployment-host-antiaffinity-required.yaml", SPREAD, Agree(Silent)),
        case(KubeScore, "deployment-host-antiaffinity-1-replica.yaml", SPREAD, Agree(Silent)),
        case(KubeScore, "deployment-poddisruptionbudget-v1-matches.yaml", PDB_MISSING, Agree(Silent)),
        case(KubeScore, "deployment-poddisruptionbudget-v1-no-policy.yaml", PDB_MISSING, Disagree {
            ours: 0, peer: Fires(1),
            reason: "we ask for a PodDisruptionBudget only for two or more replicas behind a Service; the fixture has no Service",
        }),
        // kube-linter pdb-max-unavailable: maxUnavailable 0 blocks every eviction.
        case(KubeLinter, "pdb-max-unavailable.yaml", PDB_BLOCKS, Agree(Fires(1))),
        // Polaris pdbDisruptionsIsZero, missingPodDisruptionBudget, topologySpreadConstraint.
        case(Polaris, "pdbDisruptionsIsZero/failure.max.yaml", PDB_BLOCKS, Disagree {
            ours: 0, peer: Fires(1),
            reason: "the fixture's apiVersion is v1, which serves no PodDisruptionBudget; we read policy/v1 (and v1beta1)",
        }),
        case(Polaris, "missingPodDisruptionBudget/failure.yaml", PDB_MISSING, Disagree {
            ours: 0, peer: Fires(1),
            reason: "Polaris wants a PodDisruptionBudget for every Deployment; we for two or more replicas behind a Service",
        }),
        case(Polaris, "topologySpreadConstraint/failure.nospreadconstraint.yaml", SPREAD, Disagree {
            ours: 0, peer: Fires(1),
            reason: "the Deployment runs one replica (replicas unset): there is nothing to spread",
        }),
    ]
}

/// One finding of our JSON output, reduced to what the cases look at.
struct Finding {
    rule: String,
    severity: String,
    line: usize,
    path: String,
    kind: String,
    name: String,
}

/// A fixture, linted by our binary.
struct Fixture {
    lines: Vec<String>,
    /// First and last line (1-based, inclusive) of each non-empty YAML document.
    docs: Vec<(usize, usize)>,
    findings: Vec<Finding>,
}

impl Fixture {
    fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the fixture: {e}"))?;
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let docs = documents(&lines);
        Ok(Self { lines, docs, findings: lint(path)? })
    }

    fn doc(&self, doc: usize) -> Result<((usize, usize), &[String]), String> {
        let &(first, last) = self.docs.get(doc).ok_or_else(|| format!("the file has only {} documents", self.docs.len()))?;
        Ok(((first, last), &self.lines[first - 1..last]))
    }

    /// The number of the case's findings in its scope.
    fn count(&self, case: &Case) -> Result<usize, String> {
        let ours = self
            .findings
            .iter()
            .filter(|f| case.rules.contains(&f.rule.as_str()))
            .filter(|f| case.severity.is_none_or(|s| f.severity == s));
        match case.scope {
            Scope::File => Ok(ours.count()),
            Scope::Object { doc, kind, name } => {
                let ((first, last), text) = self.doc(doc)?;
                if !has_line(text, &format!("kind: {kind}")) || !has_line(text, &format!("name: {name}")) {
                    return Err(format!("document {doc} (lines {first}-{last}) is not {kind}/{name}"));
                }
                let mut n = 0;
                for f in ours.filter(|f| (first..=last).contains(&f.line)) {
                    if f.kind != kind || f.name != name {
                        return Err(format!("line {} reports {}/{}, not {kind}/{name}", f.line, f.kind, f.name));
                    }
                    n += 1;
                }
                Ok(n)
            }
            Scope::Container { doc, index, name } => {
                let ((first, last), text) = self.doc(doc)?;
                if !has_line(text, &format!("- name: {name}")) {
                    return Err(format!("document {doc} (lines {first}-{last}) has no container {name:?}"));
                }
                Ok(ours.filter(|f| (first..=last).contains(&f.line) && container_index(&f.path) == Some(index)).count())
            }
        }
    }
}

/// Line ranges (1-based, inclusive) of the documents of a YAML stream that hold something.
fn documents(lines: &[String]) -> Vec<(usize, usize)> {
    let mut docs = Vec::new();
    let (mut first, mut content) = (1, false);
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if line.trim_end() == "---" || line.starts_with("--- ") {
            if content {
                docs.push((first, n - 1));
            }
            (first, content) = (n + 1, false);
        } else if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            content = true;
        }
    }
    if content {
        docs.push((first, lines.len()));
    }
    docs
}

fn has_line(text: &[String], wanted: &str) -> bool {
    text.iter().any(|l| l.trim() == wanted)
}

/// The index in `containers` that a finding's JSON pointer points into.
fn container_index(pointer: &str) -> Option<usize> {
    let (_, rest) = pointer.split_once("/containers/")?;
    rest.split('/').next()?.parse().ok()
}

fn lint(path: &Path) -> Result<Vec<Finding>, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-strategy"))
        .arg("lint")
        .arg(path)
        .args(["--format", "json", "--fail-on", "never"])
        .output()
        .map_err(|e| format!("cannot run kubectl-strategy: {e}"))?;
    if !out.status.success() {
        return Err(format!("kubectl-strategy exited with {}: {}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    let json: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("output is not JSON: {e}"))?;
    let findings = json["findings"].as_array().ok_or("output has no findings array")?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    Ok(findings
        .iter()
        .map(|f| Finding {
            rule: text(&f["rule"]),
            severity: text(&f["severity"]),
            line: f["line"].as_u64().and_then(|l| usize::try_from(l).ok()).unwrap_or_default(),
            path: text(&f["path"]),
            kind: text(&f["object"]["kind"]),
            name: text(&f["object"]["name"]),
        })
        .collect())
}

/// Mistakes in the table itself: unknown rules, duplicates, disagreements that agree.
fn check_table(cases: &[Case]) {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut seen = BTreeSet::new();
    for c in cases {
        for rule in c.rules {
            assert!(rules_dir.join(format!("{rule}.yaml")).is_file(), "{c}: no rule {rule} in rules/");
        }
        assert!(seen.insert(c.to_string()), "{c}: listed twice");
        if let Disagree { ours, peer, reason } = c.expect {
            assert!(!peer.admits(ours), "{c}: recorded as a disagreement, but {ours} is what the peer expects ({peer})");
            assert!(!reason.trim().is_empty(), "{c}: a disagreement needs a reason");
        }
    }
}

#[test]
fn agrees_with_peer_linters() {
    let Some(root) = crate::shared("corpus/peers") else { return };
    let cases = cases();
    check_table(&cases);

    let mut fixtures: BTreeMap<PathBuf, Result<Fixture, String>> = BTreeMap::new();
    let mut tally: BTreeMap<Peer, (usize, usize)> = BTreeMap::new();
    let mut disagreements: BTreeMap<Peer, Vec<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    for c in &cases {
        let path = root.join(c.peer.fixtures()).join(c.fixture);
        let fixture = fixtures.entry(path).or_insert_with_key(|p| Fixture::load(p));
        let n = match fixture.as_ref().map_err(String::clone).and_then(|fx| fx.count(c)) {
            Ok(n) => n,
            Err(e) => {
                failures.push(format!("{c}: {e}"));
                continue;
            }
        };
        let (agree, total) = tally.entry(c.peer).or_default();
        *total += 1;
        match c.expect {
            Agree(want) if want.admits(n) => *agree += 1,
            Agree(want) => failures.push(format!("{c}: the peer {want}, we report {n}")),
            Disagree { ours, peer, reason } if ours == n => {
                disagreements.entry(c.peer).or_default().push(format!("{c}: ours {n}, peer {peer}: {reason}"));
            }
            Disagree { ours, peer, .. } => failures.push(format!(
                "{c}: recorded disagreement is stale: we now report {n}, recorded {ours} (the peer {peer}); update or remove it"
            )),
        }
    }

    for peer in Peer::ALL {
        let (agree, total) = tally.get(&peer).copied().unwrap_or_default();
        eprintln!("{}: {agree}/{total} agree", peer.name());
        for d in disagreements.get(&peer).into_iter().flatten() {
            eprintln!("  disagree: {d}");
        }
    }
    assert!(failures.is_empty(), "{} case(s) fail:\n{}", failures.len(), failures.join("\n"));
}
