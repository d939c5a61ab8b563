//! Deployment strategies: plans of ordered steps, each a set of
//! comment-preserving edits shown as a unified diff.
//!
//! Every step is an idempotent "make it so" computed against the state the
//! previous steps leave, so a step that is already done has no changes, and
//! re-running `apply … --write` converges.

pub mod bluegreen;
pub mod canary;
pub mod recreate;
pub mod rolling;
pub mod traffic;

use crate::config::Config;
use crate::edit::{Editor, Yaml};
use crate::input::{self, InputSpec, ReadOutcome, SourceFile};
use crate::manifest::tree::escape;
use crate::manifest::workload::map_selects;
use crate::manifest::{self, Object, Typed};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// An error that stops planning (exit 2).
#[derive(Debug)]
pub struct PlanError(pub String);

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<crate::edit::EditError> for PlanError {
    fn from(e: crate::edit::EditError) -> Self {
        PlanError(e.0)
    }
}

pub type R<T> = Result<T, PlanError>;

pub fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(PlanError(msg.into()))
}

/// `deployment/NAME` (kubectl's syntax).
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    /// `-n`: objects without a namespace count as `default`.
    pub namespace: Option<String>,
}

impl Target {
    pub fn parse(s: &str, namespace: Option<String>) -> R<Target> {
        let (kind, name) = s.split_once('/').ok_or_else(|| PlanError(format!("target `{s}` must look like deployment/NAME")))?;
        match kind.to_ascii_lowercase().as_str() {
            "deployment" | "deployments" | "deploy" | "deployment.apps" | "deployments.apps" => {}
            other => return err(format!("unsupported target kind `{other}`; use deployment/NAME (or deploy/NAME)")),
        }
        if name.is_empty() {
            return err("the target has no name");
        }
        Ok(Target { name: name.to_string(), namespace })
    }
}

/// One step of a plan.
#[derive(Clone, Debug)]
pub struct Step {
    pub title: String,
    /// What to wait for before the next step.
    pub wait: String,
    /// File -> (text before, text after); `None` before: a new file.
    pub changes: BTreeMap<String, (Option<String>, String)>,
    /// The step ends with a human judgement (a canary's health): a live run stops after it.
    pub gate: bool,
}

impl Step {
    pub fn is_done(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn diff(&self) -> String {
        self.changes.iter().map(|(name, (before, after))| crate::edit::diff::unified(name, before.as_deref(), Some(after))).collect()
    }
}

/// An ordered plan.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Names of the app's workloads (the target and its tracks): the copies a
    /// plan makes may carry their source's existing findings.
    pub app: Vec<String>,
    pub summary: String,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
}

impl Plan {
    /// The first step with changes.
    pub fn next_pending(&self) -> Option<usize> {
        self.steps.iter().position(|s| !s.is_done())
    }

    pub fn render(&self, chosen: Option<usize>) -> String {
        let mut s = format!("{}\n", self.summary);
        let next = self.next_pending();
        for (i, step) in self.steps.iter().enumerate() {
            let mark = if step.is_done() {
                "done"
            } else if Some(i) == chosen {
                "this"
            } else if Some(i) == next {
                "next"
            } else {
                "todo"
            };
            s.push_str(&format!("  {}. [{mark}] {}\n       then: {}\n", i + 1, step.title, step.wait));
        }
        s
    }
}

/// A located object in the workspace.
#[derive(Clone, Debug)]
pub struct Found {
    pub file: String,
    pub doc: usize,
    pub obj: std::sync::Arc<Object>,
    /// The object's invalid fields, as `file:line:col: message`.
    pub invalid: Vec<String>,
}

/// A document that does not parse, as `file:line:col: message`.
pub type Unparsed = String;

/// A file's text when loaded, its objects and its documents that do not parse.
type LoadedFile = (String, Vec<Found>, Vec<Unparsed>);

