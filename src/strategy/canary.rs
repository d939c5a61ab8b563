//! Canary: a `<name>-canary` workload beside the stable one, traffic shifted
//! step by step by replica count or by exact route weights.

use super::traffic::{self, Traffic};
use super::{
    Found, ImageSpec, Planner, R, Target, Workspace, derive_workload, err, identity_label, images_of, match_labels, template_labels,
};
use super::{Then, Track, Wait};
use crate::edit::Yaml;
use crate::manifest::tree::escape;
use std::collections::BTreeMap;

/// A canary workload beside the stable one.
#[derive(Clone, Debug)]
pub struct Canary {
    pub images: Vec<ImageSpec>,
    /// Weights in percent, one step each (`--weight W` is one step; `--steps 25,50,100`).
    pub weights: Vec<u32>,
    pub replicas: Option<i32>,
    pub traffic: Traffic,
    pub track_label: String,
    pub gateway: Option<String>,
}

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

/// The application as it stands: stable, canary, Services, identity label.
pub struct App {
    pub name: String,
    pub stable: Found,
    pub canary: Option<Found>,
    pub identity: (String, String),
    pub stable_selector: BTreeMap<String, String>,
    pub services: Vec<Found>,
}

impl App {
    pub fn load(ws: &Workspace, name: &str, track_label: &str, warnings: &mut Vec<String>) -> R<App> {
        let Some(stable) = ws.find("Deployment", name)? else {
            return err(super::recreate::missing(ws, &Target { name: name.into(), namespace: None }));
        };
        let cname = format!("{name}-canary");
        let canary = match ws.find("Deployment", &cname)? {
            Some(c) if match_labels(&c.obj).get(track_label).map(String::as_str) == Some("canary") => Some(c),
            Some(_) => {
                return err(format!(
                    "deployment/{cname} exists but is not a canary of deployment/{name} (its selector has no {track_label}=canary); \
                     rename it or pick another --track-label"
                ));
            }
            None => None,
        };
        let s = match_labels(&stable.obj);
        let ns = stable.obj.namespace.clone();
        let app_names = vec![name.to_string(), cname.clone()];
        let identity = match &canary {
            // An existing canary's selector names the identity label.
            Some(c) => match_labels(&c.obj).into_iter().find(|(k, _)| k != track_label).unwrap_or_default(),
            None => identity_label(&s, &template_labels(&stable.obj), name, &ws.taken_labels(&app_names, ns.as_deref())),
        };
        super::check_migratable(&stable.obj, &[track_label], &identity)?;
        let mut pods = vec![template_labels(&stable.obj)];
        if let Some(c) = &canary {
            pods.push(template_labels(&c.obj));
        }
        let own = [format!("{name}-stable"), format!("{name}-canary")];
        let services = ws
            .app_services(&pods, ns.as_deref(), &app_names, warnings)
            .into_iter()
            .filter(|svc| !svc.obj.name.as_ref().is_some_and(|n| own.contains(n)))
            .collect();
        Ok(App { name: name.into(), stable, canary, identity, stable_selector: s, services })
    }

    fn replicas(f: &Found) -> i32 {
        f.obj.workload().and_then(|w| w.replicas).unwrap_or(1)
    }

    /// Total replicas now (stable + canary).
    /// Total replicas: what the canary recorded when it was made (so that
    /// promote stays idempotent), else stable + canary now.
    pub fn total(&self) -> i32 {
        let recorded = self.canary.as_ref().and_then(|c| c.obj.meta.annotations.as_ref()?.get(TOTAL)?.parse().ok());
        recorded.unwrap_or_else(|| Self::replicas(&self.stable) + self.canary.as_ref().map_or(0, Self::replicas))
    }

    /// Replicas the canary has now (0 without a canary).
    pub fn canary_replicas(&self) -> i32 {
        self.canary.as_ref().map_or(0, Self::replicas)
    }
}

impl super::Strategy for Canary {
    fn plan(&self, ws: Workspace, target: &Target) -> R<super::Plan> {
        plan(ws, target, self)
    }
    fn tracks(&self, target: &Target) -> Vec<String> {
        vec![Track::Canary.of(&target.name)]
    }
    fn finish(&self, ws: Workspace, target: &Target, how: super::Finish) -> R<super::Plan> {
        finish(ws, target, &self.track_label, how == super::Finish::Promote)
    }
}

impl Canary {
    /// A canary with default options (what promote and rollback need).
    pub fn with_track_label(track_label: String) -> Canary {
        Canary { images: Vec::new(), weights: Vec::new(), replicas: None, traffic: Traffic::Replicas, track_label, gateway: None }
    }
}

