//! The audit pipeline: discover -> read -> load -> rules -> suppressions -> sorted findings.

use crate::config::Config;
use crate::finding::{Finding, Notice};
use crate::input::{self, InputSpec, ReadOutcome, SourceFile, Span};
use crate::manifest::{self, Light, Object};
use crate::render;
use crate::rules;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

mod placement;
mod rendered;

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
    /// Things users should know that are not findings (skipped files and documents).
    pub notices: Vec<Notice>,
    /// Set when the objects came from a live cluster (`lint --cluster`): the
    /// cluster's name; findings are then located by object and field path,
    /// not by file and line.
    pub cluster: Option<String>,
    /// Whether unsafe fixes count as fixable (`--unsafe-fixes`): reports mark and count them so.
    pub unsafe_fixes: bool,
}

impl Report {
    /// A report of `findings` on one linted file (tests of the output formats).
    #[cfg(test)]
    pub(crate) fn of_one_file(file: SourceFile, findings: Vec<Finding>) -> Report {
        Report {
            files: vec![file],
            primary_files: 1,
            findings,
            checked: Vec::new(),
            files_with_objects: 1,
            skipped_documents: 0,
            notices: Vec::new(),
            cluster: None,
            unsafe_fixes: false,
        }
    }

    pub fn count(&self, severity: crate::finding::Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    /// Kubernetes objects checked.
    pub fn objects(&self) -> usize {
        self.checked.len()
    }

    /// Files that have at least one finding.
    /// Findings fixable with `--fix`, and those fixable only with `--unsafe-fixes` too.
    pub fn fixable(&self) -> (usize, usize) {
        let safe = self.findings.iter().filter(|f| f.fixable(false)).count();
        (safe, self.findings.iter().filter(|f| f.fixable(true)).count() - safe)
    }

    pub fn files_with_findings(&self) -> usize {
        let mut files: Vec<usize> = self.findings.iter().map(|f| f.file).collect();
        files.dedup();
        files.len()
    }
}

/// How to lint.
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// Do not read the manifests beside explicitly named files as context.
    pub isolated: bool,
    /// How Kustomize roots and Helm charts are rendered.
    pub render: render::RenderOptions,
    /// A root that cannot be rendered for want of a tool is an error, not a notice.
    pub require_render: bool,
    /// A progress line on standard error while rendering takes more than a
    /// second, when standard error is a terminal (human output only).
    pub progress: bool,
}

/// The progress line of rendering: drawn only once rendering has taken a
/// second, and cleared when it ends.
struct RenderProgress {
    bar: indicatif::ProgressBar,
    done: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    watcher: Option<std::thread::JoinHandle<()>>,
}

impl RenderProgress {
    fn start(roots: usize) -> RenderProgress {
        let bar = indicatif::ProgressBar::with_draw_target(Some(roots as u64), indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) = indicatif::ProgressStyle::with_template("rendering {pos}/{len} kustomizations and charts {wide_bar} {elapsed}") {
            bar.set_style(style);
        }
        let done = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let watcher = {
            let (bar, done) = (bar.clone(), done.clone());
            std::thread::spawn(move || {
                let (lock, cvar) = &*done;
                let guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                let (finished, _) =
                    cvar.wait_timeout_while(guard, std::time::Duration::from_secs(1), |d| !*d).unwrap_or_else(|e| e.into_inner());
                if !*finished {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(std::time::Duration::from_millis(100));
                }
            })
        };
        RenderProgress { bar, done, watcher: Some(watcher) }
    }

    fn finish(mut self) {
        let (lock, cvar) = &*self.done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
        if let Some(w) = self.watcher.take() {
            let _ = w.join();
        }
        self.bar.finish_and_clear();
    }
}

