//! `--format json`: the v1 contract of DESIGN.md §5.

use super::Region;
use crate::finding::Severity;
use crate::lint::Report;
use serde_json::json;

pub fn render(report: &Report) -> String {
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let file = &report.files[f.file];
            let r = Region::of(f);
            if let Some(cluster) = &report.cluster {
                // Live objects have no file: the object and the field path locate the finding.
                return json!({
                    "rule": f.rule,
                    "severity": f.severity,
                    "message": f.message,
                    "file": null,
                    "line": null,
                    "column": null,
                    "endLine": null,
                    "endColumn": null,
                    "cluster": cluster,
                    "object": f.object,
                    "path": f.path,
                    "help": f.help,
                });
            }
            let mut v = json!({
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "file": file.name,
                "line": r.line,
                "column": r.column,
                "endLine": r.end_line,
                "endColumn": r.end_column,
                "object": f.object,
                "path": f.path,
                "help": f.help,
            });
            if let Some(at) = &f.rendered {
                v["rendered"] = json!(at);
            }
            if let Some(fix) = &f.fix {
                v["fix"] = json!({
                    "title": fix.title,
                    "applicability": fix.applicability,
                    "edits": crate::fix::replacements(&file.text, f).iter().map(|r| json!({
                        "line": r.line,
                        "column": r.column,
                        "endLine": r.end_line,
                        "endColumn": r.end_column,
                        "content": r.content,
                    })).collect::<Vec<_>>(),
                });
            }
            v
        })
        .collect();
    let doc = json!({
        "version": 1,
        "findings": findings,
        "notices": report.notices,
        "summary": summary(report),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serializable");
    s.push('\n');
    s
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
