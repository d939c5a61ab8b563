//! The manifest model: documents, objects with positioned trees, typed views.

pub mod de;
pub mod json;
pub mod kinds;
pub mod parse;
pub mod template;
pub mod tree;
pub mod version;
pub mod workload;

use crate::finding::{Finding, Notice, ObjectRef, Severity};
use crate::input::SourceFile;
use crate::input::Span;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value as J;
use tree::{Located, Node};
pub use workload::{ContainerPtr, Light, PodHead, Typed, Workload, WorkloadKind};

/// One Kubernetes object. `V` is its typed view: the full [`Typed`] (what
/// [`load`] gives), or the [`Light`] one a lint run keeps for all objects at
/// once ([`Loaded::light`]), expanded per object while its rules run.
#[derive(Debug)]
pub struct Object<V = Typed> {
    /// Index of the file in the run.
    pub file: usize,
    /// Index of the document in the file.
    pub doc: usize,
    /// Pointer from the document root to this object (`""`, or `/items/N` in a List).
    pub base: String,
    /// The object's tree.
    pub root: Node,
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Boxed: the run's vectors of objects move objects whole (the
    /// metadata is most of an object's size), and its light view keeps it.
    pub meta: Box<ObjectMeta>,
    pub typed: V,
    /// Its full view was not read when it was loaded (only its light one):
    /// its type errors are found when it is [expanded](Object::expanded).
    typed_later: bool,
}

impl Object {
    pub fn workload(&self) -> Option<&Workload> {
        match &self.typed {
            Typed::Workload(w) => Some(w),
            _ => None,
        }
    }

    /// The same object with its light view (the pod spec dropped).
    pub fn lighten(self) -> Object<Light> {
        let Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed, typed_later } = self;
        Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed: typed.lighten(), typed_later }
    }
}

/// What [`Object::expanded`] gives back.
pub struct Expansion<R> {
    /// The object, with its light view.
    pub object: Object<Light>,
    /// What the function run on the full view returned.
    pub result: R,
    /// The type errors of an object whose full view was read only now
    /// (what the loader reports of the others).
    pub findings: Vec<Finding>,
    /// Its light view was not what its full view makes (a type error in the
    /// part of it the light read skipped changed the view): the object now
    /// carries the right one, and whatever used the old one is stale.
    pub view_changed: bool,
}

impl Object<Light> {
    /// Run `f` on the object's full view, read again from its tree as the
    /// loader read it, and drop that view: the object comes back with its
    /// light view. An object loaded light ([`load_light`]) has its full
    /// view read here for the first time: its type errors come back too.
    pub fn expanded<R>(self, f: impl FnOnce(&Object) -> R) -> Expansion<R> {
        let Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed, typed_later } = self;
        let obj = Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed: (), typed_later };
        let mut findings = Vec::new();
        let mut view_changed = false;
        // Workloads lost something (and an object loaded light was never
        // read whole): read them again, and keep their light view (shared
        // with the run's summaries).
        let (full, light) = if typed_later || matches!(typed, Typed::Workload(_)) {
            // The tree path with the metadata already read, where it gives a
            // view (the loader's then); else all as the loader did.
            let full = match workload::build_node(&obj, &obj.root) {
                Some(full) => obj.with(full),
                None => {
                    let meta = typed_later.then(|| obj.meta.clone());
                    let (full, errors) = type_object(obj);
                    view_changed = meta.is_some_and(|m| m != full.meta);
                    findings = errors;
                    full
                }
            };
            (full, Some(typed))
        } else {
            let full = match typed {
                Typed::Service(s) => obj.with(Typed::Service(s)),
                Typed::Monitor(m) => obj.with(Typed::Monitor(m)),
                Typed::Pdb(p) => obj.with(Typed::Pdb(p)),
                Typed::Hpa(h) => obj.with(Typed::Hpa(h)),
                Typed::Workload(_) | Typed::Other => obj.with(Typed::Other),
            };
            (full, None)
        };
        // The loader reported the type errors of the others.
        let findings = if typed_later { type_findings(&full, findings) } else { Vec::new() };
        let result = f(&full);
        let Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed, typed_later } = full;
        let typed = match light {
            Some(light) if !typed_later || (!view_changed && light.is_light_of(&typed)) => light,
            _ if typed_later => {
                view_changed = true;
                typed.lighten()
            }
            _ => typed.lighten(),
        };
        let object = Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed, typed_later };
        Expansion { object, result, findings, view_changed }
    }
}

