//! Blue/green: two tracks `<name>-blue` and `<name>-green`; the Service selects one slot;
//! the new version goes to the idle track; promote switches the Service's slot.

use super::{Found, ImageSpec, Planner, R, Target, Workspace, derive_workload, err, identity_label, match_labels, template_labels};
use super::{Then, Track, Wait};
use crate::edit::Yaml;
use crate::manifest::tree::escape;
use std::collections::BTreeMap;

/// Two tracks; the Services select one slot.
#[derive(Clone, Debug)]
pub struct BlueGreen {
    pub service: Option<String>,
    pub images: Vec<ImageSpec>,
    pub slot_label: String,
}

const SLOTS: [&str; 2] = [Track::Blue.suffix(), Track::Green.suffix()];

/// The application's Services: the one named, or those selecting any of its
/// pods (in its namespace, and not shared with other workloads).
fn services(
    ws: &Workspace,
    o: &BlueGreen,
    pods: &[BTreeMap<String, String>],
    ns: Option<&str>,
    app: &[String],
    warnings: &mut Vec<String>,
) -> R<Vec<Found>> {
    if let Some(name) = &o.service {
        return match ws.find("Service", name)? {
            Some(s) => Ok(vec![s]),
            None => err(format!("service/{name} not found")),
        };
    }
    Ok(ws.app_services(pods, ns, app, warnings))
}

fn app_names(name: &str) -> Vec<String> {
    vec![name.to_string(), format!("{name}-blue"), format!("{name}-green")]
}

/// A Deployment named `<name>-<slot>` is a track only if its selector says so.
fn track(ws: &Workspace, name: &str, slot: &str, slot_label: &str) -> R<Option<Found>> {
    let t = format!("{name}-{slot}");
    match ws.find("Deployment", &t)? {
        Some(f) if match_labels(&f.obj).get(slot_label).map(String::as_str) == Some(slot) => Ok(Some(f)),
        Some(_) => err(format!(
            "deployment/{t} exists but is not a blue/green track of deployment/{name} (its selector has no {slot_label}={slot}); \
             rename it or pick another --slot-label"
        )),
        None => Ok(None),
    }
}

fn service_selector(s: &Found) -> BTreeMap<String, String> {
    match &s.obj.typed {
        crate::manifest::Typed::Service(spec) => spec.selector.clone().unwrap_or_default(),
        _ => BTreeMap::new(),
    }
}

/// Point a Service at one slot: its selector keeps its other keys, drops the
/// original workload's selector keys and selects identity + slot.
fn point(ws: &mut Workspace, svc: &str, drop: &[String], identity: &(String, String), slot_label: &str, slot: &str) -> R<()> {
    // Add first, then remove, so a block selector stays a block.
    ws.set("Service", svc, &format!("/spec/selector/{}", escape(&identity.0)), Yaml::str(&identity.1))?;
    ws.set("Service", svc, &format!("/spec/selector/{}", escape(slot_label)), Yaml::str(slot))?;
    for k in drop.iter().filter(|k| **k != identity.0 && *k != slot_label) {
        ws.remove("Service", svc, &format!("/spec/selector/{}", escape(k)))?;
    }
    Ok(())
}

/// The identity label of existing tracks: their selector's key that is not the slot.
fn track_identity(track: &Found, slot_label: &str) -> Option<(String, String)> {
    match_labels(&track.obj).into_iter().find(|(k, _)| k != slot_label)
}

impl super::Strategy for BlueGreen {
    fn plan(&self, ws: Workspace, target: &Target) -> R<super::Plan> {
        plan(ws, target, self)
    }
    fn tracks(&self, target: &Target) -> Vec<String> {
        [Track::Blue, Track::Green].iter().map(|t| t.of(&target.name)).collect()
    }
    fn finish(&self, ws: Workspace, target: &Target, how: super::Finish) -> R<super::Plan> {
        switch(ws, target, self, how == super::Finish::Promote)
    }
}

