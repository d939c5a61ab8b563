//! Helm: a folder with `Chart.yaml` is rendered with `helm template`, offline.

use super::{By, HelmValues, Origin, RenderError, RenderOptions, RenderPlan, Rendered, Root, TempDir, canonical};
use crate::manifest::parse::parse_stream;
use crate::manifest::tree::Node;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Find the charts among `files` (canonical paths): the outermost folders
/// with a `Chart.yaml`. What helm reads (Chart.yaml, values.yaml, templates/,
/// charts/) belongs to the chart; other manifests kept beside it stay plain files.
pub fn plan(files: &[PathBuf], plan: &mut RenderPlan) {
    let mut charts: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "Chart.yaml"))
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    charts.sort();
    let mut outer: Vec<PathBuf> = Vec::new();
    for c in charts {
        if !outer.iter().any(|o| c.starts_with(o)) {
            outer.push(c);
        }
    }
    for f in files {
        let helm_reads = |o: &PathBuf| {
            f.strip_prefix(o).is_ok_and(|rel| {
                rel == Path::new("Chart.yaml")
                    || rel == Path::new("values.yaml")
                    || rel.starts_with("templates")
                    || rel.starts_with("charts")
            })
        };
        if outer.iter().any(helm_reads) {
            plan.consumed.insert(f.clone());
        }
    }
    for dir in outer {
        let manifest = dir.join("Chart.yaml");
        let display = super::display(&dir);
        // A library chart only lends templates to the charts that depend on
        // it: helm refuses to render it alone ("library charts are not installable").
        if let Some(chart) = chart_yaml(&manifest)
            && let Some(t) = chart.get("type").filter(|t| t.as_str() == Some("library"))
        {
            plan.notes.push(super::Note {
                file: manifest,
                line: t.span.start.line,
                message: format!(
                    "library chart {display} is not rendered on its own (helm renders only application charts); its templates are linted where a chart that depends on it is rendered"
                ),
            });
            continue;
        }
        plan.roots.push(Root { by: By::Helm, display, manifest, dir, patches: Vec::new() });
    }
}

/// A chart's `Chart.yaml`, parsed (None when it cannot be read: helm reports it).
pub(super) fn chart_yaml(manifest: &Path) -> Option<Node> {
    let text = crate::input::read_text(manifest, None)?;
    parse_stream(&text).into_iter().next().and_then(|d| d.result.ok())
}

/// The values for a chart: the command line's, then the config's for this chart.
pub fn values_for<'a>(root: &Root, options: &'a RenderOptions) -> Vec<&'a HelmValues> {
    let mut out = vec![&options.helm];
    for (dir, v) in &options.helm_charts {
        if canonical(dir) == root.dir {
            out.push(v);
        }
    }
    out
}

/// The Kubernetes version a chart is rendered for: the command line's, else
/// the chart's in the config, else the one for every chart (`kubernetesVersion:`
/// of the config, in `options.helm`), else [`KUBE_VERSION`](crate::manifest::version::KUBE_VERSION).
pub fn kube_version_for<'a>(root: &Root, options: &'a RenderOptions) -> &'a str {
    options
        .kube_version
        .as_deref()
        .or_else(|| values_for(root, options).into_iter().rev().find_map(|v| v.kube_version.as_deref()))
        .unwrap_or(crate::manifest::version::KUBE_VERSION)
}

