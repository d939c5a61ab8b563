//! The rule engine: any text lints without panicking; findings are in the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let report = kubectl_strategy::lint::lint_text("fuzz.yaml", text, &Default::default());
    for f in &report.findings {
        let file = &report.files[f.file];
        assert!(f.span.start.line as usize <= file.line_count().max(1) + 1, "{f:?}");
    }
});
