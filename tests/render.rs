//! Kustomize and Helm with the real tools: what they render is linted, and
//! every finding points into the user's own files.

use crate::bin;
use crate::ci::tool;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const KUSTOMIZE: &str = "testdata/render/kustomize";
const CHART: &str = "testdata/render/helm/api";

fn json(args: &[&str]) -> (i32, Value) {
    let out = bin().args(args).args(["--format", "json", "--no-config"]).output().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), v)
}

fn findings<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).collect()
}

/// The 1-based line of `file` whose text contains `needle` (the first one).
fn line_of(file: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} not in {file}")) as u64 + 1
}

/// Line `n` (1-based) of what a tool prints.
fn output_line(cmd: &mut Command, n: u64) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().nth(n as usize - 1).unwrap_or_default().to_string()
}

#[test]
fn kustomize_base_and_overlays_point_into_the_base() {
    if !tool("kubectl") {
        return;
    }
    let (_, v) = json(&["lint", KUSTOMIZE, "--fail-on", "never"]);
    let base = format!("{KUSTOMIZE}/base/deployment.yaml");
    let container = line_of(&base, "- name: api");

    // A probe missing in the base: one finding, on the base's line, naming both overlays.
    let live = findings(&v, "liveness-probe-missing");
    assert_eq!(live.len(), 1, "{v:#}");
    assert_eq!(live[0]["file"], base.as_str());
    assert_eq!((live[0]["line"].as_u64(), live[0]["column"].as_u64()), (Some(container), Some(11)));
    let msg = live[0]["message"].as_str().unwrap();
    assert!(msg.contains("overlays/prod") && msg.contains("overlays/staging"), "{msg}");
    assert_eq!(live[0]["rendered"]["by"], "kustomize");
    assert_eq!(live[0]["rendered"]["roots"].as_array().unwrap().len(), 2);
    // The base's name, not an overlay's prefixed one.
    assert_eq!(live[0]["object"]["name"], "api");

    // The prod overlay patches a readiness probe in: only staging is left.
    let ready = findings(&v, "readiness-probe-missing");
    assert_eq!(ready.len(), 1, "{v:#}");
    let msg = ready[0]["message"].as_str().unwrap();
    assert!(msg.contains("overlays/staging") && !msg.contains("overlays/prod"), "{msg}");
    assert_eq!(ready[0]["line"].as_u64(), Some(container));
    // `rendered.line` is the line in what `kubectl kustomize ROOT` prints.
    let root = ready[0]["rendered"]["root"].as_str().unwrap();
    let line = output_line(Command::new("kubectl").args(["kustomize", root]), ready[0]["rendered"]["line"].as_u64().unwrap());
    assert_eq!(line.trim().trim_start_matches("- "), "name: api");

    // The patch file is never an object of its own.
    for f in v["findings"].as_array().unwrap() {
        assert!(!f["file"].as_str().unwrap().ends_with("readiness.yaml"), "a finding on a patch file: {f}");
    }
    // An annotation in the base suppresses in every overlay, and counts as used.
    assert!(findings(&v, "resources-missing").is_empty() && findings(&v, "unused-suppression").is_empty(), "{v:#}");
    // Also when only an overlay is linted: the base is read as the source of what it renders.
    let (_, prod) = json(&["lint", &format!("{KUSTOMIZE}/overlays/prod"), "--fail-on", "never"]);
    assert_eq!(findings(&prod, "liveness-probe-missing").len(), 1, "{prod:#}");
    assert!(findings(&prod, "resources-missing").is_empty() && findings(&prod, "unused-suppression").is_empty(), "{prod:#}");

    // A build error is one finding on its kustomization; the run goes on.
    let failed = findings(&v, "kustomize-build-failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["file"], format!("{KUSTOMIZE}/overlays/broken/kustomization.yaml"));
    assert!(failed[0]["message"].as_str().unwrap().contains("replicas.yaml"), "{}", failed[0]);

    // configMapGenerator: the generated ConfigMap is checked, located in the kustomization that generates it.
    let report = crate::lint(&[KUSTOMIZE]);
    let generated: Vec<&str> = report
        .checked
        .iter()
        .filter(|(_, o)| o.starts_with("ConfigMap/") && o.contains("api-settings-"))
        .map(|(f, _)| report.files[*f].name.as_str())
        .collect();
    assert_eq!(generated, vec![format!("{KUSTOMIZE}/base/kustomization.yaml"); 2]);
}

#[test]
fn helm_chart_findings_point_into_templates_and_values() {
    if !tool("helm") {
        return;
    }
    let (_, v) = json(&["lint", CHART, "--fail-on", "never"]);
    let template = format!("{CHART}/templates/deployment.yaml");
    let all = v["findings"].as_array().unwrap();
    // Every finding of the chart, and the line it must be on.
    let expected = [
        ("pdb-missing", template.clone(), line_of(&template, "name: {{ .Release.Name }}-api"), 3),
        ("topology-spread-missing", template.clone(), line_of(&template, "    spec:"), 5),
        ("readiness-probe-missing", template.clone(), line_of(&template, "- name: api"), 11),
        ("image-tag-mutable", format!("{CHART}/values.yaml"), line_of(&format!("{CHART}/values.yaml"), "tag: latest"), 3),
        // Inside `{{- with .Values.podAnnotations }}`, `toYaml .` writes the annotation from values.
        ("prometheus-port-undeclared", format!("{CHART}/values.yaml"), line_of(&format!("{CHART}/values.yaml"), "prometheus.io/port"), 3),
    ];
    assert_eq!(all.len(), expected.len(), "{v:#}");
    for (rule, file, line, column) in &expected {
        let f = findings(&v, rule);
        assert_eq!(f.len(), 1, "{rule}: {v:#}");
        assert_eq!(
            (f[0]["file"].as_str().unwrap(), f[0]["line"].as_u64().unwrap(), f[0]["column"].as_u64().unwrap()),
            (file.as_str(), *line, *column),
            "{rule}"
        );
        assert_eq!(f[0]["rendered"]["by"], "helm");
    }
    let tag = &findings(&v, "image-tag-mutable")[0];
    assert!(tag["message"].as_str().unwrap().contains("`image.tag`"), "{tag}");
    let port = &findings(&v, "prometheus-port-undeclared")[0];
    assert!(port["message"].as_str().unwrap().contains("`podAnnotations.prometheus.io/port`"), "{port}");
    // The rendered line is where `helm template` prints the image.
    let mut helm = Command::new("helm");
    helm.args(["template", "release-name", CHART]);
    let line = output_line(&mut helm, tag["rendered"]["line"].as_u64().unwrap());
    assert_eq!(line.trim(), r#"image: "registry.example.com/shop/api:latest""#);
    let report = crate::lint(&[CHART]);
    assert_eq!(report.objects(), 2);

    // --helm-set and --helm-values change what is rendered.
    let (_, pinned) = json(&["lint", CHART, "--fail-on", "never", "--helm-set", "image.tag=4.2.0"]);
    assert!(findings(&pinned, "image-tag-mutable").is_empty(), "{pinned:#}");
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("prod.yaml");
    // A later values file that sets the value is where it comes from.
    std::fs::write(&values, "image:\n  tag: latest\n").unwrap();
    let (_, untagged) = json(&["lint", CHART, "--fail-on", "never", "--helm-values", values.to_str().unwrap()]);
    let f = findings(&untagged, "image-tag-mutable");
    assert_eq!(f.len(), 1, "{untagged:#}");
    assert_eq!(f[0]["file"].as_str().unwrap(), values.to_str().unwrap(), "the value comes from the given values file");
}

#[test]
fn a_root_that_does_not_finish_in_time_is_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("kustomize");
    std::fs::write(&slow, "#!/bin/sh\nexec sleep 30\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let start = std::time::Instant::now();
    let (code, v) =
        json(&["lint", &format!("{KUSTOMIZE}/overlays/staging"), "--kustomize-bin", slow.to_str().unwrap(), "--render-timeout", "1"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(20), "the time limit was not kept");
    assert_eq!(code, 1);
    let f = findings(&v, "kustomize-build-failed");
    assert!(f[0]["message"].as_str().unwrap().contains("did not render within 1 s"), "{v:#}");
}

#[test]
fn suppression_comments_and_baselines_work_on_the_base() {
    if !tool("kubectl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for sub in ["base", "overlays/prod", "overlays/staging"] {
        let from = Path::new(KUSTOMIZE).join(sub);
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for e in std::fs::read_dir(&from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.path().join(sub).join(e.file_name())).unwrap();
        }
    }
    let base = dir.path().join("base/deployment.yaml");
    let text = std::fs::read_to_string(&base).unwrap();
    let text = text.replace("        - name: api\n", "        # kubectl-strategy: ignore[liveness-probe-missing]\n        - name: api\n");
    std::fs::write(&base, text).unwrap();
    let run = |args: &[&str]| {
        let out =
            bin().current_dir(dir.path()).args(args).args(["--format", "json", "--no-config", "--fail-on", "never"]).output().unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let v = run(&["lint", "."]);
    assert!(findings(&v, "liveness-probe-missing").is_empty() && findings(&v, "unused-suppression").is_empty(), "{v:#}");
    assert_eq!(findings(&v, "readiness-probe-missing").len(), 1);
    let out = bin().current_dir(dir.path()).args(["lint", ".", "--no-config", "--write-baseline", "baseline.json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = run(&["lint", ".", "--baseline", "baseline.json"]);
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
}

#[test]
fn without_helm_a_chart_is_a_warning_unless_rendering_is_required() {
    let (code, v) = json(&["lint", CHART, "--helm-bin", "/nonexistent/helm"]);
    assert_eq!(code, 1, "{v:#}");
    let f = &findings(&v, "helm-render-failed")[0];
    assert_eq!(f["severity"], "warning");
    assert!(f["message"].as_str().unwrap().starts_with("helm not found, so chart testdata/render/helm/api was not rendered"), "{f:#}");
    let (code, v) = json(&["lint", CHART, "--helm-bin", "/nonexistent/helm", "--require-render"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&v, "helm-render-failed")[0]["file"], format!("{CHART}/Chart.yaml"));
    assert_eq!(findings(&v, "helm-render-failed")[0]["severity"], "error");
}

#[test]
fn exec_functions_and_remote_bases_neither_run_nor_fetch() {
    if !tool("kubectl") {
        return;
    }
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // An exec KRM function that would leave a marker behind.
    let marker = d.join("ran");
    std::fs::create_dir_all(d.join("exec")).unwrap();
    std::fs::write(d.join("exec/touch.sh"), format!("#!/bin/sh\ntouch {}\ncat\n", marker.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("exec/touch.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        d.join("exec/fn.yaml"),
        "apiVersion: example.com/v1\nkind: Touch\nmetadata:\n  name: touch\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./touch.sh\n",
    )
    .unwrap();
    std::fs::write(d.join("exec/cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n").unwrap();
    std::fs::write(d.join("exec/kustomization.yaml"), "resources: [cm.yaml]\ntransformers: [fn.yaml]\n").unwrap();
    // A remote resource served from this machine, counting requests.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let server = {
        let (hits, stop) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            let body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote\n";
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(std::time::Duration::from_secs(2))).unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = s.read(&mut buf);
                        let _ = write!(
                            s,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            }
        })
    };
    let url = format!("http://127.0.0.1:{port}/app.yaml");
    std::fs::create_dir_all(d.join("remote")).unwrap();
    std::fs::write(d.join("remote/kustomization.yaml"), format!("resources:\n  - {url}\n")).unwrap();

    let out =
        bin().current_dir(d).args(["lint", "exec", "remote", "--format", "json", "--no-config", "--fail-on", "never"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = findings(&v, "kustomize-build-failed");
    assert_eq!(failed.len(), 2, "{v:#}");
    assert!(!marker.exists(), "the exec function ran");
    let remote = failed.iter().find(|f| f["file"] == "remote/kustomization.yaml").expect("a finding on the remote reference");
    assert!(remote["message"].as_str().unwrap().contains(&url), "{remote}");
    assert_eq!(remote["line"], 2);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0, "the remote resource was fetched");

    // With --allow-remote the same kustomization does reach the server (so the count above can fail).
    let out = bin().current_dir(d).args(["lint", "remote", "--format", "json", "--no-config", "--allow-remote"]).output().unwrap();
    assert!(out.status.code().is_some(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1, "--allow-remote did not fetch");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    server.join().unwrap();
    assert!(!marker.exists(), "the exec function ran");
}

#[test]
fn strategies_refuse_targets_that_only_exist_rendered() {
    if !tool("kubectl") {
        return;
    }
    let out = bin().args(["apply", "rolling", "deployment/staging-api", &format!("{KUSTOMIZE}/overlays/staging")]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("error: [rendered-only] deployment/staging-api exists only in what kustomize renders from the kustomization testdata/render/kustomize/overlays/staging"),
        "{err}"
    );
    if tool("helm") {
        let out = bin().args(["promote", "deployment/release-name-api", CHART]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("error: [rendered-only] deployment/release-name-api exists only in what helm renders from the chart testdata/render/helm/api"), "{err}");
    }
}

#[test]
fn readme_kustomize_and_helm_output_is_current() {
    if !(tool("kubectl") && tool("helm")) {
        return;
    }
    let report = crate::lint(&[&format!("{KUSTOMIZE}/overlays/prod"), &format!("{KUSTOMIZE}/overlays/staging"), CHART]);
    let text = crate::human(&report);
    let paths = format!("{KUSTOMIZE}/overlays/prod {KUSTOMIZE}/overlays/staging {CHART}");
    crate::doc_block("docs/kustomize-helm.md", "rendered", &format!("```text\n$ kubectl-strategy lint {paths}\n{text}```\n"));
    // The README shows where each finding points, as `jq` prints it from the JSON output.
    let json: serde_json::Value = serde_json::from_str(&kubectl_strategy::report::json::to_string(&report)).unwrap();
    let mut short =
        format!("```text\n$ kubectl-strategy lint {paths} -o json | jq -r '.findings[] | \"\\(.file):\\(.line):\\(.column) \\(.rule)\"'\n");
    for f in json["findings"].as_array().unwrap() {
        short.push_str(&format!("{}:{}:{} {}\n", f["file"].as_str().unwrap(), f["line"], f["column"], f["rule"].as_str().unwrap()));
    }
    short.push_str("```\n");
    crate::doc_block("README.md", "rendered", &short);
    assert!(Path::new(KUSTOMIZE).is_dir());
}

#[test]
fn a_patch_file_named_alone_lints_its_kustomization() {
    if !tool("kubectl") {
        return;
    }
    // As pre-commit passes a staged patch: the kustomization beside it says
    // what it is, and that kustomization is linted (not the patch alone, not nothing).
    let (code, v) = json(&["lint", &format!("{KUSTOMIZE}/overlays/prod/readiness.yaml")]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["summary"]["objects"], 3, "{v:#}");
    let f = v["findings"].as_array().unwrap();
    assert!(!f.is_empty() && f.iter().all(|f| f["rendered"]["root"] == format!("{KUSTOMIZE}/overlays/prod")), "{v:#}");
}

#[test]
fn the_config_sets_values_per_chart() {
    if !tool("helm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("charts/api");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    for f in ["Chart.yaml", "values.yaml", "templates/deployment.yaml", "templates/service.yaml", "templates/_helpers.tpl"] {
        std::fs::copy(Path::new(CHART).join(f), chart.join(f)).unwrap();
    }
    std::fs::write(
        dir.path().join(".kubectl-strategy.yaml"),
        "helm:\n  charts/api:\n    values: [prod-values.yaml]\n    set: {image.repository: registry.example.com/shop/api-prod}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("prod-values.yaml"), "image:\n  tag: \"4.2.0\"\n").unwrap();
    let out = bin().current_dir(dir.path()).args(["lint", "charts", "--format", "json", "--fail-on", "never"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(findings(&v, "image-tag-mutable").is_empty(), "the config's values file was not used: {v:#}");
    assert_eq!(findings(&v, "readiness-probe-missing").len(), 1, "{v:#}");
    let out = bin().current_dir(dir.path()).args(["apply", "rolling", "deployment/release-name-api", "charts"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A container in a template branch not taken, named from values, does not take the findings
/// of the container after it (they went to the values line of the disabled one's name).
#[test]
fn findings_skip_template_branches_not_taken() {
    if !tool("helm") {
        return;
    }
    let chart = "testdata/regressions/helm-conditional";
    let (_, v) = json(&["lint", chart, "--fail-on", "never"]);
    let template = format!("{chart}/templates/deployment.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    let app = text.lines().position(|l| l.trim() == "- name: {{ .Chart.Name }}").unwrap() as u64 + 1;
    for rule in ["liveness-probe-missing", "readiness-probe-missing", "resources-missing"] {
        let f = findings(&v, rule);
        assert_eq!(f.len(), 1, "{rule}: {v:#}");
        assert_eq!((f[0]["file"].as_str().unwrap(), f[0]["line"].as_u64().unwrap()), (template.as_str(), app), "{rule}");
    }
}

/// A chart's `helm template` output committed beside it repeats the chart's findings: it is left
/// out with a notice, and the chart's own findings stay (found on opentelemetry-helm-charts, whose
/// examples/*/rendered folders held 62 % of its findings).
#[test]
fn committed_output_of_a_linted_chart_is_left_out() {
    if !tool("helm") {
        return;
    }
    let dir = "testdata/regressions/committed-helm-output";
    let (_, v) = json(&["lint", dir, "--fail-on", "never"]);
    let files: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert!(!files.is_empty() && files.iter().all(|f| f.starts_with(&format!("{dir}/chart/"))), "{v:#}");
    let notices = v["notices"].to_string();
    assert!(notices.contains("examples/default/rendered/app.yaml: skipped: output of `helm template` for chart app"), "{notices}");
    // When the chart does not render, its committed output is what there is to lint.
    let broken = tempfile::tempdir().unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::create_dir_all(broken.path().join(to).parent().unwrap()).unwrap();
        std::fs::copy(format!("{dir}/{from}"), broken.path().join(to)).unwrap();
    };
    copy("chart/Chart.yaml", "chart/Chart.yaml");
    copy("chart/values.yaml", "chart/values.yaml");
    copy("examples/default/rendered/app.yaml", "examples/default/rendered/app.yaml");
    std::fs::create_dir_all(broken.path().join("chart/templates")).unwrap();
    std::fs::write(broken.path().join("chart/templates/deployment.yaml"), "{{ fail \"this chart needs a value\" }}\n").unwrap();
    let (_, v) = json(&["lint", broken.path().to_str().unwrap(), "--fail-on", "never"]);
    let files = v["findings"].to_string();
    assert!(files.contains("examples/default/rendered/app.yaml") && files.contains("helm-render-failed"), "{v:#}");
    // Named alone (no chart in the run), the output is linted as any manifest.
    let (_, alone) = json(&["lint", &format!("{dir}/examples"), "--fail-on", "never"]);
    assert!(!alone["findings"].as_array().unwrap().is_empty(), "{alone:#}");
    // Found on stakater/Reloader: a kustomization that builds from the committed output deploys it,
    // so it is kept, and the build's findings land on its lines (not on line 1 of a skipped file).
    if !tool("kubectl") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    for from in ["chart/Chart.yaml", "chart/values.yaml", "chart/templates/deployment.yaml"] {
        std::fs::create_dir_all(kept.path().join(from).parent().unwrap()).unwrap();
        std::fs::copy(format!("{dir}/{from}"), kept.path().join(from)).unwrap();
    }
    std::fs::create_dir_all(kept.path().join("deploy")).unwrap();
    std::fs::copy(format!("{dir}/examples/default/rendered/app.yaml"), kept.path().join("deploy/app.yaml")).unwrap();
    std::fs::write(kept.path().join("deploy/kustomization.yaml"), "resources:\n  - app.yaml\n").unwrap();
    let out = bin().current_dir(kept.path()).args(["lint", ".", "-o", "json", "--fail-on", "never"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["notices"].to_string().contains("skipped: output of `helm template`"), "{v:#}");
    let in_build: Vec<&Value> = v["findings"].as_array().unwrap().iter().filter(|f| f["file"] == "deploy/app.yaml").collect();
    assert!(!in_build.is_empty() && in_build.iter().all(|f| f["line"].as_u64().unwrap() > 3), "{v:#}");
}

const REGRESSIONS: &str = "testdata/regressions";

/// The helms to run a chart test with: each of the two this machine's CI
/// cache holds (helm 4 and helm 3, which default to different Kubernetes
/// versions), else the one on PATH (`None`), else none.
fn helms() -> Vec<Option<String>> {
    let cache = Path::new("/root/.cache/kubectl-strategy-ci");
    let cached: Vec<Option<String>> = ["helm-v4.3.2/helm", "helm-v3.21.4/helm"]
        .iter()
        .map(|h| cache.join(h))
        .filter(|h| h.is_file())
        .map(|h| Some(format!("{}:/usr/bin:/bin", h.parent().unwrap().display())))
        .collect();
    if !cached.is_empty() {
        return cached;
    }
    if tool("helm") { vec![None] } else { Vec::new() }
}

/// `lint ARGS -o json` with `path` as PATH (or the inherited one).
fn json_with(path: &Option<String>, args: &[&str]) -> Value {
    let mut c = bin();
    c.args(args).args(["--format", "json", "--fail-on", "never"]);
    if let Some(p) = path {
        c.env("PATH", p);
    }
    let out = c.output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// testdata/regressions/kube-version: `kubeVersion: ">=1.22.0-0"` in Chart.yaml
/// and `.Capabilities.KubeVersion` in a template render with helm 4 and helm 3
/// (whose own default is v1.20); the config's `kube-version` for the chart and
/// `--kube-version` (which wins) change the version.
#[test]
fn charts_render_for_a_current_kubernetes_by_default_per_chart_and_by_flag() {
    let dir = format!("{REGRESSIONS}/kube-version");
    let chart = format!("{dir}/chart");
    let config = format!("{dir}/.kubectl-strategy.yaml");
    for path in helms() {
        let v = json_with(&path, &["lint", &chart, "--no-config"]);
        assert!(findings(&v, "helm-render-failed").is_empty(), "{path:?}: {v:#}");
        assert_eq!(v["summary"]["objects"], 2, "{path:?}: {v:#}");
        // The config renders this chart for 1.21.0, which its Chart.yaml refuses.
        let v = json_with(&path, &["lint", &chart, "--config", &config]);
        let failed = findings(&v, "helm-render-failed");
        assert_eq!(failed.len(), 1, "{path:?}: {v:#}");
        assert!(failed[0]["message"].as_str().unwrap().contains("incompatible with Kubernetes v1.21.0"), "{path:?}: {v:#}");
        // The flag wins over the config.
        let v = json_with(&path, &["lint", &chart, "--config", &config, "--kube-version", "v1.31"]);
        assert!(findings(&v, "helm-render-failed").is_empty(), "{path:?}: {v:#}");
        assert_eq!(v["summary"]["objects"], 2, "{path:?}: {v:#}");
    }
    // Only a version: never something helm would read as an option.
    for bad in ["--debug", "1.30 --set=x", ">=1.22", "v1"] {
        let out = bin().args(["lint", &chart, "--no-config", "--kube-version", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

/// testdata/regressions/kubernetes-version: `kubernetesVersion:` of the config
/// is both what a chart without its own `kube-version` renders for and what
/// the API version rules judge at; `--kube-version` wins over it; without
/// either, the newest version the tool knows. Findings are on the template's
/// `apiVersion` line of the branch that rendered.
#[test]
fn the_target_version_renders_charts_and_judges_api_versions() {
    let dir = format!("{REGRESSIONS}/kubernetes-version");
    let chart = format!("{dir}/chart");
    let config = format!("{dir}/.kubectl-strategy.yaml");
    let found = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("api-version"))
            .map(|f| {
                format!("{} {}:{} {}", f["rule"].as_str().unwrap(), f["file"].as_str().unwrap(), f["line"], f["path"].as_str().unwrap())
            })
            .collect();
        out.sort();
        out
    };
    let (pdb, cronjob) = (format!("{chart}/templates/pdb.yaml"), format!("{chart}/templates/cronjob.yaml"));
    for path in helms() {
        // 1.24 from the config: the budget rendered at policy/v1beta1 (helm was told 1.24 too), both deprecated.
        let v = json_with(&path, &["lint", &chart, "--config", &config]);
        assert!(findings(&v, "helm-render-failed").is_empty(), "{path:?}: {v:#}");
        assert_eq!(
            found(&v),
            [format!("api-version-deprecated {cronjob}:1 /apiVersion"), format!("api-version-deprecated {pdb}:4 /apiVersion")],
            "{path:?}: {v:#}"
        );
        let message = findings(&v, "api-version-deprecated").iter().map(|f| f["message"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert!(message.iter().all(|m| m.contains("removed in Kubernetes 1.25")), "{message:?}");
        // The flag wins: at 1.20 nothing is deprecated yet.
        let v = json_with(&path, &["lint", &chart, "--config", &config, "--kube-version", "1.20"]);
        assert_eq!(found(&v), Vec::<String>::new(), "{path:?}: {v:#}");
        assert_eq!(v["summary"]["objects"], 2, "{path:?}: {v:#}");
        // Without either: the newest version; the budget renders at policy/v1, the CronJob is gone.
        let v = json_with(&path, &["lint", &chart, "--no-config"]);
        assert_eq!(found(&v), [format!("api-version-removed {cronjob}:1 /apiVersion")], "{path:?}: {v:#}");
    }
}

/// `lint ARGS -o json --no-config`: the exit code, the report, and its notices as `file:line: message`.
fn json_notices(args: &[&str]) -> (i32, Value, Vec<String>) {
    let (code, v) = json(args);
    let notices = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| format!("{}:{}: {}", n["file"].as_str().unwrap_or_default(), n["line"], n["message"].as_str().unwrap()))
        .collect();
    (code, v, notices)
}

/// testdata/regressions/library-chart: a library chart is skipped with a
/// notice (helm refuses it alone), not a `helm-render-failed` error.
#[test]
fn a_library_chart_is_a_notice_not_a_render_failure() {
    if !tool("helm") {
        return;
    }
    let dir = format!("{REGRESSIONS}/library-chart");
    let (code, v, notices) = json_notices(&["lint", &dir, "--fail-on", "error"]);
    assert!(findings(&v, "helm-render-failed").is_empty(), "{v:#}");
    assert_eq!(code, 0, "{v:#}");
    // The application chart beside it renders.
    assert_eq!(v["summary"]["objects"], 1, "{v:#}");
    let library: Vec<&String> = notices.iter().filter(|n| n.contains("library chart")).collect();
    assert_eq!(library.len(), 1, "{notices:?}");
    assert!(library[0].contains(&format!("{dir}/common/Chart.yaml")) && library[0].contains("not rendered on its own"), "{library:?}");
}

/// testdata/regressions/kustomize-component: a `kind: Component` folder is
/// never built alone; one that no kustomization of the run uses is not
/// linted at all (a notice says so), one that is used is linted in its user.
#[test]
fn a_kustomize_component_is_not_a_root() {
    if !tool("kubectl") {
        return;
    }
    let dir = format!("{REGRESSIONS}/kustomize-component");
    let (_, v, notices) = json_notices(&["lint", &dir, "--fail-on", "never"]);
    assert!(findings(&v, "kustomize-build-failed").is_empty(), "{v:#}");
    for f in v["findings"].as_array().unwrap() {
        assert!(!f["file"].as_str().unwrap().contains("/components/"), "a finding in a component's file: {f}");
        assert_eq!(f["rendered"]["root"], format!("{dir}/overlays/prod"), "{f}");
    }
    // The component's patch reached the prod build: its readiness probe is there.
    assert!(findings(&v, "readiness-probe-missing").is_empty(), "{v:#}");
    assert!(!findings(&v, "liveness-probe-missing").is_empty(), "{v:#}");
    let unused: Vec<&String> = notices.iter().filter(|n| n.contains("Kustomize Component")).collect();
    assert_eq!(unused.len(), 1, "{notices:?}");
    assert!(unused[0].contains(&format!("{dir}/components/budget/kustomization.yaml:2")), "{unused:?}");
    // Named alone, a component is not built, and says why nothing was linted.
    let (_, v, notices) = json_notices(&["lint", &format!("{dir}/components/probes"), "--fail-on", "never"]);
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
    assert!(notices.iter().any(|n| n.contains("Kustomize Component") && n.contains("components/probes")), "{notices:?}");
}

/// testdata/regressions/failed-patches: a kustomization that fails to build
/// is one finding; its resources are linted one by one, its patches never.
#[test]
fn the_patches_of_a_failed_kustomization_are_not_objects() {
    if !tool("kubectl") {
        return;
    }
    let dir = format!("{REGRESSIONS}/failed-patches");
    let (_, v) = json(&["lint", &dir, "--fail-on", "never"]);
    assert_eq!(findings(&v, "kustomize-build-failed").len(), 1, "{v:#}");
    for f in v["findings"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap();
        assert!(!file.ends_with("replicas.yaml") && !file.ends_with("resources.yaml"), "a finding on a patch: {f}");
    }
    // The resource is linted on its own (one object: the patches are not objects).
    assert_eq!(v["summary"]["objects"], 1, "{v:#}");
    assert!(!findings(&v, "liveness-probe-missing").is_empty(), "{v:#}");
}

/// testdata/regressions/kind-change: a JSON 6902 patch turns the base's
/// StatefulSet into a Deployment; the Deployment's findings land in the
/// StatefulSet's document (its container's line), not on line 1 of the file
/// (the Service before it).
#[test]
fn findings_of_an_object_whose_kind_a_patch_changed_land_in_its_document() {
    if !tool("kubectl") {
        return;
    }
    let dir = format!("{REGRESSIONS}/kind-change");
    let (_, v) = json(&["lint", &dir, "--fail-on", "never"]);
    let base = format!("{dir}/base/db.yaml");
    let container = line_of(&base, "- name: postgres");
    let liveness = findings(&v, "liveness-probe-missing");
    assert_eq!(liveness.len(), 1, "{v:#}");
    assert_eq!(liveness[0]["file"], base.as_str());
    // The object is named as the user's document names it; the message says what is deployed.
    assert_eq!(liveness[0]["object"]["kind"], "StatefulSet");
    assert!(liveness[0]["message"].as_str().unwrap().contains("Deployment/db"), "{v:#}");
    assert_eq!(liveness[0]["line"], container, "{v:#}");
    for f in v["findings"].as_array().unwrap() {
        assert!(f["line"].as_u64().unwrap() > line_of(&base, "kind: StatefulSet"), "outside the StatefulSet's document: {f}");
    }
}

/// testdata/regressions/unused-patch: a patch file in a Component's folder
/// that no kustomization lists is left out with a notice; the Deployment the
/// Component patches is linted once, from the app that uses it.
#[test]
fn a_patch_file_no_kustomization_lists_is_not_an_object() {
    if !tool("kubectl") {
        return;
    }
    let dir = format!("{REGRESSIONS}/unused-patch");
    let (_, v, notices) = json_notices(&["lint", &dir, "--fail-on", "never"]);
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(f["file"], format!("{dir}/app/web.yaml"), "a finding outside the app: {f}");
    }
    assert!(findings(&v, "selector-template-mismatch").is_empty(), "{v:#}");
    assert_eq!(v["summary"]["objects"], 1, "{v:#}");
    let skipped: Vec<&String> = notices.iter().filter(|n| n.contains("patches/debug.yaml: skipped: a Kustomize patch")).collect();
    assert_eq!(skipped.len(), 1, "{notices:?}");
}

/// testdata/regressions/dev-overlay: the availability and resources findings that only a
/// development overlay has (one replica, requests removed on purpose) are notes saying so.
#[test]
fn findings_only_a_development_overlay_has_are_notes() {
    if !tool("kubectl") {
        return;
    }
    let dir = format!("{REGRESSIONS}/dev-overlay");
    let (_, v) = json(&["lint", &dir, "--fail-on", "never"]);
    let brief: Vec<(&str, &str)> =
        v["findings"].as_array().unwrap().iter().map(|f| (f["rule"].as_str().unwrap(), f["severity"].as_str().unwrap())).collect();
    assert_eq!(brief, vec![("single-replica", "info"), ("resources-missing", "info")], "{v:#}");
    for f in v["findings"].as_array().unwrap() {
        assert!(f["message"].as_str().unwrap().ends_with("; a note: only in a development or test build (dev)"), "{f}");
    }
}

/// testdata/regressions/chart-default: one replica that comes from the chart's own
/// `values.yaml` default (`replicaCount: 1`) is a note on that line: each install sets its own.
#[test]
fn a_chart_default_of_one_replica_is_a_note() {
    let dir = format!("{REGRESSIONS}/chart-default");
    for path in helms() {
        let v = json_with(&path, &["lint", &dir, "--no-config"]);
        let single = findings(&v, "single-replica");
        assert_eq!(single.len(), 1, "{path:?}: {v:#}");
        assert_eq!(single[0]["file"], format!("{dir}/values.yaml"));
        assert_eq!(single[0]["line"], 2);
        assert_eq!(single[0]["severity"], "info");
        assert!(single[0]["message"].as_str().unwrap().ends_with("; a note: a default of the chart, which each install sets for itself"));
    }
}

/// testdata/regressions/patch-added-container: the findings of a container that a Kustomize
/// patch adds land on its lines in the patch, not on the base's `containers:` key.
#[test]
fn findings_of_a_container_a_patch_adds_land_in_the_patch() {
    if !tool("kubectl") {
        return;
    }
    let dir = format!("{REGRESSIONS}/patch-added-container");
    let (_, v) = json(&["lint", &dir, "--fail-on", "never"]);
    let patch = format!("{dir}/overlay/proxy.yaml");
    let name = line_of(&patch, "- name: proxy");
    for rule in ["liveness-probe-missing", "readiness-probe-missing", "resources-missing"] {
        let f = findings(&v, rule);
        assert_eq!(f.len(), 1, "{rule}: {v:#}");
        assert_eq!((f[0]["file"].as_str().unwrap(), f[0]["line"].as_u64().unwrap()), (patch.as_str(), name), "{rule}");
    }
    let tag = findings(&v, "image-tag-mutable");
    assert_eq!((tag[0]["file"].as_str().unwrap(), tag[0]["line"].as_u64().unwrap()), (patch.as_str(), name + 1));
    // The base's own container has everything: nothing else lands in the base but the spread note.
    let base: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().contains("/base/"))
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(base, vec!["topology-spread-missing"], "{v:#}");
}

/// testdata/regressions/missing-dependency: a dependency that is not in
/// charts/ is named with the command that vendors it; when its `condition:`
/// switches it off, the chart is rendered without it and a notice says so.
#[test]
fn a_missing_chart_dependency_is_named_and_left_out_where_its_condition_allows() {
    let dir = format!("{REGRESSIONS}/missing-dependency");
    for path in helms() {
        let v = json_with(&path, &["lint", &dir, "--no-config"]);
        let failed = findings(&v, "helm-render-failed");
        assert_eq!(failed.len(), 1, "{path:?}: {v:#}");
        assert_eq!(failed[0]["file"], format!("{dir}/required/Chart.yaml"));
        assert_eq!(
            failed[0]["message"],
            format!(
                "{dir}/required does not render: dependency `postgresql` 16.4.1 from https://charts.bitnami.com/bitnami is not in {dir}/required/charts/ (run `helm dependency build {dir}/required` to vendor it)"
            ),
            "{path:?}"
        );
        // The optional one rendered without postgresql: its Deployment is linted, from its template.
        assert_eq!(v["summary"]["objects"], 1, "{path:?}: {v:#}");
        let template = format!("{dir}/optional/templates/deployment.yaml");
        assert!(findings(&v, "liveness-probe-missing").iter().any(|f| f["file"] == template.as_str()), "{path:?}: {v:#}");
        // Rendered with `postgresql.enabled=false`: no init container waits for the database.
        assert!(findings(&v, "image-tag-mutable").is_empty(), "{path:?}: {v:#}");
        let notices: Vec<&Value> = v["notices"].as_array().unwrap().iter().collect();
        assert_eq!(notices.len(), 2, "{path:?}: {v:#}");
        assert_eq!(notices[0]["file"], format!("{dir}/optional/Chart.yaml"));
        assert_eq!(notices[0]["line"], 5);
        assert_eq!(
            notices[0]["message"],
            format!(
                "chart {dir}/optional was rendered without its dependency `postgresql`, which is not in {dir}/optional/charts/ (switched off with `postgresql.enabled=false`); run `helm dependency build {dir}/optional` to lint it with the chart"
            )
        );
        // An aliased entry of the same chart: one notice each.
        assert_eq!(notices[1]["line"], 10);
        let aliased = notices[1]["message"].as_str().unwrap();
        assert!(aliased.contains("`postgresql` (as `analytics-db`)") && aliased.contains("`analytics-db.enabled=false`"), "{aliased}");
    }
}

/// Rendering that takes more than a second draws a progress line on a
/// terminal's standard error (through `script`, which gives it one), never in
/// a machine format, never when standard error is not a terminal.
#[test]
fn a_slow_render_shows_progress_on_a_terminal_only() {
    if !crate::require(Path::new("/usr/bin/script").is_file(), "script", "install bsdutils (util-linux)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("kustomize");
    std::fs::write(&slow, "#!/bin/sh\nsleep 2\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: c\\n'\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/kustomization.yaml"), "resources: []\n").unwrap();
    let lint =
        format!("{} lint app --no-config --fail-on never --kustomize-bin {}", env!("CARGO_BIN_EXE_kubectl-strategy"), slow.display());
    let on_terminal = |extra: &str| {
        let out = Command::new("/usr/bin/script")
            .current_dir(dir.path())
            .args(["-qec", &format!("{lint} {extra} >/dev/null"), "/dev/null"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(on_terminal("").contains("rendering 0/1 kustomizations and charts"), "{}", on_terminal(""));
    assert!(!on_terminal("-o json").contains("rendering"));
    let out = bin().current_dir(dir.path()).args(["lint", "app", "--no-config", "--kustomize-bin"]).arg(&slow).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("rendering"), "{}", String::from_utf8_lossy(&out.stderr));
}
