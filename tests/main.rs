//! Integration tests: one binary, one module per area.

mod architecture;
mod ci;
mod cli;
mod corpus;
mod false_alarms;
mod fix;
mod fix_fuzz;
mod live;
mod live_real;
mod meta;
mod peers;
mod pyyaml;
mod render;
mod rules;
mod strategies;
mod strategy_corpus;
mod untrusted;

use kubectl_strategy::config::Config;
use kubectl_strategy::lint::{self, Report};
use kubectl_strategy::report::human::{self, Style};

/// Lint paths with the default config.
pub fn lint(paths: &[&str]) -> Report {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    lint::lint_paths(&paths, &Config::default(), lint::LintOptions::default())
}

/// Human output without colour, at a fixed width.
pub fn human(report: &Report) -> String {
    human::to_string(report, Style { color: false, width: 100 })
}

/// A generated part of a document (README.md, docs/*.md): the text between
/// `<!-- name -->` and `<!-- /name -->` must be `body`. `UPDATE_README=1 cargo
/// test` writes it instead of failing.
pub fn doc_block(file: &str, name: &str, body: &str) {
    let (open, close) = (format!("<!-- {name} -->"), format!("<!-- /{name} -->"));
    let block = format!("{open}\n{body}{close}");
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let start = text.find(&open).unwrap_or_else(|| panic!("{file} has no {open} marker"));
    let end = text.find(&close).unwrap_or_else(|| panic!("{file} has no {close} marker")) + close.len();
    if text[start..end] == block {
        return;
    }
    assert!(std::env::var_os("UPDATE_README").is_some(), "{file}: the {name} block is stale; run UPDATE_README=1 cargo test");
    let mut t = text.clone();
    t.replace_range(start..end, &block);
    std::fs::write(file, t).unwrap();
}

/// Exit code (-1 when killed by a signal), stdout and stderr of a finished process.
pub fn outcome(out: &std::process::Output) -> (i32, String, String) {
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The built binary.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-strategy"));
    c.env_remove("NO_COLOR").env("COLUMNS", "100");
    c
}

/// Something from outside the repository that a test needs (a tool, a
/// package's file, ../shared). With KUBECTL_STRATEGY_REQUIRE_TOOLS set (as
/// .ci/run sets it) a missing one fails the test; otherwise the test is
/// skipped (see [`skip`]) and returns early.
pub fn require(found: bool, what: &str, how: &str) -> bool {
    if !found {
        skip(what, how);
    }
    found
}

/// A test that cannot run because `what` is missing: a failure under
/// KUBECTL_STRATEGY_REQUIRE_TOOLS, otherwise one `SKIPPED:` line per missing
/// thing for the whole run. The line is written to the process's stderr
/// itself: the test harness captures `eprintln!` of passing tests, so a plain
/// `cargo test` would otherwise hide the skip and report a pass.
pub fn skip(what: &str, how: &str) {
    use std::io::Write;
    assert!(std::env::var_os("KUBECTL_STRATEGY_REQUIRE_TOOLS").is_none(), "{what} is required but missing ({how})");
    static SEEN: std::sync::Mutex<std::collections::BTreeSet<String>> = std::sync::Mutex::new(std::collections::BTreeSet::new());
    if SEEN.lock().unwrap_or_else(|e| e.into_inner()).insert(what.to_string()) {
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED: tests that need {what} ({how}; KUBECTL_STRATEGY_REQUIRE_TOOLS=1 makes this a failure)"
        );
    }
}

/// A file from an outside package the tests need (e.g. bash-completion).
pub fn need_file(path: &str, package: &str) -> bool {
    require(std::path::Path::new(path).exists(), path, &format!("install {package}; .ci/run does"))
}

/// A path under ../shared (the real-world corpus, the peer corpus), which is
/// checked out beside the repository. The SARIF schema is in tests/schemas.
pub fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(rel);
    require(p.exists(), &p.display().to_string(), "check out the shared corpus beside the repository").then_some(p)
}
