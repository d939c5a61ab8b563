//! Rule documentation, embedded from rules/<id>.yaml.

use crate::finding::Severity;
use crate::manifest::parse::parse_stream;
use crate::manifest::tree::Node;
use crate::rules::REGISTRY;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Param {
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
    pub params: Vec<Param>,
    /// What `lint --fix` does for this rule, or why it does nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autofix: Option<AutoFix>,
}

/// The `autofix:` section of a rule doc.
#[derive(Clone, Debug, Serialize)]
pub struct AutoFix {
    /// `safe`, `unsafe`, or `none` (the rule deliberately has no fix; `what` says why).
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocError {
    /// The file holds no document.
    Empty,
    /// Not YAML: the line and the parser's message.
    NotYaml { line: u32, message: String },
    /// A required key is missing (or not a scalar).
    Missing(&'static str),
    /// A parameter without a default.
    ParamWithoutDefault,
    /// A severity other than info, warning or error.
    BadSeverity(String),
    /// An autofix applicability other than safe, unsafe or none.
    BadApplicability(String),
}

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocError::Empty => f.write_str("empty document"),
            DocError::NotYaml { line, message } => write!(f, "line {line}: {message}"),
            DocError::Missing(key) => write!(f, "missing `{key}`"),
            DocError::ParamWithoutDefault => f.write_str("param without default"),
            DocError::BadSeverity(s) => write!(f, "bad severity {s}"),
            DocError::BadApplicability(a) => write!(f, "autofix applicability `{a}` is not safe, unsafe or none"),
        }
    }
}

impl std::error::Error for DocError {}

/// `explain` of a rule the registry does not know, with the nearest known ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule {
    pub id: String,
    pub suggestion: Option<&'static str>,
}

impl std::fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hint = self.suggestion.map(|c| format!("did you mean `{c}`? ")).unwrap_or_default();
        write!(f, "unknown rule `{}`; {hint}`kubectl strategy rules` lists them", self.id)
    }
}

impl std::error::Error for UnknownRule {}

fn text(n: &Node, key: &'static str) -> Result<String, DocError> {
    n.get(key).and_then(Node::scalar_text).ok_or(DocError::Missing(key))
}

fn yaml_text(n: &Node) -> String {
    match &n.value {
        crate::manifest::tree::Value::Seq(items) => {
            format!("[{}]", items.iter().map(yaml_text).collect::<Vec<_>>().join(", "))
        }
        crate::manifest::tree::Value::Map(es) => format!(
            "{{{}}}",
            es.iter()
                .map(|e| format!("{}: {}", e.key.scalar_text().unwrap_or_default(), yaml_text(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => n.scalar_text().unwrap_or_default(),
    }
}

/// Parse one rule document.
pub fn parse(source: &str) -> Result<RuleDoc, DocError> {
    let docs = parse_stream(source);
    let root =
        docs.into_iter().next().ok_or(DocError::Empty)?.result.map_err(|e| DocError::NotYaml { line: e.pos.line, message: e.message })?;
    let severity = text(&root, "severity")?;
    let params = root
        .get("params")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            Ok(Param {
                name: text(p, "name")?,
                default: p.get("default").map(yaml_text).ok_or(DocError::ParamWithoutDefault)?,
                description: text(p, "description")?,
            })
        })
        .collect::<Result<Vec<_>, DocError>>()?;
    Ok(RuleDoc {
        id: text(&root, "id")?,
        category: text(&root, "category")?,
        severity: Severity::parse(&severity).ok_or_else(|| DocError::BadSeverity(severity.clone()))?,
        summary: text(&root, "summary")?,
        why: text(&root, "why")?,
        bad: text(&root, "bad")?,
        good: text(&root, "good")?,
        fix: text(&root, "fix")?,
        params,
        autofix: match root.get("autofix") {
            None => None,
            Some(a) => {
                let applicability = text(a, "applicability")?;
                if !matches!(applicability.as_str(), "safe" | "unsafe" | "none") {
                    return Err(DocError::BadApplicability(applicability));
                }
                Some(AutoFix { applicability, what: text(a, "what")? })
            }
        },
    })
}

/// All rule docs, in catalogue order.
pub fn all() -> Vec<RuleDoc> {
    REGISTRY.iter().map(|r| parse(r.doc).unwrap_or_else(|e| panic!("rules/{}.yaml is invalid: {e}", r.id))).collect()
}

/// The doc of a rule, or which rule was likely meant.
pub fn get(id: &str) -> Result<RuleDoc, UnknownRule> {
    let unknown = || UnknownRule { id: id.to_string(), suggestion: crate::config::closest_rule(id) };
    let r = crate::rules::find(id).ok_or_else(unknown)?;
    parse(r.doc).map_err(|_| unknown())
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
