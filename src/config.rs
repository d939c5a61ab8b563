//! `.kubectl-strategy.yaml`: which rules run, at which severity, with which
//! parameters; excluded paths; the failure threshold.
//!
//! The file is read with the same positioned YAML loader as manifests, so
//! every error points into the config file.

use crate::finding::Severity;
use crate::input::{Pos, Span};
use crate::manifest::json::to_json;
use crate::manifest::parse::parse_stream;
use crate::manifest::tree::{Node, Value};
pub use crate::rules::{Level, RuleSetting, Settings};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default config file name.
pub const FILE_NAME: &str = ".kubectl-strategy.yaml";

/// The failure threshold (`--fail-on`, `fail-on:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Which rules run, at which severity, with which parameters.
    pub rules: Settings,
    pub fail_on: Option<FailOn>,
    /// Globs of paths to skip, relative to `root`.
    pub exclude: Option<globset::GlobSet>,
    /// The directory of the config file.
    pub root: Option<PathBuf>,
    /// Where the config came from.
    pub path: Option<PathBuf>,
    /// `helm:` values per chart folder (paths relative to `root`).
    pub helm: BTreeMap<PathBuf, crate::render::HelmValues>,
    /// `max-file-mib:` the most a file may hold to be read, in bytes.
    pub max_file_bytes: Option<u64>,
}

impl Config {
    pub fn enabled(&self, rule: &str) -> bool {
        self.rules.enabled(rule)
    }

    /// The configured severity of a rule, if the config overrides it.
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        self.rules.severity(rule)
    }

    /// The most a file may hold to be read (`max-file-mib`, else 64 MiB).
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes.unwrap_or(crate::input::DEFAULT_MAX_FILE_BYTES)
    }

    /// Is a path excluded by the config's `exclude:` globs?
    pub fn excludes(&self, path: &Path) -> bool {
        let Some(set) = &self.exclude else {
            return false;
        };
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = self.root.as_ref().and_then(|r| abs.strip_prefix(r).ok()).unwrap_or(path);
        set.is_match(rel) || set.is_match(path)
    }
}

/// An error in the config file, with the file's text for a snippet.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {problem}", position(self))]
pub struct ConfigError {
    pub file: String,
    /// The file's text (empty when it could not be read).
    pub text: String,
    pub span: Span,
    #[source]
    pub problem: Problem,
}

/// `:LINE:COLUMN` of an error in the text; nothing for a file that could not be read.
fn position(e: &ConfigError) -> String {
    match e.problem {
        Problem::Read(_) | Problem::Refused(_) => String::new(),
        _ => format!(":{}:{}", e.span.start.line, e.span.start.col + 1),
    }
}

