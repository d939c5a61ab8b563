//! `--format human`: rustc/miette-style diagnostics with a labelled snippet.

use crate::finding::{Finding, Severity};
use crate::lint::Report;
use crate::text::{escape, plural};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
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
/// window is numbered from `first_line`; `span` is the finding within it.
/// Control characters are escaped (`\u{1b}`, [`crate::text::escape`]) and a
/// line longer than [`LONG_LINE`] characters is cut around the finding (`…`
/// marks what is left out), the span moved to match: a snippet never writes
/// raw terminal bytes, and the caret stays under the same character.
#[derive(Debug)]
struct Window {
    name: String,
    text: String,
    /// 0-based line number of the window's first line in the file.
    first_line: usize,
    /// The finding's span within `text`.
    span: SourceSpan,
    /// The byte column of the finding's start in the file's line (the header's `file:line:column`).
    column: usize,
}

/// A line longer than this many characters (a minified manifest) is shown cut:
/// [`CUT_BEFORE`] characters before the finding, [`CUT_WIDTH`] in all.
const LONG_LINE: usize = 240;
const CUT_BEFORE: usize = 40;
const CUT_WIDTH: usize = 120;

/// The part `[ks, ke)` of the line `t[ls..le]` that is shown: all of it, or
/// for a long line [`CUT_WIDTH`] characters around `anchor` (the finding's
/// start or end when on this line, else the line's start). Costs the window's
/// size, not the line's.
fn cut(t: &str, ls: usize, le: usize, anchor: Option<usize>) -> (usize, usize) {
    let line = &t[ls..le];
    if line.len() <= LONG_LINE || line.chars().take(LONG_LINE + 1).count() <= LONG_LINE {
        return (ls, le);
    }
    let anchor = anchor.unwrap_or(ls);
    let back = |from: usize, n: usize| t[ls..from].char_indices().rev().nth(n - 1).map_or(ls, |(i, _)| ls + i);
    let ks = back(anchor, CUT_BEFORE);
    let ke = t[ks..le].char_indices().nth(CUT_WIDTH).map_or(le, |(i, _)| ks + i);
    // Near the line's end the window still shows CUT_WIDTH characters.
    if ke == le { (back(le, CUT_WIDTH).min(ks), ke) } else { (ks, ke) }
}

/// `file.offset(pos)`, without counting characters on an ASCII line (one
/// line of minified JSON has every finding on it: counting would cost the
/// line's length per finding).
fn offset(file: &crate::input::SourceFile, pos: crate::input::Pos) -> usize {
    use crate::input::Pos;
    let ls = file.offset(Pos { line: pos.line, col: 0 });
    let next = if (pos.line as usize) < file.line_count() { file.offset(Pos { line: pos.line + 1, col: 0 }) } else { file.text.len() };
    let at = ls + pos.col as usize;
    match file.text.get(ls..at) {
        Some(before) if at < next && before.is_ascii() => at,
        _ => file.offset(pos),
    }
}

