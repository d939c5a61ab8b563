//! Loader and locator: any bytes decode, load and locate without panicking,
//! and every finding points inside the file.
#![no_main]
use kubectl_strategy::input::{ReadOutcome, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = match decode("fuzz.yaml".into(), data.to_vec()) {
        ReadOutcome::Text(f) => f,
        ReadOutcome::Broken { .. } => return,
    };
    let loaded = kubectl_strategy::manifest::load(0, &file);
    for f in &loaded.findings {
        assert!(f.span.start.line >= 1);
        assert!(file.offset(f.span.start) <= file.text.len());
    }
    for o in &loaded.objects {
        // every node's position resolves inside the text
        let _ = file.offset(o.root.span.start);
        let _ = file.offset(o.root.span.end);
    }
});
