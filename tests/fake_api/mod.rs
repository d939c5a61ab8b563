//! In-process fake Kubernetes API server for integration tests.
//!
//! Speaks enough of the real kube-apiserver wire format (discovery, OpenAPI v3
//! stubs, CRUD, the four patch types, server-side apply with field ownership,
//! `Status` errors, a Deployment "controller") that the real `kubectl` binary
//! and the `kube` crate work against it. Depends only on `std` and
//! `serde_json`; HTTP/1.1 over `std::net` with one thread per connection.
//!
//! Layout: public handle, resource table, HTTP layer, routing, store
//! operations, server-side apply / field ownership, patching, defaulting,
//! Deployment controller, selectors, small helpers.
#![allow(dead_code)]

use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------
// Public handle
// ---------------------------------------------------------------------------

/// One logged HTTP request and the status code it was answered with.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Raw (still percent-encoded) query string, without the `?`.
    pub query: String,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub has_authorization: bool,
    pub body: String,
    pub status: u16,
}

/// Handle of a running fake API server. Dropping it stops accepting (best effort).
pub struct FakeApi {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

struct Inner {
    state: Mutex<State>,
    hang: AtomicBool,
    stopped: AtomicBool,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl FakeApi {
    /// Binds 127.0.0.1:0 and spawns the accept thread.
    pub fn start() -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fake_api: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake_api: local_addr");
        let inner = Arc::new(Inner { state: Mutex::new(State::new()), hang: AtomicBool::new(false), stopped: AtomicBool::new(false) });
        let acceptor = Arc::clone(&inner);
        thread::spawn(move || {
            for conn in listener.incoming() {
                if acceptor.stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = conn {
                    // One write per answer and no Nagle delay: otherwise every
                    // request waits for the client's delayed ACK (~40 ms).
                    let _ = stream.set_nodelay(true);
                    let inner = Arc::clone(&acceptor);
                    thread::spawn(move || serve_connection(&inner, stream));
                }
            }
        });
        FakeApi { inner, addr }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Seeds an object as if created by `kubectl-client-side-apply` (operation
    /// Update). A Deployment without a `status` gets a rolled-out status and pods.
    /// Panics on an unknown apiVersion/kind or a missing name.
    pub fn insert(&self, obj: Value) {
        self.inner.lock().seed(obj, "kubectl-client-side-apply").unwrap_or_else(|e| panic!("FakeApi::insert: {e}"));
    }

    /// The stored object (with managedFields); `namespace` defaults to "default" for namespaced kinds.
    pub fn get(&self, api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let st = self.inner.lock();
        let idx = resource_by_kind(api_version, kind)?;
        let ns = if RESOURCES[idx].namespaced { namespace.unwrap_or("default") } else { "" };
        st.objects.get(&(idx, ns.to_string(), name.to_string())).map(render)
    }

    /// All stored objects, ordered by resource, namespace, name.
    pub fn objects(&self) -> Vec<Value> {
        self.inner.lock().objects.values().map(render).collect()
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.inner.lock().requests.clone()
    }

    /// From now on, requests without `Authorization: Bearer <token>` get 401.
    pub fn require_token(&self, token: &str) {
        self.inner.lock().token = Some(token.to_string());
    }

    /// Requests with this verb (get, list, watch, create, update, patch, delete)
    /// on this resource (plural, or "deployments/scale") get 403.
    pub fn forbid(&self, verb: &str, resource: &str) {
        self.inner.lock().forbidden.push((verb.to_string(), resource.to_string()));
    }

    /// The user named in 403 messages (default `system:serviceaccount:ci:deployer`).
    pub fn set_user(&self, user: &str) {
        self.inner.lock().user = user.to_string();
    }

    /// How many GET/LIST/WATCHes of a Deployment still see the old status after a write (default 1).
    pub fn set_rollout_polls(&self, n: u32) {
        self.inner.lock().rollout_polls = n;
    }

    /// While on, connections are accepted and requests read but never answered.
    pub fn hang(&self, on: bool) {
        self.inner.hang.store(on, Ordering::SeqCst);
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
    }
}

// ---------------------------------------------------------------------------
// Resource table and discovery
// ---------------------------------------------------------------------------

struct ResourceDef {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    /// Served subresources: "status" and/or "scale".
    subresources: &'static [&'static str],
    /// Member of the "all" category (`kubectl get all`).
    in_all: bool,
}

#[allow(clippy::too_many_arguments)]
const fn r(
    gv: (&'static str, &'static str),
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
    in_all: bool,
) -> ResourceDef {
    ResourceDef { group: gv.0, version: gv.1, plural, singular, kind, namespaced, short_names, subresources, in_all }
}

const CORE: (&str, &str) = ("", "v1");
const APPS: (&str, &str) = ("apps", "v1");
const ST: &[&str] = &["status"];
const ST_SCALE: &[&str] = &["status", "scale"];
const NONE: &[&str] = &[];

static RESOURCES: &[ResourceDef] = &[
    r(CORE, "namespaces", "namespace", "Namespace", false, &["ns"], ST, false),
    r(CORE, "pods", "pod", "Pod", true, &["po"], ST, true),
    r(CORE, "services", "service", "Service", true, &["svc"], ST, true),
    r(CORE, "configmaps", "configmap", "ConfigMap", true, &["cm"], NONE, false),
    r(CORE, "secrets", "secret", "Secret", true, NONE, NONE, false),
    r(CORE, "serviceaccounts", "serviceaccount", "ServiceAccount", true, &["sa"], NONE, false),
    r(APPS, "deployments", "deployment", "Deployment", true, &["deploy"], ST_SCALE, true),
    r(APPS, "statefulsets", "statefulset", "StatefulSet", true, &["sts"], ST_SCALE, true),
    r(APPS, "daemonsets", "daemonset", "DaemonSet", true, &["ds"], ST, true),
    r(APPS, "replicasets", "replicaset", "ReplicaSet", true, &["rs"], ST_SCALE, true),
    r(("batch", "v1"), "jobs", "job", "Job", true, NONE, ST, true),
    r(("batch", "v1"), "cronjobs", "cronjob", "CronJob", true, &["cj"], ST, true),
    r(("autoscaling", "v2"), "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, &["hpa"], ST, true),
    r(("policy", "v1"), "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, &["pdb"], ST, false),
    r(("networking.k8s.io", "v1"), "ingresses", "ingress", "Ingress", true, &["ing"], ST, false),
    r(("networking.k8s.io", "v1"), "networkpolicies", "networkpolicy", "NetworkPolicy", true, &["netpol"], NONE, false),
    r(("gateway.networking.k8s.io", "v1"), "httproutes", "httproute", "HTTPRoute", true, NONE, ST, false),
    r(("networking.istio.io", "v1"), "virtualservices", "virtualservice", "VirtualService", true, &["vs"], ST, false),
    r(("networking.istio.io", "v1"), "destinationrules", "destinationrule", "DestinationRule", true, &["dr"], ST, false),
    r(("monitoring.coreos.com", "v1"), "servicemonitors", "servicemonitor", "ServiceMonitor", true, &["smon"], NONE, false),
    r(("monitoring.coreos.com", "v1"), "podmonitors", "podmonitor", "PodMonitor", true, &["pmon"], NONE, false),
    r(("traefik.io", "v1alpha1"), "traefikservices", "traefikservice", "TraefikService", true, NONE, NONE, false),
    r(("split.smi-spec.io", "v1alpha4"), "trafficsplits", "trafficsplit", "TrafficSplit", true, &["ts"], NONE, false),
];

const VERBS: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

impl ResourceDef {
    fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }
    /// "deployments.apps" / "services", as used in error messages.
    fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }
    fn has(&self, sub: &str) -> bool {
        self.subresources.contains(&sub)
    }
}

fn resource_by_kind(api_version: &str, kind: &str) -> Option<usize> {
    RESOURCES.iter().position(|r| r.api_version() == api_version && r.kind == kind)
}

fn resource_by_plural(group: &str, version: &str, plural: &str) -> Option<usize> {
    RESOURCES.iter().position(|r| r.group == group && r.version == version && r.plural == plural)
}

fn idx_of(kind: &str) -> usize {
    RESOURCES.iter().position(|r| r.kind == kind).expect("kind in table")
}

fn version_doc() -> Value {
    json!({"major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
        "gitTreeState": "clean", "buildDate": "2024-12-11T17:59:15Z", "goVersion": "go1.23.3", "compiler": "gc",
        "platform": "linux/amd64"})
}

fn api_versions_doc(host: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})
}

/// Distinct (group, version) pairs of the table, core first.
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

