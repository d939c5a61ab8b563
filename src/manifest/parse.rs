//! Split a YAML stream into documents and build positioned trees.
//!
//! The stream is split on `---` lines *before* parsing, so a broken
//! document does not hide the ones after it.

use super::tree::{Entry, Node, Str, Value, resolve_non_string};
use crate::input::{Pos, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::{HashMap, HashSet};

/// Deepest nesting accepted before a document is refused.
pub const MAX_DEPTH: usize = 512;
/// Most nodes one document may expand to through aliases (billion-laughs guard).
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// Why a document does not parse, and where.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    pub pos: Pos,
    pub message: String,
}

/// One document of a stream: where it starts, and its tree (or why it has none).
#[derive(Debug)]
pub struct Document {
    /// 0-based index among the non-empty documents of the file.
    pub index: usize,
    /// First line of the document's chunk (1-based).
    pub first_line: u32,
    /// Byte range of the document's chunk (from its `---` line, if any, to the next one).
    pub bytes: std::ops::Range<usize>,
    /// The document uses anchors or aliases (editing one place would change others).
    pub anchors: bool,
    /// The spans of the anchored nodes that an alias (or a merge key) reads:
    /// an edit inside one changes every place that shares it.
    pub shared: Vec<Span>,
    pub result: Result<Node, ParseError>,
}

/// A chunk of the stream between document markers.
#[derive(Clone, Copy)]
struct Chunk<'a> {
    text: &'a str,
    first_line: u32,
    start: usize,
}

fn is_doc_marker(line: &str) -> bool {
    line.starts_with("---") && matches!(line.as_bytes().get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn split_chunks(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 1u32;
    let mut line_no = 1u32;
    let mut pos = 0usize;
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        let end = memchr_nl(bytes, pos);
        let line = &text[pos..end];
        if pos > start && is_doc_marker(line) {
            chunks.push(Chunk { text: &text[start..pos], first_line: start_line, start });
            start = pos;
            start_line = line_no;
        }
        pos = if end < bytes.len() { end + 1 } else { end };
        line_no += 1;
    }
    chunks.push(Chunk { text: &text[start..], first_line: start_line, start });
    chunks
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &b[from..]).map_or(b.len(), |p| from + p)
}

/// Parse all documents of a stream. `text` must not start with a BOM.
pub fn parse_stream(text: &str) -> Vec<Document> {
    let chunks = split_chunks(text);
    let passes = parse_chunks(&chunks);
    let mut docs = Vec::new();
    for (chunk, pass) in chunks.iter().zip(passes) {
        push_docs(chunk, pass, &mut docs);
    }
    docs
}

