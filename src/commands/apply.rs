//! `apply STRATEGY deployment/NAME`: plan a strategy, show the next step's diff,
//! write it (`--write`) or carry it out in the cluster (`--live`).

use super::{Error, Exit, config_error, load_config, write_stdout};
use crate::cli::{ApplyArgs, ApplyStrategy, DryRun, PlanOutput, TargetArgs, with_filenames};
use crate::live;
use crate::strategy::bluegreen::BlueGreen;
use crate::strategy::canary::Canary;
use crate::strategy::recreate::Recreate;
use crate::strategy::rendered::refuse_rendered;
use crate::strategy::rolling::Rolling;
use crate::strategy::{self, PlanError, Strategy, WorkloadRef, Workspace};
use std::time::Duration;

pub fn run(args: ApplyArgs) -> Exit {
    let (strategy, on, out) = strategy_of(args.strategy);
    let namespace = out.kube.namespace.clone();
    let target = WorkloadRef::parse(&on.target, namespace.clone()).map_err(refusal)?;
    let paths = with_filenames(&on.paths, &out.filenames);
    let ws = Workspace::load(&paths, namespace).map_err(refusal)?.for_target(&target);
    refuse_rendered(&ws, &target, &paths).map_err(refusal)?;
    let plan = strategy.plan(ws.clone(), &target).map_err(refusal)?;
    carry_out(&ws, &plan, &out)
}

/// The strategy the subcommand names, with its own flags.
fn strategy_of(s: ApplyStrategy) -> (Box<dyn Strategy>, TargetArgs, PlanOutput) {
    match s {
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
    }
}

/// Shows, writes (`--write`) or carries out in the cluster (`--live`) the plan's next step
/// (or `--step N`). Every step is checked like a written one before it goes to the cluster.
pub(crate) fn carry_out(ws: &Workspace, plan: &strategy::Plan, out: &PlanOutput) -> Exit {
    let config = load_config(out.config.as_deref(), out.no_config).map_err(config_error)?;
    if out.live {
        for w in &plan.warnings {
            crate::text::say!("warning: {w}");
        }
        let mut conn = live::Conn::connect(&(&out.kube).into())?;
        conn.field_manager = out.field_manager.clone();
        let options = live::apply::LiveOptions {
            force: out.force_conflicts,
            dry_run: out.dry_run == DryRun::Server,
            timeout: live::parse_duration(&out.timeout)?.unwrap_or(Duration::from_secs(365 * 24 * 3600)),
            step: out.step,
            write: out.write,
            exit_code: out.exit_code,
            poll: live::apply::poll_interval(),
        };
        for i in 0..plan.steps.len() {
            let o = strategy::Output { write: false, step: Some(i + 1), objects: Some(strategy::ObjectFormat::Json) };
            strategy::execute(ws, plan, &o, &config).map_err(|e| format!("step {}: {}", i + 1, refusal(e)))?;
        }
        let outcome = live::apply::carry_out(&conn, &ws.original, plan, &options)?;
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
pub(crate) fn refusal(e: PlanError) -> Error {
    format!("[{}] {e}", e.kind()).into()
}
