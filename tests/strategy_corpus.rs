//! Every strategy run to the end on real Deployments of ../shared/corpus/real-world:
//! recreate, rolling, canary 25 → 50 → promote, blue/green → promote → rollback.
//! Counts what converged, what was refused (and why), how many labels a new
//! track changes, how many Service selector keys change, and what a promote or
//! rollback leaves behind. `KUBECTL_STRATEGY_MEASURE=FILE` writes the numbers.
//! Fails on a wrong end (a crash, a broken invariant) and when a strategy converges on
//! fewer Deployments than the floor recorded in testdata/strategy_corpus_floor.txt.

use crate::bin;
use kubectl_strategy::input::SourceFile;
use kubectl_strategy::manifest::{self, Object, Typed};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const REAL_WORLD: &str = "../shared/corpus/real-world";
/// Deployments per run; `KUBECTL_STRATEGY_MEASURE_LIMIT` changes it (the run: 150).
const LIMIT: usize = 40;
const NEW_TAG: &str = "9.9.9-new";
const FINISHED: &str = kubectl_strategy::strategy::canary::FINISHED;

type Texts = BTreeMap<String, String>;

fn read_dir(dir: &Path) -> Texts {
    let mut out = Texts::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let yaml = p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json");
        if p.is_file()
            && yaml
            && let Ok(t) = std::fs::read_to_string(&p)
        {
            out.insert(p.file_name().unwrap().to_string_lossy().into_owned(), t);
        }
    }
    out
}

fn objects(texts: &Texts) -> Vec<Object> {
    texts
        .iter()
        .enumerate()
        .flat_map(|(i, (n, t))| manifest::load(i, &SourceFile::new(n.clone(), t.trim_start_matches('\u{feff}').to_string())).objects)
        .collect()
}

/// A Deployment of the corpus: the file that holds it and the manifests beside
/// it (less files that hold another object of the same kind and name, such as
/// variants of one sample), and how to name it.
struct Case {
    dir: PathBuf,
    texts: Texts,
    name: String,
    namespace: Option<String>,
    container: String,
    image: String,
}

fn key(o: &Object) -> (String, Option<String>, Option<String>) {
    (o.kind.clone(), o.name.clone(), o.namespace.clone())
}

fn cases() -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(REAL_WORLD)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let texts = read_dir(&dir);
        let per_file: BTreeMap<&String, Vec<Object>> =
            texts.iter().map(|(n, t)| (n, objects(&Texts::from([(n.clone(), t.clone())])))).collect();
        for (file, objs) in &per_file {
            let own: Vec<_> = objs.iter().map(key).collect();
            let chosen: Texts = texts
                .iter()
                .filter(|(n, _)| n == file || !per_file[n].iter().any(|o| own.contains(&key(o))))
                .map(|(n, t)| (n.clone(), t.clone()))
                .collect();
            for o in objs {
                if o.kind != "Deployment" || o.name.is_none() || !o.base.is_empty() {
                    continue;
                }
                let Some(w) = o.workload() else { continue };
                let Some((_, c)) = w.containers().next() else { continue };
                let Some(image) = c.image.clone() else { continue };
                let repo = match image.rsplit_once(':') {
                    Some((r, t)) if !t.contains('/') => r.to_string(),
                    _ => image.split('@').next().unwrap_or(&image).to_string(),
                };
                out.push(Case {
                    dir: dir.join(file),
                    texts: chosen.clone(),
                    name: o.name.clone().unwrap(),
                    namespace: o.namespace.clone(),
                    container: c.name.clone(),
                    image: format!("{repo}:{NEW_TAG}"),
                });
            }
        }
    }
    out
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new(texts: &Texts) -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        for (n, t) in texts {
            std::fs::write(dir.path().join(n), t).unwrap();
        }
        Scratch { dir }
    }

    fn texts(&self) -> Texts {
        read_dir(self.dir.path())
    }

    fn run(&self, args: &[String]) -> (i32, String, String) {
        // KUBECTL_STRATEGY_BIN: measure another build (a copy of an older one).
        let mut cmd = match std::env::var_os("KUBECTL_STRATEGY_BIN") {
            Some(b) => std::process::Command::new(b),
            None => bin(),
        };
        let out = cmd.current_dir(self.dir.path()).args(args).output().unwrap();
        crate::outcome(&out)
    }
}

