//! `--format human`: rustc/miette-style diagnostics with a labelled snippet.

use crate::finding::{Finding, Severity};
use crate::lint::Report;
use crate::text::plural;
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;

/// How to print the report.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

struct Diag<'a> {
    finding: &'a Finding,
    header: String,
    source: Window,
    span: SourceSpan,
}

/// The lines around one finding, cut out of its file: miette scans a source
/// from its start to number the lines, so handing it the whole file makes
/// each finding cost the size of the file (and a big file quadratic). The
/// window is numbered from `first_line`; spans are relative to its start.
/// Control characters are shown as `?` (same byte length, so offsets hold):
/// a snippet never writes raw terminal bytes.
struct Window {
    name: String,
    text: String,
    /// 0-based line number of the window's first line in the file.
    first_line: usize,
}

impl Window {
    /// The lines `span` covers plus `context` lines on each side; returns the window and the span within it.
    fn around(file: &crate::input::SourceFile, span: crate::input::Span, context: u32) -> (Window, SourceSpan) {
        use crate::input::Pos;
        let start = file.offset(span.start);
        let end = file.offset(span.end).max(start);
        let first = span.start.line.max(1).saturating_sub(context).max(1);
        let from = file.offset(Pos { line: first, col: 0 }).min(start);
        let last = span.end.line.max(span.start.line) + context + 1;
        let to = if last as usize > file.line_count() { file.text.len() } else { file.offset(Pos { line: last, col: 0 }) }.max(end);
        let text: String = file.text[from..to]
            .chars()
            .map(|c| if c.is_control() && !matches!(c, '\n' | '\r' | '\t') { "?".repeat(c.len_utf8()) } else { c.to_string() })
            .collect();
        (Window { name: file.name.clone(), text, first_line: first as usize - 1 }, SourceSpan::new((start - from).into(), end - start))
    }
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.as_str().read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}
impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header)
    }
}
impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.finding.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = self.finding.object.as_ref().map(|o| o.to_string());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(label, self.span))))
    }
}

fn theme(color: bool) -> GraphicalTheme {
    let mut t = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    // The header already says error/warning/info, rustc style.
    t.characters.error = String::new();
    t.characters.warning = String::new();
    t.characters.advice = String::new();
    t
}

/// Lines of source shown before and after a finding's span.
const CONTEXT_LINES: u32 = 1;

pub fn to_string(report: &Report, style: Style) -> String {
    let handler = GraphicalReportHandler::new_themed(theme(style.color))
        .with_links(false)
        .with_width(style.width)
        .with_context_lines(CONTEXT_LINES as usize);
    let mut out = String::new();
    for f in &report.findings {
        let file = &report.files[f.file];
        if let Some(cluster) = &report.cluster {
            out.push_str(&live_finding(f, cluster, style.color));
            continue;
        }
        let (source, span) = Window::around(file, f.span, CONTEXT_LINES + 1);
        let mark = if f.fixable(report.unsafe_fixes) { " [*]" } else { "" };
        let header = if style.color {
            let code = match f.severity {
                Severity::Error => "\x1b[1;31m",
                Severity::Warning => "\x1b[1;33m",
                Severity::Info => "\x1b[1;36m",
            };
            format!("{code}{}[{}]\x1b[0m{mark}\x1b[1m: {}\x1b[0m", f.severity, f.rule, f.message)
        } else {
            format!("{}[{}]{mark}: {}", f.severity, f.rule, f.message)
        };
        let diag = Diag { finding: f, header, source, span };
        let mut buf = String::new();
        if handler.render_report(&mut buf, &diag).is_err() {
            buf = format!("{}\n", diag.header);
        }
        // miette indents the header by the (empty) severity icon; keep it flush left.
        out.push_str(buf.trim_start_matches(' '));
        out.push('\n');
    }
    for n in &report.notices {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&summary_line(report));
    out.push_str(&fixable_line(report));
    out
}

/// `[*] N fixable with --fix (M more with --unsafe-fixes)`, when any is.
pub fn fixable_line(report: &Report) -> String {
    let (safe, unsafe_only) = report.fixable();
    match (report.unsafe_fixes, safe, unsafe_only) {
        (_, 0, 0) => String::new(),
        (true, s, u) => format!("[*] {} with --fix --unsafe-fixes\n", plural_fixable(s + u)),
        (false, s, 0) => format!("[*] {} with --fix\n", plural_fixable(s)),
        (false, s, u) => format!("[*] {} with --fix ({u} more with --unsafe-fixes)\n", plural_fixable(s)),
    }
}

fn plural_fixable(n: usize) -> String {
    format!("{n} fixable")
}

