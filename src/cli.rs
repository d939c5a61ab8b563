//! Command-line interface (clap derive types).

pub use crate::config::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Audit Kubernetes manifests for safe rollouts and rewrite them to a deployment strategy.
#[derive(Debug, Parser)]
#[command(name = "kubectl-strategy", bin_name = "kubectl strategy", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// kubectl's connection flags, on the commands that talk to a cluster.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Cluster connection (as kubectl)")]
pub struct KubeArgs {
    /// Path to the kubeconfig file (as kubectl)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<String>,
    /// The kubeconfig context to use (as kubectl)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace (as kubectl)
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// How long to wait for each answer of the API server, e.g. 30s or 2m; 0 waits forever (as kubectl)
    #[arg(long, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Read large lists in pages of this many objects; 0 reads them at once (as kubectl)
    #[arg(long, value_name = "N", default_value_t = 500, hide_default_value = true)]
    pub chunk_size: usize,
    /// Log every API request (method, URL, status, time) to standard error; never bodies or credentials
    #[arg(short = 'v', long = "v", value_name = "LEVEL", default_value_t = 0, hide_default_value = true)]
    pub verbose: u8,
}

impl From<&KubeArgs> for crate::live::ConnOptions {
    fn from(a: &KubeArgs) -> Self {
        crate::live::ConnOptions {
            kubeconfig: a.kubeconfig.clone(),
            context: a.context.clone(),
            namespace: a.namespace.clone(),
            request_timeout: a.request_timeout.clone(),
            chunk_size: a.chunk_size,
            verbose: a.verbose,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit manifests (files, directories, or - for stdin)
    Lint(LintArgs),
    /// List the rule catalogue
    Rules(RulesArgs),
    /// Plan a deployment strategy for a Deployment and show the diff of the next step (--write performs it)
    Apply(ApplyArgs),
    /// Promote: blue/green switches the Service to the idle slot; canary moves the canary's images into stable
    Promote(PromoteArgs),
    /// Roll back: blue/green switches the Service back; canary removes the canary
    Rollback(FinishArgs),
    /// Show what applying the manifests would change in the cluster (server-side dry run, like kubectl diff --server-side)
    Diff(DiffArgs),
    /// Show a live rollout: each track's progress, where the Service routes, how many of its pods are ready
    Status(StatusArgs),
    /// Explain a rule: why it matters, a bad and a good example, how to fix
    Explain {
        /// Rule ID, e.g. readiness-probe-missing
        rule: String,
        /// Output format
        #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT", default_value_t = ExplainFormat::Text)]
        output: ExplainFormat,
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
    /// Completion candidates in kubectl's plugin protocol (run by kubectl_complete-strategy)
    #[command(name = "__complete", hide = true)]
    Complete {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// headed sections for a terminal
    Text,
    /// the rule's documentation as JSON (as `rules -o json`)
    Json,
}

/// `-o/--output FORMAT`, with a hint for the `FORMAT=FILE` form, which is `--output-file`.
#[derive(Clone)]
struct FormatParser;

impl clap::builder::TypedValueParser for FormatParser {
    type Value = Format;
    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &std::ffi::OsStr) -> Result<Format, clap::Error> {
        let s = value.to_string_lossy();
        if let Some((f, _)) = s.split_once('=') {
            let msg = format!("-o/--output takes a format only; to write {f} to a file use --output-file {s}\n");
            return Err(clap::Error::raw(clap::error::ErrorKind::InvalidValue, msg).with_cmd(cmd));
        }
        clap::builder::EnumValueParser::<Format>::new().parse_ref(cmd, arg, value)
    }
    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(Format::value_variants().iter().filter_map(ValueEnum::to_possible_value)))
    }
}

/// `FORMAT=FILE`: an extra output written to a file.
#[derive(Debug, Clone)]
pub struct OutputTarget {
    pub format: Format,
    pub file: std::path::PathBuf,
}

/// Why an `--output FORMAT=FILE` does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputTargetError {
    #[error("expected FORMAT=FILE, e.g. sarif=results.sarif")]
    NoEquals,
    #[error("unknown format `{0}`; expected human, json, sarif, github or junit")]
    UnknownFormat(String),
    #[error("the file name is empty")]
    EmptyFile,
}

