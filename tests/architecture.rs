//! Imports run one way (ARCHITECTURE.md): no cycle between the top-level modules of
//! `src/`, none between the files of one module folder, and the named layers never
//! import upwards. Read from the source text, as `use crate::…`, `crate::…` paths and
//! `super::…` paths outside comments and `#[cfg(test)]` modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges that must never exist: (importer, imported, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    ("live", "cli", "live takes its own ConnOptions, not clap's arguments"),
    ("live", "report", "live prints its own output; report is the lint report's formats"),
    ("live", "commands", "commands call live, not the reverse"),
    ("strategy", "report", "plans do not depend on the lint report's formats"),
    ("strategy", "live", "live carries plans out; plans know nothing of a cluster"),
    ("strategy", "cli", "strategies take their own values, not clap's arguments"),
    ("lint", "fix", "fix re-lints; lint never fixes"),
    ("lint", "report", "report formats a lint report"),
    ("rules", "config", "rules read the settings rules define; config is built on rules"),
    ("rules", "lint", "the lint pipeline runs the rules"),
    ("manifest", "rules", "rules read manifests"),
    ("input", "manifest", "input is the leaf: files, text and positions"),
    ("finding", "edit", "a finding carries its fix as data"),
    ("finding", "fix", "a finding carries its fix as data"),
];

/// Modules only the binary and the commands may import.
const TOP: &[&str] = &["cli", "commands", "complete", "man"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The source of a file without comments and `#[cfg(test)]` modules.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// The names after `prefix::` in `code`, including each name of a `prefix::{a, b::c}` group.
fn paths_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let pat = format!("{prefix}::");
    let mut rest = code;
    while let Some(i) = rest.find(&pat) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + pat.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(name);
        }
    }
    out
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rs_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The module a file belongs to, `depth` levels below `root` (`strategy/canary.rs` is
/// `strategy` at depth 0 and `canary` at depth 1 below `strategy`).
fn module_of(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "main" | "lib" | "mod" | "bin")).then(|| name.to_string())
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Edges between the modules directly in `dir`: through `crate::` when `dir` is `src/`,
/// through `super::` (and `crate::<parent>::`) below it.
fn graph(dir: &Path, parent: Option<&str>) -> Graph {
    let mods: BTreeSet<String> = std::fs::read_dir(dir).unwrap().filter_map(|e| module_of(dir, &e.unwrap().path())).collect();
    let mut g = Graph::new();
    for file in rs_files(dir) {
        let Some(from) = module_of(dir, &file) else { continue };
        let code = code(&file);
        // From a child file, `super::x` is a sibling; from a grandchild it is its own module.
        let depth = file.strip_prefix(dir).unwrap().components().count();
        let mut targets = match parent {
            None => paths_after(&code, "crate"),
            Some(p) => {
                let mut t = paths_after(&code, &format!("crate::{p}"));
                if depth == 1 {
                    t.extend(paths_after(&code, "super"));
                }
                t
            }
        };
        targets.retain(|t| *t != from && mods.contains(t));
        g.entry(from).or_default().extend(targets);
    }
    g
}

/// A cycle of `g`, as the module names along it.
fn cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(n: &str, g: &Graph, stack: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_import_one_way() {
    let g = graph(&src(), None);
    assert!(g.len() > 10, "the module graph is read: {g:?}");
    if let Some(c) = cycle(&g) {
        panic!("import cycle between top-level modules: {}", c.join(" -> "));
    }
    for (from, to, why) in FORBIDDEN {
        assert!(!g.get(*from).is_some_and(|t| t.contains(*to)), "{from} imports {to}: {why}");
    }
    for (from, tos) in &g {
        for top in TOP {
            assert!(TOP.contains(&from.as_str()) || !tos.contains(*top), "{from} imports {top}: only the binary and the commands may");
        }
    }
}

#[test]
fn files_of_a_module_folder_import_one_way() {
    for e in std::fs::read_dir(src()).unwrap() {
        let dir = e.unwrap().path();
        if !dir.is_dir() || dir.ends_with("bin") {
            continue;
        }
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        if let Some(c) = cycle(&graph(&dir, Some(&name))) {
            panic!("import cycle in src/{name}/: {}", c.join(" -> "));
        }
    }
}

/// The checker itself: a cycle and a forbidden edge are found in a made-up tree.
#[test]
fn the_checker_finds_a_planted_cycle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rs"), "use crate::b::X;\n// use crate::c::Y;\n").unwrap();
    std::fs::write(dir.path().join("b.rs"), "use crate::{c::Z, d};\n").unwrap();
    std::fs::write(dir.path().join("c.rs"), "fn f() { crate::a::g(); }\n").unwrap();
    std::fs::write(dir.path().join("d.rs"), "#[cfg(test)]\nmod tests { use crate::a::X; }\n").unwrap();
    let g = graph(dir.path(), None);
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    assert!(g["d"].is_empty(), "test modules and comments do not count: {g:?}");
    std::fs::write(dir.path().join("c.rs"), "fn f() {}\n").unwrap();
    assert_eq!(cycle(&graph(dir.path(), None)), None);
}
