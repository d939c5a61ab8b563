//! The binary: exit codes, formats, stdin, input edge cases.

use crate::bin;
use std::io::Write;
use std::process::Stdio;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    crate::outcome(&out)
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json", "--fail-on", "never"]);
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn rules_of(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

#[test]
fn exit_codes() {
    assert_eq!(run(&["lint", "testdata/examples/clean.yaml"]).0, 0);
    assert_eq!(run(&["lint", "testdata/examples/shop.yaml"]).0, 1);
    assert_eq!(run(&["lint", "testdata/examples/shop.yaml", "--fail-on", "never"]).0, 0);
    // only warnings: not a failure at --fail-on error
    assert_eq!(run(&["lint", "testdata/rules/image-tag-mutable/bad.yaml", "--fail-on", "error"]).0, 0);
    assert_eq!(run(&["lint", "testdata/rules/image-tag-mutable/bad.yaml", "--fail-on", "warning"]).0, 1);
    assert_eq!(run(&["lint", "--fail-on", "bogus"]).0, 2);
    assert_eq!(run(&["explain", "no-such-rule"]).0, 2);
}

#[test]
fn missing_paths_are_usage_errors_and_empty_paths_say_so() {
    for args in [&["lint", "deploy/x.yaml"][..], &["lint", "testdata/examples", "-f", "deploy/x.yaml", "-o", "json"]] {
        let (code, out, err) = run(args);
        assert_eq!((code, out.as_str(), err.as_str()), (2, "", "error: no such file: deploy/x.yaml\n"), "{args:?}");
    }
    // not even with the rule that would report it turned off
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".kubectl-strategy.yaml"), "rules:\n  invalid-yaml: off\n").unwrap();
    let out = bin().current_dir(dir.path()).args(["lint", "deploy/x.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // a directory without manifests is not an error, but it is not silent either
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/notes.txt"), "hello").unwrap();
    let out = bin().current_dir(dir.path()).args(["lint", "empty", "-o", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "warning: no Kubernetes manifests in empty\n");
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays machine-readable");
    let (_, _, err) = run(&["lint", "testdata/examples/clean.yaml"]);
    assert_eq!(err, "");
}

#[test]
fn json_contract() {
    let v = json(&["lint", "testdata/examples/shop.yaml"]);
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["rule", "severity", "message", "file", "line", "column", "endLine", "endColumn", "object", "path", "help"]);
    let readiness = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "readiness-probe-missing").unwrap();
    assert_eq!(readiness["severity"], "error", "a Service selects the pods");
    assert_eq!(readiness["line"], 42);
    assert_eq!(readiness["column"], 11);
    assert_eq!(readiness["path"], "/spec/template/spec/containers/0/name");
    assert_eq!(readiness["object"]["kind"], "Deployment");
    assert_eq!(readiness["object"]["name"], "api-status");
    assert_eq!(v["summary"]["objects"], 3);
}

#[test]
fn human_output_has_location_snippet_and_summary() {
    let (_, out, _) = run(&["lint", "testdata/examples/shop.yaml"]);
    assert!(out.contains("error[readiness-probe-missing]: container \"api\""), "{out}");
    assert!(out.contains("[testdata/examples/shop.yaml:42:11]"), "{out}");
    assert!(out.contains("- name: api"), "{out}");
    assert!(out.contains("help:"), "{out}");
    assert!(out.contains("in 1 file; 3 objects in 1 file checked"), "{out}");
    assert!(!out.contains('\x1b'), "no colour when not on a terminal");
    let (_, forced, _) = run(&["lint", "testdata/examples/shop.yaml", "--color", "always"]);
    assert!(forced.contains('\x1b'));
}

