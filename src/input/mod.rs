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
    match lexical(Path::new(name)).strip_prefix(repo_root()) {
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
/// (permissions) are left to `read`, which reports them as findings; special
/// files and links leaving the repository are skipped by `discover`, with a notice.
pub fn check_paths(paths: &[String]) -> Result<(), PathError> {
    match paths.iter().find(|p| *p != "-" && std::fs::metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)) {
        Some(p) => Err(PathError::NotFound(p.clone())),
        None => Ok(()),
    }
}

/// The most a file may hold to be read (`max-file-mib` in the config raises it).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 << 20;

/// Why a file is not read at all (the run names it in a notice and goes on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// A symbolic link (or a path through one) that resolves outside the repository.
    #[error("symlink to a file outside the repository")]
    LinkOutside,
    /// The same, to a folder.
    #[error("symlink to a folder outside the repository")]
    FolderLinkOutside,
    /// A device, FIFO or socket: reading it may never end or may have effects.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// A file of the kernel's pseudo file systems (`/proc`, `/sys`, `/dev`).
    #[error("a system file (under /proc, /sys or /dev), not a manifest")]
    System,
}

/// Why the bytes of a file were not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Skipped on purpose.
    #[error("skipped: {0}")]
    Skipped(#[from] Skip),
    /// The file holds more than the limit; nothing of it is used.
    #[error("larger than {} MiB, the limit per file (`max-file-mib` in .kubectl-strategy.yaml raises it); not read", .max >> 20)]
    TooLarge { max: u64 },
    /// The system refused (permissions).
    #[error("cannot read file: {0}")]
    Io(#[source] std::io::Error),
    /// A folder (one the walk could not list: its files are not linted).
    #[error("cannot read folder: {0}; the files in it are not linted")]
    Folder(#[source] std::io::Error),
}

/// The kind of a file that is neither a regular file nor a folder.
fn special_kind(t: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() || t.is_dir() {
        None
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("a special file")
    }
}

/// Is a (canonical) path in one of the kernel's pseudo file systems?
fn is_system(canonical: &Path) -> bool {
    ["/proc", "/sys", "/dev"].iter().any(|d| canonical.starts_with(d))
}

/// A path made absolute (against the working directory) with `.` and `..`
/// removed lexically (links are not followed).
pub fn lexical(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
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
    clean
}

/// The folder that links in and under `path` must stay in (canonical): the
/// repository it is in (the nearest folder above it with a `.git` entry, as
/// `git rev-parse --show-toplevel` finds it); without one, the working
/// directory when `path` is under it, else the folder given (a file's folder).
pub fn boundary(path: &Path) -> PathBuf {
    let abs = lexical(path);
    let dir = if std::fs::metadata(&abs).is_ok_and(|m| m.is_dir()) {
        abs.clone()
    } else {
        abs.parent().map_or_else(|| abs.clone(), Path::to_path_buf)
    };
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    if let Some(top) = dir.ancestors().find(|d| d.join(".git").exists()) {
        return canon(top);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    if dir.starts_with(&cwd) { canon(&cwd) } else { canon(&dir) }
}

/// May `path` be read, staying inside `boundary` (canonical)? Links are
/// followed only when they resolve inside it; only regular files and folders
/// pass. A path that does not exist passes (reading it reports the error).
pub fn check(path: &Path, boundary: &Path) -> Result<(), Skip> {
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| lexical(path));
    let linked = real != lexical(path);
    if linked && !real.starts_with(boundary) {
        return Err(if meta.is_dir() { Skip::FolderLinkOutside } else { Skip::LinkOutside });
    }
    if is_system(&real) {
        let own_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        return Err(if own_link { Skip::LinkOutside } else { Skip::System });
    }
    match special_kind(meta.file_type()) {
        Some(kind) => Err(Skip::NotRegular(kind)),
        None => Ok(()),
    }
}

/// Read at most `max` bytes of a regular file inside `boundary` (when given),
/// never a device, FIFO, socket or system file: what every reader of a
/// repository's files goes through.
pub fn read_bytes(path: &Path, boundary: Option<&Path>, max: u64) -> Result<Vec<u8>, ReadError> {
    if let Some(b) = boundary {
        check(path, b)?;
    }
    let link = std::fs::symlink_metadata(path).map_err(ReadError::Io)?.file_type().is_symlink();
    let real = if link { std::fs::canonicalize(path).map_err(ReadError::Io)? } else { lexical(path) };
    if is_system(&real) {
        return Err(if link { Skip::LinkOutside } else { Skip::System }.into());
    }
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if let Some(kind) = special_kind(meta.file_type()) {
        return Err(Skip::NotRegular(kind).into());
    }
    if meta.is_dir() {
        let e = std::fs::read_dir(path).err().unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::IsADirectory));
        return Err(ReadError::Folder(e));
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    // The file opened is the file checked (not one swapped in since).
    if let Some(kind) = file.metadata().ok().and_then(|m| special_kind(m.file_type())) {
        return Err(Skip::NotRegular(kind).into());
    }
    read_capped(file, meta.len(), max)
}

/// Read a stream up to `max` bytes (`max + 1` read at most, to know it was more).
fn read_capped(r: impl std::io::Read, hint: u64, max: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(hint.min(max) as usize);
    r.take(max.saturating_add(1)).read_to_end(&mut buf).map_err(ReadError::Io)?;
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(buf)
}

/// Read a text file of the repository as [`read_bytes`] does; `None` when it
/// cannot be read or is not UTF-8 (callers that report why use `read`).
pub fn read_text(path: &Path, boundary: Option<&Path>) -> Option<String> {
    read_bytes(path, boundary, DEFAULT_MAX_FILE_BYTES).ok().and_then(|b| String::from_utf8(b).ok())
}

/// The entries under `dir` (hidden ones too, not `.git`) that a tool reading
/// the folder must not reach: special files, and links leaving `boundary`
/// (canonical). Links that stay inside are followed; a loop is not an entry.
pub fn unsafe_entries(dir: &Path, boundary: &Path) -> Vec<(PathBuf, Skip)> {
    let mut out = Vec::new();
    let mut walker = walkdir::WalkDir::new(dir).follow_links(true).into_iter().filter_entry(|e| e.file_name() != ".git");
    while let Some(entry) = walker.next() {
        let Ok(e) = entry else { continue };
        if e.depth() > 0
            && e.path_is_symlink()
            && let Err(why) = check(e.path(), boundary)
        {
            if e.file_type().is_dir() {
                walker.skip_current_dir();
            }
            out.push((e.into_path(), why));
            continue;
        }
        if let Some(kind) = special_kind(e.file_type()) {
            out.push((e.into_path(), Skip::NotRegular(kind)));
        }
    }
    out
}

/// Expand the command-line paths into input files, in a stable order.
/// Walk errors (unreadable directories, symlink loops) and skipped files
/// (special files, links leaving the repository: see [`check`]) are returned as notices.
pub fn discover(paths: &[String]) -> (Vec<InputSpec>, Vec<String>) {
    let (specs, problems) = discover_all(paths);
    (specs, problems.into_iter().map(|p| p.to_string()).collect())
}

/// A path of the walk that was not listed, and why.
#[derive(Debug)]
pub struct WalkProblem {
    pub path: String,
    pub why: String,
    /// A folder or file that exists and could not be read (not a file skipped on purpose):
    /// a run that did not lint it must not pass silently.
    pub unreadable: bool,
}

impl std::fmt::Display for WalkProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: skipped: {}", self.path, self.why)
    }
}

