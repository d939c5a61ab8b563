//! `--format junit`: one testcase per object, a failure per finding.

use super::Region;
use crate::finding::Finding;
use crate::lint::Report;
use std::collections::BTreeMap;

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    // Group findings per (file, object); objects without findings pass.
    let mut cases: BTreeMap<(usize, String), Vec<&Finding>> = BTreeMap::new();
    for (file, name) in &report.checked {
        cases.entry((*file, name.clone())).or_default();
    }
    for f in &report.findings {
        let name = f.object.as_ref().map_or_else(|| "(file)".to_string(), |o| o.to_string());
        cases.entry((f.file, name)).or_default().push(f);
    }
    let failures: usize = cases.values().filter(|v| !v.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"kubectl-strategy\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"kubectl-strategy lint\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        cases.len(),
        cases.len()
    ));
    for ((file, name), findings) in &cases {
        let file_name = &report.files[*file].name;
        out.push_str(&format!("    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"", xml(file_name), xml(name), xml(file_name)));
        if findings.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        for f in findings {
            let r = Region::of(f);
            // Live objects (lint --cluster) have no lines: the field path locates the finding.
            let at = match &report.cluster {
                Some(_) => format!("{} at {}", name, f.path),
                None => format!("{file_name}:{}:{}", r.line, r.column),
            };
            out.push_str(&format!(
                "      <failure type=\"{}\" message=\"{}\">{}: {}[{}] {}{}</failure>\n",
                xml(f.rule),
                xml(&f.message),
                xml(&at),
                f.severity,
                xml(f.rule),
                xml(&f.message),
                f.help.as_deref().map(|h| format!("\nhelp: {}", xml(h))).unwrap_or_default()
            ));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
