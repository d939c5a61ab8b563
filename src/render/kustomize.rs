//! Kustomize: find the roots, build each through a wrapper kustomization
//! that asks for origin annotations, and read back where each object came from.

use super::{By, Origin, RenderError, RenderOptions, RenderPlan, Rendered, Root, TempDir, canonical, normalize, relative};
use crate::input::Span;
use crate::manifest::parse::parse_stream;
use crate::manifest::tree::Node;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The file names kustomize accepts, in its order of preference.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

const ORIGIN: &str = "config.kubernetes.io/origin";
const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";

pub fn is_kustomization(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| FILE_NAMES.contains(&n))
}

/// The kustomization file of a directory.
pub fn file_of(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// What one kustomization file refers to.
#[derive(Default, Debug)]
pub struct Refs {
    /// Local directories used as bases or components.
    pub dirs: Vec<PathBuf>,
    /// Local resource files.
    pub resources: Vec<PathBuf>,
    /// Other inputs (patches, generator sources, transformer configs).
    pub inputs: Vec<PathBuf>,
    /// Of the inputs, the patch files (strategic merge or JSON 6902).
    pub patches: Vec<PathBuf>,
    /// Remote references, with where they are written.
    pub remote: Vec<(String, Span)>,
    /// `kind: Component`: the line it is written on. A Component is built
    /// only as part of the kustomizations that list it under `components:`.
    pub component: Option<u32>,
}

fn strings(n: Option<&Node>) -> Vec<(&str, Span)> {
    n.and_then(Node::as_seq).unwrap_or_default().iter().filter_map(|i| i.as_str().map(|s| (s, i.span))).collect()
}

fn looks_remote(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/") || s.starts_with("gitlab.com/") || s.contains("?ref=")
}

/// Parse a kustomization file's references (unreadable or broken files refer to nothing: the build reports them).
pub fn refs(file: &Path) -> Refs {
    let mut out = Refs::default();
    let Some(text) = crate::input::read_text(file, None) else { return out };
    let Some(Ok(root)) = parse_stream(&text).into_iter().next().map(|d| d.result) else { return out };
    let dir = file.parent().unwrap_or(Path::new("."));
    let local = |s: &str| normalize(&dir.join(s));
    out.component = root.get("kind").filter(|k| k.as_str() == Some("Component")).map(|k| k.span.start.line);
    for key in ["resources", "bases", "components"] {
        for (s, span) in strings(root.get(key)) {
            let p = local(s);
            if p.is_dir() {
                out.dirs.push(p);
            } else if p.is_file() {
                out.resources.push(p);
            } else if looks_remote(s) {
                out.remote.push((s.to_string(), span));
            }
        }
    }
    for key in ["patchesStrategicMerge", "transformers", "generators", "validators", "configurations", "crds"] {
        for (s, _) in strings(root.get(key)) {
            // Inline patches are YAML text, not file names.
            if !s.contains('\n') {
                out.inputs.push(local(s));
                if key == "patchesStrategicMerge" {
                    out.patches.push(local(s));
                }
            }
        }
    }
    for key in ["patches", "patchesJson6902", "replacements"] {
        for item in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
            // A bare file name under `patches:` is a mistake kustomize refuses
            // (it wants `- path: FILE`), but the file is still a patch.
            let file = item.get("path").and_then(Node::as_str).or_else(|| item.as_str().filter(|s| !s.contains('\n')));
            if let Some(p) = file {
                out.inputs.push(local(p));
                if key != "replacements" {
                    out.patches.push(local(p));
                }
            }
        }
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for item in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
            for field in ["files", "envs"] {
                for (s, _) in strings(item.get(field)) {
                    let name = s.split_once('=').map_or(s, |(_, f)| f);
                    out.inputs.push(local(name));
                }
            }
            if let Some(env) = item.get("env").and_then(Node::as_str) {
                out.inputs.push(local(env));
            }
        }
    }
    if let Some(p) = root.pointer("/openapi/path").and_then(Node::as_str) {
        out.inputs.push(local(p));
    }
    out
}

