//! `diff`: what applying the manifests would change in the cluster (a server-side dry run).

use super::{Exit, write_stdout};
use crate::cli::{DiffArgs, DiffFormat, with_filenames};
use crate::{input, live};

pub fn run(args: DiffArgs) -> Exit {
    let paths = with_filenames(&args.paths, &args.filenames);
    input::check_paths(&paths)?;
    let (objects, errors) = live::read_objects(&paths);
    let mut conn = live::Conn::connect(&(&args.kube).into())?;
    conn.field_manager = args.field_manager.clone();
    let run = live::diff::run(&conn, &objects, errors, args.force_conflicts);
    let text = match args.output {
        DiffFormat::Diff => run.render_text(),
        DiffFormat::Json => run.render_json(),
    };
    write_stdout(&text)?;
    for w in &run.warnings {
        crate::text::say!("warning: {w}");
    }
    for e in &run.errors {
        crate::text::say!("error: {e}");
    }
    Ok(run.exit_code())
}
