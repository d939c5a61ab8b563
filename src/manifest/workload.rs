//! Typed views of objects, and the one pod-template accessor shared by all
//! workload kinds (the kinds and where they keep their fields: [`super::kinds`]).

pub use super::kinds::WorkloadKind;
use super::tree::Node;
use super::{Object, de, typed};
use k8s_openapi::api::apps::v1::{DaemonSetSpec, DeploymentSpec, ReplicaSetSpec, StatefulSetSpec};
use k8s_openapi::api::batch::v1::{CronJobSpec, JobSpec};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, ReplicationControllerSpec, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value as J;
use std::collections::BTreeMap;

/// A typed view of an object, where one is available. `W` is the workload
/// view: the full one ([`Workload`], with the pod spec and its containers)
/// or the light one a lint run keeps between its rules ([`Light`]).
#[derive(Debug)]
pub enum Typed<W = Box<Workload>> {
    Workload(W),
    Service(Box<ServiceSpec>),
    Monitor(Box<Monitor>),
    Pdb(Box<Pdb>),
    Hpa(Box<Hpa>),
    Other,
}

/// The typed view of an object without its pod spec: what a lint run keeps
/// of every object while it runs its rules one object at a time, each on a
/// full view built again from the object's tree ([`super::Object::expanded`]).
/// (Shared with the run's cross-object summaries.)
pub type Light = Typed<std::sync::Arc<Workload<PodHead>>>;

/// What a light view keeps of a pod template: its labels and annotations
/// and its containers' names (what other objects select and relabel on).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodHead {
    pub labels: LabelMap,
    pub annotations: LabelMap,
    pub container_names: Vec<String>,
}

/// Labels or annotations kept for a whole run: the entries sorted by key
/// in one exactly sized allocation (a `BTreeMap` node takes ~540 bytes
/// however few entries it holds; a run keeps one per pod template).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelMap(Box<[(String, String)]>);

