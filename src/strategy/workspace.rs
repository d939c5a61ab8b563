//! The manifests a plan works over, edited in memory, and the objects in them.

use super::{PlanError, R};
use crate::edit::{Editor, Yaml};
use crate::input::{self, InputSpec, ReadOutcome, SourceFile};
use crate::manifest::workload::map_selects;
use crate::manifest::{self, Object, Typed};
use std::collections::{BTreeMap, BTreeSet};

/// A located object in the workspace.
#[derive(Clone, Debug)]
pub struct Found {
    pub file: String,
    pub doc: usize,
    pub obj: std::sync::Arc<Object>,
    /// The object's invalid fields, as `file:line:col: message`.
    pub invalid: Vec<String>,
}

impl Found {
    /// A Service's selector (empty for other objects and a Service without one).
    pub fn service_selector(&self) -> BTreeMap<String, String> {
        match &self.obj.typed {
            Typed::Service(spec) => spec.selector.clone().unwrap_or_default(),
            _ => BTreeMap::new(),
        }
    }
}

/// A document that does not parse, as `file:line:col: message`.
pub(super) type Unparsed = String;

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
                return Err(PlanError::Stdin);
            }
            match input::read(&spec) {
                ReadOutcome::Text(f) => {
                    let text = if f.bom > 0 { format!("\u{feff}{}", f.text) } else { f.text };
                    files.insert(f.name.clone(), Editor::new(f.name, text));
                }
                ReadOutcome::Broken { file, message, .. } => return Err(PlanError::Unreadable { file: file.name, message }),
            }
        }
        let original = files.iter().map(|(k, e)| (k.clone(), e.text.clone())).collect();
        Ok(Workspace { files, original, namespace, loaded: Default::default() })
    }

    /// Only the files a plan for `target` reads ([`super::index::relevant`]):
    /// the others are neither parsed nor linted, and never written.
    pub fn for_target(mut self, target: &super::WorkloadRef) -> Workspace {
        let texts = self.files.iter().map(|(k, e)| (k.as_str(), e.text.as_str()));
        if let Some(keep) = super::index::relevant(texts, &target.name, target.namespace.as_deref()) {
            self.files.retain(|k, _| keep.contains(k));
            self.original.retain(|k, _| keep.contains(k));
        }
        self
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
            let places: Vec<String> = all
                .iter()
                .map(|f| format!("{kind}/{name} in namespace {} ({})", f.obj.namespace.as_deref().unwrap_or("<unset>"), f.file))
                .collect();
            return Err(PlanError::Ambiguous { kind: kind.to_string(), name: name.to_string(), places });
        }
        match all.into_iter().next() {
            Some(f) if !f.invalid.is_empty() => {
                Err(PlanError::InvalidFields { kind: kind.to_string(), name: name.to_string(), invalid: f.invalid })
            }
            found => Ok(found),
        }
    }

    pub fn editor(&mut self, file: &str) -> &mut Editor {
        self.files.get_mut(file).expect("file of a found object")
    }

    /// Edit one object, found again by kind and name (documents move as others are added).
    pub fn edit(&mut self, kind: &str, name: &str, f: impl FnOnce(&mut Editor, usize) -> Result<(), crate::edit::EditError>) -> R<()> {
        let found = self.find(kind, name)?.ok_or_else(|| PlanError::not_found(kind, name))?;
        let e = self.editor(&found.file);
        f(e, found.doc)?;
        Ok(())
    }

    pub fn set(&mut self, kind: &str, name: &str, ptr: &str, v: Yaml) -> R<()> {
        self.edit(kind, name, |e, d| e.set(d, ptr, &v))
    }

    /// Remove a generated key and any mapping it leaves empty.
    pub fn remove_pruned(&mut self, kind: &str, name: &str, ptr: &str) -> R<()> {
        self.edit(kind, name, |e, d| e.remove_pruned(d, ptr))
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
        let others = self.other_pod_labels(app, namespace);
        let mut out: Vec<Found> = Vec::new();
        for labels in pods {
            for svc in self.services_selecting(labels, namespace) {
                if out.iter().any(|x| x.obj.name == svc.obj.name) {
                    continue;
                }
                let sel = svc.service_selector();
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

    /// Pod labels of every workload but the app's (in the namespace).
    pub fn other_pod_labels(&self, app: &[String], namespace: Option<&str>) -> Vec<BTreeMap<String, String>> {
        self.objects()
            .into_iter()
            .filter(|f| !app.iter().any(|n| f.obj.name.as_deref() == Some(n.as_str())))
            .filter(|f| crate::manifest::workload::same_namespace(f.obj.namespace.as_deref(), namespace))
            .filter_map(|f| f.obj.workload().map(|w| w.template_labels().clone()))
            .collect()
    }

    /// Label pairs other workloads' pods carry (to keep identity labels unique).
    pub fn taken_labels(&self, app: &[String], namespace: Option<&str>) -> BTreeSet<(String, String)> {
        self.other_pod_labels(app, namespace).into_iter().flatten().collect()
    }

    pub(super) fn texts(&self) -> BTreeMap<String, String> {
        self.files.iter().map(|(k, e)| (k.clone(), e.text.clone())).collect()
    }
}
