//! Canary: a `<name>-canary` workload beside the stable one, traffic shifted
//! step by step by replica count or by exact route weights.

use super::traffic::{self, Traffic};
use super::{
    Found, PlanError, Planner, R, VERSION_KEYS, WorkloadRef, Workspace, derive_workload, identity_label, images_of, match_labels,
    stale_version_label, template_labels, track_key, track_value,
};
use super::{Then, Track, Wait};
use crate::edit::Yaml;
use crate::manifest::tree::escape;
use crate::manifest::workload::map_selects;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

pub use super::options::Canary;

/// Annotation on the canary recording the total replicas of stable + canary.
pub const TOTAL: &str = "kubectl-strategy.io/total-replicas";

/// Replicas for a canary weight: canary = max(1, round(N·W/100)), stable = N − canary.
pub fn split(total: i32, weight: u32) -> (i32, i32) {
    let w = i64::from(weight);
    let n = i64::from(total);
    let canary = ((n * w + 50) / 100).max(1).min(n.max(1)) as i32;
    (total - canary, canary)
}

/// A replica split is a canary when the stable keeps a replica and the
/// canary's share exceeds the weight asked for by no more than half.
pub fn is_a_canary(total: i32, weight: u32) -> bool {
    let (stable, canary) = split(total, weight);
    stable >= 1 && i64::from(canary) * 100 * 2 <= i64::from(weight) * 3 * i64::from(total)
}

/// Annotation on the canary recording the weight it has reached: a re-run
/// never offers to step back below it.
pub const WEIGHT: &str = "kubectl-strategy.io/canary-weight";
/// Annotation on the stable Deployment while a canary runs: what the plan
/// changed (replicas, added labels, Service selectors), so that promote and
/// rollback return to the user's own shape.
pub const RESTORE: &str = "kubectl-strategy.io/restore";
/// Annotation on the stable Deployment once its canary was promoted or
/// rolled back (`promoted`, `rolled-back`): the one trace a finished canary
/// leaves, so that a re-run knows it is done rather than never begun.
pub const FINISHED: &str = "kubectl-strategy.io/canary-finished";

/// promote/rollback of a target without a canary: done already when the
/// stable records a finished canary, else an error (it never had one).
pub fn finished(ws: Workspace, target: &WorkloadRef, how: super::Finish) -> R<super::Plan> {
    let name = &target.name;
    let stable = ws.find("Deployment", name)?.ok_or_else(|| super::recreate::missing(&ws, target))?;
    let record = stable.obj.meta.annotations.as_ref().and_then(|a| a.get(FINISHED)).cloned();
    let Some(record) = record else {
        return Err(PlanError::NoTracks {
            target: name.clone(),
            how,
            strategy: "canary or blue/green tracks",
            tracks: [Track::Canary, Track::Blue, Track::Green].iter().map(|t| format!("deployment/{}", t.of(name))).collect(),
        });
    };
    let done = if record == "promoted" { "promoted" } else { "rolled back" };
    let mut p = Planner::new(
        ws,
        format!("Plan: {} deployment/{name}: nothing to do: already {done} (its {FINISHED} annotation: {record})", how.verb()),
    );
    p.app(name);
    Ok(p.plan)
}

/// What promote/rollback restore (the value of `RESTORE`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Restore {
    /// `spec.replicas` of the stable as the user wrote it (`None`: unset).
    pub replicas: Option<i32>,
    /// Pod labels the plan added to the stable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Service selectors as the user wrote them, for Services the plan changes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, BTreeMap<String, String>>,
    /// PodMonitors whose `matchLabels` the plan narrows: the keys it drops, with their values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub monitors: BTreeMap<String, BTreeMap<String, String>>,
}

/// How a Service that selects the app's pods comes to select the canary's too.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    /// It does not select on the track key: it selects both already.
    Already,
    /// Drop the track key: the keys left still select only the app's pods.
    DropKey,
    /// Select by the identity label (on stable and canary pods) instead of the track key.
    ByIdentity,
}