impl Object<Light> {
    /// [`Object::expanded`] on an object where it lies (in the run's
    /// vector, so that no second vector of objects is built): gives what
    /// `f` returned, the type errors and whether the light view changed.
    pub fn expand_in_place<R>(&mut self, f: impl FnOnce(&Object) -> R) -> (R, Vec<Finding>, bool) {
        let hollow = Object {
            file: self.file,
            doc: self.doc,
            base: String::new(),
            root: Node { span: Span::default(), value: tree::Value::Null },
            api_version: String::new(),
            kind: String::new(),
            name: None,
            namespace: None,
            meta: Box::default(),
            typed: Typed::Other,
            typed_later: false,
        };
        let e = std::mem::replace(self, hollow).expanded(f);
        *self = e.object;
        (e.result, e.findings, e.view_changed)
    }
}

impl<V> Object<V> {
    /// Drop the object's tree: its rules ran, and its findings have their
    /// places. Most of a run's heap is trees; [`restore_trees`] reads it again.
    pub fn drop_tree(&mut self) {
        self.root = Node { span: Span::default(), value: tree::Value::Null };
    }

    /// Whether the object still has its tree (an object's tree is never null).
    pub fn has_tree(&self) -> bool {
        !matches!(self.root.value, tree::Value::Null)
    }

    /// The same object with another typed view.
    fn with<W>(self, typed: W) -> Object<W> {
        let Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed_later, .. } = self;
        Object { file, doc, base, root, api_version, kind, name, namespace, meta, typed, typed_later }
    }

    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// Whether the object is a fragment for a Kustomize patch rather than a
    /// manifest: a workload whose kind needs a selector, with none, and whose
    /// pod template has no container with an image (what a strategic-merge
    /// patch of a replica count or a container's arguments looks like).
    pub fn looks_like_patch(&self) -> bool {
        let Some(kind) = kinds::WorkloadKind::of(self.group(), &self.kind).map(kinds::WorkloadKind::info) else {
            return false;
        };
        let (Some(selector), false) = (kind.selector, kind.template.is_empty()) else {
            return false;
        };
        let containers = format!("{}/spec/containers", kind.template);
        let has_image =
            self.root.locate(&containers).and_then(|l| l.node.as_seq()).is_some_and(|items| items.iter().any(|c| c.get("image").is_some()));
        self.root.locate(selector).is_none() && !has_image
    }

    /// API group of the object (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// A human label: `Deployment/api`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.name.as_deref().unwrap_or("<unnamed>"))
    }

    /// A pointer relative to the object as a pointer from its document's root
    /// (what a fix's edits use; differs inside a `List`).
    pub fn doc_ptr(&self, pointer: &str) -> String {
        format!("{}{pointer}", self.base)
    }

    /// Build a finding at `pointer` (relative to the object). When the pointer
    /// does not exist, the finding goes to the deepest existing parent.
    /// `Target` chooses the key, the `key: value` entry or the value.
    pub fn finding(&self, rule: &'static str, severity: Severity, pointer: &str, target: Target, message: String) -> Finding {
        let (loc, found_ptr) = match self.root.locate(pointer) {
            Some(l) => (l, pointer.to_string()),
            None => self.root.deepest(pointer),
        };
        Finding::new(rule, severity, self.file, target.span(&loc), message)
            .path(format!("{}{}", self.base, found_ptr))
            .object(self.reference())
            .doc(self.doc)
    }
}

/// Which part of a located node a finding points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Key,
    Entry,
    Value,
}

impl Target {
    fn span(self, loc: &Located<'_>) -> Span {
        match self {
            Target::Key => loc.key_span(),
            Target::Entry => loc.entry_span(),
            Target::Value => loc.node.span,
        }
    }
}

/// What loading a file produced.
pub struct Loaded<V = Typed> {
    pub objects: Vec<Object<V>>,
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    /// Documents that are YAML but not Kubernetes objects.
    pub skipped_documents: usize,
}

impl<V> Default for Loaded<V> {
    fn default() -> Self {
        Loaded { objects: Vec::new(), findings: Vec::new(), notices: Vec::new(), skipped_documents: 0 }
    }
}

impl Loaded {
    /// The same with light views ([`Object::lighten`]).
    pub fn light(self) -> Loaded<Light> {
        let Loaded { objects, findings, notices, skipped_documents } = self;
        Loaded { objects: objects.into_iter().map(Object::lighten).collect(), findings, notices, skipped_documents }
    }
}