/// The manifests being planned over: file texts, edited in memory.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub files: BTreeMap<String, Editor>,
    /// Texts when loaded (None for files the plan creates).
    pub original: BTreeMap<String, String>,
    namespace: Option<String>,
    /// Objects of each file, kept with the text they were loaded from:
    /// planning looks objects up many times, files change rarely.
    loaded: std::cell::RefCell<BTreeMap<String, LoadedFile>>,
}

impl Workspace {
    pub fn load(paths: &[String], namespace: Option<String>) -> R<Workspace> {
        let (specs, _) = input::discover(paths);
        let mut files = BTreeMap::new();
        for spec in specs {
            if matches!(spec, InputSpec::Stdin) {
                return err("apply works on files: stdin cannot be rewritten");
            }
            match input::read(&spec) {
                ReadOutcome::Text(f) => {
                    let text = if f.bom > 0 { format!("\u{feff}{}", f.text) } else { f.text };
                    files.insert(f.name.clone(), Editor::new(f.name, text));
                }
                ReadOutcome::Broken { file, message, .. } => return err(format!("{}: {message}", file.name)),
            }
        }
        let original = files.iter().map(|(k, e)| (k.clone(), e.text.clone())).collect();
        Ok(Workspace { files, original, namespace, loaded: Default::default() })
    }

    /// Every Kubernetes object, located.
    pub fn objects(&self) -> Vec<Found> {
        self.loaded_files().0
    }

    /// Documents that do not parse (they may hold the object a plan looks for).
    pub fn unparsed(&self) -> Vec<Unparsed> {
        self.loaded_files().1
    }

    fn loaded_files(&self) -> (Vec<Found>, Vec<Unparsed>) {
        let mut cache = self.loaded.borrow_mut();
        let (mut out, mut unparsed) = (Vec::new(), Vec::new());
        for (name, e) in &self.files {
            if let Some((text, found, bad)) = cache.get(name)
                && *text == e.text
            {
                out.extend(found.iter().cloned());
                unparsed.extend(bad.iter().cloned());
                continue;
            }
            let sf = SourceFile::new(name.clone(), e.text.clone());
            let loaded = manifest::load(0, &sf);
            let at = |f: &crate::finding::Finding| format!("{name}:{}:{}: {}", f.span.start.line, f.span.start.col + 1, f.message);
            let bad: Vec<Unparsed> = loaded.findings.iter().filter(|f| f.rule == "invalid-yaml").map(at).collect();
            let found: Vec<Found> = loaded
                .objects
                .into_iter()
                .filter(|o| o.base.is_empty())
                .map(|o| {
                    let invalid = loaded
                        .findings
                        .iter()
                        .filter(|f| f.rule == "invalid-manifest" && f.doc == Some(o.doc) && f.object.is_some())
                        .map(at)
                        .collect();
                    Found { file: name.clone(), doc: o.doc, obj: std::sync::Arc::new(o), invalid }
                })
                .collect();
            out.extend(found.iter().cloned());
            unparsed.extend(bad.iter().cloned());
            cache.insert(name.clone(), (e.text.clone(), found, bad));
        }
        (out, unparsed)
    }

    fn in_namespace(&self, o: &Object) -> bool {
        match &self.namespace {
            Some(ns) => o.namespace.as_deref().unwrap_or("default") == ns,
            None => true,
        }
    }

    /// All objects of a kind and name (in the target namespace).
    pub fn find_all(&self, kind: &str, name: &str) -> Vec<Found> {
        self.objects()
            .into_iter()
            .filter(|f| f.obj.kind == kind && f.obj.name.as_deref() == Some(name) && self.in_namespace(&f.obj))
            .collect()
    }

