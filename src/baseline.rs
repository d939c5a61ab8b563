//! Baselines: record today's findings, report only new ones later.

use crate::lint::Report;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct Baseline {
    version: u32,
    /// Fingerprint -> how many findings had it.
    fingerprints: BTreeMap<String, usize>,
}

fn fingerprints(report: &Report) -> Vec<String> {
    report.findings.iter().map(|f| f.fingerprint(&report.files[f.file].name)).collect()
}

/// Write the report's findings as a baseline (atomically).
pub fn write(report: &Report, path: &Path) -> Result<(), String> {
    let mut b = Baseline { version: 1, fingerprints: BTreeMap::new() };
    for fp in fingerprints(report) {
        *b.fingerprints.entry(fp).or_default() += 1;
    }
    let text = serde_json::to_string_pretty(&b).expect("serializable") + "\n";
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path)).map_err(|e| format!("{}: {e}", path.display()))
}

/// Drop the findings the baseline knows; returns how many were dropped.
pub fn filter(report: &mut Report, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut b: Baseline = serde_json::from_str(&text).map_err(|e| format!("{}: not a kubectl-strategy baseline: {e}", path.display()))?;
    let fps = fingerprints(report);
    let before = report.findings.len();
    let mut i = 0;
    report.findings.retain(|_| {
        let fp = &fps[i];
        i += 1;
        match b.fingerprints.get_mut(fp) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        }
    });
    Ok(before - report.findings.len())
}
