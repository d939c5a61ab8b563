//! Live objects as text: server-set fields stripped, Secret values masked,
//! YAML with sorted keys (as `kubectl get -o yaml` prints it).

use crate::edit::emit::Style;
use serde_json::{Map, Value as J};

/// Metadata the server sets on every write: left out of diffs.
const SERVER_METADATA: &[&str] = &["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"];

/// Removes `status` and server-set metadata.
pub fn strip(obj: &mut J) {
    if let Some(m) = obj.as_object_mut() {
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(J::as_object_mut) {
            for k in SERVER_METADATA {
                meta.remove(*k);
            }
            if meta.get("annotations").and_then(J::as_object).is_some_and(Map::is_empty) {
                meta.remove("annotations");
            }
        }
    }
}

/// Masks Secret `data`/`stringData` values as kubectl diff does: `***`
/// everywhere, with ` (before)`/` (after)` when a value changed.
pub fn mask_secrets(live: Option<&mut J>, planned: Option<&mut J>) {
    let is_secret = |o: &Option<&mut J>| o.as_ref().is_some_and(|o| o["kind"] == "Secret" && o["apiVersion"] == "v1");
    if !is_secret(&live) && !is_secret(&planned) {
        return;
    }
    let (mut live, mut planned) = (live, planned);
    // A client-side `kubectl apply` keeps the whole Secret, values included,
    // in this annotation: mask it like a value.
    let path = ["metadata", "annotations", LAST_APPLIED];
    let before = live.as_deref().and_then(|o| get_path(o, &path)).cloned();
    let after = planned.as_deref().and_then(|o| get_path(o, &path)).cloned();
    let changed = before.is_some() && after.is_some() && before != after;
    for (side, word) in [(live.as_deref_mut(), "before"), (planned.as_deref_mut(), "after")] {
        if let Some(v) =
            side.and_then(|o| o.get_mut("metadata")).and_then(|m| m.get_mut("annotations")).and_then(|a| a.get_mut(LAST_APPLIED))
        {
            *v = J::String(if changed { format!("*** ({word})") } else { "***".into() });
        }
    }
    for field in ["data", "stringData"] {
        let before = live.as_ref().and_then(|o| o.get(field)).and_then(J::as_object).cloned().unwrap_or_default();
        let after = planned.as_ref().and_then(|o| o.get(field)).and_then(J::as_object).cloned().unwrap_or_default();
        if let Some(o) = live.as_deref_mut().and_then(|o| o.get_mut(field)).and_then(J::as_object_mut) {
            for (k, v) in o.iter_mut() {
                let changed = after.get(k).is_some_and(|a| a != v);
                *v = J::String(if changed { "*** (before)".into() } else { "***".into() });
            }
        }
        if let Some(o) = planned.as_deref_mut().and_then(|o| o.get_mut(field)).and_then(J::as_object_mut) {
            for (k, v) in o.iter_mut() {
                let changed = before.get(k).is_some_and(|b| b != v);
                *v = J::String(if changed { "*** (after)".into() } else { "***".into() });
            }
        }
    }
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn get_path<'a>(v: &'a J, path: &[&str]) -> Option<&'a J> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// `apps.v1.Deployment.default.web`: kubectl diff's file name for an object
/// (`v1.Namespace..web` for cluster-scoped kinds, as kubectl writes it).
/// It heads a printed diff: control characters are escaped ([`crate::text::escape`]).
pub fn object_key(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    let gv = api_version.replace('/', ".");
    crate::text::escape(&format!("{gv}.{kind}.{}.{name}", namespace.unwrap_or(""))).into_owned()
}

/// YAML with sorted keys and block style, like `kubectl get -o yaml`.
pub fn to_yaml(v: &J) -> String {
    crate::edit::emit::to_yaml(v, &Style::KUBECTL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_like_kubectl() {
        let v = json!({"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "a", "image": "x:1", "args": ["--port", "8080"],
            "env": [{"name": "E", "value": "yes"}], "ports": []}]}}}, "data": {"k": "line1\nline2\n"}, "s": "*", "e": ""});
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "apiVersion: apps/v1\ndata:\n  k: |\n    line1\n    line2\ne: \"\"\nkind: Deployment\nmetadata:\n  labels:\n    app: web\n  name: web\ns: '*'\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - args:\n        - --port\n        - \"8080\"\n        env:\n        - name: E\n          value: \"yes\"\n        image: x:1\n        name: a\n        ports: []\n"
        );
    }

    #[test]
    fn secrets_are_masked() {
        let mut live = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "MQ==", "b": "Mg=="}});
        let mut planned = json!({"apiVersion": "v1", "kind": "Secret", "data": {"a": "MQ==", "b": "Mw==", "c": "NA=="}});
        mask_secrets(Some(&mut live), Some(&mut planned));
        assert_eq!(live["data"], json!({"a": "***", "b": "*** (before)"}));
        let applied = |v: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"annotations": {LAST_APPLIED: format!("{{\"stringData\":{{\"p\":\"{v}\"}}}}")}}});
        let (mut a, mut b) = (applied("hunter2"), applied("hunter3"));
        mask_secrets(Some(&mut a), Some(&mut b));
        assert_eq!(a["metadata"]["annotations"][LAST_APPLIED], "*** (before)");
        assert_eq!(b["metadata"]["annotations"][LAST_APPLIED], "*** (after)");
        assert_eq!(planned["data"], json!({"a": "***", "b": "*** (after)", "c": "***"}));
    }

    #[test]
    fn keys_and_values_print_no_control_characters() {
        assert_eq!(object_key("apps/v1", "Deployment", Some("n\x1b[2J"), "web"), "apps.v1.Deployment.n\\u{1b}[2J.web");
        let y = to_yaml(&json!({"metadata": {"name": "a\x1b]0;t\x07", "labels": {"k": "v\u{9b}"}}}));
        assert!(!y.chars().any(|c| c.is_control() && c != '\n'), "{y:?}");
    }

    #[test]
    fn server_fields_are_stripped() {
        let mut o = json!({"metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "generation": 2, "managedFields": [], "creationTimestamp": "t"}, "status": {}});
        strip(&mut o);
        assert_eq!(o, json!({"metadata": {"name": "x"}}));
    }
}
