//! The cross-object context of a run: each object's [`Summary`] and the
//! relations between them (which Services, monitors, budgets and autoscalers
//! reach which pods), computed once; rules see them through a [`Context`].

use super::Settings;
use super::scope::{Placed, Units};
use crate::finding::Joined;
use crate::input::Span;
use crate::manifest::workload::{map_selects, selector_matches};
use crate::manifest::{Light, Object, Typed};
use std::cell::Cell;
use std::collections::BTreeMap;

/// The index's hash maps: keys are the run's own strings, not attacker-chosen
/// network input, so a fast unkeyed-quality hash will do.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// What the cross-object context keeps of an object: names, place and the
/// small views other objects are matched against (no tree, no pod spec).
#[derive(Debug)]
pub struct Summary {
    pub file: usize,
    /// The object's document root (its start line is in messages that name it).
    pub span: Span,
    pub kind: String,
    /// The API group of its `apiVersion` (empty for the core group).
    pub group: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub view: View,
    /// The replicas it runs with at least: an HPA's `minReplicas`, else
    /// `spec.replicas` (default 1). `None` for kinds without replicas.
    pub min_replicas: Option<i64>,
    /// The HorizontalPodAutoscaler whose `minReplicas` is `min_replicas`.
    pub min_replicas_from: Option<Joined>,
}

impl Placed for Summary {
    fn file(&self) -> usize {
        self.file
    }

    fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    fn identity(&self) -> (&str, &str, Option<&str>) {
        (&self.group, &self.kind, self.name.as_deref())
    }
}

/// The part of an object's typed view that other objects are matched against.
#[derive(Debug)]
pub enum View {
    Workload(std::sync::Arc<crate::manifest::Workload<crate::manifest::PodHead>>),
    /// A Service's selector and its own labels (what ServiceMonitors select);
    /// its ports (what they send traffic to), annotations (`prometheus.io/…`)
    /// and whether it is headless (`clusterIP: None`).
    Service {
        selector: Option<BTreeMap<String, String>>,
        labels: BTreeMap<String, String>,
        ports: Vec<k8s_openapi::api::core::v1::ServicePort>,
        annotations: BTreeMap<String, String>,
        headless: bool,
    },
    Monitor(Box<crate::manifest::workload::Monitor>),
    Pdb(Box<crate::manifest::workload::Pdb>),
    Hpa(Box<crate::manifest::workload::Hpa>),
    /// Anything else; `creates_pods`: a custom resource that may run pods.
    Other {
        creates_pods: bool,
    },
}

impl Summary {
    fn of(o: &Object<Light>) -> Self {
        let view = match &o.typed {
            Typed::Workload(w) => View::Workload(w.clone()),
            Typed::Service(spec) => View::Service {
                selector: spec.selector.clone(),
                labels: o.meta.labels.clone().unwrap_or_default(),
                ports: spec.ports.clone().unwrap_or_default(),
                annotations: o.meta.annotations.clone().unwrap_or_default(),
                headless: spec.cluster_ip.as_deref() == Some("None"),
            },
            Typed::Monitor(m) => View::Monitor(m.clone()),
            Typed::Pdb(p) => View::Pdb(p.clone()),
            Typed::Hpa(h) => View::Hpa(h.clone()),
            Typed::Other => View::Other { creates_pods: !builtin_group(o.group()) && o.root.get("spec").is_some_and(|s| runs_pods(s, 0)) },
        };
        Summary {
            file: o.file,
            span: o.root.span,
            kind: o.kind.clone(),
            group: o.group().to_string(),
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            view,
            min_replicas: None,
            min_replicas_from: None,
        }
    }

    /// Where the object lies, for a finding that depends on it.
    pub fn joined(&self) -> Joined {
        Joined { file: self.file, span: self.span }
    }

    /// A human label: `Deployment/api`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.name.as_deref().unwrap_or("<unnamed>"))
    }

    fn workload(&self) -> Option<&crate::manifest::Workload<crate::manifest::PodHead>> {
        match &self.view {
            View::Workload(w) => Some(w),
            _ => None,
        }
    }

    /// A Service's non-empty selector.
    fn service_selector(&self) -> Option<&BTreeMap<String, String>> {
        match &self.view {
            View::Service { selector, .. } => selector.as_ref().filter(|m| !m.is_empty()),
            _ => None,
        }
    }
}

/// The cross-object relations of a run, computed once from the objects'
/// summaries (it owns them: it borrows no object).
pub struct Index {
    summaries: Vec<Summary>,
    /// For each object (by index), the Services that select its pod template.
    selected_by: Vec<Vec<usize>>,
    /// For each object, whether a ServiceMonitor/PodMonitor selects its pods.
    monitored: Vec<bool>,
    /// For each Service (by index), whether some pod template matches it.
    service_matches: Vec<bool>,
    /// For each workload, the earlier workloads whose selectors overlap with it.
    overlaps: Vec<Vec<usize>>,
    /// For each workload, the HorizontalPodAutoscaler that scales it.
    hpa: Vec<Option<usize>>,
    /// For each workload, the PodDisruptionBudgets that select its pods;
    /// for each PodDisruptionBudget, the workloads whose pods it selects.
    pdbs: Vec<Vec<usize>>,
    /// For each Service, custom resources in its namespace that may create pods.
    pod_creating_crs: Vec<Vec<usize>>,
    /// Whether the run contains any workload with a pod template.
    has_workloads: bool,
    /// The images build tool configs of the run (Skaffold) build and tag at deploy time.
    built_images: std::collections::HashSet<String>,
    /// Budgets, monitors and workloads by unit (see [`Units`]).
    near: HashMap<usize, Vec<usize>>,
    /// Monitors that watch other namespaces than their own (`any`, `matchNames`).
    wide_monitors: Vec<usize>,
    /// Which objects are deployed together.
    units: Units,
    /// For each Service, an SMI TrafficSplit deployed with it that names it
    /// as its apex (`spec.service`).
    split_apex: Vec<Option<usize>>,
    /// For each StatefulSet, the Service deployed with it that its
    /// `spec.serviceName` names.
    governing_service: Vec<Option<usize>>,
    /// For each unit, the label keys that identify its long-running pod templates.
    conventions: HashMap<usize, Convention>,
}

