//! Live commands against a real control plane: etcd, kube-apiserver and
//! kube-controller-manager, started by tests/apiserver/run.sh (built from the
//! Go module proxy and cached outside the clone, as controller-runtime's
//! envtest does). There is no kubelet: a loop in this harness marks the pods
//! of a test's namespace Ready through the `pods/status` subresource, so
//! Deployments roll out (or, when a test turns the loop off, never do).
//!
//! The server comes from `KUBECTL_STRATEGY_APISERVER` (a kubeconfig written by
//! `run.sh start`, as .ci/run does); without it, the tests start their own
//! (building the binaries first if Go is installed and they are not cached),
//! and it stops when the test process ends. With
//! `KUBECTL_STRATEGY_REQUIRE_TOOLS=1` a missing server fails the tests.

use crate::bin;
use crate::ci::{assert_valid_sarif, tool};
use kubectl_strategy::live::print::strip;
use kubectl_strategy::live::{Conn, ConnOptions};
use serde_json::{Value as J, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const SECRET_VALUE: &str = "hunter2-do-not-print";

/// The server's kubeconfig (contexts `admin`, `nobody`, `viewer`).
struct Server {
    kubeconfig: PathBuf,
}

fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if let Some(k) = std::env::var_os("KUBECTL_STRATEGY_APISERVER").filter(|k| !k.is_empty()) {
                let kubeconfig = PathBuf::from(k);
                assert!(kubeconfig.exists(), "KUBECTL_STRATEGY_APISERVER={} does not exist", kubeconfig.display());
                return Some(Server { kubeconfig });
            }
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apiserver/run.sh");
            let etcd =
                Command::new("etcd").arg("--version").output().is_ok_and(|o| o.status.success()) || Path::new("/usr/bin/etcd").exists();
            let go = Command::new("go").arg("version").output().is_ok_and(|o| o.status.success());
            let mut built = Command::new(&script).arg("built").status().is_ok_and(|s| s.success());
            if !built && go && etcd {
                // Once per machine (cached outside the clone): about 10 minutes on two cores.
                eprintln!(
                    "building kube-apiserver and kube-controller-manager from the Go module proxy (once; see tests/apiserver/run.sh)"
                );
                built = Command::new(&script).arg("build").status().is_ok_and(|s| s.success());
            }
            if !built || !etcd || !tool("kubectl") {
                crate::skip(
                    "a real kube-apiserver",
                    "set KUBECTL_STRATEGY_APISERVER, or install Go and etcd so that tests/apiserver/run.sh can build and start one",
                );
                return None;
            }
            let dir = std::env::temp_dir().join(format!("kubectl-strategy-apiserver-{}", std::process::id()));
            let out = Command::new(&script)
                .arg("start")
                .arg(&dir)
                .env("KUBE_STOP_WITH_PID", std::process::id().to_string())
                .output()
                .expect("run.sh start");
            assert!(out.status.success(), "run.sh start failed: {}", String::from_utf8_lossy(&out.stderr));
            Some(Server { kubeconfig: dir.join("kubeconfig") })
        })
        .as_ref()
}

/// One test's share of the server: its own namespace, project folder and
/// kubeconfig (whose contexts point at that namespace), and the loop that
/// marks its pods Ready.
pub struct Cluster {
    pub ns: String,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    /// Whether the harness marks new pods Ready (a kubelet stand-in).
    pub ready: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["delete", "namespace", &self.ns, "--wait=false"])
            .output();
    }
}