fn plan(ws: Workspace, target: &Target, o: &BlueGreen) -> R<super::Plan> {
    let name = &target.name;
    let base = ws.find("Deployment", name)?;
    let tracks: Vec<Option<Found>> = SLOTS.iter().map(|s| track(&ws, name, s, &o.slot_label)).collect::<R<_>>()?;
    let Some(source) = base.clone().or_else(|| tracks.iter().flatten().next().cloned()) else {
        return err(super::recreate::missing(&ws, target));
    };
    let mut p = Planner::new(ws, format!("Plan: Deployment/{name} to blue/green with slot label `{}` ({})", o.slot_label, source.file));
    p.app(&target.name);

    if let Some(base) = base {
        // Migration: add both tracks, switch the Service, retire the original.
        let s = match_labels(&base.obj);
        let l = template_labels(&base.obj);
        let ns = base.obj.namespace.clone();
        let identity = match tracks.iter().flatten().next() {
            Some(t) => track_identity(t, &o.slot_label).unwrap_or_default(),
            None => identity_label(&s, &l, name, &p.ws.taken_labels(&app_names(name), ns.as_deref())),
        };
        super::check_migratable(&base.obj, &[&o.slot_label], &identity)?;
        // The Services of the original pods, or of the tracks once they were switched.
        let track_pods: Vec<BTreeMap<String, String>> = tracks.iter().flatten().map(|t| template_labels(&t.obj)).collect();
        let mut warnings = Vec::new();
        let svcs = services(&p.ws, o, &[vec![l.clone()], track_pods].concat(), ns.as_deref(), &app_names(name), &mut warnings)?;
        for w in warnings {
            p.warn(w);
        }
        if svcs.is_empty() {
            let shared: Vec<String> =
                p.ws.services_selecting(&l, ns.as_deref())
                    .iter()
                    .map(|s| format!("Service/{}", s.obj.name.as_deref().unwrap_or("?")))
                    .collect();
            return err(if shared.is_empty() {
                format!("no Service selects the pods of deployment/{name}; name the one to switch with --service")
            } else {
                format!(
                    "{} also select{} other workloads' pods: switching {} to one slot would cut them off; \
                     give deployment/{name} a Service of its own and name it with --service",
                    shared.join(", "),
                    if shared.len() == 1 { "s" } else { "" },
                    if shared.len() == 1 { "it" } else { "them" }
                )
            });
        }
        let replicas = base.obj.workload().and_then(|w| w.replicas).unwrap_or(1);
        let mut track_labels: BTreeMap<String, String> =
            l.iter().map(|(k, v)| (k.clone(), if s.contains_key(k) { format!("{v}-blue") } else { v.clone() })).collect();
        track_labels.insert(identity.0.clone(), identity.1.clone());
        track_labels.insert(o.slot_label.clone(), "blue".into());
        for w in super::label_consumers(&p.ws, name, ns.as_deref(), &l, &track_labels) {
            p.warn(w);
        }
        let new_images = if o.images.is_empty() { Vec::new() } else { o.images.clone() };
        let keys: Vec<String> = s.keys().cloned().collect();
        p.step(
            format!(
                "create Deployment/{name}-blue (the current images) and Deployment/{name}-green ({}), {replicas} replicas each; \
                 their pods carry {}={} and {}=blue|green instead of {}, so Deployment/{name}'s selector cannot adopt them",
                if new_images.is_empty() { "the current images".to_string() } else { describe(&new_images) },
                identity.0,
                identity.1,
                o.slot_label,
                keys.iter().map(|k| format!("{k}={}", s[k])).collect::<Vec<_>>().join(",")
            ),
            Wait::RolledOut(vec![Track::Blue.of(name), Track::Green.of(name)]),
            |ws| {
                for (i, slot) in SLOTS.iter().enumerate() {
                    let track = format!("{name}-{slot}");
                    if ws.find("Deployment", &track)?.is_some() {
                        // Already there: a re-run with another --image updates the new track.
                        if i == 1 && !new_images.is_empty() {
                            super::set_workload_images(ws, &track, &new_images)?;
                            mark_pending(ws, &track)?;
                        }
                        continue;
                    }
                    let mut pod_labels: Vec<(String, Option<String>)> =
                        keys.iter().map(|k| (k.clone(), Some(format!("{}-{slot}", s[k])))).collect();
                    pod_labels.push((identity.0.clone(), Some(identity.1.clone())));
                    pod_labels.push((o.slot_label.clone(), Some(slot.to_string())));
                    let selector = vec![identity.clone(), (o.slot_label.clone(), slot.to_string())];
                    let images = if i == 1 { new_images.clone() } else { Vec::new() };
                    let mut text = derive_workload(ws, &base, &track, &selector, &pod_labels, None, &images)?;
                    if !images.is_empty() {
                        let mut e = crate::edit::Editor::new(&track, text);
                        e.set(0, &annotation_ptr(PENDING), &Yaml::str("true"))?;
                        text = e.text;
                    }
                    let after = if i == 0 { name.clone() } else { format!("{name}-blue") };
                    ws.add_after("Deployment", &after, &text)?;
                }
                Ok(())
            },
        )?;
        let names: Vec<String> = svcs.iter().filter_map(|s| s.obj.name.clone()).collect();
        p.step(
            format!("point Service/{} at slot blue ({}={}, {}=blue)", names.join(", Service/"), identity.0, identity.1, o.slot_label),
            Wait::Endpoints { workload: Track::Blue.of(name), service: names[0].clone(), then: None },
            |ws| {
                for svc in &svcs {
                    let sel = service_selector(svc);
                    if sel.contains_key(&o.slot_label) {
                        continue; // already pointed at a slot
                    }
                    point(ws, svc.obj.name.as_deref().unwrap_or_default(), &keys, &identity, &o.slot_label, "blue")?;
                }
                Ok(())
            },
        )?;
        p.step(
            format!("retire Deployment/{name}: no Service sends it traffic any more"),
            Wait::Nothing(Then::DeployToIdle { app: name.clone() }),
            |ws| ws.remove_object("Deployment", name),
        )?;
        return Ok(p.plan);
    }

    // Migrated: deploy to the idle track.
    let (active, idle) = active_slot(&p.ws, name, o, &tracks)?;
    if o.images.is_empty() {
        p.warn(format!(
            "Deployment/{name} already runs as blue/green (the Service selects slot {active}); give --image to deploy to {name}-{idle}, \
             or run `kubectl strategy promote deployment/{name}`"
        ));
        return Ok(p.plan);
    }
    let idle_name = format!("{name}-{idle}");
    p.step(
        format!("deploy {} to the idle track Deployment/{idle_name} (the Service keeps selecting slot {active})", describe(&o.images)),
        Wait::Healthy { workload: idle_name.clone(), then: Then::Promote { app: name.clone() } },
        |ws| {
            super::set_workload_images(ws, &idle_name, &o.images)?;
            mark_pending(ws, &idle_name)
        },
    )?;
    Ok(p.plan)
}