/// The kustomizations a file named on its own belongs to (pre-commit passes
/// only the staged files: a changed patch must lint its kustomization): in
/// the file's folder and those above it up to the repository root, each
/// kustomization that names the file, or names (as a base or component) the
/// folder of one found below. Canonical paths, nearest first.
pub fn owners(file: &Path) -> Vec<PathBuf> {
    let file = canonical(file);
    let boundary = crate::input::boundary(&file);
    let mut out = Vec::new();
    let mut owned_dirs: Vec<PathBuf> = Vec::new();
    for dir in file.ancestors().skip(1) {
        if !dir.starts_with(&boundary) {
            break;
        }
        let Some(k) = file_of(dir).map(|k| canonical(&k)) else { continue };
        let r = refs(&k);
        let names_file = r.resources.iter().chain(&r.inputs).any(|p| canonical(p) == file);
        let names_folder = r.dirs.iter().any(|d| owned_dirs.contains(&canonical(d)));
        if names_file || names_folder {
            out.push(k);
            owned_dirs.push(dir.to_path_buf());
        }
    }
    out
}

/// Find kustomization roots among `files` (canonical paths) and record what they consume.
pub fn plan(files: &[PathBuf], plan: &mut RenderPlan) {
    let kfiles: Vec<&PathBuf> = files.iter().filter(|f| is_kustomization(f) && !plan.consumed.contains(*f)).collect();
    let mut refs_of: BTreeMap<PathBuf, Refs> = BTreeMap::new();
    let mut used_dirs: HashSet<PathBuf> = HashSet::new();
    // A file named on its own (pre-commit passes staged files) may be a patch
    // of the kustomization beside it, which is not in the run itself.
    let dirs: HashSet<&Path> = files.iter().filter_map(|f| f.parent()).collect();
    for d in dirs {
        if let Some(k) = file_of(d).map(|k| canonical(&k))
            && !kfiles.contains(&&k)
        {
            plan.consumed.extend(refs(&k).inputs.iter().map(|p| canonical(p)));
        }
    }
    for k in &kfiles {
        let r = refs(k);
        used_dirs.extend(r.dirs.iter().map(|d| canonical(d)));
        plan.consumed.extend(r.inputs.iter().map(|p| canonical(p)));
        refs_of.insert((*k).clone(), r);
    }
    for k in kfiles {
        let dir = k.parent().map(Path::to_path_buf).unwrap_or_default();
        plan.kustomize_dirs.push(dir.clone());
        plan.consumed.insert(k.clone());
        if used_dirs.contains(&dir) {
            continue;
        }
        // A Component that no kustomization of the run uses: built alone it
        // fails, and its resources are parts of an app, not objects of their own.
        if let Some(line) = refs_of.get(k).and_then(|r| r.component) {
            let r = &refs_of[k];
            plan.consumed.extend(r.resources.iter().map(|p| canonical(p)));
            plan.notes.push(super::Note {
                file: k.clone(),
                line,
                message: format!(
                    "Kustomize Component {} is built only as part of the kustomizations that list it under `components:`, and none linted here does: its resources and patches were not linted (lint a kustomization that uses it)",
                    super::display(&dir)
                ),
            });
            continue;
        }
        let index = plan.roots.len();
        plan.roots.push(Root {
            by: By::Kustomize,
            display: super::display(&dir),
            dir: dir.clone(),
            manifest: k.clone(),
            patches: Vec::new(),
        });
        // Every resource file the root reaches, through its bases, and the patches it applies.
        let mut patches = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![k.clone()];
        while let Some(kf) = stack.pop() {
            if !seen.insert(kf.clone()) {
                continue;
            }
            let owned;
            let r = match refs_of.get(&kf) {
                Some(r) => r,
                None => {
                    owned = refs(&kf);
                    &owned
                }
            };
            for res in &r.resources {
                plan.resources_of.entry(canonical(res)).or_default().push(index);
            }
            patches.extend(r.patches.iter().filter(|p| p.is_file()).cloned());
            stack.extend(r.dirs.iter().filter_map(|d| file_of(d)).map(|f| canonical(&f)));
        }
        plan.roots[index].patches = patches;
    }
}

/// The first remote reference reachable from a root.
fn first_remote(manifest: &Path) -> Option<(String, PathBuf, Span)> {
    let mut seen = HashSet::new();
    let mut stack = vec![manifest.to_path_buf()];
    while let Some(kf) = stack.pop() {
        if !seen.insert(canonical(&kf)) {
            continue;
        }
        let r = refs(&kf);
        if let Some((s, span)) = r.remote.first() {
            return Some((s.clone(), kf, *span));
        }
        stack.extend(r.dirs.iter().filter_map(|d| file_of(d)));
    }
    None
}

