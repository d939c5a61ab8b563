//! The rule engine: the `Rule` trait, the registry and the cross-object context.

pub mod labels;
pub mod observability;
pub mod probes;
pub mod resources;
pub mod shutdown;
pub mod strategy;

use crate::config::Config;
use crate::finding::Finding;
use crate::manifest::workload::{map_selects, same_namespace, selector_matches};
use crate::manifest::{Object, Typed};
use std::collections::HashMap;

/// A check over one object. Cross-object rules read the `Context`.
pub trait Rule: Sync {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding>;
}

/// A registered rule: its ID, its documentation (rules/<id>.yaml) and its check.
/// Input rules (`invalid-yaml`, `invalid-manifest`) have no check: the loader
/// (src/manifest) reports them; `unused-suppression` comes from src/suppress.rs;
/// `kustomize-build-failed` and `helm-render-failed` from rendering (src/lint/rendered.rs).
pub struct RuleEntry {
    pub id: &'static str,
    pub doc: &'static str,
    pub check: Option<&'static dyn Rule>,
}

macro_rules! registry {
    ($( $id:literal => $check:expr ),* $(,)?) => {
        /// Every rule, in catalogue order.
        pub static REGISTRY: &[RuleEntry] = &[
            $( RuleEntry { id: $id, doc: include_str!(concat!("../../rules/", $id, ".yaml")), check: $check }, )*
        ];
    };
}

registry! {
    "invalid-yaml" => None,
    "invalid-manifest" => None,
    "liveness-probe-missing" => Some(&probes::LivenessProbeMissing),
    "readiness-probe-missing" => Some(&probes::ReadinessProbeMissing),
    "probes-identical" => Some(&probes::ProbesIdentical),
    "probe-port-undeclared" => Some(&probes::ProbePortUndeclared),
    "slow-start-without-startup-probe" => Some(&probes::SlowStartWithoutStartupProbe),
    "prestop-hook-missing" => Some(&shutdown::PrestopHookMissing),
    "termination-grace-period-too-short" => Some(&shutdown::TerminationGracePeriodTooShort),
    "required-labels-missing" => Some(&labels::RequiredLabelsMissing),
    "selector-template-mismatch" => Some(&labels::SelectorTemplateMismatch),
    "service-selects-nothing" => Some(&labels::ServiceSelectsNothing),
    "workload-selectors-overlap" => Some(&labels::WorkloadSelectorsOverlap),
    "label-syntax-invalid" => Some(&labels::LabelSyntaxInvalid),
    "metadata-value-not-string" => Some(&observability::MetadataValueNotString),
    "prometheus-annotations-missing" => Some(&observability::PrometheusAnnotationsMissing),
    "prometheus-annotations-on-workload" => Some(&observability::PrometheusAnnotationsOnWorkload),
    "prometheus-port-undeclared" => Some(&observability::PrometheusPortUndeclared),
    "rolling-update-blocked" => Some(&strategy::RollingUpdateBlocked),
    "recreate-with-rolling-params" => Some(&strategy::RecreateWithRollingParams),
    "rolling-update-downtime" => Some(&strategy::RollingUpdateDowntime),
    "image-tag-mutable" => Some(&strategy::ImageTagMutable),
    "resources-missing" => Some(&resources::ResourcesMissing),
    "unused-suppression" => None,
    "kustomize-build-failed" => None,
    "helm-render-failed" => None,
}

pub fn find(id: &str) -> Option<&'static RuleEntry> {
    REGISTRY.iter().find(|r| r.id == id)
}

/// Everything a rule may look at beyond its object.
pub struct Context<'a> {
    pub objects: &'a [Object],
    pub config: &'a Config,
    /// For each object (by index), the Services that select its pod template.
    selected_by: Vec<Vec<usize>>,
    /// For each object, whether a ServiceMonitor/PodMonitor selects its pods.
    monitored: Vec<bool>,
    /// For each Service (by index), whether some pod template matches it.
    service_matches: Vec<bool>,
    /// For each workload, the earlier workloads whose selectors overlap with it.
    overlaps: Vec<Vec<usize>>,
    /// Whether the run contains any workload with a pod template.
    pub has_workloads: bool,
}

