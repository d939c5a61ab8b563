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
