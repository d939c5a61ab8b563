//! `api-version-removed`: apiVersion no longer served at the target Kubernetes version

use super::api_versions;
use super::{Context, Rule};
use crate::finding::{Applicability, Finding};
use crate::manifest::{Object, Target};

declare_rule! {
    id: "api-version-removed",
    severity: Error,
    fix: Unsafe,
    reads_other_objects: false,
    params: [],
    check: Some(&ApiVersionRemoved),
}

pub struct ApiVersionRemoved;
impl Rule for ApiVersionRemoved {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(row) = api_versions::row(&obj.api_version, &obj.kind) else {
            return Vec::new();
        };
        let target = api_versions::target(ctx.settings);
        let Some(removed) = row.removed.filter(|r| *r <= target) else {
            return Vec::new();
        };
        let gone = format!("{} {} was removed in {}", obj.api_version, obj.kind, api_versions::release_name(removed));
        let Some((version, kind, schema)) = api_versions::replacement_at(row, target) else {
            let why = api_versions::notes_to(row, target).join("; ");
            return vec![finding(obj, format!("{gone}; nothing replaces it: {why}")).at("/apiVersion", Target::Value)];
        };
        let use_ = if kind == obj.kind { format!("use {version}") } else { format!("use {version} {kind}") };
        let f = finding(obj, format!("{gone}; {use_}")).at("/apiVersion", Target::Value);
        match api_versions::fix(obj, row, version, kind, schema) {
            Some(fix) if fix.applicability == Applicability::Safe => {
                let how = if fix.edits.len() > 1 {
                    "once spec.selector is written out as the template labels (the fix does)"
                } else {
                    "only apiVersion changes"
                };
                vec![f.help(format!("{version} reads the object as it is: {how}")).fix(fix)]
            }
            fix => {
                let f = f.help(format!("{version} differs: {}", api_versions::notes_to(row, target).join("; ")));
                vec![match fix {
                    Some(fix) => f.fix(fix),
                    None => f,
                }]
            }
        }
    }
}