fn parse_output(s: &str) -> Result<OutputTarget, OutputTargetError> {
    let (f, file) = s.split_once('=').ok_or(OutputTargetError::NoEquals)?;
    let format = Format::from_str(f, true).map_err(|_| OutputTargetError::UnknownFormat(f.to_string()))?;
    if file.is_empty() {
        return Err(OutputTargetError::EmptyFile);
    }
    Ok(OutputTarget { format, file: file.into() })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint; - reads standard input [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// A file or directory to lint, - for standard input, as kubectl -f (repeatable)
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,
    /// Output format on standard output
    #[arg(short = 'o', long = "output", alias = "format", value_name = "FORMAT", value_parser = FormatParser, default_value = "human")]
    pub format: Format,
    /// Also write FORMAT to FILE (repeatable), e.g. --output-file sarif=results.sarif
    #[arg(long = "output-file", value_name = "FORMAT=FILE", value_parser = parse_output)]
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
    /// Report only findings on lines changed since the git revision REV (and cross-object findings in changed files)
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Lint only the named files: do not read the manifests beside them as context for cross-object rules
    #[arg(long)]
    pub isolated: bool,
    /// The file name to report findings in standard input (-) under, e.g. the path an editor holds
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,
    /// Colour for human output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Audit the live workloads of the cluster (the namespace of -n or the context) instead of files
    #[arg(long, conflicts_with_all = ["isolated", "baseline", "write_baseline", "paths", "filenames", "changed_since"])]
    pub cluster: bool,
    /// With --cluster: every namespace
    #[arg(short = 'A', long, requires = "cluster")]
    pub all_namespaces: bool,
    /// Apply the safe fixes to the files, then report what is left
    #[arg(long, conflicts_with_all = ["cluster", "write_baseline"])]
    pub fix: bool,
    /// Also apply (with --fix), show (with --diff) and mark as fixable the unsafe fixes (they change behaviour)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the unified diff of what --fix would write, change nothing (also with --fix); exit 1 when there is something to fix
    #[arg(long, conflicts_with_all = ["cluster", "write_baseline"])]
    pub diff: bool,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
}

impl LintArgs {
    /// The positional paths and the -f paths, in that order; `.` when there are none.
    pub fn all_paths(&self) -> Vec<String> {
        with_filenames(&self.paths, &self.filenames)
    }
}

/// Positional paths followed by `-f/--filename` paths; `.` when both are empty.
pub fn with_filenames(paths: &[String], filenames: &[String]) -> Vec<String> {
    let mut all: Vec<String> = paths.iter().chain(filenames).cloned().collect();
    if all.is_empty() {
        all.push(".".into());
    }
    all
}

/// How Kustomize roots and Helm charts are rendered before they are linted.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Kustomize and Helm")]
pub struct RenderArgs {
    /// Lint kustomizations and charts file by file instead of what they render to
    #[arg(long)]
    pub no_render: bool,
    /// The kustomize binary [default: kustomize on PATH, else `kubectl kustomize`]
    #[arg(long, value_name = "PATH")]
    pub kustomize_bin: Option<std::path::PathBuf>,
    /// The helm binary [default: helm on PATH]
    #[arg(long, value_name = "PATH")]
    pub helm_bin: Option<std::path::PathBuf>,
    /// A values file for every chart, after the chart's values.yaml (repeatable)
    #[arg(long, value_name = "FILE")]
    pub helm_values: Vec<std::path::PathBuf>,
    /// A value for every chart, as helm --set takes it (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub helm_set: Vec<String>,
    /// Fetch remote Kustomize bases and resources (URLs, git); off by default, safe on untrusted pull requests
    #[arg(long)]
    pub allow_remote: bool,
    /// A chart or kustomization that cannot be rendered for want of helm or kustomize is an error, not a warning
    #[arg(long)]
    pub require_render: bool,
    /// The Kubernetes version the manifests are for, e.g. v1.36 or 1.36.2: removed and deprecated API versions are judged at it, and charts are rendered for it (helm template --kube-version) [default: kubernetesVersion in the config (a chart's kube-version for its render), else v1.36.2]
    #[arg(long, value_name = "VERSION", value_parser = kube_version)]
    pub kube_version: Option<String>,
    /// Time limit for rendering one root, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub render_timeout: u64,
}

impl RenderArgs {
    pub fn options(&self) -> crate::render::RenderOptions {
        crate::render::RenderOptions {
            enabled: !self.no_render,
            kustomize_bin: self.kustomize_bin.clone(),
            helm_bin: self.helm_bin.clone(),
            helm: crate::render::HelmValues { files: self.helm_values.clone(), set: self.helm_set.clone(), kube_version: None },
            helm_charts: Default::default(),
            allow_remote: self.allow_remote,
            timeout: std::time::Duration::from_secs(self.render_timeout.max(1)),
            kube_version: self.kube_version.clone(),
        }
    }
}

/// `--kube-version`: `v1.36`, `1.36.2` (digits and dots, an optional leading `v`).
fn kube_version(s: &str) -> Result<String, String> {
    if crate::manifest::version::valid(s) {
        Ok(s.to_string())
    } else {
        Err("expected a Kubernetes version such as v1.36 or 1.36.2".to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format
    #[arg(short = 'o', long = "output", alias = "format", value_enum, value_name = "FORMAT", default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
}

/// How a plan is shown or carried out.
#[derive(Debug, Args, Clone)]
pub struct PlanOutput {
    /// Perform the step (atomic writes; files changed since they were read are refused)
    #[arg(long)]
    pub write: bool,
    /// The step to show or perform (1-based; default: the next pending step)
    #[arg(long, value_name = "N")]
    pub step: Option<usize>,
    /// Print the resulting objects instead of a diff
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<crate::strategy::ObjectFormat>,
    /// Exit 1 when the step would change something, 0 when nothing is pending
    #[arg(long)]
    pub exit_code: bool,
    /// Carry out the steps in the cluster with server-side apply (the files stay as they are unless --write)
    #[arg(long, conflicts_with = "output")]
    pub live: bool,
    /// With --live: take over fields that other field managers own
    #[arg(long, requires = "live")]
    pub force_conflicts: bool,
    /// With --live: the field manager of the server-side applies (as kubectl)
    #[arg(long, requires = "live", value_name = "NAME", default_value = crate::live::FIELD_MANAGER)]
    pub field_manager: String,
    /// With --live: `server` shows what the next step would change (server-side dry run) and changes nothing
    #[arg(long, value_enum, value_name = "MODE", requires = "live", default_value = "none")]
    pub dry_run: DryRun,
    /// With --live: how long to wait for each rollout, e.g. 90s or 10m
    #[arg(long, value_name = "DURATION", requires = "live", default_value = "5m")]
    pub timeout: String,
    /// Also a manifest file or directory, as kubectl -f (repeatable)
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,
    /// Config file (its rules check each step) [default: .kubectl-strategy.yaml in this directory or a parent, up to the repository root]
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Ignore any config file
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    #[command(flatten)]
    pub kube: KubeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    None,
    Server,
}

/// `apply STRATEGY …`: each strategy takes only its own flags.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(subcommand)]
    pub strategy: ApplyStrategy,
}

#[derive(Debug, Subcommand)]
pub enum ApplyStrategy {
    /// spec.strategy.type Recreate (downtime)
    Recreate(RecreateArgs),
    /// RollingUpdate with maxSurge/maxUnavailable
    Rolling(RollingArgs),
    /// two tracks, the Service selects one slot
    BlueGreen(BlueGreenArgs),
    /// a canary beside the stable workload
    Canary(CanaryArgs),
}

/// The target and its manifests.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// deployment/NAME (or deploy/NAME); rollout/NAME for an Argo Rollout (canary, blue-green)
    pub target: String,
    /// Manifest files or directories [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RecreateArgs {
    #[command(flatten)]
    pub on: TargetArgs,
    #[command(flatten)]
    pub out: PlanOutput,
}

#[derive(Debug, Args)]
pub struct RollingArgs {
    #[command(flatten)]
    pub on: TargetArgs,
    /// Pods above the desired count during a rollout (integer or percentage)
    #[arg(long, value_name = "N|P%")]
    pub max_surge: Option<crate::strategy::rolling::IntOrPercent>,
    /// Pods that may be unavailable during a rollout (integer or percentage)
    #[arg(long, value_name = "N|P%", value_parser = crate::strategy::rolling::IntOrPercent::unavailable)]
    pub max_unavailable: Option<crate::strategy::rolling::IntOrPercent>,
    /// Seconds a new pod must be ready before it counts as available
    #[arg(long, value_name = "SECONDS")]
    pub min_ready_seconds: Option<u32>,
    #[command(flatten)]
    pub out: PlanOutput,
}

#[derive(Debug, Args)]
pub struct BlueGreenArgs {
    #[command(flatten)]
    pub on: TargetArgs,
    /// The Service to switch (default: the Services that select the target)
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// The new version, [CONTAINER=]IMAGE (repeatable)
    #[arg(long, value_name = "[CONTAINER=]IMAGE")]
    pub image: Vec<crate::strategy::ImageSpec>,
    /// The selector label whose value tells the tracks apart (default: the one that does the least harm)
    #[arg(long, value_name = "KEY")]
    pub slot_label: Option<String>,
    #[command(flatten)]
    pub out: PlanOutput,
}

#[derive(Debug, Args)]
pub struct CanaryArgs {
    #[command(flatten)]
    pub on: TargetArgs,
    /// The new version, [CONTAINER=]IMAGE (repeatable)
    #[arg(long, value_name = "[CONTAINER=]IMAGE")]
    pub image: Vec<crate::strategy::ImageSpec>,
    /// Percent of traffic to the canary (1-100)
    #[arg(long, value_name = "W", conflicts_with = "steps")]
    pub weight: Option<u32>,
    /// Several weights, one step each, e.g. 25,50,100
    #[arg(long, value_name = "W,W,...", value_delimiter = ',')]
    pub steps: Vec<u32>,
    /// Total replicas of stable + canary (default: the current count)
    #[arg(long, value_name = "N")]
    pub replicas: Option<i32>,
    /// How traffic is split
    #[arg(long, value_enum, default_value = "replicas")]
    pub traffic: crate::strategy::traffic::Traffic,
    /// The selector label whose value tells canary pods apart (default: the one that does the least harm)
    #[arg(long, value_name = "KEY")]
    pub track_label: Option<String>,
    /// With --traffic gateway-api: the Gateway the HTTPRoute attaches to, NAME[/NAMESPACE]
    #[arg(long, value_name = "NAME[/NS]")]
    pub gateway: Option<String>,
    #[command(flatten)]
    pub out: PlanOutput,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    #[command(flatten)]
    pub finish: FinishArgs,
    /// rollout/NAME with --live: promote fully, skipping the remaining steps, pauses and analysis
    /// (as `kubectl argo rollouts promote --full`)
    #[arg(long, requires = "live")]
    pub full: bool,
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    /// deployment/NAME: the application's original name; rollout/NAME for an Argo Rollout
    pub target: String,
    /// Manifest files or directories [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// blue-green: the Service to switch (default: the Services that select the tracks)
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    #[command(flatten)]
    pub out: PlanOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// unified diffs, one per object
    Diff,
    /// live and planned objects as JSON
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Manifest files or directories; - reads standard input [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Also a manifest file or directory, as in kubectl diff -f (repeatable)
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<String>,
    /// Accepted for kubectl's sake: the comparison is always a server-side dry run
    #[arg(long, hide = true)]
    pub server_side: bool,
    /// Take over fields that other field managers own (as kubectl --force-conflicts)
    #[arg(long)]
    pub force_conflicts: bool,
    /// Compare as this field manager (kubectl diff compares as `kubectl`): fields the manager owns and the files no longer set are removed
    #[arg(long, value_name = "NAME", default_value = crate::live::FIELD_MANAGER)]
    pub field_manager: String,
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DiffFormat::Diff)]
    pub output: DiffFormat,
    #[command(flatten)]
    pub kube: KubeArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// deployment/NAME: the application's original name (its tracks NAME-blue, NAME-green, NAME-canary are found by name)
    pub target: String,
    /// Print the status as JSON
    #[arg(short = 'o', long = "output", value_enum, default_value_t = StatusFormat::Text)]
    pub output: StatusFormat,
    #[command(flatten)]
    pub kube: KubeArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}
