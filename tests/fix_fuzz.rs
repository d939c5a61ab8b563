//! Fuzzing the fixes: manifests generated from our fixtures (keys dropped
//! and inserted, scalars changed, comments added, block maps and lists
//! turned into flow style, documents joined, CRLF line ends) are fixed with
//! every fix (`lint --fix --unsafe-fixes`, through `kubectl_strategy::fix`);
//! the result must parse wherever the input did, keep every comment, have no
//! finding the input did not have, and fixing it again must change nothing.
//!
//! Deterministic (a fixed seed, `FIX_FUZZ_CASES` cases, default 500) so it
//! runs in CI on stable Rust in bounded time; `FIX_FUZZ_SEED` picks another
//! seed for a longer local run. A failing case is printed in full: add it to
//! testdata/regressions/fixes/ once the bug is fixed.

use kubectl_strategy::config::Config;
use kubectl_strategy::fix::fix_source;
use kubectl_strategy::lint::lint_text;
use std::collections::HashMap;

/// splitmix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The bad fixtures of the rules that fix.
fn fixable_seeds() -> Vec<String> {
    kubectl_strategy::rules::REGISTRY
        .iter()
        .filter(|r| r.fix.is_some())
        .map(|r| std::fs::read_to_string(crate::rules::fixture(r.id, "bad")).unwrap())
        .collect()
}

/// Every fixture and regression manifest of the repository.
fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("testdata/rules"), "testdata/regressions".into(), "testdata/examples".into()];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && let Ok(t) = std::fs::read_to_string(&p)
                && !t.contains("{{")
            {
                out.push(t);
            }
        }
    }
    out
}

/// Scalars that rules care about (zeros, percentages, booleans, numbers as
/// label values, long delays, `latest`), and some that no rule expects.
const SCALARS: &[&str] = &[
    "0",
    "1",
    "2",
    "5",
    "30",
    "120",
    "600",
    "\"0%\"",
    "100%",
    "25%",
    "true",
    "false",
    "null",
    "~",
    "1.0",
    "\"\"",
    "''",
    "Recreate",
    "RollingUpdate",
    "OnDelete",
    "nginx",
    "nginx:latest",
    "x: y",
    "[]",
    "{}",
    "\"8080\"",
    "metrics",
    "'quoted # not a comment'",
];

/// Keys worth inserting: those the fixes edit, and their neighbours.
const KEYS: &[&str] = &[
    "rollingUpdate: {maxSurge: 0, maxUnavailable: 0}",
    "rollingUpdate:",
    "maxSurge: 0",
    "maxUnavailable: 0",
    "type: Recreate",
    "terminationGracePeriodSeconds: 10",
    "lifecycle: {preStop: {sleep: {seconds: 40}}}",
    "livenessProbe: {httpGet: {path: /, port: 8080}, initialDelaySeconds: 300}",
    "ports: [{name: metrics, containerPort: 9090}]",
    "annotations: {prometheus.io/scrape: \"true\", prometheus.io/port: \"1234\"}",
    "prometheus.io/port: 1234",
    "tier: 1",
    "version: 1.0",
    "replicas: 3",
];

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A block whose children are all `key: scalar` (or `- scalar`) lines one
/// level deeper, with no comments: written in flow style instead.
fn to_flow(lines: &mut Vec<String>, at: usize) -> bool {
    let head = lines[at].trim_end().to_string();
    if !head.ends_with(':') || head.trim_start().starts_with('#') || head.trim_start().starts_with("- ") {
        return false;
    }
    let ind = indent_of(&head);
    let mut items = Vec::new();
    let mut seq = None;
    let mut j = at + 1;
    while j < lines.len() && (lines[j].trim().is_empty() || indent_of(&lines[j]) > ind) {
        let l = lines[j].trim();
        if l.is_empty() {
            break;
        }
        if l.contains('#') || l.contains('"') || l.contains('\'') || l.contains('{') || l.contains('[') || l.contains(',') {
            return false;
        }
        let is_seq = l.starts_with("- ");
        if *seq.get_or_insert(is_seq) != is_seq {
            return false;
        }
        let item = if is_seq { &l[2..] } else { l };
        if is_seq && item.contains(": ") || !is_seq && (!item.contains(": ") || item.ends_with(':')) || item.ends_with(':') {
            return false;
        }
        items.push(item.to_string());
        j += 1;
    }
    if items.is_empty() {
        return false;
    }
    let flow = if seq == Some(true) { format!("[{}]", items.join(", ")) } else { format!("{{{}}}", items.join(", ")) };
    lines[at] = format!("{head} {flow}");
    lines.drain(at + 1..j);
    true
}

