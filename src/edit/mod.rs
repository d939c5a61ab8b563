//! Comment-preserving edits of YAML source text.
//!
//! Every edit patches the text at positions taken from the positioned tree
//! (`manifest::parse`): the rest of the file — comments, quoting, key order,
//! indentation, blank lines, CRLF line ends — is left byte for byte. After
//! each edit the file is parsed again, so edits compose.

pub mod diff;
pub mod emit;

pub use emit::scalar;

/// The edits this module applies are plain data defined beside the findings
/// that carry them (a rule's fix); re-exported for the editor's other users.
pub use crate::finding::{Op, Yaml};
use crate::input::Pos;
use crate::manifest::parse::{Document, parse_stream};
use crate::manifest::tree::{Node, Value, escape};

impl Yaml {
    /// The value of a parsed node (its scalars as they read, not as written).
    pub fn from_node(node: &Node) -> Yaml {
        match &node.value {
            Value::Map(entries) => {
                Yaml::Map(entries.iter().map(|e| (e.key.scalar_text().unwrap_or_default(), Yaml::from_node(&e.value))).collect())
            }
            Value::Seq(items) => Yaml::Seq(items.iter().map(Yaml::from_node).collect()),
            Value::Int(i) => Yaml::Int(*i),
            Value::Bool(b) => Yaml::Bool(*b),
            _ => Yaml::Str(node.scalar_text().unwrap_or_default()),
        }
    }
}

/// Where people put the keys of a workload's `spec` and of `metadata`: a new
/// key goes in its conventional place, not after the pod template.
const CONVENTIONAL_ORDER: [&str; 13] = [
    "name",
    "namespace",
    "labels",
    "annotations",
    "replicas",
    "minReadySeconds",
    "revisionHistoryLimit",
    "progressDeadlineSeconds",
    "paused",
    "selector",
    "strategy",
    "template",
    "spec",
];

fn render_inline(v: &Yaml) -> String {
    emit::flow(&v.to_json())
}

/// Block lines for `key: value` at `indent`.
fn render_block(key: &str, v: &Yaml, indent: usize, step: usize, nl: &'static str) -> String {
    emit::entry(key, &v.to_json(), indent, &emit::Style::edit(step, nl))
}

/// Why an edit cannot be made; `file` names the file being edited.
///
/// Its kind ([`EditError::kind`]) is `edit-` and the variant's name in
/// kebab-case, but `aliases` for [`EditError::Aliases`], the kind of the same
/// refusal when a plan finds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case", prefix = "edit-")]
pub enum EditError {
    /// The file has no document with that index.
    #[error("{file}: no document {index}")]
    NoDocument { file: String, index: usize },
    /// The document uses anchors/aliases: an edit would change every place that shares one.
    #[error(
        "{file}: document {} uses YAML aliases (*name); an edit there would change every place that shares the anchor. \
         Expand the aliases first",
        document + 1
    )]
    Aliases { file: String, document: usize },
    /// The document does not parse.
    #[error("{file}:{line}: cannot edit a document that does not parse: {message}")]
    Unparsable { file: String, line: usize, message: String },
    /// A scalar cannot replace a mapping or sequence.
    #[error("{file}: cannot replace the collection at {ptr} with a scalar")]
    ReplaceCollection { file: String, ptr: String },
    /// The pointer has no parent to insert into (`""`).
    #[error("{file}: no parent for `{ptr}`")]
    NoParent { file: String, ptr: String },
    /// A flow mapping whose closing `}` cannot be found.
    #[error("{file}: cannot find the end of the mapping at {ptr}")]
    UnclosedMapping { file: String, ptr: String },
    /// The parent of a new key is not a mapping.
    #[error("{file}: {ptr} is not a mapping")]
    NotAMapping { file: String, ptr: String },
    /// A key without its `:`.
    #[error("{file}: no `:` after a key")]
    NoColon { file: String },
    /// Nothing at the pointer.
    #[error("{file}: nothing at {ptr}")]
    Missing { file: String, ptr: String },
    /// A scalar was expected at the pointer.
    #[error("{file}: {ptr} is a collection, not a scalar")]
    NotAScalar { file: String, ptr: String },
    /// Only mapping entries can be removed.
    #[error("{file}: {ptr} is not a mapping entry")]
    NotAnEntry { file: String, ptr: String },
    /// The entry shares its line with other content.
    #[error("{file}: cannot remove {ptr}: it shares its line with other content")]
    SharedLine { file: String, ptr: String },
}

impl EditError {
    /// The cause as a stable name.
    pub fn kind(&self) -> &'static str {
        match self {
            EditError::Aliases { .. } => "aliases",
            e => e.into(),
        }
    }
}

type R<T> = Result<T, EditError>;