fn api_group_list_doc() -> Value {
    let groups: Vec<Value> = group_versions()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, v)| {
            let gv = json!({"groupVersion": format!("{g}/{v}"), "version": v});
            json!({"name": g, "versions": [gv.clone()], "preferredVersion": gv})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn api_resource_list_doc(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        let mut e = json!({"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": VERBS});
        if !r.short_names.is_empty() {
            e["shortNames"] = json!(r.short_names);
        }
        if r.in_all {
            e["categories"] = json!(["all"]);
        }
        resources.push(e);
        for sub in r.subresources {
            let mut s = json!({"name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced,
                "kind": r.kind, "verbs": ["get", "patch", "update"]});
            if *sub == "scale" {
                s["group"] = json!("autoscaling");
                s["version"] = json!("v1");
                s["kind"] = json!("Scale");
            }
            resources.push(s);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
}

/// `/openapi/v3`: the index of per-group-version documents.
fn openapi_v3_index() -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions() {
        let p = if g.is_empty() { format!("api/{v}") } else { format!("apis/{g}/{v}") };
        paths.insert(p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=FAKE{}", RESOURCES.len())}));
    }
    json!({"paths": paths})
}

/// `/openapi/v3/apis/{g}/{v}`: a minimal document whose PATCH operations declare
/// the `fieldValidation` parameter, so kubectl leaves validation to the server.
fn openapi_v3_doc(group: &str, version: &str) -> Option<Value> {
    let mut paths = Map::new();
    for r in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        let base = if group.is_empty() { format!("/api/{version}") } else { format!("/apis/{group}/{version}") };
        let ns = if r.namespaced { "/namespaces/{namespace}" } else { "" };
        let op = json!({
            "operationId": format!("patch{}", r.kind),
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": r.kind},
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
                {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}],
            "responses": {"200": {"description": "OK"}}});
        paths.insert(format!("{base}{ns}/{}/{{name}}", r.plural), json!({"patch": op}));
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
        "components": {"schemas": {}}}))
}

// ---------------------------------------------------------------------------
// HTTP layer
// ---------------------------------------------------------------------------

struct HttpRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct Response {
    code: u16,
    body: Vec<u8>,
}

impl Response {
    fn json(code: u16, body: &Value) -> Response {
        Response { code, body: body.to_string().into_bytes() }
    }
}

fn serve_connection(inner: &Inner, stream: TcpStream) {
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        // Wait for the next request, waking up regularly to notice shutdown.
        let _ = reader.get_ref().set_read_timeout(Some(Duration::from_millis(200)));
        match reader.fill_buf() {
            Ok([]) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                if inner.stopped.load(Ordering::SeqCst) {
                    return;
                }
                continue;
            }
            Err(_) => return,
        }
        let _ = reader.get_ref().set_read_timeout(Some(Duration::from_secs(30)));
        let Ok(Some(req)) = read_request(&mut reader) else { return };
        while inner.hang.load(Ordering::SeqCst) {
            if inner.stopped.load(Ordering::SeqCst) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let resp = handle(inner, &req, &writer.local_addr().map(|a| a.to_string()).unwrap_or_default());
        inner.lock().requests.push(Request {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            content_type: req.header("content-type").map(str::to_string),
            user_agent: req.header("user-agent").map(str::to_string),
            has_authorization: req.header("authorization").is_some(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
            status: resp.code,
        });
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\nContent-Length: {}\r\n\r\n",
            resp.code,
            reason_phrase(resp.code),
            resp.body.len()
        );
        let mut answer = head.into_bytes();
        answer.extend_from_slice(&resp.body);
        if writer.write_all(&answer).and_then(|_| writer.flush()).is_err() {
            return;
        }
        if req.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

fn read_request(reader: &mut impl BufRead) -> io::Result<Option<HttpRequest>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else { return Ok(None) };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut req =
        HttpRequest { method: method.to_string(), path: path.to_string(), query: query.to_string(), headers: Vec::new(), body: Vec::new() };
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            req.headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if req.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            if size == 0 {
                // Trailers end with an empty line.
                loop {
                    let mut t = String::new();
                    if reader.read_line(&mut t)? == 0 || t.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            req.body.extend_from_slice(&chunk);
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
    } else if let Some(len) = req.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        req.body = vec![0; len];
        reader.read_exact(&mut req.body)?;
    }
    Ok(Some(req))
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        _ => "Internal Server Error",
    }
}

/// Decoded query parameters.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|s| !s.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit() => {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------
// Status errors
// ---------------------------------------------------------------------------

fn status_failure(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response {
    let mut s = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason});
    if let Some(d) = details {
        s["details"] = d;
    }
    s["code"] = json!(code);
    Response::json(code, &s)
}

/// `{"name":..,"group":..,"kind":<plural>}`; group omitted for the core group.
fn details(r: &ResourceDef, name: &str) -> Value {
    let mut d = Map::new();
    if !name.is_empty() {
        d.insert("name".into(), json!(name));
    }
    if !r.group.is_empty() {
        d.insert("group".into(), json!(r.group));
    }
    d.insert("kind".into(), json!(r.plural));
    Value::Object(d)
}

fn not_found(r: &ResourceDef, name: &str) -> Response {
    status_failure(404, "NotFound", &format!("{} \"{name}\" not found", r.qualified()), Some(details(r, name)))
}

fn modified_conflict(r: &ResourceDef, name: &str) -> Response {
    let msg = format!(
        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
        r.qualified()
    );
    status_failure(409, "Conflict", &msg, Some(details(r, name)))
}

