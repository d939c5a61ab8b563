//! File discovery, reading and decoding, and positions in files.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A position in a file: 1-based line, 0-based column in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A range of positions, end exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start, end: other.end }
    }
}

/// One input file, decoded.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to users (`<stdin>` for `-`).
    pub name: String,
    /// Text without the BOM (empty when the file could not be decoded).
    pub text: String,
    /// Byte length of a stripped UTF-8 BOM (0 or 3).
    pub bom: usize,
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(t) => (t.to_owned(), 3),
            None => (text, 0),
        };
        SourceFile { name: name.into(), text, bom, line_starts: OnceLock::new() }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let b = self.text.as_bytes();
            let mut v = vec![0];
            let mut i = 0;
            while i < b.len() {
                match b[i] {
                    b'\n' => v.push(i + 1),
                    b'\r' if b.get(i + 1) != Some(&b'\n') => v.push(i + 1),
                    _ => {}
                }
                i += 1;
            }
            v
        })
    }

    /// Number of lines in the file.
    pub fn line_count(&self) -> usize {
        let starts = self.line_starts();
        if self.text.is_empty() || self.text.ends_with('\n') {
            starts.len().saturating_sub(1).max(usize::from(!self.text.is_empty()))
        } else {
            starts.len()
        }
    }

    /// Byte offset (into `text`) of a position; clamps to the line's end.
    pub fn offset(&self, pos: Pos) -> usize {
        let starts = self.line_starts();
        let line = (pos.line.max(1) as usize - 1).min(starts.len() - 1);
        let start = starts[line];
        let end = starts.get(line + 1).copied().unwrap_or(self.text.len());
        start + col_offset(self.text[start..end].trim_end_matches(['\n', '\r']), pos.col)
    }

    /// The text of one line (1-based), without its line break.
    pub fn line(&self, line: u32) -> Option<&str> {
        let starts = self.line_starts();
        let i = (line as usize).checked_sub(1)?;
        let start = *starts.get(i)?;
        let end = starts.get(i + 1).copied().unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }
}

/// Byte offset of character column `col` in a line (the line's length when beyond it).
fn col_offset(line: &str, col: u32) -> usize {
    line.char_indices().nth(col as usize).map_or(line.len(), |(i, _)| i)
}

/// Byte offset of a position in `text` without building a line table, for
/// callers that locate a few positions in text that keeps changing (the editor).
/// Line breaks are `\n`, `\r\n` and a lone `\r`, as the YAML parser counts them.
pub fn offset_in(text: &str, pos: Pos) -> usize {
    let b = text.as_bytes();
    let mut line = 1u32;
    let mut start = 0usize;
    let mut i = 0usize;
    while line < pos.line && i < b.len() {
        match b[i] {
            b'\n' => {
                line += 1;
                start = i + 1;
            }
            b'\r' if b.get(i + 1) != Some(&b'\n') => {
                line += 1;
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let end = text[start..].find(['\n', '\r']).map_or(text.len(), |e| start + e);
    start + col_offset(&text[start..end], pos.col)
}

/// Where a file's content comes from.
#[derive(Debug, Clone)]
pub enum InputSpec {
    Path(PathBuf),
    Stdin,
}

/// What happened while reading a file.
pub enum ReadOutcome {
    Text(SourceFile),
    /// Could not be decoded or read; the position is where decoding failed.
    Broken {
        file: SourceFile,
        pos: Pos,
        message: String,
    },
}

/// Does a file name look like a manifest?
pub fn is_manifest_name(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref(), Some("yaml" | "yml" | "json"))
}

/// The repository the current directory is in (the nearest ancestor with a
/// `.git` entry, as `git rev-parse --show-toplevel` finds it), else the
/// current directory.
pub fn repo_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    cwd.ancestors().find(|d| d.join(".git").exists()).map_or_else(|| cwd.clone(), Path::to_path_buf)
}

/// A file name as shown to users, relative to the repository root with `/`
/// separators (`<stdin>` and names outside the repository stay as they are):
/// the same finding has the same name from any working directory.
pub fn repo_relative(name: &str) -> String {
    if name.starts_with('<') {
        return name.to_string();
    }
    let Ok(abs) = std::path::absolute(name) else { return name.to_string() };
    let mut clean = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                clean.pop();
            }
            std::path::Component::CurDir => {}
            c => clean.push(c),
        }
    }
    match clean.strip_prefix(repo_root()) {
        Ok(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"),
        Err(_) => name.to_string(),
    }
}

/// A command-line path that cannot be linted: a usage error, not a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("no such file: {0}")]
    NotFound(String),
}

/// Every named path exists (`-` is standard input). Other read errors
/// (permissions) are left to `read`, which reports them as findings.
pub fn check_paths(paths: &[String]) -> Result<(), PathError> {
    match paths.iter().find(|p| *p != "-" && std::fs::metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)) {
        Some(p) => Err(PathError::NotFound(p.clone())),
        None => Ok(()),
    }
}

