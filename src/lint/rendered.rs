//! Rendered objects in a lint run: their streams join the run as files of
//! their own, and every finding on them is moved into the user's source file.

use crate::finding::{Finding, Notice, RenderedAt, Severity};
use crate::input::SourceFile;
use crate::input::{Pos, Span};
use crate::manifest::{self, Light, Object};
use crate::render::map::{self, Aim};
use crate::render::{By, Origin, RenderError, RenderPlan, Rendered, Root, canonical};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

type Loaded = Vec<(SourceFile, manifest::Loaded<Light>)>;

/// One rendered stream in the run.
struct RFile {
    root: Root,
    origins: Vec<Origin>,
    /// Kustomize: the files of the patches the build applied (file indices).
    patches: Vec<usize>,
    /// Helm: the values files in the order helm reads them.
    values: Vec<PathBuf>,
}

/// The rendering side of a run.
pub(super) struct Run {
    /// Files reported on (a prefix of the run's files): plain files and the sources of renders.
    pub primary: usize,
    rendered: HashMap<usize, RFile>,
    by_path: HashMap<PathBuf, usize>,
    /// Objects of source files: not linted themselves, used to map findings and read suppressions.
    pub source_objects: Vec<Object<Light>>,
    /// The source objects of each file (indices into `source_objects`), made on first use.
    sources_by_file: std::sync::OnceLock<HashMap<usize, Vec<usize>>>,
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
}

impl Run {
    /// Files whose resources a successful render covers become sources.
    pub(super) fn new(
        loaded: &mut Loaded,
        primary: usize,
        canonical: &[Option<PathBuf>],
        plan: &RenderPlan,
        results: &[Result<Rendered, RenderError>],
    ) -> Run {
        let mut run = Run {
            primary,
            rendered: HashMap::new(),
            by_path: HashMap::new(),
            source_objects: Vec::new(),
            sources_by_file: std::sync::OnceLock::new(),
            findings: Vec::new(),
            notices: Vec::new(),
        };
        for (i, c) in canonical.iter().enumerate().take(primary) {
            let Some(c) = c else { continue };
            run.by_path.insert(c.clone(), i);
            let covered = plan.resources_of.get(c).is_some_and(|roots| roots.iter().any(|&r| results[r].is_ok()));
            if covered {
                let l = &mut loaded[i].1;
                run.source_objects.append(&mut l.objects);
                l.findings.clear();
            }
        }
        run
    }

    /// The file index of a user's file, reading it into the run when it is not there yet.
    fn source(&mut self, loaded: &mut Loaded, path: &Path, parse: bool) -> usize {
        let key = canonical(path);
        if let Some(&i) = self.by_path.get(&key) {
            return i;
        }
        let i = loaded.len();
        // Never a special or system file (the render's origins name files, links resolved).
        let text = crate::input::read_text(&key, None).unwrap_or_default();
        let file = SourceFile::new(crate::render::display(&key), text);
        if parse {
            let mut l = manifest::load(i, &file).light();
            self.source_objects.append(&mut l.objects);
        }
        loaded.push((file, manifest::Loaded::default()));
        self.by_path.insert(key, i);
        i
    }

    pub(super) fn add_renders(
        &mut self,
        loaded: &mut Loaded,
        plan: &RenderPlan,
        results: Vec<Result<Rendered, RenderError>>,
        options: &crate::render::RenderOptions,
        require: bool,
    ) {
        let context = loaded.split_off(self.primary);
        let mut streams = Vec::new();
        for (root, result) in plan.roots.iter().zip(results) {
            match result {
                Ok(r) => {
                    self.notices.extend(r.notes.iter().map(|n| Notice::at(crate::render::display(&n.file), n.line, n.message.clone())));
                    // Origins that are not files here (a subchart packed as .tgz) map to the root's manifest.
                    for o in &r.origins {
                        if let Some(f) = o.file.as_ref().filter(|f| f.is_file()) {
                            self.source(loaded, f, root.by == By::Kustomize);
                        }
                        if let Some(k) = o.configured_in.as_ref().filter(|k| k.is_file()) {
                            self.source(loaded, k, false);
                        }
                    }
                    self.source(loaded, &root.manifest, false);
                    // Patches add what the resources lack (a container): findings on it belong there.
                    // Only files inside the repository (kustomize read them from there).
                    let inside = crate::input::boundary(&root.dir);
                    let patches =
                        root.patches.iter().filter(|p| canonical(p).starts_with(&inside)).map(|p| self.source(loaded, p, true)).collect();
                    let mut values = vec![map::chart_values(&root.dir)];
                    if root.by == By::Helm {
                        values.extend(crate::render::helm::values_for(root, options).into_iter().flat_map(|v| v.files.iter().cloned()));
                        for v in values.clone() {
                            if v.is_file() {
                                self.source(loaded, &v, false);
                            }
                        }
                    }
                    streams.push((root.clone(), r, values, patches));
                }
                Err(e) => self.failed(loaded, root, e, require),
            }
        }
        self.primary = loaded.len();
        let first_context = self.primary;
        for (n, (file, mut l)) in context.into_iter().enumerate() {
            let i = first_context + n;
            for o in &mut l.objects {
                o.file = i;
            }
            for f in &mut l.findings {
                f.file = i;
            }
            loaded.push((file, l));
        }
        for (root, r, values, patches) in streams {
            let i = loaded.len();
            // The folder of a stream is its root, so folder-scoped rules keep roots apart.
            let file = SourceFile::new(format!("{}/({} output)", root.display, root.by.as_str()), r.text);
            let l = manifest::load(i, &file).light();
            loaded.push((file, l));
            self.rendered.insert(i, RFile { root, origins: r.origins, values, patches });
        }
    }