impl<'a> Context<'a> {
    /// `dirs[file]` is the directory of each file of the run.
    pub fn new(objects: &'a [Object], dirs: &[&str], config: &'a Config) -> Self {
        // Services indexed by the first pair of their selector: a Service can
        // only select pods that carry that pair, so each workload looks up
        // only the Services keyed by its own labels (linear in repository size).
        let mut by_pair: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, o) in objects.iter().enumerate() {
            if let Typed::Service(spec) = &o.typed
                && let Some((k, v)) = spec.selector.as_ref().and_then(|m| m.iter().next())
            {
                by_pair.entry((k.as_str(), v.as_str())).or_default().push(i);
            }
        }
        let mut selected_by = vec![Vec::new(); objects.len()];
        let mut has_workloads = false;
        for (i, o) in objects.iter().enumerate() {
            let Some(w) = o.workload() else { continue };
            has_workloads = true;
            let labels = w.template_labels();
            for (k, v) in labels {
                for &s in by_pair.get(&(k.as_str(), v.as_str())).into_iter().flatten() {
                    let svc = &objects[s];
                    if let Typed::Service(spec) = &svc.typed
                        && same_namespace(svc.namespace.as_deref(), o.namespace.as_deref())
                        && map_selects(spec.selector.as_ref().expect("indexed"), labels)
                    {
                        selected_by[i].push(s);
                    }
                }
            }
            selected_by[i].sort_unstable();
            selected_by[i].dedup();
        }
        let monitored = monitored(objects, &selected_by);
        let mut service_matches = vec![false; objects.len()];
        for s in selected_by.iter().flatten() {
            service_matches[*s] = true;
        }
        Context { objects, config, selected_by, monitored, service_matches, overlaps: overlaps(objects, dirs), has_workloads }
    }

    fn index_of(&self, obj: &Object) -> Option<usize> {
        let base = self.objects.as_ptr() as usize;
        let addr = obj as *const Object as usize;
        let size = std::mem::size_of::<Object>();
        (addr >= base && addr < base + std::mem::size_of_val(self.objects)).then(|| (addr - base) / size)
    }

    /// Services (among the linted objects) that select the object's pods.
    pub fn services_selecting(&self, obj: &Object) -> impl Iterator<Item = &'a Object> + '_ {
        self.index_of(obj).map(|i| self.selected_by[i].as_slice()).unwrap_or_default().iter().map(|&s| &self.objects[s])
    }

    pub fn is_service_selected(&self, obj: &Object) -> bool {
        self.services_selecting(obj).next().is_some()
    }

    /// Is the object's pod template selected by a ServiceMonitor or PodMonitor?
    pub fn is_monitored(&self, obj: &Object) -> bool {
        self.index_of(obj).is_some_and(|i| self.monitored[i])
    }

    /// Does some pod template among the linted objects match this Service?
    pub fn service_matches_pods(&self, svc: &Object) -> bool {
        self.index_of(svc).is_some_and(|i| self.service_matches[i])
    }

    /// Earlier workloads whose selectors overlap with this one's.
    pub fn overlapping(&self, obj: &Object) -> impl Iterator<Item = &'a Object> + '_ {
        self.index_of(obj).map(|i| self.overlaps[i].as_slice()).unwrap_or_default().iter().map(|&s| &self.objects[s])
    }
}

/// Workloads that own pods through a selector.
fn owns_by_selector(o: &Object) -> Option<(&crate::manifest::Workload, &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector)> {
    use crate::manifest::WorkloadKind as K;
    let w = o.workload()?;
    if matches!(w.kind, K::Job | K::CronJob | K::Pod) {
        return None;
    }
    let sel = w.selector.as_ref()?;
    (!crate::manifest::workload::selector_is_empty(sel)).then_some((w, sel))
}

