//! `--format github`: GitHub Actions workflow commands (inline PR annotations).

use crate::finding::{Region, Severity};
use crate::lint::Report;

/// A workflow command's message: `%`, `\r` and `\n` encoded as GitHub
/// decodes them (a line break cannot end the command early), other control
/// characters escaped ([`crate::text::escape`]) so none reaches the log raw.
fn escape_data(s: &str) -> String {
    crate::text::escape(s).replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A property (`file=`, `title=`): also `:` and `,`, which end a property.
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

#[cfg(test)]
mod tests {
    use crate::finding::{Finding, Severity};
    use crate::input::{Pos, SourceFile, Span};
    use crate::lint::Report;

    /// A report of one finding in `name`, with `message`.
    fn report(name: &str, message: &str) -> Report {
        let span = Span { start: Pos { line: 1, col: 0 }, end: Pos { line: 1, col: 1 } };
        let mut finding = Finding::new("image-tag-mutable", Severity::Warning, 0, span, message);
        finding.help = Some("pin\x1b[8m it".into());
        Report::of_one_file(SourceFile::new(name, "a: 1\n".into()), vec![finding])
    }

    #[test]
    fn a_value_cannot_end_the_command_or_reach_the_log_raw() {
        let out = super::to_string(&report("a:b,c%\x1b.yaml", "image \x1b]0;x\x07\n::error::fake%0A::error::fake"));
        assert_eq!(
            out,
            "::warning file=a%3Ab%2Cc%25\\u{1b}.yaml,line=1,col=1,endLine=1,endColumn=2,title=image-tag-mutable::\
             image \\u{1b}]0;x\\u{7}%0A::error::fake%250A::error::fake%0Ahelp: pin\\u{1b}[8m it\n"
        );
        assert_eq!(out.lines().count(), 1);
    }

    #[test]
    fn junit_is_xml_without_control_characters() {
        let out = crate::report::junit::to_string(&report("a\x1b.yaml", "bad \x1b[2J <x> \x00 &"));
        assert!(out.contains("message=\"bad \\u{1b}[2J &lt;x&gt; \\u{0} &amp;\""), "{out}");
        assert!(out.contains("file=\"a\\u{1b}.yaml\""), "{out}");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
    }
}