    /// The one object of a kind and name; ambiguity is an error that lists the candidates.
    pub fn find(&self, kind: &str, name: &str) -> R<Option<Found>> {
        let all = self.find_all(kind, name);
        if all.len() > 1 {
            let list: Vec<String> = all
                .iter()
                .map(|f| format!("  {kind}/{name} in namespace {} ({})", f.obj.namespace.as_deref().unwrap_or("<unset>"), f.file))
                .collect();
            return err(format!("{kind}/{name} is ambiguous; pick one with -n NAMESPACE or narrower paths:\n{}", list.join("\n")));
        }
        match all.into_iter().next() {
            Some(f) if !f.invalid.is_empty() => {
                err(format!("{kind}/{name} has invalid fields that the API server rejects; fix them first:\n  {}", f.invalid.join("\n  ")))
            }
            found => Ok(found),
        }
    }

    pub fn editor(&mut self, file: &str) -> &mut Editor {
        self.files.get_mut(file).expect("file of a found object")
    }

    /// Edit one object, found again by kind and name (documents move as others are added).
    pub fn edit(&mut self, kind: &str, name: &str, f: impl FnOnce(&mut Editor, usize) -> Result<(), crate::edit::EditError>) -> R<()> {
        let found = self.find(kind, name)?.ok_or_else(|| PlanError(format!("{kind}/{name} not found")))?;
        let e = self.editor(&found.file);
        f(e, found.doc)?;
        Ok(())
    }

    pub fn set(&mut self, kind: &str, name: &str, ptr: &str, v: Yaml) -> R<()> {
        self.edit(kind, name, |e, d| e.set(d, ptr, &v))
    }

    pub fn remove(&mut self, kind: &str, name: &str, ptr: &str) -> R<()> {
        self.edit(kind, name, |e, d| e.remove(d, ptr))
    }

    pub fn remove_object(&mut self, kind: &str, name: &str) -> R<()> {
        self.edit(kind, name, |e, d| e.remove_doc(d))
    }

    /// Add a document after an existing object, in the same file.
    pub fn add_after(&mut self, kind: &str, name: &str, text: &str) -> R<()> {
        self.edit(kind, name, |e, d| e.insert_doc(Some(d), text))
    }

    /// The text of an object's document.
    pub fn doc_text(&self, found: &Found) -> R<String> {
        Ok(self.files[&found.file].doc_text(found.doc)?)
    }

    /// Services (in the target namespace) whose selectors match a pod template.
    pub fn services_selecting(&self, labels: &BTreeMap<String, String>, namespace: Option<&str>) -> Vec<Found> {
        self.objects()
            .into_iter()
            .filter(|f| {
                self.in_namespace(&f.obj)
                    && crate::manifest::workload::same_namespace(f.obj.namespace.as_deref(), namespace)
                    && matches!(&f.obj.typed, Typed::Service(s) if s.selector.as_ref().is_some_and(|sel| map_selects(sel, labels)))
            })
            .collect()
    }

    /// Services that select the app's pods and no other workload's: a Service
    /// shared with other workloads is left alone (narrowing it would cut them off).
    pub fn app_services(
        &self,
        pods: &[BTreeMap<String, String>],
        namespace: Option<&str>,
        app: &[String],
        warnings: &mut Vec<String>,
    ) -> Vec<Found> {
        let others: Vec<BTreeMap<String, String>> = self
            .objects()
            .into_iter()
            .filter(|f| f.obj.kind != "Service" && !app.iter().any(|n| f.obj.name.as_deref() == Some(n.as_str())))
            .filter(|f| crate::manifest::workload::same_namespace(f.obj.namespace.as_deref(), namespace))
            .filter_map(|f| f.obj.workload().map(|w| w.template_labels().clone()))
            .collect();
        let mut out: Vec<Found> = Vec::new();
        for labels in pods {
            for svc in self.services_selecting(labels, namespace) {
                if out.iter().any(|x| x.obj.name == svc.obj.name) {
                    continue;
                }
                let sel = match &svc.obj.typed {
                    Typed::Service(spec) => spec.selector.clone().unwrap_or_default(),
                    _ => BTreeMap::new(),
                };
                if others.iter().any(|l| map_selects(&sel, l)) {
                    let w = format!(
                        "Service/{} also selects other workloads' pods; it is left unchanged",
                        svc.obj.name.as_deref().unwrap_or("?")
                    );
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                    continue;
                }
                out.push(svc);
            }
        }
        out
    }