/// The application as it stands: stable, canary, Services, and the one
/// selector label whose value tells canary pods from stable ones.
pub struct App {
    pub name: String,
    pub stable: Found,
    pub canary: Option<Found>,
    /// The selector key that differs between stable and canary.
    pub key: String,
    pub stable_selector: BTreeMap<String, String>,
    pub canary_selector: BTreeMap<String, String>,
    /// A label both tracks carry, for Services that must select both by something else than `key`.
    pub identity: (String, String),
    pub services: Vec<Found>,
}

impl traffic::Backends for App {
    fn name(&self) -> &str {
        &self.name
    }
    fn namespace(&self) -> Option<&str> {
        self.stable.obj.namespace.as_deref()
    }
    fn key(&self) -> &str {
        &self.key
    }
    fn selector(&self, track: Track) -> &BTreeMap<String, String> {
        if track == Track::Canary { &self.canary_selector } else { &self.stable_selector }
    }
    fn services(&self) -> &[Found] {
        &self.services
    }
}

impl App {
    pub fn load(ws: &Workspace, name: &str, track_label: Option<&str>, warnings: &mut Vec<String>) -> R<App> {
        let Some(stable) = ws.find("Deployment", name)? else {
            return Err(super::recreate::missing(
                ws,
                &WorkloadRef { name: name.into(), namespace: None, kind: super::TargetKind::Deployment },
            ));
        };
        super::check_migratable(&stable.obj, &[], &(String::new(), String::new()))?;
        let s = match_labels(&stable.obj);
        let cname = Track::Canary.of(name);
        let canary = ws.find("Deployment", &cname)?;
        let ns = stable.obj.namespace.clone();
        let app_names = vec![name.to_string(), cname.clone()];
        let mut pods = vec![template_labels(&stable.obj)];
        if let Some(c) = &canary {
            pods.push(template_labels(&c.obj));
        }
        let own = [Track::Stable.of(name), cname.clone()];
        let services: Vec<Found> = ws
            .app_services(&pods, ns.as_deref(), &app_names, warnings)
            .into_iter()
            .filter(|svc| !svc.obj.name.as_ref().is_some_and(|n| own.contains(n)))
            .collect();
        let key = match &canary {
            Some(c) => {
                let cs = match_labels(&c.obj);
                let differ: Vec<&String> = s.keys().filter(|k| cs.get(*k) != s.get(*k)).collect();
                match differ.as_slice() {
                    [k] if cs.len() == s.len() && cs.get(*k) == Some(&track_value(&s[*k], Track::Canary)) => (*k).clone(),
                    _ => {
                        return Err(PlanError::NotATrack {
                            track: cname,
                            target: name.to_string(),
                            strategy: "canary",
                            why: format!("its selector is not deployment/{name}'s with one value ending in -canary"),
                        });
                    }
                }
            }
            None => {
                let keys: BTreeSet<String> = services.iter().flat_map(|f| f.service_selector().into_keys()).collect();
                track_key(&stable.obj, &keys, track_label, "--track-label")?
            }
        };
        let mut canary_selector = s.clone();
        canary_selector.insert(key.clone(), track_value(&s[&key], Track::Canary));
        let identity = identity_label(&s, &template_labels(&stable.obj), name, &ws.taken_labels(&app_names, ns.as_deref()));
        Ok(App { name: name.into(), stable, canary, key, stable_selector: s, canary_selector, identity, services })
    }

    fn replicas(f: &Found) -> i32 {
        f.obj.workload().and_then(|w| w.replicas).unwrap_or(1)
    }

    /// Total replicas: what the canary recorded when it was made (so that
    /// promote stays idempotent), else stable + canary now.
    pub fn total(&self) -> i32 {
        let recorded = self.canary.as_ref().and_then(|c| c.obj.meta.annotations.as_ref()?.get(TOTAL)?.parse().ok());
        recorded.unwrap_or_else(|| Self::replicas(&self.stable) + self.canary.as_ref().map_or(0, Self::replicas))
    }

    /// The weight the canary has reached (0 without a canary).
    pub fn weight(&self) -> u32 {
        self.canary.as_ref().and_then(|c| c.obj.meta.annotations.as_ref()?.get(WEIGHT)?.parse().ok()).unwrap_or(0)
    }

