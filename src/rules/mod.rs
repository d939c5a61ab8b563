//! The rule engine: the `Rule` trait, the registry and the cross-object context.
//!
//! One file per rule (`src/rules/<id>.rs`): it declares the rule's ID, default
//! severity, fix applicability, whether it reads other objects and its
//! parameters (name, default, validation) once with `declare_rule!`, next to
//! its check. That declaration is the only place for these facts:
//! `rules/<id>.yaml` holds the prose and examples (src/docs.rs joins the two).

/// Declares a rule in its file: `ID` and `SEVERITY` constants for the code,
/// the parameters as `Param` statics, and `RULE`, the registry entry (with
/// its docs, `rules/<id>.yaml`).
///
/// `fix` is `Safe`, `Unsafe` or `None`: the riskiest fix the rule offers (a
/// rule of unsafe fixes may offer safe ones too). `reads_other_objects` is true when
/// the rule's findings depend on objects other than the one they are on
/// (anything it asks the `Context` about another object: Services, HPAs,
/// budgets, monitors, overlaps, the replica floor an HPA sets); such findings
/// name the objects they joined (`Finding::joined`), and `lint
/// --changed-since` keeps them when one of those changed. Debug builds check
/// the declaration each time a rule runs. Each parameter is
/// `NAME: Type = { name: "yaml-name", default: fn, validate: fn }` (`validate`
/// optional: checks beyond the type when the config is loaded).
macro_rules! declare_rule {
    (
        id: $id:literal,
        severity: $sev:ident,
        fix: $fix:ident,
        reads_other_objects: $reads:literal,
        params: [$(
            $(#[$pmeta:meta])*
            $param:ident: $pty:ty = { name: $pname:literal, default: $default:expr $(, validate: $validate:expr)? $(,)? }
        ),* $(,)?],
        check: $check:expr $(,)?
    ) => {
        /// The rule's ID.
        pub const ID: &str = $id;
        /// The rule's default severity (the config may override it).
        #[allow(dead_code)]
        pub const SEVERITY: $crate::finding::Severity = $crate::finding::Severity::$sev;
        /// A finding of this rule on `obj`, at its default severity; `.at(…)` places it.
        #[allow(dead_code)]
        fn finding(obj: &$crate::manifest::Object, message: impl Into<String>) -> $crate::rules::Draft<'_> {
            $crate::rules::Draft { obj, rule: ID, severity: SEVERITY, message: message.into() }
        }
        $(
            $(#[$pmeta])*
            pub static $param: $crate::rules::Param<$pty> = $crate::rules::Param {
                rule: ID,
                name: $pname,
                default: $default,
                validate: declare_rule!(@validate $($validate)?),
            };
        )*
        /// The rule's registry entry.
        pub static RULE: $crate::rules::RuleEntry = $crate::rules::RuleEntry {
            id: ID,
            severity: $crate::finding::Severity::$sev,
            fix: declare_rule!(@fix $fix),
            reads_other_objects: $reads,
            params: &[$(&$param),*],
            doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".yaml")),
            check: $check,
        };
    };
    (@fix None) => { None };
    (@fix $app:ident) => { Some($crate::finding::Applicability::$app) };
    (@validate) => { $crate::rules::no_validation };
    (@validate $validate:expr) => { $validate };
}

pub mod api_version_deprecated;
pub mod api_version_removed;
mod api_versions;
pub mod helm_render_failed;
pub mod hpa_replicas_pinned;
pub mod image_tag_mutable;
pub mod invalid_manifest;
pub mod invalid_yaml;
pub mod kustomize_build_failed;
pub mod label_syntax_invalid;
pub mod liveness_probe_missing;
pub mod metadata_value_not_string;
pub mod pdb_blocks_eviction;
pub mod pdb_missing;
pub mod prestop_hook_missing;
pub mod probe_port_undeclared;
pub mod probes_identical;
pub mod prometheus_annotations_missing;
pub mod prometheus_annotations_on_workload;
pub mod prometheus_port_undeclared;
pub mod readiness_probe_missing;
pub mod recreate_with_rolling_params;
pub mod required_labels_missing;
pub mod resources_missing;
pub mod rolling_update_blocked;
pub mod rolling_update_downtime;
pub mod selector_template_mismatch;
pub mod service_selects_nothing;
mod shared;
pub mod single_replica;
pub mod slow_start_without_startup_probe;
pub mod statefulset_service_not_headless;
pub mod termination_grace_period_too_short;
pub mod topology_spread_missing;
pub mod unused_suppression;
pub mod workload_selectors_overlap;

