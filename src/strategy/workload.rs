//! Copying a workload into a new track: labels, selectors, images; and the
//! objects that select or scale a workload.

use super::{Found, PlanError, R, Workspace};
use crate::edit::{Editor, Yaml};
use crate::manifest::Object;
use crate::manifest::tree::escape;
use std::collections::{BTreeMap, BTreeSet};

/// `[CONTAINER=]IMAGE`.
#[derive(Clone, Debug)]
pub struct ImageSpec {
    pub container: Option<String>,
    pub image: String,
}

impl std::str::FromStr for ImageSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (container, image) = match s.split_once('=') {
            Some((c, i)) => (Some(c.to_string()), i.to_string()),
            None => (None, s.to_string()),
        };
        if image.is_empty() {
            return Err("the image is empty".into());
        }
        Ok(ImageSpec { container, image })
    }
}

/// Set images on a copied workload document (editor doc 0 or `doc`).
pub fn set_images(e: &mut Editor, doc: usize, obj: &Object, images: &[ImageSpec]) -> R<()> {
    let w = obj.workload().ok_or_else(|| PlanError::NoPodTemplate { object: obj.label() })?;
    let containers: Vec<(String, String)> = w.containers().map(|(p, c)| (p.to_string(), c.name.clone())).collect();
    for spec in images {
        let targets: Vec<&(String, String)> = match &spec.container {
            Some(c) => {
                let t: Vec<_> = containers.iter().filter(|(_, n)| n == c).collect();
                if t.is_empty() {
                    let names: Vec<&str> = containers.iter().map(|(_, n)| n.as_str()).collect();
                    return Err(PlanError::NoSuchContainer {
                        object: obj.label(),
                        container: c.clone(),
                        containers: names.iter().map(|n| n.to_string()).collect(),
                    });
                }
                t
            }
            None if containers.len() == 1 => containers.iter().collect(),
            None => {
                let names: Vec<&str> = containers.iter().map(|(_, n)| n.as_str()).collect();
                return Err(PlanError::SeveralContainers {
                    object: obj.label(),
                    containers: names.iter().map(|n| n.to_string()).collect(),
                });
            }
        };
        for (ptr, _) in targets {
            e.set(doc, &format!("{ptr}/image"), &Yaml::str(&spec.image))?;
        }
    }
    Ok(())
}

/// The images of a workload's containers, by container name.
pub fn images_of(obj: &Object) -> Vec<ImageSpec> {
    obj.workload()
        .map(|w| w.containers().filter_map(|(_, c)| Some(ImageSpec { container: Some(c.name.clone()), image: c.image.clone()? })).collect())
        .unwrap_or_default()
}

/// Label keys that name a version: a new image makes their old value stale.
pub const VERSION_KEYS: [&str; 2] = ["app.kubernetes.io/version", "version"];

/// The selector key whose value tells a new track's pods from the original's:
/// the one that does the least harm. `chosen` (a flag) must be a selector key.
/// Otherwise keys no Service selects on come first (then nothing that routes
/// traffic needs to change), and among them names that mean a variant
/// (`track`, `version`, `instance`, …); `app`/`name` keys come last, as
/// dashboards and meshes group by them.
pub fn track_key(obj: &Object, service_keys: &BTreeSet<String>, chosen: Option<&str>, flag: &str) -> R<String> {
    let s = match_labels(obj);
    if let Some(c) = chosen {
        if s.contains_key(c) {
            return Ok(c.to_string());
        }
        return Err(PlanError::NotASelectorKey {
            flag: flag.to_string(),
            key: c.to_string(),
            object: obj.label(),
            keys: s.into_keys().collect(),
        });
    }
    let rank = |k: &str| -> (bool, u8, String) {
        let short = k.rsplit('/').next().unwrap_or(k);
        let kind = match short {
            "track" | "slot" | "version" | "instance" | "release" | "variant" | "revision" | "stage" | "color" | "flavor" => 0,
            "app" | "name" | "k8s-app" | "app-name" => 3,
            "part-of" | "component" => 2,
            _ => 1,
        };
        (service_keys.contains(k), kind, k.to_string())
    };
    s.keys().min_by_key(|k| rank(k)).cloned().ok_or_else(|| PlanError::NoMatchLabels { object: obj.label() })
}

