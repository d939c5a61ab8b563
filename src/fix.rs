//! Applying rules' fixes (`lint --fix`, `--diff`): the only place that does.
//!
//! Fixes come from a lint run. Each file's fixes are tried one by one on the
//! file's text through the comment-preserving editor; a fix is kept only when
//! the file, linted again, has no finding it did not have before (counted per
//! rule and object) and fewer in all. Fixes whose edits touch a place an
//! earlier fix of the same round touched wait for the next round, which takes
//! its fixes from a fresh lint of the edited text (at most `ROUNDS` rounds).
//! Findings on rendered objects (Kustomize, Helm) carry no fix: an edit of
//! rendered output is lost on the next render.

use crate::config::Config;
use crate::edit::Editor;
use crate::finding::{Finding, Fix, Region};
use crate::lint::Report;
use std::collections::HashMap;
use std::path::Path;

/// Rounds of apply, lint again, apply (overlapping fixes).
pub const ROUNDS: usize = 4;

/// The fixes applied to one file.
#[derive(Clone, Debug)]
pub struct FileFix {
    /// The file's name as linted (a path).
    pub name: String,
    /// The text as read (with its BOM, if any).
    pub before: String,
    pub after: String,
    /// Rule and title of each fix applied.
    pub fixed: Vec<(&'static str, String)>,
    /// Findings gone from the file (linted alone) after the fixes, by rule.
    pub resolved: Vec<(&'static str, usize)>,
}

/// What fixing a run would do.
#[derive(Clone, Debug, Default)]
pub struct FixOutcome {
    /// Files that change, in the order of the run.
    pub files: Vec<FileFix>,
    /// Fixes not applied: their edits failed, or the result had a new finding.
    pub dropped: usize,
}

impl FixOutcome {
    /// Findings fixed, over all files.
    pub fn fixed(&self) -> usize {
        self.files.iter().flat_map(|f| &f.resolved).map(|r| r.1).sum()
    }

    /// The unified diff of every changed file.
    pub fn diff(&self) -> String {
        self.files.iter().map(|f| crate::edit::diff::unified(&f.name, Some(&f.before), Some(&f.after))).collect()
    }

    /// Write every changed file atomically; a file changed on disk since it
    /// was read is refused (and the others are still written).
    pub fn write(&self) -> Vec<FixError> {
        self.files
            .iter()
            .filter_map(|f| {
                crate::edit::diff::write_atomic(Path::new(&f.name), &f.after, Some(&f.before))
                    .err()
                    .map(|e| FixError::Write { file: f.name.clone(), source: e })
            })
            .collect()
    }
}

/// Why a fixed file was not written.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("{file}: not fixed: {source}")]
    Write { file: String, source: std::io::Error },
}

/// Whether a finding's fix may be applied to its file's text.
fn fixable_in_text(f: &Finding, unsafe_fixes: bool) -> bool {
    f.fixable(unsafe_fixes) && f.rendered.is_none() && f.doc.is_some()
}

/// Whether a finding's fix may be applied in this run.
fn applicable(f: &Finding, report: &Report, unsafe_fixes: bool) -> bool {
    fixable_in_text(f, unsafe_fixes)
        && f.file < report.primary_files
        && report.cluster.is_none()
        && report.files.get(f.file).is_some_and(|file| Path::new(&file.name).is_file())
}

/// Plan the fixes of a lint run (nothing is written).
pub fn plan(report: &Report, config: &Config, unsafe_fixes: bool) -> FixOutcome {
    let mut by_file: Vec<(usize, Vec<&Finding>)> = Vec::new();
    for f in report.findings.iter().filter(|f| applicable(f, report, unsafe_fixes)) {
        match by_file.last_mut() {
            Some((i, v)) if *i == f.file => v.push(f),
            _ => by_file.push((f.file, vec![f])),
        }
    }
    let mut out = FixOutcome::default();
    let mut changed: Vec<usize> = Vec::new();
    for (i, findings) in by_file {
        let file = &report.files[i];
        let before = if file.bom > 0 { format!("\u{feff}{}", file.text) } else { file.text.clone() };
        let (after, fixed, dropped) = fix_text(&file.name, &before, findings.into_iter().cloned().collect(), config, unsafe_fixes);
        out.dropped += dropped;
        if after != before {
            let (was, _) = counts(&file.name, &before, config);
            let (now, _) = counts(&file.name, &after, config);
            let mut resolved: Vec<(&'static str, usize)> = Vec::new();
            let mut by_rule: std::collections::BTreeMap<&'static str, i64> = std::collections::BTreeMap::new();
            for ((rule, _), n) in &was {
                *by_rule.entry(rule).or_default() += *n as i64;
            }
            for ((rule, _), n) in &now {
                *by_rule.entry(rule).or_default() -= *n as i64;
            }
            resolved.extend(by_rule.into_iter().filter(|(_, n)| *n > 0).map(|(r, n)| (r, n as usize)));
            out.files.push(FileFix { name: file.name.clone(), before, after, fixed, resolved });
            changed.push(i);
        }
    }
    keep_cross_file_clean(report, config, &mut out, &changed);
    out
}

/// Fix one file's text in memory, as `lint --fix` fixes a file linted
/// alone: the fixed text, the fixes applied (rule, title) and how many were
/// dropped. Used by the fuzz test of fixes.
pub fn fix_source(name: &str, text: &str, config: &Config, unsafe_fixes: bool) -> (String, Vec<(&'static str, String)>, usize) {
    let report = crate::lint::lint_text(name, text.trim_start_matches('\u{feff}'), config);
    let findings = report.findings.into_iter().filter(|f| fixable_in_text(f, unsafe_fixes)).collect();
    fix_text(name, text, findings, config, unsafe_fixes)
}

/// Each file was checked alone; objects in other files of its folder (a
/// Service and its Deployment) may still see a change. Lint each changed
/// file with its folder's files, before and after: a file whose fixes add a
/// finding there is left as it was.
fn keep_cross_file_clean(report: &Report, config: &Config, out: &mut FixOutcome, changed: &[usize]) {
    let folder = |i: usize| Path::new(&report.files[i].name).parent().map(Path::to_path_buf);
    let bad: Vec<bool> = changed
        .iter()
        .zip(&out.files)
        .map(|(&i, fixed)| {
            let dir = folder(i);
            let neighbours: Vec<usize> = (0..report.files.len()).filter(|&j| folder(j) == dir).collect();
            if neighbours.len() < 2 {
                return false;
            }
            let together = |with: Option<&str>| -> Counts {
                let files = neighbours
                    .iter()
                    .map(|&j| {
                        let f = &report.files[j];
                        let text = match with {
                            Some(t) if j == i => t.trim_start_matches('\u{feff}').to_string(),
                            _ => f.text.clone(),
                        };
                        crate::input::SourceFile::new(f.name.clone(), text)
                    })
                    .collect();
                let mut c = Counts::new();
                for f in crate::lint::lint_sources(files, config).findings {
                    *c.entry(key(&f)).or_default() += 1;
                }
                c
            };
            let before = together(None);
            together(Some(&fixed.after)).iter().any(|(k, n)| before.get(k).is_none_or(|b| n > b))
        })
        .collect();
    let mut b = bad.iter();
    out.files.retain(|f| {
        let drop = *b.next().expect("one flag per file");
        if drop {
            out.dropped += f.fixed.len();
        }
        !drop
    });
}

/// Findings counted per rule and object: a fix may lower counts, never raise one.
type Counts = HashMap<(&'static str, String), usize>;

fn counts(name: &str, text: &str, config: &Config) -> (Counts, Vec<Finding>) {
    let report = crate::lint::lint_text(name, text.trim_start_matches('\u{feff}'), config);
    let mut c = Counts::new();
    for f in &report.findings {
        *c.entry(key(f)).or_default() += 1;
    }
    (c, report.findings)
}

fn key(f: &Finding) -> (&'static str, String) {
    (f.rule, f.object.as_ref().map(ToString::to_string).unwrap_or_default())
}

fn no_new_finding(before: &Counts, after: &Counts) -> bool {
    after.iter().all(|(k, n)| before.get(k).is_some_and(|b| n <= b)) && after.values().sum::<usize>() < before.values().sum::<usize>()
}

/// Two edits overlap when one's pointer is the other's or inside it.
fn overlaps(a: &str, b: &str) -> bool {
    let inside = |x: &str, y: &str| x == y || x.strip_prefix(y).is_some_and(|rest| rest.starts_with('/'));
    inside(a, b) || inside(b, a)
}

/// Apply the fixes of one file's findings in rounds. Returns the text, the
/// fixes applied and how many were dropped.
fn fix_text(
    name: &str,
    text: &str,
    mut pending: Vec<Finding>,
    config: &Config,
    unsafe_fixes: bool,
) -> (String, Vec<(&'static str, String)>, usize) {
    let mut editor = Editor::new(name, text);
    let mut fixed = Vec::new();
    let mut dropped = 0;
    // Later rounds take fixes only for what the first lint found.
    let wanted: Vec<(&'static str, String)> = pending.iter().map(key).collect();
    for round in 0..ROUNDS {
        let (mut current, _) = counts(name, &editor.text, config);
        let mut touched: Vec<(usize, String)> = Vec::new();
        let mut deferred = 0;
        for f in &pending {
            let (Some(fix), Some(doc)) = (&f.fix, f.doc) else { continue };
            if fix.edits.iter().any(|e| touched.iter().any(|(d, p)| *d == doc && overlaps(p, e.ptr()))) {
                deferred += 1;
                continue;
            }
            let Some(trial) = try_fix(&editor, doc, fix) else {
                dropped += 1;
                continue;
            };
            let (after, _) = counts(name, &trial.text, config);
            if !no_new_finding(&current, &after) {
                dropped += 1;
                continue;
            }
            editor = trial;
            current = after;
            touched.extend(fix.edits.iter().map(|e| (doc, e.ptr().to_string())));
            fixed.push((f.rule, fix.title.clone()));
        }
        if deferred == 0 || round + 1 == ROUNDS {
            dropped += deferred;
            break;
        }
        let (_, findings) = counts(name, &editor.text, config);
        pending = findings.into_iter().filter(|f| f.fixable(unsafe_fixes) && wanted.contains(&key(f))).collect();
    }
    (editor.text, fixed, dropped)
}

/// The editor after one fix, or `None` when an edit fails, changes nothing
/// or would lose a comment (removing a block takes the comment lines inside it).
fn try_fix(editor: &Editor, doc: usize, fix: &Fix) -> Option<Editor> {
    let mut trial = editor.clone();
    for op in &fix.edits {
        trial.apply(doc, op).ok()?;
    }
    (trial.text != editor.text && keeps_comments(&editor.text, &trial.text)).then_some(trial)
}

/// The comments of a text, counted: from a `#` that starts a line or follows
/// a space or tab, to the line's end. A `#` inside a quoted or block scalar
/// counts too, which only makes the check stricter.
fn comments(text: &str) -> HashMap<&str, usize> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim_end();
        let at = if line.trim_start().starts_with('#') {
            Some(line.len() - line.trim_start().len())
        } else {
            line.find(" #").or_else(|| line.find("\t#")).map(|i| i + 1)
        };
        if let Some(i) = at {
            *out.entry(&line[i..]).or_default() += 1;
        }
    }
    out
}

/// Does `after` keep every comment of `before` (as often)?
fn keeps_comments(before: &str, after: &str) -> bool {
    let now = comments(after);
    comments(before).iter().all(|(c, n)| now.get(c).is_some_and(|m| m >= n))
}

/// The change one fix makes to a file's text (without BOM): the replaced
/// region and the text put there. Serialized as the JSON report's `edits`
/// (`line`, `column`, `endLine`, `endColumn`, `content`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Replacement {
    #[serde(flatten)]
    pub region: Region,
    pub content: String,
}

/// The replacements of a finding's fix in `text` (empty when it does not apply).
/// Each call parses the whole file: reports with many findings use [`Replacer`].
pub fn replacements(text: &str, f: &Finding) -> Vec<Replacement> {
    let (Some(fix), Some(doc)) = (&f.fix, f.doc) else { return Vec::new() };
    replacements_in(text, doc, fix)
}

/// Where one document of a file is: its index, its bytes in the file's text
/// and the line its chunk starts on.
type DocAt = (usize, std::ops::Range<usize>, u32);

/// The replacements of the fixes of a report's findings, for the JSON and SARIF
/// reports. A file's documents are located once, and each fix is tried on the
/// text of its own document, so a big file with many fixable findings costs
/// linear time, not a parse of the whole file per finding.
pub struct Replacer<'a> {
    files: Vec<(&'a str, std::cell::OnceCell<Vec<DocAt>>)>,
}

impl<'a> Replacer<'a> {
    pub fn new(texts: impl IntoIterator<Item = &'a str>) -> Replacer<'a> {
        Replacer { files: texts.into_iter().map(|t| (t, std::cell::OnceCell::new())).collect() }
    }

    /// The replacements of finding `f` of file number `file`.
    pub fn of(&self, file: usize, f: &Finding) -> Vec<Replacement> {
        let (Some(fix), Some(doc)) = (&f.fix, f.doc) else { return Vec::new() };
        let Some((text, docs)) = self.files.get(file) else { return Vec::new() };
        let docs = docs.get_or_init(|| {
            let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
            crate::manifest::parse::parse_stream(&text[bom..])
                .into_iter()
                // The first chunk keeps the BOM so columns on line 1 count as before.
                .map(|d| (d.index, if d.bytes.start == 0 { 0 } else { bom + d.bytes.start }..bom + d.bytes.end, d.first_line))
                .collect()
        });
        // Documents are numbered in order: a binary search, not a scan per finding.
        let Some((_, bytes, first_line)) = docs.binary_search_by_key(&doc, |(i, _, _)| *i).ok().map(|k| &docs[k]) else {
            return replacements_in(text, doc, fix);
        };
        // The chunk is the only document of its own text.
        let mut out = replacements_in(&text[bytes.clone()], 0, fix);
        for r in &mut out {
            r.region.line += first_line - 1;
            r.region.end_line += first_line - 1;
        }
        out
    }
}

fn replacements_in(text: &str, doc: usize, fix: &Fix) -> Vec<Replacement> {
    let editor = Editor::new("", text);
    let Some(after) = try_fix(&editor, doc, fix) else { return Vec::new() };
    let (a, b) = (text.as_bytes(), after.text.as_bytes());
    let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let max_suffix = a.len().min(b.len()) - start;
    let mut suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(x, y)| x == y).count();
    while !text.is_char_boundary(a.len() - suffix) || !after.text.is_char_boundary(b.len() - suffix) {
        suffix -= 1;
    }
    let (line, column) = position(text, start);
    let (end_line, end_column) = position(text, a.len() - suffix);
    let region = Region { line, column, end_line, end_column };
    vec![Replacement { region, content: after.text[start..b.len() - suffix].to_string() }]
}

/// 1-based line and character column of a byte offset.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_comment_is_noticed() {
        let before = "a: 1 # one\n# two\nb:\n  # three\n  c: 2\n";
        assert!(keeps_comments(before, "a: \"1\" # one\n# two\nb:\n  # three\n  c: 2\n"));
        assert!(!keeps_comments(before, "a: 1 # one\n# two\n"));
        assert!(!keeps_comments("# x\n# x\n", "# x\n"));
    }

    #[test]
    fn pointers_overlap_only_along_one_path() {
        assert!(overlaps("/a/b", "/a/b"));
        assert!(overlaps("/a/b/c", "/a/b"));
        assert!(!overlaps("/a/bc", "/a/b"));
        assert!(!overlaps("/a/b", "/a/c"));
    }

    #[test]
    fn replacement_is_the_changed_range() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n    tier: 1 # keep\n";
        let report = crate::lint::lint_text("x.yaml", text, &Config::default());
        let f = report.findings.iter().find(|f| f.rule == "metadata-value-not-string").expect("finding");
        let r = replacements(text, f);
        assert_eq!(r.len(), 1);
        let mut fixed = text.to_string();
        let start = fixed.split_inclusive('\n').take(5).map(str::len).sum::<usize>() + r[0].region.column as usize - 1;
        let end = fixed.split_inclusive('\n').take(5).map(str::len).sum::<usize>() + r[0].region.end_column as usize - 1;
        fixed.replace_range(start..end, &r[0].content);
        assert_eq!(fixed, text.replace("tier: 1", "tier: \"1\""));
    }

    #[test]
    fn replacer_works_per_document_and_agrees_with_the_whole_file() {
        let doc = |n: u32| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{n}\n  labels:\n    tier: {n} # keep\n");
        for text in [
            format!("# head\n{}---\n{}--- # third\n{}", doc(1), doc(2), doc(3)),
            format!("\u{feff}{}---\n{}", doc(1), doc(2)).replace('\n', "\r\n"),
        ] {
            let report = crate::lint::lint_text("x.yaml", &text, &Config::default());
            let fixable: Vec<_> = report.findings.iter().filter(|f| f.fix.is_some()).collect();
            assert!(fixable.len() >= 2, "{fixable:?}");
            let replacer = Replacer::new([text.as_str()]);
            for f in fixable {
                let whole = replacements(&text, f);
                assert!(!whole.is_empty());
                assert_eq!(replacer.of(0, f), whole);
            }
        }
    }
}
