//! Helm: a folder with `Chart.yaml` is rendered with `helm template`, offline.

use super::{By, HelmValues, Origin, RenderError, RenderOptions, RenderPlan, Rendered, Root, TempDir, canonical};
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
        plan.roots.push(Root { by: By::Helm, display: super::display(&dir), manifest: dir.join("Chart.yaml"), dir });
    }
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
    let tmp = TempDir::new().map_err(|e| RenderError::Failed { message: format!("cannot create a temporary directory: {e}") })?;
    let mut cmd = Command::new(program);
    // No --dependency-update, no repositories, no plugins, no cluster. Each
    // value is joined to its option (`--set=…`), and the positional arguments
    // come after `--`: nothing can be read as an option of helm.
    cmd.arg("template").arg(format!("--kube-version={}", options.kube_version));
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
    cmd.args(["--", "release-name"]).arg(&root.dir);
    for var in ["HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"] {
        cmd.env(var, &tmp.0);
    }
    cmd.env("HELM_PLUGINS", tmp.0.join("plugins"));
    super::isolate(&mut cmd, false, &tmp.0);
    let text = super::run(cmd, options.timeout).map_err(|e| match e {
        RenderError::Failed { message } => {
            let lines = message.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("Use --debug flag"));
            RenderError::Failed { message: lines.map(|l| l.strip_prefix("Error: ").unwrap_or(l)).collect::<Vec<_>>().join("\n") }
        }
        e => e,
    })?;
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
    Ok(Rendered { text, origins })
}
