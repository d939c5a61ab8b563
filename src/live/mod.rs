//! The live cluster, through the `kube` crate (docs/live.md).
//!
//! Everything here talks to the API server with plain REST calls made
//! through a `kube::Client` (authentication, TLS, proxies and kubeconfig
//! handling are kube's): discovery maps kinds to resources, server-side
//! apply with `dryRun=All` previews, `status` reads rollouts. Requests are
//! logged with `-v`, never their bodies or headers, so tokens and Secret
//! values cannot leak into logs.

pub mod apply;
pub mod argo;
pub mod audit;
pub mod diff;
pub mod print;
pub mod status;

use serde_json::Value as J;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The default field manager of every write (`--field-manager` changes it).
pub const FIELD_MANAGER: &str = "kubectl-strategy";
/// How long a connection attempt may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may wait for its answer unless `--request-timeout` says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

mod error;
pub use error::{DurationError, LiveError, TransportError};

pub type R<T> = Result<T, LiveError>;

/// What the server answered when it did not say yes.
#[derive(Debug, Clone)]
pub enum CallError {
    /// A `Status` object (or an HTTP status without one).
    Status { code: u16, reason: String, message: String, causes: Vec<(String, String)> },
    /// No answer, or none that could be read.
    Transport(TransportError),
}

/// Where a request goes: the verb and resource, for messages.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub verb: &'a str,
    pub resource: &'a Resource,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// A kind resolved through discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The plural resource name, e.g. `deployments`.
    pub plural: String,
    pub namespaced: bool,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `deployments.apps`, as the API server names resources in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.clone() } else { format!("{}.{}", self.plural, self.group) }
    }

    fn base(&self) -> String {
        if self.group.is_empty() { format!("/api/{}", self.version) } else { format!("/apis/{}/{}", self.group, self.version) }
    }

    /// The collection path (namespaced kinds without a namespace: all namespaces).
    pub fn collection(&self, namespace: Option<&str>) -> String {
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{}/namespaces/{}/{}", self.base(), enc(ns), self.plural),
            None => format!("{}/{}", self.base(), self.plural),
        }
    }

    pub fn item(&self, namespace: Option<&str>, name: &str) -> String {
        format!("{}/{}", self.collection(namespace), enc(name))
    }
}

/// Percent-encodes a path segment or query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A connection to one cluster.
pub struct Conn {
    client: kube::Client,
    /// The server URL (for messages; never credentials).
    pub server: String,
    /// The kubeconfig context in use, if any.
    pub context: Option<String>,
    /// `-n`, or the context's namespace, or `default`.
    pub namespace: String,
    /// Whether `-n` was given (objects in another namespace are then refused, as kubectl does).
    pub namespace_explicit: bool,
    /// The field manager of server-side applies (`--field-manager`).
    pub field_manager: String,
    /// Objects per page of a list (`--chunk-size`; 0: one page).
    pub chunk_size: usize,
    verbose: u8,
    discovered: Mutex<HashMap<String, R<Vec<Resource>>>>,
    runtime: tokio::runtime::Runtime,
}

/// Parses kubectl's `--request-timeout` values: `0` (none), `30`, `30s`, `2m`, `1h`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Option<Duration>, DurationError> {
    let s = s.trim();
    let (num, unit) = s.find(|c: char| !c.is_ascii_digit() && c != '.').map_or((s, "s"), |i| s.split_at(i));
    let n: f64 = num.parse().map_err(|_| DurationError::NotANumber { value: s.to_string() })?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(DurationError::UnknownUnit { value: s.to_string(), unit: unit.to_string() }),
    };
    Ok((secs > 0.0).then(|| Duration::from_secs_f64(secs)))
}

