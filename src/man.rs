//! The man page: clap's sections plus the commands (without links to per-command
//! pages, which are not shipped), EXIT STATUS and EXAMPLES.

use clap::Command;

/// Escape text for roff.
fn esc(s: &str) -> String {
    s.replace('\\', "\\e")
        .replace('-', "\\-")
        .lines()
        .map(|l| if l.starts_with(['.', '\'']) { format!("\\&{l}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n")
}

const EXIT_STATUS: &[(&str, &str)] = &[
    (
        "0",
        "lint: no finding at or above \\-\\-fail\\-on; diff: no difference; apply, promote, rollback: done or nothing to do; status: healthy.",
    ),
    (
        "1",
        "lint: findings at or above \\-\\-fail\\-on (default warning); diff: differences; apply with \\-\\-exit\\-code: the step would change something; status: not healthy.",
    ),
    ("2", "A usage error (unknown flag, a path that does not exist), a config error, a refused plan, or an internal error."),
];

const EXAMPLES: &[(&str, &str)] = &[
    ("kubectl strategy lint k8s/", "Audit a directory; findings at file:line:column."),
    ("kubectl strategy lint \\-f deploy/api.yaml \\-o json", "One file, the JSON report on standard output."),
    ("kubectl strategy lint k8s/ \\-o github \\-\\-output\\-file sarif=results.sarif", "In CI: annotations, and SARIF for code scanning."),
    ("kubectl strategy explain readiness\\-probe\\-missing", "Why a rule matters and how to fix it."),
    (
        "kubectl strategy apply canary deployment/api \\-\\-image api=ghcr.io/acme/api:2.0 \\-\\-steps 25,50,100",
        "Plan a canary and show the diff of its first step (\\-\\-write performs it).",
    ),
    ("kubectl strategy diff \\-f k8s/ \\-n shop", "What applying the manifests would change in the cluster."),
];

pub(crate) fn render(cmd: Command) -> Result<String, std::io::Error> {
    let cmd = cmd.name("kubectl-strategy");
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    let mut s = String::from_utf8_lossy(&buf).into_owned();
    s.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set() && c.get_name() != "help") {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        s.push_str(&format!(".TP\n\\fBkubectl strategy {}\\fR\n{}\n", esc(sub.get_name()), esc(&about)));
    }
    s.push_str(".PP\n`kubectl strategy COMMAND \\-\\-help` describes each command's options.\n");
    s.push_str(".SH \"EXIT STATUS\"\n");
    for (code, what) in EXIT_STATUS {
        s.push_str(&format!(".TP\n\\fB{code}\\fR\n{what}\n"));
    }
    s.push_str(".SH EXAMPLES\n");
    for (example, what) in EXAMPLES {
        s.push_str(&format!(".TP\n\\fB{example}\\fR\n{what}\n"));
    }
    let mut buf = Vec::new();
    man.render_version_section(&mut buf)?;
    s.push_str(&String::from_utf8_lossy(&buf));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn man_page_has_exit_status_examples_and_no_dead_references() {
        let page = super::render(crate::cli::Cli::command()).unwrap();
        for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS", ".SH \"EXIT STATUS\"", ".SH EXAMPLES"] {
            assert!(page.contains(section), "{section}: {page}");
        }
        // no pages that are not shipped (kubectl-strategy-lint(1) and the like)
        assert!(!regex::Regex::new(r"\(\d\)").unwrap().is_match(&page), "{page}");
        assert!(page.contains("\\fBkubectl strategy lint\\fR") && !page.contains("__complete"), "{page}");
    }
}
