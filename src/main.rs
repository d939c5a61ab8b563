#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser};
use kubectl_strategy::cli::{
    ApplyArgs, Cli, Color, Command, DiffArgs, DiffFormat, DryRun, FinishArgs, Format, KubeArgs, LintArgs, PlanOutput, RulesFormat,
    StatusArgs, StatusFormat, StrategyKind,
};
use kubectl_strategy::config::{self, Config, FailOn};
use kubectl_strategy::lint::{self, Report};
use kubectl_strategy::strategy::{self, Target, Workspace, bluegreen, canary, recreate, rolling};
use kubectl_strategy::{baseline, docs, live, report};
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
        Command::Lint(args) => lint(args, &cli.kube),
        Command::Apply(args) => apply(args, &cli.kube),
        Command::Promote(args) => finish(args, &cli.kube, true),
        Command::Rollback(args) => finish(args, &cli.kube, false),
        Command::Diff(args) => live_diff(args, &cli.kube),
        Command::Status(args) => live_status(args, &cli.kube),
        Command::Rules(args) => {
            let text = match args.format {
                RulesFormat::Table => docs::text_table(),
                RulesFormat::Markdown => docs::markdown_table(),
                RulesFormat::Json => serde_json::to_string_pretty(&docs::all()).map_err(|e| e.to_string())? + "\n",
            };
            write_stdout(&text)?;
            Ok(0)
        }
        Command::Explain { rule } => match docs::get(&rule) {
            Some(d) => {
                write_stdout(&docs::explain(&d))?;
                Ok(0)
            }
            None => Err(format!("unknown rule `{rule}`; `kubectl strategy rules` lists them")),
        },
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kubectl-strategy", &mut buf);
            write_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command().name("kubectl-strategy")).render(&mut buf).map_err(|e| e.to_string())?;
            write_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(0)
        }
        Command::ConfigSchema => {
            write_stdout(&(serde_json::to_string_pretty(&config::json_schema()).map_err(|e| e.to_string())? + "\n"))?;
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
            if e.text.is_empty() { e.to_string() } else { report::human::render_config_error(&e, stderr_color(), terminal_width()) }
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
        Format::Human => report::human::render(report, report::human::Style { color, width: terminal_width() }),
        Format::Json => report::json::render(report),
        Format::Sarif => report::sarif::render(report),
        Format::Github => report::github::render(report),
        Format::Junit => report::junit::render(report),
    }
}

