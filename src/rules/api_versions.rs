//! The table of removed and deprecated API versions (`api_versions.tsv`, its
//! sources named in its header), read once, and what `api-version-removed`
//! and `api-version-deprecated` share: the target version, the replacement
//! at that version and the fix that moves an object to it.

use super::Settings;
use crate::edit::{Op, Yaml};
use crate::finding::Fix;
use crate::manifest::Object;
use crate::manifest::tree::{Node, Value};
use std::sync::LazyLock;

/// How the replacement reads an object written for the old version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Schema {
    /// As it is: changing `apiVersion` is the whole migration (a safe fix).
    Same,
    /// The same fields once `spec.selector` is written (the old version
    /// defaulted it to the template labels, which the fix writes): a safe fix.
    Selector,
    /// The same fields, but a default or a meaning changed (an unsafe fix; the note says which).
    Defaults,
    /// As `Selector`, and a default changed (an unsafe fix).
    SelectorDefaults,
    /// Fields were renamed, moved or became required (no fix of `apiVersion` alone).
    Changed,
    /// No replacement.
    None,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Row {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The minor release (of 1.x) that deprecated it, when one did apart from the removal.
    pub deprecated: Option<u32>,
    /// The minor release that stopped serving it; `None`: still served.
    pub removed: Option<u32>,
    /// The apiVersion to use instead, and the kind when it is another.
    pub replacement: Option<(&'static str, Option<&'static str>)>,
    pub schema: Schema,
    /// What changed (for `Defaults` and `Changed`).
    pub note: Option<&'static str>,
}

/// Why a line of the table does not read.
#[derive(Debug, thiserror::Error)]
pub(super) enum TableError {
    #[error("line {line}: expected 7 tab-separated columns, found {found}")]
    Columns { line: usize, found: usize },
    #[error("line {line}: `{text}` is not a release such as 1.25 (or -)")]
    Release { line: usize, text: String },
    #[error("line {line}: `{text}` is not one of same, selector, defaults, selector-defaults, changed, none")]
    Schema { line: usize, text: String },
}

/// `1.N` as N; `-` as nothing.
fn release(line: usize, text: &str) -> Result<Option<u32>, TableError> {
    if text == "-" {
        return Ok(None);
    }
    let bad = || TableError::Release { line, text: text.to_string() };
    let minor = text.strip_prefix("1.").ok_or_else(bad)?;
    minor.parse().map(Some).map_err(|_| bad())
}

/// Read the table's text (comments start with `#`).
pub(super) fn parse(text: &'static str) -> Result<Vec<Row>, TableError> {
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.starts_with('#') || raw.trim().is_empty() {
            continue;
        }
        let cols: Vec<&'static str> = raw.split('\t').collect();
        let [api_version, kind, deprecated, removed, replacement, schema, note] = cols[..] else {
            return Err(TableError::Columns { line, found: cols.len() });
        };
        let schema = match schema {
            "same" => Schema::Same,
            "defaults" => Schema::Defaults,
            "selector" => Schema::Selector,
            "selector-defaults" => Schema::SelectorDefaults,
            "changed" => Schema::Changed,
            "none" => Schema::None,
            other => return Err(TableError::Schema { line, text: other.to_string() }),
        };
        let replacement = match replacement {
            "-" => None,
            r => Some(match r.split_once(' ') {
                Some((v, k)) => (v, Some(k)),
                None => (r, None),
            }),
        };
        rows.push(Row {
            api_version,
            kind,
            deprecated: release(line, deprecated)?,
            removed: release(line, removed)?,
            replacement,
            schema,
            note: (note != "-").then_some(note),
        });
    }
    Ok(rows)
}

/// The table, read once (its test reads it at build time of the tests: a
/// line that does not read fails them).
pub(super) static TABLE: LazyLock<Vec<Row>> =
    LazyLock::new(|| parse(include_str!("api_versions.tsv")).expect("src/rules/api_versions.tsv reads (tested)"));

/// The row of an object's apiVersion and kind.
pub(super) fn row(api_version: &str, kind: &str) -> Option<&'static Row> {
    TABLE.iter().find(|r| r.api_version == api_version && r.kind == kind)
}