/// The label keys that nearly every long-running pod template of a unit
/// carries with a value of its own: the unit's own way of naming its pods.
#[derive(Debug, Default)]
pub struct Convention {
    /// The keys, each with how many templates carry it, most carried first.
    pub keys: Vec<(String, usize)>,
    /// The unit's long-running pod templates.
    pub workloads: usize,
}

impl Convention {
    /// A key is the unit's convention when at least 90 % of at least three
    /// templates carry it, with values that tell them apart (`app: cart`,
    /// `app: orders`; not `part-of: shop` on all).
    fn of<'a>(templates: &[&'a crate::manifest::workload::LabelMap]) -> Convention {
        let mut values: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
        for labels in templates {
            for (k, v) in labels.iter() {
                values.entry(k.as_str()).or_default().push(v.as_str());
            }
        }
        let n = templates.len();
        let mut keys: Vec<(String, usize)> = values
            .into_iter()
            .filter(|(_, vs)| {
                let mut distinct = vs.clone();
                distinct.sort_unstable();
                distinct.dedup();
                n >= 3 && vs.len() * 10 >= n * 9 && distinct.len() >= 2 && distinct.len() * 2 >= vs.len()
            })
            .map(|(k, vs)| (k.to_string(), vs.len()))
            .collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Convention { keys, workloads: n }
    }
}

/// How the index finds the objects a selector may reach: through its
/// lookup tables, or by scanning them all (the tests hold the two equal).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Indexed,
    Scan,
}

impl Index {
    /// `files[file]` is the name of each file of the run; `rendered(file)`
    /// whether it is the output of a render.
    pub fn new(objects: &[Object<Light>], files: &[&str], rendered: &dyn Fn(usize) -> bool) -> Self {
        Self::build(objects, files, rendered, Lookup::Indexed)
    }

    fn build(objects: &[Object<Light>], files: &[&str], rendered: &dyn Fn(usize) -> bool, lookup: Lookup) -> Self {
        use rayon::prelude::*;
        let splits = named_at(objects, "split.smi-spec.io", "TrafficSplit", "/spec/service");
        let governed = named_at(objects, "apps", "StatefulSet", "/spec/serviceName");
        let built_images = objects.iter().flat_map(built_images).collect();
        let mut objects: Vec<Summary> = objects.par_iter().map(Summary::of).collect();
        let units = Units::new(files, rendered, &objects);
        let pods = Pods::new(&objects, lookup);
        // Overlaps need nothing else: they are found beside the rest.
        let (overlaps, (selected_by, monitored, service_matches, pod_creating_crs, hpa, pdbs)) = rayon::join(
            || overlaps(&objects, &pods, &units),
            || {
                let selected_by = services_selecting(&objects, &pods, &units);
                let monitored = monitored(&objects, &units, &selected_by, lookup);
                let mut service_matches = vec![false; objects.len()];
                for s in selected_by.iter().flatten() {
                    service_matches[*s] = true;
                }
                let pod_creating_crs = pod_creating_crs(&objects, &units, &service_matches, lookup);
                let hpa = hpas(&objects, &units);
                let pdbs = pdbs(&objects, &pods, &units);
                (selected_by, monitored, service_matches, pod_creating_crs, hpa, pdbs)
            },
        );
        // Each TrafficSplit's apex Service, seen from the Service.
        let mut split_apex = vec![None; objects.len()];
        for (t, s) in named_services(&objects, &splits, &units).into_iter().enumerate() {
            if let Some(s) = s {
                split_apex[s] = Some(t);
            }
        }
        let governing_service = named_services(&objects, &governed, &units);
        let has_workloads = !pods.all.is_empty();
        drop(pods);
        let floors: Vec<Option<i64>> = objects.iter().enumerate().map(|(i, o)| min_replicas(o, hpa[i].map(|h| &objects[h]))).collect();
        let from: Vec<Option<Joined>> =
            objects.iter().zip(&hpa).map(|(o, h)| h.filter(|_| o.workload().is_some()).map(|h| objects[h].joined())).collect();
        for ((o, floor), from) in objects.iter_mut().zip(floors).zip(from) {
            o.min_replicas = floor;
            o.min_replicas_from = from.filter(|_| floor.is_some());
        }
        let (mut near, mut wide_monitors) = (HashMap::<usize, Vec<usize>>::default(), Vec::new());
        for (i, o) in objects.iter().enumerate() {
            match &o.view {
                View::Monitor(m) if m.any_namespace || !m.match_names.is_empty() => wide_monitors.push(i),
                View::Pdb(_) | View::Monitor(_) | View::Workload(_) => near.entry(units.of(o.file)).or_default().push(i),
                _ => {}
            }
        }
        let conventions = conventions(&objects, &units);
        Index {
            conventions,
            summaries: objects,
            selected_by,
            monitored,
            service_matches,
            overlaps,
            hpa,
            pdbs,
            pod_creating_crs,
            has_workloads,
            built_images,
            near,
            wide_monitors,
            units,
            split_apex,
            governing_service,
        }
    }

    /// The budgets, monitors or workloads (as `pick` chooses) deployed
    /// together with the object at `at`, in ascending order.
    fn near(&self, at: usize, pick: impl Fn(&View) -> bool) -> Vec<usize> {
        let o = &self.summaries[at];
        let mut out: Vec<usize> = self
            .units
            .related_to(self.units.of(o.file))
            .filter_map(|u| self.near.get(&u))
            .flatten()
            .copied()
            .filter(|&i| i != at && pick(&self.summaries[i].view) && self.units.together(o, &self.summaries[i]))
            .collect();
        out.sort_unstable();
        out
    }
}

