//! `-o junit`: a failing testcase per finding, a passing one per object without findings.

use crate::finding::{Finding, Region};
use crate::lint::Report;
use std::collections::BTreeSet;

/// Text for an XML attribute or element: control characters escaped
/// ([`crate::text::escape`]; XML 1.0 cannot carry most of them, and a CI log
/// that prints the report must not get them raw), then the XML entities.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::text::escape(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

pub fn to_string(report: &Report) -> String {
    // One failing testcase per finding, so CI dashboards count and list each one;
    // one passing testcase per object without findings.
    let mut with_findings: BTreeSet<(usize, String)> = BTreeSet::new();
    for f in &report.findings {
        with_findings.insert((f.file, object_name(f)));
    }
    let passing: Vec<&(usize, String)> = report.checked.iter().filter(|c| !with_findings.contains(c)).collect();
    let tests = report.findings.len() + passing.len();
    let failures = report.findings.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"kubectl-strategy\" tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"kubectl-strategy lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
    ));
    for f in &report.findings {
        let file_name = &report.files[f.file].name;
        let name = object_name(f);
        let r = Region::of(f);
        // Live objects (lint --cluster) have no lines: the field path locates the finding.
        let at = match &report.cluster {
            Some(_) => format!("{name} at {}", f.path),
            None => format!("{file_name}:{}:{}", r.line, r.column),
        };
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"{}>\n",
            xml(file_name),
            xml(&format!("{} {name} ({at})", f.rule)),
            xml(file_name),
            if report.cluster.is_none() { format!(" line=\"{}\"", r.line) } else { String::new() },
        ));
        out.push_str(&format!(
            "      <failure type=\"{}\" message=\"{}\">{}: {}[{}] {}{}</failure>\n    </testcase>\n",
            xml(f.rule),
            xml(&f.message),
            xml(&at),
            f.severity,
            xml(f.rule),
            xml(&f.message),
            f.help.as_deref().map(|h| format!("\nhelp: {}", xml(h))).unwrap_or_default()
        ));
    }
    for (file, name) in passing {
        let file_name = &report.files[*file].name;
        out.push_str(&format!("    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"/>\n", xml(file_name), xml(name), xml(file_name)));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn object_name(f: &Finding) -> String {
    f.object.as_ref().map_or_else(|| "(file)".to_string(), |o| o.to_string())
}
