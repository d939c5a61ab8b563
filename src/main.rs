#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, Parser};
use kubectl_strategy::cli::{
    ApplyArgs, ApplyStrategy, Cli, Color, Command, DiffArgs, DiffFormat, DryRun, ExplainFormat, FinishArgs, Format, LintArgs, PlanOutput,
    RulesFormat, StatusArgs, StatusFormat, TargetArgs, with_filenames,
};
use kubectl_strategy::config::{self, Config, FailOn};
use kubectl_strategy::lint::{self, Report};
use kubectl_strategy::strategy::bluegreen::BlueGreen;
use kubectl_strategy::strategy::canary::Canary;
use kubectl_strategy::strategy::recreate::Recreate;
use kubectl_strategy::strategy::rolling::Rolling;
use kubectl_strategy::strategy::{self, Finish, Strategy, Target, Workspace};
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

/// What `main` prints after `error:`: each layer's error type, boxed.
type Error = Box<dyn std::error::Error>;

fn write_stdout(s: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Lint(args) => lint(args),
        Command::Apply(args) => apply(args),
        Command::Promote(args) => finish(args.finish, Finish::Promote, args.full),
        Command::Rollback(args) => finish(args, Finish::Rollback, false),
        Command::Diff(args) => live_diff(args),
        Command::Status(args) => live_status(args),
        Command::Rules(args) => {
            let text = match args.format {
                RulesFormat::Table => docs::text_table(),
                RulesFormat::Markdown => docs::markdown_table(),
                RulesFormat::Json => serde_json::to_string_pretty(&docs::all())? + "\n",
            };
            write_stdout(&text)?;
            Ok(0)
        }
        Command::Explain { rule, output } => match docs::get(&rule) {
            Ok(d) => {
                let text = match output {
                    ExplainFormat::Text => docs::explain(&d),
                    ExplainFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
                };
                write_stdout(&text)?;
                Ok(0)
            }
            Err(unknown) => Err(unknown.into()),
        },
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "kubectl-strategy", &mut buf);
            let mut script = String::from_utf8_lossy(&buf).into_owned();
            if shell == clap_complete::Shell::Bash {
                script = kubectl_strategy::complete::fix_bash(&script, "kubectl-strategy");
            }
            write_stdout(&script)?;
            Ok(0)
        }
        Command::Man => {
            write_stdout(&kubectl_strategy::man::render(Cli::command()).map_err(|e| e.to_string())?)?;
            Ok(0)
        }
        Command::Complete { words } => {
            let mut cmd = Cli::command();
            cmd.build();
            write_stdout(&kubectl_strategy::complete::complete(&cmd, &words))?;
            Ok(0)
        }
        Command::ConfigSchema => {
            write_stdout(&(serde_json::to_string_pretty(&config::json_schema())? + "\n"))?;
            Ok(0)
        }
    }
}

