//! The real-world corpus in ../shared/corpus: no panic, every finding on a real line,
//! kustomizations built, patch files never linted alone.

use kubectl_strategy::config::Config;
use kubectl_strategy::lint::{self, LintOptions};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

const REAL_WORLD: &str = "../shared/corpus/real-world";

/// Files that the corpus's kustomizations use as patches, generator sources or transformer configs.
fn kustomize_inputs(root: &str) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
    for e in walkdir::WalkDir::new(root).into_iter().flatten() {
        if kubectl_strategy::render::kustomize::is_kustomization(e.path()) {
            let refs = kubectl_strategy::render::kustomize::refs(e.path());
            out.extend(refs.inputs.iter().filter(|p| p.is_file()).map(|p| kubectl_strategy::render::canonical(p)));
        }
    }
    out
}

#[test]
fn lints_the_real_world_corpus() {
    if crate::shared("corpus/real-world").is_none() {
        return;
    }
    let tools = crate::ci::tool("kubectl") & crate::ci::tool("helm");
    let start = Instant::now();
    let report = crate::lint(&[REAL_WORLD]);
    let rendered_time = start.elapsed();
    for f in &report.findings {
        let file = &report.files[f.file];
        let line = f.span.start.line;
        let text =
            file.line(line).unwrap_or_else(|| panic!("{}: finding {} on line {line}, beyond the end of the file", file.name, f.rule));
        assert!(
            (f.span.start.col as usize) <= text.chars().count(),
            "{}:{line}: column {} beyond the line's end ({} chars) for {}",
            file.name,
            f.span.start.col + 1,
            text.chars().count(),
            f.rule
        );
        assert!(f.span.end >= f.span.start, "{}: inverted span for {}", file.name, f.rule);
        assert!(f.file < report.primary_files, "{}: a finding outside the user's files", file.name);
    }
    // Patch files (and other kustomize inputs) are never linted as objects of their own.
    let inputs = kustomize_inputs(REAL_WORLD);
    assert!(inputs.len() >= 29, "{} kustomize inputs", inputs.len());
    for f in &report.findings {
        let p = kubectl_strategy::render::canonical(Path::new(&report.files[f.file].name));
        assert!(
            !inputs.contains(&p) || f.rule == "kustomize-build-failed",
            "{}: {} on a kustomize input",
            report.files[f.file].name,
            f.rule
        );
    }
    // A ConfigMap whose block scalar holds `{{ … }}` (a chat template) is linted.
    assert!(
        report.checked.iter().any(|(file, _)| report.files[*file].name.ends_with("adk-vllm/deploy-llm/deploy-llm.yaml")),
        "deploy-llm.yaml was not linted"
    );
    // Every wrong field of an object is reported, so count documents, not findings.
    let mut invalid: Vec<(usize, Option<usize>)> =
        report.findings.iter().filter(|f| f.rule.starts_with("invalid-")).map(|f| (f.file, f.doc)).collect();
    invalid.dedup();
    let invalid = invalid.len();
    assert!(invalid < 40, "{invalid} documents with invalid-* findings: the loader may be rejecting valid manifests");
    let rendered = report.findings.iter().filter(|f| f.rendered.as_ref().is_some_and(|r| r.by == "kustomize")).count();
    let built = report.findings.iter().filter(|f| f.rule == "kustomize-build-failed").count();
    eprintln!("{}", kubectl_strategy::report::human::summary_line(&report));
    let start = Instant::now();
    let options =
        LintOptions { render: kubectl_strategy::render::RenderOptions { enabled: false, ..Default::default() }, ..Default::default() };
    let plain = lint::lint_paths(&[REAL_WORLD.to_string()], &Config::default(), options);
    eprintln!(
        "corpus: {:.2} s with rendering ({rendered} findings on kustomize builds, {built} roots failed), {:.2} s without ({} findings)",
        rendered_time.as_secs_f64(),
        start.elapsed().as_secs_f64(),
        plain.findings.len()
    );
    if tools {
        assert!(rendered > 0, "no finding came from a kustomize build");
        // Counted on the corpus at the commits in SOURCES.tsv with kubectl 1.32
        // and helm 3.22; a change here means the loader sees the corpus differently.
        // (1,594 files and the 16 patch files of successful builds, read to place
        // the findings of what those patches add.)
        assert_eq!(report.primary_files, 1610, "files");
        assert_eq!(report.objects(), 2484, "objects");
    }
}

/// docs/noise.md's per-rule table (findings and objects on the real-world corpus).
#[test]
fn noise_table_is_current() {
    if crate::shared("corpus/real-world").is_none() {
        return;
    }
    use std::collections::{BTreeMap, BTreeSet};
    let report = crate::lint(&[REAL_WORLD]);
    // Per rule: findings, and the objects (file, object) they are on.
    // Per rule: findings, of them notes (info), and the objects (file, object) they are on.
    type Count = (usize, usize, BTreeSet<(usize, String)>);
    let mut per_rule: BTreeMap<&str, Count> = BTreeMap::new();
    for f in &report.findings {
        let e = per_rule.entry(f.rule).or_default();
        e.0 += 1;
        e.1 += usize::from(f.severity == kubectl_strategy::finding::Severity::Info);
        e.2.insert((f.file, f.object.as_ref().map(|o| o.to_string()).unwrap_or_default()));
    }
    let workloads = report.checked.iter().filter(|(_, o)| WORKLOADS.iter().any(|k| o.starts_with(&format!("{k}/")))).count();
    let mut table = format!(
        "{} objects ({workloads} workloads) in {} files.\n\n| rule | default | findings | of them notes | objects | of workloads |\n|---|---|---:|---:|---:|---:|\n",
        report.objects(),
        report.files.len()
    );
    for rule in kubectl_strategy::rules::REGISTRY {
        let (n, notes, objs) = per_rule.get(rule.id).map(|(n, i, o)| (*n, *i, o.len())).unwrap_or_default();
        let severity = kubectl_strategy::docs::parse(rule).unwrap().severity;
        table.push_str(&format!("| `{}` | {severity} | {n} | {notes} | {objs} | {}% |\n", rule.id, objs * 100 / workloads.max(1)));
    }
    crate::doc_block("docs/noise.md", "noise", &table);
}

/// Kinds with a pod template, as findings name their objects.
const WORKLOADS: &[&str] =
    &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob", "Pod", "Rollout"];
