//! Suppressions: the object annotation `ignore-check.kubectl-strategy.io/<id>`
//! and the comment `# kubectl-strategy: ignore[<id>,…]` on a line of the
//! finding or the line above. A suppression that suppresses nothing is
//! reported as `unused-suppression`.

use crate::config::Config;
use crate::finding::Finding;
use crate::input::SourceFile;
use crate::input::{Pos, Span};
use crate::manifest::{Light, Object, Target};
use std::collections::HashMap;
use std::sync::OnceLock;

pub(crate) const ANNOTATION_PREFIX: &str = "ignore-check.kubectl-strategy.io/";
use crate::rules::unused_suppression::{ID as UNUSED, SEVERITY};

struct Suppression {
    file: usize,
    rule: String,
    /// Object suppressions: (document, pointer base); comment suppressions: the line.
    scope: Scope,
    at: Finding,
}

enum Scope {
    Object { doc: usize, base: String },
    Line(u32),
}

fn comment_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"#\s*kubectl-strategy:\s*ignore\[([^\]]*)\]").expect("valid regex"))
}

/// The suppressions objects carry in their annotations, read from their
/// trees (a run drops them before the suppressions apply).
pub(crate) struct Annotated(Vec<Suppression>);

impl Annotated {
    pub(crate) fn extend(&mut self, more: Annotated) {
        self.0.extend(more.0);
    }
}

/// The annotation suppressions of the objects of the first `files` files
/// (objects of context-only files beyond them are not reported on).
pub(crate) fn annotated(files: usize, objects: &[Object<Light>]) -> Annotated {
    let mut out = Vec::new();
    for obj in objects.iter().filter(|o| o.file < files) {
        let Some(ann) = obj.root.pointer("/metadata/annotations").and_then(|a| a.as_map()) else {
            continue;
        };
        for e in ann {
            let Some(rule) = e.key_str().and_then(|k| k.strip_prefix(ANNOTATION_PREFIX)) else {
                continue;
            };
            let ptr = format!("/metadata/annotations/{}", crate::manifest::tree::escape(e.key_str().unwrap_or_default()));
            let at = obj.finding(UNUSED, SEVERITY, &ptr, Target::Key, String::new());
            out.push(Suppression {
                file: obj.file,
                rule: rule.to_string(),
                scope: Scope::Object { doc: obj.doc, base: obj.base.clone() },
                at,
            });
        }
    }
    Annotated(out)
}

/// The annotation suppressions, then the comment suppressions of `files`.
fn collect(files: &[SourceFile], annotated: Annotated) -> Vec<Suppression> {
    let mut out = annotated.0;
    for (i, file) in files.iter().enumerate() {
        if !file.text.contains("kubectl-strategy:") {
            continue;
        }
        for (n, line) in file.text.lines().enumerate() {
            let Some(c) = comment_re().captures(line) else {
                continue;
            };
            let m = c.get(0).expect("whole match");
            let line_no = n as u32 + 1;
            let col = line[..m.start()].chars().count() as u32;
            let width = m.as_str().chars().count() as u32;
            for rule in c[1].split(',').map(str::trim).filter(|r| !r.is_empty()) {
                out.push(Suppression {
                    file: i,
                    rule: rule.to_string(),
                    scope: Scope::Line(line_no),
                    at: Finding::new(
                        UNUSED,
                        SEVERITY,
                        i,
                        Span { start: Pos { line: line_no, col }, end: Pos { line: line_no, col: col + width } },
                        "",
                    ),
                });
            }
        }
    }
    out
}

/// Does `s` cover `f`, a finding of its file and rule (`apply` looks suppressions up by both)?
fn covers(s: &Suppression, f: &Finding) -> bool {
    match &s.scope {
        Scope::Object { doc, base } => f.doc == Some(*doc) && f.object.is_some() && f.path.starts_with(base.as_str()),
        Scope::Line(l) => (f.span.start.line..=f.span.end.line.max(f.span.start.line)).contains(l) || f.span.start.line == l + 1,
    }
}

/// Drop suppressed findings and report suppressions that matched nothing.
pub(crate) fn apply(findings: &mut Vec<Finding>, files: &[SourceFile], annotated: Annotated, config: &Config) {
    let sups = collect(files, annotated);
    if sups.is_empty() {
        return;
    }
    // Suppressions by file and rule: each finding looks only at its own
    // (a repository can hold one per object and a finding per object).
    let mut by_rule: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
    for (i, s) in sups.iter().enumerate() {
        by_rule.entry((s.file, s.rule.as_str())).or_default().push(i);
    }
    let mut used = vec![false; sups.len()];
    findings.retain(|f| {
        let mut suppressed = false;
        for &i in by_rule.get(&(f.file, f.rule)).into_iter().flatten().filter(|&&i| covers(&sups[i], f)) {
            used[i] = true;
            suppressed = true;
        }
        !suppressed
    });
    drop(by_rule);
    if !config.enabled(UNUSED) {
        return;
    }
    for (s, _) in sups.into_iter().zip(used).filter(|(_, used)| !used) {
        let known = crate::rules::find(&s.rule).is_some();
        if known && !config.enabled(&s.rule) {
            continue; // the rule is off: nothing to suppress, nothing to nag about
        }
        let mut f = s.at;
        f.message = if known {
            format!("suppression of {} matches no finding", s.rule)
        } else {
            format!("suppression names unknown rule `{}`", s.rule)
        };
        f.help = Some("remove the stale suppression so it cannot hide a future finding".into());
        findings.push(f);
    }
}
