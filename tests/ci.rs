//! Adoption in CI and pre-commit: config, suppression, machine formats,
//! baselines, and the real kubectl and pre-commit tools.

use crate::bin;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().current_dir(dir).args(args).output().unwrap();
    crate::outcome(&out)
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary project holding the given files.
pub(crate) fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn fixture(rule: &str, kind: &str) -> String {
    std::fs::read_to_string(repo_root().join(format!("testdata/rules/{rule}/{kind}.yaml"))).unwrap()
}

fn json_of(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json", "--fail-on", "never"]);
    let (code, out, err) = run_in(dir, &a);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn rules_of(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

/// Tools the CI installs; a developer without them gets a loud skip.
pub(crate) fn tool(name: &str) -> bool {
    let probe: &[&str] = match name {
        "kubectl" => &["version", "--client"],
        "helm" => &["version", "--short"],
        _ => &["--version"],
    };
    let found = Command::new(name).args(probe).output().is_ok_and(|o| o.status.success());
    crate::require(found, name, ".ci/run installs it")
}

#[test]
fn config_turns_rules_off_regrades_and_sets_params() {
    let bad = fixture("slow-start-without-startup-probe", "bad");
    let dir = project(&[("k8s/app.yaml", &bad)]);
    let all = json_of(dir.path(), &["lint", "k8s"]);
    assert!(rules_of(&all).contains(&"slow-start-without-startup-probe".into()));
    assert!(rules_of(&all).contains(&"pdb-missing".into()), "{all}");

    std::fs::write(dir.path().join(".kubectl-strategy.yaml"), "rules:\n  slow-start-without-startup-probe: off\n").unwrap();
    let off = json_of(dir.path(), &["lint", "k8s"]);
    assert!(!rules_of(&off).contains(&"slow-start-without-startup-probe".into()));

    std::fs::write(
        dir.path().join(".kubectl-strategy.yaml"),
        "rules:\n  slow-start-without-startup-probe:\n    severity: error\n    min-initial-delay-seconds: 1000\n",
    )
    .unwrap();
    let raised = json_of(dir.path(), &["lint", "k8s"]);
    assert!(!rules_of(&raised).contains(&"slow-start-without-startup-probe".into()), "threshold 1000 s: nothing is that slow");

    std::fs::write(dir.path().join(".kubectl-strategy.yaml"), "rules:\n  slow-start-without-startup-probe: error\n").unwrap();
    let v = json_of(dir.path(), &["lint", "k8s"]);
    let f = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "slow-start-without-startup-probe").unwrap();
    assert_eq!(f["severity"], "error");
    assert!(rules_of(&v).contains(&"pdb-missing".into()), "the other rules keep running: {v}");
}

/// Rules that are not checks of an object (a broken file, a stale suppression) are
/// turned off by the config as the others are.
#[test]
fn config_turns_off_input_rules_too() {
    let stale = fixture("unused-suppression", "bad");
    let dir = project(&[("k8s/app.yaml", &stale), ("k8s/broken.yaml", "apiVersion: v1\nkind: [unclosed\n")]);
    let all = json_of(dir.path(), &["lint", "k8s"]);
    assert!(rules_of(&all).contains(&"unused-suppression".into()), "{all}");
    assert!(rules_of(&all).contains(&"invalid-yaml".into()), "{all}");
    std::fs::write(dir.path().join(".kubectl-strategy.yaml"), "rules:\n  unused-suppression: off\n  invalid-yaml: off\n").unwrap();
    let off = json_of(dir.path(), &["lint", "k8s"]);
    assert!(!rules_of(&off).contains(&"unused-suppression".into()), "{off}");
    assert!(!rules_of(&off).contains(&"invalid-yaml".into()), "{off}");
    assert!(!rules_of(&off).is_empty(), "the object rules still run: {off}");
}

#[test]
fn config_is_found_in_parents_and_excludes_and_fail_on_apply() {
    let dir = project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        (".kubectl-strategy.yaml", "fail-on: error\nexclude:\n  - \"vendor/**\"\n"),
        ("k8s/app.yaml", &fixture("image-tag-mutable", "bad")),
        ("vendor/x.yaml", &fixture("selector-template-mismatch", "bad")),
    ]);
    // run from a subdirectory: the config in the parent applies
    let (code, out, err) = run_in(&dir.path().join("k8s"), &["lint", "."]);
    assert_eq!(code, 0, "only warnings, and fail-on is error: {out}{err}");
    let (code, out, _) = run_in(dir.path(), &["lint", ".", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(!out.contains("vendor/x.yaml"), "excluded: {out}");
    let (code, _, _) = run_in(dir.path(), &["lint", ".", "--fail-on", "warning"]);
    assert_eq!(code, 1, "the flag wins over the config");
    let (code, _, _) = run_in(dir.path(), &["lint", ".", "--no-config", "--fail-on", "error"]);
    assert_eq!(code, 1, "without the config, vendor/ is linted and has an error");
}

#[test]
fn config_errors_point_into_the_file() {
    let cases = [
        ("rules:\n  image-tag-mutabel: off\n", "2:3", "did you mean `image-tag-mutable`"),
        ("rulez: {}\n", "1:1", "unknown key `rulez`"),
        ("rules:\n  resources-missing: loud\n", "2:22", "unknown level `loud`"),
        ("rules:\n  slow-start-without-startup-probe:\n    min-initial-delay-seconds: soon\n", "3:32", "bad value"),
        ("rules:\n  liveness-probe-missing:\n    threshold: 3\n", "3:5", "has no parameter `threshold`"),
        ("fail-on: sometimes\n", "1:10", "fail-on"),
        ("exclude: [\"a/[\"]\n", "1:11", "bad glob"),
    ];
    for (text, at, expected) in cases {
        let dir = project(&[(".kubectl-strategy.yaml", text), ("a.yaml", "")]);
        let (code, _, err) = run_in(dir.path(), &["lint", "a.yaml"]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(err.contains(expected), "{text}: {err}");
        assert!(err.contains(&format!(".kubectl-strategy.yaml:{at}")), "{text}: expected {at}: {err}");
    }
}

#[test]
fn published_schema_is_current_and_readme_example_validates() {
    let schema = kubectl_strategy::config::json_schema();
    let published: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo_root().join("kubectl-strategy.schema.json")).unwrap()).unwrap();
    assert_eq!(
        schema, published,
        "kubectl-strategy.schema.json is stale: run `kubectl strategy config-schema > kubectl-strategy.schema.json`"
    );
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let start = readme.find("```yaml\n# .kubectl-strategy.yaml").expect("README has a config example");
    let body = &readme[start + 8..];
    let example = &body[..body.find("```").unwrap()];
    let validator = jsonschema::validator_for(&schema).unwrap();
    let doc = kubectl_strategy::manifest::parse::parse_stream(example).remove(0).result.unwrap();
    let instance = kubectl_strategy::manifest::json::to_json(&doc);
    let errors: Vec<String> = validator.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    kubectl_strategy::config::parse("README", example).expect("the README example loads");
    // and the schema rejects what the loader rejects
    let bad = serde_json::json!({"rules": {"no-such-rule": "off"}});
    assert!(!validator.is_valid(&bad));
    let bad = serde_json::json!({"rules": {"prometheus-annotations-missing": {"policy": "sometimes"}}});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn suppression_by_annotation_and_comment() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {app: a}\n  annotations:\n    ignore-check.kubectl-strategy.io/resources-missing: \"sidecar-less debug pod\"\nspec:\n  restartPolicy: Never\n  containers:\n  - name: a\n    # kubectl-strategy: ignore[image-tag-mutable]\n    image: busybox\n  - name: b\n    image: busybox  # kubectl-strategy: ignore[image-tag-mutable]\n  - name: c\n    image: busybox\n";
    let dir = project(&[("pod.yaml", text)]);
    let v = json_of(dir.path(), &["lint", "pod.yaml"]);
    let rules = rules_of(&v);
    assert!(!rules.contains(&"resources-missing".into()), "{v}");
    assert_eq!(rules.iter().filter(|r| *r == "image-tag-mutable").count(), 1, "only container c: {v}");
    assert!(!rules.contains(&"unused-suppression".into()), "{v}");
}