/// Load every document of a file.
pub fn load(file_index: usize, file: &SourceFile) -> Loaded {
    load_documents(file_index, file, parse::parse_stream(&file.text))
}

/// Load every document of a file with light views, reading the full view
/// of a workload only where its light one does not read from the tree: the
/// others' full views (and their type errors) are read when they are
/// [expanded](Object::expanded). For files whose objects are all expanded.
pub fn load_light(file_index: usize, file: &SourceFile) -> Loaded<Light> {
    load_documents(file_index, file, parse::parse_stream(&file.text))
}

/// Load only the documents whose top-level `kind` passes `keep` (documents
/// whose kind a line scan cannot tell are loaded): for files read only as
/// context of others, whose other documents no rule would look at. The
/// documents left out are counted in `skipped_documents`.
pub fn load_kinds(file_index: usize, file: &SourceFile, keep: impl Fn(&str) -> bool) -> Loaded {
    let (docs, skipped) = parse::parse_stream_where(&file.text, |chunk| parse::top_level_kind(chunk).is_none_or(&keep));
    let mut out = load_documents(file_index, file, docs);
    out.skipped_documents += skipped;
    out
}

/// Whether a text names the two keys every Kubernetes object has.
fn names_an_object(text: &str) -> bool {
    text.contains("apiVersion") && text.contains("kind")
}

fn load_documents<V>(file_index: usize, file: &SourceFile, docs: Vec<parse::Document>) -> Loaded<V>
where
    Loaded<V>: Push,
{
    let mut out = Loaded::default();
    for doc in docs {
        if let Some(at) = template::action_outside_data(&file.text, &doc) {
            // A Go/Helm template outside a chart: nothing renders it, so its
            // objects are unknown. Say so rather than guess.
            out.skipped_documents += 1;
            out.notices.push(Notice::at(
                &file.name,
                at.line,
                format!(
                    "document {} skipped: a Go/Helm template (`{{{{ … }}}}` outside strings) that cannot be rendered here",
                    doc.index + 1
                ),
            ));
            continue;
        }
        let root = match doc.result {
            Ok(root) => root,
            Err(err) if !names_an_object(&file.text) => {
                // A file that names no apiVersion and kind is no manifest (a
                // tsconfig.json with comments, a tool's config): its syntax is not ours to judge.
                out.skipped_documents += 1;
                out.notices.push(Notice::at(
                    &file.name,
                    err.pos.line,
                    format!("document {} skipped: it does not parse and names no apiVersion and kind", doc.index + 1),
                ));
                continue;
            }
            Err(err) => {
                out.findings.push(Finding::new(
                    "invalid-yaml",
                    Severity::Error,
                    file_index,
                    Span { start: err.pos, end: crate::input::Pos { line: err.pos.line, col: err.pos.col + 1 } },
                    format!("document {} does not parse: {}", doc.index + 1, err.message),
                ));
                continue;
            }
        };
        if matches!(root.value, tree::Value::Null) {
            continue;
        }
        let api_version = root.get("apiVersion").and_then(Node::as_str).map(str::to_owned);
        let kind = root.get("kind").and_then(Node::as_str).map(str::to_owned);
        let (Some(_), Some(kind)) = (api_version, kind) else {
            out.skipped_documents += 1;
            continue;
        };
        if kind.ends_with("List") && root.get("items").is_some() {
            let Some(items) = root.get("items").and_then(Node::as_seq) else {
                out.findings.push(bad_list(file_index, doc.index, &root, "/items", "`items` of a List must be a sequence of objects"));
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let base = format!("/items/{i}");
                let ok = item.get("apiVersion").and_then(Node::as_str).is_some() && item.get("kind").and_then(Node::as_str).is_some();
                if !ok {
                    out.findings.push(bad_list(
                        file_index,
                        doc.index,
                        &root,
                        &base,
                        &format!("item {i} of the {kind} is not a Kubernetes object (it needs a string apiVersion and kind)"),
                    ));
                    continue;
                }
                out.objects_push(file_index, doc.index, base, item.clone());
            }
            continue;
        }
        out.objects_push(file_index, doc.index, String::new(), root);
    }
    // A run keeps every file's objects until it moves them into one vector: without the slack.
    out.objects.shrink_to_fit();
    out
}