/// A finding about a live object: located by object and field path.
fn live_finding(f: &crate::finding::Finding, cluster: &str, color: bool) -> String {
    let header = format!("{}[{}]: {}", f.severity, f.rule, f.message);
    let header = if color {
        let code = match f.severity {
            Severity::Error => "\x1b[1;31m",
            Severity::Warning => "\x1b[1;33m",
            Severity::Info => "\x1b[1;36m",
        };
        format!("{code}{header}\x1b[0m")
    } else {
        header
    };
    let object = f.object.as_ref().map_or_else(|| "(no object)".to_string(), ToString::to_string);
    let mut s = format!("{header}\n  --> {object}, field {} ({cluster})\n", if f.path.is_empty() { "/" } else { &f.path });
    if let Some(h) = &f.help {
        s.push_str(&format!("  help: {h}\n"));
    }
    s.push('\n');
    s
}

/// `1 file`, `2 files`.
pub fn summary_line(report: &Report) -> String {
    let mut parts = vec![plural(report.count(Severity::Error), "error"), plural(report.count(Severity::Warning), "warning")];
    let infos = report.count(Severity::Info);
    if infos > 0 {
        parts.push(plural(infos, "info"));
    }
    let mut s = format!(
        "{} in {}; {} in {} checked",
        parts.join(", "),
        plural(report.files_with_findings(), "file"),
        plural(report.objects(), "object"),
        plural(report.files_with_objects, "file"),
    );
    if report.skipped_documents > 0 {
        s.push_str(&format!(" ({} not Kubernetes, skipped)", plural(report.skipped_documents, "document")));
    }
    s.push('\n');
    s
}

/// A config file error, with a snippet of the config.
pub fn config_error(e: &crate::config::ConfigError, color: bool, width: usize) -> String {
    #[derive(Debug)]
    struct D<'a>(&'a crate::config::ConfigError, NamedSource<String>, SourceSpan);
    impl fmt::Display for D<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "invalid config: {}", self.0.problem)
        }
    }
    impl std::error::Error for D<'_> {}
    impl Diagnostic for D<'_> {
        fn source_code(&self) -> Option<&dyn miette::SourceCode> {
            Some(&self.1)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
            Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some("here".into()), self.2))))
        }
    }
    let file = crate::input::SourceFile::new(e.file.clone(), e.text.clone());
    let start = file.offset(e.span.start);
    let end = file.offset(e.span.end).max(start);
    let d = D(e, NamedSource::new(&e.file, e.text.clone()), SourceSpan::new(start.into(), end - start));
    let handler = GraphicalReportHandler::new_themed(if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() })
        .with_links(false)
        .with_width(width);
    let mut buf = String::new();
    if handler.render_report(&mut buf, &d).is_err() {
        buf = e.to_string();
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::SourceFile;
    use crate::input::{Pos, Span};

    fn report_one(file: SourceFile, span: Span) -> String {
        let finding = Finding::new("image-tag-mutable", Severity::Warning, 0, span, "m");
        let report = Report {
            files: vec![file],
            primary_files: 1,
            findings: vec![finding],
            checked: Vec::new(),
            files_with_objects: 1,
            skipped_documents: 0,
            notices: Vec::new(),
            cluster: None,
            unsafe_fixes: false,
        };
        to_string(&report, Style { color: false, width: 100 })
    }

    #[test]
    fn a_window_is_numbered_as_the_file_and_shows_no_control_bytes() {
        let mut text: String = (1..=5000).map(|i| format!("k{i}: v{i}\n")).collect();
        text.push_str("bad: \"a\x1b[31m\x07b\"\nlast: x");
        let out = report_one(SourceFile::new("f.yaml", text), Span { start: Pos { line: 5001, col: 5 }, end: Pos { line: 5001, col: 16 } });
        assert!(out.contains("[f.yaml:5001:6]"), "{out}");
        assert!(out.contains("5000 │ k5000: v5000\n"), "{out}");
        assert!(out.contains("5001 │ bad: \"a?[31m?b\"\n"), "{out}");
        assert!(out.contains("5002 │ last: x\n"), "{out}");
        assert!(!out.contains("4999 │"), "one line of context: {out}");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        // the first line, and the end of a file without a final line break
        let out = report_one(
            SourceFile::new("g.yaml", "a: 1\nb: 2".into()),
            Span { start: Pos { line: 2, col: 3 }, end: Pos { line: 2, col: 4 } },
        );
        assert!(out.contains("[g.yaml:2:4]") && out.contains("1 │ a: 1") && out.contains("2 │ b: 2"), "{out}");
        let out =
            report_one(SourceFile::new("h.yaml", "a: 1\n".into()), Span { start: Pos { line: 1, col: 0 }, end: Pos { line: 1, col: 1 } });
        assert!(out.contains("[h.yaml:1:1]") && out.contains("1 │ a: 1"), "{out}");
    }
}