    /// Label pairs other workloads' pods carry (to keep identity labels unique).
    pub fn taken_labels(&self, app: &[String], namespace: Option<&str>) -> BTreeSet<(String, String)> {
        self.objects()
            .into_iter()
            .filter(|f| !app.iter().any(|n| f.obj.name.as_deref() == Some(n.as_str())))
            .filter(|f| crate::manifest::workload::same_namespace(f.obj.namespace.as_deref(), namespace))
            .filter_map(|f| f.obj.workload().map(|w| w.template_labels().clone()))
            .flatten()
            .collect()
    }

    fn texts(&self) -> BTreeMap<String, String> {
        self.files.iter().map(|(k, e)| (k.clone(), e.text.clone())).collect()
    }
}

/// Builds a plan step by step against a simulated workspace.
pub struct Planner {
    pub ws: Workspace,
    pub plan: Plan,
}

impl Planner {
    pub fn new(ws: Workspace, summary: String) -> Planner {
        Planner { ws, plan: Plan { summary, ..Plan::default() } }
    }

    /// Name the app's workloads (see `Plan::app`).
    pub fn app(&mut self, name: &str) {
        self.plan.app = ["", "-blue", "-green", "-canary"].iter().map(|s| format!("{name}{s}")).collect();
    }

    /// Record a step: run `f` on the workspace, keep what it changed.
    pub fn step(&mut self, title: impl Into<String>, wait: impl Into<String>, f: impl FnOnce(&mut Workspace) -> R<()>) -> R<()> {
        let before = self.ws.texts();
        f(&mut self.ws)?;
        let mut changes = BTreeMap::new();
        for (name, e) in &self.ws.files {
            let old = before.get(name);
            if old != Some(&e.text) {
                changes.insert(name.clone(), (old.cloned(), e.text.clone()));
            }
        }
        self.plan.steps.push(Step { title: title.into(), wait: wait.into(), changes, gate: false });
        Ok(())
    }

    /// Marks the last step as one that needs a human judgement before the next.
    pub fn gate(&mut self) {
        if let Some(s) = self.plan.steps.last_mut() {
            s.gate = true;
        }
    }

    pub fn warn(&mut self, w: impl Into<String>) {
        self.plan.warnings.push(w.into());
    }
}

/// `[CONTAINER=]IMAGE`.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub container: Option<String>,
    pub image: String,
}

impl std::str::FromStr for ImageSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (container, image) = match s.split_once('=') {
            Some((c, i)) => (Some(c.to_string()), i.to_string()),
            None => (None, s.to_string()),
        };
        if image.is_empty() {
            return Err("the image is empty".into());
        }
        Ok(ImageSpec { container, image })
    }
}

/// Set images on a copied workload document (editor doc 0 or `doc`).
pub fn set_images(e: &mut Editor, doc: usize, obj: &Object, images: &[ImageSpec]) -> R<()> {
    let w = obj.workload().ok_or_else(|| PlanError(format!("{} has no pod template", obj.label())))?;
    let containers: Vec<(String, String)> = w.containers().map(|(p, c)| (p, c.name.clone())).collect();
    for spec in images {
        let targets: Vec<&(String, String)> = match &spec.container {
            Some(c) => {
                let t: Vec<_> = containers.iter().filter(|(_, n)| n == c).collect();
                if t.is_empty() {
                    let names: Vec<&str> = containers.iter().map(|(_, n)| n.as_str()).collect();
                    return err(format!("{} has no container `{c}` (it has: {})", obj.label(), names.join(", ")));
                }
                t
            }
            None if containers.len() == 1 => containers.iter().collect(),
            None => {
                let names: Vec<&str> = containers.iter().map(|(_, n)| n.as_str()).collect();
                return err(format!("{} has several containers ({}); name one: --image CONTAINER=IMAGE", obj.label(), names.join(", ")));
            }
        };
        for (ptr, _) in targets {
            e.set(doc, &format!("{ptr}/image"), &Yaml::str(&spec.image))?;
        }
    }
    Ok(())
}