/// Give the objects whose trees were dropped ([`Object::drop_tree`]) their
/// trees again, parsed once more from their files' texts (`texts[file]`):
/// the same trees the loader gave them. Objects lie in file order.
pub fn restore_trees<V: Send>(objects: &mut [Object<V>], texts: &[&str]) {
    use rayon::prelude::*;
    let files: Vec<&mut [Object<V>]> = objects.chunk_by_mut(|a, b| a.file == b.file).filter(|c| c.iter().any(|o| !o.has_tree())).collect();
    files.into_par_iter().for_each(|objects| {
        let docs = parse::parse_stream(texts[objects[0].file]);
        for obj in objects.iter_mut().filter(|o| !o.has_tree()) {
            let root = docs.iter().find(|d| d.index == obj.doc).and_then(|d| d.result.as_ref().ok());
            let node = root.and_then(|r| if obj.base.is_empty() { Some(r) } else { r.pointer(&obj.base) });
            obj.root = node.expect("a file's text parses to the trees it gave its objects").clone();
        }
    });
}

fn bad_list(file: usize, doc: usize, root: &Node, ptr: &str, message: &str) -> Finding {
    let loc = root.locate(ptr).unwrap_or(Located { node: root, entry: None });
    Finding::new("invalid-manifest", Severity::Error, file, loc.node.span, message).path(ptr).doc(doc)
}

/// How a loader keeps an object it found.
trait Push {
    fn objects_push(&mut self, file: usize, doc: usize, base: String, root: Node);
}

fn untyped(file: usize, doc: usize, base: String, root: Node) -> Object<()> {
    let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or_default().to_owned();
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or_default().to_owned();
    let name = root.pointer("/metadata/name").and_then(Node::as_str).map(str::to_owned);
    let namespace = root.pointer("/metadata/namespace").and_then(Node::as_str).map(str::to_owned);
    Object { file, doc, base, root, api_version, kind, name, namespace, meta: Box::default(), typed: (), typed_later: false }
}

impl Push for Loaded {
    fn objects_push(&mut self, file: usize, doc: usize, base: String, root: Node) {
        let (obj, errors) = type_object(untyped(file, doc, base, root));
        self.findings.extend(type_findings(&obj, errors));
        self.objects.push(obj);
    }
}

impl Push for Loaded<Light> {
    fn objects_push(&mut self, file: usize, doc: usize, base: String, root: Node) {
        let mut obj = untyped(file, doc, base, root);
        let meta = match obj.root.get("metadata") {
            Some(m) => de::typed::<ObjectMeta>(m),
            None => Some(ObjectMeta::default()),
        };
        if let Some(meta) = meta
            && let Some(light) = workload::build_light_node(&obj, &obj.root, &meta)
        {
            *obj.meta = meta;
            obj.typed_later = true;
            self.objects.push(obj.with(light));
            return;
        }
        let (obj, errors) = type_object(obj);
        self.findings.extend(type_findings(&obj, errors));
        self.objects.push(obj.lighten());
    }
}

/// The findings on an object's type errors (and unnamed containers).
fn type_findings(obj: &Object, mut errors: Vec<(String, String)>) -> Vec<Finding> {
    if let Some(w) = obj.workload() {
        // k8s-openapi defaults a missing container name to ""; the API server requires one.
        for (ptr, c) in w.containers().chain(w.init_containers()) {
            if c.name.is_empty() {
                errors.push((ptr.to_string(), "missing field `name`".into()));
            }
        }
    }
    errors
        .into_iter()
        .map(|(ptr, msg)| {
            let mut f = obj.finding(
                "invalid-manifest",
                Severity::Error,
                &ptr,
                Target::Value,
                format!("{} {}: {msg}", obj.label(), describe_ptr(&ptr)),
            );
            f.help = Some("the API server rejects this object; fix the field's type or add the missing field".into());
            f
        })
        .collect()
}

