//! Differential test of the YAML loader against PyYAML's safe loader (the
//! libyaml family kubectl's decoder agrees with): every file of the
//! real-world corpus that PyYAML loads without a duplicate key must load here
//! too, document for document, with the same value.

use kubectl_strategy::input::{self, InputSpec, ReadOutcome};
use kubectl_strategy::manifest::parse::parse_stream;
use kubectl_strategy::manifest::tree::{Node, Value};
use serde_json::{Value as J, json};
use std::io::Write;
use std::process::{Command, Stdio};

const REAL_WORLD: &str = "../shared/corpus/real-world";

/// Reads file names on stdin; prints one JSON line per file: its documents,
/// or null when PyYAML refuses the file or finds a duplicate key.
/// Timestamps stay strings (Kubernetes' decoder does not make them dates).
const SCRIPT: &str = r#"
import json, math, sys, yaml

class Loader(yaml.SafeLoader):
    pass

Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

class Duplicate(Exception):
    pass

def construct_mapping(self, node, deep=False):
    seen = set()
    for k, _ in node.value:
        if k.tag == "tag:yaml.org,2002:merge":
            continue
        key = self.construct_object(k, deep=True)
        key = json.dumps(plain(key), sort_keys=True)
        if key in seen:
            raise Duplicate()
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(self, node, deep)

Loader.construct_mapping = construct_mapping

def key(k):
    if k is True: return "true"
    if k is False: return "false"
    if k is None: return "null"
    return str(k)

def plain(v):
    if isinstance(v, dict): return {key(k): plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)): return {"float": str(v)}
    if isinstance(v, bytes): return {"binary": len(v)}
    return v

for name in sys.stdin.read().split("\n"):
    if not name:
        continue
    try:
        with open(name, encoding="utf-8-sig") as f:
            docs = [plain(d) for d in yaml.load_all(f, Loader=Loader) if d is not None]
    except Exception:
        docs = None
    print(json.dumps(docs))
"#;

fn pyyaml() -> bool {
    let ok = Command::new("python3").args(["-c", "import yaml"]).output().is_ok_and(|o| o.status.success());
    crate::require(ok, "python3 with PyYAML", ".ci/run installs it")
}

/// Our tree as PyYAML's value (keys as text, non-finite floats tagged).
fn plain(n: &Node) -> J {
    match &n.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Float(f) if !f.is_finite() => {
            let s = if f.is_nan() {
                "nan".to_string()
            } else if *f > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            };
            json!({ "float": s })
        }
        Value::Float(f) => json!(f),
        Value::Str(s) => J::String(s.to_string()),
        Value::Seq(items) => J::Array(items.iter().map(plain).collect()),
        Value::Map(entries) => J::Object(entries.iter().map(|e| (e.key.scalar_text().unwrap_or_default(), plain(&e.value))).collect()),
    }
}

/// Numbers compare by value (PyYAML's `1.0` and our `1.0` may print differently).
///
/// One difference is deliberate: YAML 1.1's float pattern needs a dot, so
/// PyYAML keeps `2e-5` a string, while Kubernetes' decoder (go-yaml) reads a
/// float, and so do we.
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Number(x), J::String(s)) if !s.contains('.') && s.contains(['e', 'E']) => s.parse::<f64>().ok() == x.as_f64(),
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (J::Object(x), J::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}

/// The first place where two values differ, with both values there.
fn first_difference(a: &J, b: &J, at: &str) -> Option<String> {
    match (a, b) {
        (J::Array(x), J::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (a, b))| first_difference(a, b, &format!("{at}/{i}")))
        }
        (J::Object(x), J::Object(y)) if x.len() == y.len() && x.keys().all(|k| y.contains_key(k)) => {
            x.iter().find_map(|(k, v)| first_difference(v, &y[k], &format!("{at}/{k}")))
        }
        _ if same(a, b) => None,
        _ => Some(format!("at {at}:\n  ours:   {a:.300}\n  PyYAML: {b:.300}")),
    }
}

#[test]
fn loads_what_pyyaml_loads_with_the_same_value() {
    if !crate::require(std::path::Path::new(REAL_WORLD).is_dir(), REAL_WORLD, "check out the shared corpus beside the repository") {
        return;
    }
    if !pyyaml() {
        return;
    }
    let (specs, _) = input::discover(&[REAL_WORLD.to_string()]);
    let files: Vec<(String, String)> = specs
        .iter()
        .filter_map(|s| match (s, input::read(s)) {
            (InputSpec::Path(p), ReadOutcome::Text(f)) => Some((p.display().to_string(), f.text)),
            _ => None,
        })
        .collect();
    let mut child = Command::new("python3").args(["-c", SCRIPT]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let names: String = files.iter().map(|(n, _)| format!("{n}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(names.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let answers: Vec<J> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), files.len());
    let (mut compared, mut refused, mut problems) = (0, 0, Vec::new());
    for ((name, text), theirs) in files.iter().zip(&answers) {
        let Some(theirs) = theirs.as_array() else {
            refused += 1;
            continue;
        };
        compared += 1;
        let mut ours = Vec::new();
        for d in parse_stream(text) {
            match d.result {
                Ok(n) if matches!(n.value, Value::Null) => {}
                Ok(n) => ours.push(plain(&n)),
                Err(e) => {
                    problems.push(format!("{name}:{}:{}: PyYAML loads it, we do not: {}", e.pos.line, e.pos.col + 1, e.message));
                    ours.clear();
                    break;
                }
            }
        }
        if problems.last().is_some_and(|p| p.starts_with(&format!("{name}:"))) {
            continue;
        }
        if ours.len() != theirs.len() {
            problems.push(format!("{name}: {} documents here, {} in PyYAML", ours.len(), theirs.len()));
            continue;
        }
        for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
            if let Some(d) = first_difference(a, b, "") {
                problems.push(format!("{name}: document {} differs {d}", i + 1));
            }
        }
    }
    eprintln!("{compared} files compared with PyYAML, {refused} refused by PyYAML (or with a duplicate key)");
    assert!(compared > 1000, "only {compared} files compared");
    assert!(problems.is_empty(), "{} files differ from PyYAML:\n{}", problems.len(), problems.join("\n"));
}