/// The run's workloads (pod templates), indexed by the label pairs of
/// their templates: a selector with `matchLabels` can only match the pods
/// that carry each of its pairs, so it looks at those of its rarest pair.
struct Pods<'a> {
    /// Workloads by label pair, each list in ascending object order.
    by_pair: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Every workload, ascending.
    all: Vec<usize>,
    lookup: Lookup,
}

impl<'a> Pods<'a> {
    fn new(objects: &'a [Summary], lookup: Lookup) -> Self {
        let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
        let mut all = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            let Some(w) = o.workload() else { continue };
            all.push(i);
            for (k, v) in w.template_labels() {
                by_pair.entry((k.as_str(), v.as_str())).or_default().push(i);
            }
        }
        Pods { by_pair, all, lookup }
    }

    /// The workloads carrying the rarest of `pairs` (a superset of those
    /// carrying all of them); every workload when `pairs` is empty.
    fn carrying<'s>(&'s self, pairs: impl Iterator<Item = (&'s String, &'s String)>) -> &'s [usize] {
        let mut best: Option<&[usize]> = None;
        for (k, v) in pairs.filter(|_| self.lookup == Lookup::Indexed) {
            let with = self.by_pair.get(&(k.as_str(), v.as_str())).map_or(&[][..], Vec::as_slice);
            if best.is_none_or(|b| with.len() < b.len()) {
                best = Some(with);
            }
        }
        best.unwrap_or(&self.all)
    }

    /// The workloads a label selector may match.
    fn matching_candidates<'s>(&'s self, sel: &'s k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector) -> &'s [usize] {
        self.carrying(sel.match_labels.iter().flatten())
    }
}

/// For each workload, the Services that select its pods (ascending), by
/// their selectors or with labels its controller adds.
fn services_selecting(objects: &[Summary], pods: &Pods<'_>, units: &Units) -> Vec<Vec<usize>> {
    // Each Service looks up only the pods that carry the rarest pair of
    // its selector (linear in repository size, even when many Services
    // share a pair such as `app.kubernetes.io/part-of`).
    let mut selected_by = vec![Vec::new(); objects.len()];
    for (s, svc) in objects.iter().enumerate() {
        let Some(selector) = svc.service_selector() else { continue };
        for &i in pods.carrying(selector.iter()) {
            let o = &objects[i];
            if units.together(svc, o) && map_selects(selector, o.workload().expect("a pod owner").template_labels()) {
                selected_by[i].push(s);
            }
        }
    }
    controller_selected(objects, pods, units, &mut selected_by);
    selected_by
}

/// Each unit's [`Convention`], from its long-running pod templates (not
/// Jobs, CronJobs or bare Pods: they are run, not selected).
fn conventions(objects: &[Summary], units: &Units) -> HashMap<usize, Convention> {
    use crate::manifest::WorkloadKind;
    let mut by_unit: HashMap<usize, Vec<&crate::manifest::workload::LabelMap>> = HashMap::default();
    for o in objects {
        let Some(w) = o.workload() else { continue };
        if matches!(w.kind, WorkloadKind::Job | WorkloadKind::CronJob | WorkloadKind::Pod) {
            continue;
        }
        by_unit.entry(units.of(o.file)).or_default().push(w.template_labels());
    }
    by_unit.into_iter().map(|(u, templates)| (u, Convention::of(&templates))).collect()
}

/// The replicas a workload runs with at least: an HPA's `minReplicas`,
/// else `spec.replicas` (default 1). `None` for kinds without replicas.
fn min_replicas(o: &Summary, hpa: Option<&Summary>) -> Option<i64> {
    let w = o.workload()?;
    w.kind.info().replicas?;
    match hpa.map(|h| &h.view) {
        Some(View::Hpa(h)) => Some(i64::from(h.min_replicas)),
        _ => Some(i64::from(w.replicas.unwrap_or(1))),
    }
}

/// Everything a rule may look at beyond its object: the run's [`Index`]
/// seen from the object being checked. Other objects appear as [`Summary`]s.
pub struct Context<'a> {
    index: &'a Index,
    /// The index of the object being checked.
    at: usize,
    /// The rule settings of the run (parameters).
    pub settings: &'a Settings,
    /// File names of the run, by file index.
    pub files: &'a [&'a str],
    /// Whether a rule asked about other objects since [`Context::took_others`]
    /// (to check that rules declare `reads_other_objects`).
    read_others: Cell<bool>,
}

impl<'a> Context<'a> {
    /// The context of the object at `at` (its index among the run's objects).
    pub fn new(index: &'a Index, at: usize, files: &'a [&'a str], settings: &'a Settings) -> Self {
        Context { index, at, settings, files, read_others: Cell::new(false) }
    }

    /// Whether a rule asked about other objects since the last call.
    pub(crate) fn took_others(&self) -> bool {
        self.read_others.replace(false)
    }

    /// Note that the rule reads other objects.
    fn others(&self) -> &'a Index {
        self.read_others.set(true);
        self.index
    }

    /// Whether the run contains any workload with a pod template.
    pub fn has_workloads(&self) -> bool {
        self.others().has_workloads
    }

