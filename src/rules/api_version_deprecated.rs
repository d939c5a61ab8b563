//! `api-version-deprecated`: apiVersion deprecated at the target Kubernetes version, still served

use super::api_versions;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::manifest::{Object, Target};

declare_rule! {
    id: "api-version-deprecated",
    severity: Warning,
    fix: None,
    reads_other_objects: false,
    params: [],
    check: Some(&ApiVersionDeprecated),
}

pub struct ApiVersionDeprecated;
impl Rule for ApiVersionDeprecated {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding> {
        let Some(row) = api_versions::row(&obj.api_version, &obj.kind) else {
            return Vec::new();
        };
        let target = api_versions::target(ctx.settings);
        // Removed at the target: api-version-removed says so.
        if row.removed.is_some_and(|r| r <= target) {
            return Vec::new();
        }
        let Some(deprecated) = row.deprecated.filter(|d| *d <= target) else {
            return Vec::new();
        };
        let since = format!("{} {} is deprecated since {}", obj.api_version, obj.kind, api_versions::release_name(deprecated));
        let goes = match row.removed {
            Some(r) => format!("removed in {}", api_versions::release_name(r)),
            None => "still served, with a warning on each request (no removal is scheduled)".to_string(),
        };
        let mut message = format!("{since} and {goes}");
        if let Some((version, kind, _)) = api_versions::replacement_at(row, target) {
            let kind = if kind == obj.kind { String::new() } else { format!(" {kind}") };
            message.push_str(&format!("; use {version}{kind}"));
        }
        let f = finding(obj, message).at("/apiVersion", Target::Value);
        vec![match api_versions::notes_to(row, target) {
            notes if notes.is_empty() => f,
            notes => f.help(notes.join("; ")),
        }]
    }
}