/// A track's value of the track key: the original's with the track's suffix.
pub fn track_value(original: &str, track: super::Track) -> String {
    format!("{original}-{}", track.suffix())
}

/// The tag of an image (`repo:tag`, `repo:tag@sha256:…`), if it has one.
pub fn image_tag(image: &str) -> Option<&str> {
    let image = image.split('@').next().unwrap_or(image);
    let (_, tag) = image.rsplit_once(':')?;
    (!tag.contains('/')).then_some(tag)
}

/// A version label the new images make stale: (key, the new tag).
pub fn stale_version_label(obj: &Object, images: &[ImageSpec]) -> Option<(String, String)> {
    let labels = template_labels(obj);
    let selector = match_labels(obj);
    let tag = images.iter().find_map(|i| image_tag(&i.image))?;
    VERSION_KEYS
        .iter()
        .find(|k| labels.get(**k).is_some_and(|v| v != tag) && !selector.contains_key(**k))
        .map(|k| (k.to_string(), tag.to_string()))
}

/// Labels that identify the application on every track's pods, chosen so that
/// the original workload's selector does not match the tracks' pods (its
/// selector cannot change): the first of app.kubernetes.io/name, app,
/// app.kubernetes.io/instance that the selector does not use.
pub fn identity_label(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    name: &str,
    taken: &BTreeSet<(String, String)>,
) -> (String, String) {
    for key in ["app.kubernetes.io/name", "app", "app.kubernetes.io/instance", "kubectl-strategy.io/app"] {
        if selector.contains_key(key) {
            continue;
        }
        let value = labels.get(key).cloned().unwrap_or_else(|| name.to_string());
        // Another workload's pods with the same pair would join the app's Services.
        if !taken.contains(&(key.to_string(), value.clone())) {
            return (key.to_string(), value);
        }
    }
    ("kubectl-strategy.io/app".into(), format!("{name}-{}", selector.len()))
}

/// Refuse selectors whose disjointness the plans cannot guarantee, and
/// label names that would collide.
pub fn check_migratable(obj: &Object, extra_labels: &[&str], identity: &(String, String)) -> R<()> {
    let sel = obj.workload().and_then(|w| w.selector.as_ref());
    if sel.and_then(|s| s.match_expressions.as_ref()).is_some_and(|e| !e.is_empty()) {
        return Err(PlanError::MatchExpressions { object: obj.label() });
    }
    let s = match_labels(obj);
    for l in extra_labels {
        if *l == identity.0 || s.contains_key(*l) {
            return Err(PlanError::LabelInUse { label: l.to_string(), object: obj.label() });
        }
    }
    Ok(())
}

/// matchLabels of a workload.
pub fn match_labels(obj: &Object) -> BTreeMap<String, String> {
    obj.workload().and_then(|w| w.selector.as_ref()).and_then(|s| s.match_labels.clone()).unwrap_or_default()
}

pub fn template_labels(obj: &Object) -> BTreeMap<String, String> {
    obj.workload().map(|w| w.template_labels().clone()).unwrap_or_default()
}

/// Make a new workload document from an existing one: new name, new
/// selector and pod labels; everything else (probes, resources, lifecycle,
/// annotations, comments) is copied. Server-set fields are dropped.
pub fn derive_workload(
    ws: &Workspace,
    from: &Found,
    name: &str,
    selector: &[(String, String)],
    pod_labels: &[(String, Option<String>)],
    replicas: Option<i32>,
    images: &[ImageSpec],
) -> R<String> {
    let mut e = Editor::new(name, ws.files[&from.file].doc_body(from.doc)?);
    if ws.files[&from.file].documents().iter().any(|d| d.index == from.doc && d.anchors) {
        return Err(PlanError::Aliases { file: from.file.clone(), object: from.obj.label() });
    }
    e.set(0, "/metadata/name", &Yaml::str(name))?;
    for p in [
        "/status",
        "/metadata/uid",
        "/metadata/resourceVersion",
        "/metadata/creationTimestamp",
        "/metadata/generation",
        "/metadata/managedFields",
    ] {
        e.remove(0, p)?;
    }
    e.remove(0, "/spec/selector/matchExpressions")?;
    let sel = Yaml::Map(selector.iter().map(|(k, v)| (k.clone(), Yaml::str(v))).collect());
    e.set(0, "/spec/selector/matchLabels", &sel)?;
    for (k, v) in pod_labels {
        let ptr = format!("/spec/template/metadata/labels/{}", escape(k));
        match v {
            Some(v) => e.set(0, &ptr, &Yaml::str(v))?,
            None => e.remove(0, &ptr)?,
        }
    }
    if let Some(r) = replicas {
        e.set(0, "/spec/replicas", &Yaml::Int(r.into()))?;
    }
    if !images.is_empty() {
        set_images(&mut e, 0, &from.obj, images)?;
    }
    Ok(e.text)
}

