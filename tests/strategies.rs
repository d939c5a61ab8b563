//! Strategies: plans and diffs on the talk's example (snapshots, also in the
//! README), idempotency, comments, refused inputs, and the invariants of
//! docs/strategies.md (the invariants every step keeps) over generated manifests.

use crate::bin;
use kubectl_strategy::config::Config;
use kubectl_strategy::input::SourceFile;
use kubectl_strategy::manifest::workload::{map_selects, same_namespace, selector_matches};
use kubectl_strategy::manifest::{self, Object, Typed};
use std::collections::BTreeMap;
use std::path::Path;

const TALK: &str = "testdata/strategies/talk/api-status.yaml";

/// A scratch copy of manifests; commands run inside it with relative paths.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new(files: &[(&str, &str)]) -> Scratch {
        let d = tempfile::tempdir().unwrap();
        for (n, t) in files {
            let p = d.path().join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, t).unwrap();
        }
        Scratch(d)
    }

    fn talk() -> Scratch {
        Scratch::new(&[("api-status.yaml", &std::fs::read_to_string(TALK).unwrap())])
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = bin().current_dir(self.0.path()).args(args).output().unwrap();
        crate::outcome(&out)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert!(code == 0 || code == 1, "{args:?} exited {code}: {err}");
        out
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.path().join(name)).unwrap()
    }

    fn texts(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for e in walk(self.0.path()) {
            let name = e.strip_prefix(self.0.path()).unwrap().display().to_string();
            out.insert(name, std::fs::read_to_string(&e).unwrap());
        }
        out
    }

    /// Perform every pending step (re-running each must be a no-op), checking
    /// the invariants after each one.
    fn drive(&self, args: &[&str]) -> usize {
        let mut steps = 0;
        loop {
            let before = self.texts();
            let mut a = args.to_vec();
            a.extend(["--exit-code"]);
            let (code, _, err) = self.run(&a);
            // promote/rollback refuse (exit 2) once there is nothing left to do
            assert!(code == 0 || code == 1, "{args:?}: {err}");
            if code == 0 {
                return steps;
            }
            let mut w = args.to_vec();
            w.push("--write");
            let (code, _, err) = self.run(&w);
            assert_eq!(code, 0, "{args:?} --write: {err}");
            steps += 1;
            assert!(steps < 10, "{args:?} does not converge");
            check_invariants(&before, &self.texts());
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn objects(texts: &BTreeMap<String, String>) -> Vec<Object> {
    texts.iter().enumerate().flat_map(|(i, (n, t))| manifest::load(i, &SourceFile::new(n.clone(), t.clone())).objects).collect()
}

fn comments(t: &str) -> Vec<String> {
    t.lines().map(str::trim).filter(|l| l.starts_with('#')).map(str::to_string).collect()
}

/// The invariants of docs/strategies.md between two states of the files.
pub(crate) fn check_invariants(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) {
    let old = objects(before);
    let new = objects(after);
    let key = |o: &Object| (o.kind.clone(), o.name.clone(), o.namespace.clone());
    // 1. no spec.selector of an existing workload changes
    for o in &new {
        if let (Some(w), Some(prev)) = (o.workload(), old.iter().find(|p| key(p) == key(o))) {
            assert_eq!(w.selector, prev.workload().and_then(|p| p.selector.clone()), "selector of {} changed", o.label());
        }
    }
    // 2. workload selectors stay disjoint
    let workloads: Vec<&Object> = new.iter().filter(|o| o.workload().is_some_and(|w| w.selector.is_some())).collect();
    for a in &workloads {
        for b in &workloads {
            if std::ptr::eq(*a, *b) || a.namespace != b.namespace {
                continue;
            }
            let sel = a.workload().unwrap().selector.as_ref().unwrap();
            assert!(!selector_matches(sel, b.workload().unwrap().template_labels()), "{} selects the pods of {}", a.label(), b.label());
        }
    }
    // 3. every Service that selected pods before selects pods of some workload now
    for s in new.iter().filter(|o| o.kind == "Service") {
        let Typed::Service(spec) = &s.typed else { continue };
        let Some(sel) = spec.selector.as_ref().filter(|m| !m.is_empty()) else { continue };
        let selected_before = old.iter().find(|p| key(p) == key(s)).is_some_and(|p| match &p.typed {
            Typed::Service(ps) => old
                .iter()
                .filter(|o| same_namespace(o.namespace.as_deref(), s.namespace.as_deref()))
                .filter_map(|o| o.workload())
                .any(|w| map_selects(ps.selector.as_ref().unwrap(), w.template_labels())),
            _ => false,
        });
        if selected_before {
            let pods: i32 = new
                .iter()
                .filter(|o| same_namespace(o.namespace.as_deref(), s.namespace.as_deref()))
                .filter_map(|o| o.workload().map(|w| (w, w.replicas.unwrap_or(1))))
                .filter(|(w, _)| map_selects(sel, w.template_labels()))
                .map(|(_, r)| r)
                .sum();
            assert!(pods > 0, "Service/{} selects no pods after the step", s.name.as_deref().unwrap_or("?"));
        }
    }
    // 4. comments survive, the result parses and adds no lint error
    for (name, text) in before {
        if let Some(t) = after.get(name) {
            for c in comments(text) {
                assert!(comments(t).contains(&c), "{name}: comment `{c}` was lost");
            }
        }
    }
    let lint = |texts: &BTreeMap<String, String>| {
        let files = texts.iter().map(|(n, t)| SourceFile::new(n.clone(), t.clone())).collect();
        kubectl_strategy::lint::lint_sources(files, &Config::default())
    };
    let errors = |r: &kubectl_strategy::lint::Report| -> Vec<String> {
        r.findings
            .iter()
            .filter(|f| f.severity == kubectl_strategy::finding::Severity::Error)
            .map(|f| format!("{} {}", f.rule, f.path))
            .collect()
    };
    let (e0, e1) = (errors(&lint(before)), errors(&lint(after)));
    for e in &e1 {
        assert!(e0.contains(e), "new lint error: {e}");
    }
    let after_report = lint(after);
    assert!(!after_report.findings.iter().any(|f| f.rule == "workload-selectors-overlap"), "overlap after the step");
}

/// Output for the README and snapshots: the command, then what it printed.
fn transcript(s: &Scratch, args: &[&str]) -> String {
    format!("$ kubectl strategy {}\n{}", args.join(" "), s.ok(args))
}

fn talk_transcripts() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let s = Scratch::talk();
    out.push(("recreate", transcript(&s, &["apply", "recreate", "deployment/api-status", "api-status.yaml"])));
    out.push((
        "rolling",
        transcript(&s, &["apply", "rolling", "deployment/api-status", "api-status.yaml", "--max-surge", "2", "--max-unavailable", "0"]),
    ));
    let bg = Scratch::talk();
    let args = ["apply", "blue-green", "deploy/api-status", "api-status.yaml", "--image", "ghcr.io/example/api-status:1.1.0"];
    let mut text = String::new();
    for step in ["1", "2", "3"] {
        let mut a = args.to_vec();
        a.extend(["--step", step]);
        text.push_str(&transcript(&bg, &a));
        text.push('\n');
        a.push("--write");
        bg.ok(&a);
    }
    text.push_str(&transcript(&bg, &["promote", "deploy/api-status", "api-status.yaml"]));
    bg.ok(&["promote", "deploy/api-status", "api-status.yaml", "--write"]);
    text.push('\n');
    text.push_str(&transcript(&bg, &["rollback", "deploy/api-status", "api-status.yaml"]));
    out.push(("blue-green", text));
    let c = Scratch::talk();
    let args =
        ["apply", "canary", "deploy/api-status", "api-status.yaml", "--image", "ghcr.io/example/api-status:1.1.0", "--steps", "25,50"];
    let mut text = String::new();
    for _ in 0..3 {
        text.push_str(&transcript(&c, &args));
        text.push('\n');
        let mut a = args.to_vec();
        a.push("--write");
        c.ok(&a);
    }
    for _ in 0..2 {
        text.push_str(&transcript(&c, &["promote", "deploy/api-status", "api-status.yaml"]));
        text.push('\n');
        c.ok(&["promote", "deploy/api-status", "api-status.yaml", "--write"]);
    }
    out.push(("canary", text));
    out
}

#[test]
fn plans_and_diffs_on_the_talks_example() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/strategies");
    let transcripts = talk_transcripts();
    settings.bind(|| {
        for (name, text) in &transcripts {
            insta::assert_snapshot!(*name, text);
        }
    });
    // docs/strategies.md shows the same transcripts.
    for (name, text) in &transcripts {
        crate::doc_block("docs/strategies.md", &format!("strategy:{name}"), &format!("```diff\n{text}```\n"));
    }
}

