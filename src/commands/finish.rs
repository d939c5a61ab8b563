//! `promote` and `rollback`: finish a blue/green switch or a canary (with whichever
//! strategy the manifests show), or an Argo Rollout's step in the cluster.

use super::apply::{carry_out, refusal};
use super::{Exit, write_stdout};
use crate::cli::{DryRun, FinishArgs, PromoteArgs, with_filenames};
use crate::live;
use crate::strategy::bluegreen::BlueGreen;
use crate::strategy::canary::Canary;
use crate::strategy::rendered::refuse_rendered;
use crate::strategy::{self, Finish, TargetKind, WorkloadRef, Workspace};

pub fn promote(args: PromoteArgs) -> Exit {
    run(args.finish, Finish::Promote, args.full)
}

pub fn rollback(args: FinishArgs) -> Exit {
    run(args, Finish::Rollback, false)
}

fn run(args: FinishArgs, how: Finish, full: bool) -> Exit {
    let namespace = args.out.kube.namespace.clone();
    let target = WorkloadRef::parse(&args.target, namespace.clone()).map_err(refusal)?;
    let paths = with_filenames(&args.paths, &args.out.filenames);
    let ws = Workspace::load(&paths, namespace).map_err(refusal)?.for_target(&target);
    refuse_rendered(&ws, &target, &paths).map_err(refusal)?;
    let canary = Canary::with_track_label(None);
    let bluegreen = BlueGreen { service: args.service, images: Vec::new(), slot_label: None };
    let plan = strategy::finish(ws.clone(), &target, &[&canary, &bluegreen], how).map_err(refusal)?;
    if target.kind == TargetKind::Rollout && args.out.live {
        return argo_live(&ws, &target, &args.out, how, full);
    }
    if full {
        return Err("--full promotes an Argo Rollout: use it with rollout/NAME".into());
    }
    carry_out(&ws, &plan, &args.out)
}

/// promote/rollback of an Argo Rollout with --live: what `kubectl argo rollouts promote|abort` sends.
fn argo_live(ws: &Workspace, target: &WorkloadRef, out: &crate::cli::PlanOutput, how: Finish, full: bool) -> Exit {
    let ns = ws.find("Rollout", &target.name).map_err(refusal)?.and_then(|f| f.obj.namespace.clone());
    let conn = live::Conn::connect(&(&out.kube).into())?;
    let action = match how {
        Finish::Promote => live::argo::Action::Promote { full },
        Finish::Rollback => live::argo::Action::Abort,
    };
    let dry_run = out.dry_run == DryRun::Server;
    let sent = live::argo::run(&conn, &target.name, ns.as_deref(), action, dry_run)?;
    write_stdout(&sent.stdout)?;
    Ok(u8::from(dry_run && out.exit_code && sent.changed))
}