/// [`discover`], telling skipped files from folders that could not be read.
pub fn discover_all(paths: &[String]) -> (Vec<InputSpec>, Vec<WalkProblem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let skipped = |path: &Path, why: Skip| WalkProblem { path: show(path), why: why.to_string(), unreadable: false };
    for p in paths {
        if p == "-" {
            out.push(InputSpec::Stdin);
            continue;
        }
        let path = Path::new(p);
        let bound = boundary(path);
        if let Err(why) = check(path, &bound) {
            problems.push(skipped(path, why));
            continue;
        }
        if !path.is_dir() {
            // Explicitly named files are linted whatever their extension;
            // a missing one becomes a finding when it is read.
            out.push(InputSpec::Path(path.to_path_buf()));
            continue;
        }
        let mut found = Vec::new();
        let mut walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.')));
        while let Some(entry) = walker.next() {
            match entry {
                Ok(e) => {
                    // `Kustomization` (no extension) is one of kustomize's file names.
                    let wanted = is_manifest_name(e.path()) || e.file_name() == "Kustomization";
                    if e.depth() > 0
                        && e.path_is_symlink()
                        && let Err(why) = check(e.path(), &bound)
                    {
                        if e.file_type().is_dir() {
                            walker.skip_current_dir();
                        }
                        if wanted || e.file_type().is_dir() {
                            problems.push(skipped(e.path(), why));
                        }
                        continue;
                    }
                    if e.file_type().is_file() && wanted {
                        found.push(e.into_path());
                    } else if wanted && let Some(kind) = special_kind(e.file_type()) {
                        problems.push(skipped(e.path(), Skip::NotRegular(kind)));
                    }
                }
                Err(err) => {
                    let at = err.path().map(show).unwrap_or_else(|| p.clone());
                    let (why, unreadable) = if err.loop_ancestor().is_some() {
                        ("symlink loop, not followed".to_string(), false)
                    } else {
                        (err.io_error().map(|e| e.to_string()).unwrap_or_else(|| err.to_string()), true)
                    };
                    problems.push(WalkProblem { path: at, why, unreadable });
                }
            }
        }
        found.sort();
        out.extend(found.into_iter().map(InputSpec::Path));
    }
    (out, problems)
}