#[test]
fn stdin_is_linted() {
    let mut child =
        bin().args(["lint", "-", "--format", "json", "--fail-on", "never"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read("testdata/examples/shop.yaml").unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["file"], "<stdin>");
    assert!(rules_of(&v).contains(&"readiness-probe-missing".to_string()));
    // an editor or a pipeline names what it pipes in
    let mut child = bin()
        .args(["lint", "-", "--stdin-filename", "k8s/shop.yaml", "-o", "github"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read("testdata/examples/shop.yaml").unwrap()).unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(out.lines().count(), 6, "{out}");
    assert!(out.lines().all(|l| l.contains(" file=k8s/shop.yaml,")), "{out}");
}

#[test]
fn list_items_are_objects_and_bad_items_are_reported() {
    let v = json(&["lint", "testdata/input/list.yaml"]);
    assert_eq!(v["summary"]["objects"], 2);
    let bad = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "invalid-manifest").unwrap();
    assert_eq!(bad["line"], 14);
    assert_eq!(bad["path"], "/items/1");
    let image = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "liveness-probe-missing").unwrap();
    assert_eq!(image["path"], "/items/2/spec/template/spec/containers/0/name");
    assert_eq!(image["line"], 31);
}

#[test]
fn json_manifests_non_kubernetes_yaml_and_templates() {
    let v = json(&["lint", "testdata/input/deployment.json"]);
    let tag = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "image-tag-mutable").unwrap();
    assert_eq!((tag["line"].as_u64(), tag["column"].as_u64()), (Some(11), Some(49)));
    let v = json(&["lint", "testdata/input/not-kubernetes.yaml", "testdata/input/helm-template.yaml"]);
    assert!(v["findings"].as_array().unwrap().is_empty());
    // The workflow and the template document: both skipped, both counted.
    assert_eq!(v["summary"]["skippedDocuments"], 2);
    assert_eq!(v["notices"][0]["line"], 4, "{v}");
    let (_, out, _) = run(&["lint", "testdata/input/helm-template.yaml"]);
    assert!(out.contains("note: testdata/input/helm-template.yaml:4: document 1 skipped: a Go/Helm template"), "{out}");
}

#[test]
fn broken_document_does_not_stop_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two.yaml");
    std::fs::write(
        &p,
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  selector: {app: [\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: busybox\n",
    )
    .unwrap();
    let v = json(&["lint", p.to_str().unwrap()]);
    let rules = rules_of(&v);
    assert_eq!(rules[0], "invalid-yaml");
    assert!(rules.contains(&"image-tag-mutable".to_string()), "{rules:?}");
    let tag = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "image-tag-mutable").unwrap();
    assert_eq!(tag["line"], 13);
}

#[test]
fn crlf_bom_and_unicode_positions() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("crlf.yaml");
    let text = "\u{feff}# «Ünïcödé» comment\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\n  labels: {app: p}\r\nspec:\r\n  containers:\r\n  - name: ça\r\n    image: \"ünï:latest\"\r\n";
    std::fs::write(&p, text).unwrap();
    let v = json(&["lint", p.to_str().unwrap()]);
    let tag = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "image-tag-mutable").unwrap();
    assert_eq!((tag["line"].as_u64(), tag["column"].as_u64(), tag["endColumn"].as_u64()), (Some(10), Some(12), Some(24)));
}

#[test]
fn hostile_inputs_are_findings_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("binary.yaml"), b"\x00\x01\x02garbage").unwrap();
    std::fs::write(d.join("latin1.yaml"), b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n").unwrap();
    std::fs::write(d.join("empty.yaml"), b"").unwrap();
    std::fs::write(d.join("dashes.yaml"), b"---\n---\n").unwrap();
    std::fs::write(d.join("tabs.yaml"), b"apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n").unwrap();
    std::fs::write(d.join("deep.yaml"), format!("apiVersion: v1\nkind: List\nitems: {}", "[".repeat(20_000))).unwrap();
    let v = json(&["lint", d.to_str().unwrap()]);
    let f = v["findings"].as_array().unwrap();
    let at = |name: &str| f.iter().find(|x| x["file"].as_str().unwrap().ends_with(name)).unwrap_or_else(|| panic!("{name}: {v}"));
    assert!(at("binary.yaml")["message"].as_str().unwrap().contains("binary"));
    let latin = at("latin1.yaml");
    assert_eq!((latin["line"].as_u64(), latin["column"].as_u64()), (Some(4), Some(12)));
    assert_eq!(at("tabs.yaml")["line"], 4);
    let deep = at("deep.yaml")["message"].as_str().unwrap().to_string();
    assert!(deep.contains("nesting") || deep.contains("recursion limit"), "{deep}");
    assert!(f.iter().all(|x| x["rule"] == "invalid-yaml"), "{v}");
}