/// Parse only the documents whose chunk `keep` accepts (it sees the chunk's
/// text, see [`top_level_kind`]); the others are split off unparsed. Indexes
/// and positions stay those of the whole stream. Also returns how many
/// chunks were left unparsed.
pub fn parse_stream_where(text: &str, keep: impl Fn(&str) -> bool) -> (Vec<Document>, usize) {
    // Each kept chunk, with the number of chunks skipped before it.
    let mut skipped = 0;
    let mut kept = Vec::new();
    for chunk in split_chunks(text) {
        if keep(chunk.text) {
            kept.push((skipped, chunk));
        } else {
            skipped += 1;
        }
    }
    let (before, chunks): (Vec<usize>, Vec<Chunk<'_>>) = kept.into_iter().unzip();
    let mut docs = Vec::new();
    for ((before, chunk), pass) in before.into_iter().zip(&chunks).zip(parse_chunks(&chunks)) {
        let n = docs.len();
        push_docs(chunk, pass, &mut docs);
        for d in &mut docs[n..] {
            d.index += before;
        }
    }
    (docs, skipped)
}

/// Chunks of one stream from which on they are parsed in parallel: one big
/// file (40,000 objects) would otherwise be one thread's work.
const PARALLEL_CHUNKS: usize = 64;

fn parse_chunks(chunks: &[Chunk<'_>]) -> Vec<Pass> {
    use rayon::prelude::*;
    if chunks.len() >= PARALLEL_CHUNKS { chunks.par_iter().map(parse_chunk).collect() } else { chunks.iter().map(parse_chunk).collect() }
}

/// The value of a document's top-level `kind:` line, found by a scan of its
/// lines without parsing (`None` when there is no such block-style line, as
/// in JSON or flow style: the caller then has to parse to know).
pub fn top_level_kind(chunk: &str) -> Option<&str> {
    chunk.split('\n').find_map(|line| {
        let rest = line.strip_prefix("kind:")?;
        let value = rest.split(" #").next().unwrap_or(rest).trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then_some(value)
    })
}

/// What one pass of the parser over a chunk produced.
struct Pass {
    docs: Vec<(Result<Node, ParseError>, Vec<Span>)>,
    /// Where the pass failed, and whether that is inside a flow collection
    /// opened on an earlier line (flow content has no indentation to keep).
    failure: Option<(Pos, bool)>,
}

fn parse_pass(text: &str, offset: u32) -> Pass {
    let mut builder = Builder::new(offset);
    // A block scalar that ends the input without a line break has none to
    // keep (saphyr-parser adds one).
    builder.unterminated_end = (!text.ends_with('\n')).then(|| text.chars().count());
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    loop {
        let err = match parser.next_event() {
            None => return Pass { docs, failure: None },
            Some(Err(e)) => {
                let m = e.marker();
                ParseError { pos: Pos { line: m.line() as u32 + offset, col: m.col() as u32 }, message: e.info().to_string() }
            }
            Some(Ok((ev, span))) => match builder.event(ev, span) {
                Ok(Some(node)) => {
                    docs.push((Ok(node), std::mem::take(&mut builder.shared)));
                    continue;
                }
                Ok(None) => continue,
                Err(err) => {
                    docs.push((Err(err), Vec::new()));
                    return Pass { docs, failure: None };
                }
            },
        };
        let in_flow = builder.stack.iter().rev().find_map(|f| {
            let start = match f {
                Frame::Seq { start, .. } | Frame::Map { start, .. } => *start,
            };
            matches!(char_at(text, offset, start), Some('[' | '{')).then_some(start.line < err.pos.line)
        });
        let failure = Some((err.pos, in_flow.unwrap_or(false)));
        docs.push((Err(err), Vec::new()));
        return Pass { docs, failure };
    }
}

/// The character at a position of a chunk that starts on line `offset + 1`.
fn char_at(text: &str, offset: u32, pos: Pos) -> Option<char> {
    text.split('\n').nth(pos.line.checked_sub(offset + 1)? as usize)?.chars().nth(pos.col as usize)
}

/// Most single-space indentations tried on one chunk before giving up.
const MAX_RELAX: usize = 64;

fn parse_chunk(chunk: &Chunk<'_>) -> Pass {
    let offset = chunk.first_line - 1;
    let pass = parse_pass(chunk.text, offset);
    if pass.failure.is_some()
        && let Some(relaxed) = relax(chunk.text, offset, &pass)
    {
        return relaxed;
    }
    pass
}

/// Number a chunk's documents after those of the chunks before it.
fn push_docs(chunk: &Chunk<'_>, pass: Pass, docs: &mut Vec<Document>) {
    for (result, shared) in pass.docs {
        docs.push(Document {
            index: docs.len(),
            first_line: chunk.first_line,
            bytes: chunk.start..chunk.start + chunk.text.len(),
            anchors: !shared.is_empty(),
            shared,
            result,
        });
    }
}

/// kubectl (go-yaml) and PyYAML (libyaml) accept flow collections and
/// multi-line quoted scalars whose later lines are not indented beyond the
/// enclosing block (`args: [` … `]` with `]` under `args`). Indentation
/// carries no meaning there, so such lines are indented one space at a time
/// until the chunk parses; positions are then mapped back to the file.
/// Returns `None` (keep the first error) when that does not help.
fn relax(text: &str, offset: u32, first: &Pass) -> Option<Pass> {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let mut shifts: HashMap<u32, u32> = HashMap::new();
    let mut pass_failure = first.failure;
    for _ in 0..MAX_RELAX {
        let Some((pos, in_flow)) = pass_failure else { break };
        let joined = lines.join("\n");
        let rel: Vec<usize> = if in_flow {
            let l = pos.line.checked_sub(offset + 1)? as usize;
            if l >= lines.len() || lines[l].trim().is_empty() {
                return None;
            }
            vec![l]
        } else {
            quoted_continuation(&joined, offset, pos)?
        };
        for &l in &rel {
            lines[l].insert(0, ' ');
            *shifts.entry(l as u32 + offset + 1).or_default() += 1;
        }
        let pass = parse_pass(&lines.join("\n"), offset);
        match pass.failure {
            None if pass.docs.iter().all(|(r, _)| r.is_ok()) => {
                let mut docs = pass.docs;
                for n in docs.iter_mut().filter_map(|(r, _)| r.as_mut().ok()) {
                    unshift(n, &shifts);
                }
                return Some(Pass { docs, failure: None });
            }
            None => return None,
            Some(f) => pass_failure = Some(f),
        }
    }
    None
}

/// The 0-based lines (of the chunk) after the first line of a multi-line
/// quoted scalar starting at `pos`.
fn quoted_continuation(text: &str, offset: u32, pos: Pos) -> Option<Vec<usize>> {
    let quote = char_at(text, offset, pos).filter(|c| matches!(c, '\'' | '"'))?;
    let first = pos.line.checked_sub(offset + 1)? as usize;
    let mut it = text.split('\n').enumerate().skip(first).flat_map(|(i, l)| {
        let skip = if i == first { pos.col as usize + 1 } else { 0 };
        l.chars().skip(skip).chain(std::iter::once('\n')).map(move |c| (i, c))
    });
    while let Some((i, c)) = it.next() {
        match c {
            '\\' if quote == '"' => {
                it.next();
            }
            c if c == quote => {
                if quote == '\'' && it.clone().next().map(|(_, c)| c) == Some('\'') {
                    it.next();
                    continue;
                }
                return (i > first).then(|| (first + 1..=i).collect());
            }
            _ => {}
        }
    }
    None
}

/// Map positions on indented lines back to the original columns.
fn unshift(node: &mut Node, shifts: &HashMap<u32, u32>) {
    for p in [&mut node.span.start, &mut node.span.end] {
        if let Some(k) = shifts.get(&p.line) {
            p.col = p.col.saturating_sub(*k);
        }
    }
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| unshift(n, shifts)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            unshift(&mut e.key, shifts);
            unshift(&mut e.value, shifts);
        }),
        _ => {}
    }
}

