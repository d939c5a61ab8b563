//! Labels drive Services, selectors and discovery.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::manifest::tree::{Node, Value, escape};
use crate::manifest::workload::{selector_is_empty, selector_matches};
use crate::manifest::{Object, Target, Typed, WorkloadKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One required-label rule: any of `keys` present, with a value matching `value`.
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelRequirement {
    /// Label keys; any one of them satisfies the requirement.
    pub keys: Vec<String>,
    /// A regular expression the value must match in full.
    #[serde(default)]
    pub value: Option<String>,
}

pub fn default_required_labels() -> Vec<LabelRequirement> {
    vec![LabelRequirement { keys: vec!["app.kubernetes.io/name".into(), "app".into()], value: None }]
}

fn unmet<'r>(reqs: &'r [LabelRequirement], labels: Option<&BTreeMap<String, String>>) -> Vec<&'r LabelRequirement> {
    reqs.iter()
        .filter(|r| {
            let re = r.value.as_deref().and_then(|v| regex::Regex::new(&format!("^(?:{v})$")).ok());
            !r.keys.iter().any(|k| labels.and_then(|l| l.get(k)).is_some_and(|v| re.as_ref().is_none_or(|re| re.is_match(v))))
        })
        .collect()
}

fn describe(r: &LabelRequirement) -> String {
    let keys = r.keys.join(" or ");
    match &r.value {
        Some(v) => format!("{keys} (matching /{v}/)"),
        None => keys,
    }
}

pub struct RequiredLabelsMissing;
impl Rule for RequiredLabelsMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "required-labels-missing";
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let reqs: Vec<LabelRequirement> = ctx.config.param(ID, "labels", default_required_labels());
        let mut out = Vec::new();
        // The value to suggest: what the selector or the other label map already
        // says under that key, else the object's name.
        let known = |key: &str| -> String {
            let sel = w.selector.as_ref().and_then(|s| s.match_labels.as_ref());
            [sel, obj.meta.labels.as_ref(), w.template.metadata.as_ref().and_then(|m| m.labels.as_ref())]
                .into_iter()
                .flatten()
                .find_map(|m| m.get(key).or_else(|| m.get("app")).cloned())
                .or_else(|| obj.name.clone())
                .unwrap_or_else(|| "NAME".into())
        };
        let mut check = |labels: Option<&BTreeMap<String, String>>, meta_ptr: String, what: String| {
            let missing = unmet(&reqs, labels);
            if missing.is_empty() {
                return;
            }
            let list = missing.iter().map(|r| describe(r)).collect::<Vec<_>>().join(", ");
            let add = missing
                .iter()
                .map(|r| {
                    let key = &r.keys[0];
                    match &r.value {
                        Some(v) => format!("{key}: <a value matching /{v}/>"),
                        None => format!("{key}: {}", known(key)),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let at = format!("{}.labels", meta_ptr.trim_start_matches('/').replace('/', "."));
            let mut f = obj.finding(
                ID,
                Severity::Warning,
                &format!("{meta_ptr}/labels"),
                Target::Key,
                format!("{what} lacks the label {list}; add {add} to {at}"),
            );
            f.help = Some(
                "label workloads and their pods with app.kubernetes.io/name so Services, dashboards and policies can find them".into(),
            );
            out.push(f);
        };
        check(obj.meta.labels.as_ref(), "/metadata".into(), obj.label());
        if w.kind != WorkloadKind::Pod {
            let labels = w.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
            check(labels, w.meta_ptr(), format!("the pod template of {}", obj.label()));
        }
        out
    }
}

pub struct SelectorTemplateMismatch;
impl Rule for SelectorTemplateMismatch {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "selector-template-mismatch";
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        let (Some(ptr), Some(sel)) = (w.selector_ptr, &w.selector) else {
            return Vec::new();
        };
        let labels = w.template_labels();
        let message = if selector_is_empty(sel) {
            if matches!(w.kind, WorkloadKind::ReplicationController | WorkloadKind::Job) {
                return Vec::new();
            }
            format!("{} has an empty selector; the API server rejects it", obj.label())
        } else if !selector_matches(sel, labels) {
            let mut diffs: Vec<String> = sel
                .match_labels
                .iter()
                .flatten()
                .filter(|(k, v)| labels.get(*k) != Some(*v))
                .map(|(k, v)| match labels.get(k) {
                    Some(t) => format!("{k}={v} (template has {k}={t})"),
                    None => format!("{k}={v} (template lacks {k})"),
                })
                .collect();
            for e in sel.match_expressions.iter().flatten() {
                let one = k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
                    match_labels: None,
                    match_expressions: Some(vec![e.clone()]),
                };
                if !selector_matches(&one, labels) {
                    diffs.push(format!("{} {} {:?}", e.key, e.operator, e.values.as_deref().unwrap_or_default()));
                }
            }
            format!("the selector of {} does not match its pod template labels: {}", obj.label(), diffs.join(", "))
        } else {
            return Vec::new();
        };
        let mut f = obj.finding(ID, Severity::Error, ptr, Target::Key, message);
        f.help = Some("make spec.selector a subset of spec.template.metadata.labels; the API server rejects a mismatch".into());
        vec![f]
    }
}