impl Cluster {
    /// `None` (the test skips) when no server can be had.
    pub fn new(name: &str) -> Option<Cluster> {
        let server = server()?;
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let ns = format!("{name}-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::SeqCst));
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        let text = std::fs::read_to_string(&server.kubeconfig).unwrap();
        std::fs::write(&kubeconfig, text.replace("namespace: default", &format!("namespace: {ns}"))).unwrap();
        let c = Cluster { ns, dir, kubeconfig, ready: Arc::new(AtomicBool::new(true)), stop: Arc::new(AtomicBool::new(false)) };
        let (code, _, err) = c.kubectl(&["create", "namespace", &c.ns], &[]);
        assert_eq!(code, 0, "{err}");
        let app = c.path("deploy");
        std::fs::create_dir_all(&app).unwrap();
        let talk = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/strategies/talk/api-status.yaml")).unwrap();
        std::fs::write(app.join("api-status.yaml"), talk).unwrap();
        std::fs::write(
            app.join("secret.yaml"),
            format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-status-db\nstringData:\n  password: {SECRET_VALUE}\n  user: api\n"
            ),
        )
        .unwrap();
        c.mark_pods_ready();
        Some(c)
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// A connection as the admin, for the harness's own calls.
    fn conn(kubeconfig: &Path, ns: &str) -> Conn {
        Conn::connect(&ConnOptions {
            kubeconfig: Some(kubeconfig.to_string_lossy().into_owned()),
            context: None,
            namespace: Some(ns.to_string()),
            request_timeout: None,
            chunk_size: 500,
            verbose: 0,
        })
        .unwrap()
    }

    /// The kubelet's part: pods of this namespace become Running and Ready
    /// (with a pod IP, so EndpointSlices list them) while `ready` is set.
    fn mark_pods_ready(&self) {
        let (kubeconfig, ns, ready, stop) = (self.kubeconfig.clone(), self.ns.clone(), self.ready.clone(), self.stop.clone());
        std::thread::spawn(move || {
            let conn = Cluster::conn(&kubeconfig, &ns);
            let mut ip = 0u32;
            while !stop.load(Ordering::SeqCst) {
                if ready.load(Ordering::SeqCst)
                    && let Ok(list) = conn.call(http::Method::GET, &format!("/api/v1/namespaces/{ns}/pods"), None, Vec::new())
                {
                    for pod in list["items"].as_array().into_iter().flatten() {
                        let is_ready = pod["status"]["conditions"]
                            .as_array()
                            .is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
                        if is_ready || pod["metadata"]["deletionTimestamp"].is_string() {
                            continue;
                        }
                        ip += 1;
                        let addr = format!("10.{}.{}.{}", (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
                        let now = "2026-01-01T00:00:00Z";
                        let patch = json!({"status": {
                            "phase": "Running",
                            "podIP": addr,
                            "podIPs": [{"ip": addr}],
                            "conditions": [
                                {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
                                {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                                {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
                                {"type": "Ready", "status": "True", "lastTransitionTime": now},
                            ],
                        }});
                        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
                        let _ = conn.call(
                            http::Method::PATCH,
                            &format!("/api/v1/namespaces/{ns}/pods/{name}/status"),
                            Some("application/merge-patch+json"),
                            serde_json::to_vec(&patch).unwrap(),
                        );
                    }
                }
                std::thread::sleep(Duration::from_millis(150));
            }
        });
    }

    /// Runs kubectl-strategy with this cluster's kubeconfig.
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = bin();
        cmd.current_dir(self.dir.path()).args(args);
        if !args.contains(&"--kubeconfig") {
            cmd.arg("--kubeconfig").arg(&self.kubeconfig);
        }
        let out = cmd.env("KUBECTL_STRATEGY_POLL_MS", "100").env_remove("KUBECONFIG").output().unwrap();
        let r = crate::outcome(&out);
        assert!(!r.1.contains("admin-") && !r.2.contains("admin-"), "the token leaked: {r:?}");
        r
    }

    pub fn kubectl(&self, args: &[&str], env: &[(&str, &Path)]) -> (i32, String, String) {
        let mut c = Command::new("kubectl");
        c.current_dir(self.dir.path()).arg("--kubeconfig").arg(&self.kubeconfig).args(args).env_remove("KUBECONFIG");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        crate::outcome(&out)
    }

    /// `kubectl get KIND NAME -o json`; `None` when it does not exist.
    pub fn get(&self, kind: &str, name: &str) -> Option<J> {
        let (code, out, err) = self.kubectl(&["get", kind, name, "-o", "json", "--ignore-not-found"], &[]);
        assert_eq!(code, 0, "{err}");
        (!out.trim().is_empty()).then(|| serde_json::from_str(&out).unwrap())
    }

    pub fn deployment(&self, name: &str) -> Option<J> {
        self.get("deployment.apps", name)
    }

    /// Waits (up to 60 s) until `f` holds.
    pub fn eventually(&self, what: &str, f: impl Fn() -> bool) {
        let started = Instant::now();
        while !f() {
            assert!(started.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Applies the project's manifests with kubectl (server-side or client-side) and waits for the rollout.
    pub fn kubectl_apply(&self, server_side: bool) {
        let mut args = vec!["apply", "-f", "deploy"];
        if server_side {
            args.push("--server-side");
        }
        let (code, _, err) = self.kubectl(&args, &[]);
        assert_eq!(code, 0, "{err}");
        self.rolled_out(&["api-status"]);
    }

    /// Waits until each Deployment has rolled out (`kubectl rollout status`).
    pub fn rolled_out(&self, deployments: &[&str]) {
        for d in deployments {
            let (code, _, err) = self.kubectl(&["rollout", "status", &format!("deployment/{d}"), "--timeout", "60s"], &[]);
            assert_eq!(code, 0, "{err}");
        }
    }
}

fn replicas(d: &J) -> i64 {
    d["spec"]["replicas"].as_i64().unwrap()
}

fn image(d: &J) -> String {
    d["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap().to_string()
}

/// kubectl's view of one object: the file it wrote for the external diff, as JSON.
fn kubectl_side(dir: &Path, key: &str) -> Option<J> {
    let text = std::fs::read_to_string(dir.join(key)).ok().filter(|t| !t.trim().is_empty())?;
    let doc = kubectl_strategy::manifest::parse::parse_stream(&text).remove(0);
    let mut v = kubectl_strategy::manifest::json::to_json(&doc.result.unwrap());
    strip(&mut v);
    // kubectl writes `null` for an absent Secret (its masker's output).
    (!v.is_null()).then_some(v)
}

/// Runs our diff and `kubectl diff --server-side` on the same manifests; both
/// must agree on the exit code and, object by object, on the live and the
/// planned object. Returns the exit code.
fn assert_agrees_with_kubectl(c: &Cluster, extra: &[&str]) -> i32 {
    assert_agrees_with_kubectl_on(c, "deploy", extra)
}

fn assert_agrees_with_kubectl_on(c: &Cluster, dir: &str, extra: &[&str]) -> i32 {
    let mut ours_args = vec!["diff", dir, "-o", "json"];
    ours_args.extend(extra);
    let (code, out, err) = c.run(&ours_args);
    let ours: J = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let capture = c.path("kubectl-diff");
    let _ = std::fs::remove_dir_all(&capture);
    let script = c.path("capture-diff.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nmkdir -p {0} && cp -r \"$1\" {0}/live && cp -r \"$2\" {0}/merged\ndiff -u -N \"$1\" \"$2\"\n",
            capture.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("755").arg(&script).status().unwrap();
    let mut theirs = vec!["diff", "--server-side", "-f", dir];
    theirs.extend(extra);
    let (kcode, kout, kerr) = c.kubectl(&theirs, &[("KUBECTL_EXTERNAL_DIFF", &script)]);
    assert_eq!(code, kcode, "exit codes differ: ours {code} ({err}{out}), kubectl {kcode} ({kerr}{kout})");
    if kcode != 1 {
        return code;
    }
    for o in ours["objects"].as_array().unwrap() {
        let key = kubectl_strategy::live::print::object_key(
            o["apiVersion"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
            o["namespace"].as_str(),
            o["name"].as_str().unwrap(),
        );
        let live = kubectl_side(&capture.join("live"), &key);
        let mut merged = kubectl_side(&capture.join("merged"), &key);
        let mut planned = o["planned"].clone();
        assert_eq!(live.as_ref(), o["live"].as_object().map(|_| &o["live"]), "{key}: live objects differ");
        if live.is_none() {
            // Each dry-run create allocates its own cluster IP and node ports.
            for v in [merged.as_mut(), Some(&mut planned)].into_iter().flatten() {
                if let Some(spec) = v["spec"].as_object_mut() {
                    spec.remove("clusterIP");
                    spec.remove("clusterIPs");
                    spec.remove("healthCheckNodePort");
                    for port in spec.get_mut("ports").and_then(J::as_array_mut).into_iter().flatten() {
                        if let Some(p) = port.as_object_mut() {
                            p.remove("nodePort");
                        }
                    }
                }
            }
        }
        assert_eq!(merged.as_ref(), Some(&planned), "{key}: planned objects differ");
    }
    code
}

#[test]
fn diff_agrees_with_kubectl_absent_applied_changed_and_secrets() {
    let Some(c) = Cluster::new("diff") else { return };
    // Nothing in the cluster: every object is an addition.
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 1, "{err}");
    let key = format!("apps.v1.Deployment.{}.api-status", c.ns);
    assert!(out.contains(&format!("--- live/{key}\n+++ planned/{key}\tfield manager kubectl-strategy\n@@ -0,0 +1,")), "{out}");
    assert!(!out.contains(SECRET_VALUE) && out.contains("password: '***'"), "{out}");
    for server_set in ["managedFields", "resourceVersion", "uid:", "generation:", "creationTimestamp", "\n+status:"] {
        assert!(!out.contains(server_set), "{server_set} in {out}");
    }
    assert_eq!(assert_agrees_with_kubectl(&c, &[]), 1);
    // Applied by kubectl (server-side): nothing differs, for either.
    c.kubectl_apply(true);
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(assert_agrees_with_kubectl(&c, &[]), 0);
    // A change to the Deployment and to the Secret.
    let file = c.path("deploy/api-status.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("replicas: 4", "replicas: 5").replace("api-status:1.0.0", "api-status:1.1.0")).unwrap();
    let secret = c.path("deploy/secret.yaml");
    std::fs::write(&secret, std::fs::read_to_string(&secret).unwrap().replace(SECRET_VALUE, "another-value")).unwrap();
    let (code, out, err) = c.run(&["diff", "deploy", "--field-manager", "kubectl"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("-  replicas: 4\n+  replicas: 5\n"), "{out}");
    assert!(out.contains("-      - image: ghcr.io/example/api-status:1.0.0\n+      - image: ghcr.io/example/api-status:1.1.0\n"), "{out}");
    assert!(out.contains("-  password: '*** (before)'\n+  password: '*** (after)'\n"), "{out}");
    assert!(!out.contains("another-value") && !out.contains(SECRET_VALUE), "{out}");
    assert!(!out.contains("Service"), "the Service is unchanged: {out}");
    assert_eq!(assert_agrees_with_kubectl(&c, &["--field-manager", "kubectl"]), 1);
    // Nothing was written by any diff.
    assert_eq!(replicas(&c.deployment("api-status").unwrap()), 4);
}

const CANARY: [&str; 9] =
    ["apply", "canary", "deployment/api-status", "deploy", "--steps", "25,50", "--image", "ghcr.io/example/api-status:2.0.0", "--live"];

#[test]
fn canary_live_steps_promote_and_status() {
    let Some(c) = Cluster::new("canary") else { return };
    // Created by client-side `kubectl apply`: taking fields over needs --force-conflicts.
    c.kubectl_apply(false);
    let (code, _, err) = c.run(&CANARY);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("owned by field manager `kubectl-client-side-apply`") && err.contains("--force-conflicts"), "{err}");
    // A server-side dry run shows the first step and changes nothing.
    let mut a = CANARY.to_vec();
    a.extend(["--force-conflicts", "--dry-run", "server", "--exit-code"]);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("Step 1 (server-side dry run; nothing is changed)") && out.contains("+        app.kubernetes.io/name: api-status"),
        "{out}"
    );
    assert!(c.deployment("api-status-canary").is_none());
    // Steps 1 (relabel, waits for the rollout) and 2 (25 %: 3 + 1), then it stops for a judgement.
    let mut a = CANARY.to_vec();
    a.extend(["--force-conflicts", "--write"]);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("deployment/api-status rolled out"), "{err}");
    assert!(out.contains("Stopped after step 2"), "{out}");
    let stable = c.deployment("api-status").unwrap();
    let can = c.deployment("api-status-canary").unwrap();
    assert_eq!((replicas(&stable), replicas(&can)), (3, 1));
    assert_eq!(image(&can), "ghcr.io/example/api-status:2.0.0");
    assert_eq!(image(&stable), "ghcr.io/example/api-status:1.0.0");
    assert!(std::fs::read_to_string(c.path("deploy/api-status.yaml")).unwrap().contains("name: api-status-canary"));
    // The EndpointSlice controller has to list the ready pods first.
    c.eventually("4 ready endpoints", || c.run(&["status", "deployment/api-status"]).1.contains("25% of ready endpoints"));
    let (code, out, err) = c.run(&["status", "deployment/api-status"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("api-status-canary") && out.contains("4 of 4 pods ready"), "{out}");
    // Step 3: 50 % (2 + 2).
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!((replicas(&c.deployment("api-status").unwrap()), replicas(&c.deployment("api-status-canary").unwrap())), (2, 2));
    let (code, out, _) = c.run(&a);
    assert_eq!(code, 0);
    assert!(out.contains("Nothing to do"), "{out}");
    // Promote: the canary's image into stable with all replicas, then the canary goes.
    let (code, out, err) = c.run(&["promote", "deployment/api-status", "deploy", "--live", "--write", "--force-conflicts"]);
    assert_eq!(code, 0, "{out}{err}");
    let stable = c.deployment("api-status").unwrap();
    assert_eq!((replicas(&stable), image(&stable)), (4, "ghcr.io/example/api-status:2.0.0".to_string()));
    assert!(c.deployment("api-status-canary").is_none());
    c.eventually("a healthy status", || c.run(&["status", "deployment/api-status"]).0 == 0);
    let (_, out, _) = c.run(&["status", "deployment/api-status", "-o", "json"]);
    let v: J = serde_json::from_str(&out).unwrap();
    assert_eq!(v["tracks"].as_array().unwrap().len(), 1, "{v}");
}

#[test]
fn canary_rollback_removes_the_canary() {
    let Some(c) = Cluster::new("rollback") else { return };
    c.kubectl_apply(true);
    // kubectl owns the replicas: step 2 (3 + 1) conflicts, step 1 (labels only) does not. The dry
    // run shows step 1's diff first, then step 2's conflict.
    let mut d = CANARY.to_vec();
    d.extend(["--dry-run", "server"]);
    let (code, out, err) = c.run(&d);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("Step 1 (server-side dry run; nothing is changed)") && out.contains("+        app.kubernetes.io/name: api-status"),
        "{out}"
    );
    assert!(err.contains("step 2 cannot be applied: conflict") && err.contains("field manager `kubectl`"), "{err}");
    assert!(err.contains("a later step may need --force-conflicts again"), "{err}");
    let mut a = CANARY.to_vec();
    a.extend(["--force-conflicts", "--write"]);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 0, "{out}{err}");
    assert!(c.deployment("api-status-canary").is_some());
    let (code, out, err) = c.run(&["rollback", "deployment/api-status", "deploy", "--live", "--write", "--force-conflicts"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(c.deployment("api-status-canary").is_none());
    let stable = c.deployment("api-status").unwrap();
    assert_eq!((replicas(&stable), image(&stable)), (4, "ghcr.io/example/api-status:1.0.0".to_string()));
}

#[test]
fn blue_green_live_switches_the_service_and_back() {
    let Some(c) = Cluster::new("bluegreen") else { return };
    c.kubectl_apply(false);
    let bg = [
        "apply",
        "blue-green",
        "deployment/api-status",
        "deploy",
        "--image",
        "ghcr.io/example/api-status:2.0.0",
        "--live",
        "--write",
        "--force-conflicts",
    ];
    let (code, out, err) = c.run(&bg);
    assert_eq!(code, 0, "{out}{err}");
    let svc = || c.get("service", "api-status").unwrap()["spec"]["selector"].clone();
    assert_eq!(svc()["app"], "api-status-blue");
    assert!(c.deployment("api-status").is_none(), "the original Deployment is retired");
    assert_eq!(image(&c.deployment("api-status-green").unwrap()), "ghcr.io/example/api-status:2.0.0");
    c.eventually("the Service's endpoints", || {
        c.run(&["status", "deployment/api-status"]).1.contains("routes to api-status-blue (4 of 4 pods ready)\n")
    });
    let (code, out, err) = c.run(&["promote", "deployment/api-status", "deploy", "--live", "--write"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(svc()["app"], "api-status-green");
    let (code, out, err) = c.run(&["rollback", "deployment/api-status", "deploy", "--live", "--write"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(svc()["app"], "api-status-blue");
}

#[test]
fn a_timed_out_step_resumes_its_wait_on_rerun() {
    let Some(c) = Cluster::new("resume") else { return };
    c.kubectl_apply(true);
    // No pod becomes ready any more: step 1's rollout cannot finish.
    c.ready.store(false, Ordering::SeqCst);
    let mut a = CANARY.to_vec();
    a.extend(["--force-conflicts", "--timeout", "3s"]);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("timed out after 3 s waiting for deployment/api-status"), "{err}");
    // The re-run waits for step 1 again instead of going on to step 2.
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("1. [wait]") && out.contains("step 1 was applied but its Deployments have not rolled out yet"), "{out}");
    assert!(err.contains("timed out after 3 s waiting for deployment/api-status"), "{err}");
    assert!(c.deployment("api-status-canary").is_none(), "step 2 must not run before step 1 is done");
    // Pods get ready: step 1 finishes.
    c.ready.store(true, Ordering::SeqCst);
    let mut one = a.clone();
    one.extend(["--step", "1"]);
    let (code, out, err) = c.run(&one);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Step 1 is live"), "{out}");
    // Step 2 times out half-way: the canary is created, the Service is not yet changed.
    c.ready.store(false, Ordering::SeqCst);
    let selector = || c.get("service", "api-status").unwrap()["spec"]["selector"].clone();
    let before = selector();
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("timed out after 3 s waiting for deployment/api-status-canary"), "{err}");
    assert_eq!(selector(), before, "the Service follows only after the wait");
    // The re-run knows that half-way state: step 2 waits again (before, it started at step 1).
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("1. [live]") && out.contains("2. [wait]") && !out.contains("matches no state"), "{out}");
    assert_eq!((replicas(&c.deployment("api-status").unwrap()), replicas(&c.deployment("api-status-canary").unwrap())), (3, 1));
    // Pods get ready: the re-run finishes step 2 (the Service too) and stops for a judgement.
    c.ready.store(true, Ordering::SeqCst);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Stopped after step 2"), "{out}");
    assert_ne!(selector(), before);
    assert_eq!((replicas(&c.deployment("api-status").unwrap()), replicas(&c.deployment("api-status-canary").unwrap())), (3, 1));
    // Step 3 times out half-way (workloads applied, then the wait); the re-run resumes step 3, not step 1.
    c.ready.store(false, Ordering::SeqCst);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("timed out"), "{err}");
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("1. [live]") && out.contains("2. [live]") && out.contains("3. [wait]"), "{out}");
    assert_eq!((replicas(&c.deployment("api-status").unwrap()), replicas(&c.deployment("api-status-canary").unwrap())), (2, 2));
    c.ready.store(true, Ordering::SeqCst);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 0, "{out}{err}");
    // The pods may be ready before the run looks: then step 3 is already done.
    assert!(
        out.contains("Done: every step of the plan is live") || out.contains("Nothing to do: the cluster already runs every step"),
        "{out}"
    );
    assert_eq!((replicas(&c.deployment("api-status").unwrap()), replicas(&c.deployment("api-status-canary").unwrap())), (2, 2));
}

#[test]
fn values_go_to_the_server_as_the_file_has_them() {
    let Some(c) = Cluster::new("values") else { return };
    // `true` and `1.10` unquoted are a boolean and a number: the server refuses them as label values, for kubectl and for us.
    let file = c.path("deploy/api-status.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("  labels:\n    app: api-status\n", "  labels:\n    app: api-status\n    canary: true\n    version: 1.10\n", 1),
    )
    .unwrap();
    let (kcode, _, kerr) = c.kubectl(&["diff", "--server-side", "-f", "deploy"], &[]);
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!((code, kcode), (2, 2), "ours: {out}{err}; kubectl: {kerr}");
    assert!(err.contains("api-status.yaml:3:") && err.contains("expected string"), "{err}");
    let (code, _, err) = c.run(&["apply", "rolling", "deployment/api-status", "deploy", "--live"]);
    assert_eq!(code, 2, "{err}");
    assert!(c.deployment("api-status").is_none(), "nothing was created");
    // Quoted, they are strings, and go through.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file).unwrap().replace("canary: true", "canary: \"true\"").replace("version: 1.10", "version: \"1.10\""),
    )
    .unwrap();
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("+    canary: \"true\"") && out.contains("+    version: \"1.10\""), "{out}");
    // A wrong field type is the server's to judge, as for kubectl: `2.0` is taken as 2, `"3"` refused.
    let text = std::fs::read_to_string(&file).unwrap();
    for (replicas, expected) in [("replicas: 2.0", 1), ("replicas: \"3\"", 2)] {
        std::fs::write(&file, text.replace("replicas: 4", replicas)).unwrap();
        let (kcode, _, kerr) = c.kubectl(&["diff", "--server-side", "-f", "deploy"], &[]);
        let (code, out, err) = c.run(&["diff", "deploy"]);
        assert_eq!((code, kcode), (expected, expected), "{replicas}: ours {out}{err}; kubectl {kerr}");
    }
    // A duplicate key: the document cannot be read, so it is not sent (kubectl takes one of the values).
    std::fs::write(&file, text.replace("replicas: 4", "replicas: 4\n  replicas: 5")).unwrap();
    let (code, _, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("duplicate key `replicas`"), "{err}");
}

#[test]
fn lint_cluster_pages_through_long_lists_and_sees_crds() {
    let Some(c) = Cluster::new("lintcluster") else { return };
    install_crds(&c);
    // 25 Deployments without probes, listed 10 at a time.
    let mut many = String::new();
    for i in 0..25 {
        many.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bare-{i}\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {{app: bare-{i}}}\n  template:\n    metadata:\n      labels: {{app: bare-{i}}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n"
        ));
    }
    many.push_str("---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: ro\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: ro}\n  template:\n    metadata:\n      labels: {app: ro}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n  strategy:\n    canary:\n      steps:\n      - setWeight: 20\n");
    std::fs::write(c.path("many.yaml"), &many).unwrap();
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "-f", "many.yaml"], &[]);
    assert_eq!(code, 0, "{err}");
    // The controller annotates each new Deployment (its revision): wait, or a diff could catch it half-way.
    let (code, _, err) = c.kubectl(&["wait", "--for", "condition=Available", "deployment", "--all", "--timeout", "60s"], &[]);
    assert_eq!(code, 0, "{err}");
    // diff pages nothing (one GET per object), but sees the CRD kind; unchanged objects differ in nothing.
    let (code, out, err) = c.run(&["diff", "many.yaml", "--field-manager", "kubectl"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (code, out, err) = c.run(&["lint", "--cluster", "-A", "--chunk-size", "10", "-o", "json", "-v", "6"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&"limit=10&continue=".to_string()), "a second page was asked for: {err}");
    let v: J = serde_json::from_str(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let names: std::collections::BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "readiness-probe-missing" && f["object"]["namespace"] == c.ns.as_str())
        .filter_map(|f| f["object"]["name"].as_str())
        .collect();
    assert_eq!(names.len(), 26, "every Deployment and the Rollout: {names:?}");
    assert!(names.contains("ro"), "{names:?}");
}

#[test]
fn diff_errors_name_the_object_and_the_cause() {
    let Some(c) = Cluster::new("differrors") else { return };
    // Client-side apply keeps the Secret's values in its last-applied annotation: masked too.
    c.kubectl_apply(false);
    let (_, out, err) = c.run(&["diff", "deploy", "-o", "json"]);
    assert!(!out.contains(SECRET_VALUE) && !err.contains(SECRET_VALUE), "{out}{err}");
    // A document with a kind and no apiVersion cannot be sent: an error, the rest is compared.
    std::fs::write(c.path("deploy/half.yaml"), "kind: ConfigMap\nmetadata:\n  name: half\n").unwrap();
    let (code, _, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 2);
    assert!(err.contains("half.yaml:1: the document has no apiVersion"), "{err}");
    std::fs::remove_file(c.path("deploy/half.yaml")).unwrap();
    // An unknown kind is an error for that object only.
    std::fs::write(c.path("deploy/widget.yaml"), "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n").unwrap();
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("widget.yaml:1: the server at https://127.0.0.1:")
            && err.contains("has no resource for kind Widget in example.com/v1"),
        "{err}"
    );
    std::fs::remove_file(c.path("deploy/widget.yaml")).unwrap();
    // 403 for a user with the `view` role: which verb on which resource, with the server's reason.
    let (code, _, err) = c.run(&["diff", "deploy", "--context", "viewer"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("forbidden: not allowed to patch deployments.apps \"api-status\" in namespace {} (403)", c.ns)), "{err}");
    assert!(err.contains("cannot patch resource \"deployments\""), "the server's reason is kept: {err}");
    // The viewer may read rollouts; a user without rights may not.
    let (code, out, err) = c.run(&["status", "deployment/api-status", "--context", "viewer"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = c.run(&["status", "deployment/api-status", "--context", "nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("forbidden") && err.contains("(403)"), "{err}");
    // 401: the credentials were refused; the token is never printed (Cluster::run asserts it).
    let other = c.path("other-kubeconfig");
    std::fs::write(&other, std::fs::read_to_string(&c.kubeconfig).unwrap().replace("token: admin-", "token: wrong-")).unwrap();
    let (code, _, err) = c.run(&["diff", "deploy", "--kubeconfig", other.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("rejected the credentials of context admin (401 Unauthorized)"), "{err}");
    // -v logs requests without bodies or credentials.
    let (_, _, err) = c.run(&["diff", "deploy", "-v", "6"]);
    assert!(err.contains("GET https://127.0.0.1:") && err.contains("/apis/apps/v1 200"), "{err}");
    assert!(err.contains("PATCH https://127.0.0.1:") && err.contains("dryRun=All"), "{err}");
    assert!(!err.contains(SECRET_VALUE) && !err.contains("aHVudGVy"), "{err}");
}

#[test]
fn lint_cluster_locates_findings_by_object() {
    let Some(c) = Cluster::new("lintobjects") else { return };
    std::fs::write(
        c.path("bare.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bare\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: bare}\n  template:\n    metadata:\n      labels: {app: bare}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 80\n",
    )
    .unwrap();
    let (code, _, err) = c.kubectl(&["apply", "-f", "bare.yaml"], &[]);
    assert_eq!(code, 0, "{err}");
    c.eventually("the Deployment's pods", || c.kubectl(&["get", "pods", "-o", "name"], &[]).1.lines().count() == 2);
    let (code, out, err) = c.run(&["lint", "--cluster", "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: J = serde_json::from_str(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let probe = findings.iter().find(|f| f["rule"] == "readiness-probe-missing").expect("readiness-probe-missing");
    assert_eq!((&probe["file"], &probe["line"]), (&J::Null, &J::Null));
    assert_eq!(probe["object"], json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": c.ns, "name": "bare"}));
    assert_eq!(probe["path"], "/spec/template/spec/containers/0/name");
    assert!(findings.iter().all(|f| f["object"]["namespace"] == c.ns.as_str()), "only the context's namespace");
    // The Pods and the ReplicaSet the controllers made are checked through the Deployment, not one by one.
    assert!(findings.iter().all(|f| f["object"]["kind"] == "Deployment"), "{out}");
    let (_, out, _) = c.run(&["lint", "--cluster", "-o", "sarif"]);
    let sarif: J = serde_json::from_str(&out).unwrap();
    let loc = &sarif["runs"][0]["results"][0]["locations"][0];
    let fqn = format!("{}/apps/v1/Deployment/bare/", c.ns);
    assert!(loc["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap().starts_with(&fqn), "{loc}");
    assert_valid_sarif(&sarif);
    let (_, out, _) = c.run(&["lint", "--cluster"]);
    assert!(
        out.contains(&format!(
            "--> Deployment/bare in namespace {}, field /spec/template/spec/containers/0/name (context admin (https://127.0.0.1:",
            c.ns
        )),
        "{out}"
    );
}

#[test]
fn diff_of_client_side_applied_objects_agrees_with_kubectl_last_applied_too() {
    let Some(c) = Cluster::new("clientside") else { return };
    c.kubectl_apply(false);
    let file = c.path("deploy/api-status.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("replicas: 4", "replicas: 5")).unwrap();
    // kubectl-client-side-apply owns the replicas; as field manager `kubectl` neither kubectl nor we
    // meet a conflict (the server lets kubectl's manager take over client-side-applied fields).
    let (kcode, _, kerr) = c.kubectl(&["diff", "--server-side", "-f", "deploy"], &[]);
    let (code, out, err) = c.run(&["diff", "deploy", "--field-manager", "kubectl"]);
    assert_eq!((code, kcode), (1, 1), "ours: {out}{err}; kubectl: {kerr}");
    assert!(out.contains("-  replicas: 4\n+  replicas: 5\n") && !err.contains("conflict"), "{out}{err}");
    // As `kubectl-strategy`, changing that field is a conflict: shown forced, with a warning.
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("-  replicas: 4\n+  replicas: 5\n"), "{out}");
    assert!(err.contains("applying would conflict") && err.contains("`kubectl-client-side-apply`"), "{err}");
    let (code, out, err) = c.run(&["diff", "deploy", "-o", "json", "--field-manager", "kubectl", "--force-conflicts"]);
    assert_eq!(code, 1, "{err}");
    let ours: J = serde_json::from_str(&out).unwrap();
    let capture = c.path("kubectl-diff");
    let script = c.path("capture-diff.sh");
    std::fs::write(&script, format!("#!/bin/sh\nmkdir -p {0} && cp -r \"$2\" {0}/merged\nexit 1\n", capture.display())).unwrap();
    Command::new("chmod").arg("755").arg(&script).status().unwrap();
    let (kcode, _, kerr) =
        c.kubectl(&["diff", "--server-side", "--force-conflicts", "-f", "deploy"], &[("KUBECTL_EXTERNAL_DIFF", &script)]);
    assert_eq!(kcode, 1, "{kerr}");
    const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
    for o in ours["objects"].as_array().unwrap().iter().filter(|o| o["kind"] == "Deployment") {
        let key = kubectl_strategy::live::print::object_key("apps/v1", "Deployment", Some(&c.ns), "api-status");
        let merged = kubectl_side(&capture.join("merged"), &key).unwrap();
        let planned = &o["planned"];
        let theirs = merged["metadata"]["annotations"][LAST_APPLIED].clone();
        // The server rewrites the annotation from the object sent, for kubectl and for us alike.
        assert!(theirs.as_str().unwrap().contains("\"replicas\":5"), "{theirs}");
        assert_eq!(&merged, planned, "kubectl and we agree, the last-applied annotation too");
    }
}

/// Held-out manifests: a sample of real-world files (namespaced kinds, no
/// namespace of their own, no name twice), compared with kubectl absent and
/// after kubectl applied them. Jobs are left out: each dry-run create gives
/// them a new controller-uid selector.
#[test]
fn diff_agrees_with_kubectl_on_real_world_manifests() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-world");
    if !crate::require(corpus.is_dir(), "../shared/corpus/real-world", "check out the shared corpus beside the repository") {
        return;
    }
    let Some(c) = Cluster::new("realworld") else { return };
    const KINDS: &[&str] = &[
        "Deployment",
        "Service",
        "ConfigMap",
        "StatefulSet",
        "DaemonSet",
        "CronJob",
        "ServiceAccount",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "Role",
        "RoleBinding",
        "NetworkPolicy",
        "PersistentVolumeClaim",
    ];
    let mut files: Vec<PathBuf> = walk(&corpus).into_iter().filter(|p| p.extension().is_some_and(|e| e == "yaml")).collect();
    files.sort();
    let mut seen = std::collections::BTreeSet::new();
    let target = c.path("rw");
    std::fs::create_dir_all(&target).unwrap();
    let mut taken = 0;
    for f in files.iter().step_by(7) {
        let path = f.to_string_lossy().into_owned();
        let (objects, errors) = kubectl_strategy::live::read_objects(std::slice::from_ref(&path));
        let ok = errors.is_empty()
            && !objects.is_empty()
            && objects.iter().all(|o| {
                KINDS.contains(&o.json["kind"].as_str().unwrap_or_default())
                    && o.json["metadata"]["namespace"].is_null()
                    && o.json["metadata"]["name"].is_string()
                    && o.json["metadata"]["generateName"].is_null()
            });
        let keys: Vec<String> = objects.iter().map(|o| format!("{}/{}", o.json["kind"], o.json["metadata"]["name"])).collect();
        // Files the server refuses (a missing namespace, an invalid field) say nothing here.
        if !ok || keys.iter().any(|k| seen.contains(k)) || c.kubectl(&["diff", "--server-side", "-f", &path], &[]).0 > 1 {
            continue;
        }
        seen.extend(keys);
        std::fs::copy(f, target.join(format!("{taken:02}.yaml"))).unwrap();
        taken += 1;
        if taken == 25 {
            break;
        }
    }
    assert!(taken >= 10, "only {taken} files fit");
    eprintln!("{taken} real-world files compared with kubectl diff");
    assert_eq!(assert_agrees_with_kubectl_on(&c, "rw", &[]), 1);
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "-f", "rw"], &[]);
    assert_eq!(code, 0, "{err}");
    // The controllers annotate what they own: wait until they have seen the workloads.
    let _ = c.kubectl(&["wait", "--for", "jsonpath={.status.observedGeneration}=1", "deployment", "--all", "--timeout", "30s"], &[]);
    assert_eq!(assert_agrees_with_kubectl_on(&c, "rw", &["--field-manager", "kubectl"]), 0);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Argo Rollout and ServiceMonitor, installed as CustomResourceDefinitions.
fn install_crds(c: &Cluster) {
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apiserver/crds.yaml");
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "-f", crds.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = c
        .kubectl(&["wait", "--for", "condition=Established", "crd/rollouts.argoproj.io", "crd/servicemonitors.monitoring.coreos.com"], &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn argo_rollout_promote_and_rollback_live_send_what_the_plugin_sends() {
    let Some(c) = Cluster::new("argo") else { return };
    install_crds(&c);
    let dir = c.path("ro");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("web.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  replicas: 4\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n  strategy:\n    canary:\n      steps:\n      - setWeight: 25\n      - pause: {}\n      - setWeight: 50\n      - pause: {}\n",
    )
    .unwrap();
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "-f", "ro/web.yaml"], &[]);
    assert_eq!(code, 0, "{err}");
    // No controller runs here: the test writes the status it would, paused at the first pause step.
    let pause_at_step_1 = r#"{"status":{"currentStepIndex":1,"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-11-30T00:00:00Z"}],"currentPodHash":"new","stableRS":"old"}}"#;
    let patch = |sub: Option<&str>, p: &str| {
        let mut a = vec!["patch", "rollouts.argoproj.io", "web", "--type", "merge", "-p", p];
        if let Some(s) = sub {
            a.extend(["--subresource", s]);
        }
        let (code, _, err) = c.kubectl(&a, &[]);
        assert_eq!(code, 0, "{err}");
    };
    patch(Some("status"), pause_at_step_1);
    let state = || {
        let r = c.get("rollouts.argoproj.io", "web").unwrap();
        serde_json::json!({"spec": r["spec"], "status": r["status"]})
    };
    let before = state();
    // Without --live: the command to run, nothing sent.
    let (code, out, err) = c.run(&["promote", "rollout/web", "ro"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("`kubectl argo rollouts promote web`"), "{out}");
    // A server-side dry run changes nothing (exit 1 with --exit-code: it would).
    let (code, out, err) = c.run(&["promote", "rollout/web", "ro", "--live", "--dry-run", "server", "--exit-code"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(state(), before);
    // promote: the pause conditions go (status subresource), nothing else changes.
    let (code, out, err) = c.run(&["promote", "rollout/web", "ro", "--live"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rollout 'web' promoted"), "{out}");
    let mut want = before.clone();
    want["status"].as_object_mut().unwrap().remove("pauseConditions");
    assert_eq!(state(), want);
    // Paused by hand as well (spec.paused): unpaused too.
    patch(None, r#"{"spec":{"paused":true}}"#);
    patch(Some("status"), pause_at_step_1);
    let mut want = state();
    want["spec"]["paused"] = false.into();
    want["status"].as_object_mut().unwrap().remove("pauseConditions");
    let (code, out, err) = c.run(&["promote", "rollout/web", "ro", "--live"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(state(), want);
    // --full: status.promoteFull, nothing else.
    let mut want = state();
    want["status"]["promoteFull"] = true.into();
    let (code, out, err) = c.run(&["promote", "rollout/web", "ro", "--live", "--full"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rollout 'web' fully promoted"), "{out}");
    assert_eq!(state(), want);
    // rollback: abort (status.abort), nothing else; again: nothing to do.
    let mut want = state();
    want["status"]["abort"] = true.into();
    let (code, out, err) = c.run(&["rollback", "rollout/web", "ro", "--live"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rollout 'web' aborted"), "{out}");
    assert_eq!(state(), want);
    let (code, out, _) = c.run(&["rollback", "rollout/web", "ro", "--live"]);
    assert!(code == 0 && out.contains("Nothing to do"), "{out}");
    assert_eq!(state(), want);
    // --full needs --live and a Rollout.
    let (code, _, err) = c.run(&["promote", "rollout/web", "ro", "--full"]);
    assert_eq!(code, 2, "{err}");
}

/// Every namespaced kind the server lists (as kubectl finds them), as the path
/// of its collection in the test's namespace: all that a live command could
/// touch. Events are left out: the controller-manager writes them on its own
/// schedule (a rollout's ScalingReplicaSet), and the tool writes none (it has
/// no code for them); any write the tool made moves the object it wrote.
fn listable_kinds(c: &Cluster) -> Vec<String> {
    let (code, out, err) = c.kubectl(&["api-resources", "--verbs=list", "--namespaced", "-o", "wide", "--no-headers"], &[]);
    assert_eq!(code, 0, "{err}");
    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS [CATEGORIES]
    let is_version = |t: &str| {
        let v = t.rsplit('/').next().unwrap_or_default();
        v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit())
    };
    let mut paths = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let t: Vec<&str> = line.split_whitespace().collect();
        let at = t.iter().position(|t| is_version(t)).unwrap_or_else(|| panic!("no API version in {line}"));
        if t[at + 2] == "Event" {
            continue;
        }
        let root = if t[at] == "v1" { "/api/v1".to_string() } else { format!("/apis/{}", t[at]) };
        paths.push(format!("{root}/namespaces/{}/{}", c.ns, t[0]));
    }
    for k in ["/deployments", "/replicasets", "/pods", "/services", "/configmaps", "/secrets", "/endpointslices"] {
        assert!(paths.iter().any(|p| p.ends_with(k)), "{k} not listed: {out}");
    }
    paths
}

/// The `resourceVersion` of every object of the test's namespace (of the
/// kinds' `paths`) and of the Namespace itself, as the server lists them:
/// `collection name -> version`.
fn versions(c: &Cluster, paths: &[String]) -> std::collections::BTreeMap<String, String> {
    let conn = Cluster::conn(&c.kubeconfig, &c.ns);
    let mut v = std::collections::BTreeMap::new();
    let ns = conn.call(http::Method::GET, &format!("/api/v1/namespaces/{}", c.ns), None, Vec::new()).unwrap();
    v.insert(format!("namespaces {}", c.ns), ns["metadata"]["resourceVersion"].as_str().unwrap().to_string());
    for path in paths {
        let list = conn.call(http::Method::GET, path, None, Vec::new()).unwrap_or_else(|e| panic!("GET {path}: {e:?}"));
        for o in list["items"].as_array().unwrap() {
            let key = format!("{} {}", path.rsplit('/').next().unwrap(), o["metadata"]["name"].as_str().unwrap());
            v.insert(key, o["metadata"]["resourceVersion"].as_str().unwrap().to_string());
        }
    }
    v
}

/// The project's files and their bytes (a dry run writes no file either, even with --write).
fn project_files(c: &Cluster) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walk(c.dir.path()).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

/// A namespace at rest, to run commands that promise to change nothing.
struct AtRest {
    paths: Vec<String>,
    versions: std::collections::BTreeMap<String, String>,
    files: std::collections::BTreeMap<PathBuf, Vec<u8>>,
}

impl AtRest {
    /// Waits until the controllers are done with the namespace (pods created
    /// and marked Ready, statuses and EndpointSlices updated): listings agree
    /// for a second. Pods are in the listing: the harness marks only new pods
    /// Ready and the controller-manager leaves settled ones alone, so a pod
    /// that moves in a dry run's window is one the tool caused (a new
    /// ReplicaSet's, or a deleted Deployment's).
    fn new(c: &Cluster, paths: Vec<String>) -> AtRest {
        let started = Instant::now();
        let mut last = versions(c, &paths);
        let mut same_since = Instant::now();
        while same_since.elapsed() < Duration::from_millis(1000) {
            std::thread::sleep(Duration::from_millis(250));
            let now = versions(c, &paths);
            if now != last {
                assert!(started.elapsed() < Duration::from_secs(60), "the namespace does not settle: {last:?} then {now:?}");
                last = now;
                same_since = Instant::now();
            }
        }
        AtRest { paths, versions: last, files: project_files(c) }
    }

    /// Runs a command that promises to change nothing, with `-v 6` so that its
    /// requests are logged: each write it sends must be a dry run
    /// (`dryRun=All`) and it must have asked the server something (`writes`: at
    /// least one dry-run write; otherwise only reads); afterwards no object of
    /// the namespace and no file has moved. Returns the exit code, stdout and
    /// the rest of stderr.
    fn run(&self, c: &Cluster, args: &[&str], writes: bool) -> (i32, String, String) {
        let mut a = args.to_vec();
        a.extend(["-v", "6"]);
        let (code, out, err) = c.run(&a);
        let requests: Vec<&str> =
            err.lines().filter(|l| ["GET ", "PATCH ", "POST ", "PUT ", "DELETE "].iter().any(|m| l.starts_with(m))).collect();
        let sent: Vec<&&str> = requests.iter().filter(|l| !l.starts_with("GET ")).collect();
        for l in &sent {
            assert!(l.contains("?dryRun=All") || l.contains("&dryRun=All"), "{args:?} sent a write that is not a dry run: {l}");
        }
        if writes {
            assert!(!sent.is_empty(), "{args:?} asked the server for no dry run: {err}{out}");
        } else {
            assert!(sent.is_empty() && !requests.is_empty(), "{args:?} should only read: {err}");
        }
        let after = versions(c, &self.paths);
        let moved: Vec<String> = self
            .versions
            .keys()
            .chain(after.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|k| self.versions.get(*k) != after.get(*k))
            .map(|k| format!("{k}: {:?} -> {:?}", self.versions.get(k), after.get(k)))
            .collect();
        assert!(moved.is_empty(), "{args:?} changed the cluster:\n{}\n{out}{err}", moved.join("\n"));
        assert!(project_files(c) == self.files, "{args:?} changed the project's files");
        let rest: String = err.lines().filter(|l| !requests.contains(l)).map(|l| format!("{l}\n")).collect();
        (code, out, rest)
    }
}

/// Every live command that promises to change nothing: `--live --dry-run
/// server` of every strategy, of promote and rollback (a canary, a blue/green
/// switch, an Argo Rollout), `diff` (plain, JSON, forced), `status` and `lint
/// --cluster` (one namespace and all). The server says what it would do, and
/// after each command no object of the namespace (pods included) nor any file
/// has moved.
#[test]
fn live_dry_runs_change_nothing() {
    let Some(c) = Cluster::new("dryrun") else { return };
    install_crds(&c);
    // A second app, `shop`, already blue/green in its files (the Service on blue), applied that way.
    let shop = c.path("shop");
    std::fs::create_dir_all(&shop).unwrap();
    let talk = std::fs::read_to_string(c.path("deploy/api-status.yaml")).unwrap();
    std::fs::write(shop.join("shop.yaml"), talk.replace("api-status", "shop")).unwrap();
    let bg = ["apply", "blue-green", "deployment/shop", "shop", "--image", "ghcr.io/example/shop:2.0.0", "--write"];
    for _ in 0..3 {
        let (code, out, err) = c.run(&bg);
        assert_eq!(code, 0, "{out}{err}");
    }
    // An Argo Rollout paused at its first pause step (no Argo controller runs: the test writes its status).
    std::fs::create_dir_all(c.path("ro")).unwrap();
    std::fs::write(
        c.path("ro/web.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n  strategy:\n    canary:\n      steps:\n      - setWeight: 50\n      - pause: {}\n",
    )
    .unwrap();
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "-f", "deploy", "-f", "shop", "-f", "ro"], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = c.kubectl(
        &[
            "patch",
            "rollouts.argoproj.io",
            "web",
            "--type",
            "merge",
            "--subresource",
            "status",
            "-p",
            r#"{"status":{"currentStepIndex":1,"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-11-30T00:00:00Z"}]}}"#,
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    c.rolled_out(&["api-status", "shop-blue", "shop-green"]);
    let kinds = listable_kinds(&c);
    assert!(kinds.iter().any(|k| k.ends_with("/rollouts")), "{kinds:?}");

    // Each dry run: its exit code (--exit-code: 1, it would change something) and what the server answered.
    let check = |rest: &AtRest, args: &[&str], code: i32, says: &[&str]| {
        let (got, out, err) = rest.run(&c, args, true);
        assert_eq!(got, code, "{args:?}: {out}{err}");
        for s in says {
            assert!(out.contains(s), "{args:?} does not say {s:?}: {out}{err}");
        }
    };
    let dry = ["--live", "--dry-run", "server", "--exit-code", "--write"];
    let new = "ghcr.io/example/api-status:2.0.0";
    let rest = AtRest::new(&c, kinds.clone());
    let step1 = "Step 1 (server-side dry run; nothing is changed)";
    // kubectl's field manager: the fields Recreate no longer sets are dropped (as another manager it would keep
    // rollingUpdate, which the server refuses beside Recreate).
    check(
        &rest,
        &[&["apply", "recreate", "deployment/api-status", "deploy", "--field-manager", "kubectl"][..], &dry].concat(),
        1,
        &[step1, "-    type: RollingUpdate\n+    type: Recreate\n"],
    );
    check(
        &rest,
        &[&["apply", "rolling", "deployment/api-status", "deploy", "--max-surge", "1", "--force-conflicts"][..], &dry].concat(),
        1,
        &[step1, "-      maxSurge: 25%\n+      maxSurge: 1\n"],
    );
    // The new Deployments as the server would create them (its defaults included); a later step's deletion is
    // checked too (a dry-run DELETE).
    check(
        &rest,
        &[&["apply", "blue-green", "deployment/api-status", "deploy", "--image", new, "--force-conflicts"][..], &dry].concat(),
        1,
        &[step1, "+++ planned/apps.v1.Deployment.", "+  progressDeadlineSeconds: 600\n"],
    );
    check(
        &rest,
        &[&["apply", "canary", "deployment/api-status", "deploy", "--steps", "25,50", "--image", new, "--force-conflicts"][..], &dry]
            .concat(),
        1,
        &[step1, "+        app.kubernetes.io/name: api-status"],
    );
    check(
        &rest,
        &[&["promote", "deployment/shop", "shop", "--force-conflicts"][..], &dry].concat(),
        1,
        &[step1, "-    app: shop-blue\n+    app: shop-green\n"],
    );
    check(
        &rest,
        &["promote", "rollout/web", "ro", "--live", "--dry-run", "server", "--exit-code"],
        1,
        &["Server-side dry run: rollout/web would be promoted; nothing was changed."],
    );
    check(
        &rest,
        &["rollback", "rollout/web", "ro", "--live", "--dry-run", "server", "--exit-code"],
        1,
        &["Server-side dry run: rollout/web would be aborted; nothing was changed."],
    );

    // A canary half-way (steps 1 and 2 written and applied with kubectl): the next step, promote and
    // rollback; shop promoted (written and applied): its rollback.
    let canary = ["apply", "canary", "deployment/api-status", "deploy", "--steps", "25,50", "--image", new, "--write"];
    for _ in 0..2 {
        let (code, out, err) = c.run(&canary);
        assert_eq!(code, 0, "{out}{err}");
    }
    let (code, out, err) = c.run(&["promote", "deployment/shop", "shop", "--write"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "--force-conflicts", "-f", "deploy", "-f", "shop"], &[]);
    assert_eq!(code, 0, "{err}");
    c.rolled_out(&["api-status", "api-status-canary"]);
    std::fs::create_dir_all(c.path("changed")).unwrap();
    let text = std::fs::read_to_string(c.path("deploy/api-status.yaml")).unwrap();
    std::fs::write(c.path("changed/api-status.yaml"), text.replacen("replicas: 3", "replicas: 5", 1)).unwrap();
    let rest = AtRest::new(&c, kinds);
    check(
        &rest,
        &[&canary[..8], &["--force-conflicts"], &dry].concat(),
        1,
        &["Step 3 (server-side dry run; nothing is changed)", "+  replicas: 2\n"],
    );
    check(&rest, &[&["promote", "deployment/api-status", "deploy", "--force-conflicts"][..], &dry].concat(), 1, &[step1]);
    check(
        &rest,
        &[&["rollback", "deployment/api-status", "deploy", "--force-conflicts"][..], &dry].concat(),
        1,
        &[step1, "-  replicas: 3\n+  replicas: 4\n"],
    );
    check(
        &rest,
        &[&["rollback", "deployment/shop", "shop", "--force-conflicts"][..], &dry].concat(),
        1,
        &[step1, "-    app: shop-green\n+    app: shop-blue\n"],
    );
    // diff (of files that change the stable Deployment), status, lint --cluster: in the same window.
    let (code, out, err) = rest.run(&c, &["diff", "changed"], true);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("-  replicas: 3\n+  replicas: 5\n"), "{out}");
    let (code, out, err) = rest.run(&c, &["diff", "changed", "-o", "json", "--force-conflicts", "--field-manager", "kubectl"], true);
    assert_eq!(code, 1, "{out}{err}");
    let v: J = serde_json::from_str(&out).unwrap();
    let dep = v["objects"].as_array().unwrap().iter().find(|o| o["kind"] == "Deployment").unwrap();
    assert_eq!((&dep["live"]["spec"]["replicas"], &dep["planned"]["spec"]["replicas"]), (&json!(3), &json!(5)), "{out}");
    // status and lint --cluster read only.
    let (code, out, err) = rest.run(&c, &["status", "deployment/api-status"], false);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("routes to api-status (3 of 3 pods ready, 75% of ready endpoints), api-status-canary (1 of 1 pods ready, 25% of ready endpoints)"), "{out}");
    let (code, out, err) = rest.run(&c, &["status", "deployment/shop", "-o", "json"], false);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(serde_json::from_str::<J>(&out).unwrap()["services"][0]["tracks"][0]["name"], "shop-green", "{out}");
    let (code, out, err) = rest.run(&c, &["lint", "--cluster"], false);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("warning[pdb-missing]: Deployment/api-status") && out.contains(&format!("in namespace {}", c.ns)), "{out}");
    let (code, out, err) = rest.run(&c, &["lint", "--cluster", "-A", "-o", "json"], false);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("\"rule\": \"pdb-missing\""), "{out}");
}

/// `GET` of one of the namespace's collections (`pods`, `apps/v1/replicasets`, …), with a label
/// selector evaluated by the server; the items, terminating ones aside.
fn list_in(conn: &Conn, c: &Cluster, what: &str, selector: Option<&str>) -> Vec<J> {
    let (group, kind) = what.rsplit_once('/').map_or(("api/v1", what), |(g, k)| (g, k));
    let group = if group == "api/v1" { group.to_string() } else { format!("apis/{group}") };
    let mut path = format!("/{group}/namespaces/{}/{kind}", c.ns);
    if let Some(s) = selector {
        path.push_str(&format!("?labelSelector={s}"));
    }
    let list = conn.call(http::Method::GET, &path, None, Vec::new()).unwrap_or_else(|e| panic!("GET {path}: {e:?}"));
    list["items"].as_array().unwrap().iter().filter(|o| o["metadata"]["deletionTimestamp"].is_null()).cloned().collect()
}

fn selector_string(selector: &J) -> String {
    let sel: Vec<String> = selector.as_object().unwrap().iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap())).collect();
    assert!(!sel.is_empty(), "an empty selector");
    sel.join(",")
}

fn names(items: &[J]) -> std::collections::BTreeSet<String> {
    items.iter().map(|p| p["metadata"]["name"].as_str().unwrap().to_string()).collect()
}

/// Where Service `svc` sends traffic as the server decides it: how many of the
/// pods the server selects for the Service's selector (`kubectl get pods -l`)
/// belong to each Deployment, by the controllers' ownership (Pod -> ReplicaSet
/// -> Deployment, no label matching); terminating pods aside. Each Deployment
/// so routed to is selected whole, no pod outside a Deployment is selected,
/// each Deployment's own selector (evaluated by the server) selects exactly
/// its pods, and the tool's `status -o json` claims the same routes.
fn server_routes(c: &Cluster, app: &str, svc: &str) -> std::collections::BTreeMap<String, usize> {
    let conn = Cluster::conn(&c.kubeconfig, &c.ns);
    let service = conn.call(http::Method::GET, &format!("/api/v1/namespaces/{}/services/{svc}", c.ns), None, Vec::new()).unwrap();
    let (code, out, err) = c.kubectl(&["get", "pods", "-l", &selector_string(&service["spec"]["selector"]), "-o", "json"], &[]);
    assert_eq!(code, 0, "{err}");
    let items: Vec<J> = serde_json::from_str::<J>(&out).unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .cloned()
        .collect();
    let selected = names(&items);
    let owner = |o: &J, kind: &str| -> Option<String> {
        o["metadata"]["ownerReferences"].as_array()?.iter().find(|r| r["kind"] == kind && r["controller"] == true)?["name"]
            .as_str()
            .map(str::to_string)
    };
    let rs_owner: std::collections::BTreeMap<String, String> = list_in(&conn, c, "apps/v1/replicasets", None)
        .iter()
        .filter_map(|rs| Some((rs["metadata"]["name"].as_str()?.to_string(), owner(rs, "Deployment")?)))
        .collect();
    let mut owned: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    for pod in list_in(&conn, c, "pods", None) {
        if let Some(dep) = owner(&pod, "ReplicaSet").and_then(|rs| rs_owner.get(&rs).cloned()) {
            owned.entry(dep).or_default().insert(pod["metadata"]["name"].as_str().unwrap().to_string());
        }
    }
    let mut routes = std::collections::BTreeMap::new();
    for d in list_in(&conn, c, "apps/v1/deployments", None) {
        let dep = d["metadata"]["name"].as_str().unwrap();
        let pods = owned.get(dep).cloned().unwrap_or_default();
        let n = pods.intersection(&selected).count();
        if n > 0 {
            assert_eq!(n, pods.len(), "Service/{svc} selects only part of Deployment/{dep}: {selected:?} of {pods:?}");
            routes.insert(dep.to_string(), n);
        }
        let by_selector = names(&list_in(&conn, c, "pods", Some(&selector_string(&d["spec"]["selector"]["matchLabels"]))));
        assert_eq!(by_selector, pods, "Deployment/{dep}'s selector selects other pods than its own");
    }
    let all: std::collections::BTreeSet<&String> = owned.values().flatten().collect();
    assert!(selected.iter().all(|p| all.contains(p)), "Service/{svc} selects pods of no Deployment: {selected:?}");
    let (code, out, err) = c.run(&["status", &format!("deployment/{app}"), "-o", "json"]);
    assert!(code <= 1, "{out}{err}");
    let status: J = serde_json::from_str(&out).unwrap();
    let claimed = status["services"].as_array().unwrap().iter().find(|s| s["name"] == svc).expect("the Service in status");
    let tool: std::collections::BTreeMap<String, usize> = claimed["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["pods"].as_u64().unwrap() > 0)
        .map(|t| (t["name"].as_str().unwrap().to_string(), t["pods"].as_u64().unwrap() as usize))
        .collect();
    assert_eq!(tool, routes, "status claims other routes than the server's selection: {out}");
    assert_eq!(claimed["pods"].as_u64().unwrap() as usize, selected.len(), "{out}");
    routes
}

/// Applies the project's files with kubectl (as a GitOps tool would) and waits for the Deployments.
fn kubectl_apply_and_roll_out(c: &Cluster, deployments: &[&str]) {
    let (code, _, err) = c.kubectl(&["apply", "--server-side", "--force-conflicts", "-f", "deploy"], &[]);
    assert_eq!(code, 0, "{err}");
    c.rolled_out(deployments);
}

/// Blue/green judged by the server: the manifests `apply blue-green --write`
/// wrote, applied with kubectl, route the Service to the active colour's pods
/// only (as the plan says), then to the other colour after a written promote
/// and back after a live rollback.
#[test]
fn blue_green_routes_as_the_server_selects() {
    let Some(c) = Cluster::new("oraclebg") else { return };
    let bg = ["apply", "blue-green", "deployment/api-status", "deploy", "--image", "ghcr.io/example/api-status:2.0.0"];
    let (code, plan, err) = c.run(&bg);
    assert_eq!(code, 0, "{plan}{err}");
    // The plan's claim: which Deployment the Service will select.
    let claim = |plan: &str| -> String {
        let at = plan.find("point Service/api-status at ").unwrap_or_else(|| panic!("no switch in the plan: {plan}")) + 28;
        plan[at..].split_whitespace().next().unwrap().trim_start_matches("Deployment/").to_string()
    };
    assert_eq!(claim(&plan), "api-status-blue");
    for _ in 0..3 {
        let (code, out, err) = c.run(&[&bg[..], &["--write"]].concat());
        assert_eq!(code, 0, "{out}{err}");
    }
    kubectl_apply_and_roll_out(&c, &["api-status-blue", "api-status-green"]);
    let blue = std::collections::BTreeMap::from([("api-status-blue".to_string(), 4)]);
    let green = std::collections::BTreeMap::from([("api-status-green".to_string(), 4)]);
    assert_eq!(server_routes(&c, "api-status", "api-status"), blue);
    // Promote, written and applied with kubectl: the other colour only.
    let (code, plan, err) = c.run(&["promote", "deployment/api-status", "deploy", "--write"]);
    assert_eq!(code, 0, "{plan}{err}");
    assert_eq!(claim(&plan), "api-status-green");
    kubectl_apply_and_roll_out(&c, &["api-status-blue", "api-status-green"]);
    assert_eq!(server_routes(&c, "api-status", "api-status"), green);
    // Rollback, live: back to blue only.
    let (code, out, err) = c.run(&["rollback", "deployment/api-status", "deploy", "--live", "--write", "--force-conflicts"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(server_routes(&c, "api-status", "api-status"), blue);
}

/// A canary judged by the server: at each weight the Service selects every
/// stable and every canary pod, in the counts the plan states, and the
/// canary's share is the weight rounded to whole pods.
#[test]
fn canary_routes_as_the_server_selects() {
    let Some(c) = Cluster::new("oraclecanary") else { return };
    let canary = ["apply", "canary", "deployment/api-status", "deploy", "--steps", "25,50", "--image", "ghcr.io/example/api-status:2.0.0"];
    let (code, plan, err) = c.run(&canary);
    assert_eq!(code, 0, "{plan}{err}");
    // The plan's claims: "canary at 25%: 3 stable + 1 canary replicas of 4".
    let splits: Vec<(u32, usize, usize)> = plan
        .lines()
        .filter_map(|l| {
            let rest = &l[l.find("canary at ")? + 10..];
            let (w, rest) = rest.split_once("%: ")?;
            let (stable, rest) = rest.split_once(" stable + ")?;
            let (can, _) = rest.split_once(" canary replicas")?;
            Some((w.parse().ok()?, stable.parse().ok()?, can.parse().ok()?))
        })
        .collect();
    assert_eq!(splits.iter().map(|s| s.0).collect::<Vec<_>>(), [25, 50], "{plan}");
    // Steps 1 and 2 (relabel, then 25 %), then step 3 (50 %): each written, applied with kubectl, judged by the server.
    let mut writes = 2;
    for (weight, stable, can) in splits {
        for _ in 0..writes {
            let (code, out, err) = c.run(&[&canary[..], &["--write"]].concat());
            assert_eq!(code, 0, "{out}{err}");
        }
        writes = 1;
        kubectl_apply_and_roll_out(&c, &["api-status", "api-status-canary"]);
        let routes = server_routes(&c, "api-status", "api-status");
        let want = std::collections::BTreeMap::from([("api-status".to_string(), stable), ("api-status-canary".to_string(), can)]);
        assert_eq!(routes, want, "at {weight} %");
        // 4 pods in all; the canary's share of the selected pods is the weight, to the nearest pod.
        assert_eq!(stable + can, 4);
        assert_eq!(can, (4.0 * f64::from(weight) / 100.0).round() as usize, "at {weight} %: {routes:?}");
    }
}