/// Set a workload's images (containers named in `images`).
pub fn set_workload_images(ws: &mut Workspace, name: &str, images: &[ImageSpec]) -> R<()> {
    let found = ws.find("Deployment", name)?.ok_or_else(|| PlanError::not_found("Deployment", name))?;
    let obj = found.obj.clone();
    let e = ws.editor(&found.file);
    set_images(e, found.doc, &obj, images)
}

/// A PodMonitor that selects the app's pods on the track key: the plan drops
/// that key from its `matchLabels` (the fewest keys), as the keys left select
/// the app's pods only.
#[derive(Clone, Debug)]
pub struct Follow {
    pub kind: String,
    pub name: String,
    /// The key to drop.
    pub key: String,
    /// `spec.selector.matchLabels` as the user wrote it (for promote/rollback).
    pub match_labels: BTreeMap<String, String>,
}

impl Follow {
    pub fn ptr(&self) -> String {
        format!("/spec/selector/matchLabels/{}", crate::manifest::tree::escape(&self.key))
    }
}

/// What selects or scales the app and what the plan does about it.
#[derive(Default)]
pub struct Consumers {
    /// Objects the plan cannot bring along: it is refused.
    pub blockers: Vec<super::Blocker>,
    /// Monitors the plan changes so that they select the new pods too.
    pub follow: Vec<Follow>,
}

/// Objects that select the app's pods by label or scale it by name:
/// PodDisruptionBudgets and NetworkPolicies that would stop covering the new
/// pods and HorizontalPodAutoscalers of the target (not rewritten: they block
/// the plan); PodMonitors that would stop covering the new pods follow them
/// when dropping the track key leaves a selector of the app's pods only
/// (`app` names the app's workloads, tracks included), else they block too.
pub fn label_consumers(
    ws: &Workspace,
    name: &str,
    app: &[String],
    ns: Option<&str>,
    old_pods: &BTreeMap<String, String>,
    new_pods: &BTreeMap<String, String>,
) -> Consumers {
    use super::{Blocker, BlockerCause};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let mut out = Consumers::default();
    let others = ws.other_pod_labels(app, ns);
    for f in ws.objects() {
        let o = &f.obj;
        // A PodMonitor looks where its namespaceSelector says; the others select in their own namespace.
        let sees = if o.kind == "PodMonitor" {
            monitor_sees(o, ns)
        } else {
            crate::manifest::workload::same_namespace(o.namespace.as_deref(), ns)
        };
        if !sees {
            continue;
        }
        let ptr = match o.kind.as_str() {
            "PodDisruptionBudget" => "/spec/selector",
            "NetworkPolicy" => "/spec/podSelector",
            "PodMonitor" if o.api_version.starts_with("monitoring.coreos.com/") => "/spec/selector",
            "HorizontalPodAutoscaler" => {
                let target = o.root.pointer("/spec/scaleTargetRef/name").and_then(|n| n.as_str());
                if target == Some(name) {
                    out.blockers.push(Blocker { object: o.label(), file: f.file.clone(), cause: BlockerCause::Scales });
                }
                continue;
            }
            _ => continue,
        };
        let Some(sel) =
            o.root.pointer(ptr).map(crate::manifest::json::to_json).and_then(|j| serde_json::from_value::<LabelSelector>(j).ok())
        else {
            continue;
        };
        let (matches_old, matches_new) =
            (crate::manifest::workload::selector_matches(&sel, old_pods), crate::manifest::workload::selector_matches(&sel, new_pods));
        if !matches_old || matches_new {
            continue;
        }
        if o.kind != "PodMonitor" {
            out.blockers.push(Blocker { object: o.label(), file: f.file.clone(), cause: BlockerCause::Escapes });
            continue;
        }
        // The key whose value the new pods change, if the monitor selects on it.
        let labels = sel.match_labels.clone().unwrap_or_default();
        let key = labels.iter().find(|(k, v)| old_pods.get(*k) == Some(*v) && new_pods.get(*k) != Some(*v)).map(|(k, _)| k.clone());
        let Some(key) = key else {
            out.blockers.push(Blocker { object: o.label(), file: f.file.clone(), cause: BlockerCause::Escapes });
            continue;
        };
        let mut rest = sel.clone();
        rest.match_labels.as_mut().expect("has the key").remove(&key);
        let empty = rest.match_labels.as_ref().is_none_or(|m| m.is_empty()) && rest.match_expressions.as_ref().is_none_or(|e| e.is_empty());
        let only_app = !empty
            && crate::manifest::workload::selector_matches(&rest, new_pods)
            && !others.iter().any(|l| crate::manifest::workload::selector_matches(&rest, l));
        if only_app {
            out.follow.push(Follow { kind: o.kind.clone(), name: o.name.clone().unwrap_or_default(), key, match_labels: labels });
        } else {
            out.blockers.push(Blocker { object: o.label(), file: f.file.clone(), cause: BlockerCause::MonitorCannotFollow { key } });
        }
    }
    out
}