impl LabelMap {
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The entries in key order (as a `BTreeMap` gives them).
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<BTreeMap<String, String>> for LabelMap {
    fn from(map: BTreeMap<String, String>) -> Self {
        LabelMap(map.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a LabelMap {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (String, String)>, fn(&'a (String, String)) -> (&'a String, &'a String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// A set of labels a selector is matched against: a full view's map or a light one's.
pub trait Labels {
    fn get_label(&self, key: &str) -> Option<&String>;
    /// The (key, value) pairs, by key.
    fn label_pairs(&self) -> impl Iterator<Item = (&String, &String)>;
}

impl Labels for BTreeMap<String, String> {
    fn get_label(&self, key: &str) -> Option<&String> {
        self.get(key)
    }

    fn label_pairs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.iter()
    }
}

impl Labels for LabelMap {
    fn get_label(&self, key: &str) -> Option<&String> {
        self.get(key)
    }

    fn label_pairs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.iter()
    }
}

/// The labels and annotations of a pod template, full or light.
pub trait PodLabels {
    type Map: Labels;
    fn labels(&self) -> &Self::Map;
    fn annotations(&self) -> &Self::Map;
}

impl PodLabels for PodTemplateSpec {
    type Map = BTreeMap<String, String>;

    fn labels(&self) -> &BTreeMap<String, String> {
        self.metadata.as_ref().and_then(|m| m.labels.as_ref()).unwrap_or(&EMPTY)
    }

    fn annotations(&self) -> &BTreeMap<String, String> {
        self.metadata.as_ref().and_then(|m| m.annotations.as_ref()).unwrap_or(&EMPTY)
    }
}

impl PodLabels for PodHead {
    type Map = LabelMap;

    fn labels(&self) -> &LabelMap {
        &self.labels
    }

    fn annotations(&self) -> &LabelMap {
        &self.annotations
    }
}

impl Typed {
    /// The light view: the pod template reduced to its [`PodHead`] (the pod spec is dropped).
    pub fn lighten(self) -> Light {
        match self {
            Typed::Workload(w) => {
                let Workload { kind, template_ptr, template, selector_ptr, selector, replicas } = *w;
                let PodTemplateSpec { metadata, spec } = template;
                let (labels, annotations) = metadata.map(|m| (m.labels, m.annotations)).unwrap_or_default();
                // Not `into_iter()`: collecting in place would keep the containers' allocation.
                let container_names = spec.map(|s| s.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
                let template = PodHead {
                    labels: labels.unwrap_or_default().into(),
                    annotations: annotations.unwrap_or_default().into(),
                    container_names,
                };
                Typed::Workload(std::sync::Arc::new(Workload { kind, template_ptr, template, selector_ptr, selector, replicas }))
            }
            Typed::Service(s) => Typed::Service(s),
            Typed::Monitor(m) => Typed::Monitor(m),
            Typed::Pdb(p) => Typed::Pdb(p),
            Typed::Hpa(h) => Typed::Hpa(h),
            Typed::Other => Typed::Other,
        }
    }
}

impl Light {
    /// The light workload view, where the object has one.
    pub fn workload(&self) -> Option<&Workload<PodHead>> {
        match self {
            Typed::Workload(w) => Some(w),
            _ => None,
        }
    }

    /// Is this what [`Typed::lighten`] makes of `full`? (Only workload and
    /// other views are compared: the views a light read gives.)
    pub fn is_light_of(&self, full: &Typed) -> bool {
        match (self, full) {
            (Typed::Workload(l), Typed::Workload(f)) => {
                let names = f.pod_spec().map(|s| s.containers.as_slice()).unwrap_or_default();
                l.kind == f.kind
                    && l.template_ptr == f.template_ptr
                    && l.selector_ptr == f.selector_ptr
                    && l.selector == f.selector
                    && l.replicas == f.replicas
                    && l.template.labels.iter().eq(f.template_labels())
                    && l.template.annotations.iter().eq(f.template_annotations())
                    && l.template.container_names.iter().eq(names.iter().map(|c| &c.name))
            }
            (Typed::Other, Typed::Other) => true,
            _ => false,
        }
    }
}

/// What a light read takes of a workload's spec (the kinds' fields by their
/// names, defaulted where k8s-openapi defaults them).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeadSpec {
    selector: Option<LabelSelector>,
    replicas: Option<i32>,
    template: Option<HeadTemplate>,
    manual_selector: Option<bool>,
    job_template: Option<HeadJobTemplate>,
}

#[derive(serde::Deserialize)]
struct HeadJobTemplate {
    spec: Option<HeadJobSpec>,
}

#[derive(serde::Deserialize)]
struct HeadJobSpec {
    template: Option<HeadTemplate>,
}

#[derive(Default, serde::Deserialize)]
struct HeadTemplate {
    metadata: Option<HeadMeta>,
    spec: Option<HeadPodSpec>,
}

#[derive(Default, serde::Deserialize)]
struct HeadMeta {
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Default, serde::Deserialize)]
struct HeadPodSpec {
    containers: Option<Vec<HeadContainer>>,
}

#[derive(serde::Deserialize)]
struct HeadContainer {
    name: Option<String>,
}

impl HeadTemplate {
    fn head(self) -> PodHead {
        let meta = self.metadata.unwrap_or_default();
        PodHead::new(meta.labels, meta.annotations, self.spec.unwrap_or_default().containers)
    }
}

impl PodHead {
    fn new(
        labels: Option<BTreeMap<String, String>>,
        annotations: Option<BTreeMap<String, String>>,
        containers: Option<Vec<HeadContainer>>,
    ) -> Self {
        let container_names = containers.into_iter().flatten().map(|c| c.name.unwrap_or_default()).collect();
        PodHead { labels: labels.unwrap_or_default().into(), annotations: annotations.unwrap_or_default().into(), container_names }
    }
}

/// The light view read straight from the object's tree, without its pod
/// spec, for the workload kinds [`build_node`] reads; `None` for the others
/// (and where the tree does not read). `meta` is the object's metadata.
/// When the full view reads without errors its light view is this one, as
/// far as the reads agree: an expansion checks ([`Light::is_light_of`]).
pub fn build_light_node<V>(obj: &Object<V>, root: &Node, meta: &ObjectMeta) -> Option<Light> {
    if legacy(obj) {
        return None;
    }
    let kind = WorkloadKind::of(obj.group(), &obj.kind)?;
    let info = kind.info();
    let light = |template: PodHead, selector: Option<LabelSelector>, replicas: Option<i32>| {
        let selector_ptr = selector.as_ref().and(info.selector);
        Typed::Workload(std::sync::Arc::new(Workload { kind, template_ptr: info.template, template, selector_ptr, selector, replicas }))
    };
    let spec = root.get("spec")?;
    match kind {
        WorkloadKind::Pod => {
            let s: HeadPodSpec = de::typed(spec)?;
            let head = PodHead::new(meta.labels.clone(), meta.annotations.clone(), s.containers);
            return Some(light(head, None, None));
        }
        // Read from their JSON (see [`build_node`]).
        WorkloadKind::ReplicationController | WorkloadKind::Rollout => return None,
        _ => {}
    }
    let s: HeadSpec = de::typed(spec)?;
    let template = match kind {
        WorkloadKind::CronJob => s.job_template.and_then(|j| j.spec).and_then(|j| j.template),
        _ => s.template,
    };
    let selector = match kind {
        WorkloadKind::Job => s.selector.filter(|_| s.manual_selector == Some(true)),
        _ => info.selector.map(|_| s.selector.unwrap_or_default()),
    };
    Some(light(template.unwrap_or_default().head(), selector, info.replicas.and(s.replicas)))
}

/// A PodDisruptionBudget (any served version).
#[derive(Clone, Debug)]
pub struct Pdb {
    pub selector: LabelSelector,
    pub min_available: Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
    pub max_unavailable: Option<k8s_openapi::apimachinery::pkg::util::intstr::IntOrString>,
}

/// A HorizontalPodAutoscaler (any served version): its target and floor.
#[derive(Clone, Debug)]
pub struct Hpa {
    pub target_kind: String,
    pub target_name: String,
    /// `minReplicas` (Kubernetes defaults it to 1).
    pub min_replicas: i32,
}

/// A `keep` relabeling of a monitor endpoint on one source label.
#[derive(Clone, Debug)]
pub struct Keep {
    pub source: String,
    pub regex: regex::Regex,
}

/// A prometheus-operator ServiceMonitor or PodMonitor.
#[derive(Clone, Debug)]
pub struct Monitor {
    pub pod_monitor: bool,
    pub selector: LabelSelector,
    /// `None`: the monitor's own namespace; `Some(vec![])` with `any`: all.
    pub any_namespace: bool,
    pub match_names: Vec<String>,
    /// Per endpoint, its `keep` relabelings (a pod is scraped when all keeps
    /// of one endpoint pass). Empty: no endpoint lists (every pod selected).
    pub endpoints: Vec<Vec<Keep>>,
}

/// A workload's view: `T` is its pod template, whole ([`PodTemplateSpec`])
/// or reduced to a [`PodHead`] (in a [`Light`] view).
#[derive(Clone, Debug)]
pub struct Workload<T = PodTemplateSpec> {
    pub kind: WorkloadKind,
    /// Pointer to the pod template (an object with `metadata` and `spec`); `""` for a Pod.
    pub template_ptr: &'static str,
    pub template: T,
    /// Pointer to the selector, where the kind has one.
    pub selector_ptr: Option<&'static str>,
    pub selector: Option<LabelSelector>,
    pub replicas: Option<i32>,
}

/// Where a container sits in its object (`/spec/template/spec/containers/0`):
/// written out (`Display`) only where a finding or an edit needs it, not for
/// every container every rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerPtr {
    /// The pod template's pointer (`/spec/template`, `""` for a Pod).
    template: &'static str,
    /// `containers` or `initContainers`.
    list: &'static str,
    index: usize,
}

impl std::fmt::Display for ContainerPtr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/spec/{}/{}", self.template, self.list, self.index)
    }
}

