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
