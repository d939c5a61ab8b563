//! Live-cluster commands against the in-process stand-in API server
//! (tests/fake_api): diff (and its agreement with the real kubectl), apply
//! --live, promote/rollback --live, status, lint --cluster, and errors.
//!
//! No real API server runs on the machines these tests run on; the stand-in
//! speaks the real wire format, and kubectl itself is pointed at it to keep
//! it honest.

use crate::bin;
use crate::ci::{sarif_schema, tool};
use crate::fake_api::FakeApi;
use kubectl_strategy::live::render::strip;
use serde_json::{Value as J, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TOKEN: &str = "test-token-6f1d2e0a9b";
const SECRET_VALUE: &str = "hunter2-do-not-print";

struct Cluster {
    api: FakeApi,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    /// A stand-in server that requires a token, and a project with the talk's manifests.
    fn new() -> Cluster {
        Cluster::with_token(true)
    }

    /// kubectl sends no token over plain http (only over TLS): tests that
    /// run kubectl against the stand-in use a server that asks for none.
    fn with_token(token: bool) -> Cluster {
        let api = FakeApi::start();
        if token {
            api.require_token(TOKEN);
        }
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, kubeconfig_for(&api.url(), TOKEN)).unwrap();
        let app = dir.path().join("deploy");
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
        Cluster { api, dir, kubeconfig }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// Runs kubectl-strategy with this cluster's kubeconfig.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = bin();
        cmd.current_dir(self.dir.path()).args(args);
        if !args.contains(&"--kubeconfig") {
            cmd.arg("--kubeconfig").arg(&self.kubeconfig);
        }
        let out = cmd.env("KUBECTL_STRATEGY_POLL_MS", "20").env_remove("KUBECONFIG").output().unwrap();
        let r = (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(!r.1.contains(TOKEN) && !r.2.contains(TOKEN), "the token leaked: {r:?}");
        r
    }

    fn kubectl(&self, args: &[&str], env: &[(&str, &Path)]) -> (i32, String, String) {
        let mut c = Command::new("kubectl");
        c.current_dir(self.dir.path()).arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn deployment(&self, name: &str) -> Option<J> {
        self.api.get("apps/v1", "Deployment", Some("shop"), name)
    }

    /// Seeds the cluster with the project's manifests, as `kubectl apply` (client-side) would have.
    fn seed(&self) {
        for file in ["deploy/api-status.yaml", "deploy/secret.yaml"] {
            let text = std::fs::read_to_string(self.path(file)).unwrap();
            for doc in kubectl_strategy::manifest::parse::parse_stream(&text) {
                let mut o = kubectl_strategy::manifest::json::to_json(&doc.result.unwrap());
                o["metadata"]["namespace"] = "shop".into();
                self.api.insert(o);
            }
        }
    }
}

fn kubeconfig_for(server: &str, token: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: stand-in\n  cluster:\n    server: {server}\nusers:\n- name: deployer\n  user:\n    token: {token}\ncontexts:\n- name: stand-in\n  context:\n    cluster: stand-in\n    user: deployer\n    namespace: shop\ncurrent-context: stand-in\n"
    )
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

/// Runs our diff and kubectl's on the same manifests; both must agree on the
/// exit code and, object by object, on the live and the planned object.
fn assert_agrees_with_kubectl(c: &Cluster) -> i32 {
    let (code, out, err) = c.run(&["diff", "deploy", "-o", "json"]);
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
    let (kcode, kout, kerr) = c.kubectl(&["diff", "--server-side", "-f", "deploy"], &[("KUBECTL_EXTERNAL_DIFF", &script)]);
    assert_eq!(code, kcode, "exit codes differ: ours {code} ({err}), kubectl {kcode} ({kerr}{kout})");
    let objects = ours["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 3, "{ours}");
    if kcode == 0 {
        assert!(
            !capture.exists()
                || std::fs::read_dir(capture.join("merged")).map_or(true, |d| d.count() == 0)
                || objects.iter().all(|o| o["changed"] == false)
        );
        return code;
    }
    for o in objects {
        let key = kubectl_strategy::live::render::object_key(
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
            // Each dry-run create allocates its own cluster IP (so does a real API server).
            for v in [merged.as_mut(), Some(&mut planned)].into_iter().flatten() {
                if let Some(spec) = v["spec"].as_object_mut() {
                    spec.remove("clusterIP");
                    spec.remove("clusterIPs");
                }
            }
        }
        assert_eq!(merged.as_ref(), Some(&planned), "{key}: planned objects differ");
    }
    code
}

#[test]
fn diff_agrees_with_kubectl_and_masks_secrets() {
    let c = Cluster::with_token(false);
    let kubectl = tool("kubectl");
    // Nothing in the cluster: every object is an addition.
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("--- live/apps.v1.Deployment.shop.api-status\n+++ planned/apps.v1.Deployment.shop.api-status\n@@ -0,0 +1,"),
        "{out}"
    );
    assert!(out.contains("diff -u -N live/v1.Secret.shop.api-status-db planned/v1.Secret.shop.api-status-db"), "{out}");
    assert!(!out.contains(SECRET_VALUE) && out.contains("password: '***'"), "{out}");
    for server_set in ["managedFields", "resourceVersion", "uid:", "generation:", "creationTimestamp", "\n+status:"] {
        assert!(!out.contains(server_set), "{server_set} in {out}");
    }
    if kubectl {
        assert_eq!(assert_agrees_with_kubectl(&c), 1);
        // kubectl's server-side apply creates them; then nothing differs.
        let (code, _, err) = c.kubectl(&["apply", "--server-side", "-f", "deploy"], &[]);
        assert_eq!(code, 0, "{err}");
    } else {
        c.seed();
    }
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    if kubectl {
        assert_eq!(assert_agrees_with_kubectl(&c), 0);
    }
    // A change to the Deployment and to the Secret.
    let file = c.path("deploy/api-status.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("replicas: 4", "replicas: 5").replace("api-status:1.0.0", "api-status:1.1.0")).unwrap();
    let secret = c.path("deploy/secret.yaml");
    std::fs::write(&secret, std::fs::read_to_string(&secret).unwrap().replace(SECRET_VALUE, "another-value")).unwrap();
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("-  replicas: 4\n+  replicas: 5\n"), "{out}");
    assert!(out.contains("-      - image: ghcr.io/example/api-status:1.0.0\n+      - image: ghcr.io/example/api-status:1.1.0\n"), "{out}");
    assert!(out.contains("-  password: '*** (before)'\n+  password: '*** (after)'\n"), "{out}");
    assert!(!out.contains("another-value") && !out.contains(SECRET_VALUE), "{out}");
    assert!(!out.contains("Service"), "the Service is unchanged: {out}");
    if kubectl {
        assert_eq!(assert_agrees_with_kubectl(&c), 1);
    }
    // Nothing was written by any diff.
    assert_eq!(replicas(&c.deployment("api-status").unwrap()), 4);
}

#[test]
fn diff_errors_name_the_object_and_the_cause() {
    let c = Cluster::new();
    c.seed();
    // The values a client-side apply keeps in its annotation are masked too.
    let mut secret = c.api.get("v1", "Secret", Some("shop"), "api-status-db").unwrap();
    secret["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": format!("{{\"stringData\":{{\"password\":\"{SECRET_VALUE}\"}}}}")});
    c.api.insert(secret);
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
        err.contains("widget.yaml:1: the server at http://127.0.0.1:") && err.contains("has no resource for kind Widget in example.com/v1"),
        "{err}"
    );
    std::fs::remove_file(c.path("deploy/widget.yaml")).unwrap();
    // 403: which verb on which resource was refused; the other objects are still compared.
    c.api.forbid("patch", "deployments");
    let text = std::fs::read_to_string(c.path("deploy/api-status.yaml")).unwrap();
    std::fs::write(c.path("deploy/api-status.yaml"), text.replace("port: 80\n", "port: 8080\n")).unwrap();
    let (code, out, err) = c.run(&["diff", "deploy"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("forbidden: not allowed to patch deployments.apps \"api-status\" in namespace shop (403)"), "{err}");
    assert!(err.contains("cannot patch resource \"deployments\""), "the server's reason is kept: {err}");
    assert!(out.contains("planned/v1.Service.shop.api-status") && out.contains("+  - name: http\n+    port: 8080"), "{out}");
    // 401: the credentials were refused; the token is never printed (Cluster::run asserts it).
    let other = c.path("other-kubeconfig");
    std::fs::write(&other, kubeconfig_for(&c.api.url(), "wrong-token")).unwrap();
    let (code, _, err) = c.run(&["diff", "deploy", "--kubeconfig", other.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("rejected the credentials of context stand-in (401 Unauthorized)"), "{err}");
    // -v logs requests without bodies or credentials.
    let (_, _, err) = c.run(&["diff", "deploy", "-v", "6"]);
    assert!(err.contains("GET http://127.0.0.1:") && err.contains("/apis/apps/v1 200"), "{err}");
    assert!(err.contains("PATCH http://127.0.0.1:") && err.contains("dryRun=All"), "{err}");
    assert!(!err.contains(SECRET_VALUE) && !err.contains("aHVudGVy"), "{err}");
}

#[test]
fn unreachable_and_silent_servers_fail_fast() {
    let c = Cluster::new();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = c.path("dead-kubeconfig");
    std::fs::write(&dead, kubeconfig_for(&format!("http://127.0.0.1:{port}"), TOKEN)).unwrap();
    for args in [&["diff", "deploy"][..], &["status", "deployment/api-status"], &["lint", "--cluster"]] {
        let started = Instant::now();
        let mut a = args.to_vec();
        a.extend(["--kubeconfig", dead.to_str().unwrap()]);
        let (code, _, err) = c.run(&a);
        assert_eq!(code, 2, "{args:?}");
        assert!(
            err.contains(&format!("cannot reach the API server at http://127.0.0.1:{port} (context stand-in): connection refused")),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
    // A server that accepts and never answers: --request-timeout bounds the wait.
    c.api.hang(true);
    let started = Instant::now();
    let (code, _, err) = c.run(&["status", "deployment/api-status", "--request-timeout", "1s"]);
    assert_eq!(code, 2);
    assert!(err.contains("no answer in time"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}

#[test]
fn canary_live_steps_promote_and_status() {
    let c = Cluster::new();
    c.seed();
    let canary =
        ["apply", "canary", "deployment/api-status", "deploy", "--steps", "25,50", "--image", "ghcr.io/example/api-status:2.0.0", "--live"];
    // The objects were created by client-side kubectl apply: taking fields over needs --force-conflicts.
    let (code, _, err) = c.run(&canary);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("owned by field manager `kubectl-client-side-apply`") && err.contains("--force-conflicts"), "{err}");
    // A server-side dry run shows the first step and changes nothing.
    let mut a = canary.to_vec();
    a.extend(["--force-conflicts", "--dry-run", "server", "--exit-code"]);
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("Step 1 (server-side dry run; nothing is changed)") && out.contains("+        app.kubernetes.io/name: api-status"),
        "{out}"
    );
    assert!(c.deployment("api-status-canary").is_none());
    // Steps 1 (relabel, waits for the rollout) and 2 (25 %: 3 + 1), then it stops for a judgement.
    let mut a = canary.to_vec();
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
    assert!(
        std::fs::read_to_string(c.path("deploy/api-status.yaml")).unwrap().contains("name: api-status-canary"),
        "--write keeps the files in step"
    );
    let (code, out, err) = c.run(&["status", "deployment/api-status"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("api-status-canary") && out.contains("4 of 4 pods ready") && out.contains("25% of ready endpoints"), "{out}");
    // Step 3: 50 % (2 + 2).
    let (code, out, err) = c.run(&a);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!((replicas(&c.deployment("api-status").unwrap()), replicas(&c.deployment("api-status-canary").unwrap())), (2, 2));
    // Nothing left.
    let (code, out, _) = c.run(&a);
    assert_eq!(code, 0);
    assert!(out.contains("Nothing to do"), "{out}");
    // Promote: the canary's image into stable with all replicas, then the canary goes.
    let (code, out, err) = c.run(&["promote", "deployment/api-status", "deploy", "--live", "--write", "--force-conflicts"]);
    assert_eq!(code, 0, "{out}{err}");
    let stable = c.deployment("api-status").unwrap();
    assert_eq!((replicas(&stable), image(&stable)), (4, "ghcr.io/example/api-status:2.0.0".to_string()));
    assert!(c.deployment("api-status-canary").is_none());
    let (code, out, _) = c.run(&["status", "deployment/api-status", "-o", "json"]);
    assert_eq!(code, 0);
    let v: J = serde_json::from_str(&out).unwrap();
    assert_eq!(v["healthy"], true);
    assert_eq!(v["tracks"].as_array().unwrap().len(), 1);
    assert_eq!(v["services"][0]["readyPods"], 4);
}

#[test]
fn blue_green_live_switches_the_service_and_back() {
    let c = Cluster::new();
    c.seed();
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
    let svc = || c.api.get("v1", "Service", Some("shop"), "api-status").unwrap()["spec"]["selector"].clone();
    assert_eq!(svc()["app"], "api-status-blue");
    assert!(c.deployment("api-status").is_none(), "the original Deployment is retired");
    assert_eq!(image(&c.deployment("api-status-green").unwrap()), "ghcr.io/example/api-status:2.0.0");
    let (code, out, _) = c.run(&["status", "deployment/api-status"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("routes to api-status-blue (4 of 4 pods ready)"), "{out}");
    let (code, out, err) = c.run(&["promote", "deployment/api-status", "deploy", "--live", "--write"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(svc()["app"], "api-status-green");
    let (code, out, err) = c.run(&["rollback", "deployment/api-status", "deploy", "--live", "--write"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(svc()["app"], "api-status-blue");
}

#[test]
fn lint_cluster_locates_findings_by_object() {
    let c = Cluster::new();
    c.api.insert(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bare", "namespace": "shop"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "bare"}}, "template": {"metadata": {"labels": {"app": "bare"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}}}));
    c.api.insert(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "elsewhere", "namespace": "other"},
        "spec": {"selector": {"matchLabels": {"app": "e"}}, "template": {"metadata": {"labels": {"app": "e"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}));
    let (code, out, err) = c.run(&["lint", "--cluster", "-f", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: J = serde_json::from_str(&out).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let probe = findings.iter().find(|f| f["rule"] == "readiness-probe-missing").expect("readiness-probe-missing");
    assert_eq!(probe["file"], J::Null);
    assert_eq!(probe["line"], J::Null);
    assert_eq!(probe["object"], json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "bare"}));
    assert_eq!(probe["path"], "/spec/template/spec/containers/0/name");
    assert!(findings.iter().all(|f| f["object"]["namespace"] == "shop"), "only the context's namespace");
    // The Pods the stand-in runs for the Deployment are checked through it, not one by one.
    assert!(findings.iter().all(|f| f["object"]["kind"] != "Pod"), "{out}");
    let (_, out, _) = c.run(&["lint", "--cluster", "-A", "-f", "json"]);
    let v: J = serde_json::from_str(&out).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["object"]["namespace"] == "other"));
    let (_, out, _) = c.run(&["lint", "--cluster", "-f", "sarif"]);
    let sarif: J = serde_json::from_str(&out).unwrap();
    let loc = &sarif["runs"][0]["results"][0]["locations"][0];
    assert!(loc["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap().starts_with("shop/apps/v1/Deployment/bare/"), "{loc}");
    if let Some(schema) = sarif_schema() {
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(&sarif).take(5).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    let (_, out, _) = c.run(&["lint", "--cluster"]);
    assert!(
        out.contains(
            "--> Deployment/bare in namespace shop, field /spec/template/spec/containers/0/name (context stand-in (http://127.0.0.1:"
        ),
        "{out}"
    );
}