    fn summaries(&self, list: Vec<usize>) -> Vec<&'a Summary> {
        list.into_iter().map(|i| &self.index.summaries[i]).collect()
    }

    /// The PodDisruptionBudgets applied together with this workload (its
    /// namespace, or its folder when one is unset), whether they select it or not.
    pub fn budgets_nearby(&self) -> Vec<&'a Summary> {
        self.summaries(self.others().near(self.at, |v| matches!(v, View::Pdb(_))))
    }

    /// The workloads applied together with this object, whether they match it or not.
    pub fn workloads_nearby(&self) -> Vec<&'a Summary> {
        self.summaries(self.others().near(self.at, |v| matches!(v, View::Workload(_))))
    }

    /// The ServiceMonitors and PodMonitors that may watch this object's
    /// namespace (applied with it, or naming other namespaces), selecting it or not.
    pub fn monitors_nearby(&self) -> Vec<&'a Summary> {
        let index = self.others();
        let mut list = index.near(self.at, |v| matches!(v, View::Monitor(_)));
        let ns = self.this().namespace.as_ref();
        list.extend(index.wide_monitors.iter().copied().filter(|&i| match &index.summaries[i].view {
            View::Monitor(m) => m.any_namespace || ns.is_some_and(|n| m.match_names.contains(n)),
            _ => false,
        }));
        list.sort_unstable();
        list.dedup();
        self.summaries(list)
    }

    /// The summary of the object being checked.
    pub fn this(&self) -> &'a Summary {
        &self.index.summaries[self.at]
    }

    fn all(&self, list: &'a [Vec<usize>]) -> impl Iterator<Item = &'a Summary> + 'a {
        self.read_others.set(true);
        let summaries = &self.index.summaries;
        list.get(self.at).map(Vec::as_slice).unwrap_or_default().iter().map(move |&s| &summaries[s])
    }

    /// The HorizontalPodAutoscaler that scales this workload.
    pub fn hpa(&self) -> Option<&'a Summary> {
        self.others().hpa[self.at].map(|h| &self.index.summaries[h])
    }

    /// The replicas this workload runs with at least (see [`Summary::min_replicas`]).
    pub fn min_replicas(&self) -> Option<i64> {
        self.read_others.set(true);
        self.this().min_replicas
    }

    /// PodDisruptionBudgets selecting this workload's pods, or workloads whose pods this PodDisruptionBudget selects.
    pub fn disruption_budgets(&self) -> impl Iterator<Item = &'a Summary> + 'a {
        self.all(&self.index.pdbs)
    }

    /// Custom resources in this Service's namespace that may create the pods it selects.
    pub fn pod_creating_resources(&self) -> impl Iterator<Item = &'a Summary> + 'a {
        self.all(&self.index.pod_creating_crs)
    }

    /// `file:line` of an object, for messages that name another object.
    pub fn place(&self, obj: &Summary) -> String {
        format!("{}:{}", self.files.get(obj.file).copied().unwrap_or("?"), obj.span.start.line)
    }

    /// Another object, as a message names it: `Service/web (deploy/svc.yaml:3)`.
    /// A rendered one goes by its name alone: its place in the render's output
    /// is in no file of the user's (and findings of several overlays on one
    /// base file merge only when their messages are equal).
    pub fn cite(&self, obj: &Summary) -> String {
        match self.user_place(obj) {
            Some(at) => format!("{} ({at})", obj.label()),
            None => obj.label(),
        }
    }

    /// `file:line` of an object in a file of the user's; `None` for a rendered one.
    pub fn user_place(&self, obj: &Summary) -> Option<String> {
        (!self.index.units.is_rendered(obj.file)).then(|| self.place(obj))
    }

    /// Services (among the linted objects) that select this object's pods.
    pub fn services_selecting(&self) -> impl Iterator<Item = &'a Summary> + 'a {
        self.all(&self.index.selected_by)
    }

    /// For a Service that selects no pods deployed with it: a workload of
    /// another unit (in a namespace it may share) whose pods it would select,
    /// such as an add-on folder's Service beside the application's folder.
    pub fn selected_elsewhere(&self) -> Option<&'a Summary> {
        let index = self.others();
        let svc = self.this();
        let selector = svc.service_selector()?;
        index.summaries.iter().find(|o| {
            o.workload().is_some_and(|w| {
                crate::manifest::workload::same_namespace(svc.namespace.as_deref(), o.namespace.as_deref())
                    && map_selects(selector, w.template_labels())
            })
        })
    }

    /// Whether a build tool config of the run (Skaffold) builds this image:
    /// the manifest names it untagged and the tool sets the tag when it deploys.
    /// A fact of the whole run, not a join: a finding it removes does not
    /// depend on another object's lines (`--changed-since` keeps judging the
    /// image's own line).
    pub fn built_by_the_repository(&self, image: &str) -> bool {
        self.index.built_images.contains(image)
    }

    /// The label keys the long-running pod templates of this object's unit
    /// identify their pods with ([`Convention`]). A fact of the unit read
    /// without a join, like [`Context::built_by_the_repository`].
    pub fn label_convention(&self) -> Option<&'a Convention> {
        let index = self.index;
        index.conventions.get(&index.units.of(index.summaries[self.at].file)).filter(|c| !c.keys.is_empty())
    }

    pub fn is_service_selected(&self) -> bool {
        self.services_selecting().next().is_some()
    }

    /// Is this object's pod template selected by a ServiceMonitor or PodMonitor?
    pub fn is_monitored(&self) -> bool {
        self.others().monitored[self.at]
    }

    /// Does some pod template among the linted objects match this Service?
    pub fn service_matches_pods(&self) -> bool {
        self.others().service_matches[self.at]
    }

    /// Earlier workloads whose selectors overlap with this one's.
    pub fn overlapping(&self) -> impl Iterator<Item = &'a Summary> + 'a {
        self.all(&self.index.overlaps)
    }

    /// The SMI TrafficSplit that names this Service as its apex (`spec.service`).
    pub fn traffic_split_apex_of(&self) -> Option<&'a Summary> {
        self.others().split_apex.get(self.at).copied().flatten().map(|t| &self.index.summaries[t])
    }

    /// The Service that this StatefulSet's `spec.serviceName` names.
    pub fn governing_service(&self) -> Option<&'a Summary> {
        self.others().governing_service.get(self.at).copied().flatten().map(|s| &self.index.summaries[s])
    }
}

/// The label keys of [`controller_label`].
const CONTROLLER_KEYS: &[&str] = &[
    "job-name",
    "batch.kubernetes.io/job-name",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-hash",
    "rollouts-pod-template-hash",
];