/// How a flow ended.
enum End {
    Converged,
    Refused(String),
    /// A crash, a write that failed, a broken invariant or no convergence.
    Wrong(String),
}

/// Perform every pending step, checking the invariants after each.
fn drive(s: &Scratch, args: &[String]) -> End {
    let mut steps = 0;
    loop {
        let before = s.texts();
        let mut a = args.to_vec();
        a.push("--exit-code".into());
        let (code, _, err) = s.run(&a);
        match code {
            0 => return End::Converged,
            1 => {}
            2 => return End::Refused(reason(&err)),
            c => return End::Wrong(format!("exit {c}: {}", err.lines().next().unwrap_or(""))),
        }
        let mut w = args.to_vec();
        w.push("--write".into());
        let (code, _, err) = s.run(&w);
        if code != 0 {
            return End::Wrong(format!("--write exit {code}: {}", err.lines().next().unwrap_or("")));
        }
        steps += 1;
        if steps >= 10 {
            return End::Wrong("does not converge".into());
        }
        let after = s.texts();
        if let Err(e) = std::panic::catch_unwind(|| crate::strategies::check_invariants(&before, &after)) {
            let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            return End::Wrong(format!("invariant: {}", msg.unwrap_or_default()));
        }
    }
}

/// The cause of a refusal: the variant name a refused plan prints in
/// brackets (`error: [not-a-canary] …`), never its words.
fn reason(err: &str) -> String {
    let code = err.lines().find_map(|l| l.strip_prefix("error: [").and_then(|r| r.split_once(']')).map(|(k, _)| k.to_string()));
    code.unwrap_or_else(|| format!("UNCODED {}", err.lines().next().unwrap_or("")))
}

fn find<'a>(objs: &'a [Object], kind: &str, name: &str) -> Option<&'a Object> {
    objs.iter().find(|o| o.kind == kind && o.name.as_deref() == Some(name))
}

fn template_labels(o: &Object) -> BTreeMap<String, String> {
    o.workload().map(|w| w.template_labels().clone()).unwrap_or_default()
}

