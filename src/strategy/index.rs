//! Which files a plan needs: a line scan of each document's top-level
//! `kind:` and `metadata` `name:`/`namespace:` (no parsing), so that a plan
//! over a big folder parses and lints only the files that hold the target,
//! its tracks and what could select, scale, monitor or route to its pods.
//! Anything the scan cannot read (JSON, flow style) is kept.

use std::collections::{BTreeMap, BTreeSet};

/// The kinds a plan reads besides workloads (the target, its tracks, and
/// others whose pods a selector could also take): what selects, scales or
/// monitors pods, and what routes traffic to Services.
const PLAN_KINDS: &[&str] = &[
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "PodMonitor",
    "ServiceMonitor",
    "Ingress",
    "HTTPRoute",
    "GRPCRoute",
    "Gateway",
    "VirtualService",
    "DestinationRule",
    "TraefikService",
    "TrafficSplit",
    "List",
];

/// What a line scan tells of one document (`None`: not found by the scan).
#[derive(Debug, PartialEq, Eq)]
pub struct Head<'a> {
    pub kind: Option<&'a str>,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
}

fn value(rest: &str) -> Option<&str> {
    let v = rest.split(" #").next().unwrap_or(rest).trim().trim_matches(|c| c == '"' || c == '\'');
    (!v.is_empty()).then_some(v)
}

/// `name:`/`namespace:` directly under a block-style top-level `metadata:`.
fn metadata(chunk: &str) -> (Option<&str>, Option<&str>) {
    let mut lines = chunk.split('\n').map(|l| l.trim_end_matches('\r'));
    if !lines.any(|l| l.split(" #").next().unwrap_or(l).trim_end() == "metadata:") {
        return (None, None);
    }
    let (mut name, mut namespace, mut indent) = (None, None, None);
    for line in lines {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let i = line.len() - body.len();
        if i == 0 {
            break;
        }
        if *indent.get_or_insert(i) != i {
            continue;
        }
        if let Some(rest) = body.strip_prefix("name:") {
            name = value(rest);
        } else if let Some(rest) = body.strip_prefix("namespace:") {
            namespace = value(rest);
        }
    }
    (name, namespace)
}

/// The documents of a file, each as the scan sees it.
pub fn heads(text: &str) -> Vec<Head<'_>> {
    let mut chunks = Vec::new();
    let (mut start, mut at) = (0, 0);
    for line in text.split_inclusive('\n') {
        if line.starts_with("---") && line[3..].trim_start().chars().next().is_none_or(|c| c == '#') {
            chunks.push(&text[start..at]);
            start = at + line.len();
        }
        at += line.len();
    }
    chunks.push(&text[start..]);
    chunks
        .into_iter()
        .filter(|c| c.split('\n').any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')))
        .map(|c| {
            let (name, namespace) = metadata(c);
            Head { kind: crate::manifest::parse::top_level_kind(c), name, namespace }
        })
        .collect()
}

/// The files a plan for `target` (a Deployment or Rollout name) reads: every
/// file whose documents the scan cannot read; files with an object of a kind
/// in [`PLAN_KINDS`] or a workload kind in the target's namespace (`-n`, else the namespaces the
/// target and its tracks are in) or without one. When the scan finds no
/// target, every file (the error lists what there is).
pub fn relevant<'a>(files: impl Iterator<Item = (&'a str, &'a str)>, target: &str, namespace: Option<&str>) -> Option<BTreeSet<String>> {
    let names: Vec<String> = ["", "-canary", "-blue", "-green"].iter().map(|s| format!("{target}{s}")).collect();
    let scanned: BTreeMap<&str, Vec<Head>> = files.map(|(f, t)| (f, heads(t))).collect();
    let own: Vec<&Head> = scanned
        .values()
        .flatten()
        .filter(|h| matches!(h.kind, Some("Deployment" | "Rollout")) && h.name.is_some_and(|n| names.iter().any(|x| x == n)))
        .collect();
    if own.is_empty() {
        return None;
    }
    // Where the app lives: `-n`, or its objects' namespaces when all name one.
    let namespaces: Option<BTreeSet<&str>> = match namespace {
        Some(ns) => Some(BTreeSet::from([ns])),
        None => own.iter().map(|h| h.namespace).collect(),
    };
    let keep = |h: &Head| match h.kind {
        None => true,
        // A monitor's namespaceSelector may look into the app's namespace from any other.
        Some("PodMonitor" | "ServiceMonitor") => true,
        Some(k) => {
            (crate::manifest::kinds::is_workload(k) || PLAN_KINDS.contains(&k))
                && match (&namespaces, h.namespace) {
                    (Some(set), Some(ns)) => set.contains(ns),
                    _ => true,
                }
        }
    };
    Some(scanned.into_iter().filter(|(_, heads)| heads.iter().any(keep)).map(|(f, _)| f.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_by_line_scan() {
        let t = "# c\napiVersion: v1\nkind: Service\nmetadata:\n  # x\n  labels:\n    name: not-this\n  name: \"web\" # y\n  namespace: a\nspec: {}\n---\n{\"kind\": \"ConfigMap\"}\n--- # z\nkind: ConfigMap\nmetadata: {name: c}\n";
        let h = heads(t);
        assert_eq!(h[0], Head { kind: Some("Service"), name: Some("web"), namespace: Some("a") });
        assert_eq!(h[1], Head { kind: None, name: None, namespace: None });
        assert_eq!(h[2], Head { kind: Some("ConfigMap"), name: None, namespace: None });
        assert_eq!(h.len(), 3);
    }

    #[test]
    fn a_plan_reads_the_targets_namespace_and_the_kinds_that_select_pods() {
        let files = [
            ("web.yaml", "kind: Deployment\nmetadata:\n  name: web\n  namespace: a\n"),
            ("svc.yaml", "kind: Service\nmetadata:\n  name: web\n  namespace: a\n"),
            ("other-ns.yaml", "kind: Service\nmetadata:\n  name: web\n  namespace: b\n"),
            ("config.yaml", "kind: ConfigMap\nmetadata:\n  name: web\n  namespace: a\n"),
            ("json.yaml", "{\"kind\": \"Service\"}\n"),
            ("no-ns.yaml", "kind: PodMonitor\nmetadata:\n  name: web\n"),
            ("monitoring.yaml", "kind: ServiceMonitor\nmetadata:\n  name: web\n  namespace: monitoring\n"),
        ];
        let kept = relevant(files.iter().copied(), "web", None).unwrap();
        assert_eq!(kept, ["json.yaml", "monitoring.yaml", "no-ns.yaml", "svc.yaml", "web.yaml"].map(String::from).into());
        // -n names the namespace; a target the scan cannot find keeps everything.
        assert!(relevant(files.iter().copied(), "web", Some("b")).unwrap().contains("other-ns.yaml"));
        assert_eq!(relevant(files.iter().copied(), "nope", None), None);
        // A track in another namespace widens the set.
        let more = [files[0], files[2], ("t.yaml", "kind: Deployment\nmetadata:\n  name: web-canary\n  namespace: b\n")];
        assert_eq!(relevant(more.iter().copied(), "web", None).unwrap().len(), 3);
    }
}