fn lint(args: LintArgs, kube: &KubeArgs) -> Result<u8, String> {
    let config = load_config(&args).map_err(|e| e.trim_end().to_string())?;
    let mut report = if args.cluster {
        let conn = live::Conn::connect(kube).map_err(|e| e.to_string())?;
        live::audit::run(&conn, args.all_namespaces, &config).map_err(|e| e.to_string())?
    } else {
        let options = lint::Options { isolated: args.isolated, render: args.render.options(), require_render: args.render.require_render };
        lint::lint_paths(&args.paths, &config, options)
    };
    report.unsafe_fixes = args.unsafe_fixes;
    if args.fix || args.diff {
        let outcome = kubectl_strategy::fix::plan(&report, &config, args.unsafe_fixes);
        if args.diff {
            write_stdout(&outcome.diff())?;
            eprintln!("{}", fix_summary(&outcome, &report, "would fix"));
            return Ok(u8::from(!outcome.files.is_empty()));
        }
        let errors = outcome.write();
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!("{}", fix_summary(&outcome, &report, "fixed"));
        if !outcome.files.is_empty() {
            let options =
                lint::Options { isolated: args.isolated, render: args.render.options(), require_render: args.render.require_render };
            report = lint::lint_paths(&args.paths, &config, options);
            report.unsafe_fixes = args.unsafe_fixes;
        }
        if !errors.is_empty() {
            write_stdout(&render(&report, args.format, false))?;
            return Ok(2);
        }
    }
    if let Some(path) = &args.write_baseline {
        baseline::write(&report, path)?;
        eprintln!("wrote {} findings to {}", report.findings.len(), path.display());
        return Ok(0);
    }
    if let Some(path) = &args.baseline {
        let known = baseline::filter(&mut report, path)?;
        if known > 0 && args.format == Format::Human {
            report.notices.push(kubectl_strategy::finding::Notice::new(format!(
                "{known} findings already in the baseline {} are not shown",
                path.display()
            )));
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
    let failed = fail_on.threshold().is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}

/// `fixed 3 findings in 2 files (1 more with --unsafe-fixes)`.
fn fix_summary(outcome: &kubectl_strategy::fix::Outcome, report: &Report, verb: &str) -> String {
    let mut s = format!("{verb} {} in {}", plural(outcome.fixed(), "finding"), plural(outcome.files.len(), "file"));
    let (_, unsafe_only) = report.fixable();
    if !report.unsafe_fixes && unsafe_only > 0 {
        s.push_str(&format!(" ({unsafe_only} more fixable with --unsafe-fixes)"));
    }
    if outcome.dropped > 0 {
        s.push_str(&format!(
            "; {} not applied (it failed or would add a finding)",
            if outcome.dropped == 1 { "1 fix".to_string() } else { format!("{} fixes", outcome.dropped) }
        ));
    }
    s
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w| w >= 40).unwrap_or(100)
}

fn plan_config() -> Result<Config, String> {
    match config::discover(std::path::Path::new(".")) {
        Some(p) => config::load(&p).map_err(|e| e.to_string()),
        None => Ok(Config::default()),
    }
}

fn carry_out(ws: &Workspace, plan: &strategy::Plan, out: &PlanOutput, kube: &KubeArgs) -> Result<u8, String> {
    let config = plan_config()?;
    if out.live {
        for w in &plan.warnings {
            eprintln!("warning: {w}");
        }
        let mut conn = live::Conn::connect(kube).map_err(|e| e.to_string())?;
        conn.field_manager = out.field_manager.clone();
        let options = live::apply::LiveOptions {
            force: out.force_conflicts,
            dry_run: out.dry_run == DryRun::Server,
            timeout: live::parse_duration(&out.timeout)?.unwrap_or(std::time::Duration::from_secs(365 * 24 * 3600)),
            step: out.step,
            write: out.write,
            exit_code: out.exit_code,
            poll: std::time::Duration::from_millis(
                std::env::var("KUBECTL_STRATEGY_POLL_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000),
            ),
        };
        // Each step is validated like a written one before it goes to the cluster.
        for i in 0..plan.steps.len() {
            let o = strategy::Output { write: false, step: Some(i + 1), objects: Some(strategy::ObjectFormat::Json) };
            strategy::execute(ws, plan, &o, &config).map_err(|e| format!("step {}: {e}", i + 1))?;
        }
        let outcome = live::apply::carry_out(&conn, &ws.original, plan, &options).map_err(|e| e.to_string())?;
        write_stdout(&outcome.stdout)?;
        return Ok(outcome.code);
    }
    let o = strategy::Output { write: out.write, step: out.step, objects: out.output };
    let outcome = strategy::execute(ws, plan, &o, &config).map_err(|e| e.to_string())?;
    eprint!("{}", outcome.stderr);
    write_stdout(&outcome.stdout)?;
    Ok(u8::from(out.exit_code && outcome.changed && !out.write))
}

/// A target that exists only in what a kustomization or chart renders cannot
/// be rewritten (the next render would undo it): name the root instead.
fn refuse_rendered(ws: &Workspace, target: &Target, paths: &[String]) -> Result<(), String> {
    if ws.find("Deployment", &target.name).map_err(|e| e.to_string())?.is_some() {
        return Ok(());
    }
    let options = kubectl_strategy::render::Options::default();
    match kubectl_strategy::render::who_renders(paths, "Deployment", &target.name, &options) {
        Some(root) => Err(format!(
            "deployment/{} exists only in what {} renders from {} {}; change the {} instead (edits to rendered output are lost on the next render)",
            target.name,
            root.by.as_str(),
            if root.by == kubectl_strategy::render::By::Helm { "the chart" } else { "the kustomization" },
            root.display,
            if root.by == kubectl_strategy::render::By::Helm { "chart's templates or values" } else { "kustomization (a patch)" },
        )),
        None => Ok(()),
    }
}

fn apply(args: ApplyArgs, kube: &KubeArgs) -> Result<u8, String> {
    let namespace = kube.namespace.clone();
    let target = Target::parse(&args.target, namespace.clone()).map_err(|e| e.to_string())?;
    let ws = Workspace::load(&args.paths, namespace).map_err(|e| e.to_string())?;
    refuse_rendered(&ws, &target, &args.paths)?;
    let plan = match args.strategy {
        StrategyKind::Recreate => recreate::plan(ws.clone(), &target),
        StrategyKind::Rolling => rolling::plan(
            ws.clone(),
            &target,
            &rolling::Options {
                max_surge: args.max_surge,
                max_unavailable: args.max_unavailable,
                min_ready_seconds: args.min_ready_seconds,
            },
        ),
        StrategyKind::BlueGreen => bluegreen::plan(
            ws.clone(),
            &target,
            &bluegreen::Options { service: args.service, images: args.image, slot_label: args.slot_label },
        ),
        StrategyKind::Canary => canary::plan(
            ws.clone(),
            &target,
            &canary::Options {
                images: args.image,
                weights: if args.steps.is_empty() { args.weight.into_iter().collect() } else { args.steps },
                replicas: args.replicas,
                traffic: args.traffic,
                track_label: args.track_label,
                gateway: args.gateway,
            },
        ),
    }
    .map_err(|e| e.to_string())?;
    carry_out(&ws, &plan, &args.out, kube)
}

fn finish(args: FinishArgs, kube: &KubeArgs, promote: bool) -> Result<u8, String> {
    let namespace = kube.namespace.clone();
    let target = Target::parse(&args.target, namespace.clone()).map_err(|e| e.to_string())?;
    let ws = Workspace::load(&args.paths, namespace).map_err(|e| e.to_string())?;
    refuse_rendered(&ws, &target, &args.paths)?;
    let name = &target.name;
    let has = |n: String| ws.find("Deployment", &n).map(|f| f.is_some()).map_err(|e| e.to_string());
    let plan = if has(format!("{name}-canary"))? {
        canary::finish(ws.clone(), &target, &args.track_label, promote)
    } else if has(format!("{name}-blue"))? || has(format!("{name}-green"))? {
        let o = bluegreen::Options { service: args.service, images: Vec::new(), slot_label: args.slot_label };
        bluegreen::switch(ws.clone(), &target, &o, promote)
    } else {
        return Err(format!(
            "nothing to {}: deployment/{name} has no canary ({name}-canary) and no blue/green tracks ({name}-blue, {name}-green)",
            if promote { "promote" } else { "roll back" }
        ));
    }
    .map_err(|e| e.to_string())?;
    carry_out(&ws, &plan, &args.out, kube)
}

fn live_diff(args: DiffArgs, kube: &KubeArgs) -> Result<u8, String> {
    let mut paths = args.paths.clone();
    paths.extend(args.filenames.iter().cloned());
    if paths.is_empty() {
        paths.push(".".into());
    }
    let (objects, errors) = live::read_objects(&paths);
    let mut conn = live::Conn::connect(kube).map_err(|e| e.to_string())?;
    conn.field_manager = args.field_manager.clone();
    let run = live::diff::run(&conn, &objects, errors, args.force_conflicts);
    let text = match args.output {
        DiffFormat::Diff => run.render_text(),
        DiffFormat::Json => run.render_json(),
    };
    write_stdout(&text)?;
    for w in &run.warnings {
        eprintln!("warning: {w}");
    }
    for e in &run.errors {
        eprintln!("error: {e}");
    }
    Ok(run.exit_code())
}

fn live_status(args: StatusArgs, kube: &KubeArgs) -> Result<u8, String> {
    let target = Target::parse(&args.target, kube.namespace.clone()).map_err(|e| e.to_string())?;
    let conn = live::Conn::connect(kube).map_err(|e| e.to_string())?;
    let status = live::status::read(&conn, &target.name).map_err(|e| e.to_string())?;
    let text = match args.output {
        StatusFormat::Text => status.render_text(&target.name, &conn.cluster_label()),
        StatusFormat::Json => serde_json::to_string_pretty(&status.to_json(&target.name)).map_err(|e| e.to_string())? + "\n",
    };
    write_stdout(&text)?;
    Ok(u8::from(!status.healthy()))
}
