//! What a rule reports.

use crate::input::Span;
use serde::Serialize;
use std::fmt;

mod op;
mod region;
pub use op::{Op, Yaml};
pub use region::Region;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The object a finding belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name.as_deref().unwrap_or("<unnamed>"))?;
        if let Some(ns) = &self.namespace {
            write!(f, " in namespace {ns}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Index of the file in the run.
    pub file: usize,
    pub span: Span,
    /// JSON pointer from the document root.
    pub path: String,
    pub object: Option<ObjectRef>,
    pub help: Option<String>,
    /// Index of the document in the file, when the finding is about one.
    pub doc: Option<usize>,
    /// Set when the object was rendered (Kustomize, Helm): the location above
    /// is then in the user's source file, and this says where in the render.
    pub rendered: Option<RenderedAt>,
    /// How to fix it, when a rule knows (applied only by `lint --fix`).
    pub fix: Option<Fix>,
    /// For rules that read other objects: the objects the finding depends
    /// on, its own first, then those it joined (the Service, autoscaler,
    /// budget or monitor it cites, or those that could have satisfied it).
    /// Used by `lint --changed-since`; no output format shows it.
    pub joined: Vec<Joined>,
}

/// An object a finding depends on: where it lies in the run (file index and
/// the span of its document's root, lines as the linted file has them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Joined {
    pub file: usize,
    pub span: Span,
}

/// Whether a fix may be applied without asking: could it change what the
/// cluster runs in a way the user did not ask for? Then it is unsafe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the meaning the user evidently had (`lint --fix`).
    Safe,
    /// Changes behaviour; applied only with `--unsafe-fixes`.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// A rule's fix: edits of the finding's document at JSON pointers from the
/// document root.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Op>,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Op>) -> Fix {
        Fix { title: title.into(), applicability: Applicability::Safe, edits }
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Op>) -> Fix {
        Fix { title: title.into(), applicability: Applicability::Unsafe, edits }
    }
}

/// Where a finding on a rendered object lies in the rendered stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenderedAt {
    /// `kustomize` or `helm`.
    pub by: &'static str,
    /// The kustomization root or chart folder that rendered it.
    pub root: String,
    /// Line (1-based) in the stream that `kubectl kustomize ROOT` / `helm template ROOT` prints.
    pub line: u32,
    /// Every root whose render holds this finding (a base shared by overlays).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roots: Vec<String>,
}

impl Finding {
    /// A finding at a span of a file, about no object in particular; the
    /// builder methods below add the rest.
    pub fn new(rule: &'static str, severity: Severity, file: usize, span: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity,
            message: message.into(),
            file,
            span,
            path: String::new(),
            object: None,
            help: None,
            doc: None,
            rendered: None,
            fix: None,
            joined: Vec::new(),
        }
    }

    /// Builder: the JSON pointer from the document root.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Builder: the object the finding is about.
    pub fn object(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    /// Builder: the index of the document in the file.
    pub fn doc(mut self, doc: usize) -> Self {
        self.doc = Some(doc);
        self
    }

    /// Builder: the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Builder: objects the finding depends on besides its own.
    pub fn join(mut self, objects: impl IntoIterator<Item = Joined>) -> Self {
        self.joined.extend(objects);
        self
    }

    /// Builder: the fix.
    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    /// Whether the fix is applied with these settings.
    pub fn fixable(&self, unsafe_fixes: bool) -> bool {
        self.fix.as_ref().is_some_and(|f| unsafe_fixes || f.applicability == Applicability::Safe)
    }

    /// A fingerprint that survives edits elsewhere in the file (no line
    /// numbers unless the finding has no object): used by baselines and
    /// SARIF `partialFingerprints`.
    pub fn fingerprint(&self, file_name: &str) -> String {
        let mut h = Fnv::default();
        h.add(self.rule);
        h.add(file_name);
        match &self.object {
            Some(o) => {
                h.add(&o.kind);
                h.add(o.namespace.as_deref().unwrap_or(""));
                h.add(o.name.as_deref().unwrap_or(""));
                h.add(&self.path);
            }
            None => h.add(&self.message),
        }
        format!("{:016x}", h.0)
    }
}

/// FNV-1a, 64 bit: stable across Rust versions and platforms.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn add(&mut self, s: &str) {
        for b in s.bytes().chain([0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Something users should know that is not a finding (a skipped file or
/// document, a chart that was not rendered), with where it is when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub file: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

impl Notice {
    /// A notice about no place in particular.
    pub fn new(message: impl Into<String>) -> Self {
        Notice { file: None, line: None, message: message.into() }
    }

    /// A notice about a line of a file.
    pub fn at(file: impl Into<String>, line: u32, message: impl Into<String>) -> Self {
        Notice { file: Some(file.into()), line: Some(line), message: message.into() }
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: {}", self.message),
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}
