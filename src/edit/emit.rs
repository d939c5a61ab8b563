//! The one YAML emitter: block YAML from JSON values, in the styles the tool
//! writes — the lines an edit inserts ([`Style::edit`]), the objects a plan
//! generates ([`Style::PLAN`]) and live objects as `kubectl get -o yaml`
//! prints them ([`Style::KUBECTL`]).

use crate::manifest::tree::{Value, resolve_plain};
use serde_json::{Map, Value as J};

/// How strings are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strings {
    /// Plain where that reads back as the string, else quoted: [`scalar`].
    Compact,
    /// As go-yaml (kubectl) writes them: multi-line strings as literal
    /// blocks, single quotes where a plain string would start or hold an
    /// indicator, double quotes where it would read as another type.
    Kubectl,
}

/// How block YAML is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Mapping keys in sorted order, else in the value's own order.
    pub sort_keys: bool,
    /// Sequence items indented by `step` under their key, else at the key's
    /// indentation (as go-yaml writes them).
    pub indent_sequences: bool,
    /// Each sequence item in flow style on its dash's line (`- {a: 1}`),
    /// else in block style (with [`Strings::Compact`] only).
    pub flow_items: bool,
    /// The indentation step of nested mappings.
    pub step: usize,
    /// The line end.
    pub nl: &'static str,
    pub strings: Strings,
}

impl Style {
    /// The objects a plan generates: the value's key order, nested sequences indented.
    pub const PLAN: Style =
        Style { sort_keys: false, indent_sequences: true, flow_items: false, step: 2, nl: "\n", strings: Strings::Compact };

    /// `kubectl get -o yaml`: sorted keys, sequences at their key's indentation.
    pub const KUBECTL: Style =
        Style { sort_keys: true, indent_sequences: false, flow_items: false, step: 2, nl: "\n", strings: Strings::Kubectl };

    /// Lines inserted into a file: its indentation step and line ends, a
    /// sequence's items in flow style.
    pub fn edit(step: usize, nl: &'static str) -> Style {
        Style { sort_keys: false, indent_sequences: true, flow_items: true, step, nl, strings: Strings::Compact }
    }
}

/// A value as a YAML document body (block style, ending with a line end).
pub fn to_yaml(v: &J, style: &Style) -> String {
    let mut out = String::new();
    block(v, 0, style, &mut out);
    out
}

/// The block lines of `key: value` at `indent`.
pub fn entry(key: &str, v: &J, indent: usize, style: &Style) -> String {
    let mut out = String::new();
    entry_into(key, v, indent, style, &mut out);
    out
}

/// A value in flow style on one line (`{a: 1, b: [x, y]}`), strings
/// [`Strings::Compact`], keys in the value's order.
pub fn flow(v: &J) -> String {
    match v {
        J::String(s) => scalar(s),
        J::Array(items) => format!("[{}]", items.iter().map(flow).collect::<Vec<_>>().join(", ")),
        J::Object(m) => format!("{{{}}}", m.iter().map(|(k, v)| format!("{}: {}", scalar(k), flow(v))).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// Render a string as a YAML scalar that reads back as that string.
pub fn scalar(s: &str) -> String {
    let plain_ok = !s.is_empty()
        && matches!(resolve_plain(s), Value::Str(_))
        && s.chars().all(|c| c.is_alphanumeric() || "-_./:@%+=".contains(c))
        && !s.starts_with(['-', ':', '%', '@', '.'])
        && !s.ends_with(':');
    if plain_ok {
        s.to_string()
    } else if s.contains('"') && !s.contains(['\'', '\n', '\\', '\t']) && !s.chars().any(char::is_control) {
        // JSON in an annotation reads best single-quoted.
        format!("'{s}'")
    } else {
        double_quoted(s)
    }
}

/// `s` as a JSON string, which YAML reads as a double-quoted one. serde_json
/// escapes C0 controls only; DEL and C1 controls (`\u009b` starts a terminal
/// sequence) are escaped too, so printed YAML never carries them raw.
fn double_quoted(s: &str) -> String {
    let json = serde_json::to_string(s).expect("string serializes");
    if !json.chars().any(char::is_control) {
        return json;
    }
    json.chars().map(|c| if c.is_control() { format!("\\u{:04x}", c as u32) } else { c.to_string() }).collect()
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn block(v: &J, indent: usize, style: &Style, out: &mut String) {
    match v {
        J::Object(m) if !m.is_empty() => {
            for (k, v) in entries(m, style) {
                entry_into(k, v, indent, style, out);
            }
        }
        J::Array(items) if !items.is_empty() => {
            for item in items {
                pad(out, indent);
                out.push_str("- ");
                if style.flow_items {
                    out.push_str(&flow(item));
                    out.push_str(style.nl);
                } else {
                    // The item's first line on the dash's line, the rest below it.
                    let mut sub = String::new();
                    block(item, indent + 2, style, &mut sub);
                    out.push_str(&sub[indent + 2..]);
                }
            }
        }
        other => {
            pad(out, indent);
            out.push_str(&leaf(other, indent, style));
            out.push_str(style.nl);
        }
    }
}

fn entries<'a>(m: &'a Map<String, J>, style: &Style) -> Vec<(&'a String, &'a J)> {
    let mut entries: Vec<_> = m.iter().collect();
    if style.sort_keys {
        entries.sort_by_key(|(k, _)| *k);
    }
    entries
}

fn entry_into(key: &str, v: &J, indent: usize, style: &Style, out: &mut String) {
    pad(out, indent);
    out.push_str(&string(key, 0, style));
    out.push(':');
    match v {
        J::Object(m) if !m.is_empty() => {
            out.push_str(style.nl);
            block(v, indent + style.step, style, out);
        }
        J::Array(a) if !a.is_empty() => {
            out.push_str(style.nl);
            block(v, if style.indent_sequences { indent + style.step } else { indent }, style, out);
        }
        other => {
            out.push(' ');
            out.push_str(&leaf(other, indent + style.step, style));
            out.push_str(style.nl);
        }
    }
}

/// A scalar or an empty collection; `indent` is that of a literal block's lines.
fn leaf(v: &J, indent: usize, style: &Style) -> String {
    match v {
        J::String(s) => string(s, indent, style),
        J::Object(_) => "{}".into(),
        J::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn string(s: &str, indent: usize, style: &Style) -> String {
    match style.strings {
        Strings::Compact => scalar(s),
        Strings::Kubectl => kubectl_string(s, indent),
    }
}

/// Words YAML 1.1 reads as something other than a string.
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on",
        "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty()
        && (t.chars().all(|c| c.is_ascii_digit() || c == '_')
            || t.parse::<f64>().is_ok()
            || t.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            || t.strip_prefix("0o").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_digit(8)))
            || (t.contains(':') && t.split(':').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))))
}