/// What is wrong with a config file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The file cannot be read.
    #[error("cannot read config file: {0}")]
    Read(#[source] std::io::Error),
    /// A file the tool does not read: a special file, a link leaving the repository, too large.
    #[error("config file not read: {0}")]
    Refused(#[source] crate::input::ReadError),
    /// Not YAML (the parser's message).
    #[error("not valid YAML: {0}")]
    NotYaml(String),
    /// A value of the wrong shape: what was expected there.
    #[error("{0}")]
    Shape(String),
    /// A top-level key the config does not know.
    #[error("unknown key `{0}`; expected rules, exclude, fail-on, helm, max-file-mib or kubernetesVersion")]
    UnknownKey(String),
    /// A key under `helm.<chart>` other than `values`, `set` and `kube-version`.
    #[error("unknown key; expected values, set or kube-version")]
    UnknownHelmKey,
    /// A glob that does not compile.
    #[error("bad glob: {0}")]
    BadGlob(#[source] globset::Error),
    /// The globs do not build into a set.
    #[error("{0}")]
    GlobSet(#[source] globset::Error),
    /// A rule level other than off, info, warning or error.
    #[error("unknown level `{0}`; expected off, info, warning or error")]
    UnknownLevel(String),
    /// A rule ID the registry does not know, with the nearest known one.
    #[error("unknown rule `{id}`{} (`kubectl strategy rules` lists them)", suggestion.map(|c| format!("; did you mean `{c}`?")).unwrap_or_default())]
    UnknownRule { id: String, suggestion: Option<&'static str> },
    /// A parameter the rule does not declare (the message lists those it does).
    #[error("rule `{rule}` has no parameter `{param}`; expected {}", expected_params(rule))]
    UnknownParam { rule: &'static str, param: String },
    /// A parameter value of the wrong type or out of range.
    #[error("bad value for `{param}`: {reason}")]
    BadParamValue { param: String, reason: String },
}

/// `severity` and the parameters `rule` declares, for a message.
fn expected_params(rule: &str) -> String {
    let known: Vec<&str> = crate::rules::find(rule).map(|r| r.params.iter().map(|p| p.name()).collect()).unwrap_or_default();
    if known.is_empty() { "severity".to_string() } else { format!("severity, {}", known.join(", ")) }
}

/// A problem at a span, before the file is known.
type At = (Span, Problem);

/// A shape problem at a node.
fn shape(n: &Node, m: impl Into<String>) -> At {
    (n.span, Problem::Shape(m.into()))
}

/// Find the config: the current directory or its parents, up to the
/// repository root (a directory holding `.git`).
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).ok()?;
    for dir in start.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

/// Read and validate a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let refused = |problem| ConfigError { file: name.clone(), text: String::new(), span: Span::default(), problem };
    // A repository's config is untrusted: no special file, no link out of the repository.
    let bytes = match crate::input::read_bytes(path, Some(&crate::input::boundary(path)), crate::input::DEFAULT_MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(crate::input::ReadError::Io(e)) => return Err(refused(Problem::Read(e))),
        Err(e) => return Err(refused(Problem::Refused(e))),
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| refused(Problem::Read(std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))))?;
    let mut config = parse(&name, &text)?;
    config.root = std::path::absolute(path).ok().and_then(|p| p.parent().map(Path::to_path_buf));
    config.path = Some(path.to_path_buf());
    if let Some(root) = &config.root {
        // Chart folders and values files are relative to the config file.
        config.helm = std::mem::take(&mut config.helm)
            .into_iter()
            .map(|(chart, mut v)| {
                v.files = v.files.iter().map(|f| root.join(f)).collect();
                (root.join(chart), v)
            })
            .collect();
    }
    Ok(config)
}

/// Parse config text (`name` is used in errors).
pub fn parse(name: &str, text: &str) -> Result<Config, ConfigError> {
    let err = |(span, problem): At| ConfigError { file: name.to_string(), text: text.to_string(), span, problem };
    let mut docs = parse_stream(text.strip_prefix('\u{feff}').unwrap_or(text)).into_iter();
    let root = match docs.next().map(|d| d.result) {
        None => return Ok(Config::default()),
        Some(Err(e)) => {
            let span = Span { start: e.pos, end: Pos { line: e.pos.line, col: e.pos.col + 1 } };
            return Err(err((span, Problem::NotYaml(e.message))));
        }
        Some(Ok(root)) => root,
    };
    if matches!(root.value, Value::Null) {
        return Ok(Config::default());
    }
    let Some(entries) = root.as_map() else {
        return Err(err(shape(&root, "the config must be a mapping with `rules`, `exclude` and `fail-on`")));
    };
    let mut config = Config::default();
    let mut kube_version = None;
    for e in entries {
        match e.key_str() {
            Some("rules") => config.rules = rules(&e.value).map_err(err)?,
            Some("kubernetesVersion") => kube_version = Some(version(&e.value, "kubernetesVersion").map_err(err)?),
            Some("exclude") => {
                let mut b = globset::GlobSetBuilder::new();
                let items = e.value.as_seq().ok_or_else(|| err(shape(&e.value, "`exclude` must be a list of globs")))?;
                for item in items {
                    let glob = item.as_str().ok_or_else(|| err(shape(item, "a glob must be a string")))?;
                    b.add(globset::Glob::new(glob).map_err(|x| err((item.span, Problem::BadGlob(x))))?);
                }
                config.exclude = Some(b.build().map_err(|x| err((e.value.span, Problem::GlobSet(x))))?);
            }
            Some("helm") => config.helm = helm(&e.value).map_err(err)?,
            Some("max-file-mib") => {
                let mib =
                    e.value.as_i64().and_then(|n| u64::try_from(n).ok()).filter(|n| (1..=MAX_FILE_MIB_LIMIT).contains(n)).ok_or_else(
                        || err(shape(&e.value, format!("`max-file-mib` must be a whole number of MiB from 1 to {MAX_FILE_MIB_LIMIT}"))),
                    )?;
                config.max_file_bytes = Some(mib << 20);
            }
            Some("fail-on") => {
                config.fail_on = Some(
                    serde_json::from_value(to_json(&e.value))
                        .map_err(|_| err(shape(&e.value, "`fail-on` must be one of error, warning, info, never")))?,
                );
            }
            _ => {
                return Err(err((e.key.span, Problem::UnknownKey(e.key.scalar_text().unwrap_or_default()))));
            }
        }
    }
    config.rules.kube_version = kube_version;
    Ok(config)
}

/// A Kubernetes version, as `kubernetesVersion:` and a chart's `kube-version:` take it.
fn version(n: &Node, key: &str) -> Result<String, At> {
    n.as_str().filter(|s| crate::manifest::version::valid(s)).map(str::to_string).ok_or_else(|| {
        shape(n, format!("`{key}` must be a Kubernetes version such as v1.36 or \"1.36.2\" (a string: 1.30 unquoted is the number 1.3)"))
    })
}

/// The largest `max-file-mib` (1 TiB: a bound that cannot overflow).
const MAX_FILE_MIB_LIMIT: u64 = 1 << 20;

/// `helm: {CHART_DIR: {values: [FILE…], set: {KEY: VALUE} | [KEY=VALUE…], kube-version: VERSION}}`.
fn helm(n: &Node) -> Result<BTreeMap<PathBuf, crate::render::HelmValues>, At> {
    let entries = n.as_map().ok_or_else(|| shape(n, "`helm` must map chart folders to `values` and `set`"))?;
    let mut out = BTreeMap::new();
    for e in entries {
        let chart = e.key.scalar_text().unwrap_or_default();
        let items = e.value.as_map().ok_or_else(|| shape(&e.value, format!("`helm.{chart}` must be a mapping with `values` and `set`")))?;
        let mut v = crate::render::HelmValues::default();
        for item in items {
            match item.key_str() {
                Some("values") => {
                    for f in item.value.as_seq().ok_or_else(|| shape(&item.value, "`values` must be a list of files"))? {
                        v.files.push(f.as_str().ok_or_else(|| shape(f, "a values file must be a string"))?.into());
                    }
                }
                Some("set") => match (&item.value.as_map(), &item.value.as_seq()) {
                    (Some(m), _) => {
                        for kv in *m {
                            let value = kv.value.scalar_text().ok_or_else(|| shape(&kv.value, "a value to set must be a scalar"))?;
                            v.set.push(format!("{}={value}", kv.key.scalar_text().unwrap_or_default()));
                        }
                    }
                    (_, Some(list)) => {
                        for s in *list {
                            let s = s.as_str().filter(|s| s.contains('=')).ok_or_else(|| shape(s, "expected KEY=VALUE"))?;
                            v.set.push(s.to_string());
                        }
                    }
                    _ => return Err(shape(&item.value, "`set` must map keys to values or list KEY=VALUE")),
                },
                Some("kube-version") => v.kube_version = Some(version(&item.value, "kube-version")?),
                _ => return Err((item.key.span, Problem::UnknownHelmKey)),
            }
        }
        out.insert(PathBuf::from(chart), v);
    }
    Ok(out)
}

fn level(n: &Node) -> Result<Level, At> {
    match &n.value {
        // `off` is a boolean in YAML 1.1.
        Value::Bool(false) => Ok(Level::Off),
        Value::Str(s) if &**s == "off" => Ok(Level::Off),
        Value::Str(s) => Severity::parse(s).map(Level::On).ok_or_else(|| (n.span, Problem::UnknownLevel(s.to_string()))),
        _ => Err(shape(n, "a rule's level must be off, info, warning or error")),
    }
}

fn rules(n: &Node) -> Result<Settings, At> {
    let entries = n.as_map().ok_or_else(|| shape(n, "`rules` must map rule IDs to a level or settings"))?;
    let mut out = Settings::default();
    for e in entries {
        let id = e.key.scalar_text().unwrap_or_default();
        let Some(rule) = crate::rules::find(&id) else {
            let suggestion = crate::rules::closest(&id);
            return Err((e.key.span, Problem::UnknownRule { id, suggestion }));
        };
        let mut setting = RuleSetting::default();
        match e.value.as_map() {
            None => setting.level = Some(level(&e.value)?),
            Some(items) => {
                for item in items {
                    let key = item.key.scalar_text().unwrap_or_default();
                    if key == "severity" {
                        setting.level = Some(level(&item.value)?);
                        continue;
                    }
                    let Some(spec) = rule.params.iter().find(|p| p.name() == key) else {
                        return Err((item.key.span, Problem::UnknownParam { rule: rule.id, param: key }));
                    };
                    let value = to_json(&item.value);
                    spec.check(&value).map_err(|reason| (item.value.span, Problem::BadParamValue { param: key.clone(), reason }))?;
                    setting.params.insert(key, value);
                }
            }
        }
        out.rules.insert(id, setting);
    }
    Ok(out)
}

/// The file's shape as the JSON Schema publishes it (`config-schema`; per-rule settings are
/// added by `json_schema`). `parse` reads the file by hand instead, to point at each error.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "kubectl-strategy configuration", description = "The .kubectl-strategy.yaml file of kubectl-strategy")]
pub struct ConfigFile {
    /// Rules to turn off, re-grade or parameterise, by rule ID.
    #[serde(default)]
    pub rules: BTreeMap<String, serde_json::Value>,
    /// Globs (relative to the config file's directory) of paths not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Exit 1 when a finding at or above this severity exists (the --fail-on flag wins).
    pub fail_on: Option<FailOn>,
    /// Helm values per chart folder (relative to this file), used when charts are rendered.
    #[serde(default)]
    pub helm: BTreeMap<String, HelmChart>,
    /// The most a file may hold to be linted, in MiB (default 64): a bigger file is an error and
    /// is not read (bounds memory on untrusted input). Raise it for large generated manifests.
    #[schemars(range(min = 1, max = 1048576))]
    pub max_file_mib: Option<u64>,
    /// The Kubernetes version the manifests are for, e.g. v1.31 or 1.31.4: removed and deprecated
    /// API versions are judged at it, and charts without a `kube-version` of their own are rendered
    /// for it (the --kube-version flag wins); default v1.36.2, the newest this release knows.
    #[serde(rename = "kubernetesVersion")]
    #[schemars(regex(pattern = r"^v?[0-9]{1,9}\.[0-9]{1,9}(\.[0-9]{1,9})?$"))]
    pub kubernetes_version: Option<String>,
}

/// Values for one chart.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HelmChart {
    /// Values files (relative to the config file), after the chart's values.yaml; later ones win.
    #[serde(default)]
    pub values: Vec<String>,
    /// Values to set, as `helm --set` does: a mapping of dotted keys, or a list of KEY=VALUE.
    pub set: Option<serde_json::Value>,
    /// The Kubernetes version to render this chart for (`helm template --kube-version`), e.g. v1.36
    /// or 1.36.2; the --kube-version flag wins; default `kubernetesVersion`, else v1.36.2.
    #[serde(rename = "kube-version")]
    #[schemars(regex(pattern = r"^v?[0-9]{1,9}\.[0-9]{1,9}(\.[0-9]{1,9})?$"))]
    pub kube_version: Option<String>,
}

/// The JSON Schema of `.kubectl-strategy.yaml`.
pub fn json_schema() -> serde_json::Value {
    let mut g = schemars::SchemaGenerator::default();
    let mut schema = serde_json::to_value(g.root_schema_for::<ConfigFile>()).expect("schema serializes");
    let level = serde_json::json!({"enum": ["off", false, "info", "warning", "error"]});
    let mut props = serde_json::Map::new();
    for r in crate::rules::REGISTRY {
        let mut settings = serde_json::Map::new();
        settings.insert("severity".into(), level.clone());
        for p in r.params {
            settings.insert(p.name().into(), serde_json::to_value(p.schema(&mut g)).expect("schema serializes"));
        }
        let doc = crate::docs::parse(r).map(|d| d.summary).unwrap_or_default();
        props.insert(
            r.id.into(),
            serde_json::json!({
                "description": doc,
                "anyOf": [level, {"type": "object", "additionalProperties": false, "properties": settings}]
            }),
        );
    }
    schema["properties"]["rules"] = serde_json::json!({
        "description": "Rules to turn off, re-grade or parameterise, by rule ID.",
        "type": "object",
        "additionalProperties": false,
        "properties": props,
    });
    let defs = serde_json::to_value(g.definitions()).expect("defs serialize");
    if defs.as_object().is_some_and(|d| !d.is_empty()) {
        schema["$defs"] = defs;
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_names_the_file_the_position_and_what_was_expected() {
        let e = parse("c.yaml", "rules:\n  slow-start-without-startup-probe:\n    threshold: 3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.yaml:3:5: rule `slow-start-without-startup-probe` has no parameter `threshold`; expected severity, min-initial-delay-seconds"
        );
        let e = parse("c.yaml", "rules:\n  liveness-probe-missing:\n    threshold: 3\n").unwrap_err();
        assert_eq!(e.to_string(), "c.yaml:3:5: rule `liveness-probe-missing` has no parameter `threshold`; expected severity");
        // Not YAML: the error covers the one character where the parser stopped.
        let e = parse("c.yaml", "rules:\n  a: [b\n").unwrap_err();
        assert!(matches!(e.problem, Problem::NotYaml(_)), "{e}");
        assert_eq!((e.span.end.line, e.span.end.col), (e.span.start.line, e.span.start.col + 1), "{e}");
        // A file that cannot be read has no position.
        let e = load(Path::new("/nonexistent/.kubectl-strategy.yaml")).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/.kubectl-strategy.yaml: cannot read config file: "), "{e}");
    }

    #[test]
    fn helm_set_takes_a_map_or_a_list_of_key_value_pairs() {
        let c = parse("c.yaml", "helm:\n  charts/a:\n    set: {replicaCount: 3}\n  charts/b:\n    set: [\"image.tag=1.2\"]\n").unwrap();
        assert_eq!(c.helm[Path::new("charts/a")].set, ["replicaCount=3"]);
        assert_eq!(c.helm[Path::new("charts/b")].set, ["image.tag=1.2"]);
        let e = parse("c.yaml", "helm:\n  charts/b:\n    set: [\"no-equals\"]\n").unwrap_err();
        assert_eq!(e.to_string(), "c.yaml:3:11: expected KEY=VALUE");
    }

    #[test]
    fn helm_kube_version_is_a_version_and_nothing_else() {
        let c = parse("c.yaml", "helm:\n  charts/a:\n    kube-version: v1.30\n  charts/b:\n    kube-version: \"1.29.3\"\n").unwrap();
        assert_eq!(c.helm[Path::new("charts/a")].kube_version.as_deref(), Some("v1.30"));
        assert_eq!(c.helm[Path::new("charts/b")].kube_version.as_deref(), Some("1.29.3"));
        // Never an option of helm, never a range, never a number YAML rounded (1.30 is 1.3).
        for bad in ["\"--set=x\"", "\"1.30 --debug\"", "\">=1.22\"", "1.30", "v1", "\"1.2.3.4\"", "\"v1.x\""] {
            let e = parse("c.yaml", &format!("helm:\n  charts/a:\n    kube-version: {bad}\n")).unwrap_err();
            assert!(e.to_string().starts_with("c.yaml:3:19: `kube-version` must be a Kubernetes version"), "{bad}: {e}");
        }
    }

    #[test]
    fn kubernetes_version_is_a_version_and_nothing_else() {
        let c = parse("c.yaml", "kubernetesVersion: \"1.29.3\"\nrules:\n  pdb-missing: off\n").unwrap();
        assert_eq!(c.rules.kube_version.as_deref(), Some("1.29.3"));
        assert!(!c.enabled("pdb-missing"));
        assert_eq!(parse("c.yaml", "rules: {}\n").unwrap().rules.kube_version, None);
        for bad in ["\"--set=x\"", "\">=1.22\"", "1.30", "v1", "\"v1.x\"", "[1]"] {
            let e = parse("c.yaml", &format!("kubernetesVersion: {bad}\n")).unwrap_err();
            assert!(e.to_string().starts_with("c.yaml:1:20: `kubernetesVersion` must be a Kubernetes version"), "{bad}: {e}");
        }
    }

    #[test]
    fn off_quoted_or_not_turns_a_rule_off() {
        for text in ["rules:\n  pdb-missing: off\n", "rules:\n  pdb-missing: \"off\"\n", "rules:\n  pdb-missing: {severity: \"off\"}\n"] {
            let c = parse("c.yaml", text).unwrap();
            assert!(!c.enabled("pdb-missing"), "{text}");
            assert!(c.enabled("single-replica"), "{text}");
        }
        let c = parse("c.yaml", "rules:\n  pdb-missing: \"error\"\n").unwrap();
        assert!(c.enabled("pdb-missing"));
        assert_eq!(c.severity("pdb-missing"), Some(Severity::Error));
    }
}
