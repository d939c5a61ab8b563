//! `kubectl strategy status`: each track's rollout, where the Services
//! route, and how many of their pods are ready.

use super::{Conn, LiveError, R, Resource};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;

/// A Deployment's rollout, judged as `kubectl rollout status` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub complete: bool,
    /// The progress deadline passed: the rollout will not finish by itself.
    pub failed: bool,
    pub message: String,
    pub desired: i64,
    pub updated: i64,
    pub ready: i64,
    pub available: i64,
}

pub fn rollout(dep: &J) -> Rollout {
    let n = |v: &J| v.as_i64().unwrap_or(0);
    let desired = dep["spec"]["replicas"].as_i64().unwrap_or(1);
    let st = &dep["status"];
    let (updated, ready, available, current) =
        (n(&st["updatedReplicas"]), n(&st["readyReplicas"]), n(&st["availableReplicas"]), n(&st["replicas"]));
    let generation = n(&dep["metadata"]["generation"]);
    let observed = n(&st["observedGeneration"]);
    let deadline = st["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded"));
    let (complete, message) = if generation > observed {
        (false, "waiting for the controller to observe the new spec".to_string())
    } else if deadline {
        (false, "progress deadline exceeded: the new pods did not become available in time".to_string())
    } else if updated < desired {
        (false, format!("{updated} of {desired} new replicas updated"))
    } else if current > updated {
        (false, format!("{} old replicas pending termination", current - updated))
    } else if available < updated {
        (false, format!("{available} of {updated} updated replicas available"))
    } else {
        (true, format!("{available} of {desired} replicas available"))
    };
    Rollout { complete, failed: deadline, message, desired, updated, ready, available }
}

/// `a=b,c=d` from a label map.
pub fn selector_string(labels: &serde_json::Map<String, J>) -> String {
    labels.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(",")
}

