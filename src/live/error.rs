//! Why a live command failed: one variant per cause, its message beside it.
//! Callers tell causes apart by variant (a field-manager conflict is
//! [`LiveError::Conflict`], made from a 409 `Status` with reason `Conflict`),
//! never by message words. A cause from a lower layer (kube's error, an
//! `io::Error`) is kept as the error's `source()`; messages name it in words
//! ([`super::chain`]), as they always did. Sources sit behind an `Arc` so
//! that an error can be cached and cloned (discovery remembers failures).

use super::chain;
use std::sync::Arc;

/// A failed live operation, already explained for users.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LiveError {
    /// The async runtime could not start.
    #[error("cannot start the I/O runtime: {source}")]
    Runtime { source: Arc<std::io::Error> },
    /// A kubeconfig that cannot be read or used.
    #[error("cannot use kubeconfig {path}: {}", chain(&**source))]
    Kubeconfig { path: String, source: Arc<kube::config::KubeconfigError> },
    /// `--context` without any kubeconfig.
    #[error("--context given, but there is no kubeconfig (KUBECONFIG is unset and ~/.kube/config does not exist)")]
    ContextWithoutKubeconfig,
    /// No kubeconfig and not in a pod.
    #[error(
        "no cluster configured: KUBECONFIG is unset, ~/.kube/config does not exist, and this is not a pod with a service account ({})",
        chain(&**source)
    )]
    NoCluster { source: Arc<kube::config::InClusterError> },
    /// The HTTP client could not be built.
    #[error("cannot set up a client for {server}: {}", chain(&**source))]
    Client { server: String, source: Arc<kube::Error> },
    /// A `--request-timeout`/`--timeout` value that does not parse.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// The server does not serve the kind (CRD missing, old apiVersion).
    #[error(
        "the server at {server} has no resource for kind {kind} in {api_version} (is its CustomResourceDefinition installed, or is the apiVersion outdated?)"
    )]
    NoResource { server: String, kind: String, api_version: String },
    /// No answer: connection refused, DNS, TLS, timeout.
    #[error("cannot reach the API server at {server} ({}): {source}", context_note(context))]
    Unreachable { server: String, context: Option<String>, source: TransportError },
    /// 401.
    #[error(
        "the API server at {server} rejected the credentials of {} (401 Unauthorized) when trying to {what}: {}",
        context_note(context),
        or_default(message, "Unauthorized")
    )]
    Unauthorized { server: String, context: Option<String>, what: String, message: String },
    /// 403.
    #[error("forbidden: not allowed to {what} (403): {message}")]
    Forbidden { what: String, message: String },
    /// 404 where the object must exist.
    #[error("not found: cannot {what} (404): {message}")]
    NotFound { what: String, message: String },
    /// 409 `Conflict`: fields owned by other field managers with other values.
    #[error(
        "conflict: cannot {what}: {} owned by field manager {} with other values; rerun with --force-conflicts to take them over \
         (a forced apply takes only the fields it changes: the other manager keeps the rest, so a later step may need \
         --force-conflicts again) (server: {message})",
        if fields.is_empty() { "fields".to_string() } else { format!("field(s) {}", fields.join(", ")) },
        if managers.is_empty() { "(unnamed)".to_string() } else { managers.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ") }
    )]
    Conflict { what: String, fields: Vec<String>, managers: Vec<String>, message: String },
    /// 408/504.
    #[error("timed out: the API server could not {what} in time: {message}")]
    TimedOut { what: String, message: String },
    /// Any other refusal of the API server.
    #[error(
        "cannot {what}: the API server answered {code}{}: {message}",
        if reason.is_empty() { String::new() } else { format!(" {reason}") }
    )]
    Api { what: String, code: u16, reason: String, message: String },
    /// The object's namespace disagrees with `-n`.
    #[error(
        "the namespace of the object ({object}) does not match --namespace {flag}; pass -n {object} or remove the namespace from the manifest"
    )]
    NamespaceMismatch { object: String, flag: String },
    /// A kustomization file given to `diff` instead of its build.
    #[error("a kustomize file, not an object: run `kubectl kustomize DIR | kubectl strategy diff -`")]
    Kustomization,
    /// An object without `metadata.name`.
    #[error("{kind} has no metadata.name, so it cannot be compared (server-side apply needs a name)")]
    Unnamed { kind: String },
    /// An error about an object of a file.
    #[error("{file}: {source}")]
    InFile { file: String, source: Box<LiveError> },
    /// A step whose server-side dry run fails.
    #[error("step {step} cannot be applied: {source}")]
    Step { step: usize, source: Box<LiveError> },
    /// `--step N` beyond the plan.
    #[error("--step {step}: the plan has {steps} steps")]
    NoSuchStep { step: usize, steps: usize },
    /// `--step N` before the steps ahead of it are live.
    #[error("step {next} is not live yet; carry it out before step {step} (the cluster is at step {reached})")]
    NotLiveYet { next: usize, step: usize, reached: usize },
    /// The cluster has the step, the file could not be written.
    #[error("{file}: {source}; the cluster has step {step} but the file was not written")]
    FileNotWritten { file: String, step: usize, source: Arc<std::io::Error> },
    /// A Deployment deleted while waiting for it.
    #[error("{object} disappeared while waiting for its rollout")]
    Disappeared { object: String },
    /// A Deployment whose rollout failed (progress deadline).
    #[error("deployment/{name} failed to roll out: {message}; see kubectl describe deployment/{name}")]
    RolloutFailed { name: String, message: String },
    /// `--timeout` passed while waiting.
    #[error(
        "timed out after {seconds} s waiting for deployment/{name} ({message}); the step was applied: run the command again to keep waiting, or roll back"
    )]
    WaitTimedOut { seconds: u64, name: String, message: String },
    /// `status` of a target with no Deployment nor tracks.
    #[error("deployment/{name} not found in namespace {namespace} on {cluster} (nor {name}-blue, {name}-green or {name}-canary)")]
    NoWorkload { name: String, namespace: String, cluster: String },
    /// A `rollout/NAME` the server does not have.
    #[error("rollout/{name} not found in namespace {namespace} on {cluster}")]
    NoRollout { name: String, namespace: String, cluster: String },
}