/// A file being edited.
#[derive(Clone, Debug)]
pub struct Editor {
    pub name: String,
    /// The text, BOM included.
    pub text: String,
    bom: usize,
    nl: &'static str,
    /// Byte ranges (in `text`) of the anchored nodes of the document being
    /// edited that aliases read: no edit may change them.
    shared: Vec<std::ops::Range<usize>>,
    /// The index of the document being edited.
    doc_index: usize,
}

impl Editor {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Editor {
        let text = text.into();
        let nl = Editor::line_end_of(&text);
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Editor { name: name.into(), text, bom, nl, shared: Vec::new(), doc_index: 0 }
    }

    /// The line end a file's new lines get: `\r\n` when the file has any.
    pub fn line_end_of(file: &str) -> &'static str {
        if file.contains("\r\n") { "\r\n" } else { "\n" }
    }

    /// The same editor writing new lines with `nl` ([`Editor::line_end_of`]
    /// the whole file, found once per file): an editor of one document of a
    /// file writes new lines as the whole file does.
    pub fn with_line_end(mut self, nl: &'static str) -> Editor {
        self.nl = nl;
        self
    }

    fn body(&self) -> &str {
        &self.text[self.bom..]
    }

    /// The documents of the file (parsed afresh).
    pub fn documents(&self) -> Vec<Document> {
        parse_stream(self.body())
    }

    fn aliases(&self) -> EditError {
        EditError::Aliases { file: self.name.clone(), document: self.doc_index }
    }

    /// Whether a node lies inside a node that aliases share.
    fn is_shared(&self, span: crate::input::Span) -> bool {
        let (a, b) = (self.offset(span.start), self.offset(span.end));
        self.shared.iter().any(|r| r.start <= a && b <= r.end)
    }

    /// The document to edit, remembering which of its nodes aliases share.
    fn load(&mut self, index: usize) -> R<(Document, Node)> {
        let (d, n) = self.doc(index)?;
        self.doc_index = index;
        self.shared = d.shared.iter().map(|s| self.offset(s.start)..self.offset(s.end)).collect();
        Ok((d, n))
    }

    fn doc(&self, index: usize) -> R<(Document, Node)> {
        let d = self
            .documents()
            .into_iter()
            .find(|d| d.index == index)
            .ok_or_else(|| EditError::NoDocument { file: self.name.clone(), index })?;
        match &d.result {
            Ok(n) => {
                let n = n.clone();
                Ok((d, n))
            }
            Err(e) => Err(EditError::Unparsable { file: self.name.clone(), line: e.pos.line as usize, message: e.message.clone() }),
        }
    }

    /// The text of one document, without a leading `---` line.
    pub fn doc_text(&self, index: usize) -> R<String> {
        let (d, _) = self.doc(index)?;
        let chunk = &self.body()[d.bytes.clone()];
        let body = if chunk.starts_with("---") { chunk.split_once('\n').map_or("", |(_, rest)| rest) } else { chunk };
        Ok(body.to_string())
    }

    /// Like `doc_text`, without the comment lines before the first key
    /// (they usually describe the file, not the object).
    pub fn doc_body(&self, index: usize) -> R<String> {
        let text = self.doc_text(index)?;
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                start += line.len();
            } else {
                break;
            }
        }
        Ok(text[start..].to_string())
    }

    /// Byte offset (into `text`) of a position.
    fn offset(&self, pos: Pos) -> usize {
        self.bom + crate::input::offset_in(self.body(), pos)
    }

    /// Byte offset of the start of the line after the one holding `pos`
    /// (or `pos` itself when it is at the start of a line).
    fn next_line_start(&self, pos: Pos) -> usize {
        let off = self.offset(pos);
        if pos.col == 0 {
            return off;
        }
        match self.text[off..].find('\n') {
            Some(i) => off + i + 1,
            None => self.text.len(),
        }
    }

    /// Replace a range of the text, unless it changes a node that aliases
    /// share (an edit there would change every place that reads it).
    fn splice(&mut self, range: std::ops::Range<usize>, with: &str) -> R<()> {
        let (a, b) = (range.start, range.end);
        if self.shared.iter().any(|r| if a < b { a < r.end && b > r.start } else { r.start < a && a < r.end }) {
            return Err(self.aliases());
        }
        self.text.replace_range(range, with);
        Ok(())
    }

    /// Set the value at `ptr` in document `doc`, creating missing mappings.
    pub fn set(&mut self, doc: usize, ptr: &str, value: &Yaml) -> R<()> {
        let (_, root) = self.load(doc)?;
        if let Some(loc) = root.locate(ptr) {
            let node = loc.node;
            match (&node.value, value) {
                (Value::Map(_), Yaml::Map(entries)) => {
                    // Add first, then remove: a block mapping never passes through empty,
                    // and comments on kept keys stay.
                    let existing: Vec<String> = node.as_map().unwrap_or_default().iter().filter_map(|e| e.key.scalar_text()).collect();
                    for (k, v) in entries {
                        self.set(doc, &format!("{ptr}/{}", escape(k)), v)?;
                    }
                    for k in existing.iter().filter(|k| !entries.iter().any(|(n, _)| n == *k)) {
                        self.remove(doc, &format!("{ptr}/{}", escape(k)))?;
                    }
                    return Ok(());
                }
                (Value::Seq(_), Yaml::Seq(_)) => {
                    // A list is replaced whole, unless it already holds these values.
                    if crate::manifest::json::to_json(node) == value.to_json() {
                        return Ok(());
                    }
                    self.remove(doc, ptr)?;
                    return self.set(doc, ptr, value);
                }
                (Value::Seq(_) | Value::Map(_), _) => {
                    return Err(EditError::ReplaceCollection { file: self.name.clone(), ptr: ptr.to_string() });
                }
                _ => {}
            }
            if node.is_scalar() && scalar_equals(node, value) {
                return Ok(());
            }
            let (mut start, end) = self.value_range(node, loc.entry)?;
            // A tab between `key:` and a value is legal YAML that some parsers
            // reject next to other values: write a space instead.
            let mut lead_space = false;
            while start > 0 && self.text.as_bytes()[start - 1] == b'\t' {
                start -= 1;
                lead_space = true;
            }
            let lead = if lead_space && self.text[..start].ends_with(':') { " " } else { "" };
            let original = &self.text[start..end];
            let rendered = match value {
                Yaml::Str(s) if original.starts_with('\'') => {
                    format!("'{}'", s.replace('\'', "''"))
                }
                Yaml::Str(s) if original.starts_with('"') => serde_json::to_string(s).expect("string"),
                v if matches!(node.value, Value::Null) && original.trim().is_empty() => {
                    // keep a comment that follows separated from the new value
                    let gap = if self.text[end..].starts_with('#') { " " } else { "" };
                    format!(" {}{gap}", render_inline(v))
                }
                v => render_inline(v),
            };
            let rendered = if rendered.starts_with(' ') { rendered } else { format!("{lead}{rendered}") };
            self.splice(start..end, &rendered)?;
            return Ok(());
        }
        // Insert: find the deepest existing ancestor.
        let (parent_ptr, key) =
            ptr.rsplit_once('/').ok_or_else(|| EditError::NoParent { file: self.name.clone(), ptr: ptr.to_string() })?;
        let key = key.replace("~1", "/").replace("~0", "~");
        let Some(parent) = root.pointer(parent_ptr) else {
            // Create the parent first, then this key inside it.
            let (pp, pk) =
                parent_ptr.rsplit_once('/').ok_or_else(|| EditError::NoParent { file: self.name.clone(), ptr: ptr.to_string() })?;
            let _ = pp;
            let pk = pk.replace("~1", "/").replace("~0", "~");
            let nested = Yaml::Map(vec![(key, value.clone())]);
            let grand = parent_ptr.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            return self.set(doc, &format!("{grand}/{}", escape(&pk)), &nested);
        };
        // A mapping that aliases share, or one holding entries merged from
        // elsewhere (`<<: *base`), or an alias of one: a new key there would
        // land in the anchored node and change every place that reads it.
        let foreign = |e: &crate::manifest::tree::Entry| e.key.span.start < parent.span.start || e.key.span.end > parent.span.end;
        if self.is_shared(parent.span) || parent.as_map().is_some_and(|m| m.iter().any(foreign)) {
            return Err(self.aliases());
        }
        match &parent.value {
            Value::Map(entries) => {
                let flow = self.text[self.offset(parent.span.start)..].starts_with('{');
                if flow || entries.is_empty() {
                    // `{a: 1}` -> `{a: 1, key: value}`
                    // A flow mapping's span ends just after its `}`.
                    let end = self.offset(parent.span.end);
                    let close = self.text[..end]
                        .rfind('}')
                        .filter(|&c| self.text[c + 1..end].trim().is_empty())
                        .ok_or_else(|| EditError::UnclosedMapping { file: self.name.clone(), ptr: parent_ptr.to_string() })?;
                    let sep = if entries.is_empty() { "" } else { ", " };
                    self.splice(close..close, &format!("{sep}{}: {}", scalar(&key), render_inline(value)))?;
                    return Ok(());
                }
                let indent = entries[0].key.span.start.col as usize;
                let step = self.indent_step(&root);
                let last = entries.last().expect("non-empty");
                let end = last.value.span.end.max(last.key.span.end);
                // A key with a conventional place goes before the first sibling that follows it there.
                let rank = |k: &str| CONVENTIONAL_ORDER.iter().position(|x| *x == k);
                let before =
                    rank(&key).and_then(|r| entries.iter().find(|e| e.key.scalar_text().and_then(|k| rank(&k)).is_some_and(|o| o > r)));
                let at = match before {
                    Some(e) => {
                        let start = self.offset(e.key.span.start);
                        let mut at = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
                        // Comments just above the sibling stay with it.
                        while at > 0 {
                            let prev = self.text[..at - 1].rfind('\n').map_or(0, |i| i + 1);
                            if !self.text[prev..at].trim_start().starts_with('#') {
                                break;
                            }
                            at = prev;
                        }
                        at
                    }
                    None => self.next_line_start(end),
                };
                let mut block = render_block(&key, value, indent, step, self.nl);
                if at == self.text.len() && !self.text.ends_with('\n') {
                    block.insert_str(0, self.nl);
                }
                self.splice(at..at, &block)?;
                Ok(())
            }
            Value::Null => {
                let entry = root.locate(parent_ptr).and_then(|l| l.entry);
                let (at, end) = self.value_range(parent, entry)?;
                let lead = if self.text[..at].ends_with(':') || self.text[at..end].trim().is_empty() { " " } else { "" };
                let gap = if self.text[end..].starts_with('#') { " " } else { "" };
                self.splice(at..end, &format!("{lead}{}{gap}", render_inline(&Yaml::Map(vec![(key, value.clone())]))))?;
                Ok(())
            }
            _ => Err(EditError::NotAMapping { file: self.name.clone(), ptr: parent_ptr.to_string() }),
        }
    }

    /// Byte range of a value. An empty value (`key:` with nothing after it)
    /// has no text of its own: its range is just after the key's colon.
    fn value_range(&self, node: &Node, entry: Option<&crate::manifest::tree::Entry>) -> R<(usize, usize)> {
        let start = self.offset(node.span.start);
        let end = self.offset(node.span.end);
        // A null written as such (`~`, `null`) is replaced in place; an empty one
        // may be given a span reaching into what follows (an explicit `? key` with
        // no `:` ends where the next entry starts) and has no text of its own.
        let written = matches!(self.text[start..end].trim(), "~" | "null" | "Null" | "NULL");
        if !matches!(node.value, Value::Null) || written {
            return Ok((start, end));
        }
        let Some(e) = entry else {
            return if start == end { Ok((start, end)) } else { Err(EditError::NoColon { file: self.name.clone() }) };
        };
        let key_end = self.offset(e.key.span.end);
        // The key's own colon: only blanks, line breaks or a closing quote lie between
        // them. A colon further on belongs to another entry.
        let colon = self.text[key_end..]
            .find(|c: char| !(c.is_whitespace() || c == '"' || c == '\''))
            .map(|i| key_end + i)
            .filter(|&i| self.text[i..].starts_with(':'))
            .map(|i| i + 1)
            .ok_or_else(|| EditError::NoColon { file: self.name.clone() })?;
        // Take the blanks after the colon too: the new value brings its own space.
        let blanks = self.text[colon..].find(|c: char| c != ' ' && c != '\t').unwrap_or(self.text.len() - colon);
        Ok((colon, colon + blanks))
    }

    /// The document's indentation step (2 unless the file uses another).
    fn indent_step(&self, root: &Node) -> usize {
        let first = root.as_map().and_then(|m| m.iter().find_map(|e| e.value.as_map().and_then(|c| c.first())));
        match first {
            Some(e) if e.key.span.start.col > 0 => e.key.span.start.col as usize,
            _ => 2,
        }
    }

    /// Perform one operation on document `doc`.
    pub fn apply(&mut self, doc: usize, op: &Op) -> R<()> {
        match op {
            Op::Set { ptr, value } => self.set(doc, ptr, value),
            Op::Remove { ptr } => self.remove(doc, ptr),
            Op::Quote { ptr } => self.quote(doc, ptr),
        }
    }

    /// Make the scalar at `ptr` a string of its own text (see `Op::Quote`).
    pub fn quote(&mut self, doc: usize, ptr: &str) -> R<()> {
        let (_, root) = self.load(doc)?;
        let loc = root.locate(ptr).ok_or_else(|| EditError::Missing { file: self.name.clone(), ptr: ptr.to_string() })?;
        let node = loc.node;
        match &node.value {
            Value::Str(_) => Ok(()),
            Value::Null => self.set(doc, ptr, &Yaml::str("")),
            Value::Seq(_) | Value::Map(_) => Err(EditError::NotAScalar { file: self.name.clone(), ptr: ptr.to_string() }),
            _ => {
                let (start, end) = self.value_range(node, loc.entry)?;
                let raw = self.text[start..end].trim().to_string();
                // A multi-line scalar, or an alias (`*v`) whose text is not its value.
                if raw.contains(['\n', '\r']) || raw.starts_with('*') {
                    return self.set(doc, ptr, &Yaml::str(node.scalar_text().unwrap_or_default()));
                }
                self.splice(start..end, &serde_json::to_string(&raw).expect("string"))?;
                Ok(())
            }
        }
    }

    /// Remove the entry at `ptr` (a mapping key) from document `doc`.
    pub fn remove(&mut self, doc: usize, ptr: &str) -> R<()> {
        let (_, root) = self.load(doc)?;
        let Some(loc) = root.locate(ptr) else {
            return Ok(());
        };
        let Some(entry) = loc.entry else {
            return Err(EditError::NotAnEntry { file: self.name.clone(), ptr: ptr.to_string() });
        };
        let parent_ptr = ptr.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        let parent = root.pointer(parent_ptr).expect("parent of an entry");
        let key_start = self.offset(entry.key.span.start);
        let flow = self.text[self.offset(parent.span.start)..].starts_with('{');
        if flow {
            let end = self.offset(entry.value.span.end.max(entry.key.span.end));
            let entries = parent.as_map().unwrap_or_default();
            let idx = entries.iter().position(|e| std::ptr::eq(e, entry)).unwrap_or(0);
            let (s, e) = if idx + 1 < entries.len() {
                (key_start, self.offset(entries[idx + 1].key.span.start))
            } else if idx > 0 {
                let prev = &entries[idx - 1];
                (self.offset(prev.value.span.end.max(prev.key.span.end)), end)
            } else {
                (key_start, end)
            };
            self.splice(s..e, "")?;
            return Ok(());
        }
        let line_start = self.text[..key_start].rfind('\n').map_or(0, |i| i + 1);
        if !self.text[line_start..key_start].trim().is_empty() {
            return Err(EditError::SharedLine { file: self.name.clone(), ptr: ptr.to_string() });
        }
        if parent.as_map().is_some_and(|m| m.len() == 1) {
            // The mapping would be empty: leave `{}` rather than a null.
            let p_entry = root.locate(parent_ptr).and_then(|l| l.entry);
            if let Some(pe) = p_entry {
                let from = self.offset(pe.key.span.end);
                let to = self.next_line_start(entry.value.span.end.max(entry.key.span.end));
                // Keep this line's own line end (files may mix LF and CRLF).
                let eol = if self.text[..to].ends_with("\r\n") { 2 } else { usize::from(self.text[..to].ends_with('\n')) };
                let to = if to > from { to - eol } else { to };
                self.splice(from..to, ": {}")?;
                return Ok(());
            }
        }
        let end = self.next_line_start(entry.value.span.end.max(entry.key.span.end));
        self.splice(line_start..end, "")?;
        Ok(())
    }

    /// Remove the entry at `ptr` and every mapping above it that it leaves
    /// empty (up to `metadata`/`spec` level): a generated key goes without a trace,
    /// never as `annotations: {}`.
    pub fn remove_pruned(&mut self, doc: usize, ptr: &str) -> R<()> {
        let (_, root) = self.load(doc)?;
        let mut at = ptr.to_string();
        while let Some((parent, _)) = at.rsplit_once('/') {
            let only = root.pointer(parent).and_then(|p| p.as_map()).is_some_and(|m| m.len() == 1);
            if !only || parent.matches('/').count() < 2 {
                break;
            }
            at = parent.to_string();
        }
        if root.pointer(&at).is_none() {
            return Ok(());
        }
        self.remove(doc, &at)
    }

    /// Append a document (text without `---`) after document `after`, or at the end.
    pub fn insert_doc(&mut self, after: Option<usize>, text: &str) -> R<()> {
        let at = match after {
            Some(i) => {
                let (d, _) = self.doc(i)?;
                self.shared.clear();
                self.bom + d.bytes.end
            }
            None => self.text.len(),
        };
        let mut block = String::new();
        if at > 0 && !self.text[..at].ends_with('\n') {
            block.push_str(self.nl);
        }
        block.push_str("---");
        block.push_str(self.nl);
        let body = normalize_newlines(text, self.nl);
        block.push_str(&body);
        if !body.ends_with('\n') {
            block.push_str(self.nl);
        }
        self.splice(at..at, &block)?;
        Ok(())
    }

    /// Remove document `doc` (with its `---` line).
    ///
    /// Comment lines before the document's first key stay (they often
    /// describe the file): only the `---` line and the object go.
    pub fn remove_doc(&mut self, doc: usize) -> R<()> {
        let (d, _) = self.doc(doc)?;
        // The whole document goes, with every anchor and alias in it.
        self.shared.clear();
        let chunk = &self.body()[d.bytes.clone()];
        let keep: String = chunk
            .lines()
            .skip_while(|l| l.trim().starts_with("---"))
            .take_while(|l| l.trim().is_empty() || l.trim().starts_with('#'))
            .filter(|l| l.trim().starts_with('#'))
            .map(|l| format!("{l}{}", self.nl))
            .collect();
        let range = self.bom + d.bytes.start..self.bom + d.bytes.end;
        self.splice(range, &keep)?;
        Ok(())
    }
}

