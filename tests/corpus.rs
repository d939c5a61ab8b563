//! The real-world corpus in ../shared/corpus: no panic, every finding on a real line.

const REAL_WORLD: &str = "../shared/corpus/real-world";

#[test]
fn lints_the_real_world_corpus() {
    if crate::shared("corpus/real-world").is_none() {
        return;
    }
    let report = crate::lint(&[REAL_WORLD]);
    for f in &report.findings {
        let file = &report.files[f.file];
        let line = f.span.start.line;
        let text =
            file.line(line).unwrap_or_else(|| panic!("{}: finding {} on line {line}, beyond the end of the file", file.name, f.rule));
        assert!(
            (f.span.start.col as usize) <= text.chars().count(),
            "{}:{line}: column {} beyond the line's end ({} chars) for {}",
            file.name,
            f.span.start.col + 1,
            text.chars().count(),
            f.rule
        );
        assert!(f.span.end >= f.span.start, "{}: inverted span for {}", file.name, f.rule);
    }
    // Counted on the corpus at the commits in SOURCES.tsv; a change here means
    // the loader now sees the corpus differently, which deserves a look.
    assert_eq!(report.files.len(), 1639, "files");
    assert_eq!(report.objects(), 2528, "objects");
    let invalid = report.findings.iter().filter(|f| f.rule.starts_with("invalid-")).count();
    assert!(invalid < 40, "{invalid} invalid-* findings: the loader may be rejecting valid manifests");
    eprintln!("{}", kubectl_strategy::report::human::summary_line(&report));
}