/// How to reach the cluster: kubectl's connection flags (the CLI's `KubeArgs` turn into this).
#[derive(Debug, Clone, Default)]
pub struct ConnOptions {
    /// `--kubeconfig`
    pub kubeconfig: Option<String>,
    /// `--context`
    pub context: Option<String>,
    /// `-n/--namespace`
    pub namespace: Option<String>,
    /// `--request-timeout`, as kubectl takes it (`30s`, `2m`, `0`)
    pub request_timeout: Option<String>,
    /// `--chunk-size`: list pages of this many objects; 0 reads lists at once
    pub chunk_size: usize,
    /// `-v`: log every request at 6 and above
    pub verbose: u8,
}

impl Conn {
    /// Connects as kubectl would: `--kubeconfig`, else `KUBECONFIG`, else
    /// `~/.kube/config`, else the pod's service account (in-cluster).
    pub fn connect(args: &ConnOptions) -> R<Conn> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| LiveError::Runtime { source: Arc::new(e) })?;
        let options = kube::config::KubeConfigOptions { context: args.context.clone(), cluster: None, user: None };
        let (mut config, context) = runtime.block_on(async {
            if let Some(path) = &args.kubeconfig {
                let kc = kube::config::Kubeconfig::read_from(path).map_err(|e| kubeconfig_error(path, e))?;
                let ctx = args.context.clone().or_else(|| kc.current_context.clone());
                let c = kube::Config::from_custom_kubeconfig(kc, &options).await.map_err(|e| kubeconfig_error(path, e))?;
                Ok::<_, LiveError>((c, ctx))
            } else if std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty()) || default_kubeconfig().is_some_and(|p| p.exists()) {
                let where_ = std::env::var("KUBECONFIG").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "~/.kube/config".into());
                let kc = kube::config::Kubeconfig::from_env()
                    .ok()
                    .flatten()
                    .or_else(|| default_kubeconfig().and_then(|p| kube::config::Kubeconfig::read_from(p).ok()));
                let ctx = args.context.clone().or_else(|| kc.as_ref().and_then(|k| k.current_context.clone()));
                let c = kube::Config::from_kubeconfig(&options).await.map_err(|e| kubeconfig_error(&where_, e))?;
                Ok((c, ctx))
            } else if args.context.is_some() {
                Err(LiveError::ContextWithoutKubeconfig)
            } else {
                let c = kube::Config::incluster().map_err(|e| LiveError::NoCluster { source: Arc::new(e) })?;
                Ok((c, None))
            }
        })?;
        // kubectl waits forever by default; a live command should not hang on
        // a server that accepts connections and never answers.
        let t = match &args.request_timeout {
            Some(t) => parse_duration(t)?,
            None => Some(DEFAULT_REQUEST_TIMEOUT),
        };
        // `--request-timeout` bounds connecting too (TCP and the TLS handshake), as in kubectl.
        config.connect_timeout = Some(t.map_or(CONNECT_TIMEOUT, |t| t.min(CONNECT_TIMEOUT)));
        config.read_timeout = t;
        config.write_timeout = t;
        // One attempt, so that an unreachable server fails fast and once.
        config.default_retry = false;
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        let namespace = args.namespace.clone().unwrap_or_else(|| config.default_namespace.clone());
        let client = runtime
            .block_on(async { kube::Client::try_from(config) })
            .map_err(|e| LiveError::Client { server: server.clone(), source: Arc::new(e) })?;
        Ok(Conn {
            client,
            server,
            context,
            namespace,
            namespace_explicit: args.namespace.is_some(),
            field_manager: FIELD_MANAGER.to_string(),
            chunk_size: args.chunk_size,
            verbose: args.verbose,
            discovered: Mutex::new(HashMap::new()),
            runtime,
        })
    }

    /// Runs a future on this connection's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The cluster as users know it: the context name, or the server URL.
    pub fn cluster_label(&self) -> String {
        match &self.context {
            Some(c) => format!("context {c} ({})", self.server),
            None => self.server.clone(),
        }
    }

    /// One HTTP request; the answer as JSON.
    pub fn call(&self, method: http::Method, path: &str, content_type: Option<&str>, body: Vec<u8>) -> Result<J, CallError> {
        let started = Instant::now();
        let mut req = http::Request::builder().method(method.clone()).uri(path).header(http::header::ACCEPT, "application/json");
        if let Some(ct) = content_type {
            req = req.header(http::header::CONTENT_TYPE, ct);
        }
        let req = req.body(body).map_err(|e| CallError::Transport(TransportError::Request(Arc::new(e))))?;
        let result = self.block_on(self.client.request_text(req));
        let (code, out) = match result {
            Ok(text) => (
                "200".to_string(),
                if text.trim().is_empty() {
                    Ok(J::Null)
                } else {
                    serde_json::from_str(&text).map_err(|e| CallError::Transport(TransportError::NotJson(Arc::new(e))))
                },
            ),
            Err(kube::Error::Api(s)) => (
                s.code.to_string(),
                Err(CallError::Status {
                    code: s.code,
                    reason: s.reason.clone(),
                    message: s.message.clone(),
                    causes: s
                        .details
                        .as_ref()
                        .map(|d| d.causes.iter().map(|c| (c.field.clone(), c.message.clone())).collect())
                        .unwrap_or_default(),
                }),
            ),
            Err(e) => ("-".to_string(), Err(CallError::Transport(TransportError::Kube(Arc::new(e))))),
        };
        if self.verbose > 0 {
            // Method, path and status only: bodies may hold Secret values, headers tokens.
            eprintln!("{method} {}{path} {code} in {} ms", self.server, started.elapsed().as_millis());
        }
        out
    }

    /// The resources of one group/version (cached).
    fn resources(&self, api_version: &str) -> R<Vec<Resource>> {
        if let Some(r) = self.discovered.lock().expect("not poisoned").get(api_version) {
            return r.clone();
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let path = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
        let result = match self.call(http::Method::GET, &path, None, Vec::new()) {
            Ok(list) => Ok(list["resources"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|r| r["name"].as_str().is_some_and(|n| !n.contains('/')))
                        .map(|r| Resource {
                            group: group.to_string(),
                            version: version.to_string(),
                            kind: r["kind"].as_str().unwrap_or_default().to_string(),
                            plural: r["name"].as_str().unwrap_or_default().to_string(),
                            namespaced: r["namespaced"].as_bool().unwrap_or(true),
                        })
                        .collect()
                })
                .unwrap_or_default()),
            Err(CallError::Status { code: 404, .. }) => Ok(Vec::new()),
            Err(e) => Err(self.explain(&e, &format!("discover the resources of {api_version}"))),
        };
        self.discovered.lock().expect("not poisoned").insert(api_version.to_string(), result.clone());
        result
    }

    /// Maps apiVersion + kind to a resource through discovery.
    pub fn resolve(&self, api_version: &str, kind: &str) -> R<Resource> {
        let list = self.resources(api_version)?;
        list.into_iter().find(|r| r.kind == kind).ok_or_else(|| LiveError::NoResource {
            server: self.server.clone(),
            kind: kind.to_string(),
            api_version: api_version.to_string(),
        })
    }

    /// Like `resolve`, but `None` when the group or kind is not served (optional kinds such as ServiceMonitor).
    pub fn resolve_optional(&self, api_version: &str, kind: &str) -> R<Option<Resource>> {
        let list = self.resources(api_version)?;
        Ok(list.into_iter().find(|r| r.kind == kind))
    }

    /// The error of a failed call, by its status (a 409 with reason
    /// `Conflict` is a field-manager conflict).
    pub fn explain(&self, e: &CallError, what: &str) -> LiveError {
        call_error(&self.server, &self.context, e, what)
    }

    /// Describes a call for messages: `patch deployments.apps "web" in namespace default`.
    pub fn what(c: &Call) -> String {
        let mut s = format!("{} {}", c.verb, c.resource.qualified());
        if let Some(n) = c.name {
            s.push_str(&format!(" \"{n}\""));
        }
        match c.namespace.filter(|_| c.resource.namespaced) {
            Some(ns) => s.push_str(&format!(" in namespace {ns}")),
            None if c.resource.namespaced => s.push_str(" in all namespaces"),
            None => {}
        }
        s
    }

    /// GET one object; `None` when it does not exist.
    pub fn get(&self, res: &Resource, namespace: Option<&str>, name: &str) -> R<Option<J>> {
        let call = Call { verb: "get", resource: res, namespace, name: Some(name) };
        match self.call(http::Method::GET, &res.item(namespace, name), None, Vec::new()) {
            Ok(v) => Ok(Some(v)),
            Err(CallError::Status { code: 404, .. }) => Ok(None),
            Err(e) => Err(self.explain(&e, &Self::what(&call))),
        }
    }

    /// LIST objects, optionally by label selector, page by page (`limit` and
    /// `continue`, as kubectl's `--chunk-size`).
    pub fn list(&self, res: &Resource, namespace: Option<&str>, selector: Option<&str>) -> R<Vec<J>> {
        let call = Call { verb: "list", resource: res, namespace, name: None };
        let mut query: Vec<String> = Vec::new();
        if let Some(s) = selector {
            query.push(format!("labelSelector={}", enc(s)));
        }
        if self.chunk_size > 0 {
            query.push(format!("limit={}", self.chunk_size));
        }
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = query.clone();
            if let Some(t) = &token {
                q.push(format!("continue={}", enc(t)));
            }
            let path = if q.is_empty() { res.collection(namespace) } else { format!("{}?{}", res.collection(namespace), q.join("&")) };
            let mut page = self.call(http::Method::GET, &path, None, Vec::new()).map_err(|e| self.explain(&e, &Self::what(&call)))?;
            if let Some(a) = page["items"].as_array_mut() {
                items.append(a);
            }
            token = page["metadata"]["continue"].as_str().filter(|t| !t.is_empty()).map(str::to_string);
            if token.is_none() {
                return Ok(items);
            }
        }
    }

    /// Server-side apply of one object (as `self.field_manager`).
    pub fn apply(&self, res: &Resource, namespace: Option<&str>, obj: &J, dry_run: bool, force: bool) -> R<J> {
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let call = Call { verb: "patch", resource: res, namespace, name: Some(name) };
        let mut path = format!("{}?fieldManager={}", res.item(namespace, name), enc(&self.field_manager));
        if dry_run {
            path.push_str("&dryRun=All");
        }
        if force {
            path.push_str("&force=true");
        }
        // The namespace goes into the object too, as kubectl sends it: the server
        // rewrites a client-side `last-applied-configuration` annotation from the
        // object sent, and kubectl's has the namespace.
        let body = match namespace.filter(|_| res.namespaced) {
            Some(ns) if obj["metadata"].is_object() && obj["metadata"].get("namespace").is_none() => {
                let mut o = obj.clone();
                o["metadata"]["namespace"] = ns.into();
                serde_json::to_vec(&o)
            }
            _ => serde_json::to_vec(obj),
        }
        .expect("serializable");
        self.call(http::Method::PATCH, &path, Some("application/apply-patch+yaml"), body).map_err(|e| self.explain(&e, &Self::what(&call)))
    }

    /// A JSON merge patch of one object, or of its `subresource` (`status`).
    pub fn merge_patch(
        &self,
        res: &Resource,
        namespace: Option<&str>,
        name: &str,
        subresource: Option<&str>,
        patch: &J,
        dry_run: bool,
    ) -> R<J> {
        let call = Call { verb: "patch", resource: res, namespace, name: Some(name) };
        let mut path = res.item(namespace, name);
        if let Some(s) = subresource {
            path.push('/');
            path.push_str(s);
        }
        if dry_run {
            path.push_str("?dryRun=All");
        }
        let body = serde_json::to_vec(patch).expect("serializable");
        self.call(http::Method::PATCH, &path, Some("application/merge-patch+json"), body).map_err(|e| self.explain(&e, &Self::what(&call)))
    }

    /// DELETE one object; `false` when it was already gone.
    pub fn delete(&self, res: &Resource, namespace: Option<&str>, name: &str, dry_run: bool) -> R<bool> {
        let call = Call { verb: "delete", resource: res, namespace, name: Some(name) };
        let mut path = res.item(namespace, name);
        if dry_run {
            path.push_str("?dryRun=All");
        }
        match self.call(http::Method::DELETE, &path, None, Vec::new()) {
            Ok(_) => Ok(true),
            Err(CallError::Status { code: 404, .. }) => Ok(false),
            Err(e) => Err(self.explain(&e, &Self::what(&call))),
        }
    }

    /// The namespace an object goes to: its own, or the connection's; `-n`
    /// that disagrees with the object's namespace is an error, as in kubectl.
    pub fn namespace_for(&self, res: &Resource, obj: &J) -> R<Option<String>> {
        if !res.namespaced {
            return Ok(None);
        }
        match obj["metadata"]["namespace"].as_str() {
            Some(ns) if self.namespace_explicit && ns != self.namespace => {
                Err(LiveError::NamespaceMismatch { object: ns.to_string(), flag: self.namespace.clone() })
            }
            Some(ns) => Ok(Some(ns.to_string())),
            None => Ok(Some(self.namespace.clone())),
        }
    }
}