/// Whether an edit at `ptr` (from the root of `root`) would change a node
/// that YAML aliases share: the deepest existing node on the way is a copy
/// an alias made (its position is also another node's, the anchored one),
/// or an alias of a mapping, or a mapping holding merged (`<<: *base`) entries.
/// A fix there cannot be made by an edit of this place alone.
pub fn shared_through_alias(root: &Node, ptr: &str) -> bool {
    let (at, at_ptr) = root.deepest(ptr);
    let node = at.node;
    let foreign = |e: &crate::manifest::tree::Entry| e.key.span.start < node.span.start || e.key.span.end > node.span.end;
    if node.as_map().is_some_and(|m| m.iter().any(foreign)) {
        return true;
    }
    // A node at the same position on another path (not an ancestor or a
    // descendant: a one-item block list and its item share a position too).
    fn elsewhere(n: &Node, path: &mut String, span: crate::input::Span, at: &str) -> bool {
        let related = |p: &str| {
            let under = |a: &str, b: &str| a == b || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'));
            under(p, at) || under(at, p)
        };
        if n.span == span && !related(path) {
            return true;
        }
        let len = path.len();
        let found = match &n.value {
            Value::Map(entries) => entries.iter().any(|e| {
                path.truncate(len);
                path.push('/');
                path.push_str(&escape(&e.key.scalar_text().unwrap_or_default()));
                elsewhere(&e.value, path, span, at)
            }),
            Value::Seq(items) => items.iter().enumerate().any(|(i, item)| {
                path.truncate(len);
                path.push_str(&format!("/{i}"));
                elsewhere(item, path, span, at)
            }),
            _ => false,
        };
        path.truncate(len);
        found
    }
    elsewhere(root, &mut String::new(), node.span, &at_ptr)
}

