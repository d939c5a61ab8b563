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
    /// was read, or that the user may not write, is refused (and the others
    /// are still written). The files not written leave the outcome, so that
    /// what it counts as fixed afterwards was written.
    pub fn write(&mut self) -> Vec<FixError> {
        let mut errors = Vec::new();
        self.files.retain(|f| match crate::edit::diff::write_atomic(Path::new(&f.name), &f.after, Some(&f.before)) {
            Ok(()) => true,
            Err(source) => {
                errors.push(FixError::Write { file: f.name.clone(), source });
                false
            }
        });
        errors
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
    plan_with_progress(report, config, unsafe_fixes, &mut |_, _| {})
}

/// [`plan`], telling `progress` how many of the run's fixes were tried so far.
pub fn plan_with_progress(report: &Report, config: &Config, unsafe_fixes: bool, progress: Progress<'_>) -> FixOutcome {
    let mut by_file: Vec<(usize, Vec<&Finding>)> = Vec::new();
    for f in report.findings.iter().filter(|f| applicable(f, report, unsafe_fixes)) {
        match by_file.last_mut() {
            Some((i, v)) if *i == f.file => v.push(f),
            _ => by_file.push((f.file, vec![f])),
        }
    }
    let mut out = FixOutcome::default();
    let mut changed: Vec<usize> = Vec::new();
    let total: usize = by_file.iter().map(|(_, f)| f.len()).sum();
    let mut done = 0;
    for (i, findings) in by_file {
        let file = &report.files[i];
        let before = if file.bom > 0 { format!("\u{feff}{}", file.text) } else { file.text.clone() };
        let n = findings.len();
        let mut tell = |tried: usize, _: usize| progress(done + tried, total);
        let (after, fixed, dropped) =
            fix_text(&file.name, &before, findings.into_iter().cloned().collect(), config, unsafe_fixes, &mut tell);
        done += n;
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
    fix_text(name, text, findings, config, unsafe_fixes, &mut |_, _| {})
}

/// Each file was checked alone; objects in other files of its folder (a
/// Service and its Deployment) may still see a change. Lint each folder
/// with changed files, before and with all its fixes: when that adds a
/// finding, each changed file of the folder is linted with its folder's
/// files again, alone with its fixes, and a file whose fixes add a finding
/// there is left as it was. A folder costs two lints when nothing is added.
fn keep_cross_file_clean(report: &Report, config: &Config, out: &mut FixOutcome, changed: &[usize]) {
    let folder = |i: usize| Path::new(&report.files[i].name).parent().map(Path::to_path_buf);
    let mut folders: std::collections::BTreeMap<Option<std::path::PathBuf>, Vec<usize>> = Default::default();
    for (j, _) in report.files.iter().enumerate() {
        folders.entry(folder(j)).or_default().push(j);
    }
    // The fixed text of each changed file, by file index.
    let fixed: HashMap<usize, &str> = changed.iter().zip(&out.files).map(|(&i, f)| (i, f.after.as_str())).collect();
    // The folder's findings, with the fixes of the files in `with`.
    let together = |neighbours: &[usize], with: &[usize]| -> Counts {
        let with: std::collections::HashSet<usize> = with.iter().copied().collect();
        let files = neighbours
            .iter()
            .map(|&j| {
                let f = &report.files[j];
                let text = match fixed.get(&j).filter(|_| with.contains(&j)) {
                    Some(t) => t.trim_start_matches('\u{feff}').to_string(),
                    None => f.text.clone(),
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
    let adds = |before: &Counts, after: &Counts| after.iter().any(|(k, n)| before.get(k).is_none_or(|b| n > b));
    let mut bad: std::collections::HashSet<usize> = Default::default();
    for neighbours in folders.values().filter(|n| n.len() >= 2) {
        let mine: Vec<usize> = neighbours.iter().copied().filter(|j| fixed.contains_key(j)).collect();
        if mine.is_empty() {
            continue;
        }
        let before = together(neighbours, &[]);
        if !adds(&before, &together(neighbours, &mine)) {
            continue;
        }
        for &i in &mine {
            if adds(&before, &together(neighbours, &[i])) {
                bad.insert(i);
            }
        }
    }
    let mut at = changed.iter();
    out.files.retain(|f| {
        let drop = bad.contains(at.next().expect("one index per file"));
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

/// One document's chunk of a file after its fixes: the chunk's bytes in the
/// text the round started from, its new text, and the fixes that made it.
struct Change<'f> {
    bytes: std::ops::Range<usize>,
    text: String,
    /// Each fix's finding, with its document's index among those of the
    /// chunk (almost always 0).
    fixes: Vec<(usize, &'f Finding)>,
}

/// `text` with each change's chunk replaced, in one pass (the changes are
/// sorted by position and never overlap: one per chunk).
fn splice_all(text: &str, changes: &[&Change<'_>]) -> String {
    let mut sorted: Vec<&Change<'_>> = changes.to_vec();
    sorted.sort_by_key(|c| c.bytes.start);
    let mut out = String::with_capacity(text.len() + sorted.iter().map(|c| c.text.len()).sum::<usize>());
    let mut at = 0;
    for c in sorted {
        out.push_str(&text[at..c.bytes.start]);
        out.push_str(&c.text);
        at = c.bytes.end;
    }
    out.push_str(&text[at..]);
    out
}

/// How fixes are reported as they are tried: (tried, total) of the first round.
pub type Progress<'p> = &'p mut dyn FnMut(usize, usize);

/// Apply the fixes of one file's findings in rounds. Returns the text, the
/// fixes applied and how many were dropped.
///
/// Each round costs time linear in the file, not in the file times its
/// fixes: every fix is tried on the text of its own document and checked on
/// that document linted alone (no finding of the document may be added).
/// The changed documents are then put back in one pass and the file is
/// linted once: when nothing was added and the findings fell by at least one
/// per fix, the round's fixes are kept. Otherwise a fix changed what other
/// documents of the file report, and the changed documents are halved until
/// the culprits are found; each of those is fixed again one fix at a time,
/// each fix checked on the whole file (as before this batching).
fn fix_text(
    name: &str,
    text: &str,
    mut pending: Vec<Finding>,
    config: &Config,
    unsafe_fixes: bool,
    progress: Progress<'_>,
) -> (String, Vec<(&'static str, String)>, usize) {
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut current = text.to_string();
    let mut fixed = Vec::new();
    let mut dropped = 0;
    let total = pending.len();
    let mut tried = 0;
    // Later rounds take fixes only for what the first lint found.
    let wanted: Vec<(&'static str, String)> = pending.iter().map(key).collect();
    let mut current_counts = counts(name, &current, config).0;
    for round in 0..ROUNDS {
        let docs = crate::manifest::parse::parse_stream(&current[bom..]);
        // Each finding's chunk: its bytes in `current` and the document's index in it.
        let mut by_chunk: std::collections::BTreeMap<usize, Change<'_>> = Default::default();
        // The first document of each chunk (a List's items share its bytes), and
        // the file's line end: found once per round, not once per finding.
        let mut first_of: HashMap<usize, usize> = HashMap::new();
        for d in &docs {
            first_of.entry(d.bytes.start).or_insert(d.index);
        }
        let nl = Editor::line_end_of(&current);
        for f in &pending {
            let Some(d) = f.doc.and_then(|i| docs.get(i)).filter(|d| Some(d.index) == f.doc) else {
                dropped += 1;
                continue;
            };
            let first = first_of.get(&d.bytes.start).copied().unwrap_or(d.index);
            // The first chunk keeps the BOM, which is not part of any document's text.
            let bytes = if d.bytes.start == 0 { 0 } else { bom + d.bytes.start }..bom + d.bytes.end;
            by_chunk
                .entry(bytes.start)
                .or_insert_with(|| Change { bytes, text: String::new(), fixes: Vec::new() })
                .fixes
                .push((d.index - first, f));
        }
        let mut changes: Vec<Change<'_>> = Vec::new();
        let mut deferred = 0;
        for (_, Change { bytes, fixes, .. }) in by_chunk {
            let chunk = &current[bytes.clone()];
            let mut editor = Editor::new(name, chunk).with_line_end(nl);
            let mut chunk_counts = counts(name, chunk, config).0;
            let mut touched: Vec<(usize, String)> = Vec::new();
            let mut kept: Vec<(usize, &Finding)> = Vec::new();
            for (doc, f) in fixes {
                if round == 0 {
                    tried += 1;
                    progress(tried, total);
                }
                let Some(fix) = &f.fix else { continue };
                if fix.edits.iter().any(|e| touched.iter().any(|(d, p)| *d == doc && overlaps(p, e.ptr()))) {
                    deferred += 1;
                    continue;
                }
                let Some(trial) = try_fix(&editor, doc, fix) else {
                    dropped += 1;
                    continue;
                };
                // The document alone may not get a finding it did not have;
                // whether the file's findings fell is checked below, for all at once.
                let after = counts(name, &trial.text, config).0;
                if !after.iter().all(|(k, n)| chunk_counts.get(k).is_some_and(|b| n <= b)) {
                    dropped += 1;
                    continue;
                }
                editor = trial;
                chunk_counts = after;
                touched.extend(fix.edits.iter().map(|e| (doc, e.ptr().to_string())));
                kept.push((doc, f));
            }
            if !kept.is_empty() {
                changes.push(Change { bytes, text: editor.text, fixes: kept });
            }
        }
        let mut settle = Settle { name, base: &current, nl, config, kept: Vec::new(), counts: current_counts.clone(), dropped: 0 };
        settle.group(changes);
        dropped += settle.dropped;
        for c in &settle.kept {
            fixed.extend(c.fixes.iter().filter_map(|(_, f)| f.fix.as_ref().map(|x| (f.rule, x.title.clone()))));
        }
        let kept: Vec<&Change<'_>> = settle.kept.iter().collect();
        let next = splice_all(&current, &kept);
        current_counts = settle.counts;
        current = next;
        if deferred == 0 || round + 1 == ROUNDS {
            dropped += deferred;
            break;
        }
        let (_, findings) = counts(name, &current, config);
        pending = findings.into_iter().filter(|f| f.fixable(unsafe_fixes) && wanted.contains(&key(f))).collect();
    }
    (current, fixed, dropped)
}

/// The fixed chunks of one round, checked on the whole file.
struct Settle<'a, 'f> {
    name: &'a str,
    /// The text the round started from.
    base: &'a str,
    /// The line end of `base` ([`Editor::line_end_of`]).
    nl: &'static str,
    config: &'a Config,
    /// The chunks kept so far.
    kept: Vec<Change<'f>>,
    /// The file's findings with the kept chunks.
    counts: Counts,
    dropped: usize,
}

impl<'f> Settle<'_, 'f> {
    /// The file's findings with the kept chunks and `more`.
    fn lint_with(&self, more: &[&Change<'f>]) -> Counts {
        let all: Vec<&Change<'f>> = self.kept.iter().chain(more.iter().copied()).collect();
        counts(self.name, &splice_all(self.base, &all), self.config).0
    }

    /// Keep a group of changed chunks when, with them, the file has no new
    /// finding and at least one fewer per fix; else halve it.
    fn group(&mut self, mut group: Vec<Change<'f>>) {
        if group.is_empty() {
            return;
        }
        let after = self.lint_with(&group.iter().collect::<Vec<_>>());
        let fixes: usize = group.iter().map(|c| c.fixes.len()).sum();
        let no_new = after.iter().all(|(k, n)| self.counts.get(k).is_some_and(|b| n <= b));
        if no_new && after.values().sum::<usize>() + fixes <= self.counts.values().sum::<usize>() {
            self.kept.extend(group);
            self.counts = after;
            return;
        }
        if group.len() > 1 {
            let second = group.split_off(group.len() / 2);
            self.group(group);
            self.group(second);
            return;
        }
        let one = group.pop().expect("one change");
        self.one_by_one(one);
    }

    /// A chunk whose fixes together add a finding to the file: its fixes
    /// again, one at a time, each kept only when the file has no new finding
    /// and fewer in all.
    fn one_by_one(&mut self, change: Change<'f>) {
        let chunk = &self.base[change.bytes.clone()];
        let mut editor = Editor::new(self.name, chunk).with_line_end(self.nl);
        let mut kept = Vec::new();
        for (doc, f) in change.fixes {
            let Some(fix) = &f.fix else { continue };
            let Some(trial) = try_fix(&editor, doc, fix) else {
                self.dropped += 1;
                continue;
            };
            let candidate = Change { bytes: change.bytes.clone(), text: trial.text.clone(), fixes: Vec::new() };
            let after = self.lint_with(&[&candidate]);
            if !no_new_finding(&self.counts, &after) {
                self.dropped += 1;
                continue;
            }
            editor = trial;
            self.counts = after;
            kept.push((doc, f));
        }
        if !kept.is_empty() {
            self.kept.push(Change { bytes: change.bytes, text: editor.text, fixes: kept });
        }
    }
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