fn plan(ws: Workspace, target: &Target, o: &Canary) -> R<super::Plan> {
    for w in &o.weights {
        if !(1..=100).contains(w) {
            return err(format!("weight {w} is out of range: give 1 to 100 (percent of traffic to the canary)"));
        }
    }
    if o.weights.windows(2).any(|w| w[0] >= w[1]) {
        return err("--steps must increase, e.g. 25,50,100");
    }
    let mut warnings = Vec::new();
    let app = App::load(&ws, &target.name, &o.track_label, &mut warnings)?;
    let name = app.name.clone();
    if app.canary.is_none() && o.images.is_empty() {
        return err(format!("a canary needs a new version: give --image [CONTAINER=]IMAGE for deployment/{name}-canary"));
    }
    let total = o.replicas.unwrap_or_else(|| app.total());
    if total < 1 {
        return err(match o.replicas {
            Some(_) => "--replicas must be at least 1".to_string(),
            None => format!(
                "deployment/{name} has replicas: 0 (scaled to zero): a canary needs running pods; give --replicas N for stable + canary"
            ),
        });
    }
    let weighted = o.traffic != Traffic::Replicas;
    if !weighted && o.replicas.is_none() {
        let weights = if o.weights.is_empty() { vec![25] } else { o.weights.clone() };
        if let Some(&w) = weights.iter().find(|&&w| w < 100 && !is_a_canary(total, w)) {
            let (s, c) = split(total, w);
            let advice = (total + 1..=100).find(|&n| is_a_canary(n, w)).map(|n| format!("use --replicas {n} or ")).unwrap_or_default();
            return err(format!(
                "{total} replica{} at {w} %: stable {s} + canary {c} = {} % canary, not a canary; {advice}--traffic gateway-api|istio|… for exact weights",
                if total == 1 { "" } else { "s" },
                c * 100 / total
            ));
        }
    }
    let mut p = Planner::new(
        ws,
        format!("Plan: canary for Deployment/{name}, {total} replicas in all, traffic by {} ({})", o.traffic.describe(), app.stable.file),
    );
    p.app(&target.name);
    for w in warnings {
        p.warn(w);
    }
    if let Some(&w) = o.weights.iter().find(|&&w| w < 100 && split(total, w).0 == 0) {
        p.warn(format!("with {total} replica(s), a {w}% canary takes every replica: all traffic goes to the canary; raise --replicas"));
    }
    if let Some(w) = o.traffic.retired_warning() {
        p.warn(w);
    }
    if app.services.is_empty() {
        p.warn(format!("no Service selects deployment/{name}'s pods: the canary will get no traffic until one does"));
    }
    let (ik, iv) = app.identity.clone();
    {
        let l = template_labels(&app.stable.obj);
        let mut canary_labels: BTreeMap<String, String> = l
            .iter()
            .map(|(k, v)| (k.clone(), if app.stable_selector.contains_key(k) { format!("{v}-canary") } else { v.clone() }))
            .collect();
        canary_labels.insert(ik.clone(), iv.clone());
        canary_labels.insert(o.track_label.clone(), "canary".into());
        for w in super::label_consumers(&p.ws, &name, app.stable.obj.namespace.as_deref(), &l, &canary_labels) {
            p.warn(w);
        }
    }
    let stable_labels = template_labels(&app.stable.obj);
    let needs_identity = stable_labels.get(&ik) != Some(&iv);
    let needs_track = weighted && stable_labels.get(&o.track_label).map(String::as_str) != Some("stable");
    // Always listed (done when the labels are there), so step numbers stay put between runs.
    {
        let mut what = vec![format!("{ik}={iv}")];
        if weighted {
            what.push(format!("{}=stable", o.track_label));
        }
        p.step(
            format!(
                "label the pods of Deployment/{name} with {} (its selector stays as it is; the pods restart once with the same images)",
                what.join(" and ")
            ),
            Wait::RolledOut(vec![name.clone()]),
            |ws| {
                if needs_identity {
                    ws.set("Deployment", &name, &format!("/spec/template/metadata/labels/{}", escape(&ik)), Yaml::str(&iv))?;
                }
                if needs_track {
                    ws.set(
                        "Deployment",
                        &name,
                        &format!("/spec/template/metadata/labels/{}", escape(&o.track_label)),
                        Yaml::str("stable"),
                    )?;
                }
                Ok(())
            },
        )?;
    }
    let weights = if o.weights.is_empty() { vec![25] } else { o.weights.clone() };
    // Steps below the canary's current share are behind us: they stay done.
    let reached = if o.replicas.is_some_and(|r| r != app.total()) { 0 } else { app.canary_replicas() };
    for w in weights {
        let (stable_n, canary_n) = split(total, w);
        let passed = canary_n < reached;
        let title = if weighted {
            format!(
                "canary at {w}%: route {w}% of requests to Deployment/{name}-canary ({canary_n} replicas) and {}% to {name} ({stable_n}) through {}",
                100 - w,
                o.traffic.describe()
            )
        } else {
            format!("canary at {w}%: {stable_n} stable + {canary_n} canary replicas of {total}; the Service selects both by {ik}={iv}")
        };
        p.step(title, Wait::Healthy { workload: Track::Canary.of(&name), then: Then::NextStep }, |ws| {
            if passed {
                return Ok(());
            }
            ensure_canary(ws, &app, o, canary_n, total)?;
            ws.set("Deployment", &name, "/spec/replicas", Yaml::Int(stable_n.into()))?;
            // With replica-split traffic (and Istio, whose subsets live on the
            // user's Service) the user's Service must select stable and canary;
            // other providers route through their own Services, and the user's
            // Service keeps selecting the stable pods only.
            let shares = matches!(o.traffic, Traffic::Replicas | Traffic::Istio);
            for svc in app.services.iter().filter(|_| shares) {
                let n = svc.obj.name.clone().unwrap_or_default();
                // Add first, then remove, so a block selector stays a block.
                ws.set("Service", &n, &format!("/spec/selector/{}", escape(&ik)), Yaml::str(&iv))?;
                for k in app.stable_selector.keys().filter(|k| **k != ik) {
                    ws.remove("Service", &n, &format!("/spec/selector/{}", escape(k)))?;
                }
            }
            if weighted {
                traffic::ensure(ws, o.traffic, &app, &o.track_label, o.gateway.as_deref(), w)?;
            }
            Ok(())
        })?;
    }
    Ok(p.plan)
}

