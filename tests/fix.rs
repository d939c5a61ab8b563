//! `lint --fix`, `--unsafe-fixes` and `--diff`: every fixable rule fixes its
//! bad fixture (snapshot of the diff), is silent after, adds no finding, and
//! a second run changes nothing; the real-world corpus is fixed and re-linted.

use crate::ci::{git, project, repo_root, run_in};
use kubectl_strategy::docs;
use kubectl_strategy::rules::REGISTRY;
use std::collections::BTreeMap;
use std::path::Path;

/// Findings per (rule, object) in a lint's JSON output.
fn counts(v: &serde_json::Value) -> BTreeMap<(String, String), usize> {
    let mut c = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        let o = &f["object"];
        let key = (f["rule"].as_str().unwrap().to_string(), format!("{}/{}/{}", o["kind"], o["namespace"], o["name"]));
        *c.entry(key).or_default() += 1;
    }
    c
}

fn lint_json(dir: &Path, paths: &[&str]) -> serde_json::Value {
    let mut args = vec!["lint", "--format", "json", "--fail-on", "never"];
    args.extend(paths);
    let (code, out, err) = run_in(dir, &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// No (rule, object) has more findings after than before.
fn assert_no_new(before: &BTreeMap<(String, String), usize>, after: &BTreeMap<(String, String), usize>, what: &str) {
    for (k, n) in after {
        let b = before.get(k).copied().unwrap_or(0);
        assert!(*n <= b, "{what}: fixing added a finding {k:?} ({b} -> {n})");
    }
}

#[test]
fn every_fixable_rule_fixes_its_bad_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/fixes");
    let mut fixable = 0;
    settings.bind(|| {
        for rule in REGISTRY {
            let doc = docs::parse(rule).unwrap();
            let bad = std::fs::read_to_string(crate::rules::fixture(rule.id, "bad")).unwrap_or_default();
            let dir = project(&[("bad.yaml", &bad)]);
            let before = lint_json(dir.path(), &["bad.yaml"]);
            let own: Vec<&serde_json::Value> = before["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule.id).collect();
            let applicability: Vec<&str> = own.iter().filter_map(|f| f["fix"]["applicability"].as_str()).collect();
            let Some(declared) = doc.fix_applicability() else {
                assert!(applicability.is_empty(), "{} has fixes but rules/{}.yaml declares none", rule.id, rule.id);
                continue;
            };
            fixable += 1;
            assert!(!applicability.is_empty(), "rules/{}.yaml declares a fix, the bad fixture's findings carry none", rule.id);
            // A rule declares the riskiest fix it offers: one that declares unsafe fixes may offer safe ones beside them.
            assert!(applicability.contains(&declared), "{}: {applicability:?} but the doc says {declared}", rule.id);
            assert!(
                applicability.iter().all(|a| *a == declared || *a == "safe"),
                "{}: {applicability:?} but the doc says {declared}",
                rule.id
            );
            // Without --unsafe-fixes an unsafe fix is not shown.
            let (_, safe_diff, _) = run_in(dir.path(), &["lint", "--diff", "bad.yaml"]);
            let (code, diff, err) = run_in(dir.path(), &["lint", "--diff", "--unsafe-fixes", "bad.yaml"]);
            assert_eq!(declared == "unsafe", safe_diff != diff, "{}: unsafe fixes are shown only with --unsafe-fixes", rule.id);
            assert_eq!(code, 1, "{}: --diff exits 1 when there is something to fix: {err}", rule.id);
            assert_eq!(std::fs::read_to_string(dir.path().join("bad.yaml")).unwrap(), bad, "--diff wrote the file");
            insta::assert_snapshot!(rule.id, diff);
            let (_, _, err) = run_in(dir.path(), &["lint", "--fix", "--unsafe-fixes", "bad.yaml"]);
            let fixed = std::fs::read_to_string(dir.path().join("bad.yaml")).unwrap();
            assert_ne!(fixed, bad, "{}: --fix changed nothing: {err}", rule.id);
            let after = lint_json(dir.path(), &["bad.yaml"]);
            // Every finding that had a fix is gone (a fixture may also hold a case the rule cannot fix).
            let unfixable = own.iter().filter(|f| f["fix"].is_null()).count();
            let left = after["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule.id).count();
            assert_eq!(left, unfixable, "{} still fires after --fix: {after}", rule.id);
            assert_no_new(&counts(&before), &counts(&after), rule.id);
            // Comments survive.
            for line in bad.lines().filter(|l| l.trim_start().starts_with('#')) {
                assert!(fixed.contains(line), "{}: comment {line:?} lost", rule.id);
            }
            // Convergence: a second run changes nothing.
            let (code, diff, _) = run_in(dir.path(), &["lint", "--diff", "--unsafe-fixes", "bad.yaml"]);
            assert_eq!((code, diff.as_str()), (0, ""), "{}: a second fix would change more", rule.id);
            run_in(dir.path(), &["lint", "--fix", "--unsafe-fixes", "bad.yaml"]);
            assert_eq!(std::fs::read_to_string(dir.path().join("bad.yaml")).unwrap(), fixed, "{}", rule.id);
        }
    });
    assert!(fixable >= 8, "{fixable} fixable rules");
}

#[test]
fn safe_fixes_only_without_unsafe_fixes_and_human_marks() {
    let bad = std::fs::read_to_string(crate::rules::fixture("rolling-update-blocked", "bad")).unwrap();
    let extra = std::fs::read_to_string(crate::rules::fixture("recreate-with-rolling-params", "bad")).unwrap();
    let dir = project(&[("a.yaml", &bad), ("b.yaml", &extra)]);
    let (code, out, _) = run_in(dir.path(), &["lint", "--fail-on", "never", "a.yaml", "b.yaml"]);
    assert_eq!(code, 0);
    assert!(out.contains("error[recreate-with-rolling-params] [*]: "), "{out}");
    assert!(out.contains("error[rolling-update-blocked]: "), "{out}");
    assert!(out.contains("[*] 2 fixable with --fix (2 more with --unsafe-fixes)\n"), "{out}");
    let (_, out, _) = run_in(dir.path(), &["lint", "--fail-on", "never", "--unsafe-fixes", "a.yaml", "b.yaml"]);
    assert!(out.contains("error[rolling-update-blocked] [*]: "), "{out}");
    assert!(out.contains("[*] 4 fixable with --fix --unsafe-fixes\n"), "{out}");
    let (_, out, err) = run_in(dir.path(), &["lint", "--fix", "--fail-on", "never", "a.yaml", "b.yaml"]);
    assert!(err.contains("fixed 2 findings in 1 file (2 more fixable with --unsafe-fixes)"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("a.yaml")).unwrap(), bad, "unsafe fix applied without --unsafe-fixes");
    assert!(!out.contains("recreate-with-rolling-params"), "the report after --fix shows what is left: {out}");
    assert!(out.contains("rolling-update-blocked"), "{out}");
}

#[test]
fn stale_files_are_refused() {
    // The fix is planned from one text; a file changed before the write is left alone.
    let bad = std::fs::read_to_string(crate::rules::fixture("recreate-with-rolling-params", "bad")).unwrap();
    let dir = project(&[("a.yaml", &bad)]);
    let report = kubectl_strategy::lint::lint_paths(
        &[dir.path().join("a.yaml").display().to_string()],
        &kubectl_strategy::config::Config::default(),
        Default::default(),
    );
    let mut outcome = kubectl_strategy::fix::plan(&report, &kubectl_strategy::config::Config::default(), false);
    assert_eq!(outcome.files.len(), 1);
    std::fs::write(dir.path().join("a.yaml"), format!("# edited meanwhile\n{bad}")).unwrap();
    let errors = outcome.write();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(errors[0], kubectl_strategy::fix::FixError::Write { .. }));
    assert!(std::fs::read_to_string(dir.path().join("a.yaml")).unwrap().starts_with("# edited meanwhile\n"));
}

#[test]
fn rendered_output_is_never_fixed() {
    // A kustomization's findings point into its base files but carry no fix.
    let base = std::fs::read_to_string(crate::rules::fixture("recreate-with-rolling-params", "bad")).unwrap();
    let dir = project(&[("base/deploy.yaml", &base), ("base/kustomization.yaml", "resources:\n  - deploy.yaml\n")]);
    if !crate::ci::tool("kubectl") {
        return;
    }
    let v = lint_json(dir.path(), &["base"]);
    let own: Vec<_> = v["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "recreate-with-rolling-params").collect();
    assert!(!own.is_empty(), "{v}");
    assert!(own.iter().all(|f| f["fix"].is_null() && !f["rendered"].is_null()), "{v}");
    let (code, diff, _) = run_in(dir.path(), &["lint", "--diff", "--unsafe-fixes", "base"]);
    assert_eq!((code, diff.as_str()), (0, ""));
}

const REAL_WORLD: &str = "../shared/corpus/real-world";

/// The real-world corpus, copied: `--fix --unsafe-fixes`, then lint again:
/// findings fixed per rule, and no new finding anywhere.
#[test]
fn real_world_corpus_is_fixed_without_new_findings() {
    let src = repo_root().join(REAL_WORLD);
    if !crate::require(src.is_dir(), REAL_WORLD, "check out the shared corpus beside the repository") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("real-world");
    for e in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let to = copy.join(e.path().strip_prefix(&src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &to).unwrap();
            // The shared corpus is read-only, and `--fix` leaves read-only files alone.
            let mut perms = std::fs::metadata(&to).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
            std::fs::set_permissions(&to, perms).unwrap();
        }
    }
    let before = lint_json(tmp.path(), &["real-world"]);
    let (_, _, err) = run_in(tmp.path(), &["lint", "--fix", "--unsafe-fixes", "--fail-on", "never", "real-world"]);
    let after = lint_json(tmp.path(), &["real-world"]);
    let (b, a) = (counts(&before), counts(&after));
    assert_no_new(&b, &a, "real-world corpus");
    let mut per_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for ((rule, _), n) in &b {
        per_rule.entry(rule).or_default().0 += n;
    }
    for ((rule, _), n) in &a {
        per_rule.entry(rule).or_default().1 += n;
    }
    let mut fixed = 0;
    for (rule, (was, now)) in &per_rule {
        if was != now {
            eprintln!("fixed {rule}: {was} -> {now}");
            fixed += was - now;
        }
    }
    eprintln!("{}", err.trim());
    eprintln!("real-world corpus: {fixed} findings fixed");
    // Every fixable rule that fires on the corpus got fixes applied.
    for rule in ["metadata-value-not-string", "prestop-hook-missing"] {
        let (was, now) = per_rule.get(rule).copied().unwrap_or_default();
        assert!(was == 0 || now < was, "{rule}: {was} -> {now}");
    }
    // A second run has nothing left to do.
    let (code, diff, _) = run_in(tmp.path(), &["lint", "--diff", "--unsafe-fixes", "real-world"]);
    assert_eq!(code, 0, "not converged:\n{}", diff.lines().take(60).collect::<Vec<_>>().join("\n"));
}

/// After `--fix` the report is the report of a plain run on the fixed files, however the
/// files were named (positional, `-f`, none at all) and with `--changed-since` applied;
/// `--fix --diff` shows the diff and writes nothing. testdata/regressions/fix-report.
#[test]
fn the_report_after_fix_is_a_plain_lint_of_the_fixed_files() {
    if !crate::ci::tool("git") {
        return;
    }
    let app = std::fs::read_to_string(repo_root().join("testdata/regressions/fix-report/app.yaml")).unwrap();
    let named: [&[&str]; 4] = [&["app.yaml"], &["-f", "app.yaml"], &[], &["--changed-since", "HEAD"]];
    for paths in named {
        // Since HEAD, the pull request added rollingUpdate (which --fix removes) and bumped the image.
        let dir = project(&[("app.yaml", &app.replace("    rollingUpdate:\n      maxSurge: 1\n", ""))]);
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "base"]);
        std::fs::write(dir.path().join("app.yaml"), app.replace("web:1.2.3", "web:1.2.4")).unwrap();
        let mut fix = vec!["lint", "-o", "json", "--fix"];
        fix.extend(paths);
        let (code, fixed, err) = run_in(dir.path(), &fix);
        assert!(err.contains("fixed 1 finding in 1 file"), "{paths:?}: {err}");
        assert!(!std::fs::read_to_string(dir.path().join("app.yaml")).unwrap().contains("rollingUpdate"), "{paths:?}");
        let mut plain = vec!["lint", "-o", "json"];
        plain.extend(paths);
        let (plain_code, after, _) = run_in(dir.path(), &plain);
        assert_eq!(fixed, after, "{paths:?}: the report after --fix is a plain run's");
        assert_eq!(code, plain_code, "{paths:?}");
        let v: serde_json::Value = serde_json::from_str(&after).unwrap();
        let rules: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
        assert!(!rules.contains(&"recreate-with-rolling-params"), "{paths:?}: {rules:?}");
        if paths.first() == Some(&"--changed-since") {
            assert!(!rules.contains(&"resources-missing"), "{paths:?}: lines unchanged since HEAD are not reported: {rules:?}");
        } else {
            assert!(rules.contains(&"readiness-probe-missing"), "{paths:?}: what --fix cannot change is left: {rules:?}");
        }
    }

    // --fix --diff: the diff wins, nothing is written (as ruff does).
    let dir = project(&[("app.yaml", &app)]);
    let (code, out, err) = run_in(dir.path(), &["lint", "--fix", "--diff", "app.yaml"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("-    rollingUpdate:\n"), "{out}");
    assert!(err.contains("would fix 1 finding in 1 file"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(), app, "--diff wrote");
}

/// testdata/regressions/anchors: no fix is offered on a value shared through
/// an anchor (it would have no edits and never apply); the document's other
/// fixes apply, and `--fix` claims nothing it did not do.
#[test]
fn values_shared_through_an_anchor_offer_no_fix() {
    let text = std::fs::read_to_string(repo_root().join("testdata/regressions/anchors/deployment.yaml")).unwrap();
    let dir = project(&[("a.yaml", &text)]);
    let before = lint_json(dir.path(), &["a.yaml"]);
    let labels: Vec<&serde_json::Value> =
        before["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "metadata-value-not-string").collect();
    let shared: Vec<_> = labels.iter().filter(|f| f["path"].as_str().unwrap().ends_with("/tier")).collect();
    assert!(!shared.is_empty(), "{before}");
    for f in &shared {
        assert!(f["fix"].is_null(), "a fix is offered on an anchored value: {f}");
        assert!(f["help"].as_str().unwrap().contains("shared through a YAML anchor"), "{f}");
    }
    let own = labels.iter().find(|f| f["path"] == "/metadata/labels/version").expect("the own label's finding");
    assert!(!own["fix"]["edits"].as_array().unwrap().is_empty(), "{own}");
    let (_, _, err) = run_in(dir.path(), &["lint", "--fix", "--fail-on", "never", "a.yaml"]);
    assert!(err.contains("fixed 1 finding in 1 file"), "{err}");
    assert!(!err.contains("not applied"), "{err}");
    let fixed = std::fs::read_to_string(dir.path().join("a.yaml")).unwrap();
    assert_eq!(fixed, text.replace("version: 2}", "version: \"2\"}"));
}

/// Many fixes in one file are applied in one pass per round (each on its own
/// document), and the result is what fixing them one at a time gives.
#[test]
fn many_fixes_in_one_file_are_applied_together() {
    let doc = |i: usize| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  labels:\n    app: web-{i}\n    tier: 1 # keep\nspec:\n  selector:\n    matchLabels: {{app: web-{i}}}\n  template:\n    metadata:\n      labels: {{app: web-{i}}}\n    spec:\n      containers: [{{name: web, image: \"nginx:1.27\"}}]\n"
        )
    };
    let text: String = (0..200).map(doc).collect::<Vec<_>>().join("---\n");
    let dir = project(&[("many.yaml", &text)]);
    let (_, _, err) = run_in(dir.path(), &["lint", "--fix", "--fail-on", "never", "many.yaml"]);
    assert!(err.contains("fixed 200 findings in 1 file"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("many.yaml")).unwrap(), text.replace("tier: 1 #", "tier: \"1\" #"));
}

/// The mode of a fixed file is kept; a file that may not be written (0444,
/// refused by its mode bits even for root, as editors do) is named in an
/// error, left as it was, not counted as fixed, and the other files are fixed.
#[test]
fn read_only_files_are_refused_and_modes_kept() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let bad = std::fs::read_to_string(crate::rules::fixture("metadata-value-not-string", "bad")).unwrap();
    let dir = project(&[("ro/a.yaml", &bad), ("rw/b.yaml", &bad)]);
    let (a, b) = (dir.path().join("ro/a.yaml"), dir.path().join("rw/b.yaml"));
    std::fs::set_permissions(&a, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o640)).unwrap();
    // As root, give b another owner: the fixed file keeps it.
    let root = std::fs::metadata(&b).unwrap().uid() == 0;
    if root {
        std::os::unix::fs::chown(&b, Some(4242), Some(4243)).unwrap();
    }
    let (code, _, err) = run_in(dir.path(), &["lint", "--fix", "--fail-on", "never", "ro/a.yaml", "rw/b.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ro/a.yaml: not fixed: read-only (mode 0444)"), "{err}");
    assert_eq!(std::fs::read_to_string(&a).unwrap(), bad);
    assert_eq!(std::fs::metadata(&a).unwrap().mode() & 0o7777, 0o444);
    let fixed = std::fs::read_to_string(&b).unwrap();
    assert_ne!(fixed, bad);
    let meta = std::fs::metadata(&b).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640);
    if root {
        assert_eq!((meta.uid(), meta.gid()), (4242, 4243));
    }
    // Only the file written counts as fixed.
    assert!(err.contains(" in 1 file"), "{err}");
    // No temporary file is left beside either.
    for d in ["ro", "rw"] {
        let names: Vec<_> = std::fs::read_dir(dir.path().join(d)).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
    // What is left is printed as a plain lint prints it now, in the format asked for.
    let files = ["ro/a.yaml", "rw/b.yaml"];
    for format in ["json", "human", "sarif"] {
        let (code, out, err) = run_in(dir.path(), &[&["lint", "--fix", "--fail-on", "never", "--format", format][..], &files].concat());
        assert_eq!(code, 2, "{err}");
        let (_, plain, _) = run_in(dir.path(), &[&["lint", "--fail-on", "never", "--format", format][..], &files].concat());
        assert!(!plain.is_empty());
        assert_eq!(out, plain, "{format}");
    }
}
