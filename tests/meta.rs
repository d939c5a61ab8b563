//! The rule catalogue is complete: every registered rule has docs, fixtures,
//! a snapshot, and the README's table is current.

use kubectl_strategy::docs;
use kubectl_strategy::rules::REGISTRY;
use std::path::Path;

/// The IDs of DESIGN.md §4, a contract.
const CATALOGUE: &[&str] = &[
    "invalid-yaml",
    "invalid-manifest",
    "liveness-probe-missing",
    "readiness-probe-missing",
    "probes-identical",
    "probe-port-undeclared",
    "slow-start-without-startup-probe",
    "prestop-hook-missing",
    "termination-grace-period-too-short",
    "required-labels-missing",
    "selector-template-mismatch",
    "service-selects-nothing",
    "workload-selectors-overlap",
    "label-syntax-invalid",
    "metadata-value-not-string",
    "prometheus-annotations-missing",
    "prometheus-annotations-on-workload",
    "prometheus-port-undeclared",
    "rolling-update-blocked",
    "recreate-with-rolling-params",
    "rolling-update-downtime",
    "image-tag-mutable",
    "resources-missing",
    "kustomize-build-failed",
    "helm-render-failed",
];

#[test]
fn registry_holds_the_catalogue() {
    let ids: Vec<&str> = REGISTRY.iter().map(|r| r.id).collect();
    for id in CATALOGUE {
        assert!(ids.contains(id), "rule {id} of the catalogue is not registered");
    }
}

#[test]
fn every_rule_has_docs_fixtures_and_a_snapshot() {
    for rule in REGISTRY {
        let doc = docs::parse(rule.doc).unwrap_or_else(|e| panic!("rules/{}.yaml: {e}", rule.id));
        assert_eq!(doc.id, rule.id, "rules/{}.yaml names another id", rule.id);
        for part in [&doc.summary, &doc.why, &doc.bad, &doc.good, &doc.fix] {
            assert!(!part.trim().is_empty(), "rules/{}.yaml has an empty section", rule.id);
        }
        for kind in ["bad", "good"] {
            let p = crate::rules::fixture(rule.id, kind);
            assert!(Path::new(&p).exists(), "{p} is missing");
        }
        let snap = format!("tests/snapshots/rules/{}.snap", rule.id);
        assert!(Path::new(&snap).is_file(), "{snap} is missing");
        assert_eq!(
            rule.check.is_none(),
            matches!(rule.id, "invalid-yaml" | "invalid-manifest" | "unused-suppression" | "kustomize-build-failed" | "helm-render-failed"),
            "{}: only the loader's and the suppression pass's rules have no check",
            rule.id
        );
    }
}

#[test]
fn no_orphan_rule_docs() {
    for entry in std::fs::read_dir("rules").unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let id = name.trim_end_matches(".yaml");
        assert!(REGISTRY.iter().any(|r| r.id == id), "rules/{name} documents an unregistered rule");
    }
}

#[test]
fn rule_doc_examples_behave() {
    let config = kubectl_strategy::config::Config::default();
    for rule in REGISTRY.iter().filter(|r| r.check.is_some()) {
        let doc = docs::parse(rule.doc).unwrap();
        let bad = kubectl_strategy::lint::lint_text("bad.yaml", &doc.bad, &config);
        assert!(bad.findings.iter().any(|f| f.rule == rule.id), "the bad example of {} does not trigger it", rule.id);
        let good = kubectl_strategy::lint::lint_text("good.yaml", &doc.good, &config);
        assert!(!good.findings.iter().any(|f| f.rule == rule.id), "the good example of {} triggers it", rule.id);
    }
}

#[test]
fn readme_rule_table_is_current() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let table = docs::markdown_table();
    assert!(
        readme.contains(&table),
        "README.md's rule table is stale; replace it with the output of `kubectl strategy rules --format markdown`:\n{table}"
    );
}

#[test]
fn rule_params_are_documented() {
    for rule in REGISTRY {
        let doc = docs::parse(rule.doc).unwrap();
        let documented: Vec<String> = doc.params.iter().map(|p| p.name.clone()).collect();
        let accepted: Vec<String> =
            kubectl_strategy::config::PARAMS.iter().filter(|p| p.rule == rule.id).map(|p| p.name.to_string()).collect();
        assert_eq!(documented, accepted, "rules/{}.yaml documents other parameters than the config accepts", rule.id);
    }
}

#[test]
fn readme_quickstart_output_is_current() {
    let report = crate::lint(&["testdata/examples/shop.yaml"]);
    let text = crate::human(&report);
    let block =
        format!("<!-- quickstart -->\n```text\n$ kubectl-strategy lint testdata/examples/shop.yaml\n{text}```\n<!-- /quickstart -->");
    let readme = std::fs::read_to_string("README.md").unwrap();
    if !readme.contains(&block) && std::env::var_os("UPDATE_README").is_some() {
        let start = readme.find("<!-- quickstart -->").expect("marker");
        let end = readme.find("<!-- /quickstart -->").expect("marker") + "<!-- /quickstart -->".len();
        let mut r = readme.clone();
        r.replace_range(start..end, &block);
        std::fs::write("README.md", r).unwrap();
        return;
    }
    assert!(readme.contains(&block), "README quickstart output is stale; run UPDATE_README=1 cargo test");
}

#[test]
fn readme_fix_diff_output_is_current() {
    let out = crate::bin().args(["lint", "--diff", "--unsafe-fixes", "testdata/examples/shop.yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "--diff exits 1 when there is something to fix");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let block = format!(
        "<!-- fix-diff -->\n```diff\n$ kubectl strategy lint --diff --unsafe-fixes testdata/examples/shop.yaml\n{text}```\n<!-- /fix-diff -->"
    );
    let readme = std::fs::read_to_string("README.md").unwrap();
    if !readme.contains(&block) && std::env::var_os("UPDATE_README").is_some() {
        let start = readme.find("<!-- fix-diff -->").expect("marker");
        let end = readme.find("<!-- /fix-diff -->").expect("marker") + "<!-- /fix-diff -->".len();
        let mut r = readme.clone();
        r.replace_range(start..end, &block);
        std::fs::write("README.md", r).unwrap();
        return;
    }
    assert!(readme.contains(&block), "README fix diff output is stale; run UPDATE_README=1 cargo test");
}

/// A rule's doc declares its fix exactly when its findings carry one (tests/fix.rs checks the fixtures);
/// readiness-probe-missing says why it has none.
#[test]
fn autofix_docs_are_complete() {
    let doc = docs::get("readiness-probe-missing").unwrap();
    let a = doc.autofix.expect("readiness-probe-missing explains why it has no fix");
    assert_eq!(a.applicability, "none");
    assert!(a.what.contains("SIGTERM"), "{}", a.what);
    let fixable: Vec<String> = docs::all().into_iter().filter(|d| d.fix_applicability().is_some()).map(|d| d.id).collect();
    assert!(fixable.len() >= 8, "{fixable:?}");
}