    /// What the stable recorded when the canary began.
    pub fn restore(&self) -> Option<Restore> {
        let text = self.stable.obj.meta.annotations.as_ref()?.get(RESTORE)?;
        serde_json::from_str(text).ok()
    }

    /// How each Service of the app comes to select canary pods too, decided
    /// on the selectors as the user wrote them (recorded once a plan began),
    /// so that the plan reads the same on every run.
    fn reach(&self, ws: &Workspace, restore: Option<&Restore>) -> Vec<(Found, Reach)> {
        let ns = self.stable.obj.namespace.as_deref();
        let others = ws.other_pod_labels(&[self.name.clone(), Track::Canary.of(&self.name)], ns);
        self.services
            .iter()
            .map(|svc| {
                let recorded = restore.and_then(|r| r.services.get(svc.obj.name.as_deref().unwrap_or_default()));
                let sel = recorded.cloned().unwrap_or_else(|| svc.service_selector());
                let reach = if !sel.contains_key(&self.key) || sel.get(&self.key) != self.stable_selector.get(&self.key) {
                    Reach::Already
                } else {
                    let mut rest = sel.clone();
                    rest.remove(&self.key);
                    if !rest.is_empty() && !others.iter().any(|l| map_selects(&rest, l)) { Reach::DropKey } else { Reach::ByIdentity }
                };
                (svc.clone(), reach)
            })
            .collect()
    }
}

impl super::Strategy for Canary {
    fn plan(&self, ws: Workspace, target: &WorkloadRef) -> R<super::Plan> {
        if target.kind == super::TargetKind::Rollout {
            return super::rollout::canary(ws, target, self);
        }
        plan(ws, target, self)
    }
    fn tracks(&self, target: &WorkloadRef) -> Vec<String> {
        vec![Track::Canary.of(&target.name)]
    }
    fn finish(&self, ws: Workspace, target: &WorkloadRef, how: super::Finish) -> R<super::Plan> {
        finish(ws, target, self.track_label.as_deref(), how == super::Finish::Promote)
    }
}

/// Services that select the stable pods and other workloads' pods too, each
/// with whether it selects the canary's pods (its labels differ in the track key only).
fn shared_services(ws: &Workspace, app: &App) -> Vec<(String, bool)> {
    let stable = template_labels(&app.stable.obj);
    let mut canary = stable.clone();
    canary.insert(app.key.clone(), app.canary_selector[&app.key].clone());
    let own = [Track::Stable.of(&app.name), Track::Canary.of(&app.name)];
    ws.services_selecting(&stable, app.stable.obj.namespace.as_deref())
        .into_iter()
        .filter_map(|f| f.obj.name.clone().map(|n| (n, f.service_selector())))
        .filter(|(n, _)| !own.contains(n) && !app.services.iter().any(|s| s.obj.name.as_ref() == Some(n)))
        .map(|(n, sel)| (n, map_selects(&sel, &canary)))
        .collect()
}

fn label_ptr(k: &str) -> String {
    format!("/spec/template/metadata/labels/{}", escape(k))
}

fn annotation_ptr(k: &str) -> String {
    format!("/metadata/annotations/{}", escape(k))
}

