//! `completions SHELL`, `man` and `__complete` (kubectl's plugin completion protocol).

use super::{Exit, write_stdout};
use crate::cli::Cli;
use crate::{complete, man};
use clap::CommandFactory;

pub fn completions(shell: clap_complete::Shell) -> Exit {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kubectl-strategy", &mut buf);
    let mut script = String::from_utf8_lossy(&buf).into_owned();
    if shell == clap_complete::Shell::Bash {
        script = complete::fix_bash(&script, "kubectl-strategy");
    }
    write_stdout(&script)?;
    Ok(0)
}

pub fn man() -> Exit {
    write_stdout(&man::render(Cli::command())?)?;
    Ok(0)
}

pub fn complete(words: &[String]) -> Exit {
    let mut cmd = Cli::command();
    cmd.build();
    write_stdout(&complete::complete(&cmd, words))?;
    Ok(0)
}