/// 422 for bad PatchOptions, e.g. an apply patch without `fieldManager`.
fn invalid_patch_options(field: &str, reason: &str, message: &str) -> Response {
    let msg = format!("PatchOptions.meta.k8s.io \"\" is invalid: {field}: {message}");
    let details =
        json!({"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [{"reason": reason, "message": message, "field": field}]});
    status_failure(422, "Invalid", &msg, Some(details))
}

fn path_not_found() -> Response {
    status_failure(404, "NotFound", "the server could not find the requested resource", Some(json!({})))
}

fn bad_request(message: &str) -> Response {
    status_failure(400, "BadRequest", message, None)
}

fn method_not_allowed() -> Response {
    status_failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", Some(json!({})))
}

// ---------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------

/// A request on a resource path, resolved against the table.
struct Target {
    res: usize,
    /// None: all namespaces (or cluster-scoped).
    namespace: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

fn resolve(group: &str, version: &str, rest: &[&str]) -> Option<Target> {
    let seg = |i: usize| rest.get(i).map(|s| s.to_string());
    if rest.len() >= 3
        && rest[0] == "namespaces"
        && let Some(res) = resource_by_plural(group, version, rest[2]).filter(|&i| RESOURCES[i].namespaced)
    {
        return (rest.len() <= 5).then(|| Target { res, namespace: seg(1), name: seg(3), sub: seg(4) });
    }
    let res = resource_by_plural(group, version, rest.first()?)?;
    if rest.len() > 3 || (RESOURCES[res].namespaced && rest.len() > 1) {
        return None;
    }
    Some(Target { res, namespace: None, name: seg(1), sub: seg(2) })
}

fn handle(inner: &Inner, req: &HttpRequest, host: &str) -> Response {
    let query = Query::parse(&req.query);
    if !query.flag("watch") {
        return route(&mut inner.lock(), req, &query, host);
    }
    // Watches: give the "controller" a moment first. A watch without events is
    // answered only after a second (client-go treats shorter ones as errors).
    // Never hold the lock while waiting.
    thread::sleep(Duration::from_millis(200));
    let resp = route(&mut inner.lock(), req, &query, host);
    if resp.code != 200 || !resp.body.is_empty() {
        return resp;
    }
    thread::sleep(Duration::from_millis(1000));
    route(&mut inner.lock(), req, &query, host)
}

fn route(st: &mut State, req: &HttpRequest, query: &Query, host: &str) -> Response {
    if let Some(token) = &st.token
        && req.header("authorization") != Some(format!("Bearer {token}").as_str())
    {
        return status_failure(401, "Unauthorized", "Unauthorized", None);
    }
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method == "GET";
    match segs.as_slice() {
        ["version"] if get => Response::json(200, &version_doc()),
        ["api"] if get => Response::json(200, &api_versions_doc(host)),
        ["apis"] if get => Response::json(200, &api_group_list_doc()),
        ["api", v] if get => api_resource_list_doc("", v).map_or_else(path_not_found, |d| Response::json(200, &d)),
        ["apis", g, v] if get => api_resource_list_doc(g, v).map_or_else(path_not_found, |d| Response::json(200, &d)),
        ["openapi", "v3"] if get => Response::json(200, &openapi_v3_index()),
        ["openapi", "v3", "api", v] if get => openapi_v3_doc("", v).map_or_else(path_not_found, |d| Response::json(200, &d)),
        ["openapi", "v3", "apis", g, v] if get => openapi_v3_doc(g, v).map_or_else(path_not_found, |d| Response::json(200, &d)),
        ["api", v, rest @ ..] => match resolve("", v, rest) {
            Some(t) => st.resource_request(req, query, &t),
            None => path_not_found(),
        },
        ["apis", g, v, rest @ ..] => match resolve(g, v, rest) {
            Some(t) => st.resource_request(req, query, &t),
            None => path_not_found(),
        },
        _ => path_not_found(),
    }
}

// ---------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------

/// (resource index, namespace or "" when cluster-scoped, name)
type Key = (usize, String, String);
/// A field in fieldsV1 tokens: `["f:spec", "f:template", "k:{\"name\":\"web\"}", "f:image"]`.
type FieldPath = Vec<String>;

#[derive(Clone)]
struct Manager {
    name: String,
    operation: &'static str,
    api_version: String,
    time: String,
    subresource: Option<String>,
    fields: BTreeSet<FieldPath>,
}

#[derive(Clone)]
struct Entry {
    /// The object without managedFields.
    obj: Value,
    managers: Vec<Manager>,
    /// Deployments: Some(n) = n more reads see the stale status before it catches up.
    pending: Option<u32>,
}

struct State {
    objects: BTreeMap<Key, Entry>,
    rv: u64,
    seq: u64,
    requests: Vec<Request>,
    token: Option<String>,
    forbidden: Vec<(String, String)>,
    user: String,
    rollout_polls: u32,
}

/// Everything a write needs besides the object.
struct WriteCtx {
    manager: String,
    dry_run: bool,
}

impl State {
    fn new() -> State {
        let mut st = State {
            objects: BTreeMap::new(),
            rv: 100,
            seq: 0,
            requests: Vec::new(),
            token: None,
            forbidden: Vec::new(),
            user: "system:serviceaccount:ci:deployer".to_string(),
            rollout_polls: 1,
        };
        for ns in ["default", "kube-system"] {
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            st.seed(obj, "kube-apiserver").expect("seed namespace");
        }
        st
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn seed(&mut self, mut obj: Value, manager: &str) -> Result<(), String> {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default();
        let idx = resource_by_kind(&api_version, kind).ok_or_else(|| format!("unknown {api_version} {kind}"))?;
        let r = &RESOURCES[idx];
        let name = obj["metadata"]["name"].as_str().ok_or("metadata.name is required")?.to_string();
        let ns = if r.namespaced { obj["metadata"]["namespace"].as_str().unwrap_or("default").to_string() } else { String::new() };
        if r.namespaced {
            obj["metadata"]["namespace"] = json!(ns);
        }
        let given_status = obj.get("status").cloned();
        let key = (idx, ns, name);
        self.objects.remove(&key);
        self.default_object(r.kind, &mut obj, None);
        let mut managers = Vec::new();
        record_update(&mut managers, manager, &api_version, None, None, &obj);
        self.commit(&key, obj, managers, false);
        if let Some(e) = self.objects.get_mut(&key) {
            match given_status {
                Some(s) => {
                    e.obj["status"] = s;
                    e.pending = None;
                }
                None if r.kind == "Deployment" => e.pending = Some(0),
                None => {}
            }
        }
        self.observe(&key);
        Ok(())
    }

    fn resource_request(&mut self, req: &HttpRequest, q: &Query, t: &Target) -> Response {
        let r = &RESOURCES[t.res];
        let verb = match (req.method.as_str(), &t.name) {
            ("GET", None) if q.flag("watch") => "watch",
            ("GET", None) => "list",
            ("GET", Some(_)) => "get",
            ("POST", None) => "create",
            ("PUT", Some(_)) => "update",
            ("PATCH", Some(_)) => "patch",
            ("DELETE", Some(_)) => "delete",
            _ => return method_not_allowed(),
        };
        if let Some(resp) = self.check_forbidden(verb, t) {
            return resp;
        }
        if r.namespaced && t.namespace.is_none() && verb != "list" && verb != "watch" {
            return method_not_allowed();
        }
        let ctx = WriteCtx {
            manager: q.get("fieldManager").map(str::to_string).unwrap_or_else(|| {
                // The real server falls back to the User-Agent's program name.
                req.header("user-agent").unwrap_or("unknown").split('/').next().unwrap_or_default().to_string()
            }),
            dry_run: q.get("dryRun") == Some("All"),
        };
        let name = t.name.clone().unwrap_or_default();
        let key: Key = (t.res, t.namespace.clone().unwrap_or_default(), name.clone());
        let body = || serde_json::from_slice::<Value>(&req.body).map_err(|e| bad_request(&format!("error decoding request body: {e}")));
        let result = match (t.sub.as_deref(), verb) {
            (None, "list") => self.list(t, q),
            (None, "watch") => self.watch(t, q),
            (None, "get") => self.read(&key),
            (None, "create") => body().and_then(|b| self.create(t, b, &ctx)),
            (None, "update") => body().and_then(|b| self.replace(&key, b, &ctx)),
            (None, "delete") => self.delete(&key, ctx.dry_run),
            (None, "patch") => self.patch(&key, req, q, &ctx),
            (Some("status"), "get") if r.has("status") => self.read(&key),
            (Some("scale"), _) if r.has("scale") => self.scale(&key, verb, req, &ctx),
            _ => Err(method_not_allowed()),
        };
        result.unwrap_or_else(|e| e)
    }

    fn check_forbidden(&self, verb: &str, t: &Target) -> Option<Response> {
        let r = &RESOURCES[t.res];
        let resource = match &t.sub {
            Some(s) => format!("{}/{s}", r.plural),
            None => r.plural.to_string(),
        };
        if !self.forbidden.iter().any(|(v, res)| v == verb && *res == resource) {
            return None;
        }
        let subject = match &t.name {
            Some(n) => format!("{} \"{n}\"", r.qualified()),
            None => r.qualified(),
        };
        let scope = match &t.namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let msg = format!(
            "{subject} is forbidden: User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
            self.user, r.group
        );
        Some(status_failure(403, "Forbidden", &msg, Some(details(r, t.name.as_deref().unwrap_or_default()))))
    }

    // -- reads ---------------------------------------------------------------

    fn read(&mut self, key: &Key) -> Result<Response, Response> {
        self.observe(key);
        match self.objects.get(key) {
            Some(e) => Ok(Response::json(200, &render(e))),
            None => Err(not_found(&RESOURCES[key.0], &key.2)),
        }
    }

    /// Objects of the target's collection matching the selectors; each read counts as a poll.
    fn select(&mut self, t: &Target, q: &Query) -> Result<Vec<Value>, Response> {
        let labels = parse_selector(q.get("labelSelector").unwrap_or_default()).map_err(|e| bad_request(&e))?;
        let fields = parse_selector(q.get("fieldSelector").unwrap_or_default()).map_err(|e| bad_request(&e))?;
        let keys: Vec<Key> =
            self.objects.keys().filter(|k| k.0 == t.res && t.namespace.as_ref().is_none_or(|ns| *ns == k.1)).cloned().collect();
        let mut out = Vec::new();
        for key in keys {
            let obj = &self.objects[&key].obj;
            let empty = Map::new();
            let obj_labels = obj["metadata"]["labels"].as_object().unwrap_or(&empty);
            if !labels.iter().all(|req| req.matches(|k| obj_labels.get(k).and_then(Value::as_str).map(str::to_string))) {
                continue;
            }
            if !fields.iter().all(|req| req.matches(|k| field_value(obj, k))) {
                continue;
            }
            self.observe(&key);
            out.push(render(&self.objects[&key]));
        }
        Ok(out)
    }

    fn list(&mut self, t: &Target, q: &Query) -> Result<Response, Response> {
        let items = self.select(t, q)?;
        let r = &RESOURCES[t.res];
        let list = json!({"kind": format!("{}List", r.kind), "apiVersion": r.api_version(),
            "metadata": {"resourceVersion": self.rv.to_string()}, "items": items});
        Ok(Response::json(200, &list))
    }

    /// A finite watch: the events since `resourceVersion`, newline-separated, then
    /// end of body. Clients (client-go reflectors, kube-rs watchers) re-watch.
    fn watch(&mut self, t: &Target, q: &Query) -> Result<Response, Response> {
        let since: u64 = q.get("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = String::new();
        for obj in self.select(t, q)? {
            let rv: u64 = obj["metadata"]["resourceVersion"].as_str().and_then(|v| v.parse().ok()).unwrap_or(0);
            if rv > since {
                let kind = if since == 0 { "ADDED" } else { "MODIFIED" };
                body.push_str(&json!({"type": kind, "object": obj}).to_string());
                body.push('\n');
            }
        }
        Ok(Response { code: 200, body: body.into_bytes() })
    }

    // -- writes --------------------------------------------------------------

    /// Checks apiVersion/kind/name/namespace of a request body against the URL.
    fn check_body(&self, key: &Key, mut obj: Value, url_name: Option<&str>) -> Result<Value, Response> {
        let r = &RESOURCES[key.0];
        if !obj.is_object() {
            return Err(bad_request("the body of the request is not an object"));
        }
        let (av, kind) = (obj["apiVersion"].as_str().unwrap_or_default(), obj["kind"].as_str().unwrap_or_default());
        if av != r.api_version() {
            let msg = format!("the API version in the data ({av}) does not match the expected API version ({})", r.api_version());
            return Err(bad_request(&msg));
        }
        if kind != r.kind {
            return Err(bad_request(&format!("the kind in the data ({kind}) does not match the expected kind ({})", r.kind)));
        }
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        if r.namespaced {
            match obj["metadata"]["namespace"].as_str() {
                Some(ns) if ns != key.1 => {
                    return Err(bad_request("the namespace of the provided object does not match the namespace sent on the request"));
                }
                _ => obj["metadata"]["namespace"] = json!(key.1),
            }
        }
        if let Some(url_name) = url_name {
            match obj["metadata"]["name"].as_str() {
                Some(n) if n != url_name => {
                    return Err(bad_request(&format!("the name of the object ({n}) does not match the name on the URL ({url_name})")));
                }
                _ => obj["metadata"]["name"] = json!(url_name),
            }
        }
        let meta = obj["metadata"].as_object_mut().expect("metadata is an object");
        meta.remove("managedFields");
        Ok(obj)
    }

    fn create(&mut self, t: &Target, body: Value, ctx: &WriteCtx) -> Result<Response, Response> {
        let ns = t.namespace.clone().unwrap_or_default();
        let mut obj = self.check_body(&(t.res, ns.clone(), String::new()), body, None)?;
        let r = &RESOURCES[t.res];
        let name = match (obj["metadata"]["name"].as_str(), obj["metadata"]["generateName"].as_str()) {
            (Some(n), _) if !n.is_empty() => n.to_string(),
            (_, Some(prefix)) => format!("{prefix}{}", random_suffix(self.next_seq())),
            _ => {
                return Err(status_failure(
                    422,
                    "Invalid",
                    &format!("{} \"\" is invalid: metadata.name: Required value: name or generateName is required", r.kind),
                    None,
                ));
            }
        };
        obj["metadata"]["name"] = json!(name);
        let key = (t.res, ns, name.clone());
        if self.objects.contains_key(&key) {
            let msg = format!("{} \"{name}\" already exists", r.qualified());
            return Err(status_failure(409, "AlreadyExists", &msg, Some(details(r, &name))));
        }
        for f in ["resourceVersion", "uid", "creationTimestamp", "generation"] {
            obj["metadata"].as_object_mut().map(|m| m.remove(f));
        }
        self.default_object(r.kind, &mut obj, None);
        let mut managers = Vec::new();
        record_update(&mut managers, &ctx.manager, &r.api_version(), None, None, &obj);
        Ok(Response::json(201, &self.commit(&key, obj, managers, ctx.dry_run)))
    }

    fn replace(&mut self, key: &Key, body: Value, ctx: &WriteCtx) -> Result<Response, Response> {
        let r = &RESOURCES[key.0];
        let mut obj = self.check_body(key, body, Some(&key.2))?;
        let Some(old) = self.objects.get(key).cloned() else { return Err(not_found(r, &key.2)) };
        if let Some(rv) = obj["metadata"]["resourceVersion"].as_str()
            && rv != old.obj["metadata"]["resourceVersion"]
        {
            return Err(modified_conflict(r, &key.2));
        }
        self.default_object(r.kind, &mut obj, Some(&old.obj));
        let mut managers = old.managers.clone();
        record_update(&mut managers, &ctx.manager, &r.api_version(), None, Some(&old.obj), &obj);
        Ok(Response::json(200, &self.commit(key, obj, managers, ctx.dry_run)))
    }

    fn delete(&mut self, key: &Key, dry_run: bool) -> Result<Response, Response> {
        let r = &RESOURCES[key.0];
        let Some(entry) = self.objects.get(key) else { return Err(not_found(r, &key.2)) };
        let mut d = details(r, &key.2);
        d["uid"] = entry.obj["metadata"]["uid"].clone();
        if !dry_run {
            self.remove(key);
        }
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d});
        Ok(Response::json(200, &status))
    }

    /// Removes an object and what hangs off it (a Deployment's pods, a namespace's contents).
    fn remove(&mut self, key: &Key) {
        let Some(entry) = self.objects.remove(key) else { return };
        self.rv += 1;
        let uid = entry.obj["metadata"]["uid"].clone();
        let kind = RESOURCES[key.0].kind;
        self.objects.retain(|k, e| match kind {
            "Namespace" => RESOURCES[k.0].kind == "Namespace" || k.1 != key.2,
            "Deployment" => !(k.1 == key.1 && e.obj["metadata"]["ownerReferences"][0]["uid"] == uid),
            _ => true,
        });
    }

    fn patch(&mut self, key: &Key, req: &HttpRequest, q: &Query, ctx: &WriteCtx) -> Result<Response, Response> {
        let r = &RESOURCES[key.0];
        let content_type = req.header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim();
        if content_type == "application/apply-patch+yaml" {
            let Ok(config) = serde_json::from_slice::<Value>(&req.body) else {
                return Err(status_failure(
                    415,
                    "UnsupportedMediaType",
                    "fake API server: the apply-patch+yaml body must be JSON (kubectl and kube-rs send JSON)",
                    None,
                ));
            };
            let Some(manager) = q.get("fieldManager").filter(|m| !m.is_empty()) else {
                return Err(invalid_patch_options("fieldManager", "FieldValueRequired", "Required value: is required for apply patch"));
            };
            return self.apply(key, config, manager, q.flag("force"), ctx.dry_run);
        }
        if q.get("force").is_some() {
            return Err(invalid_patch_options("force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch"));
        }
        let Some(old) = self.objects.get(key).cloned() else { return Err(not_found(r, &key.2)) };
        let patched = patch_value(&old.obj, content_type, &req.body)?;
        let mut obj = self.check_body(key, patched, Some(&key.2))?;
        for f in ["uid", "creationTimestamp", "generation"] {
            obj["metadata"][f] = old.obj["metadata"][f].clone();
        }
        self.default_object(r.kind, &mut obj, Some(&old.obj));
        let mut managers = old.managers.clone();
        record_update(&mut managers, &ctx.manager, &r.api_version(), None, Some(&old.obj), &obj);
        Ok(Response::json(200, &self.commit(key, obj, managers, ctx.dry_run)))
    }

    fn apply(&mut self, key: &Key, config: Value, manager: &str, force: bool, dry_run: bool) -> Result<Response, Response> {
        let r = &RESOURCES[key.0];
        let mut config = self.check_body(key, config, Some(&key.2))?;
        let old = self.objects.get(key).cloned();
        if let (Some(rv), Some(e)) = (config["metadata"]["resourceVersion"].as_str(), &old)
            && e.obj["metadata"]["resourceVersion"] != rv
        {
            return Err(modified_conflict(r, &key.2));
        }
        for f in ["resourceVersion", "uid", "creationTimestamp", "generation"] {
            config["metadata"].as_object_mut().map(|m| m.remove(f));
        }
        let (mut live, mut managers) = match &old {
            Some(e) => (e.obj.clone(), e.managers.clone()),
            None => (json!({"apiVersion": r.api_version(), "kind": r.kind, "metadata": {}}), Vec::new()),
        };
        server_side_apply(&mut live, &mut managers, &config, manager, &r.api_version(), force)?;
        self.default_object(r.kind, &mut live, old.as_ref().map(|e| &e.obj));
        let code = if old.is_some() { 200 } else { 201 };
        Ok(Response::json(code, &self.commit(key, live, managers, dry_run)))
    }

    fn scale(&mut self, key: &Key, verb: &str, req: &HttpRequest, ctx: &WriteCtx) -> Result<Response, Response> {
        let r = &RESOURCES[key.0];
        if verb == "get" {
            self.observe(key);
        }
        let Some(old) = self.objects.get(key).cloned() else { return Err(not_found(r, &key.2)) };
        let current = scale_of(&old.obj);
        let replicas = match verb {
            "get" => return Ok(Response::json(200, &current)),
            "update" => serde_json::from_slice::<Value>(&req.body).map_err(|e| bad_request(&e.to_string()))?["spec"]["replicas"].clone(),
            "patch" => {
                let ct = req.header("content-type").unwrap_or_default().split(';').next().unwrap_or_default().trim();
                patch_value(&current, ct, &req.body)?["spec"]["replicas"].clone()
            }
            _ => return Err(method_not_allowed()),
        };
        if !replicas.is_u64() {
            return Err(status_failure(
                422,
                "Invalid",
                "Scale.autoscaling \"\" is invalid: spec.replicas: Invalid value: must be a non-negative integer",
                None,
            ));
        }
        let mut obj = old.obj.clone();
        obj["spec"]["replicas"] = replicas;
        let mut managers = old.managers.clone();
        record_update(&mut managers, &ctx.manager, &r.api_version(), Some("scale"), Some(&old.obj), &obj);
        let stored = self.commit(key, obj, managers, ctx.dry_run);
        Ok(Response::json(200, &scale_of(&stored)))
    }

    /// Finalizes metadata (uid, resourceVersion, generation, timestamps) and status,
    /// stores the object unless `dry_run`, runs the Deployment controller, and
    /// returns the rendered object.
    fn commit(&mut self, key: &Key, mut obj: Value, mut managers: Vec<Manager>, dry_run: bool) -> Value {
        let r = &RESOURCES[key.0];
        let old = self.objects.get(key).map(|e| e.obj.clone());
        let uid = match &old {
            Some(o) => o["metadata"]["uid"].clone(),
            None => json!(new_uid(self.next_seq())),
        };
        let meta = obj["metadata"].as_object_mut().expect("metadata");
        meta.insert("name".into(), json!(key.2));
        if r.namespaced {
            meta.insert("namespace".into(), json!(key.1));
        }
        meta.insert("uid".into(), uid);
        let generation = match &old {
            Some(o) if o.get("spec") == obj.get("spec") => o["metadata"]["generation"].clone(),
            Some(o) => json!(o["metadata"]["generation"].as_u64().unwrap_or(1) + 1),
            None => json!(1),
        };
        obj["metadata"]["generation"] = generation;
        obj["metadata"]["creationTimestamp"] = match &old {
            Some(o) => o["metadata"]["creationTimestamp"].clone(),
            None => json!(now_rfc3339()),
        };
        match old.as_ref().map(|o| o["metadata"]["resourceVersion"].clone()) {
            Some(rv) => obj["metadata"]["resourceVersion"] = rv,
            None => drop(obj["metadata"].as_object_mut().map(|m| m.remove("resourceVersion"))),
        }
        if r.has("status") {
            // Writes to the main resource never change status.
            match old.as_ref().and_then(|o| o.get("status")) {
                Some(s) => obj["status"] = s.clone(),
                None => match initial_status(r.kind) {
                    Some(s) => obj["status"] = s,
                    None => drop(obj.as_object_mut().map(|m| m.remove("status"))),
                },
            }
        }
        // Ownership only of fields that exist; status managers are left alone.
        let leaves = managed_leaves(&obj);
        for m in managers.iter_mut().filter(|m| m.subresource.as_deref() != Some("status")) {
            m.fields.retain(|p| leaves.contains_key(p));
        }
        managers.retain(|m| !m.fields.is_empty());
        let pending = (r.kind == "Deployment").then_some(self.rollout_polls);
        let mut entry = Entry { obj, managers, pending };
        if let Some(old_entry) = self.objects.get(key).filter(|o| unchanged(o, &entry)) {
            return render(old_entry); // a no-op write stores nothing, like the real server
        }
        if dry_run {
            return render(&Entry { obj: normalize(entry.obj), ..entry });
        }
        self.rv += 1;
        entry.obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        entry.obj = normalize(entry.obj);
        let rendered = render(&entry);
        self.objects.insert(key.clone(), entry);
        if r.kind == "Deployment" {
            self.sync_pods(key);
        }
        rendered
    }
}

/// True when a write would change neither the object nor its field ownership.
fn unchanged(old: &Entry, new: &Entry) -> bool {
    let signature = |e: &Entry| -> Vec<_> {
        e.managers.iter().map(|m| (m.name.clone(), m.operation, m.api_version.clone(), m.subresource.clone(), m.fields.clone())).collect()
    };
    old.obj == new.obj && signature(old) == signature(new)
}

/// The object as served: managedFields added to metadata.
fn render(e: &Entry) -> Value {
    let mut obj = e.obj.clone();
    let mf: Vec<Value> = e
        .managers
        .iter()
        .map(|m| {
            let mut v = json!({"manager": m.name, "operation": m.operation, "apiVersion": m.api_version, "time": m.time,
                "fieldsType": "FieldsV1", "fieldsV1": fields_v1(&m.fields)});
            if let Some(s) = &m.subresource {
                v["subresource"] = json!(s);
            }
            v
        })
        .collect();
    if !mf.is_empty() {
        obj["metadata"]["managedFields"] = Value::Array(mf);
    }
    obj
}

/// Canonical key order: apiVersion, kind, metadata (name, namespace, uid, ...), the rest, status.
fn normalize(obj: Value) -> Value {
    let Value::Object(mut m) = obj else { return obj };
    let mut out = Map::new();
    for k in ["apiVersion", "kind"] {
        if let Some(v) = m.remove(k) {
            out.insert(k.into(), v);
        }
    }
    if let Some(Value::Object(mut meta)) = m.remove("metadata") {
        let mut nm = Map::new();
        for k in [
            "name",
            "generateName",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
        ] {
            if let Some(v) = meta.remove(k) {
                nm.insert(k.into(), v);
            }
        }
        nm.extend(meta);
        out.insert("metadata".into(), Value::Object(nm));
    }
    let status = m.remove("status");
    out.extend(m);
    if let Some(s) = status {
        out.insert("status".into(), s);
    }
    Value::Object(out)
}

fn scale_of(obj: &Value) -> Value {
    let meta = &obj["metadata"];
    let selector = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"], "creationTimestamp": meta["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"]},
        "status": {"replicas": obj["status"]["replicas"].as_u64().unwrap_or(0), "selector": selector}})
}

/// Dotted-path lookup for field selectors (`metadata.name`, `status.phase`).
fn field_value(obj: &Value, path: &str) -> Option<String> {
    let v = path.split('.').try_fold(obj, |v, k| v.get(k))?;
    Some(v.as_str().map_or_else(|| v.to_string(), str::to_string))
}

// ---------------------------------------------------------------------------
// Field ownership and server-side apply
// ---------------------------------------------------------------------------

/// Keys of an associative list, decided by the field name and its items
/// (a list of objects without such keys is atomic).
fn list_keys(field: &str, items: &[Value]) -> Option<&'static [&'static str]> {
    if items.is_empty() || !items.iter().all(Value::is_object) {
        return None;
    }
    let all_have = |k: &str| items.iter().all(|i| i.get(k).is_some());
    match field {
        "ports" if all_have("containerPort") => Some(&["containerPort", "protocol"]),
        "ports" if all_have("port") => Some(&["port", "protocol"]),
        "volumeMounts" | "volumeDevices" if all_have("mountPath") => Some(&["mountPath"]),
        _ if all_have("name") => Some(&["name"]),
        _ => None,
    }
}