/// Read an object's metadata and typed view from its tree, with the type
/// errors found on the way (the fields they name were dropped or coerced).
fn type_object(mut obj: Object<()>) -> (Object, Vec<(String, String)>) {
    // Most objects are read straight from their tree; the JSON path
    // below decides (and explains) the rest.
    let fast = match obj.root.get("metadata") {
        Some(m) => de::typed::<ObjectMeta>(m),
        None => Some(ObjectMeta::default()),
    };
    if let Some(meta) = fast {
        *obj.meta = meta;
        if let Some(typed) = workload::build_node(&obj, &obj.root) {
            return (obj.with(typed), Vec::new());
        }
    }
    let mut json = json::to_json(&obj.root);
    if kinds::selects_by_map(&obj.kind)
        && let Some(J::Object(sel)) = json.pointer_mut("/spec/selector")
    {
        for v in sel.values_mut() {
            if !v.is_string() {
                let text = if v.is_null() { String::new() } else { v.to_string() };
                *v = J::String(text);
            }
        }
    }
    *obj.meta = ObjectMeta::default();
    // A wrong field is reported, then dropped, so that the rest of the
    // object is still typed: one bad value must not hide the object from
    // the other rules or from the cross-object context.
    let mut errors = Vec::new();
    let mut pruned = Vec::new();
    if json.get("metadata").is_some() {
        *obj.meta =
            typed_pruned(&mut json, &mut errors, &mut pruned, |j| typed::<ObjectMeta>(&j["metadata"], "/metadata")).unwrap_or_default();
    }
    let typed = typed_pruned(&mut json, &mut errors, &mut pruned, |j| workload::build(&obj, j)).unwrap_or(Typed::Other);
    (obj.with(typed), errors)
}

/// Most wrong fields reported (and dropped) in one object.
const MAX_FIELD_ERRORS: usize = 64;

/// Build a typed value; on a type error, record it, read the offending
/// scalar as the type it should have (`"8080"` as a number, `true` as a
/// string) or else drop the field from `json`, and try again. An error on a
/// field that was dropped before, or on one of its parents, is a consequence
/// of the dropping, not a new error.
fn typed_pruned<T>(
    json: &mut J,
    errors: &mut Vec<(String, String)>,
    pruned: &mut Vec<String>,
    build: impl Fn(&J) -> Result<T, (String, String)>,
) -> Option<T> {
    let mut coerced: Vec<String> = Vec::new();
    loop {
        match build(json) {
            Ok(t) => return Some(t),
            Err((ptr, msg)) => {
                if let Some(i) = coerced.iter().position(|p| p == &ptr) {
                    // Reading it as another type did not help: drop it (already reported).
                    coerced.swap_remove(i);
                    pruned.push(remove_field(json, &ptr)?);
                    continue;
                }
                let consequence = pruned.iter().any(|p| p == &ptr || p.starts_with(&format!("{ptr}/")));
                if consequence || errors.len() >= MAX_FIELD_ERRORS {
                    return None;
                }
                errors.push((ptr.clone(), msg));
                if coerce(json, &ptr) {
                    coerced.push(ptr);
                } else {
                    pruned.push(remove_field(json, &ptr)?);
                }
            }
        }
    }
}

/// Read a scalar as the other scalar type: a numeric or boolean string as a
/// number or boolean, a number or boolean as a string.
fn coerce(json: &mut J, ptr: &str) -> bool {
    let Some(v) = json.pointer_mut(ptr) else {
        return false;
    };
    let new = match &*v {
        J::String(s) => match (s.trim().parse::<i64>(), s.trim()) {
            (Ok(n), _) => J::from(n),
            (_, "true") => J::Bool(true),
            (_, "false") => J::Bool(false),
            _ => return false,
        },
        J::Number(n) => J::String(n.to_string()),
        J::Bool(b) => J::String(b.to_string()),
        _ => return false,
    };
    *v = new;
    true
}

/// Remove the mapping entry at a JSON pointer, or, for a sequence item, the
/// entry holding the sequence (removing one item would renumber its siblings,
/// whose pointers must keep naming the same nodes). Returns what was removed.
fn remove_field(json: &mut J, ptr: &str) -> Option<String> {
    let mut at = ptr;
    loop {
        let (parent, last) = at.rsplit_once('/')?;
        match json.pointer_mut(parent) {
            Some(J::Object(m)) => {
                let key = last.replace("~1", "/").replace("~0", "~");
                return m.remove(&key).map(|_| at.to_string());
            }
            Some(J::Array(_)) => at = parent,
            _ => return None,
        }
    }
}

fn describe_ptr(ptr: &str) -> String {
    if ptr.is_empty() { "object".into() } else { format!("field {}", ptr) }
}

