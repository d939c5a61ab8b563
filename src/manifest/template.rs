//! Is a document a Go/Helm template, or YAML that merely holds `{{` as data?
//!
//! Decided per document: `{{` inside a block scalar (`|`, `>`) or a quoted
//! string is data (alerting rules, dashboards, Argo `{{args.x}}`); in the
//! document's structure, or as a Go action in a plain scalar, it is a template.

use super::parse::Document;
use super::tree::{Node, Value};
use crate::input::Pos;
use std::sync::OnceLock;

/// Where the first template action of a document is, if it is a template.
pub fn action_outside_data(text: &str, doc: &Document) -> Option<Pos> {
    let chunk = &text[doc.bytes.clone()];
    if !chunk.contains("{{") {
        return None;
    }
    let actions = actions(chunk, doc.first_line);
    let root = match &doc.result {
        // A document with `{{` that does not parse is a template (`{{- if }}` lines).
        Err(_) => return actions.first().map(|a| a.0),
        Ok(root) => root,
    };
    let mut scalars = Vec::new();
    collect_scalars(root, &mut scalars);
    for (pos, go_action) in actions {
        let holder = scalars.iter().filter(|n| n.span.start <= pos && pos < n.span.end).max_by_key(|n| n.span.start);
        let Some(node) = holder else {
            return Some(pos); // in the structure: `replicas: {{ .Values.n }}` parses as a flow mapping
        };
        let at = crate::input::offset_in(text, node.span.start);
        // Quoted scalars start at their quote; block scalars at their content, after `|` or `>`.
        let quoted = matches!(text[at..].chars().next(), Some('"' | '\''));
        let indicator = text[..at].trim_end().rsplit(char::is_whitespace).next().unwrap_or_default();
        let block = indicator.starts_with(['|', '>']) && indicator.chars().all(|c| "|>+-0123456789".contains(c));
        let data = quoted || block;
        if !data && go_action {
            return Some(pos);
        }
    }
    None
}

/// Every `{{` of a chunk: its position and whether it reads as a Helm action
/// (`{{ .Values.x }}`, `{{- include … }}`) rather than another tool's placeholder.
fn actions(chunk: &str, first_line: u32) -> Vec<(Pos, bool)> {
    static GO: OnceLock<regex::Regex> = OnceLock::new();
    let go = GO.get_or_init(|| {
        // Helm's own names: `{{ $labels.x }}`, `{{ with … }}` (Prometheus alert text) or
        // `{{ .Name }}` in a plain string may be another tool's data.
        regex::Regex::new(r"^\{\{-?\s*(\$?\.(Values|Release|Chart|Capabilities|Files|Template)\b|include\b|template\b|toYaml\b|tpl\b|required\b|lookup\b)")
            .expect("valid regex")
    });
    let mut out = Vec::new();
    for (n, line) in chunk.split('\n').enumerate() {
        for (i, _) in line.match_indices("{{") {
            let col = line[..i].chars().count() as u32;
            out.push((Pos { line: first_line + n as u32, col }, go.is_match(&line[i..])));
        }
    }
    out
}

fn collect_scalars<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    match &n.value {
        Value::Seq(items) => items.iter().for_each(|i| collect_scalars(i, out)),
        Value::Map(entries) => {
            for e in entries {
                collect_scalars(&e.key, out);
                collect_scalars(&e.value, out);
            }
        }
        _ => out.push(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse::parse_stream;

    fn first_action(text: &str) -> Vec<Option<u32>> {
        parse_stream(text).iter().map(|d| action_outside_data(text, d).map(|p| p.line)).collect()
    }

    #[test]
    fn braces_in_block_and_quoted_scalars_are_data() {
        let text =
            "kind: ConfigMap\ndata:\n  rules: |\n    summary: {{ $labels.instance }} down\n  q: \"{{ .Values.x }}\"\n  s: '{{ .y }}'\n";
        assert_eq!(first_action(text), vec![None]);
    }

    #[test]
    fn template_documents_are_found_per_document() {
        let text = "kind: A\nname: x\n---\n{{- if .Values.on }}\nkind: B\n{{- end }}\n---\nkind: C\nimage: repo:{{ .Values.tag }}\n---\nkind: D\nq: sum({{args.service}})\nd: failed for {{ $labels.pod }} {{ with $labels.cluster -}} on {{ . }} {{- end }}\n";
        assert_eq!(first_action(text), vec![None, Some(4), Some(9), None]);
    }

    #[test]
    fn a_template_in_the_structure_is_found() {
        let text = "kind: A\nspec:\n  replicas: {{ .Values.n }}\n";
        assert_eq!(first_action(text), vec![Some(3)]);
    }
}
