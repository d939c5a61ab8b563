//! The rule catalogue is complete: every registered rule has docs, fixtures,
//! a snapshot, and the rule table of docs/rules.md is current.

use kubectl_strategy::docs;
use kubectl_strategy::rules::REGISTRY;
use std::path::Path;

/// The rule IDs: a contract (configs, suppressions and baselines name them).
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
    "api-version-removed",
    "api-version-deprecated",
    "resources-missing",
    "statefulset-service-not-headless",
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
        // The doc parses and holds only prose: no fact the rule declares (id,
        // severity, parameter defaults, fix applicability) is stated again,
        // every declared parameter is described and a declared fix is explained.
        let doc = docs::parse(rule).unwrap_or_else(|e| panic!("rules/{}.yaml: {e}", rule.id));
        for part in [&doc.summary, &doc.why, &doc.bad, &doc.good, &doc.fix] {
            assert!(!part.trim().is_empty(), "rules/{}.yaml has an empty section", rule.id);
        }
        for kind in ["bad", "good"] {
            let p = crate::rules::fixture(rule.id, kind);
            assert!(Path::new(&p).exists(), "{p} is missing");
        }
        let code = format!("src/rules/{}.rs", rule.id.replace('-', "_"));
        assert!(Path::new(&code).is_file(), "{code} is missing: one file per rule");
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
        let doc = docs::parse(rule).unwrap();
        let bad = kubectl_strategy::lint::lint_text("bad.yaml", &doc.bad, &config);
        assert!(bad.findings.iter().any(|f| f.rule == rule.id), "the bad example of {} does not trigger it", rule.id);
        let good = kubectl_strategy::lint::lint_text("good.yaml", &doc.good, &config);
        assert!(!good.findings.iter().any(|f| f.rule == rule.id), "the good example of {} triggers it", rule.id);
    }
}

#[test]
fn docs_rule_table_is_current() {
    let readme = std::fs::read_to_string("docs/rules.md").unwrap();
    let table = docs::markdown_table();
    assert!(
        readme.contains(&table),
        "docs/rules.md's rule table is stale; replace it with the output of `kubectl strategy rules --format markdown`:\n{table}"
    );
}

/// What a rule declares holds: its parameters' defaults pass their own
/// validation, a rule that declares a fix offers it on its bad fixture, and
/// one that declares none never does.
#[test]
fn rule_declarations_hold() {
    use kubectl_strategy::finding::Applicability;
    let config = kubectl_strategy::config::Config::default();
    for rule in REGISTRY {
        for p in rule.params {
            let default = p.default_json();
            assert_eq!(p.check(&default).as_ref(), Ok(&default), "{}: the default of {} does not pass its own check", rule.id, p.name());
        }
        let declared_fix = rule.fix.map(Applicability::as_str);
        if rule.check.is_some() {
            let bad = std::fs::read_to_string(crate::rules::fixture(rule.id, "bad")).unwrap();
            let report = kubectl_strategy::lint::lint_text("bad.yaml", &bad, &config);
            let fixes: Vec<Option<&str>> =
                report.findings.iter().filter(|f| f.rule == rule.id).map(|f| f.fix.as_ref().map(|x| x.applicability.as_str())).collect();
            match declared_fix {
                Some(app) => {
                    assert!(fixes.contains(&Some(app)), "{}: no finding on its bad fixture offers the declared {app} fix", rule.id)
                }
                None => assert!(fixes.iter().all(Option::is_none), "{}: offers a fix it does not declare", rule.id),
            }
        }
    }
}

/// A rule doc that repeats a declared fact, or leaves a parameter or a fix
/// unexplained, does not parse.
#[test]
fn rule_docs_state_no_declared_fact() {
    use docs::DocError;
    let rule = kubectl_strategy::rules::find("termination-grace-period-too-short").unwrap();
    let base = rule.doc;
    let with = |doc: &'static str| kubectl_strategy::rules::RuleEntry { doc, ..*rule };
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    assert!(docs::parse(&with(base)).is_ok());
    let cases = [
        (format!("id: {}\n{base}", rule.id), DocError::Declared("id")),
        (format!("severity: error\n{base}"), DocError::Declared("severity")),
        (base.replace("  - name: margin-seconds\n", "  - name: margin-seconds\n    default: 5\n"), DocError::Declared("default")),
        (base.replace("autofix:\n", "autofix:\n  applicability: unsafe\n"), DocError::Declared("applicability")),
        (base.replace("name: margin-seconds", "name: margin"), DocError::UnknownParam("margin".into())),
        (
            base[..base.find("params:").unwrap()].to_string() + &base[base.find("autofix:").unwrap()..],
            DocError::Undescribed("margin-seconds"),
        ),
        (base[..base.find("autofix:").unwrap()].to_string(), DocError::AutofixUndescribed),
    ];
    for (text, expected) in cases {
        assert_ne!(text, base, "{expected:?}: the case changes the doc");
        assert_eq!(docs::parse(&with(leak(text))).unwrap_err(), expected);
    }
}