static EMPTY: BTreeMap<String, String> = BTreeMap::new();

impl<T: PodLabels> Workload<T> {
    pub fn template_labels(&self) -> &T::Map {
        self.template.labels()
    }

    pub fn template_annotations(&self) -> &T::Map {
        self.template.annotations()
    }
}

impl Workload {
    pub fn pod_spec(&self) -> Option<&PodSpec> {
        self.template.spec.as_ref()
    }

    /// Pointer to the pod spec (`/spec/template/spec`).
    pub fn spec_ptr(&self) -> String {
        format!("{}/spec", self.template_ptr)
    }

    /// Pointer to the pod template's metadata.
    pub fn meta_ptr(&self) -> String {
        format!("{}/metadata", self.template_ptr)
    }

    /// Runs until stopped (not a batch workload and not a run-to-completion Pod).
    pub fn long_running(&self) -> bool {
        match self.kind {
            WorkloadKind::Job | WorkloadKind::CronJob => false,
            WorkloadKind::Pod => !matches!(self.pod_spec().and_then(|s| s.restart_policy.as_deref()), Some("Never" | "OnFailure")),
            _ => true,
        }
    }

    /// Containers with their pointers (regular containers only).
    pub fn containers(&self) -> impl Iterator<Item = (ContainerPtr, &k8s_openapi::api::core::v1::Container)> {
        let template = self.template_ptr;
        self.pod_spec()
            .into_iter()
            .flat_map(|s| s.containers.iter().enumerate())
            .map(move |(index, c)| (ContainerPtr { template, list: "containers", index }, c))
    }

