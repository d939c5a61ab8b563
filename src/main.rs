use clap::Parser;
use kubectl_strategy::cli::{Cli, Color, Command, FailOn, Format, RulesFormat};
use kubectl_strategy::config::Config;
use kubectl_strategy::finding::Severity;
use kubectl_strategy::{docs, lint, report};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    let mut stdout = std::io::stdout().lock();
    let out = |s: &str, w: &mut dyn Write| w.write_all(s.as_bytes()).map_err(|e| e.to_string());
    match cli.command {
        Command::Lint(args) => {
            let config = Config::default();
            let report = lint::lint_paths(&args.paths, &config);
            let text = match args.format {
                Format::Json => report::json::render(&report),
                Format::Human => {
                    let color = match args.color {
                        Color::Always => true,
                        Color::Never => false,
                        Color::Auto => {
                            std::io::stdout().is_terminal()
                                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                        }
                    };
                    report::human::render(
                        &report,
                        report::human::Style {
                            color,
                            width: terminal_width(),
                        },
                    )
                }
            };
            out(&text, &mut stdout)?;
            let threshold = match args.fail_on {
                FailOn::Error => Some(Severity::Error),
                FailOn::Warning => Some(Severity::Warning),
                FailOn::Info => Some(Severity::Info),
                FailOn::Never => None,
            };
            let failed = threshold.is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
            Ok(u8::from(failed))
        }
        Command::Rules(args) => {
            let text = match args.format {
                RulesFormat::Table => docs::text_table(),
                RulesFormat::Markdown => docs::markdown_table(),
                RulesFormat::Json => {
                    serde_json::to_string_pretty(&docs::all()).map_err(|e| e.to_string())? + "\n"
                }
            };
            out(&text, &mut stdout)?;
            Ok(0)
        }
        Command::Explain { rule } => match docs::get(&rule) {
            Some(d) => {
                out(&docs::explain(&d), &mut stdout)?;
                Ok(0)
            }
            None => Err(format!(
                "unknown rule `{rule}`; `kubectl strategy rules` lists them"
            )),
        },
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(100)
}
