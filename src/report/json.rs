//! `--format json`: the v1 contract of DESIGN.md §5.

use super::Region;
use crate::finding::Severity;
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
    edits: Vec<EditOut>,
}

#[derive(Serialize)]
struct EditOut {
    line: u32,
    column: u32,
    #[serde(rename = "endLine")]
    end_line: u32,
    #[serde(rename = "endColumn")]
    end_column: u32,
    content: String,
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    findings: Vec<FindingOut<'a>>,
    notices: &'a [crate::finding::Notice],
    summary: serde_json::Value,
}

pub fn render(report: &Report) -> String {
    let fixes = crate::fix::Replacer::new(report.files.iter().map(|f| f.text.as_str()));
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let (rule, severity, message, object, path, help) =
                (f.rule, f.severity, f.message.as_str(), &f.object, f.path.as_str(), &f.help);
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
                    edits: fixes
                        .of(f.file, f)
                        .into_iter()
                        .map(|r| EditOut {
                            line: r.line,
                            column: r.column,
                            end_line: r.end_line,
                            end_column: r.end_column,
                            content: r.content,
                        })
                        .collect(),
                }),
            }
        })
        .collect();
    let doc = Doc { version: 1, findings, notices: &report.notices, summary: summary(report) };
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
