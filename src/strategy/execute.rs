//! Showing a plan, validating a step, and writing it.

use super::{Plan, PlanError, R, Step, Workspace};
use crate::config::Config;
use crate::edit::Editor;
use crate::edit::emit::{Style, to_yaml};
use crate::input::SourceFile;
use crate::manifest::Typed;
use crate::manifest::workload::map_selects;
use std::collections::BTreeSet;

/// The result must parse, deserialize and add no lint error.
pub fn validate(before: &Workspace, after_changes: &Step, app: &[String], config: &Config) -> R<()> {
    let mut after = before.clone();
    for (name, (_, text)) in &after_changes.changes {
        after.files.insert(name.clone(), Editor::new(name.clone(), text.clone()));
    }
    let lint = |ws: &Workspace| {
        let files = ws.files.iter().map(|(n, e)| SourceFile::new(n.clone(), e.text.clone())).collect();
        crate::lint::lint_sources(files, config)
    };
    type Key = (String, String, String, String, String);
    let errors = |r: &crate::lint::Report| -> Vec<(Key, String)> {
        r.findings
            .iter()
            .filter(|f| f.severity == crate::finding::Severity::Error)
            .map(|f| {
                let o = f.object.clone().unwrap_or_default();
                let key = (f.rule.to_string(), r.files[f.file].name.clone(), o.kind, o.name.unwrap_or_default(), f.path.clone());
                (key, format!("{}: {}: {}", r.files[f.file].name, f.rule, f.message))
            })
            .collect()
    };
    let old_report = lint(before);
    let old: BTreeSet<Key> = errors(&old_report).into_iter().map(|(k, _)| k).collect();
    let existed: BTreeSet<(String, String)> =
        before.objects().iter().map(|f| (f.obj.kind.clone(), f.obj.name.clone().unwrap_or_default())).collect();
    // The app's tracks are copies of its workload: an error the app already
    // had (same rule and field) is not new when it moves to a track.
    let app_shapes: BTreeSet<(String, String, String)> =
        old.iter().filter(|(_, _, _, n, _)| app.contains(n)).map(|(r, _, k, _, p)| (r.clone(), k.clone(), p.clone())).collect();
    let new: Vec<String> = errors(&lint(&after))
        .into_iter()
        .filter(|((rule, _, kind, name, path), _)| {
            let ours = app.contains(name) || !existed.contains(&(kind.clone(), name.clone()));
            !(ours && app_shapes.contains(&(rule.clone(), kind.clone(), path.clone())))
        })
        .filter(|(k, _)| !old.contains(k))
        .map(|(_, m)| m)
        .collect();
    if !new.is_empty() {
        return Err(PlanError::IntroducesErrors { findings: new });
    }
    // A Service that sent traffic to pods must still have pods to send it to.
    let serving = |ws: &Workspace| -> BTreeSet<String> {
        let objs = ws.objects();
        objs.iter()
            .filter_map(|s| match &s.obj.typed {
                Typed::Service(spec) => {
                    let sel = spec.selector.as_ref().filter(|m| !m.is_empty())?;
                    let has_pods = objs.iter().any(|w| {
                        w.obj.workload().is_some_and(|wl| {
                            wl.replicas.unwrap_or(1) > 0
                                && crate::manifest::workload::same_namespace(w.obj.namespace.as_deref(), s.obj.namespace.as_deref())
                                && map_selects(sel, wl.template_labels())
                        })
                    });
                    has_pods.then(|| format!("{}/{}", s.obj.namespace.as_deref().unwrap_or(""), s.obj.name.as_deref().unwrap_or("")))
                }
                _ => None,
            })
            .collect()
    };
    let now = serving(&after);
    let after_names: BTreeSet<String> = after
        .objects()
        .iter()
        .filter(|f| f.obj.kind == "Service")
        .map(|f| format!("{}/{}", f.obj.namespace.as_deref().unwrap_or(""), f.obj.name.as_deref().unwrap_or("")))
        .collect();
    let stranded: Vec<String> = serving(before).into_iter().filter(|s| after_names.contains(s) && !now.contains(s)).collect();
    if !stranded.is_empty() {
        return Err(PlanError::StrandsServices { services: stranded.iter().map(|s| s.trim_start_matches('/').to_string()).collect() });
    }
    Ok(())
}

/// How to show or carry out a plan.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Perform the chosen step.
    pub write: bool,
    /// 1-based step to show or perform (default: the next pending one).
    pub step: Option<usize>,
    /// Print the resulting objects (`yaml` or `json`) instead of a diff.
    pub objects: Option<ObjectFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectFormat {
    Yaml,
    Json,
}

/// What executing a plan printed and whether the chosen step changes anything.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub changed: bool,
}

/// Show (and with `write`, perform) one step of a plan. Control characters
/// from the manifests (in names, titles, warnings, diffs) are escaped
/// ([`crate::text::escape`]); objects (`-o yaml|json`) are escaped by their format.
pub fn execute(before: &Workspace, plan: &Plan, out: &Output, config: &Config) -> R<Outcome> {
    let o = show(before, plan, out, config)?;
    let stdout = if out.objects.is_none() { crate::text::escape(&o.stdout).into_owned() } else { o.stdout };
    Ok(Outcome { stdout, stderr: crate::text::escape(&o.stderr).into_owned(), changed: o.changed })
}

