//! What the tool reads and runs on an untrusted repository (issue 28): no
//! special file, no link out of the repository, a bounded read per file, no
//! option smuggled into git or helm, and no input left unlinted in silence.
//!
//! Links to `/proc`, `/dev` and outside folders are made at run time in
//! temporary folders: a committed link to `/proc` would itself be hostile.

use crate::ci::{git, tool};
use crate::{bin, outcome};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A secret in the environment of the linter: it must never be printed.
const SECRET: &str = "s3cr3t-token-from-the-ci-environment";

/// A Kustomize patch that makes the Deployment invalid (`recreate-with-rolling-params` on its line 6).
const PATCH: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n";

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: web, image: nginx}\n";

/// A repository (a folder with `.git`) holding `files`.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn link(target: impl AsRef<Path>, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

/// `kubectl-strategy ARGS` in `dir`, with the secret in its environment; (code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().current_dir(dir).env("CI_SECRET", SECRET).args(args).output().unwrap();
    outcome(&out)
}

/// A file outside every repository holding the secret (a kubeconfig, say).
fn outside_secret() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("kubeconfig");
    std::fs::write(&p, format!("apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user: {{token: {SECRET}}}\n")).unwrap();
    (dir, p)
}

fn no_secret(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} prints the secret:\n{text}");
}

#[test]
fn links_to_proc_and_out_of_the_repository_are_skipped_and_named() {
    let (_outside, secret_file) = outside_secret();
    let dir = repo(&[("k8s/web.yaml", DEPLOYMENT)]);
    let d = dir.path();
    link("/proc/self/environ", &d.join("k8s/env.yaml"));
    link(&secret_file, &d.join("k8s/kubeconfig.yaml"));
    link(secret_file.parent().unwrap(), &d.join("k8s/elsewhere"));
    // A link that stays inside the repository is followed.
    link("web.yaml", &d.join("k8s/same.yaml"));
    for format in ["human", "github", "json", "sarif", "junit"] {
        let (code, out, err) = run(d, &["lint", "k8s", "-o", format]);
        no_secret(format, &format!("{out}{err}"));
        assert_eq!(code, 1, "{format}: {err}");
        if format == "human" {
            for notice in [
                "k8s/env.yaml: skipped: symlink to a file outside the repository",
                "k8s/kubeconfig.yaml: skipped: symlink to a file outside the repository",
                "k8s/elsewhere: skipped: symlink to a folder outside the repository",
            ] {
                assert!(out.contains(notice) || err.contains(notice), "{notice}\n{out}{err}");
            }
            assert!(out.contains("k8s/same.yaml"), "a link inside the repository is linted:\n{out}");
        }
    }
    // Named on the command line (as pre-commit names files), the same.
    for named in ["k8s/env.yaml", "k8s/kubeconfig.yaml", "k8s/elsewhere/kubeconfig"] {
        let (_, out, err) = run(d, &["lint", named]);
        no_secret(named, &format!("{out}{err}"));
        assert!(format!("{out}{err}").contains(&format!("{named}: skipped: symlink to a")), "{named}:\n{out}{err}");
    }
    // A file of /proc named directly is not read either.
    let (_, out, err) = run(d, &["lint", "/proc/self/environ"]);
    no_secret("/proc/self/environ", &format!("{out}{err}"));
    assert!(format!("{out}{err}").contains("/proc/self/environ: skipped: a system file"), "{out}{err}");
}