/// `k:{"containerPort":80,"protocol":"TCP"}` (protocol defaults to TCP).
fn key_token(item: &Value, keys: &[&str]) -> String {
    let mut m = Map::new();
    for k in keys {
        let v = match item.get(*k) {
            Some(v) => v.clone(),
            None if *k == "protocol" => json!("TCP"),
            None => Value::Null,
        };
        m.insert(k.to_string(), v);
    }
    format!("k:{}", Value::Object(m))
}

/// Leaf fields (scalars, atomic lists, empty maps) under management: everything
/// but apiVersion, kind, status and metadata other than labels and annotations.
fn managed_leaves(obj: &Value) -> BTreeMap<FieldPath, Value> {
    let mut out = BTreeMap::new();
    let Some(m) = obj.as_object() else { return out };
    for (k, v) in m {
        match k.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                for sub in ["labels", "annotations"] {
                    if let Some(x) = v.get(sub) {
                        collect_leaves(x, vec!["f:metadata".into(), format!("f:{sub}")], sub, &mut out);
                    }
                }
            }
            _ => collect_leaves(v, vec![format!("f:{k}")], k, &mut out),
        }
    }
    out
}

fn status_leaves(obj: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeMap::new();
    if let Some(s) = obj.get("status") {
        collect_leaves(s, vec!["f:status".into()], "status", &mut out);
    }
    out.into_keys().collect()
}