#[test]
fn talk_example_flows_keep_the_invariants_and_converge() {
    let s = Scratch::talk();
    assert_eq!(s.drive(&["apply", "recreate", "deploy/api-status"]), 1);
    assert!(s.read("api-status.yaml").contains("  strategy:\n    type: Recreate\n  template:"));
    assert_eq!(s.drive(&["apply", "rolling", "deploy/api-status", "--max-surge", "2", "--max-unavailable", "0"]), 1);
    assert!(s.read("api-status.yaml").contains("      maxSurge: 2\n      maxUnavailable: 0\n"));

    let bg = Scratch::talk();
    assert_eq!(bg.drive(&["apply", "blue-green", "deploy/api-status", "--image", "api=ghcr.io/example/api-status:1.1.0"]), 3);
    assert_eq!(bg.drive(&["promote", "deploy/api-status"]), 1);
    assert!(bg.read("api-status.yaml").contains("    app: api-status-green   # the talk switches"));
    let (code, _, err) = bg.run(&["promote", "deploy/api-status", "--exit-code"]);
    assert_eq!(code, 0, "a second promote has nothing to do: {err}");
    assert_eq!(bg.drive(&["rollback", "deploy/api-status"]), 1);
    assert!(bg.read("api-status.yaml").contains("    app: api-status-blue   # the talk switches"));
    let (code, _, _) = bg.run(&["rollback", "deploy/api-status", "--exit-code"]);
    assert_eq!(code, 0, "nothing left to roll back");
    // deploy a new version to the idle track, then promote it
    assert_eq!(bg.drive(&["apply", "blue-green", "deploy/api-status", "--image", "ghcr.io/example/api-status:1.2.0"]), 1);
    assert_eq!(bg.drive(&["promote", "deploy/api-status"]), 1);

    let c = Scratch::talk();
    assert_eq!(c.drive(&["apply", "canary", "deploy/api-status", "--image", "ghcr.io/example/api-status:1.1.0", "--weight", "25"]), 2);
    let replicas =
        |s: &Scratch| -> Vec<i32> { objects(&s.texts()).iter().filter_map(|o| o.workload().map(|w| w.replicas.unwrap_or(1))).collect() };
    assert_eq!(replicas(&c), vec![3, 1], "the talk: 3 stable + 1 canary");
    assert_eq!(c.drive(&["apply", "canary", "deploy/api-status", "--weight", "50"]), 1);
    assert_eq!(replicas(&c), vec![2, 2], "then 2 + 2");
    assert_eq!(c.drive(&["promote", "deploy/api-status"]), 2);
    assert_eq!(replicas(&c), vec![4]);
    assert!(c.read("api-status.yaml").contains("image: ghcr.io/example/api-status:1.1.0"));
    assert!(!c.read("api-status.yaml").contains("api-status-canary"));

    let a = Scratch::talk();
    a.drive(&["apply", "canary", "deploy/api-status", "--image", "ghcr.io/example/api-status:1.1.0", "--weight", "50"]);
    assert_eq!(a.drive(&["rollback", "deploy/api-status"]), 2);
    assert_eq!(replicas(&a), vec![4]);
    assert!(a.read("api-status.yaml").contains("image: ghcr.io/example/api-status:1.0.0"));
}

#[test]
fn weighted_canaries_emit_exact_routes() {
    let cases: [(&str, &[&str], &str); 5] = [
        ("gateway-api", &["--gateway", "public/infra"], "kind: HTTPRoute"),
        ("istio", &[], "kind: VirtualService"),
        ("traefik", &[], "kind: TraefikService"),
        ("smi", &[], "kind: TrafficSplit"),
        ("nginx", &[], "nginx.ingress.kubernetes.io/canary-weight: \"25\""),
    ];
    let ingress = "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: api-status\nspec:\n  rules:\n    - host: api.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: api-status\n                port:\n                  number: 80\n";
    for (mode, extra, expect) in cases {
        let text = format!("{}{ingress}", std::fs::read_to_string(TALK).unwrap());
        let s = Scratch::new(&[("api-status.yaml", &text)]);
        let mut args = vec![
            "apply",
            "canary",
            "deploy/api-status",
            "--image",
            "ghcr.io/example/api-status:1.1.0",
            "--traffic",
            mode,
            "--steps",
            "25,50",
        ];
        args.extend_from_slice(extra);
        let (_, _, err) = s.run(&args);
        if matches!(mode, "nginx" | "smi") {
            assert!(err.contains("warning:"), "{mode}: retired upstream must warn: {err}");
        }
        s.drive(&args);
        let t = s.read("api-status.yaml");
        assert!(t.contains("api-status-stable") && t.contains("api-status-canary"), "{mode}: {t}");
        assert!(t.contains(if mode == "nginx" { "nginx.ingress.kubernetes.io/canary-weight: \"50\"" } else { expect }), "{mode}: {t}");
        if mode != "nginx" {
            assert!(t.contains("weight: 50"), "{mode}: {t}");
        }
        s.drive(&["promote", "deploy/api-status"]);
        let t = s.read("api-status.yaml");
        assert!(!t.contains("api-status-canary") && !t.contains("api-status-stable"), "{mode}: routes removed on promote: {t}");
        assert!(t.contains("kind: Ingress\nmetadata:\n  name: api-status\n"), "{mode}: the user's Ingress stays");
    }
}

