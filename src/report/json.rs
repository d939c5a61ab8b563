//! `--format json`: the v1 contract (docs/usage.md, "JSON output"; the `version` field says which).

use crate::finding::{Region, Severity};
use crate::lint::Report;
use serde::Serialize;
use serde_json::json;

/// One finding as the contract prints it (fields in this order; written
/// straight from the report, without an intermediate JSON tree).
#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    #[serde(rename = "endLine")]
    end_line: Option<u32>,
    #[serde(rename = "endColumn")]
    end_column: Option<u32>,
    /// Live objects have no file: the object and the field path locate the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    object: &'a Option<crate::finding::ObjectRef>,
    path: &'a str,
    help: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rendered: Option<&'a crate::finding::RenderedAt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<FixOut<'a>>,
}

#[derive(Serialize)]
struct FixOut<'a> {
    title: &'a str,
    applicability: crate::finding::Applicability,
    edits: Vec<crate::fix::Replacement>,
}

/// The report as a string (tests and library users; the CLI streams it with `write`).
pub fn to_string(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Files whose findings are serialized together, in parallel, before being
/// written: bounds the memory of a huge report to one batch.
const BATCH_FILES: usize = 256;

/// Write the report as `serde_json::to_string_pretty` of
/// `{version, findings, notices, summary}` would print it, but without the
/// whole text in memory: findings are serialized a batch of files at a time,
/// the files of a batch in parallel, and written as they are ready.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use rayon::prelude::*;
    out.write_all(b"{\n  \"version\": 1,\n  \"findings\": [")?;
    // Findings are sorted by file: one group per file (one group for a cluster).
    let groups: Vec<&[crate::finding::Finding]> =
        if report.cluster.is_some() { vec![&report.findings[..]] } else { report.findings.chunk_by(|a, b| a.file == b.file).collect() };
    for batch in groups.chunks(BATCH_FILES) {
        let texts: Vec<Vec<u8>> = batch.par_iter().map(|group| findings_text(report, group)).collect();
        for text in texts {
            out.write_all(&text)?;
        }
    }
    if !report.findings.is_empty() {
        out.write_all(b"\n  ]")?;
    } else {
        out.write_all(b"]")?;
    }
    out.write_all(b",\n  \"notices\": ")?;
    write_indented(out, &report.notices, "  ")?;
    out.write_all(b",\n  \"summary\": ")?;
    write_indented(out, &summary(report), "  ")?;
    out.write_all(b"\n}\n")
}

/// One file's findings as array elements at depth 2, each preceded by the
/// separator `to_string_pretty` puts before an element (`\n` first, `,\n` after).
fn findings_text(report: &Report, group: &[crate::finding::Finding]) -> Vec<u8> {
    let mut buf = Vec::new();
    let first = report.findings.as_ptr();
    let Some(head) = group.first() else { return buf };
    // A fix's edits are located in the finding's own file: one file's text per group.
    let fixes = (report.cluster.is_none()).then(|| crate::fix::Replacer::new([report.files[head.file].text.as_str()]));
    for f in group {
        // `f` is the first finding of the report exactly when no separator comma is due.
        buf.extend_from_slice(if std::ptr::eq(f, first) { b"\n    " } else { b",\n    " });
        let out = finding_out(report, f, fixes.as_ref());
        write_indented(&mut buf, &out, "    ").expect("writing to memory");
    }
    buf
}

/// Pretty JSON of `value` at a depth whose indentation is `indent` (JSON
/// strings never hold a raw line break, so each line break takes the indent).
fn write_indented(out: &mut dyn std::io::Write, value: &impl Serialize, indent: &str) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(value).expect("serializable");
    let mut lines = text.split(|&b| b == b'\n');
    if let Some(first) = lines.next() {
        out.write_all(first)?;
    }
    for line in lines {
        out.write_all(b"\n")?;
        out.write_all(indent.as_bytes())?;
        out.write_all(line)?;
    }
    Ok(())
}

fn finding_out<'a>(report: &'a Report, f: &'a crate::finding::Finding, fixes: Option<&crate::fix::Replacer<'_>>) -> FindingOut<'a> {
    let (rule, severity, message, object, path, help) = (f.rule, f.severity, f.message.as_str(), &f.object, f.path.as_str(), &f.help);
    if let Some(cluster) = &report.cluster {
        return FindingOut {
            rule,
            severity,
            message,
            file: None,
            line: None,
            column: None,
            end_line: None,
            end_column: None,
            cluster: Some(cluster),
            object,
            path,
            help,
            rendered: None,
            fix: None,
        };
    }
    let file = &report.files[f.file];
    let r = Region::of(f);
    FindingOut {
        rule,
        severity,
        message,
        file: Some(&file.name),
        line: Some(r.line),
        column: Some(r.column),
        end_line: Some(r.end_line),
        end_column: Some(r.end_column),
        cluster: None,
        object,
        path,
        help,
        rendered: f.rendered.as_ref(),
        fix: f.fix.as_ref().map(|fix| FixOut {
            title: &fix.title,
            applicability: fix.applicability,
            edits: fixes.map(|fixes| fixes.of(0, f)).unwrap_or_default(),
        }),
    }
}

pub fn summary(report: &Report) -> serde_json::Value {
    json!({
        "errors": report.count(Severity::Error),
        "warnings": report.count(Severity::Warning),
        "infos": report.count(Severity::Info),
        "filesWithFindings": report.files_with_findings(),
        "files": report.primary_files,
        "filesWithObjects": report.files_with_objects,
        "objects": report.objects(),
        "skippedDocuments": report.skipped_documents,
        "fixable": report.fixable().0,
        "fixableUnsafe": report.fixable().1,
    })
}

#[cfg(test)]
mod tests {
    /// The streamed text is exactly what one pretty-printed document would be
    /// (findings across files, fixes, notices, an empty report).
    #[test]
    fn written_text_is_the_pretty_printed_document() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/rules");
        let config = crate::config::Config::default();
        let full = crate::lint::lint_paths(&[dir.to_string()], &config, Default::default());
        assert!(full.findings.iter().any(|f| f.fix.is_some()) && full.files_with_findings() > 1);
        let empty = crate::lint::lint_text("empty.yaml", "", &config);
        for report in [full, empty] {
            let text = super::to_string(&report);
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(text, serde_json::to_string_pretty(&value).unwrap() + "\n");
        }
    }
}
