//! Rule documentation: the prose and examples of rules/<id>.yaml (summary,
//! why, bad, good, how to fix, what the autofix does, what each parameter
//! means), joined with the facts the rule declares in its file
//! (`declare_rule!`: id, default severity, fix applicability, parameters
//! and their defaults), which the YAML does not repeat.

use crate::finding::Severity;
use crate::manifest::parse::parse_stream;
use crate::manifest::tree::Node;
use crate::rules::{REGISTRY, RuleEntry};
use serde::Serialize;

/// A rule parameter as the docs show it.
#[derive(Clone, Debug, Serialize)]
pub struct ParamDoc {
    pub name: String,
    /// The default, as YAML text.
    pub default: String,
    pub description: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleDoc {
    pub id: String,
    pub category: String,
    pub severity: Severity,
    pub summary: String,
    pub why: String,
    pub bad: String,
    pub good: String,
    pub fix: String,
    pub params: Vec<ParamDoc>,
    /// What `lint --fix` does for this rule, or why it does nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autofix: Option<AutoFix>,
}

/// The `autofix:` section of a rule doc.
#[derive(Clone, Debug, Serialize)]
pub struct AutoFix {
    /// `safe`, `unsafe` (the rule's declared fix), or `none` (the rule
    /// declares no fix; `what` says why).
    pub applicability: String,
    pub what: String,
}

impl RuleDoc {
    /// `safe` / `unsafe` when the rule has a fix.
    pub fn fix_applicability(&self) -> Option<&str> {
        self.autofix.as_ref().map(|a| a.applicability.as_str()).filter(|a| *a != "none")
    }
}

/// What is wrong with a rule document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// The file holds no document.
    #[error("empty document")]
    Empty,
    /// Not YAML: the line and the parser's message.
    #[error("line {line}: {message}")]
    NotYaml { line: u32, message: String },
    /// A required key is missing (or not a scalar).
    #[error("missing `{0}`")]
    Missing(&'static str),
    /// A fact the rule declares in its file (`id`, `severity`, a parameter's
    /// `default`, the autofix `applicability`) stated again in the YAML.
    #[error("`{0}` is declared with `declare_rule!` in the rule's file, not in its doc")]
    Declared(&'static str),
    /// A parameter description for a parameter the rule does not declare.
    #[error("describes a parameter `{0}` that the rule does not declare")]
    UnknownParam(String),
    /// A declared parameter without a description.
    #[error("parameter `{0}` has no description")]
    Undescribed(&'static str),
    /// The rule declares a fix and the doc does not say what it does (`autofix.what`).
    #[error("the rule declares a fix; `autofix.what` must say what it does")]
    AutofixUndescribed,
}

/// `explain` of a rule the registry does not know, with the nearest known ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule `{id}`; {}`kubectl strategy rules` lists them", suggestion.map(|c| format!("did you mean `{c}`? ")).unwrap_or_default())]
pub struct UnknownRule {
    pub id: String,
    pub suggestion: Option<&'static str>,
}

fn text(n: &Node, key: &'static str) -> Result<String, DocError> {
    n.get(key).and_then(Node::scalar_text).ok_or(DocError::Missing(key))
}

/// A parameter's default as flow YAML (`[{keys: [a, b]}]`); unset optional
/// fields (null) are left out.
fn yaml_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Array(items) => format!("[{}]", items.iter().map(yaml_text).collect::<Vec<_>>().join(", ")),
        Value::Object(es) => format!(
            "{{{}}}",
            es.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| format!("{k}: {}", yaml_text(v))).collect::<Vec<_>>().join(", ")
        ),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The doc of a registered rule: its rules/<id>.yaml with the facts it declares.
pub fn parse(rule: &RuleEntry) -> Result<RuleDoc, DocError> {
    let docs = parse_stream(rule.doc);
    let root =
        docs.into_iter().next().ok_or(DocError::Empty)?.result.map_err(|e| DocError::NotYaml { line: e.pos.line, message: e.message })?;
    for key in ["id", "severity"] {
        if root.get(key).is_some() {
            return Err(DocError::Declared(key));
        }
    }
    let described = root.get("params").and_then(Node::as_seq).unwrap_or_default();
    let mut descriptions = Vec::with_capacity(described.len());
    for p in described {
        if p.get("default").is_some() {
            return Err(DocError::Declared("default"));
        }
        let name = text(p, "name")?;
        if !rule.params.iter().any(|d| d.name() == name) {
            return Err(DocError::UnknownParam(name));
        }
        descriptions.push((name, text(p, "description")?));
    }
    let params = rule
        .params
        .iter()
        .map(|p| {
            let description = descriptions.iter().find(|(n, _)| n == p.name()).ok_or(DocError::Undescribed(p.name()))?.1.clone();
            Ok(ParamDoc { name: p.name().to_string(), default: yaml_text(&p.default_json()), description })
        })
        .collect::<Result<Vec<_>, DocError>>()?;
    let autofix = match root.get("autofix") {
        Some(a) if a.get("applicability").is_some() => return Err(DocError::Declared("applicability")),
        Some(a) => Some(AutoFix { applicability: rule.fix.map_or("none", |f| f.as_str()).to_string(), what: text(a, "what")? }),
        None if rule.fix.is_some() => return Err(DocError::AutofixUndescribed),
        None => None,
    };
    Ok(RuleDoc {
        id: rule.id.to_string(),
        category: text(&root, "category")?,
        severity: rule.severity,
        summary: text(&root, "summary")?,
        why: text(&root, "why")?,
        bad: text(&root, "bad")?,
        good: text(&root, "good")?,
        fix: text(&root, "fix")?,
        params,
        autofix,
    })
}

/// All rule docs, in catalogue order.
pub fn all() -> Vec<RuleDoc> {
    REGISTRY.iter().map(|r| parse(r).unwrap_or_else(|e| panic!("rules/{}.yaml is invalid: {e}", r.id))).collect()
}

/// The doc of a rule, or which rule was likely meant.
pub fn get(id: &str) -> Result<RuleDoc, UnknownRule> {
    let unknown = || UnknownRule { id: id.to_string(), suggestion: crate::rules::closest(id) };
    let r = crate::rules::find(id).ok_or_else(unknown)?;
    parse(r).map_err(|_| unknown())
}

/// The README's rule table.
pub fn markdown_table() -> String {
    let mut s = String::from("| id | category | default | fix | summary |\n|---|---|---|---|---|\n");
    for d in all() {
        let fix = d.fix_applicability().unwrap_or("");
        s.push_str(&format!("| `{}` | {} | {} | {fix} | {} |\n", d.id, d.category, d.severity, d.summary.replace('|', "\\|")));
    }
    s
}

/// A plain-text table for terminals.
pub fn text_table() -> String {
    let docs = all();
    let w_id = docs.iter().map(|d| d.id.len()).max().unwrap_or(2);
    let w_cat = docs.iter().map(|d| d.category.len()).max().unwrap_or(8);
    let mut s = format!("{:w_id$}  {:w_cat$}  {:7}  SUMMARY\n", "ID", "CATEGORY", "DEFAULT");
    for d in docs {
        s.push_str(&format!("{:w_id$}  {:w_cat$}  {:7}  {}\n", d.id, d.category, d.severity.as_str(), d.summary));
    }
    s
}

/// `kubectl strategy explain RULE`.
pub fn explain(d: &RuleDoc) -> String {
    let mut s = format!("{} ({}, default {})\n\n{}\n\nWhy\n{}\n", d.id, d.category, d.severity, d.summary, indent(&d.why));
    s.push_str(&format!("\nBad\n{}\nGood\n{}\nHow to fix\n{}", indent(&d.bad), indent(&d.good), indent(&d.fix)));
    if let Some(a) = &d.autofix {
        match a.applicability.as_str() {
            "none" => s.push_str(&format!("\nNo automatic fix\n{}", indent(&a.what))),
            app => s.push_str(&format!(
                "\nAutomatic fix ({app}: lint --fix{})\n{}",
                if app == "unsafe" { " --unsafe-fixes" } else { "" },
                indent(&a.what)
            )),
        }
    }
    if !d.params.is_empty() {
        s.push_str("\nParameters (in .kubectl-strategy.yaml under rules.<id>)\n");
        for p in &d.params {
            s.push_str(&format!("  {} (default {}): {}\n", p.name, p.default, p.description));
        }
    }
    s.push_str(&format!("\nSuppress on one object with the annotation ignore-check.kubectl-strategy.io/{}: \"<reason>\"\n", d.id));
    s
}

fn indent(t: &str) -> String {
    t.lines().map(|l| if l.is_empty() { String::from("\n") } else { format!("  {l}\n") }).collect()
}
