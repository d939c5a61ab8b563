//! `required-labels-missing`: Workload or pod template lacks the required labels

use super::shared::is_hook;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target, WorkloadKind};
use serde::Deserialize;
use std::collections::BTreeMap;

declare_rule! {
    id: "required-labels-missing",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [
        /// The labels every workload and pod template must carry.
        LABELS: Vec<LabelRequirement> = { name: "labels", default: default_required_labels, validate: valid_requirements },
    ],
    check: Some(&RequiredLabelsMissing),
}

/// Each requirement names a key, and its value pattern compiles.
fn valid_requirements(reqs: &Vec<LabelRequirement>) -> Result<(), String> {
    for r in reqs {
        if r.keys.is_empty() {
            return Err("each requirement needs at least one key".into());
        }
        if let Some(re) = &r.value {
            regex::Regex::new(re).map_err(|e| format!("bad value regex: {e}"))?;
        }
    }
    Ok(())
}

pub struct RequiredLabelsMissing;
impl Rule for RequiredLabelsMissing {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(w) = obj.workload() else {
            return Vec::new();
        };
        // Hooks and tests run once; nothing selects their pods.
        if is_hook(obj) {
            return Vec::new();
        }
        let configured = LABELS.is_set(ctx.settings);
        // By default: what selectors and dashboards read, the pods of what runs
        // on, named as the files deployed with it name theirs. A team's own
        // `labels:` applies to every workload and its pod template.
        if !configured && !w.long_running() {
            return Vec::new();
        }
        let reqs = LABELS.get(ctx.settings);
        let convention = if configured { None } else { ctx.label_convention() };
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
            let at = format!("{}.labels", meta_ptr.trim_start_matches('/').replace('/', "."));
            let message = match convention {
                // The unit names its pods its own way: that key is the one to add.
                Some(c) => {
                    if c.keys.iter().any(|(k, _)| labels.is_some_and(|l| l.contains_key(k))) {
                        return;
                    }
                    let (key, n) = &c.keys[0];
                    format!(
                        "{what} lacks the label {key} that {n} of the {} long-running pod templates deployed with it carry, and has no {}; add {key}: {} to {at}",
                        c.workloads,
                        reqs.iter().map(describe).collect::<Vec<_>>().join(", "),
                        known(key)
                    )
                }
                None => {
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
                    format!("{what} lacks the label {list}; add {add} to {at}")
                }
            };
            let f = finding(obj, message)
                .at(&format!("{meta_ptr}/labels"), Target::Key)
                .help("label workloads and their pods with app.kubernetes.io/name so Services, dashboards and policies can find them");
            out.push(f);
        };
        if configured || w.kind == WorkloadKind::Pod {
            check(obj.meta.labels.as_ref(), "/metadata".into(), obj.label());
        }
        if w.kind != WorkloadKind::Pod {
            let labels = w.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
            check(labels, w.meta_ptr(), format!("the pod template of {}", obj.label()));
        }
        out
    }
}

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