fn plan(ws: Workspace, target: &WorkloadRef, o: &Canary) -> R<super::Plan> {
    for w in &o.weights {
        if !(1..=100).contains(w) {
            return Err(PlanError::WeightOutOfRange { weight: *w });
        }
    }
    if o.weights.windows(2).any(|w| w[0] >= w[1]) {
        return Err(PlanError::StepsNotIncreasing { rollout: false });
    }
    let mut warnings = Vec::new();
    let app = App::load(&ws, &target.name, o.track_label.as_deref(), &mut warnings)?;
    let name = app.name.clone();
    if app.canary.is_none() && o.images.is_empty() {
        return Err(PlanError::NeedsImage { canary: Track::Canary.of(&name) });
    }
    let total = o.replicas.unwrap_or_else(|| app.total());
    if total < 1 {
        return Err(match o.replicas {
            Some(_) => PlanError::ReplicasFlagZero,
            None => PlanError::ScaledToZero { target: name },
        });
    }
    let weighted = o.traffic != Traffic::Replicas;
    let weights = if o.weights.is_empty() { vec![25] } else { o.weights.clone() };
    if !weighted
        && o.replicas.is_none()
        && let Some(&w) = weights.iter().find(|&&w| w < 100 && !is_a_canary(total, w))
    {
        let (s, c) = split(total, w);
        // The fewest replicas that give the weight exactly (25 % -> 4), else the fewest that give a canary.
        let exact = |n: i32| i64::from(split(n, w).1) * 100 == i64::from(w) * i64::from(n);
        let replicas_advice =
            (total + 1..=20).find(|&n| is_a_canary(n, w) && exact(n)).or_else(|| (total + 1..=100).find(|&n| is_a_canary(n, w)));
        return Err(PlanError::NotACanary { total, weight: w, stable: s, canary: c, replicas_advice });
    }
    let mut p = Planner::new(
        ws,
        format!("Plan: canary for Deployment/{name}, {total} replicas in all, traffic by {} ({})", o.traffic.describe(), app.stable.file),
    );
    p.app(&target.name);
    for w in warnings {
        p.warn(w);
    }
    if let Some(&w) = weights.iter().find(|&&w| w < 100 && split(total, w).0 == 0) {
        p.warn(format!("with {total} replica(s), a {w}% canary takes every replica: all traffic goes to the canary; raise --replicas"));
    }
    if let Some(w) = o.traffic.retired_warning() {
        p.warn(w);
    }
    // A Service shared with other workloads is left as it is: it reaches the
    // canary only if it does not select on the track key, else the plan is refused.
    let shared = shared_services(&p.ws, &app);
    if app.canary.is_none()
        && let Some((svc, _)) = shared.iter().find(|(_, reaches)| !reaches)
    {
        return Err(PlanError::SharedServiceTrackKey {
            target: name,
            service: svc.clone(),
            key: app.key.clone(),
            value: app.canary_selector[&app.key].clone(),
        });
    }
    for (svc, _) in shared.iter().filter(|(_, reaches)| *reaches) {
        p.warn(format!("Service/{svc} selects the canary's pods too: it keeps the labels Service/{svc} selects on"));
    }
    if app.services.is_empty() && shared.is_empty() {
        p.warn(format!("no Service selects deployment/{name}'s pods: the canary will get no traffic until one does"));
    }
    let follow = {
        let l = template_labels(&app.stable.obj);
        let mut canary_labels = l.clone();
        canary_labels.insert(app.key.clone(), app.canary_selector[&app.key].clone());
        // An HPA, PDB, NetworkPolicy or PodMonitor the plan does not move would
        // fight it or stop covering the canary: refused before the canary exists,
        // never only warned. PodMonitors on the track key follow when they can.
        let own = [name.clone(), Track::Canary.of(&name)];
        let found = super::label_consumers(&p.ws, &name, &own, app.stable.obj.namespace.as_deref(), &l, &canary_labels);
        // The track Services a traffic provider adds carry no labels: only a
        // ServiceMonitor that selects every Service would scrape them too.
        let added: Vec<(String, BTreeMap<String, String>)> =
            o.traffic.router().services(&name).into_iter().map(|s| (s, BTreeMap::new())).collect();
        let ns = app.stable.obj.namespace.as_deref();
        let blockers = [found.blockers, super::double_scrapes(&p.ws, ns, &l, &added)].concat();
        if app.canary.is_none() && !blockers.is_empty() {
            return Err(PlanError::Blocked { target: format!("deployment/{name}"), strategy: "a canary", blockers });
        }
        for b in blockers {
            p.warn(b.describe(&format!("deployment/{name}")));
        }
        found.follow
    };
    // With replica-split traffic (and Istio, whose subsets live on the user's
    // Service) the user's Service must select stable and canary; other
    // providers route through Services of their own.
    let shares = o.traffic.router().shares_user_service();
    let recorded = app.restore();
    let reach: Vec<(Found, Reach)> = if shares { app.reach(&p.ws, recorded.as_ref()) } else { Vec::new() };
    let (ik, iv) = app.identity.clone();
    let by_identity = reach.iter().any(|(_, r)| *r == Reach::ByIdentity);
    let needs_identity = match &recorded {
        Some(r) => r.labels.contains(&ik),
        None => by_identity && template_labels(&app.stable.obj).get(&ik) != Some(&iv),
    };
    let recorded = recorded.is_some();
    // Always listed (done once recorded), so step numbers stay put between runs.
    {
        let restore = Restore {
            replicas: app.stable.obj.workload().and_then(|w| w.replicas),
            labels: if needs_identity { vec![ik.clone()] } else { Vec::new() },
            services: reach
                .iter()
                .filter(|(_, r)| *r != Reach::Already)
                .map(|(s, _)| (s.obj.name.clone().unwrap_or_default(), s.service_selector()))
                .collect(),
            monitors: follow.iter().map(|m| (m.name.clone(), BTreeMap::from([(m.key.clone(), m.match_labels[&m.key].clone())]))).collect(),
        };
        let title = if needs_identity {
            format!(
                "label the pods of Deployment/{name} with {ik}={iv} (its selector stays as it is; the pods restart once with the same images)"
            )
        } else {
            format!("record the shape of Deployment/{name} (replicas, Service selectors) for promote and rollback")
        };
        let wait = if needs_identity { Wait::RolledOut(vec![name.clone()]) } else { Wait::Nothing(Then::NextStep) };
        p.step(title, wait, |ws| {
            if recorded {
                return Ok(());
            }
            let json = serde_json::to_string(&restore).expect("serializable");
            ws.set("Deployment", &name, &annotation_ptr(RESTORE), Yaml::str(json))?;
            // A new canary: the last one's record goes (promote writes it again).
            ws.remove("Deployment", &name, &annotation_ptr(FINISHED))?;
            if needs_identity {
                ws.set("Deployment", &name, &label_ptr(&ik), Yaml::str(&iv))?;
            }
            Ok(())
        })?;
    }
    // Steps below the weight the canary has reached are behind us: they stay done.
    let reached = if o.replicas.is_some_and(|r| r != app.total()) { 0 } else { app.weight() };
    let selects = |reach: &[(Found, Reach)]| -> String {
        if reach.iter().any(|(_, r)| *r == Reach::ByIdentity) {
            format!("; the Service selects both by {ik}={iv}")
        } else if reach.iter().any(|(_, r)| *r == Reach::DropKey) {
            format!("; the Service selects both without {}", app.key)
        } else if reach.is_empty() {
            String::new()
        } else {
            "; the Service selects both as it is".to_string()
        }
    };
    let monitors: String = follow
        .iter()
        .map(|m| {
            format!("; {}/{} stops selecting on {} so that it scrapes the canary too (back on promote/rollback)", m.kind, m.name, m.key)
        })
        .collect();
    for (i, w) in weights.into_iter().enumerate() {
        let (stable_n, canary_n) = split(total, w);
        let passed = w < reached;
        let monitors = if i == 0 { monitors.as_str() } else { "" };
        let title = if weighted {
            format!(
                "canary at {w}%: route {w}% of requests to Deployment/{name}-canary ({canary_n} replicas) and {}% to {name} ({stable_n}) through {}{monitors}",
                100 - w,
                o.traffic.describe()
            )
        } else {
            // Whole replicas rarely give the weight exactly: say what they give.
            let share = i64::from(canary_n) * 100;
            let exact = if share == i64::from(w) * i64::from(total) {
                String::new()
            } else {
                format!(" (the canary is {} % of the pods)", (share + i64::from(total) / 2) / i64::from(total))
            };
            format!("canary at {w}%: {stable_n} stable + {canary_n} canary replicas of {total}{exact}{}{monitors}", selects(&reach))
        };
        p.step(title, Wait::Healthy { workload: Track::Canary.of(&name), then: Then::NextStep }, |ws| {
            if passed {
                return Ok(());
            }
            ensure_canary(ws, &app, o, canary_n, total, w)?;
            ws.set("Deployment", &name, "/spec/replicas", Yaml::Int(stable_n.into()))?;
            for (svc, r) in &reach {
                let n = svc.obj.name.clone().unwrap_or_default();
                match r {
                    Reach::Already => {}
                    Reach::DropKey => ws.remove("Service", &n, &format!("/spec/selector/{}", escape(&app.key)))?,
                    Reach::ByIdentity => {
                        // Add first, then remove, so a block selector stays a block.
                        ws.set("Service", &n, &format!("/spec/selector/{}", escape(&ik)), Yaml::str(&iv))?;
                        ws.remove("Service", &n, &format!("/spec/selector/{}", escape(&app.key)))?;
                    }
                }
            }
            for m in &follow {
                ws.remove(&m.kind, &m.name, &m.ptr())?;
            }
            if weighted {
                traffic::ensure(ws, o.traffic, &app, o.gateway.as_deref(), w)?;
            }
            Ok(())
        })?;
    }
    Ok(p.plan)
}