/// The minor release (of 1.x) a run targets: `--kube-version`, else
/// `kubernetesVersion:`, else [`KUBE_VERSION`](crate::manifest::version::KUBE_VERSION).
/// A major other than 1 is past every row of the table.
pub(super) fn target(settings: &Settings) -> u32 {
    let version = settings.kube_version.as_deref().unwrap_or(crate::manifest::version::KUBE_VERSION);
    match crate::manifest::version::minor(version) {
        Some((1, minor)) => minor,
        Some((0, _)) => 0,
        _ => u32::MAX,
    }
}

/// `Kubernetes 1.N`.
pub(super) fn release_name(minor: u32) -> String {
    format!("Kubernetes 1.{minor}")
}

/// Where an object of `row` goes at `target`: the replacement, followed on
/// while it is itself removed at `target`; with how the object reads there
/// (the worst link). `None`: nothing replaces it at `target`.
pub(super) fn replacement_at(row: &'static Row, target: u32) -> Option<(&'static str, &'static str, Schema)> {
    let mut at = row;
    let mut schema = Schema::Same;
    loop {
        let (version, kind) = at.replacement?;
        let kind = kind.unwrap_or(at.kind);
        schema = worse(schema, at.schema);
        match self::row(version, kind) {
            Some(next) if next.removed.is_some_and(|r| r <= target) => at = next,
            _ => return Some((version, kind, schema)),
        }
    }
}