/// Deserialize a part of the object into a typed value; errors carry the
/// pointer (prefixed with `base`) of the offending field.
pub fn typed<T: DeserializeOwned>(value: &J, base: &str) -> Result<T, (String, String)> {
    // Tracking the path costs a string per key visited: do it only to
    // explain a failure (the same input fails the same way).
    if let Ok(t) = T::deserialize(value) {
        return Ok(t);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut ptr = base.to_string();
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => {
                    ptr.push('/');
                    ptr.push_str(&index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => {
                    ptr.push('/');
                    ptr.push_str(&tree::escape(key));
                }
                _ => {}
            }
        }
        let msg = e.into_inner().to_string();
        (ptr, msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> Loaded {
        load(0, &SourceFile::new("t.yaml", text.to_string()))
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers:\n        - name: a\n          image: a:1\n";

    #[test]
    fn wrong_fields_keep_the_workload_typed() {
        // A sequence item of the wrong type drops its sequence, not the object.
        let l = load_one(&format!("{DEPLOYMENT}          ports: [8080]\n          env: {{A: b}}\n"));
        assert_eq!(l.findings.len(), 2, "{:?}", l.findings.iter().map(|f| &f.message).collect::<Vec<_>>());
        let w = l.objects[0].workload().expect("still a workload");
        assert_eq!(w.containers().next().unwrap().1.image.as_deref(), Some("a:1"));
        // A quoted number is read as the number.
        let l = load_one(&format!("{DEPLOYMENT}          ports: [{{containerPort: \"8080\"}}]\n"));
        assert_eq!(l.findings.len(), 1);
        let c = l.objects[0].workload().unwrap().containers().next().unwrap().1.clone();
        assert_eq!(c.ports.unwrap()[0].container_port, 8080);
    }

    #[test]
    fn a_light_object_expands_to_the_view_it_was_loaded_with() {
        // One object read by the tree path, one by the JSON path (its wrong fields pruned).
        for text in [DEPLOYMENT.to_string(), format!("{DEPLOYMENT}          ports: [8080, {{containerPort: \"80\"}}]\n")] {
            let full = load_one(&text);
            let light = load_one(&text).light();
            let Typed::Workload(head) = &light.objects[0].typed else { panic!("a light workload") };
            assert_eq!(head.template.container_names, ["a"]);
            assert_eq!(head.template_labels().get("app").map(String::as_str), Some("a"));
            let obj = light.objects.into_iter().next().unwrap();
            let e = obj.expanded(|o| format!("{:?}", o.workload().expect("expanded workload")));
            assert_eq!(e.result, format!("{:?}", full.objects[0].workload().unwrap()));
            assert!(matches!(e.object.typed, Typed::Workload(_)), "back to its light view");
            assert!(e.findings.is_empty() && !e.view_changed, "its type errors were reported when it was loaded");
        }
    }

    fn messages(findings: &[Finding]) -> Vec<String> {
        let mut m: Vec<String> = findings.iter().map(|f| format!("{:?} {} {}", f.span, f.path, f.message)).collect();
        m.sort();
        m
    }

    #[test]
    fn an_object_loaded_light_has_its_type_errors_found_when_expanded() {
        // Clean; wrong fields in the pod spec; more wrong fields than are
        // reported (the full view is no workload then: the light one was wrong).
        let many: String = (0..70).map(|i| format!("        - {{name: c{i}, image: i, ports: x}}\n")).collect();
        let many = DEPLOYMENT.replace("      containers:\n", &format!("      containers:\n{many}"));
        let wrong = format!("{DEPLOYMENT}          ports: [8080, {{containerPort: \"80\"}}]\n");
        for (text, changed) in [(DEPLOYMENT.to_string(), false), (wrong, false), (many, true)] {
            let file = SourceFile::new("t.yaml", text.clone());
            let full = load_one(&text);
            let light = load_light(0, &file);
            assert!(light.findings.is_empty(), "{:?}", light.findings);
            assert!(light.objects[0].typed_later);
            let e = light.objects.into_iter().next().unwrap().expanded(|o| format!("{:?}", o.typed));
            assert_eq!(e.result, format!("{:?}", full.objects[0].typed));
            assert_eq!(messages(&e.findings), messages(&full.findings));
            assert_eq!(e.view_changed, changed);
            let expected = messages(&full.findings);
            assert_eq!(format!("{:?}", e.object.typed), format!("{:?}", full.light().objects[0].typed));
            // Expanded again where it lies (the rules run again), it gives the same and stays light.
            let light_view = format!("{:?}", e.object.typed);
            let mut again = e.object;
            let ((), found, changed) = again.expand_in_place(|_| ());
            assert_eq!(messages(&found), expected);
            assert!(!changed);
            assert_eq!(format!("{:?}", again.typed), light_view);
            assert_eq!(again.root.span.start.line, 1, "its tree is back");
        }
    }
}
