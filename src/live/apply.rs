//! `apply … --live`, `promote --live`, `rollback --live`: a plan's steps
//! carried out in the cluster with server-side apply.
//!
//! A plan is a sequence of manifest states S0 (the files) … Sn. How far the
//! cluster has come is read from the cluster itself: the last state whose
//! objects a dry-run apply leaves unchanged. From there the next steps are
//! applied one at a time, waiting after each until the changed Deployments
//! have rolled out, and stopping after a step that needs a human judgement
//! (a canary's health). Re-running continues where the cluster is.
//!
//! A step is done only when its objects are live *and* its wait condition
//! holds (`wait_condition`): a step whose objects are live (or half-way:
//! its workloads applied, its Services not yet, as a timed-out wait leaves
//! it) but whose Deployments have not rolled out is resumed, which applies
//! nothing new and waits again.

use super::diff::ObjectDiff;
use super::print::{mask_secrets, strip};
use super::status::rollout;
use super::{Conn, LiveError, R, Resource};
use crate::input::SourceFile;
use crate::strategy::Plan;
use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How to carry out a plan live.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Take over fields other managers own (`--force-conflicts`).
    pub force: bool,
    /// `--dry-run=server`: show what the next step would change, change nothing.
    pub dry_run: bool,
    /// How long to wait for each rollout.
    pub timeout: Duration,
    /// Only this step (1-based).
    pub step: Option<usize>,
    /// Time between rollout polls.
    pub poll: Duration,
    /// Also write the files as after the last step carried out (`--write`).
    pub write: bool,
    /// `--dry-run=server` exits 1 when the step would change something.
    pub exit_code: bool,
}

/// The time between rollout polls: one second. Test hook, in debug builds only (`cargo test`;
/// not `--release`, whose binary has no trace of it, checked by `.ci/run`):
/// `KUBECTL_STRATEGY_POLL_MS` sets it in milliseconds (CONTRIBUTING.md).
pub fn poll_interval() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("KUBECTL_STRATEGY_POLL_MS").ok().and_then(|v| v.parse().ok()) {
        return Duration::from_millis(ms);
    }
    Duration::from_secs(1)
}

/// One object of one state.
#[derive(Debug, Clone)]
struct Obj {
    res: Resource,
    ns: Option<String>,
    name: String,
    json: J,
}

impl Obj {
    fn label(&self) -> String {
        let mut s = format!("{}/{}", self.res.qualified(), self.name);
        if let Some(ns) = &self.ns {
            s.push_str(&format!(" in namespace {ns}"));
        }
        s
    }

    /// Workloads go first (their pods must be ready before traffic moves), then Services and routes.
    fn is_workload(&self) -> bool {
        crate::manifest::kinds::is_workload(&self.res.kind)
    }
}

type State = BTreeMap<String, Obj>;
/// File name -> text.
type Texts = BTreeMap<String, String>;

/// What a live run did.
pub struct LiveOutcome {
    pub stdout: String,
    pub code: u8,
}

/// The manifest state after each step: S0 = the files, Si = after step i,
/// limited to the files the plan changes; with the texts of those files.
fn states(conn: &Conn, base: &BTreeMap<String, String>, plan: &Plan) -> R<(Vec<State>, Vec<Texts>)> {
    let touched: BTreeSet<&String> = plan.steps.iter().flat_map(|s| s.changes.keys()).collect();
    let mut texts: BTreeMap<String, String> = touched.iter().map(|f| ((*f).clone(), base.get(*f).cloned().unwrap_or_default())).collect();
    let mut out = vec![objects_of(conn, &texts)?];
    let mut all_texts = vec![texts.clone()];
    for step in &plan.steps {
        for (file, (_, after)) in &step.changes {
            texts.insert(file.clone(), after.clone());
        }
        out.push(objects_of(conn, &texts)?);
        all_texts.push(texts.clone());
    }
    Ok((out, all_texts))
}

