use clap::{CommandFactory, Parser};
use kubectl_strategy::cli::{Cli, Color, Command, Format, LintArgs, RulesFormat};
use kubectl_strategy::config::{self, Config, FailOn};
use kubectl_strategy::lint::{self, Report};
use kubectl_strategy::{baseline, docs, report};
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

fn write_stdout(s: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| e.to_string()),
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Command::Lint(args) => lint(args),
        Command::Rules(args) => {
            let text = match args.format {
                RulesFormat::Table => docs::text_table(),
                RulesFormat::Markdown => docs::markdown_table(),
                RulesFormat::Json => {
                    serde_json::to_string_pretty(&docs::all()).map_err(|e| e.to_string())? + "\n"
                }
            };
            write_stdout(&text)?;
            Ok(0)
        }
        Command::Explain { rule } => match docs::get(&rule) {
            Some(d) => {
                write_stdout(&docs::explain(&d))?;
                Ok(0)
            }
            None => Err(format!(
                "unknown rule `{rule}`; `kubectl strategy rules` lists them"
            )),
        },
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kubectl-strategy", &mut buf);
            write_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command().name("kubectl-strategy"))
                .render(&mut buf)
                .map_err(|e| e.to_string())?;
            write_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::ConfigSchema => {
            write_stdout(
                &(serde_json::to_string_pretty(&config::json_schema())
                    .map_err(|e| e.to_string())?
                    + "\n"),
            )?;
            Ok(0)
        }
    }
}

fn load_config(args: &LintArgs) -> Result<Config, String> {
    if args.no_config {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => config::discover(std::path::Path::new(".")),
    };
    match path {
        None => Ok(Config::default()),
        Some(p) => config::load(&p).map_err(|e| {
            if e.text.is_empty() {
                e.to_string()
            } else {
                report::human::render_config_error(&e, stderr_color(), terminal_width())
            }
        }),
    }
}

fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && no_color_unset()
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Human => report::human::render(
            report,
            report::human::Style {
                color,
                width: terminal_width(),
            },
        ),
        Format::Json => report::json::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Github => report::github::render(report),
        Format::Junit => report::junit::render(report),
    }
}

fn lint(args: LintArgs) -> Result<u8, String> {
    let config = load_config(&args).map_err(|e| e.trim_end().to_string())?;
    let mut report = lint::lint_paths(
        &args.paths,
        &config,
        lint::Options {
            isolated: args.isolated,
        },
    );
    if let Some(path) = &args.write_baseline {
        baseline::write(&report, path)?;
        eprintln!(
            "wrote {} findings to {}",
            report.findings.len(),
            path.display()
        );
        return Ok(0);
    }
    if let Some(path) = &args.baseline {
        let known = baseline::filter(&mut report, path)?;
        if known > 0 && args.format == Format::Human {
            report.notices.push(format!(
                "{known} findings already in the baseline {} are not shown",
                path.display()
            ));
        }
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && no_color_unset(),
    };
    for target in &args.outputs {
        let text = render(&report, target.format, false);
        let tmp = target.file.with_extension("kubectl-strategy.tmp");
        std::fs::write(&tmp, text)
            .and_then(|_| std::fs::rename(&tmp, &target.file))
            .map_err(|e| format!("cannot write {}: {e}", target.file.display()))?;
    }
    write_stdout(&render(&report, args.format, color))?;
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Warning);
    let failed = fail_on
        .threshold()
        .is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(100)
}