/// For each workload, the earlier workloads in its namespace whose selector
/// matches its pods, or whose pods its selector matches. Indexed by label
/// pair so that large repositories stay linear.
fn overlaps(objects: &[Object], dirs: &[&str]) -> Vec<Vec<usize>> {
    let owners: Vec<usize> = (0..objects.len()).filter(|&i| owns_by_selector(&objects[i]).is_some()).collect();
    let mut by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for &i in &owners {
        let (w, _) = owns_by_selector(&objects[i]).expect("filtered");
        for (k, v) in w.template_labels() {
            by_label.entry((k.as_str(), v.as_str())).or_default().push(i);
        }
    }
    let mut out = vec![Vec::new(); objects.len()];
    for &a in &owners {
        let (_, sel) = owns_by_selector(&objects[a]).expect("filtered");
        let candidates: Vec<usize> = match sel.match_labels.as_ref().and_then(|m| m.iter().next()) {
            Some((k, v)) => by_label.get(&(k.as_str(), v.as_str())).cloned().unwrap_or_default(),
            None => owners.clone(),
        };
        for b in candidates {
            let (oa, ob) = (&objects[a], &objects[b]);
            // The same object twice (kustomize bases and overlays) is not an overlap.
            let same_object = oa.kind == ob.kind && oa.name == ob.name && oa.namespace == ob.namespace;
            // Without a namespace, a folder is applied as a unit: only compare within it.
            let together = match (oa.namespace.as_deref(), ob.namespace.as_deref()) {
                (Some(x), Some(y)) => x == y,
                _ => dirs.get(oa.file) == dirs.get(ob.file),
            };
            if a == b || same_object || !together {
                continue;
            }
            let (wb, _) = owns_by_selector(&objects[b]).expect("filtered");
            if selector_matches(sel, wb.template_labels()) {
                // Report once per pair, on the later object.
                let (early, late) = if a < b { (a, b) } else { (b, a) };
                if !out[late].contains(&early) {
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

/// Monitors indexed by the namespaces they watch, so lookups stay cheap
/// in repositories with thousands of monitors.
struct MonitorIndex<'a> {
    /// Watch every namespace (`any: true`), or their own unset namespace.
    everywhere: Vec<(&'a Object, &'a crate::manifest::workload::Monitor)>,
    by_namespace: HashMap<&'a str, Vec<(&'a Object, &'a crate::manifest::workload::Monitor)>>,
    all: Vec<(&'a Object, &'a crate::manifest::workload::Monitor)>,
}

impl<'a> MonitorIndex<'a> {
    fn new(objects: &'a [Object], pod_monitors: bool) -> Self {
        let mut idx = MonitorIndex { everywhere: Vec::new(), by_namespace: HashMap::new(), all: Vec::new() };
        for o in objects {
            let Typed::Monitor(m) = &o.typed else { continue };
            if m.pod_monitor != pod_monitors {
                continue;
            }
            idx.all.push((o, m));
            if m.any_namespace {
                idx.everywhere.push((o, m));
            } else if !m.match_names.is_empty() {
                for n in &m.match_names {
                    idx.by_namespace.entry(n.as_str()).or_default().push((o, m));
                }
            } else {
                match o.namespace.as_deref() {
                    Some(n) => idx.by_namespace.entry(n).or_default().push((o, m)),
                    None => idx.everywhere.push((o, m)),
                }
            }
        }
        idx
    }

    /// Does a monitor watching `ns` select these labels?
    fn selects(&self, ns: Option<&str>, labels: &std::collections::BTreeMap<String, String>) -> bool {
        let hit = |list: &[(&Object, &crate::manifest::workload::Monitor)]| list.iter().any(|(_, m)| selector_matches(&m.selector, labels));
        match ns {
            Some(n) => hit(&self.everywhere) || self.by_namespace.get(n).is_some_and(|l| hit(l)),
            // Unknown namespace: any monitor might watch it.
            None => hit(&self.all),
        }
    }
}

fn monitored(objects: &[Object], selected_by: &[Vec<usize>]) -> Vec<bool> {
    let mut out = vec![false; objects.len()];
    if !objects.iter().any(|o| matches!(o.typed, Typed::Monitor(_))) {
        return out;
    }
    let pod_monitors = MonitorIndex::new(objects, true);
    let service_monitors = MonitorIndex::new(objects, false);
    let empty = std::collections::BTreeMap::new();
    let mut service_watched: HashMap<usize, bool> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        let Some(w) = o.workload() else { continue };
        out[i] = pod_monitors.selects(o.namespace.as_deref(), w.template_labels())
            || selected_by[i].iter().any(|&s| {
                *service_watched.entry(s).or_insert_with(|| {
                    let svc = &objects[s];
                    service_monitors.selects(svc.namespace.as_deref(), svc.meta.labels.as_ref().unwrap_or(&empty))
                })
            });
    }
    out
}

/// Run every enabled rule over every object (in parallel) and add the loader's findings.
pub fn run(objects: &[Object], dirs: &[&str], config: &Config) -> Vec<Finding> {
    use rayon::prelude::*;
    let ctx = Context::new(objects, dirs, config);
    objects
        .par_iter()
        .flat_map_iter(|obj| {
            REGISTRY.iter().filter(|r| config.enabled(r.id)).filter_map(|r| r.check).flat_map(|c| c.check(obj, &ctx)).collect::<Vec<_>>()
        })
        .collect()
}