/// The images of a workload's containers, by container name.
pub fn images_of(obj: &Object) -> Vec<ImageSpec> {
    obj.workload()
        .map(|w| w.containers().filter_map(|(_, c)| Some(ImageSpec { container: Some(c.name.clone()), image: c.image.clone()? })).collect())
        .unwrap_or_default()
}

/// Labels that identify the application on every track's pods, chosen so that
/// the original workload's selector does not match the tracks' pods (its
/// selector cannot change): the first of app.kubernetes.io/name, app,
/// app.kubernetes.io/instance that the selector does not use.
pub fn identity_label(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    name: &str,
    taken: &BTreeSet<(String, String)>,
) -> (String, String) {
    for key in ["app.kubernetes.io/name", "app", "app.kubernetes.io/instance", "kubectl-strategy.io/app"] {
        if selector.contains_key(key) {
            continue;
        }
        let value = labels.get(key).cloned().unwrap_or_else(|| name.to_string());
        // Another workload's pods with the same pair would join the app's Services.
        if !taken.contains(&(key.to_string(), value.clone())) {
            return (key.to_string(), value);
        }
    }
    ("kubectl-strategy.io/app".into(), format!("{name}-{}", selector.len()))
}

/// Refuse selectors whose disjointness the plans cannot guarantee, and
/// label names that would collide.
pub fn check_migratable(obj: &Object, extra_labels: &[&str], identity: &(String, String)) -> R<()> {
    let sel = obj.workload().and_then(|w| w.selector.as_ref());
    if sel.and_then(|s| s.match_expressions.as_ref()).is_some_and(|e| !e.is_empty()) {
        return err(format!(
            "{} selects its pods with matchExpressions; kubectl-strategy only migrates matchLabels selectors, \
             whose new tracks it can keep disjoint from the original",
            obj.label()
        ));
    }
    let s = match_labels(obj);
    for l in extra_labels {
        if *l == identity.0 || s.contains_key(*l) {
            return err(format!(
                "the label `{l}` is already used by {}'s selector or as its identity label; pick another with --slot-label/--track-label",
                obj.label()
            ));
        }
    }
    Ok(())
}

/// matchLabels of a workload.
pub fn match_labels(obj: &Object) -> BTreeMap<String, String> {
    obj.workload().and_then(|w| w.selector.as_ref()).and_then(|s| s.match_labels.clone()).unwrap_or_default()
}

pub fn template_labels(obj: &Object) -> BTreeMap<String, String> {
    obj.workload().map(|w| w.template_labels().clone()).unwrap_or_default()
}