/// Lint paths (files, directories, `-` for stdin).
///
/// For files named explicitly (as pre-commit does), the other manifests in
/// the same directories are read as context, so that cross-object rules
/// (a Service and its Deployment) see what they would see in a full run.
/// Kustomize roots and Helm charts are linted as what they render to.
pub fn lint_paths(paths: &[String], config: &Config, options: LintOptions) -> Report {
    let (mut specs, problems) = input::discover_all(paths);
    // A folder that could not be listed is linted as an input that cannot be
    // read (an error finding): its files must not pass unseen.
    let mut notices = Vec::new();
    for p in problems {
        if p.unreadable && Path::new(&p.path).is_dir() {
            specs.push(InputSpec::Path(PathBuf::from(&p.path)));
        } else {
            notices.push(p.to_string());
        }
    }
    specs.retain(|s| !matches!(s, InputSpec::Path(p) if config.excludes(p)));
    let mut render_options = options.render.clone();
    // Charts without a version of their own render for the version the rules judge at.
    render_options.helm.kube_version.clone_from(&config.rules.kube_version);
    for (chart, v) in &config.helm {
        render_options.helm_charts.entry(chart.clone()).or_default().files.extend(v.files.iter().cloned());
        render_options.helm_charts.entry(chart.clone()).or_default().set.extend(v.set.iter().cloned());
        if v.kube_version.is_some() {
            render_options.helm_charts.entry(chart.clone()).or_default().kube_version.clone_from(&v.kube_version);
        }
    }
    let paths_only: Vec<&Path> = specs
        .iter()
        .filter_map(|s| match s {
            InputSpec::Path(p) => Some(p.as_path()),
            InputSpec::Stdin => None,
        })
        .collect();
    let mut resolved = render::canonical_all(&paths_only).into_iter();
    let canonical: Vec<Option<PathBuf>> = specs
        .iter()
        .map(|s| match s {
            InputSpec::Path(_) => resolved.next(),
            InputSpec::Stdin => None,
        })
        .collect();
    let mut to_plan: Vec<PathBuf> = canonical.iter().flatten().cloned().collect();
    if render_options.enabled {
        // A file named on its own (a patch, a resource) lints the kustomizations it belongs to.
        let named = paths.iter().map(Path::new).filter(|p| {
            p.is_file() && !render::kustomize::is_kustomization(p) && input::check(p, &input::boundary(p)).is_ok() && !config.excludes(p)
        });
        for k in named.flat_map(render::kustomize::owners).collect::<Vec<_>>() {
            if !to_plan.contains(&k) {
                to_plan.push(k);
            }
        }
    }
    let plan = render::plan(&to_plan, &render_options);
    // Files a render consumes (patches, kustomizations, chart files) are never linted alone.
    let keep: Vec<bool> = canonical.iter().map(|c| c.as_ref().is_none_or(|c| !plan.consumed.contains(c))).collect();
    let mut k = keep.iter();
    specs.retain(|_| *k.next().expect("one flag per spec"));
    let canonical: Vec<Option<PathBuf>> = canonical.into_iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| c).collect();
    let (context, context_notices) = if options.isolated { (Vec::new(), Vec::new()) } else { context_inputs(paths, &specs, config) };
    let context: Vec<InputSpec> =
        context.into_iter().filter(|s| !matches!(s, InputSpec::Path(p) if plan.consumed.contains(&render::canonical(p)))).collect();
    let primary = specs.len();
    specs.extend(context);
    // Rendering runs beside reading and parsing the plain files.
    // Rendered objects are unknown before rendering: with renders, context files are read whole.
    let whole = !plan.roots.is_empty();
    let max = config.max_file_bytes();
    let progress = (options.progress && !plan.roots.is_empty() && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .then(|| RenderProgress::start(plan.roots.len()));
    let on_done = || {
        if let Some(p) = &progress {
            p.bar.inc(1);
        }
    };
    let (renders, mut loaded) =
        rayon::join(|| render::render_all_with(&plan, &render_options, &on_done), || load_with_context(&specs, primary, whole, max));
    if let Some(p) = progress {
        p.finish();
    }
    // A chart's committed output (`helm template > examples/…`) repeats the findings of the
    // chart the run renders itself: its plain copies are left out, with a notice. Not when a
    // kustomization builds from it (a resource of a root): then it is what that build deploys.
    let charts = render::generated::chart_names(&plan, |i| renders.get(i).is_some_and(Result::is_ok));
    if !charts.is_empty() {
        for ((file, l), path) in loaded.iter_mut().zip(&canonical).take(primary) {
            if path.as_ref().is_some_and(|p| plan.resources_of.contains_key(p)) {
                continue;
            }
            if let Some(chart) = render::generated::rendered_from(&file.text, &charts) {
                leave_out(l);
                notices.push(format!("{}: skipped: output of `helm template` for chart {chart}, linted from its templates", file.name));
            }
        }
    }
    // A patch fragment in a kustomization's folders that no kustomization
    // lists is not a manifest anyone applies (an unused patch): left out.
    let kustomize_dirs: HashSet<&Path> = plan.kustomize_dirs.iter().map(PathBuf::as_path).collect();
    for ((file, l), path) in loaded.iter_mut().zip(&canonical).take(primary) {
        let patch_shaped = !l.objects.is_empty() && l.objects.iter().all(manifest::Object::looks_like_patch);
        if patch_shaped && path.as_ref().is_some_and(|p| p.ancestors().skip(1).any(|d| kustomize_dirs.contains(d))) {
            leave_out(l);
            notices.push(format!(
                "{}: skipped: a Kustomize patch (a workload with no selector and no image) that no kustomization lists",
                file.name
            ));
        }
    }
    let rendered =
        Renders { plan: &plan, results: renders, canonical: &canonical, options: &render_options, require: options.require_render };
    let mut report = lint_loaded_with(loaded, primary, config, Some(rendered));
    report.notices.splice(0..0, notices.into_iter().map(Notice::new).chain(context_notices));
    report.notices.extend(plan.notes.iter().map(|n| Notice::at(render::display(&n.file), n.line, n.message.clone())));
    report
}

