//! Every rule fires on its bad fixture (snapshot of the human output) and
//! stays silent on its good fixture.

use kubectl_strategy::rules::REGISTRY;

#[test]
fn every_rule_fires_on_its_bad_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/rules");
    settings.bind(|| {
        for rule in REGISTRY {
            let path = format!("testdata/rules/{}/bad.yaml", rule.id);
            let mut report = crate::lint(&[&path]);
            report.findings.retain(|f| f.rule == rule.id);
            assert!(!report.findings.is_empty(), "{} does not fire on {path}", rule.id);
            insta::assert_snapshot!(rule.id, crate::human(&report));
        }
    });
}

#[test]
fn every_rule_is_silent_on_its_good_fixture() {
    for rule in REGISTRY {
        let path = format!("testdata/rules/{}/good.yaml", rule.id);
        let report = crate::lint(&[&path]);
        let own: Vec<_> = report.findings.iter().filter(|f| f.rule == rule.id).collect();
        assert!(own.is_empty(), "{} fires on {path}: {:?}", rule.id, own);
    }
}

#[test]
fn good_fixtures_are_clean_of_all_rules() {
    for rule in REGISTRY {
        let path = format!("testdata/rules/{}/good.yaml", rule.id);
        let report = crate::lint(&[&path]);
        assert!(report.findings.is_empty(), "{path}: {}", crate::human(&report));
    }
}
