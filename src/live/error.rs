//! Why a live command failed: one variant per cause. Callers tell causes
//! apart by variant (a field-manager conflict is [`LiveError::Conflict`],
//! made from a 409 `Status` with reason `Conflict`), never by message words.

use std::fmt;

/// A failed live operation, already explained for users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveError {
    /// The async runtime could not start.
    Runtime { cause: String },
    /// A kubeconfig that cannot be read or used.
    Kubeconfig { path: String, cause: String },
    /// `--context` without any kubeconfig.
    ContextWithoutKubeconfig,
    /// No kubeconfig and not in a pod.
    NoCluster { cause: String },
    /// The HTTP client could not be built.
    Client { server: String, cause: String },
    /// A `--request-timeout`/`--timeout` value that does not parse.
    Duration { message: String },
    /// The server does not serve the kind (CRD missing, old apiVersion).
    NoResource { server: String, kind: String, api_version: String },
    /// No answer: connection refused, DNS, TLS, timeout.
    Unreachable { server: String, context: Option<String>, cause: String },
    /// 401.
    Unauthorized { server: String, context: Option<String>, what: String, message: String },
    /// 403.
    Forbidden { what: String, message: String },
    /// 404 where the object must exist.
    NotFound { what: String, message: String },
    /// 409 `Conflict`: fields owned by other field managers with other values.
    Conflict { what: String, fields: Vec<String>, managers: Vec<String>, message: String },
    /// 408/504.
    TimedOut { what: String, message: String },
    /// Any other refusal of the API server.
    Api { what: String, code: u16, reason: String, message: String },
    /// The object's namespace disagrees with `-n`.
    NamespaceMismatch { object: String, flag: String },
    /// A kustomization file given to `diff` instead of its build.
    Kustomization,
    /// An object without `metadata.name`.
    Unnamed { kind: String },
    /// An error about an object of a file.
    InFile { file: String, source: Box<LiveError> },
    /// A step whose server-side dry run fails.
    Step { step: usize, source: Box<LiveError> },
    /// `--step N` beyond the plan.
    NoSuchStep { step: usize, steps: usize },
    /// `--step N` before the steps ahead of it are live.
    NotLiveYet { next: usize, step: usize, reached: usize },
    /// The cluster has the step, the file could not be written.
    FileNotWritten { file: String, step: usize, cause: String },
    /// A Deployment deleted while waiting for it.
    Disappeared { object: String },
    /// A Deployment whose rollout failed (progress deadline).
    RolloutFailed { name: String, message: String },
    /// `--timeout` passed while waiting.
    WaitTimedOut { seconds: u64, name: String, message: String },
    /// `status` of a target with no Deployment nor tracks.
    NoWorkload { name: String, namespace: String, cluster: String },
    /// A `rollout/NAME` the server does not have.
    NoRollout { name: String, namespace: String, cluster: String },
}

impl LiveError {
    /// The error without its file/step context.
    pub fn root(&self) -> &LiveError {
        match self {
            LiveError::InFile { source, .. } | LiveError::Step { source, .. } => source.root(),
            e => e,
        }
    }

    /// Whether other field managers own fields with other values (409 Conflict).
    pub fn is_conflict(&self) -> bool {
        matches!(self.root(), LiveError::Conflict { .. })
    }

    /// Whether every further call would fail the same way (no server, bad credentials).
    pub fn is_fatal(&self) -> bool {
        matches!(self.root(), LiveError::Unreachable { .. } | LiveError::Unauthorized { .. })
    }
}

fn context_note(context: &Option<String>) -> String {
    match context {
        Some(c) => format!("context {c}"),
        None => "no kubeconfig context".into(),
    }
}