/// Leave a loaded file out of the run: none of its objects or findings, its
/// documents counted as skipped.
fn leave_out(l: &mut manifest::Loaded<Light>) {
    let skipped = l.objects.len() + l.skipped_documents;
    *l = manifest::Loaded::default();
    l.skipped_documents = skipped;
}

/// Neighbours bigger than this are not read as context (naming them lints them).
pub const CONTEXT_MAX_BYTES: u64 = 4 << 20;

/// The manifests beside explicitly named files, read as context, and notices
/// for the neighbours too big to read.
fn context_inputs(paths: &[String], specs: &[InputSpec], config: &Config) -> (Vec<InputSpec>, Vec<Notice>) {
    let mut notices = Vec::new();
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
        let bound = input::boundary(if dir.as_os_str().is_empty() { Path::new(".") } else { &dir });
        let read = if dir.as_os_str().is_empty() { std::fs::read_dir(".") } else { std::fs::read_dir(&dir) };
        let Ok(entries) = read else { continue };
        for e in entries.flatten() {
            let p = if dir.as_os_str().is_empty() { PathBuf::from(e.file_name()) } else { e.path() };
            let wanted = input::is_manifest_name(&p) && !seen.contains(&p) && !config.excludes(&p);
            if !wanted {
                continue;
            }
            // Neighbours are read only when they are regular files of the repository.
            let plain = e.file_type().is_ok_and(|t| t.is_file() || t.is_dir());
            if !plain && let Err(why) = input::check(&p, &bound) {
                notices.push(Notice::new(format!("{}: skipped: {why}", p.display())));
                continue;
            }
            if !p.is_file() {
                continue;
            }
            match e.metadata() {
                Ok(m) if m.len() > CONTEXT_MAX_BYTES => notices.push(Notice::at(
                    p.display().to_string(),
                    1,
                    format!(
                        "not read as context of the files named beside it ({} MB, more than {} MB); name it to lint it",
                        m.len() >> 20,
                        CONTEXT_MAX_BYTES >> 20
                    ),
                )),
                _ => out.push(p),
            }
        }
    }
    out.sort();
    (out.into_iter().map(InputSpec::Path).collect(), notices)
}

/// Kinds whose objects select or scale the pods of others: what cross-object
/// rules need from context files whatever the named files hold.
const SELECTING_KINDS: &[&str] = &["Service", "ServiceMonitor", "PodMonitor", "HorizontalPodAutoscaler", "PodDisruptionBudget"];

