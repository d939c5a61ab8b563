//! `kubectl strategy lint --cluster`: the same rules over live objects.
//!
//! Live objects are listed, stripped of status and server-set metadata,
//! written out as YAML in memory and linted like files; the report is marked
//! as coming from the cluster, so findings are located by object reference
//! and field path instead of file and line.

use super::print::{strip, to_yaml};
use super::{Conn, R};
use crate::config::Config;
use crate::input::SourceFile;
use crate::lint::{self, Report};
use crate::manifest::kinds::{Served, WORKLOADS};

/// The kinds audited, as (apiVersion, kind, required): the workload kinds a
/// cluster serves, then Services, then custom resources. Optional ones (CRDs,
/// kinds older clusters lack) are skipped when the cluster does not serve them.
fn kinds() -> Vec<(&'static str, &'static str, bool)> {
    let workloads = |pick: fn(Served) -> bool| {
        WORKLOADS.iter().filter(move |k| pick(k.served)).map(|k| (k.api_version, k.name, k.served == Served::Always))
    };
    workloads(|s| matches!(s, Served::Always | Served::Optional))
        .chain([
            ("v1", "Service", true),
            ("monitoring.coreos.com/v1", "ServiceMonitor", false),
            ("monitoring.coreos.com/v1", "PodMonitor", false),
        ])
        .chain(workloads(|s| s == Served::Crd))
        .collect()
}

/// Objects that a controller owns are checked through their owner (a
/// Deployment, not each of its ReplicaSets and Pods).
/// Only children of kinds audited here are skipped: a StatefulSet that an
/// operator's custom resource owns is still checked.
fn owned(obj: &serde_json::Value, kinds: &[(&str, &str, bool)]) -> bool {
    obj["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["controller"] == true && kinds.iter().any(|(_, k, _)| r["kind"].as_str() == Some(k))))
}

/// Lints the live objects of one namespace, or all (`all_namespaces`).
pub fn run(conn: &Conn, all_namespaces: bool, config: &Config) -> R<Report> {
    let ns = (!all_namespaces).then_some(conn.namespace.as_str());
    let mut files = Vec::new();
    let kinds = kinds();
    for &(api_version, kind, required) in &kinds {
        let res = if required { Some(conn.resolve(api_version, kind)?) } else { conn.resolve_optional(api_version, kind)? };
        let Some(res) = res else { continue };
        for mut obj in conn.list(&res, ns, None)? {
            if owned(&obj, &kinds) {
                continue;
            }
            // LIST items carry no apiVersion/kind.
            obj["apiVersion"] = api_version.into();
            obj["kind"] = kind.into();
            strip(&mut obj);
            let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let namespace = obj["metadata"]["namespace"].as_str().unwrap_or("-").to_string();
            files.push(SourceFile::new(format!("{namespace}/{}/{name}", res.qualified()), to_yaml(&obj)));
        }
    }
    let mut report = lint::lint_sources(files, config);
    report.cluster = Some(conn.cluster_label());
    Ok(report)
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_in_workloads_then_services_then_custom_resources() {
        assert_eq!(
            super::kinds(),
            [
                ("apps/v1", "Deployment", true),
                ("apps/v1", "StatefulSet", true),
                ("apps/v1", "DaemonSet", true),
                ("apps/v1", "ReplicaSet", true),
                ("batch/v1", "Job", true),
                ("batch/v1", "CronJob", false),
                ("v1", "Pod", true),
                ("v1", "Service", true),
                ("monitoring.coreos.com/v1", "ServiceMonitor", false),
                ("monitoring.coreos.com/v1", "PodMonitor", false),
                ("argoproj.io/v1alpha1", "Rollout", false),
            ]
        );
    }
}