/// Expand the command-line paths into input files, in a stable order.
/// Walk errors (unreadable directories, symlink loops) are returned as notices.
pub fn discover(paths: &[String]) -> (Vec<InputSpec>, Vec<String>) {
    let mut out = Vec::new();
    let mut notices = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(InputSpec::Stdin);
            continue;
        }
        let path = Path::new(p);
        if !path.is_dir() {
            // Explicitly named files are linted whatever their extension;
            // a missing one becomes a finding when it is read.
            out.push(InputSpec::Path(path.to_path_buf()));
            continue;
        }
        let mut found = Vec::new();
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.')));
        for entry in walker {
            match entry {
                // `Kustomization` (no extension) is one of kustomize's file names.
                Ok(e) if e.file_type().is_file() && (is_manifest_name(e.path()) || e.file_name() == "Kustomization") => {
                    found.push(e.into_path());
                }
                Ok(_) => {}
                Err(err) => {
                    let at = err.path().map(|p| p.display().to_string()).unwrap_or_else(|| p.clone());
                    let why = if err.loop_ancestor().is_some() {
                        "symlink loop, not followed".to_string()
                    } else {
                        err.io_error().map(|e| e.to_string()).unwrap_or_else(|| err.to_string())
                    };
                    notices.push(format!("{at}: skipped: {why}"));
                }
            }
        }
        found.sort();
        out.extend(found.into_iter().map(InputSpec::Path));
    }
    (out, notices)
}

/// Display name of an input.
pub fn display_name(spec: &InputSpec) -> String {
    match spec {
        InputSpec::Stdin => "<stdin>".into(),
        InputSpec::Path(p) => {
            let s = p.display().to_string();
            s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
        }
    }
}

/// Read and decode one input.
pub fn read(spec: &InputSpec) -> ReadOutcome {
    let name = display_name(spec);
    let bytes = match spec {
        InputSpec::Stdin => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
        }
        InputSpec::Path(p) => std::fs::read(p),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            return ReadOutcome::Broken {
                file: SourceFile::new(name, String::new()),
                pos: Pos { line: 1, col: 0 },
                message: format!("cannot read file: {e}"),
            };
        }
    };
    decode(name, bytes)
}

/// Decode bytes as UTF-8 text; binary data and invalid UTF-8 are reported with a position.
pub fn decode(name: String, bytes: Vec<u8>) -> ReadOutcome {
    if let Some(nul) = memchr::memchr(0, &bytes[..bytes.len().min(8192)]) {
        let prefix = String::from_utf8_lossy(&bytes[..nul]).into_owned();
        let pos = end_pos(&prefix);
        return ReadOutcome::Broken {
            file: SourceFile::new(name, prefix),
            pos,
            message: "binary file (contains NUL bytes), not YAML".into(),
        };
    }
    match String::from_utf8(bytes) {
        Ok(text) => ReadOutcome::Text(SourceFile::new(name, text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let mut pos = end_pos(prefix);
            let file = SourceFile::new(name, lossy);
            if file.bom > 0 && pos.line == 1 {
                pos.col = pos.col.saturating_sub(1);
            }
            ReadOutcome::Broken { file, pos, message: format!("invalid UTF-8 at byte {valid}") }
        }
    }
}

fn end_pos(prefix: &str) -> Pos {
    let line = prefix.matches('\n').count() as u32 + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32;
    Pos { line, col }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_handle_crlf_bom_and_unicode() {
        let f = SourceFile::new("x", "\u{feff}a: 1\r\nnäme: ü\r\n".to_string());
        assert_eq!(f.bom, 3);
        assert_eq!(f.line(2), Some("näme: ü"));
        let off = f.offset(Pos { line: 2, col: 6 });
        assert_eq!(&f.text[off..off + 2], "ü");
        assert_eq!(f.line_count(), 2);
    }

    /// Found by the `load` fuzz target: a column past a line's end resolved
    /// to the start of the next line (after the line break) with the line
    /// table, and to the line's end without it.
    #[test]
    fn a_column_past_the_end_clamps_to_the_line_end() {
        let text = "ab\n\rcd\r\nef";
        let f = SourceFile::new("x", text.to_string());
        for (line, end) in [(1, 2), (2, 3), (3, 6)] {
            let pos = Pos { line, col: 40 };
            assert_eq!(f.offset(pos), end, "{pos:?}");
            assert_eq!(offset_in(text, pos), end, "{pos:?}");
        }
    }

    #[test]
    fn offset_in_agrees_with_the_line_table() {
        let text = "a: 1\r\nnäme: ü\rold-mac: x\n\nlast: é";
        let f = SourceFile::new("x", text.to_string());
        // every column on each line, up to its end (parser positions never lie beyond)
        for line in 1..=5u32 {
            let len = f.line(line).unwrap().chars().count() as u32;
            for col in 0..=len {
                let pos = Pos { line, col };
                assert_eq!(offset_in(text, pos), f.offset(pos), "{pos:?}");
            }
        }
    }
}
