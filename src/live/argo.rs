//! `promote rollout/NAME --live` and `rollback rollout/NAME --live`: the
//! patches the `kubectl argo rollouts` plugin sends (its `promote` and
//! `abort` commands), so that the Argo Rollouts controller carries on.
//!
//! Both are JSON merge patches sent to the `status` subresource first; a
//! server whose Rollout CRD has no status subresource (Argo Rollouts before
//! v0.10) answers 404, and the plugin then patches the object itself.

use super::{Conn, LiveError, R, Resource};
use serde_json::{Value as J, json};

/// What to ask of the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `kubectl argo rollouts promote` (`full`: `--full`).
    Promote { full: bool },
    /// `kubectl argo rollouts abort`: back to the stable ReplicaSet.
    Abort,
}

/// The patches for one action, as the plugin computes them from the live
/// Rollout: for the object, for its `status` subresource, and the one that
/// replaces both when there is no status subresource.
#[derive(Debug, Default, PartialEq)]
pub struct Patches {
    pub spec: Option<J>,
    pub status: Option<J>,
    pub unified: Option<J>,
}

/// `status.currentStepIndex` (0 when unset), `None` without canary steps.
fn current_step(ro: &J) -> Option<i64> {
    let steps = ro["spec"]["strategy"]["canary"]["steps"].as_array()?;
    if steps.is_empty() {
        return None;
    }
    Some(ro["status"]["currentStepIndex"].as_i64().unwrap_or(0))
}

fn next_step(ro: &J) -> Option<i64> {
    let steps = ro["spec"]["strategy"]["canary"]["steps"].as_array().map_or(0, Vec::len) as i64;
    current_step(ro).map(|i| if i < steps { i + 1 } else { i })
}