fn or_default<'a>(s: &'a str, d: &'a str) -> &'a str {
    if s.is_empty() { d } else { s }
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LiveError::*;
        match self {
            Runtime { cause } => write!(f, "cannot start the I/O runtime: {cause}"),
            Kubeconfig { path, cause } => write!(f, "cannot use kubeconfig {path}: {cause}"),
            ContextWithoutKubeconfig => {
                f.write_str("--context given, but there is no kubeconfig (KUBECONFIG is unset and ~/.kube/config does not exist)")
            }
            NoCluster { cause } => write!(
                f,
                "no cluster configured: KUBECONFIG is unset, ~/.kube/config does not exist, and this is not a pod with a service account ({cause})"
            ),
            Client { server, cause } => write!(f, "cannot set up a client for {server}: {cause}"),
            Duration { message } => f.write_str(message),
            NoResource { server, kind, api_version } => write!(
                f,
                "the server at {server} has no resource for kind {kind} in {api_version} (is its CustomResourceDefinition installed, or is the apiVersion outdated?)"
            ),
            Unreachable { server, context, cause } => {
                write!(f, "cannot reach the API server at {server} ({}): {cause}", context_note(context))
            }
            Unauthorized { server, context, what, message } => write!(
                f,
                "the API server at {server} rejected the credentials of {} (401 Unauthorized) when trying to {what}: {}",
                context_note(context),
                or_default(message, "Unauthorized")
            ),
            Forbidden { what, message } => write!(f, "forbidden: not allowed to {what} (403): {message}"),
            NotFound { what, message } => write!(f, "not found: cannot {what} (404): {message}"),
            Conflict { what, fields, managers, message } => write!(
                f,
                "conflict: cannot {what}: {} owned by field manager {} with other values; rerun with --force-conflicts to take them over \
                 (a forced apply takes only the fields it changes: the other manager keeps the rest, so a later step may need \
                 --force-conflicts again) (server: {message})",
                if fields.is_empty() { "fields".to_string() } else { format!("field(s) {}", fields.join(", ")) },
                if managers.is_empty() {
                    "(unnamed)".to_string()
                } else {
                    managers.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                },
            ),
            TimedOut { what, message } => write!(f, "timed out: the API server could not {what} in time: {message}"),
            Api { what, code, reason, message } => write!(
                f,
                "cannot {what}: the API server answered {code}{}: {message}",
                if reason.is_empty() { String::new() } else { format!(" {reason}") }
            ),
            NamespaceMismatch { object, flag } => write!(
                f,
                "the namespace of the object ({object}) does not match --namespace {flag}; pass -n {object} or remove the namespace from the manifest"
            ),
            Kustomization => f.write_str("a kustomize file, not an object: run `kubectl kustomize DIR | kubectl strategy diff -`"),
            Unnamed { kind } => write!(f, "{kind} has no metadata.name, so it cannot be compared (server-side apply needs a name)"),
            InFile { file, source } => write!(f, "{file}: {source}"),
            Step { step, source } => write!(f, "step {step} cannot be applied: {source}"),
            NoSuchStep { step, steps } => write!(f, "--step {step}: the plan has {steps} steps"),
            NotLiveYet { next, step, reached } => {
                write!(f, "step {next} is not live yet; carry it out before step {step} (the cluster is at step {reached})")
            }
            FileNotWritten { file, step, cause } => {
                write!(f, "{file}: {cause}; the cluster has step {step} but the file was not written")
            }
            Disappeared { object } => write!(f, "{object} disappeared while waiting for its rollout"),
            RolloutFailed { name, message } => {
                write!(f, "deployment/{name} failed to roll out: {message}; see kubectl describe deployment/{name}")
            }
            WaitTimedOut { seconds, name, message } => write!(
                f,
                "timed out after {seconds} s waiting for deployment/{name} ({message}); the step was applied: run the command again to keep waiting, or roll back"
            ),
            NoWorkload { name, namespace, cluster } => write!(
                f,
                "deployment/{name} not found in namespace {namespace} on {cluster} (nor {name}-blue, {name}-green or {name}-canary)"
            ),
            NoRollout { name, namespace, cluster } => write!(f, "rollout/{name} not found in namespace {namespace} on {cluster}"),
        }
    }
}

impl std::error::Error for LiveError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    /// Every message, byte for byte (the CLI prints them after `error:`).
    #[test]
    fn messages_are_stable() {
        use LiveError::*;
        let (server, ctx) = (s("https://k:6443"), Some(s("kind-kind")));
        let conflict = Conflict {
            what: s("patch deployments.apps \"web\" in namespace default"),
            fields: vec![s(".spec.replicas")],
            managers: vec![s("kubectl-client-side-apply"), s("helm")],
            message: s("Apply failed with 1 conflict"),
        };
        let all = vec![
            Runtime { cause: s("out of threads") },
            Kubeconfig { path: s("/k"), cause: s("failed to read: no such file") },
            ContextWithoutKubeconfig,
            NoCluster { cause: s("missing service account token") },
            Client { server: server.clone(), cause: s("bad certificate") },
            Duration { message: s("invalid duration `x`: expected e.g. 30s, 2m or 0") },
            NoResource { server: server.clone(), kind: s("Rollout"), api_version: s("argoproj.io/v1alpha1") },
            Unreachable { server: server.clone(), context: ctx.clone(), cause: s("connection refused") },
            Unreachable { server: server.clone(), context: None, cause: s("connection refused") },
            Unauthorized { server: server.clone(), context: ctx.clone(), what: s("list pods"), message: s("") },
            Unauthorized { server: server.clone(), context: None, what: s("list pods"), message: s("token expired") },
            Forbidden { what: s("list pods"), message: s("no") },
            NotFound { what: s("get x"), message: s("gone") },
            conflict.clone(),
            Conflict { what: s("patch x"), fields: vec![], managers: vec![], message: s("m") },
            TimedOut { what: s("list pods"), message: s("slow") },
            Api { what: s("list pods"), code: 422, reason: s("Invalid"), message: s("bad") },
            Api { what: s("list pods"), code: 500, reason: s(""), message: s("boom") },
            NamespaceMismatch { object: s("a"), flag: s("b") },
            Kustomization,
            Unnamed { kind: s("Deployment") },
            Step { step: 2, source: Box::new(InFile { file: s("a.yaml"), source: Box::new(conflict) }) },
            NoSuchStep { step: 3, steps: 2 },
            NotLiveYet { next: 1, step: 2, reached: 0 },
            FileNotWritten { file: s("a.yaml"), step: 1, cause: s("permission denied") },
            Disappeared { object: s("deployment/web") },
            RolloutFailed { name: s("web"), message: s("ProgressDeadlineExceeded") },
            WaitTimedOut { seconds: 30, name: s("web"), message: s("1 of 3 updated") },
            NoWorkload { name: s("web"), namespace: s("default"), cluster: s("context kind-kind (https://k:6443)") },
            NoRollout { name: s("web"), namespace: s("default"), cluster: s("https://k:6443") },
        ];
        let text: Vec<String> = all.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(text.join("\n"));
    }
}