    /// A root that did not render: one finding on its kustomization or Chart.yaml, or a notice.
    fn failed(&mut self, loaded: &mut Loaded, root: &Root, e: RenderError, require: bool) {
        let rule = match root.by {
            By::Kustomize => "kustomize-build-failed",
            By::Helm => "helm-render-failed",
        };
        let what = match root.by {
            By::Kustomize => "kustomization",
            By::Helm => "chart",
        };
        // A root left unrendered for want of the tool is never a silent pass:
        // a warning (an error with --require-render), as its objects are not linted.
        let mut severity = Severity::Error;
        let unsafe_link = matches!(e, RenderError::Unsafe { .. });
        let (file, span, message) = match e {
            RenderError::ToolMissing { tool, hint } => {
                if !require {
                    severity = Severity::Warning;
                }
                (
                    root.manifest.clone(),
                    None,
                    format!(
                        "{tool} not found, so {what} {} was not rendered and its objects were not linted; {hint} (or --no-render to lint its files one by one)",
                        root.display
                    ),
                )
            }
            RenderError::Unsafe { path, why } => (
                root.manifest.clone(),
                None,
                format!(
                    "{} was not rendered: {}: {why}, which {} would read",
                    root.display,
                    crate::render::display(&path),
                    root.by.as_str()
                ),
            ),
            RenderError::Failed { message } => (root.manifest.clone(), None, format!("{} does not render: {message}", root.display)),
            RenderError::TimedOut { seconds } => {
                (root.manifest.clone(), None, format!("{} did not render within {seconds} s (the time limit per root)", root.display))
            }
            RenderError::Remote { reference, file, span } => (
                file,
                Some(span),
                format!(
                    "remote resource `{reference}` was not fetched, so {} was not built: remote bases and resources are fetched only with --allow-remote",
                    root.display
                ),
            ),
        };
        let i = self.source(loaded, &file, false);
        let span = span.unwrap_or_else(|| first_content_line(&loaded[i].0));
        self.findings.push(Finding::new(rule, severity, i, span, message).help(match root.by {
            _ if unsafe_link => "replace the link by the file it points to (kept in the repository), or remove it; special files and links leaving the repository are never read",
            By::Kustomize => "run `kubectl kustomize` on the folder to see the error; plugins, exec functions and remote resources are disabled when linting",
            By::Helm => "run `helm template` on the chart to see the error; chart dependencies must be in charts/ (`helm dependency build`)",
        }));
    }

    pub(super) fn is_rendered(&self, file: usize) -> bool {
        self.rendered.contains_key(&file)
    }

    /// The user's file an object came from (for the count of checked objects).
    pub(super) fn object_file(&self, obj: &Object<Light>) -> usize {
        let Some(r) = self.rendered.get(&obj.file) else { return obj.file };
        let origin = r.origins.get(obj.doc).cloned().unwrap_or_default();
        origin
            .file
            .or(origin.configured_in)
            .and_then(|p| self.by_path.get(&canonical(&p)).copied())
            .unwrap_or_else(|| self.manifest_index(r))
    }