fn selects(selector: &serde_json::Map<String, J>, labels: &J) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn pod_ready(pod: &J) -> bool {
    pod["metadata"]["deletionTimestamp"].is_null()
        && pod["status"]["conditions"].as_array().is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// The application's tracks as they run: `NAME`, `NAME-blue`, `NAME-green`, `NAME-canary`.
pub struct Status {
    pub namespace: String,
    pub tracks: Vec<(String, J, Rollout)>,
    /// Service name -> (track names it selects, ready pods per track, ready pods, all pods).
    pub services: Vec<ServiceRoute>,
}

pub struct ServiceRoute {
    pub name: String,
    pub selector: String,
    /// Track -> (ready, total) pods of that track behind the Service.
    pub tracks: BTreeMap<String, (usize, usize)>,
    pub ready: usize,
    pub total: usize,
}

impl Status {
    pub fn healthy(&self) -> bool {
        !self.tracks.is_empty() && self.tracks.iter().all(|(_, _, r)| r.complete) && self.services.iter().all(|s| s.ready > 0)
    }

    pub fn render_text(&self, target: &str, cluster: &str) -> String {
        let mut s = format!("deployment/{target} in namespace {} on {cluster}\n", self.namespace);
        let width = self.tracks.iter().map(|(n, _, _)| n.len()).max().unwrap_or(5).max(5);
        let state_of = |r: &Rollout| {
            if r.complete {
                "complete"
            } else if r.failed {
                "failed"
            } else {
                "progressing"
            }
        };
        // The column is as wide as its longest value ("progressing" is 11).
        let rollout = self.tracks.iter().map(|(_, _, r)| state_of(r).len()).max().unwrap_or(0).max("ROLLOUT".len());
        s.push_str(&format!(
            "  {:width$}  {:>7}  {:>7}  {:>5}  {:>9}  {:rollout$}  IMAGES\n",
            "TRACK", "DESIRED", "UPDATED", "READY", "AVAILABLE", "ROLLOUT"
        ));
        for (name, dep, r) in &self.tracks {
            let state = state_of(r);
            s.push_str(&format!(
                "  {name:width$}  {:>7}  {:>7}  {:>5}  {:>9}  {state:rollout$}  {}\n",
                r.desired,
                r.updated,
                r.ready,
                r.available,
                images(dep).join(", ")
            ));
            if !r.complete {
                s.push_str(&format!("  {:width$}  {}\n", "", r.message));
            }
        }
        for svc in &self.services {
            let routes: Vec<String> = svc
                .tracks
                .iter()
                .map(|(t, (ready, total))| format!("{t} ({ready} of {total} pods ready{})", share(*ready, svc.ready)))
                .collect();
            // one track holding every pod: its count is the Service's, said once
            let once = svc.tracks.len() == 1 && svc.tracks.values().all(|&t| t == (svc.ready, svc.total));
            let total = if once { String::new() } else { format!(": {} of {} pods ready", svc.ready, svc.total) };
            s.push_str(&format!(
                "service/{} ({}) routes to {}{total}\n",
                svc.name,
                svc.selector,
                if routes.is_empty() { "no pods of these tracks".to_string() } else { routes.join(", ") },
            ));
        }
        if self.services.is_empty() {
            s.push_str("no Service selects these pods\n");
        }
        s.push_str(if self.healthy() { "healthy\n" } else { "not healthy: see above\n" });
        s
    }

    pub fn to_json(&self, target: &str) -> J {
        json!({
            "target": target,
            "namespace": self.namespace,
            "healthy": self.healthy(),
            "tracks": self.tracks.iter().map(|(name, dep, r)| json!({
                "name": name,
                "images": images(dep),
                "desired": r.desired, "updated": r.updated, "ready": r.ready, "available": r.available,
                "complete": r.complete, "failed": r.failed, "message": r.message,
            })).collect::<Vec<_>>(),
            "services": self.services.iter().map(|s| json!({
                "name": s.name, "selector": s.selector, "readyPods": s.ready, "pods": s.total,
                "tracks": s.tracks.iter().map(|(t, (r, n))| json!({"name": t, "readyPods": r, "pods": n})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

fn share(part: usize, whole: usize) -> String {
    if whole == 0 || part == whole { String::new() } else { format!(", {}% of ready endpoints", (part * 100 + whole / 2) / whole) }
}

fn images(dep: &J) -> Vec<String> {
    dep["spec"]["template"]["spec"]["containers"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["image"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Reads the live status of an application.
pub fn read(conn: &Conn, name: &str) -> R<Status> {
    let ns = conn.namespace.clone();
    let deployments = conn.resolve("apps/v1", "Deployment")?;
    let services = conn.resolve("v1", "Service")?;
    let pods = conn.resolve("v1", "Pod")?;
    let mut tracks = Vec::new();
    for track in [name.to_string(), format!("{name}-blue"), format!("{name}-green"), format!("{name}-canary")] {
        if let Some(dep) = conn.get(&deployments, Some(&ns), &track)? {
            let r = rollout(&dep);
            tracks.push((track, dep, r));
        }
    }
    if tracks.is_empty() {
        return Err(LiveError::NoWorkload { name: name.to_string(), namespace: ns.to_string(), cluster: conn.cluster_label() });
    }
    let mut routes = Vec::new();
    for svc in conn.list(&services, Some(&ns), None)? {
        let Some(sel) = svc["spec"]["selector"].as_object().filter(|s| !s.is_empty()) else { continue };
        if !tracks.iter().any(|(_, d, _)| selects(sel, &d["spec"]["template"]["metadata"]["labels"])) {
            continue;
        }
        let selector = selector_string(sel);
        let behind = pod_list(conn, &pods, &ns, &selector)?;
        let mut per_track: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for pod in &behind {
            // The most specific matching selector owns the pod (stable `app=web` also matches canary pods).
            let owner = tracks
                .iter()
                .filter_map(|t| {
                    t.1["spec"]["selector"]["matchLabels"]
                        .as_object()
                        .filter(|m| selects(m, &pod["metadata"]["labels"]))
                        .map(|m| (t, m.len()))
                })
                .max_by_key(|(_, n)| *n)
                .map(|(t, _)| t);
            let key = owner.map_or_else(|| "(other pods)".to_string(), |(n, _, _)| n.clone());
            let e = per_track.entry(key).or_default();
            e.1 += 1;
            if pod_ready(pod) {
                e.0 += 1;
            }
        }
        routes.push(ServiceRoute {
            name: svc["metadata"]["name"].as_str().unwrap_or_default().to_string(),
            selector,
            ready: behind.iter().filter(|p| pod_ready(p)).count(),
            total: behind.len(),
            tracks: per_track,
        });
    }
    Ok(Status { namespace: ns, tracks, services: routes })
}

fn pod_list(conn: &Conn, pods: &Resource, ns: &str, selector: &str) -> R<Vec<J>> {
    Ok(conn
        .list(pods, Some(ns), Some(selector))?
        .into_iter()
        .filter(|p| p["status"]["phase"] != "Succeeded" && p["status"]["phase"] != "Failed")
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollout_like_kubectl() {
        let d = |generation: i64, obs: i64, upd: i64, cur: i64, avail: i64| {
            json!({"metadata": {"generation": generation}, "spec": {"replicas": 3},
                "status": {"observedGeneration": obs, "updatedReplicas": upd, "replicas": cur, "availableReplicas": avail, "readyReplicas": avail}})
        };
        assert!(!rollout(&d(2, 1, 3, 3, 3)).complete);
        assert_eq!(rollout(&d(2, 2, 1, 3, 1)).message, "1 of 3 new replicas updated");
        assert_eq!(rollout(&d(2, 2, 3, 4, 3)).message, "1 old replicas pending termination");
        assert_eq!(rollout(&d(2, 2, 3, 3, 2)).message, "2 of 3 updated replicas available");
        assert!(rollout(&d(2, 2, 3, 3, 3)).complete);
    }

    #[test]
    fn rollout_column_fits_progressing() {
        let dep = |name: &str, avail: i64| {
            json!({"metadata": {"name": name, "generation": 1}, "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "api", "image": "api:2"}]}}},
                "status": {"observedGeneration": 1, "updatedReplicas": 3, "replicas": 3, "availableReplicas": avail, "readyReplicas": avail}})
        };
        let tracks = [("api", 3), ("api-canary", 1)].map(|(n, a)| (n.to_string(), dep(n, a), rollout(&dep(n, a)))).to_vec();
        let text = Status { namespace: "shop".into(), tracks, services: Vec::new() }.render_text("api", "ctx");
        let lines: Vec<&str> = text.lines().collect();
        let column = lines[1].find("IMAGES").unwrap();
        assert_eq!(lines[2].find("api:2"), Some(column), "{text}");
        let canary = lines.iter().find(|l| l.contains("progressing")).unwrap();
        assert_eq!(canary.find("api:2"), Some(column), "{text}");
    }
}