/// A path as shown in a notice (without a leading `./`).
fn show(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// Display name of an input.
pub fn display_name(spec: &InputSpec) -> String {
    match spec {
        InputSpec::Stdin => "<stdin>".into(),
        InputSpec::Path(p) => show(p),
    }
}

/// Read and decode one input, at most [`DEFAULT_MAX_FILE_BYTES`].
pub fn read(spec: &InputSpec) -> ReadOutcome {
    read_limited(spec, DEFAULT_MAX_FILE_BYTES)
}

/// Read and decode one input, at most `max` bytes of it (standard input too):
/// only regular files (see [`read_bytes`]; `discover` has already skipped the
/// links that leave the repository).
pub fn read_limited(spec: &InputSpec, max: u64) -> ReadOutcome {
    let name = display_name(spec);
    let bytes = match spec {
        InputSpec::Stdin => read_capped(std::io::stdin().lock(), 0, max),
        InputSpec::Path(p) => read_bytes(p, None, max),
    };
    match bytes {
        Ok(b) => decode(name, b),
        Err(e) => ReadOutcome::Broken { file: SourceFile::new(name, String::new()), pos: Pos { line: 1, col: 0 }, message: e.to_string() },
    }
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
    fn reads_stop_one_byte_past_the_limit() {
        // An endless stream (what /dev/zero or a FIFO would give): the read ends.
        let counted = std::cell::Cell::new(0u64);
        struct Counting<'a>(&'a std::cell::Cell<u64>);
        impl std::io::Read for Counting<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                buf.fill(b'a');
                self.0.set(self.0.get() + buf.len() as u64);
                Ok(buf.len())
            }
        }
        let r = read_capped(Counting(&counted), 0, 1000);
        assert!(matches!(r, Err(ReadError::TooLarge { max: 1000 })), "{r:?}");
        assert_eq!(counted.get(), 1001);
        assert_eq!(read_capped(&b"abc"[..], 3, 3).unwrap(), b"abc");
    }

    #[test]
    fn special_files_and_system_files_are_refused() {
        for system in ["/dev/zero", "/proc/self/environ"] {
            let r = read_bytes(Path::new(system), None, 10);
            assert!(matches!(r, Err(ReadError::Skipped(Skip::System))), "{system}: {r:?}");
        }
        let tmp = tempfile::tempdir().unwrap();
        let socket = tmp.path().join("socket.yaml");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let r = read_bytes(&socket, None, 10);
        assert!(matches!(r, Err(ReadError::Skipped(Skip::NotRegular("a socket")))), "{r:?}");
        assert_eq!(check(&socket, &boundary(tmp.path())), Err(Skip::NotRegular("a socket")));
        let link = tmp.path().join("env.yaml");
        std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
        let r = read_bytes(&link, None, 10);
        assert!(matches!(r, Err(ReadError::Skipped(Skip::LinkOutside))), "{r:?}");
        assert_eq!(check(&link, &boundary(tmp.path())), Err(Skip::LinkOutside));
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