    /// Init containers with their pointers.
    pub fn init_containers(&self) -> impl Iterator<Item = (ContainerPtr, &k8s_openapi::api::core::v1::Container)> {
        let template = self.template_ptr;
        self.pod_spec()
            .into_iter()
            .flat_map(|s| s.init_containers.iter().flatten().enumerate())
            .map(move |(index, c)| (ContainerPtr { template, list: "initContainers", index }, c))
    }
}

/// Does a label selector match a set of labels? An empty selector matches everything.
pub fn selector_matches(sel: &LabelSelector, labels: &(impl Labels + ?Sized)) -> bool {
    if let Some(ml) = &sel.match_labels
        && !ml.iter().all(|(k, v)| labels.get_label(k) == Some(v))
    {
        return false;
    }
    for e in sel.match_expressions.iter().flatten() {
        let have = labels.get_label(&e.key);
        let values = e.values.as_deref().unwrap_or_default();
        let ok = match e.operator.as_str() {
            "In" => have.is_some_and(|v| values.contains(v)),
            "NotIn" => have.is_none_or(|v| !values.contains(v)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

pub fn selector_is_empty(sel: &LabelSelector) -> bool {
    sel.match_labels.as_ref().is_none_or(|m| m.is_empty()) && sel.match_expressions.as_ref().is_none_or(|m| m.is_empty())
}

/// Does a plain map selector (Service) match labels?
pub fn map_selects(sel: &BTreeMap<String, String>, labels: &(impl Labels + ?Sized)) -> bool {
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get_label(k) == Some(v))
}

/// Namespaces are equal, or one of them is unset (decided at apply time).
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

type Err = (String, String);

fn legacy<V>(obj: &Object<V>) -> bool {
    matches!(obj.api_version.as_str(), "extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2" | "batch/v1beta1" | "batch/v2alpha1")
}

fn spec_of<T: serde::de::DeserializeOwned>(json: &J) -> Result<T, Err> {
    match json.get("spec") {
        Some(s) => typed(s, "/spec"),
        None => Err((String::new(), "missing field `spec`".into())),
    }
}

/// The typed view read straight from the object's tree, for the kinds whose
/// JSON needs no rewriting; `None` when [`build`] has to decide (other kinds,
/// legacy versions, any error). Where it gives a view, it is [`build`]'s.
pub fn build_node<V>(obj: &Object<V>, root: &Node) -> Option<Typed> {
    if legacy(obj) {
        return None;
    }
    if let Some(kind) = WorkloadKind::of(obj.group(), &obj.kind) {
        return match kind {
            // A plain-map selector whose values the JSON path turns into
            // strings first; a template that may be a reference.
            WorkloadKind::ReplicationController | WorkloadKind::Rollout => None,
            _ => workload_view(obj, kind, &NodeSpec(root)).ok(),
        };
    }
    let spec = || root.get("spec");
    let typed = match (obj.group(), obj.kind.as_str()) {
        // The JSON path turns non-string selector values into strings first.
        ("", "Service") => {
            let selector = root.pointer("/spec/selector").and_then(Node::as_map);
            if selector.is_some_and(|m| m.iter().any(|e| e.value.as_str().is_none())) {
                return None;
            }
            match spec() {
                Some(s) => Typed::Service(Box::new(de::typed(s)?)),
                None => Typed::Service(Box::default()),
            }
        }
        ("monitoring.coreos.com", "ServiceMonitor" | "PodMonitor")
        | ("policy", "PodDisruptionBudget")
        | ("autoscaling", "HorizontalPodAutoscaler") => {
            return None;
        }
        _ => {
            validate_with(obj, &NodeCheck(root)).ok()?;
            Typed::Other
        }
    };
    Some(typed)
}

/// Build the typed view of an object. Errors name the offending field.
pub fn build<V>(obj: &Object<V>, json: &J) -> Result<Typed, Err> {
    let result = match (WorkloadKind::of(obj.group(), &obj.kind), obj.group(), obj.kind.as_str()) {
        (Some(kind), ..) => workload_view(obj, kind, &JsonSpec(&with_default_selector(obj, kind, json))),
        (None, "", "Service") => match json.get("spec") {
            Some(s) => Ok(Typed::Service(Box::new(typed(s, "/spec")?))),
            None => Ok(Typed::Service(Box::default())),
        },
        (None, "monitoring.coreos.com", "ServiceMonitor" | "PodMonitor") => Ok(monitor(obj, json)),
        (None, "policy", "PodDisruptionBudget") => validate_builtin(obj, json).and_then(|_| pdb(json)),
        (None, "autoscaling", "HorizontalPodAutoscaler") => validate_builtin(obj, json).map(|_| hpa(json)),
        _ => validate_builtin(obj, json).map(|_| Typed::Other),
    };
    match result {
        Err(_) if legacy(obj) => Ok(Typed::Other),
        r => r,
    }
}

/// Where a workload's `spec` is read from: the tree (which only says
/// whether it reads) or the JSON (which explains why not).
trait SpecSource {
    fn spec<T: serde::de::DeserializeOwned>(&self) -> Result<T, Err>;
    /// A Rollout's view (read from JSON only: its template may be a reference).
    fn rollout(&self) -> Result<Typed, Err>;
}

struct NodeSpec<'a>(&'a Node);

impl SpecSource for NodeSpec<'_> {
    fn spec<T: serde::de::DeserializeOwned>(&self) -> Result<T, Err> {
        self.0.get("spec").and_then(de::typed).ok_or_else(|| (String::new(), String::new()))
    }

    fn rollout(&self) -> Result<Typed, Err> {
        Err((String::new(), String::new()))
    }
}

struct JsonSpec<'a>(&'a J);