fn load_config(args: &LintArgs) -> Result<Config, config::ConfigError> {
    if args.no_config {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => config::discover(std::path::Path::new(".")),
    };
    match path {
        None => Ok(Config::default()),
        Some(p) => config::load(&p),
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

/// Write a report; JSON and GitHub commands are written as they are
/// serialized, not built as one string first.
fn write_report(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Json => report::json::write(report, out),
        Format::Github => report::github::write(report, out),
        _ => out.write_all(render(report, format, color).as_bytes()),
    }
}

fn lint(args: LintArgs) -> Result<u8, Error> {
    let kube = &args.kube;
    // A config error is shown with a snippet of the file.
    let config = load_config(&args).map_err(|e| match e.problem {
        config::Problem::Read(_) => e.to_string(),
        _ => report::human::render_config_error(&e, stderr_color(), terminal_width()).trim_end().to_string(),
    })?;
    let mut report = if args.cluster {
        let conn = live::Conn::connect(kube).map_err(|e| e.to_string())?;
        live::audit::run(&conn, args.all_namespaces, &config).map_err(|e| e.to_string())?
    } else {
        let paths = args.all_paths();
        kubectl_strategy::input::check_paths(&paths).map_err(|e| e.to_string())?;
        let changed =
            args.changed_since.as_deref().map(kubectl_strategy::changed::Changed::since).transpose().map_err(|e| e.to_string())?;
        let mut report = lint::lint_paths(
            &paths,
            &config,
            lint::Options { isolated: args.isolated, render: args.render.options(), require_render: args.render.require_render },
        );
        if let Some(name) = &args.stdin_filename {
            for f in report.files.iter_mut().filter(|f| f.name == "<stdin>") {
                f.name = name.clone();
            }
        }
        if let Some(changed) = &changed {
            let dropped = changed.filter(&mut report);
            if dropped > 0 && args.format == Format::Human {
                report.notices.push(kubectl_strategy::finding::Notice::new(format!(
                    "{dropped} findings on lines unchanged since {} are not shown",
                    args.changed_since.as_deref().unwrap_or_default()
                )));
            }
        }
        if report.objects() == 0 && report.findings.is_empty() {
            eprintln!("warning: no Kubernetes manifests in {}", paths.join(", "));
        }
        report
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
        baseline::write(&report, path).map_err(|e| e.to_string())?;
        eprintln!("wrote {} findings to {}", report.findings.len(), path.display());
        return Ok(0);
    }
    if let Some(path) = &args.baseline {
        let outcome = baseline::filter(&mut report, path).map_err(|e| e.to_string())?;
        if outcome.known > 0 && args.format == Format::Human {
            report.notices.push(kubectl_strategy::finding::Notice::new(format!(
                "{} findings already in the baseline {} are not shown",
                outcome.known,
                path.display()
            )));
        }
        if !outcome.stale.is_empty() {
            eprintln!(
                "note: {} entries of the baseline {} match no finding any more (fixed, or not linted in this run); --write-baseline drops them:",
                outcome.stale.len(),
                path.display()
            );
            for e in &outcome.stale {
                match &e.object {
                    _ if e.rule.is_empty() => eprintln!("  fingerprint {}", e.fingerprint),
                    Some(o) => eprintln!("  {}: {} ({o}): {}", e.file, e.rule, e.message),
                    None => eprintln!("  {}: {}: {}", e.file, e.rule, e.message),
                }
            }
        }
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && no_color_unset(),
    };
    for target in &args.outputs {
        let tmp = target.file.with_extension("kubectl-strategy.tmp");
        std::fs::File::create(&tmp)
            .and_then(|file| {
                let mut out = std::io::BufWriter::new(file);
                write_report(&report, target.format, false, &mut out)?;
                out.into_inner().map_err(std::io::IntoInnerError::into_error)?.sync_all()
            })
            .and_then(|_| std::fs::rename(&tmp, &target.file))
            .map_err(|e| format!("cannot write {}: {e}", target.file.display()))?;
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    match write_report(&report, args.format, color, &mut stdout).and_then(|_| stdout.flush()) {
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Warning);
    let failed = fail_on.threshold().is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}

/// `fixed 3 findings in 2 files (1 more with --unsafe-fixes)`.
fn fix_summary(outcome: &kubectl_strategy::fix::Outcome, report: &Report, verb: &str) -> String {
    let plural = kubectl_strategy::text::plural;
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

fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|&w| w >= 40).unwrap_or(100)
}

fn plan_config() -> Result<Config, Error> {
    match config::discover(std::path::Path::new(".")) {
        Some(p) => Ok(config::load(&p)?),
        None => Ok(Config::default()),
    }
}

fn carry_out(ws: &Workspace, plan: &strategy::Plan, out: &PlanOutput) -> Result<u8, Error> {
    let kube = &out.kube;
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
            strategy::execute(ws, plan, &o, &config).map_err(|e| format!("step {}: {}", i + 1, refusal(e)))?;
        }
        let outcome = live::apply::carry_out(&conn, &ws.original, plan, &options).map_err(|e| e.to_string())?;
        write_stdout(&outcome.stdout)?;
        return Ok(outcome.code);
    }
    let o = strategy::Output { write: out.write, step: out.step, objects: out.output };
    let outcome = strategy::execute(ws, plan, &o, &config).map_err(refusal)?;
    eprint!("{}", outcome.stderr);
    write_stdout(&outcome.stdout)?;
    Ok(u8::from(out.exit_code && outcome.changed && !out.write))
}

/// A refused plan: its cause's stable name in brackets, then the message
/// (`error: [not-a-canary] 1 replica at 25 %: …`), so scripts need not read words.
fn refusal(e: strategy::PlanError) -> String {
    format!("[{}] {e}", e.kind())
}

