//! `--format sarif`: SARIF 2.1.0 for code scanning.

use crate::docs;
use crate::finding::{Region, Severity};
use crate::lint::Report;
use serde_json::json;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative URI for a file name (forward slashes, percent-encoded).
fn uri(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim_start_matches("./").replace('\\', "/").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' => out.push(c),
            _ => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// `default/apps/v1/Deployment/web`: a live object's logical location.
fn logical_name(o: Option<&crate::finding::ObjectRef>) -> String {
    match o {
        Some(o) => format!("{}/{}/{}/{}", o.namespace.as_deref().unwrap_or("-"), o.api_version, o.kind, o.name.as_deref().unwrap_or("-")),
        None => String::new(),
    }
}

pub fn to_string(report: &Report) -> String {
    let fixes = crate::fix::Replacer::new(report.files.iter().map(|f| f.text.as_str()));
    let docs = docs::all();
    let rules: Vec<_> = docs
        .iter()
        .map(|d| {
            let markdown = format!(
                "{}\n\n**Why.** {}\n\n**Bad**\n\n```yaml\n{}```\n\n**Good**\n\n```yaml\n{}```\n\n**How to fix.** {}",
                d.summary,
                d.why.trim(),
                d.bad,
                d.good,
                d.fix.trim()
            );
            json!({
                "id": d.id,
                "name": d.id,
                "shortDescription": {"text": d.summary},
                "fullDescription": {"text": d.why.trim()},
                "help": {"text": format!("{}\n\nHow to fix: {}", d.why.trim(), d.fix.trim()), "markdown": markdown},
                "defaultConfiguration": {"level": level(d.severity)},
                "properties": {"category": d.category, "tags": [d.category]},
            })
        })
        .collect();
    let results: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let file = &report.files[f.file];
            let r = Region::of(f);
            let rule_index = docs.iter().position(|d| d.id == f.rule).unwrap_or(0);
            let mut message = f.message.clone();
            if let Some(h) = &f.help {
                message.push_str(&format!(" (help: {h})"));
            }
            let location = match &report.cluster {
                Some(_) => json!({"logicalLocations": [{
                    "fullyQualifiedName": format!("{}{}", logical_name(f.object.as_ref()), f.path),
                    "name": f.object.as_ref().and_then(|o| o.name.clone()).unwrap_or_default(),
                    "kind": "resource",
                }]}),
                None => json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&file.name)},
                        "region": {
                            "startLine": r.line,
                            "startColumn": r.column,
                            "endLine": r.end_line,
                            "endColumn": r.end_column,
                        }
                    }
                }),
            };
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": {"text": message},
                "locations": [location],
                "partialFingerprints": {"kubectlStrategy/v1": f.fingerprint(&crate::input::repo_relative(&file.name))},
            });
            if let Some(o) = &f.object {
                result["properties"] = json!({"object": o, "path": f.path});
            }
            if let Some(at) = &f.rendered {
                result["properties"]["rendered"] = json!(at);
            }
            if let Some(fix) = &f.fix {
                let replacements: Vec<_> = fixes.of(f.file, f)
                    .iter()
                    .map(|r| {
                        json!({
                            "deletedRegion": {"startLine": r.region.line, "startColumn": r.region.column, "endLine": r.region.end_line, "endColumn": r.region.end_column},
                            "insertedContent": {"text": r.content},
                        })
                    })
                    .collect();
                if !replacements.is_empty() {
                    result["fixes"] = json!([{
                        "description": {"text": format!("{} ({})", fix.title, fix.applicability.as_str())},
                        "artifactChanges": [{"artifactLocation": {"uri": uri(&file.name)}, "replacements": replacements}],
                    }]);
                }
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubectl-strategy",
                "informationUri": "https://github.com/kubectl-strategy/kubectl-strategy",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).expect("serializable") + "\n"
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(super::uri("./k8s/my app.yaml"), "k8s/my%20app.yaml");
        assert_eq!(super::uri("k8s/ü.yaml"), "k8s/%C3%BC.yaml");
    }

    #[test]
    fn a_live_object_is_located_by_namespace_api_version_kind_and_name() {
        use crate::finding::ObjectRef;
        let o = |namespace: Option<&str>, name: Option<&str>| ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: namespace.map(Into::into),
            name: name.map(Into::into),
        };
        assert_eq!(super::logical_name(Some(&o(Some("shop"), Some("web")))), "shop/apps/v1/Deployment/web");
        assert_eq!(super::logical_name(Some(&o(None, None))), "-/apps/v1/Deployment/-");
        assert_eq!(super::logical_name(None), "");
    }
}