#[test]
fn a_linked_config_file_out_of_the_repository_is_not_read() {
    let dir = repo(&[("web.yaml", DEPLOYMENT)]);
    link("/proc/self/environ", &dir.path().join(".kubectl-strategy.yaml"));
    let (code, out, err) = run(dir.path(), &["lint", "web.yaml"]);
    no_secret("config", &format!("{out}{err}"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("config file not read: skipped: symlink to a file outside the repository"), "{err}");
}

#[test]
fn special_files_are_never_read_named_or_found() {
    let dir = repo(&[("web.yaml", DEPLOYMENT)]);
    let d = dir.path();
    link("/dev/zero", &d.join("zero.yaml"));
    let fifo = d.join("k8s/pipe.yaml");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let made = Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    // Without the fix, `lint zero.yaml` allocates until memory runs out and
    // the FIFO blocks forever: both must end at once.
    let started = Instant::now();
    let (_, out, err) = run(d, &["lint", "zero.yaml"]);
    assert!(format!("{out}{err}").contains("zero.yaml: skipped: symlink to a file outside the repository"), "{out}{err}");
    if crate::require(made, "mkfifo", "install coreutils") {
        let (_, out, err) = run(d, &["lint", "k8s"]);
        assert!(format!("{out}{err}").contains("k8s/pipe.yaml: skipped: not a regular file (a FIFO)"), "{out}{err}");
        let (_, out, err) = run(d, &["lint", "k8s/pipe.yaml"]);
        assert!(format!("{out}{err}").contains("k8s/pipe.yaml: skipped: not a regular file (a FIFO)"), "{out}{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

#[test]
fn a_file_over_the_read_limit_is_an_error_and_the_limit_is_configurable() {
    // One line of 2 MiB: over a limit of 1 MiB, under the default 64 MiB.
    let big = format!("# {}\n{DEPLOYMENT}", "x".repeat(2 << 20));
    let dir = repo(&[("big.yaml", &big), ("small.yaml", DEPLOYMENT), (".kubectl-strategy.yaml", "max-file-mib: 1\n")]);
    let (code, out, err) = run(dir.path(), &["lint", ".", "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let too_big: Vec<&serde_json::Value> = v["findings"].as_array().unwrap().iter().filter(|f| f["file"] == "big.yaml").collect();
    assert_eq!(too_big.len(), 1, "{v:#}");
    let message = too_big[0]["message"].as_str().unwrap();
    assert!(message.contains("big.yaml: larger than 1 MiB, the limit per file (`max-file-mib`"), "{message}");
    // The other file is linted.
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["file"] == "small.yaml"), "{v:#}");
    // With the default limit the file is read.
    std::fs::remove_file(dir.path().join(".kubectl-strategy.yaml")).unwrap();
    let (_, out, _) = run(dir.path(), &["lint", "big.yaml", "-o", "json"]);
    assert!(!out.contains("larger than"), "{out}");
    // A bad value is a config error naming the key.
    std::fs::write(dir.path().join(".kubectl-strategy.yaml"), "max-file-mib: 0\n").unwrap();
    let (code, _, err) = run(dir.path(), &["lint", "small.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("`max-file-mib` must be a whole number of MiB from 1 to"), "{err}");
}

#[test]
fn changed_since_cannot_smuggle_an_option_into_git() {
    if !tool("git") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("web.yaml"), DEPLOYMENT).unwrap();
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "base"]);
    let written = d.join("pwned");
    for rev in [format!("--output={}", written.display()), format!("--output={} HEAD", written.display())] {
        let (code, _, err) = run(d, &["lint", "web.yaml", &format!("--changed-since={rev}")]);
        assert_eq!(code, 2, "{rev}: {err}");
        assert!(err.contains("is not a commit of this repository"), "{err}");
        assert!(!written.exists(), "{rev}: git wrote {}", written.display());
    }
    let (code, _, err) = run(d, &["lint", "web.yaml", "--changed-since", "no-such-rev"]);
    assert_eq!(code, 2);
    assert!(err.contains("--changed-since: `no-such-rev` is not a commit of this repository"), "{err}");
    let (code, _, err) = run(d, &["lint", "web.yaml", "--changed-since", "HEAD"]);
    assert_eq!(code, 0, "{err}");
}

/// A chart whose template prints `.Files.Get "secret.txt"` into a ConfigMap.
fn chart_reading(d: &Path, secret_target: &Path) -> PathBuf {
    let chart = d.join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: leak\nversion: 0.1.0\n").unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Files.Get \"secret.txt\" | quote }}\ndata: {a: b}\n",
    )
    .unwrap();
    link(secret_target, &chart.join("secret.txt"));
    chart
}

#[test]
fn helm_cannot_read_a_link_out_of_the_chart() {
    if !tool("helm") {
        return;
    }
    let (_outside, secret_file) = outside_secret();
    for target in [secret_file.as_path(), Path::new("/proc/self/environ")] {
        let dir = repo(&[]);
        chart_reading(dir.path(), target);
        for format in ["human", "github", "json"] {
            let (code, out, err) = run(dir.path(), &["lint", "chart", "-o", format]);
            no_secret(format, &format!("{out}{err}"));
            assert_eq!(code, 1, "{err}");
            if format == "json" {
                assert!(out.contains("helm-render-failed"), "{out}");
                assert!(
                    out.contains(
                        "chart was not rendered: chart/secret.txt: symlink to a file outside the repository, which helm would read"
                    ),
                    "{out}"
                );
            }
        }
    }
}

#[test]
fn kustomize_cannot_read_a_link_out_of_the_repository() {
    if !tool("kubectl") {
        return;
    }
    let (_outside, secret_file) = outside_secret();
    let dir =
        repo(&[("app/kustomization.yaml", "resources: [env.yaml, web.yaml]\nconfigMapGenerator:\n- name: leak\n  files: [kubeconfig]\n")]);
    let d = dir.path();
    std::fs::write(d.join("app/web.yaml"), DEPLOYMENT).unwrap();
    link("/proc/self/environ", &d.join("app/env.yaml"));
    link(&secret_file, &d.join("app/kubeconfig"));
    for format in ["human", "github", "json"] {
        let (code, out, err) = run(d, &["lint", "app", "-o", format]);
        no_secret(format, &format!("{out}{err}"));
        assert_eq!(code, 1, "{err}");
        if format == "json" {
            assert!(out.contains("kustomize-build-failed"), "{out}");
            assert!(out.contains("app was not rendered: app/"), "{out}");
            assert!(out.contains(": symlink to a file outside the repository, which kustomize would read"), "{out}");
        }
    }
}

/// A PATH with helm `version` first, and kubectl.
fn path_with_helm(helm: &Path) -> String {
    format!("{}:/usr/bin:/bin", helm.parent().unwrap().display())
}

#[test]
fn charts_are_rendered_for_a_current_kubernetes_version_by_both_helms() {
    let cache = Path::new("/root/.cache/kubectl-strategy-ci");
    let helms: Vec<PathBuf> = ["helm-v4.3.2/helm", "helm-v3.21.4/helm"].iter().map(|h| cache.join(h)).filter(|h| h.is_file()).collect();
    // CI installs one helm on PATH; this machine's cache may hold both.
    let on_path = tool("helm");
    if helms.is_empty() && !on_path {
        return;
    }
    // helm 3.21 renders for v1.20 by default, helm 4.3 for v1.37: neither satisfies ~1.36.
    let dir = repo(&[
        ("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\nkubeVersion: \"~1.36.0-0\"\n"),
        ("chart/templates/web.yaml", DEPLOYMENT),
    ]);
    let mut runs: Vec<Option<String>> = helms.iter().map(|h| Some(path_with_helm(h))).collect();
    if helms.is_empty() {
        runs.push(None);
    }
    for path in runs {
        let with = |extra: &[&str]| {
            let mut c = bin();
            c.current_dir(dir.path()).args(["lint", "chart", "-o", "json", "--fail-on", "never"]).args(extra);
            if let Some(p) = &path {
                c.env("PATH", p);
            }
            let (_, out, err) = outcome(&c.output().unwrap());
            (serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|_| panic!("{out}{err}")), err)
        };
        let (v, err) = with(&[]);
        let rules: Vec<&str> = v["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
        assert!(!rules.contains(&"helm-render-failed"), "{path:?}: {v:#}{err}");
        assert_eq!(v["summary"]["objects"], 1, "{path:?}: {v:#}");
        // --kube-version overrides it.
        let (v, _) = with(&["--kube-version", "1.30.0"]);
        let failed = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "helm-render-failed").expect("fails for 1.30");
        assert!(failed["message"].as_str().unwrap().contains("incompatible with Kubernetes v1.30.0"), "{failed:#}");
    }
    let (code, _, err) = run(dir.path(), &["lint", "chart", "--kube-version", "--set=x"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_chart_without_helm_is_a_warning_and_an_error_with_require_render() {
    let dir = repo(&[("chart/Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n"), ("chart/templates/web.yaml", DEPLOYMENT)]);
    let empty = tempfile::tempdir().unwrap();
    let lint = |extra: &[&str]| {
        let out =
            bin().current_dir(dir.path()).env("PATH", empty.path()).args(["lint", "chart", "-o", "json"]).args(extra).output().unwrap();
        let (code, out, err) = outcome(&out);
        (code, serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|_| panic!("{out}{err}")), err)
    };
    let (code, v, err) = lint(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert!(!err.contains("no Kubernetes manifests"), "{err}");
    let f = &v["findings"][0];
    assert_eq!((f["rule"].as_str(), f["severity"].as_str()), (Some("helm-render-failed"), Some("warning")), "{v:#}");
    assert!(f["message"].as_str().unwrap().contains("its objects were not linted; install helm or pass --helm-bin"), "{f:#}");
    let (code, v, _) = lint(&["--require-render"]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["severity"], "error", "{v:#}");
    // The advice is followable: --no-render lints the chart's files one by one.
    let (code, v, err) = lint(&["--no-render"]);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["rule"] != "helm-render-failed"), "{v:#}{err}");
    assert!(code == 0 || code == 1, "{err}");
}

#[test]
fn an_unreadable_folder_is_an_error_not_zero_objects() {
    let dir = tempfile::tempdir_in("/tmp").unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("k8s/secret")).unwrap();
    std::fs::write(d.join("k8s/secret/web.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(d.join("k8s/ok.yaml"), DEPLOYMENT.replace("name: web", "name: ok")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("k8s/secret"), std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any folder: run as nobody (setpriv) then, or say the check was skipped.
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut c = if root {
        // A copy beside the test folder: the build folder may be under a home nobody cannot enter.
        let exe = d.join("kubectl-strategy");
        std::fs::copy(env!("CARGO_BIN_EXE_kubectl-strategy"), &exe).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        let can = Command::new("setpriv").args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&exe).arg("--version").output();
        if !can.is_ok_and(|o| o.status.success()) {
            std::fs::set_permissions(d.join("k8s/secret"), std::fs::Permissions::from_mode(0o755)).unwrap();
            crate::skip("setpriv (the unreadable-folder test runs as root)", "util-linux's setpriv");
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(&exe);
        c
    } else {
        bin()
    };
    let out = c.current_dir(d).args(["lint", "k8s", "--no-config", "-o", "json"]).output().unwrap();
    std::fs::set_permissions(d.join("k8s/secret"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, out, err) = outcome(&out);
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["file"] == "k8s/secret").expect("a finding on the folder");
    assert_eq!(f["severity"], "error");
    let message = f["message"].as_str().unwrap();
    assert!(message.contains("k8s/secret: cannot read folder: Permission denied"), "{message}");
    assert!(message.contains("the files in it are not linted"), "{message}");
}

#[test]
fn a_changed_kustomize_patch_lints_its_kustomization() {
    if !tool("kubectl") {
        return;
    }
    let dir = repo(&[
        ("base/kustomization.yaml", "resources: [web.yaml]\n"),
        ("base/web.yaml", &DEPLOYMENT.replace("replicas: 1", "replicas: 3")),
        ("prod/kustomization.yaml", "resources: [../base]\npatches:\n- path: replicas.yaml\n"),
        ("prod/replicas.yaml", PATCH),
    ]);
    // pre-commit passes only the staged patch.
    let (code, out, err) = run(dir.path(), &["lint", "prod/replicas.yaml", "-o", "json", "--no-config"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    assert!(!err.contains("no Kubernetes manifests"), "{err}");
    let found =
        v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "recreate-with-rolling-params").expect("the patch's finding");
    // Found on the rendered Deployment (the patch's strategy), located in the patch that sets it.
    assert_eq!(found["file"], "prod/replicas.yaml", "{found:#}");
    assert_eq!(code, 1);
    // A changed base resource lints the base.
    let (_, out, _) = run(dir.path(), &["lint", "base/web.yaml", "-o", "json", "--no-config"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["rule"] != "recreate-with-rolling-params"), "{v:#}");
    assert_eq!(v["summary"]["objects"], 1, "{v:#}");
}

#[test]
fn a_changed_kustomize_patch_fails_the_pre_commit_hook() {
    if !tool("pre-commit") || !tool("git") || !tool("kubectl") {
        return;
    }
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-strategy")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let hooks = tempfile::tempdir().unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"), hooks.path().join(".pre-commit-hooks.yaml"))
        .unwrap();
    git(hooks.path(), &["init", "-q"]);
    git(hooks.path(), &["add", "."]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    git(w, &["init", "-q"]);
    std::fs::create_dir_all(w.join("app")).unwrap();
    std::fs::write(w.join("app/kustomization.yaml"), "resources: [web.yaml]\npatches:\n- path: replicas.yaml\n").unwrap();
    std::fs::write(w.join("app/web.yaml"), DEPLOYMENT.replace("replicas: 1", "replicas: 3")).unwrap();
    std::fs::write(w.join("app/replicas.yaml"), PATCH).unwrap();
    git(w, &["add", "app/replicas.yaml"]);
    let out = Command::new("pre-commit")
        .args(["try-repo", hooks.path().to_str().unwrap(), "kubectl-strategy-system", "--files", "app/replicas.yaml"])
        .current_dir(w)
        .env("PATH", &path)
        .env("PRE_COMMIT_HOME", w.join(".cache"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (code, out, err) = outcome(&out);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("error[recreate-with-rolling-params]"), "{out}");
}

/// Error lines quote what they were given (a target's name, a revision):
/// control characters in them are escaped like everything else printed.
#[test]
fn error_lines_print_no_control_characters() {
    for args in [
        vec!["apply", "rolling", "deployment/a\u{1b}[2Jb", "testdata/examples/shop.yaml"],
        vec!["lint", "--changed-since", "\u{1b}]0;title\u{7}", "testdata/examples/shop.yaml"],
    ] {
        let (code, out, err) = outcome(&bin().args(&args).output().unwrap());
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
        assert!(err.contains("\\u{1b}"), "{err}");
    }
}