fn collect_leaves(v: &Value, path: FieldPath, field: &str, out: &mut BTreeMap<FieldPath, Value>) {
    match v {
        // Selectors are atomic, as in the real schema (Service `spec.selector`
        // is `x-kubernetes-map-type: atomic`, LabelSelector is an atomic struct).
        Value::Object(_) if field == "selector" => {
            out.insert(path, v.clone());
        }
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let mut p = path.clone();
                p.push(format!("f:{k}"));
                collect_leaves(x, p, k, out);
            }
        }
        Value::Array(items) => match list_keys(field, items) {
            Some(keys) => {
                for item in items {
                    let mut p = path.clone();
                    p.push(key_token(item, keys));
                    collect_leaves(item, p, field, out);
                }
            }
            None => {
                out.insert(path, v.clone());
            }
        },
        _ => {
            out.insert(path, v.clone());
        }
    }
}

/// The fieldsV1 tree of a set of leaf paths.
fn fields_v1(paths: &BTreeSet<FieldPath>) -> Value {
    let mut root = Map::new();
    for p in paths {
        let mut node = &mut root;
        for (i, tok) in p.iter().enumerate() {
            let child = node.entry(tok.clone()).or_insert_with(|| json!({}));
            let child = child.as_object_mut().expect("fieldsV1 node");
            if tok.starts_with("k:") && i + 1 < p.len() {
                child.entry(".").or_insert_with(|| json!({}));
            }
            node = child;
        }
    }
    Value::Object(root)
}