/// One random change of a manifest's lines.
fn mutate(rng: &mut Rng, text: &str, seeds: &[String]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let at = rng.below(lines.len());
    match rng.below(12) {
        // Drop a key (and its block).
        0 => {
            let ind = indent_of(&lines[at]);
            let mut end = at + 1;
            while end < lines.len() && (lines[end].trim().is_empty() || indent_of(&lines[end]) > ind) {
                end += 1;
            }
            if lines[at].trim() != "---" {
                lines.drain(at..end);
            }
        }
        // Change a scalar value.
        1 | 2 => {
            if let Some(i) = lines[at].find(": ").filter(|_| !lines[at].trim_start().starts_with('#')) {
                let v = rng.pick(SCALARS);
                let comment = lines[at].find(" #").filter(|&c| c > i).map(|c| lines[at][c..].to_string()).unwrap_or_default();
                lines[at] = format!("{}: {v}{comment}", &lines[at][..i]);
            }
        }
        // Insert a key beside this one.
        3 => {
            let l = &lines[at];
            let ind = indent_of(l);
            let dash = l.trim_start().starts_with("- ");
            let pad = " ".repeat(if dash { ind + 2 } else { ind });
            lines.insert(at + 1, format!("{pad}{}", rng.pick(KEYS)));
        }
        // Comments: at a line's end, or on a line of their own.
        4 => {
            let n = rng.next() % 1000;
            if !lines[at].contains('#') && !lines[at].trim_end().ends_with('|') && !lines[at].trim_end().ends_with('>') {
                lines[at] = format!("{} # note {n}", lines[at]);
            }
        }
        5 => {
            let n = rng.next() % 1000;
            let pad = " ".repeat(indent_of(&lines[at]));
            lines.insert(at, format!("{pad}# comment {n}"));
        }
        // Flow style.
        6 => {
            let n = lines.len();
            for k in (0..n).map(|k| (at + k) % n) {
                if to_flow(&mut lines, k) {
                    break;
                }
            }
        }
        // Another document before or after.
        7 => {
            let other = rng.pick(seeds).trim_end().to_string();
            let mut t = lines.join("\n");
            t = if rng.below(2) == 0 { format!("{other}\n---\n{t}") } else { format!("{t}\n---\n{other}") };
            return t + "\n";
        }
        // Wider indentation (every level four spaces).
        9 => {
            for l in lines.iter_mut() {
                let ind = indent_of(l);
                *l = format!("{}{}", " ".repeat(ind * 2), &l[ind..]);
            }
        }
        // The document as the only item of a List.
        10 => {
            if text.matches("\n---").count() == 0 && text.contains("apiVersion:") && !text.trim_end().ends_with("...") {
                let items: Vec<String> = lines
                    .iter()
                    .filter(|l| l.trim() != "---")
                    .enumerate()
                    .map(|(i, l)| if i == 0 { format!("  - {l}") } else { format!("    {l}") })
                    .collect();
                return format!("apiVersion: v1\nkind: List\nitems:\n{}\n", items.join("\n"));
            }
        }
        // An anchor on a block, a quoted key.
        11 => {
            let l = lines[at].trim_end().to_string();
            if l.ends_with(':') && !l.trim_start().starts_with('#') {
                lines[at] = format!("{l} &a{}", rng.next() % 100);
            } else if let Some(i) = l.find(": ").filter(|_| !l.trim_start().starts_with(['#', '-', '"', '\''])) {
                let ind = indent_of(&l);
                lines[at] = format!("{}\"{}\"{}", &l[..ind], &l[ind..i], &l[i..]);
            }
        }
        // A leading document marker, or a trailing document end.
        _ => {
            if rng.below(2) == 0 {
                lines.insert(0, "---".into());
            } else {
                lines.push("...".into());
            }
        }
    }
    lines.join("\n") + "\n"
}

