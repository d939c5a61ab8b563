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
pub struct BaselineEntry {
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
#[derive(Debug)]
pub enum BaselineError {
    Read(String, std::io::Error),
    Write(String, std::io::Error),
    Format(String, String),
}

impl std::fmt::Display for BaselineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaselineError::Read(p, e) | BaselineError::Write(p, e) => write!(f, "{p}: {e}"),
            BaselineError::Format(p, e) => write!(f, "{p}: not a kubectl-strategy baseline: {e}"),
        }
    }
}

impl std::error::Error for BaselineError {}

/// The report's findings as baseline entries, in report order.
pub fn entries(report: &Report) -> Vec<BaselineEntry> {
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
pub fn write(report: &Report, path: &Path) -> Result<(), BaselineError> {
    let b = BaselineV2 { version: 2, findings: entries(report) };
    let text = serde_json::to_string_pretty(&b).expect("serializable") + "\n";
    let tmp = path.with_extension("kubectl-strategy.tmp");
    std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path)).map_err(|e| BaselineError::Write(path.display().to_string(), e))
}

/// What filtering by a baseline did.
#[derive(Debug, Default)]
pub struct Filtered {
    /// Findings dropped because the baseline has them.
    pub known: usize,
    /// Baseline entries that matched no finding of this run (fixed, renamed, or not linted this time).
    pub stale: Vec<BaselineEntry>,
}

/// Drop the findings the baseline knows.
pub fn filter(report: &mut Report, path: &Path) -> Result<Filtered, BaselineError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| BaselineError::Read(name.clone(), e))?;
    let version = serde_json::from_str::<Version>(&text).map_err(|e| BaselineError::Format(name.clone(), e.to_string()))?.version;
    // fingerprint -> the entries still unmatched
    let mut pending: BTreeMap<String, Vec<BaselineEntry>> = BTreeMap::new();
    let fps: Vec<String> = match version {
        1 => {
            let b: BaselineV1 = serde_json::from_str(&text).map_err(|e| BaselineError::Format(name.clone(), e.to_string()))?;
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
            let b: BaselineV2 = serde_json::from_str(&text).map_err(|e| BaselineError::Format(name.clone(), e.to_string()))?;
            for e in b.findings {
                pending.entry(e.fingerprint.clone()).or_default().push(e);
            }
            entries(report).into_iter().map(|e| e.fingerprint).collect()
        }
        v => return Err(BaselineError::Format(name, format!("version {v} is newer than this kubectl-strategy"))),
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