fn ensure_canary(ws: &mut Workspace, app: &App, o: &Canary, replicas: i32, total: i32, weight: u32) -> R<()> {
    let cname = Track::Canary.of(&app.name);
    if ws.find("Deployment", &cname)?.is_some() {
        ws.set("Deployment", &cname, "/spec/replicas", Yaml::Int(replicas.into()))?;
        ws.set("Deployment", &cname, &annotation_ptr(TOTAL), Yaml::str(total.to_string()))?;
        ws.set("Deployment", &cname, &annotation_ptr(WEIGHT), Yaml::str(weight.to_string()))?;
        if !o.images.is_empty() {
            super::set_workload_images(ws, &cname, &o.images)?;
            if let Some(c) = ws.find("Deployment", &cname)?
                && let Some((k, v)) = stale_version_label(&c.obj, &o.images)
            {
                ws.set("Deployment", &cname, &label_ptr(&k), Yaml::str(v))?;
            }
        }
        return Ok(());
    }
    let stable = ws.find("Deployment", &app.name)?.ok_or_else(|| PlanError::not_found("Deployment", &app.name))?;
    let mut pod_labels: Vec<(String, Option<String>)> = vec![(app.key.clone(), Some(app.canary_selector[&app.key].clone()))];
    if let Some((k, v)) = stale_version_label(&stable.obj, &o.images) {
        pod_labels.push((k, Some(v)));
    }
    let selector: Vec<(String, String)> = app.canary_selector.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let text = derive_workload(ws, &stable, &cname, &selector, &pod_labels, Some(replicas), &o.images)?;
    let mut e = crate::edit::Editor::new(&cname, text);
    e.remove_pruned(0, &annotation_ptr(RESTORE))?;
    e.remove(0, &annotation_ptr(FINISHED))?;
    e.set(0, &annotation_ptr(TOTAL), &Yaml::str(total.to_string()))?;
    e.set(0, &annotation_ptr(WEIGHT), &Yaml::str(weight.to_string()))?;
    ws.add_after("Deployment", &app.name, &e.text)
}