/// `.spec.template.spec.containers[name="web"].image`, as in conflict messages.
fn display_path(p: &FieldPath) -> String {
    let mut s = String::new();
    for tok in p {
        if let Some(f) = tok.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = tok.strip_prefix("k:") {
            let m: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
            let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!("[{}]", parts.join(",")));
        }
    }
    s
}

fn find_manager<'a>(managers: &'a mut Vec<Manager>, name: &str, op: &'static str, sub: Option<&str>) -> &'a mut Manager {
    let pos = managers.iter().position(|m| m.name == name && m.operation == op && m.subresource.as_deref() == sub);
    let pos = pos.unwrap_or_else(|| {
        managers.push(Manager {
            name: name.to_string(),
            operation: op,
            api_version: String::new(),
            time: String::new(),
            subresource: sub.map(str::to_string),
            fields: BTreeSet::new(),
        });
        managers.len() - 1
    });
    &mut managers[pos]
}

/// Ownership after a non-apply write: `manager` takes every changed or added
/// field; removed and taken fields leave their previous owners.
fn record_update(managers: &mut Vec<Manager>, manager: &str, api_version: &str, sub: Option<&str>, old: Option<&Value>, new: &Value) {
    let new_leaves = managed_leaves(new);
    let old_leaves = old.map(managed_leaves).unwrap_or_default();
    let changed: BTreeSet<FieldPath> = new_leaves.iter().filter(|(p, v)| old_leaves.get(*p) != Some(*v)).map(|(p, _)| p.clone()).collect();
    if changed.is_empty() && old_leaves.keys().all(|p| new_leaves.contains_key(p)) {
        return;
    }
    for m in managers.iter_mut() {
        m.fields.retain(|p| !changed.contains(p) && new_leaves.contains_key(p));
    }
    let m = find_manager(managers, manager, "Update", sub);
    m.fields.extend(changed);
    m.api_version = api_version.to_string();
    m.time = now_rfc3339();
    managers.retain(|m| !m.fields.is_empty());
}

