//! Files that are the committed output of a chart the run renders itself
//! (`helm template > examples/rendered/app.yaml`): their findings are the
//! chart's, already reported on its templates and values, once.

use super::{By, RenderPlan};

/// The name of a chart (`name:` of its Chart.yaml), when it reads.
fn chart_name(manifest: &std::path::Path) -> Option<String> {
    super::helm::chart_yaml(manifest)?.get("name").and_then(crate::manifest::tree::Node::as_str).map(str::to_owned)
}

/// The names of the charts a plan rendered: `rendered[i]` says whether root `i`
/// did (a chart that failed is linted nowhere else: its committed output stays).
pub fn chart_names(plan: &RenderPlan, rendered: impl Fn(usize) -> bool) -> Vec<String> {
    plan.roots.iter().enumerate().filter(|(i, r)| r.by == By::Helm && rendered(*i)).filter_map(|(_, r)| chart_name(&r.manifest)).collect()
}

/// The chart whose `helm template` output `text` is: every document starts
/// with the `# Source: <chart>/…` line helm writes, for a chart of `charts`.
pub fn rendered_from<'a>(text: &str, charts: &'a [String]) -> Option<&'a str> {
    let mut chart = None;
    for doc in text.split("\n---").map(|d| d.trim_start_matches("---")) {
        let Some(first) = doc.lines().map(str::trim).find(|l| !l.is_empty()) else { continue };
        let name = first.strip_prefix("# Source: ")?.split('/').next()?;
        let known = charts.iter().find(|c| c.as_str() == name)?;
        if chart.is_some_and(|c: &str| c != known) {
            return None;
        }
        chart = Some(known.as_str());
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_output_of_a_known_chart() {
        let charts = vec!["collector".to_string()];
        let out = "---\n# Source: collector/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\n---\n# Source: collector/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\n";
        assert_eq!(rendered_from(out, &charts), Some("collector"));
        // Another chart's output, a hand-written document among them, or no marker: linted as usual.
        assert_eq!(rendered_from(&out.replace("collector/", "other/"), &charts), None);
        assert_eq!(rendered_from(&format!("{out}---\napiVersion: v1\nkind: Service\n"), &charts), None);
        assert_eq!(rendered_from("apiVersion: v1\nkind: Service\n", &charts), None);
        assert_eq!(rendered_from("", &charts), None);
    }
}