fn normalize_newlines(text: &str, nl: &str) -> String {
    let lf = text.replace("\r\n", "\n");
    if nl == "\n" { lf } else { lf.replace('\n', nl) }
}

fn scalar_equals(node: &Node, v: &Yaml) -> bool {
    match (v, &node.value) {
        (Yaml::Int(i), Value::Int(n)) => i == n,
        (Yaml::Str(s), Value::Str(t)) => **s == **t,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = "# the api\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api # keep me\nspec:\n  replicas: 4\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 1\n      maxUnavailable: 1\n\n  # template comment\n  template:\n    metadata:\n      labels: {app: api}\n";

    #[test]
    fn sets_scalars_in_place() {
        let mut e = Editor::new("x", DEPLOY);
        e.set(0, "/spec/replicas", &Yaml::Int(3)).unwrap();
        e.set(0, "/metadata/name", &Yaml::str("api-blue")).unwrap();
        assert!(e.text.contains("  replicas: 3\n"));
        assert!(e.text.contains("  name: api-blue # keep me\n"));
        assert!(e.text.contains("# template comment"));
    }

    #[test]
    fn new_keys_go_in_their_conventional_place() {
        let mut e = Editor::new("t", "spec:\n  selector:\n    matchLabels: {app: a}\n  # the pods\n  template:\n    spec: {}\n");
        e.set(0, "/spec/replicas", &Yaml::Int(3)).unwrap();
        e.set(0, "/spec/strategy/type", &Yaml::str("Recreate")).unwrap();
        assert_eq!(
            e.text,
            "spec:\n  replicas: 3\n  selector:\n    matchLabels: {app: a}\n  strategy:\n    type: Recreate\n  # the pods\n  template:\n    spec: {}\n"
        );
    }

    #[test]
    fn pruned_removal_leaves_no_empty_mapping() {
        let mut e = Editor::new("t", "metadata:\n  name: a\n  annotations:\n    x.io/k: \"1\"\nspec: {}\n");
        e.remove_pruned(0, "/metadata/annotations/x.io~1k").unwrap();
        assert_eq!(e.text, "metadata:\n  name: a\nspec: {}\n");
        let mut e = Editor::new("t", "metadata:\n  annotations:\n    a: b\n    x.io/k: \"1\"\n");
        e.remove_pruned(0, "/metadata/annotations/x.io~1k").unwrap();
        assert_eq!(e.text, "metadata:\n  annotations:\n    a: b\n");
    }

    #[test]
    fn inserts_and_removes_keys() {
        let mut e = Editor::new("x", DEPLOY);
        e.set(0, "/spec/strategy/type", &Yaml::str("Recreate")).unwrap();
        e.remove(0, "/spec/strategy/rollingUpdate").unwrap();
        assert!(e.text.contains("  strategy:\n    type: Recreate\n\n  # template comment"), "{}", e.text);
        e.set(0, "/spec/minReadySeconds", &Yaml::Int(10)).unwrap();
        assert!(e.text.contains("  replicas: 4\n  minReadySeconds: 10\n  strategy:\n"), "{}", e.text);
        e.set(0, "/spec/template/metadata/labels/slot", &Yaml::str("blue")).unwrap();
        assert!(e.text.contains("labels: {app: api, slot: blue}"), "{}", e.text);
        e.remove(0, "/spec/template/metadata/labels/app").unwrap();
        assert!(e.text.contains("labels: {slot: blue}"), "{}", e.text);
    }

    #[test]
    fn edits_nested_flow_mappings() {
        let mut e = Editor::new(
            "x",
            "spec:\n  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\nmetadata: {name: web, labels: {app: web}}\n",
        );
        e.set(0, "/spec/strategy/type", &Yaml::str("Recreate")).unwrap();
        e.remove(0, "/spec/strategy/rollingUpdate").unwrap();
        e.set(0, "/metadata/annotations", &Yaml::Map(vec![("a".into(), Yaml::str("b"))])).unwrap();
        e.set(0, "/metadata/labels/slot", &Yaml::str("blue")).unwrap();
        assert_eq!(
            e.text,
            "spec:\n  strategy: {type: Recreate}\nmetadata: {name: web, labels: {app: web, slot: blue}, annotations: {a: b}}\n"
        );
        let mut e = Editor::new("x", "spec:\n  strategy: {rollingUpdate: {maxSurge: 1}}\n");
        e.set(0, "/spec/strategy/type", &Yaml::str("RollingUpdate")).unwrap();
        assert_eq!(e.text, "spec:\n  strategy: {rollingUpdate: {maxSurge: 1}, type: RollingUpdate}\n");
    }

    /// Found by the edit fuzzer: an empty value's position is at its key.
    #[test]
    fn fills_empty_values_after_the_colon() {
        let mut e = Editor::new("x", "\u{2}# key with a hash:");
        e.set(0, "/\u{2}# key with a hash/new7", &Yaml::str("x")).unwrap();
        assert_eq!(e.text, "\u{2}# key with a hash: {new7: x}");
        let mut e = Editor::new("x", "a:\nb: 1\n");
        e.set(0, "/a", &Yaml::Int(3)).unwrap();
        assert_eq!(e.text, "a: 3\nb: 1\n");
        let mut e = Editor::new("x", "pF:\t\n");
        e.set(0, "/pF", &Yaml::str("v0")).unwrap();
        assert_eq!(e.text, "pF: v0\n");
        let mut e = Editor::new("x", "rt: #s\n");
        e.set(0, "/rt/k", &Yaml::str("x")).unwrap();
        assert_eq!(e.text, "rt: {k: x} #s\n");
        let mut e = Editor::new("x", "T:\t\u{2}");
        e.set(0, "/T", &Yaml::Int(114)).unwrap();
        assert_eq!(e.text, "T: 114");
        let mut e = Editor::new("x", "a:\r\nspec:\n  replicas: 2\n\r\nb: 1\n");
        e.remove(0, "/spec/replicas").unwrap();
        assert_eq!(e.text, "a:\r\nspec: {}\n\r\nb: 1\n");
        let mut e = Editor::new("x", "S:\t");
        e.set(0, "/S", &Yaml::Int(114)).unwrap();
        assert_eq!(e.text, "S: 114");
        let mut e = Editor::new("x", "a: ~\n");
        e.set(0, "/a/b", &Yaml::str("c")).unwrap();
        assert_eq!(e.text, "a: {b: c}\n");
    }

    /// Found by the edit fuzzer (CI, seed 28): an explicit key (`?`) with no `:`
    /// has a null value whose position is the next entry's `?`. Setting it must
    /// not overwrite that `?`: there is no place for a value, so the edit is refused.
    #[test]
    fn an_explicit_key_without_a_colon_takes_no_value() {
        let text = "end::e: \t\t\t\r\r?\r\r  |\r\r?\r\r-";
        let mut e = Editor::new("x", text);
        assert!(e.set(0, "/", &Yaml::Int(110)).is_err());
        assert_eq!(e.text, text);
        let text = "? a\n? b\nc: 1\n";
        let mut e = Editor::new("x", text);
        assert!(e.set(0, "/a", &Yaml::Int(3)).is_err());
        assert_eq!(e.text, text);
        let mut e = Editor::new("x", "? a\n: \nc: 1\n");
        e.set(0, "/a", &Yaml::Int(3)).unwrap();
        assert_eq!(e.text, "? a\n: 3\nc: 1\n");
    }

    #[test]
    fn refuses_documents_with_aliases() {
        let mut e = Editor::new("x", "a: &l {app: web}\nb: *l\n");
        assert!(matches!(e.set(0, "/a/x", &Yaml::str("y")).unwrap_err(), EditError::Aliases { document: 0, .. }));
    }

    #[test]
    fn edits_documents_with_aliases_only_where_no_alias_reads() {
        let text = "a: &l {app: web, tier: 1}\nb: *l\nc:\n  d: 1\nm:\n  <<: *l\n  own: 2\n";
        let mut e = Editor::new("x", text);
        e.set(0, "/c/d", &Yaml::Int(2)).unwrap();
        e.set(0, "/c/e", &Yaml::Int(3)).unwrap();
        e.quote(0, "/m/own").unwrap();
        assert_eq!(e.text, text.replace("  d: 1\n", "  d: 2\n  e: 3\n").replace("own: 2", "own: \"2\""));
        for (ptr, op) in [
            ("/a/tier", Op::Quote { ptr: "/a/tier".into() }),
            ("/b/tier", Op::Quote { ptr: "/b/tier".into() }),
            ("/b/new", Op::set("/b/new", Yaml::Int(1))),
            ("/m/tier", Op::Quote { ptr: "/m/tier".into() }),
            ("/m/new", Op::set("/m/new", Yaml::Int(1))),
            ("/a", Op::remove("/a")),
        ] {
            let mut e = Editor::new("x", text);
            assert!(matches!(e.apply(0, &op), Err(EditError::Aliases { .. })), "{ptr}: {}", e.text);
            assert_eq!(e.text, text);
        }
        let root = parse_stream(text).remove(0).result.unwrap();
        assert!(shared_through_alias(&root, "/b/tier"));
        assert!(shared_through_alias(&root, "/a/tier"));
        assert!(shared_through_alias(&root, "/b/new"));
        assert!(!shared_through_alias(&root, "/c/d"));
        // An alias of a scalar is quoted by its value, not its `*name`.
        let mut e = Editor::new("x", "a: &n 1\nb: *n\n");
        e.quote(0, "/b").unwrap();
        assert_eq!(e.text, "a: &n 1\nb: \"1\"\n");
    }

    #[test]
    fn creates_nested_mappings() {
        let mut e = Editor::new("x", "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1\n");
        e.set(0, "/spec/strategy/rollingUpdate/maxSurge", &Yaml::Int(2)).unwrap();
        assert_eq!(
            e.text,
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1\n  strategy:\n    rollingUpdate:\n      maxSurge: 2\n"
        );
    }

    #[test]
    fn keeps_crlf_and_quotes() {
        let mut e = Editor::new("x", "a:\r\n  b: \"1\"\r\n  c: x\r\n");
        e.set(0, "/a/b", &Yaml::str("2")).unwrap();
        e.set(0, "/a/d", &Yaml::str("true")).unwrap();
        assert_eq!(e.text, "a:\r\n  b: \"2\"\r\n  c: x\r\n  d: \"true\"\r\n");
    }

    #[test]
    fn documents_are_added_and_removed() {
        let mut e = Editor::new("x", "a: 1\n---\nb: 2\n");
        e.insert_doc(Some(0), "c: 3\n").unwrap();
        assert_eq!(e.text, "a: 1\n---\nc: 3\n---\nb: 2\n");
        e.remove_doc(0).unwrap();
        assert_eq!(e.text, "---\nc: 3\n---\nb: 2\n");
        let mut e = Editor::new("x", "# file header\na: 1\n---\nb: 2\n");
        e.remove_doc(0).unwrap();
        assert_eq!(e.text, "# file header\n---\nb: 2\n");
        assert_eq!(e.doc_text(0).unwrap(), "b: 2\n");
    }

    #[test]
    fn scalars_are_quoted_when_needed() {
        assert_eq!(scalar("blue"), "blue");
        assert_eq!(scalar("true"), "\"true\"");
        assert_eq!(scalar("0123"), "\"0123\"");
        assert_eq!(scalar("25%"), "25%");
        assert_eq!(scalar("nginx:1.27"), "nginx:1.27");
        assert_eq!(scalar("a b"), "\"a b\"");
    }
}
