//! Integration tests: one binary, one module per area.

mod ci;
mod cli;
mod corpus;
mod false_alarms;
mod live;
mod live_real;
mod meta;
mod peers;
mod pyyaml;
mod render;
mod rules;
mod strategies;

use kubectl_strategy::config::Config;
use kubectl_strategy::lint::{self, Report};
use kubectl_strategy::report::human::{self, Style};

/// Lint paths with the default config.
pub fn lint(paths: &[&str]) -> Report {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    lint::lint_paths(&paths, &Config::default(), lint::Options::default())
}

/// Human output without colour, at a fixed width.
pub fn human(report: &Report) -> String {
    human::render(report, Style { color: false, width: 100 })
}

/// The built binary.
pub fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-strategy"));
    c.env_remove("NO_COLOR").env("COLUMNS", "100");
    c
}

/// Something from outside the repository that a test needs (a tool, a
/// package's file, ../shared). With KUBECTL_STRATEGY_REQUIRE_TOOLS set (as
/// .ci/run sets it) a missing one fails the test; otherwise the test prints
/// one `SKIPPED:` line on stderr (`cargo test -- --nocapture` shows it) and
/// returns early.
pub fn require(found: bool, what: &str, how: &str) -> bool {
    if !found {
        assert!(std::env::var_os("KUBECTL_STRATEGY_REQUIRE_TOOLS").is_none(), "{what} is required but missing ({how})");
        eprintln!("SKIPPED: {what} is missing ({how})");
    }
    found
}

/// A file from an outside package the tests need (e.g. bash-completion).
pub fn need_file(path: &str, package: &str) -> bool {
    require(std::path::Path::new(path).exists(), path, &format!("install {package}; .ci/run does"))
}

/// A path under ../shared (the real-world corpus, the peer corpus, the SARIF
/// schema), which is checked out beside the repository.
pub fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(rel);
    require(p.exists(), &p.display().to_string(), "check out the shared corpus beside the repository").then_some(p)
}