    /// The document of a patch the build applied that holds the whole of
    /// `ptr` of the rendered object (its kind and a name the rendered name
    /// holds), with the pointer there.
    fn patch_with(&self, r: &RFile, obj: &Object<Light>, ptr: &str) -> Option<(&Object<Light>, String)> {
        let name = obj.name.as_deref().unwrap_or_default();
        let by_file = self.sources_by_file.get_or_init(|| {
            let mut m: HashMap<usize, Vec<usize>> = HashMap::new();
            for (i, o) in self.source_objects.iter().enumerate() {
                m.entry(o.file).or_default().push(i);
            }
            m
        });
        r.patches.iter().find_map(|&file| {
            by_file
                .get(&file)
                .into_iter()
                .flatten()
                .map(|&i| &self.source_objects[i])
                .filter(|o| o.kind == obj.kind && o.name.as_deref().is_some_and(|n| name == n || name.contains(n)))
                .find_map(|o| match map::translate(&obj.root, &o.root, ptr) {
                    (sp, true) => Some((o, sp)),
                    _ => None,
                })
        })
    }

    fn manifest_index(&self, r: &RFile) -> usize {
        self.by_path.get(&canonical(&r.root.manifest)).copied().unwrap_or(0)
    }

    /// Move findings on rendered objects into the source files; drop those
    /// suppressed by an annotation that only the rendered object carries;
    /// merge the same source finding from several roots.
    pub(super) fn map(&self, findings: Vec<Finding>, files: &[SourceFile], objects: &[Object<Light>]) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
        let mut seen: HashMap<(&'static str, usize, Span, String), usize> = HashMap::new();
        for f in findings {
            let Some(r) = self.rendered.get(&f.file) else {
                out.push(f);
                continue;
            };
            let Some(mapped) = self.map_one(f, r, files, objects) else { continue };
            let key = (mapped.rule, mapped.file, mapped.span, mapped.path.clone());
            match seen.get(&key) {
                Some(&i) => {
                    let at = out[i].rendered.as_mut().expect("rendered");
                    let root = mapped.rendered.expect("rendered").root;
                    if !at.roots.contains(&root) {
                        at.roots.push(root);
                    }
                }
                None => {
                    seen.insert(key, out.len());
                    out.push(mapped);
                }
            }
        }
        for f in &mut out {
            let Some(at) = &f.rendered else { continue };
            let outside = at.by == "kustomize" && !files[f.file].name.starts_with(&format!("{}/", at.root));
            if at.roots.len() > 1 || outside {
                f.message = format!("{} (in {})", f.message, at.roots.join(", "));
            }
        }
        out
    }

