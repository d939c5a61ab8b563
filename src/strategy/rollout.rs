//! Argo Rollout targets (`rollout/NAME`): a strategy is a declaration in
//! `spec.strategy` that the Argo Rollouts controller carries out, so a plan
//! writes `canary.steps` (setWeight + pause, with `trafficRouting` and the
//! canary/stable Services it needs) or `blueGreen` (active and preview
//! Services); promote and rollback are the `kubectl argo rollouts` commands.

use super::options::{BlueGreen, Canary};
use super::traffic::{self, Traffic};
use super::{Finish, Found, Plan, PlanError, Planner, R, Then, Track, Wait, WorkloadRef, Workspace};
use crate::edit::{Editor, Yaml};
use crate::manifest::Typed;
use std::collections::BTreeMap;

fn find(ws: &Workspace, target: &WorkloadRef) -> R<Found> {
    match ws.find("Rollout", &target.name)? {
        Some(r) => Ok(r),
        None => Err(PlanError::not_found("Rollout", &target.name)),
    }
}

/// The Services that select the Rollout's pods.
fn services(ws: &Workspace, ro: &Found, named: Option<&str>) -> R<Vec<Found>> {
    if let Some(n) = named {
        return Ok(vec![ws.find("Service", n)?.ok_or_else(|| PlanError::not_found("Service", n))?]);
    }
    let labels = super::template_labels(&ro.obj);
    Ok(ws.services_selecting(&labels, ro.obj.namespace.as_deref()))
}

fn kubectl_argo(verb: &str, target: &WorkloadRef, ns: Option<&str>) -> String {
    let ns = ns.or(target.namespace.as_deref()).map(|n| format!(" -n {n}")).unwrap_or_default();
    format!("kubectl argo rollouts {verb} {}{ns}", target.name)
}

/// A Service like `from` under another name (its selector and ports), made by kubectl-strategy.
fn copy_service(ws: &Workspace, from: &Found, name: &str, owner: &str) -> R<String> {
    let mut e = Editor::new(name, ws.files[&from.file].doc_body(from.doc)?);
    e.set(0, "/metadata/name", &Yaml::str(name))?;
    for p in ["/metadata/uid", "/metadata/resourceVersion", "/metadata/creationTimestamp", "/spec/clusterIP", "/spec/clusterIPs", "/status"]
    {
        e.remove(0, p)?;
    }
    e.set(0, &format!("/metadata/annotations/{}", crate::manifest::tree::escape(traffic::MANAGED)), &Yaml::str(owner))?;
    Ok(e.text)
}

/// Add the Services a strategy names, copied from the user's Service, unless they exist.
fn ensure_services(ws: &mut Workspace, user: &Found, names: &[String], owner: &str) -> R<()> {
    for n in names {
        if ws.find("Service", n)?.is_none() {
            let text = copy_service(ws, user, n, owner)?;
            ws.add_after("Service", user.obj.name.as_deref().unwrap_or_default(), &text)?;
        }
    }
    Ok(())
}

pub fn canary(ws: Workspace, target: &WorkloadRef, o: &Canary) -> R<Plan> {
    let ro = find(&ws, target)?;
    let name = target.name.clone();
    let weights = if o.weights.is_empty() { vec![25] } else { o.weights.clone() };
    if weights.iter().any(|w| !(1..=100).contains(w)) || weights.windows(2).any(|w| w[0] >= w[1]) {
        return Err(PlanError::StepsNotIncreasing { rollout: true });
    }
    let mut steps = Vec::new();
    for w in &weights {
        steps.push(Yaml::Map(vec![("setWeight".into(), Yaml::Int((*w).into()))]));
        steps.push(Yaml::Map(vec![("pause".into(), Yaml::Map(Vec::new()))]));
    }
    let svcs = services(&ws, &ro, None)?;
    let weighted = o.traffic != Traffic::Replicas;
    let user_svc = svcs.first().cloned();
    if weighted && user_svc.is_none() {
        return Err(PlanError::TrafficNeedsService { traffic: o.traffic.flag(), target: format!("rollout/{name}") });
    }
    let mut p = Planner::new(ws, format!("Plan: canary for Rollout/{name}, carried out by the Argo Rollouts controller ({})", ro.file));
    p.plan.app = vec![name.clone()];
    if let Some(w) = o.traffic.retired_warning() {
        p.warn(w);
    }
    let shown: Vec<String> = weights.iter().map(|w| format!("setWeight {w}, pause")).collect();
    let (canary_svc, stable_svc) = (Track::Canary.of(&name), Track::Stable.of(&name));
    if let Some(user) = user_svc.as_ref().filter(|_| weighted) {
        // The canary and stable Services are copies of the user's, labels and all.
        let labels = user.obj.meta.labels.clone().unwrap_or_default();
        refuse_double_scrapes(&p.ws, &ro, "a canary", &[(canary_svc.clone(), labels.clone()), (stable_svc.clone(), labels)])?;
    }
    if let Some(route) = weighted.then(|| o.traffic.router().rollout_route(&name)).flatten() {
        p.warn(format!("Argo Rollouts routes through {route}, which must exist; it sets the weights in it"));
    }
    p.step(
        format!(
            "declare spec.strategy.canary of Rollout/{name}: {}{}",
            shown.join(", "),
            if weighted {
                format!(", traffic through {} with Services {canary_svc} and {stable_svc}", o.traffic.describe())
            } else {
                String::new()
            }
        ),
        Wait::Nothing(Then::NextStep),
        |ws| {
            ws.set("Rollout", &name, "/spec/strategy/canary/steps", Yaml::Seq(steps))?;
            ws.remove("Rollout", &name, "/spec/strategy/blueGreen")?;
            if let Some(user) = user_svc.as_ref().filter(|_| weighted) {
                let svc = user.obj.name.clone().unwrap_or_default();
                ensure_services(ws, user, &[canary_svc.clone(), stable_svc.clone()], &name)?;
                ws.set("Rollout", &name, "/spec/strategy/canary/canaryService", Yaml::str(&canary_svc))?;
                ws.set("Rollout", &name, "/spec/strategy/canary/stableService", Yaml::str(&stable_svc))?;
                if let Some(r) = o.traffic.router().rollout_routing(&name, &svc, ws) {
                    ws.set("Rollout", &name, "/spec/strategy/canary/trafficRouting", r)?;
                }
            }
            Ok(())
        },
    )?;
    new_version(&mut p, target, &ro, &o.images)?;
    Ok(p.plan)
}