/// Server-side apply of `config` by `manager` onto `live` (approximation of
/// structured-merge-diff): conflict detection, removal of fields the manager
/// stopped applying, merge, ownership update.
fn server_side_apply(
    live: &mut Value,
    managers: &mut Vec<Manager>,
    config: &Value,
    manager: &str,
    api_version: &str,
    force: bool,
) -> Result<(), Response> {
    let cfg_leaves = managed_leaves(config);
    let live_leaves = managed_leaves(live);
    let is_self = |m: &Manager| m.name == manager && m.operation == "Apply";
    let mut conflicts: Vec<(String, FieldPath)> = Vec::new(); // (printed manager, path)
    for (p, v) in &cfg_leaves {
        if live_leaves.get(p).is_some_and(|lv| lv != v) {
            for m in managers.iter().filter(|m| !is_self(m) && m.fields.contains(p)) {
                // As the apiserver's printManager: `"name" [with subresource "s"] [using v at time]`.
                let mut printed = format!("\"{}\"", m.name);
                if let Some(sub) = &m.subresource {
                    printed.push_str(&format!(" with subresource \"{sub}\""));
                }
                if m.operation == "Update" {
                    printed.push_str(&format!(" using {} at {}", m.api_version, m.time));
                }
                conflicts.push((printed, p.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(&conflicts));
    }
    for m in managers.iter_mut().filter(|m| !is_self(m)) {
        m.fields.retain(|p| !conflicts.iter().any(|(_, c)| c == p));
    }
    let previous = managers.iter().find(|m| is_self(m)).map(|m| m.fields.clone()).unwrap_or_default();
    let me = find_manager(managers, manager, "Apply", None);
    me.fields = cfg_leaves.keys().cloned().collect();
    me.api_version = api_version.to_string();
    me.time = now_rfc3339();
    // Fields this manager applied before, no longer applies, and nobody else owns.
    let dropped: Vec<FieldPath> =
        previous.iter().filter(|p| !cfg_leaves.contains_key(*p) && !managers.iter().any(|m| m.fields.contains(*p))).cloned().collect();
    // Drop the outermost list item in which nobody owns anything any more, else the leaf
    // (never an item's key field while the item stays).
    let owned_under = |prefix: &[String]| managers.iter().any(|m| m.fields.iter().any(|f| f.starts_with(prefix)));
    let mut targets: Vec<FieldPath> = Vec::new();
    for p in &dropped {
        let item = (0..p.len()).filter(|&i| p[i].starts_with("k:")).map(|i| &p[..=i]).find(|prefix| !owned_under(prefix));
        let is_key_field = p.len() >= 2
            && p[p.len() - 2].starts_with("k:")
            && p[p.len() - 1].strip_prefix("f:").is_some_and(|f| p[p.len() - 2].contains(&format!("\"{f}\":")));
        match item {
            Some(prefix) => targets.push(prefix.to_vec()),
            None if is_key_field => {}
            None => targets.push(p.clone()),
        }
    }
    targets.dedup();
    for t in &targets {
        remove_path(live, t, "");
    }
    merge_applied(live, config, "");
    managers.retain(|m| !m.fields.is_empty());
    Ok(())
}

fn conflict_error(conflicts: &[(String, FieldPath)]) -> Response {
    let message = if conflicts.len() == 1 {
        format!("Apply failed with 1 conflict: conflict with {}: {}", conflicts[0].0, display_path(&conflicts[0].1))
    } else {
        let mut by_manager: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (m, p) in conflicts {
            by_manager.entry(m).or_default().push(display_path(p));
        }
        let mut lines = Vec::new();
        for (m, paths) in by_manager {
            lines.push(format!("conflicts with {m}:"));
            lines.extend(paths.into_iter().map(|p| format!("- {p}")));
        }
        format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": display_path(p)}))
        .collect();
    status_failure(409, "Conflict", &message, Some(json!({"causes": causes})))
}

/// Removes the field at `path`, and maps and lists left empty by the removal.
fn remove_path(v: &mut Value, path: &[String], field: &str) {
    let Some((tok, rest)) = path.split_first() else { return };
    if let Some(f) = tok.strip_prefix("f:") {
        let Some(m) = v.as_object_mut() else { return };
        if rest.is_empty() {
            m.remove(f);
        } else if let Some(child) = m.get_mut(f) {
            remove_path(child, rest, f);
            if child.as_object().is_some_and(Map::is_empty) || child.as_array().is_some_and(Vec::is_empty) {
                m.remove(f);
            }
        }
    } else if let Some(items) = v.as_array_mut() {
        let Some(keys) = list_keys(field, items) else { return };
        let Some(pos) = items.iter().position(|i| key_token(i, keys) == *tok) else { return };
        if rest.is_empty() {
            items.remove(pos);
        } else {
            remove_path(&mut items[pos], rest, field);
        }
    }
}

/// Merges an applied configuration: maps recursively, associative lists by key, the rest replaced.
fn merge_applied(live: &mut Value, cfg: &Value, field: &str) {
    match (live, cfg) {
        (Value::Object(l), Value::Object(c)) if field != "selector" => {
            for (k, cv) in c {
                match l.get_mut(k) {
                    Some(lv) => merge_applied(lv, cv, k),
                    None => {
                        l.insert(k.clone(), cv.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(c)) if list_keys(field, c).is_some() && list_keys(field, l).is_some() => {
            let keys = list_keys(field, c).expect("checked");
            for ci in c {
                let tok = key_token(ci, keys);
                match l.iter_mut().find(|li| key_token(li, keys) == tok) {
                    Some(li) => merge_applied(li, ci, field),
                    None => l.push(ci.clone()),
                }
            }
        }
        (l, c) => *l = c.clone(),
    }
}

// ---------------------------------------------------------------------------
// Patches
// ---------------------------------------------------------------------------

fn patch_value(target: &Value, content_type: &str, body: &[u8]) -> Result<Value, Response> {
    let patch: Value = serde_json::from_slice(body).map_err(|e| bad_request(&format!("error decoding patch: {e}")))?;
    let mut out = target.clone();
    match content_type {
        "application/merge-patch+json" => merge_patch(&mut out, &patch),
        "application/strategic-merge-patch+json" => strategic_merge(&mut out, &patch, ""),
        "application/json-patch+json" => json_patch(&mut out, &patch).map_err(|e| status_failure(422, "Invalid", &e, None))?,
        _ => {
            return Err(status_failure(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
                None,
            ));
        }
    }
    Ok(out)
}

/// RFC 7386.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Approximate strategic merge: merge patch, but associative lists merge by key
/// and honour `$patch: delete|replace`; other `$` directives are dropped.
fn strategic_merge(target: &mut Value, patch: &Value, field: &str) {
    match patch {
        Value::Object(p) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                *target = strip_directives(patch);
                return;
            }
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p.iter().filter(|(k, _)| !k.starts_with('$')) {
                if v.is_null() {
                    t.remove(k);
                } else if let Some(tv) = t.get_mut(k) {
                    strategic_merge(tv, v, k);
                } else {
                    t.insert(k.clone(), strip_directives(v));
                }
            }
        }
        Value::Array(items) => {
            let keys = list_keys(field, items);
            let target_keyed = target.as_array().is_some_and(|t| list_keys(field, t) == keys);
            let (Some(keys), true) = (keys, target_keyed) else {
                *target = strip_directives(patch);
                return;
            };
            let t = target.as_array_mut().expect("array");
            for item in items {
                let tok = key_token(item, keys);
                let pos = t.iter().position(|x| key_token(x, keys) == tok);
                match (item.get("$patch").and_then(Value::as_str), pos) {
                    (Some("delete"), Some(i)) => {
                        t.remove(i);
                    }
                    (Some("delete"), None) => {}
                    (_, Some(i)) => strategic_merge(&mut t[i], item, field),
                    (_, None) => t.push(strip_directives(item)),
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        _ => v.clone(),
    }
}

/// RFC 6902: add, remove, replace, test, move, copy.
fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch.as_array().ok_or("json patch must be an array")?;
    for op in ops {
        let path = op["path"].as_str().ok_or("json patch operation without path")?;
        match op["op"].as_str().unwrap_or_default() {
            "add" => pointer_add(target, path, op["value"].clone())?,
            "remove" => drop(pointer_remove(target, path)?),
            "replace" => {
                let slot =
                    target.pointer_mut(path).ok_or_else(|| format!("replace operation does not apply: doc is missing key: {path}"))?;
                *slot = op["value"].clone();
            }
            "test" => {
                if target.pointer(path) != Some(&op["value"]) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            "move" | "copy" => {
                let from = op["from"].as_str().ok_or("move/copy without from")?;
                let v =
                    if op["op"] == "move" { pointer_remove(target, from)? } else { target.pointer(from).cloned().ok_or("missing from")? };
                pointer_add(target, path, v)?;
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

fn split_pointer(path: &str) -> Result<(String, String), String> {
    let (parent, last) = path.rsplit_once('/').ok_or_else(|| format!("invalid path {path}"))?;
    Ok((parent.to_string(), last.replace("~1", "/").replace("~0", "~")))
}

fn pointer_add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let (parent, last) = split_pointer(path)?;
    match target.pointer_mut(&parent) {
        Some(Value::Object(m)) => {
            m.insert(last, value);
        }
        Some(Value::Array(a)) if last == "-" => a.push(value),
        Some(Value::Array(a)) => {
            let i: usize = last.parse().map_err(|_| format!("invalid index {last}"))?;
            if i > a.len() {
                return Err(format!("add operation does not apply: index out of bounds: {path}"));
            }
            a.insert(i, value);
        }
        _ => return Err(format!("add operation does not apply: doc is missing path: \"{path}\": missing value")),
    }
    Ok(())
}

fn pointer_remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split_pointer(path)?;
    let missing = || format!("remove operation does not apply: doc is missing path: \"{path}\": missing value");
    match target.pointer_mut(&parent) {
        Some(Value::Object(m)) => m.remove(&last).ok_or_else(missing),
        Some(Value::Array(a)) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

// ---------------------------------------------------------------------------
// Defaulting
// ---------------------------------------------------------------------------

/// The object at `path`, if every step exists and it is an object (never inserts).
fn at<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| v.get_mut(*k)).filter(|v| v.is_object())
}

fn set_default(m: &mut Value, key: &str, v: Value) {
    if let Some(obj) = m.as_object_mut() {
        obj.entry(key.to_string()).or_insert(v);
    }
}

fn initial_status(kind: &str) -> Option<Value> {
    match kind {
        "Namespace" => Some(json!({"phase": "Active"})),
        "Service" => Some(json!({"loadBalancer": {}})),
        "Pod" => Some(json!({"phase": "Pending", "qosClass": "BestEffort"})),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" => Some(json!({})),
        _ => None,
    }
}

impl State {
    /// Server-side defaulting by kind; `old` carries over allocated fields (Service IPs).
    fn default_object(&mut self, kind: &str, obj: &mut Value, old: Option<&Value>) {
        let defaults: &[(&str, Value)] = match kind {
            "Deployment" => &[("replicas", json!(1)), ("revisionHistoryLimit", json!(10)), ("progressDeadlineSeconds", json!(600))],
            "StatefulSet" => &[
                ("replicas", json!(1)),
                ("revisionHistoryLimit", json!(10)),
                ("podManagementPolicy", json!("OrderedReady")),
                ("updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})),
            ],
            "ReplicaSet" => &[("replicas", json!(1))],
            "DaemonSet" => &[("revisionHistoryLimit", json!(10))],
            "Job" => &[("backoffLimit", json!(6)), ("completions", json!(1)), ("parallelism", json!(1))],
            "CronJob" => &[
                ("concurrencyPolicy", json!("Allow")),
                ("suspend", json!(false)),
                ("successfulJobsHistoryLimit", json!(3)),
                ("failedJobsHistoryLimit", json!(1)),
            ],
            _ => &[],
        };
        if let Some(spec) = at(obj, &["spec"]) {
            for (k, v) in defaults {
                set_default(spec, k, v.clone());
            }
        }
        let pod_spec: &[&str] = match kind {
            "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet" | "Job" => &["spec", "template", "spec"],
            "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
            "Pod" => &["spec"],
            _ => &[],
        };
        if let Some(spec) = at(obj, pod_spec).filter(|_| !pod_spec.is_empty()) {
            default_pod_spec(spec);
        }
        match kind {
            "Deployment" => {
                if let Some(spec) = at(obj, &["spec"]) {
                    set_default(spec, "strategy", json!({}));
                    let strategy = &mut spec["strategy"];
                    set_default(strategy, "type", json!("RollingUpdate"));
                    if strategy["type"] == "RollingUpdate" {
                        set_default(strategy, "rollingUpdate", json!({}));
                        set_default(&mut strategy["rollingUpdate"], "maxSurge", json!("25%"));
                        set_default(&mut strategy["rollingUpdate"], "maxUnavailable", json!("25%"));
                    }
                }
            }
            "Service" => self.default_service(obj, old),
            "Secret" => {
                if let Some(Value::Object(sd)) = obj.as_object_mut().and_then(|m| m.remove("stringData")) {
                    set_default(obj, "data", json!({}));
                    for (k, v) in sd {
                        obj["data"][k.as_str()] = json!(base64(v.as_str().unwrap_or_default().as_bytes()));
                    }
                }
                set_default(obj, "type", json!("Opaque"));
            }
            "Namespace" => {
                let name = obj["metadata"]["name"].clone();
                set_default(&mut obj["metadata"], "labels", json!({}));
                obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
                set_default(obj, "spec", json!({"finalizers": ["kubernetes"]}));
            }
            _ => {}
        }
    }

    fn default_service(&mut self, obj: &mut Value, old: Option<&Value>) {
        let Some(spec) = at(obj, &["spec"]) else { return };
        set_default(spec, "type", json!("ClusterIP"));
        set_default(spec, "sessionAffinity", json!("None"));
        if spec["type"] != "ExternalName" {
            let ip = match old.map(|o| &o["spec"]["clusterIP"]) {
                Some(Value::String(ip)) => ip.clone(),
                _ => {
                    let n = self.next_seq();
                    format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 2)
                }
            };
            set_default(spec, "clusterIP", json!(ip));
            let ip = spec["clusterIP"].clone();
            set_default(spec, "clusterIPs", json!([ip]));
            set_default(spec, "ipFamilies", json!(["IPv4"]));
            set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
            set_default(spec, "internalTrafficPolicy", json!("Cluster"));
        }
        if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
            for p in ports {
                set_default(p, "protocol", json!("TCP"));
                let port = p["port"].clone();
                set_default(p, "targetPort", port);
            }
        }
    }
}

fn default_pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "securityContext", json!({}));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    for list in ["containers", "initContainers"] {
        for c in spec.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            default_container(c);
        }
    }
}

fn default_container(c: &mut Value) {
    let image = c["image"].as_str().unwrap_or_default();
    let last = image.rsplit('/').next().unwrap_or_default();
    let pull = if image.contains('@') || (last.contains(':') && !last.ends_with(":latest")) { "IfNotPresent" } else { "Always" };
    set_default(c, "imagePullPolicy", json!(pull));
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    set_default(c, "resources", json!({}));
    for p in c.get_mut("ports").and_then(Value::as_array_mut).into_iter().flatten() {
        set_default(p, "protocol", json!("TCP"));
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let Some(p) = at(c, &[probe]) else { continue };
        set_default(p, "timeoutSeconds", json!(1));
        set_default(p, "periodSeconds", json!(10));
        set_default(p, "successThreshold", json!(1));
        set_default(p, "failureThreshold", json!(3));
        if let Some(http) = at(p, &["httpGet"]) {
            set_default(http, "scheme", json!("HTTP"));
        }
    }
}

// ---------------------------------------------------------------------------
// Deployment controller
// ---------------------------------------------------------------------------

impl State {
    /// Counts one read of a Deployment; once its stale reads are used up the
    /// status catches up with the spec.
    fn observe(&mut self, key: &Key) {
        let Some(e) = self.objects.get_mut(key) else { return };
        match e.pending {
            None => return,
            Some(n) if n > 0 => {
                e.pending = Some(n - 1);
                return;
            }
            Some(_) => e.pending = None,
        }
        let now = now_rfc3339();
        e.obj["status"] = deployment_status(&e.obj, &now);
        self.rv += 1;
        e.obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let m = find_manager(&mut e.managers, "kube-controller-manager", "Update", Some("status"));
        m.fields = status_leaves(&e.obj);
        m.api_version = "apps/v1".into();
        m.time = now;
    }

    /// Keeps exactly spec.replicas pods of the current template for a Deployment.
    fn sync_pods(&mut self, key: &Key) {
        let Some(d) = self.objects.get(key).map(|e| e.obj.clone()) else { return };
        let uid = d["metadata"]["uid"].clone();
        let template = d["spec"]["template"].clone();
        let hash = template_hash(&template);
        let replicas = d["spec"]["replicas"].as_u64().unwrap_or(1) as usize;
        let pod_idx = idx_of("Pod");
        let owned: Vec<(Key, bool)> = self
            .objects
            .iter()
            .filter(|(k, e)| k.0 == pod_idx && k.1 == key.1 && e.obj["metadata"]["ownerReferences"][0]["uid"] == uid)
            .map(|(k, e)| (k.clone(), e.obj["metadata"]["labels"]["pod-template-hash"] == hash.as_str()))
            .collect();
        let mut current = 0;
        for (k, up_to_date) in owned {
            if up_to_date && current < replicas {
                current += 1;
            } else {
                self.remove(&k);
            }
        }
        for _ in current..replicas {
            let suffix = random_suffix(self.next_seq());
            let name = format!("{}-{hash}-{suffix}", key.2);
            let mut labels = template["metadata"]["labels"].clone();
            set_default(&mut labels, "pod-template-hash", json!(hash));
            let mut spec = template["spec"].clone();
            spec["nodeName"] = json!("fake-node");
            let pod = json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": key.1, "labels": labels,
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": key.2, "uid": uid,
                        "controller": true, "blockOwnerDeletion": true}]},
                "spec": spec});
            let pkey = (pod_idx, key.1.clone(), name);
            let mut managers = Vec::new();
            record_update(&mut managers, "kube-controller-manager", "v1", None, None, &pod);
            self.commit(&pkey, pod, managers, false);
            let n = self.next_seq();
            if let Some(e) = self.objects.get_mut(&pkey) {
                e.obj["status"] = running_pod_status(&e.obj, n);
                let m = find_manager(&mut e.managers, "kubelet", "Update", Some("status"));
                m.fields = status_leaves(&e.obj);
                m.api_version = "v1".into();
                m.time = now_rfc3339();
            }
        }
    }
}

fn deployment_status(d: &Value, now: &str) -> Value {
    let n = d["spec"]["replicas"].as_u64().unwrap_or(1);
    let rs = format!("{}-{}", d["metadata"]["name"].as_str().unwrap_or_default(), template_hash(&d["spec"]["template"]));
    let mut s = json!({"observedGeneration": d["metadata"]["generation"]});
    if n > 0 {
        for f in ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"] {
            s[f] = json!(n);
        }
    }
    s["conditions"] = json!([
        {"type": "Available", "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
        {"type": "Progressing", "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{rs}\" has successfully progressed.")}]);
    s
}

fn running_pod_status(pod: &Value, n: u64) -> Value {
    let now = now_rfc3339();
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!({"name": c["name"], "image": c["image"], "imageID": format!("{}@sha256:{:064x}", c["image"].as_str().unwrap_or_default(), n),
                "containerID": format!("containerd://{:064x}", n), "ready": true, "restartCount": 0, "started": true,
                "state": {"running": {"startedAt": now}}, "lastState": {}})
        })
        .collect();
    let conds: Vec<Value> = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        .iter()
        .map(|t| json!({"type": t, "status": "True", "lastProbeTime": null, "lastTransitionTime": now}))
        .collect();
    let ip = format!("10.244.{}.{}", (n / 250) % 250, n % 250 + 2);
    json!({"phase": "Running", "conditions": conds, "hostIP": "172.18.0.2", "hostIPs": [{"ip": "172.18.0.2"}],
        "podIP": ip, "podIPs": [{"ip": ip}], "startTime": now, "containerStatuses": statuses, "qosClass": "BestEffort"})
}

