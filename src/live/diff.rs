//! `kubectl strategy diff`: what applying the manifests would change in the
//! cluster, like `kubectl diff --server-side`.
//!
//! For each object: GET the live object, server-side apply it with
//! `dryRun=All`, and compare the two with server-set fields stripped and
//! Secret values masked.

use super::print::{mask_secrets, object_key, strip, to_yaml};
use super::{Conn, FileObject, LiveError};
use serde_json::{Value as J, json};

/// One object's comparison.
#[derive(Debug, Clone)]
pub struct ObjectDiff {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// Stripped and masked; `None` when the object does not exist yet.
    pub live: Option<J>,
    /// The dry-run result, stripped and masked.
    pub planned: J,
    /// The field manager the dry run applied as (named in the header: it decides what a removed field does).
    pub field_manager: String,
}

impl ObjectDiff {
    pub fn key(&self) -> String {
        object_key(&self.api_version, &self.kind, self.namespace.as_deref(), &self.name)
    }

    pub fn changed(&self) -> bool {
        self.live.as_ref() != Some(&self.planned)
    }

    /// A unified diff with headers naming group/version/Kind/namespace/name;
    /// the planned side also names the field manager (after a tab, where
    /// unified diffs keep a file's time stamp, so patch tools read the name alone).
    pub fn unified(&self) -> String {
        if !self.changed() {
            return String::new();
        }
        let key = self.key();
        let before = self.live.as_ref().map(to_yaml).unwrap_or_default();
        let after = to_yaml(&self.planned);
        let body = similar::TextDiff::from_lines(&before, &after)
            .unified_diff()
            .context_radius(3)
            // As `diff -u -N`: an absent object is an empty file.
            .header(&format!("live/{key}"), &format!("planned/{key}\tfield manager {}", self.field_manager))
            .to_string();
        format!("diff -u -N live/{key} planned/{key}\n{body}")
    }

    pub fn to_json(&self) -> J {
        json!({
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "changed": self.changed(),
            "live": self.live,
            "planned": self.planned,
            "fieldManager": self.field_manager,
        })
    }
}

/// Compares one manifest object with the cluster.
pub fn diff_object(conn: &Conn, obj: &J, force: bool, warnings: &mut Vec<String>) -> Result<ObjectDiff, LiveError> {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    let Some(name) = obj["metadata"]["name"].as_str().filter(|n| !n.is_empty()) else {
        if kind == "Kustomization" {
            return Err(LiveError::Kustomization);
        }
        return Err(LiveError::Unnamed { kind: kind.to_string() });
    };
    let res = conn.resolve(api_version, kind)?;
    let namespace = conn.namespace_for(&res, obj)?;
    let mut live = conn.get(&res, namespace.as_deref(), name)?;
    let mut planned = match conn.apply(&res, namespace.as_deref(), obj, true, force) {
        // A dry run changes nothing: show what forcing would do, and say that it needs forcing.
        Err(e) if e.is_conflict() && !force => {
            // "applying would conflict: cannot patch …"
            warnings.push(format!("applying would {e}"));
            conn.apply(&res, namespace.as_deref(), obj, true, true)?
        }
        r => r?,
    };
    if let Some(l) = live.as_mut() {
        strip(l);
    }
    strip(&mut planned);
    mask_secrets(live.as_mut(), Some(&mut planned));
    Ok(ObjectDiff {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
        live,
        planned,
        field_manager: conn.field_manager.clone(),
    })
}

/// The outcome of a `diff` run.
pub struct DiffRun {
    pub diffs: Vec<ObjectDiff>,
    /// `origin: message` per object or file that could not be compared.
    pub errors: Vec<String>,
    /// Things to know that do not stop the comparison (apply conflicts).
    pub warnings: Vec<String>,
}

impl DiffRun {
    pub fn changed(&self) -> bool {
        self.diffs.iter().any(ObjectDiff::changed)
    }

    /// kubectl's convention: 0 no differences, 1 differences, 2 errors.
    pub fn exit_code(&self) -> u8 {
        if !self.errors.is_empty() { 2 } else { u8::from(self.changed()) }
    }

    /// Diffs in kubectl's order (it compares two directories: by file name).
    pub fn render_text(&self) -> String {
        let mut diffs: Vec<&ObjectDiff> = self.diffs.iter().collect();
        diffs.sort_by_key(|d| d.key());
        diffs.into_iter().map(ObjectDiff::unified).collect()
    }

    pub fn render_json(&self) -> String {
        let doc = json!({
            "version": 1,
            "objects": self.diffs.iter().map(ObjectDiff::to_json).collect::<Vec<_>>(),
            "errors": self.errors,
            "warnings": self.warnings,
        });
        serde_json::to_string_pretty(&doc).expect("serializable") + "\n"
    }
}

/// Diffs every object; an object that fails is an error for that object only.
/// A transport failure stops the run (every further call would fail the same way).
pub fn run(conn: &Conn, objects: &[FileObject], mut errors: Vec<String>, force: bool) -> DiffRun {
    let mut diffs = Vec::new();
    let mut warnings = Vec::new();
    for o in objects {
        let mut w = Vec::new();
        let result = diff_object(conn, &o.json, force, &mut w);
        warnings.extend(w.into_iter().map(|w| format!("{}: {w}", o.origin)));
        match result {
            Ok(d) => diffs.push(d),
            Err(e) => {
                if e.is_fatal() {
                    errors.push(e.to_string());
                    break;
                }
                errors.push(format!("{}: {e}", o.origin));
            }
        }
    }
    DiffRun { diffs, errors, warnings }
}