/// The error of a failed call to `server`, by its HTTP status and the
/// `Status` reason (a 409 `Conflict` is a field-manager conflict; a 409
/// `AlreadyExists` is not).
fn call_error(server: &str, context: &Option<String>, e: &CallError, what: &str) -> LiveError {
    let what = what.to_string();
    match e.clone() {
        CallError::Transport(source) => LiveError::Unreachable { server: server.to_string(), context: context.clone(), source },
        CallError::Status { code: 401, message, .. } => {
            LiveError::Unauthorized { server: server.to_string(), context: context.clone(), what, message }
        }
        CallError::Status { code: 403, message, .. } => LiveError::Forbidden { what, message },
        CallError::Status { code: 404, message, .. } => LiveError::NotFound { what, message },
        CallError::Status { code: 409, reason, message, causes } if reason == "Conflict" => LiveError::Conflict {
            what,
            managers: conflict_managers(&message, &causes),
            fields: causes.into_iter().map(|(f, _)| f).filter(|f| !f.is_empty()).collect(),
            message,
        },
        CallError::Status { code: 504 | 408, message, .. } => LiveError::TimedOut { what, message },
        CallError::Status { code, reason, message, .. } => LiveError::Api { what, code, reason, message },
    }
}

/// The field managers named in a 409 apply conflict.
fn conflict_managers(message: &str, causes: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let texts = causes.iter().map(|(_, m)| m.as_str()).chain(std::iter::once(message));
    for t in texts {
        let mut rest = t;
        while let Some(i) = rest.find("conflict with \"") {
            rest = &rest[i + 15..];
            if let Some(end) = rest.find('"') {
                let m = rest[..end].to_string();
                if !out.contains(&m) {
                    out.push(m);
                }
                rest = &rest[end..];
            }
        }
    }
    out
}