pub struct ServiceSelectsNothing;
impl Rule for ServiceSelectsNothing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Typed::Service(spec) = &obj.typed else {
            return Vec::new();
        };
        let Some(sel) = spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            return Vec::new();
        };
        if !ctx.has_workloads || ctx.service_matches_pods(obj) {
            return Vec::new();
        }
        let text = sel.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        // A custom resource in the namespace (an operator's database, a
        // LeaderWorkerSet) may create the pods: say so, at a lower severity.
        let crs: Vec<String> = ctx.pod_creating_resources(obj).take(3).map(Object::label).collect();
        let (severity, message) = if crs.is_empty() {
            (Severity::Warning, format!("{} selects {text}, which matches no pod template among the linted objects", obj.label()))
        } else {
            (
                Severity::Info,
                format!(
                    "{} selects {text}, which matches no built-in pod template; the pods may come from a custom resource ({})",
                    obj.label(),
                    crs.join(", ")
                ),
            )
        };
        let mut f = obj.finding("service-selects-nothing", severity, "/spec/selector", Target::Key, message);
        f.help = Some(
            "a Service whose selector matches no pods has no endpoints: check the selector against the workload's pod template labels"
                .into(),
        );
        vec![f]
    }
}

pub struct WorkloadSelectorsOverlap;
impl Rule for WorkloadSelectorsOverlap {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(ptr) = obj.workload().and_then(|w| w.selector_ptr) else {
            return Vec::new();
        };
        ctx.overlapping(obj)
            .map(|other| {
                let mut f = obj.finding(
                    "workload-selectors-overlap",
                    Severity::Warning,
                    ptr,
                    Target::Key,
                    format!(
                        "the selectors of {} and {} ({}) overlap: each controller may adopt or delete the other's pods",
                        obj.label(),
                        other.label(),
                        ctx.place(other)
                    ),
                );
                f.help = Some("give each workload a distinguishing label (e.g. track: canary) in its selector and pod template".into());
                f
            })
            .collect()
    }
}

fn name_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").expect("valid regex"))
}

fn dns_subdomain_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").expect("valid regex"))
}

/// Why a label key is invalid, if it is.
pub fn label_key_error(key: &str) -> Option<String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && (p.is_empty() || p.len() > 253 || !dns_subdomain_re().is_match(p))
    {
        return Some(format!("prefix \"{p}\" must be a lowercase DNS subdomain of at most 253 characters"));
    }
    if name.is_empty() || name.len() > 63 || !name_re().is_match(name) {
        return Some(format!(
            "name \"{name}\" must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        ));
    }
    None
}

/// Why a label value is invalid, if it is.
pub fn label_value_error(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.len() > 63 || !name_re().is_match(value) {
        return Some(
            "must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit".into(),
        );
    }
    None
}

/// The label maps of an object (labels, template labels, selectors), with their pointers.
pub fn label_maps(obj: &Object) -> Vec<(String, &Node)> {
    let mut ptrs = vec!["/metadata/labels".to_string()];
    if let Some(w) = obj.workload() {
        if w.kind != WorkloadKind::Pod {
            ptrs.push(format!("{}/labels", w.meta_ptr()));
        }
        if let Some(s) = w.selector_ptr {
            ptrs.push(if w.kind == WorkloadKind::ReplicationController { s.to_string() } else { format!("{s}/matchLabels") });
        }
    }
    if obj.kind == "Service" {
        ptrs.push("/spec/selector".into());
    }
    ptrs.into_iter()
        .filter_map(|p| {
            let n = obj.root.pointer(&p)?;
            n.as_map().map(|_| (p, n))
        })
        .collect()
}

pub struct LabelSyntaxInvalid;
impl Rule for LabelSyntaxInvalid {
    fn check(&self, obj: &Object, _ctx: &Context<'_>) -> Vec<Finding> {
        const ID: &str = "label-syntax-invalid";
        let mut out = Vec::new();
        for (ptr, map) in label_maps(obj) {
            for e in map.as_map().unwrap_or_default() {
                let Some(key) = e.key.scalar_text() else {
                    continue;
                };
                let at = format!("{ptr}/{}", escape(&key));
                if let Some(why) = label_key_error(&key) {
                    out.push(obj.finding(ID, Severity::Error, &at, Target::Key, format!("label key \"{key}\" is invalid: {why}")));
                }
                if let Value::Str(v) = &e.value.value
                    && let Some(why) = label_value_error(v)
                {
                    out.push(obj.finding(
                        ID,
                        Severity::Error,
                        &at,
                        Target::Value,
                        format!("value \"{v}\" of label \"{key}\" is invalid: {why}"),
                    ));
                }
            }
        }
        out
    }
}
