//! Blue/green: two tracks `<name>-blue` and `<name>-green`, copies of the
//! original that differ from it in one selector label value (`app: web-blue`,
//! `app: web-green`); the Service selects one of them by that label; the new
//! version goes to the idle track; promote switches the Service's value.

use super::{
    Found, ImageSpec, PlanError, Planner, R, WorkloadRef, Workspace, derive_workload, match_labels, stale_version_label, template_labels,
    track_key, track_value,
};
use super::{Then, Track, Wait};
use crate::edit::Yaml;
use crate::manifest::tree::escape;
use std::collections::{BTreeMap, BTreeSet};

pub use super::options::BlueGreen;

const SLOTS: [Track; 2] = [Track::Blue, Track::Green];

/// The label that tells the tracks apart: its key and the original's value.
#[derive(Clone, Debug)]
struct Slot {
    key: String,
    base: String,
}

impl Slot {
    fn value(&self, t: Track) -> String {
        track_value(&self.base, t)
    }

    /// The track a Service selector points at, if any.
    fn selected(&self, selector: &BTreeMap<String, String>) -> Option<Track> {
        let v = selector.get(&self.key)?;
        SLOTS.into_iter().find(|t| *v == self.value(*t))
    }

    /// Read from existing tracks: the one key whose value ends in the track's suffix.
    fn of_tracks(name: &str, tracks: &[Option<Found>]) -> R<Option<Slot>> {
        let mut found: Option<Slot> = None;
        for (t, f) in SLOTS.iter().zip(tracks) {
            let Some(f) = f else { continue };
            let suffix = format!("-{}", t.suffix());
            let slot =
                match_labels(&f.obj).into_iter().find_map(|(k, v)| v.strip_suffix(&suffix).map(|b| Slot { key: k, base: b.to_string() }));
            match (slot, &found) {
                (Some(s), Some(prev)) if s.key != prev.key || s.base != prev.base => {
                    return Err(PlanError::TracksDiverge { target: name.to_string() });
                }
                (Some(s), _) => found = Some(s),
                (None, _) => {
                    return Err(PlanError::NotATrack {
                        track: t.of(name),
                        target: name.to_string(),
                        strategy: "blue/green track",
                        why: format!("no selector value ends in {suffix}"),
                    });
                }
            }
        }
        Ok(found)
    }
}

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
            None => Err(PlanError::not_found("Service", name)),
        };
    }
    Ok(ws.app_services(pods, ns, app, warnings))
}

fn app_names(name: &str) -> Vec<String> {
    std::iter::once(name.to_string()).chain(SLOTS.iter().map(|t| t.of(name))).collect()
}

fn tracks_of(ws: &Workspace, name: &str) -> R<Vec<Option<Found>>> {
    SLOTS.iter().map(|t| ws.find("Deployment", &t.of(name))).collect()
}

/// Point a Service at one track: one selector value changes (or one key is added).
fn point(ws: &mut Workspace, svc: &str, slot: &Slot, t: Track) -> R<()> {
    ws.set("Service", svc, &format!("/spec/selector/{}", escape(&slot.key)), Yaml::str(slot.value(t)))
}

impl super::Strategy for BlueGreen {
    fn plan(&self, ws: Workspace, target: &WorkloadRef) -> R<super::Plan> {
        if target.kind == super::TargetKind::Rollout {
            return super::rollout::blue_green(ws, target, self);
        }
        plan(ws, target, self)
    }
    fn tracks(&self, target: &WorkloadRef) -> Vec<String> {
        SLOTS.iter().map(|t| t.of(&target.name)).collect()
    }
    fn finish(&self, ws: Workspace, target: &WorkloadRef, how: super::Finish) -> R<super::Plan> {
        switch(ws, target, self, how == super::Finish::Promote)
    }
}

