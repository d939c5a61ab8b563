//! Rendered input: Kustomize roots and Helm charts are linted as what
//! `kubectl kustomize` and `helm template` build, and every object of the
//! build remembers the user's file it came from (see `map`).
//!
//! Safe on untrusted input: no plugins, no exec or container functions, no
//! network (remote bases only with `allow_remote`), a time limit per root.

pub mod generated;
pub mod helm;
pub mod kustomize;
pub mod map;

use crate::input::Span;
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which tool rendered an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Kustomize,
    Helm,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Kustomize => "kustomize",
            By::Helm => "helm",
        }
    }
}

/// Values for one chart (`helm:` in the config, or the command line).
#[derive(Clone, Debug, Default)]
pub struct HelmValues {
    /// Values files, later ones win.
    pub files: Vec<PathBuf>,
    /// `key=value` as `helm --set` takes them.
    pub set: Vec<String>,
    /// The Kubernetes version to render the chart for (`kube-version:` of the
    /// chart in the config; for every chart, `kubernetesVersion:`); checked by [`crate::manifest::version::valid`].
    pub kube_version: Option<String>,
}

/// How to render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Render kustomizations and charts at all (off: lint their files one by one, as before).
    pub enabled: bool,
    pub kustomize_bin: Option<PathBuf>,
    pub helm_bin: Option<PathBuf>,
    /// Applied to every chart.
    pub helm: HelmValues,
    /// Per chart directory (relative to the working directory or absolute), from the config.
    pub helm_charts: BTreeMap<PathBuf, HelmValues>,
    /// Fetch remote bases and resources.
    pub allow_remote: bool,
    /// Time limit for one root.
    pub timeout: Duration,
    /// The Kubernetes version every chart is rendered for (`--kube-version`):
    /// wins over a chart's `kube-version` in the config; without either, [`crate::manifest::version::KUBE_VERSION`].
    pub kube_version: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            enabled: true,
            kustomize_bin: None,
            helm_bin: None,
            helm: HelmValues::default(),
            helm_charts: BTreeMap::new(),
            allow_remote: false,
            timeout: Duration::from_secs(60),
            kube_version: None,
        }
    }
}

/// Why a root did not render.
#[derive(Debug, Clone)]
pub enum RenderError {
    /// The tool is not installed (a notice, not a finding).
    ToolMissing { tool: &'static str, hint: &'static str },
    /// The tool ran and refused; its message.
    Failed { message: String },
    /// The time limit passed.
    TimedOut { seconds: u64 },
    /// A remote base or resource, not fetched; where it is named.
    Remote { reference: String, file: PathBuf, span: Span },
    /// The root's folders hold a file the tool must not read (a special file,
    /// a link leaving the repository): the root is not rendered.
    Unsafe { path: PathBuf, why: crate::input::Skip },
}

/// One rendered document: where it came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The user's file (absolute), when known.
    pub file: Option<PathBuf>,
    /// Kustomize generators: the kustomization that configured the object.
    pub configured_in: Option<PathBuf>,
    /// The generator kind (`ConfigMapGenerator`).
    pub configured_by: Option<String>,
}

/// What a root rendered to.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The rendered stream as the tool prints it (build metadata removed).
    pub text: String,
    /// Per document of `text` (in order), its origin.
    pub origins: Vec<Origin>,
    /// What users should know about this render (a dependency left out).
    pub notes: Vec<Note>,
}

/// A kustomization root or a chart.
#[derive(Debug, Clone)]
pub struct Root {
    pub by: By,
    /// The root directory (absolute, canonical).
    pub dir: PathBuf,
    /// `kustomization.yaml` or `Chart.yaml` (absolute).
    pub manifest: PathBuf,
    /// The directory as users named it (for messages).
    pub display: String,
    /// Kustomize: the patch files the build applies (of the root and the bases
    /// and components it builds), found when the root is planned.
    pub patches: Vec<PathBuf>,
}