impl SpecSource for JsonSpec<'_> {
    fn spec<T: serde::de::DeserializeOwned>(&self) -> Result<T, Err> {
        spec_of(self.0)
    }

    fn rollout(&self) -> Result<Typed, Err> {
        rollout(self.0)
    }
}

/// The view of a workload.
fn workload_view<V>(obj: &Object<V>, kind: WorkloadKind, src: &impl SpecSource) -> Result<Typed, Err> {
    let view = |template, selector, replicas| workload(kind, template, selector, replicas);
    Ok(match kind {
        WorkloadKind::Deployment => {
            let s: DeploymentSpec = src.spec()?;
            view(s.template, Some(s.selector), s.replicas)
        }
        WorkloadKind::StatefulSet => {
            let s: StatefulSetSpec = src.spec()?;
            view(s.template, Some(s.selector), s.replicas)
        }
        WorkloadKind::DaemonSet => {
            let s: DaemonSetSpec = src.spec()?;
            view(s.template, Some(s.selector), None)
        }
        WorkloadKind::ReplicaSet => {
            let s: ReplicaSetSpec = src.spec()?;
            view(s.template.unwrap_or_default(), Some(s.selector), s.replicas)
        }
        WorkloadKind::ReplicationController => {
            let s: ReplicationControllerSpec = src.spec()?;
            let selector = s.selector.map(|m| LabelSelector { match_labels: Some(m), match_expressions: None });
            view(s.template.unwrap_or_default(), selector, s.replicas)
        }
        WorkloadKind::Job => {
            let s: JobSpec = src.spec()?;
            // Without manualSelector the API server generates the selector.
            let sel = if s.manual_selector == Some(true) { s.selector } else { None };
            view(s.template, sel, None)
        }
        WorkloadKind::CronJob => {
            let s: CronJobSpec = src.spec()?;
            view(s.job_template.spec.map(|j| j.template).unwrap_or_default(), None, None)
        }
        WorkloadKind::Pod => {
            let spec: PodSpec = src.spec()?;
            let metadata: Option<ObjectMeta> = Some(ObjectMeta::clone(&obj.meta));
            view(PodTemplateSpec { metadata, spec: Some(spec) }, None, None)
        }
        WorkloadKind::Rollout => return src.rollout(),
    })
}

