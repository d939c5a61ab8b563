//! The audit pipeline: discover -> read -> load -> rules -> suppressions -> sorted findings.

use crate::config::Config;
use crate::finding::Finding;
use crate::input::{self, InputSpec, ReadOutcome, SourceFile};
use crate::manifest::{self, Object, tree::Span};
use crate::rules;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Everything a lint run produced.
pub struct Report {
    /// The files linted, then (after `primary_files`) files read only as context.
    pub files: Vec<SourceFile>,
    /// How many of `files` were linted (the rest only inform cross-object rules).
    pub primary_files: usize,
    pub findings: Vec<Finding>,
    /// Kubernetes objects checked, as (file, `Kind/name [in namespace ns]`), named as findings name their object.
    pub checked: Vec<(usize, String)>,
    /// Files that held at least one Kubernetes object.
    pub files_with_objects: usize,
    /// YAML documents that are not Kubernetes objects (skipped).
    pub skipped_documents: usize,
    /// Things users should know that are not findings (skipped files).
    pub notices: Vec<String>,
    /// Set when the objects came from a live cluster (`lint --cluster`): the
    /// cluster's name; findings are then located by object and field path,
    /// not by file and line.
    pub cluster: Option<String>,
}

impl Report {
    pub fn count(&self, severity: crate::finding::Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// Kubernetes objects checked.
    pub fn objects(&self) -> usize {
        self.checked.len()
    }

    /// Files that have at least one finding.
    pub fn files_with_findings(&self) -> usize {
        let mut files: Vec<usize> = self.findings.iter().map(|f| f.file).collect();
        files.dedup();
        files.len()
    }
}

/// How to lint.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Do not read the manifests beside explicitly named files as context.
    pub isolated: bool,
}

/// Lint paths (files, directories, `-` for stdin).
///
/// For files named explicitly (as pre-commit does), the other manifests in
/// the same directories are read as context, so that cross-object rules
/// (a Service and its Deployment) see what they would see in a full run.
pub fn lint_paths(paths: &[String], config: &Config, options: Options) -> Report {
    let (mut specs, notices) = input::discover(paths);
    specs.retain(|s| !matches!(s, InputSpec::Path(p) if config.excludes(p)));
    let context = if options.isolated { Vec::new() } else { context_inputs(paths, &specs, config) };
    let primary = specs.len();
    specs.extend(context);
    let mut report = lint_inputs(&specs, primary, config);
    report.notices.splice(0..0, notices);
    report
}

fn context_inputs(paths: &[String], specs: &[InputSpec], config: &Config) -> Vec<InputSpec> {
    let seen: HashSet<PathBuf> = specs
        .iter()
        .filter_map(|s| match s {
            InputSpec::Path(p) => Some(p.clone()),
            InputSpec::Stdin => None,
        })
        .collect();
    let dirs: HashSet<PathBuf> =
        paths.iter().map(Path::new).filter(|p| p.is_file()).map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default()).collect();
    let mut out: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let read = if dir.as_os_str().is_empty() { std::fs::read_dir(".") } else { std::fs::read_dir(&dir) };
        let Ok(entries) = read else { continue };
        for e in entries.flatten() {
            let p = if dir.as_os_str().is_empty() { PathBuf::from(e.file_name()) } else { e.path() };
            if p.is_file() && input::is_manifest_name(&p) && !seen.contains(&p) && !config.excludes(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out.into_iter().map(InputSpec::Path).collect()
}

/// Lint already-discovered inputs; the first `primary` are reported on.
pub fn lint_inputs(specs: &[InputSpec], primary: usize, config: &Config) -> Report {
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
                    span: Span { start: pos, end: pos },
                    path: String::new(),
                    object: None,
                    help: None,
                    doc: None,
                });
                (file, l)
            }
        })
        .collect();
    lint_loaded(loaded, primary, config)
}

/// Lint files held in memory, all of them primary.
pub fn lint_sources(files: Vec<SourceFile>, config: &Config) -> Report {
    let n = files.len();
    let loaded = files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let l = manifest::load(i, &f);
            (f, l)
        })
        .collect();
    lint_loaded(loaded, n, config)
}

/// Lint text held in memory (tests, fuzzing).
pub fn lint_text(name: &str, text: &str, config: &Config) -> Report {
    let file = SourceFile::new(name, text.to_string());
    let l = manifest::load(0, &file);
    lint_loaded(vec![(file, l)], 1, config)
}

fn lint_loaded(loaded: Vec<(SourceFile, manifest::Loaded)>, primary: usize, config: &Config) -> Report {
    let mut files = Vec::with_capacity(loaded.len());
    let mut objects: Vec<Object> = Vec::new();
    let mut findings = Vec::new();
    let mut notices = Vec::new();
    let mut skipped_documents = 0;
    let mut files_with_objects = 0;
    for (i, (file, l)) in loaded.into_iter().enumerate() {
        files.push(file);
        objects.extend(l.objects);
        if i < primary {
            files_with_objects += usize::from(objects.last().is_some_and(|o| o.file == i));
            findings.extend(l.findings);
            notices.extend(l.notices);
            skipped_documents += l.skipped_documents;
        }
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    findings.extend(rules::run(&objects, &names, config).into_iter().filter(|f| f.file < primary));
    findings.retain(|f| config.enabled(f.rule));
    crate::suppress::apply(&mut findings, &files[..primary.min(files.len())], &objects, config);
    for f in &mut findings {
        if let Some(s) = config.severity(f.rule) {
            f.severity = s;
        }
    }
    findings.sort_by(|a, b| {
        (a.file, a.span.start, a.span.end, a.rule, &a.message).cmp(&(b.file, b.span.start, b.span.end, b.rule, &b.message))
    });
    let checked = objects.iter().filter(|o| o.file < primary).map(|o| (o.file, o.reference().to_string())).collect();
    Report { files, primary_files: primary, findings, checked, files_with_objects, skipped_documents, notices, cluster: None }
}