/// An open collection. Its children wait on the builder's shared stacks
/// (`items`, `entries`) from index `first`, and move into one exactly sized
/// vector when it closes: no growing vector per collection.
enum Frame {
    Seq { start: Pos, anchor: usize, first: usize },
    Map { start: Pos, anchor: usize, first: usize, key: Option<Node>, seen: Option<HashSet<Str>> },
}

struct Builder {
    line_offset: u32,
    /// The input's length in characters, when it does not end with a line break.
    unterminated_end: Option<usize>,
    stack: Vec<Frame>,
    /// Items of the open sequences, innermost last.
    items: Vec<Node>,
    /// Entries of the open mappings, innermost last.
    entries: Vec<Entry>,
    anchors: HashMap<usize, (Node, usize)>,
    expanded: usize,
    root: Option<Node>,
    /// Spans of the anchored nodes read by an alias in this document.
    shared: Vec<Span>,
    shared_seen: HashSet<Span>,
}

impl Builder {
    fn new(line_offset: u32) -> Self {
        Builder {
            line_offset,
            unterminated_end: None,
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            root: None,
            shared: Vec::new(),
            shared_seen: HashSet::new(),
        }
    }

    fn pos(&self, m: saphyr_parser::Marker) -> Pos {
        Pos { line: m.line() as u32 + self.line_offset, col: m.col() as u32 }
    }