/// promote: stable takes the canary's images, then the canary goes.
/// rollback (abort): the canary goes. Both return the stable and its Services
/// to the shape recorded when the canary began.
fn finish(ws: Workspace, target: &WorkloadRef, track_label: Option<&str>, promote: bool) -> R<super::Plan> {
    let mut warnings = Vec::new();
    let app = App::load(&ws, &target.name, track_label, &mut warnings)?;
    let name = app.name.clone();
    let verb = if promote { "promote" } else { "roll back" };
    let Some(canary) = app.canary.clone() else {
        return finished(ws, target, if promote { super::Finish::Promote } else { super::Finish::Rollback });
    };
    let total = app.total();
    let restore = app.restore();
    let images = images_of(&canary.obj);
    let version = VERSION_KEYS
        .iter()
        .find(|k| !app.stable_selector.contains_key(**k))
        .and_then(|k| Some((k.to_string(), template_labels(&canary.obj).get(*k)?.clone())));
    // Without a record, step 1 is done (it removes the record) once the
    // stable runs the canary's images; a canary made without one gets all replicas.
    let stable_has_images = images_of(&app.stable.obj).iter().map(|i| &i.image).eq(images.iter().map(|i| &i.image));
    let replicas = match &restore {
        Some(r) => r.replicas,
        None if stable_has_images || !promote => app.stable.obj.workload().and_then(|w| w.replicas),
        None => Some(total),
    };
    let shown_replicas = replicas.map_or("its replicas unset again (as written)".to_string(), |n| {
        format!("{n} {}", crate::text::one_or_many(n as usize, "replica", "replicas"))
    });
    let mut p = Planner::new(ws, format!("Plan: {verb} the canary of Deployment/{name} ({total} replicas in all)"));
    p.app(&target.name);
    let title = if promote {
        let shown: Vec<String> = images.iter().map(|i| format!("{}={}", i.container.as_deref().unwrap_or("?"), i.image)).collect();
        format!("give Deployment/{name} the canary's images ({}) and {shown_replicas}", shown.join(", "))
    } else {
        format!("give Deployment/{name} {shown_replicas} back (its images are unchanged)")
    };
    p.step(title, Wait::RolledOut(vec![name.clone()]), |ws| {
        if promote {
            super::set_workload_images(ws, &name, &images)?;
            if let Some((k, v)) = &version
                && template_labels(&app.stable.obj).contains_key(k)
            {
                ws.set("Deployment", &name, &label_ptr(k), Yaml::str(v))?;
            }
        }
        match replicas {
            Some(n) => ws.set("Deployment", &name, "/spec/replicas", Yaml::Int(n.into()))?,
            None => ws.remove("Deployment", &name, "/spec/replicas")?,
        }
        if let Some(r) = &restore {
            for l in &r.labels {
                ws.remove("Deployment", &name, &label_ptr(l))?;
            }
            for (svc, sel) in &r.services {
                if ws.find("Service", svc)?.is_some() {
                    let m = Yaml::Map(sel.iter().map(|(k, v)| (k.clone(), Yaml::str(v))).collect());
                    ws.set("Service", svc, "/spec/selector", m)?;
                }
            }
            for (monitor, keys) in &r.monitors {
                if ws.find("PodMonitor", monitor)?.is_some() {
                    for (k, v) in keys {
                        ws.set("PodMonitor", monitor, &format!("/spec/selector/matchLabels/{}", escape(k)), Yaml::str(v))?;
                    }
                }
            }
        }
        // Set before the record goes, so that the annotations never become `{}`.
        ws.set("Deployment", &name, &annotation_ptr(FINISHED), Yaml::str(if promote { "promoted" } else { "rolled-back" }))?;
        if restore.is_some() {
            ws.remove_pruned("Deployment", &name, &annotation_ptr(RESTORE))?;
        }
        Ok(())
    })?;
    p.step(format!("remove Deployment/{name}-canary and its routes"), Wait::Nothing(Then::StableServes), |ws| {
        traffic::remove(ws, &app)?;
        ws.remove_object("Deployment", &Track::Canary.of(&name))
    })?;
    Ok(p.plan)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn replica_math_of_the_talk() {
        assert_eq!(split(4, 25), (3, 1));
        assert_eq!(split(4, 50), (2, 2));
        assert_eq!(split(4, 100), (0, 4));
        assert_eq!(split(10, 1), (9, 1));
        assert_eq!(split(3, 50), (1, 2));
        assert_eq!(split(1, 10), (0, 1));
    }

    #[test]
    fn a_split_that_is_not_a_canary() {
        use super::is_a_canary;
        assert!(is_a_canary(4, 25) && is_a_canary(4, 50));
        assert!(!is_a_canary(1, 25), "stable 0 + canary 1");
        assert!(!is_a_canary(2, 25), "1 of 2 is 50 %, twice the weight");
        assert!(!is_a_canary(3, 10) && is_a_canary(10, 10));
    }
}