fn plan(ws: Workspace, target: &WorkloadRef, o: &BlueGreen) -> R<super::Plan> {
    let name = &target.name;
    let base = ws.find("Deployment", name)?;
    let tracks = tracks_of(&ws, name)?;
    let existing = Slot::of_tracks(name, &tracks)?;
    let Some(source) = base.clone().or_else(|| tracks.iter().flatten().next().cloned()) else {
        return Err(super::recreate::missing(&ws, target));
    };
    let mut p = Planner::new(ws, format!("Plan: Deployment/{name} to blue/green ({})", source.file));
    p.app(&target.name);

    if let Some(base) = base {
        // Migration: add both tracks, switch the Service, retire the original.
        super::check_migratable(&base.obj, &[], &(String::new(), String::new()))?;
        let s = match_labels(&base.obj);
        let l = template_labels(&base.obj);
        let ns = base.obj.namespace.clone();
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
            return Err(if shared.is_empty() {
                PlanError::NoService { target: format!("deployment/{name}"), hint: "name the one to switch with --service" }
            } else {
                PlanError::SharedServices { target: name.clone(), services: shared }
            });
        }
        let slot = match existing {
            Some(s) => s,
            None => {
                let keys: BTreeSet<String> = svcs.iter().flat_map(|f| f.service_selector().into_keys()).collect();
                let key = track_key(&base.obj, &keys, o.slot_label.as_deref(), "--slot-label")?;
                Slot { base: s[&key].clone(), key }
            }
        };
        let replicas = base.obj.workload().and_then(|w| w.replicas).unwrap_or(1);
        let mut blue_labels = l.clone();
        blue_labels.insert(slot.key.clone(), slot.value(Track::Blue));
        // PodMonitors on the slot key follow both tracks for good (the key goes
        // from their matchLabels); what cannot follow refuses the plan.
        let found = super::label_consumers(&p.ws, name, &app_names(name), ns.as_deref(), &l, &blue_labels);
        let follow = found.follow;
        let blockers = found.blockers;
        if tracks.iter().all(Option::is_none) && !blockers.is_empty() {
            return Err(PlanError::Blocked { target: format!("deployment/{name}"), strategy: "blue/green", blockers });
        }
        for b in blockers {
            p.warn(b.describe(&format!("deployment/{name}")));
        }
        let new_images = o.images.clone();
        let monitors: String =
            follow.iter().map(|m| format!("; {}/{} stops selecting on {} so that it scrapes both tracks", m.kind, m.name, m.key)).collect();
        p.step(
            format!(
                "create Deployment/{name}-blue (the current images) and Deployment/{name}-green ({}), {replicas} {} each; \
                 copies of Deployment/{name} whose pods differ only in {}={}|{}, so Deployment/{name}'s selector cannot adopt them{monitors}",
                if new_images.is_empty() { "the current images".to_string() } else { describe(&new_images) },
                crate::text::one_or_many(usize::try_from(replicas).unwrap_or(0), "replica", "replicas"),
                slot.key,
                slot.value(Track::Blue),
                slot.value(Track::Green),
            ),
            Wait::RolledOut(vec![Track::Blue.of(name), Track::Green.of(name)]),
            |ws| {
                for m in &follow {
                    ws.remove(&m.kind, &m.name, &m.ptr())?;
                }
                for (i, t) in SLOTS.iter().enumerate() {
                    let track = t.of(name);
                    if ws.find("Deployment", &track)?.is_some() {
                        // Already there: a re-run with another --image updates the new track.
                        if i == 1 && !new_images.is_empty() {
                            update_images(ws, &track, &new_images)?;
                            mark_pending(ws, &track)?;
                        }
                        continue;
                    }
                    let value = slot.value(*t);
                    let mut pod_labels: Vec<(String, Option<String>)> = vec![(slot.key.clone(), Some(value.clone()))];
                    let images = if i == 1 { new_images.clone() } else { Vec::new() };
                    if let Some((k, v)) = stale_version_label(&base.obj, &images) {
                        pod_labels.push((k, Some(v)));
                    }
                    let mut selector: Vec<(String, String)> = s.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    for (k, v) in &mut selector {
                        if *k == slot.key {
                            *v = value.clone();
                        }
                    }
                    let mut text = derive_workload(ws, &base, &track, &selector, &pod_labels, None, &images)?;
                    if !images.is_empty() {
                        let mut e = crate::edit::Editor::new(&track, text);
                        e.set(0, &annotation_ptr(PENDING), &Yaml::str("true"))?;
                        text = e.text;
                    }
                    let after = if i == 0 { name.clone() } else { Track::Blue.of(name) };
                    ws.add_after("Deployment", &after, &text)?;
                }
                Ok(())
            },
        )?;
        let names: Vec<String> = svcs.iter().filter_map(|s| s.obj.name.clone()).collect();
        p.step(
            format!("point Service/{} at Deployment/{name}-blue ({}={})", names.join(", Service/"), slot.key, slot.value(Track::Blue)),
            Wait::Endpoints { workload: Track::Blue.of(name), service: names[0].clone(), then: None },
            |ws| {
                for svc in &svcs {
                    if slot.selected(&svc.service_selector()).is_some() {
                        continue; // already pointed at a track
                    }
                    point(ws, svc.obj.name.as_deref().unwrap_or_default(), &slot, Track::Blue)?;
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
    let slot = existing.ok_or_else(|| super::recreate::missing(&p.ws, target))?;
    let (active, idle) = active_slot(&p.ws, name, o, &tracks, &slot)?;
    if o.images.is_empty() {
        p.warn(format!(
            "Deployment/{name} already runs as blue/green (the Service selects {}); give --image to deploy to {}, \
             or run `kubectl strategy promote deployment/{name}`",
            active.of(name),
            idle.of(name)
        ));
        return Ok(p.plan);
    }
    let idle_name = idle.of(name);
    p.step(
        format!(
            "deploy {} to the idle track Deployment/{idle_name} (the Service keeps selecting {})",
            describe(&o.images),
            active.of(name)
        ),
        Wait::Healthy { workload: idle_name.clone(), then: Then::Promote { app: name.clone() } },
        |ws| {
            update_images(ws, &idle_name, &o.images)?;
            mark_pending(ws, &idle_name)
        },
    )?;
    Ok(p.plan)
}

/// New images on a track, and its version label if they make it stale.
fn update_images(ws: &mut Workspace, track: &str, images: &[ImageSpec]) -> R<()> {
    super::set_workload_images(ws, track, images)?;
    if let Some(t) = ws.find("Deployment", track)?
        && let Some((k, v)) = stale_version_label(&t.obj, images)
    {
        ws.set("Deployment", track, &format!("/spec/template/metadata/labels/{}", escape(&k)), Yaml::str(v))?;
    }
    Ok(())
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

/// Which track the Services select, and the idle one.
fn active_slot(ws: &Workspace, name: &str, o: &BlueGreen, tracks: &[Option<Found>], slot: &Slot) -> R<(Track, Track)> {
    let pods: Vec<BTreeMap<String, String>> = tracks.iter().flatten().map(|t| template_labels(&t.obj)).collect();
    let ns = tracks.iter().flatten().next().and_then(|t| t.obj.namespace.clone());
    let svcs = services(ws, o, &pods, ns.as_deref(), &app_names(name), &mut Vec::new())?;
    match svcs.iter().find_map(|s| slot.selected(&s.service_selector())) {
        Some(Track::Blue) => Ok((Track::Blue, Track::Green)),
        Some(_) => Ok((Track::Green, Track::Blue)),
        None => Err(PlanError::NoActiveTrack { target: name.to_string(), tracks: [Track::Blue.of(name), Track::Green.of(name)] }),
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
fn switch(ws: Workspace, target: &WorkloadRef, o: &BlueGreen, promote: bool) -> R<super::Plan> {
    let name = &target.name;
    let how = if promote { super::Finish::Promote } else { super::Finish::Rollback };
    let verb = how.verb();
    let tracks = tracks_of(&ws, name)?;
    let Some(slot) = Slot::of_tracks(name, &tracks)? else {
        return Err(PlanError::NoTracks {
            target: name.clone(),
            how,
            strategy: "blue/green tracks",
            tracks: SLOTS.iter().map(|t| format!("deployment/{}", t.of(name))).collect(),
        });
    };
    let (active, idle) = active_slot(&ws, name, o, &tracks, &slot)?;
    let idle_track = tracks[SLOTS.iter().position(|s| *s == idle).expect("slot")].clone();
    let marker = if promote { PENDING } else { PREVIOUS };
    let Some(idle_track) = idle_track.filter(|t| has_annotation(t, marker)) else {
        // Already switched: nothing to do, as `apply` once its steps are done.
        // The track that served before the last promote records it.
        let promoted = tracks.iter().flatten().any(|t| has_annotation(t, PREVIOUS));
        let summary = if promote {
            format!(
                "Plan: promote Deployment/{name}: nothing to do: {} (the Services select {} and {} holds no new version; \
                 deploy one with `kubectl strategy apply blue-green deployment/{name} --image …`)",
                if promoted { "already promoted" } else { "no new version to promote" },
                active.of(name),
                idle.of(name)
            )
        } else {
            format!(
                "Plan: roll back Deployment/{name}: nothing to do: already rolled back, no promote to undo (the Services select {})",
                active.of(name)
            )
        };
        return Ok(super::Plan { summary, app: Vec::new(), steps: Vec::new(), warnings: Vec::new() });
    };
    if idle_track.obj.workload().and_then(|w| w.replicas) == Some(0) {
        return Err(PlanError::TrackScaledToZero { how, track: idle.of(name) });
    }
    let pods: Vec<BTreeMap<String, String>> = tracks.iter().flatten().map(|t| template_labels(&t.obj)).collect();
    let mut warnings = Vec::new();
    let svcs = services(&ws, o, &pods, idle_track.obj.namespace.as_deref(), &app_names(name), &mut warnings)?;
    let (idle_name, active_name) = (idle.of(name), active.of(name));
    let mut p = Planner::new(ws, format!("Plan: {verb} Deployment/{name} from {active_name} to {idle_name}"));
    p.app(&target.name);
    for w in warnings {
        p.warn(w);
    }
    let names: Vec<String> = svcs.iter().filter_map(|s| s.obj.name.clone()).collect();
    let (title, then) = if promote {
        (
            format!(
                "point Service/{} at {idle_name} ({}={}); {active_name} keeps running as the rollback target",
                names.join(", Service/"),
                slot.key,
                slot.value(idle)
            ),
            Then::Rollback { app: name.clone() },
        )
    } else {
        (
            format!("point Service/{} back at {idle_name} ({}={})", names.join(", Service/"), slot.key, slot.value(idle)),
            Then::PromoteAgain { app: name.clone() },
        )
    };
    let service = names.first().cloned().unwrap_or_default();
    p.step(title, Wait::Endpoints { workload: idle_name.clone(), service, then: Some(then) }, |ws| {
        for svc in &svcs {
            point(ws, svc.obj.name.as_deref().unwrap_or_default(), &slot, idle)?;
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