    /// Feed one event; returns a finished document root.
    fn event(&mut self, ev: Event<'_>, span: saphyr_parser::Span) -> Result<Option<Node>, ParseError> {
        let start = self.pos(span.start);
        let end = self.pos(span.end);
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(None),
            Event::DocumentStart(_) => {
                self.root = None;
                self.shared.clear();
                self.shared_seen.clear();
                self.anchors.clear();
                self.expanded = 0;
                Ok(None)
            }
            Event::DocumentEnd => Ok(self.root.take()),
            Event::Scalar(mut text, style, anchor, tag) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && self.unterminated_end == Some(span.end.index())
                    && text.ends_with('\n')
                {
                    text.to_mut().pop();
                }
                let plain = style == ScalarStyle::Plain && !tag.as_ref().is_some_and(|t| t.suffix == "str" || t.handle == "!");
                let value = match plain.then(|| resolve_non_string(&text)).flatten() {
                    Some(v) => v,
                    None => Value::Str(string(text)),
                };
                let node = Node { span: Span { start, end }, value };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push(node)
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(ParseError { pos: start, message: "alias refers to an unknown anchor".into() });
                };
                if self.shared_seen.insert(node.span) {
                    self.shared.push(node.span);
                }
                self.expanded += size;
                if self.expanded > MAX_ALIAS_NODES {
                    return Err(ParseError {
                        pos: start,
                        message: format!("aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"),
                    });
                }
                let mut node = node.clone();
                node.span = Span { start, end };
                self.push(node)
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(start)?;
                self.stack.push(Frame::Seq { start, anchor, first: self.items.len() });
                Ok(None)
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(start)?;
                self.stack.push(Frame::Map { start, anchor, first: self.entries.len(), key: None, seen: None });
                Ok(None)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.stack.pop().expect("balanced events");
                let (node, anchor) = match frame {
                    Frame::Seq { start, anchor, first } => {
                        let items: Box<[Node]> = self.items.drain(first..).collect();
                        // A flow sequence ends at its `]` (a non-empty end event).
                        let closing = if span.start != span.end { end } else { start };
                        let end = items.last().map_or(start, |n| n.span.end).max(closing);
                        (Node { span: Span { start, end }, value: Value::Seq(items) }, anchor)
                    }
                    Frame::Map { start, anchor, first, .. } => {
                        let entries: Box<[Entry]> = self.entries.drain(first..).collect();
                        let closing = if span.start != span.end { end } else { start };
                        let end = entries.last().map_or(start, |e| e.value.span.end.max(e.key.span.end)).max(closing);
                        (Node { span: Span { start, end }, value: Value::Map(entries) }, anchor)
                    }
                };
                if anchor > 0 {
                    let size = count_nodes(&node);
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                self.push(node)
            }
        }
    }

    fn check_depth(&self, pos: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError { pos, message: format!("nesting deeper than {MAX_DEPTH} levels") });
        }
        Ok(())
    }

    fn push(&mut self, node: Node) -> Result<Option<Node>, ParseError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(None)
            }
            Some(Frame::Seq { .. }) => {
                self.items.push(node);
                Ok(None)
            }
            Some(Frame::Map { first, key, seen, .. }) => {
                let entries = &mut self.entries;
                let Some(k) = key.take() else {
                    *key = Some(node);
                    return Ok(None);
                };
                if k.as_str() == Some("<<") && k.span.end.col - k.span.start.col == 2 {
                    merge_into(entries, *first, node);
                    return Ok(None);
                }
                let name = key_text(&k);
                let open = &entries[*first..];
                let dup = match seen {
                    Some(set) => !set.insert(Str::from(name.as_ref())),
                    None => {
                        let dup = open.iter().any(|e| key_text(&e.key) == name);
                        if open.len() >= 16 {
                            *seen = Some(open.iter().map(|e| Str::from(key_text(&e.key))).chain([Str::from(name.as_ref())]).collect());
                        }
                        dup
                    }
                };
                if dup {
                    return Err(ParseError { pos: k.span.start, message: format!("duplicate key `{name}`") });
                }
                entries.push(Entry { key: k, value: node });
                Ok(None)
            }
        }
    }
}

/// A string scalar from the parser's text: inline when short; when long, the
/// parser's buffer itself, trimmed to its length (the parser grows it by
/// doubling, so it is often twice as long as the text).
fn string(text: std::borrow::Cow<'_, str>) -> Str {
    if text.len() <= std::mem::size_of::<Str>() {
        return Str::from(text.as_ref());
    }
    let mut owned = text.into_owned();
    owned.shrink_to_fit();
    Str::from(owned)
}

fn key_text(k: &Node) -> std::borrow::Cow<'_, str> {
    match k.as_str() {
        Some(s) => s.into(),
        None => k.scalar_text().unwrap_or_else(|| format!("<{}>", k.type_name())).into(),
    }
}

/// YAML merge key (`<<: *defaults`): copy entries the mapping does not have.
fn merge_into(entries: &mut Vec<Entry>, first: usize, src: Node) {
    let maps: Vec<Node> = match src.value {
        Value::Map(_) => vec![src],
        Value::Seq(items) => items.into_vec(),
        _ => return,
    };
    for m in maps {
        if let Value::Map(es) = m.value {
            for e in es.into_vec() {
                if !entries[first..].iter().any(|x| key_text(&x.key) == key_text(&e.key)) {
                    entries.push(e);
                }
            }
        }
    }
}