/// The folders of a root's kustomizations: its own and those of its bases
/// and components, reached through them (what kustomize may read files from).
fn folders(manifest: &Path) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![manifest.to_path_buf()];
    while let Some(kf) = stack.pop() {
        if !seen.insert(canonical(&kf)) {
            continue;
        }
        if let Some(dir) = kf.parent() {
            out.push(dir.to_path_buf());
        }
        stack.extend(refs(&kf).dirs.iter().filter_map(|d| file_of(d)));
    }
    // A folder under another is walked with it.
    out.sort();
    out.dedup_by(|b, a| b.starts_with(a));
    out
}

/// The kustomize command: `--kustomize-bin`, else `kustomize` on PATH, else `kubectl kustomize`.
fn command(options: &RenderOptions) -> Result<Command, RenderError> {
    let (program, sub) = match &options.kustomize_bin {
        Some(b) => {
            let kubectl = b.file_stem().is_some_and(|s| s == "kubectl");
            (b.clone(), if kubectl { "kustomize" } else { "build" })
        }
        None if super::found(Path::new("kustomize")) => (PathBuf::from("kustomize"), "build"),
        None if super::found(Path::new("kubectl")) => (PathBuf::from("kubectl"), "kustomize"),
        None => {
            return Err(RenderError::ToolMissing { tool: "kustomize", hint: "install kubectl or kustomize, or pass --kustomize-bin" });
        }
    };
    if !super::found(&program) {
        return Err(RenderError::ToolMissing { tool: "kustomize", hint: "install kubectl or kustomize, or pass --kustomize-bin" });
    }
    let mut cmd = Command::new(program);
    cmd.arg(sub);
    Ok(cmd)
}

/// Build one root.
pub fn build(root: &Root, options: &RenderOptions) -> Result<Rendered, RenderError> {
    if !options.allow_remote
        && let Some((reference, file, span)) = first_remote(&root.manifest)
    {
        return Err(RenderError::Remote { reference, file, span });
    }
    let mut cmd = command(options)?;
    // kustomize reads the files its kustomizations name (resources, patches,
    // generators' files): none may be a special file or a link out of the repository.
    super::refuse_unsafe(&folders(&root.manifest))?;
    let tmp = TempDir::new().map_err(|e| RenderError::Failed { message: format!("cannot create a temporary directory: {e}") })?;
    let wrapper = tmp.0.join("kustomization.yaml");
    let rel = relative(&tmp.0, &root.dir);
    let text = format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n",
        serde_json::to_string(&rel.display().to_string()).expect("a string serializes")
    );
    std::fs::write(&wrapper, text).map_err(|e| RenderError::Failed { message: format!("cannot write {}: {e}", wrapper.display()) })?;
    cmd.arg(&tmp.0);
    super::isolate(&mut cmd, options.allow_remote, &tmp.0);
    let out = super::run(cmd, options.timeout).map_err(|e| match e {
        // Name the user's root, not our wrapper.
        RenderError::Failed { message } => RenderError::Failed { message: clean_message(&message, &tmp.0, &root.dir) },
        e => e,
    })?;
    Ok(read_build(&out, &tmp.0))
}

/// kustomize's message without kubectl's log prefix, without our wrapper's
/// part, and with paths relative to the working directory.
fn clean_message(message: &str, wrapper: &Path, root: &Path) -> String {
    let m = message.trim();
    let m = m.split_once("\"command failed\" err=").map_or(m, |(_, rest)| rest).trim_matches('"');
    let m = m.strip_prefix("Error: ").unwrap_or(m).replace("\\'", "'");
    let inner = format!("recursed accumulation of path '{}': ", root.display());
    let m = m.split_once(&inner).map_or(m.as_str(), |(_, rest)| rest).to_string();
    let m = m.replace(&format!("{}/", wrapper.display()), "");
    // Go prints some values as pointers (`&{0xc000a97930 0xc0001b8b00}`): they
    // change with each run, and a message must not (baselines, snapshots).
    let m = go_pointer().replace_all(&m, "0x…").into_owned();
    match std::env::current_dir().map(|c| canonical(&c)) {
        Ok(cwd) => m.replace(&format!("{}/", cwd.display()), ""),
        Err(_) => m,
    }
}

