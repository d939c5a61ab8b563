//! Findings that matter only where an application serves users (availability,
//! resources, metrics) are notes when every place they come from is a
//! development or test build: a folder or Kustomize overlay named `dev`,
//! `local`, `minikube`, `kind`, `test`, `e2e`, `ci`, `sandbox`, … A
//! development overlay that drops the requests or the replicas of its base on
//! purpose is not something a team acts on; the same finding in a production
//! overlay stays as it is. So are they when they sit on a chart's own default
//! in its `values.yaml` (`replicaCount: 1`): each install sets its own.

use crate::finding::{Finding, Severity};
use crate::input::SourceFile;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The rule categories whose findings only matter in production.
const PRODUCTION_CATEGORIES: [&str; 3] = ["availability", "resources", "observability"];

/// Words of a folder name that say it builds for development or tests.
const DEVELOPMENT_WORDS: [&str; 13] =
    ["dev", "develop", "development", "local", "minikube", "kind", "k3d", "test", "tests", "testing", "e2e", "ci", "sandbox"];

/// Lower to notes the warnings of production-only rules whose every place is
/// a development or test build, and say so in the message.
pub(super) fn lower_outside_production(findings: &mut [Finding], files: &[SourceFile]) {
    for f in findings.iter_mut().filter(|f| f.severity == Severity::Warning && production_only(f.rule)) {
        let places: Vec<&str> = match &f.rendered {
            Some(at) if !at.roots.is_empty() => at.roots.iter().map(String::as_str).collect(),
            Some(at) => vec![at.root.as_str()],
            None => vec![files.get(f.file).map_or("", |s| folder_of(&s.name))],
        };
        // A chart's own default amount (its values.yaml: replicas, requests), which
        // each install sets for itself. Not a metrics setting: a wrong port there is a bug.
        if let Some(at) = f.rendered.as_ref().filter(|at| at.by == "helm" && amount(f.rule))
            && files.get(f.file).is_some_and(|s| s.name == format!("{}/values.yaml", at.root))
        {
            f.severity = Severity::Info;
            f.message = format!("{}; a note: a default of the chart, which each install sets for itself", f.message);
            continue;
        }
        let words: Vec<&str> = places.iter().filter_map(|p| development_word(p)).collect();
        if words.len() == places.len() && !words.is_empty() {
            f.severity = Severity::Info;
            let mut named: Vec<&str> = words.clone();
            named.dedup();
            f.message = format!("{}; a note: only in a development or test build ({})", f.message, named.join(", "));
        }
    }
}

/// The folder part of a file's name.
fn folder_of(name: &str) -> &str {
    name.rsplit_once('/').map_or("", |(folder, _)| folder)
}

/// The word of a relative folder path that says development or test, if any.
/// Absolute paths (outside the working directory) say nothing: their
/// leading folders are the machine's, not the repository's.
fn development_word(path: &str) -> Option<&'static str> {
    if path.starts_with('/') {
        return None;
    }
    path.split('/')
        .flat_map(|c| c.split(['-', '_', '.']))
        .find_map(|w| DEVELOPMENT_WORDS.iter().copied().find(|d| d.eq_ignore_ascii_case(w)))
}

/// Whether a rule's category is one of [`PRODUCTION_CATEGORIES`].
fn production_only(rule: &str) -> bool {
    category(rule).is_some_and(|c| PRODUCTION_CATEGORIES.contains(&c))
}

/// Whether a rule is about how much of something runs (availability, resources):
/// what a chart leaves to each install.
fn amount(rule: &str) -> bool {
    category(rule).is_some_and(|c| PRODUCTION_CATEGORIES[..2].contains(&c))
}

/// A rule's category, from its doc (the docs are read once).
fn category(rule: &str) -> Option<&'static str> {
    static CATEGORIES: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    CATEGORIES
        .get_or_init(|| crate::rules::REGISTRY.iter().filter_map(|r| Some((r.id, crate::docs::parse(r).ok()?.category))).collect())
        .get(rule)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_folders_by_their_words() {
        assert_eq!(development_word("examples/dev"), Some("dev"));
        assert_eq!(development_word("k8s/overlays/local-dev"), Some("local"));
        assert_eq!(development_word("test/loadtest/manifests"), Some("test"));
        assert_eq!(development_word("deploy/overlays/prod"), None);
        assert_eq!(development_word("devops/base"), None);
        assert_eq!(development_word("latest/kinds"), None);
        assert_eq!(development_word("/home/dev/repo/base"), None);
        assert_eq!(development_word(""), None);
    }

    #[test]
    fn the_production_only_rules_are_those_of_their_categories() {
        for id in ["single-replica", "pdb-missing", "resources-missing", "prometheus-annotations-missing", "topology-spread-missing"] {
            assert!(production_only(id), "{id}");
        }
        for id in ["readiness-probe-missing", "selector-template-mismatch", "image-tag-mutable", "prestop-hook-missing"] {
            assert!(!production_only(id), "{id}");
        }
        assert!(amount("single-replica") && amount("resources-missing"));
        assert!(!amount("prometheus-port-undeclared") && !amount("prometheus-annotations-missing"));
    }
}
