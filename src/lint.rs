//! The audit pipeline: discover -> read -> load -> rules -> sorted findings.

use crate::config::Config;
use crate::finding::Finding;
use crate::input::{self, InputSpec, ReadOutcome, SourceFile};
use crate::manifest::{self, Object, tree::Span};
use crate::rules;
use rayon::prelude::*;

/// Everything a lint run produced.
pub struct Report {
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    /// Kubernetes objects checked.
    pub objects: usize,
    /// Files that held at least one Kubernetes object.
    pub files_with_objects: usize,
    /// YAML documents that are not Kubernetes objects (skipped).
    pub skipped_documents: usize,
    /// Things users should know that are not findings (skipped files).
    pub notices: Vec<String>,
}

impl Report {
    pub fn count(&self, severity: crate::finding::Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Files that have at least one finding.
    pub fn files_with_findings(&self) -> usize {
        let mut files: Vec<usize> = self.findings.iter().map(|f| f.file).collect();
        files.dedup();
        files.len()
    }
}

/// Lint paths (files, directories, `-` for stdin).
pub fn lint_paths(paths: &[String], config: &Config) -> Report {
    let (specs, notices) = input::discover(paths);
    let mut report = lint_inputs(&specs, config);
    report.notices.splice(0..0, notices);
    report
}

/// Lint already-discovered inputs.
pub fn lint_inputs(specs: &[InputSpec], config: &Config) -> Report {
    let loaded: Vec<(SourceFile, manifest::Loaded)> = specs
        .par_iter()
        .enumerate()
        .map(|(i, spec)| match input::read(spec) {
            ReadOutcome::Text(file) => {
                let l = manifest::load(i, &file);
                (file, l)
            }
            ReadOutcome::Broken { file, pos, message } => {
                let mut l = manifest::Loaded::default();
                l.findings.push(Finding {
                    rule: "invalid-yaml",
                    severity: crate::finding::Severity::Error,
                    message: format!("{}: {message}", file.name),
                    file: i,
                    span: Span {
                        start: pos,
                        end: pos,
                    },
                    path: String::new(),
                    object: None,
                    help: None,
                });
                (file, l)
            }
        })
        .collect();
    lint_loaded(loaded, config)
}

/// Lint text held in memory (tests, fuzzing, stdin-like callers).
pub fn lint_text(name: &str, text: &str, config: &Config) -> Report {
    let file = SourceFile::new(name, text.to_string());
    let l = manifest::load(0, &file);
    lint_loaded(vec![(file, l)], config)
}

fn lint_loaded(loaded: Vec<(SourceFile, manifest::Loaded)>, config: &Config) -> Report {
    let mut files = Vec::with_capacity(loaded.len());
    let mut objects: Vec<Object> = Vec::new();
    let mut findings = Vec::new();
    let mut notices = Vec::new();
    let mut skipped_documents = 0;
    let mut files_with_objects = 0;
    for (file, l) in loaded {
        files.push(file);
        files_with_objects += usize::from(!l.objects.is_empty());
        objects.extend(l.objects);
        findings.extend(l.findings);
        notices.extend(l.notices);
        skipped_documents += l.skipped_documents;
    }
    let dirs: Vec<&str> = files
        .iter()
        .map(|f| {
            std::path::Path::new(&f.name)
                .parent()
                .and_then(|p| p.to_str())
                .unwrap_or("")
        })
        .collect();
    findings.extend(rules::run(&objects, &dirs, config));
    findings.retain(|f| config.enabled(f.rule));
    for f in &mut findings {
        if let Some(s) = config.severity(f.rule) {
            f.severity = s;
        }
    }
    findings.sort_by(|a, b| {
        (a.file, a.span.start, a.span.end, a.rule, &a.message).cmp(&(
            b.file,
            b.span.start,
            b.span.end,
            b.rule,
            &b.message,
        ))
    });
    Report {
        files,
        findings,
        objects: objects.len(),
        files_with_objects,
        skipped_documents,
        notices,
    }
}