/// `apply rolling` changes only the values asked for: a tuned
/// `maxUnavailable: 0` (no pod down during a rollout) stays when only
/// `--max-surge` is given, and a result with both at 0 is refused.
#[test]
fn rolling_keeps_the_values_not_asked_for() {
    let web = |strategy: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, labels: {{app: web}}}}\nspec:\n{strategy}  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: main, image: x:1}}]\n"
        )
    };
    let tuned = web("  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 0\n");
    let s = Scratch::new(&[("a.yaml", &tuned)]);
    let out = s.ok(&["apply", "rolling", "deploy/web", "--max-surge", "2"]);
    assert!(out.contains("with maxSurge 2 and maxUnavailable 0 (kept)"), "{out}");
    assert!(out.contains("-      maxSurge: 1\n+      maxSurge: 2\n       maxUnavailable: 0\n"), "{out}");
    // 0 beside the kept 0 would stop every rollout: refused, naming the kept field
    let (code, _, err) = s.run(&["apply", "rolling", "deploy/web", "--max-surge", "0", "--write"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("[both-zero]") && err.contains("maxUnavailable: 0 is kept") && err.contains("give --max-unavailable"), "{err}");
    assert_eq!(s.read("a.yaml"), tuned);
    // the API server takes a surge above 100 %; maxUnavailable stops at 100 %
    s.drive(&["apply", "rolling", "deploy/web", "--max-surge", "150%"]);
    assert!(s.read("a.yaml").contains("      maxSurge: 150%\n      maxUnavailable: 0\n"), "{}", s.read("a.yaml"));
    let (code, _, err) = s.run(&["apply", "rolling", "deploy/web", "--max-unavailable", "101%"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`101%` is above 100%"), "{err}");
    // from Recreate there is nothing to keep: the API's default fills in
    let s = Scratch::new(&[("a.yaml", &web("  strategy:\n    type: Recreate\n"))]);
    s.drive(&["apply", "rolling", "deploy/web", "--max-surge", "2"]);
    let t = s.read("a.yaml");
    assert!(t.contains("type: RollingUpdate") && t.contains("maxSurge: 2") && t.contains("maxUnavailable: 25%"), "{t}");
    // no strategy at all: both written, the one not asked for at its default
    let s = Scratch::new(&[("a.yaml", &web(""))]);
    s.drive(&["apply", "rolling", "deploy/web", "--max-unavailable", "0"]);
    let t = s.read("a.yaml");
    assert!(t.contains("maxSurge: 25%") && t.contains("maxUnavailable: 0"), "{t}");
}

#[test]
fn refused_inputs_exit_2_and_change_nothing() {
    let s = Scratch::talk();
    let before = s.texts();
    // Each refusal names its cause by a stable code in brackets, then in words.
    let cases: [(&[&str], &str, &str); 9] = [
        (
            &["apply", "rolling", "deploy/api-status", "--max-surge", "0", "--max-unavailable", "0", "--write"],
            "both-zero",
            "cannot both be 0",
        ),
        (&["apply", "canary", "deploy/api-status", "--image", "x:1", "--weight", "0", "--write"], "weight-out-of-range", "weight 0"),
        (&["apply", "canary", "deploy/api-status", "--image", "x:1", "--weight", "101", "--write"], "weight-out-of-range", "weight 101"),
        (&["apply", "canary", "deploy/api-status", "--image", "nope=x:1", "--write"], "no-such-container", "has no container `nope`"),
        (&["apply", "blue-green", "deploy/api-status", "--image", "nope=x:1", "--write"], "no-such-container", "has no container `nope`"),
        (&["apply", "canary", "deploy/api-status", "--write"], "needs-image", "needs a new version"),
        (&["promote", "deploy/nope", "--write"], "not-found", "deployment/api-status (api-status.yaml)"),
        (&["apply", "recreate", "deploy/nope", "--write"], "not-found", "deployment/api-status (api-status.yaml)"),
        (&["apply", "recreate", "statefulset/api-status"], "target-kind", "unsupported target kind"),
    ];
    for (args, code_name, expect) in cases {
        let (code, _, err) = s.run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with(&format!("error: [{code_name}] ")), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(s.texts(), before, "{args:?} changed files");
    }
}

#[test]
fn ambiguous_targets_list_candidates() {
    let text = std::fs::read_to_string(TALK).unwrap();
    let s = Scratch::new(&[
        ("a/x.yaml", &text.replace("name: api-status\n  labels", "name: api-status\n  namespace: a\n  labels")),
        ("b/x.yaml", &text),
    ]);
    let (code, _, err) = s.run(&["apply", "recreate", "deploy/api-status"]);
    assert_eq!(code, 2);
    assert!(err.contains("ambiguous") && err.contains("a/x.yaml") && err.contains("b/x.yaml"), "{err}");
    let (code, out, err) = s.run(&["apply", "recreate", "deploy/api-status", "-n", "a"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("a/x.yaml"));
}

#[test]
fn output_objects_and_exit_code() {
    let s = Scratch::talk();
    let (code, out, _) = s.run(&["apply", "blue-green", "deploy/api-status", "-o", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v.as_array().unwrap().iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["api-status-blue", "api-status-green"]);
    let (_, out, _) = s.run(&["apply", "blue-green", "deploy/api-status", "-o", "yaml", "--step", "2"]);
    assert!(out.contains("kind: Service") && out.contains("app: api-status-blue"), "{out}");
    let (code, _, _) = s.run(&["apply", "recreate", "deploy/api-status", "--exit-code"]);
    assert_eq!(code, 1);
    let (code, _, err) = s.run(&["apply", "blue-green", "deploy/api-status", "--step", "2", "--write"]);
    assert_eq!(code, 2, "step 1 is pending: {err}");
}

#[test]
fn writes_are_atomic_and_refuse_concurrent_changes() {
    let s = Scratch::talk();
    let before = s.read("api-status.yaml");
    let out = bin()
        .current_dir(s.0.path())
        .env("KUBECTL_STRATEGY_FAIL_BEFORE_RENAME", "1")
        .args(["apply", "recreate", "deploy/api-status", "--write"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(s.read("api-status.yaml"), before, "a failed write leaves the file as it was");
    let leftovers: Vec<_> = std::fs::read_dir(s.0.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let p = s.0.path().join("api-status.yaml");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        s.ok(&["apply", "recreate", "deploy/api-status", "--write"]);
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640, "mode kept");
    }
}

/// xorshift: deterministic generated manifests without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A Deployment + Service in varied shapes: label keys, flow or block
/// style, comments, CRLF, namespaces, split files, several containers.
fn generate(seed: u64) -> Vec<(String, String)> {
    let mut r = Rng(seed * 2654435761 + 7);
    let name = r.pick(&["web", "api", "checkout", "cart-v2"]).to_string();
    let key = r.pick(&["app", "app.kubernetes.io/name", "component"]);
    let extra = r.pick(&["", "tier: backend", "app.kubernetes.io/part-of: shop"]);
    let replicas = r.range(1, 6);
    let flow = r.next().is_multiple_of(2);
    let ns = if r.next().is_multiple_of(3) { "  namespace: prod\n" } else { "" };
    let two = r.next().is_multiple_of(3);
    let labels = if flow {
        format!("{{{key}: {name}{}}}", if extra.is_empty() { String::new() } else { format!(", {extra}") })
    } else {
        format!("\n        {key}: {name}{}", if extra.is_empty() { String::new() } else { format!("\n        {extra}") })
    };
    let sidecar = if two {
        "        - name: proxy\n          image: envoyproxy/envoy:v1.31.0\n          readinessProbe:\n            tcpSocket: {port: 9901}\n          livenessProbe:\n            tcpSocket: {port: 9901}\n            failureThreshold: 5\n          resources: {requests: {cpu: 10m, memory: 32Mi}}\n"
    } else {
        ""
    };
    let deploy = format!(
        "# {name}: generated case {seed}\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}  labels: {{{key}: {name}}}\nspec:\n  replicas: {replicas} # replicas\n\n  selector:\n    matchLabels: {{{key}: {name}}}\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      # containers\n      containers:\n        - name: main\n          image: example/{name}:1.0.0\n          ports: [{{name: http, containerPort: 8080}}]\n          readinessProbe: {{httpGet: {{path: /ready, port: http}}}}\n          livenessProbe: {{httpGet: {{path: /healthz, port: http}}, failureThreshold: 6}}\n          resources: {{requests: {{cpu: 50m, memory: 64Mi}}}}\n{sidecar}"
    );
    let service = format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{ns}spec:\n  # the selector\n  selector:\n    {key}: {name}\n  ports:\n    - port: 80\n      targetPort: http\n"
    );
    let crlf = r.next().is_multiple_of(4);
    let fix = |t: String| if crlf { t.replace('\n', "\r\n") } else { t };
    if r.next().is_multiple_of(2) {
        vec![("deploy.yaml".into(), fix(deploy)), ("svc/service.yaml".into(), fix(service))]
    } else {
        vec![("all.yaml".into(), fix(format!("{deploy}---\n{service}")))]
    }
}

#[test]
fn invariants_hold_over_generated_manifests() {
    for seed in 1..=24u64 {
        let files = generate(seed);
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let name = files[0].1.split("name: ").nth(1).unwrap().split(['\n', '\r']).next().unwrap().to_string();
        let target = format!("deploy/{name}");
        let two = files[0].1.contains("name: proxy");
        let image = if two { "main=example/new:2.0.0".to_string() } else { "example/new:2.0.0".to_string() };
        let ns: Vec<&str> = if files.iter().any(|(_, t)| t.contains("namespace: prod")) { vec!["-n", "prod"] } else { vec![] };
        let with = |args: &[&str]| -> Vec<String> { args.iter().map(|s| s.to_string()).chain(ns.iter().map(|s| s.to_string())).collect() };

        let s = Scratch::new(&refs);
        let a = with(&["apply", "blue-green", &target, "--image", &image]);
        s.drive(&a.iter().map(String::as_str).collect::<Vec<_>>());
        s.drive(&with(&["promote", &target]).iter().map(String::as_str).collect::<Vec<_>>());
        s.drive(&with(&["rollback", &target]).iter().map(String::as_str).collect::<Vec<_>>());
        let crlf = files[0].1.contains("\r\n");
        for (n, t) in s.texts() {
            assert_eq!(t.contains("\r\n"), crlf, "seed {seed}: {n} line ends changed");
        }

        let c = Scratch::new(&refs);
        let a = with(&["apply", "canary", &target, "--image", &image, "--steps", "25,50,100", "--replicas", "4"]);
        c.drive(&a.iter().map(String::as_str).collect::<Vec<_>>());
        c.drive(&with(&["promote", &target]).iter().map(String::as_str).collect::<Vec<_>>());
        let objs = objects(&c.texts());
        assert_eq!(objs.iter().filter(|o| o.kind == "Deployment").count(), 1, "seed {seed}: canary removed");
    }
}

fn deployment(name: &str, labels: &str, selector: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{extra}spec:\n  replicas: 2\n  selector:\n    matchLabels: {selector}\n  template:\n    metadata:\n      labels: {labels}\n    spec:\n      containers:\n        - name: main\n          image: example/{name}:1\n"
    )
}

fn service(name: &str, selector: &str, extra: &str) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{extra}spec:\n  selector: {selector}\n  ports: [{{port: 80}}]\n")
}

/// Cases found in review: each must either keep the invariants or be refused
/// without touching the files.
#[test]
fn edge_cases_keep_invariants_or_are_refused() {
    let refused = |files: &[(&str, &str)], args: &[&str], expect: &str| {
        let s = Scratch::new(files);
        let before = s.texts();
        let mut a = args.to_vec();
        a.push("--write");
        let (code, _, err) = s.run(&a);
        assert_eq!(code, 2, "{args:?} should be refused: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(s.texts(), before);
    };
    let web = deployment("web", "{app: web}", "{app: web}", "");
    // aliases: an edit would change every place that shares the anchor
    let aliased = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: &l {app: web}\n  template:\n    metadata:\n      labels: *l\n    spec:\n      containers: [{name: main, image: x:1}]\n";
    refused(&[("a.yaml", aliased)], &["apply", "canary", "deploy/web", "--image", "x:2", "--replicas", "4"], "aliases");
    // matchExpressions selectors
    let expr = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchExpressions: [{key: app, operator: In, values: [web]}]\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: main, image: x:1}]\n";
    refused(&[("a.yaml", expr), ("s.yaml", &service("web", "{app: web}", ""))], &["apply", "blue-green", "deploy/web"], "matchExpressions");
    // a Deployment that only happens to be called web-blue
    let blue = deployment("web-blue", "{app: theme}", "{app: theme}", "");
    refused(
        &[("a.yaml", &format!("{web}---\n{blue}")), ("s.yaml", &service("web", "{app: web}", ""))],
        &["apply", "blue-green", "deploy/web"],
        "not a blue/green track",
    );
    // --service leaves another Service of the app with no pods once the original is retired
    let s = Scratch::new(&[
        ("a.yaml", &web),
        ("s.yaml", &format!("{}---\n{}", service("web", "{app: web}", ""), service("web-internal", "{app: web}", ""))),
    ]);
    for _ in 0..2 {
        s.run(&["apply", "blue-green", "deploy/web", "--service", "web", "--write"]);
    }
    let (code, _, err) = s.run(&["apply", "blue-green", "deploy/web", "--service", "web", "--write"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("web-internal") && err.contains("no pods"), "{err}");
    // the slot label must be a selector key: the tracks differ from the original in its value
    refused(
        &[("a.yaml", &web), ("s.yaml", &service("web", "{app: web}", ""))],
        &["apply", "blue-green", "deploy/web", "--slot-label", "slot"],
        "--slot-label slot: not a key of Deployment/web's selector (app)",
    );
    refused(&[("a.yaml", &web)], &["apply", "canary", "deploy/web", "--image", "x:2", "--steps", "50,25"], "must increase");

    // two apps sharing app.kubernetes.io/name: the canary picks an identity of its own
    let shop = |n: &str| deployment(n, &format!("{{app: {n}, app.kubernetes.io/name: shop}}"), &format!("{{app: {n}}}"), "");
    let s = Scratch::new(&[("a.yaml", &format!("{}---\n{}---\n{}", shop("web"), shop("worker"), service("web", "{app: web}", "")))]);
    s.drive(&["apply", "canary", "deploy/web", "--image", "x:2", "--weight", "50"]);
    let svc = objects(&s.texts()).into_iter().find(|o| o.kind == "Service").unwrap();
    let Typed::Service(spec) = &svc.typed else { unreachable!() };
    let worker = objects(&s.texts()).into_iter().find(|o| o.name.as_deref() == Some("worker")).unwrap();
    assert!(
        !map_selects(spec.selector.as_ref().unwrap(), worker.workload().unwrap().template_labels()),
        "the Service must not pick up worker pods"
    );

    // a Service shared with another workload is left alone
    let admin = deployment("admin", "{app: admin, tier: frontend}", "{app: admin}", "");
    let web_fe = deployment("web", "{app: web, tier: frontend}", "{app: web}", "");
    let s = Scratch::new(&[(
        "a.yaml",
        &format!("{web_fe}---\n{admin}---\n{}---\n{}", service("web", "{app: web}", ""), service("frontend", "{tier: frontend}", "")),
    )]);
    let (_, _, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2", "--replicas", "4"]);
    assert!(err.contains("Service/frontend also selects other workloads"), "{err}");
    s.drive(&["apply", "canary", "deploy/web", "--image", "x:2", "--replicas", "4"]);
    assert!(s.read("a.yaml").contains("selector: {tier: frontend}"));

    // Services in other namespaces are not the app's
    let prod = deployment("web", "{app: web}", "{app: web}", "  namespace: prod\n");
    let s = Scratch::new(&[(
        "a.yaml",
        &format!(
            "{prod}---\n{}---\n{}",
            service("web", "{app: web}", "  namespace: prod\n"),
            service("web", "{app: web}", "  namespace: staging\n")
        ),
    )]);
    s.drive(&["apply", "blue-green", "deploy/web", "-n", "prod"]);
    assert!(
        s.read("a.yaml").ends_with("  namespace: staging\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"),
        "{}",
        s.read("a.yaml")
    );

    // nested flow mappings
    let flow = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  strategy: {rollingUpdate: {maxSurge: 1}}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: main, image: x:1}]\n";
    let s = Scratch::new(&[("a.yaml", flow)]);
    s.drive(&["apply", "rolling", "deploy/web", "--max-surge", "1", "--max-unavailable", "0"]);
    assert!(
        s.read("a.yaml").contains("strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}, type: RollingUpdate}"),
        "{}",
        s.read("a.yaml")
    );
    s.drive(&["apply", "recreate", "deploy/web"]);
    assert!(s.read("a.yaml").contains("strategy: {type: Recreate}"), "{}", s.read("a.yaml"));
}

#[cfg(unix)]
#[test]
fn writes_go_through_symlinks() {
    let s = Scratch::talk();
    std::fs::create_dir(s.0.path().join("k8s")).unwrap();
    std::os::unix::fs::symlink("../api-status.yaml", s.0.path().join("k8s/link.yaml")).unwrap();
    let out = bin().current_dir(s.0.path()).args(["apply", "recreate", "deploy/api-status", "k8s/link.yaml", "--write"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(s.0.path().join("k8s/link.yaml")).unwrap().file_type().is_symlink());
    assert!(s.read("api-status.yaml").contains("type: Recreate"));
}

#[test]
fn objects_that_select_the_app_refuse_the_plan() {
    let web = deployment("web", "{app: web}", "{app: web}", "");
    let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n";
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 5\n";
    let s = Scratch::new(&[("a.yaml", &format!("{web}---\n{}---\n{pdb}---\n{hpa}", service("web", "{app: web}", "")))]);
    let (code, _, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2", "--replicas", "4", "--write"]);
    assert_eq!(code, 2, "refused, not only warned: {err}");
    assert!(err.contains("HorizontalPodAutoscaler/web scales deployment/web"), "{err}");
    assert!(err.contains("PodDisruptionBudget/web selects deployment/web's pods"), "{err}");
    assert!(!s.read("a.yaml").contains("web-canary"), "nothing written");
}

#[test]
fn each_strategy_takes_only_its_own_flags() {
    let s = Scratch::talk();
    for args in [
        &["apply", "rolling", "deploy/api-status", "--image", "x:1"][..],
        &["apply", "recreate", "deploy/api-status", "--traffic", "istio"],
        &["apply", "blue-green", "deploy/api-status", "--weight", "25"],
        &["apply", "canary", "deploy/api-status", "--max-surge", "1"],
    ] {
        let (code, _, err) = s.run(args);
        assert_eq!(code, 2, "{args:?} must be refused: {err}");
        assert!(err.contains("unexpected argument"), "{args:?}: {err}");
    }
    assert_eq!(s.read("api-status.yaml"), std::fs::read_to_string(TALK).unwrap());
}

#[test]
fn a_replica_split_that_is_not_a_canary_is_refused_with_the_arithmetic() {
    let one = deployment("web", "{app: web}", "{app: web}", "").replace("replicas: 2", "replicas: 1");
    let s = Scratch::new(&[("a.yaml", &one), ("s.yaml", &service("web", "{app: web}", ""))]);
    let (code, _, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2", "--weight", "25"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("1 replica at 25 %: stable 0 + canary 1 = 100 % canary"), "{err}");
    assert!(err.contains("use --replicas 4 or --traffic"), "the fewest replicas for exactly 25 %: {err}");
    // with --replicas the split is the user's choice
    let (code, out, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2", "--weight", "25", "--replicas", "4"]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(out.contains("3 stable + 1 canary replicas of 4;"), "an exact split says nothing more: {out}");
    // Whole replicas that miss the weight say what they give.
    let (code, out, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2", "--weight", "25", "--replicas", "3"]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(out.contains("canary at 25%: 2 stable + 1 canary replicas of 3 (the canary is 33 % of the pods)"), "{out}");
    // replicas: 0 in the file is named as the cause, not a flag that was never given
    let zero = deployment("web", "{app: web}", "{app: web}", "").replace("replicas: 2", "replicas: 0");
    let s = Scratch::new(&[("a.yaml", &zero)]);
    let (code, _, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2"]);
    assert_eq!(code, 2);
    assert!(err.contains("deployment/web has replicas: 0") && !err.contains("--replicas must"), "{err}");
    // blue/green on a Service shared with another workload names that cause
    let shared = format!(
        "{}---\n{}",
        deployment("web", "{app: web, tier: fe}", "{app: web}", ""),
        deployment("admin", "{app: admin, tier: fe}", "{app: admin}", "")
    );
    let s = Scratch::new(&[("a.yaml", &shared), ("s.yaml", &service("fe", "{tier: fe}", ""))]);
    let (code, _, err) = s.run(&["apply", "blue-green", "deploy/web", "--image", "x:2"]);
    assert_eq!(code, 2);
    assert!(err.contains("Service/fe also selects other workloads' pods"), "{err}");
}

/// The objects of some files, by value (comments and layout aside).
fn values(texts: &BTreeMap<String, String>) -> Vec<serde_json::Value> {
    texts
        .values()
        .flat_map(|t| kubectl_strategy::manifest::parse::parse_stream(t))
        .filter_map(|d| d.result.ok())
        .map(|n| kubectl_strategy::manifest::json::to_json(&n))
        .collect()
}

#[test]
fn canary_promote_and_rollback_return_to_the_users_shape() {
    let original = std::fs::read_to_string(TALK).unwrap();
    let args = ["apply", "canary", "deploy/api-status", "--image", "ghcr.io/example/api-status:1.1.0", "--steps", "25,50"];
    // promote: the user's objects with the new image, nothing generated left
    let s = Scratch::talk();
    s.drive(&args);
    assert!(s.read("api-status.yaml").contains("kubectl-strategy.io/canary-weight: \"50\""), "the weight reached is recorded");
    s.drive(&["promote", "deploy/api-status"]);
    let finished = |how: &str| format!("metadata:\n  name: api-status\n  annotations:\n    kubectl-strategy.io/canary-finished: {how}\n");
    let promoted =
        original.replace("api-status:1.0.0", "api-status:1.1.0").replacen("metadata:\n  name: api-status\n", &finished("promoted"), 1);
    let want = BTreeMap::from([("a".to_string(), promoted)]);
    assert_eq!(values(&s.texts()), values(&want), "{}", s.read("api-status.yaml"));
    let t = s.read("api-status.yaml");
    // One annotation records the promote (so that a re-run knows it is done); nothing else is left.
    let generated: Vec<&str> = t.lines().filter(|l| l.contains("kubectl-strategy.io")).collect();
    assert_eq!(generated, ["    kubectl-strategy.io/canary-finished: promoted"], "{t}");
    assert!(!t.contains("annotations: {}"), "{t}");
    // idempotent to the end: promote (and rollback) again have nothing to do
    for verb in ["promote", "rollback"] {
        let before = s.texts();
        let (code, out, err) = s.run(&[verb, "deploy/api-status", "--exit-code"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("nothing to do: already promoted"), "{verb}: {out}");
        let (code, _, err) = s.run(&[verb, "deploy/api-status", "--write"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(s.texts(), before, "{verb} --write after a promote changes nothing");
    }
    // rollback: the user's objects exactly
    let s = Scratch::talk();
    s.drive(&args);
    s.drive(&["rollback", "deploy/api-status"]);
    let rolled_back = original.replacen("metadata:\n  name: api-status\n", &finished("rolled-back"), 1);
    assert_eq!(values(&s.texts()), values(&BTreeMap::from([("a".to_string(), rolled_back)])), "{}", s.read("api-status.yaml"));
    let (code, out, err) = s.run(&["rollback", "deploy/api-status", "--exit-code"]);
    assert!(code == 0 && out.contains("nothing to do: already rolled back"), "{out}{err}");
    // replicas left unset (an HPA scales it) stay unset after promote
    let unset = original.replace("  replicas: 4   # four pods, as in the talk\n", "");
    let s = Scratch::new(&[("api-status.yaml", &unset)]);
    s.drive(&["apply", "canary", "deploy/api-status", "--image", "x:2", "--weight", "25", "--replicas", "4"]);
    s.drive(&["promote", "deploy/api-status"]);
    let t = s.read("api-status.yaml");
    assert!(!t.contains("replicas:"), "{t}");
}

#[test]
fn promote_or_rollback_of_a_target_that_never_had_a_canary_or_tracks_is_an_error() {
    let s = Scratch::talk();
    for verb in ["promote", "rollback"] {
        for extra in [&[][..], &["--exit-code"], &["--write"]] {
            let (code, out, err) = s.run(&[&[verb, "deploy/api-status"][..], extra].concat());
            assert_eq!(code, 2, "{verb} {extra:?}: {out}{err}");
            assert!(err.starts_with("error: [no-tracks] "), "{err}");
            assert!(err.contains("deployment/api-status") && err.contains("no canary or blue/green tracks found"), "{err}");
        }
    }
    assert_eq!(s.read("api-status.yaml"), std::fs::read_to_string(TALK).unwrap());
    // A canary under way is promoted; once done, a re-run is not an error.
    let s = Scratch::talk();
    s.drive(&["apply", "canary", "deploy/api-status", "--image", "x:2", "--weight", "25"]);
    assert_eq!(s.drive(&["promote", "deploy/api-status"]), 2);
    let (code, out, err) = s.run(&["promote", "deploy/api-status", "--exit-code"]);
    assert!(code == 0 && out.contains("nothing to do: already promoted"), "{out}{err}");
    // A new canary after a promote starts from the user's shape: the record goes, and comes back with the next promote.
    s.drive(&["apply", "canary", "deploy/api-status", "--image", "x:3", "--weight", "25"]);
    assert!(!s.read("api-status.yaml").contains("canary-finished"), "{}", s.read("api-status.yaml"));
    s.drive(&["promote", "deploy/api-status"]);
    assert!(s.read("api-status.yaml").contains("canary-finished: promoted"));
    // Blue/green: the tracks record it; after a promote, promote again is done, not an error.
    let bg = Scratch::talk();
    bg.drive(&["apply", "blue-green", "deploy/api-status", "--image", "x:2"]);
    bg.drive(&["promote", "deploy/api-status"]);
    let (code, out, err) = bg.run(&["promote", "deploy/api-status", "--exit-code"]);
    assert!(code == 0 && out.contains("nothing to do: already promoted"), "{out}{err}");
}

#[test]
fn a_weighted_canary_never_steps_back() {
    let s = Scratch::talk();
    let args =
        ["apply", "canary", "deploy/api-status", "--image", "ghcr.io/example/api-status:1.1.0", "--traffic", "istio", "--steps", "10,20"];
    assert_eq!(s.drive(&args), 3);
    let (code, out, _) = s.run(&[&args[..], &["--exit-code"]].concat());
    assert_eq!(code, 0, "after the last step nothing is pending: {out}");
    assert!(s.read("api-status.yaml").contains("weight: 20"));
}

#[test]
fn a_canary_changes_one_selector_label_and_the_service_only_when_it_must() {
    // The Service selects on app and role; the canary differs in `track` only.
    let dep = deployment("redis", "{app: redis, role: master, track: stable}", "{app: redis, role: master, track: stable}", "")
        .replace("replicas: 2", "replicas: 4");
    let svc = service("redis", "{app: redis, role: master}", "");
    let s = Scratch::new(&[("a.yaml", &dep), ("s.yaml", &svc)]);
    s.drive(&["apply", "canary", "deploy/redis", "--image", "example/redis:2", "--weight", "25"]);
    assert_eq!(s.read("s.yaml"), svc, "the Service already selects both");
    let objs = objects(&s.texts());
    let canary = objs.iter().find(|o| o.name.as_deref() == Some("redis-canary")).unwrap();
    let labels = canary.workload().unwrap().template_labels().clone();
    let want: BTreeMap<String, String> =
        [("app", "redis"), ("role", "master"), ("track", "stable-canary")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(labels, want);
    // A three-key Service selector on the track key loses that key only.
    let dep =
        deployment("web", "{app: web, tier: fe, env: prod}", "{app: web, tier: fe, env: prod}", "").replace("replicas: 2", "replicas: 4");
    let svc = service("web", "{app: web, tier: fe, env: prod}", "");
    let s = Scratch::new(&[("a.yaml", &dep), ("s.yaml", &svc)]);
    s.drive(&["apply", "canary", "deploy/web", "--image", "example/web:2", "--weight", "25", "--track-label", "env"]);
    assert!(s.read("s.yaml").contains("selector: {app: web, tier: fe}"), "{}", s.read("s.yaml"));
}

#[test]
fn a_step_over_two_files_is_written_whole_or_not_at_all() {
    let dep = deployment("web", "{app: web}", "{app: web}", "").replace("replicas: 2", "replicas: 4");
    let s = Scratch::new(&[("a.yaml", &dep), ("s.yaml", &service("web", "{app: web}", ""))]);
    let args = ["apply", "canary", "deploy/web", "--image", "x:2", "--weight", "25"];
    s.drive(&args[..]);
    let s = Scratch::new(&[("a.yaml", &dep), ("s.yaml", &service("web", "{app: web}", ""))]);
    s.ok(&[&args[..], &["--write"]].concat()); // step 1: a.yaml only
    let before = s.texts();
    // step 2 changes a.yaml and s.yaml: a failure on s.yaml puts a.yaml back
    let out = bin()
        .current_dir(s.0.path())
        .env("KUBECTL_STRATEGY_FAIL_BEFORE_RENAME", "s.yaml")
        .args([&args[..], &["--write"]].concat())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("put back"));
    assert_eq!(s.texts(), before, "neither file half-written");
    s.ok(&[&args[..], &["--write"]].concat());
    assert_ne!(s.read("s.yaml"), before["s.yaml"]);
    assert_ne!(s.read("a.yaml"), before["a.yaml"]);
}

#[test]
fn argo_rollout_targets_get_a_declared_strategy() {
    let rollout = std::fs::read_to_string("testdata/strategies/rollout/api-status.yaml").unwrap();
    let s = Scratch::new(&[("api-status.yaml", &rollout)]);
    let args = ["apply", "canary", "rollout/api-status", "--steps", "25,50", "--image", "ghcr.io/example/api-status:1.1.0"];
    assert_eq!(s.drive(&args), 2);
    let t = s.read("api-status.yaml");
    assert!(
        t.contains("    canary:\n      maxSurge: 25%   # kept: only the steps are declared\n      steps:\n        - {setWeight: 25}\n        - {pause: {}}\n        - {setWeight: 50}\n        - {pause: {}}\n"),
        "{t}"
    );
    assert!(t.contains("image: ghcr.io/example/api-status:1.1.0"));
    // the lint rules that read Rollouts still see its pods selected by the Service
    let report = kubectl_strategy::lint::lint_sources(vec![SourceFile::new("api-status.yaml", t.clone())], &Config::default());
    assert!(
        !report.findings.iter().any(|f| f.rule == "service-selects-nothing" || f.rule.starts_with("invalid-")),
        "{:?}",
        report.findings
    );
    let (code, out, _) = s.run(&["promote", "rollout/api-status", "--exit-code"]);
    assert_eq!(code, 0);
    assert!(out.contains("`kubectl argo rollouts promote api-status`"), "{out}");
    let (_, out, _) = s.run(&["rollback", "rollout/api-status"]);
    assert!(out.contains("`kubectl argo rollouts abort api-status`"), "{out}");

    // weighted: trafficRouting and the canary/stable Services
    let s = Scratch::new(&[("api-status.yaml", &rollout)]);
    s.drive(&["apply", "canary", "rollout/api-status", "--steps", "10,50", "--traffic", "gateway-api"]);
    let t = s.read("api-status.yaml");
    assert!(t.contains("      canaryService: api-status-canary\n      stableService: api-status-stable\n"), "{t}");
    assert!(
        t.contains("trafficRouting:\n        plugins:\n          argoproj-labs/gatewayAPI:\n            httpRoute: api-status\n"),
        "{t}"
    );
    assert!(t.contains("kind: Service\nmetadata:\n  name: api-status-canary\n"), "{t}");

    // blue/green: active and preview Services
    let s = Scratch::new(&[("api-status.yaml", &rollout)]);
    s.drive(&["apply", "blue-green", "rollout/api-status"]);
    let t = s.read("api-status.yaml");
    assert!(!t.contains("    canary:"), "{t}");
    assert!(
        t.contains(
            "blueGreen:\n      activeService: api-status\n      previewService: api-status-preview\n      autoPromotionEnabled: false\n"
        ),
        "{t}"
    );
    assert!(t.contains("  name: api-status-preview\n"), "{t}");
    // Deployment strategies are refused with the reason
    let (code, _, err) = s.run(&["apply", "recreate", "rollout/api-status"]);
    assert_eq!(code, 2);
    assert!(err.contains("canary or blueGreen"), "{err}");
}

/// A Service shared by two Deployments (istio's samples/grpc-echo): what the
/// plan says about it is what the result does.
#[test]
fn a_shared_service_reaches_the_canary_as_the_plan_says() {
    let echo = std::fs::read_to_string("testdata/strategies/shared-service/echo.yaml").unwrap();
    let s = Scratch::new(&[("echo.yaml", &echo)]);
    let args = ["apply", "canary", "deploy/echo-v1", "--image", "example/echo:1.1", "--replicas", "4", "--weight", "25"];
    let (code, _, err) = s.run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Service/echo selects the canary's pods too"), "{err}");
    assert!(!err.contains("no Service selects"), "the Service does select them: {err}");
    s.drive(&args);
    let objs = objects(&s.texts());
    let svc = objs.iter().find(|o| o.kind == "Service").unwrap();
    let Typed::Service(spec) = &svc.typed else { unreachable!() };
    assert_eq!(s.read("echo.yaml").matches("app: echo").count(), echo.matches("app: echo").count() + 2, "the canary keeps app: echo");
    let replicas = |n: &str| {
        let o = objs.iter().find(|o| o.name.as_deref() == Some(n)).unwrap();
        let w = o.workload().unwrap();
        (map_selects(spec.selector.as_ref().unwrap(), w.template_labels()), w.replicas)
    };
    assert_eq!(replicas("echo-v1-canary"), (true, Some(1)), "the Service reaches the canary, as the plan says");
    assert_eq!(replicas("echo-v1"), (true, Some(3)));
    assert_eq!(replicas("echo-v2"), (true, Some(2)), "the other Deployment is untouched");

    // A shared Service that selects on the track key would miss the canary: refused, as the plan says.
    let shared = format!(
        "{}---\n{}---\n{}",
        deployment("web", "{app: web, tier: fe}", "{app: web, tier: fe}", "").replace("replicas: 2", "replicas: 4"),
        deployment("admin", "{app: admin, tier: fe}", "{app: admin, tier: fe}", ""),
        service("fe", "{tier: fe}", "")
    );
    let s = Scratch::new(&[("a.yaml", &shared)]);
    let (code, _, err) = s.run(&["apply", "canary", "deploy/web", "--image", "x:2", "--track-label", "tier"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Service/fe also selects other workloads' pods and selects on tier"), "{err}");
    assert_eq!(s.read("a.yaml"), shared, "nothing was written");
}

#[test]
fn pod_and_service_monitors_follow_the_tracks_or_refuse_the_plan() {
    let dir = "testdata/strategies/monitors";
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
    let web = read("web.yaml");
    let canary = ["apply", "canary", "deploy/web", "--image", "ghcr.io/example/web:1.1.0", "--weight", "25"];
    let bg = ["apply", "blue-green", "deploy/web", "--image", "ghcr.io/example/web:1.1.0"];
    let monitor_selects = |s: &Scratch, pods_of: &str| -> bool {
        let objs = objects(&s.texts());
        let m = objs.iter().find(|o| o.kind == "PodMonitor").unwrap();
        let sel: k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector =
            serde_json::from_value(kubectl_strategy::manifest::json::to_json(m.root.pointer("/spec/selector").unwrap())).unwrap();
        let d = objs.iter().find(|o| o.kind == "Deployment" && o.name.as_deref() == Some(pods_of)).unwrap();
        selector_matches(&sel, d.workload().unwrap().template_labels())
    };

    // A PodMonitor on labels every track keeps: nothing to do.
    let kept = read("podmonitor-kept.yaml");
    let s = Scratch::new(&[("web.yaml", &web), ("monitor.yaml", &kept)]);
    s.drive(&canary);
    assert!(monitor_selects(&s, "web-canary"));
    assert_eq!(s.read("monitor.yaml"), kept);
    s.drive(&["promote", "deploy/web"]);
    assert_eq!(s.read("monitor.yaml"), kept);

    // A PodMonitor on the track key: the key goes while the canary runs (the
    // fewest keys), and comes back with promote and with rollback.
    let on_key = read("podmonitor-track-key.yaml");
    for finish in ["promote", "rollback"] {
        let s = Scratch::new(&[("web.yaml", &web), ("monitor.yaml", &on_key)]);
        let plan = s.ok(&canary);
        assert!(plan.contains("PodMonitor/web"), "the plan names the monitor it changes: {plan}");
        s.drive(&canary);
        let m = s.read("monitor.yaml");
        assert!(!m.contains("instance: main") && m.contains("      app: web        # the application\n"), "{m}");
        assert!(monitor_selects(&s, "web-canary") && monitor_selects(&s, "web"));
        s.drive(&[finish, "deploy/web"]);
        let m = BTreeMap::from([("m".to_string(), s.read("monitor.yaml"))]);
        assert_eq!(values(&m), values(&BTreeMap::from([("m".to_string(), on_key.clone())])), "{finish} puts the key back");
        assert!(s.read("monitor.yaml").contains("      app: web        # the application\n"));
    }
    // A PodMonitor whose namespaceSelector looks elsewhere never saw web's pods: left alone.
    let elsewhere = read("podmonitor-other-namespace.yaml");
    let s = Scratch::new(&[("web.yaml", &web), ("monitor.yaml", &elsewhere)]);
    let plan = s.ok(&canary);
    assert!(!plan.contains("PodMonitor/web"), "{plan}");
    s.drive(&canary);
    assert_eq!(s.read("monitor.yaml"), elsewhere);
    // The same monitor in another namespace, looking into web's: it follows the tracks.
    let there = on_key
        .replace(
            "  name: web
",
            "  name: web
  namespace: monitoring
",
        )
        .replace(
            "spec:
",
            "spec:
  namespaceSelector:
    matchNames: [shop]
",
        );
    let s = Scratch::new(&[
        (
            "web.yaml",
            &web.replace(
                "  name: web
",
                "  name: web
  namespace: shop
",
            ),
        ),
        ("monitor.yaml", &there),
    ]);
    s.drive(&canary);
    assert!(!s.read("monitor.yaml").contains("instance: main"), "{}", s.read("monitor.yaml"));
    // Blue/green keeps both tracks: the key goes for good, both tracks are scraped.
    let s = Scratch::new(&[("web.yaml", &web), ("monitor.yaml", &on_key)]);
    s.drive(&bg);
    assert!(monitor_selects(&s, "web-blue") && monitor_selects(&s, "web-green"), "{}", s.read("monitor.yaml"));

    // Without the track key the selector would take another workload's pods: refused, nothing written.
    let backend = web.replace("        instance: main\n    spec:", "        instance: main\n        tier: backend\n    spec:");
    let s = Scratch::new(&[("web.yaml", &backend), ("monitor.yaml", &read("podmonitor-shared.yaml"))]);
    let before = s.texts();
    for args in [&canary[..], &bg[..]] {
        let (code, _, err) = s.run(&[args, &["--write"]].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.starts_with("error: [blocked] "), "{err}");
        assert!(err.contains("PodMonitor/backend-main selects deployment/web's pods on instance"), "{err}");
        assert_eq!(s.texts(), before);
    }

    // A ServiceMonitor scrapes through the user's Service, which selects the
    // pods meant to get traffic at every step: nothing to do.
    let sm = read("servicemonitor.yaml");
    let s = Scratch::new(&[("web.yaml", &web), ("monitor.yaml", &sm)]);
    s.drive(&[&canary[..], &["--traffic", "smi"]].concat());
    assert_eq!(s.read("monitor.yaml"), sm);
    // A Service the plan copies with the user's labels would be scraped twice: refused.
    let s = Scratch::new(&[("rollout.yaml", &read("rollout.yaml"))]);
    let (code, _, err) = s.run(&["apply", "blue-green", "rollout/web-ro", "--write"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: [blocked] blue/green for rollout/web-ro"), "{err}");
    assert!(err.contains("ServiceMonitor/web-ro selects Service/web-ro-preview"), "{err}");
    // Without the ServiceMonitor the same plan goes through.
    let alone = read("rollout.yaml");
    let alone = &alone[..alone.rfind("---\napiVersion: monitoring.coreos.com/v1").unwrap()];
    let s = Scratch::new(&[("rollout.yaml", alone)]);
    s.drive(&["apply", "blue-green", "rollout/web-ro"]);
    assert!(s.read("rollout.yaml").contains("previewService: web-ro-preview"));
}