use crate::finding::{Applicability, Finding, Severity};
use crate::manifest::{Light, Object};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod index;
mod scope;
pub use index::{Context, Index, Summary, View};

/// A rule's level: off, or a severity that replaces the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

/// What the user set for one rule.
#[derive(Clone, Debug, Default)]
pub struct RuleSetting {
    pub level: Option<Level>,
    /// Parameter values, already checked against the parameters' types.
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// The rule settings of a run, by rule ID: which rules run, at which
/// severity, with which parameters. The config module builds them from
/// `.kubectl-strategy.yaml` (and validates them there); the rules read them.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub rules: std::collections::HashMap<String, RuleSetting>,
    /// The Kubernetes version the run targets (`--kube-version`, else
    /// `kubernetesVersion:`; checked by [`crate::manifest::version::valid`]
    /// where they are read); `None`: [`crate::manifest::version::KUBE_VERSION`].
    pub kube_version: Option<String>,
}

impl Settings {
    pub fn enabled(&self, rule: &str) -> bool {
        !matches!(self.rules.get(rule).and_then(|r| r.level), Some(Level::Off))
    }

    /// The configured severity of a rule, if the settings override it.
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        match self.rules.get(rule)?.level? {
            Level::On(s) => Some(s),
            Level::Off => None,
        }
    }

    /// A rule parameter, or `default` when unset. Types are checked when the
    /// config is loaded.
    pub fn param<T: DeserializeOwned>(&self, rule: &str, name: &str, default: T) -> T {
        self.rules.get(rule).and_then(|r| r.params.get(name)).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or(default)
    }
}

/// A check over one object. Cross-object rules read the `Context`.
pub trait Rule: Sync {
    fn check(&self, obj: &Object, ctx: &Context<'_>) -> Vec<Finding>;
}

/// A registered rule, as its file declares it (`declare_rule!`).
/// Input rules (`invalid-yaml`, `invalid-manifest`) have no check: the loader
/// (src/manifest) reports them; `unused-suppression` comes from src/suppress.rs;
/// `kustomize-build-failed` and `helm-render-failed` from rendering (src/lint/rendered.rs).
pub struct RuleEntry {
    pub id: &'static str,
    /// The default severity.
    pub severity: Severity,
    /// The applicability of the rule's fix, when it has one.
    pub fix: Option<Applicability>,
    /// Whether its findings depend on objects other than the one they are on
    /// (then they carry the objects they joined).
    pub reads_other_objects: bool,
    /// The parameters `.kubectl-strategy.yaml` may set.
    pub params: &'static [&'static dyn ParamDecl],
    /// `rules/<id>.yaml`.
    pub doc: &'static str,
    pub check: Option<&'static dyn Rule>,
}

/// A finding on an object before it has a place: `finding(obj, message)`
/// (generated in each rule's file by `declare_rule!`) `.at(pointer, target)`,
/// then `.help(…)` and `.fix(…)` on the `Finding`.
pub struct Draft<'o> {
    pub obj: &'o Object,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

impl Draft<'_> {
    /// Another severity than the rule's default.
    pub fn severity(self, severity: Severity) -> Self {
        Draft { severity, ..self }
    }

    /// Place the finding at `pointer` (relative to the object; the deepest
    /// existing parent when it does not exist), on its key, entry or value.
    pub fn at(self, pointer: &str, target: crate::manifest::Target) -> Finding {
        self.obj.finding(self.rule, self.severity, pointer, target, self.message)
    }
}