impl Window {
    /// The lines `span` covers plus `context` lines on each side.
    fn around(file: &crate::input::SourceFile, span: crate::input::Span, context: u32) -> Window {
        use crate::input::Pos;
        let t = file.text.as_str();
        let start = offset(file, span.start);
        let end = offset(file, span.end).max(start);
        let first = span.start.line.max(1).saturating_sub(context).max(1);
        let from = file.offset(Pos { line: first, col: 0 }).min(start);
        let last = span.end.line.max(span.start.line) + context + 1;
        let to = if last as usize > file.line_count() { t.len() } else { file.offset(Pos { line: last, col: 0 }) }.max(end);
        let column = start - file.offset(Pos { line: span.start.line, col: 0 }).min(start);
        let mut text = String::new();
        // Where the span's start and end land in `text`, once known.
        let mut at: [Option<usize>; 2] = [None, None];
        let (mut ls, mut line) = (from, first);
        while ls < to {
            // The line's content is [ls, le), its line break [le, next).
            let next = if (line as usize) < file.line_count() { file.offset(Pos { line: line + 1, col: 0 }).min(to) } else { to };
            let next = if next <= ls { to } else { next };
            let body = &t[ls..next];
            let le = next - if body.ends_with("\r\n") { 2 } else { usize::from(body.ends_with(['\n', '\r'])) };
            let anchor = [start, end].into_iter().find(|p| (ls..=le).contains(p));
            let (ks, ke) = cut(t, ls, le, anchor);
            if ks > ls {
                text.push('…');
            }
            for (p, a) in [start, end].into_iter().zip(at.iter_mut()) {
                if a.is_none() && (ls..ks).contains(&p) {
                    *a = Some(text.len());
                }
            }
            let mut inside = [start, end].map(|p| p.clamp(ks, ke) - ks);
            let shown = crate::text::escape_at(&t[ks..ke], &mut inside);
            for ((p, a), i) in [start, end].into_iter().zip(at.iter_mut()).zip(inside) {
                if a.is_none() && (ks..=ke).contains(&p) {
                    *a = Some(text.len() + i);
                }
            }
            text.push_str(&shown);
            for (p, a) in [start, end].into_iter().zip(at.iter_mut()) {
                if a.is_none() && (ke..next).contains(&p) {
                    *a = Some(text.len());
                }
            }
            if ke < le {
                text.push('…');
            }
            // A lone `\r` breaks the line as the file counts lines, so the numbers hold.
            text.push_str(if &t[le..next] == "\r" { "\n" } else { &t[le..next] });
            ls = next;
            line += 1;
        }
        let [s, e] = at.map(|a| a.unwrap_or(text.len()));
        Window {
            name: crate::text::escape(&file.name).into_owned(),
            text,
            first_line: first as usize - 1,
            span: SourceSpan::new(s.into(), e.max(s) - s),
            column,
        }
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
        // The header's column is the file's, not that of the cut and escaped line.
        let own = *span == self.span && context_lines_before == 0 && context_lines_after == 0;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            if own { self.column } else { inner.column() },
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
        self.finding.help.as_ref().map(|h| Box::new(escape(h)) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = self.finding.object.as_ref().map(|o| escape(&o.to_string()).into_owned());
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

/// The human report as one string (tests, `--output-file`).
pub fn to_string(report: &Report, style: Style) -> String {
    let mut out = Vec::new();
    write(report, style, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("the report is text")
}

/// Writes the human report finding by finding: a run with a million
/// findings never holds its whole output in memory.
pub fn write(report: &Report, style: Style, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let handler = GraphicalReportHandler::new_themed(theme(style.color))
        .with_links(false)
        .with_width(style.width)
        .with_context_lines(CONTEXT_LINES as usize);
    for f in &report.findings {
        let file = &report.files[f.file];
        if let Some(cluster) = &report.cluster {
            out.write_all(live_finding(f, cluster, style.color).as_bytes())?;
            continue;
        }
        let source = Window::around(file, f.span, CONTEXT_LINES + 1);
        let mark = if f.fixable(report.unsafe_fixes) { " [*]" } else { "" };
        let header = if style.color {
            let code = match f.severity {
                Severity::Error => "\x1b[1;31m",
                Severity::Warning => "\x1b[1;33m",
                Severity::Info => "\x1b[1;36m",
            };
            format!("{code}{}[{}]\x1b[0m{mark}\x1b[1m: {}\x1b[0m", f.severity, f.rule, escape(&f.message))
        } else {
            format!("{}[{}]{mark}: {}", f.severity, f.rule, escape(&f.message))
        };
        let span = source.span;
        let diag = Diag { finding: f, header, source, span };
        let mut buf = String::new();
        if handler.render_report(&mut buf, &diag).is_err() {
            buf = format!("{}\n", diag.header);
        }
        // miette indents the header by the (empty) severity icon; keep it flush left.
        out.write_all(buf.trim_start_matches(' ').as_bytes())?;
        out.write_all(b"\n")?;
    }
    for n in &report.notices {
        writeln!(out, "note: {}", escape(&n.to_string()))?;
    }
    out.write_all(summary_line(report).as_bytes())?;
    out.write_all(fixable_line(report).as_bytes())
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
    let header = format!("{}[{}]: {}", f.severity, f.rule, escape(&f.message));
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
    let path = if f.path.is_empty() { "/" } else { &f.path };
    let mut s = format!("{header}\n  --> {}, field {} ({})\n", escape(&object), escape(path), escape(cluster));
    if let Some(h) = &f.help {
        s.push_str(&format!("  help: {}\n", escape(h)));
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
    struct D<'a>(&'a crate::config::ConfigError, Window);
    impl fmt::Display for D<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "invalid config: {}", escape(&self.0.problem.to_string()))
        }
    }
    impl std::error::Error for D<'_> {}
    impl Diagnostic for D<'_> {
        fn source_code(&self) -> Option<&dyn miette::SourceCode> {
            Some(&self.1)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
            Some(Box::new(std::iter::once(LabeledSpan::new_with_span(Some("here".into()), self.1.span))))
        }
    }
    let file = crate::input::SourceFile::new(e.file.clone(), e.text.clone());
    let d = D(e, Window::around(&file, e.span, CONTEXT_LINES + 1));
    let handler = GraphicalReportHandler::new_themed(if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() })
        .with_links(false)
        .with_width(width);
    let mut buf = String::new();
    if handler.render_report(&mut buf, &d).is_err() {
        buf = escape(&e.to_string()).into_owned();
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
        let report = Report::of_one_file(file, vec![finding]);
        to_string(&report, Style { color: false, width: 100 })
    }

    #[test]
    fn a_window_is_numbered_as_the_file_and_shows_no_control_bytes() {
        let mut text: String = (1..=5000).map(|i| format!("k{i}: v{i}\n")).collect();
        text.push_str("bad: \"a\x1b[31m\x07b\"\nlast: x");
        let out = report_one(SourceFile::new("f.yaml", text), Span { start: Pos { line: 5001, col: 5 }, end: Pos { line: 5001, col: 16 } });
        assert!(out.contains("[f.yaml:5001:6]"), "{out}");
        assert!(out.contains("5000 │ k5000: v5000\n"), "{out}");
        assert!(out.contains("5001 │ bad: \"a\\u{1b}[31m\\u{7}b\"\n"), "{out}");
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

    /// The column of the caret (`┬` under a one-character span, `─` under a longer one) on the line below `line`.
    fn caret_under(out: &str, line: &str) -> (usize, String) {
        let mut lines = out.lines();
        let shown = lines.by_ref().find(|l| l.contains(line)).unwrap_or_else(|| panic!("no line with {line:?} in {out}"));
        let marks = lines.next().unwrap();
        let col = marks.chars().position(|c| c == '┬' || c == '─').unwrap_or_else(|| panic!("no caret in {out}"));
        let width = marks.chars().filter(|c| *c == '┬' || *c == '─').count();
        (col, shown.chars().skip(col).take(width).collect())
    }

    #[test]
    fn a_caret_stays_under_its_text_after_an_escaped_control_character() {
        let text = "a: \"\x1b]0;pwned\x07\x1b[2J\"\nkey: \"\x1bx\" # here\nz: 1\n";
        let out = report_one(
            SourceFile::new("f\x1b[2J.yaml", text.into()),
            Span { start: Pos { line: 2, col: 10 }, end: Pos { line: 2, col: 16 } },
        );
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("[f\\u{1b}[2J.yaml:2:11]"), "the file's column, not the escaped line's: {out}");
        assert!(out.contains("1 │ a: \"\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\"\n"), "{out}");
        assert_eq!(caret_under(&out, "2 │ key").1, "# here", "{out}");
        // a span that starts on a control character underlines its escape
        let out = report_one(SourceFile::new("g.yaml", text.into()), Span { start: Pos { line: 2, col: 6 }, end: Pos { line: 2, col: 8 } });
        assert_eq!(caret_under(&out, "2 │ key").1, "\\u{1b}x", "{out}");
    }

    #[test]
    fn a_long_line_is_cut_around_the_finding() {
        // One line of 2,000 objects, past column 65,535 (miette's limit) and
        // with a control character near the finding.
        let objects: Vec<String> = (0..2000).map(|i| format!("{{\"name\":\"app-{i}\",\"image\":\"nginx:latest\"}}")).collect();
        let line = format!("[{}]", objects.join(",")).replace("app-1999\"", "app-1999\x1b\"");
        let col = line.find("nginx:latest\"}]").unwrap();
        assert!(col > 70_000);
        let file = SourceFile::new("min.json", format!("{line}\n"));
        let span = Span { start: Pos { line: 1, col: col as u32 }, end: Pos { line: 1, col: col as u32 + 12 } };
        let out = report_one(file, span);
        assert!(out.contains(&format!("[min.json:1:{}]", col + 1)), "{out}");
        let shown = out.lines().find(|l| l.contains("1 │ ")).unwrap();
        assert!(shown.contains("1 │ …") && shown.ends_with("\"}]"), "{shown}");
        assert!(shown.contains("app-1999\\u{1b}\""), "{shown}");
        assert!(shown.chars().count() < 140, "{shown}");
        assert_eq!(caret_under(&out, "1 │ ").1, "nginx:latest", "{out}");
        // near the line's start, the cut is at the end only; a span past the cut is underlined up to it
        let span = Span { start: Pos { line: 1, col: 2 }, end: Pos { line: 1, col: 1000 } };
        let out = report_one(SourceFile::new("min.json", format!("{line}\n")), span);
        let shown = out.lines().find(|l| l.contains("1 │ ")).unwrap();
        assert!(shown.ends_with(&format!("1 │ {}…", &line[..CUT_WIDTH])), "{shown}");
        let (at, under) = caret_under(&out, "1 │ ");
        assert_eq!(at, shown.chars().position(|c| c == '[').unwrap() + 2, "{out}");
        assert!(under.starts_with("\"name\":\"app-0\"") && !under.contains('…'), "{under}");
        // a long context line is cut too
        let text = format!("a: 1\nb: \"{}\"\nc: 2\n", "x".repeat(100_000));
        let out = report_one(SourceFile::new("c.yaml", text), Span { start: Pos { line: 1, col: 0 }, end: Pos { line: 1, col: 1 } });
        assert!(out.lines().all(|l| l.chars().count() < 200), "{out}");
    }
}
