//! The editor: apply random edits to a random manifest. When an edit is
//! accepted, the result must parse and keep every full-line comment.
#![no_main]
use kubectl_strategy::edit::{Editor, Yaml};
use kubectl_strategy::manifest::parse::parse_stream;
use kubectl_strategy::manifest::tree::{Node, Value, escape};
use libfuzzer_sys::fuzz_target;

fn pointers(n: &Node, ptr: String, out: &mut Vec<String>) {
    match &n.value {
        Value::Map(es) => {
            for e in es {
                if let Some(k) = e.key_str() {
                    let p = format!("{ptr}/{}", escape(k));
                    out.push(p.clone());
                    pointers(&e.value, p, out);
                }
            }
        }
        Value::Seq(items) => {
            for (i, it) in items.iter().enumerate() {
                pointers(it, format!("{ptr}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Full-line comments (YAML whitespace is only spaces and tabs; a lone `\r`
/// breaks a line as `\n` does).
fn comments(t: &str) -> Vec<&str> {
    t.split(['\n', '\r']).map(|l| l.trim_start_matches([' ', '\t']).trim_end()).filter(|l| l.starts_with('#')).collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (ops, text) = data.split_at(4);
    let Ok(text) = std::str::from_utf8(text) else { return };
    let docs = parse_stream(text);
    let Some(Ok(root)) = docs.first().map(|d| d.result.clone()) else { return };
    if docs.iter().any(|d| d.result.is_err()) {
        return;
    }
    let mut ptrs = Vec::new();
    pointers(&root, String::new(), &mut ptrs);
    if ptrs.is_empty() {
        return;
    }
    let target = &ptrs[ops[0] as usize % ptrs.len()];
    let mut e = Editor::new("fuzz.yaml", text);
    let result = match ops[1] % 4 {
        0 => e.set(0, target, &Yaml::Int(i64::from(ops[2]))),
        1 => e.set(0, target, &Yaml::str(format!("v{}", ops[2]))),
        2 => e.set(0, &format!("{target}/new{}", ops[3]), &Yaml::str("x")),
        _ => e.remove(0, target),
    };
    if result.is_ok() {
        let after = parse_stream(&e.text);
        assert!(after.iter().all(|d| d.result.is_ok()), "edit broke the YAML:\n{}\n---\n{}", text, e.text);
        for c in comments(text) {
            // a comment inside a removed entry may go; all others stay
            if ops[1] % 4 != 3 {
                assert!(comments(&e.text).contains(&c), "lost comment {c:?}:\n{text}\n---\n{}", e.text);
            }
        }
    }
});