fn default_kubeconfig() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".kube").join("config"))
}

fn kubeconfig_error(path: &str, e: kube::config::KubeconfigError) -> LiveError {
    LiveError::Kubeconfig { path: path.to_string(), source: Arc::new(e) }
}

/// An error and its causes, one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// A transport failure in words: the innermost cause says what happened.
fn transport_message(e: &kube::Error) -> String {
    let full = chain(e);
    let lower = full.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused (is the cluster running, and is the server address right?)".into()
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        format!("TLS failed ({full})")
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") || lower.contains("name or service not known") {
        format!("the server's host name does not resolve ({full})")
    } else if lower.contains("timed out") || lower.contains("elapsed") || lower.contains("deadline") {
        format!("no answer in time ({full})")
    } else {
        full
    }
}

/// Objects read from manifest files, ready to send.
#[derive(Debug, Clone)]
pub struct FileObject {
    /// `file:line` of the object, for messages.
    pub origin: String,
    pub json: J,
}

/// Reads the Kubernetes objects under `paths` (files, directories, `-`), in
/// file order; broken files are reported in `errors` and skipped.
pub fn read_objects(paths: &[String]) -> (Vec<FileObject>, Vec<String>) {
    let (specs, notices) = crate::input::discover(paths);
    let mut errors: Vec<String> = notices;
    let mut out = Vec::new();
    for spec in &specs {
        match crate::input::read(spec) {
            crate::input::ReadOutcome::Text(file) => {
                let loaded = crate::manifest::load(0, &file);
                let mut broken_docs = std::collections::BTreeSet::new();
                // A wrong field type (`invalid-manifest`, e.g. `replicas: "3"` or `2.0`) is
                // sent as it is: the server decides, as for kubectl (it takes `2.0`, refuses `"3"`).
                // A document that does not parse (a duplicate key too) cannot be sent at all.
                for f in loaded.findings.iter().filter(|f| f.severity == crate::finding::Severity::Error && f.rule != "invalid-manifest") {
                    let r = crate::finding::Region::of(f);
                    let line = format!("{}:{}:{}: {}", file.name, r.line, r.column, f.message);
                    if !errors.contains(&line) {
                        errors.push(line);
                    }
                    broken_docs.extend(f.doc);
                }
                // kubectl refuses a document with a kind and no apiVersion (or the reverse); so do we.
                for doc in crate::manifest::parse::parse_stream(&file.text) {
                    let Ok(root) = doc.result else { continue };
                    if root.get("apiVersion").is_some() != root.get("kind").is_some() {
                        let missing = if root.get("kind").is_some() { "apiVersion" } else { "kind" };
                        errors.push(format!(
                            "{}:{}: the document has no {missing}, so it cannot be sent to a cluster",
                            file.name, doc.first_line
                        ));
                    }
                }
                for o in loaded.objects.iter().filter(|o| !broken_docs.contains(&o.doc)) {
                    let line = o.root.span.start.line.max(1);
                    out.push(FileObject { origin: format!("{}:{line}", file.name), json: crate::manifest::json::to_json_exact(&o.root) });
                }
            }
            crate::input::ReadOutcome::Broken { file, message, .. } => errors.push(format!("{}: {message}", file.name)),
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, reason: &str, message: &str, causes: &[(&str, &str)]) -> CallError {
        CallError::Status {
            code,
            reason: reason.into(),
            message: message.into(),
            causes: causes.iter().map(|(f, m)| (f.to_string(), m.to_string())).collect(),
        }
    }

    #[test]
    fn conflicts_are_known_by_status_and_reason_not_words() {
        let what = "patch deployments.apps \"web\" in namespace default";
        let ssa = status(
            409,
            "Conflict",
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas",
            &[(".spec.replicas", "conflict with \"kubectl-client-side-apply\" using apps/v1")],
        );
        let e = call_error("https://x", &None, &ssa, what);
        assert!(e.is_conflict(), "{e:?}");
        assert!(matches!(&e, LiveError::Conflict { managers, fields, .. }
            if managers == &["kubectl-client-side-apply"] && fields == &[".spec.replicas"]));
        // Wrapped in a step or a file, still a conflict.
        let wrapped = LiveError::Step { step: 2, source: Box::new(LiveError::InFile { file: "a.yaml".into(), source: Box::new(e) }) };
        assert!(wrapped.is_conflict() && !wrapped.is_fatal());
        // A 409 AlreadyExists whose message says "conflict" is not a field-manager conflict.
        let exists = status(409, "AlreadyExists", "conflict: deployments.apps \"web\" already exists", &[]);
        assert!(!call_error("https://x", &None, &exists, what).is_conflict());
        // Transport failures and 401 stop a run; a 403 does not.
        let refused = TransportError::Kube(Arc::new(kube::Error::LinesCodecMaxLineLengthExceeded));
        assert!(call_error("https://x", &None, &CallError::Transport(refused), what).is_fatal());
        assert!(call_error("https://x", &None, &status(401, "Unauthorized", "", &[]), what).is_fatal());
        assert!(!call_error("https://x", &None, &status(403, "Forbidden", "no", &[]), what).is_fatal());
    }
}
