//! The fixer: any text is linted and fixed with every fix (`--fix
//! --unsafe-fixes`). The result must parse wherever the input did, keep every
//! full-line comment, have no finding the input did not have, and fixing it
//! again must change nothing.
#![no_main]
use kubectl_strategy::config::Config;
use kubectl_strategy::fix::fix_source;
use kubectl_strategy::lint::lint_text;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fn counts(text: &str, config: &Config) -> HashMap<(String, String), usize> {
    let mut c = HashMap::new();
    for f in lint_text("fuzz.yaml", text, config).findings {
        *c.entry((f.rule.to_string(), f.object.map(|o| o.to_string()).unwrap_or_default())).or_default() += 1;
    }
    c
}

/// Full-line comments (YAML whitespace is only spaces and tabs; a lone `\r`
/// breaks a line as `\n` does).
fn comments(t: &str) -> Vec<&str> {
    t.split(['\n', '\r']).map(|l| l.trim_start_matches([' ', '\t']).trim_end()).filter(|l| l.starts_with('#')).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let config = Config::default();
    let (out, fixed, _) = fix_source("fuzz.yaml", text, &config, true);
    if fixed.is_empty() {
        assert_eq!(out, text, "no fix applied, yet the text changed");
        return;
    }
    let (before, after) = (counts(text, &config), counts(&out, &config));
    for (k, n) in &after {
        let b = before.get(k).copied().unwrap_or(0);
        assert!(*n <= b, "new finding {k:?} ({b} -> {n}) after {fixed:?}:\n{text}\n---\n{out}");
    }
    let kept = comments(&out);
    for c in comments(text) {
        assert!(kept.iter().any(|k| k.contains(c)), "comment {c:?} lost by {fixed:?}:\n{text}\n---\n{out}");
    }
    let (again, more, _) = fix_source("fuzz.yaml", &out, &config, true);
    assert_eq!(again, out, "a second fix changes the text again ({more:?})");
});