#[test]
fn readme_quickstart_output_is_current() {
    let report = crate::lint(&["testdata/examples/shop.yaml"]);
    let text = crate::human(&report);
    crate::doc_block("README.md", "quickstart", &format!("```text\n$ kubectl-strategy lint testdata/examples/shop.yaml\n{text}```\n"));
}

/// One version scheme: every release tag the repository names is v<version of
/// Cargo.toml>, and every archive that krew, cargo-binstall and the GitHub
/// Action download is one the release workflow builds.
#[test]
fn one_version_scheme_and_existing_release_assets() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let version = regex::Regex::new(r"v\d+\.\d+\.\d+").unwrap();
    let files = [
        "README.md",
        "action.yml",
        ".krew.yaml",
        "plugins/strategy.yaml",
        ".github/workflows/release.yml",
        "examples/github-actions.yml",
        "examples/gitlab-ci.yml",
        "examples/pre-commit-config.yaml",
    ];
    let mut ours = 0;
    for file in files {
        let text = read(file);
        for m in version.find_iter(&text) {
            let before = &text[..m.start()];
            // third-party versions: owner/action@vX, image:vX
            // and the Kubernetes components the live tests build (kube-apiserver v1.36.2, kube-v1.36.2/)
            let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
            let third_party = (before.ends_with('@') && !before.ends_with("kubectl-strategy@"))
                || before.ends_with(':')
                || before.ends_with("kube-")
                || line.contains("kube-apiserver")
                || line.contains("kube-controller-manager");
            if !third_party {
                ours += 1;
                assert_eq!(m.as_str(), tag, "{file}: {} is not the crate's version", &text[m.start().saturating_sub(40)..m.end()]);
            }
        }
    }
    assert!(ours >= 6, "the files name the release tag");
    // the minimum Rust is declared and documented
    let cargo = read("Cargo.toml");
    let rust = regex::Regex::new(r#"(?m)^rust-version = "([\d.]+)""#).unwrap().captures(&cargo).expect("rust-version in Cargo.toml")[1]
        .to_string();
    assert!(read("README.md").contains(&format!("Rust {rust} or newer")), "README states the minimum Rust {rust}");
    // every downloaded archive is built by the release workflow
    let release = read(".github/workflows/release.yml");
    let built: Vec<String> =
        regex::Regex::new(r"(?m)^\s*- target: (\S+)$").unwrap().captures_iter(&release).map(|c| c[1].to_string()).collect();
    assert!(built.iter().any(|t| t == "x86_64-unknown-linux-musl") && built.iter().any(|t| t == "aarch64-unknown-linux-musl"), "{built:?}");
    let asset = regex::Regex::new(r"kubectl-strategy-([a-z0-9_]+-[a-z0-9_-]+?)\.tar\.gz").unwrap();
    for file in [".krew.yaml", "Cargo.toml", ".github/action/kubectl-strategy.sh"] {
        let text = read(file);
        for c in asset.captures_iter(&text) {
            let target = &c[1];
            assert!(target.contains('{') || built.iter().any(|t| t == target), "{file}: {target} is not built by the release");
        }
    }
    for target in regex::Regex::new(r"echo ([a-z0-9_]+-[a-z0-9_-]+) ;;").unwrap().captures_iter(&read(".github/action/kubectl-strategy.sh"))
    {
        assert!(built.iter().any(|t| *t == target[1]), "the action downloads {}, which is not built", &target[1]);
    }
    assert!(
        cargo.contains("[package.metadata.binstall]")
            && cargo.contains("/releases/download/v{ version }/kubectl-strategy-{ target }.tar.gz")
    );
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