/// Make a new workload document from an existing one: new name, new
/// selector and pod labels; everything else (probes, resources, lifecycle,
/// annotations, comments) is copied. Server-set fields are dropped.
pub fn derive_workload(
    ws: &Workspace,
    from: &Found,
    name: &str,
    selector: &[(String, String)],
    pod_labels: &[(String, Option<String>)],
    replicas: Option<i32>,
    images: &[ImageSpec],
) -> R<String> {
    let mut e = Editor::new(name, ws.files[&from.file].doc_body(from.doc)?);
    if ws.files[&from.file].documents().iter().any(|d| d.index == from.doc && d.anchors) {
        return err(format!("{}: {} uses YAML aliases; expand them before copying it", from.file, from.obj.label()));
    }
    e.set(0, "/metadata/name", &Yaml::str(name))?;
    for p in [
        "/status",
        "/metadata/uid",
        "/metadata/resourceVersion",
        "/metadata/creationTimestamp",
        "/metadata/generation",
        "/metadata/managedFields",
    ] {
        e.remove(0, p)?;
    }
    e.remove(0, "/spec/selector/matchExpressions")?;
    let sel = Yaml::Map(selector.iter().map(|(k, v)| (k.clone(), Yaml::str(v))).collect());
    e.set(0, "/spec/selector/matchLabels", &sel)?;
    for (k, v) in pod_labels {
        let ptr = format!("/spec/template/metadata/labels/{}", escape(k));
        match v {
            Some(v) => e.set(0, &ptr, &Yaml::str(v))?,
            None => e.remove(0, &ptr)?,
        }
    }
    if let Some(r) = replicas {
        e.set(0, "/spec/replicas", &Yaml::Int(r.into()))?;
    }
    if !images.is_empty() {
        set_images(&mut e, 0, &from.obj, images)?;
    }
    Ok(e.text)
}

/// Set a workload's images (containers named in `images`).
pub fn set_workload_images(ws: &mut Workspace, name: &str, images: &[ImageSpec]) -> R<()> {
    let found = ws.find("Deployment", name)?.ok_or_else(|| PlanError(format!("Deployment/{name} not found")))?;
    let obj = found.obj.clone();
    let e = ws.editor(&found.file);
    set_images(e, found.doc, &obj, images)
}

