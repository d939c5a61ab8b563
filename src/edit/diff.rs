//! Unified diffs and atomic writes.

use std::io::Write;
use std::path::Path;

/// A unified diff of one file (`--- a/path` / `+++ b/path`; new files from `/dev/null`).
/// Control characters of the files (and of their names) are escaped
/// ([`crate::text::escape`]): the diff is shown on a terminal or in a log.
pub fn unified(name: &str, before: Option<&str>, after: Option<&str>) -> String {
    let a = before.unwrap_or("");
    let b = after.unwrap_or("");
    if a == b {
        return String::new();
    }
    let rel = name.trim_start_matches('/');
    let old = if before.is_some() { format!("a/{rel}") } else { "/dev/null".into() };
    let new = if after.is_some() { format!("b/{rel}") } else { "/dev/null".into() };
    let diff = similar::TextDiff::from_lines(a, b);
    let mut out = diff.unified_diff().context_radius(3).header(&old, &new).to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    crate::text::escape(&out).into_owned()
}

/// Write a file atomically: a temporary file in the same directory, then a
/// rename. The one function that replaces a user's file (fixes, steps,
/// baselines, reports written with `--output-file`).
///
/// A file that exists must be writable by the user as an editor sees it:
/// its mode bits give write to someone (checked explicitly, so that root,
/// whom the kernel lets write anything, still leaves a 0444 file alone), and
/// it opens for writing. A file the user cannot write is refused
/// (`PermissionDenied`) even when its folder would let the rename replace it.
/// The new file gets the old one's mode and owner; when the owner cannot be
/// given back (a file of another user that the group may write), the file
/// is rewritten in place instead, as editors do, so that it keeps both.
/// When `expected` is given and the file's current content differs from it
/// (someone changed it since it was read), nothing is written.
pub fn write_atomic(path: &Path, content: &str, expected: Option<&str>) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // Write through a symlink to its target, keeping the link.
    let resolved;
    let path = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        resolved = std::fs::canonicalize(path)?;
        resolved.as_path()
    } else {
        path
    };
    let old = match std::fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(meta) = &old {
        if !meta.is_file() {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file; not writing"));
        }
        if meta.mode() & 0o222 == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("read-only (mode {:04o}); not writing", meta.mode() & 0o7777),
            ));
        }
        // Opening for writing (without truncating) asks the kernel whether this user may write the file.
        std::fs::OpenOptions::new().write(true).open(path).map_err(|e| std::io::Error::new(e.kind(), format!("cannot write: {e}")))?;
    }
    if let Some(exp) = expected {
        let now = std::fs::read_to_string(path)?;
        if now != exp {
            return Err(std::io::Error::other(format!("{} changed since it was read; not writing", path.display())));
        }
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut tmp = tempfile_in(dir, name)?;
    let mut in_place = false;
    let result = (|| {
        tmp.1.write_all(content.as_bytes())?;
        tmp.1.sync_all()?;
        if let Some(meta) = &old {
            std::fs::set_permissions(&tmp.0, meta.permissions())?;
            let made = tmp.1.metadata()?;
            if (made.uid(), made.gid()) != (meta.uid(), meta.gid())
                && std::os::unix::fs::fchown(&tmp.1, Some(meta.uid()), Some(meta.gid())).is_err()
            {
                in_place = true;
            }
        }
        #[cfg(debug_assertions)]
        fail_point(path)?;
        if in_place {
            let mut f = std::fs::OpenOptions::new().write(true).truncate(true).open(path)?;
            f.write_all(content.as_bytes())?;
            return f.sync_all();
        }
        std::fs::rename(&tmp.0, path)
    })();
    if result.is_err() || in_place {
        let _ = std::fs::remove_file(&tmp.0);
    }
    result
}

fn tempfile_in(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    for i in 0..100u32 {
        let p = dir.join(format!(".{name}.kubectl-strategy.{}.{i}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("cannot create a temporary file"))
}

/// Test hook, in debug builds only (`cargo build`, `cargo test`; not `--release`, whose
/// binary has no trace of it, checked by `.ci/run`): `KUBECTL_STRATEGY_FAIL_BEFORE_RENAME`
/// makes a write fail after its temporary file is written and before the rename, `1` for
/// every file, else only for files whose path ends with the value (CONTRIBUTING.md).
#[cfg(debug_assertions)]
fn fail_point(path: &Path) -> std::io::Result<()> {
    let hit = std::env::var("KUBECTL_STRATEGY_FAIL_BEFORE_RENAME").is_ok_and(|v| v == "1" || path.ends_with(&v));
    if hit {
        return Err(std::io::Error::other("injected failure before rename"));
    }
    Ok(())
}
