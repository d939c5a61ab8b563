//! `--format github`: GitHub Actions workflow commands (inline PR annotations).

use crate::finding::{Region, Severity};
use crate::lint::Report;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The report as a string (tests; `write` is what the CLI uses).
pub fn to_string(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// Write one workflow command per finding, as each is formatted.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for f in &report.findings {
        let file = &report.files[f.file];
        let r = Region::of(f);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(h);
        }
        if report.cluster.is_some() {
            // No file to annotate: the object and field go into the message.
            let at = f.object.as_ref().map(|o| format!("{o} at {}: ", f.path)).unwrap_or_default();
            writeln!(out, "::{command} title={}::{}", escape_property(f.rule), escape_data(&format!("{at}{message}")))?;
            continue;
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&file.name),
            r.line,
            r.column,
            r.end_line,
            r.end_column,
            escape_property(f.rule),
            escape_data(&message)
        )?;
    }
    Ok(())
}