/// Render one chart.
pub fn template(root: &Root, options: &RenderOptions) -> Result<Rendered, RenderError> {
    let program = options.helm_bin.clone().unwrap_or_else(|| PathBuf::from("helm"));
    if !super::found(&program) {
        return Err(RenderError::ToolMissing { tool: "helm", hint: "install helm or pass --helm-bin" });
    }
    // helm reads every file of the chart (`.Files.Get` prints any of them).
    super::refuse_unsafe(std::slice::from_ref(&root.dir))?;
    // Values files named in the repository's config are the repository's
    // files; those given on the command line are the user's own.
    let boundary = crate::input::boundary(&root.dir);
    for f in values_for(root, options).into_iter().skip(1).flat_map(|v| &v.files) {
        let inside = canonical(f).starts_with(&boundary);
        let checked = if inside { crate::input::check(f, &boundary) } else { Err(crate::input::Skip::LinkOutside) };
        if let Err(why) = checked {
            let why = if inside { why.to_string() } else { "a file outside the repository".to_string() };
            return Err(RenderError::Failed { message: format!("values file {} not read: {why}", super::display(f)) });
        }
    }
    let kube_version = kube_version_for(root, options);
    if !crate::manifest::version::valid(kube_version) {
        return Err(RenderError::Failed { message: format!("`{kube_version}` is not a Kubernetes version such as v1.36 or 1.36.2") });
    }
    let tmp = TempDir::new().map_err(|e| RenderError::Failed { message: format!("cannot create a temporary directory: {e}") })?;
    let helm = |chart: &Path, disable: &[String]| {
        let mut cmd = Command::new(&program);
        // No --dependency-update, no repositories, no plugins, no cluster. Each
        // value is joined to its option (`--set=…`), and the positional arguments
        // come after `--`: nothing can be read as an option of helm.
        cmd.arg("template").arg(format!("--kube-version={kube_version}"));
        for v in values_for(root, options) {
            for f in &v.files {
                let mut arg = std::ffi::OsString::from("--values=");
                arg.push(f);
                cmd.arg(arg);
            }
            for s in &v.set {
                cmd.arg(format!("--set={s}"));
            }
        }
        for key in disable {
            cmd.arg(format!("--set={key}=false"));
        }
        cmd.args(["--", "release-name"]).arg(chart);
        for var in ["HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"] {
            cmd.env(var, &tmp.0);
        }
        cmd.env("HELM_PLUGINS", tmp.0.join("plugins"));
        super::isolate(&mut cmd, false, &tmp.0);
        super::run(cmd, options.timeout).map_err(|e| match e {
            RenderError::Failed { message } => {
                let lines = message.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("Use --debug flag"));
                RenderError::Failed { message: lines.map(|l| l.strip_prefix("Error: ").unwrap_or(l)).collect::<Vec<_>>().join("\n") }
            }
            e => e,
        })
    };
    let (text, notes) = match helm(&root.dir, &[]) {
        Ok(text) => (text, Vec::new()),
        Err(RenderError::Failed { message }) => match missing_in_message(&message) {
            Some(names) => without_missing(root, &names, &tmp.0, &helm)?,
            None => return Err(RenderError::Failed { message }),
        },
        Err(e) => return Err(e),
    };
    let origins = crate::manifest::parse::parse_stream(&text)
        .iter()
        .map(|d| {
            let chunk = &text[d.bytes.clone()];
            let file = chunk.lines().find_map(|l| l.strip_prefix("# Source: ")).map(|s| {
                // `chart/templates/x.yaml`: the first component is the chart's name.
                let rest = s.trim().split_once('/').map_or(s.trim(), |(_, r)| r);
                root.dir.join(rest)
            });
            Origin { file, configured_in: None, configured_by: None }
        })
        .collect();
    Ok(Rendered { text, origins, notes })
}

/// What one run of `helm template` printed, or why it did not.
type Rendering = Result<String, RenderError>;

/// The dependencies helm says are missing from `charts/` ("found in
/// Chart.yaml, but missing in charts/ directory: a, b"), helm 3 and 4 alike.
fn missing_in_message(message: &str) -> Option<Vec<String>> {
    let (_, names) = message.split_once("missing in charts/ directory: ")?;
    let names: Vec<String> = names.lines().next()?.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    (!names.is_empty()).then_some(names)
}

/// One entry of a chart's `dependencies:`.
#[derive(Debug, Clone, PartialEq)]
struct Dependency {
    name: String,
    alias: Option<String>,
    version: Option<String>,
    repository: Option<String>,
    /// The keys of `condition:` (`a.enabled,b.enabled`), when each one is a
    /// plain dotted key (what `--set KEY=false` can switch off, nothing more).
    condition: Option<Vec<String>>,
    /// Where the entry is written (1-based).
    line: u32,
    file: PathBuf,
}