/// An annotation suppresses its own object only: not the next document of the file, not the
/// next item of a List.
#[test]
fn an_annotation_suppresses_only_its_own_object() {
    let pod = |name: &str, annotated: bool| {
        let ann = if annotated { "\n  annotations: {ignore-check.kubectl-strategy.io/image-tag-mutable: \"why\"}" } else { "" };
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: {name}}}{ann}\nspec:\n  containers:\n  - name: c\n    image: busybox\n"
        )
    };
    let docs = format!("{}---\n{}", pod("a", true), pod("b", false));
    let item = |name: &str| pod(name, name == "c").lines().map(|l| format!("  {l}\n")).collect::<String>().replacen("  ", "- ", 1);
    let list = format!("apiVersion: v1\nkind: List\nitems:\n{}{}", item("c"), item("d"));
    let dir = project(&[("docs.yaml", &docs), ("list.yaml", &list)]);
    let v = json_of(dir.path(), &["lint", "docs.yaml", "list.yaml"]);
    let tagged: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "image-tag-mutable")
        .map(|f| f["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(tagged, ["b", "d"], "{v}");
    assert!(!rules_of(&v).contains(&"unused-suppression".into()), "{v}");
}

/// A stale suppression of a rule that is off is not reported (nothing to suppress); one of an
/// unknown rule is, and says so; one of a rule that is on is.
#[test]
fn stale_suppressions_of_rules_that_are_off_are_not_reported() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a  # kubectl-strategy: ignore[pdb-missing]\n  labels: {app: a}  # kubectl-strategy: ignore[no-such-rule]\n  namespace: x  # kubectl-strategy: ignore[image-tag-mutable]\n";
    let dir = project(&[("cm.yaml", text), (".kubectl-strategy.yaml", "rules:\n  pdb-missing: off\n")]);
    let v = json_of(dir.path(), &["lint", "cm.yaml"]);
    let unused: Vec<(u64, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unused-suppression")
        .map(|f| (f["line"].as_u64().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        unused,
        [(5, "suppression names unknown rule `no-such-rule`"), (6, "suppression of image-tag-mutable matches no finding")],
        "{v}"
    );
}

/// A comment that suppresses nothing is reported on the comment, from `#` to its end.
#[test]
fn an_unused_comment_suppression_is_reported_on_the_comment() {
    let comment = "# kubectl-strategy: ignore[image-tag-mutable]";
    let dir = project(&[("cm.yaml", &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a  {comment}\n"))]);
    let v = json_of(dir.path(), &["lint", "cm.yaml"]);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "unused-suppression", "{v}");
    let span = [&f["line"], &f["column"], &f["endLine"], &f["endColumn"]].map(|x| x.as_u64().unwrap());
    assert_eq!(span, [4, 12, 4, 12 + comment.len() as u64], "{f}");
}

/// Fails when `sarif` does not validate against the official SARIF 2.1.0 schema, kept in the
/// repository (tests/schemas/README.md says where it comes from).
pub(crate) fn assert_valid_sarif(sarif: &serde_json::Value) {
    let p = repo_root().join("tests/schemas/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(sarif).take(5).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:?}");
}

/// The 1-based columns (in characters, SARIF's `unicodeCodePoints`) where a finding on `line`
/// may start, found in the text by the test itself from what the finding names: the key its
/// JSON pointer ends with (the key, or its value when the value is on the same line), the
/// item of the sequence an index names (after its `- `), the comment of an unused
/// suppression, the key a duplicate-key error names. `None` when the finding names nothing
/// the test can find on its line (a render failure, an indentation error).
fn columns_named_by(finding: &serde_json::Value, line: &str) -> Option<Vec<usize>> {
    let col = |byte: usize| line[..byte].chars().count() + 1;
    let key_columns = |key: &str| -> Vec<usize> {
        let k = regex::escape(key);
        let re = regex::Regex::new(&format!(r#"(?:^|[\s{{,-])({k}|"{k}"|'{k}')\s*:[ \t]*"#)).unwrap();
        let mut cols = Vec::new();
        for c in re.captures_iter(line) {
            let (key_at, after) = (c.get(1).unwrap().start(), c.get(0).unwrap().end());
            cols.push(col(key_at));
            if after < line.trim_end().len() {
                cols.push(col(after));
            }
        }
        cols
    };
    let message = finding["message"].as_str().unwrap();
    let path = finding["path"].as_str().filter(|p| !p.is_empty());
    match (finding["rule"].as_str().unwrap(), path) {
        (_, Some(path)) => {
            let last = path.rsplit('/').next().unwrap().replace("~1", "/").replace("~0", "~");
            if last.bytes().all(|b| b.is_ascii_digit()) {
                let item = line.len() - line.trim_start().len();
                return line.trim_start().starts_with("- ").then(|| vec![col(item) + 2]);
            }
            Some(key_columns(&last))
        }
        ("unused-suppression", None) => line.find("# kubectl-strategy:").map(|b| vec![col(b)]),
        ("invalid-yaml", None) => {
            let key = message.split_once("duplicate key `")?.1.split_once('`')?.0;
            Some(key_columns(key))
        }
        _ => None,
    }
}

/// SARIF judged by the official schema and, by value, against `--format json` (whose
/// positions are themselves checked against the text of the files): nothing here compares
/// the output with the code that wrote it. The fixtures have errors, warnings and infos
/// of ~30 rules in ~30 files, ~17 with fixes.
#[test]
fn sarif_is_valid_and_equals_the_json_findings_by_value() {
    let root = repo_root();
    let args = ["lint", "testdata/rules", "testdata/examples", "--fail-on", "never"];
    let run = |format: &str| {
        let mut a = args.to_vec();
        a.extend(["--format", format]);
        let (code, out, err) = run_in(&root, &a);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let sarif = run("sarif");
    let json = run("json");
    assert_valid_sarif(&sarif);
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints", "columns below are counted in characters");
    let results = run0["results"].as_array().unwrap();
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let findings = json["findings"].as_array().unwrap();
    // The fixture covers what the test is about.
    let severities: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["severity"].as_str().unwrap()).collect();
    assert_eq!(severities, ["error", "info", "warning"].into(), "errors, warnings and infos");
    let files: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["file"].as_str().unwrap()).collect();
    let rule_ids: std::collections::BTreeSet<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(files.len() >= 20 && rule_ids.len() >= 20, "{} files, {} rules", files.len(), rule_ids.len());
    assert!(findings.iter().filter(|f| f["fix"].is_object()).count() >= 10, "findings with fixes");
    assert_eq!(results.len(), findings.len(), "one SARIF result per JSON finding");

    let mut matched = vec![false; results.len()];
    let (mut by_text, mut not_by_text) = (0, Vec::new());
    for f in findings {
        let (line, column) = (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
        let same = |r: &serde_json::Value| {
            let loc = &r["locations"][0]["physicalLocation"];
            r["ruleId"] == f["rule"]
                && loc["artifactLocation"]["uri"] == f["file"]
                && loc["region"]["startLine"] == line
                && loc["region"]["startColumn"] == column
                && loc["region"]["endLine"] == f["endLine"]
                && loc["region"]["endColumn"] == f["endColumn"]
                && r["message"]["text"].as_str().unwrap().starts_with(f["message"].as_str().unwrap())
        };
        let hits: Vec<usize> = results.iter().enumerate().filter(|(_, r)| same(r)).map(|(i, _)| i).collect();
        assert_eq!(hits.len(), 1, "exactly one SARIF result for {f}");
        let i = hits[0];
        assert!(!matched[i], "two JSON findings share the SARIF result {}", results[i]);
        matched[i] = true;
        let r = &results[i];
        let level = match f["severity"].as_str().unwrap() {
            "error" => "error",
            "warning" => "warning",
            "info" => "note",
            other => panic!("severity {other}"),
        };
        assert_eq!(r["level"], level, "{} ({}) in {r}", f["rule"], f["severity"]);
        let idx = r["ruleIndex"].as_u64().unwrap_or_else(|| panic!("no ruleIndex: {r}")) as usize;
        assert_eq!(rules[idx]["id"], f["rule"], "ruleIndex {idx} of {r}");
        // The position, judged by the file's text.
        let text = std::fs::read_to_string(root.join(f["file"].as_str().unwrap())).unwrap();
        let at = text.lines().nth(line as usize - 1).unwrap_or_else(|| panic!("{f}: no line {line}"));
        assert!(column as usize <= at.chars().count() + 1, "{f}: column {column} past the end of {at:?}");
        match columns_named_by(f, at) {
            Some(cols) => {
                assert!(cols.contains(&(column as usize)), "{f}: column {column}, the text puts it at {cols:?} on {at:?}");
                by_text += 1;
            }
            None => not_by_text.push(format!("{} {}:{line}", f["rule"], f["file"])),
        }
        // Fixes: present exactly where JSON has one, the same edits.
        let edits = f["fix"]["edits"].as_array();
        assert_eq!(r["fixes"].is_array(), edits.is_some(), "{f}\n{r}");
        if let Some(edits) = edits {
            let change = &r["fixes"][0]["artifactChanges"][0];
            assert_eq!(change["artifactLocation"]["uri"], f["file"]);
            let replacements = change["replacements"].as_array().unwrap();
            assert_eq!(replacements.len(), edits.len(), "{r}");
            for (e, rep) in edits.iter().zip(replacements) {
                let del = &rep["deletedRegion"];
                let pairs = [("startLine", "line"), ("startColumn", "column"), ("endLine", "endLine"), ("endColumn", "endColumn")];
                for (s, j) in pairs {
                    assert_eq!(del[s], e[j], "{s} of {rep} against {e}");
                }
                assert_eq!(rep["insertedContent"]["text"], e["content"]);
            }
        }
    }
    assert!(matched.iter().all(|m| *m));
    // What the text cannot place: render failures (a chart, a kustomization) and a parse error
    // without a key.
    assert!(by_text >= 90, "{by_text} positions judged by the text; not: {not_by_text:?}");
    assert!(
        not_by_text
            .iter()
            .all(|n| ["helm-render-failed", "kustomize-build-failed", "invalid-yaml"].iter().any(|r| n.starts_with(&format!("\"{r}\"")))),
        "{not_by_text:?}"
    );
    assert_eq!(rules.len(), kubectl_strategy::rules::REGISTRY.len());
    assert!(rules.iter().all(|r| r["help"]["text"].as_str().unwrap().len() > 40));
    // fingerprints are stable across runs and unique per finding
    let again = run("sarif");
    let fps = |s: &serde_json::Value| -> Vec<String> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["kubectlStrategy/v1"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fps(&sarif), fps(&again));
    let unique: std::collections::BTreeSet<String> = fps(&sarif).into_iter().collect();
    assert_eq!(unique.len(), results.len(), "fingerprints are unique");
}

#[test]
fn fingerprints_survive_unrelated_edits() {
    let text = fixture("image-tag-mutable", "bad");
    let dir = project(&[("a.yaml", &text)]);
    let fp = |dir: &Path| {
        let (_, out, _) = run_in(dir, &["lint", "a.yaml", "--format", "sarif"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["runs"][0]["results"][0]["partialFingerprints"]["kubectlStrategy/v1"].clone()
    };
    let before = fp(dir.path());
    std::fs::write(dir.path().join("a.yaml"), format!("# a new comment\n# shifts every line\n{text}")).unwrap();
    assert_eq!(before, fp(dir.path()));
}

#[test]
fn github_annotations_parse() {
    let (_, out, _) = run_in(&repo_root(), &["lint", "testdata/examples/shop.yaml", "--format", "github"]);
    let re = regex::Regex::new(
        r"^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),endLine=(\d+),endColumn=(\d+),title=([a-z-]+)::(.+)$",
    )
    .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    for l in &lines {
        let c = re.captures(l).unwrap_or_else(|| panic!("not a workflow command: {l}"));
        assert_eq!(&c[2], "testdata/examples/shop.yaml");
        assert!(!c[8].contains('\n'));
    }
    assert!(lines.iter().any(|l| {
        l.starts_with("::error file=testdata/examples/shop.yaml,line=42,col=11,endLine=42,endColumn=20,title=readiness-probe-missing::")
    }));
}

#[test]
fn junit_parses_with_a_testcase_per_finding() {
    let (_, out, _) = run_in(&repo_root(), &["lint", "testdata/examples", "--format", "junit"]);
    let mut reader = quick_xml::Reader::from_str(&out);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => match e.name().as_ref() {
                "testcase" => cases += 1,
                "failure" => failures += 1,
                _ => {}
            },
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(failures, 6, "{out}");
    assert_eq!(cases, 6 + 2 + 3, "a testcase per finding, and one per object without findings (2 in shop.yaml, 3 in clean.yaml): {out}");
    assert!(out.contains("tests=\"11\" failures=\"6\""), "{out}");
    assert!(out.contains("name=\"readiness-probe-missing Deployment/api-status (testdata/examples/shop.yaml:42:11)\""), "{out}");
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let junit = dir.path().join("out.xml");
    let (code, out, err) = run_in(
        &repo_root(),
        &[
            "lint",
            "testdata/examples/shop.yaml",
            "--output-file",
            &format!("sarif={}", sarif.display()),
            "--output-file",
            &format!("junit={}", junit.display()),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("error[readiness-probe-missing]"));
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 6);
    assert!(std::fs::read_to_string(&junit).unwrap().contains("<testsuites"));
    let (code, _, err) = run_in(&repo_root(), &["lint", "testdata/examples/shop.yaml", "--output-file", "yaml=x"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format"), "{err}");
    // -o is kubectl's output format; the old FORMAT=FILE form says where it went
    let (code, _, err) = run_in(&repo_root(), &["lint", "testdata/examples/shop.yaml", "-o", "sarif=x.sarif"]);
    assert_eq!(code, 2);
    assert!(err.contains("use --output-file sarif=x.sarif"), "{err}");
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = project(&[("app.yaml", &fixture("image-tag-mutable", "bad"))]);
    let (code, _, _) = run_in(dir.path(), &["lint", ".", "--write-baseline", "baseline.json"]);
    assert_eq!(code, 0);
    let (code, out, _) = run_in(dir.path(), &["lint", ".", "--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(dir.path().join("new.yaml"), fixture("rolling-update-blocked", "bad")).unwrap();
    let v = json_of(dir.path(), &["lint", ".", "--baseline", "baseline.json"]);
    let files: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert!(!files.is_empty() && files.iter().all(|f| f.ends_with("new.yaml")), "{files:?}");
}

/// An entry hides one finding, not every finding with its fingerprint: a second copy of the
/// object is reported whole, and the human output counts what the baseline hid.
#[test]
fn a_baseline_entry_hides_one_finding_and_the_hidden_are_counted() {
    let bad = fixture("image-tag-mutable", "bad");
    let dir = project(&[("app.yaml", &bad)]);
    let before = json_of(dir.path(), &["lint", "."])["findings"].as_array().unwrap().len();
    assert!(before >= 2, "{before}");
    let (code, _, err) = run_in(dir.path(), &["lint", ".", "--write-baseline", "baseline.json"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.path().join("app.yaml"), format!("{bad}---\n{bad}")).unwrap();
    let v = json_of(dir.path(), &["lint", ".", "--baseline", "baseline.json"]);
    assert_eq!(v["findings"].as_array().unwrap().len(), before, "one copy's findings are new: {v}");
    let (_, out, _) = run_in(dir.path(), &["lint", ".", "--baseline", "baseline.json", "--fail-on", "never"]);
    assert!(out.contains(&format!("note: {before} findings already in the baseline baseline.json are not shown")), "{out}");
}

#[test]
fn baselines_are_relative_to_the_repository_readable_and_report_stale_entries() {
    let dir = project(&[
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("k8s/app.yaml", &fixture("image-tag-mutable", "bad")),
        ("k8s/other.yaml", &fixture("rolling-update-blocked", "bad")),
    ]);
    // written in a subdirectory, used from the root
    let (code, _, err) = run_in(&dir.path().join("k8s"), &["lint", ".", "--write-baseline", "../baseline.json"]);
    assert_eq!(code, 0, "{err}");
    let b: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap()).unwrap();
    assert_eq!(b["version"], 2);
    let entry = b["findings"].as_array().unwrap().iter().find(|e| e["rule"] == "image-tag-mutable").expect("readable entries");
    assert_eq!(entry["file"], "k8s/app.yaml", "{b}");
    assert!(entry["object"].as_str().unwrap().contains('/') && entry["message"].as_str().unwrap().contains("image"), "{entry}");
    assert_eq!(entry["fingerprint"].as_str().unwrap().len(), 16);
    let (code, out, err) = run_in(dir.path(), &["lint", "k8s", "--baseline", "baseline.json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "nothing stale: {err}");
    // the SARIF fingerprint is the baseline's, from any directory
    let (_, sarif, _) = run_in(&dir.path().join("k8s"), &["lint", "app.yaml", "-o", "sarif", "--isolated"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let fps: Vec<&serde_json::Value> =
        sarif["runs"][0]["results"].as_array().unwrap().iter().map(|r| &r["partialFingerprints"]["kubectlStrategy/v1"]).collect();
    assert!(fps.contains(&&entry["fingerprint"]), "{fps:?}");
    // a fixed finding: its entry is reported as stale, on stderr
    std::fs::write(dir.path().join("k8s/other.yaml"), fixture("rolling-update-blocked", "good")).unwrap();
    let (code, out, err) = run_in(dir.path(), &["lint", "k8s", "--baseline", "baseline.json", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<serde_json::Value>(&out).unwrap();
    assert!(err.contains("match no finding any more") && err.contains("k8s/other.yaml: rolling-update-blocked"), "{err}");
    assert!(!err.contains("k8s/app.yaml"), "{err}");
}

#[test]
fn changed_since_reports_only_what_changed() {
    if !tool("git") {
        return;
    }
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27.3}]\n";
    let image = fixture("image-tag-mutable", "bad");
    let dir = project(&[("k8s/a.yaml", &image), ("k8s/svc.yaml", svc), ("k8s/untouched.yaml", &fixture("rolling-update-blocked", "bad"))]);
    let git = |args: &[&str]| git(dir.path(), args);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    // the PR: a new untagged image on line 37, and the Deployment's labels renamed
    std::fs::write(
        dir.path().join("k8s/a.yaml"),
        image.replace("registry.example.com:5000/shop/loyalty", "registry.example.com:5000/shop/loyalty2"),
    )
    .unwrap();
    std::fs::write(dir.path().join("k8s/svc.yaml"), svc.replace("app: web}}", "app: web2}}")).unwrap();
    git(&["commit", "-q", "-am", "pr"]);
    let all = json_of(dir.path(), &["lint", "k8s"]);
    let v = json_of(&dir.path().join("k8s"), &["lint", ".", "--changed-since", "HEAD~1"]);
    let found: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["file"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    assert!(found.contains(&("image-tag-mutable".into(), "a.yaml".into(), 37)), "{found:?}");
    assert!(!found.iter().any(|(r, _, l)| r == "image-tag-mutable" && *l == 26), "busybox:latest was there before: {found:?}");
    assert!(
        found.iter().any(|(r, f, _)| r == "service-selects-nothing" && f == "svc.yaml"),
        "it joined the Deployment, whose labels changed: {found:?}"
    );
    assert!(!found.iter().any(|(_, f, _)| f == "untouched.yaml"), "{found:?}");
    assert!(!found.iter().any(|(r, _, _)| r == "liveness-probe-missing"), "on unchanged lines: {found:?}");
    assert!(all["findings"].as_array().unwrap().len() > found.len() + 3);
    // The human output counts what it left out.
    let (_, out, _) = run_in(&dir.path().join("k8s"), &["lint", ".", "--changed-since", "HEAD~1", "--fail-on", "never"]);
    let hidden = all["findings"].as_array().unwrap().len() - found.len();
    assert!(out.contains(&format!("note: {hidden} findings on lines unchanged since HEAD~1 are not shown")), "{out}");
    // nothing changed since HEAD: a clean run
    let (code, _, err) = run_in(dir.path(), &["lint", "k8s", "--changed-since", "HEAD"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_in(dir.path(), &["lint", "k8s", "--changed-since", "no-such-rev"]);
    assert_eq!(code, 2);
    assert!(err.contains("--changed-since: `no-such-rev` is not a commit of this repository"), "{err}");
}

/// Runs git in `dir` as a throwaway committer; the test fails when git does.
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A git repository in a temporary folder with `files` committed as `base`.
fn committed(files: &[(&str, &str)]) -> (tempfile::TempDir, impl Fn(&[&str]) + use<>) {
    let dir = project(files);
    let root = dir.path().to_path_buf();
    let git = move |args: &[&str]| git(&root, args);
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    (dir, git)
}

/// (rule, object name) of each finding of a JSON report.
fn rule_and_object(v: &serde_json::Value) -> Vec<(String, String)> {
    let text = |f: &serde_json::Value| f.as_str().unwrap_or_default().to_string();
    v["findings"].as_array().unwrap().iter().map(|f| (text(&f["rule"]), text(&f["object"]["name"]))).collect()
}

/// A Pod appended to a file: the Pod above it, untouched, keeps its old
/// findings out of the report (readiness-probe-missing reads other objects,
/// but this Pod joins none).
#[test]
fn changed_since_leaves_out_untouched_neighbours() {
    if !tool("git") {
        return;
    }
    let pod = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, labels: {{app: {name}}}}}\nspec:\n  containers: [{{name: {name}, image: nginx:1.27.3}}]\n"
        )
    };
    let (dir, git) = committed(&[("k8s/pods.yaml", &pod("one"))]);
    std::fs::write(dir.path().join("k8s/pods.yaml"), format!("{}---\n{}", pod("one"), pod("two"))).unwrap();
    git(&["commit", "-q", "-am", "pr"]);
    let all = rule_and_object(&json_of(dir.path(), &["lint", "k8s"]));
    assert!(all.contains(&("readiness-probe-missing".into(), "one".into())), "{all:?}");
    let found = rule_and_object(&json_of(dir.path(), &["lint", "k8s", "--changed-since", "HEAD~1"]));
    assert!(found.contains(&("readiness-probe-missing".into(), "two".into())), "the new Pod: {found:?}");
    assert!(!found.iter().any(|(_, o)| o == "one"), "the Pod above did not change: {found:?}");
}

/// Only the objects a finding joined changed: a budget edited so that it no
/// longer selects the Deployment (pdb-missing, an absence), a Service edited
/// so that it selects it (readiness-probe-missing is now an error citing it).
/// The Deployment's cross-object findings are kept, its own others are not.
#[test]
fn changed_since_keeps_findings_whose_joined_objects_changed() {
    if !tool("git") {
        return;
    }
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27.3}]\n";
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: api}\n  ports: [{port: 80}]\n";
    let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n";
    let (dir, git) = committed(&[("k8s/app.yaml", deploy), ("k8s/svc.yaml", svc), ("k8s/pdb.yaml", pdb)]);
    std::fs::write(dir.path().join("k8s/svc.yaml"), svc.replace("app: api", "app: web")).unwrap();
    std::fs::write(dir.path().join("k8s/pdb.yaml"), pdb.replace("app: web", "app: api")).unwrap();
    git(&["commit", "-q", "-am", "pr"]);
    let v = json_of(dir.path(), &["lint", "k8s", "--changed-since", "HEAD~1"]);
    let found = rule_and_object(&v);
    assert!(found.contains(&("pdb-missing".into(), "web".into())), "the budget changed: {found:?}");
    let readiness = v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "readiness-probe-missing");
    assert!(readiness.is_some_and(|f| f["severity"] == "error" && f["file"] == "k8s/app.yaml"), "the Service changed: {found:?}");
    assert!(!found.iter().any(|(r, _)| r == "liveness-probe-missing" || r == "resources-missing"), "own, unchanged: {found:?}");
}

/// A Service that selects nothing joins the workloads deployed with it, so a change to one of
/// them keeps its finding; a workload of another namespace is not deployed with it.
#[test]
fn changed_since_joins_nothing_across_namespaces() {
    if !tool("git") {
        return;
    }
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {app: web}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27.3}]\n";
    let svc = |ns: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: api-{ns}, namespace: {ns}}}\nspec:\n  selector: {{app: api}}\n  ports: [{{port: 80}}]\n"
        )
    };
    let (shop, blog) = (svc("shop"), svc("blog"));
    let (dir, git) = committed(&[("k8s/app.yaml", deploy), ("k8s/shop.yaml", &shop), ("k8s/blog.yaml", &blog)]);
    std::fs::write(dir.path().join("k8s/app.yaml"), deploy.replace("replicas: 2", "replicas: 3")).unwrap();
    git(&["commit", "-q", "-am", "pr"]);
    let v = json_of(dir.path(), &["lint", "k8s", "--changed-since", "HEAD~1"]);
    let found = rule_and_object(&v);
    assert!(found.contains(&("service-selects-nothing".into(), "api-shop".into())), "deployed with web: {found:?}");
    assert!(!found.contains(&("service-selects-nothing".into(), "api-blog".into())), "another namespace: {found:?}");
}

#[test]
fn version_1_baselines_are_still_read() {
    let dir = project(&[("app.yaml", &fixture("image-tag-mutable", "bad"))]);
    let (_, sarif, _) = run_in(dir.path(), &["lint", "app.yaml", "-o", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let mut fps = serde_json::Map::new();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let fp = r["partialFingerprints"]["kubectlStrategy/v1"].as_str().unwrap().to_string();
        let n = fps.get(&fp).and_then(|v| v.as_u64()).unwrap_or(0);
        fps.insert(fp, (n + 1).into());
    }
    assert!(!fps.is_empty());
    let v1 = serde_json::json!({"version": 1, "fingerprints": fps});
    std::fs::write(dir.path().join("old.json"), v1.to_string()).unwrap();
    let (code, out, err) = run_in(dir.path(), &["lint", "app.yaml", "--baseline", "old.json"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn named_files_see_their_neighbours_as_context() {
    // pre-commit passes only the changed Service; its Deployment is beside it.
    let dir = project(&[
        (
            "k8s/service.yaml",
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n",
        ),
        ("k8s/deploy.yaml", &fixture("service-selects-nothing", "good")),
        (
            "k8s/web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27.3}]\n",
        ),
    ]);
    let v = json_of(dir.path(), &["lint", "k8s/service.yaml"]);
    assert!(!rules_of(&v).contains(&"service-selects-nothing".into()), "{v}");
    assert_eq!(v["summary"]["objects"], 1);
    assert!(v["findings"].as_array().unwrap().iter().all(|f| f["file"] == "k8s/service.yaml"));
}

#[test]
fn a_named_file_reads_only_what_it_needs_of_its_neighbours() {
    let web = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27.3}]\n";
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n";
    // A neighbour above the size bound (4 MB: a Deployment, comments, then
    // the Service that selects `web`) is not read: a notice says so, and the
    // Service in it does not count.
    let other = web.replace("web", "other");
    let mut big = format!("{other}---\n");
    while big.len() <= 4 << 20 {
        big.push_str("# the other half of a generated file, as comments to keep the test quick\n");
    }
    big.push_str(svc);
    let dir = project(&[
        ("k8s/web.yaml", web),
        ("k8s/big.yaml", &big),
        ("k8s/small.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
    ]);
    let v = json_of(dir.path(), &["lint", "k8s/web.yaml"]);
    let notices = v["notices"].to_string();
    assert!(notices.contains("k8s/big.yaml") && notices.contains("not read as context"), "{notices}");
    let readiness = |v: &serde_json::Value| {
        v["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "readiness-probe-missing").unwrap()["severity"].clone()
    };
    assert_eq!(readiness(&v), "warning", "{v}");
    // Below the bound, the Service is read (the finding becomes an error, as
    // when a Service selects the pods) and nothing is said.
    std::fs::write(dir.path().join("k8s/big.yaml"), format!("{other}---\n{svc}")).unwrap();
    let v = json_of(dir.path(), &["lint", "k8s/web.yaml"]);
    assert_eq!(readiness(&v), "error", "{v}");
    assert!(!v["notices"].to_string().contains("not read as context"), "{v}");
    // Naming the big file lints it.
    std::fs::write(dir.path().join("k8s/big.yaml"), &big).unwrap();
    let v = json_of(dir.path(), &["lint", "k8s/web.yaml", "k8s/big.yaml"]);
    assert_eq!(readiness(&v), "error", "{v}");
    assert!(!v["notices"].to_string().contains("not read as context"), "{v}");
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, _) = run_in(&repo_root(), &["completions", shell]);
        assert_eq!(code, 0);
        assert!(out.contains("lint"), "{shell}");
    }
    let (code, out, _) = run_in(&repo_root(), &["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH"), "{out}");
}

/// Runs `script` in a real bash (stderr of compopt outside a key press is expected) and returns COMPREPLY.
fn bash_complete(script: &str, path: &str, words: &[&str]) -> Vec<String> {
    let out = Command::new("bash")
        .args(["-c", &format!("{script}\nprintf '%s\\n' \"${{COMPREPLY[@]}}\""), "bash"])
        .args(words)
        .env("PATH", path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    if !tool("bash") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("kubectl-strategy.bash");
    let (code, text, _) = run_in(&repo_root(), &["completions", "bash"]);
    assert_eq!(code, 0);
    std::fs::write(&script, text).unwrap();
    // the words as bash hands them to the function registered by `complete -F`
    let drive = format!(
        "source {}\ncomplete -p kubectl-strategy >/dev/null || exit 9\nCOMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${{#COMP_LINE}}\n\
         _kubectl__strategy kubectl-strategy \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"",
        script.display()
    );
    let path = std::env::var("PATH").unwrap_or_default();
    let c = |words: &[&str]| bash_complete(&drive, &path, words);
    assert_eq!(c(&["kubectl-strategy", "li"]), ["lint"]);
    assert_eq!(c(&["kubectl-strategy", "lint", "--output"]), ["--output", "--output-file"]);
    assert_eq!(c(&["kubectl-strategy", "lint", "--output", "s"]), ["sarif"]);
    assert_eq!(c(&["kubectl-strategy", "rules", "-o", ""]), ["table", "json", "markdown"]);
    assert_eq!(c(&["kubectl-strategy", "apply", "ro"]), ["rolling"]);
    assert_eq!(c(&["kubectl-strategy", "apply", "rolling", "--max-s"]), ["--max-surge"]);
}

#[test]
fn kubectl_completes_the_plugin_through_kubectl_complete_strategy() {
    const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";
    if !tool("bash") || !tool("kubectl") || !crate::need_file(BASH_COMPLETION, "bash-completion") {
        return;
    }
    // kubectl finds kubectl_complete-strategy on PATH, beside kubectl-strategy
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_kubectl_complete-strategy")).parent().unwrap().to_path_buf();
    assert!(bin_dir.join("kubectl-strategy").is_file());
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let drive = format!(
        "source {BASH_COMPLETION}\nsource <(kubectl completion bash)\nCOMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${{#COMP_LINE}}\n\
         __start_kubectl kubectl \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\" 2>/dev/null"
    );
    let c = |words: &[&str]| bash_complete(&drive, &path, words);
    assert_eq!(c(&["kubectl", "strategy", "li"]), ["lint"]);
    let top = c(&["kubectl", "strategy", ""]);
    for sub in ["lint", "rules", "explain", "apply", "diff", "status"] {
        assert!(top.contains(&sub.to_string()), "{top:?}");
    }
    assert_eq!(c(&["kubectl", "strategy", "lint", "-o", ""]), ["human", "json", "sarif", "github", "junit"]);
    assert_eq!(c(&["kubectl", "strategy", "apply", "ca"]), ["canary"]);
}

/// The shell step of action.yml, against the built binary: once given as KS_BIN,
/// once installed from a release directory (file://) with its checksum checked.
#[test]
fn github_action_installs_checks_and_lints() {
    if !tool("bash") || !tool("curl") || !tool("tar") {
        return;
    }
    let script = repo_root().join(".github/action/kubectl-strategy.sh");
    let action: serde_json::Value = {
        let text = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
        let doc = kubectl_strategy::manifest::parse::parse_stream(&text).remove(0).result.unwrap();
        kubectl_strategy::manifest::json::to_json(&doc)
    };
    assert_eq!(action["runs"]["using"], "composite");
    assert!(action["runs"]["steps"][0]["run"].as_str().unwrap().contains(".github/action/kubectl-strategy.sh"));
    let work = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let output = work.path().join("github-output");
        let _ = std::fs::remove_file(&output);
        let mut c = Command::new("bash");
        c.arg(&script).current_dir(repo_root()).env("GITHUB_OUTPUT", &output).env_remove("GITHUB_PATH");
        c.env("KS_PATHS", "testdata/examples/shop.yaml").env("KS_SARIF", work.path().join("out.sarif"));
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            std::fs::read_to_string(&output).unwrap_or_default(),
        )
    };
    let check = |(code, out, err, output): (i32, String, String, String)| {
        assert_eq!(code, 1, "{out}{err}");
        assert_eq!(out.lines().filter(|l| l.starts_with("::error file=testdata/examples/shop.yaml,line=")).count(), 3, "{out}");
        let sarif: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(work.path().join("out.sarif")).unwrap()).unwrap();
        assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 6);
        assert_eq!(output, format!("sarif-file={}\n", work.path().join("out.sarif").display()));
    };
    let bin = env!("CARGO_BIN_EXE_kubectl-strategy");
    check(run(&[("KS_BIN", bin)]));
    // a release directory as the release workflow lays it out
    let release = work.path().join("release");
    std::fs::create_dir(&release).unwrap();
    let target = Command::new("bash").arg("-c").arg(format!("source {} && ks_target", script.display())).output().unwrap();
    let target = String::from_utf8_lossy(&target.stdout).trim().to_string();
    assert!(target.ends_with("-linux-musl") || target.ends_with("-apple-darwin"), "{target}");
    let asset = format!("kubectl-strategy-{target}.tar.gz");
    let stage = work.path().join("stage");
    std::fs::create_dir(&stage).unwrap();
    std::fs::copy(bin, stage.join("kubectl-strategy")).unwrap();
    let sh = |cmd: &str| {
        let o = Command::new("bash").arg("-c").arg(cmd).current_dir(&release).output().unwrap();
        assert!(o.status.success(), "{cmd}: {}", String::from_utf8_lossy(&o.stderr));
    };
    sh(&format!("tar -C {} -czf {asset} kubectl-strategy && sha256sum {asset} > {asset}.sha256", stage.display()));
    let base = format!("file://{}", release.display());
    check(run(&[("KS_DOWNLOAD_BASE", &base)]));
    // a tampered archive is refused before anything runs
    sh(&format!("echo x >> {asset}"));
    let (code, out, err, _) = run(&[("KS_DOWNLOAD_BASE", &base)]);
    assert_ne!(code, 0);
    assert!(out.is_empty() && err.contains("FAILED"), "{out}{err}");
}

#[test]
fn kubectl_runs_the_plugin() {
    if !tool("kubectl") {
        return;
    }
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-strategy")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let kubectl = |args: &[&str]| {
        let out = Command::new("kubectl").args(args).current_dir(repo_root()).env("PATH", &path).env("COLUMNS", "100").output().unwrap();
        crate::outcome(&out)
    };
    let (code, out, err) = kubectl(&["plugin", "list"]);
    assert!(out.contains("kubectl-strategy") || err.contains("kubectl-strategy"), "{out}{err}");
    let _ = code;
    let (code, out, err) = kubectl(&["strategy", "lint", "testdata/examples/shop.yaml"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("error[readiness-probe-missing]"), "{out}");
    let (code, _, _) = kubectl(&["strategy", "lint", "testdata/examples/clean.yaml"]);
    assert_eq!(code, 0);
    let (code, out, _) = kubectl(&["strategy", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage: kubectl strategy"), "{out}");
    let (code, _, err) = kubectl(&["strategy", "lint", "--bogus"]);
    assert_eq!(code, 2);
    assert!(err.contains("Usage: kubectl strategy lint"), "{err}");
    // kubectl's habits: -f names files (repeatable, - is stdin), -o the output format
    let (code, out, err) = kubectl(&["strategy", "lint", "-f", "testdata/examples/shop.yaml", "-o", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["summary"]["objects"], 3);
    let (code, out, err) =
        kubectl(&["strategy", "lint", "-f", "testdata/examples/clean.yaml", "--filename=testdata/examples/shop.yaml", "-o", "github"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.lines().any(|l| l.starts_with("::error file=testdata/examples/shop.yaml")), "{out}");
    let (code, out, _) = kubectl(&["strategy", "rules", "-o", "json"]);
    assert_eq!(code, 0);
    assert!(out.trim_start().starts_with('['), "{out}");
    for flags in [&["--kubeconfig", "/dev/null"][..], &["--context", "prod"], &["-n", "shop"], &["--namespace=shop"]] {
        let mut a = vec!["strategy", "lint", "testdata/examples/clean.yaml"];
        a.extend_from_slice(flags);
        let (code, _, err) = kubectl(&a);
        assert_eq!(code, 0, "{flags:?}: {err}");
    }
}

#[test]
fn pre_commit_runs_the_system_hook() {
    if !tool("pre-commit") || !tool("git") {
        return;
    }
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-strategy")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    // pre-commit try-repo needs the hook repository to be a git repository:
    // copy the hook manifest into one, so uncommitted work is tested too.
    let hooks = tempfile::tempdir().unwrap();
    std::fs::copy(repo_root().join(".pre-commit-hooks.yaml"), hooks.path().join(".pre-commit-hooks.yaml")).unwrap();
    let work = tempfile::tempdir().unwrap();
    git(hooks.path(), &["init", "-q"]);
    git(hooks.path(), &["add", "."]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);
    git(work.path(), &["init", "-q"]);
    let try_repo = |file: &str, text: &str| {
        std::fs::write(work.path().join(file), text).unwrap();
        git(work.path(), &["add", file]);
        let out = Command::new("pre-commit")
            .args(["try-repo", hooks.path().to_str().unwrap(), "kubectl-strategy-system", "--files", file])
            .current_dir(work.path())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", work.path().join(".cache"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = try_repo("bad.yaml", &fixture("readiness-probe-missing", "bad"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("readiness-probe-missing") && out.contains("bad.yaml:"), "{out}");
    let (code, out) = try_repo("good.yaml", &std::fs::read_to_string(repo_root().join("testdata/examples/clean.yaml")).unwrap());
    assert_eq!(code, 0, "{out}");
}