/// The patches the plugin sends for `action` on the live Rollout `ro`.
pub fn patches(ro: &J, action: Action) -> Patches {
    let pause_conditions = ro["status"]["pauseConditions"].as_array().is_some_and(|a| !a.is_empty());
    match action {
        Action::Abort => {
            let p = json!({"status": {"abort": true}});
            Patches { spec: None, status: Some(p.clone()), unified: Some(p) }
        }
        Action::Promote { full: true } => {
            // Only while a new version is not yet the stable one.
            let promoting = ro["status"]["currentPodHash"] != ro["status"]["stableRS"];
            Patches { status: promoting.then(|| json!({"status": {"promoteFull": true}})), ..Patches::default() }
        }
        Action::Promote { full: false } => {
            let mut p = Patches {
                unified: Some(json!({"spec": {"paused": false}, "status": {"pauseConditions": null}})),
                spec: (ro["spec"]["paused"].as_bool() == Some(true)).then(|| json!({"spec": {"paused": false}})),
                status: None,
            };
            let inconclusive = ro["spec"]["strategy"]["canary"].is_object()
                && ro["status"]["canary"]["currentStepAnalysisRunStatus"]["status"].as_str() == Some("Inconclusive");
            let controller_pause = ro["status"]["controllerPause"].as_bool() == Some(true);
            if inconclusive && pause_conditions && controller_pause {
                if let Some(i) = next_step(ro) {
                    p.status = Some(json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": i}}));
                }
            } else if pause_conditions {
                p.status = Some(json!({"status": {"pauseConditions": null}}));
            } else if ro["spec"]["strategy"]["canary"].is_object()
                && let Some(i) = next_step(ro)
            {
                // In the middle of a step (analysis, experiment): go to the next one.
                p.status = Some(json!({"status": {"pauseConditions": null, "currentStepIndex": i}}));
                p.unified = Some(json!({"spec": {"paused": false}, "status": {"pauseConditions": null, "currentStepIndex": i}}));
            }
            p
        }
    }
}

/// What was sent, for the output.
pub struct Sent {
    pub stdout: String,
    /// Whether a patch was (or, in a dry run, would be) sent.
    pub changed: bool,
}

/// Sends the action's patches for `rollout/NAME` (a server-side dry run with `dry_run`).
pub fn run(conn: &Conn, name: &str, namespace: Option<&str>, action: Action, dry_run: bool) -> R<Sent> {
    let res: Resource = conn.resolve("argoproj.io/v1alpha1", "Rollout")?;
    let ns = namespace.map(str::to_string).unwrap_or_else(|| conn.namespace.clone());
    let Some(ro) = conn.get(&res, Some(&ns), name)? else {
        return Err(LiveError::NoRollout { name: name.to_string(), namespace: ns, cluster: conn.cluster_label() });
    };
    let (verb, done) = match action {
        Action::Promote { full: false } => ("promote", "promoted"),
        Action::Promote { full: true } => ("promote --full", "fully promoted"),
        Action::Abort => ("abort", "aborted"),
    };
    let mut out =
        format!("Plan: `kubectl argo rollouts {verb} {name} -n {ns}`: the patches that command sends, to {}\n", conn.cluster_label());
    if action == Action::Abort && ro["status"]["abort"].as_bool() == Some(true) {
        out.push_str(&format!("Nothing to do: rollout/{name} is aborted already (status.abort: true).\n"));
        return Ok(Sent { stdout: out, changed: false });
    }
    let Patches { mut spec, status, unified } = patches(&ro, action);
    if spec.is_none() && status.is_none() {
        out.push_str(&format!("Nothing to do: rollout/{name} is neither paused nor mid-rollout.\n"));
        return Ok(Sent { stdout: out, changed: false });
    }
    let show = |p: &J| serde_json::to_string(p).expect("serializable");
    if let Some(s) = &status {
        match conn.merge_patch(&res, Some(&ns), name, Some("status"), s, dry_run) {
            Ok(_) => out.push_str(&format!("  patched rollout/{name} status: {}\n", show(s))),
            // No status subresource (Argo Rollouts before v0.10): one patch of the object.
            Err(LiveError::NotFound { .. }) => spec = unified,
            Err(e) => return Err(e),
        }
    }
    if let Some(s) = &spec {
        conn.merge_patch(&res, Some(&ns), name, None, s, dry_run)?;
        out.push_str(&format!("  patched rollout/{name}: {}\n", show(s)));
    }
    if dry_run {
        out.push_str(&format!("Server-side dry run: rollout/{name} would be {done}; nothing was changed.\n"));
    } else {
        out.push_str(&format!("rollout '{name}' {done}\n"));
    }
    Ok(Sent { stdout: out, changed: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canary(status: J) -> J {
        json!({"spec": {"strategy": {"canary": {"steps": [{"setWeight": 25}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}]}}}, "status": status})
    }

    #[test]
    fn promote_clears_the_pause_as_the_plugin_does() {
        let paused = canary(json!({"currentStepIndex": 1, "pauseConditions": [{"reason": "CanaryPauseStep"}]}));
        let p = patches(&paused, Action::Promote { full: false });
        assert_eq!(p.status, Some(json!({"status": {"pauseConditions": null}})));
        assert_eq!(p.spec, None, "spec.paused is not set");
        // Paused by hand (spec.paused): unpaused too.
        let mut by_hand = paused.clone();
        by_hand["spec"]["paused"] = json!(true);
        assert_eq!(patches(&by_hand, Action::Promote { full: false }).spec, Some(json!({"spec": {"paused": false}})));
        // Mid-step (no pause condition): the next step.
        let p = patches(&canary(json!({"currentStepIndex": 2})), Action::Promote { full: false });
        assert_eq!(p.status, Some(json!({"status": {"pauseConditions": null, "currentStepIndex": 3}})));
        // Inconclusive analysis paused by the controller: clear it and go on.
        let inc =
            canary(json!({"currentStepIndex": 1, "controllerPause": true, "pauseConditions": [{"reason": "InconclusiveAnalysisRun"}],
            "canary": {"currentStepAnalysisRunStatus": {"status": "Inconclusive"}}}));
        assert_eq!(
            patches(&inc, Action::Promote { full: false }).status,
            Some(json!({"status": {"pauseConditions": null, "controllerPause": false, "currentStepIndex": 2}}))
        );
    }

    #[test]
    fn full_promote_and_abort() {
        let mid = canary(json!({"currentPodHash": "b", "stableRS": "a"}));
        assert_eq!(patches(&mid, Action::Promote { full: true }).status, Some(json!({"status": {"promoteFull": true}})));
        let done = canary(json!({"currentPodHash": "a", "stableRS": "a"}));
        assert_eq!(patches(&done, Action::Promote { full: true }), Patches::default());
        assert_eq!(patches(&mid, Action::Abort).status, Some(json!({"status": {"abort": true}})));
    }
}
