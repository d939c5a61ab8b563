//! Command-line interface (clap derive types).

pub use crate::config::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Audit Kubernetes manifests for safe rollouts and rewrite them to a deployment strategy.
#[derive(Debug, Parser)]
#[command(name = "kubectl-strategy", bin_name = "kubectl strategy", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// kubectl's connection flags, accepted on every command.
#[derive(Debug, Args, Clone, Default)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (as kubectl)
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<String>,
    /// The kubeconfig context to use (as kubectl)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace (as kubectl)
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit manifests (files, directories, or - for stdin)
    Lint(LintArgs),
    /// List the rule catalogue
    Rules(RulesArgs),
    /// Explain a rule: why it matters, a bad and a good example, how to fix
    Explain {
        /// Rule ID, e.g. readiness-probe-missing
        rule: String,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Print the JSON Schema of .kubectl-strategy.yaml
    ConfigSchema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style diagnostics with source snippets
    Human,
    /// the v1 JSON contract
    Json,
    /// SARIF 2.1.0 for code scanning
    Sarif,
    /// GitHub Actions workflow commands (PR annotations)
    Github,
    /// JUnit XML, one testcase per object
    Junit,
}

/// `FORMAT=FILE`: an extra output written to a file.
#[derive(Debug, Clone)]
pub struct OutputTarget {
    pub format: Format,
    pub file: std::path::PathBuf,
}

fn parse_output(s: &str) -> Result<OutputTarget, String> {
    let (f, file) = s
        .split_once('=')
        .ok_or("expected FORMAT=FILE, e.g. sarif=results.sarif")?;
    let format = Format::from_str(f, true).map_err(|_| {
        format!("unknown format `{f}`; expected human, json, sarif, github or junit")
    })?;
    if file.is_empty() {
        return Err("the file name is empty".into());
    }
    Ok(OutputTarget {
        format,
        file: file.into(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint; - reads standard input
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,
    /// Output format on standard output
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write FORMAT to FILE (repeatable), e.g. --output sarif=results.sarif
    #[arg(short = 'o', long = "output", value_name = "FORMAT=FILE", value_parser = parse_output)]
    pub outputs: Vec<OutputTarget>,
    /// Exit 1 when a finding at or above this severity exists [default: warning, or the config's fail-on]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Config file [default: .kubectl-strategy.yaml in this directory or a parent, up to the repository root]
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Ignore any config file
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Report only findings that are not in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<std::path::PathBuf>,
    /// Record the current findings as a baseline in FILE, and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<std::path::PathBuf>,
    /// Lint only the named files: do not read the manifests beside them as context for cross-object rules
    #[arg(long)]
    pub isolated: bool,
    /// Colour for human output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(short = 'f', long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}
