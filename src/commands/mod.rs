//! The commands: one file per subcommand, each a function from its parsed
//! arguments (src/cli.rs) to an exit code. `main.rs` only parses and dispatches.
//!
//! Exit codes: 0 nothing to report, 1 findings at or above `--fail-on` (or a
//! pending change with `--exit-code`), 2 the command could not do its job
//! (the error is printed after `error:`).

pub mod apply;
pub mod diff;
pub mod finish;
pub mod lint;
pub mod rules;
pub mod shell;
pub mod status;

use crate::config::{self, Config};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// What a command fails with: each layer's error type, boxed; printed after `error:`.
pub type Error = Box<dyn std::error::Error>;

/// A command's result: its exit code.
pub type Exit = Result<u8, Error>;

/// Writes `s` to standard output; a closed pipe (`| head`) is not an error worth a message.
pub(crate) fn write_stdout(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    ignore_broken_pipe(out.write_all(s.as_bytes()).and_then(|_| out.flush()))
}

pub(crate) fn ignore_broken_pipe(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// The config of a run: `--config FILE`, else `.kubectl-strategy.yaml` found from the current
/// directory up to the repository root; none with `--no-config`. The one loader of every command.
pub(crate) fn load_config(file: Option<&Path>, no_config: bool) -> Result<Config, config::ConfigError> {
    if no_config {
        return Ok(Config::default());
    }
    match file.map(Path::to_path_buf).or_else(|| config::discover(Path::new("."))) {
        None => Ok(Config::default()),
        Some(p) => config::load(&p),
    }
}

/// A config error as the user sees it: with a snippet of the file when it is not a read error.
pub(crate) fn config_error(e: config::ConfigError) -> Error {
    match e.problem {
        config::Problem::Read(_) => e.into(),
        _ => crate::report::human::config_error(&e, stderr_color(), terminal_width()).trim_end().to_string().into(),
    }
}

pub(crate) fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && no_color_unset()
}

pub(crate) fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// `COLUMNS` when it is a sensible width, else 100.
pub(crate) fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w| w >= 40).unwrap_or(100)
}

/// `error: …` on standard error for a command that could not do its job; the
/// message may quote the repository, so control characters are escaped.
pub fn print_error(e: &dyn std::error::Error) {
    crate::text::say!("error: {e}");
}