fn worse(a: Schema, b: Schema) -> Schema {
    let rank = |s| match s {
        Schema::Same => 0,
        Schema::Selector => 1,
        Schema::Defaults => 2,
        Schema::SelectorDefaults => 3,
        Schema::Changed => 4,
        Schema::None => 5,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The notes of the links from `row` to its replacement at `target` that changed something.
pub(super) fn notes_to(row: &'static Row, target: u32) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut at = row;
    loop {
        if at.schema != Schema::Same
            && let Some(n) = at.note
        {
            out.push(n);
        }
        let Some((version, kind)) = at.replacement else { return out };
        match self::row(version, kind.unwrap_or(at.kind)) {
            Some(next) if next.removed.is_some_and(|r| r <= target) => at = next,
            _ => return out,
        }
    }
}

/// The fix that moves `obj` to `version`, when one can: the apiVersion
/// alone where the schema is the same (safe), or where a default changed
/// (unsafe, but safe for a budget whose selector selects something: only an
/// empty selector reads differently); an Ingress with its backends rewritten
/// (unsafe). `None` otherwise.
pub(super) fn fix(obj: &Object, row: &'static Row, version: &str, kind: &str, schema: Schema) -> Option<Fix> {
    if kind != obj.kind {
        return None;
    }
    let set_version = Op::set(obj.doc_ptr("/apiVersion"), Yaml::str(version));
    let title = format!("change apiVersion to {version}");
    match schema {
        Schema::Same => Some(Fix::safe(title, vec![set_version])),
        Schema::Defaults if obj.kind == "PodDisruptionBudget" && selects_something(obj.root.pointer("/spec/selector")) => {
            Some(Fix::safe(title, vec![set_version]))
        }
        Schema::Defaults => Some(Fix::unsafe_(title, vec![set_version])),
        Schema::Selector | Schema::SelectorDefaults => {
            // Fields the replacement dropped: converted by hand.
            if ["/spec/rollbackTo", "/spec/templateGeneration"].iter().any(|p| obj.root.pointer(p).is_some()) {
                return None;
            }
            let mut edits = vec![set_version];
            if obj.root.pointer("/spec/selector").is_none() {
                edits.push(Op::set(obj.doc_ptr("/spec/selector"), template_labels(obj)?));
            }
            let title = if edits.len() > 1 { format!("{title}, with the template labels as spec.selector") } else { title };
            Some(if schema == Schema::Selector { Fix::safe(title, edits) } else { Fix::unsafe_(title, edits) })
        }
        Schema::Changed if obj.kind == "Ingress" && version == "networking.k8s.io/v1" && row.kind == "Ingress" => {
            let mut edits = vec![set_version];
            edits.extend(ingress_edits(obj)?);
            Some(Fix::unsafe_(format!("{title}, with service.name, service.port and pathType"), edits))
        }
        Schema::Changed | Schema::None => None,
    }
}

/// `matchLabels` of the pod template's labels (what the old versions
/// defaulted the selector to); `None` unless they are a map of strings.
fn template_labels(obj: &Object) -> Option<Yaml> {
    let labels = obj.root.pointer("/spec/template/metadata/labels")?.as_map()?;
    let pairs = labels.iter().map(|e| Some((e.key_str()?.to_string(), Yaml::str(e.value.as_str()?)))).collect::<Option<Vec<_>>>()?;
    (!pairs.is_empty()).then(|| Yaml::Map(vec![("matchLabels".into(), Yaml::Map(pairs))]))
}

/// A selector with a label or an expression (absent, it selects nothing in both versions).
fn selects_something(selector: Option<&Node>) -> bool {
    let Some(sel) = selector else { return true };
    let non_empty = |key: &str| match sel.get(key).map(|n| &n.value) {
        Some(Value::Map(m)) => !m.is_empty(),
        Some(Value::Seq(s)) => !s.is_empty(),
        _ => false,
    };
    non_empty("matchLabels") || non_empty("matchExpressions")
}

/// The edits of an Ingress of v1beta1 into networking.k8s.io/v1: `spec.backend`
/// becomes `spec.defaultBackend`, each `serviceName`/`servicePort` becomes
/// `service.name` and `service.port.number` (or `.name`), and each path
/// without a `pathType` gets `ImplementationSpecific` (what v1beta1 did).
/// `None` when a backend holds something else to convert by hand.
fn ingress_edits(obj: &Object) -> Option<Vec<Op>> {
    let mut edits = Vec::new();
    if let Some(backend) = obj.root.pointer("/spec/backend") {
        edits.push(Op::set(obj.doc_ptr("/spec/defaultBackend"), converted(backend)?));
        edits.push(Op::remove(obj.doc_ptr("/spec/backend")));
    }
    for (i, rule) in obj.root.pointer("/spec/rules").and_then(Node::as_seq).unwrap_or_default().iter().enumerate() {
        for (j, path) in rule.pointer("/http/paths").and_then(Node::as_seq).unwrap_or_default().iter().enumerate() {
            let at = format!("/spec/rules/{i}/http/paths/{j}");
            if let Some(backend) = path.get("backend") {
                if backend.get("serviceName").is_some() || backend.get("servicePort").is_some() {
                    edits.push(Op::set(obj.doc_ptr(&format!("{at}/backend")), converted(backend)?));
                } else if backend.get("service").is_none() && backend.get("resource").is_none() {
                    return None;
                }
            }
            if path.get("pathType").is_none() {
                edits.push(Op::set(obj.doc_ptr(&format!("{at}/pathType")), Yaml::str("ImplementationSpecific")));
            }
        }
    }
    Some(edits)
}

/// A v1beta1 backend (`serviceName`, `servicePort`) as a v1 one; `None` when
/// it holds anything else, or a port that is neither a number nor a name.
fn converted(backend: &Node) -> Option<Yaml> {
    let entries = backend.as_map()?;
    if entries.iter().any(|e| !matches!(e.key_str(), Some("serviceName" | "servicePort"))) {
        return None;
    }
    let name = backend.get("serviceName")?.as_str()?;
    let port = match &backend.get("servicePort")?.value {
        Value::Int(n) if (1..=65535).contains(n) => ("number", Yaml::Int(*n)),
        Value::Str(s) if !s.is_empty() && !s.bytes().all(|b| b.is_ascii_digit()) => ("name", Yaml::str(s.clone())),
        _ => return None,
    };
    let service = Yaml::Map(vec![("name".into(), Yaml::str(name)), ("port".into(), Yaml::Map(vec![(port.0.into(), port.1)]))]);
    Some(Yaml::Map(vec![("service".into(), service)]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every row reads, no row is there twice, deprecation comes no later
    /// than removal, a removed version names a replacement or says it has
    /// none, and no replacement was itself removed by the time it replaced.
    #[test]
    fn every_row_round_trips() {
        let rows = parse(include_str!("api_versions.tsv")).unwrap();
        assert!(rows.len() >= 50, "{}", rows.len());
        let mut seen = HashSet::new();
        for r in &rows {
            let what = format!("{} {}", r.api_version, r.kind);
            assert!(seen.insert((r.api_version, r.kind)), "{what} is there twice");
            assert!(r.api_version.split('/').count() <= 2 && !r.api_version.contains(' '), "{what}");
            assert!(r.kind.chars().next().is_some_and(|c| c.is_ascii_uppercase()), "{what}");
            if let (Some(d), Some(x)) = (r.deprecated, r.removed) {
                assert!(d <= x, "{what}: deprecated in 1.{d} after its removal in 1.{x}");
            }
            assert!(r.deprecated.is_some() || r.removed.is_some(), "{what}: neither deprecated nor removed");
            assert_eq!(r.replacement.is_none(), r.schema == Schema::None, "{what}: a replacement, or schema none");
            assert_eq!(r.note.is_some(), r.schema != Schema::Same, "{what}: a note is what changed");
            if let Some((version, kind)) = r.replacement {
                assert_ne!((version, kind.unwrap_or(r.kind)), (r.api_version, r.kind), "{what} replaces itself");
                if let Some(next) = rows.iter().find(|n| n.api_version == version && n.kind == kind.unwrap_or(r.kind)) {
                    let (Some(gone), Some(then)) = (next.removed, r.removed) else { continue };
                    assert!(gone > then, "{what}: its replacement {version} was removed in 1.{gone}, by its own removal in 1.{then}");
                }
            }
        }
        // The rows that pluto's default list and the guide name for each group the issue lists.
        for group in [
            "",
            "apps",
            "extensions",
            "batch",
            "policy",
            "autoscaling",
            "networking.k8s.io",
            "rbac.authorization.k8s.io",
            "storage.k8s.io",
            "flowcontrol.apiserver.k8s.io",
            "admissionregistration.k8s.io",
            "apiextensions.k8s.io",
            "scheduling.k8s.io",
        ] {
            let in_group = |r: &&Row| r.api_version.rsplit_once('/').map_or("", |(g, _)| g) == group;
            assert!(rows.iter().any(|r| in_group(&r)), "no row of group {group:?}");
        }
    }

    #[test]
    fn the_table_answers_the_examples_of_the_guide() {
        let pdb = row("policy/v1beta1", "PodDisruptionBudget").unwrap();
        assert_eq!((pdb.deprecated, pdb.removed), (Some(21), Some(25)));
        assert_eq!(replacement_at(pdb, 36), Some(("policy/v1", "PodDisruptionBudget", Schema::Defaults)));
        assert_eq!(row("autoscaling/v2beta2", "HorizontalPodAutoscaler").unwrap().removed, Some(26));
        assert_eq!(row("batch/v1beta1", "CronJob").unwrap().removed, Some(25));
        assert_eq!(row("networking.k8s.io/v1beta1", "Ingress").unwrap().removed, Some(22));
        assert_eq!(row("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema").unwrap().removed, Some(32));
        assert_eq!(row("apps/v1", "Deployment"), None);
        // A chain: v1beta1 went in 1.26 for v1beta3, which went in 1.32 for v1.
        let fs = row("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema").unwrap();
        assert_eq!(replacement_at(fs, 27), Some(("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", Schema::Same)));
        assert_eq!(replacement_at(fs, 36), Some(("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", Schema::Same)));
        let plc = row("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration").unwrap();
        assert_eq!(replacement_at(plc, 36).map(|r| r.2), Some(Schema::Changed));
        assert_eq!(notes_to(plc, 36).len(), 2);
        // PodSecurityPolicy: extensions/v1beta1 went for policy/v1beta1, which went for nothing.
        let psp = row("extensions/v1beta1", "PodSecurityPolicy").unwrap();
        assert_eq!(replacement_at(psp, 20), Some(("policy/v1beta1", "PodSecurityPolicy", Schema::Same)));
        assert_eq!(replacement_at(psp, 36), None);
        let endpoints = row("v1", "Endpoints").unwrap();
        assert_eq!(replacement_at(endpoints, 36), Some(("discovery.k8s.io/v1", "EndpointSlice", Schema::Changed)));
    }

    #[test]
    fn a_line_that_does_not_read_is_an_error() {
        assert!(matches!(parse("a\tb\n"), Err(TableError::Columns { line: 1, found: 2 })));
        assert!(matches!(parse("# c\nv1\tX\t1.x\t-\t-\tnone\t-\n"), Err(TableError::Release { line: 2, .. })));
        assert!(matches!(parse("v1\tX\t2.1\t-\t-\tnone\t-\n"), Err(TableError::Release { .. })));
        assert!(matches!(parse("v1\tX\t1.1\t-\t-\tmaybe\t-\n"), Err(TableError::Schema { .. })));
    }

    #[test]
    fn the_target_is_the_setting_else_the_default() {
        let mut s = Settings::default();
        assert_eq!(target(&s), 36);
        s.kube_version = Some("v1.24.3".into());
        assert_eq!(target(&s), 24);
        s.kube_version = Some("2.0".into());
        assert_eq!(target(&s), u32::MAX);
    }
}
