//! `lint`: audit files (or the cluster with `--cluster`), fix them with `--fix`,
//! show the fixes with `--diff`, and report in one or more formats.

use super::{Exit, config_error, ignore_broken_pipe, load_config, no_color_unset, terminal_width, write_stdout};
use crate::changed::Changed;
use crate::cli::{Color, Format, LintArgs};
use crate::config::{Config, FailOn};
use crate::finding::Notice;
use crate::fix;
use crate::lint::{self, Report};
use crate::text::plural;
use crate::{baseline, input, live, report};
use std::io::{IsTerminal, Write};

pub fn run(args: LintArgs) -> Exit {
    let mut config = load_config(args.config.as_deref(), args.no_config).map_err(config_error)?;
    // The flag wins over `kubernetesVersion:` for the rules as it does for helm.
    if let Some(v) = &args.render.kube_version {
        config.rules.kube_version = Some(v.clone());
    }
    let mut report = if args.cluster {
        let conn = live::Conn::connect(&(&args.kube).into())?;
        live::audit::run(&conn, args.all_namespaces, &config)?
    } else {
        let paths = args.all_paths();
        input::check_paths(&paths)?;
        let changed = args.changed_since.as_deref().map(Changed::since).transpose()?;
        let report = lint_files(&args, &config, changed.as_ref());
        if report.objects() == 0 && report.findings.is_empty() {
            crate::text::say!("warning: no Kubernetes manifests in {}", paths.join(", "));
        }
        report
    };
    if args.fix || args.diff {
        let mut outcome = fix::plan_with_progress(&report, &config, args.unsafe_fixes, &mut progress_line());
        // With both, the diff wins and nothing is written (as ruff does).
        if args.diff {
            write_stdout(&outcome.diff())?;
            crate::text::say!("{}", fix_summary(&outcome, &report, "would fix"));
            return Ok(u8::from(!outcome.files.is_empty()));
        }
        let errors = outcome.write();
        for e in &errors {
            crate::text::say!("error: {e}");
        }
        crate::text::say!("{}", fix_summary(&outcome, &report, "fixed"));
        if !outcome.files.is_empty() {
            // What is left, exactly as a plain run would report it now.
            let changed = args.changed_since.as_deref().map(Changed::since).transpose()?;
            report = lint_files(&args, &config, changed.as_ref());
        }
        if !errors.is_empty() {
            write_to_stdout(&report, args.format, false)?;
            return Ok(2);
        }
    }
    if let Some(path) = &args.write_baseline {
        baseline::write(&report, path)?;
        crate::text::say!("wrote {} findings to {}", report.findings.len(), path.display());
        return Ok(0);
    }
    if let Some(path) = &args.baseline {
        apply_baseline(&mut report, path, args.format)?;
    }
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && no_color_unset(),
    };
    for target in &args.outputs {
        write_file(&report, target.format, &target.file)?;
    }
    write_to_stdout(&report, args.format, color)?;
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Warning);
    let failed = fail_on.threshold().is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(u8::from(failed))
}

/// The report of the files of a run: lint, then the `--stdin-filename` name and the
/// `--changed-since` filter. The one producer of the report, before and after `--fix`.
fn lint_files(args: &LintArgs, config: &Config, changed: Option<&Changed>) -> Report {
    let options = lint::LintOptions {
        isolated: args.isolated,
        render: args.render.options(),
        require_render: args.render.require_render,
        progress: args.format == Format::Human,
    };
    let mut report = lint::lint_paths(&args.all_paths(), config, options);
    if let Some(name) = &args.stdin_filename {
        for f in report.files.iter_mut().filter(|f| f.name == "<stdin>") {
            f.name = name.clone();
        }
    }
    if let Some(changed) = changed {
        let dropped = changed.filter(&mut report);
        if dropped > 0 && args.format == Format::Human {
            report.notices.push(Notice::new(format!(
                "{dropped} findings on lines unchanged since {} are not shown",
                args.changed_since.as_deref().unwrap_or_default()
            )));
        }
    }
    report.unsafe_fixes = args.unsafe_fixes;
    report
}

/// Writes a report; human, JSON and GitHub output are written as they are
/// made, not built as one string first.
fn write(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Json => report::json::write(report, out),
        Format::Github => report::github::write(report, out),
        Format::Human => report::human::write(report, report::human::Style { color, width: terminal_width() }, out),
        Format::Sarif => out.write_all(report::sarif::to_string(report).as_bytes()),
        Format::Junit => out.write_all(report::junit::to_string(report).as_bytes()),
    }
}

/// Writes a report to stdout (buffered; a closed pipe is not an error).
fn write_to_stdout(report: &Report, format: Format, color: bool) -> std::io::Result<()> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    ignore_broken_pipe(write(report, format, color, &mut stdout).and_then(|_| stdout.flush()))
}

/// `--output-file FORMAT=FILE`: written beside, then renamed over the file.
fn write_file(report: &Report, format: Format, file: &std::path::Path) -> Result<(), String> {
    let mut out = Vec::new();
    write(report, format, false, &mut out)
        .and_then(|_| String::from_utf8(out).map_err(std::io::Error::other))
        .and_then(|text| crate::edit::diff::write_atomic(file, &text, None))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// `--baseline FILE`: drop the known findings, and say which entries match nothing any more.
fn apply_baseline(report: &mut Report, path: &std::path::Path, format: Format) -> Result<(), baseline::BaselineError> {
    let outcome = baseline::filter(report, path)?;
    if outcome.known > 0 && format == Format::Human {
        report.notices.push(Notice::new(format!("{} findings already in the baseline {} are not shown", outcome.known, path.display())));
    }
    if !outcome.stale.is_empty() {
        crate::text::say!(
            "note: {} entries of the baseline {} match no finding any more (fixed, or not linted in this run); --write-baseline drops them:",
            outcome.stale.len(),
            path.display()
        );
        for e in &outcome.stale {
            match &e.object {
                _ if e.rule.is_empty() => crate::text::say!("  fingerprint {}", e.fingerprint),
                Some(o) => crate::text::say!("  {}: {} ({o}): {}", e.file, e.rule, e.message),
                None => crate::text::say!("  {}: {}: {}", e.file, e.rule, e.message),
            }
        }
    }
    Ok(())
}

/// Progress of `--fix`/`--diff` on stderr (`fixing: 1200 of 3000 fixes tried`),
/// only when stderr is a terminal and the run has taken more than a second,
/// at most ten times a second; the line is cleared at the end.
fn progress_line() -> impl FnMut(usize, usize) {
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut last: Option<std::time::Instant> = None;
    move |done, total| {
        if !tty || started.elapsed() < std::time::Duration::from_secs(1) {
            return;
        }
        let now = std::time::Instant::now();
        let finished = done >= total;
        if !finished && last.is_some_and(|l| now - l < std::time::Duration::from_millis(100)) {
            return;
        }
        last = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = if finished { write!(err, "\r\x1b[K") } else { write!(err, "\rfixing: {done} of {total} fixes tried") };
        let _ = err.flush();
    }
}

/// `fixed 3 findings in 2 files (1 more with --unsafe-fixes)`.
fn fix_summary(outcome: &fix::FixOutcome, report: &Report, verb: &str) -> String {
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