fn describe(images: &[ImageSpec]) -> String {
    images
        .iter()
        .map(|i| match &i.container {
            Some(c) => format!("{c}={}", i.image),
            None => i.image.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which slot the Services select, and the idle one.
fn active_slot(ws: &Workspace, name: &str, o: &BlueGreen, tracks: &[Option<Found>]) -> R<(&'static str, &'static str)> {
    let pods: Vec<BTreeMap<String, String>> = tracks.iter().flatten().map(|t| template_labels(&t.obj)).collect();
    let ns = tracks.iter().flatten().next().and_then(|t| t.obj.namespace.clone());
    let svcs = services(ws, o, &pods, ns.as_deref(), &app_names(name), &mut Vec::new())?;
    let slots: Vec<String> = svcs.iter().filter_map(|s| service_selector(s).get(&o.slot_label).cloned()).collect();
    match slots.first().map(String::as_str) {
        Some("blue") => Ok(("blue", "green")),
        Some("green") => Ok(("green", "blue")),
        _ => err(format!(
            "no Service selects a slot of deployment/{name}'s tracks ({name}-blue, {name}-green); run `kubectl strategy apply blue-green deployment/{name}` first"
        )),
    }
}

/// On a track: it runs a version waiting for `promote`.
pub const PENDING: &str = "kubectl-strategy.io/promote-pending";
/// On a track: it served before the last promote; `rollback` returns to it.
pub const PREVIOUS: &str = "kubectl-strategy.io/rollback-target";

fn has_annotation(f: &Found, key: &str) -> bool {
    f.obj.meta.annotations.as_ref().is_some_and(|a| a.contains_key(key))
}

fn annotation_ptr(key: &str) -> String {
    format!("/metadata/annotations/{}", escape(key))
}

/// Mark a track as holding a version to promote.
pub fn mark_pending(ws: &mut Workspace, track: &str) -> R<()> {
    ws.set("Deployment", track, &annotation_ptr(PENDING), Yaml::str("true"))
}

/// promote: switch the Services to the idle track that holds a new version.
/// rollback: switch back to the track that served before the last promote.
fn switch(ws: Workspace, target: &Target, o: &BlueGreen, promote: bool) -> R<super::Plan> {
    let name = &target.name;
    let verb = if promote { "promote" } else { "roll back" };
    let tracks: Vec<Option<Found>> = SLOTS.iter().map(|s| track(&ws, name, s, &o.slot_label)).collect::<R<_>>()?;
    if tracks.iter().all(Option::is_none) {
        return err(format!("nothing to {verb}: deployment/{name} has no blue/green tracks"));
    }
    let (active, idle) = active_slot(&ws, name, o, &tracks)?;
    let idle_track = tracks[SLOTS.iter().position(|s| *s == idle).expect("slot")].clone();
    let marker = if promote { PENDING } else { PREVIOUS };
    let Some(idle_track) = idle_track.filter(|t| has_annotation(t, marker)) else {
        // Already switched: nothing to do, as `apply` once its steps are done.
        let summary = if promote {
            format!(
                "Plan: promote Deployment/{name}: nothing to do, the Services select slot {active} and {name}-{idle} holds no new version \
                 (deploy one with `kubectl strategy apply blue-green deployment/{name} --image …`)"
            )
        } else {
            format!("Plan: roll back Deployment/{name}: nothing to do, no promote to undo (the Services select {name}-{active})")
        };
        return Ok(super::Plan { summary, app: Vec::new(), steps: Vec::new(), warnings: Vec::new() });
    };
    let identity =
        track_identity(&idle_track, &o.slot_label).ok_or_else(|| super::PlanError("the tracks have no identity label".into()))?;
    if idle_track.obj.workload().and_then(|w| w.replicas) == Some(0) {
        return err(format!("cannot {verb}: deployment/{name}-{idle} has 0 replicas, the Service would select no pods; scale it up first"));
    }
    let pods: Vec<BTreeMap<String, String>> = tracks.iter().flatten().map(|t| template_labels(&t.obj)).collect();
    let mut warnings = Vec::new();
    let svcs = services(&ws, o, &pods, idle_track.obj.namespace.as_deref(), &app_names(name), &mut warnings)?;
    let mut p = Planner::new(ws, format!("Plan: {verb} Deployment/{name} from slot {active} to slot {idle}"));
    p.app(&target.name);
    for w in warnings {
        p.warn(w);
    }
    let names: Vec<String> = svcs.iter().filter_map(|s| s.obj.name.clone()).collect();
    let (title, wait) = if promote {
        (
            format!(
                "point Service/{} at slot {idle} ({name}-{idle}); {name}-{active} keeps running as the rollback target",
                names.join(", Service/")
            ),
            Wait::Endpoints {
                workload: format!("{name}-{idle}"),
                service: names[0].clone(),
                then: Some(Then::Rollback { app: name.clone() }),
            },
        )
    } else {
        (
            format!("point Service/{} back at slot {idle} ({name}-{idle})", names.join(", Service/")),
            Wait::Endpoints {
                workload: format!("{name}-{idle}"),
                service: names[0].clone(),
                then: Some(Then::PromoteAgain { app: name.clone() }),
            },
        )
    };
    let (idle_name, active_name) = (format!("{name}-{idle}"), format!("{name}-{active}"));
    p.step(title, wait, |ws| {
        for svc in &svcs {
            let svc_name = svc.obj.name.as_deref().unwrap_or_default();
            point(ws, svc_name, &[], &identity, &o.slot_label, idle)?;
        }
        ws.remove_pruned("Deployment", &idle_name, &annotation_ptr(marker))?;
        if ws.find("Deployment", &active_name)?.is_some() {
            let other = if promote { PREVIOUS } else { PENDING };
            ws.set("Deployment", &active_name, &annotation_ptr(other), Yaml::str("true"))?;
        }
        Ok(())
    })?;
    Ok(p.plan)
}