    fn map_one(&self, mut f: Finding, r: &RFile, files: &[SourceFile], objects: &[Object<Light>]) -> Option<Finding> {
        let at = RenderedAt {
            by: r.root.by.as_str(),
            root: r.root.display.clone(),
            line: f.span.start.line,
            roots: vec![r.root.display.clone()],
        };
        f.rendered = Some(at);
        let obj = f.doc.and_then(|d| objects.iter().find(|o| o.file == f.file && o.doc == d && f.path.starts_with(&o.base)));
        let Some(obj) = obj else {
            f.file = self.manifest_index(r);
            f.span = first_content_line(&files[f.file]);
            f.doc = None;
            return Some(f);
        };
        let ptr = f.path[obj.base.len()..].to_string();
        let aim = map::aim_of(&obj.root, &ptr, f.span);
        let origin = r.origins.get(obj.doc).cloned().unwrap_or_default();
        let suppressed_here =
            obj.meta.annotations.as_ref().is_some_and(|a| a.contains_key(&format!("{}{}", crate::suppress::ANNOTATION_PREFIX, f.rule)));
        match (r.root.by, &origin.file) {
            (By::Kustomize, Some(src)) => {
                let Some(&i) = self.by_path.get(&canonical(src)) else {
                    f.file = self.manifest_index(r);
                    f.span = first_content_line(&files[f.file]);
                    f.doc = None;
                    return Some(f);
                };
                let candidates: Vec<&Object<Light>> = self.source_objects.iter().filter(|o| o.file == i).collect();
                f.file = i;
                match map::source_object(obj, &candidates) {
                    Some(s) => {
                        let lacks = s
                            .meta
                            .annotations
                            .as_ref()
                            .is_none_or(|a| !a.contains_key(&format!("{}{}", crate::suppress::ANNOTATION_PREFIX, f.rule)));
                        if suppressed_here && lacks {
                            return None;
                        }
                        let (sp, complete) = map::translate(&obj.root, &s.root, &ptr);
                        // What the resource lacks (a container a patch added) is in a patch.
                        let in_patch = if complete { None } else { self.patch_with(r, obj, &ptr) };
                        let (s, sp, complete) = match in_patch {
                            Some((p, psp)) => {
                                f.file = p.file;
                                (p, psp, true)
                            }
                            None => (s, sp, complete),
                        };
                        f.span = map::span_at(&s.root, &sp, if complete { aim } else { Aim::Key });
                        f.path = format!("{}{}", s.base, sp);
                        f.doc = Some(s.doc);
                        // Name the object as the user's file does (a base shared by overlays).
                        if let (Some(rn), Some(sn)) = (&obj.name, &s.name)
                            && rn != sn
                        {
                            f.message = f.message.replace(&format!("{}/{rn}", obj.kind), &format!("{}/{sn}", s.kind));
                        }
                        f.object = Some(s.reference());
                    }
                    None => {
                        f.span = first_content_line(&files[i]);
                        f.doc = None;
                    }
                }
            }
            (By::Kustomize, None) => {
                if suppressed_here {
                    return None;
                }
                let k = origin.configured_in.as_ref().unwrap_or(&r.root.manifest);
                let i = self.by_path.get(&canonical(k)).copied().unwrap_or_else(|| self.manifest_index(r));
                f.file = i;
                f.doc = None;
                f.span = match (&origin.configured_by, crate::manifest::parse::parse_stream(&files[i].text).into_iter().next()) {
                    (Some(generator), Some(d)) if d.result.is_ok() => {
                        map::generator_entry(d.result.as_ref().expect("ok"), generator, obj.name.as_deref().unwrap_or_default())
                    }
                    _ => first_content_line(&files[i]),
                };
            }
            (By::Helm, template) => {
                if suppressed_here {
                    return None;
                }
                let Some(i) = template.as_ref().and_then(|t| self.by_path.get(&canonical(t)).copied()) else {
                    f.file = self.manifest_index(r);
                    f.span = first_content_line(&files[f.file]);
                    f.doc = None;
                    return Some(f);
                };
                let ordinal = objects
                    .iter()
                    .filter(|o| {
                        o.file == obj.file
                            && o.doc < obj.doc
                            && o.kind == obj.kind
                            && r.origins.get(o.doc).and_then(|x| x.file.as_ref()) == template.as_ref()
                    })
                    .count();
                let hit = map::in_template(&files[i].text, &obj.kind, ordinal, &obj.root, &ptr, aim);
                f.file = i;
                f.span = hit.span;
                f.doc = None;
                if let Some(vp) = &hit.values_ptr
                    && let Some((values_file, span, _)) = map::in_values_at(&r.values, vp)
                    && let Some(&vi) = self.by_path.get(&canonical(&values_file))
                {
                    let dotted = vp
                        .trim_start_matches('/')
                        .split('/')
                        .map(|s| s.replace("~1", "/").replace("~0", "~"))
                        .collect::<Vec<_>>()
                        .join(".");
                    f.message = format!(
                        "{} (the value comes from `{dotted}` in {}, written by toYaml at {}:{})",
                        f.message,
                        files[vi].name,
                        files[i].name,
                        hit.line + 1
                    );
                    f.file = vi;
                    f.span = span;
                } else if hit.exact && aim != Aim::Key {
                    let refs = map::values_refs(files[i].line(hit.line).unwrap_or_default());
                    let value = obj.root.pointer(&ptr).and_then(|n| n.scalar_text()).unwrap_or_default();
                    if let Some((dotted, values_file, span)) = map::pick_ref(&refs, &r.values, &value)
                        && let Some(&vi) = self.by_path.get(&canonical(&values_file))
                    {
                        f.message = format!(
                            "{} (the value comes from `{dotted}` in {}, used at {}:{})",
                            f.message, files[vi].name, files[i].name, hit.line
                        );
                        f.file = vi;
                        f.span = span;
                    }
                }
            }
        }
        Some(f)
    }
}

/// The first line that is not blank or a comment (where a file-level finding goes).
fn first_content_line(file: &SourceFile) -> Span {
    let line = (1..=file.line_count() as u32)
        .find(|&l| file.line(l).is_some_and(|t| !t.trim().is_empty() && !t.trim_start().starts_with('#')))
        .unwrap_or(1);
    let len = file.line(line).map_or(0, |t| t.trim_end().chars().count()) as u32;
    Span { start: Pos { line, col: 0 }, end: Pos { line, col: len } }
}