/// A key `--set` takes as a path and nothing else: dot-separated names of
/// letters, digits, `_` and `-` (no index, no escape, no `=` or `,`).
fn plain_dotted_key(key: &str) -> bool {
    key.split('.')
        .all(|part| !part.is_empty() && !part.starts_with('-') && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
}

/// The dependencies of a chart: `Chart.yaml`'s, or `requirements.yaml`'s (apiVersion v1 charts).
fn dependencies(dir: &Path) -> Vec<Dependency> {
    let mut out = Vec::new();
    for file in [dir.join("Chart.yaml"), dir.join("requirements.yaml")] {
        let Some(chart) = chart_yaml(&file) else { continue };
        for item in chart.get("dependencies").and_then(Node::as_seq).unwrap_or_default() {
            let Some(name) = item.get("name").and_then(Node::as_str) else { continue };
            let text = |k: &str| item.get(k).and_then(Node::scalar_text);
            let condition = text("condition").and_then(|c| {
                let keys: Vec<String> = c.split(',').map(|k| k.trim().to_string()).collect();
                keys.iter().all(|k| plain_dotted_key(k)).then_some(keys)
            });
            out.push(Dependency {
                name: name.to_string(),
                alias: text("alias"),
                version: text("version"),
                repository: text("repository"),
                condition,
                line: item.span.start.line,
                file: file.clone(),
            });
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// A chart whose dependencies `names` are not vendored: rendered without
/// them when each has a `condition:` that switches it off, else a finding
/// that names each one and the command that vendors them.
fn without_missing(
    root: &Root,
    names: &[String],
    tmp: &Path,
    helm: &dyn Fn(&Path, &[String]) -> Rendering,
) -> Result<(String, Vec<super::Note>), RenderError> {
    let all = dependencies(&root.dir);
    // helm names a dependency once per entry (an aliased one twice).
    let mut names: Vec<&String> = names.iter().collect();
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(*n));
    let missing: Vec<&Dependency> = all.iter().filter(|d| names.contains(&&d.name)).collect();
    let command = format!("`helm dependency build {}`", root.display);
    let listed: Vec<String> = names
        .iter()
        .map(|n| match all.iter().find(|d| &d.name == *n) {
            Some(d) => {
                let version = d.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
                let from = d.repository.as_deref().map(|r| format!(" from {r}")).unwrap_or_default();
                format!("`{n}`{version}{from}")
            }
            None => format!("`{n}`"),
        })
        .collect();
    let what = if names.len() == 1 { "dependency" } else { "dependencies" };
    let not_vendored = format!(
        "{what} {} {} not in {}/charts/ (run {command} to vendor {})",
        listed.join(", "),
        if names.len() == 1 { "is" } else { "are" },
        root.display,
        if names.len() == 1 { "it" } else { "them" }
    );
    let failed = || RenderError::Failed { message: not_vendored.clone() };
    // Every missing one must be switched off by its condition, else the chart needs it.
    let found = |n: &&String| missing.iter().any(|d| &d.name == *n);
    if !names.iter().all(found) || missing.iter().any(|d| d.condition.is_none()) {
        return Err(failed());
    }
    // A copy of the chart where each missing dependency is an empty chart of
    // its name (helm checks the names before it reads the conditions).
    let copy = tmp.join("chart");
    copy_chart(&root.dir, &copy).map_err(|_| failed())?;
    for (i, d) in missing.iter().enumerate() {
        let stub = copy.join("charts").join(format!("kubectl-strategy-missing-{i}"));
        std::fs::create_dir_all(&stub).map_err(|_| failed())?;
        let name = serde_json::to_string(&d.name).expect("a string serializes");
        std::fs::write(stub.join("Chart.yaml"), format!("apiVersion: v2\nname: {name}\nversion: 0.0.0\n")).map_err(|_| failed())?;
    }
    let keys: Vec<String> = missing.iter().flat_map(|d| d.condition.clone().unwrap_or_default()).collect();
    let text = helm(&copy, &keys).map_err(|e| match e {
        RenderError::Failed { .. } => failed(),
        e => e,
    })?;
    let notes = missing
        .iter()
        .map(|d| super::Note {
            file: d.file.clone(),
            line: d.line,
            message: format!(
                "chart {} was rendered without its dependency `{}`{}, which is not in {}/charts/ (switched off with {}); run {command} to lint it with the chart",
                root.display,
                d.name,
                d.alias.as_deref().map(|a| format!(" (as `{a}`)")).unwrap_or_default(),
                root.display,
                d.condition.as_deref().unwrap_or_default().iter().map(|k| format!("`{k}=false`")).collect::<Vec<_>>().join(", "),
            ),
        })
        .collect();
    Ok((text, notes))
}

/// Copy a chart's folder (its links were checked to stay in the repository).
fn copy_chart(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in walkdir::WalkDir::new(from).follow_links(true).into_iter().filter_entry(|e| e.file_name() != ".git") {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry.path().strip_prefix(from).map_err(std::io::Error::other)?;
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest)?;
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_is_switched_off_only_when_it_is_a_plain_dotted_key() {
        for good in ["postgresql.enabled", "tags.db", "sub_chart-1.on"] {
            assert!(plain_dotted_key(good), "{good}");
        }
        for bad in ["", "a..b", ".a", "a.", "a[0].b", "a=b", "a,b", "a\\.b", "a b", "--debug", "a.-x", "a.{{b}}"] {
            assert!(!plain_dotted_key(bad), "{bad}");
        }
    }

    #[test]
    fn the_missing_dependencies_are_read_from_both_helms_messages() {
        let helm3 = "An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: postgresql, redis";
        let helm4 = "an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: postgresql";
        assert_eq!(missing_in_message(helm3), Some(vec!["postgresql".to_string(), "redis".to_string()]));
        assert_eq!(missing_in_message(helm4), Some(vec!["postgresql".to_string()]));
        assert_eq!(missing_in_message("template: x.yaml:3: nil pointer"), None);
    }
}
