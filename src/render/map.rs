//! Map a finding on a rendered object back into the user's file: the same
//! JSON pointer in the source document where it exists there, else its
//! nearest existing ancestor (Kustomize); the literal key in a chart's
//! template, else its nearest literal ancestor, else the first line (Helm).

use crate::input::{Pos, Span};
use crate::manifest::Object;
use crate::manifest::tree::{Node, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What part of a node a finding points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aim {
    Key,
    Entry,
    Value,
}

/// Which part of the node at `ptr` (in `root`) the span covers.
pub fn aim_of(root: &Node, ptr: &str, span: Span) -> Aim {
    match root.locate(ptr) {
        Some(l) if l.entry.is_some() && span == l.node.span && l.key_span() != span => Aim::Value,
        Some(l) if l.entry.is_some() && span == l.entry_span() && l.key_span() != span => Aim::Entry,
        _ => Aim::Key,
    }
}

fn segments(ptr: &str) -> Vec<String> {
    ptr.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
}

/// The pointer in `src` that corresponds to `ptr` in `rendered`: sequence
/// items are matched by their `name` where they have one, else by position.
/// Returns the deepest pointer that exists in `src` and whether it is all of `ptr`.
pub fn translate(rendered: &Node, src: &Node, ptr: &str) -> (String, bool) {
    let mut r = rendered;
    let mut s = src;
    let mut out = String::new();
    for seg in segments(ptr) {
        let next = match (&r.value, &s.value) {
            (Value::Map(_), Value::Map(_)) => match (r.get(&seg), s.get(&seg)) {
                (Some(rn), Some(sn)) => Some((rn, sn, crate::manifest::tree::escape(&seg).into_owned())),
                _ => None,
            },
            (Value::Seq(ri), Value::Seq(si)) => {
                let Some(item) = seg.parse::<usize>().ok().and_then(|i| ri.get(i)) else { return (out, false) };
                let by_name = item.get("name").and_then(Node::as_str);
                let found = match by_name {
                    Some(n) => si.iter().position(|x| x.get("name").and_then(Node::as_str) == Some(n)),
                    None => seg.parse::<usize>().ok().filter(|&i| i < si.len()),
                };
                found.map(|i| (item, &si[i], i.to_string()))
            }
            _ => None,
        };
        let Some((rn, sn, step)) = next else { return (out, false) };
        out.push('/');
        out.push_str(&step);
        r = rn;
        s = sn;
    }
    (out, true)
}

/// The source document of a rendered object among the objects of its file:
/// the only one of its kind, else the one whose name the rendered name holds;
/// with none of its kind (a patch changed `kind`, as a JSON 6902 `replace
/// /kind` does), the one document of its `apiVersion` whose name the
/// rendered name holds.
pub fn source_object<'a, V>(rendered: &Object<V>, candidates: &[&'a Object<V>]) -> Option<&'a Object<V>> {
    let same_kind: Vec<&'a Object<V>> = candidates.iter().copied().filter(|o| o.kind == rendered.kind).collect();
    if same_kind.len() == 1 {
        return Some(same_kind[0]);
    }
    let name = rendered.name.as_deref().unwrap_or_default();
    let named = |list: &[&'a Object<V>]| -> Vec<&'a Object<V>> {
        let hits: Vec<&'a Object<V>> =
            list.iter().copied().filter(|o| o.name.as_deref().is_some_and(|n| name == n || name.contains(n))).collect();
        let longest = hits.iter().filter_map(|o| o.name.as_deref()).map(str::len).max().unwrap_or(0);
        hits.into_iter().filter(|o| o.name.as_deref().map_or(0, str::len) == longest).collect()
    };
    if !same_kind.is_empty() {
        return named(&same_kind).into_iter().last();
    }
    let same_api: Vec<&'a Object<V>> = candidates.iter().copied().filter(|o| o.api_version == rendered.api_version).collect();
    match named(&same_api).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// A span for `aim` at a located node.
pub fn span_at(root: &Node, ptr: &str, aim: Aim) -> Span {
    let l = root.locate(ptr).unwrap_or(crate::manifest::tree::Located { node: root, entry: None });
    match aim {
        Aim::Key => l.key_span(),
        Aim::Entry => l.entry_span(),
        Aim::Value => l.node.span,
    }
}

/// A generated object (`configMapGenerator`): the generator entry of its kustomization.
pub fn generator_entry(kustomization: &Node, generator: &str, rendered_name: &str) -> Span {
    let key = match generator {
        "SecretGenerator" => "secretGenerator",
        _ => "configMapGenerator",
    };
    let items = kustomization.get(key).and_then(Node::as_seq).unwrap_or_default();
    let hit = items
        .iter()
        .filter_map(|i| i.entry("name").filter(|e| e.value.as_str().is_some_and(|n| rendered_name.contains(n))))
        .max_by_key(|e| e.value.as_str().map_or(0, str::len));
    match (hit, kustomization.entry(key)) {
        (Some(e), _) => e.span(),
        (None, Some(e)) => e.key.span,
        _ => Span { start: Pos { line: 1, col: 0 }, end: Pos { line: 1, col: 0 } },
    }
}

/// One line of a template after its `{{ … }}` actions were blanked out.
#[derive(Clone, Debug)]
struct TLine {
    line: u32,
    /// Column of the first character.
    col: u32,
    dash: bool,
    key: Option<String>,
    key_col: u32,
    key_end: u32,
    /// The value after `key:` on this line, when there is one.
    value: Option<(u32, u32)>,
}

/// Scan a template into documents of key lines, skipping actions.
fn scan(text: &str) -> Vec<Vec<TLine>> {
    static KEY: OnceLock<regex::Regex> = OnceLock::new();
    let key_re =
        KEY.get_or_init(|| regex::Regex::new(r#"^(?:"([^"]*)"|'([^']*)'|([^\s:#"'{\[][^:#]*?))\s*:(?:\s|$)"#).expect("valid regex"));
    let mut docs = vec![Vec::new()];
    let mut in_action = false;
    for (n, raw) in text.split('\n').enumerate() {
        let mut line: Vec<char> = raw.trim_end_matches('\r').chars().collect();
        let mut i = 0;
        while i < line.len() {
            if in_action {
                if line[i] == '}' && line.get(i + 1) == Some(&'}') {
                    line[i] = ' ';
                    line[i + 1] = ' ';
                    in_action = false;
                    i += 2;
                    continue;
                }
                line[i] = ' ';
            } else if line[i] == '{' && line.get(i + 1) == Some(&'{') {
                in_action = true;
                continue;
            }
            i += 1;
        }
        let s: String = line.iter().collect();
        if s.starts_with("---") {
            docs.push(Vec::new());
            continue;
        }
        let trimmed = s.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let col = (s.chars().count() - trimmed.chars().count()) as u32;
        let (dash, content, key_col) = match trimmed.strip_prefix("- ").or_else(|| (trimmed == "-").then_some("")) {
            Some(rest) => {
                let rest_trim = rest.trim_start();
                (true, rest_trim, col + 1 + (rest.chars().count() - rest_trim.chars().count()) as u32 + 1)
            }
            None => (false, trimmed, col),
        };
        let (key, key_end, value) = match key_re.captures(content) {
            Some(c) => {
                let k = c.get(1).or(c.get(2)).or(c.get(3)).expect("one alternative").as_str().trim().to_string();
                let colon = c.get(0).expect("match").as_str().trim_end().chars().count() as u32;
                let key_len = content[..c.get(0).expect("match").as_str().trim_end().len() - 1].trim_end().chars().count() as u32;
                let after = &content[c.get(0).expect("match").end()..];
                let value_text = after.trim();
                let value = (!value_text.is_empty() && !value_text.starts_with('#')).then(|| {
                    let start = key_col + colon + 1 + (after.chars().count() - after.trim_start().chars().count()) as u32;
                    (start, start + value_text.chars().count() as u32)
                });
                (Some(k), key_col + key_len, value)
            }
            None => (None, key_col, None),
        };
        docs.last_mut().expect("one document").push(TLine { line: n as u32 + 1, col, dash, key, key_col, key_end, value });
    }
    docs
}

/// Lines below line `i` of `block` that belong to it.
fn below(block: &[TLine], i: usize, col: u32) -> Vec<TLine> {
    block[i + 1..].iter().take_while(|l| l.col > col || (l.col == col && l.dash && !block[i].dash)).cloned().collect()
}

/// Walk `segs` down the template; `found` is the deepest literal line and how many segments it matched.
fn walk(block: &[TLine], node: &Node, segs: &[String], found: &mut Option<(TLine, usize)>) -> bool {
    let depth = found.as_ref().map_or(0, |f| f.1);
    let Some((seg, rest)) = segs.split_first() else { return true };
    match &node.value {
        Value::Map(_) => {
            let Some(child) = node.get(seg) else { return false };
            let Some(min) = block.iter().filter(|l| !l.dash && l.key.is_some()).map(|l| l.key_col).min() else { return false };
            let mut lines =
                (0..block.len()).filter(|&i| !block[i].dash && block[i].key_col == min && block[i].key.as_deref() == Some(seg.as_str()));
            let Some(first) = lines.next() else { return false };
            // A key written in several branches (`{{- if … }}apiVersion: policy/v1{{- else }}…`):
            // the line whose literal value is the rendered one.
            let i = match child.as_str() {
                Some(v) if !line_value_is(&block[first], v) => lines.find(|&i| line_value_is(&block[i], v)).unwrap_or(first),
                _ => first,
            };
            *found = Some((block[i].clone(), depth + 1));
            walk(&below(block, i, block[i].key_col), child, rest, found)
        }
        Value::Seq(items) => {
            let Some((idx, child)) = seg.parse::<usize>().ok().and_then(|i| items.get(i).map(|c| (i, c))) else { return false };
            let Some(dash_col) = block.iter().filter(|l| l.dash).map(|l| l.col).min() else { return false };
            let starts: Vec<usize> = (0..block.len()).filter(|&i| block[i].dash && block[i].col == dash_col).collect();
            let item_block = |i: usize| {
                let mut first = block[i].clone();
                first.dash = false;
                let mut b = vec![first];
                b.extend(block[i + 1..].iter().take_while(|l| l.col > dash_col).cloned());
                b
            };
            let name = child.get("name").and_then(Node::as_str);
            let by_name = name.and_then(|n| {
                starts
                    .iter()
                    .copied()
                    .find(|&i| item_block(i).iter().any(|l| l.key.as_deref() == Some("name") && line_value_is(l, n)))
                    .or_else(|| {
                        // A templated name (`{{ .Chart.Name }}-sidecar`): the item whose own
                        // `name`, its actions read as any text, renders as this one; the most
                        // literal text wins. Items of a branch not taken render nothing: by
                        // position they would take the findings of the items after them.
                        starts
                            .iter()
                            .filter_map(|&i| {
                                let own = item_block(i);
                                let key_col = own.first()?.key_col;
                                let l = own.iter().find(|l| l.key_col == key_col && l.key.as_deref() == Some("name"))?;
                                templated_value_matches(l, n).map(|literal| (literal, std::cmp::Reverse(i)))
                            })
                            .max()
                            .map(|(_, std::cmp::Reverse(i))| i)
                    })
            });
            let Some(i) = by_name.or_else(|| starts.get(idx).copied()) else { return false };
            *found = Some((block[i].clone(), depth + 1));
            walk(&item_block(i), child, rest, found)
        }
        _ => false,
    }
}

thread_local! {
    static LINE_TEXT: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn line_value_is(l: &TLine, want: &str) -> bool {
    LINE_TEXT.with(|t| {
        let t = t.borrow();
        let Some(text) = t.get(l.line as usize - 1) else { return false };
        let Some((s, e)) = l.value else { return false };
        let v: String = text.chars().skip(s as usize).take((e - s) as usize).collect();
        v.trim_matches(['"', '\'']) == want
    })
}

/// Whether the value written after `key:` on a template line, its actions
/// (`{{ … }}`) read as any text, renders as `want`; the number of literal
/// characters it holds when it does. `None` for a value without actions.
fn templated_value_matches(l: &TLine, want: &str) -> Option<usize> {
    static ACTION: OnceLock<regex::Regex> = OnceLock::new();
    let action = ACTION.get_or_init(|| regex::Regex::new(r"\{\{.*?\}\}").expect("valid regex"));
    LINE_TEXT.with(|t| {
        let t = t.borrow();
        let text: String = t.get(l.line as usize - 1)?.chars().skip(l.key_end as usize).collect();
        let raw = text.trim_start().strip_prefix(':')?.trim().trim_matches(['"', '\'']);
        if !action.is_match(raw) {
            return None;
        }
        // The literal pieces in order: the first opens `want`, the last closes it.
        let literal: Vec<&str> = action.split(raw).collect();
        let (first, last) = (literal[0], literal[literal.len() - 1]);
        let mut rest = want.strip_prefix(first)?.strip_suffix(last)?;
        for piece in &literal[1..literal.len() - 1] {
            rest = &rest[rest.find(piece)? + piece.len()..];
        }
        Some(literal.iter().map(|s| s.len()).sum())
    })
}

/// Where a finding on a rendered object lies in its chart template.
pub struct TemplateHit {
    /// When the key is not literal but `toYaml` writes it from values
    /// (`{{- toYaml .Values.x }}`, or `toYaml .` inside `{{- with .Values.x }}`):
    /// the JSON pointer into the values.
    pub values_ptr: Option<String>,
    pub span: Span,
    /// The key named by the finding is written literally there.
    pub exact: bool,
    pub line: u32,
}

/// Locate `ptr` of a rendered object (`rendered`, the `ordinal`-th object of
/// its kind rendered from this template) in the template text.
pub fn in_template(text: &str, kind: &str, ordinal: usize, rendered: &Node, ptr: &str, aim: Aim) -> TemplateHit {
    LINE_TEXT.with(|t| *t.borrow_mut() = text.split('\n').map(|l| l.trim_end_matches('\r').to_string()).collect());
    let docs = scan(text);
    let with_kind: Vec<&Vec<TLine>> =
        docs.iter().filter(|d| d.iter().any(|l| l.col == 0 && l.key.as_deref() == Some("kind") && line_value_is(l, kind))).collect();
    let doc = with_kind.get(ordinal).or(with_kind.first()).copied().or_else(|| docs.iter().find(|d| !d.is_empty()));
    let first_line = Span { start: Pos { line: 1, col: 0 }, end: Pos { line: 1, col: 0 } };
    let Some(doc) = doc else { return TemplateHit { span: first_line, exact: false, line: 1, values_ptr: None } };
    let mut found = None;
    let segs = segments(ptr);
    let exact = walk(doc, rendered, &segs, &mut found) && !ptr.is_empty();
    match found {
        Some((l, depth)) => {
            let values_ptr = if exact { None } else { from_values(text, l.line, &segs[depth..]) };
            let key = Span { start: Pos { line: l.line, col: l.key_col }, end: Pos { line: l.line, col: l.key_end } };
            let span = match (aim, l.value, exact) {
                (Aim::Value, Some((s, e)), true) => Span { start: Pos { line: l.line, col: s }, end: Pos { line: l.line, col: e } },
                (Aim::Entry, Some((_, e)), true) => Span { start: key.start, end: Pos { line: l.line, col: e } },
                _ => key,
            };
            TemplateHit { span, exact, line: l.line, values_ptr }
        }
        None => {
            let l = doc.first().map_or(1, |l| l.line);
            TemplateHit {
                span: Span { start: Pos { line: l, col: 0 }, end: Pos { line: l, col: 0 } },
                exact: false,
                line: l,
                values_ptr: None,
            }
        }
    }
}

/// Below the literal key on `line`, does `toYaml` write the rest (`tail`) from values?
fn from_values(text: &str, line: u32, tail: &[String]) -> Option<String> {
    static TO_YAML: OnceLock<regex::Regex> = OnceLock::new();
    static WITH: OnceLock<regex::Regex> = OnceLock::new();
    let to_yaml = TO_YAML.get_or_init(|| regex::Regex::new(r"\{\{-?\s*toYaml\s+(\.|\$?\.Values\.[A-Za-z0-9_.]+)\s").expect("valid regex"));
    let with =
        WITH.get_or_init(|| regex::Regex::new(r"\{\{-?\s*(with|if|range|end)\b\s*(\$?\.Values\.([A-Za-z0-9_.]+))?").expect("valid regex"));
    let lines: Vec<&str> = text.split('\n').collect();
    // The action right below the key.
    let next = lines.get(line as usize)?;
    let source = to_yaml.captures(next)?.get(1)?.as_str().to_string();
    let base = if source == "." {
        // The `with .Values.x` that encloses the key (skipping closed blocks above it).
        let mut depth = 0usize;
        let mut found = None;
        for l in lines[..line as usize - 1].iter().rev() {
            for c in with.captures_iter(l).collect::<Vec<_>>().into_iter().rev() {
                match &c[1] {
                    "end" => depth += 1,
                    _ if depth > 0 => depth -= 1,
                    "with" => found = found.or_else(|| c.get(3).map(|m| m.as_str().to_string())),
                    _ => {}
                }
            }
            if found.is_some() {
                break;
            }
        }
        found?
    } else {
        source.trim_start_matches('$').trim_start_matches(".Values.").to_string()
    };
    let mut ptr: String = base.split('.').map(|s| format!("/{s}")).collect();
    for t in tail {
        ptr.push('/');
        ptr.push_str(&crate::manifest::tree::escape(t));
    }
    Some(ptr)
}

/// `.Values.x.y` references on a template line: the dotted paths.
pub fn values_refs(line: &str) -> Vec<String> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"\$?\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)").expect("valid regex"));
    re.captures_iter(line).map(|c| c[1].to_string()).collect()
}

/// The values file and span that set `.Values.<path>`: the last given file
/// that sets it, else the chart's values.yaml.
pub fn in_values(files: &[PathBuf], dotted: &str) -> Option<(PathBuf, Span, String)> {
    let ptr: String = dotted.split('.').map(|s| format!("/{s}")).collect();
    in_values_at(files, &ptr)
}

/// The values file and span of a JSON pointer into the values (the last file that sets it).
pub fn in_values_at(files: &[PathBuf], ptr: &str) -> Option<(PathBuf, Span, String)> {
    for f in files.iter().rev() {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        let Some(Ok(root)) = crate::manifest::parse::parse_stream(&text).into_iter().next().map(|d| d.result) else { continue };
        if let Some(l) = root.locate(ptr) {
            let value = l.node.scalar_text().unwrap_or_default();
            return Some((f.clone(), l.entry_span(), value));
        }
    }
    None
}

/// Pick the `.Values` reference on a line that the rendered value came from.
pub fn pick_ref(refs: &[String], files: &[PathBuf], rendered_value: &str) -> Option<(String, PathBuf, Span)> {
    let located: Vec<(String, PathBuf, Span, String)> =
        refs.iter().filter_map(|r| in_values(files, r).map(|(f, s, v)| (r.clone(), f, s, v))).collect();
    let exact = located.iter().find(|(_, _, _, v)| v == rendered_value);
    let within = located.iter().rev().find(|(_, _, _, v)| !v.is_empty() && rendered_value.contains(v.as_str()));
    // A value that is not in what rendered (a branch not taken, a default) is not the source.
    exact.or(within).map(|(r, f, s, _)| (r.clone(), f.clone(), *s))
}

/// The chart's own values file.
pub fn chart_values(dir: &Path) -> PathBuf {
    dir.join("values.yaml")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse::parse_stream;

    const TEMPLATE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - name: http
              containerPort: 8080
"#;

    const RENDERED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  labels:\n    app: x\nspec:\n  replicas: 2\n  template:\n    spec:\n      nodeSelector:\n        disk: ssd\n      containers:\n        - name: app\n          image: nginx:latest\n          ports:\n            - name: http\n              containerPort: 8080\n";

    fn hit(ptr: &str, aim: Aim) -> (u32, u32, bool) {
        let r = parse_stream(RENDERED).remove(0).result.unwrap();
        let h = in_template(TEMPLATE, "Deployment", 0, &r, ptr, aim);
        (h.span.start.line, h.span.start.col, h.exact)
    }

    #[test]
    fn literal_keys_are_found_through_actions() {
        assert_eq!(hit("/spec/template/spec/containers/0/image", Aim::Value), (17, 17, true));
        assert_eq!(hit("/spec/template/spec/containers/0/ports/0/containerPort", Aim::Key), (20, 14, true));
        assert_eq!(hit("/spec/template/spec/nodeSelector", Aim::Key), (12, 6, true));
        assert_eq!(hit("/spec/replicas", Aim::Key), (8, 2, true));
    }

    #[test]
    fn a_key_of_several_branches_is_found_where_its_value_rendered() {
        let template = "{{- if semverCompare \">=1.25-0\" .Capabilities.KubeVersion.GitVersion }}\napiVersion: policy/v1\n{{- else }}\napiVersion: policy/v1beta1\n{{- end }}\nkind: PodDisruptionBudget\nspec:\n  maxUnavailable: 1\n";
        for (version, line) in [("policy/v1beta1", 4), ("policy/v1", 2)] {
            let rendered = crate::manifest::parse::parse_stream(&format!(
                "apiVersion: {version}\nkind: PodDisruptionBudget\nspec:\n  maxUnavailable: 1\n"
            ))
            .remove(0)
            .result
            .unwrap();
            let hit = in_template(template, "PodDisruptionBudget", 0, &rendered, "/apiVersion", Aim::Value);
            assert_eq!((hit.line, hit.exact), (line, true), "{version}");
        }
    }

    #[test]
    fn missing_keys_go_to_the_nearest_literal_ancestor() {
        assert_eq!(hit("/spec/template/spec/containers/0/readinessProbe", Aim::Key), (16, 10, false));
        assert_eq!(hit("/metadata/labels/app", Aim::Key), (5, 2, false));
    }

    /// Found on opentelemetry-helm-charts: a container in a branch not taken,
    /// named from values, took the findings of the next one.
    #[test]
    fn templated_names_find_the_item_that_rendered() {
        let template = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        {{- if .Values.sidecar.enabled }}\n        - name: {{ .Chart.Name }}-{{ .Values.sidecar.name }}\n          image: busybox:1.36\n        {{- end }}\n        - name: {{ .Chart.Name }}\n          image: {{ .Values.image }}\n";
        let at = |rendered: &str, ptr: &str| {
            let r = parse_stream(rendered).remove(0).result.unwrap();
            in_template(template, "Deployment", 0, &r, ptr, Aim::Key).line
        };
        let one = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n";
        assert_eq!(at(one, "/spec/template/spec/containers/0/image"), 11);
        let two = "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app-reloader\n          image: busybox:1.36\n        - name: app\n          image: nginx:1.27\n";
        assert_eq!(at(two, "/spec/template/spec/containers/0/image"), 8);
        assert_eq!(at(two, "/spec/template/spec/containers/1/image"), 11);
        // Values that rendered nothing are never the source of a value.
        let values = std::env::temp_dir().join(format!("ks-values-{}.yaml", std::process::id()));
        std::fs::write(&values, "sidecar:\n  name: reloader\n").unwrap();
        assert!(pick_ref(&["sidecar.name".to_string()], std::slice::from_ref(&values), "app").is_none());
        assert!(pick_ref(&["sidecar.name".to_string()], std::slice::from_ref(&values), "app-reloader").is_some());
        std::fs::remove_file(values).unwrap();
    }

    #[test]
    fn values_references() {
        assert_eq!(
            values_refs(r#"image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}""#),
            vec!["image.repository", "image.tag"]
        );
    }
}
