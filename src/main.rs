//! `kubectl-strategy`: parses the command line and runs the command
//! (src/commands/, one file per command).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use kubectl_strategy::cli::{Cli, Command};
use kubectl_strategy::commands;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => commands::lint::run(args),
        Command::Apply(args) => commands::apply::run(args),
        Command::Promote(args) => commands::finish::promote(args),
        Command::Rollback(args) => commands::finish::rollback(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Status(args) => commands::status::run(args),
        Command::Rules(args) => commands::rules::list(args.format),
        Command::Explain { rule, output } => commands::rules::explain(&rule, output),
        Command::Completions { shell } => commands::shell::completions(shell),
        Command::Man => commands::shell::man(),
        Command::Complete { words } => commands::shell::complete(&words),
        Command::ConfigSchema => commands::rules::config_schema(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            commands::print_error(&*e);
            ExitCode::from(2)
        }
    }
}