/// The comments of a text (from a `#` that starts a line or follows a space, to the line's end).
fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            if t.starts_with('#') {
                return Some(t.trim_end().to_string());
            }
            l.find(" #").map(|i| l[i + 1..].trim_end().to_string())
        })
        .collect()
}

type Counts = HashMap<(String, String), usize>;

fn counts(text: &str, config: &Config) -> Counts {
    let mut c = Counts::new();
    for f in lint_text("fuzz.yaml", text, config).findings {
        *c.entry((f.rule.to_string(), f.object.map(|o| o.to_string()).unwrap_or_default())).or_default() += 1;
    }
    c
}

/// What is wrong with fixing `input`, if anything.
fn check(input: &str, config: &Config) -> Result<usize, String> {
    let (out, fixed, _) = fix_source("fuzz.yaml", input, config, true);
    let before = counts(input, config);
    let after = counts(&out, config);
    for (k, n) in &after {
        let b = before.get(k).copied().unwrap_or(0);
        if *n > b {
            return Err(format!("new finding {k:?} ({b} -> {n}) after {fixed:?}:\n{out}"));
        }
    }
    let invalid = |c: &Counts| c.iter().filter(|(k, _)| k.0 == "invalid-yaml").map(|(_, n)| n).sum::<usize>();
    if invalid(&after) > invalid(&before) {
        return Err(format!("the fixed text does not parse:\n{out}"));
    }
    let kept = comments(&out);
    for c in comments(input) {
        if !out.contains(&c) || !kept.iter().any(|k| k.contains(&c)) {
            return Err(format!("comment {c:?} lost by {fixed:?}:\n{out}"));
        }
    }
    let (again, more, _) = fix_source("fuzz.yaml", &out, config, true);
    if again != out {
        return Err(format!("a second fix changes the text again ({more:?}):\n{out}\n-- then --\n{again}"));
    }
    Ok(fixed.len())
}

#[test]
fn fixes_of_generated_manifests_parse_keep_comments_add_nothing_and_converge() {
    let cases: usize = std::env::var("FIX_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(500);
    let seed: u64 = std::env::var("FIX_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x6b75_6265);
    let seeds = seeds();
    let fixable = fixable_seeds();
    assert!(seeds.len() > 50, "too few seeds: {}", seeds.len());
    let config = Config::default();
    let mut rng = Rng(seed);
    let started = std::time::Instant::now();
    let (mut fixes, mut fixed_cases) = (0, 0);
    for case in 0..cases {
        // Half the cases start from what a fix applies to.
        let mut text = if rng.below(2) == 0 { rng.pick(&fixable) } else { rng.pick(&seeds) }.clone();
        for _ in 0..1 + rng.below(4) {
            text = mutate(&mut rng, &text, &seeds);
        }
        if rng.below(8) == 0 {
            text = text.replace('\n', "\r\n");
        }
        match check(&text, &config) {
            Ok(n) => {
                fixes += n;
                fixed_cases += usize::from(n > 0);
            }
            Err(why) => panic!("case {case} (seed {seed}): {why}\n-- input --\n{text}"),
        }
    }
    eprintln!("fix fuzz: {cases} cases, {fixed_cases} with fixes, {fixes} fixes applied, {:.1?}", started.elapsed());
    // The generator must reach the fixes, or the test proves nothing.
    assert!(fixed_cases * 4 >= cases, "only {fixed_cases} of {cases} cases had anything to fix");
}

/// Every manifest a fuzz run once failed on (testdata/regressions/fixes/) stays fixed.
#[test]
fn fix_fuzz_regressions() {
    let config = Config::default();
    let Ok(dir) = std::fs::read_dir("testdata/regressions/fixes") else { return };
    for p in dir.flatten().map(|e| e.path()) {
        let text = std::fs::read_to_string(&p).unwrap();
        if let Err(why) = check(&text, &config) {
            panic!("{}: {why}", p.display());
        }
    }
}