/// When the files already hold every step, the cluster follows the files:
/// the app's files (those with one of its workloads) make one step.
fn files_plan(base: &BTreeMap<String, String>, plan: &Plan) -> Plan {
    let mut files = BTreeMap::new();
    for (name, text) in base {
        let sf = SourceFile::new(name.clone(), text.trim_start_matches('\u{feff}').to_string());
        let holds_app = crate::manifest::load(0, &sf)
            .objects
            .iter()
            .any(|o| o.workload().is_some() && o.name.as_ref().is_some_and(|n| plan.app.contains(n)));
        if holds_app {
            files.insert(name.clone(), (Some(String::new()), text.clone()));
        }
    }
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let step = crate::strategy::Step {
        title: format!("apply {} (the files already hold every step of the plan)", names.join(", ")),
        wait: crate::strategy::Wait::RolledOut(Vec::new()),
        changes: files,
    };
    Plan { app: plan.app.clone(), summary: plan.summary.clone(), steps: vec![step], warnings: Vec::new() }
}

fn objects_of(conn: &Conn, texts: &BTreeMap<String, String>) -> R<State> {
    let mut state = State::new();
    for (file, text) in texts {
        let sf = SourceFile::new(file.clone(), text.trim_start_matches('\u{feff}').to_string());
        for o in crate::manifest::load(0, &sf).objects {
            let json = crate::manifest::json::to_json_exact(&o.root);
            let (Some(api_version), Some(kind), Some(name)) =
                (json["apiVersion"].as_str(), json["kind"].as_str(), json["metadata"]["name"].as_str())
            else {
                continue;
            };
            let in_file = |e: LiveError| LiveError::InFile { file: file.clone(), source: Box::new(e) };
            let res = conn.resolve(api_version, kind).map_err(in_file)?;
            let ns = conn.namespace_for(&res, &json).map_err(in_file)?;
            let key = format!("{}|{}|{}", res.qualified(), ns.as_deref().unwrap_or(""), name);
            state.insert(key, Obj { res, ns, name: name.to_string(), json });
        }
    }
    Ok(state)
}

/// A step's wait condition, as data: the Deployments of its target state
/// (among the objects the plan changes) must have rolled out.
fn wait_condition<'a>(target: &'a State, keys: &BTreeSet<String>) -> Vec<&'a Obj> {
    target.iter().filter(|(k, o)| keys.contains(*k) && o.res.kind == "Deployment").map(|(_, o)| o).collect()
}