fn ensure_canary(ws: &mut Workspace, app: &App, o: &Canary, replicas: i32, total: i32) -> R<()> {
    let cname = format!("{}-canary", app.name);
    let total_ptr = format!("/metadata/annotations/{}", escape(TOTAL));
    if ws.find("Deployment", &cname)?.is_some() {
        ws.set("Deployment", &cname, "/spec/replicas", Yaml::Int(replicas.into()))?;
        ws.set("Deployment", &cname, &total_ptr, Yaml::str(total.to_string()))?;
        if !o.images.is_empty() {
            super::set_workload_images(ws, &cname, &o.images)?;
        }
        return Ok(());
    }
    let s = &app.stable_selector;
    let mut pod_labels: Vec<(String, Option<String>)> = s.iter().map(|(k, v)| (k.clone(), Some(format!("{v}-canary")))).collect();
    pod_labels.push((app.identity.0.clone(), Some(app.identity.1.clone())));
    pod_labels.push((o.track_label.clone(), Some("canary".into())));
    let selector = vec![app.identity.clone(), (o.track_label.clone(), "canary".into())];
    let text = derive_workload(ws, &app.stable, &cname, &selector, &pod_labels, Some(replicas), &o.images)?;
    let mut e = crate::edit::Editor::new(&cname, text);
    e.set(0, &total_ptr, &Yaml::str(total.to_string()))?;
    ws.add_after("Deployment", &app.name, &e.text)
}

/// promote: stable takes the canary's images and all replicas, then the canary goes.
/// rollback (abort): stable takes all replicas back, then the canary goes.
fn finish(ws: Workspace, target: &Target, track_label: &str, promote: bool) -> R<super::Plan> {
    let mut warnings = Vec::new();
    let app = App::load(&ws, &target.name, track_label, &mut warnings)?;
    let name = app.name.clone();
    let Some(canary) = app.canary.clone() else {
        return err(format!("nothing to {}: deployment/{name}-canary does not exist", if promote { "promote" } else { "roll back" }));
    };
    let total = app.total();
    let images = images_of(&canary.obj);
    let verb = if promote { "promote" } else { "roll back" };
    let mut p = Planner::new(ws, format!("Plan: {verb} the canary of Deployment/{name} ({total} replicas in all)"));
    p.app(&target.name);
    if promote {
        let shown: Vec<String> = images.iter().map(|i| format!("{}={}", i.container.as_deref().unwrap_or("?"), i.image)).collect();
        p.step(
            format!("give Deployment/{name} the canary's images ({}) and all {total} replicas", shown.join(", ")),
            Wait::RolledOut(vec![name.clone()]),
            |ws| {
                super::set_workload_images(ws, &name, &images)?;
                ws.set("Deployment", &name, "/spec/replicas", Yaml::Int(total.into()))
            },
        )?;
    } else {
        p.step(
            format!("give Deployment/{name} all {total} replicas back (its images are unchanged)"),
            Wait::RolledOut(vec![name.clone()]),
            |ws| ws.set("Deployment", &name, "/spec/replicas", Yaml::Int(total.into())),
        )?;
    }
    p.step(format!("remove Deployment/{name}-canary and its routes"), Wait::Nothing(Then::StableServes), |ws| {
        traffic::remove(ws, &app)?;
        ws.remove_object("Deployment", &format!("{name}-canary"))
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