/// The result must parse, deserialize and add no lint error.
pub fn validate(before: &Workspace, after_changes: &Step, app: &[String], config: &Config) -> R<()> {
    let mut after = before.clone();
    for (name, (_, text)) in &after_changes.changes {
        after.files.insert(name.clone(), Editor::new(name.clone(), text.clone()));
    }
    let lint = |ws: &Workspace| {
        let files = ws.files.iter().map(|(n, e)| SourceFile::new(n.clone(), e.text.clone())).collect();
        crate::lint::lint_sources(files, config)
    };
    type Key = (String, String, String, String, String);
    let errors = |r: &crate::lint::Report| -> Vec<(Key, String)> {
        r.findings
            .iter()
            .filter(|f| f.severity == crate::finding::Severity::Error)
            .map(|f| {
                let o = f.object.clone().unwrap_or_default();
                let key = (f.rule.to_string(), r.files[f.file].name.clone(), o.kind, o.name.unwrap_or_default(), f.path.clone());
                (key, format!("{}: {}: {}", r.files[f.file].name, f.rule, f.message))
            })
            .collect()
    };
    let old_report = lint(before);
    let old: BTreeSet<Key> = errors(&old_report).into_iter().map(|(k, _)| k).collect();
    let existed: BTreeSet<(String, String)> =
        before.objects().iter().map(|f| (f.obj.kind.clone(), f.obj.name.clone().unwrap_or_default())).collect();
    // The app's tracks are copies of its workload: an error the app already
    // had (same rule and field) is not new when it moves to a track.
    let app_shapes: BTreeSet<(String, String, String)> =
        old.iter().filter(|(_, _, _, n, _)| app.contains(n)).map(|(r, _, k, _, p)| (r.clone(), k.clone(), p.clone())).collect();
    let new: Vec<String> = errors(&lint(&after))
        .into_iter()
        .filter(|((rule, _, kind, name, path), _)| {
            let ours = app.contains(name) || !existed.contains(&(kind.clone(), name.clone()));
            !(ours && app_shapes.contains(&(rule.clone(), kind.clone(), path.clone())))
        })
        .filter(|(k, _)| !old.contains(k))
        .map(|(_, m)| m)
        .collect();
    if !new.is_empty() {
        return err(format!("the planned step would introduce errors; nothing was written:\n  {}", new.join("\n  ")));
    }
    // A Service that sent traffic to pods must still have pods to send it to.
    let serving = |ws: &Workspace| -> BTreeSet<String> {
        let objs = ws.objects();
        objs.iter()
            .filter_map(|s| match &s.obj.typed {
                Typed::Service(spec) => {
                    let sel = spec.selector.as_ref().filter(|m| !m.is_empty())?;
                    let has_pods = objs.iter().any(|w| {
                        w.obj.workload().is_some_and(|wl| {
                            wl.replicas.unwrap_or(1) > 0
                                && crate::manifest::workload::same_namespace(w.obj.namespace.as_deref(), s.obj.namespace.as_deref())
                                && map_selects(sel, wl.template_labels())
                        })
                    });
                    has_pods.then(|| format!("{}/{}", s.obj.namespace.as_deref().unwrap_or(""), s.obj.name.as_deref().unwrap_or("")))
                }
                _ => None,
            })
            .collect()
    };
    let now = serving(&after);
    let after_names: BTreeSet<String> = after
        .objects()
        .iter()
        .filter(|f| f.obj.kind == "Service")
        .map(|f| format!("{}/{}", f.obj.namespace.as_deref().unwrap_or(""), f.obj.name.as_deref().unwrap_or("")))
        .collect();
    let stranded: Vec<String> = serving(before).into_iter().filter(|s| after_names.contains(s) && !now.contains(s)).collect();
    if !stranded.is_empty() {
        return err(format!(
            "the planned step would leave Service {} selecting no pods; nothing was written (name every Service of the app, or move it first)",
            stranded.iter().map(|s| s.trim_start_matches('/')).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

/// How to show or carry out a plan.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Perform the chosen step.
    pub write: bool,
    /// 1-based step to show or perform (default: the next pending one).
    pub step: Option<usize>,
    /// Print the resulting objects (`yaml` or `json`) instead of a diff.
    pub objects: Option<ObjectFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectFormat {
    Yaml,
    Json,
}

/// What executing a plan printed and whether the chosen step changes anything.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub changed: bool,
}

/// Show (and with `write`, perform) one step of a plan.
pub fn execute(before: &Workspace, plan: &Plan, out: &Output, config: &Config) -> R<Outcome> {
    let chosen = match out.step {
        Some(n) if n == 0 || n > plan.steps.len() => return err(format!("--step {n}: the plan has {} steps", plan.steps.len())),
        Some(n) => Some(n - 1),
        None => plan.next_pending(),
    };
    let mut stdout = String::new();
    let mut stderr: String = plan.warnings.iter().map(|w| format!("warning: {w}\n")).collect();
    if out.objects.is_none() {
        stdout.push_str(&plan.render(chosen));
    }
    let Some(i) = chosen else {
        if out.objects.is_none() {
            stdout.push_str("\nNothing to do: every step of the plan is done.\n");
        }
        return Ok(Outcome { stdout, stderr, changed: false });
    };
    if let Some(pending) = plan.next_pending().filter(|p| *p < i) {
        if out.write {
            return err(format!("step {} is still pending; perform it before step {}", pending + 1, i + 1));
        }
        stderr.push_str(&format!("note: step {} assumes step {} has been performed\n", i + 1, pending + 1));
    }
    let step = &plan.steps[i];
    // Earlier steps are simulated: validate this step against that state.
    let mut base = before.clone();
    for s in &plan.steps[..i] {
        for (name, (_, text)) in &s.changes {
            base.files.insert(name.clone(), crate::edit::Editor::new(name.clone(), text.clone()));
        }
    }
    validate(&base, step, &plan.app, config)?;
    match out.objects {
        Some(format) => stdout.push_str(&render_objects(step, format)),
        None if step.is_done() => stdout.push_str(&format!("\nStep {} is done: nothing to change.\n", i + 1)),
        None => {
            stdout.push_str(&format!("\nStep {}: {}\n", i + 1, step.title));
            stdout.push_str(&step.diff());
        }
    }
    if out.write && !step.is_done() {
        for (name, (before_text, after)) in &step.changes {
            let expected = before.original.get(name).map(String::as_str).or(before_text.as_deref());
            crate::edit::diff::write_atomic(std::path::Path::new(name), after, expected)
                .map_err(|e| PlanError(format!("{name}: {e}; nothing more was written")))?;
        }
        let files: Vec<&str> = step.changes.keys().map(String::as_str).collect();
        stderr.push_str(&format!("wrote step {} to {}\n", i + 1, files.join(", ")));
        if let Some(next) = plan.steps.iter().skip(i + 1).position(|s| !s.is_done()) {
            stderr.push_str(&format!("next: step {} ({}) once {}\n", i + 2 + next, plan.steps[i + 1 + next].title, step.wait));
        }
    }
    Ok(Outcome { stdout, stderr, changed: !step.is_done() })
}

/// The objects a step creates or changes.
fn render_objects(step: &Step, format: ObjectFormat) -> String {
    let mut docs: Vec<crate::manifest::tree::Node> = Vec::new();
    for (before, after) in step.changes.values() {
        let old: Vec<String> = before
            .as_deref()
            .map(|b| {
                crate::manifest::parse::parse_stream(b)
                    .into_iter()
                    .filter_map(|d| d.result.ok())
                    .map(|n| format!("{:?}", crate::manifest::json::to_json(&n)))
                    .collect()
            })
            .unwrap_or_default();
        for d in crate::manifest::parse::parse_stream(after.trim_start_matches('\u{feff}')) {
            if let Ok(n) = d.result
                && !old.contains(&format!("{:?}", crate::manifest::json::to_json(&n)))
            {
                docs.push(n);
            }
        }
    }
    match format {
        ObjectFormat::Json => {
            let v: Vec<serde_json::Value> = docs.iter().map(crate::manifest::json::to_json).collect();
            serde_json::to_string_pretty(&v).expect("serializable") + "\n"
        }
        ObjectFormat::Yaml => docs.iter().map(|n| format!("---\n{}", traffic::to_yaml(&crate::manifest::json::to_json(n)))).collect(),
    }
}

/// Objects that select the app's pods by label or scale it by name, and that
/// a plan does not rewrite: PodDisruptionBudgets and NetworkPolicies that
/// would stop covering the new pods, HorizontalPodAutoscalers of the target.
pub fn label_consumers(
    ws: &Workspace,
    name: &str,
    ns: Option<&str>,
    old_pods: &BTreeMap<String, String>,
    new_pods: &BTreeMap<String, String>,
) -> Vec<String> {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let mut out = Vec::new();
    for f in ws.objects() {
        let o = &f.obj;
        if !crate::manifest::workload::same_namespace(o.namespace.as_deref(), ns) {
            continue;
        }
        let ptr = match o.kind.as_str() {
            "PodDisruptionBudget" => "/spec/selector",
            "NetworkPolicy" => "/spec/podSelector",
            "HorizontalPodAutoscaler" => {
                let target = o.root.pointer("/spec/scaleTargetRef/name").and_then(|n| n.as_str());
                if target == Some(name) {
                    out.push(format!(
                        "{} scales deployment/{name}; it will fight the plan's replica counts: point it at the new workloads or pause it ({})",
                        o.label(),
                        f.file
                    ));
                }
                continue;
            }
            _ => continue,
        };
        let Some(sel) =
            o.root.pointer(ptr).map(crate::manifest::json::to_json).and_then(|j| serde_json::from_value::<LabelSelector>(j).ok())
        else {
            continue;
        };
        let (matches_old, matches_new) =
            (crate::manifest::workload::selector_matches(&sel, old_pods), crate::manifest::workload::selector_matches(&sel, new_pods));
        if matches_old && !matches_new {
            out.push(format!(
                "{} selects deployment/{name}'s pods by labels the new pods do not carry; it will not cover them: select them by the identity label ({})",
                o.label(),
                f.file
            ));
        }
    }
    out
}