/// Whether a ServiceMonitor/PodMonitor looks into namespace `ns`: its
/// `namespaceSelector` (`any`, `matchNames`), else its own namespace.
fn monitor_sees(o: &Object, ns: Option<&str>) -> bool {
    let ns_sel = o.root.pointer("/spec/namespaceSelector").map(crate::manifest::json::to_json).unwrap_or_default();
    if ns_sel["any"].as_bool() == Some(true) {
        return true;
    }
    match ns_sel["matchNames"].as_array() {
        Some(names) => names.iter().any(|n| n.as_str() == Some(ns.unwrap_or("default"))),
        None => crate::manifest::workload::same_namespace(o.namespace.as_deref(), ns),
    }
}

/// ServiceMonitors that would scrape the same pods twice: they select a
/// Service the plan adds (`added`: name and metadata labels) as well as a
/// Service of the user's that already selects the target's `pods`.
pub fn double_scrapes(
    ws: &Workspace,
    ns: Option<&str>,
    pods: &BTreeMap<String, String>,
    added: &[(String, BTreeMap<String, String>)],
) -> Vec<super::Blocker> {
    use crate::manifest::workload::selector_matches;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let objects = ws.objects();
    let new: Vec<&(String, BTreeMap<String, String>)> =
        added.iter().filter(|(n, _)| !objects.iter().any(|f| f.obj.kind == "Service" && f.obj.name.as_ref() == Some(n))).collect();
    let mut out = Vec::new();
    for f in objects.iter().filter(|f| f.obj.kind == "ServiceMonitor" && f.obj.api_version.starts_with("monitoring.coreos.com/")) {
        if !monitor_sees(&f.obj, ns) {
            continue;
        }
        // No selector selects every Service, as an empty one does.
        let sel: LabelSelector = f
            .obj
            .root
            .pointer("/spec/selector")
            .map(crate::manifest::json::to_json)
            .and_then(|j| serde_json::from_value(j).ok())
            .unwrap_or_default();
        let via = objects.iter().find(|s| {
            matches!(&s.obj.typed, crate::manifest::Typed::Service(spec)
                if spec.selector.as_ref().is_some_and(|m| !m.is_empty() && crate::manifest::workload::map_selects(m, pods)))
                && crate::manifest::workload::same_namespace(s.obj.namespace.as_deref(), ns)
                && selector_matches(&sel, &s.obj.meta.labels.clone().unwrap_or_default())
        });
        let Some(via) = via else { continue };
        for (svc, labels) in &new {
            if selector_matches(&sel, labels) {
                out.push(super::Blocker {
                    object: f.obj.label(),
                    file: f.file.clone(),
                    cause: super::BlockerCause::DoubleScrape { service: svc.clone(), via: via.obj.name.clone().unwrap_or_default() },
                });
            }
        }
    }
    out
}