fn count_nodes(n: &Node) -> usize {
    match &n.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(es) => 1 + es.iter().map(|e| 1 + count_nodes(&e.value)).sum::<usize>(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_document_does_not_hide_the_next() {
        let docs = parse_stream("a: 1\n---\nb: [\n---\nc: 3\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].result.is_ok());
        assert!(docs[1].result.is_err());
        let c = docs[2].result.as_ref().unwrap();
        assert_eq!(c.entry("c").unwrap().key.span.start, Pos { line: 5, col: 0 });
    }

    #[test]
    fn duplicate_key_is_an_error_at_the_duplicate() {
        let docs = parse_stream("a: 1\nb: 2\na: 3\n");
        let err = docs[0].result.as_ref().unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 0 });
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            y.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let docs = parse_stream(&y);
        assert!(docs[0].result.as_ref().unwrap_err().message.contains("alias"));
    }

    #[test]
    fn flow_sequence_closed_at_the_key_indentation() {
        let docs = parse_stream("c:\n  args: [\n      \"-a\", \"b\",\n  ]\n  env: []\n");
        let n = docs[0].result.as_ref().unwrap();
        let args = n.pointer("/c/args").unwrap();
        assert_eq!(args.as_seq().unwrap().len(), 2);
        assert_eq!(args.span.end, Pos { line: 4, col: 3 });
        assert_eq!(n.pointer("/c/env").unwrap().span.start, Pos { line: 5, col: 7 });
    }

    #[test]
    fn quoted_scalar_ending_at_the_parent_indentation() {
        let docs = parse_stream("m:\n  a: '[\n    {\"x\": 1}\n  ]'\n  b: 1\n");
        let n = docs[0].result.as_ref().unwrap();
        assert_eq!(n.pointer("/m/a").unwrap().as_str(), Some("[ {\"x\": 1} ]"));
        assert_eq!(n.pointer("/m/a").unwrap().span.end, Pos { line: 4, col: 4 });
    }

    #[test]
    fn block_scalar_at_the_end_without_a_line_break() {
        let docs = parse_stream("a: |\n  x\n  y");
        assert_eq!(docs[0].result.as_ref().unwrap().pointer("/a").unwrap().as_str(), Some("x\ny"));
        let docs = parse_stream("a: |\n  x\n  y\n");
        assert_eq!(docs[0].result.as_ref().unwrap().pointer("/a").unwrap().as_str(), Some("x\ny\n"));
    }

    #[test]
    fn block_indentation_errors_stay_errors() {
        assert!(parse_stream("a:\n  b: 1\n c: 2\n")[0].result.is_err());
        assert!(parse_stream("a: [1,\nb: 2\n")[0].result.is_err());
    }

    #[test]
    fn short_strings_live_in_the_node() {
        let long = "registry.example.com/team/service:1.2.3-rc.1";
        let docs = parse_stream(&format!("metadata: {{name: api}}\nimage: {long}\nq: 'quoted'\n"));
        let n = docs[0].result.as_ref().unwrap();
        let Value::Map(top) = &n.value else { panic!("not a mapping") };
        let Value::Str(key) = &top[0].key.value else { panic!("key not a string") };
        assert!(!key.is_heap_allocated());
        let Value::Str(name) = &n.pointer("/metadata/name").unwrap().value else { panic!("name not a string") };
        assert!(!name.is_heap_allocated());
        let Value::Str(image) = &n.pointer("/image").unwrap().value else { panic!("image not a string") };
        assert!(image.is_heap_allocated());
        assert_eq!(image.as_str(), long);
        // Trimmed to its length, not the parser's doubled buffer.
        assert_eq!(image.capacity(), long.len());
        let at_limit = "abcdefghijklmnopqrstuvwx";
        let docs = parse_stream(&format!("{at_limit}: \"{at_limit}\"\n"));
        let e = &docs[0].result.as_ref().unwrap().as_map().unwrap()[0];
        for n in [&e.key, &e.value] {
            let Value::Str(s) = &n.value else { panic!("not a string") };
            assert_eq!((s.as_str(), s.is_heap_allocated()), (at_limit, false));
        }
        assert_eq!(n.pointer("/q").unwrap().as_str(), Some("quoted"));
    }

    #[test]
    fn duplicate_key_in_a_large_mapping() {
        let mut y: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        assert!(parse_stream(&y)[0].result.is_ok());
        y.push_str("k17: again\n");
        let err = parse_stream(&y).remove(0).result.unwrap_err();
        assert_eq!(err.pos, Pos { line: 41, col: 0 });
        assert!(err.message.contains("`k17`"));
    }

    #[test]
    fn merge_keys() {
        let docs = parse_stream("d: &d {x: 1}\ne:\n  <<: *d\n  y: 2\n");
        let n = docs[0].result.as_ref().unwrap();
        assert!(n.pointer("/e/x").is_some());
        // Merged from a list; the mapping's own keys win.
        let docs = parse_stream("a: &a {p: 1, q: 1}\nb: &b {r: 2}\nc:\n  q: 3\n  <<: [*a, *b]\n");
        let c = docs[0].result.as_ref().unwrap().pointer("/c").unwrap();
        let keys: Vec<_> = c.as_map().unwrap().iter().filter_map(Entry::key_str).collect();
        assert_eq!(keys, ["q", "p", "r"]);
        assert_eq!(c.pointer("/q").unwrap().as_i64(), Some(3));
    }
}