fn workload(kind: WorkloadKind, template: PodTemplateSpec, selector: Option<LabelSelector>, replicas: Option<i32>) -> Typed {
    let info = kind.info();
    Typed::Workload(Box::new(Workload {
        kind,
        template_ptr: info.template,
        template,
        selector_ptr: selector.as_ref().and(info.selector),
        selector,
        replicas,
    }))
}

/// Legacy API versions of the `apps` kinds default the selector to the
/// template's labels (the JSON is copied only for them).
fn with_default_selector<'a, V>(obj: &Object<V>, kind: WorkloadKind, json: &'a J) -> std::borrow::Cow<'a, J> {
    if !legacy(obj) || !kind.info().groups.contains(&"apps") {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut json = json.clone();
    default_selector(&mut json);
    std::borrow::Cow::Owned(json)
}

fn default_selector(json: &mut J) {
    if json.pointer("/spec/selector").is_none()
        && let Some(labels) = json.pointer("/spec/template/metadata/labels").cloned()
        && let Some(J::Object(spec)) = json.get_mut("spec")
    {
        spec.insert("selector".into(), serde_json::json!({ "matchLabels": labels }));
    }
}

fn rollout(json: &J) -> Result<Typed, Err> {
    let Some(spec) = json.get("spec") else {
        return Err((String::new(), "missing field `spec`".into()));
    };
    // A Rollout may reference a Deployment's template (workloadRef) instead of holding one.
    let Some(t) = spec.get("template") else {
        return Ok(Typed::Other);
    };
    let template: PodTemplateSpec = typed(t, "/spec/template")?;
    let selector: Option<LabelSelector> = match spec.get("selector") {
        Some(s) => Some(typed(s, "/spec/selector")?),
        None => None,
    };
    let replicas = match spec.get("replicas") {
        Some(r) => Some(typed::<i32>(r, "/spec/replicas")?),
        None => None,
    };
    // `selector_ptr` follows from the selector (none without one).
    Ok(workload(WorkloadKind::Rollout, template, selector, replicas))
}

fn monitor<V>(obj: &Object<V>, json: &J) -> Typed {
    let selector = json.pointer("/spec/selector").and_then(|s| serde_json::from_value::<LabelSelector>(s.clone()).ok()).unwrap_or_default();
    let ns = json.pointer("/spec/namespaceSelector");
    let any_namespace = ns.and_then(|n| n.get("any")).and_then(J::as_bool).unwrap_or(false);
    let match_names = ns
        .and_then(|n| n.get("matchNames"))
        .and_then(J::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let list = if obj.kind == "PodMonitor" { "podMetricsEndpoints" } else { "endpoints" };
    let endpoints = json
        .pointer(&format!("/spec/{list}"))
        .and_then(J::as_array)
        .map(|eps| eps.iter().map(|e| e.get("relabelings").and_then(J::as_array).map(|r| keeps(r)).unwrap_or_default()).collect())
        .unwrap_or_default();
    Typed::Monitor(Box::new(Monitor { pod_monitor: obj.kind == "PodMonitor", selector, any_namespace, match_names, endpoints }))
}

/// `keep` relabelings on a single source label (Prometheus anchors the regex).
fn keeps(relabelings: &[J]) -> Vec<Keep> {
    relabelings
        .iter()
        .filter(|r| r.get("action").and_then(J::as_str).is_some_and(|a| a.eq_ignore_ascii_case("keep")))
        .filter_map(|r| {
            let sources = r.get("sourceLabels").and_then(J::as_array)?;
            let [source] = sources.as_slice() else { return None };
            let regex = r.get("regex").and_then(J::as_str).unwrap_or("(.*)");
            let regex = regex::Regex::new(&format!("^(?:{regex})$")).ok()?;
            Some(Keep { source: source.as_str()?.to_string(), regex })
        })
        .collect()
}

fn pdb(json: &J) -> Result<Typed, Err> {
    let spec = json.get("spec").cloned().unwrap_or_default();
    let selector = match spec.get("selector") {
        Some(s) => typed(s, "/spec/selector")?,
        None => LabelSelector::default(),
    };
    let int_or_str =
        |k: &str| -> Result<_, Err> { spec.get(k).filter(|v| !v.is_null()).map(|v| typed(v, &format!("/spec/{k}"))).transpose() };
    Ok(Typed::Pdb(Box::new(Pdb { selector, min_available: int_or_str("minAvailable")?, max_unavailable: int_or_str("maxUnavailable")? })))
}

fn hpa(json: &J) -> Typed {
    let text = |p: &str| json.pointer(p).and_then(J::as_str).unwrap_or_default().to_string();
    let min_replicas = json.pointer("/spec/minReplicas").and_then(J::as_i64).and_then(|n| i32::try_from(n).ok()).unwrap_or(1);
    Typed::Hpa(Box::new(Hpa {
        target_kind: text("/spec/scaleTargetRef/kind"),
        target_name: text("/spec/scaleTargetRef/name"),
        min_replicas,
    }))
}

macro_rules! validate_types {
    ($obj:expr, $check:expr, $($t:ty),* $(,)?) => {
        $(
            if $obj.api_version == <$t as k8s_openapi::Resource>::API_VERSION && $obj.kind == <$t as k8s_openapi::Resource>::KIND {
                return $check.check::<$t>();
            }
        )*
    };
}

/// Deserializes a whole object as a given type.
trait Check {
    fn check<T: serde::de::DeserializeOwned>(&self) -> Result<(), Err>;
}

struct JsonCheck<'a>(&'a J);