#[test]
fn rules_and_explain() {
    let (code, out, _) = run(&["rules", "--format", "markdown"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 2 + kubectl_strategy::rules::REGISTRY.len());
    let (code, _, err) = run(&["explain", "image-tag-mutabel"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `image-tag-mutable`?"), "{err}");
    let (code, out, _) = run(&["explain", "termination-grace-period-too-short"]);
    assert_eq!(code, 0);
    for heading in ["Why", "Bad", "Good", "How to fix", "margin-seconds"] {
        assert!(out.contains(heading), "{out}");
    }
    let v: serde_json::Value = serde_json::from_str(&run(&["rules", "--format", "json"]).1).unwrap();
    assert_eq!(v.as_array().unwrap().len(), kubectl_strategy::rules::REGISTRY.len());
}

#[test]
fn help_says_kubectl_strategy_and_accepts_kubectl_flags() {
    let (_, out, _) = run(&["--help"]);
    assert!(out.contains("Usage: kubectl strategy"), "{out}");
    let (code, _, err) = run(&["lint", "--kubeconfig", "/dev/null", "--context", "x", "-n", "ns", "testdata/examples/clean.yaml"]);
    assert_eq!(code, 0, "{err}");
    // connection flags only where a cluster can be contacted
    for cmd in [&["lint"][..], &["apply", "rolling"], &["apply", "canary"], &["promote"], &["rollback"], &["diff"], &["status"]] {
        let mut a = cmd.to_vec();
        a.push("--help");
        let (_, out, _) = run(&a);
        assert!(out.contains("--kubeconfig") && out.contains("--context") && out.contains("-n, --namespace"), "{cmd:?}: {out}");
    }
    for cmd in [&["rules"][..], &["explain", "image-tag-mutable"], &["man"], &["config-schema"], &["completions", "bash"]] {
        let mut a = cmd.to_vec();
        a.extend(["--kubeconfig", "/dev/null"]);
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{cmd:?} does not talk to a cluster: {err}");
        assert!(err.contains("unexpected argument '--kubeconfig'"), "{err}");
    }
}

#[test]
fn kubectl_style_filename_and_output_flags() {
    // -f is repeatable and takes files, directories and -
    let v = json(&["lint", "-f", "testdata/examples/clean.yaml", "-f", "testdata/examples/shop.yaml"]);
    assert_eq!(v["summary"]["objects"], 6);
    let mut child = bin()
        .args(["lint", "-f", "-", "--filename", "testdata/examples", "-o", "json", "--fail-on", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read("testdata/examples/clean.yaml").unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["objects"], 9, "stdin (3) and the directory (6): {v}");
    // -o on every command that prints something
    for args in [
        &["lint", "testdata/examples/shop.yaml", "-o", "json"][..],
        &["rules", "-o", "json"],
        &["explain", "image-tag-mutable", "-o", "json"],
    ] {
        let (code, out, err) = run(args);
        assert!(code <= 1, "{args:?}: {err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"));
    }
    let (_, out, _) = run(&["explain", "image-tag-mutable", "--output=json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], "image-tag-mutable");
    // the long name of the old flag still works
    assert_eq!(
        run(&["lint", "testdata/examples/shop.yaml", "--format", "sarif"]).1,
        run(&["lint", "testdata/examples/shop.yaml", "-o", "sarif"]).1
    );
}

#[test]
fn hostile_inputs_large_many_loops_and_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // a 30 MB document: a ConfigMap with 400,000 keys
    let mut big = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    for i in 0..400_000 {
        big.push_str(&format!("  key-{i:06}: \"{}\"\n", "x".repeat(70)));
    }
    assert!(big.len() > 30_000_000);
    std::fs::write(d.join("big.yaml"), &big).unwrap();
    // 20,000 documents in one file
    let mut many = String::new();
    for i in 0..20_000 {
        many.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata: {{a: b}}\n"));
    }
    std::fs::write(d.join("many.yaml"), &many).unwrap();
    // a duplicate key, reported at the duplicate
    std::fs::write(d.join("dup.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: again\n").unwrap();
    // a symlink loop and a dangling link (unreadable)
    #[cfg(unix)]
    {
        std::fs::create_dir(d.join("loop")).unwrap();
        std::os::unix::fs::symlink("..", d.join("loop/up")).unwrap();
        std::os::unix::fs::symlink("nowhere.yaml", d.join("dangling.yaml")).unwrap();
    }
    let out = bin().args(["lint", d.to_str().unwrap(), "--format", "json", "--fail-on", "never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["objects"], 1 + 20_000, "{}", v["summary"]);
    let f = v["findings"].as_array().unwrap();
    let dup = f.iter().find(|x| x["file"].as_str().unwrap().ends_with("dup.yaml")).unwrap();
    assert_eq!((dup["rule"].as_str(), dup["line"].as_u64(), dup["column"].as_u64()), (Some("invalid-yaml"), Some(5), Some(3)));
    #[cfg(unix)]
    {
        // Both are named, once, as notices (JSON) and as notes (human).
        let notices: Vec<&str> = v["notices"].as_array().unwrap().iter().map(|n| n["message"].as_str().unwrap()).collect();
        assert_eq!(
            notices.iter().filter(|n| n.ends_with("/dangling.yaml: skipped: No such file or directory (os error 2)")).count(),
            1,
            "{notices:?}"
        );
        assert_eq!(notices.iter().filter(|n| n.ends_with("/loop/up: skipped: symlink loop, not followed")).count(), 1, "{notices:?}");
        assert!(f.iter().all(|x| !x["file"].as_str().unwrap().contains("loop/up")), "nothing read through the loop");
        let human = bin().args(["lint", d.to_str().unwrap(), "--fail-on", "never"]).output().unwrap();
        let text = String::from_utf8_lossy(&human.stdout);
        assert_eq!(text.matches("/dangling.yaml: skipped: ").count(), 1, "the unreadable file is named: {text}");
        assert_eq!(text.matches("/loop/up: skipped: symlink loop, not followed").count(), 1, "{text}");
    }
}

/// The plan commands load the config as `lint` does: `--config FILE`,
/// else the one found from the working directory, none with `--no-config`.
#[test]
fn plans_load_the_config_as_lint_does() {
    let app = std::fs::read_to_string(crate::ci::repo_root().join("testdata/regressions/fix-report/app.yaml")).unwrap();
    let dir =
        crate::ci::project(&[("app.yaml", &app), (".kubectl-strategy.yaml", "rules: [not a map]\n"), ("ok.yaml", "fail-on: error\n")]);
    for args in [&["apply", "rolling", "deployment/web", "app.yaml"][..], &["apply", "recreate", "deployment/web", "app.yaml"]] {
        let (code, _, err) = crate::ci::run_in(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: the broken config found in the directory is read: {err}");
        assert!(err.contains(".kubectl-strategy.yaml"), "{args:?}: {err}");
        for flags in [&["--no-config"][..], &["--config", "ok.yaml"]] {
            let mut a = args.to_vec();
            a.extend(flags);
            let (code, _, err) = crate::ci::run_in(dir.path(), &a);
            assert_ne!(code, 2, "{a:?}: {err}");
        }
        let mut a = args.to_vec();
        a.extend(["--config", "missing.yaml"]);
        let (code, _, err) = crate::ci::run_in(dir.path(), &a);
        assert_eq!(code, 2, "{a:?}: {err}");
        assert!(
            err.contains("error: missing.yaml: cannot read config file: "),
            "{a:?}: no line and column for a file that cannot be read: {err}"
        );
    }
}