/// A Go pointer value in a message.
fn go_pointer() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\b0x[0-9a-f]{6,16}\b").expect("a valid pattern"))
}

/// Split a build into documents, read each one's origin and remove the build metadata.
fn read_build(text: &str, wrapper: &Path) -> Rendered {
    let docs = parse_stream(text);
    let mut drop_lines: HashSet<u32> = HashSet::new();
    let mut origins = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for doc in &docs {
        let Ok(root) = &doc.result else {
            origins.push(Origin::default());
            continue;
        };
        let mut origin = Origin::default();
        if let Some(ann) = root.pointer("/metadata/annotations").and_then(Node::as_map) {
            let ours: Vec<_> = ann.iter().filter(|e| matches!(e.key_str(), Some(ORIGIN | TRANSFORMATIONS))).collect();
            for e in &ours {
                if e.key_str() == Some(ORIGIN) {
                    origin = parse_origin(e.value.as_str().unwrap_or_default(), wrapper);
                }
                let col = e.key.span.start.col as usize;
                let first = e.key.span.start.line;
                drop_lines.insert(first);
                let mut l = first + 1;
                while let Some(line) = lines.get(l as usize - 1) {
                    let indent = line.len() - line.trim_start().len();
                    if !line.trim().is_empty() && indent <= col {
                        break;
                    }
                    drop_lines.insert(l);
                    l += 1;
                }
            }
            if ours.len() == ann.len()
                && let Some(e) = root.pointer("/metadata").and_then(|m| m.entry("annotations"))
            {
                drop_lines.insert(e.key.span.start.line);
            }
        }
        origins.push(origin);
    }
    let mut clean = String::with_capacity(text.len());
    for (i, line) in lines.iter().enumerate() {
        if drop_lines.contains(&(i as u32 + 1)) {
            continue;
        }
        clean.push_str(line);
        if i + 1 < lines.len() {
            clean.push('\n');
        }
    }
    Rendered { text: clean, origins, notes: Vec::new() }
}

/// `path: ../x/deployment.yaml` or `configuredIn: … configuredBy: {kind: …}`.
fn parse_origin(yaml: &str, wrapper: &Path) -> Origin {
    let Some(Ok(n)) = parse_stream(yaml).into_iter().next().map(|d| d.result) else {
        return Origin::default();
    };
    // Remote origins name a repo; their files are not the user's.
    if n.get("repo").is_some() {
        return Origin::default();
    }
    let local = |p: &str| canonical(&normalize(&wrapper.join(p)));
    Origin {
        file: n.get("path").and_then(Node::as_str).map(local),
        configured_in: n.get("configuredIn").and_then(Node::as_str).map(local),
        configured_by: n.pointer("/configuredBy/kind").and_then(Node::as_str).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_pointers_do_not_reach_a_message() {
        let m = "Error: merging from generator &{0xc0010caea0 0xc000e3b0a8}: id resid.ResId{Name:\"env\"} does not exist; cannot merge or replace";
        assert_eq!(
            clean_message(m, Path::new("/w/wrap"), Path::new("/w/app")),
            "merging from generator &{0x… 0x…}: id resid.ResId{Name:\"env\"} does not exist; cannot merge or replace"
        );
    }

    #[test]
    fn build_metadata_is_read_and_removed() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    alpha.config.kubernetes.io/transformations: |\n      - configuredIn: ../app/kustomization.yaml\n    config.kubernetes.io/origin: |\n      configuredIn: ../app/kustomization.yaml\n      configuredBy:\n        apiVersion: builtin\n        kind: ConfigMapGenerator\n  name: cfg\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    a: b\n    config.kubernetes.io/origin: |\n      path: ../app/deployment.yaml\n  name: api\n";
        let r = read_build(text, Path::new("/w/wrap"));
        assert_eq!(
            r.text,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  annotations:\n    a: b\n  name: api\n"
        );
        assert_eq!(r.origins[0].configured_in.as_deref(), Some(Path::new("/w/app/kustomization.yaml")));
        assert_eq!(r.origins[0].configured_by.as_deref(), Some("ConfigMapGenerator"));
        assert_eq!(r.origins[1].file.as_deref(), Some(Path::new("/w/app/deployment.yaml")));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/tmp/w"), Path::new("/work/app/prod")), PathBuf::from("../../work/app/prod"));
    }
}
