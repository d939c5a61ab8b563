//! `kubectl_complete-strategy`: kubectl (1.26+) runs this executable from PATH
//! to complete `kubectl strategy <TAB>`, passing the words after the plugin
//! name. It hands them to `kubectl-strategy __complete`: the kubectl-strategy
//! beside this executable, else the one on PATH.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let name = format!("kubectl-strategy{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join(&name))).filter(|p| p.is_file());
    let program = beside.map_or_else(|| name.clone().into(), |p| p.into_os_string());
    match Command::new(&program).arg("__complete").args(std::env::args_os().skip(1)).status() {
        Ok(s) => ExitCode::from(s.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("kubectl_complete-strategy: cannot run {}: {e}", program.to_string_lossy());
            ExitCode::from(1)
        }
    }
}