/// Built-in kinds no cross-object rule reads.
const UNUSED_KINDS: &[&str] = &[
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "Ingress",
    "IngressClass",
    "NetworkPolicy",
    "Namespace",
    "CustomResourceDefinition",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "LimitRange",
    "ResourceQuota",
    "PriorityClass",
    "Endpoints",
    "EndpointSlice",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// Which documents of context files are loaded, from what the named files hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContextNeed {
    /// Only objects that select the named workloads' pods (the named files hold no selecting object).
    Selecting,
    /// Also the pod owners (workloads, custom resources) the named Services, PDBs, HPAs and monitors select.
    PodOwners,
    /// Every document (renders are involved, whose objects are not known yet).
    Whole,
}

impl ContextNeed {
    fn of(primary: &[(SourceFile, manifest::Loaded<Light>)], whole: bool) -> Self {
        if whole {
            return ContextNeed::Whole;
        }
        let selecting = primary.iter().flat_map(|(_, l)| &l.objects).any(|o| SELECTING_KINDS.contains(&o.kind.as_str()));
        if selecting { ContextNeed::PodOwners } else { ContextNeed::Selecting }
    }

    fn keeps(self, kind: &str) -> bool {
        match self {
            ContextNeed::Whole => true,
            _ if kind.ends_with("List") || SELECTING_KINDS.contains(&kind) => true,
            ContextNeed::PodOwners => !UNUSED_KINDS.contains(&kind),
            ContextNeed::Selecting => false,
        }
    }
}

/// Load the first `primary` inputs whole, then the context inputs after them
/// with only the documents the named files' cross-object rules can use.
fn load_with_context(specs: &[InputSpec], primary: usize, whole: bool, max: u64) -> Vec<(SourceFile, manifest::Loaded<Light>)> {
    let mut loaded = load_inputs(&specs[..primary], 0, None, max);
    if primary < specs.len() {
        let need = ContextNeed::of(&loaded, whole);
        loaded.extend(load_inputs(&specs[primary..], primary, Some(need), max));
    }
    loaded
}

/// Read and load `specs` (at most `max` bytes each), numbered from `first`; `need` filters the documents of context files.
fn load_inputs(specs: &[InputSpec], first: usize, need: Option<ContextNeed>, max: u64) -> Vec<(SourceFile, manifest::Loaded<Light>)> {
    specs
        .par_iter()
        .enumerate()
        .map(|(i, spec)| (first + i, spec))
        .map(|(i, spec)| match input::read_limited(spec, max) {
            ReadOutcome::Text(file) => {
                // Primary files' objects are all expanded (their full views
                // read then); context files' are not: read them whole now.
                let l = match need {
                    None => manifest::load_light(i, &file),
                    Some(ContextNeed::Whole) => manifest::load(i, &file).light(),
                    Some(need) => manifest::load_kinds(i, &file, |kind| need.keeps(kind)).light(),
                };
                (file, l)
            }
            ReadOutcome::Broken { file, pos, message } => {
                let mut l = manifest::Loaded::default();
                l.findings.push(Finding::new(
                    "invalid-yaml",
                    crate::finding::Severity::Error,
                    i,
                    Span { start: pos, end: pos },
                    format!("{}: {message}", file.name),
                ));
                (file, l)
            }
        })
        .collect()
}

/// Lint files held in memory, all of them primary.
pub fn lint_sources(files: Vec<SourceFile>, config: &Config) -> Report {
    let n = files.len();
    let loaded = files
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let l = manifest::load_light(i, &f);
            (f, l)
        })
        .collect();
    lint_loaded(loaded, n, config)
}

/// Lint text held in memory (tests, fuzzing).
pub fn lint_text(name: &str, text: &str, config: &Config) -> Report {
    let file = SourceFile::new(name, text.to_string());
    let l = manifest::load_light(0, &file);
    lint_loaded(vec![(file, l)], 1, config)
}

fn lint_loaded(loaded: Vec<(SourceFile, manifest::Loaded<Light>)>, primary: usize, config: &Config) -> Report {
    lint_loaded_with(loaded, primary, config, None)
}

