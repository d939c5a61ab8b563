//! Integration tests: one binary, one module per area.

mod ci;
mod cli;
mod corpus;
mod fake_api;
mod live;
mod meta;
mod peers;
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

/// A file from an outside package the tests need (e.g. bash-completion): with
/// KUBECTL_STRATEGY_REQUIRE_TOOLS set (as .ci/run does) a missing one fails the
/// test; otherwise the test prints one line and skips.
pub fn need_file(path: &str, package: &str) -> bool {
    let found = std::path::Path::new(path).exists();
    if !found {
        assert!(std::env::var_os("KUBECTL_STRATEGY_REQUIRE_TOOLS").is_none(), "{path} ({package}) is required but not installed");
        eprintln!("SKIPPED: {path} is not there (install {package}; .ci/run does)");
    }
    found
}
