//! Integration tests: one binary, one module per area.

mod ci;
mod cli;
mod corpus;
mod false_alarms;
mod fix;
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