/// The rendering part of a run.
#[derive(Debug, Default)]
pub struct RenderPlan {
    pub roots: Vec<Root>,
    /// Files (canonical) that renders use and that are never linted on their own.
    pub consumed: HashSet<PathBuf>,
    /// Resource files of kustomizations (canonical): linted on their own only when their root fails.
    pub resources_of: BTreeMap<PathBuf, Vec<usize>>,
    /// Folders that look like roots and are not rendered on their own (a
    /// library chart, a Kustomize Component): what users should know.
    pub notes: Vec<Note>,
    /// The folders (canonical) of the run's kustomizations and Components.
    pub kustomize_dirs: Vec<PathBuf>,
}

/// Something about a root users should know that is not a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The file it is about (absolute).
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
    pub message: String,
}

/// Canonical path, or the absolute path when it cannot be resolved.
pub fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())))
}

/// [`canonical`] of many paths, in parallel: each folder is resolved once
/// per chunk, and a file that is not a symbolic link is its resolved folder
/// joined with its name (one `lstat` instead of a `readlink` per path component).
pub fn canonical_all(paths: &[&Path]) -> Vec<PathBuf> {
    use rayon::prelude::*;
    paths
        .par_chunks(256)
        .flat_map_iter(|chunk| {
            let mut dirs: std::collections::HashMap<&Path, PathBuf> = std::collections::HashMap::new();
            chunk
                .iter()
                .map(|p| match (p.parent(), p.file_name(), std::fs::symlink_metadata(p)) {
                    (Some(parent), Some(name), Ok(m)) if !m.file_type().is_symlink() && p.ends_with(name) => {
                        let dir = dirs
                            .entry(parent)
                            .or_insert_with(|| canonical(if parent.as_os_str().is_empty() { Path::new(".") } else { parent }));
                        dir.join(name)
                    }
                    _ => canonical(p),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Remove `.` and `..` lexically.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if matches!(out.components().next_back(), None | Some(Component::ParentDir)) {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `to` relative to the directory `from` (both absolute).
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// A path as users see it: relative to the working directory when under it.
pub fn display(p: &Path) -> String {
    let cwd = std::env::current_dir().ok().map(|c| canonical(&c));
    match cwd.as_ref().and_then(|c| p.strip_prefix(c).ok()) {
        Some(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => p.display().to_string(),
    }
}

/// Find the roots among the discovered files and what they consume.
pub fn plan(files: &[PathBuf], options: &RenderOptions) -> RenderPlan {
    let mut plan = RenderPlan::default();
    if !options.enabled {
        return plan;
    }
    helm::plan(files, &mut plan);
    kustomize::plan(files, &mut plan);
    plan
}

/// Render every root, several at a time: the tools spend much of their time
/// starting up and waiting, so more renders run than there are cores.
pub fn render_all(plan: &RenderPlan, options: &RenderOptions) -> Vec<Result<Rendered, RenderError>> {
    render_all_with(plan, options, &|| {})
}

/// [`render_all`], calling `on_done` each time a root is rendered (or failed).
pub fn render_all_with(plan: &RenderPlan, options: &RenderOptions, on_done: &(dyn Fn() + Sync)) -> Vec<Result<Rendered, RenderError>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Rendered, RenderError>>>> = plan.roots.iter().map(|_| Default::default()).collect();
    let workers = plan.roots.len().min(RENDERS_AT_ONCE);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(root) = plan.roots.get(i) else { break };
                    let r = match root.by {
                        By::Kustomize => kustomize::build(root, options),
                        By::Helm => helm::template(root, options),
                    };
                    *results[i].lock().expect("not poisoned") = Some(r);
                    on_done();
                }
            });
        }
    });
    results.into_iter().map(|m| m.into_inner().expect("not poisoned").expect("every root rendered")).collect()
}