/// The new image starts the controller's rollout.
fn new_version(p: &mut Planner, target: &WorkloadRef, ro: &Found, images: &[super::ImageSpec]) -> R<()> {
    if images.is_empty() {
        return Ok(());
    }
    let name = target.name.clone();
    let ns = ro.obj.namespace.clone();
    let shown: Vec<String> = images.iter().map(|i| i.image.clone()).collect();
    p.step(
        format!("set the new image ({}) on Rollout/{name}: the controller starts the rollout", shown.join(", ")),
        Wait::Healthy { workload: format!("rollout/{name}"), then: Then::Argo { command: kubectl_argo("promote", target, ns.as_deref()) } },
        |ws| {
            let found = ws.find("Rollout", &name)?.ok_or_else(|| PlanError::not_found("Rollout", &name))?;
            let obj = found.obj.clone();
            super::set_images(ws.editor(&found.file), found.doc, &obj, images)
        },
    )
}

pub fn blue_green(ws: Workspace, target: &WorkloadRef, o: &BlueGreen) -> R<Plan> {
    let ro = find(&ws, target)?;
    let name = target.name.clone();
    let svcs = services(&ws, &ro, o.service.as_deref())?;
    let Some(active) = svcs.first().cloned() else {
        return Err(PlanError::NoService { target: format!("rollout/{name}"), hint: "name the active one with --service" });
    };
    if !matches!(active.obj.typed, Typed::Service(_)) {
        return Err(PlanError::NotAService { name: active.obj.label() });
    }
    let active_name = active.obj.name.clone().unwrap_or_default();
    let preview = format!("{active_name}-preview");
    // The preview Service is a copy of the active one, labels and all.
    let labels = active.obj.meta.labels.clone().unwrap_or_default();
    refuse_double_scrapes(&ws, &ro, "blue/green", &[(preview.clone(), labels)])?;
    let mut p = Planner::new(ws, format!("Plan: blue/green for Rollout/{name}, carried out by the Argo Rollouts controller ({})", ro.file));
    p.plan.app = vec![name.clone()];
    p.step(
        format!(
            "declare spec.strategy.blueGreen of Rollout/{name}: active Service {active_name}, preview Service {preview} (a copy), \
             promotion by hand"
        ),
        Wait::Nothing(Then::NextStep),
        |ws| {
            ensure_services(ws, &active, std::slice::from_ref(&preview), &name)?;
            // Add first, then remove, so a block mapping stays a block.
            ws.set("Rollout", &name, "/spec/strategy/blueGreen/activeService", Yaml::str(&active_name))?;
            ws.set("Rollout", &name, "/spec/strategy/blueGreen/previewService", Yaml::str(&preview))?;
            ws.set("Rollout", &name, "/spec/strategy/blueGreen/autoPromotionEnabled", Yaml::Bool(false))?;
            ws.remove("Rollout", &name, "/spec/strategy/canary")
        },
    )?;
    new_version(&mut p, target, &ro, &o.images)?;
    Ok(p.plan)
}

/// A ServiceMonitor that would scrape the pods twice, through the user's
/// Service and a copy the plan adds, refuses the plan (never only a warning).
fn refuse_double_scrapes(ws: &Workspace, ro: &Found, strategy: &'static str, added: &[(String, BTreeMap<String, String>)]) -> R<()> {
    let name = ro.obj.name.clone().unwrap_or_default();
    let blockers = super::double_scrapes(ws, ro.obj.namespace.as_deref(), &super::template_labels(&ro.obj), added);
    if blockers.is_empty() {
        return Ok(());
    }
    Err(PlanError::Blocked { target: format!("rollout/{name}"), strategy, blockers })
}

/// promote/rollback of a Rollout: the controller's job; the plan says which command does it.
pub fn finish(ws: &Workspace, target: &WorkloadRef, how: Finish) -> R<Plan> {
    let ro = find(ws, target)?;
    let verb = match how {
        Finish::Promote => "promote",
        // Back to the stable ReplicaSet; the file keeps the new version (revert it there to stay back).
        Finish::Rollback => "abort",
    };
    Ok(Plan {
        summary: format!(
            "Plan: {} Rollout/{}: the Argo Rollouts controller does it, the files stay as they are; run `{}`",
            how.verb(),
            target.name,
            kubectl_argo(verb, target, ro.obj.namespace.as_deref())
        ),
        ..Plan::default()
    })
}