/// A rule parameter of type `T`, declared next to the rule that reads it.
pub struct Param<T: 'static> {
    pub rule: &'static str,
    pub name: &'static str,
    pub default: fn() -> T,
    /// Checks beyond the type, when the config is loaded.
    pub validate: fn(&T) -> Result<(), String>,
}

/// The `validate` of a parameter declared without one.
pub(crate) fn no_validation<T>(_: &T) -> Result<(), String> {
    Ok(())
}

impl<T: DeserializeOwned> Param<T> {
    /// The configured value, or the default.
    pub fn get(&self, settings: &Settings) -> T {
        settings.param(self.rule, self.name, (self.default)())
    }

    /// Whether the config sets it (rather than leaving the default).
    pub fn is_set(&self, settings: &Settings) -> bool {
        settings.rules.get(self.rule).is_some_and(|r| r.params.contains_key(self.name))
    }
}

/// A parameter of any type, for the config loader, its schema and the docs.
pub trait ParamDecl: Sync {
    fn name(&self) -> &'static str;
    /// The default, as JSON.
    fn default_json(&self) -> serde_json::Value;
    /// Check a configured value: `Ok` with it as the parameter's type sees it (serialized back).
    fn check(&self, value: &serde_json::Value) -> Result<serde_json::Value, String>;
    /// The Rust type, for messages and the meta test.
    fn type_name(&self) -> &'static str;
    fn schema(&self, g: &mut schemars::SchemaGenerator) -> schemars::Schema;
}

impl<T: DeserializeOwned + Serialize + schemars::JsonSchema + 'static> ParamDecl for Param<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn default_json(&self) -> serde_json::Value {
        serde_json::to_value((self.default)()).expect("a default serializes")
    }

    fn check(&self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        let v: T = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        (self.validate)(&v)?;
        serde_json::to_value(v).map_err(|e| e.to_string())
    }

    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }

    fn schema(&self, g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        g.subschema_for::<T>()
    }
}

/// Every rule, in catalogue order.
pub static REGISTRY: &[&RuleEntry] = &[
    &invalid_yaml::RULE,
    &invalid_manifest::RULE,
    &liveness_probe_missing::RULE,
    &readiness_probe_missing::RULE,
    &probes_identical::RULE,
    &probe_port_undeclared::RULE,
    &slow_start_without_startup_probe::RULE,
    &prestop_hook_missing::RULE,
    &termination_grace_period_too_short::RULE,
    &required_labels_missing::RULE,
    &selector_template_mismatch::RULE,
    &service_selects_nothing::RULE,
    &workload_selectors_overlap::RULE,
    &label_syntax_invalid::RULE,
    &metadata_value_not_string::RULE,
    &prometheus_annotations_missing::RULE,
    &prometheus_annotations_on_workload::RULE,
    &prometheus_port_undeclared::RULE,
    &rolling_update_blocked::RULE,
    &recreate_with_rolling_params::RULE,
    &rolling_update_downtime::RULE,
    &image_tag_mutable::RULE,
    &api_version_removed::RULE,
    &api_version_deprecated::RULE,
    &resources_missing::RULE,
    &pdb_missing::RULE,
    &pdb_blocks_eviction::RULE,
    &hpa_replicas_pinned::RULE,
    &single_replica::RULE,
    &statefulset_service_not_headless::RULE,
    &topology_spread_missing::RULE,
    &unused_suppression::RULE,
    &kustomize_build_failed::RULE,
    &helm_render_failed::RULE,
];

pub fn find(id: &str) -> Option<&'static RuleEntry> {
    REGISTRY.iter().copied().find(|r| r.id == id)
}

/// The rule ID nearest to a misspelt one (for did-you-mean hints).
pub fn closest(id: &str) -> Option<&'static str> {
    REGISTRY.iter().map(|r| (levenshtein(id, r.id), r.id)).filter(|(d, _)| *d <= 3).min().map(|(_, r)| r)
}