/// Refuse a root whose folders hold a special file or a link leaving the
/// repository: kustomize and helm would read it (`.Files.Get`, a resource, a
/// generator's file) and its content could end up in the output.
pub(crate) fn refuse_unsafe(dirs: &[PathBuf]) -> Result<(), RenderError> {
    for dir in dirs {
        let boundary = crate::input::boundary(dir);
        if let Some((path, why)) = crate::input::unsafe_entries(dir, &boundary).into_iter().next() {
            return Err(RenderError::Unsafe { path, why });
        }
    }
    Ok(())
}

/// Renders running at once.
const RENDERS_AT_ONCE: usize = 6;

/// A scratch directory removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new() -> std::io::Result<TempDir> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("kubectl-strategy-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(canonical(&dir)))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The environment of a rendering tool: no proxy to reach, no cluster.
pub(crate) fn isolate(cmd: &mut Command, allow_network: bool, scratch: &Path) {
    if !allow_network {
        for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
            cmd.env(var, "http://127.0.0.1:9");
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        // git refuses every transport.
        cmd.env("GIT_ALLOW_PROTOCOL", "none");
    }
    cmd.env("KUBECONFIG", scratch.join("no-kubeconfig"));
    cmd.stdin(Stdio::null());
}

/// Run a command with a time limit; Ok(stdout) on success, Err(message) otherwise.
pub(crate) fn run(mut cmd: Command, timeout: Duration) -> Result<String, RenderError> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| RenderError::Failed { message: format!("cannot run {:?}: {e}", cmd.get_program()) })?;
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RenderError::TimedOut { seconds: timeout.as_secs() });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(RenderError::Failed { message: e.to_string() }),
        }
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if status.success() {
        Ok(stdout)
    } else {
        let message = stderr.trim();
        Err(RenderError::Failed { message: if message.is_empty() { format!("exited with {status}") } else { message.to_string() } })
    }
}

/// Is a program runnable (`name` on PATH, or a path)?
pub(crate) fn found(program: &Path) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// The kustomization or chart among `paths` whose render holds `kind/name`
/// (for commands that edit files: rendered objects cannot be edited in place).
pub fn who_renders(paths: &[String], kind: &str, name: &str, options: &RenderOptions) -> Option<Root> {
    let (specs, _) = crate::input::discover(paths);
    let files: Vec<PathBuf> = specs
        .iter()
        .filter_map(|s| match s {
            crate::input::InputSpec::Path(p) => Some(canonical(p)),
            crate::input::InputSpec::Stdin => None,
        })
        .collect();
    let plan = plan(&files, options);
    let results = render_all(&plan, options);
    plan.roots.into_iter().zip(results).find_map(|(root, r)| {
        let r = r.ok()?;
        let holds = crate::manifest::parse::parse_stream(&r.text).into_iter().filter_map(|d| d.result.ok()).any(|n| {
            n.get("kind").and_then(crate::manifest::tree::Node::as_str) == Some(kind)
                && n.pointer("/metadata/name").and_then(crate::manifest::tree::Node::as_str) == Some(name)
        });
        holds.then_some(root)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_all_agrees_with_canonical_through_links() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir_all(real.join("sub")).unwrap();
        std::fs::write(real.join("a.yaml"), "").unwrap();
        std::fs::write(real.join("sub/b.yaml"), "").unwrap();
        // A linked folder and a linked file: both resolve to the real ones.
        std::os::unix::fs::symlink(&real, tmp.path().join("linked")).unwrap();
        std::os::unix::fs::symlink(real.join("sub/b.yaml"), real.join("c.yaml")).unwrap();
        let paths: Vec<PathBuf> =
            ["real/a.yaml", "linked/a.yaml", "linked/sub/b.yaml", "real/c.yaml", "real/sub/../a.yaml", "real/missing.yaml"]
                .iter()
                .map(|p| tmp.path().join(p))
                .collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let want: Vec<PathBuf> = paths.iter().map(|p| canonical(p)).collect();
        assert_eq!(canonical_all(&refs), want);
        assert_eq!(want[1], want[0]);
        assert_eq!(want[3], want[2]);
    }
}