impl Check for JsonCheck<'_> {
    fn check<T: serde::de::DeserializeOwned>(&self) -> Result<(), Err> {
        typed::<T>(self.0, "").map(|_| ())
    }
}

/// Only says whether the tree deserializes (the JSON path explains why not).
struct NodeCheck<'a>(&'a Node);

impl Check for NodeCheck<'_> {
    fn check<T: serde::de::DeserializeOwned>(&self) -> Result<(), Err> {
        de::typed::<T>(self.0).map(|_| ()).ok_or_else(|| (String::new(), String::new()))
    }
}

/// Deserialize other built-in kinds fully, to catch wrong field types.
fn validate_builtin<V>(obj: &Object<V>, json: &J) -> Result<(), Err> {
    validate_with(obj, &JsonCheck(json))
}

fn validate_with<V>(obj: &Object<V>, check: &impl Check) -> Result<(), Err> {
    use k8s_openapi::api::{autoscaling, core::v1 as core, networking::v1 as net, policy::v1 as policy, rbac::v1 as rbac};
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    validate_types!(
        obj,
        check,
        core::ConfigMap,
        core::Secret,
        core::ServiceAccount,
        core::Namespace,
        core::PersistentVolumeClaim,
        core::PersistentVolume,
        core::LimitRange,
        core::ResourceQuota,
        core::Endpoints,
        net::Ingress,
        net::IngressClass,
        net::NetworkPolicy,
        rbac::Role,
        rbac::RoleBinding,
        rbac::ClusterRole,
        rbac::ClusterRoleBinding,
        autoscaling::v2::HorizontalPodAutoscaler,
        autoscaling::v1::HorizontalPodAutoscaler,
        policy::PodDisruptionBudget,
        CustomResourceDefinition,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_map_answers_as_the_map_it_was_made_of() {
        let map: BTreeMap<String, String> =
            [("app", "web"), ("tier", "front"), ("a.io/x", ""), ("zone", "b")].map(|(k, v)| (k.to_string(), v.to_string())).into();
        let labels = LabelMap::from(map.clone());
        for key in ["app", "tier", "a.io/x", "zone", "missing", ""] {
            assert_eq!(labels.get(key), map.get(key), "{key}");
            assert_eq!(labels.get_label(key), map.get_label(key));
        }
        assert!(labels.iter().eq(&map));
        let sel = LabelSelector { match_labels: Some(map.clone()), match_expressions: None };
        assert!(selector_matches(&sel, &labels) && map_selects(&map, &labels));
        assert!(!map_selects(&map, &LabelMap::default()) && LabelMap::default().is_empty());
    }
}