/// Keys added, removed or changed between two label maps.
fn changed_keys(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> usize {
    a.iter().filter(|(k, v)| b.get(*k) != Some(v)).count() + b.keys().filter(|k| !a.contains_key(*k)).count()
}

fn service_selectors(objs: &[Object]) -> BTreeMap<String, BTreeMap<String, String>> {
    objs.iter()
        .filter_map(|o| match &o.typed {
            Typed::Service(s) => Some((o.name.clone().unwrap_or_default(), s.selector.clone().unwrap_or_default())),
            _ => None,
        })
        .collect()
}

const VERSION_KEYS: [&str; 2] = ["app.kubernetes.io/version", "version"];

#[derive(Default)]
struct Tally {
    runs: usize,
    converged: usize,
    refused: BTreeMap<String, usize>,
    wrong: Vec<String>,
    /// How each run ended, by Deployment: `converged`, `refused [kind]`, `wrong: …`.
    ends: BTreeMap<String, String>,
}

impl Tally {
    fn add(&mut self, what: &str, end: &End) -> bool {
        self.runs += 1;
        let (ok, how) = match end {
            End::Converged => {
                self.converged += 1;
                (true, "converged".to_string())
            }
            End::Refused(r) => {
                *self.refused.entry(r.clone()).or_default() += 1;
                (false, format!("refused [{r}]"))
            }
            End::Wrong(w) => {
                self.wrong.push(format!("{what}: {w}"));
                (false, format!("wrong: {w}"))
            }
        };
        self.ends.insert(what.to_string(), how);
        ok
    }

    fn render(&self, name: &str) -> String {
        let refused: usize = self.refused.values().sum();
        let mut s = format!("{name}: {} runs, {} converged, {refused} refused, {} wrong\n", self.runs, self.converged, self.wrong.len());
        let mut reasons: Vec<_> = self.refused.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (r, n) in reasons {
            s.push_str(&format!("    refused {n:>3}× {r}\n"));
        }
        for w in &self.wrong {
            s.push_str(&format!("    WRONG {w}\n"));
        }
        s
    }
}

/// Counts over the converged runs.
#[derive(Default)]
struct Shape {
    /// Label keys changed on a new track's pods, per track: histogram.
    track_label_changes: BTreeMap<usize, usize>,
    /// Selector keys whose value differs from the original's, per track: histogram.
    track_selector_changes: BTreeMap<usize, usize>,
    /// Where a promote/rollback did not end in the user's shape: run and first differing line.
    leftover_examples: Vec<String>,
    /// Tracks whose version label still names the old version next to the new image.
    stale_version: usize,
    /// Service selector keys changed per run: histogram.
    service_key_changes: BTreeMap<usize, usize>,
    /// Service selectors left with fewer keys than the user wrote.
    services_narrowed: usize,
    /// Runs that end with the one record a finished canary leaves (by design).
    finished_records: usize,
    /// Runs that end with lines differing from the user's own shape.
    leftover_runs: usize,
    leftover_lines: usize,
    empty_annotations: usize,
    generated_keys: usize,
    pinned_replicas: usize,
    flow_from_block: usize,
    /// Canaries written with no stable replica left.
    all_canary: usize,
    /// Plans written while an HPA scaled the target.
    under_hpa: usize,
}

impl Shape {
    fn render(&self) -> String {
        let hist = |h: &BTreeMap<usize, usize>| h.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
        format!(
            "label keys changed per new track (changed: tracks): {}\n\
             selector label values changed per new track (changed: tracks): {}\n\
             tracks with a stale version label: {}\n\
             Service selector keys changed per run (changed: runs): {}\n\
             Service selectors narrowed to fewer keys: {}\n\
             canary promotes ending with the one `canary-finished` annotation (by design): {}\n\
             promote/rollback not back in the user's shape (that annotation aside): {} runs, {} lines\n\
             \x20   `annotations: {{}}` left: {}, generated keys left: {}, replicas pinned: {}, block turned flow: {}\n\
             canaries written with no stable replica: {}\n\
             canary/blue-green written while an HPA scales the target: {}\n",
            hist(&self.track_label_changes),
            hist(&self.track_selector_changes),
            self.stale_version,
            hist(&self.service_key_changes),
            self.services_narrowed,
            self.finished_records,
            self.leftover_runs,
            self.leftover_lines,
            self.empty_annotations,
            self.generated_keys,
            self.pinned_replicas,
            self.flow_from_block,
            self.all_canary,
            self.under_hpa,
        )
    }

    fn tracks(&mut self, original: &Object, after: &[Object], names: &[String], new_image: &str) {
        let ol = template_labels(original);
        for n in names {
            let Some(t) = find(after, "Deployment", n) else { continue };
            let tl = template_labels(t);
            *self.track_label_changes.entry(changed_keys(&ol, &tl)).or_default() += 1;
            let sel = |o: &Object| o.workload().and_then(|w| w.selector.as_ref()?.match_labels.clone()).unwrap_or_default();
            *self.track_selector_changes.entry(changed_keys(&sel(original), &sel(t))).or_default() += 1;
            let new = t.workload().is_some_and(|w| w.containers().any(|(_, c)| c.image.as_deref() == Some(new_image)));
            if new && VERSION_KEYS.iter().any(|k| ol.get(*k).is_some_and(|v| tl.get(*k) == Some(v))) {
                self.stale_version += 1;
            }
        }
    }

    fn services(&mut self, before: &[Object], after: &[Object]) {
        let (b, a) = (service_selectors(before), service_selectors(after));
        let mut n = 0;
        for (name, sel) in &b {
            if let Some(now) = a.get(name) {
                n += changed_keys(sel, now);
                if now.len() < sel.len() {
                    self.services_narrowed += 1;
                }
            }
        }
        *self.service_key_changes.entry(n).or_default() += 1;
    }

    /// Compare the end of a promote/rollback with the shape it should have.
    fn leftovers(&mut self, id: &str, expected: &Texts, end: &Texts, ignore: &[&str]) {
        let end = &self.without_finished_record(end);
        let mut lines = 0;
        let mut first = None;
        for (name, want) in expected {
            let got = end.get(name).map(String::as_str).unwrap_or("");
            let diff = similar::TextDiff::from_lines(want.as_str(), got);
            for c in diff.iter_all_changes() {
                if c.tag() == similar::ChangeTag::Equal || ignore.iter().any(|i| c.value().contains(i)) {
                    continue;
                }
                lines += 1;
                let v = c.value();
                first.get_or_insert_with(|| format!("{}{}", if c.tag() == similar::ChangeTag::Insert { "+" } else { "-" }, v.trim_end()));
                if c.tag() == similar::ChangeTag::Insert {
                    if v.trim_end().ends_with("annotations: {}") {
                        self.empty_annotations += 1;
                    }
                    if v.contains("kubectl-strategy.io/") {
                        self.generated_keys += 1;
                    }
                    if v.trim_start().starts_with("replicas:") {
                        self.pinned_replicas += 1;
                    }
                    if v.contains(": {") && v.trim_end().ends_with('}') && !v.contains("{}") {
                        self.flow_from_block += 1;
                    }
                }
            }
        }
        if lines > 0 {
            self.leftover_runs += 1;
            self.leftover_lines += lines;
            self.leftover_examples.push(format!("{id}: {}", first.unwrap_or_default()));
        }
    }
}

impl Shape {
    /// The texts without the `canary-finished` annotation (removed with the
    /// editor, as the mapping it may have created), counted once per run.
    fn without_finished_record(&mut self, texts: &Texts) -> Texts {
        let ptr = format!("/metadata/annotations/{}", FINISHED.replace('/', "~1"));
        let mut found = false;
        let out = texts
            .iter()
            .map(|(name, text)| {
                let mut e = kubectl_strategy::edit::Editor::new(name.clone(), text.clone());
                let docs: Vec<usize> =
                    e.documents().iter().filter(|d| d.result.as_ref().is_ok_and(|n| n.pointer(&ptr).is_some())).map(|d| d.index).collect();
                for d in docs {
                    found = true;
                    e.remove_pruned(d, &ptr).unwrap();
                }
                (name.clone(), e.text)
            })
            .collect();
        self.finished_records += usize::from(found);
        out
    }
}

fn with_image(texts: &Texts, old: &str, new: &str) -> Texts {
    texts.iter().map(|(k, v)| (k.clone(), v.replace(old, new))).collect()
}

fn hpa_scales(objs: &[Object], name: &str) -> bool {
    objs.iter()
        .any(|o| o.kind == "HorizontalPodAutoscaler" && o.root.pointer("/spec/scaleTargetRef/name").and_then(|n| n.as_str()) == Some(name))
}

/// A run over the corpus: the report, and each strategy's tally under its key in
/// testdata/strategy_corpus_floor.txt.
pub struct Measured {
    pub report: String,
    tallies: Vec<(&'static str, Tally)>,
}

pub fn measure(limit: usize) -> Measured {
    let all = cases();
    let total = all.len();
    let (mut recreate, mut rolling, mut canary, mut promote, mut bg, mut bg_promote, mut bg_rollback) =
        (Tally::default(), Tally::default(), Tally::default(), Tally::default(), Tally::default(), Tally::default(), Tally::default());
    let mut shape = Shape::default();
    let mut skipped = 0;
    let mut canary4 = Tally::default();
    // Spread over the corpus, not the first repositories only.
    let n = limit.min(total).max(1);
    let cases: Vec<&Case> = (0..n).map(|i| &all[i * total / n]).collect();
    for c in &cases {
        let original = c.texts.clone();
        let objs = objects(&original);
        // Manifests that already break an invariant (two workloads owning each
        // other's pods, two objects of one name) say nothing about a plan.
        let check = original.clone();
        if std::panic::catch_unwind(|| crate::strategies::check_invariants(&check, &check)).is_err() {
            skipped += 1;
            continue;
        }
        let Some(orig) = objs.iter().find(|o| o.kind == "Deployment" && o.name.as_deref() == Some(&c.name)) else { continue };
        let old_image = orig.workload().and_then(|w| w.containers().next().and_then(|(_, c)| c.image.clone())).unwrap_or_default();
        let id = format!("{}: deployment/{}", c.dir.strip_prefix(REAL_WORLD).unwrap_or(&c.dir).display(), c.name);
        let target = format!("deployment/{}", c.name);
        let args = |words: &[&str]| -> Vec<String> {
            let mut a: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            a.insert(1 + usize::from(words[0] == "apply"), target.clone());
            a.insert(2 + usize::from(words[0] == "apply"), ".".into());
            if let Some(ns) = &c.namespace {
                a.extend(["-n".to_string(), ns.clone()]);
            }
            a
        };
        let image = format!("{}={}", c.container, c.image);
        let hpa = hpa_scales(&objs, &c.name);

        let s = Scratch::new(&original);
        recreate.add(&id, &drive(&s, &args(&["apply", "recreate"])));
        let s = Scratch::new(&original);
        rolling.add(&id, &drive(&s, &args(&["apply", "rolling"])));

        let mut s = Scratch::new(&original);
        let mut canary_end = drive(&s, &args(&["apply", "canary", "--image", &image, "--steps", "25,50"]));
        canary.add(&id, &canary_end);
        if matches!(&canary_end, End::Refused(r) if r == "not-a-canary") {
            // What the refusal advises: a canary over more replicas.
            s = Scratch::new(&original);
            canary_end = drive(&s, &args(&["apply", "canary", "--image", &image, "--steps", "25,50", "--replicas", "4"]));
            canary4.add(&id, &canary_end);
        }
        if matches!(canary_end, End::Converged) {
            let mid = objects(&s.texts());
            shape.tracks(orig, &mid, &[format!("{}-canary", c.name)], &c.image);
            shape.services(&objs, &mid);
            if find(&mid, "Deployment", &c.name).and_then(|d| d.workload()).and_then(|w| w.replicas) == Some(0) {
                shape.all_canary += 1;
            }
            if hpa {
                shape.under_hpa += 1;
            }
            if promote.add(&id, &drive(&s, &args(&["promote"]))) {
                shape.leftovers(&format!("canary {id}"), &with_image(&original, &old_image, &c.image), &s.texts(), &[&c.image]);
            }
        }

        let s = Scratch::new(&original);
        let bg_end = drive(&s, &args(&["apply", "blue-green", "--image", &image]));
        if bg.add(&id, &bg_end) {
            let migrated = s.texts();
            let mid = objects(&migrated);
            shape.tracks(orig, &mid, &[format!("{}-blue", c.name), format!("{}-green", c.name)], &c.image);
            shape.services(&objs, &mid);
            if hpa {
                shape.under_hpa += 1;
            }
            if bg_promote.add(&id, &drive(&s, &args(&["promote"]))) && bg_rollback.add(&id, &drive(&s, &args(&["rollback"]))) {
                // Back where the migration left it, less the promote marker.
                shape.leftovers(&format!("blue-green {id}"), &migrated, &s.texts(), &["promote-pending"]);
            }
        }
    }
    let mut out = format!(
        "{} Deployments of {REAL_WORLD} (of {total}), new image tag {NEW_TAG}; {skipped} skipped: their manifests already break an invariant\n\n",
        cases.len()
    );
    let tallies = vec![
        ("recreate", recreate),
        ("rolling", rolling),
        ("canary", canary),
        ("canary-replicas-4", canary4),
        ("canary-promote", promote),
        ("blue-green", bg),
        ("blue-green-promote", bg_promote),
        ("blue-green-rollback", bg_rollback),
    ];
    for (key, t) in &tallies {
        let name = match *key {
            "canary" => "canary 25,50",
            "canary-replicas-4" => "canary 25,50 --replicas 4 (where refused as not a canary)",
            "canary-promote" => "canary promote",
            "blue-green-promote" => "blue-green promote",
            "blue-green-rollback" => "blue-green rollback",
            other => other,
        };
        out.push_str(&t.render(name));
    }
    out.push('\n');
    out.push_str(&shape.render());
    for e in &shape.leftover_examples {
        out.push_str(&format!("    not back: {e}\n"));
    }
    Measured { report: out, tallies }
}

/// The floor: per strategy, the Deployments whose run converged when it was recorded
/// (one `<strategy> <Deployment>` line each, with the default LIMIT).
const FLOOR: &str = "testdata/strategy_corpus_floor.txt";

const FLOOR_HEADER: &str = "\
# The floor of tests/strategy_corpus.rs: per strategy, the Deployments of ../shared/corpus/real-world
# (the default sample of LIMIT Deployments) whose run converged when it was recorded, one
# `<strategy> <Deployment>` line each. The test fails when a strategy converges on fewer
# Deployments than it has lines here, and names the listed ones that no longer converge, and why.
# To raise the floor after a planner converges more often (or when the corpus changes), run
#   KUBECTL_STRATEGY_CORPUS_FLOOR=write cargo test --locked --test main -- strategy_corpus
# and read the diff of this file before committing it: a line removed is a Deployment lost.
";

fn floor_text(m: &Measured) -> String {
    let mut out = FLOOR_HEADER.to_string();
    for (key, t) in &m.tallies {
        for (id, how) in &t.ends {
            if how == "converged" {
                out.push_str(&format!("{key} {id}\n"));
            }
        }
    }
    out
}

/// What fell below the floor `recorded` (the text of [`FLOOR`]): per strategy, the count and
/// each recorded Deployment that no longer converges with how its run ended.
fn below_floor(m: &Measured, recorded: &str) -> Vec<String> {
    let mut floor: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for line in recorded.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (key, id) = line.split_once(' ').unwrap_or_else(|| panic!("{FLOOR}: not `<strategy> <Deployment>`: {line}"));
        assert!(m.tallies.iter().any(|(k, _)| *k == key), "{FLOOR}: unknown strategy {key}");
        floor.entry(key).or_default().push(id);
    }
    let mut out = Vec::new();
    for (key, t) in &m.tallies {
        let ids = floor.get(key).map(Vec::as_slice).unwrap_or_default();
        if t.converged >= ids.len() {
            continue;
        }
        let mut s = format!("{key}: {} converged, below the floor of {}; no longer converging:", t.converged, ids.len());
        for id in ids {
            let how = t.ends.get(*id).map(String::as_str).unwrap_or("not run");
            if how != "converged" {
                s.push_str(&format!("\n    {id}: {how}"));
            }
        }
        out.push(s);
    }
    out
}

#[test]
fn strategies_over_real_deployments() {
    if !crate::require(Path::new(REAL_WORLD).is_dir(), REAL_WORLD, "check out the shared corpus beside the repository") {
        return;
    }
    let limit = std::env::var("KUBECTL_STRATEGY_MEASURE_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(LIMIT);
    let measured = measure(limit);
    let report = &measured.report;
    if let Some(path) = std::env::var_os("KUBECTL_STRATEGY_MEASURE") {
        std::fs::write(path, report).unwrap();
    }
    eprintln!("{report}");
    assert!(!report.contains("WRONG") && !report.contains("UNCODED"), "{report}");
    // The floor holds for the default sample of this build only.
    if limit != LIMIT || std::env::var_os("KUBECTL_STRATEGY_BIN").is_some() {
        eprintln!("{FLOOR} not checked: another sample or another build");
        return;
    }
    let floor = Path::new(env!("CARGO_MANIFEST_DIR")).join(FLOOR);
    if std::env::var("KUBECTL_STRATEGY_CORPUS_FLOOR").as_deref() == Ok("write") {
        std::fs::write(&floor, floor_text(&measured)).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(&floor).unwrap_or_else(|e| panic!("{}: {e}", floor.display()));
    let below = below_floor(&measured, &recorded);
    assert!(below.is_empty(), "fewer plans converge than the floor in {FLOOR}:\n{}\n\n{report}", below.join("\n"));
}
