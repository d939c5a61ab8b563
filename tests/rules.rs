//! Every rule fires on its bad fixture (snapshot of the human output) and
//! stays silent on its good fixture.

use kubectl_strategy::rules::REGISTRY;

/// `testdata/rules/<id>/<kind>.yaml`, or the folder `<kind>/` for rules about
/// what a kustomization or chart renders.
pub fn fixture(rule: &str, kind: &str) -> String {
    let dir = format!("testdata/rules/{rule}/{kind}");
    if std::path::Path::new(&dir).is_dir() { dir } else { format!("{dir}.yaml") }
}

/// Rules that need a rendering tool: skipped without it.
fn tool_for(rule: &str) -> bool {
    match rule {
        "helm-render-failed" => crate::ci::tool("helm"),
        "kustomize-build-failed" => crate::ci::tool("kubectl"),
        _ => true,
    }
}

#[test]
fn every_rule_fires_on_its_bad_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/rules");
    settings.bind(|| {
        for rule in REGISTRY.iter().filter(|r| tool_for(r.id)) {
            let path = fixture(rule.id, "bad");
            let mut report = crate::lint(&[&path]);
            report.findings.retain(|f| f.rule == rule.id);
            assert!(!report.findings.is_empty(), "{} does not fire on {path}", rule.id);
            insta::assert_snapshot!(rule.id, crate::human(&report));
        }
    });
}

#[test]
fn every_rule_is_silent_on_its_good_fixture() {
    for rule in REGISTRY.iter().filter(|r| tool_for(r.id)) {
        let path = fixture(rule.id, "good");
        let report = crate::lint(&[&path]);
        let own: Vec<_> = report.findings.iter().filter(|f| f.rule == rule.id).collect();
        assert!(own.is_empty(), "{} fires on {path}: {:?}", rule.id, own);
    }
}

#[test]
fn good_fixtures_are_clean_of_all_rules() {
    for rule in REGISTRY.iter().filter(|r| tool_for(r.id)) {
        let path = fixture(rule.id, "good");
        let report = crate::lint(&[&path]);
        assert!(report.findings.is_empty(), "{path}: {}", crate::human(&report));
    }
}

/// The API version rules judge at `--kube-version`, else `kubernetesVersion:`
/// of the config, else the newest version the tool knows: one object is
/// deprecated (naming its removal), removed (naming the replacement), or
/// not yet either; never both.
#[test]
fn api_versions_are_judged_at_the_flag_else_the_config_else_the_newest() {
    use crate::ci::{project, run_in};
    let pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: web\n";
    let dir = project(&[("pdb.yaml", pdb), (".kubectl-strategy.yaml", "kubernetesVersion: \"1.22\"\n")]);
    let run = |args: &[&str]| -> Vec<(String, String)> {
        let mut all = vec!["lint", "pdb.yaml", "--format", "json", "--fail-on", "never"];
        all.extend(args);
        let (code, out, err) = run_in(dir.path(), &all);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("api-version"))
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["message"].as_str().unwrap().to_string()))
            .collect()
    };
    let deprecated = (
        "api-version-deprecated".to_string(),
        "policy/v1beta1 PodDisruptionBudget is deprecated since Kubernetes 1.21 and removed in Kubernetes 1.25; use policy/v1".to_string(),
    );
    let removed =
        ("api-version-removed".to_string(), "policy/v1beta1 PodDisruptionBudget was removed in Kubernetes 1.25; use policy/v1".to_string());
    assert_eq!(run(&[]), std::slice::from_ref(&deprecated), "the config's 1.22");
    assert_eq!(run(&["--kube-version", "v1.25.0"]), std::slice::from_ref(&removed), "the flag wins");
    assert_eq!(run(&["--kube-version", "1.20"]), [], "not yet deprecated");
    assert_eq!(run(&["--no-config"]), [removed], "the newest version");
    assert_eq!(run(&["--no-config", "--kube-version", "1.24"]), [deprecated]);
}