/// Labels the controllers add to the pods they create: a Service may select them.
/// Returns whether the pair holds for (some) pod of the workload.
fn controller_label(obj: &Summary, w: &crate::manifest::Workload<crate::manifest::PodHead>, key: &str, value: &str) -> Option<bool> {
    use crate::manifest::WorkloadKind as K;
    let name = obj.name.as_deref().unwrap_or_default();
    let ordinal = |v: &str| v.parse::<u32>().is_ok();
    Some(match (key, w.kind) {
        ("job-name" | "batch.kubernetes.io/job-name", K::Job) => value == name,
        ("job-name" | "batch.kubernetes.io/job-name", K::CronJob) => value.starts_with(&format!("{name}-")),
        ("controller-uid" | "batch.kubernetes.io/controller-uid", K::Job | K::CronJob) => true,
        ("statefulset.kubernetes.io/pod-name", K::StatefulSet) => value.strip_prefix(&format!("{name}-")).is_some_and(ordinal),
        ("apps.kubernetes.io/pod-index", K::StatefulSet) => ordinal(value),
        ("pod-template-hash", K::Deployment | K::Rollout) => true,
        ("rollouts-pod-template-hash", K::Rollout) => true,
        _ => return None,
    })
}

/// Services whose selectors name labels that controllers add (`job-name`,
/// `statefulset.kubernetes.io/pod-name`, …) select the pods of the workload
/// whose template has the rest of the selector.
fn controller_selected(objects: &[Summary], pods: &Pods<'_>, units: &Units, selected_by: &mut [Vec<usize>]) {
    let mut matched = vec![false; objects.len()];
    for &s in selected_by.iter().flatten() {
        matched[s] = true;
    }
    let unmatched: Vec<usize> = (0..objects.len()).filter(|&s| objects[s].service_selector().is_some()).filter(|&s| !matched[s]).collect();
    for s in unmatched {
        let Some(sel) = objects[s].service_selector() else { continue };
        // Pairs no controller adds must be on the template itself.
        for &i in pods.carrying(sel.iter().filter(|(k, _)| !CONTROLLER_KEYS.contains(&k.as_str()))) {
            let o = &objects[i];
            let w = o.workload().expect("a pod owner");
            if !units.together(&objects[s], o) {
                continue;
            }
            let labels = w.template_labels();
            let mut by_controller = false;
            let ok = sel.iter().all(|(k, v)| {
                labels.get(k) == Some(v) || controller_label(o, w, k, v).inspect(|hit| by_controller |= *hit).unwrap_or(false)
            });
            if ok && by_controller {
                selected_by[i].push(s);
            }
        }
    }
}

/// The images a Skaffold config builds (`build.artifacts[].image`, in its
/// profiles too).
fn built_images(o: &Object<Light>) -> Vec<String> {
    use crate::manifest::tree::Node;
    if o.group() != "skaffold" || o.kind != "Config" {
        return Vec::new();
    }
    let of = |build: Option<&Node>| -> Vec<String> {
        build
            .and_then(|b| b.get("artifacts"))
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.get("image").and_then(Node::as_str).map(str::to_owned))
            .collect()
    };
    let mut out = of(o.root.get("build"));
    for p in o.root.get("profiles").and_then(Node::as_seq).unwrap_or_default() {
        out.extend(of(p.get("build")));
    }
    out
}

/// Built-in API groups: everything else is a custom resource.
fn builtin_group(group: &str) -> bool {
    matches!(group, "" | "apps" | "batch" | "extensions" | "policy" | "autoscaling")
        || (group.ends_with(".k8s.io") && !group.ends_with(".x-k8s.io"))
}

/// Keys that mark a custom resource as one that runs pods (an operator's
/// database, a LeaderWorkerSet, a Prometheus).
fn runs_pods(node: &crate::manifest::tree::Node, depth: usize) -> bool {
    const KEYS: &[&str] = &["containers", "image", "replicas", "podTemplate", "template", "instances", "size", "nodeSets"];
    depth < 8
        && match &node.value {
            crate::manifest::tree::Value::Map(entries) => {
                entries.iter().any(|e| e.key_str().is_some_and(|k| KEYS.contains(&k)) || runs_pods(&e.value, depth + 1))
            }
            crate::manifest::tree::Value::Seq(items) => items.iter().any(|n| runs_pods(n, depth + 1)),
            _ => false,
        }
}

/// For each Service that matches no pod template, the custom resources in
/// its namespace that may create the pods it selects.
fn pod_creating_crs(objects: &[Summary], units: &Units, service_matches: &[bool], lookup: Lookup) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); objects.len()];
    // The custom resources by unit: only those of the Service's own may create its pods.
    let mut by_unit = HashMap::<usize, Vec<usize>>::default();
    for (i, o) in objects.iter().enumerate().filter(|(_, o)| matches!(o.view, View::Other { creates_pods: true })) {
        by_unit.entry(units.of(o.file)).or_default().push(i);
    }
    if by_unit.is_empty() {
        return out;
    }
    for (s, svc) in objects.iter().enumerate() {
        if matches!(svc.view, View::Service { .. }) && !service_matches[s] {
            let mut crs: Vec<usize> = match lookup {
                Lookup::Indexed => units.related_to(units.of(svc.file)).filter_map(|u| by_unit.get(&u)).flatten().copied().collect(),
                Lookup::Scan => by_unit.values().flatten().copied().collect(),
            };
            crs.sort_unstable();
            crs.retain(|&c| units.together(svc, &objects[c]));
            out[s] = crs;
        }
    }
    out
}

/// For each workload, the HorizontalPodAutoscaler that targets it.
fn hpas(objects: &[Summary], units: &Units) -> Vec<Option<usize>> {
    let mut by_target: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (i, o) in objects.iter().enumerate() {
        if let View::Hpa(h) = &o.view {
            by_target.entry((h.target_kind.as_str(), h.target_name.as_str())).or_default().push(i);
        }
    }
    objects
        .iter()
        .map(|o| {
            o.workload()?;
            let name = o.name.as_deref()?;
            by_target.get(&(o.kind.as_str(), name))?.iter().copied().find(|&h| units.together(&objects[h], o))
        })
        .collect()
}