/// Levenshtein distance (small strings only).
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A fix whose edit would land in a node that YAML aliases share (an
/// anchored value read elsewhere through `*name`) is not offered: the
/// finding says why instead, and is fixed by hand where the anchor is.
fn keep_fixes_off_aliases(obj: &Object, found: &mut [Finding]) {
    for f in found {
        let Some(fix) = &f.fix else { continue };
        let shared = fix.edits.iter().any(|e| {
            let ptr = e.ptr().strip_prefix(obj.base.as_str()).unwrap_or(e.ptr());
            crate::edit::shared_through_alias(&obj.root, ptr)
        });
        if shared {
            f.fix = None;
            let why =
                "not fixed automatically: the value is shared through a YAML anchor (&name … *name); fix it where the anchor is defined";
            f.help = Some(match f.help.take() {
                Some(h) => format!("{h}; {why}"),
                None => why.to_string(),
            });
        }
    }
}

/// Run every enabled rule over every object of a file that `reported`
/// accepts (in parallel), each on its full view, built again from its tree
/// and dropped as soon as its rules ran: the heavy views (pod specs) of a
/// run never all live at once. Gives the objects back beside the findings
/// (with those on the type errors of objects loaded light,
/// [`crate::manifest::load_light`]). Where such an object's light view
/// turned out wrong (a type error in its pod spec changed it), the
/// cross-object summaries were built on the wrong view: the rules run
/// again with the right ones.
///
/// `rendered(file)` says which files are the output of a render: each is a
/// unit of its own for the cross-object relations (see `scope`).
///
/// With `texts` (each file's text), the tree of an object is dropped as soon
/// as its rules ran (trees are most of a run's heap; the objects come back
/// without them), and read again from its text if the rules must run again.
pub fn run(
    mut objects: Vec<Object<Light>>,
    files: &[&str],
    settings: &Settings,
    reported: &(dyn Fn(usize) -> bool + Sync),
    rendered: &dyn Fn(usize) -> bool,
    texts: Option<&[&str]>,
) -> (Vec<Object<Light>>, Vec<Finding>) {
    use rayon::prelude::*;
    loop {
        let index = Index::new(&objects, files, rendered);
        // Each object is expanded where it lies: the run holds one vector of objects.
        let checked: Vec<(Vec<Finding>, bool)> = objects
            .par_iter_mut()
            .enumerate()
            .map(|(at, obj)| {
                if !reported(obj.file) {
                    return (Vec::new(), false);
                }
                let ctx = Context::new(&index, at, files, settings);
                let own = ctx.this().joined();
                let (result, mut found, changed) = obj.expand_in_place(|obj| {
                    let mut out = Vec::new();
                    for r in REGISTRY.iter().filter(|r| settings.enabled(r.id)) {
                        let Some(check) = r.check else { continue };
                        let at = out.len();
                        out.extend(check.check(obj, &ctx));
                        keep_fixes_off_aliases(obj, &mut out[at..]);
                        let read = ctx.took_others();
                        debug_assert!(r.reads_other_objects || !read, "{} reads other objects: declare reads_other_objects: true", r.id);
                        if r.reads_other_objects {
                            for f in &mut out[at..] {
                                f.joined.insert(0, own);
                            }
                        } else {
                            debug_assert!(
                                out[at..].iter().all(|f| f.joined.is_empty()),
                                "{} joins objects it does not declare to read",
                                r.id
                            );
                        }
                    }
                    out
                });
                found.extend(result);
                if texts.is_some() {
                    obj.drop_tree();
                }
                (found, changed)
            })
            .collect();
        drop(index);
        let stale = checked.iter().any(|(_, changed)| *changed);
        if !stale {
            let findings = checked.into_iter().flat_map(|(f, _)| f).collect();
            return (objects, findings);
        }
        if let Some(texts) = texts {
            crate::manifest::restore_trees(&mut objects, texts);
        }
    }
}