/// Why a request got no answer that could be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    /// No answer: connection refused, DNS, TLS, timeout (the innermost cause in words).
    #[error("{}", super::transport_message(.0))]
    Kube(#[source] Arc<kube::Error>),
    /// The request could not be built.
    #[error(transparent)]
    Request(Arc<http::Error>),
    /// The answer is not JSON.
    #[error("the server answered with something that is not JSON ({0})")]
    NotJson(#[source] Arc<serde_json::Error>),
}

/// A `--request-timeout`/`--timeout` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("invalid duration `{value}`: expected e.g. 30s, 2m or 0")]
    NotANumber { value: String },
    #[error("invalid duration `{value}`: unknown unit `{unit}` (use ms, s, m or h)")]
    UnknownUnit { value: String, unit: String },
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

#[cfg(test)]
mod tests {
    use super::*;
    use kube::config::{InClusterError, KubeconfigError};

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
        let refused =
            TransportError::Kube(Arc::new(kube::Error::Service(Box::new(std::io::Error::other("tcp connect error: Connection refused")))));
        let not_json = TransportError::NotJson(Arc::new(serde_json::from_str::<serde_json::Value>("<html>").unwrap_err()));
        let all = vec![
            Runtime { source: Arc::new(std::io::Error::other("out of threads")) },
            // A cause already in its error's message is not repeated.
            Kubeconfig { path: s("/k"), source: Arc::new(KubeconfigError::ReadConfig(std::io::Error::other("no such file"), "/k".into())) },
            ContextWithoutKubeconfig,
            NoCluster { source: Arc::new(InClusterError::ReadEnvironmentVariable(std::env::VarError::NotPresent)) },
            Client { server: server.clone(), source: Arc::new(kube::Error::Service(Box::new(std::io::Error::other("bad certificate")))) },
            Duration(DurationError::NotANumber { value: s("x") }),
            Duration(DurationError::UnknownUnit { value: s("3d"), unit: s("d") }),
            NoResource { server: server.clone(), kind: s("Rollout"), api_version: s("argoproj.io/v1alpha1") },
            Unreachable { server: server.clone(), context: ctx.clone(), source: refused },
            Unreachable { server: server.clone(), context: None, source: not_json },
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
            FileNotWritten { file: s("a.yaml"), step: 1, source: Arc::new(std::io::Error::other("permission denied")) },
            Disappeared { object: s("deployment/web") },
            RolloutFailed { name: s("web"), message: s("ProgressDeadlineExceeded") },
            WaitTimedOut { seconds: 30, name: s("web"), message: s("1 of 3 updated") },
            NoWorkload { name: s("web"), namespace: s("default"), cluster: s("context kind-kind (https://k:6443)") },
            NoRollout { name: s("web"), namespace: s("default"), cluster: s("https://k:6443") },
        ];
        let text: Vec<String> = all.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(text.join("\n"));
    }

    /// The cause under a file and a step is still there, typed, for callers
    /// that walk `source()`.
    #[test]
    fn sources_are_kept() {
        use std::error::Error;
        let e = LiveError::Step {
            step: 1,
            source: Box::new(LiveError::InFile {
                file: s("a.yaml"),
                source: Box::new(LiveError::FileNotWritten {
                    file: s("a.yaml"),
                    step: 1,
                    source: Arc::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
                }),
            }),
        };
        let mut last: &dyn Error = &e;
        while let Some(s) = last.source() {
            last = s;
        }
        let io = last.downcast_ref::<Arc<std::io::Error>>().expect("the io::Error is the last source");
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
        let client = LiveError::Client { server: s("https://k"), source: Arc::new(kube::Error::LinesCodecMaxLineLengthExceeded) };
        assert!(client.source().and_then(|s| s.downcast_ref::<Arc<kube::Error>>()).is_some());
    }
}