/// The renders of a run, beside its plain files.
struct Renders<'a> {
    plan: &'a render::RenderPlan,
    results: Vec<Result<render::Rendered, render::RenderError>>,
    /// Canonical paths of the primary inputs, by index.
    canonical: &'a [Option<PathBuf>],
    options: &'a render::RenderOptions,
    require: bool,
}

fn lint_loaded_with(
    mut loaded: Vec<(SourceFile, manifest::Loaded<Light>)>,
    primary: usize,
    config: &Config,
    renders: Option<Renders<'_>>,
) -> Report {
    let Some(renders) = renders.filter(|r| !r.plan.roots.is_empty()) else {
        return finish(loaded, primary, config, None);
    };
    let mut run = rendered::Run::new(&mut loaded, primary, renders.canonical, renders.plan, &renders.results);
    run.add_renders(&mut loaded, renders.plan, renders.results, renders.options, renders.require);
    let primary = run.primary;
    finish(loaded, primary, config, Some(run))
}

fn finish(loaded: Vec<(SourceFile, manifest::Loaded<Light>)>, primary: usize, config: &Config, run: Option<rendered::Run>) -> Report {
    let mut files = Vec::with_capacity(loaded.len());
    // Sized once: growing it would hold the old and the new buffer of the run's largest vector at once.
    let mut objects: Vec<Object<Light>> = Vec::with_capacity(loaded.iter().map(|(_, l)| l.objects.len()).sum());
    let mut findings = Vec::new();
    let mut notices = Vec::new();
    let mut skipped_documents = 0;
    for (i, (file, l)) in loaded.into_iter().enumerate() {
        files.push(file);
        objects.extend(l.objects);
        if i < primary {
            findings.extend(l.findings);
            notices.extend(l.notices);
            skipped_documents += l.skipped_documents;
        }
    }
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let reported = |file: usize| file < primary || run.as_ref().is_some_and(|r| r.is_rendered(file));
    // Suppressions in annotations are read from the objects' trees, before
    // the rules drop them. A plain run drops each tree once the object's
    // rules ran; with renders, findings are mapped through the trees after.
    let suppressing = primary.min(files.len());
    let mut annotated = crate::suppress::annotated(suppressing, &objects);
    let texts: Option<Vec<&str>> = run.is_none().then(|| files.iter().map(|f| f.text.as_str()).collect());
    let rendered = |file: usize| run.as_ref().is_some_and(|r| r.is_rendered(file));
    let (mut objects, found) = rules::run(objects, &names, &config.rules, &reported, &rendered, texts.as_deref());
    findings.extend(found);
    findings.retain(|f| config.enabled(f.rule));
    let mut checked: Vec<(usize, String)> =
        objects.iter().filter(|o| o.file < primary).map(|o| (o.file, o.reference().to_string())).collect();
    if let Some(mut run) = run {
        // Findings on rendered objects move into the user's files before
        // suppressions (comments there, annotations in bases) are read.
        findings = run.map(findings, &files, &objects);
        // An edit of rendered output is lost on the next render: only the user's plain files are fixed.
        for f in findings.iter_mut().filter(|f| f.rendered.is_some()) {
            f.fix = None;
        }
        findings.extend(run.findings.drain(..).filter(|f| config.enabled(f.rule)));
        notices.append(&mut run.notices);
        checked.extend(objects.iter().filter(|o| run.is_rendered(o.file)).map(|o| (run.object_file(o), o.reference().to_string())));
        annotated.extend(crate::suppress::annotated(suppressing, &run.source_objects));
        objects.append(&mut run.source_objects);
    }
    placement::lower_outside_production(&mut findings, &files);
    crate::suppress::apply(&mut findings, &files[..suppressing], annotated, config);
    for f in &mut findings {
        if let Some(s) = config.severity(f.rule) {
            f.severity = s;
        }
    }
    findings.sort_by(|a, b| {
        (a.file, a.span.start, a.span.end, a.rule, &a.message).cmp(&(b.file, b.span.start, b.span.end, b.rule, &b.message))
    });
    let files_with_objects = checked.iter().map(|c| c.0).collect::<std::collections::HashSet<_>>().len();
    // The objects' trees are most of the run's heap blocks: a worker frees
    // them while the caller renders the report (or the process ends first).
    rayon::spawn(move || drop(objects));
    Report {
        files,
        primary_files: primary,
        findings,
        checked,
        files_with_objects,
        skipped_documents,
        notices,
        cluster: None,
        unsafe_fixes: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context file with a Deployment whose document does not parse and a Service.
    fn context(dir: &Path) -> InputSpec {
        let p = dir.join("neighbour.yaml");
        std::fs::write(
            &p,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n",
        )
        .unwrap();
        InputSpec::Path(p)
    }

    fn named(dir: &Path, text: &str) -> InputSpec {
        let p = dir.join("named.yaml");
        std::fs::write(&p, text).unwrap();
        InputSpec::Path(p)
    }

    #[test]
    fn context_files_load_only_the_kinds_the_named_files_need() {
        let dir = tempfile::tempdir().unwrap();
        let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
        // A named Deployment needs the Services beside it, not the other workloads:
        // the broken Deployment is never parsed.
        let loaded = load_with_context(&[named(dir.path(), deploy), context(dir.path())], 1, false, input::DEFAULT_MAX_FILE_BYTES);
        let (_, l) = &loaded[1];
        assert_eq!(l.objects.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>(), ["Service"]);
        assert_eq!((l.findings.len(), l.skipped_documents), (0, 1));
        assert_eq!(l.objects[0].doc, 1);
        assert_eq!(l.objects[0].root.span.start.line, 5);
        // A named Service needs the pod owners too: the Deployment is parsed (and fails).
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n";
        let loaded = load_with_context(&[named(dir.path(), svc), context(dir.path())], 1, false, input::DEFAULT_MAX_FILE_BYTES);
        assert_eq!(loaded[1].1.findings.iter().map(|f| f.rule).collect::<Vec<_>>(), ["invalid-yaml"]);
        // With renders, everything is read.
        let loaded = load_with_context(&[named(dir.path(), deploy), context(dir.path())], 1, true, input::DEFAULT_MAX_FILE_BYTES);
        assert_eq!(loaded[1].1.findings.len(), 1);
    }

    #[test]
    fn dropped_trees_change_no_finding_even_when_the_rules_run_again() {
        // 70 wrong containers: the full view is no workload, so the light
        // one was wrong and the rules run twice (on trees read again).
        let many: String = (0..70).map(|i| format!("        - {{name: c{i}, image: i, ports: x}}\n")).collect();
        let text = format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {{selector: {{app: web}}}}\n---\n\
             apiVersion: v1\nkind: List\nitems:\n- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: c}}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  selector: {{matchLabels: {{app: web}}}}\n\
             \x20 template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n{many}"
        );
        let file = SourceFile::new("t.yaml", text.clone());
        let config = Config::default();
        let run = |texts: Option<&[&str]>| {
            let (objects, findings) =
                rules::run(manifest::load_light(0, &file).objects, &["t.yaml"], &config.rules, &|_| true, &|_| false, texts);
            (objects, findings.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>())
        };
        let (kept, expected) = run(None);
        assert!(expected.iter().any(|f| f.contains("invalid-manifest")), "{expected:?}");
        let (mut dropped, found) = run(Some(&[text.as_str()]));
        assert_eq!(found, expected);
        assert_eq!(dropped.len(), 3);
        assert!(dropped.iter().all(|o| !o.has_tree()) && kept.iter().all(Object::has_tree));
        manifest::restore_trees(&mut dropped, &[text.as_str()]);
        for (a, b) in kept.iter().zip(&dropped) {
            assert_eq!(format!("{:?}", a.root), format!("{:?}", b.root));
        }
    }

    #[test]
    fn top_level_kind_is_found_by_a_line_scan() {
        use crate::manifest::parse::top_level_kind;
        assert_eq!(top_level_kind("apiVersion: v1\nkind: \"Service\" # x\n"), Some("Service"));
        assert_eq!(top_level_kind("spec:\n  kind: Service\n"), None);
        assert_eq!(top_level_kind("{\"kind\": \"Service\"}"), None);
    }
}