fn needs_single_quotes(s: &str) -> bool {
    let indicator = match s.chars().next() {
        // `--port` is plain; `- x` and `-` are not.
        Some('-') => s == "-" || s.starts_with("- "),
        Some(c) => "?:,[]{}#&*!|>'\"%@`".contains(c),
        None => false,
    };
    indicator || s.starts_with(' ') || s.ends_with(' ') || s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t')
}

fn kubectl_string(s: &str, indent: usize) -> String {
    if s.contains('\n') && !s.chars().any(|c| c.is_control() && c != '\n') && !s.starts_with(' ') {
        let chomp = if s.ends_with("\n\n") {
            "+"
        } else if s.ends_with('\n') {
            ""
        } else {
            "-"
        };
        let body = s.strip_suffix('\n').unwrap_or(s);
        let pad = " ".repeat(indent);
        let lines: Vec<String> = body.split('\n').map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect();
        return format!("|{chomp}\n{}", lines.join("\n"));
    }
    if resolves_to_non_string(s) || s.chars().any(|c| c.is_control()) {
        return double_quoted(s);
    }
    if needs_single_quotes(s) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One value in each style: where they differ (key order, a sequence's
    /// indentation and items, quoting, a multi-line string) and where they agree.
    #[test]
    fn one_value_in_each_style() {
        let v = json!({"b": {"list": [{"k": 1, "s": "x y"}, "yes"], "e": {}, "m": []}, "a": "two\nlines\n", "c": null});
        assert_eq!(
            to_yaml(&v, &Style::PLAN),
            "b:\n  list:\n    - k: 1\n      s: \"x y\"\n    - \"yes\"\n  e: {}\n  m: []\na: \"two\\nlines\\n\"\nc: null\n"
        );
        assert_eq!(
            to_yaml(&v, &Style::KUBECTL),
            "a: |\n  two\n  lines\nb:\n  e: {}\n  list:\n  - k: 1\n    s: x y\n  - \"yes\"\n  m: []\nc: null\n"
        );
        assert_eq!(
            entry("b", &v["b"], 2, &Style::edit(4, "\r\n")),
            "  b:\r\n      list:\r\n          - {k: 1, s: \"x y\"}\r\n          - \"yes\"\r\n      e: {}\r\n      m: []\r\n"
        );
        assert_eq!(flow(&v["b"]), "{list: [{k: 1, s: \"x y\"}, \"yes\"], e: {}, m: []}");
        assert_eq!(to_yaml(&json!({}), &Style::KUBECTL), "{}\n");
        assert_eq!(to_yaml(&json!([["a", "b"], "c"]), &Style::PLAN), "- - a\n  - b\n- c\n");
    }
}