/// PodDisruptionBudgets and the workloads whose pods they select, both ways.
fn pdbs(objects: &[Summary], pods: &Pods<'_>, units: &Units) -> Vec<Vec<usize>> {
    let budgets: Vec<usize> = (0..objects.len()).filter(|&i| matches!(objects[i].view, View::Pdb(_))).collect();
    let mut out = vec![Vec::new(); objects.len()];
    for &b in &budgets {
        let View::Pdb(p) = &objects[b].view else { continue };
        if crate::manifest::workload::selector_is_empty(&p.selector) {
            continue;
        }
        for &i in pods.matching_candidates(&p.selector) {
            let w = objects[i].workload().expect("a pod owner");
            if units.together(&objects[b], &objects[i]) && selector_matches(&p.selector, w.template_labels()) {
                out[i].push(b);
                out[b].push(i);
            }
        }
    }
    out
}

/// Workloads that own pods through a selector.
fn owns_by_selector(
    o: &Summary,
) -> Option<(&crate::manifest::Workload<crate::manifest::PodHead>, &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector)> {
    use crate::manifest::WorkloadKind as K;
    let w = o.workload()?;
    if matches!(w.kind, K::Job | K::CronJob | K::Pod) {
        return None;
    }
    let sel = w.selector.as_ref()?;
    (!crate::manifest::workload::selector_is_empty(sel)).then_some((w, sel))
}

/// For each workload, the earlier workloads in its namespace whose selector
/// matches its pods, or whose pods its selector matches. A selector looks
/// only at the pods carrying the rarest pair of its `matchLabels`.
fn overlaps(objects: &[Summary], pods: &Pods<'_>, units: &Units) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); objects.len()];
    for a in 0..objects.len() {
        let Some((_, sel)) = owns_by_selector(&objects[a]) else { continue };
        for &b in pods.matching_candidates(sel) {
            let Some((wb, _)) = owns_by_selector(&objects[b]) else { continue };
            let (oa, ob) = (&objects[a], &objects[b]);
            // The same object twice (kustomize bases and overlays) is not an overlap.
            let same_object = oa.kind == ob.kind && oa.name == ob.name && oa.namespace == ob.namespace;
            // Workloads of different units are different applications.
            if a == b || same_object || !units.together(oa, ob) {
                continue;
            }
            if selector_matches(sel, wb.template_labels()) {
                // Report once per pair, on the later object.
                // Copies of one object (several files) count once.
                let (early, late) = if a < b { (a, b) } else { (b, a) };
                let same = |x: &Summary, y: &Summary| x.kind == y.kind && x.namespace == y.namespace && x.name == y.name;
                if !out[late].iter().any(|&e| same(&objects[e], &objects[early])) {
                    out[late].push(early);
                }
            }
        }
    }
    for v in &mut out {
        v.sort_unstable();
    }
    out
}

/// Where a monitor looks for its targets, for the lookup: every namespace,
/// the namespaces it names, or its own unit (see [`Units`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Scope<'a> {
    Any,
    Namespace(&'a str),
    Unit(usize),
}

/// The ServiceMonitors or PodMonitors of the run.
struct Monitors<'a> {
    list: Vec<(&'a Summary, &'a crate::manifest::workload::Monitor)>,
    units: &'a Units,
    /// Indexes into `list` by the scopes a monitor may watch and the first
    /// pair of its `matchLabels` (a target must carry it); monitors without
    /// `matchLabels` by scope alone. A superset of what `watches` accepts.
    keyed: HashMap<(Scope<'a>, &'a str, &'a str), Vec<usize>>,
    unkeyed: HashMap<Scope<'a>, Vec<usize>>,
    lookup: Lookup,
}

