//! Loader and locator: any bytes decode, load and locate without panicking,
//! and every finding points inside the file.
#![no_main]
use kubectl_strategy::input::{Pos, ReadOutcome, decode, offset_in};
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
        // every node's position resolves inside the text, the same way with
        // and without the line table (the editor locates without one)
        for pos in [o.root.span.start, o.root.span.end] {
            let at = file.offset(pos);
            assert!(at <= file.text.len());
            assert_eq!(at, offset_in(&file.text, pos), "{pos:?}");
        }
    }
    // any position, even past a line's end or the file's, resolves inside the text
    if let [a, b, ..] = data {
        let pos = Pos { line: u32::from(*a), col: u32::from(*b) };
        let at = file.offset(pos);
        assert!(at <= file.text.len() && file.text.is_char_boundary(at));
    }
});
