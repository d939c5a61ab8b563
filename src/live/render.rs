//! Live objects as text: server-set fields stripped, Secret values masked,
//! YAML with sorted keys (as `kubectl get -o yaml` prints it).

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
pub fn object_key(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    let gv = api_version.replace('/', ".");
    format!("{gv}.{kind}.{}.{name}", namespace.unwrap_or(""))
}

/// YAML with sorted keys and block style, like `kubectl get -o yaml`.
pub fn to_yaml(v: &J) -> String {
    let mut out = String::new();
    match v {
        J::Object(m) if !m.is_empty() => map(m, 0, &mut out),
        J::Array(a) if !a.is_empty() => seq(a, 0, &mut out),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn map(m: &Map<String, J>, indent: usize, out: &mut String) {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    for k in keys {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key(k));
        out.push(':');
        value_after_key(&m[k], indent, out);
    }
}

fn value_after_key(v: &J, indent: usize, out: &mut String) {
    match v {
        J::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(m, indent + 2, out);
        }
        // Sequences sit at their key's indentation, as go-yaml writes them.
        J::Array(a) if !a.is_empty() => {
            out.push('\n');
            seq(a, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other, indent + 2));
            out.push('\n');
        }
    }
}

fn seq(a: &[J], indent: usize, out: &mut String) {
    for item in a {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            J::Object(m) if !m.is_empty() => {
                // The first key on the dash's line, the rest below it.
                let mut first = String::new();
                map(m, indent + 2, &mut first);
                out.push_str(&first[indent + 2..]);
            }
            J::Array(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                seq(inner, indent + 2, &mut nested);
                out.push_str(&nested[indent + 2..]);
            }
            other => {
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn key(k: &str) -> String {
    scalar(&J::String(k.to_string()), 0)
}

fn scalar(v: &J, indent: usize) -> String {
    match v {
        J::Null => "null".into(),
        J::Bool(b) => b.to_string(),
        J::Number(n) => n.to_string(),
        J::Object(_) => "{}".into(),
        J::Array(_) => "[]".into(),
        J::String(s) => string(s, indent),
    }
}

/// Words YAML 1.1 reads as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on",
        "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty()
        && (t.chars().all(|c| c.is_ascii_digit() || c == '_')
            || t.parse::<f64>().is_ok()
            || t.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || t.strip_prefix("0o").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_digit(8)))
            || (t.contains(':') && t.split(':').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))))
}

fn needs_single_quotes(s: &str) -> bool {
    let indicator = match s.chars().next() {
        // `--port` is plain; `- x` and `-` are not.
        Some('-') => s == "-" || s.starts_with("- "),
        Some(c) => "?:,[]{}#&*!|>'\"%@`".contains(c),
        None => false,
    };
    indicator || s.starts_with(' ') || s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t')
}

fn string(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') && !s.starts_with(' ') {
        let chomp = if s.ends_with("\n\n") {
            "+"
        } else if s.ends_with('\n') {
            ""
        } else {
            "-"
        };
        let body = s.strip_suffix('\n').unwrap_or(s);
        let pad = " ".repeat(indent);
        let lines: Vec<String> = body.split('\n').map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect();
        return format!("|{chomp}\n{}", lines.join("\n"));
    }
    if resolves_to_non_string(s) || s.chars().any(|c| c.is_control()) {
        return serde_json::to_string(s).expect("a string serializes");
    }
    if needs_single_quotes(s) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    s.to_string()
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
    fn server_fields_are_stripped() {
        let mut o = json!({"metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "generation": 2, "managedFields": [], "creationTimestamp": "t"}, "status": {}});
        strip(&mut o);
        assert_eq!(o, json!({"metadata": {"name": "x"}}));
    }
}