impl<'a> Monitors<'a> {
    fn new(objects: &'a [Summary], units: &'a Units, pod_monitors: bool, lookup: Lookup) -> Self {
        let list = objects
            .iter()
            .filter_map(|o| match &o.view {
                View::Monitor(m) if m.pod_monitor == pod_monitors => Some((o, &**m)),
                _ => None,
            })
            .collect::<Vec<_>>();
        let (mut keyed, mut unkeyed) = (HashMap::<_, Vec<usize>>::default(), HashMap::<_, Vec<usize>>::default());
        for (i, (o, m)) in list.iter().enumerate() {
            let scopes: Vec<Scope<'a>> = if m.any_namespace {
                vec![Scope::Any]
            } else if !m.match_names.is_empty() {
                m.match_names.iter().map(|n| Scope::Namespace(n.as_str())).collect()
            } else {
                vec![Scope::Unit(units.of(o.file))]
            };
            let first = m.selector.match_labels.iter().flatten().next();
            for scope in scopes {
                match first {
                    Some((k, v)) => keyed.entry((scope, k.as_str(), v.as_str())).or_default().push(i),
                    None => unkeyed.entry(scope).or_default().push(i),
                }
            }
        }
        Monitors { list, units, keyed, unkeyed, lookup }
    }

    /// The monitors that may watch `target`'s namespace and select `labels`
    /// (each at most once).
    fn candidates(&self, target: &Summary, labels: &impl crate::manifest::workload::Labels) -> Vec<usize> {
        if self.lookup == Lookup::Scan {
            return (0..self.list.len()).collect();
        }
        let units = self.units.related_to(self.units.of(target.file)).map(Scope::Unit);
        let scopes = [Scope::Any].into_iter().chain(target.namespace.as_deref().map(Scope::Namespace)).chain(units);
        let mut out = Vec::new();
        for scope in scopes {
            out.extend(self.unkeyed.get(&scope).into_iter().flatten());
            for (k, v) in labels.label_pairs() {
                out.extend(self.keyed.get(&(scope, k.as_str(), v.as_str())).into_iter().flatten());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Does a monitor watch the namespace of an object (a pod's workload or
    /// a Service)? Without a namespaceSelector a monitor watches its own
    /// namespace: that of the objects deployed together with it.
    fn watches(&self, mon: &Summary, m: &crate::manifest::workload::Monitor, target: &Summary) -> bool {
        if m.any_namespace {
            return true;
        }
        if !m.match_names.is_empty() {
            return target.namespace.as_ref().is_some_and(|n| m.match_names.contains(n));
        }
        self.units.together(mon, target)
    }

    /// Does a monitor watching `target`'s namespace select these labels (a
    /// Service's for a ServiceMonitor) and keep some endpoint of the workload's pods?
    fn selects(
        &self,
        target: &Summary,
        labels: &impl crate::manifest::workload::Labels,
        pod: &crate::manifest::Workload<crate::manifest::PodHead>,
    ) -> bool {
        self.candidates(target, labels).into_iter().any(|i| {
            let (o, m) = self.list[i];
            self.watches(o, m, target) && selector_matches(&m.selector, labels) && keeps_pod(m, target.namespace.as_deref(), pod)
        })
    }
}

/// Prometheus' name for a label or annotation key in `__meta_…_label_<name>`.
fn sanitize(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// Do the `keep` relabelings of some endpoint of the monitor pass for the
/// workload's pods? Sources we cannot know (Service or node metadata) pass.
fn keeps_pod(m: &crate::manifest::workload::Monitor, ns: Option<&str>, w: &crate::manifest::Workload<crate::manifest::PodHead>) -> bool {
    let values = |source: &str| -> Option<Vec<String>> {
        let find = |map: &crate::manifest::workload::LabelMap, name: &str, present: bool| {
            let v = map.iter().find(|(k, _)| sanitize(k) == name).map(|(_, v)| v.clone());
            vec![if present { v.map(|_| "true".to_string()).unwrap_or_default() } else { v.unwrap_or_default() }]
        };
        Some(if source == "__meta_kubernetes_pod_container_name" {
            w.template.container_names.clone()
        } else if source == "__meta_kubernetes_namespace" {
            vec![ns?.to_string()]
        } else if let Some(n) = source.strip_prefix("__meta_kubernetes_pod_labelpresent_") {
            find(w.template_labels(), n, true)
        } else if let Some(n) = source.strip_prefix("__meta_kubernetes_pod_label_") {
            find(w.template_labels(), n, false)
        } else if let Some(n) = source.strip_prefix("__meta_kubernetes_pod_annotationpresent_") {
            find(w.template_annotations(), n, true)
        } else if let Some(n) = source.strip_prefix("__meta_kubernetes_pod_annotation_") {
            find(w.template_annotations(), n, false)
        } else {
            return None;
        })
    };
    m.endpoints.is_empty()
        || m.endpoints.iter().any(|keeps| keeps.iter().all(|k| values(&k.source).is_none_or(|vs| vs.iter().any(|v| k.regex.is_match(v)))))
}

fn monitored(objects: &[Summary], units: &Units, selected_by: &[Vec<usize>], lookup: Lookup) -> Vec<bool> {
    let mut out = vec![false; objects.len()];
    if !objects.iter().any(|o| matches!(o.view, View::Monitor(_))) {
        return out;
    }
    let pod_monitors = Monitors::new(objects, units, true, lookup);
    let service_monitors = Monitors::new(objects, units, false, lookup);
    for (i, o) in objects.iter().enumerate() {
        let Some(w) = o.workload() else { continue };
        out[i] = pod_monitors.selects(o, w.template_labels(), w)
            || selected_by[i].iter().any(|&s| {
                let svc = &objects[s];
                let View::Service { labels, .. } = &svc.view else { return false };
                service_monitors.selects(svc, labels, w)
            });
    }
    out
}

/// The objects of one kind (`group`, any version) that name another object by
/// the string at `ptr`: a TrafficSplit's apex Service (`/spec/service`), a
/// StatefulSet's governing Service (`/spec/serviceName`).
fn named_at(objects: &[Object<Light>], group: &str, kind: &str, ptr: &str) -> Vec<(usize, String)> {
    objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind == kind && o.group() == group)
        .filter_map(|(i, o)| Some((i, o.root.pointer(ptr)?.as_str()?.to_string())))
        .collect()
}

/// For each object that names a Service (`named`: object, Service name),
/// the Service of that name applied with it.
fn named_services(objects: &[Summary], named: &[(usize, String)], units: &Units) -> Vec<Option<usize>> {
    let mut out = vec![None; objects.len()];
    if named.is_empty() {
        return out;
    }
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, o) in objects.iter().enumerate().filter(|(_, o)| matches!(o.view, View::Service { .. })) {
        if let Some(n) = o.name.as_deref() {
            by_name.entry(n).or_default().push(i);
        }
    }
    // Of several applied with it, the one of its own file.
    for (o, name) in named {
        let together = by_name.get(name.as_str()).into_iter().flatten().copied().filter(|&s| units.together(&objects[*o], &objects[s]));
        out[*o] = together.min_by_key(|&s| objects[s].file != objects[*o].file);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::SourceFile;

    /// A small deterministic generator (xorshift): the same objects every run.
    struct Rng(u64);
    impl Rng {
        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            from[(self.0 % from.len() as u64) as usize]
        }
    }

    /// Objects whose labels, selectors, namespaces and folders collide
    /// often: workloads of five kinds, Services (some selecting labels only
    /// controllers add), budgets, autoscalers, monitors of every scope and
    /// pod-running custom resources.
    fn generated(seed: u64) -> Vec<SourceFile> {
        let mut r = Rng(seed);
        let labels = |r: &mut Rng| {
            let mut l = vec![format!("app: {}", r.pick(&["a", "b", "c"]))];
            for (k, v) in [("tier", &["web", "db"][..]), ("part-of", &["shop"][..]), ("job-name", &["j1"][..])] {
                if r.pick(&["y", "n"]) == "y" {
                    l.push(format!("{k}: {}", r.pick(v)));
                }
            }
            format!("{{{}}}", l.join(", "))
        };
        let mut files = Vec::new();
        for f in 0..4 {
            let mut text = String::new();
            for i in 0..40 {
                let ns = match r.pick(&["", "x", "y"]) {
                    "" => String::new(),
                    n => format!(", namespace: {n}"),
                };
                let name = format!("o{f}-{i}");
                let doc = match r.pick(&[
                    "Deployment",
                    "StatefulSet",
                    "Job",
                    "CronJob",
                    "Rollout",
                    "Service",
                    "Service",
                    "Pdb",
                    "Hpa",
                    "SM",
                    "PM",
                    "CR",
                ]) {
                    "Job" => {
                        format!(
                            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}{ns}}}\nspec:\n  template:\n    metadata: {{labels: {}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n",
                            labels(&mut r)
                        )
                    }
                    "CronJob" => format!(
                        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: {name}{ns}}}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata: {{labels: {}}}\n        spec: {{containers: [{{name: c, image: i}}]}}\n",
                        labels(&mut r)
                    ),
                    kind @ ("Deployment" | "StatefulSet" | "Rollout") => {
                        let api = if kind == "Rollout" { "argoproj.io/v1alpha1" } else { "apps/v1" };
                        let l = labels(&mut r);
                        let sel = if r.pick(&["labels", "expr"]) == "labels" {
                            format!("matchLabels: {l}")
                        } else {
                            "matchExpressions: [{key: app, operator: In, values: [a, b]}]".to_string()
                        };
                        format!(
                            "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\nspec:\n  replicas: 2\n  selector: {{{sel}}}\n  template:\n    metadata: {{labels: {l}, annotations: {{x: y}}}}\n    spec: {{containers: [{{name: {}, image: i}}]}}\n",
                            r.pick(&["web", "db"])
                        )
                    }
                    "Service" => {
                        let sel = match r.pick(&["plain", "plain", "job", "hash", "pod"]) {
                            "job" => format!("{{job-name: {}}}", r.pick(&["o0-1", "j1"])),
                            "hash" => "{app: a, pod-template-hash: abc}".to_string(),
                            "pod" => format!("{{statefulset.kubernetes.io/pod-name: o{f}-{}-0}}", r.pick(&["1", "2", "3"])),
                            _ => labels(&mut r),
                        };
                        format!(
                            "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}{ns}, labels: {}}}\nspec: {{selector: {sel}, ports: [{{port: 80}}]}}\n",
                            labels(&mut r)
                        )
                    }
                    "Pdb" => {
                        let sel = if r.pick(&["labels", "expr"]) == "labels" {
                            format!("matchLabels: {}", labels(&mut r))
                        } else {
                            "matchExpressions: [{key: tier, operator: Exists}]".to_string()
                        };
                        format!(
                            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: {name}{ns}}}\nspec: {{minAvailable: 1, selector: {{{sel}}}}}\n"
                        )
                    }
                    "Hpa" => format!(
                        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}{ns}}}\nspec: {{scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: o{f}-{}}}, minReplicas: 2, maxReplicas: 4}}\n",
                        r.pick(&["1", "2", "3", "4"])
                    ),
                    kind @ ("SM" | "PM") => {
                        let kind = if kind == "SM" { "ServiceMonitor" } else { "PodMonitor" };
                        let scope = match r.pick(&["none", "any", "names"]) {
                            "any" => "namespaceSelector: {any: true}, ".to_string(),
                            "names" => format!("namespaceSelector: {{matchNames: [{}]}}, ", r.pick(&["x", "y"])),
                            _ => String::new(),
                        };
                        let sel = if r.pick(&["labels", "empty"]) == "labels" {
                            format!("{{matchLabels: {}}}", labels(&mut r))
                        } else {
                            "{}".to_string()
                        };
                        let ep = if kind == "ServiceMonitor" { "endpoints" } else { "podMetricsEndpoints" };
                        format!(
                            "apiVersion: monitoring.coreos.com/v1\nkind: {kind}\nmetadata: {{name: {name}{ns}}}\nspec: {{{scope}selector: {sel}, {ep}: [{{port: http}}]}}\n"
                        )
                    }
                    _ => format!("apiVersion: example.com/v1\nkind: Database\nmetadata: {{name: {name}{ns}}}\nspec: {{replicas: 1}}\n"),
                };
                text.push_str(&doc);
                text.push_str("---\n");
            }
            files.push(SourceFile::new(format!("app{}/dir{}/f{f}.yaml", f % 3, f % 2), text));
        }
        files
    }

    /// The lookup tables find exactly what scanning every object finds.
    #[test]
    fn lookup_tables_agree_with_a_scan() {
        for seed in [1, 7, 42, 1234, 99991] {
            let files = generated(seed);
            let objects: Vec<Object<Light>> =
                files.iter().enumerate().flat_map(|(i, f)| crate::manifest::load_light(i, f).objects).collect();
            assert!(objects.len() > 150, "{} objects", objects.len());
            let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
            let rendered = |f: usize| f % 7 == 6;
            let (fast, scan) =
                (Index::build(&objects, &names, &rendered, Lookup::Indexed), Index::build(&objects, &names, &rendered, Lookup::Scan));
            assert_eq!(fast.selected_by, scan.selected_by, "seed {seed}");
            assert_eq!(fast.monitored, scan.monitored, "seed {seed}");
            assert_eq!(fast.service_matches, scan.service_matches, "seed {seed}");
            assert_eq!(fast.overlaps, scan.overlaps, "seed {seed}");
            assert_eq!(fast.hpa, scan.hpa, "seed {seed}");
            assert_eq!(fast.pdbs, scan.pdbs, "seed {seed}");
            assert_eq!(fast.pod_creating_crs, scan.pod_creating_crs, "seed {seed}");
            // The objects meet: the comparison is not between empty relations.
            for (what, n) in [
                ("selected", scan.selected_by.iter().flatten().count()),
                ("monitored", scan.monitored.iter().filter(|m| **m).count()),
                ("overlaps", scan.overlaps.iter().flatten().count()),
                ("pdbs", scan.pdbs.iter().flatten().count()),
                ("crs", scan.pod_creating_crs.iter().flatten().count()),
            ] {
                assert!(n > 0, "seed {seed}: no {what}");
            }
        }
    }
}
