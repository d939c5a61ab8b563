//! Regression tests for wrong answers found on real repositories: each one
//! runs a small manifest of testdata/regressions through the JSON output.

use crate::bin;
use serde_json::Value;

const DIR: &str = "testdata/regressions";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// `lint -f json` on files of testdata/regressions.
fn lint(files: &[&str]) -> Vec<Value> {
    let paths: Vec<String> = files.iter().map(|f| format!("{DIR}/{f}")).collect();
    let mut args = vec!["lint", "--isolated", "--format", "json", "--fail-on", "never"];
    args.extend(paths.iter().map(String::as_str));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["findings"].as_array().unwrap().clone()
}

/// (rule, line, severity) of every finding.
#[allow(dead_code)]
fn brief(findings: &[Value]) -> Vec<(String, u64, String)> {
    findings
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap(), f["severity"].as_str().unwrap().to_string()))
        .collect()
}

fn rules(findings: &[Value]) -> Vec<&str> {
    findings.iter().map(|f| f["rule"].as_str().unwrap()).collect()
}

#[test]
fn a_wrong_field_does_not_hide_the_object() {
    let f = lint(&["bad-field.yaml"]);
    let r = rules(&f);
    assert!(r.contains(&"invalid-manifest"), "{r:?}");
    // The other rules still see the Deployment...
    assert!(r.contains(&"image-tag-mutable"), "{r:?}");
    assert!(r.contains(&"liveness-probe-missing"), "{r:?}");
    // ...and so does the Service in front of it (an error: the Service sends it traffic).
    assert!(!r.contains(&"service-selects-nothing"), "{r:?}");
    let readiness = f.iter().find(|x| x["rule"] == "readiness-probe-missing").expect("readiness finding");
    assert_eq!(readiness["severity"], "error");
    let invalid = f.iter().find(|x| x["rule"] == "invalid-manifest").unwrap();
    assert_eq!((invalid["line"].as_u64(), invalid["path"].as_str()), (Some(24), Some("/spec/template/spec/containers/0/env/0/value")));
}

#[test]
fn strategies_name_the_invalid_field_or_the_unparsable_document() {
    let (code, _, err) = run(&["apply", "recreate", "deploy/vouch", &format!("{DIR}/bad-field.yaml")]);
    assert_eq!(code, 2);
    assert!(err.contains("bad-field.yaml:24:22") && err.contains("env/0/value"), "{err}");
    assert!(!err.contains("pod template") && !err.contains("not found"), "{err}");
    let (code, _, err) = run(&["apply", "canary", "deploy/api", &format!("{DIR}/duplicate-key.yaml"), "--weight", "25"]);
    assert_eq!(code, 2);
    assert!(err.contains("duplicate-key.yaml:11:3") && err.contains("duplicate key `selector`"), "{err}");
}