/// A target that exists only in what a kustomization or chart renders cannot
/// be rewritten (the next render would undo it): name the root instead.
fn refuse_rendered(ws: &Workspace, target: &Target, paths: &[String]) -> Result<(), Error> {
    let kind = match target.kind {
        strategy::TargetKind::Deployment => "Deployment",
        strategy::TargetKind::Rollout => "Rollout",
    };
    if ws.find(kind, &target.name).map_err(refusal)?.is_some() {
        return Ok(());
    }
    let options = kubectl_strategy::render::Options::default();
    match kubectl_strategy::render::who_renders(paths, kind, &target.name, &options) {
        Some(root) => Err(refusal(strategy::PlanError::RenderedOnly {
            target: format!("{}/{}", kind.to_ascii_lowercase(), target.name),
            tool: root.by.as_str(),
            chart: root.by == kubectl_strategy::render::By::Helm,
            root: root.display,
        })
        .into()),
        None => Ok(()),
    }
}

fn apply(args: ApplyArgs) -> Result<u8, Error> {
    let (strategy, on, out): (Box<dyn Strategy>, TargetArgs, PlanOutput) = match args.strategy {
        ApplyStrategy::Recreate(a) => (Box::new(Recreate), a.on, a.out),
        ApplyStrategy::Rolling(a) => (
            Box::new(Rolling { max_surge: a.max_surge, max_unavailable: a.max_unavailable, min_ready_seconds: a.min_ready_seconds }),
            a.on,
            a.out,
        ),
        ApplyStrategy::BlueGreen(a) => (Box::new(BlueGreen { service: a.service, images: a.image, slot_label: a.slot_label }), a.on, a.out),
        ApplyStrategy::Canary(a) => (
            Box::new(Canary {
                images: a.image,
                weights: if a.steps.is_empty() { a.weight.into_iter().collect() } else { a.steps },
                replicas: a.replicas,
                traffic: a.traffic,
                track_label: a.track_label,
                gateway: a.gateway,
            }),
            a.on,
            a.out,
        ),
    };
    let namespace = out.kube.namespace.clone();
    let target = Target::parse(&on.target, namespace.clone()).map_err(refusal)?;
    let paths = with_filenames(&on.paths, &out.filenames);
    let ws = Workspace::load(&paths, namespace).map_err(refusal)?.for_target(&target);
    refuse_rendered(&ws, &target, &paths)?;
    let plan = strategy.plan(ws.clone(), &target).map_err(refusal)?;
    carry_out(&ws, &plan, &out)
}

fn finish(args: FinishArgs, how: Finish, full: bool) -> Result<u8, Error> {
    let namespace = args.out.kube.namespace.clone();
    let target = Target::parse(&args.target, namespace.clone()).map_err(refusal)?;
    let paths = with_filenames(&args.paths, &args.out.filenames);
    let ws = Workspace::load(&paths, namespace).map_err(refusal)?.for_target(&target);
    refuse_rendered(&ws, &target, &paths)?;
    let canary = Canary::with_track_label(None);
    let bluegreen = BlueGreen { service: args.service, images: Vec::new(), slot_label: None };
    let plan = strategy::finish(ws.clone(), &target, &[&canary, &bluegreen], how).map_err(refusal)?;
    if target.kind == strategy::TargetKind::Rollout && args.out.live {
        return argo_live(&ws, &target, &args.out, how, full);
    }
    if full {
        return Err("--full promotes an Argo Rollout: use it with rollout/NAME".into());
    }
    carry_out(&ws, &plan, &args.out)
}

/// promote/rollback of an Argo Rollout with --live: what `kubectl argo rollouts promote|abort` sends.
fn argo_live(ws: &Workspace, target: &Target, out: &PlanOutput, how: Finish, full: bool) -> Result<u8, Error> {
    let ns = ws.find("Rollout", &target.name).map_err(refusal)?.and_then(|f| f.obj.namespace.clone());
    let conn = live::Conn::connect(&out.kube).map_err(|e| e.to_string())?;
    let action = match how {
        Finish::Promote => live::argo::Action::Promote { full },
        Finish::Rollback => live::argo::Action::Abort,
    };
    let dry_run = out.dry_run == DryRun::Server;
    let sent = live::argo::run(&conn, &target.name, ns.as_deref(), action, dry_run)?;
    write_stdout(&sent.stdout)?;
    Ok(u8::from(dry_run && out.exit_code && sent.changed))
}

fn live_diff(args: DiffArgs) -> Result<u8, Error> {
    let paths = with_filenames(&args.paths, &args.filenames);
    kubectl_strategy::input::check_paths(&paths).map_err(|e| e.to_string())?;
    let (objects, errors) = live::read_objects(&paths);
    let mut conn = live::Conn::connect(&args.kube).map_err(|e| e.to_string())?;
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

fn live_status(args: StatusArgs) -> Result<u8, Error> {
    let kube = &args.kube;
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