// ---------------------------------------------------------------------------
// Label and field selectors
// ---------------------------------------------------------------------------

enum Requirement {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Requirement {
    fn matches(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        match self {
            Requirement::Eq(k, v) => lookup(k).as_deref() == Some(v),
            Requirement::Ne(k, v) => lookup(k).as_deref() != Some(v),
            Requirement::In(k, vs) => lookup(k).is_some_and(|x| vs.contains(&x)),
            Requirement::NotIn(k, vs) => lookup(k).is_none_or(|x| !vs.contains(&x)),
            Requirement::Exists(k) => lookup(k).is_some(),
            Requirement::NotExists(k) => lookup(k).is_none(),
        }
    }
}

/// Parses `a=b,c!=d,e,!f,g in (h,i),j notin (k)`.
fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&s[start..]);
    let mut out = Vec::new();
    for term in terms.into_iter().map(str::trim).filter(|t| !t.is_empty()) {
        let bad = || format!("unable to parse requirement: found '{term}', expected: in, notin, =, ==, !=, gt, lt");
        let req = if let Some(k) = term.strip_prefix('!') {
            Requirement::NotExists(k.trim().to_string())
        } else if let Some(open) = term.find('(') {
            let head = term[..open].trim();
            let values: Vec<String> =
                term[open + 1..].trim_end_matches(')').split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
            if let Some(k) = head.strip_suffix("notin") {
                Requirement::NotIn(k.trim().to_string(), values)
            } else if let Some(k) = head.strip_suffix("in") {
                Requirement::In(k.trim().to_string(), values)
            } else {
                return Err(bad());
            }
        } else if let Some((k, v)) = term.split_once("!=") {
            Requirement::Ne(k.trim().to_string(), v.trim().to_string())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            Requirement::Eq(k.trim().to_string(), v.trim().to_string())
        } else if term.contains(char::is_whitespace) {
            return Err(bad());
        } else {
            Requirement::Exists(term.to_string())
        };
        out.push(req);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Small helpers: time, ids, hashes, base64
// ---------------------------------------------------------------------------

fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days).
fn rfc3339(secs: u64) -> String {
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn process_salt() -> u64 {
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *START.get_or_init(|| {
        let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        mix(t ^ u64::from(std::process::id()) ^ Instant::now().elapsed().as_nanos() as u64)
    })
}

fn new_uid(seq: u64) -> String {
    let (a, b) = (mix(seq ^ process_salt()), mix(seq.wrapping_add(1) ^ process_salt().rotate_left(17)));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn encode_safe(mut h: u64, len: usize) -> String {
    (0..len)
        .map(|_| {
            let c = SAFE_ALPHABET[(h % SAFE_ALPHABET.len() as u64) as usize] as char;
            h /= SAFE_ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn random_suffix(seq: u64) -> String {
    encode_safe(mix(seq ^ process_salt()), 5)
}

/// 10-character pod-template-hash (FNV-1a of the template's JSON).
fn template_hash(template: &Value) -> String {
    let h = template.to_string().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    encode_safe(h, 10)
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(template_hash(&json!({"a": 1})).len(), 10);
    }

    #[test]
    fn selectors() {
        let labels = json!({"app": "web", "tier": "front"});
        let look = |k: &str| labels.get(k).and_then(Value::as_str).map(str::to_string);
        let ok = |s: &str| parse_selector(s).unwrap().iter().all(|r| r.matches(look));
        assert!(ok("app=web,tier"));
        assert!(ok("app==web,!missing,tier in (a,front),app notin (db)"));
        assert!(!ok("app!=web"));
        assert!(!ok("tier notin (front)"));
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let mut t = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        let p = json!({"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "a", "$patch": "delete"}]}});
        strategic_merge(&mut t, &p, "");
        assert_eq!(t, json!({"spec": {"containers": [{"name": "b", "image": "z"}]}}));
    }
}