/// Whether a state's wait condition holds now.
fn wait_holds(conn: &Conn, target: &State, keys: &BTreeSet<String>) -> R<bool> {
    for o in wait_condition(target, keys) {
        match conn.get(&o.res, o.ns.as_deref(), &o.name)? {
            Some(dep) if rollout(&dep).complete => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// The cluster half-way through the step from `before` to `after`: the
/// step's workloads applied, everything else (Services, routes, objects the
/// step deletes) still as before; a run stopped while waiting leaves this.
fn halfway(before: &State, after: &State) -> State {
    let mut s: State = before.iter().filter(|(_, o)| !o.is_workload()).map(|(k, o)| (k.clone(), o.clone())).collect();
    for (k, o) in before.iter().filter(|(_, o)| o.is_workload()) {
        s.insert(k.clone(), after.get(k).unwrap_or(o).clone());
    }
    for (k, o) in after.iter().filter(|(_, o)| o.is_workload()) {
        s.insert(k.clone(), o.clone());
    }
    s
}

/// Live objects (stripped) for the plan's keys.
fn live_objects(conn: &Conn, keys: &BTreeSet<String>, states: &[State]) -> R<BTreeMap<String, Option<J>>> {
    let mut out = BTreeMap::new();
    for key in keys {
        let o = states.iter().find_map(|s| s.get(key)).expect("a plan key comes from a state");
        let mut live = conn.get(&o.res, o.ns.as_deref(), &o.name)?;
        if let Some(l) = live.as_mut() {
            strip(l);
        }
        out.insert(key.clone(), live);
    }
    Ok(out)
}

/// Whether the cluster is in state `s` for the plan's keys.
fn matches(conn: &Conn, s: &State, keys: &BTreeSet<String>, live: &BTreeMap<String, Option<J>>) -> R<bool> {
    for key in keys {
        match (s.get(key), &live[key]) {
            (None, None) => {}
            (None, Some(_)) | (Some(_), None) => return Ok(false),
            (Some(o), Some(l)) => match conn.apply(&o.res, o.ns.as_deref(), &o.json, true, false) {
                Ok(mut planned) => {
                    strip(&mut planned);
                    if &planned != l {
                        return Ok(false);
                    }
                }
                // Another manager owns a field with another value: not this state.
                Err(e) if e.is_conflict() => return Ok(false),
                Err(e) => return Err(e),
            },
        }
    }
    Ok(true)
}

/// Carries out the plan's next steps in the cluster.
pub fn carry_out(conn: &Conn, base: &BTreeMap<String, String>, plan: &Plan, opts: &LiveOptions) -> R<LiveOutcome> {
    if plan.steps.iter().all(|s| s.is_done()) {
        let fallback = files_plan(base, plan);
        if fallback.steps[0].changes.is_empty() {
            return Ok(LiveOutcome { stdout: format!("{}\nNothing to do: no file holds the app's workloads.\n", plan.summary), code: 0 });
        }
        return carry_out_states(conn, &BTreeMap::new(), &fallback, opts, false);
    }
    carry_out_states(conn, base, plan, opts, opts.write)
}

fn carry_out_states(conn: &Conn, base: &BTreeMap<String, String>, plan: &Plan, opts: &LiveOptions, write: bool) -> R<LiveOutcome> {
    let (states, texts) = states(conn, base, plan)?;
    let all: BTreeSet<String> = states.iter().flat_map(|s| s.keys().cloned()).collect();
    let keys: BTreeSet<String> =
        all.into_iter().filter(|k| states.iter().any(|s| s.get(k).map(|o| &o.json) != states[0].get(k).map(|o| &o.json))).collect();
    let mut out = format!("{}\n", plan.summary);
    if keys.is_empty() {
        out.push_str("Nothing to do: the plan changes no object.\n");
        return Ok(LiveOutcome { stdout: out, code: 0 });
    }
    let live = live_objects(conn, &keys, &states)?;
    // How many steps are done, and whether the next one was applied and still waits.
    let mut progress = None;
    let mut waiting = false;
    for i in (0..states.len()).rev() {
        if matches(conn, &states[i], &keys, &live)? {
            waiting = i > 0 && !wait_holds(conn, &states[i], &keys)?;
            progress = Some(if waiting { i - 1 } else { i });
            break;
        }
        if i > 0 && matches(conn, &halfway(&states[i - 1], &states[i]), &keys, &live)? {
            progress = Some(i - 1);
            waiting = true;
            break;
        }
    }
    let n = plan.steps.len();
    let reached = progress.unwrap_or(0);
    for (i, step) in plan.steps.iter().enumerate() {
        let mark = match i.cmp(&reached) {
            std::cmp::Ordering::Less => "live",
            std::cmp::Ordering::Equal if waiting => "wait",
            _ => "todo",
        };
        out.push_str(&format!("  {}. [{mark}] {}\n", i + 1, step.title));
    }
    if waiting {
        out.push_str(&format!(
            "note: step {} was applied but its Deployments have not rolled out yet; resuming it (waiting again)\n",
            reached + 1
        ));
    }
    if progress.is_none() {
        out.push_str(&format!(
            "note: the cluster matches no state of the plan (objects changed by hand, or the manifests were never applied); starting at step 1 on {}\n",
            conn.cluster_label()
        ));
    }
    let to_run: Vec<usize> = match opts.step {
        Some(k) if k == 0 || k > n => return Err(LiveError::NoSuchStep { step: k, steps: n }),
        Some(k) if k > reached + 1 => {
            return Err(LiveError::NotLiveYet { next: reached + 1, step: k, reached });
        }
        Some(k) => vec![k - 1],
        None if reached == n => {
            out.push_str(&format!("\nNothing to do: the cluster already runs every step of the plan ({}).\n", conn.cluster_label()));
            if write {
                write_files(base, &texts[n], n)?;
            }
            return Ok(LiveOutcome { stdout: out, code: 0 });
        }
        None => {
            let mut v = Vec::new();
            for i in reached..n {
                v.push(i);
                if plan.steps[i].gate() {
                    break;
                }
            }
            v
        }
    };
    // Preflight: every object of the steps to run must pass a server-side dry
    // run now (conflicts, permissions, validation), and so must the
    // deletions, so that a run does not stop half-way for a reason known in advance.
    let preflight = |i: usize| -> R<()> {
        for (key, o) in &states[i + 1] {
            if keys.contains(key) {
                conn.apply(&o.res, o.ns.as_deref(), &o.json, true, opts.force)
                    .map_err(|e| LiveError::Step { step: i + 1, source: Box::new(e) })?;
            }
        }
        for key in keys.iter().filter(|k| !states[i + 1].contains_key(*k) && live[*k].is_some()) {
            let o = states.iter().find_map(|s| s.get(key)).expect("known key");
            conn.delete(&o.res, o.ns.as_deref(), &o.name, true).map_err(|e| LiveError::Step { step: i + 1, source: Box::new(e) })?;
        }
        Ok(())
    };
    if !opts.dry_run {
        for &i in &to_run {
            preflight(i)?;
        }
    }
    if opts.dry_run {
        let i = to_run[0];
        out.push_str(&format!("\nStep {} (server-side dry run; nothing is changed): {}\n", i + 1, plan.steps[i].title));
        let mut changed = false;
        for (key, o) in &states[i + 1] {
            if !keys.contains(key) {
                continue;
            }
            let mut planned = conn.apply(&o.res, o.ns.as_deref(), &o.json, true, opts.force)?;
            strip(&mut planned);
            let mut before = live[key].clone();
            mask_secrets(before.as_mut(), Some(&mut planned));
            let d = ObjectDiff {
                api_version: o.res.api_version(),
                kind: o.res.kind.clone(),
                namespace: o.ns.clone(),
                name: o.name.clone(),
                live: before,
                planned,
                field_manager: conn.field_manager.clone(),
            };
            changed |= d.changed();
            out.push_str(&d.unified());
        }
        for key in keys.iter().filter(|k| !states[i + 1].contains_key(*k) && live[*k].is_some()) {
            let o = states.iter().find_map(|s| s.get(key)).expect("known key");
            conn.delete(&o.res, o.ns.as_deref(), &o.name, true)?;
            out.push_str(&format!("would delete {}\n", o.label()));
            changed = true;
        }
        // What can be previewed is shown first; a later step's refusal after it.
        if let Some(e) = to_run.iter().skip(1).find_map(|&i| preflight(i).err()) {
            print_flush(&out);
            return Err(e);
        }
        if to_run.len() > 1 {
            out.push_str(&format!(
                "\nA live run would go on with step {} after this one; its changes depend on this step and are checked when it runs.\n",
                to_run[1] + 1
            ));
        }
        return Ok(LiveOutcome { stdout: out, code: u8::from(changed && opts.exit_code) });
    }
    print_flush(&out);
    out.clear();
    for &i in &to_run {
        let step = &plan.steps[i];
        crate::text::say!("\nStep {}: {}", i + 1, step.title);
        let target = &states[i + 1];
        let mine: Vec<&Obj> = target.iter().filter(|(k, _)| keys.contains(*k)).map(|(_, o)| o).collect();
        for o in mine.iter().filter(|o| o.is_workload()) {
            apply_one(conn, o, opts.force)?;
        }
        for o in wait_condition(target, &keys) {
            wait_for(conn, o, opts)?;
        }
        for o in mine.iter().filter(|o| !o.is_workload()) {
            apply_one(conn, o, opts.force)?;
        }
        for key in keys.iter().filter(|k| !target.contains_key(*k)) {
            let o = states.iter().find_map(|s| s.get(key)).expect("known key");
            if conn.delete(&o.res, o.ns.as_deref(), &o.name, false)? {
                crate::text::say!("  deleted {}", o.label());
            }
        }
        crate::text::say!("  step {} is live", i + 1);
    }
    let last = *to_run.last().expect("at least one step");
    if write {
        write_files(base, &texts[last + 1], last + 1)?;
    }
    if last + 1 < n && opts.step.is_none() {
        let check = plan.steps[last].wait.condition();
        out.push_str(&format!(
            "\nStopped after step {} for a check: {check}.\nThen run the same command again for step {} ({}).\n",
            last + 1,
            last + 2,
            plan.steps[last + 1].title
        ));
    } else if last + 1 == n {
        let next = plan.steps[last].wait.condition();
        out.push_str(&format!("\nDone: every step of the plan is live on {}.\nNext: {next}.\n", conn.cluster_label()));
    } else {
        out.push_str(&format!("\nStep {} is live.\n", last + 1));
    }
    Ok(LiveOutcome { stdout: out, code: 0 })
}

/// Keeps the repository in step with the cluster: the files as after step `step`.
fn write_files(base: &BTreeMap<String, String>, texts: &Texts, step: usize) -> R<()> {
    for (file, text) in texts {
        if base.get(file) != Some(text) {
            crate::edit::diff::write_atomic(std::path::Path::new(file), text, base.get(file).map(String::as_str))
                .map_err(|e| LiveError::FileNotWritten { file: file.clone(), step, source: std::sync::Arc::new(e) })?;
            crate::text::say!("  wrote {file}");
        }
    }
    Ok(())
}

fn print_flush(s: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

fn apply_one(conn: &Conn, o: &Obj, force: bool) -> R<()> {
    let before = conn.get(&o.res, o.ns.as_deref(), &o.name)?;
    let after = conn.apply(&o.res, o.ns.as_deref(), &o.json, false, force)?;
    let verb = match before {
        None => "created",
        Some(mut b) => {
            let mut a = after;
            strip(&mut b);
            strip(&mut a);
            if a == b { "unchanged" } else { "configured" }
        }
    };
    crate::text::say!("  {} {verb}", o.label());
    Ok(())
}

/// Waits until a Deployment has rolled out, as `kubectl rollout status` does.
fn wait_for(conn: &Conn, o: &Obj, opts: &LiveOptions) -> R<()> {
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut last = String::new();
    loop {
        let dep = conn.get(&o.res, o.ns.as_deref(), &o.name).inspect_err(|_| {
            if tty && !last.is_empty() {
                eprintln!();
            }
        })?;
        let Some(dep) = dep else {
            return Err(LiveError::Disappeared { object: o.label() });
        };
        let r = rollout(&dep);
        let line = format!("  waiting for deployment/{}: {}", o.name, r.message);
        if r.complete {
            if tty {
                eprint!("\r\x1b[2K");
            }
            crate::text::say!("  deployment/{} rolled out: {} ({:.1} s)", o.name, r.message, started.elapsed().as_secs_f64());
            return Ok(());
        }
        if r.failed {
            if tty && !last.is_empty() {
                eprintln!();
            }
            return Err(LiveError::RolloutFailed { name: o.name.clone(), message: r.message });
        }
        if line != last {
            if tty {
                eprint!("\r\x1b[2K{line}");
            } else {
                crate::text::say!("{line}");
            }
            last = line;
        }
        if started.elapsed() >= opts.timeout {
            if tty {
                eprintln!();
            }
            return Err(LiveError::WaitTimedOut { seconds: opts.timeout.as_secs(), name: o.name.clone(), message: r.message });
        }
        std::thread::sleep(opts.poll);
    }
}
