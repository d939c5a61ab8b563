//! Baselines: record today's findings, report only new ones later.
//!
//! A baseline names each finding by rule, file (relative to the repository
//! root, so it works from any directory), object and message, plus the
//! fingerprint that is matched (the one SARIF carries). Version 1 files (a
//! bare map of fingerprints of cwd-relative file names) are still read.

use crate::lint::Report;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One recorded finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct BaselineEntry {
    pub rule: String,
    /// Relative to the repository root.
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub message: String,
    pub fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct BaselineV2 {
    version: u32,
    findings: Vec<BaselineEntry>,
}

#[derive(Deserialize)]
struct BaselineV1 {
    fingerprints: BTreeMap<String, usize>,
}

#[derive(Deserialize)]
struct Version {
    version: u32,
}

/// Why a baseline cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BaselineError {
    #[error("{path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{path}: not a kubectl-strategy baseline: {source}")]
    Format { path: String, source: serde_json::Error },
    #[error("{path}: not a kubectl-strategy baseline: version {version} is newer than this kubectl-strategy")]
    Newer { path: String, version: u32 },
}

/// The report's findings as baseline entries, in report order.
pub(crate) fn entries(report: &Report) -> Vec<BaselineEntry> {
    report
        .findings
        .iter()
        .map(|f| {
            let file = crate::input::repo_relative(&report.files[f.file].name);
            BaselineEntry {
                rule: f.rule.to_string(),
                fingerprint: f.fingerprint(&file),
                file,
                object: f.object.as_ref().map(ToString::to_string),
                message: f.message.clone(),
            }
        })
        .collect()
}

/// Write the report's findings as a baseline (atomically).
pub(crate) fn write(report: &Report, path: &Path) -> Result<(), BaselineError> {
    let b = BaselineV2 { version: 2, findings: entries(report) };
    let text = serde_json::to_string_pretty(&b).expect("serializable") + "\n";
    crate::edit::diff::write_atomic(path, &text, None).map_err(|source| BaselineError::Write { path: path.display().to_string(), source })
}

/// What filtering by a baseline did.
#[derive(Debug, Default)]
pub(crate) struct Filtered {
    /// Findings dropped because the baseline has them.
    pub known: usize,
    /// Baseline entries that matched no finding of this run (fixed, renamed, or not linted this time).
    pub stale: Vec<BaselineEntry>,
}

/// Drop the findings the baseline knows.
pub(crate) fn filter(report: &mut Report, path: &Path) -> Result<Filtered, BaselineError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read { path: name.clone(), source })?;
    let version = serde_json::from_str::<Version>(&text).map_err(|source| BaselineError::Format { path: name.clone(), source })?.version;
    // fingerprint -> the entries still unmatched
    let mut pending: BTreeMap<String, Vec<BaselineEntry>> = BTreeMap::new();
    let fps: Vec<String> = match version {
        1 => {
            let b: BaselineV1 = serde_json::from_str(&text).map_err(|source| BaselineError::Format { path: name.clone(), source })?;
            for (fp, n) in b.fingerprints {
                let entry = BaselineEntry {
                    rule: String::new(),
                    file: String::new(),
                    object: None,
                    message: String::new(),
                    fingerprint: fp.clone(),
                };
                pending.insert(fp, vec![entry; n]);
            }
            report.findings.iter().map(|f| f.fingerprint(&report.files[f.file].name)).collect()
        }
        2 => {
            let b: BaselineV2 = serde_json::from_str(&text).map_err(|source| BaselineError::Format { path: name.clone(), source })?;
            for e in b.findings {
                pending.entry(e.fingerprint.clone()).or_default().push(e);
            }
            entries(report).into_iter().map(|e| e.fingerprint).collect()
        }
        version => return Err(BaselineError::Newer { path: name, version }),
    };
    let before = report.findings.len();
    let mut i = 0;
    report.findings.retain(|_| {
        let known = pending.get_mut(&fps[i]).and_then(Vec::pop).is_some();
        i += 1;
        !known
    });
    let stale = pending.into_values().flatten().collect();
    Ok(Filtered { known: before - report.findings.len(), stale })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    fn empty() -> Report {
        Report {
            files: Vec::new(),
            primary_files: 0,
            findings: Vec::new(),
            checked: Vec::new(),
            files_with_objects: 0,
            skipped_documents: 0,
            notices: Vec::new(),
            cluster: None,
            unsafe_fixes: false,
        }
    }

    /// Each refusal in its words, with the io or JSON error under it kept as its source.
    #[test]
    fn errors_keep_their_cause() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let missing = dir.path().join("missing.json");
        let e = filter(&mut empty(), &missing).unwrap_err();
        assert!(matches!(&e, BaselineError::Read { .. }), "{e:?}");
        assert!(e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).is_some());

        let p = at("broken.json", "{");
        let e = filter(&mut empty(), &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: not a kubectl-strategy baseline: EOF while parsing an object at line 1 column 1", p.display())
        );
        assert!(e.source().and_then(|s| s.downcast_ref::<serde_json::Error>()).is_some());

        let p = at("new.json", r#"{"version": 9}"#);
        let e = filter(&mut empty(), &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: not a kubectl-strategy baseline: version 9 is newer than this kubectl-strategy", p.display())
        );
        assert!(e.source().is_none());
    }
}
