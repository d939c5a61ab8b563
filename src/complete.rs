//! Completion candidates for `kubectl strategy <TAB>`.
//!
//! kubectl (1.26+) completes a plugin's arguments by running
//! `kubectl_complete-<plugin> ARGS... WORD` and reading Cobra's protocol:
//! one candidate per line (`value<TAB>description`), then `:<directive>`.
//! The `kubectl_complete-strategy` helper runs `kubectl-strategy __complete`,
//! which answers from the clap command tree.

use clap::Command;

/// Cobra's ShellCompDirectiveNoFileComp: do not fall back to file names.
const NO_FILE_COMP: u8 = 4;
/// Cobra's ShellCompDirectiveDefault: the shell may complete file names.
const DEFAULT: u8 = 0;

/// The candidates for the last of `words` (the word being completed, possibly empty).
pub(crate) fn complete(root: &Command, words: &[String]) -> String {
    let (current, done) = match words.split_last() {
        Some((c, d)) => (c.as_str(), d),
        None => ("", &[][..]),
    };
    let mut node = root;
    let mut pending_value: Option<&clap::Arg> = None;
    let mut positionals = 0usize;
    for w in done {
        if pending_value.take().is_some() {
            continue;
        }
        if let Some(long) = w.strip_prefix("--") {
            if !long.contains('=') {
                pending_value = node.get_arguments().find(|a| a.get_long() == Some(long)).filter(|a| takes_value(a));
            }
        } else if w.len() == 2 && w.starts_with('-') {
            let short = w.chars().nth(1);
            pending_value = node.get_arguments().find(|a| a.get_short() == short).filter(|a| takes_value(a));
        } else if w.starts_with('-') && w.len() > 1 {
            // -oVALUE or -ab: nothing more to learn
        } else if let Some(sub) = node.get_subcommands().find(|s| s.get_name() == w || s.get_all_aliases().any(|a| a == w)) {
            node = sub;
            positionals = 0;
        } else {
            positionals += 1;
        }
    }
    let mut out = Vec::new();
    let mut directive = NO_FILE_COMP;
    if let Some(arg) = pending_value {
        let values = arg.get_possible_values();
        if values.is_empty() {
            directive = DEFAULT;
        }
        out.extend(values.iter().filter(|v| !v.is_hide_set()).map(|v| line(v.get_name(), v.get_help())));
    } else if let Some((flag, _)) = current.strip_prefix("--").and_then(|f| f.split_once('=')) {
        if let Some(arg) = node.get_arguments().find(|a| a.get_long() == Some(flag)) {
            out.extend(arg.get_possible_values().iter().map(|v| line(&format!("--{flag}={}", v.get_name()), v.get_help())));
        }
    } else if current.starts_with('-') {
        for a in node.get_arguments().filter(|a| !a.is_hide_set() && !a.is_positional()) {
            if let Some(l) = a.get_long() {
                out.push(line(&format!("--{l}"), a.get_help()));
            }
            if let Some(s) = a.get_short() {
                out.push(line(&format!("-{s}"), a.get_help()));
            }
        }
    } else {
        out.extend(node.get_subcommands().filter(|s| !s.is_hide_set()).map(|s| line(s.get_name(), s.get_about())));
        // the positional this word fills; a repeatable last one takes every further word
        let all: Vec<&clap::Arg> = node.get_arguments().filter(|a| a.is_positional()).collect();
        let repeatable_last = all.last().copied().filter(|a| a.get_num_args().is_some_and(|n| n.max_values() > 1));
        let positional = all.get(positionals).copied().or(repeatable_last);
        match positional {
            Some(p) if !p.get_possible_values().is_empty() => {
                out.extend(p.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| line(v.get_name(), v.get_help())));
            }
            Some(_) if node.get_subcommands().next().is_none() => directive = DEFAULT,
            _ => {}
        }
    }
    let mut text: String = out.into_iter().filter(|l| l.starts_with(current)).map(|l| l + "\n").collect();
    text.push_str(&format!(":{directive}\n"));
    text
}

/// clap_complete's bash script walks the words into `kubectl__strategy__subcmd__lint`
/// (the binary's `-` as `__`) but names the matching case arm
/// `kubectl__subcmd__strategy__subcmd__lint` (the `-` as a subcommand separator), so
/// nothing below the top level completed. Name the arms as the walk does.
pub(crate) fn fix_bash(script: &str, bin: &str) -> String {
    if !bin.contains('-') {
        return script.to_string();
    }
    script.replace(&bin.replace('-', "__subcmd__"), &bin.replace('-', "__"))
}

fn takes_value(a: &clap::Arg) -> bool {
    a.get_num_args().is_some_and(|n| n.takes_values())
}

fn line(value: &str, help: Option<&clap::builder::StyledStr>) -> String {
    match help {
        Some(h) => format!("{value}\t{}", h.to_string().lines().next().unwrap_or_default()),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn c(words: &[&str]) -> Vec<String> {
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        complete(&cmd, &words).lines().map(|l| l.split('\t').next().unwrap().to_string()).collect()
    }

    #[test]
    fn subcommands_flags_and_values() {
        let top = c(&[""]);
        assert!(top.contains(&"lint".into()) && top.contains(&"apply".into()) && !top.iter().any(|w| w.starts_with("__")), "{top:?}");
        assert_eq!(top.last().unwrap(), ":4");
        assert_eq!(c(&["li"]), ["lint", ":4"]);
        let flags = c(&["lint", "--o"]);
        assert!(flags.contains(&"--output".into()) && flags.contains(&"--output-file".into()), "{flags:?}");
        assert_eq!(c(&["lint", "-o", "js"]), ["json", ":4"]);
        assert_eq!(c(&["lint", "--output", ""]).len(), 6);
        assert_eq!(c(&["lint", "--output=s"]), ["--output=sarif", ":4"]);
        assert_eq!(c(&["apply", "b"]), ["blue-green", ":4"]);
        assert_eq!(c(&["lint", "-f", ""]), [":0"], "file names");
        assert_eq!(c(&["lint", "x.yaml", ""]), [":0"]);
        assert_eq!(c(&["completions", "z"]), ["zsh", ":4"]);
    }
}
