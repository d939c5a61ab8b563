//! `lint --changed-since REV`: keep the findings on lines changed since REV
//! (as `git diff --unified=0 REV` shows them), like golangci-lint's
//! `--new-from-rev`.
//!
//! A finding is kept when its own lines changed. A finding of a rule that
//! reads other objects (`reads_other_objects` in its `declare_rule!`) is also
//! kept when the lines of its own object or of an object it joined changed
//! ([`crate::finding::Finding::joined`]: the Service, autoscaler, budget,
//! monitor or overlapping workload it cites). Nothing else is kept: an
//! untouched object beside a changed one keeps its old findings out.
//!
//! Absence findings ("no PodDisruptionBudget selects it", "the selector
//! matches no pod template", "no ServiceMonitor or PodMonitor selects it")
//! depend on the objects that could have satisfied them but no longer do.
//! Those findings join the candidates applied together with their object
//! (same namespace, or same folder when a namespace is unset): the budgets
//! for `pdb-missing`, the workloads for `service-selects-nothing`, the
//! monitors that may watch the namespace for `prometheus-annotations-missing`.
//! So a budget edited so that it no longer selects a Deployment keeps that
//! Deployment's `pdb-missing` (as would an unrelated edit of another budget
//! of that namespace: erring towards showing). An object deleted outright is
//! not among the linted objects, so it is not joined: the finding is kept
//! only when the deletion's hunk touches its own object (same file, next to it).
//! Objects of a render (Helm, Kustomize) are joined in the rendered stream,
//! which no diff names: a finding there is kept by its own (mapped) lines.

use crate::input::Span;
use crate::lint::Report;
use std::collections::HashMap;
use std::process::Command;

/// Why the changed lines are unknown.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChangedError {
    /// git could not be run.
    #[error("--changed-since needs git: {0}")]
    Spawn(#[source] std::io::Error),
    /// git ran and failed (not a repository): its message.
    #[error("--changed-since: git diff failed: {0}")]
    Git(String),
    /// The revision names no commit (or is no revision at all, such as an option).
    #[error("--changed-since: `{rev}` is not a commit of this repository{}", if .message.is_empty() { String::new() } else { format!(" ({})", .message) })]
    BadRevision { rev: String, message: String },
}

/// The commit `rev` names, as a full hash: `git rev-parse --verify
/// --end-of-options REV^{commit}`, so that a revision such as `--output=FILE`
/// is refused instead of being read as an option of git.
fn verify(rev: &str) -> Result<String, ChangedError> {
    let bad = |message: String| ChangedError::BadRevision { rev: rev.to_string(), message };
    if rev.is_empty() || rev.starts_with('-') {
        return Err(bad(String::new()));
    }
    let out = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(ChangedError::Spawn)?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok(hash)
}

/// Changed line ranges (new side, 1-based, inclusive) per file relative to the repository root.
#[derive(Debug, Default)]
pub(crate) struct Changed {
    files: HashMap<String, Vec<(u32, u32)>>,
}

impl Changed {
    /// The lines changed between `rev` and the working tree.
    pub(crate) fn since(rev: &str) -> Result<Changed, ChangedError> {
        let commit = verify(rev)?;
        // The commit's hash, not the user's text: nothing of it can be read as an option.
        let out = Command::new("git")
            .args(["-c", "core.quotepath=off", "diff", "--unified=0", "--no-color", "--no-ext-diff", &commit, "--"])
            .output()
            .map_err(ChangedError::Spawn)?;
        if !out.status.success() {
            return Err(ChangedError::Git(String::from_utf8_lossy(&out.stderr).trim().to_string()));
        }
        Ok(Changed::parse(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Read a `--unified=0` diff.
    pub(crate) fn parse(diff: &str) -> Changed {
        let mut files: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut current: Option<String> = None;
        for line in diff.lines() {
            if let Some(path) = line.strip_prefix("+++ ") {
                current = path.strip_prefix("b/").map(str::to_string);
                if let Some(p) = &current {
                    files.entry(p.clone()).or_default();
                }
            } else if let (Some(hunk), Some(file)) = (line.strip_prefix("@@ "), &current) {
                // @@ -a,b +c,d @@: d lines from c; d = 0 is a deletion after line c
                let Some(new) = hunk.split(' ').find_map(|w| w.strip_prefix('+')) else { continue };
                let (start, count) = match new.split_once(',') {
                    Some((s, n)) => (s.parse().unwrap_or(0), n.parse().unwrap_or(1)),
                    None => (new.parse().unwrap_or(0), 1),
                };
                let range = if count == 0 { (start.max(1), start + 1) } else { (start, start + count - 1) };
                files.get_mut(file).expect("entry made at +++").push(range);
            }
        }
        Changed { files }
    }

    /// Did lines of `span` in `file` (a name relative to the repository root) change?
    fn touches(&self, file: &str, span: Span) -> bool {
        let Some(ranges) = self.files.get(file) else { return false };
        // A span that ends at the start of a line (a block ends where the next token starts) does not cover that line.
        let last = if span.end.col == 0 && span.end.line > span.start.line { span.end.line - 1 } else { span.end.line };
        let (start, end) = (span.start.line.max(1), last.max(span.start.line).max(1));
        ranges.iter().any(|&(a, b)| start <= b && a <= end)
    }

    /// Drop the findings whose lines, and whose objects' lines (see the module
    /// doc), did not change; returns how many were dropped.
    pub(crate) fn filter(&self, report: &mut Report) -> usize {
        let names: Vec<String> = report.files.iter().map(|f| crate::input::repo_relative(&f.name)).collect();
        let touches = |file: usize, span: Span| names.get(file).is_some_and(|name| self.touches(name, span));
        let before = report.findings.len();
        report.findings.retain(|f| touches(f.file, f.span) || f.joined.iter().any(|j| touches(j.file, j.span)));
        before - report.findings.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_become_line_ranges() {
        let diff = "diff --git a/k8s/a.yaml b/k8s/a.yaml\n--- a/k8s/a.yaml\n+++ b/k8s/a.yaml\n@@ -3 +3 @@ x\n-a\n+b\n@@ -10,0 +11,2 @@\n+c\n+d\n@@ -20,2 +21,0 @@\n-e\n-f\n--- a/gone.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        let c = Changed::parse(diff);
        assert_eq!(c.files["k8s/a.yaml"], [(3, 3), (11, 12), (21, 22)]);
        assert_eq!(c.files.len(), 1);
    }

    #[test]
    fn a_span_touches_the_lines_it_covers_but_not_the_one_it_ends_before() {
        let c = Changed::parse("+++ b/a.yaml\n@@ -5 +5 @@\n-x\n+y\n");
        use crate::input::Pos;
        let span = |(l1, c1), (l2, c2)| Span { start: Pos { line: l1, col: c1 }, end: Pos { line: l2, col: c2 } };
        assert!(c.touches("a.yaml", span((3, 2), (5, 3))), "ends inside line 5");
        assert!(c.touches("a.yaml", span((5, 0), (5, 0))), "an empty span at the start of line 5");
        assert!(c.touches("a.yaml", span((5, 4), (6, 0))), "starts on line 5");
        assert!(!c.touches("a.yaml", span((3, 2), (5, 0))), "a block that ends where line 5 starts");
        assert!(!c.touches("a.yaml", span((6, 0), (7, 1))));
        assert!(!c.touches("b.yaml", span((5, 0), (5, 3))), "another file");
    }
}