fn show(before: &Workspace, plan: &Plan, out: &Output, config: &Config) -> R<Outcome> {
    let chosen = match out.step {
        Some(n) if n == 0 || n > plan.steps.len() => return Err(PlanError::NoSuchStep { step: n, steps: plan.steps.len() }),
        Some(n) => Some(n - 1),
        None => plan.next_pending(),
    };
    let mut stdout = String::new();
    let mut stderr: String = plan.warnings.iter().map(|w| format!("warning: {w}\n")).collect();
    if out.objects.is_none() {
        stdout.push_str(&plan.render(chosen));
    }
    let Some(i) = chosen else {
        if out.objects.is_none() {
            stdout.push_str("\nNothing to do: every step of the plan is done.\n");
        }
        return Ok(Outcome { stdout, stderr, changed: false });
    };
    if let Some(pending) = plan.next_pending().filter(|p| *p < i) {
        if out.write {
            return Err(PlanError::StepPending { pending: pending + 1, step: i + 1 });
        }
        stderr.push_str(&format!("note: step {} assumes step {} has been performed\n", i + 1, pending + 1));
    }
    let step = &plan.steps[i];
    // Earlier steps are simulated: validate this step against that state.
    let mut base = before.clone();
    for s in &plan.steps[..i] {
        for (name, (_, text)) in &s.changes {
            base.files.insert(name.clone(), crate::edit::Editor::new(name.clone(), text.clone()));
        }
    }
    validate(&base, step, &plan.app, config)?;
    match out.objects {
        Some(format) => stdout.push_str(&render_objects(step, format)),
        None if step.is_done() => stdout.push_str(&format!("\nStep {} is done: nothing to change.\n", i + 1)),
        None => {
            stdout.push_str(&format!("\nStep {}: {}\n", i + 1, step.title));
            stdout.push_str(&step.diff());
        }
    }
    if out.write && !step.is_done() {
        // A step that changes several files checks every one of them before
        // writing any, and puts back those written if a later write fails.
        let expected = |name: &String, before_text: &Option<String>| -> Option<String> {
            before.original.get(name).cloned().or_else(|| before_text.clone())
        };
        for (name, (before_text, _)) in &step.changes {
            if let Some(exp) = expected(name, before_text)
                && std::fs::read_to_string(name).ok().as_deref() != Some(exp.as_str())
            {
                return Err(PlanError::Stale { file: name.clone() });
            }
        }
        let mut written: Vec<(&String, Option<String>)> = Vec::new();
        for (name, (before_text, after)) in &step.changes {
            let exp = expected(name, before_text);
            if let Err(e) = crate::edit::diff::write_atomic(std::path::Path::new(name), after, exp.as_deref()) {
                for (n, old) in written.iter().rev() {
                    let path = std::path::Path::new(n.as_str());
                    let _ = match old {
                        Some(t) => crate::edit::diff::write_atomic(path, t, None),
                        None => std::fs::remove_file(path),
                    };
                }
                return Err(PlanError::Write { file: name.clone(), source: e });
            }
            written.push((name, exp));
        }
        let files: Vec<&str> = step.changes.keys().map(String::as_str).collect();
        stderr.push_str(&format!("wrote step {} to {}\n", i + 1, files.join(", ")));
        if let Some(next) = plan.steps.iter().skip(i + 1).position(|s| !s.is_done()) {
            stderr.push_str(&format!("next: step {} ({}) once {}\n", i + 2 + next, plan.steps[i + 1 + next].title, step.wait));
        }
    }
    Ok(Outcome { stdout, stderr, changed: !step.is_done() })
}

/// The objects a step creates or changes.
fn render_objects(step: &Step, format: ObjectFormat) -> String {
    let mut docs: Vec<crate::manifest::tree::Node> = Vec::new();
    for (before, after) in step.changes.values() {
        // Objects are compared by value: an unchanged document is not shown.
        let old: Vec<serde_json::Value> = before
            .as_deref()
            .map(|b| {
                crate::manifest::parse::parse_stream(b)
                    .into_iter()
                    .filter_map(|d| d.result.ok())
                    .map(|n| crate::manifest::json::to_json(&n))
                    .collect()
            })
            .unwrap_or_default();
        for d in crate::manifest::parse::parse_stream(after.trim_start_matches('\u{feff}')) {
            if let Ok(n) = d.result
                && !old.contains(&crate::manifest::json::to_json(&n))
            {
                docs.push(n);
            }
        }
    }
    match format {
        ObjectFormat::Json => {
            let v: Vec<serde_json::Value> = docs.iter().map(crate::manifest::json::to_json).collect();
            serde_json::to_string_pretty(&v).expect("serializable") + "\n"
        }
        ObjectFormat::Yaml => docs.iter().map(|n| format!("---\n{}", to_yaml(&crate::manifest::json::to_json(n), &Style::PLAN))).collect(),
    }
}
